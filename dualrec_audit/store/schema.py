"""SQLAlchemy 2.0 tables of the results store.

Recordings are identified by content (sha256); the paths they were seen at are a cache for
skipping unchanged files. Audit runs, findings, per-second scores, review decisions and
reviewers' marks on findings are written once and never changed (database triggers refuse
UPDATE and DELETE on them); claims (who is reviewing a recording now) come and go. Every
state change is also appended to ``event_log``, a hash chain that ``Store.verify()`` checks.

The Alembic migrations in ``dualrec_audit/store/migrations`` create exactly these tables; a test
compares the two.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Timestamps are ISO-8601 UTC strings ("2026-11-21T08:30:00.123456+00:00"): identical on
# SQLite and PostgreSQL, sortable, and hashed into the event log exactly as stored.
Stamp = String(40)


class Base(DeclarativeBase):
    pass


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    duration_s: Mapped[float | None] = mapped_column(Float)
    branch: Mapped[str | None] = mapped_column(String(200))
    teller: Mapped[str | None] = mapped_column(String(200))
    customer_ref: Mapped[str | None] = mapped_column(String(200))
    product: Mapped[str | None] = mapped_column(String(200))
    first_seen: Mapped[str] = mapped_column(Stamp)


class RecordingPath(Base):
    """Where a recording was seen, with the size and mtime its hash was computed at."""

    __tablename__ = "recording_paths"
    __table_args__ = (UniqueConstraint("path_key", "recording_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    path: Mapped[str] = mapped_column(Text)  # absolute, as valid Unicode (paths.display_path)
    path_key: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the path's bytes
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    last_seen: Mapped[str] = mapped_column(Stamp)
    # The name's bytes in hex when they are not valid UTF-8 (a GBK name from a Windows share).
    path_hex: Mapped[str | None] = mapped_column(Text)
    # Relative to the folder scanned, so that a share mounted elsewhere still resolves.
    share_rel: Mapped[str | None] = mapped_column(Text)


class AuditRun(Base):
    """One audit of one recording under one profile, model set and option set."""

    __tablename__ = "audit_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(64), unique=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # done | error
    decision: Mapped[str] = mapped_column(String(16))  # approve | review | rerecord | error
    score: Mapped[float] = mapped_column(Float)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    tool_version: Mapped[str] = mapped_column(String(40))
    profile_id: Mapped[str | None] = mapped_column(String(80))
    profile_version: Mapped[str | None] = mapped_column(String(40))
    profile_digest: Mapped[str | None] = mapped_column(String(64))
    models: Mapped[dict[str, Any]] = mapped_column(JSON)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    duration_s: Mapped[float] = mapped_column(Float)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)  # the full AuditResult document
    started_at: Mapped[str] = mapped_column(Stamp)
    finished_at: Mapped[str] = mapped_column(Stamp, index=True)


class FindingRow(Base):
    """A time interval a run flagged: a layer-1 event (source "event") or a layer-2 finding
    of the business profile (source "rule", check = the rule id)."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_run_start", "run_id", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("audit_runs.id"))
    ordinal: Mapped[int] = mapped_column(Integer)  # position in the run's result
    source: Mapped[str] = mapped_column(String(8))  # event | rule
    check: Mapped[str] = mapped_column(String(80))
    party: Mapped[str | None] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(8))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class ScoreRow(Base):
    """A check's per-second scores for one run (index i = second i; null = not scored)."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("run_id", "check"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("audit_runs.id"))
    check: Mapped[str] = mapped_column(String(40))
    values: Mapped[list[Any]] = mapped_column(JSON)


class ReviewDecision(Base):
    """A reviewer's verdict on a recording (kept apart from the machine's decision)."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("audit_runs.id"))
    reviewer: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(16))  # approve | rerecord | escalate
    reason_code: Mapped[str | None] = mapped_column(String(80))
    reason_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(Stamp)
    # Migration 0004: the reviewer workflow (null on decisions made before it).
    role: Mapped[str | None] = mapped_column(String(16))  # the account's role then
    watched: Mapped[list[Any] | None] = mapped_column(JSON)  # [start, end, share] per place
    unwatched_reason: Mapped[str | None] = mapped_column(Text)  # approved without watching
    change_reason: Mapped[str | None] = mapped_column(Text)  # changes a decision in force
    appeal_id: Mapped[int | None] = mapped_column(Integer)  # the appeal this decides
    four_eyes: Mapped[str | None] = mapped_column(String(8))  # first | second
    # Migration 0005_31: share of the speech played when the script was checked by ear.
    listened: Mapped[float | None] = mapped_column(Float)


