"""The reviewer workflow without Qt: roles, what a decision needs, four eyes, appeals, the
watched places, accounts with Argon2id hashes — the rules alone and through the store, on the
real audited samples."""

from __future__ import annotations

import pytest

from dualrec_audit.store.database import Store
from dualrec_audit.workflow.policy import (
    Account,
    AppealFacts,
    DecisionFacts,
    Request,
    WatchTracker,
    WorkflowError,
    check_decision,
    mandatory_failed,
    state_of,
    watched_record,
)
from dualrec_audit.workflow.watch import watch_intervals
from tests.store_helpers import store_run

REVIEWER = Account(2, "wang", "王审核", "reviewer")
SENIOR = Account(3, "li", "李主管", "senior")
SENIOR2 = Account(4, "zhao", "赵主管", "senior")
ADMIN = Account(1, "admin", "管理员", "admin")


def _all_watched(result) -> tuple[tuple[float, float, float], ...]:
    return tuple((s, e, 1.0) for s, e in watch_intervals(result))


def _none_watched(result) -> tuple[tuple[float, float, float], ...]:
    return tuple((s, e, 0.0) for s, e in watch_intervals(result))


# -- the rules alone --------------------------------------------------------------------------


def test_watch_tracker_counts_played_ranges_not_seeks():
    t = WatchTracker()
    for x in (6.0, 6.5, 7.0, 7.5, 8.0):  # playing
        t.note(x, True)
    t.note(30.0, True)  # a seek while playing: not watched
    t.note(30.4, True)
    t.note(31.0, False)  # paused
    t.note(40.0, False)
    assert t.played == [(6.0, 8.0), (30.0, 30.4)]
    assert t.shares([(6.0, 8.0), (6.0, 10.0), (50.0, 52.0)]) == [1.0, 0.5, 0.0]
    assert watched_record([(6.0, 8.0), (50.0, 52.0)], t.played) == [[6.0, 8.0, 1.0], [50, 52, 0]]


def test_watch_tracker_on_a_busy_machine_counts_sparse_reports_at_2x_not_seeks():
    """At 2x the player reported its position only every 1.2 s (a loaded machine): steps of
    2.4 s were played; a jump of 20 s 1.2 s after a report is a seek; so is a 2.4 s step
    0.1 s after one."""
    t = WatchTracker()
    for i, x in enumerate((10.0, 12.4, 14.8, 17.2)):
        t.note(x, True, now=100.0 + 1.2 * i, rate=2.0)
    t.note(37.2, True, now=104.8, rate=2.0)  # a seek
    t.note(39.6, True, now=104.9, rate=2.0)  # too far for 0.1 s: another seek
    t.note(41.0, True, now=105.6, rate=2.0)  # 1.4 s in 0.7 s at 2x: played
    assert t.played == [(10.0, 17.2), (39.6, 41.0)]
    slow = WatchTracker()  # the same reports at 1x: 2.4 s in 1.2 s is not playback
    for i, x in enumerate((10.0, 12.4, 14.8)):
        slow.note(x, True, now=100.0 + 1.2 * i, rate=1.0)
    assert slow.played == []


def test_approving_a_flagged_recording_needs_every_place_played_or_a_reason(sample_results):
    r = sample_results["dark_segment.mp4"]
    state = state_of([])
    assert watch_intervals(r) and not mandatory_failed(r)
    with pytest.raises(WorkflowError) as e:
        check_decision(Request(REVIEWER, "approve", watched=_none_watched(r)), state, r)
    assert e.value.code == "unwatched" and "未播放" in e.value.text.zh
    ok = check_decision(Request(REVIEWER, "approve", watched=_all_watched(r)), state, r)
    assert ok.four_eyes is None and not ok.changes
    check_decision(
        Request(REVIEWER, "approve", watched=_none_watched(r), unwatched_reason="已电话核实"),
        state,
        r,
    )
    # Rejecting needs no watching, but a reason; nothing at all without a playable file.
    check_decision(Request(REVIEWER, "rerecord", "video_quality", "画面过暗"), state, r)
    with pytest.raises(WorkflowError, match="cannot be played"):
        check_decision(
            Request(REVIEWER, "approve", watched=_all_watched(r), playable=False), state, r
        )


def test_a_change_needs_a_reason_and_escalations_need_a_senior(sample_results):
    r = sample_results["dark_segment.mp4"]
    rejected = state_of([DecisionFacts(1, "wang", "rerecord")])
    assert rejected.final
    req = Request(REVIEWER, "approve", watched=_all_watched(r))
    with pytest.raises(WorkflowError) as e:
        check_decision(req, rejected, r)
    assert e.value.code == "reason"
    out = check_decision(Request(**{**req.__dict__, "change_reason": "看错了"}), rejected, r)
    assert out.changes
    escalated = state_of([DecisionFacts(1, "wang", "escalate")])
    assert escalated.standing == "escalated" and not escalated.final
    with pytest.raises(WorkflowError, match="senior"):
        check_decision(req, escalated, r)
    settled = check_decision(Request(SENIOR, "approve", watched=_all_watched(r)), escalated, r)
    assert not settled.changes  # settling an escalation is not a change
    with pytest.raises(WorkflowError, match="administrators"):
        check_decision(Request(ADMIN, "approve", watched=_all_watched(r)), state_of([]), r)


