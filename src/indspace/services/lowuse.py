"""Use cases of low-efficiency land (issue #6): identify parcels, delineate units."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from indspace.core.access import Principal
from indspace.core.engines.dual import parcel_figures
from indspace.core.engines.lowuse import CRITERIA, LowuseParams, identify
from indspace.core.engines.planned_use import PlannedUseRules, planned_use_by_unit
from indspace.core.engines.redevelop import (
    RedevelopRules,
    classify_outside_firms,
    classify_projects,
    recommend_modes,
    unit_districts,
)
from indspace.core.engines.units import (
    delineate,
    space_ledger,
    target_far_by_parcel,
    unit_table,
)
from indspace.core.errors import ValidationError
from indspace.core.policy import PolicyProfile
from indspace.services.controlline import parcel_overlay
from indspace.services.evaluation import (
    Computation,
    Inputs,
    evaluate_year,
    grade_history,
    history_depth,
    resolve_profile,
    run_day,
    run_profile,
    stored_computation,
)
from indspace.services.output import (
    atomic,
    csv_safe,
    json_value,
    unsupported_format,
    write_sheets,
)
from indspace.settings import DEFAULT_PROFILE
from indspace.store import Store, runs
from indspace.store.lowuse_runs import list_lowuse_runs, read_lowuse_units, save_lowuse_run


def params_from_profile(profile: str | PolicyProfile, on: date) -> LowuseParams:
    prof = profile if isinstance(profile, PolicyProfile) else resolve_profile(profile)
    return LowuseParams.from_values(prof.value("low_efficiency_criteria", on),
                                    prof.value("min_plot_ratio_by_industry", on))


@dataclass
class Context:
    """What the low-efficiency steps read for one year, loaded and computed once: the
    profile (resolved once, or an evaluation run's stored copy), the method date whose
    values are in force, the year's evaluation and the control-line overlay."""

    year: int
    profile: PolicyProfile
    on: date
    inputs: Inputs
    comp: Computation
    overlay: pd.DataFrame          # parcel_id, status, inside_m2 … (control line now)
    evaluation_run_id: str | None = None
    _parcel_attrs: pd.DataFrame | None = None

    def parcel_attrs(self, store: Store) -> pd.DataFrame:
        """The current parcels' attributes the steps read (:data:`PARCEL_ATTRS`, sorted by
        parcel_id), read from the store once per context."""
        if self._parcel_attrs is None:
            self._parcel_attrs = store.read_frame("parcels", columns=list(PARCEL_ATTRS))
        return self._parcel_attrs


PARCEL_ATTRS = ("parcel_id", "district", "area_m2", "owner_credit_code", "right_type",
                "land_use_code")
"""The parcel columns the low-efficiency steps read besides the year's inputs."""


def context(store: Store, year: int | None = None,
            profile: str | PolicyProfile = DEFAULT_PROFILE, *, method_on: date | None = None,
            evaluation_run_id: str | None = None) -> Context:
    """The context of ``year`` under ``profile`` with the values in force on ``method_on``
    (default: today in the deployment's time zone) — or, with ``evaluation_run_id``, that
    run's year, stored profile and method date (whatever happened to the file since)."""
    stored = None
    if evaluation_run_id is not None:
        run = runs.get_run(store, evaluation_run_id)
        prof, year, on = run_profile(run), int(run["year"]), run["method_date"]
        # what the run stored, while the store's inputs are still those it saw
        stored = stored_computation(store, run, prof)
    else:
        if year is None:
            raise ValidationError("需要年度或评价批次", "give a year or an evaluation run",
                                  where="--year")
        prof = profile if isinstance(profile, PolicyProfile) else resolve_profile(profile)
        on = method_on or run_day(store, datetime.now(UTC))
    if stored is not None:
        comp, inputs = stored
    else:
        comp, loaded = evaluate_year(store, prof, year, on)
        inputs = loaded[year]
    return Context(year, prof, on, inputs, comp,
                   pd.DataFrame(parcel_overlay(store, profile=prof)), evaluation_run_id)


def parcel_table(store: Store, ctx: Context) -> pd.DataFrame:
    """Every parcel with the numbers the low-efficiency test reads (see engines/lowuse.py)."""
    return parcel_frame(ctx.inputs, ctx.comp, ctx.overlay,
                        ctx.parcel_attrs(store).set_index("parcel_id")["land_use_code"])


def parcel_frame(inputs: Inputs, comp: Computation, overlay: pd.DataFrame,
                 land_use_code: pd.Series) -> pd.DataFrame:
    """:func:`parcel_table` from frames: the year's inputs and evaluation, the control-line
    overlay (parcel_id, status) and each parcel's land-use code (indexed by parcel_id) — the
    store-free form the annual pipeline uses (``indspace pipeline``)."""
    figures = inputs.firms[["credit_code", "scale"]].merge(inputs.indicators, on="credit_code")
    use, parcel_fig, _, _ = parcel_figures(comp.attribution.links, figures)
    grades = comp.results.set_index("credit_code")["policy_grade"]
    worst = comp.method.grading.scale.worst           # the grade_d criterion: "D" firms
    d_firm = use["credit_code"].map(grades).eq(worst).fillna(False).astype(bool)
    any_d = d_firm.groupby(use["parcel_id"]).any()
    par = inputs.parcels
    firms = inputs.firms.set_index("credit_code")
    industry = firms["industry_code"].astype("string").str[:2]
    dual = comp.dual.parcels.set_index("parcel_id")
    stats = inputs.building_stats.set_index("parcel_id")
    line = overlay.set_index("parcel_id")["status"]
    ids = par["parcel_id"]
    table = pd.DataFrame({
        "parcel_id": ids, "district": par["district"], "area_m2": par["area_m2"],
        "land_use_code": land_use_code.reindex(ids).to_numpy(),
        "right_start": par["right_start"],
        "owner_credit_code": par["owner_credit_code"],
        "division": par["owner_credit_code"].map(industry).to_numpy(),
        "scale": par["owner_credit_code"].map(firms["scale"]).to_numpy(),
        "tax": ids.map(parcel_fig["tax"]).to_numpy(dtype="float64", na_value=np.nan),
        "far": ids.map(dual["far"]).to_numpy(dtype="float64", na_value=np.nan),
        "vacant_share": ids.map(dual["vacant_share"]).to_numpy(dtype="float64",
                                                               na_value=np.nan),
        "n_occupants": ids.map(dual["n_occupants"]).fillna(0).astype("int64").to_numpy(),
        "floor_area_m2": ids.map(stats["floor_area_m2"]).fillna(0.0).to_numpy(),
        "mean_year_built": ids.map(stats["mean_year_built"]).to_numpy(dtype="float64",
                                                                       na_value=np.nan),
        "line_status": ids.map(line).to_numpy(),
        "any_d": ids.map(any_d).fillna(False).astype(bool).to_numpy()})
    return table


def identify_parcels(store: Store, year: int | None = None,
                     profile: str | PolicyProfile = DEFAULT_PROFILE, ctx: Context | None = None,
                     *, method_on: date | None = None) -> pd.DataFrame:
    """All parcels with every criterion's flag and numbers."""
    ctx = ctx or context(store, year, profile, method_on=method_on)
    params = params_from_profile(ctx.profile, ctx.on)
    return identify(parcel_table(store, ctx), params, ctx.year)


OUT_COLUMNS = ("parcel_id", "district", "area_m2", "criteria", "triggers", "n_criteria",
               *CRITERIA,
               "tax_per_mu", "industry_avg_tax_per_mu", "far", "industry_min_far",
               "vacant_share", "building_age", "line_status", "division",
               "owner_credit_code")


def write_lowuse(path: Path, result: pd.DataFrame) -> Path:
    """One row per low-efficiency parcel, CSV or XLSX, written atomically."""
    return _write_table(path, result.loc[result["low_efficiency"], list(OUT_COLUMNS)],
                        "低效用地")


def _write_table(path: Path, frame: pd.DataFrame, sheet: str) -> Path:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise unsupported_format(path, (".csv", ".xlsx"))
    with atomic(path) as tmp:
        if suffix == ".csv":
            csv_safe(frame).to_csv(tmp, index=False, lineterminator="\n")
        else:
            write_sheets(tmp, {sheet: frame})
    return path


# ------------------------------------------------------------------ contiguous units
def delineate_units(store: Store, year: int | None = None, *, gap_m: float | None = None,
                    profile: str | PolicyProfile = DEFAULT_PROFILE, ctx: Context | None = None,
                    lowuse: pd.DataFrame | None = None, method_on: date | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Low-efficiency parcels of ``year`` grouped into redevelopment units.

    Returns ``(members, units)``: parcel → unit_id, and one row per unit with its area,
    owners, enterprises, floor area, FAR, collective and in-line shares, occupant grades and
    the floor area gained at the 工业上楼 target FAR (``min_plot_ratio_new_supply_urban``).
    """
    ctx = ctx or context(store, year, profile, method_on=method_on)
    prof, on = ctx.profile, ctx.on
    gap = float(gap_m if gap_m is not None
                else prof.value("redevelopment_unit_adjacency_m", on))
    if gap < 0:
        raise ValidationError(f"连片间距不能为负：{gap}", f"the gap cannot be negative: {gap}",
                              where="--gap")
    if lowuse is None:
        lowuse = identify_parcels(store, ctx=ctx)
    low_ids = set(lowuse.loc[lowuse["low_efficiency"], "parcel_id"])
    parcels = _parcel_shapes(store, ctx)
    low = parcels[parcels["parcel_id"].isin(low_ids)].reset_index(drop=True)
    members = delineate(low, gap)
    inside = ctx.overlay.set_index("parcel_id")["inside_m2"]
    attrs = pd.DataFrame(low.drop(columns="geometry")).assign(
        inside_m2=low["parcel_id"].map(inside).to_numpy())
    inputs, comp = ctx.inputs, ctx.comp
    occupants = comp.attribution.links.loc[
        comp.attribution.links["tenure"] != "leased_out", ["parcel_id", "credit_code"]]
    grades = comp.results.set_index("credit_code")["policy_grade"].dropna()
    units = unit_table(members, attrs, stats=inputs.building_stats, occupants=occupants,
                       grades=grades, grade_classes=comp.method.grading.scale.codes,
                       target_far=target_far(prof, on, low, lowuse))
    plans = planned_uses(store, prof, on, low.merge(members, on="parcel_id"))
    if plans is not None:
        units = units.merge(plans, on="unit_id", how="left")
    return members, units


def _parcel_shapes(store: Store, ctx: Context) -> gpd.GeoDataFrame:
    """The current parcels (parcel_id, district, area_m2, owner_credit_code, right_type,
    geometry), sorted by parcel_id: the attributes of :meth:`Context.parcel_attrs` with the
    geometries the context's control-line overlay already read (the same parcels in the
    same order), so that the geometries are not read and decoded twice."""
    attrs, overlay = ctx.parcel_attrs(store), ctx.overlay
    if "geometry" not in overlay.columns or not np.array_equal(
            overlay["parcel_id"].to_numpy(dtype=object), attrs["parcel_id"].to_numpy(dtype=object)):
        return store.read_frame("parcels", columns=[*PARCEL_ATTRS[:-1], "geometry"])
    return gpd.GeoDataFrame(attrs[list(PARCEL_ATTRS[:-1])],
                            geometry=gpd.GeoSeries(overlay["geometry"].array, crs=store.srid))


def planned_uses(store: Store, profile: PolicyProfile, on: date,
                 parcels: pd.DataFrame) -> pd.DataFrame | None:
    """Each unit's planned use on ``on`` from the stored plan zones (majority overlay of
    its parcels, :mod:`indspace.core.engines.planned_use`); None when the profile has no
    ``planned_use_rules`` (its units never convert)."""
    if "planned_use_rules" not in profile.parameters:
        return None
    zones = store.read_frame("plan_zones", columns=["zone_id", "planned_use", "approved",
                                                    "document", "geometry"])
    return zone_uses(zones, profile, on, parcels)


def zone_uses(zones: pd.DataFrame, profile: PolicyProfile, on: date,
              parcels: pd.DataFrame) -> pd.DataFrame | None:
    """:func:`planned_uses` from the plan-zone frame (zone_id, planned_use, approved,
    document, geometry)."""
    if "planned_use_rules" not in profile.parameters:
        return None
    rules = PlannedUseRules.from_values(profile.value("planned_use_rules", on))
    out = planned_use_by_unit(parcels[["unit_id", "geometry"]], zones, on, rules)
    # the approval day as ISO text (stored in the run's JSON detail, shown in exports)
    out["plan_approved"] = [d.isoformat() if isinstance(d, date) else None
                            for d in out["plan_approved"]]
    return out


def target_far(profile: PolicyProfile, on: date, parcels: pd.DataFrame,
               lowuse: pd.DataFrame) -> pd.Series:
    """Each parcel's target FAR from the profile (市区 2.0, M0 2.5, a county's own value,
    else the A6 industry floor; see :func:`~indspace.core.engines.units.target_far_by_parcel`);
    ``lowuse`` gives each parcel's land-use code and occupant division."""
    known = lowuse.set_index("parcel_id")
    frame = pd.DataFrame({
        "parcel_id": parcels["parcel_id"].to_numpy(),
        "district": parcels["district"].to_numpy(),
        "land_use_code": parcels["parcel_id"].map(known["land_use_code"]).to_numpy(),
        "division": parcels["parcel_id"].map(known["division"]).to_numpy()})
    table = profile.value("min_plot_ratio_by_industry", on)
    return target_far_by_parcel(
        frame, urban_districts=list(profile.value("urban_districts", on)),
        urban_far=float(profile.value("min_plot_ratio_new_supply_urban", on)),
        m0_far=float(profile.value("min_plot_ratio_m0", on)),
        district_far=dict(profile.value("min_plot_ratio_new_supply_by_district", on)),
        industry_far={str(k): float(v) for k, v in table.items()})


