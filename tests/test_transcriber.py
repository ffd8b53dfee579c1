"""The faster-whisper adapter on the real-format test model (random weights).

The model's text is meaningless, so these tests assert that the path runs and returns
word-timed output, never what the words say.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline
from dualrec_audit.checks.speech import run_speech_check
from dualrec_audit.checks.transcript import run_transcript_check
from dualrec_audit.core.errors import ModelError
from dualrec_audit.models.registry import ModelStore
from dualrec_audit.speech.transcriber import FasterWhisperTranscriber, WhisperOptions

from .conftest import SAMPLES, media, models_root, read_wav

FAST = WhisperOptions(beam_size=1, temperature=(0.0,))


@pytest.fixture(scope="module")
def transcriber(isolated_models_env):
    located = ModelStore(models_root("whisper-test-random")).locate("whisper-test-random")
    return FasterWhisperTranscriber(
        located.path, located.spec.name, located.version, trusted=False, options=FAST
    )


def test_adapter_returns_word_timed_output(transcriber):
    a = read_wav(media("speech_zh/funasr_asr_example.wav"))
    audio = np.concatenate([np.zeros(16000 * 2, np.float32), a])
    duration = len(audio) / 16000
    _, analysis = run_speech_check(audio, 16000, duration)
    assert analysis is not None and analysis.regions[0][0] >= 1.5
    words = transcriber.transcribe(audio, analysis.regions, language="zh", hotwords="风险提示")
    assert words, "the decoder produced words"
    for w in words:
        assert 0.0 <= w.start <= w.end <= duration
        assert 0.0 <= w.probability <= 1.0
        assert isinstance(w.text, str) and w.text == w.text.strip()
    result, out = run_transcript_check(transcriber, None, audio, analysis, duration)
    assert result.status == "unverified" and result.reason is not None
    assert len(result.timeline) == 8 and out


def test_no_regions_no_decoding(transcriber):
    assert transcriber.transcribe(np.zeros(16000, np.float32), []) == []


def test_pipeline_with_test_model_is_never_approved(isolated_models_env, random_whisper_models):
    """Without the script engine, a test model's transcript cannot verify the script."""
    options = AuditOptions(
        asr_model="whisper-test-random",
        script_model="none",
        whisper=FAST,
        profile="bundled_samples",
    )
    pipeline = AuditPipeline(options, models_dir=random_whisper_models)
    result = pipeline.apply(SAMPLES / "clean.mp4")
    assert result.models["whisper-test-random"] == "test-random-seed0"
    assert result.checks["transcript"].status == "unverified"
    assert result.checks["script"].status == "unverified"
    assert result.transcript and all(w.end <= result.duration_s for w in result.transcript)
    assert result.decision != "approve"
    # The untrusted transcript does not pull review segments over the whole recording.
    assert all("transcript" not in s.checks for s in result.segments)


def test_test_model_text_is_never_evidence(isolated_models_env, random_whisper_models):
    """With the script engine, the script is verified by it alone: the test model's words are
    matched but never count."""
    options = AuditOptions(asr_model="whisper-test-random", whisper=FAST, profile="bundled_samples")
    pipeline = AuditPipeline(options, models_dir=random_whisper_models)
    result = pipeline.apply(SAMPLES / "clean.mp4")
    script = result.checks["script"]
    assert script.status == "ok" and script.details["verified_by"] == ["kws-zh-3.3m"]
    assert "whisper-test-random:transcript" in script.details["engines"]
    for r in script.details["required"]:
        assert all(not e.startswith("whisper-test-random") for e in r["engines"])
        if r["match"]:
            assert r["match"]["engine"].startswith("kws-zh-3.3m")


def test_corrupt_speech_model_is_a_clear_error(
    tmp_path, isolated_models_env, random_whisper_models
):
    shutil.copytree(random_whisper_models / "whisper-test-random", tmp_path / "whisper-test-random")
    model = tmp_path / "whisper-test-random" / "model.bin"
    model.write_bytes(model.read_bytes()[:1000])
    with pytest.raises(ModelError) as exc:
        AuditPipeline(AuditOptions(asr_model="whisper-test-random"), models_dir=tmp_path)
    assert exc.value.code == "model_corrupt" and "models install --from" in str(exc.value)


def test_local_model_folder_is_accepted(isolated_models_env, random_whisper_models):
    folder = random_whisper_models / "whisper-test-random"
    pipeline = AuditPipeline(AuditOptions(asr_model=str(folder), whisper=FAST))
    assert pipeline.transcriber is not None
    assert pipeline.models["local:whisper-test-random"].startswith("sha256:")


def test_auto_without_speech_model_is_unavailable(pipeline):
    assert pipeline.transcriber is None
    assert pipeline.no_asr_reason is not None and "models install" in pipeline.no_asr_reason.en
