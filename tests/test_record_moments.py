"""Guided recording's bad moments and parts: no camera or microphone (a clear Chinese message,
nothing started), a device lost mid-recording and a full disk (the recording so far kept,
playable and audited, the teller told), a crash (``kill -9``: the fragmented MP4 plays up to
its last second), the hints' state machine and texts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, sample

PROFILE = "bundled_samples"


def decodable_s(path: Path) -> float:
    """Seconds of picture that decode from the start (a torn last fragment ends it)."""
    import av

    last = 0.0
    with av.open(str(path)) as c:
        try:
            for frame in c.decode(video=0):
                last = float(frame.time or 0.0)
        except av.error.InvalidDataError:
            pass
    return last


def test_hint_board_raises_after_hold_and_clears_after_release() -> None:
    from dualrec_audit.record.hints import HintBoard
    from dualrec_audit.record.texts import hint_text

    told: list[tuple[Any, str]] = []
    board = HintBoard(lambda n, c: told.append((n, c)), lambda k: hint_text(*k))
    key = ("face_cut", "customer", "bottom")
    flags = [False, True, False, True, True, True, False, True, False, False, False]
    for i, flag in enumerate(flags):
        board.observe(key, flag, i * 0.5, i * 0.5 + 0.1, hold=2, release=2)
    assert [(n.code, c) for n, c in told] == [("face_cut", "raised"), ("face_cut", "cleared")]
    raised, cleared = told[0][0], told[1][0]
    assert (raised.t, raised.since) == (2.1, 1.5)  # the second bad sample in a row raised it
    assert cleared.cleared_at == 4.6  # two good ones in a row cleared it (one did not)
    assert raised.message.zh == "客户下巴超出画面"
    assert raised.to_dict()["details"] == {"side": "bottom"}


def test_no_camera_is_a_clear_message_and_nothing_starts(tmp_path: Path, capsys) -> None:
    from dualrec_audit.cli import main

    out = tmp_path / "rec.mp4"
    assert main(["record", "--headless", "--camera", "9", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "无法打开摄像头 9" in err and "camera 9" in err
    assert not out.exists()


def test_device_listing_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from dualrec_audit.record import sources

    real_import = builtins.__import__

    def no_portaudio(name: str, *args: Any, **kw: Any) -> Any:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    found = sources.list_devices(max_cameras=2)
    assert found.microphones == ()
    assert any("PortAudio" in p and "libportaudio2" in p for p in found.problems)
    if not found.cameras:
        assert "未找到摄像头 / no camera found" in found.problems
    with pytest.raises(sources.DeviceError) as exc:
        sources._sounddevice()
    assert exc.value.code == "no_portaudio"


class _Unplugged:
    """A recording played as fast as it is checked, whose camera is pulled out at ``at``."""

    def __init__(self, path: Path, at: float) -> None:
        from dualrec_audit.record.sources import FileSource

        self.inner = FileSource(path, realtime=False)
        self.name, self.lossless, self.at = "camera", True, at

    def open(self) -> Any:
        return self.inner.open()

    def start(self, sink: Any) -> None:
        outer = self

        class Cut:
            gone = False

            def video(self, t: float, frame: Any) -> None:
                if t >= outer.at and not self.gone:
                    self.gone = True
                    sink.lost("摄像头 0", "unplugged")
                if not self.gone:
                    sink.video(t, frame)

            def sound(self, t: float, samples: Any) -> None:
                if not self.gone:
                    sink.sound(t, samples)

            def lost(self, device: str, why: str) -> None:
                sink.lost(device, why)

            def ended(self) -> None:
                sink.ended()

        self.inner.start(Cut())

    def stop(self) -> None:
        self.inner.stop()


def test_device_lost_mid_recording_keeps_the_recording(pipeline, tmp_path: Path) -> None:
    from dualrec_audit.record.session import RecordingSession

    out = tmp_path / "rec.mp4"
    told: list[Any] = []
    session = RecordingSession(
        pipeline, PROFILE, out, _Unplugged(sample("clean.mp4"), 8.0), (lambda n, c: told.append(n),)
    )
    session.start()
    assert session.wait(60)
    result = session.finish()
    alarms = [n for n in told if n.kind == "alarm"]
    assert [a.code for a in alarms] == ["device_lost"]
    assert alarms[0].message.zh == "设备断开：摄像头 0"
    assert session.summary()["device_lost"] == "摄像头 0"
    assert result.error is None and 7.0 <= result.duration_s <= 8.6
    assert decodable_s(out) >= 7.0
    assert session.figures.samples_dropped == 0  # played losslessly


def _run_cli(args: list[str], **kw: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "dualrec_audit", "record", "--headless", *args]
    return subprocess.Popen(cmd, env=env, text=True, **kw)


def test_a_killed_recorder_leaves_a_playable_file(pipeline, tmp_path: Path) -> None:
    """kill -9 mid-recording: what was written plays (each fragment is a second, complete
    when written; the file is read while the recorder writes it, then after the kill)."""
    out = tmp_path / "rec.mp4"
    src = sample("clean.mp4")
    proc = _run_cli(
        ["--realtime", "--source", str(src), "--out", str(out), "--profile", PROFILE],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    written = 0.0
    deadline = time.monotonic() + 120
    while written < 5.0 and time.monotonic() < deadline:  # read as it is being written
        time.sleep(0.5)
        written = decodable_s(out) if out.exists() else 0.0
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert written >= 5.0
    played = decodable_s(out)
    assert played >= written, (played, written)  # nothing written was lost to the kill
    result = pipeline.apply(out, profile=PROFILE)
    assert result.error is None and result.duration_s >= written - 1.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE (Linux)")
def test_a_full_disk_keeps_what_was_written(tmp_path: Path) -> None:
    """The file may grow to 600 kB (as a disk that fills up): the teller is told, what was
    written is kept and audited."""
    out, hints = tmp_path / "rec.mp4", tmp_path / "hints.jsonl"
    limit = (
        "import resource, runpy, signal, sys;"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (600_000, 600_000));"
        "sys.argv = ['dualrec-audit', *sys.argv[1:]];"
        "runpy.run_module('dualrec_audit', run_name='__main__')"
    )
    args = ["record", "--headless", "--source", str(sample("clean.mp4")), "--out", str(out)]
    args += ["--hints", str(hints), "--profile", PROFILE]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", limit, *args], env=env, capture_output=True, text=True
    )
    lines = [json.loads(x) for x in hints.read_text(encoding="utf-8").splitlines()]
    assert [n["code"] for n in lines if n["kind"] == "alarm"] == ["disk_full"], done.stderr
    assert lines[-1]["write_error"] and lines[-1]["decision"] == "rerecord"
    assert out.stat().st_size <= 600_000
    assert decodable_s(out) >= 3.0