def test_overturning_a_failed_mandatory_check_takes_two_seniors(sample_results):
    r = sample_results["party_absent.mp4"]
    assert mandatory_failed(r)
    watched = _all_watched(r)
    with pytest.raises(WorkflowError, match="two senior"):
        check_decision(Request(REVIEWER, "approve", watched=watched), state_of([]), r)
    first = check_decision(Request(SENIOR, "approve", watched=watched), state_of([]), r)
    assert first.four_eyes == "first"
    pending = state_of([DecisionFacts(1, "li", "approve", "first")])
    assert pending.standing == "second"
    with pytest.raises(WorkflowError, match="four eyes"):
        check_decision(Request(SENIOR, "approve", watched=watched), pending, r)
    second = check_decision(Request(SENIOR2, "approve", watched=watched), pending, r)
    assert second.four_eyes == "second"
    assert (
        state_of(
            [
                *[DecisionFacts(1, "li", "approve", "first")],
                DecisionFacts(2, "zhao", "approve", "second"),
            ]
        ).standing
        == "approved"
    )


def test_an_appeal_is_decided_by_someone_else(sample_results):
    r = sample_results["party_absent.mp4"]
    state = state_of([DecisionFacts(1, "wang", "rerecord")], [AppealFacts(7, 1, decided=False)])
    assert state.standing == "appealed"
    uphold = Request(REVIEWER, "rerecord", "party_absent", "客户离开画面")
    with pytest.raises(WorkflowError, match="different reviewer"):
        check_decision(uphold, state, r, decided_disputed_by="wang")
    other = Account(5, "qian", "钱审核", "reviewer")
    out = check_decision(
        Request(other, "rerecord", "party_absent", "客户离开画面"),
        state,
        r,
        decided_disputed_by="wang",
    )
    assert out.appeal_id == 7


# -- through the store ------------------------------------------------------------------------


def _accounts(store: Store) -> dict[str, Account]:
    admin = store.create_account("admin", "管理员", "admin", "admin-pass-1")
    out = {"admin": admin}
    for name, display, role in (
        ("wang", "王审核", "reviewer"),
        ("qian", "钱审核", "reviewer"),
        ("li", "李主管", "senior"),
        ("zhao", "赵主管", "senior"),
    ):
        out[name] = store.create_account(name, display, role, f"{name}-password", by=admin)
    return out


def test_accounts_first_administrator_argon2_and_sign_in(db_url):
    with Store(db_url) as store:
        assert not store.has_accounts()
        with pytest.raises(WorkflowError, match="first account"):
            store.create_account("wang", "王审核", "reviewer", "long-enough")
        admin = store.create_account("admin", "管理员", "admin", "admin-pass-1")
        with pytest.raises(WorkflowError, match="administrator"):
            store.create_account("x", "X", "reviewer", "long-enough")  # nobody's authority
        wang = store.create_account("wang", "王审核", "reviewer", "wang-password", by=admin)
        with pytest.raises(WorkflowError, match="administrator"):
            store.create_account("y", "Y", "reviewer", "long-enough", by=wang)
        with pytest.raises(WorkflowError, match="at least 8"):
            store.create_account("z", "Z", "reviewer", "short", by=admin)
        from sqlalchemy import text

        with store.engine.connect() as c:
            stored = c.execute(text("SELECT password_hash FROM accounts WHERE username='wang'"))
            assert stored.scalar_one().startswith("$argon2id$")
        with pytest.raises(WorkflowError, match="wrong user name or password"):
            store.authenticate("wang", "wrong-password")
        assert store.authenticate("wang", "wang-password") == wang
        assert store.actor == "wang"  # every later action carries the account
        store.set_active("wang", False, by=admin)
        with pytest.raises(WorkflowError):
            store.authenticate("wang", "wang-password")
        assert store.verify().ok


