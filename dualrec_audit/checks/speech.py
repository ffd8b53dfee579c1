"""Speech: voice activity (webrtcvad) per second, and clarity from SNR, clipping and loudness.

Voice activity runs on 30 ms frames of 16 kHz mono audio. A frame counts as speech when
webrtcvad says so, it is loud enough, and it is periodic (voiced) or not spectrally flat
(webrtcvad alone takes a loud machine hum for speech). Clarity is judged locally:
the noise floor is a low percentile of frame energies in a window around each second, so a
noisy stretch is found even when the rest of the recording is clean. Quiet speech is unclear
only when it is also near the noise floor (its own level less than ``quiet_min_snr_db`` over
it): expressive speech drops well below the recording's typical level and stays clear. Each
low-clarity event says what fired: ``cause`` (noise or quiet), and the median ``snr_db`` and
``level_dbfs`` of its seconds.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from dualrec_audit.checks import span_events
from dualrec_audit.core.i18n import NO_AUDIO
from dualrec_audit.core.result import CheckResult, Event, Severity, runs, seconds_of
from dualrec_audit.media.sound import AUDIO_BLOCK_S, Audio, iter_blocks

FRAME_MS = 30
FRAME_S = FRAME_MS / 1000  # the voice-activity frame, in seconds


@dataclass(frozen=True)
class SpeechParams:
    vad_mode: int = 2  # webrtcvad aggressiveness 0-3
    min_level_dbfs: float = -50.0  # frames quieter than this are never speech
    max_silence_s: float = 8.0  # a gap without speech longer than this is an event
    min_snr_db: float = 8.0  # speech seconds under this local SNR are unclear
    quiet_dbfs: float = -42.0  # speech quieter than this (RMS of voiced frames) is too quiet
    quiet_min_snr_db: float = 20.0  # ... when also less than this over the local noise floor
    floor_margin_db: float = 6.0  # the noise floor is at most this over the quietest frames
    clip_share: float = 0.002  # share of samples at full scale in a second: clipping
    clarity_min_s: float = 2.0
    clipping_min_s: float = 0.5
    region_pad_s: float = 0.3  # padding around speech regions handed to the recogniser
    region_merge_s: float = 0.6
    voice_margin_db: float = 6.0  # maybe-voice frames (for the talk check): over the floor by this


@dataclass(frozen=True)
class SpeechAnalysis:
    """Per-frame and per-second measurements, kept for the transcript step and for tests."""

    speech_frames: np.ndarray  # bool per 30 ms frame
    speech_ratio: list[float]  # per second
    snr_db: list[float | None]  # per second: voice level over the local noise floor
    level_dbfs: list[float | None]  # per second, RMS of the speech frames
    floor_dbfs: list[float | None]  # per second: the quietest frames within +-3 s (5th pct)
    clipped: list[float]  # per second: share of samples at full scale
    regions: list[tuple[float, float]]  # speech regions in seconds, padded and merged
    # per 30 ms frame, for who said it (the talk check): 2 a speech frame, 1 a frame webrtcvad
    # takes for a voice at least ``voice_margin_db`` over the local noise floor (in a machine
    # hum most voiced frames are too flat to pass as speech; the talk check counts these only
    # where a mouth moves), 0 neither
    voice_frames: np.ndarray | None = None


def voice_frames(a: SpeechAnalysis | None) -> np.ndarray | None:
    """The frames the talk check attributes: 2 speech, 1 maybe a voice (see
    ``SpeechAnalysis.voice_frames``), 0 neither; None: no audio analysed."""
    if a is None:
        return None
    return a.voice_frames if a.voice_frames is not None else a.speech_frames


def _frame_db(frames: np.ndarray) -> np.ndarray:
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-5))


def _flatness(frames: np.ndarray) -> np.ndarray:
    """Spectral flatness per frame (0 tonal .. 1 white noise), 300-3400 Hz band."""
    spec = np.abs(np.fft.rfft(frames * np.hanning(frames.shape[1]), axis=1)) + 1e-9
    band = spec[:, 9:103]  # 16 kHz / 480-sample frame: 33.3 Hz per bin
    return np.exp(np.mean(np.log(band), axis=1)) / np.mean(band, axis=1)


def _periodicity(frames: np.ndarray) -> np.ndarray:
    """Peak of the normalised autocorrelation at lags of 80-400 Hz pitch (0..1) per frame."""
    x = frames - frames.mean(axis=1, keepdims=True)
    spec = np.fft.rfft(x, n=2 * frames.shape[1], axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, : frames.shape[1]]
    ac = ac / np.maximum(ac[:, :1], 1e-12)
    return ac[:, 40:200].max(axis=1)


@dataclass(frozen=True)
class _FrameFeatures:
    """Per 30 ms frame: webrtcvad's verdict, level (dBFS), flatness, periodicity; per second:
    the share of clipped samples. Small: about 30 bytes per frame (3 MB an hour)."""

    voiced: np.ndarray
    db: np.ndarray
    flat: np.ndarray
    pitch: np.ndarray
    clipped: list[float]


def _frame_features(audio: Audio, sr: int, p: SpeechParams) -> _FrameFeatures:
    """The features of every frame, computed block by block (:data:`AUDIO_BLOCK_S` seconds:
    whole frames and whole seconds), so that only one block of samples is in memory."""
    import webrtcvad

    flen = sr * FRAME_MS // 1000
    block = AUDIO_BLOCK_S * sr  # a multiple of both the frame and the second
    vad = webrtcvad.Vad(p.vad_mode)  # one detector, fed in order, as over the whole audio
    parts: list[tuple[np.ndarray, ...]] = []
    clipped: list[float] = []
    for samples in iter_blocks(audio, block):
        n_frames = len(samples) // flen
        frames = samples[: n_frames * flen].reshape(n_frames, flen)
        if n_frames:
            parts.append(block_features(frames, vad, sr))
        for a in range(0, len(samples), sr):
            clipped.append(float((np.abs(samples[a : a + sr]) >= 0.999).mean()))
    if not parts:
        empty = np.zeros(0)
        return _FrameFeatures(np.zeros(0, dtype=bool), empty, empty, empty, clipped)
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    return _FrameFeatures(cols[0], cols[1], cols[2], cols[3], clipped)


def block_features(
    frames: np.ndarray, vad: Any, sr: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per 30 ms frame of an (n, frame) block: webrtcvad's verdict (``vad`` fed in order),
    level (dBFS), spectral flatness and periodicity. The live checks of a guided recording
    call it on each block as it arrives."""
    pcm = (np.clip(frames, -1, 1) * 32767).astype("<i2")
    voiced = np.array([vad.is_speech(f.tobytes(), sr) for f in pcm], dtype=bool)
    return voiced, _frame_db(frames), _flatness(frames), _periodicity(frames)


