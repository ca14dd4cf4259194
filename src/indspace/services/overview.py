"""District overview for the landing page: totals per district and simplified outlines."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from indspace.core.model.units import m2_to_mu
from indspace.store import Store


def district_overview(store: Store, width: int = 640) -> dict[str, Any]:
    """Per-district parcel/enterprise counts, industrial land in 亩, and SVG paths of the
    district outlines (simplified, in the store CRS scaled to ``width`` px)."""
    d = store.read_frame("districts", columns=["admin_code", "name", "name_en", "geometry"])
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
    paths: list[dict[str, str]] = []
    height = 0
    if len(d):
        minx, miny, maxx, maxy = d.total_bounds
        k = width / (maxx - minx)
        height = int((maxy - miny) * k) + 1
        simple = shapely.simplify(d.geometry.values, 300.0)
        for code, name, geom in zip(d.admin_code, d.name, simple, strict=True):
            parts = []
            for poly in getattr(geom, "geoms", [geom]):
                xy = np.asarray(poly.exterior.coords)
                pts = " ".join(f"{(x - minx) * k:.1f},{(maxy - y) * k:.1f}" for x, y in xy)
                parts.append(f"M{pts}Z")
            paths.append({"admin_code": code, "name": name, "d": " ".join(parts)})
    return {"rows": rows, "svg": {"width": width, "height": height, "paths": paths}}
