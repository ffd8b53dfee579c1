"""Guided recording under load: a long 720p25 recording (the samples end to end, remuxed)
played through ``dualrec-audit record --source FILE --realtime --headless`` as a camera and a
microphone would deliver it, and the session's own figures: the largest lag between a moment
arriving and its checks done (picture and sound), the sampled frames dropped, peak RSS, the
CPU share of the recorder and of everything else on the machine, and the audit after stop.

    PYTHONPATH=. .venv/bin/python benchmarks/record_live.py --minutes 10 --json OUT.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import CACHE, CHILD_ENV, PROFILE, ROOT, run_meta, save_run
from benchmarks.procfs import busy_s
from benchmarks.recordings import build_recording, duration_of


def measure(minutes: float, cache: Path) -> dict[str, Any]:
    source = build_recording(minutes, cache)
    with tempfile.TemporaryDirectory(prefix="record-bench-") as tmp:
        out, hints = Path(tmp) / "session.mp4", Path(tmp) / "hints.jsonl"
        cmd = [
            sys.executable, "-m", "dualrec_audit", "record", "--headless", "--realtime",
            "--source", str(source), "--out", str(out), "--hints", str(hints),
            "--profile", PROFILE,
        ]  # fmt: skip
        busy0, wall0, load0 = busy_s(), time.monotonic(), os.getloadavg()
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env={**os.environ, **CHILD_ENV}, cwd=ROOT
        )
        wall, busy = time.monotonic() - wall0, busy_s() - busy0
        if proc.returncode != 0:
            raise SystemExit(f"record failed ({proc.returncode}): {proc.stderr[-2000:]}")
        lines = [json.loads(x) for x in hints.read_text(encoding="utf-8").splitlines()]
        summary = lines[-1]
        notices = lines[:-1]
        saved_s = duration_of(out)
    mine = summary["cpu_s"]
    return {
        "source": source.name,
        "source_s": round(duration_of(source), 1),
        "saved_s": round(saved_s, 1),
        "wall_s": round(wall, 1),
        "load_during": [round(x, 2) for x in load0] + [round(x, 2) for x in os.getloadavg()],
        "machine_cpu_share": round(busy / wall, 2),  # of all cores together, in cores
        "others_cpu_share": round(max(0.0, busy - mine) / wall, 2),
        "hints": sum(1 for n in notices if n["kind"] == "hint"),
        "stages_ticked": sum(1 for n in notices if n["kind"] == "stage"),
        **summary,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)
    doc = {**run_meta(), "record_live": measure(args.minutes, CACHE)}
    print(json.dumps(doc["record_live"], indent=1, ensure_ascii=False))
    if args.json:
        save_run(args.json, doc)


if __name__ == "__main__":
    main()
