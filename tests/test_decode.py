"""The fast decoding and face paths give the events of the exact ones.

Exact: every frame decoded in full (``decode_plan(exact=True)``) and faces detected at the full
detection width on every sample. Fast: the file's own plan (key frames alone, B-frames skipped,
deblocking left out of all but key frames), the faces tracked between full detections (those
put off while nothing outside the faces changes) and the face detector's fast width. The frame
checks' events (type, party, side; start and end within one sampling interval) must be the
same on the samples, on recordings re-encoded like branch recorders at test time
(sample_videos/build_encodings.py) and on the ten-minute recording.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline
from dualrec_audit.checks import frame_check_threads, opencv_threads
from dualrec_audit.checks.faces import FaceParams, FacesCheck
from dualrec_audit.checks.video import VideoQualityCheck
from dualrec_audit.core.errors import ConfigError
from dualrec_audit.media.frames import hole_spans, sample_frames
from dualrec_audit.media.plan import decode_plan
from dualrec_audit.media.probe import probe
from dualrec_audit.media.threads import usable_cores
from dualrec_audit.models.registry import ModelStore

from .conftest import ROOT, build_samples_module, media, models_root, sample, sample_names

FPS = 2.0
STEP = 1.0 / FPS


def encodings_module():
    sys.path.insert(0, str(ROOT / "sample_videos"))
    import build_encodings

    return build_encodings


def frame_events(path: Path, *, exact: bool) -> tuple[list[tuple], dict]:
    """The faces and video checks' events on ``path`` (sorted), and the faces details."""
    info = probe(path)
    plan = decode_plan(path, info, FPS, exact=exact)
    store = ModelStore(models_root("yunet"))
    faces = FacesCheck(
        store.locate("yunet").path,
        store.locate("face_landmarker").path,
        FaceParams(fast_width=0, track_size=0) if exact else FaceParams(),
        sample_step=STEP,
    )
    video = VideoQualityCheck(sample_step=STEP)
    for t, frame in sample_frames(path, info, FPS, plan=plan):
        faces.update(t, frame)
        video.update(t, frame)
    results = [faces.finish(info.duration_s), video.finish(info.duration_s)]
    events = sorted(
        (e.check, e.party, str(e.details.get("side", "")), e.start, e.end)
        for r in results
        for e in r.events
    )
    return events, results[0].details


def assert_same_events(exact: list[tuple], fast: list[tuple]) -> None:
    assert [e[:3] for e in fast] == [e[:3] for e in exact]
    for a, b in zip(exact, fast, strict=True):
        assert b[3] == pytest.approx(a[3], abs=STEP), (a, b)
        assert b[4] == pytest.approx(a[4], abs=STEP), (a, b)


def compare(path: Path) -> list[tuple]:
    exact, exact_faces = frame_events(path, exact=True)
    fast, fast_faces = frame_events(path, exact=False)
    assert_same_events(exact, fast)
    assert exact_faces["full_detections"] == exact_faces["samples"]
    assert exact_faces["tracked"] == 0 and fast_faces["tracked"] > 0
    assert fast_faces["put_off"] > 0  # the fast path's full detections put off, compared too
    return fast


