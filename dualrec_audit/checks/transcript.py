"""Transcript: Mandarin speech recognition on the speech regions, with word timings.

The per-second timeline is the recogniser's confidence (mean word probability) over seconds
with speech. Without audio or without an installed speech model the check is unavailable,
with the reason; with a test model it runs but is marked unverified. ``details.truncated``
lists the spans a recogniser stopped on (its time budget ran out, or it repeated itself):
``start``, ``end``, ``reason`` (``time`` / ``repeats``).
"""

from __future__ import annotations

import math

from dualrec_audit.checks.speech import SpeechAnalysis
from dualrec_audit.core.i18n import NO_AUDIO, TEST_MODEL
from dualrec_audit.core.result import CheckResult, Text, Word, seconds_of
from dualrec_audit.media.sound import Audio
from dualrec_audit.speech.transcriber import Transcriber


def run_transcript_check(
    transcriber: Transcriber | None,
    unavailable_reason: Text | None,
    audio: Audio | None,
    speech: SpeechAnalysis | None,
    duration_s: float,
    *,
    language: str = "zh",
    hotwords: str | None = None,
) -> tuple[CheckResult, tuple[Word, ...]]:
    if audio is None or speech is None:
        return CheckResult.unavailable("transcript", NO_AUDIO), ()
    if transcriber is None:
        assert unavailable_reason is not None
        return CheckResult.unavailable("transcript", unavailable_reason), ()
    words = transcriber.transcribe(audio, speech.regions, language=language, hotwords=hotwords)
    n = seconds_of(duration_s)
    sums, counts = [0.0] * n, [0] * n
    for w in words:
        first = int(w.start)  # every second the word overlaps, at least the one it starts in
        for s in range(first, min(n, max(first + 1, math.ceil(w.end)))):
            sums[s] += w.probability
            counts[s] += 1
    timeline: list[float | None] = []
    for s in range(n):
        has_speech = s < len(speech.speech_ratio) and speech.speech_ratio[s] > 0.15
        if counts[s]:  # rounded as stored, so a stored result gives back the same score
            timeline.append(round(sums[s] / counts[s], 3))
        else:
            timeline.append(0.0 if has_speech else None)  # speech heard, nothing recognised
    result = CheckResult(
        name="transcript",
        status="ok" if transcriber.trusted else "unverified",
        timeline=tuple(timeline),
        reason=None if transcriber.trusted else TEST_MODEL,
        details={
            "model": transcriber.name,
            "model_version": transcriber.version,
            "language": language,
            "units": getattr(transcriber, "units", "words"),
            "words": len(words),
            "regions": len(speech.regions),
            # Spans the recogniser gave up on (time budget or a loop): no words there.
            "truncated": list(getattr(words, "truncated", [])),
        },
    )
    return result, tuple(words)
