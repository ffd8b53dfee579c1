"""sherpa-onnx backends: the pinyin engine (recogniser + keyword spotter) and transcript models.

:class:`PinyinEngine` runs a ``kws-zh`` model (a streaming Zipformer transducer whose units are
pinyin initials and tonal finals) two ways:

- :meth:`PinyinEngine.syllables`: the streaming recogniser (greedy search) on each speech
  region, its tokens joined into timed syllables (initial + final), each with the probability
  of its tokens (the exponential of their mean log-probability). A syllable lasts from its
  first token to the next syllable's (at most :data:`MAX_SYLLABLE_S`).
- :meth:`PinyinEngine.spot`: the keyword spotter, one stream per phrase on each window of the
  audio it is asked about, so that a longer phrase that fires cannot reset the stream and mask
  a shorter one; the streams over one span share the model's encoder
  (:mod:`dualrec_audit.speech.keywords`, run on onnxruntime: sherpa-onnx's spotter runs the
  encoder once per stream). Phrases become the model's tokens with ``sherpa_onnx.text2token``
  (ppinyin); the boost and the trigger probability are given per phrase.

:class:`SherpaTranscriber` runs Paraformer, SenseVoice (offline) and streaming Zipformer
transcript models on the speech regions and returns characters with times.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dualrec_audit.core.errors import ModelError
from dualrec_audit.core.result import Word
from dualrec_audit.media.sound import Audio, samples_between
from dualrec_audit.speech.keywords import Detection, Keyword, SharedSpotter, detection_times
from dualrec_audit.speech.transcriber import Budget, Words
from dualrec_audit.speech.zipformer import (
    FRAME_S,
    TransducerModel,
    digest,
    encode_pieces,
    greedy_search,
    load_model,
    pick_file,
)

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MAX_SYLLABLE_S = 0.4  # a syllable's end: the next one's start, at most this long
REGION_PAD_S = 0.3  # audio kept around each speech region (streaming models need context)
TAIL_PAD_S = 0.6  # silence fed after each stream so the last tokens come out
FEED_S = 10.0  # a streaming model is fed this many seconds at a time (memory stays flat)
INITIALS = frozenset(
    "b p m f d t n l g k h j q x zh ch sh r z c s y w".split()
)  # ppinyin's initials (y and w included, as text2token writes them)


@dataclass(frozen=True)
class SpotHit:
    """One detection of the keyword spotter."""

    key: str  # the phrase's text (as given to :meth:`PinyinEngine.spot`)
    start: float  # seconds in the recording
    end: float
    tokens: tuple[str, ...]


def _files(folder: Path) -> dict[str, str]:
    """The transducer's files in a model folder, by role (encoder, decoder, joiner, tokens)."""
    out = {role: str(pick_file(folder, role)) for role in ("encoder", "decoder", "joiner")}
    return {"tokens": str(folder / "tokens.txt"), **out}


def _load_error(folder: Path, exc: Exception) -> ModelError:
    return ModelError(
        f"The speech model in {folder} cannot be loaded: {exc}. Reinstall it with "
        "dualrec-audit models install --from DIR.",
        code="model_corrupt",
    )


@functools.lru_cache(maxsize=4)
def _load_recogniser(folder: str, threads: int) -> Any:
    import sherpa_onnx

    try:
        return sherpa_onnx.OnlineRecognizer.from_transducer(
            num_threads=threads, decoding_method="greedy_search", **_files(Path(folder))
        )
    except Exception as exc:  # sherpa-onnx raises RuntimeError/AssertionError on bad files
        raise _load_error(Path(folder), exc) from exc


_LOADING = threading.Lock()  # one load of the recogniser, whichever thread asks first


def _recogniser(folder: str, threads: int) -> Any:
    with _LOADING:
        return _load_recogniser(folder, threads)


PATHS = 4  # the spotter's beam (max_active_paths), sherpa-onnx's default


@functools.lru_cache(maxsize=4096)
def _ppinyin(text: str, tokens_file: str) -> tuple[str, ...]:
    """A phrase as the model's tokens (pinyin initials and tonal finals); empty when a part of
    it has no token (digits, Latin letters: text2token then skips the phrase)."""
    import sherpa_onnx

    said = io.StringIO()  # text2token prints what it skips: never onto `check --json`'s stdout
    with contextlib.redirect_stdout(said):
        out = sherpa_onnx.text2token([text], tokens=tokens_file, tokens_type="ppinyin")
    if said.getvalue().strip():
        log.debug("text2token: %s", said.getvalue().strip())
    return tuple(str(t) for t in out[0]) if out else ()


