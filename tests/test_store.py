"""The results store on SQLite and PostgreSQL: migrations, idempotent runs, review decisions,
append-only tables and the hash-chained event log."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from dualrec_audit.core.errors import ConfigError
from dualrec_audit.store.base import resolve_url
from dualrec_audit.store.database import Store
from dualrec_audit.store.keys import digest, jsonable, run_key
from dualrec_audit.store.records import ClaimedError, RecordingMeta
from tests.store_helpers import drop_guards, rehash_without_the_key, sql


def _store_sample(store: Store, result, *, key: str | None = None, meta=None) -> tuple[int, bool]:
    f = Path(result.file)
    st = f.stat()
    sha = result.sha256
    return store.record_run(
        result,
        key=key or run_key(sha, "profile-digest", result.models, {"fps": 2}),
        sha256=sha,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        profile_digest="profile-digest",
        started_at="2026-11-21T08:00:00+00:00",
        meta=meta,
    )


def test_url_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("DUALREC_AUDIT_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert (
        resolve_url(None) == f"sqlite:///{tmp_path / 'xdg' / 'dualrec-audit' / 'dualrec-audit.db'}"
    )
    assert resolve_url(tmp_path / "a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    monkeypatch.setenv("DUALREC_AUDIT_DB", "postgresql+psycopg://u@h/db")
    assert resolve_url(None) == "postgresql+psycopg://u@h/db"
    assert resolve_url("sqlite:///x.db") == "sqlite:///x.db"


def test_bad_url_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot open the database"):
        Store("nosuchdriver://x/y")
    with pytest.raises(ConfigError, match="cannot open the database"):
        Store("postgresql+psycopg://nobody@/nodb?host=/nonexistent-socket-dir&port=1")


def test_migrations_create_exactly_the_orm_tables(db_url):
    """Alembic's tables match the SQLAlchemy models (no drift between the two)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from dualrec_audit.store.schema import Base

    store = Store(db_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert diff == []
    assert version == "0030"
    Store(db_url).close()  # opening again is a no-op migration
    store.close()


def test_record_run_is_idempotent_and_complete(db_url, sample_results):
    result = sample_results["customer_chin_cut.mp4"]
    with Store(db_url) as store:
        meta = RecordingMeta(branch="上海分行", teller="T001", customer_ref="C-9", product="基金A")
        run_id, created = _store_sample(store, result, meta=meta)
        again, created2 = _store_sample(store, result, meta=meta)
        assert (created, created2) == (True, False) and again == run_id
        counts = store.counts()
        assert counts["audit_runs"] == 1 and counts["recordings"] == 1
        assert counts["findings"] == len(result.events) + len(result.findings)
        assert counts["scores"] == len(result.timelines)
        [row] = store.runs()
        assert row.decision == result.decision and row.meta == meta
        assert row.sha256 == result.sha256 and row.duration_s == pytest.approx(20.0, abs=0.1)
        # The stored document rebuilds the same result.
        assert store.result(run_id).to_dict() == jsonable(result.to_dict())
        # Findings come back as intervals sorted by start, with their source.
        found = store.findings(run_id)
        assert [f.start for f in found] == sorted(f.start for f in found)
        cut = [f for f in found if f.check == "face_cut"]
        assert cut and cut[0].party == "customer" and cut[0].details["source"] == "event"
        assert cut[0].message.zh == "客户下巴超出画面"
        assert store.cached_hash(result.file, *_size_mtime(result.file)) == result.sha256
        assert store.cached_hash(result.file, 1, 1) is None


def _size_mtime(path: str) -> tuple[int, int]:
    st = Path(path).stat()
    return st.st_size, st.st_mtime_ns


def test_a_new_profile_or_model_is_a_new_run_of_the_same_recording(db_url, sample_results):
    result = sample_results["clean.mp4"]
    with Store(db_url) as store:
        first, _ = _store_sample(store, result)
        other = run_key(result.sha256, "another-profile", result.models, {"fps": 2})
        second, created = _store_sample(store, replace(result, score=50.0), key=other)
        assert created and second != first
        assert store.counts()["recordings"] == 1
        [latest] = store.runs()
        assert latest.run_id == second and latest.score == 50.0
        assert len(store.runs(latest=False)) == 2


def test_review_decisions_are_validated_and_kept(db_url, sample_results):
    with Store(db_url, actor="tester") as store:
        run_id, _ = _store_sample(store, sample_results["party_absent.mp4"])
        with pytest.raises(ConfigError, match="reason"):
            store.add_decision(run_id, "王审核", "rerecord")
        with pytest.raises(ConfigError, match="verdict"):
            store.add_decision(run_id, "王审核", "maybe")
        with pytest.raises(ConfigError, match="reviewer"):
            store.add_decision(run_id, "  ", "approve")
        with pytest.raises(ConfigError, match="no audit run"):
            store.add_decision(9999, "王审核", "approve")
        store.add_decision(run_id, "王审核", "escalate", "unclear", "ask compliance")
        store.add_decision(run_id, "王审核", "rerecord", "party_absent", "客户离开画面 6–13 秒")
        decisions = store.decisions()
        assert [d.verdict for d in decisions] == ["escalate", "rerecord"]
        assert decisions[1].reason_text == "客户离开画面 6–13 秒"
        [row] = store.runs()
        assert (row.verdict, row.reviewer) == ("rerecord", "王审核")
        assert store.verify().ok


@pytest.mark.parametrize(
    "table", ["audit_runs", "findings", "review_decisions", "event_log", "finding_feedback"]
)
def test_written_rows_cannot_be_updated_or_deleted(db_url, sample_results, table):
    from sqlalchemy.exc import DatabaseError

    with Store(db_url) as store:
        run_id, _ = _store_sample(store, sample_results["dark_segment.mp4"])
        store.add_decision(run_id, "r", "approve")
        store.add_feedback(store.stored_findings(run_id)[0].id, "r")
        column = {"event_log": "actor", "findings": "severity"}.get(table, "reviewer")
        if table == "audit_runs":
            column = "decision"
        for statement in (f"UPDATE {table} SET {column} = 'x'", f"DELETE FROM {table}"):
            with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as c:
                c.execute(text(statement))
        assert store.verify().ok


def _tamper_log_payload(store: Store) -> None:
    drop_guards(store, "event_log")
    with store.engine.begin() as c:
        c.execute(text("UPDATE event_log SET payload = replace(payload, 'T001', 'T002')"))


def _tamper_decision(store: Store) -> None:
    drop_guards(store, "audit_runs")
    with store.engine.begin() as c:
        c.execute(text("UPDATE audit_runs SET decision = 'approve', score = 95"))


def _tamper_recording(store: Store) -> None:
    with store.engine.begin() as c:  # recordings are mutable, but only through the store
        c.execute(text("UPDATE recordings SET teller = 'someone else'"))


def _unlogged_decision(store: Store) -> None:
    with store.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO review_decisions (recording_id, run_id, reviewer, verdict, "
                "created_at) VALUES (1, 1, 'ghost', 'approve', '2026-11-21')"
            )
        )


