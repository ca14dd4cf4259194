"""The city's annual run reads what earlier steps kept instead of recomputing it (issue #14).

On the small demo city, on both backends:

* the per-parcel building figures kept in the store (``parcel_building_figures``) equal the
  overlay of buildings on parcels to the last bit, and an import or an edit of buildings
  makes them be computed anew (never read stale);
* an evaluation run keeps its grade history; ``lowuse plan`` on that run reads the run's
  results, parcels and history and gives exactly the plan made by evaluating the year again;
  once the store's inputs differ from the run's, it evaluates again (same plan as before);
* a history year's grades kept by one run are read back by the next run with the same
  profile text, method date and inputs, and equal those evaluated anew;
* ``Inputs.digest`` is the same for the same inputs and changes with any value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from indspace.services import evaluation as ev
from indspace.services import land, lowuse
from indspace.services.importing import import_file
from indspace.store import Store, runs
from indspace.store.land_figures import read_building_figures, write_building_figures
from indspace.store.stamps import content_version

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ON = date(2026, 3, 1)
PLAN_FRAMES = ("parcels", "units", "outside_firms", "ledger")


@pytest.fixture
def store(demo_store: Store) -> Store:
    """A fresh copy of the small demo city on each store (the tests write runs into it)."""
    return demo_store


def _version(store: Store) -> str:
    return f"{land.FIGURES_METHOD}:{content_version(store, ('buildings', 'parcels'))}"


# ------------------------------------------------------------------ building figures
def test_kept_building_figures_equal_the_overlay_and_follow_imports(
    store: Store, tmp_path: Path
) -> None:
    overlay = land.store_overlay(store).stats(8.0)
    # the demo's own evaluation kept them: read back, not overlaid again
    assert read_building_figures(store, _version(store), 8.0) is not None
    kept = land.kept_building_stats(store, (8.0,))[8.0]
    pd.testing.assert_frame_equal(kept, overlay, check_exact=True)
    # another storey-height limit is computed once and kept beside the first
    assert read_building_figures(store, _version(store), 4.0) is None
    four = land.building_stats(store, 4.0)
    pd.testing.assert_frame_equal(four, land.store_overlay(store).stats(4.0), check_exact=True)
    assert read_building_figures(store, _version(store), 4.0) is not None

    # import one building again with three more floors (and no gfa_m2: floors count)
    buildings = store.read_frame("buildings")
    parcel = overlay.loc[overlay["floor_area_m2"] > 0, "parcel_id"].iloc[0]
    row = buildings[buildings["parcel_id"] == parcel].head(1).copy()
    row["floors"] = row["floors"] + 3
    row["height_m"] = row["floors"] * 4.0
    row["gfa_m2"] = np.nan
    before = _version(store)
    path = tmp_path / "buildings.gpkg"
    pyogrio.write_dataframe(
        gpd.GeoDataFrame(row, geometry="geometry", crs=buildings.crs),
        path,
        layer="buildings",
        driver="GPKG",
    )
    report = import_file(store, "buildings", path, report_dir=tmp_path / "reports")
    assert report.rejected == 0 and report.updated == 1
    assert _version(store) != before
    assert read_building_figures(store, _version(store), 8.0) is None  # not read stale
    after = land.kept_building_stats(store, (8.0,))[8.0]
    fresh = land.store_overlay(store).stats(8.0)
    pd.testing.assert_frame_equal(after, fresh, check_exact=True)
    changed = (
        after.set_index("parcel_id")["floor_area_m2"]
        != overlay.set_index("parcel_id")["floor_area_m2"]
    )
    assert parcel in set(changed[changed].index)
    # only the current version's figures stay in the store
    assert read_building_figures(store, before, 8.0) is None
    # figures computed from tables that changed meanwhile are not kept
    tables = ("buildings", "parcels")
    assert not write_building_figures(store, "x", {8.0: fresh}, tables=tables, content="0")
    assert read_building_figures(store, "x", 8.0) is None

    # an edit through the store changes the version too
    imported = _version(store)
    store.update(
        "buildings",
        row["building_id"].iloc[0],
        {"floors": 1},
        at=datetime.now(UTC),
        actor="test",
        reason="survey",
    )
    assert _version(store) != imported
    pd.testing.assert_frame_equal(
        land.kept_building_stats(store, (8.0,))[8.0],
        land.store_overlay(store).stats(8.0),
        check_exact=True,
    )


# ------------------------------------------------------------------ plan on a run
def _plans_equal(a: lowuse.Plan, b: lowuse.Plan) -> None:
    for name in PLAN_FRAMES:
        pd.testing.assert_frame_equal(
            getattr(a, name), getattr(b, name), check_exact=True, obj=name
        )
    assert a.run["summary_json"] == b.run["summary_json"]


def test_plan_on_a_run_reads_what_the_run_stored(store: Store) -> None:
    out = ev.run_evaluation(store, 2025, "ningbo-demo", now=AT, method_on=ON)
    assert not out.reused and out.run["history_years"] == 2
    run_row = runs.get_run(store, out.run["run_id"])
    profile = ev.run_profile(run_row)
    # the run kept its grade history, as computed
    kept = runs.read_history(store, run_row["run_id"])
    assert out.computation is not None and out.computation.history is not None
    pd.testing.assert_frame_equal(
        kept,
        out.computation.history[["credit_code", "year", "policy_grade"]].reset_index(drop=True),
        check_exact=True,
    )
    assert sorted(kept["year"].unique()) == [2023, 2024]

    stored = ev.stored_computation(store, run_row, profile)
    assert stored is not None  # the plan reads the run
    # nothing was written since the run: its data stamps say so, the inputs are not hashed
    # again and the occupancy records are not read — the kept land attribution stands for them
    assert run_row["inputs_version"] is not None
    kept_comp, kept_inputs = stored
    assert kept_inputs.occupancy.empty
    for name in ("links", "firms"):
        pd.testing.assert_frame_equal(
            getattr(kept_comp.attribution, name),
            getattr(out.computation.attribution, name).reset_index(drop=True),
            check_exact=True, obj=name)
    on_run = lowuse.plan(store, evaluation_run_id=run_row["run_id"], now=AT)
    again = lowuse.plan(store, 2025, profile=profile, method_on=ON, now=AT)  # evaluates
    _plans_equal(on_run, again)
    assert len(on_run.parcels) > 0 and len(on_run.units) > 0 and len(on_run.outside_firms) > 0

    # the store's inputs change after the run: the run no longer stands for them, the
    # plan on it evaluates the year again (as before runs kept their history)
    code = runs.read_results(store, run_row["run_id"])["credit_code"].iloc[0]
    tax = store.get("indicators", (code, 2025))["tax"]
    store.update(
        "indicators",
        (code, 2025),
        {"tax": tax + 1.0},
        at=datetime.now(UTC),
        actor="test",
        reason="correction",
    )
    assert ev.stored_computation(store, run_row, profile) is None
    _plans_equal(
        lowuse.plan(store, evaluation_run_id=run_row["run_id"], now=AT),
        lowuse.plan(store, 2025, profile=profile, method_on=ON, now=AT),
    )
    # corrected back: the stamps moved on, but the inputs hash again to the run's — the run
    # stands for them once more, found by reading and hashing them in full
    store.update("indicators", (code, 2025), {"tax": tax}, at=datetime.now(UTC),
                 actor="test", reason="correction undone")
    again_stored = ev.stored_computation(store, run_row, profile)
    assert again_stored is not None and not again_stored[1].occupancy.empty


def test_run_without_kept_history_is_evaluated_again(store: Store) -> None:
    """A run stored before revision 0012 (``history_years`` empty) is evaluated again."""
    out = ev.run_evaluation(store, 2025, "ningbo-demo", now=AT, method_on=ON)
    old = {**runs.get_run(store, out.run["run_id"]), "history_years": None}
    assert ev.stored_computation(store, old, ev.run_profile(old)) is None


# ------------------------------------------------------------------ history years
def test_history_years_are_read_back_from_an_earlier_run(store: Store) -> None:
    profile = ev.resolve_profile("ningbo-demo")
    first = ev.run_evaluation(store, 2025, profile, now=AT, method_on=ON)
    assert first.computation is not None
    years = [k[0] for k in first.computation.history_keys]
    assert years == [2023, 2024]
    loaded = ev.load_years(store, range(2023, 2026), required=(2025,), profile=profile, on=ON)
    for y, on, digest, holder in first.computation.history_keys:
        assert on == ev.method_date(y) and digest == loaded[y].digest()
        # the demo evaluates 2021–2025 oldest first; the demo run of the year after y was
        # the first to evaluate y's grades (from the same inputs and profile text) as
        # history: this run read them and keeps a pointer to that run
        demo_run = f"{y + 1}-ningbo-demo-v1"
        assert holder == demo_run
        found = runs.find_history(store, profile.content_hash, y, on, digest)
        assert found == demo_run
        # the kept grades equal the year evaluated anew, frame for frame
        fresh = ev.compute(loaded[y], profile.evaluation_method(on), dual=False).results
        want = fresh[["credit_code", "policy_grade"]].reset_index(drop=True)
        got = runs.read_history(store, found, y)[["credit_code", "policy_grade"]]
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    # the run's history reads back through the pointers as it was computed
    assert first.computation.history is not None
    pd.testing.assert_frame_equal(
        runs.read_history(store, first.run["run_id"]),
        first.computation.history[["credit_code", "year", "policy_grade"]],
        check_exact=True,
    )
    # the whole history read back equals the history evaluated anew
    rows = []
    for y in (2023, 2024):
        r = ev.compute(loaded[y], profile.evaluation_method(ev.method_date(y)), dual=False)
        rows.append(r.results[["credit_code", "policy_grade"]].assign(year=y))
    pd.testing.assert_frame_equal(
        ev.grade_history(store, profile, 2025, 2, inputs=loaded),
        pd.concat(rows, ignore_index=True),
        check_exact=True,
    )
    # another profile text does not find them
    assert (
        runs.find_history(store, "0" * 16, 2024, ev.method_date(2024), loaded[2024].digest())
        is None
    )


# ------------------------------------------------------------------ the inputs digest
def test_digest_is_stable_and_changes_with_any_value(store: Store) -> None:
    a, b = ev.load_inputs(store, 2025), ev.load_inputs(store, 2025)
    assert a.digest() == b.digest()
    base = a.digest()
    variants = {
        "a number": ("indicators", "tax", 0, lambda v: v + 1e-9),
        "a missing number": ("indicators", "tax", 1, lambda v: np.nan),
        "a text": ("firms", "name", 0, lambda v: v + " "),
        "a date": ("occupancy", "start", 0, lambda v: date(2000, 1, 2)),
        "a missing date": ("parcels", "right_start", 0, lambda v: None),
        "a building figure": ("building_stats", "floor_area_m2", 0, lambda v: v * 2),
    }
    seen = {base}
    for what, (name, col, i, change) in variants.items():
        inputs = ev.load_inputs(store, 2025)
        frame = getattr(inputs, name)
        frame.loc[frame.index[i], col] = change(frame[col].iloc[i])
        d = inputs.digest()
        assert d not in seen, what
        seen.add(d)


def test_text_columns_with_the_same_characters_differ() -> None:
    """Values are not run together: ["ab", "c"] ≠ ["a", "bc"]; None ≠ "" ≠ "None"."""

    def key(values: list[object]) -> list[bytes]:
        return ev.column_bytes(pd.Series(values, dtype=object))

    assert key(["ab", "c"]) != key(["a", "bc"])
    assert len({b"".join(key(v)) for v in ([None], [""], ["None"])}) == 3
    assert key(["x", None]) == key(["x", None])
    # dates by day number, missing distinct from any day
    assert key([date(2024, 1, 1)]) != key([date(2024, 1, 2)])
    assert key([date(2024, 1, 1), None]) != key([date(2024, 1, 1), date(1, 1, 1)])


def test_unchanged_inputs_find_the_run_without_computing(store: Store) -> None:
    """The same profile text and method date on input tables nobody wrote since: the run
    is found from the data stamps alone (nothing read or computed: no computation)."""
    first = ev.run_evaluation(store, 2025, "ningbo-demo", now=AT, method_on=ON)
    assert not first.reused and first.computation is not None
    again = ev.run_evaluation(store, 2025, "ningbo-demo", now=AT, method_on=ON)
    assert again.reused and again.computation is None
    assert again.run["run_id"] == first.run["run_id"]
    # writes to an input table move its stamp: the year is read and hashed again (a value
    # changed and changed back hashes alike, so the same run is found — after computing it)
    code = runs.read_results(store, first.run["run_id"])["credit_code"].iloc[0]
    tax = store.get("indicators", (code, 2025))["tax"]
    for value in (tax + 1.0, tax):
        store.update("indicators", (code, 2025), {"tax": value}, at=datetime.now(UTC),
                     actor="test", reason="corrected and corrected back")
    third = ev.run_evaluation(store, 2025, "ningbo-demo", now=AT, method_on=ON)
    assert third.reused and third.computation is not None
    assert third.run["run_id"] == first.run["run_id"]
