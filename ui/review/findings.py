"""The findings list: each finding with its time, its problem and the reviewer's verdict
on it. Selecting one seeks there (pre-roll included); Real (T) and False alarm (F) keep
the verdict with its note. Mixed into ``ReviewView``, whose widgets and data it uses."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from dualrec_audit.batch.report import fmt_span
from dualrec_audit.review.player import covers_recording, seek_target
from dualrec_audit.review.texts import for_reviewer
from dualrec_audit.store.database import Store
from dualrec_audit.store.records import StoredFeedback, StoredFinding

from ..dialogs import show_error
from .colours import GREEN, GREY, RED
from .data import local_time


class FindingsPanel:
    """The findings list and the reviewer's verdict on each finding."""

    def _build_findings(self) -> QGroupBox:
        """The findings list with the note and the Real / False alarm buttons under it."""
        fbox = QGroupBox(self.tr("Findings"))
        fl = QVBoxLayout(fbox)
        fl.setContentsMargins(4, 4, 4, 4)
        self.findings = QTreeWidget()
        self.findings.setObjectName("findings")
        self.findings.setRootIsDecorated(False)
        self.findings.setColumnCount(4)
        self.findings.setHeaderLabels(
            ["#", self.tr("Time"), self.tr("Problem"), self.tr("Reviewer's verdict")]
        )
        header = self.findings.header()
        for col in (0, 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(3, 130)
        header.setStretchLastSection(False)
        self.findings.setUniformRowHeights(False)
        self.findings.setWordWrap(True)
        self.findings.setTextElideMode(Qt.TextElideMode.ElideNone)
        header.sectionResized.connect(lambda *_: self._wrap_rows())
        fl.addWidget(self.findings)
        frow = QHBoxLayout()
        self.finding_note = QLineEdit()
        self.finding_note.setObjectName("findingNote")
        self.finding_note.setPlaceholderText(self.tr("Note on this finding (optional)"))
        self.real_btn = QPushButton(self.tr("Real (T)"))
        self.real_btn.setObjectName("findingReal")
        self.false_alarm_btn = QPushButton(self.tr("False alarm (F)"))
        self.false_alarm_btn.setObjectName("falseAlarm")
        self.false_alarm_btn.setToolTip(
            self.tr("Kept to calibrate the checks; it does not change the decision")
        )
        frow.addWidget(self.finding_note, 1)
        frow.addWidget(self.real_btn)
        frow.addWidget(self.false_alarm_btn)
        fl.addLayout(frow)
        return fbox

    def _fill_findings(self) -> None:
        assert self.data is not None
        self._selecting = True
        self.findings.clear()
        d = self.data.result.duration_s
        for i, f in enumerate(self.data.findings, 1):
            e = f.event
            whole = covers_recording(e.start, e.end, d)
            when = self.tr("whole recording") if whole else fmt_span(e.start, e.end)
            text = for_reviewer(e.message).get(self.lang)
            if e.details.get("mandatory"):
                text = self.tr("[mandatory] ") + text
            item = QTreeWidgetItem([str(i), when, text, ""])
            item.setData(0, Qt.ItemDataRole.UserRole, f.id)
            item.setData(2, Qt.ItemDataRole.UserRole, text)
            item.setData(1, Qt.ItemDataRole.UserRole, e.severity)
            item.setToolTip(2, text)
            self.findings.addTopLevelItem(item)
        self._show_verdicts()
        self._selecting = False

    def verdict_text(self, mark: StoredFeedback | None) -> str:
        """A finding's verdict as the list shows it: real / false alarm, the note, who, when."""
        if mark is None:
            return ""
        label = self.tr("Real") if mark.label == "confirmed" else self.tr("False alarm")
        note = f" · {mark.note}" if mark.note else ""
        return f"{label}{note}\n{mark.reviewer} {local_time(mark.created_at)}"

    def _show_verdicts(self) -> None:
        assert self.data is not None
        for i in range(self.findings.topLevelItemCount()):
            item = self.findings.topLevelItem(i)
            fid = item.data(0, Qt.ItemDataRole.UserRole)
            mark = self.data.verdicts.get(fid)
            false_alarm = mark is not None and mark.label == "false_alarm"
            item.setText(3, self.verdict_text(mark))
            item.setToolTip(3, self.verdict_text(mark))
            item.setForeground(3, QBrush(GREY if false_alarm else GREEN if mark else GREY))
            severity = str(item.data(1, Qt.ItemDataRole.UserRole))
            colour = {"high": RED, "medium": QColor(230, 81, 0)}.get(severity, GREY)
            item.setForeground(2, QBrush(GREY if false_alarm else colour))
            font = item.font(2)
            font.setStrikeOut(false_alarm)
            item.setFont(2, font)
        self._wrap_rows()
        self._update_mark_buttons()

    def _wrap_rows(self) -> None:
        """Row heights that fit each problem's text wrapped to the column's width."""
        width = max(60, self.findings.columnWidth(2) - 10)
        metrics = self.findings.fontMetrics()
        for i in range(self.findings.topLevelItemCount()):
            item = self.findings.topLevelItem(i)
            box = metrics.boundingRect(
                QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, item.text(2)
            )
            lines = max(box.height(), 2 * metrics.height() if item.text(3) else 0)
            item.setSizeHint(2, QSize(width, lines + 6))

    def finding_at(self, index: int) -> StoredFinding:
        """The findings list's row ``index`` (0-based)."""
        assert self.data is not None
        return self.data.findings[index]

    @Slot(int)
    def select_finding(self, finding_id: int, seek: bool = True) -> None:
        """Select a finding in the list and on the timeline; seek to it (pre-roll included)."""
        if self.data is None:
            return
        for i in range(self.findings.topLevelItemCount()):
            item = self.findings.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == finding_id:
                self._selecting = True
                self.findings.setCurrentItem(item)
                self._selecting = False
        self.timeline.select(finding_id)
        self._update_mark_buttons()
        f = next((f for f in self.data.findings if f.id == finding_id), None)
        if (
            seek
            and f is not None
            and not covers_recording(f.event.start, f.event.end, self.data.result.duration_s)
        ):
            self.player.seek(seek_target(f.event.start))

    def _finding_row(self, item: QTreeWidgetItem | None, _prev: object = None) -> None:
        if item is not None and not self._selecting:
            self.select_finding(int(item.data(0, Qt.ItemDataRole.UserRole)))

    def _finding_clicked(self, item: QTreeWidgetItem, _col: int) -> None:
        # A click on the row already selected seeks there again.
        if item is self.findings.currentItem() and not self._selecting:
            self.select_finding(int(item.data(0, Qt.ItemDataRole.UserRole)))

    def _current_finding(self) -> int | None:
        item = self.findings.currentItem()
        return None if item is None else int(item.data(0, Qt.ItemDataRole.UserRole))

    def _update_mark_buttons(self) -> None:
        on = self._current_finding() is not None and not self.read_only and self.data is not None
        self.real_btn.setEnabled(on)
        self.false_alarm_btn.setEnabled(on)

    def mark_finding(self, label: str) -> None:
        """The reviewer's verdict on the selected finding: real (``confirmed``) or a false
        alarm, with the note typed beside the buttons; kept with the account and the time."""
        fid = self._current_finding()
        if self.data is None or fid is None or self.read_only:
            return
        note = self.finding_note.text().strip() or None
        run_id = self.data.summary.run_id

        def save(store: Store) -> list[StoredFeedback]:
            store.mark(fid, self.account, label, note)  # the rules `review mark` obeys
            return store.feedback(run_id)

        def saved(marks: list[StoredFeedback]) -> None:
            if self.data is None or self.data.summary.run_id != run_id:
                return
            self.data.verdicts = {m.finding_id: m for m in marks}
            self.data.false_alarms.clear()
            self.data.false_alarms.update(
                i for i, m in self.data.verdicts.items() if m.label == "false_alarm"
            )
            self.finding_note.clear()
            self._show_verdicts()
            self._fill_timeline()
            self.timeline.select(fid)

        self.db.call(
            save, saved, lambda exc: show_error(self, self.tr("Not saved"), exc, self.lang)
        )

    def toggle_false_alarm(self) -> None:
        fid = self._current_finding()
        marked = self.data is not None and fid in self.data.false_alarms
        self.mark_finding("confirmed" if marked else "false_alarm")
