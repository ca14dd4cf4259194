"""Vector tiles (MVT) of the store's layers, with a cache that invalidates exactly (issue #8).

Layers and attributes are the contract of ``docs/web-api.md``; tiles are WebMercatorQuad
(EPSG:3857), extent 4096, buffer 64, one layer per tile, the store's ``fid`` as feature id.
An empty tile is ``b""`` (served as HTTP 204).

* PostGIS: the whole tile is built by one SQL statement (``store.tiles.encoded_tile``).
* GeoPackage: the features in the tile's buffered box are read through the R-tree, moved to
  tile units with one vectorised transform, clipped to the buffer, snapped to the integer
  grid (``shapely.set_precision``, which also drops collapsed slivers), oriented, and encoded
  by ``mapbox_vector_tile``.

A parcel's ``line_status`` is read from ``parcel_line_status`` (``store.line_status``), kept
by :meth:`TileService.refresh_line_status` with the overlay engine; a parcel without a
valid kept row (edited since, lines changed since, nothing kept yet) gets it computed at
tile time, so the kept table makes cold tiles fast and is never a source of stale status.
A service started with ``refresh=True`` (the API's) refreshes the table in a background
thread when it finds it missing or out of date, and after the audit log shows an edit of
parcels or lines; with ``warm=True`` (the API's) it opens the connections its builds will
use at start, so that the first tiles do not pay PostgreSQL's per-connection PROJ set-up.

The cache (:class:`TileCache`) is an in-memory LRU of encoded tiles bounded in bytes. Each
entry remembers its buffered outline in the store CRS. :meth:`TileService.poll` reads the
audit rows written since the last poll (at most every ``poll_interval`` seconds, on
requests) and turns each into the geometries it changed (old and new versions), per layer;
exactly the cached tiles whose outline intersects one of them are dropped
(see ``docs/tiles.md``).
"""

from __future__ import annotations

import gzip
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
import pyproj
import shapely

from indspace.core.clock import today
from indspace.core.engines.controlline import overlay
from indspace.core.errors import NotFoundError, ValidationError
from indspace.core.geo.tiles import (
    BUFFER,
    EXTENT,
    ORIGIN,
    tile_bounds,
    tile_size,
    valid_tile,
)
from indspace.core.model.units import M2_PER_MU
from indspace.settings import DEFAULT_PROFILE
from indspace.store import Store, line_status
from indspace.store import tiles as sql

log = logging.getLogger(__name__)
MVT = "application/vnd.mapbox-vector-tile"
POLL_INTERVAL = 0.5
"""Seconds between two reads of the audit log (a request polls when this much has passed)."""
CACHE_BYTES = 256 * 2**20
GAP_WAIT = 30.0
"""Seconds a hole in the audit sequence is waited for (a PostgreSQL transaction that took
its ``fid`` earlier but has not committed yet) before it is taken as a rolled-back write."""


class TileRangeError(ValidationError):
    """z/x/y outside the tile matrix or the layer's zoom range (HTTP 400)."""

    http_status = 400


@dataclass(frozen=True)
class Layer:
    id: str
    title_zh: str
    title_en: str
    fields: dict[str, str]
    """attribute → TileJSON description (type in brackets)."""
    minzoom: int
    maxzoom: int
    public: bool


def _layers() -> dict[str, Layer]:
    s, n = "String", "Number"
    rows = [
        Layer("parcels", "宗地", "Land parcels",
              {"parcel_id": f"宗地代码 / parcel id ({s})", "district": f"区县代码 ({s})",
               "land_use_code": f"用地分类代码 / land-use code ({s})",
               "area_mu": f"宗地面积（亩）/ area in mu ({n})",
               "line_status": f"控制线状态 inside|partial|outside ({s})"}, 12, 20, True),
        Layer("parcel_grades", "宗地评价等级", "Parcel grades",
              {"parcel_id": f"宗地代码 ({s})",
               "grade": f"权利人亩均评价等级 A–D（最新批次）/ owner's grade ({s})",
               "land_grade": f"地企双评宗地等级 / land grade ({s})",
               "lowuse": f"低效用地 1/0 / low-efficiency ({n})"}, 12, 20, False),
        Layer("buildings", "建筑", "Buildings",
              {"building_id": f"建筑编号 ({s})", "floors": f"地上层数 / floors ({n})"},
              14, 20, True),
        Layer("control_lines", "工业区块控制线", "Industrial control-line blocks",
              {"block_id": f"区块编号 ({s})", "district": f"区县代码 ({s})"}, 8, 20, True),
        Layer("parks", "\"2070\"工业集聚区", "\"2070\" cluster zones",
              {"park_id": f"园区编号 ({s})", "name": f"园区名称 ({s})"}, 8, 20, True),
        Layer("lowuse_units", "低效用地连片改造单元", "Low-efficiency redevelopment units",
              {"unit_id": f"单元编号 ({s})", "project_type": f"项目类型 ({s})",
               "mode": f"推荐改造模式 ({s})", "area_mu": f"单元面积（亩）({n})"}, 10, 20, False),
    ]
    return {layer.id: layer for layer in rows}


