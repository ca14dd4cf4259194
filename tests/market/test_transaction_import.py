"""Import kind ``transactions`` on both stores (issue #19): the issue's columns under Chinese
headers, money exact (``156.0123`` 万元 comes back as ``Decimal('156.0123')``), each bad row
refused with its rule code (file, row, field in the report), and a change kept in history."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from indspace.services.importing import import_file
from indspace.store import Store

SELLER = "91330200MA2AAAAA0G"
BUYER = "91330200MA2AAAAB0H"
X0, Y0 = 649_000.0, 3_306_000.0
NOW = datetime(2026, 1, 1, tzinfo=UTC)
HEADER = [
    "交易编号",
    "交易类型",
    "宗地代码",
    "建筑编号",
    "楼层",
    "交易面积(平方米)",
    "成交价(万元)",
    "交易日期",
    "出让方统一社会信用代码",
    "受让方统一社会信用代码",
    "受让方用途",
]


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.create(db_url, overwrite=True)
    s.write_frames(
        {
            "enterprises": pd.DataFrame(
                {"credit_code": [SELLER], "name": ["甲公司"], "district": ["330212"]}
            ),
            "parcels": gpd.GeoDataFrame(
                {"parcel_id": ["P1"], "area_m2": [20000.0], "district": ["330212"]},
                geometry=[MultiPolygon([box(X0, Y0, X0 + 200, Y0 + 100)])],
                crs=s.srid,
            ),
            "buildings": gpd.GeoDataFrame(
                {"building_id": ["B1"], "parcel_id": ["P1"], "floors": [3], "gfa_m2": [6000.0]},
                geometry=[MultiPolygon([box(X0 + 10, Y0 + 10, X0 + 60, Y0 + 50)])],
                crs=s.srid,
            ),
        },
        valid_from=NOW,
    )
    yield s
    s.close()


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def _row(tid: str, **kw: str) -> list[str]:
    base = {
        "id": tid,
        "kind": "土地使用权转让",
        "parcel": "P1",
        "building": "",
        "floor": "",
        "area": "20000",
        "price": "156.0123",
        "date": "2025-06-30",
        "seller": SELLER,
        "buyer": BUYER,
        "use": "生产",
    }
    base.update(kw)
    return list(base.values())


def test_transactions_import_exact_money_checks_and_history(store: Store, tmp_path: Path) -> None:
    rows = [
        _row("T1"),
        _row("T2", kind="分割销售", building="B1", floor="2", area="800", price="400", use="研发"),
        _row("T3", parcel="P9"),  # E115 unknown parcel
        _row("T4", kind="拍卖"),  # E116 kind
        _row("T5", buyer="91330200MA2AAAAB0D"),  # E102 check character should be H
        _row("T6", kind="转租", building="B9"),  # E126 unknown building
        _row("T7", price="abc"),  # E104 money
        _row("T8", area="0"),  # E123 area must be > 0
    ]
    r = import_file(
        store,
        "transactions",
        _csv(tmp_path / "t.csv", rows),
        report_dir=tmp_path / "r",
        clock=lambda: NOW,
    )
    assert (r.accepted, r.rejected) == (2, 6)
    report = "".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "r").glob("*.csv"))
    for code in ("E115", "E116", "E102", "E126", "E104", "E123"):
        assert code in report
    got = store.read_frame("transactions").set_index("transaction_id")
    assert got.loc["T1", "price_wan"] == Decimal("156.0123")
    assert isinstance(got.loc["T1", "price_wan"], Decimal)
    assert got.loc["T1", "kind"] == "land_transfer"
    assert got.loc["T1", "date"] == date(2025, 6, 30)
    assert got.loc["T2", ["kind", "building_id", "floor", "buyer_use"]].tolist() == [
        "strata_sale",
        "B1",
        2,
        "rd",
    ]
    # the buyer need not be in the register (that is a market finding, not an import error)
    assert got.loc["T1", "buyer_credit_code"] == BUYER

    # a changed price is a new version; the old one stays in the history
    r2 = import_file(
        store,
        "transactions",
        _csv(tmp_path / "t2.csv", [_row("T1", price="160")]),
        report_dir=tmp_path / "r2",
        clock=lambda: datetime(2026, 1, 2, tzinfo=UTC),
    )
    assert r2.updated == 1
    hist = store.history("transactions", "T1")
    assert hist["price_wan"].tolist() == [Decimal("156.0123"), Decimal("160")]
