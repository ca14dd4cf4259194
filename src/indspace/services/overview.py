"""District overview for the landing page: totals per district and an SVG sketch map of
districts, industrial control-line blocks and "2070" parks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from indspace.core import vocabulary as vocab
from indspace.core.access import Principal
from indspace.core.errors import NotFoundError, PolicyError
from indspace.core.model.entities import ENTITIES
from indspace.core.model.units import m2_to_mu
from indspace.services.evaluation import run_profile
from indspace.services.kept import Kept
from indspace.store import Store, runs


def _svg_path(geom: Any, minx: float, maxy: float, k: float) -> str:
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty:
            continue
        xy = np.asarray(poly.exterior.coords)
        pts = " ".join(f"{(x - minx) * k:.1f},{(maxy - y) * k:.1f}" for x, y in xy)
        parts.append(f"M{pts}Z")
    return " ".join(parts)


_DISTRICT_ROWS: dict[tuple[str, str], list[dict[str, Any]]] = {}


def district_rows(store: Store, districts: pd.DataFrame | None = None
                  ) -> list[dict[str, Any]]:
    """Per-district parcel and enterprise counts and industrial land (亩), without the
    overview's map layers (``GET /api/districts``: no geometry is read). Kept in memory
    for the current contents of the three tables
    (:func:`~indspace.store.stamps.content_version`: any write changes it)."""
    from indspace.store.stamps import content_version

    key = (str(store.engine.url),
           content_version(store, ("districts", "parcels", "enterprises")))
    if districts is None and key in _DISTRICT_ROWS:
        return [dict(r) for r in _DISTRICT_ROWS[key]]
    d = districts if districts is not None else store.read_frame(
        "districts", columns=["admin_code", "name", "name_en"])
    p = store.read_frame("parcels", columns=["district", "area_m2"])
    e = store.read_frame("enterprises", columns=["district"])
    land = p.groupby("district")["area_m2"].sum()
    n_parcels = p.groupby("district").size()
    n_ent = e.groupby("district").size()
    rows = [{"admin_code": r.admin_code, "name": r.name, "name_en": r.name_en,
             "parcels": int(n_parcels.get(r.admin_code, 0)),
             "enterprises": int(n_ent.get(r.admin_code, 0)),
             "industrial_land_mu": round(float(m2_to_mu(land.get(r.admin_code, 0.0))), 1)}
            for r in d.itertuples()]
    if len(_DISTRICT_ROWS) > 8:
        _DISTRICT_ROWS.clear()
    _DISTRICT_ROWS[key] = rows
    return [dict(r) for r in rows]


def district_overview(store: Store, width: int = 600) -> dict[str, Any]:
    """Per-district parcel/enterprise counts and industrial land in 亩, plus SVG layers
    (district outlines with labels, control-line blocks, parks) scaled to ``width`` px."""
    d = store.read_frame("districts", columns=["admin_code", "name", "name_en", "geometry"])
    rows = district_rows(store, d)
    svg: dict[str, Any] = {"width": width, "height": 0, "districts": [], "blocks": [],
                           "parks": []}
    if len(d):
        minx, miny, maxx, maxy = d.total_bounds
        k = width / (maxx - minx)
        svg["height"] = int((maxy - miny) * k) + 1
        simple = shapely.simplify(d.geometry.values, 300.0)
        label_at = shapely.point_on_surface(d.geometry.values)
        for row, geom, pt in zip(d.itertuples(), simple, label_at, strict=True):
            svg["districts"].append(
                {
                    "name": row.name,
                    "name_en": row.name_en,
                    "d": _svg_path(geom, minx, maxy, k),
                    "x": round((pt.x - minx) * k, 1),
                    "y": round((maxy - pt.y) * k, 1),
                }
            )
        for layer, key in (("control_lines", "blocks"), ("parks", "parks")):
            g = store.read_frame(layer, columns=["name", "geometry"])
            for name, geom in zip(g.name, shapely.simplify(g.geometry.values, 50.0), strict=True):
                svg[key].append({"name": name, "d": _svg_path(geom, minx, maxy, k)})
    labels = {name: (e.label_zh, name) for name, e in ENTITIES.items()}
    return {"rows": rows, "svg": svg, "labels": labels}


# ------------------------------------------------------------ the 首页 figures (issue #16)
def _num(v: Any, digits: int = 4) -> float | None:
    """A JSON number (``None`` for a missing or non-finite value), rounded to ``digits``."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return round(f, digits) if np.isfinite(f) else None


