"""Column contracts of the stored entities — one definition for the store, import and docs.

Each :class:`Entity` names its table, its natural key, its fields (with dtype, unit and the
Chinese label from shared/domain/glossary.md) and its geometry type, if spatial. The store
builds its tables from these contracts, the demo generator produces frames that satisfy them,
and :func:`check_frame` validates any frame against them at the door.

Every entity is *versioned*: the current row carries ``version`` and ``valid_from``; an edit
moves the old row to ``<table>_history`` with ``valid_to`` set, so history is never
overwritten (see ``indspace.store``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from indspace.core.errors import ValidationError
from indspace.core.model.credit_code import credit_code_problems, validate_credit_code

if TYPE_CHECKING:  # pandas is imported where a frame is checked: the contracts need none
    import pandas as pd

DType = Literal["text", "int", "float", "bool", "date", "decimal"]
"""``decimal``: exact money (``decimal.Decimal`` in Python, NUMERIC on PostGIS, the exact
decimal text on GeoPackage) — never a float (issue #17)."""
GeomType = Literal["MULTIPOLYGON", "POINT"]


@dataclass(frozen=True)
class Field:
    """One column: English snake_case name, dtype, unit, Chinese label, requiredness."""

    name: str
    dtype: DType
    label_zh: str
    unit: str | None = None
    required: bool = False
    choices: tuple[str, ...] | None = None
    credit_code: bool = False
    """Values must be valid 统一社会信用代码 (GB 32100-2015 check character)."""
    vocabulary: str | None = None
    """Key of the accepted spellings of a choice field in ``indspace.ingest.aliases.
    CHOICE_VALUES`` when it is not the field name (a generic name such as ``kind`` has
    different values in different tables)."""


@dataclass(frozen=True)
class Entity:
    """A stored entity (table) and its contract."""

    table: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    label_zh: str
    geometry: GeomType | None = None
    geometry_label_zh: str = "几何"
    extra_indexes: tuple[tuple[str, ...], ...] = field(default=())
    valid_time: tuple[str, str] | None = None
    """Date columns ``(start, end)`` holding the record's *valid time* — when the fact holds
    in the world, from the data (``effective_from``/``effective_to``, ``right_start``/
    ``right_end``, ``start``/``end``); a missing start or end is open. Entities without them
    are taken as valid from the moment they were recorded. The store's ``valid_from``/
    ``valid_to`` are the *recorded* time (issue #14)."""

    @property
    def columns(self) -> list[str]:
        """Attribute column names in contract order (geometry excluded)."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


RIGHT_TYPES = ("grant", "allocation", "lease", "collective")
"""出让 / 划拨 / 租赁 / 集体 (权利类型)."""
SCALES = ("above", "below")
"""规上 / 规下."""
ROLES = ("owner", "tenant")
LINE_TYPES = ("level1", "level2")
"""一级 / 二级 工业区块控制线."""
PARK_TIERS = ("strategic", "community")
"""战略产业园 / 优势产业社区 ("2070")."""

SYNTH = Field("is_synthetic", "bool", "合成数据标记")

DISTRICTS = Entity(
    "districts", ("admin_code",), (
        Field("admin_code", "text", "行政区划代码", required=True),
        Field("name", "text", "名称", required=True),
        Field("name_en", "text", "英文名称"),
        Field("kind", "text", "类型", choices=("district", "county", "county_city")),
        Field("is_urban_district", "bool", "市区"),
    ), "行政区", geometry="MULTIPOLYGON")

PARKS = Entity(
    "parks", ("park_id",), (
        Field("park_id", "text", "园区编号", required=True),
        Field("name", "text", "园区名称", required=True),
        Field("tier", "text", "层级", required=True, choices=PARK_TIERS),
        Field("district", "text", "所在区县"),
        SYNTH,
    ), "\"2070\"工业集聚区", geometry="MULTIPOLYGON")

CONTROL_LINES = Entity(
    "control_lines", ("block_id",), (
        Field("block_id", "text", "区块编号", required=True),
        Field("name", "text", "区块名称", required=True),
        Field("district", "text", "所在区县"),
        Field("line_type", "text", "控制线类型", required=True, choices=LINE_TYPES),
        Field("park_id", "text", "所属园区"),
        Field("effective_from", "date", "生效日期", required=True),
        Field("effective_to", "date", "有效期止"),
        SYNTH,
    ), "工业区块控制线", geometry="MULTIPOLYGON",
    valid_time=("effective_from", "effective_to"))

ENTERPRISES = Entity(
    "enterprises", ("credit_code",), (
        Field("credit_code", "text", "统一社会信用代码", required=True, credit_code=True),
        Field("name", "text", "企业名称", required=True),
        Field("district", "text", "所在区县"),
        Field("industry_code", "text", "国民经济行业代码"),
        Field("chain", "text", "\"361\"产业链"),
        Field("scale", "text", "企业规模", choices=SCALES),
        Field("founded", "date", "成立日期"),
        SYNTH,
    ), "企业")

PARCELS = Entity(
    "parcels", ("parcel_id",), (
        Field("parcel_id", "text", "宗地代码", required=True),
        Field("land_use_code", "text", "用地分类代码"),
        Field("area_m2", "float", "宗地面积", unit="m²", required=True),
        Field("right_type", "text", "权利类型", choices=RIGHT_TYPES),
        Field("right_start", "date", "使用期限起"),
        Field("right_end", "date", "使用期限止"),
        Field("owner_credit_code", "text", "权利人统一社会信用代码", credit_code=True),
        Field("district", "text", "所在区县"),
        SYNTH,
    ), "宗地", geometry="MULTIPOLYGON", extra_indexes=(("owner_credit_code",),),
    valid_time=("right_start", "right_end"))

BUILDINGS = Entity(
    "buildings", ("building_id",), (
        Field("building_id", "text", "建筑编号", required=True),
        Field("parcel_id", "text", "宗地代码"),
        Field("floors", "int", "地上层数", required=True),
        Field("height_m", "float", "建筑高度", unit="m"),
        Field("gfa_m2", "float", "建筑面积", unit="m²"),
        Field("use", "text", "建筑用途"),
        Field("year_built", "int", "建成年份"),
        Field("district", "text", "所在区县"),
        SYNTH,
    ), "建筑", geometry="MULTIPOLYGON", geometry_label_zh="基底", extra_indexes=(("parcel_id",),))

OCCUPANCY = Entity(
    "occupancy", ("occupancy_id",), (
        Field("occupancy_id", "text", "使用记录编号", required=True),
        Field("credit_code", "text", "统一社会信用代码", required=True, credit_code=True),
        Field("parcel_id", "text", "宗地代码", required=True),
        Field("building_id", "text", "建筑编号"),
        Field("role", "text", "使用方式", required=True, choices=ROLES),
        Field("land_area_m2", "float", "占地面积", unit="m²"),
        Field("floor_area_m2", "float", "使用建筑面积", unit="m²"),
        Field("start", "date", "起始日期"),
        Field("end", "date", "终止日期"),
        SYNTH,
    ), "用地用房关系", extra_indexes=(("credit_code",), ("parcel_id",)),
    valid_time=("start", "end"))

INDICATORS = Entity(
    "indicators", ("credit_code", "year"), (
        Field("credit_code", "text", "统一社会信用代码", required=True, credit_code=True),
        Field("year", "int", "年度", required=True),
        Field("revenue", "float", "营业收入", unit="万元"),
        Field("tax", "float", "税收", unit="万元"),
        Field("value_added", "float", "工业增加值", unit="万元"),
        Field("employees", "float", "年平均职工人数", unit="人"),
        Field("energy_tce", "float", "综合能耗", unit="tce"),
        Field("electricity_kwh", "float", "用电量", unit="kWh"),
        Field("emissions", "float", "主要污染物排放量", unit="t"),
        Field("rd_spend", "float", "研发经费", unit="万元"),
        Field("safety_veto", "bool", "安全生产否决"),
        Field("environment_veto", "bool", "环保否决"),
        SYNTH,
    ), "企业年度指标")

DESIGNATION_TYPES = ("high_tech_enterprise", "specialised_sme", "little_giant",
                     "single_champion", "chain_leader")
"""企业资质认定: 高新技术企业, 专精特新, 专精特新小巨人, 单项冠军, 链主 (the item names of a
profile's bonus points)."""

DESIGNATIONS = Entity(
    # the exchange format's valid_from / valid_to are stored as start / end (as occupancy):
    # valid_from is the store's version time, valid_to the history's
    "designations", ("credit_code", "designation", "start"), (
        Field("credit_code", "text", "统一社会信用代码", required=True, credit_code=True),
        Field("designation", "text", "资质认定", required=True, choices=DESIGNATION_TYPES),
        Field("start", "date", "有效期起", required=True),
        Field("end", "date", "有效期止"),
        SYNTH,
    ), "企业资质认定", extra_indexes=(("credit_code",),))

PLAN_ZONES = Entity(
    # one row per approval: a zone re-approved with another use is a new record, so the plan
    # in force on any day is the latest approval of each zone on or before that day
    "plan_zones", ("zone_id", "approved"), (
        Field("zone_id", "text", "规划单元编号", required=True),
        Field("planned_use", "text", "规划用途", required=True),
        Field("approved", "date", "批复日期", required=True),
        Field("document", "text", "批复文号"),
        SYNTH,
    ), "规划用途分区", geometry="MULTIPOLYGON", geometry_label_zh="规划范围")
"""规划用途分区 (kind ``plans``): the planned use of an area (a land-use code of the
国土空间 classification, e.g. ``1001`` 工业用地, ``0701`` 城镇住宅用地, or GB 50137 ``M1``,
``R2``) as approved on a day by a document (批复文号)."""

CONTRACT_MODES = ("grant", "long_term_lease", "lease_then_grant", "flexible_term",
                  "capital_contribution")
"""供地方式: 出让, 长期租赁, 先租后让, 弹性年期出让, 作价出资 (land-rules E1–E4)."""
CONTRACT_EVENT_TYPES = ("payment", "start", "stop", "resume", "completion", "acceptance",
                        "transfer", "renewal_application", "extension")
"""合同事件: 缴款, 动工, 停工, 复工, 竣工, 达产验收, 转让, 续期申请, 延期."""
IDLE_CAUSES = ("enterprise", "government", "force_majeure")
"""闲置原因 (land-rules D5): 企业原因, 政府原因, 不可抗力 — the last two waive the fee."""

CONTRACTS = Entity(
    "contracts", ("contract_id",), (
        Field("contract_id", "text", "合同编号", required=True),
        Field("parcel_id", "text", "宗地代码", required=True),
        Field("credit_code", "text", "统一社会信用代码", required=True, credit_code=True),
        Field("mode", "text", "供地方式", required=True, choices=CONTRACT_MODES),
        Field("signed", "date", "签订日期", required=True),
        Field("term_years", "int", "出让年限", unit="年", required=True),
        Field("price_wan", "decimal", "成交价款", unit="万元", required=True),
        Field("area_m2", "float", "出让面积", unit="m²", required=True),
        Field("start_deadline", "date", "约定动工日期"),
        Field("completion_deadline", "date", "约定竣工日期"),
        Field("investment_commitment_wan", "decimal", "承诺投资总额", unit="万元"),
        Field("tax_per_mu_commitment_wan", "decimal", "承诺亩均税收", unit="万元/亩"),
        Field("far_min", "float", "容积率下限"),
        Field("far_max", "float", "容积率上限"),
        Field("idle_cause", "text", "闲置原因", choices=IDLE_CAUSES),
        Field("installment_special", "bool", "特殊项目分期（24个月）"),
        SYNTH,
    ), "土地供应合同", extra_indexes=(("parcel_id",), ("credit_code",)))
"""土地出让（租赁）合同 (kind ``contracts``, issue #17). ``idle_cause`` (land-rules D5) and
``installment_special`` (财综〔2009〕74号: a special project approved collectively may pay the
balance within 24 months instead of 12) are optional columns beyond the issue's list."""

CONTRACT_EVENTS = Entity(
    # one row per contract, event and day: two payments on one day are one row (their sum)
    "contract_events", ("contract_id", "event", "date"), (
        Field("contract_id", "text", "合同编号", required=True),
        Field("event", "text", "事件", required=True, choices=CONTRACT_EVENT_TYPES),
        Field("date", "date", "日期", required=True),
        Field("amount_wan", "decimal", "金额", unit="万元"),
        Field("developed_area_m2", "float", "已开发面积", unit="m²"),
        Field("invested_wan", "decimal", "已完成投资", unit="万元"),
        Field("note", "text", "备注"),
        SYNTH,
    ), "合同履约事件", extra_indexes=(("contract_id",),))
"""合同履约事件 (kind ``contract-events``): payments as made or scheduled (a payment dated
after the as-of day is not yet paid), start, stop, resume, completion, acceptance (checked
against the firm's evaluated tax per mu and ``invested_wan``), transfer, renewal application
and extension (``date`` = the new start deadline)."""

DEMAND_KINDS = ("land", "floor")
"""空间需求类型: 用地 (land) / 用房 (floor)."""

DEMANDS = Entity(
    "demands", ("demand_id",), (
        Field("demand_id", "text", "需求编号", required=True),
        Field("credit_code", "text", "统一社会信用代码", required=True, credit_code=True),
        Field("kind", "text", "需求类型", required=True, choices=DEMAND_KINDS),
        Field("min_area_m2", "float", "需求面积下限", unit="m²", required=True),
        Field("max_area_m2", "float", "需求面积上限", unit="m²"),
        Field("min_load_kn_m2", "float", "楼面荷载", unit="kN/m²"),
        Field("min_clear_height_m", "float", "净高", unit="m"),
        Field("min_power_kva", "float", "用电容量", unit="kVA"),
        Field("pollution_class", "int", "污染类别"),
        Field("chain", "text", "\"361\"产业链"),
        Field("max_rent_yuan_m2_month", "decimal", "可承受租金上限", unit="元/m²/月"),
        Field("districts", "text", "意向区县"),
        Field("start", "date", "需求起始日期"),
        SYNTH,
    ), "空间需求画像", extra_indexes=(("credit_code",),))
"""空间需求画像 (kind ``demands``, issue #19; land-rules K1): a firm's need for land or floor
space — area window (m²), floor load (kN/m²), clear height (m), power (kVA), pollution class
(1/2/3 = 一/二/三类工业, 100101/2/3), its "361" chain, the highest rent it accepts (元/m²/月,
exact), the districts it would go to (GB/T 2260 codes, ;-joined; empty = any) and the day it
wants the space from."""
TRANSACTION_KINDS = ("land_transfer", "strata_sale", "sublease", "mortgage")
"""交易类型: 土地使用权转让, 分割销售, 转租, 抵押 (glossary: transactions)."""
BUYER_USES = ("production", "rd", "storage", "office", "commercial", "residential", "other")
"""受让方（承租方）用途: 生产, 研发, 仓储, 办公, 商业, 居住, 其他 — which of them count as
industrial is the profile's ``market_rules.industrial_uses``."""

TRANSACTIONS = Entity(
    "transactions", ("transaction_id",), (
        Field("transaction_id", "text", "交易编号", required=True),
        Field("kind", "text", "交易类型", required=True, choices=TRANSACTION_KINDS,
              vocabulary="transaction_kind"),
        Field("parcel_id", "text", "宗地代码", required=True),
        Field("building_id", "text", "建筑编号"),
        Field("floor", "int", "楼层"),
        Field("area_m2", "float", "交易面积", unit="m²", required=True),
        Field("price_wan", "decimal", "成交价", unit="万元"),
        Field("date", "date", "交易日期", required=True),
        Field("seller_credit_code", "text", "出让方统一社会信用代码", credit_code=True),
        Field("buyer_credit_code", "text", "受让方统一社会信用代码", required=True,
              credit_code=True),
        Field("buyer_use", "text", "受让方用途", choices=BUYER_USES),
        SYNTH,
    ), "二级市场交易", extra_indexes=(("parcel_id",), ("buyer_credit_code",)))
"""二级市场交易 (kind ``transactions``, issue #19): transfers of land-use rights, strata
sales of floor space, subleases and mortgages. ``area_m2`` is land area for a land transfer
or mortgage, floor area otherwise; ``price_wan`` is the price (a sublease: the rent of the
whole term; a mortgage: the secured amount) — exact decimal. The buyer need not be in the
enterprise register (a buyer without production records is itself a finding)."""

ENTITIES: dict[str, Entity] = {
    e.table: e for e in (DISTRICTS, PARKS, CONTROL_LINES, ENTERPRISES, PARCELS, BUILDINGS,
                         OCCUPANCY, INDICATORS, DESIGNATIONS, PLAN_ZONES, CONTRACTS,
                         CONTRACT_EVENTS, DEMANDS, TRANSACTIONS)
}
"""All stored entities by table name, in load order (referenced tables first)."""


def check_frame(entity: Entity, frame: pd.DataFrame, *, source: str = "frame") -> None:
    """Check that ``frame`` carries the entity's required columns and valid choices.

    Raises :class:`ValidationError` naming the first missing column or bad value.

    >>> import pandas as pd
    >>> check_frame(PARKS, pd.DataFrame({"park_id": ["P1"], "name": ["x"], "tier": ["big"]}))
    Traceback (most recent call last):
    ...
    indspace.core.errors.ValidationError: [frame row 0, field tier] ...
    """
    for f in entity.fields:
        if f.name not in frame.columns:
            if f.required:
                raise ValidationError(
                    f"缺少必需列：{f.name}（{f.label_zh}）",
                    f"missing required column: {f.name}",
                    where=source, hint_zh=f"{entity.label_zh}须包含该列",
                    hint_en=f"{entity.table} needs this column")
            continue
        col = frame[f.name]
        if f.required and col.isna().any():
            row = int(col.isna().to_numpy().argmax())
            raise ValidationError(f"必填字段为空：{f.name}（{f.label_zh}）",
                                  f"required field is empty: {f.name}",
                                  where=f"{source} row {row}, field {f.name}")
        if f.choices is not None:
            bad = col.notna() & ~col.isin(f.choices)
            if bad.any():
                row = int(bad.to_numpy().argmax())
                raise ValidationError(
                    f"取值无效：{col.iloc[row]!r}，应为 {'/'.join(f.choices)}",
                    f"invalid value {col.iloc[row]!r}, expected one of {', '.join(f.choices)}",
                    where=f"{source} row {row}, field {f.name}")
        if f.credit_code:
            _check_credit_codes(col, f, source)
    if entity.geometry is not None and "geometry" not in frame.columns:
        raise ValidationError("缺少几何列", "missing geometry column", where=source)


def _check_credit_codes(col: pd.Series, f: Field, source: str) -> None:
    import pandas as pd

    present = col.notna().to_numpy()
    problems = np.full(len(col), None, dtype=object)
    problems[present] = credit_code_problems(col.to_numpy(dtype=object)[present])
    bad = np.flatnonzero(pd.notna(problems))
    if len(bad):
        pos = int(bad[0])
        validate_credit_code(str(col.iloc[pos]), where=f"{source} row {pos}, field {f.name}")


def contracts_markdown() -> str:
    """The entity contracts as a Markdown document (docs/data-model.md is generated by this;
    a test keeps the two identical)."""
    lines = [
        "# 数据模型 / Data model",
        "",
        "由 `indspace.core.model.entities` 生成，勿手改 / generated from "
        "`indspace.core.model.entities` — do not edit by hand "
        "(`python -m indspace.core.model.entities > docs/data-model.md`).",
        "",
        "每张表另有 `fid`（要素编号）、`version`、`valid_from`（UTC），以及同结构的 "
        "`<表>_history` 历史表（多一列 `valid_to`）。 / Every table also has `fid`, `version`, "
        "`valid_from` (UTC) and a `<table>_history` twin with `valid_to`.",
        "",
        "两种时间 / two times: `valid_from`/`valid_to` 是入库（记录）时间，即库何时知道；"
        "有效时间来自数据本身（下表“有效时间”列，如控制线的 `effective_from`/`effective_to`），"
        "即事实在现实中何时成立。`--as-of D`（API `as_of`，OGC `datetime`）按有效时间取 D 日"
        "（部署时区）成立的记录，`--recorded-at T`（API `recorded_at`）取库在 T 时所知。"
        "没有有效时间列的表，以入库时刻为有效起点。 / `valid_from`/`valid_to` are the "
        "*recorded* time (when the store knew); the *valid* time comes from the data (the "
        "\"valid time\" line below, e.g. a block's `effective_from`/`effective_to`), when the "
        "fact holds in the world. `--as-of D` (API `as_of`, OGC `datetime`) selects what is "
        "valid on day D (deployment time zone), `--recorded-at T` (API `recorded_at`) what the "
        "store knew at T. Tables without valid-time columns are valid from when they were "
        "recorded. See docs/controlline.md.",
        "",
    ]
    for e in ENTITIES.values():
        key = ", ".join(f"`{k}`" for k in e.key)
        geom = f"; geometry `geom` {e.geometry} ({e.geometry_label_zh})" if e.geometry else ""
        valid = (f" Valid time 有效时间: `{e.valid_time[0]}` – `{e.valid_time[1]}` "
                 "(含止日，空 = 不限 / end day inclusive, empty = open)."
                 if e.valid_time else "")
        lines += [f"## `{e.table}` — {e.label_zh}", "", f"Key: {key}{geom}.{valid}", "",
                  "| column | 中文 | type | unit | required | values |",
                  "|---|---|---|---|---|---|"]
        for f in e.fields:
            values = ", ".join(f.choices or ()) or ("GB 32100 checked" if f.credit_code else "")
            lines.append(f"| `{f.name}` | {f.label_zh} | {f.dtype} | {f.unit or ''} | "
                         f"{'yes' if f.required else ''} | {values} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(contracts_markdown(), end="")
