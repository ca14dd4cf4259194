"""What a page shows about an evaluation run, stored with the run (issue #16, item 1).

* ``evaluation_scores`` gains ``numerator``, ``denominator`` (the figures an indicator's
  value is the ratio of, as evaluated: tenants' figures merged) and ``bench_group`` (the
  benchmark group the firm is compared in, an integer unique within the run): with the
  stored values, points and benchmarks they let the distance to the next grade be found
  from the run's own rows, without evaluating the year again.
* ``evaluation_results`` gains the firm's own ``electricity_kwh``, ``water_t``,
  ``energy_tce`` and ``emissions`` of the year (the figures differentiated-policy money is
  charged on): a firm's measures and their money are then arithmetic on its stored row and
  its stored grade history.
* ``evaluation_zones``: the sums of every district, 2070 park and 361 chain of the run
  (firms, class counts as JSON, tax, value added, land, good-class and worst-class land),
  from which the roll-up (per-mu figures, shares, ranks, year-on-year) is arithmetic.
* ``parcel_parks``: the 2070 park of each parcel (the park holding a point inside it),
  keyed by a content version of ``parks`` and ``parcels`` like ``parcel_building_figures``:
  a run rolls up its parks without reading every parcel geometry again.
* ``evaluation_runs.derived_version``: 1 when the run stored the above (empty: a run made
  before this revision; its explanations are computed as before).

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None

POLICY_BASES = ("electricity_kwh", "water_t", "energy_tce", "emissions")


def upgrade() -> None:
    # ADD COLUMN: no table rebuild on SQLite
    op.add_column("evaluation_scores", sa.Column("numerator", sa.Float(), nullable=True,
                                                 comment="指标分子（评价所用数值）"))
    op.add_column("evaluation_scores", sa.Column("denominator", sa.Float(), nullable=True,
                                                 comment="指标分母（评价所用数值）"))
    op.add_column("evaluation_scores", sa.Column("bench_group", sa.Integer(), nullable=True,
                                                 comment="基准比较组（批次内编号）"))
    for name in POLICY_BASES:
        op.add_column("evaluation_results", sa.Column(name, sa.Float(), nullable=True,
                                                      comment="差别化政策计费基数（企业本身）"))
    op.add_column("evaluation_runs", sa.Column("derived_version", sa.Integer(), nullable=True,
                                               comment="随批次保存的解释与汇总的版本"))
    op.create_table(
        "evaluation_zones",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("zone_kind", sa.Text(), nullable=False),
        sa.Column("zone", sa.Text(), nullable=False),
        sa.Column("firms_evaluated", sa.Integer(), nullable=False),
        sa.Column("firms_graded", sa.Integer(), nullable=False),
        sa.Column("firms_ungraded", sa.Integer(), nullable=False),
        sa.Column("grade_counts", sa.Text(), nullable=False, comment="各等级企业数（JSON）"),
        sa.Column("tax", sa.Float(), nullable=False, comment="万元"),
        sa.Column("value_added", sa.Float(), nullable=False, comment="万元"),
        sa.Column("land_area_mu", sa.Float(), nullable=False, comment="亩"),
        sa.Column("ab_land", sa.Float(), nullable=False, comment="优等级企业用地（亩）"),
        sa.Column("d_land", sa.Float(), nullable=False, comment="最劣等级企业用地（亩）"),
        sa.PrimaryKeyConstraint("fid"),
        comment="亩均评价批次的区县、园区、产业链汇总",
        sqlite_autoincrement=True,
    )
    op.create_index("ix_evaluation_zones_run", "evaluation_zones", ["run_id", "zone_kind"])
    op.create_table(
        "parcel_parks",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_version", sa.Text(), nullable=False, comment="园区与宗地数据的内容版本"),
        sa.Column("parcel_id", sa.Text(), nullable=False),
        sa.Column("park_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        comment="宗地所在园区（按内容版本保存）",
        sqlite_autoincrement=True,
    )
    op.create_index("ix_parcel_parks_source", "parcel_parks", ["source_version"])


def downgrade() -> None:
    op.drop_index("ix_parcel_parks_source", table_name="parcel_parks")
    op.drop_table("parcel_parks")
    op.drop_index("ix_evaluation_zones_run", table_name="evaluation_zones")
    op.drop_table("evaluation_zones")
    with op.batch_alter_table("evaluation_runs") as batch_op:
        batch_op.drop_column("derived_version")
    with op.batch_alter_table("evaluation_results") as batch_op:
        for name in POLICY_BASES:
            batch_op.drop_column(name)
    with op.batch_alter_table("evaluation_scores") as batch_op:
        batch_op.drop_column("bench_group")
        batch_op.drop_column("denominator")
        batch_op.drop_column("numerator")
