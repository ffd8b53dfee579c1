"""Forbidden phrases are swept for by the keyword spotter, as hard as required phrases.

Real speech (``tests/forbidden_media.py``): test phrases said at the start of a recording,
inside continuous speech and after a pause, clean and with real noise mixed in; the same
phrases are the list's forbidden and its required phrases, so the two recalls compare on the
same audio. A forbidden phrase counts as reported when a forbidden-phrase event (high: said;
medium: heard with doubt) of that phrase overlaps the clip that says it; a false alarm is an
event of a phrase the recording does not say. Negated uses (不 spliced from real speech before
a phrase) are never reported.

Figures (kws-zh-3.3m, sherpa-onnx 2.0.1) are in ``docs/script-noise.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from dualrec_audit.checks.script import ScriptParams, forbidden_sweep_ask, run_script_check
from dualrec_audit.checks.speech import run_speech_check
from dualrec_audit.core.result import CheckResult
from dualrec_audit.models.registry import ModelStore
from dualrec_audit.speech.matching import TranscriptIndex, negated_at
from dualrec_audit.speech.phrases import Phrase, PhraseSet
from dualrec_audit.speech.select import script_engine

from . import forbidden_media as fm
from .conftest import models_root


@dataclass
class Tally:
    cases: int = 0
    required: int = 0  # the phrase found as a required phrase
    forbidden: int = 0  # reported as a forbidden phrase (said or doubtful) where it is said
    doubtful: int = 0  # of those, reported only with doubt
    false_alarms: int = 0

    def add(self, other: Tally) -> None:
        for k, v in vars(other).items():
            setattr(self, k, getattr(self, k) + v)


@pytest.fixture(scope="module")
def engine(isolated_models_env):
    eng, reason = script_engine(ModelStore(models_root(fm.KWS_MODEL)), fm.KWS_MODEL)
    assert eng is not None, reason
    return eng


def script_of(engine, audio: np.ndarray, phrases: PhraseSet, params=None) -> CheckResult:
    duration = len(audio) / fm.SR
    _, analysis = run_speech_check(audio, fm.SR, duration)
    assert analysis is not None
    # as an audit asks: the forbidden phrases' sweep run beside the recogniser
    ahead = forbidden_sweep_ask(engine, audio, analysis.regions, phrases.forbidden, params)
    syllables = engine.syllables(audio, analysis.regions, ahead=ahead)
    transcript = CheckResult("transcript", "ok", details={"model": engine.name})
    return run_script_check(
        transcript,
        (),
        phrases,
        duration,
        engine=engine,
        syllables=syllables,
        audio=audio,
        regions=analysis.regions,
        params=params,
    )


def tally(engine, case: fm.Case, audio: np.ndarray, params=None) -> Tally:
    listed = tuple(Phrase(p) for p in fm.phrases_said(case.split))
    return score(case, script_of(engine, audio, PhraseSet(listed, listed, "test"), params))[0]


def score(case: fm.Case, result: CheckResult) -> tuple[Tally, list[str]]:
    """One case's tally from the script check's result, and the phrases wrongly reported."""
    said = case.phrase[0]
    status = {r["phrase"]: r["status"] for r in result.details["required"]}
    events = [e for e in result.events if e.check == "forbidden_phrase"]
    here = [
        e
        for e in events
        if e.details["phrase"] == said and e.start <= case.end + 0.5 and e.end >= case.start - 0.5
    ]
    wrong = [e.details["phrase"] for e in events if e.details["phrase"] not in fm.said_in(case)]
    doubtful = bool(here) and all(e.severity == "medium" for e in here)
    found = int(status[said] == "found")
    return Tally(1, found, int(bool(here)), int(doubtful), len(wrong)), wrong


def measure(engine, split: str, noise: tuple[str, float] | None, params=None) -> Tally:
    total = Tally()
    for case in fm.cases(split):
        audio = case.audio if noise is None else fm.mix_noise(case.audio, noise[1], noise[0])
        total.add(tally(engine, case, audio, params))
    return total


@pytest.mark.parametrize(
    ("split", "noise"),
    [("tune", None), ("held_out", None), ("tune", ("hum", 0.0)), ("held_out", ("hum", 0.0))],
)
def test_forbidden_recall_is_at_least_required_recall(engine, split, noise):
    got = measure(engine, split, noise)
    assert got.false_alarms == 0, got
    assert got.forbidden >= got.required, got
    if noise is None:  # clean speech: measured 18/21 and 24/24 (房地产 is never heard)
        assert got.forbidden >= 0.85 * got.cases, got


def test_without_the_sweep_forbidden_recall_falls_behind(engine):
    """What the sweep adds: on noisy speech the matcher alone reports fewer than are found as
    required phrases (measured on the tuning split at 0 dB hum: 7 of 21 against 10)."""
    params = ScriptParams(sweep_forbidden=False)
    without = measure(engine, "tune", ("hum", 0.0), params)
    with_sweep = measure(engine, "tune", ("hum", 0.0))
    assert without.forbidden < without.required, without
    assert with_sweep.forbidden > without.forbidden, (with_sweep, without)
    assert with_sweep.doubtful >= 1, with_sweep  # the spotter alone: a medium finding


def test_negated_phrases_are_never_reported(engine):
    """不 spliced before a phrase: where the recogniser hears it (5 of the 6 recordings; in the
    sixth it hears wǒ, and the phrase is reported, as it should be on what was heard), neither
    the matcher nor the spotter's sweep reports the phrase."""
    heard = 0
    for case in fm.negated_cases("tune") + fm.negated_cases("held_out"):
        _, analysis = run_speech_check(case.audio, fm.SR, len(case.audio) / fm.SR)
        syllables = engine.syllables(case.audio, analysis.regions)
        before = [w.text for w in syllables if case.start - 0.8 <= w.start < case.start - 0.05]
        listed = tuple(Phrase(p) for p in fm.phrases_said(case.split))
        result = script_of(engine, case.audio, PhraseSet((), listed, "test"))
        events = [e for e in result.events if e.details.get("phrase") == case.phrase[0]]
        if before[-1:] == ["bù"]:
            heard += 1
            assert events == [], (case.phrase, events)
    assert heard >= 5


