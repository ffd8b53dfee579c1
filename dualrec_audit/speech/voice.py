"""Whose voice: a speaker embedding per stretch of speech (``voice-ge2e``), in NumPy.

The model is the GE2E speaker encoder of Resemblyzer 0.1.4 (Apache-2.0; its PyPI wheel carries
the trained weights as ``resemblyzer/pretrained.pt``): 40 mel bands of the power spectrum at
16 kHz (25 ms window, 10 ms hop), a 3-layer LSTM of 256 units over windows of 160 frames
(1.6 s), a linear layer of 256 with a ReLU, L2-normalised. An utterance's embedding is the
normalised mean of its windows' embeddings (side by side; Resemblyzer overlaps them, at
twice the cost). Two embeddings of one voice have a cosine
similarity near 1; of two voices, lower (``docs/voice.md`` has the figures on real speech).

The weights are a PyTorch checkpoint in the legacy (pre-zip) format. PyTorch is not a
dependency: :func:`read_legacy_checkpoint` reads the format with an unpickler that builds only
NumPy arrays and dictionaries (any other object in the file is refused), and the network runs
in NumPy. The model is loaded once per process.
"""

from __future__ import annotations

import functools
import io
import logging
import pickle
import struct
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dualrec_audit.core.errors import ModelError
from dualrec_audit.models.registry import ModelStore

log = logging.getLogger("dualrec_audit")

VOICE_MODEL = "voice-ge2e"
SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
WINDOW_FRAMES = 160  # 1.6 s a window
WINDOW_STEP = 160  # windows side by side (the last one ending at the stretch's end)
LEVEL_RMS = 10 ** (-30 / 20)  # the level the encoder was trained at (-30 dBFS)
LAYERS = 3
HIDDEN = 256

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


# -- the checkpoint --------------------------------------------------------------------------


class _Storage:
    """A storage named in the pickle; its bytes come after it in the file."""

    def __init__(self, dtype: type) -> None:
        self.dtype = np.dtype(dtype)
        self.data: np.ndarray | None = None


@dataclass
class _Tensor:
    """A tensor's place in its storage, made into an array once the storages are read."""

    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def array(self) -> np.ndarray:
        if self.storage.data is None:
            raise ValueError("a tensor's storage is not in the file")
        data = self.storage.data
        need = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride, strict=True))
        if self.size and min(self.size) > 0 and need >= len(data):
            raise ValueError("a tensor reaches past its storage")
        item = data.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :], shape=self.size, strides=[s * item for s in self.stride]
        )
        return np.array(view)


def _rebuild_tensor(storage: _Storage, offset: int, size: Any, stride: Any, *_: Any) -> _Tensor:
    return _Tensor(storage, int(offset), tuple(int(n) for n in size), tuple(int(s) for s in stride))


def _rebuild_parameter(tensor: _Tensor, *_: Any) -> _Tensor:
    return tensor


class _Restricted(pickle.Unpickler):
    """Builds dictionaries, numbers, strings and tensors; refuses every other global."""

    def __init__(self, f: io.BufferedIOBase, storages: dict[str, _Storage]) -> None:
        super().__init__(f)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        allowed: dict[tuple[str, str], Any] = {
            ("collections", "OrderedDict"): OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
            ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        }
        if (module, name) in allowed:
            return allowed[(module, name)]
        if module == "torch" and name in _DTYPES:
            return name
        raise pickle.UnpicklingError(f"refused: {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        kind, key, _location, _size, view = pid[1:6]
        if kind not in _DTYPES:
            raise pickle.UnpicklingError(f"unknown storage {kind!r}")
        if view is not None:
            raise pickle.UnpicklingError("storage views are not supported")
        return self.storages.setdefault(str(key), _Storage(_DTYPES[kind]))


def _resolve(obj: Any) -> Any:
    if isinstance(obj, _Tensor):
        return obj.array()
    if isinstance(obj, dict):
        return {k: _resolve(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_resolve(v) for v in obj)
    return obj


def read_legacy_checkpoint(data: bytes) -> Any:
    """The object saved by ``torch.save`` in the legacy (non-zip) format, its tensors as NumPy
    arrays. A ``ValueError`` says why a file is not such a checkpoint."""
    f = io.BytesIO(data)
    storages: dict[str, _Storage] = {}

    def load() -> Any:
        return _Restricted(f, storages).load()

    try:
        if load() != _LEGACY_MAGIC:
            raise ValueError("not a legacy PyTorch checkpoint (wrong magic number)")
        if load() != 1001:
            raise ValueError("unknown checkpoint protocol")
        info = load()
        if not isinstance(info, dict) or not info.get("little_endian", False):
            raise ValueError("not a little-endian checkpoint")
        obj = load()
        keys = load()
        for key in keys:
            storage = storages[str(key)]
            (count,) = struct.unpack("<q", f.read(8))
            raw = f.read(count * storage.dtype.itemsize)
            if count < 0 or len(raw) != count * storage.dtype.itemsize:
                raise ValueError("the checkpoint is truncated")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)
    except (pickle.UnpicklingError, EOFError, KeyError, struct.error, TypeError) as exc:
        raise ValueError(f"unreadable checkpoint: {exc}") from None
    return _resolve(obj)


# -- features --------------------------------------------------------------------------------


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear to 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    lin = f / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(f >= 1000.0, log_part, lin)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    lin = m * (200.0 / 3)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0))
    return np.where(m >= 15.0, log_part, lin)


