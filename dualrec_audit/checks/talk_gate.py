"""Where the talk check needs the mouths: near the voice (issue 32, item 4).

The talk check gives each frame of voice activity to a party from the mouth motion around it;
a mouth crop far from any voice is never looked at. Most of the talk check's cost was the
crops, 10 a second per party over the whole recording, so the mouth tracker crops only where
the sound may need them:

- :class:`VoiceGate` is told the speech check's voice frames and speech regions by the sound
  thread as soon as it has them (the sound is analysed well ahead of the picture); from then
  on the mouth tracker skips a sampled frame farther than :func:`reach_s` (plus a small
  slack) from every voice frame and region. Before it knows (the first seconds of an audit, or
  a tracker fed live) every frame is cropped.
- At the end, :func:`near_voice` keeps only the mouth samples within :func:`reach_s` of a
  voice frame or a recognised syllable (syllables lie inside the regions): those alone can
  reach the result, so the result is the same whether the gate knew early, late or never, and
  the same as with every frame cropped.

The reach covers every use of a sample: the activity window around a voiced frame (half of
``window_s``), a short answer's syllables, talk continued under the noise (``masked_reach_s``),
and the previous crop a sample is compared with (2.5 samples back).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from dualrec_audit.checks.speech import FRAME_S

if TYPE_CHECKING:
    from dualrec_audit.checks.talk import TalkParams

SLACK_S = 0.2  # the gate crops this much further than the samples kept reach


def reach_s(p: TalkParams) -> float:
    """How far from the voice a mouth sample can still change the talk check's result."""
    window = max(p.window_s, p.both_window_s) / 2
    return p.masked_reach_s + window + 2.5 / p.fps


def _voiced(
    frames: np.ndarray | None, spans: Sequence[tuple[float, float]], n: int | None = None
) -> np.ndarray:
    """Per 30 ms frame: voice activity (any level) or inside one of ``spans`` (seconds)."""
    voiced = np.zeros(0, bool) if frames is None else np.asarray(frames) > 0
    if spans:
        last = max(b for _, b in spans)
        size = max(len(voiced), int(last / FRAME_S) + 2, n or 0)
        voiced = np.concatenate([voiced, np.zeros(size - len(voiced), bool)])
        for a, b in spans:
            voiced[max(0, int(a / FRAME_S)) : int(b / FRAME_S) + 1] = True
    return voiced


def _counts(voiced: np.ndarray) -> np.ndarray:
    """The voiced frames before each frame (``len(voiced) + 1`` prefix sums)."""
    return np.concatenate([[0], np.cumsum(voiced, dtype=np.int64)])


def _near(voiced: np.ndarray, times: np.ndarray, reach: float) -> np.ndarray:
    """Whether each time lies within ``reach`` seconds of a voiced frame."""
    return _near_counts(_counts(voiced), times, reach)


def _near_counts(counts: np.ndarray, times: np.ndarray, reach: float) -> np.ndarray:
    """:func:`_near` from the prefix sums of :func:`_counts`."""
    n = len(counts) - 1
    lo = np.clip(np.floor((times - reach) / FRAME_S).astype(np.int64), 0, n)
    hi = np.clip(np.ceil((times + reach) / FRAME_S).astype(np.int64) + 1, 0, n)
    return counts[hi] > counts[lo]


class VoiceGate:
    """Told the voice by the sound thread (:meth:`hear`), asked by the mouth tracker in the
    picture's thread (:meth:`needed`). One reference is published at once: no lock."""

    def __init__(self, p: TalkParams) -> None:
        self.reach = reach_s(p) + SLACK_S
        self._counts: np.ndarray | None = None  # prefix sums of the voiced frames, once told
        self.skipped = 0  # sampled frames not cropped

    def hear(self, frames: np.ndarray | None, regions: Sequence[tuple[float, float]]) -> None:
        self._counts = _counts(_voiced(frames, regions))

    def needed(self, t: float) -> bool:
        """Whether the tracker crops the frame at ``t`` (asked 10 times a second per frame:
        two lookups in the prefix sums made once by :meth:`hear`)."""
        counts = self._counts
        if counts is None:
            return True
        n = len(counts) - 1
        lo = min(max(math.floor((t - self.reach) / FRAME_S), 0), n)
        hi = min(max(math.ceil((t + self.reach) / FRAME_S) + 1, 0), n)
        if counts[hi] > counts[lo]:
            return True
        self.skipped += 1
        return False

    def cropped(self, times: np.ndarray) -> np.ndarray:
        """Whether the tracker crops (or cropped) at each time: all, before the voice is told."""
        counts = self._counts
        if counts is None:
            return np.ones(len(times), bool)
        return _near_counts(counts, times, self.reach)


def near_voice(
    samples: np.ndarray,
    frames: np.ndarray | None,
    words: Sequence[tuple[float, float]],
    p: TalkParams,
    gate: VoiceGate | None = None,
) -> np.ndarray:
    """The (time, value) mouth samples within :func:`reach_s` of a voice frame or a syllable
    (and, with a ``gate``, where it lets the tracker crop: a syllable's time beyond the regions
    does not make the result depend on when the gate learnt of the voice)."""
    if len(samples) == 0:
        return samples
    keep = _near(_voiced(frames, words), samples[:, 0], reach_s(p))
    if gate is not None:
        keep &= gate.cropped(samples[:, 0])
    return samples[keep]
