"""Talk: who is talking when, from the sound (voice activity) and the picture (moving mouths).

While there is speech, extra frames (``TalkParams.fps``, 10 a second by default) go to the
MediaPipe face landmarker, with blendshapes, on a crop around each party's tracked face. Each
sample gives the party's mouth opening (inner-lip gap over face height), the ``jawOpen``
blendshape and a head-pitch proxy (nose between the eyes and the chin). Outside speech nothing
extra is decoded or measured, which keeps the cost low.

A mouth is **moving** when its opening changes by at least ``active_range`` within a short
window (``window_s``): a talking mouth opens and closes several times a second, a listening
face keeps its lips still. Each 30 ms frame of voice activity is then given to the party whose
mouth moves; to ``both`` when both mouths move (overlapping speech, or a listener mouthing
along: it is said, not guessed), and to ``off_screen`` when no mouth on screen moves (a voice
from off the picture, a dubbed track, a phone). Runs of one label become talk intervals with a
confidence (how clearly the talker's mouth moves more than the other's, times the share of the
interval with mouth samples).

Nodding (head-pitch oscillation: down and up again by at least ``nod_amplitude`` within
``nod_max_s``) is listed per party as evidence for confirmations (used where a profile allows).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from dualrec_audit.checks.faces import PARTIES
from dualrec_audit.result import CheckResult, Talk

log = logging.getLogger(__name__)

FRAME_S = 0.03  # the voice-activity frame of the speech check
# Face-mesh landmarks (MediaPipe 478-point topology).
LM_UPPER_LIP_INNER = 13
LM_LOWER_LIP_INNER = 14
LM_FOREHEAD = 10
LM_CHIN = 152
LM_NOSE_TIP = 1
LM_EYE_OUTER_R = 33
LM_EYE_OUTER_L = 263

TalkLabel = Literal["staff", "customer", "both", "off_screen"]


@dataclass(frozen=True)
class TalkParams:
    enabled: bool = True
    fps: float = 10.0  # mouth samples per second, inside speech only
    crop_size: int = 192  # the face crop handed to the landmarker, in pixels
    window_s: float = 0.6  # a mouth moves when its opening changes this much within the window
    active_range: float = 0.025  # change of the mouth opening (share of the face height)
    min_run_s: float = 0.3  # shorter label runs are absorbed by their neighbours
    merge_gap_s: float = 0.5  # talk of one party across a pause this short is one interval
    nod_amplitude: float = 0.04  # head-pitch proxy swing for a nod
    nod_max_s: float = 1.5  # a nod (down and up) within this time


@dataclass(frozen=True)
class MouthSample:
    t: float
    opening: float  # inner-lip gap over face height
    jaw: float  # jawOpen blendshape, 0..1
    pitch: float  # nose height between the eye line (0) and the chin (1)


@functools.lru_cache(maxsize=2)
def load_blend_landmarker(model_path: str) -> Any:
    """The face landmarker with blendshapes (one per process, separate from the faces check's)."""
    from mediapipe.tasks.python import BaseOptions, vision

    from dualrec_audit.checks.faces import _close_quietly

    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=Path(model_path).read_bytes()),
        running_mode=vision.RunningMode.IMAGE,
        num_faces=1,
        output_face_blendshapes=True,
        min_face_detection_confidence=0.3,
        min_face_presence_confidence=0.3,
    )
    landmarker = vision.FaceLandmarker.create_from_options(options)
    import atexit
    import threading

    register = getattr(threading, "_register_atexit", atexit.register)
    register(_close_quietly, landmarker)
    return landmarker


def in_regions(t: float, regions: Sequence[tuple[float, float]]) -> bool:
    return any(a <= t < b for a, b in regions)


