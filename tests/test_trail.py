"""Issue 37: the audit trail covers the tables that carry authority (accounts and roles,
appeals, assignments) and its own key, on SQLite and PostgreSQL.

Each insider case is done as someone with full rights on the database and none on the trust
dir would: plain SQL, guards dropped where needed, the chain re-hashed with plain SHA-256 (the
key is not theirs). ``db verify`` then runs both ways: finding the key in the trust dir by
itself, and told the key file (``--key-file``).
"""

from __future__ import annotations

import shutil
import sqlite3
import threading

import pytest
from sqlalchemy.exc import DatabaseError

from dualrec_audit.core.errors import ConfigError
from dualrec_audit.store.database import Store
from dualrec_audit.store.trail import Entry, replay_accounts
from dualrec_audit.workflow.policy import Account, Request, WorkflowError
from tests.store_helpers import drop_guards, rehash_without_the_key, sql, store_run


@pytest.fixture
def world(db_url, sample_results) -> dict:
    """Accounts, a re-record, an appeal against it and an assignment: every table that
    carries authority has rows, and the database verifies."""
    with Store(db_url) as store:
        admin = store.create_account("admin", "管理员", "admin", "admin-pass-1")
        acc = {"admin": admin}
        for name, role in (("wang", "reviewer"), ("qian", "reviewer"), ("li", "senior")):
            acc[name] = store.create_account(name, name, role, f"{name}-password", by=admin)
        run_id = store_run(store, sample_results["party_absent.mp4"])
        rec = store.run(run_id).recording_id
        store.decide(run_id, Request(acc["wang"], "rerecord", "party_absent", "客户离开画面"))
        store.file_appeal(rec, "上海分行 T1024", "客户只是弯腰签字", by=acc["wang"])
        store.assign([rec], "qian", by=acc["li"])
        assert store.state(rec).standing == "appealed"
        assert store.verify().ok
        return {"url": db_url, "acc": acc, "run_id": run_id, "rec": rec, "key": store.key_file}


@pytest.fixture(params=["trust dir", "key file given"])
def verify_with(request, world):
    """``db verify`` as it finds the key by itself, and told the key file."""
    key = world["key"] if request.param == "key file given" else None

    def problems() -> list[str]:
        with Store(world["url"], key_file=key) as store:
            report = store.verify()
        assert not report.ok
        return list(report.problems)

    return problems


# -- 1. downgrade to "not keyed" ----------------------------------------------------------------


def test_a_database_downgraded_to_unkeyed_with_a_new_id_is_refused(world, capsys, tmp_path):
    from dualrec_audit.cli import main

    with Store(world["url"]) as store:
        old_id = store.db_id
        drop_guards(store, "review_decisions")
        sql(
            store,
            "UPDATE store_info SET db_id = 'f00dfeedf00dfeedf00dfeedf00dfeed', keyed_from = NULL",
            "UPDATE review_decisions SET verdict = 'approve'",
        )
        drop_guards(store, "event_log")
        sql(
            store,
            "UPDATE event_log SET payload = replace(payload, '\"rerecord\"', '\"approve\"') "
            "WHERE entity = 'review_decision'",
        )
        rehash_without_the_key(store)
    # Without being told any key: the key made for this location names the old id.
    with Store(world["url"]) as store:
        assert store.key is None
        report = store.verify()
        assert not report.ok and not report.keyed
        assert any(f"id {old_id}" in p and "identity was changed" in p for p in report.problems)
        with pytest.raises(ConfigError, match="identity was changed"):
            store.add_decision(world["run_id"], "王审核", "approve")  # later writes refused
    # Told the real key: it belongs to another database.
    with Store(world["url"], key_file=world["key"]) as store:
        report = store.verify()
        assert any("belongs to another database" in p for p in report.problems)
    assert main(["db", "verify", "--db", world["url"]]) == 1
    out = capsys.readouterr().out
    assert "EVENT LOG VERIFICATION FAILED" in out and "NOT keyed" not in out
    # A key file copied elsewhere and named still finds the identity change.
    copy = tmp_path / "copy.key"
    shutil.copy(world["key"], copy)
    assert main(["db", "verify", "--db", world["url"], "--key-file", str(copy)]) == 1


