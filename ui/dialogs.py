"""Error dialogs with a clear message (non-blocking, so a worker's error never freezes the
window and tests can read them)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from dualrec_audit.errors import DualrecError

log = logging.getLogger("dualrec_audit.ui")


def error_text(exc: object) -> str:
    """What the user reads: our own errors say what to do; anything else says what broke."""
    if isinstance(exc, DualrecError):
        return exc.message
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    return f"{type(exc).__name__}: {exc}"


def show_error(parent: QWidget | None, title: str, exc: object) -> QMessageBox:
    text = error_text(exc)
    log.error("%s: %s", title, text)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    box.setText(title)
    box.setInformativeText(text)
    box.setObjectName("errorDialog")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box


def tr(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)
