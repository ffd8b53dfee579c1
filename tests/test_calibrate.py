"""Calibration from reviewers' verdicts, on real audits: recordings built at test time from
the shared media with dimmed (dark) spans of chosen lengths, audited with the real models,
stored, their findings marked through ``review mark``; the proposal re-decides every stored
result (layer 2 is pure) and must keep the guarantee.

Splits: the *tuning* recordings are what the proposal is made from; the *held-out* recording
(a 2.9 s false alarm and a 4.3 s confirmed dimming) is never shown to it and is judged only
under the proposed profile.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dualrec_audit.calibrate.data import rebase, redecide
from dualrec_audit.calibrate.propose import Settings
from dualrec_audit.calibrate.report import calibration
from dualrec_audit.cli import main
from dualrec_audit.rules.profiles import get_profile, load_profile_file
from dualrec_audit.store.database import Store
from dualrec_audit.store.keys import run_key
from tests.conftest import build_samples_module, media

PROFILE = "bundled_samples"


# name -> dark spans (the dark check sees them a little longer: it samples the picture). A
# reviewer calls a dimming under 4 s harmless (a false alarm), a longer one confirmed.
CLIPS = {
    "a.mp4": ((3.0, 5.3), (12.0, 16.6)),  # seen as 2.5 s: false alarm; 5.06 s: confirmed
    "b.mp4": ((3.0, 5.7), (12.0, 15.1)),  # 2.98 s and 3.5 s: false alarms
    "c.mp4": ((3.0, 7.5), (12.0, 15.5)),  # 4.5 s: confirmed; 3.54 s: only the tempting set
    "heldout.mp4": ((3.0, 5.5), (12.0, 16.5)),  # never seen by the proposal
}
HARMLESS_S = 4.0


@pytest.fixture(scope="module")
def audited(pipeline, sample_results, tmp_path_factory) -> dict:
    """The built clips audited under the samples' profile, and the samples' results."""
    build = build_samples_module()
    src = media("video/grid_bbaf2n.mpg").parent.parent
    media("speech_zh/funasr_asr_example.wav")
    folder = tmp_path_factory.mktemp("calibrate")
    out = dict(sample_results)
    for name, spans in CLIPS.items():
        path = build.build_clip(folder / name, src, build.Dimmed(spans))
        out[name] = pipeline.apply(path, profile=PROFILE)
    # The customer out of frame for 1.5 s (bending to sign): under the 95 % presence rule.
    absent = build.Defect("party_absent", "customer", 9.0, 10.5)
    path = build.build_clip(folder / "absent.mp4", src, absent)
    out["absent.mp4"] = pipeline.apply(path, profile=PROFILE)
    # Babble over 3 s of the talk: a 2 s unclear-speech episode (the 90 % rule still holds).
    import numpy as np

    speech, _ = build.build_speech(src)
    babble = build.Defect("low_clarity", None, 9.0, 12.0)
    audio, _ = build.add_noise(speech, src, babble, np.random.default_rng(7))
    path = folder / "babble.mp4"
    build.encode(path, build.Compositor(src), build.soft_limit(audio), None)
    out["babble.mp4"] = pipeline.apply(path, profile=PROFILE)
    return out


def _store(store: Store, result) -> int:
    st = Path(result.file).stat()
    run_id, _ = store.record_run(
        result,
        key=run_key(result.sha256, PROFILE, result.models, {"t": 1}),
        sha256=result.sha256,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        profile_digest=PROFILE,
        started_at="2026-12-05T08:00:00+00:00",
    )
    return run_id


def _accounts(store: Store) -> None:
    admin = store.create_account("admin", "管理员", "admin", "admin-pass-1")
    for name, role in (
        ("wang", "reviewer"),
        ("qian", "reviewer"),
        ("li", "senior"),
        ("zhao", "senior"),
    ):
        store.create_account(name, name, role, f"{name}-password", by=admin)


def _cli(monkeypatch, user: str, *argv: str) -> int:
    monkeypatch.setenv("DUALREC_PASSWORD", f"{user}-password")
    return main([*argv, "--as", user] if argv[0] in ("review", "profiles") else list(argv))


def _dark(store: Store, run_id: int) -> list:
    rows = [f for f in store.stored_findings(run_id) if f.source == "rule"]
    return [f for f in rows if f.event.check == "event.dark"]


def _mark(monkeypatch, db: str, run_id: int, finding_id: int, label: str) -> None:
    flag = "--confirmed" if label == "confirmed" else "--false-alarm"
    rc = _cli(
        monkeypatch,
        "wang",
        "review",
        "mark",
        "--db",
        db,
        "--run",
        str(run_id),
        "--finding",
        str(finding_id),
        flag,
    )
    assert rc == 0


@pytest.fixture
def marked(audited, tmp_path, monkeypatch):
    """A database holding every tuning recording, verdicts recorded through `review mark`:
    dimming under 4 s a false alarm, longer ones confirmed; the party_absent sample sent to
    re-record by a reviewer."""
    db = f"sqlite:///{tmp_path / 'cal.db'}"
    runs = {}
    with Store(db, create=True) as store:
        _accounts(store)
        for name, result in audited.items():
            if name != "heldout.mp4":
                runs[name] = _store(store, result)
        for name in ("a.mp4", "b.mp4", "c.mp4", "dark_segment.mp4"):
            for f in _dark(store, runs[name]):
                label = "false_alarm" if f.event.duration < HARMLESS_S else "confirmed"
                if name != "c.mp4" or label == "confirmed":  # c's short one: tempting set
                    _mark(monkeypatch, db, runs[name], f.id, label)
        store.add_decision(runs["party_absent.mp4"], "li", "rerecord", "absent", "客户离开")
    return db, runs


def test_redeciding_under_the_same_profile_reproduces_every_stored_decision(audited, tmp_path):
    profile = get_profile(PROFILE)
    with Store(f"sqlite:///{tmp_path / 'x.db'}", create=True) as store:
        ids = [_store(store, r) for r in audited.values()]
        stored = store.results(ids)
    assert len(stored) == len(audited) >= 10
    for result in stored.values():
        again = redecide(result, profile)
        assert again.decision == result.decision, result.file
        assert again.score == pytest.approx(result.score, abs=0.05)
        assert [f.to_dict() for f in again.findings] == [f.to_dict() for f in result.findings]
        assert [s.to_dict() for s in again.stages] == [s.to_dict() for s in result.stages]


def test_seeded_false_alarms_removed_confirmed_kept_on_both_splits(marked, audited):
    db, runs = marked
    with Store(db) as store:
        samples = store.calibration_samples(PROFILE)
    profile = get_profile(PROFILE)
    proposal, doc = calibration(profile, samples, basis="test")
    dark = next(c for c in proposal.changes if c.param == "events.dark.min_duration_s")
    assert dark.status == "changed" and (dark.confirmed, dark.false_alarms) == (3, 3)
    confirmed = [
        s.finding(m.key).end - s.finding(m.key).start
        for s in samples
        for m in s.marks
        if m.label == "confirmed"
    ]
    assert dark.removed == 3 and 3.5 < dark.new and min(confirmed) - dark.new >= dark.margin
    assert not proposal.violations and doc["guarantee"]["kept"]
    assert proposal.profile.version == "2" and proposal.profile.basis[-1] == "test"
    # Every other parameter had too few verdicts: left alone, the report says how many more.
    others = [c for c in proposal.changes if c.param != dark.param]
    assert all(not c.changed for c in others)
    before, after = doc["before"], doc["after"]
    assert (before["false_alarms_holding"], after["false_alarms_holding"]) == (3, 0)
    assert before["confirmed_holding"] == after["confirmed_holding"] == 3
    assert after["watch_minutes"] < before["watch_minutes"]
    assert after["approved_share"] > before["approved_share"]
    assert {c["run_id"] for c in doc["changed_recordings"]} == {runs["b.mp4"]}
    # Held out: its false alarm no longer holds it, its confirmed dimming does.
    held = audited["heldout.mp4"]
    after_h = redecide(held, proposal.profile)
    spans = sorted(
        (f.end - f.start, f.severity) for f in after_h.findings if f.rule == "event.dark"
    )
    assert [s for _, s in spans] == ["low", "medium"]
    assert spans[0][0] < dark.new < spans[1][0]


def test_a_tempting_verdict_set_is_not_crossed(marked, monkeypatch):
    """A confirmed 3.54 s dimming just past the 3.5 s false alarm: the threshold stops short
    of it by the margin, so that false alarm stays."""
    db, runs = marked
    with Store(db) as store:
        (c,) = [f for f in _dark(store, runs["c.mp4"]) if f.event.duration < HARMLESS_S]
    _mark(monkeypatch, db, runs["c.mp4"], c.id, "confirmed")
    with Store(db) as store:
        samples = store.calibration_samples(PROFILE)
    proposal, _ = calibration(get_profile(PROFILE), samples, basis="test")
    dark = next(x for x in proposal.changes if x.param == "events.dark.min_duration_s")
    assert dark.changed and dark.new <= c.event.duration - dark.margin + 1e-9
    assert 2.98 < dark.new < 3.5 and dark.removed == 2  # 2.5 s and 2.98 s; not 3.5 s
    assert not proposal.violations
    based = rebase(samples, proposal.profile)
    for s in based:
        for m in s.marks:
            f = s.finding(m.key)
            assert f is not None
            if m.label == "confirmed":
                assert f.severity != "low", s.result.file


def test_too_few_verdicts_leave_values_alone(marked):
    db, _ = marked
    with Store(db) as store:
        samples = store.calibration_samples(PROFILE)
    proposal, doc = calibration(
        get_profile(PROFILE), samples, Settings(min_verdicts=10), basis="test"
    )
    assert not proposal.changed and proposal.profile == get_profile(PROFILE)
    dark = next(c for c in doc["changes"] if c["param"] == "events.dark.min_duration_s")
    assert (dark["status"], dark["more_verdicts"], dark["more_confirmed"]) == ("too_few", 4, 0)


def test_review_mark_follows_the_window_rules(marked, monkeypatch):
    from dualrec_audit.batch.export import export_json, load_items
    from dualrec_audit.workflow.policy import WorkflowError

    db, runs = marked
    run = runs["dark_segment.mp4"]
    with Store(db) as store:
        (f,) = _dark(store, run)
        # The finding's database id is the one `export --format json` lists.
        doc = export_json(load_items(store))
        (rec_doc,) = [r for r in doc["recordings"] if r["run_id"] == run]
        listed = [x["finding_id"] for x in rec_doc["findings"] if x["rule"] == "event.dark"]
        assert listed == [f.id]
        rec = store.run(run).recording_id
        with pytest.raises(WorkflowError, match="only a reviewer"):
            store.mark(f.id, store.authenticate("admin", "admin-pass-1"), "confirmed")
        store.claim(rec, "qian")
    assert (
        _cli(
            monkeypatch,
            "wang",
            "review",
            "mark",
            "--db",
            db,
            "--run",
            str(run),
            "--finding",
            str(f.id),
            "--confirmed",
        )
        == 2
    )  # qian holds the recording
    monkeypatch.setenv("DUALREC_PASSWORD", "wrong-password")
    assert (
        main(
            [
                "review",
                "mark",
                "--db",
                db,
                "--run",
                str(run),
                "--finding",
                str(f.id),
                "--false-alarm",
                "--as",
                "qian",
            ]
        )
        == 2
    )


def test_calibrate_activate_four_eyes_rejudge_and_verify(marked, monkeypatch, tmp_path, capsys):
    db, runs = marked
    out, report = tmp_path / "new.toml", tmp_path / "report"
    assert (
        main(
            [
                "calibrate",
                "--db",
                db,
                "--profile",
                PROFILE,
                "--out",
                str(out),
                "--report",
                str(report),
            ]
        )
        == 0
    )
    new = load_profile_file(out)
    assert new.version == "2" and new.basis[-1].startswith("calibrate ")
    assert new.events["dark"].min_duration_s > 3.1
    doc = json.loads((report / "calibration.json").read_text(encoding="utf-8"))
    assert doc["guarantee"]["kept"] and doc["proposed"]["version"] == "2"
    page = (report / "calibration.html").read_text(encoding="utf-8")
    assert page.index("阈值校准报告") < page.index("Calibration report") and "<svg" in page
    # Four eyes: li asks, li cannot confirm, a reviewer cannot, zhao confirms.
    assert _cli(monkeypatch, "li", "profiles", "activate", str(out), "--db", db) == 0
    assert _cli(monkeypatch, "li", "profiles", "activate", str(out), "--db", db) == 2
    assert _cli(monkeypatch, "wang", "profiles", "activate", str(out), "--db", db) == 2
    with Store(db) as store:
        assert PROFILE not in store.active_profiles()
    assert _cli(monkeypatch, "zhao", "profiles", "activate", str(out), "--db", db) == 0
    capsys.readouterr()
    assert main(["rejudge", "--db", db, "--since", "2000-01-01"]) == 0
    assert "b.mp4" not in capsys.readouterr().err
    with Store(db) as store:
        assert store.active_profiles()[PROFILE][1] == new
        assert store.judgement(runs["b.mp4"]) == (PROFILE, "2", "approve")
        assert store.judgement(runs["a.mp4"])[1:] == ("2", "review")
        assert store.rejudge() == []  # each run once per version
        report_ok = store.verify()
        assert report_ok.ok, report_ok.problems
        from sqlalchemy import text

        with store.engine.begin() as c:  # an intruder bypassing the guard
            c.execute(text("DROP TRIGGER rejudgements_no_update"))
            c.execute(
                text("UPDATE rejudgements SET decision='approve' WHERE run_id=:r"),
                {"r": runs["a.mp4"]},
            )
            c.execute(text("DROP TRIGGER profile_activations_no_delete"))
            c.execute(text("DELETE FROM profile_activations WHERE step='second'"))
        problems = store.verify().problems
    assert any("re-judgement" in p and "differs" in p for p in problems)
    assert any("profile activation" in p and "missing from the table" in p for p in problems)


def test_activations_and_rejudgements_are_logged_and_append_only(db_url, sample_results):
    """On SQLite and PostgreSQL: a version two seniors activated re-judges a stored run once;
    both are in the keyed log (`db verify`), and the rows cannot be changed or removed."""
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    from dualrec_audit.calibrate.propose import Change, apply
    from dualrec_audit.calibrate.toml_out import profile_toml
    from dualrec_audit.workflow.policy import WorkflowError

    old = get_profile(PROFILE)
    change = Change("events.dark.min_duration_s", 2.0, 6.0, "changed")
    new = apply(old, [change], basis="test: dark under 6 s is a note")
    with Store(db_url) as store:
        _accounts(store)
        run = _store(store, sample_results["dark_segment.mp4"])
        li, zhao = (store.authenticate(u, f"{u}-password") for u in ("li", "zhao"))
        wang = store.authenticate("wang", "wang-password")
        text_ = profile_toml(new)
        with pytest.raises(WorkflowError, match="senior"):
            store.activate_profile(text_, "new.toml", wang)
        assert store.activate_profile(text_, "new.toml", li).step == "first"
        assert store.rejudge() == []  # nothing active yet
        assert store.activate_profile(text_, "new.toml", zhao).active
        (r,) = store.rejudge()
        assert (r.run_id, r.before, r.after, r.version) == (run, "review", "approve", "2")
        assert store.judgement(run) == (PROFILE, "2", "approve")
        assert store.rejudge() == []
        assert store.verify().ok, store.verify().problems
        for table in ("rejudgements", "profile_activations", "profile_versions"):
            for sql in (f"UPDATE {table} SET created_at = 'x'", f"DELETE FROM {table}"):
                with pytest.raises(DatabaseError, match="append-only"):
                    with store.engine.begin() as c:
                        c.execute(text(sql))
            if store.dialect == "postgresql":
                with pytest.raises(DatabaseError, match="append-only"):
                    with store.engine.begin() as c:
                        c.execute(text(f"TRUNCATE {table} CASCADE"))
        assert store.verify().ok


def test_a_whole_recording_threshold_moves_past_false_alarms_only(marked, monkeypatch):
    """The presence rule: the 1.5 s absence (in frame about 92 % of the time) called a false
    alarm, the customer-absent sample (7 s out of frame) confirmed: the threshold falls to
    the false alarm's share, no further than the confirmed share plus the margin."""
    db, runs = marked
    rule = "mandatory.both_parties_present"
    with Store(db) as store:
        fa, conf = (
            next(f for f in store.stored_findings(runs[n]) if f.event.check == rule)
            for n in ("absent.mp4", "party_absent.mp4")
        )
    _mark(monkeypatch, db, runs["absent.mp4"], fa.id, "false_alarm")
    _mark(monkeypatch, db, runs["party_absent.mp4"], conf.id, "confirmed")
    with Store(db) as store:
        samples = store.calibration_samples(PROFILE)
    shares = {
        s.run_id: f.evidence["presence"]
        for s in samples
        for f in s.result.findings
        if f.rule == rule
    }
    settings = Settings(min_verdicts=2, min_confirmed=1)
    proposal, doc = calibration(get_profile(PROFILE), samples, settings, basis="test")
    c = next(x for x in proposal.changes if x.param == rule)
    assert c.changed and c.old == 0.95 and (c.confirmed, c.false_alarms, c.removed) == (1, 1, 1)
    assert shares[runs["party_absent.mp4"]] + c.margin <= c.new <= shares[runs["absent.mp4"]]
    assert not proposal.violations
    after = {s.run_id: redecide(s.result, proposal.profile) for s in samples}
    assert after[runs["absent.mp4"]].decision == "approve"
    assert after[runs["party_absent.mp4"]].decision == "rerecord"  # sent to re-record: kept
    assert runs["absent.mp4"] in {x["run_id"] for x in doc["changed_recordings"]}


