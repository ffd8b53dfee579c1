"""Talk: who is talking when, from the sound (voice activity) and the picture (moving mouths).

Mouth activity is measured cheaply on frames the video decoder produces anyway: about
``TalkParams.fps`` times a second (10 by default) a decoded frame is kept (no colour
conversion, no copy). From its luma plane, at each party's mouth (located by the face
detector's keypoints: YuNet's mouth corners and eyes, from the faces check's latest sampled
frame), a small crop (32x24) is cut, normalised (mean 0, unit contrast) and compared with the
same party's previous crop: the **motion** is the mean absolute difference, the smallest over
shifts of one crop pixel (so a head moving a little does not count as a talking mouth). No
landmarker runs for this.

A mouth is **moving** when its mean motion within a short window (``window_s``) reaches its
own threshold: a talking mouth opens and closes several times a second, a listening face keeps
its lips still, and a small or distant face's still mouth shows more coding noise in the crop
than a large one's, so each party's threshold lies between its listening level (its motion
while the other clearly talks) and its talking level (``thresholds``), never under
``active_motion``. Each 30 ms frame of voice activity is then given to the party whose mouth
moves (of two, the more active, each scaled by its talking level); to ``both`` only where both
mouths move, comparably, for a stretch (``both_min_s``: overlapping speech; a shorter run, a
listener's twitch or back-channel, goes to the more active mouth); and to ``off_screen`` when no
mouth on screen moves (a voice from off the picture, a dubbed track, a phone). Frames that are
only maybe a voice (``SpeechAnalysis.voice_frames`` 1: speech in a hum) count where a mouth
moves. A short utterance (the recogniser's syllables, at most ``short_s``) goes to the mouth
that moves over its syllables, whatever the turn around it. A still stretch shorter than
``hold_s`` inside a party's speech (a held vowel, a closed-lip consonant) stays that party's.
Runs of one label become talk intervals with a confidence (how clearly the talker's mouth moves
more than the other's).

The samples are taken near the voice only, once the sound thread has told the tracker where
the voice is (:mod:`~dualrec_audit.checks.talk_gate`); only those that can reach the result
are kept. Nodding (head-pitch oscillation: the nose moving
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
from dualrec_audit.checks.speech import FRAME_S
from dualrec_audit.checks.talk_gate import VoiceGate, near_voice
from dualrec_audit.checks.talk_noise import continue_in_noise, masked_frames
from dualrec_audit.checks.talk_voice import VoiceTurns, voice_evidence, voice_relabel
from dualrec_audit.core.result import CheckResult, MediaInfo, Talk, Text
from dualrec_audit.media.convert import convert_array

log = logging.getLogger(__name__)

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
    talk_percentile: float = 90.0  # a party's talking level: this percentile of its activity
    min_talk_level: float = 0.12  # ... over the voiced frames, at least this
    both_ratio: float = 0.5  # "both": the less active mouth moves at least this share as much
    both_min_s: float = 0.6  # ... over at least this much voiced time (else: the more active)
    both_window_s: float = 0.2  # ... and both mouths move within this shorter window too
    listen_share: float = 0.3  # a party's threshold: this share of the way from its listening
    min_listen_s: float = 1.0  # level to its talking level (measured over this much at least)
    utterance_gap_s: float = 0.3  # recognised syllables this close are one utterance; one no
    short_s: float = 1.2  # longer than this is a short answer, said by the mouth that moves
    hold_s: float = 0.8  # a still stretch shorter than this inside one party's speech is theirs
    min_run_s: float = 0.3  # shorter label runs are absorbed by their neighbours
    merge_gap_s: float = 0.5  # talk of one party across a pause this short is one interval
    nod_amplitude: float = 0.06  # head-pitch proxy swing for a nod (share of eye-mouth height)
    nod_max_s: float = 1.5  # a nod (down and up) within this time
    voice: bool = True  # each turn's voice too (model voice-ge2e, when installed)
    voice_margin: float = 0.05  # a turn's voice is a party's when nearer it by this (cosine)
    masked_snr_db: float = 25.0  # a second whose voice is this little over its noise floor ...
    masked_reach_s: float = 0.6  # ... hides talk: continued this far where its mouth moves
    denoise: bool = True  # noisy seconds heard enhanced: a hum's voice frames taken out ...
    denoise_snr_db: float = 12.0  # ... where the voice is under this over the noise floor


def luma(frame: Any, rotation: int, step: int) -> np.ndarray:
    """The frame's luma plane (every ``step``-th pixel), upright, without colour conversion:
    a view on the decoder's buffer where the pixel format allows it (nothing copied)."""
    if frame.format.name in _LUMA:
        plane = frame.planes[0]
        y = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
        y = y[: frame.height : step, : frame.width : step]
    else:
        y = convert_array(frame, format="gray")[::step, ::step]
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
    b = np.ascontiguousarray(b)
    s0, s1 = b.strides  # b's (h-2, w-2) windows at the 3x3 shifts, as one view (no copy)
    shifted = np.ndarray((3, 3, h - 2, w - 2), b.dtype, b, 0, (s0, s1, s0, s1))
    diff = shifted - a[1 : h - 1, 1 : w - 1]
    np.abs(diff, out=diff)
    return float(diff.mean(axis=(2, 3)).min())


