"""Speech recognition behind a small interface; the faster-whisper adapter is the default.

A :class:`Transcriber` turns 16 kHz mono audio into words with times and probabilities,
decoding only the given speech regions. Models are loaded once per process.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dualrec_audit.core.errors import ModelError
from dualrec_audit.core.result import Word
from dualrec_audit.media.sound import SAMPLE_RATE, Audio, samples_between

log = logging.getLogger(__name__)

WHISPER_WINDOW_S = 30.0  # Whisper's input window: every input is padded to it


@dataclass(frozen=True)
class Budget:
    """How long a recogniser may run, in wall seconds: a window (one decode of up to 30 s of
    speech) gets ``window_floor_s + per_second × its length``, the whole recording
    ``total_floor_s + per_second × its speech``. Past either, the recogniser stops and the
    spans it did not decode are reported as truncated; a batch is never held by one file."""

    per_second: float = 3.0
    window_floor_s: float = 30.0
    total_floor_s: float = 60.0

    def window(self, seconds: float) -> float:
        return self.window_floor_s + self.per_second * seconds

    def total(self, seconds: float) -> float:
        return self.total_floor_s + self.per_second * seconds


class Words(list[Word]):
    """A recogniser's words, and the spans it gave up on (``truncated``: start, end, why:
    ``time`` for a budget run out, ``repeats`` for a loop)."""

    def __init__(self, words: Sequence[Word] = ()) -> None:
        super().__init__(words)
        self.truncated: list[dict[str, Any]] = []

    def give_up(self, start: float, end: float, why: str) -> None:
        log.warning("recogniser stopped on %.1f-%.1f s (%s)", start, end, why)
        self.truncated.append({"start": round(start, 2), "end": round(end, 2), "reason": why})


def repeats_itself(text: str, max_ratio: float = 2.4) -> bool:
    """A loop: text that compresses more than ``max_ratio`` (Whisper's own hallucination
    test; sentences stay well under it), or one piece said again and again in a row (a word
    or up to 8 characters 5 times, one character 8 times: 好的好的好的 and 对对对 are speech)."""
    import zlib

    data = text.strip().encode("utf-8")
    if len(data) >= 24 and len(data) / len(zlib.compress(data)) > max_ratio:
        return True
    units = text.split() if " " in text.strip() else list(text.strip())
    for n in range(1, 9):
        times = 8 if n == 1 and " " not in text.strip() else 5
        for i in range(0, len(units) - times * n + 1):
            if all(units[i + k * n : i + (k + 1) * n] == units[i : i + n] for k in range(times)):
                return True
    return False


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
    # Loop guard: at most this many tokens per second of speech in a window (Mandarin is about
    # 4-6 characters a second, a token or two each), plus 16.
    tokens_per_second: float = 12.0
    budget: Budget = Budget()


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
        cancel: threading.Event | None = None,
    ) -> list[Word]:
        """``cancel`` set: the windows not begun yet are given up (``stopped``), e.g. when a
        reviewer leaves the recording whose character transcript is being made."""
        if not regions or len(audio) == 0:
            return []
        model = _load_whisper(
            str(self.model_dir), self.options.compute_type, self.options.cpu_threads
        )
        duration = len(audio) / SAMPLE_RATE
        words = Words()
        budget = self.options.budget
        deadline = time.monotonic() + budget.total(sum(b - a for a, b in regions))
        # Whisper pads every input to 30 s: the regions are decoded a window at a time (regions
        # merged up to the model's window), so only one window of samples is in memory.
        for w0, w1, group in speech_windows(regions, WHISPER_WINDOW_S):
            w1 = min(w1, duration)
            if w1 <= w0:
                continue
            if cancel is not None and cancel.is_set():
                words.give_up(w0, w1, "stopped")
                continue
            if time.monotonic() > deadline:
                words.give_up(w0, w1, "time")
                continue
            clip = samples_between(audio, int(w0 * SAMPLE_RATE), int(w1 * SAMPLE_RATE))
            clips = [round(max(0.0, x - w0), 2) for a, b in group for x in (a, b)]
            speech = sum(b - a for a, b in group)
            stop = min(deadline, time.monotonic() + budget.window(speech))
            words += self._decode(
                model, clip, clips, (w0, duration), language, hotwords, (stop, cancel), words
            )
        log.debug("%s: %d words from %d regions", self.name, len(words), len(regions))
        return words

    def _decode(
        self,
        model: Any,
        clip: np.ndarray,
        clips: list[float],
        at: tuple[float, float],
        language: str,
        hotwords: str | None,
        until: tuple[float, threading.Event | None],
        out: Words,
    ) -> list[Word]:
        """One window, at ``(offset, recording duration)``. It stops (its rest reported in
        ``out.truncated``) past the monotonic time ``until[0]``, when the event ``until[1]``
        is set, or on a segment that repeats itself; each decode is capped at the loop guard's
        tokens."""
        offset, duration = at
        o = self.options
        speech = sum(clips[i + 1] - clips[i] for i in range(0, len(clips) - 1, 2))
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
            max_new_tokens=min(440, int(16 + o.tokens_per_second * speech)),
        )
        words: list[Word] = []
        end, done = offset + len(clip) / SAMPLE_RATE, offset
        for seg in _within(segments, *until):
            if seg is None or seg is STOPPED:  # out of time, or no longer wanted, mid-segment
                out.give_up(done, end, "time" if seg is None else "stopped")
                break
            if repeats_itself(seg.text):
                out.give_up(offset + float(seg.start), end, "repeats")
                break
            words += self._words(seg, offset, duration)
            done = offset + float(seg.end)
        return words

    @staticmethod
    def _words(seg: Any, offset: float, duration: float) -> list[Word]:
        words: list[Word] = []
        for w in seg.words or []:
            text = w.word.strip()
            start = max(0.0, offset + float(w.start))
            if not text or start >= duration:
                continue
            end = min(duration, max(start, offset + float(w.end)))
            words.append(Word(start, end, text, float(w.probability)))
        return words


def _within(
    items: Iterator[Any], stop: float, cancel: threading.Event | None = None
) -> Iterator[Any]:
    """The items of a lazy decoder, each computed in a worker thread; ``None`` (then nothing
    more) when the monotonic time ``stop`` passes first, :data:`STOPPED` when ``cancel`` is
    set first (looked at every :data:`CANCEL_POLL_S`: a reviewer closing the window waits
    for that, not for the segment). The decode under way then finishes in the background
    (bounded by the loop guard's tokens) and its result is dropped: the caller, and its
    batch, go on at once."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recogniser")
    try:
        while True:
            job = pool.submit(next, items, _END)
            item = _wait(job, stop, cancel)
            if item is _END:
                return
            yield item
            if item is None or item is STOPPED:
                return
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _wait(job: Future[Any], stop: float, cancel: threading.Event | None) -> Any:
    while True:
        if cancel is not None and cancel.is_set():
            return STOPPED
        left = stop - time.monotonic()
        try:
            return job.result(timeout=max(0.0, min(left, CANCEL_POLL_S)))
        except TimeoutError:
            if left <= CANCEL_POLL_S:
                return None


_END = object()
STOPPED = object()  # what _within yields when its cancel event was set
CANCEL_POLL_S = 0.2


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
