"""The timeline under the player: each check's per-second score as a coloured band, every
finding as a marker, the places to watch, and the playhead. Clicking a marker selects that
finding; clicking or dragging anywhere else seeks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from dualrec_audit.batch.report import fmt_time
from dualrec_audit.core.i18n import PARTY
from dualrec_audit.core.result import AuditResult
from dualrec_audit.review.player import to_position, to_seconds

MIN_LABEL_W = 60
MARKER_H = 20
ROW_H = 14
ROW_GAP = 3
AXIS_H = 16

RED, AMBER, GREEN = QColor(220, 50, 47), QColor(245, 180, 0), QColor(67, 160, 71)
SEVERITY_COLOURS = {"high": RED, "medium": QColor(240, 120, 0), "low": QColor(120, 120, 120)}


def score_colour(v: float | None) -> QColor:
    """Red (0) through amber (0.6) to green (1); grey when the second was not scored."""
    if v is None:
        return QColor(210, 210, 210)
    v = max(0.0, min(1.0, v))

    def mix(a: QColor, b: QColor, f: float) -> QColor:
        return QColor(
            round(a.red() + (b.red() - a.red()) * f),
            round(a.green() + (b.green() - a.green()) * f),
            round(a.blue() + (b.blue() - a.blue()) * f),
        )

    return mix(RED, AMBER, v / 0.6) if v < 0.6 else mix(AMBER, GREEN, (v - 0.6) / 0.4)


@dataclass(frozen=True)
class Span:
    """A stretch drawn on a band instead of per-second scores (a document held up)."""

    start: float
    end: float
    status: str  # shown | illegible (documents); same_person | customer_changed | staff_changed
    text: str


@dataclass(frozen=True)
class Band:
    label: str
    values: Sequence[float | None]
    available: bool = True
    note: str = ""  # why not available
    spans: Sequence[Span] = ()  # when given, drawn instead of the values


SPAN_COLOURS = {
    "shown": GREEN,
    "illegible": AMBER,
    "same_person": GREEN,
    "customer_changed": RED,
    "staff_changed": AMBER,
}


def documents_band(result: AuditResult, label: str, lang: str) -> Band:
    """The documents band: each document of the profile where it was seen, green when its
    title was legible long enough, amber when not; a note when none was shown."""
    check = result.checks.get("documents")
    spans = [
        Span(d.start, d.end if d.end is not None else d.start, d.status, d.name.get(lang))
        for d in result.documents
        if d.start is not None and d.status in SPAN_COLOURS
    ]
    missing = ", ".join(d.name.get(lang) for d in result.documents if d.status == "not_shown")
    available = check is not None and check.status == "ok"
    note = (check.reason.get(lang) if check and check.reason else "") if not available else ""
    return Band(label, (), available, note or missing, tuple(spans))


def identity_band(result: AuditResult, label: str, lang: str) -> Band:
    """The identity band: the customer's first person green, each later person red (the
    customer replaced), a staff member's later person amber over it; a span's text names the
    party and the person (#1, #2 ...)."""
    check = result.checks.get("identity")
    spans = []
    for party in ("customer", "staff"):
        for s in result.identity.get(party, []):
            changed = int(s["person"]) != 0
            if party == "staff" and not changed:
                continue
            status = f"{party}_changed" if changed else "same_person"
            text = f"{PARTY[party].get(lang)} #{int(s['person']) + 1}"
            spans.append(Span(float(s["start"]), float(s["end"]), status, text))
    available = check is not None and check.status == "ok"
    note = (check.reason.get(lang) if check and check.reason else "") if not available else ""
    return Band(label, (), available, note, tuple(spans))


@dataclass(frozen=True)
class Marker:
    id: int
    start: float
    end: float
    severity: str
    text: str
    false_alarm: bool = False


class Timeline(QWidget):
    seek_requested = Signal(int)  # ms
    marker_clicked = Signal(int)  # finding id

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("timeline")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.duration = 0.0
        self.bands: list[Band] = []
        self.markers: list[Marker] = []
        self.watch: list[tuple[float, float]] = []
        self.position_ms = 0
        self.selected: int | None = None
        self.label_w = MIN_LABEL_W
        self._dragging = False
        self.played: list[tuple[float, float]] = []  # what the player played (green strip)
        self.view_start = 0.0  # the part of the recording shown (zoom)
        self.view_len = 0.0

    # -- data --------------------------------------------------------------------------------

    def set_data(
        self,
        duration: float,
        bands: list[Band],
        markers: list[Marker],
        watch: list[tuple[float, float]],
    ) -> None:
        self.duration = max(duration, 0.001)
        self.view_start, self.view_len = 0.0, self.duration
        self.played = []
        self.bands, self.markers, self.watch = bands, markers, watch
        metrics = self.fontMetrics()
        self.label_w = max([MIN_LABEL_W] + [metrics.horizontalAdvance(b.label) + 14 for b in bands])
        self.selected = None
        self.setFixedHeight(self.sizeHint().height())
        self.update()

    def set_position(self, ms: int) -> None:
        if ms != self.position_ms:
            self.position_ms = ms
            t = to_seconds(ms)
            if self.zoomed() and not self.view_start <= t <= self.view_start + self.view_len:
                self._show_around(t)  # the playhead left the zoomed part: follow it
            self.update()

    def set_played(self, played: list[tuple[float, float]]) -> None:
        self.played = list(played)
        self.update()

    # -- zoom --------------------------------------------------------------------------------

    def zoomed(self) -> bool:
        return self.view_len < self.duration - 1e-6

    def zoom(self, factor: float, around: float | None = None) -> None:
        """Zoom in (factor > 1) or out around ``around`` seconds (default: the playhead);
        at most 10 s shown, at least the whole recording."""
        if not self.duration:
            return
        centre = to_seconds(self.position_ms) if around is None else around
        self.view_len = max(min(10.0, self.duration), min(self.duration, self.view_len / factor))
        self._show_around(centre)
        self.update()

    def zoom_reset(self) -> None:
        self.view_start, self.view_len = 0.0, self.duration
        self.update()

    def _show_around(self, t: float) -> None:
        start = t - self.view_len / 2
        self.view_start = max(0.0, min(self.duration - self.view_len, start))

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Ctrl + wheel zooms around the pointer; the wheel alone scrolls a zoomed timeline."""
        steps = event.angleDelta().y() / 120
        if not steps:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(2.0**steps, self._seconds(event.position().x()))
        elif self.zoomed():
            self._show_around(self.view_start + self.view_len / 2 - steps * self.view_len / 4)
            self.update()
        event.accept()

    def select(self, finding_id: int | None) -> None:
        self.selected = finding_id
        self.update()

    def sizeHint(self) -> QSize:
        n = max(1, len(self.bands))
        return QSize(600, MARKER_H + n * (ROW_H + ROW_GAP) + AXIS_H + 4)

    # -- geometry ------------------------------------------------------------------------------

    def _x(self, seconds: float) -> float:
        w = self.width() - self.label_w - 8
        length = self.view_len or self.duration
        t = max(self.view_start, min(seconds, self.view_start + length))
        return self.label_w + w * (t - self.view_start) / length

    def _seconds(self, x: float) -> float:
        w = max(1, self.width() - self.label_w - 8)
        length = self.view_len or self.duration
        t = self.view_start + (x - self.label_w) * length / w
        return max(0.0, min(self.duration, t))

    def marker_at(self, pos: QPointF) -> Marker | None:
        if pos.y() > MARKER_H + 2 or pos.x() < self.label_w - 6:
            return None
        hits = [
            m
            for m in self.markers
            if self._x(m.start) - 7 <= pos.x() <= max(self._x(m.end), self._x(m.start) + 7)
        ]
        return min(hits, key=lambda m: abs(self._x(m.start) - pos.x()), default=None)

    # -- painting ------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        if not self.duration or not self.bands:
            p.end()
            return
        rows_top = MARKER_H
        rows_h = len(self.bands) * (ROW_H + ROW_GAP)
        self._paint_watch(p, rows_top, rows_h)
        self._paint_bands(p, rows_top)
        self._paint_markers(p)
        self._paint_played(p)
        self._paint_axis(p, rows_top + rows_h + 2)
        self._paint_playhead(p, rows_top + rows_h)
        p.end()

    def _paint_watch(self, p: QPainter, rows_top: float, rows_h: float) -> None:
        """The places to watch, behind everything."""
        for s, e in self.watch:
            p.fillRect(
                QRectF(self._x(s), rows_top - 2, self._x(e) - self._x(s), rows_h + 2),
                QColor(30, 120, 255, 40),
            )

    def _paint_bands(self, p: QPainter, rows_top: float) -> None:
        """One band per check: its label, then its per-second scores, its spans or its note."""
        x0, x1 = self.label_w, self.width() - 8
        text_pen = QPen(self.palette().text().color())
        for i, band in enumerate(self.bands):
            y = rows_top + i * (ROW_H + ROW_GAP)
            p.setPen(text_pen)
            p.drawText(
                QRectF(4, y, self.label_w - 8, ROW_H),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                band.label,
            )
            if band.available and (band.spans or not band.values):
                self._paint_spans(p, band, x0, x1, y)
                continue
            if not band.available or not band.values:
                p.fillRect(QRectF(x0, y, x1 - x0, ROW_H), QColor(225, 225, 225))
                p.setPen(QColor(110, 110, 110))
                p.drawText(
                    QRectF(x0 + 6, y, x1 - x0 - 6, ROW_H),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    band.note,
                )
                continue
            first = int(self.view_start)
            last = min(len(band.values), int(self.view_start + self.view_len) + 1)
            for sec in range(first, last):
                left, right = self._x(sec), self._x(sec + 1)
                p.fillRect(
                    QRectF(left, y, right - left + 0.5, ROW_H), score_colour(band.values[sec])
                )

    def _paint_markers(self, p: QPainter) -> None:
        """Findings: a triangle at the start, a bar over the duration."""
        for m in self.markers:
            if m.end < self.view_start or m.start > self.view_start + self.view_len:
                continue  # outside the zoomed part
            colour = SEVERITY_COLOURS.get(m.severity, RED)
            if m.false_alarm:
                colour = QColor(150, 150, 150)
            xs, xe = self._x(m.start), self._x(m.end)
            selected = m.id == self.selected
            p.fillRect(QRectF(xs, MARKER_H - 6, max(2.0, xe - xs), 4), colour)
            tri = QPolygonF([QPointF(xs - 6, 2), QPointF(xs + 6, 2), QPointF(xs, MARKER_H - 6)])
            p.setPen(
                QPen(QColor(0, 0, 0) if selected else colour.darker(130), 2 if selected else 1)
            )
            p.setBrush(colour)
            p.drawPolygon(tri)

    def _paint_played(self, p: QPainter) -> None:
        """What was played, under the markers."""
        for s, e in self.played:
            p.fillRect(
                QRectF(self._x(s), MARKER_H - 2, self._x(e) - self._x(s), 2), QColor(30, 140, 60)
            )

    def _paint_axis(self, p: QPainter, axis_y: float) -> None:
        """The time axis: a tick and a time every few seconds of the part shown."""
        p.setPen(QPen(self.palette().text().color()))
        length = self.view_len or self.duration
        step = next(
            (s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600) if length / s <= 12),
            900,
        )
        t = (int(self.view_start) // step) * step
        metrics = p.fontMetrics()
        while t <= self.view_start + length + 1e-6:
            if t < self.view_start - 1e-6:
                t += step
                continue
            x = self._x(t)
            label = fmt_time(t)
            p.drawLine(QPointF(x, axis_y), QPointF(x, axis_y + 3))
            lx = min(x + 2, self.width() - 2 - metrics.horizontalAdvance(label))
            p.drawText(QPointF(lx, axis_y + AXIS_H - 3), label)
            t += step

    def _paint_playhead(self, p: QPainter, bottom: float) -> None:
        xp = self._x(to_seconds(self.position_ms))
        p.setPen(QPen(QColor(0, 0, 0), 2))
        p.drawLine(QPointF(xp, 0), QPointF(xp, bottom))

    def _paint_spans(self, p: QPainter, band: Band, x0: float, x1: float, y: float) -> None:
        p.fillRect(QRectF(x0, y, x1 - x0, ROW_H), QColor(240, 240, 240))
        if band.note and not band.spans:
            p.setPen(QColor(160, 40, 40))
            p.drawText(
                QRectF(x0 + 6, y, x1 - x0 - 6, ROW_H),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                band.note,
            )
        for sp in band.spans:
            left, right = self._x(sp.start), max(self._x(sp.end), self._x(sp.start) + 2)
            p.fillRect(QRectF(left, y, right - left, ROW_H), SPAN_COLOURS.get(sp.status, RED))
            p.setPen(QColor(0, 0, 0))
            p.drawText(
                QRectF(left + 2, y, max(0.0, right - left - 2), ROW_H),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                sp.text,
            )

    # -- mouse ---------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        m = self.marker_at(event.position())
        if m is not None:
            self.marker_clicked.emit(m.id)
            return
        if event.position().x() >= self.label_w - 4:
            self._dragging = True
            self.seek_requested.emit(to_position(self._seconds(event.position().x())))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._dragging:
            self.seek_requested.emit(to_position(self._seconds(event.position().x())))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._dragging = False

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip and isinstance(e, QHelpEvent):
            m = self.marker_at(QPointF(e.pos()))
            if m is not None:
                QToolTip.showText(e.globalPos(), m.text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(e)
