"""Account administration rules a bank sets, without a database: how many wrong passwords in
a row lock an account and for how long, and when an idle window locks itself.

``$DUALREC_AUDIT_LOCKOUT`` (``K,M``: K wrong passwords lock the account for M minutes) and
``$DUALREC_AUDIT_IDLE_MINUTES`` override the defaults; the window's idle lock is also a
per-PC setting (``idle_minutes`` in the settings file). Every change an administrator makes
needs a reason (:func:`check_admin_reason`); it is kept in the account's row and its log entry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from dualrec_audit.core.errors import ConfigError
from dualrec_audit.core.result import Text
from dualrec_audit.workflow.evidence import substantive
from dualrec_audit.workflow.policy import WorkflowError

LOCKOUT_ENV = "DUALREC_AUDIT_LOCKOUT"
IDLE_ENV = "DUALREC_AUDIT_IDLE_MINUTES"


@dataclass(frozen=True)
class AccountRules:
    lockout_after: int = 5  # wrong passwords in a row that lock the account
    lockout_minutes: float = 15.0  # how long it stays locked
    idle_minutes: float = 10.0  # the window locks after this long without input (0: never)

    @classmethod
    def from_env(cls) -> AccountRules:
        rules = cls()
        lockout = os.environ.get(LOCKOUT_ENV, "").strip()
        if lockout:
            try:
                k, m = lockout.split(",")
                rules = cls(int(k), float(m), rules.idle_minutes)
            except ValueError:
                raise ConfigError(
                    f"${LOCKOUT_ENV} must be K,M (K wrong passwords lock for M minutes), "
                    f"not '{lockout}'"
                ) from None
            if rules.lockout_after < 1 or rules.lockout_minutes <= 0:
                raise ConfigError(f"${LOCKOUT_ENV}: K must be >= 1 and M > 0")
        idle = os.environ.get(IDLE_ENV, "").strip()
        if idle:
            try:
                rules = cls(rules.lockout_after, rules.lockout_minutes, max(0.0, float(idle)))
            except ValueError:
                raise ConfigError(f"${IDLE_ENV} must be minutes, not '{idle}'") from None
        return rules


def is_locked(locked_until: str | None, at: datetime | None = None) -> bool:
    if not locked_until:
        return False
    when = datetime.fromisoformat(locked_until)
    return (at or datetime.now(UTC)) < when


def locked_error(locked_until: str) -> WorkflowError:
    local = datetime.fromisoformat(locked_until).astimezone().strftime("%H:%M")
    return WorkflowError(
        Text(
            f"密码连续输错次数过多，账号已锁定至 {local}：请稍后再试，或请管理员解锁",
            f"too many wrong passwords: the account is locked until {local}; try again later "
            "or ask an administrator to unlock it",
        ),
        code="locked",
    )


def check_admin_reason(reason: str | None) -> str:
    """An administrator's change of an account states why (kept with it)."""
    if not substantive(reason):
        raise WorkflowError(
            Text("请写明理由（至少两个汉字或四个字母）", "give the reason for this change"),
            code="reason",
        )
    return (reason or "").strip()