def test_a_negation_before_a_pause_does_not_negate():
    """...分为。(2.5 s) 欢迎大家: 为 reads wei (未) but the pause separates them."""
    from dualrec_audit.core.result import Word

    words = [Word(0.2 * i, 0.2 * i + 0.2, s, 0.9) for i, s in enumerate(["fen", "wei"])]
    words += [Word(3.0 + 0.2 * i, 3.2 + 0.2 * i, s, 0.9) for i, s in enumerate(["bao", "ben"])]
    index = TranscriptIndex.from_syllables(words)
    assert not negated_at(index, 3.0, "保本")
    close = [Word(0.2 * i, 0.2 * i + 0.2, s, 0.9) for i, s in enumerate(["bu", "bao", "ben"])]
    assert negated_at(TranscriptIndex.from_syllables(close), 0.2, "保本")
    assert negated_at(TranscriptIndex.from_syllables(close), 0.35, "保本")  # times differ
    # A phrase that starts with a negation: its own 没有 is not one before it.
    own = [Word(0.2 * i, 0.2 * i + 0.2, s, 0.9) for i, s in enumerate(["mei", "you", "feng"])]
    assert not negated_at(TranscriptIndex.from_syllables(own), 0.5, "没有风险")


def test_doubtful_forbidden_phrase_is_a_medium_finding_never_approved():
    from dualrec_audit.core.result import Event, Text
    from dualrec_audit.rules.profiles import builtin_profiles
    from dualrec_audit.rules.script import _script_findings

    ev = Event(
        "forbidden_phrase",
        3.0,
        4.0,
        "medium",
        Text("疑似", "possible"),
        details={"phrase": "保本", "uncertain": True},
    )
    sure = Event("forbidden_phrase", 5.0, 6.0, "high", Text("x", "x"), details={"phrase": "保本"})

    class R:
        events = (ev, sure)
        duration_s = 10.0

    fund = builtin_profiles()["fund_sale"]
    profile = fund.model_copy(update={"stages": (), "confirmations": None})
    found = _script_findings(R(), profile, [], [])  # type: ignore[arg-type]
    by_rule = {f.rule: f for f in found if "forbidden" in f.rule}
    assert by_rule["forbidden_uncertain"].severity == "medium"
    assert not by_rule["forbidden_uncertain"].mandatory
    assert (by_rule["forbidden_uncertain"].start, by_rule["forbidden_uncertain"].end) == (3.0, 4.0)
    assert by_rule["mandatory.no_forbidden_phrases"].severity == "high"
