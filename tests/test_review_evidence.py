"""Reviewer decisions only on evidence (issue 31), driven through the real review window
(pytest-qt, offscreen) on real recordings: a recording the tool could not audit, a script to
be checked by ear, a file replaced after its audit, drafts and the substance of a reason.

The recordings are the bundled samples, audited for real; the broken ones are made from them
in the test's temp folder (a truncated copy, a copy with bytes changed)."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from dualrec_audit.store.database import Store
from dualrec_audit.store.keys import run_key
from dualrec_audit.workflow.evidence import (
    listened_share,
    needs_listening,
    reason_weight,
    speech_spans,
    substantive,
    unaudited,
)
from dualrec_audit.workflow.policy import Request, WorkflowError, check_decision, state_of

from . import test_ui as ui_tests
from .conftest import SAMPLES
from .test_ui import _account, _open, _window  # the same window helpers

# The reviewer UI tests' fixtures: the database of audited samples with its accounts, the
# Chinese translation, an isolated settings file.
db, zh, _isolated = ui_tests.db, ui_tests.zh, ui_tests._isolated

pytestmark = pytest.mark.qt

QtCore = pytest.importorskip("PySide6.QtCore")
Qt = QtCore.Qt


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record(url: str, result, file: Path) -> int:
    """Store ``result`` as the audit of ``file`` (as the scan would: keyed by the file's
    content)."""
    sha = _sha(file)
    st = file.stat()
    result = replace(result, file=str(file), sha256=result.sha256 or sha)
    with Store(url) as store:
        run_id, _ = store.record_run(
            result,
            key=run_key(sha, "p", result.models, {"t": 31}),
            sha256=sha,
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            profile_digest="p",
            started_at="2026-12-05T08:00:00+00:00",
        )
    return run_id


def _load(qtbot, win, run_id: int) -> None:
    """Open a run and wait until its file has been checked (found the audited one, or not)."""
    review = win.review
    with qtbot.waitSignal(review.loaded, timeout=20_000):
        win.open_run(run_id)
    qtbot.waitUntil(lambda: review.hasher.idle(), timeout=20_000)


@pytest.fixture(scope="module")
def truncated(tmp_path_factory, pipeline):
    """clean.mp4 cut to its first 300 kB (a copy interrupted), and its real audit."""
    path = tmp_path_factory.mktemp("trunc") / "中断拷贝.mp4"
    path.write_bytes((SAMPLES / "clean.mp4").read_bytes()[:300_000])
    return path, pipeline.apply(path, profile="fund_sale")


@pytest.fixture(scope="module")
def by_ear(isolated_models_env):
    """clean.mp4 audited on a PC without a speech model: the script is checked by ear."""
    from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline

    options = AuditOptions(script_model="none", asr_model="none")
    return AuditPipeline(options).apply(SAMPLES / "clean.mp4", profile="fund_sale")


# -- 1. a recording the tool could not audit ------------------------------------------------


def test_a_recording_that_could_not_be_audited_is_never_approved(qtbot, db, truncated, zh):
    url, _ = db
    path, result = truncated
    assert unaudited(result) and result.error is not None and result.error.code == "truncated"
    run_id = _record(url, result, path)
    for who in ("王审核", "李主管"):  # not even a senior
        with pytest.raises(WorkflowError) as e:
            check_decision(Request(_account(url, who), "approve"), state_of([]), result)
        assert e.value.code == "unaudited"
    win = _window(qtbot, url, size=(1366, 768))
    _load(qtbot, win, run_id)
    review = win.review
    # The cause, in Chinese, at the top of the view; approving is not offered.
    assert review.audit_banner.isVisible()
    banner = review.audit_banner.text()
    assert "未能审核" in banner and "录像文件不完整" in banner
    assert "重录" in review.audit_banner.text()
    assert not review.approve_btn.isEnabled()
    qtbot.keyClick(review, Qt.Key.Key_A)
    assert review.pending is None
    with Store(url) as store:
        rec = store.run(run_id).recording_id
        assert store.decisions(rec) == []
    # Re-record with a reason is the way out (or escalate).
    review.reason_code.setCurrentIndex(review.reason_code.findData("other"))
    review.reason_text.setText("文件拷贝中断，请重新拷贝或重录")
    qtbot.waitUntil(review.reject_btn.isEnabled, timeout=10_000)
    with qtbot.waitSignal(review.decision_saved, timeout=10_000):
        qtbot.keyClick(review, Qt.Key.Key_R)
    with Store(url) as store:
        [d] = store.decisions(rec)
        assert d.verdict == "rerecord" and store.verify().ok
    # The status bar repeats the saved line as text, not as HTML.
    assert "<" not in win.statusBar().currentMessage()
    # In the queue, the 无法审核 row's tooltip gives the cause in Chinese.
    model = win.queue.model
    qtbot.waitUntil(lambda: any(i.run_id == run_id for i in model.items), timeout=10_000)
    row = next(k for k, i in enumerate(model.items) if i.run_id == run_id)
    tip = model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
    assert "录像文件不完整" in tip and "truncated" not in tip


# -- 2. a script to be checked by ear -------------------------------------------------------


def test_a_script_checked_by_ear_needs_the_speech_played_through(qtbot, db, by_ear, zh):
    url, _ = db
    assert needs_listening(by_ear)
    spans = speech_spans(by_ear)
    assert spans and sum(e - s for s, e in spans) > 5  # the sample's speech, not the whole file
    run_id = _record(url, by_ear, SAMPLES / "clean.mp4")
    win = _window(qtbot, url)
    _open(qtbot, win, run_id)
    review = win.review
    assert review.ear_banner.isVisible()
    assert "收听讲话" in review.watch_label.text() and "0%" in review.watch_label.text()
    # Approving at once: the listen-through question, not a decision.
    qtbot.keyClick(review, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: review.pending is not None, timeout=5_000)
    assert "人工收听" in review.pending.question.text() or "收听" in review.pending.windowTitle()
    # "." is no reason.
    review.pending.reason.setPlainText(" 。. ")
    assert not review.pending.ok.isEnabled()
    review.pending.reject()
    # Play the recording through at 2x, then approve: saved with the share listened to.
    player = review.player
    review.speed.setCurrentIndex(review.speed.findData(2.0))
    player.seek(0)
    player.media.play()
    end = player.duration() - 150
    qtbot.waitUntil(lambda: player.position() >= end, timeout=40_000)
    player.pause()
    assert review.listened() is not None and review.listened() >= 0.9
    with qtbot.waitSignal(review.decision_saved, timeout=10_000):
        qtbot.mouseClick(review.approve_btn, Qt.MouseButton.LeftButton)
    with Store(url) as store:
        d = store.decisions()[-1]
        assert d.verdict == "approve" and d.unwatched_reason is None
        assert d.listened is not None and d.listened >= 0.9
        assert store.verify().ok


def test_approving_by_ear_without_listening_is_the_logged_path(db, by_ear):
    """The store applies the same rule: not enough played, no reason, no approval."""
    url, _ = db
    run_id = _record(url, by_ear, SAMPLES / "clean.mp4")
    spans = speech_spans(by_ear)
    half = [(s, s + (e - s) / 2) for s, e in spans]
    share = listened_share(spans, half)
    assert 0.4 < share < 0.6
    with Store(url) as store:
        me = next(a for a in store.accounts() if a.username == "王审核")
        with pytest.raises(WorkflowError) as e:
            store.decide(run_id, Request(me, "approve", listened=share), check_claim=False)
        assert e.value.code == "unlistened" and "50%" in e.value.text.zh
        d = store.decide(
            run_id,
            Request(me, "approve", listened=share, unwatched_reason="已电话回访客户确认话术"),
            check_claim=False,
        )
        assert d.unwatched_reason == "已电话回访客户确认话术" and d.listened == round(share, 3)
        assert store.verify().ok


def test_listen_share_is_a_profile_value_outside_its_digest(by_ear, tmp_path, monkeypatch):
    """``[review] listen_share`` is read from the business profile; it is not part of what
    the audit depends on, so the profile's digest (the runs' key) does not change."""
    from dualrec_audit.rules.profiles import parse_profile
    from dualrec_audit.store.keys import digest
    from dualrec_audit.workflow import evidence

    from .conftest import ROOT

    text = (ROOT / "dualrec_audit/profiles/fund_sale.toml").read_text(encoding="utf-8")
    text = text.replace('id = "fund_sale"', 'id = "fund_sale_ear"', 1)
    (tmp_path / "ear.toml").write_text(text + "\n[review]\nlisten_share = 0.5\n", "utf-8")
    plain, strict = (
        parse_profile(text, "plain"),
        parse_profile(text + "\n[review]\nlisten_share = 0.5\n", "strict"),
    )
    assert plain.review.listen_share == 0.9 and strict.review.listen_share == 0.5
    assert digest(plain.model_dump(mode="json")) == digest(strict.model_dump(mode="json"))
    monkeypatch.setenv("DUALREC_AUDIT_PROFILES", str(tmp_path))
    evidence._listen_share.cache_clear()
    try:
        result = replace(by_ear, profile={**(by_ear.profile or {}), "id": "fund_sale_ear"})
        assert evidence.listen_share_for(result) == 0.5
        me = Request(_account_obj(), "approve", listened=0.6)
        check_decision(me, state_of([]), result)  # 60 % is enough under this profile
        with pytest.raises(WorkflowError, match="listen"):
            check_decision(me, state_of([]), by_ear)  # not under fund_sale (90 %)
    finally:
        evidence._listen_share.cache_clear()


def _account_obj():
    from dualrec_audit.workflow.policy import Account

    return Account(1, "wang", "王审核", "reviewer")


# -- 3. a file replaced after its audit -----------------------------------------------------


def test_a_file_replaced_after_its_audit_is_refused_and_marked(
    qtbot, db, sample_results, tmp_path, zh
):
    url, _ = db
    src = SAMPLES / "customer_chin_cut.mp4"
    copy = tmp_path / "录像.mp4"
    shutil.copy(src, copy)
    run_id = _record(url, sample_results["customer_chin_cut.mp4"], copy)
    # Same size, other bytes (as if another recording with the same length were copied over).
    data = bytearray(copy.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 4096] = bytes(4096)
    copy.write_bytes(bytes(data))
    win = _window(qtbot, url)
    _load(qtbot, win, run_id)
    review = win.review
    assert review.file_replaced and review.file_banner.isVisible()
    assert "已被更换" in review.file_banner.text() and "SHA-256" in review.file_banner.text()
    assert not review.player.is_ready()  # never played
    assert not any(b.isEnabled() for b in (review.approve_btn, review.reject_btn))
    with Store(url) as store:
        rec = store.run(run_id).recording_id
        qtbot.waitUntil(lambda: rec in Store(url).changed_files(), timeout=10_000)
        noted = store.changed_files()[rec]
        assert noted["sha256"] == _sha(copy) and noted["audited_sha256"] != noted["sha256"]
        assert store.decisions(rec) == []
        assert store.verify().ok
    # The queue shows it marked for a new audit, and "next recording" never lands on it.
    win.queue.refresh()
    qtbot.waitUntil(
        lambda: any(i.replaced for i in win.queue.model.items if i.recording_id == rec),
        timeout=10_000,
    )
    [item] = [i for i in win.queue.model.items if i.recording_id == rec]
    assert win.queue.model.cell_text(item, "status") == "文件已更换，待重新审核"
    assert win.queue.next_after(None) != item.run_id


def test_a_file_replaced_while_open_is_caught_before_the_decision(
    qtbot, db, sample_results, tmp_path, zh
):
    url, _ = db
    copy = tmp_path / "录像.mp4"
    shutil.copy(SAMPLES / "dark_segment.mp4", copy)
    run_id = _record(url, sample_results["dark_segment.mp4"], copy)
    win = _window(qtbot, url)
    _open(qtbot, win, run_id)
    review = win.review
    assert review.identity is not None and not review.file_replaced
    # Overwritten while the reviewer works (a shorter file now).
    copy.write_bytes(copy.read_bytes()[:-1000])
    review.reason_code.setCurrentIndex(review.reason_code.findData("video_quality"))
    review.reason_text.setText("画面过暗五秒")
    qtbot.keyClick(review, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: review.file_replaced, timeout=20_000)
    assert "字节" in review.file_banner.text()
    with Store(url) as store:
        assert store.decisions(store.run(run_id).recording_id) == []


# -- 4. drafts and reasons ------------------------------------------------------------------


def test_a_draft_belongs_to_its_account_and_a_reason_needs_substance(qtbot, db, zh):
    url, runs = db
    run_id = runs["dark_segment.mp4"]
    win = _window(qtbot, url, "王审核")
    _open(qtbot, win, run_id)
    review = win.review
    review.reason_code.setCurrentIndex(review.reason_code.findData("video_quality"))
    review.reason_text.setText("王的半句话")
    win.close()
    win = _window(qtbot, url, "李主管")
    _open(qtbot, win, run_id)
    review = win.review
    assert review.reason_text.text() == "" and review.reason_code.currentIndex() == 0
    # "." is no reason: refused next to the buttons, nothing stored.
    review.reason_code.setCurrentIndex(review.reason_code.findData("video_quality"))
    review.reason_text.setText(".")
    qtbot.keyClick(review, Qt.Key.Key_R)
    assert "理由太短" in review.decision_status.text()
    with Store(url) as store:
        assert store.decisions() == []
    win.close()
    win = _window(qtbot, url, "王审核")
    _open(qtbot, win, run_id)
    assert win.review.reason_text.text() == "王的半句话"


def test_reason_substance():
    for bad in ("", ".", "。。。", "ok", "a.", "!!!!", "啊啊啊啊", "---", "1"):
        assert not substantive(bad), bad
    for good in ("画面过暗", "维持", "看错了", "blur", "客户已面签", "face 8s"):
        assert substantive(good), good
    assert reason_weight("维持") == 4 and reason_weight("ab.") == 2


# -- 5. the pre-check judges under the recording's business ---------------------------------


def test_the_precheck_judges_under_the_business_the_queue_uses(qtbot, sample_results, tmp_path, zh):
    """Started as a teller starts it (no --profile): the sample's sidecar names its business,
    as it did for the scan that filled the queue; a file without one is judged under the
    business chosen in the window, which is remembered."""
    from ui.precheck_view import PrecheckView
    from ui.settings import open_settings

    queued = sample_results["clean.mp4"]  # audited as the scan does (its sidecar's profile)
    assert queued.profile is not None and queued.profile["id"] != "fund_sale"
    view = PrecheckView(open_settings(), "zh")
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.finished, timeout=300_000):
        view.check_file(str(SAMPLES / "clean.mp4"))
    assert view.run.result.profile["id"] == queued.profile["id"]
    assert view.run.result.decision == queued.decision
    assert [f.rule for f in view.run.result.findings] == [f.rule for f in queued.findings]
    assert queued.profile["name"]["zh"] in view.judged_by.text()
    assert "随附" in view.judged_by.text()
    # Without a sidecar: the window's choice, remembered for the next start.
    copy = tmp_path / "无随附信息.mp4"
    shutil.copy(SAMPLES / "clean.mp4", copy)
    view.business.setCurrentIndex(view.business.findData("bank_wealth"))
    with qtbot.waitSignal(view.finished, timeout=300_000):
        view.check_file(str(copy))
    assert view.run.result.profile["id"] == "bank_wealth"
    assert "本窗口" in view.judged_by.text()
    again = PrecheckView(open_settings(), "zh")
    qtbot.addWidget(again)
    assert again.business.currentData() == "bank_wealth"


# -- 6. accounts a bank can administer --------------------------------------------------------


def _reason(qtbot, dialog, reason: str, extra: str | None = None) -> None:
    qtbot.waitUntil(lambda: dialog.pending is not None, timeout=5_000)
    pending = dialog.pending
    if extra is not None:
        pending.extra.setText(extra)
    pending.reason.setPlainText(reason)
    assert pending.ok.isEnabled()
    qtbot.mouseClick(pending.ok, Qt.MouseButton.LeftButton)


def _sign_in(qtbot, url: str, user: str, password: str):
    from ui.login import LoginDialog
    from ui.workers import Database

    login = LoginDialog(Database(url), "zh")
    qtbot.addWidget(login)
    qtbot.waitUntil(login.ok.isEnabled, timeout=10_000)
    login.username.setText(user)
    login.password.setText(password)
    qtbot.mouseClick(login.ok, Qt.MouseButton.LeftButton)
    return login


def test_accounts_administered_in_the_window(qtbot, db, monkeypatch, zh):
    url, runs = db
    monkeypatch.setenv("DUALREC_AUDIT_LOCKOUT", "3,15")
    win = _window(qtbot, url, "管理员", size=(1366, 768))
    # The administrator only views decisions: no appeal either.
    _load(qtbot, win, runs["party_absent.mp4"])  # the machine says re-record
    assert not win.review.appeal_btn.isEnabled() and win.review.ask_appeal() is None
    dialog = win.show_accounts()
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 5, timeout=10_000)
    # Role change, with its reason.
    dialog.select("钱审核")
    dialog.change_role.setCurrentIndex(dialog.change_role.findData("senior"))
    dialog.ask_role()
    _reason(qtbot, dialog, "通过高级复核员考核")
    qtbot.waitUntil(lambda: "角色已更改" in dialog.message.text(), timeout=10_000)
    # Disable one, reset another's password.
    dialog.select("王审核")
    dialog.ask_toggle()
    _reason(qtbot, dialog, "调离复核岗位")
    qtbot.waitUntil(lambda: "已完成" in dialog.message.text(), timeout=10_000)
    dialog.select("李主管")
    dialog.ask_reset()
    _reason(qtbot, dialog, "本人忘记密码，电话核实身份", extra="temporary-pw1")
    qtbot.waitUntil(lambda: "临时密码" in dialog.message.text(), timeout=10_000)

    def state_text(user: str) -> str:
        items = [dialog.list.topLevelItem(i) for i in range(dialog.list.topLevelItemCount())]
        return next(i.text(3) for i in items if i.text(0) == user)

    qtbot.waitUntil(lambda: "须修改密码" in state_text("李主管"), timeout=10_000)
    assert "已停用" in state_text("王审核")
    with Store(url) as store:
        roles = {a.username: a for a in store.accounts()}
        assert roles["钱审核"].role == "senior" and not roles["王审核"].active
        assert roles["李主管"].must_change_password
    win.close()
    # The reset password signs in once, to choose a new one.
    login = _sign_in(qtbot, url, "李主管", "temporary-pw1")
    qtbot.waitUntil(lambda: login.pending is not None, timeout=10_000)
    change = login.pending
    change.new.setText("li-new-password")
    change.repeat.setText("li-new-password")
    with qtbot.waitSignal(login.signed_in, timeout=10_000):
        qtbot.mouseClick(change.ok, Qt.MouseButton.LeftButton)
    assert login.account is not None and not login.account.must_change_password
    # Three wrong passwords lock 赵主管 out, with the time in Chinese.
    for i in range(3):
        login = _sign_in(qtbot, url, "赵主管", f"wrong-{i}")
        qtbot.waitUntil(
            lambda lg=login: lg.ok.isEnabled() and bool(lg.message.text()), timeout=10_000
        )
    assert "锁定" in login.message.text()
    login = _sign_in(qtbot, url, "赵主管", "senior-password")
    qtbot.waitUntil(lambda: "锁定" in login.message.text(), timeout=10_000)
    # Idle lock after the set time, then sign out.
    from ui.settings import open_settings

    open_settings().setValue("idle_minutes", 0.02)
    win = _window(qtbot, url, "钱审核")
    qtbot.waitUntil(lambda: win.lock is not None, timeout=10_000)
    assert not win.tabs.isEnabled()
    win.lock.password.setText("wrong-password")
    qtbot.mouseClick(win.lock.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(win.lock.message.text()), timeout=10_000)
    win.lock.password.setText("reviewer-password")
    qtbot.mouseClick(win.lock.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.lock is None and win.tabs.isEnabled(), timeout=10_000)
    win.idle.stop()
    win.sign_out()
    assert win.signed_out
    qtbot.waitUntil(lambda: win.db.closed, timeout=10_000)
    with Store(url) as store:
        report = store.verify()
        assert report.ok, report.problems
    from sqlalchemy import create_engine, text

    with create_engine(url).connect() as c:
        actions = [r[0] for r in c.execute(text("SELECT action FROM event_log ORDER BY seq"))]
    for action in (
        "account.role_changed",
        "account.disabled",
        "account.password_reset",
        "account.password_changed",
        "account.locked_out",
        "account.sign_in_refused",
        "account.idle_locked",
        "account.signed_out",
    ):
        assert action in actions, action


def test_queue_columns_fit_at_1366x768(qtbot, db, zh):
    url, _ = db
    win = _window(qtbot, url, size=(1366, 768))
    table = win.queue.table
    header = table.horizontalHeader()
    qtbot.waitUntil(lambda: win.queue.paged.rowCount() > 0, timeout=10_000)
    total = sum(header.sectionSize(c) for c in range(header.count()))
    assert total <= table.viewport().width() + 2, (total, table.viewport().width())
    for c in range(header.count()):
        if c != 1:  # every header is readable whole (the file name column stretches)
            assert header.sectionSize(c) >= header.sectionSizeFromContents(c).width() - 2, c


def test_next_recording_skips_unplayable_and_replaced_files():
    from dualrec_audit.review.queue import QueueItem, next_in_queue

    def item(run: int, **kw) -> QueueItem:
        return QueueItem(run, run, f"{run}.mp4", "", "review", "review", 50, 20, "", **kw)

    items = [item(1), item(2, replaced=True), item(3), item(4)]
    assert next_in_queue(items, None, "wang", False) == items[0]
    assert next_in_queue(items, 1, "wang", False) == items[2]  # 2 is to be audited anew
    assert next_in_queue(items, 1, "wang", False, skip={3}) == items[3]
    assert next_in_queue(items, 4, "wang", False, skip={1, 3}) is None


def test_a_slow_database_is_said_in_the_status_bar(qtbot):
    import time

    from ui.workers import Worker

    worker = Worker("db-test")
    worker.slow.setInterval(200)
    with qtbot.waitSignal(worker.waiting, timeout=5_000) as waited:
        worker.submit(lambda: time.sleep(1.0))
    assert waited.args == [True]
    with qtbot.waitSignal(worker.waiting, timeout=5_000) as done:
        pass
    assert done.args == [False]
