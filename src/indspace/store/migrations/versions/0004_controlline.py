"""Control-line adjustments, their areas, the 占补平衡 ledger and constraint areas (issue #7).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.settings import DEFAULT_SRID
from indspace.store.migrations.helpers import register_tables
from indspace.store.types import Geometry, UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = [
    "constraint_areas",
    "controlline_ledger",
    "controlline_proposal_areas",
    "controlline_proposals",
]


def upgrade() -> None:
    srid = int(context.config.attributes.get("srid", DEFAULT_SRID))
    op.create_table(
        "constraint_areas",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("area_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True, comment="管控范围"),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("area_id"),
        comment="管控区（生态保护红线、永久基本农田）",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "controlline_ledger",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("proposal_id", sa.Text(), nullable=False),
        sa.Column("district", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("area_mu", sa.Float(), nullable=False),
        sa.Column("ratio", sa.Float(), nullable=False),
        sa.Column("effect_m2", sa.Float(), nullable=False),
        sa.Column("counterparty", sa.Text(), nullable=True),
        sa.Column("booked_at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        comment="占补平衡台账（只增不改）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("controlline_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_controlline_ledger_district", ["district"], unique=False)

    op.create_table(
        "controlline_proposal_areas",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("proposal_id", sa.Text(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True,
                  comment="调出/补划范围"),
        sa.PrimaryKeyConstraint("fid"),
        comment="控制线调整方案：调出与补划范围",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("controlline_proposal_areas", schema=None) as batch_op:
        batch_op.create_index("ix_controlline_proposal_areas_proposal", ["proposal_id"],
                              unique=False)

    op.create_table(
        "controlline_proposals",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("proposal_id", sa.Text(), nullable=False),
        sa.Column("district", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("documents_json", sa.Text(), nullable=False),
        sa.Column("line_type", sa.Text(), nullable=False),
        sa.Column("transfer_from", sa.Text(), nullable=True),
        sa.Column("area_out_m2", sa.Float(), nullable=False),
        sa.Column("area_in_m2", sa.Float(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("checks_json", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("reviewed_at", UtcDateTime(), nullable=True),
        sa.Column("reviewed_by", sa.Text(), nullable=True),
        sa.Column("approved_at", UtcDateTime(), nullable=True),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.Column("profile_id", sa.Text(), nullable=True),
        sa.Column("profile_hash", sa.Text(), nullable=True),
        sa.Column("enforced_at", UtcDateTime(), nullable=True),
        sa.Column("enforced_by", sa.Text(), nullable=True),
        sa.Column("edits_json", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("proposal_id"),
        comment="控制线调整方案",
        sqlite_autoincrement=True,
    )
    register_tables(TABLES, srid)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        names = ", ".join(f"'{t}'" for t in TABLES)
        op.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({names})")
        op.execute(f"DELETE FROM gpkg_geometry_columns WHERE table_name IN ({names})")
        for t in ("constraint_areas", "controlline_proposal_areas"):
            op.execute(f'DROP TABLE IF EXISTS "rtree_{t}_geom"')
    for t in TABLES:
        op.drop_table(t)
