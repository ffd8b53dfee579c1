"""The keyword spotter on one encoder pass (``speech/zipformer.py``, ``speech/keywords.py``).

Real speech (``tests/forbidden_media.py``: the tuning split's clips said at a recording's start,
inside continuous speech and after a pause, clean and at 0 dB hum) with the real ``kws-zh``
model:

- the encoder run here is the one sherpa-onnx runs: the greedy search over its frames gives
  sherpa-onnx's recogniser's tokens, times and probabilities exactly (the engine's syllables
  are the recogniser's);
- streams over the same span share one encoder pass, and a stream hears what it hears alone;
- a detection's time is where the phrase was said, also after the stream fired or met a pause
  (sherpa-onnx's spotter counted it from the stream's last reset: 达摩院, said at 6.9 s after
  欢迎大家 in the same stream, was put at 0.5 s);
- a phrase said right after another that fired in the same stream is heard in noise (sherpa-
  onnx's spotter started that stream's encoder again and missed it).

The search itself (the Aho-Corasick graph of a stream's keywords) is checked on token ids.
"""

from __future__ import annotations

import numpy as np
import pytest

from dualrec_audit.checks.speech import run_speech_check
from dualrec_audit.core.errors import ModelError
from dualrec_audit.models.registry import ModelStore
from dualrec_audit.speech.keywords import ContextGraph, Keyword
from dualrec_audit.speech.select import script_engine
from dualrec_audit.speech.sherpa import TAIL_PAD_S, _recogniser, join_syllables, region_spans
from dualrec_audit.speech.zipformer import (
    FRAME_S,
    EncoderStream,
    TransducerModel,
    greedy_search,
    load_model,
)

from . import forbidden_media as fm
from .conftest import models_root


@pytest.fixture(scope="module")
def engine(isolated_models_env):
    eng, reason = script_engine(ModelStore(models_root(fm.KWS_MODEL)), fm.KWS_MODEL)
    assert eng is not None, reason
    return eng


def _case(position: str, clip: str = "funasr_asr_example.wav") -> fm.Case:
    return next(c for c in fm.cases("tune") if c.position == position and c.clip == clip)


@pytest.mark.parametrize("noise", [None, "hum"])
@pytest.mark.parametrize("position", ["start", "pause"])
def test_the_encoder_runs_as_sherpa_onnx_runs_it(engine, position, noise):
    case = _case(position)
    audio = case.audio if noise is None else fm.mix_noise(case.audio, 0.0, noise)
    audio = np.concatenate([audio, np.zeros(int(TAIL_PAD_S * fm.SR), np.float32)])
    rec = _recogniser(str(engine.folder), 1)
    stream = rec.create_stream()
    stream.accept_waveform(fm.SR, audio)
    stream.input_finished()
    while rec.is_ready(stream):
        rec.decode_stream(stream)
    theirs = rec.get_result_all(stream)
    model = load_model(engine.folder)
    enc = EncoderStream(model)
    frames = np.concatenate([enc.accept(audio[: fm.SR * 3]), enc.accept(audio[fm.SR * 3 :])])
    frames = np.concatenate([frames, enc.finish()])
    found = greedy_search(model, frames)
    assert len(found) >= 20, found  # real speech was heard
    assert [model.tokens[y] for y, _, _ in found] == list(theirs.tokens)
    assert np.allclose([t * FRAME_S for _, t, _ in found], theirs.timestamps, atol=1e-4)
    assert np.allclose([p for *_, p in found], theirs.ys_probs, atol=1e-4)
    # the engine's syllables are sherpa-onnx's recogniser's, joined
    regions = [(case.start, case.end)]
    mine = engine.syllables(audio, regions)
    rec_stream = rec.create_stream()
    a, b = int(max(0.0, case.start - 0.3) * fm.SR), int((case.end + 0.3) * fm.SR)
    rec_stream.accept_waveform(
        fm.SR, np.concatenate([audio[a:b], np.zeros(int(TAIL_PAD_S * fm.SR), np.float32)])
    )
    rec_stream.input_finished()
    while rec.is_ready(rec_stream):
        rec.decode_stream(rec_stream)
    r = rec.get_result_all(rec_stream)
    want = join_syllables(r.tokens, r.timestamps, r.ys_probs, a / fm.SR)
    assert [w.text for w in mine] == [w.text for w in want]
    assert np.allclose([w.start for w in mine], [w.start for w in want], atol=1e-3)
    assert np.allclose([w.probability for w in mine], [w.probability for w in want], atol=1e-3)


def test_streams_share_one_encoder_pass_and_hear_what_they_hear_alone(engine, monkeypatch):
    case = _case("mid")
    span = (0.0, len(case.audio) / fm.SR)
    model = load_model(engine.folder)
    runs = []
    real = TransducerModel.encode
    monkeypatch.setattr(
        TransducerModel, "encode", lambda self, *a: runs.append(1) or real(self, *a)
    )
    alone = engine.spot_groups(case.audio, [(["达摩院"], *span)], threshold=0.25, boost=1.0)
    one = len(runs)
    others = [["房地产", "广州市"], ["几乎停滞"], ["身体健康", "保本"], ["保证收益"], ["稳赚"]]
    many = engine.spot_groups(
        case.audio, [(g, *span) for g in [*others, ["达摩院"]]], threshold=0.25, boost=1.0
    )
    assert one > 10 and len(runs) == 2 * one  # as many encoder runs for six streams as for one
    assert [(h.key, h.start) for h in many if h.key == "达摩院"] == [
        (h.key, h.start) for h in alone
    ]
    assert model is load_model(engine.folder)  # loaded once per process


