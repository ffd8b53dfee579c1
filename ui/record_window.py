"""The teller's recording window (``dualrec-audit record``): the live picture with each party's
face box, a banner with the live hints, a prompter with the current script stage in large type
and the stages still to come (each ticked the moment it is heard), the documents asked for, a
timer, record / stop; after stop the decision and the list of what to redo, as in the
pre-check. Chinese first; fits 1366x768.

Everything it shows comes from a :class:`~dualrec_audit.record.session.RecordingSession`
(``dualrec_audit/record/``): its notices arrive from the session's threads through a Qt signal;
the picture is redrawn ten times a second from the session's latest frame.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline
from dualrec_audit.core.errors import DualrecError
from dualrec_audit.core.result import AuditResult
from dualrec_audit.media.convert import convert_array
from dualrec_audit.record.hints import Notice
from dualrec_audit.record.session import RecordingSession
from dualrec_audit.record.sources import DeviceSource, FileSource, Source
from dualrec_audit.review.precheck import precheck

from .dialogs import show_error
from .workers import Worker

log = logging.getLogger("dualrec_audit.ui")

# The window's own words (zh, en): kept here, beside the window, not in the shared .ts file.
WORDS: dict[str, tuple[str, str]] = {
    "title": ("双录 · 录制", "Dual recording · record"),
    "record": ("开始录制", "Record"),
    "stop": ("停止", "Stop"),
    "ready": ("准备就绪：点击“开始录制”", "Ready: press Record"),
    "preparing": ("正在准备摄像头和模型…", "Preparing the camera and the models…"),
    "recording": ("● 录制中", "● Recording"),
    "auditing": ("正在生成检查结论…", "Checking the recording…"),
    "ok": ("画面和声音正常", "Picture and sound are fine"),
    "next": ("请说：", "Say now:"),
    "stages": ("话术环节", "Script stages"),
    "documents": ("需出示的文件", "Documents to show"),
    "all_said": ("全部话术环节已完成", "Every stage has been said"),
    "approve": ("✓ 通过", "✓ Passed"),
    "review": ("需人工复核", "Goes to review"),
    "rerecord": ("✗ 需重录", "✗ Record again"),
    "error": ("无法检查", "Cannot be checked"),
    "redo": ("需要改正：", "To fix:"),
    "nothing": ("没有需要改正的问题", "Nothing to fix"),
    "close_q": ("正在录制。停止录制并保存文件？", "Recording. Stop and save the file?"),
    "saved": ("录像已保存：", "Saved: "),
    "lost": ("设备断开，已录制的部分已保存", "A device was lost; what was recorded is saved"),
}
COLORS = {"staff": QColor("#2e7d32"), "customer": QColor("#1565c0")}


class _Bridge(QObject):
    """Notices from the session's threads, delivered in the GUI thread."""

    notice = Signal(object, str)


