"""Finding script phrases in an ASR transcript despite recognition errors.

The recogniser gives words (usually 1-4 Chinese characters) with time spans. A transcript is
*normalised* into one string of characters, each with its own time span, and each character gets
its toneless pinyin syllable; phrases are then matched against windows of that string.
Normalisation, pinyin and fuzzy pinyin are in :mod:`dualrec_audit.speech.pinyin`.

Scoring a window of the transcript against a phrase of *n* characters (windows of *n-1*, *n* and
*n+1* characters, so that one dropped or inserted character is tolerated): the maximum of

* 1.0 when the characters are equal (method ``"exact"``);
* the similarity of the pinyin syllable sequences (method ``"pinyin"``);
* 0.95 × the similarity of the fuzzy-pinyin sequences, when enabled (method ``"pinyin"``);
* the similarity of the character sequences (method ``"fuzzy"``);

where similarity is that of ``rapidfuzz.distance.Levenshtein.normalized_similarity``
(1 - edits / longer length; computed from whole edit counts). Ties between methods report the
most direct one (exact, then pinyin, then fuzzy).

Phrases of at most :data:`SHORT_PHRASE_MAX` characters (2) would match far too much text that
way, so they only match a window of exactly their length with exactly their pinyin syllables
(score 1.0): 产品 matches 铲品 (chan pin) but 风险 (feng xian) never matches 分享 (fen xiang),
even with fuzzy pinyin.

Syllable transcripts (:meth:`TranscriptIndex.from_syllables`): a pinyin recogniser gives timed
toneless syllables and no characters. Its index holds the syllables only; the character pass
and the ``"exact"`` method are skipped and every match is by pinyin (method ``"pinyin"``), with
the same scores and thresholds, so one matcher serves both kinds of transcript.

Negation is checked on pinyin (:func:`_negated`), whichever the transcript: a negation's
syllables (不 bu, 并不 bing bu, 没有 mei you …) ending right before the occurrence, hesitation
syllables (:data:`FILLERS`) in between skipped. So 保本 never fires inside 不保本 or 并不保本,
whether the recogniser wrote characters or syllables.

Speed: syllables (and fuzzy forms) are coded as single private-use characters so that every
comparison is a plain string comparison; windows are cut once per transcript index and length,
and ``rapidfuzz.process.extract`` with a score cut-off compares a phrase with all of them in C++.
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from dualrec_audit.core.result import Word
from dualrec_audit.speech.pinyin import (
    SYMBOLS,
    fuzzy_syllable,
    normalize_text,
    to_syllables,
    toneless,
)

logger = logging.getLogger(__name__)

__all__ = [
    "FILLERS",
    "FUZZY_PINYIN_WEIGHT",
    "NEGATIONS",
    "SHORT_PHRASE_MAX",
    "PhraseMatch",
    "PhraseMatcher",
    "TranscriptIndex",
    "negated_at",
]

SHORT_PHRASE_MAX: Final = 2
"""Phrases up to this many characters match only on exactly equal pinyin syllables."""

FUZZY_PINYIN_WEIGHT: Final = 0.95
"""A fuzzy-pinyin similarity is worth this much of an exact-pinyin one."""

WINDOW_CHUNK: Final = 4096
"""Transcript windows compared with a phrase at a time (their memory, not the transcript's)."""

NEGATIONS: Final[tuple[str, ...]] = (
    "不",
    "没",
    "没有",
    "无",
    "无法",
    "未",
    "非",
    "并非",
    "绝非",
    "并不",
    "绝不",
    "决不",
    "从不",
    "不能",
    "不能够",
    "不会",
    "不可",
    "不可能",
    "不一定",
    "不是",
    "不得",
    "不要",
    "不敢",
    "不承诺",
    "不保证",
)
"""Negations (1-3 characters) that, directly before a forbidden phrase, make it a disclosure."""

FILLERS: Final = "呃嗯啊额唔哦噢"
"""Hesitation sounds skipped when looking for a negation before a phrase."""

_MAX_FILLERS: Final = 3
NEGATION_GAP_S: Final = 0.8
"""A syllable starting this long after the previous one is after a pause: a negation before
the pause does not negate what follows it."""
_EPS: Final = 1e-9
_METHOD_RANK: Final[dict[str, int]] = {"exact": 0, "pinyin": 1, "fuzzy": 2}

_Kind = Literal["chars", "pinyin", "fuzzy"]


@dataclass(frozen=True)
class _Phrase:
    chars: str
    pinyin: str  # coded syllables
    fuzzy: str  # coded fuzzy syllables


@lru_cache(maxsize=4096)
def _prepare_phrase(text: str) -> _Phrase:
    chars = normalize_text(text)
    syllables = to_syllables(chars)
    return _Phrase(
        chars=chars,
        pinyin=SYMBOLS.encode(syllables),
        fuzzy=SYMBOLS.encode([fuzzy_syllable(s) for s in syllables]),
    )


# --------------------------------------------------------------------------------------------
# Transcript index


class TranscriptIndex:
    """A normalised transcript: characters, their time spans, pinyin; built once per transcript.

    ``chars[i]`` is spoken from ``starts[i]`` to ``ends[i]`` (seconds) and reads
    ``syllables[i]``. Windows of the coded strings are cut a chunk at a time as they are read.
    """

    def __init__(
        self,
        chars: str,
        starts: Sequence[float],
        ends: Sequence[float],
        syllables: Sequence[str] | None = None,
        *,
        has_chars: bool = True,
    ) -> None:
        if len(starts) != len(chars) or len(ends) != len(chars):
            raise ValueError("one start and one end per character are required")
        if syllables is None:
            syllables = to_syllables(chars)
        elif len(syllables) != len(chars):
            raise ValueError("one syllable per character is required")
        self.chars: str = chars
        self.has_chars = has_chars  # False: a syllable transcript (chars are placeholders)
        self.starts: tuple[float, ...] = tuple(starts)
        self.ends: tuple[float, ...] = tuple(ends)
        self.syllables: tuple[str, ...] = tuple(syllables)
        self._coded: dict[_Kind, str] = {
            "chars": chars,
            "pinyin": SYMBOLS.encode(self.syllables),
            "fuzzy": SYMBOLS.encode([fuzzy_syllable(s) for s in self.syllables]),
        }

    @classmethod
    def from_words(cls, words: Sequence[Word]) -> TranscriptIndex:
        """Normalise recognised words; each word's span is split evenly over its characters."""
        parts: list[str] = []
        starts: list[float] = []
        ends: list[float] = []
        for word in words:
            chars = normalize_text(word.text)
            if not chars:
                continue
            step = max(0.0, word.end - word.start) / len(chars)
            for k in range(len(chars)):
                starts.append(word.start + k * step)
                ends.append(word.start + (k + 1) * step)
            parts.append(chars)
        return cls("".join(parts), starts, ends)

    @classmethod
    def from_syllables(cls, syllables: Sequence[Word]) -> TranscriptIndex:
        """A pinyin recogniser's output: one word per syllable (toned or toneless pinyin)."""
        kept = [(w, s) for w in syllables if (s := toneless(w.text))]
        sylls = [s for _, s in kept]
        chars = SYMBOLS.encode(sylls)  # one placeholder per syllable, never shown
        starts = [w.start for w, _ in kept]
        ends = [w.end for w, _ in kept]
        return cls(chars, starts, ends, sylls, has_chars=False)

    def text(self, first: int, length: int) -> str:
        """What was heard there: characters, or syllables separated by spaces."""
        if self.has_chars:
            return self.chars[first : first + length]
        return " ".join(self.syllables[first : first + length])

    def __len__(self) -> int:
        return len(self.chars)

    def coded(self, kind: _Kind) -> str:
        """The transcript as characters, coded pinyin or coded fuzzy pinyin."""
        return self._coded[kind]

    def windows(self, kind: _Kind, length: int) -> Iterator[tuple[int, list[str]]]:
        """The substrings of ``length`` characters of :meth:`coded`, by start position, as
        ``(first position, up to WINDOW_CHUNK substrings)``: cut as they are read, never kept,
        so the memory of a search does not grow with the transcript's length."""
        text = self._coded[kind]
        last = len(text) - length + 1
        for a in range(0, last, WINDOW_CHUNK):
            yield a, [text[i : i + length] for i in range(a, min(last, a + WINDOW_CHUNK))]

    def span(self, first: int, length: int) -> tuple[float, float]:
        """Start of character ``first`` and end of character ``first + length - 1``."""
        return self.starts[first], self.ends[first + length - 1]


# --------------------------------------------------------------------------------------------
# Matching


@dataclass(frozen=True)
class PhraseMatch:
    """An occurrence of a phrase in the transcript."""

    phrase: str  # the alternative that matched (as written by the user)
    text: str  # the matched transcript text (normalised characters)
    score: float  # 0..1
    start: float  # seconds: start of the first matched character
    end: float  # seconds: end of the last matched character
    method: str  # "exact" | "pinyin" | "fuzzy"

    def to_dict(self) -> dict[str, Any]:
        return {
            "phrase": self.phrase,
            "text": self.text,
            "score": round(self.score, 4),
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "method": self.method,
        }


@dataclass(frozen=True)
class _Candidate:
    score: float
    first: int  # index of the first character in the transcript
    length: int  # characters in the window
    method: str
    alt: int  # index of the alternative
    phrase_len: int
    lead: int = 0  # 1 when the window's first char is not the phrase's first syllable

    def sort_key(self) -> tuple[float, int, int, int, int]:
        # Best score, then earliest, then the window closest to the phrase length, then the
        # most direct method, then the first alternative listed.
        return (
            -self.score,
            self.first,
            abs(self.length - self.phrase_len),
            _METHOD_RANK[self.method],
            self.alt,
        )


class PhraseMatcher:
    """Finds phrases (with alternatives) in a transcript despite recognition errors."""

    def __init__(self, threshold: float = 0.8, *, fuzzy_pinyin: bool = True) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.fuzzy_pinyin = fuzzy_pinyin

    def index(self, words: Sequence[Word]) -> TranscriptIndex:
        """Precompute the transcript once, to search it for many phrases."""
        return TranscriptIndex.from_words(words)

    def _as_index(self, words_or_index: Sequence[Word] | TranscriptIndex) -> TranscriptIndex:
        if isinstance(words_or_index, TranscriptIndex):
            return words_or_index
        return TranscriptIndex.from_words(words_or_index)

    def find(
        self,
        alternatives: Sequence[str],
        words_or_index: Sequence[Word] | TranscriptIndex,
    ) -> PhraseMatch | None:
        """The best match of any alternative, or None when none reaches the threshold.

        Among equal scores the earliest occurrence wins.
        """
        index = self._as_index(words_or_index)
        candidates = self._candidates(alternatives, index)
        if not candidates:
            return None
        best = min(candidates, key=_Candidate.sort_key)
        return self._to_match(best, alternatives, index)

    def find_all(
        self,
        alternatives: Sequence[str],
        words_or_index: Sequence[Word] | TranscriptIndex,
        *,
        skip_negated: bool = True,
    ) -> list[PhraseMatch]:
        """Every non-overlapping occurrence of any alternative, in time order.

        Overlapping candidates are resolved best score first. With ``skip_negated``, occurrences
        directly preceded by a negation (:data:`NEGATIONS`, e.g. 本产品不保本, 非保本) are dropped:
        they are the compliant disclosure, not the forbidden promise.
        """
        index = self._as_index(words_or_index)
        chosen: list[_Candidate] = []
        for cand in sorted(self._candidates(alternatives, index), key=_Candidate.sort_key):
            last = cand.first + cand.length
            if any(cand.first < c.first + c.length and c.first < last for c in chosen):
                continue
            chosen.append(cand)
        if skip_negated:
            kept = [c for c in chosen if not _negated(index, c)]
            if len(kept) != len(chosen):
                logger.debug("dropped %d negated occurrence(s)", len(chosen) - len(kept))
            chosen = kept
        chosen.sort(key=lambda c: (c.first, c.length))
        return [self._to_match(c, alternatives, index) for c in chosen]

    # ----------------------------------------------------------------------------------------

    def _to_match(
        self, cand: _Candidate, alternatives: Sequence[str], index: TranscriptIndex
    ) -> PhraseMatch:
        start, end = index.span(cand.first, cand.length)
        return PhraseMatch(
            phrase=alternatives[cand.alt],
            text=index.text(cand.first, cand.length),
            score=min(1.0, cand.score),
            start=start,
            end=end,
            method=cand.method,
        )

    def _candidates(self, alternatives: Sequence[str], index: TranscriptIndex) -> list[_Candidate]:
        out: list[_Candidate] = []
        if not len(index):
            return out
        for alt, text in enumerate(alternatives):
            phrase = _prepare_phrase(text)
            if not phrase.chars:
                logger.debug("phrase %r is empty once normalised; skipped", text)
                continue
            if len(phrase.chars) <= SHORT_PHRASE_MAX:
                out.extend(self._short_candidates(alt, phrase, index))
            else:
                out.extend(self._window_candidates(alt, phrase, index))
        return out

    def _short_candidates(
        self, alt: int, phrase: _Phrase, index: TranscriptIndex
    ) -> list[_Candidate]:
        n = len(phrase.chars)
        pinyin = index.coded("pinyin")
        out: list[_Candidate] = []
        pos = pinyin.find(phrase.pinyin)
        while pos != -1:
            exact = index.has_chars and index.chars[pos : pos + n] == phrase.chars
            out.append(_Candidate(1.0, pos, n, "exact" if exact else "pinyin", alt, n))
            pos = pinyin.find(phrase.pinyin, pos + 1)
        return out

    def _window_candidates(
        self, alt: int, phrase: _Phrase, index: TranscriptIndex
    ) -> list[_Candidate]:
        n = len(phrase.chars)
        passes: list[tuple[_Kind, str, float]] = [("pinyin", phrase.pinyin, 1.0)]
        if index.has_chars:
            passes.insert(0, ("chars", phrase.chars, 1.0))
        if self.fuzzy_pinyin:
            passes.append(("fuzzy", phrase.fuzzy, FUZZY_PINYIN_WEIGHT))
        pinyin = index.coded("pinyin")
        best: dict[tuple[int, int], _Candidate] = {}
        for length in (n - 1, n, n + 1):
            if length > len(index):
                continue
            longer = max(n, length)
            for kind, query, weight in passes:
                # weight * (1 - d / longer) >= threshold, in whole edits. (Integer distances
                # avoid float trouble with normalized_similarity's own cut-off.)
                max_edits = math.floor(longer * (1.0 - self.threshold / weight) + _EPS)
                if max_edits < 0:
                    continue
                for _, edits, first in _extract(query, index.windows(kind, length), max_edits):
                    score = weight * (1.0 - int(edits) / longer)
                    if kind == "chars":
                        method = "exact" if edits == 0 else "fuzzy"
                    else:
                        method = "pinyin"
                    first = int(first)
                    lead = int(pinyin[first] != phrase.pinyin[0])
                    cand = _Candidate(score, first, length, method, alt, n, lead)
                    old = best.get((cand.first, length))
                    if old is None or cand.sort_key() < old.sort_key():
                        best[(cand.first, length)] = cand
        return list(best.values())


def _extract(
    query: str, chunks: Iterator[tuple[int, list[str]]], max_edits: int
) -> Iterator[tuple[str, int, int]]:
    """(window, edits, first position) of every window within ``max_edits`` of ``query``."""
    for offset, windows in chunks:
        hits = process.extract(
            query, windows, scorer=Levenshtein.distance, score_cutoff=max_edits, limit=None
        )
        for window, edits, k in hits:
            yield window, int(edits), offset + int(k)


@lru_cache(maxsize=1)
def _negation_syllables() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(to_syllables(n)) for n in NEGATIONS)


