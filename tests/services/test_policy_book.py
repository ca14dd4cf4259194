"""One policy book (issue #14 item 3): a run keeps its profile's text and method date, and
every later step on the run reads that copy, whatever happens to the file — both backends.

The user's profile is the huangyan-2022 text under another id. Its two method versions
differ in the 规上 亩均税收 benchmark: 26.01 from 2021-01-01, 24.097 from 2022-01-01. Firm H1
pays 270 万元 on 9 亩 = 30 万元/亩, so its tax points are

    method date 2021-06-30:  30 / 26.01  × 30 = 34.602…
    method date 2023-01-01:  30 / 24.097 × 30 = 37.349…
"""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import pytest

from indspace.core.errors import PolicyError
from indspace.services import evaluation as ev
from indspace.store import Store, runs
from tests.cli.test_evaluate import H
from tests.services.test_evaluation_runs import T0


def user_profile(folder: Path, *, window: int = 3, benchmark: str = "24.097") -> Path:
    """The huangyan-2022 text as a user's own file (id my-city), optionally edited."""
    text = resources.files("indspace.core.policy").joinpath(
        "profiles/huangyan-2022.yaml").read_text(encoding="utf-8")
    text = text.replace("id: huangyan-2022", "id: my-city")
    text = text.replace("objection_window_days: 3", f"objection_window_days: {window}")
    text = text.replace("value: 24.097}", f"value: {benchmark}}}")
    path = folder / "my-city.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _tax_points(store: Store, run_id: str, code: str) -> float:
    s = runs.read_scores(store, run_id, code)
    return float(s.loc[s["indicator"] == "tax_per_mu", "points"].iloc[0])


def test_method_date_chooses_the_values_and_is_recorded(store: Store,
                                                        tmp_path: Path) -> None:
    path = str(user_profile(tmp_path))
    old = ev.run_evaluation(store, 2024, path, now=T0, method_on=date(2021, 6, 30))
    new = ev.run_evaluation(store, 2024, path, now=T0, method_on=date(2023, 1, 1))
    assert old.run["method_date"] == date(2021, 6, 30)
    assert _tax_points(store, old.run["run_id"], H[0]) == pytest.approx(30 / 26.01 * 30)
    assert _tax_points(store, new.run["run_id"], H[0]) == pytest.approx(30 / 24.097 * 30)
    # the same method date finds the same run again, and writes the same bytes
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    again = ev.run_evaluation(store, 2024, path, now=T0 + timedelta(days=9),
                              method_on=date(2021, 6, 30), out=a)
    ev.run_evaluation(store, 2024, path, now=T0 + timedelta(days=20),
                      method_on=date(2021, 6, 30), out=b)
    assert again.reused and again.run["run_id"] == old.run["run_id"]
    assert a.read_bytes() == b.read_bytes()
    # the default method date is the day of the run (T0 is 2026 or later → 2022 method)
    default = ev.run_evaluation(store, 2024, path, now=T0)
    assert default.run["method_date"] == ev.run_day(store, T0)
    assert _tax_points(store, default.run["run_id"], H[0]) == pytest.approx(30 / 24.097 * 30)


def test_user_profile_run_is_published_objected_and_rerun_from_its_own_copy(
        store: Store, tmp_path: Path) -> None:
    path = user_profile(tmp_path)
    first = ev.run_evaluation(store, 2024, str(path), now=T0)
    run_id = first.run["run_id"]
    assert run_id == "2024-my-city-v1"
    assert runs.get_run(store, run_id)["profile_text"] == path.read_text(encoding="utf-8")
    # the file is edited after the run: a 30-day window and a benchmark of 1.0
    user_profile(tmp_path, window=30, benchmark="1.0")
    pub = ev.publish(store, run_id, now=T0)
    assert pub["objection_deadline"] == T0 + timedelta(days=3)        # the run's 3 days
    obj = ev.file_objection(store, run_id, H[2], "tax", 1000.0, "漏计税款",
                            now=T0 + timedelta(days=1))
    path.unlink()                                                     # and then deleted
    out = ev.resolve_objection(store, obj["objection_id"], accept=True, note="核实",
                               now=T0 + timedelta(days=2))
    rerun = runs.get_run(store, out["run"]["run_id"])
    assert rerun["run_id"] == "2024-my-city-v2"
    assert rerun["profile_hash"] == first.run["profile_hash"]
    assert rerun["profile_text"] == first.run["profile_text"]
    assert rerun["method_date"] == first.run["method_date"]
    # H3 now pays 1 000 万元 on 9 亩 = 111.1 万元/亩: 111.1… / 24.097 × 30 (not / 1.0)
    assert _tax_points(store, rerun["run_id"], H[2]) == pytest.approx(
        1000 / 9 / 24.097 * 30)
    # later steps on the re-run read the stored copy too
    assert ev.publish(store, rerun["run_id"], now=T0 + timedelta(days=3))[
        "objection_deadline"] == T0 + timedelta(days=6)
    data = ev.explain(store, H[0], run_id=rerun["run_id"])
    tax = next(b for b in data["breakdown"] if b["indicator"] == "tax_per_mu")
    assert tax["benchmark"] == 24.097 and data["profile_hash"] == first.run["profile_hash"]
    zones = ev.zone_rollup(store, None, None, ("district",), run_id=rerun["run_id"])
    assert list(zones["zone"]) == ["330212"]


def test_old_run_without_text_needs_an_unchanged_bundled_profile() -> None:
    profile = ev.resolve_profile("huangyan-2022")
    run = {"run_id": "r", "profile_id": "huangyan-2022", "profile_text": None,
           "profile_hash": profile.content_hash}
    assert ev.run_profile(run) is profile
    with pytest.raises(PolicyError, match="changed"):
        ev.run_profile({**run, "profile_hash": "0" * 16})
