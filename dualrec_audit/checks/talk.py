"""Talk: who is talking when, from the sound (voice activity) and the picture (moving mouths).

Mouth activity is measured cheaply on frames the video decoder produces anyway: about
``TalkParams.fps`` times a second (10 by default) a decoded frame is kept (no colour
conversion, no copy). From its luma plane, at each party's mouth (located by the face
detector's keypoints: YuNet's mouth corners and eyes, from the faces check's latest sampled
frame), a small crop (32x24) is cut, normalised (mean 0, unit contrast) and compared with the
same party's previous crop: the **motion** is the mean absolute difference, the smallest over
shifts of one crop pixel (so a head moving a little does not count as a talking mouth). No
landmarker runs for this.

A mouth is **moving** when its mean motion within a short window (``window_s``) reaches
``active_motion``: a talking mouth opens and closes several times a second, a listening face
keeps its lips still. Each 30 ms frame of voice activity is then given to the party whose mouth
moves; to ``both`` when both mouths move (overlapping speech, or a listener mouthing along: it
is said, not guessed), and to ``off_screen`` when no mouth on screen moves (a voice from off the
picture, a dubbed track, a phone). A still stretch shorter than ``hold_s`` inside a party's
speech (a held vowel, a closed-lip consonant) stays that party's. Runs of one label become talk
intervals with a confidence (how clearly the talker's mouth moves more than the other's).

The samples are taken over the whole recording (they cost a crop and a small difference each);
only those inside voice activity are used. Nodding (head-pitch oscillation: the nose moving
down and up between the eye line and the mouth by at least ``nod_amplitude`` within
``nod_max_s``, from the keypoints of the sampled frames) is listed per party as evidence for
confirmations (used where a profile allows).
"""

from __future__ import annotations

import array
import collections
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from dualrec_audit.checks.faces import PARTIES, PartyState
from dualrec_audit.core.result import CheckResult, MediaInfo, Talk, Text

log = logging.getLogger(__name__)

FRAME_S = 0.03  # the voice-activity frame of the speech check
CROP = (32, 24)  # the mouth crop compared between samples (width, height)
_LUMA = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12"})

# (time, value) pairs: a sequence of tuples, or an (n, 2) array.
Pairs = Sequence[tuple[float, float]] | np.ndarray

TalkLabel = Literal["staff", "customer", "both", "off_screen"]


@dataclass(frozen=True)
class TalkParams:
    enabled: bool = True
    fps: float = 10.0  # mouth samples per second
    window_s: float = 0.5  # a mouth moves when its mean motion within the window reaches ...
    active_motion: float = 0.07  # ... this (normalised crop difference)
    hold_s: float = 0.8  # a still stretch shorter than this inside one party's speech is theirs
    min_run_s: float = 0.3  # shorter label runs are absorbed by their neighbours
    merge_gap_s: float = 0.5  # talk of one party across a pause this short is one interval
    nod_amplitude: float = 0.06  # head-pitch proxy swing for a nod (share of eye-mouth height)
    nod_max_s: float = 1.5  # a nod (down and up) within this time


def luma(frame: Any, rotation: int, step: int) -> np.ndarray:
    """The frame's luma plane (every ``step``-th pixel), upright, without colour conversion:
    a view on the decoder's buffer where the pixel format allows it (nothing copied)."""
    if frame.format.name in _LUMA:
        plane = frame.planes[0]
        y = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
        y = y[: frame.height : step, : frame.width : step]
    else:
        y = frame.to_ndarray(format="gray")[::step, ::step]
    if rotation == 90:
        return np.rot90(y, k=-1)
    if rotation == 180:
        return y[::-1, ::-1]
    if rotation == 270:
        return np.rot90(y, k=1)
    return y


def mouth_box(kp: Sequence[tuple[float, float]]) -> tuple[float, float, float, float] | None:
    """The mouth region (x0, y0, x1, y1) from YuNet's keypoints (eyes, nose, mouth corners)."""
    if len(kp) < 5:
        return None
    (_, ry), (_, ly), _, (mrx, mry), (mlx, mly) = kp[:5]
    cx, cy = (mrx + mlx) / 2, (mry + mly) / 2
    u = max(cy - (ry + ly) / 2, math.hypot(mlx - mrx, mly - mry), 1.0)
    return cx - 0.7 * u, cy - 0.4 * u, cx + 0.7 * u, cy + 0.6 * u


def pitch_of(kp: Sequence[tuple[float, float]]) -> float | None:
    """The nose's height between the eye line (0) and the mouth line (1)."""
    if len(kp) < 5:
        return None
    eye_y = (kp[0][1] + kp[1][1]) / 2
    mouth_y = (kp[3][1] + kp[4][1]) / 2
    return (kp[2][1] - eye_y) / max(1e-6, mouth_y - eye_y)


