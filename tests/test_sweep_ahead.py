"""The forbidden phrases' sweep run beside the recogniser (``speech/heard.py``; issue 34).

The recogniser hands its encoder frames over as it makes them (``SpanFrames``); a sweep asked
for ahead (``PinyinEngine.syllables(..., ahead=)``) searches them in a thread of its own, and
the script check takes its result instead of sweeping again. Real speech
(``tests/forbidden_media.py``) with the real ``kws-zh`` model:

- a sweep run ahead hears what the sweep made afterwards hears, over the recogniser's own
  span (no second encoder pass) and over a span of its own (speech with a pause);
- one not taken is stopped, and a recogniser that fails does not leave it waiting;
- the script check's result is the same with the sweep run ahead as without it, and an
  audit takes the sweep it asked for;
- the search's short paths (one joiner run for the streams that ask it the same question, a
  stream waiting at its keywords' start) hear what the plain search hears, hypothesis for
  hypothesis, in noise, also for streams of other beam widths asking the same question.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from dualrec_audit.checks.script import ScriptParams, forbidden_sweep_ask, run_script_check
from dualrec_audit.checks.speech import run_speech_check
from dualrec_audit.core.i18n import NO_TRANSCRIPT
from dualrec_audit.core.result import CheckResult
from dualrec_audit.models.registry import ModelStore
from dualrec_audit.speech import heard, keywords
from dualrec_audit.speech.heard import Cancelled, SpanFrames, SpotAsk
from dualrec_audit.speech.keywords import KeywordSearch, SharedSpotter
from dualrec_audit.speech.phrases import Phrase, PhraseSet
from dualrec_audit.speech.select import script_engine
from dualrec_audit.speech.sherpa import region_spans
from dualrec_audit.speech.zipformer import EncoderStream, TransducerModel, load_model

from . import forbidden_media as fm
from .conftest import models_root, sample

GROUPS = [("欢迎大家", "达摩院"), ("语音识别",), ("保本", "稳赚")]


@pytest.fixture(scope="module")
def engine(isolated_models_env):
    eng, reason = script_engine(ModelStore(models_root(fm.KWS_MODEL)), fm.KWS_MODEL)
    assert eng is not None, reason
    return eng


def _case(position: str) -> fm.Case:
    return next(
        c for c in fm.cases("tune") if c.position == position and c.clip == "funasr_asr_example.wav"
    )


def _regions(audio: np.ndarray) -> list[tuple[float, float]]:
    _, analysis = run_speech_check(audio, fm.SR, len(audio) / fm.SR)
    assert analysis is not None and analysis.regions
    return list(analysis.regions)


def _counting(monkeypatch) -> list[str]:
    """The encoder's runs, by the thread that asked for each."""
    runs: list[str] = []
    real = TransducerModel.encode

    def encode(self, *a):
        runs.append(threading.current_thread().name)
        return real(self, *a)

    monkeypatch.setattr(TransducerModel, "encode", encode)
    return runs


def _ask(span: tuple[float, float]) -> SpotAsk:
    return SpotAsk(tuple((g, *span) for g in GROUPS), 0.25, 1.0, 4)


def _sweep(engine, audio, ask: SpotAsk):
    return engine.spot_groups(
        audio,
        ask.requests,
        threshold=ask.threshold,
        boost=ask.boost,
        paths=ask.paths,
    )


@pytest.mark.parametrize("position", ["mid", "pause"])
def test_a_sweep_run_ahead_hears_what_the_sweep_after_hears(engine, monkeypatch, position):
    """mid: speech throughout, the sweep's span is the recogniser's (its frames, as made);
    pause: 2.5 s of silence splits the recogniser's spans, the sweep over all of it encodes
    its own, beside the recogniser."""
    audio = _case(position).audio
    regions = _regions(audio)
    spans = region_spans(len(audio) / fm.SR, regions)
    ask = _ask((spans[0][0], spans[-1][1]))
    after = _sweep(engine, audio, ask)
    assert {h.key for h in after} == {"欢迎大家", "达摩院", "语音识别"}, after
    runs = _counting(monkeypatch)
    engine.syllables(audio, regions)
    alone = len(runs)
    runs.clear()
    engine.syllables(audio, regions, ahead=ask)
    ahead = _sweep(engine, audio, ask)
    assert [(h.key, h.start, h.end) for h in ahead] == [(h.key, h.start, h.end) for h in after]
    mine = runs.count("dualrec-sweep-ahead")
    assert len(runs) - mine == alone  # the recogniser's own runs, in the caller's thread
    if position == "mid":
        assert len(spans) == 1 and mine == 0  # the sweep read the recogniser's frames
    else:
        assert len(spans) == 2 and mine > alone / 2  # all the speech, encoded beside it
    assert engine._ahead is None  # taken


