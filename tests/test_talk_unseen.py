"""Who said it on recordings the talk check was not built on (issue 32, docs/talk-unseen.md).

The recordings (``tests/talk_unseen.py``) are composed at test time from real GRID talking
faces and real Mandarin speech; the figures come from ``tests/talk_measure.py``, the same code
the harness ``benchmarks/talk_unseen.py`` prints.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dualrec_audit.core.result import AuditResult, Finding, StageStatus, Talk, Text
from tests import talk_unseen as tu
from tests.conftest import media
from tests.talk_measure import measure, summary, turns


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory, isolated_models_env: Path) -> dict:
    """Every recipe of both splits built and audited (bundled models, ``bundled_samples``):
    {name: Figures}."""
    from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline
    from dualrec_audit.checks.faces import FaceParams

    root = media("video/grid_bbaf2n.mpg").parent.parent
    out = tmp_path_factory.mktemp("talk_unseen")
    pipes = {
        side: AuditPipeline(
            AuditOptions(profile="bundled_samples", faces=FaceParams(staff_side=side))
        )
        for side in ("left", "right")
    }
    figures = {}
    for recipe in tu.TUNE + tu.HELDOUT + tu.HELDOUT_2:
        built = tu.build(recipe, root, out)
        result = pipes[recipe.staff_side].apply(built.path)
        assert result.error is None, result.error
        figures[recipe.name] = measure(built, result)
    return figures


def test_tune_split_meets_the_issues_thresholds(audited: dict) -> None:
    """On every TUNE recording: talk IoU >= 0.7 per party, every 代答 flagged, no false
    who-said-it finding, key phrases >= 90 % right, "both" at most the real overlap + 0.5 s."""
    tune = [audited[r.name] for r in tu.TUNE]
    for f in tune:
        assert min(f.iou_staff, f.iou_customer) >= 0.7, f
        assert f.daida_flagged == f.daida_turns and f.false_findings == 0, f
        assert f.both_s <= f.overlap_s + 0.5, f
    assert sum(f.phrases_right for f in tune) >= 0.9 * sum(f.phrases for f in tune)


def test_heldout_splits_what_holds(audited: dict) -> None:
    """HELDOUT (its faces never tuned on; looked into after it was measured, which found a
    composition fault and changed no parameter) meets every threshold. HELDOUT_2, measured
    once at the end, met them but for its hum recording's customer (IoU 0.634 with the
    voice, 0.589 without, see docs/talk-unseen.md); with the talk continued under the noise
    (docs/talk-noise.md, tuned on TUNE_HUM, not on HELDOUT_2) it meets them all."""
    for f in (audited[r.name] for r in tu.HELDOUT):
        assert min(f.iou_staff, f.iou_customer) >= 0.7, f
        assert f.daida_flagged == f.daida_turns and f.false_findings == 0, f
        assert f.phrases_right == f.phrases and f.both_s <= f.overlap_s + 0.5, f
    held2 = [audited[r.name] for r in tu.HELDOUT_2]
    for f in held2:
        assert f.daida_flagged == f.daida_turns and f.false_findings == 0, f
        assert f.phrases_right == f.phrases and f.both_s <= f.overlap_s + 0.5, f
    mixed, hum = audited["heldout2_mixed_right"], audited["heldout2_daida_hum"]
    assert min(mixed.iou_staff, mixed.iou_customer) >= 0.8
    # The hum recording: staff / customer 0.740 / 0.634 before the talk under the noise,
    # 0.808 / 0.788 with it (customer 0.33 before issue 32).
    assert hum.iou_staff >= 0.75 and hum.iou_customer >= 0.75


def _as_talk(built: tu.Built) -> list[Talk]:
    """The truth as talk intervals (overlap as ``both``)."""
    step = 0.01
    n = int(max(s.end for s in built.truth) / step) + 2
    lab = np.zeros((n, 3), bool)
    for s in built.truth:
        k = ("staff", "customer", "off_screen").index(s.party)
        lab[round(s.start / step) : round(s.end / step), k] = True
    out: list[Talk] = []
    for i in range(n):
        who = (
            "both"
            if lab[i, 0] and lab[i, 1]
            else "staff" if lab[i, 0] else "customer" if lab[i, 1] else "off_screen" if lab[i, 2]
            else None
        )  # fmt: skip
        if who is None:
            continue
        if out and out[-1].party == who and abs(out[-1].end - i * step) < 1e-6:
            out[-1] = replace(out[-1], end=round((i + 1) * step, 2))
        else:
            out.append(Talk(who, round(i * step, 2), round((i + 1) * step, 2), 1.0))
    return out


def _recorded(recipe: tu.Recipe) -> tu.Built:
    """A recipe's truth without building its media (the sounds' spans, approximately)."""
    truth = tuple(
        tu.Said(v.party, v.at, v.at + (0.4 if v.cut else 4.0), v.sound, v.daida, v.cut is not None)
        for v in recipe.voices
    )
    return tu.Built(recipe, Path("x.mp4"), truth)


def _result(built: tu.Built, talk: list[Talk], findings=(), stages=()) -> AuditResult:
    return AuditResult("x.mp4", "0", None, 30.0, "review", 0.0, talk=tuple(talk),
                       findings=tuple(findings), stages=tuple(stages))  # fmt: skip


@pytest.mark.parametrize("recipe", tu.TUNE + tu.HELDOUT + tu.HELDOUT_2, ids=lambda r: r.name)
def test_the_measure_gives_the_truth_full_marks_and_a_swap_none(recipe: tu.Recipe) -> None:
    built = _recorded(recipe)
    f = measure(built, _result(built, _as_talk(built)))
    assert (f.iou_staff, f.iou_customer) == (1.0, 1.0)
    assert f.both_s == pytest.approx(f.overlap_s, abs=0.02)
    swapped = {"staff": "customer", "customer": "staff"}
    wrong = [replace(t, party=swapped.get(t.party, t.party)) for t in _as_talk(built)]
    g = measure(built, _result(built, wrong))
    assert g.iou_staff < 0.5 and g.iou_customer < 0.5


def test_findings_and_phrases_are_counted_against_the_truth() -> None:
    recipe = tu.TUNE[1]  # a 代答 turn (firered said by the staff) and three correct ones
    built = _recorded(recipe)
    daida = next(s for s in built.truth if s.daida)
    name = Text("x", "x")
    flagged = Finding("event.answered_for_customer", daida.start, daida.end, "high", name)
    false = Finding("event.wrong_speaker", 0.6, 2.0, "medium", name)
    stages = [
        StageStatus("customer_first_turn", name, "customer", True, "found", daida.start,
                    daida.end, speaker_detected="staff"),
        StageStatus("staff_first_turn", name, "staff", True, "found", 0.6, 2.0,
                    speaker_detected="customer"),
    ]  # fmt: skip
    f = measure(built, _result(built, _as_talk(built), [flagged, false], stages))
    assert (f.daida_turns, f.daida_flagged, f.false_findings) == (1, 1, 1)
    assert (f.phrases, f.phrases_right) == (2, 1)
    s = summary([f, f])
    assert s["daida_flagged"] == "2/2" and s["phrases_right"] == "2/4"


def test_a_finding_over_another_partys_stage_sentence_is_not_false() -> None:
    """A who-said-it finding is false unless it lies over a 代答 or a whole, unscrambled stage
    sentence said by a party it is not the stage of (the customer saying the staff's line);
    over a scrambled one, a part of one, or a sentence said by its own party it is false."""
    truth = (
        tu.Said("customer", 3.4, 6.7, tu.WENET),  # the staff's stage, said by the customer
        tu.Said("staff", 8.0, 10.0, tu.FIRERED, scrambled=True),  # no sentence to hear
        tu.Said("staff", 11.0, 11.5, tu.FIRERED, short=True),  # a part of one
        tu.Said("staff", 12.0, 14.0, tu.FUNASR),  # the staff's own line
    )
    built = tu.Built(tu.TUNE[0], Path("x.mp4"), truth)
    name = Text("x", "x")
    findings = [Finding("event.wrong_speaker", a, b, "medium", name)
                for a, b in ((3.5, 6.4), (8.2, 9.8), (11.0, 11.4), (12.1, 13.9))]  # fmt: skip
    assert measure(built, _result(built, [], findings[:1])).false_findings == 0
    for f in findings[1:]:
        assert measure(built, _result(built, [], [f])).false_findings == 1, f


def test_the_turns_join_one_partys_pieces_and_only_those() -> None:
    """The turn-level IoU joins one party's pieces at most merge_gap_s apart (an answer in
    pieces), never across the other party's speech or a longer pause; the spoken-level IoU
    still counts the pauses."""
    assert turns([(0.0, 1.0), (1.3, 2.0), (2.6, 3.0)], 0.5) == [(0.0, 2.0), (2.6, 3.0)]
    assert turns([(1.3, 2.0), (0.0, 1.0)], 0.5) == [(0.0, 2.0)]
    recipe = tu.TUNE[0]
    pieces = (
        tu.Said("customer", 3.6, 4.2, "x", False, True),
        tu.Said("customer", 4.5, 5.1, "x", False, True),
        tu.Said("staff", 7.0, 9.0, "y"),
        tu.Said("customer", 9.4, 10.0, "z", False, True),  # 0.4 s after the staff's turn
    )
    built = tu.Built(recipe, Path("x.mp4"), pieces)
    talk = [Talk("customer", 3.6, 5.1, 1.0), Talk("staff", 7.0, 9.0, 1.0),
            Talk("customer", 9.4, 10.0, 1.0)]  # fmt: skip
    f = measure(built, _result(built, talk))
    assert (f.iou_customer_turns, f.iou_staff_turns, f.iou_staff) == (1.0, 1.0, 1.0)
    assert f.iou_customer == pytest.approx(1.8 / 2.1, abs=0.01)  # the 0.3 s pause counted
    s = summary([f])
    assert s["turns_iou_min"] == 1.0 and s["turns_iou_at_least_0_7"] == "2/2"


def test_a_recipe_builds_with_moving_lips_and_its_truth(tmp_path: Path) -> None:
    """The recording's sound is loud where the truth says someone talks and quiet between."""
    from dualrec_audit.media.probe import probe
    from dualrec_audit.media.sound import load_audio

    root = media("video/grid_bbaf2n.mpg").parent.parent
    built = tu.build(tu.TUNE[0], root, tmp_path)
    info = probe(built.path)
    assert info.width == 1280 and abs(info.duration_s - 18.5) < 0.6
    audio = load_audio(built.path, 16000)
    assert audio is not None

    def rms(a: float, b: float) -> float:
        x = audio[int(a * 16000) : int(b * 16000)]
        return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))

    loud = [rms(s.start, s.end) for s in built.truth]
    assert min(loud) > 10 * rms(0.0, 0.4)  # before the first voice: silence
    assert built.overlap_s() == pytest.approx(0.34, abs=0.05)  # the customer's 嗯


