"""Cold parcel tiles read the kept per-parcel attributes and never show stale ones (issue #16
item 1), on the GeoPackage (in-process encoder) and on PostGIS (one SQL statement).

``parcel_line_status`` holds each parcel's control-line status; a tile reads it while the
parcel's version and the lines' content version are the ones it was computed from, and
computes the status otherwise. The grade attributes are read from the latest runs' rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
import sqlalchemy as sa

from indspace.core.engines.controlline import overlay
from indspace.services.tiles import TileService
from indspace.store import Store, line_status, runs
from indspace.store import tiles as tile_sql
from tests.tiles.conftest import TILE

pytestmark = pytest.mark.xdist_group("small_demo")


@pytest.fixture(params=["gpkg", "postgis"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """A private small demo on each backend (the PostGIS one is shared by this module's
    tests, which each leave it consistent: kept rows refreshed at the end)."""
    if request.param == "gpkg":
        db: str | Path = request.getfixturevalue("gpkg_copy")
    else:
        db = request.getfixturevalue("pg_demo")
    with Store.open(db) as s:
        yield s


def statuses(data: bytes) -> dict[str, str]:
    """parcel_id → line_status of a decoded parcel tile."""
    feats = mapbox_vector_tile.decode(data)["parcels"]["features"] if data else []
    return {f["properties"]["parcel_id"]: f["properties"]["line_status"] for f in feats}


def engine_statuses(svc: TileService, ids: set[str]) -> dict[str, str]:
    """The overlay engine's status of these parcels against the current lines."""
    store = svc.store
    parcels = store.read_frame("parcels", columns=["parcel_id", "geometry"])
    parcels = parcels[parcels["parcel_id"].isin(ids)]
    lines = store.read_frame("control_lines", columns=["block_id", "geometry"])
    out = overlay(parcels, lines, tolerance_m=svc.tolerance_m)
    return dict(zip(out["parcel_id"], out["status"], strict=True))


def set_kept(store: Store, parcel_id: str, status: str) -> None:
    """Overwrite one kept row (to see whether a tile reads the table)."""
    t = store.table(line_status.TABLE)
    with store._write() as conn:
        n = conn.execute(
            sa.update(t).where(t.c.parcel_id == parcel_id).values(line_status=status)
        ).rowcount
    assert n == 1


def test_cold_tile_reads_kept_status_and_never_a_stale_one(store: Store) -> None:
    svc = TileService(store, use_cache=False, poll_interval=0)
    # the demo keeps the statuses for the current lines and the profile's tolerance
    assert line_status.kept(store) == (line_status.version(store), svc.tolerance_m)
    before = statuses(svc.build("parcels", *TILE))
    assert before == engine_statuses(svc, set(before))
    marked, edited = sorted(p for p, s in before.items() if s == "inside")[:2]

    # the tile reads the kept row: a row changed by hand shows (and only that parcel)
    set_kept(store, marked, "partial")
    set_kept(store, edited, "partial")
    read = statuses(svc.build("parcels", *TILE))
    assert read == {**before, marked: "partial", edited: "partial"}

    # an edited parcel's kept row is stale (its version moved): the tile computes it
    store.update(
        "parcels",
        edited,
        {"land_use_code": "100199"},
        at=datetime.now(UTC),
        actor="test",
        reason="kept line status test",
    )
    svc.poll()
    assert statuses(svc.build("parcels", *TILE)) == {**before, marked: "partial"}

    # a control-line edit: every kept row is stale; the cold tile shows the new statuses
    geom = store.read_frame("parcels", where={"parcel_id": marked}).geometry.iloc[0]
    lines = store.read_frame("control_lines", columns=["block_id", "geometry"])
    blocks = lines[shapely.intersects(np.asarray(lines.geometry.values), geom)]["block_id"]
    assert len(blocks)
    for b in blocks:
        store.retire(
            "control_lines",
            b,
            at=datetime.now(UTC) + timedelta(seconds=1),
            actor="test",
            reason="kept line status test",
        )
    svc.poll()
    changed = statuses(svc.build("parcels", *TILE))
    truth = engine_statuses(svc, set(changed))
    assert changed == truth  # nothing stale, the hand mark gone too
    assert truth[marked] == "outside"  # its blocks are gone
    assert line_status.kept(store) != (line_status.version(store), svc.tolerance_m)

    # refreshed: the kept rows are current again and the tile reads them
    assert svc.refresh_line_status()
    assert line_status.kept(store) == (line_status.version(store), svc.tolerance_m)
    assert statuses(svc.build("parcels", *TILE)) == truth
    set_kept(store, marked, "partial")
    assert statuses(svc.build("parcels", *TILE)) == {**truth, marked: "partial"}
    assert svc.refresh_line_status()  # leave the store consistent


def grades(data: bytes) -> dict[str, Any]:
    feats = mapbox_vector_tile.decode(data)["parcel_grades"]["features"] if data else []
    return {f["properties"]["parcel_id"]: f["properties"].get("grade") for f in feats}


def rows_of(store: Store, table: str, run_id: str) -> pd.DataFrame:
    t = store.table(table)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t).where(t.c.run_id == run_id).order_by(t.c.fid)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=[c.name for c in t.columns])
    return frame.drop(columns=["fid", "run_id"])


