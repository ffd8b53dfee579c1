"""What the reviewer UI computes, without Qt: player positions, next/previous stops, the queue
order and the minutes left, transcript colouring, the pre-check verdict and language choice.

The Qt views (``ui/``) only display what these functions return, so the behaviour a reviewer
relies on is tested here without a display.

Times: the audit speaks seconds (float); the player speaks milliseconds (int). Every
conversion goes through :func:`to_position` and :func:`to_seconds`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dualrec_audit.db.store import RunSummary
from dualrec_audit.i18n import advice_for
from dualrec_audit.result import AuditResult, Finding, MediaInfo, StageStatus, Text, Word
from dualrec_audit.watch import script_by_ear, watch_intervals, watch_seconds

PREROLL_S = 2.0  # seconds shown before each place to watch
STOP_TOLERANCE_MS = 50  # "next" skips a stop the player is already on (within this)
PREVIOUS_GRACE_MS = 1000  # "previous" within this after a stop goes to the one before it

# -- positions ---------------------------------------------------------------------------------


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


# -- findings ---------------------------------------------------------------------------------


def covers_recording(start: float, end: float, duration: float) -> bool:
    """A finding about the whole recording (a stage not heard, a check not evaluable)."""
    return start <= 1e-3 and end >= duration - 1e-3


def listed_first(start: float, end: float, duration: float) -> tuple[int, float, float]:
    """Sort key of the findings list: located findings by time, whole-recording ones last."""
    return (1 if covers_recording(start, end, duration) else 0, start, end)


# -- the queue ---------------------------------------------------------------------------------

QueueStatus = Literal["review", "escalated", "rerecord", "error", "approve", "done"]
# Queue order: the machine's "review" first, then what a senior reviewer must settle, then
# re-records to confirm, then files that could not be audited (someone must look at them),
# then auto-approved recordings (spot checks), then what a reviewer already decided.
QUEUE_ORDER: tuple[QueueStatus, ...] = (
    "review",
    "escalated",
    "rerecord",
    "error",
    "approve",
    "done",
)
TO_REVIEW: tuple[QueueStatus, ...] = ("review", "rerecord")  # flagged and not yet reviewed


def queue_status(decision: str, verdict: str | None) -> QueueStatus:
    """Where a recording stands: the reviewer's verdict, if any, else the machine's decision."""
    if verdict == "escalate":
        return "escalated"
    if verdict is not None:
        return "done"
    if decision in ("review", "rerecord", "approve"):
        return decision  # type: ignore[return-value]
    return "error"


@dataclass(frozen=True)
class QueueItem:
    """One recording as the queue shows it (the latest audit run of the recording)."""

    run_id: int
    recording_id: int
    name: str
    path: str
    status: QueueStatus
    decision: str
    score: float
    duration_s: float
    finished_at: str
    profile_id: str | None = None
    branch: str | None = None
    teller: str | None = None
    watch_s: float = 0.0  # seconds to watch (watch_seconds) for a flagged recording
    by_ear: bool = False  # the script must be listened to (script_by_ear)
    verdict: str | None = None
    reviewer: str | None = None
    claimed_by: str | None = None
    error: str | None = None


def queue_item(
    run: RunSummary, result: AuditResult | None, claimed_by: str | None = None
) -> QueueItem:
    """A queue item from a stored run and its result (None: not loaded, nothing to watch)."""
    status = queue_status(run.decision, run.verdict)
    ok = result is not None and result.error is None
    return QueueItem(
        run_id=run.run_id,
        recording_id=run.recording_id,
        name=run.name,
        path=run.path,
        status=status,
        decision=run.decision,
        score=run.score,
        duration_s=run.duration_s,
        finished_at=run.finished_at,
        profile_id=run.profile_id,
        branch=run.meta.branch,
        teller=run.meta.teller,
        watch_s=watch_seconds(result, PREROLL_S) if ok and result is not None else 0.0,
        by_ear=ok and result is not None and script_by_ear(result),
        verdict=run.verdict,
        reviewer=run.reviewer,
        claimed_by=claimed_by,
        error=run.error_message,
    )


def queue_key(item: QueueItem) -> tuple[int, float, str, int]:
    """Queue order: by status (QUEUE_ORDER), then lowest score, then oldest audit first."""
    return (QUEUE_ORDER.index(item.status), item.score, item.finished_at, item.run_id)


def order_queue(items: Iterable[QueueItem]) -> list[QueueItem]:
    return sorted(items, key=queue_key)


@dataclass(frozen=True)
class Workload:
    """What is left to review: flagged recordings without a reviewer's verdict."""

    recordings: int
    watch_s: float  # seconds to watch in them (low-score segments with pre-roll)
    by_ear: int  # of them, recordings whose script must also be listened to
    by_ear_s: float  # their total duration

    @property
    def minutes(self) -> float:
        return self.watch_s / 60.0


def workload(items: Iterable[QueueItem]) -> Workload:
    todo = [i for i in items if i.status in TO_REVIEW]
    ear = [i for i in todo if i.by_ear]
    return Workload(
        recordings=len(todo),
        watch_s=sum((i.watch_s for i in todo), 0.0),
        by_ear=len(ear),
        by_ear_s=sum((i.duration_s for i in ear), 0.0),
    )


# -- transcript --------------------------------------------------------------------------------

SpanKind = Literal["plain", "required", "forbidden"]


