"""Import runs and the quarantine of rejected rows (issue #4).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.settings import DEFAULT_SRID
from indspace.store.migrations.helpers import register_tables
from indspace.store.types import UtcDateTime


def _srid() -> int:
    """The deployment SRID handed in by ``Store.migrate`` (read when the migration runs, not
    when Alembic merely loads this file to list revisions)."""
    return int(context.config.attributes.get("srid", DEFAULT_SRID))


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    srid = _srid()
    op.create_table(
        "import_quarantine",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Text(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("field", sa.Text(), nullable=True),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("message_zh", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("raw_json", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("fid"),
        comment="导入隔离区（被拒绝的行及原因）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("import_quarantine", schema=None) as batch_op:
        batch_op.create_index("ix_import_quarantine_import_id", ["import_id"], unique=False)
    op.create_table(
        "import_runs",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.Text(), nullable=False),
        sa.Column("format", sa.Text(), nullable=True),
        sa.Column("encoding", sa.Text(), nullable=True),
        sa.Column("encoding_assumed", sa.Boolean(), nullable=True),
        sa.Column("crs", sa.Text(), nullable=True),
        sa.Column("crs_source", sa.Text(), nullable=True),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("strict", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("import_id"),
        comment="导入记录",
        sqlite_autoincrement=True,
    )
    register_tables(["import_quarantine", "import_runs"], srid)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "DELETE FROM gpkg_contents WHERE table_name IN ('import_quarantine', 'import_runs')"
        )
    op.drop_table("import_runs")
    with op.batch_alter_table("import_quarantine", schema=None) as batch_op:
        batch_op.drop_index("ix_import_quarantine_import_id")
    op.drop_table("import_quarantine")
