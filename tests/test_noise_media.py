"""The noisy test media's SNR: of the whole recording, or of the phrase's own clip (``span``).

The clips of ``tests/forbidden_media.py`` differ by up to 24 dB in level, and the SNR of
``mix_noise`` is set on the whole recording's active speech, which its loudest clip dominates:
in a tuning recording whose filler is louder than the phrase's clip, the phrase is far under
the nominal SNR (docs/script-noise.md). ``span=`` sets it on the phrase's clip instead.
"""

from __future__ import annotations

import numpy as np

from . import forbidden_media as fm


def _snr_of_target(case: fm.Case, mixed: np.ndarray) -> float:
    """The phrase clip's active speech RMS over the noise's RMS (the whole recording's, as
    ``mix_noise`` defines it), the mix's peak scaling taken out."""
    x = case.audio.astype(np.float64)
    k = float(np.dot(mixed, x) / np.dot(x, x))  # the peak scaling (noise is independent)
    noise = mixed - k * x
    lo, hi = int(case.start * fm.SR), int(case.end * fm.SR)
    speech = fm._active_rms((k * x[lo:hi]).astype(np.float32))
    return float(20 * np.log10(speech / np.sqrt(np.mean(noise**2))))


def test_the_phrase_is_far_under_the_nominal_snr_when_its_filler_is_louder() -> None:
    # 身体健康 (PaddleSpeech clip, -41 dBFS) after the tuning filler (2.wav, -19 dBFS)
    case = next(c for c in fm.cases("tune") if c.phrase[0] == "身体健康" and c.position == "mid")
    assert _snr_of_target(case, fm.mix_noise(case.audio, 0.0, "branch")) < -10.0


def test_span_sets_the_snr_on_the_phrase_itself() -> None:
    for split, phrase in (("tune", "身体健康"), ("tune", "欢迎大家"), ("held_out", "落实")):
        case = next(c for c in fm.cases(split) if c.phrase[0] == phrase and c.position == "pause")
        for snr in (0.0, 5.0):
            mixed = fm.mix_noise(case.audio, snr, "branch", span=(case.start, case.end))
            assert abs(_snr_of_target(case, mixed) - snr) < 0.5, (phrase, snr)
