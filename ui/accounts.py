"""Accounts in the window: an administrator's accounts dialog (create, disable / enable, reset
a password, change a role, end a lockout, each with its reason), the user's own password
change (also forced after a reset), and the idle lock.

Everything is checked and logged by the store (``dualrec_audit.store.accounts``) in the
database worker; these widgets only collect the input and show the answer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dualrec_audit.store.database import Store
from dualrec_audit.workflow.policy import ROLE_NAMES, ROLES, Account

from .dialogs import error_text
from .login import ReasonDialog
from .workers import Database

log = logging.getLogger("dualrec_audit.ui")

AccountRow = tuple[Account, str | None]  # the account and until when it is locked out


def _accounts_with_locks(store: Store) -> list[AccountRow]:
    return [(a, store.locked(a.username)) for a in store.accounts()]


class AccountsDialog(QDialog):
    """An administrator's accounts: the list with each one's state, a new account, and the
    changes to the selected one (each asks for its reason, kept in the log)."""

    def __init__(self, db: Database, admin: Account, lang: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("accountsDialog")
        self.setWindowTitle(self.tr("Accounts"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.db, self.admin, self.lang = db, admin, lang
        self.rows: list[AccountRow] = []
        self.pending: ReasonDialog | None = None
        self.resize(640, 560)
        root = QVBoxLayout(self)
        self.list = QTreeWidget()
        self.list.setObjectName("accountList")
        self.list.setRootIsDecorated(False)
        self.list.setHeaderLabels(
            [self.tr("User name"), self.tr("Full name"), self.tr("Role"), self.tr("State")]
        )
        self.list.currentItemChanged.connect(lambda *_: self._selected())
        root.addWidget(self.list, 1)
        root.addLayout(self._build_changes())
        root.addLayout(self._build_new())
        self.message = QLabel()
        self.message.setObjectName("accountsMessage")
        self.message.setWordWrap(True)
        root.addWidget(self.message)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        root.addWidget(close)
        self.refresh()

    def _build_changes(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.toggle_btn = QPushButton(self.tr("Disable…"))
        self.toggle_btn.setObjectName("toggleAccount")
        self.reset_btn = QPushButton(self.tr("Reset password…"))
        self.reset_btn.setObjectName("resetPassword")
        self.change_role = QComboBox()
        self.change_role.setObjectName("changeRole")
        for r in ROLES:
            self.change_role.addItem(ROLE_NAMES[r].get(self.lang), r)
        self.role_btn = QPushButton(self.tr("Change role…"))
        self.role_btn.setObjectName("setRole")
        self.unlock_btn = QPushButton(self.tr("Unlock…"))
        self.unlock_btn.setObjectName("unlockAccount")
        for w in (self.toggle_btn, self.reset_btn, self.change_role, self.role_btn):
            row.addWidget(w)
        row.addWidget(self.unlock_btn)
        row.addStretch(1)
        self.toggle_btn.clicked.connect(self.ask_toggle)
        self.reset_btn.clicked.connect(self.ask_reset)
        self.role_btn.clicked.connect(self.ask_role)
        self.unlock_btn.clicked.connect(self.ask_unlock)
        return row

    def _build_new(self) -> QFormLayout:
        form = QFormLayout()
        self.username = QLineEdit()
        self.username.setObjectName("newUsername")
        self.display_name = QLineEdit()
        self.display_name.setObjectName("newDisplayName")
        self.role = QComboBox()
        self.role.setObjectName("newRole")
        for r in ROLES:
            self.role.addItem(ROLE_NAMES[r].get(self.lang), r)
        self.password = QLineEdit()
        self.password.setObjectName("newPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(self.tr("User name"), self.username)
        form.addRow(self.tr("Full name"), self.display_name)
        form.addRow(self.tr("Role"), self.role)
        form.addRow(self.tr("Initial password"), self.password)
        self.create = QPushButton(self.tr("Create the account"))
        self.create.setObjectName("createAccount")
        self.create.clicked.connect(self.submit)
        form.addRow("", self.create)
        return form

    # -- the list --------------------------------------------------------------------------

    def refresh(self) -> None:
        self.db.call(_accounts_with_locks, self._show)

    def _state(self, a: Account, locked: str | None) -> str:
        parts = []
        if not a.active:
            parts.append(self.tr("disabled"))
        if locked:
            parts.append(self.tr("locked until {t}").format(t=_local(locked)))
        if a.must_change_password:
            parts.append(self.tr("must change the password"))
        return "，".join(parts) if self.lang == "zh" else ", ".join(parts)

    def _show(self, rows: list[AccountRow]) -> None:
        current = self.selected()
        self.rows = rows
        self.list.clear()
        for a, locked in rows:
            role = ROLE_NAMES[a.role].get(self.lang)
            item = QTreeWidgetItem([a.username, a.display_name, role, self._state(a, locked)])
            self.list.addTopLevelItem(item)
            if current is not None and a.username == current.username:
                self.list.setCurrentItem(item)
        for c in range(3):
            self.list.resizeColumnToContents(c)
        self._selected()

    def selected(self) -> Account | None:
        i = (
            self.list.indexOfTopLevelItem(self.list.currentItem())
            if self.list.currentItem()
            else -1
        )
        return self.rows[i][0] if 0 <= i < len(self.rows) else None

    def select(self, username: str) -> None:
        for i, (a, _locked) in enumerate(self.rows):
            if a.username == username:
                self.list.setCurrentItem(self.list.topLevelItem(i))

    def _selected(self) -> None:
        a = self.selected()
        locked = next((lk for acc, lk in self.rows if a is not None and acc.id == a.id), None)
        for b in (self.toggle_btn, self.reset_btn, self.role_btn, self.change_role):
            b.setEnabled(a is not None)
        self.unlock_btn.setEnabled(a is not None and locked is not None)
        if a is not None:
            self.toggle_btn.setText(self.tr("Enable…") if not a.active else self.tr("Disable…"))
            self.change_role.setCurrentIndex(max(0, self.change_role.findData(a.role)))

    # -- changes ---------------------------------------------------------------------------

    def _run(self, work: Callable[[Store], object], done_text: str) -> None:
        def done(_result: object) -> None:
            self._say(done_text, ok=True)
            self.refresh()

        self.db.call(work, done, lambda exc: self._say(error_text(exc, self.lang), ok=False))

    def _say(self, text: str, ok: bool) -> None:
        self.message.setStyleSheet("color:#1b5e20;" if ok else "color:#b71c1c;")
        self.message.setText(text)

    def _ask(
        self, title: str, text: str, ok: str, then: Callable[[str], None], extra: str | None = None
    ) -> ReasonDialog:
        dialog = ReasonDialog(title, text, ok, then, self, extra_label=extra)
        self.pending = dialog
        dialog.finished.connect(lambda _r: setattr(self, "pending", None))
        dialog.open()
        return dialog

    def ask_toggle(self) -> ReasonDialog | None:
        a, admin = self.selected(), self.admin
        if a is None:
            return None
        on = not a.active
        verb = self.tr("Enable") if on else self.tr("Disable")
        return self._ask(
            self.tr("{verb} the account {name}?").format(verb=verb, name=a.label(self.lang)),
            self.tr("The change and its reason are kept in the log."),
            verb,
            lambda why: self._run(
                lambda store: store.set_active(a.username, on, by=admin, reason=why),
                self.tr("{name}: done").format(name=a.username),
            ),
        )

    def ask_reset(self) -> ReasonDialog | None:
        a = self.selected()
        if a is None:
            return None
        dialog = self._ask(
            self.tr("Reset the password of {name}?").format(name=a.label(self.lang)),
            self.tr(
                "Give a temporary password and tell it to the user in person: they must change "
                "it when they next sign in."
            ),
            self.tr("Reset the password"),
            lambda why: self._reset(a.username, temp(), why),
            extra=self.tr("Temporary password"),
        )
        assert dialog.extra is not None
        dialog.extra.setEchoMode(QLineEdit.EchoMode.Password)
        extra = dialog.extra

        def temp() -> str:
            return extra.text()

        return dialog

    def _reset(self, username: str, password: str, why: str) -> None:
        admin = self.admin  # the password is read here, in the window, not in the worker
        self._run(
            lambda store: store.reset_password(username, password, by=admin, reason=why),
            self.tr("{name}: temporary password set").format(name=username),
        )

    def ask_role(self) -> ReasonDialog | None:
        a, admin = self.selected(), self.admin
        role = str(self.change_role.currentData())
        if a is None or role == a.role:
            return None
        return self._ask(
            self.tr("Change the role of {name}?").format(name=a.label(self.lang)),
            self.tr("From {old} to {new}. The change and its reason are kept in the log.").format(
                old=ROLE_NAMES[a.role].get(self.lang), new=ROLE_NAMES[role].get(self.lang)
            ),
            self.tr("Change the role"),
            lambda why: self._run(
                lambda store: store.set_role(a.username, role, by=admin, reason=why),
                self.tr("{name}: role changed").format(name=a.username),
            ),
        )

    def ask_unlock(self) -> ReasonDialog | None:
        a, admin = self.selected(), self.admin
        if a is None:
            return None
        return self._ask(
            self.tr("Unlock {name}?").format(name=a.label(self.lang)),
            self.tr("The account was locked after too many wrong passwords."),
            self.tr("Unlock"),
            lambda why: self._run(
                lambda store: store.unlock(a.username, by=admin, reason=why),
                self.tr("{name}: unlocked").format(name=a.username),
            ),
        )

    def submit(self) -> None:
        user, name = self.username.text().strip(), self.display_name.text().strip()
        role, password = str(self.role.currentData()), self.password.text()
        admin = self.admin

        def work(store: Store) -> Account:
            return store.create_account(user, name, role, password, by=admin)

        def done(a: Account) -> None:
            self._say(self.tr("Created: {name}").format(name=a.label(self.lang)), ok=True)
            for w in (self.username, self.display_name, self.password):
                w.clear()
            self.refresh()

        self.db.call(work, done, lambda exc: self._say(error_text(exc, self.lang), ok=False))


def _local(stamp: str) -> str:
    from datetime import datetime

    return datetime.fromisoformat(stamp).astimezone().strftime("%H:%M")


class PasswordDialog(QDialog):
    """Change one's own password: asked for the old one (unless just given at sign-in after
    a reset) and the new one twice."""

    changed = Signal(object)  # the Account

    def __init__(
        self,
        db: Database,
        username: str,
        lang: str,
        parent: QWidget | None = None,
        *,
        old: str | None = None,
        forced: bool = False,
    ):
        super().__init__(parent)
        self.setObjectName("passwordDialog")
        self.setWindowTitle(self.tr("Change the password"))
        self.db, self.username, self.lang, self.given_old = db, username, lang, old
        self.account: Account | None = None
        root = QVBoxLayout(self)
        if forced:
            note = QLabel(
                self.tr("An administrator reset your password: choose a new one to go on.")
            )
            note.setWordWrap(True)
            root.addWidget(note)
        form = QFormLayout()
        self.old = QLineEdit()
        self.old.setObjectName("oldPassword")
        self.new = QLineEdit()
        self.new.setObjectName("newPassword")
        self.repeat = QLineEdit()
        self.repeat.setObjectName("repeatNewPassword")
        for w in (self.old, self.new, self.repeat):
            w.setEchoMode(QLineEdit.EchoMode.Password)
        if old is None:
            form.addRow(self.tr("Current password"), self.old)
        form.addRow(self.tr("New password"), self.new)
        form.addRow(self.tr("Repeat the new password"), self.repeat)
        root.addLayout(form)
        self.message = QLabel()
        self.message.setObjectName("passwordMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color:#b71c1c;")
        root.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setObjectName("changePassword")
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        root.addWidget(buttons)

    def submit(self) -> None:
        if self.new.text() != self.repeat.text():
            self.message.setText(self.tr("The two passwords differ."))
            return
        user, old, new = self.username, self.given_old or self.old.text(), self.new.text()
        self.ok.setEnabled(False)

        def done(account: Account) -> None:
            self.account = account
            self.changed.emit(account)
            self.accept()

        def failed(exc: object) -> None:
            self.ok.setEnabled(True)
            self.message.setText(error_text(exc, self.lang))

        self.db.call(lambda store: store.change_password(user, old, new), done, failed)


class IdleWatch(QObject):
    """Emits ``idle`` once no key or mouse input reached the application for ``minutes``
    (0: never)."""

    idle = Signal()
    INPUT = (
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
    )

    def __init__(self, minutes: float, parent: QObject | None = None):
        super().__init__(parent)
        self.minutes = minutes
        self.last = time.monotonic()
        self.fired = False
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._check)
        app = QApplication.instance()
        if app is not None and minutes > 0:
            app.installEventFilter(self)
            self.timer.start()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() in self.INPUT:
            self.last = time.monotonic()
        return False

    def _check(self) -> None:
        if not self.fired and time.monotonic() - self.last >= self.minutes * 60:
            self.fired = True
            self.idle.emit()

    def resume(self) -> None:
        self.last, self.fired = time.monotonic(), False

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class LockDialog(QDialog):
    """The window locked after the idle time: the same account's password opens it again
    (a wrong one counts toward the lockout); "Sign out" closes the window."""

    unlocked = Signal(object)  # the Account
    sign_out = Signal()

    def __init__(self, db: Database, account: Account, lang: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lockDialog")
        self.setWindowTitle(self.tr("Locked"))
        self.setModal(True)
        self.db, self.account, self.lang = db, account, lang
        root = QVBoxLayout(self)
        heading = QLabel(
            self.tr("Locked after a time without input. {who}: enter your password.").format(
                who=account.label(lang)
            )
        )
        heading.setObjectName("lockHeading")
        heading.setWordWrap(True)
        root.addWidget(heading)
        self.password = QLineEdit()
        self.password.setObjectName("unlockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        root.addWidget(self.password)
        self.message = QLabel()
        self.message.setObjectName("lockMessage")
        self.message.setStyleSheet("color:#b71c1c;")
        self.message.setWordWrap(True)
        root.addWidget(self.message)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton(self.tr("Unlock"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("unlock")
        out = buttons.addButton(self.tr("Sign out"), QDialogButtonBox.ButtonRole.RejectRole)
        out.setObjectName("lockSignOut")
        buttons.accepted.connect(self.submit)
        out.clicked.connect(self._sign_out)
        root.addWidget(buttons)

    def reject(self) -> None:  # Escape does not unlock
        pass

    def _sign_out(self) -> None:
        self.sign_out.emit()
        super().reject()

    def submit(self) -> None:
        user, password = self.account.username, self.password.text()
        self.ok.setEnabled(False)

        def done(account: Account) -> None:
            self.unlocked.emit(account)
            self.accept()

        def failed(exc: object) -> None:
            self.ok.setEnabled(True)
            self.password.clear()
            self.message.setText(error_text(exc, self.lang))

        self.db.call(lambda store: store.authenticate(user, password), done, failed)
