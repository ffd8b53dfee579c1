"""The results store: recordings, audit runs, findings, scores, review decisions and the
hash-chained event log, on SQLite (default, in the user data dir) or PostgreSQL (by URL).

One process writes (the scanner, or a reviewer saving a decision); any number read. On
SQLite the database runs in WAL mode, so readers never wait for the writer, and every write
transaction starts with ``BEGIN IMMEDIATE``; on PostgreSQL a write transaction locks the
event log, so the chain stays a single line even with several writers.

Every write is one transaction: an audit run with its findings, scores and log entry is
stored whole or not at all, so a process killed at any moment leaves no half-written rows.
Runs are keyed by content (recording hash, profile, models, options): storing the same run
twice stores it once.

Reviewers claim the recording they are reviewing (``claim``/``renew``/``release``): a claim
held by someone else that has not expired is refused with :class:`ClaimedError`, so two
reviewers sharing a database never work on the same recording at once. Claims expire by
themselves (a reviewer whose program died does not block the recording for long).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dualrec_audit.core.errors import ConfigError, DualrecError
from dualrec_audit.core.paths import display_path, os_path, raw_hex, share_roots
from dualrec_audit.core.result import AuditResult, Event
from dualrec_audit.store import trust
from dualrec_audit.store.workflow import WorkflowStore

log = logging.getLogger(__name__)

DB_ENV = "DUALREC_AUDIT_DB"
GENESIS = "0" * 64
VERDICTS = ("approve", "rerecord", "escalate")
META_FIELDS = ("branch", "teller", "customer_ref", "product")
FEEDBACK_LABELS = ("false_alarm", "confirmed")
CLAIM_TTL_S = 15 * 60.0  # a claim not renewed for this long lapses
# Alembic keeps the running migration in module-level state: one migration at a time per
# process (a UI opens its store in a worker thread while another may open one elsewhere).
_MIGRATE_LOCK = threading.Lock()
# PostgreSQL: processes opening a fresh database at once take turns on this advisory lock.
_PG_MIGRATE_LOCK_ID = 0x64726563  # "drec"


class StoreError(DualrecError):
    """The database cannot take the write (disk full, read-only, gone): what was stored
    before is intact."""

    code = "store_error"


def now(after_s: float = 0.0) -> str:
    """The current UTC time (plus ``after_s`` seconds) as the store writes it."""
    return (datetime.now(UTC) + timedelta(seconds=after_s)).isoformat(timespec="microseconds")


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


def default_db_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("dualrec-audit", appauthor=False)) / "dualrec-audit.db"


def is_default(db: str | Path | None = None) -> bool:
    """True when neither ``--db`` nor ``$DUALREC_AUDIT_DB`` names the database."""
    return not db and not os.environ.get(DB_ENV)


def resolve_url(db: str | Path | None = None) -> str:
    """``--db`` (a URL or a SQLite file path), else ``$DUALREC_AUDIT_DB``, else the default
    SQLite file in the user data dir."""
    value = str(db) if db else os.environ.get(DB_ENV) or ""
    if not value:
        value = str(default_db_path())
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(obj: Any) -> str:
    return hashlib.sha256(canonical(obj).encode("utf-8")).hexdigest()


def jsonable(obj: Any) -> Any:
    """Plain JSON values: tuples as lists, non-finite floats as null (PostgreSQL's json type
    and strict readers refuse NaN and Infinity)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    return obj


def run_key(
    sha256: str, profile_digest: str | None, models: Mapping[str, str], options: Any
) -> str:
    """What makes two audits the same audit: content, profile content, models, options."""
    return digest(
        {"sha256": sha256, "profile": profile_digest, "models": dict(models), "options": options}
    )


def entry_text(
    seq: int, at: str, actor: str, action: str, entity: str, entity_id: str, payload: str, prev: str
) -> str:
    return "|".join((str(seq), at, actor, action, entity, entity_id, payload, prev))


def entry_hash(
    seq: int, at: str, actor: str, action: str, entity: str, entity_id: str, payload: str, prev: str
) -> str:
    """The unkeyed hash (entries written before the database was keyed)."""
    text = entry_text(seq, at, actor, action, entity, entity_id, payload, prev)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


