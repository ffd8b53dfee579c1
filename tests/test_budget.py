"""Recognisers' time budgets and loop guards, on a real runaway: an English-only Whisper
(tiny.en, real trained weights) on Mandarin speech.

tiny.en cannot write Mandarin: it hallucinates English ("Don't forget to subscribe …"), loops,
and tries every temperature fallback on each window; unguarded, it ran past 27 CPU-minutes on
a 10-minute recording without finishing (issue 36). Here it gets a tight budget and must stop
within it, saying where it stopped (``transcript.truncated``).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from dualrec_audit.checks.speech import run_speech_check
from dualrec_audit.checks.transcript import run_transcript_check
from dualrec_audit.speech.transcriber import (
    Budget,
    FasterWhisperTranscriber,
    WhisperOptions,
    repeats_itself,
)

from . import forbidden_media as fm
from .conftest import models_root

MODEL = "whisper-tiny-en"
TIGHT = Budget(per_second=0.1, window_floor_s=2.0, total_floor_s=4.0)


@pytest.fixture(scope="module")
def mandarin() -> np.ndarray:
    """About 60 s: every Mandarin clip, 0.5 s apart."""
    names = [*fm.SPEECH_ZH, "firered_IT0011W0001.wav", *(f"{i}.wav" for i in range(7))]
    parts = []
    for n in names:
        parts += [fm.clip(n), np.zeros(fm.SR // 2, np.float32)]
    return np.concatenate(parts)


@pytest.fixture(scope="module")
def tiny_en(isolated_models_env) -> Path:
    return models_root(MODEL) / "whisper-tiny-en"


def test_runaway_recogniser_stops_within_its_budget(mandarin, tiny_en):
    duration = len(mandarin) / fm.SR
    _, analysis = run_speech_check(mandarin, fm.SR, duration)
    assert analysis is not None
    speech = sum(b - a for a, b in analysis.regions)
    transcriber = FasterWhisperTranscriber(
        tiny_en, MODEL, "test", trusted=False, options=WhisperOptions(budget=TIGHT)
    )
    transcriber.transcribe(mandarin[: fm.SR], [(0.1, 0.9)])  # the model loaded
    began = time.monotonic()
    check, words = run_transcript_check(transcriber, None, mandarin, analysis, duration)
    took = time.monotonic() - began
    # The budget (4 s + 0.1 s per second of speech), the eager part of one window's call
    # (features, under 1 s) and this machine's contention: seconds, never minutes.
    assert took < TIGHT.total(speech) + 10.0, took
    truncated = check.details["truncated"]
    assert truncated, check.details
    assert {t["reason"] for t in truncated} <= {"time", "repeats"}
    assert all(0.0 <= t["start"] < t["end"] <= duration + 0.01 for t in truncated)
    covered = sum(t["end"] - t["start"] for t in truncated)
    assert covered > 0.5 * speech  # most of it was given up, and said so
    for w in words:  # no word inside a span it gave up on
        assert not any(t["start"] + 0.05 < w.start < t["end"] - 0.05 for t in truncated), w


def test_a_generous_budget_truncates_nothing_on_a_short_clip(tiny_en):
    """The budget only cuts what runs past it: a 2 s clip decodes whole."""
    clip = fm.clip("firered_IT0011W0001.wav")
    duration = len(clip) / fm.SR
    _, analysis = run_speech_check(clip, fm.SR, duration)
    transcriber = FasterWhisperTranscriber(tiny_en, MODEL, "test", trusted=False)
    check, _ = run_transcript_check(transcriber, None, clip, analysis, duration)
    assert check.details["truncated"] == []


@pytest.mark.parametrize(
    ("text", "loops"),
    [
        ("欢迎大家来体验达摩院推出的语音识别模型", False),
        ("好的好的好的，对对对", False),
        ("本产品不保本，投资有风险", False),
        ("Thank you. Thank you. Thank you. Thank you. Thank you.", True),
        ("的的的的的的的的的", True),
        ("Don't forget to subscribe. " * 4, True),  # compresses far past 2.4
    ],
)
def test_loop_guard(text, loops):
    assert repeats_itself(text) is loops


def test_an_audit_with_the_runaway_recogniser_finishes(tiny_en):
    """What a batch runs per file: the whole audit, its transcript from the runaway model with
    a tight budget, finishes, and the result says where the transcript stopped."""
    from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline

    from .conftest import sample

    options = AuditOptions(
        asr_model=MODEL, profile="bundled_samples", whisper=WhisperOptions(budget=TIGHT)
    )
    pipeline = AuditPipeline(options, models_dir=tiny_en.parent)
    result = pipeline.apply(sample("clean.mp4"), profile="bundled_samples")
    assert result.error is None
    transcript = result.checks["transcript"]
    assert transcript.status == "unverified"  # a test model: never trusted
    assert transcript.details["truncated"], transcript.details
    assert result.checks["script"].status == "ok"  # the script engine is not held up by it
