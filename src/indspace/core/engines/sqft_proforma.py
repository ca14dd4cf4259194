"""UrbanSim's square-foot pro forma developer model, reproduced (issue #18 item 3).

This is an independent vectorised implementation of the model that UrbanSim ships as
``urbansim.developer.sqftproforma`` (UDST/urbansim, BSD-3), written from its documented
method so that ``indspace proforma sqft`` can be checked against the original package
(``tests/core/test_sqft_proforma_urbansim.py`` installs UrbanSim and compares):

- For each building *form* (a mix of uses), each parking configuration (surface, deck,
  underground) and each FAR of a fixed grid, a hypothetical building on a reference parcel
  gives the break-even cost per sqft: construction cost by height band for the mix, plus
  parking stalls × stall area × parking cost, divided by the built area, times the profit
  factor. Surface parking eats parcel area (more than 5 storeys, or no room left, is
  impossible); deck parking shares the bulk; underground parking adds area below.
- For each parcel, every FAR on the grid up to the zoning limit (``max_far`` and the FAR that
  ``max_height`` allows at the parcel coverage, each + 0.01 tolerance) is costed:
  profit = bulk × (1 − parking share) × efficiency × weighted rent ÷ cap rate
  − bulk × cost per sqft − land cost. The best FAR per parking configuration, then the best
  configuration, is the answer; only parcels with a positive profit are returned (UrbanSim's
  ``only_built=True``).

The numbers of :class:`SqftConfig` are UrbanSim's default configuration (US dollars per
square foot, feet) — a reference model's defaults, not policy values of any profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

USES = ("retail", "industrial", "office", "residential")
PARKING = ("deck", "surface", "underground")  # alphabetical: the order ties are broken in


def _default_forms() -> dict[str, dict[str, float]]:
    return {
        "retail": {"retail": 1.0},
        "industrial": {"industrial": 1.0},
        "office": {"office": 1.0},
        "residential": {"residential": 1.0},
        "mixedresidential": {"retail": 0.1, "residential": 0.9},
        "mixedoffice": {"office": 0.7, "residential": 0.3},
    }


@dataclass(frozen=True)
class SqftConfig:
    """UrbanSim ``SqFtProFormaConfig`` defaults (3.x)."""

    fars: tuple[float, ...] = (
        0.1,
        0.25,
        0.5,
        0.75,
        1.0,
        1.5,
        1.8,
        2.0,
        2.25,
        2.5,
        2.75,
        3.0,
        3.25,
        3.5,
        3.75,
        4.0,
        4.5,
        5.0,
        5.5,
        6.0,
        6.5,
        7.0,
        9.0,
        11.0,
    )
    reference_parcel_sqft: float = 10000.0
    forms: dict[str, dict[str, float]] = field(default_factory=_default_forms)
    profit_factor: float = 1.1
    building_efficiency: float = 0.7
    parcel_coverage: float = 0.8
    cap_rate: float = 0.05
    parking_rates: dict[str, float] = field(
        default_factory=lambda: {
            "retail": 2.0,
            "industrial": 0.6,
            "office": 1.0,
            "residential": 1.0,
        }
    )
    sqft_per_rate: float = 1000.0
    # construction cost per sqft by use, valid up to each height break (ft)
    costs: dict[str, tuple[float, ...]] = field(
        default_factory=lambda: {
            "retail": (160.0, 175.0, 200.0, 230.0),
            "industrial": (140.0, 175.0, 200.0, 230.0),
            "office": (160.0, 175.0, 200.0, 230.0),
            "residential": (170.0, 190.0, 210.0, 240.0),
        }
    )
    heights_for_costs: tuple[float, ...] = (15.0, 55.0, 120.0, np.inf)
    parking_sqft: dict[str, float] = field(
        default_factory=lambda: {"surface": 300.0, "deck": 250.0, "underground": 250.0}
    )
    parking_cost: dict[str, float] = field(
        default_factory=lambda: {"surface": 30.0, "deck": 90.0, "underground": 110.0}
    )
    height_per_story: float = 12.0
    max_surface_stories: float = 5.0
    # forms whose buildings stop at this FAR (UrbanSim: max_retail/industrial_height)
    max_far_by_form: dict[str, float] = field(
        default_factory=lambda: {"retail": 2.0, "industrial": 2.0}
    )
    zoning_tolerance: float = 0.01

    def mix(self, form: str) -> np.ndarray:
        """The form's use shares over :data:`USES`, normalised to sum 1."""
        if form not in self.forms:
            raise KeyError(form)
        raw = np.array([self.forms[form].get(u, 0.0) for u in USES], dtype="float64")
        return raw / raw.sum()


@dataclass(frozen=True)
class FormTable:
    """Per parking configuration (rows, :data:`PARKING`) × FAR (columns): break-even cost
    per built sqft, the parking share of the built area and the building height (ft)."""

    fars: np.ndarray
    cost_sqft: np.ndarray
    parking_share: np.ndarray
    height: np.ndarray


