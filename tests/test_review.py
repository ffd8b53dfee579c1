"""The reviewer UI's logic without Qt: positions, next/previous stops, queue order, workload,
transcript colouring, the pre-check verdict and the language choice."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualrec_audit.core.result import (
    AuditError,
    AuditResult,
    CheckResult,
    Event,
    Finding,
    MediaInfo,
    Segment,
    StageStatus,
    Text,
    Word,
)
from dualrec_audit.review.player import (
    PREROLL_S,
    FaceTracks,
    listed_first,
    next_stop,
    previous_stop,
    seek_target,
    stops,
    to_position,
    to_seconds,
    track_frame_size,
)
from dualrec_audit.review.precheck import precheck
from dualrec_audit.review.queue import QueueItem, order_queue, queue_item, queue_status, workload
from dualrec_audit.review.texts import choose_language
from dualrec_audit.review.transcript import (
    current_span,
    missing_stages,
    transcript_lines,
    transcript_spans,
)
from dualrec_audit.store.records import RecordingMeta, RunSummary
from dualrec_audit.workflow.watch import watch_intervals

from .conftest import SAMPLES

T = Text("x", "x")


def test_positions_round_trip():
    assert to_position(6.0) == 6000 and to_position(8.0 - PREROLL_S) == 6000
    assert to_position(14.0249) == 14025 and to_position(-0.5) == 0
    assert to_seconds(6000) == 6.0


@given(st.integers(min_value=0, max_value=10**9))
def test_a_player_position_survives_the_round_trip(ms):
    assert to_position(to_seconds(ms)) == ms


def test_next_and_previous_stops():
    s = [0, 6000, 20000]
    assert next_stop(s, 0) == 6000  # already on the first stop: go on to the next
    assert next_stop(s, 5900) == 6000 and next_stop(s, 5990) == 20000  # 10 ms: on it
    assert next_stop(s, 20000) is None
    assert previous_stop(s, 20000) == 6000
    assert previous_stop(s, 20500) == 6000  # just after a stop: the one before it
    assert previous_stop(s, 21500) == 20000  # well after: back to its start
    assert previous_stop(s, 900) is None
    assert next_stop([], 0) is None and previous_stop([], 10**6) is None


def test_stops_are_the_watch_interval_starts(sample_results):
    chin = sample_results["customer_chin_cut.mp4"]
    assert stops(chin) == [to_position(s) for s, _ in watch_intervals(chin)] == [6000]
    assert seek_target(8.0) == 6000 and seek_target(1.0) == 0
    assert stops(sample_results["clean.mp4"]) == []


def test_whole_recording_findings_are_listed_last():
    spans = [(0.0, 20.0), (8.0, 14.0), (2.0, 3.0)]
    assert sorted(spans, key=lambda s: listed_first(*s, 20.0)) == [
        (2.0, 3.0),
        (8.0, 14.0),
        (0.0, 20.0),
    ]


def _run(run_id, decision, score, verdict=None, finished="2026-11-21T08:00:00+00:00"):
    return RunSummary(
        run_id=run_id,
        recording_id=run_id,
        sha256="0" * 64,
        path=f"/r/{run_id}.mp4",
        status="error" if decision == "error" else "done",
        decision=decision,
        score=score,
        duration_s=60.0,
        profile_id="fund_sale",
        finished_at=finished,
        meta=RecordingMeta(branch="上海", teller="T1"),
        verdict=verdict,
    )


def _result(duration=60.0, events=(), script="ok", error=None):
    return AuditResult(
        file="r.mp4",
        tool_version="t",
        sha256="0",
        duration_s=duration,
        decision="review",
        score=70.0,
        checks={"script": CheckResult("script", script)},
        events=tuple(Event(c, s, e, "medium", T) for c, s, e in events),
        error=error,
    )


def test_queue_status_and_order():
    assert queue_status("review", None) == "review"
    assert queue_status("approve", None) == "approve"
    assert queue_status("error", None) == "error"
    assert queue_status("rerecord", "escalate") == "escalated"
    assert queue_status("rerecord", "approve") == "done"
    items = [
        queue_item(_run(1, "approve", 95), None),
        queue_item(_run(2, "rerecord", 40), None),
        queue_item(_run(3, "review", 75), None),
        queue_item(_run(4, "error", 0), None),
        queue_item(_run(5, "review", 62), None),
        queue_item(_run(6, "review", 62, verdict="approve"), None),
        queue_item(_run(7, "review", 70, verdict="escalate"), None),
    ]
    assert [i.run_id for i in order_queue(items)] == [5, 3, 7, 2, 4, 1, 6]


def test_workload_counts_flagged_unreviewed_recordings_and_the_script_by_ear():
    flagged = _result(events=[("dark", 10.0, 14.0)])
    by_ear = _result(events=[("blur", 30.0, 31.0)], script="unavailable")
    items = [
        queue_item(_run(1, "review", 70), flagged),
        queue_item(_run(2, "rerecord", 40), by_ear),
        queue_item(_run(3, "review", 70, verdict="approve"), flagged),  # reviewed
        queue_item(_run(4, "approve", 95), _result()),  # not flagged
        queue_item(_run(5, "error", 0), _result(error=AuditError("truncated", "x"))),
    ]
    assert items[0].watch_s == pytest.approx(6.0)  # 8-14 with the pre-roll
    assert items[1].watch_s == pytest.approx(3.0) and items[1].by_ear
    assert items[4].watch_s == 0.0 and not items[4].by_ear
    w = workload(items)
    assert (w.recordings, w.watch_s, w.by_ear, w.by_ear_s) == (2, pytest.approx(9.0), 1, 60.0)
    assert w.minutes == pytest.approx(0.15)
    assert isinstance(items[0], QueueItem) and items[0].branch == "上海"


def _scripted(words, required=(), forbidden=(), stages=()):
    return AuditResult(
        file="r.mp4",
        tool_version="t",
        sha256="0",
        duration_s=30.0,
        decision="review",
        score=70.0,
        checks={
            "script": CheckResult(
                "script",
                "ok",
                details={
                    "required": [
                        {"phrase": p, "found": True, "match": {"start": s, "end": e}}
                        for p, s, e in required
                    ]
                    + [{"phrase": "没听到", "found": False, "match": None}],
                    "forbidden": [
                        {"phrase": p, "match": {"start": s, "end": e}} for p, s, e in forbidden
                    ],
                },
            )
        },
        transcript=tuple(Word(s, e, t, 0.9) for s, e, t in words),
        stages=tuple(stages),
    )


def test_transcript_colouring():
    words = [
        (0.0, 0.5, "您好"),
        (0.6, 1.0, "本产品"),
        (1.0, 1.5, "有风险"),
        (5.0, 5.5, "保证"),
        (5.5, 6.0, "收益"),
        (6.2, 6.6, "好的"),
    ]
    stage = StageStatus("risk", Text("风险揭示", "Risk"), "staff", True, "missing")
    r = _scripted(
        words,
        required=[("有风险", 1.0, 1.5)],
        forbidden=[("保证收益", 5.0, 6.0)],
        stages=[stage, StageStatus("id", T, "staff", True, "found", 0.0, 0.5)],
    )
    spans = transcript_spans(r)
    assert [s.kind for s in spans] == [
        "plain",
        "plain",
        "required",
        "forbidden",
        "forbidden",
        "plain",
    ]
    assert transcript_lines(spans) == [0, 3]  # a pause of 3.5 s starts a new line
    assert transcript_lines(spans, max_chars=5) == [0, 2, 3, 5]
    starts = [s.start for s in spans]
    assert current_span(starts, 0.0) == 0 and current_span(starts, 3.0) == 2
    assert current_span(starts, 5.2) == 3 and current_span([], 3.0) is None
    assert missing_stages(r) == [stage]


def _profiled(decision, findings, duration=20.0):
    return AuditResult(
        file="r.mp4",
        tool_version="t",
        sha256="0",
        duration_s=duration,
        decision=decision,
        score=70.0,
        profile={"id": "fund_sale"},
        findings=tuple(findings),
    )


def _verified(r):
    from dataclasses import replace

    return replace(r, checks={"script": CheckResult("script", "ok")})


def test_precheck_verdicts():
    script = Finding("not_evaluable.script", 0.0, 20.0, "medium", Text("无法核对话术", "n/a"))
    unverified = precheck(_profiled("review", [script]))
    # Nothing to fix, but the script could not be checked: never the green pass.
    assert not unverified.passed and unverified.state == "unverified"
    assert unverified.items == () and [n.zh for n in unverified.notes] == ["无法核对话术"]
    assert "未能核对话术" in unverified.unchecked[0].zh
    ok = precheck(_verified(_profiled("review", [])))
    assert ok.passed and ok.state == "pass" and ok.unchecked == ()
    stage = StageStatus("risk", T, "staff", True, "not_verified")
    half = precheck(replace_stages(_verified(_profiled("review", [])), stage))
    assert half.state == "unverified" and "未能确认这些环节" in half.unchecked[0].zh
    dark = Finding("event.dark", 9.0, 14.0, "medium", Text("画面过暗", "Too dark"))
    low = Finding("stage.optional", 0.0, 20.0, "low", Text("未听到可选环节", "Optional"))
    r = precheck(_profiled("review", [low, script, dark]))
    assert not r.passed
    assert [i.rule for i in r.items] == ["event.dark", "stage.optional"]
    assert r.items[0].advice is not None and "灯光" in r.items[0].advice.zh
    assert (r.items[1].start, r.items[1].thumbnail_at) == (None, None)
    assert r.items[0].thumbnail_at == pytest.approx(9.5)
    assert precheck(_verified(_profiled("approve", [low]))).passed  # a low-severity note
    assert not precheck(_profiled("rerecord", [])).passed
    err = precheck(replace_error(_profiled("error", [])))
    # The error is in Chinese and says what to do (not the English media message).
    assert not err.passed and err.state == "fail" and err.error is not None
    assert "损坏" in err.error.zh and "重新" in err.error.zh
    assert "incomplete" in precheck(replace_error(_profiled("error", []), "truncated")).error.en  # type: ignore[union-attr]


def replace_stages(r, *stages):
    from dataclasses import replace

    return replace(r, stages=tuple(stages))


def replace_error(r, code="corrupt"):
    from dataclasses import replace

    return replace(r, error=AuditError(code, "damaged"))


def test_precheck_on_the_chin_cut_sample(sample_results):
    r = precheck(sample_results["customer_chin_cut.mp4"])
    assert not r.passed
    [cut] = [i for i in r.items if i.rule == "event.face_cut"]
    assert (cut.start, cut.end) == (pytest.approx(8.0, abs=0.5), pytest.approx(14.0, abs=0.5))
    assert cut.advice is not None and "下巴" in cut.advice.zh
    # The bundled script model verified the clean sample's script: a green pass.
    clean = precheck(sample_results["clean.mp4"])
    assert clean.state == "pass" and clean.passed and not clean.items
    # Without a verified script it has nothing to fix but is not a green pass.
    from dataclasses import replace

    base = sample_results["clean.mp4"]
    checks = {**base.checks, "script": replace(base.checks["script"], status="unavailable")}
    unverified = precheck(replace(base, checks=checks))
    assert unverified.state == "unverified" and not unverified.passed


@pytest.mark.parametrize(
    "explicit, env, setting, locale, expected",
    [
        (None, None, None, "C", "zh"),
        (None, None, None, "zh_CN", "zh"),
        (None, None, None, "en_US", "en"),
        (None, None, None, "de_DE", "zh"),
        (None, None, "en", "zh_CN", "en"),
        (None, "zh_CN", "en", "en_US", "zh"),
        ("en", "zh", "zh", "zh_CN", "en"),
    ],
)
def test_language_choice(explicit, env, setting, locale, expected):
    assert choose_language(explicit, env, setting, locale) == expected


def test_segments_are_stops_too():
    r = AuditResult(
        file="r.mp4",
        tool_version="t",
        sha256="0",
        duration_s=60.0,
        decision="review",
        score=70.0,
        segments=(Segment(30.0, 33.0, 0.2, ("faces",)),),
    )
    assert stops(r) == [28000]


def test_face_boxes_by_time():
    tracks = FaceTracks(
        [[0.5, "staff", 2, 2, 3, 4], [0.0, "staff", 1, 2, 3, 4], [0.5, "customer", 9, 9, 9, 9]]
    )
    # The nearest sampled frame's boxes: the customer was not detected in the frame at 0 s.
    assert tracks.at(0.2) == [("staff", 1.0, 2.0, 3.0, 4.0)]
    assert sorted(b[0] for b in tracks.at(0.45)) == ["customer", "staff"]
    assert tracks.at(3.0) == [] and FaceTracks(()).at(0.0) == []


def test_box_coordinates_refer_to_the_sampled_pictures(sample_results):
    info = MediaInfo(10.0, 3840, 2160, 25.0, 90, "h264", 1)
    assert track_frame_size(info) == (1080, 1920)  # 4K scaled to 1920, then upright
    chin = sample_results["customer_chin_cut.mp4"]
    assert track_frame_size(chin.media) == (1280, 720)
    boxes = FaceTracks.of(chin).at(10.0)
    assert {b[0] for b in boxes} == {"staff", "customer"}
    customer = next(b for b in boxes if b[0] == "customer")
    assert customer[2] + customer[4] > 720  # the chin is below the picture


def test_frame_at_is_the_picture_the_checks_saw():
    """The still the UI shows (thumbnails, screenshots) is the frame the face boxes were
    found in."""
    from dualrec_audit.media.frames import frame_at, sample_frames
    from dualrec_audit.media.probe import probe

    path = SAMPLES / "customer_chin_cut.mp4"
    t, seen = next((t, f) for t, f in sample_frames(path, probe(path), 2.0) if t >= 9.0)
    shown = frame_at(path, t)
    assert shown is not None and shown.shape == seen.shape
    assert np.abs(shown.astype(int) - seen.astype(int)).mean() < 2
    small = frame_at(path, t, width=320)
    assert small is not None and small.shape == (180, 320, 3)


def _item(run_id, status, claimed=None, assignee=None):
    from dualrec_audit.review.queue import QueueItem

    return QueueItem(
        run_id,
        run_id,
        f"{run_id}.mp4",
        "",
        status,
        "review",
        50.0,
        60.0,
        "t",
        claimed_by=claimed,
        assignee=assignee,
    )


def test_next_recording_after_a_decision_and_paging():
    from dualrec_audit.review.queue import next_in_queue, page_of, queue_status

    assert queue_status("rerecord", "rerecord", "appealed") == "appealed"
    assert queue_status("rerecord", "approve", "second") == "second"
    assert queue_status("review", "approve", "approved") == "done"
    items = [
        _item(1, "appealed"),
        _item(2, "review", claimed="li"),  # someone else is on it
        _item(3, "review"),
        _item(4, "escalated"),
        _item(5, "rerecord", assignee="qian"),  # assigned to someone else
        _item(6, "rerecord", assignee="wang"),
        _item(7, "done"),
    ]
    assert next_in_queue(items, 3, "wang", senior=False).run_id == 6
    assert next_in_queue(items, 3, "li", senior=True).run_id == 4
    assert next_in_queue(items, 6, "wang", senior=False).run_id == 1  # wraps round
    assert next_in_queue(items[6:], 7, "wang", senior=False) is None
    assert page_of(4321, 0, 500) == (0, 500, 9)
    assert page_of(4321, 8, 500) == (4000, 321, 9)
    assert page_of(4321, 99, 500) == (4000, 321, 9)  # clamped
    assert page_of(0, 0, 500) == (0, 0, 1)


def test_reviewers_never_read_a_command_line():
    from dualrec_audit.core.i18n import NO_SPEECH_MODEL
    from dualrec_audit.review.texts import fmt_tenths, for_reviewer

    t = for_reviewer(NO_SPEECH_MODEL)
    assert "dualrec-audit" not in t.zh + t.en and "--from" not in t.zh + t.en
    assert t.zh == "未安装语音识别模型（请联系管理员安装）"
    assert for_reviewer(T) is T
    assert (fmt_tenths(72.34), fmt_tenths(0.06), fmt_tenths(3725.06)) == (
        "01:12.3",
        "00:00.1",
        "1:02:05.1",
    )
