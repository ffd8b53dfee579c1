"""sherpa-onnx transcript models: Paraformer, SenseVoice (offline) and streaming Zipformer
models on the speech regions, returning characters with times (the pinyin engine, the script
check's, is :mod:`dualrec_audit.speech.sherpa`)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dualrec_audit.core.errors import ModelError
from dualrec_audit.core.result import Word
from dualrec_audit.media.sound import Audio, samples_between
from dualrec_audit.speech.heard import pieces
from dualrec_audit.speech.sherpa import (
    MAX_SYLLABLE_S,
    SAMPLE_RATE,
    load_error,
    region_spans,
    transducer_files,
)
from dualrec_audit.speech.transcriber import Budget, Words


def _feed_span(
    stream: Any, audio: Audio, start: int, stop: int, decode: Callable[[], None]
) -> None:
    """Samples [start, stop) into a streaming model a piece at a time (:func:`pieces`: the
    tail of silence last), each piece decoded before the next is read (a streaming model's
    result does not depend on how its input is cut)."""
    for piece in pieces(audio, start, stop):
        stream.accept_waveform(SAMPLE_RATE, piece)
        decode()
    stream.input_finished()
    decode()


TRANSCRIPT_KINDS = ("asr-paraformer", "asr-sensevoice", "asr-zipformer")


@functools.lru_cache(maxsize=2)
def _load_transcript_model(kind: str, folder: str, threads: int) -> Any:
    import sherpa_onnx

    path = Path(folder)
    try:
        if kind == "asr-zipformer":
            return sherpa_onnx.OnlineRecognizer.from_transducer(
                num_threads=threads, **transducer_files(path)
            )
        model = str(min(path.glob("model*.onnx"), key=lambda p: ".int8." not in p.name))
        tokens = str(path / "tokens.txt")
        if kind == "asr-sensevoice":
            return sherpa_onnx.OfflineRecognizer.from_sense_voice(
                model=model, tokens=tokens, num_threads=threads, language="zh", use_itn=False
            )
        return sherpa_onnx.OfflineRecognizer.from_paraformer(
            paraformer=model, tokens=tokens, num_threads=threads
        )
    except ValueError:  # min() of no model file
        raise ModelError(f"{folder}: no model*.onnx file", code="model_corrupt") from None
    except Exception as exc:
        raise load_error(path, exc) from exc


def char_words(
    tokens: Sequence[str], times: Sequence[float], logprobs: Sequence[float] | None, offset: float
) -> list[Word]:
    """A character model's tokens with times → words (one per token, special tokens dropped)."""
    out = []
    for i, tok in enumerate(tokens):
        text = tok.replace("▁", " ").strip()
        if not text or (text.startswith("<|") and text.endswith("|>")) or i >= len(times):
            continue
        start = offset + float(times[i])
        nxt = offset + float(times[i + 1]) if i + 1 < len(times) else start + MAX_SYLLABLE_S
        prob = float(np.exp(logprobs[i])) if logprobs and i < len(logprobs) else 1.0
        out.append(Word(start, max(start, min(nxt, start + MAX_SYLLABLE_S)), text, prob))
    return out


class SherpaTranscriber:
    """A sherpa-onnx transcript model (Paraformer, SenseVoice, streaming Zipformer): characters
    with times on the speech regions. Implements the :class:`Transcriber` protocol."""

    def __init__(
        self,
        folder: Path,
        name: str,
        version: str,
        kind: str,
        *,
        threads: int = 1,
        trusted: bool = True,
        budget: Budget | None = None,
    ) -> None:
        if kind not in TRANSCRIPT_KINDS:
            raise ValueError(f"not a sherpa-onnx transcript kind: {kind}")
        self.folder = folder
        self.name = name
        self.version = version
        self.kind = kind
        self.threads = threads
        self.trusted = trusted
        self.budget = budget or Budget()

    def transcribe(
        self,
        audio: Audio,
        regions: Sequence[tuple[float, float]],
        *,
        language: str = "zh",
        hotwords: str | None = None,
    ) -> list[Word]:
        model = _load_transcript_model(self.kind, str(self.folder), self.threads)
        # Paraformer and SenseVoice decode a region in one pass (no loop to guard against);
        # the budget is checked before each region.
        deadline = time.monotonic() + self.budget.total(sum(b - a for a, b in regions))
        if self.kind == "asr-zipformer":
            return self._streaming(model, audio, regions, deadline)
        words = Words()
        for start, stop in region_spans(len(audio) / SAMPLE_RATE, regions):
            if time.monotonic() > deadline:
                words.give_up(start, stop, "time")
                continue
            clip = samples_between(audio, int(start * SAMPLE_RATE), int(stop * SAMPLE_RATE))
            stream = model.create_stream()
            stream.accept_waveform(SAMPLE_RATE, np.ascontiguousarray(clip, np.float32))
            model.decode_stream(stream)
            r = stream.result
            words.extend(char_words(r.tokens, r.timestamps, None, start))
        return words

    def _streaming(
        self, model: Any, audio: Audio, regions: Sequence[tuple[float, float]], deadline: float
    ) -> list[Word]:
        words = Words()
        for start, stop in region_spans(len(audio) / SAMPLE_RATE, regions):
            if time.monotonic() > deadline:
                words.give_up(start, stop, "time")
                continue
            stream = model.create_stream()

            def decode(stream: Any = stream) -> None:
                while model.is_ready(stream):
                    model.decode_stream(stream)

            _feed_span(stream, audio, int(start * SAMPLE_RATE), int(stop * SAMPLE_RATE), decode)
            r = model.get_result_all(stream)
            words.extend(char_words(r.tokens, r.timestamps, r.ys_probs, start))
        return words
