"""What every benchmark shares: the checkout's paths, the metadata a run records first, saving a
run as JSON, and how x real time and memory are computed and printed.

The bottom of the benchmarks: it imports nothing else of them.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"
SAMPLES = ROOT / "sample_videos"
MEASURE = ROOT / "benchmarks" / "measure.py"
# The random-weight test model is not committed: ../shared/models beside the checkout has it.
TEST_MODEL = ROOT.parent / "shared" / "models" / "whisper-test-random"
PROFILE = "bundled_samples"  # the recording is the samples: their sentences are said
CHILD_ENV = {"GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}  # MediaPipe's notices


def x_rt(seconds_of_recording: float, wall: float | None) -> float | None:
    return None if not wall else seconds_of_recording / wall


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
    }


def versions() -> dict[str, str]:
    out = {}
    for dist in (
        "dualrec-audit",
        "av",
        "opencv-contrib-python",
        "mediapipe",
        "faster-whisper",
        "ctranslate2",
        "onnxruntime",
        "webrtcvad-wheels",
        "numpy",
    ):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], capture_output=True, text=True, cwd=ROOT, check=False
    ).stdout.strip()


def run_meta() -> dict[str, Any]:
    """What every benchmark run records first: commit, date, machine, versions, load."""
    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "versions": versions(),
        "load_at_start": os.getloadavg(),
    }


def save_run(path: Path, doc: dict[str, Any]) -> None:
    """Write a run's figures (``--json OUT``), its folder made if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")


def fmt_x(v: float | None) -> str:
    if v is None:
        return "—"
    return ">9999×" if v > 9999 else f"{v:.0f}×" if v >= 100 else f"{v:.1f}×"


def fmt_mb(v: float | None) -> str:
    return "—" if v is None else f"{v:.0f} MB"