class RecordWindow(QMainWindow):
    def __init__(
        self, options: AuditOptions, models: str | None, source: Source, out: Path, lang: str
    ) -> None:
        super().__init__()
        self.options, self.models, self.source, self.out, self.lang = (
            options,
            models,
            source,
            out,
            lang,
        )
        self.session: RecordingSession | None = None
        self.result: AuditResult | None = None
        self.hints: dict[tuple[str, str | None, str], Notice] = {}
        self.said: set[str] = set()
        self.shown: set[str] = set()  # documents read
        self.asked: Notice | None = None  # the document to show now
        self.started = 0.0
        self.worker = Worker("record", parent=self)
        self.bridge = _Bridge()
        self.bridge.notice.connect(self._on_notice)
        self.setWindowTitle(self.w("title"))
        self._build()
        self.timer = QTimer(self)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self._tick)

    def w(self, key: str) -> str:
        zh, en = WORDS[key]
        return en if self.lang == "en" else zh

    # -- layout ------------------------------------------------------------------------

    def _build(self) -> None:
        root = QWidget()
        row = QHBoxLayout(root)
        left = QVBoxLayout()
        self.banner = QLabel(self.w("preparing"))
        self.banner.setWordWrap(True)
        self.banner.setMinimumHeight(56)
        self._banner_style(False)
        left.addWidget(self.banner)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(480, 270)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.picture.setStyleSheet("background: #111;")
        left.addWidget(self.picture, 1)
        controls = QHBoxLayout()
        self.clock = QLabel("00:00")
        self.clock.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.record_button = QPushButton(self.w("record"))
        self.stop_button = QPushButton(self.w("stop"))
        for b in (self.record_button, self.stop_button):
            b.setMinimumHeight(40)
            b.setStyleSheet("font-size: 18px; padding: 4px 24px;")
        self.record_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        self.record_button.clicked.connect(self.start_recording)
        self.stop_button.clicked.connect(self.stop_recording)
        controls.addWidget(self.clock)
        controls.addStretch(1)
        controls.addWidget(self.record_button)
        controls.addWidget(self.stop_button)
        left.addLayout(controls)
        row.addLayout(left, 3)
        row.addWidget(self._side(), 2)
        self.setCentralWidget(root)

    def _side(self) -> QWidget:
        side = QWidget()
        col = QVBoxLayout(side)
        self.next_label = QLabel(self.w("next"))
        self.next_label.setStyleSheet("font-size: 16px; color: #555;")
        self.prompter = QLabel("")
        self.prompter.setWordWrap(True)
        self.prompter.setStyleSheet(
            "font-size: 30px; font-weight: bold; background: #fffbe6; padding: 10px;"
        )
        self.prompter.setMinimumHeight(150)
        self.prompter.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.stages = QLabel("")
        self.stages.setWordWrap(True)
        self.stages.setTextFormat(Qt.TextFormat.RichText)
        self.stages.setStyleSheet("font-size: 16px;")
        self.stages.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.outcome = QLabel("")
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        self.outcome.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.outcome.setStyleSheet("font-size: 16px;")
        for widget in (self.next_label, self.prompter, self.stages, self.outcome):
            col.addWidget(widget)
        col.addStretch(1)
        return side

    def _banner_style(self, alarm: bool, amber: bool = False) -> None:
        color = "#c62828" if alarm else "#ef6c00" if amber else "#2e7d32"
        self.banner.setStyleSheet(
            f"font-size: 24px; font-weight: bold; color: white; background: {color};"
            " padding: 6px 12px;"
        )

    # -- session -----------------------------------------------------------------------

    def prepare(self) -> None:
        """Open the devices and load the models in the worker; Record is enabled after."""

        def build() -> RecordingSession:
            pipeline = AuditPipeline(self.options, models_dir=self.models)
            profile = self.options.profile or "fund_sale"
            listen = self.bridge.notice.emit
            return RecordingSession(pipeline, profile, self.out, self.source, (listen,))

        self.worker.submit(build, self._prepared, self._failed)

    def _prepared(self, session: object) -> None:
        assert isinstance(session, RecordingSession)
        self.session = session
        self.banner.setText(self.w("ready"))
        self.record_button.setEnabled(True)
        self._show_script()

    def _failed(self, exc: object) -> None:
        self.banner.setText(str(exc))
        self._banner_style(True)
        show_error(self, self.w("title"), exc)

    def start_recording(self) -> None:
        if self.session is None:
            return
        self.record_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.started = time.monotonic()
        self.session.start()
        self.timer.start()
        self._show_hints()

    def stop_recording(self) -> None:
        session = self.session
        if session is None or not self.stop_button.isEnabled():
            return
        self.stop_button.setEnabled(False)
        self.timer.stop()
        self.banner.setText(self.w("auditing"))
        self._banner_style(False)
        self.worker.submit(session.finish, self._audited, self._failed)

    def _audited(self, result: object) -> None:
        assert isinstance(result, AuditResult)
        self.result = result
        verdict = precheck(result)
        head = self.w(result.decision if result.decision in WORDS else "error")
        lines = [f"<p style='font-size:28px'><b>{head}</b></p>"]
        if verdict.items:
            lines.append(f"<p>{self.w('redo')}</p><ul>")
            for item in verdict.items:
                at = "" if item.start is None else f"{_mmss(item.start)} "
                advice = "" if item.advice is None else f"：{item.advice.get(self.lang)}"
                lines.append(f"<li>{at}{item.text.get(self.lang)}{advice}</li>")
            lines.append("</ul>")
        else:
            lines.append(f"<p>{self.w('nothing')}</p>")
        lines.append(f"<p style='color:#555'>{self.w('saved')}{self.out}</p>")
        self.outcome.setText("".join(lines))
        self.banner.setText(head)
        self._banner_style(result.decision != "approve")

    # -- live --------------------------------------------------------------------------

    def _on_notice(self, notice: Notice, change: str) -> None:
        key = (notice.code, notice.party, str(notice.details.get("side", "")))
        if notice.kind == "hint":
            if change == "raised":
                self.hints[key] = notice
            else:
                self.hints.pop(key, None)
        elif notice.kind == "stage" and notice.stage:
            self.said.add(notice.stage)
            self._show_script()
        elif notice.kind == "alarm":
            self.hints[key] = notice
        elif notice.kind == "document":
            if notice.code == "document_asked":
                self.asked = notice
            elif notice.stage:
                self.shown.add(notice.stage)
                if self.asked is not None and self.asked.stage == notice.stage:
                    self.asked = None
            self._show_script()
        self._show_hints()

    def _show_hints(self) -> None:
        if not self.hints:
            asked = self.asked
            self.banner.setText(self.w("ok") if asked is None else asked.message.get(self.lang))
            self._banner_style(False, amber=asked is not None)
            return
        texts = [n.message.get(self.lang) for n in self.hints.values()]
        self.banner.setText("  ·  ".join(dict.fromkeys(texts)))
        self._banner_style(True)

    def _show_script(self) -> None:
        if self.session is None:
            return
        profile = self.session.profile
        todo = [s for s in profile.stages if s.id not in self.said]
        if todo:
            self.prompter.setText(" / ".join(p.text for p in todo[0].phrases))
        else:
            self.prompter.setText(self.w("all_said"))
        rows = [f"<b>{self.w('stages')}</b>"]
        for s in profile.stages:
            name = s.name.en if self.lang == "en" else s.name.zh
            mark = "✓" if s.id in self.said else "▶" if todo and s is todo[0] else "○"
            color = "#2e7d32" if s.id in self.said else "#000"
            rows.append(f"<div style='color:{color}'>{mark} {name}</div>")
        if profile.documents:
            rows.append(f"<br><b>{self.w('documents')}</b>")
            for d in profile.documents:
                asked = self.asked is not None and self.asked.stage == d.id
                mark = "✓" if d.id in self.shown else "▶" if asked else "○"
                name = d.name.en if self.lang == "en" else d.name.zh
                rows.append(f"<div>{mark} {name}</div>")
        self.stages.setText("".join(rows))

    def _tick(self) -> None:
        session = self.session
        if session is None:
            return
        self.clock.setText(f"{self.w('recording')}  {_mmss(session.clock())}")
        frame = session.latest
        if frame is not None:
            self._draw(frame, session.looking.state.boxes)
        if session.wait(0) and self.stop_button.isEnabled():  # the source ended or was lost
            if session.device_lost:
                self.banner.setText(self.w("lost"))
            self.stop_recording()

    def _draw(self, frame: Any, boxes: dict[str, tuple[float, float, float, float]]) -> None:
        """The latest frame scaled to the picture's size while converted (one swscale call,
        no slice threads), each party's face box on it."""
        size = self.picture.size()
        k = min(size.width() / frame.width, size.height() / frame.height, 1.0)
        w, h = max(2, int(frame.width * k) // 2 * 2), max(2, int(frame.height * k) // 2 * 2)
        img = np.ascontiguousarray(convert_array(frame, width=w, height=h, format="rgb24"))
        pix = QPixmap.fromImage(QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())
        k = w / frame.width
        painter = QPainter(pix)
        for party, (x, y, bw, bh) in boxes.items():
            painter.setPen(QPen(COLORS.get(party, QColor("yellow")), 3))
            painter.drawRect(QRectF(x * k, y * k, bw * k, bh * k))
        painter.end()
        self.picture.setPixmap(pix)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing while recording asks; the file is never lost (stop saves it)."""
        recording = self.session is not None and self.stop_button.isEnabled()
        if recording:
            answer = QMessageBox.question(self, self.w("title"), self.w("close_q"))
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            assert self.session is not None
            self.timer.stop()
            self.session.finish()  # the file is closed and audited before the window goes
        elif self.session is not None and self.record_button.isEnabled():
            self.session.discard()  # prepared, never started
        self.worker.wait(60_000)
        event.accept()


def _mmss(t: float) -> str:
    return f"{int(t) // 60:02d}:{int(t) % 60:02d}"


def record_main(args: argparse.Namespace, options: AuditOptions) -> int:
    """``dualrec-audit record``: the window (or, with ``--screenshot``, a picture of it taken
    once a hint is shown, or after ``--duration`` seconds)."""
    from .app import _save, _setup, _size, wait_until

    app, _settings, lang = _setup(args)
    if args.source is not None:
        source: Source = FileSource(args.source, realtime=args.realtime)
    else:
        source = DeviceSource(args.camera, args.mic)
    win = RecordWindow(options, str(args.models) if args.models else None, source, args.out, lang)
    win.resize(*(_size(args.size) if args.size else (1366, 768)))
    win.show()
    win.prepare()
    if not args.screenshot:
        return int(app.exec())
    try:
        wait_until(lambda: win.session is not None or win.worker.idle(), 120, "the devices")
        if win.session is None:
            raise DualrecError("the recording could not be prepared")
        win.start_recording()
        limit = args.duration or 30.0
        wait_until(
            lambda: bool(win.hints) or win.session is None or win.session.clock() >= limit,
            limit + 10,
            "a hint",
        )
        pause = time.monotonic() + 0.3
        wait_until(lambda: time.monotonic() >= pause, 5, "the picture")
        _save(win, args.screenshot)
        win.stop_recording()
        wait_until(lambda: win.result is not None or win.worker.idle(), 300, "the audit")
    finally:
        win.worker.wait(300_000)
        win.close()
    QApplication.processEvents()
    return 0
