"""Issue 14: what branch file shares and people do to `check`, `scan` and `export`.

Every input is built at test time from the sample videos and the shared test media
(``tests/hostile.py``). Scans run as real subprocesses with real worker processes, except where
a worker must misbehave at an exact moment (a rename between hashing and auditing, a crash):
there the scan runs in this process with an audit function from ``tests/hostile.py`` that the
spawned workers import.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dualrec_audit.batch.folder import hash_file
from dualrec_audit.batch.scan import Scanner, ScanOptions
from dualrec_audit.store.database import Store

from . import hostile
from .conftest import ROOT, SAMPLES, sample
from .conftest import media as media_file
from .pace import paced
from .test_scan import OLD, _copy, _env, run_scan, scan_cmd, stored_by_name


@pytest.fixture(autouse=True)
def _isolated(isolated_models_env):
    """No user-installed model may change what is audited."""


def check_json(*paths: Path | str, env: dict[str, str] | None = None, **kw) -> tuple[int, object]:
    """``check --json``: (exit code, the parsed document). The output must be UTF-8 JSON."""
    cmd = [sys.executable, "-m", "dualrec_audit", "check", *map(str, paths)]
    proc = subprocess.run(
        [*cmd, "--json", "--no-progress"],
        capture_output=True,
        env=env or _env(),
        cwd=ROOT,
        timeout=300,
        **kw,
    )
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
    return proc.returncode, json.loads(proc.stdout.decode("utf-8"))  # strict UTF-8


# -- who may read what: a real unreadable file ------------------------------------------------


def _without_dac_override():
    """A preexec_fn that makes a subprocess obey file permissions when we are root: it drops
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the capability bounding set, so root reads
    a file of its own only when the file's mode says so (chmod 000 alone would test nothing
    as root). Not root: None, permissions apply anyway."""
    if os.geteuid() != 0:
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2

    def drop() -> None:
        for cap in (cap_dac_override, cap_dac_read_search):
            if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return drop


def test_an_unreadable_file_is_reported_clearly_and_the_others_are_stored(tmp_path):
    """A file without read permission (a real one: as root, the scan runs without the
    capabilities that let root read anything) is listed with a plain-words error on every
    scan and stored once under its path (issue 37: so that exports list it); the rest is
    stored."""
    drop = _without_dac_override()
    share = tmp_path / "share"
    share.mkdir()
    for name in ("clean.mp4", "dark_segment.mp4"):
        _copy(sample(name), share / name)
    locked = _copy(sample("party_absent.mp4"), share / "无权限.mp4")
    os.chmod(locked, 0)
    probe = subprocess.run(
        [sys.executable, "-c", f"open({str(locked)!r}, 'rb')"],
        capture_output=True,
        preexec_fn=drop,
    )
    assert probe.returncode != 0, "the file must really be unreadable for the scan"
    db = f"sqlite:///{tmp_path / 'scan.db'}"
    try:
        for expected in ("2 audited", "2 already audited"):
            proc = subprocess.run(
                scan_cmd(share, db, "--workers", "1", "--settle", "0"),
                capture_output=True,
                text=True,
                env=_env(),
                cwd=ROOT,
                timeout=300,
                preexec_fn=drop,
            )
            assert "Traceback" not in proc.stderr, proc.stderr
            assert proc.returncode == 1, proc.stdout + proc.stderr
            line = next(x for x in proc.stdout.splitlines() if "无权限.mp4" in x)
            assert "[unreadable]" in line and "permission denied" in line, line
            assert "Errno" not in line
            assert expected in proc.stdout, proc.stdout
        stored = stored_by_name(db)
        assert sorted(stored) == ["clean.mp4", "dark_segment.mp4", "无权限.mp4"]
        assert stored["无权限.mp4"].error_code == "unreadable"
        assert stored["无权限.mp4"].sha256.startswith("path:")  # keyed by path: no content
        rc, doc = check_json(locked, preexec_fn=drop)
        assert rc == 1 and doc["error"]["code"] == "unreadable", doc
        assert "permission denied" in doc["error"]["message"]
    finally:
        os.chmod(locked, 0o644)


# -- names, links, containers ---------------------------------------------------------------


def test_a_gbk_file_name_is_audited_stored_and_shown_as_chinese(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    gbk = hostile.gbk_name(folder)
    _copy(sample("clean.mp4"), gbk)
    rc, doc = check_json(gbk)
    assert rc == 0 and doc["error"] is None
    assert doc["file"] == str(folder / "录像 客户甲.mp4")  # readable, valid UTF-8
    db = f"sqlite:///{tmp_path / 'scan.db'}"
    for expected in ("1 audited", "1 already audited"):
        rc, out = run_scan(folder, db, workers=1)
        assert rc == 0 and expected in out, out
    [run] = stored_by_name(db).values()
    assert run.status == "done" and run.path == str(folder / "录像 客户甲.mp4")
    with Store(db) as store:
        assert store.paths(run.recording_id) == [str(gbk)]  # the name that opens the file
        assert Path(store.paths(run.recording_id)[0]).is_file()
        assert store.verify().ok


def test_a_broken_link_and_a_photo_named_mp4_are_named_for_what_they_are(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "gone.mp4").symlink_to(tmp_path / "deleted-original.mp4")
    photo = hostile.photo_as_mp4(media_file("images/facerec_obama.jpg"), folder / "photo.mp4")
    os.utime(photo, (OLD, OLD))
    rc, docs = check_json(folder)
    by_name = {Path(d["file"]).name: d for d in docs}
    assert by_name["gone.mp4"]["error"]["code"] == "broken_link"
    assert "deleted-original.mp4, which does not exist" in by_name["gone.mp4"]["error"]["message"]
    assert by_name["photo.mp4"]["error"]["code"] == "not_video"
    assert "still picture (JPEG)" in by_name["photo.mp4"]["error"]["message"]
    db = f"sqlite:///{tmp_path / 'scan.db'}"
    rc, out = run_scan(folder, db, workers=1)
    assert rc == 1
    assert "gone.mp4" in out and "[broken_link]" in out
    assert "[not_video]" in out and "zero length" not in out
    assert stored_by_name(db)["photo.mp4"].error_code == "not_video"


def test_webm_and_3gp_are_recordings_for_check_and_scan(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    hostile.webm(sample("clean.mp4"), folder / "营业部.webm")
    hostile.remux(sample("clean.mp4"), folder / "手机.3gp", "3gp")
    for f in folder.iterdir():
        os.utime(f, (OLD, OLD))
    rc, docs = check_json(folder)
    assert sorted(Path(d["file"]).name for d in docs) == ["手机.3gp", "营业部.webm"]
    assert all(d["error"] is None for d in docs), docs
    db = f"sqlite:///{tmp_path / 'scan.db'}"
    rc, out = run_scan(folder, db, workers=1)
    assert rc == 0 and "2 recordings found, 2 audited" in out, out


def test_a_file_corrupt_in_the_middle_is_audited_with_the_damaged_span_as_a_finding(tmp_path):
    bad = hostile.corrupt_middle(sample("clean.mp4"), tmp_path / "中间损坏.mp4")
    rc, doc = check_json(bad)
    assert rc == 0 and doc["error"] is None, doc
    [damage] = [e for e in doc["events"] if e["check"] == "damaged"]
    assert 5.0 <= damage["start"] < damage["end"] <= 12.0, damage
    assert damage["message"]["en"].startswith("Recording damaged here")
    finding = next(f for f in doc["findings"] if f["rule"] == "event.damaged")
    assert finding["deduction"] > 0 and doc["decision"] != "approve"
    # Outside the damage the checks ran: the faces were seen to the end.
    faces = doc["timelines"]["faces"]
    assert len(faces) >= 19 and faces[15] is not None and faces[15] > 0.5


def test_a_hole_in_the_picture_is_a_finding_where_it_is(tmp_path, sample_results):
    """A recorder that dropped 4 s of frames (the sound kept): the file's picture has a hole
    at 8-12 s, which no frame check can see (no frame there). It is a ``damaged`` finding over
    the hole, said as missing frames, never auto-approved; the checks ran either side."""
    holed = hostile.drop_frames(sample("clean.mp4"), tmp_path / "缺帧.mp4", 8.0, 12.0)
    rc, doc = check_json(holed)
    assert rc == 0 and doc["error"] is None, doc
    [hole] = [e for e in doc["events"] if e["check"] == "damaged"]
    assert 7.9 <= hole["start"] <= 8.2 and 11.9 <= hole["end"] <= 12.1, hole
    assert hole["message"]["en"].startswith("No picture here"), hole
    finding = next(f for f in doc["findings"] if f["rule"] == "event.damaged")
    assert finding["deduction"] > 0 and doc["decision"] != "approve"
    faces = doc["timelines"]["faces"]
    assert faces[5] is not None and faces[5] > 0.5 and faces[15] is not None and faces[15] > 0.5
    # The same recording whole has no such finding.
    assert not [e for e in sample_results["clean.mp4"].events if e.check == "damaged"]


def test_a_hole_is_found_in_a_recording_whose_frames_were_checked_as_it_was_made(
    tmp_path, pipeline
):
    """A guided recording's frames are checked live, not decoded again from the file; a camera
    that stalled leaves a hole in the file all the same: found from its packets' times."""
    from dualrec_audit.audit.pipeline import Looked
    from dualrec_audit.checks.video import VideoQualityCheck
    from dualrec_audit.media.frames import picture_holes, sample_frames
    from dualrec_audit.media.probe import probe

    holed = hostile.drop_frames(sample("clean.mp4"), tmp_path / "停顿.mp4", 5.0, 7.5)
    info = probe(holed)
    [(a, b)] = picture_holes(holed, info)
    assert 4.9 <= a <= 5.1 and 7.4 <= b <= 7.6, (a, b)
    assert picture_holes(sample("clean.mp4"), probe(sample("clean.mp4"))) == []
    live = VideoQualityCheck(sample_step=0.5)
    for t, frame in sample_frames(holed, info, 2.0):
        live.update(t, frame)
    result = pipeline.apply(holed, looked=Looked(checks=(live,), mouths=None))
    [hole] = [e for e in result.events if e.check == "damaged"]
    assert (hole.start, hole.end) == (round(a, 2), round(b, 2)) and hole.severity == "high"
    assert hole.message.en.startswith("No picture here") and result.decision != "approve"


