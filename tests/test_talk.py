"""Who said it, on two-party composites of real GRID talking faces (built at test time).

What is measured: the talk intervals come from voice activity and mouth movement (the motion of
a small luma crop at each party's mouth keypoints, 10 times a second). On the GRID composites
each voice is the clip's own audio with its own moving lips; on the Mandarin composites the
speech is dubbed over a GRID face whose lips move (they do not match the words): there, what is
measured is whose mouth moves while a recognised phrase is voiced, not lip reading.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dualrec_audit.core.result import AuditResult, Event, Talk, Text, Word
from dualrec_audit.rules import attribution
from dualrec_audit.rules.profiles import builtin_profiles
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


def test_talk_intervals_match_the_composition(pipeline, grid_dialogue) -> None:
    path, truth = grid_dialogue
    result = pipeline.apply(path, profile="bundled_samples")
    assert result.error is None
    talk = result.talk
    assert min(result.checks["talk"].details["mouth_samples"].values()) > 100
    for tr in truth:
        spans = [(t.start, t.end) for t in talk if t.party == tr.party]
        assert iou((tr.start, tr.end), spans) >= 0.7, (tr, talk)
    # Nobody speaks between the second and the third turn: no talk of either party there.
    quiet = (truth[1].end + 0.5, truth[2].start - 0.5)
    assert not [t for t in talk if t.start < quiet[1] and quiet[0] < t.end]
    # The JSON contract: ``talk`` as {party, start, end, confidence}, read back unchanged.
    d = result.to_dict()
    assert all(set(t) == {"party", "start", "end", "confidence"} for t in d["talk"])
    assert AuditResult.from_dict(d).talk == talk


def _zh(composer: Composer, path: Path, movers: list[str]) -> list:
    turns = [Turn(m, media(z)) for m, z in zip(movers, ZH, strict=True)]
    return composer.build(path, turns)


def test_correctly_spoken_stages_are_attributed(pipeline, composer, tmp_path: Path) -> None:
    path = tmp_path / "zh_dialogue.mp4"
    truth = _zh(composer, path, ["staff", "customer", "staff", "customer"])
    result = pipeline.apply(path, profile="bundled_samples")
    rules = {f.rule for f in result.findings}
    assert not rules & {"event.wrong_speaker", "event.answered_for_customer"}, result.findings
    found = [st for st in result.stages if st.status == "found"]
    assert len(found) >= 3
    for st in found:
        assert st.speaker_detected == st.speaker, (st, truth)
    stages = result.to_dict()["stages"]
    assert [s["speaker_detected"] for s in stages] == [st.speaker_detected for st in result.stages]


def test_answered_for_customer_is_flagged_at_its_time(pipeline, composer, tmp_path) -> None:
    """代答: the customer's first turn is voiced while only the staff's lips move."""
    path = tmp_path / "zh_daida.mp4"
    truth = _zh(composer, path, ["staff", "staff", "staff", "customer"])
    result = pipeline.apply(path, profile="bundled_samples")
    daida = [f for f in result.findings if f.rule == "event.answered_for_customer"]
    assert len(daida) == 1, result.findings
    f, turn = daida[0], truth[1]
    assert turn.start - 0.5 <= f.start and f.end <= turn.end + 0.5
    assert f.evidence["event"]["details"]["id"] == "customer_first_turn"
    assert f.severity == "high" and result.decision != "approve"
    assert not [f for f in result.findings if f.rule == "event.wrong_speaker"]
    spoken = {st.id: st.speaker_detected for st in result.stages}
    assert spoken["customer_first_turn"] == "staff" and spoken["staff_first_turn"] == "staff"


def _result(talk: list[Talk], words: list[Word]) -> AuditResult:
    from dualrec_audit.core.result import CheckResult

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
    rules = [e.check for e in attribution.events(result, profile, said)]
    assert rules == ["prompted_answer", "wrong_speaker"]
    assert said[2].detected == "off_screen"  # fund_sale does not take nods as evidence
    nodding = builtin_profiles()["bank_wealth"]
    assert nodding.attribution.nod_evidence
    said = attribution.heard(result, nodding, spans)
    assert (said[2].detected, said[2].evidence) == ("customer", "nod")


def test_a_short_still_stretch_inside_one_partys_speech_stays_theirs() -> None:
    """A held vowel or a closed-lip consonant: the mouth is still for a moment while the voice
    goes on; only a longer still stretch is a voice from off screen."""
    import numpy as np

    from dualrec_audit.checks.talk import FRAME_S, TalkParams, intervals

    p = TalkParams()

    def run(still_s: float) -> list[Talk]:
        n = round(still_s / FRAME_S)
        labels: list[str | None] = ["staff"] * 40 + ["off_screen"] * n + [None] * 10
        return intervals(labels, np.ones(len(labels)), p)

    assert [t.party for t in run(0.5)] == ["staff"]
    assert run(0.5)[0].end == pytest.approx((40 + round(0.5 / FRAME_S)) * FRAME_S)
    assert [t.party for t in run(2.0)] == ["staff", "off_screen"]


def test_mouth_motion_tells_a_talking_mouth_from_a_still_one() -> None:
    """The crop difference is near zero for the same face shifted by a pixel and large for a
    mouth that opens (a dark gap appears between the lips)."""
    import numpy as np

    from dualrec_audit.checks.talk import TalkParams, motion

    rng = np.random.default_rng(0)
    face = rng.normal(0, 1, (26, 34)).astype(np.float32)
    a, shifted = face[1:25, 1:33], face[2:26, 1:33]
    opened = a.copy()
    opened[10:16, 8:24] -= 2.5
    opened = (opened - opened.mean()) / opened.std()
    assert motion(a, shifted) < 0.3 * motion(a, opened)
    assert motion(a, opened) > TalkParams().active_motion


def test_the_reviewers_transcript_marks_who_spoke() -> None:
    """A new transcript line where the other party starts talking, labelled with its talker."""
    from dualrec_audit.review.transcript import (
        line_speaker,
        span_speakers,
        transcript_lines,
        transcript_spans,
    )

    words = _words("qing2 nin2 que4 ren4", 1.0) + _words("wo3 que4 ren4", 2.3)
    talk = [Talk("staff", 1.0, 2.2, 0.9), Talk("customer", 2.3, 3.2, 0.9)]
    result = _result(talk, words)
    spans = transcript_spans(result)
    who = span_speakers(result, spans)
    assert who == ["staff"] * 4 + ["customer"] * 3
    starts = transcript_lines(spans, speakers=who)
    assert starts == [0, 4]
    assert transcript_lines(spans) == [0]  # without speakers: one line (no pause, not full)
    ends = [*starts[1:], len(spans)]
    assert [line_speaker(who, a, b) for a, b in zip(starts, ends, strict=True)] == [
        "staff",
        "customer",
    ]


def test_a_plurality_names_the_speaker_but_does_not_accuse() -> None:
    """The staff's talk alone over 60 % of a customer confirmation (the rest both talking):
    the staff is named as its speaker, but 代答 needs the staff alone over 3/4 of it."""
    profile = builtin_profiles()["fund_sale"]
    talk = [Talk("staff", 4.0, 4.6, 0.5), Talk("both", 4.6, 5.2, 0.9)]
    result = _result(talk, [])
    spans = [("confirmation", "是的", Text("x", "x"), "customer", 4.0, 5.0)]
    said = attribution.heard(result, profile, spans)
    assert said[0].detected == "staff" and not said[0].firm
    assert attribution.events(result, profile, said) == []
    alone = _result([Talk("staff", 4.0, 4.9, 0.9)], [])
    said = attribution.heard(alone, profile, spans)
    assert [e.check for e in attribution.events(alone, profile, said)] == ["answered_for_customer"]
    # The customer out of the picture meanwhile: their mouth was not seen still, nobody accused.
    away = Event("party_absent", 3.0, 6.0, "medium", Text("x", "x"), "customer")
    hidden = replace(alone, events=(away,))
    assert attribution.events(hidden, profile, attribution.heard(hidden, profile, spans)) == []


def test_no_voice_activity_leaves_the_talk_check_unavailable_with_its_reason() -> None:
    from dualrec_audit.audit.layer1 import talk_of
    from dualrec_audit.checks.talk import TalkParams, talk_result

    check = talk_result({}, {}, None, 10.0, TalkParams())
    assert check.status == "unavailable" and check.reason is not None and check.reason.en
    assert talk_of(check) == ()
    ok = talk_result({}, {}, np.ones(100, bool), 10.0, TalkParams())
    assert [t.party for t in talk_of(ok)] == ["off_screen"]  # a voice and no face seen
