"""The character transcript tab: what was said in Chinese characters, line by line with its
time and speaker, for reading. A click on a line plays from it.

It is computed when a reviewer opens a recording, in its own worker thread (never touching a
widget from there), by ``dualrec_audit.audit.hanzi.recording_hanzi``, and cached per recording
and model, so a second look is immediate. It is for reading only: the script check verified
the phrases on the pinyin recogniser, whose transcript stays in the Transcript tab. Mixed into
``ReviewView``, whose widgets and data it uses."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from dualrec_audit.audit.hanzi import HanziCache, HanziTranscript, recording_hanzi
from dualrec_audit.batch.report import fmt_time
from dualrec_audit.core.errors import DualrecError
from dualrec_audit.core.i18n import TALKER
from dualrec_audit.review.player import to_position
from dualrec_audit.review.transcript import character_lines

from ..workers import Worker
from .colours import GREY, RED

log = logging.getLogger("dualrec_audit.ui")


class HanziPanel:
    """The character transcript tab and the worker that computes it."""

    def _build_hanzi(self) -> QWidget:
        box = QWidget()
        box.setObjectName("hanziTab")
        lay = QVBoxLayout(box)
        lay.setContentsMargins(2, 2, 2, 2)
        self.hanzi_note = QLabel(
            self.tr(
                "Chinese characters by a multilingual Whisper, for reading only: the script "
                "check verified the phrases on the pinyin transcript."
            )
        )
        self.hanzi_note.setWordWrap(True)
        self.hanzi_note.setObjectName("hanziNote")
        lay.addWidget(self.hanzi_note)
        self.hanzi = QListWidget()
        self.hanzi.setObjectName("hanziTranscript")
        self.hanzi.setWordWrap(True)
        self.hanzi.itemClicked.connect(self._hanzi_clicked)
        lay.addWidget(self.hanzi, 1)
        self.hanzi_worker = Worker("hanzi", parent=self)
        self.hanzi_run: int | None = None  # the run whose transcript is shown or on its way
        self.hanzi_result: HanziTranscript | None = None
        self.hanzi_cancel = threading.Event()  # the job under way's: set when it is not wanted
        return box

    def stop_hanzi(self) -> None:
        """The transcript under way is no longer wanted (another recording, or closing): it
        stops after the window it is decoding (seconds), and is not cached."""
        self.hanzi_cancel.set()
        self.hanzi_run = None

    def _hanzi_message(self, text: str, error: bool = False) -> None:
        self.hanzi.clear()
        item = QListWidgetItem(text)
        item.setForeground(QBrush(RED if error else GREY))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.hanzi.addItem(item)

    def _start_hanzi(self) -> None:
        """Compute (or read from the cache) the open recording's character transcript."""
        assert self.data is not None
        self.stop_hanzi()
        run_id = self.data.summary.run_id
        self.hanzi_run = run_id
        cancel = self.hanzi_cancel = threading.Event()
        self.hanzi_result = None
        video = self.data.video
        if video is None:
            self._hanzi_message(self.tr("No file of this recording to transcribe."))
            return
        self._hanzi_message(self.tr("Transcribing in Chinese characters…"))
        self.hanzi_worker.submit(
            lambda: recording_hanzi(Path(video), cache=HanziCache(), cancel=cancel),
            lambda t: self._hanzi_done(run_id, t),
            lambda exc: self._hanzi_failed(run_id, exc),
        )

    def _hanzi_done(self, run_id: int, t: object) -> None:
        if run_id != self.hanzi_run or self.data is None or not isinstance(t, HanziTranscript):
            return  # another recording is open now
        self.hanzi_result = t
        self.hanzi.clear()
        audited = self.data.audited_sha256
        if audited and t.sha256 != audited:
            self._hanzi_message(
                self.tr("This file is not the one audited: no transcript is shown."), error=True
            )
            return
        lines = character_lines(self.data.result, t.words)
        if not lines:
            self._hanzi_message(self.tr("No speech recognised."))
        for line in lines:
            who = f"{TALKER[line.speaker].get(self.lang)}: " if line.speaker else ""
            item = QListWidgetItem(f"[{fmt_time(line.start)}] {who}{line.text}")
            item.setData(Qt.ItemDataRole.UserRole, line.start)
            self.hanzi.addItem(item)
        whys = {"time": self.tr("time budget used up"), "repeats": self.tr("it repeated itself")}
        whys["stopped"] = self.tr("stopped")
        for span in t.truncated:
            why = str(span.get("reason", ""))
            self._hanzi_note_item(
                self.tr("Not transcribed {start}–{end}: the recogniser stopped ({why}).").format(
                    start=fmt_time(float(span["start"])),
                    end=fmt_time(float(span["end"])),
                    why=whys.get(why, why),
                )
            )

    def _hanzi_note_item(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setForeground(QBrush(GREY))
        self.hanzi.addItem(item)

    def _hanzi_failed(self, run_id: int, exc: object) -> None:
        if run_id != self.hanzi_run:
            return
        log.warning("character transcript: %s", exc)
        why = str(exc) if isinstance(exc, DualrecError) else f"{type(exc).__name__}: {exc}"
        self._hanzi_message(self.tr("No character transcript: {why}").format(why=why), True)

    def _hanzi_clicked(self, item: QListWidgetItem) -> None:
        start = item.data(Qt.ItemDataRole.UserRole)
        if start is not None:
            self.player.seek(to_position(float(start)))
