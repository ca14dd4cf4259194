"""Read-side use cases: paged lists and single records with their history, as plain data
for the API (JSON / GeoJSON in EPSG:4326)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import pandas as pd

from indspace.core.access import Principal
from indspace.core.errors import ValidationError
from indspace.core.model.entities import ENTITIES
from indspace.services.scope import (
    DEFAULT_PUBLIC_LAYERS,
    SCOPED_TABLES,
    check_enterprise_filters,
    redact_features,
    redact_rows,
    require_firm,
    require_layer,
    scoped_filters,
)
from indspace.store import Store

SYSTEM = Principal.system()

OUTPUT_CRS = 4326


def _check_table(name: str) -> None:
    if name not in ENTITIES:
        raise ValidationError(f"未知数据表：{name}", f"unknown table: {name}",
                              hint_zh=f"可选：{', '.join(ENTITIES)}",
                              hint_en=f"one of: {', '.join(ENTITIES)}")


def _filters(name: str, filters: dict[str, Any]) -> dict[str, Any]:
    cols = set(ENTITIES[name].columns)
    bad = [k for k in filters if k not in cols]
    if bad:
        raise ValidationError(f"不能按 {bad} 过滤", f"cannot filter on {bad}", where=name,
                              hint_en=f"filterable: {sorted(cols)}")
    return {k: v for k, v in filters.items() if v is not None}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe records (dates ISO, NA → null)."""
    return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))


def _geojson(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """GeoJSON FeatureCollection in EPSG:4326 (dates as ISO strings, NA as null)."""
    text = frame.to_crs(OUTPUT_CRS).to_json(drop_id=True, na="null", ensure_ascii=False,
                                            default=lambda v: v.isoformat())
    return json.loads(text)


def _guard(who: Principal, name: str, public_layers: Iterable[str]) -> None:
    """Spatial tables: public layers for anyone, the rest after login. Enterprise figures
    are narrowed by :func:`scoped_filters` / :func:`require_firm`."""
    if ENTITIES[name].geometry is not None:
        require_layer(who, name, public_layers)
    elif name not in SCOPED_TABLES:
        who.require_login()


def page(store: Store, name: str, *, filters: dict[str, Any], limit: int, offset: int,
         who: Principal = SYSTEM, public_layers: Iterable[str] = DEFAULT_PUBLIC_LAYERS
         ) -> dict[str, Any]:
    """One page of current records of ``name``: ``{"total", "limit", "offset", "items"}`` —
    spatial tables as a GeoJSON FeatureCollection in EPSG:4326 under ``items``. Enterprise
    tables are narrowed to the caller's district or enterprise."""
    _check_table(name)
    _guard(who, name, public_layers)
    where = _filters(name, scoped_filters(who, store, name, filters))
    check_enterprise_filters(who, store, name, where)
    total = store.counts({name: where})[name]
    frame = store.read_frame(name, where=where or None, limit=limit, offset=offset)
    body: dict[str, Any] = {"total": total, "limit": limit, "offset": offset}
    if isinstance(frame, gpd.GeoDataFrame):
        body["items"] = redact_features(who, name, _geojson(frame))
    else:
        body["items"] = _records(frame)
    return body


def record(store: Store, name: str, key: str | tuple[str, ...], *, who: Principal = SYSTEM,
           public_layers: Iterable[str] = DEFAULT_PUBLIC_LAYERS) -> dict[str, Any]:
    """One current record with its full version history."""
    _check_table(name)
    _guard(who, name, public_layers)
    entity = ENTITIES[name]
    if name in SCOPED_TABLES:
        code_col = SCOPED_TABLES[name][1]
        code = dict(zip(entity.key, key if isinstance(key, tuple) else (key,),
                        strict=True)).get(code_col)
        if code is not None:
            require_firm(who, store, str(code))
        else:
            who.require_role("city_admin", "auditor")
    values = key if isinstance(key, tuple) else (key,)
    where = dict(zip(entity.key, values, strict=True))
    frame = store.read_frame(name, where=where)
    if frame.empty:
        store.get(name, key)  # raises NotFoundError with the bilingual message
    out: dict[str, Any]
    if isinstance(frame, gpd.GeoDataFrame):
        out = redact_features(who, name, _geojson(frame)["features"][0])
    else:
        out = _records(frame)[0]
    hist = store.history(name, key).drop(columns=["geom"], errors="ignore")
    out["history"] = redact_rows(who, name, _records(hist))
    return out
