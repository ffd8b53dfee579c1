"""What the store's tests do to a database from outside the store: raw SQL with full rights,
dropping a table's guards, re-hashing the event log without the key (an insider who knows the
algorithm), and storing an audited sample as a run."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from dualrec_audit.store.database import Store
from dualrec_audit.store.keys import GENESIS, entry_hash, run_key

GUARDS = ("append_only", "no_truncate", "no_update", "no_delete", "no_replace")


def sql(store: Store, *statements: str) -> None:
    with store.engine.begin() as c:
        for statement in statements:
            c.execute(text(statement))


def drop_guards(store: Store, table: str) -> None:
    """Every trigger guarding ``table``: what someone with full rights on the database does."""
    if store.dialect == "postgresql":
        sql(store, *(f"DROP TRIGGER IF EXISTS {table}_{n} ON {table}" for n in GUARDS))
    else:
        sql(store, *(f"DROP TRIGGER IF EXISTS {table}_{n}" for n in GUARDS))


def rehash_without_the_key(store: Store) -> None:
    """The event log's chain recomputed with plain SHA-256 after rows were changed."""
    drop_guards(store, "event_log")
    with store.engine.begin() as c:
        rows = c.execute(text("SELECT * FROM event_log ORDER BY seq")).mappings().all()
        prev = GENESIS
        for r in rows:
            fields = (r["at"], r["actor"], r["action"], r["entity"], r["entity_id"], r["payload"])
            h = entry_hash(r["seq"], *fields, prev)
            c.execute(
                text("UPDATE event_log SET prev_hash = :p, hash = :h WHERE seq = :s"),
                {"p": prev, "h": h, "s": r["seq"]},
            )
            prev = h


def store_run(store: Store, result, **extra) -> int:
    """``result`` stored as a finished run under profile digest "p"; its run id."""
    st = Path(result.file).stat()
    run_id, _ = store.record_run(
        result,
        key=run_key(result.sha256, "p", result.models, {"t": 1}),
        sha256=result.sha256,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        profile_digest="p",
        started_at="2026-11-21T08:00:00+00:00",
        **extra,
    )
    return run_id
