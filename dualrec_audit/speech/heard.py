"""Encoder frames shared between the recogniser and the keyword spotter, and a sweep run ahead.

The pinyin recogniser (:meth:`PinyinEngine.syllables <dualrec_audit.speech.sherpa.PinyinEngine>`)
encodes each speech span once. Its frames are kept, keyed by the span's samples
(:class:`HeardSpans`), until the next file: a spotter search over the very same samples reads
them instead of running the encoder again. They are handed over as they are made
(:class:`SpanFrames`), so that a sweep asked for *ahead* (:class:`Ahead`: the forbidden
phrases' sweep, which does not wait for the recogniser's syllables) searches them in a thread
of its own while the recogniser's encoder runs: onnxruntime releases the GIL, so the encoder
and the searches share the machine's cores (issue 34: the script stage was the audit's longest
path where speech never stops).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from dualrec_audit.media.sound import SAMPLE_RATE, Audio, samples_between

TAIL_PAD_S = 0.6  # silence fed after each span so that a streaming model's last tokens come out
FEED_S = 10.0  # a streaming model is fed this many seconds at a time (memory stays flat)


def pieces(audio: Audio, start: int, stop: int) -> Iterator[np.ndarray]:
    """Samples [start, stop) :data:`FEED_S` seconds at a time, then the tail of silence."""
    step = int(FEED_S * SAMPLE_RATE)
    for a in range(start, stop, step):
        yield np.ascontiguousarray(samples_between(audio, a, min(stop, a + step)), np.float32)
    yield np.zeros(int(TAIL_PAD_S * SAMPLE_RATE), np.float32)


class Cancelled(Exception):
    """A sweep run ahead was dropped before it ended (its audit ended or failed)."""


class SpanFrames:
    """One span's encoder frames as one thread makes them (:meth:`put`, then :meth:`close`);
    any thread reads them as they come (:meth:`chunks`) or whole once made (:meth:`array`).
    Each chunk is what one call of the encoder stream gave: whole encoder runs, so a search
    fed chunk by chunk checks its pauses where one fed the whole span does."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []
        self._closed = False
        self._failed: BaseException | None = None
        self._ready = threading.Condition()

    def put(self, frames: np.ndarray) -> None:
        if len(frames):
            with self._ready:
                self._chunks.append(frames)
                self._ready.notify_all()

    def close(self, failed: BaseException | None = None) -> None:
        """The span is encoded (``failed``: its encoder stopped on this error)."""
        with self._ready:
            if not self._closed:
                self._closed, self._failed = True, failed
                self._ready.notify_all()

    def chunks(self, cancel: threading.Event | None = None) -> Iterator[np.ndarray]:
        """The frames in order as they are made; raises the maker's error, or
        :class:`Cancelled` once ``cancel`` is set."""
        i = 0
        while True:
            with self._ready:
                while i == len(self._chunks) and not self._closed:
                    if cancel is not None and cancel.is_set():
                        raise Cancelled
                    self._ready.wait(0.1)
                got = self._chunks[i] if i < len(self._chunks) else None
                failed = self._failed
            if got is None:
                if failed is not None:
                    raise RuntimeError("the recogniser's encoder failed") from failed
                return
            i += 1
            yield got

    def array(self, dim: int) -> np.ndarray:
        """Every frame (waits for the end)."""
        got = list(self.chunks())
        return np.concatenate(got) if got else np.zeros((0, dim), np.float32)


SpanKey = tuple[int, int, bytes]  # samples [start, stop) and their digest (zipformer.digest)


class HeardSpans:
    """The spans the recogniser heard last (by :data:`SpanKey`), their frames as made."""

    def __init__(self) -> None:
        self._spans: dict[SpanKey, SpanFrames] = {}
        self._lock = threading.Lock()

    def start(self, keys: list[SpanKey]) -> list[SpanFrames]:
        """A new file's spans, to be made in this order (those of the last file forgotten)."""
        made = [SpanFrames() for _ in keys]
        with self._lock:
            self._spans = dict(zip(keys, made, strict=True))
        return made

    def holds(self, start: int, stop: int) -> bool:
        """Whether a span of these samples was heard (then :meth:`get` with its digest)."""
        with self._lock:
            return any(k[:2] == (start, stop) for k in self._spans)

    def get(self, key: SpanKey) -> SpanFrames | None:
        with self._lock:
            return self._spans.get(key)


@dataclass(frozen=True)
class SpotAsk:
    """A spotter search as :meth:`PinyinEngine.spot_groups` is asked for it: one stream per
    request ``(phrases, start s, end s)``, with the spotter's settings."""

    requests: tuple[tuple[tuple[str, ...], float, float], ...]
    threshold: float
    boost: float
    paths: int


class Ahead:
    """A spotter search running in a thread of its own on ``audio`` (:meth:`take` its hits;
    :meth:`drop` stops it)."""

    def __init__(self, ask: SpotAsk, audio: Audio, run: Callable[[threading.Event], Any]) -> None:
        self.ask = ask
        self.audio = audio
        self.cancel = threading.Event()
        self._result: Any = None
        self._failed: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(run,), name="dualrec-sweep-ahead", daemon=True
        )
        self._thread.start()

    def _run(self, run: Callable[[threading.Event], Any]) -> None:
        try:
            self._result = run(self.cancel)
        except BaseException as exc:  # handed to whoever takes the result
            self._failed = exc

    def serves(self, ask: SpotAsk, audio: Audio) -> bool:
        return ask == self.ask and audio is self.audio and not self.cancel.is_set()

    def take(self) -> Any:
        """The search's result once it ends (its error raised here)."""
        self._thread.join()
        if self._failed is not None:
            raise self._failed
        return self._result

    def drop(self) -> None:
        """Stop the search and wait for its thread (it stops within an encoder chunk)."""
        self.cancel.set()
        self._thread.join()
