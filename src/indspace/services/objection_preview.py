"""What accepting an objection would do, before anyone accepts it (issue #16 item 5).

:func:`preview_objection` re-evaluates the objected run's year in memory with the one figure
replaced by the firm's claimed value — the engines an acceptance runs, with the run's stored
profile, method date and grade history — and sets it against the run as stored: the figure
before and after, this firm's score, rank, class and policy amount before and after, and
every other firm whose class would change (group averages and rank quotas make one firm's
correction move others). Nothing is stored.

What the run stored is read, not recomputed (issue #16: ~2.6 s of CPU per preview on the
city before): its grade history (no earlier year is loaded or evaluated), its results and
the firm's money on the "before" side; only the objecting firm's policy measures are
computed; the year's land (tables and attribution, which a figure correction cannot change)
is kept in the process per content version (:func:`~indspace.services.evaluation.
kept_year_inputs`), so a second preview re-evaluates the indicators only.

:func:`objection_fields` gives the objection form its fields with their units (万元, kWh,
…) and the firm's current value of each.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pandas as pd

from indspace.core.access import Principal
from indspace.core.errors import NotFoundError
from indspace.core.model.entities import ENTITIES
from indspace.services import evaluation as ev
from indspace.services.run_compare import _clean, run_figures, yuan
from indspace.services.scope import require_firm
from indspace.store import Store, runs

SYSTEM = Principal.system()
FIELD_EN = {
    "revenue": "Revenue",
    "tax": "Tax",
    "value_added": "Value added",
    "employees": "Average employees",
    "energy_tce": "Energy use",
    "electricity_kwh": "Electricity use",
    "emissions": "Main-pollutant emissions",
    "rd_spend": "R&D expenditure",
}


def field_meta(name: str) -> dict[str, Any]:
    """Label (中文 / English) and unit of a correctable figure (the indicators contract)."""
    f = next(f for f in ENTITIES["indicators"].fields if f.name == name)
    return {
        "field": name,
        "label": f.label_zh,
        "label_en": FIELD_EN.get(name, name),
        "unit": f.unit,
    }


def _current(store: Store, credit_code: str, year: int) -> dict[str, Any]:
    frame = store.read_frame("indicators", where={"credit_code": credit_code, "year": year})
    return {} if frame.empty else frame.iloc[0].to_dict()


def objection_fields(
    store: Store, run_id: str, credit_code: str, *, who: Principal = SYSTEM
) -> dict[str, Any]:
    """The correctable figures of a firm for an objection to ``run_id``: each with its label,
    unit and the store's current value (the one an accepted objection replaces), and whether
    the run takes objections now (``open``; else ``closed_reason``)."""
    require_firm(who, store, credit_code)
    run = runs.get_run(store, run_id)
    now = _current(store, credit_code, int(run["year"]))
    fields = [{**field_meta(f), "value": _clean(now.get(f))} for f in ev.OBJECTION_FIELDS]
    child = runs.superseded_by(store, run_id)
    return {
        "run_id": run_id,
        "year": int(run["year"]),
        "credit_code": credit_code,
        "open": run["state"] == "published" and child is None,
        "superseded_by": child,
        "state": run["state"],
        "fields": fields,
    }


def preview_objection(
    store: Store, objection_id: str, *, who: Principal = SYSTEM
) -> dict[str, Any]:
    """Accepting ``objection_id``, in memory: see the module docstring. Officers of the
    firm's district and city administrators (those who decide). Other firms are listed
    within the caller's scope; ``others_outside_scope`` counts the rest."""
    ev.require_objection_decider(who)
    obj = runs.get_objection(store, objection_id)
    code, field = obj["credit_code"], obj["field"]
    require_firm(who, store, code, edit=True)
    run = runs.get_run(store, obj["run_id"])
    year, on = int(run["year"]), run["method_date"]
    profile = ev.run_profile(run)
    method = profile.evaluation_method(on)
    stored_history = run.get("history_years") is not None and (
        run["history_years"] == ev.history_depth(method)
    )
    if stored_history:
        # the run's own grade history (what its policies read), its year's land kept
        inputs, att = ev.kept_year_inputs(store, year, profile, on, method, run)
        history = runs.read_history(store, run["run_id"]) if run["history_years"] else None
    else:  # a run made before its history was stored (revision 0012): evaluate as before
        depth = ev.history_depth(method)
        loaded = ev.load_years(
            store, range(year - depth, year + 1), required=(year,), profile=profile, on=on
        )
        inputs, att = loaded[year], None
    ind = inputs.indicators
    row = ind["credit_code"].eq(code)
    if not row.any():
        raise NotFoundError(
            f"企业 {code} 没有 {year} 年度指标",
            f"enterprise {code} has no {year} indicators",
            where="indicators",
        )
    before_value = _clean(ind.loc[row, field].iloc[0])
    changed = ind.copy()
    changed.loc[row, field] = float(obj["claimed_value"])
    if stored_history:
        comp = ev.compute(
            dataclasses.replace(inputs, indicators=changed),
            method,
            history,
            dual=False,
            att=att,
            policies_for=[code],
        )
    else:
        loaded[year] = dataclasses.replace(inputs, indicators=changed)
        comp, _ = ev.evaluate_year(store, profile, year, on, loaded=loaded, dual=False)

    before = runs.read_results(
        store, run["run_id"], columns=("credit_code", "score", "rank", "grade", "policy_grade")
    ).set_index("credit_code")
    after = comp.results.set_index("credit_code")
    money = comp.policies.groupby("credit_code")["money_yuan"].sum(min_count=1)
    firms = store.read_frame("enterprises", columns=["credit_code", "name", "district"])
    firms = firms.set_index("credit_code")

    def side(frame: pd.DataFrame, c: str) -> dict[str, Any]:
        if c not in frame.index:
            return {"score": None, "rank": None, "grade": None, "policy_grade": None}
        r = frame.loc[c]
        rank = _clean(r["rank"])
        return {
            "score": _clean(r["score"]),
            "rank": None if rank is None else int(rank),
            "grade": _clean(r["grade"]),
            "policy_grade": _clean(r["policy_grade"]),
        }

    me_before = {**side(before, code), "money_yuan": _money(_money_before(store, run, code))}
    me_after = {**side(after, code), "money_yuan": _money(yuan(money.get(code)))}
    codes = sorted(set(before.index) | set(after.index))
    grade_b = before["grade"].reindex(codes).astype("string").fillna("")
    grade_a = after["grade"].reindex(codes).astype("string").fillna("")
    moved = [c for c, x, y in zip(codes, grade_b, grade_a, strict=True) if x != y and c != code]
    frame = pd.DataFrame({"credit_code": moved})
    frame = frame.merge(firms.reset_index(), on="credit_code", how="left")
    visible = frame[who.mask(frame)]
    others = []
    for c in visible["credit_code"]:
        b, a = side(before, c), side(after, c)
        others.append(
            {
                "credit_code": c,
                "name": _clean(firms["name"].get(c)),
                "district": _clean(firms["district"].get(c)),
                "grade_before": b["grade"],
                "grade_after": a["grade"],
                "score_before": b["score"],
                "score_after": a["score"],
                "rank_before": b["rank"],
                "rank_after": a["rank"],
            }
        )
    return {
        "objection_id": objection_id,
        "run_id": run["run_id"],
        "year": year,
        "credit_code": code,
        "name": _clean(firms["name"].get(code)),
        **field_meta(field),
        "value_before": before_value,
        "value_after": float(obj["claimed_value"]),
        "before": me_before,
        "after": me_after,
        "others": others,
        "others_outside_scope": len(frame) - len(visible),
        "stored": False,
    }


def _money_before(store: Store, run: dict[str, Any], code: str) -> Decimal | None:
    """The firm's policy money in the run as stored: from the kept basis figures and grade
    history of a run of revision 0019 (:func:`~indspace.services.evaluation.
    policies_stored`), else from the run's figures (:func:`run_figures`)."""
    if not run.get("derived_version"):
        return run_figures(store, run).set_index("credit_code")["money"].get(code)
    method = ev.run_profile(run).evaluation_method(run["method_date"])
    me = runs.read_results(store, run["run_id"], code)
    if me.empty:
        return None
    rows = ev.policies_stored(store, run, me.iloc[0], method)
    amounts = [r["money_yuan"] for r in rows if r.get("money_yuan") is not None]
    return yuan(sum(amounts)) if amounts else None


def _money(v: Decimal | None) -> str | None:
    return None if v is None else str(v)
