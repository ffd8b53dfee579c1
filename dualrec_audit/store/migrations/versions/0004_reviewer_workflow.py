"""The reviewer workflow: accounts and roles, appeals, assignments, and what each decision
was made with (role, places watched, reasons, appeal, four-eyes step).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

APPEND_ONLY = ("appeals",)


def _decision_columns() -> list[sa.Column]:
    return [
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("watched", sa.JSON(), nullable=True),
        sa.Column("unwatched_reason", sa.Text(), nullable=True),
        sa.Column("change_reason", sa.Text(), nullable=True),
        sa.Column("appeal_id", sa.Integer(), nullable=True),
        sa.Column("four_eyes", sa.String(length=8), nullable=True),
    ]


def upgrade() -> None:
    # review_decisions is append-only: ADD COLUMN changes no row (the triggers stay).
    for column in _decision_columns():
        op.add_column("review_decisions", column)
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("appellant", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filed_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["audit_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_appeals_recording_id"), "appeals", ["recording_id"], unique=False)
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("assignee", sa.String(length=80), nullable=False),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.Column("assigned_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recording_id"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for t in APPEND_ONLY:
        if postgres:
            op.execute(
                f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                "FOR EACH ROW EXECUTE FUNCTION dualrec_append_only()"
            )
            continue
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {t}_no_{verb.lower()} BEFORE {verb} ON {t} "
                f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for t in APPEND_ONLY:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}")
        else:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {t}_no_{verb}")
    op.drop_table("assignments")
    op.drop_index(op.f("ix_appeals_recording_id"), table_name="appeals")
    op.drop_table("appeals")
    op.drop_table("accounts")
    for column in reversed(_decision_columns()):
        op.drop_column("review_decisions", column.name)
