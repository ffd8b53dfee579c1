"""Accounts a bank can administer (issue 31), through the store and the `accounts` commands, on
SQLite and PostgreSQL: lockout after repeated wrong passwords, disable / enable, password reset
and change, role change with its reason, roles enforced on decisions and appeals, and
`db verify` catching an edited role, a deleted lockout entry and an edited decision reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from dualrec_audit.store.database import Store
from dualrec_audit.workflow.accounts import AccountRules
from dualrec_audit.workflow.policy import Request, WorkflowError

from .conftest import ROOT
from .store_helpers import store_run
from .test_workflow import _accounts


def _log(store: Store, action: str) -> list[tuple[str, str]]:
    with store.engine.connect() as c:
        q = text("SELECT entity, entity_id FROM event_log WHERE action = :a ORDER BY seq")
        return [(str(e), str(i)) for e, i in c.execute(q, {"a": action})]


def _drop_log_guards(store: Store) -> None:
    """What someone with full rights on the database does before deleting a log entry."""
    with store.engine.begin() as c:
        if store.dialect == "postgresql":
            for t in ("event_log_append_only", "event_log_no_truncate"):
                c.execute(text(f"DROP TRIGGER IF EXISTS {t} ON event_log"))
        else:
            for v in ("update", "delete", "replace"):
                c.execute(text(f"DROP TRIGGER IF EXISTS event_log_no_{v}"))


def test_lockout_after_wrong_passwords_is_logged_and_ends(db_url):
    with Store(db_url) as store:
        store.account_rules = AccountRules(lockout_after=3, lockout_minutes=15)
        acc = _accounts(store)
        for _ in range(2):
            with pytest.raises(WorkflowError, match="wrong user name or password"):
                store.authenticate("wang", "not-the-password")
        with pytest.raises(WorkflowError) as e:
            store.authenticate("wang", "not-the-password")
        assert e.value.code == "locked" and "锁定" in e.value.text.zh
        # Locked: even the right password is refused, and that is logged too.
        with pytest.raises(WorkflowError) as e:
            store.authenticate("wang", "wang-password")
        assert e.value.code == "locked"
        assert store.locked("wang") is not None
        assert _log(store, "account.locked_out") == [("account", str(acc["wang"].id))]
        assert _log(store, "account.sign_in_refused") == [("sign_in", "wang")]
        assert store.verify().ok
        # An administrator ends it (with a reason); the next sign-in works.
        with pytest.raises(WorkflowError, match="reason"):
            store.unlock("wang", by=acc["admin"], reason="。")
        store.unlock("wang", by=acc["admin"], reason="本人电话确认，解除锁定")
        assert store.authenticate("wang", "wang-password").username == "wang"
        assert store.verify().ok


def test_reset_change_role_disable_and_roles_on_every_action(db_url, sample_results):
    with Store(db_url) as store:
        acc = _accounts(store)
        admin, wang = acc["admin"], acc["wang"]
        run_id = store_run(store, sample_results["dark_segment.mp4"])
        rec = store.run(run_id).recording_id
        # Only an administrator administers.
        with pytest.raises(WorkflowError, match="administrator"):
            store.set_role("qian", "senior", by=wang, reason="想升职")
        with pytest.raises(WorkflowError, match="reason"):
            store.set_role("qian", "senior", by=admin, reason="")
        qian = store.set_role("qian", "senior", by=admin, reason="通过高级复核员考核")
        assert qian.role == "senior"
        with pytest.raises(WorkflowError, match="last active administrator"):
            store.set_role("admin", "reviewer", by=admin, reason="降级测试")
        # A reset: the user must change the password before anything else.
        store.reset_password("wang", "temporary-1", by=admin, reason="本人忘记密码")
        wang = store.authenticate("wang", "temporary-1")
        assert wang.must_change_password
        with pytest.raises(WorkflowError, match="change your password"):
            store.decide(
                run_id, Request(wang, "rerecord", "video_quality", "画面过暗"), check_claim=False
            )
        with pytest.raises(WorkflowError, match="differ"):
            store.change_password("wang", "temporary-1", "temporary-1")
        wang = store.change_password("wang", "temporary-1", "wang-new-password")
        assert not wang.must_change_password
        with pytest.raises(WorkflowError):
            store.authenticate("wang", "temporary-1")
        # The administrator only views decisions: no decision, no appeal.
        with pytest.raises(WorkflowError, match="administrators"):
            store.decide(
                run_id, Request(admin, "rerecord", "video_quality", "画面过暗"), check_claim=False
            )
        store.decide(
            run_id, Request(wang, "rerecord", "video_quality", "画面过暗"), check_claim=False
        )
        with pytest.raises(WorkflowError, match="administrators do not file appeals"):
            store.file_appeal(rec, "上海分行 T001", "客户认为画面清楚", by=admin)
        # Disabled: no sign-in, no decision.
        store.set_active("qian", False, by=admin, reason="已调岗")
        with pytest.raises(WorkflowError):
            store.authenticate("qian", "qian-password")
        with pytest.raises(WorkflowError, match="disabled"):
            store.file_appeal(rec, "上海分行 T001", "客户认为画面清楚", by=qian)
        store.set_active("qian", True, by=admin, reason="调回复核岗")
        store.sign_out(wang)
        store.sign_out(wang, idle=True)
        assert (
            len(_log(store, "account.signed_out")) == len(_log(store, "account.idle_locked")) == 1
        )
        assert store.verify().ok
        # Every account's row is the log's last state of it.
        roles = {a.username: (a.role, a.active) for a in store.accounts()}
        assert roles["qian"] == ("senior", True)


def test_db_verify_catches_an_edited_role_a_deleted_lockout_and_an_edited_reason(
    db_url, sample_results
):
    with Store(db_url) as store:
        store.account_rules = AccountRules(lockout_after=2, lockout_minutes=15)
        acc = _accounts(store)
        run_id = store_run(store, sample_results["dark_segment.mp4"])
        store.decide(
            run_id,
            Request(acc["wang"], "rerecord", "video_quality", "画面过暗五秒"),
            check_claim=False,
        )
        for _ in range(2):
            with pytest.raises(WorkflowError):
                store.authenticate("qian", "wrong-password")
        store.authenticate("li", "li-password")  # entries after the lockout
        assert store.verify().ok
        qian, wang = acc["qian"].id, acc["wang"].id
        with store.engine.begin() as c:  # accounts change, but only through the store
            c.execute(text("UPDATE accounts SET role = 'admin' WHERE username = 'wang'"))
        problems = store.verify().problems
        assert f"account {wang}: differs from the event log" in problems
        with store.engine.begin() as c:
            c.execute(text("UPDATE accounts SET role = 'reviewer' WHERE username = 'wang'"))
        assert store.verify().ok
        # A lockout entry deleted (to hide the attack on qian's password).
        _drop_log_guards(store)
        with store.engine.begin() as c:
            seq = c.execute(
                text("SELECT seq FROM event_log WHERE action = 'account.locked_out'")
            ).scalar_one()
            c.execute(text("DELETE FROM event_log WHERE seq = :s"), {"s": seq})
        problems = store.verify().problems
        assert f"log entry {seq} is missing (next is {seq + 1})" in problems
        assert f"account {qian}: locked without a logged lockout" in problems
        assert f"account {qian}: differs from the event log" in problems
    with Store(db_url) as store:  # an edited decision reason
        with store.engine.begin() as c:
            guard = "review_decisions"
            if store.dialect == "postgresql":
                c.execute(text(f"DROP TRIGGER IF EXISTS {guard}_append_only ON {guard}"))
            else:
                c.execute(text(f"DROP TRIGGER IF EXISTS {guard}_no_update"))
            c.execute(text("UPDATE review_decisions SET reason_text = '客户画面正常'"))
        assert any(
            "review decision 1: differs from the event log" in p for p in store.verify().problems
        )


def _cli(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUALREC_AUDIT")}
    env["PYTHONPATH"] = str(ROOT)
    env["DUALREC_AUDIT_TRUST_DIR"] = str(tmp_path / "trust")
    group = [] if args[0] == "db" else ["accounts"]
    cmd = [sys.executable, "-m", "dualrec_audit", *group, *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, cwd=ROOT)


def test_accounts_commands(tmp_path):
    db = f"sqlite:///{tmp_path / 'a.db'}"
    assert _cli(tmp_path, "db", "init", "--db", db).returncode == 0
    ok = _cli(
        tmp_path,
        "add",
        "admin",
        "--role",
        "admin",
        "--db",
        db,
        "--password-stdin",
        stdin="admin-password\n",
    )
    assert ok.returncode == 0, ok.stderr
    ok = _cli(
        tmp_path,
        "add",
        "wang",
        "--admin",
        "admin",
        "--db",
        db,
        "--password-stdin",
        stdin="admin-password\nwang-password\n",
    )
    assert ok.returncode == 0, ok.stderr
    admin = ["--admin", "admin", "--db", db, "--password-stdin"]
    out = _cli(
        tmp_path, "role", "wang", "senior", "--reason", "考核通过", *admin, stdin="admin-password\n"
    )
    assert out.returncode == 0 and "role senior" in out.stdout, out.stderr
    out = _cli(tmp_path, "role", "wang", "reviewer", *admin, stdin="admin-password\n")
    assert out.returncode == 2 and "--reason" in out.stderr  # the reason is required
    out = _cli(
        tmp_path,
        "reset-password",
        "wang",
        "--reason",
        "本人遗忘密码",
        *admin,
        stdin="admin-password\ntemporary-pw\n",
    )
    assert out.returncode == 0, out.stderr
    listed = _cli(tmp_path, "list", "--db", db)
    assert "must change password" in listed.stdout
    out = _cli(
        tmp_path,
        "passwd",
        "wang",
        "--db",
        db,
        "--password-stdin",
        stdin="temporary-pw\nwang-new-password\n",
    )
    assert out.returncode == 0, out.stderr
    out = _cli(tmp_path, "disable", "wang", "--reason", "已离职", *admin, stdin="admin-password\n")
    assert out.returncode == 0 and "disabled" in out.stdout
    listed = _cli(tmp_path, "list", "--db", db)
    assert "(disabled)" in listed.stdout and "must change" not in listed.stdout
    verified = _cli(tmp_path, "db", "verify", "--db", db)
    assert verified.returncode == 0 and "event log intact" in verified.stdout, verified.stdout
    out = _cli(tmp_path, "disable", "wang", "--reason", "x", *admin, stdin="wrong\n")
    assert out.returncode != 0 and "wrong user name or password" in out.stderr
