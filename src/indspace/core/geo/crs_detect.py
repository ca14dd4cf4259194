"""Decide the coordinate reference system of incoming geometries, and transform them.

Land offices hand over data in CGCS2000 geographic coordinates (EPSG:4490) or in 3° Gauss–
Krüger coordinates with the zone number in the easting (EPSG:4513–4533) or without it
(EPSG:4534–4554). Files often carry no CRS, or a wrong one, and survey software writes the
pair in X/Y (northing first) order. The rules follow shared/domain/reference-data.md §3:

1. A CRS the user gives (``--crs``) wins.
2. A CRS declared by the file is used unless the coordinates contradict it (declared
   EPSG:4490 but values are metres; declared EPSG:4549 but eastings are ≥ 10⁷ …); then the
   system is detected from the coordinates and the reason says so.
3. Detection uses the bounds of all non-empty geometries:

   * values within ±180 / ±90 are geographic → EPSG:4490 (they may be GCJ-02 or BD-09; the
     reason asks for the source);
   * a 7-digit value (about 3.19–3.39 × 10⁶ in Ningbo) is the northing; when it comes first
     the pair is in survey X/Y order and is swapped;
   * an easting ≥ 10⁷ carries the zone number: zone = ⌊E / 10⁶⌋ → EPSG 4488 + zone for the
     3° zones 25–45 (6° zones 13–23, legacy, → EPSG 4478 + zone);
   * a 6-digit easting has no zone number: of the central meridians covering the
     deployment :class:`Region`, the one that puts the data inside the region is chosen
     (Ningbo: E > 500 000 → EPSG:4549, E < 500 000 → EPSG:4550).

Nothing here reads files: callers pass shapely geometries (and the EPSG code a reader found
in a ``.prj`` or embedded CRS, see :func:`identify_epsg`).

Examples
--------
>>> import shapely
>>> d = detect_crs(np.array([shapely.Point(3306712.0, 649758.0)]))
>>> d.epsg, d.source, d.swapped_axes
(4549, 'detected', True)
>>> p = to_crs(np.array([shapely.Point(3306712.0, 649758.0)]), d, 4549)[0]
>>> round(p.x), round(p.y)
(649758, 3306712)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from indspace.core.errors import ValidationError

__all__ = ["NINGBO", "CrsDecision", "Region", "detect_crs", "identify_epsg", "to_crs"]

_GEOGRAPHIC_EPSG = 4490
"""CGCS2000 geographic 2D."""

Status = Literal["ok", "swapped", "contradicts"]


@dataclass(frozen=True)
class Region:
    """The lon/lat box a deployment expects its data in (degrees, CGCS2000).

    Used to pick the central meridian of 6-digit (zone-less) Gauss–Krüger eastings, to
    tell the order of geographic pairs when both values are below 90, and to warn when
    data fall outside the expected area.

    Parameters
    ----------
    name_zh, name_en : str
        Name used in messages.
    lon_min, lon_max : float
        Longitude range in degrees east (within 72–136.5, so that every 3° zone is one of
        the Chinese zones 25–45).
    lat_min, lat_max : float
        Latitude range in degrees north.
    """

    name_zh: str
    name_en: str
    lon_min: float
    lon_max: float
    lat_min: float
    lat_max: float

    def __post_init__(self) -> None:
        if not (72.0 <= self.lon_min < self.lon_max < 136.5):
            raise ValueError("Region longitudes must satisfy 72 <= lon_min < lon_max < 136.5")
        if not (0.0 <= self.lat_min < self.lat_max <= 56.0):
            raise ValueError("Region latitudes must satisfy 0 <= lat_min < lat_max <= 56")

    @property
    def zones(self) -> tuple[int, ...]:
        """3° Gauss–Krüger zone numbers covering the box, n = ⌊(lon + 1.5) / 3⌋."""
        first = math.floor((self.lon_min + 1.5) / 3.0)
        last = math.floor((self.lon_max + 1.5) / 3.0)
        return tuple(range(first, last + 1))

    @property
    def plain_epsgs(self) -> tuple[int, ...]:
        """EPSG codes of the zone-less 3° CRSs (false easting 500 000 m) covering the box."""
        return tuple(4534 + (3 * z - 75) // 3 for z in self.zones)

    @property
    def zone_epsgs(self) -> tuple[int, ...]:
        """EPSG codes of the zone-prefixed 3° CRSs covering the box."""
        return tuple(4488 + z for z in self.zones)

    def distance_deg(self, lon: float, lat: float) -> float:
        """How far (degrees, max of lon and lat offsets) a point lies outside the box."""
        dlon = max(self.lon_min - lon, 0.0, lon - self.lon_max)
        dlat = max(self.lat_min - lat, 0.0, lat - self.lat_max)
        return max(dlon, dlat)


NINGBO = Region("宁波", "Ningbo", lon_min=120.9, lon_max=122.3, lat_min=28.85, lat_max=30.5)
"""Ningbo: about 120.9–122.3°E, 28.85–30.5°N (reference-data §3), zones 40 and 41."""

_REGION_MARGIN_DEG = 0.5
"""Data whose centre lies farther than this outside the region get a warning in the reason."""


@dataclass(frozen=True)
class CrsDecision:
    """Which CRS the coordinates are in, why, and whether x/y must be swapped first.

    Attributes
    ----------
    epsg : int
        EPSG code of the source coordinates (after the optional swap).
    source : {"declared", "detected", "given"}
        Declared by the file, detected from the coordinates, or given by the user.
    swapped_axes : bool
        True when the stored pair is (northing, easting) or (lat, lon) and must be swapped
        before transforming (:func:`to_crs` does it).
    reason_zh, reason_en : str
        Explanation for the import report.
    """

    epsg: int
    source: Literal["declared", "detected", "given"]
    swapped_axes: bool
    reason_zh: str
    reason_en: str


# --------------------------------------------------------------------------- CRS helpers


@lru_cache(maxsize=64)
def _crs(epsg: int) -> CRS:
    return CRS.from_epsg(epsg)


@lru_cache(maxsize=64)
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(_crs(src), _crs(dst), always_xy=True)


def _valid_epsg(epsg: object) -> CRS | None:
    if isinstance(epsg, bool) or not isinstance(epsg, int | np.integer):
        return None
    try:
        return _crs(int(epsg))
    except (CRSError, ValueError, OverflowError, TypeError):
        return None


def _false_easting(crs: CRS) -> float | None:
    """False easting (m) of a Transverse Mercator CRS, None for any other projection."""
    op = crs.coordinate_operation
    if op is None or "transverse mercator" not in op.method_name.lower():
        return None
    for p in op.params:
        if p.name.lower() == "false easting":
            return float(p.value)
    return None


def identify_epsg(crs: object) -> int | None:
    """EPSG code of a CRS given as WKT/PROJ text, a ``pyproj.CRS`` or an int; else None.

    ESRI ``.prj`` text (``CGCS2000_3_Degree_GK_CM_120E`` …) is matched by pyproj. When
    pyproj finds no code, a CGCS2000 Transverse Mercator with scale 1, latitude of origin
    0 and false northing 0 is recognised from its parameters: false easting 500 000 m →
    EPSG 4534 + (CM − 75)/3, false easting zone × 10⁶ + 500 000 → EPSG 4488 + zone.
    A geographic CRS equal to WGS 84 or CGCS2000 up to axis order (``OGC:CRS84``, used
    by GeoJSON) gives 4326 or 4490.

    Parameters
    ----------
    crs : object
        Anything ``pyproj.CRS`` accepts, or None.

    Returns
    -------
    int or None
        The EPSG code, or None when absent or not identifiable.

    Examples
    --------
    >>> identify_epsg("EPSG:4549"), identify_epsg("OGC:CRS84"), identify_epsg("not a crs")
    (4549, 4326, None)
    """
    if crs is None:
        return None
    try:
        c = crs if isinstance(crs, CRS) else CRS.from_user_input(crs)
    except (CRSError, TypeError, ValueError):
        return None
    try:
        code = c.to_epsg()
    except CRSError:  # pragma: no cover - defensive
        code = None
    if code is not None:
        return int(code)
    if c.is_geographic:  # e.g. OGC:CRS84, which is EPSG:4326 in lon/lat order
        for candidate in (4326, _GEOGRAPHIC_EPSG):
            if c.equals(_crs(candidate), ignore_axis_order=True):
                return candidate
        return None
    return _cgcs2000_gk_epsg(c)


def _cgcs2000_gk_epsg(c: CRS) -> int | None:
    if not c.is_projected or c.ellipsoid is None:
        return None
    ell = c.ellipsoid
    if abs(ell.semi_major_metre - 6378137.0) > 1e-3 or abs(ell.inverse_flattening
                                                              - 298.257222101) > 1e-6:
        return None
    op = c.coordinate_operation
    if op is None or "transverse mercator" not in op.method_name.lower():
        return None
    params = {p.name.lower(): float(p.value) for p in op.params}
    cm = params.get("longitude of natural origin")
    fe = params.get("false easting")
    if (cm is None or fe is None or params.get("scale factor at natural origin") != 1.0
            or params.get("latitude of natural origin", 0.0) != 0.0
            or params.get("false northing", 0.0) != 0.0):
        return None
    if cm % 3 != 0 or not 75 <= cm <= 135:
        return None
    if fe == 500000.0:
        return 4534 + int(cm - 75) // 3
    zone = int(fe // 1_000_000)
    if fe == zone * 1_000_000 + 500_000 and zone * 3 == cm and 25 <= zone <= 45:
        return 4488 + zone
    return None


# --------------------------------------------------------------------------- coordinates


@dataclass(frozen=True)
class _Bounds:
    xmin: float
    ymin: float
    xmax: float
    ymax: float

    def swapped(self) -> _Bounds:
        return _Bounds(self.ymin, self.xmin, self.ymax, self.xmax)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.xmin + self.xmax) / 2.0, (self.ymin + self.ymax) / 2.0

    def describe(self) -> str:
        return f"x {_num(self.xmin)}–{_num(self.xmax)}, y {_num(self.ymin)}–{_num(self.ymax)}"


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.6g}"


def _as_geometry_array(geoms: object) -> np.ndarray:
    arr = np.asarray(geoms, dtype=object).ravel()
    ok = np.asarray(shapely.is_geometry(arr), dtype=bool)
    if not ok.all():
        ok |= np.array([g is None for g in arr], dtype=bool)
    if not ok.all():
        bad = type(arr[~ok][0]).__name__
        raise TypeError(f"geoms must hold shapely geometries or None, got {bad}")
    return arr


_LINEAL_OR_POLYGONAL = (1, 2, 3, 5, 6)
"""shapely type ids of LineString, LinearRing, Polygon, MultiLineString, MultiPolygon."""


def _bounds(geoms: object) -> _Bounds | None:
    """Bounds of all non-empty geometries; None when there are none."""
    arr = _as_geometry_array(geoms)
    present = shapely.is_geometry(arr)
    arr = arr[present]
    arr = arr[~shapely.is_empty(arr)]
    if arr.size == 0:
        return None
    # Lines and polygons: the envelopes give the bounds, and a non-finite coordinate shows
    # as a non-finite envelope (±inf) or length (NaN, which envelopes skip) — no need to
    # list every vertex. Anything else (points, collections) is checked vertex by vertex.
    if np.isin(shapely.get_type_id(arr), _LINEAL_OR_POLYGONAL).all():
        env = shapely.bounds(arr)
        if np.isfinite(env).all() and np.isfinite(shapely.length(arr)).all():
            return _Bounds(float(env[:, 0].min()), float(env[:, 1].min()),
                           float(env[:, 2].max()), float(env[:, 3].max()))
    coords = shapely.get_coordinates(arr)
    if coords.size == 0:
        return None
    if not np.isfinite(coords).all():
        n_bad = int((~np.isfinite(coords)).any(axis=1).sum())
        raise ValidationError(
            f"有 {n_bad} 个坐标点不是有限数值（NaN 或无穷大），无法判断坐标系",
            f"{n_bad} coordinate(s) are not finite (NaN or infinity); cannot detect the CRS",
            hint_zh="请在 GIS 软件中修复或删除这些几何图形",
            hint_en="repair or delete these geometries in a GIS",
        )
    xmin, ymin = coords.min(axis=0)
    xmax, ymax = coords.max(axis=0)
    return _Bounds(float(xmin), float(ymin), float(xmax), float(ymax))


def _kinds(v: float) -> set[str]:
    """What a single coordinate value can be (Chinese data, northern hemisphere)."""
    k: set[str] = set()
    if abs(v) <= 180.0:
        k.add("lon")
    if abs(v) <= 90.0:
        k.add("lat")
    if 1e5 <= v < 1e6:
        k.add("e_plain")
    if 1e6 <= v < 1e7:
        k.add("n")
    if 1e7 <= v < 1e8:
        k.add("e_zone")
    return k


def _range_kinds(lo: float, hi: float) -> set[str]:
    k = _kinds(lo) & _kinds(hi)
    if "e_zone" in k and math.floor(lo / 1e6) != math.floor(hi / 1e6):
        k.discard("e_zone")
    return k


def _geographic_order(b: _Bounds, region: Region) -> bool | None:
    """None: not geographic; False: lon/lat order; True: lat/lon order (swap)."""
    xk, yk = _range_kinds(b.xmin, b.xmax), _range_kinds(b.ymin, b.ymax)
    normal = "lon" in xk and "lat" in yk
    swapped = "lat" in xk and "lon" in yk
    if normal and swapped:
        # both ≤ 90: the region decides, lon/lat order by default
        cx, cy = b.centre
        return region.distance_deg(cy, cx) < region.distance_deg(cx, cy)
    if normal:
        return False
    if swapped:
        return True
    return None


def _projected_order(b: _Bounds, easting_kind: str) -> bool | None:
    """None: not (easting, northing) in either order; False: E/N; True: N/E (swap)."""
    xk, yk = _range_kinds(b.xmin, b.xmax), _range_kinds(b.ymin, b.ymax)
    if easting_kind in xk and "n" in yk:
        return False
    if "n" in xk and easting_kind in yk:
        return True
    return None


def _implied_lonlat(epsg: int, b: _Bounds) -> tuple[float, float] | None:
    """Centre of the bounds in CGCS2000 degrees under ``epsg`` (x/y already in order)."""
    cx, cy = b.centre
    if _crs(epsg).is_geographic:
        return cx, cy
    lon, lat = _transformer(epsg, _GEOGRAPHIC_EPSG).transform(cx, cy)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    return float(lon), float(lat)


def _region_warning(epsg: int, b: _Bounds, region: Region) -> tuple[str, str]:
    pos = _implied_lonlat(epsg, b)
    if pos is None:
        return "", ""
    lon, lat = pos
    if region.distance_deg(lon, lat) <= _REGION_MARGIN_DEG:
        return "", ""
    return (f"注意：按 EPSG:{epsg}，数据中心位于 {lon:.3f}°E {lat:.3f}°N，"
            f"不在{region.name_zh}范围（{region.lon_min}–{region.lon_max}°E，"
            f"{region.lat_min}–{region.lat_max}°N）内，请核对坐标系。",
            f"Note: under EPSG:{epsg} the data centre is at {lon:.3f}°E {lat:.3f}°N, outside "
            f"{region.name_en} ({region.lon_min}–{region.lon_max}°E, "
            f"{region.lat_min}–{region.lat_max}°N); check the CRS.")


_GCJ_NOTE_ZH = ("如数据来自高德/腾讯地图（GCJ-02）或百度地图（BD-09），坐标会偏移数百米，"
                "请确认数据来源并先转换。")
_GCJ_NOTE_EN = ("If the data come from Amap/Tencent (GCJ-02) or Baidu (BD-09) they are offset "
                "by hundreds of metres: confirm the source and convert first.")
_SWAP_ZH = "第一个坐标是北坐标 X（测量坐标 X/Y 顺序），已交换为东坐标在前。"
_SWAP_EN = ("The first coordinate is the northing X (survey X/Y order); x and y are swapped "
            "to put the easting first.")
_SWAP_GEO_ZH = "第一个坐标是纬度（纬度在前），已交换为经度在前。"
_SWAP_GEO_EN = "The first coordinate is the latitude (lat/lon order); swapped to lon/lat."


# --------------------------------------------------------------------------- checking a CRS


def _check(epsg: int, b: _Bounds, region: Region) -> tuple[Status, str, str]:
    """Do the coordinates fit ``epsg``? Returns the status and, if not, why (zh, en)."""
    crs = _crs(epsg)
    if crs.is_geographic:
        order = _geographic_order(b, region)
        if order is None:
            return ("contradicts",
                    f"坐标（{b.describe()}）超出经纬度范围，像是以米为单位的投影坐标",
                    f"the coordinates ({b.describe()}) exceed the longitude/latitude range and "
                    "look like projected metres")
        return ("swapped" if order else "ok"), "", ""
    if _geographic_order(b, region) is not None:
        return ("contradicts",
                f"坐标（{b.describe()}）在经纬度范围内，像是经纬度而不是 EPSG:{epsg} 的投影坐标",
                f"the coordinates ({b.describe()}) look like longitude/latitude, not the "
                f"projected coordinates of EPSG:{epsg}")
    fe = _false_easting(crs) if crs.is_projected else None
    if fe is not None and fe >= 1e6:
        zone = int(fe // 1e6)
        order = _projected_order(b, "e_zone")
        if order is not None:
            east = b.swapped() if order else b
            if math.floor(east.xmin / 1e6) == zone:
                return ("swapped" if order else "ok"), "", ""
        return ("contradicts",
                f"坐标为 {b.describe()}，而 EPSG:{epsg} 的东坐标应为以带号 {zone} 开头的 8 位数",
                f"the coordinates are {b.describe()}, whereas EPSG:{epsg} eastings are 8-digit "
                f"values starting with the zone number {zone}")
    if fe is not None and fe < 1e6:
        order = _projected_order(b, "e_plain")
        if order is not None:
            return ("swapped" if order else "ok"), "", ""
        return ("contradicts",
                f"坐标为 {b.describe()}，而 EPSG:{epsg} 的东坐标应为不带带号的 6 位数",
                f"the coordinates are {b.describe()}, whereas EPSG:{epsg} eastings are 6-digit "
                "values without a zone number")
    # any other CRS: the corners must transform to finite positions near its area of use
    lonlat = _transformer(epsg, _GEOGRAPHIC_EPSG)
    xs = np.array([b.xmin, b.xmin, b.xmax, b.xmax])
    ys = np.array([b.ymin, b.ymax, b.ymin, b.ymax])
    lon, lat = lonlat.transform(xs, ys)
    aou = crs.area_of_use
    finite = bool(np.isfinite(lon).all() and np.isfinite(lat).all())
    inside = finite and (aou is None or (
        lon.min() >= aou.west - 2 and lon.max() <= aou.east + 2
        and lat.min() >= aou.south - 2 and lat.max() <= aou.north + 2))
    if inside:
        return "ok", "", ""
    return ("contradicts",
            f"坐标（{b.describe()}）不在 EPSG:{epsg} 的适用范围内",
            f"the coordinates ({b.describe()}) are outside the area of use of EPSG:{epsg}")


# --------------------------------------------------------------------------- detection


def _impossible(b: _Bounds, region: Region, why_zh: str = "", why_en: str = "",
                prefix_zh: str = "", prefix_en: str = "") -> ValidationError:
    codes = ", ".join(f"EPSG:{c}" for c in (_GEOGRAPHIC_EPSG, *region.plain_epsgs,
                                             *region.zone_epsgs))
    return ValidationError(
        f"{prefix_zh}无法从坐标判断坐标系：坐标范围 {b.describe()}"
        + (f"，{why_zh}" if why_zh
           else "，不符合经纬度、带带号或不带带号的高斯-克吕格坐标的取值范围"),
        f"{prefix_en}cannot tell the CRS from the coordinates: range {b.describe()}"
        + (f"; {why_en}" if why_en else "; it fits neither longitude/latitude nor "
           "Gauss–Krüger eastings/northings with or without a zone number"),
        hint_zh=(f"请确认数据的坐标系并用 --crs 指定，如 --crs EPSG:{region.plain_epsgs[0]}"
                 f"（{region.name_zh}常用：{codes}）"),
        hint_en=f"confirm the data's CRS and pass it with --crs, e.g. "
                f"--crs EPSG:{region.plain_epsgs[0]} "
                f"(common for {region.name_en}: {codes})",
    )


def _plain_central_meridian(east: _Bounds, region: Region) -> tuple[int, str, str]:
    """EPSG of zone-less eastings (x = easting): which central meridian of the region.

    A region lying between two central meridians (Ningbo: 120°E and 123°E) uses the
    reference rule E > 500 000 → western meridian, else eastern. Otherwise the meridian
    that puts the data centre nearest the region wins.
    """
    epsgs = region.plain_epsgs
    cms = [75 + 3 * (e - 4534) for e in epsgs]
    cx = (east.xmin + east.xmax) / 2.0
    if len(epsgs) == 1:
        return (epsgs[0], f"{region.name_zh}只在一个 3° 带内",
                f"{region.name_en} lies in one 3-degree zone")
    if len(epsgs) == 2 and cms[0] <= region.lon_min and region.lon_max <= cms[1]:
        epsg = epsgs[0] if cx > 500_000 else epsgs[1]
        return (epsg, f"按{region.name_zh}的规则 E > 500 000 → {cms[0]}°E、E < 500 000 → "
                f"{cms[1]}°E",
                f"by the {region.name_en} rule E > 500,000 → {cms[0]}°E, E < 500,000 → "
                f"{cms[1]}°E")
    scored = []
    for e in epsgs:
        pos = _implied_lonlat(e, east)
        scored.append((math.inf if pos is None else region.distance_deg(*pos), e))
    scored.sort()
    inside = [e for d, e in scored if d <= _REGION_MARGIN_DEG]
    if len(inside) > 1:
        codes = "、".join(f"EPSG:{e}" for e in inside)
        raise _impossible(east, region,
                          f"不带带号的东坐标在{region.name_zh}范围内有多种可能（{codes}）",
                          f"zone-less eastings are ambiguous in {region.name_en} ("
                          f"{codes.replace('、', ', ')})")
    return (scored[0][1], f"按{region.name_zh}范围选最近的中央子午线",
            f"the central meridian that puts the data nearest {region.name_en}")


def _detect(b: _Bounds, region: Region) -> tuple[int, bool, str, str]:
    """Detect (epsg, swapped, reason_zh, reason_en) from the bounds; raise if impossible."""
    geo = _geographic_order(b, region)
    if geo is not None:
        zh = ("坐标值在经度 ±180°、纬度 ±90° 以内，判定为 CGCS2000 经纬度 (EPSG:4490)。"
              + (_SWAP_GEO_ZH if geo else "") + _GCJ_NOTE_ZH)
        en = ("Coordinates lie within ±180° longitude / ±90° latitude: geographic CGCS2000 "
              "(EPSG:4490). " + (_SWAP_GEO_EN + " " if geo else "") + _GCJ_NOTE_EN)
        return _GEOGRAPHIC_EPSG, geo, zh, en

    zone_order = _projected_order(b, "e_zone")
    if zone_order is not None:
        east = b.swapped() if zone_order else b
        zone = math.floor(east.xmin / 1e6)
        nx = _num(east.ymin)
        swap_zh = (f"第一个坐标约 {nx}，是北坐标 X（测量坐标 X/Y 顺序），已交换为东坐标在前。"
                   if zone_order else "")
        swap_en = (f"The first coordinate (about {nx}) is the northing X (survey X/Y order); "
                   "swapped to put the easting first. " if zone_order else "")
        if 25 <= zone <= 45:
            epsg = 4488 + zone
            zh = (f"{swap_zh}东坐标 ≥ 10⁷，含带号 {zone}（中央子午线 {3 * zone}°E），"
                  f"判定为 CGCS2000 3° 高斯-克吕格 {zone} 带 (EPSG:{epsg})。")
            en = (f"{swap_en}Eastings ≥ 10⁷ carry the zone number {zone} (central meridian "
                  f"{3 * zone}°E): CGCS2000 3-degree Gauss–Krüger zone {zone} (EPSG:{epsg}).")
            return epsg, zone_order, zh, en
        if 13 <= zone <= 23:
            epsg = 4478 + zone
            cm = 6 * zone - 3
            zh = (f"{swap_zh}东坐标含带号 {zone}，属 6° 分带（旧资料，中央子午线 {cm}°E），"
                  f"判定为 CGCS2000 6° 高斯-克吕格 {zone} 带 (EPSG:{epsg})，请核对。")
            en = (f"{swap_en}Eastings carry the zone number {zone}, a legacy 6-degree zone "
                  f"(central meridian {cm}°E): CGCS2000 6-degree Gauss–Krüger zone {zone} "
                  f"(EPSG:{epsg}); please check.")
            return epsg, zone_order, zh, en
        raise _impossible(b, region, f"带号 {zone} 不是中国使用的 3° 带（25–45）或 6° 带（13–23）",
                          f"zone number {zone} is neither a Chinese 3-degree zone (25–45) nor "
                          "a 6-degree zone (13–23)")

    plain_order = _projected_order(b, "e_plain")
    if plain_order is not None:
        east = b.swapped() if plain_order else b
        epsg, rule_zh, rule_en = _plain_central_meridian(east, region)
        cm = 75 + 3 * (epsg - 4534)
        nx = _num(east.ymin)
        zh = ((f"第一个坐标约 {nx}，是北坐标 X（测量坐标 X/Y 顺序），已交换为东坐标在前。"
               if plain_order else "")
              + f"东坐标为不带带号的 6 位数（{_num(east.xmin)}–{_num(east.xmax)}），"
              f"{rule_zh}，中央子午线为 {cm}°E → CGCS2000 3° 高斯-克吕格 (EPSG:{epsg})。")
        en = ((f"The first coordinate (about {nx}) is the northing X (survey X/Y order); "
               "swapped to put the easting first. " if plain_order else "")
              + f"Eastings are 6-digit values without a zone number ({_num(east.xmin)}–"
              f"{_num(east.xmax)}); {rule_en}, central meridian {cm}°E → CGCS2000 3-degree "
              f"Gauss–Krüger (EPSG:{epsg}).")
        return epsg, plain_order, zh, en

    for lo, hi in ((b.xmin, b.xmax), (b.ymin, b.ymax)):
        if (1e7 <= lo < 1e8 and 1e7 <= hi < 1e8
                and math.floor(lo / 1e6) != math.floor(hi / 1e6)):
            z1, z2 = math.floor(lo / 1e6), math.floor(hi / 1e6)
            raise _impossible(b, region, f"数据跨越 {z1}–{z2} 带，一张表不能混用不同投影带",
                              f"the data span zones {z1}–{z2}; one table must not mix zones")
    if any(_kinds(lo) and _kinds(hi) and not _range_kinds(lo, hi)
           for lo, hi in ((b.xmin, b.xmax), (b.ymin, b.ymax))):
        raise _impossible(b, region, "同一列中混有不同量级的坐标（可能混用了多个坐标系或有异常点）",
                          "one axis mixes values of different magnitudes (several CRSs mixed, "
                          "or outlier points)")
    raise _impossible(b, region)


def detect_crs(geoms: np.ndarray, declared_epsg: int | None = None,
               given_epsg: int | None = None, *, region: Region = NINGBO) -> CrsDecision:
    """Decide the CRS of ``geoms`` from the user's choice, the file's declaration and the values.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely.Geometry or None
        Geometries in their source coordinates (a GeoSeries works too). None and empty
        geometries are ignored; the bounds of the rest are used.
    declared_epsg : int, optional
        EPSG code found in the file (``.prj``, embedded CRS); None when absent.
    given_epsg : int, optional
        EPSG code the user gave (``--crs``); it wins. If the coordinates look swapped for
        it, ``swapped_axes`` is set; if they contradict it, the reason says so.
    region : Region, default NINGBO
        Expected extent of the deployment (picks the central meridian of zone-less eastings).

    Returns
    -------
    CrsDecision

    Raises
    ------
    ValidationError
        The given EPSG code is unknown, there are no coordinates and nothing was declared
        or given, coordinates are not finite, or they fit no known range (mixed zones,
        outliers, local CAD coordinates …). The hint says to pass ``--crs EPSG:…``.
    """
    b = _bounds(geoms)

    if given_epsg is not None:
        if _valid_epsg(given_epsg) is None:
            raise ValidationError(
                f"指定的坐标系 EPSG:{given_epsg} 不存在", f"EPSG:{given_epsg} is not a known CRS",
                hint_zh=f"请检查 --crs 参数，如 --crs EPSG:{region.plain_epsgs[0]}",
                hint_en=f"check the --crs option, e.g. --crs EPSG:{region.plain_epsgs[0]}")
        given = int(given_epsg)
        zh = f"使用用户指定的坐标系 EPSG:{given}。"
        en = f"Using the CRS given by the user, EPSG:{given}."
        if b is None:
            return CrsDecision(given, "given", False, zh, en)
        status, why_zh, why_en = _check(given, b, region)
        if status == "swapped":
            swap_zh, swap_en = ((_SWAP_GEO_ZH, _SWAP_GEO_EN) if _crs(given).is_geographic
                                else (_SWAP_ZH, _SWAP_EN))
            zh, en = zh + swap_zh, en + " " + swap_en
        elif status == "contradicts":
            zh += f"警告：{why_zh}，请确认指定是否正确。"
            en += f" Warning: {why_en}; check that this is right."
        else:
            wz, we = _region_warning(given, b, region)
            zh, en = zh + wz, (en + " " + we).rstrip()
        return CrsDecision(given, "given", status == "swapped", zh, en)

    prefix_zh = prefix_en = ""
    if declared_epsg is not None:
        if _valid_epsg(declared_epsg) is None:
            prefix_zh = f"文件声明的坐标系 EPSG:{declared_epsg} 无法识别，改为按坐标判断。"
            prefix_en = (f"The file declares EPSG:{declared_epsg}, which is unknown; detecting "
                         "from the coordinates. ")
        else:
            declared = int(declared_epsg)
            zh = f"使用文件声明的坐标系 EPSG:{declared}。"
            en = f"Using the CRS declared by the file, EPSG:{declared}."
            if b is None:
                return CrsDecision(declared, "declared", False, zh + "（无坐标可核对）",
                                   en + " (no coordinates to check it against)")
            status, why_zh, why_en = _check(declared, b, region)
            if status != "contradicts":
                if status == "swapped":
                    swap_zh, swap_en = ((_SWAP_GEO_ZH, _SWAP_GEO_EN)
                                        if _crs(declared).is_geographic else (_SWAP_ZH, _SWAP_EN))
                    zh, en = zh + swap_zh, en + " " + swap_en
                wz, we = _region_warning(declared, b.swapped() if status == "swapped" else b,
                                         region)
                return CrsDecision(declared, "declared", status == "swapped", zh + wz,
                                   (en + " " + we).rstrip())
            prefix_zh = f"文件声明坐标系为 EPSG:{declared}，但{why_zh}，声明有误，改为按坐标判断。"
            prefix_en = (f"The file declares EPSG:{declared}, but {why_en}: the declaration is "
                         "wrong; detecting from the coordinates. ")

    if b is None:
        raise ValidationError(
            "没有可用的几何坐标，且文件未声明坐标系，无法确定坐标系",
            "there are no coordinates and the file declares no CRS; cannot determine the CRS",
            hint_zh=f"请用 --crs 指定坐标系，如 --crs EPSG:{region.plain_epsgs[0]}",
            hint_en=f"pass the CRS with --crs, e.g. --crs EPSG:{region.plain_epsgs[0]}")
    try:
        epsg, swapped, zh, en = _detect(b, region)
    except ValidationError as e:
        if prefix_zh:
            raise ValidationError(prefix_zh + e.message_zh, prefix_en + e.message_en,
                                  where=e.where, hint_zh=e.hint_zh, hint_en=e.hint_en) from None
        raise
    wz, we = _region_warning(epsg, b.swapped() if swapped else b, region)
    return CrsDecision(epsg, "detected", swapped, prefix_zh + zh + wz,
                       (prefix_en + en + " " + we).rstrip())


# --------------------------------------------------------------------------- transforming


def to_crs(geoms: np.ndarray, decision: CrsDecision, target_epsg: int) -> np.ndarray:
    """Transform geometries from the decided CRS to ``target_epsg`` (the store's CRS).

    x/y are swapped first when ``decision.swapped_axes``; the transformation always uses
    easting-first / longitude-first axis order (``always_xy``). All vertices go through
    one vectorised ``shapely.transform`` call; Z values are kept untouched.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely.Geometry or None
        Geometries in the source coordinates (a GeoSeries works too).
    decision : CrsDecision
        From :func:`detect_crs`.
    target_epsg : int
        EPSG code of the target CRS (the deployment's storage CRS).

    Returns
    -------
    numpy.ndarray of shapely.Geometry or None
        Same shape as the flattened input; None stays None, empties stay empty.

    Raises
    ------
    ValidationError
        The target EPSG is unknown, or some coordinates cannot be transformed (they come
        out non-finite: the source CRS is probably wrong).
    """
    arr = _as_geometry_array(geoms)
    if _valid_epsg(target_epsg) is None:
        raise ValidationError(f"目标坐标系 EPSG:{target_epsg} 不存在",
                              f"target EPSG:{target_epsg} is not a known CRS")
    if decision.epsg == target_epsg and not decision.swapped_axes:
        return arr.copy()
    transformer = None if decision.epsg == target_epsg else _transformer(decision.epsg,
                                                                         int(target_epsg))
    swap = decision.swapped_axes

    def _apply(coords: np.ndarray) -> np.ndarray:
        out = coords.copy()
        x, y = (coords[:, 1], coords[:, 0]) if swap else (coords[:, 0], coords[:, 1])
        if transformer is not None:
            x, y = transformer.transform(x, y)
        out[:, 0], out[:, 1] = x, y
        return out

    result = np.asarray(shapely.transform(arr, _apply, include_z=None), dtype=object)
    present = shapely.is_geometry(result) & ~shapely.is_empty(result)
    if present.any():
        bounds = shapely.bounds(result[present])
        bad = ~np.isfinite(bounds).all(axis=1)
        if bad.any():
            raise ValidationError(
                f"有 {int(bad.sum())} 个几何图形无法从 EPSG:{decision.epsg} 转换到 "
                f"EPSG:{target_epsg}（结果不是有限数值），源坐标系可能有误",
                f"{int(bad.sum())} geometries cannot be transformed from EPSG:{decision.epsg} "
                f"to EPSG:{target_epsg} (non-finite result); the source CRS is probably wrong",
                hint_zh="请核对坐标系，必要时用 --crs 指定",
                hint_en="check the CRS; pass --crs if needed")
    return result