def write_units(path: Path, units: pd.DataFrame) -> Path:
    """One row per unit (CSV, or XLSX with a Chinese sheet name), written atomically."""
    return _write_table(path, units, "连片改造单元")


# ------------------------------------------------------------------ the plan (items 3–7)
@dataclass
class Plan:
    run: dict[str, Any]
    parcels: pd.DataFrame           # low-efficiency parcels with criteria and unit_id
    units: pd.DataFrame             # units with project type, mode, reasons
    outside_firms: pd.DataFrame     # outside-line enterprises with their class and reasons
    ledger: pd.DataFrame            # space ledger by district and city


def outside_line_firms(store: Store, ctx: Context, lowuse: pd.DataFrame) -> pd.DataFrame:
    """Enterprises owning land outside the control line, with the columns
    :func:`~indspace.core.engines.redevelop.classify_outside_firms` reads."""
    par = ctx.inputs.parcels.set_index("parcel_id")
    status = ctx.overlay.set_index("parcel_id")["status"]
    out_parcels = status.index[status.eq("outside")]
    owners = par.loc[par.index.intersection(out_parcels), ["owner_credit_code", "area_m2"]]
    owners = owners[owners["owner_credit_code"].notna()].reset_index()
    if owners.empty:
        return pd.DataFrame(columns=["credit_code"])
    # the firm's largest outside parcel stands for its land
    main = owners.sort_values(["owner_credit_code", "area_m2", "parcel_id"],
                              ascending=[True, False, True]).drop_duplicates("owner_credit_code")
    flags = lowuse.set_index("parcel_id")
    uses = ctx.parcel_attrs(store).set_index("parcel_id")["land_use_code"]
    firms = ctx.inputs.firms.set_index("credit_code")
    history = recent_grades(store, ctx, 2)
    hist = pd.concat([history, ctx.comp.results[["credit_code", "policy_grade"]]
                      .assign(year=ctx.year)], ignore_index=True)
    letters = grade_letters(hist)
    ind = ctx.inputs.indicators.set_index("credit_code")
    veto = (ind[["safety_veto", "environment_veto"]].astype("boolean").fillna(False)
            .any(axis=1))
    codes = main["owner_credit_code"]
    return pd.DataFrame({
        "credit_code": codes.to_numpy(), "parcel_id": main["parcel_id"].to_numpy(),
        "grade_history": codes.map(letters).fillna("").to_numpy(),
        "industry_code": codes.map(firms["industry_code"]).to_numpy(),
        "land_use_code": main["parcel_id"].map(uses).to_numpy(),
        "chain_361": codes.map(firms["chain"]).to_numpy(),
        "risk_flag": codes.map(veto).fillna(False).astype(bool).to_numpy(),
        "idle": main["parcel_id"].map(flags["idle"]).fillna(False).astype(bool).to_numpy(),
        "low_efficiency": main["parcel_id"].map(flags["low_efficiency"]).fillna(False)
        .astype(bool).to_numpy(),
        "land_retained": pd.array([pd.NA] * len(main), dtype="boolean")})


