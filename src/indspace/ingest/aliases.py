"""Header aliases of `indspace import`: Chinese headers, cadastral field codes and units.

One table (:data:`ALIASES`) lists, per kind and contract field, every header accepted for it:
the English exchange-format name, the contract's Chinese label, the Chinese terms of
shared/domain/glossary.md and the short field codes of cadastral and land-survey databases
(shared/domain/reference-data.md, "Cadastral and land-survey field codes"). A unit in
brackets is converted to the contract unit (:data:`UNITS`): ``税收(元)`` is read in 元 and
stored in 万元, ``用地面积(亩)`` in 亩 and stored in m².

Header matching ignores full- vs half-width forms (NFKC), white space, ``_`` and ``-``, case,
quotes, bracket style (``（）[]【】``), a leading or trailing ``*`` and ``单位：`` inside the
brackets, so ``税收（单位：万元）``, ``税收(万元)`` and ``税收 [万元]`` are the same header.

docs/import-format.md carries :func:`aliases_markdown` verbatim (a test keeps them equal).

>>> r = resolve_headers("indicators", ["统一社会信用代码", "年度", "税收（单位：元）"])
>>> r.mapping["税收（单位：元）"]
Mapped(field='tax', factor=Fraction(1, 10000))
>>> r.ok
True
>>> resolve_headers("parcels", ["ZDDM", "用地面积(亩)"]).mapping["用地面积(亩)"].factor
Fraction(2000, 3)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Any, NamedTuple

from indspace.core.errors import ValidationError
from indspace.core.model.entities import ENTITIES, Entity

KINDS: dict[str, str] = {
    "enterprises": "enterprises",
    "indicators": "indicators",
    "parcels": "parcels",
    "buildings": "buildings",
    "occupancy": "occupancy",
    "control-lines": "control_lines",
    "parks": "parks",
    "designations": "designations",
    "plans": "plan_zones",
    "contracts": "contracts",
    "contract-events": "contract_events",
    "demands": "demands",
    "transactions": "transactions",
}
"""CLI kind (``indspace import KIND FILE``) → store table name."""

F = Fraction

# --- header aliases --------------------------------------------------------------------------
# The contract field name and its Chinese label (entities.py) are accepted automatically and
# are not repeated here. Upper-case ASCII entries are cadastral / land-survey field codes.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "enterprises": {
        "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "统一代码", "TYSHXYDM"),
        "name": ("企业名称", "单位名称", "企业", "经营主体", "经营主体名称"),
        "district": ("所在区县", "区县(市)", "所属区域", "区县", "所属区县", "行政区"),
        "industry_code": ("行业代码", "国民经济行业代码", "国民经济行业分类", "行业分类代码",
                          "行业分类"),
        "chain": ("产业链", "361产业链归属", "所属产业链"),
        "scale": ("企业规模", "规上/规下企业", "规模"),
        "founded": ("成立日期", "成立时间", "注册日期"),
    },
    "indicators": {
        "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "TYSHXYDM"),
        "year": ("年度", "评价年度", "年份"),
        "revenue": ("营业收入", "主营业务收入", "营业(销售)收入", "销售收入",
                    "主营业务收入/营业收入"),
        "tax": ("税收", "实缴税金", "评价税收", "评价税收/实缴税金", "实缴税收", "税收实际贡献"),
        "value_added": ("工业增加值", "增加值"),
        "employees": ("年平均职工人数", "从业人员数", "职工人数", "从业人员", "年末从业人员数"),
        "energy_tce": ("综合能耗", "综合能耗(等价值)", "能耗", "综合能源消费量"),
        "electricity_kwh": ("用电量", "总用电量", "全年用电量"),
        "emissions": ("主要污染物排放量", "排放当量", "排放量", "污染物排放量"),
        "rd_spend": ("研发经费", "R&D经费支出", "研发经费支出", "研发费用", "研发投入"),
        "safety_veto": ("安全生产否决", "安全生产一票否决", "安全否决"),
        "environment_veto": ("环保否决", "环保一票否决", "环境保护否决"),
    },
    "parcels": {
        "parcel_id": ("宗地代码", "地块编号", "宗地编号", "宗地号", "地块代码", "宗地/地块",
                      "ZDDM"),
        "land_use_code": ("用地分类代码", "地类编码", "用途", "土地用途", "用地用海分类",
                          "土地利用现状分类", "地类代码", "DLBM", "YT"),
        "area_m2": ("宗地面积", "用地面积", "土地面积", "图斑面积", "ZDMJ", "TBMJ"),
        "right_type": ("权利性质", "QLXZ", "供地方式", "权利类型", "QLLX", "土地使用权类型"),
        "right_start": ("使用期限起", "使用权起始日期", "土地使用起始日期", "使用起始日期"),
        "right_end": ("使用期限止", "使用权终止日期", "土地使用终止日期", "使用终止日期"),
        "owner_credit_code": ("权利人统一社会信用代码", "权利人信用代码", "权利人证件号",
                              "宗地主统一社会信用代码"),
        "district": ("所在区县", "区县", "区县(市)", "所属区域"),
    },
    "buildings": {
        "building_id": ("建筑编号", "幢号", "自然幢号", "楼栋编号", "建筑物编号", "ZRZH"),
        "parcel_id": ("宗地代码", "地块编号", "宗地编号", "ZDDM"),
        "floors": ("DSCS", "地上层数", "层数", "ZCS", "总层数"),
        "height_m": ("建筑高度", "建筑物高度", "高度", "JZWGD"),
        "gfa_m2": ("建筑面积", "总建筑面积", "SCJZMJ", "实测建筑面积", "YCJZMJ", "预测建筑面积"),
        "use": ("建筑用途", "GHYT", "规划用途", "JZWJBYT", "建筑物基本用途", "房屋用途"),
        "year_built": ("建成年份", "竣工年份", "建成年代", "竣工日期", "JGRQ"),
        "district": ("所在区县", "区县", "区县(市)"),
    },
    "occupancy": {
        "occupancy_id": ("使用记录编号", "记录编号"),
        "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "TYSHXYDM"),
        "parcel_id": ("宗地代码", "地块编号", "宗地编号", "ZDDM"),
        "building_id": ("建筑编号", "幢号", "自然幢号", "ZRZH"),
        "role": ("使用方式", "使用类型", "自有/承租"),
        "land_area_m2": ("占地面积", "用地面积", "使用土地面积"),
        "floor_area_m2": ("使用建筑面积", "建筑面积", "使用面积", "租用面积"),
        "start": ("起始日期", "开始日期", "使用起始日期", "租赁起始日期"),
        "end": ("终止日期", "结束日期", "使用终止日期", "租赁终止日期"),
    },
    "control_lines": {
        "block_id": ("区块编号", "区块代码", "工业区块编号"),
        "name": ("区块名称", "工业区块名称"),
        "district": ("所在区县", "区县", "区县(市)"),
        "line_type": ("控制线类型", "控制线级别", "一级/二级控制线"),
        "park_id": ("所属园区", "园区编号"),
        "effective_from": ("生效日期", "批复日期"),
        "effective_to": ("有效截止日期", "有效期至"),
    },
    "designations": {
        "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "TYSHXYDM"),
        "designation": ("认定类型", "资质", "资质类型", "荣誉", "认定"),
        "start": ("valid_from", "有效期起", "认定日期", "发证日期", "起始日期"),
        "end": ("valid_to", "有效期止", "有效期至", "截止日期", "终止日期"),
    },
    "plan_zones": {
        "zone_id": ("规划单元编号", "规划单元代码", "规划分区编号", "单元编号", "GHDYBH"),
        "planned_use": ("规划用途", "规划用地性质", "用地性质", "规划地类", "GHYT", "YDXZ"),
        "approved": ("批复日期", "批准日期", "批复时间"),
        "document": ("批复文号", "批准文号", "批复文件", "PFWH"),
    },
    "contracts": {
        "contract_id": ("合同编号", "出让合同编号", "电子监管号", "合同号"),
        "parcel_id": ("宗地代码", "地块编号", "宗地编号", "ZDDM"),
        "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "受让人统一社会信用代码",
                        "TYSHXYDM"),
        "mode": ("供地方式", "供应方式", "出让方式"),
        "signed": ("签订日期", "合同签订日期", "签约日期"),
        "term_years": ("出让年限", "使用年限", "土地使用年限", "租赁年限"),
        "price_wan": ("成交价款", "成交价", "出让价款", "合同价款", "土地价款"),
        "area_m2": ("出让面积", "供地面积", "宗地面积", "合同面积"),
        "start_deadline": ("约定动工日期", "约定开工日期", "约定开工时间"),
        "completion_deadline": ("约定竣工日期", "约定竣工时间"),
        "investment_commitment_wan": ("承诺投资总额", "约定投资总额", "投资强度承诺总额"),
        "tax_per_mu_commitment_wan": ("承诺亩均税收", "约定亩均税收"),
        "far_min": ("容积率下限", "约定容积率下限"),
        "far_max": ("容积率上限", "约定容积率上限"),
        "idle_cause": ("闲置原因",),
        "installment_special": ("特殊项目分期", "特殊项目"),
    },
    "demands": {
        "demand_id": ("需求编号", "需求代码", "项目编号"),
        "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "TYSHXYDM"),
        "kind": ("需求类型", "空间类型", "用地用房类型"),
        "min_area_m2": ("需求面积下限", "最小面积", "面积下限", "需求面积"),
        "max_area_m2": ("需求面积上限", "最大面积", "面积上限"),
        "min_load_kn_m2": ("楼面荷载", "荷载要求", "最低楼面荷载"),
        "min_clear_height_m": ("净高", "净高要求", "最低净高", "层高要求"),
        "min_power_kva": ("用电容量", "用电需求", "配电容量"),
        "pollution_class": ("污染类别", "工业用地类别", "污染等级"),
        "chain": ("产业链", "\"361\"产业链", "所属产业链"),
        "max_rent_yuan_m2_month": ("可承受租金上限", "租金上限", "最高租金"),
        "districts": ("意向区县", "意向区域", "选址区县"),
        "start": ("需求起始日期", "需求日期", "计划入驻日期", "入驻时间"),
    },
    "contract_events": {
        "contract_id": ("合同编号", "出让合同编号", "电子监管号", "合同号"),
        "event": ("事件", "事件类型", "履约事件"),
        "date": ("日期", "事件日期", "发生日期"),
        "amount_wan": ("金额", "缴款金额", "缴纳金额"),
        "developed_area_m2": ("已开发面积", "已开发土地面积"),
        "invested_wan": ("已完成投资", "累计完成投资", "已投资额"),
        "note": ("备注", "说明"),
    },
    "transactions": {
        "transaction_id": ("交易编号", "交易号", "合同编号", "备案编号"),
        "kind": ("交易类型", "交易方式", "类型"),
        "parcel_id": ("宗地代码", "地块编号", "宗地编号", "ZDDM"),
        "building_id": ("建筑编号", "幢号", "楼栋编号"),
        "floor": ("楼层", "所在楼层", "层次"),
        "area_m2": ("交易面积", "面积", "建筑面积", "土地面积"),
        "price_wan": ("成交价", "成交价款", "交易价格", "交易金额", "租金总额", "抵押金额"),
        "date": ("交易日期", "成交日期", "登记日期", "签约日期"),
        "seller_credit_code": ("出让方统一社会信用代码", "转让方统一社会信用代码",
                               "卖方统一社会信用代码", "出租方统一社会信用代码",
                               "抵押人统一社会信用代码"),
        "buyer_credit_code": ("受让方统一社会信用代码", "买方统一社会信用代码",
                              "承租方统一社会信用代码", "抵押权人统一社会信用代码"),
        "buyer_use": ("受让方用途", "用途", "拟用途", "承租用途"),
    },
    "parks": {
        "park_id": ("园区编号", "园区代码"),
        "name": ("园区名称",),
        "tier": ("层级", "园区层级", "园区类型"),
        "district": ("所在区县", "区县", "区县(市)"),
    },
}
"""Kind (table) → contract field → accepted headers, beyond the field name and its label."""

EXTRAS: dict[str, dict[str, tuple[str, ...]]] = {
    "parcels": {
        "unit_number": ("BDCDYH", "不动产单元号"),
        "address": ("ZL", "坐落", "地址"),
        "area_unit": ("MJDW", "面积单位"),
        "plot_ratio_limit": ("RJL", "容积率"),
        "building_density_limit": ("JZMD", "建筑密度"),
        "height_limit_m": ("JZXG", "建筑限高"),
        "land_use_name": ("DLMC", "地类名称"),
        "right_setting": ("QLSDFS", "权利设定方式"),
        "ownership_type": ("QSXZ", "权属性质"),
        "owner_unit_code": ("QSDWDM", "权属单位代码"),
        "owner_unit_name": ("QSDWMC", "权属单位名称"),
        "location_unit_code": ("ZLDWDM", "坐落单位代码"),
        "location_unit_name": ("ZLDWMC", "坐落单位名称"),
        "owner_name": ("权利人", "权利人名称"),
    },
    "buildings": {
        "unit_number": ("BDCDYH", "不动产单元号"),
        "underground_floors": ("DXCS", "地下层数"),
        "footprint_m2": ("ZZDMJ", "总占地面积", "基底面积"),
        "address": ("ZL", "坐落", "地址"),
    },
    "enterprises": {"address": ("地址", "注册地址")},
    "indicators": {},
    "occupancy": {},
    "control_lines": {},
    "parks": {},
    "designations": {"certificate_no": ("证书编号",), "name": ("企业名称",)},
    "plan_zones": {"name": ("规划单元名称", "单元名称"), "district": ("所在区县", "区县")},
    "contracts": {"name": ("受让人", "受让人名称", "企业名称")},
    "contract_events": {},
    "demands": {"name": ("企业名称",), "industry_code": ("行业代码", "国民经济行业代码")},
    "transactions": {"buyer_name": ("受让方", "受让方名称", "买方"),
                     "seller_name": ("出让方", "转让方", "卖方")},
}
"""Recognised columns without a contract field: kept in ``ValidationResult.extras``.