def test_a_reviewer_disagreeing_with_an_approval_does_not_block_the_proposal(marked):
    """The clean sample, approved by the profile calibrated, sent to re-record by a reviewer:
    that approval is not the proposal's doing; the proposal is still made and keeps the
    guarantee for everything else."""
    db, runs = marked
    with Store(db) as store:
        store.add_decision(runs["clean.mp4"], "li", "rerecord", "other", "客户身份存疑")
        samples = store.calibration_samples(PROFILE)
    proposal, doc = calibration(get_profile(PROFILE), samples, basis="test")
    assert proposal.changed and not proposal.violations and doc["guarantee"]["kept"]
    assert doc["before"]["approve"] >= 1


def test_a_brief_unclear_episode_called_a_false_alarm_is_removed(marked, monkeypatch):
    """Unclear speech: the 2 s episode of the babble clip called a false alarm, the noisy
    sample's 9 s episode confirmed (verdict minimums lowered to 2 and 1 for this test): the
    rule's minimum rises just past the false alarm, far short of the confirmed one."""
    db, runs = marked
    with Store(db) as store:
        fa, conf = (
            next(f for f in store.stored_findings(runs[n]) if f.event.check == "event.low_clarity")
            for n in ("babble.mp4", "noisy_speech.mp4")
        )
    _mark(monkeypatch, db, runs["babble.mp4"], fa.id, "false_alarm")
    _mark(monkeypatch, db, runs["noisy_speech.mp4"], conf.id, "confirmed")
    with Store(db) as store:
        samples = store.calibration_samples(PROFILE)
    settings = Settings(min_verdicts=2, min_confirmed=1)
    proposal, _ = calibration(get_profile(PROFILE), samples, settings, basis="test")
    c = next(x for x in proposal.changes if x.param == "events.low_clarity.min_duration_s")
    assert c.changed and (c.confirmed, c.false_alarms, c.removed) == (1, 1, 1)
    assert fa.event.duration < c.new <= conf.event.duration - c.margin
    assert not proposal.violations
    after = {s.run_id: redecide(s.result, proposal.profile) for s in samples}
    (babble,) = [f for f in after[runs["babble.mp4"]].findings if f.rule == "event.low_clarity"]
    assert babble.severity == "low"
    assert after[runs["noisy_speech.mp4"]].decision == "rerecord"
