"""Valid time of control-line blocks: ``effective_to`` (issue #14).

A block's valid time is ``[effective_from, effective_to]`` (from the data; ``effective_to``
empty = still in force); the store's ``valid_from``/``valid_to`` stay the recorded time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("control_lines", "control_lines_history")


def upgrade() -> None:
    for table in TABLES:  # ADD COLUMN: no table rebuild on SQLite, GeoPackage triggers kept
        op.add_column(
            table, sa.Column("effective_to", sa.Date(), nullable=True, comment="有效期止")
        )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("effective_to")
