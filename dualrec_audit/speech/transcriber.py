"""Speech recognition behind a small interface; the faster-whisper adapter is the default.

A :class:`Transcriber` turns 16 kHz mono audio into words with times and probabilities,
decoding only the given speech regions. Models are loaded once per process.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dualrec_audit.core.errors import ModelError
from dualrec_audit.core.result import Word
from dualrec_audit.media.sound import SAMPLE_RATE, Audio, samples_between

log = logging.getLogger(__name__)

WHISPER_WINDOW_S = 30.0  # Whisper's input window: every input is padded to it


class Transcriber(Protocol):
    name: str
    version: str
    trusted: bool  # False for test models whose text means nothing

    def transcribe(
        self,
        audio: Audio,
        regions: Sequence[tuple[float, float]],
        *,
        language: str = "zh",
        hotwords: str | None = None,
    ) -> list[Word]: ...


@dataclass(frozen=True)
class WhisperOptions:
    compute_type: str = "int8"
    cpu_threads: int = 0  # 0: CTranslate2's default
    beam_size: int = 5
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    condition_on_previous_text: bool = False  # avoids runaway repetition on long recordings


@functools.lru_cache(maxsize=2)
def _load_whisper(model_dir: str, compute_type: str, cpu_threads: int) -> Any:
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(
            model_dir,
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            local_files_only=True,
        )
    except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError on a bad model
        raise ModelError(
            f"The speech model in {model_dir} cannot be loaded: {exc}. Reinstall it with "
            "dualrec-audit models install --from DIR.",
            code="model_corrupt",
        ) from exc


class FasterWhisperTranscriber:
    """faster-whisper (CTranslate2 Whisper) on the CPU."""

    def __init__(
        self,
        model_dir: Path,
        name: str,
        version: str,
        *,
        trusted: bool = True,
        options: WhisperOptions | None = None,
    ) -> None:
        self.model_dir = model_dir
        self.name = name
        self.version = version
        self.trusted = trusted
        self.options = options or WhisperOptions()

    def transcribe(
        self,
        audio: Audio,
        regions: Sequence[tuple[float, float]],
        *,
        language: str = "zh",
        hotwords: str | None = None,
    ) -> list[Word]:
        if not regions or len(audio) == 0:
            return []
        model = _load_whisper(
            str(self.model_dir), self.options.compute_type, self.options.cpu_threads
        )
        duration = len(audio) / SAMPLE_RATE
        words: list[Word] = []
        # Whisper pads every input to 30 s: the regions are decoded a window at a time (regions
        # merged up to the model's window), so only one window of samples is in memory.
        for w0, w1, group in speech_windows(regions, WHISPER_WINDOW_S):
            w1 = min(w1, duration)
            if w1 <= w0:
                continue
            clip = samples_between(audio, int(w0 * SAMPLE_RATE), int(w1 * SAMPLE_RATE))
            clips = [round(max(0.0, x - w0), 2) for a, b in group for x in (a, b)]
            words += self._decode(model, clip, clips, w0, duration, language, hotwords)
        log.debug("%s: %d words from %d regions", self.name, len(words), len(regions))
        return words

    def _decode(
        self,
        model: Any,
        clip: np.ndarray,
        clips: list[float],
        offset: float,
        duration: float,
        language: str,
        hotwords: str | None,
    ) -> list[Word]:
        o = self.options
        segments, _info = model.transcribe(
            clip,
            language=language,
            beam_size=o.beam_size,
            temperature=list(o.temperature),
            condition_on_previous_text=o.condition_on_previous_text,
            word_timestamps=True,
            clip_timestamps=clips,
            hotwords=hotwords or None,
            vad_filter=False,
        )
        words: list[Word] = []
        for seg in segments:
            for w in seg.words or []:
                text = w.word.strip()
                start = max(0.0, offset + float(w.start))
                if not text or start >= duration:
                    continue
                end = min(duration, max(start, offset + float(w.end)))
                words.append(Word(start, end, text, float(w.probability)))
        return words


def speech_windows(
    regions: Sequence[tuple[float, float]], window_s: float
) -> list[tuple[float, float, list[tuple[float, float]]]]:
    """Speech regions grouped into windows of at most ``window_s`` seconds (a region longer
    than that is a window of its own): (window start, window end, its regions)."""
    out: list[tuple[float, float, list[tuple[float, float]]]] = []
    for a, b in sorted(regions):
        if out and b - out[-1][0] <= window_s:
            out[-1] = (out[-1][0], max(out[-1][1], b), [*out[-1][2], (a, b)])
        else:
            out.append((a, b, [(a, b)]))
    return out
