"""Running a process and measuring it: wall and CPU seconds, peak memory (its own, or its
process tree's), and the CPU the rest of the machine used meanwhile; a measurement
(benchmarks/measure.py KIND) or the dualrec-audit command run so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import CHILD_ENV, MEASURE, ROOT
from benchmarks.procfs import busy_s, proc_tree, rss_mb


def run_measured(
    cmd: Sequence[str], *, tree: bool = False, cwd: Path | None = None
) -> dict[str, Any]:
    """Run ``cmd`` (in ``cwd``, default the checkout: ``-m dualrec_audit`` imports its
    package) and return its wall and CPU seconds, its exit status, its stdout, and with
    ``tree`` the peak of the summed VmRSS of it and its descendants (sampled every 0.1 s);
    ``other_cores``: the CPU the rest of the machine used meanwhile, in cores."""
    env = {**os.environ, **CHILD_ENV}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        busy0, t0 = busy_s(), time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, cwd=cwd or ROOT, env=env)
        peak = [0.0, 0]  # MB, processes
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                pids = proc_tree(proc.pid)
                peak[0] = max(peak[0], sum(rss_mb(p) for p in pids))
                peak[1] = max(peak[1], len(pids))
                stop.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        if tree:
            sampler.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        busy = busy_s() - busy0
        stop.set()
        if tree:
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    cpu = ru.ru_utime + ru.ru_stime
    result: dict[str, Any] = {
        "rc": proc.returncode,
        "wall_s": wall,
        "cpu_s": cpu,
        "maxrss_mb": ru.ru_maxrss / 1024,  # the process's own peak (getrusage, Linux: KiB)
        "other_cores": max(0.0, (busy - cpu) / wall) if wall > 0 else 0.0,
        "stdout": stdout,
        "stderr_tail": stderr[-2000:],
    }
    if tree:
        result["tree_peak_mb"] = peak[0]
        result["processes"] = peak[1]
    return result


def measure(kind: str, file: Path, *args: str, label: str | None = None) -> dict[str, Any]:
    """benchmarks/measure.py KIND FILE in a fresh process: its JSON, with the run's figures."""
    name = label or kind
    print(f"  … {name} on {file.name}", file=sys.stderr, flush=True)
    r = run_measured([sys.executable, str(MEASURE), kind, str(file), *args])
    if r["rc"] != 0:
        raise SystemExit(f"measure {kind} failed ({r['rc']}):\n{r['stderr_tail']}")
    out = json.loads(r["stdout"].strip().splitlines()[-1])
    out["other_cores"] = r["other_cores"]
    out["process_wall_s"] = r["wall_s"]
    return out


def run_cli(name: str, args: Sequence[str]) -> dict[str, Any]:
    print(f"  … {name}", file=sys.stderr, flush=True)
    r = run_measured([sys.executable, "-m", "dualrec_audit", *args], tree=True)
    if r["rc"] not in (0, 1):
        raise SystemExit(f"{name} failed ({r['rc']}):\n{r['stderr_tail']}")
    return r
