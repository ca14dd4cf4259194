"""Golden tests of the rule defects of issue #14 (hand-worked), on both backends.

Grade history — the store holds the same figures for 2022, 2023 and 2024. In the 规上 group
of three (tax 30, 15 and 3 万元/亩 on 9 亩 each) the quota rule grades ranks 1, 2 and 3 as
1/3 ≤ 0.70 → B, 2/3 ≤ 0.70 → B, 3/3 > 0.95 → D, every year; so H3 is D three years running.
The profile charges D 0.30 元/kWh, and 0.40 元/kWh from the third D year in a row:

    H3: 9 000 000 kWh × 0.40 元/kWh = 3 600 000 元   (0.30 would give 2 700 000 元)

``evaluate`` and ``explain`` must both say 3 600 000 元.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from shapely.geometry import box, mapping

from indspace.services import controlline
from indspace.services import evaluation as ev
from indspace.services.importing import import_file
from indspace.store import Store
from tests.cli.test_evaluate import H
from tests.services.test_evaluation_runs import T0
from tests.services.test_policy_book import user_profile

SURCHARGES = """
      policies:
        - {grade: D, measure_type: electricity_surcharge, label: 差别化电价加价, amount: 0.3,
           unit: 元/kWh, basis: electricity_kwh}
        - {grade: D, measure_type: electricity_surcharge, label: 连续3年D类加价, amount: 0.4,
           unit: 元/kWh, basis: electricity_kwh, consecutive_years_min: 3}
"""


def _earlier_years(store: Store, folder: Path) -> None:
    """The 2024 indicator rows again as 2022 and 2023."""
    with (folder / "indicators.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    path = folder / "indicators_2022_2023.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for year in (2022, 2023):
            w.writerows({**r, "year": year} for r in rows)
    assert import_file(store, "indicators", path, report_dir=folder / "r").rejected == 0


def test_explain_and_evaluate_charge_the_same_three_years_d(
        store: Store, tmp_path: Path) -> None:
    path = user_profile(tmp_path)
    text = path.read_text(encoding="utf-8")
    marker = "    method:\n      <<: *huangyan\n"
    path.write_text(text.replace(marker, marker + SURCHARGES.lstrip("\n")), encoding="utf-8")
    _earlier_years(store, tmp_path)
    out = ev.run_evaluation(store, 2024, str(path), now=T0)
    pol = out.computation.policies.set_index("credit_code")
    assert pol.loc[H[2], "amount"] == 0.4 and pol.loc[H[2], "consecutive_years"] == 3
    assert pol.loc[H[2], "money_yuan"] == 3_600_000.0
    data = ev.explain(store, H[2], run_id=out.run["run_id"])
    (charge,) = data["policies"]
    assert charge["amount"] == 0.4 and charge["money_yuan"] == 3_600_000.0
    # the same through a year and a profile instead of a run
    again = ev.explain(store, H[2], 2024, str(path))
    assert again["policies"][0]["money_yuan"] == 3_600_000.0


def _zero_land_outside(store: Store, code: str) -> dict:  # type: ignore[type-arg]
    site = mapping(box(600000, 3300000, 600050, 3300050))   # no control line in this store
    return controlline.check_project(store, {"type": "zero_land_renovation",
                                             "industry_code": "3481", "credit_code": code,
                                             "geometry": site, "crs": "EPSG:4549"},
                                     profile="ningbo-demo")


def test_only_retained_firms_pass_zero_land_renovation_outside(store: Store) -> None:
    ev.run_evaluation(store, 2024, "huangyan-2022", now=T0)
    # H1: graded B in the 361 chain 高端装备 → relocate (H2: 361 firm graded ≥ B moves into
    # a park) → refused
    moving = _zero_land_outside(store, H[0])
    assert moving["status"] == "outside" and moving["firm_class"] == "relocate"
    assert not moving["allowed"] and "搬迁入园" in moving["reason"]
    # outside the chain, graded B, no veto, ordinary industrial land (100101) → retain
    store.update("enterprises", (H[0],), {"chain": None}, at=T0, actor="test", reason="t")
    ok = _zero_land_outside(store, H[0])
    assert ok["firm_class"] == "retain" and ok["allowed"]
    # H1 with a safety veto (安全环保风险大) → exit → refused, whatever its grade
    store.update("indicators", (H[0], 2024), {"safety_veto": True}, at=T0, actor="test",
                 reason="安全事故")
    refused = _zero_land_outside(store, H[0])
    assert refused["firm_class"] == "exit" and not refused["allowed"]
    assert "关停退出" in refused["reason"]
    # no firm given: its class is unknown, so no exception outside the line
    anon = _zero_land_outside(store, "")
    assert anon["firm_class"] is None and not anon["allowed"]




BONUS = """
      adjustments:
        bonus:
          - {item: high_tech_enterprise, label: 高新技术企业, points: 2}
          - {item: specialised_sme, label: 专精特新企业, points: 3}
        bonus_cap: 5
"""


def _designations(folder: Path, rows: list[list[str]]) -> Path:
    path = folder / "designations.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["credit_code", "designation", "valid_from", "valid_to"])
        w.writerows(rows)
    return path


def test_designations_import_checks_rows_and_earn_the_profiles_bonus(
        store: Store, tmp_path: Path) -> None:
    import numpy as np

    from indspace.demo._firms import credit_codes

    stranger = str(credit_codes("330212", 1, np.random.default_rng(7))[0])
    path = _designations(tmp_path, [
        [H[0], "高新技术企业", "2023-01-01", "2025-12-31"],      # valid on 2024-12-31
        [H[1], "专精特新", "2024-01-01", ""],                    # open-ended
        [H[2], "高新技术企业", "2020-01-01", "2023-12-31"],      # expired before 2024-12-31
        [stranger, "高新技术企业", "2023-01-01", "2025-12-31"],  # E114 unknown firm
        [H[3], "优秀企业", "2023-01-01", "2025-12-31"],          # E116 not a designation
        [H[3], "单项冠军", "2024-06-01", "2023-06-01"],          # E122 end before start
        [H[3], "链主", "", "2025-12-31"],                        # E101 start missing
    ])
    r = import_file(store, "designations", path, report_dir=tmp_path / "r")
    assert (r.accepted, r.rejected) == (3, 4)
    stored = store.read_frame("designations").sort_values("credit_code")
    assert set(stored["designation"]) == {"high_tech_enterprise", "specialised_sme"}
    report = (tmp_path / "r").glob("*.csv")
    codes = "".join(p.read_text(encoding="utf-8") for p in report)
    for code in ("E114", "E116", "E122", "E101"):
        assert code in codes

    profile = user_profile(tmp_path)
    text = profile.read_text(encoding="utf-8")
    marker = "    method:\n      <<: *huangyan\n"
    profile.write_text(text.replace(marker, marker + BONUS.lstrip("\n")), encoding="utf-8")
    out = ev.run_evaluation(store, 2024, str(profile), now=T0)
    res = out.computation.results.set_index("credit_code")
    # H1 高新 +2, H2 专精特新 +3, H3's 高新 ended 2023-12-31 → 0, H4 none
    assert res.loc[list(H), "bonus_points"].tolist() == [2.0, 3.0, 0.0, 0.0]
    points = out.computation.scores.groupby("credit_code")["points"].sum()
    assert res.loc[H[0], "score"] == pytest.approx(points[H[0]] + 2)
