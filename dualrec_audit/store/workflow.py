"""The reviewer workflow's part of the store: accounts (Argon2id password hashes), decisions
under the workflow's rules (:mod:`dualrec_audit.workflow.policy`), appeals and assignments.

Every write is one transaction with its event-log entry, like the rest of the store; the
rules are checked inside that transaction against what the database holds then, so two
windows cannot together break them (two approvals by the same senior, an appeal decided by
the reviewer it disputes).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

from dualrec_audit.core.errors import ConfigError
from dualrec_audit.core.result import AuditResult, Text
from dualrec_audit.store.keys import now
from dualrec_audit.store.records import (
    FIRST_RUN,
    StoredDecision,
    StoredFeedback,
    stored_decision,
)
from dualrec_audit.store.reviews import ReviewsStore
from dualrec_audit.workflow.policy import (
    Account,
    AppealFacts,
    DecisionFacts,
    Request,
    State,
    WorkflowError,
    check_appeal,
    check_decision,
    check_password,
    check_role,
    check_username,
    state_of,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredAppeal:
    id: int
    recording_id: int
    run_id: int
    decision_id: int | None
    appellant: str
    reason: str
    filed_by: str
    created_at: str


@dataclass(frozen=True)
class Assigned:
    recording_id: int
    assignee: str
    assigned_by: str
    assigned_at: str


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # Argon2id with the library's current recommended parameters


class WorkflowStore(ReviewsStore):
    """Accounts, decisions under the workflow's rules, appeals and assignments. Built on the
    reviews part: a decision the rules allow is inserted as :class:`ReviewsStore` inserts
    one (with the claim check and release)."""

    def _tx(self) -> AbstractContextManager[Any]:
        return self._write()

    # -- accounts --------------------------------------------------------------------------

    def has_accounts(self) -> bool:
        """Whether the database has (or ever had: the event log says so) an account, i.e.
        whether a new account needs an administrator's authority."""
        with self._read() as s:
            return self._had_accounts(s)

    def _had_accounts(self, s: Any) -> bool:
        from sqlalchemy import func, select

        from dualrec_audit.store.schema import Account as Row
        from dualrec_audit.store.schema import LogEntry

        if s.execute(select(func.count()).select_from(Row)).scalar_one():
            return True
        q = select(LogEntry.seq).where(LogEntry.entity == "account").limit(1)
        return s.execute(q).first() is not None

    def create_account(
        self,
        username: str,
        display_name: str,
        role: str,
        password: str,
        *,
        by: Account | None = None,
    ) -> Account:
        """A new account. The first one (on a database that never had an account, as its
        event log shows) is the first administrator and needs nobody's authority; every later
        one is created by an administrator. An emptied accounts table does not make the next
        account a first administrator."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import Account as Row

        name = check_username(username)
        role = check_role(role)
        check_password(password)
        with self._tx() as s:
            first = not self._had_accounts(s)
            if first and role != "admin":
                raise WorkflowError(
                    Text("第一个账号必须是管理员", "the first account must be an administrator")
                )
            if not first:
                self._require_admin(s, by)
            if s.execute(select(Row).where(Row.username == name)).scalar_one_or_none():
                raise WorkflowError(
                    Text(f"用户名 {name} 已存在", f"the user name '{name}' is taken"), code="usage"
                )
            row = Row(
                username=name,
                display_name=display_name.strip() or name,
                role=role,
                password_hash=_hasher().hash(password),
                active=True,
                created_at=now(),
                created_by=by.username if by is not None else FIRST_RUN,
            )
            s.add(row)
            s.flush()
            self._log(s, "account.created", "account", row.id, account_state(row))
            account = _account(row)
        return account

    def _require_admin(self, s: Any, by: Account | None) -> None:
        from dualrec_audit.store.schema import Account as Row

        row = None if by is None else s.get(Row, by.id)
        if row is None or row.role != "admin" or not row.active:
            raise WorkflowError(
                Text("只有管理员可以管理账号", "only an administrator manages accounts")
            )

    def accounts(self) -> list[Account]:
        from sqlalchemy import select

        from dualrec_audit.store.schema import Account as Row

        with self._read() as s:
            return [_account(r) for r in s.execute(select(Row).order_by(Row.username)).scalars()]

    def _account_row(self, s: Any, username: str) -> Any:
        from sqlalchemy import select

        from dualrec_audit.store.schema import Account as Row

        row = s.execute(select(Row).where(Row.username == username)).scalar_one_or_none()
        if row is None:
            raise WorkflowError(Text(f"没有账号 {username}", f"no account '{username}'"))
        return row

    # -- decisions under the rules ---------------------------------------------------------

    def decide(self, run_id: int, req: Request, *, check_claim: bool = True) -> StoredDecision:
        """Store a decision if the workflow's rules allow it (:func:`check_decision`), with
        the account's role, the places watched and the reasons; release the claim."""
        from dualrec_audit.store.schema import AuditRun

        with self._tx() as s:
            run = s.get(AuditRun, run_id)
            if run is None:
                raise ConfigError(f"no audit run {run_id} in the database")
            account = _account(self._account_row(s, req.account.username))
            req = replace(req, account=account)
            state, disputed_by = self._state(s, run.recording_id)
            result = AuditResult.from_dict(run.result)
            outcome = check_decision(req, state, result, decided_disputed_by=disputed_by)
            extra = {
                "role": account.role,
                "watched": [list(w) for w in req.watched] or None,
                "unwatched_reason": (req.unwatched_reason or "").strip() or None,
                "change_reason": (req.change_reason or "").strip() or None,
                "appeal_id": outcome.appeal_id,
                "four_eyes": outcome.four_eyes,
                "listened": None if req.listened is None else round(req.listened, 3),
            }
            row = self._insert_decision(
                s,
                run_id,
                account.username,
                req.verdict,
                (req.reason_code or "").strip() or None,
                (req.reason_text or "").strip() or None,
                check_claim=check_claim,
                extra=extra,
            )
            return stored_decision(row)

    def state(self, recording_id: int) -> State:
        with self._read() as s:
            return self._state(s, recording_id)[0]

    def _state(self, s: Any, recording_id: int) -> tuple[State, str | None]:
        """Where the recording stands, and who made the re-record an open appeal disputes."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import Appeal, ReviewDecision

        rows = s.execute(
            select(ReviewDecision)
            .where(ReviewDecision.recording_id == recording_id)
            .order_by(ReviewDecision.id)
        ).scalars()
        decisions = [
            DecisionFacts(d.id, d.reviewer, d.verdict, d.four_eyes, d.appeal_id) for d in rows
        ]
        decided = {d.appeal_id for d in decisions if d.appeal_id is not None}
        appeals = [
            AppealFacts(a.id, a.decision_id, a.id in decided)
            for a in s.execute(
                select(Appeal).where(Appeal.recording_id == recording_id).order_by(Appeal.id)
            ).scalars()
        ]
        state = state_of(decisions, appeals)
        disputed_by = None
        if state.appeal is not None and state.appeal.decision_id is not None:
            d = s.get(ReviewDecision, state.appeal.decision_id)
            disputed_by = None if d is None else d.reviewer
        return state, disputed_by

    # -- appeals ---------------------------------------------------------------------------

    def file_appeal(
        self, recording_id: int, appellant: str, reason: str, *, by: Account
    ) -> StoredAppeal:
        """Record a teller's or branch's appeal against the recording's re-record."""
        from sqlalchemy import func, select

        from dualrec_audit.store.schema import Appeal, AuditRun

        with self._tx() as s:
            account = _account(self._account_row(s, by.username))
            run_id = s.execute(
                select(func.max(AuditRun.id)).where(AuditRun.recording_id == recording_id)
            ).scalar_one_or_none()
            if run_id is None:
                raise ConfigError(f"no recording {recording_id} in the database")
            state, _ = self._state(s, recording_id)
            check_appeal(state, s.get(AuditRun, run_id).decision, reason, appellant, account)
            row = Appeal(
                recording_id=recording_id,
                run_id=run_id,
                decision_id=None if state.last is None else state.last.id,
                appellant=appellant.strip(),
                reason=reason.strip(),
                filed_by=account.username,
                created_at=now(),
            )
            s.add(row)
            s.flush()
            self._log(s, "appeal.filed", "appeal", row.id, appeal_state(row))
            return _stored_appeal(row)

    def appeals(self, recording_id: int | None = None) -> list[StoredAppeal]:
        from sqlalchemy import select

        from dualrec_audit.store.schema import Appeal

        with self._read() as s:
            q = select(Appeal).order_by(Appeal.id)
            if recording_id is not None:
                q = q.where(Appeal.recording_id == recording_id)
            return [_stored_appeal(a) for a in s.execute(q).scalars()]

    # -- assignments -----------------------------------------------------------------------

    def assign(self, recording_ids: Sequence[int], assignee: str | None, *, by: Account) -> int:
        """Assign recordings to a reviewer (None: unassign). Seniors and administrators
        assign to anyone; a reviewer takes recordings for themselves only."""
        from dualrec_audit.store.schema import Assignment

        with self._tx() as s:
            me = _account(self._account_row(s, by.username))
            if assignee is not None:
                target = _account(self._account_row(s, assignee))
                if not target.reviews or not target.active:
                    raise WorkflowError(
                        Text("只能分配给在用的复核员", "assign to an active reviewer only")
                    )
            if me.role == "reviewer" and assignee not in (None, me.username):
                raise WorkflowError(
                    Text("复核员只能给自己分配", "a reviewer assigns recordings to themselves only")
                )
            for rid in recording_ids:
                row = self._assignment_row(s, rid)
                if assignee is None:
                    if row is not None:
                        s.delete(row)
                        s.flush()
                        self._log(s, "assignment.removed", "assignment", rid, {"removed": True})
                    continue
                if row is None:
                    row = Assignment(recording_id=rid, assignee="", assigned_by="", assigned_at="")
                    s.add(row)
                row.assignee, row.assigned_by, row.assigned_at = assignee, me.username, now()
                s.flush()
                self._log(s, "assignment.set", "assignment", rid, assignment_state(row))
            return len(recording_ids)

    def assignments(self) -> dict[int, Assigned]:
        from sqlalchemy import select

        from dualrec_audit.store.schema import Assignment

        with self._read() as s:
            return {
                a.recording_id: Assigned(a.recording_id, a.assignee, a.assigned_by, a.assigned_at)
                for a in s.execute(select(Assignment)).scalars()
            }

    def _assignment_row(self, s: Any, recording_id: int) -> Any:
        from sqlalchemy import select

        from dualrec_audit.store.schema import Assignment

        q = select(Assignment).where(Assignment.recording_id == recording_id)
        return s.execute(q).scalar_one_or_none()

    # -- what the queue and the export read ------------------------------------------------

    def recorded_times(self) -> dict[int, int]:
        """Each recording's file time (ns since the epoch; the newest place it was seen)."""
        from sqlalchemy import func, select

        from dualrec_audit.store.schema import RecordingPath

        with self._read() as s:
            q = select(RecordingPath.recording_id, func.max(RecordingPath.mtime_ns)).group_by(
                RecordingPath.recording_id
            )
            return {int(r): int(t) for r, t in s.execute(q)}

    def standings(self) -> dict[int, State]:
        """Where every recording with a decision or an appeal stands."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import Appeal, ReviewDecision

        with self._read() as s:
            ids = set(s.execute(select(ReviewDecision.recording_id)).scalars())
            ids |= set(s.execute(select(Appeal.recording_id)).scalars())
            return {rid: self._state(s, rid)[0] for rid in sorted(ids)}

    def finding_verdicts(self) -> dict[tuple[int, str, int], StoredFeedback]:
        """The latest mark on each finding, keyed (run id, source, ordinal) as the result's
        findings (source "rule") and events (source "event") are numbered."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import FindingFeedback, FindingRow

        out: dict[tuple[int, str, int], StoredFeedback] = {}
        with self._read() as s:
            q = (
                select(FindingFeedback, FindingRow.source, FindingRow.ordinal)
                .join(FindingRow, FindingRow.id == FindingFeedback.finding_id)
                .order_by(FindingFeedback.id)
            )
            for f, source, ordinal in s.execute(q):
                out[(f.run_id, source, ordinal)] = StoredFeedback(
                    f.id, f.finding_id, f.run_id, f.reviewer, f.label, f.note, f.created_at
                )
        return out