Three of them take part in validation: ``area_unit`` (MJDW: unit of ZDMJ, 1 = m², 2 = 亩,
3 = 公顷), ``footprint_m2`` (ZZDMJ: footprint used to derive a missing ``gfa_m2``) and
``plot_ratio_limit`` (RJL: checked against ``max_far``).
"""

EXTRA_UNITS: dict[str, str] = {"footprint_m2": "m²", "height_limit_m": "m"}
"""Contract unit of the extras that carry one (converted like contract fields)."""

COALESCE: dict[str, dict[str, tuple[str, ...]]] = {
    "parcels": {"right_type": ("权利性质", "QLXZ", "供地方式", "权利类型", "QLLX",
                               "土地使用权类型")},
    "buildings": {
        "floors": ("DSCS", "地上层数", "ZCS", "总层数"),
        "gfa_m2": ("SCJZMJ", "实测建筑面积", "YCJZMJ", "预测建筑面积"),
        "use": ("GHYT", "规划用途", "JZWJBYT", "建筑物基本用途"),
    },
}
"""Headers that fill in for one another instead of conflicting, in priority order: per row
the first non-empty one wins (for choice fields the first one holding an accepted value),
e.g. measured floor area SCJZMJ before the predicted YCJZMJ."""

DEFAULT_UNITS: dict[tuple[str, str], str] = {
    ("parcels", "用地面积"): "亩",
    ("occupancy", "用地面积"): "亩",
}
"""Headers read in another unit than the contract's when no unit is written
(glossary.md: 用地面积 is land area in 亩)."""

DERIVABLE: frozenset[tuple[str, str]] = frozenset({
    ("occupancy", "occupancy_id"),   # hash of credit_code|parcel_id|building_id|role|start
    ("indicators", "year"),          # taken from --year when the file has no year column
})
"""Required contract fields whose column may be absent from the file."""

GEOMETRY_HEADERS: frozenset[str] = frozenset({
    "geometry", "geom", "thegeom", "wkt", "wkb", "shape", "几何", "图形", "geojson"})
"""Normalised headers of a geometry column (handled by the reader, never reported)."""

# --- units -----------------------------------------------------------------------------------
UNITS: dict[str, dict[str, Fraction]] = {
    "万元": {"万元": F(1), "元": F(1, 10_000), "千元": F(1, 10), "百万元": F(100),
             "亿元": F(10_000)},
    "m²": {"平方米": F(1), "m2": F(1), "平米": F(1), "亩": F(2000, 3), "公顷": F(10_000),
           "ha": F(10_000), "hm2": F(10_000), "万平方米": F(10_000), "平方公里": F(10**6),
           "km2": F(10**6)},
    "kWh": {"千瓦时": F(1), "kwh": F(1), "度": F(1), "万千瓦时": F(10_000), "万kwh": F(10_000),
            "万度": F(10_000), "兆瓦时": F(1000), "mwh": F(1000), "亿千瓦时": F(10**8)},
    "tce": {"吨标准煤": F(1), "吨标煤": F(1), "tce": F(1), "万吨标准煤": F(10_000),
            "万吨标煤": F(10_000), "千克标准煤": F(1, 1000), "kgce": F(1, 1000)},
    "t": {"吨": F(1), "t": F(1), "千克": F(1, 1000), "kg": F(1, 1000), "万吨": F(10_000)},
    "m": {"米": F(1), "m": F(1)},
    "人": {"人": F(1)},
    "kN/m²": {"kn/m2": F(1), "千牛/平方米": F(1), "kn/平方米": F(1), "kpa": F(1)},
    "kVA": {"kva": F(1), "千伏安": F(1), "mva": F(1000), "兆伏安": F(1000)},
    "元/m²/月": {"元/平方米/月": F(1), "元/m2/月": F(1), "元/平方米·月": F(1),
                "元/m2·月": F(1), "元/月/平方米": F(1), "元/月/m2": F(1)},
    "年": {"年": F(1)},
    "万元/亩": {"万元/亩": F(1), "万元": F(1), "元/亩": F(1, 10_000), "元/平方米": F(1, 15),
               "元/m2": F(1, 15)},
}
"""Contract unit → accepted spellings (normalised: NFKC, lower case) → factor to the contract
unit. 1 亩 = 2000/3 m² exactly; 1 公顷 = 10 000 m²; 1 万元 = 10 000 元."""

_UNIT_INFO = frozenset({"万元", "m²", "kWh", "tce", "t"})
"""Contract units whose omission from a Chinese header is reported (I121): money, area,
energy and mass are often given in other units on forms."""

MJDW_CODES: dict[str, str] = {"1": "平方米", "2": "亩", "3": "公顷"}
"""MJDW (面积单位) codes → unit of ZDMJ (reference-data.md; marked [U] there)."""

# --- values ----------------------------------------------------------------------------------
CHOICE_VALUES: dict[str, dict[str, str]] = {
    "kind": {"用地": "land", "土地": "land", "land": "land",
             "用房": "floor", "厂房": "floor", "楼层": "floor", "floor": "floor"},
    "designation": {"高新技术企业": "high_tech_enterprise",
                    "国家高新技术企业": "high_tech_enterprise", "高新": "high_tech_enterprise",
                    "high_tech_enterprise": "high_tech_enterprise",
                    "专精特新": "specialised_sme", "专精特新企业": "specialised_sme",
                    "省级专精特新中小企业": "specialised_sme", "specialised_sme": "specialised_sme",
                    "专精特新小巨人": "little_giant", "专精特新“小巨人”企业": "little_giant",
                    "小巨人": "little_giant", "little_giant": "little_giant",
                    "单项冠军": "single_champion", "制造业单项冠军": "single_champion",
                    "single_champion": "single_champion",
                    "链主": "chain_leader", "链主企业": "chain_leader",
                    "chain_leader": "chain_leader"},
    "scale": {"规上": "above", "规模以上": "above", "规上企业": "above", "规模以上企业": "above",
              "above": "above", "规下": "below", "规模以下": "below", "规下企业": "below",
              "规模以下企业": "below", "below": "below"},
    "role": {"自有": "owner", "自用": "owner", "产权人": "owner", "权利人": "owner",
             "owner": "owner", "承租": "tenant", "租用": "tenant", "租赁": "tenant",
             "tenant": "tenant"},
    "tier": {"战略产业园": "strategic", "strategic": "strategic", "优势产业社区": "community",
             "产业社区": "community", "community": "community"},
    "mode": {"出让": "grant", "国有建设用地使用权出让": "grant", "grant": "grant",
             "长期租赁": "long_term_lease", "租赁": "long_term_lease",
             "long_term_lease": "long_term_lease",
             "先租后让": "lease_then_grant", "lease_then_grant": "lease_then_grant",
             "弹性年期出让": "flexible_term", "弹性年期": "flexible_term",
             "flexible_term": "flexible_term",
             "作价出资": "capital_contribution", "作价出资(入股)": "capital_contribution",
             "capital_contribution": "capital_contribution"},
    "event": {"缴款": "payment", "缴纳价款": "payment", "payment": "payment",
              "动工": "start", "开工": "start", "start": "start",
              "停工": "stop", "stop": "stop", "复工": "resume", "resume": "resume",
              "竣工": "completion", "completion": "completion",
              "达产验收": "acceptance", "验收": "acceptance", "acceptance": "acceptance",
              "转让": "transfer", "transfer": "transfer",
              "续期申请": "renewal_application", "renewal_application": "renewal_application",
              "延期": "extension", "extension": "extension"},
    "transaction_kind": {"土地使用权转让": "land_transfer", "转让": "land_transfer",
                         "土地转让": "land_transfer", "land_transfer": "land_transfer",
                         "分割销售": "strata_sale", "分割转让": "strata_sale",
                         "分割出售": "strata_sale", "strata_sale": "strata_sale",
                         "转租": "sublease", "出租": "sublease", "sublease": "sublease",
                         "抵押": "mortgage", "mortgage": "mortgage"},
    "buyer_use": {"生产": "production", "工业": "production", "制造": "production",
                  "production": "production", "研发": "rd", "rd": "rd",
                  "仓储": "storage", "物流仓储": "storage", "storage": "storage",
                  "办公": "office", "office": "office", "商业": "commercial",
                  "零售": "commercial", "commercial": "commercial", "居住": "residential",
                  "住宅": "residential", "residential": "residential",
                  "其他": "other", "other": "other"},
    "idle_cause": {"企业原因": "enterprise", "企业": "enterprise", "enterprise": "enterprise",
                   "政府原因": "government", "政府": "government", "government": "government",
                   "不可抗力": "force_majeure", "force_majeure": "force_majeure"},
    "line_type": {"一级": "level1", "一级控制线": "level1", "一级工业区块控制线": "level1",
                  "1": "level1", "level1": "level1", "二级": "level2", "二级控制线": "level2",
                  "二级工业区块控制线": "level2", "2": "level2", "level2": "level2"},
}
"""Choice field (or its ``Field.vocabulary``) → accepted value (normalised) → stored value."""

RIGHT_TYPE_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("集体", "collective"), ("collective", "collective"),
    ("划拨", "allocation"), ("allocation", "allocation"),
    ("租", "lease"), ("lease", "lease"),
    ("出让", "grant"), ("招拍挂", "grant"), ("招标", "grant"), ("拍卖", "grant"),
    ("挂牌", "grant"), ("协议", "grant"), ("grant", "grant"),
)
"""``right_type`` (权利类型/权利性质/供地方式) is matched by keyword, first hit wins:
集体经营性建设用地出让 → collective, 先租后让 → lease, 协议出让 → grant."""

TRUE_VALUES: tuple[str, ...] = ("是", "true", "1", "y", "yes", "t", "有", "√")
FALSE_VALUES: tuple[str, ...] = ("否", "false", "0", "n", "no", "f", "无", "×")
MISSING_VALUES: frozenset[str] = frozenset({
    "", "-", "--", "—", "——", "/", "null", "none", "nan", "n/a", "#n/a", "na"})
"""Cell values read as empty (after trimming, lower case)."""


# --- normalisation ---------------------------------------------------------------------------
_DROP = str.maketrans("", "", "\"'“”‘’「」『』`\ufeff")
_BRACKETS = str.maketrans({"[": "(", "]": ")", "【": "(", "】": ")", "〔": "(", "〕": ")",
                           "{": "(", "}": ")", "〈": "(", "〉": ")", "《": "(", "》": ")"})
_SPACE = re.compile(r"[\s_\-]+")
_UNIT_PREFIX = re.compile(r"\((?:单位|unit)[:：]?")
_UNIT_SUFFIX = re.compile(r"^(.+?)(?:单位|unit):(.+)$")
_LAST_GROUP = re.compile(r"^(.*)\(([^()]*)\)$")
_MANGLED = re.compile(r"^(.+)\.\d+$")


def normalise_header(header: object) -> str:
    """Canonical form used to match a header against the alias table.

    >>> normalise_header("税收（单位：万元）")
    '税收(万元)'
    >>> normalise_header(" Credit_Code ")
    'creditcode'
    >>> normalise_header("＊用电量 【万kWh】")
    '用电量(万kwh)'
    >>> normalise_header("税收 单位：元")
    '税收(元)'
    """
    s = unicodedata.normalize("NFKC", str(header)).translate(_DROP).translate(_BRACKETS)
    s = _SPACE.sub("", s).lower().strip("*")
    s = _UNIT_PREFIX.sub("(", s).replace("()", "")
    m = _UNIT_SUFFIX.match(s)
    if m and "(" not in m.group(2):
        s = f"{m.group(1)}({m.group(2)})"
    return s


def normalise_value(value: str) -> str:
    """Canonical form of a vocabulary value (NFKC, no white space, lower case)."""
    return "".join(unicodedata.normalize("NFKC", value).split()).lower()


def table_for(kind: str) -> str:
    """Store table of a CLI kind (``control-lines`` → ``control_lines``; table names pass).

    >>> table_for("control-lines")
    'control_lines'
    """
    if kind in KINDS:
        return KINDS[kind]
    if kind in KINDS.values():
        return kind
    raise ValidationError(
        f"未知的导入类型：{kind!r}，可用：{'、'.join(KINDS)}",
        f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}",
        hint_zh="检查命令中的类型名", hint_en="check the KIND argument")


# --- resolution ------------------------------------------------------------------------------
class Mapped(NamedTuple):
    """Where a source column goes: contract (or extra) field and the factor that converts its
    values to the contract unit (exact, e.g. 亩 → m² = 2000/3)."""

    field: str
    factor: Fraction


@dataclass(frozen=True)
class HeaderIssue:
    """A header-level finding (reported at ``source_row`` 0)."""

    code: str
    field: str | None
    header: str | None
    params: dict[str, Any]


@dataclass(frozen=True)
class HeaderResolution:
    """How the headers of one file map onto a kind's fields.

    Attributes
    ----------
    kind, table
        CLI kind and store table.
    mapping
        Source header → :class:`Mapped` for every recognised column (contract fields and
        extras). Conflicting columns are left out.
    matched
        Source header → the alias it matched, as written in the alias table.
    units
        Source header → unit the values are read in (``None``: unitless field).
    extras
        Recognised headers without a contract field (``mapping[h].field`` is the extra name).
    unknown
        Unrecognised headers: kept aside, reported as information (I120).
    conflicts
        Field → the headers that all map to it (E118; the file is not imported).
    geometry
        The header of the geometry column, if one was named.
    issues
        Header-level issues: E101 (missing required column), E118, E119, I120, I121.
    """

    kind: str
    table: str
    mapping: dict[str, Mapped]
    matched: dict[str, str]
    units: dict[str, str | None]
    extras: tuple[str, ...]
    unknown: tuple[str, ...]
    conflicts: dict[str, tuple[str, ...]]
    geometry: str | None = None
    issues: tuple[HeaderIssue, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when no header-level error blocks the file."""
        return not any(i.code.startswith("E") for i in self.issues)

    @property
    def fields(self) -> tuple[str, ...]:
        """Contract fields the file carries (conflicting ones excluded), in contract order."""
        have = {m.field for m in self.mapping.values()}
        return tuple(c for c in ENTITIES[self.table].columns if c in have)

    def sources(self, name: str) -> list[str]:
        """Headers feeding field ``name``, in priority order (see :data:`COALESCE`)."""
        hs = [h for h, m in self.mapping.items() if m.field == name]
        order = COALESCE.get(self.table, {}).get(name, ())
        return sorted(hs, key=lambda h: order.index(self.matched[h])
                      if self.matched[h] in order else -1)


