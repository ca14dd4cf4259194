"""The parcel tile SQL alone, before and after keeping the line status (issue #16 item 1).

Same PostGIS database, same tiles (the list of ``benchmarks/tiles_load.py``), one warm
connection, no HTTP: each variant builds every tile ``--rounds`` times; per zoom the table
gives the PostgreSQL backend's CPU time for its tiles (user + system, ``psutil``; the
least of the rounds; steadier than wall time on a shared machine), and the sum over its
tiles of each tile's fastest round with the slowest tile.

* ``before``: the tile SQL of the code given by ``--base-src`` (its ``store/tiles.py``; the
  status computed per parcel against the control line);
* ``after``: this checkout's SQL reading the kept ``parcel_line_status`` rows;
* ``after, nothing kept``: this checkout's SQL when no kept row is valid (every status
  computed in the statement, as right after a control-line edit until the refresh).

Run: ``.venv/bin/python benchmarks/tiles_sql.py --pg URL --base-src DIR [--rounds 3]``
(the database must hold the demo with the kept statuses: ``indspace demo`` keeps them).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import psutil
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiles_load import PG_DEFAULT, tile_list

from indspace.core.geo.tiles import BUFFER, EXTENT, tile_size
from indspace.core.model.units import M2_PER_MU
from indspace.services.tiles import TileService
from indspace.store import Store, line_status
from indspace.store import tiles as after


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("base_store_tiles", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tile_sql(mod: ModuleType, layer: str = "parcels") -> str:
    return str(
        mod._PG_TILE.format(
            extent=EXTENT,
            buffer=BUFFER,
            body=mod._pg_body(layer),
            cols=", ".join(["s.fid", *(f"s.{c}" for c in mod.LAYER_COLUMNS[layer])]),
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", default=PG_DEFAULT)
    ap.add_argument("--base-src", required=True)
    ap.add_argument("--per-zoom", type=int, default=120)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    before = load_module(Path(args.base_src) / "indspace" / "store" / "tiles.py")
    tiles = tile_list(args.pg, args.per_zoom)
    with Store.open(args.pg) as store:
        svc = TileService(store, use_cache=False)
        version = line_status.version(store)
        assert line_status.kept(store) == (version, svc.tolerance_m), "no valid kept rows"
        variants = {
            "before": (tile_sql(before), None),
            "after": (tile_sql(after), version),
            "after, nothing kept": (tile_sql(after), None),
        }
        print(
            f"{len(tiles)} tiles; load average before: {{:.2f}} {{:.2f}} {{:.2f}}".format(
                *os.getloadavg()
            )
        )
        best: dict[tuple[str, tuple[int, int, int]], float] = {}
        cpu: dict[tuple[str, int], float] = {}
        data: dict[tuple[str, tuple[int, int, int]], bytes] = {}
        zooms = sorted({t[0] for t in tiles})
        with store.engine.connect() as conn:
            backend = psutil.Process(
                int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
            )
            for t in tiles[:20]:  # the connection's PROJ set-up, outside the sample
                conn.execute(sa.text(variants["after"][0]), params(store, svc, t, version))
            for _ in range(args.rounds):
                for z in zooms:  # the variants interleaved per zoom: the same load drift
                    for name, (sql, ver) in variants.items():
                        c0 = backend.cpu_times()
                        for t in (t for t in tiles if t[0] == z):
                            p = params(store, svc, t, ver)
                            t0 = time.perf_counter()
                            out = conn.execute(sa.text(sql), p).scalar()
                            dt = time.perf_counter() - t0
                            best[(name, t)] = min(dt, best.get((name, t), dt))
                            data[(name, t)] = bytes(out or b"")
                        c1 = backend.cpu_times()
                        spent = (c1.user + c1.system) - (c0.user + c0.system)
                        cpu[(name, z)] = min(spent, cpu.get((name, z), spent))
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    differ = sum(any(data[("before", t)] != data[(n, t)] for n in variants) for t in tiles)
    print(f"tiles whose bytes differ between the variants: {differ} of {len(tiles)}")
    print(
        "\nPostgreSQL backend CPU per zoom (min of the rounds), ms; then wall: the sum of each "
        "tile's fastest round / the slowest tile, ms"
    )
    print(f"\n| zoom | tiles | {' | '.join(f'{n}: CPU; wall sum / slowest' for n in variants)} |")
    print("|---|---|" + "---|" * len(variants))
    for z in zooms:
        at = [t for t in tiles if t[0] == z]
        cells = [
            f"{cpu[(n, z)] * 1000:.0f}; {sum(best[(n, t)] for t in at) * 1000:.0f} / "
            f"{max(best[(n, t)] for t in at) * 1000:.1f}"
            for n in variants
        ]
        print(f"| z{z} | {len(at)} | {' | '.join(cells)} |")
    cells = [
        f"{sum(cpu[(n, z)] for z in zooms) * 1000:.0f}; "
        f"{sum(best[(n, t)] for t in tiles) * 1000:.0f}"
        for n in variants
    ]
    print(f"| all | {len(tiles)} | {' | '.join(cells)} |")


def params(
    store: Store, svc: TileService, t: tuple[int, int, int], version: str | None
) -> dict[str, Any]:
    z, x, y = t
    return {
        "z": z,
        "x": x,
        "y": y,
        "margin": BUFFER / EXTENT,
        "seg": tile_size(z) / 16,
        "srid": store.srid,
        "layer": "parcels",
        "tol": svc.tolerance_m,
        "m2_per_mu": M2_PER_MU,
        "lines_version": version,
        "eval_run": None,
        "lowuse_run": None,
        "scope_value": None,
    }


if __name__ == "__main__":
    main()
