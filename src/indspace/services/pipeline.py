"""The annual pipeline over partitioned GeoParquet, without a store (issue #20).

Input: the layout :func:`indspace.demo.parquet.write_partitioned_geoparquet` writes (and
``indspace demo --scale province`` produces): ``DIR/<table>/district=<code>/part-0.parquet``,
one partition per district (the first four digits of a code are its city), GeoParquet in
EPSG:4549 metres for the spatial tables.

Steps, each one of the existing engines (no second implementation):

1. building–parcel overlay → per-parcel floor area, FAR (``core/engines/land_figures.py``,
   the 8 m rule of 国土资发〔2008〕24号 from the profile's ``double_storey_height_m``);
2. land attribution, 亩均 evaluation, 地企双评 and the differentiated policy measures
   (差别化政策) with the grade history they read
   (:func:`indspace.services.evaluation.compute`, the function every store-backed run uses;
   the history years' policy grades alone, :func:`indspace.services.evaluation.policy_grades`);
3. control-line overlay (``core/engines/controlline.py``), low-efficiency identification
   (``core/engines/lowuse.py``) and contiguous redevelopment units (``core/engines/units.py``);
4. contract monitoring (``core/engines/supply_monitor.py``) where contracts exist.

``engine="local"`` runs them on this machine on the whole input;
:mod:`indspace.services.pipeline_dask` runs the same steps on a Dask cluster, partition by
partition, with the same results. Outputs (``OUT/``, every file sorted by its key, the same
bytes for the same inputs): see :data:`OUTPUTS`, plus ``summary.json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from indspace.core.engines.controlline import overlay as line_overlay
from indspace.core.engines.lowuse import identify
from indspace.core.engines.units import delineate, unit_table
from indspace.core.errors import PolicyError, ValidationError
from indspace.core.model.entities import ENTITIES, SYNTH
from indspace.core.policy import PolicyProfile
from indspace.demo.parquet import PART_FILE, read_partitioned_geoparquet
from indspace.services.evaluation import (
    Computation,
    Inputs,
    compute,
    history_depth,
    method_date,
    policy_grades,
)
from indspace.services.land import storey_limit
from indspace.services.lowuse import params_from_profile, parcel_frame, target_far, zone_uses
from indspace.services.pipeline_overlay import districts_of, overlay_stats
from indspace.settings import deployment

ENGINES = ("local", "dask")
OUTPUTS = {
    "parcel_figures": "parcel_figures.parquet",  # parcel_id, footprint/floor/far floor m²
    "evaluation": "evaluation.parquet",  # one row per firm: scores, grades
    "land_grades": "land_grades.parquet",  # 地企双评, one row per parcel
    "policies": "policies.parquet",  # 差别化政策, one row per firm and measure
    "controlline": "controlline.parquet",  # GeoParquet: parcel against the line
    "lowuse": "lowuse.parquet",  # GeoParquet: every parcel, criteria
    "unit_members": "unit_members.parquet",  # parcel_id → unit_id
    "units": "units.parquet",  # one row per contiguous unit
    "supply_alerts": "supply_alerts.parquet",  # contract findings (if contracts)
}
Progress = Callable[[str], None]


@dataclass
class Tables:
    """The tabular (non-geometric) inputs of the year, whole; the geometry stays in
    partitions for the Dask engine."""

    firms: pd.DataFrame
    parcels: pd.DataFrame  # parcel_id, area_m2, right_start, district, owner, use
    occupancy: pd.DataFrame
    indicators: pd.DataFrame  # every year present
    designations: pd.DataFrame
    lines: gpd.GeoDataFrame  # control-line blocks in force on the method date
    zones: pd.DataFrame | None
    contracts: pd.DataFrame | None
    events: pd.DataFrame | None


@dataclass
class PipelineResult:
    engine: str
    year: int
    on: date
    profile: str
    out: Path
    counts: dict[str, int] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    dashboard: str | None = None


# ------------------------------------------------------------------ input
def check_input(input_dir: Path) -> None:
    """The folder must hold at least the partitioned parcels, buildings, enterprises,
    indicators and occupancy."""
    missing = [
        t
        for t in ("parcels", "buildings", "enterprises", "indicators", "occupancy")
        if not districts_of(input_dir, t)
    ]
    if missing:
        raise ValidationError(
            f"输入目录缺少分区表：{', '.join(missing)}（{input_dir}）",
            f"the input folder lacks partitioned tables: {', '.join(missing)} ({input_dir})",
            where=str(input_dir),
            hint_zh="应为 <表>/district=<代码>/part-0.parquet，"
            "如 indspace demo --scale province 的输出",
            hint_en="expected <table>/district=<code>/part-0.parquet, e.g. the output of "
            "indspace demo --scale province",
        )


def _optional(input_dir: Path, table: str) -> pd.DataFrame | None:
    return read_partitioned_geoparquet(input_dir, table) if districts_of(input_dir, table) else None


def read_lines(input_dir: Path, on: date) -> gpd.GeoDataFrame:
    """The control-line blocks in force on ``on`` (none when the input has no blocks)."""
    lines = _optional(input_dir, "control_lines")
    if lines is None:
        return gpd.GeoDataFrame(
            {"block_id": [], "park_id": []}, geometry=[], crs=f"EPSG:{deployment().srid}"
        )
    return lines_in_force(lines, on)


def read_tables(
    input_dir: Path,
    on: date,
    *,
    lines: gpd.GeoDataFrame | None = None,
    contracts: bool = True,
) -> Tables:
    """The whole-input tabular frames in their contract shape (sorted by key). Without
    ``contracts`` the contracts and their events are left for :func:`read_contracts`
    (a province's are ≈ 0.75 GB that no step before the contract monitoring reads)."""
    firm_cols = ["credit_code", "name", "district", "industry_code", "chain", "scale", "founded"]
    firms = read_partitioned_geoparquet(input_dir, "enterprises", columns=firm_cols)[firm_cols]
    parcel_cols = [
        "parcel_id",
        "area_m2",
        "right_start",
        "district",
        "owner_credit_code",
        "land_use_code",
        "right_type",
    ]
    # the columns only: the shapes stay in the files (the overlay reads them partition by
    # partition)
    parcels = pd.DataFrame(
        read_partitioned_geoparquet(input_dir, "parcels", columns=parcel_cols)[parcel_cols]
    )
    occ_cols = [
        "credit_code",
        "parcel_id",
        "building_id",
        "role",
        "land_area_m2",
        "floor_area_m2",
        "start",
        "end",
    ]
    occupancy = read_partitioned_geoparquet(input_dir, "occupancy", columns=occ_cols)[occ_cols]
    indicators = read_partitioned_geoparquet(input_dir, "indicators").drop(
        columns=["is_synthetic"], errors="ignore"
    )
    designations = _optional(input_dir, "designations")
    if designations is None:
        designations = pd.DataFrame(columns=["credit_code", "designation", "start", "end"])
    designations = designations[["credit_code", "designation", "start", "end"]]
    if lines is None:
        lines = read_lines(input_dir, on)
    zones = _optional(input_dir, "plan_zones")
    deals, events = read_contracts(input_dir) if contracts else (None, None)
    return Tables(firms, parcels, occupancy, indicators, designations, lines, zones, deals, events)


def read_contracts(input_dir: Path) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The contracts and their events (None, None without contracts)."""
    contracts = _optional(input_dir, "contracts")
    events = _optional(input_dir, "contract_events") if contracts is not None else None
    return contracts, events


def lines_in_force(lines: gpd.GeoDataFrame, on: date) -> gpd.GeoDataFrame:
    """Blocks valid on the day ``on`` (``effective_from`` ≤ on ≤ ``effective_to``, ends
    inclusive, empty = open — as the store's valid time)."""
    day = pd.Timestamp(on)
    start = pd.to_datetime(lines["effective_from"])
    end = pd.to_datetime(lines["effective_to"])
    ok = (start.isna() | (start <= day)) & (end.isna() | (end >= day))
    return lines.loc[ok.to_numpy(dtype=bool), ["block_id", "park_id", "geometry"]].reset_index(
        drop=True
    )


@dataclass
class ParcelShapes:
    """Every parcel's shape as the WKB bytes of the input files, not decoded: the outputs'
    geometry (the same bytes for both engines) and the shapes of a few parcels on request.
    ≈ 100 bytes a rectangle, so a province's 1.2 M parcels hold ≈ 0.15 GB here where
    decoded Shapely objects and a GeoDataFrame would hold several times that."""

    index: pd.Index  # parcel_id → row of ``wkb``
    wkb: pa.Array  # binary
    geo: dict[str, Any]  # the GeoParquet ``geo`` metadata of the files (crs, types)

    def take(self, parcel_ids: Any) -> pa.Array:
        """The WKB of ``parcel_ids`` (each must be known), in that order."""
        at = self.index.get_indexer(np.asarray(parcel_ids, dtype=object))
        if (at < 0).any():
            raise KeyError("parcel ids without a shape in the input")
        return self.wkb.take(pa.array(at))

    def frame(self, parcel_ids: Any, attrs: pd.DataFrame) -> gpd.GeoDataFrame:
        """``attrs`` (rows of ``parcel_ids``) with those parcels' shapes decoded."""
        import shapely
        from pyproj import CRS

        geoms = shapely.from_wkb(self.take(parcel_ids).to_numpy(zero_copy_only=False))
        crs = self.geo.get("crs")
        return gpd.GeoDataFrame(
            attrs.reset_index(drop=True),
            geometry=geoms,
            crs=CRS.from_json_dict(crs) if isinstance(crs, dict) else crs,
        )


def read_parcel_shapes(input_dir: Path) -> ParcelShapes:
    """The parcels' ids and WKB of every partition (:class:`ParcelShapes`), read with
    pyarrow only."""
    import pyarrow.parquet as pq

    ids: list[np.ndarray] = []
    wkb: list[pa.Array] = []
    types: set[str] = set()
    geo: dict[str, Any] = {}
    for code in districts_of(input_dir, "parcels"):
        f = Path(input_dir) / "parcels" / f"district={code}" / PART_FILE
        table = pq.read_table(f, columns=["parcel_id", "geometry"])
        meta = json.loads((table.schema.metadata or {}).get(b"geo", b"{}"))
        col = meta.get("columns", {}).get("geometry", {})
        types.update(col.get("geometry_types", []))
        geo.setdefault("crs", col.get("crs"))
        ids.append(table.column("parcel_id").to_numpy(zero_copy_only=False))
        wkb.append(table.column("geometry").combine_chunks().cast(pa.binary()))
    geo["geometry_types"] = sorted(types)
    all_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=object)
    return ParcelShapes(
        pd.Index(all_ids.astype(object)),
        pa.concat_arrays(wkb) if wkb else pa.array([], type=pa.binary()),
        geo,
    )


# ------------------------------------------------------------------ steps
def check_year(t: Tables, year: int) -> None:
    """The input must hold indicators of ``year`` (checked before any heavy step)."""
    if (t.indicators["year"] == year).any():
        return
    have = ", ".join(str(int(y)) for y in sorted(t.indicators["year"].unique())) or "—"
    raise ValidationError(
        f"输入中没有 {year} 年度的企业指标（现有：{have}）",
        f"no indicators for {year} in the input (present: {have})",
        where="--year",
        hint_zh="换一个年度",
        hint_en="pick another year",
    )


def evaluate_tables(
    t: Tables, stats: pd.DataFrame, profile: PolicyProfile, year: int, on: date
) -> Computation:
    """The year's evaluation as :func:`indspace.services.evaluation.evaluate_year` makes it
    (method in force on ``on``, each history year under the method in force at its end),
    from frames. Grading groups are formed over the whole input, so a group spanning
    partitions gets one benchmark. The grade history (the years the policies' longest
    ``consecutive_years_min`` reaches back) is read by the policy measures alone: of those
    years only the policy grades are evaluated (:func:`policy_grades`, no score rows, no
    地企双评, no measures)."""
    method = profile.evaluation_method(on)
    depth = history_depth(method)
    base = t.parcels[["parcel_id", "area_m2", "right_start", "district", "owner_credit_code"]]

    def inputs_of(y: int) -> Inputs | None:
        ind = t.indicators[t.indicators["year"] == y].reset_index(drop=True)
        return (
            Inputs(y, t.firms, ind, base, t.occupancy, stats, t.designations) if len(ind) else None
        )

    check_year(t, year)
    this = inputs_of(year)
    assert this is not None
    history = None
    if depth > 0:
        rows = []
        for y in range(year - depth, year):
            inp = inputs_of(y)
            if inp is None:
                continue
            try:
                m = profile.evaluation_method(method_date(y))
            except PolicyError:
                continue
            rows.append(policy_grades(inp, m).assign(year=y))
        history = (
            pd.concat(rows, ignore_index=True)
            if rows
            else pd.DataFrame(columns=["credit_code", "year", "policy_grade"])
        )
    # no output holds the per-indicator score rows: not built
    return compute(this, method, history, scores=False)


def lowuse_table(
    t: Tables,
    comp: Computation,
    stats: pd.DataFrame,
    lines: pd.DataFrame,
    profile: PolicyProfile,
    year: int,
    on: date,
    districts: list[str] | None = None,
) -> pd.DataFrame:
    """Low-efficiency identification of the parcels of ``districts`` (default all). The
    only group statistic (the same-industry average tax per mu) is per district, so a
    district's parcels are identified alone with the same result."""
    inputs = Inputs(
        year,
        t.firms,
        t.indicators[t.indicators["year"] == year],
        t.parcels[["parcel_id", "area_m2", "right_start", "district", "owner_credit_code"]],
        t.occupancy,
        stats,
        t.designations,
    )
    table = parcel_frame(inputs, comp, lines, t.parcels.set_index("parcel_id")["land_use_code"])
    if districts is not None:
        table = table[table["district"].isin(districts)]
    return identify(table, params_from_profile(profile, on), year)


def unit_gap(profile: PolicyProfile, on: date) -> float:
    return float(profile.value("redevelopment_unit_adjacency_m", on))


def units_of(
    members: pd.DataFrame,
    low: gpd.GeoDataFrame,
    t: Tables,
    comp: Computation,
    stats: pd.DataFrame,
    lines: pd.DataFrame,
    lowuse: pd.DataFrame,
    profile: PolicyProfile,
    on: date,
) -> pd.DataFrame:
    """One row per unit, as :func:`indspace.services.lowuse.delineate_units` builds it."""
    inside = lines.set_index("parcel_id")["inside_m2"]
    attrs = pd.DataFrame(low.drop(columns="geometry")).assign(
        inside_m2=low["parcel_id"].map(inside).to_numpy()
    )
    links = comp.attribution.links
    occupants = links.loc[links["tenure"] != "leased_out", ["parcel_id", "credit_code"]]
    grades = comp.results.set_index("credit_code")["policy_grade"].dropna()
    units = unit_table(
        members,
        attrs,
        stats=stats,
        occupants=occupants,
        grades=grades,
        grade_classes=comp.method.grading.scale.codes,
        target_far=target_far(profile, on, low, lowuse),
    )
    if t.zones is not None:
        plans = zone_uses(t.zones, profile, on, low.merge(members, on="parcel_id"))
        if plans is not None:
            units = units.merge(plans, on="unit_id", how="left")
    return units


def low_parcels(
    parcels: pd.DataFrame, lowuse: pd.DataFrame, shapes: ParcelShapes
) -> gpd.GeoDataFrame:
    """The low-efficiency parcels (parcel_id, district, area_m2, owner, right_type,
    geometry), in parcel-id order: ``parcels`` is the tabular parcel table, the shapes of
    these parcels only are decoded."""
    ids = set(lowuse.loc[lowuse["low_efficiency"], "parcel_id"])
    low = parcels.loc[
        parcels["parcel_id"].isin(ids),
        ["parcel_id", "district", "area_m2", "owner_credit_code", "right_type"],
    ].sort_values("parcel_id", ignore_index=True)
    return shapes.frame(low["parcel_id"], low)


def supply_alerts(
    contracts: pd.DataFrame | None,
    events: pd.DataFrame | None,
    indicators: pd.DataFrame,
    results: pd.DataFrame,
    profile: PolicyProfile,
    on: date,
) -> pd.DataFrame | None:
    """Contract findings as of ``on`` with this run's grades (``results``: the evaluation's
    one row per firm; None without contracts)."""
    if contracts is None or not len(contracts):
        return None
    from indspace.services.supply import engine_inputs, monitor_frame, supply_params

    ind = indicators.loc[indicators["year"] <= on.year, ["credit_code", "year", "tax"]]
    grades = pd.DataFrame({"credit_code": results["credit_code"], "grade": results["policy_grade"]})
    if events is None:
        events = pd.DataFrame(
            columns=[c for c in ENTITIES["contract_events"].columns if c != SYNTH.name]
        )
    c, e = engine_inputs(contracts, events, ind, grades)
    return monitor_frame(c, e, on, supply_params(on, profile))


# ------------------------------------------------------------------ output
GEO_OUTPUTS = ("controlline", "lowuse")
"""Outputs that are maps: GeoParquet with each row's parcel shape (the input's WKB)."""


def write_outputs(
    out: Path, frames: dict[str, pd.DataFrame | None], shapes: ParcelShapes
) -> dict[str, int]:
    """Write each frame sorted as given — the :data:`GEO_OUTPUTS` as GeoParquet with the
    parcels' shapes from ``shapes`` (the input files' WKB bytes, GeoParquet 1.1 metadata
    with the input's CRS) — and return the rows written per output."""
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, frame in frames.items():
        if frame is None:
            continue
        path = out / OUTPUTS[name]
        frame = pd.DataFrame(frame).reset_index(drop=True)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if name in GEO_OUTPUTS:
            table = table.append_column("geometry", shapes.take(frame["parcel_id"]))
            col = {"encoding": "WKB", "geometry_types": shapes.geo["geometry_types"]}
            if shapes.geo.get("crs") is not None:
                col["crs"] = shapes.geo["crs"]
            geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": col}}
            table = table.replace_schema_metadata(
                {**(table.schema.metadata or {}), b"geo": json.dumps(geo).encode()}
            )
        pq.write_table(table, path, compression="zstd")
        counts[name] = len(frame)
    return counts


def evaluation_summary(comp: Computation) -> dict[str, Any]:
    """The evaluation's part of ``summary.json``: firms, grades, land grades and the policy
    measures (:func:`policy_summary`)."""
    r = comp.results
    grades = r["grade"].value_counts().reindex(list(comp.method.grading.scale.codes), fill_value=0)
    return {
        "enterprises": len(r),
        "grades": {k: int(v) for k, v in grades.items()},
        "land_grades": {
            k: int(v) for k, v in sorted(comp.dual.parcels["land_grade"].value_counts().items())
        },
        "policies": policy_summary(comp.policies),
    }


def policy_summary(policies: pd.DataFrame) -> dict[str, Any]:
    """The policy measures in ``summary.json``: the firms with at least one measure and the
    yearly amount in 元 (positive a charge, negative a relief), in all and per measure type.
    Each row's amount is rounded to the 分 by the engine; the sums are taken in whole 分
    (int64), exact and independent of the order of the rows. Rows without an amount (a
    qualitative measure, or a basis figure the firm lacks) add nothing; a sum over no
    amount at all is null, not 0."""

    def total(money: pd.Series) -> float | None:
        cents = np.round(money.to_numpy(dtype="float64", na_value=np.nan) * 100)
        known = cents[~np.isnan(cents)]
        if not len(known):
            return None
        return float(Decimal(int(known.astype(np.int64).sum())) / 100)

    if not len(policies):
        return {"enterprises": 0, "money_yuan": None, "measures": {}}
    return {
        "enterprises": int(policies["credit_code"].nunique()),
        "money_yuan": total(policies["money_yuan"]),
        "measures": {
            str(kind): {
                "enterprises": int(g["credit_code"].nunique()),
                "money_yuan": total(g["money_yuan"]),
            }
            for kind, g in policies.groupby("measure_type", sort=True)
        },
    }


def summarise(
    evaluated: dict[str, Any],
    low_efficiency: int,
    units: int,
    findings: int | None,
    counts: dict[str, int],
) -> dict[str, Any]:
    """``summary.json``'s figures: ``evaluated`` from :func:`evaluation_summary`, the
    numbers of low-efficiency parcels, units and contract findings (None: no contracts)
    and the rows written per output."""
    out: dict[str, Any] = {
        **evaluated,
        "low_efficiency_parcels": low_efficiency,
        "units": units,
        "rows": dict(sorted(counts.items())),
    }
    if findings is not None:
        out["supply_findings"] = findings
    return out


def finish(
    out: Path,
    engine: str,
    year: int,
    on: date,
    profile: PolicyProfile,
    frames: dict[str, pd.DataFrame | None],
    comp: Computation,
    shapes: ParcelShapes,
    extra: dict[str, Any] | None = None,
) -> PipelineResult:
    """Write the outputs and ``summary.json`` (keys sorted; no timing, so the same inputs
    give the same bytes)."""
    counts = write_outputs(out, frames, shapes)
    alerts = frames.get("supply_alerts")
    figures = summarise(
        evaluation_summary(comp),
        int(frames["lowuse"]["low_efficiency"].sum()),  # type: ignore[index]
        len(frames["units"]),  # type: ignore[arg-type]
        None if alerts is None else len(alerts),
        counts,
    )
    return write_summary(out, engine, year, on, profile, {**figures, **(extra or {})}, counts)


def write_summary(
    out: Path,
    engine: str,
    year: int,
    on: date,
    profile: PolicyProfile,
    figures: dict[str, Any],
    counts: dict[str, int],
) -> PipelineResult:
    """``summary.json`` (keys sorted; no timing, so the same inputs give the same bytes)
    from :func:`summarise`'s ``figures``."""
    summary = {
        "year": year,
        "method_date": on.isoformat(),
        "profile": profile.id,
        "profile_hash": profile.content_hash,
        **figures,
    }
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, sort_keys=True, indent=1) + "\n", encoding="utf-8"
    )
    return PipelineResult(engine, year, on, profile.id, out, counts, summary)


