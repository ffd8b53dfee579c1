"""Faces: both parties present, face fully in frame, big enough, facing the camera.

Detection uses OpenCV's YuNet on every sampled frame (it finds faces 40 px high in a 1280x720
picture, which MediaPipe's short-range detector misses). Each face is assigned to a party
(staff on the left, customer on the right by default) and tracked so the assignment stays
stable when someone leans over. Completeness (hair margin above the forehead, chin, both
sides inside the frame) comes from the MediaPipe face landmarker run on a padded crop around
the face, whose mesh extends past the frame edge when part of the face is outside it. Faces
well inside the frame are judged from YuNet's box and keypoints alone, which is enough there
and keeps the check fast; the landmarker runs on faces near an edge.

YuNet searches the whole picture every few samples (at 640 px wide, for newcomers as small as
32 px); between those, large faces are looked for again only around where they were. While
nothing outside the tracked faces has changed since the last whole-picture search (nobody can
have come in), the next one is put off, up to a limit (``FaceParams.change_gate``).

The detector and the landmarker (loading them, running them on a picture or around a face)
are in ``checks.face_detect``; this module assigns, tracks and judges the faces.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from dualrec_audit.checks import change, span_events
from dualrec_audit.checks.face_detect import Face, FaceDetector, LandmarkExtent
from dualrec_audit.core.result import (
    CheckResult,
    Event,
    Party,
    Severity,
    per_second,
    runs,
    seconds_of,
)

PARTIES: tuple[Party, Party] = ("staff", "customer")
Side = Literal["top", "bottom", "left", "right"]

# Proportions measured on frontal faces with the landmarker, in units of the eye-to-mouth
# distance: forehead top (mesh top) above the eye line, chin below the mouth line.
FOREHEAD_ABOVE_EYES = 0.75
CHIN_BELOW_MOUTH = 0.85


@dataclass(frozen=True)
class FaceParams:
    staff_side: Literal["left", "right"] = "left"
    split: float = 0.5  # where the two parties' halves meet, as a share of the width
    detect_width: int = 640  # YuNet runs on the frame scaled to this width (never upscaled);
    # at 640 it still finds faces 32 px high in a 1280x720 picture
    # Fast path: YuNet first runs at this width (a quarter of the pixels of detect_width); its
    # faces are kept when each is at least fast_min_face of the frame height and there are as
    # many as the last sample had, else the frame is detected again at detect_width, as it is
    # every full_every-th sample (so a small newcomer is found within that many samples; see
    # change_gate for when that one is put off).
    # fast_width 0: always detect at detect_width.
    fast_width: int = 320
    fast_min_face: float = 0.12
    full_every: int = 4
    # Tracking: between full detections, while both parties are in view and their faces are
    # large (as for the fast path), each face is looked for again only in a window around it,
    # track_window times its size, scaled to track_size pixels (the face about as large there
    # as in the fast path's picture, at a sixth of its pixels for two faces); each window must
    # hold exactly one large face, else the frame goes to the fast path. While a party is
    # missing, the whole picture is searched every sample, so a party's return is seen at once;
    # a third person is found at the next full detection. track_size 0: no tracking.
    track_size: int = 96
    track_window: float = 2.0
    # While faces are tracked, a due full detection is put off when no block of the picture
    # outside the faces' windows (change_window times each face's size) has changed by
    # change_gate grey levels or more since the last full detection (checks/change.py): a
    # newcomer changes the blocks they cross. One runs at least every full_every_still-th
    # sample all the same (a person who came in unseen is found within that many samples).
    # change_gate 0: never put off.
    change_gate: float = 10.0
    change_window: float = 3.0
    full_every_still: int = 16
    score_threshold: float = 0.6
    hair_margin: float = 0.2  # room above the forehead for hair, share of face height
    edge_margin: float = 0.0  # the chin/sides may come this close (share of face) to the edge
    min_face_height: float = 0.055  # share of the frame height under which a face is small
    turned_yaw: float = 0.55  # |yaw proxy| (0 frontal, 1 profile) over which a face is turned
    track_memory_s: float = 3.0
    absent_min_s: float = 2.0
    cut_min_s: float = 1.0
    small_min_s: float = 3.0
    turned_min_s: float = 2.0
    extra_min_s: float = 2.0
    landmarks: Literal["edge", "always", "never"] = "edge"


@dataclass(slots=True)
class PartyState:
    present: bool = False
    cut: tuple[Side, ...] = ()
    small: bool = False
    turned: bool = False
    box: tuple[float, float, float, float] | None = None
    method: str = ""
    keypoints: tuple[tuple[float, float], ...] = ()  # YuNet's five (see Face)


ABSENT = PartyState()  # a party not in the picture (shared: states are never changed)


@dataclass(slots=True)
class Sample:
    t: float
    parties: dict[str, PartyState] = field(default_factory=dict)
    extra: int = 0


def _window(face: Face, times: float) -> tuple[float, float, float, float]:
    """The square ``times`` the face's size around it: x0, y0, x1, y1."""
    side = times * max(face.box[2], face.box[3])
    cx, cy = face.box[0] + face.box[2] / 2, face.box[1] + face.box[3] / 2
    return cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2


