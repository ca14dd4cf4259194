"""The overlay + FAR + aggregation step of ``indspace pipeline`` against what a GIS
engineer would write, at 1×, 2×, 4× and 8× the city (issue #20 item 5).

Contenders, each its own process on the same partitioned GeoParquet, every result checked
against the local engine's (per-parcel floor area and FAR to 1e-6):

* ``dask`` — the pipeline's step on a LocalCluster of 2 workers × 1 thread
  (:func:`indspace.services.pipeline_overlay.overlay_futures`: per parcel partition, its
  district's buildings plus the halo), cluster start-up included;
* ``dask-threads`` — the same on a LocalCluster of one in-process worker with 2 threads
  (``connect(..., threads=True)``);
* ``local`` — the pipeline's step on this machine
  (:func:`indspace.services.pipeline_overlay.overlay_stats`: one process; the input read
  on 2 threads, the geometries measured from their WKB bytes (``core/engines/shapes.py``:
  rectangles never become GEOS objects), the buildings placed in spatial tiles on 2
  threads, each tile's pairs by the NumPy envelope join (``core/engines/envelopes.py``));
* ``local-2`` — the same step asked for 2 processes (``workers=2``: from
  ``POOL_MIN_BUILDINGS`` buildings, when the halos hold at most ``POOL_MAX_HALO`` of them,
  each process overlays a run of districts plus its halo; else as ``local``);
* ``local-1`` — ``workers=1`` (since tile7 the same as ``local``; kept for the older
  tables);
* ``geopandas`` — ``landfar_geopandas.figures`` (sjoin, prepared ``covers``, intersections,
  ``np.bincount``) on ``gpd.read_parquet`` of every partition;
* ``duckdb`` — the query of ``landfar_duckdb.py`` over ``read_parquet`` of the partitions
  (DuckDB 1.5.5 spatial);
* ``postgis`` — plain PostGIS SQL (:data:`indspace.store.postgis_overlay.OVERLAY_SQL`: ``&&``
  on the GiST indexes, ``ST_Covers``, ``ST_Intersection`` areas, ``GROUP BY`` parcel) on
  the parcels and buildings loaded beforehand into a PostGIS store (``Store.write_frames``:
  binary COPY, indexes built after the load) at ``INDSPACE_BENCH_PG``. The load is its own
  timed step (``postgis-load``), reported below the table; the contender's cell is the query
  (the server's memory is not in its peak: only the client process tree is sampled).

Each writes ``parcel_id, floor_area_m2, far_floor_m2, far`` as Parquet. Reported: wall time
(process start included), the CPU time of the process tree (``RUSAGE_CHILDREN``: on a shared,
loaded machine the fairer figure) and the peak summed RSS of the process tree (workers
included), sampled every 0.1 s; with ``--rounds N`` the contenders run interleaved N times
and the minima (the peak: the maximum) are shown, with the load average at the end of the
row.

Bigger inputs are tiled from the city (``indspace demo --scale city --parquet DIR``): copy
``j`` of the parcels and buildings shifted 200 km × j east, ids suffixed ``~j``, partitions
``district=<code>~j``.

``--input DIR`` benchmarks one partitioned folder as it is (the province: ``indspace demo
--scale province --parquet DIR``), after the city sizes or alone.

Run: ``.venv/bin/python benchmarks/pipeline_scale.py --city DIR [--scales 1 2 4 8]
[--input DIR] [--contenders dask dask-threads local geopandas duckdb] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

HERE = Path(__file__).resolve().parent
PART = "part-0.parquet"
SHIFT_M = 200_000.0
LIMIT_M = 8.0


def tile(city: Path, out: Path, k: int) -> Path:
    """``k`` copies of the city's parcels and buildings as partitioned GeoParquet."""
    import geopandas as gpd
    import shapely

    for table, key in (("parcels", "parcel_id"), ("buildings", "building_id")):
        for f in sorted((city / table).glob(f"district=*/{PART}")):
            code = f.parent.name.split("=", 1)[1]
            frame = gpd.read_parquet(f)
            for j in range(k):
                part = frame.copy()
                if j:
                    part[key] = part[key] + f"~{j}"
                    if table == "buildings":
                        part["parcel_id"] = part["parcel_id"].where(
                            part["parcel_id"].isna(), part["parcel_id"] + f"~{j}"
                        )
                    part = part.set_geometry(
                        shapely.transform(
                            part.geometry.values, lambda xy, j=j: xy + np.array([SHIFT_M * j, 0.0])
                        )
                    )
                name = code if not j else f"{code}~{j}"
                dest = out / table / f"district={name}" / PART
                dest.parent.mkdir(parents=True, exist_ok=True)
                part.to_parquet(dest, compression="zstd", index=False)
    return out


