"""``review`` and ``precheck``: the options of the Qt windows and their launcher, which loads the
``ui`` package by module name only when one of these commands runs.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from dualrec_audit.cli.calibrate import add_mark_parser
from dualrec_audit.cli.common import add_audit_args, add_db_arg, add_ui_args, audit_options
from dualrec_audit.core.errors import DualrecError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = sub.add_parser(
        "review", help="the reviewer's window: queue, review view, pre-check (Qt)"
    )
    review.set_defaults(handler=cmd_ui)
    add_db_arg(review)
    add_ui_args(review)
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
        choices=(
            "review",
            "queue",
            "precheck",
            "history",
            "keys",
            "login",
            "accounts",
            "approve",
            "characters",
        ),
        default="review",
        help="with --screenshot: which view (precheck needs --file; history and keys: the "
        "review view with its history tab or its shortcut list; login: the sign-in dialog; "
        "approve: the question Approve asks when something was not watched or listened to; "
        "characters: the character transcript tab, once computed)",
    )
    review.add_argument("--file", type=Path, help="with --view precheck: the recording checked")
    add_audit_args(review)
    add_mark_parser(review)

    precheck = sub.add_parser("precheck", help="the teller's pre-check window (Qt)")
    precheck.set_defaults(handler=cmd_ui)
    precheck.add_argument("file", nargs="?", type=Path, help="check this recording at once")
    add_ui_args(precheck)
    add_audit_args(precheck)


def cmd_ui(args: argparse.Namespace) -> int:
    """``review`` and ``precheck``: the Qt application in the ``ui`` package.

    Loaded by module name, not imported: the core package must never import Qt or ``ui``
    (an import-linter contract checks it), and every other command must start without
    loading Qt. The CLI is only the launcher: it parses and checks the arguments here."""
    if args.command == "precheck" and args.file is not None and not args.file.is_file():
        raise DualrecError(f"{args.file}: no such file", code="usage")
    options = audit_options(args)
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
