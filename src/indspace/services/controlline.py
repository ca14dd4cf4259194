"""Use cases of the industrial control line: the parcel overlay, as of any date (issue #7)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import shapely.geometry

from indspace.core.clock import today as clock_today
from indspace.core.engines.controlline import COLUMNS, STATUS_LABELS, overlay, summarise
from indspace.core.engines.projects import PROJECT_TYPES
from indspace.core.engines.projects import check_project as check
from indspace.core.errors import ValidationError
from indspace.core.policy import PolicyProfile
from indspace.services.evaluation import resolve_profile
from indspace.services.output import atomic, csv_safe, unsupported_format, write_sheets
from indspace.settings import DEFAULT_PROFILE
from indspace.store import Store, runs

HEADERS_ZH = {"parcel_id": "宗地代码", "district": "区县", "area_m2": "宗地面积(平方米)",
              "inside_m2": "线内面积(平方米)", "inside_share": "线内比例", "status": "状态",
              "block_id": "所在区块", "park_id": "所属园区", "status_label": "状态（中文）"}


def today(store: Store) -> date:
    """Today in the deployment's time zone (the store's; :func:`indspace.core.clock.today`)."""
    return clock_today(store.tz)


def lines_in_force(store: Store, as_of: date, recorded_at: datetime | None = None
                   ) -> gpd.GeoDataFrame:
    """Blocks (``block_id``, ``park_id``, geometry) in force on the day ``as_of``, as
    recorded now or as the store knew them at ``recorded_at``."""
    return store.read_frame("control_lines", as_of=as_of, recorded_at=recorded_at,
                            columns=["block_id", "park_id", "geometry"])


def parcel_overlay(store: Store, *, as_of: date | None = None,
                   recorded_at: datetime | None = None,
                   profile: str | PolicyProfile = DEFAULT_PROFILE) -> gpd.GeoDataFrame:
    """Every current parcel against the control line in force on the day ``as_of`` (default:
    today, deployment time zone), as recorded now or at ``recorded_at``; the parcels'
    geometries ride along (for a GeoPackage export)."""
    on = as_of or today(store)
    prof = profile if isinstance(profile, PolicyProfile) else resolve_profile(profile)
    tolerance = float(prof.value("control_line_boundary_tolerance_m", on))
    parcels = store.read_frame("parcels", columns=["parcel_id", "district", "geometry"])
    lines = lines_in_force(store, on, recorded_at)
    result = overlay(parcels, lines, tolerance_m=tolerance)
    return gpd.GeoDataFrame(result, geometry=parcels.geometry.values, crs=parcels.crs)


def overlay_summary(result: pd.DataFrame, by: str = "district") -> pd.DataFrame:
    return summarise(result, by)


def write_overlay(path: Path, result: pd.DataFrame) -> Path:
    """CSV (English column names, the contract), XLSX (Chinese headers, a summary sheet per
    district and per park) or GeoPackage (layer ``controlline_overlay`` with the parcels'
    geometries, for QGIS); written to a temporary name first, then moved into place."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".gpkg"):
        raise unsupported_format(path, (".csv", ".xlsx", ".gpkg"))
    with atomic(path) as tmp:
        if suffix == ".csv":
            csv_safe(result[list(COLUMNS)]).to_csv(tmp, index=False, lineterminator="\n")
        elif suffix == ".gpkg":
            import pyogrio

            pyogrio.write_dataframe(result, tmp, layer="controlline_overlay", driver="GPKG")
        else:
            frame = pd.DataFrame(result[list(COLUMNS)]).assign(
                status_label=result["status"].map(STATUS_LABELS))
            write_sheets(tmp, {"宗地": frame.rename(columns=HEADERS_ZH),
                               **{name: summarise(result, by) for by, name in
                                  (("district", "按区县"), ("park_id", "按园区"))}})
    return path


# ------------------------------------------------------------------ project checks
def check_project(store: Store, project: dict[str, Any], *, as_of: date | None = None,
                  recorded_at: datetime | None = None, profile: str = DEFAULT_PROFILE,
                  source: str = "project") -> dict[str, Any]:
    """Allowed or not, with the deciding rule (engines/projects.py), for a project given as
    ``{"type", "industry_code", "geometry" (GeoJSON), "crs"?, "credit_code"?,
    "special_case"?, "name"?}``. Coordinates without ``crs`` are read as EPSG:4326 when they
    look like degrees, else as the store's CRS."""
    on = as_of or today(store)
    prof = resolve_profile(profile)
    kind = project.get("type")
    if kind not in PROJECT_TYPES:
        raise ValidationError(f"项目类型 {kind!r} 无效（可选：{', '.join(PROJECT_TYPES)}）",
                              f"invalid project type {kind!r} (choose from "
                              f"{', '.join(PROJECT_TYPES)})", where=f"{source}: type")
    geom = _project_geometry(project, store.srid, source)
    lines = lines_in_force(store, on, recorded_at)
    tol = float(prof.value("control_line_boundary_tolerance_m", on))
    one = gpd.GeoDataFrame({"parcel_id": [project.get("name") or "project"]},
                           geometry=[geom], crs=store.srid)
    loc = overlay(one, lines, tolerance_m=tol).iloc[0]
    code = project.get("credit_code")
    firm = _firm_class(store, code, prof, on) if code else None
    decision = check(
        project_type=kind, industry_code=project.get("industry_code"),
        status=str(loc["status"]), inside_share=float(loc["inside_share"]),
        special_case=project.get("special_case"),
        firm_class=firm["outside_line_class"] if firm is not None else None,
        firm_class_reason=str(firm["reason"]) if firm is not None else "",
        negative_list=list(prof.value("project_negative_list", on)),
        positive_list=list(prof.value("project_positive_list", on)),
        exception_types=list(prof.value("outside_line_exception_types", on)))
    out = decision.to_dict()
    out["firm_class"] = None if firm is None else firm["outside_line_class"]
    out["block_id"] = None if pd.isna(loc["block_id"]) else loc["block_id"]
    return out


