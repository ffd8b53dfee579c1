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

The transcript models sherpa-onnx runs are in :mod:`dualrec_audit.speech.sherpa_asr`.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dualrec_audit.core.errors import ModelError
from dualrec_audit.core.result import Word
from dualrec_audit.media.sound import Audio
from dualrec_audit.speech.heard import (
    TAIL_PAD_S,
    Ahead,
    Cancelled,
    HeardSpans,
    SpanFrames,
    SpotAsk,
    pieces,
)
from dualrec_audit.speech.keywords import Detection, Keyword, SharedSpotter, detection_times
from dualrec_audit.speech.zipformer import (
    FRAME_S,
    EncoderStream,
    TransducerModel,
    digest,
    greedy_search,
    load_model,
    pick_file,
)

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MAX_SYLLABLE_S = 0.4  # a syllable's end: the next one's start, at most this long
REGION_PAD_S = 0.3  # audio kept around each speech region (streaming models need context)
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


def transducer_files(folder: Path) -> dict[str, str]:
    """The transducer's files in a model folder, by role (encoder, decoder, joiner, tokens)."""
    out = {role: str(pick_file(folder, role)) for role in ("encoder", "decoder", "joiner")}
    return {"tokens": str(folder / "tokens.txt"), **out}


def load_error(folder: Path, exc: Exception) -> ModelError:
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
            num_threads=threads, decoding_method="greedy_search", **transducer_files(Path(folder))
        )
    except Exception as exc:  # sherpa-onnx raises RuntimeError/AssertionError on bad files
        raise load_error(Path(folder), exc) from exc


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


@dataclass
class _SpanPlan:
    """One span of a spotter search: its samples, the requests over it (their indices), the
    seconds its detections count from, and its streams."""

    samples: tuple[int, int]
    asked: list[int]
    offset: float
    spotter: SharedSpotter


