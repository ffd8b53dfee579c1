"""`scan --ray`: the scan's audits in Ray actors across the nodes of a cluster.

The scanning process (:class:`dualrec_audit.batch.scan.Scanner`) finds, settles, hashes and keys
the files as on one machine and stays the only writer of the database; :class:`RayPool` is another
executor behind the same interface as the scan's process pool (``submit``, ``collect``,
``close``): it sends each file's path to an actor and hands the results back.

- One actor per CPU slot of the cluster (``cpus_per_actor`` slots each), each loading the
  models once (the same worker set-up as a scan's process). Actors are added when the cluster
  grows; a pending actor gets no file until it is ready.
- One file per actor at a time: the files in flight are bounded by the ready actors (the rest
  wait in the scanning process, which only holds paths and keys).
- An actor that dies names its file. If the actor's node is gone (a node lost, preempted), or
  the actor cannot be reached (Ray's ``ActorUnavailableError``: what the scan hears first when
  a node is killed, before the cluster has marked the node dead), the file is sent again to
  another actor and nobody is blamed (up to ``NODE_LOSSES_FORGIVEN`` times a file). If the node
  is still there, the audit killed the actor: the file is tried again on another actor until it
  killed ``retry_limit`` actors, then its ``worker_crashed`` error is stored. Other files are
  never blamed for it. Storing is idempotent (content-keyed runs), so a retried file is stored
  once.
- Worker nodes open the files through the same share: at the same path as the scanning
  process, or under ``share_root`` (where the nodes mount the scanned folder).
- ``resource``: a Ray custom resource every actor needs (e.g. ``asr_gpu``, given by
  ``ray start --resources='{"asr_gpu": 16}'`` on the nodes with a GPU), so the audits that run a
  transcript model are pinned to those nodes.

Ray is an optional dependency (``pip install "dualrec-audit[cluster]"``), imported here only.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dualrec_audit.core.errors import ConfigError
from dualrec_audit.core.paths import display_path
from dualrec_audit.core.result import AuditResult

if TYPE_CHECKING:
    from dualrec_audit.batch.scan import Scanner
    from dualrec_audit.batch.workers import AuditFn, Job

log = logging.getLogger(__name__)

INSTALL_HINT = 'pip install "dualrec-audit[cluster]"'
NAMESPACE = "dualrec-audit"
RESIZE_EVERY_S = 10.0  # how often the cluster's CPU slots are looked at again
# Nodes a file may be lost with before their loss counts as its deaths too (a file that takes
# its whole node down, e.g. out of memory, must not go round the cluster for ever).
NODE_LOSSES_FORGIVEN = 3


def require_ray() -> Any:
    """The ``ray`` module, or a ConfigError that says how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(
            f"--ray needs Ray, which is not installed: {INSTALL_HINT} (on this machine and on "
            "every node of the cluster)",
            code="usage",
        ) from None
    return ray


@dataclass(frozen=True)
class RayOptions:
    address: str = "auto"  # "auto": the cluster this machine belongs to (ray start ran here)
    cpus_per_actor: int = 1
    retry_limit: int = 2  # actors a file may kill before its error is stored
    resource: str | None = None  # a custom resource every actor needs (GPU nodes)
    share_root: str | None = None  # where the worker nodes mount the scanned folder


