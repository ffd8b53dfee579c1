"""Video quality: dark, overexposed, blurred and frozen pictures, per sampled frame.

Blur is judged against the recording's own sharpness: a picture is blurred when its sharpness
(99th percentile of |Laplacian|) falls under ``blur_relative`` times the recording's typical
sharp level (the ``blur_reference_pct`` percentile of its lit, not overexposed samples), or
under the absolute floor ``blur_sharpness``. A fixed threshold alone misses a defocused
stretch of a sharp recording: a Gaussian blur of sigma 8 px (1280x720) drops the measure from
about 340 to 28, far above a fixed 12.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dualrec_audit.checks import span_events
from dualrec_audit.core.result import CheckResult, Event, Severity, per_second, runs, seconds_of

ANALYSIS_WIDTH = 320


@dataclass(frozen=True)
class VideoParams:
    dark_luma: float = 40.0  # mean luma (0-255) under which a picture is dark
    bright_luma: float = 225.0  # mean luma over which a picture is overexposed
    saturated_share: float = 0.4  # or: this share of pixels at >= 250
    blur_sharpness: float = 12.0  # 99th percentile of |Laplacian| under which it is blurred
    blur_relative: float = 0.4  # ... or under this share of the recording's sharp level
    blur_reference_pct: float = 90.0  # the recording's sharp level: this percentile
    frozen_diff: float = 0.05  # mean abs difference (0-255) between samples: frozen
    min_duration_s: float = 2.0
    frozen_min_duration_s: float = 2.5


class VideoQualityCheck:
    name = "video"

    def __init__(self, params: VideoParams | None = None, sample_step: float = 0.5):
        self.p = params or VideoParams()
        self.step = sample_step
        self.times: list[float] = []
        self.luma: list[float] = []
        self.saturated: list[float] = []
        self.sharpness: list[float] = []
        self.diff: list[float] = []
        self._prev: np.ndarray | None = None

    def update(self, t: float, frame: np.ndarray) -> None:
        import cv2

        h, w = frame.shape[:2]
        small = cv2.resize(frame, (ANALYSIS_WIDTH, max(1, round(h * ANALYSIS_WIDTH / w))))
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        self.times.append(t)
        self.luma.append(float(gray.mean()))
        self.saturated.append(float((gray >= 250).mean()))
        lap = np.abs(cv2.Laplacian(gray, cv2.CV_16S, ksize=3))
        self.sharpness.append(float(np.percentile(lap, 99)))
        g = gray.astype(np.int16)
        self.diff.append(float(np.abs(g - self._prev).mean()) if self._prev is not None else 1e9)
        self._prev = g

    def finish(self, duration_s: float) -> CheckResult:
        p = self.p
        dark = [v < p.dark_luma for v in self.luma]
        bright = [
            v > p.bright_luma or s > p.saturated_share
            for v, s in zip(self.luma, self.saturated, strict=True)
        ]
        # A dark or flat picture has no edges: do not call it blurred as well.
        reference = self.sharp_level(dark, bright)
        floor = max(p.blur_sharpness, p.blur_relative * reference)
        blur = [
            s < floor and not d and not b
            for s, d, b in zip(self.sharpness, dark, bright, strict=True)
        ]
        # Near-black pictures barely change from frame to frame: those are dark, not frozen.
        frozen = [d < p.frozen_diff and not k for d, k in zip(self.diff, dark, strict=True)]
        # A frozen run starts at the sample that was repeated, one step before the first match.
        frozen = [f or (i + 1 < len(frozen) and frozen[i + 1]) for i, f in enumerate(frozen)]
        events: list[Event] = []
        table: tuple[tuple[str, list[bool], float, Severity], ...] = (
            ("dark", dark, p.min_duration_s, "medium"),
            ("overexposed", bright, p.min_duration_s, "medium"),
            ("blur", blur, p.min_duration_s, "low"),
            ("frozen", frozen, p.frozen_min_duration_s, "medium"),
        )
        # Only samples inside an event lower the timeline, so every low second is explained.
        in_event: dict[str, list[bool]] = {}
        for check, flags, min_dur, sev in table:
            spans = runs(self.times, flags, self.step, min_duration=min_dur, max_gap=self.step)
            in_event[check] = [any(s <= t < e for s, e in spans) for t in self.times]
            events.extend(span_events(check, spans, duration_s, sev))
        scores = [
            0.0 if d or f else 0.3 if b else 0.6 if bl else 1.0
            for d, b, bl, f in zip(
                in_event["dark"],
                in_event["overexposed"],
                in_event["blur"],
                in_event["frozen"],
                strict=True,
            )
        ]
        n = seconds_of(duration_s)
        return CheckResult(
            name=self.name,
            status="ok",
            timeline=tuple(per_second(self.times, scores, n)),
            events=tuple(events),
            details={
                "samples": len(self.times),
                "mean_luma": round(float(np.mean(self.luma)), 1) if self.luma else None,
                "sharp_level": round(reference, 1),
                "blur_below": round(floor, 1),
            },
        )

    def sharp_level(self, dark: list[bool], bright: list[bool]) -> float:
        """The recording's typical sharp level (0 when no sample is lit and not overexposed)."""
        lit = [s for s, d, b in zip(self.sharpness, dark, bright, strict=True) if not d and not b]
        return float(np.percentile(lit, self.p.blur_reference_pct)) if lit else 0.0
