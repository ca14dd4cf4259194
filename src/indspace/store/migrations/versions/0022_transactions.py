"""Secondary-market transactions (issue #19): the import kind ``transactions``, versioned like
every entity (``transactions``/``transactions_history``). ``price_wan`` is exact: NUMERIC on
PostGIS, the decimal's text on GeoPackage (``indspace.store.types.ExactDecimal``).

Revision ID: 0022
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.store.migrations.helpers import register_tables
from indspace.store.types import ExactDecimal, UtcDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

TABLES = ["transactions", "transactions_history"]


def _columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.Text(), nullable=False, comment="交易编号"),
        sa.Column("kind", sa.Text(), nullable=False, comment="交易类型"),
        sa.Column("parcel_id", sa.Text(), nullable=False, comment="宗地代码"),
        sa.Column("building_id", sa.Text(), nullable=True, comment="建筑编号"),
        sa.Column("floor", sa.Integer(), nullable=True, comment="楼层"),
        sa.Column("area_m2", sa.Float(), nullable=False, comment="交易面积 (m²)"),
        sa.Column("price_wan", ExactDecimal(), nullable=True, comment="成交价 (万元)"),
        sa.Column("date", sa.Date(), nullable=False, comment="交易日期"),
        sa.Column("seller_credit_code", sa.Text(), nullable=True, comment="出让方统一社会信用代码"),
        sa.Column("buyer_credit_code", sa.Text(), nullable=False, comment="受让方统一社会信用代码"),
        sa.Column("buyer_use", sa.Text(), nullable=True, comment="受让方用途"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
    ]


def upgrade() -> None:
    srid = int(context.config.attributes["srid"])
    op.create_table(
        "transactions",
        *_columns(),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("transaction_id", name="uq_transactions_key"),
        comment="二级市场交易",
        sqlite_autoincrement=True,
    )
    op.create_index("ix_transactions_parcel_id", "transactions", ["parcel_id"])
    op.create_index("ix_transactions_buyer_credit_code", "transactions", ["buyer_credit_code"])
    op.create_table(
        "transactions_history",
        *_columns(),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="二级市场交易（历史版本）",
        sqlite_autoincrement=True,
    )
    op.create_index("ix_transactions_history_key", "transactions_history", ["transaction_id"])
    register_tables(TABLES, srid)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        names = ", ".join(f"'{t}'" for t in TABLES)
        op.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({names})")
    for t in reversed(TABLES):
        op.drop_table(t)
