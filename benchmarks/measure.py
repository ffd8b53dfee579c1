"""One benchmark measurement, run by benchmarks/run.py in a fresh process of its own.

    python benchmarks/measure.py KIND FILE [--fps 2] [--passes 2] [--asr-model DIR]

prints one JSON line: ``setup_s`` (imports and model loading), ``passes`` (one dict per pass
over the file: seconds per part, wall and CPU seconds), ``rss_mb`` (this process's peak
resident memory, getrusage) and what the kind adds. A fresh process per measurement keeps the
peak memory of each one its own. Kinds:

- floor: OpenCV decodes every frame (cv2.VideoCapture.read), nothing else;
- floor_av: PyAV decodes every frame in full, set up as the sampler sets it up but with a
  thread per core (decoding alone), no pixel conversion: the encodings benchmark's stricter
  reference;
- decode: the pipeline's own sampler (media.sample_frames at --fps), pixels included;
- faces, video: the sampler feeds FacesCheck / VideoQualityCheck; only their update() and
  finish() calls are timed (the decoding in between is not);
- speech: load_audio (part "audio_decode") then the speech check (part "speech": voice
  activity, SNR, clipping);
- documents: the sampler feeds the documents check (high_risk_product's 风险揭示书 and an ID
  card); only its update() and finish() calls are timed, with the OCR runs (regions read) and
  the lines recognised counted;
- whole: AuditPipeline.apply (what `check` runs per file), per stage from its progress hook;
- naive: every frame (full frame rate, non-reference frames included) through the same face
  models (YuNet, and the landmarker on every face) and the video check, with the same
  decode-ahead thread as the pipeline; then the audio decode and speech check (--seconds:
  only the first S seconds of the recording);
- script: the script stage alone on the whole recording: the kws-zh pinyin recogniser on the
  speech regions (part "recogniser"), then phrase verification with the keyword spotter (part
  "spotter": windows, and the sweep for phrases not heard) for --profile's phrases;
- asr: the recogniser on the speech regions (clip_timestamps), as the transcript stage runs it;
- asr_naive: the recogniser on the whole audio, no voice activity detection, no clips.

Linux and macOS (resource.getrusage). This is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the checkout's package first
    sys.path.insert(0, str(ROOT))

from benchmarks.procfs import rss_mb  # noqa: E402

T_START = time.perf_counter()


def cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def peak_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


class Pass:
    """Seconds per part of one pass over the file, with wall and CPU time."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}
        self.t0 = time.perf_counter()
        self.c0 = cpu_s()

    def add(self, part: str, seconds: float) -> None:
        self.parts[part] = self.parts.get(part, 0.0) + seconds

    def done(self, **extra: Any) -> dict[str, Any]:
        return {
            "parts": self.parts,
            "wall_s": time.perf_counter() - self.t0,
            "cpu_s": cpu_s() - self.c0,
            **extra,
        }


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

    info = _info(path)
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


def _plan(path: Path, info: Any, args: argparse.Namespace) -> Any:
    from dualrec_audit.media.plan import decode_plan

    return decode_plan(path, info, args.fps, exact=args.decode == "exact")


def _info(path: Path) -> Any:
    from dualrec_audit.media.probe import probe

    return probe(path)


