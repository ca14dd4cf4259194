"""Parcel and firm attributes of one district: supply eras, land rights, building counts,
founding dates and tenancies (shared/domain/synthetic-data.md §3, §6; [I] where no anchor).

All dates are ``numpy.datetime64[D]``; ``asof`` is the reference date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indspace.demo._buildings import ERA_2021, ERA_PRE2005
from indspace.demo._economy import ERA_SHARE
from indspace.demo._land import Land

ERA_SIZE_NOISE = 1.0
"""Noise (log-area units) of the era-by-size order within a block [demo]."""
OUTSIDE_ERA = np.array([0.55, 0.43, 0.02])
"""Era mix of outside-line (village) parcels [I]; the in-line mix compensates so that the
district total is 35/55/10 % (synthetic-data §3)."""
RIGHT_P = {  # (era, outside) -> P(grant, allocation, lease, collective) [I]
    (0, False): (0.55, 0.20, 0.05, 0.20), (0, True): (0.40, 0.10, 0.05, 0.45),
    (1, False): (0.88, 0.00, 0.07, 0.05), (1, True): (0.65, 0.00, 0.05, 0.30),
    (2, False): (0.60, 0.00, 0.40, 0.00), (2, True): (0.60, 0.00, 0.40, 0.00),
}
"""2021+ grants: 60 % 出让, 40 % lease (25 % 先租后让 on 5 years, 15 % long lease; §6)."""
GRANT, ALLOC, LEASE, COLL = range(4)
"""Indices into ``indspace.core.model.entities.RIGHT_TYPES``."""


def days(lo: np.ndarray | np.datetime64, hi: np.ndarray | np.datetime64, u: np.ndarray
         ) -> np.ndarray:
    """Uniform dates in [lo, hi] (datetime64[D]) from uniforms ``u``."""
    span = (np.asarray(hi, "datetime64[D]") - np.asarray(lo, "datetime64[D]")).astype("int64")
    return np.asarray(lo, "datetime64[D]") + np.floor(u * (span + 1)).astype("int64")


def add_years(start: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Same day of month ``years`` later (31 Feb-like dates roll into the next month)."""
    months = start.astype("datetime64[M]")
    offset = start - months.astype("datetime64[D]")
    return (months + (years * 12).astype("timedelta64[M]")).astype("datetime64[D]") + offset


def year_of(d: np.ndarray) -> np.ndarray:
    return d.astype("datetime64[Y]").astype("int64") + 1970


def supply_eras(land: Land, rng: np.random.Generator) -> np.ndarray:
    """Era per parcel (0 pre-2005, 1 2005–2020, 2 2021+), clustered by block: blocks in
    random order take eras by cumulative parcel count (so the mix holds even with few
    blocks) and 75 % of parcels follow their block; within a block the older eras go to the
    smaller parcels (log area + N(0, :data:`ERA_SIZE_NOISE`) order)."""
    outside = land.outside
    p = len(outside)
    phi = float(outside.mean())
    p_in = np.clip((ERA_SHARE - phi * OUTSIDE_ERA) / max(1.0 - phi, 1e-9), 0.02, None)
    p_in /= p_in.sum()
    n_stacks = int(land.stack.max()) + 1
    # stratified: blocks in random order take eras by cumulative parcel count, so the mix
    # matches even with few blocks
    size = np.bincount(land.stack, minlength=n_stacks)
    is_block = np.arange(n_stacks) < land.n_blocks
    stack_era = np.zeros(n_stacks, dtype="int64")
    for mask, probs in ((is_block, p_in), (~is_block, OUTSIDE_ERA)):
        idx = rng.permutation(np.flatnonzero(mask))
        mid = (np.cumsum(size[idx]) - size[idx] / 2) / max(size[idx].sum(), 1)
        stack_era[idx] = np.minimum(np.searchsorted(np.cumsum(probs), mid), 2)
    own_era = np.where(outside, rng.choice(3, p, p=OUTSIDE_ERA), rng.choice(3, p, p=p_in))
    era = np.where(rng.random(p) < 0.75, stack_era[land.stack], own_era)
    # within each block or village cluster, the older eras go to the smaller parcels (by
    # log area plus noise): the mix and the clustering stay, old land is the scattered small
    # plots (land-rules C1) and its share of the area falls below its share of parcels
    b = land.bounds_cm.astype("float64")
    key = np.log((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])) + rng.normal(0.0, ERA_SIZE_NOISE,
                                                                          p)
    by_key = np.lexsort((key, land.stack))
    by_era = np.lexsort((era, land.stack))
    out = np.empty_like(era)
    out[by_key] = era[by_era]
    return out