class MouthTracker:
    """Mouth samples per party, from frames taken inside the speech regions."""

    def __init__(self, landmarker_path: Path, params: TalkParams | None = None):
        self.p = params or TalkParams()
        self.landmarker = load_blend_landmarker(str(landmarker_path))
        self.samples: dict[str, list[MouthSample]] = {p: [] for p in PARTIES}
        self.runs = 0

    def update(
        self, t: float, frame: np.ndarray, boxes: Mapping[str, tuple[float, ...] | None]
    ) -> None:
        for party in PARTIES:
            box = boxes.get(party)
            if box is None:
                continue
            s = self.measure(frame, box, t)
            if s is not None:
                self.samples[party].append(s)

    def measure(self, frame: np.ndarray, box: tuple[float, ...], t: float) -> MouthSample | None:
        import cv2
        import mediapipe as mp

        h, w = frame.shape[:2]
        x, y, bw, bh = box[:4]
        side = 1.6 * max(bw, bh)
        cx, cy = x + bw / 2, y + bh / 2
        x0, y0, s = round(cx - side / 2), round(cy - side / 2), round(side)
        fx0, fy0, fx1, fy1 = max(0, x0), max(0, y0), min(w, x0 + s), min(h, y0 + s)
        if fx1 <= fx0 or fy1 <= fy0 or s < 8:
            return None
        crop = np.zeros((s, s, 3), np.uint8)
        crop[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0] = frame[fy0:fy1, fx0:fx1]
        size = self.p.crop_size
        rgb = cv2.cvtColor(
            cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB
        )
        self.runs += 1
        result = self.landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
        if not result.face_landmarks:
            return None
        pts = np.array([(q.x, q.y) for q in result.face_landmarks[0]], dtype=np.float64)
        face_h = max(1e-6, pts[LM_CHIN, 1] - pts[LM_FOREHEAD, 1])
        gap = float(np.linalg.norm(pts[LM_UPPER_LIP_INNER] - pts[LM_LOWER_LIP_INNER]))
        eye_y = (pts[LM_EYE_OUTER_R, 1] + pts[LM_EYE_OUTER_L, 1]) / 2
        pitch = (pts[LM_NOSE_TIP, 1] - eye_y) / max(1e-6, pts[LM_CHIN, 1] - eye_y)
        jaw = 0.0
        if result.face_blendshapes:
            jaw = next(
                (c.score for c in result.face_blendshapes[0] if c.category_name == "jawOpen"), 0.0
            )
        return MouthSample(t, gap / face_h, float(jaw), float(pitch))

    def finish(self, duration_s: float, speech_frames: np.ndarray | None) -> CheckResult:
        return talk_result(self.samples, speech_frames, duration_s, self.p, self.runs)


def activity(samples: Sequence[MouthSample], times: np.ndarray, p: TalkParams) -> np.ndarray:
    """How much the mouth moves around each time (range of the opening within the window);
    NaN where the party has no sample near that time."""
    out = np.full(len(times), np.nan)
    if not samples:
        return out
    ts = np.array([s.t for s in samples])
    op = np.array([s.opening for s in samples])
    half = p.window_s / 2
    lo = np.searchsorted(ts, times - half, side="left")
    hi = np.searchsorted(ts, times + half, side="right")
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        if b - a >= 2:
            out[i] = op[a:b].max() - op[a:b].min()
        elif b - a == 1:
            out[i] = 0.0
    return out


def label_frames(
    speech: np.ndarray, acts: Mapping[str, np.ndarray], p: TalkParams
) -> tuple[list[str | None], np.ndarray]:
    """A label per voice-activity frame (None: no speech) and its confidence (0..1)."""
    labels: list[str | None] = []
    conf = np.zeros(len(speech))
    a_s, a_c = np.nan_to_num(acts["staff"]), np.nan_to_num(acts["customer"])
    seen = ~np.isnan(acts["staff"]) | ~np.isnan(acts["customer"])
    thr = p.active_range
    for i, sp in enumerate(speech):
        if not sp:
            labels.append(None)
            continue
        s_on, c_on = a_s[i] >= thr, a_c[i] >= thr
        hi, lo = max(a_s[i], a_c[i]), min(a_s[i], a_c[i])
        if s_on and c_on:
            labels.append("both")
            conf[i] = min(1.0, lo / thr) * 0.5 + 0.5 * float(seen[i])
        elif s_on or c_on:
            labels.append("staff" if s_on else "customer")
            conf[i] = (hi - lo) / (hi + lo + 1e-9)
        else:
            labels.append("off_screen")
            conf[i] = float(seen[i]) * (1.0 - hi / thr)
    return labels, conf


