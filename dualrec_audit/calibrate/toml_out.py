"""A profile written back as TOML (what ``calibrate --out`` writes and ``profiles activate``
reads): scalars first, then tables, then arrays of tables; ``[events]`` rules inline."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dualrec_audit.rules.profiles import Profile


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    if isinstance(v, Mapping):
        inner = ", ".join(f"{_key(k)} = {_scalar(x)}" for k, x in v.items() if x is not None)
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").isalnum() and k.isascii() else json.dumps(k)


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, Mapping) for x in v)


def _table(name: str, doc: Mapping[str, Any], lines: list[str], inline_depth: int) -> None:
    scalars = {k: v for k, v in doc.items() if v is not None and not _nested(v, inline_depth)}
    for k, v in scalars.items():
        lines.append(f"{_key(k)} = {_scalar(v)}")
    for k, v in doc.items():
        if v is None or k in scalars:
            continue
        sub = f"{name}.{_key(k)}" if name else _key(k)
        if _is_table_array(v):
            for item in v:
                lines += ["", f"[[{sub}]]"]
                _table(sub, item, lines, 0)
        else:
            lines += ["", f"[{sub}]"]
            _table(sub, v, lines, 1 if k == "events" else 0)


def _nested(v: Any, inline_depth: int) -> bool:
    if inline_depth:
        return False
    return (isinstance(v, Mapping) and bool(v)) or _is_table_array(v)


def profile_toml(profile: Profile, header: str = "") -> str:
    """The profile as TOML text that loads back to the same profile."""
    doc = profile.model_dump(mode="json")
    lines = [f"# {line}" for line in header.splitlines()]
    _table("", doc, lines, 0)
    return "\n".join(lines).lstrip("\n") + "\n"
