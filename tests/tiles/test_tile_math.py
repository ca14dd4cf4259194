"""WebMercatorQuad arithmetic against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from indspace.core.geo.tiles import (
    ORIGIN,
    lonlat_to_tile,
    tile_bounds,
    tile_size,
    tiles_in_bounds,
    to_tile_units,
    valid_tile,
)


def test_origin_and_sizes() -> None:
    # ORIGIN = π × 6 378 137 = 3.141592653589793 × 6 378 137 = 20 037 508.342 789 244 m
    assert abs(ORIGIN - 20037508.342789244) < 1e-6
    # z0: one tile, the whole world, 2 × ORIGIN = 40 075 016.685 578 49 m wide
    assert tile_size(0) == pytest.approx(40075016.68557849, abs=1e-6)
    # z14: 40 075 016.685 578 49 / 16 384 = 2 445.984 905 125 m
    assert tile_size(14) == pytest.approx(2445.984905125, abs=1e-6)


def test_bounds_by_hand() -> None:
    s = 10018754.171394622  # z2 tile: 40 075 016.685 578 49 / 4
    # z2/1/2: minx = -ORIGIN + 1 s = -10 018 754.17; maxy = ORIGIN - 2 s = 0;
    # miny = maxy - s = -10 018 754.17; maxx = minx + s = 0
    assert tile_bounds(2, 1, 2) == pytest.approx((-s, -s, 0.0, 0.0), abs=1e-6)
    # with the 64-unit buffer each side grows by s × 64 / 4096 = s / 64 = 156 543.03 m
    assert tile_bounds(2, 1, 2, 64) == pytest.approx(
        (-s - s / 64, -s - s / 64, s / 64, s / 64), abs=1e-6)


def test_lonlat_to_tile_by_hand() -> None:
    # x = floor((121.55 + 180) / 360 × 2^14) = floor(0.837 638 9 × 16 384) = floor(13723.877)
    # y: φ = 29.87°, asinh(tan φ) = ln(tan φ + sec φ) = ln(0.574 15 + 1.153 09) = 0.546 54;
    #    (1 - 0.546 54 / π) / 2 × 16 384 = (1 - 0.173 97) / 2 × 16 384 = 6 766.8 → 6 766
    assert lonlat_to_tile(121.55, 29.87, 14) == (13723, 6766)
    assert lonlat_to_tile(0.0, 0.0, 1) == (1, 1)
    assert lonlat_to_tile(-180.0, 85.0511287798066, 3) == (0, 0)


def test_valid_tile() -> None:
    assert valid_tile(0, 0, 0) and valid_tile(14, 16383, 0)
    assert not valid_tile(14, 16384, 0)     # x must be < 2^14 = 16 384
    assert not valid_tile(3, -1, 0) and not valid_tile(-1, 0, 0) and not valid_tile(25, 0, 0)


def test_tile_units_and_cover() -> None:
    minx, miny, maxx, maxy = tile_bounds(14, 13723, 6766)
    corners = np.array([[minx, maxy], [maxx, miny], [(minx + maxx) / 2, (miny + maxy) / 2]])
    # top-left → (0, 0), bottom-right → (4096, 4096), centre → (2048, 2048): y points down
    np.testing.assert_allclose(to_tile_units(corners, 14, 13723, 6766),
                               [[0, 0], [4096, 4096], [2048, 2048]], atol=1e-6)
    # a box just inside four z14 tiles touches exactly those four
    xs, ys = tiles_in_bounds((maxx - 1, miny - 1, maxx + 1, miny + 1), 14)
    assert sorted(zip(xs.tolist(), ys.tolist(), strict=True)) == [
        (13723, 6766), (13723, 6767), (13724, 6766), (13724, 6767)]
    assert math.isclose(tile_size(14) * 4, tile_size(12))
