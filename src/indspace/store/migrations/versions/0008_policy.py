"""One policy book (issue #14): runs keep their profile's text; firms' designations.

``evaluation_runs`` and ``lowuse_runs`` gain ``profile_text`` (the exact YAML, whose hash is
``profile_hash``); ``lowuse_runs`` also gains ``method_date`` (the day whose values were in
force) and ``evaluation_run_id`` (the evaluation run a plan was made on, if any). Runs made
before this revision keep NULL there and are read with the bundled profile of their id,
checked against their stored hash.

It also adds the import kind ``designations`` (企业资质认定: 高新技术企业, 专精特新, …, with
their validity ``start``–``end``), versioned like every entity: ``designations`` and
``designations_history``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.settings import DEFAULT_SRID
from indspace.store.migrations.helpers import register_tables
from indspace.store.types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ["designations", "designations_history"]


def _designation_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False, comment="统一社会信用代码"),
        sa.Column("designation", sa.Text(), nullable=False, comment="资质认定"),
        sa.Column("start", sa.Date(), nullable=False, comment="有效期起"),
        sa.Column("end", sa.Date(), nullable=True, comment="有效期止"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
    ]


def upgrade() -> None:
    srid = int(context.config.attributes.get("srid", DEFAULT_SRID))
    with op.batch_alter_table("evaluation_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_text", sa.Text(), nullable=True,
                                      comment="策略配置全文（YAML）"))
    with op.batch_alter_table("lowuse_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_text", sa.Text(), nullable=True,
                                      comment="策略配置全文（YAML）"))
        batch_op.add_column(sa.Column("method_date", sa.Date(), nullable=True,
                                      comment="取值日期（该日生效的参数）"))
        batch_op.add_column(sa.Column("evaluation_run_id", sa.Text(), nullable=True,
                                      comment="所依据的亩均评价批次"))
    op.create_table(
        "designations", *_designation_columns(),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("credit_code", "designation", "start",
                            name="uq_designations_key"),
        comment="企业资质认定", sqlite_autoincrement=True)
    with op.batch_alter_table("designations", schema=None) as batch_op:
        batch_op.create_index("ix_designations_credit_code", ["credit_code"], unique=False)
    op.create_table(
        "designations_history", *_designation_columns(),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="企业资质认定（历史版本）", sqlite_autoincrement=True)
    with op.batch_alter_table("designations_history", schema=None) as batch_op:
        batch_op.create_index("ix_designations_history_key",
                              ["credit_code", "designation", "start"], unique=False)
    register_tables(TABLES, srid)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        names = ", ".join(f"'{t}'" for t in TABLES)
        op.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({names})")
    for t in reversed(TABLES):
        op.drop_table(t)
    with op.batch_alter_table("lowuse_runs", schema=None) as batch_op:
        batch_op.drop_column("evaluation_run_id")
        batch_op.drop_column("method_date")
        batch_op.drop_column("profile_text")
    with op.batch_alter_table("evaluation_runs", schema=None) as batch_op:
        batch_op.drop_column("profile_text")
