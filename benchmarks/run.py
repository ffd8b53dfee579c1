"""Benchmark: x real time and peak memory of dualrec-audit, per stage and whole, for `check` and
`scan`, against a naive pipeline and the decode-every-frame floor, all in the same run.

    .venv/bin/python benchmarks/run.py [--quick] [--minutes 10] [--skip-naive] [--skip-scan]
                                       [--asr-model NAME|DIR] [--json OUT]
    .venv/bin/python benchmarks/run.py --encodings [NAME ...] [--encoding-minutes 3]

x real time = recording seconds / wall seconds. Every figure comes from a fresh process
(benchmarks/measure.py KIND, or the dualrec-audit command itself), so that its peak memory is
its own. *Cold* = the first pass in a fresh process with its imports and model loading (what a
single `check` pays); *warm* = the last pass in that process (the steady state of a batch).

- recordings: a 720p H.264 recording of --minutes (default 10) built once into
  benchmarks/.cache/ by remuxing the samples end to end (no re-encoding); --quick uses a
  2-minute one instead, built the same way.
- floor: decoding every frame with OpenCV (cv2.VideoCapture.read), nothing else.
- the script stage alone (benchmarks/measure.py script): the kws-zh pinyin recogniser on the
  speech regions and the keyword spotter verifying the phrases, under the bundled_samples
  profile (its sentences are said all through the recording) and under fund_sale (none of its
  phrases are said: every one is swept for over all the speech, the worst case);
- stages of `check`, each measured alone: decode (the pipeline's sampler at 2 frames/s),
  faces, video quality, audio decode, speech (voice activity, clarity), talk (who talks: the
  mouth tracker's own calls, reported as a share of faces+video+speech), transcript, and from the
  whole pipeline's progress hook: script, rules; then AuditPipeline.apply whole (per stage
  again, decoding overlapped with the frame checks as in production) and the `check` command.
- naive pipeline: every frame through every face model and the video check, the whole audio
  through the recogniser without voice activity detection; reported as a ratio.
- scan: `dualrec-audit scan --workers 1` and `--workers 2` on a folder of recordings; peak
  memory is the sum of the resident memory (VmRSS) of the scan process and its workers,
  sampled from /proc every 0.1 s (Linux only).

- --encodings (alone: nothing else is measured): the first --encoding-minutes of the long
  recording re-encoded like branch recorders (sample_videos/build_encodings.py: H.264 Baseline
  with a key frame every 1 s and 4 s, H.264 High with B-frames, HEVC; 720p25 and 1080p30),
  built once into benchmarks/.cache/encodings/. Per encoding, in the same run: the floor
  (OpenCV decodes every frame, as everywhere in this benchmark), the decoder alone (PyAV
  decodes every frame in full, a thread per core, no pixels), the sampled decode (exact
  and the file's own plan), faces (before: detection at full width on every sample; after:
  tracking and the fast path), video, and the non-ASR checks whole (AuditPipeline.apply,
  transcript and script off), as x real time and as a ratio to the floor. The floor and the
  checks are measured --encoding-rounds times, one right after the other, and the ratio is
  the median of the rounds' (the machine's speed drifts between minutes).

This is a measurement, not a test: nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script: the
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # checkout's packages first

from benchmarks.common import (
    CACHE,
    PROFILE,
    ROOT,
    TEST_MODEL,
    fmt_mb,
    fmt_x,
    run_meta,
    x_rt,
)
from benchmarks.processes import measure, run_cli
from benchmarks.recordings import (
    build_documents_recording,
    build_recording,
    duration_of,
    scan_folder,
)

QUICK_MINUTES = 2.0
QUICK_NAIVE_S = 30.0
TEST_MODEL_ASR_S = 60.0
GOAL_NAIVE_RATIO = 4.0
GOAL_PEAK_MB = 1536.0
GOAL_WHOLE_X = 10.0  # the whole audit with the bundled recogniser, on 2 cores
GOAL_TALK_SHARE = 0.2  # who talks: at most 20 % of the non-ASR checks' time (issue 17)


# -- the figures ------------------------------------------------------------------------------


def cold_warm(m: dict[str, Any], parts: Sequence[str], *, with_setup: bool = True) -> tuple:
    """(cold seconds, warm seconds) of ``parts``: the first pass (+ the set-up) and the last."""
    first, last = m["passes"][0]["parts"], m["passes"][-1]["parts"]
    cold = sum(first.get(p, 0.0) for p in parts) + (m["setup_s"] if with_setup else 0.0)
    return cold, sum(last.get(p, 0.0) for p in parts)


def resolve_asr(choice: str | None) -> tuple[str | None, Path, bool]:
    """(the model option for check and scan, the model folder, is it the random test model)."""
    if choice is None:
        return None, TEST_MODEL, True
    folder = Path(choice)
    if not folder.is_dir():
        from dualrec_audit.models.registry import ModelStore

        located = ModelStore(None).locate(choice)
        return choice, located.path, located.spec.test_only
    test = folder.resolve() == TEST_MODEL.resolve() or folder.name == TEST_MODEL.name
    return str(folder), folder, test


# -- recorder-style encodings (--encodings) ----------------------------------------------------


def build_encoding(name: str, minutes: float, cache: Path) -> Path:
    """The first ``minutes`` of the long recording re-encoded as ``name`` (built once)."""
    sys.path.insert(0, str(ROOT / "sample_videos"))
    import build_encodings

    target = cache / "encodings" / f"{name}_{minutes:g}min.mp4"
    if not target.exists():
        source = build_recording(max(minutes, 2.0), cache)
        print(f"  … building {target.name}", file=sys.stderr, flush=True)
        build_encodings.transcode(source, target, build_encodings.ENCODINGS[name], minutes * 60)
    return target


# (label, measure.py kind, its extra arguments)
CHECKS_ARGS = ("--asr-model", "none", "--script-model", "none", "--passes", "2")
ENCODING_MEASURES = (
    ("floor", "floor", ()),
    ("floor_av", "floor_av", ()),
    ("decode_exact", "decode", ("--decode", "exact", "--passes", "1")),
    ("decode", "decode", ("--passes", "1")),
    ("faces_before", "faces", ("--fast-width", "0", "--track-size", "0", "--passes", "1")),
    ("faces", "faces", ("--passes", "1")),
    ("video", "video", ("--passes", "1")),
    ("checks", "whole", CHECKS_ARGS),
)


def run_encodings(args: argparse.Namespace) -> int:
    """Every encoding built, then measured, then the table; --json for every figure."""
    sys.path.insert(0, str(ROOT / "sample_videos"))
    import build_encodings

    names = args.encodings or list(build_encodings.ENCODINGS)
    files = {n: build_encoding(n, args.encoding_minutes, args.cache) for n in names}
    if args.build_only:
        for f in files.values():
            print(f"{f}\t{duration_of(f):.2f}")
        return 0
    meta: dict[str, Any] = run_meta()
    t_run = time.perf_counter()
    raw: dict[str, Any] = {}
    for name, f in files.items():
        raw[name] = {"duration_s": duration_of(f), "size_mb": f.stat().st_size / 1e6}
        for label, kind, extra in ENCODING_MEASURES:
            raw[name][label] = measure(kind, f, *extra, label=f"{label} ({name})")
        raw[name]["rounds"] = [round_of(raw[name]["floor"], raw[name]["checks"])]
        for i in range(1, args.encoding_rounds):
            floor = measure("floor", f, label=f"floor, round {i + 1} ({name})")
            checks = measure("whole", f, *CHECKS_ARGS, label=f"checks, round {i + 1} ({name})")
            raw[name]["rounds"].append(round_of(floor, checks))
    meta["benchmark_wall_s"] = time.perf_counter() - t_run
    meta["load_at_end"] = os.getloadavg()
    rows = [encoding_row(n, r) for n, r in raw.items()]
    print_encodings(rows, meta)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        doc = {"meta": meta, "rows": rows, "raw": raw}
        args.json.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


def round_of(floor: dict[str, Any], checks: dict[str, Any]) -> dict[str, float]:
    """One round's floor and checks (warm pass), measured one after the other."""
    return {
        "floor_s": float(floor["passes"][-1]["parts"]["decode_all"]),
        "checks_s": float(checks["passes"][-1]["wall_s"]),
    }


