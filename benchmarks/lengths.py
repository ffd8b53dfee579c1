"""Benchmark by length: does an audit's memory stay flat and its speed hold from a 20 s
teller's clip to an hour of recording? Run by ``benchmarks/run.py --lengths``.

For each recording: the 20 s sample ``clean.mp4``; a 36 s clip (two samples end to end, cut at
36 s by remuxing); and recordings of ``--lengths-minutes`` (default 10 and 60) built by
``recordings.build_recording`` (``build_samples.concat_recordings``: the samples end to end, no
re-encoding) into the cache, never committed. Each measurement is a fresh process:

- floor: OpenCV decodes every frame (``measure.py floor``), in the same run;
- whole: ``measure.py whole``: what ``check`` does for one file (imports, model loads,
  ``AuditPipeline.apply``) with the time of each stage from the progress hook and the peak
  resident memory of the process (getrusage) and per stage (VmRSS sampled every 50 ms); on
  recordings under 2 minutes a second, warm pass too (the next file of a batch);
- checks: the same with the script engine off too (``--script-model none``): the non-ASR
  checks (faces, video, talk, speech and their decoding), on recordings under 15 minutes;
- check: the ``dualrec-audit check FILE --json`` command as a whole process, start-up included
  (peak VmRSS sampled every 0.1 s); on recordings under 2 minutes (five runs, the median one
  reported with the range: this machine's speed drifts from minute to minute), and once on
  every length with ``--lengths-cli``.

Every audit runs the bundled ``kws-zh-3.3m`` script engine (the recogniser and the spotter)
under the ``bundled_samples`` profile; the transcript model is off (``--asr-model none``).
This is a measurement, not a test: nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from benchmarks.common import PROFILE, SAMPLES, run_meta
from benchmarks.processes import measure, run_cli
from benchmarks.recordings import build_recording, duration_of

SHORT_S = 120.0  # shorter recordings: the `check` command measured, and a warm whole pass
CHECKS_MAX_S = 900.0  # shorter recordings: the non-ASR checks alone measured too
CLIP_S = 36.0
CLI_RUNS = 5  # the check command on short recordings: its median run is reported


def build_clip(seconds: float, cache: Path) -> Path:
    """The samples end to end, cut at ``seconds`` by remuxing (no re-encoding): packets are
    kept by decoding time, so every kept picture has the pictures it refers to."""
    import av

    target = cache / f"clip_{seconds:g}s_720p.mp4"
    if target.exists():
        return target
    source = build_recording(seconds / 60, cache, prefix="clipsrc")
    tmp = target.with_suffix(".part.mp4")
    with av.open(str(source)) as src, av.open(str(tmp), "w") as out:
        vin, ain = src.streams.video[0], src.streams.audio[0]
        vout = out.add_stream_from_template(vin)
        aout = out.add_stream_from_template(ain)
        for pkt in src.demux(vin, ain):
            if pkt.dts is None or float(pkt.dts * pkt.time_base) >= seconds:
                continue
            pkt.stream = vout if pkt.stream.type == "video" else aout
            out.mux(pkt)
    tmp.replace(target)
    return target


def recordings(minutes: list[float], cache: Path) -> list[tuple[str, Path]]:
    out = [("20 s", SAMPLES / "clean.mp4"), (f"{CLIP_S:g} s", build_clip(CLIP_S, cache))]
    return out + [(f"{m:g} min", build_recording(m, cache)) for m in minutes]


def measure_length(path: Path, *, with_cli: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"file": path.name, "duration_s": duration_of(path)}
    short = entry["duration_s"] < SHORT_S
    passes = "2" if short else "1"  # short: also a warm pass (a batch's second file)
    entry["whole"] = measure(
        "whole", path, "--passes", passes, "--asr-model", "none", "--profile", PROFILE
    )
    entry["floor"] = measure("floor", path, "--passes", "1")
    if entry["duration_s"] < CHECKS_MAX_S:  # the non-ASR checks alone, against the floor
        entry["checks"] = measure(
            "whole",
            path,
            "--passes",
            "1",
            "--asr-model",
            "none",
            "--script-model",
            "none",
            "--profile",
            PROFILE,
        )
    if with_cli or short:
        runs = []
        for i in range(CLI_RUNS if short else 1):
            r = run_cli(
                f"dualrec-audit check {path.name} (run {i + 1})",
                [
                    *("check", str(path), "--json", "--no-progress"),
                    *("--asr-model", "none", "--profile", PROFILE),
                ],
            )
            r.pop("stdout", None)
            runs.append(r)
        # The run of median wall time: one run is at the mercy of this machine's drift.
        entry["check_cli"] = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
        entry["check_cli_walls"] = [r["wall_s"] for r in runs]
    return entry


def figures(entry: dict[str, Any]) -> dict[str, Any]:
    """× real time and memory of one length."""
    d = entry["duration_s"]
    whole = entry["whole"]
    p = whole["passes"][0]
    floor_s = entry["floor"]["passes"][0]["parts"]["decode_all"]
    parts = p["parts"]
    out: dict[str, Any] = {
        "file": entry["file"],
        "duration_s": round(d, 1),
        "floor_x": round(d / floor_s, 1),
        "whole_x": round(d / (whole["setup_s"] + p["wall_s"]), 1),
        "whole_x_after_startup": round(d / p["wall_s"], 1),
        "whole_warm_x": round(d / whole["passes"][1]["wall_s"], 1)
        if len(whole["passes"]) > 1
        else None,
        "startup_s": round(whole["setup_s"], 2),
        "stage_s": {k: round(v, 2) for k, v in parts.items()},
        "frames_x": round(d / parts["frames"], 1) if parts.get("frames") else None,
        "frames_vs_floor": round(floor_s / parts["frames"], 2) if parts.get("frames") else None,
        "cpu_s": round(p["cpu_s"], 1),
        "peak_mb": round(whole["rss_mb"]),
        "peak_mb_by_stage": p.get("peak_mb_by_stage"),
        "memory": whole.get("memory"),
        "decision": p.get("decision"),
        "other_cores": round((whole["other_cores"] + entry["floor"]["other_cores"]) / 2, 2),
    }
    checks = entry.get("checks")
    if checks:
        c = checks["passes"][0]
        out["checks_x"] = round(d / c["wall_s"], 1)
        out["checks_vs_floor"] = round(floor_s / c["wall_s"], 2)
        out["checks_cpu_s"] = round(c["cpu_s"], 1)
    cli = entry.get("check_cli")
    if cli:
        out["check_x"] = round(d / cli["wall_s"], 1)
        out["check_wall_s"] = round(cli["wall_s"], 2)
        out["check_cpu_s"] = round(cli["cpu_s"], 1) if cli.get("cpu_s") is not None else None
        out["check_peak_mb"] = round(cli["maxrss_mb"])
        out["check_peak_tree_mb"] = round(cli.get("tree_peak_mb") or 0)
        out["check_other_cores"] = cli.get("other_cores")
        walls = entry.get("check_cli_walls") or [cli["wall_s"]]
        out["check_wall_range"] = [round(min(walls), 2), round(max(walls), 2), len(walls)]
    return out


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        "| recording | floor | whole (cold) | whole (warm) | frames stage | non-ASR checks "
        "| checks / floor | start-up s | peak MB | `check` command | `check` peak MB "
        "| other cores |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")

    def x(v: Any) -> str:
        return f"{v}×" if v else "—"

    for r in rows:
        check = "—"
        if r.get("check_x"):
            lo, hi, n = r.get("check_wall_range") or (r["check_wall_s"], r["check_wall_s"], 1)
            spread = f"; {lo}-{hi} s over {n} runs" if n > 1 else ""
            check = f"{r['check_x']}× ({r['check_wall_s']} s{spread})"
        print(
            f"| {r['file']} ({r['duration_s']} s) | {r['floor_x']}× | {r['whole_x']}× "
            f"| {x(r['whole_warm_x'])} | {r['frames_x']}× | {x(r.get('checks_x'))} "
            f"| {r.get('checks_vs_floor') or '—'} | {r['startup_s']} | {r['peak_mb']} "
            f"| {check} | {r.get('check_peak_mb') or '—'} | {r['other_cores']} |"
        )
    for r in rows:
        print(
            f"{r['file']}: stages {r['stage_s']}; peak MB by stage {r['peak_mb_by_stage']}; "
            f"set-up {r['memory']}"
        )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure every length; returns {"meta", "figures", "raw"}."""
    minutes = [float(m) for m in args.lengths_minutes.split(",") if m.strip()]
    recs = recordings(minutes, args.cache)
    if args.lengths_no_clips:
        recs = recs[2:]
    meta: dict[str, Any] = run_meta()
    t0 = time.perf_counter()
    raw: dict[str, Any] = {}
    for label, path in recs:
        raw[label] = measure_length(path, with_cli=args.lengths_cli)
        if args.json:  # what is measured so far, should a later length not finish
            partial = args.json.with_suffix(".partial.json")
            partial.write_text(json.dumps({"meta": meta, "raw": raw}, indent=2), encoding="utf-8")
    meta["benchmark_wall_s"] = time.perf_counter() - t0
    meta["load_at_end"] = os.getloadavg()
    rows = [figures(e) for e in raw.values()]
    print_table(rows)
    return {"meta": meta, "figures": rows, "raw": raw}
