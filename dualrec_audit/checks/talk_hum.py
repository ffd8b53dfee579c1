"""A hum taken for a voice, taken out again before the talk check (issue 32).

In a loud mains or machine hum (10 dB or so under the voice) webrtcvad hears a voice in
nearly every frame, and the speech check cannot measure a noise floor where every frame
passes as speech. The talk check gives voice frames to the party whose mouth moves: with the
hum heard as a voice, each party's talk stretches over all the time its mouth moves (a
customer mouthing along a 代答, a listener's lips between turns), and the turns the voices are
compared on are cut out of the hum at fixed lengths.

DeepFilterNet 3 (:mod:`dualrec_audit.speech.enhance`, a trained speech-enhancement model)
takes the voice out of such noise. In a steady loud background (:func:`hum_spans`), where the
speech check measured a second as noisy (its voice under ``max_snr_db`` over the local noise
floor) or found speech all around it with no floor to measure, the sound is enhanced
and the same speech analysis runs again over it (with ``context_s`` either side, so that its
noise floor and voice level are measured as over the whole recording); a voice frame there
stays only where the enhanced sound has voice activity too.

Frames are only taken away, never added: the mouths' gate (:mod:`talk_gate`), told the speech
check's frames early, has cropped every mouth the result can need. The enhancement runs over
those spans alone, through one model state per recording (about 0.05 s of one core per second
of noise: docs/talk-noise.md, "Cost"); a quiet room has none. Without the enhancement runtime
the speech check's frames are used as they are.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from dualrec_audit.checks.speech import FRAME_MS, SpeechAnalysis, SpeechParams, analyse
from dualrec_audit.checks.speech import voice_frames as speech_voice_frames
from dualrec_audit.core.errors import ModelError
from dualrec_audit.core.result import CheckResult
from dualrec_audit.media.sound import SAMPLE_RATE, Audio, samples_between
from dualrec_audit.speech.enhance import EnhanceParams, Enhancer, noisy_spans

log = logging.getLogger("dualrec_audit")

FRAME = SAMPLE_RATE * FRAME_MS // 1000  # samples in a voice-activity frame
PIECE_FRAMES = 2000  # a long span is enhanced 60 s at a time
ENHANCE_CONTEXT_S = EnhanceParams().context_s  # the sound the model hears first, to settle


@dataclass(frozen=True)
class TalkVoice:
    """The voice frames the talk check attributes, and the spans heard enhanced to find them
    (``denoised``, seconds); ``removed_s``: the voice the enhanced sound did not have;
    ``missing``: why nothing was enhanced although a span was noisy (no runtime)."""

    frames: np.ndarray | None
    denoised: tuple[tuple[float, float], ...] = ()
    removed_s: float = 0.0
    missing: str = ""


def hum_spans(
    a: SpeechAnalysis,
    max_snr_db: float,
    pad_s: float,
    duration_s: float,
    max_quiet_db: float = 30.0,
) -> list[tuple[float, float]]:
    """The seconds in a steady loud background (their voice less than ``max_quiet_db`` over
    the quietest frames around them: 1-23 dB in a hum or a room of voices, 50-75 dB in a quiet
    room) whose voice is under ``max_snr_db`` over the local noise floor, or that are mostly
    speech with no floor to measure around them; padded by ``pad_s`` and merged, on
    voice-activity frame boundaries (seconds). Continuous speech in a quiet room, whose
    consonants the speech check can take for its floor, is not one of them."""
    snr: list[float | None] = []
    for s, (local, level, quiet) in enumerate(
        zip(a.snr_db, a.level_dbfs, a.floor_dbfs, strict=True)
    ):
        steady = level is not None and quiet is not None and level - quiet < max_quiet_db
        if not steady:
            snr.append(None)  # a quiet room: no span
        elif local is None:  # no floor to measure: speech all around, or none
            snr.append(-1.0 if a.speech_ratio[s] >= 0.5 else None)
        else:
            snr.append(local)
    step = FRAME_MS / 1000
    return [
        (round(int(lo / step) * step, 2), round(min(duration_s, math.ceil(hi / step) * step), 2))
        for lo, hi in noisy_spans(snr, max_snr_db, pad_s, duration_s)
    ]


def talk_voice(
    audio: Audio | None,
    a: SpeechAnalysis | None,
    sp: SpeechParams,
    max_snr_db: float = 12.0,
    pad_s: float = 0.5,
    context_s: float = 3.0,
) -> TalkVoice:
    """The speech check's voice frames (:func:`~dualrec_audit.checks.speech.voice_frames`)
    less those the enhanced sound has no voice in, over the noisy spans (see the module doc)."""
    frames = speech_voice_frames(a)
    if audio is None or a is None or frames is None or not len(audio):
        return TalkVoice(frames)
    spans = hum_spans(a, max_snr_db, pad_s, len(audio) / SAMPLE_RATE)
    if not spans:
        return TalkVoice(frames)
    out = np.array(frames, copy=True)
    context = round(context_s * 1000 / FRAME_MS)
    try:
        with Enhancer() as enhancer:
            for lo, hi in _pieces(spans, len(out)):
                heard = _heard(audio, enhancer, lo, hi, context, sp)
                out[lo:hi] = np.where(heard, out[lo:hi], 0)
    except ModelError as exc:
        log.warning("talk: the noisy spans were not enhanced: %s", exc)
        return TalkVoice(frames, missing=str(exc))
    removed = float(((np.asarray(frames) > 0) & (out == 0)).sum() * FRAME_MS / 1000)
    log.info("talk: %.1f s of noisy sound enhanced, %.1f s of voice frames taken out",
             sum(b - a for a, b in spans), removed)  # fmt: skip
    return TalkVoice(out, tuple(spans), round(removed, 2))


def _pieces(spans: Sequence[tuple[float, float]], n: int) -> list[tuple[int, int]]:
    """The spans as voice-activity frames [lo, hi), cut into pieces of at most
    ``PIECE_FRAMES`` (a long noisy recording is enhanced a minute at a time)."""
    out = []
    for lo_s, hi_s in spans:
        lo, hi = round(lo_s * 1000 / FRAME_MS), min(n, round(hi_s * 1000 / FRAME_MS))
        out += [(a, min(hi, a + PIECE_FRAMES)) for a in range(lo, hi, PIECE_FRAMES)]
    return out


def _heard(
    audio: Audio, enhancer: Enhancer, lo: int, hi: int, context: int, sp: SpeechParams
) -> np.ndarray:
    """Whether the sound of frames [lo, hi), enhanced (after ``ENHANCE_CONTEXT_S`` of sound for
    the model to settle), has voice activity (any level); analysed with ``context`` frames of
    the original sound either side."""
    settle = round(ENHANCE_CONTEXT_S * SAMPLE_RATE)
    start = lo * FRAME
    before = max(0, start - settle)
    clean = enhancer(samples_between(audio, before, hi * FRAME))[start - before :]
    first = max(0, lo - context)
    last = min(len(audio) // FRAME, hi + context)
    sound = np.array(samples_between(audio, first * FRAME, last * FRAME), np.float32)
    sound[start - first * FRAME : start - first * FRAME + len(clean)] = clean
    voice = speech_voice_frames(analyse(sound, SAMPLE_RATE, len(sound) / SAMPLE_RATE, sp))
    heard = np.zeros(hi - lo, bool)
    if voice is not None:
        got = np.asarray(voice[lo - first : hi - first]) > 0
        heard[: len(got)] = got
    return heard


def with_denoised(result: CheckResult, heard: TalkVoice) -> CheckResult:
    """The talk check's result with ``details.denoised``: the spans heard enhanced (seconds),
    the voice taken out there, or why nothing was enhanced."""
    if result.status != "ok":
        return result
    denoised: dict[str, Any] = {
        "spans": [[round(a, 2), round(b, 2)] for a, b in heard.denoised],
        "removed_s": heard.removed_s,
    }
    if heard.missing:
        denoised["missing"] = heard.missing
    return replace(result, details={**result.details, "denoised": denoised})