@pytest.mark.parametrize(
    "tamper, expected",
    [
        (_tamper_log_payload, "log entry 1: altered"),
        (_tamper_decision, "audit run 1: differs from the event log"),
        (_tamper_recording, "recording 1: differs from the event log"),
        (_unlogged_decision, "review decision 2: not in the event log"),
    ],
    ids=["log-entry", "run-decision", "recording-metadata", "unlogged-decision"],
)
def test_event_log_verification_fails_when_a_row_is_altered(
    db_url, sample_results, tamper, expected
):
    with Store(db_url) as store:
        meta = RecordingMeta(teller="T001")
        run_id, _ = _store_sample(store, sample_results["frozen_segment.mp4"], meta=meta)
        store.add_decision(run_id, "r", "approve")
        report = store.verify()
        assert report.ok and report.entries == 4  # recording, its path, run, decision
        tamper(store)
        report = store.verify()
        assert not report.ok
        assert any(expected in p for p in report.problems), report.problems


def test_event_log_detects_a_removed_entry(db_url, sample_results):
    with Store(db_url) as store:
        run_id, _ = _store_sample(store, sample_results["clean.mp4"])
        store.add_decision(run_id, "r", "approve")
        drop_guards(store, "event_log")
        with store.engine.begin() as c:
            c.execute(text("DELETE FROM event_log WHERE seq = 2"))
        problems = store.verify().problems
        assert any("entry 2 is missing" in p for p in problems)
        assert any("recording path 1: not in the event log" in p for p in problems)


