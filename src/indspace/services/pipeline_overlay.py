"""The overlay step of the annual pipeline on a Dask cluster, and the cluster itself
(issue #20): the partition tasks the workers run import only this module, GeoPandas and the
two overlay engines — not the evaluation, the store or SQLAlchemy (≈ 1 s of CPU per process
less; see docs/performance.md).

* :func:`overlay_futures` — per parcel partition (one district file) the building–parcel
  overlay (the one overlay engine, ``core/engines/land_figures.py``) on its own district's
  buildings plus a *halo*: the buildings of the other partitions whose envelope meets a
  parcel's envelope, and those without geometry (one may name a parcel here: the
  attribute fallback), from the partitions whose GeoParquet ``bbox`` metadata meets the
  partition's. A building across a district border is thus placed on both sides exactly
  as on the whole input; buildings are kept in building-id order, so each parcel's sums add
  the same pieces in the same order (the same bits as the local engine). The partitions
  are read as the local engine reads them (:class:`Shapes` measured from the WKB: the
  rectangles never become GEOS objects). Only the parcels' envelopes travel to the
  neighbouring building partitions and only the halo buildings travel back. With the
  control-line blocks, the control-line overlay per parcel partition too (its parcels made
  Shapely geometries there);
* :func:`connect` — a LocalCluster (processes, or one in-process worker with threads) or a
  running scheduler.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

# GeoPandas at import, not lazily: a worker unpickling a GeoDataFrame on its event loop
# while a task thread first imports GeoPandas fails (a partly initialised module)
import geopandas as gpd
import numpy as np
import pandas as pd

from indspace.core.engines.controlline import overlay as line_overlay
from indspace.core.engines.envelopes import Box, envelope_pairs, extent, meeting
from indspace.core.engines.land_figures import overlay_buildings
from indspace.core.engines.shapes import Shapes, ShapesWriter
from indspace.core.engines.units import contiguity_pairs
from indspace.core.model.partitions import PART_FILE
from indspace.services.land import STORE_BUILDING_COLUMNS, StoreOverlay

BUILDING_COLUMNS = list(STORE_BUILDING_COLUMNS)
"""The building columns the overlay reads: the same as from a store."""


def districts_of(input_dir: Path, table: str) -> list[str]:
    """Admin codes of the partitions of ``table`` (sorted)."""
    return sorted(
        f.parent.name.split("=", 1)[1]
        for f in (Path(input_dir) / table).glob(f"district=*/{PART_FILE}")
    )


def parcel_stats(
    parcels: Any, buildings: Any, limit_m: float, *, threads: int = 1, with_area: bool = False
) -> pd.DataFrame:
    """Per-parcel building figures of ``parcels`` (:meth:`StoreOverlay.stats`: the overlay
    engine, the frame the evaluation reads). ``buildings`` must hold every building whose
    envelope meets a parcel of ``parcels``, in building-id order (then each parcel's sums
    add the same pieces in the same order as on the whole input: the same bits). Both may
    be (Geo)DataFrames whose ``geometry`` column holds Shapely objects, or mappings of
    columns whose ``geometry`` is a :class:`~indspace.core.engines.shapes.Shapes`
    (:func:`read_overlay_input`); ``threads`` is the engine's (the result does not depend
    on it). ``with_area``: with each parcel's ``area_m2`` too (:meth:`StoreOverlay.stats`)."""
    p = _engine_columns(parcels, ["parcel_id", "geometry"])
    b = _engine_columns(buildings, BUILDING_COLUMNS)
    overlay = overlay_buildings(p, b, threads=threads)
    return StoreOverlay(p, b, overlay).stats(limit_m, with_area=with_area)


def _engine_columns(frame: Any, names: list[str]) -> dict[str, Any]:
    """The columns ``names`` of a frame or mapping as the engine takes them: parcel ids as
    an object array (building ids stay as they are: the engine converts only the listed
    ones), the geometry as :class:`Shapes` or an array of Shapely geometries."""
    out: dict[str, Any] = {c: frame[c] for c in names if c != "geometry"}
    if "geometry" in names and "building_id" not in names:  # the parcels: ids as objects
        out["parcel_id"] = np.asarray(out["parcel_id"], dtype=object)
    geometry = frame["geometry"]
    out["geometry"] = (
        geometry
        if isinstance(geometry, Shapes)
        else np.asarray(getattr(geometry, "array", geometry), dtype=object)
    )
    return out