def _overlap(a: Face, b: Face) -> float:
    """Intersection over union of two faces' boxes."""
    ax, ay, aw, ah = a.box
    bx, by, bw, bh = b.box
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / max(1e-6, aw * ah + bw * bh - inter)


def keypoint_extent(face: Face) -> dict[str, float]:
    """The same extent estimated from YuNet's box and five keypoints (faces inside the frame)."""
    (rex, rey), (lex, ley), (nx, _), (_, mry), (_, mly) = face.keypoints
    eye_y, mouth_y = (rey + ley) / 2, (mry + mly) / 2
    d = max(1.0, mouth_y - eye_y)
    x, _, bw, _ = face.box
    eye_w = max(1e-6, lex - rex)
    return {
        "top": eye_y - FOREHEAD_ABOVE_EYES * d,
        "bottom": mouth_y + CHIN_BELOW_MOUTH * d,
        "left": x,
        "right": x + bw,
        "yaw": float(np.clip(2 * ((nx - rex) / eye_w) - 1, -1, 1)),
    }


def cut_sides(ext: dict[str, float], width: int, height: int, p: FaceParams) -> tuple[Side, ...]:
    fh = max(1.0, ext["bottom"] - ext["top"])
    margin = p.edge_margin * fh
    sides: list[Side] = []
    if ext["top"] - p.hair_margin * fh < 0:
        sides.append("top")
    if ext["bottom"] > height - margin:
        sides.append("bottom")
    if ext["left"] < margin:
        sides.append("left")
    if ext["right"] > width - margin:
        sides.append("right")
    return tuple(sides)


