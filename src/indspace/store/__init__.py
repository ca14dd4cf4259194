"""The indspace store: the only package that speaks SQL (GeoPackage or PostGIS)."""

from indspace.store.store import Store, resolve_url

__all__ = ["Store", "resolve_url"]
