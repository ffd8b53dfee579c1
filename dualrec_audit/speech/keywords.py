"""Keyword spotting on one encoder pass: any number of keyword streams over the same frames.

A *stream* here is what sherpa-onnx's keyword spotter calls one: a set of keywords searched
together (a keyword that fires resets the search, so keywords inside one another never share
one; ``sherpa.stream_groups``). The search is sherpa-onnx's transducer keyword decoder
(``transducer-keyword-decoder.cc``, 2.0.1), written again over frames that every stream
shares (:class:`~dualrec_audit.speech.zipformer.EncoderStream`):

- an Aho-Corasick graph of the stream's keywords (:class:`ContextGraph`), each token of a
  keyword boosted by its score; a path that leaves a keyword falls back along the failure
  arcs and loses the boost it had collected;
- a beam of ``paths`` hypotheses per frame, extended by every token (the top ``paths`` of
  all hypotheses x tokens), hypotheses with the same tokens merged (log-add);
- a keyword fires when the best hypothesis ends it, has more than ``trailing`` blank frames
  after it, and its tokens' mean acoustic probability reaches the keyword's threshold; the
  stream's search then starts again (and after 1.5 s of blanks, as sherpa-onnx does).

Unlike sherpa-onnx's spotter, a stream that fires or meets a pause keeps the encoder's state
(only the search starts again), so a phrase said right after another is heard with its
context; and a detection's time counts from the span's start (sherpa-onnx's counted from the
stream's last reset: the sweep placed a phrase said after another at the wrong time).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from dualrec_audit.speech.zipformer import (
    BLANK,
    FRAME_S,
    SUBSAMPLING,
    EncoderStream,
    TransducerModel,
)

RESET_AFTER_S = 1.5  # blank time after which a stream's search starts again (sherpa-onnx's)
TRAILING_BLANKS = 1  # blank frames a keyword needs after it (sherpa-onnx's default)


@dataclass(eq=False)
class _Node:
    token: int
    token_score: float
    node_score: float
    output_score: float
    level: int
    threshold: float
    is_end: bool
    phrase: str
    next: dict[int, _Node] = field(default_factory=dict)
    fail: _Node | None = None
    output: _Node | None = None


@dataclass(frozen=True)
class Keyword:
    """A keyword: its token ids, boost per token, trigger probability and label."""

    ids: tuple[int, ...]
    boost: float
    threshold: float
    label: str


class ContextGraph:
    """The keywords of one stream as an Aho-Corasick automaton with boosts."""

    def __init__(self, keywords: Sequence[Keyword]) -> None:
        self.root = _Node(-1, 0.0, 0.0, 0.0, 0, 0.0, False, "")
        self.root.fail = self.root
        for kw in keywords:
            self._add(kw)
        self._fill_failures()

    def _add(self, kw: Keyword) -> None:
        node = self.root
        for j, tok in enumerate(kw.ids):
            last = j == len(kw.ids) - 1
            nxt = node.next.get(tok)
            if nxt is None:
                score = node.node_score + kw.boost
                nxt = _Node(
                    tok,
                    kw.boost,
                    score,
                    score if last else 0.0,
                    j + 1,
                    kw.threshold if last else 0.0,
                    last,
                    kw.label if last else "",
                )
                node.next[tok] = nxt
            else:
                nxt.token_score = max(kw.boost, nxt.token_score)
                nxt.node_score = node.node_score + nxt.token_score
                nxt.is_end = last or nxt.is_end
                nxt.output_score = nxt.node_score if nxt.is_end else 0.0
                if last:
                    nxt.phrase, nxt.threshold = kw.label, kw.threshold
            node = nxt

    def _fill_failures(self) -> None:
        queue: deque[_Node] = deque()
        for child in self.root.next.values():
            child.fail = self.root
            queue.append(child)
        while queue:
            current = queue.popleft()
            for tok, child in current.next.items():
                child.fail = self._fall(current.fail, tok)
                out: _Node | None = child.fail
                while out is not None and not out.is_end:
                    out = None if out.token == -1 else out.fail
                child.output = out
                child.output_score += 0.0 if out is None else out.output_score
                queue.append(child)

    @staticmethod
    def _fall(node: _Node | None, tok: int) -> _Node:
        """Where ``tok`` leads from ``node`` along the failure arcs (the root at worst)."""
        assert node is not None
        while tok not in node.next and node.token != -1:
            assert node.fail is not None
            node = node.fail
        return node.next.get(tok, node)

    def step(self, state: _Node, tok: int) -> tuple[float, _Node]:
        """(score gained, next state) for one more token."""
        if tok in state.next:
            node = state.next[tok]
            score = node.token_score
        else:
            node = self._fall(state.fail, tok)
            score = node.node_score - state.node_score
        return score + node.output_score, node

    @staticmethod
    def matched(state: _Node) -> _Node | None:
        """The keyword this state ends, if any."""
        return state if state.is_end else state.output


@dataclass
class _Hyp:
    ys: tuple[int, ...]
    log_prob: float
    state: _Node
    times: tuple[int, ...] = ()
    probs: tuple[float, ...] = ()
    blanks: int = 0  # trailing blank frames


@dataclass(frozen=True)
class Detection:
    """A keyword heard: its label, its tokens and their encoder frames (from the span's
    start)."""

    label: str
    ids: tuple[int, ...]
    frames: tuple[int, ...]


class KeywordSearch:
    """One stream's search (a beam of ``paths`` hypotheses) over shared encoder frames."""

    def __init__(self, graph: ContextGraph, start: tuple[int, ...], paths: int = 4) -> None:
        self.graph = graph
        self.paths = paths
        self._start = start
        self.hyps: list[_Hyp] = []
        self.found: list[Detection] = []
        self.reset()

    def reset(self) -> None:
        self.hyps = [_Hyp(self._start, 0.0, self.graph.root)]

    def extend(self, t: int, logp: np.ndarray, unk: int, ranked: list[int] | None = None) -> None:
        """One frame: ``logp`` holds the log-probabilities of every token after each of
        :attr:`hyps` (rows in the same order). ``ranked``: where there is one hypothesis, its
        row's top :attr:`paths` tokens, best first (:func:`top_tokens`), the same for every
        stream that asked the joiner the same question."""
        vocab = logp.shape[1]
        if len(self.hyps) == 1 and ranked is not None:
            top = ranked
            values = (logp[0, ranked] + np.float32(self.hyps[0].log_prob)).tolist()
            if self._stays_at_root(top, values, unk):
                return
        else:
            total = logp + np.array([h.log_prob for h in self.hyps], np.float32)[:, None]
            flat = total.ravel()
            top = top_tokens(flat, self.paths)
            values = flat[top].tolist()
        merged: dict[tuple[int, ...], _Hyp] = {}
        for idx, value in zip(top, values, strict=True):
            row, tok = divmod(idx, vocab)
            h = self.hyps[row]
            gained = 0.0
            if tok not in (BLANK, unk):
                gained, state = self.graph.step(h.state, tok)
                if state.token == -1:  # back at the root: forget the decoder history
                    new = _Hyp(self._start, 0.0, state)
                else:
                    prob = math.exp(float(logp[row, tok]))
                    new = _Hyp((*h.ys, tok), 0.0, state, (*h.times, t), (*h.probs, prob))
            else:
                new = _Hyp(h.ys, 0.0, h.state, h.times, h.probs, h.blanks + 1)
            new.log_prob = value + gained
            old = merged.get(new.ys)
            if old is None:
                merged[new.ys] = new
            else:  # the same tokens by another path: one hypothesis
                hi, lo = max(old.log_prob, new.log_prob), min(old.log_prob, new.log_prob)
                old.log_prob = hi + math.log1p(math.exp(lo - hi))
        self.hyps = list(merged.values())
        self._fire()

    def _stays_at_root(self, top: list[int], values: list[float], unk: int) -> bool:
        """The common frame, made short: one hypothesis at the graph's root, and no keyword
        starts with any of its best tokens, so every path stays at the root with the start's
        context (merged into one, as :meth:`extend` merges them; nothing can fire there).
        False (nothing done) otherwise."""
        h = self.hyps[0]
        root = self.graph.root
        if h.state is not root or any(tok in root.next for tok in top):
            return False
        log_prob = values[0]
        for value in values[1:]:
            hi, lo = max(log_prob, value), min(log_prob, value)
            log_prob = hi + math.log1p(math.exp(lo - hi))
        if top[0] in (BLANK, unk):  # the best path is a blank: it keeps the hypothesis' own
            self.hyps = [_Hyp(h.ys, log_prob, root, h.times, h.probs, h.blanks + 1)]
        else:
            self.hyps = [_Hyp(self._start, log_prob, root)]
        return True

    def _fire(self) -> None:
        best = max(self.hyps, key=lambda h: h.log_prob)
        end = ContextGraph.matched(best.state)
        if end is None or best.blanks <= TRAILING_BLANKS:
            return
        if sum(best.probs[: end.level]) / end.level >= end.threshold:
            n = end.level
            self.found.append(Detection(end.phrase, best.ys[-n:], best.times[-n:]))
            self.reset()

    def pause(self) -> None:
        """After a chunk: start again after :data:`RESET_AFTER_S` of blanks."""
        best = max(self.hyps, key=lambda h: h.log_prob)
        if best.blanks * FRAME_S > RESET_AFTER_S:
            self.reset()


