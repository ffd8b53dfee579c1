"""The teller's pre-check: drop (or pick) the recording just made, wait for the audit, then a
large pass / fail and a plain-language list of what to fix, each with its time, a thumbnail
and a "play this moment" button. The audit and the thumbnails run in a worker thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from dualrec_audit.audit.pipeline import STAGES, AuditOptions, AuditPipeline, ProgressHook
from dualrec_audit.batch.report import fmt_span, fmt_time
from dualrec_audit.core.i18n import PARTY
from dualrec_audit.core.result import AuditResult
from dualrec_audit.media.frames import frame_at
from dualrec_audit.media.probe import VIDEO_SUFFIXES
from dualrec_audit.review.player import FaceTracks, seek_target, to_seconds, track_frame_size
from dualrec_audit.review.precheck import FixItem, Precheck, precheck, precheck_profile
from dualrec_audit.rules.assign import ProfileChoice, ProfileMap

from .dialogs import show_error
from .player import Player, VideoView
from .settings import text_value
from .workers import Worker

log = logging.getLogger("dualrec_audit.ui")

THUMB_W = 192
DEFAULT_CHOICE = ProfileChoice("default")
# Share of the progress bar per pipeline stage (frames dominate without a speech model).
WEIGHTS = {"probe": 0.03, "frames": 0.62, "audio": 0.08, "transcript": 0.22, "script": 0.03}


@dataclass(frozen=True)
class PrecheckRun:
    path: str
    result: AuditResult
    verdict: Precheck
    profile_source: ProfileChoice = DEFAULT_CHOICE  # why this business profile


class Auditor:
    """The audit pipeline, built on first use in the worker thread and then kept (models load
    once)."""

    def __init__(self, options: AuditOptions, models_dir: str | None = None):
        self.options = options
        self.models_dir = models_dir
        self.pipeline: AuditPipeline | None = None

    def run(
        self,
        path: str,
        progress: ProgressHook,
        profile: tuple[str | None, ProfileChoice] = (None, DEFAULT_CHOICE),
    ) -> PrecheckRun:
        if self.pipeline is None:
            self.pipeline = AuditPipeline(self.options, models_dir=self.models_dir)
        pid, source = profile
        result = self.pipeline.apply(Path(path), hook=progress, profile=pid, chosen_by=source)
        return PrecheckRun(path, result, precheck(result), source)


def thumbnail(path: str, seconds: float) -> QImage | None:
    """A frame as a QImage (made in the worker thread; QImage, unlike QPixmap, may be)."""
    bgr = frame_at(Path(path), seconds, width=THUMB_W * 2)
    if bgr is None:
        return None
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class DropZone(QFrame):
    dropped = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#dropZone { border: 2px dashed #90a4ae; border-radius: 8px; background: #f5f7f8; }"
        )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.dropped.emit(url.toLocalFile())
                event.acceptProposedAction()
                return


class ItemRow(QFrame):
    """One thing to fix: thumbnail, time, what and how, and a play button."""

    play = Signal(float)

    def __init__(self, item: FixItem, lang: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.item = item
        self.setObjectName("fixItem")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(self)
        self.thumb = QLabel()
        self.thumb.setObjectName("thumbnail")
        self.thumb.setFixedSize(THUMB_W, THUMB_W * 9 // 16)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setStyleSheet("background:#263238; color:#cfd8dc;")
        row.addWidget(self.thumb)
        text = QVBoxLayout()
        when = (
            fmt_span(item.start, item.end)
            if item.start is not None and item.end is not None
            else self.tr("Whole recording")
        )
        self.when = QLabel(when)
        self.when.setObjectName("itemTime")
        font = self.when.font()
        font.setBold(True)
        font.setPointSize(font.pointSize() + 2)
        self.when.setFont(font)
        self.what = QLabel(item.text.get(lang))
        self.what.setObjectName("itemText")
        self.what.setWordWrap(True)
        colour = "#b71c1c" if item.severity == "high" or item.mandatory else "#e65100"
        self.what.setStyleSheet(f"color:{colour}; font-size: 14px;")
        text.addWidget(self.when)
        text.addWidget(self.what)
        if item.advice is not None:
            self.how = QLabel(self.tr("How to fix: ") + item.advice.get(lang))
            self.how.setObjectName("itemAdvice")
            self.how.setWordWrap(True)
            text.addWidget(self.how)
        text.addStretch(1)
        row.addLayout(text, 1)
        self.play_btn = QPushButton(self.tr("Play this moment"))
        self.play_btn.setObjectName("playMoment")
        self.play_btn.setEnabled(item.start is not None)
        self.play_btn.clicked.connect(lambda: self.play.emit(item.start or 0.0))
        row.addWidget(self.play_btn, 0, Qt.AlignmentFlag.AlignTop)
        if item.start is None:
            self.thumb.setText(self.tr("(whole recording)"))

    def set_thumbnail(self, image: QImage) -> None:
        self.thumb.setPixmap(
            QPixmap.fromImage(image).scaled(
                self.thumb.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )


class PrecheckView(QWidget):
    finished = Signal(object)  # PrecheckRun
    failed = Signal(object)  # the exception
    thumbnails_done = Signal()

    def __init__(
        self,
        settings: QSettings,
        lang: str,
        options: AuditOptions | None = None,
        models_dir: str | None = None,
        parent: QWidget | None = None,
        *,
        explicit_profile: str | None = None,
        profile_map: ProfileMap | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("precheckView")
        self.settings = settings
        self.lang = lang
        self.auditor = Auditor(options or AuditOptions(), models_dir)
        self.explicit_profile = explicit_profile  # --profile: as the scan would take it
        self.profile_map = profile_map  # --profile-map: the folder's rules
        self.worker = Worker("precheck", 1, self)
        self.run: PrecheckRun | None = None
        self.rows: list[ItemRow] = []
        self.busy = False
        self._pending = 0
        self._build()

    def _build(self) -> None:
        root = QHBoxLayout(self)
        split = QSplitter(Qt.Orientation.Horizontal)
        root.addWidget(split)
        split.addWidget(self._build_results())
        split.addWidget(self._build_player())
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self._wire()

    def _build_results(self) -> QWidget:
        """The left side: the drop zone, the progress, the verdict and the list of fixes."""
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(self._build_drop_zone())
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.stage = QLabel()
        self.stage.setObjectName("stage")
        lv.addWidget(self.progress)
        lv.addWidget(self.stage)

        self.verdict = QLabel()
        self.verdict.setObjectName("verdict")
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verdict.setMinimumHeight(90)
        self.verdict.hide()
        lv.addWidget(self.verdict)
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        font = self.summary.font()
        font.setPointSize(font.pointSize() + 2)
        font.setBold(True)
        self.summary.setFont(font)
        lv.addWidget(self.summary)

        self.list_host = QWidget()
        self.list_layout = QVBoxLayout(self.list_host)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.list_host)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        lv.addWidget(scroll, 1)
        self.notes = QLabel()
        self.notes.setObjectName("notes")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color:#616161;")
        self.notes.hide()
        lv.addWidget(self.notes)
        return left

    def _build_drop_zone(self) -> DropZone:
        """Where the teller drops the recording (or picks it)."""
        self.drop = DropZone()
        dz = QVBoxLayout(self.drop)
        hint = QLabel(self.tr("Drop the recording here"))
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = hint.font()
        font.setPointSize(font.pointSize() + 4)
        hint.setFont(font)
        self.pick = QPushButton(self.tr("Choose a file…"))
        self.pick.setObjectName("pickFile")
        self.file_label = QLabel()
        self.file_label.setObjectName("fileLabel")
        self.file_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        dz.addWidget(hint)
        dz.addWidget(self.pick, 0, Qt.AlignmentFlag.AlignCenter)
        dz.addWidget(self._build_business())
        dz.addWidget(self.file_label)
        self.drop.setMinimumHeight(120)
        return self.drop

    def _build_business(self) -> QWidget:
        """The business the recording is judged under when its file does not say (no sidecar,
        no folder rule): the teller's choice, remembered."""
        from dualrec_audit.rules.profiles import all_profiles

        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        row.addWidget(QLabel(self.tr("Business (when the file does not say):")))
        self.business = QComboBox()
        self.business.setObjectName("business")
        try:
            profiles = all_profiles()
        except Exception as exc:  # a broken profile folder: the audit will say so
            log.warning("profiles not listed: %s", exc)
            profiles = {}
        for pid, p in sorted(profiles.items()):
            self.business.addItem(p.name.zh if self.lang == "zh" else p.name.en, pid)
        remembered = text_value(self.settings, "precheck/business")
        default = remembered or (self.auditor.options.profile or "")
        self.business.setCurrentIndex(max(0, self.business.findData(default)))
        self.business.currentIndexChanged.connect(
            lambda _i: self.settings.setValue("precheck/business", self.business.currentData())
        )
        row.addWidget(self.business)
        row.addStretch(1)
        self.judged_by = QLabel()
        self.judged_by.setObjectName("judgedBy")
        self.judged_by.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer = QWidget()
        ov = QVBoxLayout(outer)
        ov.setContentsMargins(0, 0, 0, 0)
        ov.addWidget(box)
        ov.addWidget(self.judged_by)
        return outer

    def profile_for(self, path: str) -> tuple[str | None, ProfileChoice]:
        """The profile this file is judged under, and where that came from."""
        return precheck_profile(
            path,
            explicit=self.explicit_profile,
            mapping=self.profile_map,
            chosen=str(self.business.currentData() or "") or None,
            default=self.auditor.options.profile,
        )

    def _show_judged_by(self, run: PrecheckRun) -> None:
        names = (run.result.profile or {}).get("name") or {}
        name = names.get(self.lang) or (run.result.profile or {}).get("id") or ""
        where = {
            "sidecar": self.tr("from the file's sidecar"),
            "option": self.tr("set when the window was started"),
            "window": self.tr("chosen in this window"),
            "default": self.tr("the default"),
        }.get(run.profile_source.by, self.tr("from the folder's rule"))
        self.judged_by.setText(
            self.tr("Judged as: {name} ({where})").format(name=name, where=where) if name else ""
        )

    def _build_player(self) -> QWidget:
        """The right side: the video and its play button."""
        right = QWidget()
        rv = QVBoxLayout(right)
        self.video = VideoView()
        self.video.labels = {k: v.get(self.lang) for k, v in PARTY.items()}
        self.player = Player(self.video, self)
        rv.addWidget(self.video, 1)
        ctl = QHBoxLayout()
        self.play_btn = QPushButton(self.tr("Play"))
        self.play_btn.setObjectName("precheckPlay")
        self.play_btn.setEnabled(False)
        self.time_label = QLabel("00:00")
        ctl.addWidget(self.play_btn)
        ctl.addStretch(1)
        ctl.addWidget(self.time_label)
        rv.addLayout(ctl)
        return right

    def _wire(self) -> None:
        self.pick.clicked.connect(self._pick)
        self.drop.dropped.connect(self.check_file)
        self.play_btn.clicked.connect(self.player.toggle)
        self.player.playing_changed.connect(
            lambda on: self.play_btn.setText(self.tr("Pause") if on else self.tr("Play"))
        )
        self.player.position_changed.connect(
            lambda ms: self.time_label.setText(fmt_time(to_seconds(ms)))
        )
        self.player.failed.connect(
            lambda text: show_error(self, self.tr("The video cannot be played"), text)
        )

    # -- running ---------------------------------------------------------------------------------

    def _pick(self) -> None:
        exts = " ".join(f"*{s}" for s in sorted(VIDEO_SUFFIXES))
        dialog = QFileDialog(self, self.tr("Choose the recording"))
        dialog.setNameFilter(self.tr("Recordings") + f" ({exts})")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.check_file)
        dialog.open()

    @Slot(str)
    def check_file(self, path: str) -> None:
        if self.busy:
            return
        self.busy = True
        self.run = None
        self._clear()
        self.player.unload()
        self.play_btn.setEnabled(False)
        self.file_label.setText(Path(path).name)
        self.progress.setValue(0)
        self.stage.setText(self.tr("Checking…"))
        self.pick.setEnabled(False)
        profile = self.profile_for(path)
        self.judged_by.setText("")
        self.worker.submit(
            lambda progress: self.auditor.run(path, progress, profile),
            self._done,
            self._failed,
            self._progress,
        )

    def _progress(self, stage: str, done: float, total: float) -> None:
        if stage not in STAGES:
            return
        i = STAGES.index(stage)
        before = sum(WEIGHTS.get(s, 0.0) for s in STAGES[:i])
        share = WEIGHTS.get(stage, 0.0) * (done / total if total else 1.0)
        self.progress.setValue(min(100, round(100 * (before + share))))
        names = {
            "probe": self.tr("Opening the file"),
            "frames": self.tr("Checking the picture and the faces"),
            "audio": self.tr("Checking the sound"),
            "transcript": self.tr("Recognising speech"),
            "script": self.tr("Checking the script"),
            "rules": self.tr("Applying the rules"),
        }
        self.stage.setText(names.get(stage, stage))

    def _failed(self, exc: object) -> None:
        self.busy = False
        self.pick.setEnabled(True)
        self.stage.setText("")
        self.failed.emit(exc)
        show_error(self, self.tr("The pre-check failed"), exc, self.lang)

    def _clear(self) -> None:
        for r in self.rows:
            r.deleteLater()
        self.rows = []
        self.verdict.hide()
        self.summary.setText("")
        self.notes.hide()

    def _done(self, run: PrecheckRun) -> None:
        self.busy = False
        self.pick.setEnabled(True)
        self.run = run
        self.progress.setValue(100)
        self.stage.setText("")
        v = run.verdict
        self._show_verdict(v)
        self._show_judged_by(run)
        for item in v.items:
            row = ItemRow(item, self.lang)
            row.play.connect(self.play_moment)
            self.list_layout.insertWidget(self.list_layout.count() - 1, row)
            self.rows.append(row)
        if run.result.error is None:
            fps = run.result.media.fps if run.result.media else 25.0
            if run.result.media is not None:
                self.video.set_frame_size(*track_frame_size(run.result.media))
            self.player.load(run.path, fps, FaceTracks.of(run.result))
            self.play_btn.setEnabled(True)
        self._thumbnails(run)
        self.finished.emit(run)

    def _show_verdict(self, v: Precheck) -> None:
        """Green pass only when everything, the script included, was verified; amber "not
        everything could be checked" (in large type, with what) when nothing is to fix but
        something could not be checked; red fail otherwise."""
        font = self.verdict.font()
        font.setPointSize(36 if v.state != "unverified" else 26)
        font.setBold(True)
        self.verdict.setFont(font)
        self.verdict.setWordWrap(True)
        style = {
            "pass": ("✓ " + self.tr("PASS"), "#2e7d32"),
            "fail": ("✗ " + self.tr("FAIL"), "#c62828"),
            "unverified": ("? " + self.tr("NOT FULLY CHECKED"), "#ef6c00"),
        }
        text, colour = style[v.state]
        self.verdict.setText(text)
        self.verdict.setStyleSheet(f"background:{colour}; color:white; border-radius:8px;")
        self.verdict.show()
        lines = []
        if v.error is not None:
            lines.append(
                self.tr("The recording cannot be checked: {why}").format(why=v.error.get(self.lang))
            )
        elif v.state == "unverified":
            lines += [u.get(self.lang) for u in v.unchecked]
            lines.append(self.tr("Nothing else to fix. Do not count this as a pass."))
        elif v.passed and not v.items:
            lines.append(self.tr("Nothing to fix."))
        elif v.passed:
            lines.append(self.tr("Nothing that needs a new recording; please note:"))
        else:
            lines.append(self.tr("Please fix these and record again:"))
        self.summary.setText("\n".join(lines))
        big = self.summary.font()
        big.setPointSize(self.font().pointSize() + (6 if v.state == "unverified" else 2))
        big.setBold(True)
        self.summary.setFont(big)
        self.summary.setStyleSheet("color:#8a4b00;" if v.state == "unverified" else "")
        self.notes.setText("\n".join(self.tr("Note: ") + n.get(self.lang) for n in v.notes))
        self.notes.setVisible(bool(v.notes))

    def _thumbnails(self, run: PrecheckRun) -> None:
        wanted = [(i, r.item.thumbnail_at) for i, r in enumerate(self.rows)]
        wanted = [(i, t) for i, t in wanted if t is not None]
        if not wanted or run.result.error is not None:
            self.thumbnails_done.emit()
            return

        def make() -> list[tuple[int, QImage | None]]:
            return [(i, thumbnail(run.path, float(t or 0.0))) for i, t in wanted]

        def show(images: list[tuple[int, QImage | None]]) -> None:
            if self.run is not run:
                return
            for i, img in images:
                if img is not None and i < len(self.rows):
                    self.rows[i].set_thumbnail(img)
            self.thumbnails_done.emit()

        self.worker.submit(make, show, lambda exc: self.thumbnails_done.emit())

    @Slot(float)
    def play_moment(self, start: float) -> None:
        """Play from just before the problem (the same pre-roll as the reviewer's)."""
        target = seek_target(start)
        if self.player.is_ready():
            self.player.seek(target)
            self.player.media.play()
        else:
            self._pending = target
            self.player.ready.connect(self._play_pending, Qt.ConnectionType.SingleShotConnection)

    def _play_pending(self) -> None:
        self.player.seek(self._pending)
        self.player.media.play()

    def shutdown(self) -> None:
        """Stop the player and let a running check finish (at exit)."""
        self.player.unload()
        self.worker.wait(60_000)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
