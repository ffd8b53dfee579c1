"""Text → characters → toneless pinyin syllables, for finding script phrases in a transcript
(:mod:`dualrec_audit.speech.matching`): normalisation, pinyin, fuzzy pinyin, and the coding of
syllables as characters.

Normalisation (:func:`normalize_text`): NFKC (full-width → half-width), Latin letters lower-cased,
whitespace, punctuation (Chinese and ASCII) and symbols dropped. A word's time span is split
evenly over the characters that remain of it.

Pinyin (:func:`to_syllables`): ``pypinyin.lazy_pinyin`` without tones, computed on whole runs of
Chinese characters (the whole transcript, the whole phrase) so that heteronyms get their reading
in context (银行 → yin hang, 行走 → xing zou). Every other character is its own "syllable".

Fuzzy pinyin (:func:`fuzzy_syllable`), for accents and near-homophones the recogniser confuses.
Each syllable is rewritten to a canonical form; two syllables match fuzzily when their forms are
equal. The merged pairs are those of the usual pinyin input-method "模糊音" lists:

========  =========================================================
initials  zh = z, ch = c, sh = s, n = l, f = h, r = l
finals    ang = an, eng = en, ing = in, ong = on, iang = ian,
          iong = ion, uang = uan (i.e. a final -ng is read as -n)
========  =========================================================

so 风 feng ~ 分 fen, 您 nin ~ 林 lin, 付 fu ~ 胡 hu, 证 zheng ~ 真 zhen ~ 怎 zen, 日 ri ~ 力 li.

Syllables (and fuzzy forms) are coded as single private-use characters (:data:`SYMBOLS`, one
global table) so that every comparison of the matcher is a plain string comparison.
"""

from __future__ import annotations

import logging
import re
import string
import threading
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

logger = logging.getLogger(__name__)

__all__ = ["SYMBOLS", "fuzzy_syllable", "normalize_text", "to_syllables", "toneless"]

# The four tone marks (grave, acute, macron, caron) once decomposed; not the diaeresis of ü.
_TONE_MARKS: Final = re.compile("[\u0300\u0301\u0304\u030c]")
_ASCII_PUNCT: Final = frozenset(string.punctuation)
_HANZI_RUN: Final = re.compile(
    "[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+"
)

_INITIALS: Final = (
    "zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x",
    "r", "z", "c", "s", "y", "w",
)  # fmt: skip
_FUZZY_INITIALS: Final[dict[str, str]] = {
    "zh": "z",
    "ch": "c",
    "sh": "s",
    "n": "l",
    "h": "f",
    "r": "l",
}
_SYLLABIC_CONSONANTS: Final = frozenset({"m", "n", "ng", "hm", "hng"})


def _keep_char(ch: str) -> bool:
    if ch.isspace() or ch in _ASCII_PUNCT:
        return False
    # P*: punctuation, S*: symbols, Z*: separators, C*: control/format/private use.
    return unicodedata.category(ch)[0] not in "PSZC"


def normalize_text(text: str) -> str:
    """Full-width → half-width, lower-case, drop whitespace, punctuation and symbols."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if _keep_char(ch))


def _hanzi_syllables(run: str) -> list[str]:
    # Imported here: its dictionaries take 0.4 s to load, in the audit's sound thread rather
    # than before the first frame.
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(run)
    if len(syllables) == len(run):
        return syllables
    # A run of characters without pinyin comes back as one item: convert char by char.
    logger.debug("pinyin of %r has %d syllables; converting char by char", run, len(syllables))
    out: list[str] = []
    for ch in run:
        one = lazy_pinyin(ch)
        out.append(one[0] if len(one) == 1 else ch)
    return out


def to_syllables(chars: str) -> list[str]:
    """One toneless pinyin syllable per character of a *normalised* string.

    Runs of Chinese characters are converted as a whole (readings in context); any other
    character is its own syllable.
    """
    out: list[str] = []
    pos = 0
    for m in _HANZI_RUN.finditer(chars):
        out.extend(chars[pos : m.start()])
        out.extend(_hanzi_syllables(m.group()))
        pos = m.end()
    out.extend(chars[pos:])
    return out


@lru_cache(maxsize=4096)
def fuzzy_syllable(syllable: str) -> str:
    """Canonical form of a toneless pinyin syllable for near-homophones (see module doc)."""
    if not (syllable.isascii() and syllable.isalpha()) or syllable in _SYLLABIC_CONSONANTS:
        return syllable
    initial = ""
    for cand in _INITIALS:
        if syllable.startswith(cand) and len(syllable) > len(cand):
            initial = cand
            break
    final = syllable[len(initial) :]
    if len(final) > 2 and final.endswith("ng"):
        final = final[:-1]
    return _FUZZY_INITIALS.get(initial, initial) + final


def toneless(syllable: str) -> str:
    """A pinyin syllable without its tone, as :func:`to_syllables` writes it (ü as v):
    ``"lǜ"`` → ``"lv"``, ``"Zhōng"`` → ``"zhong"``."""
    plain = _TONE_MARKS.sub("", unicodedata.normalize("NFD", syllable.strip().lower()))
    return unicodedata.normalize("NFC", plain).replace("ü", "v")


class _SymbolTable:
    """Codes each distinct syllable as one private-use character (a stable, global table)."""

    _BASE: Final = 0xF0000  # Supplementary Private Use Area-A, then -B.
    _LIMIT: Final = 0x10FFFF

    def __init__(self) -> None:
        self._codes: dict[str, str] = {}
        self._lock = threading.Lock()

    def _new_code(self, syllable: str) -> str:
        with self._lock:
            code = self._codes.get(syllable)
            if code is None:
                point = self._BASE + len(self._codes)
                if point > self._LIMIT:
                    raise RuntimeError("too many distinct syllables to code")
                code = chr(point)
                self._codes[syllable] = code
            return code

    def encode(self, syllables: Sequence[str]) -> str:
        codes = self._codes
        return "".join(codes.get(s) or self._new_code(s) for s in syllables)


SYMBOLS: Final = _SymbolTable()