class _Target(NamedTuple):
    field: str
    alias: str
    extra: bool


@cache
def _index(table: str) -> dict[str, _Target]:
    """Normalised header → target for one table (contract name and label included)."""
    entity = ENTITIES[table]
    out: dict[str, _Target] = {}

    def add(alias: str, name: str, extra: bool) -> None:
        key = normalise_header(alias)
        prev = out.get(key)
        if prev is not None and prev.field != name:
            raise AssertionError(f"alias {alias!r} of {table}.{name} already maps to "
                                 f"{prev.field}")
        if prev is None:
            out[key] = _Target(name, alias, extra)

    for f in entity.fields:
        add(f.name, f.name, False)
        add(f.label_zh, f.name, False)
        for a in ALIASES.get(table, {}).get(f.name, ()):
            add(a, f.name, False)
    for name, aliases in EXTRAS.get(table, {}).items():
        add(name, name, True)
        for a in aliases:
            add(a, name, True)
    return out


def _is_code(alias: str) -> bool:
    return alias.isascii()


def _match(index: dict[str, _Target], n: str) -> tuple[_Target, list[str]] | None:
    """Match a normalised header, peeling up to two trailing bracket groups (unit, note)."""
    groups: list[str] = []
    cur = n
    for _ in range(3):
        hit = index.get(cur)
        if hit is not None:
            return hit, groups
        m = _LAST_GROUP.match(cur)
        if m is None or not m.group(1):
            return None
        cur, g = m.group(1), m.group(2)
        groups.insert(0, g)
    return None


