"""The review view: the player goes straight to the low-score segments.

Player and timeline on the left; findings, the stage checklist and the transcript on the
right; the decision underneath. Next / Previous finding (N / P) jump to the start of the next
place to watch, pre-roll included (``dualrec_audit.review.player.stops``). Everything that touches
the database runs in the database worker; the view only shows what comes back.

This module holds ``ReviewView`` itself: the player, the timeline, the wiring and the keys, and
opening, closing and claiming a run. Each panel around them is a mixin in a sibling module
(header, findings, transcript, history, decision, appeal)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dualrec_audit.batch.report import fmt_span
from dualrec_audit.core.i18n import CHECK_NAMES, PARTY
from dualrec_audit.review.player import (
    FaceTracks,
    covers_recording,
    next_stop,
    previous_stop,
    stops,
    to_position,
    to_seconds,
    track_frame_size,
)
from dualrec_audit.review.texts import fmt_tenths, for_reviewer
from dualrec_audit.review.transcript import Span
from dualrec_audit.store.records import ClaimedError
from dualrec_audit.store.reviews import CLAIM_TTL_S
from dualrec_audit.workflow.policy import Account, WatchTracker, unwatched, watched_record
from dualrec_audit.workflow.watch import watch_intervals

from ..dialogs import show_error
from ..login import ReasonDialog
from ..player import RATES, Player, VideoView
from ..shortcuts import ShortcutOverlay
from ..timeline import Band, Marker, Timeline, documents_band, identity_band
from ..workers import Database
from .appeal import AppealPanel
from .data import ReviewData, load_review
from .decision import DecisionPanel
from .evidence import EvidencePanel
from .findings import FindingsPanel
from .hanzi import HanziPanel
from .header import ReviewHeader
from .history import HistoryPanel
from .transcript import TranscriptPanel

log = logging.getLogger("dualrec_audit.ui")


class ReviewView(
    ReviewHeader,
    EvidencePanel,
    FindingsPanel,
    TranscriptPanel,
    HanziPanel,
    HistoryPanel,
    DecisionPanel,
    AppealPanel,
    QWidget,
):
    """One recording under review. The panels are mixins, each in its module with the widgets
    it owns; this class lays them out around the player and the timeline, wires the buttons and
    keys, opens and closes a run, follows the playhead and keeps the claim alive."""

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
        self.unplayable: set[int] = set()  # runs whose file could not be played (skipped by J)
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
        self._build_header(root)
        self._build_evidence(root)
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
        right.addWidget(self._build_findings())
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("sideTabs")
        self.side_tabs.addTab(self._build_transcript(), self.tr("Transcript"))
        self.side_tabs.addTab(self._build_hanzi(), self.tr("Characters"))
        self.side_tabs.addTab(self._build_stages(), self.tr("Script stages"))
        self.side_tabs.addTab(self._build_history(), self.tr("History"))
        right.addWidget(self.side_tabs)
        right.setSizes([260, 260])
        right.setMinimumWidth(420)
        return right

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
        self.stop_hanzi()
        if self.data is not None and self.data.claim is not None:
            rec, who = self.data.summary.recording_id, self.data.claim.reviewer
            self.db.call(lambda store: store.release(rec, who), self._released)
        self.data = None
        self.playable = False
        self.identity = None
        self.file_replaced = False
        self.file_banner.hide()
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
        self._show_unaudited()
        self._fill_findings()
        self._fill_stages()
        self._fill_transcript()
        self._start_hanzi()
        self.places = watch_intervals(r)
        self._fill_timeline()
        self._show_history()
        self._show_state()
        self._restore_draft()
        self.stop_list = stops(r)
        self._set_enabled(True)
        self._show_watched()
        if data.video is None:
            self.unplayable.add(data.summary.run_id)
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
            self._check_file(lambda: self._load_player(data))
        self.loaded.emit(data.summary.run_id)

    def _load_player(self, data: ReviewData) -> None:
        """Open the file in the player (once it is known to be the file audited)."""
        r = data.result
        assert data.video is not None
        fps = r.media.fps if r.media is not None else 25.0
        if r.media is not None:
            self.video.set_frame_size(*track_frame_size(r.media))
        self.player.load(data.video, fps, FaceTracks.of(r))

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
        # No decision without a playable file that is the file audited; a recording the tool
        # could not audit is never approved but may be sent back without playing.
        sound = self.playable and not self.file_replaced
        self.approve_btn.setEnabled(editable and sound and not self.unaudited())
        for b in (self.reject_btn, self.escalate_btn):
            b.setEnabled(editable and (sound or (self.unaudited() and not self.file_replaced)))
        self.appeal_btn.setEnabled(on and self._appealable())
        self.next_rec_btn.setEnabled(True)
        self._update_mark_buttons()

    @Slot()
    def _player_ready(self) -> None:
        if self.data is not None and self.data.video is not None:
            self.playable = True
            self._set_enabled(True)
            if self.stop_list:  # open at the first place to watch, not at 00:00
                self.player.seek(self.stop_list[0])

    @Slot(str)
    def _player_failed(self, text: str) -> None:
        self.playable = False
        if self.data is not None:
            self.unplayable.add(self.data.summary.run_id)
        self._set_enabled(self.data is not None)
        show_error(
            self,
            self.tr("The video cannot be played"),
            self.tr(
                "The file cannot be opened or decoded (the player says: {why}). No decision "
                "can be made on a recording that cannot be played; the next recording (J) "
                "skips it."
            ).format(why=text),
            self.lang,
        )

    # -- the timeline --------------------------------------------------------------------------

    def _fill_timeline(self) -> None:
        assert self.data is not None
        r = self.data.result
        bands = []
        for name, check in r.checks.items():
            label = CHECK_NAMES[name].get(self.lang) if name in CHECK_NAMES else name
            note = for_reviewer(check.reason).get(self.lang) if check.reason else ""
            if name in ("documents", "identity"):
                spanned = documents_band if name == "documents" else identity_band
                bands.append(spanned(r, label, self.lang))
                continue
            bands.append(Band(label, check.timeline, check.status != "unavailable", note))
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
            self.tracker.note(to_seconds(ms), self.player.playing(), rate=self.player.rate())
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
        listen = self.listen_text()
        if not self.places:
            text = self.tr("Nothing flagged to watch.")
        else:
            seen = len(self.places) - len(unwatched(self.watched()))
            text = self.tr("Watched {n} of {m} places to watch").format(n=seen, m=len(self.places))
        self.watch_label.setText(f"{text}  {listen}" if listen else text)

    def seek_exact(self, seconds: float) -> None:
        self.player.seek(to_position(seconds))

    # -- keeping the claim ---------------------------------------------------------------------

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
