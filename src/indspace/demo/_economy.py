"""Yearly firm figures (indicators) calibrated on shared/domain/synthetic-data.md §4.

Per firm, for the last year (``as_of.year``), all in the contract's units (万元, 人, tce, kWh,
t):

======================  =====================================================================
``tax``                 tax_per_mu × attributed land (亩); tax_per_mu 规上 LN(30, 0.85),
                        规下 LN(8, 1.0), × sector factor × supply-era factor, both divided by
                        their expected value so the aggregate stays ≈ 43 (规上) / 13 (规下)
``value_added``         tax ÷ U(0.15, 0.28)
``revenue``             value_added ÷ U(0.15, 0.35)
``employees``           value_added ÷ LN(31, 0.5) 万元/人, at least 1
``energy_tce``          value_added × LN(0.3, 0.8) tce/万元 × (chemicals 3, dyeing 2,
                        electronics 0.5) ÷ the factor's value-added-weighted mean
``emissions``           value_added ÷ LN(1 500, 1.2) 万元/t
``rd_spend``            规上: 35 % at U(0, 0.01) × revenue, the rest LN(0.035, 0.5) × revenue;
                        规下: half none, half LN(0.015, 0.6) × revenue [I]
``electricity_kwh``     规下: tax ÷ LN(0.28, 0.6) 元/kWh; 规上: U(0.3, 0.7) of energy as
                        electricity at 0.1229 kgce/kWh [I]
veto flags              0.5 % safety + 0.5 % environment per firm-year (≈ 1 %)
======================  =====================================================================

Earlier years divide each ratio by a year-on-year factor LN(1.0, 0.15) (§4), so every firm
has a 5-year history. Older supply eras get a slightly lower tax factor (§4 last paragraph:
older parcels are poorer). Rows before the founding year are dropped.

The worst performers sit on poor land (synthetic-data §6: the parcels the default test flags
are "mostly pre-2005, FAR < 1.0, with tax below 50 % of the average"). Within each of the
evaluation's populations (规上; 规下 with 3 亩 or more; 规下 under 3 亩), the firms whose
performance proxy falls in the bottom :data:`WORST_SHARE` but who hold land of FAR ≥ 1.0
exchange all their random draws with firms whose land is all of FAR < 1.0 and whose score
ranks nearest above that tail (already weak, so the exchange adds few low-tax parcels). An
exchange of whole draw rows keeps every distribution of §4 exactly (it is a permutation of
the draws) and only moves who holds them, so the 亩均 evaluation's D class (its bottom 5 %,
mujun-evaluation §8) mostly lands on parcels the combined ``low_far+low_tax`` trigger
already catches instead of adding to them. The proxy score is the evaluation's,
approximately: Σ weight × min(indicator ÷ population average, cap), with the populations,
indicator weights and cap (``score_cap_ratio``) of the method the demo city is evaluated with
(:func:`demo_method`: the ``DEMO_PROFILE`` profile, ningbo-demo — 规上 tax 30, value added 20
per mu, per tce 20, per t 10, per person 10, R&D share 10; 规下 tax per mu 50, per kWh 50;
cap 2), each indicator taken from the draws before drift (:func:`_proxy_terms`). It does not
see the evaluation's merging of tenants into their landlord nor its bonus points, and vetoed
firms (≈ 1 %, D outside the quota) stay where they are, so some D land remains outside the
combined trigger (≈ 2 % of parcels on the city demo).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from indspace.core.model.units import M2_PER_MU
from indspace.core.policy import load_profile
from indspace.core.policy.evaluation import EvaluationMethod
from indspace.demo._vocab import IND_ENERGY_FACTOR, IND_TAX_FACTOR, IND_WEIGHT
from indspace.demo.boundaries import DEMO_PROFILE

ERA_TAX_FACTOR = np.array([0.95, 1.0, 1.1])
"""Tax-per-mu factor by supply era (pre-2005, 2005–2020, 2021+) [I]. Mild: the worst
performers are placed on old, low-FAR land by :func:`_worst_onto_poor_land`; a strong era
factor (it was 0.6 / 1.1 / 1.3) made half of all pre-2005 parcels low-tax and the default
test flag 17 % of the parcels with the combined trigger alone."""
WORST_SHARE = 0.08
"""Share of each population, by the performance proxy, that is moved onto poor land: above
the D quota (5 %), as the proxy only approximates the evaluation's score (which merges
tenants into their landlord and adds bonus points)."""


def poor_far(on: date) -> float:
    """The FAR below which land is poor land: ``min_plot_ratio`` of the demo profile's
    ``low_efficiency_criteria`` in force on ``on`` (land-rules C5; 1.0 in ningbo-demo)."""
    criteria = load_profile(DEMO_PROFILE).value("low_efficiency_criteria", on)
    return float(criteria["min_plot_ratio"])


ERA_SHARE = np.array([0.35, 0.55, 0.10])
"""Supply-era mix (synthetic-data §3)."""
_ERA_NORM = float(ERA_TAX_FACTOR @ ERA_SHARE)
_SECTOR_NORM = float(IND_TAX_FACTOR @ IND_WEIGHT)
_ENERGY_NORM = float((IND_ENERGY_FACTOR * IND_TAX_FACTOR) @ IND_WEIGHT
                     / (IND_TAX_FACTOR @ IND_WEIGHT))
"""Value-added-weighted mean sector energy factor: dividing by it keeps the aggregate
Σ VA / Σ energy near 1 / E[LN(0.3, 0.8)] ≈ 2.4 万元/tce (target 2–2.7, §4)."""
YEARS = 5
KGCE_PER_KWH = 0.1229
"""Electricity conversion, 当量值 (GB/T 2589)."""


@dataclass(frozen=True)
class FirmInputs:
    """Per-firm inputs; arrays of equal length."""

    above: np.ndarray
    industry: np.ndarray
    """Index into :data:`indspace.demo._vocab.INDUSTRIES`."""
    land_m2: np.ndarray
    """Attributed land: owned area net of rented-out share plus rented share, m²."""
    era_factor: np.ndarray
    """Land-weighted mean of :data:`ERA_TAX_FACTOR` over the firm's land."""
    low_tax: np.ndarray
    """Planted low-efficiency owner: tax per mu U(0.8, 2.5) 万元/亩 in every year."""
    d_like: np.ndarray
    """Planted D-like outside-line owner: very low tax, 4 × energy and emissions."""
    founded_year: np.ndarray
    poor_share: np.ndarray | None = None
    """Share of the attributed land with FAR < :func:`poor_far`; None: no exchange."""


