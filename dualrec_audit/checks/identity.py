"""Identity: the same person throughout for each party, and the ID card shows the customer.

Each party's face (found by the faces check) is described by dlib's face recognition network
(:mod:`dualrec_audit.vision.face_id`) at its first appearance, whenever the face tracker loses
the party and finds it again, whenever the face's look jumps (a cheap 16 x 16 thumbnail and the
colours of face, hair and clothes like none of the last few seconds', or a box that moves or
changes size abruptly: a cut, a change of seat), and otherwise every ``interval_s`` (a
descriptor costs as much CPU as about 24 sampled frames of the faces check, so few are taken).
A descriptor farther than ``threshold`` from the current person's is a candidate change; the
next one is taken ``confirm_s`` later, and only ``consecutive`` such samples in a row, alike
among themselves, make a change (one bad frame is no change). The change is placed at the
sample between the last one of the person before and the first of the new one where the face's
look changed most: event ``person_changed`` ``{party, start, end, distance}``. ``identity``
in the result: per party, the spans of each distinct person (one who comes back keeps their
number).

ID card: a face the detector finds inside a held-up paper (a region of the documents check) is
a portrait on that paper, never a person in the room: it is kept out of ``extra_person``
(:meth:`IdentityCheck.printed`) and, on a paper read as an ID card, described (at most every
``card_every_s``). :func:`card_face` compares those portraits with the customer's faces in
the card's seconds and nearby: ``match``, ``mismatch`` (event ``id_face_mismatch``),
``no_face_on_card`` or ``no_customer_face``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from dualrec_audit.checks.documents import DocumentsCheck
from dualrec_audit.checks.face_detect import Face
from dualrec_audit.checks.faces import PARTIES, PartyState
from dualrec_audit.core.i18n import event_message
from dualrec_audit.core.result import CheckResult, Event, Party, seconds_of
from dualrec_audit.vision.face_id import FaceDescriber, centre, distance

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]  # x, y, w, h
Paper = tuple[Box, tuple[str, ...]]  # a held-up paper's box and the documents read on it


@dataclass(frozen=True)
class IdentityParams:
    enabled: bool = True
    # Profile values ([identity] in a profile; these are the measured defaults, see
    # docs/identity.md): two faces are one person up to this distance ...
    threshold: float = 0.6
    # ... and a change takes this many descriptors in a row over it.
    consecutive: int = 2
    card_threshold: float = 0.6  # a card's portrait against the customer
    # A descriptor per party at least this often (besides the jumps, re-findings and cards);
    # one costs as much CPU as about 24 sampled frames of the faces check (docs/identity.md),
    # and the cost target leaves room for about 12 in ten minutes.
    interval_s: float = 300.0
    confirm_s: float = 1.0  # after one over the threshold, the next this soon
    # A face thumbnail correlating less than this with every one of the last look_memory
    # samples' is a jump (one person's looked 0.62 or more alike on the tune media and the
    # samples, faces cut by the frame edge and a card's arrival aside; across a cut, 0.36).
    look_corr: float = 0.6
    look_memory: int = 12
    # ... or colours (face, hair, clothes) overlapping less than this with every one of those
    # (one person's 0.94 or more on the tune media and the samples, a change of lighting tint
    # 0.54 and a card's arrival 0.72 aside; across the tune cut, 0.65).
    colour_overlap: float = 0.85
    jump_move: float = 0.35  # or a box moving by this share of its size, ...
    jump_size: float = 1.3  # ... or growing / shrinking by this factor
    min_face_px: float = 40.0  # smaller faces are not described, nor darker or brighter ...
    min_brightness: float = 25.0  # ... faces (grey mean within this of black or white) ...
    min_contrast: float = 10.0  # ... or flatter ones (grey standard deviation under this)
    card_every_s: float = 1.0  # a portrait on a card described at most this often
    card_near_s: float = 30.0  # the customer's faces this close to the card are compared
    max_person_descriptors: int = 8  # a person's centre: the mean of their first few


@dataclass
class _Person:
    descriptors: list[np.ndarray] = field(default_factory=list)

    @property
    def centre(self) -> np.ndarray:
        return centre(self.descriptors)


@dataclass
class _Party:
    """One party's identity so far."""

    persons: list[_Person] = field(default_factory=list)
    current: int | None = None
    # (person, start) of each span; the last is open.
    spans: list[list[Any]] = field(default_factory=list)
    pending: list[tuple[float, np.ndarray, float]] = field(default_factory=list)
    last_ok: float | None = None  # the last sample described as the current person
    last_described: float = -1e9
    was_present: bool = False
    owed: bool = False  # found again or its look jumped: a descriptor is due when describable
    # The last few describable looks, one a row: thumbnails (256) and colours (48).
    thumbs: np.ndarray = field(default_factory=lambda: np.zeros((0, 256), np.float32))
    colours: np.ndarray = field(default_factory=lambda: np.zeros((0, 48), np.float32))
    box: Box | None = None
    looks: list[tuple[float, float]] = field(default_factory=list)  # (t, look change 0-2)
    changes: list[dict[str, Any]] = field(default_factory=list)
    described: int = 0
    distances: list[tuple[float, float]] = field(default_factory=list)  # (t, to the current)