def test_keyed_from_moved_past_the_end_is_refused(world, verify_with):
    """The keyed part of the chain "stops": the database claims it was keyed only from an
    entry after the last one, and the whole chain is plain SHA-256."""
    with Store(world["url"]) as store:
        sql(store, "UPDATE store_info SET keyed_from = 1000")
        rehash_without_the_key(store)
    problems = verify_with()
    assert any("store_info: keyed from entry 1000, but the key file says 1" in p for p in problems)
    assert any("altered (hash mismatch)" in p for p in problems)


def test_a_junk_anchor_file_is_a_problem(world, tmp_path):
    junk = tmp_path / "junk.anchor"
    junk.write_text("not an anchor\n")
    with Store(world["url"]) as store:
        problems = store.verify([junk]).problems
    assert any("records no log head" in p for p in problems)


# -- 2. appeals ---------------------------------------------------------------------------------


def test_truncating_or_deleting_appeals_is_refused_and_then_detected(world, verify_with):
    with Store(world["url"]) as store:
        erase = "TRUNCATE appeals" if store.dialect == "postgresql" else "DELETE FROM appeals"
        with pytest.raises(DatabaseError, match="append-only"):
            sql(store, erase)
        drop_guards(store, "appeals")
        sql(store, erase)
        assert store.state(world["rec"]).standing != "appealed"  # what the erasure does
    assert "appeal 1: in the event log but missing from the table" in verify_with()


