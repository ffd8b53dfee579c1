"""Entry points of the Qt application, called by ``dualrec-audit review`` and ``precheck``.

The CLI parses and validates the arguments (without Qt) and loads this module by name; here
the QApplication is made, the language chosen and the window shown — or, with
``--screenshot``, the window is rendered offscreen at the requested place and saved as a PNG.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QEventLoop, QSettings, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from dualrec_audit.audit.pipeline import AuditOptions
from dualrec_audit.core.errors import ConfigError, DualrecError
from dualrec_audit.review.player import covers_recording, to_position
from dualrec_audit.store.base import resolve_url
from dualrec_audit.workflow.policy import Account

from .dialogs import show_error
from .lang import install_translators, resolve_language
from .login import LoginDialog
from .main_window import MainWindow, PrecheckWindow
from .precheck_view import PrecheckView
from .settings import open_settings, text_value
from .workers import Database

log = logging.getLogger("dualrec_audit.ui")

DEFAULT_SIZE = (1600, 1000)


def _application(screenshot: bool) -> QApplication:
    """The QApplication (offscreen for a screenshot)."""
    if screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    headless = not any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
    if headless and sys.platform.startswith("linux"):
        raise ConfigError(
            "no display to open the window on (DISPLAY is not set); run it on a desktop, "
            "or render it to a file with --screenshot PNG"
        )
    qInstallMessageHandler(_qt_message)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("dualrec-audit")
    app.setOrganizationName("dualrec-audit")
    return app


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.DEBUG,
    QtMsgType.QtWarningMsg: logging.DEBUG,  # a missing sound server, an offscreen platform
    QtMsgType.QtCriticalMsg: logging.WARNING,
    QtMsgType.QtFatalMsg: logging.ERROR,
}


def _qt_message(kind: QtMsgType, context: object, message: str) -> None:
    """Qt's own messages go to the log (``-v`` shows them), not before the command's output."""
    log.log(_QT_LEVELS.get(kind, logging.DEBUG), "Qt: %s", message)


def _size(text: str | None) -> tuple[int, int]:
    if not text:
        return DEFAULT_SIZE
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size must look like 1600x1000, not '{text}'") from None
    if not (320 <= w <= 8000 and 240 <= h <= 8000):
        raise ConfigError("--size must be between 320x240 and 8000x8000")
    return w, h


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Run the event loop until ``condition()`` holds; ConfigError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(20)

    def check() -> None:
        if condition() or time.monotonic() > deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    if not condition():
        loop.exec()
    timer.stop()
    if not condition():
        raise ConfigError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def _install_excepthook() -> None:
    """An unexpected error in the window becomes a dialog, not a silent log line."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error", exc_info=(kind, exc, tb))
        show_error(QApplication.activeWindow(), "dualrec-audit", exc)

    sys.excepthook = hook


def _setup(args: argparse.Namespace) -> tuple[QApplication, QSettings, str]:
    app = _application(bool(args.screenshot))
    settings = open_settings()
    lang = resolve_language(args.lang, settings)
    install_translators(app, lang)
    return app, settings, lang


def review_main(args: argparse.Namespace, options: AuditOptions) -> int:
    """``dualrec-audit review``: sign in (the first run creates the administrator), then the
    reviewer's window (or a screenshot of it)."""
    size = _size(args.size) if args.size else None
    if args.view == "precheck" and not args.file:
        raise ConfigError("--view precheck needs --file RECORDING")
    app, settings, lang = _setup(args)
    db = Database(resolve_url(args.db), actor="(signing in)")
    models = str(args.models) if args.models else None
    if args.screenshot:
        return _screenshot_main(db, settings, lang, args, options, models, size)
    _install_excepthook()
    code = 0
    while True:  # "sign out" closes the window and brings the sign-in dialog back
        login = LoginDialog(db, lang)
        login.username.setText(args.reviewer or text_value(settings, "reviewer"))
        if login.exec() != QDialog.DialogCode.Accepted or login.account is None:
            db.close()
            return code
        settings.setValue("reviewer", login.account.username)
        win = MainWindow(db, settings, lang, login.account, options, models)
        if size is not None:
            win.resize(*size)
        win.show()
        if args.recording is not None:
            db.call(lambda store: store.latest_run(args.recording), win.open_run)
        code = int(app.exec())
        if not win.signed_out:
            return code
        db = Database(resolve_url(args.db), actor="(signing in)")  # the old one is closed