@functools.lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) triangular filters, area-normalised (Slaney), 0 to 8 kHz."""
    freqs = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = _mel_to_hz(np.linspace(0.0, float(_hz_to_mel(np.array(SAMPLE_RATE / 2.0))), N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_frames(samples: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrum of 16 kHz ``samples``: 25 ms Hann windows every 10 ms,
    centred (the signal reflected at its ends), one frame per 10 ms plus one."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    pad = N_FFT // 2
    if len(x) <= pad:
        x = np.pad(x, (0, pad + 1 - len(x)))
    x = np.pad(x, (pad, pad), mode="reflect")
    n = 1 + (len(x) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    power = np.abs(np.fft.rfft(x[idx] * window, axis=1)) ** 2
    return (power.astype(np.float32) @ mel_filters().T).astype(np.float32)


# -- the network -----------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class VoiceEncoder:
    """The GE2E encoder's weights and forward pass; :meth:`embed` a stretch of speech."""

    def __init__(self, state: dict[str, np.ndarray], name: str = VOICE_MODEL) -> None:
        self.name = name
        try:
            self.layers = [
                (
                    state[f"lstm.weight_ih_l{k}"].astype(np.float32).T.copy(),
                    state[f"lstm.weight_hh_l{k}"].astype(np.float32).T.copy(),
                    (state[f"lstm.bias_ih_l{k}"] + state[f"lstm.bias_hh_l{k}"]).astype(np.float32),
                )
                for k in range(LAYERS)
            ]
            self.linear_w = state["linear.weight"].astype(np.float32).T.copy()
            self.linear_b = state["linear.bias"].astype(np.float32)
        except KeyError as exc:
            raise ModelError(
                f"Model '{name}': the weights lack {exc}", code="model_corrupt"
            ) from None
        shapes = [w.shape for w, _, _ in self.layers] + [self.linear_w.shape]
        want = [(N_MELS, 4 * HIDDEN)] + [(HIDDEN, 4 * HIDDEN)] * (LAYERS - 1) + [(HIDDEN, HIDDEN)]
        if shapes != want:
            raise ModelError(
                f"Model '{name}': unexpected weight shapes {shapes}", code="model_corrupt"
            )

    def windows(self, mels: np.ndarray, lengths: Sequence[int] | None = None) -> np.ndarray:
        """(batch, 256) embeddings of a batch of (batch, frames, 40) mel windows; window ``k``
        ends at ``lengths[k]`` frames (the rest padding: the network runs forward in time, so
        its state at a window's own end is the padding's none of its business)."""
        x = mels.astype(np.float32)
        batch, steps, _ = x.shape
        ends = np.asarray(lengths if lengths is not None else [steps] * batch) - 1
        for w_ih, w_hh, bias in self.layers:
            pre = x @ w_ih + bias
            h = np.zeros((batch, HIDDEN), np.float32)
            c = np.zeros((batch, HIDDEN), np.float32)
            out = np.empty((batch, steps, HIDDEN), np.float32)
            for t in range(steps):
                gates = pre[:, t] + h @ w_hh
                i, f, g, o = np.split(gates, 4, axis=1)
                c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                h = _sigmoid(o) * np.tanh(c)
                out[:, t] = h
            x = out
        last = x[np.arange(batch), ends]
        raw = np.maximum(last @ self.linear_w + self.linear_b, 0.0)
        return raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-9)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """The (256,) unit embedding of 16 kHz ``samples`` (see :meth:`embed_many`)."""
        return self.embed_many([samples])[0]

    def embed_many(self, stretches: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The (256,) unit embedding of each stretch of 16 kHz samples (speech, silences
        trimmed by the caller): see :func:`mel_windows` and :meth:`embed_windows`."""
        return self.embed_windows([mel_windows(x) for x in stretches])

    def embed_windows(self, groups: Sequence[Sequence[np.ndarray]], batch: int = 64) -> list:
        """One unit embedding per group of mel windows (:func:`mel_windows`): the normalised
        mean of its windows' embeddings. The windows of all groups run through the network
        together, ``batch`` at a time, on one BLAS thread (threaded products of these small
        matrices took 10x the CPU time on a busy 2-core machine)."""
        with one_blas_thread():
            return self._embed_windows(groups, batch)

    def _embed_windows(self, groups: Sequence[Sequence[np.ndarray]], batch: int) -> list:
        wins = [w for g in groups for w in g]
        owner = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        embs = np.zeros((len(wins), HIDDEN), np.float32)
        for a in range(0, len(wins), batch):
            part = wins[a : a + batch]
            lengths = [len(w) for w in part]
            padded = np.zeros((len(part), max(lengths), N_MELS), np.float32)
            for n, w in enumerate(part):
                padded[n, : len(w)] = w
            embs[a : a + len(part)] = self.windows(padded, lengths)
        out = []
        for k in range(len(groups)):
            mean = embs[owner == k].mean(axis=0)
            out.append((mean / max(float(np.linalg.norm(mean)), 1e-9)).astype(np.float32))
        return out


def mel_windows(samples: np.ndarray, most: int | None = None) -> list[np.ndarray]:
    """A stretch of 16 kHz samples as the encoder's input: brought to -30 dBFS (as the
    encoder was trained), its mel frames in 1.6 s windows side by side, the last one ending at
    the stretch's end; a stretch shorter than a window is one window of its own length (short
    answers such as 是的 still get one). ``most``: only that many windows, from the middle."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0
    if rms > 0:
        x = x * np.float32(LEVEL_RMS / rms)
    mels = mel_frames(x)
    starts = list(range(0, max(1, len(mels) - WINDOW_FRAMES + 1), WINDOW_STEP))
    if starts[-1] + WINDOW_FRAMES < len(mels):
        starts.append(len(mels) - WINDOW_FRAMES)
    if most is not None and len(starts) > most:
        mid = (len(mels) - WINDOW_FRAMES) // 2
        starts = sorted(starts, key=lambda a: abs(a - mid))[:most]
    return [mels[a : a + WINDOW_FRAMES] for a in sorted(starts)]


