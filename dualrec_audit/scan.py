"""Batch folder scan: audit every new recording in a folder into the results store.

``Scanner(store, pipeline, options).run(folder)`` finds the recordings, leaves alone files
still being written (their size or mtime changed within ``settle_s``) and comes back to them,
skips recordings already audited with the same content, profile, models and options, and
audits the rest in N worker processes that each load the models once. The scanning process is
the only writer: each result is stored whole, in one transaction, as it arrives, so a scan
killed at any moment and started again loses nothing and duplicates nothing.

Progress goes to ``on_event(ScanEvent)``: a terminal bar in the CLI, Qt signals in the UI.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from dualrec_audit.assign import ProfileMap, resolve_profile, sidecar_meta
from dualrec_audit.db.store import RecordingMeta, Store, digest, now, run_key
from dualrec_audit.errors import ConfigError
from dualrec_audit.media import VIDEO_SUFFIXES
from dualrec_audit.pipeline import AuditOptions, AuditPipeline
from dualrec_audit.registry import sha256_file
from dualrec_audit.result import AuditResult

log = logging.getLogger(__name__)

# Options that change how fast an audit runs, not what it finds: left out of the run key.
EXECUTION_ONLY = ("profile", "profiles_dir")


@dataclass(frozen=True)
class ScanOptions:
    recursive: bool = False
    workers: int = 1
    force: bool = False  # audit again even when an identical audit is stored
    settle_s: float = 5.0  # a file unchanged this long is complete
    settle_timeout_s: float = 600.0  # give up waiting for a growing file (one-shot scan)
    profile: str | None = None  # --profile for every file
    profile_map: ProfileMap | None = None
    default_profile: str = "fund_sale"


EventKind = Literal["found", "skipped", "pending", "started", "stored", "gave_up"]


@dataclass(frozen=True)
class ScanEvent:
    kind: EventKind
    path: str = ""
    result: AuditResult | None = None
    count: int = 0  # for "found": how many recordings the folder holds


@dataclass
class ScanSummary:
    found: int = 0
    audited: int = 0
    skipped: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (path, code, message)
    decisions: dict[str, int] = field(default_factory=dict)
    still_copying: list[str] = field(default_factory=list)


def find_recordings(folder: Path, recursive: bool = False) -> list[Path]:
    """Video files in ``folder`` (by suffix, any case), sorted; hidden files left out."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder")
    pattern = folder.rglob("*") if recursive else folder.iterdir()
    out = []
    for p in pattern:
        if p.name.startswith(".") or p.suffix.lower() not in VIDEO_SUFFIXES:
            continue
        try:
            if p.is_file():
                out.append(p)
        except OSError:  # vanished or unreadable entry on a share
            continue
    return sorted(out)


class Settler:
    """Decides when a file has stopped changing.

    A file is settled when its mtime is at least ``settle_s`` old and its size and mtime are
    the same as at the previous look (if there was one)."""

    def __init__(self, settle_s: float, clock: Callable[[], float] = time.time):
        self.settle_s = settle_s
        self.clock = clock
        self.seen: dict[str, tuple[int, int]] = {}

    def settled(self, path: Path) -> tuple[bool, os.stat_result | None]:
        try:
            st = path.stat()
        except OSError:
            return False, None
        key, sig = str(path), (st.st_size, st.st_mtime_ns)
        before = self.seen.get(key)
        self.seen[key] = sig
        old_enough = self.clock() - st.st_mtime >= self.settle_s
        return old_enough and (before is None or before == sig), st


# -- worker processes ------------------------------------------------------------------------

_worker_pipeline: AuditPipeline | None = None


def _init_worker(options: AuditOptions, models_dir: str | None, threads: int, level: int) -> None:
    global _worker_pipeline
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the scanning process handles Ctrl-C
    stream = sys.stderr
    if level >= logging.WARNING and sys.platform != "win32":
        # MediaPipe and TensorFlow Lite write native log lines to fd 2 that no setting
        # silences; they would garble the scan's progress bar. Our own log records still
        # reach the real stderr through a duplicate of it.
        stream = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=stream, force=True
    )
    import cv2

    cv2.setNumThreads(threads)
    _worker_pipeline = AuditPipeline(options, models_dir=models_dir)


def _audit(path: str, profile: str | None) -> tuple[str, AuditResult]:
    assert _worker_pipeline is not None, "worker not initialised"
    started = now()
    return started, _worker_pipeline.apply(Path(path), profile=profile)


def _worker_log_level() -> int:
    """Per-file problems reach the summary, so workers log only real trouble (unless -v)."""
    level = logging.getLogger("dualrec_audit").getEffectiveLevel()
    return level if level < logging.WARNING else logging.ERROR


