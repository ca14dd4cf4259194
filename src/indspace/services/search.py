"""One search box (issue #16): enterprises by name (any part of it) or credit-code prefix,
within the caller's scope, and parcels by id prefix — each hit with what the UI needs to
jump there (the enterprise page, or the parcel's point on the map in EPSG:4326).

Parcels carry no address in the store (docs/import-format.md), so a parcel is found by its
id only. Enterprise hits are scoped like every enterprise list (a district officer: its
district; an enterprise user: itself); parcels follow the public-layer rule and hide an
owner the caller may not see.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from indspace.core import vocabulary as vocab
from indspace.core.access import Principal
from indspace.core.errors import AuthError, ForbiddenError, ValidationError
from indspace.services.scope import DEFAULT_PUBLIC_LAYERS, redact_rows, require_layer
from indspace.store import Store

SYSTEM = Principal.system()
MAX_QUERY = 64
OUTPUT_CRS = 4326


def _query(q: str) -> str:
    text = (q or "").strip()
    if not text:
        raise ValidationError(
            "请输入查询内容",
            "type something to search for",
            where="q",
            hint_zh="企业名称（两个字即可）、统一社会信用代码或宗地代码",
            hint_en="an enterprise name (two characters will do), a credit code or a parcel id",
        )
    if len(text) > MAX_QUERY:
        raise ValidationError(
            f"查询内容过长（{len(text)} 字），最多 {MAX_QUERY} 字",
            f"the query is too long ({len(text)} characters; at most {MAX_QUERY})",
            where="q",
        )
    return text


def search_enterprises(
    store: Store, q: str, *, who: Principal = SYSTEM, limit: int = 20, lang: str = "zh"
) -> dict[str, Any]:
    """Firms in the caller's scope whose name contains ``q`` or whose credit code starts
    with it (case-insensitive for codes), best first: exact code, code prefix, name prefix,
    then by name. ``{"q", "total", "items"}``."""
    who.require_login()
    text = _query(q)
    firms = store.read_frame(
        "enterprises",
        columns=["credit_code", "name", "district", "industry_code", "chain", "scale"],
    )
    firms = firms[who.mask(firms)]
    names = firms["name"].fillna("").astype(str)
    codes = firms["credit_code"].astype(str)
    upper = text.upper()
    by_name = names.str.contains(text, regex=False).to_numpy(dtype=bool)
    by_code = codes.str.startswith(upper).to_numpy(dtype=bool)
    hit = firms[by_name | by_code].copy()
    rank = np.select(
        [
            hit["credit_code"] == upper,
            hit["credit_code"].str.startswith(upper),
            hit["name"].fillna("").str.startswith(text),
        ],
        [0, 1, 2],
        3,
    )
    hit["_rank"] = rank
    hit = hit.sort_values(["_rank", "name", "credit_code"], kind="stable")
    page = hit.drop(columns="_rank").head(limit)
    page = page.assign(
        chain_label=page["chain"].map(vocab.label_map("chain", lang)).fillna(page["chain"]),
        scale_label=page["scale"].map(vocab.label_map("scale", lang)).fillna(page["scale"]),
    )
    items = json.loads(page.to_json(orient="records", force_ascii=False))
    return {"q": text, "total": len(hit), "items": items}


def search_parcels(
    store: Store,
    q: str,
    *,
    who: Principal = SYSTEM,
    limit: int = 20,
    public_layers: Iterable[str] = DEFAULT_PUBLIC_LAYERS,
) -> dict[str, Any]:
    """Parcels whose id starts with ``q`` (case-insensitive), with their district, area and
    a point inside each (lon/lat, EPSG:4326) to centre the map on."""
    require_layer(who, "parcels", public_layers)
    text = _query(q).upper()
    frame = store.read_frame(
        "parcels", columns=["parcel_id", "district", "area_m2", "owner_credit_code", "geometry"]
    )
    ids = frame["parcel_id"].astype(str).str.upper()
    hit = frame[ids.str.startswith(text).to_numpy(dtype=bool)]
    hit = hit.sort_values("parcel_id", kind="stable")
    page = hit.head(limit)
    rows: list[dict[str, Any]] = []
    if len(page):
        geo = gpd.GeoSeries(page.geometry.values, crs=frame.crs).to_crs(OUTPUT_CRS)
        pts = shapely.point_on_surface(np.asarray(geo.values, dtype=object))
        flat = pd.DataFrame(page.drop(columns="geometry"))
        flat["lon"] = np.round(shapely.get_x(pts), 6)
        flat["lat"] = np.round(shapely.get_y(pts), 6)
        rows = json.loads(flat.to_json(orient="records", force_ascii=False))
    return {"q": text, "total": len(hit), "items": redact_rows(who, "parcels", rows)}


def search_all(
    store: Store,
    q: str,
    *,
    who: Principal = SYSTEM,
    limit: int = 10,
    public_layers: Iterable[str] = DEFAULT_PUBLIC_LAYERS,
    lang: str = "zh",
) -> dict[str, Any]:
    """Both kinds for the header's search box: ``{"q", "enterprises", "parcels"}``. A caller
    who may not list enterprises (anonymous) or parcels gets an empty kind, not an error."""
    text = _query(q)
    out: dict[str, Any] = {"q": text}
    try:
        out["enterprises"] = search_enterprises(store, text, who=who, limit=limit, lang=lang)
    except (AuthError, ForbiddenError):
        out["enterprises"] = {"q": text, "total": 0, "items": []}
    try:
        out["parcels"] = search_parcels(
            store, text, who=who, limit=limit, public_layers=public_layers
        )
    except (AuthError, ForbiddenError):
        out["parcels"] = {"q": text, "total": 0, "items": []}
    return out
