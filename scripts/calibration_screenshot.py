"""The calibration report's screenshot in the README (docs/screenshots/calibration.png), made
with the commands themselves: the sample recordings and three clips with dimmed spans (built
from the media like the samples) are scanned into a scratch database, a reviewer marks the
dimming findings through ``review mark`` (under 4 s harmless: false alarm; longer: confirmed),
``calibrate`` writes its report, and headless Chromium renders it.

    PYTHONPATH=. .venv/bin/python scripts/calibration_screenshot.py [--media DIR] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIPS = {  # the tuning clips of tests/test_calibrate.py
    "dim_a.mp4": ((3.0, 5.3), (12.0, 16.6)),
    "dim_b.mp4": ((3.0, 5.7), (12.0, 15.1)),
    "dim_c.mp4": ((3.0, 7.5),),
}
HARMLESS_S = 4.0


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_samples", ROOT / "sample_videos" / "build_samples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_samples"] = module
    spec.loader.exec_module(module)
    return module


def _cli(*argv: str, user: str | None = None) -> str:
    env = dict(os.environ)
    if user:
        env["DUALREC_PASSWORD"] = f"{user}-password"
    cmd = [sys.executable, "-m", "dualrec_audit", *argv]
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--media", type=Path, default=ROOT.parent / "shared" / "media")
    ap.add_argument("--keep", type=Path, help="keep the database and report here")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp())
    incoming = work / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    os.environ["DUALREC_AUDIT_TRUST_DIR"] = str(work / "trust")
    build = _builder()
    for f in (ROOT / "sample_videos").glob("*.mp4"):
        shutil.copy(f, incoming / f.name)
        shutil.copy(f.with_suffix(".json"), incoming / f"{f.stem}.json")
    for name, spans in CLIPS.items():
        build.build_clip(incoming / name, args.media, build.Dimmed(spans))
        (incoming / f"{Path(name).stem}.json").write_text(
            json.dumps({"profile": "bundled_samples"})
        )
    db = f"sqlite:///{work / 'demo.db'}"
    _cli("db", "init", "--db", db)
    _cli("scan", str(incoming), "--db", db, "--workers", "1", "--settle", "0", "--no-progress")
    _accounts(db)
    _marks(db)
    report = work / "report"
    print(
        _cli(
            "calibrate",
            "--db",
            db,
            "--profile",
            "bundled_samples",
            "--out",
            str(work / "bundled_samples.v2.toml"),
            "--report",
            str(report),
        )
    )
    shot = ROOT / "docs" / "screenshots" / "calibration.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,1380",
            f"--screenshot={shot}",
            (report / "calibration.html").as_uri(),
        ],
        check=True,
    )
    print(shot)


def _accounts(db: str) -> None:
    from dualrec_audit.store.database import Store

    with Store(db, actor="demo") as store:
        admin = store.create_account("admin", "管理员", "admin", "admin-pass-1")
        store.create_account("wang", "王审核", "reviewer", "wang-password", by=admin)
        runs = {Path(r.path).name: r.run_id for r in store.runs()}
        store.add_decision(runs["party_absent.mp4"], "wang", "rerecord", "party_absent", "客户离开")


def _marks(db: str) -> None:
    from dualrec_audit.store.database import Store

    with Store(db) as store:
        runs = {Path(r.path).name: r.run_id for r in store.runs()}
        todo = []
        for name in ("dim_a.mp4", "dim_b.mp4", "dim_c.mp4", "dark_segment.mp4"):
            for f in store.stored_findings(runs[name]):
                if f.source == "rule" and f.event.check == "event.dark":
                    confirmed = f.event.duration >= HARMLESS_S
                    todo.append((runs[name], f.id, "--confirmed" if confirmed else "--false-alarm"))
    for run_id, fid, flag in todo:
        _cli(
            "review",
            "mark",
            "--db",
            db,
            "--run",
            str(run_id),
            "--finding",
            str(fid),
            flag,
            "--as",
            "wang",
            user="wang",
        )


if __name__ == "__main__":
    main()