def read_overlay_input(
    input_dir: Path, *, threads: int = 2
) -> tuple[dict[str, Any], dict[str, Any], np.ndarray]:
    """The overlay's inputs from every partition of ``input_dir``, as one machine reads them
    for :func:`parcel_stats`: ``(parcels, buildings, parcel_area)``.

    ``parcels`` (parcel_id, geometry) sorted by parcel_id and ``buildings``
    (:data:`BUILDING_COLUMNS`) sorted by building_id, as
    :func:`indspace.demo.parquet.read_partitioned_geoparquet` gives them (the same rows in
    the same order, so the same sums to the bit), but read with Arrow only: the files on
    ``threads`` threads, only these columns, each file by itself (``ParquetFile``: not the
    dataset layer, whose first use costs ≈ 0.3 s of imports). Each is a mapping of columns
    (pandas Series) whose ``geometry`` is a :class:`~indspace.core.engines.shapes.Shapes`
    read from the WKB bytes: the rectangles are never decoded into GEOS objects.
    ``parcel_area`` is each parcel's geometry area (m², GEOS's), for the FAR."""
    parcels, buildings = _read_frames(
        _files(input_dir, "parcels"), _files(input_dir, "buildings"), threads=threads
    )
    return parcels, buildings, _area(parcels)


def _files(input_dir: Path, name: str, codes: list[str] | None = None) -> list[Path]:
    root = Path(input_dir) / name
    if codes is None:
        codes = districts_of(input_dir, name)
    return [root / f"district={c}" / PART_FILE for c in codes]


def _area(parcels: dict[str, Any]) -> np.ndarray:
    area: np.ndarray = parcels["geometry"].area
    return area


