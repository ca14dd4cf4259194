"""Word lists and code tables of the synthetic city (all illustrative, nothing sourced
beyond the code systems themselves).

* Industry classes are real GB/T 4754-2017 manufacturing classes (section C, divisions
  13–43; reference-data §7) with illustrative Ningbo-flavoured weights [I].
* Chain ids follow the 2025 "361" list (reference-data §6). There is no official crosswalk
  from ``industry_code`` to a chain [U], so the mapping below is a synthetic tag.
* Tax, energy and land-use factors follow synthetic-data.md §4 (petrochemical × 2, electronics
  × 1.3, textiles × 0.7 on tax; chemicals × 3, dyeing × 2, electronics × 0.5 on energy).
"""

from __future__ import annotations

import numpy as np

from indspace.core import vocabulary

CHAIN_SYSTEM = vocabulary.CHAIN_SYSTEM
CHAINS_361_2025: dict[str, str] = {k: v[0] for k, v in vocabulary.CHAINS_361_2025.items()}
"""The 2025 "361" system by our English id → its Chinese name (one owner:
:mod:`indspace.core.vocabulary`)."""

# (class code, word used in firm names, weight, chain key or "")
INDUSTRIES: tuple[tuple[str, str, float, str], ...] = (
    ("1411", "食品", 0.8, ""),
    ("1713", "印染", 1.0, "fashion_consumer"),
    ("1751", "织造", 1.5, "fashion_consumer"),
    ("1752", "染整", 0.8, "fashion_consumer"),
    ("1810", "服饰", 3.5, "fashion_consumer"),
    ("1820", "针织", 1.5, "fashion_consumer"),
    ("1952", "鞋业", 0.8, "fashion_consumer"),
    ("2110", "家具", 1.0, "fashion_consumer"),
    ("2231", "包装", 1.2, ""),
    ("2319", "印刷", 0.8, ""),
    ("2411", "文具", 1.5, "fashion_consumer"),
    ("2511", "石化", 0.3, "green_petrochem"),
    ("2614", "化工", 0.8, "green_petrochem"),
    ("2641", "涂料", 0.6, "new_materials"),
    ("2651", "合成材料", 0.6, "green_petrochem"),
    ("2669", "化学", 0.7, "new_materials"),
    ("2720", "制药", 0.6, "life_health"),
    ("2822", "化纤", 0.6, "new_materials"),
    ("2922", "塑胶", 2.0, "new_materials"),
    ("2927", "塑料制品", 2.5, "fashion_consumer"),
    ("2929", "塑业", 2.5, "new_materials"),
    ("3130", "钢材", 0.6, "new_materials"),
    ("3251", "铜业", 0.8, "new_materials"),
    ("3252", "铝业", 0.8, "new_materials"),
    ("3311", "钢结构", 1.0, "nev_high_end_equipment"),
    ("3381", "厨具", 1.2, "fashion_consumer"),
    ("3391", "铸造", 1.5, "nev_high_end_equipment"),
    ("3421", "机床", 1.2, "nev_high_end_equipment"),
    ("3441", "泵业", 1.5, "nev_high_end_equipment"),
    ("3443", "阀门", 1.5, "nev_high_end_equipment"),
    ("3444", "液压", 1.5, "nev_high_end_equipment"),
    ("3451", "轴承", 2.0, "nev_high_end_equipment"),
    ("3453", "齿轮", 1.2, "nev_high_end_equipment"),
    ("3481", "紧固件", 2.0, "nev_high_end_equipment"),
    ("3484", "机械", 4.0, "nev_high_end_equipment"),
    ("3523", "塑机", 1.0, "nev_high_end_equipment"),
    ("3551", "纺机", 0.6, "nev_high_end_equipment"),
    ("3581", "医疗器械", 0.8, "life_health"),
    ("3670", "汽车部件", 5.0, "nev_high_end_equipment"),
    ("3731", "船舶", 0.3, "aerospace_marine"),
    ("3812", "电机", 2.0, "nev_high_end_equipment"),
    ("3823", "电气", 2.0, "nev_high_end_equipment"),
    ("3825", "光伏", 0.6, "green_energy"),
    ("3831", "电缆", 1.0, "green_energy"),
    ("3841", "锂电", 0.8, "green_energy"),
    ("3851", "电器", 2.5, "fashion_consumer"),
    ("3852", "空调", 0.8, "fashion_consumer"),
    ("3854", "厨电", 1.2, "fashion_consumer"),
    ("3855", "小家电", 1.5, "fashion_consumer"),
    ("3872", "照明", 1.5, "fashion_consumer"),
    ("3973", "芯片", 0.3, "next_gen_it"),
    ("3976", "光电", 0.6, "next_gen_it"),
    ("3981", "电子元件", 1.5, "next_gen_it"),
    ("3982", "电路板", 1.0, "next_gen_it"),
    ("3985", "电子材料", 0.6, "new_materials"),
    ("4011", "自动化", 0.8, "ai_robotics"),
    ("4040", "光学", 0.6, "next_gen_it"),
    ("4190", "制品", 1.0, ""),
    ("4210", "再生资源", 0.4, ""),
    ("4320", "设备修理", 0.3, ""),
)

