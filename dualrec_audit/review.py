"""What the reviewer UI computes, without Qt: player positions, next/previous stops, the queue
order and the minutes left, transcript colouring, the pre-check verdict and language choice.

The Qt views (``ui/``) only display what these functions return, so the behaviour a reviewer
relies on is tested here without a display.

Times: the audit speaks seconds (float); the player speaks milliseconds (int). Every
conversion goes through :func:`to_position` and :func:`to_seconds`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dualrec_audit.core.i18n import advice_for
from dualrec_audit.core.result import AuditResult, Finding, MediaInfo, StageStatus, Text, Word
from dualrec_audit.store.database import RunSummary
from dualrec_audit.workflow.watch import script_by_ear, watch_intervals, watch_seconds

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

QueueStatus = Literal[
    "appealed", "review", "escalated", "second", "rerecord", "error", "approve", "done"
]
# Queue order: appeals first (a teller is waiting), the machine's "review", then what a
# senior reviewer must settle (escalations, approvals awaiting a second senior), then
# re-records to confirm, then files that could not be audited (someone must look at them),
# then auto-approved recordings (spot checks), then what reviewers already decided.
QUEUE_ORDER: tuple[QueueStatus, ...] = (
    "appealed",
    "review",
    "escalated",
    "second",
    "rerecord",
    "error",
    "approve",
    "done",
)
TO_REVIEW: tuple[QueueStatus, ...] = ("review", "rerecord")  # flagged and not yet reviewed
FOR_SENIORS: tuple[QueueStatus, ...] = ("escalated", "second")
STANDING_STATUS: dict[str, QueueStatus] = {
    "appealed": "appealed",
    "escalated": "escalated",
    "second": "second",
    "approved": "done",
    "rerecord": "done",
}


def queue_status(decision: str, verdict: str | None, standing: str | None = None) -> QueueStatus:
    """Where a recording stands: the workflow's standing (``workflow.State.standing``) if
    known, else the reviewer's verdict, if any, else the machine's decision."""
    if standing in STANDING_STATUS:
        return STANDING_STATUS[standing]
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
    customer: str | None = None
    product: str | None = None
    recorded_at: str | None = None  # local "YYYY-MM-DD HH:MM" of the recording's file
    assignee: str | None = None
    business: Text | None = None  # the business profile's name


def queue_item(
    run: RunSummary,
    result: AuditResult | None,
    claimed_by: str | None = None,
    standing: str | None = None,
) -> QueueItem:
    """A queue item from a stored run and its result (None: not loaded, nothing to watch)."""
    status = queue_status(run.decision, run.verdict, standing)
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
        customer=run.meta.customer_ref,
        product=run.meta.product,
    )


def actionable(item: QueueItem, username: str, senior: bool) -> bool:
    """A recording this reviewer can decide now: flagged or appealed (escalations and
    approvals awaiting a second senior for seniors), not held or assigned by someone else."""
    wanted = TO_REVIEW + ("appealed",) + (FOR_SENIORS if senior else ())
    if item.status not in wanted:
        return False
    if item.claimed_by not in (None, username):
        return False
    return item.assignee in (None, username)


def next_in_queue(
    items: Sequence[QueueItem], after_run: int | None, username: str, senior: bool
) -> QueueItem | None:
    """The recording to open after a decision: the first actionable one in queue order
    after the one just decided (wrapping round), never the same one."""
    order = [i for i in items if i.run_id != after_run and actionable(i, username, senior)]
    if not order:
        return None
    start = next((k for k, i in enumerate(items) if i.run_id == after_run), -1)
    later = [i for i in items[start + 1 :] if i in order]
    return later[0] if later else order[0]


def page_of(count: int, page: int, size: int) -> tuple[int, int, int]:
    """(first row, rows on it, pages) of page ``page`` (from 0, clamped) of ``size`` rows."""
    pages = max(1, -(-count // size))
    page = max(0, min(page, pages - 1))
    first = page * size
    return first, max(0, min(size, count - first)), pages


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


def transcript_lines(
    spans: Sequence[Span],
    pause_s: float = 1.2,
    max_chars: int = 36,
    speakers: Sequence[str | None] | None = None,
) -> list[int]:
    """Indices of the spans that start a new line: after a pause, when a line is full, or when
    another party speaks (``speakers``: who said each span, see :func:`span_speakers`)."""
    starts: list[int] = []
    chars = 0
    talker: str | None = None
    for i, s in enumerate(spans):
        who = speakers[i] if speakers is not None else None
        turn = who is not None and talker is not None and who != talker
        if (
            i == 0
            or s.start - spans[i - 1].end >= pause_s
            or chars + len(s.text) > max_chars
            or turn
        ):
            starts.append(i)
            chars = 0
            talker = None
        chars += len(s.text)
        talker = talker or who
    return starts


def span_speakers(result: AuditResult, spans: Sequence[Span]) -> list[str | None]:
    """Who said each transcript word: the talk label (``staff``, ``customer``, ``both``,
    ``off_screen``) over most of it, None where the talk check says nothing."""
    from dualrec_audit.rules.attribution import speaker_of

    return [speaker_of(result.talk, s.start, s.end)[0] for s in spans]


def line_speaker(speakers: Sequence[str | None], first: int, end: int) -> str | None:
    """Who speaks the line of spans [first, end): its first known speaker."""
    return next((w for w in speakers[first:end] if w is not None), None)


def current_span(starts: Sequence[float], seconds: float) -> int | None:
    """The word being spoken at ``seconds`` (``starts``: the words' start times, in order),
    else the last one before it; None before the first."""
    i = bisect.bisect_right(starts, seconds) - 1
    return i if i >= 0 else None


def missing_stages(result: AuditResult) -> list[StageStatus]:
    """Stages of the profile that were listened for and not heard (red in the transcript)."""
    return [s for s in result.stages if s.status == "missing"]


# -- texts a reviewer reads ---------------------------------------------------------------------

_COMMAND = re.compile(r"\s*[（(][^（）()]*dualrec-audit[^（）()]*[）)]")
ASK_ADMIN = Text("请联系管理员安装", "ask the administrator to install it")


def for_reviewer(text: Text) -> Text:
    """A stored message without the command line in it (a reviewer never runs one): the
    parenthesised ``dualrec-audit …`` hint becomes "ask the administrator"."""
    if "dualrec-audit" not in text.zh + text.en:
        return text
    zh = _COMMAND.sub("", text.zh).replace("dualrec-audit", "").strip()
    en = _COMMAND.sub("", text.en).replace("dualrec-audit", "").strip()
    return Text(f"{zh}（{ASK_ADMIN.zh}）", f"{en} ({ASK_ADMIN.en})")


def fmt_tenths(seconds: float) -> str:
    """00:12.3 (or 1:00:12.3): the review view's clock, to the tenth of a second."""
    t = max(0, round(seconds * 10))
    whole, tenth = divmod(t, 10)
    h, rem = divmod(whole, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}.{tenth}" if h else f"{m:02d}:{sec:02d}.{tenth}"


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


PrecheckState = Literal["pass", "fail", "unverified"]


@dataclass(frozen=True)
class Precheck:
    """``passed`` (the green pass) only when nothing is to fix *and* the script was verified;
    ``state`` "unverified" when nothing is to fix but the script (or a stage) could not be
    checked, which ``unchecked`` says in words."""

    passed: bool
    items: tuple[FixItem, ...]  # what to fix, in time order (whole-recording items last)
    notes: tuple[Text, ...]  # not the teller's doing (a check that could not run)
    error: Text | None = None  # why the recording cannot be checked, and what to do
    state: PrecheckState = "fail"
    unchecked: tuple[Text, ...] = ()


# What a teller reads when the recording cannot be checked: what happened and what to do.
MEDIA_ERRORS = {
    "truncated": Text(
        "录像文件不完整（录制中断或未完整拷贝）：请确认录制已正常结束，重新拷贝文件；仍不行请重新录制",
        "The file is incomplete (recording cut off or not fully copied): make sure the "
        "recording was stopped properly and copy the file again; if that fails, record again",
    ),
    "not_media": Text(
        "这不是录像文件：请选择录制设备导出的视频文件（如 .mp4）",
        "This is not a video: choose the video file the recorder exported (such as .mp4)",
    ),
    "corrupt": Text(
        "录像文件已损坏，无法读取画面：请重新拷贝文件；仍不行请重新录制",
        "The file is damaged and no picture can be read: copy it again; if that fails, "
        "record again",
    ),
    "empty_file": Text(
        "文件是空的（0 字节）：请重新拷贝录像文件",
        "The file is empty (0 bytes): copy the recording again",
    ),
    "zero_length": Text(
        "录像时长为零：请检查录制设备后重新录制",
        "The recording has no length: check the recorder and record again",
    ),
    "no_video": Text(
        "文件里没有画面，只有声音：请使用双录设备录制带画面的视频",
        "The file has no picture: record a video with the dual-recording device",
    ),
    "not_found": Text(
        "找不到这个文件：它可能已被移动或删除，请重新选择",
        "The file cannot be found: it may have been moved or deleted; choose it again",
    ),
    "not_a_file": Text("这不是一个文件：请选择录像文件", "This is not a file: choose the video"),
    "unreadable": Text(
        "无法打开这个文件（可能没有权限或文件正在使用）：请关闭其他程序后重试，或联系管理员",
        "The file cannot be opened (no permission, or in use): close other programs and try "
        "again, or ask the administrator",
    ),
}
OTHER_ERROR = Text(
    "无法检查这段录像：请重新选择文件再试一次；仍不行请联系管理员",
    "The recording cannot be checked: choose the file again; if that fails, ask the administrator",
)


def error_text(code: str) -> Text:
    """A failed audit's error, for a teller or reviewer: in their language, saying what to do."""
    return MEDIA_ERRORS.get(code, OTHER_ERROR)


SCRIPT_UNCHECKED = Text(
    "未能核对话术：本机不能识别语音，是否讲全必讲话术要由复核员人工收听确认",
    "The script could not be checked: this computer cannot recognise speech, so a reviewer "
    "will listen for the required phrases",
)


def _unchecked(result: AuditResult) -> tuple[Text, ...]:
    """What the audit could not verify, in words a teller understands."""
    out: list[Text] = []
    if script_by_ear(result):
        out.append(SCRIPT_UNCHECKED)
    stages = [s for s in result.stages if s.status == "not_verified" and s.required]
    if stages:
        zh = "、".join(s.name.zh for s in stages)
        en = ", ".join(s.name.en for s in stages)
        out.append(Text(f"未能确认这些环节：{zh}", f"These stages could not be confirmed: {en}"))
    return tuple(out)


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
        return Precheck(False, (), (), error=error_text(result.error.code), state="fail")
    notes = tuple(
        for_reviewer(f.reason) for f in result.findings if f.rule.startswith("not_evaluable.")
    )
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
    unchecked = _unchecked(result)
    state: PrecheckState = "fail" if failed else "unverified" if unchecked else "pass"
    return Precheck(state == "pass", tuple(items), notes, state=state, unchecked=unchecked)


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
