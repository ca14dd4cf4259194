"""WebMercatorQuad tile arithmetic (OGC 17-083r4 / the XYZ scheme of web maps), pure numpy.

Coordinates are EPSG:3857 metres. The square world spans ``[-ORIGIN, ORIGIN]`` on both axes,
``ORIGIN = π × 6 378 137 m``; at zoom ``z`` it is cut into ``2^z × 2^z`` tiles of
``2·ORIGIN / 2^z`` metres, numbered from the top-left (x east, y south).

A vector tile has ``EXTENT = 4096`` integer units a side and carries features up to
``BUFFER = 64`` units beyond its edge (so polygon outlines do not show seams).

>>> tile_bounds(0, 0, 0) == (-ORIGIN, -ORIGIN, ORIGIN, ORIGIN)
True
>>> tile_bounds(1, 1, 0) == (0.0, 0.0, ORIGIN, ORIGIN)
True
"""

from __future__ import annotations

import math

import numpy as np

ORIGIN = math.pi * 6378137.0
"""Half the width of the WebMercatorQuad world, in metres (20 037 508.342 789 244 m)."""
EXTENT = 4096
"""Integer units per tile side in an encoded vector tile."""
BUFFER = 64
"""Tile units kept beyond each tile edge (64 / 4096 = 1/64 of the tile size)."""
MAX_ZOOM = 24
"""Deepest zoom level the arithmetic accepts (tile size ≈ 2.4 m)."""


def tile_size(z: int) -> float:
    """Side of a tile at zoom ``z``, in EPSG:3857 metres."""
    return 2.0 * ORIGIN / (1 << z)


def valid_tile(z: int, x: int, y: int) -> bool:
    """True when ``z/x/y`` names a tile of the quad (0 ≤ x, y < 2^z, 0 ≤ z ≤ MAX_ZOOM)."""
    if not 0 <= z <= MAX_ZOOM:
        return False
    n = 1 << z
    return 0 <= x < n and 0 <= y < n


def tile_bounds(z: int, x: int, y: int, buffer: float = 0.0) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` of tile ``z/x/y`` in EPSG:3857 metres, grown on every side
    by ``buffer`` tile units (``BUFFER`` for the area a tile's features may reach)."""
    s = tile_size(z)
    pad = s * buffer / EXTENT
    minx = -ORIGIN + x * s
    maxy = ORIGIN - y * s
    return (minx - pad, maxy - s - pad, minx + s + pad, maxy + pad)


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The tile ``(x, y)`` holding a WGS 84 point (degrees) at zoom ``z``."""
    n = 1 << z
    x = math.floor((lon + 180.0) / 360.0 * n)
    phi = math.radians(lat)
    y = math.floor((1.0 - math.asinh(math.tan(phi)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles_in_bounds(bounds: tuple[float, float, float, float], z: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """All tiles ``(xs, ys)`` at zoom ``z`` that touch an EPSG:3857 box (row-major order)."""
    minx, miny, maxx, maxy = bounds
    s = tile_size(z)
    n = 1 << z
    x0 = min(max(math.floor((minx + ORIGIN) / s), 0), n - 1)
    x1 = min(max(math.floor((maxx + ORIGIN) / s), 0), n - 1)
    y0 = min(max(math.floor((ORIGIN - maxy) / s), 0), n - 1)
    y1 = min(max(math.floor((ORIGIN - miny) / s), 0), n - 1)
    ys, xs = np.mgrid[y0:y1 + 1, x0:x1 + 1]
    return xs.ravel(), ys.ravel()


def to_tile_units(xy: np.ndarray, z: int, x: int, y: int) -> np.ndarray:
    """EPSG:3857 coordinates ``(n, 2)`` → tile units (x right, y down; 0…EXTENT in the tile)."""
    minx, _, _, maxy = tile_bounds(z, x, y)
    k = EXTENT / tile_size(z)
    out = np.empty_like(xy, dtype=np.float64)
    out[:, 0] = (xy[:, 0] - minx) * k
    out[:, 1] = (maxy - xy[:, 1]) * k
    return out