def recent_grades(store: Store, ctx: Context, years: int) -> pd.DataFrame:
    """Policy grades of the ``years`` years before the context's year: the grade history
    the year's evaluation already computed when it reaches that far back (the same rows,
    :func:`~indspace.services.evaluation.grade_history`), else evaluated anew."""
    span = range(ctx.year - years, ctx.year)
    known = ctx.comp.history
    if known is not None and history_depth(ctx.comp.method) >= years:
        return known[known["year"].isin(span)].reset_index(drop=True)
    return grade_history(store, ctx.profile, ctx.year, years)


def grade_letters(history: pd.DataFrame) -> pd.Series:
    """Per credit_code, its policy grades in year order as one string ("-" for a year
    evaluated without a grade; a year without a row adds nothing), e.g. "BCD"."""
    grade = history["policy_grade"].astype(object)
    wide = pd.DataFrame({
        "credit_code": history["credit_code"].to_numpy(dtype=object),
        "year": history["year"].to_numpy(),
        "g": grade.where(grade.notna(), "-").to_numpy(dtype=object),
    }).pivot(index="credit_code", columns="year", values="g")
    letters = pd.Series("", index=wide.index, dtype=object)
    for y in sorted(wide.columns):
        letters = letters + wide[y].fillna("")
    letters.index.name = "credit_code"
    return letters.rename("g")


