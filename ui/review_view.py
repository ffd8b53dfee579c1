"""The review view: the player goes straight to the low-score segments.

Player and timeline on the left; findings, the stage checklist and the transcript on the
right; the decision underneath. Next / Previous finding (N / P) jump to the start of the next
place to watch, pre-roll included (``dualrec_audit.review.stops``). Everything that touches
the database runs in the database worker; the view only shows what comes back."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QRect, QSettings, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QKeySequence,
    QShortcut,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dualrec_audit.db.store import (
    CLAIM_TTL_S,
    ClaimedError,
    RunSummary,
    Store,
    StoredClaim,
    StoredDecision,
    StoredFinding,
)
from dualrec_audit.i18n import CHECK_NAMES, DECISIONS, PARTY, REASON_CODES
from dualrec_audit.report import fmt_span, fmt_time
from dualrec_audit.result import AuditResult
from dualrec_audit.review import (
    FaceTracks,
    Span,
    covers_recording,
    current_span,
    listed_first,
    missing_stages,
    next_stop,
    previous_stop,
    seek_target,
    stops,
    to_position,
    to_seconds,
    track_frame_size,
    transcript_lines,
    transcript_spans,
)
from dualrec_audit.watch import script_by_ear, watch_intervals

from .dialogs import show_error
from .player import RATES, Player, VideoView
from .settings import text_value
from .timeline import Band, Marker, Timeline, documents_band
from .workers import Database

log = logging.getLogger("dualrec_audit.ui")

DECISION_COLOURS = {
    "approve": "#2e7d32",
    "review": "#ef6c00",
    "rerecord": "#c62828",
    "error": "#616161",
}
GREEN, RED, GREY = QColor(46, 125, 50), QColor(198, 40, 40), QColor(117, 117, 117)


@dataclass
class ReviewData:
    """Everything the view shows about one audit run (read in the database worker)."""

    summary: RunSummary
    result: AuditResult
    findings: list[StoredFinding]  # the findings list, in display order
    false_alarms: set[int]
    video: str | None  # an existing file of the recording, if any
    claim: StoredClaim | None  # ours
    claimed_by: ClaimedError | None  # someone else's
    decisions: list[StoredDecision]


def listed_findings(result: AuditResult, stored: list[StoredFinding]) -> list[StoredFinding]:
    """The business profile's findings (each names its rule and evidence); the layer-1 events
    when the run had no profile. Located ones by time, then those about the whole recording."""
    source = "rule" if result.profile is not None else "event"
    rows = [f for f in stored if f.source == source]
    d = result.duration_s
    return sorted(rows, key=lambda f: listed_first(f.event.start, f.event.end, d))


def load_review(store: Store, run_id: int, reviewer: str, claim: bool) -> ReviewData:
    summary = store.run(run_id)
    result = store.result(run_id)
    findings = listed_findings(result, store.stored_findings(run_id))
    video = next(
        (p for p in [result.file, *store.paths(summary.recording_id)] if Path(p).is_file()),
        None,
    )
    mine: StoredClaim | None = None
    other: ClaimedError | None = None
    if claim and reviewer:
        try:
            mine = store.claim(summary.recording_id, reviewer)
        except ClaimedError as exc:
            other = exc
    return ReviewData(
        summary=summary,
        result=result,
        findings=findings,
        false_alarms=store.false_alarms(run_id),
        video=video,
        claim=mine,
        claimed_by=other,
        decisions=store.decisions(summary.recording_id),
    )


def local_time(stamp: str) -> str:
    """An ISO UTC stamp as local "YYYY-MM-DD HH:MM"."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


