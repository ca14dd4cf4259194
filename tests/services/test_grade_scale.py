"""A profile with its own grade classes evaluates end to end (issue #14, item 4).

The user's profile is the ningbo-demo text with five classes 一类 … 五类 instead of A–D and
rank quotas 0.25 / 0.50 / 0.70 / 0.95. Its cut-offs are those of A–D (0.25, 0.70, 0.95) with
one more at 0.50, so on the same rows and scores, class by class (r = rank, n = group size):

    r/n ≤ 0.25 → A  =  一类
    0.25 < r/n ≤ 0.50 → B  =  二类,   0.50 < r/n ≤ 0.70 → B  =  三类
    0.70 < r/n ≤ 0.95 → C  =  四类,   else D  =  五类 (and every vetoed firm)

The good classes are 一类, 二类 and 三类 (= A and B), ungraded firms follow 三类 (= B), the
policies of B are given to 二类 and 三类: so the policy money, the 地企双评 matrix on
parcels that pass every land check (a failed check lowers a parcel one class, and one class
of five is not one of four), the low-efficiency plan (units' project types and modes, the
outside-line firms' classes and D runs) must come out the same as under ningbo-demo, with the
class names changed. Nothing in the engines knows either set of names.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indspace.services import evaluation as ev
from indspace.services import lowuse
from indspace.store import Store

ON = date(2026, 6, 30)
AT = datetime(2026, 6, 30, 8, tzinfo=UTC)
FIVE = ("一类", "二类", "三类", "四类", "五类")
AS_ABCD = {"一类": "A", "二类": "B", "三类": "B", "四类": "C", "五类": "D"}
SCALE = """        scale:
          classes:
            - {code: 一类, label: 一类企业, label_en: class 1}
            - {code: 二类, label: 二类企业, label_en: class 2}
            - {code: 三类, label: 三类企业, label_en: class 3}
            - {code: 四类, label: 四类企业, label_en: class 4}
            - {code: 五类, label: 五类企业, label_en: class 5}
          good: [一类, 二类, 三类]
          ungraded_as: 三类
          source: 测试用五类分级 / five classes for a test
          confidence: I
"""


def five_class_profile(folder: Path) -> Path:
    """ningbo-demo as a user's file (id five-class) with the five classes above."""
    text = (
        resources.files("indspace.core.policy")
        .joinpath("profiles/ningbo-demo.yaml")
        .read_text(encoding="utf-8")
    )
    text = text.replace("id: ningbo-demo", "id: five-class")
    start = text.index("        scale:")
    end = text.index("        group_by: [district]\n", start)
    text = text[:start] + SCALE + text[end:]
    text = text.replace(
        "quotas: {A: 0.25, B: 0.70, C: 0.95}",
        "quotas: {一类: 0.25, 二类: 0.50, 三类: 0.70, 四类: 0.95}",
    )
    text = text.replace("good_grades: [A, B]", "good_grades: [一类, 二类, 三类]")
    lines = []
    for line in text.splitlines(keepends=True):
        m = re.search(r"\{grade: ([ABCD]),", line)
        if m is None:
            lines.append(line)
        elif m.group(1) == "B":  # B's policies: 二类 and 三类
            lines += [
                line.replace("{grade: B,", "{grade: 二类,"),
                line.replace("{grade: B,", "{grade: 三类,"),
            ]
        else:
            code = {"A": "一类", "C": "四类", "D": "五类"}[m.group(1)]
            lines.append(line.replace(f"{{grade: {m.group(1)},", f"{{grade: {code},"))
    path = folder / "five-class.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo(small_demo: Path) -> Store:
    return Store.open(str(small_demo))  # the module's own copy: the tests write runs


@pytest.fixture(scope="module")
def both(
    demo: Store, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ev.RunOutcome, ev.RunOutcome]:
    folder = tmp_path_factory.mktemp("profile")
    five = ev.run_evaluation(
        demo, 2025, str(five_class_profile(folder)), now=AT, method_on=ON, out=folder / "five.xlsx"
    )
    abcd = ev.run_evaluation(demo, 2025, "ningbo-demo", now=AT, method_on=ON)
    return five, abcd


def test_the_five_classes_grade_the_demo_like_a_to_d(
    both: tuple[ev.RunOutcome, ev.RunOutcome],
) -> None:
    five, abcd = both
    a = five.computation.results.set_index("credit_code")
    b = abcd.computation.results.set_index("credit_code")
    assert a.index.equals(b.index)
    pd.testing.assert_series_equal(a["score"], b["score"], check_exact=True)
    assert set(a["grade"].dropna()) == set(FIVE)  # every class is used
    for col in ("grade", "policy_grade"):
        mapped = a[col].map(AS_ABCD, na_action="ignore")
        assert mapped.fillna("—").tolist() == b[col].fillna("—").tolist(), col
    # by hand for one firm: share r/n in (0.25, 0.50] → 二类
    share = a["rank"] / a["group_size"]
    sel = a["status"].eq("graded") & (share > 0.25) & (share <= 0.50)
    assert sel.any() and a.loc[sel, "grade"].eq("二类").all()
    assert a.loc[a["status"].eq("vetoed"), "grade"].eq("五类").all()
    assert a.loc[a["status"].eq("ungraded"), "policy_grade"].eq("三类").all()
    summary = five.summary()
    assert set(summary["grades"]) == set(FIVE)  # stored as JSON with sorted keys
    assert sum(summary["grades"].values()) == int(a["grade"].notna().sum())
    assert five.out is not None and five.out.stat().st_size > 0  # the XLSX report


def test_policies_and_the_land_matrix_match(both: tuple[ev.RunOutcome, ev.RunOutcome]) -> None:
    five, abcd = both
    cols = ["credit_code", "measure_type", "amount"]
    pa = five.computation.policies
    pb = abcd.computation.policies
    key = ["credit_code", "measure_type", "label"]
    pd.testing.assert_frame_equal(
        pa.drop(columns="grade").sort_values(key, ignore_index=True)[cols],
        pb.drop(columns="grade").sort_values(key, ignore_index=True)[cols],
        check_exact=True,
    )
    # land grades: the benefit class lowered one class per failed land check — one class of
    # five is not one of four (二类 − 1 = 三类, still good; B − 1 = C), so only parcels that
    # pass every check map class for class
    da = five.computation.dual.parcels.set_index("parcel_id")
    db = abcd.computation.dual.parcels.set_index("parcel_id")
    assert set(da["land_grade"].dropna()) <= set(FIVE)
    clean = da["failed_checks"].eq("") & da["land_grade"].notna()
    assert clean.sum() > 0
    assert da.loc[clean, "land_grade"].map(AS_ABCD).tolist() == db.loc[clean, "land_grade"].tolist()
    ma, mb = five.computation.dual.matrix, abcd.computation.dual.matrix
    assert (
        ma["enterprise_grade"].map(AS_ABCD, na_action="ignore").fillna("—").tolist()
        == mb["enterprise_grade"].fillna("—").tolist()
    )
    on_clean = ma["parcel_id"].isin(da.index[clean]).to_numpy()
    assert ma.loc[on_clean, "action"].tolist() == mb.loc[on_clean, "action"].tolist()


def test_the_plan_on_the_run_matches(
    demo: Store, both: tuple[ev.RunOutcome, ev.RunOutcome]
) -> None:
    five, abcd = both
    pa = lowuse.plan(demo, evaluation_run_id=five.run["run_id"], now=AT)
    pb = lowuse.plan(demo, evaluation_run_id=abcd.run["run_id"], now=AT)
    ua, ub = pa.units, pb.units
    assert [f"grade_{c}" for c in FIVE] == [c for c in ua.columns if c.startswith("grade_")]
    for col in (
        "unit_id",
        "project_type",
        "mode",
        "mode_score",
        "d_share",
        "good_occupant_share",
        "weak_occupant_share",
    ):
        np.testing.assert_array_equal(ua[col].to_numpy(), ub[col].to_numpy(), err_msg=col)
    assert (ua["grade_二类"].fillna(0) + ua["grade_三类"].fillna(0)).tolist() == ub[
        "grade_B"
    ].fillna(0).tolist()
    # the reasons name the classes of each profile
    assert ua["mode_reasons"].str.contains("A/B类企业占").sum() == 0
    fa = pa.outside_firms.set_index("credit_code")
    fb = pb.outside_firms.set_index("credit_code")
    assert len(fa) > 0
    for col in ("outside_line_class", "outside_line_rule", "consecutive_d_years"):
        assert fa[col].tolist() == fb[col].tolist(), col
    assert (
        fa["grade"].map(AS_ABCD, na_action="ignore").fillna("—").tolist()
        == fb["grade"].fillna("—").tolist()
    )


def test_zones_and_explain_name_the_five_classes(
    demo: Store, both: tuple[ev.RunOutcome, ev.RunOutcome]
) -> None:
    five, abcd = both
    za = ev.zone_rollup(demo, None, None, ("district",), run_id=five.run["run_id"])
    zb = ev.zone_rollup(demo, None, None, ("district",), run_id=abcd.run["run_id"])
    assert [c for c in za.columns if c.startswith("n_")] == [f"n_{c}" for c in FIVE]
    assert (za["n_二类"] + za["n_三类"]).tolist() == zb["n_b"].tolist()
    for col in ("ab_land_share", "d_land_share", "tax_per_mu", "rank"):
        assert za[col].tolist() == zb[col].tolist(), col
    res = five.computation.results
    best = res.loc[res["status"].eq("graded") & res["grade"].eq("一类"), "credit_code"].iloc[0]
    assert (
        ev.explain(demo, best, run_id=five.run["run_id"])["next_grade"]["note"]
        == "已是一类企业 / already 一类"
    )
    third = res.loc[res["status"].eq("graded") & res["grade"].eq("三类"), "credit_code"].iloc[0]
    assert ev.explain(demo, third, run_id=five.run["run_id"])["next_grade"]["target"] == "二类"
