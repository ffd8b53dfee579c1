"""Script: required phrases heard (pinyin-aware fuzzy matching), forbidden promises not said."""

from __future__ import annotations

from collections.abc import Sequence

from dualrec_audit.i18n import NO_TRANSCRIPT, event_message
from dualrec_audit.matching import PhraseMatcher
from dualrec_audit.phrases import PhraseSet
from dualrec_audit.result import CheckResult, Event, Word, seconds_of


def run_script_check(
    transcript: CheckResult,
    words: Sequence[Word],
    phrases: PhraseSet,
    duration_s: float,
    *,
    threshold: float = 0.8,
) -> CheckResult:
    if transcript.status == "unavailable":
        return CheckResult.unavailable("script", NO_TRANSCRIPT)
    matcher = PhraseMatcher(threshold)
    index = matcher.index(words)
    events: list[Event] = []
    required = []
    for phrase in phrases.required:
        m = matcher.find(phrase.alternatives, index)
        required.append(
            {"phrase": phrase.text, "found": m is not None, "match": m.to_dict() if m else None}
        )
        if m is None:
            events.append(
                Event(
                    "phrase_missing",
                    0.0,
                    duration_s,
                    "high",
                    event_message("phrase_missing", phrase=phrase.text),
                    details={"phrase": phrase.text, "alternatives": list(phrase.alternatives)},
                )
            )
    forbidden = []
    n = seconds_of(duration_s)
    timeline: list[float | None] = [1.0] * n
    for phrase in phrases.forbidden:
        for m in matcher.find_all(phrase.alternatives, index):
            forbidden.append({"phrase": phrase.text, "match": m.to_dict()})
            events.append(
                Event(
                    "forbidden_phrase",
                    m.start,
                    m.end,
                    "high",
                    event_message("forbidden_phrase", phrase=m.phrase),
                    details={"phrase": phrase.text, "match": m.to_dict()},
                )
            )
            for s in range(int(m.start), min(n, int(m.end) + 1)):
                timeline[s] = 0.0
    return CheckResult(
        name="script",
        status=transcript.status,
        timeline=tuple(timeline),
        events=tuple(sorted(events, key=lambda e: e.start)),
        reason=transcript.reason,
        details={
            "phrases_source": phrases.source,
            "threshold": threshold,
            "required": required,
            "forbidden": forbidden,
        },
    )
