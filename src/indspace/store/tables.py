"""The store's tables, built from the entity contracts in ``indspace.core.model.entities``.

For each entity ``E`` there are two tables:

* ``E`` — the current version of every record: ``fid`` (integer primary key, the GeoPackage
  feature id), the contract's columns, ``geom`` if spatial, ``version`` (1, 2, …) and
  ``valid_from`` (UTC). Its natural key is unique. This is the layer GIS clients see.
* ``E_history`` — every closed version: the same columns plus ``valid_to``. An edit moves the
  old row here; nothing is overwritten or deleted (``Store.update`` / ``Store.retire``).

Plus ``audit_log`` (append-only), ``store_meta`` (key/value facts: CRS, demo seed, …),
``demo_anomalies`` (what the demo city planted, so later features can be checked against it),
``import_runs`` (one row per import attempt) and ``import_quarantine`` (rejected rows and the
reasons, kept with the import that saw them).

The 亩均 evaluation (issue #5) adds ``evaluation_runs`` (one immutable row per computed run:
year, profile id/version/hash, inputs hash, version, parent run, publication state),
``evaluation_results`` (one row per enterprise and run), ``evaluation_scores`` (one row per
enterprise, indicator and run), ``parcel_evaluations`` (地企双评, one row per parcel and run)
and ``evaluation_objections`` (异议: filed, accepted or rejected, and the run it produced).
Results are written once with their run and never edited.

The annual run (issue #14, revision 0012) adds ``evaluation_history`` and
``evaluation_history_years`` (the grade history a run's policies read, and where each year's
grades came from) and ``parcel_building_figures`` (the per-parcel result of the building
overlay, keyed by a content version of buildings and parcels; owner ``services/land.py``).
Revision 0019 (issue #16) keeps what a page shows about a run with it: ``evaluation_columns``
(per-firm figures beside the result and score rows, one array per column), ``evaluation_zones``
and ``parcel_parks``. Revision 0025 (issue #16) keeps ``parcel_line_status`` (each parcel's
control-line status for the vector tiles, keyed by a content version of the lines; owner
``store/line_status.py``).

The control-line adjustments (issue #7) add ``controlline_proposals`` (one row per
adjustment: district, reason, documents, state draft → reviewed → approved → in_force),
``controlline_proposal_areas`` (its areas out and in, one feature per part),
``controlline_ledger`` (占补平衡: append-only bookings per district — out, in, transfers —
with their signed effect on the balance) and ``constraint_areas`` (生态保护红线, 永久基本农田:
land that replacement land may not overlap).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from indspace.core.model.entities import ENTITIES, Entity
from indspace.settings import DEFAULT_SRID
from indspace.store.types import ExactDecimal, Geometry, UtcDateTime

_SQL_TYPES: dict[str, type[TypeEngine[Any]]] = {
    "text": Text, "int": Integer, "float": Float, "bool": Boolean, "date": Date,
    "decimal": ExactDecimal,
}

GEOM = "geom"
"""Name of the geometry column in every spatial table (GDAL's GeoPackage default)."""


def history_name(table: str) -> str:
    return f"{table}_history"


def _entity_columns(entity: Entity, srid: int) -> list[Column[object]]:
    cols: list[Column[object]] = [
        Column(f.name, _SQL_TYPES[f.dtype](), nullable=not f.required,
               comment=f.label_zh + (f" ({f.unit})" if f.unit else ""))
        for f in entity.fields
    ]
    if entity.geometry:
        cols.append(Column(GEOM, Geometry(entity.geometry, srid), comment=entity.geometry_label_zh))
    cols.append(Column("version", Integer, nullable=False, comment="版本号"))
    cols.append(Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"))
    return cols


@functools.cache
def build_metadata(srid: int = DEFAULT_SRID) -> MetaData:
    """All tables of the store for a deployment whose projected CRS is ``EPSG:srid`` (built
    once per SRID and shared: ≈ 0.1 s a build, and ``Store.meta`` asks for it on every
    call; callers only read it)."""
    md = MetaData()
    for entity in ENTITIES.values():
        Table(
            entity.table, md,
            Column("fid", Integer, primary_key=True, autoincrement=True),
            *_entity_columns(entity, srid),
            UniqueConstraint(*entity.key, name=f"uq_{entity.table}_key"),
            *[Index(f"ix_{entity.table}_{'_'.join(cols)}", *cols)
              for cols in entity.extra_indexes],
            sqlite_autoincrement=True, comment=entity.label_zh,
        )
        Table(
            history_name(entity.table), md,
            Column("fid", Integer, primary_key=True, autoincrement=True),
            *_entity_columns(entity, srid),
            Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
            Index(f"ix_{entity.table}_history_key", *entity.key),
            sqlite_autoincrement=True, comment=f"{entity.label_zh}（历史版本）",
        )
    Table(
        "audit_log", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("at", UtcDateTime(), nullable=False),
        Column("actor", Text, nullable=False),
        Column("action", Text, nullable=False),
        Column("table_name", Text, nullable=False),
        Column("record_key", Text, nullable=False),
        Column("before_json", Text),
        Column("after_json", Text),
        Column("reason", Text),
        Column("effective_at", UtcDateTime(), comment="生效时间（变更所指的业务时间）"),
        Column("prev_hash", Text, comment="上一条的 entry_hash（哈希链）"),
        Column("entry_hash", Text, comment="本条规范内容的 SHA-256"),
        sqlite_autoincrement=True, comment="审计日志（只增不改）",
    )
    Table(
        "store_meta", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("key", Text, nullable=False, unique=True),
        Column("value", Text, nullable=False),
        sqlite_autoincrement=True, comment="库元数据",
    )
    Table(
        "demo_anomalies", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("kind", Text, nullable=False),
        Column("table_name", Text, nullable=False),
        Column("record_key", Text, nullable=False),
        Column("detail", Text),
        sqlite_autoincrement=True, comment="演示数据中预置的异常",
    )
    Table(
        "import_runs", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("import_id", Text, nullable=False, unique=True),
        Column("kind", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("file_sha256", Text, nullable=False),
        Column("format", Text),
        Column("encoding", Text),
        Column("encoding_assumed", Boolean),
        Column("crs", Text),
        Column("crs_source", Text),
        Column("mode", Text, nullable=False),
        Column("strict", Boolean, nullable=False),
        Column("status", Text, nullable=False),
        Column("rows_read", Integer, nullable=False),
        Column("accepted", Integer, nullable=False),
        Column("rejected", Integer, nullable=False),
        Column("warnings", Integer, nullable=False),
        Column("inserted", Integer, nullable=False),
        Column("updated", Integer, nullable=False),
        Column("unchanged", Integer, nullable=False),
        Column("retired", Integer, nullable=False),
        Column("report", Text),
        Column("actor", Text, nullable=False),
        Column("started_at", UtcDateTime(), nullable=False),
        Column("finished_at", UtcDateTime(), nullable=False),
        sqlite_autoincrement=True, comment="导入记录",
    )
    Table(
        "import_quarantine", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("import_id", Text, nullable=False),
        Column("source_row", Integer, nullable=False),
        Column("field", Text),
        Column("code", Text, nullable=False),
        Column("severity", Text, nullable=False),
        Column("message_zh", Text, nullable=False),
        Column("message_en", Text, nullable=False),
        Column("value", Text),
        Column("raw_json", Text),
        Index("ix_import_quarantine_import_id", "import_id"),
        sqlite_autoincrement=True, comment="导入隔离区（被拒绝的行及原因）",
    )
    evaluation_tables(md)
    Table(
        "data_stamps", md,
        Column("table_name", Text, primary_key=True),
        Column("stamp", Integer, nullable=False, comment="每次写入加一"),
        comment="数据戳：各表每次写入加一（由触发器维护）",
    )
    Table(
        "parcel_building_figures", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("source_version", Text, nullable=False, comment="建筑与宗地数据的内容版本"),
        Column("storey_limit_m", Float, nullable=False, comment="层高超过该值计容加倍 (m)"),
        Column("parcel_id", Text, nullable=False),
        Column("footprint_m2", Float),
        Column("floor_area_m2", Float),
        Column("far_floor_m2", Float),
        Column("mean_year_built", Float),
        Index("ix_parcel_building_figures_source", "source_version", "storey_limit_m"),
        sqlite_autoincrement=True, comment="宗地建筑指标（由建筑与宗地叠加得出，按内容版本保存）",
    )
    Table(
        "parcel_line_status", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("source_version", Text, nullable=False, comment="控制线数据的内容版本"),
        Column("tolerance_m", Float, nullable=False, comment="边界容差 (m)"),
        Column("parcel_fid", Integer, nullable=False),
        Column("parcel_version", Integer, nullable=False),
        Column("parcel_id", Text, nullable=False),
        Column("line_status", Text, nullable=False, comment="inside|partial|outside"),
        Index("ix_parcel_line_status_parcel", "parcel_fid", "parcel_version"),
        sqlite_autoincrement=True, comment="宗地控制线状态（瓦片用，按控制线内容版本保存）",
    )
    controlline_tables(md, srid)
    lowuse_tables(md)
    proforma_tables(md)
    match_tables(md)
    account_tables(md)
    return md


def evaluation_tables(md: MetaData) -> None:
    """Tables of the 亩均 evaluation runs (see the module docstring)."""
    Table(
        "evaluation_runs", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False, unique=True),
        Column("year", Integer, nullable=False),
        Column("profile_id", Text, nullable=False),
        Column("profile_version", Text, nullable=False),
        Column("profile_hash", Text, nullable=False),
        Column("method_date", Date, nullable=False),
        Column("inputs_hash", Text, nullable=False),
        Column("version", Integer, nullable=False),
        Column("parent_run_id", Text),
        Column("state", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime()),
        Column("objection_deadline", UtcDateTime()),
        Column("actor", Text, nullable=False),
        Column("note", Text),
        Column("summary_json", Text, nullable=False),
        Column("profile_text", Text, comment="策略配置全文（YAML）"),
        Column("history_years", Integer, comment="保存的往年等级年数"),
        Column("derived_version", Integer, comment="随批次保存的解释与汇总的版本"),
        Column("inputs_version", Text, comment="所读输入表的数据戳（读取之前取得）"),
        Index("ix_evaluation_runs_year_profile", "year", "profile_id"),
        sqlite_autoincrement=True, comment="亩均评价批次（不可修改）",
    )
    Table(
        "evaluation_results", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False),
        Column("credit_code", Text, nullable=False),
        Column("population", Text),
        Column("group_label", Text),
        Column("land_area_mu", Float),
        Column("score", Float),
        Column("rank", Integer),
        Column("group_size", Integer),
        Column("grade", Text),
        Column("policy_grade", Text),
        Column("status", Text, nullable=False),
        Column("reason", Text),
        Column("landlord", Text),
        Column("bonus_points", Float),
        Column("penalty_points", Float),
        Column("review", Boolean, nullable=False),
        Index("ux_evaluation_results_run_code", "run_id", "credit_code", unique=True),
        sqlite_autoincrement=True, comment="亩均评价结果（每企业每批次一行）",
    )
    Table(
        "evaluation_scores", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False),
        Column("credit_code", Text, nullable=False),
        Column("indicator", Text, nullable=False),
        Column("value", Float),
        Column("benchmark", Float),
        Column("weight", Float, nullable=False),
        Column("points", Float, nullable=False),
        Column("missing", Boolean, nullable=False),
        Index("ix_evaluation_scores_run_code", "run_id", "credit_code"),
        sqlite_autoincrement=True, comment="亩均评价单项得分",
    )
    Table(
        "evaluation_zones", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False),
        Column("zone_kind", Text, nullable=False),
        Column("zone", Text, nullable=False),
        Column("firms_evaluated", Integer, nullable=False),
        Column("firms_graded", Integer, nullable=False),
        Column("firms_ungraded", Integer, nullable=False),
        Column("grade_counts", Text, nullable=False, comment="各等级企业数（JSON）"),
        Column("tax", Float, nullable=False, comment="万元"),
        Column("value_added", Float, nullable=False, comment="万元"),
        Column("land_area_mu", Float, nullable=False, comment="亩"),
        Column("ab_land", Float, nullable=False, comment="优等级企业用地（亩）"),
        Column("d_land", Float, nullable=False, comment="最劣等级企业用地（亩）"),
        Index("ix_evaluation_zones_run", "run_id", "zone_kind"),
        sqlite_autoincrement=True, comment="亩均评价批次的区县、园区、产业链汇总",
    )
    Table(
        "evaluation_columns", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False),
        Column("rows_of", Text, nullable=False, comment="所对应的表（按 fid 顺序）"),
        Column("name", Text, nullable=False),
        Column("dtype", Text, nullable=False, comment="<f8 或 <i8"),
        Column("data", LargeBinary, nullable=False),
        Index("ix_evaluation_columns_run", "run_id", "rows_of"),
        sqlite_autoincrement=True, comment="亩均评价批次逐企业附加数值（整列保存）",
    )
    Table(
        "parcel_parks", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("source_version", Text, nullable=False, comment="园区与宗地数据的内容版本"),
        Column("parcel_id", Text, nullable=False),
        Column("park_id", Text, nullable=False),
        Index("ix_parcel_parks_source", "source_version"),
        sqlite_autoincrement=True, comment="宗地所在园区（按内容版本保存）",
    )
    Table(
        "parcel_evaluations", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False),
        Column("parcel_id", Text, nullable=False),
        Column("district", Text),
        Column("population", Text),
        Column("land_area_mu", Float),
        Column("n_occupants", Integer),
        Column("score", Float),
        Column("rank", Integer),
        Column("group_size", Integer),
        Column("benefit_grade", Text),
        Column("far", Float),
        Column("building_coefficient", Float),
        Column("vacant_share", Float),
        Column("failed_checks", Text),
        Column("land_grade", Text),
        Index("ux_parcel_evaluations_run_parcel", "run_id", "parcel_id", unique=True),
        sqlite_autoincrement=True, comment="地企双评：宗地评价",
    )
    Table(
        "evaluation_history", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False),
        Column("credit_code", Text, nullable=False),
        Column("year", Integer, nullable=False),
        Column("policy_grade", Text),
        Index("ix_evaluation_history_run", "run_id", "year"),
        sqlite_autoincrement=True, comment="亩均评价批次所用的往年政策等级",
    )
    Table(
        "evaluation_history_years", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False),
        Column("year", Integer, nullable=False),
        Column("method_date", Date, nullable=False, comment="该年等级的取值日期"),
        Column("inputs_hash", Text, nullable=False, comment="该年输入数据哈希"),
        Column("grades_run_id", Text, comment="等级所在批次（空：本批次）"),
        Index("ix_evaluation_history_years_key", "year", "inputs_hash"),
        sqlite_autoincrement=True, comment="往年等级的来源（取值日期、输入哈希）",
    )
    Table(
        "evaluation_objections", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("objection_id", Text, nullable=False, unique=True),
        Column("run_id", Text, nullable=False),
        Column("credit_code", Text, nullable=False),
        Column("field", Text, nullable=False),
        Column("claimed_value", Float),
        Column("reason", Text, nullable=False),
        Column("state", Text, nullable=False),
        Column("filed_at", UtcDateTime(), nullable=False),
        Column("filed_by", Text, nullable=False),
        Column("resolved_at", UtcDateTime()),
        Column("resolved_by", Text),
        Column("resolution_note", Text),
        Column("resolved_run_id", Text),
        sqlite_autoincrement=True, comment="评价异议",
    )


