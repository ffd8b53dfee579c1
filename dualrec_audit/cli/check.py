"""``check`` and ``eval``: audit recordings (files or folders) and print each result, or audit a
folder and compare with hand labels; both share the folder expansion and the per-file audit loop
with its progress bar.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dualrec_audit.cli.common import AuditBar, add_audit_args, audit_options, err_line, out_line
from dualrec_audit.core.errors import ConfigError, DualrecError

if TYPE_CHECKING:  # the heavy modules are imported by the command that needs them
    from dualrec_audit.audit.pipeline import AuditPipeline
    from dualrec_audit.core.result import AuditResult
    from dualrec_audit.rules.assign import ProfileMap

log = logging.getLogger("dualrec_audit")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser(
        "check",
        help="audit recordings and print the result",
        description="Audit recordings and print each result. Each file is judged under a "
        "business profile: --profile for every file; else a sidecar JSON beside the file "
        '(NAME.json or NAME.mp4.json holding {"profile": "ID"} and optionally branch, teller, '
        "customer_ref, product); else --profile-map; else fund_sale. The summary names the "
        "profile and why it was chosen; a copy of a recording without its sidecar may be "
        "judged under another profile.",
    )
    check.set_defaults(handler=cmd_check)
    check.add_argument("paths", nargs="+", type=Path, help="video files or folders")
    check.add_argument("--json", action="store_true", help="print the full JSON result")
    check.add_argument("--lang", choices=("zh", "en"), default="zh", help="summary language")
    add_audit_args(check)
    check.add_argument(
        "--phrases", type=Path, help="layer 1 alone: a required/forbidden phrase file, no profile"
    )

    evaluate = sub.add_parser(
        "eval", help="audit every recording in a folder and compare with hand labels"
    )
    evaluate.set_defaults(handler=cmd_eval)
    evaluate.add_argument("dir", type=Path, help="a folder of recordings")
    evaluate.add_argument(
        "--labels", type=Path, required=True, help="labels file (JSON, schema_version 1)"
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    add_audit_args(evaluate)
    evaluate.add_argument(
        "--db",
        help="read results a scan stored in this database (by content); audit the rest",
    )
    evaluate.add_argument(
        "--preroll",
        type=float,
        default=2.0,
        help="seconds a reviewer watches before each problem (default 2)",
    )


def _expand(paths: Sequence[Path]) -> list[Path]:
    from dualrec_audit.media.probe import VIDEO_SUFFIXES

    files: list[Path] = []
    for p in paths:
        try:
            is_dir = p.is_dir()
        except OSError:  # a name too long to look at: the audit says so
            is_dir = False
        if is_dir:
            files.extend(
                sorted(
                    c
                    for c in p.iterdir()
                    if c.suffix.lower() in VIDEO_SUFFIXES
                    and (c.is_file() or (c.is_symlink() and not c.exists()))  # a broken link
                )
            )
        else:
            files.append(p)
    return files


def _audit_files(
    pipeline: AuditPipeline,
    files: Sequence[Path],
    args: argparse.Namespace,
    mapping: ProfileMap | None = None,
    on_result: Callable[[AuditResult], None] | None = None,
) -> list[AuditResult]:
    """Audit each file under its profile, with a progress bar on a terminal."""
    from dualrec_audit.rules.assign import resolve_profile

    default = pipeline.options.profile
    show_bar = not args.no_progress and sys.stderr.isatty()
    results = []
    for f in files:
        bar = AuditBar(f.name, show_bar)
        try:
            pid = choice = None
            try:
                if default is not None:
                    pid, choice = resolve_profile(
                        f, explicit=args.profile, mapping=mapping, default=default
                    )
                result = pipeline.apply(f, hook=bar, profile=pid, chosen_by=choice)
            except ConfigError as exc:  # a bad sidecar: this file's error, the rest go on
                result = pipeline.error_result(f, "profile_error", exc.message)
        except BaseException:
            bar.close(finished=False)
            raise
        bar.close()
        log.info("%s: %s", f, result.decision)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def cmd_check(args: argparse.Namespace) -> int:
    from dualrec_audit.audit.pipeline import AuditPipeline
    from dualrec_audit.batch.report import summary
    from dualrec_audit.rules.assign import ProfileMap

    options = audit_options(args, args.phrases)
    files = _expand(args.paths)
    if not files:
        raise DualrecError("no video files found in the given folders", code="usage")
    mapping = ProfileMap.load(args.profile_map) if args.profile_map else None
    pipeline = AuditPipeline(options, models_dir=args.models)

    def show(result: AuditResult) -> None:
        if not args.json:
            out_line(summary(result, args.lang))
            out_line("")

    results = _audit_files(pipeline, files, args, mapping, show)
    if args.json:
        docs = [r.to_dict() for r in results]
        out_line(json.dumps(docs[0] if len(docs) == 1 else docs, ensure_ascii=False, indent=2))
    return 1 if any(r.decision == "error" for r in results) else 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Audit every recording in a folder and compare with the labels: exit 1 when a defective
    recording is auto-approved or an expected error is not one."""
    from dualrec_audit.audit.pipeline import AuditPipeline
    from dualrec_audit.batch.evaluate import check_coverage, evaluate, load_labels
    from dualrec_audit.batch.report import eval_summary
    from dualrec_audit.rules.assign import ProfileMap

    if not args.dir.is_dir():
        raise DualrecError(f"{args.dir}: not a folder", code="usage")
    if args.preroll < 0:
        raise DualrecError("--preroll must be >= 0", code="usage")
    options = audit_options(args)
    labels = load_labels(args.labels)
    files = _expand([args.dir])
    check_coverage(labels, [f.name for f in files], str(args.dir))
    mapping = ProfileMap.load(args.profile_map) if args.profile_map else None
    stored: dict[str, AuditResult] = {}
    if args.db:  # read what a scan stored; audit only what it has not
        from dualrec_audit.models.registry import sha256_file
        from dualrec_audit.store.database import Store

        with Store(args.db) as store:
            for f in files:
                found = store.latest_result(sha256_file(f), args.profile)
                if found is not None:
                    stored[f.name] = found
            err_line(f"eval: {len(stored)} of {len(files)} results read from {store.display_url()}")
    todo = [f for f in files if f.name not in stored]
    results: dict[str, AuditResult] = {}
    if todo:
        pipeline = AuditPipeline(options, models_dir=args.models)
        results = {Path(r.file).name: r for r in _audit_files(pipeline, todo, args, mapping)}
    report = evaluate({**stored, **results}, labels, preroll=args.preroll)
    if args.json:
        out_line(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        out_line(eval_summary(report, args.lang))
    return report.exit_code
