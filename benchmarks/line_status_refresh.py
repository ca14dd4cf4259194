"""The kept control-line status refreshed after one parcel edit: only the edited parcel
(``TileService.refresh_line_status`` when the lines and tolerance are those of the kept rows)
against every parcel (the refresh after a line edit, and the only one before), interleaved
on a copy of the same store.

Run: ``.venv/bin/python benchmarks/line_status_refresh.py --db city.gpkg [--rounds 3]``
(a GeoPackage is copied first; a ``postgresql+psycopg://`` URL is edited in place and left
with every row refreshed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from indspace.services.tiles import TileService
from indspace.store import Store, line_status


def timed(fn: object) -> tuple[float, float]:
    """(wall s, process CPU s) of one call."""
    w, c = time.perf_counter(), time.process_time()
    assert fn()  # type: ignore[operator]
    return time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    db = args.db
    if "://" not in db:
        copy = Path(tempfile.mkdtemp()) / "refresh.gpkg"
        shutil.copy(db, copy)
        db = str(copy)
    store = Store.open(db)
    svc = TileService(store, use_cache=False)
    parcels = store.read_frame("parcels", columns=["parcel_id", "land_use_code"], limit=args.rounds)
    full, one = [], []
    for i in range(args.rounds):
        # every parcel: no row is valid (as after a line edit)
        with store._write() as conn:
            conn.execute(sa.delete(store.table(line_status.TABLE)))
        full.append(timed(svc.refresh_line_status))
        # one parcel edited: only its row is stale
        pid = str(parcels["parcel_id"].iloc[i])
        store.update(
            "parcels",
            pid,
            {"land_use_code": "100199"},
            at=datetime.now(UTC),
            actor="benchmark",
            reason="line status refresh benchmark",
        )
        one.append(timed(svc.refresh_line_status))
    store.close()

    def line(name: str, xs: list[tuple[float, float]]) -> str:
        wall = sorted(x[0] for x in xs)
        cpu = sorted(x[1] for x in xs)
        return (
            f"{name}: wall min {wall[0]:.3f} s median {wall[len(wall) // 2]:.3f} s; "
            f"CPU min {cpu[0]:.3f} s median {cpu[len(cpu) // 2]:.3f} s"
        )

    print(line("every parcel", full))
    print(line("one parcel edited", one))
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