def plan(store: Store, year: int | None = None, *, gap_m: float | None = None,
         profile: str | PolicyProfile = DEFAULT_PROFILE, actor: str = "cli",
         now: datetime | None = None, method_on: date | None = None,
         evaluation_run_id: str | None = None) -> Plan:
    """Identify, delineate, classify each unit (project type, mode) and each outside-line
    firm, total the space ledger, and store it all as one run (with the profile's text and
    the method date). With ``evaluation_run_id`` the plan is made on that evaluation run:
    its year, stored profile and method date."""
    at = now or datetime.now(UTC)
    ctx = context(store, year, profile, method_on=method_on or run_day(store, at),
                  evaluation_run_id=evaluation_run_id)
    prof, on, year = ctx.profile, ctx.on, ctx.year
    lowuse = identify_parcels(store, ctx=ctx)
    gap = float(gap_m if gap_m is not None
                else prof.value("redevelopment_unit_adjacency_m", on))
    members, units = delineate_units(store, gap_m=gap, ctx=ctx, lowuse=lowuse)
    rules = RedevelopRules.from_profile(prof, on)
    district_of = pd.Series(unit_districts(units).to_numpy(), index=units["unit_id"].to_numpy())
    units = recommend_modes(classify_projects(units, rules), rules,
                            district_of_unit=district_of)
    firms = outside_line_firms(store, ctx, lowuse)
    firms = classify_outside_firms(firms, rules) if len(firms) else firms
    ledger = space_ledger(units, district_of, float(prof.value("low_efficiency_target_mu", on)))
    low = lowuse[lowuse["low_efficiency"]].merge(members, on="parcel_id", how="left")
    summary = {
        "low_efficiency_parcels": len(low), "units": len(units),
        "project_types": {k: int(v) for k, v in
                          sorted(units["project_type"].value_counts().items())},
        "modes": {k: int(v) for k, v in sorted(units["mode"].value_counts().items())},
        "outside_firms": ({k: int(v) for k, v in sorted(
            firms["outside_line_class"].value_counts().items())} if len(firms) else {}),
        "ledger_city": json.loads(ledger[ledger["district"] == "全市"].to_json(
            orient="records", force_ascii=False))}
    detail_cols = [c for c in units.columns if c not in (
        "unit_id", "district", "parcel_count", "area_mu", "potential_gfa_m2",
        "project_type", "mode")]
    detail = [json.dumps(row, ensure_ascii=False, sort_keys=True, default=str)
              for row in json.loads(units[detail_cols].to_json(orient="records",
                                                                 force_ascii=False))]
    run = save_lowuse_run(store, {
        "year": year, "profile_id": prof.id, "profile_hash": prof.content_hash, "gap_m": gap,
        "profile_text": prof.text, "method_date": on, "evaluation_run_id": evaluation_run_id,
        "created_at": at, "actor": actor,
        "summary_json": json.dumps(summary, ensure_ascii=False, sort_keys=True)},
        low[["parcel_id", "criteria", "triggers", "unit_id"]],
        units[["unit_id", "district", "parcel_count", "area_mu", "potential_gfa_m2",
               "project_type", "mode"]].assign(detail_json=detail))
    return Plan(run, low, units, firms, ledger)


