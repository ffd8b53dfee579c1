"""Per-file overhead of `scan --ray` against `scan --workers 2`, on the same files, in one run.

    .venv/bin/python benchmarks/ray_overhead.py [--copies 3] [--json OUT]
    .venv/bin/python benchmarks/run.py --ray-overhead      # the same, from the benchmark

The folder holds the six samples in ``--copies`` containers each (mp4, mov, mkv: remuxed, not
re-encoded, so each file is new content with the same audit work). A local Ray cluster of one
node with 2 CPU slots is started in this process (``ray.cluster_utils.Cluster``):
two actors, as two worker processes. Then, alternately and ``--rounds`` times each, a fresh
`scan --workers 2` and a fresh `scan --ray ADDRESS` into new SQLite databases. Both pay their
start-up (worker spawn and model loading; actor creation and model loading) inside the wall
time, as a scan does. Overhead per file = (Ray wall - processes wall) / files. The cluster's
own daemons (GCS, raylet) are not in the scan's process tree: their CPU shows in
``other_cores`` (what every process but the scan used, in cores).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the checkout's packages first
    sys.path.insert(0, str(ROOT))

from benchmarks.common import PROFILE, run_meta  # noqa: E402
from benchmarks.processes import run_measured  # noqa: E402
from benchmarks.recordings import duration_of  # noqa: E402

CONTAINERS = ("mp4", "mov", "matroska")
SUFFIX = {"mp4": ".mp4", "mov": ".mov", "matroska": ".mkv"}
MB = 1 << 20


def build_folder(folder: Path, copies: int) -> list[Path]:
    from tests.hostile import remux

    folder.mkdir(parents=True, exist_ok=True)
    old = time.time() - 3600
    out = []
    for src in sorted((ROOT / "sample_videos").glob("*.mp4")):
        for fmt in CONTAINERS[:copies]:
            dst = folder / f"{src.stem}{SUFFIX[fmt]}"
            if fmt == "mp4":
                shutil.copyfile(src, dst)
            else:
                remux(src, dst, fmt)
            os.utime(dst, (old, old))
            out.append(dst)
    return out


def scan(folder: Path, db: str, *extra: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "dualrec_audit", "scan", str(folder), "--db", db, "--create"]
    cmd += ["--settle", "0", "--no-progress", "--asr-model", "none", "--profile", PROFILE]
    r = run_measured([*cmd, *extra], tree=True)
    if r["rc"] not in (0, 1):
        raise SystemExit(f"scan {' '.join(extra)} failed ({r['rc']}):\n{r['stderr_tail']}")
    r["summary"] = r.pop("stdout").strip().splitlines()[:1]
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=3, help="containers per sample (1-3)")
    ap.add_argument("--rounds", type=int, default=1, help="measurements of each kind")
    ap.add_argument("--json", type=Path, help="also write every figure here")
    args = ap.parse_args(argv)
    from ray.cluster_utils import Cluster

    meta: dict[str, Any] = run_meta()
    runs: dict[str, list[dict[str, Any]]] = {"workers2": [], "ray": []}
    with tempfile.TemporaryDirectory(prefix="drbench-", dir="/tmp") as tmp:
        files = build_folder(Path(tmp) / "share", max(1, min(3, args.copies)))
        seconds = sum(duration_of(f) for f in files)
        os.environ["PYTHONPATH"] = str(ROOT)
        cluster = Cluster(
            initialize_head=True,
            connect=False,
            head_node_args={
                "num_cpus": 2,
                "object_store_memory": 100 * MB,
                "include_dashboard": False,
                "temp_dir": f"{tmp}/ray",
            },
        )
        try:
            for i in range(args.rounds):
                for kind, extra in (
                    ("workers2", ("--workers", "2")),
                    ("ray", ("--ray", cluster.address)),
                ):
                    print(f"  … scan {' '.join(extra)} (round {i + 1})", file=sys.stderr)
                    runs[kind].append(
                        scan(Path(tmp) / "share", f"sqlite:///{tmp}/{kind}{i}.db", *extra)
                    )
        finally:
            cluster.shutdown()
    meta["load_at_end"] = os.getloadavg()
    report = figures(runs, len(files), seconds)
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "figures": report, "raw": runs}, indent=2))
    return 0


def figures(runs: dict[str, list[dict[str, Any]]], n: int, seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {"files": n, "recording_s": round(seconds, 1)}
    for kind, rs in runs.items():
        wall = min(r["wall_s"] for r in rs)
        out[kind] = {
            "wall_s": [round(r["wall_s"], 1) for r in rs],
            "per_file_s": round(wall / n, 2),
            "x_real_time": round(seconds / wall, 2),
            "scan_process_cpu_s": [round(r["cpu_s"], 1) for r in rs],
            "tree_peak_mb": [round(r["tree_peak_mb"]) for r in rs],
            "other_cores": [round(r["other_cores"], 2) for r in rs],
            "summary": rs[0]["summary"],
        }
    best = {k: min(r["wall_s"] for r in rs) for k, rs in runs.items()}
    out["ray_overhead_per_file_s"] = round((best["ray"] - best["workers2"]) / n, 2)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
