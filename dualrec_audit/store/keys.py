"""Content keys and event-log hashing: the store's timestamps, canonical JSON and digests,
the key that makes two audits the same audit, a path's key, and the hash of a log entry.

Nothing here touches the database: these are the pure functions every part of the store (and
the scanner) computes the same way.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

GENESIS = "0" * 64


def now(after_s: float = 0.0) -> str:
    """The current UTC time (plus ``after_s`` seconds) as the store writes it."""
    return (datetime.now(UTC) + timedelta(seconds=after_s)).isoformat(timespec="microseconds")


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(obj: Any) -> str:
    return hashlib.sha256(canonical(obj).encode("utf-8")).hexdigest()


def jsonable(obj: Any) -> Any:
    """Plain JSON values: tuples as lists, non-finite floats as null (PostgreSQL's json type
    and strict readers refuse NaN and Infinity)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    return obj


def run_key(
    sha256: str, profile_digest: str | None, models: Mapping[str, str], options: Any
) -> str:
    """What makes two audits the same audit: content, profile content, models, options."""
    return digest(
        {"sha256": sha256, "profile": profile_digest, "models": dict(models), "options": options}
    )


def entry_text(
    seq: int, at: str, actor: str, action: str, entity: str, entity_id: str, payload: str, prev: str
) -> str:
    return "|".join((str(seq), at, actor, action, entity, entity_id, payload, prev))


def entry_hash(
    seq: int, at: str, actor: str, action: str, entity: str, entity_id: str, payload: str, prev: str
) -> str:
    """The unkeyed hash (entries written before the database was keyed)."""
    text = entry_text(seq, at, actor, action, entity, entity_id, payload, prev)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def path_key(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()


# A recording keyed by its path, not its content: a file that cannot be audited (unreadable,
# a broken link, content that is not a recording) has its own row under each name it has.
# Not hexadecimal, so never taken for a content hash.
BY_PATH = "path:"


def by_path_key(path: str, content: str | None) -> str:
    """The recording key of an unauditable file at ``path`` (``content``: its sha256, if it
    could be read)."""
    return BY_PATH + digest({"path": path_key(path), "sha256": content})[: 64 - len(BY_PATH)]