def form_table(config: SqftConfig, form: str) -> FormTable:
    """Cost the hypothetical buildings of ``form`` on the reference parcel (vectorised over
    parking configurations × FARs)."""
    c = config
    mix = c.mix(form)
    fars = np.asarray(c.fars, dtype="float64")
    size = c.reference_parcel_sqft
    rate = float(np.sum(mix * np.array([c.parking_rates[u] for u in USES])))
    cost_table = np.array([c.costs[u] for u in USES], dtype="float64").T  # heights × uses
    breaks = np.asarray(c.heights_for_costs, dtype="float64")
    cost_sqft, share, height = (np.empty((len(PARKING), fars.size)) for _ in range(3))
    for i, park in enumerate(PARKING):
        stall_sqft = c.parking_sqft[park]
        bulk = size * fars
        if park == "deck":  # the deck sits inside the allowed bulk
            bulk = bulk / (1.0 + rate * stall_sqft / c.sqft_per_rate)
        stalls = bulk * rate / c.sqft_per_rate
        park_cost = c.parking_cost[park] * stalls * stall_sqft
        if park == "surface":
            park_area = np.zeros_like(bulk)
            stories = bulk / (size - stalls * stall_sqft)
            stories[(stories < 0.0) | (stories > c.max_surface_stories)] = np.nan
        else:
            park_area = stalls * stall_sqft
            stories = (bulk + park_area) / size if park == "deck" else bulk / size
        built = bulk + park_area
        stories = stories / c.parcel_coverage
        band = np.searchsorted(breaks, stories * c.height_per_story)
        band[np.isnan(stories)] = 0
        per_sqft = cost_table[band] @ mix
        per_sqft[np.isnan(stories)] = np.nan
        avg = (per_sqft * bulk + park_cost) / built * c.profit_factor
        cap = c.max_far_by_form.get(form)
        if cap is not None:
            avg[fars > cap] = np.nan
        cost_sqft[i], share[i] = avg, park_area / built
        height[i] = np.ceil(stories) * c.height_per_story
    return FormTable(fars, cost_sqft, share, height)


OUTPUT_COLUMNS = ("parcel_id", "max_profit", "max_profit_far", "building_sqft")


def sqft_proforma(
    parcels: pd.DataFrame, form: str, config: SqftConfig | None = None
) -> pd.DataFrame:
    """The most profitable building of ``form`` on each parcel.

    ``parcels`` has ``parcel_id, parcel_size, land_cost, max_far, max_height`` and one rent
    column per use (yearly rent per sqft). Returns one row per parcel where a building of
    positive profit fits (input order): ``parcel_id, max_profit, max_profit_far,
    building_sqft`` (plus ``parking_config``, ``stories`` and ``building_revenue`` for
    inspection).
    """
    c = config or SqftConfig()
    table = form_table(c, form)
    size = parcels["parcel_size"].to_numpy(dtype="float64")
    land = parcels["land_cost"].to_numpy(dtype="float64")
    max_far = parcels["max_far"].to_numpy(dtype="float64")
    max_height = parcels["max_height"].to_numpy(dtype="float64")
    rents = parcels[list(USES)].to_numpy(dtype="float64")
    rent = rents @ c.mix(form)
    far_from_height = max_height / c.height_per_story * c.parcel_coverage
    limit = np.fmin(far_from_height, max_far)  # NaN only when both are
    keep = (limit > 0) & (size > 0)
    fars = table.fars[None, :, None]  # 1 × F × 1
    allowed = ~(
        (fars > limit[None, None, :] + c.zoning_tolerance)
        | (table.height[:, :, None] > max_height[None, None, :] + c.zoning_tolerance)
    )
    bulk = np.where(allowed, fars * size[None, None, :], np.nan)  # P × F × N
    build_cost = bulk * table.cost_sqft[:, :, None]
    revenue = (
        bulk
        * (1.0 - table.parking_share[:, :, None])
        * c.building_efficiency
        * rent[None, None, :]
        / c.cap_rate
    )
    profit = revenue - (build_cost + land[None, None, :])
    profit = np.where(np.isnan(profit), -np.inf, profit)
    best_far = np.argmax(profit, axis=1)  # P × N: first best FAR
    take = np.take_along_axis
    best = take(profit, best_far[:, None, :], axis=1)[:, 0, :]  # P × N
    best = np.where(best > 0, best, -np.inf)  # a config must make money
    park = np.argmax(best, axis=0)  # N: first best config
    n = np.arange(size.size)
    far_idx = best_far[park, n]
    max_profit = best[park, n]
    built = keep & (max_profit > 0)
    out = pd.DataFrame(
        {
            "parcel_id": parcels["parcel_id"].to_numpy(),
            "max_profit": max_profit,
            "max_profit_far": table.fars[far_idx],
            "building_sqft": bulk[park, far_idx, n],
            "parking_config": np.array(PARKING, dtype=object)[park],
            "stories": table.height[park, far_idx] / c.height_per_story,
            "building_revenue": revenue[park, far_idx, n],
        }
    )
    return out.loc[built].reset_index(drop=True)
