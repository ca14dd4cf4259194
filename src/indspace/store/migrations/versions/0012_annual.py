"""What the annual run keeps so later steps read instead of recomputing (issue #14).

* ``parcel_building_figures``: the per-parcel building figures of the overlay of buildings on
  parcels (footprint, floor area, FAR floor area, mean year built) for one storey-height
  limit, keyed by ``source_version`` (a content version of the ``buildings`` and ``parcels``
  tables): a step that needs the figures reads them instead of overlaying 150 000 building
  geometries again; any import or edit of buildings or parcels changes the version, and the
  figures are computed anew.
* ``evaluation_history``: the policy grades of the years before a run's year that the run's
  policies read (its grade history), written with the run; ``evaluation_runs.history_years``
  says how many years before the run's year were evaluated for it (empty: a run made before
  this revision, whose history was not kept). ``evaluation_history_years`` names, per run
  and year of its history, the method date and the inputs hash that year's grades came
  from: a later run whose history year has the same profile text, method date and inputs
  reads those grades instead of evaluating the year again, and keeps only a pointer to the
  run holding them (``grades_run_id``) instead of a copy.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parcel_building_figures",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_version", sa.Text(), nullable=False, comment="建筑与宗地数据的内容版本"),
        sa.Column("storey_limit_m", sa.Float(), nullable=False, comment="层高超过该值计容加倍 (m)"),
        sa.Column("parcel_id", sa.Text(), nullable=False),
        sa.Column("footprint_m2", sa.Float(), nullable=True),
        sa.Column("floor_area_m2", sa.Float(), nullable=True),
        sa.Column("far_floor_m2", sa.Float(), nullable=True),
        sa.Column("mean_year_built", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("fid"),
        comment="宗地建筑指标（由建筑与宗地叠加得出，按内容版本保存）",
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_parcel_building_figures_source",
        "parcel_building_figures",
        ["source_version", "storey_limit_m"],
    )
    op.create_table(
        "evaluation_history",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("policy_grade", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("fid"),
        comment="亩均评价批次所用的往年政策等级",
        sqlite_autoincrement=True,
    )
    op.create_index("ix_evaluation_history_run", "evaluation_history", ["run_id", "year"])
    op.create_table(
        "evaluation_history_years",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("method_date", sa.Date(), nullable=False, comment="该年等级的取值日期"),
        sa.Column("inputs_hash", sa.Text(), nullable=False, comment="该年输入数据哈希"),
        sa.Column("grades_run_id", sa.Text(), nullable=True, comment="等级所在批次（空：本批次）"),
        sa.PrimaryKeyConstraint("fid"),
        comment="往年等级的来源（取值日期、输入哈希）",
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_evaluation_history_years_key", "evaluation_history_years", ["year", "inputs_hash"]
    )
    # ADD COLUMN: no table rebuild on SQLite
    op.add_column(
        "evaluation_runs",
        sa.Column("history_years", sa.Integer(), nullable=True, comment="保存的往年等级年数"),
    )


def downgrade() -> None:
    with op.batch_alter_table("evaluation_runs") as batch_op:
        batch_op.drop_column("history_years")
    op.drop_index("ix_evaluation_history_years_key", table_name="evaluation_history_years")
    op.drop_table("evaluation_history_years")
    op.drop_index("ix_evaluation_history_run", table_name="evaluation_history")
    op.drop_table("evaluation_history")
    op.drop_index("ix_parcel_building_figures_source", table_name="parcel_building_figures")
    op.drop_table("parcel_building_figures")
