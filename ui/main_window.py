"""The reviewer's window (queue, review, pre-check tabs) and the teller's pre-check window.

Both open sized to the screen they are on (never larger than its free area), so at
1366x768 every button and the timeline are on screen."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from dualrec_audit.audit.pipeline import AuditOptions
from dualrec_audit.workflow.policy import Account

from .accounts import AccountsDialog, IdleWatch, LockDialog, PasswordDialog
from .dialogs import show_error
from .precheck_view import PrecheckView
from .queue_view import QueueView
from .review.view import ReviewView
from .workers import Database

log = logging.getLogger("dualrec_audit.ui")

WANTED = QSize(1600, 1000)


def fit_to_screen(win: QWidget, wanted: QSize = WANTED) -> QSize:
    """Resize ``win`` to ``wanted``, or to the free area of its screen when that is smaller
    (a 1366x768 laptop with a task bar); returns the size given."""
    screen = win.screen() or QGuiApplication.primaryScreen()
    size = QSize(wanted)
    if screen is not None:
        free = screen.availableGeometry().size()
        size = size.boundedTo(QSize(free.width(), free.height() - 30))  # the title bar
    win.resize(size)
    return size


class MainWindow(QMainWindow):
    def __init__(
        self,
        db: Database,
        settings: QSettings,
        lang: str,
        account: Account,
        options: AuditOptions | None = None,
        models_dir: str | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("Dual-recording review"))
        self.db = db
        self.settings = settings
        self.lang = lang
        self.account = account
        self.auto_next = True  # open the next recording after a decision
        self.signed_out = False  # closed by "sign out": the sign-in dialog comes back
        self.lock: LockDialog | None = None
        db.setParent(self)
        db.on_error = lambda exc: show_error(self, self.tr("Database error"), exc, lang)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.queue = QueueView(db, lang, account)
        self.review = ReviewView(db, settings, lang, account)
        self.precheck = PrecheckView(settings, lang, options, models_dir)
        self.tabs.addTab(self.queue, self.tr("Queue"))
        self.tabs.addTab(self.review, self.tr("Review"))
        self.tabs.addTab(self.precheck, self.tr("Pre-check"))
        self.setCentralWidget(self.tabs)
        self.db_label = QLabel(self.tr("Database: {url}").format(url=db.url or ""))
        self.account_label = QLabel(self.tr("Signed in: {who}").format(who=account.label(lang)))
        self.account_label.setObjectName("accountLabel")
        self.statusBar().addWidget(self.db_label, 1)
        self.statusBar().addPermanentWidget(self.account_label)
        self._menus()
        fit_to_screen(self)
        db.waiting.connect(self._waiting)
        self.idle = IdleWatch(idle_minutes(settings), self)
        self.idle.idle.connect(self.lock_now)

        self.queue.open_requested.connect(self.open_run)
        self.review.decision_saved.connect(self._decided)
        self.review.claim_changed.connect(self.queue.refresh)
        self.review.next_requested.connect(self.open_next)
        self.queue.refresh()

    def _menus(self) -> None:
        menu = self.menuBar().addMenu(self.tr("Settings"))
        lang_menu = menu.addMenu(self.tr("Language"))
        group = QActionGroup(self)
        for code, name in (("zh", "简体中文"), ("en", "English")):
            act = QAction(name, self, checkable=True)
            act.setChecked(code == self.lang)
            act.triggered.connect(lambda _on, c=code: self._set_language(c))
            group.addAction(act)
            lang_menu.addAction(act)
        auto = QAction(self.tr("Open the next recording after a decision"), self, checkable=True)
        auto.setChecked(True)
        auto.toggled.connect(lambda on: setattr(self, "auto_next", on))
        menu.addAction(auto)
        if self.account.role == "admin":
            accounts = QAction(self.tr("Accounts…"), self)
            accounts.setObjectName("accountsAction")
            accounts.triggered.connect(self.show_accounts)
            menu.addAction(accounts)
            self.accounts_action = accounts
        account_menu = self.menuBar().addMenu(self.tr("Account"))
        password = QAction(self.tr("Change my password…"), self)
        password.setObjectName("changePasswordAction")
        password.triggered.connect(self.change_password)
        account_menu.addAction(password)
        lock = QAction(self.tr("Lock the window"), self)
        lock.triggered.connect(self.lock_now)
        account_menu.addAction(lock)
        out = QAction(self.tr("Sign out"), self)
        out.setObjectName("signOutAction")
        out.triggered.connect(self.sign_out)
        account_menu.addAction(out)
        help_menu = self.menuBar().addMenu(self.tr("Help"))
        keys = QAction(self.tr("Keyboard shortcuts (?)"), self)
        keys.triggered.connect(self._show_keys)
        help_menu.addAction(keys)

    def show_accounts(self) -> AccountsDialog:
        dialog = AccountsDialog(self.db, self.account, self.lang, self)
        dialog.open()
        return dialog

    def _waiting(self, on: bool) -> None:
        """Say so while the database keeps the window waiting (another program holds it)."""
        text = self.tr("Waiting for the database (another program may be writing to it)…")
        if on:
            self.statusBar().showMessage(text)
        elif self.statusBar().currentMessage() == text:
            self.statusBar().clearMessage()

    def change_password(self) -> PasswordDialog:
        dialog = PasswordDialog(self.db, self.account.username, self.lang, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def sign_out(self) -> None:
        """Log the sign-out, give the claim back and close; the sign-in dialog comes back."""
        who = self.account
        self.review.close_run()
        self.db.call(lambda store: store.sign_out(who))
        self.signed_out = True
        self.close()

    def lock_now(self) -> LockDialog | None:
        """Lock the window (after the idle time, or asked): logged; the password opens it."""
        if self.lock is not None:
            return self.lock
        who = self.account
        self.review.player.pause()
        self.db.call(lambda store: store.sign_out(who, idle=True))
        self.lock = LockDialog(self.db, who, self.lang, self)
        self.lock.unlocked.connect(self._unlocked)
        self.lock.sign_out.connect(self.sign_out)
        self.tabs.setEnabled(False)
        self.lock.open()
        return self.lock

    def _unlocked(self, _account: Account) -> None:
        self.lock = None
        self.tabs.setEnabled(True)
        self.idle.resume()

    def _show_keys(self) -> None:
        self.tabs.setCurrentWidget(self.review)
        self.review.overlay_help.toggle()

    def _set_language(self, code: str) -> None:
        self.settings.setValue("lang", code)
        box = QMessageBox(
            QMessageBox.Icon.Information,
            self.tr("Language"),
            self.tr("The language changes the next time the program starts."),
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def open_run(self, run_id: int, claim: bool = True) -> None:
        self.tabs.setCurrentWidget(self.review)
        self.review.open_run(run_id, claim)

    def _decided(self, run_id: int) -> None:
        self.statusBar().showMessage(self.review.decision_status.text(), 15_000)
        self.queue.refresh()
        if self.auto_next:
            self.open_next(run_id)

    def open_next(self, after: int) -> None:
        """The next recording this account can decide, in queue order; the queue when none."""
        nxt = self.queue.next_after(after, self.review.unplayable)
        if nxt is None:
            self.review.close_run()
            self.tabs.setCurrentWidget(self.queue)
            return
        self.open_run(nxt)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Give the claim back and let pending database work finish (a decision being saved
        is never cut off)."""
        self.queue.timer.stop()
        self.idle.stop()
        self.review.close_run()  # a character transcript under way stops after its window
        self.review.hanzi_worker.wait(60_000)
        self.precheck.shutdown()
        self.db.close()
        self.settings.sync()
        super().closeEvent(event)


def idle_minutes(settings: QSettings) -> float:
    """After how many minutes without input the window locks (``idle_minutes`` in the
    settings file, else ``$DUALREC_AUDIT_IDLE_MINUTES``, else 10; 0: never)."""
    from dualrec_audit.workflow.accounts import AccountRules

    value = settings.value("idle_minutes")
    if value in (None, ""):
        return AccountRules.from_env().idle_minutes
    try:
        return max(0.0, float(str(value)))
    except ValueError:
        return AccountRules().idle_minutes


class PrecheckWindow(QMainWindow):
    """``dualrec-audit precheck``: the teller's window alone."""

    def __init__(
        self,
        settings: QSettings,
        lang: str,
        options: AuditOptions | None = None,
        models_dir: str | None = None,
        parent: QWidget | None = None,
        **profile: Any,  # explicit_profile, profile_map: as PrecheckView takes them
    ):
        super().__init__(parent)
        self.setObjectName("precheckWindow")
        self.setWindowTitle(self.tr("Recording pre-check"))
        self.precheck = PrecheckView(settings, lang, options, models_dir, **profile)
        self.setCentralWidget(self.precheck)
        fit_to_screen(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.precheck.shutdown()
        super().closeEvent(event)
