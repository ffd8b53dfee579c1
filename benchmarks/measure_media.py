"""The measurements of decoding and of the checks fed by frames or sound: the floors, the
sampled decode, faces and video (their own calls timed), speech, documents, who talks, and the
naive pipeline (every frame through every face model). Each ``m_KIND(path, args)`` returns
the set-up seconds and one dict per pass.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from benchmarks.measure_base import T_START, Pass, info_of, plan_of


def m_floor(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    import cv2

    setup = time.perf_counter() - T_START
    p = Pass()
    cap = cv2.VideoCapture(str(path))
    n = 0
    t0 = time.perf_counter()
    while True:
        ok, _ = cap.read()
        if not ok:
            break
        n += 1
    p.add("decode_all", time.perf_counter() - t0)
    cap.release()
    return {"setup_s": setup, "passes": [p.done(frames=n)]}


def m_floor_av(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from dataclasses import replace

    from dualrec_audit.media.frames import _configure
    from dualrec_audit.media.plan import decode_plan
    from dualrec_audit.media.probe import open_media
    from dualrec_audit.media.threads import usable_cores

    info = info_of(path)
    # Decoding alone: every core is the decoder's (the sampler leaves half to the checks).
    plan = replace(decode_plan(path, info, args.fps, exact=True), threads=usable_cores())
    setup = time.perf_counter() - T_START
    p = Pass()
    n = 0
    with open_media(path) as container:
        vs = _configure(container.streams.video[0], plan)
        for _frame in container.decode(vs):
            n += 1
    p.add("decode_all", time.perf_counter() - p.t0)
    return {"setup_s": setup, "passes": [p.done(frames=n)], "plan": plan.to_dict()}


def m_decode(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from dualrec_audit.media.frames import sample_frames

    info = info_of(path)
    plan = plan_of(path, info, args)
    setup = time.perf_counter() - T_START
    passes = []
    for _ in range(args.passes):
        p = Pass()
        n = 0
        t0 = time.perf_counter()
        for _t, _frame in sample_frames(path, info, args.fps, plan=plan):
            n += 1
        p.add("decode", time.perf_counter() - t0)
        passes.append(p.done(frames=n))
    return {"setup_s": setup, "passes": passes, "plan": plan.to_dict()}


def _frame_check(kind: str, args: argparse.Namespace, step: float, landmarks: str = "edge") -> Any:
    from dualrec_audit.checks.faces import FaceParams, FacesCheck
    from dualrec_audit.checks.video import VideoQualityCheck
    from dualrec_audit.models.registry import ModelStore

    if kind == "video":
        return VideoQualityCheck(sample_step=step)
    store = ModelStore(None)
    return FacesCheck(
        store.locate("yunet").path,
        store.locate("face_landmarker").path,
        FaceParams(
            landmarks=landmarks,  # type: ignore[arg-type]
            fast_width=args.fast_width,
            track_size=args.track_size,
        ),
        sample_step=step,
    )


def m_frame_check(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """faces or video: the check's own calls timed, the decoding that feeds them not."""
    import cv2  # noqa: F401  (imports and models are set-up, as in the pipeline)

    from dualrec_audit.checks import opencv_threads
    from dualrec_audit.media.threads import usable_cores

    info = info_of(path)
    plan = plan_of(path, info, args)
    step = 1.0 / args.fps
    check = _frame_check(args.kind, args, step)  # loads the models: set-up
    setup = time.perf_counter() - T_START
    with opencv_threads(usable_cores()):  # OpenCV's threads as in the pipeline
        return {"setup_s": setup, "passes": _frame_passes(path, info, plan, check, args)}


def _frame_passes(path: Path, info: Any, plan: Any, check: Any, args: argparse.Namespace) -> list:
    from dualrec_audit.media.frames import sample_frames

    step = 1.0 / args.fps
    passes = []
    for i in range(args.passes):
        if i:
            check = _frame_check(args.kind, args, step)  # models cached in the process
        p = Pass()
        spent = 0.0
        n = 0
        for t, frame in sample_frames(path, info, args.fps, plan=plan):
            t0 = time.perf_counter()
            check.update(t, frame)
            spent += time.perf_counter() - t0
            n += 1
        t0 = time.perf_counter()
        result = check.finish(info.duration_s)
        spent += time.perf_counter() - t0
        p.add(args.kind, spent)
        extra = {"frames": n, "events": len(result.events)}
        if args.kind == "faces":
            extra["landmark_runs"] = result.details["landmark_runs"]
            extra["full_detections"] = result.details["full_detections"]
            extra["tracked"] = result.details["tracked"]
        passes.append(p.done(**extra))
    return passes


