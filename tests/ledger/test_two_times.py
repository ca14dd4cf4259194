"""Valid time and recorded time of the control line (issue #14), on both stores, through the
services, the CLI, the API and OGC ``datetime``.

The site (EPSG:4549, district 330212, deployment time zone Asia/Shanghai = UTC+8):

* ``OLD`` — effective 2020-01-01, imported 2026-01-05 (a past effective date, recorded now);
* ``NEW`` — effective 2025-01-01, imported 2026-01-05;
* ``LATE`` — effective 2019-01-01 but imported only on 2026-04-01;
* an adjustment that adds the island ``<pid>-B1`` (50 m × 50 m), decided and recorded on
  2026-02-20, enforced on 2026-03-01;
* parcels ``P-OLD`` / ``P-NEW`` / ``P-LATE`` / ``P-ISLAND``, each inside one of them.

Expected blocks, worked by hand from the dates above (valid day, recorded):

=================  ===============  =================================
as of              recorded at      blocks
=================  ===============  =================================
2024-06-30         now              OLD, LATE          (NEW from 2025)
2024-12-31         now              OLD, LATE
2025-01-01         now              OLD, NEW, LATE
2025-01-01         2026-03-15       OLD, NEW           (LATE recorded 04-01)
2026-02-28         now              OLD, NEW, LATE     (island from 03-01)
2026-03-01         now              OLD, NEW, LATE, island
2026-03-01         2026-03-15       OLD, NEW, island   (LATE recorded 04-01)
2026-03-01         2026-01-10       OLD, NEW           (island recorded 02-20)
=================  ===============  =================================
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, box

from indspace.api.app import create_app
from indspace.services import controlline_ledger as svc
from indspace.services.controlline import parcel_overlay
from indspace.store import Store
from tests.cli.conftest import run

X, Y = 600_000.0, 3_300_000.0
D = "330212"
IMPORTED = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
LATE_IMPORT = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
DECIDED = datetime(2026, 2, 20, 2, 0, tzinfo=UTC)  # 10:00 Beijing time


def square(x0: float, size: float) -> MultiPolygon:
    return MultiPolygon([box(X + x0, Y, X + x0 + size, Y + size)])


def lines(ids: list[str], effective: list[date], xs: list[float]) -> gpd.GeoDataFrame:
    n = len(ids)
    return gpd.GeoDataFrame(
        {
            "block_id": ids,
            "name": ids,
            "district": [D] * n,
            "line_type": ["level1"] * n,
            "park_id": [None] * n,
            "effective_from": effective,
            "is_synthetic": [True] * n,
        },
        geometry=[square(x, 100) for x in xs],
        crs=4549,
    )


@pytest.fixture
def site(db_url: str) -> Iterator[tuple[Store, str]]:
    store = Store.create(db_url, overwrite=True)
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["P-OLD", "P-NEW", "P-LATE", "P-ISLAND"],
            "land_use_code": ["0701"] * 4,
            "area_m2": [400.0] * 4,
            "district": [D] * 4,
            "is_synthetic": [True] * 4,
        },
        geometry=[
            MultiPolygon([box(X + x + 10, Y + 10, X + x + 30, Y + 30)]) for x in (0, 300, 600, 1000)
        ],
        crs=4549,
    )
    store.write_frames(
        {
            "control_lines": lines(["OLD", "NEW"], [date(2020, 1, 1), date(2025, 1, 1)], [0, 300]),
            "parcels": parcels,
        },
        valid_from=IMPORTED,
    )
    pid = str(
        svc.propose(
            store,
            {"district": D, "reason": "补划", "documents": ["批复"], "in": square(1000, 50).wkt},
            actor="t",
            at=datetime(2026, 2, 1, tzinfo=UTC),
        )["proposal_id"]
    )
    svc.review(store, pid, actor="t", at=datetime(2026, 2, 10, tzinfo=UTC))
    svc.approve(store, pid, actor="t", at=datetime(2026, 2, 11, tzinfo=UTC))
    svc.enforce(store, pid, on=date(2026, 3, 1), actor="t", at=DECIDED)
    store.write_frame(
        "control_lines", lines(["LATE"], [date(2019, 1, 1)], [600]), valid_from=LATE_IMPORT
    )
    yield store, f"{pid}-B1"
    store.close()


CASES = [
    (date(2024, 6, 30), None, ["LATE", "OLD"]),
    (date(2024, 12, 31), None, ["LATE", "OLD"]),
    (date(2025, 1, 1), None, ["LATE", "NEW", "OLD"]),
    (date(2025, 1, 1), "2026-03-15", ["NEW", "OLD"]),
    (date(2026, 2, 28), None, ["LATE", "NEW", "OLD"]),
    (date(2026, 3, 1), None, ["ISLAND", "LATE", "NEW", "OLD"]),
    (date(2026, 3, 1), "2026-03-15", ["ISLAND", "NEW", "OLD"]),
    (date(2026, 3, 1), "2026-01-10", ["NEW", "OLD"]),
]


def named(blocks: list[str], island: str) -> list[str]:
    return sorted("ISLAND" if b == island else b for b in blocks)


def test_store_and_services_read_valid_and_recorded_time(site: tuple[Store, str]) -> None:
    store, island = site
    tz = store.tz
    for day, known, want in CASES:
        at = None if known is None else datetime.fromisoformat(known).replace(tzinfo=tz)
        got = svc.line_as_of(store, day, recorded_at=at)["block_id"].tolist()
        assert named(got, island) == want, (day, known)
        overlay = parcel_overlay(store, as_of=day, recorded_at=at)
        inside = overlay.loc[overlay["status"] == "inside", "parcel_id"].tolist()
        assert sorted(p.removeprefix("P-") for p in inside) == want, (day, known)
    # the enforcement is recorded on 02-20 but takes effect on 03-01
    new = store.get("control_lines", island)
    assert new["effective_from"] == date(2026, 3, 1) and new["valid_from"] == DECIDED
    with pytest.raises(TypeError, match="recorded_at"):
        store.read_frame("control_lines", as_of=DECIDED)  # an instant is not a day


def test_cli_as_of_and_recorded_at(site: tuple[Store, str]) -> None:
    store, island = site
    db = store.url.removeprefix("sqlite:///")
    for day, known, want in (CASES[1], CASES[2], CASES[3], CASES[4], CASES[5], CASES[7]):
        args = ["controlline", "overlay", "--db", db, "--as-of", day.isoformat(), "--json"]
        if known:
            args += ["--recorded-at", known]
        out = json.loads(run(*args).stdout)
        assert named(out["blocks"], island) == want, (day, known)
        assert out["status"]["inside"] == len(want)


def test_api_as_of_and_recorded_at(site: tuple[Store, str]) -> None:
    store, island = site
    with TestClient(create_app(store.url.removeprefix("sqlite:///"))) as client:
        for day, known, want in CASES:
            params = {"as_of": day.isoformat(), **({"recorded_at": known} if known else {})}
            r = client.get("/api/controlline/overlay", params=params)
            assert r.status_code == 200, r.text
            assert named(r.json()["blocks"], island) == want, (day, known)
        assert (
            client.get("/api/controlline/overlay", params={"recorded_at": "next week"}).status_code
            == 400
        )


def test_ogc_datetime_is_a_local_day(site: tuple[Store, str]) -> None:
    store, island = site
    url = "/ogc/collections/control_lines/items"
    with TestClient(create_app(store.url.removeprefix("sqlite:///"))) as client:

        def blocks(**params: str) -> list[str]:
            r = client.get(url, params={"limit": "100", **params})
            assert r.status_code == 200, r.text
            return named([f["properties"]["block_id"] for f in r.json()["features"]], island)

        for day, known, want in CASES:
            extra = {"recorded_at": known} if known else {}
            assert blocks(datetime=day.isoformat(), **extra) == want, (day, known)
        # 2026-02-28T17:00Z is 01:00 on 1 March in Beijing: the island is in force
        assert "ISLAND" in blocks(datetime="2026-02-28T17:00:00Z")
        assert "ISLAND" not in blocks(datetime="2026-02-28T15:59:59Z")  # 23:59:59 local
        assert client.get(url, params={"datetime": "2026-02-30"}).status_code == 400


def test_ledger_as_of_a_day_ends_at_local_midnight(db_url: str, tmp_path: Path) -> None:
    """A booking approved at 2026-02-28T23:30Z (07:30 on 1 March in Beijing) belongs to
    1 March: absent from the ledger as of 2026-02-28, present as of 2026-03-01."""
    store = Store.create(db_url, overwrite=True)
    try:
        store.write_frame(
            "control_lines", lines(["OLD"], [date(2020, 1, 1)], [0]), valid_from=IMPORTED
        )
        pid = str(
            svc.propose(
                store,
                {"district": D, "reason": "补划", "in": square(1000, 50).wkt},
                actor="t",
                at=datetime(2026, 2, 1, tzinfo=UTC),
            )["proposal_id"]
        )
        svc.review(store, pid, actor="t", at=datetime(2026, 2, 10, tzinfo=UTC))
        svc.approve(store, pid, actor="t", at=datetime(2026, 2, 28, 23, 30, tzinfo=UTC))
        # 50 m × 50 m = 2 500 m² booked in, balance +2 500
        assert svc.ledger(store, as_of=date(2026, 2, 28)).entries.empty
        assert svc.ledger(store, as_of=date(2026, 3, 1)).balances["balance_m2"].tolist() == [2500.0]
    finally:
        store.close()


def test_lines_imported_now_with_a_past_effective_date(db_url: str) -> None:
    """`indspace import control-lines` today of docs/examples/control-lines.csv (blocks
    effective 2022-06-30) and its parcels: every reading from 2022-06-30 on has the line;
    the store as it knew things on 2020-01-01 (before the import) has none."""
    examples = Path(__file__).parents[2] / "docs" / "examples"
    Store.create(db_url, overwrite=True).close()
    for kind, name in (("control-lines", "control-lines.csv"), ("parcels", "parcels.csv")):
        run("import", kind, str(examples / name), "--db", db_url, "--json")

    def reading(day: str, *extra: str) -> dict[str, object]:
        return dict(
            json.loads(
                run(
                    "controlline", "overlay", "--db", db_url, "--as-of", day, *extra, "--json"
                ).stdout
            )
        )

    assert reading("2022-06-29")["blocks"] == []
    for day in ("2022-06-30", "2024-06-30"):
        out = reading(day)
        assert out["blocks"] == ["YZ-001"] and out["status"] == {  # all 3 parcels in YZ-001
            "inside": 3,
            "partial": 0,
            "outside": 0,
        }, day
    assert reading("2024-06-30", "--recorded-at", "2020-01-01")["blocks"] == []
