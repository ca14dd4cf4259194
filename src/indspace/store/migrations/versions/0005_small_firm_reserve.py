"""Control-line proposals record the land they reserve for small-firm parks (G4, issue #7).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("controlline_proposals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("small_firm_reserve_m2", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("controlline_proposals", schema=None) as batch_op:
        batch_op.drop_column("small_firm_reserve_m2")
