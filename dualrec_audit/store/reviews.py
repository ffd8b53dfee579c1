"""The reviewers' part of the store: decisions (verdicts), marks on findings (false alarms)
and claims on the recording being reviewed.

A claim held by someone else that has not expired is refused with
:class:`~dualrec_audit.store.records.ClaimedError`, so two reviewers sharing a database never
work on the same recording at once. Claims expire by themselves (a reviewer whose program
died does not block the recording for long).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from dualrec_audit.core.errors import ConfigError
from dualrec_audit.store.base import StoreBase
from dualrec_audit.store.keys import now
from dualrec_audit.store.records import (
    ClaimedError,
    StoredClaim,
    StoredDecision,
    StoredFeedback,
    claim_state,
    decision_state,
    feedback_state,
    stored_claim,
    stored_decision,
)

log = logging.getLogger(__name__)

VERDICTS = ("approve", "rerecord", "escalate")
FEEDBACK_LABELS = ("false_alarm", "confirmed")
CLAIM_TTL_S = 15 * 60.0  # a claim not renewed for this long lapses


class ReviewsStore(StoreBase):
    """Review decisions, finding marks and claims."""

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
        self._log(s, "review.decided", "review_decision", row.id, decision_state(row))
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

    # -- a file replaced after its audit ----------------------------------------------------

    def note_changed_file(
        self, recording_id: int, path: str, sha256: str, size: int, reviewer: str
    ) -> None:
        """The file a reviewer was about to play differs from the one audited: log it, which
        marks the recording for a new audit (:meth:`changed_files`; the next scan of that
        file audits its new content as the recording it now is)."""
        from dualrec_audit.store.schema import Recording

        with self._write() as s:
            rec = s.get(Recording, recording_id)
            if rec is None:
                raise ConfigError(f"no recording {recording_id} in the database")
            payload = {
                "path": path,
                "sha256": sha256,
                "size": size,
                "audited_sha256": rec.sha256,
                "noticed_by": reviewer,
            }
            self._log(s, "recording.file_changed", "file_check", recording_id, payload)

    def audited_file(self, recording_id: int) -> tuple[str, int]:
        """The sha256 and size of the file the recording's audits read."""
        from dualrec_audit.store.schema import Recording

        with self._read() as s:
            rec = s.get(Recording, recording_id)
            if rec is None:
                raise ConfigError(f"no recording {recording_id} in the database")
            return str(rec.sha256), int(rec.size)

    def changed_files(self) -> dict[int, dict[str, Any]]:
        """Recordings whose file was found replaced after their audit (the last notice)."""
        import json

        from sqlalchemy import select

        from dualrec_audit.store.schema import LogEntry

        q = select(LogEntry.entity_id, LogEntry.payload).where(
            LogEntry.action == "recording.file_changed"
        )
        with self._read() as s:
            return {int(e): json.loads(p) for e, p in s.execute(q.order_by(LogEntry.seq))}

    # -- false alarms ----------------------------------------------------------------------

    def add_feedback(
        self, finding_id: int, reviewer: str, label: str = "false_alarm", note: str | None = None
    ) -> int:
        """Mark a finding (``false_alarm``, or ``confirmed`` to withdraw that mark)."""
        from dualrec_audit.store.schema import FindingRow

        if label not in FEEDBACK_LABELS:
            raise ConfigError(f"unknown label '{label}'; use one of {', '.join(FEEDBACK_LABELS)}")
        if not reviewer.strip():
            raise ConfigError("a mark needs the reviewer's name")
        with self._write() as s:
            finding = s.get(FindingRow, finding_id)
            if finding is None:
                raise ConfigError(f"no finding {finding_id} in the database")
            return self._insert_feedback(s, finding, reviewer, label, note)

    def _insert_feedback(
        self, s: Any, finding: Any, reviewer: str, label: str, note: str | None
    ) -> int:
        """Insert and log a mark on ``finding`` (its row) in the transaction ``s``."""
        from dualrec_audit.store.schema import FindingFeedback

        row = FindingFeedback(
            finding_id=finding.id,
            run_id=finding.run_id,
            reviewer=reviewer.strip(),
            label=label,
            note=(note or "").strip() or None,
            created_at=now(),
        )
        s.add(row)
        s.flush()
        self._log(s, "finding.marked", "finding_feedback", row.id, feedback_state(row))
        return int(row.id)

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
            self._log(s, action, "claim", recording_id, claim_state(row))
            return stored_claim(row)

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
            out = [stored_claim(r) for r in rows]
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
