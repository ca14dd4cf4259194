"""Low-efficiency land runs: parcels and redevelopment units per run (issue #6).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.settings import DEFAULT_SRID
from indspace.store.migrations.helpers import register_tables
from indspace.store.types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ["lowuse_runs", "lowuse_parcels", "lowuse_units"]


def upgrade() -> None:
    srid = int(context.config.attributes.get("srid", DEFAULT_SRID))
    op.create_table(
        "lowuse_runs",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Text(), nullable=False),
        sa.Column("profile_hash", sa.Text(), nullable=False),
        sa.Column("gap_m", sa.Float(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("summary_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("run_id"),
        comment="低效用地认定与连片单元批次",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "lowuse_parcels",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("parcel_id", sa.Text(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("triggers", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("fid"),
        comment="低效宗地（每批次）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("lowuse_parcels", schema=None) as batch_op:
        batch_op.create_index("ux_lowuse_parcels_run_parcel", ["run_id", "parcel_id"],
                              unique=True)
    op.create_table(
        "lowuse_units",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Text(), nullable=False),
        sa.Column("district", sa.Text(), nullable=True),
        sa.Column("parcel_count", sa.Integer(), nullable=False),
        sa.Column("area_mu", sa.Float(), nullable=False),
        sa.Column("potential_gfa_m2", sa.Float(), nullable=True),
        sa.Column("project_type", sa.Text(), nullable=True),
        sa.Column("mode", sa.Text(), nullable=True),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        comment="连片改造单元（每批次）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("lowuse_units", schema=None) as batch_op:
        batch_op.create_index("ux_lowuse_units_run_unit", ["run_id", "unit_id"], unique=True)
    register_tables(TABLES, srid)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        names = ", ".join(f"'{t}'" for t in TABLES)
        op.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({names})")
    for t in reversed(TABLES):
        op.drop_table(t)