def normalised(crop: np.ndarray) -> np.ndarray:
    """An 8-bit crop as float32, zero mean, divided by its standard deviation plus 4 (a flat
    crop's noise is not stretched)."""
    import cv2

    mean, std = cv2.meanStdDev(crop)
    return (crop.astype(np.float32) - np.float32(mean[0, 0])) / np.float32(std[0, 0] + 4.0)


class MouthTracker:
    """Mouth motion per party, from the decoder's luma planes at ``fps`` (see the module doc).

    ``tap`` runs in the decoding thread (see ``media.sample_frames``) and only keeps a reference
    to the decoded frame; ``update`` (after each sampled frame's faces) measures the frames kept
    up to then, reading the crops straight from their luma planes."""

    def __init__(self, info: MediaInfo, params: TalkParams | None = None, max_side: int = 1920):
        self.p = params or TalkParams()
        self.gate: VoiceGate | None = None  # crops only near the voice, once it is known
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

        if self.gate is not None and not self.gate.needed(t):
            self.prev.clear()  # far from any voice: no crop can reach the result
            return
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
            crop = normalised(
                cv2.resize(
                    np.ascontiguousarray(y[y0:y1, x0:x1]), CROP, interpolation=cv2.INTER_AREA
                )
            )
            self.measured += 1
            prev = self.prev.get(party)
            if prev is not None and t - prev[0] <= 2.5 / self.p.fps:
                self.samples[party].extend((t, motion(crop, prev[1])))
            self.prev[party] = (t, crop)

    def finish(
        self,
        duration_s: float,
        speech_frames: np.ndarray | None,
        words: Sequence[tuple[float, float]] = (),
        voices: VoiceTurns | None = None,
        snr_db: Sequence[float | None] = (),
    ) -> CheckResult:
        while self.pending:
            self._measure(*self.pending.popleft())
        skipped = self.gate.skipped if self.gate is not None else 0
        log.debug(
            "talk: %d mouth crops, %d sampled frames far from the voice", self.measured, skipped
        )
        near = {
            k: near_voice(_pairs(v), speech_frames, words, self.p, self.gate)
            for k, v in self.samples.items()
        }
        return talk_result(
            near,
            {k: _pairs(v) for k, v in self.pitch.items()},
            speech_frames,
            duration_s,
            self.p,
            words,
            voices,
            snr_db,
        )


def _pairs(flat: array.array[float]) -> np.ndarray:
    """Flat (time, value) doubles as an (n, 2) array (no copy)."""
    return np.frombuffer(flat, np.float64).reshape(-1, 2)


def _columns(pairs: Pairs) -> tuple[np.ndarray, np.ndarray]:
    """The times and the values of (time, value) pairs, as two arrays."""
    a = np.asarray(pairs, np.float64).reshape(-1, 2)
    return a[:, 0], a[:, 1]


