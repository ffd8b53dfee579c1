"""How much slower than usual this machine runs now, for the few tests whose bound is a wall
time: a real-time hint, a reader beside a writer, a hang guard around a cluster scan.

The pace is the 1-minute load average over twice the cores, at least 1: a 2-core machine
running the suite's two workers, each with a helper thread or a subprocess, sits near a load
of 4 and keeps the bounds as written; at a load of 12 (other work beside the suite) every
runnable thread gets a third of the time it had, and a bound written for the quiet machine is
three times as long. A bound scaled by it still catches what it is there for (a reader waiting
for a whole audit, a hint that never comes, a scan that hangs) and says the pace it allowed.
"""

from __future__ import annotations

import os


def pace() -> float:
    """The factor by which this machine is slower than a quiet one now (>= 1)."""
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this platform: assume a quiet machine
        return 1.0
    return max(1.0, load / (2 * (os.cpu_count() or 1)))


def paced(seconds: float) -> float:
    """``seconds`` at the machine's pace now."""
    return seconds * pace()
