"""Two runs of one year side by side (issue #16 item 5): who moved class, by how much
(score, rank, 亩均税收 / 亩均增加值), and the money effect of the differentiated policies
(浙政发〔2018〕5号 差别化电价、水价等; amounts in 元, exact Decimal to the 分).

Nothing here recomputes an evaluation: each run's stored results (score, rank, class,
policy class, land in 亩) and its stored grade history are read back; the figures (税收,
增加值, 用电量 …) are the indicators *as the store knew them when the run was made*
(``recorded_at`` = the run's ``created_at``), so a corrected figure shows on the newer run
only. The policy amounts are the engine's (:func:`~indspace.core.engines.policies.
apply_policies`) over those stored rows with the run's own profile.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from indspace.core.access import Principal
from indspace.core.engines.policies import apply_policies
from indspace.core.errors import ValidationError
from indspace.core.model.entities import ENTITIES
from indspace.services.evaluation import run_key, run_profile
from indspace.services.kept import Kept
from indspace.services.output import excel_writer
from indspace.store import Store, runs

SYSTEM = Principal.system()
CENT = Decimal("0.01")

COMPARE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("credit_code", "统一社会信用代码", "credit code"),
    ("name", "企业名称", "name"),
    ("district", "区县", "district"),
    ("grade_a", "原等级", "class (first run)"),
    ("grade_b", "新等级", "class (second run)"),
    ("class_move", "等级变化（档）", "class move (steps)"),
    ("score_a", "原得分（分）", "score, first run (points)"),
    ("score_b", "新得分（分）", "score, second run (points)"),
    ("score_delta", "得分变化（分）", "score change (points)"),
    ("rank_a", "原组内排名", "rank in group, first run"),
    ("rank_b", "新组内排名", "rank in group, second run"),
    ("tax_per_mu_a", "原亩均税收（万元/亩）", "tax per mu, first run (10k yuan/mu)"),
    ("tax_per_mu_b", "新亩均税收（万元/亩）", "tax per mu, second run (10k yuan/mu)"),
    ("va_per_mu_a", "原亩均增加值（万元/亩）", "value added per mu, first run (10k yuan/mu)"),
    ("va_per_mu_b", "新亩均增加值（万元/亩）", "value added per mu, second run (10k yuan/mu)"),
    ("money_a", "原差别化政策金额（元）", "policy amount, first run (yuan)"),
    ("money_b", "新差别化政策金额（元）", "policy amount, second run (yuan)"),
    ("money_delta", "金额变化（元）", "policy amount change (yuan)"),
)
"""(key, Chinese header with unit, English header with unit) of a comparison row."""


def yuan(value: float | None) -> Decimal | None:
    """A float amount in 元 (the engine rounds to 2 decimals) as an exact Decimal to the 分."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return Decimal(repr(float(value))).quantize(CENT)


_FIGURES: Kept[pd.DataFrame] = Kept(4)


def run_figures(store: Store, run: dict[str, Any]) -> pd.DataFrame:
    """Per firm of a stored run: ``credit_code, score, rank, grade, policy_grade,
    land_area_mu, tax, value_added, tax_per_mu, va_per_mu`` (万元/亩) and ``money`` (元,
    Decimal: the sum of the firm's differentiated-policy amounts; None when none apply).

    A function of the run alone (its stored rows, its history and the indicators as the
    store knew them when it was made), so it is kept in this process per run (a few runs):
    a comparison's next page, its "moved only" view and its export read it again. The
    frame is shared: callers copy before changing it."""
    key = run_key(store, run)
    kept = _FIGURES.get(key)
    if kept is None:
        kept = _FIGURES.put(key, _run_figures(store, run))
    return kept