def rights(era: np.ndarray, outside: np.ndarray, idle: np.ndarray, asof: np.datetime64,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right start, end (NaT for 划拨) and type index per parcel.

    Starts are uniform within the era (1990–2004, 2005–2020, 2021 – ``asof`` − 90 days); idle
    parcels start between 2021 and ``asof`` − 2 years. Terms: 50 years before 2014, 20–30
    after; 5 % of pre-2005 parcels from 1996 on end within 5 years of ``asof`` (renewal
    cases); leases 5 or 20 years from 2021, earlier ones end 1–10 years after ``asof``.
    """
    p = len(era)
    as_of_year = int(year_of(np.array([asof]))[0])
    lo = np.array(["1990-01-01", "2005-01-01", "2021-01-01"], "datetime64[D]")[era]
    hi = np.array(["2004-12-31", "2020-12-31", str(asof - 90)], "datetime64[D]")[era]
    start = days(lo, hi, rng.random(p))
    start[idle] = days(np.datetime64("2021-01-01"), asof - 730, rng.random(len(idle)))
    probs = np.array([RIGHT_P[(int(e), bool(o))] for e in range(3) for o in (False, True)])
    cum = np.cumsum(probs, axis=1)[era * 2 + outside]
    right = (rng.random(p)[:, None] > cum[:, :-1]).sum(axis=1)
    right[idle] = GRANT
    sy = year_of(start)
    term = np.where(sy < 2014, 50, rng.integers(20, 31, p))
    renew = (era == ERA_PRE2005) & (sy >= 1996) & (rng.random(p) < 0.05)
    term = np.where(renew, np.clip(as_of_year + rng.integers(1, 6, p) - sy, 20, 30), term)
    lease_term = np.where(era == ERA_2021, np.where(rng.random(p) < 0.625, 5, 20),
                          as_of_year - sy + rng.integers(1, 11, p))
    term = np.where(right == LEASE, lease_term, term)
    end = add_years(start, term)
    end = np.where(right == ALLOC, np.datetime64("NaT"), end)
    return start, end, right


def land_use_codes(heavy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """用地用海分类 code per parcel: chemical/dyeing owners 70 % 三类 (100103), others
    35 % 一类, 57 % 二类, 2 % 三类 and 6 % 物流仓储 (110101/110102) [I]."""
    p = len(heavy)
    u = rng.random(p)
    generic = np.select([u < 0.35, u < 0.92, u < 0.94, u < 0.97],
                        ["100101", "100102", "100103", "110101"], "110102")
    land_use = np.where(heavy, np.where(rng.random(p) < 0.7, "100103", "100102"), generic)
    return land_use


def building_counts(bounds: np.ndarray, area: np.ndarray, built: np.ndarray, target: int,
                    rng: np.random.Generator) -> np.ndarray:
    """Buildings per parcel: one each on built parcels plus Poisson extras ∝ √area, capped
    by what fits in a row (same rule as :func:`indspace.demo._buildings.make_buildings`),
    topped up until the district's ``target`` is met where room is left."""
    p = len(area)
    sq = np.sqrt(area)
    nb = built.astype("int64")
    extra = max(target - int(built.sum()), 0)
    nb[built] += rng.poisson(extra * sq[built] / sq[built].sum())
    long_side = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
    short_side = np.minimum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
    li = long_side - 2 * np.clip(0.08 * short_side, 2.0, 10.0)
    nmax = np.maximum(1, np.floor(1 + 0.4 * li / np.clip(0.04 * long_side, 3.0, 12.0)))
    nmax = nmax.astype("int64")
    nb = np.minimum(nb, nmax)
    for _ in range(6):
        deficit = target - int(nb.sum())
        cand = np.flatnonzero(built & (nb < nmax))
        if deficit <= 0 or len(cand) == 0:
            break
        add = rng.choice(cand, size=deficit, p=sq[cand] / sq[cand].sum())
        nb = np.minimum(nb + np.bincount(add, minlength=p), nmax)
    return nb


def founding_dates(owner: np.ndarray, start: np.ndarray, landless: np.ndarray,
                   asof: np.datetime64, rng: np.random.Generator) -> np.ndarray:
    """Owners: up to 5 years before their first right starts (not before 1985); land-less
    tenants: 1998 – ``asof`` − 180 days, 3 % start-ups founded in the last two years."""
    n = len(landless)
    first_start = np.full(n, np.datetime64("2100-01-01"), dtype="datetime64[D]")
    np.minimum.at(first_start, owner, start)
    founded = first_start - np.floor(rng.random(n) * 5 * 365).astype("int64")
    founded = np.maximum(founded, np.datetime64("1985-01-01"))
    ll_founded = days(np.datetime64("1998-01-01"), asof - 180, rng.random(n))
    startup = rng.random(n) < 0.03
    ll_founded = np.where(startup, days(asof - 700, asof - 60, rng.random(n)), ll_founded)
    founded = np.where(landless, ll_founded, founded)
    return founded


@dataclass(frozen=True)
class Tenancy:
    """One entry per tenant row."""

    parcel: np.ndarray
    firm: np.ndarray
    share: np.ndarray
    """Share of the parcel's floor area rented (and of its land attributed)."""
    floor_m2: np.ndarray
    building: np.ndarray
    """Index into the building arrays."""
    start: np.ndarray
    end: np.ndarray


def tenancies(eligible: np.ndarray, n_hosts: int, n_rows: int, owner: np.ndarray,
              landless: np.ndarray, parcel_gfa: np.ndarray, building_parcel: np.ndarray,
              building_gfa: np.ndarray, year_built: np.ndarray, start: np.ndarray,
              founded: np.ndarray, asof: np.datetime64, rng: np.random.Generator) -> Tenancy:
    """Tenants on ``n_hosts`` parcels drawn from ``eligible`` (1–5 each, ``n_rows`` in all):
    every land-less firm once, the other rows other firms (never the host owner, never
    twice on one parcel). Tenants rent U(0.2, 0.6) of the host's floor area in Dirichlet
    shares, in one building each, on leases running past ``asof``."""
    n = len(landless)
    p = len(parcel_gfa)
    gfa0 = building_gfa
    first_b = np.searchsorted(building_parcel, np.arange(p))
    hosts = np.sort(rng.choice(np.flatnonzero(eligible), size=n_hosts, replace=False))
    per_host = np.ones(len(hosts), dtype="int64")
    for _ in range(100):
        missing = n_rows - int(per_host.sum())
        if missing <= 0:
            break
        per_host = np.minimum(
            per_host + np.bincount(rng.choice(len(hosts), missing), minlength=len(hosts)), 5)
    slot_host = np.repeat(np.arange(len(hosts)), per_host)
    slot_parcel = hosts[slot_host]
    r = len(slot_parcel)
    tenant = np.empty(r, dtype="int64")
    perm = rng.permutation(r)
    ll_firms = rng.permutation(np.flatnonzero(landless))
    tenant[perm[: len(ll_firms)]] = ll_firms
    filler = np.sort(perm[len(ll_firms):])
    pool = np.flatnonzero(~landless)
    tenant[filler] = rng.choice(pool, len(filler))
    for _ in range(100):
        key = slot_parcel * n + tenant
        _, firsts = np.unique(key, return_index=True)
        bad = np.ones(r, dtype=bool)
        bad[firsts] = False
        bad |= tenant == owner[slot_parcel]
        bad_f = filler[bad[filler]]
        if len(bad_f) == 0:
            break
        tenant[bad_f] = rng.choice(pool, len(bad_f))
    else:
        raise RuntimeError("could not seat tenants without repeats")
    host_share = rng.uniform(0.2, 0.6, len(hosts))
    g = rng.gamma(1.0, size=r)
    share = g / np.bincount(slot_host, g)[slot_host] * host_share[slot_host]
    floor = share * parcel_gfa[slot_parcel]
    cs = np.cumsum(gfa0)
    fb = first_b[slot_parcel]
    tgt = cs[fb] - gfa0[fb] + rng.random(r) * parcel_gfa[slot_parcel]
    n_built = np.bincount(building_parcel, minlength=p)
    tb = np.minimum(np.searchsorted(cs, tgt, side="right"), fb + n_built[slot_parcel] - 1)
    tb = np.maximum(tb, fb)
    lb = np.maximum.reduce([
        start[slot_parcel],
        (year_built[tb] - 1970).astype("datetime64[Y]").astype("datetime64[D]"),
        founded[tenant]])
    t_start = np.minimum(np.maximum(asof - rng.integers(60, 2200, r), lb), asof - 1)
    t_end = t_start + rng.integers(3 * 365, 10 * 365, r)
    t_end = np.maximum(t_end, asof + rng.integers(30, 720, r))
    return Tenancy(parcel=slot_parcel, firm=tenant, share=share, floor_m2=floor, building=tb,
                   start=t_start, end=t_end)
