"""Signing in (with the new password a reset asks for), the first administrator (first run),
and the dialog that asks for a reason (changing a decision, approving without watching, an
appeal, an administrator's change to an account). The accounts dialog is in ``accounts``.

Everything is checked by the store (``dualrec_audit.store.workflow``) in the database
worker; these dialogs only collect the input and show the answer."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from dualrec_audit.store.database import Store
from dualrec_audit.workflow.evidence import substantive
from dualrec_audit.workflow.policy import Account

from .dialogs import error_text
from .workers import Database

log = logging.getLogger("dualrec_audit.ui")


class LoginDialog(QDialog):
    """Sign in; on a database without accounts, create the first administrator instead."""

    signed_in = Signal(object)  # Account

    def __init__(self, db: Database, lang: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self.db = db
        self.lang = lang
        self.account: Account | None = None
        self.pending: QDialog | None = None  # the new password a reset asks for
        self.first_run = False
        self.setWindowTitle(self.tr("Sign in — dual-recording review"))
        self.setMinimumWidth(420)
        root = QVBoxLayout(self)
        self.heading = QLabel(self.tr("Sign in with your reviewer account"))
        self.heading.setObjectName("loginHeading")
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setPointSize(font.pointSize() + 3)
        font.setBold(True)
        self.heading.setFont(font)
        root.addWidget(self.heading)
        form = QFormLayout()
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.display_name = QLineEdit()
        self.display_name.setObjectName("displayName")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setObjectName("repeatPassword")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(self.tr("User name"), self.username)
        form.addRow(self.tr("Full name"), self.display_name)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.tr("Repeat the password"), self.repeat)
        self.form = form
        root.addLayout(form)
        self.message = QLabel()
        self.message.setObjectName("loginMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color:#b71c1c;")
        root.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setObjectName("signIn")
        self.ok.setText(self.tr("Sign in"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        root.addWidget(self.buttons)
        self._set_first_run(False)
        self.ok.setEnabled(False)
        db.call(lambda store: store.has_accounts(), self._checked, self._failed)

    def _set_first_run(self, first: bool) -> None:
        self.first_run = first
        for w in (self.display_name, self.repeat):
            w.setVisible(first)
            label = self.form.labelForField(w)
            if label is not None:
                label.setVisible(first)
        if first:
            self.heading.setText(
                self.tr(
                    "First start: create the administrator account. The administrator then "
                    "creates the reviewers' accounts (Settings → Accounts)."
                )
            )
            self.ok.setText(self.tr("Create the administrator"))

    def _checked(self, has_accounts: bool) -> None:
        self._set_first_run(not has_accounts)
        self.ok.setEnabled(True)
        self.username.setFocus()

    def _failed(self, exc: object) -> None:
        self.ok.setEnabled(True)
        self.message.setText(error_text(exc, self.lang))

    def submit(self) -> None:
        user, password = self.username.text().strip(), self.password.text()
        if self.first_run:
            if password != self.repeat.text():
                self.message.setText(self.tr("The two passwords differ."))
                return
            name = self.display_name.text().strip() or user

            def work(store: Store) -> Account:
                store.create_account(user, name, "admin", password)
                return store.authenticate(user, password)

        else:

            def work(store: Store) -> Account:
                return store.authenticate(user, password)

        self.ok.setEnabled(False)
        self.message.setText(self.tr("Checking…"))
        self.db.call(work, self._done, self._failed)

    def _done(self, account: Account) -> None:
        if account.must_change_password:  # reset by an administrator: a new one first
            from .accounts import PasswordDialog

            dialog = PasswordDialog(
                self.db, account.username, self.lang, self, old=self.password.text(), forced=True
            )
            self.pending = dialog
            dialog.changed.connect(self._done)
            dialog.rejected.connect(lambda: self.ok.setEnabled(True))
            dialog.rejected.connect(lambda: self.message.setText(""))
            dialog.open()
            return
        self.account = account
        self.db.actor = account.username
        self.message.setText("")
        self.signed_in.emit(account)
        self.accept()


class ReasonDialog(QDialog):
    """A question that needs a written reason to go on (OK stays off until there is one)."""

    def __init__(
        self,
        title: str,
        text: str,
        ok_text: str,
        on_ok: Callable[[str], None],
        parent: QWidget | None = None,
        *,
        extra_label: str | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("reasonDialog")
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(460)
        root = QVBoxLayout(self)
        self.question = QLabel(text)
        self.question.setObjectName("question")
        self.question.setWordWrap(True)
        root.addWidget(self.question)
        self.extra: QLineEdit | None = None
        if extra_label is not None:
            form = QFormLayout()
            self.extra = QLineEdit()
            self.extra.setObjectName("extra")
            form.addRow(extra_label, self.extra)
            root.addLayout(form)
        root.addWidget(QLabel(self.tr("Reason (kept in the log):")))
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("reason")
        self.reason.setFixedHeight(80)
        root.addWidget(self.reason)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setObjectName("confirm")
        self.ok.setText(ok_text)
        self.ok.setEnabled(False)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        root.addWidget(self.buttons)
        self.on_ok = on_ok
        self.reason.textChanged.connect(self._update)
        if self.extra is not None:
            self.extra.textChanged.connect(self._update)

    def _update(self) -> None:
        ok = substantive(self.reason.toPlainText())
        if self.extra is not None:
            ok = ok and bool(self.extra.text().strip())
        self.ok.setEnabled(ok)

    def _accept(self) -> None:
        reason = self.reason.toPlainText().strip()
        if not substantive(reason):
            return
        self.accept()
        self.on_ok(reason)
