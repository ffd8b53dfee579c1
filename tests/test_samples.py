"""End to end on the bundled samples: every labelled defect is found within +-1 s."""

from __future__ import annotations

import json

import pytest

from .conftest import SAMPLES

LABELS = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))["recordings"]


def test_every_sample_is_labelled():
    assert sorted(LABELS) == sorted(p.name for p in SAMPLES.glob("*.mp4"))
    assert len(LABELS) >= 5
    for p in SAMPLES.glob("*.mp4"):
        assert p.stat().st_size <= 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("name", "defect"),
    [(n, d) for n, rec in LABELS.items() for d in rec["defects"]],
    ids=lambda v: v if isinstance(v, str) else v["check"],
)
def test_labelled_defect_found_within_one_second(sample_results, name, defect):
    result = sample_results[name]
    matches = [
        e
        for e in result.events
        if e.check == defect["check"]
        and e.party == defect["party"]
        and abs(e.start - defect["start"]) <= 1.0
        and abs(e.end - defect["end"]) <= 1.0
    ]
    assert matches, [(e.check, e.party, e.start, e.end) for e in result.events]
    # The reviewer is sent there: a ranked segment overlaps the defect.
    assert any(s.start < defect["end"] and s.end > defect["start"] for s in result.segments)


@pytest.mark.parametrize("name", sorted(LABELS))
def test_no_unlabelled_events_and_no_defect_approved(sample_results, name):
    result = sample_results[name]
    labelled = {d["check"] for d in LABELS[name]["defects"]}
    assert {e.check for e in result.events} <= labelled
    assert result.error is None and result.duration_s == pytest.approx(20.0, abs=0.1)
    if LABELS[name]["defects"]:
        assert result.decision in ("review", "rerecord")


def test_clean_sample_without_speech_model_goes_to_review(sample_results):
    result = sample_results["clean.mp4"]
    assert result.events == ()
    assert result.decision == "review"
    assert result.checks["transcript"].status == "unavailable"
    assert result.checks["script"].status == "unavailable"
    assert result.checks["faces"].score == 1.0
    assert len(result.timelines["faces"]) == 20