# -- the scanner ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    path: Path
    sha256: str
    size: int
    mtime_ns: int
    key: str
    profile_id: str | None
    profile_digest: str | None
    meta: RecordingMeta


class Scanner:
    def __init__(
        self,
        store: Store,
        pipeline: AuditPipeline,
        options: ScanOptions,
        *,
        models_dir: Path | str | None = None,
        on_event: Callable[[ScanEvent], None] | None = None,
    ):
        self.store = store
        self.pipeline = pipeline  # validates models and options; its models key the runs
        self.options = options
        self.models_dir = None if models_dir is None else str(models_dir)
        self.on_event = on_event or (lambda e: None)
        self.stop_requested = False
        self.twins: dict[str, list[_Job]] = {}  # same content as a job in flight
        key_options = {
            k: v for k, v in pipeline.options.to_dict().items() if k not in EXECUTION_ONLY
        }
        key_options["whisper"] = {
            k: v for k, v in key_options["whisper"].items() if k != "cpu_threads"
        }
        self.key_options = key_options

    def _job(self, path: Path, st: os.stat_result) -> tuple[_Job, AuditResult | None]:
        """The job for a settled file; with an error result when it cannot be audited at all
        (a bad sidecar, an unknown profile): that error is stored like any result."""
        cached = self.store.cached_hash(str(path), st.st_size, st.st_mtime_ns)
        sha = cached or sha256_file(path)
        o = self.options
        error: tuple[str, str] | None = None
        meta = RecordingMeta()
        pid: str | None = None
        try:
            pid, _source = resolve_profile(
                path, explicit=o.profile, mapping=o.profile_map, default=o.default_profile
            )
            meta = RecordingMeta(**sidecar_meta(path))
        except ConfigError as exc:
            error = ("profile_error", exc.message)
        if error is None and (pid is None or pid not in self.pipeline.profiles):
            valid = ", ".join(sorted(self.pipeline.profiles))
            error = ("unknown_profile", f"unknown profile '{pid}'. Valid ids: {valid}")
        if error is not None or pid is None:
            prof_digest = digest({"error": error})
        else:
            prof_digest = digest(self.pipeline.profiles[pid].model_dump(mode="json"))
        key = run_key(sha, prof_digest, self.pipeline.models, self.key_options)
        job = _Job(path, sha, st.st_size, st.st_mtime_ns, key, pid, prof_digest, meta)
        if error is None:
            return job, None
        return job, self.pipeline.error_result(path, *error)

    def run(self, folder: Path, *, watch: bool = False, interval_s: float = 30.0) -> ScanSummary:
        """Scan ``folder`` once (or, with ``watch``, until ``stop()``)."""
        summary = ScanSummary()
        done_keys = set() if self.options.force else self.store.run_keys()
        settler = Settler(self.options.settle_s)
        waiting: dict[Path, float] = {}  # unsettled file -> when we first saw it
        handled: set[tuple[str, int, int]] = set()  # (path, size, mtime) seen this scan
        pool = _Pool(self)
        try:
            while not self.stop_requested:
                files = find_recordings(folder, self.options.recursive)
                fresh = [p for p in files if p not in waiting and not self._handled(p, handled)]
                if fresh:
                    summary.found += len(fresh)
                    self.on_event(ScanEvent("found", count=len(fresh)))
                for p in fresh:
                    waiting[p] = time.monotonic()
                self._feed(waiting, settler, handled, done_keys, pool, summary)
                pool.collect(summary, done_keys, block=bool(pool.running) and not waiting)
                if not waiting and not pool.running:
                    if not watch:
                        break
                    self._sleep(interval_s)
                elif waiting and not pool.running:
                    self._gave_up(waiting, summary, watch)
                    if waiting:
                        self._sleep(min(1.0, max(0.2, self.options.settle_s / 4)))
        finally:
            pool.close(cancel=self.stop_requested)
        return summary

    def stop(self) -> None:
        self.stop_requested = True

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stop_requested and time.monotonic() < end:
            time.sleep(min(0.2, seconds))

    @staticmethod
    def _handled(p: Path, handled: set[tuple[str, int, int]]) -> bool:
        try:
            st = p.stat()
        except OSError:
            return True
        return (str(p), st.st_size, st.st_mtime_ns) in handled

    def _gave_up(self, waiting: dict[Path, float], summary: ScanSummary, watch: bool) -> None:
        if watch:
            return
        limit = self.options.settle_timeout_s
        for p, since in list(waiting.items()):
            if time.monotonic() - since >= limit:
                del waiting[p]
                summary.still_copying.append(str(p))
                self.on_event(ScanEvent("gave_up", str(p)))

    def _feed(
        self,
        waiting: dict[Path, float],
        settler: Settler,
        handled: set[tuple[str, int, int]],
        done_keys: set[str],
        pool: _Pool,
        summary: ScanSummary,
    ) -> None:
        for p in sorted(waiting):
            if self.stop_requested:
                return
            ok, st = settler.settled(p)
            if st is None:  # gone
                del waiting[p]
                continue
            if not ok:
                self.on_event(ScanEvent("pending", str(p)))
                continue
            del waiting[p]
            handled.add((str(p), st.st_size, st.st_mtime_ns))
            job, error = self._job(p, st)
            if job.key in pool.keys():  # the same content is being audited now
                self.twins.setdefault(job.key, []).append(job)
                summary.skipped += 1
                self.on_event(ScanEvent("skipped", str(job.path)))
            elif job.key in done_keys:
                self._skip(job, summary)
            elif error is not None:
                self._store(job, now(), error, summary, done_keys)
            else:
                pool.submit(job)
                self.on_event(ScanEvent("started", str(p)))

    def _skip(self, job: _Job, summary: ScanSummary) -> None:
        self.store.note_path(job.sha256, str(job.path), job.size, job.mtime_ns)
        summary.skipped += 1
        self.on_event(ScanEvent("skipped", str(job.path)))

    def _store(
        self,
        job: _Job,
        started: str,
        result: AuditResult,
        summary: ScanSummary,
        done_keys: set[str],
    ) -> None:
        result = replace(result, sha256=result.sha256 or job.sha256)
        self.store.record_run(
            result,
            key=job.key,
            sha256=job.sha256,
            size=job.size,
            mtime_ns=job.mtime_ns,
            profile_digest=job.profile_digest,
            started_at=started,
            meta=job.meta,
        )
        done_keys.add(job.key)
        for twin in self.twins.pop(job.key, []):
            self.store.note_path(twin.sha256, str(twin.path), twin.size, twin.mtime_ns)
        summary.audited += 1
        summary.decisions[result.decision] = summary.decisions.get(result.decision, 0) + 1
        if result.error is not None:
            summary.errors.append((str(job.path), result.error.code, result.error.message))
        self.on_event(ScanEvent("stored", str(job.path), result=result))