# --- the algorithm's parts, on constructed activity ---------------------------------------------


def _acts(n: int, staff: list[tuple[int, int, float]], customer: list[tuple[int, int, float]],
          base: tuple[float, float] = (0.02, 0.02)) -> dict[str, np.ndarray]:  # fmt: skip
    out = {}
    for party, spans, b in (("staff", staff, base[0]), ("customer", customer, base[1])):
        a = np.full(n, b)
        for i, j, v in spans:
            a[i:j] = v
        out[party] = a
    return out


def test_a_noisy_still_mouth_is_not_taken_for_a_talking_one() -> None:
    """A small face's still mouth measures 0.09 (coding noise), over the fixed 0.07: against its
    own listening level it is still, and the staff's turn is not called ``both``."""
    from dualrec_audit.checks.talk import TalkParams, label_frames, thresholds

    p = TalkParams()
    n = 300
    acts = _acts(n, [(0, 150, 0.2)], [(150, 300, 0.2)], base=(0.02, 0.09))
    speech = np.ones(n, bool)
    thr_s, thr_c = thresholds(speech, acts["staff"], acts["customer"], (0.2, 0.2), p)
    assert thr_s < 0.09 < thr_c < 0.2
    labels, _, _ = label_frames(speech, acts, p)
    assert labels[:150] == ["staff"] * 150 and labels[150:] == ["customer"] * 150


