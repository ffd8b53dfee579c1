"""The sound checked live: each 30 ms frame through the speech check's own features
(``checks.speech.block_features``, ``speech_mask``: webrtcvad, level, flatness, periodicity)
as it arrives, and every ``HOP_S`` the speech check's measures looking back only: the voice
level (the 70th percentile of the speech frames heard so far), the local noise floor (see
``FLOOR_S``) and so the SNR, the share of clipped samples in the last second, the time since
speech was last heard.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from dualrec_audit.checks.speech import FRAME_MS, SpeechParams, block_features, speech_mask
from dualrec_audit.record.hints import Key

SAMPLE_RATE = 16000
FRAME = SAMPLE_RATE * FRAME_MS // 1000
PER_SEC = 1000 // FRAME_MS  # frames in a second (33)
HOP_S = 0.25  # the conditions are evaluated this often (in the sound's own time)
# The noise floor: the non-speech frames of the last half second (their 20th percentile), or
# when there are hardly any (a hum taken for voice, continuous speech) the quietest of all
# its frames (the 5th percentile); never above those plus the speech check's margin. Looking
# back only, over half a second, a noise is measured within about 0.5 s of its start (the
# speech check, with the whole recording, looks up to 3 s either side).
FLOOR_S = 0.5
FLOOR_FRAMES = round(FLOOR_S * PER_SEC)
VOICE_MEMORY = 4000  # speech frames the voice level is taken from (the last 2 min of speech)


@dataclass(frozen=True)
class Hop:
    """One evaluation: the stream time it covers up to and the conditions there."""

    t: float
    conditions: list[tuple[Key, bool]]
    speaking: bool  # speech within the last 0.6 s
    snr_db: float | None


class LiveSound:
    def __init__(self, params: SpeechParams | None = None) -> None:
        import webrtcvad

        self.p = params or SpeechParams()
        self._vad = webrtcvad.Vad(self.p.vad_mode)
        self._pending = np.zeros(0, np.float32)
        self._frames = 0  # frames analysed so far
        keep = 3 * PER_SEC + PER_SEC // 2
        self._db: collections.deque[float] = collections.deque(maxlen=keep)
        self._speech: collections.deque[bool] = collections.deque(maxlen=keep)
        self._clipped: collections.deque[float] = collections.deque(maxlen=PER_SEC)
        self._voice: collections.deque[float] = collections.deque(maxlen=VOICE_MEMORY)
        self._last_speech = 0.0  # end of the last second with speech in it
        self._next_hop = HOP_S

    def feed(self, samples: np.ndarray) -> Iterator[Hop]:
        """Sound as it arrives; a :class:`Hop` each time ``HOP_S`` more has been analysed."""
        data = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        n = len(data) // FRAME
        self._pending = data[n * FRAME :]
        if n == 0:
            return
        frames = data[: n * FRAME].reshape(n, FRAME)
        voiced, db, flat, pitch = block_features(frames, self._vad, SAMPLE_RATE)
        speech = speech_mask(voiced, db, flat, pitch, self.p)
        clipped = (np.abs(frames) >= 0.999).mean(axis=1)
        for i in range(n):
            self._db.append(float(db[i]))
            self._speech.append(bool(speech[i]))
            self._clipped.append(float(clipped[i]))
            if speech[i]:
                self._voice.append(float(db[i]))
            self._frames += 1
            t = self._frames * FRAME_MS / 1000
            if t + 1e-9 >= self._next_hop:
                self._next_hop += HOP_S
                yield self._hop(t)

    def _hop(self, t: float) -> Hop:
        p = self.p
        db = np.fromiter(self._db, float)
        sp = np.fromiter(self._speech, bool)
        second = sp[-PER_SEC:]
        if second.mean() > 0.15:
            self._last_speech = t
        snr = self._snr(db, sp)
        noisy = snr is not None and snr < p.min_snr_db
        clip = float(np.mean(self._clipped)) >= p.clip_share
        silent = t - self._last_speech >= p.max_silence_s
        return Hop(
            t=t,
            conditions=[
                (("noise", None, None), noisy),
                (("clipping", None, None), clip),
                (("silence", None, None), silent),
            ],
            speaking=bool(sp[-20:].any()),
            snr_db=snr,
        )

    def _snr(self, db: np.ndarray, sp: np.ndarray) -> float | None:
        """The voice level over the noise floor of the last ``FLOOR_S`` (None before
        speech)."""
        if len(self._voice) < PER_SEC // 3:
            return None
        voice = float(np.percentile(np.fromiter(self._voice, float), 70))
        recent, speech = db[-FLOOR_FRAMES:], sp[-FLOOR_FRAMES:]
        quiet = recent[~speech]
        here = max(float(np.percentile(recent, 5)), -90.0)
        floor = max(float(np.percentile(quiet, 20)), -90.0) if len(quiet) >= 4 else here
        floor = min(floor, here + self.p.floor_margin_db)
        return min(60.0, voice - floor)
