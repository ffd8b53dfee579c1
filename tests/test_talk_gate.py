"""The mouth tracker crops near the voice only (``checks/talk_gate.py``, issue 32 item 4), and
the talk check's result is the same as with every sampled frame cropped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dualrec_audit.checks.talk import TalkParams
from dualrec_audit.checks.talk_gate import SLACK_S, VoiceGate, near_voice, reach_s
from tests.conftest import media
from tests.talk_composites import Composer, Turn

FRAME_S = 0.03


def _frames(seconds: float, voiced: list[tuple[float, float]]) -> np.ndarray:
    f = np.zeros(int(seconds / FRAME_S), np.uint8)
    for a, b in voiced:
        f[int(a / FRAME_S) : int(b / FRAME_S)] = 2
    return f


def test_the_reach_covers_every_use_of_a_mouth_sample():
    p = TalkParams()
    # the activity window's half, talk continued under the noise, the previous crop
    assert reach_s(p) == pytest.approx(p.masked_reach_s + p.window_s / 2 + 2.5 / p.fps)
    wider = TalkParams(window_s=1.0, masked_reach_s=1.0, fps=5.0)
    assert reach_s(wider) == pytest.approx(1.0 + 0.5 + 0.5)


def test_the_gate_crops_everything_until_it_knows_the_voice_then_only_near_it():
    p = TalkParams()
    gate = VoiceGate(p)
    assert all(gate.needed(t) for t in (0.0, 30.0, 59.9))  # not told yet
    gate.hear(_frames(60, [(10, 12)]), regions=[(40.0, 41.0)])
    reach = reach_s(p) + SLACK_S
    assert gate.needed(11.0) and gate.needed(10 - reach + 0.05) and gate.needed(12 + reach - 0.05)
    assert not gate.needed(10 - reach - 0.1) and not gate.needed(12 + reach + 0.1)
    assert gate.needed(40.5)  # a speech region (the recogniser's) is near the voice too
    assert not gate.needed(25.0) and not gate.needed(59.0)
    assert gate.skipped == 4


def test_asked_one_frame_at_a_time_the_gate_answers_as_for_all_at_once():
    """``needed`` (the tracker's question, 10 times a second) reads the prefix sums made once
    by ``hear``: the same answer as ``cropped`` over all times, beyond the voice's end too."""
    gate = VoiceGate(TalkParams())
    gate.hear(_frames(60, [(3.0, 3.2), (10, 12), (30.0, 30.1)]), regions=[(40.0, 41.0)])
    times = np.arange(0.0, 70.0, 0.1)
    assert [gate.needed(t) for t in times] == gate.cropped(times).tolist()
    assert 0 < gate.skipped < len(times)


def test_no_audio_means_no_crop():
    gate = VoiceGate(TalkParams())
    gate.hear(None, ())
    assert not gate.needed(1.0)


def test_near_voice_keeps_the_samples_that_can_reach_the_result():
    p = TalkParams()
    times = np.arange(0, 60, 0.1)
    samples = np.stack([times, np.full_like(times, 0.2)], axis=1)
    frames = _frames(60, [(10, 12)])
    kept = near_voice(samples, frames, [(30.0, 30.3)], p)[:, 0]  # a syllable at 30 s too
    reach = reach_s(p)
    assert kept.min() == pytest.approx(10 - reach, abs=0.11)
    assert kept.max() == pytest.approx(30.3 + reach, abs=0.11)
    assert not ((kept > 12 + reach + 0.1) & (kept < 30 - reach - 0.1)).any()
    # with a gate that never cropped near the syllable, its samples cannot be kept
    gate = VoiceGate(p)
    gate.hear(frames, ())
    gated = near_voice(samples, frames, [(30.0, 30.3)], p, gate)[:, 0]
    assert gated.max() < 13 + reach


@pytest.fixture(scope="module")
def long_pause(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real GRID talking faces: staff, customer, 12 s with both on screen and nobody speaking
    (reading a document), staff, customer."""
    v = media("video/grid_bbaf2n.mpg").parent
    path = tmp_path_factory.mktemp("gate") / "long_pause.mp4"
    Composer(v).build(
        path,
        [
            Turn("staff", v / "grid_bbaf2n.mpg"),
            Turn("customer", v / "grid_lbax4n.mpg"),
            Turn(None, None, 0.8, 12.0),
            Turn("staff", v / "grid_bbaf2n.mpg"),
            Turn("customer", v / "grid_lbax4n.mpg"),
        ],
    )
    return path


def test_a_real_recording_gives_the_same_talk_with_fewer_crops(pipeline, long_pause):
    """Two trackers over the same decoded frames and faces: one told the voice first (as the
    audit's sound thread, which runs ahead), one cropping every sampled frame."""
    from dualrec_audit.checks.speech import run_speech_check, voice_frames
    from dualrec_audit.media.frames import sample_frames
    from dualrec_audit.media.probe import probe
    from dualrec_audit.media.sound import SAMPLE_RATE, load_audio

    info = probe(long_pause)
    _, analysis = run_speech_check(
        load_audio(long_pause, SAMPLE_RATE), SAMPLE_RATE, info.duration_s
    )
    assert analysis is not None
    checks, gated, _ = pipeline.frame_checks(None, info)
    _, every, _ = pipeline.frame_checks(None, info)
    assert gated is not None and every is not None
    gated.gate = VoiceGate(gated.p)
    gated.gate.hear(voice_frames(analysis), analysis.regions)
    faces = checks[0]

    def tap(t: float, frame: object) -> None:
        gated.tap(t, frame)
        every.tap(t, frame)

    for t, frame in sample_frames(long_pause, info, pipeline.options.sample_fps, tap=tap):
        faces.update(t, frame)
        gated.update(t, faces.last_faces())
        every.update(t, faces.last_faces())
    vad = voice_frames(analysis)
    a = gated.finish(info.duration_s, vad, (), None, analysis.snr_db)
    b = every.finish(info.duration_s, vad, (), None, analysis.snr_db)
    assert a.details == b.details and a.timeline == b.timeline and a.events == b.events
    assert a.details["talk"], "the recording has talk"
    # the pause is 12 s: at least 12 - 2 x (reach + slack) s of both parties' crops saved
    saved = 2 * (12 - 2 * gated.gate.reach) * gated.p.fps
    assert every.measured - gated.measured >= saved * 0.9, (every.measured, gated.measured)
    assert gated.gate.skipped >= saved / 2 * 0.9
