"""Benchmark: x real time and peak memory of `check`, against the decode-every-frame floor.

    .venv/bin/python benchmarks/run.py [--long-minutes 2] [--asr-model NAME|DIR] [--json OUT]

For each bundled sample and for a longer 720p recording (the samples concatenated, built once
into benchmarks/.cache/), it measures in fresh processes:
- floor: decoding every frame with OpenCV (cv2.VideoCapture.read), nothing else;
- check: the layer-1 pipeline in a fresh process (cold: imports and model loading included),
  then again in the same process (warm: the steady state of a batch scan); per stage
  (frames = decode + faces + video quality; audio = decode + speech; transcript; script)
  and whole, with the process's peak memory.
x real time = recording seconds / wall seconds. This is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"

FLOOR = """
import cv2, resource, sys, time
t0 = time.perf_counter(); cap = cv2.VideoCapture(sys.argv[1]); n = 0
while True:
    ok, _ = cap.read()
    if not ok: break
    n += 1
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print({"frames": n, "wall": wall, "rss_mb": rss})
"""

CHECK = """
import resource, sys, time
t_import = time.perf_counter()
from dualrec_audit.pipeline import AuditOptions, AuditPipeline
asr = sys.argv[2]
pipe = AuditPipeline(AuditOptions(asr_model=asr))
setup = time.perf_counter() - t_import
marks = {}
def hook(stage, done, total):
    now = time.perf_counter()
    marks.setdefault(stage, [now, now])[1] = now
t0 = time.perf_counter()
r = pipe.apply(sys.argv[1], hook)
wall = time.perf_counter() - t0
# Steady state, as in a batch scan: models and libraries already loaded in this process.
marks_cold, marks = marks, {}
t1 = time.perf_counter()
pipe.apply(sys.argv[1], hook)
warm = time.perf_counter() - t1
marks, t0 = marks_cold, t0
order = ["probe", "frames", "audio", "transcript", "script"]
stages, prev = {}, t0
for s in order:
    if s in marks:
        stages[s] = marks[s][1] - prev
        prev = marks[s][1]
print({"duration": r.duration_s, "wall": wall, "warm": warm, "setup": setup, "stages": stages,
       "decision": r.decision, "error": r.error and r.error.code,
       "landmark_runs": r.checks["faces"].details.get("landmark_runs") if r.checks else None,
       "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
"""


def run(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return eval(out.strip().splitlines()[-1])  # our own child's repr of a dict


def build_long(minutes: float) -> Path:
    """Concatenate the samples (same encoder settings) by remuxing, to about ``minutes``."""
    import av

    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / f"long_{minutes:g}min_720p.mp4"
    if target.exists():
        return target
    sources = sorted((ROOT / "sample_videos").glob("*.mp4"))
    tmp = target.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        first = av.open(str(sources[0]))
        vin, ain = first.streams.video[0], first.streams.audio[0]
        vout = out.add_stream_from_template(vin)
        aout = out.add_stream_from_template(ain)
        first.close()
        offset, i = 0.0, 0
        while offset < minutes * 60:
            src = sources[i % len(sources)]
            i += 1
            with av.open(str(src)) as c:
                length = float(c.duration) / 1e6
                for pkt in c.demux():
                    if pkt.dts is None:
                        continue
                    shift = round(offset / pkt.time_base)
                    pkt.pts += shift
                    pkt.dts += shift
                    pkt.stream = vout if pkt.stream.type == "video" else aout
                    out.mux(pkt)
            offset += length + 0.2  # B-frame delay: keep each stream's DTS increasing
    tmp.replace(target)
    return target


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--long-minutes", type=float, default=2.0)
    ap.add_argument("--asr-model", default="none", help="speech model for the transcript stage")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--skip-samples", action="store_true")
    args = ap.parse_args()

    files = [] if args.skip_samples else sorted((ROOT / "sample_videos").glob("*.mp4"))
    files.append(build_long(args.long_minutes))
    rows = []
    for f in files:
        floor = run(FLOOR, str(f))
        check = run(CHECK, str(f), args.asr_model)
        d = check["duration"]
        row = {
            "file": f.name,
            "duration_s": round(d, 1),
            "floor_x": round(d / floor["wall"], 1),
            "check_x": round(d / check["wall"], 1),
            "warm_x": round(d / check["warm"], 1),
            "non_asr_x": round(
                d / sum(v for k, v in check["stages"].items() if k not in ("transcript",)), 1
            ),
            "stages_s": {k: round(v, 2) for k, v in check["stages"].items()},
            "setup_s": round(check["setup"], 2),
            "peak_mb": round(check["rss_mb"]),
            "floor_peak_mb": round(floor["rss_mb"]),
            "landmark_runs": check["landmark_runs"],
            "decision": check["decision"],
        }
        rows.append(row)
        print(
            f"{row['file']:24} {d:6.1f}s  floor {row['floor_x']:5.1f}x  "
            f"cold {row['check_x']:5.1f}x  warm {row['warm_x']:5.1f}x  "
            f"non-ASR {row['non_asr_x']:5.1f}x  peak {row['peak_mb']:5} MB  {row['stages_s']}"
        )
    meta = {
        "machine": f"{platform.machine()}, {platform.processor() or platform.system()}, "
        f"{__import__('os').cpu_count()} cores",
        "python": platform.python_version(),
        "asr_model": args.asr_model,
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
        "time": time.strftime("%Y-%m-%d %H:%M"),
    }
    print(meta)
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
