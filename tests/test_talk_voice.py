"""Whose voice in the talk check (issue 32, item 3; docs/talk-unseen.md, docs/voice.md).

On real recordings (``tests/talk_unseen.py``: ``TUNE_VOICE``, tuned on, and ``HELDOUT_3``,
measured once at the end), each party speaking in one voice, audited with the real models
with and without the voice; and the parts on constructed evidence: enrolment from the turns
the mouths give clearly (pieces of a sentence together across a short pause), a turn left out
of its own enrolment, a relabel only where the mouths are unclear.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dualrec_audit.checks.talk_voice import (
    FRAME_S,
    TurnVoice,
    VoiceTurns,
    turn_spans,
    voice_evidence,
    voice_relabel,
)
from dualrec_audit.speech.voice import VoiceEncoder
from tests import talk_unseen as tu
from tests.conftest import media, unavailable
from tests.talk_measure import Figures, measure


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _frames(spans: list[tuple[float, float, str]], n: int) -> list[str | None]:
    labels: list[str | None] = [None] * n
    for a, b, lab in spans:
        for i in range(int(a / FRAME_S), int(b / FRAME_S)):
            labels[i] = lab
    return labels


def test_turns_are_runs_of_speech_cut_at_pauses_and_at_most_3_s() -> None:
    frames = np.zeros(400, np.int8)
    frames[10:40] = 2  # 0.9 s
    frames[45:60] = 2  # after a 0.15 s pause: the same turn
    frames[100:104] = 2  # 0.12 s: too short
    frames[150:380] = 2  # 6.9 s: three pieces
    frames[60:70] = 1  # maybe a voice: not a turn's
    spans = turn_spans(frames)
    assert spans[0] == (0.3, 1.8)
    assert [round(b - a, 2) for a, b in spans[1:]] == [2.3, 2.3, 2.3]


class _Given(VoiceEncoder):
    """An encoder whose turns carry their embedding as their one window."""

    def __init__(self) -> None:
        self.asked = 0

    def embed_windows(self, groups, batch=64):
        self.asked += len(groups)
        return [g[0] for g in groups]


def _turn(a: float, b: float, embedding: np.ndarray) -> TurnVoice:
    return TurnVoice(a, b, (embedding,))


def _evidence_case() -> tuple[VoiceTurns, list[str | None]]:
    rng = np.random.default_rng(3)
    staff, cust = _unit(rng.random(256)), _unit(rng.random(256))

    def near(v: np.ndarray) -> np.ndarray:
        return _unit(v + 0.15 * _unit(rng.random(256)))

    turns = [
        _turn(0.0, 2.0, near(staff)),  # staff's mouth, staff's voice (enrols)
        _turn(2.5, 4.5, near(cust)),  # customer's (enrols)
        _turn(5.0, 7.0, near(staff)),  # staff again (enrols)
        _turn(7.5, 9.5, near(cust)),  # customer again (enrols)
        _turn(10.0, 12.0, near(staff)),  # both mouths move, the staff's voice: 代答
        _turn(12.5, 14.5, near(staff)),  # the customer's mouth clearly, the staff's voice
        _turn(15.0, 17.0, _unit(staff + cust)),  # both mouths, both voices: overlap
        _turn(17.5, 19.5, near(cust)),  # nobody's mouth: off screen
    ]
    labels = _frames(
        [
            (0.0, 2.0, "staff"),
            (2.5, 4.5, "customer"),
            (5.0, 7.0, "staff"),
            (7.5, 9.5, "customer"),
            (10.0, 11.5, "both"),
            (11.5, 12.0, "customer"),
            (12.5, 14.5, "customer"),
            (15.0, 17.0, "both"),
            (17.5, 19.5, "off_screen"),
        ],
        700,
    )
    return VoiceTurns(tuple(turns), encoder=_Given()), labels


def test_a_turn_whose_mouths_are_unclear_goes_to_the_party_whose_voice_it_is() -> None:
    voices, labels = _evidence_case()
    ev = voice_evidence(voices, labels)
    # The clear customer mouth over the staff's voice enrols too (the mouths are trusted there).
    assert ev["enrolled"] == {"staff": 2, "customer": 3}
    rows = ev["turns"]
    assert [r["voice"] for r in rows[:4]] == ["staff", "customer", "staff", "customer"]
    assert rows[4]["lips"] == "both" and rows[4]["voice"] == "staff"
    assert rows[6]["voice"] is None  # two voices at once: neither clearly
    assert ev["embedded"] == 2 + 3 + 2  # enrolled, and the unclear turns (both): not the rest
    pinned = np.zeros(len(labels), bool)
    pinned[int(11.6 / FRAME_S)] = True  # a short answer pinned by its syllables stays
    before = list(labels)
    changed = voice_relabel(ev, labels, pinned)
    assert changed == pytest.approx(2.0 - FRAME_S, abs=0.05)
    turn = range(int(10.0 / FRAME_S), int(12.0 / FRAME_S))
    assert {labels[i] for i in turn if i != int(11.6 / FRAME_S)} == {"staff"}
    assert labels[int(11.6 / FRAME_S)] == "customer"
    # The clear customer's mouth, the overlap and the off-screen voice are left as they were.
    for a, b in ((12.5, 14.5), (15.0, 17.0), (17.5, 19.5)):
        span = range(int(a / FRAME_S), int(b / FRAME_S))
        assert [labels[i] for i in span] == [before[i] for i in span]


def _fragments_case(pause: float, between: bool = False) -> tuple[VoiceTurns, list]:
    """A loud hum breaks the customer's clear sentence into two 0.6 s turns ``pause`` apart
    (with, if ``between``, a turn of the staff's between them); then a 代答 both mouths move
    over, in the staff's voice."""
    rng = np.random.default_rng(5)
    staff, cust = _unit(rng.random(256)), _unit(rng.random(256))

    def near(v: np.ndarray) -> np.ndarray:
        return _unit(v + 0.15 * _unit(rng.random(256)))

    a = 3.0 + 0.6 + pause
    turns = [
        _turn(0.0, 2.0, near(staff)),
        _turn(3.0, 3.6, near(cust)),
        *([_turn(3.65, 3.65 + pause - 0.1, near(staff))] if between else []),
        _turn(a, a + 0.6, near(cust)),
        _turn(6.0, 8.0, near(staff)),  # 代答: both mouths move
    ]
    spans = [(0.0, 2.0, "staff"), (3.0, 3.6, "customer"), (a, a + 0.6, "customer")]
    if between:
        spans.append((3.65, 3.65 + pause - 0.1, "staff"))
    labels = _frames([*spans, (6.0, 8.0, "both")], 300)
    return VoiceTurns(tuple(turns), encoder=_Given()), labels


def test_pieces_of_a_clear_sentence_enrol_together_across_a_short_pause() -> None:
    """The customer's two pieces are 0.6 s each (under the 0.8 s a turn needs to enrol alone):
    across a 0.3 s pause they enrol together, and the 代答 goes to the staff's voice; a second
    apart, or with the staff's turn between them, they do not, and the voice decides nothing."""
    voices, labels = _fragments_case(0.3)
    ev = voice_evidence(voices, labels)
    assert ev["enrolled"] == {"staff": 1, "customer": 2}
    assert ev["turns"][-1]["lips"] == "both" and ev["turns"][-1]["voice"] == "staff"
    relabelled = list(labels)
    assert voice_relabel(ev, relabelled, np.zeros(len(labels), bool)) == pytest.approx(
        2.0, abs=0.05
    )
    assert set(relabelled[int(6.0 / FRAME_S) : int(8.0 / FRAME_S)]) == {"staff"}
    for voices, labels in (_fragments_case(1.0), _fragments_case(0.45, between=True)):
        ev = voice_evidence(voices, labels)
        assert ev["enrolled"] == {"staff": 0, "customer": 0}
        assert all(r["voice"] is None for r in ev["turns"])


def test_frames_where_no_mouth_moves_say_nothing_of_whose_voice_a_turn_is() -> None:
    """In a loud hum taken for speech the turns run on through the hum (no mouth moving
    there: ``off_screen``): the customer's turns, 0.7 of their frames the customer's mouth and
    the rest the hum's, still enrol, and the 代答 goes to the staff's voice. A turn where no
    mouth moves over most of it stays off screen (never enrolled, never compared)."""
    voices, labels = _evidence_case()
    for b in (4.5, 9.5):  # the ends of the customer's turns: their last 0.6 s hum
        for i in range(int((b - 0.6) / FRAME_S), int(b / FRAME_S)):
            labels[i] = "off_screen"
    ev = voice_evidence(voices, labels)
    assert ev["enrolled"] == {"staff": 2, "customer": 3}
    assert ev["turns"][1]["lips"] == "customer" and ev["turns"][1]["lips_share"] == 1.0
    assert ev["turns"][4]["voice"] == "staff"
    hum = list(labels)
    for i in range(int(2.5 / FRAME_S), int(3.6 / FRAME_S)):  # more hum than mouth
        hum[i] = "off_screen"
    row = voice_evidence(voices, hum)["turns"][1]
    assert row["lips"] == "off_screen" and row["staff"] is None


def test_the_voice_never_overrules_a_mouth_that_moves_more() -> None:
    """A turn most of whose frames the customer's mouth has (a real overlap's end, the
    staff's voice louder) stays the customer's, though its voice is nearer the staff's."""
    voices, labels = _evidence_case()
    for i in range(int(10.0 / FRAME_S), int(12.0 / FRAME_S)):
        labels[i] = "customer" if i < int(11.2 / FRAME_S) else "both"
    ev = voice_evidence(voices, labels)
    assert ev["turns"][4]["voice"] == "staff" and ev["turns"][4]["lips"] == "customer"
    before = list(labels)
    voice_relabel(ev, labels, np.zeros(len(labels), bool))
    assert (
        labels[int(10.0 / FRAME_S) : int(12.0 / FRAME_S)]
        == before[int(10.0 / FRAME_S) : int(12.0 / FRAME_S)]
    )


def test_the_voice_never_gives_a_frame_to_a_still_mouth() -> None:
    """A turn cut without a pause at a change of speaker: its first 0.6 s only the customer's
    mouth moves, then the staff's (the mouths: staff over 70 %, unclear), and its voice is the
    staff's. The customer's part stays theirs where the staff's mouth is still; where the
    staff's mouth moves too, the staff's voice decides."""
    voices, labels = _evidence_case()
    a, b, change = int(10.0 / FRAME_S), int(12.0 / FRAME_S), int(10.6 / FRAME_S)
    for i in range(a, b):
        labels[i] = "customer" if i < change else "staff"
    ev = voice_evidence(voices, labels)
    assert ev["turns"][4]["voice"] == "staff" and ev["turns"][4]["lips"] == "staff"
    staff_mouth = np.ones(len(labels), bool)
    staff_mouth[a : a + 10] = False  # still for the first 0.3 s, moving from then on
    moving = (staff_mouth, np.ones(len(labels), bool))
    relabelled = list(labels)
    changed = voice_relabel(ev, relabelled, np.zeros(len(labels), bool), moving=moving)
    assert relabelled[a : a + 10] == ["customer"] * 10  # the staff's mouth still: not them
    assert relabelled[a + 10 : b] == ["staff"] * (b - a - 10)
    assert changed == pytest.approx((change - a - 10) * FRAME_S, abs=0.01)
    whole = list(labels)
    voice_relabel(ev, whole, np.zeros(len(labels), bool))  # no mouths given: as before
    assert whole[a:b] == ["staff"] * (b - a)


def test_a_turn_is_not_compared_with_itself_and_one_party_alone_decides_nothing() -> None:
    voices, labels = _evidence_case()
    only_staff = ["staff" if lab == "customer" else lab for lab in labels]
    ev = voice_evidence(voices, only_staff)
    assert ev["apart"] is None or ev["enrolled"]["customer"] == 0
    assert all(r["voice"] is None for r in ev["turns"])
    assert voice_relabel(ev, only_staff, np.zeros(len(labels), bool)) == 0
    missing = voice_evidence(VoiceTurns(missing="voice-ge2e not installed"), labels)
    assert missing["missing"] and missing["turns"] == []


@pytest.fixture(scope="module")
def voiced_splits(tmp_path_factory: pytest.TempPathFactory, isolated_models_env: Path) -> dict:
    """TUNE_VOICE and HELDOUT_3 audited with and without the voice: {(name, voice): Figures}."""
    from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline
    from dualrec_audit.checks.faces import FaceParams
    from dualrec_audit.checks.talk import TalkParams

    root = media("video/grid_bbaf2n.mpg").parent.parent
    out = tmp_path_factory.mktemp("talk_voice")
    figures: dict[tuple[str, bool], Figures] = {}
    for voice in (True, False):
        pipes = {
            side: AuditPipeline(
                AuditOptions(
                    profile="bundled_samples",
                    faces=FaceParams(staff_side=side),
                    talk=TalkParams(voice=voice),
                )
            )
            for side in ("left", "right")
        }
        for recipe in tu.TUNE_VOICE + tu.HELDOUT_3:
            built = tu.build(recipe, root, out)
            result = pipes[recipe.staff_side].apply(built.path)
            assert result.error is None, result.error
            missing = result.checks["talk"].details["voices"].get("missing")
            if voice and missing:
                unavailable(f"the talk check ran without its voice model ({missing})")
            figures[(recipe.name, voice)] = measure(built, result)
    return figures


def test_tune_voice_meets_the_thresholds_with_the_voice_and_not_without(voiced_splits) -> None:
    """One voice per party; 代答 while the customer mouths along; the customer speaking while
    the staff's lips move: the mouths alone say "both" there (代答 missed, a false finding,
    "both" with no real overlap); with the voice every threshold holds."""
    for recipe in tu.TUNE_VOICE:
        f = voiced_splits[(recipe.name, True)]
        assert min(f.iou_staff, f.iou_customer) >= 0.7, f
        assert f.daida_flagged == f.daida_turns and f.false_findings == 0, f
        assert f.phrases_right == f.phrases and f.both_s <= f.overlap_s + 0.5, f
    lips = [voiced_splits[(r.name, False)] for r in tu.TUNE_VOICE]
    assert sum(f.both_s for f in lips) > 2.0 + sum(f.overlap_s for f in lips)
    assert min(min(f.iou_staff, f.iou_customer) for f in lips) < 0.7


def test_heldout_3_measured_once_meets_the_thresholds_with_the_voice(voiced_splits) -> None:
    """HELDOUT_3 (written before the voice was used, measured once at the end: its figures
    in docs/talk-unseen.md): with the voice every threshold holds on every recording; the
    mouths alone miss its 代答 (the customer mouthing along) and report 3 s of "both"."""
    for recipe in tu.HELDOUT_3:
        f = voiced_splits[(recipe.name, True)]
        assert min(f.iou_staff, f.iou_customer) >= 0.7, f
        assert f.daida_flagged == f.daida_turns and f.false_findings == 0, f
        assert f.phrases_right == f.phrases and f.both_s <= f.overlap_s + 0.5, f
    lips = voiced_splits[("blind3_daida_mouthing", False)]
    assert lips.daida_flagged == 0 and lips.both_s > 2.0


def _row(a: float, b: float, lips: str, share: float, staff: float, customer: float) -> dict:
    voice = (
        "staff" if staff - customer >= 0.05 else "customer" if customer - staff >= 0.05 else None
    )
    return {"start": a, "end": b, "lips": lips, "lips_share": share, "voice": voice,
            "staff": staff, "customer": customer}  # fmt: skip


def test_a_sentence_heard_as_one_voice_throughout_overrules_a_mouths_narrow_plurality() -> None:
    """A 代答 cut at ``max_s`` into two pieces: the customer mouthing along wins the second
    piece's mouths by a little (52 %); both pieces are clearly the staff's voice (by 0.35): the
    whole sentence is the staff's. Not where a piece's voice is only a little nearer (0.1), not
    a lone turn, not where the pieces' voices differ, never a mouth that says it clearly."""
    labels = _frames([(0.0, 2.0, "staff"), (2.0, 4.0, "customer")], 140)

    def relabelled(rows: list[dict]) -> list[str | None]:
        out = list(labels)
        voice_relabel({"turns": rows}, out, np.zeros(len(out), bool))
        return out

    second = range(int(2.1 / FRAME_S), int(4.0 / FRAME_S))  # the first piece ends at 2.01
    one_voice = [
        _row(0.0, 2.0, "staff", 0.59, 0.76, 0.42),
        _row(2.0, 4.0, "customer", 0.52, 0.80, 0.46),
    ]
    assert {relabelled(one_voice)[i] for i in second} == {"staff"}
    near = [one_voice[0], _row(2.0, 4.0, "customer", 0.52, 0.56, 0.46)]
    assert {relabelled(near)[i] for i in second} == {"customer"}
    lone = [_row(2.0, 4.0, "customer", 0.52, 0.80, 0.46)]
    assert {relabelled(lone)[i] for i in second} == {"customer"}
    paused = [_row(0.0, 1.8, "staff", 0.59, 0.76, 0.42), one_voice[1]]
    assert {relabelled(paused)[i] for i in second} == {"customer"}
    two_voices = [_row(0.0, 2.0, "customer", 0.59, 0.42, 0.76), one_voice[1]]
    assert {relabelled(two_voices)[i] for i in second} == {"customer"}
    clear = [one_voice[0], _row(2.0, 4.0, "customer", 0.9, 0.80, 0.46)]
    assert {relabelled(clear)[i] for i in second} == {"customer"}