def m_speech(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from dualrec_audit.checks.speech import run_speech_check
    from dualrec_audit.media.sound import SAMPLE_RATE, load_audio

    info = info_of(path)
    setup = time.perf_counter() - T_START
    passes = []
    for _ in range(args.passes):
        p = Pass()
        t0 = time.perf_counter()
        audio = load_audio(path, SAMPLE_RATE)
        p.add("audio_decode", time.perf_counter() - t0)
        t0 = time.perf_counter()
        result, analysis = run_speech_check(audio, SAMPLE_RATE, info.duration_s)
        p.add("speech", time.perf_counter() - t0)
        regions = analysis.regions if analysis else []
        passes.append(
            p.done(
                speech_s=result.details.get("speech_seconds"),
                regions=len(regions),
                region_s=round(sum(b - a for a, b in regions), 2),
            )
        )
    return {"setup_s": setup, "passes": passes}


def m_documents(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The documents check's own calls timed (page finding on every sample, OCR on pages)."""
    from dualrec_audit.checks.documents import DocumentsCheck, DocumentSpec
    from dualrec_audit.media.frames import sample_frames
    from dualrec_audit.vision import ocr

    info = info_of(path)
    specs = (
        DocumentSpec("risk_disclosure", ("风险揭示书",)),
        DocumentSpec("customer_id", ("居民身份证",), kind="id_card", min_seconds=2.0),
    )
    ocr.versions()
    ocr._engine()  # set-up: the OCR models load once per process
    setup = time.perf_counter() - T_START
    passes = []
    for _ in range(args.passes):
        check = DocumentsCheck(specs, sample_step=1.0 / args.fps)
        p = Pass()
        spent = 0.0
        for t, frame in sample_frames(path, info, args.fps):
            t0 = time.perf_counter()
            check.update(t, frame)
            spent += time.perf_counter() - t0
        t0 = time.perf_counter()
        result = check.finish(info.duration_s)
        spent += time.perf_counter() - t0
        p.add("documents", spent)
        d = result.details
        shown = [x["id"] for x in d["documents"] if x["status"] == "shown"]
        counts = {k: d[k] for k in ("ocr_runs", "ocr_lines", "page_regions")}
        passes.append(p.done(**counts, shown=shown))
    return {"setup_s": setup, "passes": passes}


def m_talk(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Who talks (issue 17): the mouth tracker's own calls timed (the decoder tap keeping a
    frame 10 times a second, the mouth crops and their motion, the talk intervals) and, in the
    same pass of the same process, the non-ASR checks' own calls (faces, video, speech: voice
    activity and clarity), so that their ratio does not depend on the machine's load."""
    from dualrec_audit.media.sound import SAMPLE_RATE, load_audio

    info = info_of(path)
    _frame_check("faces", args, 1.0 / args.fps)  # loads the models: set-up
    audio = load_audio(path, SAMPLE_RATE)
    store = _voice_store()
    setup = time.perf_counter() - T_START
    # with the talk check, then without, alternating: the difference of the passes' CPU
    passes = [_talk_pass(path, info, audio, args, store, k % 2 == 0) for k in range(args.passes)]
    return {"setup_s": setup, "passes": passes}


def _voice_store() -> Any:
    """The models' store with the voice model loaded (set-up), or None without it."""
    from dualrec_audit.core.errors import ModelError
    from dualrec_audit.models.registry import ModelStore
    from dualrec_audit.speech.voice import voice_encoder

    try:
        voice_encoder(ModelStore())
    except ModelError:
        return None
    return ModelStore()


def _talk_pass(
    path: Path,
    info: Any,
    audio: Any,
    args: argparse.Namespace,
    store: Any = None,
    talk: bool = True,
) -> dict[str, Any]:
    """One pass; ``talk`` includes the noisy spans heard enhanced (part ``denoise`` too) and
    the turns' voices (part ``voice`` too) when ``store``.
    Each part's wall seconds, and its CPU seconds as ``cpu_PART``: the CPU time of the thread
    that made the call, during the call (the talk check's calls are single-threaded; the
    faces' may use other threads too, so theirs is a lower bound). ``talk=False``: the same
    pass without the talk check (no tap, no mouths, no voices): the pass's ``cpu_s`` against
    one with it gives the talk's whole CPU cost, whatever thread it runs in."""
    from dualrec_audit.checks.speech import SpeechParams, run_speech_check, voice_frames
    from dualrec_audit.checks.talk import MouthTracker
    from dualrec_audit.checks.talk_gate import VoiceGate
    from dualrec_audit.checks.talk_hum import talk_voice
    from dualrec_audit.checks.talk_voice import VoiceTurns, turn_voices
    from dualrec_audit.media.frames import sample_frames
    from dualrec_audit.media.sound import SAMPLE_RATE

    step = 1.0 / args.fps
    faces, video = _frame_check("faces", args, step), _frame_check("video", args, step)
    mouths = MouthTracker(info)
    p = Pass()
    spent = {"talk": 0.0, "faces": 0.0, "video": 0.0, "speech": 0.0, "voice": 0.0, "denoise": 0.0}
    cpu = dict.fromkeys(spent, 0.0)

    def timed(part: str, fn: Any, *a: Any) -> Any:
        t0, c0 = time.perf_counter(), time.thread_time()
        out = fn(*a)
        spent[part] += time.perf_counter() - t0
        cpu[part] += time.thread_time() - c0
        return out

    def tap(t: float, frame: Any) -> None:
        timed("talk", mouths.tap, t, frame)

    # The sound first, as the audit's sound thread is ahead of the picture: the gate knows
    # the voice from the first frame (``--talk-gate off``: every sampled frame cropped).
    _, analysis = timed("speech", run_speech_check, audio, SAMPLE_RATE, info.duration_s)
    if talk and args.talk_gate == "on":
        mouths.gate = VoiceGate(mouths.p)
        regions = analysis.regions if analysis is not None else ()
        mouths.gate.hear(voice_frames(analysis), regions)
    for t, frame in sample_frames(path, info, args.fps, tap=tap if talk else None):
        timed("faces", faces.update, t, frame)
        timed("video", video.update, t, frame)
        if talk:
            timed("talk", mouths.update, t, faces.last_faces())
    timed("faces", faces.finish, info.duration_s)
    timed("video", video.finish, info.duration_s)
    if talk:
        # the noisy spans heard enhanced: the hum's voice frames taken out (checks/talk_hum.py)
        vad = timed("denoise", talk_voice, audio, analysis, SpeechParams()).frames
        voices = timed("voice", turn_voices, audio, vad, store) if store else VoiceTurns()
        snr = analysis.snr_db if analysis is not None else ()
        result = timed("talk", mouths.finish, info.duration_s, vad, (), voices, snr)
    spent["talk"] += spent["voice"] + spent["denoise"]
    cpu["talk"] += cpu["voice"] + cpu["denoise"]
    for part in spent:
        p.add(part, spent[part])
        p.add(f"cpu_{part}", cpu[part])
    talked = result.details["talk"] if talk else []
    crops = mouths.measured if talk else 0
    return p.done(crops=crops, talk=len(talked), with_talk=talk, gate=args.talk_gate)


def m_naive(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every frame through every face model and the video check; then the speech check."""
    from dualrec_audit.checks.speech import run_speech_check
    from dualrec_audit.media.frames import prefetch, sample_frames
    from dualrec_audit.media.sound import SAMPLE_RATE, load_audio

    info = info_of(path)
    step = 1.0 / info.fps
    seconds = min(args.seconds or info.duration_s, info.duration_s)
    _frame_check("faces", args, step, "always")  # load the face models: set-up
    setup = time.perf_counter() - T_START
    passes = []
    for _ in range(args.passes):
        checks = (
            _frame_check("faces", args, step, "always"),
            _frame_check("video", args, step),
        )
        p = Pass()
        n = 0
        # A sampling rate far above the frame rate: every frame is decoded and converted
        # (the sampler skips non-reference frames only when sampling below half the rate).
        for t, frame in prefetch(sample_frames(path, info, 1000.0)):
            if t >= seconds:
                break
            for c in checks:
                c.update(t, frame)
            n += 1
        for c in checks:
            c.finish(seconds)
        p.add("frames", time.perf_counter() - p.t0)
        t0 = time.perf_counter()
        audio = load_audio(path, SAMPLE_RATE)
        if audio is not None:
            audio = audio[: int(seconds * SAMPLE_RATE)]
        run_speech_check(audio, SAMPLE_RATE, seconds)
        p.add("audio", time.perf_counter() - t0)
        passes.append(p.done(frames=n, seconds=seconds, landmark_runs=checks[0].landmark_runs))
    return {"setup_s": setup, "passes": passes}
