"""Words, not codes (issue #16): the Chinese and English label of every code the web tables,
exports and API show — industry chains, parks' kinds, enterprise scales, run, objection and
proposal states, evaluation statuses and reasons, ledger directions, check findings, the links
of industry chains (from the chain templates) and the
land-use classes of parcels (用地分类).

One vocabulary for the platform: the API serves it one language at a time
(``GET /api/vocabulary?lang=zh``), exports write its labels instead of codes. A code with
no entry is shown as itself (never an error: imported data may carry new codes). Labels
that a policy profile owns (population names, grade classes) come from the profile.

Chains are stored as ``<system>:<id>`` (``361-2025:fashion_consumer``); :func:`label`
looks the id up under its system.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

LANGS = ("zh", "en")

CHAIN_SYSTEM = "361-2025"
CHAINS_361_2025: dict[str, tuple[str, str]] = {
    "green_petrochem": ("绿色石化", "green petrochemicals"),
    "nev_high_end_equipment": (
        "新能源汽车及高端装备",
        "new-energy vehicles and high-end equipment",
    ),
    "new_materials": ("新材料", "new materials"),
    "ai_robotics": ("人工智能与机器人", "AI and robotics"),
    "next_gen_it": ("新一代信息技术", "next-generation IT"),
    "green_energy": ("绿色能源", "green energy"),
    "life_health": ("生命健康", "life and health"),
    "fashion_consumer": ("时尚消费品", "fashion consumer goods"),
    "aerospace_marine": ("航空航天与海工装备", "aerospace and marine equipment"),
    "future_industries": ("前瞻性未来产业", "future industries"),
}
"""The 2025 "361" system (3 标志性 + 6 战略性 + 1 前瞻性), keyed by our English id."""

LAND_USE: dict[str, tuple[str, str]] = {
    # 国土空间调查、规划、用途管制用地用海分类 (自然资办发〔2023〕234号): the system a parcel's
    # ``land_use_code`` carries (shared/domain/reference-data.md §1)
    "07": ("居住用地", "residential land"),
    "08": ("公共管理与公共服务用地", "public administration and service land"),
    "0802": ("科研用地", "research and development land"),
    "09": ("商业服务业用地", "commercial and business-service land"),
    "10": ("工矿用地", "industrial and mining land"),
    "1001": ("工业用地", "industrial land"),
    "100101": ("一类工业用地", "class 1 industrial land (little or no disturbance)"),
    "100102": ("二类工业用地", "class 2 industrial land (some disturbance)"),
    "100103": ("三类工业用地", "class 3 industrial land (serious pollution or risk)"),
    "1001M0": ("新型产业用地（M0，地方子类）", "new industrial land (M0, local sub-class)"),
    "1002": ("采矿用地", "mining land"),
    "1003": ("盐田", "salt pans"),
    "11": ("仓储用地", "warehousing land"),
    "1101": ("物流仓储用地", "logistics and warehousing land"),
    "110101": ("一类物流仓储用地", "class 1 logistics and warehousing land"),
    "110102": ("二类物流仓储用地", "class 2 logistics and warehousing land"),
    "110103": ("三类物流仓储用地", "class 3 logistics and warehousing land"),
    "1102": ("储备库用地", "reserve depot land"),
    "12": ("交通运输用地", "transport land"),
    "13": ("公用设施用地", "public utility land"),
    "14": ("绿地与开敞空间用地", "green and open space"),
    "15": ("特殊用地", "special-use land"),
    "16": ("留白用地", "reserved land (留白)"),
    "17": ("陆地水域", "inland water"),
    "1901": ("工业用海", "industrial sea use"),
    "23": ("其他土地", "other land"),
    # GB 50137-2011 (older urban plans): letter codes, unambiguous beside the numeric ones
    "M1": ("一类工业用地（GB 50137）", "class 1 industrial land (GB 50137)"),
    "M2": ("二类工业用地（GB 50137）", "class 2 industrial land (GB 50137)"),
    "M3": ("三类工业用地（GB 50137）", "class 3 industrial land (GB 50137)"),
    "W1": ("一类物流仓储用地（GB 50137）", "class 1 logistics and warehousing land (GB 50137)"),
    "W2": ("二类物流仓储用地（GB 50137）", "class 2 logistics and warehousing land (GB 50137)"),
    "W3": ("三类物流仓储用地（GB 50137）", "class 3 logistics and warehousing land (GB 50137)"),
}
"""用地分类 (``land_use_code``) → (中文, English). The numeric codes are those of the
用地用海分类; the GB/T 21010 土地利用现状分类 codes (0601 工业用地 …) are not listed: the
same digits mean other classes there (06 is 工矿仓储用地 in GB/T 21010, 农业设施建设用地 in
the 用地用海分类), so a parcel's code is read in the one system the field carries."""