Part = tuple[float, np.ndarray, np.ndarray]
"""One indicator of the proxy score: (weight, numerator, denominator), per firm."""
Terms = dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]
"""(numerator, denominator) of an indicator formula → the proxy's arrays for them."""


def demo_method(on: date) -> EvaluationMethod:
    """The 亩均 evaluation method the demo city is evaluated with (``DEMO_PROFILE``, read by
    the policy book's loader) in force on ``on``: the proxy's populations, weights and cap."""
    return load_profile(DEMO_PROFILE).evaluation_method(on)


def _proxy_groups(f: FirmInputs, method: EvaluationMethod, terms: Terms
                  ) -> list[tuple[np.ndarray, list[Part], float]]:
    """Per population of ``method``, in its order: the firms in it (scale and attributed
    land in 亩 as the engine assigns them, the first listed population winning), its
    indicators as :data:`Part` (those whose formula ``terms`` has; the draws model every
    one of ningbo-demo's) and its cap (``score_cap_ratio``; none: no cap)."""
    land_mu = f.land_m2 / M2_PER_MU
    taken = np.zeros(len(f.above), dtype=bool)
    out = []
    for pop in method.populations:
        hit = (land_mu >= pop.min_land_mu) & ~taken
        if pop.max_land_mu is not None:
            hit &= land_mu < pop.max_land_mu
        if pop.scale != "any":
            hit &= f.above if pop.scale == "above" else ~f.above
        taken |= hit
        iset = method.indicator_sets[pop.indicator_set]
        parts = [(float(ind.weight), *terms[(ind.numerator, ind.denominator)])
                 for ind in iset.indicators if (ind.numerator, ind.denominator) in terms]
        cap = iset.score_cap_ratio if iset.score_cap_ratio is not None else np.inf
        out.append((hit, parts, float(cap)))
    return out


def _proxy_points(parts: list[Part], idx: np.ndarray, cap: float) -> np.ndarray:
    """The evaluation's score, approximately, for the firms ``idx``: Σ weight × min(value ÷
    the group's Σ numerator ÷ Σ denominator, cap) over ``(weight, numerator, denominator)``."""
    score = np.zeros(len(idx))
    for weight, num, den in parts:
        avg = num[idx].sum() / den[idx].sum()
        score += weight * np.minimum(num[idx] / den[idx] / avg, cap)
    return score


