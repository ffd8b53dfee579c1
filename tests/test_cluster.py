"""Issue 18: `scan --ray` on a local Ray cluster (a head and two worker nodes on this machine,
one CPU each): a worker node killed mid-scan loses nothing and stores nothing twice (the rows are
those of a single-machine scan), a file that kills its actors is stored as its error after the
retry limit without blaming the others, and without Ray `--ray` says how to install it."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from dualrec_audit.store.database import Store

from . import hostile
from .conftest import PG_ENV, ROOT, sample, unavailable
from .pace import paced
from .test_hostile import _scanner
from .test_scan import _copy, _env, make_folder, run_scan, scan_cmd, stored_by_name

MB = 1 << 20
# Nodes declared dead within about 2 s of their raylet being killed (Ray's default is ~30 s).
FAST_HEALTH_CHECKS = {
    "health_check_initial_delay_ms": 0,
    "health_check_period_ms": 500,
    "health_check_failure_threshold": 4,
}


@pytest.fixture(autouse=True)
def _isolated(isolated_models_env):
    """No user-installed model may change what is audited."""


def _ray_default_temp() -> str:
    try:
        from ray._private.utils import get_ray_address_file
    except ImportError:  # moved in another Ray: its usual place
        return os.path.join(tempfile.gettempdir(), "ray")
    return os.path.dirname(get_ray_address_file(None))


@pytest.fixture(scope="module")
def ray_cluster(isolated_models_env) -> Iterator[tuple[object, list[object]]]:
    """A head and two worker nodes, one CPU slot each, small object stores. The raylets
    inherit this process's environment: the isolated models, and the checkout on PYTHONPATH
    so that the actors can import the test's audit functions (tests/hostile.py)."""
    try:
        from ray.cluster_utils import Cluster
    except ImportError:
        unavailable('Ray is not installed (pip install -e ".[cluster]")')
    old_path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), old_path) if p)
    temp = tempfile.mkdtemp(prefix="drray-", dir="/tmp")  # short: Ray's socket paths
    # The head's address is written into Ray's default temp folder (/tmp/ray), which only a
    # node started without temp_dir creates: on a fresh machine it is not there.
    os.makedirs(_ray_default_temp(), exist_ok=True)
    # The nodes take this machine's own address: with node_ip_address="127.0.0.1", Ray 2.60's
    # drivers look for a node at the machine's network address and wait forever.
    node = {"num_cpus": 1, "object_store_memory": 80 * MB}
    cluster = Cluster(
        initialize_head=True,
        connect=False,
        head_node_args={
            **node,
            "include_dashboard": False,
            "temp_dir": temp,
            "_system_config": FAST_HEALTH_CHECKS,
        },
    )
    try:
        workers = [cluster.add_node(**node) for _ in range(2)]
        cluster.wait_for_nodes()
        yield cluster, workers
    finally:
        cluster.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
        if old_path is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old_path


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database (scripts/test.sh starts the server)."""
    base = os.environ.get(PG_ENV)
    if not base:
        unavailable(f"no PostgreSQL server: set {PG_ENV} (scripts/test.sh starts one)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(str(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(str(base)).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def hostile_folder(folder: Path) -> Path:
    """The samples, the scan tests' bad files, and the bad-input files tests/hostile.py
    builds (another container, a damaged middle, an extra audio track, a GBK name)."""
    make_folder(folder)
    clean = sample("clean.mp4")
    hostile.webm(clean, folder / "营业部.webm")
    hostile.remux(clean, folder / "手机.3gp", "3gp")
    hostile.corrupt_middle(sample("dark_segment.mp4"), folder / "中间损坏.mp4")
    hostile.two_audio_tracks(sample("party_absent.mp4"), folder / "两条音轨.mp4")
    _copy(sample("noisy_speech.mp4"), hostile.gbk_name(folder))
    for p in folder.iterdir():
        os.utime(p, (time.time() - 3600,) * 2)
    return folder


def stored_rows(url: str) -> dict[str, tuple]:
    """Every stored run (all of them, not only the latest) by path: what a scan stored."""
    with Store(url) as store:
        runs = store.runs(latest=False)
        out: dict[str, tuple] = {}
        for r in runs:
            assert r.path not in out, f"{r.path} stored twice"
            doc = store.result(r.run_id).to_dict()
            out[r.path] = (r.sha256, r.status, r.decision, r.error_code, r.profile_id, doc)
        return out


def _counts_while_running(url: str) -> int:
    try:
        return len(stored_by_name(url))
    except Exception:  # the scan is still creating the tables
        return 0


def test_a_file_that_kills_its_actors_is_stored_as_its_error_and_no_other_is_blamed(
    ray_cluster, tmp_path, pipeline, caplog
):
    from dualrec_audit.batch import cluster

    head, _ = ray_cluster
    folder = tmp_path / "share"
    folder.mkdir()
    names = {"a": "clean", "b": "dark_segment", "crashes": "noisy_speech", "d": "party_absent"}
    for name, src in names.items():
        _copy(sample(src + ".mp4"), folder / f"{name}.mp4")
    options = cluster.RayOptions(address=head.address, retry_limit=2)
    cluster.connect(options)
    pools: list[cluster.RayPool] = []

    def executor(scanner):
        pools.append(cluster.RayPool(scanner, options))
        return pools[-1]

    url = f"sqlite:///{tmp_path / 'scan.db'}"
    scanner = _scanner(
        url, pipeline, audit_fn=hostile.crash_on_bad_file, executor=executor, options={}
    )
    try:
        with caplog.at_level(logging.WARNING, logger="dualrec_audit"):
            summary = scanner.run(folder)
    finally:
        scanner.store.close()
        cluster.disconnect()
    runs = stored_by_name(url)
    assert runs["crashes.mp4"].status == "error"
    assert runs["crashes.mp4"].error_code == "worker_crashed"
    assert "2 times" in (runs["crashes.mp4"].error_message or "")
    for name in ("a.mp4", "b.mp4", "d.mp4"):
        assert runs[name].status == "done", (name, runs[name].error_code)
    assert [e[1] for e in summary.errors] == ["worker_crashed"]
    [pool] = pools
    assert list(pool.counts.deaths.values()) == [2]  # one file blamed, twice
    assert pool.counts.node_losses == 0
    assert "2 Ray actors died auditing this file" in caplog.text
    with Store(url) as store:
        assert store.counts()["audit_runs"] == 4 and store.verify().ok


def test_a_worker_node_killed_mid_scan_gives_the_rows_of_a_single_machine_scan(
    ray_cluster, tmp_path, pg_url
):
    head, workers = ray_cluster
    folder = hostile_folder(tmp_path / "share")
    expected_files = len(list(folder.iterdir()))
    demo = ("--profile", "bundled_samples")

    proc = subprocess.Popen(
        [*scan_cmd(folder, pg_url, "--settle", "0", *demo), "--ray", head.address],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    try:
        limit = paced(240)  # hang guards, at the machine's pace (tests/pace.py)
        deadline = time.monotonic() + limit
        while _counts_while_running(pg_url) < 1:  # every actor has a file in flight now
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, f"no result stored in {limit:.0f} s"
            time.sleep(0.2)
        stored_at_kill = _counts_while_running(pg_url)
        head.remove_node(workers[0], allow_graceful=False)  # SIGKILL: the node is lost
        out, err = proc.communicate(timeout=paced(300))
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Traceback" not in err, err
    assert stored_at_kill < expected_files - 2, "the scan ended before the node was killed"
    # Which one the scan hears first is Ray's timing: the actor unreachable, or its node dead.
    assert (
        "its Ray node was lost; auditing it on another node" in err
        or "its Ray actor cannot be reached (its node lost or cut off)" in err
    ), err

    reference = f"sqlite:///{tmp_path / 'one-machine.db'}"
    rc_ref, out_ref = run_scan(folder, reference, *demo)
    assert proc.returncode == rc_ref == 1, (out, out_ref)  # the bad files' errors
    # The same summary (Ray's driver may print its own note on the lost node to stdout first).
    summary = next(line for line in out.splitlines() if line.startswith("scan "))
    assert summary == out_ref.splitlines()[0], (out, out_ref)
    assert f"{expected_files} recordings found" in out
    rows, want = stored_rows(pg_url), stored_rows(reference)
    assert sorted(rows) == sorted(want)
    for path in want:
        assert rows[path] == want[path], path
    with Store(pg_url) as store:
        assert store.counts()["audit_runs"] == len(want)
    verify = subprocess.run(
        [sys.executable, "-m", "dualrec_audit", "db", "verify", "--db", pg_url],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_an_actor_that_cannot_be_reached_is_not_its_files_fault(monkeypatch, caplog):
    """Ray says an actor is unavailable (its node killed, not yet marked dead) before it says
    the node died: the file goes to another actor unblamed, and the actor gets no more files.
    An actor that died on a live node is its file's fault."""
    import ray

    from dualrec_audit.batch import cluster

    stopped: list[str] = []
    monkeypatch.setattr(ray, "kill", lambda handle, no_restart: stopped.append(handle))
    monkeypatch.setattr(cluster, "_node_alive", lambda node_id: True)  # still listed alive
    pool = cluster.RayPool(None, cluster.RayOptions(retry_limit=2))  # type: ignore[arg-type]
    job = SimpleNamespace(path=Path("a.mp4"), key="key-a")
    gone = cluster._Actor("actor-1", None, node_id="node-1", job=job)
    pool.actors.append(gone)
    unavailable_error = ray.exceptions.ActorUnavailableError("Socket closed", None)
    with caplog.at_level(logging.WARNING, logger="dualrec_audit"):
        assert pool._died(gone, job, unavailable_error) == []
    assert list(pool.queue) == [job] and pool.actors == [] and stopped == ["actor-1"]
    assert pool.counts.deaths == {} and pool.counts.lost == {"key-a": 1}
    assert "its Ray actor cannot be reached" in caplog.text

    pool.queue.clear()
    crashed = cluster._Actor("actor-2", None, node_id="node-1", job=job)
    assert pool._died(crashed, job, ray.exceptions.ActorDiedError()) == []
    assert list(pool.queue) == [job] and pool.counts.deaths == {"key-a": 1}
    assert stopped == ["actor-1"]


def test_without_ray_the_option_says_how_to_install_it(tmp_path):
    """Ray missing (an import of it fails, as when it is not installed): a clear error with
    the install command, exit 2, no traceback, before any model is loaded."""
    blocker = tmp_path / "no_ray"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['ray'] = None\n")
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join((str(blocker), env["PYTHONPATH"]))
    folder = tmp_path / "share"
    folder.mkdir()
    proc = subprocess.run(
        [*scan_cmd(folder, f"sqlite:///{tmp_path / 'x.db'}"), "--ray", "auto"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert '--ray needs Ray, which is not installed: pip install "dualrec-audit[cluster]"' in (
        proc.stderr
    )
    assert not (tmp_path / "x.db").exists()