@dataclass(frozen=True)
class Portrait:
    t: float
    documents: tuple[str, ...]
    descriptor: np.ndarray
    height: float


def _look(frame: np.ndarray, box: Box) -> tuple[np.ndarray, float, float] | None:
    """The face's 16 x 16 grey thumbnail (zero mean, unit variance), and the grey mean and
    standard deviation of the face box (its brightness and contrast, 0-255)."""
    import cv2

    x, y, w, h = (round(v) for v in box)
    x0, y0 = max(0, x), max(0, y)
    crop = frame[y0 : max(y0, y + h), x0 : max(x0, x + w)]
    if crop.size == 0:
        return None
    k = max(1, min(crop.shape[:2]) // 32)  # every k-th pixel: about 32 across, then 16
    small = cv2.resize(crop[::k, ::k], (16, 16), interpolation=cv2.INTER_AREA)
    g = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
    mean, std = float(g.mean()), float(g.std())
    return (g - mean) / (std + 1e-3), mean, std


def _colours(frame: np.ndarray, box: Box) -> np.ndarray:
    """The hue-saturation histogram (12 x 4, sums to 1; dark pixels left out) of the face with
    the hair above it and the clothes below: what changes at once when another person sits
    down, however alike two faces look in a small thumbnail."""
    import cv2

    x, y, w, h = box
    fh, fw = frame.shape[:2]
    x0, x1 = int(max(0, x - 0.25 * w)), int(min(fw, x + 1.25 * w))
    y0, y1 = int(max(0, y - 0.3 * h)), int(min(fh, y + 2.0 * h))
    crop = frame[y0:y1, x0:x1]
    k = max(1, min(crop.shape[:2]) // 48)
    hsv = cv2.cvtColor(np.ascontiguousarray(crop[::k, ::k]), cv2.COLOR_BGR2HSV)
    lit = (hsv[..., 2] > 40).astype(np.uint8)
    hist = cv2.calcHist([hsv], [0, 1], lit, [12, 4], [0, 180, 0, 256]).ravel()
    return hist / max(float(hist.sum()), 1.0)


def _inside(face: Face, box: Box) -> bool:
    cx, cy = face.box[0] + face.box[2] / 2, face.box[1] + face.box[3] / 2
    return box[0] <= cx <= box[0] + box[2] and box[1] <= cy <= box[1] + box[3]


class IdentityCheck:
    name = "identity"

    def __init__(self, models: Path, params: IdentityParams | None = None, step: float = 0.5):
        self.p = params or IdentityParams()
        self.step = step
        self.describer = FaceDescriber(models)
        self.parties: dict[str, _Party] = {party: _Party() for party in PARTIES}
        self.portraits: list[Portrait] = []
        self.customer: list[tuple[float, np.ndarray]] = []  # every customer descriptor
        self._printed: dict[float, int] = {}
        self._last_portrait = -1e9

    # -- per sampled frame ----------------------------------------------------------------------

    def update(
        self,
        t: float,
        frame: np.ndarray,
        parties: Mapping[str, PartyState],
        extras: Sequence[Face] = (),
        papers: Sequence[Paper] = (),
    ) -> None:
        """One sample: the parties' faces (from the faces check), the faces no party was given
        and the papers held up (boxes and the documents read on them)."""
        card_seen = self._portraits(t, frame, extras, papers)
        for party in PARTIES:
            st = parties.get(party)
            if st is None or not st.present or st.box is None:
                self.parties[party].was_present = False
                self.parties[party].thumbs = self.parties[party].thumbs[:0]
                self.parties[party].colours = self.parties[party].colours[:0]
                continue
            self._party(party, t, frame, st, force=card_seen and party == "customer")

    def printed(self) -> dict[float, int]:
        """Per sample time, the faces found inside a held-up paper (portraits, not people)."""
        return dict(self._printed)

    def _portraits(
        self, t: float, frame: np.ndarray, extras: Sequence[Face], papers: Sequence[Paper]
    ) -> bool:
        """Faces inside papers counted (and, on an ID card, described); True when one was
        described now."""
        described = False
        for face in extras:
            paper = next((pp for pp in papers if _inside(face, pp[0])), None)
            if paper is None:
                continue
            self._printed[t] = self._printed.get(t, 0) + 1
            if t - self._last_portrait < self.p.card_every_s - 1e-6:
                continue
            self._last_portrait = t
            d = self.describer.describe(frame, face.box)
            self.portraits.append(Portrait(t, paper[1], d, face.box[3]))
            described = True
        return described

    def _party(
        self, party: str, t: float, frame: np.ndarray, st: PartyState, *, force: bool
    ) -> None:
        p, s = self.p, self.parties[party]
        box = st.box
        assert box is not None
        seen = _look(frame, box)
        s.owed = s.owed or not s.was_present  # found again: who is it now?
        s.was_present = True
        if seen is None or st.cut or st.turned or box[3] < p.min_face_px or not self._fair(seen):
            s.looks.append((t, 0.0))  # not describable: owed descriptors wait for it
            return
        looks = (seen[0], _colours(frame, box))
        s.owed = self._jumped(s, box, looks, t) or s.owed
        since = t - s.last_described
        due = (
            s.current is None
            or since >= p.interval_s - 1e-6
            or ((s.owed or bool(s.pending)) and since >= p.confirm_s - 1e-6)
            or (force and since >= p.card_every_s - 1e-6)
        )
        if not due:
            return
        s.last_described, s.owed = t, False
        s.described += 1
        d = self.describer.describe(frame, box)
        if party == "customer":
            self.customer.append((t, d))
        self._observe(party, s, t, d)

    def _jumped(self, s: _Party, box: Box, looks: tuple[np.ndarray, np.ndarray], t: float) -> bool:
        """Whether the face's look jumped: its thumbnail like none of the last few seconds'
        describable ones (the same person's looks recur as they move), or its box moved or
        changed size abruptly. Records the change of look since the last sample (where a
        change is placed)."""
        p = self.p
        thumb, colours = looks
        look, jumped = 0.0, False
        t_row, c_row = thumb.reshape(1, -1), colours.reshape(1, -1).astype(np.float32)
        if len(s.thumbs):
            alike = s.thumbs @ t_row[0] / t_row.shape[1]
            look = 1.0 - float(alike[-1])
            same_colours = np.minimum(s.colours, c_row).sum(axis=1)
            jumped = (
                float(alike.max()) < p.look_corr or float(same_colours.max()) < p.colour_overlap
            )
        if s.box is not None and len(s.thumbs):
            move = np.hypot(box[0] - s.box[0], box[1] - s.box[1]) / max(s.box[3], 1.0)
            grow = max(box[3], 1.0) / max(s.box[3], 1.0)
            jumped = jumped or move > p.jump_move or not 1 / p.jump_size <= grow <= p.jump_size
        s.thumbs = np.vstack([s.thumbs[1 - p.look_memory :], t_row])
        s.colours = np.vstack([s.colours[1 - p.look_memory :], c_row])
        s.box = box
        s.looks.append((t, 2.0 if jumped else look))
        return jumped

    def _fair(self, seen: tuple[np.ndarray, float, float]) -> bool:
        """The face is lit well enough to be described: not too dark or bright, with some
        contrast (a face at 6 % of its light was 0.61-0.66 from itself: another person)."""
        p = self.p
        _, mean, std = seen
        return p.min_brightness <= mean <= 255 - p.min_brightness and std >= p.min_contrast

    def _observe(self, party: str, s: _Party, t: float, d: np.ndarray) -> None:
        p = self.p
        if s.current is None:
            s.current = self._person_of(s, [d])
            s.spans.append([s.current, t])
            s.last_ok = t
            return
        person = s.persons[s.current]
        dist = distance(d, person.centre)
        s.distances.append((round(t, 2), round(dist, 3)))
        if dist <= p.threshold:
            s.pending.clear()
            if len(person.descriptors) < p.max_person_descriptors:
                person.descriptors.append(d)
            s.last_ok = t
            return
        # Candidates must look alike among themselves: else only the newest is kept.
        if s.pending and any(distance(d, q) > p.threshold for _, q, _ in s.pending):
            s.pending.clear()
        s.pending.append((t, d, dist))
        if len(s.pending) >= p.consecutive:
            self._change(party, s)

    def _person_of(self, s: _Party, ds: list[np.ndarray]) -> int:
        """The person these descriptors are: one seen before (closest within the threshold)
        or a new one."""
        c = centre(ds)
        best = min(
            range(len(s.persons)), key=lambda i: distance(c, s.persons[i].centre), default=None
        )
        if best is not None and distance(c, s.persons[best].centre) <= self.p.threshold:
            return best
        s.persons.append(_Person(list(ds[: self.p.max_person_descriptors])))
        return len(s.persons) - 1

    def _change(self, party: str, s: _Party) -> None:
        """The pending descriptors are another person: where the change happened, the new
        person's span and the event's details."""
        first, last = s.pending[0][0], s.pending[-1][0]
        before = s.last_ok if s.last_ok is not None else first
        # The sample between the last look of the person before and the first of the new one
        # where the face's look changed most.
        between = [(look, t) for t, look in s.looks if before < t <= first]
        at = max(between, key=lambda x: (x[0], -x[1]))[1] if between else first
        prev = max((t for t, _ in s.looks if t < at), default=before)
        new = self._person_of(s, [q for _, q, _ in s.pending])
        if new == s.current:  # together, the candidates are the same person after all
            s.pending.clear()
            return
        dist = float(np.mean([x for _, _, x in s.pending]))
        s.changes.append(
            {
                "party": party,
                "start": round(prev, 2),
                "end": round(at, 2),
                "distance": round(dist, 3),
                "from_person": s.current,
                "to_person": new,
            }
        )
        s.current = new
        s.spans.append([new, at])
        s.pending.clear()
        s.last_ok = last

    # -- the whole recording --------------------------------------------------------------------

    def finish(self, duration_s: float) -> CheckResult:
        events = []
        identity: dict[str, list[dict[str, Any]]] = {}
        n = seconds_of(duration_s)
        timeline: list[float | None] = [None] * n
        for s in self.parties.values():
            for t, _ in s.looks:
                timeline[min(n - 1, int(t))] = 1.0
        for party, s in self.parties.items():
            spans = []
            for i, (person, start) in enumerate(s.spans):
                end = s.spans[i + 1][1] if i + 1 < len(s.spans) else duration_s
                spans.append({"person": person, "start": round(start, 2), "end": round(end, 2)})
            identity[party] = spans
            for ch in s.changes:
                events.append(_change_event(ch, duration_s))
                for sec in range(int(ch["start"]), min(n, int(ch["end"]) + 1)):
                    timeline[sec] = 0.0
        return CheckResult(
            name=self.name,
            status="ok",
            timeline=tuple(timeline),
            events=tuple(events),
            details={
                "identity": identity,
                "changes": [c for s in self.parties.values() for c in s.changes],
                "descriptors": {party: s.described for party, s in self.parties.items()},
                # Each descriptor's distance to the person of its party at that time.
                "distances": {party: s.distances for party, s in self.parties.items()},
                "portraits": len(self.portraits),
                "printed_faces": sum(self._printed.values()),
                "params": asdict(self.p),
            },
        )

    def card_face(self, document: str, start: float | None, end: float | None) -> dict[str, Any]:
        """The card portrait of ``document`` (shown from ``start`` to ``end``) against the
        customer (see :func:`card_face`)."""
        return card_face(self.portraits, self.customer, document, start, end, self.p)


def card_face(
    portraits: Sequence[Portrait],
    customer: Sequence[tuple[float, np.ndarray]],
    document: str,
    start: float | None,
    end: float | None,
    p: IdentityParams,
) -> dict[str, Any]:
    """The portrait on an ID card against the customer: ``{status, distance, threshold}``.

    The portraits are those described on a paper read as ``document``, or on a paper not (yet)
    read at all within a second of the card's showing (``start``-``end``); the customer's faces
    are those described within ``card_near_s`` of it, the closest in time first."""
    lo = (start if start is not None else 0.0) - 1.0
    hi = (end if end is not None else lo) + 1.0
    own = [x for x in portraits if document in x.documents]
    unread = [x for x in portraits if not x.documents and lo <= x.t <= hi]
    faces = own or unread
    out: dict[str, Any] = {"threshold": p.card_threshold, "distance": None}
    if not faces:
        return out | {"status": "no_face_on_card"}
    t0, t1 = min(x.t for x in faces), max(x.t for x in faces)
    near = [(abs(t - (t0 + t1) / 2), t, d) for t, d in customer if t0 - p.card_near_s <= t]
    near = [x for x in near if x[1] <= t1 + p.card_near_s]
    if not near:
        return out | {"status": "no_customer_face", "portraits": len(faces)}
    near.sort(key=lambda x: x[0])
    who = centre([d for _, _, d in near[:5]])
    dist = distance(centre([x.descriptor for x in faces]), who)
    return out | {
        "status": "match" if dist <= p.card_threshold else "mismatch",
        "distance": round(dist, 3),
        "portraits": len(faces),
        "start": round(t0, 2),
        "end": round(t1, 2),
    }


def _change_event(ch: Mapping[str, Any], duration_s: float) -> Event:
    party: Party = ch["party"]
    return Event(
        check="person_changed",
        start=float(ch["start"]),
        end=min(float(ch["end"]), duration_s),
        severity="high" if party == "customer" else "medium",
        party=party,
        message=event_message("person_changed", party, distance=f"{ch['distance']:.2f}"),
        details={
            "distance": ch["distance"],
            "from_person": ch["from_person"],
            "to_person": ch["to_person"],
        },
    )


def mismatch_event(document: str, face: Mapping[str, Any], duration_s: float) -> Event:
    """``id_face_mismatch`` at the card's time."""
    start = float(face.get("start") or 0.0)
    end = max(start + 0.5, float(face.get("end") or start))
    return Event(
        check="id_face_mismatch",
        start=start,
        end=min(end, duration_s),
        severity="high",
        party="customer",
        message=event_message("id_face_mismatch", "customer", distance=f"{face['distance']:.2f}"),
        details={"document": document, **dict(face)},
    )


def with_cards(
    check: IdentityCheck, identity: CheckResult, documents: CheckResult | None, duration_s: float
) -> tuple[CheckResult, CheckResult | None]:
    """Each ID card the documents check saw, its portrait against the customer: ``face`` on
    that document and ``id_face_mismatch`` when it is another person."""
    if documents is None or documents.status != "ok":
        return identity, documents
    docs, cards, events = [], [], list(identity.events)
    for d in documents.details.get("documents", []):
        if d.get("kind") != "id_card" or d.get("status") not in ("shown", "illegible"):
            docs.append(d)
            continue
        face = check.card_face(d["id"], d.get("start"), d.get("end"))
        docs.append({**d, "face": face})
        cards.append({"document": d["id"], **face})
        if face["status"] == "mismatch":
            events.append(mismatch_event(d["id"], face, duration_s))
    identity = replace(identity, events=tuple(events), details={**identity.details, "cards": cards})
    return identity, replace(documents, details={**documents.details, "documents": docs})


def papers_in(checks: Sequence[object]) -> list[Paper]:
    """The papers held up in the latest sample (none when the documents check is off)."""
    docs = next((c for c in checks if isinstance(c, DocumentsCheck)), None)
    held = docs.held_up() if docs is not None else []
    return [((float(x), float(y), float(w), float(h)), ids) for (x, y, w, h), ids in held]