def _worst_onto_poor_land(f: FirmInputs, groups: list[tuple[np.ndarray, list[Part], float]],
                          rng: np.random.Generator) -> np.ndarray:
    """Permutation of the firms' draw rows moving each population's worst performers (bottom
    :data:`WORST_SHARE` of the proxy score) off good land: each exchanges its draws with a
    firm whose land is all poor, the ones ranked nearest above the tail (see the module
    doc)."""
    n = len(f.above)
    perm = np.arange(n)
    if f.poor_share is None:
        return perm
    poor = f.poor_share > 0.999
    planted = f.low_tax | f.d_like                      # their tax is overwritten anyway
    for group, parts, cap in groups:
        idx = np.flatnonzero(group & ~planted)
        if len(idx) < 2:
            continue
        order = idx[np.argsort(_proxy_points(parts, idx, cap), kind="stable")]
        tail = order[: int(np.floor(WORST_SHARE * len(idx)))]
        movers = np.sort(tail[~poor[tail]])
        # partners: poor-land firms just above the tail first (already low: the exchange
        # adds no low-tax parcel), then further up
        band = order[len(tail):]
        band = band[poor[band]]
        cands = np.sort(band[: max(len(movers), 0)])
        k = min(len(movers), len(cands))
        if k == 0:
            continue
        takers = rng.choice(cands, size=k, replace=False)
        perm[movers[:k]], perm[takers] = takers, movers[:k]
    return perm


def _proxy_terms(tax0: np.ndarray, u_va: np.ndarray, land_mu: np.ndarray, e_int: np.ndarray,
                 energy_factor: np.ndarray, va_per_t: np.ndarray, prod: np.ndarray,
                 rd_share: np.ndarray, price: np.ndarray) -> Terms:
    """The indicators the proxy score knows, by formula (numerator, denominator; their ratio
    is the indicator's value, in the evaluation's units up to a constant factor), from the
    last year's draws before drift: tax ``tax0`` (万元), value added tax0 ÷ ``u_va`` (万元),
    land (亩), energy (tce: ``e_int`` × the sector's ``energy_factor`` per 万元 of value
    added), emissions (t) and employees through value added per unit;
    the R&D share and the tax per kWh (``price``, 元/kWh) directly, as a mean of the
    firms' values."""
    va0 = tax0 / u_va
    ones = np.ones(len(tax0))
    return {("tax", "land_area_mu"): (tax0, land_mu),
            ("value_added", "land_area_mu"): (va0, land_mu),
            ("value_added", "energy_tce"): (va0, va0 * e_int * energy_factor),
            ("value_added", "emissions"): (va0, va0 / va_per_t),
            ("value_added", "employees"): (va0, va0 / prod),
            ("rd_spend", "revenue"): (rd_share + 1e-9, ones),
            ("tax", "electricity_kwh"): (price, ones)}