def test_a_silent_first_audio_track_falls_back_to_the_second_with_a_note(tmp_path, sample_results):
    silent_first = hostile.two_audio_tracks(sample("clean.mp4"), tmp_path / "silent_first.mp4")
    both = hostile.two_audio_tracks(sample("clean.mp4"), tmp_path / "both.mp4", first_silent=False)
    _rc, docs = check_json(silent_first, both)
    first, second = docs
    clean = sample_results["clean.mp4"]
    [note] = [e for e in first["events"] if e["check"] == "audio_track"]
    assert note["details"] == {"tracks": 2, "audited": 2, "first_silent": True}
    assert "track 1 is silent, track 2 was audited" in note["message"]["en"]
    # The speech check heard the real track: the same silences as the clean sample.
    assert not [e for e in first["events"] if e["check"] == "silence"]
    speech = first["checks"]["speech"]
    assert speech["score"] == pytest.approx(clean.checks["speech"].score, abs=0.05)
    [note2] = [e for e in second["events"] if e["check"] == "audio_track"]
    assert note2["details"]["audited"] == 1
    assert "only track 1 was audited" in note2["message"]["en"]
    assert any(f["rule"] == "event.audio_track" for f in first["findings"])


# -- files that change under the scan ---------------------------------------------------------


def _scanner(url: str, pipeline, **kw) -> Scanner:
    store = Store(url, create=True)
    return Scanner(store, pipeline, ScanOptions(settle_s=0, **kw.pop("options", {})), **kw)