@pytest.mark.parametrize("name", sample_names())
def test_samples_same_events_exact_and_fast(name):
    path = sample(name)
    events = compare(path)
    defect = {
        "customer_chin_cut.mp4": "face_cut",
        "party_absent.mp4": "party_absent",
        "dark_segment.mp4": "dark",
        "frozen_segment.mp4": "frozen",
    }.get(name)
    if defect is not None:  # the comparison is not between two empty lists
        assert defect in [e[0] for e in events]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Two 20 s clips with a picture defect, built from the shared media."""
    bs = build_samples_module()
    src = media("video/grid_bbaf2n.mpg").parent.parent
    media("speech_zh/funasr_asr_example.wav")
    folder = tmp_path_factory.mktemp("enc")
    return {
        "absent": bs.build_clip(folder / "absent.mp4", src, bs.ABSENT),
        "blur": bs.build_clip(folder / "blur.mp4", src, bs.Defect("blur", None, 6.0, 12.0)),
        "cut": bs.build_clip(folder / "cut.mp4", src, bs.Defect("face_cut", "customer", 8.0, 14.0)),
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("clip", "encoding", "defect"),
    [
        ("absent", "h264_baseline_gop1_720p25", "party_absent"),
        ("blur", "hevc_gop2_1080p30", "blur"),
        ("cut", "h264_baseline_gop4_1080p30", "face_cut"),
    ],
)
def test_recorder_encodings_same_events_exact_and_fast(clips, tmp_path, clip, encoding, defect):
    enc = encodings_module().ENCODINGS[encoding]
    path = encodings_module().transcode(clips[clip], tmp_path / f"{encoding}.mp4", enc)
    info = probe(path)
    assert (info.width, info.height, round(info.fps)) == (enc.width, enc.height, enc.fps)
    plan = decode_plan(path, info, FPS)
    # every frame is a reference: all are decoded, without the deblocking filter
    assert (plan.mode, plan.skip_loop_filter, plan.reordered) == ("all_frames", "nokey", False)
    assert plan.keyframe_interval_s == pytest.approx(enc.gop_s, abs=0.1)
    events = compare(path)
    assert defect in [e[0] for e in events]


def test_keyframes_alone_when_they_come_every_sample(tmp_path):
    """Key frames every 0.4 s, samples every 0.5 s: only key frames are decoded, at least one
    per sampling interval, and the events are those of the exact path."""
    be = encodings_module()
    enc = be.Encoding("keys", "libx264", 640, 360, 25, 0.4, 0, "baseline")
    path = be.transcode(sample("party_absent.mp4"), tmp_path / "keys.mp4", enc)
    info = probe(path)
    plan = decode_plan(path, info, FPS)
    assert (plan.mode, plan.skip_frame) == ("keyframes", "NONKEY")
    times = [t for t, _ in sample_frames(path, info, FPS, plan=plan)]
    assert all(round(t / 0.4, 3) % 1 == 0 for t in times)  # key frames only
    assert max(b - a for a, b in itertools.pairwise(times)) <= STEP + 0.3 + 1e-6
    assert len(times) >= info.duration_s / STEP * 0.75
    events = compare(path)
    assert "party_absent" in [e[0] for e in events]


def test_result_records_the_decode_plan(isolated_models_env):
    path = sample("clean.mp4")
    plans = {}
    for mode in ("auto", "exact"):
        options = AuditOptions(decode=mode, asr_model="none", script_model="none")
        plans[mode] = AuditPipeline(options).apply(path).options["decode_plan"]
    fast_plan, exact_plan = plans["auto"], plans["exact"]
    assert fast_plan["mode"] == "skip_nonref" and fast_plan["skip_frame"] == "NONREF"
    assert exact_plan["mode"] == "exact" and exact_plan["skip_frame"] is None
    assert exact_plan["skip_loop_filter"] is None
    with pytest.raises(ConfigError, match="decode"):
        AuditPipeline(AuditOptions(decode="fastest"))


@pytest.mark.slow
def test_long_recording_same_events_exact_and_fast(long_recording):
    path, label = long_recording
    events = compare(path)
    absent = [e for e in events if e[0] == "party_absent"]
    assert len(absent) == sum(d["check"] == "party_absent" for d in label["defects"])


@pytest.mark.parametrize(
    ("cores", "current", "expected"),
    [(2, 2, 1), (1, 1, 1), (8, 8, 4), (8, 2, 2), (4, 0, 2), (16, 1, 1)],
)
def test_frame_checks_get_half_the_cores_for_opencv(cores, current, expected):
    assert frame_check_threads(cores, current) == expected


@pytest.fixture
def opencv_at_eight_threads():
    """OpenCV's pool at 8 threads for the test (more than the frame checks ever take on a
    machine of under 16 cores, so that a restore shows), then as it was."""
    import cv2

    was = cv2.getNumThreads()
    cv2.setNumThreads(8)
    yield 8
    cv2.setNumThreads(was)


def test_opencv_threads_sized_for_the_frame_checks_then_restored(
    isolated_models_env, monkeypatch, opencv_at_eight_threads
):
    import cv2

    before = opencv_at_eight_threads
    with opencv_threads(8) as n:
        assert cv2.getNumThreads() == n == frame_check_threads(8, before) == 4
    assert cv2.getNumThreads() == before

    # The pipeline's frame checks run with it, and the result records the threads used.
    seen: list[int] = []
    update = VideoQualityCheck.update

    def spy(self, t, frame):
        seen.append(cv2.getNumThreads())
        update(self, t, frame)

    monkeypatch.setattr(VideoQualityCheck, "update", spy)
    options = AuditOptions(asr_model="none", script_model="none")
    result = AuditPipeline(options).apply(sample("clean.mp4"))
    assert result.error is None
    assert seen and set(seen) == {result.options["frame_threads"]}
    assert result.options["frame_threads"] == frame_check_threads(usable_cores(), before)
    assert cv2.getNumThreads() == before


def test_a_scan_worker_sizes_its_threads_by_its_share_of_the_cores(monkeypatch):
    """Each of a scan's workers sizes OpenCV's pool and its decoder by its share of the
    machine (cores / workers), as a machine of that many cores would."""
    import logging
    import os

    import cv2

    from dualrec_audit.batch import workers
    from dualrec_audit.media import threads

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    monkeypatch.setattr(threads, "_core_share", None)
    assert threads.usable_cores() == 16
    assert threads.decoder_threads(124.0) == threads.MAX_DECODER_THREADS
    pool: list[int] = []
    monkeypatch.setattr(cv2, "setNumThreads", pool.append)
    monkeypatch.setattr(workers, "AuditPipeline", lambda *a, **k: None)
    monkeypatch.setattr(logging, "basicConfig", lambda **k: None)
    workers.init_worker(AuditOptions(), None, 2, logging.INFO)  # 16 cores, 8 workers
    assert pool == [2] and threads.usable_cores() == 2
    assert threads.decoder_threads(23.0) == 1  # light: half its share
    assert threads.decoder_threads(124.0) == 4  # heavy: twice its share
    assert frame_check_threads(threads.usable_cores(), 2) == 1
    threads.share_cores(None)
    assert threads.usable_cores() == 16


def test_decoder_threads_half_the_cores_unless_decoding_sets_the_pace(monkeypatch):
    import dataclasses

    from dualrec_audit.media import threads

    monkeypatch.setattr(threads, "usable_cores", lambda: 4)
    clean = probe(sample("clean.mp4"))  # H.264 1280x720 25 fps
    hevc_720 = dataclasses.replace(clean, video_codec="hevc")
    hevc_1080 = dataclasses.replace(hevc_720, width=1920, height=1080, fps=30.0)
    h264_1080 = dataclasses.replace(clean, width=1920, height=1080, fps=30.0)
    assert threads.decode_load(clean) == pytest.approx(23.0, abs=0.1)
    assert threads.decode_load(clean) < threads.LIGHT_DECODE_LOAD < threads.decode_load(hevc_720)
    assert (
        threads.decode_load(hevc_720)
        < threads.decode_load(h264_1080)
        < threads.decode_load(hevc_1080)
    )
    assert threads.decoder_threads(threads.decode_load(clean)) == 2
    for heavier in (hevc_720, h264_1080, hevc_1080):
        assert threads.decoder_threads(threads.decode_load(heavier)) == 8
    # Key frames alone (one a second of 30) is light whatever the codec.
    assert threads.decoder_threads(threads.decode_load(hevc_1080, 1 / 30)) == 2
    monkeypatch.setattr(threads, "usable_cores", lambda: 1)
    assert threads.decoder_threads(threads.decode_load(hevc_1080)) == 2
    assert threads.decoder_threads(0.0) == 1
    monkeypatch.setattr(threads, "usable_cores", lambda: 64)
    assert threads.decoder_threads(threads.decode_load(hevc_1080)) == threads.MAX_DECODER_THREADS
    # The plan records the choice.
    monkeypatch.setattr(threads, "usable_cores", lambda: 4)
    assert decode_plan(sample("clean.mp4"), clean, 2.0).threads == 2


def test_a_failure_in_the_second_frame_thread_is_recorded_for_that_file(
    isolated_models_env, monkeypatch, opencv_at_eight_threads
):
    """The video check runs in the frame checks' second thread: what it raises reaches the
    audit, which records it for that file; OpenCV's threads are restored and the next audit
    runs normally."""
    import cv2

    before = opencv_at_eight_threads
    update = VideoQualityCheck.update
    calls = []

    def failing(self, t, frame):
        calls.append(t)
        if len(calls) == 5:
            raise RuntimeError("video check broke")
        update(self, t, frame)

    monkeypatch.setattr(VideoQualityCheck, "update", failing)
    pipe = AuditPipeline(AuditOptions(asr_model="none", script_model="none"))
    broken = pipe.apply(sample("clean.mp4"))
    assert broken.decision == "error" and broken.error is not None
    assert broken.error.code == "internal_error" and "video check broke" in broken.error.message
    assert cv2.getNumThreads() == before
    monkeypatch.setattr(VideoQualityCheck, "update", update)
    again = pipe.apply(sample("clean.mp4"))
    assert again.error is None and again.checks["video"].status == "ok"


def test_a_hole_is_a_stretch_with_no_frame_for_over_a_second_and_a_few_frames():
    """hole_spans: frame times (any order) more than 1 s and 4 frame intervals apart; from
    the end of the frame before to the next frame."""
    steady = [i / 25 for i in range(500)]
    assert hole_spans(steady, 25.0) == []
    dropped = [t for t in steady if not 8.0 <= t < 9.2]  # 1.2 s of frames dropped
    assert hole_spans(dropped[::-1], 25.0) == [(8.0, 9.2)]
    assert hole_spans([t for t in steady if not 8.0 <= t < 8.9], 25.0) == []  # 0.9 s: a stutter
    slow = [float(i) for i in range(20)]  # one frame a second (a time-lapse): no hole
    assert hole_spans(slow, 1.0) == []
    assert hole_spans([t for t in slow if not 5 <= t < 9], 1.0) == [(5.0, 9.0)]
    assert hole_spans([], 25.0) == [] and hole_spans([3.0], 0.0) == []
