"""Pro forma runs and results on a low-efficiency plan run (issue #18).

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.settings import DEFAULT_SRID
from indspace.store.migrations.helpers import register_tables
from indspace.store.types import UtcDateTime

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = ["proforma_runs", "proforma_results"]


def upgrade() -> None:
    srid = int(context.config.attributes.get("srid", DEFAULT_SRID))
    op.create_table(
        "proforma_runs",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("lowuse_run_id", sa.Text(), nullable=False, comment="所依据的低效用地方案批次"),
        sa.Column("profile_id", sa.Text(), nullable=False),
        sa.Column("profile_hash", sa.Text(), nullable=False),
        sa.Column("method_date", sa.Date(), nullable=False, comment="取值日期（该日生效的参数）"),
        sa.Column("modes", sa.Text(), nullable=False, comment="测算的改造模式（;分隔）"),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("summary_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("run_id"),
        comment="资金平衡测算批次",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "proforma_results",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("lowuse_run_id", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("far", sa.Float(), nullable=False, comment="测算容积率"),
        sa.Column("npv_wan", sa.Text(), nullable=True, comment="项目净现值（万元）"),
        sa.Column("irr", sa.Float(), nullable=True, comment="内部收益率"),
        sa.Column("payback_years", sa.Float(), nullable=True, comment="静态投资回收期（年）"),
        sa.Column(
            "balance_government_wan",
            sa.Text(),
            nullable=True,
            comment="政府资金平衡（净现值，万元）",
        ),
        sa.Column(
            "balance_operator_wan", sa.Text(), nullable=True, comment="运营商资金平衡（万元）"
        ),
        sa.Column(
            "balance_owners_wan", sa.Text(), nullable=True, comment="原权利人资金平衡（万元）"
        ),
        sa.Column(
            "balance_collective_wan", sa.Text(), nullable=True, comment="村集体资金平衡（万元）"
        ),
        sa.Column(
            "funding_ratio", sa.Float(), nullable=True, comment="资金平衡比（收入现值 ÷ 成本现值）"
        ),
        sa.Column("best_far", sa.Float(), nullable=True, comment="资金平衡最大的容积率"),
        sa.Column(
            "best_far_npv_wan", sa.Text(), nullable=True, comment="该容积率下的净现值（万元）"
        ),
        sa.Column(
            "detail_json",
            sa.Text(),
            nullable=False,
            comment="逐年现金流、各方逐年收支、分项合计、敏感性",
        ),
        sa.PrimaryKeyConstraint("fid"),
        comment="资金平衡测算结果（单元 × 模式）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("proforma_results", schema=None) as batch_op:
        batch_op.create_index(
            "ux_proforma_results_run_unit_mode", ["run_id", "unit_id", "mode"], unique=True
        )
    register_tables(TABLES, srid)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        names = ", ".join(f"'{t}'" for t in TABLES)
        op.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({names})")
    for t in reversed(TABLES):
        op.drop_table(t)
