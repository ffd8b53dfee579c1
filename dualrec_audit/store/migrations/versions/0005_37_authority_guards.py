"""Guards on the tables that carry authority (issue 37): TRUNCATE refused on every table
of the store (PostgreSQL; SQLite has no TRUNCATE and its DELETE is guarded where rows are
never deleted), accounts and the database's identity never deleted, and SQLite's
``INSERT OR REPLACE`` (which deletes a conflicting row without firing DELETE triggers on a
connection without ``recursive_triggers``) refused on every table 0003 left unguarded.

What a database owner can still do (drop a guard) the keyed event log shows: ``db verify``
compares these tables with the log both ways.

Revision ID: 0005_37
Revises: 0004
Create Date: 2026-12-05 08:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0005_37"
down_revision = "0005_31"
branch_labels = None
depends_on = None

# Tables 0003 did not guard against TRUNCATE (PostgreSQL).
NO_TRUNCATE = (
    "appeals",
    "accounts",
    "assignments",
    "recordings",
    "recording_paths",
    "claims",
    "store_info",
)
# Tables whose rows the store never deletes (an account is disabled, not deleted).
NO_DELETE = ("accounts", "store_info")
# SQLite: the columns a row is identified by (unique constraints included), for the guard
# that refuses an INSERT which would replace an existing row.
NO_REPLACE = {
    "appeals": ("id",),
    "accounts": ("id", "username"),
    "assignments": ("id", "recording_id"),
    "recordings": ("id", "sha256"),
    "recording_paths": ("id", "path_key|recording_id"),
    "claims": ("id", "recording_id"),
    "store_info": ("id",),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION dualrec_keeps_rows() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION '% keeps its rows: % refused (append-only history)', "
            "TG_TABLE_NAME, TG_OP; END; $$ LANGUAGE plpgsql"
        )
        for t in NO_TRUNCATE:
            op.execute(
                f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                "FOR EACH STATEMENT EXECUTE FUNCTION dualrec_keeps_rows()"
            )
        for t in NO_DELETE:
            op.execute(
                f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} "
                "FOR EACH ROW EXECUTE FUNCTION dualrec_keeps_rows()"
            )
        return
    for t in NO_DELETE:
        op.execute(
            f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} "
            f"BEGIN SELECT RAISE(ABORT, '{t} keeps its rows: DELETE refused (append-only "
            "history)'); END"
        )
    for t, keys in NO_REPLACE.items():
        cond = " OR ".join(_match(k) for k in keys)
        op.execute(
            f"CREATE TRIGGER {t}_no_replace BEFORE INSERT ON {t} "
            f"WHEN EXISTS (SELECT 1 FROM {t} AS old WHERE {cond}) "
            f"BEGIN SELECT RAISE(ABORT, '{t} rows are not replaced (append-only history)'); END"
        )


def _match(key: str) -> str:
    return " AND ".join(f'old."{c}" = NEW."{c}"' for c in key.split("|"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in NO_TRUNCATE:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}")
        for t in NO_DELETE:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_delete ON {t}")
        op.execute("DROP FUNCTION IF EXISTS dualrec_keeps_rows()")
        return
    for t in NO_DELETE:
        op.execute(f"DROP TRIGGER IF EXISTS {t}_no_delete")
    for t in NO_REPLACE:
        op.execute(f"DROP TRIGGER IF EXISTS {t}_no_replace")