def write_plan(path: Path, result: Plan, store: Store) -> Path:
    """XLSX (sheets 改造单元, 低效宗地, 线外企业, 空间台账) or GeoPackage (layers lowuse_units
    with each unit's outline, lowuse_parcels, and the two tables)."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".gpkg"):
        raise unsupported_format(path, (".xlsx", ".gpkg"))
    sheets = {"改造单元": result.units, "低效宗地": result.parcels,
              "线外企业": result.outside_firms, "空间台账": result.ledger}
    with atomic(path) as tmp:
        if suffix == ".xlsx":
            write_sheets(tmp, sheets)
        else:
            _write_plan_layers(tmp, result, store)
    return path


def _write_plan_layers(tmp: Path, result: Plan, store: Store) -> None:
    import geopandas as gpd
    import pyogrio

    geoms = store.read_frame("parcels", columns=["parcel_id", "geometry"])
    parcels = geoms.merge(result.parcels, on="parcel_id", how="inner")
    pyogrio.write_dataframe(parcels, tmp, layer="lowuse_parcels", driver="GPKG")
    outline = parcels[["unit_id", "geometry"]].dissolve(by="unit_id").reset_index()
    units = gpd.GeoDataFrame(result.units.merge(outline, on="unit_id", how="left"),
                             geometry="geometry", crs=geoms.crs)
    pyogrio.write_dataframe(units, tmp, layer="lowuse_units", driver="GPKG")
    for name, frame in (("outside_line_firms", result.outside_firms),
                        ("space_ledger", result.ledger)):
        pyogrio.write_dataframe(pd.DataFrame(frame), tmp, layer=name, driver="GPKG")



# ------------------------------------------------------------------ reading runs (web)
def runs_list(store: Store, *, who: Principal) -> list[dict[str, Any]]:
    """Low-efficiency runs, oldest first, with their summaries (any logged-in role)."""
    who.require_login()
    frame = list_lowuse_runs(store)
    out = []
    for row in frame.drop(columns=["fid", "profile_text"]).to_dict("records"):
        row["summary"] = json.loads(row.pop("summary_json"))
        row["created_at"] = row["created_at"].isoformat()
        row["method_date"] = json_value(row["method_date"])
        out.append(row)
    return out


UNIT_ORDERS = {
    "area": (["area_mu", "unit_id"], [False, True]),  # the largest units first
    "gfa": (["potential_gfa_m2", "unit_id"], [False, True]),  # the most space to gain first
    "unit_id": (["unit_id"], [True]),
}
"""The orders a page of units can be listed in (``sort``); ties by unit id."""


def require_units_reader(who: Principal) -> Principal:
    """Only the city's administrators, district officers and auditors read the units (an
    enterprise user sees none); returns ``who``. The API asks it before judging the query
    string, so that a caller who may not read units gets 401/403 whatever its parameters."""
    who.require_role("city_admin", "district_officer", "auditor")
    return who


def units_page(store: Store, run_id: str, *, who: Principal, limit: int = 100,
               offset: int = 0, district: str | None = None,
               sort: str = "area") -> dict[str, Any]:
    """A page of a run's redevelopment units (type, recommended mode, reasons), narrowed to
    a district officer's district; enterprise users see none. ``sort``: one of
    :data:`UNIT_ORDERS` (default the largest units first: what a land officer looks at
    first). The caller's role and district are checked before ``sort``: one who may not
    read these units gets 401/403 whatever the query string."""
    require_units_reader(who)
    if who.role == "district_officer":
        who.require_see(district or who.district, what=f"区县 {district}")
        district = who.district
    if sort not in UNIT_ORDERS:
        raise ValidationError(
            f"未知的排序 {sort!r}，可选：{', '.join(UNIT_ORDERS)}",
            f"unknown order {sort!r}; one of: {', '.join(UNIT_ORDERS)}",
            where="sort", hint_zh="去掉 sort 参数即按面积从大到小",
            hint_en="leave sort out for the largest units first")
    frame = read_lowuse_units(store, run_id)
    if district is not None:
        frame = frame[frame["district"] == district]
    by, ascending = UNIT_ORDERS[sort]
    frame = frame.sort_values(by, ascending=ascending, kind="stable")
    page = frame.iloc[offset:offset + limit].drop(columns=["fid", "detail_json"])
    items = json.loads(page.to_json(orient="records", force_ascii=False))
    return {"run_id": run_id, "total": len(frame), "limit": limit, "offset": offset,
            "sort": sort, "items": items}