def encoding_row(name: str, r: dict[str, Any]) -> dict[str, Any]:
    """One encoding's figures: x real time per stage (warm pass), the checks over the floor.

    The floor and the checks are measured in rounds, one right after the other (this machine's
    speed drifts by 10-20 % from minute to minute): the checks over the floor is the median of
    the rounds' ratios, their floor and checks the medians of their times."""
    d = r["duration_s"]

    def part(label: str, key: str) -> float:
        return float(r[label]["passes"][-1]["parts"][key])

    # A run saved before rounds were measured has its one round in "floor" and "checks".
    rounds = r.get("rounds") or [round_of(r["floor"], r["checks"])]
    ratios = [x["floor_s"] / x["checks_s"] for x in rounds]
    checks_s = statistics.median(x["checks_s"] for x in rounds)
    floor_s = statistics.median(x["floor_s"] for x in rounds)
    over_floor = statistics.median(ratios)
    floor_av_s = part("floor_av", "decode_all")
    labels = [k for k in r if isinstance(r[k], dict) and "other_cores" in r[k]]
    return {
        "encoding": name,
        "duration_s": d,
        "size_mb": r["size_mb"],
        "plan": r["decode"]["plan"]["mode"],
        "keyframe_interval_s": r["decode"]["plan"]["keyframe_interval_s"],
        "floor_x": x_rt(d, floor_s),
        "floor_av_x": x_rt(d, floor_av_s),
        "decode_exact_x": x_rt(d, part("decode_exact", "decode")),
        "decode_x": x_rt(d, part("decode", "decode")),
        "faces_before_x": x_rt(d, part("faces_before", "faces")),
        "faces_x": x_rt(d, part("faces", "faces")),
        "full_detections": r["faces"]["passes"][-1]["full_detections"],
        "tracked": r["faces"]["passes"][-1].get("tracked", 0),
        "samples": r["faces"]["passes"][-1]["frames"],
        "video_x": x_rt(d, part("video", "video")),
        "checks_x": x_rt(d, checks_s),
        "checks_over_floor": over_floor,
        "checks_over_floor_rounds": ratios,
        "checks_over_floor_av": floor_av_s / checks_s if checks_s else None,
        "checks_cpu_s": r["checks"]["passes"][-1]["cpu_s"],
        "floor_cpu_s": r["floor"]["passes"][-1]["cpu_s"],
        "floor_av_cpu_s": r["floor_av"]["passes"][-1]["cpu_s"],
        "decode_cpu_s": r["decode"]["passes"][-1]["cpu_s"],
        "decode_exact_cpu_s": r["decode_exact"]["passes"][-1]["cpu_s"],
        "others_cores": sum(r[k]["other_cores"] for k in labels) / max(1, len(labels)),
        "met": over_floor >= 1.0,
    }