def indicators(f: FirmInputs, as_of: date, rng: np.random.Generator
               ) -> dict[str, np.ndarray]:
    """Firm-year figures up to ``as_of.year``; returns columns with ``firm`` (index into
    inputs) and ``year``. The proxy score reads the demo's evaluation method in force on
    ``as_of`` (:func:`demo_method`)."""
    last_year = as_of.year
    n = len(f.above)
    land_mu = f.land_m2 / M2_PER_MU
    tpm = np.where(f.above, rng.lognormal(np.log(30.0), 0.85, n),
                   rng.lognormal(np.log(8.0), 1.0, n))
    u_va = rng.uniform(0.15, 0.28, n)
    u_rev = rng.uniform(0.15, 0.35, n)
    prod = rng.lognormal(np.log(31.0), 0.5, n)
    e_int = rng.lognormal(np.log(0.3), 0.8, n)
    va_per_t = rng.lognormal(np.log(1500.0), 1.2, n)
    rd_share = np.where(
        f.above,
        np.where(rng.random(n) < 0.35, rng.uniform(0.0, 0.01, n),
                 rng.lognormal(np.log(0.035), 0.5, n)),
        np.where(rng.random(n) < 0.5, 0.0, rng.lognormal(np.log(0.015), 0.6, n)))
    price = rng.lognormal(np.log(0.28), 0.6, n)          # 元 tax per kWh (规下)
    elec_share = rng.uniform(0.3, 0.7, n)                 # of energy, 规上
    # the worst performers onto poor land: a permutation of whole draw rows (module doc)
    tax_factor = IND_TAX_FACTOR[f.industry] / _SECTOR_NORM * f.era_factor / _ERA_NORM
    energy_factor = IND_ENERGY_FACTOR[f.industry] / _ENERGY_NORM
    # the evaluation's indicators (mujun-evaluation §2) for the proxy score, weighted by the
    # demo profile's method
    terms = _proxy_terms(tpm * tax_factor * land_mu, u_va, land_mu, e_int, energy_factor,
                         va_per_t, prod, rd_share, price)
    perm = _worst_onto_poor_land(f, _proxy_groups(f, demo_method(as_of), terms), rng)
    tpm, u_va, u_rev, prod, e_int, va_per_t, rd_share, price, elec_share = (
        x[perm] for x in (tpm, u_va, u_rev, prod, e_int, va_per_t, rd_share, price,
                          elec_share))
    tpm = tpm * tax_factor
    e_int = e_int * energy_factor
    low = f.low_tax | f.d_like
    tpm = np.where(f.low_tax, rng.uniform(0.8, 2.5, n), tpm)
    tpm = np.where(f.d_like, rng.uniform(0.5, 2.0, n), tpm)
    e_int = np.where(f.d_like, e_int * 4.0, e_int)
    va_per_t = np.where(f.d_like, va_per_t / 4.0, va_per_t)
    prod = np.where(f.d_like, prod / 2.0, prod)

    # year-on-year drift, last year = 1 (synthetic-data §4 "Year-on-year")
    def drift() -> np.ndarray:
        eps = rng.normal(0.0, 0.15, (n, YEARS - 1))        # log change from year j to j+1
        back = np.cumsum(eps[:, ::-1], axis=1)[:, ::-1]    # Σ of the changes after year j
        return np.exp(-np.concatenate([back, np.zeros((n, 1))], axis=1))

    years = last_year - YEARS + 1 + np.arange(YEARS)
    tpm_y = tpm[:, None] * np.where(low[:, None], 1.0, drift())
    tpm_y = np.where(f.low_tax[:, None], np.minimum(tpm_y, 2.5), tpm_y)
    u_va_y = np.clip(u_va[:, None] * drift(), 0.05, 0.9)
    u_rev_y = np.clip(u_rev[:, None] * drift(), 0.05, 0.9)
    prod_y = prod[:, None] * drift()
    e_int_y = e_int[:, None] * drift()
    va_per_t_y = va_per_t[:, None] * drift()
    rd_y = np.clip(rd_share[:, None] * drift(), 0.0, 0.3)
    price_y = price[:, None] * drift()

    tax = np.maximum(np.round(tpm_y * land_mu[:, None], 2), 0.01)
    va = np.round(tax / u_va_y, 2)
    revenue = np.round(va / u_rev_y, 2)
    employees = np.maximum(np.round(va / prod_y), 1.0)
    energy = np.round(va * e_int_y, 2)
    emissions = np.round(va / va_per_t_y, 3)
    rd = np.round(revenue * rd_y, 2)
    elec = np.where(f.above[:, None],
                    energy * elec_share[:, None] / (KGCE_PER_KWH / 1000.0),
                    tax * 10_000.0 / price_y)
    elec = np.round(elec)
    safety = rng.random((n, YEARS)) < 0.005
    env = rng.random((n, YEARS)) < 0.005

    keep = years[None, :] >= f.founded_year[:, None]
    firm = np.broadcast_to(np.arange(n)[:, None], (n, YEARS))[keep]
    return {
        "firm": firm,
        "year": np.broadcast_to(years[None, :], (n, YEARS))[keep].astype("int64"),
        "revenue": revenue[keep], "tax": tax[keep], "value_added": va[keep],
        "employees": employees[keep], "energy_tce": energy[keep],
        "electricity_kwh": elec[keep], "emissions": emissions[keep], "rd_spend": rd[keep],
        "safety_veto": safety[keep], "environment_veto": env[keep],
        "tax_per_mu": (tax / np.maximum(land_mu[:, None], 1e-9))[keep],
    }
