"""Account administration in the store: sign-in with lockout after repeated wrong passwords,
disable and enable, password reset (the user must change it at the next sign-in) and change,
role change, sign-out and the idle lock.

Every change is one transaction with its entry in the keyed event log, written through
:meth:`StoreBase._log` with the account's whole resulting state (``account_state``), so the
account's row can be rebuilt from the log and ``db verify`` compares them; sign-ins, sign-outs
and idle locks, which change no row, are logged under ``sign_in``. An administrator's change
states its reason, kept in the row (``changed_reason``) and so in its log entry.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from dualrec_audit.core.result import Text
from dualrec_audit.store.keys import now
from dualrec_audit.store.workflow import WorkflowStore, _account, _hasher, account_state
from dualrec_audit.workflow.accounts import (
    AccountRules,
    check_admin_reason,
    is_locked,
    locked_error,
)
from dualrec_audit.workflow.policy import (
    Account,
    WorkflowError,
    check_password,
    check_role,
)

log = logging.getLogger(__name__)

# The account changes this part logs (entity "account"), checked by `db verify`.
ACCOUNT_EVENTS = (
    "account.disabled",
    "account.enabled",
    "account.password_reset",
    "account.password_changed",
    "account.role_changed",
    "account.sign_in_failed",
    "account.locked_out",
    "account.unlocked",
    "account.sign_in_cleared",
)
# Those only an administrator makes, each with a reason.
ADMIN_EVENTS = (
    "account.disabled",
    "account.enabled",
    "account.password_reset",
    "account.role_changed",
    "account.unlocked",
)


def _bad_login() -> WorkflowError:
    return WorkflowError(Text("用户名或密码不正确", "wrong user name or password"), code="sign_in")


class AccountsStore(WorkflowStore):
    """Sign-in with lockout, and what an administrator or the user changes on an account."""

    account_rules: AccountRules | None = None  # None: the defaults and the environment

    def _rules(self) -> AccountRules:
        if self.account_rules is None:
            self.account_rules = AccountRules.from_env()
        return self.account_rules

    def _change(self, s: Any, row: Any, action: str) -> Account:
        s.flush()
        self._log(s, action, "account", row.id, account_state(row))
        return _account(row)

    # -- signing in --------------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> Account:
        """The account whose password this is; :class:`WorkflowError` otherwise (the same
        message whether the name or the password is wrong, another when the account is
        locked). K wrong passwords in a row lock it for M minutes (:class:`AccountRules`);
        every outcome is logged."""
        from argon2.exceptions import VerificationError

        rules = self._rules()
        name = username.strip()
        error: WorkflowError | None = None
        with self._tx() as s:
            try:
                row = self._account_row(s, name)
            except WorkflowError:
                row = None
            if row is None or not row.active:
                self._log(s, "account.sign_in_failed", "sign_in", name[:80], {})
                error = _bad_login()
            elif is_locked(row.locked_until):
                self._log(s, "account.sign_in_refused", "sign_in", row.username, {"locked": True})
                error = locked_error(row.locked_until)
            else:
                try:
                    ok = bool(_hasher().verify(row.password_hash, password))
                except VerificationError:
                    ok = False
                if not ok:
                    error = self._wrong_password(s, row, rules)
                else:
                    account = self._signed_in(s, row, password)
        if error is not None:
            raise error
        self.actor = account.username
        return account

    def _wrong_password(self, s: Any, row: Any, rules: AccountRules) -> WorkflowError:
        row.failed_sign_ins = (row.failed_sign_ins or 0) + 1
        if row.failed_sign_ins >= rules.lockout_after:
            row.failed_sign_ins = 0
            row.locked_until = now(rules.lockout_minutes * 60)
            self._change(s, row, "account.locked_out")
            log.warning("account %s locked until %s", row.username, row.locked_until)
            return locked_error(row.locked_until)
        self._change(s, row, "account.sign_in_failed")
        return _bad_login()

    def _signed_in(self, s: Any, row: Any, password: str) -> Account:
        if row.failed_sign_ins or row.locked_until:
            row.failed_sign_ins, row.locked_until = 0, None
            self._change(s, row, "account.sign_in_cleared")
        if _hasher().check_needs_rehash(row.password_hash):
            row.password_hash = _hasher().hash(password)
            self._change(s, row, "account.rehashed")
        self._log(s, "account.signed_in", "sign_in", row.username, {"id": row.id})
        return _account(row)

    def sign_out(self, account: Account, *, idle: bool = False) -> None:
        """Log a sign-out (or the window locking itself after the idle time)."""
        action = "account.idle_locked" if idle else "account.signed_out"
        with self._tx() as s:
            row = self._account_row(s, account.username)
            self._log(s, action, "sign_in", row.username, {"id": row.id})

    # -- the user's own password ---------------------------------------------------------------

    def change_password(self, username: str, old: str, new: str) -> Account:
        """The user changes their own password (knowing the old one); clears a reset's
        "change it at the next sign-in"."""
        check_password(new)
        if old == new:
            raise WorkflowError(
                Text("新密码不能与原密码相同", "the new password must differ from the old one"),
                code="usage",
            )
        self.authenticate(username, old)
        with self._tx() as s:
            row = self._account_row(s, username.strip())
            row.password_hash = _hasher().hash(new)
            row.must_change_password = False
            return self._change(s, row, "account.password_changed")

    # -- an administrator's changes ------------------------------------------------------------

    def set_active(self, username: str, active: bool, *, by: Account, reason: str = "") -> None:
        """Disable or enable an account (an administrator, with a reason when given). The
        last active administrator cannot be disabled."""
        why = check_admin_reason(reason) if reason else None
        with self._tx() as s:
            self._require_admin(s, by)
            row = self._account_row(s, username)
            if not active and row.role == "admin":
                self._keep_an_admin(s, row)
            row.active, row.changed_reason, row.changed_by = active, why, by.username
            self._change(s, row, "account.enabled" if active else "account.disabled")

    def reset_password(self, username: str, password: str, *, by: Account, reason: str) -> None:
        """An administrator sets a temporary password; the user must change it at the next
        sign-in. A lockout ends with it."""
        why = check_admin_reason(reason)
        check_password(password)
        with self._tx() as s:
            self._require_admin(s, by)
            row = self._account_row(s, username)
            row.password_hash = _hasher().hash(password)
            row.must_change_password = True
            row.failed_sign_ins, row.locked_until, row.changed_reason = 0, None, why
            row.changed_by = by.username
            self._change(s, row, "account.password_reset")

    def set_password(self, username: str, password: str, *, by: Account) -> None:
        """Kept for scripts: an administrator's reset (the user changes it at next sign-in),
        or the user's own new password."""
        if by.username == username:
            check_password(password)
            with self._tx() as s:
                row = self._account_row(s, username)
                row.password_hash = _hasher().hash(password)
                row.must_change_password = False
                self._change(s, row, "account.password_changed")
            return
        self.reset_password(username, password, by=by, reason="管理员设置密码")

    def set_role(self, username: str, role: str, *, by: Account, reason: str) -> Account:
        """An administrator changes an account's role, with the reason (logged)."""
        why = check_admin_reason(reason)
        role = check_role(role)
        with self._tx() as s:
            self._require_admin(s, by)
            row = self._account_row(s, username)
            if row.role == "admin" and role != "admin":
                self._keep_an_admin(s, row)
            row.role, row.changed_reason, row.changed_by = role, why, by.username
            return self._change(s, row, "account.role_changed")

    def unlock(self, username: str, *, by: Account, reason: str) -> None:
        """An administrator ends a lockout before its time."""
        why = check_admin_reason(reason)
        with self._tx() as s:
            self._require_admin(s, by)
            row = self._account_row(s, username)
            row.failed_sign_ins, row.locked_until, row.changed_reason = 0, None, why
            row.changed_by = by.username
            self._change(s, row, "account.unlocked")

    def _keep_an_admin(self, s: Any, row: Any) -> None:
        from sqlalchemy import func, select

        from dualrec_audit.store.schema import Account as Row

        others = s.execute(
            select(func.count())
            .select_from(Row)
            .where(Row.role == "admin", Row.active.is_(True), Row.id != row.id)
        ).scalar_one()
        if not others:
            raise WorkflowError(
                Text(
                    "这是最后一个在用的管理员账号，不能停用或降级",
                    "this is the last active administrator: it cannot be disabled or demoted",
                )
            )

    def locked(self, username: str) -> str | None:
        """Until when the account is locked out (None: it is not)."""
        with self._read() as s:
            row = self._account_row(s, username)
            until = row.locked_until
        return until if is_locked(until, datetime.now(UTC)) else None
