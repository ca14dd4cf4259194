"""Control-line adjustments through the store on both backends: state machine, ledger,
refusals, the line as of a date before and after enforcement, reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from indspace.core.errors import BalanceError, ProposalStateError, ReplacementLandError
from indspace.services import controlline_ledger as svc
from indspace.store import Store
from indspace.store import controlline as S

X, Y = 600_000.0, 3_300_000.0
T0 = datetime(2025, 12, 31, tzinfo=UTC)
D = "330212"


def sq(x0: float, y0: float, x1: float, y1: float) -> str:
    return box(X + x0, Y + y0, X + x1, Y + y1).wkt


def at(month: int, day: int = 1, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def load(store: Store) -> None:
    lines = gpd.GeoDataFrame({
        "block_id": ["CL-A", "CL-B"], "name": ["甲区块", "乙区块"], "district": [D, D],
        "line_type": ["level1", "level1"], "park_id": [None, None],
        "effective_from": [date(2021, 1, 1)] * 2, "is_synthetic": [True, True],
    }, geometry=[MultiPolygon([box(X, Y, X + 100, Y + 100)]),
                 MultiPolygon([box(X + 300, Y, X + 400, Y + 100)])], crs=4549)
    parcels = gpd.GeoDataFrame({
        "parcel_id": ["P-IND", "P-RES"], "land_use_code": ["100101", "0701"],
        "area_m2": [2500.0, 2500.0], "district": [D, D], "is_synthetic": [True, True],
    }, geometry=[MultiPolygon([box(X + 800, Y, X + 850, Y + 50)]),
                 MultiPolygon([box(X + 100, Y + 200, X + 150, Y + 250)])], crs=4549)
    store.write_frames({"control_lines": lines, "parcels": parcels}, valid_from=T0)
    S.write_constraint_areas(store, gpd.GeoDataFrame(
        {"area_id": ["RED-1"], "kind": ["ecological_red_line"], "name": ["东钱湖"]},
        geometry=[box(X + 600, Y, X + 700, Y + 100)], crs=4549), at=T0, actor="t")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.create(db_url, overwrite=True)
    load(s)
    yield s
    s.close()


def propose(store: Store, out: str | None, inn: str | None, **kw: object) -> str:
    data = {"district": D, "reason": "交通设施（道路拓宽）", "documents": ["甬政办发〔2025〕1号"],
            "out": out, "in": inn, **kw}
    return str(svc.propose(store, data, actor="t", at=at(1))["proposal_id"])


def passes(store: Store, pid: str, month: int) -> dict[str, object]:
    svc.review(store, pid, actor="reviewer", at=at(month, 1))
    return svc.approve(store, pid, actor="approver", at=at(month, 2))


def test_state_machine(store: Store) -> None:
    pid = propose(store, None, sq(100, 0, 130, 100))
    assert pid == "CL-2026-0001" and S.get_proposal(store, pid)["state"] == "draft"
    with pytest.raises(ProposalStateError, match="须先审查") as e:
        svc.approve(store, pid, at=at(2))
    assert e.value.where == pid and "must be reviewed first" in e.value.message_en
    with pytest.raises(ProposalStateError, match="须先批准"):
        svc.enforce(store, pid, on=date(2026, 2, 1))
    svc.review(store, pid, at=at(2))
    with pytest.raises(ProposalStateError, match="只有草稿可以审查"):
        svc.review(store, pid, at=at(2, 2))
    svc.approve(store, pid, at=at(2, 3))
    with pytest.raises(ProposalStateError):
        svc.approve(store, pid, at=at(2, 4))
    assert svc.enforce(store, pid, on=date(2026, 3, 1))["state"] == "in_force"
    with pytest.raises(ProposalStateError, match="已生效，不能重复生效") as e:
        svc.enforce(store, pid, on=date(2026, 4, 1))
    assert "already in force" in e.value.message_en
    assert len(S.read_ledger(store)) == 1   # the refusals booked nothing
    actions = store.audit_log()["action"].tolist()
    assert [a for a in actions if a in ("propose", "review", "approve", "enforce")] == [
        "propose", "review", "approve", "enforce"]


def test_ledger_books_refuses_negative_and_reports(store: Store, tmp_path: Path) -> None:
    bank = propose(store, None, sq(100, 0, 130, 100))        # in 3 000 → +3 000
    passes(store, bank, 2)
    take = propose(store, sq(0, 0, 20, 100), None)           # out 2 000 → 1 000
    passes(store, take, 3)
    over = propose(store, sq(20, 0, 40, 100), None)          # out 2 000 → would be −1 000
    svc.review(store, over, at=at(4))
    with pytest.raises(BalanceError) as e:
        svc.approve(store, over, at=at(4, 2))
    err = e.value
    assert D in err.message_zh and "当前结余 1,000.00 m²（1.50 亩）" in err.message_zh
    assert "缺口 1,000.00 m²（1.50 亩）" in err.message_zh
    assert "shortfall 1,000.00 m² (1.50 mu)" in err.message_en and over in str(err.where)
    assert S.get_proposal(store, over)["state"] == "reviewed"
    rep = svc.ledger(store)
    row = rep.balances.set_index("district").loc[D]
    assert (row["in_m2"], row["out_m2"], row["balance_m2"]) == (3000.0, 2000.0, 1000.0)
    assert row["balance_mu"] == pytest.approx(1.5)
    assert rep.entries["balance_m2"].tolist() == [3000.0, 1000.0]
    assert rep.entries["kind"].tolist() == ["in", "out"]
    early = svc.ledger(store, as_of=date(2026, 2, 28))          # by time
    assert early.balances["balance_m2"].tolist() == [3000.0]
    assert svc.ledger(store, district="330299").balances["balance_m2"].tolist() == [0.0]
    xlsx = svc.export_ledger(rep, tmp_path / "ledger.xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert list(sheets) == ["按区县", "台账明细"]
    assert sheets["按区县"]["结余(亩)"].tolist() == [1.5]
    assert sheets["台账明细"]["类别"].tolist() == ["补划", "调出"]
    csv = svc.export_ledger(rep, tmp_path / "ledger.csv")
    assert csv.read_text(encoding="utf-8-sig").startswith("区县,调出面积(m²)")


@pytest.mark.parametrize(("inn", "code"), [
    (f"MULTIPOLYGON((({X + 100} {Y}, {X + 150} {Y}, {X + 150} {Y + 50}, {X + 100} {Y + 50}, "
     f"{X + 100} {Y})), (({X + 180} {Y}, {X + 230} {Y}, {X + 230} {Y + 50}, {X + 180} {Y + 50}, "
     f"{X + 180} {Y})))", "不连片"),
    (sq(100, 0, 120, 20), "小于下限"),
    (sq(560, 0, 620, 60), "生态保护红线「东钱湖」"),
    (sq(80, 0, 130, 100), "控制线区块 / control-line block CL-A"),
    (sq(800, 0, 850, 50), "工业宗地 / industrial parcel P-IND"),
])
def test_replacement_land_is_checked_at_review(store: Store, inn: str, code: str) -> None:
    pid = propose(store, None, inn)
    assert S.get_proposal(store, pid)["checks_json"] != "[]"
    with pytest.raises(ReplacementLandError, match=code):
        svc.review(store, pid, at=at(2))
    assert S.get_proposal(store, pid)["state"] == "draft"


def test_replacement_land_cannot_be_designated_twice(store: Store) -> None:
    first = propose(store, None, sq(100, 0, 130, 100))
    second = propose(store, None, sq(110, 0, 140, 100))
    passes(store, first, 2)
    with pytest.raises(ReplacementLandError, match=f"已批准补划.*{first}"):
        svc.review(store, second, at=at(3))


def test_line_as_of_dates_before_and_after_enforcement(store: Store) -> None:
    bank = propose(store, None, MultiPolygon([box(X + 100, Y, X + 130, Y + 100),
                                              box(X + 1000, Y, X + 1050, Y + 50)]).wkt)
    # adjacent 3 000 m² piece merges into CL-A; the far piece is fragmented → use two proposals
    with pytest.raises(ReplacementLandError):
        svc.review(store, bank, at=at(2))
    merge = propose(store, None, sq(100, 0, 130, 100))
    island = propose(store, None, sq(1000, 0, 1050, 50))
    cut = propose(store, sq(0, 0, 20, 100) + "", None)
    gone = propose(store, sq(300, 0, 400, 100), sq(2000, 0, 2100, 100))  # whole CL-B out
    for i, pid in enumerate((merge, island, cut, gone)):
        passes(store, pid, 2 + i)
    svc.enforce(store, merge, on=date(2026, 7, 1))
    svc.enforce(store, island, on=date(2026, 7, 1))
    svc.enforce(store, cut, on=date(2026, 8, 1))
    svc.enforce(store, gone, on=date(2026, 9, 1))

    def areas(d: date) -> dict[str, float]:
        f = svc.line_as_of(store, d)
        return dict(zip(f["block_id"], f.geometry.area.round(3), strict=True))

    assert areas(date(2026, 6, 30)) == {"CL-A": 10000.0, "CL-B": 10000.0}
    assert areas(date(2026, 7, 1)) == {"CL-A": 13000.0, "CL-B": 10000.0,
                                       f"{island}-B1": 2500.0}
    assert areas(date(2026, 8, 15)) == {"CL-A": 11000.0, "CL-B": 10000.0,
                                        f"{island}-B1": 2500.0}
    after = areas(date(2026, 9, 1))
    assert after == {"CL-A": 11000.0, f"{island}-B1": 2500.0, f"{gone}-B1": 10000.0}
    assert store.read_frame("control_lines")["block_id"].tolist() == sorted(after)
    hist = store.history("control_lines", "CL-A")
    # v1 as loaded, v2 = v1 held true until 2026-06-30 (the merge takes effect 07-01),
    # v3 the merged block, v4 = v3 held true until 07-31, v5 the cut block from 08-01
    assert hist["version"].tolist() == [1, 2, 3, 4, 5]
    assert hist["effective_from"].tolist() == [date(2021, 1, 1), date(2021, 1, 1),
                                               date(2026, 7, 1), date(2026, 7, 1),
                                               date(2026, 8, 1)]
    assert hist["effective_to"].tolist()[1::2] == [date(2026, 6, 30), date(2026, 7, 31)]
    new = store.get("control_lines", f"{island}-B1")
    assert new["effective_from"] == date(2026, 7, 1) and new["district"] == D
    bal = svc.ledger(store).balances.set_index("district").loc[D, "balance_m2"]
    assert bal == pytest.approx(3000 + 2500 - 2000 - 10000 + 10000)


def test_transfer_between_districts_when_the_profile_allows(store: Store,
                                                             tmp_path: Path) -> None:
    from importlib import resources

    text = resources.files("indspace.core.policy").joinpath("profiles/ningbo-demo.yaml") \
        .read_text(encoding="utf-8")
    assert "{value: false, source: 设定值（补划须在同一审批内" in text
    prof = tmp_path / "transfer.yaml"
    prof.write_text(text.replace("{value: false, source: 设定值（补划须在同一审批内",
                                 "{value: true, source: 设定值（补划须在同一审批内"),
                    encoding="utf-8")
    donor = str(svc.propose(store, {"district": "330203", "reason": "补划", "in": sq(
        1000, 0, 1050, 50)}, at=at(1))["proposal_id"])
    passes(store, donor, 2)                                      # 330203: +2 500
    pid = propose(store, sq(0, 0, 20, 100), None, transfer_from="330203")  # 330212 short 2 000
    svc.review(store, pid, at=at(3))
    with pytest.raises(BalanceError, match="不允许跨区县调剂"):
        svc.approve(store, pid, at=at(3, 2))
    svc.approve(store, pid, at=at(3, 3), profile=str(prof))
    bal = svc.ledger(store).balances.set_index("district")["balance_m2"].to_dict()
    assert bal == {"330203": 500.0, D: 0.0}
    led = S.read_ledger(store)
    assert led[["district", "kind", "counterparty"]].values.tolist()[-2:] == [
        ["330203", "transfer_out", D], [D, "transfer_in", "330203"]]
