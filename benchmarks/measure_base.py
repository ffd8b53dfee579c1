"""What every measurement in a child process shares: the moment the process started
(``T_START``, its set-up is timed from there), a pass's seconds per part with its wall and CPU
time, the peak memory, the file's probe and decode plan, and the memory watch per stage.

Only the standard library is imported here; dualrec_audit is imported inside the functions,
as part of each measurement's set-up.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.procfs import rss_mb

T_START = time.perf_counter()


def cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def peak_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


class Pass:
    """Seconds per part of one pass over the file, with wall and CPU time."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}
        self.t0 = time.perf_counter()
        self.c0 = cpu_s()

    def add(self, part: str, seconds: float) -> None:
        self.parts[part] = self.parts.get(part, 0.0) + seconds

    def done(self, **extra: Any) -> dict[str, Any]:
        return {
            "parts": self.parts,
            "wall_s": time.perf_counter() - self.t0,
            "cpu_s": cpu_s() - self.c0,
            **extra,
        }


def plan_of(path: Path, info: Any, args: argparse.Namespace) -> Any:
    from dualrec_audit.media.plan import decode_plan

    return decode_plan(path, info, args.fps, exact=args.decode == "exact")


def info_of(path: Path) -> Any:
    from dualrec_audit.media.probe import probe

    return probe(path)


class RssWatch:
    """The peak resident memory while each stage is under way (sampled every 50 ms in a
    thread; ``stage`` is set by the progress hook). "frames" includes the sound thread's work,
    which runs meanwhile."""

    def __init__(self) -> None:
        import threading

        self.stage = "probe"
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            mb = rss_mb()
            self.peaks[self.stage] = max(self.peaks.get(self.stage, 0.0), round(mb, 1))

    def __enter__(self) -> RssWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