class FacesCheck:
    name = "faces"

    def __init__(
        self,
        detector_path: Path,
        landmarker_path: Path,
        params: FaceParams | None = None,
        sample_step: float = 0.5,
    ):
        self.p = params or FaceParams()
        self.step = sample_step
        self.detector = FaceDetector(detector_path, self.p.detect_width, self.p.score_threshold)
        self.landmarks = LandmarkExtent(landmarker_path) if self.p.landmarks != "never" else None
        # Every sample's states, kept for finish() without their keypoints (an hour's 7,200
        # samples in about 5.6 MB, was 16); the latest sample's in full in _latest.
        self.samples: list[Sample] = []
        self._latest: dict[str, PartyState] = {}
        self.last_seen: dict[str, tuple[float, float]] = {}  # party -> (t, cx)
        self.landmark_runs = 0
        self.full_detections = 0  # frames detected at detect_width
        self.tracked = 0  # frames whose faces were found again near where they were
        self.put_off = 0  # full detections put off: nothing changed outside the faces
        self._last: list[Face] = []  # the faces of the latest sample
        self._extras: list[Face] = []  # ... that no party was given
        # Per sample time, faces that are portraits on a held-up paper, not people (from the
        # identity check): kept out of extra_person.
        self.printed: dict[float, int] = {}
        # The picture at the last full detection (checks/change.py) and its sample's index.
        self._reference: tuple[np.ndarray, int] | None = None

    # -- per frame ---------------------------------------------------------------------

    def update(self, t: float, frame: np.ndarray) -> None:
        w = frame.shape[1]
        faces = self.find_faces(frame)
        assigned = self.assign(t, faces, w)
        latest: dict[str, PartyState] = {}
        for party in PARTIES:
            face = assigned.get(party)
            if face is None:
                latest[party] = ABSENT
                continue
            self.last_seen[party] = (t, face.cx)
            latest[party] = self.judge(frame, face)
        self._latest = latest
        self._extras = [f for f in faces if all(f is not a for a in assigned.values())]
        kept = {k: replace(v, keypoints=()) if v.keypoints else v for k, v in latest.items()}
        self.samples.append(Sample(t=t, parties=kept, extra=len(faces) - len(assigned)))

    def find_faces(self, frame: np.ndarray) -> list[Face]:
        """YuNet at the full detection width every full_every-th sample and whenever the
        quicker ways (:meth:`quick_faces`) fail."""
        p = self.p
        min_h = p.fast_min_face * frame.shape[0]
        due = len(self.samples) % max(1, p.full_every) == 0
        if due and self._unchanged(frame, min_h):
            due = False
            self.put_off += 1
        faces = None if due else self.quick_faces(frame, min_h)
        if faces is None:
            self.full_detections += 1
            faces = self.detector.detect(frame)
            if p.change_gate > 0:
                self._reference = (change.grey(frame), len(self.samples))
        self._last = faces
        return faces

    def _trackable(self, min_h: float) -> bool:
        """The last sample's faces can be tracked: both parties' at least, all large."""
        last = self._last
        return len(last) >= len(PARTIES) and all(f.box[3] >= min_h for f in last)

    def _unchanged(self, frame: np.ndarray, min_h: float) -> bool:
        """Nothing outside the tracked faces' windows changed since the last full detection
        (which was fewer than full_every_still samples ago)."""
        p = self.p
        if p.change_gate <= 0 or p.track_size <= 0 or self._reference is None:
            return False
        before, at = self._reference
        if len(self.samples) - at >= p.full_every_still or not self._trackable(min_h):
            return False
        windows = [_window(f, p.change_window) for f in self._last]
        now = change.grey(frame)
        return change.largest_change(before, now, frame.shape[1], windows) < p.change_gate

    def quick_faces(self, frame: np.ndarray, min_h: float) -> list[Face] | None:
        """The last sample's faces tracked, when both parties were in view with large faces;
        else YuNet at the fast width, kept when its faces are all large and as many as last
        time (large faces are found as surely there); None when neither holds."""
        p = self.p
        if self._trackable(min_h):
            tracked = self.track(frame, min_h)
            if tracked is not None:
                self.tracked += 1
                return tracked
        if not 0 < p.fast_width < min(p.detect_width, frame.shape[1]):
            return None
        faces = self.detector.detect(frame, p.fast_width)
        if len(faces) < max(1, len(self._last)) or any(f.box[3] < min_h for f in faces):
            return None
        return faces

    def track(self, frame: np.ndarray, min_h: float) -> list[Face] | None:
        """The last sample's faces found again, each alone and large in a window around where
        it was; None when tracking is off or any window does not hold exactly that."""
        p = self.p
        if p.track_size <= 0:
            return None
        found = []
        for last in self._last:
            near = self.detector.detect_near(frame, last, p.track_window, p.track_size)
            if len(near) != 1 or near[0].box[3] < min_h:
                return None
            found.append(near[0])
        if any(_overlap(a, b) > 0.3 for a, b in itertools.combinations(found, 2)):
            return None  # two windows found the same face
        return found

    def assign(self, t: float, faces: list[Face], width: int) -> dict[str, Face]:
        """Assign up to one face per party: near its last position if seen recently,
        otherwise by the side of the picture it is on."""
        p = self.p
        split = p.split * width

        def cost(face: Face, party: str) -> float:
            seen = self.last_seen.get(party)
            if seen and t - seen[0] <= p.track_memory_s:
                return abs(face.cx - seen[1]) / width
            on_left = face.cx < split
            wants_left = (party == "staff") == (p.staff_side == "left")
            return 0.0 if on_left == wants_left else 1.0

        faces = sorted(faces, key=lambda f: -f.score)[:6]
        best: dict[str, Face] = {}
        best_cost = float("inf")
        for k in range(min(len(faces), 2), 0, -1):
            for combo in itertools.permutations(faces, k):
                for parties in itertools.permutations(PARTIES, k):
                    c = sum(cost(f, q) for f, q in zip(combo, parties, strict=True))
                    c += (2 - k) * 1.0  # prefer assigning both parties
                    if c < best_cost and all(
                        cost(f, q) < 0.5 for f, q in zip(combo, parties, strict=True)
                    ):
                        best_cost = c
                        best = dict(zip(parties, combo, strict=True))
        return best

    def judge(self, frame: np.ndarray, face: Face) -> PartyState:
        h, w = frame.shape[:2]
        p = self.p
        ext = keypoint_extent(face)
        method = "keypoints"
        near_edge = bool(cut_sides(ext, w, h, p)) or any(
            v < 0.25 * face.box[3]
            for v in (
                face.box[0],
                face.box[1],
                w - face.box[0] - face.box[2],
                h - face.box[1] - face.box[3],
            )
        )
        if self.landmarks is not None and (p.landmarks == "always" or near_edge):
            self.landmark_runs += 1
            mesh = self.landmarks.extent(frame, face)
            if mesh is not None:
                ext, method = mesh, "landmarks"
        fh = ext["bottom"] - ext["top"]
        return PartyState(
            present=True,
            cut=cut_sides(ext, w, h, p),
            small=fh < p.min_face_height * h,
            turned=abs(ext["yaw"]) > p.turned_yaw,
            box=face.box,
            method=method,
            keypoints=face.keypoints,
        )

    def last_faces(self) -> dict[str, PartyState]:
        """Each party's state in the latest sampled frame (box and keypoints when in it)."""
        return dict(self._latest)

    def last_extras(self) -> list[Face]:
        """The faces in the latest sampled frame that no party was given."""
        return list(self._extras)

    # -- whole recording ---------------------------------------------------------------

    def finish(self, duration_s: float) -> CheckResult:
        p = self.p
        times = [s.t for s in self.samples]
        events: list[Event] = []

        def add(
            check: str,
            party: Party | None,
            flags: list[bool],
            min_s: float,
            sev: Severity,
            **kw: str,
        ) -> None:
            spans = runs(times, flags, self.step, min_duration=min_s, max_gap=self.step)
            events.extend(span_events(check, spans, duration_s, sev, party=party, details=kw))

        party_timelines: dict[str, list[float | None]] = {}
        n = seconds_of(duration_s)
        for party in PARTIES:
            states = [s.parties[party] for s in self.samples]
            add("party_absent", party, [not st.present for st in states], p.absent_min_s, "high")
            for side in ("top", "bottom", "left", "right"):
                add(
                    "face_cut",
                    party,
                    [side in st.cut for st in states],
                    p.cut_min_s,
                    "medium",
                    side=side,
                )
            add(
                "face_small",
                party,
                [st.present and st.small for st in states],
                p.small_min_s,
                "low",
            )
            add(
                "face_turned",
                party,
                [st.present and st.turned for st in states],
                p.turned_min_s,
                "medium",
            )
            party_timelines[party] = per_second(times, [_score(st) for st in states], n)
        people = [s.extra - self.printed.get(s.t, 0) > 0 for s in self.samples]
        add("extra_person", None, people, p.extra_min_s, "medium")
        timeline = [
            None if a is None or b is None else min(a, b)
            for a, b in zip(party_timelines["staff"], party_timelines["customer"], strict=True)
        ]
        return CheckResult(
            name=self.name,
            status="ok",
            timeline=tuple(timeline),
            events=tuple(events),
            details=self._details(party_timelines),
        )

    def _details(self, party_timelines: dict[str, list[float | None]]) -> dict[str, Any]:
        """The result's details: how often each party was present, what the check ran, each
        party's timeline and the tracked boxes."""
        presence = {
            party: round(
                sum(s.parties[party].present for s in self.samples) / max(1, len(self.samples)), 4
            )
            for party in PARTIES
        }
        return {
            "samples": len(self.samples),
            "presence": presence,
            "landmark_runs": self.landmark_runs,
            "full_detections": self.full_detections,
            "tracked": self.tracked,
            "put_off": self.put_off,
            "party_timelines": {
                k: [None if v is None else round(v, 3) for v in tl]
                for k, tl in party_timelines.items()
            },
            "tracks": [
                [round(s.t, 2), party, *[round(v, 1) for v in st.box]]
                for s in self.samples
                for party, st in s.parties.items()
                if st.box is not None
            ],
            "params": asdict(self.p),
        }


def _score(st: PartyState) -> float:
    """A party's picture score in one sample: 0 absent, 0.3 cut, 0.5 turned, 0.7 small, else 1."""
    return (
        0.0 if not st.present else 0.3 if st.cut else 0.5 if st.turned else 0.7 if st.small else 1.0
    )
