"""工业上楼 plan check use case (issue #18): read a plan, pick the rules in force on its
approval date, run the pure checker, answer one JSON-ready dict (CLI ``check-plan``, API
``POST /api/plans/check`` and the web form all show this dict).

No store: a plan is checked on its own. ``today`` (the default approval date) is passed in by
the edge (:func:`indspace.core.clock.today`, the deployment's time zone).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import pydantic

from indspace.core.clock import today  # the default approval date, for the edges
from indspace.core.engines import plan_check as engine
from indspace.core.errors import ValidationError
from indspace.core.model.plan import Plan
from indspace.core.policy import PolicyProfile

__all__ = [
    "MAX_PLAN_BYTES",
    "check_plan",
    "plan_from_data",
    "read_plan",
    "read_plan_file",
    "rules_on",
    "today",
]

MAX_PLAN_BYTES = 1_000_000
"""A plan file or body above this size is refused (a plan is a few kB)."""


# ------------------------------------------------------------------ reading a plan
_MESSAGES: dict[str, tuple[str, str, str, str]] = {
    # pydantic error type → (zh problem, en problem, zh fix, en fix)
    "missing": ("缺少必填字段", "required field is missing", "补上该字段", "add the field"),
    "extra_forbidden": (
        "未知字段",
        "unknown field",
        "删除该字段或检查拼写",
        "remove it or check the spelling",
    ),
    "literal_error": (
        "取值不在允许范围内",
        "value is not one of the allowed values",
        "使用文档列出的取值",
        "use one of the listed values",
    ),
    "string_pattern_mismatch": (
        "格式不对",
        "wrong format",
        "按说明的格式填写",
        "follow the documented format",
    ),
    "greater_than": ("须大于 0", "must be greater than 0", "填写正数", "give a positive number"),
    "greater_than_equal": (
        "不能为负数",
        "must not be negative",
        "填写 0 或正数",
        "give 0 or a positive number",
    ),
    "less_than_equal": (
        "数值过大",
        "value too large",
        "检查单位（m²、万元、m）",
        "check the unit (m², 万元, m)",
    ),
    "date_from_datetime_parsing": ("日期格式不对", "not a date", "用 YYYY-MM-DD", "use YYYY-MM-DD"),
    "date_parsing": ("日期格式不对", "not a date", "用 YYYY-MM-DD", "use YYYY-MM-DD"),
    "date_type": ("日期格式不对", "not a date", "用 YYYY-MM-DD", "use YYYY-MM-DD"),
    "too_short": ("不能为空", "must not be empty", "至少填写一项", "give at least one"),
    "too_long": ("项数过多", "too many items", "合并相同楼层", "merge identical storeys"),
    "list_type": ("须为列表", "must be a list", "用 [ … ] 列出各层", "list the storeys in [ … ]"),
    "string_type": ("须为文字", "must be text", "加上引号", "put it in quotes"),
    "model_type": ("须为 JSON 对象", "must be a JSON object", "用 { … }", "use { … }"),
    "dict_type": ("须为 JSON 对象", "must be a JSON object", "用 { … }", "use { … }"),
    "bool_type": (
        "须为 true 或 false",
        "must be true or false",
        "填 true 或 false",
        "give true or false",
    ),
    "bool_parsing": (
        "须为 true 或 false",
        "must be true or false",
        "填 true 或 false",
        "give true or false",
    ),
    "value_error": ("数值不一致", "inconsistent values", "检查各面积", "check the areas"),
}
_NUMBER_TYPES = (
    "decimal_parsing",
    "decimal_type",
    "float_parsing",
    "float_type",
    "finite_number",
    "int_parsing",
    "decimal_max_digits",
)


def _field(loc: tuple[Any, ...]) -> str:
    """('storeys', 2, 'height_m') → 'storeys[2].height_m'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "plan"


def plan_from_data(data: Any, where: str = "plan") -> Plan:
    """Validate parsed JSON as a :class:`Plan`; a bad field raises a bilingual
    :class:`ValidationError` naming it (``where``: the file or ``body``)."""
    if not isinstance(data, dict):
        raise ValidationError(
            "方案须为 JSON 对象",
            "the plan must be a JSON object",
            where=where,
            hint_zh="以 { 开头，字段见 docs/plan-check.md",
            hint_en="start with {; fields in docs/plan-check.md",
        )
    try:
        return Plan.model_validate(data)
    except pydantic.ValidationError as e:
        err = e.errors()[0]
        field = _field(tuple(err.get("loc", ())))
        kind = str(err.get("type", ""))
        if kind in _NUMBER_TYPES:
            zh, en, hzh, hen = (
                "须为数字",
                "must be a number",
                "填写数字（不带单位）",
                "give a plain number, without a unit",
            )
        else:
            zh, en, hzh, hen = _MESSAGES.get(
                kind,
                (
                    "取值无效",
                    "invalid value",
                    "按 docs/plan-check.md 填写",
                    "see docs/plan-check.md",
                ),
            )
        detail = str(err.get("msg", ""))
        raise ValidationError(
            f"方案字段 {field} {zh}",
            f"plan field {field}: {en} ({detail})",
            where=f"{where}: {field}",
            hint_zh=hzh,
            hint_en=hen,
        ) from e


