"""The control-line status of every parcel kept for the vector tiles (issue #16 item 1).

* ``parcel_line_status``: one row per current parcel: its ``fid`` and record ``version`` when
  the status was computed, its ``parcel_id`` and ``line_status`` (inside | partial | outside,
  the rule of ``core.engines.controlline.overlay``), keyed by the content version of
  ``control_lines`` and the boundary tolerance it was computed with. A cold parcel tile
  joins it by ``fid`` instead of intersecting every parcel with the line; a row counts only
  while the parcel's fid and version and the lines' content version are the ones it was
  computed from (see ``indspace.store.line_status``).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.settings import DEFAULT_SRID
from indspace.store.migrations.helpers import register_tables

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

TABLES = ["parcel_line_status"]


def upgrade() -> None:
    op.create_table(
        "parcel_line_status",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_version", sa.Text(), nullable=False, comment="控制线数据的内容版本"),
        sa.Column("tolerance_m", sa.Float(), nullable=False, comment="边界容差 (m)"),
        sa.Column("parcel_fid", sa.Integer(), nullable=False),
        sa.Column("parcel_version", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Text(), nullable=False),
        sa.Column("line_status", sa.Text(), nullable=False, comment="inside|partial|outside"),
        sa.PrimaryKeyConstraint("fid"),
        comment="宗地控制线状态（瓦片用，按控制线内容版本保存）",
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_parcel_line_status_parcel", "parcel_line_status", ["parcel_fid", "parcel_version"]
    )
    # attribute table in the GeoPackage catalogue (visible to GIS clients)
    register_tables(TABLES, int(context.config.attributes.get("srid", DEFAULT_SRID)))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DELETE FROM gpkg_contents WHERE table_name = 'parcel_line_status'")
    op.drop_index("ix_parcel_line_status_parcel", table_name="parcel_line_status")
    op.drop_table("parcel_line_status")