class Account(Base):
    """Who may sign in, with which role (reviewer | senior | admin); the password as an
    Argon2id hash. Changed only through the store, every change logged."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[str] = mapped_column(Stamp)
    created_by: Mapped[str] = mapped_column(String(200))
    # Migration 0005_31: account administration (each change logged with the row's state).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)  # wrong passwords in a row
    locked_until: Mapped[str | None] = mapped_column(Stamp)  # locked out after too many
    changed_reason: Mapped[str | None] = mapped_column(Text)  # why an administrator changed it
    changed_by: Mapped[str | None] = mapped_column(String(200))  # that administrator


class Appeal(Base):
    """A teller or branch disputing a re-record, with a reason (append-only; decided by a
    review decision that names it)."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("audit_runs.id"))
    decision_id: Mapped[int | None] = mapped_column(Integer)  # the re-record disputed
    appellant: Mapped[str] = mapped_column(String(200))  # teller or branch
    reason: Mapped[str] = mapped_column(Text)
    filed_by: Mapped[str] = mapped_column(String(200))  # the account that entered it
    created_at: Mapped[str] = mapped_column(Stamp)


class Assignment(Base):
    """Which reviewer a recording is assigned to (one row per recording, replaced)."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), unique=True)
    assignee: Mapped[str] = mapped_column(String(80))
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[str] = mapped_column(Stamp)


class FindingFeedback(Base):
    """A reviewer's mark on a finding: a false alarm (or, withdrawing that, confirmed), kept
    to calibrate the checks. Append-only: the latest mark of a reviewer counts."""

    __tablename__ = "finding_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("audit_runs.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(16))  # false_alarm | confirmed
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(Stamp)


class Claim(Base):
    """A recording being reviewed: one reviewer at a time, until the claim expires (renewed
    while the reviewer works on it, deleted when they are done)."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), unique=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[str] = mapped_column(Stamp)
    expires_at: Mapped[str] = mapped_column(Stamp)


class LogEntry(Base):
    """Append-only, hash-chained log of every state change.

    ``hash = HMAC-SHA256(key, seq | at | actor | action | entity | entity_id | payload |
    prev_hash)`` with the key kept outside the database (plain SHA-256 for entries written
    before the database was keyed), the payload stored as the exact canonical JSON text that
    was hashed."""

    __tablename__ = "event_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(Stamp)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class StoreInfo(Base):
    """One row: this database's identity (names its key and anchor files) and the first
    event-log entry hashed with the key (HMAC); entries before it are plain SHA-256 (written
    before the database was keyed)."""

    __tablename__ = "store_info"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    db_id: Mapped[str] = mapped_column(String(32))
    keyed_from: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(Stamp)


# -- issue 30: profile versions, their activation (four eyes) and re-judgements ----------------


class ProfileVersion(Base):
    """A business profile's version as a senior submitted it for activation: its TOML text
    and digest (one row per id, version and digest)."""

    __tablename__ = "profile_versions"
    __table_args__ = (UniqueConstraint("profile_id", "version", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[str] = mapped_column(String(40))
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the profile's canonical JSON
    text: Mapped[str] = mapped_column(Text)  # the TOML file as submitted
    basis: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(Stamp)
    created_by: Mapped[str] = mapped_column(String(200))


class ProfileActivation(Base):
    """One step of activating a profile version: ``first`` (a senior asks) and ``second`` (a
    different senior confirms: the version is active from then on). Append-only."""

    __tablename__ = "profile_activations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("profile_versions.id"), index=True)
    profile_id: Mapped[str] = mapped_column(String(80))
    step: Mapped[str] = mapped_column(String(8))  # first | second
    senior: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[str] = mapped_column(Stamp)


class Rejudgement(Base):
    """A stored run decided again under another profile version, without re-auditing: the
    version and the decision, score and findings it gave. Append-only."""

    __tablename__ = "rejudgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("audit_runs.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("profile_versions.id"))
    profile_id: Mapped[str] = mapped_column(String(80))
    profile_version: Mapped[str] = mapped_column(String(40))
    decision_before: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    findings: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(Stamp)
    created_by: Mapped[str] = mapped_column(String(200))


# Tables whose rows are never changed or deleted once written.
IMMUTABLE_TABLES = (
    "audit_runs",
    "findings",
    "scores",
    "review_decisions",
    "event_log",
    "finding_feedback",
    "appeals",
    "profile_versions",
    "profile_activations",
    "rejudgements",
)
