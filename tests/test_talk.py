"""Who said it, on two-party composites of real GRID talking faces (built at test time).

What is measured: the talk intervals come from voice activity and mouth movement (the
landmarker's lip gap at 10 fps inside speech). On the GRID composites each voice is the clip's
own audio with its own moving lips; on the Mandarin composites the speech is dubbed over a
GRID face whose lips move (they do not match the words): there, what is measured is whose mouth
moves while a recognised phrase is voiced, not lip reading.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dualrec_audit import attribution
from dualrec_audit.profiles import builtin_profiles
from dualrec_audit.result import AuditResult, Talk, Text, Word
from tests.conftest import media
from tests.talk_composites import Composer, Turn, iou

ZH = [
    "speech_zh/wenet_aishell-BAC009S0724W0121.wav",
    "speech_zh/firered_BAC009S0764W0121.wav",
    "speech_zh/funasr_asr_example.wav",
    "speech_zh/paddlespeech_zh.wav",
]


@pytest.fixture(scope="module")
def composer() -> Composer:
    return Composer(media("video/grid_bbaf2n.mpg").parent)


@pytest.fixture(scope="module")
def grid_dialogue(composer: Composer, tmp_path_factory: pytest.TempPathFactory):
    """staff, customer, 3 s with both on screen and nobody speaking, staff, customer."""
    v = media("video/grid_bbaf2n.mpg").parent
    path = tmp_path_factory.mktemp("talk") / "grid_dialogue.mp4"
    turns = [
        Turn("staff", v / "grid_bbaf2n.mpg"),
        Turn("customer", v / "grid_lbax4n.mpg"),
        Turn(None, None, 0.8, 3.0),
        Turn("staff", v / "grid_bbaf2n.mpg"),
        Turn("customer", v / "grid_lbax4n.mpg"),
    ]
    return path, composer.build(path, turns)


@pytest.mark.xfail(
    strict=True,
    reason="known shortfall (issue 17): the second staff turn scores IoU 0.697 < 0.7; the talk "
    "interval starts 0.37 s early (mouth moving with the breath before the word) and ends "
    "0.4 s before the word's tail; the other three turns pass",
)
def test_talk_intervals_match_the_composition(pipeline, grid_dialogue) -> None:
    path, truth = grid_dialogue
    result = pipeline.apply(path, profile="bundled_samples")
    assert result.error is None
    talk = result.talk
    assert result.checks["talk"].details["landmark_runs"] > 0
    for tr in truth:
        spans = [(t.start, t.end) for t in talk if t.party == tr.party]
        assert iou((tr.start, tr.end), spans) >= 0.7, (tr, talk)
    # Nobody speaks between the second and the third turn: no talk of either party there.
    quiet = (truth[1].end + 0.5, truth[2].start - 0.5)
    assert not [t for t in talk if t.start < quiet[1] and quiet[0] < t.end]


def _zh(composer: Composer, path: Path, movers: list[str]) -> list:
    turns = [Turn(m, media(z)) for m, z in zip(movers, ZH, strict=True)]
    return composer.build(path, turns)


def test_correctly_spoken_stages_are_attributed(pipeline, composer, tmp_path: Path) -> None:
    path = tmp_path / "zh_dialogue.mp4"
    truth = _zh(composer, path, ["staff", "customer", "staff", "customer"])
    result = pipeline.apply(path, profile="bundled_samples")
    rules = {f.rule for f in result.findings}
    assert not rules & {"wrong_speaker", "answered_for_customer"}, result.findings
    found = [st for st in result.stages if st.status == "found"]
    assert len(found) >= 3
    for st in found:
        assert st.speaker_detected == st.speaker, (st, truth)


def test_answered_for_customer_is_flagged_at_its_time(pipeline, composer, tmp_path) -> None:
    """代答: the customer's first turn is voiced while only the staff's lips move."""
    path = tmp_path / "zh_daida.mp4"
    truth = _zh(composer, path, ["staff", "staff", "staff", "customer"])
    result = pipeline.apply(path, profile="bundled_samples")
    daida = [f for f in result.findings if f.rule == "answered_for_customer"]
    assert len(daida) == 1, result.findings
    f, turn = daida[0], truth[1]
    assert turn.start - 0.5 <= f.start and f.end <= turn.end + 0.5
    assert f.evidence["id"] == "customer_first_turn"
    assert result.decision != "approve"
    assert not [f for f in result.findings if f.rule == "wrong_speaker"]


def _result(talk: list[Talk], words: list[Word]) -> AuditResult:
    from dualrec_audit.result import CheckResult

    talk_check = CheckResult("talk", "ok", details={"nods": {"customer": [[9.0, 10.0]]}})
    return AuditResult(
        "x.mp4", "0", None, 20.0, "review", 0.0,
        checks={"talk": talk_check}, talk=tuple(talk), transcript=tuple(words),
    )  # fmt: skip


def _words(text: str, start: float) -> list[Word]:
    return [
        Word(start + 0.3 * i, start + 0.3 * i + 0.25, s, 0.9) for i, s in enumerate(text.split())
    ]


def test_prompted_answer_wrong_speaker_and_nod() -> None:
    profile = builtin_profiles()["fund_sale"]
    words = _words("qing2 nin2 shuo1 wo3 que4 ren4", 1.0) + _words("wo3 que4 ren4", 4.0)
    talk = [Talk("staff", 1.0, 2.8, 0.9), Talk("customer", 4.0, 4.9, 0.9),
            Talk("customer", 6.0, 7.0, 0.9), Talk("off_screen", 9.0, 10.0, 0.5)]  # fmt: skip
    result = _result(talk, words)
    name = Text("x", "x")
    spans = [
        ("confirmation", "我确认", name, "customer", 4.0, 4.9),
        ("stage", "risk_disclosure", name, "staff", 6.0, 7.0),
        ("confirmation", "是的", name, "customer", 9.0, 10.0),
    ]
    said = attribution.heard(result, profile, spans)
    rules = [f.rule for f in attribution.findings(result, profile, said)]
    assert rules == ["prompted_answer", "wrong_speaker"]
    assert said[2].detected == "off_screen"  # fund_sale does not take nods as evidence
    nodding = builtin_profiles()["bank_wealth"]
    assert nodding.attribution.nod_evidence
    said = attribution.heard(result, nodding, spans)
    assert (said[2].detected, said[2].evidence) == ("customer", "nod")
