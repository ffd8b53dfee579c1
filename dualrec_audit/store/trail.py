"""The tables that carry authority, checked both ways against the keyed event log: accounts
(replayed from the log's account entries), the role each decision was made with, appeals and
assignments.

Accounts are not compared with "the last entry about them" but replayed: every account entry
kind has an effect on the account's state (:data:`ACCOUNT_EFFECTS`), so a new kind of account
entry (a lockout, a sign-out, a role change) says here what it does, and an entry of a kind
nobody registered is itself a problem. The replay also knows, at each point of the log, which
role each account had: a decision records the role it was made with, which must be the role
the log gave that account then (a role granted by editing the row, used and set back, is
caught).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dualrec_audit.store.records import FIRST_RUN, both_ways

AccountState = dict[str, Any]
# An account entry's effect: (the account's state before it or None, the entry's payload)
# -> its state after (None: the account is gone).
Effect = Callable[[AccountState | None, Mapping[str, Any]], AccountState | None]


def replaced(_before: AccountState | None, payload: Mapping[str, Any]) -> AccountState:
    """The entry records the account's whole state after the change."""
    return dict(payload)


ACCOUNT_EFFECTS: dict[str, Effect] = {
    "account.created": replaced,
    "account.password_set": replaced,
    "account.enabled": replaced,
    "account.disabled": replaced,
    "account.rehashed": replaced,
    # Account administration (issue 31): each entry carries the account's whole state.
    "account.password_reset": replaced,
    "account.password_changed": replaced,
    "account.role_changed": replaced,
    "account.sign_in_failed": replaced,
    "account.sign_in_cleared": replaced,
    "account.locked_out": replaced,
    "account.unlocked": replaced,
}


@dataclass(frozen=True)
class Entry:
    """One event-log entry as verification reads it (the payload parsed)."""

    seq: int
    action: str
    entity: str
    entity_id: str
    state: Mapping[str, Any]


@dataclass
class Accounts:
    """Accounts as the log's entries leave them (by account id), with the problems found."""

    state: dict[str, AccountState | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    ever: bool = False  # the log has created an account

    def by_name(self, username: str) -> AccountState | None:
        for st in self.state.values():
            if st is not None and st.get("username") == username:
                return st
        return None


def replay_accounts(entries: Iterable[Entry]) -> Accounts:
    """Replay the log: account entries through :data:`ACCOUNT_EFFECTS`; every decision made
    with a role is checked against the role its account had at that point."""
    acc = Accounts()
    for e in entries:
        if e.entity == "account":
            _apply(acc, e)
        elif e.entity == "review_decision" and e.state.get("role") is not None:
            _check_role(acc, e)
    return acc


def _apply(acc: Accounts, e: Entry) -> None:
    effect = ACCOUNT_EFFECTS.get(e.action)
    if effect is None:
        acc.problems.append(f"log entry {e.seq}: account entry of unknown kind '{e.action}'")
        return
    if e.action == "account.created":
        if e.state.get("created_by") == FIRST_RUN and acc.ever:
            acc.problems.append(
                f"log entry {e.seq}: account {e.entity_id} was created as a first administrator "
                "on a database that had accounts already"
            )
        acc.ever = True
    acc.state[e.entity_id] = effect(acc.state.get(e.entity_id), e.state)


def _check_role(acc: Accounts, e: Entry) -> None:
    who, role = e.state.get("reviewer"), e.state.get("role")
    account = acc.by_name(str(who))
    if account is None:
        acc.problems.append(
            f"review decision {e.entity_id}: made as {role} by {who}, an account the event log "
            "did not know then"
        )
    elif account.get("role") != role:
        acc.problems.append(
            f"review decision {e.entity_id}: made as {role}, but the event log knew {who} as "
            f"{account.get('role')} then"
        )
    elif not account.get("active", True):
        acc.problems.append(
            f"review decision {e.entity_id}: made by {who}, whose account the event log had "
            "disabled then"
        )


def verify_authority(
    s: Any, logged: Mapping[tuple[str, str], Any], entries: Iterable[Entry]
) -> list[str]:
    """Accounts, decisions' roles, appeals and assignments against the log, both ways: rows
    the log does not have, and rows the log has that are gone."""
    from sqlalchemy import select

    from dualrec_audit.store.schema import Account, Appeal, Assignment
    from dualrec_audit.store.workflow import account_state, appeal_state, assignment_state

    acc = replay_accounts(entries)
    problems = list(acc.problems)
    expected = {k: v for k, v in acc.state.items() if v is not None}
    problems += both_ways(
        "account", s.execute(select(Account)).scalars(), expected, account_state, "id"
    )
    appeals = {eid: st for (ent, eid), st in logged.items() if ent == "appeal"}
    problems += both_ways(
        "appeal", s.execute(select(Appeal)).scalars(), appeals, appeal_state, "id"
    )
    assigned = {
        eid: st
        for (ent, eid), st in logged.items()
        if ent == "assignment" and not st.get("removed")
    }
    problems += both_ways(
        "assignment of recording",
        s.execute(select(Assignment)).scalars(),
        assigned,
        assignment_state,
        "recording_id",
    )
    return problems