def test_store_enforces_roles_four_eyes_changes_and_appeals(db_url, sample_results):
    with Store(db_url) as store:
        acc = _accounts(store)
        run_id = store_run(store, sample_results["party_absent.mp4"])
        rec = store.run(run_id).recording_id
        result = store.result(run_id)
        watched = _all_watched(result)
        # A reviewer cannot approve a failed mandatory check; a senior's approval waits.
        with pytest.raises(WorkflowError):
            store.decide(run_id, Request(acc["wang"], "approve", watched=watched))
        store.decide(run_id, Request(acc["wang"], "rerecord", "party_absent", "客户离开画面"))
        # A change of decision needs its reason.
        with pytest.raises(WorkflowError, match="reason"):
            store.decide(run_id, Request(acc["li"], "approve", watched=watched))
        # An appeal; the reviewer it disputes may not decide it.
        appeal = store.file_appeal(rec, "上海分行 T1024", "客户只是弯腰签字", by=acc["wang"])
        assert store.state(rec).standing == "appealed"
        with pytest.raises(WorkflowError, match="different reviewer"):
            store.decide(run_id, Request(acc["wang"], "rerecord", "party_absent", "维持"))
        first = store.decide(
            run_id,
            Request(acc["li"], "approve", change_reason="申诉成立：客户弯腰签字", watched=watched),
        )
        assert (first.appeal_id, first.four_eyes, first.role) == (appeal.id, "first", "senior")
        assert store.state(rec).standing == "second"
        with pytest.raises(WorkflowError, match="four eyes"):
            store.decide(run_id, Request(acc["li"], "approve", watched=watched))
        second = store.decide(run_id, Request(acc["zhao"], "approve", watched=watched))
        assert second.four_eyes == "second" and store.state(rec).standing == "approved"
        history = store.decisions(rec)
        assert [(d.reviewer, d.verdict) for d in history] == [
            ("wang", "rerecord"),
            ("li", "approve"),
            ("zhao", "approve"),
        ]
        assert history[1].change_reason == "申诉成立：客户弯腰签字"
        assert history[1].watched == watched
        assert store.verify().ok


def test_approving_unwatched_is_refused_unless_a_reason_is_logged(db_url, sample_results):
    with Store(db_url) as store:
        acc = _accounts(store)
        run_id = store_run(store, sample_results["dark_segment.mp4"])
        result = store.result(run_id)
        with pytest.raises(WorkflowError, match="not played"):
            store.decide(run_id, Request(acc["wang"], "approve", watched=_none_watched(result)))
        assert store.decisions() == []
        d = store.decide(
            run_id,
            Request(
                acc["wang"],
                "approve",
                watched=_none_watched(result),
                unwatched_reason="同一客户当日已面签复核",
            ),
        )
        assert d.unwatched_reason == "同一客户当日已面签复核"
        from sqlalchemy import text

        with store.engine.connect() as c:
            payload = c.execute(
                text("SELECT payload FROM event_log WHERE action='review.decided'")
            ).scalar_one()
        assert "同一客户当日已面签复核" in payload and '"role":"reviewer"' in payload
        assert store.verify().ok


def test_assignments_and_finding_verdicts(db_url, sample_results):
    with Store(db_url) as store:
        acc = _accounts(store)
        run_id = store_run(store, sample_results["frozen_segment.mp4"])
        rec = store.run(run_id).recording_id
        with pytest.raises(WorkflowError, match="themselves"):
            store.assign([rec], "qian", by=acc["wang"])
        store.assign([rec], "qian", by=acc["li"])
        assert store.assignments()[rec].assignee == "qian"
        with pytest.raises(WorkflowError, match="active reviewer"):
            store.assign([rec], "admin", by=acc["li"])
        f = store.stored_findings(run_id)[0]
        store.add_feedback(f.id, "wang", "confirmed", "确实卡顿")
        v = store.finding_verdicts()[(run_id, f.source, f.ordinal)]
        assert (v.label, v.note, v.reviewer) == ("confirmed", "确实卡顿", "wang")
        assert store.verify().ok


def test_finding_verdicts_are_in_the_export(tmp_path, sample_results):
    import csv
    import json

    from dualrec_audit.batch.export import export_json, load_items, write_csv

    url = f"sqlite:///{tmp_path / 'x.db'}"
    with Store(url, create=True) as store:
        run_id = store_run(store, sample_results["party_absent.mp4"])
        rule = next(f for f in store.stored_findings(run_id) if f.source == "rule")
        store.add_feedback(rule.id, "wang", "false_alarm", "客户只是弯腰")
        items = load_items(store)
    doc = json.loads(json.dumps(export_json(items), ensure_ascii=False))
    marked = [f for f in doc["recordings"][0]["findings"] if f["finding_verdict"]]
    assert [(f["finding_verdict"], f["verdict_note"], f["verdict_by"]) for f in marked] == [
        ("false_alarm", "客户只是弯腰", "wang")
    ]
    write_csv(items, tmp_path / "out")
    with (tmp_path / "out" / "findings.csv").open(encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["finding_verdict"]]
    assert [(r["check"], r["finding_verdict"], r["verdict_note"]) for r in rows] == [
        (rule.event.check, "false_alarm", "客户只是弯腰")
    ]