@pytest.mark.parametrize("position", ["mid", "pause"])
def test_a_detection_is_placed_where_it_was_said(engine, position):
    """欢迎大家 and 达摩院 in one stream: the first fires and the stream starts again; in
    the pause case the stream also starts again in the 2.5 s of silence before the clip."""
    case = _case(position)
    span = (0.0, len(case.audio) / fm.SR)
    hits = engine.spot_groups(
        case.audio, [(["欢迎大家", "达摩院"], *span)], threshold=0.25, boost=1.0
    )
    assert sorted(h.key for h in hits) == ["欢迎大家", "达摩院"], hits
    for h in hits:
        assert case.start - 0.3 <= h.start and h.end <= case.end + 0.3, (h, case.start, case.end)
    first, second = sorted(hits, key=lambda h: h.start)
    assert (first.key, second.key) == ("欢迎大家", "达摩院")


def test_a_phrase_right_after_one_that_fired_is_heard_in_noise(engine):
    case = _case("start")
    audio = fm.mix_noise(case.audio, 0.0, "hum")
    span = (0.0, len(audio) / fm.SR)
    hits = engine.spot_groups(audio, [(["欢迎大家", "达摩院"], *span)], threshold=0.25, boost=1.0)
    assert sorted(h.key for h in hits) == ["欢迎大家", "达摩院"], hits


def test_live_spotter_hears_what_the_file_sweep_hears(engine):
    case = _case("pause")
    groups = [["欢迎大家", "达摩院"], ["语音识别"]]
    whole = engine.spot_groups(
        case.audio, [(g, 0.0, len(case.audio) / fm.SR) for g in groups], threshold=0.25, boost=1.0
    )
    live = engine.live_spotter(groups, threshold=0.25, boost=1.0)
    for a in range(0, len(case.audio), 1600):  # 0.1 s blocks, as a recording's sound comes
        live.feed(case.audio[a : a + 1600])
    live.close()
    assert len(whole) == 3
    assert sorted((h.key, round(h.start, 2)) for h in live.hits) == sorted(
        (h.key, round(h.start, 2)) for h in whole
    )


def _graph(*keywords: tuple[int, ...]) -> ContextGraph:
    return ContextGraph([Keyword(ids, 1.0, 0.25, "-".join(map(str, ids))) for ids in keywords])


def _walk(graph: ContextGraph, tokens):
    state, total = graph.root, 0.0
    for tok in tokens:
        gained, state = graph.step(state, tok)
        total += gained
    return total, state


def test_a_keyword_collects_its_boost_and_ends_matched():
    g = _graph((5, 6, 7))
    total, state = _walk(g, [5, 6])
    assert total == pytest.approx(2.0) and ContextGraph.matched(state) is None
    total, state = _walk(g, [5, 6, 7])
    end = ContextGraph.matched(state)
    assert end is not None and end.phrase == "5-6-7" and end.level == 3


def test_leaving_a_keyword_gives_back_its_boost():
    g = _graph((5, 6, 7))
    total, state = _walk(g, [5, 6, 9])
    assert total == pytest.approx(0.0) and state is g.root


def test_a_keyword_inside_another_is_matched_where_the_longer_one_is_not():
    g = _graph((1, 2, 3, 4), (2, 3))
    _, state = _walk(g, [1, 2, 3])
    end = ContextGraph.matched(state)
    assert end is not None and end.phrase == "2-3"  # by the output arc
    _, state = _walk(g, [1, 2, 3, 4])
    end = ContextGraph.matched(state)
    assert end is not None and end.phrase == "1-2-3-4"


def test_a_keyword_after_a_false_start_is_followed_by_the_failure_arc():
    g = _graph((1, 2, 3), (2, 4))
    _, state = _walk(g, [1, 2, 4])  # 1 2 leads nowhere, 2 4 is a keyword
    end = ContextGraph.matched(state)
    assert end is not None and end.phrase == "2-4"


def test_a_broken_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="encoder"):
        load_model(tmp_path)
    for role in ("encoder", "decoder", "joiner"):
        (tmp_path / f"{role}-x.onnx").write_bytes(b"not a model")
    (tmp_path / "tokens.txt").write_text("<blk> 0\n", encoding="utf-8")
    with pytest.raises(ModelError, match="Reinstall"):
        load_model(tmp_path)


def test_the_sweep_searches_the_frames_the_recogniser_heard(engine, monkeypatch):
    """Speech throughout (the mid case: one speech span): the sweep over all of it runs no
    encoder of its own, and hears what a fresh encoder pass hears; other sound of the same
    length (the same case at 0 dB hum) is encoded again."""
    case = _case("mid")
    _, analysis = run_speech_check(case.audio, fm.SR, len(case.audio) / fm.SR)
    assert analysis is not None
    spans = region_spans(len(case.audio) / fm.SR, analysis.regions)
    assert len(spans) == 1, spans
    groups = [["欢迎大家", "达摩院"], ["语音识别"], ["保本"]]
    requests = [(g, *spans[0]) for g in groups]
    fresh = engine.spot_groups(case.audio, requests, threshold=0.25, boost=1.0)
    engine.syllables(case.audio, analysis.regions)
    runs = []
    real = TransducerModel.encode
    monkeypatch.setattr(
        TransducerModel, "encode", lambda self, *a: runs.append(1) or real(self, *a)
    )
    kept = engine.spot_groups(case.audio, requests, threshold=0.25, boost=1.0)
    assert runs == []
    assert [(h.key, h.start) for h in kept] == [(h.key, h.start) for h in fresh]
    assert len(fresh) == 3
    noisy = fm.mix_noise(case.audio, 0.0, "hum")
    engine.spot_groups(noisy, requests, threshold=0.25, boost=1.0)
    assert len(runs) > 10