def _screenshot_account(db: Database, username: str | None) -> Account:
    """Whom a screenshot shows signed in: that account (read from the database, no password:
    a screenshot only renders and never writes), else a reviewer of that name."""
    name = username or "reviewer"
    got: list[object] = []
    db.call(lambda store: store.accounts(), got.append, got.append)
    wait_until(lambda: bool(got), 60, "the accounts")
    accounts = got[0]
    if not isinstance(accounts, list):
        raise _as_error(accounts)
    found = next((a for a in accounts if a.username == name), None)
    return found or Account(0, name, name, "reviewer")


def _screenshot_main(
    db: Database,
    settings: QSettings,
    lang: str,
    args: argparse.Namespace,
    options: AuditOptions,
    models: str | None,
    size: tuple[int, int] | None,
) -> int:
    if args.view == "login":
        login = LoginDialog(db, lang)
        login.username.setText(args.reviewer or "")
        login.resize(*(size or (480, 300)))
        login.show()
        wait_until(lambda: login.ok.isEnabled(), 60, "the database")
        _save(login, args.screenshot)
        login.close()
        db.close()
        return 0
    db.actor = args.reviewer or "reviewer"
    win = MainWindow(db, settings, lang, _screenshot_account(db, args.reviewer), options, models)
    win.resize(*(size or DEFAULT_SIZE))
    try:
        _review_screenshot(win, args)
    finally:
        win.close()
    return 0


def precheck_main(args: argparse.Namespace, options: AuditOptions) -> int:
    """``dualrec-audit precheck [FILE]``: the teller's window (or a screenshot of it)."""
    size = _size(args.size) if args.size else None
    if args.screenshot and not args.file:
        raise ConfigError("--screenshot needs the recording to check: precheck FILE --screenshot")
    app, settings, lang = _setup(args)
    models = str(args.models) if args.models else None
    from dualrec_audit.rules.assign import ProfileMap

    mapping = getattr(args, "profile_map", None)
    win = PrecheckWindow(
        settings,
        lang,
        options,
        models,
        explicit_profile=getattr(args, "profile", None),
        profile_map=ProfileMap.load(mapping) if mapping else None,
    )
    if size is not None:
        win.resize(*size)
    if args.screenshot:
        try:
            if size is None:
                win.resize(*DEFAULT_SIZE)
            win.show()
            _run_precheck(win.precheck, str(args.file))
            _save(win, args.screenshot)
        finally:
            win.close()
        return 0
    _install_excepthook()
    win.show()
    if args.file:
        win.precheck.check_file(str(args.file))
    return int(app.exec())


# -- screenshots ----------------------------------------------------------------------------------


def _save(widget: QWidget, path: str | Path) -> None:
    pixmap = widget.grab()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(path), "PNG"):
        raise DualrecError(f"cannot write the screenshot {path}")
    log.info("screenshot: %s (%dx%d)", path, pixmap.width(), pixmap.height())


