"""Tamper evidence and paths: the database's identity (for its key and anchor files),
append-only guards that TRUNCATE (PostgreSQL) and INSERT OR REPLACE (SQLite) cannot pass,
recording paths' raw bytes and share-relative form, and recording paths in the event log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Every append-only table (0001's and 0002's) with the columns a row is identified by:
# SQLite's INSERT OR REPLACE deletes a conflicting row without firing DELETE triggers, so an
# INSERT that would replace a row is refused before it happens.
APPEND_ONLY = {
    "audit_runs": ("id", "run_key"),
    "findings": ("id",),
    "scores": ("id", "run_id|check"),
    "review_decisions": ("id",),
    "event_log": ("seq",),
    "finding_feedback": ("id",),
}
GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("recording_paths") as batch:
        batch.add_column(sa.Column("path_hex", sa.Text(), nullable=True))
        batch.add_column(sa.Column("share_rel", sa.Text(), nullable=True))
    op.create_table(
        "store_info",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("db_id", sa.String(length=32), nullable=False),
        sa.Column("keyed_from", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    stamp = datetime.now(UTC).isoformat(timespec="microseconds")
    op.get_bind().execute(
        sa.text("INSERT INTO store_info (id, db_id, created_at) VALUES (1, :d, :t)"),
        {"d": uuid.uuid4().hex, "t": stamp},
    )
    if op.get_bind().dialect.name == "postgresql":
        for t in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                "FOR EACH STATEMENT EXECUTE FUNCTION dualrec_append_only()"
            )
    else:
        for t, keys in APPEND_ONLY.items():
            cond = " OR ".join(_match(k) for k in keys)
            op.execute(
                f"CREATE TRIGGER {t}_no_replace BEFORE INSERT ON {t} "
                f"WHEN EXISTS (SELECT 1 FROM {t} AS old WHERE {cond}) "
                f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END"
            )
    _log_existing_paths(stamp)


def _match(key: str) -> str:
    return " AND ".join(f'old."{c}" = NEW."{c}"' for c in key.split("|"))


def _log_existing_paths(stamp: str) -> None:
    """Databases written before 0003 did not log recording paths: log each one now,
    continuing the (then unkeyed) chain, so that `db verify` checks them from here on."""
    conn = op.get_bind()
    last = conn.execute(sa.text("SELECT seq, hash FROM event_log ORDER BY seq DESC LIMIT 1"))
    row = last.first()
    seq, prev = (row[0], row[1]) if row else (0, GENESIS)
    paths = conn.execute(
        sa.text("SELECT id, recording_id, path, size, mtime_ns FROM recording_paths ORDER BY id")
    ).all()
    for pid, rec, path, size, mtime in paths:
        seq += 1
        state = {
            "recording_id": rec,
            "path": path,
            "path_hex": None,
            "share_rel": None,
            "size": size,
            "mtime_ns": mtime,
        }
        payload = json.dumps(state, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        fields = (str(seq), stamp, "migration-0003", "path.seen", "recording_path", str(pid))
        text = "|".join((*fields, payload, prev))
        h = hashlib.sha256(text.encode("utf-8")).hexdigest()
        conn.execute(
            sa.text(
                "INSERT INTO event_log (seq, at, actor, action, entity, entity_id, payload, "
                "prev_hash, hash) VALUES (:seq, :at, :actor, :action, :entity, :eid, :payload, "
                ":prev, :hash)"
            ),
            {
                "seq": seq,
                "at": stamp,
                "actor": "migration-0003",
                "action": "path.seen",
                "entity": "recording_path",
                "eid": str(pid),
                "payload": payload,
                "prev": prev,
                "hash": h,
            },
        )
        prev = h


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}")
    else:
        for t in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_replace")
    op.drop_table("store_info")
    with op.batch_alter_table("recording_paths") as batch:
        batch.drop_column("share_rel")
        batch.drop_column("path_hex")
