"""``indspace match`` (issue #19): the command-line contract — options, the output columns,
the JSON summary keys beside the greedy baseline, and bilingual errors with file, row and
field for a bad demand or inventory file."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from subprocess import CompletedProcess

import geopandas as gpd
import pytest
import shapely

from indspace.core.engines.matching import DEMAND_COLUMNS, MATCH_COLUMNS, SPACE_COLUMNS
from indspace.store import Store
from tests.conftest import run

CODE = "91330200MA2AAAAA0G"
DEMAND_HEADER = list(DEMAND_COLUMNS)


SUMMARY_KEYS = ("objective", "greedy_objective", "gap", "seconds")
"""The JSON summary's keys that issue #19 names (a contract on the keys, not on any time)."""


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def match_cli(db: Path, demands: Path, supply: Path, *options: str) -> CompletedProcess[str]:
    """``indspace match`` on the store ``db`` with these demand and supply files (its exit
    code is the test's to check)."""
    return run(
        "match",
        "--db",
        str(db),
        "--demands",
        str(demands),
        "--supply",
        str(supply),
        *options,
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "m.gpkg"
    s = Store.create(f"{path}", overwrite=True)
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
        valid_from=datetime(2025, 1, 1, tzinfo=UTC),
    )
    s.close()
    return path


def test_match_cli_contract(db: Path, tmp_path: Path) -> None:
    demands = _csv(
        tmp_path / "d.csv",
        DEMAND_HEADER,
        [
            ["D1", CODE, "floor", "100", "200", "8", "", "", "1", "", "30", "鄞州", "2026-01-01"],
            ["D2", CODE, "floor", "100", "200", "", "", "", "1", "", "", "", "2026-01-02"],
        ],
    )
    supply = _csv(
        tmp_path / "s.csv",
        list(SPACE_COLUMNS),
        [
            ["S1", "floor", "150", "8", "6", "100", "1", "330212", "", "20", ""],
            ["S2", "floor", "150", "5", "6", "100", "1", "330203", "", "25", "2025-06-01"],
        ],
    )
    out = tmp_path / "matches.csv"
    r = match_cli(
        db,
        demands,
        supply,
        "--out",
        str(out),
        "--objective",
        "count-then-rent",
        "--as-of",
        "2025-12-31",
        "--json",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    summary = json.loads(r.stdout)
    assert set(SUMMARY_KEYS) <= set(summary)
    # D1 (first) needs load 8 in 鄞州: only S1; D2 takes S2: both served, 150 × (20 + 25)
    assert summary["objective"]["served"] == 2
    assert summary["objective"]["rent_yuan_month"] == "6750.00"
    assert summary["gap"] == 0.0
    with out.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(MATCH_COLUMNS)
    assert [(r[0], r[3]) for r in rows[1:]] == [("D1", "S1"), ("D2", "S2")]
    r = match_cli(
        db,
        demands,
        supply,
        "--out",
        str(tmp_path / "w.xlsx"),
        "--objective",
        "weighted",
        "--as-of",
        "2025-12-31",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "w.xlsx").stat().st_size > 0


def test_match_cli_bad_files_name_row_and_field(db: Path, tmp_path: Path) -> None:
    demands = _csv(
        tmp_path / "d.csv",
        DEMAND_HEADER,
        [
            ["D1", CODE, "floor", "300", "200", "", "", "", "1", "", "", "", ""],
        ],
    )
    supply = _csv(
        tmp_path / "s.csv",
        list(SPACE_COLUMNS),
        [
            ["S1", "floor", "150", "8", "6", "100", "1", "330212", "", "20", ""],
        ],
    )
    r = match_cli(db, demands, supply, "--out", str(tmp_path / "m.csv"), "--json")
    assert r.returncode == 2
    err = json.loads(r.stdout)
    assert err["where"] == "d.csv" and "row 2 max_area_m2" in err["message_en"]
    assert "需求面积下限" in err["message_zh"]
    good = _csv(
        tmp_path / "d2.csv",
        DEMAND_HEADER,
        [
            ["D1", CODE, "floor", "100", "200", "", "", "", "1", "", "", "", ""],
        ],
    )
    bad_supply = _csv(
        tmp_path / "s2.csv",
        list(SPACE_COLUMNS),
        [
            ["S1", "floor", "150", "8", "6", "100", "1", "330212", "", "20", ""],
            ["S2", "floor", "abc", "8", "6", "100", "1", "330212", "", "20", ""],
        ],
    )
    r = match_cli(db, good, bad_supply, "--out", str(tmp_path / "m.csv"), "--json")
    assert r.returncode == 2
    err = json.loads(r.stdout)
    assert err["where"] == "s2.csv: 第 3 行 / row 3, area_m2"
    assert "not a number" in err["message_en"] and "不是数字" in err["message_zh"]
    wrong_header = _csv(tmp_path / "s3.csv", [*SPACE_COLUMNS[:-1], "ready"], [])
    r = match_cli(db, good, wrong_header, "--json")
    assert r.returncode == 2 and "available_from" in json.loads(r.stdout)["message_en"]
