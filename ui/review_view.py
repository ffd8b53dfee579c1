"""The review view: the player goes straight to the low-score segments.

Player and timeline on the left; findings, the stage checklist and the transcript on the
right; the decision underneath. Next / Previous finding (N / P) jump to the start of the next
place to watch, pre-roll included (``dualrec_audit.review.player.stops``). Everything that touches
the database runs in the database worker; the view only shows what comes back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QRect, QSettings, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QKeySequence,
    QMouseEvent,
    QShortcut,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
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
    QTabWidget,
    QTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dualrec_audit.batch.report import fmt_span, fmt_time
from dualrec_audit.core.i18n import CHECK_NAMES, DECISIONS, PARTY, REASON_CODES, TALKER
from dualrec_audit.core.result import AuditResult
from dualrec_audit.review.player import (
    FaceTracks,
    covers_recording,
    listed_first,
    next_stop,
    previous_stop,
    seek_target,
    stops,
    to_position,
    to_seconds,
    track_frame_size,
)
from dualrec_audit.review.texts import fmt_tenths, for_reviewer
from dualrec_audit.review.transcript import (
    Span,
    current_span,
    line_speaker,
    missing_stages,
    span_speakers,
    transcript_lines,
    transcript_spans,
)
from dualrec_audit.store.database import Store
from dualrec_audit.store.records import (
    ClaimedError,
    RunSummary,
    StoredClaim,
    StoredDecision,
    StoredFeedback,
    StoredFinding,
)
from dualrec_audit.store.reviews import CLAIM_TTL_S
from dualrec_audit.store.workflow import StoredAppeal
from dualrec_audit.workflow.policy import (
    ROLE_NAMES,
    Account,
    Request,
    State,
    WatchTracker,
    WorkflowError,
    check_decision,
    unwatched,
    watched_record,
)
from dualrec_audit.workflow.watch import script_by_ear, watch_intervals

from .dialogs import show_error
from .login import ReasonDialog
from .player import RATES, Player, VideoView
from .settings import text_value
from .shortcuts import ShortcutOverlay
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
    state: State | None = None  # where the recording stands in the workflow
    appeals: list[StoredAppeal] = field(default_factory=list)
    verdicts: dict[int, StoredFeedback] = field(default_factory=dict)  # finding id -> latest


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
    verdicts = {f.finding_id: f for f in store.feedback(run_id)}
    return ReviewData(
        summary=summary,
        result=result,
        findings=findings,
        false_alarms={i for i, f in verdicts.items() if f.label == "false_alarm"},
        video=video,
        claim=mine,
        claimed_by=other,
        decisions=store.decisions(summary.recording_id),
        state=store.state(summary.recording_id),
        appeals=store.appeals(summary.recording_id),
        verdicts=verdicts,
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
    next_requested = Signal(int)  # the run just left: open the next recording in the queue

    def __init__(
        self,
        db: Database,
        settings: QSettings,
        lang: str,
        account: Account,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("reviewView")
        self.db = db
        self.settings = settings
        self.lang = lang
        self.account = account
        self.data: ReviewData | None = None
        self.stop_list: list[int] = []
        self.places: list[tuple[float, float]] = []  # the places to watch
        self.tracker = WatchTracker()
        self.playable = False
        self.spans: list[Span] = []
        self.span_starts: list[float] = []
        self.span_pos: list[tuple[int, int]] = []
        self.current_word: int | None = None
        self.read_only = True
        self.wanted: int | None = None  # the run asked for last
        self.pending: ReasonDialog | None = None  # the question being asked
        self._selecting = False
        self._build()
        self.renew_timer = QTimer(self)
        self.renew_timer.setInterval(int(CLAIM_TTL_S * 1000 / 3))
        self.renew_timer.timeout.connect(self._renew)
        self._set_enabled(False)

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)
        root.setSpacing(4)
        self.title = QLabel(self.tr("Open a recording from the queue"))
        self.title.setObjectName("reviewTitle")
        font = self.title.font()
        font.setPointSize(font.pointSize() + 3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        root.addWidget(self.title)
        self.claim_banner = self._banner("claimBanner", "#ffebee", "#b71c1c", "#e57373")
        self.state_banner = self._banner("stateBanner", "#ede7f6", "#4a148c", "#9575cd")
        self.ear_banner = self._banner("earBanner", "#fff3e0", "#8a4b00", "#ffb74d")
        for b in (self.claim_banner, self.state_banner, self.ear_banner):
            root.addWidget(b)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        root.addWidget(split, 1)
        split.addWidget(self._build_player())
        split.addWidget(self._build_side())
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        root.addWidget(self._build_decision())
        self.decision_status = QLabel()
        self.decision_status.setObjectName("decisionStatus")
        self.decision_status.setWordWrap(True)
        root.addWidget(self.decision_status)
        self.overlay_help = ShortcutOverlay(self, self.shortcut_table())
        self._wire()

    def _banner(self, name: str, bg: str, fg: str, border: str) -> QLabel:
        b = QLabel()
        b.setObjectName(name)
        b.setWordWrap(True)
        b.setStyleSheet(f"background:{bg}; color:{fg}; padding:4px; border:1px solid {border};")
        b.hide()
        return b

    def _build_player(self) -> QWidget:
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.video = VideoView()
        self.video.labels = {k: v.get(self.lang) for k, v in PARTY.items()}
        self.player = Player(self.video, self)
        lv.addWidget(self.video, 1)
        controls = QHBoxLayout()
        self.prev_btn = QPushButton(self.tr("◀ Previous (P)"))
        self.prev_btn.setObjectName("previousFinding")
        self.prev_btn.setToolTip(self.tr("Previous place to watch (P)"))
        self.play_btn = QPushButton(self.tr("Play"))
        self.play_btn.setObjectName("play")
        self.next_btn = QPushButton(self.tr("Next (N) ▶"))
        self.next_btn.setObjectName("nextFinding")
        self.next_btn.setToolTip(self.tr("Next place to watch (N)"))
        self.back_frame = QPushButton("◀|")
        self.back_frame.setToolTip(self.tr("One frame back (,)"))
        self.fwd_frame = QPushButton("|▶")
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
        self.help_btn = QPushButton(self.tr("Keys (?)"))
        self.help_btn.setObjectName("shortcutHelp")
        self.time_label = QLabel("00:00.0 / 00:00.0")
        self.time_label.setObjectName("timeLabel")
        for w in (self.prev_btn, self.play_btn, self.next_btn, self.back_frame, self.fwd_frame):
            controls.addWidget(w)
        controls.addWidget(self.speed)
        controls.addWidget(self.overlay)
        controls.addWidget(self.help_btn)
        controls.addStretch(1)
        controls.addWidget(self.time_label)
        lv.addLayout(controls)
        self.timeline = Timeline()
        lv.addWidget(self.timeline)
        self.watch_label = QLabel()
        self.watch_label.setObjectName("watchProgress")
        lv.addWidget(self.watch_label)
        return left

    def _build_side(self) -> QWidget:
        right = QSplitter(Qt.Orientation.Vertical)
        right.setChildrenCollapsible(False)
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
        right.addWidget(fbox)

        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("sideTabs")
        self.transcript = QTextEdit()
        self.transcript.setObjectName("transcript")
        self.transcript.setReadOnly(True)
        self.transcript.viewport().installEventFilter(self)
        self.transcript.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        self.stages = QListWidget()
        self.stages.setObjectName("stages")
        self.history = QTreeWidget()
        self.history.setObjectName("history")
        self.history.setRootIsDecorated(False)
        self.history.setWordWrap(True)
        self.history.setHeaderLabels(
            [self.tr("When"), self.tr("Who"), self.tr("What"), self.tr("Why")]
        )
        self.history.header().setStretchLastSection(True)
        self.side_tabs.addTab(self.transcript, self.tr("Transcript"))
        self.side_tabs.addTab(self.stages, self.tr("Script stages"))
        self.side_tabs.addTab(self.history, self.tr("History"))
        right.addWidget(self.side_tabs)
        right.setSizes([260, 260])
        right.setMinimumWidth(420)
        return right

    def _build_decision(self) -> QWidget:
        dbox = QGroupBox(self.tr("Decision"))
        dl = QHBoxLayout(dbox)
        dl.setContentsMargins(4, 4, 4, 4)
        self.reason_code = QComboBox()
        self.reason_code.setObjectName("reasonCode")
        self.reason_code.addItem(self.tr("(no reason code)"), "")
        for code, text in REASON_CODES.items():
            self.reason_code.addItem(text.get(self.lang), code)
        dl.addWidget(self.reason_code)
        self.reason_text = QLineEdit()
        self.reason_text.setObjectName("reasonText")
        self.reason_text.setPlaceholderText(self.tr("Reason text (required to reject)"))
        self.reason_text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.reason_text.setMinimumWidth(140)
        dl.addWidget(self.reason_text, 1)
        self.approve_btn = QPushButton(self.tr("Approve (A)"))
        self.approve_btn.setObjectName("approve")
        self.approve_btn.setStyleSheet("QPushButton:enabled { color: #1b5e20; font-weight: bold; }")
        self.reject_btn = QPushButton(self.tr("Re-record (R)"))
        self.reject_btn.setObjectName("reject")
        self.reject_btn.setStyleSheet("QPushButton:enabled { color: #b71c1c; font-weight: bold; }")
        self.escalate_btn = QPushButton(self.tr("Escalate (E)"))
        self.escalate_btn.setObjectName("escalate")
        self.appeal_btn = QPushButton(self.tr("Appeal…"))
        self.appeal_btn.setObjectName("appeal")
        self.appeal_btn.setToolTip(
            self.tr("Record a teller's or branch's appeal against a re-record")
        )
        self.next_rec_btn = QPushButton(self.tr("Next recording (J)"))
        self.next_rec_btn.setObjectName("nextRecording")
        for b in (
            self.approve_btn,
            self.reject_btn,
            self.escalate_btn,
            self.appeal_btn,
            self.next_rec_btn,
        ):
            dl.addWidget(b)
        return dbox

    def shortcut_table(self) -> list[tuple[str, str]]:
        """Every key of the review view with what it does (the overlay lists these)."""
        return [
            ("N / P", self.tr("next / previous place to watch (2 s early)")),
            (self.tr("Space"), self.tr("play / pause")),
            (", / .", self.tr("one frame back / forward")),
            ("[ / ]", self.tr("slower / faster")),
            ("← / →", self.tr("5 s back / forward")),
            ("+ / − / 0", self.tr("zoom the timeline in / out / whole recording")),
            ("O", self.tr("face boxes on / off")),
            ("T / F", self.tr("selected finding: real / false alarm")),
            ("A", self.tr("approve")),
            ("R", self.tr("re-record (needs a reason code and text)")),
            ("E", self.tr("escalate to a senior reviewer")),
            ("J", self.tr("next recording in the queue")),
            ("? / F1", self.tr("show or hide this list")),
        ]

    def _wire(self) -> None:
        self.prev_btn.clicked.connect(self.previous_finding)
        self.next_btn.clicked.connect(self.next_finding)
        self.play_btn.clicked.connect(self.player.toggle)
        self.back_frame.clicked.connect(lambda: self.player.step(-1))
        self.fwd_frame.clicked.connect(lambda: self.player.step(1))
        self.speed.currentIndexChanged.connect(
            lambda i: self.player.set_rate(float(self.speed.itemData(i)))
        )
        self.overlay.toggled.connect(self.player.set_overlay)
        self.help_btn.clicked.connect(self.overlay_help.toggle)
        self.player.position_changed.connect(self._position)
        self.player.duration_changed.connect(lambda _ms: self._position(self.player.position()))
        self.player.playing_changed.connect(
            lambda on: self.play_btn.setText(self.tr("Pause") if on else self.tr("Play"))
        )
        self.player.failed.connect(self._player_failed)
        self.player.ready.connect(self._player_ready)
        self.timeline.seek_requested.connect(self.player.seek)
        self.timeline.marker_clicked.connect(self.select_finding)
        self.findings.currentItemChanged.connect(self._finding_row)
        self.findings.itemClicked.connect(self._finding_clicked)
        self.stages.itemClicked.connect(self._stage_clicked)
        self.false_alarm_btn.clicked.connect(lambda: self.mark_finding("false_alarm"))
        self.real_btn.clicked.connect(lambda: self.mark_finding("confirmed"))
        self.approve_btn.clicked.connect(lambda: self.decide("approve"))
        self.reject_btn.clicked.connect(lambda: self.decide("rerecord"))
        self.escalate_btn.clicked.connect(lambda: self.decide("escalate"))
        self.appeal_btn.clicked.connect(self.ask_appeal)
        self.next_rec_btn.clicked.connect(self._next_recording)
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
            "+": lambda: self.timeline.zoom(2.0),
            "=": lambda: self.timeline.zoom(2.0),
            "-": lambda: self.timeline.zoom(0.5),
            "0": self.timeline.zoom_reset,
            "T": lambda: self.mark_finding("confirmed"),
            "F": lambda: self.mark_finding("false_alarm"),
            "A": lambda: self.decide("approve"),
            "R": lambda: self.decide("rerecord"),
            "E": lambda: self.decide("escalate"),
            "J": self._next_recording,
            "?": self.overlay_help.toggle,
            "Shift+?": self.overlay_help.toggle,
            "F1": self.overlay_help.toggle,
            "Escape": self.overlay_help.hide,
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
        who = self.account.username if self.account.reviews else ""
        self.db.call(
            lambda store: load_review(store, run_id, who, claim),
            self._show,
            lambda exc: show_error(self, self.tr("Cannot open the recording"), exc, self.lang),
        )

    def close_run(self) -> None:
        """Stop playing and give the claim back (the view stays empty)."""
        self.renew_timer.stop()
        if self.data is not None and self.data.claim is not None:
            rec, who = self.data.summary.recording_id, self.data.claim.reviewer
            self.db.call(lambda store: store.release(rec, who), self._released)
        self.data = None
        self.playable = False
        self.tracker.reset()
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
        self.tracker.reset()
        self.playable = False
        r = data.result
        self._show_title()
        self.read_only = data.claimed_by is not None or not self.account.reviews
        self._show_claim()
        if data.claim is not None:
            self.renew_timer.start()
        self.claim_changed.emit()
        self._show_ear()
        self._fill_findings()
        self._fill_stages()
        self._fill_transcript()
        self.places = watch_intervals(r)
        self._fill_timeline()
        self._show_history()
        self._show_state()
        self._restore_draft()
        self.stop_list = stops(r)
        self._set_enabled(True)
        self._show_watched()
        if data.video is None:
            show_error(
                self,
                self.tr("The recording's file cannot be found"),
                self.tr(
                    "Looked for: {path}. No decision can be made until the file is back "
                    "where it was audited; ask the administrator."
                ).format(path=r.file),
                self.lang,
            )
        else:
            fps = r.media.fps if r.media is not None else 25.0
            if r.media is not None:
                self.video.set_frame_size(*track_frame_size(r.media))
            self.player.load(data.video, fps, FaceTracks.of(r))
        self.loaded.emit(data.summary.run_id)

    def _show_title(self) -> None:
        assert self.data is not None
        r, s, lang = self.data.result, self.data.summary, self.lang
        colour = DECISION_COLOURS.get(r.decision, "#616161")
        profile = (r.profile or {}).get("name", {}).get(lang) or (s.profile_id or "")
        meta = " · ".join(
            x
            for x in (profile, s.meta.customer_ref, s.meta.product, s.meta.branch, s.meta.teller)
            if x
        )
        score = self.tr("Score")
        self.title.setText(
            f"{s.name} &nbsp; <span style='color:{colour}'>{DECISIONS[r.decision].get(lang)}</span>"
            f" &nbsp; {score} {r.score:.0f} &nbsp; <small>{meta}</small>"
        )

    def _show_claim(self) -> None:
        assert self.data is not None
        other = self.data.claimed_by
        if other is not None:
            self.claim_banner.setText(
                self.tr("{who} is reviewing this recording (until {until}): read only.").format(
                    who=other.reviewer, until=local_time(other.expires_at)
                )
            )
            self.claim_banner.show()
        elif not self.account.reviews:
            self.claim_banner.setText(
                self.tr("Administrators manage accounts; review decisions are read only.")
            )
            self.claim_banner.show()
        else:
            self.claim_banner.hide()

    def _show_ear(self) -> None:
        assert self.data is not None
        r = self.data.result
        if not script_by_ear(r):
            self.ear_banner.hide()
            return
        script = r.checks.get("script")
        why = for_reviewer(script.reason).get(self.lang) if script and script.reason else ""
        self.ear_banner.setText(
            self.tr(
                "The tool could not check the script ({why}). Listen to the whole recording "
                "for the required stages; the timeline only marks what it could check."
            ).format(why=why)
        )
        self.ear_banner.show()

    def _show_state(self) -> None:
        """The workflow's state in words: an open appeal, an approval awaiting a second
        senior, an escalation."""
        assert self.data is not None
        st = self.data.state
        text = ""
        if st is not None and st.appeal is not None:
            a = next((x for x in self.data.appeals if x.id == st.appeal.id), None)
            if a is not None:
                text = self.tr(
                    "Appeal by {who} ({when}): {why}. Decide it: re-record (R) upholds the "
                    "re-record, approve (A) grants the appeal."
                ).format(who=a.appellant, when=local_time(a.created_at), why=a.reason)
        elif st is not None and st.standing == "second" and st.last is not None:
            text = self.tr(
                "Approved by {who}, but a mandatory check failed: a second senior reviewer "
                "must confirm the approval (four eyes)."
            ).format(who=st.last.account)
        elif st is not None and st.standing == "escalated" and st.last is not None:
            text = self.tr("Escalated by {who}: a senior reviewer settles it.").format(
                who=st.last.account
            )
        self.state_banner.setText(text)
        self.state_banner.setVisible(bool(text))

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
        for w in (self.reason_code, self.reason_text, self.finding_note):
            w.setEnabled(editable)
        # No decision without a playable file.
        for b in (self.approve_btn, self.reject_btn, self.escalate_btn):
            b.setEnabled(editable and self.playable)
        self.appeal_btn.setEnabled(on and self._appealable())
        self.next_rec_btn.setEnabled(True)
        self._update_mark_buttons()

    def _appealable(self) -> bool:
        if self.data is None or self.data.state is None:
            return False
        st = self.data.state
        machine = st.standing == "open" and self.data.result.decision == "rerecord"
        return st.appeal is None and (st.standing == "rerecord" or machine)

    @Slot()
    def _player_ready(self) -> None:
        if self.data is not None and self.data.video is not None:
            self.playable = True
            self._set_enabled(True)

    @Slot(str)
    def _player_failed(self, text: str) -> None:
        self.playable = False
        self._set_enabled(self.data is not None)
        show_error(
            self,
            self.tr("The video cannot be played"),
            self.tr("{why}. No decision can be made on a recording that cannot be played.").format(
                why=text
            ),
            self.lang,
        )

    # -- the panels -----------------------------------------------------------------------------

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

    def _fill_timeline(self) -> None:
        assert self.data is not None
        r = self.data.result
        bands = []
        for name, check in r.checks.items():
            label = CHECK_NAMES[name].get(self.lang) if name in CHECK_NAMES else name
            note = for_reviewer(check.reason).get(self.lang) if check.reason else ""
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
                f"{fmt_span(f.event.start, f.event.end)} "
                f"{for_reviewer(f.event.message).get(self.lang)}",
                f.id in self.data.false_alarms,
            )
            for f in self.data.findings
            if not covers_recording(f.event.start, f.event.end, r.duration_s)
        ]
        self.timeline.set_data(r.duration_s, bands, markers, self.places)

    def _show_history(self) -> None:
        """Every decision and appeal on the recording: when, who, what, why."""
        assert self.data is not None
        self.history.clear()
        rows: list[tuple[str, list[str]]] = []
        for d in self.data.decisions:
            rows.append((d.created_at, self._decision_row(d)))
        for a in self.data.appeals:
            what = self.tr("Appeal against the re-record")
            who = self.tr("{appellant} (entered by {account})").format(
                appellant=a.appellant, account=a.filed_by
            )
            rows.append((a.created_at, [local_time(a.created_at), who, what, a.reason]))
        for _at, cols in sorted(rows, key=lambda x: x[0]):
            item = QTreeWidgetItem(cols)
            for c in range(4):
                item.setToolTip(c, cols[c])
            self.history.addTopLevelItem(item)
        for c in range(3):
            self.history.resizeColumnToContents(c)
        if self.data.decisions:
            d = self.data.decisions[-1]
            self.decision_status.setText(
                self.tr("Last decision: {verdict} by {who} at {when}").format(
                    verdict=self._verdict_name(d.verdict),
                    who=d.reviewer,
                    when=local_time(d.created_at),
                )
            )
        else:
            self.decision_status.setText("")

    def _decision_row(self, d: StoredDecision) -> list[str]:
        role = ROLE_NAMES[d.role].get(self.lang) if d.role in ROLE_NAMES else ""  # type: ignore[index]
        who = f"{d.reviewer} ({role})" if role else d.reviewer
        what = self._verdict_name(d.verdict)
        if d.four_eyes == "first":
            what += " " + self.tr("(awaiting a second senior)")
        elif d.four_eyes == "second":
            what += " " + self.tr("(second senior: confirmed)")
        if d.appeal_id is not None:
            what += " " + self.tr("(decides the appeal)")
        why = []
        if d.reason_code:
            code = REASON_CODES.get(d.reason_code)
            why.append(code.get(self.lang) if code else d.reason_code)
        if d.reason_text:
            why.append(d.reason_text)
        if d.change_reason:
            why.append(self.tr("changed because: {why}").format(why=d.change_reason))
        if d.unwatched_reason:
            why.append(self.tr("approved without watching: {why}").format(why=d.unwatched_reason))
        if d.watched:
            seen = sum(1 for w in d.watched if not unwatched([w]))
            why.append(self.tr("watched {n} of {m} places").format(n=seen, m=len(d.watched)))
        return [local_time(d.created_at), who, what, "; ".join(why)]

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
            f"{fmt_tenths(to_seconds(ms))} / {fmt_tenths(to_seconds(self.player.duration()))}"
        )
        if self.data is not None:
            before = len(self.tracker.played)
            self.tracker.note(to_seconds(ms), self.player.playing())
            if self.tracker.played or before:
                self.timeline.set_played(self.tracker.played)
                self._show_watched()
        self._follow_transcript(to_seconds(ms))

    def watched(self) -> tuple[tuple[float, float, float], ...]:
        """Each place to watch with the share of it played so far."""
        return tuple(
            (float(s), float(e), float(share))
            for s, e, share in watched_record(self.places, self.tracker.played)
        )

    def _show_watched(self) -> None:
        if not self.places:
            self.watch_label.setText(self.tr("Nothing flagged to watch."))
            return
        seen = len(self.places) - len(unwatched(self.watched()))
        self.watch_label.setText(
            self.tr("Watched {n} of {m} places to watch").format(n=seen, m=len(self.places))
        )

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

    def _stage_clicked(self, item: QListWidgetItem) -> None:
        start = item.data(Qt.ItemDataRole.UserRole)
        if start is not None:
            self.player.seek(seek_target(float(start)))

    def seek_exact(self, seconds: float) -> None:
        self.player.seek(to_position(seconds))

    # -- per-finding verdicts ------------------------------------------------------------------

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
        who, note = self.account.username, self.finding_note.text().strip() or None
        run_id = self.data.summary.run_id

        def save(store: Store) -> list[StoredFeedback]:
            store.add_feedback(fid, who, label, note)
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

    # -- the decision --------------------------------------------------------------------------

    def _request(self, verdict: str, **reasons: str | None) -> Request:
        return Request(
            account=self.account,
            verdict=verdict,
            reason_code=str(self.reason_code.currentData() or "") or None,
            reason_text=self.reason_text.text().strip() or None,
            watched=self.watched(),
            playable=self.playable,
            **reasons,  # type: ignore[arg-type]
        )

    def _refuse(self, text: str, focus: QWidget | None = None) -> None:
        self.decision_status.setText(f"<span style='color:#b71c1c'>{text}</span>")
        if focus is not None:
            focus.setFocus()

    def decide(self, verdict: str) -> None:
        """Check the request against the workflow's rules here (say what is missing next to
        the buttons); ask for the reasons a change or an unwatched approval needs; then save
        in the worker, where the store checks the same rules again."""
        if self.data is None or self.read_only or self.pending is not None:
            return
        st = self.data.state or State("open", None, None)
        probe = self._request(verdict, change_reason="-", unwatched_reason="-")
        try:
            outcome = check_decision(probe, st, self.data.result)
        except WorkflowError as exc:
            focus = self.reason_code if exc.code == "reason" and not probe.reason_code else None
            self._refuse(exc.text.get(self.lang), focus or self.reason_text)
            return
        missing = unwatched(probe.watched) if verdict == "approve" else []
        self._ask_unwatched(verdict, missing, outcome.changes, st)

    def _ask_unwatched(
        self, verdict: str, missing: list[tuple[float, float]], changes: bool, st: State
    ) -> None:
        if not missing:
            self._ask_change(verdict, None, changes, st)
            return
        places = ", ".join(fmt_span(s, e) for s, e in missing[:6])
        self._ask(
            self.tr("Approve without watching?"),
            self.tr(
                "{n} of the places to watch were not played ({places}). Cancel and press N to "
                "go to them, or give the reason to approve without watching them (it is logged "
                "with the decision)."
            ).format(n=len(missing), places=places),
            self.tr("Approve without watching"),
            lambda why: self._ask_change(verdict, why, changes, st),
        )

    def _ask_change(
        self, verdict: str, unwatched_reason: str | None, changes: bool, st: State
    ) -> None:
        if not changes or st.last is None:
            self._submit(verdict, unwatched_reason=unwatched_reason)
            return
        self._ask(
            self.tr("Change the decision?"),
            self.tr(
                "This recording's decision is {old} (by {who}). Change it to {new}? The "
                "change and its reason are kept in the history and the log."
            ).format(
                old=self._verdict_name(st.last.verdict),
                who=st.last.account,
                new=self._verdict_name(verdict),
            ),
            self.tr("Change the decision"),
            lambda why: self._submit(verdict, unwatched_reason=unwatched_reason, change_reason=why),
        )

    def _ask(
        self, title: str, text: str, ok: str, then: Callable[[str], None], extra: str | None = None
    ) -> ReasonDialog:
        dialog = ReasonDialog(title, text, ok, then, self, extra_label=extra)
        self.pending = dialog
        dialog.finished.connect(lambda _r: setattr(self, "pending", None))
        dialog.open()
        return dialog

    def _submit(self, verdict: str, **reasons: str | None) -> None:
        assert self.data is not None
        req = self._request(verdict, **reasons)
        self.settings.setValue("reviewer", self.account.username)
        run_id, rec = self.data.summary.run_id, self.data.summary.recording_id

        def save(store: Store) -> tuple[StoredDecision, list[StoredDecision], State]:
            d = store.decide(run_id, req)
            return d, store.decisions(rec), store.state(rec)

        for b in (self.approve_btn, self.reject_btn, self.escalate_btn):
            b.setEnabled(False)
        self.db.call(save, lambda out: self._saved(run_id, *out), self._save_failed)

    def _saved(
        self, run_id: int, decision: StoredDecision, history: list[StoredDecision], st: State
    ) -> None:
        self.renew_timer.stop()
        if self.data is not None and self.data.summary.run_id == run_id:
            self.data.decisions = history
            self.data.state = st
            self.data.claim = None  # the decision released it
            self._clear_draft()
            self._show_history()
            self._show_state()
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
        if isinstance(exc, ClaimedError):
            self.read_only = True
        self._set_enabled(self.data is not None)
        if isinstance(exc, WorkflowError):
            self._refuse(exc.text.get(self.lang))
            return
        show_error(self, self.tr("The decision was not saved"), exc, self.lang)

    def _next_recording(self) -> None:
        self.next_requested.emit(self.data.summary.run_id if self.data is not None else -1)

    # -- appeals -------------------------------------------------------------------------------

    def ask_appeal(self) -> ReasonDialog | None:
        """Record a teller's or branch's appeal against the re-record (who, and why)."""
        if self.data is None or not self._appealable():
            return None
        rec, by = self.data.summary.recording_id, self.account

        def file(reason: str) -> None:
            assert self.pending is None or True
            appellant = dialog.extra.text().strip() if dialog.extra is not None else ""

            def save(store: Store) -> tuple[list[StoredAppeal], State]:
                store.file_appeal(rec, appellant, reason, by=by)
                return store.appeals(rec), store.state(rec)

            def saved(out: tuple[list[StoredAppeal], State]) -> None:
                if self.data is not None and self.data.summary.recording_id == rec:
                    self.data.appeals, self.data.state = out
                    self._show_history()
                    self._show_state()
                    self._set_enabled(True)
                self.claim_changed.emit()  # the queue shows the appeal

            self.db.call(save, saved, self._save_failed)

        dialog = self._ask(
            self.tr("Appeal against the re-record"),
            self.tr(
                "A teller or branch disputes this re-record. Another reviewer will decide the "
                "appeal; everything is kept in the log."
            ),
            self.tr("Record the appeal"),
            file,
            extra=self.tr("Who appeals (teller or branch)"),
        )
        return dialog

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
