"""Audio in bounded blocks: a decoded track is spooled to a temporary file and read a block or
a speech region at a time by the speech check, the recogniser and the spotter.

The chunked path is compared with the whole-array path (one block as long as the recording,
each region fed to the recogniser whole: what the code did before) on a real sample, and an
hour of synthetic audio goes through the pipeline's audio path in a fresh process whose peak
memory is compared with a five-minute one's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from dualrec_audit.checks import speech as speech_mod
from dualrec_audit.checks.speech import SpeechParams, analyse, run_speech_check
from dualrec_audit.media.sound import (
    AUDIO_BLOCK_S,
    AudioTrack,
    choose_audio_track,
    decode_audio_tracks,
    level_dbfs,
    load_audio,
)
from dualrec_audit.models.registry import ModelStore
from dualrec_audit.speech import heard
from dualrec_audit.speech.select import script_engine
from dualrec_audit.speech.transcriber import speech_windows

from .conftest import media, models_root, read_wav, sample

SR = 16000
MODEL = "kws-zh-3.3m"
WHOLE = 10**6  # seconds: one block, one piece: the whole-array path


def test_a_track_reads_like_an_array():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(SR * 7 + 123) * 0.1).astype(np.float32)
    with AudioTrack.from_array(x[:5000]) as track:
        track.append(x[5000:])
        assert len(track) == len(x)
        assert np.array_equal(track[:], x)
        assert np.array_equal(track[100:20000], x[100:20000])
        assert np.array_equal(track[len(x) - 5 : len(x) + 50], x[-5:])
        assert track[50:10].size == 0
        assert np.array_equal(track.window(1.5, 2.25), x[24000:36000])
        blocks = list(track.blocks(3))
        assert [len(b) for b in blocks] == [3 * SR, 3 * SR, SR + 123]
        assert np.array_equal(np.concatenate(blocks), x)
        assert track.level_dbfs == pytest.approx(level_dbfs(x), abs=1e-6)
        with pytest.raises(TypeError):
            track[::2]


def test_a_silent_first_track_gives_way():
    loud = AudioTrack.from_array(np.full(SR, 0.1, np.float32))
    silent = AudioTrack.from_array(np.zeros(SR, np.float32))
    assert choose_audio_track([silent, loud]) == 1
    assert choose_audio_track([loud, silent]) == 0
    loud.close()
    silent.close()


def test_speech_windows_fill_whisper_windows():
    regions = [(0.0, 4.0), (5.0, 20.0), (21.0, 29.5), (31.0, 40.0), (41.0, 120.0), (121, 122)]
    windows = speech_windows(regions, 30.0)
    assert [(a, b) for a, b, _ in windows] == [(0.0, 29.5), (31.0, 40.0), (41.0, 120.0), (121, 122)]
    assert [r for _, _, g in windows for r in g] == regions


def _speech_of(audio, monkeypatch, block_s: int):
    monkeypatch.setattr(speech_mod, "AUDIO_BLOCK_S", block_s)
    return analyse(audio, SR, len(audio) / SR, SpeechParams())


def test_chunked_speech_timeline_is_the_whole_arrays(monkeypatch):
    """Per-second speech ratio, SNR, level and regions: the same with 3 s blocks read from
    a spooled track as with the whole decoded track in one array."""
    path = sample("noisy_speech.mp4")
    whole = load_audio(path, SR)
    assert whole is not None
    before = _speech_of(whole, monkeypatch, WHOLE)
    (track,) = decode_audio_tracks(path, SR)
    with track:
        assert np.array_equal(track[:], whole)
        after = _speech_of(track, monkeypatch, 3)
        default = _speech_of(track, monkeypatch, AUDIO_BLOCK_S)
    for a in (after, default):
        assert np.array_equal(a.speech_frames, before.speech_frames)
        assert a.speech_ratio == before.speech_ratio
        assert a.snr_db == pytest.approx(before.snr_db, abs=1e-6)
        assert a.level_dbfs == pytest.approx(before.level_dbfs, abs=1e-6)
        assert a.clipped == before.clipped
        assert a.regions == before.regions
    assert sum(before.speech_ratio) > 3  # the sample has speech: the comparison means something


@pytest.fixture(scope="module")
def engine(isolated_models_env):
    eng, reason = script_engine(ModelStore(models_root(MODEL)), MODEL)
    assert eng is not None, reason
    return eng


def test_chunked_recogniser_and_spotter_give_the_same_times(engine, monkeypatch):
    """Syllables and phrase detections on a sample: fed to the models 1 s at a time from a
    spooled track, the same texts at the same times (within 0.05 s) as each region whole."""
    path = sample("clean.mp4")
    whole = load_audio(path, SR)
    assert whole is not None
    _, analysis = run_speech_check(whole, SR, len(whole) / SR)
    assert analysis is not None and analysis.regions
    said = ["中介协会", "交易", "欢迎大家", "语音识别", "身体健康"]  # in the clean sample
    span = (0.0, len(whole) / SR)

    def run(audio, feed_s):
        monkeypatch.setattr(heard, "FEED_S", feed_s)
        syl = engine.syllables(audio, analysis.regions)
        # one stream per phrase, and all in one stream (reset after each detection)
        hits = engine.spot(audio, [(p, *span) for p in said], threshold=0.25, boost=1.0)
        hits += engine.spot_groups(audio, [(said, *span)], threshold=0.25, boost=1.0)
        return syl, hits

    before = run(whole, float(WHOLE))
    with AudioTrack.from_array(whole) as track:
        after = run(track, 1.0)
    assert len(before[0]) > 20 and len(before[1]) >= 8, "too little heard to compare"
    assert [w.text for w in after[0]] == [w.text for w in before[0]]
    for w0, w1 in zip(before[0], after[0], strict=True):
        assert abs(w0.start - w1.start) <= 0.05 and abs(w0.end - w1.end) <= 0.05
        assert w1.probability == pytest.approx(w0.probability, abs=0.02)
    assert [h.key for h in after[1]] == [h.key for h in before[1]]
    for h0, h1 in zip(before[1], after[1], strict=True):
        assert abs(h0.start - h1.start) <= 0.05 and abs(h0.end - h1.end) <= 0.05


# -- an hour of audio in bounded memory ----------------------------------------------------

TRACK_SR = 8000  # the synthetic track's rate (decoded to 16 kHz like any other)
SPEECH_EVERY_S = 300  # one speech clip every five minutes (the recogniser runs on those)


def write_long_track(target: Path, minutes: float) -> Path:
    """A WAV track of ``minutes``: a quiet hum and noise, a Mandarin clip every five minutes,
    written a minute at a time."""
    clip = read_wav(media("speech_zh/funasr_asr_example.wav"))[::2]  # 16 -> 8 kHz
    rng = np.random.default_rng(7)
    with wave.open(str(target), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(TRACK_SR)
        for m in range(int(minutes * 60 / 60)):
            t = np.arange(60 * TRACK_SR) / TRACK_SR
            x = 0.01 * np.sin(2 * np.pi * 50 * t) + 0.003 * rng.standard_normal(t.size)
            if (m * 60) % SPEECH_EVERY_S == 0:
                x[TRACK_SR : TRACK_SR + len(clip)] += clip
            w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return target


PROBE = r"""
import json, resource, sys, threading
from pathlib import Path
from dualrec_audit.media import sound as media
from dualrec_audit.media.probe import open_media
from dualrec_audit.checks.script import ScriptParams
from dualrec_audit.speech.phrases import Phrase, PhraseSet
from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline
from dualrec_audit.core.result import MediaInfo
from dualrec_audit.checks.talk_gate import VoiceGate