def print_encodings(rows: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    mc = meta["machine"]
    print()
    print(
        f"recorder-style encodings — commit {meta['commit'][:10]}"
        f"{' +changes' if meta['dirty'] else ''} — {mc['cpu']}, {mc['cores']} cores — "
        f"{meta['date']}; load {meta['load_at_start'][0]:.1f} at start, "
        f"{meta['load_at_end'][0]:.1f} at end"
    )
    head = (
        "| encoding | length | plan | floor | decoder only | decode exact | decode | faces before "
        "| faces | video | checks | checks/floor | checks/decoder only "
        "| CPU s: floor, decoder only, decode exact, decode, checks | others |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for x in rows:
        print(
            f"| {x['encoding']} | {x['duration_s']:.0f} s | {x['plan']} "
            f"(key every {x['keyframe_interval_s']} s) | {fmt_x(x['floor_x'])} "
            f"| {fmt_x(x['floor_av_x'])} | {fmt_x(x['decode_exact_x'])} | {fmt_x(x['decode_x'])} "
            f"| {fmt_x(x['faces_before_x'])} | {fmt_x(x['faces_x'])} "
            f"({x['full_detections']}/{x['samples']} full, {x['tracked']} tracked) "
            f"| {fmt_x(x['video_x'])} "
            f"| {fmt_x(x['checks_x'])} | {x['checks_over_floor']:.2f} "
            f"({min(x['checks_over_floor_rounds']):.2f}-{max(x['checks_over_floor_rounds']):.2f}) "
            f"{'met' if x['met'] else 'NOT met'} | {x['checks_over_floor_av']:.2f} "
            f"| {x['floor_cpu_s']:.1f}, {x['floor_av_cpu_s']:.1f}, "
            f"{x['decode_exact_cpu_s']:.1f}, {x['decode_cpu_s']:.1f}, {x['checks_cpu_s']:.1f} "
            f"| {x['others_cores']:.2f} |"
        )
    print(
        "x real time (recording seconds per wall second, warm pass); checks: AuditPipeline.apply "
        "with transcript and script off (faces, video, speech, their decoding); floor: OpenCV "
        "decodes every frame (cv2.VideoCapture.read, the issue's floor); decoder only: PyAV "
        "decodes every frame, no pixels made (a stricter reference); checks/floor ≥ 1: the checks "
        "no slower than decoding every frame (median of the rounds, floor and checks measured one "
        "after the other; their range in brackets; floor and checks: medians of the rounds); "
        "others: cores the rest of the machine used meanwhile"
    )
    print(f"benchmark took {meta['benchmark_wall_s']:.0f} s")


# -- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=" ".join((__doc__ or "").split("\n\n")[0].split()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Figures: a table on stdout; --json OUT for every figure with the commit, "
        "the machine and the library versions.",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"a fast sanity run: the {QUICK_MINUTES:g}-minute recording only, the naive "
        f"pipeline on its first {QUICK_NAIVE_S:g} s, scan on it and the six samples",
    )
    ap.add_argument(
        "--minutes", type=float, default=10.0, help="length of the long recording (default 10)"
    )
    ap.add_argument("--skip-stages", action="store_true", help="no per-stage measurements")
    ap.add_argument("--skip-naive", action="store_true", help="no naive pipeline")
    ap.add_argument("--skip-scan", action="store_true", help="no scan --workers 1/2")
    ap.add_argument("--skip-asr", action="store_true", help="no speech-recogniser measurements")
    ap.add_argument("--skip-documents", action="store_true", help="no documents-check measurements")
    ap.add_argument(
        "--naive-seconds",
        type=float,
        help="run the naive pipeline on the first S seconds only (default: the whole "
        f"recording; --quick: {QUICK_NAIVE_S:g})",
    )
    ap.add_argument(
        "--asr-model",
        help="a trained speech model (name or folder) for the transcript in every "
        "measurement. Default: transcript off in check and scan, and the recogniser "
        "measured with the random-weight test model (not representative)",
    )
    ap.add_argument(
        "--asr-seconds",
        type=float,
        help=f"recogniser measurements on the first S seconds (default: all; the test model: "
        f"{TEST_MODEL_ASR_S:g})",
    )
    ap.add_argument("--passes", type=int, default=2, help="passes per stage process (default 2)")
    ap.add_argument("--cache", type=Path, default=CACHE, help="where recordings are built")
    ap.add_argument(
        "--build-only", action="store_true", help="build the recordings, print them, stop"
    )
    ap.add_argument("--json", type=Path, help="also write every figure here")
    ap.add_argument(
        "--lengths",
        action="store_true",
        help="only the by-length benchmark (benchmarks/lengths.py): 20 s, 36 s and "
        "--lengths-minutes recordings, floor, whole audit per stage, peak memory",
    )
    ap.add_argument(
        "--lengths-minutes",
        default="10,60",
        help="long recordings for --lengths, in minutes (default 10,60)",
    )
    ap.add_argument(
        "--lengths-no-clips",
        action="store_true",
        help="with --lengths: not the 20 s and 36 s clips",
    )
    ap.add_argument(
        "--lengths-cli",
        action="store_true",
        help="with --lengths: the check command on the long recordings too",
    )
    ap.add_argument(
        "--encodings",
        nargs="*",
        metavar="NAME",
        help="measure only the recorder-style encodings (all, or these names of "
        "sample_videos/build_encodings.py)",
    )
    ap.add_argument(
        "--encoding-minutes",
        type=float,
        default=3.0,
        help="length of each encoding's recording (default 3)",
    )
    ap.add_argument(
        "--encoding-rounds",
        type=int,
        default=3,
        help="rounds of the floor then the checks per encoding; the ratio is their median "
        "(default 3)",
    )
    ap.add_argument(
        "--report", type=Path, metavar="JSON", help="print the table of a saved --json run"
    )
    ap.add_argument(
        "--ray-overhead",
        action="store_true",
        help="only scan --ray against scan --workers 2 (benchmarks/ray_overhead.py; needs Ray)",
    )
    args = ap.parse_args(argv)
    if args.ray_overhead:
        from benchmarks import ray_overhead

        return ray_overhead.main(["--json", str(args.json)] if args.json else [])
    if args.report:
        saved = json.loads(args.report.read_text(encoding="utf-8"))
        meta = saved["meta"]
        if "rows" in saved:  # an --encodings run
            print_encodings([encoding_row(n, r) for n, r in saved["raw"].items()], meta)
            return 0
        naive = saved["raw"].get("naive", {}).get("passes", [{}])[0].get("seconds")
        print_report(figures(saved["raw"], meta["recording"]["duration_s"], meta, naive), meta)
        return 0

    if args.lengths:
        from benchmarks import lengths

        out = lengths.run(args)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
        return 0
    if args.encodings is not None:
        return run_encodings(args)
    minutes = QUICK_MINUTES if args.quick else args.minutes
    main_file = build_recording(minutes, args.cache)
    if args.build_only:
        print(f"{main_file}\t{duration_of(main_file):.2f}")
        return 0
    naive_s = args.naive_seconds or (QUICK_NAIVE_S if args.quick else None)
    asr_opt, asr_dir, test_model = resolve_asr(args.asr_model)
    asr_s = args.asr_seconds or (TEST_MODEL_ASR_S if test_model else None)
    whole_asr = asr_opt or "none"
    passes = ["--passes", str(args.passes)]
    duration = duration_of(main_file)

    meta: dict[str, Any] = {
        **run_meta(),
        "recording": {"file": main_file.name, "duration_s": duration},
        "asr": {
            "check_and_scan": whole_asr,
            "recogniser_model": str(asr_dir),
            "test_model": test_model,
            "seconds": asr_s,
        },
        "quick": args.quick,
    }
    print(
        f"benchmark: {main_file.name} ({duration:.1f} s), commit {meta['commit'][:10]}"
        f"{' (uncommitted changes)' if meta['dirty'] else ''}",
        file=sys.stderr,
    )
    t_run = time.perf_counter()
    m: dict[str, Any] = {}
    m["floor"] = measure("floor", main_file)
    if not args.skip_stages:
        for kind in ("decode", "faces", "video", "speech", "talk"):
            m[kind] = measure(kind, main_file, *passes)
    if not args.skip_documents:
        m["documents"] = measure("documents", main_file, *passes)
        docs_file = build_documents_recording(minutes, args.cache)
        meta["documents_recording"] = {"file": docs_file.name, "duration_s": duration_of(docs_file)}
        m["documents_pages"] = measure("documents", docs_file, *passes)
    if not args.skip_asr:
        m["script"] = measure("script", main_file, "--passes", "1", "--profile", PROFILE)
        m["script_missing"] = measure(
            "script", main_file, "--passes", "1", "--profile", "fund_sale",
            label="script (fund_sale: nothing said, all swept)",
        )  # fmt: skip
    m["whole"] = measure(
        "whole", main_file, *passes, "--asr-model", whole_asr, "--profile", PROFILE
    )
    with tempfile.TemporaryDirectory() as tmp:
        m["check_cli"] = run_cli(
            f"dualrec-audit check {main_file.name}",
            [
                *("check", str(main_file), "--json", "--no-progress"),
                *("--asr-model", whole_asr, "--profile", PROFILE),
            ],
        )
        m["check_cli"].pop("stdout")
        if not args.skip_scan:
            folder = scan_folder(main_file, minutes, args.quick, args.cache)
            files = sorted(folder.iterdir())
            m["scan_files"] = {f.name: duration_of(f) for f in files}
            for workers in (1, 2):
                db = f"sqlite:///{tmp}/scan{workers}.db"
                r = run_cli(
                    f"dualrec-audit scan --workers {workers}",
                    [
                        "scan",
                        str(folder),
                        "--db",
                        db,
                        "--create",
                        "--workers",
                        str(workers),
                        "--settle",
                        "0",
                        "--no-progress",
                        "--asr-model",
                        whole_asr,
                        "--profile",
                        PROFILE,
                    ],
                )
                r["summary"] = r.pop("stdout").strip().splitlines()[:1]
                m[f"scan_w{workers}"] = r
    asr_args = ["--asr-model", str(asr_dir), "--passes", "1"]
    if asr_s:
        asr_args += ["--asr-seconds", str(asr_s)]
    if test_model:
        # Random weights fail every temperature-fallback check, so with the default fallback
        # each window is decoded up to six times to the maximum length: greedy only.
        asr_args += ["--asr-temperature", "0"]
    if not args.skip_asr:
        m["asr"] = measure("asr", main_file, *asr_args, label="transcript (speech regions)")
    if not args.skip_naive:
        naive_args = ["--passes", "1"] + (["--seconds", str(naive_s)] if naive_s else [])
        m["naive"] = measure("naive", main_file, *naive_args)
        if not args.skip_asr:
            m["asr_naive"] = measure(
                "asr_naive", main_file, *asr_args, label="naive recogniser (whole audio)"
            )
    meta["benchmark_wall_s"] = time.perf_counter() - t_run
    meta["load_at_end"] = os.getloadavg()
    others = [v["other_cores"] for v in m.values() if isinstance(v, dict) and "other_cores" in v]
    meta["other_cores_mean"] = sum(others) / len(others) if others else None

    report = figures(m, duration, meta, naive_s)
    print_report(report, meta)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"meta": meta, "figures": report, "raw": m}, indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
    return 0


