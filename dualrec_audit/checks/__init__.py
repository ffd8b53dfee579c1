"""Layer-1 checks, one module each: faces, speech, transcript, script, video quality.

Frame checks (faces, video) receive sampled frames through ``update(t, frame)`` and produce
their :class:`~dualrec_audit.result.CheckResult` in ``finish(duration_s)``, so that every
frame is decoded once for all of them.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from dualrec_audit.i18n import event_message
from dualrec_audit.result import CheckResult, Event, Party, Severity


class FrameCheck(Protocol):
    name: str

    def update(self, t: float, frame: np.ndarray) -> None: ...

    def finish(self, duration_s: float) -> CheckResult: ...


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
