"""The benchmark's plumbing, never its timings: it starts, it builds its long recording."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.lengths import build_clip
from benchmarks.processes import run_measured
from benchmarks.recorder_encodings import encoding_row

from .conftest import ROOT

RUN = ROOT / "benchmarks" / "run.py"


def test_help_lists_the_options():
    for script in (RUN, ROOT / "benchmarks" / "measure.py"):
        proc = subprocess.run(
            [sys.executable, str(script), "--help"], capture_output=True, text=True, cwd=ROOT
        )
        assert proc.returncode == 0, proc.stderr
    for option in ("--quick", "--minutes", "--skip-naive", "--skip-scan", "--asr-model", "--json"):
        assert (
            option
            in subprocess.run(
                [sys.executable, str(RUN), "--help"], capture_output=True, text=True, cwd=ROOT
            ).stdout
        )


def test_builds_a_long_recording_by_remuxing_the_samples(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, str(RUN), "--build-only", "--minutes", "0.5", "--cache", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    path, seconds = proc.stdout.strip().split("\t")
    assert Path(path) == tmp_path / "long_0.5min_720p.mp4"
    # Whole 20 s samples until at least 30 s: two of them.
    assert 30 <= float(seconds) <= 30 + 21

    from dualrec_audit.media.frames import sample_frames
    from dualrec_audit.media.probe import probe

    info = probe(Path(path))
    assert (info.width, info.height, info.video_codec, info.audio_streams) == (1280, 720, "h264", 1)
    times = [t for t, _ in sample_frames(Path(path), info, 1.0)]
    assert times[-1] >= float(seconds) - 1.5  # decodable to the end: no broken join


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_process_tree_memory_counts_the_children():
    code = (
        "import subprocess, sys, time\n"
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1.0)'])\n"
        "time.sleep(0.5); c.wait()\n"
    )
    r = run_measured([sys.executable, "-c", code], tree=True)
    assert r["rc"] == 0
    assert r["processes"] >= 2
    assert r["tree_peak_mb"] > 0


def test_the_36_s_clip_is_cut_by_remuxing_and_decodes_to_its_end(tmp_path: Path):
    """benchmarks/lengths.py's short clip: two samples end to end cut at 36 s, packets kept
    by decoding time, so no picture loses the ones it refers to."""
    from dualrec_audit.media.frames import sample_frames
    from dualrec_audit.media.probe import probe
    from dualrec_audit.media.sound import load_audio

    path = build_clip(36.0, tmp_path)
    assert path == tmp_path / "clip_36s_720p.mp4"
    info = probe(path)
    assert 35.5 <= info.duration_s <= 36.5
    damaged: list[tuple[float, float]] = []
    times = [t for t, _ in sample_frames(path, info, 2.0, damaged=damaged)]
    assert times[-1] >= 35.0 and damaged == []
    audio = load_audio(path)
    assert audio is not None and abs(len(audio) / 16000 - 36.0) < 0.5


def test_encoding_row_takes_the_median_of_the_rounds_and_reads_older_runs():
    def m(wall=None, decode_all=None, cpu=1.0, **extra):
        parts = {"decode_all": decode_all} if decode_all else {}
        return {
            "passes": [{"wall_s": wall, "cpu_s": cpu, "parts": parts, **extra}],
            "other_cores": 0.0,
        }

    part = {"parts": {"decode": 1.0, "faces": 1.0, "video": 1.0}, "cpu_s": 1.0}
    raw = {
        "duration_s": 60.0,
        "size_mb": 1.0,
        "floor": m(decode_all=3.0),
        "floor_av": m(decode_all=2.0),
        "decode": {
            **part,
            "passes": [part],
            "plan": {"mode": "all_frames", "keyframe_interval_s": 1.0},
        },
        "decode_exact": {"passes": [part]},
        "faces_before": {"passes": [part]},
        "faces": {"passes": [{**part, "full_detections": 31, "frames": 121}]},
        "video": {"passes": [part]},
        "checks": m(wall=2.0),
    }
    older = encoding_row("x", raw)  # saved before rounds: its one pair
    assert older["checks_over_floor"] == 1.5 and older["checks_over_floor_rounds"] == [1.5]
    raw["rounds"] = [
        {"floor_s": 3.0, "checks_s": 2.0},
        {"floor_s": 2.0, "checks_s": 2.5},
        {"floor_s": 3.0, "checks_s": 3.3},
    ]
    row = encoding_row("x", raw)
    assert row["checks_over_floor"] == pytest.approx(3.0 / 3.3)  # the median ratio
    assert not row["met"] and row["checks_x"] == pytest.approx(60 / 2.5)