class ReviewView(QWidget):
    loaded = Signal(int)  # run id, once the data is shown
    decision_saved = Signal(int)  # run id
    claim_changed = Signal()

    def __init__(
        self,
        db: Database,
        settings: QSettings,
        lang: str,
        reviewer: str,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("reviewView")
        self.db = db
        self.settings = settings
        self.lang = lang
        self.data: ReviewData | None = None
        self.stop_list: list[int] = []
        self.spans: list[Span] = []
        self.span_starts: list[float] = []
        self.span_pos: list[tuple[int, int]] = []
        self.current_word: int | None = None
        self.read_only = True
        self.wanted: int | None = None  # the run asked for last
        self._selecting = False
        self._build(reviewer)
        self.renew_timer = QTimer(self)
        self.renew_timer.setInterval(int(CLAIM_TTL_S * 1000 / 3))
        self.renew_timer.timeout.connect(self._renew)
        self._set_enabled(False)

    # -- layout ------------------------------------------------------------------------------

    def _build(self, reviewer: str) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)

        self.title = QLabel(self.tr("Open a recording from the queue"))
        self.title.setObjectName("reviewTitle")
        font = self.title.font()
        font.setPointSize(font.pointSize() + 3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.claim_banner = QLabel()
        self.claim_banner.setObjectName("claimBanner")
        self.claim_banner.setWordWrap(True)
        self.claim_banner.hide()
        self.ear_banner = QLabel()
        self.ear_banner.setObjectName("earBanner")
        self.ear_banner.setWordWrap(True)
        self.ear_banner.setStyleSheet(
            "background:#fff3e0; color:#8a4b00; padding:4px; border:1px solid #ffb74d;"
        )
        self.ear_banner.hide()
        root.addWidget(self.title)
        root.addWidget(self.claim_banner)
        root.addWidget(self.ear_banner)

        split = QSplitter(Qt.Orientation.Horizontal)
        root.addWidget(split, 1)

        # Left: player, controls, timeline.
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.video = VideoView()
        self.video.labels = {k: v.get(self.lang) for k, v in PARTY.items()}
        self.player = Player(self.video, self)
        lv.addWidget(self.video, 1)
        controls = QHBoxLayout()
        self.prev_btn = QPushButton(self.tr("◀ Previous finding (P)"))
        self.prev_btn.setObjectName("previousFinding")
        self.play_btn = QPushButton(self.tr("Play"))
        self.play_btn.setObjectName("play")
        self.next_btn = QPushButton(self.tr("Next finding (N) ▶"))
        self.next_btn.setObjectName("nextFinding")
        self.back_frame = QPushButton(self.tr("◀ Frame"))
        self.back_frame.setToolTip(self.tr("One frame back (,)"))
        self.fwd_frame = QPushButton(self.tr("Frame ▶"))
        self.fwd_frame.setToolTip(self.tr("One frame forward (.)"))
        self.speed = QComboBox()
        self.speed.setObjectName("speed")
        for r in RATES:
            self.speed.addItem(f"{r:g}×", r)
        self.speed.setCurrentIndex(RATES.index(1.0))
        self.speed.setToolTip(self.tr("Playback speed ([ and ])"))
        self.overlay = QCheckBox(self.tr("Face boxes (O)"))
        self.overlay.setObjectName("overlay")
        self.overlay.setChecked(True)
        self.time_label = QLabel("00:00 / 00:00")
        self.time_label.setObjectName("timeLabel")
        for w in (
            self.prev_btn,
            self.play_btn,
            self.next_btn,
            self.back_frame,
            self.fwd_frame,
        ):
            controls.addWidget(w)
        controls.addWidget(QLabel(self.tr("Speed")))
        controls.addWidget(self.speed)
        controls.addWidget(self.overlay)
        controls.addStretch(1)
        controls.addWidget(self.time_label)
        lv.addLayout(controls)
        self.timeline = Timeline()
        lv.addWidget(self.timeline)
        split.addWidget(left)

        # Right: findings, checklist, transcript.
        right = QSplitter(Qt.Orientation.Vertical)
        fbox = QGroupBox(self.tr("Findings"))
        fl = QVBoxLayout(fbox)
        self.findings = QTreeWidget()
        self.findings.setObjectName("findings")
        self.findings.setRootIsDecorated(False)
        self.findings.setColumnCount(3)
        self.findings.setHeaderLabels(["#", self.tr("Time"), self.tr("Problem")])
        header = self.findings.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(True)
        self.findings.setUniformRowHeights(False)
        self.findings.setWordWrap(True)
        self.findings.setTextElideMode(Qt.TextElideMode.ElideNone)
        # Re-wrap the rows when the problem column changes width.
        header.sectionResized.connect(lambda *_: self._wrap_rows())
        fl.addWidget(self.findings)
        frow = QHBoxLayout()
        self.false_alarm_btn = QPushButton(self.tr("Mark as false alarm"))
        self.false_alarm_btn.setObjectName("falseAlarm")
        self.false_alarm_btn.setToolTip(
            self.tr("Kept to calibrate the checks; it does not change the decision")
        )
        frow.addStretch(1)
        frow.addWidget(self.false_alarm_btn)
        fl.addLayout(frow)
        right.addWidget(fbox)

        sbox = QGroupBox(self.tr("Script stages"))
        sl = QVBoxLayout(sbox)
        self.stages = QListWidget()
        self.stages.setObjectName("stages")
        sl.addWidget(self.stages)
        right.addWidget(sbox)

        tbox = QGroupBox(self.tr("Transcript"))
        tl = QVBoxLayout(tbox)
        self.transcript = QTextEdit()
        self.transcript.setObjectName("transcript")
        self.transcript.setReadOnly(True)
        tl.addWidget(self.transcript)
        right.addWidget(tbox)
        right.setSizes([260, 150, 200])
        right.setMinimumWidth(460)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        # Bottom: the decision.
        dbox = QGroupBox(self.tr("Decision"))
        dl = QHBoxLayout(dbox)
        form = QFormLayout()
        self.reviewer = QLineEdit(reviewer)
        self.reviewer.setObjectName("reviewer")
        self.reviewer.setMaximumWidth(180)
        form.addRow(self.tr("Reviewer"), self.reviewer)
        self.reason_code = QComboBox()
        self.reason_code.setObjectName("reasonCode")
        self.reason_code.addItem(self.tr("(no reason code)"), "")
        for code, text in REASON_CODES.items():
            self.reason_code.addItem(text.get(self.lang), code)
        form.addRow(self.tr("Reason"), self.reason_code)
        dl.addLayout(form)
        self.reason_text = QLineEdit()
        self.reason_text.setObjectName("reasonText")
        self.reason_text.setPlaceholderText(self.tr("Reason text (required to reject)"))
        self.reason_text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        dl.addWidget(self.reason_text, 1)
        self.approve_btn = QPushButton(self.tr("Approve"))
        self.approve_btn.setObjectName("approve")
        self.approve_btn.setStyleSheet("QPushButton:enabled { color: #1b5e20; font-weight: bold; }")
        self.reject_btn = QPushButton(self.tr("Reject (re-record)"))
        self.reject_btn.setObjectName("reject")
        self.reject_btn.setStyleSheet("QPushButton:enabled { color: #b71c1c; font-weight: bold; }")
        self.escalate_btn = QPushButton(self.tr("Escalate"))
        self.escalate_btn.setObjectName("escalate")
        for b in (self.approve_btn, self.reject_btn, self.escalate_btn):
            dl.addWidget(b)
        root.addWidget(dbox)
        self.decision_status = QLabel()
        self.decision_status.setObjectName("decisionStatus")
        self.decision_status.setWordWrap(True)
        root.addWidget(self.decision_status)

        # Wiring.
        self.prev_btn.clicked.connect(self.previous_finding)
        self.next_btn.clicked.connect(self.next_finding)
        self.play_btn.clicked.connect(self.player.toggle)
        self.back_frame.clicked.connect(lambda: self.player.step(-1))
        self.fwd_frame.clicked.connect(lambda: self.player.step(1))
        self.speed.currentIndexChanged.connect(
            lambda i: self.player.set_rate(float(self.speed.itemData(i)))
        )
        self.overlay.toggled.connect(self.player.set_overlay)
        self.player.position_changed.connect(self._position)
        self.player.duration_changed.connect(lambda _ms: self._position(self.player.position()))
        self.player.playing_changed.connect(
            lambda on: self.play_btn.setText(self.tr("Pause") if on else self.tr("Play"))
        )
        self.player.failed.connect(self._player_failed)
        self.timeline.seek_requested.connect(self.player.seek)
        self.timeline.marker_clicked.connect(self.select_finding)
        self.findings.currentItemChanged.connect(self._finding_row)
        self.findings.itemClicked.connect(self._finding_clicked)
        self.stages.itemClicked.connect(self._stage_clicked)
        self.false_alarm_btn.clicked.connect(self.toggle_false_alarm)
        self.approve_btn.clicked.connect(lambda: self.decide("approve"))
        self.reject_btn.clicked.connect(lambda: self.decide("rerecord"))
        self.escalate_btn.clicked.connect(lambda: self.decide("escalate"))
        self.reason_text.textChanged.connect(self._save_draft)
        self.reason_code.currentIndexChanged.connect(self._save_draft)

        keys = {
            "N": self.next_finding,
            "P": self.previous_finding,
            "Space": self.player.toggle,
            ",": lambda: self.player.step(-1),
            ".": lambda: self.player.step(1),
            "[": lambda: self._change_speed(-1),
            "]": lambda: self._change_speed(1),
            "O": self.overlay.toggle,
            "Left": lambda: self.player.seek(self.player.position() - 5000),
            "Right": lambda: self.player.seek(self.player.position() + 5000),
        }
        self.shortcuts = []
        for key, fn in keys.items():
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(fn)
            self.shortcuts.append(sc)

    # -- opening a recording -------------------------------------------------------------------

    def open_run(self, run_id: int, claim: bool = True) -> None:
        """Load a run (in the database worker); the previous recording's claim is released."""
        self.close_run()
        self.wanted = run_id
        self.title.setText(self.tr("Loading…"))
        reviewer = self.reviewer.text().strip()
        self.db.call(
            lambda store: load_review(store, run_id, reviewer, claim),
            self._show,
            lambda exc: show_error(self, self.tr("Cannot open the recording"), exc),
        )

    def close_run(self) -> None:
        """Stop playing and give the claim back (the view stays empty)."""
        self.renew_timer.stop()
        if self.data is not None and self.data.claim is not None:
            rec, who = self.data.summary.recording_id, self.data.claim.reviewer
            self.db.call(lambda store: store.release(rec, who), self._released)
        self.data = None
        self.player.unload()
        self._set_enabled(False)

    def _released(self, _released: bool) -> None:
        self.claim_changed.emit()

    @Slot(object)
    def _show(self, data: ReviewData) -> None:
        if data.summary.run_id != self.wanted:  # another recording was opened meanwhile
            if data.claim is not None:
                rec, who = data.summary.recording_id, data.claim.reviewer
                self.db.call(lambda store: store.release(rec, who))
            return
        self.data = data
        r, s = data.result, data.summary
        lang = self.lang
        colour = DECISION_COLOURS.get(r.decision, "#616161")
        profile = (r.profile or {}).get("name", {}).get(lang) or (s.profile_id or "")
        meta = " · ".join(x for x in (s.meta.branch, s.meta.teller, profile) if x)
        score = self.tr("Score")
        self.title.setText(
            f"{s.name} &nbsp; <span style='color:{colour}'>{DECISIONS[r.decision].get(lang)}</span>"
            f" &nbsp; {score} {r.score:.0f} &nbsp; <small>{meta}</small>"
        )
        # Claim.
        self.read_only = data.claimed_by is not None
        if data.claimed_by is not None:
            self.claim_banner.setText(
                self.tr("{who} is reviewing this recording (until {until}): read only.").format(
                    who=data.claimed_by.reviewer, until=local_time(data.claimed_by.expires_at)
                )
            )
            self.claim_banner.setStyleSheet(
                "background:#ffebee; color:#b71c1c; padding:4px; border:1px solid #e57373;"
            )
            self.claim_banner.show()
        else:
            self.claim_banner.hide()
        if data.claim is not None:
            self.renew_timer.start()
        self.claim_changed.emit()
        # By ear.
        if script_by_ear(r):
            script = r.checks.get("script")
            why = script.reason.get(lang) if script is not None and script.reason else ""
            self.ear_banner.setText(
                self.tr(
                    "The tool could not check the script ({why}). Listen to the whole recording "
                    "for the required stages; the timeline only marks what it could check."
                ).format(why=why)
            )
            self.ear_banner.show()
        else:
            self.ear_banner.hide()
        self._fill_findings()
        self._fill_stages()
        self._fill_transcript()
        self._fill_timeline()
        self._show_history()
        self._restore_draft()
        self.stop_list = stops(r)
        self._set_enabled(True)
        if data.video is None:
            show_error(
                self,
                self.tr("The recording's file cannot be found"),
                self.tr("Looked for: {path}").format(path=r.file),
            )
        else:
            fps = r.media.fps if r.media is not None else 25.0
            if r.media is not None:
                self.video.set_frame_size(*track_frame_size(r.media))
            self.player.load(data.video, fps, FaceTracks.of(r))
        self.loaded.emit(s.run_id)

    def _set_enabled(self, on: bool) -> None:
        for w in (
            self.prev_btn,
            self.next_btn,
            self.play_btn,
            self.back_frame,
            self.fwd_frame,
            self.speed,
            self.overlay,
        ):
            w.setEnabled(on)
        editable = on and not self.read_only
        for w in (
            self.approve_btn,
            self.reject_btn,
            self.escalate_btn,
            self.reason_code,
            self.reason_text,
            self.false_alarm_btn,
        ):
            w.setEnabled(editable)

    def _fill_findings(self) -> None:
        assert self.data is not None
        self._selecting = True
        self.findings.clear()
        d = self.data.result.duration_s
        for i, f in enumerate(self.data.findings, 1):
            e = f.event
            whole = covers_recording(e.start, e.end, d)
            when = self.tr("whole recording") if whole else fmt_span(e.start, e.end)
            text = e.message.get(self.lang)
            if e.details.get("mandatory"):
                text = self.tr("[mandatory] ") + text
            item = QTreeWidgetItem([str(i), when, text])
            item.setData(0, Qt.ItemDataRole.UserRole, f.id)
            item.setData(2, Qt.ItemDataRole.UserRole, text)
            item.setData(1, Qt.ItemDataRole.UserRole, e.severity)
            item.setToolTip(2, text)
            self.findings.addTopLevelItem(item)
        self._show_false_alarms()
        self._selecting = False

    def _show_false_alarms(self) -> None:
        assert self.data is not None
        for i in range(self.findings.topLevelItemCount()):
            item = self.findings.topLevelItem(i)
            fid = item.data(0, Qt.ItemDataRole.UserRole)
            marked = fid in self.data.false_alarms
            text = str(item.data(2, Qt.ItemDataRole.UserRole))
            item.setText(2, text + ("  " + self.tr("(false alarm)") if marked else ""))
            severity = str(item.data(1, Qt.ItemDataRole.UserRole))
            colour = {"high": RED, "medium": QColor(230, 81, 0)}.get(severity, GREY)
            item.setForeground(2, QBrush(GREY if marked else colour))
            font = item.font(2)
            font.setStrikeOut(marked)
            item.setFont(2, font)
        self._wrap_rows()
        self._update_false_alarm_button()

    def _wrap_rows(self) -> None:
        """Row heights that fit each problem's text wrapped to the column's width."""
        width = max(60, self.findings.columnWidth(2) - 10)
        metrics = self.findings.fontMetrics()
        for i in range(self.findings.topLevelItemCount()):
            item = self.findings.topLevelItem(i)
            box = metrics.boundingRect(
                QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, item.text(2)
            )
            item.setSizeHint(2, QSize(width, box.height() + 6))

    def _fill_stages(self) -> None:
        assert self.data is not None
        self.stages.clear()
        for st in self.data.result.stages:
            name = st.name.get(self.lang)
            if st.status == "found":
                mark, colour = "✓", GREEN
                when = fmt_span(st.start or 0.0, st.end or 0.0)
                text = f"{mark} {name}  {when}"
            elif st.status == "missing":
                mark, colour = "✗", RED
                text = f"{mark} {name}  " + self.tr("not heard")
            else:
                mark, colour = "?", GREY
                text = f"{mark} {name}  " + self.tr("not checked: listen for it")
            if not st.required:
                text += "  " + self.tr("(optional)")
            item = QListWidgetItem(text)
            item.setForeground(QBrush(colour))
            item.setData(Qt.ItemDataRole.UserRole, st.start)
            self.stages.addItem(item)
        if not self.data.result.stages:
            self.stages.addItem(QListWidgetItem(self.tr("No business profile: no stages")))

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
            why = tr.reason.get(self.lang) if tr is not None and tr.reason else ""
            cursor.insertText(self.tr("No transcript.") + (f" {why}" if why else ""), grey)
            return
        formats = {"plain": QTextCharFormat(), "required": QTextCharFormat(), "forbidden": red}
        formats["required"].setForeground(QBrush(GREEN))
        formats["required"].setFontWeight(QFont.Weight.Bold)
        time_fmt = QTextCharFormat()
        time_fmt.setForeground(QBrush(GREY))
        line_starts = set(transcript_lines(self.spans))
        for i, span in enumerate(self.spans):
            if i in line_starts:
                if i:
                    cursor.insertText("\n", formats["plain"])
                cursor.insertText(f"[{fmt_time(span.start)}] ", time_fmt)
            start = cursor.position()
            cursor.insertText(span.text, formats[span.kind])
            self.span_pos.append((start, cursor.position()))

    def _fill_timeline(self) -> None:
        assert self.data is not None
        r = self.data.result
        bands = []
        for name, check in r.checks.items():
            label = CHECK_NAMES[name].get(self.lang) if name in CHECK_NAMES else name
            note = check.reason.get(self.lang) if check.reason else ""
            bands.append(
                documents_band(r, label, self.lang)
                if name == "documents"
                else Band(label, check.timeline, check.status != "unavailable", note)
            )
        markers = [
            Marker(
                f.id,
                f.event.start,
                f.event.end,
                f.event.severity,
                f"{fmt_span(f.event.start, f.event.end)} {f.event.message.get(self.lang)}",
                f.id in self.data.false_alarms,
            )
            for f in self.data.findings
            if not covers_recording(f.event.start, f.event.end, r.duration_s)
        ]
        self.timeline.set_data(r.duration_s, bands, markers, watch_intervals(r))

    def _show_history(self) -> None:
        assert self.data is not None
        if not self.data.decisions:
            self.decision_status.setText("")
            return
        d = self.data.decisions[-1]
        self.decision_status.setText(
            self.tr("Last decision: {verdict} by {who} at {when}").format(
                verdict=self._verdict_name(d.verdict), who=d.reviewer, when=local_time(d.created_at)
            )
        )

    def _verdict_name(self, verdict: str) -> str:
        return {
            "approve": self.tr("Approve"),
            "rerecord": self.tr("Reject (re-record)"),
            "escalate": self.tr("Escalate"),
        }.get(verdict, verdict)

    # -- moving around -------------------------------------------------------------------------

    @Slot()
    def next_finding(self) -> None:
        target = next_stop(self.stop_list, self.player.position())
        if target is not None:
            self.player.seek(target)

    @Slot()
    def previous_finding(self) -> None:
        target = previous_stop(self.stop_list, self.player.position())
        if target is not None:
            self.player.seek(target)

    def _change_speed(self, step: int) -> None:
        i = max(0, min(self.speed.count() - 1, self.speed.currentIndex() + step))
        self.speed.setCurrentIndex(i)

    @Slot(int)
    def _position(self, ms: int) -> None:
        self.timeline.set_position(ms)
        self.time_label.setText(
            f"{fmt_time(to_seconds(ms))} / {fmt_time(to_seconds(self.player.duration()))}"
        )
        self._follow_transcript(to_seconds(ms))

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
        self._update_false_alarm_button()
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

    def _stage_clicked(self, item: QListWidgetItem) -> None:
        start = item.data(Qt.ItemDataRole.UserRole)
        if start is not None:
            self.player.seek(seek_target(float(start)))

    def seek_exact(self, seconds: float) -> None:
        self.player.seek(to_position(seconds))

    @Slot(str)
    def _player_failed(self, text: str) -> None:
        show_error(self, self.tr("The video cannot be played"), text)

    # -- false alarms --------------------------------------------------------------------------

    def _current_finding(self) -> int | None:
        item = self.findings.currentItem()
        return None if item is None else int(item.data(0, Qt.ItemDataRole.UserRole))

    def _update_false_alarm_button(self) -> None:
        fid = self._current_finding()
        marked = self.data is not None and fid in self.data.false_alarms
        self.false_alarm_btn.setText(
            self.tr("Not a false alarm") if marked else self.tr("Mark as false alarm")
        )
        self.false_alarm_btn.setEnabled(fid is not None and not self.read_only)

    @Slot()
    def toggle_false_alarm(self) -> None:
        fid = self._current_finding()
        if self.data is None or fid is None:
            return
        label = "confirmed" if fid in self.data.false_alarms else "false_alarm"
        reviewer = self.reviewer.text().strip()
        run_id = self.data.summary.run_id

        def save(store: Store) -> set[int]:
            store.add_feedback(fid, reviewer, label)
            return store.false_alarms(run_id)

        def saved(marks: set[int]) -> None:
            if self.data is not None and self.data.summary.run_id == run_id:
                self.data.false_alarms.clear()
                self.data.false_alarms.update(marks)
                self._show_false_alarms()
                self._fill_timeline()
                self.timeline.select(fid)

        self.db.call(save, saved, lambda exc: show_error(self, self.tr("Not saved"), exc))

    # -- the decision --------------------------------------------------------------------------

    def decide(self, verdict: str) -> None:
        """Validate here (say what is missing next to the buttons), save in the worker."""
        if self.data is None or self.read_only:
            return
        reviewer = self.reviewer.text().strip()
        code = str(self.reason_code.currentData() or "")
        text = self.reason_text.text().strip()
        problem = None
        if not reviewer:
            problem = self.tr("Enter your name as the reviewer.")
        elif verdict != "approve" and not code:
            problem = self.tr("Choose a reason code.")
        elif verdict == "rerecord" and not text:
            problem = self.tr("Rejecting needs a reason text: say what must be re-recorded.")
        if problem:
            self.decision_status.setText(f"<span style='color:#b71c1c'>{problem}</span>")
            (
                self.reviewer if not reviewer else self.reason_text if code else self.reason_code
            ).setFocus()
            return
        self.settings.setValue("reviewer", reviewer)
        run_id, rec = self.data.summary.run_id, self.data.summary.recording_id

        def save(store: Store) -> StoredDecision:
            store.add_decision(
                run_id, reviewer, verdict, code or None, text or None, check_claim=True
            )
            return store.decisions(rec)[-1]

        for b in (self.approve_btn, self.reject_btn, self.escalate_btn):
            b.setEnabled(False)
        self.db.call(save, lambda d: self._saved(run_id, d), self._save_failed)

    def _saved(self, run_id: int, decision: StoredDecision) -> None:
        self.renew_timer.stop()
        if self.data is not None and self.data.summary.run_id == run_id:
            self.data.decisions.append(decision)
            self.data.claim = None  # the decision released it
            self._clear_draft()
            self.decision_status.setText(
                "<span style='color:#1b5e20'>"
                + self.tr("Saved: {verdict} by {who} at {when}").format(
                    verdict=self._verdict_name(decision.verdict),
                    who=decision.reviewer,
                    when=local_time(decision.created_at),
                )
                + "</span>"
            )
            self._set_enabled(True)
        self.decision_saved.emit(run_id)
        self.claim_changed.emit()

    def _save_failed(self, exc: object) -> None:
        self._set_enabled(self.data is not None)
        if isinstance(exc, ClaimedError):
            self.read_only = True
            self._set_enabled(True)
        show_error(self, self.tr("The decision was not saved"), exc)

    # -- claims and drafts ---------------------------------------------------------------------

    def _renew(self) -> None:
        if self.data is None or self.data.claim is None:
            return
        rec, who = self.data.summary.recording_id, self.data.claim.reviewer

        def lost(exc: object) -> None:
            if isinstance(exc, ClaimedError):
                self.renew_timer.stop()
                self.read_only = True
                self._set_enabled(True)
                self.claim_banner.setText(
                    self.tr("Your claim lapsed and {who} took this recording over.").format(
                        who=exc.reviewer
                    )
                )
                self.claim_banner.show()
            else:
                log.warning("claim not renewed: %s", exc)  # the database may come back

        self.db.call(lambda store: store.renew(rec, who), None, lost)

    def _draft_key(self) -> str | None:
        return None if self.data is None else f"drafts/{self.data.summary.recording_id}"

    def _save_draft(self, *_args: object) -> None:
        key = self._draft_key()
        if key is None or self._selecting:
            return
        self.settings.setValue(f"{key}/code", self.reason_code.currentData() or "")
        self.settings.setValue(f"{key}/text", self.reason_text.text())

    def _restore_draft(self) -> None:
        key = self._draft_key()
        self._selecting = True
        code = text_value(self.settings, f"{key}/code")
        self.reason_code.setCurrentIndex(max(0, self.reason_code.findData(code)))
        self.reason_text.setText(text_value(self.settings, f"{key}/text"))
        self._selecting = False

    def _clear_draft(self) -> None:
        key = self._draft_key()
        if key is not None:
            self.settings.remove(key)
        self._selecting = True
        self.reason_code.setCurrentIndex(0)
        self.reason_text.clear()
        self._selecting = False
