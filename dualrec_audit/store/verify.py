"""Verification of the store against its event log: the chain (an HMAC with the key from
outside the database, or plain SHA-256 before the database was keyed), the heads recorded in
anchor files and exports, and every table's rows against the log's last state of them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dualrec_audit.core.paths import os_path
from dualrec_audit.store import trust
from dualrec_audit.store.keys import GENESIS, entry_text, jsonable, path_key
from dualrec_audit.store.profiles_store import verify_calibration
from dualrec_audit.store.records import (
    VerifyReport,
    claim_state,
    decision_state,
    feedback_state,
    path_state,
    recording_state,
    run_digest,
)
from dualrec_audit.store.trail import Entry, verify_authority
from dualrec_audit.store.workflow import WorkflowStore


class VerifyStore(WorkflowStore):
    """``verify()`` and the log's head. Built on the workflow part, whose rows it checks too."""

    def head(self) -> tuple[int, str] | None:
        """The event log's newest entry (seq, hash): what an export records so that a later
        ``db verify --anchor EXPORT`` notices entries deleted since."""
        from sqlalchemy import select

        from dualrec_audit.store.schema import LogEntry

        with self._read() as s:
            q = select(LogEntry.seq, LogEntry.hash).order_by(LogEntry.seq.desc()).limit(1)
            row = s.execute(q).first()
        return None if row is None else (int(row[0]), str(row[1]))

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
        # The anchors first, then one snapshot of the log and the tables: a head appended
        # after its write committed is then always within the snapshot, so entries a scan
        # writes meanwhile are neither "deleted" nor half-seen.
        recorded = self._read_anchor_files(anchors, problems)
        with self._snapshot() as s:
            n, heads, logged, entries = self._verify_chain(s, key, problems)
            _verify_rows(s, logged, problems)
            problems += verify_authority(s, logged, entries)
            problems += verify_calibration(s, logged)
            problems += _verify_account_events(s)
        if n and not any(f == self.anchor_file for f, _ in recorded):
            notes.append(
                f"no anchor file on this machine ({self.anchor_file}): deleting the newest log "
                "entries with their rows would not be detected here"
            )
        checked = 0
        for f, heads_recorded in recorded:
            checked += len(heads_recorded)
            problems.extend(_anchor_problems(f, heads_recorded, n, heads))
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
            notes += [
                f"this location held another database before (id {k.db_id}, key file {k.path})"
                for k in trust.keys_at(self.location)
                if k.db_id != self.db_id
            ]
            return self.key
        if db_keyed_from is not None:
            problems.append(f"cannot verify the keyed event log: {self.key_error}")
            return None
        if self.key_error is not None:  # a key for this database or location that does not fit
            problems.append(f"the database says it was never keyed, but {self.key_error}")
            return None
        notes.append(
            "the event log is not keyed (a database from before keys): whoever can write the "
            "database could rewrite it unnoticed; `dualrec-audit db init` keys it from now on"
        )
        return None

    def _verify_chain(
        self, s: Any, key: trust.Key | None, problems: list[str]
    ) -> tuple[int, dict[int, str], dict[tuple[str, str], dict[str, Any]], list[Entry]]:
        from sqlalchemy import select

        from dualrec_audit.store.schema import LogEntry

        logged: dict[tuple[str, str], dict[str, Any]] = {}
        entries: list[Entry] = []
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
                state = json.loads(e.payload)
            except ValueError:
                problems.append(f"log entry {e.seq}: payload is not JSON")
                continue
            logged[(e.entity, e.entity_id)] = state
            if isinstance(state, dict):
                entries.append(Entry(e.seq, e.action, e.entity, e.entity_id, state))
        return n, heads, logged, entries

    def _read_anchor_files(
        self, extra: Iterable[Path], problems: list[str]
    ) -> list[tuple[Path, list[tuple[int, str]]]]:
        """The heads each anchor file (this database's, then those given) recorded."""
        out: list[tuple[Path, list[tuple[int, str]]]] = []
        for f in [self.anchor_file, *(Path(x) for x in extra)]:
            try:
                recorded = trust.read_anchors(Path(f))
            except FileNotFoundError:
                if f == self.anchor_file:
                    continue  # noted after the snapshot, when the log has entries
                problems.append(f"{f}: no such anchor file")
                continue
            except (OSError, ValueError, KeyError, TypeError) as exc:
                problems.append(f"{f}: cannot be read as an anchor file or export ({exc})")
                continue
            if not recorded and f != self.anchor_file:
                problems.append(
                    f"{f}: records no log head (not an anchor file, nor an export with a "
                    "chain head)"
                )
                continue
            out.append((Path(f), recorded))
        return out


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
        ("recording", "recording", Recording, recording_state),
        ("recording_path", "recording path", RecordingPath, path_state),
        ("audit_run", "audit run", AuditRun, None),
        ("review_decision", "review decision", ReviewDecision, decision_state),
        ("finding_feedback", "finding mark", FindingFeedback, feedback_state),
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
            if entity == "recording_path" and row.path_key != path_key(
                os_path(row.path, row.path_hex)
            ):
                problems.append(f"{name} {row.id}: its path key does not match its path")
        for ent, eid in logged:
            if ent == entity and eid not in present:
                problems.append(f"{name} {eid}: in the event log but missing from the table")
    _verify_claims(s, logged, problems)


def _verify_account_events(s: Any) -> list[str]:
    """Account administration (issue 31), replayed from the log: every administrator's change
    made by an account that was then an active administrator, a role change with its reason,
    and every account locked in its row locked by a logged lockout."""
    from sqlalchemy import select

    from dualrec_audit.store.accounts import ADMIN_EVENTS
    from dualrec_audit.store.schema import Account, LogEntry

    problems: list[str] = []
    standing: dict[str, tuple[str, bool]] = {}  # user name -> (role, active), as logged
    lockouts: dict[str, set[str]] = {}
    q = select(LogEntry).where(LogEntry.entity == "account").order_by(LogEntry.seq)
    for e in s.execute(q).scalars():
        try:
            state = json.loads(e.payload)
        except ValueError:
            continue  # reported with the chain
        if e.action in ADMIN_EVENTS:
            by = state.get("changed_by")
            if standing.get(str(by)) != ("admin", True):
                problems.append(
                    f"log entry {e.seq}: {e.action} by {by}, not an active administrator then"
                )
            if e.action == "account.role_changed" and not state.get("changed_reason"):
                problems.append(f"log entry {e.seq}: a role change without its reason")
        if e.action == "account.locked_out":
            lockouts.setdefault(e.entity_id, set()).add(str(state.get("locked_until")))
        standing[str(state.get("username"))] = (str(state.get("role")), bool(state.get("active")))
    for row in s.execute(select(Account)).scalars():
        if row.locked_until and row.locked_until not in lockouts.get(str(row.id), set()):
            problems.append(f"account {row.id}: locked without a logged lockout")
    return problems


def _matches(s: Any, row: Any, state: dict[str, Any], state_of: Any) -> bool:
    if state_of is None:  # an audit run: its rows with findings and scores, by digest
        return state.get("digest") == run_digest(s, row) and state.get("run_key") == row.run_key
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
        elif state != jsonable(claim_state(c)):
            problems.append(f"claim on recording {c.recording_id}: differs from the event log")
    for (entity, eid), state in logged.items():
        if entity == "claim" and eid not in held and not state.get("released"):
            problems.append(f"claim on recording {eid}: removed without a release")