def test_a_sweep_ahead_not_taken_is_stopped_and_swept_again(engine, monkeypatch):
    audio = _case("pause").audio
    regions = _regions(audio)
    ask = _ask((0.0, len(audio) / fm.SR))
    monkeypatch.setattr(heard, "FEED_S", 1.0)  # many pieces: it is stopped between two
    entered, release = threading.Event(), threading.Event()
    real = SharedSpotter.hear

    def hear(self, frames):  # the sweep waits here until it is let go
        entered.set()
        release.wait(30.0)
        return real(self, frames)

    monkeypatch.setattr(SharedSpotter, "hear", hear)
    engine.syllables(audio, regions, ahead=ask)
    ahead = engine._ahead
    assert ahead is not None and entered.wait(30.0)
    letting_go = threading.Thread(target=lambda: ahead.cancel.wait(30.0) and release.set())
    letting_go.start()
    engine.drop_ahead()  # stops the search and waits for its thread
    letting_go.join(30.0)
    assert release.is_set() and not ahead._thread.is_alive()
    assert engine._ahead is None
    with pytest.raises(Cancelled):
        ahead.take()
    monkeypatch.setattr(SharedSpotter, "hear", real)
    assert {h.key for h in _sweep(engine, audio, ask)} >= {"欢迎大家", "达摩院"}


def test_a_recogniser_that_fails_leaves_no_sweep_waiting(engine, monkeypatch):
    audio = _case("mid").audio
    regions = _regions(audio)
    spans = region_spans(len(audio) / fm.SR, regions)
    ask = _ask((spans[0][0], spans[-1][1]))
    real = TransducerModel.encode
    calls = []

    def encode(self, *a):
        if threading.current_thread().name != "dualrec-sweep-ahead":
            calls.append(1)
            if len(calls) > 20:
                raise MemoryError("the encoder failed")
        return real(self, *a)

    monkeypatch.setattr(TransducerModel, "encode", encode)
    with pytest.raises(MemoryError):
        engine.syllables(audio, regions, ahead=ask)
    ahead = engine._ahead
    assert ahead is not None
    ahead._thread.join(10.0)
    assert not ahead._thread.is_alive()
    with pytest.raises(RuntimeError, match="encoder failed"):
        _sweep(engine, audio, ask)  # the search made ahead reports why it stopped


