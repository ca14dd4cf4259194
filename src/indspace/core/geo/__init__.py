"""Geometry helpers of the pure core: coordinate conversions (GCJ-02 ↔ WGS 84) and CRS detection."""

from indspace.core.geo.crs_detect import (
    NINGBO,
    CrsDecision,
    Region,
    detect_crs,
    identify_epsg,
    to_crs,
)
from indspace.core.geo.gcj02 import gcj02_to_wgs84, gcj02_to_wgs84_geometry, wgs84_to_gcj02

__all__ = [
    "NINGBO",
    "CrsDecision",
    "Region",
    "detect_crs",
    "gcj02_to_wgs84",
    "gcj02_to_wgs84_geometry",
    "identify_epsg",
    "to_crs",
    "wgs84_to_gcj02",
]
