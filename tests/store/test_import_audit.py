"""An import's audit entry says what changed per key (issue #15): keys inserted, fields
updated with their before and after values, keys retired — bounded by AUDIT_CHANGES_MAX
with the counts of what is not listed — on both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import shapely

from indspace.store import Store, upsert
from indspace.store.audit import audit_page
from indspace.store.upsert import apply_import

from .test_store import T0, T1, T2, enterprises, parcels
from .test_upsert import COLS, run

P = "330212001001GB0000"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.create(db_url, overwrite=True)
    s.write_frames({"enterprises": enterprises(), "parcels": parcels(3)}, valid_from=T0)
    yield s
    s.close()


def last_import(store: Store) -> dict[str, Any]:
    _, rows = audit_page(store, limit=1, offset=0, table="parcels")
    assert rows[0]["action"] == "import"
    entry: dict[str, Any] = json.loads(rows[0]["after_json"])
    return entry


def test_inserted_updated_and_their_fields(store: Store) -> None:
    p = parcels(4)  # 00004 is new
    p.loc[1, "area_m2"] = 3100.0  # 00002: one attribute
    p.loc[2, "geometry"] = shapely.MultiPolygon([shapely.box(1, 2, 3, 4)])  # 00003 moves
    apply_import(
        store,
        "parcels",
        p,
        columns=COLS,
        at=T1,
        actor="t",
        reason="import parcels p.gpkg",
        run=run("I1", T1),
    )
    e = last_import(store)
    assert (e["inserted"], e["updated"], e["unchanged"], e["retired"]) == (1, 2, 1, 0)
    assert e["changes"]["inserted"] == [P + "4"]
    assert e["changes"]["updated"][0] == {
        "key": P + "2",
        "before": {"area_m2": 3000.0},
        "after": {"area_m2": 3100.0},
    }
    moved = e["changes"]["updated"][1]
    assert moved["key"] == P + "3" and set(moved["before"]) == {"geometry"}
    # 50 m × 60 m = 3 000 m² before, 2 m × 2 m = 4 m² after; coordinates are not copied
    assert moved["before"]["geometry"]["area_m2"] == 3000.0
    assert moved["after"]["geometry"]["area_m2"] == 4.0
    assert len(moved["after"]["geometry"]["wkb_sha256"]) == 16
    assert e["omitted"] == {"inserted": 0, "updated": 0, "retired": 0}


def test_only_the_first_keys_are_listed(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upsert, "AUDIT_CHANGES_MAX", 1)
    p = parcels(6)  # 00004, 00005, 00006 new
    p["land_use_code"] = "100102"  # 00001-00003 updated
    apply_import(store, "parcels", p, columns=COLS, at=T1, actor="t", reason="r", run=run("I2", T1))
    e = last_import(store)
    assert e["changes"]["inserted"] == [P + "4"]  # the first in key order
    assert [u["key"] for u in e["changes"]["updated"]] == [P + "1"]
    assert e["changes"]["updated"][0]["before"] == {"land_use_code": "100101"}
    assert e["omitted"] == {"inserted": 2, "updated": 2, "retired": 0}
    assert (e["inserted"], e["updated"]) == (3, 3)  # the counts stay whole


def test_retired_keys_are_listed(store: Store) -> None:
    apply_import(
        store,
        "parcels",
        parcels(1),
        columns=COLS,
        at=T2,
        actor="t",
        reason="r",
        mode="replace",
        run=run("I3", T2),
    )
    e = last_import(store)
    assert e["changes"]["retired"] == [P + "2", P + "3"] and e["retired"] == 2


def test_an_uploaded_file_is_named_without_the_server_folder(store: Store, tmp_path: Path) -> None:
    from indspace.services.importing import import_file

    folder = tmp_path / "indspace-upload-abc123"
    folder.mkdir()
    csv = folder / "firms.csv"
    csv.write_text(
        "统一社会信用代码,企业名称,所在区县,行业代码,规模\n"
        "91310110666007217T,宁波新名称有限公司,330212,3484,above\n",
        encoding="utf-8",
    )
    import_file(
        store, "enterprises", csv, actor="admin", report_dir=folder / "r", source_name="firms.csv"
    )
    _, rows = audit_page(store, limit=1, offset=0, table="enterprises")
    row = rows[0]
    assert row["reason"] == "import enterprises firms.csv"
    assert "indspace-upload" not in json.dumps(row, default=str)
    after = json.loads(row["after_json"])
    # the stored firm was written as synthetic (the test fixture); an imported one is not
    assert after["changes"]["updated"] == [
        {
            "key": "91310110666007217T",
            "before": {"name": "宁波示例制造有限公司", "is_synthetic": True},
            "after": {"name": "宁波新名称有限公司", "is_synthetic": False},
        }
    ]
    assert pd.isna(row["before_json"])