def sort_by(frame: pd.DataFrame, *keys: str) -> pd.DataFrame:
    return frame.sort_values(list(keys), ignore_index=True, kind="stable")


# ------------------------------------------------------------------ the local engine
def run_local(
    input_dir: Path,
    year: int,
    profile: PolicyProfile,
    on: date,
    out: Path,
    *,
    progress: Progress | None = None,
) -> PipelineResult:
    """Every step on this machine over the whole input (the single-machine engines)."""
    step = progress or (lambda _name: None)
    check_input(input_dir)
    step("read")
    t = read_tables(input_dir, on)
    check_year(t, year)
    parcels = read_partitioned_geoparquet(input_dir, "parcels", columns=["parcel_id", "geometry"])
    parcels["district"] = t.parcels["district"].to_numpy()  # both sorted by parcel_id
    step("overlay")
    stats, _ = overlay_stats(input_dir, storey_limit(profile, on))  # both cores when large
    step("evaluate")
    comp = evaluate_tables(t, stats, profile, year, on)
    step("controlline")
    tol = float(profile.value("control_line_boundary_tolerance_m", on))
    lines = line_overlay(parcels[["parcel_id", "district", "geometry"]], t.lines, tolerance_m=tol)
    step("lowuse")
    lowuse = lowuse_table(t, comp, stats, lines, profile, year, on)
    step("units")
    shapes = read_parcel_shapes(input_dir)
    low = low_parcels(t.parcels, lowuse, shapes)
    members = delineate(low, unit_gap(profile, on))
    units = units_of(members, low, t, comp, stats, lines, lowuse, profile, on)
    step("supply")
    alerts = supply_alerts(t.contracts, t.events, t.indicators, comp.results, profile, on)
    step("write")
    frames = result_frames(stats, comp, lines, lowuse, members, units, alerts)
    return finish(out, "local", year, on, profile, frames, comp, shapes)