def account_tables(md: MetaData) -> None:
    """Accounts of the web platform (issue #8): users with argon2 password hashes and their
    bearer tokens (only a SHA-256 of each token is stored)."""
    Table(
        "users", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("username", Text, nullable=False, unique=True),
        Column("password_hash", Text, nullable=False, comment="argon2id"),
        Column("role", Text, nullable=False,
               comment="city_admin | district_officer | enterprise | auditor"),
        Column("district", Text, comment="区县（区县工作人员）"),
        Column("credit_code", Text, comment="统一社会信用代码（企业用户）"),
        Column("display_name", Text, nullable=False),
        Column("active", Boolean, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        sqlite_autoincrement=True, comment="平台账户",
    )
    Table(
        "auth_tokens", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("token_hash", Text, nullable=False, unique=True, comment="sha256 hex"),
        Column("username", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False),
        Column("revoked_at", UtcDateTime()),
        sqlite_autoincrement=True, comment="访问令牌（仅存哈希）",
    )


def lowuse_tables(md: MetaData) -> None:
    """低效用地 runs (issue #6): one immutable row per run, its parcels and its units."""
    Table(
        "lowuse_runs", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False, unique=True),
        Column("year", Integer, nullable=False),
        Column("profile_id", Text, nullable=False),
        Column("profile_hash", Text, nullable=False),
        Column("gap_m", Float, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("actor", Text, nullable=False),
        Column("summary_json", Text, nullable=False),
        Column("profile_text", Text, comment="策略配置全文（YAML）"),
        Column("method_date", Date, comment="取值日期（该日生效的参数）"),
        Column("evaluation_run_id", Text, comment="所依据的亩均评价批次"),
        sqlite_autoincrement=True, comment="低效用地认定与连片单元批次",
    )
    Table(
        "lowuse_parcels", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False),
        Column("parcel_id", Text, nullable=False),
        Column("criteria", Text, nullable=False),
        Column("triggers", Text, nullable=False),
        Column("unit_id", Text),
        Index("ux_lowuse_parcels_run_parcel", "run_id", "parcel_id", unique=True),
        sqlite_autoincrement=True, comment="低效宗地（每批次）",
    )
    Table(
        "lowuse_units", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False),
        Column("unit_id", Text, nullable=False),
        Column("district", Text),
        Column("parcel_count", Integer, nullable=False),
        Column("area_mu", Float, nullable=False),
        Column("potential_gfa_m2", Float),
        Column("project_type", Text),
        Column("mode", Text),
        Column("detail_json", Text, nullable=False),
        Index("ux_lowuse_units_run_unit", "run_id", "unit_id", unique=True),
        sqlite_autoincrement=True, comment="连片改造单元（每批次）",
    )


