"""District overview for the landing page: totals per district and an SVG sketch map of
districts, industrial control-line blocks and "2070" parks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from indspace.core.model.entities import ENTITIES
from indspace.core.model.units import m2_to_mu
from indspace.store import Store


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
    (:func:`~indspace.store.land_figures.content_version`: any write changes it)."""
    from indspace.store.land_figures import content_version

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
            svg["districts"].append({
                "name": row.name, "name_en": row.name_en, "d": _svg_path(geom, minx, maxy, k),
                "x": round((pt.x - minx) * k, 1), "y": round((maxy - pt.y) * k, 1)})
        for layer, key in (("control_lines", "blocks"), ("parks", "parks")):
            g = store.read_frame(layer, columns=["name", "geometry"])
            for name, geom in zip(g.name, shapely.simplify(g.geometry.values, 50.0),
                                  strict=True):
                svg[key].append({"name": name, "d": _svg_path(geom, minx, maxy, k)})
    labels = {name: (e.label_zh, name) for name, e in ENTITIES.items()}
    return {"rows": rows, "svg": svg, "labels": labels}
