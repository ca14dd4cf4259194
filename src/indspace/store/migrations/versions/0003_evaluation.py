"""亩均 evaluation runs, results, scores, parcel evaluations (地企双评) and objections (issue #5).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.settings import DEFAULT_SRID
from indspace.store.migrations.helpers import register_tables
from indspace.store.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = [
    "evaluation_objections",
    "evaluation_results",
    "evaluation_runs",
    "evaluation_scores",
    "parcel_evaluations",
]


def upgrade() -> None:
    srid = int(context.config.attributes.get("srid", DEFAULT_SRID))
    op.create_table(
        "evaluation_objections",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("objection_id", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("claimed_value", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("filed_at", UtcDateTime(), nullable=False),
        sa.Column("filed_by", sa.Text(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_run_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("objection_id"),
        comment="评价异议",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "evaluation_results",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False),
        sa.Column("population", sa.Text(), nullable=True),
        sa.Column("group_label", sa.Text(), nullable=True),
        sa.Column("land_area_mu", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("group_size", sa.Integer(), nullable=True),
        sa.Column("grade", sa.Text(), nullable=True),
        sa.Column("policy_grade", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("landlord", sa.Text(), nullable=True),
        sa.Column("bonus_points", sa.Float(), nullable=True),
        sa.Column("penalty_points", sa.Float(), nullable=True),
        sa.Column("review", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        comment="亩均评价结果（每企业每批次一行）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("evaluation_results", schema=None) as batch_op:
        batch_op.create_index(
            "ux_evaluation_results_run_code", ["run_id", "credit_code"], unique=True
        )

    op.create_table(
        "evaluation_runs",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Text(), nullable=False),
        sa.Column("profile_version", sa.Text(), nullable=False),
        sa.Column("profile_hash", sa.Text(), nullable=False),
        sa.Column("method_date", sa.Date(), nullable=False),
        sa.Column("inputs_hash", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("parent_run_id", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.Column("objection_deadline", UtcDateTime(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("summary_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("run_id"),
        comment="亩均评价批次（不可修改）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("evaluation_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evaluation_runs_year_profile", ["year", "profile_id"], unique=False
        )

    op.create_table(
        "evaluation_scores",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("benchmark", sa.Float(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("missing", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        comment="亩均评价单项得分",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("evaluation_scores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evaluation_scores_run_code", ["run_id", "credit_code"], unique=False
        )

    op.create_table(
        "parcel_evaluations",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("parcel_id", sa.Text(), nullable=False),
        sa.Column("district", sa.Text(), nullable=True),
        sa.Column("population", sa.Text(), nullable=True),
        sa.Column("land_area_mu", sa.Float(), nullable=True),
        sa.Column("n_occupants", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("group_size", sa.Integer(), nullable=True),
        sa.Column("benefit_grade", sa.Text(), nullable=True),
        sa.Column("far", sa.Float(), nullable=True),
        sa.Column("building_coefficient", sa.Float(), nullable=True),
        sa.Column("vacant_share", sa.Float(), nullable=True),
        sa.Column("failed_checks", sa.Text(), nullable=True),
        sa.Column("land_grade", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("fid"),
        comment="地企双评：宗地评价",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("parcel_evaluations", schema=None) as batch_op:
        batch_op.create_index(
            "ux_parcel_evaluations_run_parcel", ["run_id", "parcel_id"], unique=True
        )

    register_tables(TABLES, srid)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        names = ", ".join(f"'{t}'" for t in TABLES)
        op.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({names})")
    for t in TABLES:
        op.drop_table(t)