def talk_share(m: dict[str, Any], ours_checks: float | None = None) -> dict[str, float] | None:
    """Who talks (issue 17): the talk stage's warm seconds over the non-ASR checks' seconds
    (goal: at most 20 %). ``share``: over the faces, video and speech checks' own calls timed in
    the same pass of the same process (no decoding counted: the strictest, and independent of
    the machine's load); ``share_of_pipeline``: over the whole pipeline's frames and audio
    stages (decoding included, as the documents goal; another process, another moment)."""
    if "talk" not in m:
        return None
    parts = m["talk"]["passes"][-1]["parts"]
    talk = float(parts["talk"])
    checks = float(parts["faces"] + parts["video"] + parts["speech"])
    out = {"talk_s": talk, "own_calls_s": checks, "share": talk / checks}
    if ours_checks:
        out |= {"pipeline_s": ours_checks, "share_of_pipeline": talk / ours_checks}
    return out


def talk_rows(m: dict[str, Any], row: Any) -> None:
    share = talk_share(m)
    if share is None:
        return
    c, w = cold_warm(m["talk"], ["talk"])
    last = m["talk"]["passes"][-1]
    note = (
        f"{last['crops']} mouth crops; {share['share']:.1%} of the faces, video and speech "
        "checks' own calls in the same pass"
    )
    row("talk (mouth motion, who talks)", c, w, m["talk"]["rss_mb"], note, src="talk")


