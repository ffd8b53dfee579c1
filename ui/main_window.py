"""The reviewer's window (queue, review, pre-check tabs) and the teller's pre-check window."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent
from PySide6.QtWidgets import QInputDialog, QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from dualrec_audit.pipeline import AuditOptions

from .dialogs import show_error
from .precheck_view import PrecheckView
from .queue_view import QueueView
from .review_view import ReviewView
from .workers import Database

log = logging.getLogger("dualrec_audit.ui")


class MainWindow(QMainWindow):
    def __init__(
        self,
        db: Database,
        settings: QSettings,
        lang: str,
        reviewer: str,
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
        db.setParent(self)
        db.on_error = lambda exc: show_error(self, self.tr("Database error"), exc)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.queue = QueueView(db, lang)
        self.review = ReviewView(db, settings, lang, reviewer)
        self.precheck = PrecheckView(settings, lang, options, models_dir)
        self.tabs.addTab(self.queue, self.tr("Queue"))
        self.tabs.addTab(self.review, self.tr("Review"))
        self.tabs.addTab(self.precheck, self.tr("Pre-check"))
        self.setCentralWidget(self.tabs)
        self.db_label = QLabel(self.tr("Database: {url}").format(url=db.url or ""))
        self.reviewer_label = QLabel()
        self.statusBar().addWidget(self.db_label, 1)
        self.statusBar().addPermanentWidget(self.reviewer_label)
        self._show_reviewer()
        self._menus()

        self.queue.open_requested.connect(self.open_run)
        self.review.decision_saved.connect(lambda _run: self.queue.refresh())
        self.review.claim_changed.connect(self.queue.refresh)
        self.review.reviewer.editingFinished.connect(self._show_reviewer)
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
        who = QAction(self.tr("Reviewer name…"), self)
        who.triggered.connect(self._ask_reviewer)
        menu.addAction(who)

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

    def _ask_reviewer(self) -> None:
        dialog = QInputDialog(self)
        dialog.setWindowTitle(self.tr("Reviewer name"))
        dialog.setLabelText(self.tr("Decisions are saved under this name:"))
        dialog.setTextValue(self.review.reviewer.text())
        dialog.textValueSelected.connect(self._set_reviewer)
        dialog.open()

    def _set_reviewer(self, name: str) -> None:
        self.review.reviewer.setText(name.strip())
        self.settings.setValue("reviewer", name.strip())
        self._show_reviewer()

    def _show_reviewer(self) -> None:
        self.reviewer_label.setText(
            self.tr("Reviewer: {name}").format(name=self.review.reviewer.text() or "—")
        )

    def open_run(self, run_id: int, claim: bool = True) -> None:
        self.tabs.setCurrentWidget(self.review)
        self.review.open_run(run_id, claim)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Give the claim back and let pending database work finish (a decision being saved
        is never cut off)."""
        self.queue.timer.stop()
        self.review.close_run()
        self.precheck.shutdown()
        self.db.close()
        self.settings.sync()
        super().closeEvent(event)


class PrecheckWindow(QMainWindow):
    """``dualrec-audit precheck``: the teller's window alone."""

    def __init__(
        self,
        settings: QSettings,
        lang: str,
        options: AuditOptions | None = None,
        models_dir: str | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("precheckWindow")
        self.setWindowTitle(self.tr("Recording pre-check"))
        self.precheck = PrecheckView(settings, lang, options, models_dir)
        self.setCentralWidget(self.precheck)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.precheck.shutdown()
        super().closeEvent(event)
