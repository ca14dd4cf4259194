"""工改工 decisions per redevelopment unit and per outside-line firm (issue #6, items 3–5).

Three pure, vectorised rule sets; every threshold and point is profile data (ningbo-demo
parameters in brackets), every decision carries a bilingual reason ``"中文 / English"``.
Identifiers follow shared/domain/glossary.md.

1. Project type — :func:`classify_projects` (seed: 分期分类推进"改造提升、更新转型、腾挪流转";
   land-rules §J2 working definitions [I], §C6, §G1–G3). The FIRST rule that holds decides:

   a. ``relocation_transfer`` 腾挪流转 — occupants move into parks, the land returns to the
      reserve — when ``inside_share`` < ``relocation_inside_share_below`` (G3: no industrial
      future outside the line), or the share of the worst class (D) >
      ``relocation_d_share_above`` (C4 镇海: D class is the core of the 高耗低效 list).
      Both comparisons are strict: a unit exactly at a threshold is not relocated. The
      reason lists every relocation trigger met.
   b. ``renewal_transformation`` 更新转型 — change to M0 or another use — when the plan
      allows it for the unit (``conversion_allowed``; G1: only through a 国土空间规划 change).
   c. ``upgrade_in_place`` 改造提升 — keep industrial use and raise FAR, including 零土地技改
      (C6: low-efficiency land inside the line goes to 改造提升 first) — otherwise.

   A missing ``inside_share`` (NaN) or D share does not trigger relocation.
   [``redevelopment_project_type_rules``]

2. Mode — :func:`recommend_modes` among the four 工改工 modes of the seed / §J1:
   ``gov_led_contiguous`` 政府统筹连片改造 (Shanghai: 收储, 挂账收储, 异地置换),
   ``enterprise_led`` 企业主导自主改造 (Dongguan), ``village_enterprise_coop`` 村企协作共赢改造
   (Foshan: collective land, rent sharing; §E11), ``operator_led`` 开发运营商驱动改造 (Suzhou).
   Each *factor* of the profile is a test ``metric op threshold`` on a unit; when it holds it
   adds its ``points`` (possibly negative) to the modes it names. Metrics (:data:`METRICS`):
   area_mu, n_owners, n_enterprises, collective_share, inside_share, far,
   good_occupant_share = occupants in the scale's good classes (A, B) ÷ graded occupants,
   weak_occupant_share = occupants in the other classes (C, D) ÷ graded occupants, and
   fiscal_capacity (0–1, from the unit's district). A NaN metric never fires. The mode with
   the highest total wins; **ties go to the mode listed first in ``tie_order``**
   (ningbo-demo: enterprise_led, village_enterprise_coop, operator_led, gov_led_contiguous —
   the least public money first); the runner-up is the best of the other three under the same rule.
   [``redevelopment_mode_scoring``, ``district_fiscal_capacity`` [U]]

3. Outside-line firm class — :func:`classify_outside_firms` (seed: 线外企业分类管理清单;
   land-rules §H1–H2 [I]). ``outside_line_class``: ``retain`` 保留提升, ``relocate`` 搬迁入园,
   ``exit`` 关停退出. The FIRST rule that holds decides (rule id in ``outside_line_rule``):

   1. ``banned_industry``   → exit: ``banned_industry`` flag, or ``industry_code`` starts
      with a prefix of ``project_negative_list`` (H3: negative list = banned industries);
   2. ``risk_flag``         → exit: safety / environment risk flag (H1, H2);
   3. ``consecutive_d``     → exit: graded in the worst class (D) in the last
      ``exit_min_consecutive_d_years``
      (``outside_exit_min_consecutive_d_years`` = 2) or more years in a row (H2);
   4. ``high_risk_use`` / ``idle_land`` → exit: land use under a prefix of
      ``high_risk_land_use_prefixes`` (100103 三类工业, H1 安全环保风险大) or idle land (D1);
      ``chain_over_exit`` → relocate instead when the firm is in a "361" chain (the chain
      keeps the firm, in a park able to take it);
   5. ``chain_361``         → relocate: "361" member with a grade in ``good_grades`` or
      ``needs_expansion`` (H2);
   6. ``good_grade_nonconforming_land`` → relocate: grade in ``good_grades`` on land not
      recognised as retained (``land_retained`` False) or flagged low-efficiency (H1: 符合
      产业导向的企业向工业集聚区集中);
   7. ``retained_land``     → retain: land recognised as retained or not yet decided
      (``land_retained`` True or missing; H1: 零土地 改扩建/技改 allowed); the reason notes
      low-efficiency land (upgrade required), a pending recognition and a current D run;
   8. ``not_retained``      → relocate: land not retained, firm not on an exit track.

   [``outside_line_firm_rules``, ``outside_exit_min_consecutive_d_years``,
   ``project_negative_list``]

Input and output columns
------------------------
``classify_projects(units, rules, *, conversion_allowed=None)``
    units: unit_id, inside_share (0–1), grade_<class> per class of the grade scale
    (counts, NA allowed; grade_A … grade_D) — the :func:`indspace.core.engines.units.unit_table`
    table; optional ``d_land_share`` (land used by worst-class occupants ÷ unit land, 0–1;
    used instead of the count share grade_<worst> ÷ Σ grades when present) and
    ``plan_allows_conversion`` (bool).
    Adds: d_share (float), d_share_basis (``land`` | ``occupants``),
    plan_allows_conversion (bool), project_type, project_type_label (中文),
    project_type_reason.
``recommend_modes(units, rules, *, fiscal_capacity=None, district_of_unit=None)``
    units: unit_id plus the metric columns above (UNIT_COLUMNS); optional ``district``.
    District of a unit: ``district_of_unit`` (Series by unit_id), else the ``district``
    column, else the code inside the unit id ``U-<district>-<hash>``. ``fiscal_capacity``:
    district → 0–1, merged over the profile's values; an unknown district gives NaN.
    Adds: district, fiscal_capacity, good_occupant_share, weak_occupant_share,
    score_<mode> for the four modes, mode, mode_label, mode_score, runner_up,
    runner_up_label, runner_up_score, mode_reasons (the factors that fired, in profile
    order, then the verdict).
``classify_outside_firms(firms, rules)``
    firms: credit_code; ``grade_history`` (the class codes of the evaluation years written
    one after another, oldest first, ``-`` for an ungraded year; e.g. ``"BCDD"``) and/or
    ``consecutive_d_years``
    (int) and ``grade`` (latest); optional industry_code, land_use_code, chain_361 (chain
    name or bool; empty / null / False = none), risk_flag, banned_industry, idle,
    low_efficiency, needs_expansion (bool, missing = False), land_retained (bool; missing
    or NA = not yet recognised). Adds: grade, consecutive_d_years, in_chain_361,
    outside_line_class, outside_line_class_label (中文), outside_line_rule,
    outside_line_reason.

All functions return a new frame with the input rows in their order and index. The grade
classes (which are good, which is the worst) are the evaluation method's ``grading.scale``,
carried by :class:`RedevelopRules`; no class letter is written here.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from indspace.core.errors import PolicyError
from indspace.core.policy.evaluation import GradeScale

# -- identifiers and labels --------------------------------------------------------------------

PROJECT_TYPES = ("upgrade_in_place", "renewal_transformation", "relocation_transfer")
PROJECT_TYPE_LABELS = {"upgrade_in_place": "改造提升", "renewal_transformation": "更新转型",
                       "relocation_transfer": "腾挪流转"}
MODES = ("gov_led_contiguous", "enterprise_led", "village_enterprise_coop", "operator_led")
MODE_LABELS = {"gov_led_contiguous": "政府统筹连片改造", "enterprise_led": "企业主导自主改造",
               "village_enterprise_coop": "村企协作共赢改造", "operator_led": "开发运营商驱动改造"}
_MODE_SHORT = {"gov_led_contiguous": ("政府统筹", "government-led"),
               "enterprise_led": ("企业自主", "enterprise-led"),
               "village_enterprise_coop": ("村企协作", "village–enterprise"),
               "operator_led": ("运营商驱动", "operator-led")}
OUTSIDE_CLASSES = ("retain", "relocate", "exit")
OUTSIDE_CLASS_LABELS = {"retain": "保留提升", "relocate": "搬迁入园", "exit": "关停退出"}
OUTSIDE_RULES = ("banned_industry", "risk_flag", "consecutive_d", "high_risk_use", "idle_land",
                 "chain_over_exit", "chain_361", "good_grade_nonconforming_land",
                 "retained_land", "not_retained")

METRICS: dict[str, tuple[str, str, str]] = {
    # metric: (中文, English, kind) — kind picks the number format
    "area_mu": ("单元面积", "unit area", "mu"),
    "n_owners": ("权利人数", "owners", "count"),
    "n_enterprises": ("企业数", "enterprises", "count"),
    "collective_share": ("集体土地占", "collective land", "share"),
    "inside_share": ("线内用地占", "land inside the line", "share"),
    "far": ("容积率", "FAR", "number"),
    # the two occupant shares are named after the scale's classes (_metric_names)
    "good_occupant_share": ("优良等级企业占", "good-class occupants", "share"),
    "weak_occupant_share": ("其余等级企业占", "other-class occupants", "share"),
    "fiscal_capacity": ("区县财力", "district fiscal capacity", "number"),
}
_OPS: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    ">=": (operator.ge, "≥"), ">": (operator.gt, ">"), "<=": (operator.le, "≤"),
    "<": (operator.lt, "<"), "==": (operator.eq, "=")}


def _fail(key: str, zh: str, en: str) -> PolicyError:
    return PolicyError(zh, en, where=key)


def _check_keys(values: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise _fail(where, f"未知参数：{', '.join(unknown)}",
                    f"unknown keys: {', '.join(unknown)} (known: {', '.join(sorted(allowed))})")


def _require(values: Mapping[str, Any], keys: tuple[str, ...], where: str) -> None:
    missing = [k for k in keys if k not in values or values[k] is None]
    if missing:
        raise _fail(where, f"策略配置缺少参数：{', '.join(missing)}",
                    f"the profile lacks: {', '.join(missing)}")


# -- rule sets ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectTypeRules:
    """Thresholds of the project-type rules (``redevelopment_project_type_rules``)."""

    relocation_inside_share_below: float
    relocation_d_share_above: float

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> ProjectTypeRules:
        keys = ("relocation_inside_share_below", "relocation_d_share_above")
        _check_keys(values, set(keys), "redevelopment_project_type_rules")
        _require(values, keys, "redevelopment_project_type_rules")
        return cls(**{k: float(v) for k, v in values.items()})


@dataclass(frozen=True)
class Factor:
    """One scoring factor: when ``metric op threshold`` holds, add ``points`` per mode."""

    factor: str
    metric: str
    op: str
    threshold: float
    points: tuple[tuple[str, float], ...]      # (mode, points) in the profile's order

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Factor:
        where = f"redevelopment_mode_scoring.factors: {values.get('factor', '?')}"
        _check_keys(values, {"factor", "metric", "op", "threshold", "points"}, where)
        if values.get("metric") not in METRICS:
            raise _fail(where, f"未知指标 {values.get('metric')}",
                        f"unknown metric {values.get('metric')} (known: {', '.join(METRICS)})")
        if values.get("op") not in _OPS:
            raise _fail(where, f"未知比较符 {values.get('op')}",
                        f"unknown operator {values.get('op')} (known: {', '.join(_OPS)})")
        points = dict(values.get("points") or {})
        bad = sorted(set(points) - set(MODES))
        if bad:
            raise _fail(where, f"未知改造模式 {', '.join(bad)}",
                        f"unknown modes {', '.join(bad)} (known: {', '.join(MODES)})")
        return cls(str(values["factor"]), str(values["metric"]), str(values["op"]),
                   float(values["threshold"]),
                   tuple((str(m), float(p)) for m, p in points.items()))


@dataclass(frozen=True)
class ModeRules:
    """Factors and tie order (``redevelopment_mode_scoring``) and district fiscal capacity
    (``district_fiscal_capacity``)."""

    factors: tuple[Factor, ...]
    tie_order: tuple[str, ...]
    fiscal_capacity: Mapping[str, float]

    def __post_init__(self) -> None:
        if sorted(self.tie_order) != sorted(MODES):
            raise _fail("redevelopment_mode_scoring.tie_order",
                        "tie_order 须恰好列出四种改造模式各一次",
                        f"tie_order must list each of {', '.join(MODES)} once")

    @classmethod
    def from_values(cls, values: Mapping[str, Any],
                    fiscal_capacity: Mapping[str, Any]) -> ModeRules:
        _check_keys(values, {"factors", "tie_order"}, "redevelopment_mode_scoring")
        _require(values, ("factors", "tie_order"), "redevelopment_mode_scoring")
        return cls(
            factors=tuple(Factor.from_values(f) for f in values["factors"]),
            tie_order=tuple(values["tie_order"]),
            fiscal_capacity={str(k): float(v) for k, v in fiscal_capacity.items()})


@dataclass(frozen=True)
class OutsideFirmRules:
    """Outside-line firm classes (``outside_line_firm_rules`` + the two shared parameters)."""

    exit_min_consecutive_d_years: int
    banned_industry_prefixes: tuple[str, ...]
    high_risk_land_use_prefixes: tuple[str, ...]
    good_grades: tuple[str, ...]

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> OutsideFirmRules:
        keys = ("exit_min_consecutive_d_years", "banned_industry_prefixes",
                "high_risk_land_use_prefixes", "good_grades")
        _check_keys(values, set(keys), "outside_line_firm_rules")
        _require(values, keys, "outside_line_firm_rules")
        out: dict[str, Any] = {}
        for k, v in values.items():
            out[k] = int(v) if k == "exit_min_consecutive_d_years" else tuple(
                str(x) for x in v)
        return cls(**out)


PARAMETERS = ("redevelopment_project_type_rules", "redevelopment_mode_scoring",
              "district_fiscal_capacity", "outside_line_firm_rules",
              "outside_exit_min_consecutive_d_years", "project_negative_list")
"""The profile parameters the three rule sets are made of (all required)."""


@dataclass(frozen=True)
class RedevelopRules:
    """The three rule sets and the grade scale they read, every value from the profile (the
    engine holds none)."""

    projects: ProjectTypeRules
    modes: ModeRules
    outside: OutsideFirmRules
    scale: GradeScale

    @classmethod
    def from_values(cls, values: Mapping[str, Any], scale: GradeScale) -> RedevelopRules:
        """From profile values by parameter name (:data:`PARAMETERS`, all required) and the
        evaluation method's grade scale."""
        _require(values, PARAMETERS, "profile")
        projects = ProjectTypeRules.from_values(values["redevelopment_project_type_rules"])
        modes = ModeRules.from_values(values["redevelopment_mode_scoring"],
                                      values["district_fiscal_capacity"])
        firm = dict(values["outside_line_firm_rules"])
        firm["exit_min_consecutive_d_years"] = values["outside_exit_min_consecutive_d_years"]
        firm["banned_industry_prefixes"] = values["project_negative_list"]
        outside = OutsideFirmRules.from_values(firm)
        unknown = [g for g in outside.good_grades if g not in scale.codes]
        if unknown:
            raise _fail("outside_line_firm_rules.good_grades",
                        f"未知等级 {', '.join(unknown)}"
                        f"（评价办法的等级：{'、'.join(scale.codes)}）",
                        f"unknown grade classes {', '.join(unknown)} (the method's classes: "
                        f"{', '.join(scale.codes)})")
        return cls(projects, modes, outside, scale)

    @classmethod
    def from_profile(cls, profile: Any, on: date) -> RedevelopRules:
        """From a :class:`~indspace.core.policy.profile.PolicyProfile` on date ``on`` (the
        grade scale of the evaluation method in force that day)."""
        return cls.from_values({n: profile.value(n, on) for n in PARAMETERS
                                if n in profile.parameters},
                               profile.evaluation_method(on).grading.scale)


