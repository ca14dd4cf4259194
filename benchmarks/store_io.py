"""Store I/O at city scale, side by side with what an expert would hand-write.

Workload: the city-scale demo's parcels and buildings (~40 k + ~150 k polygons).
Baselines (same data, same process):
* write: ``pyogrio.write_dataframe`` (GDAL, Arrow) of the same two layers to a GeoPackage;
* read:  ``pyogrio.read_dataframe(..., use_arrow=True)`` of the same two layers.
``indspace.Store`` does more (contract checks, history columns, audit, one transaction for
both tables), so a ratio near 1 is the goal, not below.

Run: ``.venv/bin/python benchmarks/store_io.py [--scale small|city]``
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pyogrio
from _harness import measure, report, scale_args

from indspace.demo.city import build_city
from indspace.store import Store

AS_OF = datetime(2025, 12, 31, tzinfo=UTC)


def main() -> None:
    args = scale_args()
    city = build_city(args.scale)
    frames = {"parcels": city.parcels, "buildings": city.buildings}
    print(f"scale={args.scale}: parcels {len(city.parcels):,}, buildings {len(city.buildings):,}")
    tmp = Path(tempfile.mkdtemp())

    def ours_write() -> None:
        Store.create(tmp / "ours.gpkg", overwrite=True).write_frames(frames, valid_from=AS_OF)

    def gdal_write() -> None:
        path = tmp / "gdal.gpkg"
        path.unlink(missing_ok=True)
        for name, f in frames.items():
            pyogrio.write_dataframe(f, path, layer=name, use_arrow=True)

    print(report("write parcels + buildings to GeoPackage", measure(ours_write, args.repeat),
                 measure(gdal_write, args.repeat), "pyogrio"))
    store = Store.open(tmp / "ours.gpkg")

    def ours_read() -> None:
        for name in frames:
            store.read_frame(name)

    def gdal_read() -> None:
        for name in frames:
            pyogrio.read_dataframe(tmp / "gdal.gpkg", layer=name, use_arrow=True)

    print(report("read parcels + buildings from GeoPackage", measure(ours_read, args.repeat),
                 measure(gdal_read, args.repeat), "pyogrio"))


if __name__ == "__main__":
    main()
