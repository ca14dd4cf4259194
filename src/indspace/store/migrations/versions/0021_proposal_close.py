"""Control-line proposals can be rejected or withdrawn (issue #16 item 5): who closed a
proposal, when, and why. The states ``rejected`` and ``withdrawn`` are final; the row and its
areas stay (history), the audit log holds the transition.

Revision ID: 0021
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from indspace.store.types import UtcDateTime

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None

COLUMNS = (
    ("closed_at", UtcDateTime, "驳回或撤回时间"),
    ("closed_by", sa.Text, "驳回或撤回人"),
    ("close_note", sa.Text, "驳回或撤回理由"),
)


def upgrade() -> None:
    for name, kind, comment in COLUMNS:  # ADD COLUMN: no table rebuild on SQLite
        op.add_column(
            "controlline_proposals", sa.Column(name, kind(), nullable=True, comment=comment)
        )


def downgrade() -> None:
    with op.batch_alter_table("controlline_proposals") as batch_op:
        for name, _, _ in COLUMNS:
            batch_op.drop_column(name)
