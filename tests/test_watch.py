"""watch_intervals / watch_seconds / script_by_ear on constructed results, plus the samples."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dualrec_audit.core.result import (
    AuditError,
    AuditResult,
    CheckResult,
    Event,
    Finding,
    Segment,
    Text,
)
from dualrec_audit.workflow.watch import (
    merge_intervals,
    script_by_ear,
    watch_intervals,
    watch_seconds,
)

T = Text("x", "x")


def result(*, duration=60.0, segments=(), events=(), findings=(), script="ok") -> AuditResult:
    return AuditResult(
        file="r.mp4",
        tool_version="t",
        sha256="0",
        duration_s=duration,
        decision="review",
        score=70.0,
        checks={"script": CheckResult("script", script)},
        segments=tuple(Segment(s, e, 0.2, ("faces",)) for s, e in segments),
        events=tuple(Event(c, s, e, "medium", T) for c, s, e in events),
        findings=tuple(Finding(r, s, e, "medium", T) for r, s, e in findings),
    )


def test_nothing_to_watch():
    assert watch_intervals(result()) == []
    assert watch_seconds(result()) == 0.0


def test_sources_are_merged_sorted_with_preroll():
    r = result(
        segments=[(30.0, 33.0)],
        events=[("blur", 10.0, 12.0), ("dark", 31.0, 35.0)],
        findings=[("event.blur", 10.0, 12.0), ("mandatory.max_face_cut", 50.0, 53.0)],
    )
    assert watch_intervals(r) == [(8.0, 12.0), (28.0, 35.0), (48.0, 53.0)]
    assert watch_seconds(r) == pytest.approx(4 + 7 + 5)
    assert watch_intervals(r, preroll=0) == [(10.0, 12.0), (30.0, 35.0), (50.0, 53.0)]


def test_preroll_joins_close_problems_and_is_clamped_to_the_recording():
    r = result(duration=20.0, events=[("dark", 1.0, 3.0), ("dark", 4.5, 6.0), ("blur", 18, 25)])
    # 4.5 - 2 = 2.5 < 3: one interval; 1 - 2 clamps to 0; 25 clamps to the 20 s duration.
    assert watch_intervals(r) == [(0.0, 6.0), (16.0, 20.0)]


def test_under_a_profile_only_what_holds_the_recording_is_watched():
    """Decided by a profile: the located findings of medium or high severity (or mandatory);
    low notes, segments without a finding and whole-recording findings are not watched."""
    r = AuditResult(
        "r.mp4",
        "t",
        "0",
        60.0,
        "rerecord",
        50.0,
        checks={"script": CheckResult("script", "ok")},
        segments=(Segment(40.0, 44.0, 0.5, ("speech",)),),
        events=(Event("face_cut", 10, 12, "medium", T), Event("clipping", 30, 31, "low", T)),
        findings=(
            Finding("event.face_cut", 10, 12, "high", T, mandatory=True),
            Finding("event.clipping", 30, 31, "low", T),
            Finding("event.blur", 50, 55, "medium", T),
            Finding("mandatory.both_parties_present", 0, 60, "high", T, mandatory=True),
        ),
        profile={"id": "fund_sale"},
    )
    assert watch_intervals(r) == [(8.0, 12.0), (48.0, 55.0)]
    assert watch_intervals(replace(r, profile=None)) == [
        (8.0, 12.0),
        (28.0, 31.0),
        (38.0, 44.0),
        (48.0, 55.0),
    ]


def test_empty_spans_and_whole_recording_findings_are_not_watched():
    r = result(
        events=[("forbidden_phrase", 12.0, 12.0)],
        findings=[
            ("not_evaluable.script", 0.0, 60.0),
            ("stage.risk_disclosure", 0.0, 60.0),
            ("mandatory.no_forbidden_phrases", 12.0, 12.0),
        ],
    )
    assert watch_intervals(r) == []


def test_whole_recording_event_and_segment_are_watched():
    r = result(duration=20.0, events=[("party_absent", 0.0, 20.0)])
    assert watch_intervals(r) == [(0.0, 20.0)]
    assert watch_seconds(result(duration=20.0, segments=[(0.0, 20.0)])) == 20.0


def test_negative_preroll_is_refused():
    with pytest.raises(ValueError, match="preroll"):
        watch_intervals(result(), preroll=-1)


def test_script_by_ear():
    assert script_by_ear(result(script="unavailable"))
    assert script_by_ear(result(script="unverified"))
    assert not script_by_ear(result(script="ok"))
    failed = AuditResult("r.mp4", "t", None, 0.0, "error", 0.0, error=AuditError("e", "m"))
    assert not script_by_ear(failed)
    assert watch_intervals(failed) == []


spans = st.lists(
    st.tuples(st.floats(0, 100), st.floats(0, 30)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=12,
)


@given(spans, st.floats(0, 5))
@example([(100.0, 101.0)], 0.0)  # wholly past the end: nothing to watch
def test_union_is_disjoint_sorted_and_covers_every_span(events, preroll):
    r = result(duration=100.0, events=[("blur", s, e) for s, e in events])
    out = watch_intervals(r, preroll)
    assert all(s < e for s, e in out)
    assert all(a[1] < b[0] for a, b in pairwise(out))
    for s, e in events:
        lo, hi = max(0.0, s - preroll), min(100.0, e)
        if e > s and hi > lo:  # an event wholly past the end leaves nothing to watch
            assert any(a <= lo + 1e-9 and hi <= b + 1e-9 for a, b in out)
    assert watch_seconds(r, preroll) <= 100.0 + 1e-9
    assert merge_intervals(out) == out


def test_samples_watch_only_their_defects(sample_results):
    """Only the located problem is to be watched (the script is verified by the bundled model:
    nothing to check by ear); a stage not heard through the noise names no place either."""
    chin = sample_results["customer_chin_cut.mp4"]
    assert not script_by_ear(chin)
    noisy = sample_results["noisy_speech.mp4"]
    assert any(e.check == "phrase_missing" for e in noisy.events)
    # the unclear-speech episode (from about 6 s), 2 s early; the labelled defect is 5-15 s
    assert watch_intervals(noisy) == [(pytest.approx(4.0, abs=0.5), pytest.approx(15.0, abs=0.1))]
    assert watch_intervals(chin) == [(6.0, pytest.approx(14.0, abs=0.1))]
    assert watch_intervals(sample_results["clean.mp4"]) == []
