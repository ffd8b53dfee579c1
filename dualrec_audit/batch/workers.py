"""Where a scan's audits run: the worker processes (each loads the models once) and the pool
that feeds them the scan's jobs.

``init_worker`` sets a worker process up (Ctrl-C left to the scanning process, its share of the
cores, the pipeline in ``worker_pipeline``); ``audit_in_worker`` audits one file there. ``Job``
is a settled file ready to audit; ``Executor`` is the interface a scan runs its audits through,
``ProcessPool`` the one on this machine (``batch.cluster.RayPool`` the one on a Ray cluster).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Sized
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline
from dualrec_audit.core.paths import display_path
from dualrec_audit.core.result import AuditResult
from dualrec_audit.media.threads import share_cores
from dualrec_audit.rules.assign import ProfileChoice
from dualrec_audit.store.keys import now
from dualrec_audit.store.records import RecordingMeta

log = logging.getLogger(__name__)

# -- worker processes ------------------------------------------------------------------------

worker_pipeline: AuditPipeline | None = None


def init_worker(options: AuditOptions, models_dir: str | None, threads: int, level: int) -> None:
    global worker_pipeline
    if threading.current_thread() is threading.main_thread():  # (a Ray actor may not be)
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

    # The worker's share of the cores sizes its threads: OpenCV's, and the decoder's
    # (media.decoder_threads), which would otherwise count every core of the machine.
    cv2.setNumThreads(threads)
    share_cores(threads)
    worker_pipeline = AuditPipeline(options, models_dir=models_dir)


AuditFn = Callable[[str, str | None], tuple[str, AuditResult]]


def audit_in_worker(path: str, profile: str | None) -> tuple[str, AuditResult]:
    assert worker_pipeline is not None, "worker not initialised"
    started = now()
    return started, worker_pipeline.apply(Path(path), profile=profile)


def worker_log_level() -> int:
    """Per-file problems reach the summary, so workers log only real trouble (unless -v)."""
    level = logging.getLogger("dualrec_audit").getEffectiveLevel()
    return level if level < logging.WARNING else logging.ERROR


# -- executors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A settled, hashed and keyed file to audit."""

    path: Path  # absolute, as the OS names it
    sha256: str
    size: int
    mtime_ns: int
    key: str
    profile_id: str | None
    profile_digest: str | None
    meta: RecordingMeta
    share_rel: str | None = None
    chosen_by: ProfileChoice | None = None  # why this profile (kept with the result)

    @property
    def sig(self) -> tuple[str, int, int]:
        return (str(self.path), self.size, self.mtime_ns)


class Executor(Protocol):
    """Where the audits run: ``ProcessPool`` (processes on this machine) or
    ``dualrec_audit.batch.cluster.RayPool`` (actors on a Ray cluster). It gets the jobs, gives back
    (job, started, result) and turns a file that keeps killing its worker into an error result."""

    @property
    def running(self) -> Sized: ...  # the files being audited now

    @property
    def busy(self) -> bool: ...  # files waiting or being audited

    def keys(self) -> set[str]: ...  # run keys of the files waiting or being audited

    def submit(self, job: Job) -> None: ...

    def collect(self, *, block: bool) -> list[tuple[Job, str, AuditResult]]: ...

    def close(self, cancel: bool = False) -> None: ...


class _Sizing(Protocol):
    @property
    def workers(self) -> int: ...


class PoolOwner(Protocol):
    """What a pool needs of the scan that feeds it (:class:`~dualrec_audit.batch.scan.Scanner`):
    how many workers, the pipeline (its options go to the workers; it makes error results), the
    models folder, the function the workers run, and whether the scan was asked to stop."""

    @property
    def options(self) -> _Sizing: ...

    @property
    def pipeline(self) -> AuditPipeline: ...

    @property
    def models_dir(self) -> str | None: ...

    @property
    def audit_fn(self) -> AuditFn: ...

    @property
    def stop_requested(self) -> bool: ...


