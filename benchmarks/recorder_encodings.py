"""The recorder-style encodings benchmark (``run.py --encodings``): the first minutes of the
long recording re-encoded like branch recorders (sample_videos/build_encodings.py), each
measured against the floor (decoding every frame), and the table of them.

The floor and the checks are measured in rounds, one right after the other; the ratio is the
median of the rounds'. ``encoding_row`` also reads runs saved before rounds were measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, fmt_x, run_meta, save_run, x_rt
from benchmarks.processes import measure
from benchmarks.recordings import build_recording, duration_of


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
        save_run(args.json, {"meta": meta, "rows": rows, "raw": raw})
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
