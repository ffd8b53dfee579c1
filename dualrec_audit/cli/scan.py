"""``scan``: audit every new recording in a folder into the database (resumable, optionally on a
Ray cluster), with its files-done progress bar.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from dualrec_audit.cli.common import (
    DEFAULT_PROFILE,
    add_audit_args,
    add_db_arg,
    audit_options,
    err_line,
    out_line,
)
from dualrec_audit.core.errors import DualrecError

log = logging.getLogger("dualrec_audit")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = sub.add_parser(
        "scan", help="audit every new recording in a folder into the database (resumable)"
    )
    scan.set_defaults(handler=cmd_scan)
    scan.add_argument("folder", type=Path)
    scan.add_argument("--recursive", "-r", action="store_true", help="include subfolders")
    scan.add_argument(
        "--workers",
        type=int,
        default=max(1, (os.cpu_count() or 2) // 2),
        help="audit processes (default: half the CPU cores)",
    )
    scan.add_argument("--watch", action="store_true", help="keep scanning for new arrivals")
    scan.add_argument(
        "--interval", type=float, default=30.0, help="seconds between looks with --watch"
    )
    scan.add_argument("--force", action="store_true", help="audit again what is already stored")
    scan.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="seconds a file must stay unchanged before it counts as copied (default 5)",
    )
    scan.add_argument(
        "--settle-timeout",
        type=float,
        default=600.0,
        help="stop waiting for a file that keeps changing after this many seconds",
    )
    scan.add_argument(
        "--characters",
        action="store_true",
        help="after the decisions, transcribe each recording sent to review in Chinese "
        "characters for the reviewers (model whisper-base-pypi; cached; never changes a decision)",
    )
    add_db_arg(scan)
    from dualrec_audit.batch import cluster

    cluster.add_arguments(scan)
    scan.add_argument(
        "--create",
        action="store_true",
        help="create the database given by --db if it does not exist (the default database "
        "is created on first scan anyway)",
    )
    add_audit_args(scan)


def cmd_scan(args: argparse.Namespace) -> int:
    import signal

    from dualrec_audit.audit.pipeline import AuditPipeline
    from dualrec_audit.batch.scan import Scanner, ScanOptions
    from dualrec_audit.core.i18n import DECISIONS
    from dualrec_audit.core.paths import without_name
    from dualrec_audit.rules.assign import ProfileMap
    from dualrec_audit.store.base import is_default
    from dualrec_audit.store.database import Store

    if args.workers < 1:
        raise DualrecError("--workers must be at least 1", code="usage")
    if args.profile and args.profile_map:
        raise DualrecError("give either --profile or --profile-map, not both", code="usage")
    if not args.folder.is_dir():
        raise DualrecError(f"{args.folder}: not a folder", code="usage")
    executor = None
    if args.ray:  # audits in Ray actors on a cluster; this process stays the only writer
        from dualrec_audit.batch import cluster

        ray_options = cluster.options_from_args(args)
        cluster.connect(ray_options, verbose=args.verbose > 0)
        executor = cluster.executor(ray_options)
    options = audit_options(args)
    pipeline = AuditPipeline(options, models_dir=args.models)  # checks models and profiles
    # The default database is created on the first scan; one named by --db or
    # $DUALREC_AUDIT_DB must exist (a typo must not create a new, empty one) unless --create.
    store = Store(args.db, create=args.create or is_default(args.db))
    store.require_key()
    bar = _ScanBar(not args.no_progress and sys.stderr.isatty())
    scanner = Scanner(
        store,
        pipeline,
        ScanOptions(
            recursive=args.recursive,
            workers=args.workers,
            force=args.force,
            settle_s=args.settle,
            settle_timeout_s=args.settle_timeout,
            profile=args.profile,
            profile_map=ProfileMap.load(args.profile_map) if args.profile_map else None,
            default_profile=options.profile or DEFAULT_PROFILE,
            characters=args.characters,
        ),
        models_dir=args.models,
        on_event=bar,
        executor=executor,
    )

    def _stop(signum: int, frame: object) -> None:
        scanner.stop()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        summary = scanner.run(args.folder, watch=args.watch, interval_s=args.interval)
    finally:
        bar.close()
        store.close()
    decided = ", ".join(
        f"{DECISIONS[d].get('en')} {n}" for d, n in sorted(summary.decisions.items())
    )
    out_line(
        f"scan {args.folder}: {summary.found} recordings found, {summary.audited} audited"
        f"{' (' + decided + ')' if decided else ''}, {summary.skipped} already audited"
    )
    for (pid, by), n in sorted(summary.profiles.items()):
        out_line(f"  judged under {pid}: {n} ({_CHOSEN_BY.get(by, by)})")
    for path, code, message in summary.errors:
        out_line(f"  error  {path}: {without_name(message, Path(path).name)} [{code}]")
    for path in summary.still_copying:
        out_line(f"  still being written, not audited yet: {path}")
    if args.characters:
        out_line(f"  character transcripts for review: {summary.characters}")
        for path, why in summary.characters_failed:
            out_line(f"  no character transcript  {path}: {why}")
    if scanner.stop_requested and not args.watch:
        out_line("stopped: what was audited is stored; run the same scan again to go on")
        return 130
    return 1 if summary.errors else 0


class _ScanBar:
    """Files done / found, with an ETA (tqdm on stderr)."""

    def __init__(self, enabled: bool):
        self.bar: Any = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True)

    DONE = ("stored", "skipped", "gave_up", "failed")

    def __call__(self, event: Any) -> None:
        if event.kind in (*self.DONE, "changed"):
            log.info("%s: %s", event.kind, event.path)
        if event.kind == "held":  # said at once: a scan that waits must never look hung
            self._say(held_notice(event))
        if self.bar is None:
            return
        if event.kind == "found":
            self.bar.total += event.count
            self.bar.refresh()
        elif event.kind == "changed":  # it will be found again (renamed or changed)
            self.bar.total -= 1
            self.bar.refresh()
        elif event.kind in self.DONE:
            self.bar.set_postfix_str(Path(event.path).name[:30])
            self.bar.update(1)

    def _say(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            err_line(line)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


_CHOSEN_BY = {
    "option": "given with --profile",
    "sidecar": "named by each recording's sidecar NAME.json",
    "profile_map": "listed in --profile-map",
    "pattern": "a --profile-map pattern",
    "map_default": "the --profile-map default",
    "default": "the default: no sidecar NAME.json beside them and no --profile",
}

_HELD_WHY = {
    "truncated": "it looks cut short (truncated)",
    "not_media": "it is not a readable video yet",
}


def held_notice(event: Any) -> str:
    """One line for a file the scan waits on: what, why, until when, which option."""
    import time

    until = time.strftime("%H:%M:%S", time.localtime(event.until or time.time()))
    why = _HELD_WHY.get(event.reason, event.reason)
    return (
        f"waiting: {event.path}: {why}, as a file still being copied is; if it does not change, "
        f"its error is stored at {until} (--settle-timeout sets this wait; a one-shot scan with "
        "--settle 0 does not wait)"
    )
