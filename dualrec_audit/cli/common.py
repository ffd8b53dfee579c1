"""What the command groups share: writing output lines, the option groups several commands take
(database, trust, window and audit options), the audit options built from those, the default
profile, and the per-file progress bar with the log handler that keeps it whole.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from dualrec_audit.core.errors import DualrecError

if TYPE_CHECKING:  # the heavy modules are imported by the command that needs them
    from dualrec_audit.audit.pipeline import AuditOptions


DEFAULT_PROFILE = os.environ.get("DUALREC_AUDIT_PROFILE", "fund_sale")


def out_line(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def err_line(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def add_db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        help="database URL (postgresql+psycopg://…) or SQLite file; "
        "default: $DUALREC_AUDIT_DB or the user data dir",
    )


def add_trust_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--key-file",
        type=Path,
        help="the event log's key (default: $DUALREC_AUDIT_TRUST_DIR or the user data dir, "
        "trust/<database id>.key)",
    )


def add_ui_args(p: argparse.ArgumentParser) -> None:
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


def add_audit_args(p: argparse.ArgumentParser) -> None:
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
        "--profile",
        help="business profile id (see `profiles list`) for every file; without it each "
        'file\'s sidecar NAME.json beside it ({"profile": "ID"}) chooses, then --profile-map, '
        "else fund_sale; the summary says which profile judged a file and why",
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


def audit_options(args: argparse.Namespace, phrases: Path | None = None) -> AuditOptions:
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


class AuditBar:
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


class BarSafeHandler(logging.StreamHandler):
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