LAYERS = _layers()
LAYER_TABLE_EFFECTS = {
    "parcels": ("parcels", "parcel_grades", "lowuse_units"),
    "buildings": ("buildings",),
    "control_lines": ("control_lines",),
    "parks": ("parks",),
}
"""Which layers show the geometry of a record of each table."""


@lru_cache(maxsize=8)
def _transformer(src: int, dst: int) -> pyproj.Transformer:
    found = pyproj.Transformer.from_crs(src, dst, always_xy=True)
    return pyproj.Transformer.from_pipeline(found.definition)


def layer(layer_id: str) -> Layer:
    if layer_id not in LAYERS:
        raise NotFoundError(f"没有瓦片图层 {layer_id}", f"no tile layer {layer_id}",
                            where="tiles", hint_zh="可用图层：" + "、".join(LAYERS),
                            hint_en="one of: " + ", ".join(LAYERS))
    return LAYERS[layer_id]


def check_tile(layer_id: str, z: int, x: int, y: int) -> Layer:
    """The layer, after checking that ``z/x/y`` is a tile of the quad within its zooms."""
    lay = layer(layer_id)
    if not (lay.minzoom <= z <= lay.maxzoom) or not valid_tile(z, x, y):
        n = (1 << z) - 1 if 0 <= z <= 30 else "2^z-1"
        raise TileRangeError(
            f"瓦片 {z}/{x}/{y} 超出范围：图层 {layer_id} 的级别为 {lay.minzoom}–{lay.maxzoom}，"
            f"x、y 须在 0–{n} 之间",
            f"tile {z}/{x}/{y} is out of range: layer {layer_id} has zooms "
            f"{lay.minzoom}–{lay.maxzoom} and x, y must be within 0–{n}",
            where=f"tiles/{layer_id}", hint_zh="按 TileJSON 的 minzoom/maxzoom 请求",
            hint_en="request zooms within the TileJSON minzoom/maxzoom")
    return lay


BUILD_SLOTS = 8
"""Tiles built at once; more requests wait for a slot (each build holds a store connection;
a PostgreSQL connection's first tile pays 100–500 ms of PROJ set-up, so a few kept
connections beat many new ones — see store.POOL_SIZE)."""


# ------------------------------------------------------------------ the cache
Key = tuple[str, int, int, int]
Scope = tuple[str, str]
SCOPED_LAYERS = ("parcel_grades", "lowuse_units")
"""Layers whose features are narrowed to the caller's district or enterprise."""


def _key(layer_id: str, z: int, x: int, y: int, scope: Scope | None) -> Key:
    """Cache key; a scoped tile is ``layer@kind=value`` so invalidation still finds it by
    its layer."""
    if scope is None or layer_id not in SCOPED_LAYERS:
        return (layer_id, z, x, y)
    return (f"{layer_id}@{scope[0]}={scope[1]}", z, x, y)