# -- formatting helpers ------------------------------------------------------------------------

def _fmt(values: np.ndarray, kind: str) -> np.ndarray:
    """Numbers as short text (4 significant digits; shares in %); NaN → ``—``."""
    v = np.asarray(values, dtype=float)
    if kind == "share":
        text = [f"{x * 100:.4g}%" for x in v.tolist()]
    elif kind == "count":
        text = [f"{x:.0f}" for x in v.tolist()]
    else:
        text = [f"{x:.4g}" for x in v.tolist()]
    out = np.asarray(text, dtype=object)
    out[np.isnan(v)] = "—"
    return out


def _thr(x: float, kind: str) -> str:
    return str(_fmt(np.array([x]), kind)[0]) + (" 亩" if kind == "mu" else "")


def _flag(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A bool column (missing column or NA = False)."""
    if name not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[name].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or all-None (object) when absent."""
    if name in frame:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _num(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _grade_shares(units: pd.DataFrame, scale: GradeScale
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(good, weak, worst, graded) occupant counts per unit from the grade_<class> columns
    (Zhejiang: A+B, C+D, D, A+B+C+D); NA counts as 0."""
    g = {x: np.nan_to_num(_num(units, f"grade_{x}")) for x in scale.codes}

    def total(classes: tuple[str, ...]) -> np.ndarray:
        out = g[classes[0]]
        for x in classes[1:]:
            out = out + g[x]
        return out

    return total(scale.good), total(scale.weak), g[scale.worst], total(scale.codes)


def _metric_names(scale: GradeScale) -> dict[str, tuple[str, str]]:
    """The occupant-share metrics named after the scale: "A/B类企业占", "C/D-grade …"."""
    good, weak = "/".join(scale.good), "/".join(scale.weak)
    return {"good_occupant_share": (f"{good}类企业占", f"{good}-grade occupants"),
            "weak_occupant_share": (f"{weak}类企业占", f"{weak}-grade occupants")}


def _ratio(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(whole > 0, part / np.where(whole > 0, whole, 1), np.nan)


def _join(parts: list[np.ndarray], sep: str, n: int) -> np.ndarray:
    """Element-wise join of non-empty strings."""
    out = np.full(n, "", dtype=object)
    for p in parts:
        out = np.where(p == "", out, np.where(out == "", p, out + sep + p))
    return out


# -- 3. project type ---------------------------------------------------------------------------

def conversion_by_unit(members: pd.DataFrame,
                       parcel_allows: Mapping[str, bool] | pd.Series) -> pd.Series:
    """Unit flag from parcel flags: a unit may convert only when the plan allows conversion
    on every one of its parcels (it is redeveloped as a whole). ``members``: parcel_id,
    unit_id (units.delineate); parcels without a flag count as not allowed."""
    flags = pd.Series(parcel_allows, dtype=object).reindex(members["parcel_id"].to_numpy())
    ok = flags.astype("boolean").fillna(False).to_numpy(dtype=bool)
    return pd.Series(ok, index=members["unit_id"].to_numpy()).groupby(level=0).all()


def classify_projects(units: pd.DataFrame, rules: RedevelopRules, *,
                      conversion_allowed: bool | Mapping[str, bool] | pd.Series | None = None,
                      ) -> pd.DataFrame:
    """``project_type`` and a bilingual ``project_type_reason`` per unit (module rule 1).

    ``conversion_allowed``: a bool for all units, or unit_id → bool (Series or mapping; see
    :func:`conversion_by_unit` for parcel flags); None reads the ``plan_allows_conversion``
    column, else False. Units absent from a mapping are not allowed to convert."""
    r = rules.projects
    out = units.copy()
    n = len(out)
    if conversion_allowed is None:
        allow = _flag(out, "plan_allows_conversion")
    elif isinstance(conversion_allowed, bool | np.bool_):
        allow = np.full(n, bool(conversion_allowed))
    else:
        allow = (pd.Series(conversion_allowed, dtype=object).reindex(out["unit_id"].to_numpy())
                 .astype("boolean").fillna(False).to_numpy(dtype=bool))
    inside = _num(out, "inside_share")
    _, _, d_count, graded = _grade_shares(out, rules.scale)
    by_land = _num(out, "d_land_share") if "d_land_share" in out else np.full(n, np.nan)
    use_land = ~np.isnan(by_land)
    d_share = np.where(use_land, by_land, _ratio(d_count, graded))
    outside = inside < r.relocation_inside_share_below          # NaN → False
    d_heavy = d_share > r.relocation_d_share_above
    relocate = outside | d_heavy
    ptype = np.where(relocate, "relocation_transfer",
                     np.where(allow, "renewal_transformation", "upgrade_in_place"))

    inside_t, d_t = _fmt(inside, "share"), _fmt(d_share, "share")
    lim_in = _thr(r.relocation_inside_share_below, "share")
    lim_d = _thr(r.relocation_d_share_above, "share")
    worst = rules.scale.worst
    d_zh = np.where(use_land, f"{worst}类企业用地占", f"{worst}类企业占企业数")
    d_en = np.where(use_land, f"land used by {worst}-class occupants",
                    f"{worst}-class share of occupants")
    why_out = (np.where(outside, "控制线内用地仅占 " + inside_t + f"（低于 {lim_in}）", ""),
               np.where(outside, "only " + inside_t + " of the land inside the control line "
                        f"(below {lim_in})", ""))
    why_d = (np.where(d_heavy, d_zh + " " + d_t + f"（高于 {lim_d}）", ""),
             np.where(d_heavy, d_en + " " + d_t + f" (above {lim_d})", ""))
    trig_zh = _join([why_out[0], why_d[0]], "，", n)
    trig_en = _join([why_out[1], why_d[1]], "; ", n)
    facts_zh = "线内 " + inside_t + "、" + d_zh + " " + d_t
    facts_en = "inside the line " + inside_t + ", " + d_en + " " + d_t
    plan_zh, plan_en = _plan_text(out, n)
    reason = np.where(
        relocate,
        trig_zh + " → 腾挪流转：企业迁入园区，土地收回储备 / " + trig_en
        + " → relocation_transfer: occupants move into parks, land returns to the reserve",
        np.where(
            allow,
            facts_zh + "，" + plan_zh + " → 更新转型 / " + facts_en
            + "; " + plan_en + " → renewal_transformation",
            facts_zh + "，规划未允许转换 → 改造提升：保留工业用途、提高容积率（含零土地技改）/ "
            + facts_en + "; no conversion allowed by the plan → upgrade_in_place: keep "
            "industrial use, raise FAR (incl. zero-land renovation)"))
    out["d_share"] = d_share
    out["d_share_basis"] = np.where(use_land, "land", "occupants")
    out["plan_allows_conversion"] = allow
    out["project_type"] = ptype
    out["project_type_label"] = pd.Series(ptype).map(PROJECT_TYPE_LABELS).to_numpy()
    out["project_type_reason"] = reason
    return out


def _plan_text(units: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Why the plan allows conversion: the zone, its planned use and its share of the unit
    when the units carry them (engines.planned_use), else the generic wording."""
    generic_zh = np.full(n, "规划允许转换为 M0 或其他用途", dtype=object)
    generic_en = np.full(n, "the plan allows conversion to M0 or another use", dtype=object)
    if "planned_use" not in units or "plan_zone_id" not in units:
        return generic_zh, generic_en
    known = units["planned_use"].notna().to_numpy(dtype=bool)
    use = units["planned_use"].fillna("").astype(str).to_numpy(dtype=object)
    zone = units["plan_zone_id"].fillna("").astype(str).to_numpy(dtype=object)
    share = _fmt(_num(units, "plan_share"), "share")
    doc = (units["plan_document"].fillna("").astype(str).to_numpy(dtype=object)
           if "plan_document" in units else np.full(n, "", dtype=object))
    doc_zh = np.where(doc == "", "", "，" + doc)
    doc_en = np.where(doc == "", "", ", " + doc)
    zh = ("规划单元 " + zone + " 覆盖 " + share + "，规划用途 " + use + "（非工业" + doc_zh
          + "）")
    en = ("plan zone " + zone + " covers " + share + ", planned use " + use
          + " (not industrial" + doc_en + ")")
    return np.where(known, zh, generic_zh), np.where(known, en, generic_en)


# -- 4. mode -----------------------------------------------------------------------------------

def unit_districts(units: pd.DataFrame, district_of_unit: pd.Series | None = None) -> pd.Series:
    """District code per unit row: ``district_of_unit`` (by unit_id), else the ``district``
    column, else the code inside ``U-<district>-<16 hex>`` (None when absent)."""
    if district_of_unit is not None:
        vals = district_of_unit.reindex(units["unit_id"].to_numpy()).to_numpy(dtype=object)
    elif "district" in units:
        vals = units["district"].to_numpy(dtype=object)
    else:
        vals = (units["unit_id"].astype(str).str.extract(r"^U-(.+)-[0-9a-f]{16}$")[0]
                .to_numpy(dtype=object))
    return pd.Series(vals, index=units.index, dtype=object).where(pd.notna(vals), None)


def recommend_modes(units: pd.DataFrame, rules: RedevelopRules, *,
                    fiscal_capacity: Mapping[str, float] | None = None,
                    district_of_unit: pd.Series | None = None) -> pd.DataFrame:
    """Score the four 工改工 modes per unit and pick the best (module rule 2).

    ``fiscal_capacity`` (district → 0–1) overrides the profile's ``district_fiscal_capacity``
    district by district."""
    m = rules.modes
    out = units.copy()
    n = len(out)
    capacity = {**m.fiscal_capacity, **{str(k): float(v)
                                        for k, v in (fiscal_capacity or {}).items()}}
    district = unit_districts(out, district_of_unit)
    good, weak, _, graded = _grade_shares(out, rules.scale)
    names = _metric_names(rules.scale)
    metrics = {name: _num(out, name) for name in METRICS}
    metrics["good_occupant_share"] = _ratio(good, graded)
    metrics["weak_occupant_share"] = _ratio(weak, graded)
    metrics["fiscal_capacity"] = (district.map(lambda d: capacity.get(str(d), np.nan)
                                               if d is not None else np.nan)
                                  .to_numpy(dtype=float))
    scores = np.zeros((n, len(MODES)))
    col = {mode: i for i, mode in enumerate(MODES)}
    lines_zh: list[np.ndarray] = []
    lines_en: list[np.ndarray] = []
    for f in m.factors:
        value = metrics[f.metric]
        test, sign = _OPS[f.op]
        with np.errstate(invalid="ignore"):
            fired = np.asarray(test(value, f.threshold), dtype=bool) & ~np.isnan(value)
        for mode, pts in f.points:
            scores[:, col[mode]] += np.where(fired, pts, 0.0)
        zh_name, en_name, kind = METRICS[f.metric]
        zh_name, en_name = names.get(f.metric, (zh_name, en_name))
        unit_zh = " 亩" if kind == "mu" else ""
        unit_en = " mu" if kind == "mu" else ""
        shown = _fmt(value, kind)
        thr = _thr(f.threshold, kind)
        thr_en = thr.replace(" 亩", " mu")
        pts_zh = "、".join(f"{_MODE_SHORT[md][0]} {p:+g}" for md, p in f.points) or "无"
        pts_en = ", ".join(f"{_MODE_SHORT[md][1]} {p:+g}" for md, p in f.points) or "none"
        lines_zh.append(np.where(fired, zh_name + " " + shown + unit_zh
                                 + f"（{sign} {thr}）→ {pts_zh}", ""))
        lines_en.append(np.where(fired, en_name + " " + shown + unit_en
                                 + f" ({sign} {thr_en}) → {pts_en}", ""))
    # ties: the mode earlier in tie_order wins (argmax takes the first maximum)
    order = np.array([col[md] for md in m.tie_order])
    ranked = scores[:, order]
    first = np.argmax(ranked, axis=1) if n else np.zeros(0, dtype=int)
    rest = ranked.copy()
    rest[np.arange(n), first] = -np.inf
    second = np.argmax(rest, axis=1) if n else np.zeros(0, dtype=int)
    modes_sorted = np.asarray(m.tie_order, dtype=object)
    winner, runner = modes_sorted[first], modes_sorted[second]
    win_score = ranked[np.arange(n), first]
    run_score = ranked[np.arange(n), second]

    def label(codes: np.ndarray, lang: int) -> np.ndarray:
        return np.asarray([_MODE_SHORT[c][lang] for c in codes.tolist()], dtype=object)

    tie = win_score == run_score
    verdict_zh = ("推荐" + label(winner, 0) + " " + _fmt(win_score, "number") + " 分，次选"
                  + label(runner, 0) + " " + _fmt(run_score, "number") + " 分"
                  + np.where(tie, "（同分按默认顺序）", ""))
    verdict_en = ("recommended " + label(winner, 1) + " " + _fmt(win_score, "number")
                  + ", runner-up " + label(runner, 1) + " " + _fmt(run_score, "number")
                  + np.where(tie, " (tie broken by the default order)", ""))
    body_zh = _join(lines_zh, "；", n)
    body_en = _join(lines_en, "; ", n)
    body_zh = np.where(body_zh == "", "无加分因素", body_zh)
    body_en = np.where(body_en == "", "no factor fired", body_en)
    out["district"] = district.to_numpy(dtype=object)
    out["fiscal_capacity"] = metrics["fiscal_capacity"]
    out["good_occupant_share"] = metrics["good_occupant_share"]
    out["weak_occupant_share"] = metrics["weak_occupant_share"]
    for mode in MODES:
        out[f"score_{mode}"] = scores[:, col[mode]]
    out["mode"] = winner
    out["mode_label"] = pd.Series(winner, dtype=object).map(MODE_LABELS).to_numpy()
    out["mode_score"] = win_score
    out["runner_up"] = runner
    out["runner_up_label"] = pd.Series(runner, dtype=object).map(MODE_LABELS).to_numpy()
    out["runner_up_score"] = run_score
    out["mode_reasons"] = body_zh + " → " + verdict_zh + " / " + body_en + " → " + verdict_en
    return out


# -- 5. outside-line firms ---------------------------------------------------------------------

def _histories(history: pd.Series, scale: GradeScale) -> pd.Series:
    """Grade histories as text without spaces (upper-cased when the codes are)."""
    h = history.fillna("").astype(str).str.replace(r"\s", "", regex=True)
    return h.str.upper() if all(c == c.upper() for c in scale.codes) else h


def trailing_d_years(history: pd.Series, scale: GradeScale) -> np.ndarray:
    """Years graded in the worst class in a row up to the latest year, from histories of
    class codes written one after another, oldest first (``-`` = ungraded): ``"BCDD"`` → 2
    on the A–D scale. Missing history → 0."""
    worst = scale.worst
    h = _histories(history, scale)
    if len(worst) == 1:
        return (h.str.len() - h.str.rstrip(worst).str.len()).to_numpy(dtype=np.int64)
    out = np.zeros(len(h), dtype=np.int64)
    for i, text in enumerate(h.tolist()):
        while text.endswith(worst):
            text = text[:-len(worst)]
            out[i] += 1
    return out


def _latest_class(history: pd.Series, scale: GradeScale) -> pd.Series:
    """The class a history ends with, as written (None when it ends with an ungraded year)."""
    h = history.fillna("").astype(str).str.strip()
    latest = pd.Series([None] * len(h), index=history.index, dtype=object)
    for code in scale.codes:      # no code ends with another (the scale checks it)
        latest[h.str.endswith(code).to_numpy(dtype=bool)] = code
    return latest


def _prefixed(codes: pd.Series, prefixes: tuple[str, ...]) -> np.ndarray:
    if not prefixes:
        return np.zeros(len(codes), dtype=bool)
    return codes.fillna("").astype(str).str.strip().str.startswith(prefixes).to_numpy(dtype=bool)


def classify_outside_firms(firms: pd.DataFrame, rules: RedevelopRules) -> pd.DataFrame:
    """``outside_line_class`` retain / relocate / exit with rule and bilingual reason
    (module rule 3)."""
    r = rules.outside
    out = firms.copy()
    n = len(out)
    empty = pd.Series([None] * n, index=out.index, dtype=object)
    if "consecutive_d_years" in out:
        d_run = np.nan_to_num(_num(out, "consecutive_d_years")).astype(np.int64)
    else:
        d_run = trailing_d_years(_col(out, "grade_history"), rules.scale)
    if "grade" in out:
        grade = out["grade"].astype(object)
    elif "grade_history" in out:
        grade = _latest_class(out["grade_history"], rules.scale)
    else:
        grade = empty
    worst = rules.scale.worst
    grade = pd.Series(np.where(grade.isin(list(rules.scale.codes)),
                               grade.to_numpy(dtype=object), None),
                      index=out.index, dtype=object)
    chain = _col(out, "chain_361")
    if chain.dtype == bool or str(chain.dtype) == "boolean":
        in_chain = chain.astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:
        txt = chain.fillna("").astype(str).str.strip()
        in_chain = (~txt.isin(["", "False", "false", "0", "否", "None"])).to_numpy(dtype=bool)
    industry = _col(out, "industry_code")
    land_use = _col(out, "land_use_code")
    banned = _flag(out, "banned_industry") | _prefixed(industry, r.banned_industry_prefixes)
    risk = _flag(out, "risk_flag")
    d_exit = d_run >= r.exit_min_consecutive_d_years
    high_risk = _prefixed(land_use, r.high_risk_land_use_prefixes)
    idle = _flag(out, "idle")
    low_eff = _flag(out, "low_efficiency")
    expand = _flag(out, "needs_expansion")
    good = grade.isin(list(r.good_grades)).to_numpy(dtype=bool)
    if "land_retained" in out:
        kept = out["land_retained"].astype("boolean")
        not_kept = kept.eq(False).fillna(False).to_numpy(dtype=bool)
        pending = kept.isna().to_numpy(dtype=bool)
    else:
        not_kept = np.zeros(n, dtype=bool)
        pending = np.ones(n, dtype=bool)

    soft = high_risk | idle
    conds = [banned, risk, d_exit, soft & in_chain, high_risk, idle, in_chain & (good | expand),
             good & (not_kept | low_eff), ~not_kept, np.ones(n, dtype=bool)]
    rule_ids = ["banned_industry", "risk_flag", "consecutive_d", "chain_over_exit",
                "high_risk_use", "idle_land", "chain_361", "good_grade_nonconforming_land",
                "retained_land", "not_retained"]
    classes = ["exit", "exit", "exit", "relocate", "exit", "exit", "relocate", "relocate",
               "retain", "relocate"]
    rule = np.select(conds, rule_ids, default="not_retained").astype(object)
    cls = np.select(conds, classes, default="relocate").astype(object)

    code_t = industry.fillna("—").astype(str).to_numpy(dtype=object)
    use_t = land_use.fillna("—").astype(str).to_numpy(dtype=object)
    grade_t = grade.fillna("未定级").to_numpy(dtype=object)
    grade_en = grade.fillna("ungraded").to_numpy(dtype=object)
    run_t = d_run.astype(str).astype(object)
    chain_t = chain.fillna("").astype(str).to_numpy(dtype=object)
    k = r.exit_min_consecutive_d_years
    soft_zh = np.where(high_risk, "用地 " + use_t + " 属高风险工业用途（三类工业）",
                       "土地闲置")
    soft_en = np.where(high_risk, "land use " + use_t + " is high-risk (class-3 industry)",
                       "the land is idle")
    reason_by_rule = {
        "banned_industry": ("行业 " + code_t + " 属禁止/淘汰类产业 → 关停退出",
                            "industry " + code_t + " is banned → exit"),
        "risk_flag": (np.full(n, "存在安全或环保风险标记 → 关停退出", dtype=object),
                      np.full(n, "safety or environmental risk flag → exit", dtype=object)),
        "consecutive_d": ("连续 " + run_t + f" 年 {worst} 类（≥ {k} 年）→ 关停退出",
                          f"graded {worst} for " + run_t
                          + f" consecutive years (≥ {k}) → exit"),
        "chain_over_exit": (soft_zh + "，但属\"361\"产业链（" + chain_t
                            + "）→ 搬迁入园而非退出",
                            soft_en + ", but the firm is in a \"361\" chain (" + chain_t
                            + ") → relocate into a park rather than exit"),
        "high_risk_use": (soft_zh + "，非\"361\"产业链企业 → 关停退出",
                          soft_en + ", not in a \"361\" chain → exit"),
        "idle_land": (soft_zh + "，非\"361\"产业链企业 → 关停退出，土地收回",
                      soft_en + ", not in a \"361\" chain → exit, land recovered"),
        "chain_361": ("属\"361\"产业链（" + chain_t + "）且"
                      + np.where(good, grade_t + " 类", "有扩产需求")
                      + " → 搬迁入园（向集聚区集中）",
                      "in a \"361\" chain (" + chain_t + ") and "
                      + np.where(good, "graded " + grade_en, "needs expansion")
                      + " → relocate into a cluster-zone park"),
        "good_grade_nonconforming_land": (
            grade_t + " 类企业，用地" + np.where(not_kept, "未认定保留", "低效")
            + " → 搬迁入园",
            "graded " + grade_en + " on land "
            + np.where(not_kept, "not recognised as retained", "flagged low-efficiency")
            + " → relocate into a park"),
        "retained_land": (
            np.where(pending, "用地待认定保留（暂按保留）", "用地已认定保留")
            + "，" + grade_t + " 类 → 保留提升（允许零土地技改）"
            + np.where(low_eff, "；用地低效，须改造提升", "")
            + np.where(d_run > 0, "；已连续 " + run_t + f" 年 {worst} 类，须关注", ""),
            np.where(pending, "land not yet recognised as retained (treated as retained)",
                     "land recognised as retained")
            + ", graded " + grade_en + " → retain (zero-land renovation allowed)"
            + np.where(low_eff, "; the land is low-efficiency: upgrade required", "")
            + np.where(d_run > 0, f"; {worst} for " + run_t + " year(s) in a row: watch",
                       "")),
        "not_retained": ("用地未认定保留，" + grade_t + " 类、无退出情形 → 搬迁入园",
                         "land not recognised as retained, graded " + grade_en
                         + ", no exit trigger → relocate into a park"),
    }
    reason = np.full(n, "", dtype=object)
    for rid in rule_ids:
        zh, en = reason_by_rule[rid]
        reason = np.where(rule == rid, np.asarray(zh, dtype=object) + " / "
                          + np.asarray(en, dtype=object), reason)
    out["grade"] = grade.to_numpy(dtype=object)
    out["consecutive_d_years"] = d_run
    out["in_chain_361"] = in_chain
    out["outside_line_class"] = cls
    out["outside_line_class_label"] = pd.Series(cls, dtype=object).map(
        OUTSIDE_CLASS_LABELS).to_numpy()
    out["outside_line_rule"] = rule
    out["outside_line_reason"] = reason
    return out