def _review_screenshot(win: MainWindow, args: argparse.Namespace) -> None:
    failures: list[object] = []
    win.db.on_error = failures.append
    win.show()
    wait_until(lambda: not win.queue.loading or bool(failures), 60, "the queue")
    if failures:
        raise _as_error(failures[0])
    if args.view == "queue":
        if args.recording is not None:
            _run_of(win, args.recording, failures, lambda run: win.queue.select_run(run))
        _save(win, args.screenshot)
        return
    if args.view == "accounts":
        dialog = win.show_accounts()
        wait_until(lambda: dialog.list.topLevelItemCount() > 0, 30, "the accounts")
        _save_over(win, dialog, args.screenshot)
        return
    if args.view == "precheck":
        win.tabs.setCurrentWidget(win.precheck)
        _run_precheck(win.precheck, str(args.file))
        _save(win, args.screenshot)
        return
    # The review view, at a finding.
    runs = win.queue.visible_runs()
    if args.recording is not None:
        run_id: int | None = None

        def found(run: int) -> None:
            nonlocal run_id
            run_id = run

        _run_of(win, args.recording, failures, found)
    elif runs:
        run_id = runs[0]
    else:
        raise ConfigError("the database holds no audited recording")
    assert run_id is not None
    review = win.review
    loaded: list[int] = []
    review.loaded.connect(loaded.append)
    win.open_run(run_id, claim=False)  # a screenshot never takes a reviewer's place
    wait_until(lambda: bool(loaded) or bool(failures), 60, "the recording")
    if failures:
        raise _as_error(failures[0])
    data = review.data
    assert data is not None
    player = review.player
    if data.video is not None:  # ready, or refused (a replaced file) or broken (a cut copy)
        wait_until(
            lambda: player.is_ready() or player.broken or review.file_replaced,
            30,
            "the video to load",
        )
    target = 0
    if args.finding:
        n = args.finding
        if not 1 <= n <= len(data.findings):
            raise ConfigError(
                f"--finding {n}: recording {data.summary.recording_id} has "
                f"{len(data.findings)} findings (numbered from 1 as in the list)"
            )
        f = review.finding_at(n - 1)
        review.select_finding(f.id, seek=False)
        whole = covers_recording(f.event.start, f.event.end, data.result.duration_s)
        # A still shows the problem itself, just after it starts (clicking a finding in the
        # window starts 2 s before it instead).
        inside = f.event.start + min(0.5, (f.event.end - f.event.start) / 2)
        target = 0 if whole else to_position(inside)
    if player.is_ready():
        player.seek(target)
        frame = 1000 / max(1.0, player.fps)
        wait_until(lambda: abs(player.frame_ms - target) <= frame + 1, 30, "the video frame")
    if args.view == "history":
        review.side_tabs.setCurrentWidget(review.history)
    if args.view == "characters":  # the character transcript, computed or from the cache
        review.side_tabs.setCurrentWidget(review.hanzi.parentWidget())
        wait_until(review.hanzi_worker.idle, 600, "the character transcript")
    if args.view == "keys":
        review.overlay_help.toggle()
    if args.view == "approve":
        _approve_screenshot(win, args.screenshot)
        return
    _save(win, args.screenshot)


def _approve_screenshot(win: MainWindow, path: str | Path) -> None:
    """The window with the question Approve asks (a dialog drawn over its centre)."""
    review = win.review
    review.read_only = False  # a screenshot asks, and never saves (the dialog is not answered)
    review.decide("approve")
    dialog = review.pending
    if dialog is None:
        raise ConfigError(
            "approving this recording asks nothing: " + (review.decision_status.text() or "ok")
        )
    wait_until(dialog.isVisible, 10, "the question")
    _save_over(win, dialog, path)
    dialog.reject()


def _save_over(win: QWidget, dialog: QWidget, path: str | Path) -> None:
    """The window with a dialog drawn over its centre, as the screen shows them."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPainter

    shot = win.grab()
    over = dialog.grab()
    painter = QPainter(shot)
    painter.drawPixmap(
        QPoint((shot.width() - over.width()) // 2, (shot.height() - over.height()) // 2), over
    )
    painter.end()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if not shot.save(str(path), "PNG"):
        raise DualrecError(f"cannot write the screenshot {path}")


def _run_of(
    win: MainWindow, recording: int, failures: list[object], then: Callable[[int], None]
) -> None:
    got: list[int] = []
    win.db.call(lambda store: store.latest_run(recording), got.append, failures.append)
    wait_until(lambda: bool(got) or bool(failures), 30, "the recording")
    if failures:
        raise _as_error(failures[0])
    then(got[0])


def _run_precheck(view: PrecheckView, path: str) -> None:
    done: list[object] = []
    thumbs: list[bool] = []
    failures: list[object] = []
    view.finished.connect(done.append)
    view.failed.connect(failures.append)
    view.thumbnails_done.connect(lambda: thumbs.append(True))
    view.check_file(path)
    wait_until(lambda: bool(done) or bool(failures), 300, "the pre-check")
    if failures:
        raise _as_error(failures[0])
    wait_until(lambda: bool(thumbs), 60, "the thumbnails")
    run = view.run
    if run is not None and run.result.error is None:
        wait_until(view.player.is_ready, 30, "the video to load")
        items = [i for i in run.verdict.items if i.start is not None]
        target = to_position(items[0].thumbnail_at or 0.0) if items else 0
        view.player.seek(target)
        frame = 1000 / max(1.0, view.player.fps)
        wait_until(lambda: abs(view.player.frame_ms - target) <= frame + 1, 30, "the video frame")


def _as_error(exc: object) -> DualrecError:
    if isinstance(exc, DualrecError):
        return exc
    return DualrecError(f"{type(exc).__name__}: {exc}")
