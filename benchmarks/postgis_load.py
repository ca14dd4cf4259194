"""Loading the city's parcels and buildings into PostGIS: the store's bulk write before and
after issue #20 item 4, side by side on the same frames, into a freshly created store each
round.

* ``text`` — the write as it was: hex EWKB and every value formatted as text, text COPY,
  indexes (GiST of the geometry, the key's unique B-tree, the extra ones) kept up row by row;
* ``binary`` — the write as it is (``PostgisStore._insert``): EWKB bytes, binary COPY,
  indexes and constraints built after the load into the empty table, then ANALYZE.

Reported per variant: wall time and the client's CPU time of ``write_frames`` (min of
``--rounds``), with the load average at the start. The server's CPU is not in the client's
figure (wall time is the comparable one). Both end with the same rows (checked: counts and
the sum of the parcels' areas computed by PostGIS).

Run: ``.venv/bin/python benchmarks/postgis_load.py --city DIR [--rounds 3]`` where DIR is
``indspace demo --scale city --parquet DIR``; database ``INDSPACE_BENCH_PG``.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from indspace.core.model.entities import Entity
from indspace.store import postgis
from indspace.store.frames import frame_columns
from indspace.store.geometry import to_ewkb_hex
from indspace.store.postgis_store import PostgisStore
from indspace.store.tables import GEOM

PG_URL = os.environ.get(
    "INDSPACE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/indspace_bench_load"
)
AT = datetime(2026, 1, 1, tzinfo=UTC)


class TextCopyStore(PostgisStore):
    """The bulk write before issue #20 item 4 (text COPY, indexes kept up)."""

    def _insert(
        self, conn: Connection, entity: Entity, frame: pd.DataFrame, valid_from: datetime
    ) -> int:
        n = len(frame)
        cols: dict[str, Any] = frame_columns(entity, frame)
        if entity.geometry:
            cols[GEOM] = to_ewkb_hex(np.asarray(frame.geometry.values, dtype=object), self.srid)
        cols["version"] = [1] * n
        cols["valid_from"] = [valid_from.astimezone(UTC)] * n
        postgis.copy_rows(conn, entity.table, list(cols), zip(*cols.values(), strict=True))
        return n


def read(city: Path, table: str) -> gpd.GeoDataFrame:
    parts = sorted((city / table).glob("district=*/part-0.parquet"))
    return gpd.GeoDataFrame(pd.concat([gpd.read_parquet(f) for f in parts], ignore_index=True))


def one_round(cls: type[PostgisStore], frames: dict[str, gpd.GeoDataFrame]) -> tuple[float, ...]:
    store = cls.create(PG_URL, overwrite=True)
    wall, cpu = time.perf_counter(), time.process_time()
    store.write_frames(frames, valid_from=AT)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    with store.engine.connect() as conn:
        check = conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM parcels), (SELECT count(*) FROM buildings), "
                "(SELECT sum(ST_Area(geom)) FROM parcels)"
            )
        ).one()
    store.close()
    return wall, cpu, *check


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--city", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    frames = {t: read(args.city, t) for t in ("parcels", "buildings")}
    print(
        f"parcels {len(frames['parcels']):,}, buildings {len(frames['buildings']):,}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    checks = {}
    for name, cls in (("text", TextCopyStore), ("binary", PostgisStore)):
        runs = [one_round(cls, frames) for _ in range(args.rounds)]
        checks[name] = runs[0][2:]
        print(
            f"| {name} | wall min {min(r[0] for r in runs):.2f} s | "
            f"client CPU min {min(r[1] for r in runs):.2f} s | "
            f"walls {', '.join(f'{r[0]:.2f}' for r in runs)} |",
            flush=True,
        )
    assert checks["text"][:2] == checks["binary"][:2], checks
    assert abs(checks["text"][2] - checks["binary"][2]) <= 1e-6 * checks["text"][2], checks
    print(
        f"same rows: {checks['binary'][0]:,} parcels, {checks['binary'][1]:,} buildings; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