def connect(options: RayOptions, verbose: bool = False) -> dict[str, float]:
    """Join the cluster at ``options.address``; its resources. A ConfigError when it cannot."""
    ray = require_ray()
    if options.cpus_per_actor < 1:
        raise ConfigError("--ray-cpus-per-actor must be at least 1", code="usage")
    if options.retry_limit < 1:
        raise ConfigError("--ray-retries must be at least 1", code="usage")
    if not ray.is_initialized():
        _answers(options.address)
        try:
            ray.init(
                address=options.address,
                namespace=NAMESPACE,
                logging_level=logging.WARNING,
                log_to_driver=verbose,  # the actors' native log noise stays on their nodes
                configure_logging=True,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ConfigError(
                f"cannot join the Ray cluster at '{options.address}': {exc}", code="usage"
            ) from None
    resources: dict[str, float] = ray.cluster_resources()
    if options.resource and resources.get(options.resource, 0) <= 0:
        raise ConfigError(
            f"no node of the Ray cluster offers the resource '{options.resource}' "
            f"(ray start --resources='{{\"{options.resource}\": N}}' on those nodes)",
            code="usage",
        )
    return resources


def _answers(address: str, timeout_s: float = 5.0) -> None:
    """Fail within seconds when nothing listens at a ``host:port`` address (Ray itself keeps
    trying to reach a cluster's control store for minutes). ``auto`` and addresses that are not
    ``[ray://]host:port`` are left to Ray."""
    import socket

    rest = address.split("://", 1)[-1]
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        if isinstance(exc, TimeoutError):
            reason = f"no answer within {timeout_s:.0f} s"
        else:
            reason = (exc.strerror or str(exc)).lower()
        raise ConfigError(
            f"cannot join the Ray cluster at '{address}': {reason}. Is `ray start --head` "
            "running on that machine, and is the port right?",
            code="usage",
        ) from None


def disconnect() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()


class _AuditActor:
    """Runs the scan's audit function with the models loaded once (a Ray actor)."""

    def __init__(
        self,
        options: Any,
        models_dir: str | None,
        threads: int,
        level: int,
        audit_fn: AuditFn,
    ) -> None:
        from dualrec_audit.batch import workers

        workers.init_worker(options, models_dir, threads, level)
        self.audit_fn = audit_fn

    def ready(self) -> tuple[str, dict[str, str]]:
        """Its node and the models it loaded (they must be the scanning process's: they key
        the stored runs)."""
        import ray

        from dualrec_audit.batch import workers

        assert workers.worker_pipeline is not None
        return str(ray.get_runtime_context().get_node_id()), dict(workers.worker_pipeline.models)

    def audit(self, path: str, profile: str | None) -> tuple[str, AuditResult]:
        return self.audit_fn(path, profile)


@dataclass
class _Actor:
    handle: Any
    ready_ref: Any
    node_id: str | None = None  # known once ready
    job: Job | None = None  # the file in flight on it


@dataclass
class _Flight:
    actor: _Actor
    job: Job


@dataclass
class _Counts:
    deaths: dict[str, int] = field(default_factory=dict)  # job key -> actors it killed
    lost: dict[str, int] = field(default_factory=dict)  # job key -> actors lost with it
    node_losses: int = 0
    init_failures: int = 0


class RayPool:
    """The scan's executor on a Ray cluster (see the module doc)."""

    def __init__(self, scanner: Scanner, options: RayOptions):
        self.scanner = scanner
        self.options = options
        self.queue: deque[Job] = deque()  # retries go first
        self.running: dict[Any, _Flight] = {}  # object ref -> the file and its actor
        self.actors: list[_Actor] = []
        self.counts = _Counts()
        self.first_init_error: str | None = None
        self._actor_class: Any = None
        self._sized_at = -RESIZE_EVERY_S

    # -- the executor interface (as workers.ProcessPool) ------------------------------------

    @property
    def busy(self) -> bool:
        return bool(self.queue or self.running)

    def keys(self) -> set[str]:
        return {job.key for job in [*self.queue, *(f.job for f in self.running.values())]}

    def submit(self, job: Job) -> None:
        self.queue.append(job)
        self.pump()

    def pump(self) -> None:
        """Size the actor set to the cluster; give each ready, idle actor a waiting file."""
        if self.scanner.stop_requested:
            return
        self._size()
        for actor in self.actors:
            if not self.queue:
                return
            if actor.node_id is not None and actor.job is None:
                self._run(actor, self.queue.popleft())

    def collect(self, *, block: bool) -> list[tuple[Job, str, AuditResult]]:
        """Results that arrived (waiting up to 0.5 s for one with ``block``)."""
        import ray

        out: list[tuple[Job, str, AuditResult]] = []
        pending = [a.ready_ref for a in self.actors if a.node_id is None]
        refs = [*self.running, *pending]
        if refs:
            # Nothing in flight yet (the actors are loading their models): wait for them.
            timeout = 0.5 if block or not self.running else 0
            done, _ = ray.wait(refs, num_returns=len(refs), timeout=timeout, fetch_local=True)
            for ref in done:
                flight = self.running.pop(ref, None)
                if flight is None:
                    self._became_ready(ref)
                else:
                    out += self._arrived(ref, flight)
        elif self.queue:  # no actor at all yet (none ready, none starting): no spinning
            time.sleep(0.2)
        self.pump()
        return out

    def close(self, cancel: bool = False) -> None:
        """Stop the actors (their models are freed); the cluster itself stays up."""
        import ray

        for actor in self.actors:
            ray.kill(actor.handle, no_restart=True)
        self.actors.clear()
        self.running.clear()

    # -- actors ---------------------------------------------------------------------------

    def _slots(self) -> int:
        import ray

        resources = ray.cluster_resources()
        slots = int(resources.get("CPU", 0)) // self.options.cpus_per_actor
        if self.options.resource:
            slots = min(slots, int(resources.get(self.options.resource, 0)))
        return max(0, slots - self.counts.init_failures)

    def _size(self) -> None:
        """As many actors as the cluster has slots (checked every RESIZE_EVERY_S)."""
        if time.monotonic() - self._sized_at < RESIZE_EVERY_S:
            return
        self._sized_at = time.monotonic()
        missing = self._slots() - len(self.actors)
        for _ in range(missing):
            self._add_actor()
        if not self.actors and self.queue:
            reason = self.first_init_error or "the cluster has no free CPU slot"
            raise ConfigError(f"no Ray actor can audit: {reason}", code="usage")

    def _add_actor(self) -> None:
        import ray

        from dualrec_audit.batch import workers

        if self._actor_class is None:
            options: dict[str, Any] = {"num_cpus": self.options.cpus_per_actor, "max_restarts": 0}
            if self.options.resource:
                options["resources"] = {self.options.resource: 1}
            self._actor_class = ray.remote(**options)(_AuditActor)
        s = self.scanner
        handle = self._actor_class.remote(
            s.pipeline.options,
            s.models_dir,
            self.options.cpus_per_actor,
            workers.worker_log_level(),
            s.audit_fn,
        )
        self.actors.append(_Actor(handle, handle.ready.remote()))

    def _became_ready(self, ref: Any) -> None:
        import ray

        actor = next(a for a in self.actors if a.ready_ref is ref)
        try:
            node_id, models = ray.get(ref)
        except ray.exceptions.RayActorError as exc:  # e.g. its models are not installed there
            self._unusable(actor, _cause(exc))
            return
        if models != dict(self.scanner.pipeline.models):
            ray.kill(actor.handle, no_restart=True)
            self._unusable(
                actor,
                f"node {node_id} has other models ({_names(models)}) than "
                f"this machine ({_names(self.scanner.pipeline.models)})",
            )
            return
        actor.node_id = node_id

    def _unusable(self, actor: _Actor, reason: str) -> None:
        """An actor that cannot audit as this scan must: not replaced (its slot is left out)."""
        self.actors.remove(actor)
        self.counts.init_failures += 1
        self.first_init_error = self.first_init_error or reason
        log.error("a Ray actor cannot audit: %s", reason)

    def _run(self, actor: _Actor, job: Job) -> None:
        path = str(job.path)
        if self.options.share_root and job.share_rel is not None:
            path = str(Path(self.options.share_root) / job.share_rel)
        ref = actor.handle.audit.remote(path, job.profile_id)
        actor.job = job
        self.running[ref] = _Flight(actor, job)

    # -- results and deaths -----------------------------------------------------------------

    def _arrived(self, ref: Any, flight: _Flight) -> list[tuple[Job, str, AuditResult]]:
        import ray

        job, actor = flight.job, flight.actor
        actor.job = None
        try:
            started, result = ray.get(ref)
        except ray.exceptions.RayActorError as exc:
            return self._died(actor, job, exc)
        # The file as the scanning process names it (a node may mount the share elsewhere).
        return [(job, started, replace(result, file=display_path(job.path)))]

    def _forgiven(self, job: Job) -> bool:
        """The file's actor went down with its node: not the file's fault, unless it was lost
        with more than NODE_LOSSES_FORGIVEN nodes."""
        self.counts.node_losses += 1
        lost = self.counts.lost[job.key] = self.counts.lost.get(job.key, 0) + 1
        return lost <= NODE_LOSSES_FORGIVEN

    def _died(self, actor: _Actor, job: Job, exc: Exception) -> list[tuple[Job, str, AuditResult]]:
        if actor in self.actors:
            self.actors.remove(actor)
        self._sized_at = -RESIZE_EVERY_S  # a replacement where a slot is free
        unreachable = _unreachable(exc)
        if (unreachable or not _node_alive(actor.node_id or "")) and self._forgiven(job):
            if unreachable:
                _stop(actor)  # it may still come back: it gets no more files
                log.warning(
                    "%s: its Ray actor cannot be reached (its node lost or cut off); auditing "
                    "it on another node",
                    job.path,
                )
            else:
                log.warning("%s: its Ray node was lost; auditing it on another node", job.path)
            self.queue.appendleft(job)
            return []
        n = self.counts.deaths[job.key] = self.counts.deaths.get(job.key, 0) + 1
        if n < self.options.retry_limit:
            log.warning("%s: the Ray actor auditing it died (%s); trying again", job.path, n)
            self.queue.appendleft(job)
            return []
        log.error("%s: %d Ray actors died auditing this file: %s", job.path, n, _cause(exc))
        result = self.scanner.pipeline.error_result(
            display_path(job.path),
            "worker_crashed",
            f"the audit process crashed on this file ({n} times, on its own each time); "
            "see the Ray logs of the nodes",
        )
        from dualrec_audit.store.keys import now

        return [(job, now(), result)]


def _node_alive(node_id: str) -> bool:
    import ray

    return any(n["NodeID"] == node_id and n["Alive"] for n in ray.nodes())


def _unreachable(exc: Exception) -> bool:
    """The actor could not be reached, not known to be dead: the file is not to blame."""
    import ray

    return isinstance(exc, ray.exceptions.ActorUnavailableError)


def _stop(actor: _Actor) -> None:
    import ray

    try:
        ray.kill(actor.handle, no_restart=True)
    except Exception:  # already gone with its node
        log.debug("stopping an unreachable Ray actor failed", exc_info=True)


def _names(models: Mapping[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(models.items())) or "none"


def _cause(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


# -- the command line (`scan --ray ...`) ------------------------------------------------------


def add_arguments(parser: Any) -> None:
    """The ``--ray`` options of ``scan`` (an argparse parser)."""
    group = parser.add_argument_group('Ray cluster (pip install "dualrec-audit[cluster]")')
    group.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="audit in Ray actors on a cluster: its address (host:6379) or auto (the cluster "
        "this machine joined with ray start); --workers is then not used",
    )
    group.add_argument(
        "--ray-cpus-per-actor",
        type=int,
        default=1,
        help="CPU slots per audit actor (default 1: one actor per slot)",
    )
    group.add_argument(
        "--ray-resource",
        metavar="NAME",
        help="a custom resource every actor needs, e.g. the GPU nodes that run a transcript "
        "model (ray start --resources='{\"NAME\": N}' there)",
    )
    group.add_argument(
        "--ray-share-root",
        metavar="DIR",
        help="where the worker nodes mount the scanned folder (default: the same path)",
    )
    group.add_argument(
        "--ray-retries",
        type=int,
        default=2,
        help="actors a file may kill before its worker_crashed error is stored (default 2)",
    )


def options_from_args(args: Any) -> RayOptions:
    return RayOptions(
        address=args.ray,
        cpus_per_actor=args.ray_cpus_per_actor,
        retry_limit=args.ray_retries,
        resource=args.ray_resource,
        share_root=args.ray_share_root,
    )


def executor(options: RayOptions) -> Callable[[Scanner], RayPool]:
    """What ``Scanner(executor=...)`` takes: a RayPool for the scan (already connected)."""
    return lambda scanner: RayPool(scanner, options)
