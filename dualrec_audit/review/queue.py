"""The reviewers' queue: each recording's status, the order it is worked in, pages, the workload."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from dualrec_audit.core.result import AuditResult, Text
from dualrec_audit.review.player import PREROLL_S
from dualrec_audit.store.records import RunSummary
from dualrec_audit.workflow.watch import script_by_ear, watch_seconds

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
    error_code: str | None = None  # why the tool could not audit it (its stable code)
    replaced: bool = False  # its file was found replaced after the audit: to be audited anew


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
        error_code=run.error_code,
        customer=run.meta.customer_ref,
        product=run.meta.product,
    )


def actionable(item: QueueItem, username: str, senior: bool) -> bool:
    """A recording this reviewer can decide now: flagged or appealed (escalations and
    approvals awaiting a second senior for seniors), not held or assigned by someone else."""
    wanted = TO_REVIEW + ("appealed",) + (FOR_SENIORS if senior else ())
    if item.status not in wanted or item.replaced:
        return False
    if item.claimed_by not in (None, username):
        return False
    return item.assignee in (None, username)


def next_in_queue(
    items: Sequence[QueueItem],
    after_run: int | None,
    username: str,
    senior: bool,
    skip: Collection[int] = (),
) -> QueueItem | None:
    """The recording to open after a decision: the first actionable one in queue order
    after the one just decided (wrapping round), never the same one, nor one in ``skip``
    (recordings whose file could not be played in this session)."""
    order = [
        i
        for i in items
        if i.run_id != after_run and i.run_id not in skip and actionable(i, username, senior)
    ]
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
