"""A streaming Zipformer transducer (a ``kws-zh`` model) run on onnxruntime, its encoder once.

sherpa-onnx's keyword spotter runs the model's encoder once per stream, and a stream holds
the keywords it searches for: sweeping all the speech for phrases that must not share a
stream cost one encoder pass each (issue 34: ten streams, about 11 CPU s each per 10 minutes
of speech). Here the encoder runs once over a span and its frames go to any number of
keyword searches (:mod:`dualrec_audit.speech.keywords`).

The model is run as sherpa-onnx runs it, so that what it hears is the same:

- features: kaldi-native-fbank (the library sherpa-onnx computes them with), 80 log-mel bins,
  dither 0, ``snip_edges`` off, high frequency -400 Hz, samples in [-1, 1];
- the encoder takes ``T`` feature frames (the model's ``T`` metadata) and moves on by
  ``decode_chunk_len`` of them, when more than ``T`` are ready; its caches start at zero;
- the decoder's context is the last ``context_size`` tokens (blank 0 after -1 at the start).

``tests/test_keywords.py`` checks this against sherpa-onnx's recogniser on real speech
(the same tokens, times and probabilities).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from dualrec_audit.core.errors import ModelError

SAMPLE_RATE = 16000
SUBSAMPLING = 4  # feature frames (10 ms) per encoder frame
FRAME_S = 0.04  # an encoder frame, in seconds: SUBSAMPLING feature frames of 10 ms
BLANK = 0


def pick_file(folder: Path, role: str) -> Path:
    """A model folder's ``role`` file (encoder, decoder, joiner): the int8 one where both are
    there (smaller, faster on a CPU)."""
    found = sorted(folder.glob(f"{role}*.onnx"))
    if not found:
        raise ModelError(f"{folder}: no {role}*.onnx file", code="model_corrupt")
    int8 = [f for f in found if ".int8." in f.name]
    return (int8 or found)[0]


def _read_tokens(path: Path) -> list[str]:
    symbols: dict[int, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2:
            symbols[int(parts[1])] = parts[0]
        elif len(parts) == 1 and parts[0].isdigit():
            symbols[int(parts[0])] = " "  # a token written as a space
    return [symbols.get(i, "") for i in range(max(symbols) + 1)] if symbols else []


class TransducerModel:
    """The encoder, decoder and joiner of a streaming Zipformer transducer, loaded once per
    process (:func:`load_model`); sessions are used from several threads (onnxruntime's
    ``run`` allows it)."""

    def __init__(self, folder: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        cpu = ["CPUExecutionProvider"]
        self.encoder = ort.InferenceSession(str(pick_file(folder, "encoder")), opts, providers=cpu)
        self.decoder = ort.InferenceSession(str(pick_file(folder, "decoder")), opts, providers=cpu)
        self.joiner = ort.InferenceSession(str(pick_file(folder, "joiner")), opts, providers=cpu)
        meta = self.encoder.get_modelmeta().custom_metadata_map
        if meta.get("model_type") != "zipformer2":
            raise ModelError(
                f"{folder}: not a streaming Zipformer2 transducer "
                f"(model_type {meta.get('model_type')!r})",
                code="model_corrupt",
            )
        self.chunk = int(meta["T"])  # feature frames per encoder run
        self.shift = int(meta["decode_chunk_len"])  # feature frames it moves on by
        dmeta = self.decoder.get_modelmeta().custom_metadata_map
        self.context_size = int(dmeta.get("context_size", 2))
        self.tokens = _read_tokens(folder / "tokens.txt")
        self.ids = {t: i for i, t in enumerate(self.tokens) if t}
        self.unk = self.ids.get("<unk>", -1)
        self._outputs = [o.name for o in self.encoder.get_outputs()]
        self.dim = int(self.encoder.get_outputs()[0].shape[-1])  # an encoder frame's size
        self._decoded: dict[tuple[int, ...], np.ndarray] = {}
        self._lock = threading.Lock()

    def initial_states(self) -> dict[str, np.ndarray]:
        """The encoder's caches at the start of a stream: zeros of the inputs' shapes."""
        out = {}
        for i in self.encoder.get_inputs()[1:]:
            shape = [d if isinstance(d, int) else 1 for d in i.shape]
            out[i.name] = np.zeros(shape, np.int64 if "int64" in i.type else np.float32)
        return out

    def encode(
        self, feats: np.ndarray, states: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """One chunk of ``self.chunk`` feature frames → its encoder frames, the next states."""
        out = self.encoder.run(None, {"x": feats[None], **states})
        nxt = {name[len("new_") :]: v for name, v in zip(self._outputs[1:], out[1:], strict=True)}
        return out[0][0], nxt

    def decoder_out(self, contexts: list[tuple[int, ...]]) -> np.ndarray:
        """The decoder's output for each context (the last ``context_size`` tokens), cached:
        a model has at most vocabulary² of them."""
        missing = list({c for c in contexts if c not in self._decoded})
        if missing:
            out = self.decoder.run(None, {"y": np.array(missing, np.int64)})[0]
            with self._lock:
                self._decoded.update(zip(missing, out, strict=True))
        return np.stack([self._decoded[c] for c in contexts])

    def log_probs(self, frame: np.ndarray, decoder_out: np.ndarray) -> np.ndarray:
        """Log-softmax of the joiner's output for one encoder frame and each decoder output."""
        enc = np.repeat(frame[None], len(decoder_out), axis=0)
        logit = self.joiner.run(None, {"encoder_out": enc, "decoder_out": decoder_out})[0]
        top = logit.max(axis=1, keepdims=True)
        return logit - (top + np.log(np.exp(logit - top).sum(axis=1, keepdims=True)))

    def start(self) -> tuple[int, ...]:
        """The decoder context of a stream's start."""
        return (-1,) * (self.context_size - 1) + (BLANK,)