OUTPUT_KEYS: dict[str, tuple[str, ...]] = {
    "parcel_figures": ("parcel_id",),
    "evaluation": ("credit_code",),
    "land_grades": ("parcel_id",),
    "policies": ("credit_code", "measure_type"),
    "controlline": ("parcel_id",),
    "lowuse": ("parcel_id",),
    "unit_members": ("parcel_id",),
    "units": ("unit_id",),
}
"""The key each output is sorted by (``supply_alerts`` keeps the engine's order)."""


def output_frame(name: str, frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """Output ``name`` as written: sorted by its key (:data:`OUTPUT_KEYS`)."""
    if frame is None or name not in OUTPUT_KEYS:
        return frame
    return sort_by(pd.DataFrame(frame), *OUTPUT_KEYS[name])


def result_frames(
    stats: pd.DataFrame,
    comp: Computation,
    lines: pd.DataFrame,
    lowuse: pd.DataFrame,
    members: pd.DataFrame,
    units: pd.DataFrame,
    alerts: pd.DataFrame | None,
) -> dict[str, pd.DataFrame | None]:
    """The output frames, each sorted by its key (the maps get their geometry when written,
    :func:`write_outputs`)."""
    frames = {
        "parcel_figures": stats,
        "evaluation": comp.results,
        "land_grades": comp.dual.parcels,
        "policies": comp.policies,
        "controlline": lines,
        "lowuse": lowuse,
        "unit_members": members,
        "units": units,
        "supply_alerts": alerts,
    }
    return {name: output_frame(name, frame) for name, frame in frames.items()}
