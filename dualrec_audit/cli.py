"""Command line: ``dualrec-audit check FILE|DIR ...``, ``eval DIR --labels FILE``,
``scan DIR``, ``export``, ``db ...``, ``profiles ...``, ``models ...``, and the Qt windows
``review`` and ``precheck``.

Exit codes: 0 audited, 1 a file could not be audited (its result says why) — for ``eval``: a
defective recording was auto-approved or an expected error was not one —, 2 usage or
configuration errors (bad options, a bad labels file, a missing or corrupt model). Only
``review`` and ``precheck`` load Qt, by module name (see :func:`cmd_ui`).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from dualrec_audit import __version__
from dualrec_audit.core.errors import ConfigError, DualrecError

if TYPE_CHECKING:  # the heavy modules are imported by the command that needs them
    from dualrec_audit.audit.pipeline import AuditOptions, AuditPipeline
    from dualrec_audit.core.result import AuditResult
    from dualrec_audit.models.registry import ModelStore
    from dualrec_audit.rules.assign import ProfileMap

log = logging.getLogger("dualrec_audit")

DEFAULT_PROFILE = os.environ.get("DUALREC_AUDIT_PROFILE", "fund_sale")


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dualrec-audit",
        description="Audit dual recordings (双录): faces, speech, script and video quality.",
    )
    parser.add_argument("--version", action="version", version=f"dualrec-audit {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="audit recordings and print the result")
    check.add_argument("paths", nargs="+", type=Path, help="video files or folders")
    check.add_argument("--json", action="store_true", help="print the full JSON result")
    check.add_argument("--lang", choices=("zh", "en"), default="zh", help="summary language")
    _add_audit_args(check)
    check.add_argument(
        "--phrases", type=Path, help="layer 1 alone: a required/forbidden phrase file, no profile"
    )

    evaluate = sub.add_parser(
        "eval", help="audit every recording in a folder and compare with hand labels"
    )
    evaluate.add_argument("dir", type=Path, help="a folder of recordings")
    evaluate.add_argument(
        "--labels", type=Path, required=True, help="labels file (JSON, schema_version 1)"
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    _add_audit_args(evaluate)
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

    scan = sub.add_parser(
        "scan", help="audit every new recording in a folder into the database (resumable)"
    )
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
    _add_db_arg(scan)
    from dualrec_audit.batch import cluster

    cluster.add_arguments(scan)
    scan.add_argument(
        "--create",
        action="store_true",
        help="create the database given by --db if it does not exist (the default database "
        "is created on first scan anyway)",
    )
    _add_audit_args(scan)

    export = sub.add_parser("export", help="decisions and findings as CSV, JSON or HTML reports")
    export.add_argument("--format", choices=("csv", "json", "html"), default="csv")
    export.add_argument("--since", help="only audits finished on or after this date (YYYY-MM-DD)")
    export.add_argument(
        "--out",
        type=Path,
        help="output folder (csv, html) or file (json); default: stdout for json",
    )
    export.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    _add_db_arg(export)

    db = sub.add_parser("db", help="the results database: create, info, verify the event log")
    dsub = db.add_subparsers(dest="db_command", required=True)
    init = dsub.add_parser(
        "init",
        help="create the database and the key of its event log (or key an existing one)",
    )
    _add_db_arg(init)
    _add_trust_args(init)
    _add_db_arg(dsub.add_parser("info", help="where the database is and how many rows it holds"))
    verify_db = dsub.add_parser(
        "verify", help="check the keyed event log against the tables and the anchor files"
    )
    _add_db_arg(verify_db)
    _add_trust_args(verify_db)
    verify_db.add_argument(
        "--anchor",
        type=Path,
        action="append",
        default=[],
        help="also compare with this anchor file or JSON export (repeatable)",
    )

    accounts = sub.add_parser(
        "accounts", help="reviewer accounts: list, add (an administrator's command)"
    )
    asub = accounts.add_subparsers(dest="accounts_command", required=True)
    _add_db_arg(asub.add_parser("list", help="every account with its role"))
    add = asub.add_parser(
        "add",
        help="create an account (the first one, on an empty database, is the first "
        "administrator; later ones need --admin)",
    )
    add.add_argument("username")
    add.add_argument("--name", help="full name shown on decisions (default: the user name)")
    add.add_argument("--role", choices=("reviewer", "senior", "admin"), default="reviewer")
    add.add_argument("--admin", help="your administrator account (asks for its password)")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the passwords from standard input, one a line (the administrator's first "
        "when --admin is given, then the new account's)",
    )
    _add_db_arg(add)

    profiles = sub.add_parser("profiles", help="list, show and validate business profiles")
    profiles.add_argument("--profiles-dir", type=Path, help="a folder of your own profiles")
    psub = profiles.add_subparsers(dest="profiles_command", required=True)
    psub.add_parser("list", help="every profile: built-in and your own")
    show = psub.add_parser("show", help="print a profile")
    show.add_argument("id")
    validate = psub.add_parser("validate", help="check a profile file (exit 2 if invalid)")
    validate.add_argument("file", type=Path)

    review = sub.add_parser(
        "review", help="the reviewer's window: queue, review view, pre-check (Qt)"
    )
    _add_db_arg(review)
    _add_ui_args(review)
    review.add_argument(
        "--reviewer",
        help="the account to sign in as (default: the last one); with --screenshot, whom the "
        "picture shows signed in",
    )
    review.add_argument("--recording", type=int, help="open this recording (its id)")
    review.add_argument(
        "--finding", type=int, default=1, help="with --screenshot: the finding shown (from 1)"
    )
    review.add_argument(
        "--view",
        choices=("review", "queue", "precheck", "history", "keys", "login", "accounts"),
        default="review",
        help="with --screenshot: which view (precheck needs --file; history and keys: the "
        "review view with its history tab or its shortcut list; login: the sign-in dialog)",
    )
    review.add_argument("--file", type=Path, help="with --view precheck: the recording checked")
    _add_audit_args(review)

    precheck = sub.add_parser("precheck", help="the teller's pre-check window (Qt)")
    precheck.add_argument("file", nargs="?", type=Path, help="check this recording at once")
    _add_ui_args(precheck)
    _add_audit_args(precheck)

    models = sub.add_parser("models", help="list, verify and install models")
    models.add_argument("--models", type=Path, help="a folder to look for models in first")
    msub = models.add_subparsers(dest="models_command", required=True)
    msub.add_parser("list", help="every known model and where it is installed")
    verify = msub.add_parser("verify", help="check the sha256 of installed models")
    verify.add_argument("names", nargs="*")
    install = msub.add_parser(
        "install", help="install models from a folder or USB stick (offline), verified"
    )
    install.add_argument("--from", dest="source", type=Path, required=True)
    install.add_argument("--to", dest="dest", type=Path, help="default: the user data dir")
    install.add_argument(
        "--bundled", action="store_true", help="only the models the application ships with"
    )
    install.add_argument("names", nargs="*", help="default: every model found in the folder")
    pull = msub.add_parser(
        "pull", help="download models from their official source (needs the network), verified"
    )
    pull.add_argument("names", nargs="*", metavar="NAME")
    which = pull.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every model with a download source")
    which.add_argument(
        "--bundled", action="store_true", help="the models the application ships with"
    )
    pull.add_argument("--to", dest="dest", type=Path, help="default: the user data dir")
    pull.add_argument(
        "--mirror",
        metavar="URL",
        help="download from this base URL (the manifest layout, e.g. an internal file server) "
        "instead of the official sources",
    )
    return parser


def _add_db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        help="database URL (postgresql+psycopg://…) or SQLite file; "
        "default: $DUALREC_AUDIT_DB or the user data dir",
    )


def _add_trust_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--key-file",
        type=Path,
        help="the event log's key (default: $DUALREC_AUDIT_TRUST_DIR or the user data dir, "
        "trust/<database id>.key)",
    )


def _add_ui_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lang",
        choices=("zh", "en"),
        help="interface language (default: $DUALREC_AUDIT_LANG, the saved setting, the "
        "system locale if English, else Chinese)",
    )
    p.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="render the window offscreen to this PNG file and exit",
    )
    p.add_argument(
        "--size",
        help="window size, e.g. 1366x768 (default: fitted to the screen, at most 1600x1000)",
    )


def _add_audit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models", type=Path, help="a folder to look for models in first")
    p.add_argument(
        "--asr-model",
        default="auto",
        help="transcript model (what reviewers read): a name (see `models list`), a model "
        "folder, auto (the best installed) or none",
    )
    p.add_argument(
        "--script-model",
        default="auto",
        help="model verifying the script's phrases: a kws-zh model name, auto (the bundled "
        "kws-zh-3.3m when installed) or none",
    )
    p.add_argument(
        "--profile", help="business profile id (see `profiles list`); default: fund_sale"
    )
    p.add_argument("--profiles-dir", type=Path, help="a folder of your own profiles")
    p.add_argument(
        "--profile-map",
        type=Path,
        help="CSV (file,profile) or TOML (default, [patterns]) choosing each file's profile",
    )
    p.add_argument("--fps", type=float, default=2.0, help="frames sampled per second")
    p.add_argument(
        "--staff-side", choices=("left", "right"), default="left", help="where the staff sits"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _audit_options(args: argparse.Namespace, phrases: Path | None = None) -> AuditOptions:
    from dualrec_audit.audit.pipeline import AuditOptions
    from dualrec_audit.checks.faces import FaceParams

    if args.fps <= 0 or args.fps > 30:
        raise DualrecError("--fps must be between 0 and 30", code="usage")
    if phrases and args.profile:
        raise DualrecError("give either --profile or --phrases, not both", code="usage")
    return AuditOptions(
        sample_fps=args.fps,
        asr_model=args.asr_model,
        script_model=args.script_model,
        profile=None if phrases else (args.profile or DEFAULT_PROFILE),
        profiles_dir=str(args.profiles_dir) if args.profiles_dir else None,
        phrases=str(phrases) if phrases else None,
        faces=FaceParams(staff_side=args.staff_side),
    )


def _expand(paths: Sequence[Path]) -> list[Path]:
    from dualrec_audit.media.probe import VIDEO_SUFFIXES

    files: list[Path] = []
    for p in paths:
        if p.is_dir():
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


class _Bar:
    """A terminal progress bar for one file (tqdm on stderr): the share of the audit done,
    weighted by stage, and the stage under way; it never goes back, and shows 100 % when the
    file is done."""

    WEIGHTS: ClassVar[dict[str, float]] = {
        "probe": 0.02,
        "frames": 0.6,
        "audio": 0.08,
        "transcript": 0.26,
        "script": 0.02,
        "rules": 0.02,
    }
    NAMES: ClassVar[dict[str, str]] = {
        "probe": "probe",
        "frames": "faces, video",
        "audio": "speech",
        "transcript": "transcript",
        "script": "script",
        "rules": "rules",
    }

    def __init__(self, name: str, enabled: bool):
        self.bar: Any = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=100,
                desc=name[:40],
                unit="%",
                leave=False,
                file=sys.stderr,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}",
            )
        self.done: dict[str, float] = {}

    def __call__(self, stage: str, done: float, total: float) -> None:
        if self.bar is None:
            return
        share = self.WEIGHTS.get(stage, 0) * (min(1.0, done / total) if total else 1.0)
        self.done[stage] = max(self.done.get(stage, 0.0), share)
        self._show(
            min(100.0, round(100 * sum(self.done.values()), 1)), self.NAMES.get(stage, stage)
        )

    def _show(self, percent: float, label: str) -> None:
        self.bar.n = max(self.bar.n, percent)
        self.bar.set_postfix_str(label, refresh=False)
        self.bar.refresh()

    def close(self, finished: bool = True) -> None:
        if self.bar is not None:
            if finished:
                self._show(100.0, "done")
            self.bar.close()


class _BarSafeHandler(logging.StreamHandler):
    """Log lines on stderr that leave no half-drawn bar: while a tqdm bar is shown, each line
    is written through ``tqdm.write`` (which clears the bar, writes, and draws it again)."""

    def emit(self, record: logging.LogRecord) -> None:
        tqdm_module = sys.modules.get("tqdm")
        bars = getattr(getattr(tqdm_module, "tqdm", None), "_instances", None)
        if not bars:
            super().emit(record)
            return
        try:
            tqdm_module.tqdm.write(self.format(record), file=self.stream)  # type: ignore[union-attr]
        except Exception:
            self.handleError(record)


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
        bar = _Bar(f.name, show_bar)
        try:
            pid = None
            try:
                if default is not None:
                    pid, _ = resolve_profile(
                        f, explicit=args.profile, mapping=mapping, default=default
                    )
                result = pipeline.apply(f, hook=bar, profile=pid)
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

    options = _audit_options(args, args.phrases)
    files = _expand(args.paths)
    if not files:
        raise DualrecError("no video files found in the given folders", code="usage")
    mapping = ProfileMap.load(args.profile_map) if args.profile_map else None
    pipeline = AuditPipeline(options, models_dir=args.models)

    def show(result: AuditResult) -> None:
        if not args.json:
            _out(summary(result, args.lang))
            _out("")

    results = _audit_files(pipeline, files, args, mapping, show)
    if args.json:
        docs = [r.to_dict() for r in results]
        _out(json.dumps(docs[0] if len(docs) == 1 else docs, ensure_ascii=False, indent=2))
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
    options = _audit_options(args)
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
            _err(f"eval: {len(stored)} of {len(files)} results read from {store.display_url()}")
    todo = [f for f in files if f.name not in stored]
    results: dict[str, AuditResult] = {}
    if todo:
        pipeline = AuditPipeline(options, models_dir=args.models)
        results = {Path(r.file).name: r for r in _audit_files(pipeline, todo, args, mapping)}
    report = evaluate({**stored, **results}, labels, preroll=args.preroll)
    if args.json:
        _out(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _out(eval_summary(report, args.lang))
    return report.exit_code


def cmd_scan(args: argparse.Namespace) -> int:
    import signal

    from dualrec_audit.audit.pipeline import AuditPipeline
    from dualrec_audit.batch.scan import Scanner, ScanOptions
    from dualrec_audit.core.i18n import DECISIONS
    from dualrec_audit.rules.assign import ProfileMap
    from dualrec_audit.store.database import Store, is_default

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
    options = _audit_options(args)
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
    _out(
        f"scan {args.folder}: {summary.found} recordings found, {summary.audited} audited"
        f"{' (' + decided + ')' if decided else ''}, {summary.skipped} already audited"
    )
    for path, code, message in summary.errors:
        _out(f"  error  {path}: {message} [{code}]")
    for path in summary.still_copying:
        _out(f"  still being written, not audited yet: {path}")
    if scanner.stop_requested and not args.watch:
        _out("stopped: what was audited is stored; run the same scan again to go on")
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

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_export(args: argparse.Namespace) -> int:
    from dualrec_audit.batch.export import export_json, load_items, write_csv
    from dualrec_audit.batch.export_html import write_html
    from dualrec_audit.store.database import Store

    out = args.out
    if args.format != "json" and out is not None and out.exists() and not out.is_dir():
        raise DualrecError(
            f"--out {out}: is a file; --format {args.format} writes a folder of files",
            code="usage",
        )
    with Store(args.db) as store:
        items = load_items(store, args.since)
        head = store.head()
    try:
        if args.format == "json":
            text = json.dumps(export_json(items, args.since, head), ensure_ascii=False, indent=2)
            if out is None:
                _out(text)
                return 0
            if out.is_dir():  # a folder: the file goes in it
                out = out / "dualrec-export.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text + "\n", encoding="utf-8")
            _out(f"{len(items)} recordings exported to {out}")
            return 0
        out = out or Path(f"dualrec-export-{args.format}")
        if args.format == "csv":
            written = write_csv(items, out, args.lang)
        else:
            written = write_html(items, out, args.lang, args.since)
    except OSError as exc:
        where = exc.filename or out
        raise DualrecError(f"cannot write {where}: {exc.strerror}", code="usage") from None
    _out(f"{len(items)} recordings exported: " + ", ".join(str(p) for p in written[:3]))
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from dualrec_audit.store.database import Store

    if args.db_command == "init":
        return _db_init(args)
    key_file = getattr(args, "key_file", None)
    with Store(args.db, key_file=key_file) as store:
        if args.db_command == "info":
            _out(f"database: {store.display_url()}")
            _out(f"  key file:    {store.key_file}{'' if store.key else ' (not keyed)'}")
            _out(f"  anchor file: {store.anchor_file}")
            for table, n in store.counts().items():
                _out(f"  {table:18} {n}")
            return 0
        report = store.verify(args.anchor)
        for note in report.notes:
            _out(f"note: {note}")
        if report.ok:
            how = "keyed (HMAC)" if report.keyed else "NOT keyed"
            _out(
                f"event log intact: {report.entries} entries, {how}, every row matches, "
                f"{report.anchors} anchored heads agree"
            )
            return 0
        _out(f"EVENT LOG VERIFICATION FAILED ({len(report.problems)} problems):")
        for p in report.problems:
            _out(f"  {p}")
        return 1


def _password(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise DualrecError("no password on standard input", code="usage")
        return line.rstrip("\r\n")
    import getpass

    return getpass.getpass(prompt)


def cmd_accounts(args: argparse.Namespace) -> int:
    from dualrec_audit.store.database import Store
    from dualrec_audit.workflow.policy import ROLE_NAMES

    with Store(args.db, actor="(accounts)") as store:
        if args.accounts_command == "list":
            for a in store.accounts():
                state = "" if a.active else "  (disabled)"
                _out(f"{a.username:20} {a.role:9} {a.display_name}{state}")
            return 0
        admin = None
        if store.has_accounts():
            if not args.admin:
                raise DualrecError(
                    "accounts exist already: give --admin YOUR_ADMIN_ACCOUNT", code="usage"
                )
            admin = store.authenticate(
                args.admin, _password(f"password of {args.admin}: ", args.password_stdin)
            )
        elif args.role != "admin":
            raise DualrecError(
                "the database has no account yet: the first one must be --role admin",
                code="usage",
            )
        password = _password(f"password for {args.username}: ", args.password_stdin)
        if not args.password_stdin and password != _password("repeat it: ", False):
            raise DualrecError("the two passwords differ", code="usage")
        a = store.create_account(
            args.username, args.name or args.username, args.role, password, by=admin
        )
        _out(f"created {a.username} ({ROLE_NAMES[a.role].en}: {a.display_name})")
        return 0


def _db_init(args: argparse.Namespace) -> int:
    """Create the database (tables and key); on an existing unkeyed database, key its log."""
    from dualrec_audit.store.database import Store

    with Store(args.db, create=True, key_file=args.key_file) as store:
        if store.key is None:
            store.key_log()
            assert store.key is not None
            _out(
                f"{store.display_url()}: event log keyed from entry {store.key.keyed_from} "
                "(earlier entries stay plain SHA-256)"
            )
        else:
            _out(f"{store.display_url()}: ready")
        _out(f"  key file:    {store.key_file}  (keep it secret; every writer needs it)")
        _out(f"  anchor file: {store.anchor_file}")
    return 0


def cmd_profiles(args: argparse.Namespace) -> int:
    from dualrec_audit.rules.profiles import all_profiles, load_profile_file

    sub = args.profiles_command
    if sub == "validate":
        p = load_profile_file(args.file)  # ConfigError -> exit 2 with the key path
        _out(f"{args.file}: valid profile '{p.id}' v{p.version} ({len(p.stages)} stages)")
        return 0
    profiles = all_profiles(args.profiles_dir)
    if sub == "list":
        for p in profiles.values():
            _out(f"{p.id:20} v{p.version:4} {p.name.zh} / {p.name.en}")
        return 0
    if args.id not in profiles:
        raise DualrecError(
            f"unknown profile '{args.id}'. Valid ids: {', '.join(sorted(profiles))}", code="usage"
        )
    _out(json.dumps(profiles[args.id].model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    """``review`` and ``precheck``: the Qt application in the ``ui`` package.

    Loaded by module name, not imported: the core package must never import Qt or ``ui``
    (an import-linter contract checks it), and every other command must start without
    loading Qt. The CLI is only the launcher: it parses and checks the arguments here."""
    if args.command == "precheck" and args.file is not None and not args.file.is_file():
        raise DualrecError(f"{args.file}: no such file", code="usage")
    options = _audit_options(args)
    try:
        app = importlib.import_module("ui.app")
    except ImportError as exc:
        raise DualrecError(
            f"the Qt interface cannot be loaded ({exc}); install PySide6 "
            "(pip install 'PySide6>=6.6,!=6.12.0') and its system libraries",
            code="usage",
        ) from exc
    main = app.review_main if args.command == "review" else app.precheck_main
    return int(main(args, options))


def cmd_models(args: argparse.Namespace) -> int:
    from dualrec_audit.models.registry import ModelStore

    store = ModelStore(args.models)
    sub = args.models_command
    if sub == "list":
        _out("Looked in: " + "; ".join(str(d) for d in store.dirs))
        for spec in store.specs.values():
            root = store.find_root(spec.name)
            where = str(root) if root else "not installed"
            tag = " (test only)" if spec.test_only else ""
            unpinned = [Path(f.path).name for f in spec.files if not f.sha256]
            if unpinned:
                tag += f" (sha256 not published for {', '.join(unpinned)}: recorded at install)"
            _out(f"{spec.name:22} {spec.kind:16} {spec.version[:40]:40} {where}{tag}")
        return 0
    if sub == "verify":
        names = args.names or [n for n in store.specs if store.find_root(n) is not None]
        bad = 0
        for name in names:
            spec = store.spec(name)
            root = store.find_root(name)
            if root is None:
                _out(f"{name}: not installed")
                bad += 1
                continue
            problems = store.problems(spec, root, full=True)
            unpinned = [f.path for f in spec.files if not f.sha256]
            if problems:
                bad += 1
                _out(f"{name}: CORRUPT in {root}")
                for p in problems:
                    _out(f"  {p}")
            else:
                note = f" (not pinned: {', '.join(unpinned)})" if unpinned else ""
                _out(f"{name}: ok in {root}{note}")
        return 1 if bad else 0
    if sub == "install":
        names = args.names or (
            [n for n, sp in store.specs.items() if sp.bundled] if args.bundled else None
        )
        installed = store.install_from(args.source, names, args.dest)
        _out("installed: " + ", ".join(installed))
        return 0
    if sub == "pull":
        return _pull(store, args)
    raise AssertionError(sub)


def _pull(store: ModelStore, args: argparse.Namespace) -> int:
    if args.all:
        names = [n for n, sp in store.specs.items() if sp.downloadable]
    elif args.bundled:
        names = [n for n, sp in store.specs.items() if sp.bundled]
    else:
        names = args.names
    if not names:
        raise DualrecError("name the models to pull, or give --all or --bundled", code="usage")
    for name in names:
        store.spec(name)  # every name is known before anything is downloaded
    bar = _download_bar()
    for name in names:
        target = store.pull(name, args.dest, mirror=args.mirror, progress=bar)
        _out(f"{name}: downloaded and verified in {target}")
    return 0


def _download_bar() -> Callable[[str, int, int | None], None]:
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def progress(name: str, done: int, total: int | None) -> None:
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = tqdm(
                total=total, desc=name, unit="B", unit_scale=True, file=sys.stderr, leave=False
            )
        bar.update(done - bar.n)

    return progress


QUICK_EXIT = frozenset({"check"})
"""Commands whose process ends as soon as its output is written (see :func:`entry`)."""


def entry() -> NoReturn:
    """The ``dualrec-audit`` command. After ``check`` the process leaves without tearing the
    interpreter down: with MediaPipe, ONNX Runtime and the pinyin dictionaries loaded that takes
    about a second (measured: 0.6-1.4 s of a 36 s clip's 7 s), and a ``check`` has nothing left
    to release that the system does not (no database, no worker, no temporary file open)."""
    args = _parse(None)
    rc = run(args)
    if args.command in QUICK_EXIT:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    sys.exit(rc)


def main(argv: Sequence[str] | None = None) -> int:
    return run(_parse(argv))


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    import multiprocessing

    multiprocessing.freeze_support()  # scan's worker processes in the frozen application
    return build_parser().parse_args(argv)


def run(args: argparse.Namespace) -> int:
    """Run one parsed command; the exit status."""
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(
        level=level,
        format="%(levelname)s %(name)s: %(message)s",
        handlers=[_BarSafeHandler(sys.stderr)],
    )
    try:
        if args.command == "check":
            return cmd_check(args)
        if args.command == "eval":
            return cmd_eval(args)
        if args.command == "scan":
            return cmd_scan(args)
        if args.command == "export":
            return cmd_export(args)
        if args.command == "db":
            return cmd_db(args)
        if args.command == "profiles":
            return cmd_profiles(args)
        if args.command == "accounts":
            return cmd_accounts(args)
        if args.command in ("review", "precheck"):
            return cmd_ui(args)
        return cmd_models(args)
    except DualrecError as exc:
        _err(f"dualrec-audit: error: {exc}")
        return 2
    except KeyboardInterrupt:
        _err("dualrec-audit: interrupted")
        return 130