def _absorb_short(labels: list[str | None], min_frames: int) -> list[str | None]:
    """Runs of a speech label shorter than ``min_frames`` take their longer neighbour's label."""
    out = list(labels)
    runs: list[list[Any]] = []
    for i, lab in enumerate(out):
        if runs and runs[-1][0] == lab:
            runs[-1][2] = i + 1
        else:
            runs.append([lab, i, i + 1])
    for k, (lab, a, b) in enumerate(runs):
        if lab is None or b - a >= min_frames:
            continue
        prev = runs[k - 1] if k and runs[k - 1][0] is not None else None
        nxt = runs[k + 1] if k + 1 < len(runs) and runs[k + 1][0] is not None else None
        pick = max(
            (r for r in (prev, nxt) if r is not None), key=lambda r: r[2] - r[1], default=None
        )
        if pick is not None:
            for i in range(a, b):
                out[i] = pick[0]
            runs[k][0] = pick[0]
    return out


def intervals(labels: list[str | None], conf: np.ndarray, p: TalkParams) -> list[Talk]:
    """Talk intervals from the frame labels; one party's talk across short pauses is merged."""
    labels = _absorb_short(labels, max(1, round(p.min_run_s / FRAME_S)))
    spans: list[list[Any]] = []  # label, first frame, end frame, confidences
    for i, lab in enumerate(labels):
        if lab is None:
            continue
        if spans and spans[-1][0] == lab and (i - spans[-1][2]) * FRAME_S <= p.merge_gap_s:
            spans[-1][2] = i + 1
            spans[-1][3].append(conf[i])
        else:
            spans.append([lab, i, i + 1, [conf[i]]])
    return [
        Talk(lab, round(a * FRAME_S, 2), round(b * FRAME_S, 2), round(float(np.mean(c)), 3))
        for lab, a, b, c in spans
    ]


def nods(samples: Sequence[MouthSample], p: TalkParams) -> list[tuple[float, float]]:
    """Head-pitch oscillations: the pitch proxy goes one way and back by ``nod_amplitude``."""
    out: list[tuple[float, float]] = []
    if len(samples) < 3:
        return out
    ts = np.array([s.t for s in samples])
    pitch = np.array([s.pitch for s in samples])
    i = 0
    while i < len(ts):
        j = i + 1
        while j < len(ts) and ts[j] - ts[i] <= p.nod_max_s:
            j += 1
        w = pitch[i:j]
        k = int(np.argmax(np.abs(w - w[0])))
        if abs(w[k] - w[0]) >= p.nod_amplitude and np.abs(w[k:] - w[k]).max() >= p.nod_amplitude:
            out.append((float(ts[i]), float(ts[j - 1])))
            i = j
        else:
            i += 1
    return out


def talk_result(
    samples: Mapping[str, Sequence[MouthSample]],
    speech_frames: np.ndarray | None,
    duration_s: float,
    p: TalkParams,
    runs: int = 0,
) -> CheckResult:
    if speech_frames is None:
        return CheckResult("talk", "unavailable", details={"params": asdict(p)})
    times = (np.arange(len(speech_frames)) + 0.5) * FRAME_S
    acts: dict[str, np.ndarray] = {
        party: activity(samples.get(party, ()), times, p) for party in PARTIES
    }
    labels, conf = label_frames(np.asarray(speech_frames, bool), acts, p)
    talk = intervals(labels, conf, p)
    return CheckResult(
        name="talk",
        status="ok",
        details={
            "talk": [t.to_dict() for t in talk],
            "nods": {
                party: [[round(a, 2), round(b, 2)] for a, b in nods(samples.get(party, ()), p)]
                for party in PARTIES
            },
            "mouth_samples": {party: len(samples.get(party, ())) for party in PARTIES},
            "landmark_runs": runs,
            "params": asdict(p),
        },
    )