def _unit_of(entity: Entity, target: _Target) -> str | None:
    if target.extra:
        return EXTRA_UNITS.get(target.field)
    return entity.field(target.field).unit


def unit_label(contract_unit: str) -> str:
    """Chinese spelling of a contract unit (the first in :data:`UNITS`)."""
    return next(iter(UNITS[contract_unit]))


def resolve_headers(kind: str, headers: list[str]) -> HeaderResolution:
    """Map the headers of a file onto the fields of ``kind``.

    Parameters
    ----------
    kind
        CLI kind (``control-lines``) or table name (``control_lines``).
    headers
        Column headers as read, in file order (non-strings are converted with ``str``).

    Returns
    -------
    HeaderResolution
        Mapping (header → field, factor to the contract unit), unknown headers (kept,
        information I120), conflicts (two headers for one field, error E118), unrecognised
        units (E119) and missing required columns (E101).

    Examples
    --------
    >>> r = resolve_headers("enterprises", ["信用代码", "统一社会信用代码", "企业名称", "备注"])
    >>> r.conflicts
    {'credit_code': ('信用代码', '统一社会信用代码')}
    >>> r.unknown
    ('备注',)
    >>> sorted(i.code for i in r.issues)
    ['E118', 'I120']
    """
    table = table_for(kind)
    entity = ENTITIES[table]
    index = _index(table)
    cli_kind = next(k for k, t in KINDS.items() if t == table)
    hits: list[tuple[str, _Target, Fraction, str | None]] = []
    unknown: list[str] = []
    issues: list[HeaderIssue] = []
    bad_unit: set[str] = set()
    geometry: str | None = None
    for raw in headers:
        h = str(raw)
        n = normalise_header(h)
        if n in GEOMETRY_HEADERS:
            geometry = h if geometry is None else geometry
            continue
        res = _match(index, n)
        if res is None and (m := _MANGLED.match(n)):   # pandas' "税收.1" for a repeated header
            res = _match(index, m.group(1))
        if res is None:
            unknown.append(h)
            issues.append(HeaderIssue("I120", None, h, {"header": h}))
            continue
        target, groups = res
        unit = _unit_of(entity, target)
        label = (entity.field(target.field).label_zh if not target.extra else target.field)
        if unit is None:                 # unitless field: brackets are notes, e.g. 成立日期(年月日)
            hits.append((h, target, F(1), None))
            continue
        family = UNITS[unit]
        units_here = [g for g in groups if g in family]
        if len(groups) > 1 or (groups and not units_here):
            bad_unit.add(target.field)
            issues.append(HeaderIssue("E119", target.field, h, {
                "header": h, "unit": groups[-1], "label": label, "field": target.field,
                "units_zh": "、".join(family), "units_en": ", ".join(family)}))
            continue
        if units_here:
            hits.append((h, target, family[units_here[0]], units_here[0]))
            continue
        default = DEFAULT_UNITS.get((table, target.alias))
        if default is not None:
            hits.append((h, target, family[default], default))
            issues.append(HeaderIssue("I121", target.field, h, {"header": h, "unit": default}))
        else:
            hits.append((h, target, F(1), unit_label(unit)))
            if not _is_code(target.alias) and unit in _UNIT_INFO:
                issues.append(HeaderIssue("I121", target.field, h,
                                          {"header": h, "unit": unit_label(unit)}))

    by_field: dict[str, list[tuple[str, _Target, Fraction, str | None]]] = {}
    for hit in hits:
        by_field.setdefault(hit[1].field, []).append(hit)
    mapping: dict[str, Mapped] = {}
    matched: dict[str, str] = {}
    units: dict[str, str | None] = {}
    conflicts: dict[str, tuple[str, ...]] = {}
    group_of = COALESCE.get(table, {})
    for name, group in by_field.items():
        aliases = [t.alias for _, t, _, _ in group]
        allowed = group_of.get(name, ())
        if len(group) > 1 and not (all(a in allowed for a in aliases)
                                   and len(set(aliases)) == len(aliases)):
            conflicts[name] = tuple(h for h, _, _, _ in group)
            label = entity.field(name).label_zh if name in entity.columns else name
            issues.append(HeaderIssue("E118", name, None, {
                "label": label, "field": name, "headers_zh": "、".join(conflicts[name]),
                "headers_en": ", ".join(conflicts[name])}))
            continue
        for h, t, factor, u in group:
            mapping[h] = Mapped(name, factor)
            matched[h] = t.alias
            units[h] = u
    present = {m.field for m in mapping.values()} | set(conflicts) | bad_unit
    for f in entity.fields:
        if f.required and f.name not in present and (table, f.name) not in DERIVABLE:
            issues.append(HeaderIssue("E101", f.name, None, {"label": f.label_zh,
                                                             "field": f.name}))
    extras = tuple(h for h, m in mapping.items() if m.field not in entity.columns)
    return HeaderResolution(cli_kind, table, mapping, matched, units, extras, tuple(unknown),
                            conflicts, geometry, tuple(issues))