def activity(samples: Pairs, times: np.ndarray, p: TalkParams, window_s: float = 0.0) -> np.ndarray:
    """How much the mouth moves around each time (mean motion within ``window_s``, by default
    the params' ``window_s``); NaN where the party has no sample near that time."""
    out = np.full(len(times), np.nan)
    if len(samples) == 0:
        return out
    ts, mo = _columns(samples)
    csum = np.concatenate([[0.0], np.cumsum(mo)])
    half = (window_s or p.window_s) / 2
    lo = np.searchsorted(ts, times - half, side="left")
    hi = np.searchsorted(ts, times + half, side="right")
    has = hi > lo
    out[has] = (csum[hi[has]] - csum[lo[has]]) / (hi[has] - lo[has])
    return out


def talking_level(act: np.ndarray, speech: np.ndarray, p: TalkParams) -> float:
    """How much this party's mouth moves when it talks: a high percentile of its activity over
    the voiced frames where it is seen, never under ``min_talk_level`` (a party that never
    talks is not scaled up to look like one that does)."""
    seen = act[speech & ~np.isnan(act)]
    if len(seen) == 0:
        return p.min_talk_level
    return max(p.min_talk_level, float(np.percentile(seen, p.talk_percentile)))


def thresholds(
    speech: np.ndarray, a_s: np.ndarray, a_c: np.ndarray, levels: tuple[float, float], p: TalkParams
) -> tuple[float, float]:
    """Each party's own "mouth moves" threshold: between how much its mouth moves while the
    other clearly talks (its listening level: a small or distant face's still mouth shows more
    coding noise in the crop than a large one's) and its talking level, ``listen_share`` of the
    way up; never under ``active_motion``."""
    out = []
    for mine, other, lv_mine, lv_other in ((a_s, a_c, *levels), (a_c, a_s, *levels[::-1])):
        listening = (
            speech
            & (other >= max(p.active_motion, 0.5 * lv_other))
            & (mine / lv_mine < 0.5 * other / lv_other)
        )
        heard = mine[listening]
        if len(heard) < p.min_listen_s / FRAME_S:
            out.append(p.active_motion)
            continue
        base = float(np.median(heard))
        out.append(max(p.active_motion, base + p.listen_share * (lv_mine - base)))
    return out[0], out[1]


def label_frames(
    speech: np.ndarray,
    acts: Mapping[str, np.ndarray],
    p: TalkParams,
    narrow: Mapping[str, np.ndarray] | None = None,
    shorts: Sequence[tuple[float, float]] = (),
    sure: np.ndarray | None = None,
) -> tuple[list[str | None], np.ndarray, np.ndarray]:
    """A label per voice-activity frame (None: no speech), its confidence (0..1) and whether
    it is pinned (a short answer's, see :func:`_short_answers`: not smoothed away). Where
    ``sure`` is given, a frame outside it is talk only where a mouth moves.

    A party's mouth moves where its activity reaches its own threshold (:func:`thresholds`).
    One moving mouth: that party talks; none: ``off_screen``; both: ``both`` where the less
    active (scaled by each party's talking level) comes close to the other (``both_ratio``)
    and both mouths move within the narrower ``narrow`` window as well (``both_window_s``: a
    short overlap is not spread over the whole window) — kept only over a stretch
    (``both_min_s``, see :func:`_both_stretches`); else the more active one."""
    speech = np.asarray(speech, bool)
    a_s, a_c = np.nan_to_num(acts["staff"]), np.nan_to_num(acts["customer"])
    seen = ~np.isnan(acts["staff"]) | ~np.isnan(acts["customer"])
    (r_s, r_c), (thr_s, thr_c) = _scaled(speech, acts, p)
    s_on, c_on = a_s >= thr_s, a_c >= thr_c
    hi, lo = np.maximum(r_s, r_c), np.minimum(r_s, r_c)
    both = s_on & c_on & (lo >= p.both_ratio * hi)
    if narrow is not None:
        both &= (np.nan_to_num(narrow["staff"]) >= thr_s) & (
            np.nan_to_num(narrow["customer"]) >= thr_c
        )
    staff = s_on & (~c_on | (r_s >= r_c))
    customer = c_on & ~staff
    labels: list[str | None] = []
    conf = np.zeros(len(speech))
    for i, sp in enumerate(speech):
        if not sp:
            labels.append(None)
        elif both[i]:
            labels.append("both")
            conf[i] = min(1.0, lo[i] / max(hi[i], 1e-9))
        elif staff[i] or customer[i]:
            labels.append("staff" if staff[i] else "customer")
            conf[i] = (hi[i] - lo[i]) / (hi[i] + lo[i] + 1e-9)
        elif sure is not None and not sure[i]:
            labels.append(None)  # maybe a voice, maybe the noise, and no mouth moves: not talk
        else:
            labels.append("off_screen")
            conf[i] = float(seen[i]) * (1.0 - max(a_s[i] / thr_s, a_c[i] / thr_c))
    labels = _both_stretches(labels, r_s, r_c, p)
    pinned = _short_answers(labels, speech, (r_s, r_c), (a_s >= thr_s, a_c >= thr_c), shorts, p)
    return labels, conf, pinned


