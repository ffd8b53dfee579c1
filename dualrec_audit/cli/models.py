"""``models``: list, verify, install (offline) and pull (download) models, with the download
progress bars.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dualrec_audit.cli.common import out_line
from dualrec_audit.core.errors import DualrecError

if TYPE_CHECKING:  # the heavy modules are imported by the command that needs them
    from dualrec_audit.models.registry import ModelStore


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = sub.add_parser("models", help="list, verify and install models")
    models.set_defaults(handler=cmd_models)
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


def cmd_models(args: argparse.Namespace) -> int:
    from dualrec_audit.models.registry import ModelStore

    store = ModelStore(args.models)
    sub = args.models_command
    if sub == "list":
        out_line("Looked in: " + "; ".join(str(d) for d in store.dirs))
        rows: list[tuple[str, str, str, str]] = []
        for spec in store.specs.values():
            root = store.find_root(spec.name)
            where = str(root) if root else "not installed"
            tag = " (test only)" if spec.test_only else ""
            unpinned = [Path(f.path).name for f in spec.files if not f.sha256]
            if unpinned:
                tag += f" (sha256 not published for {', '.join(unpinned)}: recorded at install)"
            rows.append((spec.name, spec.kind, spec.version, where + tag))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for row in rows:
            out_line("  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[3]]))
        return 0
    if sub == "verify":
        names = args.names or [n for n in store.specs if store.find_root(n) is not None]
        bad = 0
        for name in names:
            spec = store.spec(name)
            root = store.find_root(name)
            if root is None:
                out_line(f"{name}: not installed")
                bad += 1
                continue
            problems = store.problems(spec, root, full=True)
            unpinned = [f.path for f in spec.files if not f.sha256]
            if problems:
                bad += 1
                out_line(f"{name}: CORRUPT in {root}")
                for p in problems:
                    out_line(f"  {p}")
            else:
                note = f" (not pinned: {', '.join(unpinned)})" if unpinned else ""
                out_line(f"{name}: ok in {root}{note}")
        return 1 if bad else 0
    if sub == "install":
        names = args.names or (
            [n for n, sp in store.specs.items() if sp.bundled] if args.bundled else None
        )
        installed = store.install_from(args.source, names, args.dest)
        out_line("installed: " + ", ".join(installed))
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
        out_line(f"{name}: downloaded and verified in {target}")
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
