"""Use cases of low-efficiency land (issue #6): identify parcels, delineate units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from indspace.core.engines.dual import parcel_figures
from indspace.core.engines.lowuse import CRITERIA, LowuseParams, identify
from indspace.core.engines.units import delineate, unit_table
from indspace.core.errors import ValidationError
from indspace.services.controlline import parcel_overlay
from indspace.services.evaluation import (
    Computation,
    Inputs,
    compute,
    load_inputs,
    method_date,
    resolve_profile,
)
from indspace.store import Store


def params_from_profile(profile: str, on: date) -> LowuseParams:
    prof = resolve_profile(profile)
    raw = dict(prof.value("low_efficiency_criteria", on))
    raw["conforming_use_prefixes"] = tuple(raw.get("conforming_use_prefixes", ("1001",)))
    if "triggers" in raw:
        raw["triggers"] = tuple(raw["triggers"])
    table = prof.value("min_plot_ratio_by_industry", on)
    return LowuseParams(**raw, min_plot_ratio_by_industry={str(k): float(v)
                                                           for k, v in table.items()})


@dataclass
class Context:
    """What the low-efficiency steps read for one year, loaded and computed once."""

    year: int
    profile: str
    inputs: Inputs
    comp: Computation
    overlay: pd.DataFrame          # parcel_id, status, inside_m2 … (control line now)


def context(store: Store, year: int, profile: str = "ningbo-demo") -> Context:
    prof = resolve_profile(profile)
    inputs = load_inputs(store, year)
    comp = compute(inputs, prof.evaluation_method(method_date(year)))
    return Context(year, profile, inputs, comp, pd.DataFrame(parcel_overlay(store,
                                                                            profile=profile)))


def parcel_table(store: Store, ctx: Context) -> pd.DataFrame:
    """Every parcel with the numbers the low-efficiency test reads (see engines/lowuse.py)."""
    inputs, comp = ctx.inputs, ctx.comp
    figures = inputs.firms[["credit_code", "scale"]].merge(inputs.indicators, on="credit_code")
    use, parcel_fig, _, _ = parcel_figures(comp.attribution.links, figures)
    grades = comp.results.set_index("credit_code")["policy_grade"]
    d_firm = use["credit_code"].map(grades).eq("D").fillna(False).astype(bool)
    any_d = d_firm.groupby(use["parcel_id"]).any()
    par = inputs.parcels
    industry = inputs.firms.set_index("credit_code")["industry_code"].astype("string").str[:2]
    b = store.read_frame("buildings", columns=["parcel_id", "year_built", "gfa_m2"])
    b = b[b["parcel_id"].notna() & b["year_built"].notna()]
    weight = b["gfa_m2"].astype("float64").fillna(0.0) + 1e-9      # unknown floor: equal
    age = (b["year_built"].astype("float64") * weight).groupby(b["parcel_id"]).sum() \
        / weight.groupby(b["parcel_id"]).sum()
    dual = comp.dual.parcels.set_index("parcel_id")
    stats = inputs.building_stats.set_index("parcel_id")
    line = ctx.overlay.set_index("parcel_id")["status"]
    ids = par["parcel_id"]
    table = pd.DataFrame({
        "parcel_id": ids, "district": par["district"], "area_m2": par["area_m2"],
        "land_use_code": store.read_frame("parcels", columns=["parcel_id", "land_use_code"])
        .set_index("parcel_id")["land_use_code"].reindex(ids).to_numpy(),
        "right_start": par["right_start"],
        "owner_credit_code": par["owner_credit_code"],
        "division": par["owner_credit_code"].map(industry).to_numpy(),
        "tax": ids.map(parcel_fig["tax"]).to_numpy(dtype="float64", na_value=np.nan),
        "far": ids.map(dual["far"]).to_numpy(dtype="float64", na_value=np.nan),
        "vacant_share": ids.map(dual["vacant_share"]).to_numpy(dtype="float64",
                                                               na_value=np.nan),
        "n_occupants": ids.map(dual["n_occupants"]).fillna(0).astype("int64").to_numpy(),
        "floor_area_m2": ids.map(stats["floor_area_m2"]).fillna(0.0).to_numpy(),
        "mean_year_built": ids.map(age).to_numpy(dtype="float64", na_value=np.nan),
        "line_status": ids.map(line).to_numpy(),
        "any_d": ids.map(any_d).fillna(False).astype(bool).to_numpy()})
    return table


def identify_parcels(store: Store, year: int, profile: str = "ningbo-demo",
                     ctx: Context | None = None) -> pd.DataFrame:
    """All parcels with every criterion's flag and numbers."""
    ctx = ctx or context(store, year, profile)
    params = params_from_profile(profile, method_date(year))
    return identify(parcel_table(store, ctx), params, year)


