"""Result types: runs, per-second binning, segment merging and the JSON contract."""

from __future__ import annotations

import json

from dualrec_audit.core.result import (
    CONTRACT_KEYS,
    AuditResult,
    CheckResult,
    Event,
    Text,
    merge_segments,
    per_second,
    runs,
    seconds_of,
)


def test_runs_merge_gaps_and_drop_short():
    times = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    flags = [True, True, False, True, False, False, False, True]
    assert runs(times, flags, 0.5) == [(0.0, 1.0), (1.5, 2.0), (3.5, 4.0)]
    assert runs(times, flags, 0.5, max_gap=0.5) == [(0.0, 2.0), (3.5, 4.0)]
    assert runs(times, flags, 0.5, max_gap=0.5, min_duration=1.0) == [(0.0, 2.0)]


def test_per_second_bins():
    assert per_second([0.0, 0.5, 1.0, 2.9], [1.0, 0.0, 0.5, 1.0], 4) == [0.5, 0.5, 1.0, None]
    assert seconds_of(20.0) == 20 and seconds_of(20.04) == 21 and seconds_of(0.0) == 1


def test_merge_segments_ranks_worst_first_and_names_checks():
    timelines = {
        "faces": [1.0, 0.2, 0.2, 1.0, 1.0, 1.0, 1.0, 1.0],
        "video": [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5],
        "speech": [1.0, 1.0, None, 1.0, 1.0, 1.0, 1.0, 1.0],
    }
    segs = merge_segments(timelines, threshold=0.6, max_gap=0)
    assert [(s.start, s.end, s.checks) for s in segs] == [
        (1.0, 3.0, ("faces",)),
        (5.0, 8.0, ("video",)),
    ]
    assert segs[0].score == 0.2


def test_json_contract_round_trip():
    ev = Event(
        "face_cut",
        8.0,
        14.0,
        "medium",
        Text("客户下巴超出画面", "chin"),
        "customer",
        {"side": "bottom"},
    )
    check = CheckResult("faces", "ok", timeline=(1.0, 0.3), events=(ev,))
    r = AuditResult(
        file="客户 张三.mp4",
        tool_version="0.1.0",
        sha256="ab",
        duration_s=2.0,
        decision="review",
        score=71.23,
        models={"yunet": "2023mar"},
        checks={"faces": check},
        events=(ev,),
    )
    doc = json.loads(json.dumps(r.to_dict(), ensure_ascii=False))
    issue_contract = (
        "schema_version tool_version file sha256 duration_s models decision score error "
        "events segments timelines"
    ).split()
    assert list(CONTRACT_KEYS) == issue_contract
    assert set(CONTRACT_KEYS) <= set(doc)
    assert doc["schema_version"] == 1
    assert doc["timelines"] == {"faces": [1.0, 0.3]}
    assert doc["events"][0]["message"] == {"zh": "客户下巴超出画面", "en": "chin"}
    assert Event.from_dict(doc["events"][0]) == ev
    assert doc["checks"]["faces"]["score"] == 0.65


def test_from_dict_round_trips_real_results(sample_results):
    """Stored JSON rebuilds the same result: what the store and the reviewer read back."""
    for name, result in sample_results.items():
        doc = json.loads(json.dumps(result.to_dict()))
        back = AuditResult.from_dict(doc)
        assert back.to_dict() == doc, name
        assert back.decision == result.decision
        assert [e.check for e in back.checks["faces"].events] == [
            e.check for e in result.checks["faces"].events
        ]