class _Pool:
    """N worker processes (spawned, so the same on Linux and Windows), restarted if one dies.

    A job whose worker died is tried once more in a fresh pool; if that dies too, the crash
    is stored as that file's error."""

    def __init__(self, scanner: Scanner):
        self.scanner = scanner
        self.executor: ProcessPoolExecutor | None = None
        self.running: dict[Future[tuple[str, AuditResult]], _Job] = {}
        self.crashed: set[str] = set()

    def _start(self) -> ProcessPoolExecutor:
        if self.executor is None:
            import multiprocessing

            n = max(1, self.scanner.options.workers)
            threads = max(1, (os.cpu_count() or 1) // n)
            self.executor = ProcessPoolExecutor(
                max_workers=n,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(
                    self.scanner.pipeline.options,
                    self.scanner.models_dir,
                    threads,
                    _worker_log_level(),
                ),
            )
        return self.executor

    def keys(self) -> set[str]:
        return {job.key for job in self.running.values()}

    def submit(self, job: _Job) -> None:
        fut = self._start().submit(_audit, str(job.path), job.profile_id)
        self.running[fut] = job

    def collect(self, summary: ScanSummary, done_keys: set[str], *, block: bool) -> None:
        if not self.running:
            return
        done, _ = wait(list(self.running), timeout=0.5 if block else 0, return_when=FIRST_COMPLETED)
        broken: list[_Job] = []
        for fut in done:
            job = self.running.pop(fut)
            try:
                started, result = fut.result()
            except BrokenProcessPool:
                broken.append(job)
                continue
            self.scanner._store(job, started, result, summary, done_keys)
        if broken:
            self._restart(broken, summary, done_keys)

    def _restart(self, broken: list[_Job], summary: ScanSummary, done_keys: set[str]) -> None:
        # Every job of a broken pool fails; collect the others too, then start afresh.
        for fut, job in list(self.running.items()):
            self.running.pop(fut)
            broken.append(job)
        self.close(cancel=True)
        for job in broken:
            if job.key in self.crashed:
                log.error("%s: the audit worker crashed twice on this file", job.path)
                result = self.scanner.pipeline.error_result(
                    job.path,
                    "worker_crashed",
                    "the audit process crashed on this file (twice); see the log",
                )
                self.scanner._store(job, now(), result, summary, done_keys)
            else:
                log.warning("%s: the audit worker died; trying this file again", job.path)
                self.crashed.add(job.key)
                self.submit(job)

    def close(self, cancel: bool = False) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=not cancel, cancel_futures=True)
            self.executor = None
