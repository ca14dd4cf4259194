"""`indspace controlline propose/review/approve/enforce/proposals/ledger/constraints` as a
user runs them (real subprocesses, a real GeoPackage)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from indspace.store import Store
from tests.ledger.test_ledger_store import X, Y, load

from .conftest import run


def _ring(x0: float, y0: float, x1: float, y1: float) -> list[list[list[float]]]:
    return [[[X + x0, Y + y0], [X + x1, Y + y0], [X + x1, Y + y1], [X + x0, Y + y1],
             [X + x0, Y + y0]]]


def _feature(direction: str, *box: float) -> dict:  # type: ignore[type-arg]
    return {"type": "Feature", "properties": {"direction": direction},
            "geometry": {"type": "Polygon", "coordinates": _ring(*box)}}


def test_adjustment_round_trip_and_refusal(tmp_path: Path) -> None:
    db = str(tmp_path / "lines.gpkg")
    s = Store.create(db)
    load(s)
    s.close()
    bank = tmp_path / "bank.geojson"
    bank.write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name",
                                             "properties": {"name": "EPSG:4549"}},
        "properties": {"district": "330212", "reason": "补划储备", "documents": ["批复"]},
        "features": [_feature("in", 100, 0, 130, 100)]}, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out.json"
    out.write_text(json.dumps({"district": "330212", "reason": "重大基础设施",
                               "out": {"type": "Polygon", "coordinates": _ring(0, 0, 40, 100)}},
                              ensure_ascii=False), encoding="utf-8")
    p1 = json.loads(run("controlline", "propose", str(bank), "--db", db, "--json").stdout)
    assert p1["state"] == "draft" and p1["problems"] == []
    pid = p1["proposal_id"]
    for cmd in ("review", "approve"):
        assert json.loads(run("controlline", cmd, pid, "--db", db, "--json").stdout)[
            "state"] in ("reviewed", "approved")
    r = run("controlline", "enforce", pid, "--date", "2026-03-01", "--db", db)
    assert "已生效 / in force 2026-03-01" in r.stderr
    p2 = json.loads(run("controlline", "propose", str(out), "--db", db, "--json").stdout)
    run("controlline", "review", p2["proposal_id"], "--db", db)
    refused = run("controlline", "approve", p2["proposal_id"], "--db", db, "--json",
                  check=False)
    assert refused.returncode == 2
    err = json.loads(refused.stdout)
    assert err["error"] == "BalanceError" and "缺口 1,000.00 m²（1.50 亩）" in err["message_zh"]
    assert "shortfall 1,000.00 m² (1.50 mu)" in err["message_en"]
    led = json.loads(run("controlline", "ledger", "--db", db, "--json",
                         "--out", str(tmp_path / "l.xlsx")).stdout)
    assert led["balances"][0]["balance_m2"] == 3000.0
    assert pd.read_excel(tmp_path / "l.xlsx", sheet_name="按区县")["区县"].astype(str).tolist() \
        == ["330212"]
    rows = json.loads(run("controlline", "proposals", "--db", db, "--json").stdout)
    assert [r["state"] for r in rows] == ["in_force", "reviewed"]
    text = run("controlline", "ledger", "--db", db).stdout
    assert "结余" in text and "4.50" in text


def test_constraint_layer_load(tmp_path: Path) -> None:
    db = str(tmp_path / "c.gpkg")
    Store.create(db).close()
    layer = tmp_path / "red.geojson"
    layer.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"area_id": "R1", "kind": "ecological_red_line",
                                          "name": "四明山"},
        "geometry": {"type": "Polygon", "coordinates": [[[121.5, 29.8], [121.51, 29.8],
                                                         [121.51, 29.81], [121.5, 29.8]]]}}]}),
        encoding="utf-8")
    assert json.loads(run("controlline", "constraints", str(layer), "--db", db, "--json")
                      .stdout) == {"written": 1}
    bad = run("controlline", "constraints", str(layer).replace("red", "none"), "--db", db,
              check=False)
    assert bad.returncode == 2 and "无法读取管控区图层" in bad.stderr


def test_reject_and_withdraw_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "lines.gpkg")
    s = Store.create(db)
    load(s)
    s.close()
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"district": "330212", "reason": "补划储备",
                                "in": {"type": "Polygon", "coordinates": _ring(100, 0, 130, 100)}},
                               ensure_ascii=False), encoding="utf-8")
    a = json.loads(run("controlline", "propose", str(path), "--db", db, "--json").stdout)
    b = json.loads(run("controlline", "propose", str(path), "--db", db, "--json").stdout)
    got = json.loads(run("controlline", "reject", a["proposal_id"], "--note", "不连片", "--db",
                         db, "--json").stdout)
    assert (got["state"], got["close_note"]) == ("rejected", "不连片")
    r = run("controlline", "withdraw", b["proposal_id"], "--db", db)
    assert "已撤回 / withdrawn" in r.stderr
    refused = run("controlline", "review", a["proposal_id"], "--db", db, "--json", check=False)
    assert refused.returncode == 2
    assert json.loads(refused.stdout)["error"] == "ProposalStateError"
    rows = json.loads(run("controlline", "proposals", "--db", db, "--json").stdout)
    assert [r["state"] for r in rows] == ["rejected", "withdrawn"]