IND_CODE = np.array([r[0] for r in INDUSTRIES])
IND_WORD = np.array([r[1] for r in INDUSTRIES])
IND_WEIGHT = np.array([r[2] for r in INDUSTRIES], dtype="float64")
IND_WEIGHT /= IND_WEIGHT.sum()
IND_CHAIN = np.array([r[3] for r in INDUSTRIES])
_DIV = np.array([int(r[0][:2]) for r in INDUSTRIES])
IND_PETROCHEM = np.isin(_DIV, (25, 26, 28))
"""Petrochemical / chemical fibre classes: large sites and 三类 land go to these."""
IND_TAX_FACTOR = np.select(
    [IND_PETROCHEM, _DIV == 39, np.isin(_DIV, (17, 18, 19))], [2.0, 1.3, 0.7], 1.0)
"""synthetic-data §4: sector factor on tax per mu (rescaled by its mean at use)."""
IND_ENERGY_FACTOR = np.select(
    [np.isin(_DIV, (25, 26, 28)), np.isin(IND_CODE, ("1713", "1752")), _DIV == 39],
    [3.0, 2.0, 0.5], 1.0)
"""synthetic-data §4: chemicals × 3, dyeing × 2, electronics × 0.5 on energy per VA."""
IND_HEAVY_LAND = np.isin(_DIV, (25, 26, 27, 28)) | np.isin(IND_CODE, ("1713", "1752"))
"""Classes whose parcels are mostly 三类工业用地 (100103)."""

CITY_PREFIX: dict[str, str] = {
    "3301": "杭州", "3302": "宁波", "3303": "温州", "3304": "嘉兴", "3305": "湖州",
    "3306": "绍兴", "3307": "金华", "3308": "衢州", "3309": "舟山", "3310": "台州",
    "3311": "丽水",
}
"""Prefecture-level city of a county code's first four digits (GB/T 2260)."""

BRAND_CHARS = np.array(list(
    "华恒鑫宏瑞金海东方天永盛达兴信泰隆昌丰新明光宇嘉利通源康安德顺联创科汇升远辉星中正博豪佳"
    "飞龙凯亿诚君禾立捷力成晶晟怡帆甬舜港越"))
"""Characters for synthetic 字号 (trade names); two are drawn per firm."""

STRATEGIC_PARK_WORDS = np.array([
    "临港", "滨海", "智造", "高新", "经济", "绿色", "新材料", "汽车", "数字", "科创",
    "空港", "湾区", "东部", "南部", "北部", "西部", "石化", "航空", "装备", "电子",
    "能源", "生命", "海洋", "智能"])
COMMUNITY_WORDS = np.array([
    "东湖", "西岸", "南湾", "北塘", "青山", "白沙", "金桥", "银杏", "丰泽", "云溪",
    "长河", "桥头", "湖畔", "江口", "梅园", "松岙", "柳塘", "石门", "莲花", "清水",
    "新桥", "古渡", "竹林", "杨柳", "凤山", "龙潭", "双溪", "三塘", "五星", "六岙",
    "七里", "八角", "九龙", "十字", "望江", "观澜", "迎春", "朝阳", "晓塘", "横溪"])