class TileCache:
    """LRU of encoded tiles, bounded in bytes; entries know their buffered outline (store
    CRS) so that :meth:`invalidate` drops exactly the tiles a changed geometry touches."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[Key, bytes] = OrderedDict()
        self._areas: dict[Key, shapely.Geometry] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.epoch = 0
        """Increases at every invalidation: a tile built across one is not stored."""
        self.hits = self.misses = self.dropped = 0

    def __len__(self) -> int:
        return len(self._tiles)

    def __contains__(self, key: Key) -> bool:
        return key in self._tiles

    def get(self, key: Key) -> bytes | None:
        with self._lock:
            data = self._tiles.get(key)
            if data is None:
                self.misses += 1
                return None
            self._tiles.move_to_end(key)
            self.hits += 1
            return data

    def put(self, key: Key, data: bytes, area: shapely.Geometry, epoch: int) -> bool:
        """Store a tile built while the cache was at ``epoch`` (refused if it moved on)."""
        with self._lock:
            if epoch != self.epoch or len(data) > self.max_bytes:
                return False
            old = self._tiles.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._tiles[key] = data
            self._areas[key] = area
            self._bytes += len(data)
            while self._bytes > self.max_bytes:
                k, v = self._tiles.popitem(last=False)
                self._areas.pop(k, None)
                self._bytes -= len(v)
            return True

    def invalidate(self, changed: dict[str, np.ndarray]) -> int:
        """Drop the tiles of each layer whose buffered outline intersects one of the layer's
        changed geometries; returns how many were dropped."""
        with self._lock:
            self.epoch += 1
            n = 0
            for layer_id, geoms in changed.items():
                geoms = geoms[~shapely.is_missing(geoms)] if len(geoms) else geoms
                keys = [k for k in self._tiles if k[0].partition("@")[0] == layer_id]
                if not keys or not len(geoms):
                    continue
                areas = np.array([self._areas[k] for k in keys], dtype=object)
                tree = shapely.STRtree(geoms)
                hit, _ = tree.query(areas, predicate="intersects")
                for i in np.unique(hit).tolist():
                    data = self._tiles.pop(keys[i])
                    self._areas.pop(keys[i], None)
                    self._bytes -= len(data)
                    n += 1
            self.dropped += n
            return n

    def clear(self) -> None:
        with self._lock:
            self.epoch += 1
            self._tiles.clear()
            self._areas.clear()
            self._bytes = 0


# ------------------------------------------------------------------ the service
class TileService:
    """Tiles of one store: build (PostGIS SQL or in-process), cache, invalidate from the
    audit log. Thread-safe (the API calls it from worker threads)."""

    def __init__(self, store: Store, *, cache: TileCache | None = None,
                 use_cache: bool = True, poll_interval: float = POLL_INTERVAL,
                 profile: str = DEFAULT_PROFILE, refresh: bool = False,
                 warm: bool = False) -> None:
        from indspace.services.evaluation import resolve_profile

        self.store = store
        self.cache = (cache or TileCache()) if use_cache else None
        self.poll_interval = poll_interval
        self.tolerance_m = float(resolve_profile(profile).value(
            "control_line_boundary_tolerance_m", today(store.tz)))
        self._to_3857 = _transformer(store.srid, 3857)
        self._to_store = _transformer(3857, store.srid)
        self._poll_lock = threading.Lock()
        self._last_poll = time.monotonic()
        self._watermark = sql.last_audit_fid(store)
        self._seen: set[int] = set()
        self._gaps: dict[int, float] = {}
        self._runs = sql.latest_runs(store)
        self._slots = threading.BoundedSemaphore(BUILD_SLOTS)
        self._lines_version = line_status.version(store)
        self._refresh = refresh
        self._refresh_lock = threading.Lock()
        self._refresh_thread: threading.Thread | None = None
        self._refresh_again = False
        if refresh and line_status.kept(store) != (self._lines_version, self.tolerance_m):
            self._refresh_soon()
        self._warm_thread: threading.Thread | None = None
        if warm:
            self._warm_thread = threading.Thread(target=self._warm, name="tiles-warm",
                                                 daemon=True)
            self._warm_thread.start()

    def _warm(self) -> None:
        """Warm the store connections the builds will use (PostgreSQL: PROJ set-up)."""
        try:
            sql.warm_connections(self.store, BUILD_SLOTS)
        except Exception:   # a failed warm-up only leaves the first tiles slower
            log.warning("tiles: the store connections were not warmed", exc_info=True)

    # -------------------------------------------------------------- metadata
    def tilejson(self, layer_id: str, tiles_url: str) -> dict[str, Any]:
        """TileJSON 3.0.0 of one layer; ``tiles_url`` is the ``…/{z}/{x}/{y}.mvt`` template."""
        lay = layer(layer_id)
        bounds = self.bounds_wgs84(layer_id)
        out: dict[str, Any] = {
            "tilejson": "3.0.0", "name": layer_id, "description": f"{lay.title_zh} / "
            f"{lay.title_en}", "scheme": "xyz", "tiles": [tiles_url],
            "minzoom": lay.minzoom, "maxzoom": lay.maxzoom,
            "bounds": bounds or [-180.0, -85.0511287798066, 180.0, 85.0511287798066],
            "vector_layers": [{"id": layer_id, "description": f"{lay.title_zh} / "
                               f"{lay.title_en}", "minzoom": lay.minzoom,
                               "maxzoom": lay.maxzoom, "fields": dict(lay.fields)}],
        }
        if bounds:
            out["center"] = [round((bounds[0] + bounds[2]) / 2, 6),
                             round((bounds[1] + bounds[3]) / 2, 6), min(lay.minzoom + 2,
                                                                        lay.maxzoom)]
        return out

    def bounds_wgs84(self, layer_id: str) -> list[float] | None:
        box = sql.table_bounds(self.store, sql.LAYER_TABLES[layer_id])
        if box is None:
            return None
        tr = _transformer(self.store.srid, 4326)
        xs, ys = tr.transform(np.array([box[0], box[2], box[0], box[2]]),
                              np.array([box[1], box[1], box[3], box[3]]))
        return [round(float(min(xs)), 6), round(float(min(ys)), 6),
                round(float(max(xs)), 6), round(float(max(ys)), 6)]

    def layers(self, base: str, public: Iterable[str], *, public_only: bool = False
               ) -> list[dict[str, Any]]:
        """The layers' entries, ``public`` saying which this deployment serves anonymously
        (its ``INDSPACE_PUBLIC_LAYERS``, not the code's default); ``public_only``: those
        only (an anonymous caller is not told which other layers exist)."""
        open_ = set(public)
        return [{"id": lay.id, "title": f"{lay.title_zh} / {lay.title_en}",
                 "public": lay.id in open_, "minzoom": lay.minzoom, "maxzoom": lay.maxzoom,
                 "attributes": list(lay.fields), "tilejson": f"{base}/{lay.id}.json",
                 "tiles": f"{base}/{lay.id}/{{z}}/{{x}}/{{y}}.mvt"} for lay in LAYERS.values()
                if not public_only or lay.id in open_]

    # -------------------------------------------------------------- tiles
    def tile(self, layer_id: str, z: int, x: int, y: int, scope: Scope | None = None
             ) -> bytes:
        """The encoded tile (cached); ``b""`` when it has no feature. ``scope`` narrows a
        scoped layer (parcel_grades, lowuse_units) to a district or an owner's parcels; each
        scope is cached under its own key."""
        check_tile(layer_id, z, x, y)
        self.maybe_poll()          # also without a cache: a new run changes parcel_grades
        if self.cache is None:
            return self.build(layer_id, z, x, y, scope)
        key = _key(layer_id, z, x, y, scope)
        data = self.cache.get(key)
        if data is not None:
            return data
        with self._slots:                   # at most BUILD_SLOTS builds (connections) at once
            data = self.cache.get(key)      # built by another request while this one waited?
            if data is not None:
                return data
            epoch = self.cache.epoch
            data = self.build(layer_id, z, x, y, scope)
        self.cache.put(key, data, self.tile_area(z, x, y), epoch)
        return data

    def cached(self, layer_id: str, z: int, x: int, y: int, scope: Scope | None = None
               ) -> bytes | None:
        """The cached tile when it can be answered without I/O (no poll of the audit log
        due), else None: the caller then calls :meth:`tile` in a worker thread. Lets an
        async endpoint answer hits on the event loop."""
        check_tile(layer_id, z, x, y)
        if self.cache is None or time.monotonic() - self._last_poll >= self.poll_interval:
            return None
        return self.cache.get(_key(layer_id, z, x, y, scope))

    def build(self, layer_id: str, z: int, x: int, y: int, scope: Scope | None = None
              ) -> bytes:
        """Build one tile from the store (no cache)."""
        eval_run, lowuse_run = self._runs
        scope = scope if layer_id in SCOPED_LAYERS else None
        data = sql.encoded_tile(self.store, layer_id, z, x, y, tolerance_m=self.tolerance_m,
                                lines_version=self._lines_version, eval_run=eval_run,
                                lowuse_run=lowuse_run, scope=scope)
        if data is None:            # the store does not encode tiles: encode here
            data = self.encode_in_process(layer_id, z, x, y, scope)
        return data

    def tile_area(self, z: int, x: int, y: int) -> shapely.Geometry:
        """The tile grown by its buffer, as a polygon in the store CRS (edges densified)."""
        minx, miny, maxx, maxy = tile_bounds(z, x, y, BUFFER)
        t = np.linspace(0.0, 1.0, 16, endpoint=False)
        xs = np.concatenate([minx + (maxx - minx) * t, np.full(16, maxx),
                             maxx - (maxx - minx) * t, np.full(16, minx)])
        ys = np.concatenate([np.full(16, miny), miny + (maxy - miny) * t,
                             np.full(16, maxy), maxy - (maxy - miny) * t])
        px, py = self._to_store.transform(xs, ys)
        return shapely.Polygon(np.column_stack([px, py]))

    def features(self, layer_id: str, z: int, x: int, y: int, scope: Scope | None = None
                 ) -> gpd.GeoDataFrame:
        """The features of a tile with their layer attributes, geometry in the store CRS
        (in-process path; used for GeoPackage stores)."""
        area = self.tile_area(z, x, y)
        eval_run, lowuse_run = self._runs
        feats = sql.layer_features(self.store, layer_id, area.bounds, eval_run=eval_run,
                                   lowuse_run=lowuse_run,
                                   scope=scope if layer_id in SCOPED_LAYERS else None,
                                   lines_version=self._lines_version,
                                   tolerance_m=self.tolerance_m)
        if layer_id == "parcels" and len(feats):
            status = np.array(feats["line_status"].to_numpy(dtype=object), dtype=object)
            todo = np.flatnonzero(pd.isna(status))   # no valid kept row: compute
            if len(todo):
                part = feats.iloc[todo]
                lines = sql.features_in_box(self.store, "control_lines",
                                            tuple(part.total_bounds), ["block_id"])
                status[todo] = overlay(part, lines, tolerance_m=self.tolerance_m)["status"]
            feats = feats.assign(area_mu=np.round(feats["area_m2"].to_numpy(float) / M2_PER_MU,
                                                  2), line_status=status)
        elif layer_id == "lowuse_units" and len(feats):
            feats = feats.dissolve(by="fid", as_index=False, sort=True)
        return feats

    def encode_in_process(self, layer_id: str, z: int, x: int, y: int,
                          scope: Scope | None = None) -> bytes:
        feats = self.features(layer_id, z, x, y, scope)
        if not len(feats):
            return b""
        minx, _, _, maxy = tile_bounds(z, x, y)
        k = EXTENT / tile_size(z)
        fwd = self._to_3857

        def to_units(xy: np.ndarray) -> np.ndarray:
            mx, my = fwd.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([(mx - minx) * k, (maxy - my) * k])

        geoms = shapely.transform(np.asarray(feats.geometry.values, dtype=object), to_units)
        geoms = shapely.clip_by_rect(geoms, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
        geoms = shapely.set_precision(geoms, 1.0)
        keep = ~shapely.is_empty(geoms) & (shapely.area(geoms) > 0)
        if not keep.any():
            return b""
        geoms = shapely.orient_polygons(geoms[keep], exterior_cw=False)
        cols = sql.LAYER_COLUMNS[layer_id]
        rows = feats.loc[keep]
        values = [rows[c].tolist() for c in cols]   # tolist: numpy scalars → Python
        features = []
        for g, f, *vals in zip(geoms.tolist(), rows["fid"].tolist(), *values, strict=True):
            props = {c: v for c, v in zip(cols, vals, strict=True) if v is not None and v == v}
            features.append({"geometry": g, "id": int(f), "properties": props})
        return bytes(mapbox_vector_tile.encode(
            {"name": layer_id, "features": features},
            default_options={"extents": EXTENT, "y_coord_down": True,
                             "check_winding_order": False}))

    # -------------------------------------------------------------- invalidation
    def maybe_poll(self) -> int:
        """Poll the audit log if ``poll_interval`` has passed and no other thread polls."""
        if time.monotonic() - self._last_poll < self.poll_interval:
            return 0
        if not self._poll_lock.acquire(blocking=False):
            return 0
        try:
            return self._poll()
        finally:
            self._poll_lock.release()

    def poll(self) -> int:
        """Read the audit rows written since the last poll and drop the tiles they change;
        returns the number of cached tiles dropped."""
        with self._poll_lock:
            return self._poll()

    def _poll(self) -> int:
        self._last_poll = time.monotonic()
        rows = sql.audit_after(self.store, self._watermark)
        rows = rows[~rows["fid"].isin(self._seen)]
        changed: dict[str, list[np.ndarray]] = {}
        runs_moved = False
        edited: set[str] = set()
        for row in rows.itertuples(index=False):
            self._seen.add(int(row.fid))
            if row.action in ("evaluate", "lowuse"):
                runs_moved = True
                continue
            for table in str(row.table_name).split(","):
                edited.add(table)
                if table not in LAYER_TABLE_EFFECTS:
                    continue
                keys = (None if row.action not in ("update", "retire", "insert")
                        or row.record_key in ("*", "-") else str(row.record_key).split(","))
                geoms = sql.changed_geometries(self.store, table, row.at, keys)
                for lay in LAYER_TABLE_EFFECTS[table]:
                    changed.setdefault(lay, []).append(geoms)
                if table == "control_lines" and len(geoms):
                    # line_status of every parcel the old or new block touches may change
                    changed.setdefault("parcels", []).append(self._parcels_touching(geoms))
        if "control_lines" in edited:
            self._lines_version = line_status.version(self.store)
        if self._refresh and edited & {"parcels", "control_lines"}:
            self._refresh_soon()
        if runs_moved:
            for lay, geoms in self._run_changes().items():
                changed.setdefault(lay, []).append(geoms)
        self._advance_watermark()
        if self.cache is None or not changed:
            return 0
        return self.cache.invalidate({lay: np.concatenate(g) for lay, g in changed.items()})

    # -------------------------------------------------------------- kept line status
    def refresh_line_status(self) -> bool:
        """Compute the current parcels' control-line status with the overlay engine (all
        current blocks, this service's boundary tolerance) and keep it
        (``store.line_status``); returns whether it was kept (not when the lines changed
        meanwhile). When the kept rows are of the current lines and tolerance (only parcels
        changed), only the parcels without a valid row are computed and their rows replaced;
        otherwise every parcel (city demo: ≈ 1–2 s)."""
        version = line_status.version(self.store)
        world = (-1e12, -1e12, 1e12, 1e12)
        partial = line_status.kept(self.store) == (version, self.tolerance_m)
        if partial:
            todo = line_status.stale(self.store, version, self.tolerance_m)
            parcels = sql.features_by_fid(self.store, "parcels", todo["fid"].tolist(),
                                          ["version", "parcel_id"])
        else:
            parcels = sql.features_in_box(self.store, "parcels", world,
                                          ["version", "parcel_id"])
        lines = sql.features_in_box(self.store, "control_lines", world, ["block_id"])
        status = (overlay(parcels, lines, tolerance_m=self.tolerance_m)["status"]
                  if len(parcels) else pd.Series([], dtype=object))
        frame = pd.DataFrame({"parcel_fid": parcels["fid"].to_numpy(),
                              "parcel_version": parcels["version"].to_numpy(),
                              "parcel_id": parcels["parcel_id"].to_numpy(),
                              "line_status": status.to_numpy()})
        # the lines version the builds pass stays the one the polls read (a refresh that
        # ends after a newer edit was polled must not set an older one back)
        if partial:
            return line_status.update(self.store, version, self.tolerance_m, frame)
        return line_status.write(self.store, version, self.tolerance_m, frame)

    def _refresh_soon(self) -> None:
        """Refresh the kept line status in a background thread (one at a time; a request
        made while one runs makes it run once more at its end)."""
        with self._refresh_lock:
            if self._refresh_thread is not None and self._refresh_thread.is_alive():
                self._refresh_again = True
                return
            self._refresh_thread = threading.Thread(target=self._refresh_loop,
                                                    name="tiles-line-status", daemon=True)
            self._refresh_thread.start()

    def _refresh_loop(self) -> None:
        while True:
            try:
                self.refresh_line_status()
            except Exception:   # a closed or read-only store: tiles compute the status
                log.warning("tiles: the parcels' line status was not refreshed", exc_info=True)
            with self._refresh_lock:
                if not self._refresh_again:
                    self._refresh_thread = None
                    return
                self._refresh_again = False

    def wait_background(self, timeout: float | None = None) -> None:
        """Wait for the background work (connection warm-up, a running refresh) to end, e.g.
        before the store is closed (tests, benchmarks)."""
        for thread in (self._warm_thread, self._refresh_thread):
            if thread is not None:
                thread.join(timeout)

    def _advance_watermark(self) -> None:
        now = time.monotonic()
        top = max(self._seen, default=self._watermark)
        while self._watermark < top:
            nxt = self._watermark + 1
            if nxt in self._seen:
                self._seen.discard(nxt)
            elif now - self._gaps.setdefault(nxt, now) < GAP_WAIT:
                break
            self._gaps.pop(nxt, None)
            self._watermark = nxt

    def _parcels_touching(self, geoms: np.ndarray) -> np.ndarray:
        geoms = geoms[~shapely.is_missing(geoms)]
        if not len(geoms):
            return geoms
        found = sql.features_in_box(self.store, "parcels", tuple(shapely.total_bounds(geoms)),
                                    [])
        cand = np.asarray(found.geometry.values, dtype=object)
        if not len(cand):
            return cand
        hit, _ = shapely.STRtree(geoms).query(cand, predicate="intersects")
        return cand[np.unique(hit)]

    def _run_changes(self) -> dict[str, np.ndarray]:
        """A new evaluation or low-efficiency run became the latest: the parcels whose
        parcel_grades attributes (grade, land_grade, lowuse) or lowuse_units attributes
        changed between the old and the new run pair."""
        old_runs, new_runs = self._runs, sql.latest_runs(self.store)
        if old_runs == new_runs:
            return {}
        old = sql.parcel_attributes(self.store, *old_runs).set_index("parcel_id")
        new = sql.parcel_attributes(self.store, *new_runs).set_index("parcel_id")
        self._runs = new_runs
        old = old.reindex(new.index)
        out: dict[str, np.ndarray] = {}
        geoms = None
        for lay, cols in (("parcel_grades", ["grade", "land_grade", "lowuse"]),
                          ("lowuse_units", ["unit_id", "project_type", "mode", "unit_area_mu"])):
            a, b = old[cols], new[cols]
            differs = ~((a == b) | (a.isna() & b.isna())).all(axis=1)
            ids = new.index[differs.to_numpy()]
            if not len(ids):
                continue
            if geoms is None:
                frame = self.store.read_frame("parcels", columns=["parcel_id", "geometry"])
                geoms = pd.Series(np.asarray(frame.geometry.values, dtype=object),
                                  index=frame["parcel_id"].to_numpy())
            out[lay] = geoms.reindex(ids).to_numpy(dtype=object)
        return out

    # -------------------------------------------------------------- export
    def _export_jobs(self, lays: list[Layer], lo: int, hi: int
                     ) -> dict[int, tuple[tuple[int, int, int], list[str]]]:
        """PMTiles tile id → ((z, x, y), layers to build): only tiles that some feature's
        box (moved to EPSG:3857) reaches, so empty ocean and countryside are never built."""
        from pmtiles.tile import zxy_to_tileid

        jobs: dict[int, tuple[tuple[int, int, int], list[str]]] = {}
        for lay in lays:
            frame = sql.features_in_box(self.store, sql.LAYER_TABLES[lay.id],
                                        (-1e12, -1e12, 1e12, 1e12), [])
            b = shapely.bounds(np.asarray(frame.geometry.values, dtype=object))
            b = b[~np.isnan(b[:, 0])]
            if not len(b):
                continue
            # the four corners of each box, moved, then boxed again
            cx = np.column_stack([b[:, 0], b[:, 2], b[:, 0], b[:, 2]])
            cy = np.column_stack([b[:, 1], b[:, 1], b[:, 3], b[:, 3]])
            mx, my = self._to_3857.transform(cx.ravel(), cy.ravel())
            mx, my = np.asarray(mx).reshape(-1, 4), np.asarray(my).reshape(-1, 4)
            merc = np.column_stack([mx.min(1), my.min(1), mx.max(1), my.max(1)])
            for z in range(max(lo, lay.minzoom), min(hi, lay.maxzoom) + 1):
                for x, y in _feature_tiles(merc, z):
                    tid = zxy_to_tileid(z, x, y)
                    jobs.setdefault(tid, ((z, x, y), []))[1].append(lay.id)
        return jobs

    def export_pmtiles(self, out: Path, layer_ids: Iterable[str], minzoom: int | None,
                       maxzoom: int | None,
                       progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Write every non-empty tile of ``layer_ids`` between the zooms into a PMTiles v3
        archive (tiles gzip-compressed, several layers in one tile). Returns a summary."""
        from pmtiles.tile import Compression, TileType

        lays = [layer(i) for i in layer_ids]
        if not lays:
            raise ValidationError("未选择图层", "no layer selected", where="--layers")
        lo = minzoom if minzoom is not None else min(lay.minzoom for lay in lays)
        hi = maxzoom if maxzoom is not None else max(lo, 14)
        if not (0 <= lo <= hi <= 20):
            raise TileRangeError(f"级别 {lo}–{hi} 无效（0 ≤ 最小级别 ≤ 最大级别 ≤ 20）",
                                 f"zooms {lo}–{hi} are invalid (0 ≤ minzoom ≤ maxzoom ≤ 20)",
                                 where="--minzoom/--maxzoom")
        jobs = self._export_jobs(lays, lo, hi)
        written = empty = 0
        tmp = out.with_name(out.name + ".part")
        with tmp.open("wb") as f:
            writer = _Writer(f)
            for i, tid in enumerate(sorted(jobs)):
                z, x, y = jobs[tid][0]
                parts = [self.build(lay_id, z, x, y) for lay_id in jobs[tid][1]]
                data = b"".join(parts)   # MVT layers concatenate (repeated protobuf field)
                if data:
                    writer.write_tile(tid, gzip.compress(data, mtime=0))
                    written += 1
                else:
                    empty += 1
                if progress is not None:
                    progress(i + 1, len(jobs))
            if not written:
                tmp.unlink(missing_ok=True)
                raise ValidationError("所选图层与级别范围内没有要素",
                                      "no feature in the selected layers and zooms",
                                      where="export-tiles")
            wgs = [b for b in (self.bounds_wgs84(lay.id) for lay in lays) if b]
            lon0, lat0 = min(b[0] for b in wgs), min(b[1] for b in wgs)
            lon1, lat1 = max(b[2] for b in wgs), max(b[3] for b in wgs)
            header = {"tile_type": TileType.MVT, "tile_compression": Compression.GZIP,
                      "min_lon_e7": int(lon0 * 1e7), "min_lat_e7": int(lat0 * 1e7),
                      "max_lon_e7": int(lon1 * 1e7), "max_lat_e7": int(lat1 * 1e7),
                      "center_zoom": lo, "center_lon_e7": int((lon0 + lon1) / 2 * 1e7),
                      "center_lat_e7": int((lat0 + lat1) / 2 * 1e7)}
            metadata = {"name": "indspace", "format": "pbf", "type": "overlay",
                        "description": "产业空间治理平台矢量瓦片 / indspace vector tiles",
                        "vector_layers": [{"id": lay.id, "fields": dict(lay.fields),
                                           "minzoom": max(lo, lay.minzoom),
                                           "maxzoom": min(hi, lay.maxzoom)} for lay in lays]}
            writer.finalize(header, metadata)
        tmp.replace(out)
        return {"out": str(out), "layers": [lay.id for lay in lays], "minzoom": lo,
                "maxzoom": hi, "tiles": written, "empty_skipped": empty,
                "bytes": out.stat().st_size}


def _feature_tiles(bounds: np.ndarray, z: int) -> set[tuple[int, int]]:
    """The tiles at zoom ``z`` whose buffered extent meets at least one of the EPSG:3857
    boxes ``bounds`` (n × 4): a superset of the non-empty tiles, computed from boxes only."""
    if not len(bounds):
        return set()
    s = tile_size(z)
    n = 1 << z
    pad = s * BUFFER / EXTENT
    x0 = np.clip(np.floor((bounds[:, 0] - pad + ORIGIN) / s), 0, n - 1).astype(np.int64)
    x1 = np.clip(np.floor((bounds[:, 2] + pad + ORIGIN) / s), 0, n - 1).astype(np.int64)
    y0 = np.clip(np.floor((ORIGIN - bounds[:, 3] - pad) / s), 0, n - 1).astype(np.int64)
    y1 = np.clip(np.floor((ORIGIN - bounds[:, 1] + pad) / s), 0, n - 1).astype(np.int64)
    out: set[tuple[int, int]] = set()
    for a, b, c, d in zip(x0.tolist(), x1.tolist(), y0.tolist(), y1.tolist(), strict=True):
        out.update((x, y) for x in range(a, b + 1) for y in range(c, d + 1))
    return out


def _writer_class() -> type:
    from pmtiles.tile import Entry
    from pmtiles.writer import Writer

    class DigestWriter(Writer):  # type: ignore[misc]
        """pmtiles' writer de-duplicates tiles by Python ``hash(bytes)`` (64 bits); this one
        by SHA-256, so two different tiles can never share one stored copy."""

        def write_tile(self, tileid: int, data: bytes) -> None:
            import hashlib

            hsh = hashlib.sha256(data).digest()
            if self.tile_entries and tileid < self.tile_entries[-1].tile_id:
                self.clustered = False
            found = self.hash_to_offset.get(hsh)
            if found is not None:
                last = self.tile_entries[-1]
                if tileid == last.tile_id + last.run_length and last.offset == found:
                    last.run_length += 1
                else:
                    self.tile_entries.append(Entry(tileid, found, len(data), 1))
            else:
                self.tile_f.write(data)
                self.tile_entries.append(Entry(tileid, self.offset, len(data), 1))
                self.hash_to_offset[hsh] = self.offset
                self.offset += len(data)
            self.addressed_tiles += 1

    return DigestWriter


def _Writer(f: Any) -> Any:
    return _writer_class()(f)


