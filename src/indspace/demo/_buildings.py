"""Buildings as inner rectangles of their parcel, matching FAR and building coefficient.

Calibration (shared/domain/synthetic-data.md §3, all [I]):

* FAR (容积率) by supply era — triangular(0.4, 0.7, 0.9) before 2005, (0.8, 1.1, 1.6) for
  2005–2020, (2.0, 2.3, 3.5) from 2021 — is met **exactly** on the counting rule of the
  glossary (``plot_ratio``: a storey higher than 8 m counts twice), i.e.
  ``Σ gfa_m2 × (2 if height_m / floors > 8 else 1) / parcel area``.
* Building coefficient U(0.30, 0.60), 15 % of pre-2005 parcels U(0.18, 0.30): the target
  coverage; the realised coverage follows from integer floor counts.
* Admin/living land share (行政办公及生活服务设施用地比重): pre-2008 U(0.03, 0.10), later
  U(0.03, 0.072); one office or dormitory building per parcel with ≥ 2 buildings.

Layout: a setback ``s = clip(0.08·short side, 2, 10)`` m inside the parcel, buildings in one
row along the long side with gaps ``clip(0.04·long side, 3, 12)`` m and a common depth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ERA_PRE2005, ERA_2005_2020, ERA_2021 = 0, 1, 2

FAR_TRIANGULAR = np.array([[0.4, 0.7, 0.9], [0.8, 1.1, 1.6], [2.0, 2.3, 3.5]])
"""(left, mode, right) of the FAR triangular distribution per era (synthetic-data §3)."""
TALL_SINGLE_SHARE = np.array([0.30, 0.35, 0.10])
"""Share of single-storey production buildings over 8 m high, per era [I]."""


@dataclass(frozen=True)
class BuildingArrays:
    """One entry per building; ``parcel`` indexes the input parcel arrays."""

    parcel: np.ndarray
    seq: np.ndarray
    """1-based number of the building within its parcel."""
    bounds: np.ndarray
    """(n, 4) x0, y0, x1, y1 in metres."""
    floors: np.ndarray
    height_m: np.ndarray
    gfa_m2: np.ndarray
    use: np.ndarray
    year_built: np.ndarray


def draw_far(era: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Target FAR per parcel from the era's triangular distribution."""
    t = FAR_TRIANGULAR[era]
    return rng.triangular(t[:, 0], t[:, 1], t[:, 2])