def _live_run(store: Store, year: int) -> dict[str, Any] | None:
    """The newest non-superseded run of ``year`` (else its newest run; None without one)."""
    frame = runs.list_runs(store, year)
    if frame.empty:
        return None
    live = frame[frame["state"] != "superseded"]
    pick = (
        (live if not live.empty else frame)
        .sort_values(["version", "created_at"], kind="stable")
        .iloc[-1]
    )
    return runs.get_run(store, str(pick["run_id"]))


def _rollup(store: Store, run: dict[str, Any], previous: pd.DataFrame | None) -> pd.DataFrame:
    """City and district roll-up of a stored run: its stored grades and attributed land,
    the year's own tax and value added (万元) — no grade is recomputed."""
    from indspace.core.engines.zones import rollup_zones

    figures = runs.read_run_figures(store, str(run["run_id"]), int(run["year"]))
    zones = pd.concat(
        [
            pd.DataFrame(
                {"credit_code": figures["credit_code"], "zone_kind": "city", "zone": CITY_ZONE}
            ),
            pd.DataFrame(
                {
                    "credit_code": figures["credit_code"],
                    "zone_kind": "district",
                    "zone": figures["district"],
                }
            ),
        ],
        ignore_index=True,
    ).dropna()
    scale = run_profile(run).evaluation_method(run["method_date"]).grading.scale
    return rollup_zones(figures, figures, zones, scale, previous)


CITY_ZONE = "city"

_ROLLUPS: Kept[tuple[Any, Any]] = Kept(16)