def test_readers_work_while_a_writer_writes(db_url, sample_results):
    """Reads never fail or block for long while runs are being written (WAL on SQLite)."""
    results = list(sample_results.values())
    errors: list[BaseException] = []
    seen: list[int] = []
    with Store(db_url) as writer, Store(db_url) as reader:
        stop = threading.Event()

        def read() -> None:
            try:
                while not stop.is_set():
                    seen.append(len(reader.runs(latest=False)))
            except BaseException as exc:  # surfaced in the assert below
                errors.append(exc)

        t = threading.Thread(target=read)
        t.start()
        try:
            for i in range(30):
                r = results[i % len(results)]
                key = digest({"i": i})
                _store_sample(writer, r, key=key)
        finally:
            stop.set()
            t.join()
        assert not errors
        assert len(seen) > 3 and seen == sorted(seen)  # reads saw the table grow
        assert len(writer.runs(latest=False)) == 30
        assert writer.verify().ok


def test_non_finite_numbers_are_stored_as_null(db_url, sample_results):
    result = sample_results["noisy_speech.mp4"]
    speech = result.checks["speech"]
    bad = replace(speech, details={**speech.details, "snr_db": float("inf")})
    with Store(db_url) as store:
        run_id, _ = _store_sample(store, replace(result, checks={**result.checks, "speech": bad}))
        assert store.result(run_id).checks["speech"].details["snr_db"] is None
        assert store.verify().ok


# -- reviewer UI additions: finding ids, false-alarm marks, claims ------------------------------


def test_stored_findings_have_stable_ids(db_url, sample_results):
    result = sample_results["customer_chin_cut.mp4"]
    with Store(db_url) as store:
        run_id, _ = _store_sample(store, result)
        found = store.stored_findings(run_id)
        assert [f.event for f in found] == store.findings(run_id)
        assert len({f.id for f in found}) == len(found) == len(result.events) + len(result.findings)
        assert {f.source for f in found} == {"event", "rule"}
        assert store.stored_findings(run_id) == found  # the same ids every time
        rules = [f.event.check for f in found if f.source == "rule"]
        assert "event.face_cut" in rules
        assert store.results([run_id, 999])[run_id].to_dict() == jsonable(result.to_dict())
        [summary] = store.runs()
        assert store.paths(summary.recording_id) == [result.file]
        assert store.run(run_id) == summary and store.latest_run(summary.recording_id) == run_id
        with pytest.raises(ConfigError, match="no audit run"):
            store.run(999)
        with pytest.raises(ConfigError, match="no recording"):
            store.latest_run(999)


