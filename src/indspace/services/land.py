"""Land figures from geometry (issue #13): buildings overlaid on parcels, from the store and
from files.

The store path (:func:`store_overlay`, :func:`building_stats`) is what every step needing
parcel figures reads: the evaluation and 地企双评 (via ``evaluation._static_inputs``),
low-efficiency land (FAR, floor area, building age) and the redevelopment units. The file
path (:func:`land_far`) is the ``indspace land far`` tool: two files in, one table out, no
store. Both call the one engine, :mod:`indspace.core.engines.land_figures`.

The file tool is timed whole-process against single scripts (issue #13), so its path imports
no pandas: GeoPackages are read through Arrow into NumPy arrays, the engine works on arrays
and the CSV is written through Arrow (pandas is imported for the other input formats and for
.xlsx/.gpkg output only).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indspace.core.engines.land_figures import (
    FIGURE_COLUMNS,
    ISSUE_KINDS,
    Overlay,
    figure_table,
    overlay_buildings,
    parcel_sums,
)
from indspace.core.errors import StoreError, ValidationError
from indspace.services._collector import collector_paused
from indspace.services.output import CSV_RISKY_START, atomic, unsupported_format, write_sheets

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from indspace.core.policy import PolicyProfile
    from indspace.store import Store

STORE_BUILDING_COLUMNS = (
    "building_id",
    "parcel_id",
    "floors",
    "height_m",
    "gfa_m2",
    "year_built",
    "geometry",
)
OUT_FORMATS = (".csv", ".xlsx", ".gpkg")


def storey_limit(profile: PolicyProfile, on: date) -> float:
    """Mean storey height (m) above which floor area counts twice in FAR, in force on ``on``
    (国土资发〔2008〕24号; the profile's ``double_storey_height_m``)."""
    return float(profile.value("double_storey_height_m", on))


# ------------------------------------------------------------------ the store
@dataclass(frozen=True)
class StoreOverlay:
    """The store's current parcels and buildings and how they overlay."""

    parcels: Any  # parcel_id, geometry: a DataFrame or a mapping of columns (the engine's)
    buildings: Any  # STORE_BUILDING_COLUMNS, likewise
    overlay: Overlay

    def stats(self, limit_m: float, *, with_area: bool = False) -> pd.DataFrame:
        """parcel_id, footprint_m2, floor_area_m2, far_floor_m2 (m²) and mean_year_built —
        one row per parcel with a building, sorted by parcel_id. ``with_area``: also
        ``area_m2``, the parcel geometry's area (m², GEOS's), for the FAR (looking it up by
        id afterwards cost 1.2 s on the province's 1.2 M parcels)."""
        import pandas as pd

        codes, _ = self._id_codes
        sums = parcel_sums(self.overlay, len(codes), self.buildings, limit_m)
        rows = np.flatnonzero(sums["n_buildings"] > 0)
        in_order = len(rows) < 2 or bool(np.all(codes[rows][1:] > codes[rows][:-1]))
        if not in_order:  # a repeated id: its first row
            _, first = np.unique(codes[rows], return_index=True)
            rows = rows[np.sort(first)]
        frame = pd.DataFrame(
            {
                "parcel_id": self.overlay.parcel_ids[rows],
                "footprint_m2": sums["footprint_m2"][rows],
                "floor_area_m2": sums["floor_area_m2"][rows],
                "far_floor_m2": sums["far_floor_m2"][rows],
                "code": codes[rows],
                **({"area_m2": self.overlay.parcel_area[rows]} if with_area else {}),
            }
        )
        if not frame["parcel_id"].is_monotonic_increasing:
            frame = frame.sort_values("parcel_id", ignore_index=True)
        by_code = np.append(self._mean_year_by_code(), np.nan)  # code −1 (no id): NaN
        frame["mean_year_built"] = by_code[frame.pop("code").to_numpy()]
        frame["parcel_id"] = frame["parcel_id"].astype("string")
        return frame

    def mean_year_built(self) -> pd.Series:
        """Per parcel_id: mean year built of its buildings, weighted by the floor area each
        has there (``gfa_m2`` × share; a building without gfa_m2 weighs almost nothing, so
        that buildings of unknown floor area count equally)."""
        import pandas as pd

        _, ids = self._id_codes
        mean = self._mean_year_by_code()
        has = np.flatnonzero(~np.isnan(mean))
        return pd.Series(
            mean[has], index=pd.Index(np.asarray(ids, dtype=object)[has], name="parcel_id")
        )

    @cached_property
    def _id_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Each parcel row's id code (−1: no id) and the distinct ids (pandas' factorize;
        once per overlay). Ids in strictly increasing order (the pipeline reads the parcels
        sorted by id) are their own codes: one comparison of neighbours instead of a hash
        table (on the province's 1.2 M parcels ≈ 0.03 s against 0.2 s)."""
        import pandas as pd

        ids = self.overlay.parcel_ids
        try:
            increasing = bool(np.all(ids[1:] > ids[:-1]))
        except TypeError:  # None or pandas' NA among them, or ids of mixed types
            increasing = False
        if increasing:  # distinct, in order of appearance: what factorize gives
            return np.arange(len(ids), dtype=np.intp), ids
        return pd.factorize(ids)

    def _mean_year_by_code(self) -> np.ndarray:
        """:meth:`mean_year_built` per id code (NaN: no building with a year). Summed per
        code by ``np.bincount``: each code's pieces added one after the other in piece
        order, so a parcel's mean depends on its own pieces only and any split of the
        parcels between processes gives the same bits (pandas' grouped sum did not: on the
        small demo a group's sum changed in the last bit with the other groups' rows)."""
        import pandas as pd

        ov, b = self.overlay, self.buildings
        year = pd.to_numeric(b["year_built"], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )[ov.building]
        gfa = pd.to_numeric(b["gfa_m2"], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )[ov.building]
        ok = np.isfinite(year)
        weight = np.nan_to_num(gfa * ov.share, nan=0.0)[ok] + 1e-9
        codes, ids = self._id_codes
        key = codes[ov.parcel[ok]]
        known = key >= 0  # a missing parcel id is no group, as in a groupby
        wy = weight * year[ok]
        k = key[known]
        n = np.bincount(k, minlength=len(ids))
        w = np.bincount(k, weights=weight[known], minlength=len(ids))
        s = np.bincount(k, weights=wy[known], minlength=len(ids))
        out = np.full(len(ids), np.nan)
        has = n > 0
        out[has] = s[has] / w[has]
        return out


def store_overlay(store: Store) -> StoreOverlay:
    """Overlay the store's current buildings on its current parcels (GeoPackage or
    PostGIS alike: both are read through ``Store.read_frame``)."""
    import pandas as pd

    parcels = store.read_frame("parcels", columns=["parcel_id", "geometry"])
    buildings = store.read_frame("buildings", columns=list(STORE_BUILDING_COLUMNS))
    p = pd.DataFrame(
        {
            "parcel_id": parcels["parcel_id"].to_numpy(dtype=object),
            "geometry": np.asarray(parcels.geometry.values, dtype=object),
        }
    )
    b = pd.DataFrame(buildings.drop(columns="geometry")).assign(
        geometry=np.asarray(buildings.geometry.values, dtype=object)
    )
    return StoreOverlay(p, b, overlay_buildings(p, b))


def building_stats(store: Store, limit_m: float) -> pd.DataFrame:
    """Per-parcel building figures of the store (see :meth:`StoreOverlay.stats`)."""
    return kept_building_stats(store, (limit_m,))[float(limit_m)]


FIGURES_METHOD = "1"
"""Version of the way the kept figures are computed (:meth:`StoreOverlay.stats`); part of
their key, so that figures kept by an older method are computed anew."""


def kept_building_stats(store: Store, limits: Iterable[float]) -> dict[float, pd.DataFrame]:
    """Per storey-height limit, the per-parcel building figures of the store's current
    buildings and parcels (:meth:`StoreOverlay.stats`, the same frame to the last bit).

    They are read from the store when it keeps them for the current contents of both
    tables (:func:`~indspace.store.stamps.content_version`); else the buildings are
    overlaid on the parcels and the figures kept for the next step. Any import or edit of
    buildings or parcels changes the version, so figures are never read stale."""
    from indspace.store.land_figures import read_building_figures, write_building_figures
    from indspace.store.stamps import content_version

    wanted = sorted({float(x) for x in limits})
    tables = ("buildings", "parcels")
    content = content_version(store, tables)
    version = f"{FIGURES_METHOD}:{content}"
    found = {limit: read_building_figures(store, version, limit) for limit in wanted}
    missing = [limit for limit, frame in found.items() if frame is None]
    if missing:
        placed = store_overlay(store)
        computed = {limit: placed.stats(limit) for limit in missing}
        found.update(computed)
        # kept only if neither table changed while they were read (checked in the write);
        # a store that cannot be written now (read-only, locked) still gives the figures
        with contextlib.suppress(StoreError):
            write_building_figures(store, version, computed, tables=tables, content=content)
    return {limit: frame for limit, frame in found.items() if frame is not None}


# ------------------------------------------------------------------ the file tool
@dataclass
class FarResult:
    table: dict[str, np.ndarray]  # the figures: FIGURE_COLUMNS → arrays
    overlay: Overlay
    counts: dict[str, int]
    parcels: int
    buildings: int
    seconds: float
    crs: str
    notes: list[str]
    # the geometries read (parcels, buildings): held by the result so that a short-lived
    # caller (the CLI, which leaves by os._exit) never waits for them to be freed one by one
    geometries: tuple[np.ndarray, np.ndarray] = field(default=(np.empty(0), np.empty(0)))

    @property
    def figures(self) -> pd.DataFrame:
        """One row per parcel (:data:`FIGURE_COLUMNS`)."""
        import pandas as pd

        return pd.DataFrame(self.table)

    @property
    def issues(self) -> pd.DataFrame:
        """The data-quality list (``ISSUE_COLUMNS`` of the engine)."""
        return self.overlay.issues

    def summary(self) -> dict[str, Any]:
        return {
            "parcels": self.parcels,
            "buildings": self.buildings,
            "seconds": round(self.seconds, 3),
            "crs": self.crs,
            "issues": self.counts,
        }


def land_far(
    parcels_path: Path,
    buildings_path: Path,
    out: Path,
    *,
    parcels_layer: str | None = None,
    buildings_layer: str | None = None,
    crs: int | None = None,
    profile: str | None = None,
    on: date | None = None,
    threads: int = 1,
    started: float | None = None,
) -> FarResult:
    """``indspace land far``: per-parcel footprint, floor area, FAR and 建筑系数 of two files.

    CRS detection and header aliases are those of ``indspace import`` (ZDDM, DSCS, JZWGD …).
    When both paths name one GeoPackage, the layers default to ``parcels`` and
    ``buildings``. The output format follows the suffix of ``out``: .csv (the figures),
    .xlsx (sheets 宗地指标 and 数据质量) or .gpkg (layers ``parcel_figures`` with the parcel
    geometry and ``building_issues``). ``profile`` None: the deployment's default profile.
    """
    t0 = time.perf_counter() if started is None else started
    if out.suffix.lower() not in OUT_FORMATS:
        raise unsupported_format(out, OUT_FORMATS)
    same = (
        parcels_path.suffix.lower() == ".gpkg"
        and parcels_path.resolve() == buildings_path.resolve()
    )
    if same:
        parcels_layer = parcels_layer or "parcels"
        buildings_layer = buildings_layer or "buildings"
    with (
        collector_paused(),
        ThreadPoolExecutor(1) as side,
        ThreadPoolExecutor(max(threads, 1)) as pool,
    ):
        # the profile (pydantic, YAML: Python work) is read on its own thread while the files
        # are read (GDAL, GEOS: mostly outside the GIL); a bad profile still fails before
        # any output is written
        limit_job = side.submit(_storey_limit_of, profile, on)
        p_frame, p_geom, p_epsg, notes = _read(
            "parcels", parcels_path, parcels_layer, crs, None, pool, threads
        )
        b_frame, b_geom, _, b_notes = _read(
            "buildings",
            buildings_path,
            buildings_layer,
            crs,
            p_epsg,
            pool,
            threads,
            # the CSV holds the figures only: the buildings' own ids are never shown
            skip=("building_id",) if out.suffix.lower() == ".csv" else (),
        )
        notes += b_notes
        parcels = {"parcel_id": p_frame["parcel_id"], "geometry": p_geom}
        buildings = {**b_frame, "geometry": b_geom}
        ov = overlay_buildings(parcels, buildings, threads=threads)
        table = figure_table(parcels, buildings, ov, limit_job.result())
        result = FarResult(
            table,
            ov,
            ov.issue_counts(),
            len(p_geom),
            len(b_geom),
            0.0,
            f"EPSG:{p_epsg}",
            notes,
            (p_geom, b_geom),
        )
        _write_far(out, result, p_geom, p_epsg)  # still paused: the CSV makes many objects
    result.seconds = time.perf_counter() - t0
    return result


def prepare_short_process(parcels_path: Path, buildings_path: Path, out: Path) -> None:
    """Prepare a process that runs one :func:`land_far` and ends (the standalone
    ``indspace land far``): when it reads GeoPackages and writes CSV — Arrow alone — pyogrio
    is imported without pandas and GeoPandas (see
    :func:`indspace.ingest.files.pyogrio_without_pandas` and its caveat). Call it before
    anything imports pyogrio; other inputs and outputs leave the process as it is."""
    suffixes = {parcels_path.suffix.lower(), buildings_path.suffix.lower()}
    if suffixes == {".gpkg"} and out.suffix.lower() == ".csv":
        from indspace.ingest.files import pyogrio_without_pandas

        pyogrio_without_pandas()


def _storey_limit_of(profile: str | None, on: date | None) -> float:
    from indspace.core.clock import today
    from indspace.services.profiles import resolve_profile
    from indspace.settings import deployment

    if profile is None:
        profile = deployment().default_profile
    return storey_limit(resolve_profile(profile), on or today(deployment().tz))


_FIELDS = {
    "parcels": ("parcel_id",),
    "buildings": ("building_id", "parcel_id", "floors", "height_m", "gfa_m2"),
}
_NUMERIC = ("floors", "height_m", "gfa_m2")


def _read(
    kind: str,
    path: Path,
    layer: str | None,
    crs: int | None,
    target: int | None,
    pool: Executor,
    threads: int = 1,
    skip: tuple[str, ...] = (),
) -> tuple[dict[str, np.ndarray], np.ndarray, int, list[str]]:
    """Read one file as ``import`` does: its fields by alias (in contract units) as arrays
    (ids: object arrays, None for empty; figures: float64, NaN for missing), its geometry
    transformed to ``target`` (None: the file's own projected CRS).

    A GeoPackage is read through Arrow with only the columns needed, its WKB parsed on
    ``threads`` threads, without pandas; other formats go through
    :func:`indspace.ingest.readers.read_table`. Fields in ``skip`` are not read (building
    ids when only the figures are written).
    """
    from indspace.core.geo.crs_detect import detect_crs, to_crs
    from indspace.ingest.aliases import resolve_headers

    if path.suffix.lower() == ".gpkg":
        source, headers, fetch, declared, rows = _gpkg_columns(path, layer, pool, threads)
    else:
        source, headers, fetch, declared, rows = _any_columns(path, layer)
    resolution = resolve_headers(kind, headers)
    fields = tuple(f for f in _FIELDS[kind] if f not in skip)
    wanted = {name: resolution.sources(name)[0] for name in fields if resolution.sources(name)}
    columns, geoms = fetch(sorted(set(wanted.values())))
    if geoms is None:
        raise ValidationError(
            f"{kind} 文件没有几何",
            f"the {kind} file has no geometry",
            where=source,
            hint_zh="请提供 GeoPackage、Shapefile 或 GeoJSON",
            hint_en="give a GeoPackage, Shapefile or GeoJSON",
        )
    decision = detect_crs(geoms, declared_epsg=declared, given_epsg=crs)
    epsg = decision.epsg if target is None else target
    if target is None and _is_geographic(epsg):
        from indspace.settings import DEFAULT_SRID

        epsg = DEFAULT_SRID  # areas need metres: the deployment's projected CRS
    if decision.epsg != epsg or decision.swapped_axes:
        geoms = to_crs(geoms, decision, epsg)
    notes = [f"{source}: {decision.reason_zh} / {decision.reason_en}"]
    out: dict[str, np.ndarray] = {}
    n = len(geoms)
    for name in fields:
        if name not in wanted:
            out[name] = np.full(n, np.nan) if name in _NUMERIC else np.full(n, None, dtype=object)
            continue
        h = wanted[name]
        col = columns[h]
        if name in _NUMERIC:
            factor = resolution.mapping[h].factor
            values = col.floats()
            out[name] = values * (factor.numerator / factor.denominator) if factor != 1 else values
        else:
            out[name] = col.texts()
    if kind == "parcels" and "parcel_id" not in wanted:
        raise ValidationError(
            "宗地文件缺少宗地代码列",
            "the parcels file has no parcel_id column",
            where=source,
            hint_zh="表头用 宗地代码 或 ZDDM",
            hint_en="name the column parcel_id, 宗地代码 or ZDDM",
        )
    if kind == "buildings":
        if "floors" not in wanted and "gfa_m2" not in wanted:
            raise ValidationError(
                "建筑文件既无层数也无建筑面积，无法计算容积率",
                "the buildings file has neither floors nor gfa_m2; FAR cannot be computed",
                where=source,
                hint_zh="表头用 地上层数/DSCS 或 建筑面积/JZMJ",
                hint_en="add floors (地上层数, DSCS) or gfa_m2 (建筑面积, JZMJ)",
            )
        if "building_id" in skip:  # not written: row numbers name them
            out["building_id"] = rows
        elif "building_id" not in wanted:
            out["building_id"] = np.array([f"#{i}" for i in rows], dtype=object)
    return out, geoms, epsg, notes


Fetch = Any  # (columns) -> ({column: _Column}, geometries or None)


class _ArrowColumn:
    """A column read through Arrow (one ``pyarrow.ChunkedArray``), converted to NumPy
    without pandas (pyarrow's own ``to_numpy`` imports pandas)."""

    def __init__(self, col: pa.ChunkedArray) -> None:
        self.col = col

    def floats(self) -> np.ndarray:
        """float64, NaN where missing or not a number (as ``pd.to_numeric(errors='coerce')``)."""
        parts = [_arrow_floats(c) for c in self.col.chunks]
        return np.concatenate(parts) if parts else np.zeros(0)

    def texts(self) -> np.ndarray:
        """Objects: text trimmed, numbers as text, None for missing or empty."""
        parts = [_arrow_texts(c) for c in self.col.chunks]
        return np.concatenate(parts) if parts else np.empty(0, dtype=object)


class _FrameColumn:
    """A column of a frame read by :func:`indspace.ingest.readers.read_table`."""

    def __init__(self, col: pd.Series) -> None:
        self.col = col

    def floats(self) -> np.ndarray:
        import pandas as pd

        return pd.to_numeric(self.col, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)

    def texts(self) -> np.ndarray:
        col = self.col
        return _trimmed(col.astype(object).where(col.notna(), None).tolist())


def _trimmed(values: list[Any]) -> np.ndarray:
    """Identifiers as text: trimmed, numbers as text, None for missing or empty."""
    out = np.empty(len(values), dtype=object)
    out[:] = [
        (v.strip() or None)
        if isinstance(v, str)
        else (None if v is None or v != v else (str(v).strip() or None))
        for v in values
    ]
    return out


_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True  # what str.strip() removes
_ASCII_SPACE[128:] = True  # a byte of a non-ASCII character: it may be a space (U+3000 …)


def _arrow_texts(chunk: pa.Array) -> np.ndarray:
    """One Arrow chunk as :func:`_trimmed` gives it. For strings, only the values whose
    first or last byte may be white space are trimmed in Python (codes rarely are)."""
    import pyarrow as pa

    t = chunk.type
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return _trimmed(chunk.to_pylist())
    n = len(chunk)
    out = np.empty(n, dtype=object)
    out[:] = chunk.to_pylist()
    if not n:
        return out
    offsets = np.frombuffer(
        chunk.buffers()[1],
        dtype=np.int64 if pa.types.is_large_string(t) else np.int32,
        count=n + 1,
        offset=chunk.offset * (8 if pa.types.is_large_string(t) else 4),
    )
    data = chunk.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    nonempty = np.diff(offsets) > 0
    at = np.flatnonzero(nonempty)
    first, last = data[offsets[:-1][at]], data[offsets[1:][at] - 1]
    for i in at[_ASCII_SPACE[first] | _ASCII_SPACE[last]]:
        out[i] = out[i].strip() or None
    out[~nonempty] = None  # empty text, or missing
    return out


def _arrow_floats(chunk: pa.Array) -> np.ndarray:
    import pyarrow as pa

    t = chunk.type
    n = len(chunk)
    if n and (pa.types.is_integer(t) or pa.types.is_floating(t)):
        kind = "f" if pa.types.is_floating(t) else "i" if pa.types.is_signed_integer(t) else "u"
        dtype = np.dtype(f"{kind}{t.bit_width // 8}")
        values = np.frombuffer(
            chunk.buffers()[1], dtype=dtype, count=n, offset=chunk.offset * dtype.itemsize
        ).astype(np.float64)
        if chunk.null_count:
            valid = np.unpackbits(
                np.frombuffer(chunk.buffers()[0], dtype=np.uint8),
                count=chunk.offset + n,
                bitorder="little",
            )[chunk.offset :]
            values[valid == 0] = np.nan
        return values
    if not n or chunk.null_count == n:
        return np.full(n, np.nan)
    import pandas as pd  # text, decimals, booleans …: parsed as import does

    return pd.to_numeric(pd.Series(chunk.to_pylist(), dtype=object), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )


def _gpkg_columns(
    path: Path, layer: str | None, pool: Executor, threads: int
) -> tuple[str, list[str], Fetch, int | None, np.ndarray]:
    import pyogrio

    from indspace.core.geo.crs_detect import identify_epsg
    from indspace.ingest.files import geopackage_layers

    layers = geopackage_layers(path)  # the readers' checks and bilingual errors
    if layer is None:
        if len(layers) != 1:
            raise ValidationError(
                f"GeoPackage 有多个图层：{'、'.join(layers)}，请指定图层",
                f"the GeoPackage has several layers ({', '.join(layers)}); choose one",
                where=str(path),
                hint_zh="用 --parcels-layer / --buildings-layer 指定",
                hint_en="pass --parcels-layer / --buildings-layer",
            )
        layer = layers[0]
    elif layer not in layers:
        raise ValidationError(
            f"图层“{layer}”不存在；可用图层：{'、'.join(layers)}",
            f"layer {layer!r} does not exist; available: {', '.join(layers)}",
            where=str(path),
        )
    source = f"{path}:{layer}"
    info = pyogrio.read_info(path, layer=layer)
    headers = [str(f) for f in info["fields"]]
    declared = identify_epsg(info["crs"]) if info.get("crs") else None

    def fetch(columns: list[str]) -> tuple[dict[str, _ArrowColumn], np.ndarray | None]:
        meta, table = pyogrio.read_arrow(path, layer=layer, columns=columns)
        geom_col = meta.get("geometry_name") or "wkb_geometry"
        geoms = None
        if geom_col in table.column_names:
            chunks = table.column(geom_col).chunks
            table = table.drop_columns([geom_col])
            # chunk by chunk: the WKB bytes of one chunk at a time become Python objects
            geoms = (
                np.concatenate([_parse_wkb(_bytes(c), pool, threads) for c in chunks])
                if chunks
                else np.empty(0, object)
            )
            del chunks
        return {name: _ArrowColumn(table.column(name)) for name in table.column_names}, geoms

    return source, headers, fetch, declared, np.arange(1, int(info["features"]) + 1)


def _bytes(chunk: pa.Array) -> np.ndarray:
    """A binary Arrow array as an object array of bytes (None for null)."""
    out = np.empty(len(chunk), dtype=object)
    out[:] = chunk.to_pylist()
    return out


def _any_columns(
    path: Path, layer: str | None
) -> tuple[str, list[str], Fetch, int | None, np.ndarray]:
    from indspace.ingest.readers import read_table

    raw = read_table(path, layer=layer)
    frame = raw.frame
    geoms = np.asarray(frame["geometry"].values, dtype=object) if "geometry" in frame else None
    headers = [str(c) for c in frame.columns if c != "geometry"]

    def fetch(columns: list[str]) -> tuple[dict[str, _FrameColumn], np.ndarray | None]:
        return {c: _FrameColumn(frame[c]) for c in columns}, geoms

    return raw.source, headers, fetch, raw.declared_epsg, raw.row_numbers


def _parse_wkb(wkb: np.ndarray, pool: Executor, threads: int) -> np.ndarray:
    """WKB → geometries in ``threads`` slices on ``pool`` (GEOS parsing releases the GIL)."""
    import shapely

    if threads <= 1 or len(wkb) < 20_000:
        return np.asarray(shapely.from_wkb(wkb), dtype=object)
    cuts = np.linspace(0, len(wkb), threads + 1).astype(np.int64)
    parts = pool.map(lambda i: shapely.from_wkb(wkb[cuts[i] : cuts[i + 1]]), range(threads))
    return np.concatenate(list(parts))


def _is_geographic(epsg: int) -> bool:
    from pyproj import CRS

    return bool(CRS.from_epsg(epsg).is_geographic)


def _write_far(out: Path, result: FarResult, geoms: np.ndarray, epsg: int) -> None:
    suffix = out.suffix.lower()
    with atomic(out) as tmp:
        if suffix == ".csv":
            _write_csv(tmp, result.table)
        elif suffix == ".xlsx":
            write_sheets(tmp, {"宗地指标": result.figures, "数据质量": _issue_table(result)})
        else:
            import geopandas as gpd
            import pyogrio

            layer = gpd.GeoDataFrame(result.figures, geometry=geoms, crs=epsg)
            pyogrio.write_dataframe(layer, tmp, layer="parcel_figures", driver="GPKG")
            pyogrio.write_dataframe(
                _issue_table(result), tmp, layer="building_issues", driver="GPKG"
            )


def _write_csv(path: Path, table: dict[str, np.ndarray]) -> None:
    """CSV through Arrow's writer (≈ 8× pandas' on 200 000 rows; the arrays are handed to
    Arrow as buffers, so pandas is never imported): a plain header line, text quoted (a
    text starting like a formula gets a leading ``'``, as :func:`csv_safe`), numbers in
    shortest round-trip form, NaN as an empty cell."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    arrays = [_arrow_array(v) for v in table.values()]
    with path.open("wb") as fh:
        fh.write((",".join(table) + "\n").encode())
        pacsv.write_csv(
            pa.Table.from_arrays(arrays, names=list(table)),
            fh,
            pacsv.WriteOptions(include_header=False),
        )


def _arrow_array(values: np.ndarray) -> pa.Array:
    """A NumPy column as an Arrow array built from buffers (``pa.array`` imports pandas):
    floats (NaN → null), int64, or objects as text (None → null)."""
    import pyarrow as pa

    n = len(values)
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        return pa.Array.from_buffers(
            pa.float64(),
            n,
            [_validity(missing), pa.py_buffer(np.ascontiguousarray(values, dtype=np.float64))],
        )
    if values.dtype.kind in "iu":
        return pa.Array.from_buffers(
            pa.int64(), n, [None, pa.py_buffer(np.ascontiguousarray(values, dtype=np.int64))]
        )
    missing = np.equal(values, None)  # type: ignore[call-overload]  # elementwise on objects
    texts = ["" if v is None else str(v) for v in values.tolist()]
    risky = [i for i, v in enumerate(texts) if v.startswith(CSV_RISKY_START)]
    for i in risky:  # written as text, never run as a formula (issue #15)
        texts[i] = "'" + texts[i]
    data = "".join(texts).encode()
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    if len(data) != lengths.sum():  # not all ASCII: lengths in bytes
        lengths = np.fromiter((len(v.encode()) for v in texts), dtype=np.int64, count=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return pa.Array.from_buffers(
        pa.large_string(), n, [_validity(missing), pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _validity(missing: np.ndarray) -> pa.Buffer | None:
    import pyarrow as pa

    if not missing.any():
        return None
    return pa.py_buffer(np.packbits(~missing, bitorder="little"))


def _issue_table(result: FarResult) -> pd.DataFrame:
    t = result.issues.copy()
    t["message_zh"] = t["issue"].map({k: v[0] for k, v in ISSUE_KINDS.items()})
    t["message_en"] = t["issue"].map({k: v[1] for k, v in ISSUE_KINDS.items()})
    return t


def summary_json(result: FarResult) -> str:
    return json.dumps(result.summary(), ensure_ascii=False)


__all__ = [
    "FIGURE_COLUMNS",
    "FarResult",
    "StoreOverlay",
    "building_stats",
    "kept_building_stats",
    "land_far",
    "prepare_short_process",
    "store_overlay",
    "storey_limit",
]
