"""Initial schema: the entity tables with their history twins, audit log, store meta,
demo anomalies; GeoPackage registration and R-tree indexes, or PostGIS GiST indexes.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from indspace.settings import DEFAULT_SRID
from indspace.store.migrations.helpers import register_tables
from indspace.store.types import Geometry, UtcDateTime


def _srid() -> int:
    """The deployment SRID handed in by ``Store.migrate`` (read when the migration runs, not
    when Alembic merely loads this file to list revisions)."""
    return int(context.config.attributes.get("srid", DEFAULT_SRID))


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    srid = _srid()
    op.create_table(
        "audit_log",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("before_json", sa.Text(), nullable=True),
        sa.Column("after_json", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("fid"),
        comment="审计日志（只增不改）",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "buildings",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("building_id", sa.Text(), nullable=False, comment="建筑编号"),
        sa.Column("parcel_id", sa.Text(), nullable=True, comment="宗地代码"),
        sa.Column("floors", sa.Integer(), nullable=False, comment="地上层数"),
        sa.Column("height_m", sa.Float(), nullable=True, comment="建筑高度 (m)"),
        sa.Column("gfa_m2", sa.Float(), nullable=True, comment="建筑面积 (m²)"),
        sa.Column("use", sa.Text(), nullable=True, comment="建筑用途"),
        sa.Column("year_built", sa.Integer(), nullable=True, comment="建成年份"),
        sa.Column("district", sa.Text(), nullable=True, comment="所在区县"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True, comment="基底"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("building_id", name="uq_buildings_key"),
        comment="建筑",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("buildings", schema=None) as batch_op:
        batch_op.create_index("ix_buildings_parcel_id", ["parcel_id"], unique=False)

    op.create_table(
        "buildings_history",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("building_id", sa.Text(), nullable=False, comment="建筑编号"),
        sa.Column("parcel_id", sa.Text(), nullable=True, comment="宗地代码"),
        sa.Column("floors", sa.Integer(), nullable=False, comment="地上层数"),
        sa.Column("height_m", sa.Float(), nullable=True, comment="建筑高度 (m)"),
        sa.Column("gfa_m2", sa.Float(), nullable=True, comment="建筑面积 (m²)"),
        sa.Column("use", sa.Text(), nullable=True, comment="建筑用途"),
        sa.Column("year_built", sa.Integer(), nullable=True, comment="建成年份"),
        sa.Column("district", sa.Text(), nullable=True, comment="所在区县"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True, comment="基底"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="建筑（历史版本）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("buildings_history", schema=None) as batch_op:
        batch_op.create_index("ix_buildings_history_key", ["building_id"], unique=False)

    op.create_table(
        "control_lines",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("block_id", sa.Text(), nullable=False, comment="区块编号"),
        sa.Column("name", sa.Text(), nullable=False, comment="区块名称"),
        sa.Column("district", sa.Text(), nullable=True, comment="所在区县"),
        sa.Column("line_type", sa.Text(), nullable=False, comment="控制线类型"),
        sa.Column("park_id", sa.Text(), nullable=True, comment="所属园区"),
        sa.Column("effective_from", sa.Date(), nullable=False, comment="生效日期"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True, comment="几何"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("block_id", name="uq_control_lines_key"),
        comment="工业区块控制线",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "control_lines_history",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("block_id", sa.Text(), nullable=False, comment="区块编号"),
        sa.Column("name", sa.Text(), nullable=False, comment="区块名称"),
        sa.Column("district", sa.Text(), nullable=True, comment="所在区县"),
        sa.Column("line_type", sa.Text(), nullable=False, comment="控制线类型"),
        sa.Column("park_id", sa.Text(), nullable=True, comment="所属园区"),
        sa.Column("effective_from", sa.Date(), nullable=False, comment="生效日期"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True, comment="几何"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="工业区块控制线（历史版本）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("control_lines_history", schema=None) as batch_op:
        batch_op.create_index("ix_control_lines_history_key", ["block_id"], unique=False)

    op.create_table(
        "demo_anomalies",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("fid"),
        comment="演示数据中预置的异常",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "districts",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("admin_code", sa.Text(), nullable=False, comment="行政区划代码"),
        sa.Column("name", sa.Text(), nullable=False, comment="名称"),
        sa.Column("name_en", sa.Text(), nullable=True, comment="英文名称"),
        sa.Column("kind", sa.Text(), nullable=True, comment="类型"),
        sa.Column("is_urban_district", sa.Boolean(), nullable=True, comment="市区"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True, comment="几何"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("admin_code", name="uq_districts_key"),
        comment="行政区",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "districts_history",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("admin_code", sa.Text(), nullable=False, comment="行政区划代码"),
        sa.Column("name", sa.Text(), nullable=False, comment="名称"),
        sa.Column("name_en", sa.Text(), nullable=True, comment="英文名称"),
        sa.Column("kind", sa.Text(), nullable=True, comment="类型"),
        sa.Column("is_urban_district", sa.Boolean(), nullable=True, comment="市区"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True, comment="几何"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="行政区（历史版本）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("districts_history", schema=None) as batch_op:
        batch_op.create_index("ix_districts_history_key", ["admin_code"], unique=False)

    op.create_table(
        "enterprises",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False, comment="统一社会信用代码"),
        sa.Column("name", sa.Text(), nullable=False, comment="企业名称"),
        sa.Column("district", sa.Text(), nullable=True, comment="所在区县"),
        sa.Column("industry_code", sa.Text(), nullable=True, comment="国民经济行业代码"),
        sa.Column("chain", sa.Text(), nullable=True, comment='"361"产业链'),
        sa.Column("scale", sa.Text(), nullable=True, comment="企业规模"),
        sa.Column("founded", sa.Date(), nullable=True, comment="成立日期"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("credit_code", name="uq_enterprises_key"),
        comment="企业",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "enterprises_history",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False, comment="统一社会信用代码"),
        sa.Column("name", sa.Text(), nullable=False, comment="企业名称"),
        sa.Column("district", sa.Text(), nullable=True, comment="所在区县"),
        sa.Column("industry_code", sa.Text(), nullable=True, comment="国民经济行业代码"),
        sa.Column("chain", sa.Text(), nullable=True, comment='"361"产业链'),
        sa.Column("scale", sa.Text(), nullable=True, comment="企业规模"),
        sa.Column("founded", sa.Date(), nullable=True, comment="成立日期"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="企业（历史版本）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("enterprises_history", schema=None) as batch_op:
        batch_op.create_index("ix_enterprises_history_key", ["credit_code"], unique=False)

    op.create_table(
        "indicators",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False, comment="统一社会信用代码"),
        sa.Column("year", sa.Integer(), nullable=False, comment="年度"),
        sa.Column("revenue", sa.Float(), nullable=True, comment="营业收入 (万元)"),
        sa.Column("tax", sa.Float(), nullable=True, comment="税收 (万元)"),
        sa.Column("value_added", sa.Float(), nullable=True, comment="工业增加值 (万元)"),
        sa.Column("employees", sa.Float(), nullable=True, comment="年平均职工人数 (人)"),
        sa.Column("energy_tce", sa.Float(), nullable=True, comment="综合能耗 (tce)"),
        sa.Column("electricity_kwh", sa.Float(), nullable=True, comment="用电量 (kWh)"),
        sa.Column("emissions", sa.Float(), nullable=True, comment="主要污染物排放量 (t)"),
        sa.Column("rd_spend", sa.Float(), nullable=True, comment="研发经费 (万元)"),
        sa.Column("safety_veto", sa.Boolean(), nullable=True, comment="安全生产否决"),
        sa.Column("environment_veto", sa.Boolean(), nullable=True, comment="环保否决"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("credit_code", "year", name="uq_indicators_key"),
        comment="企业年度指标",
        sqlite_autoincrement=True,
    )
    op.create_table(
        "indicators_history",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=False, comment="统一社会信用代码"),
        sa.Column("year", sa.Integer(), nullable=False, comment="年度"),
        sa.Column("revenue", sa.Float(), nullable=True, comment="营业收入 (万元)"),
        sa.Column("tax", sa.Float(), nullable=True, comment="税收 (万元)"),
        sa.Column("value_added", sa.Float(), nullable=True, comment="工业增加值 (万元)"),
        sa.Column("employees", sa.Float(), nullable=True, comment="年平均职工人数 (人)"),
        sa.Column("energy_tce", sa.Float(), nullable=True, comment="综合能耗 (tce)"),
        sa.Column("electricity_kwh", sa.Float(), nullable=True, comment="用电量 (kWh)"),
        sa.Column("emissions", sa.Float(), nullable=True, comment="主要污染物排放量 (t)"),
        sa.Column("rd_spend", sa.Float(), nullable=True, comment="研发经费 (万元)"),
        sa.Column("safety_veto", sa.Boolean(), nullable=True, comment="安全生产否决"),
        sa.Column("environment_veto", sa.Boolean(), nullable=True, comment="环保否决"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="企业年度指标（历史版本）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("indicators_history", schema=None) as batch_op:
        batch_op.create_index("ix_indicators_history_key", ["credit_code", "year"], unique=False)

    op.create_table(
        "occupancy",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("occupancy_id", sa.Text(), nullable=False, comment="使用记录编号"),
        sa.Column("credit_code", sa.Text(), nullable=False, comment="统一社会信用代码"),
        sa.Column("parcel_id", sa.Text(), nullable=False, comment="宗地代码"),
        sa.Column("building_id", sa.Text(), nullable=True, comment="建筑编号"),
        sa.Column("role", sa.Text(), nullable=False, comment="使用方式"),
        sa.Column("land_area_m2", sa.Float(), nullable=True, comment="占地面积 (m²)"),
        sa.Column("floor_area_m2", sa.Float(), nullable=True, comment="使用建筑面积 (m²)"),
        sa.Column("start", sa.Date(), nullable=True, comment="起始日期"),
        sa.Column("end", sa.Date(), nullable=True, comment="终止日期"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("occupancy_id", name="uq_occupancy_key"),
        comment="用地用房关系",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("occupancy", schema=None) as batch_op:
        batch_op.create_index("ix_occupancy_credit_code", ["credit_code"], unique=False)
        batch_op.create_index("ix_occupancy_parcel_id", ["parcel_id"], unique=False)

    op.create_table(
        "occupancy_history",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("occupancy_id", sa.Text(), nullable=False, comment="使用记录编号"),
        sa.Column("credit_code", sa.Text(), nullable=False, comment="统一社会信用代码"),
        sa.Column("parcel_id", sa.Text(), nullable=False, comment="宗地代码"),
        sa.Column("building_id", sa.Text(), nullable=True, comment="建筑编号"),
        sa.Column("role", sa.Text(), nullable=False, comment="使用方式"),
        sa.Column("land_area_m2", sa.Float(), nullable=True, comment="占地面积 (m²)"),
        sa.Column("floor_area_m2", sa.Float(), nullable=True, comment="使用建筑面积 (m²)"),
        sa.Column("start", sa.Date(), nullable=True, comment="起始日期"),
        sa.Column("end", sa.Date(), nullable=True, comment="终止日期"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="用地用房关系（历史版本）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("occupancy_history", schema=None) as batch_op:
        batch_op.create_index("ix_occupancy_history_key", ["occupancy_id"], unique=False)

    op.create_table(
        "parcels",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("parcel_id", sa.Text(), nullable=False, comment="宗地代码"),
        sa.Column("land_use_code", sa.Text(), nullable=True, comment="用地分类代码"),
        sa.Column("area_m2", sa.Float(), nullable=False, comment="宗地面积 (m²)"),
        sa.Column("right_type", sa.Text(), nullable=True, comment="权利类型"),
        sa.Column("right_start", sa.Date(), nullable=True, comment="使用期限起"),
        sa.Column("right_end", sa.Date(), nullable=True, comment="使用期限止"),
        sa.Column("owner_credit_code", sa.Text(), nullable=True, comment="权利人统一社会信用代码"),
        sa.Column("district", sa.Text(), nullable=True, comment="所在区县"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True, comment="几何"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("parcel_id", name="uq_parcels_key"),
        comment="宗地",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("parcels", schema=None) as batch_op:
        batch_op.create_index("ix_parcels_owner_credit_code", ["owner_credit_code"], unique=False)

    op.create_table(
        "parcels_history",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("parcel_id", sa.Text(), nullable=False, comment="宗地代码"),
        sa.Column("land_use_code", sa.Text(), nullable=True, comment="用地分类代码"),
        sa.Column("area_m2", sa.Float(), nullable=False, comment="宗地面积 (m²)"),
        sa.Column("right_type", sa.Text(), nullable=True, comment="权利类型"),
        sa.Column("right_start", sa.Date(), nullable=True, comment="使用期限起"),
        sa.Column("right_end", sa.Date(), nullable=True, comment="使用期限止"),
        sa.Column("owner_credit_code", sa.Text(), nullable=True, comment="权利人统一社会信用代码"),
        sa.Column("district", sa.Text(), nullable=True, comment="所在区县"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True, comment="几何"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment="宗地（历史版本）",
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("parcels_history", schema=None) as batch_op:
        batch_op.create_index("ix_parcels_history_key", ["parcel_id"], unique=False)

    op.create_table(
        "parks",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("park_id", sa.Text(), nullable=False, comment="园区编号"),
        sa.Column("name", sa.Text(), nullable=False, comment="园区名称"),
        sa.Column("tier", sa.Text(), nullable=False, comment="层级"),
        sa.Column("district", sa.Text(), nullable=True, comment="所在区县"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True, comment="几何"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("park_id", name="uq_parks_key"),
        comment='"2070"工业集聚区',
        sqlite_autoincrement=True,
    )
    op.create_table(
        "parks_history",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("park_id", sa.Text(), nullable=False, comment="园区编号"),
        sa.Column("name", sa.Text(), nullable=False, comment="园区名称"),
        sa.Column("tier", sa.Text(), nullable=False, comment="层级"),
        sa.Column("district", sa.Text(), nullable=True, comment="所在区县"),
        sa.Column("is_synthetic", sa.Boolean(), nullable=True, comment="合成数据标记"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=srid), nullable=True, comment="几何"),
        sa.Column("version", sa.Integer(), nullable=False, comment="版本号"),
        sa.Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"),
        sa.Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
        sa.PrimaryKeyConstraint("fid"),
        comment='"2070"工业集聚区（历史版本）',
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("parks_history", schema=None) as batch_op:
        batch_op.create_index("ix_parks_history_key", ["park_id"], unique=False)

    op.create_table(
        "store_meta",
        sa.Column("fid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("fid"),
        sa.UniqueConstraint("key"),
        comment="库元数据",
        sqlite_autoincrement=True,
    )
    register_tables(
        [
            "audit_log",
            "buildings",
            "buildings_history",
            "control_lines",
            "control_lines_history",
            "demo_anomalies",
            "districts",
            "districts_history",
            "enterprises",
            "enterprises_history",
            "indicators",
            "indicators_history",
            "occupancy",
            "occupancy_history",
            "parcels",
            "parcels_history",
            "parks",
            "parks_history",
            "store_meta",
        ],
        srid,
    )


def downgrade() -> None:
    op.drop_table("store_meta")
    with op.batch_alter_table("parks_history", schema=None) as batch_op:
        batch_op.drop_index("ix_parks_history_key")

    op.drop_table("parks_history")
    op.drop_table("parks")
    with op.batch_alter_table("parcels_history", schema=None) as batch_op:
        batch_op.drop_index("ix_parcels_history_key")

    op.drop_table("parcels_history")
    with op.batch_alter_table("parcels", schema=None) as batch_op:
        batch_op.drop_index("ix_parcels_owner_credit_code")

    op.drop_table("parcels")
    with op.batch_alter_table("occupancy_history", schema=None) as batch_op:
        batch_op.drop_index("ix_occupancy_history_key")

    op.drop_table("occupancy_history")
    with op.batch_alter_table("occupancy", schema=None) as batch_op:
        batch_op.drop_index("ix_occupancy_parcel_id")
        batch_op.drop_index("ix_occupancy_credit_code")

    op.drop_table("occupancy")
    with op.batch_alter_table("indicators_history", schema=None) as batch_op:
        batch_op.drop_index("ix_indicators_history_key")

    op.drop_table("indicators_history")
    op.drop_table("indicators")
    with op.batch_alter_table("enterprises_history", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprises_history_key")

    op.drop_table("enterprises_history")
    op.drop_table("enterprises")
    with op.batch_alter_table("districts_history", schema=None) as batch_op:
        batch_op.drop_index("ix_districts_history_key")

    op.drop_table("districts_history")
    op.drop_table("districts")
    op.drop_table("demo_anomalies")
    with op.batch_alter_table("control_lines_history", schema=None) as batch_op:
        batch_op.drop_index("ix_control_lines_history_key")

    op.drop_table("control_lines_history")
    op.drop_table("control_lines")
    with op.batch_alter_table("buildings_history", schema=None) as batch_op:
        batch_op.drop_index("ix_buildings_history_key")

    op.drop_table("buildings_history")
    with op.batch_alter_table("buildings", schema=None) as batch_op:
        batch_op.drop_index("ix_buildings_parcel_id")

    op.drop_table("buildings")
    op.drop_table("audit_log")