class Store(WorkflowStore):
    """The results database. ``Store(url)`` opens an existing one and brings its tables up to
    date; ``Store(url, create=True)`` also creates it (and its key) when it does not exist."""

    def __init__(
        self,
        url: str | Path | None = None,
        *,
        actor: str | None = None,
        create: bool = False,
        key_file: Path | str | None = None,
        anchor_file: Path | str | None = None,
    ):
        from sqlalchemy import create_engine

        self.url = resolve_url(url)
        self.actor = actor or _user()
        kwargs: dict[str, Any] = {}
        self._file: Path | None = None  # the SQLite file
        if self.url.startswith("sqlite"):
            self._file = self._sqlite_file(create)
            kwargs["connect_args"] = {"timeout": 60}
        try:
            self.engine = create_engine(self.url, **kwargs)
        except Exception as exc:  # bad URL, driver not installed
            raise ConfigError(f"cannot open the database {self.display_url()}: {exc}") from None
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            _sqlite_events(self.engine)
        self._writer = self.engine.execution_options(dualrec_write=True)
        self._head: tuple[int, str] | None = None  # the log head this transaction wrote
        self._anchor_failed = False
        self.migrate(create=create)
        self.db_id, keyed_from = self._info()
        self.key_file = trust.key_path(self.db_id, key_file)
        self.anchor_file = trust.anchor_path(self.db_id, anchor_file)
        self.key: trust.Key | None = None
        self.key_error: str | None = None
        if create and keyed_from is None:
            keyed_from = self._key_fresh_database()
        if keyed_from is not None or self.key_file.exists():  # the key file has the last word
            try:
                self.key = trust.load_key(self.key_file, self.db_id)
            except ConfigError as exc:
                self.key_error = exc.message

    def _sqlite_file(self, create: bool) -> Path | None:
        path = self.url.split(":///", 1)[-1]
        if not path or path == ":memory:" or "mode=memory" in path:
            return None
        file = Path(path.split("?", 1)[0])
        if create:
            file.parent.mkdir(parents=True, exist_ok=True)
        elif not file.is_file():
            raise ConfigError(
                f"cannot open the database {file}: no such file. Check --db; to create it: "
                f"dualrec-audit db init --db {file} (or scan with --create)"
            )
        return file

    def display_url(self) -> str:
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "(unparseable URL)"

    def migrate(self, create: bool = False) -> None:
        """Apply the Alembic migrations this version knows (idempotent). A database without
        our tables is created only with ``create``."""
        from alembic import command
        from alembic.config import Config
        from sqlalchemy import inspect, text

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        try:
            with _MIGRATE_LOCK, self._writer.begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATE_LOCK_ID})"))
                if not create and not inspect(conn).has_table("alembic_version"):
                    raise ConfigError(
                        f"cannot open the database {self.display_url()}: it has no dualrec-audit "
                        "tables. Check --db; to create them: dualrec-audit db init --db URL"
                    )
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except DualrecError:
            raise
        except Exception as exc:
            mapped = _storage_error(exc, self.display_url(), self._file)
            if mapped is not None:
                raise mapped from None
            raise ConfigError(f"cannot open the database {self.display_url()}: {exc}") from exc

    def _info(self) -> tuple[str, int | None]:
        from dualrec_audit.store.schema import StoreInfo

        with self._read() as s:
            info = s.get(StoreInfo, 1)
            if info is None:
                raise ConfigError(f"{self.display_url()}: the store_info row is missing")
            return info.db_id, info.keyed_from

    def _key_fresh_database(self) -> int | None:
        """A database just created (its log empty): create its key. One process does it."""
        from sqlalchemy import func, select

        from dualrec_audit.store.schema import LogEntry, StoreInfo

        with self._write() as s:
            info = s.get(StoreInfo, 1)
            if info.keyed_from is not None:
                return int(info.keyed_from)
            if s.execute(select(func.count()).select_from(LogEntry)).scalar_one():
                return None  # an existing unkeyed database: keyed only by `db init`
            trust.create_key(self.key_file, self.db_id, 1)
            info.keyed_from = 1
            return 1

    def key_log(self) -> trust.Key:
        """Key this database's event log (``db init`` on a database written before keys
        existed): the entries written so far stay plain SHA-256, every later one is an HMAC."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import LogEntry, StoreInfo

        if self.key is not None:
            return self.key
        with self._write() as s:
            info = s.get(StoreInfo, 1)
            if info.keyed_from is not None:
                raise ConfigError(self.key_error or "the database is already keyed")
            last = s.execute(select(LogEntry.seq).order_by(LogEntry.seq.desc()).limit(1))
            keyed_from = (last.scalar_one_or_none() or 0) + 1
            self.key = trust.create_key(self.key_file, self.db_id, keyed_from)
            if self.key.keyed_from != keyed_from:
                raise ConfigError(f"the key file {self.key_file} does not fit this database")
            info.keyed_from = keyed_from
            self._log(s, "log.keyed", "store", self.db_id, {"keyed_from": keyed_from})
        return self.key

    def require_key(self) -> None:
        """Fail now (not at the first write) when the database is keyed and the key is
        missing."""
        if self.key_error is not None:
            raise ConfigError(self.key_error)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sessions --------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Any]:
        from sqlalchemy.exc import DBAPIError
        from sqlalchemy.orm import Session

        self._head = None
        try:
            with Session(self._writer) as s, s.begin():
                if self.dialect == "postgresql":
                    from sqlalchemy import text

                    s.execute(text("LOCK TABLE event_log IN EXCLUSIVE MODE"))
                yield s
        except DBAPIError as exc:
            mapped = _storage_error(exc, self.display_url(), self._file)
            if mapped is None:
                raise
            raise mapped from None
        if self._head is not None:
            self._anchor(*self._head)

    def _anchor(self, seq: int, digest: str) -> None:
        try:
            trust.append_anchor(self.anchor_file, seq, digest)
        except OSError as exc:
            if not self._anchor_failed:  # once per process: the log itself is written
                log.error(
                    "cannot append to the anchor file %s (%s): deleting the newest log "
                    "entries would not be detected",
                    self.anchor_file,
                    exc.strerror,
                )
            self._anchor_failed = True

    @contextmanager
    def _read(self) -> Iterator[Any]:
        from sqlalchemy.orm import Session

        with Session(self.engine) as s, s.begin():
            yield s

    def _hash(self, seq: int, *fields: str) -> str:
        text = entry_text(seq, *fields)
        if self.key is not None and seq >= self.key.keyed_from:
            return self.key.mac(text)
        if self.key_error is not None:
            raise ConfigError(self.key_error)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _log(
        self, s: Any, action: str, entity: str, entity_id: object, payload: Mapping[str, Any]
    ) -> None:
        from sqlalchemy import select

        from dualrec_audit.store.schema import LogEntry

        last = s.execute(select(LogEntry.seq, LogEntry.hash).order_by(LogEntry.seq.desc()).limit(1))
        row = last.first()
        seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
        at, text = now(), canonical(payload)
        eid = str(entity_id)
        h = self._hash(seq, at, self.actor, action, entity, eid, text, prev)
        s.add(
            LogEntry(
                seq=seq,
                at=at,
                actor=self.actor,
                action=action,
                entity=entity,
                entity_id=eid,
                payload=text,
                prev_hash=prev,
                hash=h,
            )
        )
        s.flush()
        self._head = (seq, h)

    # -- scanning --------------------------------------------------------------------------

    def cached_hash(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The content hash recorded for this path at this size and mtime, if any."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import Recording, RecordingPath

        with self._read() as s:
            q = (
                select(Recording.sha256)
                .join(RecordingPath, RecordingPath.recording_id == Recording.id)
                .where(
                    RecordingPath.path_key == _path_key(path),
                    RecordingPath.size == size,
                    RecordingPath.mtime_ns == mtime_ns,
                )
                .limit(1)
            )
            return s.execute(q).scalar_one_or_none()

    def run_keys(self) -> set[str]:
        from sqlalchemy import select

        from dualrec_audit.store.schema import AuditRun

        with self._read() as s:
            return set(s.execute(select(AuditRun.run_key)).scalars())

    def note_path(
        self, sha256: str, path: str, size: int, mtime_ns: int, share_rel: str | None = None
    ) -> None:
        """Remember that a known recording is (also) at ``path``."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import Recording

        with self._write() as s:
            rec = s.execute(
                select(Recording).where(Recording.sha256 == sha256)
            ).scalar_one_or_none()
            if rec is not None:
                self._touch_path(s, rec.id, path, size, mtime_ns, share_rel)

    def _touch_path(
        self,
        s: Any,
        recording_id: int,
        path: str,
        size: int,
        mtime_ns: int,
        share_rel: str | None = None,
    ) -> None:
        """Add or update the path row (``path`` as the OS gives it: a name that is not
        valid UTF-8 is kept as its bytes); a new path or a changed size or mtime is logged."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import RecordingPath

        key = _path_key(path)
        row = s.execute(
            select(RecordingPath).where(
                RecordingPath.path_key == key, RecordingPath.recording_id == recording_id
            )
        ).scalar_one_or_none()
        if row is None:
            row = RecordingPath(
                recording_id=recording_id,
                path=display_path(path),
                path_hex=raw_hex(path),
                share_rel=share_rel,
                path_key=key,
                size=size,
                mtime_ns=mtime_ns,
                last_seen=now(),
            )
            s.add(row)
        else:
            row.last_seen = now()  # not logged: when a path was last seen is only a hint
            if (row.size, row.mtime_ns) == (size, mtime_ns) and (
                share_rel is None or row.share_rel == share_rel
            ):
                return
            row.size, row.mtime_ns = size, mtime_ns
            row.share_rel = share_rel or row.share_rel
        s.flush()
        self._log(s, "path.seen", "recording_path", row.id, _path_state(row))

    def _recording(
        self, s: Any, sha256: str, size: int, duration_s: float | None, meta: RecordingMeta
    ) -> Any:
        from sqlalchemy import select

        from dualrec_audit.store.schema import Recording

        rec = s.execute(select(Recording).where(Recording.sha256 == sha256)).scalar_one_or_none()
        if rec is None:
            rec = Recording(sha256=sha256, size=size, duration_s=duration_s, first_seen=now())
            for k in META_FIELDS:
                setattr(rec, k, getattr(meta, k))
            s.add(rec)
            s.flush()
            self._log(s, "recording.added", "recording", rec.id, _recording_state(rec))
            return rec
        changed = False
        if duration_s and not rec.duration_s:
            rec.duration_s, changed = duration_s, True
        for k in META_FIELDS:
            value = getattr(meta, k)
            if value is not None and value != getattr(rec, k):
                setattr(rec, k, value)
                changed = True
        if changed:
            s.flush()
            self._log(s, "recording.updated", "recording", rec.id, _recording_state(rec))
        return rec

    def record_run(
        self,
        result: AuditResult,
        *,
        key: str,
        sha256: str,
        size: int,
        mtime_ns: int,
        profile_digest: str | None,
        started_at: str,
        meta: RecordingMeta | None = None,
        path: str | None = None,
        share_rel: str | None = None,
    ) -> tuple[int, bool]:
        """Store one audit run whole, in one transaction: (run id, stored now).

        ``path``: where the file is, as the OS names it (default: the result's ``file``).
        A run with the same key already stored is left as it is (``created`` False)."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import AuditRun, FindingRow, ScoreRow

        doc = jsonable(result.to_dict())
        with self._write() as s:
            existing = s.execute(
                select(AuditRun.id).where(AuditRun.run_key == key)
            ).scalar_one_or_none()
            if existing is not None:
                return existing, False
            duration = doc["duration_s"] or None
            rec = self._recording(s, sha256, size, duration, meta or RecordingMeta())
            self._touch_path(s, rec.id, path or result.file, size, mtime_ns, share_rel)
            profile = doc.get("profile") or {}
            error = doc.get("error") or {}
            run = AuditRun(
                run_key=key,
                recording_id=rec.id,
                path=doc["file"],
                status="error" if error else "done",
                decision=doc["decision"],
                score=doc["score"],
                error_code=error.get("code"),
                error_message=error.get("message"),
                tool_version=doc["tool_version"],
                profile_id=profile.get("id"),
                profile_version=profile.get("version"),
                profile_digest=profile_digest,
                models=doc["models"],
                options=doc["options"],
                duration_s=doc["duration_s"],
                result=doc,
                started_at=started_at,
                finished_at=now(),
            )
            s.add(run)
            s.flush()
            for row in _finding_rows(doc):
                s.add(FindingRow(run_id=run.id, **row))
            for check, values in doc["timelines"].items():
                s.add(ScoreRow(run_id=run.id, check=check, values=values))
            s.flush()
            self._log(
                s,
                "run.recorded",
                "audit_run",
                run.id,
                {"run_key": key, "sha256": sha256, "digest": _run_digest(s, run)},
            )
            return run.id, True

    # -- reviewing -------------------------------------------------------------------------

    def add_decision(
        self,
        run_id: int,
        reviewer: str,
        verdict: str,
        reason_code: str | None = None,
        reason_text: str | None = None,
        *,
        check_claim: bool = False,
    ) -> int:
        """Store a reviewer's verdict. With ``check_claim``, refuse (:class:`ClaimedError`)
        when another reviewer holds the recording, and release the reviewer's own claim in
        the same transaction. (Accounts, roles and the workflow's rules: :meth:`decide`.)"""

        if verdict not in VERDICTS:
            raise ConfigError(f"unknown verdict '{verdict}'; use one of {', '.join(VERDICTS)}")
        if not reviewer.strip():
            raise ConfigError("a decision needs the reviewer's name")
        if verdict != "approve" and not (reason_code or "").strip():
            raise ConfigError(f"a '{verdict}' decision needs a reason code")
        if verdict == "rerecord" and not (reason_text or "").strip():
            raise ConfigError("a re-record decision needs a reason text")
        with self._write() as s:
            return self._insert_decision(
                s, run_id, reviewer, verdict, reason_code, reason_text, check_claim=check_claim
            ).id

    def _insert_decision(
        self,
        s: Any,
        run_id: int,
        reviewer: str,
        verdict: str,
        reason_code: str | None,
        reason_text: str | None,
        *,
        check_claim: bool,
        extra: Mapping[str, Any] | None = None,
    ) -> Any:
        from dualrec_audit.store.schema import AuditRun, ReviewDecision

        run = s.get(AuditRun, run_id)
        if run is None:
            raise ConfigError(f"no audit run {run_id} in the database")
        if check_claim:
            self._check_claim(s, run.recording_id, reviewer.strip())
        row = ReviewDecision(
            recording_id=run.recording_id,
            run_id=run_id,
            reviewer=reviewer.strip(),
            verdict=verdict,
            reason_code=reason_code,
            reason_text=reason_text,
            created_at=now(),
            **(extra or {}),
        )
        s.add(row)
        s.flush()
        self._log(s, "review.decided", "review_decision", row.id, _decision_state(row))
        if check_claim:
            self._release(s, run.recording_id, reviewer.strip())
        return row

    def decisions(self, recording_id: int | None = None) -> list[StoredDecision]:
        from sqlalchemy import select

        from dualrec_audit.store.schema import ReviewDecision

        with self._read() as s:
            q = select(ReviewDecision).order_by(ReviewDecision.id)
            if recording_id is not None:
                q = q.where(ReviewDecision.recording_id == recording_id)
            return [stored_decision(d) for d in s.execute(q).scalars()]

    # -- false alarms ----------------------------------------------------------------------

    def add_feedback(
        self, finding_id: int, reviewer: str, label: str = "false_alarm", note: str | None = None
    ) -> int:
        """Mark a finding (``false_alarm``, or ``confirmed`` to withdraw that mark)."""
        from dualrec_audit.store.schema import FindingFeedback, FindingRow

        if label not in FEEDBACK_LABELS:
            raise ConfigError(f"unknown label '{label}'; use one of {', '.join(FEEDBACK_LABELS)}")
        if not reviewer.strip():
            raise ConfigError("a mark needs the reviewer's name")
        with self._write() as s:
            finding = s.get(FindingRow, finding_id)
            if finding is None:
                raise ConfigError(f"no finding {finding_id} in the database")
            row = FindingFeedback(
                finding_id=finding_id,
                run_id=finding.run_id,
                reviewer=reviewer.strip(),
                label=label,
                note=(note or "").strip() or None,
                created_at=now(),
            )
            s.add(row)
            s.flush()
            self._log(s, "finding.marked", "finding_feedback", row.id, _feedback_state(row))
            return row.id

    def feedback(self, run_id: int | None = None) -> list[StoredFeedback]:
        """Every mark (of one run), oldest first."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import FindingFeedback

        with self._read() as s:
            q = select(FindingFeedback).order_by(FindingFeedback.id)
            if run_id is not None:
                q = q.where(FindingFeedback.run_id == run_id)
            return [
                StoredFeedback(
                    id=f.id,
                    finding_id=f.finding_id,
                    run_id=f.run_id,
                    reviewer=f.reviewer,
                    label=f.label,
                    note=f.note,
                    created_at=f.created_at,
                )
                for f in s.execute(q).scalars()
            ]

    def false_alarms(self, run_id: int) -> set[int]:
        """Findings of a run whose latest mark (by any reviewer) is ``false_alarm``."""
        latest: dict[int, str] = {}
        for f in self.feedback(run_id):
            latest[f.finding_id] = f.label
        return {fid for fid, label in latest.items() if label == "false_alarm"}

    # -- claims ----------------------------------------------------------------------------

    def claim(self, recording_id: int, reviewer: str, ttl_s: float = CLAIM_TTL_S) -> StoredClaim:
        """Claim a recording for ``ttl_s`` seconds (again: renew it). Raises
        :class:`ClaimedError` when someone else holds a claim that has not expired; an
        expired one is taken over."""
        from dualrec_audit.store.schema import Claim, Recording

        reviewer = reviewer.strip()
        if not reviewer:
            raise ConfigError("a claim needs the reviewer's name")
        with self._write() as s:
            if s.get(Recording, recording_id) is None:
                raise ConfigError(f"no recording {recording_id} in the database")
            row = self._claim_row(s, recording_id)
            at = now()
            if row is None:
                row = Claim(
                    recording_id=recording_id,
                    reviewer=reviewer,
                    claimed_at=at,
                    expires_at=now(ttl_s),
                )
                s.add(row)
                action = "claim.taken"
            elif row.reviewer == reviewer:
                row.expires_at = now(ttl_s)
                action = "claim.renewed"
            elif row.expires_at > at:
                raise ClaimedError(recording_id, row.reviewer, row.expires_at)
            else:
                log.info(
                    "recording %s: %s's claim expired at %s; %s takes it over",
                    recording_id,
                    row.reviewer,
                    row.expires_at,
                    reviewer,
                )
                row.reviewer, row.claimed_at, row.expires_at = reviewer, at, now(ttl_s)
                action = "claim.taken"
            s.flush()
            self._log(s, action, "claim", recording_id, _claim_state(row))
            return _stored_claim(row)

    def renew(self, recording_id: int, reviewer: str, ttl_s: float = CLAIM_TTL_S) -> StoredClaim:
        """Extend one's own claim. Raises :class:`ClaimedError` when someone else took the
        recording over in the meantime (after one's claim had expired)."""
        return self.claim(recording_id, reviewer, ttl_s)

    def release(self, recording_id: int, reviewer: str) -> bool:
        """Give up one's claim (False when one held none)."""
        with self._write() as s:
            return self._release(s, recording_id, reviewer.strip())

    def claims(self, *, include_expired: bool = False) -> list[StoredClaim]:
        from sqlalchemy import select

        from dualrec_audit.store.schema import Claim

        at = now()
        with self._read() as s:
            rows = s.execute(select(Claim).order_by(Claim.recording_id)).scalars()
            out = [_stored_claim(r) for r in rows]
        return out if include_expired else [c for c in out if not c.expired(at)]

    def _claim_row(self, s: Any, recording_id: int) -> Any:
        from sqlalchemy import select

        from dualrec_audit.store.schema import Claim

        q = select(Claim).where(Claim.recording_id == recording_id)
        return s.execute(q).scalar_one_or_none()

    def _check_claim(self, s: Any, recording_id: int, reviewer: str) -> None:
        row = self._claim_row(s, recording_id)
        if row is not None and row.reviewer != reviewer and row.expires_at > now():
            raise ClaimedError(recording_id, row.reviewer, row.expires_at)

    def _release(self, s: Any, recording_id: int, reviewer: str) -> bool:
        row = self._claim_row(s, recording_id)
        if row is None or row.reviewer != reviewer:
            return False
        s.delete(row)
        s.flush()
        self._log(
            s,
            "claim.released",
            "claim",
            recording_id,
            {"recording_id": recording_id, "reviewer": reviewer, "released": True},
        )
        return True

    # -- reading ---------------------------------------------------------------------------

    def runs(self, since: str | None = None, *, latest: bool = True) -> list[RunSummary]:
        """Audit runs, newest first: by default the latest run of each recording.

        ``since``: an ISO date or time; runs finished before it are left out."""
        from sqlalchemy import func, select

        from dualrec_audit.store.schema import AuditRun, Recording

        with self._read() as s:
            q = select(AuditRun, Recording).join(Recording, Recording.id == AuditRun.recording_id)
            if latest:
                newest = select(func.max(AuditRun.id)).group_by(AuditRun.recording_id)
                q = q.where(AuditRun.id.in_(newest))
            if since:
                q = q.where(AuditRun.finished_at >= since)
            rows = s.execute(q.order_by(AuditRun.id.desc())).all()
            return self._summaries(s, rows)

    def run(self, run_id: int) -> RunSummary:
        """One audit run with its recording and the latest reviewer verdict."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import AuditRun, Recording

        with self._read() as s:
            q = (
                select(AuditRun, Recording)
                .join(Recording, Recording.id == AuditRun.recording_id)
                .where(AuditRun.id == run_id)
            )
            rows = s.execute(q).all()
            if not rows:
                raise ConfigError(f"no audit run {run_id} in the database")
            return self._summaries(s, rows)[0]

    def latest_run(self, recording_id: int) -> int:
        """The id of a recording's latest audit run."""
        from sqlalchemy import func, select

        from dualrec_audit.store.schema import AuditRun

        with self._read() as s:
            q = select(func.max(AuditRun.id)).where(AuditRun.recording_id == recording_id)
            found = s.execute(q).scalar_one_or_none()
        if found is None:
            raise ConfigError(f"no recording {recording_id} in the database")
        return int(found)

    def _summaries(self, s: Any, rows: Any) -> list[RunSummary]:
        from sqlalchemy import select

        from dualrec_audit.store.schema import ReviewDecision

        last_verdict: dict[int, tuple[str, str]] = {}
        q = select(ReviewDecision).order_by(ReviewDecision.id)
        if len(rows) == 1:
            q = q.where(ReviewDecision.recording_id == rows[0][1].id)
        for d in s.execute(q).scalars():
            last_verdict[d.recording_id] = (d.verdict, d.reviewer)
        out = []
        for run, rec in rows:
            verdict, reviewer = last_verdict.get(rec.id, (None, None))
            out.append(
                RunSummary(
                    run_id=run.id,
                    recording_id=rec.id,
                    sha256=rec.sha256,
                    path=run.path,
                    status=run.status,
                    decision=run.decision,
                    score=run.score,
                    duration_s=run.duration_s,
                    profile_id=run.profile_id,
                    finished_at=run.finished_at,
                    error_code=run.error_code,
                    error_message=run.error_message,
                    meta=RecordingMeta(**{k: getattr(rec, k) for k in META_FIELDS}),
                    verdict=verdict,
                    reviewer=reviewer,
                )
            )
        return out

    def result(self, run_id: int) -> AuditResult:
        from dualrec_audit.store.schema import AuditRun

        with self._read() as s:
            run = s.get(AuditRun, run_id)
            if run is None:
                raise ConfigError(f"no audit run {run_id} in the database")
            return AuditResult.from_dict(run.result)

    def latest_result(self, sha256: str, profile_id: str | None = None) -> AuditResult | None:
        """The newest stored result for this content (under ``profile_id`` if given)."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import AuditRun, Recording

        with self._read() as s:
            q = (
                select(AuditRun.result)
                .join(Recording, Recording.id == AuditRun.recording_id)
                .where(Recording.sha256 == sha256)
            )
            if profile_id is not None:
                q = q.where(AuditRun.profile_id == profile_id)
            doc = s.execute(q.order_by(AuditRun.id.desc()).limit(1)).scalar_one_or_none()
            return None if doc is None else AuditResult.from_dict(doc)

    def findings(self, run_id: int) -> list[Event]:
        """The run's stored intervals as events (layer-1 events and layer-2 findings), by start."""
        return [f.event for f in self.stored_findings(run_id)]

    def stored_findings(self, run_id: int) -> list[StoredFinding]:
        """The run's findings with their ids, by start."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import FindingRow

        with self._read() as s:
            q = select(FindingRow).where(FindingRow.run_id == run_id)
            rows = s.execute(q.order_by(FindingRow.start, FindingRow.ordinal)).scalars()
            return [
                StoredFinding(
                    id=f.id, run_id=f.run_id, source=f.source, ordinal=f.ordinal, event=_event(f)
                )
                for f in rows
            ]

    def results(self, run_ids: Iterable[int]) -> dict[int, AuditResult]:
        """Several runs' results at once (unknown ids are left out)."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import AuditRun

        ids = sorted(set(run_ids))
        out: dict[int, AuditResult] = {}
        with self._read() as s:
            for i in range(0, len(ids), 500):
                q = select(AuditRun.id, AuditRun.result).where(AuditRun.id.in_(ids[i : i + 500]))
                for rid, doc in s.execute(q):
                    out[rid] = AuditResult.from_dict(doc)
        return out

    def paths(self, recording_id: int) -> list[str]:
        """Every path a recording was seen at, most recently seen first, as the OS opens
        it; then the same files under this machine's share roots
        (``$DUALREC_AUDIT_SHARE_ROOTS``: a share mounted elsewhere)."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import RecordingPath

        with self._read() as s:
            q = (
                select(RecordingPath.path, RecordingPath.path_hex, RecordingPath.share_rel)
                .where(RecordingPath.recording_id == recording_id)
                .order_by(RecordingPath.last_seen.desc(), RecordingPath.id.desc())
            )
            rows = s.execute(q).all()
        out = [os_path(p, h) for p, h, _ in rows]
        for root in share_roots():
            out += [str(root / rel) for _, _, rel in rows if rel]
        return out

    def head(self) -> tuple[int, str] | None:
        """The event log's newest entry (seq, hash): what an export records so that a later
        ``db verify --anchor EXPORT`` notices entries deleted since."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import LogEntry

        with self._read() as s:
            q = select(LogEntry.seq, LogEntry.hash).order_by(LogEntry.seq.desc()).limit(1)
            row = s.execute(q).first()
        return None if row is None else (int(row[0]), str(row[1]))

    def counts(self) -> dict[str, int]:
        """Rows per table (for tests and `db info`)."""
        from sqlalchemy import func, select

        from dualrec_audit.store.schema import Base

        with self._read() as s:
            return {
                name: s.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in Base.metadata.tables.items()
            }

    # -- verification ----------------------------------------------------------------------

    def verify(self, anchors: Iterable[Path] = ()) -> VerifyReport:
        """Check the event log's chain (an HMAC with the key from outside the database, plain
        SHA-256 before the database was keyed), that it still reaches every head recorded in
        the anchor file (and in ``anchors``: other anchor files or exports), that every row in
        the tables is exactly what the log recorded last, and that every row the log recorded
        is still there."""
        problems: list[str] = []
        notes: list[str] = []
        key = self._verify_key(problems, notes)
        with self._read() as s:
            n, heads, logged = self._verify_chain(s, key, problems)
            _verify_rows(s, logged, problems)
            problems += self._verify_workflow(s, logged)
        checked = self._verify_anchors(n, heads, anchors, problems, notes)
        return VerifyReport(
            entries=n,
            problems=tuple(problems),
            keyed=key is not None,
            anchors=checked,
            notes=tuple(notes),
        )

    def _verify_key(self, problems: list[str], notes: list[str]) -> trust.Key | None:
        """The key to check the chain with: the key file decides from which entry on the log
        is keyed (the database's own record of it could have been changed)."""
        _, db_keyed_from = self._info()
        if self.key is not None:
            if db_keyed_from != self.key.keyed_from:
                problems.append(
                    f"store_info: keyed from entry {db_keyed_from}, but the key file says "
                    f"{self.key.keyed_from}"
                )
            return self.key
        if db_keyed_from is not None:
            problems.append(f"cannot verify the keyed event log: {self.key_error}")
            return None
        notes.append(
            "the event log is not keyed (a database from before keys): whoever can write the "
            "database could rewrite it unnoticed; `dualrec-audit db init` keys it from now on"
        )
        return None

    def _verify_chain(
        self, s: Any, key: trust.Key | None, problems: list[str]
    ) -> tuple[int, dict[int, str], dict[tuple[str, str], dict[str, Any]]]:
        from sqlalchemy import select

        from dualrec_audit.store.schema import LogEntry

        logged: dict[tuple[str, str], dict[str, Any]] = {}
        heads: dict[int, str] = {}
        n = 0
        prev = GENESIS
        for e in s.execute(select(LogEntry).order_by(LogEntry.seq)).scalars():
            n += 1
            if e.seq != n:
                problems.append(f"log entry {n} is missing (next is {e.seq})")
                n = e.seq
            if e.prev_hash != prev:
                problems.append(f"log entry {e.seq}: does not follow entry {e.seq - 1}")
            fields = (e.at, e.actor, e.action, e.entity, e.entity_id, e.payload, e.prev_hash)
            text = entry_text(e.seq, *fields)
            if key is not None and e.seq >= key.keyed_from:
                expected = key.mac(text)
            else:
                expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if expected != e.hash:
                problems.append(f"log entry {e.seq}: altered (hash mismatch)")
            prev = heads[e.seq] = e.hash
            try:
                logged[(e.entity, e.entity_id)] = json.loads(e.payload)
            except ValueError:
                problems.append(f"log entry {e.seq}: payload is not JSON")
        return n, heads, logged

    def _verify_anchors(
        self,
        n: int,
        heads: dict[int, str],
        extra: Iterable[Path],
        problems: list[str],
        notes: list[str],
    ) -> int:
        files = [self.anchor_file, *extra]
        checked = 0
        for f in files:
            try:
                recorded = trust.read_anchors(Path(f))
            except FileNotFoundError:
                if f == self.anchor_file:
                    if n:
                        notes.append(
                            f"no anchor file on this machine ({f}): deleting the newest log "
                            "entries with their rows would not be detected here"
                        )
                    continue
                problems.append(f"{f}: no such anchor file")
                continue
            except (OSError, ValueError, KeyError) as exc:
                problems.append(f"{f}: cannot be read as an anchor file or export ({exc})")
                continue
            checked += len(recorded)
            problems.extend(_anchor_problems(f, recorded, n, heads))
        return checked


def _anchor_problems(
    f: Path, recorded: list[tuple[int, str]], n: int, heads: dict[int, str]
) -> list[str]:
    out = []
    top = max((seq for seq, _ in recorded), default=0)
    if top > n:
        out.append(
            f"the log ends at entry {n}, but {f} recorded entry {top}: the newest "
            f"{top - n} entries were deleted"
        )
    for seq, digest in recorded:
        if seq in heads and heads[seq] != digest:
            out.append(f"log entry {seq}: differs from the head recorded in {f}")
            break
    return out


# What each logged entity is called in messages, and how its current row reads.
def _verify_rows(
    s: Any, logged: dict[tuple[str, str], dict[str, Any]], problems: list[str]
) -> None:
    """Every row matches the log's last state of it; every logged row is still there."""
    from sqlalchemy import select

    from dualrec_audit.store.schema import (
        AuditRun,
        FindingFeedback,
        Recording,
        RecordingPath,
        ReviewDecision,
    )

    tables: list[tuple[str, str, Any, Any]] = [
        ("recording", "recording", Recording, _recording_state),
        ("recording_path", "recording path", RecordingPath, _path_state),
        ("audit_run", "audit run", AuditRun, None),
        ("review_decision", "review decision", ReviewDecision, _decision_state),
        ("finding_feedback", "finding mark", FindingFeedback, _feedback_state),
    ]
    for entity, name, table, state_of in tables:
        present = set()
        for row in s.execute(select(table)).scalars():
            present.add(str(row.id))
            state = logged.get((entity, str(row.id)))
            if state is None:
                problems.append(f"{name} {row.id}: not in the event log")
            elif not _matches(s, row, state, state_of):
                problems.append(f"{name} {row.id}: differs from the event log")
            if entity == "recording_path" and row.path_key != _path_key(
                os_path(row.path, row.path_hex)
            ):
                problems.append(f"{name} {row.id}: its path key does not match its path")
        for ent, eid in logged:
            if ent == entity and eid not in present:
                problems.append(f"{name} {eid}: in the event log but missing from the table")
    _verify_claims(s, logged, problems)


def _matches(s: Any, row: Any, state: dict[str, Any], state_of: Any) -> bool:
    if state_of is None:  # an audit run: its rows with findings and scores, by digest
        return state.get("digest") == _run_digest(s, row) and state.get("run_key") == row.run_key
    return bool(state == jsonable(state_of(row)))


def _verify_claims(
    s: Any, logged: dict[tuple[str, str], dict[str, Any]], problems: list[str]
) -> None:
    from sqlalchemy import select

    from dualrec_audit.store.schema import Claim

    held = set()
    for c in s.execute(select(Claim)).scalars():
        held.add(str(c.recording_id))
        state = logged.get(("claim", str(c.recording_id)))
        if state is None:
            problems.append(f"claim on recording {c.recording_id}: not in the event log")
        elif state != jsonable(_claim_state(c)):
            problems.append(f"claim on recording {c.recording_id}: differs from the event log")
    for (entity, eid), state in logged.items():
        if entity == "claim" and eid not in held and not state.get("released"):
            problems.append(f"claim on recording {eid}: removed without a release")


def _sqlite_events(engine: Any) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA recursive_triggers=ON")  # REPLACE fires the DELETE guards too
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        write = conn.get_execution_options().get("dualrec_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _storage_error(exc: BaseException, where: str, file: Path | None = None) -> StoreError | None:
    """A clear error for what the database cannot store (None: not such a problem).
    ``file``: the SQLite file, whose disk is looked at when SQLite reports an I/O error (a
    full disk often shows up as one, when the WAL index cannot grow)."""
    orig = getattr(exc, "orig", exc)
    text = str(orig).lower()
    sqlstate = str(getattr(orig, "sqlstate", "") or getattr(orig, "pgcode", "") or "")
    full = "database or disk is full" in text or "no space left" in text or sqlstate == "53100"
    if not full and "disk i/o error" in text and file is not None:
        import shutil

        try:
            full = shutil.disk_usage(file.parent).free < 1 << 20
        except OSError:
            pass
    if full:
        return StoreError(
            f"the disk holding the database {where} is full: nothing more can be stored. "
            "What was stored before is intact; free some space and run the same command again",
            code="disk_full",
        )
    if "readonly database" in text or "read-only" in text:
        return StoreError(f"the database {where} is read-only for this user", code="read_only")
    if "disk i/o error" in text or "unable to open database file" in text:
        return StoreError(
            f"the database {where} cannot be written (disk I/O error: disk full, or the share "
            "holding it went away). What was stored before is intact",
            code="io_error",
        )
    return None


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _path_key(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()


def _path_state(p: Any) -> dict[str, Any]:
    return {
        "recording_id": p.recording_id,
        "path": p.path,
        "path_hex": p.path_hex,
        "share_rel": p.share_rel,
        "size": p.size,
        "mtime_ns": p.mtime_ns,
    }


def _recording_state(rec: Any) -> dict[str, Any]:
    return {
        "sha256": rec.sha256,
        "size": rec.size,
        "duration_s": rec.duration_s,
        **{k: getattr(rec, k) for k in META_FIELDS},
    }


def _event(f: Any) -> Event:
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


def _feedback_state(f: Any) -> dict[str, Any]:
    return {
        "finding_id": f.finding_id,
        "run_id": f.run_id,
        "reviewer": f.reviewer,
        "label": f.label,
        "note": f.note,
        "created_at": f.created_at,
    }


def _claim_state(c: Any) -> dict[str, Any]:
    return {
        "recording_id": c.recording_id,
        "reviewer": c.reviewer,
        "claimed_at": c.claimed_at,
        "expires_at": c.expires_at,
    }


def _stored_claim(c: Any) -> StoredClaim:
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
)


def _decision_state(d: Any) -> dict[str, Any]:
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
    )


def _finding_rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for i, e in enumerate(doc["events"]):
        rows.append(
            {
                "ordinal": i,
                "source": "event",
                "check": e["check"],
                "party": e["party"],
                "start": e["start"],
                "end": e["end"],
                "severity": e["severity"],
                "details": {"message": e["message"], **e["details"]},
            }
        )
    for i, f in enumerate(doc.get("findings") or ()):
        evidence = f.get("evidence") or {}
        rows.append(
            {
                "ordinal": i,
                "source": "rule",
                "check": f["rule"],
                "party": evidence.get("party"),
                "start": f["start"],
                "end": f["end"],
                "severity": f["severity"],
                "details": {
                    "message": f["reason"],
                    "deduction": f["deduction"],
                    "mandatory": f["mandatory"],
                    "evidence": evidence,
                },
            }
        )
    return rows


def _run_digest(s: Any, run: Any) -> str:
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