def proforma_tables(md: MetaData) -> None:
    """Pro forma runs on a low-efficiency plan run (issue #18): one immutable row per run and
    one row per unit × 工改工 mode. Money columns are exact decimal text in 万元 (0.01)."""
    Table(
        "proforma_runs", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False, unique=True),
        Column("lowuse_run_id", Text, nullable=False, comment="所依据的低效用地方案批次"),
        Column("profile_id", Text, nullable=False),
        Column("profile_hash", Text, nullable=False),
        Column("method_date", Date, nullable=False, comment="取值日期（该日生效的参数）"),
        Column("modes", Text, nullable=False, comment="测算的改造模式（;分隔）"),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("actor", Text, nullable=False),
        Column("summary_json", Text, nullable=False),
        sqlite_autoincrement=True, comment="资金平衡测算批次",
    )
    Table(
        "proforma_results", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False),
        Column("lowuse_run_id", Text, nullable=False),
        Column("unit_id", Text, nullable=False),
        Column("mode", Text, nullable=False),
        Column("far", Float, nullable=False, comment="测算容积率"),
        Column("npv_wan", Text, comment="项目净现值（万元）"),
        Column("irr", Float, comment="内部收益率"),
        Column("payback_years", Float, comment="静态投资回收期（年）"),
        Column("balance_government_wan", Text, comment="政府资金平衡（净现值，万元）"),
        Column("balance_operator_wan", Text, comment="运营商资金平衡（万元）"),
        Column("balance_owners_wan", Text, comment="原权利人资金平衡（万元）"),
        Column("balance_collective_wan", Text, comment="村集体资金平衡（万元）"),
        Column("funding_ratio", Float, comment="资金平衡比（收入现值 ÷ 成本现值）"),
        Column("best_far", Float, comment="资金平衡最大的容积率"),
        Column("best_far_npv_wan", Text, comment="该容积率下的净现值（万元）"),
        Column("detail_json", Text, nullable=False,
               comment="逐年现金流、各方逐年收支、分项合计、敏感性"),
        Index("ux_proforma_results_run_unit_mode", "run_id", "unit_id", "mode", unique=True),
        sqlite_autoincrement=True, comment="资金平衡测算结果（单元 × 模式）",
    )