def top_tokens(scores: np.ndarray, k: int) -> list[int]:
    """The indices of the ``k`` best of ``scores``, best first (ties: the first first)."""
    k = min(k, scores.size)
    top = np.argpartition(-scores, k - 1)[:k] if scores.size > k else np.arange(scores.size)
    return top[np.argsort(-scores[top], kind="stable")].tolist()


def advance(
    model: TransducerModel, searches: Sequence[KeywordSearch], frames: np.ndarray, first: int
) -> None:
    """Every search over encoder ``frames`` (the first one numbered ``first``). The joiner
    runs on each stream's hypotheses alone, as sherpa-onnx runs it: its int8 layers quantise
    the whole batch at once, so a batch shared with other streams would move a stream's
    scores with the company it keeps. Streams whose hypotheses have the same decoder
    contexts, in the same order, ask the joiner the same question: it is asked once a frame
    (most of the time most streams hold one hypothesis, at a keyword's start)."""
    size = model.context_size
    live = [s for s in searches if s.graph.root.next]  # a stream without keywords never fires
    for i, frame in enumerate(frames):
        asked: dict[tuple[tuple[int, ...], ...], np.ndarray] = {}
        ranked: dict[tuple[tuple[tuple[int, ...], ...], int], list[int]] = {}
        for s in live:
            contexts = tuple(h.ys[-size:] for h in s.hyps)
            logp = asked.get(contexts)
            if logp is None:
                logp = asked[contexts] = model.log_probs(frame, model.decoder_out(list(contexts)))
            top = None
            if len(contexts) == 1:  # its top tokens, for the streams of its beam's width
                top = ranked.get((contexts, s.paths))
                if top is None:
                    top = ranked[(contexts, s.paths)] = top_tokens(logp[0], s.paths)
            s.extend(first + i, logp, model.unk, top)
    for s in live:
        s.pause()


