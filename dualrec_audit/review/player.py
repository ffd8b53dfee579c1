"""Where the reviewer's player goes and what it draws: positions, stops, seek targets, face boxes.

Times: the audit speaks seconds (float); the player speaks milliseconds (int). Every conversion
goes through :func:`to_position` and :func:`to_seconds`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import Any

from dualrec_audit.core.result import AuditResult, MediaInfo
from dualrec_audit.workflow.watch import watch_intervals

PREROLL_S = 2.0  # seconds shown before each place to watch

STOP_TOLERANCE_MS = 50  # "next" skips a stop the player is already on (within this)

PREVIOUS_GRACE_MS = 1000  # "previous" within this after a stop goes to the one before it


def to_position(seconds: float) -> int:
    """Seconds (audit time) -> player position in whole milliseconds, never negative."""
    return max(0, round(seconds * 1000))


def to_seconds(position_ms: int) -> float:
    """Player position in milliseconds -> seconds (audit time)."""
    return position_ms / 1000.0


def stops(result: AuditResult, preroll: float = PREROLL_S) -> list[int]:
    """Player positions of the places to watch: the start of each watch interval (which
    already includes the pre-roll, clamped at 0), in order."""
    return [to_position(start) for start, _ in watch_intervals(result, preroll)]


def next_stop(stop_list: Sequence[int], position_ms: int) -> int | None:
    """The first stop after ``position_ms`` (one the player is already on is skipped)."""
    i = bisect.bisect_right(stop_list, position_ms + STOP_TOLERANCE_MS)
    return stop_list[i] if i < len(stop_list) else None


def previous_stop(stop_list: Sequence[int], position_ms: int) -> int | None:
    """The last stop before ``position_ms``; within a second after a stop, the one before it
    (as a music player's "previous" does)."""
    i = bisect.bisect_left(stop_list, position_ms - PREVIOUS_GRACE_MS)
    return stop_list[i - 1] if i > 0 else None


def seek_target(start: float, preroll: float = PREROLL_S) -> int:
    """Where clicking a finding (a marker or a row of the list) puts the player."""
    return to_position(max(0.0, start - preroll))


def covers_recording(start: float, end: float, duration: float) -> bool:
    """A finding about the whole recording (a stage not heard, a check not evaluable)."""
    return start <= 1e-3 and end >= duration - 1e-3


def listed_first(start: float, end: float, duration: float) -> tuple[int, float, float]:
    """Sort key of the findings list: located findings by time, whole-recording ones last."""
    return (1 if covers_recording(start, end, duration) else 0, start, end)


Box = tuple[str, float, float, float, float]  # party, x, y, w, h


def track_frame_size(media: MediaInfo, max_side: int = 1920) -> tuple[int, int]:
    """(width, height) of the pictures the faces check saw, which its box coordinates refer
    to: upright, and scaled down as ``media.sample_frames`` does for pictures over 1920 px."""
    scale = min(1.0, max_side / max(media.width, media.height))
    w = int(round(media.width * scale / 2) * 2)
    h = int(round(media.height * scale / 2) * 2)
    return (h, w) if media.rotation % 180 else (w, h)


class FaceTracks:
    """The faces check's boxes (``details["tracks"]``: [t, party, x, y, w, h] per sampled
    frame and party), looked up by time."""

    def __init__(self, tracks: Iterable[Sequence[Any]], window: float = 0.5):
        self.window = window
        by_time: dict[float, list[Box]] = {}
        for t, party, x, y, w, h in tracks:
            by_time.setdefault(float(t), []).append(
                (str(party), float(x), float(y), float(w), float(h))
            )
        self.times = sorted(by_time)
        self.boxes = by_time

    @classmethod
    def of(cls, result: AuditResult) -> FaceTracks:
        faces = result.checks.get("faces")
        return cls(faces.details.get("tracks") or () if faces is not None else ())

    def at(self, seconds: float) -> list[Box]:
        """The boxes found in the sampled frame nearest ``seconds`` (a party not detected in
        that frame has none); nothing when no frame was sampled within the window."""
        i = bisect.bisect_left(self.times, seconds)
        near = [j for j in (i - 1, i) if 0 <= j < len(self.times)]
        if not near:
            return []
        best = self.times[min(near, key=lambda j: abs(self.times[j] - seconds))]
        return list(self.boxes[best]) if abs(best - seconds) <= self.window else []