@functools.lru_cache(maxsize=4)
def _load(folder: str, threads: int) -> TransducerModel:
    try:
        return TransducerModel(Path(folder), threads)
    except ModelError:
        raise
    except Exception as exc:  # onnxruntime raises its own errors on a broken file
        raise ModelError(
            f"The speech model in {folder} cannot be loaded: {exc}. Reinstall it with "
            "dualrec-audit models install --from DIR.",
            code="model_corrupt",
        ) from exc


_LOADING = threading.Lock()


def load_model(folder: Path, threads: int = 1) -> TransducerModel:
    """The model in ``folder``, loaded once per process."""
    with _LOADING:
        return _load(str(folder), threads)


class EncoderStream:
    """Audio in, encoder frames out, as the sound arrives: features are computed as samples
    come, and the encoder runs each time a chunk is ready (memory stays flat)."""

    def __init__(self, model: TransducerModel) -> None:
        import kaldi_native_fbank as knf

        opts = knf.FbankOptions()
        opts.frame_opts.dither = 0
        opts.frame_opts.snip_edges = False
        opts.frame_opts.samp_freq = SAMPLE_RATE
        opts.mel_opts.num_bins = 80
        opts.mel_opts.high_freq = -400
        self.model = model
        self._fbank = knf.OnlineFbank(opts)
        self._states = model.initial_states()
        self._next = 0  # the next chunk's first feature frame

    def accept(self, samples: np.ndarray) -> np.ndarray:
        """Samples (float, [-1, 1]) → the encoder frames now complete (maybe none)."""
        self._fbank.accept_waveform(SAMPLE_RATE, np.ascontiguousarray(samples, np.float32))
        return self._run()

    def finish(self) -> np.ndarray:
        """The input is over: the frames its last features complete."""
        self._fbank.input_finished()
        return self._run()

    def _run(self) -> np.ndarray:
        out: list[np.ndarray] = []
        chunk = self.model.chunk
        while self._next + chunk < self._fbank.num_frames_ready:
            feats = np.array(
                [self._fbank.get_frame(self._next + i) for i in range(chunk)], np.float32
            )
            frames, self._states = self.model.encode(feats, self._states)
            out.append(frames)
            self._next += self.model.shift
            self._fbank.pop(self.model.shift)
        if not out:
            return np.zeros((0, self.model.dim), np.float32)
        return np.concatenate(out)


def greedy_search(model: TransducerModel, frames: np.ndarray) -> list[tuple[int, int, float]]:
    """sherpa-onnx's greedy search (its streaming recogniser's) over encoder frames: each
    token as (id, frame, log-probability at temperature 2, as sherpa-onnx reports it). One
    joiner run per frame, as sherpa-onnx runs it (its int8 layers quantise a batch at once)."""
    out: list[tuple[int, int, float]] = []
    ctx = model.start()
    dec = model.decoder_out([ctx])
    for t, frame in enumerate(frames):
        logit = model.joiner.run(None, {"encoder_out": frame[None], "decoder_out": dec})[0][0]
        y = int(logit.argmax())
        if y in (BLANK, model.unk):
            continue
        soft = logit / 2.0
        soft = soft - (soft.max() + np.log(np.exp(soft - soft.max()).sum()))
        out.append((y, t, float(soft[y])))
        ctx = (*ctx[1:], y)
        dec = model.decoder_out([ctx])
    return out


def digest(pieces: Iterable[np.ndarray]) -> bytes:
    """What identifies a span's sound (its samples' hash)."""
    h = hashlib.blake2b(digest_size=16)
    for p in pieces:
        h.update(np.ascontiguousarray(p, np.float32).tobytes())
    return h.digest()