class SharedSpotter:
    """Keyword streams over one encoder pass: :meth:`feed` the span's sound as it comes,
    :meth:`close` at its end; each returns the detections it completed, by stream."""

    def __init__(
        self, model: TransducerModel, streams: Sequence[Sequence[Keyword]], paths: int = 4
    ) -> None:
        self.model = model
        self._encoder: EncoderStream | None = None  # made when sound is fed (not frames)
        self.searches = [KeywordSearch(ContextGraph(kws), model.start(), paths) for kws in streams]
        self.heard = 0  # encoder frames heard

    @property
    def encoder(self) -> EncoderStream:
        """The encoder the sound fed to :meth:`feed` and :meth:`close` goes through."""
        if self._encoder is None:
            self._encoder = EncoderStream(self.model)
        return self._encoder

    def feed(self, samples: np.ndarray) -> list[tuple[int, Detection]]:
        return self.hear(self.encoder.accept(samples))

    def close(self, tail: np.ndarray) -> list[tuple[int, Detection]]:
        """The tail of silence a streaming model needs, then the end of input."""
        found = self.hear(self.encoder.accept(tail))
        return found + self.hear(self.encoder.finish())

    def hear(self, frames: np.ndarray) -> list[tuple[int, Detection]]:
        """Encoder frames (from :attr:`encoder`, or frames encoded elsewhere: the
        recogniser's, a file's search) → the detections they complete, by stream."""
        if not len(frames) or not self.searches:
            return []
        first, self.heard = self.heard, self.heard + len(frames)
        before = [len(s.found) for s in self.searches]
        step = self.model.shift // SUBSAMPLING  # a chunk's frames: pauses checked as sherpa-onnx
        for a in range(0, len(frames), step):
            advance(self.model, self.searches, frames[a : a + step], first + a)
        return [(i, d) for i, s in enumerate(self.searches) for d in s.found[before[i] :]]


def detection_times(d: Detection) -> tuple[float, float]:
    """A detection's first and last token, in seconds from the span's start."""
    return d.frames[0] * FRAME_S, d.frames[-1] * FRAME_S
