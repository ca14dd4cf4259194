"""`indspace proforma` on the small demo's stored plan, and `indspace proforma sqft`."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from indspace.core.engines.sqft_proforma import sqft_proforma
from tests.cli.conftest import run
from tests.core.test_sqft_proforma_urbansim import parcels

pytestmark = pytest.mark.xdist_group("small_demo")

MODES = ["gov_led_contiguous", "enterprise_led", "village_enterprise_coop", "operator_led"]


@pytest.fixture(scope="module")
def demo(small_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("proforma") / "demo.gpkg"
    shutil.copy(small_demo, db)
    return db


def first_unit(db: Path) -> str:
    from indspace.store import Store
    from indspace.store.lowuse_runs import read_lowuse_units

    with Store.open(db) as st:
        return str(read_lowuse_units(st, "lowuse-2025-v1")["unit_id"].iloc[0])


def test_one_unit_all_modes(demo: Path) -> None:
    unit = first_unit(demo)
    s = json.loads(run("proforma", unit, "--all-modes", "--db", str(demo), "--json").stdout)
    assert s["lowuse_run_id"] == "lowuse-2025-v1"
    assert s["proforma_run_id"].startswith("proforma-lowuse-2025-v1-v")
    assert [r["mode"] for r in s["rows"]] == MODES
    for r in s["rows"]:
        assert r["unit_id"] == unit and len(r["project_wan"]) == 15
        parties = sum(
            Decimal(r[f"balance_{p}_wan"])
            for p in ("government", "operator", "owners", "collective")
        )
        assert abs(parties - Decimal(r["npv_wan"])) <= Decimal("0.02")
        assert r["best_far"] >= r["far"]  # never below the unit's target FAR


def test_all_units_one_mode_to_xlsx_and_csv(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "pf.xlsx"
    s = json.loads(
        run(
            "proforma",
            "--all",
            "--mode",
            "village_enterprise_coop",
            "--db",
            str(demo),
            "--out",
            str(out),
            "--json",
        ).stdout
    )
    n = s["summary"]["units"]
    assert n > 10 and len(s["rows"]) == n and "project_wan" not in s["rows"][0]
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["资金平衡", "逐年现金流", "敏感性"]
    assert book["资金平衡"].max_row == n + 1
    csv = tmp_path / "pf.csv"
    run(
        "proforma",
        "--all",
        "--mode",
        "village_enterprise_coop",
        "--db",
        str(demo),
        "--out",
        str(csv),
    )
    frame = pd.read_csv(csv, dtype=str)
    assert frame.columns[:4].tolist() == ["unit_id", "mode", "far", "npv_wan"]
    assert len(frame) == n


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["--all-modes"], "UNIT_ID|--all"),
        (["--all"], "--mode|--all-modes"),
        (["--all", "--mode", "palace"], "--mode"),
        (["U-none", "--all-modes"], "UNIT_ID"),
        (["--all", "--all-modes", "--run", "lowuse-1999-v9"], "--run"),
    ],
)
def test_bad_input_is_named_in_both_languages(demo: Path, args: list[str], where: str) -> None:
    r = run("proforma", *args, "--db", str(demo), "--json", check=False)
    assert r.returncode == 2
    err = json.loads(r.stdout)
    assert err["where"] == where and err["message_zh"] and err["message_en"]


def test_sqft_writes_urbansim_columns(tmp_path: Path) -> None:
    frame = parcels(200)
    src = tmp_path / "parcels.csv"
    frame.to_csv(src, index=False)
    out = tmp_path / "out.csv"
    s = json.loads(
        run(
            "proforma", "sqft", "--input", str(src), "--form", "office", "--out", str(out), "--json"
        ).stdout
    )
    got = pd.read_csv(out)
    assert got.columns.tolist() == ["parcel_id", "max_profit", "max_profit_far", "building_sqft"]
    want = sqft_proforma(frame.assign(parcel_id=frame["parcel_id"].astype(str)), "office")
    assert s["parcels_built"] == len(got) == len(want)
    pd.testing.assert_series_equal(got["max_profit"], want["max_profit"], check_names=False)


def test_sqft_bad_cell_is_named(tmp_path: Path) -> None:
    frame = parcels(5).astype({"max_far": object})
    frame.loc[3, "max_far"] = "tall"
    src = tmp_path / "parcels.csv"
    frame.to_csv(src, index=False)
    r = run(
        "proforma",
        "sqft",
        "--input",
        str(src),
        "--form",
        "office",
        "--out",
        str(tmp_path / "o.csv"),
        "--json",
        check=False,
    )
    assert r.returncode == 2
    err = json.loads(r.stdout)
    assert err["where"] == "parcels.csv:5:max_far"
    missing = run(
        "proforma", "sqft", "--input", str(src), "--form", "office", "--json", check=False
    )
    assert json.loads(missing.stdout)["where"] == "--out"
