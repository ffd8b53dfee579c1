"""The Qt reviewer UI and the teller's pre-check window, offscreen (pytest-qt).

The database is built from the real audited samples; the player plays the real files through
Qt's FFmpeg backend."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dualrec_audit.core.result import CheckResult, StageStatus, Text, Word
from dualrec_audit.review.player import PREROLL_S, seek_target, to_position
from dualrec_audit.store.database import Store
from dualrec_audit.store.records import RecordingMeta
from dualrec_audit.workflow.policy import unwatched
from dualrec_audit.workflow.watch import watch_intervals
from tests.store_helpers import store_run

from .conftest import ROOT, SAMPLES

pytestmark = pytest.mark.qt

QtCore = pytest.importorskip("PySide6.QtCore")
Qt = QtCore.Qt


@pytest.fixture(autouse=True)
def _isolated(isolated_models_env, tmp_path, monkeypatch):
    """Own settings file, no language from the environment, no user models."""
    monkeypatch.setenv("DUALREC_AUDIT_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.delenv("DUALREC_AUDIT_LANG", raising=False)


ACCOUNTS = (
    ("王审核", "reviewer"),
    ("钱审核", "reviewer"),
    ("李主管", "senior"),
    ("赵主管", "senior"),
)


def _accounts(store: Store) -> None:
    admin = store.create_account("管理员", "管理员", "admin", "admin-password")
    for name, role in ACCOUNTS:
        store.create_account(name, name, role, f"{role}-password", by=admin)


def _account(url: str, name: str):
    with Store(url) as store:
        return next(a for a in store.accounts() if a.username == name)


@pytest.fixture
def db(tmp_path, sample_results):
    """A database holding every audited sample and the accounts: (url, {file name: run id})."""
    url = f"sqlite:///{tmp_path / 'review.db'}"
    runs = {}
    with Store(url, create=True) as store:
        _accounts(store)
        for i, (name, result) in enumerate(sorted(sample_results.items())):
            meta = RecordingMeta(
                branch=("上海分行", "北京分行")[i % 2],
                teller=f"T{i:03d}",
                customer_ref=f"C{i:04d}",
                product="稳健理财 1 号",
            )
            runs[name] = store_run(store, result, meta=meta)
    return url, runs


@pytest.fixture
def zh(qapp):
    """The Chinese translation installed, as by default."""
    from ui.lang import install_translators, remove_translators

    installed = install_translators(qapp, "zh")
    assert installed, "the .qm file must load"
    yield
    remove_translators(qapp, installed)


def _window(qtbot, url: str, reviewer: str = "王审核", lang: str = "zh", size=(1400, 900)):
    from ui.main_window import MainWindow
    from ui.settings import open_settings
    from ui.workers import Database

    account = _account(url, reviewer)
    win = MainWindow(Database(url, actor=reviewer), open_settings(), lang, account)
    win.auto_next = False
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: not win.queue.loading, timeout=20_000)
    return win


def _open(qtbot, win, run_id: int) -> None:
    with qtbot.waitSignal(win.review.loaded, timeout=20_000):
        win.open_run(run_id)
    qtbot.waitUntil(win.review.player.is_ready, timeout=20_000)


def test_pyside_keeps_none_alive(qapp):
    """PySide6 6.12.0 dropped a reference to None on every call returning nothing: on Python
    3.11 the UI then aborts within minutes ("deallocating None"); pyproject excludes it."""
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(500):
        label.setText("x")
        qapp.processEvents()
    assert sys.getrefcount(None) > before - 100


def test_n_jumps_to_the_first_finding_with_the_preroll(qtbot, db, sample_results, zh):
    url, runs = db
    result = sample_results["customer_chin_cut.mp4"]
    win = _window(qtbot, url)
    _open(qtbot, win, runs["customer_chin_cut.mp4"])
    review = win.review
    player = review.player
    first = min(f.start for f in result.findings if f.rule == "event.face_cut")
    expected = to_position(max(0.0, first - PREROLL_S))
    assert expected == to_position(watch_intervals(result)[0][0]) == 6000
    # It opens at its first place to watch (issue 31), not at 00:00.
    qtbot.waitUntil(lambda: player.position() == expected, timeout=5_000)
    player.seek(0)
    qtbot.waitUntil(lambda: player.position() == 0, timeout=5_000)

    qtbot.keyClick(review, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: player.position() == expected, timeout=5_000)
    qtbot.waitUntil(lambda: abs(player.frame_ms - expected) <= 80, timeout=10_000)
    assert review.timeline.position_ms == expected
    assert "00:06" in review.time_label.text()
    # The only stop: N again stays; P goes back to the start only from well after it.
    qtbot.keyClick(review, Qt.Key.Key_N)
    assert player.position() == expected
    player.seek(12_000)
    qtbot.keyClick(review, Qt.Key.Key_P)
    qtbot.waitUntil(lambda: player.position() == expected, timeout=5_000)
    # The buttons do the same.
    player.seek(0)
    qtbot.mouseClick(review.next_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: player.position() == expected, timeout=5_000)


def test_findings_markers_speed_and_frame_step(qtbot, db, sample_results, zh):
    url, runs = db
    result = sample_results["party_absent.mp4"]
    win = _window(qtbot, url)
    _open(qtbot, win, runs["party_absent.mp4"])
    review, player = win.review, win.review.player
    # The findings list: located findings first, then the whole-recording ones.
    tree = review.findings
    assert tree.topLevelItemCount() == len(result.findings)
    first = review.finding_at(0)
    assert first.event.check == "event.party_absent"  # the episode; the 65 % rule is "整段"
    assert tree.topLevelItem(0).text(1) == "00:06–00:13"
    assert tree.topLevelItem(tree.topLevelItemCount() - 1).text(1) == "整段"
    # A row click seeks to the finding with the pre-roll.
    rect = tree.visualItemRect(tree.topLevelItem(0))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: player.position() == seek_target(first.event.start), timeout=5_000)
    # A marker click on the timeline too, and selects the row.
    player.seek(15_000)
    tree.setCurrentItem(None)
    tl = review.timeline
    x = round(tl._x(first.event.start))
    qtbot.mouseClick(tl, Qt.MouseButton.LeftButton, pos=QtCore.QPoint(x, 8))
    qtbot.waitUntil(lambda: player.position() == seek_target(first.event.start), timeout=5_000)
    assert tl.selected == first.id and review._current_finding() == first.id
    # Clicking the band elsewhere seeks there.
    qtbot.mouseClick(tl, Qt.MouseButton.LeftButton, pos=QtCore.QPoint(round(tl._x(16.0)), 30))
    qtbot.waitUntil(lambda: abs(player.position() - 16_000) <= 200, timeout=5_000)
    # Speed and frame step.
    review.speed.setCurrentIndex(0)
    assert player.rate() == 0.5
    qtbot.keyClick(review, Qt.Key.Key_BracketRight)
    assert player.rate() == 0.75
    before = player.position()
    qtbot.mouseClick(review.fwd_frame, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: player.position() == before + 40, timeout=5_000)
    # The overlay draws the face boxes of the moment (the staff member is always there).
    player.seek(2_000)
    assert {b.text() for it in review.video.box_items for b in it.childItems()} >= {"工作人员"}
    review.overlay.setChecked(False)
    assert review.video.box_items == []


def _watch_all(qtbot, review) -> None:
    """Play every place to watch (at 2x), as a reviewer pressing N and watching would."""
    player = review.player
    review.speed.setCurrentIndex(review.speed.findData(2.0))
    for s, e in review.places:
        player.seek(to_position(s))
        qtbot.waitUntil(lambda s=s: abs(player.position() - to_position(s)) <= 100, timeout=5_000)
        player.media.play()
        end = min(to_position(e), player.duration() - 100)
        qtbot.waitUntil(
            lambda end=end: player.position() >= end, timeout=int((e - s) * 1000) + 15_000
        )
        player.pause()
    qtbot.waitUntil(lambda: not unwatched(review.watched()), timeout=5_000)


def _answer(qtbot, review, reason: str) -> None:
    """Fill in and confirm the question the view asks (a reason dialog)."""
    qtbot.waitUntil(lambda: review.pending is not None, timeout=5_000)
    dialog = review.pending
    assert not dialog.ok.isEnabled()  # no reason, no going on
    dialog.reason.setPlainText(reason)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)


def test_approve_is_refused_until_the_places_are_played(qtbot, db, zh):
    url, runs = db
    run_id = runs["dark_segment.mp4"]
    win = _window(qtbot, url)
    _open(qtbot, win, run_id)
    review = win.review
    assert review.places and "已观看 0/" in review.watch_label.text()
    with Store(url) as store:
        rec = store.run(run_id).recording_id
        assert [c.reviewer for c in store.claims()] == ["王审核"]  # claimed on opening
    # Approve at 00:00, nothing watched: a question, not a decision.
    qtbot.keyClick(review, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: review.pending is not None, timeout=5_000)
    assert (
        "未播放" in review.pending.question.text() or "没有播放" in review.pending.question.text()
    )
    review.pending.reject()
    with Store(url) as store:
        assert store.decisions(rec) == []
    # Watch every place, then approve: saved with what was watched, claim released.
    _watch_all(qtbot, review)
    assert "已观看" in review.watch_label.text()
    with qtbot.waitSignal(review.decision_saved, timeout=10_000):
        qtbot.mouseClick(review.approve_btn, Qt.MouseButton.LeftButton)
    with Store(url) as store:
        [d] = store.decisions(rec)
        assert (d.verdict, d.reviewer, d.role, d.run_id) == (
            "approve",
            "王审核",
            "reviewer",
            run_id,
        )
        assert d.watched and all(w[2] >= 0.9 for w in d.watched) and d.unwatched_reason is None
        assert store.claims() == []
        assert store.verify().ok
    assert "已保存" in review.decision_status.text()
    qtbot.waitUntil(
        lambda: any(i.run_id == run_id and i.status == "done" for i in win.queue.model.items),
        timeout=10_000,
    )


def test_approve_without_watching_needs_a_logged_reason(qtbot, db, zh):
    url, runs = db
    run_id = runs["dark_segment.mp4"]
    win = _window(qtbot, url)
    _open(qtbot, win, run_id)
    review = win.review
    with qtbot.waitSignal(review.decision_saved, timeout=10_000):
        qtbot.mouseClick(review.approve_btn, Qt.MouseButton.LeftButton)
        _answer(qtbot, review, "客户当日已在柜台面签确认")
    with Store(url) as store:
        [d] = store.decisions()
        assert d.unwatched_reason == "客户当日已在柜台面签确认"
        assert d.watched and all(w[2] < 0.9 for w in d.watched)
    # The history shows who, when, what and why.
    h = review.history.topLevelItem(0)
    assert "王审核" in h.text(1) and h.text(2) == "通过" and "客户当日已在柜台面签确认" in h.text(3)


def test_no_decision_without_a_playable_file(qtbot, db, sample_results, tmp_path, zh):
    import shutil

    url, _ = db
    moved = tmp_path / "gone.mp4"
    src = Path(sample_results["dark_segment.mp4"].file)
    result = replace(sample_results["dark_segment.mp4"], file=str(moved), sha256="f" * 64)
    shutil.copy(src, moved)
    with Store(url) as store:
        run_id = store_run(store, result)
    moved.unlink()
    win = _window(qtbot, url)
    with qtbot.waitSignal(win.review.loaded, timeout=20_000):
        win.open_run(run_id)
    review = win.review
    from PySide6.QtWidgets import QMessageBox

    qtbot.waitUntil(lambda: bool(review.findChildren(QMessageBox)), timeout=5_000)
    assert not review.approve_btn.isEnabled() and not review.reject_btn.isEnabled()
    qtbot.keyClick(review, Qt.Key.Key_A)
    with Store(url) as store:
        assert store.decisions() == []


def test_a_decision_change_asks_needs_a_reason_and_shows_in_the_history(qtbot, db, zh):
    url, runs = db
    run_id = runs["dark_segment.mp4"]
    win = _window(qtbot, url)
    _open(qtbot, win, run_id)
    review = win.review
    review.reason_code.setCurrentIndex(review.reason_code.findData("video_quality"))
    review.reason_text.setText("画面过暗 5 秒")
    with qtbot.waitSignal(review.decision_saved, timeout=10_000):
        qtbot.keyClick(review, Qt.Key.Key_R)
    _open(qtbot, win, run_id)
    _watch_all(qtbot, review)
    # One click no longer flips it: the change is asked, with a reason.
    qtbot.mouseClick(review.approve_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: review.pending is not None, timeout=5_000)
    assert "退回重录" in review.pending.question.text()
    review.pending.reject()
    with Store(url) as store:
        assert [d.verdict for d in store.decisions()] == ["rerecord"]
    with qtbot.waitSignal(review.decision_saved, timeout=10_000):
        qtbot.mouseClick(review.approve_btn, Qt.MouseButton.LeftButton)
        _answer(qtbot, review, "复看后过暗发生在寒暄阶段，不影响要素")
    with Store(url) as store:
        old, new = store.decisions()
        assert (old.verdict, new.verdict) == ("rerecord", "approve")
        assert new.change_reason == "复看后过暗发生在寒暄阶段，不影响要素"
        assert store.verify().ok
    rows = [review.history.topLevelItem(i) for i in range(review.history.topLevelItemCount())]
    assert [r.text(2) for r in rows] == ["退回重录", "通过"]
    assert "复看后过暗" in rows[1].text(3) and rows[1].text(0)  # why, and when


def test_roles_four_eyes_and_an_appeal(qtbot, db, zh):
    url, runs = db
    run_id = runs["party_absent.mp4"]  # a mandatory check failed
    win = _window(qtbot, url, "王审核")
    _open(qtbot, win, run_id)
    review = win.review
    _watch_all(qtbot, review)
    # A reviewer cannot overturn a failed mandatory check.
    qtbot.mouseClick(review.approve_btn, Qt.MouseButton.LeftButton)
    assert "两名高级复核员" in review.decision_status.text()
    review.reason_code.setCurrentIndex(review.reason_code.findData("party_absent"))
    review.reason_text.setText("客户离开画面")
    with qtbot.waitSignal(review.decision_saved, timeout=10_000):
        qtbot.mouseClick(review.reject_btn, Qt.MouseButton.LeftButton)
    # The branch appeals, entered by the reviewer; the same reviewer may not decide it.
    assert review.appeal_btn.isEnabled()
    dialog = review.ask_appeal()
    dialog.extra.setText("上海分行 T001")
    dialog.reason.setPlainText("客户只是弯腰签字，仍在画面中")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "上海分行 T001" in review.state_banner.text(), timeout=10_000)
    review.reason_code.setCurrentIndex(review.reason_code.findData("party_absent"))
    review.reason_text.setText("维持")
    qtbot.mouseClick(review.reject_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "另一名复核员" in review.decision_status.text(), timeout=10_000)
    win.close()
    # A senior grants it: an approval that waits for a second senior (four eyes).
    for senior, standing in (("李主管", "second"), ("赵主管", "approved")):
        win = _window(qtbot, url, senior)
        _open(qtbot, win, run_id)
        review = win.review
        _watch_all(qtbot, review)
        with qtbot.waitSignal(review.decision_saved, timeout=10_000):
            qtbot.mouseClick(review.approve_btn, Qt.MouseButton.LeftButton)
            if standing == "second":
                _answer(qtbot, review, "申诉成立")
        with Store(url) as store:
            assert store.state(store.run(run_id).recording_id).standing == standing
        if standing == "second":
            assert "第二名高级复核员" in review.state_banner.text()
            qtbot.mouseClick(review.approve_btn, Qt.MouseButton.LeftButton)  # not twice
            qtbot.waitUntil(lambda r=review: "四眼" in r.decision_status.text(), timeout=10_000)
        win.close()
    with Store(url) as store:
        ds = store.decisions()
        assert [(d.reviewer, d.verdict, d.four_eyes) for d in ds] == [
            ("王审核", "rerecord", None),
            ("李主管", "approve", "first"),
            ("赵主管", "approve", "second"),
        ]
        assert ds[1].appeal_id == store.appeals()[0].id
        assert store.verify().ok


def test_per_finding_verdicts_with_a_note(qtbot, db, zh):
    url, runs = db
    run_id = runs["frozen_segment.mp4"]
    win = _window(qtbot, url)
    _open(qtbot, win, run_id)
    review = win.review
    first = review.finding_at(0)
    review.select_finding(first.id)
    review.finding_note.setText("灯光问题")
    qtbot.keyClick(review, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: first.id in review.data.false_alarms, timeout=10_000)
    cell = review.findings.topLevelItem(0).text(3)
    assert "误报" in cell and "灯光问题" in cell and "王审核" in cell
    qtbot.mouseClick(review.real_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first.id not in review.data.false_alarms, timeout=10_000)
    assert "属实" in review.findings.topLevelItem(0).text(3)
    with Store(url) as store:
        marks = store.feedback(run_id)
        assert [(m.label, m.note) for m in marks] == [
            ("false_alarm", "灯光问题"),
            ("confirmed", None),
        ]


def test_the_window_fits_1366x768(qtbot, db, zh):
    url, runs = db
    win = _window(qtbot, url, size=(1366, 768))
    _open(qtbot, win, runs["customer_chin_cut.mp4"])
    review = win.review
    qtbot.wait(200)
    assert win.width() <= 1366 and win.height() <= 768
    inside = win.rect()
    for w in (
        review.approve_btn,
        review.reject_btn,
        review.escalate_btn,
        review.next_rec_btn,
        review.timeline,
        review.next_btn,
        review.time_label,
    ):
        r = w.rect().translated(w.mapTo(win, QtCore.QPoint(0, 0)))
        assert inside.contains(r), (w.objectName(), r, inside)
        assert w.isVisible() and w.width() > 10
    assert win.minimumSizeHint().width() <= 1366 and win.minimumSizeHint().height() <= 768
    # A window opened without a size is fitted to the screen.
    from ui.main_window import fit_to_screen

    free = win.screen().availableGeometry()
    size = fit_to_screen(win)
    assert size.width() <= free.width() and size.height() <= free.height()


def test_review_conveniences_keys_zoom_tenths_transcript_and_boxes(qtbot, db, sample_results, zh):
    url, runs = db
    win = _window(qtbot, url)
    _open(qtbot, win, runs["party_absent.mp4"])
    review, player = win.review, win.review.player
    # The overlay lists every shortcut.
    qtbot.keyClick(review, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    assert review.overlay_help.isVisible()
    listed = " ".join(k for k, _ in review.overlay_help.rows)
    for key in ("N / P", "A", "R", "E", "J", "T / F", "+ / − / 0", "? / F1"):
        assert key in listed
    qtbot.keyClick(review, Qt.Key.Key_Escape)
    assert not review.overlay_help.isVisible()
    # Time to the tenth of a second.
    player.seek(6_340)
    qtbot.waitUntil(lambda: review.time_label.text().startswith("00:06.3"), timeout=5_000)
    # Timeline zoom around the playhead.
    tl = review.timeline
    qtbot.keyClick(review, Qt.Key.Key_Plus)
    assert tl.zoomed() and tl.view_start <= 6.34 <= tl.view_start + tl.view_len
    qtbot.keyClick(review, Qt.Key.Key_0)
    assert not tl.zoomed()
    # Face boxes stay on the picture after a resize.
    player.seek(2_000)
    qtbot.waitUntil(lambda: bool(review.video.box_items), timeout=5_000)
    before = review.video.box_items[0].rect()
    win.resize(1000, 700)
    qtbot.waitUntil(lambda: bool(review.video.box_items), timeout=5_000)
    after = review.video.box_items[0].rect()
    pic = review.video.video_rect()
    assert after != before and pic.contains(after.center())


def test_transcript_click_seeks(qtbot, tmp_path, sample_results, zh):
    base = sample_results["clean.mp4"]
    words = (Word(1.0, 1.5, "本产品", 0.9), Word(5.0, 5.5, "有风险", 0.9))
    url = f"sqlite:///{tmp_path / 't.db'}"
    with Store(url, create=True) as store:
        _accounts(store)
        run_id = store_run(store, replace(base, transcript=words))
    win = _window(qtbot, url)
    _open(qtbot, win, run_id)
    review = win.review
    from PySide6.QtGui import QTextCursor

    start, _ = review.span_pos[1]
    c = QTextCursor(review.transcript.document())
    c.setPosition(start + 1)
    point = review.transcript.cursorRect(c).center()
    qtbot.mouseClick(review.transcript.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: abs(review.player.position() - 5_000) <= 100, timeout=5_000)


def test_next_recording_after_a_decision(qtbot, db, zh):
    url, _ = db
    win = _window(qtbot, url)
    win.auto_next = True
    first = win.queue.visible_runs()[0]
    _open(qtbot, win, first)
    review = win.review
    review.reason_code.setCurrentIndex(review.reason_code.findData("needs_senior"))
    with qtbot.waitSignal(review.loaded, timeout=20_000) as blocker:
        qtbot.keyClick(review, Qt.Key.Key_E)  # escalate; the next recording opens
    assert blocker.args[0] != first and review.data.summary.run_id != first
    assert "已保存" in win.statusBar().currentMessage()


def test_a_recording_claimed_by_someone_else_is_read_only(qtbot, db, zh):
    url, runs = db
    run_id = runs["noisy_speech.mp4"]
    with Store(url) as store:
        store.claim(store.run(run_id).recording_id, "李审核")
    win = _window(qtbot, url)
    qtbot.waitUntil(
        lambda: any(i.claimed_by == "李审核" for i in win.queue.model.items), timeout=10_000
    )
    _open(qtbot, win, run_id)
    review = win.review
    assert review.read_only and not review.approve_btn.isEnabled()
    assert "李审核" in review.claim_banner.text() and review.claim_banner.isVisibleTo(win)
    assert review.next_btn.isEnabled()  # watching is still allowed


def test_queue_order_filters_and_workload(qtbot, db, sample_results, zh):
    url, runs = db
    with Store(url) as store:
        store.add_decision(runs["clean.mp4"], "张审核", "approve")
    win = _window(qtbot, url)
    queue = win.queue
    names = {v: k for k, v in runs.items()}
    shown = [names[r] for r in queue.visible_runs()]
    # Needs review first (lowest score first), then re-records, then what was decided.
    statuses = [i.status for i in queue.model.items]
    assert statuses == sorted(statuses, key=["review", "rerecord", "done"].index)
    assert queue.model.cell_text(queue.model.items[0], "status") == "需人工复核"
    assert shown[-1] == "clean.mp4"
    # the one review (dark), then the re-record with the lowest score (noisy speech, 70: the
    # unclear speech and the stage not heard through the noise)
    assert shown[:2] == ["dark_segment.mp4", "noisy_speech.mp4"]
    assert "待复核：5 条录像" in queue.workload.text()
    assert "需完整收听" not in queue.workload.text()  # the bundled model verified every script
    queue.status.setCurrentIndex(queue.status.findData("rerecord"))
    assert {names[r] for r in queue.visible_runs()} == {
        "customer_chin_cut.mp4",
        "party_absent.mp4",
        "noisy_speech.mp4",
        "frozen_segment.mp4",  # a frozen picture is a failed mandatory check
    }
    queue.status.setCurrentIndex(0)
    queue.branch.setCurrentIndex(queue.branch.findData("北京分行"))
    assert len(queue.visible_runs()) == 3
    queue.branch.setCurrentIndex(0)
    queue.max_score.setValue(80)
    assert [names[r] for r in queue.visible_runs()] == ["noisy_speech.mp4", "party_absent.mp4"]
    queue.max_score.setValue(100)
    # Business names in Chinese, the customer, product and recording-time columns.
    model = queue.model
    row = next(i for i in model.items if i.run_id == runs["clean.mp4"])
    cols = {c: model.cell_text(row, c) for c in ("business", "customer", "product", "recorded")}
    # The samples are audited under their sidecars' demo profile.
    assert cols["business"] == "示例录像（演示用）" and cols["customer"].startswith("C0")
    assert cols["product"] == "稳健理财 1 号" and cols["recorded"][:2] == "20"
    assert "bundled_samples" not in [model.cell_text(i, "business") for i in model.items]
    # Sorting by a column, and opening a row.
    queue.sortByColumn(model.COLUMNS.index("score"), Qt.SortOrder.AscendingOrder)
    assert names[queue.visible_runs()[0]] == "noisy_speech.mp4"  # the lowest score, 70
    with qtbot.waitSignal(win.review.loaded, timeout=20_000):
        queue.table.activated.emit(queue.paged.index(0, 0))
    assert win.tabs.currentWidget() is win.review


def test_queue_pages_thousands_of_rows_and_assigns(qtbot, db, zh):
    from dualrec_audit.review.queue import QueueItem

    url, runs = db
    win = _window(qtbot, url, "李主管")
    queue = win.queue
    # Assign a recording to a reviewer; "assigned to me" shows it to them.
    queue.select_run(runs["dark_segment.mp4"])
    queue.assignee.setCurrentIndex(queue.assignee.findData("钱审核"))
    with qtbot.waitSignal(queue.refreshed, timeout=10_000):
        qtbot.mouseClick(queue.assign_btn, Qt.MouseButton.LeftButton)
    item = next(i for i in queue.model.items if i.run_id == runs["dark_segment.mp4"])
    assert item.assignee == "钱审核"
    queue.account = _account(url, "钱审核")
    queue.mine.setChecked(True)
    assert queue.visible_runs() == [runs["dark_segment.mp4"]]
    queue.mine.setChecked(False)
    # 4,321 rows: pages of 500.
    many = [
        QueueItem(i, i, f"r{i:05d}.mp4", "", "review", "review", float(i % 100), 60.0, "t")
        for i in range(4321)
    ]
    queue.model.set_items(many)
    queue.set_page(0)
    assert queue.paged.rowCount() == 500 and "第 1/9 页" in queue.page_label.text()
    qtbot.mouseClick(queue.next_page, Qt.MouseButton.LeftButton)
    assert queue.paged.page == 1 and len(queue.visible_runs()) == 500
    queue.set_page(8)
    assert queue.paged.rowCount() == 321 and not queue.next_page.isEnabled()


def test_transcript_colours_required_and_forbidden_phrases(qtbot, tmp_path, sample_results, zh):
    from PySide6.QtGui import QTextCursor

    base = sample_results["clean.mp4"]
    words = (Word(1.0, 1.5, "本产品", 0.9), Word(1.5, 2.0, "有风险", 0.9))
    words += (Word(5.0, 5.5, "保证", 0.9), Word(5.5, 6.0, "收益", 0.9))
    script = CheckResult(
        "script",
        "ok",
        details={
            "required": [{"phrase": "有风险", "found": True, "match": {"start": 1.5, "end": 2}}],
            "forbidden": [{"phrase": "保证收益", "match": {"start": 5.0, "end": 6.0}}],
        },
    )
    stage = StageStatus("risk", Text("风险揭示", "Risk disclosure"), "staff", True, "missing")
    result = replace(
        base,
        transcript=words,
        checks={**base.checks, "script": script},
        stages=(stage,),
    )
    url = f"sqlite:///{tmp_path / 't.db'}"
    with Store(url, create=True) as store:
        _accounts(store)
        run_id = store_run(store, result)
    win = _window(qtbot, url)
    _open(qtbot, win, run_id)
    view = win.review.transcript
    assert "未听到：风险揭示" in view.toPlainText() and "本产品有风险" in view.toPlainText()

    def colour_at(i: int):
        start, _ = win.review.span_pos[i]
        c = QTextCursor(view.document())
        c.setPosition(start + 1)
        return c.charFormat().foreground().color().name()

    assert [colour_at(i) for i in range(4)] == ["#000000", "#2e7d32", "#c62828", "#c62828"]
    win.review.player.seek(5_200)  # the transcript follows playback
    qtbot.waitUntil(lambda: win.review.current_word == 2, timeout=5_000)


def test_precheck_fails_the_chin_cut_sample_with_the_right_item(qtbot, zh):
    from ui.precheck_view import PrecheckView
    from ui.settings import open_settings

    view = PrecheckView(open_settings(), "zh")
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    with qtbot.waitSignal(view.thumbnails_done, timeout=120_000):
        view.check_file(str(SAMPLES / "customer_chin_cut.mp4"))
    assert view.run is not None and not view.run.verdict.passed
    assert "不通过" in view.verdict.text()
    cut = [r for r in view.rows if r.item.rule == "event.face_cut"]
    assert len(cut) == 1
    row = cut[0]
    assert row.when.text() == "00:08–00:14"
    assert "下巴" in row.what.text() and "下巴" in row.how.text()
    assert row.thumb.pixmap() is not None and not row.thumb.pixmap().isNull()
    assert view.progress.value() == 100
    # "Play this moment" plays from just before it.
    qtbot.mouseClick(row.play_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(view.player.playing, timeout=10_000)
    assert view.player.position() >= seek_target(row.item.start or 0.0)
    view.player.pause()


def test_precheck_never_passes_an_unverified_script(qtbot, zh):
    """No script model (turned off here, as on a PC without it): the clean sample has nothing
    to fix, but the script was not verified, so no green pass; in large type it says what
    could not be checked."""
    from dualrec_audit.audit.pipeline import AuditOptions
    from ui.precheck_view import PrecheckView
    from ui.settings import open_settings

    options = AuditOptions(script_model="none", asr_model="none")
    view = PrecheckView(open_settings(), "zh", options=options)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.finished, timeout=120_000):
        view.check_file(str(SAMPLES / "clean.mp4"))
    assert view.run.verdict.state == "unverified"
    assert "通过" not in view.verdict.text() and "未能全部检查" in view.verdict.text()
    assert "#2e7d32" not in view.verdict.styleSheet()  # not green
    assert "未能核对话术" in view.summary.text() and "不能算作通过" in view.summary.text()
    assert view.summary.font().pointSize() >= view.font().pointSize() + 6
    assert view.rows == [] and "dualrec-audit" not in view.notes.text()


def test_errors_become_dialogs(qtbot, tmp_path, zh):
    from PySide6.QtWidgets import QMessageBox

    from ui.precheck_view import PrecheckView
    from ui.settings import open_settings

    view = PrecheckView(open_settings(), "zh")
    qtbot.addWidget(view)
    view.show()
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all")
    with qtbot.waitSignal(view.finished, timeout=60_000):
        view.check_file(str(bad))
    assert "不通过" in view.verdict.text() and "无法检查" in view.summary.text()
    # In Chinese, saying what to do (not the media library's English).
    assert "请选择录制设备导出的视频文件" in view.summary.text()
    # A database that cannot be opened: a dialog that says why.
    from ui.dialogs import show_error
    from ui.workers import Database

    db = Database(f"sqlite:///{tmp_path}")  # a folder, not a database file
    db.setParent(view)
    db.on_error = lambda exc: show_error(view, "DB", exc)
    db.call(lambda store: store.runs())
    db.call(lambda store: store.runs())  # failing again: still one dialog
    qtbot.waitUntil(lambda: bool(view.findChildren(QMessageBox)), timeout=10_000)
    qtbot.wait(500)
    [box] = view.findChildren(QMessageBox)
    assert "无法连接结果数据库" in box.informativeText() and "str:" not in box.informativeText()
    # Plain text (a player error) is shown as it is, without a type prefix.
    from ui.dialogs import error_text

    assert error_text("视频无法解码") == "视频无法解码"


def test_worker_callbacks_run_in_the_gui_thread(qtbot, qapp):
    from PySide6.QtCore import QThread

    from ui.workers import Worker

    w = Worker("t", 2)
    seen: list[tuple[bool, bool]] = []

    def work() -> bool:
        return QThread.currentThread() is qapp.thread()

    w.submit(work, lambda in_gui: seen.append((in_gui, QThread.currentThread() is qapp.thread())))
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    assert seen == [(False, True)] and w.idle()


def test_language_chinese_by_default_english_by_setting(qtbot, qapp, db, monkeypatch):
    from ui.lang import install_translators, remove_translators, resolve_language
    from ui.settings import open_settings

    url, _ = db
    settings = open_settings()
    assert resolve_language(None, settings) in ("zh", "en")  # the locale decides when unset
    monkeypatch.setattr("ui.lang.QLocale.system", lambda: QtCore.QLocale("C"))
    assert resolve_language(None, settings) == "zh"
    installed = install_translators(qapp, resolve_language(None, settings))
    try:
        win = _window(qtbot, url)
        assert win.windowTitle() == "双录审核"
        assert win.review.approve_btn.text() == "通过 (A)"
        assert win.review.reject_btn.text() == "退回重录 (R)"
        assert win.tabs.tabText(0) == "复核队列"
        win.close()
    finally:
        remove_translators(qapp, installed)
    settings.setValue("lang", "en")
    assert resolve_language(None, settings) == "en"
    assert install_translators(qapp, "en") == []
    win = _window(qtbot, url, lang="en")
    assert win.windowTitle() == "Dual-recording review"
    assert win.review.approve_btn.text() == "Approve (A)"
    assert win.tabs.tabText(0) == "Queue"
    monkeypatch.setattr("ui.lang.QLocale.system", lambda: QtCore.QLocale("en_US"))
    settings.remove("lang")
    assert resolve_language(None, settings) == "en"
    assert resolve_language("zh", settings) == "zh"


def test_translations_are_complete_and_compiled(tmp_path):
    """ui/i18n/dualrec_zh_CN.ts holds every tr() string, translated; the .qm is its build
    (scripts/translations.sh regenerates both)."""
    from ui.lang import QM_FILE, TS_FILE

    bin_dir = Path(sys.executable).parent
    ts = tmp_path / TS_FILE.name
    ts.write_bytes(TS_FILE.read_bytes())
    sources = sorted(str(p) for p in (ROOT / "ui").rglob("*.py"))
    lupdate = str(bin_dir / "pyside6-lupdate")
    subprocess.run(
        [lupdate, "-silent", "-no-obsolete", "-locations", "none", *sources, "-ts", str(ts)],
        check=True,
        capture_output=True,
    )
    assert ts.read_text(encoding="utf-8") == TS_FILE.read_text(encoding="utf-8"), (
        "run scripts/translations.sh: the .ts file is out of date"
    )
    assert 'type="unfinished"' not in ts.read_text(encoding="utf-8")
    qm = tmp_path / QM_FILE.name
    subprocess.run(
        [str(bin_dir / "pyside6-lrelease"), "-silent", str(TS_FILE), "-qm", str(qm)],
        check=True,
        capture_output=True,
    )
    assert qm.read_bytes() == QM_FILE.read_bytes(), "run scripts/translations.sh: stale .qm"


def _cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUALREC_AUDIT")}
    env["PYTHONPATH"] = str(ROOT)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["DUALREC_AUDIT_SETTINGS"] = str(tmp_path / "cli-settings.ini")
    return env


def test_screenshot_command_renders_the_review_view_at_a_finding(tmp_path, db, sample_results):
    import cv2

    from dualrec_audit.media.frames import frame_at

    url, runs = db
    with Store(url) as store:
        rec = store.run(runs["customer_chin_cut.mp4"]).recording_id
    out = tmp_path / "shots" / "review.png"
    cmd = [sys.executable, "-m", "dualrec_audit", "review", "--db", url, "--recording", str(rec)]
    cmd += ["--finding", "1", "--screenshot", str(out), "--size", "1280x800"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_cli_env(tmp_path), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    img = cv2.imread(str(out))
    assert img is not None and img.shape[:2] == (800, 1280)
    assert img.std() > 20
    # The real video frame is in it: the wall behind the two people, in its own colour.
    frame = frame_at(SAMPLES / "customer_chin_cut.mp4", 8.5)
    assert frame is not None
    wall = frame[40:80, 600:680].reshape(-1, 3).mean(axis=0)
    close = np.abs(img.astype(int) - wall).max(axis=2) <= 12
    assert close.mean() > 0.05
    # A finding that does not exist is a clear error.
    bad = subprocess.run(
        [*cmd[:-6], "--finding", "99", "--screenshot", str(out)],
        capture_output=True,
        text=True,
        env=_cli_env(tmp_path),
        cwd=ROOT,
    )
    assert bad.returncode == 2 and "--finding 99" in bad.stderr
