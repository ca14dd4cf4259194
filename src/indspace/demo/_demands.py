"""Synthetic space-demand profiles (空间需求画像, issue #19) of the demo city [demo].

One demand per six firms of a district (the city scale: 5 000), from the district's own firms
(expansion and relocation needs) with their "361" chain. Two in ten ask for land, the rest
for floor space in standard factories. The windows, specifications and rent ceilings are
illustrative values of the right order for Ningbo industrial space in 2025 [U]:

* floor: 200–20 000 m² (log-normal, median 900 m²), the maximum 1.2–2 × the minimum;
  load 5/8/10 kN/m² or none, clear height 4/4.5/6 m or none, rent ceiling 18–45 元/m²/月;
* land: 3 000–80 000 m² (median 12 000 m²), the maximum 1.2–2 × the minimum, rent ceiling
  (the yearly land rent as a monthly figure) 2–6 元/m²/月;
* power 0.05–0.15 kVA per m² of the minimum area; pollution class 1 (70 %), 2 (25 %),
  3 (5 %); districts: the firm's own (60 %), its own and one other (20 %) or any (20 %);
  start 0–36 months after the as-of day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np

DEMANDS_PER_FIRM = 1 / 6
LAND_SHARE = 0.2


def make_demands(
    code: str,
    firm_codes: np.ndarray,
    firm_chain: np.ndarray,
    other_districts: list[str],
    as_of: date,
    rng: np.random.Generator,
) -> dict[str, object]:
    """Columns of the ``demands`` entity for district ``code`` (GB/T 2260)."""
    n = int(len(firm_codes) * DEMANDS_PER_FIRM)
    firm = (
        np.sort(rng.choice(len(firm_codes), size=n, replace=False)) if n else np.zeros(0, np.int64)
    )
    land = rng.random(n) < LAND_SHARE
    lo = np.where(
        land,
        np.clip(rng.lognormal(np.log(12_000), 0.7, n), 3_000, 80_000),
        np.clip(rng.lognormal(np.log(900), 0.7, n), 200, 20_000),
    ).round(-1)
    hi = (lo * rng.uniform(1.2, 2.0, n)).round(-1)
    load = np.where(land, np.nan, rng.choice([np.nan, 5.0, 8.0, 10.0], n, p=[0.4, 0.3, 0.25, 0.05]))
    height = np.where(land, np.nan, rng.choice([np.nan, 4.0, 4.5, 6.0], n, p=[0.4, 0.3, 0.2, 0.1]))
    power = (lo * rng.uniform(0.05, 0.15, n)).round(-1)
    pollution = rng.choice([1, 2, 3], n, p=[0.7, 0.25, 0.05])
    rent_fen = np.where(land, rng.integers(200, 601, n), rng.integers(1800, 4501, n))
    rent = np.array([Decimal(int(v)).scaleb(-2) for v in rent_fen], dtype=object)
    mode = rng.choice(3, n, p=[0.6, 0.2, 0.2])
    other = (
        rng.choice(np.array(other_districts, dtype=object), n)
        if other_districts
        else np.full(n, "", dtype=object)
    )
    districts = np.where(
        mode == 0, code, np.where(mode == 1, np.char.add(f"{code};", other.astype(str)), "")
    )
    start = np.datetime64(as_of, "D") + rng.integers(0, 1096, n).astype("timedelta64[D]")
    chain = firm_chain[firm] if len(firm_chain) else np.zeros(0, dtype=object)
    return {
        "demand_id": np.array([f"XQ-{code}-{i + 1:05d}" for i in range(n)], dtype=object),
        "credit_code": firm_codes[firm],
        "kind": np.where(land, "land", "floor").astype(object),
        "min_area_m2": lo,
        "max_area_m2": hi,
        "min_load_kn_m2": load,
        "min_clear_height_m": height,
        "min_power_kva": power,
        "pollution_class": pollution.astype("int64"),
        "chain": np.array([c if isinstance(c, str) and c else None for c in chain], dtype=object),
        "max_rent_yuan_m2_month": rent,
        "districts": np.array([d if d else None for d in districts], dtype=object),
        "start": start,
        "is_synthetic": np.ones(n, dtype=bool),
    }
