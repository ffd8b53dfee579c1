"""What the review view shows about one audit run, read in the database worker
(``load_review``: the result, the listed findings, the claim, decisions, appeals and
verdicts), and ``local_time``, how stored time stamps are shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dualrec_audit.core.result import AuditResult
from dualrec_audit.review.player import listed_first
from dualrec_audit.store.database import Store
from dualrec_audit.store.records import (
    ClaimedError,
    RunSummary,
    StoredClaim,
    StoredDecision,
    StoredFeedback,
    StoredFinding,
)
from dualrec_audit.store.workflow import StoredAppeal
from dualrec_audit.workflow.policy import State


@dataclass
class ReviewData:
    """Everything the view shows about one audit run (read in the database worker)."""

    summary: RunSummary
    result: AuditResult
    findings: list[StoredFinding]  # the findings list, in display order
    false_alarms: set[int]
    video: str | None  # an existing file of the recording, if any
    claim: StoredClaim | None  # ours
    claimed_by: ClaimedError | None  # someone else's
    decisions: list[StoredDecision]
    state: State | None = None  # where the recording stands in the workflow
    appeals: list[StoredAppeal] = field(default_factory=list)
    verdicts: dict[int, StoredFeedback] = field(default_factory=dict)  # finding id -> latest
    audited_sha256: str = ""  # the file the audit read
    audited_size: int = 0


def listed_findings(result: AuditResult, stored: list[StoredFinding]) -> list[StoredFinding]:
    """The business profile's findings (each names its rule and evidence); the layer-1 events
    when the run had no profile. Located ones by time, then those about the whole recording."""
    source = "rule" if result.profile is not None else "event"
    rows = [f for f in stored if f.source == source]
    d = result.duration_s
    return sorted(rows, key=lambda f: listed_first(f.event.start, f.event.end, d))


def load_review(store: Store, run_id: int, reviewer: str, claim: bool) -> ReviewData:
    summary = store.run(run_id)
    result = store.result(run_id)
    findings = listed_findings(result, store.stored_findings(run_id))
    video = next(
        (p for p in [result.file, *store.paths(summary.recording_id)] if Path(p).is_file()),
        None,
    )
    mine: StoredClaim | None = None
    other: ClaimedError | None = None
    if claim and reviewer:
        try:
            mine = store.claim(summary.recording_id, reviewer)
        except ClaimedError as exc:
            other = exc
    verdicts = {f.finding_id: f for f in store.feedback(run_id)}
    sha256, size = store.audited_file(summary.recording_id)
    return ReviewData(
        summary=summary,
        result=result,
        findings=findings,
        false_alarms={i for i, f in verdicts.items() if f.label == "false_alarm"},
        video=video,
        claim=mine,
        claimed_by=other,
        decisions=store.decisions(summary.recording_id),
        state=store.state(summary.recording_id),
        appeals=store.appeals(summary.recording_id),
        verdicts=verdicts,
        audited_sha256=sha256,
        audited_size=size,
    )


def local_time(stamp: str) -> str:
    """An ISO UTC stamp as local "YYYY-MM-DD HH:MM"."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp
