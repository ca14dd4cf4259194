"""Loading several years at once (``load_years``) gives exactly the one-year inputs.

The evaluation's run (current year + the history years of consecutive-grade policies),
explain and zone roll-up (current + previous year) read the static tables once through
``load_years``; a run's identity (``inputs_hash`` = ``Inputs.digest()``) must not depend on
which loader read the inputs. Checked on the small demo city (5 years of indicators,
buildings, tenants), on both backends.
"""

from __future__ import annotations

import pandas as pd
import pytest

from indspace.core.errors import NotFoundError
from indspace.services import evaluation as ev
from indspace.store import Store

YEARS = range(2021, 2026)
FRAMES = ("firms", "indicators", "parcels", "occupancy", "building_stats")


@pytest.fixture
def store(demo_store: Store) -> Store:
    """A fresh copy of the small demo city on each store (the tests write runs into it)."""
    return demo_store


def test_load_years_equals_load_inputs_year_by_year(store: Store) -> None:
    loaded = ev.load_years(store, range(2019, 2028))
    assert list(loaded) == list(YEARS)            # years without indicators are left out
    for y in YEARS:
        one = ev.load_inputs(store, y)
        assert loaded[y].year == y
        assert loaded[y].digest() == one.digest(), y
        for name in FRAMES:
            pd.testing.assert_frame_equal(getattr(loaded[y], name), getattr(one, name),
                                          check_exact=True, obj=f"{y} {name}")
        assert (loaded[y].indicators["year"] == y).all()
    # the static tables are read once and shared, not copied per year
    assert loaded[2021].firms is loaded[2025].firms
    assert loaded[2021].building_stats is loaded[2025].building_stats


def test_shared_frames_are_not_changed_by_the_engines(store: Store) -> None:
    """Every year's Inputs shares the static frames: computing one year must leave them
    (and so the next year's digest) as loaded."""
    loaded = ev.load_years(store, YEARS)
    before = {y: i.digest() for y, i in loaded.items()}
    profile = ev.resolve_profile("ningbo-demo")
    for y, inputs in loaded.items():
        ev.compute(inputs, profile.evaluation_method(ev.method_date(y)))
    assert {y: i.digest() for y, i in loaded.items()} == before


def test_required_year_without_indicators(store: Store) -> None:
    with pytest.raises(NotFoundError, match=r"2030.*2021, 2022, 2023, 2024, 2025"):
        ev.load_years(store, (2029, 2030), required=(2030,))
    with pytest.raises(NotFoundError, match="2030"):
        ev.load_inputs(store, 2030)
    assert ev.load_years(store, (2029, 2030)) == {}


def test_history_from_preloaded_inputs_is_the_same(store: Store) -> None:
    """ningbo-demo has a D-for-3-consecutive-years surcharge: the 2025 run needs the policy
    grades of 2023 and 2024, computed from the inputs loaded with the current year."""
    profile = ev.resolve_profile("ningbo-demo")
    loaded = ev.load_years(store, range(2023, 2026))
    a = ev.grade_history(store, profile, 2025, 2, inputs=loaded)
    b = ev.grade_history(store, profile, 2025, 2)
    assert sorted(a["year"].unique()) == [2023, 2024]
    pd.testing.assert_frame_equal(a, b)
    out = ev.run_evaluation(store, 2025, "ningbo-demo")
    assert out.run["inputs_hash"] == ev.load_inputs(store, 2025).digest()
    assert ev.run_evaluation(store, 2025, "ningbo-demo").reused


def test_explain_and_rollup_use_the_previous_year(store: Store) -> None:
    profile = ev.resolve_profile("ningbo-demo")
    prev = ev.compute(ev.load_inputs(store, 2024), profile.evaluation_method(
        ev.method_date(2024)), dual=False).results.set_index("credit_code")
    code = str(prev.index[prev["status"].eq("graded")][0])
    data = ev.explain(store, code, 2025, "ningbo-demo")
    assert data["previous"]["year"] == 2024
    assert data["previous"]["score"] == pytest.approx(float(prev.at[code, "score"]))
    assert data["previous"]["grade"] == prev.at[code, "grade"]
    first = ev.explain(store, code, 2021, "ningbo-demo")      # no 2020 data
    assert first["previous"] is None
    rolled = ev.zone_rollup(store, 2025, "ningbo-demo", kinds=("district",))
    assert len(rolled) > 0 and rolled["tax_per_mu_yoy"].notna().all()   # 2024 was found
    assert ev.zone_rollup(store, 2021, "ningbo-demo", kinds=("district",))[
        "tax_per_mu_yoy"].isna().all()


def test_static_tables_kept_with_the_store_until_a_write(store: Store) -> None:
    """Two loads on one store share the static frames (read once); a write to a static
    table reads them again, and the new frames show the write."""
    from datetime import UTC, datetime

    first = ev.load_inputs(store, 2025)
    again = ev.load_inputs(store, 2024)
    assert again.parcels is first.parcels and again.firms is first.firms
    pid = str(first.parcels["parcel_id"].iloc[0])
    store.update("parcels", pid, {"area_m2": 12345.0}, at=datetime.now(UTC), actor="test",
                 reason="static inputs kept test")
    after = ev.load_inputs(store, 2025)
    assert after.parcels is not first.parcels
    area = after.parcels.set_index("parcel_id").loc[pid, "area_m2"]
    assert area == 12345.0 != first.parcels.set_index("parcel_id").loc[pid, "area_m2"]
    # a load without the occupancy serves from the kept tables, with an empty occupancy
    bare = ev.load_years(store, (2025,), occupancy=False)[2025]
    assert bare.parcels is after.parcels and bare.occupancy.empty


def test_history_year_from_its_own_stored_run(store: Store) -> None:
    """A history year (looked up at its year end) takes the grades of the year's own run
    (made the next spring under the same evaluation method): the very frame the engine
    would compute; other inputs find none."""
    from indspace.services.evaluation import resolve_profile

    prof = resolve_profile("ningbo-demo")
    year = 2024
    method = prof.evaluation_method(ev.method_date(year))
    loaded = ev.load_years(store, (year,), profile=prof)
    digest = ev.digest_years(loaded)[year]
    own = ev._own_grades(store, prof, year, method, digest)
    assert own is not None  # the demo's 2024 run, method date 2025-03-31
    computed = ev.compute(loaded[year], method, dual=False).results
    pd.testing.assert_frame_equal(
        own, computed[["credit_code", "policy_grade"]].reset_index(drop=True)
    )
    assert ev._own_grades(store, prof, year, method, "0" * 16) is None