def test_false_alarm_marks_are_kept_logged_and_verified(db_url, sample_results):
    with Store(db_url, actor="tester") as store:
        run_id, _ = _store_sample(store, sample_results["dark_segment.mp4"])
        dark = next(f for f in store.stored_findings(run_id) if f.event.check == "event.dark")
        with pytest.raises(ConfigError, match="label"):
            store.add_feedback(dark.id, "王审核", "maybe")
        with pytest.raises(ConfigError, match="reviewer"):
            store.add_feedback(dark.id, " ")
        with pytest.raises(ConfigError, match="no finding"):
            store.add_feedback(99999, "王审核")
        first = store.add_feedback(dark.id, "王审核", note="灯光正常，是窗帘的影子")
        assert store.false_alarms(run_id) == {dark.id}
        store.add_feedback(dark.id, "李审核", "confirmed")  # a second opinion withdraws it
        assert store.false_alarms(run_id) == set()
        marks = store.feedback(run_id)
        assert [(m.reviewer, m.label) for m in marks] == [
            ("王审核", "false_alarm"),
            ("李审核", "confirmed"),
        ]
        assert marks[0].id == first and marks[0].note == "灯光正常，是窗帘的影子"
        assert store.verify().ok
        drop_guards(store, "finding_feedback")
        with store.engine.begin() as c:
            c.execute(
                text("UPDATE finding_feedback SET label = 'confirmed' WHERE id = :i"), {"i": first}
            )
        problems = store.verify().problems
        assert any(f"finding mark {first}: differs from the event log" in p for p in problems)


def test_claims_keep_two_reviewers_apart(db_url, sample_results):
    with Store(db_url) as store:
        run_id, _ = _store_sample(store, sample_results["party_absent.mp4"])
        [row] = store.runs()
        rec = row.recording_id
        mine = store.claim(rec, "王审核")
        assert mine.reviewer == "王审核" and not mine.expired()
        with pytest.raises(ClaimedError, match="王审核") as err:
            store.claim(rec, "李审核")
        assert err.value.reviewer == "王审核"
        # Nor can the other reviewer decide while the claim holds.
        with pytest.raises(ClaimedError):
            store.add_decision(run_id, "李审核", "approve", check_claim=True)
        again = store.renew(rec, "王审核")
        assert again.expires_at >= mine.expires_at and again.claimed_at == mine.claimed_at
        assert [c.reviewer for c in store.claims()] == ["王审核"]
        assert store.release(rec, "李审核") is False  # not theirs to release
        assert store.release(rec, "王审核") is True
        assert store.claims() == []
        store.claim(rec, "李审核")
        assert store.verify().ok


def test_an_expired_claim_is_taken_over_and_a_decision_releases_a_claim(db_url, sample_results):
    with Store(db_url) as store:
        run_id, _ = _store_sample(store, sample_results["noisy_speech.mp4"])
        rec = store.runs()[0].recording_id
        store.claim(rec, "王审核", ttl_s=0)  # lapses at once (a reviewer whose program died)
        assert store.claims() == [] and len(store.claims(include_expired=True)) == 1
        taken = store.claim(rec, "李审核")
        assert taken.reviewer == "李审核"
        with pytest.raises(ClaimedError):
            store.renew(rec, "王审核")  # lost it
        store.add_decision(
            run_id, "李审核", "rerecord", "speech_unclear", "噪声太大", check_claim=True
        )
        assert store.claims(include_expired=True) == []
        assert _log_actions(store)[-4:] == [
            "claim.taken",
            "claim.taken",
            "review.decided",
            "claim.released",
        ]
        assert store.verify().ok


def _log_actions(store: Store) -> list[str]:
    with store.engine.connect() as c:
        return list(c.execute(text("SELECT action FROM event_log ORDER BY seq")).scalars())


def test_claims_are_logged_and_verified(db_url, sample_results):
    with Store(db_url) as store:
        _store_sample(store, sample_results["clean.mp4"])
        rec = store.runs()[0].recording_id
        store.claim(rec, "王审核")
        store.renew(rec, "王审核")
        store.release(rec, "王审核")
        store.claim(rec, "李审核")
        assert _log_actions(store)[-4:] == [
            "claim.taken",
            "claim.renewed",
            "claim.released",
            "claim.taken",
        ]
        assert store.verify().ok
        with store.engine.begin() as c:  # claims are mutable, but only through the store
            c.execute(text("UPDATE claims SET reviewer = '王审核'"))
        problems = store.verify().problems
        assert any(f"claim on recording {rec}: differs" in p for p in problems)
        with store.engine.begin() as c:
            c.execute(text("DELETE FROM claims"))
        problems = store.verify().problems
        assert any(f"claim on recording {rec}: removed without a release" in p for p in problems)


