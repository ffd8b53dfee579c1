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