def figures(
    m: dict[str, Any], d: float, meta: dict[str, Any], naive_s: float | None
) -> dict[str, Any]:
    """Rows of the table and the goals, from the raw measurements."""
    rows: list[dict[str, Any]] = []

    def row(
        name: str,
        cold: float | None,
        warm: float | None,
        peak: float | None,
        note: str = "",
        *,
        cpu: float | None = None,
        seconds: float = d,
        src: str | None = None,
    ) -> None:
        """cold/warm: wall seconds over ``seconds`` of recording; cpu: CPU seconds (warm);
        src: the measurement, for the CPU other processes took meanwhile (in cores)."""
        rows.append(
            {
                "others": m[src].get("other_cores") if src else None,
                "stage": name,
                "cold_x": x_rt(seconds, cold),
                "warm_x": x_rt(seconds, warm),
                "warm_s": warm,
                "cpu_s": cpu,
                "peak_mb": peak,
                "note": note,
            }
        )

    def last_cpu(kind: str) -> float:
        return float(m[kind]["passes"][-1]["cpu_s"])

    floor_s = m["floor"]["passes"][0]["parts"]["decode_all"]
    floor_x = x_rt(d, floor_s)
    frames = m["floor"]["passes"][0]["frames"]
    row(
        "floor: OpenCV decodes every frame",
        None,
        floor_s,
        m["floor"]["rss_mb"],
        f"{frames} frames",
        cpu=last_cpu("floor"),
        src="floor",
    )
    if "decode" in m:
        c, w = cold_warm(m["decode"], ["decode"])
        row(
            "decode (sampled 2/s)",
            c,
            w,
            m["decode"]["rss_mb"],
            f"pipeline's sampler alone, {m['decode']['passes'][-1]['frames']} frames",
            cpu=last_cpu("decode"),
            src="decode",
        )
        for kind in ("faces", "video"):
            c, w = cold_warm(m[kind], [kind])
            note = "its own calls only; peak incl. the decoder"
            row(kind, c, w, m[kind]["rss_mb"], note, src=kind)
        c, w = cold_warm(m["speech"], ["audio_decode"])
        row("audio decode", c, w, m["speech"]["rss_mb"], "16 kHz mono", src="speech")
        c, w = cold_warm(m["speech"], ["speech"], with_setup=False)
        note = "webrtcvad, SNR, clipping"
        row("speech (VAD, clarity)", c, w, m["speech"]["rss_mb"], note, src="speech")
        talk_rows(m, row)
    for key, what in (("documents", "no pages"), ("documents_pages", "pages shown")):
        if key in m:
            c, w = cold_warm(m[key], ["documents"])
            last = m[key]["passes"][-1]
            seconds = d if key == "documents" else meta["documents_recording"]["duration_s"]
            note = (
                f"{what}: {last['page_regions']} page regions, {last['ocr_runs']} OCR runs, "
                f"{last.get('ocr_lines', '?')} lines"
            )
            row(f"documents ({what})", c, w, m[key]["rss_mb"], note, src=key, seconds=seconds)
    if "asr" in m:
        a = m["asr"]
        run_s = a["passes"][0]["parts"]["transcript"]
        label = "TEST MODEL, not representative" if meta["asr"]["test_model"] else "model"
        row(
            "transcript (speech regions)",
            run_s + a["setup_s"],
            run_s,
            a["rss_mb"],
            f"{label}; first {a['audio_s']:.0f} s; {a['passes'][0]['windows']} windows",
            cpu=last_cpu("asr"),
            src="asr",
            seconds=a["audio_s"],
        )
    for key, what in (("script", PROFILE), ("script_missing", "fund_sale")):
        if key in m:
            sm = m[key]
            first = sm["passes"][0]
            for part in ("recogniser", "spotter"):
                secs = first["parts"][part]
                note = f"{what}: {first['found']}/{first['phrases']} phrases found"
                if part == "recogniser":
                    note = f"kws-zh, {first['syllables']} syllables; one thread"
                row(f"script {part} ({what})", secs, secs, sm["rss_mb"], note, src=key)
    whole = m["whole"]
    c, w = cold_warm(whole, ["transcript", "script", "rules"], with_setup=False)
    row("transcript + script + rules", c, w, None, "from the whole pipeline", src="whole")
    wc = whole["setup_s"] + whole["passes"][0]["wall_s"]
    ww = whole["passes"][-1]["wall_s"]
    row(
        "check: AuditPipeline.apply, whole",
        wc,
        ww,
        whole["rss_mb"],
        cpu=last_cpu("whole"),
        src="whole",
    )
    fc, fw = cold_warm(whole, ["frames"], with_setup=False)
    row("  frames (decode+faces+video)", fc, fw, None, "decoding ahead in a thread", src="whole")
    ac, aw = cold_warm(whole, ["audio"], with_setup=False)
    row("  audio (decode+speech)", ac, aw, None, src="whole")
    cli = m["check_cli"]
    row(
        "check command (fresh process)",
        cli["wall_s"],
        None,
        cli["tree_peak_mb"],
        "cold",
        cpu=cli["cpu_s"],
        src="check_cli",
    )
    scans = {}
    if "scan_w1" in m:
        total = sum(m["scan_files"].values())
        for workers in (1, 2):
            r = m[f"scan_w{workers}"]
            scans[workers] = {
                "x": x_rt(total, r["wall_s"]),
                "peak_mb": r["tree_peak_mb"],
                "wall_s": r["wall_s"],
                "cpu_s": r["cpu_s"],
            }
            row(
                f"scan --workers {workers}",
                r["wall_s"],
                None,
                r["tree_peak_mb"],
                f"{len(m['scan_files'])} files, {total:.0f} s; cold; process tree",
                cpu=r["cpu_s"],
                seconds=total,
                src=f"scan_w{workers}",
            )

    goals: dict[str, Any] = {}
    whole_x = x_rt(d, ww)
    goals["whole_with_recogniser"] = {
        "warm_x": whole_x,
        "cold_x": x_rt(d, wc),
        "models": whole.get("models"),
        "met": bool(whole_x and whole_x >= GOAL_WHOLE_X),
    }
    ours_checks = fw + aw  # the face, speech and video checks with their decoding, warm
    ours_x = x_rt(d, ours_checks)
    goals["checks_vs_floor"] = {
        "ours_warm_x": ours_x,
        "ours_cold_x": x_rt(d, fc + ac + whole["setup_s"]),
        "floor_x": floor_x,
        "ours_cpu_s": last_cpu("whole"),  # the whole warm pass (transcript off: the checks)
        "floor_cpu_s": last_cpu("floor"),
        "met": bool(ours_x and floor_x and ours_x >= floor_x),
    }
    for key in ("documents", "documents_pages"):
        if key in m:
            doc_s = m[key]["passes"][-1]["parts"]["documents"]
            goals[key] = {
                "documents_s": doc_s,
                "checks_s": ours_checks,
                "share": doc_s / ours_checks if ours_checks else None,
                "met": bool(ours_checks and doc_s <= 0.3 * ours_checks),
            }
    if "naive" in m:
        n = m["naive"]
        ns = naive_s or d
        ns = min(ns, d)
        parts = n["passes"][0]["parts"]
        naive_x = x_rt(ns, parts["frames"] + parts["audio"])
        ratio = ours_x / naive_x if ours_x and naive_x else None
        goals["vs_naive"] = {
            "naive_x": naive_x,
            "naive_frames_x": x_rt(ns, parts["frames"]),
            "naive_seconds": ns,
            "naive_frames": n["passes"][0]["frames"],
            "naive_landmark_runs": n["passes"][0]["landmark_runs"],
            "naive_peak_mb": n["rss_mb"],
            "naive_cpu_s": n["passes"][0]["cpu_s"],
            "ours_x": ours_x,
            "ratio": ratio,
            "met": bool(ratio and ratio >= GOAL_NAIVE_RATIO),
        }
        if "asr" in m and "asr_naive" in m:
            o, v = m["asr"], m["asr_naive"]
            ot, vt = o["passes"][0]["parts"]["transcript"], v["passes"][0]["parts"]["transcript"]
            goals["recogniser_vs_naive"] = {
                "test_model": meta["asr"]["test_model"],
                "audio_s": o["audio_s"],
                "ours_s": ot,
                "naive_s": vt,
                "ratio": vt / ot if ot else None,
                "ours_windows": o["passes"][0]["windows"],
                "naive_windows": v["passes"][0]["windows"],
                "ours_words": o["passes"][0]["words"],
                "naive_words": v["passes"][0]["words"],
            }
    # The largest process of an audit: the pipeline, the check command, the recogniser alone.
    peak = max(
        [whole["rss_mb"], cli["tree_peak_mb"]] + ([m["asr"]["rss_mb"]] if "asr" in m else [])
    )
    trained = not meta["asr"]["test_model"]
    goals["peak_memory"] = {
        "peak_mb": peak,
        "with_trained_model": trained,
        "met": (peak <= GOAL_PEAK_MB) if trained else None,
    }
    share = talk_share(m, ours_checks)
    if share is not None:
        goals["talk_cost"] = {**share, "met": share["share"] <= GOAL_TALK_SHARE}
    return {"rows": rows, "scan": scans, "goals": goals, "floor_x": floor_x}


