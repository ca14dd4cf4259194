"""Control-line overlay of every parcel, side by side with a GeoPandas ``overlay`` baseline.

Workload: the demo city's parcels (40 000 at city scale) against its control-line blocks,
twice: as generated (parcels wholly in or out), and with every block shifted 37 m east so
that thousands of parcels straddle a boundary and need a real intersection.
Baseline (same data, same process): ``geopandas.overlay(parcels, lines, how="intersection")``
then the intersection area summed per parcel and divided by the parcel area — what an
analyst would write. Both must agree on the inside area of every parcel (to 1e-6 m², before
our boundary tolerance snaps slivers; the check runs with tolerance 0).
Issue #7 target: the overlay for all parcels in under 5 s on the demo city.

Run: ``.venv/bin/python benchmarks/controlline_overlay.py [--scale small|city] [--repeat 3]``
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from _harness import measure, report, scale_args

from indspace.core.engines.controlline import overlay
from indspace.demo.city import build_city


def baseline(parcels: gpd.GeoDataFrame, lines: gpd.GeoDataFrame) -> np.ndarray:
    pieces = gpd.overlay(parcels[["parcel_id", "geometry"]], lines[["block_id", "geometry"]],
                         how="intersection", keep_geom_type=True)
    inside = pieces.geometry.area.groupby(pieces["parcel_id"]).sum()
    return inside.reindex(parcels["parcel_id"]).fillna(0.0).to_numpy()


def main() -> None:
    args = scale_args()
    city = build_city(args.scale)
    parcels = city.parcels[["parcel_id", "district", "geometry"]]
    lines = city.control_lines[["block_id", "park_id", "geometry"]]
    shifted = lines.assign(geometry=lines.geometry.translate(xoff=37.0))
    print(f"scale={args.scale}: parcels {len(parcels):,}, blocks {len(lines):,}")
    for name, blocks in (("as generated", lines), ("blocks shifted 37 m", shifted)):
        ours = overlay(parcels, blocks, tolerance_m=0.0)
        base = baseline(parcels, blocks)
        np.testing.assert_allclose(ours["inside_m2"].to_numpy(), base, rtol=0, atol=1e-6)
        status = ours["status"].value_counts().to_dict()
        print(f"{name}: same inside areas as the baseline; status {status}")
        print(report(f"overlay of all parcels ({name})",
                     measure(lambda b=blocks: overlay(parcels, b), args.repeat),
                     measure(lambda b=blocks: baseline(parcels, b), args.repeat),
                     "gpd.overlay"))


if __name__ == "__main__":
    main()