def speech_mask(
    voiced: np.ndarray, db: np.ndarray, flat: np.ndarray, pitch: np.ndarray, p: SpeechParams
) -> np.ndarray:
    """Frames that are speech: webrtcvad says so, loud enough, and periodic or not flat (a
    machine hum or fan is spectrally flat and aperiodic; voiced speech is neither)."""
    return voiced & (db > p.min_level_dbfs) & ((pitch >= 0.45) | (flat < 0.4))


def analyse(audio: Audio, sr: int, duration_s: float, p: SpeechParams) -> SpeechAnalysis:
    """Voice activity and clarity of ``audio`` (an array, or a track read block by block)."""
    f = _frame_features(audio, sr, p)
    n_frames, db = len(f.db), f.db
    speech = speech_mask(f.voiced, db, f.flat, f.pitch, p)
    # Smooth: fill 1-2 frame holes, drop isolated single frames.
    speech = _close(speech, 5)

    n = seconds_of(duration_s)
    per_sec = max(1, 1000 // FRAME_MS)
    # The voice level of the recording: energy of its speech frames. Each second's SNR is that
    # level over the local noise floor (the frames around it that are not speech), so a loud
    # background is found even where it masks the speech from the detector.
    voice_ref = float(np.percentile(db[speech], 70)) if speech.sum() >= per_sec // 3 else None
    ratio: list[float] = []
    clipped: list[float] = []
    snr: list[float | None] = []
    level: list[float | None] = []
    floors: list[float | None] = []
    for s in range(n):
        a, b = int(s * 1000 / FRAME_MS), int((s + 1) * 1000 / FRAME_MS)
        sp = speech[a:b]
        ratio.append(float(sp.mean()) if len(sp) else 0.0)
        clipped.append(f.clipped[s] if s < len(f.clipped) else 0.0)
        quietest = _quietest(db, a, b, 3 * per_sec)
        floors.append(quietest)
        floor = _noise_floor(db, speech, a, b, per_sec)
        here = _quietest(db, a, b, per_sec // 2)
        if floor is not None and here is not None:
            # In continuous speech the "non-speech" frames are unvoiced consonants and
            # breaths, far above the room: the floor is never above the quietest frames within
            # half a second (plus a margin for a fluctuating noise).
            floor = min(floor, here + p.floor_margin_db)
        snr.append(None if voice_ref is None or floor is None else min(60.0, voice_ref - floor))
        level.append(float(10 * np.log10(np.mean(10 ** (db[a:b][sp] / 10)))) if sp.any() else None)

    times = [i * FRAME_MS / 1000 for i in range(n_frames)]
    regions = runs(times, list(speech), FRAME_MS / 1000, max_gap=p.region_merge_s)
    merged: list[tuple[float, float]] = []
    for r0, r1 in regions:
        lo, hi = max(0.0, r0 - p.region_pad_s), min(duration_s, r1 + p.region_pad_s)
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    second = np.minimum((np.arange(n_frames) * FRAME_MS) // 1000, max(0, len(floors) - 1))
    floor_db = np.array([-90.0 if x is None else x for x in floors] or [-90.0])[second]
    maybe = _close(speech | (f.voiced & (db > floor_db + p.voice_margin_db)), 5)
    voice = maybe.astype(np.uint8) + speech.astype(np.uint8)
    return SpeechAnalysis(speech, ratio, snr, level, floors, clipped, merged, voice)


def _noise_floor(db: np.ndarray, speech: np.ndarray, a: int, b: int, per_sec: int) -> float | None:
    """Noise level (dBFS) around frames [a, b): the 20th percentile of the non-speech frames
    in the second itself, widening to +-1 s and +-3 s in continuous speech. None when all
    of it is speech."""
    for reach in (0, per_sec, 3 * per_sec):
        lo, hi = max(0, a - reach), min(len(db), b + reach)
        quiet = db[lo:hi][~speech[lo:hi]]
        if len(quiet) >= per_sec // 6:
            return max(float(np.percentile(quiet, 20)), -90.0)
    return None


def _quietest(db: np.ndarray, a: int, b: int, reach: int) -> float | None:
    """The noise floor under soft speech: the 5th percentile of every frame within ``reach``
    frames of [a, b) (soft speech is missed by the detector, so the non-speech frames would
    include it)."""
    near = db[max(0, a - reach) : min(len(db), b + reach)]
    return max(float(np.percentile(near, 5)), -90.0) if len(near) else None


def _close(mask: np.ndarray, gap: int) -> np.ndarray:
    out = mask.copy()
    idx = np.flatnonzero(mask)
    for a, b in itertools.pairwise(idx):
        if 1 < b - a <= gap:
            out[a:b] = True
    isolated = out & ~np.roll(out, 1) & ~np.roll(out, -1)
    return out & ~isolated


def _median(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(float(np.median(vals)), 1) if vals else None


def _with_measures(ev: Event, a: SpeechAnalysis) -> Event:
    """A low-clarity event with what fired: the median SNR (noise: the voice over the local
    noise floor; quiet: this speech over the quietest nearby frames) and speech level."""
    lo, hi = int(ev.start), max(int(ev.start) + 1, int(np.ceil(ev.end)))
    levels = a.level_dbfs[lo:hi]
    if ev.details.get("cause") == "quiet":
        floors = a.floor_dbfs[lo:hi]
        snr = [
            None if lv is None or fl is None else lv - fl
            for lv, fl in zip(levels, floors, strict=True)
        ]
    else:
        snr = a.snr_db[lo:hi]
    measures = {"snr_db": _median(snr), "level_dbfs": _median(levels)}
    return replace(ev, details={**ev.details, **measures})


def run_speech_check(
    audio: Audio | None, sr: int, duration_s: float, params: SpeechParams | None = None
) -> tuple[CheckResult, SpeechAnalysis | None]:
    p = params or SpeechParams()
    if audio is None:
        return CheckResult.unavailable("speech", NO_AUDIO), None
    a = analyse(audio, sr, duration_s, p)
    n = len(a.speech_ratio)
    secs = [float(i) for i in range(n)]
    has_speech = [r > 0.15 for r in a.speech_ratio]
    noisy = [s is not None and s < p.min_snr_db for s in a.snr_db]
    quiet = [
        lv is not None
        and lv < p.quiet_dbfs
        and not nz
        and fl is not None
        and lv - fl < p.quiet_min_snr_db
        for lv, nz, fl in zip(a.level_dbfs, noisy, a.floor_dbfs, strict=True)
    ]
    clip = [c >= p.clip_share for c in a.clipped]
    silent = [not h for h in has_speech]

    events: list[Event] = []

    def add(check: str, flags: list[bool], min_s: float, sev: Severity, **kw: str) -> None:
        gap = 0.0 if check == "silence" else 1.0
        spans = runs(secs, flags, 1.0, min_duration=min_s, max_gap=gap)
        events.extend(span_events(check, spans, duration_s, sev, details=kw))

    add("silence", silent, p.max_silence_s, "low")
    add("low_clarity", noisy, p.clarity_min_s, "medium", cause="noise")
    add("low_clarity", quiet, p.clarity_min_s, "low", cause="quiet")
    add("clipping", clip, p.clipping_min_s, "low")
    events = [_with_measures(e, a) if e.check == "low_clarity" else e for e in events]

    in_silence_event = [False] * n
    for ev in events:
        if ev.check == "silence":
            for i in range(int(ev.start), min(n, int(np.ceil(ev.end)))):
                in_silence_event[i] = True
    timeline: list[float | None] = []
    for i in range(n):
        snr = a.snr_db[i]
        # 0 at 5 dB under the clarity floor, 1 at 4 dB over it (about 0.55 at the floor itself)
        lo, hi = p.min_snr_db - 5.0, p.min_snr_db + 4.0
        score = 1.0 if snr is None else float(np.clip((snr - lo) / (hi - lo), 0.0, 1.0))
        if in_silence_event[i]:
            score = min(score, 0.5)
        if quiet[i]:
            score = min(score, 0.6)
        if clip[i]:
            score = min(score, 0.5)
        timeline.append(score)

    speech_s = float(a.speech_frames.sum() * FRAME_MS / 1000)
    result = CheckResult(
        name="speech",
        status="ok",
        timeline=tuple(timeline),
        events=tuple(sorted(events, key=lambda e: e.start)),
        details={
            "speech_seconds": round(speech_s, 2),
            "speech_ratio": [round(r, 3) for r in a.speech_ratio],
            "snr_db": [None if s is None else round(s, 1) for s in a.snr_db],
            "regions": [[round(x, 2), round(y, 2)] for x, y in a.regions],
            "params": asdict(p),
        },
    )
    return result, a