def m_decode(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from dualrec_audit.media.frames import sample_frames

    info = _info(path)
    plan = _plan(path, info, args)
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

    info = _info(path)
    plan = _plan(path, info, args)
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

    info = _info(path)
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

    info = _info(path)
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

    info = _info(path)
    _frame_check("faces", args, 1.0 / args.fps)  # loads the models: set-up
    audio = load_audio(path, SAMPLE_RATE)
    setup = time.perf_counter() - T_START
    passes = [_talk_pass(path, info, audio, args) for _ in range(args.passes)]
    return {"setup_s": setup, "passes": passes}


def _talk_pass(path: Path, info: Any, audio: Any, args: argparse.Namespace) -> dict[str, Any]:
    from dualrec_audit.checks.speech import run_speech_check
    from dualrec_audit.checks.talk import MouthTracker
    from dualrec_audit.media.frames import sample_frames
    from dualrec_audit.media.sound import SAMPLE_RATE

    step = 1.0 / args.fps
    faces, video = _frame_check("faces", args, step), _frame_check("video", args, step)
    mouths = MouthTracker(info)
    p = Pass()
    spent = {"talk": 0.0, "faces": 0.0, "video": 0.0}

    def timed(part: str, fn: Any, *a: Any) -> Any:
        t0 = time.perf_counter()
        out = fn(*a)
        spent[part] += time.perf_counter() - t0
        return out

    def tap(t: float, frame: Any) -> None:
        timed("talk", mouths.tap, t, frame)

    for t, frame in sample_frames(path, info, args.fps, tap=tap):
        timed("faces", faces.update, t, frame)
        timed("video", video.update, t, frame)
        timed("talk", mouths.update, t, faces.last_faces())
    timed("faces", faces.finish, info.duration_s)
    timed("video", video.finish, info.duration_s)
    t0 = time.perf_counter()
    _, analysis = run_speech_check(audio, SAMPLE_RATE, info.duration_s)
    p.add("speech", time.perf_counter() - t0)
    vad = analysis.speech_frames if analysis is not None else None
    result = timed("talk", mouths.finish, info.duration_s, vad)
    for part, secs in spent.items():
        p.add(part, secs)
    d = result.details
    return p.done(crops=d["mouth_crops"], talk=len(d["talk"]))


# Stages the pipeline announces with hook(stage, 0, 1) before it starts them.
ANNOUNCED = ("probe", "audio", "transcript")


def m_whole(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from dualrec_audit.audit.pipeline import STAGES, AuditOptions, AuditPipeline

    options = AuditOptions(
        sample_fps=args.fps,
        decode=args.decode,
        asr_model=args.asr_model or "none",
        script_model=args.script_model,
        profile=args.profile,
    )
    imported_mb = rss_mb()
    pipe = AuditPipeline(options)
    setup = time.perf_counter() - T_START  # imports; the models load during the first pass
    memory = {"imports_mb": imported_mb, "setup_mb": rss_mb()}
    passes = []
    for _ in range(args.passes):
        starts: dict[str, float] = {}
        ends: dict[str, float] = {}
        watch = RssWatch()

        def hook(
            stage: str,
            done: float,
            total: float,
            starts: dict[str, float] = starts,
            ends: dict[str, float] = ends,
            watch: RssWatch = watch,
        ) -> None:
            now = time.perf_counter()
            if stage in ANNOUNCED and done == 0:
                starts.setdefault(stage, now)
            ends[stage] = now
            watch.stage = stage

        p = Pass()
        with watch:
            result = pipe.apply(path, hook)
        # A stage ends where the next one is announced (so the frame checks' finish() counts
        # in "frames"), or at its own last report when the next one is not announced.
        seen = [s for s in STAGES if s in ends]
        prev = p.t0
        for i, stage in enumerate(seen):
            nxt = seen[i + 1] if i + 1 < len(seen) else None
            end = starts.get(nxt, ends[stage]) if nxt else ends[stage]
            p.add(stage, end - prev)
            prev = end
        faces = result.checks.get("faces")
        passes.append(
            p.done(
                plan=result.options.get("decode_plan"),
                events=[[e.check, e.start, e.end] for e in result.events],
                decision=result.decision,
                error=result.error and result.error.code,
                landmark_runs=faces.details.get("landmark_runs") if faces else None,
                peak_mb_by_stage=watch.peaks,
            )
        )
    return {"setup_s": setup, "passes": passes, "models": pipe.models, "memory": memory}


class RssWatch:
    """The peak resident memory while each stage is under way (sampled every 50 ms in a
    thread; ``stage`` is set by the progress hook). "frames" includes the sound thread's work,
    which runs meanwhile."""

    def __init__(self) -> None:
        import threading

        self.stage = "probe"
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            mb = rss_mb()
            self.peaks[self.stage] = max(self.peaks.get(self.stage, 0.0), round(mb, 1))

    def __enter__(self) -> RssWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def m_naive(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every frame through every face model and the video check; then the speech check."""
    from dualrec_audit.checks.speech import run_speech_check
    from dualrec_audit.media.frames import prefetch, sample_frames
    from dualrec_audit.media.sound import SAMPLE_RATE, load_audio

    info = _info(path)
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


def m_script(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from dualrec_audit.checks.script import run_script_check
    from dualrec_audit.checks.speech import run_speech_check
    from dualrec_audit.core.result import CheckResult
    from dualrec_audit.media.sound import SAMPLE_RATE, load_audio
    from dualrec_audit.models.registry import ModelStore
    from dualrec_audit.rules.profiles import get_profile
    from dualrec_audit.speech.select import script_engine

    info = _info(path)
    audio = load_audio(path, SAMPLE_RATE)
    assert audio is not None, "no audio track"
    _, analysis = run_speech_check(audio, SAMPLE_RATE, info.duration_s)
    assert analysis is not None
    engine, reason = script_engine(ModelStore(None), args.script_model)
    assert engine is not None, reason
    engine.load()  # in the set-up, as before (an audit loads it in its sound thread)
    phrases = get_profile(args.profile).phrase_set()
    setup = time.perf_counter() - T_START
    passes = []
    for _ in range(args.passes):
        p = Pass()
        syllables = engine.syllables(audio, analysis.regions)
        p.add("recogniser", time.perf_counter() - p.t0)
        t0 = time.perf_counter()
        transcript = CheckResult("transcript", "ok", details={"model": engine.name})
        result = run_script_check(
            transcript,
            (),
            phrases,
            info.duration_s,
            engine=engine,
            syllables=syllables,
            audio=audio,
            regions=analysis.regions,
        )
        p.add("spotter", time.perf_counter() - t0)
        req = result.details["required"]
        passes.append(
            p.done(
                syllables=len(syllables),
                found=sum(r["status"] == "found" for r in req),
                phrases=len(req),
            )
        )
    return {"setup_s": setup, "passes": passes, "profile": args.profile}


def _asr_setup(path: Path, args: argparse.Namespace) -> tuple[Any, Any, Any, list[Any]]:
    """The audio (first --asr-seconds), its speech regions, and the loaded model; the model's
    encoder calls are counted (one per 30 s window it decodes)."""
    from dualrec_audit.checks.speech import run_speech_check
    from dualrec_audit.media.sound import SAMPLE_RATE, load_audio
    from dualrec_audit.speech.transcriber import WhisperOptions, _load_whisper

    info = _info(path)
    audio = load_audio(path, SAMPLE_RATE)
    assert audio is not None, "no audio track"
    if args.asr_seconds:
        audio = audio[: int(args.asr_seconds * SAMPLE_RATE)]
    seconds = len(audio) / SAMPLE_RATE
    _, analysis = run_speech_check(audio, SAMPLE_RATE, min(info.duration_s, seconds))
    regions = analysis.regions if analysis else []
    temps = tuple(args.asr_temperature) if args.asr_temperature else WhisperOptions().temperature
    options = WhisperOptions(temperature=temps)
    model = _load_whisper(str(Path(args.asr_model)), options.compute_type, options.cpu_threads)
    calls: list[Any] = []
    encode = model.encode

    def counted(features: Any, *a: Any, **kw: Any) -> Any:
        calls.append(1)
        return encode(features, *a, **kw)

    model.encode = counted
    return audio, regions, options, calls


def m_asr(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from dualrec_audit.speech.transcriber import FasterWhisperTranscriber

    audio, regions, options, calls = _asr_setup(path, args)
    tr = FasterWhisperTranscriber(Path(args.asr_model), "bench", "bench", options=options)
    setup = time.perf_counter() - T_START
    passes = []
    for _ in range(args.passes):
        calls.clear()
        p = Pass()
        words = tr.transcribe(audio, regions, language="zh")
        p.add("transcript", time.perf_counter() - p.t0)
        passes.append(p.done(words=len(words), windows=len(calls)))
    return {
        "setup_s": setup,
        "passes": passes,
        "audio_s": len(audio) / 16000,
        "regions": len(regions),
        "region_s": round(sum(b - a for a, b in regions), 2),
        "temperature": list(options.temperature),
    }


def m_asr_naive(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from dualrec_audit.speech.transcriber import _load_whisper

    audio, _regions, o, calls = _asr_setup(path, args)
    model = _load_whisper(str(Path(args.asr_model)), o.compute_type, o.cpu_threads)
    setup = time.perf_counter() - T_START
    passes = []
    for _ in range(args.passes):
        calls.clear()
        p = Pass()
        segments, _ = model.transcribe(
            audio,
            language="zh",
            beam_size=o.beam_size,
            temperature=list(o.temperature),
            condition_on_previous_text=o.condition_on_previous_text,
            word_timestamps=True,
            vad_filter=False,
        )
        words = sum(len(s.words or []) for s in segments)
        p.add("transcript", time.perf_counter() - p.t0)
        passes.append(p.done(words=words, windows=len(calls)))
    return {
        "setup_s": setup,
        "passes": passes,
        "audio_s": len(audio) / 16000,
        "temperature": list(o.temperature),
    }


KINDS = {
    "floor": m_floor,
    "floor_av": m_floor_av,
    "decode": m_decode,
    "faces": m_frame_check,
    "video": m_frame_check,
    "speech": m_speech,
    "talk": m_talk,
    "whole": m_whole,
    "documents": m_documents,
    "naive": m_naive,
    "script": m_script,
    "asr": m_asr,
    "asr_naive": m_asr_naive,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=sorted(KINDS))
    ap.add_argument("file", type=Path)
    ap.add_argument("--fps", type=float, default=2.0, help="frames sampled per second")
    ap.add_argument("--passes", type=int, default=2, help="passes over the file (2: cold, warm)")
    ap.add_argument("--seconds", type=float, help="naive: only the first S seconds")
    ap.add_argument(
        "--decode",
        choices=("auto", "exact"),
        default="auto",
        help="decode, faces, video, "
        "whole: the file's own plan (auto) or every frame in full (exact)",
    )
    ap.add_argument(
        "--fast-width", type=int, default=320, help="faces: FaceParams.fast_width (0: off)"
    )
    ap.add_argument(
        "--track-size", type=int, default=96, help="faces: FaceParams.track_size (0: off)"
    )
    ap.add_argument("--asr-model", help="speech model folder (asr kinds; whole: none if unset)")
    ap.add_argument("--asr-seconds", type=float, help="asr kinds: only the first S seconds")
    ap.add_argument("--script-model", default="auto", help="whole, script: the kws-zh model")
    ap.add_argument("--profile", default="bundled_samples", help="whole, script: the profile")
    ap.add_argument(
        "--asr-temperature", type=float, nargs="+", help="asr kinds: instead of the default"
    )
    args = ap.parse_args()
    out = KINDS[args.kind](args.file, args)
    out["rss_mb"] = peak_mb()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