@lru_cache(maxsize=1)
def _filler_syllables() -> frozenset[str]:
    negations = {s for neg in _negation_syllables() if len(neg) == 1 for s in neg}
    return frozenset(to_syllables(FILLERS)) - negations  # 唔 wu reads like 无 wu: a negation


def _negated(index: TranscriptIndex, cand: _Candidate) -> bool:
    """Whether a negation ends right before the occurrence, compared on pinyin.

    Hesitation sounds (:data:`FILLERS`) between the negation and the phrase are skipped
    (不，嗯，保本). When the window's first syllable is not the phrase's first one (an
    inserted or substituted char, as in 不证年化收益 for 不保证年化收益), a negation ending at
    that syllable counts too. "Right before" is also in time: a syllable starting more than
    :data:`NEGATION_GAP_S` after the one before it is after a pause, and a negation before the
    pause (the end of the last sentence: ...分为。欢迎大家) does not reach across it.
    """
    return any(
        _negation_ends_at(index, cut) for cut in range(cand.first, cand.first + cand.lead + 1)
    )


def _negation_ends_at(index: TranscriptIndex, cut: int) -> bool:
    """Whether a negation ends right before syllable ``cut`` (fillers in between skipped)."""
    syllables, starts = index.syllables, index.starts
    negations = _negation_syllables()
    fillers = _filler_syllables()
    end = cut
    for _ in range(_MAX_FILLERS + 1):
        if end == 0 or (end < len(starts) and starts[end] - starts[end - 1] > NEGATION_GAP_S):
            return False  # nothing before it, or a pause
        before = tuple(syllables[max(0, end - 3) : end])
        if any(before[len(before) - len(neg) :] == neg for neg in negations if neg):
            return True
        if syllables[end - 1] not in fillers:
            break
        end -= 1
    return False


def negated_at(index: TranscriptIndex, start: float, phrase: str, slack_s: float = 0.3) -> bool:
    """Whether this transcript heard a negation right before a phrase that another engine
    (the keyword spotter) heard from ``start`` seconds, read on pinyin as in :func:`_negated`.

    The phrase's place in this transcript is the syllables starting within ``slack_s`` of
    ``start``: those that read the phrase's first syllable where there are any, else all of
    them (the two engines' times differ by a syllable or so) unless the phrase itself starts
    with a negation (没有风险: its own 没有 would read as one)."""
    sylls = tuple(to_syllables(normalize_text(phrase)))
    lo = bisect.bisect_left(index.starts, start - slack_s)
    hi = bisect.bisect_right(index.starts, start + slack_s)
    same = [i for i in range(lo, hi) if sylls and index.syllables[i] == sylls[0]]
    if not same and any(sylls[: len(neg)] == neg for neg in _negation_syllables() if neg):
        return False
    return any(_negation_ends_at(index, i) for i in (same or range(lo, hi)))