def test_a_file_renamed_while_audited_is_audited_under_its_new_name(tmp_path, pipeline):
    folder = tmp_path / "share"
    folder.mkdir()
    _copy(sample("dark_segment.mp4"), folder / "rename-me.mp4")
    _copy(sample("clean.mp4"), folder / "stays.mp4")
    url = f"sqlite:///{tmp_path / 'scan.db'}"
    scanner = _scanner(url, pipeline, audit_fn=hostile.rename_then_audit)
    summary = scanner.run(folder)
    scanner.store.close()
    assert summary.errors == []
    runs = stored_by_name(url)
    assert sorted(runs) == ["renamed rename-me.mp4", "stays.mp4"]
    assert all(r.status == "done" for r in runs.values())
    with Store(url) as store:
        assert store.counts()["audit_runs"] == 2 and store.verify().ok


def test_a_file_that_crashes_its_worker_is_blamed_alone(tmp_path, pipeline):
    folder = tmp_path / "share"
    folder.mkdir()
    for name in ("a.mp4", "b.mp4", "crashes.mp4", "d.mp4"):
        src = {"a": "clean", "b": "dark_segment", "crashes": "noisy_speech", "d": "party_absent"}
        _copy(sample(src[name[:-4]] + ".mp4"), folder / name)
    url = f"sqlite:///{tmp_path / 'scan.db'}"
    scanner = _scanner(url, pipeline, audit_fn=hostile.crash_on_bad_file, options={"workers": 2})
    summary = scanner.run(folder)
    scanner.store.close()
    runs = stored_by_name(url)
    assert runs["crashes.mp4"].error_code == "worker_crashed"
    for name in ("a.mp4", "b.mp4", "d.mp4"):
        assert runs[name].status == "done", (name, runs[name].error_code)
    assert [e[1] for e in summary.errors] == ["worker_crashed"]