def test_new_run_changes_cold_grade_tiles(store: Store) -> None:
    svc = TileService(store, poll_interval=0)
    old = svc.tile("parcel_grades", *TILE)
    shown = grades(old)
    owners = store.read_frame("parcels", columns=["parcel_id", "owner_credit_code"])
    owners = owners[owners["parcel_id"].isin(shown)].set_index("parcel_id")
    # a firm of the tile whose parcels show a grade other than D
    pid = sorted(p for p, g in shown.items() if g in ("A", "B", "C"))[0]
    code = owners.loc[pid, "owner_credit_code"]
    assert ("parcel_grades", *TILE) in svc.cache  # type: ignore[operator]

    eval_run, _ = tile_sql.latest_runs(store)
    assert eval_run is not None
    run = runs.get_run(store, eval_run)
    results = rows_of(store, "evaluation_results", eval_run)
    results.loc[results["credit_code"] == code, "grade"] = "D"
    new = {k: v for k, v in run.items() if k not in ("fid", "run_id", "version", "state")}
    new.update(
        created_at=datetime.now(UTC),
        published_at=None,
        objection_deadline=None,
        parent_run_id=eval_run,
        note="tile test: corrected grade",
    )
    saved = runs.save_run(
        store,
        new,
        results,
        rows_of(store, "evaluation_scores", eval_run)[:0],
        rows_of(store, "parcel_evaluations", eval_run),
    )
    assert tile_sql.latest_runs(store)[0] == saved["run_id"]

    svc.poll()
    assert ("parcel_grades", *TILE) not in svc.cache  # type: ignore[operator]
    after = grades(svc.tile("parcel_grades", *TILE))  # built cold from the new run
    firm = set(owners.index[owners["owner_credit_code"] == code])
    assert after == {p: ("D" if p in firm else g) for p, g in shown.items()}
    assert after[pid] == "D" != shown[pid]


def test_server_service_keeps_missing_statuses_and_warms(store: Store) -> None:
    """The API's service (refresh=True) keeps the statuses when none are kept, in the
    background; until then tiles compute them (the same answer)."""
    with store._write() as conn:
        conn.execute(sa.delete(store.table(line_status.TABLE)))
    assert line_status.kept(store) is None
    plain = TileService(store, use_cache=False)
    computed = statuses(plain.build("parcels", *TILE))
    svc = TileService(store, use_cache=False, refresh=True, warm=True)
    svc.wait_background(timeout=300)
    assert line_status.kept(store) == (line_status.version(store), svc.tolerance_m)
    assert statuses(svc.build("parcels", *TILE)) == computed
    # PostgreSQL: the builds' connections are opened and their PROJ set up; GeoPackage:
    # transforms run in this process, nothing to warm
    warmed = tile_sql.warm_connections(store, 2)
    assert warmed == (2 if store.engine.dialect.name == "postgresql" else 0)


def kept_rows(store: Store) -> pd.DataFrame:
    """The kept line-status rows by parcel_id: the row's own fid, parcel version, status."""
    t = store.table(line_status.TABLE)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.parcel_id, t.c.fid, t.c.parcel_version,
                                      t.c.line_status)).all()
    return pd.DataFrame([tuple(r) for r in rows],
                        columns=["parcel_id", "fid", "parcel_version", "line_status"]
                        ).set_index("parcel_id").sort_index()


def test_refresh_after_parcel_edits_replaces_only_their_rows(store: Store) -> None:
    """Only parcels changed (the lines and tolerance are those of the kept rows): the refresh
    computes the parcels without a valid row, replaces their rows, drops a retired parcel's
    row and leaves every other row as it was (the same row, not rewritten)."""
    svc = TileService(store, use_cache=False, poll_interval=0)
    assert svc.refresh_line_status()
    before = kept_rows(store)
    in_tile = set(statuses(svc.build("parcels", *TILE)))   # left alone for the other tests
    inside = sorted(p for p in before.index[before["line_status"] == "inside"]
                    if p not in in_tile)
    moved, gone = inside[0], inside[1]
    geom = store.read_frame("parcels", where={"parcel_id": moved}).geometry.iloc[0]
    at = datetime.now(UTC)
    # 200 km east: away from every control-line block → outside
    store.update("parcels", moved, {"geometry": shapely.affinity.translate(geom, 200_000, 0)},
                 at=at, actor="test", reason="partial line status refresh test")
    store.retire("parcels", gone, at=at, actor="test", reason="partial line status refresh test")

    assert svc.refresh_line_status()
    after = kept_rows(store)
    assert after.loc[moved, "parcel_version"] == before.loc[moved, "parcel_version"] + 1
    assert after.loc[moved, "line_status"] == "outside" == engine_statuses(svc, {moved})[moved]
    assert after.loc[moved, "fid"] != before.loc[moved, "fid"]         # a new row
    assert gone not in after.index
    rest = before.drop(index=[moved, gone])
    pd.testing.assert_frame_equal(after.drop(index=[moved]), rest)    # same rows, same fids
    # every current parcel has a valid row again; a second refresh has nothing to do
    assert line_status.stale(store, line_status.version(store), svc.tolerance_m).empty
    assert svc.refresh_line_status()
    pd.testing.assert_frame_equal(kept_rows(store), after)