def read_plan(text: str | bytes, where: str = "plan") -> Plan:
    """Parse plan JSON text (numbers kept as exact decimals) and validate it."""
    if len(text) > MAX_PLAN_BYTES:
        raise ValidationError(
            "方案文件过大", f"the plan is larger than {MAX_PLAN_BYTES:,} bytes", where=where
        )
    try:
        data = json.loads(text, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        pos = (
            (f"第 {e.lineno} 行第 {e.colno} 列", f"line {e.lineno} column {e.colno}")
            if isinstance(e, json.JSONDecodeError)
            else ("", "")
        )
        raise ValidationError(
            f"方案不是有效的 JSON（{pos[0]}）",
            f"the plan is not valid JSON ({pos[1]}: {e})",
            where=where,
            hint_zh="检查逗号、引号和括号",
            hint_en="check commas, quotes and brackets",
        ) from e
    return plan_from_data(data, where)


def read_plan_file(path: Path) -> Plan:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ValidationError(
            f"无法读取方案文件：{e.strerror}",
            f"cannot read the plan file: {e.strerror}",
            where=str(path),
        ) from e
    return read_plan(raw, path.name)


# ------------------------------------------------------------------ checking
def rules_on(profile: PolicyProfile, on: date) -> dict[str, Any]:
    """The checker's parameters in force on ``on`` (name → provision or None)."""
    return {name: profile.provision(name, on) for name in engine.PARAMETERS}


def check_plan(plan: Plan, profile: PolicyProfile, *, today: date) -> dict[str, Any]:
    """Check ``plan`` against ``profile`` as in force on its approval date (``today`` when
    the plan names none). Same plan + same profile text → the same dict."""
    on = plan.approved or today
    rules = rules_on(profile, on)
    if rules["double_storey_height_m"] is None:
        first = (
            min(profile.parameters["double_storey_height_m"].values)
            if "double_storey_height_m" in profile.parameters
            else None
        )
        raise ValidationError(
            f"批准日期 {on} 早于策略配置 {profile.id} 的控制指标（最早 {first}）",
            f"approval date {on} precedes the control indicators of profile {profile.id} "
            f"(first {first})",
            where="approved",
            hint_zh="检查批准日期，或选用含该时期规则的策略配置",
            hint_en="check the date, or choose a profile with rules for that time",
        )
    result = engine.check_plan(plan, rules)
    return {
        "plan_id": plan.plan_id,
        "approved": on.isoformat(),
        "approved_given": plan.approved is not None,
        "profile": {"id": profile.id, "version": profile.version, "hash": profile.content_hash},
        "pass": result.passed,
        "checks": [_check(c) for c in result.checks],
        "figures": {
            **_figures(result.figures),
            "storey_rule_clause": rules["double_storey_height_m"].source,
            "storey_limit_m": _num(engine.exact(rules["double_storey_height_m"].value), 2),
        },
        "floor_area_range": {
            "min_m2": _num(result.floor_range.min_m2, 2),
            "max_m2": _num(result.floor_range.max_m2, 2),
            "binding_min": result.floor_range.binding_min,
            "basis": "计容建筑面积，各层层高不超过限值 / FAR floor area, every storey within "
            "the height limit",
        },
        "production_mix": _mix(result.mix),
    }


def _check(c: engine.Check) -> dict[str, Any]:
    zh, en, unit = engine.RULE_LABELS[c.rule]
    places = 2 if unit != "1" else 6
    return {
        "rule": c.rule,
        "value": _num(c.value, places),
        "limit": _num(c.limit, places),
        "pass": c.passed,
        "clause": c.clause,
        "comparison": c.comparison,
        "limit_max": _num(c.limit_max, places),
        "clause_max": c.clause_max,
        "parameter": c.parameter,
        "confidence": c.confidence,
        "unit": unit,
        "label_zh": zh,
        "label_en": en,
        "note_zh": c.note_zh,
        "note_en": c.note_en,
    }


def _figures(f: engine.FloorFigures) -> dict[str, Any]:
    return {
        "total_floor_m2": _num(f.total_floor_m2, 2),
        "far_floor_m2": _num(f.far_floor_m2, 2),
        "doubled_m2": _num(f.doubled_m2, 2),
        "underground_m2": _num(f.underground_m2, 2),
        "by_use_m2": {u: _num(v, 2) for u, v in f.by_use_m2.items()},
    }


def _mix(m: engine.ProductionMix | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "budget_m2": _num(m.budget_m2, 2),
        "basis": m.basis,
        "production_m2": _num(m.production_m2, 2),
        "rnd_m2": _num(m.rnd_m2, 2),
        "admin_living_m2": _num(m.admin_living_m2, 2),
        "warehouse_m2": _num(m.warehouse_m2, 2),
        "max_storey_height_m": _num(m.max_storey_height_m, 2),
        "storeys_on_footprint": m.storeys_on_footprint,
        "production_gain_m2": _num(m.production_gain_m2, 2),
    }


def _num(x: Fraction | None, places: int) -> float | None:
    """An exact figure rounded half-up for display (the decision was made on the exact one)."""
    if x is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        d = Decimal(x.numerator) / Decimal(x.denominator)
        return float(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