def _project_geometry(project: dict[str, Any], srid: int, source: str) -> Any:
    raw = project.get("geometry")
    try:
        geom = shapely.geometry.shape(raw)
    except Exception as e:  # any malformed GeoJSON is the same user error
        raise ValidationError("项目位置不是有效的 GeoJSON 几何", "the project's location is not "
                              f"a valid GeoJSON geometry: {e}", where=f"{source}: geometry",
                              hint_zh='如 {"type": "Polygon", "coordinates": [...]}',
                              hint_en='e.g. {"type": "Polygon", "coordinates": [...]}') from e
    if geom.is_empty or not geom.is_valid:
        raise ValidationError("项目位置几何为空或无效",
                              "the project's geometry is empty or invalid",
                              where=f"{source}: geometry")
    crs = project.get("crs")
    if crs is None:
        minx, miny, maxx, maxy = geom.bounds
        crs = "EPSG:4326" if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny),
                                                                     abs(maxy)) <= 90 \
            else f"EPSG:{srid}"
    series = gpd.GeoSeries([geom], crs=crs).to_crs(srid)
    return series.iloc[0]


def _firm_class(store: Store, credit_code: str, profile: PolicyProfile, on: date
                ) -> dict[str, Any] | None:
    """The firm's outside-line class (retain / relocate / exit) and reason from the same
    classifier the low-efficiency plan uses, on what the store knows of the firm: its
    grades (latest run of each year), industry, 361 chain, latest-year veto flags, and the
    land use of its largest parcel. None for a firm not in the store."""
    from indspace.core.engines.redevelop import RedevelopRules, classify_outside_firms

    firms = store.read_frame("enterprises", columns=["credit_code", "industry_code", "chain"])
    me = firms[firms["credit_code"] == credit_code]
    if me.empty:
        return None
    frame = runs.list_runs(store)
    letters = ""
    if not frame.empty:
        latest = frame.sort_values(["year", "created_at", "fid"]).drop_duplicates(
            "year", keep="last")
        for run_id in latest.sort_values("year")["run_id"]:
            res = runs.read_results(store, run_id, credit_code)
            grade = None if res.empty else res.iloc[0]["policy_grade"]
            letters += grade if isinstance(grade, str) and grade else "-"
    parcels = store.read_frame("parcels", columns=["parcel_id", "owner_credit_code",
                                                   "land_use_code", "area_m2"])
    own = parcels[parcels["owner_credit_code"] == credit_code].sort_values(
        ["area_m2", "parcel_id"], ascending=[False, True])
    ind = store.read_frame("indicators", columns=["credit_code", "year", "safety_veto",
                                                  "environment_veto"])
    ind = ind[ind["credit_code"] == credit_code].sort_values("year")
    veto = bool(ind.tail(1)[["safety_veto", "environment_veto"]].astype("boolean")
                .fillna(False).to_numpy().any()) if len(ind) else False
    row = pd.DataFrame({
        "credit_code": [credit_code], "grade_history": [letters],
        "industry_code": [me["industry_code"].iloc[0]],
        "land_use_code": [own["land_use_code"].iloc[0] if len(own) else None],
        "chain_361": [me["chain"].iloc[0]], "risk_flag": [veto],
        "land_retained": pd.array([pd.NA], dtype="boolean")})
    out = classify_outside_firms(row, RedevelopRules.from_profile(profile, on)).iloc[0]
    return {"outside_line_class": out["outside_line_class"],
            "reason": out["outside_line_reason"]}


def read_project_file(path: Path) -> dict[str, Any]:
    """A project JSON object (or a GeoJSON Feature: its properties plus geometry)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as e:
        raise ValidationError(f"无法读取项目文件：{e}", f"cannot read the project file: {e}",
                              where=str(path)) from e
    except json.JSONDecodeError as e:
        raise ValidationError(f"项目文件不是有效 JSON（第 {e.lineno} 行）",
                              f"the project file is not valid JSON (line {e.lineno}: {e.msg})",
                              where=str(path)) from e
    if not isinstance(data, dict):
        raise ValidationError("项目文件应为一个 JSON 对象", "the project file must hold one JSON "
                              "object", where=str(path))
    if data.get("type") == "Feature":                     # a GeoJSON Feature works too
        data = {**(data.get("properties") or {}), "geometry": data.get("geometry")}
    return data
