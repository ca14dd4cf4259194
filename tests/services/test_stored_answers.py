"""What a page shows about a run is stored with it and read, not recomputed (issue #16 item 1).

On both backends: a run of the exchange-format store (huangyan-2022, 2024) stores its policy
measures, zone sums and the scores' numerators, denominators and benchmark groups
(revision 0019). :func:`explain_stored` and :func:`zones_stored` then answer with every
evaluation path made to fail, and give the numbers the computing paths (``explain`` and
``zone_rollup`` with the run id) give.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from indspace.core.engines import explain as explain_engine
from indspace.core.engines import mujun
from indspace.services import evaluation as ev
from indspace.services.importing import import_file
from indspace.store import Store, runs
from tests.cli.test_evaluate import H, exchange_files

T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


@pytest.fixture(params=["gpkg", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = str(tmp_path / "s.gpkg") if request.param == "gpkg" else request.getfixturevalue("pg_url")
    s = Store.create(url, overwrite=True)
    for kind, path in exchange_files(tmp_path).items():
        assert import_file(s, kind, path, report_dir=tmp_path / "reports").rejected == 0
    yield s
    s.close()


def forbid_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way into an evaluation raises: an answer that still comes is read."""

    def boom(*_: Any, **__: Any) -> Any:
        raise AssertionError("the evaluation was computed")

    for target, name in (
        (ev, "compute"),
        (ev, "evaluate_year"),
        (ev, "load_years"),
        (ev, "_previous"),
        (mujun, "evaluate"),
        (mujun, "evaluate_assembled"),
        (explain_engine, "next_grade"),
    ):
        monkeypatch.setattr(target, name, boom)


def plain(data: Any) -> Any:
    """JSON as the API sends it (a −0.0 relief and a 0.0 one are the same money)."""
    return json.loads(json.dumps(data, default=str).replace("-0.0,", "0.0,"))


def test_explain_and_zones_read_the_stored_run(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = ev.run_evaluation(store, 2024, "huangyan-2022", now=T0)
    run = runs.get_run(store, out.run["run_id"])
    assert run["derived_version"] == ev.DERIVED_VERSION
    computed = {code: ev.explain(store, code, run_id=run["run_id"]) for code in H}
    rollup = ev.zone_rollup(store, None, None, run_id=run["run_id"])

    forbid_evaluation(monkeypatch)
    for code in H:
        stored = ev.explain_stored(store, code, run)
        want, got = plain(computed[code]), plain(stored)
        want["population"] = (
            want["population"] if isinstance(want["population"], str) else None
        )  # the computing path gives NaN for a firm outside every population
        assert got == want, code
    pd.testing.assert_frame_equal(ev.zones_stored(store, run), rollup, check_dtype=False)
    assert ev.answer_run(store, 2024, "huangyan-2022")["run_id"] == run["run_id"]


def test_no_run_no_answer(store: Store) -> None:
    """The answers are read from a run: without one for the year they say evaluate first."""
    from indspace.core.errors import NotFoundError

    with pytest.raises(NotFoundError, match="评价批次"):
        ev.answer_run(store, 2024, "huangyan-2022")
