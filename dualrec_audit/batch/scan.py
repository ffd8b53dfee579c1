"""Batch folder scan: audit every new recording in a folder into the results store.

``Scanner(store, pipeline, options).run(folder)`` finds the recordings, leaves alone files
still being written (their size or mtime changed within ``settle_s``) and comes back to them,
skips recordings already audited with the same content, profile, models and options, and
audits the rest in N worker processes that each load the models once. The scanning process is
the only writer: each result is stored whole, in one transaction, as it arrives, so a scan
killed at any moment and started again loses nothing and duplicates nothing.

Finding and settling the files is in ``batch.folder``; the worker processes and the pool that
runs the audits in ``batch.workers``.

Progress goes to ``on_event(ScanEvent)``: a terminal bar in the CLI, Qt signals in the UI.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from dualrec_audit.audit.pipeline import AuditPipeline
from dualrec_audit.batch.folder import Settler, hash_file, list_folder
from dualrec_audit.batch.workers import AuditFn, Executor, Job, ProcessPool, audit_in_worker
from dualrec_audit.core.errors import ConfigError, DualrecError, ModelError
from dualrec_audit.core.paths import absolute, display_path, share_relative
from dualrec_audit.core.result import AuditResult
from dualrec_audit.media.probe import may_become_media, os_error_message
from dualrec_audit.rules.assign import ProfileMap, resolve_profile, sidecar_meta, with_choice
from dualrec_audit.store.database import Store
from dualrec_audit.store.keys import BY_PATH, by_path_key, digest, now, run_key
from dualrec_audit.store.records import RecordingMeta

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
    # After the decisions: the character transcript of each recording sent to a reviewer
    # (``audit/hanzi.py``, cached), computed only while no audit is waiting or running.
    characters: bool = False


# Errors that a file still being copied also gives: a young file that gives one is held
# until it changes (then audited again) or stays unchanged for ``settle_timeout_s``.
COPYING_LOOKALIKES = ("truncated", "not_media")
# Errors of a file's settings (its sidecar, its profile), not of its content: stored under the
# content, so that fixing the sidecar audits it as that recording.
CONFIG_ERRORS = ("profile_error", "unknown_profile")

EventKind = Literal[
    "found",
    "skipped",
    "pending",
    "held",  # audited as truncated or not media but recently written: waiting for more data
    "started",
    "stored",
    "gave_up",
    "failed",  # cannot be read at all (nothing to store): listed, tried again next scan
    "changed",  # renamed, deleted or changed while audited: not stored, looked at again
    "unavailable",  # the folder (a share) went away: waiting for it
    "available",  # ... and it is back
]


@dataclass(frozen=True)
class ScanEvent:
    kind: EventKind
    path: str = ""
    result: AuditResult | None = None
    count: int = 0  # for "found": how many recordings the folder holds
    until: float | None = None  # for "held": when its error is stored if it does not change
    reason: str = ""  # for "held": the error it has now (truncated, not_media)


@dataclass
class ScanSummary:
    found: int = 0
    audited: int = 0
    skipped: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (path, code, message)
    decisions: dict[str, int] = field(default_factory=dict)
    still_copying: list[str] = field(default_factory=list)
    # (profile id, why it was chosen) -> how many recordings were judged under it
    profiles: dict[tuple[str, str], int] = field(default_factory=dict)
    unavailable_s: float = 0.0  # how long the folder was gone (a share that went away)
    characters: int = 0  # character transcripts made or found in the cache
    characters_failed: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


# -- the scanner ----------------------------------------------------------------------------


@dataclass
class _State:
    """What one ``Scanner.run`` keeps track of."""

    summary: ScanSummary
    settler: Settler
    done_keys: set[str]
    waiting: dict[Path, float] = field(default_factory=dict)  # unsettled file -> first seen
    # A young file whose result looks like a copy in progress: (deadline, job, start, result).
    held: dict[Path, tuple[float, Job, str, AuditResult]] = field(default_factory=dict)
    handled: set[tuple[str, int, int]] = field(default_factory=set)  # (path, size, mtime)
    rescan: bool = False  # a file was renamed or changed: list the folder once more
    gone_since: float | None = None  # the folder is unavailable since (monotonic)


class Scanner:
    def __init__(
        self,
        store: Store,
        pipeline: AuditPipeline,
        options: ScanOptions,
        *,
        models_dir: Path | str | None = None,
        on_event: Callable[[ScanEvent], None] | None = None,
        audit_fn: AuditFn = audit_in_worker,
        executor: Callable[[Scanner], Executor] | None = None,
        characters_fn: Callable[[Path, str], object] | None = None,
    ):
        self.store = store
        self.pipeline = pipeline  # validates models and options; its models key the runs
        self.options = options
        self.models_dir = None if models_dir is None else str(models_dir)
        self.on_event = on_event or (lambda e: None)
        self.audit_fn = audit_fn  # runs in the workers (a test injects crashes through it)
        self.executor = executor  # None: worker processes on this machine (ProcessPool)
        self.stop_requested = False
        self.watching = False
        self.root: Path | None = None
        self.twins: dict[str, list[Job]] = {}  # same content as a job in flight
        # Content that could not be audited, by run key: each other name it has gets its own
        # stored error (not "already audited"), keyed by its path.
        self.bad: dict[str, AuditResult] = {}
        # Recordings sent to review whose character transcript is still to make (path, sha256).
        self.for_characters: list[tuple[Path, str]] = []
        self.characters_fn = characters_fn or self._character_transcript
        key_options = {
            k: v for k, v in pipeline.options.to_dict().items() if k not in EXECUTION_ONLY
        }
        key_options["whisper"] = {
            k: v for k, v in key_options["whisper"].items() if k != "cpu_threads"
        }
        self.key_options = key_options

    def _job(self, path: Path, st: os.stat_result) -> tuple[Job | None, AuditResult | None]:
        """The job for a settled file; with an error result when it cannot be audited at all
        (a bad sidecar, an unknown profile): that error is stored like any result. None when
        the scan was stopped while hashing. Raises OSError when the file cannot be read."""
        cached = self.store.cached_hash(str(path), st.st_size, st.st_mtime_ns)
        sha = cached or hash_file(path, lambda: self.stop_requested)
        if sha is None:
            return None, None
        o = self.options
        error: tuple[str, str] | None = None
        meta = RecordingMeta()
        pid: str | None = None
        choice = None
        try:
            pid, choice = resolve_profile(
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
        rel = share_relative(path, self.root)
        job = Job(path, sha, st.st_size, st.st_mtime_ns, key, pid, prof_digest, meta, rel, choice)
        if error is None:
            return job, None
        return job, self.pipeline.error_result(display_path(path), *error)

    def run(self, folder: Path, *, watch: bool = False, interval_s: float = 30.0) -> ScanSummary:
        """Scan ``folder`` once (or, with ``watch``, until ``stop()``)."""
        folder = self.root = absolute(folder)
        self.watching = watch
        done_keys = set() if self.options.force else self.store.run_keys()
        st = _State(ScanSummary(), Settler(self.options.settle_s), done_keys)
        pool: Executor = self.executor(self) if self.executor else ProcessPool(self)
        finished = False
        try:
            while not self.stop_requested:
                self._list(folder, st)
                self._feed(st, pool)
                self._check_held(st)
                block = bool(pool.running) and not st.waiting and not st.held
                for job, started, result in pool.collect(block=block):
                    self._finish(job, started, result, st)
                if not self._next(st, pool, watch, interval_s):
                    break
            finished = True
        finally:
            pool.close(cancel=self.stop_requested or not finished)
        return st.summary

    def _next(self, st: _State, pool: Executor, watch: bool, interval_s: float) -> bool:
        """Wait as the state needs; False when a one-shot scan is done."""
        if st.gone_since is not None and not pool.busy:
            gone = time.monotonic() - st.gone_since
            if not watch and gone >= self.options.settle_timeout_s:
                message = f"the folder went away and did not come back within {gone:.0f} s"
                st.summary.errors.append((str(self.root), "folder_unavailable", message))
                return False
            self._sleep(min(interval_s, 2.0))
            return True
        if not st.waiting and not st.held and not pool.busy:
            if self.for_characters:  # one, then the folder is looked at again
                self._characters(st.summary)
                return True
            if st.rescan:
                st.rescan = False
                return True
            if not watch:
                return False
            self._sleep(interval_s)
        elif not pool.running:
            self._gave_up(st, watch)
            if st.waiting or st.held:
                self._sleep(min(1.0, max(0.2, self.options.settle_s / 4)))
        return True

    def stop(self) -> None:
        self.stop_requested = True

    def _character_transcript(self, path: Path, sha256: str) -> object:
        from dualrec_audit.audit.hanzi import HanziCache, recording_hanzi
        from dualrec_audit.models.registry import ModelStore

        return recording_hanzi(path, sha256, cache=HanziCache(), store=ModelStore(self.models_dir))

    def _characters(self, summary: ScanSummary) -> None:
        """The next character transcript (off the decisions' path: they are stored). A missing
        model is said once and no more are tried; a file that fails is listed, and the scan
        goes on."""
        path, sha256 = self.for_characters.pop(0)
        try:
            self.characters_fn(path, sha256)
            summary.characters += 1
        except ModelError as exc:
            summary.characters_failed.append((display_path(path), exc.message))
            self.for_characters.clear()
        except (DualrecError, OSError) as exc:
            log.warning("character transcript of %s: %s", path, exc)
            summary.characters_failed.append((display_path(path), str(exc)))

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stop_requested and time.monotonic() < end:
            time.sleep(min(0.2, seconds))

    # -- finding files ----------------------------------------------------------------------

    def _list(self, folder: Path, st: _State) -> None:
        """Put the new files in ``waiting``; note when the folder (a share) is gone or back."""
        try:
            files, problems = list_folder(folder, self.options.recursive)
        except (ConfigError, OSError) as exc:
            if st.gone_since is None:
                st.gone_since = time.monotonic()
                reason = exc.message if isinstance(exc, ConfigError) else exc.strerror
                log.warning("%s is not available (%s): waiting for it to come back", folder, reason)
                self.on_event(ScanEvent("unavailable", str(folder)))
            return
        if st.gone_since is not None:
            gone = time.monotonic() - st.gone_since
            st.summary.unavailable_s += gone
            st.gone_since = None
            log.warning("%s is available again after %.0f s: going on", folder, gone)
            self.on_event(ScanEvent("available", str(folder)))
        for problem in problems:  # a subfolder that cannot be read, a path too long
            sig = (str(problem.path), -2, 0)
            if sig not in st.handled:
                st.handled.add(sig)
                self._fail(problem.path, problem.code, problem.message, st)
        fresh = [
            p
            for p in files
            if p not in st.waiting and p not in st.held and not _handled(p, st.handled)
        ]
        if fresh:
            st.summary.found += len(fresh)
            self.on_event(ScanEvent("found", count=len(fresh)))
        for p in fresh:
            st.waiting[p] = time.monotonic()

    def _gave_up(self, st: _State, watch: bool) -> None:
        if watch:
            return
        limit = self.options.settle_timeout_s
        for p, since in list(st.waiting.items()):
            if time.monotonic() - since >= limit:
                del st.waiting[p]
                st.summary.still_copying.append(display_path(p))
                self.on_event(ScanEvent("gave_up", display_path(p)))

    def _feed(self, st: _State, pool: Executor) -> None:
        for p in sorted(st.waiting):
            if self.stop_requested:
                return
            ok, stat = st.settler.settled(p)
            if stat is None:  # gone, or a link to nothing
                del st.waiting[p]
                self._not_a_file(p, st)
                continue
            if not ok:
                self.on_event(ScanEvent("pending", display_path(p)))
                continue
            del st.waiting[p]
            st.handled.add((str(p), stat.st_size, stat.st_mtime_ns))
            try:
                job, error = self._job(p, stat)
            except OSError as exc:
                self._fail(p, "unreadable", os_error_message(p, exc), st)
                continue
            if job is None:  # stopped while hashing
                return
            self._dispatch(job, error, st, pool)

    def _dispatch(self, job: Job, error: AuditResult | None, st: _State, pool: Executor) -> None:
        if job.key in pool.keys():  # the same content is being audited now
            self.twins.setdefault(job.key, []).append(job)
            st.summary.skipped += 1
            self.on_event(ScanEvent("skipped", display_path(job.path)))
        elif job.key in st.done_keys:
            self._skip(job, st.summary)
        elif self._by_path(job).key in st.done_keys:  # its error is stored under its path
            self._skip(self._by_path(job), st.summary)
        elif job.key in self.bad:  # the same bad content under another name
            self._store(job, now(), replace(self.bad[job.key], file=display_path(job.path)), st)
        elif error is not None:
            self._store(job, now(), error, st)
        else:
            pool.submit(job)
            self.on_event(ScanEvent("started", display_path(job.path)))

    def _not_a_file(self, p: Path, st: _State) -> None:
        """A listed file that cannot be stat'ed: a broken link is reported, a file that went
        away (renamed, deleted) is forgotten (its new name is found by the next listing)."""
        try:
            if not p.is_symlink():
                return
            target = os.readlink(p)
            sig = (str(p), -1, p.lstat().st_mtime_ns)
        except OSError:
            return
        st.handled.add(sig)
        try:
            os.stat(p)
            loop = False
        except OSError as exc:
            loop = exc.errno == errno.ELOOP
        if loop:
            message = (
                f"{display_path(p.name)}: a link to {display_path(target)}, which leads back "
                "to itself (a loop of links)"
            )
            self._fail(p, "link_loop", message, st)
            return
        message = f"{display_path(p.name)}: a link to {display_path(target)}, which does not exist"
        self._fail(p, "broken_link", message, st)

    def _fail(self, p: Path, code: str, message: str, st: _State) -> None:
        """A path with no content to audit (unreadable, a broken link, a folder that cannot
        be read): listed in the summary and the log, and stored under its path (once: the
        next scan lists it again, and audits it once it can be read)."""
        log.warning("%s", message)
        st.summary.errors.append((display_path(p), code, message))
        self.on_event(ScanEvent("failed", display_path(p)))
        prof = digest({"error": code})
        sha = by_path_key(str(p), None)
        key = run_key(sha, prof, self.pipeline.models, self.key_options)
        if key in st.done_keys:
            return
        rel = share_relative(p, self.root)
        job = Job(p, sha, 0, 0, key, None, prof, RecordingMeta(), rel)
        result = self.pipeline.error_result(display_path(p), code, message)
        self._record(job, now(), result, st)

    def _by_path(self, job: Job) -> Job:
        """The job keyed by its path: content that cannot be audited is stored under each
        name it has."""
        if job.sha256.startswith(BY_PATH):
            return job
        sha = by_path_key(str(job.path), job.sha256)
        key = run_key(sha, job.profile_digest, self.pipeline.models, self.key_options)
        return replace(job, sha256=sha, key=key)

    def _skip(self, job: Job, summary: ScanSummary) -> None:
        self.store.note_path(job.sha256, str(job.path), job.size, job.mtime_ns, job.share_rel)
        summary.skipped += 1
        self.on_event(ScanEvent("skipped", display_path(job.path)))

    # -- results ----------------------------------------------------------------------------

    def _finish(self, job: Job, started: str, result: AuditResult, st: _State) -> None:
        """Store a worker's result, unless the file changed under the audit or may still be
        being copied."""
        change = _changed(job, result)
        if change is not None:
            log.warning("%s: %s while it was audited; looking at it again", job.path, change)
            self.on_event(ScanEvent("changed", display_path(job.path)))
            st.handled.discard(job.sig)
            for twin in self.twins.pop(job.key, []):  # audit the same content elsewhere
                st.handled.discard(twin.sig)
                st.summary.skipped -= 1
                st.summary.found -= 1
            st.summary.found -= 1
            st.rescan = True
            return
        code = result.error.code if result.error is not None else None
        deadline = job.mtime_ns / 1e9 + self.options.settle_timeout_s
        if code in COPYING_LOOKALIKES and time.time() < deadline and self._may_grow(job, code):
            log.info("%s: %s, but recently written: waiting for more data", job.path, code)
            st.held[job.path] = (deadline, job, started, result)
            self.on_event(ScanEvent("held", display_path(job.path), until=deadline, reason=code))
            return
        self._store(job, started, result, st)

    def _may_grow(self, job: Job, code: str | None) -> bool:
        """Whether more data may still come to a file that is not a recording yet: never in a
        one-shot scan with ``settle_s == 0`` (no waiting asked for), nor for a file that
        starts like no video container."""
        if self.options.settle_s <= 0 and not self.watching:
            return False
        return code != "not_media" or may_become_media(job.path)

    def _check_held(self, st: _State) -> None:
        """A held file that changed is looked at again; one unchanged until its deadline
        has its error stored."""
        for p, (deadline, job, started, result) in list(st.held.items()):
            if _changed(job, result) is not None:
                del st.held[p]
                st.handled.discard(job.sig)
                st.summary.found -= 1
                st.rescan = True
            elif time.time() >= deadline:
                del st.held[p]
                self._store(job, started, result, st)

    def _store(self, job: Job, started: str, result: AuditResult, st: _State) -> None:
        result = replace(
            result,
            sha256=result.sha256 or job.sha256,
            profile=with_choice(result.profile, job.chosen_by),
        )
        twins = self.twins.pop(job.key, [])
        if result.error is not None and result.error.code not in CONFIG_ERRORS:
            # Content that cannot be audited: stored under each name it has.
            self.bad[job.key] = result
            self._record(self._by_path(job), started, result, st)
            for twin in twins:
                st.summary.skipped -= 1  # counted as stored below, not "already audited"
                twin_result = replace(result, file=display_path(twin.path))
                self._record(self._by_path(twin), started, twin_result, st)
                self._stored(twin, twin_result, st.summary)
            twins = []
        else:
            self._record(job, started, result, st)
        for twin in twins:
            self.store.note_path(
                twin.sha256, str(twin.path), twin.size, twin.mtime_ns, twin.share_rel
            )
        self._stored(job, result, st.summary)

    def _stored(self, job: Job, result: AuditResult, summary: ScanSummary) -> None:
        summary.audited += 1
        summary.decisions[result.decision] = summary.decisions.get(result.decision, 0) + 1
        if result.profile is not None and job.chosen_by is not None and result.error is None:
            judged = (result.profile["id"], job.chosen_by.by)
            summary.profiles[judged] = summary.profiles.get(judged, 0) + 1
        if result.error is not None:
            summary.errors.append((result.file, result.error.code, result.error.message))
        elif self.options.characters and result.decision != "approve":
            self.for_characters.append((job.path, job.sha256))
        self.on_event(ScanEvent("stored", display_path(job.path), result=result))

    def _record(self, job: Job, started: str, result: AuditResult, st: _State) -> None:
        self.store.record_run(
            result,
            key=job.key,
            sha256=job.sha256,
            size=job.size,
            mtime_ns=job.mtime_ns,
            profile_digest=job.profile_digest,
            started_at=started,
            meta=job.meta,
            path=str(job.path),
            share_rel=job.share_rel,
        )
        st.done_keys.add(job.key)


def _handled(p: Path, handled: set[tuple[str, int, int]]) -> bool:
    try:
        st = p.stat()
    except OSError:
        try:  # a link to nothing: reported once per scan
            return (str(p), -1, p.lstat().st_mtime_ns) in handled
        except OSError:
            return True
    return (str(p), st.st_size, st.st_mtime_ns) in handled


def _changed(job: Job, result: AuditResult) -> str | None:
    """How the file changed since it was hashed (None: it did not)."""
    try:
        st = os.stat(job.path)
    except FileNotFoundError:
        return "renamed or deleted"
    except OSError:
        return None  # unreadable now: the result says so
    if (st.st_size, st.st_mtime_ns) != (job.size, job.mtime_ns):
        return "changed"
    if result.sha256 and result.sha256 != job.sha256:
        return "changed"
    return None
