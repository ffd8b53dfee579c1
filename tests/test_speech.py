"""Speech check on the real Mandarin clips and the real noise recording."""

from __future__ import annotations

import numpy as np
import pytest

from dualrec_audit.checks.speech import SpeechParams, analyse, run_speech_check

from .conftest import media, read_wav

SR = 16000
CLIPS = [
    "firered_BAC009S0764W0121.wav",
    "firered_IT0011W0001.wav",
    "funasr_asr_example.wav",
    "paddlespeech_zh.wav",
    "wenet_aishell-BAC009S0724W0121.wav",
]


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


@pytest.fixture(scope="module")
def noise() -> np.ndarray:
    return read_wav(media("noise/speechbrain_noise1.wav"))


@pytest.mark.parametrize("clip", CLIPS)
def test_mandarin_clips_are_speech(clip):
    audio = read_wav(media(f"speech_zh/{clip}"))
    a = analyse(audio, SR, len(audio) / SR, SpeechParams())
    assert a.speech_frames.mean() > 0.45
    assert a.regions, "speech regions for the recogniser"
    result, _ = run_speech_check(audio, SR, len(audio) / SR)
    assert [e.check for e in result.events] == []


def test_machine_noise_is_not_speech(noise):
    a = analyse(noise, SR, len(noise) / SR, SpeechParams())
    assert a.speech_frames.mean() < 0.15


def test_noisy_stretch_is_low_clarity(noise):
    speech = np.concatenate(
        [read_wav(media(f"speech_zh/{c}")) for c in CLIPS[:4]]
    )  # ~18 s of clean speech
    mixed = speech.copy()
    a, b = 6 * SR, 12 * SR
    mixed[a:b] += noise[: b - a] * rms(speech) / rms(noise) * 10 ** (3 / 20)  # -3 dB SNR
    result, _ = run_speech_check(mixed, SR, len(mixed) / SR)
    lc = [e for e in result.events if e.check == "low_clarity"]
    assert len(lc) == 1
    assert abs(lc[0].start - 6) <= 1 and abs(lc[0].end - 12) <= 1
    assert lc[0].details["cause"] == "noise" and lc[0].details["snr_db"] < 8  # what fired
    assert lc[0].details["level_dbfs"] > -30
    assert max(result.timeline[7:11]) < 0.6
    assert min(result.timeline[1:5]) >= 0.6
    clean, _ = run_speech_check(speech, SR, len(speech) / SR)
    assert not [e for e in clean.events if e.check == "low_clarity"]


def test_long_silence_and_clipping():
    clip = read_wav(media(f"speech_zh/{CLIPS[0]}"))
    gap = np.zeros(10 * SR, np.float32)
    hot = read_wav(media("speech_zh/paddlespeech_zh.wav"))
    loud = np.clip(hot / np.percentile(np.abs(hot), 99), -1, 1)  # a too-hot mic: 1% clipped
    audio = np.concatenate([clip, gap, loud])
    result, _ = run_speech_check(audio, SR, len(audio) / SR)
    events = {e.check: e for e in result.events}
    start = len(clip) / SR
    assert abs(events["silence"].start - start) <= 1
    assert abs(events["silence"].end - (start + 10)) <= 1
    assert events["clipping"].start >= start + 9
    assert "low_clarity" not in events


def test_no_audio_track_is_unavailable():
    result, analysis = run_speech_check(None, SR, 20.0)
    assert result.status == "unavailable" and analysis is None
    assert result.reason is not None and "audio" in result.reason.en
    assert result.score is None


EXPRESSIVE = ("funasr_asr_example.wav", "wenet_aishell-BAC009S0724W0121.wav", "paddlespeech_zh.wav")


def expressive(soft_dbfs: float, room_dbfs: float, seed: int = 7) -> np.ndarray:
    """Real clean clips spoken loud (-12 dBFS) and soft (``soft_dbfs``) in turn, 0.3 s apart,
    over a steady room noise at ``room_dbfs`` (white, seeded)."""
    parts = [np.zeros(SR // 2, np.float32)]
    for k in range(8):
        clip = read_wav(media(f"speech_zh/{EXPRESSIVE[k % len(EXPRESSIVE)]}"))
        level = -12.0 if k % 2 == 0 else soft_dbfs
        parts += [clip * np.float32(10 ** (level / 20) / rms(clip)), np.zeros(SR * 3 // 10)]
    x = np.concatenate(parts).astype(np.float32)
    x += np.random.default_rng(seed).standard_normal(len(x)).astype(np.float32) * np.float32(
        10 ** (room_dbfs / 20)
    )
    return np.tanh(x)  # a soft limit, as a recorder's


@pytest.mark.parametrize("soft", [-34.0, -44.0, -46.0])
def test_clean_expressive_speech_is_not_unclear(soft):
    """Soft passages 22-34 dB under the loud ones, 24+ dB over a quiet room: clear speech.
    (Before the quiet rule looked at the noise floor, -44 and -46 dBFS fired 'too quiet'.)"""
    x = expressive(soft, room_dbfs=-70.0)
    result, _ = run_speech_check(x, SR, len(x) / SR)
    assert [e for e in result.events if e.check == "low_clarity"] == []
    assert min(v for v in result.timeline if v is not None) >= 0.6


def test_quiet_speech_near_the_noise_floor_is_unclear_and_says_why():
    x = expressive(-46.0, room_dbfs=-56.0)  # soft passages only ~10 dB over the room
    result, _ = run_speech_check(x, SR, len(x) / SR)
    lc = [e for e in result.events if e.check == "low_clarity"]
    assert len(lc) >= 2
    for e in lc:
        assert e.details["cause"] == "quiet"
        assert e.details["snr_db"] < SpeechParams().quiet_min_snr_db
        assert -50 < e.details["level_dbfs"] < -42