@dataclass(frozen=True)
class Span:
    """A transcript word with how to colour it."""

    start: float
    end: float
    text: str
    kind: SpanKind


def _matches(result: AuditResult) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    script = result.checks.get("script")
    required: list[tuple[float, float]] = []
    forbidden: list[tuple[float, float]] = []
    if script is None:
        return required, forbidden
    for r in script.details.get("required") or ():
        m = r.get("match") if r.get("found") else None
        if m:
            required.append((float(m["start"]), float(m["end"])))
    for f in script.details.get("forbidden") or ():
        m = f.get("match")
        if m:
            forbidden.append((float(m["start"]), float(m["end"])))
    return required, forbidden


def _overlaps(w: Word, spans: Iterable[tuple[float, float]]) -> bool:
    return any(w.start < e and w.end > s for s, e in spans)


def transcript_spans(result: AuditResult) -> list[Span]:
    """The transcript word by word: words of a required phrase that was heard are
    ``required`` (green), words of a forbidden phrase are ``forbidden`` (red)."""
    required, forbidden = _matches(result)
    out = []
    for w in result.transcript:
        kind: SpanKind = (
            "forbidden"
            if _overlaps(w, forbidden)
            else "required"
            if _overlaps(w, required)
            else "plain"
        )
        out.append(Span(w.start, w.end, w.text, kind))
    return out


def transcript_lines(spans: Sequence[Span], pause_s: float = 1.2, max_chars: int = 36) -> list[int]:
    """Indices of the spans that start a new line: after a pause, or when a line is full."""
    starts: list[int] = []
    chars = 0
    for i, s in enumerate(spans):
        if i == 0 or s.start - spans[i - 1].end >= pause_s or chars + len(s.text) > max_chars:
            starts.append(i)
            chars = 0
        chars += len(s.text)
    return starts


def current_span(starts: Sequence[float], seconds: float) -> int | None:
    """The word being spoken at ``seconds`` (``starts``: the words' start times, in order),
    else the last one before it; None before the first."""
    i = bisect.bisect_right(starts, seconds) - 1
    return i if i >= 0 else None


def missing_stages(result: AuditResult) -> list[StageStatus]:
    """Stages of the profile that were listened for and not heard (red in the transcript)."""
    return [s for s in result.stages if s.status == "missing"]


# -- pre-check (the teller's window) ------------------------------------------------------------


@dataclass(frozen=True)
class FixItem:
    """One thing the teller should fix: what, when (None: the whole recording) and how."""

    rule: str
    text: Text
    advice: Text | None
    start: float | None
    end: float | None
    severity: str
    mandatory: bool

    @property
    def thumbnail_at(self) -> float | None:
        """Where the thumbnail is taken: just after the start, inside the problem."""
        if self.start is None or self.end is None:
            return None
        return self.start + min(0.5, (self.end - self.start) / 2)


@dataclass(frozen=True)
class Precheck:
    passed: bool
    items: tuple[FixItem, ...]  # what to fix, in time order (whole-recording items last)
    notes: tuple[Text, ...]  # not the teller's doing (a check that could not run)
    error: str | None = None


def _item(f: Finding, duration: float) -> FixItem:
    whole = covers_recording(f.start, f.end, duration)
    return FixItem(
        rule=f.rule,
        text=f.reason,
        advice=advice_for(f.rule, f.evidence),
        start=None if whole else f.start,
        end=None if whole else f.end,
        severity=f.severity,
        mandatory=f.mandatory,
    )


def precheck(result: AuditResult) -> Precheck:
    """Pass or fail for the teller, right after recording.

    Fail when the recording would be re-recorded or cannot be audited, or when anything the
    teller can fix was found (every finding except a check that could not be evaluated and a
    low-severity one). A check that could not run (no speech model) is a note, not a failure:
    the reviewer will listen for the script."""
    if result.error is not None:
        return Precheck(False, (), (), error=result.error.message)
    notes = tuple(f.reason for f in result.findings if f.rule.startswith("not_evaluable."))
    fixable = [f for f in result.findings if not f.rule.startswith("not_evaluable.")]
    if result.profile is None:  # layer 1 alone: the events are the findings
        fixable = [
            Finding(f"event.{e.check}", e.start, e.end, e.severity, e.message)
            for e in result.events
        ]
    items = sorted(
        (_item(f, result.duration_s) for f in fixable),
        key=lambda i: (i.start is None, i.start or 0.0, i.rule),
    )
    failed = result.decision in ("rerecord", "error") or any(i.severity != "low" for i in items)
    return Precheck(not failed, tuple(items), notes)


# -- language ---------------------------------------------------------------------------------

LANG_ENV = "DUALREC_AUDIT_LANG"


def choose_language(
    explicit: str | None, env: str | None, setting: str | None, locale_name: str | None
) -> Literal["zh", "en"]:
    """The UI language: ``--lang``, else $DUALREC_AUDIT_LANG, else the saved setting, else
    English for an English locale; Simplified Chinese otherwise (the default)."""
    for value in (explicit, env, setting):
        if value:
            v = value.strip().lower()
            if v.startswith("en"):
                return "en"
            if v.startswith("zh"):
                return "zh"
    if locale_name and locale_name.lower().startswith("en"):
        return "en"
    return "zh"


# -- face boxes (the player's overlay) ------------------------------------------------------------

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