def test_a_copy_that_stalls_longer_than_settle_is_audited_once_complete(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    data = sample("party_absent.mp4").read_bytes()
    target = folder / "慢速复制.mp4"
    target.write_bytes(data[: len(data) * 2 // 5])

    def resume_later() -> None:
        time.sleep(6.0)  # the copy stalls far longer than --settle
        with target.open("ab") as f:
            f.write(data[len(data) * 2 // 5 :])

    writer = threading.Thread(target=resume_later)
    writer.start()
    db = f"sqlite:///{tmp_path / 'scan.db'}"
    proc = subprocess.run(
        scan_cmd(folder, db, "--workers", "1", "--settle", "0.5", "--settle-timeout", "60"),
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=300,
    )
    writer.join()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [run] = stored_by_name(db).values()
    assert run.status == "done" and run.sha256 == hash_file(target)
    with Store(db) as store:
        assert store.counts()["recordings"] == 1 and store.counts()["audit_runs"] == 1
        assert store.result(run.run_id).sha256 == run.sha256
    out = subprocess.run(
        [sys.executable, "-m", "dualrec_audit", "export", "--format", "json", "--db", db],
        capture_output=True,
        env=_env(),
        cwd=ROOT,
        timeout=120,
    )
    assert [r["file"] for r in json.loads(out.stdout)["recordings"]] == ["慢速复制.mp4"]


def test_watch_waits_for_a_share_that_goes_away_and_resumes(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    db = f"sqlite:///{tmp_path / 'watch.db'}"
    proc = subprocess.Popen(
        scan_cmd(share, db, "--workers", "1", "--settle", "0.3", "--watch", "--interval", "0.5"),
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (tmp_path / "watch.db").exists():
            time.sleep(0.1)  # the scan checked the folder and opened its database
        time.sleep(2.0)
        share.rename(tmp_path / "unmounted")  # the share disappears for 6 s
        time.sleep(6.0)
        assert proc.poll() is None, proc.communicate()
        (tmp_path / "unmounted").rename(share)
        _copy(sample("clean.mp4"), share / "来了.mp4")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and "来了.mp4" not in stored_by_name(db):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.3)
        assert "来了.mp4" in stored_by_name(db)
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "is not available" in err and "waiting for it to come back" in err
    assert "is available again" in err


# -- paths ------------------------------------------------------------------------------------


def test_paths_are_stored_absolute_and_resolve_on_a_share_mounted_elsewhere(tmp_path, monkeypatch):
    share = tmp_path / "mnt" / "share"
    (share / "北京").mkdir(parents=True)
    _copy(sample("clean.mp4"), share / "北京" / "a.mp4")
    db = f"sqlite:///{tmp_path / 'scan.db'}"
    env = _env()
    for folder, cwd in (("share", tmp_path / "mnt"), (str(share), ROOT)):  # relative, absolute
        proc = subprocess.run(
            scan_cmd(Path(folder), db, "--workers", "1", "--settle", "0", "-r"),
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    [run] = stored_by_name(db).values()
    assert run.path == str(share / "北京" / "a.mp4")
    with Store(db) as store:
        assert store.counts()["recording_paths"] == 1
        # The reviewer's machine mounts the share elsewhere.
        moved = tmp_path / "Z盘"
        shutil.move(str(share), moved)
        monkeypatch.setenv("DUALREC_AUDIT_SHARE_ROOTS", str(moved))
        assert [p for p in store.paths(run.recording_id) if Path(p).is_file()] == [
            str(moved / "北京" / "a.mp4")
        ]


# -- the database -----------------------------------------------------------------------------


def test_a_mistyped_db_makes_scan_stop_before_anything_is_created(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    typo = tmp_path / "typo" / "dualrec.db"
    cmd = [c for c in scan_cmd(folder, str(typo)) if c != "--create"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and "no such file" in proc.stderr and "db init" in proc.stderr
    assert not (tmp_path / "typo").exists()


def test_the_default_database_is_created_on_the_first_scan(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    _copy(sample("clean.mp4"), folder / "a.mp4")
    env = _env() | {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    cmd = [sys.executable, "-m", "dualrec_audit", "scan", str(folder), "--no-progress"]
    proc = subprocess.run(
        [*cmd, "--workers", "1", "--settle", "0"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "xdg" / "dualrec-audit" / "dualrec-audit.db").is_file()
    verify = subprocess.run(
        [sys.executable, "-m", "dualrec_audit", "db", "verify"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert verify.returncode == 0 and "keyed (HMAC)" in verify.stdout, verify.stdout


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    where.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    return proc.returncode == 0


def test_a_full_disk_stops_the_scan_with_a_clear_error_and_keeps_what_was_stored(tmp_path):
    """A real full disk: the database lives on a small tmpfs (needs root to mount one). Two
    recordings are stored, the disk is filled to 16 kB short of full, then the scan goes on."""
    disk = tmp_path / "small-disk"
    if not _mount_tmpfs(disk, "4m"):
        pytest.skip("cannot mount a small tmpfs here (needs root and mount)")
    try:
        folder = tmp_path / "share"
        folder.mkdir()
        for p in sorted(SAMPLES.glob("*.mp4"))[:2]:
            _copy(p, folder / p.name)
        db = f"sqlite:///{disk / 'full.db'}"
        rc, out = run_scan(folder, db, workers=1)
        assert rc == 0 and "2 audited" in out, out
        for p in sorted(SAMPLES.glob("*.mp4"))[2:]:
            _copy(p, folder / p.name)
        vfs = os.statvfs(disk)
        (disk / "filler").write_bytes(b"\0" * (vfs.f_bavail * vfs.f_frsize - 16 * 1024))
        proc = subprocess.run(
            scan_cmd(folder, db, "--workers", "1", "--settle", "0"),
            capture_output=True,
            text=True,
            env=_env(),
            cwd=ROOT,
            timeout=300,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "is full" in proc.stderr and "What was stored before is intact" in proc.stderr
        (disk / "filler").unlink()
        with Store(db) as store:
            assert store.counts()["audit_runs"] == 2 and store.verify().ok
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_ctrl_c_stops_a_scan_quickly(tmp_path):
    """Measured, with a generous bound only: the audits in progress are killed, not waited
    for (before: 42 s on a share of long recordings)."""
    folder = tmp_path / "share"
    folder.mkdir()
    for p in sorted(SAMPLES.glob("*.mp4")):
        _copy(p, folder / p.name)
    db = f"sqlite:///{tmp_path / 'scan.db'}"
    proc = subprocess.Popen(
        scan_cmd(folder, db, "--workers", "2", "--settle", "0"),
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        if Path(tmp_path / "scan.db").exists():
            with Store(db) as store:
                if store.counts()["audit_runs"] >= 1:
                    break
        time.sleep(0.1)
    time.sleep(1.0)  # both workers are in the middle of a file now
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the foreground group
    out, err = proc.communicate(timeout=120)
    took = time.monotonic() - started
    print(f"Ctrl-C to exit: {took:.2f} s")
    assert proc.returncode == 130, err
    assert "stopped: what was audited is stored" in out
    assert took < paced(15.0), f"Ctrl-C took {took:.1f} s (bound {paced(15.0):.0f} s at this load)"
    with Store(db) as store:
        assert store.verify().ok and store.counts()["audit_runs"] < 6