def motion(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two normalised crops, the smallest over 1-pixel shifts."""
    h, w = a.shape
    shifted = np.lib.stride_tricks.sliding_window_view(b, (h - 2, w - 2))  # (3, 3, h-2, w-2)
    return float(np.abs(shifted - a[1 : h - 1, 1 : w - 1]).mean(axis=(2, 3)).min())


class MouthTracker:
    """Mouth motion per party, from the decoder's luma planes at ``fps`` (see the module doc).

    ``tap`` runs in the decoding thread (see ``media.sample_frames``) and only keeps a reference
    to the decoded frame; ``update`` (after each sampled frame's faces) measures the frames kept
    up to then, reading the crops straight from their luma planes."""

    def __init__(self, info: MediaInfo, params: TalkParams | None = None, max_side: int = 1920):
        self.p = params or TalkParams()
        scale = min(1.0, max_side / max(info.width, info.height))
        self.step = 2 if min(info.width, info.height) * scale > 800 else 1
        self.to_luma = 1.0 / (scale * self.step)  # picture coordinates -> luma plane
        self.rotation = info.rotation
        self.pending: collections.deque[tuple[float, Any]] = collections.deque()
        self.next_t = 0.0
        self.faces: dict[str, PartyState] = {}
        self.prev: dict[str, tuple[float, np.ndarray]] = {}
        # (time, value) pairs, flat, as doubles: an hour's 72,000 mouth samples in 1.2 MB
        # (as Python tuples of floats they took 7.5 MB).
        self.samples: dict[str, array.array[float]] = {p: array.array("d") for p in PARTIES}
        self.pitch: dict[str, array.array[float]] = {p: array.array("d") for p in PARTIES}
        self.measured = 0

    def tap(self, t: float, frame: Any) -> None:
        if t + 1e-3 < self.next_t:
            return
        self.next_t = (math.floor(t * self.p.fps + 1e-6) + 1) / self.p.fps
        self.pending.append((t, frame))  # a reference: the pixels are read in ``update``

    def update(self, t: float, faces: Mapping[str, PartyState]) -> None:
        """The faces of the sampled frame at ``t``: measure the planes kept up to ``t``."""
        self.faces = dict(faces)
        for party, st in self.faces.items():
            pitch = pitch_of(st.keypoints) if st.present else None
            if pitch is not None:
                self.pitch[party].extend((t, pitch))
        while self.pending and self.pending[0][0] <= t + 1e-6:
            self._measure(*self.pending.popleft())

    def _measure(self, t: float, frame: Any) -> None:
        import cv2

        y = luma(frame, self.rotation, self.step)
        for party in PARTIES:
            st = self.faces.get(party)
            box = mouth_box(st.keypoints) if st is not None and st.present else None
            if box is None:
                self.prev.pop(party, None)
                continue
            k = self.to_luma
            x0, y0 = max(0, round(box[0] * k)), max(0, round(box[1] * k))
            x1, y1 = min(y.shape[1], round(box[2] * k)), min(y.shape[0], round(box[3] * k))
            if x1 - x0 < 8 or y1 - y0 < 6:
                self.prev.pop(party, None)
                continue
            crop = cv2.resize(
                np.ascontiguousarray(y[y0:y1, x0:x1]), CROP, interpolation=cv2.INTER_AREA
            )
            crop = crop.astype(np.float32)
            crop = (crop - crop.mean()) / (crop.std() + 4.0)
            self.measured += 1
            prev = self.prev.get(party)
            if prev is not None and t - prev[0] <= 2.5 / self.p.fps:
                self.samples[party].extend((t, motion(crop, prev[1])))
            self.prev[party] = (t, crop)

    def finish(self, duration_s: float, speech_frames: np.ndarray | None) -> CheckResult:
        while self.pending:
            self._measure(*self.pending.popleft())
        return talk_result(
            {k: _pairs(v) for k, v in self.samples.items()},
            {k: _pairs(v) for k, v in self.pitch.items()},
            speech_frames,
            duration_s,
            self.p,
            self.measured,
        )


def _pairs(flat: array.array[float]) -> np.ndarray:
    """Flat (time, value) doubles as an (n, 2) array (no copy)."""
    return np.frombuffer(flat, np.float64).reshape(-1, 2)


def _columns(pairs: Pairs) -> tuple[np.ndarray, np.ndarray]:
    """The times and the values of (time, value) pairs, as two arrays."""
    a = np.asarray(pairs, np.float64).reshape(-1, 2)
    return a[:, 0], a[:, 1]


def activity(samples: Pairs, times: np.ndarray, p: TalkParams) -> np.ndarray:
    """How much the mouth moves around each time (mean motion within the window); NaN where
    the party has no sample near that time."""
    out = np.full(len(times), np.nan)
    if len(samples) == 0:
        return out
    ts, mo = _columns(samples)
    csum = np.concatenate([[0.0], np.cumsum(mo)])
    half = p.window_s / 2
    lo = np.searchsorted(ts, times - half, side="left")
    hi = np.searchsorted(ts, times + half, side="right")
    has = hi > lo
    out[has] = (csum[hi[has]] - csum[lo[has]]) / (hi[has] - lo[has])
    return out


def label_frames(
    speech: np.ndarray, acts: Mapping[str, np.ndarray], p: TalkParams
) -> tuple[list[str | None], np.ndarray]:
    """A label per voice-activity frame (None: no speech) and its confidence (0..1)."""
    labels: list[str | None] = []
    conf = np.zeros(len(speech))
    a_s, a_c = np.nan_to_num(acts["staff"]), np.nan_to_num(acts["customer"])
    seen = ~np.isnan(acts["staff"]) | ~np.isnan(acts["customer"])
    thr = p.active_motion
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


def _hold(labels: list[str | None], conf: np.ndarray, p: TalkParams) -> list[str | None]:
    """A still stretch (``off_screen``) shorter than ``hold_s`` next to one party's talk, across
    pauses up to ``merge_gap_s``, is that party's (between two parties: split at its middle)."""
    out = list(labels)
    gap, hold = round(p.merge_gap_s / FRAME_S), round(p.hold_s / FRAME_S)
    i = 0
    while i < len(out):
        if out[i] != "off_screen":
            i += 1
            continue
        j = i
        while j < len(out) and out[j] in ("off_screen", None) and j - i <= hold + gap:
            j += 1
        end = max(k for k in range(i, j) if out[k] == "off_screen") + 1
        before = _neighbour(out, i - 1, -1, gap)
        after = _neighbour(out, end, 1, gap)
        if end - i < hold and (before or after):
            mid = (i + end) // 2 if before and after and before != after else end
            for k in range(i, end):
                if out[k] is not None:
                    out[k] = before if (k < mid and before) else (after or before)
                    conf[k] *= 0.5
        i = end
    return out


def _neighbour(labels: list[str | None], i: int, d: int, gap: int) -> str | None:
    """The party label next to position ``i`` (going ``d``), across up to ``gap`` silent frames."""
    n = 0
    while 0 <= i < len(labels) and labels[i] is None and n <= gap:
        i, n = i + d, n + 1
    lab = labels[i] if 0 <= i < len(labels) else None
    return lab if lab in ("staff", "customer", "both") else None


def intervals(labels: list[str | None], conf: np.ndarray, p: TalkParams) -> list[Talk]:
    """Talk intervals from the frame labels; one party's talk across short pauses is merged."""
    labels = _hold(labels, conf, p)
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


def nods(pitch: Pairs, p: TalkParams) -> list[tuple[float, float]]:
    """Head-pitch oscillations: the pitch proxy goes one way and back by ``nod_amplitude``."""
    out: list[tuple[float, float]] = []
    if len(pitch) < 3:
        return out
    ts, pv = _columns(pitch)
    i = 0
    while i < len(ts):
        j = i + 1
        while j < len(ts) and ts[j] - ts[i] <= p.nod_max_s:
            j += 1
        w = pv[i:j]
        k = int(np.argmax(np.abs(w - w[0])))
        if abs(w[k] - w[0]) >= p.nod_amplitude and np.abs(w[k:] - w[k]).max() >= p.nod_amplitude:
            out.append((float(ts[i]), float(ts[j - 1])))
            i = j
        else:
            i += 1
    return out


def talk_result(
    samples: Mapping[str, Pairs],
    pitch: Mapping[str, Pairs],
    speech_frames: np.ndarray | None,
    duration_s: float,
    p: TalkParams,
    measured: int = 0,
) -> CheckResult:
    if speech_frames is None:
        why = Text(
            "没有语音活动可供判断（无音轨）", "No voice activity to attribute (no audio track)"
        )
        return CheckResult.unavailable("talk", why, params=asdict(p))
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
                party: [[round(a, 2), round(b, 2)] for a, b in nods(pitch.get(party, ()), p)]
                for party in PARTIES
            },
            "mouth_samples": {party: len(samples.get(party, ())) for party in PARTIES},
            "mouth_crops": measured,
            "method": "luma motion at the face detector's mouth keypoints",
            "params": asdict(p),
        },
    )
