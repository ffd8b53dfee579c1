"""Error dialogs with a clear message (non-blocking, so a worker's error never freezes the
window and tests can read them). Database errors share one dialog: a database that stays
away shows one box, updated, not a new one every minute."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from dualrec_audit.core.errors import DualrecError
from dualrec_audit.review.precheck import error_text as media_error_text
from dualrec_audit.workflow.policy import WorkflowError

log = logging.getLogger("dualrec_audit.ui")


def _database_error(exc: object) -> bool:
    mod = type(exc).__module__
    return mod.startswith(("sqlalchemy", "sqlite3", "psycopg")) or (
        isinstance(exc, DualrecError) and exc.message.startswith("cannot open the database")
    )


def error_text(exc: object, lang: str = "zh") -> str:
    """What the user reads: the workflow's own message in their language; a database error
    says what to do (the technical detail is in the log); plain text as it is."""
    if isinstance(exc, str):
        return exc
    if isinstance(exc, WorkflowError):
        return exc.text.get(lang)
    if _database_error(exc):
        return QCoreApplication.translate(
            "Errors",
            "The results database cannot be reached. Check the network connection; if it "
            "persists, ask the administrator. Your unsaved reason text is kept as a draft.",
        )
    if isinstance(exc, DualrecError):
        if getattr(exc, "code", "") in ("truncated", "not_media", "corrupt", "empty_file"):
            return media_error_text(exc.code).get(lang)
        return exc.message
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    return str(exc) or type(exc).__name__


def _box(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    box.setText(title)
    box.setInformativeText(text)
    box.setObjectName("errorDialog")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    return box


def show_error(parent: QWidget | None, title: str, exc: object, lang: str = "zh") -> QMessageBox:
    text = error_text(exc, lang)
    log.error("%s: %s (%s)", title, text, exc if not isinstance(exc, str) else "")
    if _database_error(exc):
        return database_error(parent, title, text)
    box = _box(parent, title, text)
    box.open()
    return box


class _DatabaseBox(QObject):
    box: QMessageBox | None = None


_DB = _DatabaseBox()


def database_error(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """The one database-error dialog: shown once, its text updated while it is open."""
    if _DB.box is not None:
        _DB.box.setInformativeText(text)
        return _DB.box
    box = _box(parent, QCoreApplication.translate("Errors", "Database error"), text)
    box.setObjectName("databaseError")
    _DB.box = box
    box.destroyed.connect(lambda *_: setattr(_DB, "box", None))
    box.open()
    return box
