"""Deterministic synthetic demo city inside the real Ningbo (or Zhejiang) outlines.

>>> from indspace.demo import SIZES
>>> sorted(SIZES)
['city', 'province', 'small']
"""

from indspace.demo._plan import SIZES, ScaleSize
from indspace.demo.boundaries import (
    DEMO_PROFILE,
    PROJECT_CRS,
    PROJECT_EPSG,
    ningbo_districts,
    zhejiang_districts,
)
from indspace.demo.city import (
    ANOMALY_COLUMNS,
    DEFAULT_AS_OF,
    DEFAULT_SEED,
    DemoCity,
    build_city,
    concat_parts,
    iter_city_parts,
)

__all__ = [
    "ANOMALY_COLUMNS",
    "DEFAULT_AS_OF",
    "DEFAULT_SEED",
    "DEMO_PROFILE",
    "PROJECT_CRS",
    "PROJECT_EPSG",
    "SIZES",
    "DemoCity",
    "ScaleSize",
    "build_city",
    "concat_parts",
    "iter_city_parts",
    "ningbo_districts",
    "zhejiang_districts",
]