largest, samples = [0], [0]
read, close = media.AudioTrack.read, media.AudioTrack.close
def counted(self, start, stop):
    out = read(self, start, stop)
    largest[0] = max(largest[0], out.size)
    return out
def closed(self):
    samples[0] = max(samples[0], len(self))
    close(self)
media.AudioTrack.read, media.AudioTrack.close = counted, closed

path = Path(sys.argv[1])
# The spotter confirms each place heard (the default asks it only about doubtful ones).
pipe = AuditPipeline(AuditOptions(asr_model="none", script=ScriptParams(confirm_found=True)))
with open_media(path) as c:
    duration = float(c.duration) / 1e6
info = MediaInfo(duration, 640, 480, 25.0, 0, "h264", 1, "pcm_s16le", 8000)
phrases = PhraseSet((Phrase(("欢迎大家",)),), (), "probe")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tell = (lambda *a: None, VoiceGate(pipe.options.talk))
sound = pipe._hear(path, info, phrases, tell, threading.Event())
(req,) = sound.script.details["required"]
print(json.dumps({
    "start_kb": before,
    "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "largest_read": largest[0],
    "samples": samples[0],
    "regions": len(sound.analysis.regions),
    "syllables": len(sound.syllables),
    "found": req["status"] == "found",
    "spotter": [e for e in req["engines"] if e.endswith(":spotter")],
    "speech_s": sound.speech.details["speech_seconds"],
}))
"""


def _hear_in_process(path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, timeout=1800
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_an_hour_of_audio_is_heard_in_a_bounded_window(tmp_path, isolated_models_env):
    """The pipeline's sound thread (decode, speech check, recogniser, transcript, phrase
    verification with the spotter) on 60 minutes of audio, in a fresh process: no read is
    larger than a block, and the peak memory is within 60 MB of the same path on 5 minutes
    (the whole hour as float32 is 230 MB)."""
    short = _hear_in_process(write_long_track(tmp_path / "short.wav", 5))
    hour = _hear_in_process(write_long_track(tmp_path / "hour.wav", 60))
    assert hour["samples"] == 3600 * SR and short["samples"] == 300 * SR
    assert hour["largest_read"] <= AUDIO_BLOCK_S * SR
    # Every five minutes a clip is heard: speech, syllables and regions in proportion.
    assert hour["regions"] >= 12 and hour["syllables"] >= 12 * 10
    assert hour["speech_s"] == pytest.approx(12 * short["speech_s"], rel=0.1)
    assert short["found"] and hour["found"] and short["spotter"] and hour["spotter"]
    grown_mb = (hour["peak_kb"] - short["peak_kb"]) / 1024
    assert grown_mb < 60, (short, hour)


# -- the sound thread's progress ---------------------------------------------------------------


def test_progress_reaches_the_hook_from_the_audit_thread_in_stage_order(pipeline):
    """The sound thread (speech, recogniser, transcript, phrases) runs beside the frames; its
    progress is handed to the hook by the thread that called ``apply``, and no stage comes
    after a later one (a progress bar never goes back)."""
    import threading

    from dualrec_audit.audit.pipeline import STAGES

    seen: list[tuple[int, str, float, float]] = []
    result = pipeline.apply(
        sample("clean.mp4"),
        hook=lambda s, d, t: seen.append((threading.get_ident(), s, d, t)),
        profile="bundled_samples",
    )
    assert result.error is None and result.checks["script"].status == "ok"
    assert {ident for ident, *_ in seen} == {threading.get_ident()}
    order = [STAGES.index(s) for _, s, _, _ in seen]
    assert order == sorted(order)
    assert {"probe", "frames", "audio", "script", "rules"} <= {s for _, s, _, _ in seen}
    assert seen[-1][1:] == ("rules", 1, 1)
