"""Documents shown on camera: find held-up papers cheaply, read their titles with OCR.

Runs only when the business profile asks for a document. On every sampled frame a cheap
detector (a 320-pixel-wide copy) looks for paper with print on it: dark thin strokes
(morphological black-hat) on bright, unsaturated pixels, grouped into blocks of a page's
size and shape; blocks next to each other are one paper. Only those regions go to OCR
(:mod:`dualrec_audit.vision.ocr`), and few times per showing: a region whose title was read keeps
that reading while its picture stays the same (a small gray thumbnail that correlates, the
same sharpness); a region on which no title was read is read again after 1 s, then 2 s,
4 s … (sooner when its picture changes). OCR detects lines on the region scaled down to
320 pixels and recognises only the tallest line first (a title); the next tallest, plus the
widest when an ID card is expected, only when that was no title.

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

from dualrec_audit.checks.documents_scene import SceneModel, SceneParams, crop_mask
from dualrec_audit.core.i18n import event_message
from dualrec_audit.core.result import CheckResult, Event, per_second, runs, seconds_of

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
    merge_gap: float = 0.02  # blocks this close (share of the frame's width) are one paper
    retry_s: float = 1.0  # a region with no title read: read again after this, doubling ...
    max_retry_s: float = 4.0  # ... after each read that found none, up to this
    same_corr: float = 0.8  # its picture is the same while its thumbnail correlates this well
    sharpness_change: float = 1.4  # ... and its sharpness changed by less than this factor
    det_side: int = 320  # text lines are detected on the region scaled to this longer side
    max_title_lines: int = 3  # the tallest lines read per region (the tallest one first)
    forget_s: float = 1.0  # a region the page detector misses this long is forgotten
    id_lines: int = 2  # and the widest, when an ID card is expected
    match_threshold: float = 80.0  # fuzzy match (0-100) of a title in a line read
    sighting_min_s: float = 1.0  # a page with print seen this long counts as shown-but-unread
    max_gap_s: float = 1.0  # reads this far apart belong to one showing
    scene: SceneParams = field(default_factory=SceneParams)  # held up, not background


@dataclass(frozen=True)
class _Signature:
    """A region's picture, cheaply: a 16 x 16 gray thumbnail (zero mean, unit variance) and
    its sharpness (mean Laplacian over contrast, at 64 pixels wide)."""

    thumb: np.ndarray
    sharpness: float

    def same(self, other: _Signature, p: DocumentParams) -> bool:
        corr = float((self.thumb * other.thumb).mean())
        ratio = self.sharpness / max(other.sharpness, 1e-6)
        return corr >= p.same_corr and 1 / p.sharpness_change <= ratio <= p.sharpness_change


@dataclass
class _Track:
    box: Box  # where the page detector saw it last
    read_box: Box  # where it was last read ...
    sig: _Signature  # ... and its picture there then
    last_read: float
    reading: _Reading
    fails: int = 0  # reads in a row that found no title
    seen: float = 0.0  # when the page detector last found it


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
    boxes: dict[str, Box]  # document id -> the region (frame pixels) it was read in


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


def _inter(a: Box, b: Box) -> int:
    iw = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return iw * ih


def _iou(a: Box, b: Box) -> float:
    inter = _inter(a, b)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0


def analysis_copy(frame: np.ndarray, p: DocumentParams) -> tuple[np.ndarray, float]:
    """The page detector's copy of ``frame`` (HSV, ``analysis_width`` wide) and its scale."""
    import cv2

    h, w = frame.shape[:2]
    scale = p.analysis_width / w
    size = (p.analysis_width, max(1, round(h * scale)))
    small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2HSV), scale


def paper_and_strokes(hsv: np.ndarray, p: DocumentParams) -> tuple[np.ndarray, np.ndarray]:
    """Of the analysis copy: paper (bright, unsaturated: float 0/1) and the printed strokes
    near paper (dark thin strokes, a morphological black-hat: uint8 0/1)."""
    import cv2

    paper = ((hsv[..., 2] >= p.paper_value) & (hsv[..., 1] <= p.paper_saturation)).astype(
        np.float32
    )
    near_paper = cv2.blur(paper, (5, 5)) >= 0.5
    rect5 = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    blackhat = cv2.morphologyEx(hsv[..., 2], cv2.MORPH_BLACKHAT, rect5)
    strokes = ((blackhat > p.stroke_contrast) & near_paper).astype(np.uint8)
    return paper, strokes


