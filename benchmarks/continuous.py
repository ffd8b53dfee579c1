"""`check` on a 10-minute recording where Mandarin speech never stops, with the profile's
phrases said and with them all missing (issue 34). Figures in docs/speed.md.

The recording is built from the shared media into the cache (never committed): a 79-second
two-party composite of ``tests/talk_composites.py`` (the GRID faces, each turn one of the
Mandarin clips of ``speech_zh`` and the keyword model's ``test_wavs`` dubbed over the moving
face, 0.25 s between turns: speech about 90 % of the time), remuxed end to end to 10 minutes.
Each run is a whole process, as the issue's table measures it; every run is a row, with the
floor (OpenCV decoding every frame) from the same run:

- floor: ``measure.py floor``;
- ``check --script-model none``;
- phrases said: ``check`` under ``bench_said`` (a profile written into the cache whose
  required phrases are words the clips say);
- phrases missing: ``check`` under ``fund_sale`` (none of its phrases is ever said).

Every ``check`` runs with ``--asr-model none`` (the pinyin recogniser and the keyword spotter
are the script check's evidence). ``--code DIR`` runs ``check`` from another checkout (e.g.
``git archive main``) in the same session: the before/after ratio under the same load.

    PYTHONPATH=$PWD DUALREC_TEST_MEDIA=../shared/media DUALREC_AUDIT_MODELS=$PWD/models \
        nice -n 10 .venv/bin/python benchmarks/continuous.py [--minutes 10] [--code DIR] \
        [--runs floor,none,said,missing] [--json OUT]

This is a measurement, not a test: nothing here asserts on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import CACHE, MEASURE, ROOT, run_meta, save_run, x_rt
from benchmarks.processes import run_measured
from benchmarks.recordings import build_recording, duration_of

KWS_FOLDER = "sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile"
CLIPS = (
    "speech_zh/wenet_aishell-BAC009S0724W0121.wav",
    "speech_zh/firered_BAC009S0764W0121.wav",
    "speech_zh/funasr_asr_example.wav",
    "speech_zh/paddlespeech_zh.wav",
    "speech_zh/firered_IT0011W0001.wav",
    "test_wavs/3.wav",
    "test_wavs/4.wav",
    "test_wavs/5.wav",
    "test_wavs/6.wav",
)
# Words the clips say (tests/forbidden_media.py): the said profile's phrases.
SAID_STAGES = """[[stages]]
id = "identity"
name = { zh = "身份介绍", en = "Staff introduces themself" }
speaker = "staff"
phrases = [{ text = "广州市" }]

[[stages]]
id = "risk_disclosure"
name = { zh = "风险揭示", en = "Risk disclosure" }
speaker = "staff"
phrases = [{ text = "欢迎大家" }, { text = "身体健康" }]

[[stages]]
id = "suitability"
name = { zh = "适当性匹配", en = "Suitability match" }
speaker = "staff"
phrases = [{ text = "几乎停滞" }]

[[stages]]
id = "customer_confirmation"
name = { zh = "客户确认", en = "Customer confirms" }
speaker = "customer"
phrases = [{ text = "语音识别" }]

[confirmations]
phrases = [{ text = "达摩院" }]
min_count = 1

"""


def said_profile() -> str:
    """``fund_sale`` with its stages' and confirmations' phrases replaced by words the clips
    say: the same rules and forbidden phrases as the missing run's."""
    text = (ROOT / "dualrec_audit" / "profiles" / "fund_sale.toml").read_text(encoding="utf-8")
    head, rest = text.split("[[stages]]", 1)
    tail = rest[rest.index("[mandatory]") :]
    return head.replace('id = "fund_sale"', 'id = "bench_said"') + SAID_STAGES + tail


RUNS = ("floor", "none", "said", "missing")


def _media_root() -> Path:
    root = os.environ.get("DUALREC_TEST_MEDIA")
    if not root:
        raise SystemExit("DUALREC_TEST_MEDIA: the shared media folder (../shared/media)")
    return Path(root)