def test_both_only_over_a_stretch_of_two_moving_mouths() -> None:
    from dualrec_audit.checks.talk import FRAME_S, TalkParams, label_frames

    p = TalkParams()
    n, short, long_ = 400, round(0.3 / FRAME_S), round(1.5 / FRAME_S)
    acts = _acts(n, [(0, 400, 0.2)], [(50, 50 + short, 0.18), (250, 250 + long_, 0.2)])
    labels, _, _ = label_frames(np.ones(n, bool), acts, p)
    assert "both" not in labels[40 : 60 + short]  # a back-channel: the talker keeps the turn
    assert labels[260 : 240 + long_] == ["both"] * (long_ - 20)


def test_a_short_answer_goes_to_the_mouth_that_moves_around_its_syllables() -> None:
    """对 (0.25 s) inside the staff's talk: its syllables' times pin it to the customer, whose
    mouth moves there, though smoothing would give it to the turn around it."""
    from dualrec_audit.checks.talk import (
        FRAME_S,
        TalkParams,
        intervals,
        label_frames,
        short_utterances,
    )

    p = TalkParams()
    n = round(6.0 / FRAME_S)
    i0, i1 = round(3.0 / FRAME_S), round(3.25 / FRAME_S)
    acts = _acts(n, [(0, n, 0.2)], [(i0, i1, 0.25)])
    words = [(0.5, 0.8), (0.85, 1.1), (1.15, 2.5), (3.0, 3.1), (3.1, 3.25), (4.0, 5.5)]
    shorts = short_utterances(words, p)
    assert shorts == [(3.0, 3.25)]  # the others are parts of longer utterances
    speech = np.ones(n, bool)
    labels, conf, pinned = label_frames(speech, acts, p, None, shorts)
    talk = intervals(labels, conf, p, pinned)
    said = [t for t in talk if t.party == "customer"]
    assert len(said) == 1 and abs(said[0].start - 3.0) < 0.05 and abs(said[0].end - 3.25) < 0.05
    labels, conf, pinned = label_frames(speech, acts, p)
    assert not pinned.any()
    unpinned = intervals(labels, conf, p)
    assert "customer" not in {t.party for t in unpinned}  # the smoothing alone loses it