def _rollups(
    store: Store, run: dict[str, Any] | None, prev_run: dict[str, Any] | None
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The roll-ups of ``run`` (with changes against ``prev_run``) and of ``prev_run``, kept
    in memory per store, runs and audit-log position: every write that can move them (an
    import, a run, a correction, a booking) appends to the append-only audit log, so a newer
    last entry means a new key and the figures are never stale."""
    from indspace.store.tiles import last_audit_fid

    key = (
        str(store.engine.url),
        None if run is None else str(run["run_id"]),
        None if prev_run is None else str(prev_run["run_id"]),
        last_audit_fid(store),
    )
    hit = _ROLLUPS.get(key)
    if hit is not None:
        return hit
    prev_roll = None if prev_run is None else _rollup(store, prev_run, None)
    roll = None if run is None else _rollup(store, run, prev_roll)
    return _ROLLUPS.put(key, (roll, prev_roll))


def _lowuse(store: Store, on_year: int | None) -> tuple[dict[str, Any] | None, pd.DataFrame]:
    """The newest low-efficiency run (of ``on_year`` when it has one) and its units."""
    from indspace.store.lowuse_runs import list_lowuse_runs, read_lowuse_unit_areas

    frame = list_lowuse_runs(store)
    if frame.empty:
        return None, pd.DataFrame(columns=["district", "area_mu", "unit_id"])
    same = frame[frame["year"] == on_year]
    run = dict((same if not same.empty else frame).sort_values(["created_at", "fid"]).iloc[-1])
    return run, read_lowuse_unit_areas(store, str(run["run_id"]))


def _lowuse_target(run: dict[str, Any] | None) -> float | None:
    """盘活目标（亩）: the policy value ``low_efficiency_target_mu`` of the run's profile on
    its method date (甬政办发〔2025〕1号 in the bundled ningbo-demo profile)."""
    if run is None:
        return None
    try:
        return float(run_profile(run).value("low_efficiency_target_mu", run["method_date"]))
    except (PolicyError, KeyError, TypeError, ValueError):
        return None


def overview(
    store: Store,
    *,
    who: Principal,
    year: int | None = None,
    district: str | None = None,
    lang: str = "zh",
) -> dict[str, Any]:
    """The landing page's figures, read from stored runs (nothing is re-evaluated).

    Scope: the city for city-wide roles (or ``district``), the officer's own district (another
    ``district`` → 403), the firm's own figures for an enterprise user. Per-mu figures are
    Σ own tax (万元) ÷ Σ attributed land (亩) of the evaluated firms and the tenants merged
    into them (``core.engines.zones``); changes are against the previous year's live run.
    ``districts`` holds every district's published aggregates (the rankings any logged-in
    role sees) for the map."""
    who.require_login()
    names = store.read_frame("districts", columns=["admin_code", "name", "name_en"])
    known = set(names["admin_code"].astype(str))
    if who.role == "district_officer":
        if district not in (None, "", who.district):
            who.require_see(district, what=f"区县 {district}")
        district = who.district
    elif who.role == "enterprise":
        district = None
    if district and district not in known:
        raise NotFoundError(
            f"区县 {district} 不存在",
            f"district {district} not found",
            where="district",
            hint_zh="从区县列表中选择",
            hint_en="choose a district from the list",
        )
    if year is None:
        all_runs = runs.list_runs(store)
        year = None if all_runs.empty else int(all_runs["year"].max())
    run = _live_run(store, year) if year is not None else None
    prev_run = _live_run(store, year - 1) if year is not None else None
    name_of = {
        str(r.admin_code): (r.name if lang != "en" else (r.name_en or r.name))
        for r in names.itertuples()
    }

    scope: dict[str, Any]
    if who.role == "enterprise":
        try:
            firm_name = str(store.get("enterprises", who.credit_code)["name"])
        except NotFoundError:
            firm_name = str(who.credit_code)
        scope = {"kind": "enterprise", "code": who.credit_code, "name": firm_name}
    elif district:
        scope = {"kind": "district", "code": district, "name": name_of.get(district, district)}
    else:
        scope = {"kind": "city", "code": None, "name": "全市" if lang != "en" else "whole city"}

    out: dict[str, Any] = {
        "scope": scope,
        "year": year,
        "run": None,
        "previous_run": None,
        "classes": [],
        "headline": None,
        "enterprise": None,
        "lowuse": None,
        "ledger": None,
        "districts": [],
    }
    roll, prev_roll = _rollups(store, run, prev_run)
    if prev_run is not None:
        out["previous_run"] = {"run_id": prev_run["run_id"], "year": int(prev_run["year"])}
    if run is not None and roll is not None:
        scale = run_profile(run).evaluation_method(run["method_date"]).grading.scale
        out["classes"] = list(scale.codes)
        out["run"] = {
            "run_id": run["run_id"],
            "year": int(run["year"]),
            "version": int(run["version"]),
            "state": run["state"],
            "state_label": vocab.label("run_state", run["state"], lang),
        }
        key = ("district", district) if district else ("city", CITY_ZONE)
        hit = roll[(roll["zone_kind"] == key[0]) & (roll["zone"] == key[1])]
        prev_hit = (
            None
            if prev_roll is None
            else prev_roll[(prev_roll["zone_kind"] == key[0]) & (prev_roll["zone"] == key[1])]
        )
        if who.role != "enterprise":
            out["headline"] = _headline(hit, prev_hit, out["classes"])
        else:
            out["enterprise"] = _firm_figures(store, run, prev_run, who.credit_code, lang)
        for r in roll[roll["zone_kind"] == "district"].itertuples():
            out["districts"].append(
                {
                    "admin_code": r.zone,
                    "name": name_of.get(str(r.zone), r.zone),
                    "tax_per_mu": _num(r.tax_per_mu),
                    "value_added_per_mu": _num(r.value_added_per_mu),
                    "tax_per_mu_yoy": _num(r.tax_per_mu_yoy),
                    "value_added_per_mu_yoy": _num(r.value_added_per_mu_yoy),
                    "firms_evaluated": int(r.firms_evaluated),
                    "rank": None if pd.isna(r.rank) else int(r.rank),
                    **{
                        f"{c.lower()}_share": _num(getattr(r, f"{c.lower()}_share"))
                        for c in out["classes"]
                    },
                }
            )
    lrun, units = _lowuse(store, year)
    target = _lowuse_target(lrun)
    by_district = units.groupby("district")["area_mu"].sum() if len(units) else pd.Series()
    if lrun is not None and who.role != "enterprise":
        mine = units if not district else units[units["district"] == district]
        area = float(mine["area_mu"].sum())
        out["lowuse"] = {
            "run_id": lrun["run_id"],
            "year": int(lrun["year"]),
            "units": len(mine),
            "area_mu": _num(area, 2),
            "target_mu": _num(target, 2),
            "share_of_target": _num(area / target) if target else None,
        }
    if who.role != "enterprise":
        from indspace.services.controlline_ledger import ledger

        every = ledger(store, None).balances  # one read: the scope's and each district's
        bal = every[every["district"] == district] if district and len(every) else every
        out["ledger"] = {
            c: _num(float(bal[c].sum()), 4) if c in bal else None
            for c in ("out_mu", "obligation_mu", "in_mu", "balance_mu")
        }
        ledger_by = (
            dict(zip(every["district"], every["balance_mu"], strict=True)) if len(every) else {}
        )
    else:
        ledger_by = {}
    for row in out["districts"]:
        row["lowuse_area_mu"] = (
            _num(float(by_district.get(row["admin_code"], 0.0)), 2)
            if lrun is not None and who.role != "enterprise"
            else None
        )
        row["ledger_balance_mu"] = (
            _num(float(ledger_by.get(row["admin_code"], 0.0))) if who.role != "enterprise" else None
        )
    return out


def _headline(
    hit: pd.DataFrame, prev: pd.DataFrame | None, classes: list[str]
) -> dict[str, Any] | None:
    if hit.empty:
        return None
    r = hit.iloc[0]
    p = None if prev is None or prev.empty else prev.iloc[0]
    counts = {c: int(r[f"n_{c.lower()}"]) for c in classes}
    return {
        "tax_per_mu": _num(r["tax_per_mu"]),
        "value_added_per_mu": _num(r["value_added_per_mu"]),
        "tax_per_mu_previous": None if p is None else _num(p["tax_per_mu"]),
        "value_added_per_mu_previous": None if p is None else _num(p["value_added_per_mu"]),
        "tax_per_mu_yoy": _num(r["tax_per_mu_yoy"]),
        "value_added_per_mu_yoy": _num(r["value_added_per_mu_yoy"]),
        "tax_wan": _num(r["tax"], 2),
        "value_added_wan": _num(r["value_added"], 2),
        "land_area_mu": _num(r["land_area_mu"], 4),
        "firms_evaluated": int(r["firms_evaluated"]),
        "firms_graded": int(r["firms_graded"]),
        "counts": counts,
        "shares": {c: _num(r[f"{c.lower()}_share"]) for c in classes},
    }


def _firm_figures(
    store: Store, run: dict[str, Any], prev_run: dict[str, Any] | None, code: str | None, lang: str
) -> dict[str, Any] | None:
    """A firm's own figures in a stored run (and the previous year's): grade, score, rank,
    own tax and value added (万元) over its attributed land (亩)."""
    if not code:
        return None

    def one(r: dict[str, Any]) -> dict[str, Any] | None:
        res = runs.read_run_figures(store, str(r["run_id"]), int(r["year"]), code)
        if res.empty:
            return None
        x = res.iloc[0]
        tax = None if pd.isna(x["tax"]) else float(x["tax"])
        va = None if pd.isna(x["value_added"]) else float(x["value_added"])
        land = float(x["land_area_mu"]) if pd.notna(x["land_area_mu"]) else None

        def per(v: float | None) -> float | None:
            return _num(v / land) if v is not None and land else None

        return {
            "run_id": r["run_id"],
            "year": int(r["year"]),
            "grade": None if pd.isna(x["grade"]) else str(x["grade"]),
            "score": _num(x["score"], 2),
            "status": x["status"],
            "status_label": vocab.label("status", x["status"], lang),
            "rank": None if pd.isna(x["rank"]) else int(x["rank"]),
            "group_size": None if pd.isna(x["group_size"]) else int(x["group_size"]),
            "land_area_mu": _num(land),
            "tax_wan": _num(tax, 2),
            "value_added_wan": _num(va, 2),
            "tax_per_mu": per(tax),
            "value_added_per_mu": per(va),
        }

    now = one(run)
    if now is None:
        return None
    now["previous"] = one(prev_run) if prev_run is not None else None
    return now


def district_geojson(store: Store) -> dict[str, Any]:
    """District boundaries (simplified to 30 m in the store CRS) and a label point inside
    each, as GeoJSON in EPSG:4326 (lon/lat, 6 decimals ≈ 0.1 m), for the maps' outlines and
    names. Public: boundaries and names are published administrative data."""
    import geopandas as gpd

    d = store.read_frame("districts", columns=["admin_code", "name", "name_en", "geometry"])
    if d.empty:
        return {"type": "FeatureCollection", "features": []}
    simple = gpd.GeoSeries(shapely.simplify(d.geometry.values, 30.0), crs=d.crs)
    label = gpd.GeoSeries(shapely.point_on_surface(d.geometry.values), crs=d.crs)
    geo = simple.to_crs(4326)
    pts = label.to_crs(4326)
    geo = gpd.GeoSeries(shapely.set_precision(geo.values, 1e-6), crs=4326)
    feats = []
    for row, g, p in zip(d.itertuples(), geo, pts, strict=True):
        feats.append(
            {
                "type": "Feature",
                "properties": {
                    "admin_code": row.admin_code,
                    "name": row.name,
                    "name_en": row.name_en,
                    "label_lon": round(p.x, 6),
                    "label_lat": round(p.y, 6),
                },
                "geometry": shapely.geometry.mapping(g),
            }
        )
    return {"type": "FeatureCollection", "features": feats}


TIANDITU_WMTS = (
    "https://t{n}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
    "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
"""天地图 WMTS (矢量底图 vec + 注记 cva), Web-Mercator matrix set ``w`` on the CGCS2000
datum; ``t0``–``t7`` are its mirror hosts."""


def basemap(
    kind: str, *, key: str = "", url: str = "", gcj02: bool = False, attribution: str = ""
) -> dict[str, Any]:
    """What the map draws under the data: ``{kind, layers[{tiles[], tile_size}], gcj02,
    attribution}``. ``none`` (the offline demo) and a 天地图 or XYZ source without its key or
    URL give no layer, so the map still works offline."""
    layers: list[dict[str, Any]] = []
    if kind == "tianditu" and key:
        for layer in ("vec", "cva"):
            layers.append(
                {
                    "id": f"tianditu-{layer}",
                    "tile_size": 256,
                    "tiles": [TIANDITU_WMTS.format(n=n, layer=layer, key=key) for n in range(8)],
                }
            )
        attribution = attribution or "© 天地图 / Tianditu (国家地理信息公共服务平台)"
        gcj02 = False
    elif kind == "xyz" and url:
        layers.append({"id": "xyz", "tile_size": 256, "tiles": [url]})
    else:
        kind = "none"
    return {
        "kind": kind,
        "layers": layers,
        "gcj02": bool(gcj02 and kind == "xyz"),
        "attribution": attribution if layers else "",
    }


def basemap_origins(conf: dict[str, Any]) -> list[str]:
    """The origins (``scheme://host[:port]``) the basemap's tiles come from, for the
    Content-Security-Policy of the web UI (its ``connect-src`` and ``img-src``)."""
    from urllib.parse import urlsplit

    out: list[str] = []
    for layer in conf.get("layers", []):
        for url in layer.get("tiles", []):
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc:
                origin = f"{parts.scheme}://{parts.netloc}"
                if origin not in out:
                    out.append(origin)
    return out
