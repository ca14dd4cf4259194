"""Ingest: read user files (Shapefile, GeoPackage, GeoJSON, CSV, Excel), recognise their
fields, validate them and report the result before anything reaches the store.

``readers`` turns a file into a :class:`~indspace.ingest.readers.RawTable` (raw header text,
raw values, source CRS, the encoding used and bilingual notes); CRS decisions live in the
pure core (:mod:`indspace.core.geo.crs_detect`).
"""
