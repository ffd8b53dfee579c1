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

from dualrec_audit.db.store import RecordingMeta, Store, run_key
from dualrec_audit.result import CheckResult, StageStatus, Text, Word
from dualrec_audit.review import PREROLL_S, seek_target, to_position
from dualrec_audit.watch import watch_intervals

from .conftest import ROOT, SAMPLES

pytestmark = pytest.mark.qt

QtCore = pytest.importorskip("PySide6.QtCore")
Qt = QtCore.Qt


@pytest.fixture(autouse=True)
def _isolated(isolated_models_env, tmp_path, monkeypatch):
    """Own settings file, no language from the environment, no user models."""
    monkeypatch.setenv("DUALREC_AUDIT_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.delenv("DUALREC_AUDIT_LANG", raising=False)


def _store(store: Store, result, meta: RecordingMeta | None = None) -> int:
    st = Path(result.file).stat()
    run_id, _ = store.record_run(
        result,
        key=run_key(result.sha256, "p", result.models, {"t": 1}),
        sha256=result.sha256,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        profile_digest="p",
        started_at="2026-11-21T08:00:00+00:00",
        meta=meta,
    )
    return run_id


@pytest.fixture
def db(tmp_path, sample_results):
    """A database holding every audited sample: (url, {file name: run id})."""
    url = f"sqlite:///{tmp_path / 'review.db'}"
    runs = {}
    with Store(url, create=True) as store:
        for i, (name, result) in enumerate(sorted(sample_results.items())):
            meta = RecordingMeta(branch=("上海分行", "北京分行")[i % 2], teller=f"T{i:03d}")
            runs[name] = _store(store, result, meta)
    return url, runs


@pytest.fixture
def zh(qapp):
    """The Chinese translation installed, as by default."""
    from ui.lang import install_translators, remove_translators

    installed = install_translators(qapp, "zh")
    assert installed, "the .qm file must load"
    yield
    remove_translators(qapp, installed)


def _window(qtbot, url: str, reviewer: str = "王审核", lang: str = "zh"):
    from ui.main_window import MainWindow
    from ui.settings import open_settings
    from ui.workers import Database

    win = MainWindow(Database(url, actor=reviewer), open_settings(), lang, reviewer)
    qtbot.addWidget(win)
    win.resize(1400, 900)
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
    assert player.position() == 0
    first = min(f.start for f in result.findings if f.rule == "mandatory.max_face_cut")
    expected = to_position(max(0.0, first - PREROLL_S))
    assert expected == to_position(watch_intervals(result)[0][0]) == 6000

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
    assert first.event.check == "mandatory.both_parties_present"
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


def test_approving_writes_a_decision_row_and_releases_the_claim(qtbot, db, zh):
    url, runs = db
    run_id = runs["dark_segment.mp4"]
    win = _window(qtbot, url)
    _open(qtbot, win, run_id)
    review = win.review
    with Store(url) as store:
        rec = store.run(run_id).recording_id
        assert [c.reviewer for c in store.claims()] == ["王审核"]  # claimed on opening
    # Rejecting without a reason writes nothing and says what is missing.
    review.reason_code.setCurrentIndex(review.reason_code.findData("video_quality"))
    qtbot.mouseClick(review.reject_btn, Qt.MouseButton.LeftButton)
    assert "原因说明" in review.decision_status.text()
    # Approving writes the row, with the reviewer's name and time.
    review.reason_text.setText("灯光短暂熄灭，不影响双录要素")
    with qtbot.waitSignal(review.decision_saved, timeout=10_000):
        qtbot.mouseClick(review.approve_btn, Qt.MouseButton.LeftButton)
    with Store(url) as store:
        [d] = store.decisions(rec)
        assert (d.verdict, d.reviewer, d.run_id) == ("approve", "王审核", run_id)
        assert d.reason_code == "video_quality" and d.reason_text == "灯光短暂熄灭，不影响双录要素"
        assert d.created_at
        assert store.claims() == []  # the decision released the claim
        assert store.verify().ok
    assert "已保存" in review.decision_status.text()
    assert review.reason_text.text() == ""  # the draft is cleared
    # The queue shows the verdict.
    qtbot.waitUntil(
        lambda: any(i.run_id == run_id and i.status == "done" for i in win.queue.model.items),
        timeout=10_000,
    )


def test_reject_and_false_alarm_and_a_draft_survives_reopening(qtbot, db, zh):
    url, runs = db
    run_id = runs["frozen_segment.mp4"]
    win = _window(qtbot, url)
    _open(qtbot, win, run_id)
    review = win.review
    review.reason_text.setText("画面卡住 5 秒")
    win.review.close_run()
    _open(qtbot, win, run_id)
    assert review.reason_text.text() == "画面卡住 5 秒"  # the draft came back
    # Mark the first finding a false alarm.
    first = review.finding_at(0)
    review.select_finding(first.id)
    qtbot.mouseClick(review.false_alarm_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: first.id in review.data.false_alarms, timeout=10_000)
    assert "误报" in review.findings.topLevelItem(0).text(2)
    assert review.false_alarm_btn.text() == "取消误报标记"
    review.reason_code.setCurrentIndex(review.reason_code.findData("video_quality"))
    with qtbot.waitSignal(review.decision_saved, timeout=10_000):
        qtbot.mouseClick(review.reject_btn, Qt.MouseButton.LeftButton)
    with Store(url) as store:
        [d] = store.decisions()
        assert (d.verdict, d.reason_text) == ("rerecord", "画面卡住 5 秒")
        [mark] = store.feedback(run_id)
        assert (mark.finding_id, mark.label, mark.reviewer) == (first.id, "false_alarm", "王审核")


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
    assert shown[-1] == "clean.mp4"
    assert set(shown[:2]) == {"dark_segment.mp4", "frozen_segment.mp4"}
    assert "待复核：5 条录像" in queue.workload.text() and "需完整收听" in queue.workload.text()
    queue.status.setCurrentIndex(queue.status.findData("rerecord"))
    assert {names[r] for r in queue.visible_runs()} == {
        "customer_chin_cut.mp4",
        "party_absent.mp4",
        "noisy_speech.mp4",
    }
    queue.status.setCurrentIndex(0)
    queue.branch.setCurrentIndex(queue.branch.findData("北京分行"))
    assert len(queue.visible_runs()) == 3
    queue.branch.setCurrentIndex(0)
    queue.max_score.setValue(80)
    assert [names[r] for r in queue.visible_runs()] == ["party_absent.mp4"]
    queue.max_score.setValue(100)
    # Sorting by a column, and opening a row.
    queue.table.sortByColumn(6, Qt.SortOrder.AscendingOrder)
    assert names[queue.visible_runs()[0]] == "party_absent.mp4"
    with qtbot.waitSignal(win.review.loaded, timeout=20_000):
        queue.table.activated.emit(queue.proxy.index(0, 0))
    assert win.tabs.currentWidget() is win.review


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
        run_id = _store(store, result)
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
    cut = [r for r in view.rows if r.item.rule == "mandatory.max_face_cut"]
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


def test_precheck_passes_the_clean_sample_with_a_note(qtbot, zh):
    from ui.precheck_view import PrecheckView
    from ui.settings import open_settings

    view = PrecheckView(open_settings(), "zh")
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.finished, timeout=120_000):
        view.check_file(str(SAMPLES / "clean.mp4"))
    assert "通过" in view.verdict.text() and "不通过" not in view.verdict.text()
    assert view.rows == [] and "话术" in view.notes.text()


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
    # A database that cannot be opened: a dialog that says why.
    from ui.dialogs import show_error
    from ui.workers import Database

    db = Database(f"sqlite:///{tmp_path}")  # a folder, not a database file
    db.setParent(view)
    db.on_error = lambda exc: show_error(view, "DB", exc)
    db.call(lambda store: store.runs())
    qtbot.waitUntil(lambda: bool(view.findChildren(QMessageBox)), timeout=10_000)
    box = view.findChildren(QMessageBox)[0]
    assert "cannot open the database" in box.informativeText()


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
        assert win.review.approve_btn.text() == "通过"
        assert win.review.reject_btn.text() == "退回重录"
        assert win.tabs.tabText(0) == "复核队列"
        win.close()
    finally:
        remove_translators(qapp, installed)
    settings.setValue("lang", "en")
    assert resolve_language(None, settings) == "en"
    assert install_translators(qapp, "en") == []
    win = _window(qtbot, url, lang="en")
    assert win.windowTitle() == "Dual-recording review"
    assert win.review.approve_btn.text() == "Approve"
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
    sources = sorted(str(p) for p in (ROOT / "ui").glob("*.py"))
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

    from dualrec_audit.media import frame_at

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
