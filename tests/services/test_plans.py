"""Import kind ``plans`` on both stores, and the planned use the low-efficiency plan reads.

The zones are imported with Chinese headers; the units are 100 m × 100 m squares (10 000 m²)
as in tests/core/test_planned_use.py, method date 2025-06-30, ningbo-demo rules (> 50 %):

    U60   zone GH-60 (0701, approved 2024-01-01) over 60 m of 100 → 60 % → 更新转型 allowed
    U40   zone GH-40 (0701) over 40 m → 40 % → no zone decides → not allowed
    ULATE zone GH-LATE (0701) over all of it, approved 2025-07-01 → not yet → not allowed
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

from indspace.core.policy import load_profile
from indspace.services.importing import import_file
from indspace.services.lowuse import planned_uses
from indspace.store import Store

X0, Y0 = 649_000.0, 3_306_000.0


def _strip(i: int, x0: float, x1: float) -> str:
    return box(X0 + 1000 * i + x0, Y0, X0 + 1000 * i + x1, Y0 + 100).wkt


def test_plans_import_and_decide_the_planned_use(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "plans.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["规划单元编号", "规划用途", "批复日期", "批复文号", "wkt"])
        w.writerows(
            [
                ["GH-60", "0701", "2024-01-01", "甬规〔2024〕1号", _strip(0, 0, 60)],
                ["GH-40", "0701", "2024-01-01", "", _strip(1, 0, 40)],
                ["GH-LATE", "0701", "2025-07-01", "", _strip(2, 0, 100)],
                ["GH-BAD", "0701", "", "", _strip(3, 0, 100)],  # E101 approval missing
            ]
        )
    r = import_file(store, "plans", path, report_dir=tmp_path / "r")
    assert (r.accepted, r.rejected) == (3, 1)
    stored = store.read_frame("plan_zones").sort_values("zone_id")
    assert stored["zone_id"].tolist() == ["GH-40", "GH-60", "GH-LATE"]
    assert stored["approved"].tolist() == [date(2024, 1, 1)] * 2 + [date(2025, 7, 1)]
    assert stored.geometry.area.round(6).tolist() == [4000.0, 6000.0, 10000.0]

    units = gpd.GeoDataFrame(
        {"unit_id": ["U60", "U40", "ULATE"]},
        geometry=[box(X0 + 1000 * i, Y0, X0 + 1000 * i + 100, Y0 + 100) for i in range(3)],
        crs=store.srid,
    )
    out = planned_uses(store, load_profile("ningbo-demo"), date(2025, 6, 30), units)
    assert out is not None
    got = out.set_index("unit_id")
    assert got["plan_allows_conversion"].to_dict() == {"U40": False, "U60": True, "ULATE": False}
    assert got.loc[
        "U60", ["plan_zone_id", "planned_use", "plan_approved", "plan_document"]
    ].tolist() == ["GH-60", "0701", "2024-01-01", "甬规〔2024〕1号"]
    assert got["plan_share"].round(6).to_dict() == {"U40": 0.4, "U60": 0.6, "ULATE": 0.0}
    # a profile without planned_use_rules never converts a unit
    assert planned_uses(store, load_profile("huangyan-2022"), date(2025, 6, 30), units) is None