def test_insert_or_replace_cannot_pass_the_new_guards_on_sqlite(world):
    with Store(world["url"]) as store:
        if store.dialect != "sqlite":
            pytest.skip("INSERT OR REPLACE is SQLite's")
        plain = sqlite3.connect(store.url.split(":///", 1)[1])  # no recursive_triggers
        for sql in (
            "INSERT OR REPLACE INTO appeals SELECT * FROM appeals WHERE id = 1",
            "INSERT OR REPLACE INTO accounts SELECT * FROM accounts WHERE id = 2",
            "INSERT OR REPLACE INTO assignments SELECT * FROM assignments",
            "INSERT OR REPLACE INTO recordings SELECT * FROM recordings",
            "INSERT OR REPLACE INTO recording_paths SELECT * FROM recording_paths",
            "INSERT OR REPLACE INTO store_info SELECT * FROM store_info",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                plain.execute(sql)
        plain.close()
        assert store.verify().ok


@pytest.mark.parametrize(
    "table",
    ["appeals", "accounts", "assignments", "recordings", "recording_paths", "claims", "store_info"],
)
def test_truncate_is_refused_on_every_table_on_postgresql(db_url, table):
    with Store(db_url) as store:
        if store.dialect != "postgresql":
            pytest.skip("TRUNCATE is PostgreSQL's")
        with pytest.raises(DatabaseError, match=r"refused|append-only"):
            sql(store, f"TRUNCATE {table} CASCADE")


# -- 3. accounts, roles, assignments -------------------------------------------------------------


def test_accounts_cannot_be_deleted_or_truncated_and_deletions_are_detected(world, verify_with):
    with Store(world["url"]) as store:
        with pytest.raises(DatabaseError, match="keeps its rows"):
            sql(store, "DELETE FROM accounts WHERE username = 'wang'")
        if store.dialect == "postgresql":
            with pytest.raises(DatabaseError, match="keeps its rows"):
                sql(store, "TRUNCATE accounts CASCADE")
        drop_guards(store, "accounts")
        sql(store, "DELETE FROM accounts WHERE username = 'wang'")
    assert "account 2: in the event log but missing from the table" in verify_with()
    with Store(world["url"]) as store:
        sql(store, "DELETE FROM accounts")
    problems = verify_with()
    for i in (1, 2, 3, 4):
        assert f"account {i}: in the event log but missing from the table" in problems


def test_an_emptied_accounts_table_makes_no_new_first_administrator(world, capsys, monkeypatch):
    import io

    from dualrec_audit.cli import main

    with Store(world["url"]) as store:
        drop_guards(store, "accounts")
        sql(store, "DELETE FROM accounts")
        assert store.has_accounts()  # the log had accounts
        with pytest.raises(WorkflowError, match="administrator"):
            store.create_account("mallory", "M", "admin", "mallory-password")
    monkeypatch.setattr("sys.stdin", io.StringIO("mallory-password\n"))
    args = ["accounts", "add", "mallory", "--role", "admin", "--password-stdin"]
    assert main([*args, "--db", world["url"]]) != 0
    assert "--admin" in capsys.readouterr().err
    with Store(world["url"]) as store:
        assert store.accounts() == []


def test_a_role_granted_by_a_row_edit_used_and_set_back_is_detected(
    world, sample_results, verify_with
):
    acc = world["acc"]
    with Store(world["url"]) as store:
        run_id = store_run(store, sample_results["frozen_segment.mp4"])
        sql(store, "UPDATE accounts SET role = 'senior' WHERE username = 'qian'")
        promoted = Account(acc["qian"].id, "qian", "qian", "senior")
        d = store.decide(run_id, Request(promoted, "rerecord", "frozen", "画面卡顿"))
        assert d.role == "senior"
        sql(store, "UPDATE accounts SET role = 'reviewer' WHERE username = 'qian'")
    problems = verify_with()
    expected = f"review decision {d.id}: made as senior, but the event log knew qian as reviewer"
    assert f"{expected} then" in problems
    assert not [p for p in problems if p.startswith("account ")]  # the row is as logged again


def test_a_deleted_or_added_assignment_is_detected(world, verify_with):
    with Store(world["url"]) as store:
        sql(store, "DELETE FROM assignments")
    rec = world["rec"]
    assert f"assignment of recording {rec}: in the event log but missing from the table" in (
        verify_with()
    )
    with Store(world["url"]) as store:
        sql(
            store,
            "INSERT INTO assignments (recording_id, assignee, assigned_by, assigned_at) "
            f"VALUES ({rec}, 'wang', 'li', '2026-12-05T00:00:00+00:00')",
        )
    assert f"assignment of recording {rec}: differs from the event log" in verify_with()


def test_an_unassignment_through_the_store_verifies(world):
    with Store(world["url"]) as store:
        store.assign([world["rec"]], None, by=world["acc"]["li"])
        assert store.verify().ok


def test_account_replay_kinds_first_administrator_and_roles():
    def created(seq: int, aid: str, name: str, role: str, by: str) -> Entry:
        state = {"username": name, "role": role, "active": True, "created_by": by}
        return Entry(seq, "account.created", "account", aid, state)

    decided = {"reviewer": "b", "role": "senior", "verdict": "approve"}
    acc = replay_accounts(
        [
            created(1, "1", "a", "admin", "(first run)"),
            created(2, "2", "b", "reviewer", "a"),
            Entry(3, "review.decided", "review_decision", "1", decided),
            created(4, "3", "m", "admin", "(first run)"),
            Entry(5, "account.vanished", "account", "2", {}),
        ]
    )
    assert acc.problems == [
        "review decision 1: made as senior, but the event log knew b as reviewer then",
        "log entry 4: account 3 was created as a first administrator on a database that had "
        "accounts already",
        "log entry 5: account entry of unknown kind 'account.vanished'",
    ]


# -- 5. verification while a scan writes ----------------------------------------------------------


def test_verify_during_writes_reads_one_snapshot(world):
    """A writer appends entries (with their anchors) while verification runs again and again:
    no verification sees entries it calls deleted or rows it cannot match."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with Store(world["url"]) as w:
                while not stop.is_set():
                    w.claim(world["rec"], "wang", ttl_s=60)
                    w.release(world["rec"], "wang")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=write)
    t.start()
    try:
        with Store(world["url"]) as store:
            reports = [store.verify() for _ in range(6)]
    finally:
        stop.set()
        t.join()
    assert not errors
    assert [r.problems for r in reports] == [()] * 6
    assert reports[-1].entries > reports[0].entries  # the writer did write meanwhile
