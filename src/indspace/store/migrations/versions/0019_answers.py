"""What a page shows about an evaluation run, stored with the run (issue #16, item 1).

* ``evaluation_columns``: per-firm figures a run keeps beside its result and score rows,
  one row per run and column holding the whole column as a little-endian array (float64
  or int64), in the order of the run's ``evaluation_results`` / ``evaluation_scores`` rows
  (their ``fid`` order): for the scores the ``numerator`` and ``denominator`` each value is
  the ratio of (tenants' figures merged) and the ``bench_group`` the firm is compared in
  (with the stored points they let the distance to the next grade be found from the run's
  own rows), for the results the firm's own ``electricity_kwh``, ``water_t``,
  ``energy_tce`` and ``emissions`` (the bases of differentiated-policy money). A column is
  written as one value, not 78 000 cells: on the city run ≈ 0 s instead of ≈ 0.2 s.
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
from alembic import context, op

from indspace.settings import DEFAULT_SRID
from indspace.store.migrations.helpers import register_tables

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None

TABLES = ["evaluation_zones", "evaluation_columns", "parcel_parks"]


def upgrade() -> None:
    # ADD COLUMN: no table rebuild on SQLite
    op.add_column(
        "evaluation_runs",
        sa.Column(
            "derived_version", sa.Integer(), nullable=True, comment="随批次保存的解释与汇总的版本"
        ),
    )
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
        "evaluation_columns",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("rows_of", sa.Text(), nullable=False, comment="所对应的表（按 fid 顺序）"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("dtype", sa.Text(), nullable=False, comment="<f8 或 <i8"),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        comment="亩均评价批次逐企业附加数值（整列保存）",
        sqlite_autoincrement=True,
    )
    op.create_index("ix_evaluation_columns_run", "evaluation_columns", ["run_id", "rows_of"])
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
    # attribute tables in the GeoPackage catalogue (visible to GIS clients)
    register_tables(TABLES, int(context.config.attributes.get("srid", DEFAULT_SRID)))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        names = ", ".join(f"'{t}'" for t in TABLES)
        op.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({names})")
    op.drop_index("ix_evaluation_columns_run", table_name="evaluation_columns")
    op.drop_table("evaluation_columns")
    op.drop_index("ix_parcel_parks_source", table_name="parcel_parks")
    op.drop_table("parcel_parks")
    op.drop_index("ix_evaluation_zones_run", table_name="evaluation_zones")
    op.drop_table("evaluation_zones")
    with op.batch_alter_table("evaluation_runs") as batch_op:
        batch_op.drop_column("derived_version")