# ------------------------------------------------------------------ contenders
def run_dask(src: Path, dst: Path, threads: bool = False) -> None:
    from indspace.services.pipeline_overlay import connect, gather_overlay, overlay_futures

    client, cluster = connect(None, 2, "3GiB", threads=threads)
    try:
        futures = overlay_futures(client, src, LIMIT_M)
        n = len(list((src / "parcels").iterdir()))
        stats, _ = gather_overlay(client, futures, n)
    finally:
        client.close()
        cluster.close()
    _write_engine(src, stats, dst)


def run_local(src: Path, dst: Path, workers: int | None = None) -> None:
    from indspace.services.pipeline_overlay import overlay_stats

    stats, area = overlay_stats(src, LIMIT_M, workers=workers)
    _write_far(stats, area, dst)


def run_local_1(src: Path, dst: Path) -> None:
    run_local(src, dst, workers=1)


def run_local_2(src: Path, dst: Path) -> None:
    run_local(src, dst, workers=2)


def _read(src: Path, table: str, columns: list[str]):
    import geopandas as gpd

    return gpd.GeoDataFrame(
        pd.concat(
            [
                gpd.read_parquet(f, columns=columns)
                for f in sorted((src / table).glob(f"district=*/{PART}"))
            ],
            ignore_index=True,
        )
    )


def _write_engine(src: Path, stats: pd.DataFrame, dst: Path) -> None:
    """FAR per parcel from the engine's sums and the parcels' areas (read again here: the
    cluster's tasks return the sums only)."""
    import pyarrow.parquet as pq
    import shapely

    tables = [
        pq.read_table(f, columns=["parcel_id", "geometry"])
        for f in sorted((src / "parcels").glob(f"district=*/{PART}"))
    ]
    area = pd.Series(
        np.concatenate(
            [
                shapely.area(shapely.from_wkb(t.column("geometry").to_numpy(zero_copy_only=False)))
                for t in tables
            ]
        ),
        index=np.concatenate(
            [t.column("parcel_id").to_numpy(zero_copy_only=False) for t in tables]
        ),
    )
    _write_far(stats, area.reindex(stats["parcel_id"]).to_numpy(), dst)


def _write_far(stats: pd.DataFrame, area: np.ndarray, dst: Path) -> None:
    """``parcel_id, floor_area_m2, far_floor_m2, far`` of the engine's sums, ``area`` (m²)
    of each row's parcel."""
    far = stats["far_floor_m2"].to_numpy() / area
    pd.DataFrame(
        {
            "parcel_id": stats["parcel_id"].astype(str),
            "floor_area_m2": stats["floor_area_m2"],
            "far_floor_m2": stats["far_floor_m2"],
            "far": far,
        }
    ).to_parquet(dst, index=False)


def run_geopandas(src: Path, dst: Path) -> None:
    sys.path.insert(0, str(HERE))
    from landfar_geopandas import figures

    parcels = _read(src, "parcels", ["parcel_id", "geometry"])
    buildings = _read(src, "buildings", ["floors", "height_m", "gfa_m2", "geometry"])
    out = figures(parcels, buildings)
    out = out[out["n_buildings"] > 0]
    out[["parcel_id", "floor_area_m2", "far_floor_m2", "far"]].to_parquet(dst, index=False)


def run_duckdb(src: Path, dst: Path) -> None:
    sys.path.insert(0, str(HERE))
    from landfar_duckdb import QUERY, connect

    q = QUERY.replace(
        "ST_Read($path, layer = 'parcels')",
        f"read_parquet('{src}/parcels/*/{PART}', hive_partitioning = false)",
    )
    q = q.replace(
        "ST_Read($path, layer = 'buildings')",
        f"read_parquet('{src}/buildings/*/{PART}', hive_partitioning = false)",
    )
    q = q.replace("SELECT parcel_id, geom,", "SELECT parcel_id, geometry AS geom,")
    q = q.replace("ST_Area(geom) AS area_m2", "ST_Area(geometry) AS area_m2")
    q = q.replace("SELECT geom, floors", "SELECT geometry AS geom, floors")
    q = q.replace("ST_Area(geom) AS foot", "ST_Area(geometry) AS foot")
    con = connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"COPY (SELECT parcel_id, floor_area_m2, far_floor_m2, far FROM ({q}) "
        f"WHERE n_buildings > 0) TO '{dst}' (FORMAT parquet)"
    )


PG_URL = os.environ.get(
    "INDSPACE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/indspace_bench_scale"
)


