"""Data stamps (issue #14): ``data_stamps`` holds a counter per entity table and per history
table, raised by triggers on every write (:mod:`indspace.store.stamps`); and
``evaluation_runs.inputs_version``, the stamps of the tables a run read, taken before it read
them — a later step on the run (the low-efficiency plan) finds the store's inputs unchanged
without reading and hashing them again.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.settings import DEFAULT_SRID
from indspace.store import stamps
from indspace.store.migrations.helpers import register_tables
from indspace.store.tables import history_name

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


# the entity tables at this revision (frozen: a later entity's migration installs its own)
ENTITY_TABLES = ("districts", "parks", "control_lines", "enterprises", "parcels", "buildings",
                 "occupancy", "indicators", "designations", "plan_zones", "contracts",
                 "contract_events", "demands", "transactions")


def _stamped() -> list[str]:
    return [name for table in ENTITY_TABLES for name in (table, history_name(table))]


def upgrade() -> None:
    op.add_column(
        "evaluation_runs",
        sa.Column("inputs_version", sa.Text(), nullable=True,
                  comment="所读输入表的数据戳（读取之前取得）"),
    )
    op.create_table(
        stamps.TABLE,
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("stamp", sa.Integer(), nullable=False, comment="每次写入加一"),
        sa.PrimaryKeyConstraint("table_name"),
        comment="数据戳：各表每次写入加一（由触发器维护）",
    )
    srid = int(context.config.attributes.get("srid", DEFAULT_SRID))
    register_tables([stamps.TABLE], srid)
    stamps.install(op.execute, op.get_bind().dialect.name, _stamped())


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    stamps.uninstall(op.execute, dialect, _stamped())
    if dialect == "sqlite":
        op.execute(f"DELETE FROM gpkg_contents WHERE table_name = '{stamps.TABLE}'")
    op.drop_table(stamps.TABLE)
    with op.batch_alter_table("evaluation_runs") as batch:
        batch.drop_column("inputs_version")