def match_tables(md: MetaData) -> None:
    """Supply–demand matching runs (issue #19): one row per run, one per demand of a run
    (the columns of ``indspace.core.engines.matching.MATCH_COLUMNS``; rents as exact decimal
    text)."""
    Table(
        "match_runs", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False, unique=True),
        Column("objective", Text, nullable=False, comment="目标函数"),
        Column("as_of", Date, nullable=False, comment="基准日"),
        Column("profile_id", Text, nullable=False),
        Column("profile_hash", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("actor", Text, nullable=False),
        Column("summary_json", Text, nullable=False),
        sqlite_autoincrement=True, comment="供需匹配批次",
    )
    Table(
        "match_results", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Text, nullable=False),
        *[Column(name, typ, comment=zh) for name, typ, zh in MATCH_RESULT_COLUMNS],
        Index("ux_match_results_run_demand", "run_id", "demand_id", unique=True),
        sqlite_autoincrement=True, comment="供需匹配结果（每个需求一行）",
    )


MATCH_RESULT_COLUMNS: list[tuple[str, Any, str]] = [
    ("demand_id", Text, "需求编号"), ("credit_code", Text, "统一社会信用代码"),
    ("kind", Text, "需求类型"), ("space_id", Text, "空间编号"), ("space_kind", Text, "空间类型"),
    ("district", Text, "区县"), ("park_id", Text, "园区"), ("area_m2", Float, "面积 (m²)"),
    ("rent_yuan_m2_month", Text, "租金 (元/m²/月)"), ("rent_yuan_month", Text, "月租金 (元)"),
    ("score", Float, "得分"), ("n_candidates", Integer, "候选空间数"),
    ("cost_rank", Integer, "候选中排名"), ("binding", Text, "紧约束"),
    ("reason_zh", Text, "说明"), ("reason_en", Text, "reason"),
]
"""The stored columns of a match row, in MATCH_COLUMNS order (name, SQL type, label)."""