OUT_COLUMNS = ("parcel_id", "district", "area_m2", "criteria", "triggers", "n_criteria",
               *CRITERIA,
               "tax_per_mu", "industry_avg_tax_per_mu", "far", "industry_min_far",
               "vacant_share", "building_age", "line_status", "division",
               "owner_credit_code")


def write_lowuse(path: Path, result: pd.DataFrame) -> Path:
    """One row per low-efficiency parcel, CSV or XLSX, written atomically."""
    rows = result.loc[result["low_efficiency"], list(OUT_COLUMNS)]
    suffix = path.suffix.lower()
    tmp = path.with_name(path.name + ".part")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        rows.to_csv(tmp, index=False, lineterminator="\n")
    elif suffix == ".xlsx":
        with pd.ExcelWriter(tmp, engine="xlsxwriter") as xl:
            rows.to_excel(xl, sheet_name="低效用地", index=False)
            xl.sheets["低效用地"].freeze_panes(1, 0)
    else:
        raise ValidationError(f"不支持的输出格式：{path.suffix}",
                              f"unsupported output format: {path.suffix}", where=str(path),
                              hint_zh="使用 .csv 或 .xlsx", hint_en="use .csv or .xlsx")
    tmp.replace(path)
    return path


# ------------------------------------------------------------------ contiguous units
def delineate_units(store: Store, year: int, *, gap_m: float | None = None,
                    profile: str = "ningbo-demo", ctx: Context | None = None,
                    lowuse: pd.DataFrame | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Low-efficiency parcels of ``year`` grouped into redevelopment units.

    Returns ``(members, units)``: parcel → unit_id, and one row per unit with its area,
    owners, enterprises, floor area, FAR, collective and in-line shares, occupant grades and
    the floor area gained at the 工业上楼 target FAR (``min_plot_ratio_new_supply_urban``).
    """
    on = method_date(year)
    prof = resolve_profile(profile)
    gap = float(gap_m if gap_m is not None
                else prof.value("redevelopment_unit_adjacency_m", on))
    if gap < 0:
        raise ValidationError(f"连片间距不能为负：{gap}", f"the gap cannot be negative: {gap}",
                              where="--gap")
    ctx = ctx or context(store, year, profile)
    if lowuse is None:
        lowuse = identify_parcels(store, year, profile, ctx)
    low_ids = set(lowuse.loc[lowuse["low_efficiency"], "parcel_id"])
    parcels = store.read_frame("parcels", columns=["parcel_id", "district", "area_m2",
                                                   "owner_credit_code", "right_type",
                                                   "geometry"])
    low = parcels[parcels["parcel_id"].isin(low_ids)].reset_index(drop=True)
    members = delineate(low, gap)
    inside = ctx.overlay.set_index("parcel_id")["inside_m2"]
    attrs = pd.DataFrame(low.drop(columns="geometry")).assign(
        inside_m2=low["parcel_id"].map(inside).to_numpy())
    inputs, comp = ctx.inputs, ctx.comp
    occupants = comp.attribution.links.loc[
        comp.attribution.links["tenure"] != "leased_out", ["parcel_id", "credit_code"]]
    grades = comp.results.set_index("credit_code")["policy_grade"].dropna()
    target = float(prof.value("min_plot_ratio_new_supply_urban", on))
    units = unit_table(members, attrs, stats=inputs.building_stats, occupants=occupants,
                       grades=grades, target_far=target)
    return members, units


def write_units(path: Path, units: pd.DataFrame) -> Path:
    """One row per unit (CSV, or XLSX with Chinese sheet name), written atomically."""
    suffix = path.suffix.lower()
    tmp = path.with_name(path.name + ".part")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        units.to_csv(tmp, index=False, lineterminator="\n")
    elif suffix == ".xlsx":
        with pd.ExcelWriter(tmp, engine="xlsxwriter") as xl:
            units.to_excel(xl, sheet_name="连片改造单元", index=False)
            xl.sheets["连片改造单元"].freeze_panes(1, 0)
    else:
        raise ValidationError(f"不支持的输出格式：{path.suffix}",
                              f"unsupported output format: {path.suffix}", where=str(path),
                              hint_zh="使用 .csv 或 .xlsx", hint_en="use .csv or .xlsx")
    tmp.replace(path)
    return path
