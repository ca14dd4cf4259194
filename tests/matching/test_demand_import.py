"""Import kind ``demands`` (issue #19): the exchange columns, Chinese headers, the ;-joined
district list stored as GB/T 2260 codes, exact rent ceilings and bilingual errors with file,
row and field."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from indspace.core.engines.matching import DEMAND_COLUMNS
from indspace.core.model.entities import ENTITIES
from indspace.services.importing import import_file
from indspace.store import Store

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CODE = "91330200MA2AAAAA0G"
HEADER = list(DEMAND_COLUMNS)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.create(db_url, overwrite=True)
    s.write_frames(
        {
            "districts": gpd.GeoDataFrame(
                {
                    "admin_code": ["330212", "330203"],
                    "name": ["鄞州区", "海曙区"],
                    "name_en": ["Yinzhou", "Haishu"],
                    "kind": ["district", "district"],
                    "is_urban_district": [True, True],
                },
                geometry=[
                    shapely.MultiPolygon([shapely.box(649_000, 3_306_000, 650_500, 3_308_000)]),
                    shapely.MultiPolygon([shapely.box(650_500, 3_306_000, 652_000, 3_308_000)]),
                ],
                crs=4549,
            )
        },
        valid_from=NOW,
    )
    yield s
    s.close()


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_exchange_columns_are_the_issue_contract() -> None:
    assert ENTITIES["demands"].columns[: len(HEADER)] == HEADER


def test_demands_import_stores_codes_and_exact_rent(store: Store, tmp_path: Path) -> None:
    f = _csv(
        tmp_path / "d.csv",
        HEADER,
        [
            [
                "D1",
                CODE,
                "用房",
                "500",
                "800",
                "8",
                "6",
                "250",
                "2",
                "nev_high_end_equipment",
                "23.45",
                "鄞州;330203",
                "2026-03-01",
            ],
            ["D2", CODE, "land", "2000", "", "", "", "", "1", "", "", "", ""],
        ],
    )
    res = import_file(store, "demands", f)
    assert (res.accepted, res.rejected) == (2, 0)
    got = store.read_frame("demands").set_index("demand_id")
    assert got.loc["D1", "kind"] == "floor"
    assert got.loc["D1", "districts"] == "330212;330203"
    assert got.loc["D1", "max_rent_yuan_m2_month"] == Decimal("23.45")
    assert got.loc["D1", "start"] == date(2026, 3, 1)
    assert got.loc["D2", "districts"] is None


def test_demands_errors_name_file_row_and_field(store: Store, tmp_path: Path) -> None:
    f = _csv(
        tmp_path / "bad.csv",
        HEADER,
        [
            ["D1", CODE, "floor", "800", "500", "", "", "", "2", "", "", "", ""],  # max < min
            ["D2", CODE, "floor", "500", "800", "", "", "", "4", "", "", "", ""],  # class 4
            ["D3", CODE, "office", "500", "800", "", "", "", "1", "", "", "", ""],  # kind
            ["D4", CODE, "floor", "500", "800", "", "", "", "1", "", "", "火星区", ""],
            ["D5", CODE, "floor", "500", "800", "", "", "", "1", "", "", "", ""],  # fine
        ],
    )
    res = import_file(store, "demands", f)
    assert (res.accepted, res.rejected) == (1, 4)
    issues = store.read_frame("demands")
    assert list(issues["demand_id"]) == ["D5"]
    report = Path(res.report).read_text(encoding="utf-8")
    for row, field, code in (
        (2, "max_area_m2", "E150"),
        (3, "pollution_class", "E123"),
        (4, "kind", "E116"),
        (5, "districts", "E151"),
    ):
        line = next(x for x in report.splitlines() if f",{code}," in x)
        assert line.startswith(f"{row},") and f"（{field}）" in line, line
    assert "火星区" in report and "is not a district of the store" in report
