"""The video player: QMediaPlayer (FFmpeg backend) drawing into a QGraphicsVideoItem, with the
detected face boxes over the picture.

QGraphicsVideoItem rather than QVideoWidget: the widget renders into a native window, which
nothing can be drawn over and which ``grab()`` cannot see (black offscreen); the graphics item
is painted like any other, so the overlay and the screenshot show the real frame.

Positions are player milliseconds; ``dualrec_audit.review`` converts audit seconds."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Q_ARG, QMetaObject, QObject, QRectF, QSizeF, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen, QResizeEvent
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoFrame
from PySide6.QtMultimediaWidgets import QGraphicsVideoItem
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from dualrec_audit.review.player import Box, FaceTracks, to_seconds

log = logging.getLogger("dualrec_audit.ui")

PARTY_COLOURS = {"staff": QColor(60, 160, 255), "customer": QColor(255, 170, 0)}
RATES = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


class VideoView(QGraphicsView):
    """The picture, letterboxed, with the face boxes of the current moment over it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("videoView")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QBrush(QColor(20, 20, 20)))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setMinimumSize(320, 180)
        self.scene_ = QGraphicsScene(self)
        self.setScene(self.scene_)
        self.item = QGraphicsVideoItem()
        self.item.setAspectRatioMode(Qt.AspectRatioMode.IgnoreAspectRatio)
        self.scene_.addItem(self.item)
        self.frame_size = (16, 9)  # the pictures the box coordinates refer to
        self.box_items: list[QGraphicsRectItem] = []
        self.overlay = True
        self.labels: dict[str, str] = {}
        self.boxes: list[Box] = []  # the boxes of the moment, redrawn after a resize

    def set_frame_size(self, width: int, height: int) -> None:
        self.frame_size = (max(1, width), max(1, height))
        self._fit()

    def video_rect(self) -> QRectF:
        """Where the picture is drawn: the view's area, letterboxed to the frame's shape."""
        w, h = self.viewport().width(), self.viewport().height()
        fw, fh = self.frame_size
        scale = min(w / fw, h / fh)
        vw, vh = fw * scale, fh * scale
        return QRectF((w - vw) / 2, (h - vh) / 2, vw, vh)

    def _fit(self) -> None:
        w, h = self.viewport().width(), self.viewport().height()
        self.scene_.setSceneRect(0, 0, w, h)
        r = self.video_rect()
        self.item.setPos(r.topLeft())
        self.item.setSize(QSizeF(r.width(), r.height()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()
        self.show_boxes(self.boxes)  # the boxes follow the picture's new place and size

    def show_boxes(self, boxes: list[Box]) -> None:
        self.boxes = list(boxes)
        for it in self.box_items:
            self.scene_.removeItem(it)
        self.box_items = []
        if not self.overlay:
            return
        r = self.video_rect()
        sx, sy = r.width() / self.frame_size[0], r.height() / self.frame_size[1]
        for party, x, y, w, h in boxes:
            colour = PARTY_COLOURS.get(party, QColor(255, 255, 255))
            rect = QGraphicsRectItem(r.x() + x * sx, r.y() + y * sy, w * sx, h * sy)
            rect.setPen(QPen(colour, 2))
            rect.setZValue(2)
            label = QGraphicsSimpleTextItem(self.labels.get(party, party), rect)
            label.setBrush(QBrush(colour))
            font = QFont()
            font.setPointSize(10)
            font.setBold(True)
            label.setFont(font)
            label.setPos(r.x() + x * sx, max(r.y(), r.y() + y * sy - 18))
            self.scene_.addItem(rect)
            self.box_items.append(rect)


class Player(QObject):
    """A QMediaPlayer with its audio output and picture; knows when it can seek and which
    frame it shows."""

    position_changed = Signal(int)
    duration_changed = Signal(int)
    ready = Signal()  # loaded and seekable
    frame_shown = Signal(int)  # start time (ms) of the frame on screen
    failed = Signal(str)
    playing_changed = Signal(bool)

    def __init__(self, view: VideoView, parent: QObject | None = None):
        super().__init__(parent)
        self.view = view
        self.media = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.media.setAudioOutput(self.audio)
        self.media.setVideoOutput(view.item)
        self.tracks = FaceTracks(())
        self.fps = 25.0
        self.frame_ms = -1  # start time of the frame on screen
        self.loaded = False
        self._pausing = False  # a pause on a loaded file queued, ready when it is done
        self._source = 0  # which load() a queued pause belongs to
        self.broken = False
        self.media.mediaStatusChanged.connect(self._status)
        self.media.positionChanged.connect(self._position)
        self.media.durationChanged.connect(lambda ms: self.duration_changed.emit(int(ms)))
        self.media.errorOccurred.connect(self._error)
        self.media.playbackStateChanged.connect(self._state)
        view.item.videoSink().videoFrameChanged.connect(self._frame)

    # -- loading ---------------------------------------------------------------------------

    def load(self, path: str | Path, fps: float = 25.0, tracks: FaceTracks | None = None) -> None:
        self.loaded = False
        self._pausing = False
        self._source += 1  # a pause queued for the file before is not this file's
        self.broken = False  # a failure is reported once per file (Qt says it twice)
        self.frame_ms = -1
        self.fps = fps if fps > 0 else 25.0
        self.tracks = tracks or FaceTracks(())
        self.view.show_boxes([])
        self._queued("setSource", Q_ARG(QUrl, QUrl.fromLocalFile(str(path))))

    def unload(self) -> None:
        self.loaded = False
        self._pausing = False
        self._source += 1
        self._queued("stop")
        self._queued("setSource", Q_ARG(QUrl, QUrl()))
        self.view.show_boxes([])

    def _queued(self, slot: str, *args: object) -> None:
        """Call a QMediaPlayer slot from the event loop rather than from Python.

        Stopping or changing the source tears down the FFmpeg backend's audio renderer and
        waits for its thread; that thread tells our QAudioOutput (a PySide object) that it
        disconnects, which needs the GIL. Called from Python, the GUI thread would hold the
        GIL while waiting: a deadlock. From the event loop it holds nothing."""
        QMetaObject.invokeMethod(self.media, slot, Qt.ConnectionType.QueuedConnection, *args)

    def is_ready(self) -> bool:
        return self.loaded and self.media.isSeekable()

    @Slot(QMediaPlayer.MediaStatus)
    def _status(self, status: QMediaPlayer.MediaStatus) -> None:
        S = QMediaPlayer.MediaStatus
        if status in (S.LoadedMedia, S.BufferedMedia) and not self.loaded and not self._pausing:
            # Paused, so a seek shows the frame there; queued as load() is: pausing here, in
            # Python, waited for the FFmpeg backend's thread while holding the GIL (a reviewer
            # window hung for good in the loaded test run). Ready once the pause is done.
            self._pausing = True
            self._queued("pause")
            QMetaObject.invokeMethod(
                self, "_paused", Qt.ConnectionType.QueuedConnection, Q_ARG(int, self._source)
            )
        elif status == S.InvalidMedia:
            self._fail(self.media.errorString() or "invalid media")

    @Slot(int)
    def _paused(self, source: int) -> None:
        if source != self._source:
            return  # the file it paused was replaced or unloaded since
        self._pausing = False
        if not self.loaded:
            self.loaded = True
            self.ready.emit()

    @Slot(QMediaPlayer.Error, str)
    def _error(self, error: QMediaPlayer.Error, text: str) -> None:
        if error != QMediaPlayer.Error.NoError:
            self._fail(text)

    def _fail(self, text: str) -> None:
        if not self.broken:
            self.broken = True
            self.failed.emit(text)

    @Slot("qint64")
    def _position(self, ms: int) -> None:
        self.position_changed.emit(int(ms))
        self.view.show_boxes(self.tracks.at(to_seconds(ms)))

    @Slot(QVideoFrame)
    def _frame(self, frame: QVideoFrame) -> None:
        if frame.isValid():
            self.frame_ms = frame.startTime() // 1000
            self.frame_shown.emit(self.frame_ms)

    @Slot(QMediaPlayer.PlaybackState)
    def _state(self, state: QMediaPlayer.PlaybackState) -> None:
        self.playing_changed.emit(state == QMediaPlayer.PlaybackState.PlayingState)

    # -- control ---------------------------------------------------------------------------

    def position(self) -> int:
        return self.media.position()

    def duration(self) -> int:
        return self.media.duration()

    def seek(self, ms: int) -> None:
        ms = max(0, min(ms, self.duration() or ms))
        self.media.setPosition(ms)
        self.view.show_boxes(self.tracks.at(to_seconds(ms)))

    def playing(self) -> bool:
        return self.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def toggle(self) -> None:
        if self.playing():
            self.media.pause()
        else:
            self.media.play()

    def pause(self) -> None:
        self.media.pause()

    def set_rate(self, rate: float) -> None:
        self.media.setPlaybackRate(rate)

    def rate(self) -> float:
        return self.media.playbackRate()

    def step(self, frames: int) -> None:
        """Pause and move by whole frames (QMediaPlayer has no frame step: seek by 1/fps)."""
        self.media.pause()
        self.seek(self.position() + round(frames * 1000 / self.fps))

    def set_overlay(self, on: bool) -> None:
        self.view.overlay = on
        self.view.show_boxes(self.tracks.at(to_seconds(self.position())))
