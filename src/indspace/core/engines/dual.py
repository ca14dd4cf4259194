"""地企双评: evaluate the land as well as the enterprise (mujun-evaluation.md §10, default [I]).

1. Parcel benefit: the figures of every enterprise using the parcel (each firm's figures split
   over its parcels in proportion to the land it uses there) summed and divided by the
   parcel's land; scored with the 规上 set when any occupant is above scale, else the 规下 set,
   and graded by the profile's quota rule among the parcels of the same group (the same
   engine as the enterprises: :func:`indspace.core.engines.mujun.evaluate`).
2. Land checks against the control indicators of the profile's ``dual`` section: FAR
   (storeys over 8 m counted twice, 国土资发〔2008〕24号), building coefficient, vacant floor
   share. Each failed check lowers the land grade one class (at most to the worst). A parcel
   nobody uses is ``idle`` and in the worst class.
3. The enterprise × land matrix gives the action the policy calls for: a firm or a parcel is
   good when its class is one of the scale's ``good`` classes (A, B in Zhejiang).

The classes (best → worst) are the method's ``grading.scale``; none is written here.

Inputs: ``parcels`` (parcel_id, area_m2, district), ``stats`` (parcel_id, far_floor_m2,
footprint_m2, floor_area_m2 — m², from the buildings overlaid on the parcels:
:mod:`indspace.core.engines.land_figures`), ``occupied`` (parcel_id,
occupied_floor_m2), the year's ``attribution`` links, ``figures`` (credit_code, scale and the
indicator figures) and the enterprises' ``results`` (credit_code, policy_grade).

Outputs (:class:`DualResult`): ``parcels`` one row per parcel with the columns of the
``parcel_evaluations`` table; ``matrix`` one row per occupant and parcel with
enterprise_grade, land_grade, action.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from indspace.core.engines.land import Attribution, isin
from indspace.core.engines.mujun import FIGURES, evaluate
from indspace.core.model.units import m2_to_mu
from indspace.core.policy.evaluation import Adjustments, EvaluationMethod, Exemptions

ACTIONS = {
    "maintain": "保持（地企均优）",
    "upgrade_or_relocate": "优企劣地：改造提升或迁移入园",
    "tenant_replacement": "劣企优地：腾退更换承租企业",
    "enterprise_upgrade": "劣企优地：企业整改提升",
    "redevelop": "地企双劣：腾挪流转",
}
PARCEL_COLUMNS = ("parcel_id", "district", "population", "land_area_mu", "n_occupants",
                  "score", "rank", "group_size", "benefit_grade", "far",
                  "building_coefficient", "vacant_share", "failed_checks", "land_grade")


@dataclass(frozen=True)
class DualResult:
    parcels: pd.DataFrame
    matrix: pd.DataFrame


def evaluate_parcels(parcels: pd.DataFrame, stats: pd.DataFrame, occupied: pd.DataFrame,
                     attribution: Attribution, figures: pd.DataFrame, results: pd.DataFrame,
                     method: EvaluationMethod, year: int) -> DualResult:
    links = attribution.links
    use, parcel_fig, any_above, n_occ = parcel_figures(links, figures)

    par = parcels.drop_duplicates("parcel_id").set_index("parcel_id")
    pseudo = pd.DataFrame({
        "credit_code": par.index, "district": par["district"].to_numpy(),
        "industry_code": None, "founded": pd.NaT,
        "scale": np.where(any_above.reindex(par.index, fill_value=False), "above", "below")})
    ind = parcel_fig.reindex(par.index).reset_index()
    ind = ind[isin(ind["parcel_id"], n_occ.index)].rename(columns={"parcel_id": "credit_code"})
    land = pd.DataFrame({"credit_code": par.index, "land_m2": par["area_m2"].to_numpy(dtype=float),
                         "merged": False, "landlord": None, "first_right_start": pd.NaT})
    land["land_area_mu"] = m2_to_mu(land["land_m2"].to_numpy())
    plain = method.model_copy(update={"attribution_mode": "tenant_separate",
                                      "exemptions": Exemptions(),
                                      "adjustments": Adjustments(veto_columns=())})
    benefit = evaluate(pseudo, ind, Attribution(firms=land, links=links.iloc[0:0]), plain,
                       year).results.set_index("credit_code")

    out = pd.DataFrame(index=par.index)
    out["district"] = par["district"]
    out["population"] = benefit["population"]
    out["land_area_mu"] = m2_to_mu(par["area_m2"].astype(float))
    out["n_occupants"] = n_occ.reindex(par.index, fill_value=0).astype("int64")
    out["score"] = benefit["score"]
    out["rank"] = benefit["rank"]
    out["group_size"] = benefit["group_size"]
    out["benefit_grade"] = benefit["grade"]
    st = stats.drop_duplicates("parcel_id").set_index("parcel_id").reindex(par.index)
    area = par["area_m2"].astype(float)
    out["far"] = st["far_floor_m2"].fillna(0.0) / area
    out["building_coefficient"] = st["footprint_m2"].fillna(0.0) / area
    gfa = st["floor_area_m2"].fillna(0.0)
    occ = occupied.set_index("parcel_id")["occupied_floor_m2"].reindex(par.index).fillna(0.0)
    out["vacant_share"] = ((gfa - occ).clip(lower=0.0) / gfa).where(gfa > 0, np.nan)

    d = method.dual
    checks = {"far_below_min": out["far"] < d.min_far,
              "coverage_below_min": out["building_coefficient"] < d.min_building_coefficient,
              "vacancy_above_max": out["vacant_share"].fillna(0.0) > d.max_vacant_share}
    failed = pd.DataFrame(checks)
    idle = out["n_occupants"].eq(0)
    failed["idle"] = idle
    text = np.full(len(out), "", dtype=object)
    for name in failed.columns:          # "far_below_min,vacancy_above_max", … ("" = none)
        text = np.where(failed[name].to_numpy(), text + "," + name, text)
    out["failed_checks"] = pd.Series(text, index=out.index).str.lstrip(",")
    failed = failed.drop(columns="idle")
    scale = method.grading.scale
    classes = np.array(scale.codes)
    last = len(classes) - 1
    base = pd.Series(out["benefit_grade"], dtype="string").map(
        {g: i for i, g in enumerate(scale.codes)})
    steps = failed.sum(axis=1) if d.downgrade_per_failed_check else failed.any(axis=1) * 0
    idx = (base + steps).clip(upper=last)
    out["land_grade"] = pd.Series(classes[idx.fillna(last).astype(int).to_numpy()],
                                  index=out.index)
    out.loc[base.isna() & ~idle, "land_grade"] = None
    out.index.name = "parcel_id"
    parcels_out = out.reset_index()[list(PARCEL_COLUMNS)].sort_values("parcel_id",
                                                                      ignore_index=True)
    return DualResult(parcels=parcels_out,
                      matrix=_matrix(use, results, parcels_out.set_index("parcel_id"),
                                     scale.good))


def parcel_figures(links: pd.DataFrame, figures: pd.DataFrame
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """The figures of the enterprises using each parcel, summed per parcel.

    Each firm's figures are split over its parcels in proportion to the land it uses there
    (owned − leased out, or leased). Returns ``use`` (credit_code, parcel_id, use_m2, tenure),
    ``parcel_fig`` (per parcel_id: Σ of every figure, missing where no occupant has it),
    ``any_above`` (per parcel_id: an above-scale occupant) and ``n_occ`` (occupants).
    """
    use = _land_use(links)
    fig = figures.drop_duplicates("credit_code").set_index("credit_code").reindex(
        columns=["scale", *FIGURES])
    use = use[isin(use["credit_code"], fig.index)]
    total = use.groupby("credit_code")["use_m2"].transform("sum")
    w = (use["use_m2"] / total).where(total > 0, 0.0).to_numpy()
    parts = fig.loc[use["credit_code"], list(FIGURES)].reset_index(drop=True).mul(w, axis=0)
    parts["parcel_id"] = use["parcel_id"].to_numpy()
    parcel_fig = parts.groupby("parcel_id").sum(min_count=1)
    above = fig["scale"].eq("above")
    any_above = use.assign(above=use["credit_code"].map(above).fillna(False).astype(bool)) \
        .groupby("parcel_id")["above"].any()
    n_occ = use.groupby("parcel_id")["credit_code"].nunique()
    return use, parcel_fig, any_above, n_occ


def _land_use(links: pd.DataFrame) -> pd.DataFrame:
    """Land each firm uses on each parcel: owned − leased out there, or leased."""
    signed = pd.DataFrame({
        "credit_code": links["credit_code"], "parcel_id": links["parcel_id"],
        "use_m2": np.where(links["tenure"].eq("leased_out"), -links["land_m2"],
                           links["land_m2"]),
        "leased": links["tenure"].eq("leased").to_numpy()})
    use = signed.groupby(["credit_code", "parcel_id"], as_index=False, sort=True).agg(
        use_m2=("use_m2", "sum"), leased=("leased", "max"))
    use["tenure"] = np.where(use["leased"], "leased", "owned")
    use = use.drop(columns="leased")
    return use[use["use_m2"] > 0].reset_index(drop=True)


def _matrix(use: pd.DataFrame, results: pd.DataFrame, parcels: pd.DataFrame,
            good: tuple[str, ...]) -> pd.DataFrame:
    grade = results.set_index("credit_code")["policy_grade"]
    m = use[["credit_code", "parcel_id", "tenure"]].copy()
    m["enterprise_grade"] = m["credit_code"].map(grade)
    m["land_grade"] = m["parcel_id"].map(parcels["land_grade"])
    good_firm = m["enterprise_grade"].isin(list(good))
    good_land = m["land_grade"].isin(list(good))
    known = m["enterprise_grade"].notna() & m["land_grade"].notna()
    action = np.select(
        [good_firm & good_land, good_firm & ~good_land,
         ~good_firm & good_land & m["tenure"].eq("leased"), ~good_firm & good_land],
        ["maintain", "upgrade_or_relocate", "tenant_replacement", "enterprise_upgrade"],
        "redevelop")
    m["action"] = pd.Series(action, index=m.index).where(known)
    m["action_label"] = m["action"].map(ACTIONS)
    return m.sort_values(["parcel_id", "credit_code"], ignore_index=True)
