"""Layer-1 checks, one module each: faces, speech, transcript, script, video quality.

Frame checks (faces, video) receive sampled frames through ``update(t, frame)`` and produce
their :class:`~dualrec_audit.result.CheckResult` in ``finish(duration_s)``, so that every
frame is decoded once for all of them.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from dualrec_audit.result import CheckResult


class FrameCheck(Protocol):
    name: str

    def update(self, t: float, frame: np.ndarray) -> None: ...

    def finish(self, duration_s: float) -> CheckResult: ...
