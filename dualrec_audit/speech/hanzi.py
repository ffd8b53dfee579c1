"""The reviewers' transcript in Chinese characters: a multilingual Whisper (``whisper-base-pypi``)
run by faster-whisper with the language fixed to Mandarin, its text in Simplified characters.

It is never on a decision's path: the script check verifies phrases on the pinyin recogniser
and keyword spotter (``speech/sherpa.py``), and this runs only for reviewers, after a decision
(``audit/hanzi.py``). The recogniser's time budget and loop guards
(:class:`~dualrec_audit.speech.transcriber.Budget`, ``tokens_per_second``,
:func:`~dualrec_audit.speech.transcriber.repeats_itself`) apply as to any transcript model:
the spans it gave up on are listed in ``Words.truncated``.

Whisper writes Mandarin in Traditional or Simplified characters as it pleases (its training
text had both); reviewers read Simplified, so every word is converted with OpenCC's ``t2s``
(character and phrase tables, no meaning changed).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import Any

from dualrec_audit.core.errors import ModelError
from dualrec_audit.core.result import Word
from dualrec_audit.media.sound import Audio
from dualrec_audit.models.registry import ModelStore
from dualrec_audit.speech.transcriber import FasterWhisperTranscriber, WhisperOptions, Words

HANZI_MODEL = "whisper-base-pypi"
LANGUAGE = "zh"


@functools.lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """``text`` in Simplified characters (Traditional ones converted; the rest unchanged)."""
    return str(_t2s().convert(text)) if text else text


class HanziTranscriber:
    """A multilingual faster-whisper model giving Mandarin words in Simplified characters."""

    def __init__(self, inner: FasterWhisperTranscriber) -> None:
        self.inner = inner
        self.name = inner.name
        self.version = inner.version
        self.trusted = inner.trusted

    def transcribe(
        self,
        audio: Audio,
        regions: Sequence[tuple[float, float]],
        cancel: threading.Event | None = None,
    ) -> Words:
        """The words said in ``regions`` of ``audio``, with their times; the spans the
        recogniser gave up on (time budget, loops, ``cancel`` set) in ``.truncated``."""
        heard = self.inner.transcribe(audio, regions, language=LANGUAGE, cancel=cancel)
        out = Words([Word(w.start, w.end, to_simplified(w.text), w.probability) for w in heard])
        out.truncated = list(getattr(heard, "truncated", []))
        return out


def hanzi_transcriber(
    store: ModelStore | None = None,
    name: str = HANZI_MODEL,
    options: WhisperOptions | None = None,
) -> HanziTranscriber:
    """The character transcriber, its model found and checked: a missing or corrupt model is
    a :class:`ModelError` that names the model and the command that installs it."""
    store = store or ModelStore()
    located = store.locate(name)
    if located.spec.kind != "speech":
        raise ModelError(
            f"Model '{name}' is a {located.spec.kind} model, not a Whisper model "
            "(the character transcript needs a multilingual faster-whisper model)."
        )
    inner = FasterWhisperTranscriber(
        located.path,
        located.spec.name,
        located.version,
        trusted=not located.spec.test_only,
        options=options,
    )
    return HanziTranscriber(inner)
