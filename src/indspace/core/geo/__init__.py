"""Geometry helpers of the pure core: coordinate conversions (GCJ-02 ↔ WGS 84)."""

from indspace.core.geo.gcj02 import gcj02_to_wgs84, gcj02_to_wgs84_geometry, wgs84_to_gcj02

__all__ = ["gcj02_to_wgs84", "gcj02_to_wgs84_geometry", "wgs84_to_gcj02"]