# --- documentation ---------------------------------------------------------------------------
def _fmt_alias(a: str) -> str:
    return f"`{a}`" if _is_code(a) else a


def aliases_markdown() -> str:
    """The alias, unit and value tables as Markdown (docs/import-format.md carries them)."""
    lines = [
        "### 表头 / Headers",
        "",
        "英文列名与中文标签总是可用；大写字母为地籍/国土调查字段代码；“>” 表示按优先级互补"
        "（每行取第一个非空值），其余同一字段的两列同时出现即为冲突（E118）。 / The English "
        "column name and the Chinese label are always accepted; upper-case entries are cadastral "
        "or land-survey field codes; \">\" marks headers that fill in for one another (first "
        "non-empty per row); any other two headers of one field in one file conflict (E118).",
        "",
        "| kind | field | 中文 | unit 单位 | accepted headers 可用表头 |",
        "|---|---|---|---|---|",
    ]
    for kind, table in KINDS.items():
        entity = ENTITIES[table]
        group_of = COALESCE.get(table, {})
        for f in entity.fields:
            aliases = [a for a in ALIASES.get(table, {}).get(f.name, ()) if a != f.label_zh]
            group = group_of.get(f.name, ())
            plain = [a for a in aliases if a not in group]
            label = [] if f.label_zh in group else [f.label_zh]
            text = ", ".join([f"`{f.name}`", *label, *map(_fmt_alias, plain)])
            if group:
                text += "; " + " > ".join(map(_fmt_alias, group))
            unit = f.unit or ""
            defaults = [f"{a} → {u}" for (t, a), u in DEFAULT_UNITS.items()
                        if t == table and a in aliases]
            if defaults:
                unit += f" (bare {', '.join(defaults)})"
            lines.append(f"| {kind} | `{f.name}` | {f.label_zh} | {unit} | {text} |")
        for name, aliases_x in EXTRAS.get(table, {}).items():
            text = ", ".join([f"`{name}`", *map(_fmt_alias, aliases_x)])
            lines.append(f"| {kind} | ({name}) | 附加列 extra | {EXTRA_UNITS.get(name, '')} | "
                         f"{text} |")
    lines += [
        "",
        "### 单位 / Units",
        "",
        "表头括号中的单位换算为合同单位（系数 × 原值 = 入库值）。 / A unit in brackets is "
        "converted to the contract unit (factor × value = stored value).",
        "",
        "| contract unit 入库单位 | accepted in brackets 可写单位 (factor 系数) |",
        "|---|---|",
    ]
    for unit, family in UNITS.items():
        text = ", ".join(f"{u} ({_fraction(fac)})" for u, fac in family.items())
        lines.append(f"| {unit} | {text} |")
    mjdw = ", ".join(f"{k} = {v}" for k, v in MJDW_CODES.items())
    lines += [
        "",
        f"`MJDW`（面积单位）逐行给出 `ZDMJ` 的单位 / gives the unit of `ZDMJ` per row: {mjdw}.",
        "",
        "### 取值 / Values",
        "",
        "| field | accepted 可填 | stored 入库 |",
        "|---|---|---|",
    ]
    for name, vocab in CHOICE_VALUES.items():
        for stored in dict.fromkeys(vocab.values()):
            acc = ", ".join(k for k, v in vocab.items() if v == stored)
            lines.append(f"| `{name}` | {acc} | `{stored}` |")
    for stored in dict.fromkeys(v for _, v in RIGHT_TYPE_KEYWORDS):
        acc = ", ".join(f"…{k}…" for k, v in RIGHT_TYPE_KEYWORDS if v == stored)
        lines.append(f"| `right_type` | {acc} | `{stored}` |")
    lines.append(f"| bool (`safety_veto`, `environment_veto`, `is_synthetic`) | "
                 f"{', '.join(TRUE_VALUES)} | `true` |")
    lines.append(f"| bool | {', '.join(FALSE_VALUES)} | `false` |")
    lines.append(f"| (any) | {', '.join(repr(v) for v in sorted(MISSING_VALUES))} | "
                 "empty 空 |")
    return "\n".join(lines) + "\n"


