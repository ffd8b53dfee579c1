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
from tests.talk_measure import measure, summary


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


@pytest.mark.parametrize("recipe", tu.TUNE + tu.HELDOUT, ids=lambda r: r.name)
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