VOCABULARY: dict[str, dict[str, tuple[str, str]]] = {
    "chain": {f"{CHAIN_SYSTEM}:{k}": v for k, v in CHAINS_361_2025.items()},
    "land_use": LAND_USE,
    "scale": {"above": ("规上", "above scale"), "below": ("规下", "below scale")},
    "right_type": {
        "grant": ("出让", "granted"),
        "allocation": ("划拨", "allocated"),
        "lease": ("租赁", "leased"),
        "collective": ("集体", "collective"),
    },
    "run_state": {
        "computed": ("已计算", "computed"),
        "published": ("公示中", "published"),
        "superseded": ("已被新版本替代", "superseded"),
        "final": ("已定稿", "final"),
        "closed": ("已结束", "closed"),
    },
    "objection_state": {
        "filed": ("待处理", "filed"),
        "accepted": ("已采纳", "accepted"),
        "rejected": ("已驳回", "rejected"),
    },
    "proposal_state": {
        "draft": ("草稿", "draft"),
        "reviewed": ("已审查", "reviewed"),
        "approved": ("已批准", "approved"),
        "in_force": ("已生效", "in force"),
        "rejected": ("已驳回", "rejected"),
        "withdrawn": ("已撤回", "withdrawn"),
    },
    "import_status": {"committed": ("已入库", "committed"), "rejected": ("整批拒绝", "rejected")},
    "ledger_direction": {
        "out": ("调出", "out"),
        "in": ("补划", "in"),
        "transfer_in": ("调剂转入", "transfer in"),
        "transfer_out": ("调剂转出", "transfer out"),
    },
    "status": {
        "graded": ("已评级", "graded"),
        "vetoed": ("一票否决", "vetoed"),
        "ungraded": ("不定等级（参照B类）", "ungraded (managed as class B)"),
        "merged": ("并入宗地主评价", "merged into the landlord"),
        "inherited": ("沿用宗地主等级", "landlord's grade inherited"),
        "not_evaluated": ("不参评", "not evaluated"),
    },
    "reason": {
        "no_indicators": ("无当年指标数据", "no figures for the year"),
        "no_land": ("无可归属用地", "no attributable land"),
        "out_of_scope": (
            "不在评价范围（规模或用地面积）",
            "outside the scope (scale or land area)",
        ),
        "exempt_industry": ("豁免行业（公用事业等）", "exempt industry (utilities etc.)"),
        "new_firm": ("新设企业（培育期）", "new firm (ramp-up)"),
        "land_ramp_up": ("供地未满培育期", "land granted within the ramp-up period"),
        "veto": ("一票否决项", "veto item"),
        "tenant_merged": ("承租企业并入宗地主", "tenant merged into the landlord"),
        "tenant_inherits": ("承租企业沿用宗地主等级", "tenant inherits the landlord's grade"),
    },
    "check": {
        "fragmented": ("补划用地不连片", "replacement land is fragmented"),
        "too_small": ("补划用地面积过小", "replacement land is too small"),
        "constraint_overlap": ("与管控区重叠", "overlaps a constraint area"),
        "already_industrial": ("已是现状工业用地或控制线", "already industrial land"),
    },
    "supply_rule": {
        "idle_1y": ("闲置满一年", "idle one year"),
        "idle_2y": ("闲置满两年", "idle two years"),
        "stalled_1y": ("停工满一年", "stalled one year"),
        "late_completion": ("逾期竣工", "late completion"),
        "installment_overdue": ("逾期欠缴价款", "installment overdue"),
        "acceptance_shortfall": ("达产验收不达标", "acceptance shortfall"),
        "transfer_blocked": ("违规转让", "transfer blocked"),
        "lease_conversion_due": ("先租后让到期转换", "lease-then-grant conversion due"),
        "renewal_window": ("续期申请提醒", "renewal window"),
    },
    "supply_status": {
        "overdue": ("已逾期", "overdue"),
        "upcoming": ("即将到期", "upcoming"),
        "breach": ("违约", "breach"),
    },
    "contract_status": {
        "breach": ("违约", "in breach"),
        "warning": ("预警", "warning"),
        "normal": ("正常", "normal"),
        "none": ("无合同", "no contract"),
    },
    "population": {
        "above_scale": ("规上工业企业", "above-scale industrial firms"),
        "below_scale_3mu_plus": ("规下工业企业（用地3亩及以上）",
                                 "below-scale firms, 3 mu of land or more"),
        "below_scale_under_3mu": ("规下工业企业（用地3亩以下）",
                                  "below-scale firms, under 3 mu of land"),
    },
    "lowuse_criterion": {
        "grade_d": ("D类企业占用", "used by a class-D firm"),
        "low_tax": ("亩均税收偏低", "low tax per mu"),
        "low_far": ("容积率偏低", "low floor-area ratio"),
        "vacant": ("厂房空置", "vacant buildings"),
        "old_buildings": ("建筑老旧", "old buildings"),
        "outside_line": ("位于控制线外", "outside the control line"),
        "nonconforming_use": ("用途不符", "non-conforming use"),
        "idle": ("闲置土地", "idle land"),
    },
    "project_type": {
        "upgrade_in_place": ("改造提升", "upgrade in place"),
        "renewal_transformation": ("更新转型", "renewal / conversion"),
        "relocation_transfer": ("腾挪流转", "relocation and transfer"),
    },
    "redevelopment_mode": {
        "gov_led_contiguous": ("政府统筹连片改造", "government-led contiguous"),
        "enterprise_led": ("企业主导自主改造", "enterprise-led"),
        "village_enterprise_coop": ("村企协作共赢改造", "village–enterprise cooperation"),
        "operator_led": ("开发运营商驱动改造", "operator-led"),
    },
    "line_status": {
        "inside": ("线内", "inside"),
        "partial": ("部分线内", "partly inside"),
        "outside": ("线外", "outside"),
    },
    "market_rule": {  # core/engines/market.RULES (land-rules I1–I5)
        "transfer_before_payment": ("价款未付清即转让", "transfer before full payment"),
        "transfer_before_investment": (
            "开发投资未达规定比例即转让",
            "transfer before the required share is invested",
        ),
        "price_premium": ("成交价明显偏高", "price well above the benchmark"),
        "flip": ("短期内再次转让", "resold within the watch period"),
        "buyer_industry_not_allowed": ("受让方产业不符", "buyer's industry not allowed here"),
        "strata_share_exceeded": ("分割销售超比例", "strata sales above the allowed share"),
        "strata_unit_too_small": ("分割单元过小", "strata unit below the minimum size"),
        "sublease_non_industrial": ("转租用于非工业用途", "sublease for a non-industrial use"),
        "buyer_no_production": ("受让方无生产记录", "buyer without production records"),
    },
    "demand_kind": {
        "floor": ("厂房空间", "floor space"),
        "land": ("用地", "land"),
    },
    "policy_basis": {  # what a differentiated policy's amount is charged on
        "electricity_kwh": ("用电量（kWh）", "electricity (kWh)"),
        "water_t": ("用水量（t）", "water (t)"),
        "energy_tce": ("综合能耗（tce）", "energy (tce)"),
        "emissions": ("排放量（t）", "emissions (t)"),
        "land_area_m2": ("用地面积（m²）", "land area (m²)"),
        "land_area_mu": ("用地面积（亩）", "land area (mu)"),
        "none": ("—", "—"),
    },
    "constraint": {
        "ecological_red_line": ("生态保护红线", "ecological red line"),
        "permanent_basic_farmland": ("永久基本农田", "permanent basic farmland"),
        "other": ("其他管控区", "other constraint area"),
    },
}
"""group → code → (中文, English)."""


