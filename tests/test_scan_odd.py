"""Issue 37: the scanner and `check` on the last odd inputs of a hostile file share — a path
longer than the system opens, a subfolder nobody may read, links to nothing and loops of
links, fifty files of the same bad content, names over 255 bytes — and a Ray address with
nothing behind it. Every file that cannot be audited has its own stored row, so the export
lists it; one bad path never stops a scan.

Scans run as real subprocesses with real worker processes and models (as root, without the
capabilities that let root read anything, so the unreadable folder is really unreadable).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from dualrec_audit.core.errors import ConfigError
from dualrec_audit.store.database import Store

from .conftest import ROOT, sample
from .test_hostile import _without_dac_override, check_json
from .test_scan import _copy, _env, scan_cmd, stored_by_name

EMPTIES = 50


@pytest.fixture(autouse=True)
def _isolated(isolated_models_env):
    """No user-installed model may change what the scan does."""


def _deep_file(folder: Path, name: str = "深" * 80) -> str:
    """A recording under nested folders whose path is longer than PATH_MAX (4096 bytes),
    made through folder descriptors (no path that long can be opened). Returns its path."""
    fd = os.open(folder, os.O_RDONLY)
    path = str(folder)
    try:
        while len(os.fsencode(path)) < 4300:
            os.mkdir(name, dir_fd=fd)
            sub = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, path = sub, os.path.join(path, name)
        f = os.open("深处.mp4", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(f, b"not reached")
        os.close(f)
    finally:
        os.close(fd)
    return os.path.join(path, "深处.mp4")


def _share(tmp_path: Path) -> tuple[Path, Path]:
    share = tmp_path / "share"
    share.mkdir()
    _copy(sample("clean.mp4"), share / "clean.mp4")
    for i in range(EMPTIES):
        (share / f"空白{i:02}.mp4").write_bytes(b"")
        os.utime(share / f"空白{i:02}.mp4", (time.time() - 3600,) * 2)
    (share / "gone.mp4").symlink_to(tmp_path / "deleted-original.mp4")
    (share / "loop-a.mp4").symlink_to(share / "loop-b.mp4")
    (share / "loop-b.mp4").symlink_to(share / "loop-a.mp4")
    locked = share / "无权限"
    locked.mkdir()
    _copy(sample("dark_segment.mp4"), locked / "inside.mp4")
    os.chmod(locked, 0)
    (share / "deep").mkdir()
    _deep_file(share / "deep")
    return share, locked


def _scan(share: Path, db: str, drop) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        scan_cmd(share, db, "--workers", "1", "--settle", "0", "--recursive"),
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=600,
        preexec_fn=drop,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_odd_paths_are_listed_and_stored_one_row_each_and_the_scan_goes_on(db_url, tmp_path):
    from dualrec_audit.batch.export import load_items

    share, locked = _share(tmp_path)
    drop = _without_dac_override()
    try:
        proc = _scan(share, db_url, drop)
        out = proc.stdout
        assert proc.returncode == 1, out + proc.stderr
        assert "not available" not in out + proc.stderr  # the share itself was fine
        runs = stored_by_name(db_url)
        assert runs["clean.mp4"].status == "done"
        for i in range(EMPTIES):  # fifty names of the same bad content: fifty rows
            assert runs[f"空白{i:02}.mp4"].error_code == "empty_file", i
        assert runs["gone.mp4"].error_code == "broken_link"
        assert runs["loop-a.mp4"].error_code == "link_loop"
        assert runs["无权限"].error_code == "folder_unreadable"
        deep = [r for name, r in runs.items() if r.error_code == "path_too_long"]
        assert len(deep) == 1 and "longer than the system opens" in deep[0].error_message
        for code in ("broken_link", "link_loop", "folder_unreadable", "path_too_long"):
            assert f"[{code}]" in out, code
        with Store(db_url) as store:
            counts = store.counts()
            items = load_items(store, None)
            assert store.verify().ok
        names = {Path(i.run.path).name for i in items}
        assert {"gone.mp4", "loop-a.mp4", "无权限", "空白00.mp4", "空白49.mp4"} <= names
        assert len(items) == 1 + EMPTIES + 2 + 2 + 1  # loop-b.mp4 is a loop too

        again = _scan(share, db_url, drop)  # nothing new is stored; the problems are listed
        assert again.returncode == 1 and "[folder_unreadable]" in again.stdout
        assert "0 audited" in again.stdout, again.stdout
        with Store(db_url) as store:
            assert store.counts() == counts and store.verify().ok
    finally:
        os.chmod(locked, 0o755)


def test_check_names_a_name_too_long_and_a_loop_of_links(tmp_path):
    too_long = tmp_path / ("长" * 100 + ".mp4")  # 304 bytes: no such name can exist
    near = tmp_path / ("b" * 248 + ".mp4")  # 252 bytes: its sidecar's name would be too long
    _copy(sample("clean.mp4"), near)
    (tmp_path / "a.mp4").symlink_to(tmp_path / "b.mp4")
    (tmp_path / "b.mp4").symlink_to(tmp_path / "a.mp4")
    rc, docs = check_json(too_long, tmp_path / "a.mp4", near)
    assert rc == 1
    assert [d["error"]["code"] if d["error"] else None for d in docs] == [
        "path_too_long",
        "link_loop",
        None,
    ]
    assert "too long" in docs[0]["error"]["message"]


def test_a_ray_address_with_nothing_behind_it_fails_within_seconds():
    pytest.importorskip("ray")
    from dualrec_audit.batch import cluster

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(ConfigError, match=f"127.0.0.1:{port}.*connection refused"):
        cluster.connect(cluster.RayOptions(address=f"127.0.0.1:{port}"))
    assert time.monotonic() - start < 10


def test_a_file_that_is_no_database_is_called_that(tmp_path):
    with pytest.raises(ConfigError, match="not an SQLite database file"):
        Store("/proc/version")
    video = _copy(sample("clean.mp4"), tmp_path / "clean.mp4")
    with pytest.raises(ConfigError, match="not an SQLite database file"):
        Store(str(video))


def test_a_path_error_gives_way_to_the_files_later_audit(db_url, sample_results, pipeline):
    """An unreadable file has its error under its path; once it is read and audited, the
    latest runs (the export, the queue) show that audit, not the old error."""
    from dualrec_audit.store.keys import by_path_key, digest, run_key

    result = sample_results["clean.mp4"]
    path = str(result.file)
    with Store(db_url) as store:
        error = pipeline.error_result(path, "unreadable", "clean.mp4: cannot be read")
        sha = by_path_key(path, None)
        store.record_run(
            error,
            key=run_key(sha, digest({"error": "unreadable"}), {}, {}),
            sha256=sha,
            size=0,
            mtime_ns=0,
            profile_digest=None,
            started_at="2026-12-05T08:00:00+00:00",
            path=path,
        )
        assert [r.error_code for r in store.runs()] == ["unreadable"]
        st = Path(path).stat()
        store.record_run(
            result,
            key=run_key(result.sha256, "p", result.models, {}),
            sha256=result.sha256,
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            profile_digest="p",
            started_at="2026-12-05T09:00:00+00:00",
            path=path,
        )
        assert [(r.status, r.sha256) for r in store.runs()] == [("done", result.sha256)]
        assert len(store.runs(latest=False)) == 2  # the error is kept, only not the latest
        assert store.verify().ok


def test_watch_goes_on_past_a_path_too_long(tmp_path):
    """`--watch` over a folder holding a path over PATH_MAX: the path's error is stored once
    and new arrivals are still audited (it used to wait for the share for ever)."""
    import signal

    folder = tmp_path / "watched"
    (folder / "deep").mkdir(parents=True)
    _deep_file(folder / "deep")
    db = f"sqlite:///{tmp_path / 'watch.db'}"
    args = ("--workers", "1", "--settle", "0.5", "--watch", "--interval", "0.3", "--recursive")
    proc = subprocess.Popen(
        scan_cmd(folder, db, *args),
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        (folder / "arrival.mp4").write_bytes(b"")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and "arrival.mp4" not in stored_by_name(db):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.3)
        runs = stored_by_name(db)
        assert runs["arrival.mp4"].error_code == "empty_file"
        assert [r.error_code for r in runs.values()].count("path_too_long") == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert "not available" not in out + err


def _chattr(flag: str, *files: Path) -> bool:
    done = subprocess.run(["chattr", flag, *map(str, files)], capture_output=True)
    return done.returncode == 0


def test_a_database_made_immutable_mid_scan_stops_the_scan_with_a_message(tmp_path):
    """A `--watch` scan whose SQLite files are made immutable (chattr +i) after its first
    stored file: the next store says so and the scan stops with an error, no SIGBUS (SQLite's
    memory-mapped WAL index used to end the process without a word); what was stored stays."""
    import signal

    folder = tmp_path / "watched"
    folder.mkdir()
    (folder / "first.mp4").write_bytes(b"")
    db_file = tmp_path / "watch.db"
    db = f"sqlite:///{db_file}"
    args = ("--workers", "1", "--settle", "0", "--watch", "--interval", "0.3")
    proc = subprocess.Popen(
        scan_cmd(folder, db, *args), env=_env(), cwd=ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    files = [db_file, tmp_path / "watch.db-wal", tmp_path / "watch.db-shm"]
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and "first.mp4" not in stored_by_name(db):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.3)
        if not _chattr("+i", *[f for f in files if f.exists()]):
            pytest.skip("chattr +i is not allowed here (needs root on a file system with it)")
        for i in range(20):  # enough writes to grow the WAL index past its first page
            (folder / f"later{i:02}.mp4").write_bytes(b"x" * (i + 1))
        _out, err = proc.communicate(timeout=180)
    finally:
        _chattr("-i", *[f for f in files if f.exists()])
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)
    assert proc.returncode not in (-signal.SIGBUS, 128 + signal.SIGBUS), err
    assert proc.returncode != 0
    assert "immutable" in err and "watch.db" in err, err
    assert "Traceback" not in err
    assert stored_by_name(db)["first.mp4"].error_code == "empty_file"