def print_report(r: dict[str, Any], meta: dict[str, Any]) -> None:
    mc = meta["machine"]
    rec = meta["recording"]
    print()
    print(
        f"{rec['file']} ({rec['duration_s']:.1f} s, 720p H.264) — commit "
        f"{meta['commit'][:10]}{' +changes' if meta['dirty'] else ''} — {mc['cpu']}, "
        f"{mc['cores']} cores, {mc['ram_gb']} GB — {meta['date']}"
    )
    print(
        f"load: {meta['load_at_start'][0]:.1f} at start, {meta['load_at_end'][0]:.1f} at end; "
        f"other processes used {meta['other_cores_mean']:.2f} cores on average meanwhile"
    )
    print()
    w = max(len(x["stage"]) for x in r["rows"]) + 2
    print(
        f"{'stage':{w}}{'cold':>8}{'warm':>8}{'warm s':>9}{'CPU s':>8}{'peak':>9}{'others':>8}"
        "  note"
    )
    for x in r["rows"]:
        secs = "—" if x["warm_s"] is None else f"{x['warm_s']:.2f}"
        cpu = "—" if x["cpu_s"] is None else f"{x['cpu_s']:.1f}"
        others = "—" if x.get("others") is None else f"{x['others']:.2f}"
        print(
            f"{x['stage']:{w}}{fmt_x(x['cold_x']):>8}{fmt_x(x['warm_x']):>8}{secs:>9}{cpu:>8}"
            f"{fmt_mb(x['peak_mb']):>9}{others:>8}  {x['note']}".rstrip()
        )
    print(
        "warm s: seconds of the warm pass; CPU s: its CPU seconds (all threads/processes); "
        "others: cores the rest of the machine used meanwhile"
    )
    g = r["goals"]
    print()
    print("goals (× real time = recording seconds per wall second):")
    wg = g["whole_with_recogniser"]
    print(
        f"  whole audit with the bundled recogniser ≥ {GOAL_WHOLE_X:g}× on this machine: "
        f"{fmt_x(wg['warm_x'])} warm ({fmt_x(wg['cold_x'])} cold): "
        f"{'met' if wg['met'] else 'NOT met'}"
    )
    c = g["checks_vs_floor"]
    print(
        f"  face+speech+video checks ≥ decode-every-frame floor: ours {fmt_x(c['ours_warm_x'])}"
        f" warm ({fmt_x(c['ours_cold_x'])} cold) vs floor {fmt_x(c['floor_x'])}: "
        f"{'met' if c['met'] else 'NOT met'}; CPU seconds {c['ours_cpu_s']:.1f} vs "
        f"{c['floor_cpu_s']:.1f}"
    )
    if "vs_naive" in g:
        n = g["vs_naive"]
        print(
            f"  ≥{GOAL_NAIVE_RATIO:g}× faster than naive (same checks, every frame, every face "
            f"meshed): naive {fmt_x(n['naive_x'])} on {n['naive_seconds']:.0f} s "
            f"({n['naive_frames']} frames, {n['naive_cpu_s']:.0f} CPU s, peak "
            f"{fmt_mb(n['naive_peak_mb'])}), ours {fmt_x(n['ours_x'])}: {n['ratio']:.1f}× "
            f"{'met' if n['met'] else 'NOT met'}"
        )
    if "recogniser_vs_naive" in g:
        a = g["recogniser_vs_naive"]
        tag = "TEST MODEL, random weights, not representative" if a["test_model"] else "model"
        print(
            f"  recogniser ({tag}), first {a['audio_s']:.0f} s: regions {a['ours_s']:.1f} s "
            f"({a['ours_windows']} windows) vs whole audio without VAD {a['naive_s']:.1f} s "
            f"({a['naive_windows']} windows): {a['ratio']:.2f}×"
        )
    for key, what in (("documents", "no pages"), ("documents_pages", "pages shown")):
        if key in g:
            dg = g[key]
            print(
                f"  documents check ≤ 30 % of the checks' time ({what}): {dg['documents_s']:.1f} s"
                f" vs {dg['checks_s']:.1f} s = {dg['share']:.0%}: "
                f"{'met' if dg['met'] else 'NOT met'}"
            )
    if "talk_cost" in g:
        t = g["talk_cost"]
        pipe = (
            f"; of the pipeline's frames+audio ({t['pipeline_s']:.1f} s): "
            f"{t['share_of_pipeline']:.1%}"
            if "pipeline_s" in t
            else ""
        )
        print(
            f"  who talks ≤ {GOAL_TALK_SHARE:.0%} of the non-ASR checks' time: {t['talk_s']:.1f} s"
            f" vs {t['own_calls_s']:.1f} s (faces+video+speech, same pass) = {t['share']:.1%}: "
            f"{'met' if t['met'] else 'NOT met'}{pipe}"
        )
    p = g["peak_memory"]
    if p["with_trained_model"]:
        verdict = "met" if p["met"] else "NOT met"
    else:
        verdict = "unmeasured (no trained speech model in this run)"
    print(
        f"  peak memory ≤ {GOAL_PEAK_MB:.0f} MB with a base model: "
        f"{fmt_mb(p['peak_mb'])}, {verdict}"
    )
    print(f"benchmark took {meta['benchmark_wall_s']:.0f} s")


if __name__ == "__main__":
    raise SystemExit(main())
