"""The measurements of the audit as a whole and of its speech recognisers: AuditPipeline.apply
per stage (from its progress hook, with the memory per stage), the script stage alone (kws-zh
recogniser and spotter), and the transcript recogniser on the speech regions or, naively, on
the whole audio.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from benchmarks.measure_base import T_START, Pass, RssWatch, info_of
from benchmarks.procfs import rss_mb

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


def m_script(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from dualrec_audit.checks.script import run_script_check
    from dualrec_audit.checks.speech import run_speech_check
    from dualrec_audit.core.result import CheckResult
    from dualrec_audit.media.sound import SAMPLE_RATE, load_audio
    from dualrec_audit.models.registry import ModelStore
    from dualrec_audit.rules.profiles import get_profile
    from dualrec_audit.speech.select import script_engine

    info = info_of(path)
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

    info = info_of(path)
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
