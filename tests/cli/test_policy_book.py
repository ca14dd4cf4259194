"""The policy book through the command line (issue #14): a user's YAML run survives edits
to its file, and data year 2024 runs under the method in force today (default profile)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import run
from tests.cli.test_evaluate import H, imported  # noqa: F401  (fixture)
from tests.services.test_policy_book import user_profile


def test_user_yaml_run_publish_object_rerun_ignore_later_edits(
        imported: Path, tmp_path: Path) -> None:  # noqa: F811
    db = str(imported)
    path = user_profile(tmp_path)
    s = json.loads(run("evaluate", "--year", "2024", "--profile", str(path), "--db", db,
                       "--method-date", "2023-01-01", "--json").stdout)
    assert s["run_id"] == "2024-my-city-v1"
    run("publish", s["run_id"], "--db", db)
    oid = run("object", s["run_id"], H[2], "--field", "tax", "--value", "1000", "--reason",
              "漏计税款", "--db", db).stdout.strip()
    user_profile(tmp_path, window=30, benchmark="1.0")          # edited after the run …
    out = json.loads(run("resolve", oid, "--accept", "--note", "核实", "--db", db).stdout)
    assert out == {"objection": "accepted", "run": "2024-my-city-v2"}
    path.unlink()                                               # … and deleted
    data = json.loads(run("explain", H[2], "--run", "2024-my-city-v2", "--db", db,
                          "--json").stdout)
    tax = next(b for b in data["breakdown"] if b["indicator"] == "tax_per_mu")
    # 1 000 万元 / 9 亩 = 111.11 万元/亩 against the run's 24.097 (not the edited 1.0):
    # 111.11 / 24.097 × 30 = 138.33 points, capped by nothing in this profile
    assert tax["benchmark"] == 24.097
    assert tax["points"] == pytest.approx(1000 / 9 / 24.097 * 30)
    assert data["method_date"] == "2023-01-01"
    runs = json.loads(run("runs", "--db", db, "--json").stdout)
    assert [(r["run_id"], r["method_date"]) for r in runs] == [
        ("2024-my-city-v1", "2023-01-01"), ("2024-my-city-v2", "2023-01-01")]
    # publishing the re-run uses the stored 3-day window, not the edited 30 days
    run("publish", "2024-my-city-v2", "--db", db)
    rerun = json.loads(run("runs", "--db", db, "--json").stdout)[-1]
    window = (datetime.fromisoformat(rerun["objection_deadline"])
              - datetime.fromisoformat(rerun["published_at"]))
    assert window == timedelta(days=3)


@pytest.mark.xdist_group("small_demo")
def test_data_year_2024_runs_under_the_method_in_force_today(small_demo: Path,
                                                            tmp_path: Path) -> None:
    db = tmp_path / "demo.gpkg"
    shutil.copy(small_demo, db)
    units = json.loads(run("lowuse", "units", "--year", "2024", "--db", str(db),
                           "--json").stdout)
    assert units["year"] == 2024 and units["units"] > 0
    s = json.loads(run("evaluate", "--year", "2024", "--db", str(db), "--json").stdout)
    assert s["run_id"].startswith("2024-") and sum(s["grades"].values()) > 1000
    # the method date 2024-12-31 (the old default) is before the unit rules took effect
    r = run("lowuse", "units", "--year", "2024", "--method-date", "2024-12-31", "--db",
            str(db), "--json", check=False)
    assert r.returncode == 2 and "no value in force on 2024-12-31" in r.stdout