FIELD_NOTES: dict[tuple[str, str], str] = {
    ("enterprises", "credit_code"): "GB 32100 校验 / checked",
    ("indicators", "credit_code"): "须在企业库或本批企业中 / must be a known enterprise",
    ("indicators", "year"): "无此列时取 --year / taken from --year when absent",
    ("indicators", "tax"): "≤ revenue",
    ("parcels", "area_m2"): "与图形面积相差 ≤ 5% / within 5% of the geometry's area",
    ("parcels", "owner_credit_code"): "GB 32100 校验 / checked",
    ("buildings", "gfa_m2"): "为空时 = 基底 × 层数（平均层高 > 8 m 每层计两次） / empty: "
                             "footprint × floors, doubled when height ÷ floors > 8 m",
    ("buildings", "parcel_id"): "须为已有宗地 / must be a known parcel",
    ("occupancy", "occupancy_id"): "为空时按 credit_code、parcel_id、building_id、role、start "
                                   "生成 / derived when empty",
    ("occupancy", "parcel_id"): "须为已有宗地 / must be a known parcel",
    ("occupancy", "building_id"): "须为已有建筑 / must be a known building",
    ("occupancy", "floor_area_m2"): "÷ land_area_m2 ≤ 20",
}
"""Short notes on the exchange format (docs only)."""