def _account(row: Any) -> Account:
    return Account(
        row.id,
        row.username,
        row.display_name,
        row.role,
        bool(row.active),
        bool(row.must_change_password),
    )


def account_state(row: Any) -> dict[str, Any]:
    return {
        "username": row.username,
        "display_name": row.display_name,
        "role": row.role,
        "active": bool(row.active),
        "created_at": row.created_at,
        "created_by": row.created_by,
        # The hash is not logged, only a digest of it (a changed hash shows in `db verify`).
        "password": hashlib.sha256(row.password_hash.encode()).hexdigest(),
        # Account administration (migration 0005_31), logged when set so that accounts
        # logged before it still match.
        **({"must_change_password": True} if row.must_change_password else {}),
        **({"failed_sign_ins": row.failed_sign_ins} if row.failed_sign_ins else {}),
        **({"locked_until": row.locked_until} if row.locked_until else {}),
        **({"changed_reason": row.changed_reason} if row.changed_reason else {}),
        **({"changed_by": row.changed_by} if row.changed_by else {}),
    }


def appeal_state(row: Any) -> dict[str, Any]:
    return {
        "recording_id": row.recording_id,
        "run_id": row.run_id,
        "decision_id": row.decision_id,
        "appellant": row.appellant,
        "reason": row.reason,
        "filed_by": row.filed_by,
        "created_at": row.created_at,
    }


def _stored_appeal(row: Any) -> StoredAppeal:
    return StoredAppeal(
        row.id,
        row.recording_id,
        row.run_id,
        row.decision_id,
        row.appellant,
        row.reason,
        row.filed_by,
        row.created_at,
    )


def assignment_state(row: Any) -> dict[str, Any]:
    return {
        "recording_id": row.recording_id,
        "assignee": row.assignee,
        "assigned_by": row.assigned_by,
        "assigned_at": row.assigned_at,
    }
