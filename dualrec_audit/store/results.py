"""The audit results part of the store: recordings and the paths they were seen at, audit
runs with their findings and scores, and what the scanner, the queue and the export read.

Runs are keyed by content (recording hash, profile, models, options): storing the same run
twice stores it once. A run is stored whole with its findings, scores and log entry, in one
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dualrec_audit.core.errors import ConfigError
from dualrec_audit.core.paths import display_path, os_path, raw_hex, share_roots
from dualrec_audit.core.result import AuditResult, Event
from dualrec_audit.store.base import StoreBase
from dualrec_audit.store.keys import BY_PATH, jsonable, now, path_key
from dualrec_audit.store.records import (
    META_FIELDS,
    RecordingMeta,
    RunSummary,
    StoredFinding,
    finding_event,
    path_state,
    recording_state,
    run_digest,
)


class ResultsStore(StoreBase):
    """Recordings, paths, audit runs, findings and scores: writing and reading them."""

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
                    RecordingPath.path_key == path_key(path),
                    RecordingPath.size == size,
                    RecordingPath.mtime_ns == mtime_ns,
                    Recording.sha256.not_like(f"{BY_PATH}%"),  # not a content hash
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

        key = path_key(path)
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
        self._log(s, "path.seen", "recording_path", row.id, path_state(row))

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
            self._log(s, "recording.added", "recording", rec.id, recording_state(rec))
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
            self._log(s, "recording.updated", "recording", rec.id, recording_state(rec))
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
                {"run_key": key, "sha256": sha256, "digest": run_digest(s, run)},
            )
            return run.id, True

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
            if latest:
                rows = _without_superseded(s, rows)
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
                    id=f.id,
                    run_id=f.run_id,
                    source=f.source,
                    ordinal=f.ordinal,
                    event=finding_event(f),
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

    def counts(self) -> dict[str, int]:
        """Rows per table (for tests and `db info`)."""
        from sqlalchemy import func, select

        from dualrec_audit.store.schema import Base

        with self._read() as s:
            return {
                name: s.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in Base.metadata.tables.items()
            }


def _without_superseded(s: Any, rows: Any) -> Any:
    """Leave out the error of a file keyed by its path (it could not be audited then) when
    the same path has since been audited under its content: the later audit is the file's."""
    from sqlalchemy import func, select

    from dualrec_audit.store.schema import AuditRun, RecordingPath

    by_path = {rec.id: run.id for run, rec in rows if rec.sha256.startswith(BY_PATH)}
    if not by_path:
        return rows
    mine = select(RecordingPath.recording_id, RecordingPath.path_key).where(
        RecordingPath.recording_id.in_(by_path)
    )
    keys: dict[str, list[int]] = {}
    for rid, key in s.execute(mine):
        keys.setdefault(key, []).append(rid)
    later = (
        select(RecordingPath.path_key, func.max(AuditRun.id))
        .join(AuditRun, AuditRun.recording_id == RecordingPath.recording_id)
        .where(RecordingPath.path_key.in_(keys), RecordingPath.recording_id.not_in(by_path))
        .group_by(RecordingPath.path_key)
    )
    gone = set()
    for key, newest in s.execute(later):
        gone |= {rid for rid in keys[key] if newest > by_path[rid]}
    return [(run, rec) for run, rec in rows if rec.id not in gone]


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