def _run_figures(store: Store, run: dict[str, Any]) -> pd.DataFrame:
    res = runs.read_results(
        store,
        run["run_id"],
        columns=("credit_code", "score", "rank", "grade", "policy_grade", "land_area_mu", "status"),
    )
    method = run_profile(run).evaluation_method(run["method_date"])
    stored = {f.name for f in ENTITIES["indicators"].fields}
    bases = {m.basis for m in method.policies if m.basis in stored}
    figures = store.read_frame(
        "indicators",
        recorded_at=run["created_at"],
        where={"year": int(run["year"])},
        columns=["credit_code", "year", *sorted({"tax", "value_added"} | bases)],
    ).drop(columns="year")
    history = (
        runs.read_history(store, run["run_id"])
        if run.get("history_years")
        else pd.DataFrame(columns=["credit_code", "year", "policy_grade"])
    )
    results = res.copy()
    results["policy_grade"] = results["policy_grade"].astype("string")
    policies = apply_policies(results, figures, history, method.policies, int(run["year"]))
    money = policies.groupby("credit_code")["money_yuan"].sum(min_count=1)
    out = res.merge(figures[["credit_code", "tax", "value_added"]], on="credit_code", how="left")
    land = out["land_area_mu"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["tax_per_mu"] = (out["tax"].astype("float64") / land).where(land > 0)
        out["va_per_mu"] = (out["value_added"].astype("float64") / land).where(land > 0)
    out["money"] = [yuan(v) for v in out["credit_code"].map(money).to_numpy(dtype=object)]
    return out


def _level(classes: list[str], grade: Any) -> int | None:
    return classes.index(grade) if isinstance(grade, str) and grade in classes else None


def _clean(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def require_compare_reader(who: Principal) -> Principal:
    """Comparing runs is for city administrators, district officers (their district's
    firms) and auditors, not enterprise users; returns ``who`` (the API asks it before
    judging the query string)."""
    who.require_role("city_admin", "district_officer", "auditor")
    return who


def compare_frame(
    store: Store, run_a: str, run_b: str, *, who: Principal = SYSTEM
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The comparison rows (one per firm in either run, within the caller's scope; the
    columns of :data:`COMPARE_COLUMNS`) and a summary. ``class_move`` counts classes
    moved, positive = better (A–D: B → A is +1, B → D is −2)."""
    require_compare_reader(who)
    a, b = runs.get_run(store, run_a), runs.get_run(store, run_b)
    if int(a["year"]) != int(b["year"]):
        raise ValidationError(
            f"只能比较同一年度的两个批次（{run_a} 为 {a['year']} 年，{run_b} 为 {b['year']} 年）",
            f"compare two runs of one year ({run_a} is {a['year']}, {run_b} is {b['year']})",
            where="run_b",
            hint_zh="选择同一年度的另一个版本",
            hint_en="pick another version of the same year",
        )
    classes = list(run_profile(b).evaluation_method(b["method_date"]).grading.scale.codes)
    fa, fb = run_figures(store, a), run_figures(store, b)
    m = fa.merge(fb, on="credit_code", how="outer", suffixes=("_a", "_b"))
    firms = store.read_frame("enterprises", columns=["credit_code", "name", "district"])
    m = m.merge(firms, on="credit_code", how="left")
    m = m[who.mask(m)].copy()
    la = [_level(classes, g) for g in m["grade_a"]]
    lb = [_level(classes, g) for g in m["grade_b"]]
    m["class_move"] = [
        None if x is None or y is None else x - y for x, y in zip(la, lb, strict=True)
    ]
    m["score_delta"] = m["score_b"].astype("float64") - m["score_a"].astype("float64")
    m["money_delta"] = [
        None if x is None and y is None else (y or Decimal(0)) - (x or Decimal(0))
        for x, y in zip(m["money_a"], m["money_b"], strict=True)
    ]
    moved = m["grade_a"].astype("string").fillna("") != m["grade_b"].astype("string").fillna("")
    m["moved"] = moved.to_numpy()
    m = m.sort_values(
        ["moved", "credit_code"], ascending=[False, True], kind="stable", ignore_index=True
    )
    total_a = sum((x for x in m["money_a"] if x is not None), Decimal(0))
    total_b = sum((x for x in m["money_b"] if x is not None), Decimal(0))
    summary = {
        "run_a": run_a,
        "run_b": run_b,
        "year": int(a["year"]),
        "version_a": int(a["version"]),
        "version_b": int(b["version"]),
        "classes": classes,
        "firms": len(m),
        "moved": int(m["moved"].sum()),
        "up": int(sum(1 for v in m["class_move"] if v is not None and v > 0)),
        "down": int(sum(1 for v in m["class_move"] if v is not None and v < 0)),
        "money_a": str(total_a),
        "money_b": str(total_b),
        "money_delta": str(total_b - total_a),
    }
    return m, summary


def compare_runs(
    store: Store,
    run_a: str,
    run_b: str,
    *,
    moved_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
    who: Principal = SYSTEM,
) -> dict[str, Any]:
    """:func:`compare_frame` as JSON: ``summary``, ``total`` (rows after ``moved_only``) and
    ``items`` (money as decimal text): all of them, or ``limit`` rows from ``offset`` (moved
    firms first, then by credit code; a page of a city's 30 000 firms, not all)."""
    frame, summary = compare_frame(store, run_a, run_b, who=who)
    if moved_only:
        frame = frame[frame["moved"]]
    total = len(frame)
    frame = frame.iloc[offset : None if limit is None else offset + limit]
    keys = [k for k, _, _ in COMPARE_COLUMNS] + ["moved"]
    out = frame[keys].copy()
    for k in ("money_a", "money_b", "money_delta"):
        out[k] = [None if v is None else str(v) for v in out[k]]
    out["class_move"] = out["class_move"].astype("Int64")
    out["moved"] = out["moved"].astype(bool)
    # one vectorised encoding (15 significant digits) instead of a Python call per cell
    items = json.loads(out.to_json(orient="records", force_ascii=False, double_precision=15))
    return {"summary": summary, "total": total, "items": items}


def compare_xlsx(
    store: Store,
    run_a: str,
    run_b: str,
    *,
    moved_only: bool = False,
    lang: str = "zh",
    who: Principal = SYSTEM,
) -> bytes:
    """The comparison as XLSX: headers in one language with units; amounts as numbers
    (元, two decimals); same runs → same bytes."""
    frame, _ = compare_frame(store, run_a, run_b, who=who)
    if moved_only:
        frame = frame[frame["moved"]]
    i = 2 if lang == "en" else 1
    out = frame[[k for k, _, _ in COMPARE_COLUMNS]].copy()
    for k in ("money_a", "money_b", "money_delta"):
        out[k] = [None if v is None else float(v) for v in out[k]]
    out.columns = [c[i] for c in COMPARE_COLUMNS]
    buf = io.BytesIO()
    with excel_writer(buf) as xw:
        xw.book.set_properties({"created": datetime(2000, 1, 1)})
        out.to_excel(
            xw,
            sheet_name="versions" if lang == "en" else "版本比较",
            index=False,
            freeze_panes=(1, 0),
        )
    return buf.getvalue()