def _scaled(
    speech: np.ndarray, acts: Mapping[str, np.ndarray], p: TalkParams
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[float, float]]:
    """Each party's activity scaled by its talking level, and its own threshold."""
    a_s, a_c = np.nan_to_num(acts["staff"]), np.nan_to_num(acts["customer"])
    levels = (talking_level(acts["staff"], speech, p), talking_level(acts["customer"], speech, p))
    return (a_s / levels[0], a_c / levels[1]), thresholds(speech, a_s, a_c, levels, p)


def mouths_moving(
    speech: np.ndarray,
    acts: Mapping[str, np.ndarray],
    p: TalkParams,
    narrow: Mapping[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, whether the staff's and the customer's mouths move, each against its own
    threshold (as :func:`label_frames` decides), over ``narrow``'s window where given."""
    _, (thr_s, thr_c) = _scaled(np.asarray(speech, bool), acts, p)
    a = narrow if narrow is not None else acts
    return np.nan_to_num(a["staff"]) >= thr_s, np.nan_to_num(a["customer"]) >= thr_c


def short_utterances(
    words: Sequence[tuple[float, float]], p: TalkParams
) -> list[tuple[float, float]]:
    """The recogniser's syllables, grouped where the pause between them is at most
    ``utterance_gap_s``: the groups no longer than ``short_s`` (是的, 对, 好的, 嗯)."""
    runs: list[list[float]] = []
    for a, b in sorted(words):
        if runs and a - runs[-1][1] <= p.utterance_gap_s:
            runs[-1][1] = max(runs[-1][1], b)
        else:
            runs.append([a, b])
    return [(a, b) for a, b in runs if b - a <= p.short_s]


def _short_answers(
    labels: list[str | None],
    speech: np.ndarray,
    scaled: tuple[np.ndarray, np.ndarray],
    moving: tuple[np.ndarray, np.ndarray],
    shorts: Sequence[tuple[float, float]],
    p: TalkParams,
) -> np.ndarray:
    """A short utterance is said by the party whose mouth moves around its syllables (the
    activity's window reaches ``window_s / 2`` around them; the more, scaled, when both move
    over most of it), not by the turn it falls in: its voiced frames get that label and are
    pinned. Where no mouth moves, its labels stay."""
    pinned = np.zeros(len(labels), bool)
    n = len(labels)
    for a, b in shorts:
        lo, hi = max(0, int(a / FRAME_S)), min(n, int(b / FRAME_S) + 1)
        if hi <= lo:
            continue
        cands = [
            (float(scaled[k][lo:hi].mean()), party)
            for k, party in enumerate(PARTIES)
            if moving[k][lo:hi].mean() >= 0.5
        ]
        if not cands:
            continue
        who = max(cands)[1]
        for i in range(lo, hi):
            if speech[i]:
                labels[i], pinned[i] = who, True
    return pinned


def _both_stretches(
    labels: list[str | None], r_s: np.ndarray, r_c: np.ndarray, p: TalkParams
) -> list[str | None]:
    """``both`` is said only where both mouths move for a stretch of ``both_min_s`` (across
    pauses up to ``merge_gap_s``); a shorter run goes to the party whose mouth moves more
    over it (a listener's lips twitching, or a back-channel, is not an overlap)."""
    out = list(labels)
    need, gap = p.both_min_s / FRAME_S, round(p.merge_gap_s / FRAME_S)
    i = 0
    while i < len(out):
        if out[i] != "both":
            i += 1
            continue
        j, last = i, i
        while j < len(out) and (out[j] in ("both", None)) and j - last <= gap:
            if out[j] == "both":
                last = j
            j += 1
        span = [k for k in range(i, last + 1) if out[k] == "both"]
        if len(span) < need:
            who = "staff" if r_s[span].mean() >= r_c[span].mean() else "customer"
            for k in span:
                out[k] = who
        i = last + 1
    return out


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


def intervals(
    labels: list[str | None], conf: np.ndarray, p: TalkParams, pinned: np.ndarray | None = None
) -> list[Talk]:
    """Talk intervals from the frame labels; one party's talk across short pauses is merged.
    Pinned frames (short answers) keep their label."""
    smoothed = _hold(labels, conf, p)
    smoothed = _absorb_short(smoothed, max(1, round(p.min_run_s / FRAME_S)))
    if pinned is not None:
        smoothed = [
            lab if pin else new for lab, new, pin in zip(labels, smoothed, pinned, strict=True)
        ]
    labels = smoothed
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
    words: Sequence[tuple[float, float]] = (),
    voices: VoiceTurns | None = None,
    snr_db: Sequence[float | None] = (),
) -> CheckResult:
    """The talk check's result; ``words``: the recogniser's syllable times (for short
    answers, see :func:`short_utterances`); ``voices``: each turn's voice (see
    :mod:`~dualrec_audit.checks.talk_voice`); ``snr_db``: the speech check's voice over the
    local noise floor per second (talk under the noise, see
    :mod:`~dualrec_audit.checks.talk_noise`)."""
    if speech_frames is None:
        why = Text(
            "没有语音活动可供判断（无音轨）", "No voice activity to attribute (no audio track)"
        )
        return CheckResult.unavailable("talk", why, params=asdict(p))
    times = (np.arange(len(speech_frames)) + 0.5) * FRAME_S
    acts: dict[str, np.ndarray] = {
        party: activity(samples.get(party, ()), times, p) for party in PARTIES
    }
    narrow: dict[str, np.ndarray] = {
        party: activity(samples.get(party, ()), times, p, p.both_window_s) for party in PARTIES
    }
    shorts = short_utterances(words, p)
    frames = np.asarray(speech_frames)
    sure = frames >= 2 if frames.dtype != bool else None
    labels, conf, pinned = label_frames(frames > 0, acts, p, narrow, shorts, sure)
    evidence = voice_evidence((voices if p.voice else None) or VoiceTurns(), labels, p.voice_margin)
    moving = mouths_moving(frames > 0, acts, p)
    evidence["relabelled_s"] = voice_relabel(evidence, labels, pinned, moving=moving)
    masked = masked_frames(snr_db, len(labels), p.masked_snr_db)
    labels, hidden = continue_in_noise(
        labels, masked, mouths_moving(frames > 0, acts, p, narrow), p.masked_reach_s
    )
    talk = intervals(labels, conf, p, pinned)
    return CheckResult(
        name="talk",
        status="ok",
        details={
            "talk": [t.to_dict() for t in talk],
            "nods": {
                party: [[round(a, 2), round(b, 2)] for a, b in nods(pitch.get(party, ()), p)]
                for party in PARTIES
            },
            "voices": evidence,
            "under_noise_s": round(hidden * FRAME_S, 2),
            "mouth_samples": {party: len(samples.get(party, ())) for party in PARTIES},
            "method": "luma motion at the face detector's mouth keypoints",
            "params": asdict(p),
        },
    )