def formats_markdown() -> str:
    """The exchange format of every kind as Markdown (docs/import-format.md carries it)."""
    lines: list[str] = []
    for kind, table in KINDS.items():
        e = ENTITIES[table]
        geom = (f"；图形 / geometry: {e.geometry_label_zh} Polygon/MultiPolygon"
                if e.geometry else "")
        key = ", ".join(f"`{k}`" for k in e.key)
        lines += [f"### `{kind}` — {e.label_zh}", "",
                  f"主键 / key: {key}{geom}", "",
                  "| column | 中文 | type | unit 单位 | required 必填 | values / notes |",
                  "|---|---|---|---|---|---|"]
        for f in e.fields:
            values = ", ".join(f"`{c}`" for c in f.choices) if f.choices else ""
            note = FIELD_NOTES.get((table, f.name), "")
            if f.name == "is_synthetic":
                note = "缺省 false / default false"
            text = "; ".join(t for t in (values, note) if t)
            req = "yes" if f.required and (table, f.name) not in DERIVABLE else (
                "(derived)" if (table, f.name) in DERIVABLE else "")
            lines.append(f"| `{f.name}` | {f.label_zh} | {f.dtype} | {f.unit or ''} | {req} | "
                         f"{text} |")
        lines.append("")
    return "\n".join(lines)


