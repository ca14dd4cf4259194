"""The matching's names: the demand and space exchange formats, the hard constraints, the
objectives, the output columns and the weighted objective's terms."""

from __future__ import annotations

from indspace.core.model.entities import DEMANDS, SYNTH

POLLUTION_CLASSES = (1, 2, 3)
"""一类 / 二类 / 三类工业 (100101 / 100102 / 100103)."""
DEMAND_COLUMNS = tuple(c for c in DEMANDS.columns if c != SYNTH.name)
"""The demand exchange format (issue #19), in order: the ``demands`` entity's columns."""
SPACE_COLUMNS = (
    "space_id",
    "kind",
    "area_m2",
    "load_kn_m2",
    "clear_height_m",
    "power_kva",
    "max_pollution_class",
    "district",
    "park_id",
    "rent_yuan_m2_month",
    "available_from",
)
"""The supply-inventory exchange format (issue #19), in order."""
CONSTRAINTS = (
    "kind",
    "area",
    "load",
    "clear_height",
    "power",
    "pollution",
    "district",
    "timing",
    "rent",
)
"""The hard constraints, in the order an unmatched demand's reasons are listed."""
CONSTRAINT_ZH = {
    "kind": "类型",
    "area": "面积区间",
    "load": "楼面荷载",
    "clear_height": "净高",
    "power": "用电容量",
    "pollution": "污染类别",
    "district": "区县",
    "timing": "可用日期",
    "rent": "租金上限",
}
OBJECTIVES = ("count-then-rent", "weighted")
MATCH_COLUMNS = (
    "demand_id",
    "credit_code",
    "kind",
    "space_id",
    "space_kind",
    "district",
    "park_id",
    "area_m2",
    "rent_yuan_m2_month",
    "rent_yuan_month",
    "score",
    "n_candidates",
    "cost_rank",
    "binding",
    "reason_zh",
    "reason_en",
)
"""One row per demand: the space it got (empty when none), its monthly rent (元, exact),
its score (weighted objective), how many spaces met every hard constraint, the rank of the
chosen space among them by the demand's own preference (1 = its best), the binding
constraints (;-joined, tightest first) and the explanation."""
TERMS = ("rent", "chain_leader", "chain_suppliers", "park_specialisation", "commute")
_SCORE_SCALE = 1_000_000
