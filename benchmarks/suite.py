"""The main benchmark run (``run.py`` with no mode): the floor, each stage of `check` alone,
the whole pipeline and the `check` command, `scan --workers 1` and `--workers 2`, the
recogniser and the naive pipeline, all on the same recording in the same run; then the
report, and ``--json OUT``.

Each measurement is a fresh process (benchmarks/processes.py); the figures and the printed
table are benchmarks/report.py's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import PROFILE, TEST_MODEL, run_meta, save_run
from benchmarks.processes import measure, run_cli
from benchmarks.recordings import (
    build_documents_recording,
    build_recording,
    duration_of,
    scan_folder,
)
from benchmarks.report import figures, print_report

QUICK_MINUTES = 2.0
QUICK_NAIVE_S = 30.0
TEST_MODEL_ASR_S = 60.0


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


def run_suite(args: argparse.Namespace) -> int:
    """Build the recording (--build-only: print it and stop), measure everything the options
    leave in, print the report; --json for every figure."""
    minutes = QUICK_MINUTES if args.quick else args.minutes
    main_file = build_recording(minutes, args.cache)
    if args.build_only:
        print(f"{main_file}\t{duration_of(main_file):.2f}")
        return 0
    naive_s = args.naive_seconds or (QUICK_NAIVE_S if args.quick else None)
    asr_opt, asr_dir, test_model = resolve_asr(args.asr_model)
    asr_s = args.asr_seconds or (TEST_MODEL_ASR_S if test_model else None)
    whole_asr = asr_opt or "none"
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
    measure_stages(m, meta, args, main_file, minutes, whole_asr)
    measure_commands(m, args, main_file, minutes, whole_asr)
    asr_args = recogniser_args(asr_dir, asr_s, test_model)
    measure_recognisers(m, args, main_file, asr_args, naive_s)
    meta["benchmark_wall_s"] = time.perf_counter() - t_run
    meta["load_at_end"] = os.getloadavg()
    others = [v["other_cores"] for v in m.values() if isinstance(v, dict) and "other_cores" in v]
    meta["other_cores_mean"] = sum(others) / len(others) if others else None

    report = figures(m, duration, meta, naive_s)
    print_report(report, meta)
    if args.json:
        save_run(args.json, {"meta": meta, "figures": report, "raw": m})
    return 0


def measure_stages(
    m: dict[str, Any],
    meta: dict[str, Any],
    args: argparse.Namespace,
    main_file: Path,
    minutes: float,
    whole_asr: str,
) -> None:
    """Into ``m``: the floor, the stages alone, the documents check, the script stage, and the
    whole pipeline."""
    passes = ["--passes", str(args.passes)]
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


def measure_commands(
    m: dict[str, Any], args: argparse.Namespace, main_file: Path, minutes: float, whole_asr: str
) -> None:
    """Into ``m``: the `check` command, then `scan --workers 1` and `--workers 2` (their process
    trees)."""
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


def recogniser_args(asr_dir: Path, asr_s: float | None, test_model: bool) -> list[str]:
    """benchmarks/measure.py's options for the recogniser measurements."""
    asr_args = ["--asr-model", str(asr_dir), "--passes", "1"]
    if asr_s:
        asr_args += ["--asr-seconds", str(asr_s)]
    if test_model:
        # Random weights fail every temperature-fallback check, so with the default fallback
        # each window is decoded up to six times to the maximum length: greedy only.
        asr_args += ["--asr-temperature", "0"]
    return asr_args


def measure_recognisers(
    m: dict[str, Any],
    args: argparse.Namespace,
    main_file: Path,
    asr_args: list[str],
    naive_s: float | None,
) -> None:
    """Into ``m``: the recogniser on the speech regions, the naive pipeline, the naive
    recogniser."""
    if not args.skip_asr:
        m["asr"] = measure("asr", main_file, *asr_args, label="transcript (speech regions)")
    if not args.skip_naive:
        naive_args = ["--passes", "1"] + (["--seconds", str(naive_s)] if naive_s else [])
        m["naive"] = measure("naive", main_file, *naive_args)
        if not args.skip_asr:
            m["asr_naive"] = measure(
                "asr_naive", main_file, *asr_args, label="naive recogniser (whole audio)"
            )