def refresh_doc(text: str) -> str:
    """Replace the generated blocks of docs/import-format.md with the current tables.

    A block runs from ``<!-- BEGIN GENERATED: name -->`` to ``<!-- END GENERATED: name -->``
    (names: formats, aliases, rules).
    """
    from indspace.ingest.rules import rules_markdown

    blocks = {"formats": formats_markdown, "aliases": aliases_markdown, "rules": rules_markdown}
    for name, render in blocks.items():
        begin, end = f"<!-- BEGIN GENERATED: {name} -->\n", f"<!-- END GENERATED: {name} -->"
        head, sep, rest = text.partition(begin)
        if not sep:
            continue
        _, sep2, tail = rest.partition(end)
        if not sep2:
            raise ValueError(f"unterminated generated block {name!r}")
        text = head + begin + render() + end + tail
    return text


def _fraction(f: Fraction) -> str:
    if f.denominator == 1:
        return f"{f.numerator:,}".replace(",", " ")
    return f"{f.numerator}/{f.denominator}"


if __name__ == "__main__":  # pragma: no cover
    import sys
    from pathlib import Path

    if len(sys.argv) > 1:           # python -m indspace.ingest.aliases docs/import-format.md
        doc = Path(sys.argv[1])
        doc.write_text(refresh_doc(doc.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(aliases_markdown(), end="")