@cache
def _chain_links() -> dict[str, tuple[str, str]]:
    """产业链环节 (a chain's links, as ``missing_links`` names them) → (中文, English), from
    the bundled chain templates of :data:`CHAIN_SYSTEM` — the policy files own the names.
    Read on first use: parsing the templates is not paid by every import."""
    from indspace.core.policy.chains import load_templates

    out: dict[str, tuple[str, str]] = {}
    for chain in load_templates(CHAIN_SYSTEM).chains.values():
        for link in chain.links:
            out.setdefault(link.id, (link.name_zh, link.name_en))
    return out


LAZY_GROUPS = {"chain_link": _chain_links}
"""Groups whose words are read from policy files on first use."""


def _words(group: str) -> Mapping[str, tuple[str, str]]:
    lazy = LAZY_GROUPS.get(group)
    return lazy() if lazy is not None else VOCABULARY.get(group, {})


def _lang(lang: str) -> int:
    return 1 if lang == "en" else 0


def label(group: str, code: object, lang: str = "zh") -> str:
    """The label of ``code`` in ``group`` (the code itself when the vocabulary lacks it;
    ``""`` for a missing value)."""
    if code is None or (isinstance(code, float) and code != code):
        return ""
    text = str(code)
    hit = _words(group).get(text)
    if hit is not None:
        return hit[_lang(lang)]
    return text


def labels(lang: str = "zh") -> dict[str, dict[str, str]]:
    """The whole vocabulary in one language: group → code → label."""
    i = _lang(lang)
    return {g: {c: pair[i] for c, pair in _words(g).items()} for g in [*VOCABULARY, *LAZY_GROUPS]}


def label_map(group: str, lang: str = "zh") -> Mapping[str, str]:
    """code → label of one group (for vectorised ``Series.map``)."""
    i = _lang(lang)
    return {c: pair[i] for c, pair in _words(group).items()}