def find_pages(frame: np.ndarray, p: DocumentParams) -> list[Box]:
    """Regions (frame pixels) that look like paper with print on it (any print: held up or
    on the wall; :class:`DocumentsCheck` keeps only what is held up)."""
    hsv, scale = analysis_copy(frame, p)
    paper, strokes = paper_and_strokes(hsv, p)
    return page_blocks(paper, strokes, scale, frame.shape[:2], p)


def page_blocks(
    paper: np.ndarray,
    strokes: np.ndarray,
    scale: float,
    shape: tuple[int, ...],
    p: DocumentParams,
    held: np.ndarray | None = None,
) -> list[Box]:
    """Blocks of ``strokes`` on ``paper`` (the analysis copy) of a page's size and shape, as
    regions of the frame (``shape``: its height and width). With ``held``, each block that
    qualifies takes in the other blocks of print on the same paper held up (its title line,
    too small to count alone, however far above the body: the small print between them is
    too faint to be strokes)."""
    import cv2

    h, w = shape[:2]
    sh, sw = paper.shape[:2]
    if int(strokes.sum()) < p.min_strokes:
        return []
    blocks = cv2.dilate(strokes, cv2.getStructuringElement(cv2.MORPH_RECT, (7, 3)))
    blocks = cv2.morphologyEx(
        blocks, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    )
    n, labels, stats, _ = cv2.connectedComponentsWithStats(blocks)
    good = [i for i in range(1, n) if _page_like(stats[i], paper, strokes, p, sw * sh)]
    out: list[Box] = []
    for group in _same_paper(good, labels, blocks, paper, held):
        x0, y0 = min(stats[i][0] for i in group), min(stats[i][1] for i in group)
        x1 = max(stats[i][0] + stats[i][2] for i in group)
        y1 = max(stats[i][1] + stats[i][3] for i in group)
        bw, bh = x1 - x0, y1 - y0
        # Back to frame pixels, with a margin for the page's edges and a title above the print.
        mx, my = 0.2 * bw, 0.25 * bh
        fx0, fy0 = max(0.0, (x0 - mx) / scale), max(0.0, (y0 - my) / scale)
        fx1, fy1 = min(float(w), (x1 + mx) / scale), min(float(h), (y1 + my) / scale)
        out.append((int(fx0), int(fy0), int(fx1 - fx0), int(fy1 - fy0)))
    return out


def _page_like(
    stat: np.ndarray, paper: np.ndarray, strokes: np.ndarray, p: DocumentParams, frame_area: int
) -> bool:
    """A block of print of a page's size and shape, with enough strokes, on paper."""
    x, y, bw, bh = (int(v) for v in stat[:4])
    if bw * bh < p.min_area * frame_area or bh < 10 or bw < 8 or not 0.25 <= bw / bh <= 4:
        return False
    if int(strokes[y : y + bh, x : x + bw].sum()) < p.min_strokes:
        return False
    return float(paper[y : y + bh, x : x + bw].mean()) >= 0.4


def _same_paper(
    good: list[int],
    labels: np.ndarray,
    blocks: np.ndarray,
    paper: np.ndarray,
    held: np.ndarray | None,
) -> list[list[int]]:
    """Each qualifying block with the other blocks (any size) on the same held-up paper: the
    connected parts of held-up paper and print. Without ``held``: each block alone."""
    import cv2

    if held is None or not good:
        return [[i] for i in good]
    region = (blocks > 0) | (held & (paper > 0))
    closed = cv2.morphologyEx(region.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    _, of_pixel = cv2.connectedComponents(closed)
    inside = labels > 0
    n = int(labels.max()) + 1
    codes = np.unique(of_pixel[inside].astype(np.int64) * n + labels[inside])
    members: dict[int, list[int]] = {}
    for code in codes.tolist():
        members.setdefault(code // n, []).append(code % n)
    groups: dict[int, list[int]] = {}
    for i in good:
        r = next(r for r, bs in members.items() if i in bs)
        groups.setdefault(r, members[r])
    return list(groups.values())


def _one_paper(a: Box, b: Box, gap: float) -> bool:
    """Two blocks of print of one paper: one mostly inside the other, or one above the other
    (sharing most of the narrower's width) at most ``gap`` pixels apart — a page's body and
    its signature line. Papers side by side (held by both parties) stay apart."""
    ox = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])  # horizontal overlap (< 0: apart)
    oy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if ox > 0 and oy > 0 and ox * oy >= 0.5 * min(a[2] * a[3], b[2] * b[3]):
        return True
    return ox >= 0.5 * min(a[2], b[2]) and oy >= -gap