def test_concurrent_claims_let_exactly_one_reviewer_in(db_url, sample_results):
    with Store(db_url) as store:
        _store_sample(store, sample_results["frozen_segment.mp4"])
        rec = store.runs()[0].recording_id
    winners: list[str] = []
    refused: list[str] = []
    stores: list[Store] = []

    def open_store() -> None:  # opened in threads too: migrations take turns
        stores.append(Store(db_url))

    openers = [threading.Thread(target=open_store) for _ in range(4)]
    for t in openers:
        t.start()
    for t in openers:
        t.join()
    assert len(stores) == 4

    def try_claim(s: Store, name: str) -> None:
        try:
            s.claim(rec, name)
            winners.append(name)
        except ClaimedError:
            refused.append(name)

    threads = [threading.Thread(target=try_claim, args=(s, f"r{i}")) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert len(winners) == 1 and len(refused) == 3
    with Store(db_url) as store:
        assert [c.reviewer for c in store.claims()] == winners
        assert store.verify().ok


# -- issue 14: tamper evidence that does not depend on the database alone ---------------------


def _filled(store: Store, sample_results) -> int:
    run_id, _ = _store_sample(store, sample_results["party_absent.mp4"])
    store.add_decision(run_id, "王审核", "rerecord", "party_absent", "客户离开画面")
    assert store.verify().ok
    return run_id


def _problems(store: Store) -> list[str]:
    report = store.verify()
    assert not report.ok
    return list(report.problems)


def test_a_deleted_review_decision_is_detected(db_url, sample_results):
    with Store(db_url) as store:
        _filled(store, sample_results)
        drop_guards(store, "review_decisions")
        sql(store, "DELETE FROM review_decisions")
        assert "review decision 1: in the event log but missing from the table" in _problems(store)


def test_a_whole_run_deleted_with_its_findings_and_scores_is_detected(db_url, sample_results):
    with Store(db_url) as store:
        _filled(store, sample_results)
        for t in ("review_decisions", "finding_feedback", "scores", "findings", "audit_runs"):
            drop_guards(store, t)
        sql(
            store,
            "DELETE FROM review_decisions",
            "DELETE FROM scores",
            "DELETE FROM findings",
            "DELETE FROM audit_runs",
        )
        problems = _problems(store)
        assert "audit run 1: in the event log but missing from the table" in problems


def test_deleting_the_last_log_entries_with_their_rows_is_caught_by_the_anchor(
    db_url, sample_results, tmp_path
):
    with Store(db_url) as store:
        run_id = _filled(store, sample_results)
        store.add_decision(run_id, "李审核", "approve")  # entry 5, the one to hide
        export = tmp_path / "export.json"
        head = store.head()
        assert head is not None and head[0] == 5
        export.write_text(json.dumps({"chain_head": {"seq": head[0], "hash": head[1]}}))
        drop_guards(store, "review_decisions")
        drop_guards(store, "event_log")
        sql(
            store,
            "DELETE FROM review_decisions WHERE id = 2",
            "DELETE FROM event_log WHERE seq = 5",
        )
        # The chain and the rows agree with each other; only the anchors know better.
        report = store.verify()
        assert any(
            "recorded entry 5: the newest 1 entries were deleted" in p for p in report.problems
        )
        assert report.anchors == 3  # one head per write: run, decision, decision
        # An export (the chain head it records) is an anchor too, e.g. on another machine.
        store.anchor_file.unlink()
        report = store.verify([export])
        assert [p for p in report.problems if "newest 1 entries were deleted" in p]
        assert any("no anchor file" in n for n in report.notes)


def test_truncate_is_refused_on_postgresql(db_url, sample_results):
    from sqlalchemy.exc import DatabaseError

    with Store(db_url) as store:
        if store.dialect != "postgresql":
            pytest.skip("TRUNCATE is PostgreSQL's (SQLite's DELETE is guarded already)")
        _filled(store, sample_results)
        for table in ("review_decisions", "event_log", "audit_runs"):
            with pytest.raises(DatabaseError, match="append-only"):
                sql(store, f"TRUNCATE {table} CASCADE")
        # With the guard dropped, the truncated rows are missing from what the log recorded.
        sql(store, "DROP TRIGGER review_decisions_no_truncate ON review_decisions")
        sql(store, "TRUNCATE review_decisions")
        assert "review decision 1: in the event log but missing from the table" in _problems(store)


def test_insert_or_replace_cannot_pass_the_append_only_guards_on_sqlite(db_url, sample_results):
    import sqlite3

    with Store(db_url) as store:
        if store.dialect != "sqlite":
            pytest.skip("INSERT OR REPLACE is SQLite's")
        _filled(store, sample_results)
        replace_sql = (
            "INSERT OR REPLACE INTO review_decisions (id, recording_id, run_id, reviewer, "
            "verdict, created_at) VALUES (1, 1, 1, '王审核', 'approve', '2026-11-21')"
        )
        # Through the store's own connection, and through a plain sqlite3 one (no pragmas).
        from sqlalchemy.exc import DatabaseError

        with pytest.raises(DatabaseError, match="append-only"):
            sql(store, replace_sql)
        plain = sqlite3.connect(store.url.split(":///", 1)[1])
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            plain.execute(replace_sql)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            plain.execute("INSERT OR REPLACE INTO event_log SELECT * FROM event_log WHERE seq = 1")
        plain.close()
        assert store.verify().ok


def test_a_changed_recording_path_is_detected(db_url, sample_results):
    with Store(db_url) as store:
        _filled(store, sample_results)
        sql(store, "UPDATE recording_paths SET path = '/elsewhere/party_absent.mp4'")
        problems = _problems(store)
        assert "recording path 1: differs from the event log" in problems
        assert "recording path 1: its path key does not match its path" in problems


def test_a_verdict_changed_and_the_chain_recomputed_without_the_key_is_detected(
    db_url, sample_results
):
    with Store(db_url) as store:
        assert store.key is not None and store.key_file.stat().st_mode & 0o077 == 0
        _filled(store, sample_results)
        drop_guards(store, "review_decisions")
        sql(store, "UPDATE review_decisions SET verdict = 'approve'")
        drop_guards(store, "event_log")
        sql(
            store,
            "UPDATE event_log SET payload = replace(payload, '\"rerecord\"', '\"approve\"') "
            "WHERE entity = 'review_decision'",
        )
        rehash_without_the_key(store)
        problems = _problems(store)
        assert "review decision 1: differs from the event log" not in problems  # rows agree
        assert any("altered (hash mismatch)" in p for p in problems)
        # Claiming the database was never keyed does not help: the key file says otherwise.
        sql(store, "UPDATE store_info SET keyed_from = NULL")
    with Store(db_url) as reopened:
        problems = _problems(reopened)
        assert any("store_info: keyed from entry None" in p for p in problems)


def test_a_keyed_database_without_its_key_cannot_be_written_or_verified(
    db_url, sample_results, tmp_path
):
    with Store(db_url) as store:
        run_id = _filled(store, sample_results)
        key = store.key_file
    hidden = tmp_path / "elsewhere.key"
    key.rename(hidden)
    with Store(db_url) as store:
        with pytest.raises(ConfigError, match=r"key file .* is missing"):
            store.add_decision(run_id, "王审核", "approve")
        assert any("cannot verify the keyed event log" in p for p in store.verify().problems)
    with Store(db_url, key_file=hidden) as store:  # the key given by path
        store.add_decision(run_id, "王审核", "approve")
        assert store.verify().ok


def _legacy_database(url: str) -> None:
    """A database as the store wrote it before 0003: tables at 0002, an unkeyed chain, a
    recording path that was never logged."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from dualrec_audit.store import base as store_base
    from dualrec_audit.store.keys import GENESIS, canonical, entry_hash, path_key

    engine = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(store_base.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.execute(
            text(
                "INSERT INTO recordings (sha256, size, first_seen) "
                "VALUES (:sha, 10, '2026-11-01T00:00:00+00:00')"
            ),
            {"sha": "a" * 64},
        )
        conn.execute(
            text(
                "INSERT INTO recording_paths (recording_id, path, path_key, size, mtime_ns, "
                "last_seen) VALUES (1, '/share/a.mp4', :k, 10, 1, '2026-11-01T00:00:00+00:00')"
            ),
            {"k": path_key("/share/a.mp4")},
        )
        state = {"sha256": "a" * 64, "size": 10, "duration_s": None}
        state |= {k: None for k in ("branch", "teller", "customer_ref", "product")}
        payload = canonical(state)
        at = "2026-11-01T00:00:00+00:00"
        fields = (at, "old", "recording.added", "recording", "1", payload)
        conn.execute(
            text(
                "INSERT INTO event_log VALUES (1, :at, 'old', 'recording.added', 'recording', "
                "'1', :p, :prev, :h)"
            ),
            {"at": at, "p": payload, "prev": GENESIS, "h": entry_hash(1, *fields, GENESIS)},
        )
    engine.dispose()


def test_an_unkeyed_database_from_before_keys_verifies_and_is_keyed_by_db_init(
    empty_db_url, sample_results, capsys
):
    from dualrec_audit.cli import main

    _legacy_database(empty_db_url)
    with Store(empty_db_url) as store:  # opening migrates it; its paths are logged now
        assert store.key is None and store.key_error is None
        report = store.verify()
        assert report.ok and not report.keyed and report.entries == 2
        assert any("not keyed" in n for n in report.notes)
    assert main(["db", "verify", "--db", empty_db_url]) == 0
    assert "NOT keyed" in capsys.readouterr().out
    assert main(["db", "init", "--db", empty_db_url]) == 0
    assert "keyed from entry 3" in capsys.readouterr().out
    with Store(empty_db_url) as store:
        _filled(store, sample_results)
        report = store.verify()
        assert report.ok and report.keyed
        rehash_without_the_key(store)  # the keyed part cannot be forged
        assert any("entry 4: altered" in p for p in store.verify().problems)
    assert main(["db", "verify", "--db", empty_db_url]) == 1


def test_a_mistyped_db_is_refused_and_creates_nothing(tmp_path, capsys, empty_db_url):
    from dualrec_audit.cli import main

    typo = tmp_path / "no" / "such" / "folder" / "resluts.db"
    for args in (["export", "--format", "json"], ["db", "verify"], ["db", "info"]):
        assert main([*args, "--db", str(typo)]) == 2
        err = capsys.readouterr().err
        assert "no such file" in err and "db init" in err
    assert not (tmp_path / "no").exists()
    with pytest.raises(ConfigError, match="no such file"):
        Store(typo)
    # An empty database (PostgreSQL: one that exists without our tables) is not taken over.
    if empty_db_url.startswith("postgresql"):
        assert main(["export", "--db", empty_db_url]) == 2
        assert "has no dualrec-audit tables" in capsys.readouterr().err
    assert main(["db", "init", "--db", empty_db_url]) == 0
    assert main(["export", "--format", "json", "--db", empty_db_url]) == 0


def test_processes_opening_a_fresh_postgresql_database_at_once_take_turns(empty_db_url):
    """Schema set-up is serialised (an advisory lock): no duplicate-key race."""
    import subprocess
    import sys

    if not empty_db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises schema set-up with BEGIN IMMEDIATE")
    code = (
        "import sys; from dualrec_audit.store.database import Store; "
        "s = Store(sys.argv[1], create=True); print(s.db_id, s.key.keyed_from); s.close()"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, empty_db_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    assert len({out for out, _ in outs}) == 1  # one database id, one key
    with Store(empty_db_url) as store:
        assert store.verify().ok