def make_buildings(bounds: np.ndarray, era: np.ndarray, far: np.ndarray,
                   n_buildings: np.ndarray, warehouse: np.ndarray, start_year: np.ndarray,
                   as_of_year: int, rng: np.random.Generator) -> BuildingArrays:
    """Generate buildings for parcels with ``n_buildings ≥ 1`` (others get none).

    Parameters
    ----------
    bounds : (p, 4) float array
        Parcel rectangles x0, y0, x1, y1 in metres (EPSG:4549).
    era : (p,) int array
        Supply era 0 = pre-2005, 1 = 2005–2020, 2 = 2021+.
    far : (p,) float array
        Target FAR (counting rule above), dimensionless.
    n_buildings : (p,) int array
        Requested number of buildings; capped so that gaps fit.
    warehouse : (p,) bool array
        Parcel is logistics/warehouse land (1101xx): production buildings are warehouses.
    start_year : (p,) int array
        Year the land-use right started; buildings follow 0–2 years later.
    as_of_year : int
        No building is dated after this year.
    rng : numpy.random.Generator

    Returns
    -------
    BuildingArrays
    """
    w = bounds[:, 2] - bounds[:, 0]
    d = bounds[:, 3] - bounds[:, 1]
    area = w * d
    horizontal = w >= d
    long_side = np.maximum(w, d)
    short_side = np.minimum(w, d)
    setback = np.clip(0.08 * short_side, 2.0, 10.0)
    li = long_side - 2 * setback
    di = short_side - 2 * setback
    gap = np.clip(0.04 * long_side, 3.0, 12.0)
    n_max = np.maximum(1, np.floor(1 + 0.4 * li / gap)).astype("int64")
    nb = np.minimum(n_buildings, n_max)
    built = nb > 0
    has_admin = nb >= 2
    lavail = li - (np.maximum(nb, 1) - 1) * gap
    cap = 0.92 * lavail * di

    p = len(area)
    coef = rng.uniform(0.30, 0.60, p)
    low = (era == ERA_PRE2005) & (rng.random(p) < 0.15)
    coef[low] = rng.uniform(0.18, 0.30, low.sum())
    admin_share = np.where(start_year < 2008, rng.uniform(0.03, 0.10, p),
                           rng.uniform(0.03, 0.072, p))
    admin_floors = np.where(era == ERA_PRE2005, rng.integers(2, 5, p), rng.integers(3, 7, p))
    f_adm = np.where(has_admin, admin_share * area, 0.0)
    target = far * area
    t = target - f_adm * admin_floors
    short = has_admin & (t < 0.5 * target)
    f_adm = np.where(short, 0.5 * target / admin_floors, f_adm)
    t = target - f_adm * admin_floors
    kbar = t / np.maximum(coef * area - f_adm, 0.05 * area)

    # explode production buildings
    n_prod = np.where(built, nb - has_admin, 0)
    bp = np.repeat(np.arange(p), n_prod)
    m = len(bp)
    kb = kbar[bp]
    floors = np.maximum(1, np.floor(kb) + (rng.random(m) < kb - np.floor(kb))).astype("int64")
    tall = (floors == 1) & (rng.random(m) < TALL_SINGLE_SHARE[era[bp]])
    weight = rng.uniform(0.6, 1.4, m)
    for _ in range(60):
        counted = np.where(tall, 2, floors)
        s_w = np.bincount(bp, weight, minlength=p)
        s_wk = np.bincount(bp, weight * counted, minlength=p)
        f_prod = np.where(s_wk > 0, t / np.where(s_wk > 0, s_wk, 1.0) * s_w, 0.0)
        over = built & (f_prod + f_adm > cap)
        if not over.any():
            break
        bump = over[bp]
        floors = floors + bump
        tall &= ~bump
    counted = np.where(tall, 2, floors)
    s_wk = np.bincount(bp, weight * counted, minlength=p)
    fp = weight * t[bp] / s_wk[bp]                      # production footprints, m²
    f_total = np.bincount(bp, fp, minlength=p) + f_adm

    # admin buildings (last in the row)
    ap = np.flatnonzero(built & has_admin)
    # building table in parcel order: production first, then admin
    parcel_idx = np.concatenate([bp, ap])
    footprint = np.concatenate([fp, f_adm[ap]])
    fl = np.concatenate([floors, admin_floors[ap]])
    is_admin = np.concatenate([np.zeros(m, bool), np.ones(len(ap), bool)])
    is_tall = np.concatenate([tall, np.zeros(len(ap), bool)])
    order = np.lexsort((is_admin, parcel_idx))
    parcel_idx, footprint, fl = parcel_idx[order], footprint[order], fl[order]
    is_admin, is_tall = is_admin[order], is_tall[order]
    n = len(parcel_idx)

    depth_min = f_total / np.where(lavail > 0, lavail, 1.0)
    depth = np.minimum(depth_min + rng.random(p) * np.maximum(di - depth_min, 0) * 0.6, di)
    depth = np.maximum(depth, depth_min)
    length = footprint / depth[parcel_idx]
    first = np.r_[True, parcel_idx[1:] != parcel_idx[:-1]] if n else np.zeros(0, bool)
    seg = np.cumsum(first) - 1
    step = length + gap[parcel_idx]
    cs = np.cumsum(step)
    excl = cs - step
    along = excl - excl[np.flatnonzero(first)][seg]
    used = np.bincount(parcel_idx, length, minlength=p) + (nb - 1).clip(0) * gap
    slack = np.maximum(li - used, 0.0)
    along = along + setback[parcel_idx] + slack[parcel_idx] * rng.random(p)[parcel_idx]
    across = setback + rng.random(p) * np.maximum(di - depth, 0.0)
    a0, a1 = along, along + length
    c0 = across[parcel_idx]
    c1 = c0 + depth[parcel_idx]
    hz = horizontal[parcel_idx]
    px0, py0 = bounds[parcel_idx, 0], bounds[parcel_idx, 1]
    bx0 = px0 + np.where(hz, a0, c0)
    bx1 = px0 + np.where(hz, a1, c1)
    by0 = py0 + np.where(hz, c0, a0)
    by1 = py0 + np.where(hz, c1, a1)

    storey = np.where(is_admin, rng.uniform(3.2, 3.8, n), rng.uniform(4.2, 5.5, n))
    height = fl * storey
    single = (~is_admin) & (fl == 1)
    height = np.where(single & is_tall, rng.uniform(8.5, 14.0, n), height)
    height = np.where(single & ~is_tall, rng.uniform(5.0, 7.8, n), height)
    use = np.where(is_admin, np.where(rng.random(n) < 0.7, "office", "dormitory"),
                   np.where(warehouse[parcel_idx], "warehouse", "workshop"))
    year = np.minimum(start_year[parcel_idx] + rng.integers(0, 3, n), as_of_year)
    later = (era[parcel_idx] == ERA_PRE2005) & (rng.random(n) < 0.15)
    year = np.where(later, rng.integers(year, as_of_year + 1), year)
    seq = np.arange(n) - np.flatnonzero(first)[seg] + 1
    return BuildingArrays(
        parcel=parcel_idx, seq=seq, bounds=np.column_stack([bx0, by0, bx1, by1]),
        floors=fl, height_m=np.round(height, 2), gfa_m2=footprint * fl,
        use=use, year_built=year.astype("int64"))
