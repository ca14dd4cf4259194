"""Units used across indspace (shared/domain/reference-data.md §4).

Internal storage: area in m², money in 万元 (10⁴ yuan), energy in tce, electricity in kWh.
Users read land in 亩: 1 亩 = 2000/3 m² exactly; 1 公顷 = 15 亩 = 10 000 m².

>>> m2_to_mu(2000 / 3)
1.0
>>> mu_to_m2(15) == 10_000
True
>>> round(m2_to_mu(10_000), 12)
15.0
>>> yuan_to_wan(123_456.0)
12.3456
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

M2_PER_MU = 2000.0 / 3.0
"""Square metres in one 亩 (市亩), exact by definition: 1 亩 = 60 平方丈 = 2000/3 m²."""
M2_PER_HECTARE = 10_000.0
MU_PER_HECTARE = 15.0
YUAN_PER_WAN = 10_000.0

T = TypeVar("T", float, np.ndarray)


def m2_to_mu(area_m2: T) -> T:
    """Convert m² to 亩 (works on scalars and numpy/pandas arrays)."""
    return area_m2 * 3.0 / 2000.0


def mu_to_m2(area_mu: T) -> T:
    """Convert 亩 to m²."""
    return area_mu * 2000.0 / 3.0


def hectare_to_m2(area_ha: T) -> T:
    """Convert 公顷 to m²."""
    return area_ha * M2_PER_HECTARE


def yuan_to_wan(amount_yuan: T) -> T:
    """Convert 元 to 万元."""
    return amount_yuan / YUAN_PER_WAN