def _until(what, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while not what() and time.monotonic() < end:
        time.sleep(0.01)
    return bool(what())


def test_span_frames_are_read_as_they_are_made():
    made = SpanFrames()
    got: list[int] = []
    reader = threading.Thread(target=lambda: got.extend(len(c) for c in made.chunks()))
    reader.start()
    made.put(np.zeros((8, 4), np.float32))
    assert _until(lambda: got == [8])  # read before the span ends
    made.put(np.zeros((16, 4), np.float32))
    assert _until(lambda: got == [8, 16]) and reader.is_alive()
    made.close()
    reader.join(10.0)
    assert not reader.is_alive() and made.array(4).shape == (24, 4)
    waiting = SpanFrames()
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        next(waiting.chunks(stop))
    waiting.close(OSError("gone"))
    with pytest.raises(RuntimeError):
        waiting.array(4)


def _script(engine, audio, regions, forbidden, ahead: bool, params: ScriptParams):
    ask = forbidden_sweep_ask(engine, audio, regions, forbidden, params) if ahead else None
    syllables = engine.syllables(audio, regions, ahead=ask)
    transcript = CheckResult.unavailable("transcript", NO_TRANSCRIPT)
    phrases = PhraseSet((Phrase(("欢迎大家",)),), tuple(forbidden), "test")
    result = run_script_check(
        transcript,
        (),
        phrases,
        len(audio) / fm.SR,
        engine=engine,
        syllables=syllables,
        audio=audio,
        regions=regions,
        params=params,
    )
    return ask, result


def test_the_script_check_takes_the_sweep_made_ahead(engine, monkeypatch):
    """The clip said as forbidden phrases at 0 dB hum: the check's result is the same with the
    sweep made ahead, and the sweep is not made twice."""
    audio = fm.mix_noise(_case("mid").audio, 0.0, "hum")
    regions = _regions(audio)
    forbidden = [Phrase(("达摩院",)), Phrase(("语音识别", "语音辨识")), Phrase(("保本",))]
    params = ScriptParams()
    _, before = _script(engine, audio, regions, forbidden, False, params)
    taken = []
    real = heard.Ahead.take
    monkeypatch.setattr(heard.Ahead, "take", lambda self: taken.append(1) or real(self))
    ask, after = _script(engine, audio, regions, forbidden, True, params)
    assert ask is not None and taken == [1]
    assert after.details == before.details and after.events == before.events
    assert before.details["forbidden"] or before.details["forbidden_uncertain"]
    assert forbidden_sweep_ask(engine, audio, [], forbidden, params) is None  # no speech
    one = ScriptParams(one_sweep=True)  # its streams wait for the required phrases' verdicts
    assert forbidden_sweep_ask(engine, audio, regions, forbidden, one) is None


def test_an_audit_takes_the_sweep_it_asked_for_ahead(pipeline, monkeypatch):
    taken = []
    real = heard.Ahead.take
    monkeypatch.setattr(heard.Ahead, "take", lambda self: taken.append(1) or real(self))
    result = pipeline.apply(sample("clean.mp4"))
    assert result.error is None and taken == [1]
    assert not any(t.name == "dualrec-sweep-ahead" for t in threading.enumerate())


def _plain_advance(model, searches, frames, first):
    """The search without its short paths: every stream asks the joiner, and ranks and
    extends every path."""
    size = model.context_size
    live = [s for s in searches if s.graph.root.next]
    for i, frame in enumerate(frames):
        for s in live:
            logp = model.log_probs(frame, model.decoder_out([h.ys[-size:] for h in s.hyps]))
            s.extend(first + i, logp, model.unk)
    for s in live:
        s.pause()


def test_the_search_short_paths_hear_what_the_plain_search_hears(engine, monkeypatch):
    audio = np.concatenate(
        [fm.mix_noise(c.audio, 0.0, "hum") for c in fm.cases("tune") if c.position == "mid"]
    )
    model = load_model(engine.folder)
    stream = EncoderStream(model)
    frames = np.concatenate([stream.accept(audio), stream.finish()])
    texts = [t for _, alts in fm.TUNE for t in alts] + ["保本", "稳赚", "零风险", "刚性兑付"]
    groups = [texts[i : i + 2] for i in range(0, len(texts), 2)] + [texts]

    def run():
        spotter = SharedSpotter(model, [engine._keywords(g, 0.25, 1.0) for g in groups], paths=4)
        heard_ = spotter.hear(frames)
        hyps = [[(h.ys, h.state.token, h.blanks) for h in s.hyps] for s in spotter.searches]
        return [(i, d.label, d.frames) for i, d in heard_], hyps

    short = run()
    shortcuts = []
    real = KeywordSearch._stays_at_root
    monkeypatch.setattr(
        KeywordSearch,
        "_stays_at_root",
        lambda self, *a: shortcuts.append(1) or real(self, *a),
    )
    run()
    monkeypatch.setattr(keywords, "advance", _plain_advance)
    plain = run()
    assert len(short[0]) >= 8, short[0]
    assert short == plain
    assert len(shortcuts) > len(frames)  # the short path was taken, often


def test_streams_of_other_beam_widths_rank_their_own_paths(engine):
    """Two streams asking the joiner the same question, one with a beam of 4 paths and one of
    2: each keeps what it keeps alone (the shared answer's ranking is per beam width)."""
    model = load_model(engine.folder)
    stream = EncoderStream(model)
    audio = fm.mix_noise(_case("mid").audio, 0.0, "hum")
    frames = np.concatenate([stream.accept(audio), stream.finish()])
    words = ["欢迎大家", "达摩院", "语音识别"]

    def run(widths):
        searches = [
            KeywordSearch(
                keywords.ContextGraph(engine._keywords(words, 0.25, 1.0)), model.start(), w
            )
            for w in widths
        ]
        trail = []
        for a in range(0, len(frames), 8):
            keywords.advance(model, searches, frames[a : a + 8], a)
            trail.append([[(h.ys, round(h.log_prob, 4)) for h in s.hyps] for s in searches])
        return trail, [[(d.label, d.frames) for d in s.found] for s in searches]

    alone_trail, alone_found = run([2])
    both_trail, both_found = run([4, 2])
    assert [t[1] for t in both_trail] == [t[0] for t in alone_trail]
    assert both_found[1] == alone_found[0]
    assert max(len(t[0]) for t in alone_trail) == 2  # the narrow beam was full at times
