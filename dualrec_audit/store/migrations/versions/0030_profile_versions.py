"""Issue 30: profile versions, their activation by two seniors (four eyes) and re-judgements
of stored runs under another version. All three tables are append-only (UPDATE, DELETE,
SQLite's INSERT OR REPLACE and PostgreSQL's TRUNCATE refused).

Revision ID: 0030
Revises: 0004
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0005_37"
branch_labels = None
depends_on = None

APPEND_ONLY = ("profile_versions", "profile_activations", "rejudgements")
STAMP = sa.String(length=40)


def upgrade() -> None:
    op.create_table(
        "profile_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("profile_id", "version", "digest"),
    )
    op.create_index(
        op.f("ix_profile_versions_profile_id"), "profile_versions", ["profile_id"], unique=False
    )
    op.create_table(
        "profile_activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.String(length=80), nullable=False),
        sa.Column("step", sa.String(length=8), nullable=False),
        sa.Column("senior", sa.String(length=80), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["profile_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_profile_activations_version_id"),
        "profile_activations",
        ["version_id"],
        unique=False,
    )
    op.create_table(
        "rejudgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.String(length=80), nullable=False),
        sa.Column("profile_version", sa.String(length=40), nullable=False),
        sa.Column("decision_before", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["audit_runs.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["profile_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rejudgements_run_id"), "rejudgements", ["run_id"], unique=False)
    _guards()


def _guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                "FOR EACH ROW EXECUTE FUNCTION dualrec_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                "FOR EACH STATEMENT EXECUTE FUNCTION dualrec_append_only()"
            )
        return
    for t in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {t}_no_{verb.lower()} BEFORE {verb} ON {t} "
                f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END"
            )
        op.execute(
            f"CREATE TRIGGER {t}_no_replace BEFORE INSERT ON {t} "
            f'WHEN EXISTS (SELECT 1 FROM {t} AS old WHERE old."id" = NEW."id") '
            f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for t in APPEND_ONLY:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}")
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}")
        else:
            for verb in ("update", "delete", "replace"):
                op.execute(f"DROP TRIGGER IF EXISTS {t}_no_{verb}")
    op.drop_index(op.f("ix_rejudgements_run_id"), table_name="rejudgements")
    op.drop_table("rejudgements")
    op.drop_index(op.f("ix_profile_activations_version_id"), table_name="profile_activations")
    op.drop_table("profile_activations")
    op.drop_index(op.f("ix_profile_versions_profile_id"), table_name="profile_versions")
    op.drop_table("profile_versions")
