"""What the store hands out and how its rows read: its errors, the frozen records
(recordings' metadata, run summaries, decisions, findings, marks, claims, verification
reports) and the functions that turn a row into a record or into the state the event log
keeps of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dualrec_audit.core.errors import ConfigError, DualrecError
from dualrec_audit.core.result import Event
from dualrec_audit.store.keys import digest, jsonable, now

META_FIELDS = ("branch", "teller", "customer_ref", "product")
# Who created the first administrator: nobody (an account made on a database that never had one).
FIRST_RUN = "(first run)"


class StoreError(DualrecError):
    """The database cannot take the write (disk full, read-only, gone): what was stored
    before is intact."""

    code = "store_error"


class ClaimedError(ConfigError):
    """The recording is being reviewed by someone else (their claim has not expired)."""

    code = "claimed"

    def __init__(self, recording_id: int, reviewer: str, expires_at: str):
        super().__init__(
            f"recording {recording_id} is being reviewed by {reviewer} (claim until {expires_at})"
        )
        self.recording_id = recording_id
        self.reviewer = reviewer
        self.expires_at = expires_at


@dataclass(frozen=True)
class RecordingMeta:
    """Business metadata of a recording (from a sidecar JSON, or entered by hand)."""

    branch: str | None = None
    teller: str | None = None
    customer_ref: str | None = None
    product: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {k: getattr(self, k) for k in META_FIELDS}


@dataclass(frozen=True)
class RunSummary:
    """One audit run with its recording, as the queue, export and reports list it."""

    run_id: int
    recording_id: int
    sha256: str
    path: str
    status: str
    decision: str
    score: float
    duration_s: float
    profile_id: str | None
    finished_at: str
    error_code: str | None = None
    error_message: str | None = None
    meta: RecordingMeta = field(default_factory=RecordingMeta)
    verdict: str | None = None  # the latest reviewer verdict, if any
    reviewer: str | None = None

    @property
    def name(self) -> str:
        return Path(self.path).name


@dataclass(frozen=True)
class StoredDecision:
    id: int
    recording_id: int
    run_id: int
    reviewer: str
    verdict: str
    reason_code: str | None
    reason_text: str | None
    created_at: str
    # The reviewer workflow (migration 0004); None on decisions made before it.
    role: str | None = None
    watched: tuple[tuple[float, float, float], ...] | None = None
    unwatched_reason: str | None = None
    change_reason: str | None = None
    appeal_id: int | None = None
    four_eyes: str | None = None
    listened: float | None = None  # share of the speech played (script checked by ear)


@dataclass(frozen=True)
class StoredFinding:
    """A stored finding with its database id (for marks and the UI)."""

    id: int
    run_id: int
    source: str  # event (layer 1) | rule (layer 2)
    ordinal: int
    event: Event  # check = the layer-1 event name or the layer-2 rule id


@dataclass(frozen=True)
class StoredFeedback:
    id: int
    finding_id: int
    run_id: int
    reviewer: str
    label: str
    note: str | None
    created_at: str


@dataclass(frozen=True)
class StoredClaim:
    recording_id: int
    reviewer: str
    claimed_at: str
    expires_at: str

    def expired(self, at: str | None = None) -> bool:
        return self.expires_at <= (at or now())


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    problems: tuple[str, ...]
    keyed: bool = False  # the chain is an HMAC with a key from outside the database
    anchors: int = 0  # heads recorded outside the database that were compared
    notes: tuple[str, ...] = ()  # what this verification could not guarantee

    @property
    def ok(self) -> bool:
        return not self.problems


def path_state(p: Any) -> dict[str, Any]:
    return {
        "recording_id": p.recording_id,
        "path": p.path,
        "path_hex": p.path_hex,
        "share_rel": p.share_rel,
        "size": p.size,
        "mtime_ns": p.mtime_ns,
    }


def recording_state(rec: Any) -> dict[str, Any]:
    return {
        "sha256": rec.sha256,
        "size": rec.size,
        "duration_s": rec.duration_s,
        **{k: getattr(rec, k) for k in META_FIELDS},
    }


def finding_event(f: Any) -> Event:
    return Event.from_dict(
        {
            "check": f.check,
            "party": f.party,
            "start": f.start,
            "end": f.end,
            "severity": f.severity,
            "message": f.details.get("message") or {"zh": "", "en": ""},
            "details": {**f.details, "source": f.source},
        }
    )


def feedback_state(f: Any) -> dict[str, Any]:
    return {
        "finding_id": f.finding_id,
        "run_id": f.run_id,
        "reviewer": f.reviewer,
        "label": f.label,
        "note": f.note,
        "created_at": f.created_at,
    }


def claim_state(c: Any) -> dict[str, Any]:
    return {
        "recording_id": c.recording_id,
        "reviewer": c.reviewer,
        "claimed_at": c.claimed_at,
        "expires_at": c.expires_at,
    }


def stored_claim(c: Any) -> StoredClaim:
    return StoredClaim(
        recording_id=c.recording_id,
        reviewer=c.reviewer,
        claimed_at=c.claimed_at,
        expires_at=c.expires_at,
    )


# The workflow's columns (migration 0004) are in a decision's logged state when set, so
# decisions logged before them still match.
WORKFLOW_DECISION_FIELDS = (
    "role",
    "watched",
    "unwatched_reason",
    "change_reason",
    "appeal_id",
    "four_eyes",
    "listened",  # migration 0005_31
)


def decision_state(d: Any) -> dict[str, Any]:
    state = {
        "recording_id": d.recording_id,
        "run_id": d.run_id,
        "reviewer": d.reviewer,
        "verdict": d.verdict,
        "reason_code": d.reason_code,
        "reason_text": d.reason_text,
        "created_at": d.created_at,
    }
    for k in WORKFLOW_DECISION_FIELDS:
        if getattr(d, k) is not None:
            state[k] = getattr(d, k)
    return state


def stored_decision(d: Any) -> StoredDecision:
    return StoredDecision(
        id=d.id,
        recording_id=d.recording_id,
        run_id=d.run_id,
        reviewer=d.reviewer,
        verdict=d.verdict,
        reason_code=d.reason_code,
        reason_text=d.reason_text,
        created_at=d.created_at,
        role=d.role,
        watched=None if d.watched is None else tuple(tuple(w) for w in d.watched),
        unwatched_reason=d.unwatched_reason,
        change_reason=d.change_reason,
        appeal_id=d.appeal_id,
        four_eyes=d.four_eyes,
        listened=d.listened,
    )


def run_digest(s: Any, run: Any) -> str:
    """Digest of a run's row with its findings and scores, as read from the database."""
    from sqlalchemy import select

    from dualrec_audit.store.schema import FindingRow, ScoreRow

    findings = s.execute(
        select(FindingRow).where(FindingRow.run_id == run.id).order_by(FindingRow.id)
    ).scalars()
    scores = s.execute(
        select(ScoreRow).where(ScoreRow.run_id == run.id).order_by(ScoreRow.check)
    ).scalars()
    cols = (
        "run_key recording_id path status decision score error_code error_message tool_version "
        "profile_id profile_version profile_digest models options duration_s result started_at "
        "finished_at"
    ).split()
    return digest(
        jsonable(
            {
                **{c: getattr(run, c) for c in cols},
                "findings": [
                    [f.ordinal, f.source, f.check, f.party, f.start, f.end, f.severity, f.details]
                    for f in findings
                ],
                "scores": [[sc.check, sc.values] for sc in scores],
            }
        )
    )


def both_ways(
    label: str,
    rows: Iterable[Any],
    expected: Mapping[str, Any],
    state_of: Callable[[Any], Mapping[str, Any]],
    key: str,
) -> list[str]:
    """Rows against the log's last state of each (``expected``, by ``key``), both ways: a row
    the log does not have or has otherwise, and a logged row that is gone."""
    problems = []
    present = set()
    for row in rows:
        rid = str(getattr(row, key))
        present.add(rid)
        state = expected.get(rid)
        if state is None:
            problems.append(f"{label} {rid}: not in the event log")
        elif dict(state) != jsonable(state_of(row)):
            problems.append(f"{label} {rid}: differs from the event log")
    for rid in sorted(set(expected) - present, key=lambda x: (len(x), x)):
        problems.append(f"{label} {rid}: in the event log but missing from the table")
    return problems