def _read_frames(
    p_files: list[Path], b_files: list[Path], *, threads: int, extra: Any = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parcels (parcel_id, geometry) by parcel_id and buildings (:data:`BUILDING_COLUMNS`)
    by building_id from these files (see :func:`read_overlay_input`); ``extra`` (Arrow
    tables of the buildings' columns, or such tables without the geometry paired with it
    as :class:`Shapes`, :func:`_measured`) is added after the buildings' files, before the
    sort (none when the whole is already in id order).

    The files' footers are read first (row counts, column types); then each file is
    measured on the reading thread right after it is read, straight into its rows of the
    whole column (:class:`ShapesWriter`), its numeric columns copied into their rows of
    whole NumPy arrays (:func:`_numeric_columns`), and those Arrow columns and its WKB
    dropped at once. So the whole WKB column (≈ 620 MB on the province demo) is never
    resident, only one file's per thread, and neither the measures nor the numbers are
    copied a second time (docs/performance.md, "read7"). Arrow allocates from its jemalloc
    pool meanwhile (:func:`_arrow_pool`)."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.parquet as pq

    b_cols = _b_read_columns()
    jobs = [(f, ["parcel_id", "geometry"]) for f in p_files] + [(f, b_cols) for f in b_files]
    np_ = len(p_files)
    sides = (range(np_), range(np_, len(jobs)))
    with _arrow_pool(), ThreadPoolExecutor(max(1, threads)) as pool:
        opened = list(pool.map(lambda job: pq.ParquetFile(job[0]), jobs))
        sizes = [f.metadata.num_rows for f in opened]
        starts = [0] * len(jobs)
        for side in sides:
            for k in side[1:]:
                starts[k] = starts[k - 1] + sizes[k - 1]
        writers = [ShapesWriter(sum(sizes[k] for k in side)) for side in sides]
        dtypes = [
            _numeric_columns([opened[k].schema_arrow for k in side], jobs[side[0]][1])
            if len(side)
            else {}
            for side in sides
        ]
        numbers = [
            {c: np.empty(w.n, dtype=d) for c, d in kinds.items()}
            for kinds, w in zip(dtypes, writers, strict=True)
        ]

        def read(k: int) -> Any:
            t = opened[k].read(columns=jobs[k][1])
            opened[k] = None  # its reader and buffers go now
            if len(t) != sizes[k]:
                raise ValueError(f"{jobs[k][0]}: {len(t)} rows read, {sizes[k]} in its footer")
            at, side = starts[k], int(k >= np_)
            writers[side].put(at, t.column("geometry"))
            done = ["geometry"]
            for c, whole in numbers[side].items():
                if t.column(c).null_count == 0:  # else converted as before, see below
                    whole[at : at + len(t)] = t.column(c).to_numpy()
                    done.append(c)
            return t.drop_columns(done)

        tables = list(pool.map(read, range(len(jobs))))
        more = [_measured(e) if isinstance(e, pa.Table) else e for e in extra or []]
        b_shapes = Shapes.concat([writers[1].shapes(hold=False), *(s for _, s in more)])
        frames = [
            (
                [tables[k] for k in side],
                numbers[i],
                [t for t, _ in more] if i else [],
                [starts[k] for k in side],
                b_shapes if i else writers[0].shapes(),
            )
            for i, side in enumerate(sides)
        ]
        if not len(sides[1]) and not more:
            frames[1] = ([_empty_buildings().drop_columns(["geometry"])], {}, [], [0], b_shapes)
        del tables, more, b_shapes
        parcels_f = pool.submit(_frame, *frames[0], "parcel_id")
        buildings_f = pool.submit(_frame, *frames[1], "building_id")
        del frames
        parcels, buildings = parcels_f.result(), buildings_f.result()
    return parcels, {c: buildings[c] for c in BUILDING_COLUMNS}


def _numeric_columns(schemas: list[Any], columns: list[str]) -> dict[str, np.dtype[Any]]:
    """The ``columns`` of these files (Arrow schemas) that pandas gets as NumPy arrays of
    one dtype when they hold no null: integers, floats (not half) and booleans of the
    same type in every file — with their NumPy dtypes."""
    import pyarrow as pa

    out: dict[str, np.dtype[Any]] = {}
    for c in columns:
        types = {s.field(c).type for s in schemas}
        if len(types) != 1:
            continue
        (kind,) = types
        if (
            pa.types.is_integer(kind)
            or pa.types.is_boolean(kind)
            or (pa.types.is_floating(kind) and not pa.types.is_float16(kind))
        ):
            out[c] = np.dtype(kind.to_pandas_dtype())
    return out


def _frame(
    tables: list[Any],
    numbers: dict[str, np.ndarray],
    extra: list[Any],
    starts: list[int],
    shapes: Shapes,
    key: str,
) -> dict[str, Any]:
    """The rows of ``tables`` (a file's columns but the geometry and those whose values
    are in ``numbers`` from row ``starts[k]``) and then ``extra`` (tables with every
    column), ``shapes`` their geometry, by ``key`` (each file is sorted, the files in turn
    need not be: a tiled input), as a mapping of columns (pandas Series, as
    ``Table.to_pandas`` gives them), the geometry as :class:`Shapes`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values: dict[str, np.ndarray] = {}
    for c, whole in numbers.items():
        if not extra and all(c not in t.column_names for t in tables):
            values[c] = whole  # every file's values copied: no null
            continue
        # a file with nulls in it, or rows of extra tables: the column from Arrow as a whole
        chunks: list[Any] = []
        for t, at in zip(tables, starts, strict=True):
            here = c in t.column_names
            chunks += t.column(c).chunks if here else [pa.array(whole[at : at + len(t)])]
        for t in extra:
            chunks += t.column(c).chunks
        kind = chunks[0].type if chunks else pa.from_numpy_dtype(whole.dtype)
        values[c] = pa.chunked_array(chunks, type=kind).to_pandas().to_numpy()
        tables = [t.drop_columns([c]) if c in t.column_names else t for t in tables]
        extra = [t.drop_columns([c]) for t in extra]
    t = pa.concat_tables([*tables, *extra])
    del tables, extra
    ids = t.column(key)
    if len(t) > 1 and not pc.all(pc.less(ids[:-1], ids[1:])).as_py():
        order = pc.sort_indices(ids)
        t = t.take(order)
        at = order.to_numpy()
        shapes = shapes.take(at)
        values = {c: v[at] for c, v in values.items()}
    rest = t.to_pandas()
    out: dict[str, Any] = {c: rest[c] for c in rest.columns}
    for c, v in values.items():
        out[c] = pd.Series(v, name=c, dtype=v.dtype, copy=False)
    out["geometry"] = shapes
    return out


@contextlib.contextmanager
def _arrow_pool() -> Any:
    """Arrow's default memory pool set to its jemalloc one inside the block, unless
    ``ARROW_DEFAULT_MEMORY_POOL`` chooses one (or jemalloc is not built in). Measured on the
    province demo (180 files, docs/performance.md "read7"), the read in
    ``large_blocks_in_heap`` peaked at 1.07–1.09 GB resident with jemalloc, 1.24 GB with
    the default mimalloc pool (which keeps each file's freed read buffers) and 1.08–1.12 GB
    with the system allocator, using 3.2–3.6 s of CPU against mimalloc's 4.8–5.1 s; the
    whole overlay step peaked at 3.1–3.25 GB against mimalloc's 3.37 GB. (The Parquet read
    options ``pre_buffer``, ``buffer_size``, ``memory_map`` and ``use_threads`` changed
    neither measurably.) The pool is the process's: other threads' Arrow allocations
    meanwhile come from it too (harmless: buffers return to their own pool)."""
    import pyarrow as pa

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        yield
        return
    before = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(before)


def _b_read_columns() -> list[str]:
    return [c for c in BUILDING_COLUMNS if c != "geometry"] + ["geometry"]


def _read_table(path: Path, columns: list[str]) -> Any:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).read(columns=columns)


def _read_measured(path: Path, columns: list[str]) -> tuple[Any, Shapes]:
    """:func:`_measured` of a file's ``columns``."""
    return _measured(_read_table(path, columns))


def _measured(table: Any) -> tuple[Any, Shapes]:
    """A table's columns but the geometry, and the geometry as :class:`Shapes` (on this
    thread; the choice to hold Shapely geometries left to :meth:`Shapes.concat`): the WKB
    column is not kept."""
    shapes = Shapes.from_wkb(table.column("geometry"), threads=1, hold=False)
    return table.drop_columns(["geometry"]), shapes


def _empty_buildings() -> Any:
    import pyarrow as pa

    return pa.table({c: pa.array([], type=pa.large_string()) for c in _b_read_columns()})


# ------------------------------------------------------------------ the step on a pool
POOL_MIN_BUILDINGS = 500_000
"""Below this many buildings the step runs in one process: a second process's start
(≈ 1 s of imports, docs/performance.md "ovl20b") costs more than half the work saves."""


POOL_MAX_HALO = 0.1
"""The pool is used only when its groups' halos hold at most this share of the buildings
(:func:`_plan`): on the province (halos ≈ 1.6 M rows read of 5 M) two processes took 12.1 s
against one process's 10.6 s on a quiet machine, while on the tiled 8× city (no halo) they
took 2.9 s against 3.4 s (docs/performance.md, "ovl20c")."""


def _groups(input_dir: Path, n: int) -> list[list[str]]:
    """The parcel partitions in ``n`` groups of about equal buildings (:func:`_plan`)."""
    return _plan(input_dir, n)[0]


def _plan(input_dir: Path, n: int) -> tuple[list[list[str]], int, int]:
    """``(groups, halo, total)``: the parcel partitions in ``n`` groups of about equal
    buildings, each a run of partitions in one of three orders (district code; centre of
    the ``bbox`` from west to east; from south to north) — the order whose groups' halos
    hold the fewest buildings (counted as whole partitions whose ``bbox`` meets a group's;
    each is read in full) — that halo's rows and the buildings in all."""
    import pyarrow.parquet as pq

    codes = districts_of(input_dir, "parcels")
    b_codes = set(districts_of(input_dir, "buildings"))
    size = {
        c: pq.ParquetFile(f).metadata.num_rows
        for c, f in zip(
            sorted(b_codes), _files(input_dir, "buildings", sorted(b_codes)), strict=True
        )
    }
    p_box = dict(
        zip(codes, (file_box(f) for f in _files(input_dir, "parcels", codes)), strict=True)
    )
    b_box = {
        c: file_box(f)
        for c, f in zip(
            sorted(b_codes), _files(input_dir, "buildings", sorted(b_codes)), strict=True
        )
    }
    total = sum(size.values())
    orders = [codes]
    if all(p_box[c] is not None for c in codes):
        for axis in (0, 1):

            def along(c: str, a: int = axis) -> tuple[float, str]:
                box = p_box[c]
                assert box is not None  # checked above
                return (box[a] + box[a + 2], c)

            orders.append(sorted(codes, key=along))

    def split(order: list[str]) -> list[list[str]]:
        groups: list[list[str]] = [[] for _ in range(n)]
        acc = 0
        for c in order:
            groups[min(n - 1, int(acc * n // max(total, 1)))].append(c)
            acc += size.get(c, 0)
        return [sorted(g) for g in groups if g]

    def halo(groups: list[list[str]]) -> int:
        out = 0
        for g in groups:
            mine = set(g)
            for c, box in b_box.items():
                if c in mine:
                    continue
                if box is None or any(p_box[p] is None or meets(p_box[p], box) for p in g):  # type: ignore[arg-type]
                    out += size[c]
        return out

    best = min((split(o) for o in orders), key=halo)
    return best, halo(best), total


def group_stats(
    input_dir: Path, codes: list[str], limit_m: float, *, threads: int = 1
) -> pd.DataFrame:
    """:func:`parcel_stats` (``with_area``) of the parcel partitions ``codes`` (one
    process's share of :func:`overlay_stats`).

    The buildings are those of these districts plus the *halo* of the others: every building
    of another partition whose envelope meets the envelope of one of these partitions
    (``bbox`` metadata; the envelopes measured from the WKB bytes once, :func:`_measured`,
    and those rows taken, :meth:`Shapes.take`), and every building of another partition
    without geometry (it may name one of these parcels: the attribute fallback). A building
    farther away has no piece on these parcels. All are sorted by building_id, as on the
    whole input, so each parcel's sums add the same pieces in the same order: the same
    bits."""
    import pyarrow as pa

    input_dir = Path(input_dir)
    b_codes = districts_of(input_dir, "buildings")
    mine = set(codes)
    boxes = [file_box(f) for f in _files(input_dir, "parcels", codes)]
    known: list[Box] = [b for b in boxes if b is not None]
    parts = []  # in district order: when the input is in id order, no sort is needed
    for c, f in zip(b_codes, _files(input_dir, "buildings", b_codes), strict=True):
        if c in mine:
            parts.append(_read_measured(f, _b_read_columns()))
            continue
        box = file_box(f)
        if box is not None and None not in boxes and not any(meets(b, box) for b in known):
            continue
        t, shapes = _read_measured(f, _b_read_columns())
        b = shapes.bounds
        near = np.isnan(b).any(axis=1)
        if None in boxes:  # a partition without bbox metadata: keep every building
            near[:] = True
        else:
            for k in known:
                near[meeting(b, k)] = True
        if near.any():
            parts.append((t.filter(pa.array(near)), shapes.take(np.flatnonzero(near))))
    parcels, buildings = _read_frames(
        _files(input_dir, "parcels", codes), [], threads=threads, extra=parts
    )
    return parcel_stats(parcels, buildings, limit_m, threads=threads, with_area=True)


def _start_method() -> str:
    """``fork`` when this process runs no other Python thread (then the child needs no
    imports: ≈ 1 s of CPU less, docs/performance.md "ovl20b"; Arrow's thread pools and its
    allocator reinitialise themselves in a forked child — its at-fork handlers, Arrow ≥ 11),
    else ``spawn`` (a fresh interpreter: a fork while another thread holds a lock could
    deadlock the child)."""
    import multiprocessing
    import threading

    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


def overlay_stats(
    input_dir: Path, limit_m: float, *, workers: int | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The pipeline's overlay step on one machine: the per-parcel figures of
    :func:`parcel_stats` (sorted by parcel_id) and the area of each row's parcel (m², in
    the rows' order, for the FAR).

    By default (``workers`` None or 1) in this process: the input read on 2 threads, the
    buildings placed tile by tile on 2 threads (:func:`~indspace.core.engines.land_figures.place`).
    Since the tiles (tile7) one process is as fast as two where two had helped most, the
    tiled 8× city (no halo): 2.5–3.1 s against 2.8–3.0 s in two runs (docs/performance.md,
    "tile7"); before them two processes won there (2.9 s against 3.4 s, "ovl20c"), and it
    saves a second process's memory. On the province the halo rule kept one process
    already.

    With ``workers`` > 1 the parcel partitions are split into runs of districts
    (:func:`_groups`); this process overlays the first run while the others overlay theirs
    (:func:`group_stats` on a process pool, :func:`_start_method`) and send back only the
    figures. Each parcel's sums happen wholly in one process in the order of the
    single-process run, so the result is the same to the bit
    (tests/services/test_pipeline_overlay.py). Inputs under :data:`POOL_MIN_BUILDINGS`
    buildings, or whose groups' halos would hold more than :data:`POOL_MAX_HALO` of the
    buildings, still run in this process only."""
    input_dir = Path(input_dir)
    n = workers or 1
    groups: list[list[str]] = []
    if n > 1:  # the plan counts the buildings from the files' metadata too
        groups, halo, total = _plan(input_dir, n)
        if total < POOL_MIN_BUILDINGS or halo > POOL_MAX_HALO * total:
            groups = []
    if len(groups) < 2:
        from indspace.core.memory import large_blocks_in_heap

        with large_blocks_in_heap():  # its many large temporaries: no page fault each
            parcels, buildings, _ = read_overlay_input(input_dir, threads=2)
            stats = parcel_stats(parcels, buildings, limit_m, threads=2, with_area=True)
            del parcels, buildings
        return stats, stats.pop("area_m2").to_numpy()
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context(_start_method())
    with ProcessPoolExecutor(len(groups) - 1, mp_context=ctx) as pool:
        futures = [pool.submit(group_stats, input_dir, g, limit_m, threads=1) for g in groups[1:]]
        parts = [group_stats(input_dir, groups[0], limit_m, threads=1)]
        parts += [f.result() for f in futures]
    stats = pd.concat(parts, ignore_index=True).sort_values("parcel_id", ignore_index=True)
    return stats, stats.pop("area_m2").to_numpy()


def default_workers() -> int:
    """Workers of the default LocalCluster: one per core, at most 2 (memory, see
    docs/performance.md)."""
    return max(1, min(2, os.cpu_count() or 1))


def file_box(path: Path) -> Box | None:
    """The bounding box a GeoParquet file declares in its ``geo`` metadata (None: none)."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    geo = json.loads(meta.get(b"geo", b"{}"))
    box = geo.get("columns", {}).get(geo.get("primary_column", "geometry"), {}).get("bbox")
    return tuple(float(v) for v in box[:4]) if box else None  # type: ignore[return-value]


def meets(a: Box, b: Box, pad: float = 0.0) -> bool:
    return not (a[2] + pad < b[0] or b[2] + pad < a[0] or a[3] + pad < b[1] or b[3] + pad < a[1])


# ------------------------------------------------------------------ partition tasks
def _within_box(frame: gpd.GeoDataFrame, box: Box, pad: float = 0.0) -> gpd.GeoDataFrame:
    """Rows of ``frame`` whose envelope meets ``box`` widened by ``pad`` metres."""
    b = frame.geometry.bounds.to_numpy()
    ok = ~(
        (b[:, 2] + pad < box[0])
        | (box[2] + pad < b[:, 0])
        | (b[:, 3] + pad < box[1])
        | (box[3] + pad < b[:, 1])
    )
    return frame[ok]


def _envelopes(parcels: dict[str, Any]) -> np.ndarray:
    """The parcels' envelopes (n × 4: minx, miny, maxx, maxy; m) of a partition
    (:func:`_read_part`)."""
    bounds: np.ndarray = parcels["geometry"].bounds
    return bounds


def _near_parcels(buildings: dict[str, Any], envelopes: np.ndarray) -> dict[str, Any]:
    """The buildings of a partition (:func:`_read_part`) whose envelope meets one of
    ``envelopes`` (a neighbouring partition's parcels) — every building the overlay could
    place on those parcels — and those without geometry (one may name such a parcel: the
    attribute fallback), as :func:`group_stats` takes them: the halo."""
    ok = ~np.isnan(envelopes).any(axis=1)
    env = envelopes[ok]
    b = buildings["geometry"].bounds
    no_geometry = np.isnan(b).any(axis=1)
    near = no_geometry.copy()
    if len(env):
        # first the buildings whose envelope meets the parcels' common box (arithmetic on
        # the bounds: most of a neighbouring partition is outside it), then the join
        at = meeting(b, extent(env))
        if len(at):
            near[at[np.unique(envelope_pairs(b[at], env)[0])]] = True
    return _take(buildings, np.flatnonzero(near))


def _take(columns: dict[str, Any], rows: np.ndarray) -> dict[str, Any]:
    """The rows ``rows`` of a mapping of columns (pandas Series, the geometry as
    :class:`Shapes`), renumbered from 0."""
    return {
        c: v.take(rows) if isinstance(v, Shapes) else v.iloc[rows].reset_index(drop=True)
        for c, v in columns.items()
    }


def _overlay_partition(
    parcels: dict[str, Any], limit_m: float, *buildings: dict[str, Any]
) -> pd.DataFrame:
    """:func:`parcel_stats` of a parcel partition (:func:`_read_part`) on its own
    district's buildings and the halos (:func:`_near_parcels`): each building once, by
    building_id (as on the whole input: the same pieces in the same order)."""
    parts = [b for b in buildings if len(b["geometry"])] or list(buildings[:1])
    if not parts:
        near = _part_columns(*_measured(_empty_buildings()), BUILDING_COLUMNS)
    else:
        ids = pd.concat([b["building_id"] for b in parts], ignore_index=True)
        first = np.flatnonzero(~ids.duplicated().to_numpy())
        rows = first[ids.iloc[first].reset_index(drop=True).argsort(kind="stable").to_numpy()]
        near = {
            c: pd.concat([b[c] for b in parts], ignore_index=True).iloc[rows].reset_index(drop=True)
            for c in BUILDING_COLUMNS
            if c != "geometry"
        }
        near["geometry"] = Shapes.concat([b["geometry"] for b in parts]).take(rows)
    return parcel_stats(parcels, near, limit_m)


def _line_partition(
    parcels: dict[str, Any], code: str, lines: gpd.GeoDataFrame, tolerance_m: float
) -> pd.DataFrame:
    """The control-line overlay of a parcel partition (:func:`_read_part`): its shapes
    become Shapely geometries here (the line overlay asks GEOS about each)."""
    shapes = parcels["geometry"]
    frame = gpd.GeoDataFrame(
        {"parcel_id": parcels["parcel_id"], "district": code},
        geometry=shapes.geoms(np.arange(len(shapes))),
    )
    return line_overlay(frame, lines, tolerance_m=tolerance_m)


def pairs_partition(
    own: gpd.GeoDataFrame, box: Box, gap_m: float, *others: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Contiguity pairs (parcel ids) among ``own`` low-efficiency parcels and between them
    and the neighbours' within ``gap_m`` of ``box``."""
    halo = [_within_box(o, box, gap_m) for o in others]
    frame = pd.concat([own, *[h for h in halo if len(h)]], ignore_index=True)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    i, j = contiguity_pairs(geoms, gap_m)
    ids = frame["parcel_id"].to_numpy(dtype=object)
    mine = np.zeros(len(frame), bool)
    mine[: len(own)] = True
    keep = mine[i] | mine[j]  # pairs wholly in a neighbour are the neighbour's
    return pd.DataFrame({"a": ids[i[keep]], "b": ids[j[keep]]})


def release_memory() -> None:
    """Return freed heap memory to the OS (glibc ``malloc_trim``; elsewhere nothing): a
    process keeps what pandas and GEOS freed, which counts against the cluster's memory
    while it waits for its next task."""
    import gc

    from indspace.core.memory import trim_heap

    gc.collect()
    trim_heap()


def worker_rss(dask_worker: Any) -> int:
    """The resident memory of a worker's process, in bytes (``client.run`` passes the
    worker)."""
    return int(dask_worker.monitor.get_process_memory())


RESTART_ABOVE = 512 * 2**20
"""A worker still holding more than this after :func:`release_memory` (bytes) is worth a
restart: a fresh worker holds 0.1–0.2 GB, and a restart costs ≈ 4 s (start-up and imports,
measured on the shared 2-core machine). A province's overlay leaves ≈ 0.6 GB per worker,
a city's less."""


def free_workers(client: Any, own_cluster: bool) -> None:
    """Hand the idle workers' freed heap back to the OS; then, on a cluster of our own
    (``own_cluster``: a LocalCluster of worker processes), restart them if one still holds
    more than :data:`RESTART_ABOVE` — the heap the overlay fragmented, which
    ``malloc_trim`` does not return. A shared cluster's workers are never restarted."""
    client.run(release_memory)
    if not own_cluster or max(client.run(worker_rss).values(), default=0) <= RESTART_ABOVE:
        return
    nanny = logging.getLogger("distributed.nanny")
    level = nanny.level
    nanny.setLevel(logging.ERROR)  # "Restarting worker" is expected here, not a warning
    try:
        client.restart()
    finally:
        nanny.setLevel(level)


# ------------------------------------------------------------------ cluster
def connect(
    scheduler: str | None, n_workers: int | None, memory_limit: str, *, threads: bool = False
) -> tuple[Any, Any]:
    """A client of the scheduler at ``scheduler``, else of a new LocalCluster (returned
    too, to be closed): ``n_workers`` processes of one thread each, or with ``threads`` one
    worker in this process with ``n_workers`` threads (no worker start-up, no partition
    moved between processes; Shapely 2 releases the GIL in its vectorised operations).

    With ``threads`` the worker gets no memory limit: its process is the client's, so the
    client's own frames would count against it, and a worker paused at 80 % of the limit
    by memory it cannot free never resumes (a province run hung so in the overlay)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    n = n_workers or default_workers()
    cluster = LocalCluster(
        n_workers=1 if threads else n,
        threads_per_worker=n if threads else 1,
        memory_limit=0 if threads else memory_limit,
        processes=not threads,
        dashboard_address=":0",
        silence_logs=logging.WARNING,
    )
    return Client(cluster), cluster


def _read_part(path: str, columns: list[str]) -> dict[str, Any]:
    """One GeoParquet partition (on a worker), read as :func:`read_overlay_input` reads:
    Arrow, the geometry measured from its WKB (:class:`Shapes`: the rectangles never
    become GEOS objects), no CRS object — a mapping of ``columns`` (pandas Series, as
    ``Table.to_pandas`` gives them)."""
    table, shapes = _read_measured(
        Path(path), [c for c in columns if c != "geometry"] + ["geometry"]
    )
    # held as Shapely geometries when GEOS measured most rows, as for a whole column
    return _part_columns(table, Shapes.concat([shapes]), columns)


def _part_columns(table: Any, shapes: Shapes, columns: list[str]) -> dict[str, Any]:
    rest = table.to_pandas()
    return {c: shapes if c == "geometry" else rest[c] for c in columns}


def overlay_futures(
    client: Any,
    input_dir: Path,
    limit_m: float,
    blocks: gpd.GeoDataFrame | None = None,
    tolerance_m: float = 0.0,
) -> list[Any]:
    """Submit the overlay of every parcel partition (its own district's buildings plus the
    halo) and, with ``blocks``, its control-line overlay: futures, the overlays first.

    One future per task with ``client.submit`` over the files' paths (the workers read
    their partitions; no dask-dataframe graph to build): the partitions a task needs are
    known from the files' ``bbox`` metadata before anything is read."""
    import uuid

    run = uuid.uuid4().hex[:8]  # keys of this call only (a shared cluster keeps others')
    codes = districts_of(input_dir, "parcels")
    b_codes = districts_of(input_dir, "buildings")
    p_files = [input_dir / "parcels" / f"district={c}" / PART_FILE for c in codes]
    b_files = [input_dir / "buildings" / f"district={c}" / PART_FILE for c in b_codes]
    p_box = [file_box(f) for f in p_files]
    b_box = [file_box(f) for f in b_files]
    p_parts = [
        client.submit(_read_part, str(f), ["parcel_id", "geometry"], key=f"parcels-{c}-{run}")
        for f, c in zip(p_files, codes, strict=True)
    ]
    b_parts = [
        client.submit(_read_part, str(f), BUILDING_COLUMNS, key=f"buildings-{c}-{run}")
        for f, c in zip(b_files, b_codes, strict=True)
    ]
    b_at = {c: k for k, c in enumerate(b_codes)}
    tasks = []
    for i, code in enumerate(codes):
        own = [b_parts[b_at[code]]] if code in b_at else []
        box = p_box[i]
        if box is None:  # no bbox metadata: every other partition is a neighbour
            halo = [b_parts[k] for k, c in enumerate(b_codes) if c != code]
        else:
            envelopes = client.submit(_envelopes, p_parts[i], key=f"envelopes-{code}-{run}")
            halo = [
                client.submit(_near_parcels, b_parts[k], envelopes, key=f"halo-{code}-{c}-{run}")
                for k, c in enumerate(b_codes)
                if c != code and ((bk := b_box[k]) is None or meets(box, bk))
            ]
        tasks.append(
            client.submit(
                _overlay_partition, p_parts[i], limit_m, *own, *halo, key=f"overlay-{code}-{run}"
            )
        )
    if blocks is not None:
        [blocks_f] = client.scatter([blocks], broadcast=True)
        tasks += [
            client.submit(
                _line_partition, p_parts[i], code, blocks_f, tolerance_m, key=f"lines-{code}-{run}"
            )
            for i, code in enumerate(codes)
        ]
    return tasks


def gather_overlay(
    client: Any, futures: list[Any], n: int, on_tasks: Callable[[int, int], None] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The per-parcel figures (sorted by parcel_id) and the control-line overlay (None
    without it) of :func:`overlay_futures`' ``n`` partitions."""
    from distributed import as_completed

    for done, _ in enumerate(as_completed(futures), start=1):
        if on_tasks:
            on_tasks(done, len(futures))
    results = client.gather(futures)
    stats = pd.concat(results[:n], ignore_index=True).sort_values("parcel_id", ignore_index=True)
    lines = pd.concat(results[n:], ignore_index=True) if len(results) > n else None
    return stats, lines