class ProcessPool:
    """N worker processes (spawned, so the same on Linux and Windows), at most N files in
    flight (the rest wait here), restarted if one dies.

    When a worker dies, every file in flight fails with it. If one file was in flight, it
    crashed the worker: it is tried once more, alone; a second crash is stored as its error.
    If several were, which one crashed is not known: each is tried again alone, so an
    innocent file is never blamed for another's crash."""

    def __init__(self, scanner: PoolOwner):
        self.scanner = scanner
        self.executor: ProcessPoolExecutor | None = None
        self.queue: deque[Job] = deque()
        self.alone: deque[Job] = deque()  # suspects of a crash: one at a time
        self.running: dict[Future[tuple[str, AuditResult]], Job] = {}
        self.crashes: dict[str, int] = {}  # crashes of a file running alone

    @property
    def busy(self) -> bool:
        return bool(self.queue or self.alone or self.running)

    def _start(self) -> ProcessPoolExecutor:
        if self.executor is None:
            import multiprocessing

            n = max(1, self.scanner.options.workers)
            threads = max(1, (os.cpu_count() or 1) // n)
            self.executor = ProcessPoolExecutor(
                max_workers=n,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=init_worker,
                initargs=(
                    self.scanner.pipeline.options,
                    self.scanner.models_dir,
                    threads,
                    worker_log_level(),
                ),
            )
        return self.executor

    def keys(self) -> set[str]:
        jobs = [*self.queue, *self.alone, *self.running.values()]
        return {job.key for job in jobs}

    def submit(self, job: Job) -> None:
        self.queue.append(job)
        self.pump()

    def pump(self) -> None:
        """Start waiting files: suspects one at a time, others up to one per worker."""
        if self.scanner.stop_requested:
            return
        if self.alone:
            if not self.running:
                self._run(self.alone.popleft())
            return
        while self.queue and len(self.running) < max(1, self.scanner.options.workers):
            self._run(self.queue.popleft())

    def _run(self, job: Job) -> None:
        fut = self._start().submit(self.scanner.audit_fn, str(job.path), job.profile_id)
        self.running[fut] = job

    def collect(self, *, block: bool) -> list[tuple[Job, str, AuditResult]]:
        """Results that arrived (waiting up to 0.5 s for one with ``block``)."""
        out: list[tuple[Job, str, AuditResult]] = []
        if self.running:
            timeout = 0.5 if block else 0
            done, _ = wait(list(self.running), timeout=timeout, return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                try:
                    started, result = fut.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                out.append((self.running.pop(fut), started, result))
            if broken:
                out += self._crashed()
        self.pump()
        return out

    def _crashed(self) -> list[tuple[Job, str, AuditResult]]:
        jobs = list(self.running.values())
        self.running.clear()
        self.close(cancel=True)
        if len(jobs) > 1:
            names = ", ".join(str(j.path) for j in jobs)
            log.warning("an audit worker died with %s in flight; trying each alone", names)
            self.alone.extend(jobs)
            return []
        [job] = jobs
        self.crashes[job.key] = n = self.crashes.get(job.key, 0) + 1
        if n < 2:
            log.warning("%s: the audit worker died; trying this file again", job.path)
            self.alone.appendleft(job)
            return []
        log.error("%s: the audit worker crashed twice on this file", job.path)
        result = self.scanner.pipeline.error_result(
            display_path(job.path),
            "worker_crashed",
            "the audit process crashed on this file (twice, each time alone); see the log",
        )
        return [(job, now(), result)]

    def close(self, cancel: bool = False) -> None:
        """Shut the workers down; with ``cancel`` (Ctrl-C, an error) at once: the audits in
        progress are killed, not waited for."""
        executor, self.executor = self.executor, None
        if executor is None:
            return
        if cancel:
            # The executor would wait for the running audits (tens of seconds) before its
            # processes exit; their results are not wanted.
            for proc in list(getattr(executor, "_processes", {}).values()):
                if proc.is_alive():
                    proc.kill()
        executor.shutdown(wait=not cancel, cancel_futures=True)