_blas: Any = None
_blas_lock = threading.Lock()


def blas_threads() -> Any:
    """threadpoolctl's controller of the loaded BLAS libraries, found once per process.

    Finding them walks the loaded libraries (``dl_iterate_phdr``) calling back into Python
    under the dynamic loader's lock; a thread doing that while another loads a library holding
    the GIL (ctypes keeps it through ``dlopen``: MediaPipe's C library) waits on it for ever, and
    so does the other (a scan worker hung so at load 12). The audit finds them before its
    threads start (:class:`~dualrec_audit.audit.pipeline.AuditPipeline`)."""
    global _blas
    with _blas_lock:
        if _blas is None:
            from threadpoolctl import ThreadpoolController

            _blas = ThreadpoolController()
        return _blas


def one_blas_thread() -> Any:
    """A context in which NumPy's matrix products run on one thread: the encoder's are small,
    and threaded they took 3-10x the CPU time on a busy 2-core machine."""
    return blas_threads().limit(limits=1, user_api="blas")


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings (1: the same direction)."""
    den = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b) / den) if den > 0 else 0.0


@functools.lru_cache(maxsize=2)
def _load(path: str, name: str) -> VoiceEncoder:
    try:
        checkpoint = read_legacy_checkpoint(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"Model '{name}': {path} cannot be read as its weights ({exc}). "
            f"Reinstall it with: dualrec-audit models pull {name}",
            code="model_corrupt",
        ) from None
    state = checkpoint.get("model_state") if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise ModelError(f"Model '{name}': {path} holds no model_state", code="model_corrupt")
    log.info("voice model %s loaded from %s", name, path)
    return VoiceEncoder(state, name)


def voice_encoder(store: ModelStore | None = None, name: str = VOICE_MODEL) -> VoiceEncoder:
    """The voice encoder, its model found and checked (a missing or corrupt model is a
    :class:`ModelError` naming the command that installs it), loaded once per process."""
    located = (store or ModelStore()).locate(name)
    return _load(str(located.path), located.spec.name)