def load_postgis(src: Path, dst: Path) -> None:
    """The partitions' parcels and buildings into a fresh PostGIS store at :data:`PG_URL`
    (binary COPY, indexes built after the load, ANALYZE). ``dst`` gets the row counts."""
    from datetime import UTC, datetime

    from indspace.store import Store

    store = Store.create(PG_URL, overwrite=True)
    import pyarrow.parquet as pq

    frames = {
        t: _read(src, t, pq.read_schema(next((src / t).glob(f"district=*/{PART}"))).names)
        for t in ("parcels", "buildings")
    }
    for frame in frames.values():
        frame.set_crs(store.srid, inplace=True, allow_override=True)
    n = store.write_frames(frames, valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    store.close()
    pd.DataFrame([n]).to_parquet(dst, index=False)


def run_postgis(src: Path, dst: Path) -> None:
    import sqlalchemy as sa

    from indspace.store.postgis_overlay import COLUMNS, SETTINGS, overlay_query

    engine = sa.create_engine(PG_URL)
    with engine.connect() as conn:
        for key, value in SETTINGS.items():
            conn.execute(sa.text(f"SET {key} = '{value}'"))
        rows = conn.execute(sa.text(overlay_query()), {"limit": LIMIT_M}).all()
    engine.dispose()
    out = pd.DataFrame(rows, columns=list(COLUMNS[:-1]))  # as the store frames the query
    out["far"] = out["far_floor_m2"] / out["area_m2"]
    out[["parcel_id", "floor_area_m2", "far_floor_m2", "far"]].to_parquet(dst, index=False)


def run_dask_threads(src: Path, dst: Path) -> None:
    run_dask(src, dst, threads=True)


CONTENDERS = {
    "dask": run_dask,
    "dask-threads": run_dask_threads,
    "local": run_local,
    "local-1": run_local_1,
    "local-2": run_local_2,
    "geopandas": run_geopandas,
    "duckdb": run_duckdb,
    "postgis": run_postgis,
}
PREPARE = {"postgis": ("postgis-load", load_postgis)}
"""A contender's step run (and timed) before it, on the same data: reported apart."""


def measure(contender: str, src: Path, dst: Path) -> tuple[float, float, float]:
    """(wall s, CPU s of the process tree, peak summed RSS MiB of the process tree). The
    CPU time is that of the reaped descendants (``RUSAGE_CHILDREN``: the contender and the
    cluster's processes it started and waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, __file__, "--run", contender, str(src), str(dst)])
    proc, peak = psutil.Process(p.pid), 0
    while p.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(
                peak,
                proc.memory_info().rss
                + sum(c.memory_info().rss for c in proc.children(recursive=True)),
            )
        time.sleep(0.1)
    if p.returncode:
        raise SystemExit(f"{contender} failed ({p.returncode})")
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, peak / 2**20


def check(reference: Path, other: Path, name: str) -> None:
    a = pd.read_parquet(reference).set_index("parcel_id").sort_index()
    b = pd.read_parquet(other).set_index("parcel_id").sort_index()
    common = a.index.intersection(b.index)
    assert len(common) >= 0.99 * len(a), f"{name}: {len(common)} of {len(a)} parcels"
    for col in ("floor_area_m2", "far"):
        diff = np.nanmax(np.abs(a.loc[common, col].to_numpy() - b.loc[common, col].to_numpy()))
        assert diff <= 1e-6 * max(1.0, float(np.nanmax(np.abs(a[col])))), (name, col, diff)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--city", type=Path)
    ap.add_argument(
        "--input",
        type=Path,
        help="one partitioned folder benchmarked as it is (e.g. the province), not tiled",
    )
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--contenders", nargs="+", default=list(CONTENDERS))
    ap.add_argument("--run", nargs=3)
    ap.add_argument(
        "--rounds", type=int, default=1, help="runs per contender (min wall, min CPU reported)"
    )
    args = ap.parse_args()
    if args.run:
        name, src, dst = args.run
        run = {**CONTENDERS, **{step: fn for step, fn in PREPARE.values()}}[name]
        run(Path(src), Path(dst))
        return
    prepared: list[str] = []
    print("| size | parcels | buildings | " + " | ".join(args.contenders) + " |")
    print("|---|---|---|" + "---|" * len(args.contenders), flush=True)
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        sizes = [(k, f"{k}× city") for k in args.scales] if args.city else []
        if args.input:
            sizes.append((0, args.input.name))
        for k, label in sizes:
            if k == 0:
                src = args.input
            else:
                src = args.city if k == 1 else tile(args.city, Path(tmp) / f"x{k}", k)
            n_p = sum(
                len(pd.read_parquet(f, columns=["parcel_id"]))
                for f in (src / "parcels").glob(f"*/{PART}")
            )
            n_b = sum(
                len(pd.read_parquet(f, columns=["building_id"]))
                for f in (src / "buildings").glob(f"*/{PART}")
            )
            runs: dict[str, list[tuple[float, float, float]]] = {n: [] for n in args.contenders}
            ref = None
            for _ in range(args.rounds):  # contenders interleaved: the same load for each
                for name in args.contenders:
                    if name in PREPARE:
                        step = PREPARE[name][0]
                        wall, cpu, peak = measure(step, src, Path(tmp) / f"{step}-{k}.parquet")
                        prepared.append(
                            f"{step} at {label}: {wall:.1f} s wall, {cpu:.1f} s CPU, "
                            f"{peak:,.0f} MiB"
                        )
                    dst = Path(tmp) / f"{name}-{k}.parquet"
                    runs[name].append(measure(name, src, dst))
                    if ref is None:
                        ref = dst
                    elif dst != ref:
                        check(ref, dst, name)
            cells = [
                f"{min(r[0] for r in rs):.1f} s wall, {min(r[1] for r in rs):.1f} s CPU, "
                f"{max(r[2] for r in rs):,.0f} MiB"
                for rs in runs.values()
            ]
            print(
                f"| {label} | {n_p:,} | {n_b:,} | " + " | ".join(cells) + " |"
                f" load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            if k > 1:
                import shutil

                shutil.rmtree(src)
    for line in prepared:
        print(f"- {line}")


if __name__ == "__main__":
    main()