def merge_boxes(boxes: list[Box], gap: float) -> list[Box]:
    """The blocks of one paper (:func:`_one_paper`) as their union."""
    out = list(boxes)
    i = 0
    while i < len(out):
        j = next((j for j in range(i + 1, len(out)) if _one_paper(out[i], out[j], gap)), None)
        if j is None:
            i += 1
            continue
        a, b = out[i], out.pop(j)
        x0, y0 = min(a[0], b[0]), min(a[1], b[1])
        x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
        out[i] = (x0, y0, x1 - x0, y1 - y0)
        i = 0  # the union may now join an earlier box
    return out


def _signature(frame: np.ndarray, box: Box) -> _Signature:
    import cv2

    x, y, w, h = box
    gray = cv2.cvtColor(frame[y : y + h, x : x + w], cv2.COLOR_BGR2GRAY)
    small = cv2.resize(gray, (64, max(8, round(64 * h / max(w, 1)))), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32)
    thumb = cv2.resize(small, (16, 16), interpolation=cv2.INTER_AREA)
    thumb = (thumb - thumb.mean()) / (float(thumb.std()) + 1e-3)
    sharpness = float(np.abs(cv2.Laplacian(small, cv2.CV_32F)).mean()) / (float(small.std()) + 1e-3)
    return _Signature(thumb, sharpness)


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
        self.ocr_runs = 0  # regions read (line detection)
        self.ocr_lines = 0  # lines recognised
        self.regions_seen = 0
        self.width = 1
        self.scene = SceneModel(self.p.scene)
        self.held: np.ndarray | None = None  # this sample's held-up mask (analysis copy)

    # -- per sampled frame --------------------------------------------------------------------

    def update(self, t: float, frame: np.ndarray) -> None:
        self.width = frame.shape[1]
        hsv, scale = analysis_copy(frame, self.p)
        paper, strokes = paper_and_strokes(hsv, self.p)
        # Only print held up counts, never the background's (documents_scene).
        self.held = self.scene.update(t, hsv[..., 2], strokes, self.p.stroke_contrast)
        held = strokes & self.held.astype(np.uint8)
        boxes = page_blocks(paper, held, scale, frame.shape, self.p, self.held)
        boxes = merge_boxes(boxes, self.p.merge_gap * self.width)
        self.regions_seen += len(boxes)
        kept: list[_Track] = []
        found: dict[str, str] = {}
        sides: dict[str, str] = {}
        where: dict[str, Box] = {}
        matched = self._match(boxes)
        for box, previous in self._without_parts(frame, matched):
            track = self._advance(t, frame, box, previous)
            track.seen = t
            kept.append(track)
            for doc, text in track.reading.found.items():
                found.setdefault(doc, text)
                sides.setdefault(doc, "left" if box[0] + box[2] / 2 < self.width / 2 else "right")
                where.setdefault(doc, box)
        # A region missed on a sample or two (glare, a hand) is taken up again where it was.
        taken = [id(tr) for _, tr in matched if tr is not None]
        missed = [tr for tr in self.tracks if id(tr) not in taken]
        self.tracks = kept + [tr for tr in missed if t - tr.seen <= self.p.forget_s]
        # Print on paper was seen (even where OCR could not make out a line of it).
        self.samples.append(_Sample(t, found, bool(boxes), sides, where))

    def held_up(self) -> list[tuple[Box, tuple[str, ...]]]:
        """The papers seen in the latest sample: each one's box and the documents read on it
        (the identity check looks for an ID card's portrait there)."""
        t = self.samples[-1].t if self.samples else None
        return [(tr.box, tuple(tr.reading.found)) for tr in self.tracks if tr.seen == t]

    def _match(self, boxes: list[Box]) -> list[tuple[Box, _Track | None]]:
        """Each box with the track it continues, or None: the best overlap first, and first
        a track whose title was read lying mostly inside a box (a paper's blocks seen as one
        now: the box carries on the reading, not a part of it that was never read)."""

        def rank(box: Box, tr: _Track) -> tuple[bool, float]:
            inside = _inter(box, tr.box) / max(1, tr.box[2] * tr.box[3])
            read = bool(tr.reading.found) and inside >= 0.6
            return read, _iou(tr.box, box)

        pairs = sorted(
            (
                (*rank(box, tr), i, j)
                for i, box in enumerate(boxes)
                for j, tr in enumerate(self.tracks)
            ),
            reverse=True,
        )
        of_box: dict[int, _Track] = {}
        taken: set[int] = set()
        for read, iou, i, j in pairs:
            if not read and iou < 0.3:
                continue
            if i not in of_box and j not in taken:
                of_box[i] = self.tracks[j]
                taken.add(j)
        return [(box, of_box.get(i)) for i, box in enumerate(boxes)]

    def _without_parts(
        self, frame: np.ndarray, matched: list[tuple[Box, _Track | None]]
    ) -> list[tuple[Box, _Track | None]]:
        """Drops a new box lying mostly inside where a continued track was read while the
        picture there is unchanged: a part of that paper the page detector now sees apart (an
        ID card's photo). A paper held in front of it changes that picture: it is kept."""
        if all(tr is not None for _, tr in matched):
            return matched
        read = [
            tr.read_box
            for _, tr in matched
            if tr is not None and _signature(frame, tr.read_box).same(tr.sig, self.p)
        ]
        return [
            (box, tr)
            for box, tr in matched
            if tr is not None or not any(_inter(box, r) >= 0.6 * box[2] * box[3] for r in read)
        ]

    def _advance(self, t: float, frame: np.ndarray, box: Box, track: _Track | None) -> _Track:
        """The track after this sample: read again when due, else as it was."""
        if track is not None:
            track.box = box
            if not self._due(t, track, _signature(frame, track.read_box)):
                return track
        reading = self._read(frame, box)
        fails = 0 if reading.found else 1 + (track.fails if track is not None else 0)
        return _Track(box, box, _signature(frame, box), t, reading, fails)

    def _due(self, t: float, track: _Track, sig: _Signature) -> bool:
        """A read title holds while the picture stays the same; a region with no title read
        is retried after 1 s, 2 s, 4 s … (half that when its picture changed)."""
        since = t - track.last_read + 1e-6
        same = sig.same(track.sig, self.p)
        if track.reading.found:
            return not same and since >= self.p.retry_s / 2
        wait = min(self.p.retry_s * 2 ** max(0, track.fails - 1), self.p.max_retry_s)
        return since >= wait or (not same and since >= wait / 2)

    def _read(self, frame: np.ndarray, box: Box) -> _Reading:
        from dualrec_audit.vision import ocr

        x, y, w, h = box
        crop = np.array(frame[y : y + h, x : x + w])
        if self.held is not None:  # the background around a held-up paper is not read
            keep = crop_mask(self.held, box, (frame.shape[1], frame.shape[0]))
            if keep.any() and not keep.all():
                paper = crop[keep][::7]  # its colour: the median of a share of its pixels
                crop[~keep] = np.median(paper, axis=0).astype(crop.dtype)
        self.ocr_runs += 1
        quads = ocr.detect(crop, self.p.det_side)
        found: dict[str, str] = {}
        for batch in self._line_batches(quads):
            lines = ocr.recognise(crop, batch)
            self.ocr_lines += len(batch)
            found = self._titles_in(lines)
            if found:
                break
        log.debug("read %d lines at %s: %s", len(quads), box, sorted(found))
        return _Reading(found, has_text=bool(quads))

    def _titles_in(self, lines: list[Any]) -> dict[str, str]:
        """The documents whose title (or, on an ID card, a number) is in ``lines``."""
        found: dict[str, str] = {}
        for spec in self.specs:
            for line in lines:
                if spec.kind == "id_card" and line.id_number:
                    found[spec.id] = line.text
                    break
                if any(title_score(tt, line.text) >= self.p.match_threshold for tt in spec.titles):
                    found[spec.id] = line.text
                    break
        return found

    def _line_batches(self, quads: list[np.ndarray]) -> list[list[np.ndarray]]:
        """The lines to recognise, in two batches: the tallest (a title), then the next
        tallest and, when an ID card is expected, the widest (its number line)."""

        def height(q: np.ndarray) -> float:
            return float(np.ptp(q[:, 1]))

        def width(q: np.ndarray) -> float:
            return float(np.ptp(q[:, 0]))

        order = sorted(range(len(quads)), key=lambda i: -height(quads[i]))
        chosen = order[: self.p.max_title_lines]
        if any(s.kind == "id_card" for s in self.specs):
            wide = sorted(range(len(quads)), key=lambda i: -width(quads[i]))
            chosen += [i for i in wide if i not in chosen][: self.p.id_lines]
        batches = [chosen[:1], chosen[1:]]
        return [[quads[i] for i in b] for b in batches if b]

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
                "ocr_lines": self.ocr_lines,
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
                "box": list(first.boxes[spec.id]) if spec.id in first.boxes else None,
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
