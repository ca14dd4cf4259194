"""Planned-use zones (issue #14): the import kind ``plans`` (规划用途分区: zone_id,
planned_use, approved, document, polygon), versioned like every entity: ``plan_zones`` and
``plan_zones_history``. The low-efficiency plan reads them to find units whose planned use
is no longer industrial (更新转型).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.store.migrations.helpers import register_tables
from indspace.store.types import Geometry, UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ["plan_zones", "plan_zones_history"]


def _columns(srid: int) -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("zone_id", sa.Text(), nullable=False, comment="规划单元编号"),
        sa.Column("planned_use", sa.Text(), nullable=False, comment="规划用途"),
        sa.Column("approved", sa.Date(), nullable=False, comment="批复日期"),
        sa.Column("document", sa.Text(), nullable=True, comment="批复文号"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True, comment="规划范围"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
    ]


def upgrade() -> None:
    # the store always passes the deployment's SRID (store.Store.migrate)
    srid = int(context.config.attributes["srid"])
    op.create_table(
        "plan_zones",
        *_columns(srid),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("zone_id", "approved", name="uq_plan_zones_key"),
        comment="规划用途分区",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "plan_zones_history",
        *_columns(srid),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="规划用途分区（历史版本）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("plan_zones_history", schema=None) as batch_op:
        batch_op.create_index("ix_plan_zones_history_key", ["zone_id", "approved"], unique=False)
    register_tables(TABLES, srid)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        names = ", ".join(f"'{t}'" for t in TABLES)
        op.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({names})")
        op.execute(f"DELETE FROM gpkg_geometry_columns WHERE table_name IN ({names})")
        for t in TABLES:
            op.execute(f'DROP TABLE IF EXISTS "rtree_{t}_geom"')
    for t in reversed(TABLES):
        op.drop_table(t)