def controlline_tables(md: MetaData, srid: int) -> None:
    """Tables of the control-line adjustments and the 占补平衡 ledger (module docstring)."""
    Table(
        "controlline_proposals", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("proposal_id", Text, nullable=False, unique=True),
        Column("district", Text, nullable=False),
        Column("name", Text),
        Column("reason", Text, nullable=False),
        Column("documents_json", Text, nullable=False),
        Column("line_type", Text, nullable=False),
        Column("transfer_from", Text),
        Column("area_out_m2", Float, nullable=False),
        Column("area_in_m2", Float, nullable=False),
        Column("small_firm_reserve_m2", Float),
        Column("state", Text, nullable=False),
        Column("checks_json", Text),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("created_by", Text, nullable=False),
        Column("reviewed_at", UtcDateTime()),
        Column("reviewed_by", Text),
        Column("approved_at", UtcDateTime()),
        Column("approved_by", Text),
        Column("profile_id", Text),
        Column("profile_hash", Text),
        Column("enforced_at", UtcDateTime()),
        Column("enforced_by", Text),
        Column("edits_json", Text),
        Column("closed_at", UtcDateTime(), comment="驳回或撤回时间"),
        Column("closed_by", Text, comment="驳回或撤回人"),
        Column("close_note", Text, comment="驳回或撤回理由"),
        sqlite_autoincrement=True, comment="控制线调整方案",
    )
    Table(
        "controlline_proposal_areas", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("proposal_id", Text, nullable=False),
        Column("direction", Text, nullable=False),
        Column("part", Integer, nullable=False),
        Column("area_m2", Float, nullable=False),
        Column(GEOM, Geometry("MULTIPOLYGON", srid), comment="调出/补划范围"),
        Index("ix_controlline_proposal_areas_proposal", "proposal_id"),
        sqlite_autoincrement=True, comment="控制线调整方案：调出与补划范围",
    )
    Table(
        "controlline_ledger", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("proposal_id", Text, nullable=False),
        Column("district", Text, nullable=False),
        Column("kind", Text, nullable=False),
        Column("area_m2", Float, nullable=False),
        Column("area_mu", Float, nullable=False),
        Column("ratio", Float, nullable=False),
        Column("effect_m2", Float, nullable=False),
        Column("counterparty", Text),
        Column("booked_at", UtcDateTime(), nullable=False),
        Column("actor", Text, nullable=False),
        Index("ix_controlline_ledger_district", "district"),
        sqlite_autoincrement=True, comment="占补平衡台账（只增不改）",
    )
    Table(
        "constraint_areas", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("area_id", Text, nullable=False, unique=True),
        Column("kind", Text, nullable=False),
        Column("name", Text),
        Column(GEOM, Geometry("MULTIPOLYGON", srid), comment="管控范围"),
        sqlite_autoincrement=True, comment="管控区（生态保护红线、永久基本农田）",
    )


def spatial_tables(md: MetaData) -> list[tuple[str, str, str, bool]]:
    """(table, geometry column, geometry type, indexed) for every table with a geometry."""
    out = []
    for t in md.sorted_tables:
        for c in t.columns:
            if isinstance(c.type, Geometry):
                out.append((t.name, c.name, c.type.geom_type, not t.name.endswith("_history")))
    return out