def region_spans(
    total_s: float, regions: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Each speech region (seconds), padded, overlapping ones merged."""
    merged: list[list[float]] = []
    for a, b in sorted(regions):
        a, b = max(0.0, a - REGION_PAD_S), min(total_s, b + REGION_PAD_S)
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        elif b > a:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _feed_span(
    stream: Any, audio: Audio, start: int, stop: int, decode: Callable[[], None]
) -> None:
    """Samples [start, stop) into a streaming model :data:`FEED_S` seconds at a time, each
    piece decoded before the next is read (a streaming model's result does not depend on how
    its input is cut), then the tail of silence."""
    step = int(FEED_S * SAMPLE_RATE)
    for a in range(start, stop, step):
        piece = samples_between(audio, a, min(stop, a + step))
        stream.accept_waveform(SAMPLE_RATE, np.ascontiguousarray(piece, dtype=np.float32))
        decode()
    stream.accept_waveform(SAMPLE_RATE, np.zeros(int(TAIL_PAD_S * SAMPLE_RATE), np.float32))
    stream.input_finished()
    decode()


def join_syllables(
    tokens: Sequence[str], times: Sequence[float], logprobs: Sequence[float], offset: float
) -> list[Word]:
    """Pinyin tokens (initials, finals) with times → syllables with start, end, probability."""
    groups: list[list[int]] = []
    for i, tok in enumerate(tokens):
        tok = tok.strip()
        if not tok:
            continue
        after_initial = bool(groups) and tokens[groups[-1][-1]].strip() in INITIALS
        if tok not in INITIALS and after_initial and len(groups[-1]) == 1:
            groups[-1].append(i)  # initial + final
        else:
            groups.append([i])
    words = []
    for k, g in enumerate(groups):
        start = offset + float(times[g[0]])
        nxt = offset + float(times[groups[k + 1][0]]) if k + 1 < len(groups) else None
        end = start + MAX_SYLLABLE_S if nxt is None else min(nxt, start + MAX_SYLLABLE_S)
        lp = [float(logprobs[i]) for i in g if i < len(logprobs)]
        prob = float(np.exp(np.mean(lp))) if lp else 1.0
        words.append(Word(start, max(start, end), "".join(tokens[i] for i in g), prob))
    return words


class PinyinEngine:
    """A ``kws-zh`` model: timed pinyin syllables, and keyword spotting on windows."""

    units = "pinyin"

    def __init__(
        self, folder: Path, name: str, version: str, *, threads: int = 1, trusted: bool = True
    ) -> None:
        self.folder = folder
        self.name = name
        self.version = version
        self.threads = threads
        self.trusted = trusted
        self._warming: threading.Thread | None = None
        self._heard: dict[tuple[int, int, bytes], np.ndarray] = {}  # see syllables()

    @property
    def tokens_file(self) -> str:
        return str(self.folder / "tokens.txt")

    def load(self) -> None:
        """Load both models now (a broken model is an error before any file is audited)."""
        _recogniser(str(self.folder), self.threads)
        load_model(self.folder, self.threads)  # the keyword spotter's (keywords.py)

    def warm_up(self) -> None:
        """Start loading the recogniser in a thread of its own, so that it is ready when the
        sound reaches it (its first use waits for the load). A load that fails here is left
        for that first use to report."""
        if self._warming is not None:
            return

        def load() -> None:
            try:
                load_model(self.folder, self.threads)
                _recogniser(str(self.folder), self.threads)  # a guided recording's (live())
            except Exception:
                log.debug("recogniser warm-up failed; its first use reports it", exc_info=True)

        self._warming = threading.Thread(target=load, name="dualrec-warm-up", daemon=True)
        self._warming.start()

    def syllables(self, audio: Audio, regions: Sequence[tuple[float, float]]) -> list[Word]:
        """The syllables heard in the speech regions, in time order: sherpa-onnx's greedy
        search over the encoder's frames (:func:`greedy_search`, its tokens exactly). The
        frames are kept until the next call (about 2 MB a minute of speech): the spotter's
        sweep of the same spans searches them instead of running the encoder again."""
        model = load_model(self.folder, self.threads)
        heard: dict[tuple[int, int, bytes], np.ndarray] = {}
        out: list[Word] = []
        for start, stop in region_spans(len(audio) / SAMPLE_RATE, regions):
            a, b = int(start * SAMPLE_RATE), int(stop * SAMPLE_RATE)
            frames, key = encode_pieces(model, _pieces(audio, a, b))
            heard[(a, b, key)] = frames
            found = greedy_search(model, frames)
            tokens = [model.tokens[y] for y, _, _ in found]
            out.extend(
                join_syllables(
                    tokens, [t * FRAME_S for _, t, _ in found], [p for *_, p in found], start
                )
            )
        self._heard = heard
        end = len(audio) / SAMPLE_RATE
        return [w for w in out if w.start < end]

    def _frames(self, model: TransducerModel, audio: Audio, start: int, stop: int) -> np.ndarray:
        """Samples [start, stop) encoded (then the tail of silence): the recogniser's frames
        where it heard this very sound, else encoded here."""
        frames = self._heard.get((start, stop, digest(_pieces(audio, start, stop))))
        if frames is None:
            frames, _ = encode_pieces(model, _pieces(audio, start, stop))
        return frames

    def live(self) -> LiveSyllables:
        """A streaming recogniser fed as the sound arrives (guided recording)."""
        return LiveSyllables(_recogniser(str(self.folder), self.threads))

    def tokens(self, text: str) -> tuple[str, ...]:
        """A phrase as the model's tokens; empty when it has none (e.g. no Chinese in it)."""
        try:
            toks = _ppinyin(text, self.tokens_file)
        except Exception:  # text2token asserts on what it cannot convert
            toks = ()
        if not toks:
            log.warning("phrase %r cannot be written in the model's pinyin units", text)
        return toks

    def spot(
        self,
        audio: Audio,
        requests: Sequence[tuple[str, float, float]],
        *,
        threshold: float,
        boost: float,
        paths: int = PATHS,
    ) -> list[SpotHit]:
        """One spotter stream per request ``(phrase, start s, end s)``: every detection."""
        return self.spot_groups(
            audio,
            [([t], a, b) for t, a, b in requests],
            threshold=threshold,
            boost=boost,
            paths=paths,
        )

    def spot_groups(
        self,
        audio: Audio,
        requests: Sequence[tuple[Sequence[str], float, float]],
        *,
        threshold: float,
        boost: float,
        paths: int = PATHS,
    ) -> list[SpotHit]:
        """One spotter stream per request ``(phrases, start s, end s)`` holding those phrases
        (see :func:`stream_groups` for which phrases may share a stream); ``paths``: the
        spotter's beam. Requests over the same span share one encoder pass
        (:mod:`dualrec_audit.speech.keywords`); the detections come in the requests' order."""
        model = load_model(self.folder, self.threads)
        spans: dict[tuple[int, int], list[int]] = {}
        for i, (_, a, b) in enumerate(requests):
            # as region_spans() cuts the recogniser's spans (the same samples: its frames)
            end = min(len(audio) / SAMPLE_RATE, b)
            start, stop = int(max(0.0, a) * SAMPLE_RATE), int(end * SAMPLE_RATE)
            if stop > start:
                spans.setdefault((start, stop), []).append(i)
        found: list[tuple[int, SpotHit]] = []
        for (start, stop), asked in spans.items():
            streams = [self._keywords(requests[i][0], threshold, boost) for i in asked]
            spotter = SharedSpotter(model, streams, paths)
            detected = spotter.hear(self._frames(model, audio, start, stop))
            at = max(0.0, requests[asked[0]][1])
            found += [(asked[k], _hit(d, model, at)) for k, d in detected]
        found.sort(key=lambda ih: ih[0])  # stable: each request's detections in time order
        return [h for _, h in found]

    def live_spotter(
        self,
        groups: Sequence[Sequence[str]],
        *,
        threshold: float,
        boost: float,
        paths: int = PATHS,
    ) -> LiveSpotter:
        """The spotter fed as the sound arrives (guided recording), one stream per group
        (a phrase the spotter cannot take is left out, as :meth:`spot_groups` leaves it)."""
        streams = [self._keywords(texts, threshold, boost) for texts in groups]
        return LiveSpotter(SharedSpotter(load_model(self.folder, self.threads), streams, paths))

    def _keywords(self, texts: Sequence[str], threshold: float, boost: float) -> list[Keyword]:
        """Phrases as the spotter's keywords (one it cannot write in its units left out)."""
        model = load_model(self.folder, self.threads)
        out = []
        for text in texts:
            ids = [model.ids.get(t) for t in self.tokens(text)]
            if not ids or None in ids:
                log.warning("the spotter cannot take the phrase %r", text)
                continue
            out.append(
                Keyword(tuple(i for i in ids if i is not None), boost, threshold, _key(text))
            )
        return out


class LiveSyllables:
    """The recogniser on a live stream: :meth:`feed` the sound as it arrives; :meth:`cut` at a
    pause ends the utterance (its last tokens come out) and starts the next stream there, so a
    stream never grows with the recording. :attr:`words`: the syllables heard so far, the
    current utterance's included (they may still change until it is cut)."""

    def __init__(self, recogniser: Any) -> None:
        self._rec = recogniser
        self._stream = recogniser.create_stream()
        self._offset = 0.0  # the current stream's first sample, in seconds
        self._fed = 0  # samples fed in all
        self._done: list[Word] = []
        self._partial: list[Word] = []
        self.heard: list[Word] = []  # every utterance's final syllables, kept (a few kB/min)

    def _decode(self) -> None:
        while self._rec.is_ready(self._stream):
            self._rec.decode_stream(self._stream)
        r = self._rec.get_result_all(self._stream)
        self._partial = join_syllables(r.tokens, r.timestamps, r.ys_probs, self._offset)

    def feed(self, samples: np.ndarray) -> None:
        self._stream.accept_waveform(SAMPLE_RATE, np.ascontiguousarray(samples, np.float32))
        self._fed += len(samples)
        self._decode()

    def cut(self) -> None:
        """End the utterance here: its tail decoded, its syllables final."""
        self._stream.accept_waveform(
            SAMPLE_RATE, np.zeros(int(TAIL_PAD_S * SAMPLE_RATE), np.float32)
        )
        self._stream.input_finished()
        self._decode()
        self._done.extend(self._partial)
        self.heard.extend(self._partial)
        self._partial = []
        self._stream = self._rec.create_stream()
        self._offset = self._fed / SAMPLE_RATE

    @property
    def words(self) -> list[Word]:
        return [*self._done, *self._partial]

    def forget(self, before_s: float) -> None:
        """Drop the final syllables that end before ``before_s`` (memory stays flat)."""
        self._done = [w for w in self._done if w.end >= before_s]


class LiveSpotter:
    """The keyword spotter on a live stream, as :meth:`PinyinEngine.spot_groups` sweeps a file:
    one stream per group of phrases over one encoder pass, fed the sound as it arrives; a
    stream that fires starts its search again. :meth:`close` at the end (the tail of
    silence, as a file's sweep has). :attr:`hits`: every detection, in the stream's seconds."""

    def __init__(self, spotter: SharedSpotter) -> None:
        self._spotter = spotter
        self.hits: list[SpotHit] = []
        self.fed_s = 0.0  # seconds of sound fed

    def feed(self, samples: np.ndarray) -> list[SpotHit]:
        """Sound as it arrives: the detections it completes."""
        self.fed_s += len(samples) / SAMPLE_RATE
        return self._keep(self._spotter.feed(samples))

    def close(self) -> list[SpotHit]:
        return self._keep(self._spotter.close(np.zeros(int(TAIL_PAD_S * SAMPLE_RATE), np.float32)))

    def _keep(self, found: list[tuple[int, Detection]]) -> list[SpotHit]:
        new = sorted((_hit(d, self._spotter.model, 0.0) for _, d in found), key=lambda h: h.start)
        self.hits.extend(new)
        return new


def _pieces(audio: Audio, start: int, stop: int) -> Iterator[np.ndarray]:
    """Samples [start, stop) :data:`FEED_S` seconds at a time, then the tail of silence."""
    step = int(FEED_S * SAMPLE_RATE)
    for a in range(start, stop, step):
        yield np.ascontiguousarray(samples_between(audio, a, min(stop, a + step)), np.float32)
    yield np.zeros(int(TAIL_PAD_S * SAMPLE_RATE), np.float32)


def _key(text: str) -> str:
    """The label a phrase is reported under (the spotter's ``@`` text has no spaces)."""
    return "".join(text.split())


def stream_groups(
    engine: PinyinEngine, texts: Sequence[str], max_per_stream: int, *, nested: bool = False
) -> list[list[str]]:
    """Phrases packed into spotter streams so that no stream holds two phrases where one's
    tokens contain the other's: when the longer one fires, the stream is reset and the shorter
    one inside it would be lost (one stream per phrase is the limit, ``max_per_stream=1``).
    ``nested``: they may share one all the same (where a stream that fires has the others of
    the stream rechecked there, which finds the one inside)."""
    groups: list[list[str]] = []
    seqs: list[list[str]] = []
    for t in texts:
        mine = f" {' '.join(engine.tokens(t))} "
        for g, seq in zip(groups, seqs, strict=True):
            apart = nested or not any(mine in o or o in mine for o in seq)
            if len(g) < max_per_stream and apart:
                g.append(t)
                seq.append(mine)
                break
        else:
            groups.append([t])
            seqs.append([mine])
    return groups


def _hit(d: Detection, model: TransducerModel, offset: float) -> SpotHit:
    first, last = detection_times(d)
    return SpotHit(
        key=d.label,
        start=offset + first,
        end=offset + last + MAX_SYLLABLE_S / 2,
        tokens=tuple(model.tokens[i] for i in d.ids),
    )


# -- transcript models --------------------------------------------------------------------------

TRANSCRIPT_KINDS = ("asr-paraformer", "asr-sensevoice", "asr-zipformer")


@functools.lru_cache(maxsize=2)
def _load_transcript_model(kind: str, folder: str, threads: int) -> Any:
    import sherpa_onnx

    path = Path(folder)
    try:
        if kind == "asr-zipformer":
            return sherpa_onnx.OnlineRecognizer.from_transducer(num_threads=threads, **_files(path))
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
        raise _load_error(path, exc) from exc


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
