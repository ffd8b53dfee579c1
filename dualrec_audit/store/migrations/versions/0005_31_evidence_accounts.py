"""Reviewer decisions on evidence and account administration (issue 31): the share of the
speech a reviewer played when the script was checked by ear, and an account's forced password
change, wrong passwords in a row, lockout and the reason of an administrator's last change.

Revision ID: 0005_31
Revises: 0004
Create Date: 2026-12-05 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_31"
down_revision = "0004"
branch_labels = None
depends_on = None


def _account_columns() -> list[sa.Column]:
    return [
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.String(length=40), nullable=True),
        sa.Column("changed_reason", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=200), nullable=True),
    ]


def upgrade() -> None:
    # review_decisions is append-only: ADD COLUMN changes no row (the triggers stay).
    op.add_column("review_decisions", sa.Column("listened", sa.Float(), nullable=True))
    for column in _account_columns():
        op.add_column("accounts", column)


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        for column in reversed(_account_columns()):
            batch.drop_column(column.name)
    op.drop_column("review_decisions", "listened")
