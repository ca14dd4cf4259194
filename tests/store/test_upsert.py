"""Import semantics in the store: idempotent re-import, versioned changes, replace mode,
one transaction with the run record — on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pandas as pd
import pytest
import shapely

from indspace.core.errors import ValidationError
from indspace.store import Store
from indspace.store.upsert import apply_import

from .test_store import T0, T1, T2, enterprises, parcels

COLS = ["parcel_id", "land_use_code", "area_m2", "right_type", "right_start", "right_end",
        "owner_credit_code", "district", "geometry"]


def run(import_id: str, at: datetime) -> dict:  # type: ignore[type-arg]
    return {"import_id": import_id, "kind": "parcels", "source": "p.gpkg", "file_sha256": "x",
            "mode": "upsert", "strict": False, "status": "committed", "rows_read": 0,
            "accepted": 0, "rejected": 0, "warnings": 0, "actor": "t", "started_at": at,
            "finished_at": at}


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.create(db_url, overwrite=True)
    s.write_frames({"enterprises": enterprises(), "parcels": parcels(3)}, valid_from=T0)
    yield s
    s.close()


def test_reimport_of_the_same_records_changes_nothing(store: Store) -> None:
    c = apply_import(store, "parcels", parcels(3), columns=COLS, at=T1, actor="t", reason="r",
                     run=run("I1", T1))
    assert (c.inserted, c.updated, c.unchanged, c.retired) == (0, 0, 3, 0)
    assert store.history("parcels", "330212001001GB00001").version.tolist() == [1]


def test_changed_and_new_records(store: Store) -> None:
    p = parcels(4)  # one new record (00004)
    p.loc[1, "area_m2"] = 3100.0  # 00002 changes an attribute
    p.loc[2, "geometry"] = shapely.MultiPolygon([shapely.box(1, 2, 3, 4)])  # 00003 moves
    q = pd.DataFrame({"import_id": ["I2"], "source_row": [7], "field": ["area_m2"],
                      "code": ["E104"], "severity": ["error"], "message_zh": ["数值无法解析"],
                      "message_en": ["not a number"], "value": ["abc"], "raw_json": ["{}"]})
    c = apply_import(store, "parcels", p, columns=COLS, at=T1, actor="t", reason="r",
                     run=run("I2", T1), quarantine=q)
    assert (c.inserted, c.updated, c.unchanged) == (1, 2, 1)
    h = store.history("parcels", "330212001001GB00002")
    assert h.area_m2.tolist() == [3000.0, 3100.0] and h.valid_to.iloc[0] == T1
    moved = store.read_frame("parcels", where={"parcel_id": "330212001001GB00003"})
    assert moved.geometry.iloc[0].equals(shapely.box(1, 2, 3, 4))
    assert store.counts()["parcels"] == 4
    with store.engine.connect() as conn:
        runs = conn.exec_driver_sql("SELECT import_id, inserted, updated, unchanged "
                                    "FROM import_runs").all()
        quarantined = conn.exec_driver_sql("SELECT code FROM import_quarantine").all()
    assert [tuple(r) for r in runs] == [("I2", 1, 2, 1)]
    assert [r[0] for r in quarantined] == ["E104"]


def test_missing_optional_column_is_not_erased(store: Store) -> None:
    p = parcels(3).drop(columns=["owner_credit_code"])
    cols = [c for c in COLS if c != "owner_credit_code"]
    c = apply_import(store, "parcels", p, columns=cols, at=T1, actor="t", reason="r")
    assert c.unchanged == 3
    assert store.read_frame("parcels").owner_credit_code.notna().all()


def test_replace_retires_absent_records(store: Store) -> None:
    c = apply_import(store, "parcels", parcels(2), columns=COLS, at=T2, actor="t",
                     reason="r", mode="replace")
    assert (c.unchanged, c.retired) == (2, 1)
    assert store.counts()["parcels"] == 2
    assert len(store.read_frame("parcels", recorded_at=T1)) == 3


def test_an_error_inside_leaves_everything_as_before(store: Store) -> None:
    before = store.counts()
    p = parcels(4)
    p.loc[1, "area_m2"] = 1.0
    with pytest.raises(ValidationError):  # a change dated before the current version
        apply_import(store, "parcels", p, columns=COLS,
                     at=datetime(2020, 1, 1, tzinfo=UTC), actor="t", reason="r",
                     run=run("I3", T1))
    assert store.counts() == before
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM import_runs").scalar() == 0


def test_sub_millimetre_geometry_noise_is_not_a_change(store: Store) -> None:
    p = parcels(3)
    p["geometry"] = shapely.transform(p.geometry.values, lambda xy: xy + 0.0004)  # 0.4 mm
    c = apply_import(store, "parcels", p, columns=COLS, at=T1, actor="t", reason="r")
    assert (c.updated, c.unchanged) == (0, 3)
    p["geometry"] = shapely.transform(p.geometry.values, lambda xy: xy + 0.002)  # 2 mm
    c = apply_import(store, "parcels", p, columns=COLS, at=T2, actor="t", reason="r")
    assert c.updated == 3
