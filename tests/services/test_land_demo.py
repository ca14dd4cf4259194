"""The demo city's results do not depend on the buildings' parcel codes (issue #13).

The demo ships a third of its buildings without a parcel code and six with a wrong one. The
same city with every code restored (the parcel each building stands on) must give the very
same per-parcel building figures, 亩均 results, 地企双评 land grades, low-efficiency flags
and redevelopment units: the parcel comes from the geometry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from indspace.core.model.entities import ENTITIES
from indspace.demo import DemoCity, build_city
from indspace.services import evaluation as ev
from indspace.services.lowuse import context, delineate_units, identify_parcels
from indspace.store import Store

YEAR = 2025
PROFILE = "ningbo-demo"


def _store(path: Path, city: DemoCity) -> Store:
    store = Store.create(path, overwrite=True)
    store.write_frames(
        {t: getattr(city, t) for t in ENTITIES},
        valid_from=datetime(2025, 12, 31, tzinfo=UTC),
        actor="test",
        reason="demo",
    )
    return store


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Store]:
    city = build_city("small")
    codes = city.buildings["parcel_id"]
    assert 0.30 < codes.isna().mean() < 0.37  # the path is exercised
    folder = tmp_path_factory.mktemp("demo-codes")
    shipped = _store(folder / "shipped.gpkg", city)
    full = city.buildings.copy()
    full["parcel_id"] = full["building_id"].str.slice(0, 19)  # <parcel_id>-F001
    assert (full["parcel_id"] != codes).sum() > len(full) / 4
    restored = _store(
        folder / "restored.gpkg",
        DemoCity(
            **{
                **{name: getattr(city, name) for name in (*ENTITIES, "anomalies")},
                "buildings": full,
            }
        ),
    )
    return shipped, restored


def test_building_figures_do_not_depend_on_parcel_codes(stores: tuple[Store, Store]) -> None:
    a, b = (ev.load_inputs(s, YEAR, PROFILE) for s in stores)
    assert len(a.building_stats) > 100
    pd.testing.assert_frame_equal(a.building_stats, b.building_stats)
    assert a.digest() == b.digest()


def test_evaluation_and_lowuse_do_not_depend_on_parcel_codes(stores: tuple[Store, Store]) -> None:
    ctx = [context(s, YEAR, PROFILE) for s in stores]
    pd.testing.assert_frame_equal(ctx[0].comp.results, ctx[1].comp.results)
    pd.testing.assert_frame_equal(ctx[0].comp.dual.parcels, ctx[1].comp.dual.parcels)
    low = [identify_parcels(s, YEAR, PROFILE, c) for s, c in zip(stores, ctx, strict=True)]
    pd.testing.assert_frame_equal(low[0], low[1])
    assert low[0]["low_efficiency"].sum() > 0 and low[0]["idle"].sum() > 0
    units = [
        delineate_units(s, YEAR, profile=PROFILE, ctx=c, lowuse=lo)[1]
        for s, c, lo in zip(stores, ctx, low, strict=True)
    ]
    pd.testing.assert_frame_equal(units[0], units[1])
