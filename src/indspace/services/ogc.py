"""OGC API – Features (Part 1 core + Part 2 CRS) read model over the store.

Collections are the public spatial entities (parcels, buildings, control_lines, parks); the
feature id is the entity's natural key. Output is GeoJSON in CRS84 unless ``crs`` asks for
EPSG:4326 / EPSG:4490 (lat/lon axis order, as Part 2 requires) or the store CRS.

Paging without ``bbox`` is plain SQL (``Store.read_frame`` limit/offset, ``Store.counts``).
With ``bbox`` the service keeps a small spatial index per (collection, filters): the key
order position and geometry of every record, in an STRtree. A query takes the matching
positions, slices the page window out of them and reads only that contiguous key-ordered
window from the store (checking the keys, rebuilding the index when the store moved on).
The index is rebuilt when the record count changes or after ``INDEX_TTL`` seconds, so a
geometry edit is seen in the bbox match at most that late.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from indspace.core.clock import local_day, parse_moment
from indspace.core.errors import NotFoundError, ValidationError
from indspace.core.model.entities import ENTITIES, Entity
from indspace.services.ogc_derived import (
    DERIVED,
    derived_frame,
    describe,
    filter_frame,
    unknown_params,
)
from indspace.store import Store

COLLECTIONS = ("parcels", "buildings", "control_lines", "parks")
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
INDEX_TTL = 60.0
EXACT_COUNT_LIMIT = 1_000_000
"""Above this many (estimated) rows an unfiltered page carries no ``numberMatched``."""

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]

RESERVED = {"limit", "offset", "bbox", "bbox-crs", "crs", "f", "datetime", "recorded_at",
            "resultType"}

TITLES = {
    "parcels": ("宗地", "Land parcels"),
    "buildings": ("建筑", "Buildings (footprints)"),
    "control_lines": ("工业区块控制线", "Industrial control-line blocks"),
    "parks": ("\"2070\"工业集聚区", "\"2070\" industrial cluster zones"),
}


class OgcParameterError(ValidationError):
    """A bad OGC API query parameter (HTTP 400, as the standard asks)."""

    http_status = 400


# ------------------------------------------------------------------ datetime
def parse_datetime(value: str | None, tz: tzinfo) -> date | None:
    """OGC ``datetime`` → the day whose valid records to serve: a date is that day in the
    deployment's time zone ``tz``; an instant (RFC 3339) stands for the day on which it falls
    there; ``..``, ``../..`` or empty → the current records. Intervals would need every
    version valid during the interval, which the store does not answer yet: 400, never
    silently ignored."""
    if value is None or value.strip() in ("", "..", "../.."):
        return None
    text = value.strip()
    if "/" in text:
        raise OgcParameterError("暂不支持时间区间过滤，请给出一个日期或时刻",
                                f"datetime intervals are not supported: {text}",
                                where="datetime",
                                hint_zh="如 datetime=2025-12-31", hint_en="give one day or "
                                "instant, e.g. 2025-12-31 or 2025-12-31T12:00:00Z")
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError as e:
            raise OgcParameterError(f"datetime 无效：{text}", f"invalid datetime: {text}",
                                    where="datetime", hint_zh="如 2025-12-31",
                                    hint_en="RFC 3339, e.g. 2025-12-31") from e
    moment = parse_instant(text, UTC, "datetime")   # RFC 3339: no offset means UTC
    assert moment is not None
    return local_day(moment, tz)


def parse_instant(text: str | None, tz: tzinfo, where: str = "recorded_at"
                  ) -> datetime | None:
    """``recorded_at`` (a day: its end; a time without offset: local) → an instant, or None
    when absent (:func:`indspace.core.clock.parse_moment`)."""
    if text is None or not text.strip():
        return None
    try:
        return parse_moment(text, tz)
    except ValueError as e:
        raise OgcParameterError(f"{where} 无效：{text}", f"invalid {where}: {text}",
                                where=where, hint_zh="日期或 RFC 3339 时刻，如 "
                                "2025-12-31T12:00:00Z", hint_en="a day or an RFC 3339 "
                                "instant, e.g. 2025-12-31T12:00:00Z") from e


# ------------------------------------------------------------------ CRS handling
def crs_uri(epsg: int | None) -> str:
    return CRS84 if epsg is None else f"{EPSG_URI}{epsg}"


def supported_crs(store: Store) -> list[str]:
    """CRS84 first (the default), then EPSG:4326, EPSG:4490 and the store CRS."""
    out = [CRS84]
    for epsg in (4326, 4490, store.srid):
        if crs_uri(epsg) not in out:
            out.append(crs_uri(epsg))
    return out


def parse_crs(store: Store, value: str | None, param: str = "crs") -> str:
    """A CRS parameter (URI, ``EPSG:n``, ``CRS84``, ``[OGC:CRS84]``) → the canonical URI."""
    if value is None or value == "":
        return CRS84
    v = value.strip().strip("<>[]")
    low = v.lower()
    uri: str | None = None
    if low in {"crs84", "ogc:crs84"} or v in {CRS84, CRS84.replace("http:", "https:")}:
        uri = CRS84
    else:
        code = None
        if low.startswith("epsg:"):
            code = v.split(":", 1)[1]
        elif "/def/crs/epsg/" in low:
            code = v.rstrip("/").rsplit("/", 1)[1]
        if code is not None and code.isdigit():
            uri = crs_uri(int(code))
    if uri is None or uri not in supported_crs(store):
        raise OgcParameterError(f"不支持的坐标系 {param}={value}",
                                f"unsupported {param}={value}", where=param,
                                hint_en="one of: " + ", ".join(supported_crs(store)))
    return uri


@lru_cache(maxsize=32)
def _transformer(src: str, dst: str) -> pyproj.Transformer:
    """A cached (x/y order) transformer between two CRS URIs.

    ``from_crs`` costs ~0.25 s and pyproj redoes it in every new thread (the API's worker
    threads); a transformer rebuilt from its PROJ pipeline string is cheap everywhere."""
    found = pyproj.Transformer.from_crs(_pyproj(src), _pyproj(dst), always_xy=True)
    return pyproj.Transformer.from_pipeline(found.definition)


def _transform_box(tr: pyproj.Transformer, minx: float, miny: float, maxx: float,
                   maxy: float) -> shapely.Polygon:
    """A box after transformation, as a polygon (edges densified to 64 points each)."""
    t = np.linspace(0.0, 1.0, 64, endpoint=False)
    xs = np.concatenate([minx + (maxx - minx) * t, np.full(64, maxx),
                         maxx - (maxx - minx) * t, np.full(64, minx)])
    ys = np.concatenate([np.full(64, miny), miny + (maxy - miny) * t,
                         np.full(64, maxy), maxy - (maxy - miny) * t])
    x, y = tr.transform(xs, ys)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise OgcParameterError("bbox 超出坐标系范围", "bbox is outside the CRS's area",
                                where="bbox")
    return shapely.Polygon(np.column_stack([x, y]))


@lru_cache(maxsize=32)
def _pyproj(uri: str) -> pyproj.CRS:
    return pyproj.CRS("OGC:CRS84") if uri == CRS84 else pyproj.CRS.from_epsg(
        int(uri.rsplit("/", 1)[1]))


def _north_first(uri: str) -> bool:
    axes = _pyproj(uri).axis_info
    return bool(axes) and axes[0].direction in ("north", "south")


def _swap_xy(geoms: np.ndarray) -> np.ndarray:
    return np.asarray(shapely.transform(geoms, lambda c: c[:, ::-1]), dtype=object)


# ------------------------------------------------------------------ spatial index
@dataclass
class _Index:
    keys: np.ndarray
    geoms: np.ndarray
    tree: shapely.STRtree
    count: int
    built: float


class OgcService:
    """The OGC API – Features read model over one store (thread-safe index cache)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._indexes: dict[tuple[str, tuple[tuple[str, Any], ...]], _Index] = {}
        self._lock = threading.Lock()

    # -------------------------------------------------------------- metadata
    def entity(self, collection_id: str) -> Entity:
        if collection_id not in COLLECTIONS:
            raise NotFoundError(f"没有数据集 {collection_id}",
                                f"no collection {collection_id}", where="collections",
                                hint_en="one of: " + ", ".join(COLLECTIONS))
        return ENTITIES[collection_id]

    def extent_crs84(self, collection_id: str) -> list[float] | None:
        idx = self._index(collection_id, {})
        if len(idx.geoms) == 0:
            return None
        minx, miny, maxx, maxy = shapely.total_bounds(idx.geoms)
        tr = _transformer(crs_uri(self.store.srid), CRS84)
        return [round(float(v), 7)
                for v in _transform_box(tr, minx, miny, maxx, maxy).bounds]

    def collection(self, collection_id: str, base: str,
                   scope: tuple[str, str] | None = None) -> dict[str, Any]:
        url = f"{base}/collections/{collection_id}"
        if collection_id in DERIVED:
            text = describe(collection_id)
        else:
            entity = self.entity(collection_id)
            zh, en = TITLES[collection_id]
            text = {"title": f"{zh} / {en}",
                    "description": f"{entity.label_zh}（{collection_id}），要素编号为 "
                                   f"{'/'.join(entity.key)}"}
        out: dict[str, Any] = {
            "id": collection_id, **text,
            "itemType": "feature",
            "crs": supported_crs(self.store),
            "storageCrs": crs_uri(self.store.srid),
            "links": [
                {"href": url, "rel": "self", "type": "application/json",
                 "title": "this collection"},
                {"href": f"{url}/items", "rel": "items", "type": "application/geo+json",
                 "title": "features (GeoJSON)"},
            ],
        }
        bbox = (self.extent_crs84(collection_id) if collection_id not in DERIVED
                else self._derived_extent(collection_id, scope))
        if bbox is not None:
            out["extent"] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
        return out

    def collections(self, base: str, derived: dict[str, tuple[str, str] | None] | None = None
                    ) -> dict[str, Any]:
        """The entity collections, plus the derived ones in ``derived`` (id → the caller's
        scope), which the router passes only to logged-in callers."""
        return {
            "links": [{"href": f"{base}/collections", "rel": "self",
                       "type": "application/json", "title": "collections"}],
            "crs": supported_crs(self.store),
            "collections": [self.collection(c, base) for c in COLLECTIONS]
            + [self.collection(c, base, s) for c, s in (derived or {}).items()],
        }

    def _derived_extent(self, collection_id: str, scope: tuple[str, str] | None
                        ) -> list[float] | None:
        frame = derived_frame(self.store, collection_id, scope)
        if not len(frame):
            return None
        minx, miny, maxx, maxy = frame.total_bounds
        tr = _transformer(crs_uri(self.store.srid), CRS84)
        return [round(float(v), 7)
                for v in _transform_box(tr, minx, miny, maxx, maxy).bounds]

    def derived_items(self, collection_id: str, *, limit: int, offset: int,
                      bbox: str | None, bbox_crs: str | None, crs: str | None,
                      params: dict[str, str], hits: bool, scope: tuple[str, str] | None,
                      feature_id: str | None = None) -> tuple[dict[str, Any], str]:
        """Items (or one feature) of a derived collection, filtered and paged in memory."""
        out_crs = parse_crs(self.store, crs)
        if params.get("datetime", "").strip() not in ("", "..", "../.."):
            raise OgcParameterError("派生数据集只提供最新批次，不支持 datetime",
                                    "derived collections serve the latest runs only; "
                                    "datetime is not supported", where="datetime")
        frame = derived_frame(self.store, collection_id, scope)
        bad = unknown_params(frame, params, RESERVED)
        if bad:
            raise OgcParameterError(f"未知参数 {bad[0]}", f"unknown query parameter {bad[0]}",
                                    where=collection_id)
        box = self.parse_bbox(bbox, bbox_crs) if bbox is not None else None
        frame = filter_frame(frame, params, RESERVED, box)
        key = DERIVED[collection_id][2]
        if feature_id is not None:
            one = frame[frame[key].astype(str) == feature_id]
            if one.empty:
                raise NotFoundError(f"{collection_id} {feature_id} 不存在",
                                    f"{collection_id} {feature_id} not found",
                                    where=collection_id)
            return self._geojson_key(key, one, out_crs)["features"][0], out_crs
        limit = max(1, min(limit, MAX_LIMIT))
        page = frame.iloc[0:0] if hits else frame.iloc[offset:offset + limit]
        body = self._geojson_key(key, page, out_crs)
        body["numberMatched"] = len(frame)
        body["numberReturned"] = len(body["features"])
        body["timeStamp"] = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
        return body, out_crs

    # -------------------------------------------------------------- parameters
    def filters(self, entity: Entity, params: dict[str, str]) -> dict[str, Any]:
        """Property equality filters from the query string; unknown parameters are a 400."""
        out: dict[str, Any] = {}
        for name, raw in params.items():
            if name in RESERVED:
                continue
            if name not in entity.columns:
                raise OgcParameterError(f"未知参数 {name}", f"unknown query parameter {name}",
                                        where=entity.table,
                                        hint_en="filterable: " + ", ".join(entity.columns))
            dtype = entity.field(name).dtype
            try:
                if dtype == "int":
                    out[name] = int(raw)
                elif dtype == "float":
                    out[name] = float(raw)
                elif dtype == "bool":
                    if raw.lower() not in {"true", "false", "1", "0"}:
                        raise ValueError(raw)
                    out[name] = raw.lower() in {"true", "1"}
                else:
                    out[name] = raw
            except ValueError as e:
                raise OgcParameterError(f"{name}={raw} 不是 {dtype}",
                                        f"{name}={raw} is not a {dtype}",
                                        where=entity.table) from e
        return out

    def parse_bbox(self, bbox: str, bbox_crs: str | None) -> shapely.Polygon:
        """``minx,miny,maxx,maxy`` (or 6 numbers with z) in ``bbox-crs`` → the box as a
        polygon in the store CRS (a lon/lat box is not a box in a projected CRS)."""
        try:
            nums = [float(v) for v in bbox.split(",")]
        except ValueError as e:
            raise OgcParameterError(f"bbox 无效：{bbox}", f"invalid bbox: {bbox}",
                                    where="bbox") from e
        if len(nums) == 6:
            nums = [nums[0], nums[1], nums[3], nums[4]]
        if len(nums) != 4:
            raise OgcParameterError(f"bbox 应为 4 或 6 个数：{bbox}",
                                    f"bbox needs 4 or 6 numbers: {bbox}", where="bbox")
        uri = parse_crs(self.store, bbox_crs, "bbox-crs")
        a1, a2, b1, b2 = nums
        x1, y1, x2, y2 = (a2, a1, b2, b1) if _north_first(uri) else (a1, a2, b1, b2)
        if uri == crs_uri(self.store.srid):
            return shapely.box(x1, y1, x2, y2)
        tr = _transformer(uri, crs_uri(self.store.srid))
        # a bbox crossing the antimeridian (x1 > x2) is not meaningful for one city
        return _transform_box(tr, min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))

    # -------------------------------------------------------------- items
    def items(self, collection_id: str, *, limit: int, offset: int, bbox: str | None,
              bbox_crs: str | None, crs: str | None, params: dict[str, str],
              hits: bool = False) -> tuple[dict[str, Any], str]:
        """A page of features: (FeatureCollection without links, output CRS URI); with
        ``hits`` only the count (``numberMatched``) and no features."""
        entity = self.entity(collection_id)
        out_crs = parse_crs(self.store, crs)
        where = self.filters(entity, params)
        limit = max(1, min(limit, MAX_LIMIT))
        as_of = parse_datetime(params.get("datetime"), self.store.tz)
        recorded_at = parse_instant(params.get("recorded_at"), self.store.tz)
        matched: int | None
        if as_of is not None or recorded_at is not None:
            matched, frame = self._as_of_page(collection_id, where, as_of, recorded_at, bbox,
                                              bbox_crs, limit, offset, hits)
        elif bbox is None:
            matched = (self.store.count(collection_id, where) if hits
                       else self._matched(collection_id, where))
            frame = self._empty(collection_id) if hits else self.store.read_frame(
                collection_id, where=where or None, limit=limit, offset=offset)
        elif hits:
            box = self.parse_bbox(bbox, bbox_crs)
            idx = self._index(collection_id, where)
            matched = len(idx.tree.query(box, predicate="intersects"))
            frame = self._empty(collection_id)
        else:
            box = self.parse_bbox(bbox, bbox_crs)
            matched, frame = self._bbox_page(collection_id, where, box, limit, offset)
        body = self._geojson(entity, frame, out_crs)
        if matched is not None:
            body["numberMatched"] = int(matched)
        body["numberReturned"] = len(body["features"])
        body["timeStamp"] = pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
        return body, out_crs

    def feature(self, collection_id: str, feature_id: str, crs: str | None
                ) -> tuple[dict[str, Any], str]:
        entity = self.entity(collection_id)
        out_crs = parse_crs(self.store, crs)
        frame = self.store.read_frame(collection_id, where={entity.key[0]: feature_id})
        if frame.empty:
            raise NotFoundError(f"{entity.label_zh} {feature_id} 不存在",
                                f"{collection_id} {feature_id} not found", where=collection_id)
        feat: dict[str, Any] = self._geojson(entity, frame, out_crs)["features"][0]
        return feat, out_crs

    def _geojson(self, entity: Entity, frame: pd.DataFrame, out_crs: str) -> dict[str, Any]:
        return self._geojson_key(entity.key[0], frame, out_crs)

    def _geojson_key(self, key: str, frame: pd.DataFrame, out_crs: str) -> dict[str, Any]:
        assert isinstance(frame, gpd.GeoDataFrame)
        gdf = frame
        if len(frame) and out_crs != crs_uri(self.store.srid):
            tr = _transformer(crs_uri(self.store.srid), out_crs)
            gdf = gdf.set_geometry(gpd.GeoSeries(shapely.transform(
                np.asarray(frame.geometry.values, dtype=object),
                lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1]))),
                index=frame.index, crs=_pyproj(out_crs)))
        if _north_first(out_crs) and len(gdf):
            gdf = gdf.set_geometry(gpd.GeoSeries(
                _swap_xy(np.asarray(gdf.geometry.values, dtype=object)), index=gdf.index,
                crs=gdf.crs))
        gdf = gdf.set_index(pd.Index(gdf[key].astype(str), name=None))
        text = gdf.to_json(drop_id=False, na="null", ensure_ascii=False,
                           default=lambda v: v.isoformat())
        fc: dict[str, Any] = json.loads(text)
        fc.pop("bbox", None)
        fc.pop("crs", None)  # RFC 7946 has no crs member; Content-Crs says it
        return fc

    def _as_of_page(self, name: str, where: dict[str, Any], as_of: date | None,
                    recorded_at: datetime | None, bbox: str | None, bbox_crs: str | None,
                    limit: int, offset: int, hits: bool) -> tuple[int, pd.DataFrame]:
        """Records valid on the day ``as_of`` as recorded at ``recorded_at`` (None: now),
        current versions and history, filtered in memory: a temporal query reads the whole
        table once, which the spatial index of the current records cannot serve."""
        frame = self.store.read_frame(name, as_of=as_of, recorded_at=recorded_at,
                                      where=where or None)
        if bbox is not None:
            box = self.parse_bbox(bbox, bbox_crs)
            frame = frame[shapely.intersects(np.asarray(frame.geometry.values, dtype=object),
                                             box)]
        matched = len(frame)
        if hits:
            return matched, self._empty(name)
        return matched, frame.iloc[offset:offset + limit].reset_index(drop=True)

    def _bbox_page(self, name: str, where: dict[str, Any], box: shapely.Polygon, limit: int,
                   offset: int) -> tuple[int, pd.DataFrame]:
        for attempt in range(2):
            idx = self._index(name, where, force=attempt > 0)
            hits = np.sort(idx.tree.query(box, predicate="intersects"))
            window = hits[offset:offset + limit]
            if len(window) == 0:
                return len(hits), self._empty(name)
            first, last = int(window[0]), int(window[-1])
            frame = self.store.read_frame(name, where=where or None,
                                          limit=last - first + 1, offset=first)
            key = ENTITIES[name].key[0]
            rel = window - first
            if len(frame) > int(rel[-1]) and np.array_equal(
                    frame[key].to_numpy()[rel].astype(str), idx.keys[window].astype(str)):
                return len(hits), frame.iloc[rel].reset_index(drop=True)
        raise NotFoundError("空间索引与数据不一致，请重试", "spatial index out of date; retry",
                            where=name)

    def _matched(self, name: str, where: dict[str, Any]) -> int | None:
        """The exact count, or None (no ``numberMatched``, as Part 1 allows) for an
        unfiltered table the planner estimates above ``EXACT_COUNT_LIMIT`` rows: counting a
        province's parcels on every page costs more than the page."""
        if not where and self.store.estimated_count(name) > EXACT_COUNT_LIMIT:
            return None
        return self.store.count(name, where)

    def _empty(self, name: str) -> pd.DataFrame:
        return self.store.read_frame(name, limit=0)

    def _index(self, name: str, where: dict[str, Any], force: bool = False) -> _Index:
        cache_key = (name, tuple(sorted(where.items())))
        count = self.store.count(name, where)
        with self._lock:
            idx = self._indexes.get(cache_key)
            if (not force and idx is not None and idx.count == count
                    and time.monotonic() - idx.built < INDEX_TTL):
                return idx
        key = ENTITIES[name].key[0]
        cols = [key, *[c for c in where if c != key], "geometry"]  # where needs its columns
        frame = self.store.read_frame(name, columns=cols, where=where or None,
                                      limit=count + 1)  # limit → SQL key order = page order
        geoms = np.asarray(frame.geometry.values, dtype=object)
        idx = _Index(frame[key].to_numpy(dtype=object), geoms, shapely.STRtree(geoms),
                     len(frame), time.monotonic())
        with self._lock:
            if len(self._indexes) > 64:
                self._indexes.clear()
            self._indexes[cache_key] = idx
        return idx
