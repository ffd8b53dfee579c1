"""``export``: decisions and findings from the database as CSV, JSON or HTML reports."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dualrec_audit.cli.common import add_db_arg, out_line
from dualrec_audit.core.errors import DualrecError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export", help="decisions and findings as CSV, JSON or HTML reports")
    export.set_defaults(handler=cmd_export)
    export.add_argument(
        "--format", choices=("csv", "json", "html"), default="csv", help="default: csv"
    )
    export.add_argument("--since", help="only audits finished on or after this date (YYYY-MM-DD)")
    export.add_argument(
        "--out",
        type=Path,
        help="output folder (csv, html) or file (json); default: ./dualrec-export-csv/ or "
        "./dualrec-export-html/ in the current folder, standard output for json",
    )
    export.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    add_db_arg(export)


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
                out_line(text)
                return 0
            if out.is_dir():  # a folder: the file goes in it
                out = out / "dualrec-export.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text + "\n", encoding="utf-8")
            out_line(f"{len(items)} recordings exported to {out}")
            return 0
        out = out or Path(f"dualrec-export-{args.format}")
        if args.format == "csv":
            written = write_csv(items, out, args.lang)
        else:
            written = write_html(items, out, args.lang, args.since)
    except OSError as exc:
        where = exc.filename or out
        raise DualrecError(f"cannot write {where}: {exc.strerror}", code="usage") from None
    out_line(f"{len(items)} recordings exported: " + ", ".join(str(p) for p in written[:3]))
    return 0
