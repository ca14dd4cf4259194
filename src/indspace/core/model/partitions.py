"""The layout of partitioned GeoParquet (issue #20): ``<table>/district=<admin code>/`` +
:data:`PART_FILE`. A module of its own so that the readers of the layout (the pipeline's
workers) need not import the demo writer."""

from __future__ import annotations

PART_FILE = "part-0.parquet"
"""The one data file of each partition folder."""
