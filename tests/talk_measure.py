"""How well the talk check says who spoke, on the recordings of ``tests/talk_unseen.py``.

Per recording: the talk IoU per party (the truth's spans of that party against the talk
intervals labelled that party or ``both``, on a 10 ms grid), the 代答 turns flagged
(``event.answered_for_customer`` over a 代答 voice), the false who-said-it findings
(``wrong_speaker`` or ``answered_for_customer`` over no voice saying another party's stage
sentence: a 代答, or a whole stage sentence, not scrambled, said by a party it is not the
stage of, such as the customer saying the staff's line), the key phrases
(``bundled_samples`` stages found) given to the party that really said them, and the seconds
reported as ``both`` against the real overlap.

The IoU is measured twice: against the truth's spans as spoken (``iou_staff``,
``iou_customer``: the issue's figure), and against its turns (``iou_*_turns``): one party's
spans at most ``TalkParams.merge_gap_s`` (0.5 s) apart joined, the granularity the talk
intervals are defined at (one party's talk across a shorter pause is one interval), so that an
answer given in pieces with 0.3 s pauses is not counted as missed where the talk check is right
by its own definition. The first stays the one the issue's acceptance is read on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dualrec_audit.checks.talk import TalkParams
from dualrec_audit.core.result import AuditResult
from tests.talk_unseen import FIRERED, FUNASR, PADDLE, STAGE, WENET, Built

STEP = 0.01
STAGE_SOUND = {
    "staff_first_turn": WENET,
    "customer_first_turn": FIRERED,
    "staff_second_turn": FUNASR,
    "customer_second_turn": PADDLE,
}
ACCUSING = ("event.answered_for_customer", "event.wrong_speaker")


@dataclass(frozen=True)
class Figures:
    name: str
    iou_staff: float
    iou_customer: float
    daida_turns: int
    daida_flagged: int
    false_findings: int
    phrases: int
    phrases_right: int
    both_s: float
    overlap_s: float
    off_screen_s: float  # reported as a voice from off screen
    truth_off_screen_s: float
    iou_staff_turns: float = 0.0  # against the truth's turns (pieces <= merge_gap_s joined)
    iou_customer_turns: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _grid(n: int, spans: list[tuple[float, float]]) -> np.ndarray:
    m = np.zeros(n, bool)
    for a, b in spans:
        m[max(0, round(a / STEP)) : max(0, round(b / STEP))] = True
    return m


def turns(spans: list[tuple[float, float]], gap_s: float) -> list[tuple[float, float]]:
    """One party's spans with those at most ``gap_s`` apart joined (seconds, in order)."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a - out[-1][1] <= gap_s:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def measure(built: Built, result: AuditResult) -> Figures:
    n = int((result.duration_s or 60.0) / STEP) + 100
    truth = built.truth

    def said(party: str) -> np.ndarray:
        return _grid(n, [(s.start, s.end) for s in truth if s.party == party])

    def turn(party: str) -> np.ndarray:
        spans = [(s.start, s.end) for s in truth if s.party == party]
        return _grid(n, turns(spans, TalkParams().merge_gap_s))

    def talk(*parties: str) -> np.ndarray:
        return _grid(n, [(t.start, t.end) for t in result.talk if t.party in parties])

    daida = [s for s in truth if s.daida]
    accusing = [f for f in result.findings if f.rule in ACCUSING]

    def over(f: Any, s: Any) -> bool:
        return f.start < s.end and s.start < f.end

    flagged = sum(any(f.rule == ACCUSING[0] and over(f, s) for f in accusing) for s in daida)
    misspoken = [
        s
        for s in truth
        if s.daida or (not (s.short or s.scrambled) and STAGE.get(s.sound, s.party) != s.party)
    ]
    false = sum(not any(over(f, s) for s in misspoken) for f in accusing)
    spoken = {s.sound: s.party for s in truth if not s.short}
    found = [st for st in result.stages if st.status == "found" and st.id in STAGE_SOUND]
    right = sum(st.speaker_detected == spoken.get(STAGE_SOUND[st.id]) for st in found)
    overlap = said("staff") & said("customer")
    return Figures(
        built.recipe.name,
        round(_iou(said("staff"), talk("staff", "both")), 3),
        round(_iou(said("customer"), talk("customer", "both")), 3),
        len(daida),
        flagged,
        false,
        len(found),
        right,
        round(float(talk("both").sum() * STEP), 2),
        round(float(overlap.sum() * STEP), 2),
        round(float(talk("off_screen").sum() * STEP), 2),
        round(float(said("off_screen").sum() * STEP), 2),
        round(_iou(turn("staff"), talk("staff", "both")), 3),
        round(_iou(turn("customer"), talk("customer", "both")), 3),
    )


def summary(figures: list[Figures]) -> dict[str, Any]:
    """One split's figures together."""
    ious = [f.iou_staff for f in figures] + [f.iou_customer for f in figures]
    by_turn = [f.iou_staff_turns for f in figures] + [f.iou_customer_turns for f in figures]
    phrases = sum(f.phrases for f in figures)
    return {
        "recordings": len(figures),
        "iou_min": round(min(ious), 3),
        "iou_mean": round(float(np.mean(ious)), 3),
        "iou_at_least_0_7": f"{sum(i >= 0.7 for i in ious)}/{len(ious)}",
        "turns_iou_min": round(min(by_turn), 3),
        "turns_iou_at_least_0_7": f"{sum(i >= 0.7 for i in by_turn)}/{len(by_turn)}",
        "daida_flagged": f"{sum(f.daida_flagged for f in figures)}/"
        f"{sum(f.daida_turns for f in figures)}",
        "false_findings": sum(f.false_findings for f in figures),
        "phrases_right": f"{sum(f.phrases_right for f in figures)}/{phrases}",
        "both_s": round(sum(f.both_s for f in figures), 2),
        "overlap_s": round(sum(f.overlap_s for f in figures), 2),
    }
