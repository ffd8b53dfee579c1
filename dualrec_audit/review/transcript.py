"""The transcript a reviewer reads: spans coloured by the phrases heard, lines, who said them."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from dualrec_audit.core.result import AuditResult, StageStatus, Word

SpanKind = Literal["plain", "required", "forbidden"]


@dataclass(frozen=True)
class Span:
    """A transcript word with how to colour it."""

    start: float
    end: float
    text: str
    kind: SpanKind


def _matches(result: AuditResult) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    script = result.checks.get("script")
    required: list[tuple[float, float]] = []
    forbidden: list[tuple[float, float]] = []
    if script is None:
        return required, forbidden
    for r in script.details.get("required") or ():
        m = r.get("match") if r.get("found") else None
        if m:
            required.append((float(m["start"]), float(m["end"])))
    for f in script.details.get("forbidden") or ():
        m = f.get("match")
        if m:
            forbidden.append((float(m["start"]), float(m["end"])))
    return required, forbidden


def _overlaps(w: Word, spans: Iterable[tuple[float, float]]) -> bool:
    return any(w.start < e and w.end > s for s, e in spans)


def transcript_spans(result: AuditResult) -> list[Span]:
    """The transcript word by word: words of a required phrase that was heard are
    ``required`` (green), words of a forbidden phrase are ``forbidden`` (red)."""
    required, forbidden = _matches(result)
    out = []
    for w in result.transcript:
        kind: SpanKind = (
            "forbidden"
            if _overlaps(w, forbidden)
            else "required"
            if _overlaps(w, required)
            else "plain"
        )
        out.append(Span(w.start, w.end, w.text, kind))
    return out


def transcript_lines(
    spans: Sequence[Span],
    pause_s: float = 1.2,
    max_chars: int = 36,
    speakers: Sequence[str | None] | None = None,
) -> list[int]:
    """Indices of the spans that start a new line: after a pause, when a line is full, or when
    another party speaks (``speakers``: who said each span, see :func:`span_speakers`)."""
    starts: list[int] = []
    chars = 0
    talker: str | None = None
    for i, s in enumerate(spans):
        who = speakers[i] if speakers is not None else None
        turn = who is not None and talker is not None and who != talker
        if (
            i == 0
            or s.start - spans[i - 1].end >= pause_s
            or chars + len(s.text) > max_chars
            or turn
        ):
            starts.append(i)
            chars = 0
            talker = None
        chars += len(s.text)
        talker = talker or who
    return starts


def span_speakers(result: AuditResult, spans: Sequence[Span]) -> list[str | None]:
    """Who said each transcript word: the talk label (``staff``, ``customer``, ``both``,
    ``off_screen``) over most of it, None where the talk check says nothing."""
    from dualrec_audit.rules.attribution import speaker_of

    return [speaker_of(result.talk, s.start, s.end)[0] for s in spans]


def line_speaker(speakers: Sequence[str | None], first: int, end: int) -> str | None:
    """Who speaks the line of spans [first, end): its first known speaker."""
    return next((w for w in speakers[first:end] if w is not None), None)


def current_span(starts: Sequence[float], seconds: float) -> int | None:
    """The word being spoken at ``seconds`` (``starts``: the words' start times, in order),
    else the last one before it; None before the first."""
    i = bisect.bisect_right(starts, seconds) - 1
    return i if i >= 0 else None


def missing_stages(result: AuditResult) -> list[StageStatus]:
    """Stages of the profile that were listened for and not heard (red in the transcript)."""
    return [s for s in result.stages if s.status == "missing"]


@dataclass(frozen=True)
class Line:
    """A line of the character transcript: when it starts and ends, who says it, the text."""

    start: float
    end: float
    speaker: str | None
    text: str


def character_lines(result: AuditResult, words: Sequence[Word], max_chars: int = 24) -> list[Line]:
    """The character transcript (``words`` from ``audit/hanzi.py``) cut into lines as the
    pinyin transcript is (a pause, a full line, another party speaking), each with the speaker
    the talk check heard over it."""
    spans = [Span(w.start, w.end, w.text, "plain") for w in words]
    speakers = span_speakers(result, spans)
    starts = transcript_lines(spans, max_chars=max_chars, speakers=speakers)
    out = []
    for k, first in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(spans)
        text = "".join(s.text for s in spans[first:end])
        out.append(
            Line(spans[first].start, spans[end - 1].end, line_speaker(speakers, first, end), text)
        )
    return out
