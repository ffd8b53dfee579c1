"""Layer 1: the atomic checks, one module each (faces, talk, speech, transcript, script,
documents, video quality), each scoring the recording on a per-second timeline. This module
holds what they share: the frame-check interface, OpenCV's thread pool and event spans.

Frame checks (faces, video) receive sampled frames through ``update(t, frame)`` and produce
their :class:`~dualrec_audit.core.result.CheckResult` in ``finish(duration_s)``, so that every
frame is decoded once for all of them.

They run beside the decoder's threads and the sound's thread, so OpenCV's own pool is kept to
half the cores (:func:`opencv_threads`): on two cores its second thread only fought the decoder
for the same core (the checks of a 720p minute took 15-20 % longer with it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from dualrec_audit.core.i18n import event_message
from dualrec_audit.core.result import CheckResult, Event, Party, Severity


class FrameCheck(Protocol):
    name: str

    def update(self, t: float, frame: np.ndarray) -> None: ...

    def finish(self, duration_s: float) -> CheckResult: ...


def frame_check_threads(cores: int, current: int) -> int:
    """OpenCV threads for the frame checks: half the cores (at least one), never more than
    the process already allows (a scan's workers share the cores out)."""
    return max(1, min(current if current > 0 else cores, cores // 2))


@contextlib.contextmanager
def opencv_threads(cores: int) -> Iterator[int]:
    """OpenCV's thread pool sized by :func:`frame_check_threads` for a block, then restored;
    yields the threads used."""
    import cv2

    before = cv2.getNumThreads()
    n = frame_check_threads(cores, before)
    cv2.setNumThreads(n)
    try:
        yield n
    finally:
        cv2.setNumThreads(before)


def span_events(
    check: str,
    spans: list[tuple[float, float]],
    duration_s: float,
    severity: Severity,
    *,
    party: Party | None = None,
    details: dict[str, str] | None = None,
) -> list[Event]:
    """One event per (start, end) span, clipped to the recording, with its zh/en message."""
    return [
        Event(
            check=check,
            start=s,
            end=min(e, duration_s),
            severity=severity,
            party=party,
            message=event_message(check, party, **(details or {})),
            details=dict(details or {}),
        )
        for s, e in spans
    ]