def _clip(rel: str) -> Path:
    if not rel.startswith("test_wavs/"):
        return _media_root() / rel
    # The keyword model's own clips: in the models folder, or the shared one beside the media.
    roots = [
        Path(os.environ.get("DUALREC_AUDIT_MODELS", "models")),
        _media_root().parent / "models",
    ]
    found = [r / KWS_FOLDER / rel for r in roots if (r / KWS_FOLDER / rel).exists()]
    if not found:
        raise SystemExit(f"{rel}: not in {', '.join(map(str, roots))}")
    return found[0]


def build_continuous(minutes: float, cache: Path = CACHE) -> Path:
    """The continuous-speech recording (built once into the cache)."""
    target = cache / f"continuous_{minutes:g}min_720p.mp4"
    if target.exists():
        return target
    from tests.talk_composites import Composer, Turn

    unit = cache / "continuous_unit.mp4"
    cache.mkdir(parents=True, exist_ok=True)
    if not unit.exists():
        composer = Composer(_media_root() / "video")
        turns = [
            Turn("staff" if i % 2 == 0 else "customer", _clip(rel), gap_after_s=0.25)
            for i, rel in enumerate(CLIPS * 2)
        ]
        composer.build(unit.with_suffix(".part.mp4"), turns, lead_s=0.3)
        unit.with_suffix(".part.mp4").replace(unit)
    return build_recording(minutes, cache, prefix="continuous", sources=[unit])


def _row(run: str, path: Path, code: Path | None, profiles: Path) -> dict[str, Any]:
    load = os.getloadavg()[0]
    if run == "floor":
        cmd = [sys.executable, str(MEASURE), "floor", str(path)]
    else:
        cmd = [sys.executable, "-m", "dualrec_audit", "check", "--json", "--no-progress"]
        cmd += ["--asr-model", "none", str(path)]
        if run == "none":
            cmd += ["--script-model", "none", "--profile", "fund_sale"]
        elif run == "said":
            cmd += ["--profile", "bench_said", "--profiles-dir", str(profiles)]
        else:
            cmd += ["--profile", "fund_sale"]
    print(f"  … {run}", file=sys.stderr, flush=True)
    r = run_measured(cmd, cwd=code if run != "floor" else None)
    if r["rc"] not in (0, 1):
        raise SystemExit(f"{run} failed ({r['rc']}):\n{r['stderr_tail']}")
    row: dict[str, Any] = {"run": run, "load_1min": round(load, 2), "wall_s": r["wall_s"]}
    row.update(cpu_s=r["cpu_s"], other_cores=round(r["other_cores"], 2))
    if run != "floor":
        result = json.loads(r["stdout"])
        result = result[0] if isinstance(result, list) else result
        script = result["checks"].get("script") or {}
        req = (script.get("details") or {}).get("required", [])
        row["found"] = f"{sum(1 for q in req if q['found'])}/{len(req)}"
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--code", type=Path, help="run check from this checkout")
    ap.add_argument("--runs", default=",".join(RUNS))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    meta = run_meta()
    path = build_continuous(args.minutes)
    length = duration_of(path)
    profiles = CACHE / "profiles_i34"
    profiles.mkdir(parents=True, exist_ok=True)
    (profiles / "bench_said.toml").write_text(said_profile(), encoding="utf-8")
    rows = [_row(run, path, args.code, profiles) for run in args.runs.split(",")]
    floor = next((r["wall_s"] for r in rows if r["run"] == "floor"), None)
    for r in rows:
        r["x_real_time"] = x_rt(length, r["wall_s"])
        r["speed_vs_floor"] = round(floor / r["wall_s"], 3) if floor else None
        r["wall_s"], r["cpu_s"] = round(r["wall_s"], 1), round(r["cpu_s"], 1)
    doc = {**meta, "code": str(args.code or "."), "recording": path.name, "length_s": length}
    doc["rows"] = rows
    if args.json:
        save_run(args.json, doc)
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
