"""Benchmark: the cost of the face identity check (issue 29) against the non-ASR checks, on the
10-minute benchmark recording.

    .venv/bin/python -m benchmarks.identity [--minutes 10] [--json OUT]

Two measurements in one process, one after the other:

- **own calls**: one pass over the sampled frames (2 a second) in one thread, the faces,
  video and identity checks' own calls timed, then the speech check (voice activity and
  clarity) on the whole audio; identity's share of faces + video + speech. Decoding is not
  counted. Being one pass of one thread, the share does not depend on the machine's load.
- **whole**: ``AuditPipeline.apply`` with the transcript and script off (the non-ASR checks,
  as in production: decoding, frame checks and sound in their threads), once with the identity
  check off and once with it on, and the identity check's own calls timed inside the second.
  Wall times on a shared machine drift: the own-call time is the figure to read.

This is a measurement, not a test: nothing here asserts on a time. Report the commit, the date
and the machine's load with its figures (docs/identity.md).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.common import CACHE
from benchmarks.recordings import build_recording


def own_calls(path: Path, params: Any) -> dict[str, Any]:
    """One pass: faces, video and identity timed per call; then the speech check."""
    from dualrec_audit.checks.faces import FacesCheck
    from dualrec_audit.checks.identity import IdentityCheck
    from dualrec_audit.checks.speech import run_speech_check
    from dualrec_audit.checks.video import VideoQualityCheck
    from dualrec_audit.media.frames import sample_frames
    from dualrec_audit.media.probe import probe
    from dualrec_audit.media.sound import SAMPLE_RATE, load_audio
    from dualrec_audit.models.registry import ModelStore

    store = ModelStore(None)
    info = probe(path)
    step = 0.5
    faces = FacesCheck(store.locate("yunet").path, store.locate("face_landmarker").path)
    video = VideoQualityCheck(sample_step=step)
    identity = IdentityCheck(store.locate("dlib-face-id").path, params, step=step)
    spent = {"faces": 0.0, "video": 0.0, "identity": 0.0, "speech": 0.0}
    cpu = dict(spent)

    def timed(part: str, fn: Any, *a: Any) -> Any:
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn(*a)
        spent[part] += time.perf_counter() - t0
        cpu[part] += time.process_time() - c0
        return out

    for t, frame in sample_frames(path, info, 1 / step):
        timed("faces", faces.update, t, frame)
        timed("video", video.update, t, frame)
        found, extras = faces.last_faces(), faces.last_extras()
        timed("identity", identity.update, t, frame, found, extras)
    timed("faces", faces.finish, info.duration_s)
    timed("video", video.finish, info.duration_s)
    result = timed("identity", identity.finish, info.duration_s)
    audio = load_audio(path, SAMPLE_RATE)
    timed("speech", run_speech_check, audio, SAMPLE_RATE, info.duration_s)
    others = spent["faces"] + spent["video"] + spent["speech"]
    others_cpu = cpu["faces"] + cpu["video"] + cpu["speech"]
    return {
        "seconds": {k: round(v, 2) for k, v in spent.items()},
        "cpu_seconds": {k: round(v, 2) for k, v in cpu.items()},
        "identity_share": round(spent["identity"] / others, 4),
        "identity_share_cpu": round(cpu["identity"] / others_cpu, 4),
        "descriptors": result.details["descriptors"],
        "changes": result.details["changes"],
        "recording_s": round(info.duration_s, 1),
    }


def whole(path: Path, params: Any) -> dict[str, Any]:
    """AuditPipeline.apply (transcript and script off) without and with the identity check."""
    from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline
    from dualrec_audit.checks import identity as identity_module

    base = AuditOptions(asr_model="none", script_model="none", profile="bundled_samples")
    spent = [0.0, 0.0]
    update = identity_module.IdentityCheck.update

    def timed_update(self: Any, *a: Any, **kw: Any) -> None:
        t0, c0 = time.perf_counter(), time.thread_time()
        update(self, *a, **kw)
        spent[0] += time.perf_counter() - t0
        spent[1] += time.thread_time() - c0

    out: dict[str, Any] = {}
    for label, enabled in (("without", False), ("with", True)):
        options = replace(base, identity=replace(params, enabled=enabled))
        pipe = AuditPipeline(options)
        identity_module.IdentityCheck.update = timed_update  # type: ignore[method-assign]
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            result = pipe.apply(path)
            out[f"{label}_s"] = round(time.perf_counter() - t0, 1)
            out[f"{label}_cpu_s"] = round(time.process_time() - c0, 1)
        finally:
            identity_module.IdentityCheck.update = update  # type: ignore[method-assign]
        out[f"{label}_events"] = sorted({e.check for e in result.events})
    out["identity_update_s"] = round(spent[0], 2)
    out["identity_update_cpu_s"] = round(spent[1], 2)
    out["identity_share_of_whole"] = round(spent[0] / out["without_s"], 4)
    out["identity_share_of_whole_cpu"] = round(spent[1] / out["without_cpu_s"], 4)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--skip-whole", action="store_true")
    parser.add_argument("--skip-own", action="store_true")
    parser.add_argument("--interval", type=float, default=None, help="identity interval_s")
    args = parser.parse_args(argv)
    from dualrec_audit.checks.identity import IdentityParams

    params = IdentityParams()
    if args.interval is not None:
        params = replace(params, interval_s=args.interval)
    path = build_recording(args.minutes, CACHE)
    report: dict[str, Any] = {"recording": str(path), "load_before": os.getloadavg()}
    report["interval_s"] = params.interval_s
    if not args.skip_own:
        report["own_calls"] = own_calls(path, params)
        report["load_after_own"] = os.getloadavg()
    if not args.skip_whole:
        report["whole"] = whole(path, params)
        report["load_after_whole"] = os.getloadavg()
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
