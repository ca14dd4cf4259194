"""Land-supply contracts and their events (issue #17): the import kinds ``contracts`` and
``contract-events``, versioned like every entity (``contracts``/``contracts_history``,
``contract_events``/``contract_events_history``). Money columns are exact: NUMERIC on
PostGIS, the decimal's text on GeoPackage (``indspace.store.types.ExactDecimal``).

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.store.migrations.helpers import register_tables
from indspace.store.types import ExactDecimal, UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLES = ["contracts", "contracts_history", "contract_events", "contract_events_history"]


def _contract_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.Text(), nullable=False, comment="合同编号"),
        sa.Column("parcel_id", sa.Text(), nullable=False, comment="宗地代码"),
        sa.Column("credit_code", sa.Text(), nullable=False, comment="统一社会信用代码"),
        sa.Column("mode", sa.Text(), nullable=False, comment="供地方式"),
        sa.Column("signed", sa.Date(), nullable=False, comment="签订日期"),
        sa.Column("term_years", sa.Integer(), nullable=False, comment="出让年限 (年)"),
        sa.Column("price_wan", ExactDecimal(), nullable=False, comment="成交价款 (万元)"),
        sa.Column("area_m2", sa.Float(), nullable=False, comment="出让面积 (m²)"),
        sa.Column("start_deadline", sa.Date(), nullable=True, comment="约定动工日期"),
        sa.Column("completion_deadline", sa.Date(), nullable=True, comment="约定竣工日期"),
        sa.Column(
            "investment_commitment_wan",
            ExactDecimal(),
            nullable=True,
            comment="承诺投资总额 (万元)",
        ),
        sa.Column(
            "tax_per_mu_commitment_wan",
            ExactDecimal(),
            nullable=True,
            comment="承诺亩均税收 (万元/亩)",
        ),
        sa.Column("far_min", sa.Float(), nullable=True, comment="容积率下限"),
        sa.Column("far_max", sa.Float(), nullable=True, comment="容积率上限"),
        sa.Column("idle_cause", sa.Text(), nullable=True, comment="闲置原因"),
        sa.Column(
            "installment_special", sa.Boolean(), nullable=True, comment="特殊项目分期（24个月）"
        ),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
    ]


def _event_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.Text(), nullable=False, comment="合同编号"),
        sa.Column("event", sa.Text(), nullable=False, comment="事件"),
        sa.Column("date", sa.Date(), nullable=False, comment="日期"),
        sa.Column("amount_wan", ExactDecimal(), nullable=True, comment="金额 (万元)"),
        sa.Column("developed_area_m2", sa.Float(), nullable=True, comment="已开发面积 (m²)"),
        sa.Column("invested_wan", ExactDecimal(), nullable=True, comment="已完成投资 (万元)"),
        sa.Column("note", sa.Text(), nullable=True, comment="备注"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
    ]


def upgrade() -> None:
    srid = int(context.config.attributes["srid"])
    op.create_table(
        "contracts",
        *_contract_columns(),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("contract_id", name="uq_contracts_key"),
        comment="土地供应合同",
        sqlite_autoincrement=True,
    )
    op.create_index("ix_contracts_parcel_id", "contracts", ["parcel_id"])
    op.create_index("ix_contracts_credit_code", "contracts", ["credit_code"])
    op.create_table(
        "contracts_history",
        *_contract_columns(),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="土地供应合同（历史版本）",
        sqlite_autoincrement=True,
    )
    op.create_index("ix_contracts_history_key", "contracts_history", ["contract_id"])
    op.create_table(
        "contract_events",
        *_event_columns(),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("contract_id", "event", "date", name="uq_contract_events_key"),
        comment="合同履约事件",
        sqlite_autoincrement=True,
    )
    op.create_index("ix_contract_events_contract_id", "contract_events", ["contract_id"])
    op.create_table(
        "contract_events_history",
        *_event_columns(),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="合同履约事件（历史版本）",
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_contract_events_history_key",
        "contract_events_history",
        ["contract_id", "event", "date"],
    )
    register_tables(TABLES, srid)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        names = ", ".join(f"'{t}'" for t in TABLES)
        op.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({names})")
    for t in reversed(TABLES):
        op.drop_table(t)
