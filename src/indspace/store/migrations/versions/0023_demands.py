"""Space-demand profiles (issue #19, 空间需求画像): the import kind ``demands``, versioned like
every entity (``demands``/``demands_history``). The rent ceiling is exact money (元/m²/月:
NUMERIC on PostGIS, the decimal's text on GeoPackage). Matching runs and their rows
(``match_runs``, ``match_results``: one row per demand, rents as exact decimal text).

Revision ID: 0023
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.store.migrations.helpers import register_tables
from indspace.store.types import ExactDecimal, UtcDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TABLES = ["demands", "demands_history", "match_runs", "match_results"]
RESULT_COLUMNS = [
    ("demand_id", sa.Text, "需求编号"),
    ("credit_code", sa.Text, "统一社会信用代码"),
    ("kind", sa.Text, "需求类型"),
    ("space_id", sa.Text, "空间编号"),
    ("space_kind", sa.Text, "空间类型"),
    ("district", sa.Text, "区县"),
    ("park_id", sa.Text, "园区"),
    ("area_m2", sa.Float, "面积 (m²)"),
    ("rent_yuan_m2_month", sa.Text, "租金 (元/m²/月)"),
    ("rent_yuan_month", sa.Text, "月租金 (元)"),
    ("score", sa.Float, "得分"),
    ("n_candidates", sa.Integer, "候选空间数"),
    ("cost_rank", sa.Integer, "候选中排名"),
    ("binding", sa.Text, "紧约束"),
    ("reason_zh", sa.Text, "说明"),
    ("reason_en", sa.Text, "reason"),
]


def _columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("demand_id", sa.Text(), nullable=False, comment="需求编号"),
        sa.Column("credit_code", sa.Text(), nullable=False, comment="统一社会信用代码"),
        sa.Column("kind", sa.Text(), nullable=False, comment="需求类型"),
        sa.Column("min_area_m2", sa.Float(), nullable=False, comment="需求面积下限 (m²)"),
        sa.Column("max_area_m2", sa.Float(), nullable=True, comment="需求面积上限 (m²)"),
        sa.Column("min_load_kn_m2", sa.Float(), nullable=True, comment="楼面荷载 (kN/m²)"),
        sa.Column("min_clear_height_m", sa.Float(), nullable=True, comment="净高 (m)"),
        sa.Column("min_power_kva", sa.Float(), nullable=True, comment="用电容量 (kVA)"),
        sa.Column("pollution_class", sa.Integer(), nullable=True, comment="污染类别"),
        sa.Column("chain", sa.Text(), nullable=True, comment='"361"产业链'),
        sa.Column(
            "max_rent_yuan_m2_month",
            ExactDecimal(),
            nullable=True,
            comment="可承受租金上限 (元/m²/月)",
        ),
        sa.Column("districts", sa.Text(), nullable=True, comment="意向区县"),
        sa.Column("start", sa.Date(), nullable=True, comment="需求起始日期"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
    ]


def upgrade() -> None:
    srid = int(context.config.attributes["srid"])
    op.create_table(
        "demands",
        *_columns(),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("demand_id", name="uq_demands_key"),
        comment="空间需求画像",
        sqlite_autoincrement=True,
    )
    op.create_index("ix_demands_credit_code", "demands", ["credit_code"])
    op.create_table(
        "demands_history",
        *_columns(),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="空间需求画像（历史版本）",
        sqlite_autoincrement=True,
    )
    op.create_index("ix_demands_history_key", "demands_history", ["demand_id"])
    op.create_table(
        "match_runs",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False, comment="目标函数"),
        sa.Column("as_of", sa.Date(), nullable=False, comment="基准日"),
        sa.Column("profile_id", sa.Text(), nullable=False),
        sa.Column("profile_hash", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("summary_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("run_id"),
        comment="供需匹配批次",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "match_results",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        *[sa.Column(name, typ(), nullable=True, comment=zh) for name, typ, zh in RESULT_COLUMNS],
        sa.PrimaryKeyConstraint("fid"),
        comment="供需匹配结果（每个需求一行）",
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ux_match_results_run_demand", "match_results", ["run_id", "demand_id"], unique=True
    )
    register_tables(TABLES, srid)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        names = ", ".join(f"'{t}'" for t in TABLES)
        op.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({names})")
    for t in reversed(TABLES):
        op.drop_table(t)
