"""Documents shown on camera: find held-up papers cheaply, read their titles with OCR.

Runs only when the business profile asks for a document. On every sampled frame a cheap
detector (a 320-pixel-wide copy) looks for paper with print on it: dark thin strokes
(morphological black-hat) on bright, unsaturated pixels, grouped into blocks of a page's
size and shape. Only those regions go to OCR (:mod:`dualrec_audit.ocr`), and not on every
sample: a region that stays where it was and looks the same keeps its last reading; it is
read again when its picture changes, while its title has not been read yet (at most once a
second), and every few seconds anyway. OCR reads only the tallest lines (titles), plus the
widest ones when an ID card is expected (the number line).

Per document of the profile: **shown** (a title legible for at least its ``min_seconds``),
**illegible** (a title read too briefly, or a page with print seen but no title read) or
**not shown**; with the time and the text read (ID numbers masked). Events
``document_missing`` and ``document_illegible``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from dualrec_audit.i18n import event_message
from dualrec_audit.result import CheckResult, Event, per_second, runs, seconds_of

log = logging.getLogger(__name__)

Kind = Literal["page", "id_card"]
Box = tuple[int, int, int, int]  # x, y, w, h in frame pixels


@dataclass(frozen=True)
class DocumentSpec:
    """What layer 1 looks for (from a profile's document stage)."""

    id: str
    titles: tuple[str, ...]
    kind: Kind = "page"
    min_seconds: float = 3.0
    required: bool = True


@dataclass(frozen=True)
class DocumentParams:
    analysis_width: int = 320  # the cheap page detector works at this width
    paper_value: int = 140  # paper: HSV value at least this ...
    paper_saturation: int = 70  # ... and saturation at most this
    stroke_contrast: int = 25  # black-hat response (0-255) of a printed stroke
    min_area: float = 0.004  # a page block covers at least this share of the frame
    min_strokes: int = 25  # stroke pixels (at analysis width) in a page block
    recheck_s: float = 2.0  # read a region again at least this often
    retry_s: float = 1.0  # while no title was read in it, at most this often
    change: float = 10.0  # mean abs difference (0-255) of its thumbnail: the picture changed
    max_title_lines: int = 3  # the tallest lines read per region
    id_lines: int = 2  # and the widest, when an ID card is expected
    match_threshold: float = 80.0  # fuzzy match (0-100) of a title in a line read
    sighting_min_s: float = 1.0  # a page with print seen this long counts as shown-but-unread
    max_gap_s: float = 1.0  # reads this far apart belong to one showing


@dataclass
class _Track:
    box: Box
    thumb: np.ndarray
    last_read: float
    reading: _Reading


@dataclass(frozen=True)
class _Reading:
    """What one OCR of a region gave: the documents whose title was read (id -> text) and
    whether there was print at all."""

    found: dict[str, str] = field(default_factory=dict)
    has_text: bool = False


@dataclass(frozen=True)
class _Sample:
    t: float
    found: dict[str, str]  # document id -> masked text read
    page: bool  # a page with print seen
    sides: dict[str, str]  # document id -> half of the frame it was read in (left / right)


_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    return _PUNCT.sub("", text).upper()


def title_score(title: str, line: str) -> float:
    """How well ``title`` appears in ``line`` (0-100): exact containment 100, otherwise the
    best fuzzy alignment of the title inside the line (OCR swaps a character now and then)."""
    from rapidfuzz import fuzz

    t, s = normalise(title), normalise(line)
    if not t or not s:
        return 0.0
    if t in s:
        return 100.0
    if len(t) <= 3 or len(s) < len(t) - 1:
        return 0.0
    return float(fuzz.partial_ratio(t, s))


def _iou(a: Box, b: Box) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0


def find_pages(frame: np.ndarray, p: DocumentParams) -> list[Box]:
    """Regions (frame pixels) that look like paper with print on it."""
    import cv2

    h, w = frame.shape[:2]
    scale = p.analysis_width / w
    sw, sh = p.analysis_width, max(1, round(h * scale))
    small = cv2.resize(frame, (sw, sh), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    paper = ((hsv[..., 2] >= p.paper_value) & (hsv[..., 1] <= p.paper_saturation)).astype(
        np.float32
    )
    near_paper = cv2.blur(paper, (5, 5)) >= 0.5
    rect5 = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    blackhat = cv2.morphologyEx(hsv[..., 2], cv2.MORPH_BLACKHAT, rect5)
    strokes = ((blackhat > p.stroke_contrast) & near_paper).astype(np.uint8)
    if int(strokes.sum()) < p.min_strokes:
        return []
    blocks = cv2.dilate(strokes, cv2.getStructuringElement(cv2.MORPH_RECT, (7, 3)))
    blocks = cv2.morphologyEx(
        blocks, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    )
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(blocks)
    out: list[Box] = []
    for x, y, bw, bh, _area in stats[1:n]:
        if bw * bh < p.min_area * sw * sh or bh < 10 or bw < 8 or not 0.25 <= bw / bh <= 4:
            continue
        if int(strokes[y : y + bh, x : x + bw].sum()) < p.min_strokes:
            continue
        if float(paper[y : y + bh, x : x + bw].mean()) < 0.4:
            continue
        # Back to frame pixels, with a margin for the page's edges and a title above the print.
        mx, my = 0.2 * bw, 0.25 * bh
        x0, y0 = max(0.0, (x - mx) / scale), max(0.0, (y - my) / scale)
        x1, y1 = min(float(w), (x + bw + mx) / scale), min(float(h), (y + bh + my) / scale)
        out.append((int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
    return out


def _thumb(frame: np.ndarray, box: Box) -> np.ndarray:
    import cv2

    x, y, w, h = box
    crop = cv2.cvtColor(frame[y : y + h, x : x + w], cv2.COLOR_BGR2GRAY)
    return cv2.resize(crop, (32, 32), interpolation=cv2.INTER_AREA).astype(np.int16)


class DocumentsCheck:
    name = "documents"

    def __init__(
        self,
        specs: tuple[DocumentSpec, ...],
        params: DocumentParams | None = None,
        sample_step: float = 0.5,
    ):
        self.specs = specs
        self.p = params or DocumentParams()
        self.step = sample_step
        self.samples: list[_Sample] = []
        self.tracks: list[_Track] = []
        self.ocr_runs = 0
        self.regions_seen = 0
        self.width = 1

    # -- per sampled frame --------------------------------------------------------------------

    def update(self, t: float, frame: np.ndarray) -> None:
        self.width = frame.shape[1]
        boxes = find_pages(frame, self.p)
        self.regions_seen += len(boxes)
        kept: list[_Track] = []
        found: dict[str, str] = {}
        sides: dict[str, str] = {}
        for box in boxes:
            track = self._track_for(box, kept)
            thumb = _thumb(frame, box)
            if track is None or self._should_read(t, track, thumb):
                reading = self._read(frame, box)
                track = _Track(box, thumb, t, reading)
            else:
                track.box = box
            kept.append(track)
            for doc, text in track.reading.found.items():
                found.setdefault(doc, text)
                sides.setdefault(doc, "left" if box[0] + box[2] / 2 < self.width / 2 else "right")
        self.tracks = kept
        # Print on paper was seen (even where OCR could not make out a line of it).
        self.samples.append(_Sample(t, found, bool(boxes), sides))

    def _track_for(self, box: Box, taken: list[_Track]) -> _Track | None:
        best = max(
            (tr for tr in self.tracks if tr not in taken),
            key=lambda tr: _iou(tr.box, box),
            default=None,
        )
        return best if best is not None and _iou(best.box, box) >= 0.3 else None

    def _should_read(self, t: float, track: _Track, thumb: np.ndarray) -> bool:
        since = t - track.last_read + 1e-6
        if since >= self.p.recheck_s:
            return True
        if not track.reading.found and since >= self.p.retry_s:
            return True
        changed = float(np.abs(thumb - track.thumb).mean()) >= self.p.change
        return changed and since >= self.step

    def _read(self, frame: np.ndarray, box: Box) -> _Reading:
        from dualrec_audit import ocr

        x, y, w, h = box
        crop = np.ascontiguousarray(frame[y : y + h, x : x + w])
        self.ocr_runs += 1
        quads = ocr.detect(crop)
        if not quads:
            return _Reading()
        lines = ocr.recognise(crop, self._pick_lines(quads))
        found: dict[str, str] = {}
        for spec in self.specs:
            for line in lines:
                if spec.kind == "id_card" and line.id_number:
                    found[spec.id] = line.text
                    break
                if any(title_score(tt, line.text) >= self.p.match_threshold for tt in spec.titles):
                    found[spec.id] = line.text
                    break
        log.debug("read %d of %d lines at %s: %s", len(lines), len(quads), box, sorted(found))
        return _Reading(found, has_text=True)

    def _pick_lines(self, quads: list[np.ndarray]) -> list[np.ndarray]:
        """The tallest lines (titles), and the widest when an ID card is expected."""

        def height(q: np.ndarray) -> float:
            return float(np.ptp(q[:, 1]))

        def width(q: np.ndarray) -> float:
            return float(np.ptp(q[:, 0]))

        order = sorted(range(len(quads)), key=lambda i: -height(quads[i]))
        chosen = order[: self.p.max_title_lines]
        if any(s.kind == "id_card" for s in self.specs):
            wide = sorted(range(len(quads)), key=lambda i: -width(quads[i]))
            chosen += [i for i in wide if i not in chosen][: self.p.id_lines]
        return [quads[i] for i in chosen]

    # -- the whole recording ------------------------------------------------------------------

    def finish(self, duration_s: float) -> CheckResult:
        times = [s.t for s in self.samples]
        read_any = [bool(s.found) for s in self.samples]
        statuses = [self._status(spec, times, read_any, duration_s) for spec in self.specs]
        events = [
            e
            for st, spec in zip(statuses, self.specs, strict=True)
            for e in _events(st, spec, duration_s)
        ]
        # Seconds with a page: 1 where a title was read, 0.3 where print was not readable.
        scored = [(s.t, 1.0 if s.found else 0.3) for s in self.samples if s.found or s.page]
        n = seconds_of(duration_s)
        timeline = per_second([t for t, _ in scored], [v for _, v in scored], n)
        return CheckResult(
            name=self.name,
            status="ok",
            timeline=tuple(timeline),
            events=tuple(events),
            details={
                "documents": statuses,
                "samples": len(self.samples),
                "page_regions": self.regions_seen,
                "ocr_runs": self.ocr_runs,
            },
        )

    def _status(
        self, spec: DocumentSpec, times: list[float], read_any: list[bool], duration: float
    ) -> dict[str, Any]:
        p = self.p
        hits = [spec.id in s.found for s in self.samples]
        read = runs(times, hits, self.step, max_gap=p.max_gap_s)
        long_enough = [r for r in read if r[1] - r[0] >= spec.min_seconds - 1e-6]
        out: dict[str, Any] = {"id": spec.id, "kind": spec.kind, "min_seconds": spec.min_seconds}
        seconds = round(sum(e - s for s, e in read), 2)
        if read:
            span = long_enough[0] if long_enough else max(read, key=lambda r: r[1] - r[0])
            first = next(s for s in self.samples if span[0] <= s.t < span[1] and spec.id in s.found)
            status = "shown" if long_enough else "illegible"
            why = None if long_enough else "too_short"
            return out | {
                "status": status,
                "reason": why,
                "start": round(span[0], 2),
                "end": round(min(span[1], duration), 2),
                "seconds": seconds,
                "text": first.found[spec.id],
                "side": first.sides.get(spec.id),
            }
        # Pages with print on which no document's title was read: shown, but unreadable.
        unread = [s.page and not r for s, r in zip(self.samples, read_any, strict=True)]
        seen = runs(times, unread, self.step, min_duration=p.sighting_min_s, max_gap=p.max_gap_s)
        if seen:
            span = max(seen, key=lambda r: r[1] - r[0])
            return out | {
                "status": "illegible",
                "reason": "unreadable",
                "start": round(span[0], 2),
                "end": round(min(span[1], duration), 2),
                "seconds": 0.0,
                "text": None,
                "side": None,
            }
        return out | {
            "status": "not_shown",
            "reason": None,
            "start": None,
            "end": None,
            "seconds": 0.0,
            "text": None,
            "party": None,
        }


def _events(status: dict[str, Any], spec: DocumentSpec, duration: float) -> list[Event]:
    title = spec.titles[0]
    if status["status"] == "not_shown":
        return [
            Event(
                check="document_missing",
                start=0.0,
                end=duration,
                severity="high" if spec.required else "low",
                message=event_message("document_missing", title=title),
                details={"document": spec.id, "title": title},
            )
        ]
    if status["status"] == "illegible":
        return [
            Event(
                check="document_illegible",
                start=float(status["start"]),
                end=float(status["end"]),
                severity="medium",
                message=event_message(
                    "document_illegible", title=title, reason=str(status["reason"])
                ),
                details={"document": spec.id, "title": title, "reason": status["reason"]},
            )
        ]
    return []
