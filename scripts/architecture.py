"""Draw the package import picture in docs/architecture.md from the code itself.

The picture is made, never drawn by hand: the arrows are the imports that grimp (the engine of
import-linter) finds between the packages of ``dualrec_audit`` and ``ui``, and the rows are the
layers of the "Packages import only the packages below them" contract in pyproject.toml, so
the picture and the contracts cannot drift apart.

    python scripts/architecture.py          # rewrite the picture in docs/architecture.md
    python scripts/architecture.py --check  # exit 1 if the picture is out of date
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- BEGIN import picture: made by scripts/architecture.py, do not edit -->"
END = "<!-- END import picture -->"
LAYERS_CONTRACT = "Packages import only the packages below them"


def layers() -> list[list[str]]:
    """The package layers, top first, as the import-linter contract states them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract["name"] == LAYERS_CONTRACT:
            return [[p.strip() for p in row.split("|")] for row in contract["layers"]]
    raise SystemExit(f"pyproject.toml has no contract named {LAYERS_CONTRACT!r}")


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "ui":
        return "ui"
    if parts[0] != "dualrec_audit" or len(parts) < 2 or parts[1] == "__main__":
        return None
    return parts[1]


def edges() -> dict[str, set[str]]:
    """Package -> the packages it imports directly (ours only)."""
    import grimp

    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("dualrec_audit", "ui")
    out: dict[str, set[str]] = defaultdict(set)
    for module in graph.modules:
        a = _package(module)
        for imported in graph.find_modules_directly_imported_by(module):
            b = _package(imported)
            if a and b and a != b:
                out[a].add(b)
    return out


def picture() -> str:
    """The Mermaid flowchart: one row per layer (ui beside cli), an arrow per import (dotted
    into the bottom row)."""
    rows = layers()
    rows[0] = [*rows[0], "ui"]
    lines = ["```mermaid", "flowchart TB"]
    for i, row in enumerate(rows):
        lines.append(f'  subgraph L{i}[" "]')
        lines.append("    direction LR")
        lines += [f'    {p}["{p}/"]' for p in row]
        lines.append("  end")
    base = rows[-1]  # what everything builds on: its arrows dotted, so the others stand out
    for a, targets in sorted(edges().items()):
        lines += [f"  {a} {'-.->' if b in base else '-->'} {b}" for b in sorted(targets)]
    lines.append("```")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the picture is stale")
    args = parser.parse_args(argv)
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{picture()}\n{END}{tail}"
    if args.check:
        if new != text:
            print("docs/architecture.md: the import picture is out of date; run "
                  "`python scripts/architecture.py`", file=sys.stderr)  # fmt: skip
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
