"""G4: at least 10 % of new in-line land goes to small-firm / relocation parks."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from indspace.core.engines.ledger import parse_proposal, reserve_report
from indspace.core.errors import ValidationError
from indspace.store import Store
from tests.cli.conftest import run
from tests.ledger.test_ledger_store import X, Y, load


def test_reserve_report_by_hand() -> None:
    enforced = pd.DataFrame({"district": ["330212", "330212", "330203"],
                             "area_in_m2": [3000.0, 1000.0, 5000.0],
                             "small_firm_reserve_m2": [200.0, 300.0, 0.0]})
    r = reserve_report(enforced, 0.10).set_index("district")
    # 330212: reserved 200 + 300 = 500 of 4 000 → 12.5 % ≥ 10 %
    assert r.loc["330212", "reserved_share"] == pytest.approx(0.125)
    assert r.loc["330212", "meets"] and r.loc["330212", "shortfall_m2"] == 0.0
    # 330203: 0 of 5 000 → short by 10 % × 5 000 = 500 m²
    assert not r.loc["330203", "meets"] and r.loc["330203", "shortfall_m2"] == 500.0


def test_reserve_must_fit_in_the_land_in() -> None:
    square = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10],
                                                  [0, 0]]]}
    assert parse_proposal({"district": "330212", "reason": "补划", "in": square,
                           "small_firm_reserve_m2": 40}).small_firm_reserve_m2 == 40.0
    with pytest.raises(ValidationError, match=r"small_firm_reserve_m2|小微"):
        parse_proposal({"district": "330212", "reason": "补划", "in": square,
                        "small_firm_reserve_m2": 150})


def test_reserve_command_after_an_adjustment(tmp_path: Path) -> None:
    db = str(tmp_path / "lines.gpkg")
    s = Store.create(db)
    load(s)
    s.close()
    bank = tmp_path / "bank.json"
    ring = [[[X + 100, Y], [X + 130, Y], [X + 130, Y + 100], [X + 100, Y + 100], [X + 100, Y]]]
    bank.write_text(json.dumps({"district": "330212", "reason": "补划储备",
                                "small_firm_reserve_m2": 200, "crs": "EPSG:4549",
                                "in": {"type": "Polygon", "coordinates": ring}},
                               ensure_ascii=False), encoding="utf-8")
    pid = json.loads(run("controlline", "propose", str(bank), "--db", db, "--json").stdout)[
        "proposal_id"]
    for cmd in ("review", "approve"):
        run("controlline", cmd, pid, "--db", db)
    run("controlline", "enforce", pid, "--date", "2026-03-01", "--db", db)
    rows = json.loads(run("controlline", "reserve", "--db", db, "--json").stdout)
    # 30 × 100 = 3 000 m² brought in, 200 reserved → 6.7 % < 10 %: short by 100 m²
    assert rows == [{**rows[0], "district": "330212", "area_in_m2": pytest.approx(3000.0),
                     "reserved_m2": 200.0, "meets": False}]
    assert rows[0]["shortfall_m2"] == pytest.approx(100.0)
