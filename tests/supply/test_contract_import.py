"""Import kinds ``contracts`` and ``contract-events`` on both stores (issue #17).

Money is exact: ``1234.5678`` 万元 comes back as ``Decimal('1234.5678')`` on GeoPackage
(decimal text) and PostGIS (NUMERIC). Payment schedules keep the installment rules of
财综〔2009〕74号 (profile ``installment_rules``), each broken once below. All contracts are
signed 2024-01-15 with a price of 1000 万元, so (worked by hand, CN calendar):

* first share 50 % = 500 万元 due one month later, 2024-02-15 — Spring Festival holiday
  (02-10…02-17) — so on 2024-02-18 (a Sunday worked, 调休);
* balance due 12 months after signing, 2025-01-15 (a Wednesday); a special project 24
  months, 2026-01-15 (a Thursday).
"""

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

CODE = "91330200MA2AAAAA0G"
X0, Y0 = 649_000.0, 3_306_000.0
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.create(db_url, overwrite=True)
    s.write_frames(
        {
            "enterprises": pd.DataFrame(
                {"credit_code": [CODE], "name": ["甲公司"], "district": ["330212"]}
            ),
            "parcels": gpd.GeoDataFrame(
                {
                    "parcel_id": ["P1", "P2"],
                    "area_m2": [20000.0, 20000.0],
                    "district": ["330212", "330212"],
                },
                geometry=[
                    MultiPolygon([box(X0, Y0, X0 + 200, Y0 + 100)]),
                    MultiPolygon([box(X0 + 300, Y0, X0 + 500, Y0 + 100)]),
                ],
                crs=s.srid,
            ),
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


CONTRACT_HEADER = [
    "合同编号",
    "宗地代码",
    "统一社会信用代码",
    "供地方式",
    "签订日期",
    "出让年限",
    "成交价款(万元)",
    "出让面积(平方米)",
    "约定动工日期",
    "约定竣工日期",
    "承诺投资总额(万元)",
    "承诺亩均税收(万元/亩)",
    "容积率下限",
    "容积率上限",
    "闲置原因",
    "特殊项目分期",
]


def _contract(cid: str, special: str = "否", price: str = "1000") -> list[str]:
    return [
        cid,
        "P1",
        CODE,
        "出让",
        "2024-01-15",
        "50",
        price,
        "20000",
        "2024-07-15",
        "2026-07-15",
        "8000",
        "25",
        "1.2",
        "2.5",
        "",
        special,
    ]


def _codes(folder: Path) -> str:
    return "".join(p.read_text(encoding="utf-8-sig") for p in folder.glob("*.csv"))


def test_contracts_import_exact_money_and_history(store: Store, tmp_path: Path) -> None:
    rows = [
        _contract("C1", price="1,234.5678"),
        [*_contract("C2")[:1], "P9", *_contract("C2")[2:]],  # E115 unknown parcel
        [*_contract("C3")[:6], "abc", *_contract("C3")[7:]],  # E104 price
        [*_contract("C4")[:3], "拍卖", *_contract("C4")[4:]],  # E116 mode
        [
            "C5",
            "P2",
            CODE,
            "先租后让",
            "2024-01-15",
            "5",
            "300",
            "20000",
            "2024-07-15",
            "2024-03-01",
            "",
            "",
            "",
            "",
            "政府原因",
            "",
        ],
    ]  # E122 completion < start
    path = _csv(tmp_path / "contracts.csv", CONTRACT_HEADER, rows)
    r = import_file(store, "contracts", path, report_dir=tmp_path / "r", clock=lambda: NOW)
    assert (r.accepted, r.rejected) == (1, 4)
    codes = _codes(tmp_path / "r")
    for code in ("E115", "E104", "E116", "E122"):
        assert code in codes
    got = store.read_frame("contracts").set_index("contract_id")
    assert got.loc["C1", "price_wan"] == Decimal("1234.5678")
    assert isinstance(got.loc["C1", "price_wan"], Decimal)
    assert got.loc["C1", "investment_commitment_wan"] == Decimal("8000")
    assert got.loc["C1", "mode"] == "grant"
    assert got.loc["C1", "signed"] == date(2024, 1, 15)

    # a changed price is a new version; the old one stays in the history
    path2 = _csv(tmp_path / "contracts2.csv", CONTRACT_HEADER, [_contract("C1", price="1000")])
    r2 = import_file(
        store,
        "contracts",
        path2,
        report_dir=tmp_path / "r2",
        clock=lambda: datetime(2026, 1, 2, tzinfo=UTC),
    )
    assert r2.updated == 1
    hist = store.history("contracts", "C1")
    assert hist["price_wan"].tolist() == [Decimal("1234.5678"), Decimal("1000")]


EVENT_HEADER = ["合同编号", "事件", "日期", "金额(万元)", "已开发面积", "已完成投资(万元)", "备注"]


def _pay(cid: str, day: str, amount: str) -> list[str]:
    return [cid, "缴款", day, amount, "", "", ""]


def test_installment_schedules_each_rule_broken_once(store: Store, tmp_path: Path) -> None:
    contracts = [_contract(c) for c in ("K1", "K2", "K3", "K5")] + [
        _contract(c, special="是") for c in ("K4", "K6")
    ]
    path = _csv(tmp_path / "c.csv", CONTRACT_HEADER, contracts)
    assert (
        import_file(
            store, "contracts", path, report_dir=tmp_path / "r0", clock=lambda: NOW
        ).accepted
        == 6
    )
    rows = [
        _pay("K1", "2024-02-01", "400"),  # E139: 400 < 50 % of 1000
        _pay("K2", "2024-02-19", "500"),  # E140: after 2024-02-18
        _pay("K3", "2024-02-01", "500"),
        _pay("K3", "2025-01-16", "500"),  # E141: after 2025-01-15, not special
        _pay("K4", "2024-02-18", "500"),  # first share on the last day: fine
        _pay("K4", "2026-01-16", "500"),  # E142: special, after 2026-01-15
        _pay("K5", "2024-02-01", "500"),
        _pay("K5", "2025-01-15", "500"),  # balance on the last day: fine
        _pay("K6", "2024-02-01", "500"),
        _pay("K6", "2025-06-01", "500"),  # special: 24 months, fine
        _pay("NOPE", "2024-02-01", "500"),  # E138 unknown contract
        ["K5", "缴款", "2024-03-01", "", "", "", ""],  # E101 a payment needs its amount
        ["K5", "动工", "2024-07-01", "", "1000", "500", ""],
    ]
    path = _csv(tmp_path / "e.csv", EVENT_HEADER, rows)
    r = import_file(store, "contract-events", path, report_dir=tmp_path / "r", clock=lambda: NOW)
    assert (r.accepted, r.rejected) == (7, 6)
    report = pd.read_csv(next((tmp_path / "r").glob("*.csv")), encoding="utf-8-sig", dtype=str)
    errors = report[report["规则代码"].str.startswith("E")]  # 行号 = physical CSV line
    by_code = errors.groupby("规则代码")["行号"].apply(lambda s: sorted(map(int, s)))
    assert by_code.to_dict() == {
        "E101": [13],
        "E138": [12],
        "E139": [2],
        "E140": [3],
        "E141": [5],
        "E142": [7],
    }
    msg = errors.set_index("规则代码")["问题说明"]
    assert "installment_first_share" in msg["E139"] and "财综〔2009〕74号" in msg["E139"]
    assert "2025-01-15" in msg["E141"] and "24" in msg["E141"]
    stored = store.read_frame("contract_events")
    assert sorted(stored.loc[stored["contract_id"] == "K5", "amount_wan"].dropna()) == [
        Decimal("500"),
        Decimal("500"),
    ]

    # a later import is checked against the stored schedule: K3's first share is stored,
    # a balance after the deadline is still refused
    late = _csv(tmp_path / "e2.csv", EVENT_HEADER, [_pay("K3", "2025-02-01", "500")])
    r2 = import_file(store, "contract-events", late, report_dir=tmp_path / "r2", clock=lambda: NOW)
    assert (r2.accepted, r2.rejected) == (0, 1)
    assert "E141" in _codes(tmp_path / "r2")
