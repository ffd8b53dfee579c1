"""The transcript and script-stage tabs: what was said, line by line with the speaker,
required and forbidden phrases coloured and the word being played highlighted; each stage
of the script heard or not. A click on a word or a stage plays from there. Mixed into
``ReviewView``, whose widgets and data it uses."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QTextEdit

from dualrec_audit.batch.report import fmt_span, fmt_time
from dualrec_audit.core.i18n import TALKER
from dualrec_audit.review.player import seek_target, to_position
from dualrec_audit.review.texts import for_reviewer
from dualrec_audit.review.transcript import (
    current_span,
    line_speaker,
    missing_stages,
    span_speakers,
    transcript_lines,
    transcript_spans,
)

from .colours import GREEN, GREY, RED


class TranscriptPanel:
    """The transcript and script-stage tabs."""

    def _build_transcript(self) -> QTextEdit:
        """The transcript tab (a click on a word plays from it)."""
        self.transcript = QTextEdit()
        self.transcript.setObjectName("transcript")
        self.transcript.setReadOnly(True)
        self.transcript.viewport().installEventFilter(self)
        self.transcript.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        return self.transcript

    def _build_stages(self) -> QListWidget:
        """The script stages tab (a click on a stage plays from it)."""
        self.stages = QListWidget()
        self.stages.setObjectName("stages")
        return self.stages

    def _fill_stages(self) -> None:
        assert self.data is not None
        self.stages.clear()
        for st in self.data.result.stages:
            name = st.name.get(self.lang)
            if st.status == "found":
                colour = GREEN
                text = f"✓ {name}  {fmt_span(st.start or 0.0, st.end or 0.0)}"
            elif st.status == "missing":
                colour = RED
                text = f"✗ {name}  " + self.tr("not heard")
            else:
                colour = GREY
                text = f"? {name}  " + self.tr("not checked: listen for it")
            if not st.required:
                text += "  " + self.tr("(optional)")
            item = QListWidgetItem(text)
            item.setForeground(QBrush(colour))
            item.setData(Qt.ItemDataRole.UserRole, st.start)
            self.stages.addItem(item)
        if not self.data.result.stages:
            self.stages.addItem(QListWidgetItem(self.tr("No business profile: no stages")))

    def _stage_clicked(self, item: QListWidgetItem) -> None:
        start = item.data(Qt.ItemDataRole.UserRole)
        if start is not None:
            self.player.seek(seek_target(float(start)))

    def _fill_transcript(self) -> None:
        assert self.data is not None
        r = self.data.result
        doc = self.transcript
        doc.clear()
        self.spans = transcript_spans(r)
        self.span_starts = [sp.start for sp in self.spans]
        self.span_pos = []
        self.current_word = None
        cursor = QTextCursor(doc.document())
        red = QTextCharFormat()
        red.setForeground(QBrush(RED))
        red.setFontWeight(QFont.Weight.Bold)
        for st in missing_stages(r):
            cursor.insertText(
                self.tr("Not heard: {stage}").format(stage=st.name.get(self.lang)) + "\n", red
            )
        if not self.spans:
            grey = QTextCharFormat()
            grey.setForeground(QBrush(GREY))
            grey.setFontItalic(True)
            tr = r.checks.get("transcript")
            why = for_reviewer(tr.reason).get(self.lang) if tr is not None and tr.reason else ""
            cursor.insertText(self.tr("No transcript.") + (f" {why}" if why else ""), grey)
            return
        formats = {"plain": QTextCharFormat(), "required": QTextCharFormat(), "forbidden": red}
        formats["required"].setForeground(QBrush(GREEN))
        formats["required"].setFontWeight(QFont.Weight.Bold)
        time_fmt = QTextCharFormat()
        time_fmt.setForeground(QBrush(GREY))
        speakers = span_speakers(r, self.spans)
        starts = transcript_lines(self.spans, speakers=speakers)
        line_starts = set(starts)
        for i, span in enumerate(self.spans):
            if i in line_starts:
                if i:
                    cursor.insertText("\n", formats["plain"])
                cursor.insertText(f"[{fmt_time(span.start)}] ", time_fmt)
                nxt = next((k for k in starts if k > i), len(self.spans))
                who = line_speaker(speakers, i, nxt)
                if who is not None:
                    cursor.insertText(f"{TALKER[who].get(self.lang)}: ", time_fmt)
            start = cursor.position()
            cursor.insertText(span.text, formats[span.kind])
            self.span_pos.append((start, cursor.position()))

    def span_at(self, position: int) -> int | None:
        """The transcript word at a character position of the document."""
        for i, (start, end) in enumerate(self.span_pos):
            if start <= position <= end:
                return i
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A click on a transcript word plays from that word."""
        if (
            watched is self.transcript.viewport()
            and event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
        ):
            pos = self.transcript.cursorForPosition(event.position().toPoint()).position()
            i = self.span_at(pos)
            if i is not None:
                self.player.seek(to_position(self.spans[i].start))
        return super().eventFilter(watched, event)

    def _follow_transcript(self, seconds: float) -> None:
        i = current_span(self.span_starts, seconds)
        if i == self.current_word or i is None or i >= len(self.span_pos):
            return
        self.current_word = i
        start, end = self.span_pos[i]
        sel = QTextEdit.ExtraSelection()
        cursor = QTextCursor(self.transcript.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        sel.cursor = cursor
        sel.format.setBackground(QBrush(QColor(255, 235, 59)))
        self.transcript.setExtraSelections([sel])
        view = QTextCursor(self.transcript.document())
        view.setPosition(start)
        self.transcript.setTextCursor(view)
        self.transcript.ensureCursorVisible()
