"""Command line: ``dualrec-audit check FILE|DIR ...``, ``eval DIR --labels FILE``,
``scan DIR``, ``export``, ``db ...``, ``profiles ...``, ``calibrate``, ``rejudge``,
``models ...``, and the Qt windows
``review`` and ``precheck``.

This module owns the entry points (:func:`entry`, :func:`main`, :func:`run`) and
:func:`build_parser`, which composes the command groups: each group module (``check``, ``scan``,
``export``, ``db``, ``profiles``, ``windows``, ``models``) adds its commands' options with
``add_parser`` and runs them with its ``cmd_*`` functions; ``common`` holds what they share.

Exit codes: 0 audited, 1 a file could not be audited (its result says why) — for ``eval``: a
defective recording was auto-approved or an expected error was not one —, 2 usage or
configuration errors (bad options, a bad labels file, a missing or corrupt model). Only
``review`` and ``precheck`` load Qt, by module name (see :func:`dualrec_audit.cli.windows.cmd_ui`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from dualrec_audit import __version__
from dualrec_audit.cli import (
    calibrate,
    check,
    db,
    export,
    models,
    profiles,
    record,
    scan,
    windows,
)
from dualrec_audit.cli.common import BarSafeHandler, err_line
from dualrec_audit.core.errors import DualrecError

GROUPS = (check, scan, export, db, profiles, windows, record, calibrate, models)
"""The command groups, in the order ``--help`` lists their commands."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dualrec-audit",
        description="Audit dual recordings (双录): faces, speech, script and video quality.",
    )
    parser.add_argument("--version", action="version", version=f"dualrec-audit {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_parser(sub)  # each binds its commands' `handler`
    return parser


QUICK_EXIT = frozenset({"check"})
"""Commands whose process ends as soon as its output is written (see :func:`entry`)."""


def entry() -> NoReturn:
    """The ``dualrec-audit`` command. After ``check`` the process leaves without tearing the
    interpreter down: with MediaPipe, ONNX Runtime and the pinyin dictionaries loaded that takes
    about a second (measured: 0.6-1.4 s of a 36 s clip's 7 s), and a ``check`` has nothing left
    to release that the system does not (no database, no worker, no temporary file open)."""
    import faulthandler

    # A fatal signal (SIGBUS when a database file is made immutable in the instant between
    # the store's check and SQLite's write, SIGSEGV in a native library) says where it hit
    # instead of ending the process without a word.
    faulthandler.enable()
    args = _parse(None)
    rc = run(args)
    from dualrec_audit.store.base import left_open

    if args.command in QUICK_EXIT or left_open():
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
        handlers=[BarSafeHandler(sys.stderr)],
    )
    try:
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except DualrecError as exc:
        err_line(f"dualrec-audit: error: {exc}")
        return 2
    except KeyboardInterrupt:
        err_line("dualrec-audit: interrupted")
        return 130