def test_voice_frames_keep_speech_in_a_machine_hum() -> None:
    """At 10 dB SNR of hum the speech mask keeps less than half of a Mandarin sentence (its
    frames are too flat); the talk check's maybe-voice frames keep most of it (and some of the
    hum alone: they count only where a mouth moves)."""
    from dualrec_audit.checks.speech import SpeechParams, analyse, voice_frames
    from sample_videos import build_samples as bs

    x = bs.trim_silence(bs.read_wav(media(tu.WENET)))
    x = x * np.float32(10 ** ((bs.TARGET_DBFS - bs.rms_dbfs(x)) / 20))
    track = np.concatenate([np.zeros(32000, np.float32), x, np.zeros(32000, np.float32)])
    hum = np.resize(bs.read_wav(media("noise/" + bs.NOISE_FILE)), len(track))
    track = track + hum * np.float32(10 ** ((bs.TARGET_DBFS - 10 - bs.rms_dbfs(hum)) / 20))
    a = analyse(track, 16000, len(track) / 16000, SpeechParams())
    voice = voice_frames(a)
    assert voice is not None
    times = (np.arange(len(voice)) + 0.5) * 0.03
    inside = (times > 2.1) & (times < 2.0 + len(x) / 16000 - 0.1)
    outside = (times < 1.7) | (times > 2.0 + len(x) / 16000 + 0.4)
    assert (voice >= 1)[inside].mean() >= 0.75 > a.speech_frames[inside].mean() + 0.2
    assert (voice == 2)[outside].mean() <= 0.02  # the hum alone: not speech (maybe a voice)
    assert ((voice == 2) == a.speech_frames).all()


def test_the_harness_runs_every_split_it_names() -> None:
    """``benchmarks/talk_unseen.py SPLIT``: each split accepted, each with its recipes, and the
    usage lists them all (tunevh, heldout6 and heldout7 were once named but refused)."""
    from benchmarks import talk_unseen as bench

    doc = bench.__doc__ or ""
    for split in bench.SPLITS:
        assert bench.recipes_of(split), split
        assert f"``{split}``" in doc, split
    named = {tu.TUNE, tu.HELDOUT, tu.HELDOUT_2, tu.HELDOUT_3, tu.TUNE_VOICE}
    from tests import talk_unseen_noise as tn

    named |= {tn.TUNE_HUM, tn.TUNE_VOICE_HUM, tn.HELDOUT_4, tn.HELDOUT_5}
    named |= {tn.HELDOUT_6, tn.HELDOUT_7, tn.HELDOUT_8, tn.HELDOUT_9}
    assert {bench.recipes_of(s) for s in bench.SPLITS} == named