def _encode_into(model: TransducerModel, sound: Iterator[np.ndarray], into: SpanFrames) -> None:
    """A span's sound, piece by piece, encoded to the end into ``into``."""
    stream = EncoderStream(model)
    for piece in sound:
        into.put(stream.accept(piece))
    into.put(stream.finish())
    into.close()


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
        # Each thread's last file (audits in two threads never meet): the spans its
        # recogniser heard, and the spotter search it started ahead (see syllables()).
        self._local = threading.local()

    @property
    def tokens_file(self) -> str:
        return str(self.folder / "tokens.txt")

    @property
    def _heard(self) -> HeardSpans:
        heard: HeardSpans | None = getattr(self._local, "heard", None)
        if heard is None:
            heard = self._local.heard = HeardSpans()
        return heard

    @property
    def _ahead(self) -> Ahead | None:
        return getattr(self._local, "ahead", None)

    @_ahead.setter
    def _ahead(self, ahead: Ahead | None) -> None:
        self._local.ahead = ahead

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

    def syllables(
        self, audio: Audio, regions: Sequence[tuple[float, float]], *, ahead: SpotAsk | None = None
    ) -> list[Word]:
        """The syllables heard in the speech regions, in time order: sherpa-onnx's greedy
        search over the encoder's frames (:func:`greedy_search`, its tokens exactly). The
        frames are kept until the next call (about 2 MB a minute of speech): the spotter's
        searches of the same spans read them instead of running the encoder again.
        ``ahead``: a spotter search (:meth:`spot_groups`' arguments) started now in a thread
        of its own, which reads the frames as the encoder makes them; :meth:`spot_groups`
        asked for it then takes its result (:meth:`drop_ahead` stops it)."""
        model = load_model(self.folder, self.threads)
        self.drop_ahead()
        spans = region_spans(len(audio) / SAMPLE_RATE, regions)
        cuts = [(int(a * SAMPLE_RATE), int(b * SAMPLE_RATE)) for a, b in spans]
        heard = self._heard
        made = heard.start([(a, b, digest(pieces(audio, a, b))) for a, b in cuts])
        out: list[Word] = []
        try:
            if ahead is not None:
                plan = self._plan(model, audio, ahead)  # in this thread: text2token prints
                self._ahead = Ahead(
                    ahead, audio, lambda stop: self._search(model, audio, plan, heard, stop)
                )
            for (start, _), (a, b), frames in zip(spans, cuts, made, strict=True):
                _encode_into(model, pieces(audio, a, b), frames)
                found = greedy_search(model, frames.array(model.dim))
                tokens = [model.tokens[y] for y, _, _ in found]
                times = [t * FRAME_S for _, t, _ in found]
                out.extend(join_syllables(tokens, times, [p for *_, p in found], start))
        except BaseException as exc:  # a search reading the frames must not wait for ever
            for frames in made:
                frames.close(exc)
            raise
        end = len(audio) / SAMPLE_RATE
        return [w for w in out if w.start < end]

    def drop_ahead(self) -> None:
        """Stop the search :meth:`syllables` started ahead, if it is still there."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.drop()

    def _frames(
        self,
        model: TransducerModel,
        audio: Audio,
        span: tuple[int, int],
        heard: HeardSpans,
        cancel: threading.Event | None = None,
    ) -> Iterator[np.ndarray]:
        """Samples [start, stop) encoded (then the tail of silence), a piece at a time: the
        recogniser's frames where it heard this very sound (``heard``; as it makes them),
        else encoded here. Raises :class:`Cancelled` once ``cancel`` is set."""
        start, stop = span
        if heard.holds(start, stop):
            made = heard.get((start, stop, digest(pieces(audio, start, stop))))
            if made is not None:
                yield from made.chunks(cancel)
                return
        stream = EncoderStream(model)
        for piece in pieces(audio, start, stop):
            if cancel is not None and cancel.is_set():
                raise Cancelled
            yield stream.accept(piece)
        yield stream.finish()

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
        (:mod:`dualrec_audit.speech.keywords`); the detections come in the requests' order.
        The very search started ahead (:meth:`syllables`) is not made again: its result is
        taken."""
        ask = SpotAsk(
            tuple((tuple(texts), float(a), float(b)) for texts, a, b in requests),
            threshold,
            boost,
            paths,
        )
        ahead = self._ahead
        if ahead is not None and ahead.serves(ask, audio):
            self._ahead = None
            hits: list[SpotHit] = ahead.take()
            return hits
        model = load_model(self.folder, self.threads)
        return self._search(model, audio, self._plan(model, audio, ask), self._heard)

    def _plan(self, model: TransducerModel, audio: Audio, ask: SpotAsk) -> list[_SpanPlan]:
        """A search's spans (samples), each with its requests' indices and streams."""
        spans: dict[tuple[int, int], list[int]] = {}
        for i, (_, a, b) in enumerate(ask.requests):
            # as region_spans() cuts the recogniser's spans (the same samples: its frames)
            end = min(len(audio) / SAMPLE_RATE, b)
            start, stop = int(max(0.0, a) * SAMPLE_RATE), int(end * SAMPLE_RATE)
            if stop > start:
                spans.setdefault((start, stop), []).append(i)
        return [
            _SpanPlan(
                span,
                asked,
                max(0.0, ask.requests[asked[0]][1]),
                SharedSpotter(
                    model,
                    [self._keywords(ask.requests[i][0], ask.threshold, ask.boost) for i in asked],
                    ask.paths,
                ),
            )
            for span, asked in spans.items()
        ]

    def _search(
        self,
        model: TransducerModel,
        audio: Audio,
        plan: list[_SpanPlan],
        heard: HeardSpans,
        cancel: threading.Event | None = None,
    ) -> list[SpotHit]:
        found: list[tuple[int, SpotHit]] = []
        for span in plan:
            for frames in self._frames(model, audio, span.samples, heard, cancel):
                detected = span.spotter.hear(frames)
                found += [(span.asked[k], _hit(d, model, span.offset)) for k, d in detected]
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
