"""Runs, publication and objections on both backends (issue #5 item 7).

An accepted objection corrects the figure through the store's history (versioned, audited)
and produces a NEW run version whose parent is the objected run; the old run's results stay
exactly as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from indspace.core.errors import ConflictError, ValidationError
from indspace.services import evaluation as ev
from indspace.services.importing import import_file
from indspace.store import Store, runs
from tests.cli.test_evaluate import H, exchange_files

# after the import (which is stamped with the real clock): history only grows forwards
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


@pytest.fixture(params=["gpkg", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = str(tmp_path / "s.gpkg") if request.param == "gpkg" else \
        request.getfixturevalue("pg_url")
    s = Store.create(url, overwrite=True)
    for kind, path in exchange_files(tmp_path).items():
        r = import_file(s, kind, path, report_dir=tmp_path / "reports")
        assert r.rejected == 0
    yield s
    s.close()


def test_objection_creates_a_new_version_and_keeps_the_old_run(store: Store) -> None:
    first = ev.run_evaluation(store, 2024, "huangyan-2022", now=T0)
    assert first.run["version"] == 1
    old = runs.read_results(store, first.run["run_id"])
    with pytest.raises(ValidationError):          # not published yet
        ev.file_objection(store, first.run["run_id"], H[2], "tax", 300.0, "漏计税款", now=T0)
    pub = ev.publish(store, first.run["run_id"], now=T0)
    assert pub["state"] == "published"
    assert pub["objection_deadline"] == T0 + timedelta(days=3)   # huangyan: 3-day window
    late = T0 + timedelta(days=4)
    with pytest.raises(ValidationError, match=r"closed|结束"):
        ev.file_objection(store, first.run["run_id"], H[2], "tax", 300.0, "漏计", now=late)
    obj = ev.file_objection(store, first.run["run_id"], H[2], "tax", 1000.0,
                            "漏计一笔税款，附完税证明", now=T0 + timedelta(days=1))
    out = ev.resolve_objection(store, obj["objection_id"], accept=True, note="税务局核实",
                               now=T0 + timedelta(days=2))
    new = out["run"]
    assert new["run_id"] == "2024-huangyan-2022-v2" and new["version"] == 2
    assert runs.get_run(store, new["run_id"])["parent_run_id"] == first.run["run_id"]
    assert out["objection"]["state"] == "accepted"
    assert out["objection"]["resolved_run_id"] == new["run_id"]
    # the firm now pays 1 000 万元 on 9 亩 = 111.1 万元/亩 → 111.1 / 24.097 × 30 = 138.3 points
    # from tax alone (H1 scores 120.1 in all): first in its group, the others move down
    res = runs.read_results(store, new["run_id"]).set_index("credit_code")
    assert res.loc[H[2], "rank"] == 1 and res.loc[H[0], "rank"] == 2
    # the objected run is untouched
    again = runs.read_results(store, first.run["run_id"])
    assert again.equals(old)
    # the figure changed through history, with the audit trail
    hist = store.history("indicators", (H[2], 2024))
    assert list(hist["tax"]) == [27.0, 1000.0]
    actions = list(store.audit_log()["action"])
    for a in ("evaluate", "publish", "object", "accepted", "update"):
        assert a in actions


def test_rejected_objection_changes_nothing(store: Store) -> None:
    first = ev.run_evaluation(store, 2024, "huangyan-2022", now=T0)
    ev.publish(store, first.run["run_id"], now=T0)
    obj = ev.file_objection(store, first.run["run_id"], H[1], "revenue", 1.0, "试试",
                            now=T0 + timedelta(hours=1))
    out = ev.resolve_objection(store, obj["objection_id"], accept=False, note="无佐证",
                               now=T0 + timedelta(hours=2))
    assert out["run"] is None and out["objection"]["state"] == "rejected"
    assert [r for r in runs.list_runs(store)["run_id"]] == [first.run["run_id"]]
    with pytest.raises(ConflictError):         # already resolved
        ev.resolve_objection(store, obj["objection_id"], accept=True,
                             now=T0 + timedelta(hours=3))
    with pytest.raises(ValidationError):       # not a correctable figure
        ev.file_objection(store, first.run["run_id"], H[1], "grade", 1.0, "x",
                          now=T0 + timedelta(hours=1))
