"""A ten-minute recording with five separate 7 s customer absences and a 10 s freeze, built at
test time from the shared media and audited by the real pipeline (under the samples' demo
profile, whose stages its soundtrack says, verified by the bundled script model):
every episode is its own finding, reached by next/previous, listed in the summary; decision
re-record; `eval` on it and the samples approves no defect and keeps the watch share <= 15 %."""

from __future__ import annotations

import json

import pytest

from dualrec_audit.batch.evaluate import evaluate, parse_labels
from dualrec_audit.batch.report import eval_summary, fmt_span, summary
from dualrec_audit.review.player import (
    covers_recording,
    next_stop,
    previous_stop,
    stops,
    to_position,
)
from dualrec_audit.rules.decision import holds
from dualrec_audit.workflow.watch import watch_intervals

from .conftest import SAMPLES

pytestmark = pytest.mark.slow


def whole_recording(f, result) -> bool:
    return covers_recording(f.start, f.end, result.duration_s)


@pytest.fixture(scope="module")
def audited(pipeline, long_recording):
    path, label = long_recording
    return pipeline.apply(path, profile="bundled_samples"), label


def test_seven_findings_with_their_own_times(audited):
    result, label = audited
    assert result.duration_s == pytest.approx(606, abs=1)
    assert result.decision == "rerecord"
    located = [f for f in result.findings if not whole_recording(f, result)]
    whole = [f for f in result.findings if f not in located]
    # five absences and the freeze, each with its own time range ...
    assert [f.rule for f in located] == ["event.party_absent"] * 5 + ["event.frozen"]
    for f, d in zip(located, label["defects"], strict=True):
        assert abs(f.start - d["start"]) <= 1 and abs(f.end - d["end"]) <= 1, (f, d)
        assert f.severity in ("medium", "high")
    assert located[-1].mandatory  # a frozen picture can hide an edit
    # ... and the presence rule (94 % < 95 %), which points at the five absences.
    (presence,) = [f for f in whole if f.rule == "mandatory.both_parties_present"]
    assert presence.mandatory and "94%" in presence.reason.en
    assert presence.evidence["episodes"] == [
        [round(f.start, 2), round(f.end, 2)] for f in located[:5]
    ]
    assert len(located) + 1 == 7
    # One person per party throughout (issue 29: no person_changed on the long recording).
    assert result.checks["identity"].status == "ok"
    assert all({s["person"] for s in spans} == {0} for spans in result.identity.values())
    # Nothing else holds it: the script was verified, every stage heard.
    assert [f.rule for f in whole if f is not presence and holds(f)] == []


def test_next_and_previous_reach_every_episode(audited):
    result, _ = audited
    located = [f for f in result.findings if not whole_recording(f, result)]
    marks = stops(result)
    assert marks == [to_position(max(0.0, f.start - 2.0)) for f in located]
    forward, pos = [], 0
    while (pos := next_stop(marks, pos)) is not None:
        forward.append(pos)
    assert forward == marks
    back, pos = [], to_position(result.duration_s)
    while (pos := previous_stop(marks, pos)) is not None:
        back.append(pos)
    assert back == marks[::-1]


def test_everything_is_in_the_summary(audited):
    result, _ = audited
    for lang, why in (("en", "Why: A mandatory check failed"), ("zh", "理由：必检项未通过")):
        text = summary(result, lang)
        assert why.replace("：", ": ") in text or why in text, text
        for f in result.findings:
            assert f"{fmt_span(f.start, f.end)}" in text
            assert f.reason.get(lang) in text
        assert len(text.splitlines()) >= 5 + len(result.findings)


def test_eval_on_the_samples_and_the_long_recording(audited, sample_results):
    result, label = audited
    doc = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))
    doc["recordings"]["long_10min.mp4"] = label
    results = {**sample_results, "long_10min.mp4": result}
    report = evaluate(results, parse_labels(json.dumps(doc), "labels"))
    assert report.auto_approved_defective == () and report.passed
    assert report.missed_defects == () and report.unwatched_defects == ()
    assert report.watch_share is not None and report.watch_share <= 0.15
    text = eval_summary(report, "en")
    assert f"({report.watch_share:.0%}, 2 s pre-roll each)" in text
    long_only = evaluate(
        {"long_10min.mp4": result},
        parse_labels(
            json.dumps({"schema_version": 1, "recordings": {"long_10min.mp4": label}}), "l"
        ),
    )
    assert long_only.watch_share is not None and long_only.watch_share <= 0.15
    # The reviewer watches each episode from 2 s before it: nothing else.
    assert watch_intervals(result) == [
        (pytest.approx(d["start"] - 2, abs=1), pytest.approx(d["end"], abs=1))
        for d in label["defects"]
    ]
