"""Import of the city-scale demo's parcels and buildings from a GeoPackage (issue #4).

Setup: build the city demo, export its parcels and buildings to one GeoPackage (the exchange
format), then import both into a store that holds the demo's enterprises only.
Baseline (same data, same process): ``pyogrio.read_dataframe(use_arrow=True)`` of both layers
plus a bare GeoPackage write of them with ``pyogrio.write_dataframe`` — what an expert would
hand-write to copy the data without any checking. Target: indspace ≤ 2× the baseline.

Run: ``.venv/bin/python benchmarks/import_city.py [--scale city] [--repeat 3]``
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pyogrio
from _harness import measure, report, scale_args

from indspace.demo.city import build_city
from indspace.services.exporting import export_kind
from indspace.services.importing import import_file
from indspace.store import Store

AS_OF = datetime(2025, 12, 31, tzinfo=UTC)


def main() -> None:
    args = scale_args()
    tmp = Path(tempfile.mkdtemp())
    city = build_city(args.scale)
    full = Store.create(tmp / "full.gpkg")
    full.write_frames({t: getattr(city, t) for t in
                       ("districts", "enterprises", "parcels", "buildings")}, valid_from=AS_OF)
    src = {k: tmp / f"{k}.gpkg" for k in ("parcels", "buildings")}
    for kind, path in src.items():
        export_kind(full, kind, "gpkg", path)
    base = Store.create(tmp / "base.gpkg")
    base.write_frames({"districts": city.districts, "enterprises": city.enterprises},
                      valid_from=AS_OF)
    base.close()
    print(f"scale={args.scale}: parcels {len(city.parcels):,}, buildings "
          f"{len(city.buildings):,}")

    def ours() -> None:
        shutil.copy(tmp / "base.gpkg", tmp / "work.gpkg")
        store = Store.open(tmp / "work.gpkg")
        for kind, path in src.items():
            r = import_file(store, kind, path, report_dir=tmp / "reports")
            # the demo's planted bad parcels (E109) and their buildings are quarantined
            assert r.inserted == r.accepted and r.rejected < 0.01 * r.rows_read, r
        store.close()

    def baseline() -> None:
        out = tmp / "bare.gpkg"
        out.unlink(missing_ok=True)
        for kind, path in src.items():
            df = pyogrio.read_dataframe(path, use_arrow=True)
            pyogrio.write_dataframe(df, out, layer=kind, use_arrow=True)

    print(report("import parcels + buildings (GeoPackage → store)",
                 measure(ours, args.repeat), measure(baseline, args.repeat),
                 "read+write"))


if __name__ == "__main__":
    main()
