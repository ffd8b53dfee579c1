"""`dualrec-audit scan`: every file recorded with the right status, nothing audited twice,
re-audit on a changed profile, files still being written, kill -9 and restart, readers during
a scan, --watch. Scans run as real subprocesses with real worker processes and models, on
SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dualrec_audit.batch.folder import Settler, find_recordings
from dualrec_audit.store.database import Store

from .conftest import ROOT, SAMPLES
from .pace import paced

OLD = time.time() - 3600  # copied files get an mtime an hour old: settled

BAD_FILES = {
    "text.mp4": "not_media",
    "empty.mov": "empty_file",
    "截断 录像.mp4": "truncated",
}


@pytest.fixture(autouse=True)
def _isolated(isolated_models_env):
    """No user-installed model may change what the scan does."""


def _env() -> dict[str, str]:
    keep = ("DUALREC_AUDIT_TRUST_DIR",)  # the test databases' keys and anchors
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUALREC_AUDIT") or k in keep}
    env["PYTHONPATH"] = str(ROOT)
    return env


def scan_cmd(folder: Path, db: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dualrec_audit",
        "scan",
        str(folder),
        "--db",
        db,
        "--create",
        "--no-progress",
        *extra,
    ]


def run_scan(folder: Path, db: str, *extra: str, workers: int = 2) -> tuple[int, str]:
    proc = subprocess.run(
        scan_cmd(folder, db, "--workers", str(workers), "--settle", "0", *extra),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=paced(300),
        cwd=ROOT,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "XNNPACK" not in proc.stderr  # the workers' native log noise is kept off the terminal
    return proc.returncode, proc.stdout


def _copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    os.utime(dst, (OLD, OLD))
    return dst


def make_folder(folder: Path, names: list[str] | None = None, bad: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for p in sorted(SAMPLES.glob("*.mp4")):
        if names is None or p.name in names:
            _copy(p, folder / p.name)
    if bad:
        (folder / "text.mp4").write_text("this is not a video", encoding="utf-8")
        (folder / "empty.mov").write_bytes(b"")
        (folder / "截断 录像.mp4").write_bytes((SAMPLES / "clean.mp4").read_bytes()[:300_000])
        for name in BAD_FILES:
            os.utime(folder / name, (OLD, OLD))
    return folder


def stored_by_name(url: str) -> dict[str, object]:
    """The latest run of each recording by file name ({} while the scan is still creating
    the database: no file yet, or its tables not yet committed)."""
    from dualrec_audit.core.errors import ConfigError

    try:
        store = Store(url)
    except ConfigError as exc:
        if "no such file" in exc.message or "has no dualrec-audit tables" in exc.message:
            return {}
        raise
    with store:
        return {r.name: r for r in store.runs()}


def test_scan_records_every_file_skips_what_is_stored_and_reaudits_a_changed_profile(
    db_url, tmp_path, sample_results
):
    folder = make_folder(tmp_path / "录像 folder")
    _copy(SAMPLES / "clean.mp4", folder / "同一内容.MP4")  # same content, another name

    # The samples' own profile (their sidecars are not copied), as in sample_results.
    demo = ("--profile", "bundled_samples")
    rc, out = run_scan(folder, db_url, *demo)
    assert rc == 1, out  # some files could not be audited
    assert "10 recordings found, 9 audited" in out and "1 already audited" in out
    for name, code in BAD_FILES.items():
        assert f"{folder / name}: " in out and f"[{code}]" in out
    runs = stored_by_name(db_url)
    # Each sample got exactly the decision an in-process audit gives; bad files their error.
    for name, result in sample_results.items():
        assert runs[name].status == "done" and runs[name].decision == result.decision, name
        assert runs[name].score == pytest.approx(result.score, abs=0.05), name
    for name, code in BAD_FILES.items():
        assert runs[name].status == "error" and runs[name].error_code == code, name
    assert "同一内容.MP4" not in runs  # stored once, under the first path seen
    with Store(db_url) as store:
        counts = store.counts()
        assert counts["recordings"] == 9 and counts["audit_runs"] == 9
        assert counts["recording_paths"] == 10  # the duplicate's path is remembered
        assert store.verify().ok

    rc, out = run_scan(folder, db_url, *demo)
    assert "10 recordings found, 0 audited, 10 already audited" in out, out
    with Store(db_url) as store:
        assert store.counts() == counts

    # The same profile id with a changed threshold: every recording is audited again.
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    text = (ROOT / "dualrec_audit" / "profiles" / "bundled_samples.toml").read_text(
        encoding="utf-8"
    )
    assert "clarity_share = 0.9\n" in text
    (profiles / "bundled_samples.toml").write_text(
        text.replace("clarity_share = 0.9\n", "clarity_share = 0.85\n"), encoding="utf-8"
    )
    rc, out = run_scan(folder, db_url, *demo, "--profiles-dir", str(profiles))
    assert "10 recordings found, 9 audited" in out, out
    with Store(db_url) as store:
        assert store.counts()["audit_runs"] == 18 and store.counts()["recordings"] == 9
        assert store.verify().ok


def _rows(url: str) -> dict[str, list]:
    """Every stored row, without ids and clock times: what must match between two scans."""
    from sqlalchemy import select

    from dualrec_audit.store import schema

    with Store(url) as store, store.engine.connect() as c:
        recs = {r.id: r.sha256 for r in c.execute(select(schema.Recording))}
        runs = {r.id: r.run_key for r in c.execute(select(schema.AuditRun))}
        out = {
            "recordings": sorted(
                (r.sha256, r.size, r.duration_s, r.branch, r.teller)
                for r in c.execute(select(schema.Recording))
            ),
            "paths": sorted(
                (recs[p.recording_id], p.path, p.size, p.mtime_ns)
                for p in c.execute(select(schema.RecordingPath))
            ),
            "runs": sorted(
                (
                    r.run_key,
                    recs[r.recording_id],
                    r.path,
                    r.status,
                    r.decision,
                    r.score,
                    r.error_code,
                    json.dumps(r.result, sort_keys=True),
                )
                for r in c.execute(select(schema.AuditRun))
            ),
            "findings": sorted(
                (runs[f.run_id], f.ordinal, f.source, f.check, f.party, f.start, f.end)
                for f in c.execute(select(schema.FindingRow))
            ),
            "scores": sorted(
                (runs[s.run_id], s.check, json.dumps(s.values))
                for s in c.execute(select(schema.ScoreRow))
            ),
            "log": sorted((e.action, e.entity) for e in c.execute(select(schema.LogEntry))),
        }
        assert store.verify().ok
        return out


def test_kill_9_during_a_scan_then_restart_gives_the_rows_of_an_uninterrupted_scan(
    db_url, tmp_path
):
    folder = make_folder(tmp_path / "inbox")
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    run_scan(folder, reference)
    expected = _rows(reference)
    assert len(expected["runs"]) == 9

    # Kill the scan (and its workers) twice, at different points, then let it finish.
    for kill_after in (1, 4):
        proc = subprocess.Popen(
            scan_cmd(folder, db_url, "--workers", "2", "--settle", "0"),
            env=_env(),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                with Store(db_url) as store:
                    if store.counts()["audit_runs"] >= kill_after:
                        break
                time.sleep(0.05)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with Store(db_url) as store:
            assert store.verify().ok  # whatever was stored is whole
            assert store.counts()["audit_runs"] < 9, "the scan finished before the kill"
    _, out = run_scan(folder, db_url)
    assert "already audited" in out
    assert _rows(db_url) == expected


def test_a_reader_works_while_a_scan_writes(db_url, tmp_path):
    folder = make_folder(
        tmp_path / "in", ["clean.mp4", "dark_segment.mp4", "frozen_segment.mp4"], bad=False
    )
    proc = subprocess.Popen(
        scan_cmd(folder, db_url, "--workers", "1", "--settle", "0"),
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reads, counts = 0, []
    with Store(db_url) as reader:
        while proc.poll() is None:
            started = time.monotonic()
            counts.append(len(reader.runs()))
            reader.counts()
            took, bound = time.monotonic() - started, paced(2.0)
            assert took < bound, (
                f"a read took {took:.2f} s (bound {bound:.1f} s): waited for the writer?"
            )
            reads += 1
            time.sleep(0.02)
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert reads > 20 and counts == sorted(counts) and counts[-1] <= 3
    assert len(stored_by_name(db_url)) == 3


def test_a_file_still_being_copied_is_audited_once_complete(tmp_path):
    """A growing file is left alone until its size and mtime settle, then audited whole."""
    folder = tmp_path / "share"
    folder.mkdir()
    db = f"sqlite:///{tmp_path / 'scan.db'}"
    data = (SAMPLES / "party_absent.mp4").read_bytes()
    target = folder / "正在复制.mp4"
    chunks = [data[i : i + len(data) // 8 + 1] for i in range(0, len(data), len(data) // 8 + 1)]
    target.write_bytes(chunks[0])

    def copy_slowly() -> None:
        with target.open("ab") as f:
            for chunk in chunks[1:]:
                time.sleep(0.4)
                f.write(chunk)
                f.flush()

    writer = threading.Thread(target=copy_slowly)
    writer.start()
    proc = subprocess.run(
        scan_cmd(folder, db, "--workers", "1", "--settle", "1.5"),
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=paced(300),
    )
    writer.join()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 recordings found, 1 audited" in proc.stdout
    [run] = stored_by_name(db).values()
    assert run.status == "done" and run.error_code is None
    assert run.duration_s == pytest.approx(20.0, abs=0.1)


def test_watch_audits_new_arrivals_until_stopped(tmp_path):
    folder = tmp_path / "watched"
    folder.mkdir()
    db = f"sqlite:///{tmp_path / 'watch.db'}"
    proc = subprocess.Popen(
        scan_cmd(folder, db, "--workers", "1", "--settle", "0.5", "--watch", "--interval", "0.3"),
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        _copy(SAMPLES / "dark_segment.mp4", folder / "new arrival.mp4")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "new arrival.mp4" not in stored_by_name(db):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        assert "new arrival.mp4" in stored_by_name(db)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "1 recordings found, 1 audited" in out


def test_sidecar_metadata_is_stored_and_a_bad_profile_is_that_files_error(tmp_path):
    folder = make_folder(tmp_path / "in", ["clean.mp4", "dark_segment.mp4"], bad=False)
    meta = {"branch": "北京分行", "teller": "T9", "customer": "C-1", "product": "稳健1号"}
    (folder / "clean.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    (folder / "dark_segment.json").write_text('{"profile": "nope"}', encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'scan.db'}"
    rc, out = run_scan(folder, db, workers=1)
    assert rc == 1 and "unknown profile 'nope'" in out
    runs = stored_by_name(db)
    clean = runs["clean.mp4"]
    assert (clean.meta.branch, clean.meta.teller, clean.meta.customer_ref, clean.meta.product) == (
        "北京分行",
        "T9",
        "C-1",
        "稳健1号",
    )
    assert runs["dark_segment.mp4"].error_code == "unknown_profile"
    # Fixing the sidecar is a new profile: the file is audited on the next scan.
    (folder / "dark_segment.json").write_text('{"profile": "bank_wealth"}', encoding="utf-8")
    rc, out = run_scan(folder, db, workers=1)
    assert rc == 0 and "1 audited" in out and "1 already audited" in out
    assert stored_by_name(db)["dark_segment.mp4"].profile_id == "bank_wealth"


def test_settler_waits_for_size_and_mtime_to_stop_changing(tmp_path):
    clock = [1000.0]
    settler = Settler(settle_s=5, clock=lambda: clock[0])
    f = tmp_path / "a.mp4"
    f.write_bytes(b"x")
    os.utime(f, (998.0, 998.0))
    assert settler.settled(f)[0] is False  # modified 2 s ago
    clock[0] = 1004.0
    assert settler.settled(f)[0] is True  # 6 s old, unchanged since the last look
    f.write_bytes(b"xy")
    os.utime(f, (990.0, 990.0))  # mtime old, but the size changed since the last look
    assert settler.settled(f)[0] is False
    assert settler.settled(f)[0] is True
    assert settler.settled(tmp_path / "gone.mp4") == (False, None)


def test_find_recordings_by_suffix_any_case_recursive_and_not_hidden(tmp_path):
    for rel in ["a.MP4", "b.mov", "c.txt", ".hidden.mp4", "sub/d.mkv", "sub/深/e.ts"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")
    names = [p.relative_to(tmp_path).as_posix() for p in find_recordings(tmp_path)]
    assert names == ["a.MP4", "b.mov"]
    deep = [p.relative_to(tmp_path).as_posix() for p in find_recordings(tmp_path, True)]
    assert deep == ["a.MP4", "b.mov", "sub/d.mkv", "sub/深/e.ts"]
