"""Redevelopment pro forma (资金平衡) per party, vectorised over many units (issue #18 item 2).

One row per unit × 工改工 mode, years on the second axis. Every number comes from the
profile (:class:`ProformaParams`, built from dated values with source and confidence); the
engine holds none. Money is computed in float64 万元 for speed; callers round the results to
0.01 万元 as :class:`~decimal.Decimal` (see :func:`to_wan`).

**Flows.** Each yearly flow has a payer and a payee, each a party (government, operator,
owners, village collective) or the outside world (contractors, banks, tenants, buyers,
firms paying tax). Which party plays which role is set per mode by the profile
(``proforma_mode_roles``): who acquires (pays compensation and demolition), who builds
(pays construction, fees, land premium and interest; earns sales and rents), who pays for
infrastructure, whether the government banks the land and transfers it to the builder, whether
a special loan with interest subsidy applies and whether rents are shared with the collective.
A party's balance is the NPV of what it receives minus what it pays; transfers between parties
cancel, so the parties' balances add up to the project NPV (the external flows).

Timeline (year t = 0 … horizon − 1, flows at the start of each year, discounted by
(1 + r)^t): compensation, demolition, land premium and land transfer in year 0; construction,
infrastructure and fees spread evenly over the construction years; strata sales in the first
operating year (t = construction years); rents from then on with the occupancy ramp and
rent growth; added tax = local share × (tax per occupied m² of new floor − the unit's old tax),
the old tax lost from year 0. The loan is ``loan_share`` of the builder's construction and
infrastructure spend, drawn as spent, repaid linearly over ``repayment_years`` from the first
operating year; interest = rate × balance (principal is not a flow: financing counts as its
interest cost). No residual value at the horizon.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np
import pandas as pd

MODES = ("gov_led_contiguous", "enterprise_led", "village_enterprise_coop", "operator_led")
PARTIES = ("government", "operator", "owners", "collective")
EXTERNAL = "external"
STOREY_TYPES = ("heavy_load", "standard", "rnd")

PARAMETERS = (
    "proforma_timeline",
    "proforma_compensation",
    "proforma_construction",
    "proforma_land_premium",
    "proforma_financing",
    "proforma_revenue",
    "proforma_tax",
    "proforma_mode_roles",
)
"""Profile parameters the pro forma reads (each a dated value with source and confidence)."""

COST_FLOWS = (
    "compensation",
    "demolition",
    "construction",
    "infrastructure",
    "fees",
    "land_premium",
    "land_transfer",
    "interest",
    "sale_tax",
    "operating_cost",
    "rent_share",
)
REVENUE_FLOWS = ("sales", "rent", "added_tax", "interest_subsidy")

SENSITIVITY_FIELDS = (
    "rent_yuan_m2_month",
    "sale_price_yuan_m2",
    "construction_scale",
    "compensation_scale",
    "tax_yuan_per_floor_m2",
    "discount_rate",
    "loan_rate",
)


@dataclass(frozen=True)
class ModeRoles:
    acquirer: str  # pays compensation and demolition
    builder: str  # builds, borrows, sells and lets
    infrastructure: str  # "builder" or a party
    land_transfer: bool  # the acquirer (government) sells the land to the builder
    special_loan: bool  # special loan with interest subsidy from the government
    rent_share: bool  # the builder shares rents with the village collective
    compensation: bool  # existing owners are compensated (False: they rebuild)
    collective_contributes_land: bool  # collective land is contributed, not bought


@dataclass(frozen=True)
class ProformaParams:
    """The pro forma's parameters (元 per m² unless named otherwise; rates per year)."""

    horizon_years: int
    construction_years: int
    discount_rate: float
    land_compensation_yuan_m2: float
    collective_land_compensation_yuan_m2: float
    building_compensation_yuan_m2: float
    demolition_yuan_m2: float
    construction_yuan_m2: Mapping[str, float]  # by storey type
    heavy_load_far: float  # floor area (as FAR) built as heavy-load ground floors
    rnd_floor_share: float  # share of floor built as R&D floors
    building_coefficient: float  # footprint ÷ site, gives storeys = FAR ÷ coefficient
    base_storeys: float  # above this the cost per m² rises …
    storey_cost_step: float  # … by this share per extra storey
    infrastructure_yuan_m2: float  # per m² of site
    fees_share: float  # fees and taxes as a share of construction
    conversion_premium_yuan_m2: float  # land premium per m² of site on change of use
    far_increase_premium_yuan_m2: float  # per m² of added floor, unless waived
    far_increase_waived: bool
    land_transfer_yuan_m2: float  # government's transfer price per m² of site
    loan_share: float
    loan_rate: float
    repayment_years: int
    special_loan_share: float  # share of the loan that is the special loan
    interest_subsidy_rate: float  # percentage points the government pays on it
    rent_yuan_m2_month: float
    rent_growth: float
    occupancy: tuple[float, ...]  # by operating year; the last value holds after
    lettable_share: float
    operating_cost_share: float  # of rent
    strata_sale_share: float  # share of floor sold …
    strata_sale_max_share: float  # … capped at the allowed share (I4)
    sale_price_yuan_m2: float
    sale_tax_share: float  # taxes on sales, to the government
    collective_rent_share: float
    tax_yuan_per_floor_m2: float  # local tax per occupied m² of new floor per year
    old_tax_wan_per_mu: float  # tax of the low-efficiency land before (local share)
    local_tax_share: float
    roles: Mapping[str, ModeRoles]
    far_grid: tuple[float, ...]
    sensitivity_step: float
    construction_scale: float = 1.0
    compensation_scale: float = 1.0

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> ProformaParams:
        """From the profile values of :data:`PARAMETERS` (name → value on a day)."""
        missing = [p for p in PARAMETERS if p not in values]
        if missing:
            raise KeyError(f"profile lacks pro forma parameters {missing}")
        flat: dict[str, Any] = {}
        for name in PARAMETERS:
            if name != "proforma_mode_roles":
                flat.update(values[name])
        roles = {m: ModeRoles(**values["proforma_mode_roles"][m]) for m in MODES}
        flat["roles"] = roles
        flat["construction_yuan_m2"] = {
            k: float(flat["construction_yuan_m2"][k]) for k in STOREY_TYPES
        }
        flat["occupancy"] = tuple(float(x) for x in flat["occupancy"])
        flat["far_grid"] = tuple(float(x) for x in flat["far_grid"])
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(flat) - names)
        if unknown:
            raise KeyError(f"unknown pro forma keys {unknown}")
        return cls(**flat)


@dataclass
class Units:
    """The units to appraise (one entry per unit)."""

    unit_id: np.ndarray
    site_m2: np.ndarray
    old_floor_m2: np.ndarray
    old_far: np.ndarray
    collective_share: np.ndarray
    target_far: np.ndarray
    conversion: np.ndarray  # bool: change of use (renewal_transformation)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Units:
        """From columns ``unit_id, area_m2, floor_area_m2, collective_share, target_far,
        project_type`` (e.g. a low-efficiency plan's units)."""
        site = frame["area_m2"].to_numpy(dtype="float64")
        floor = frame["floor_area_m2"].fillna(0.0).to_numpy(dtype="float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            far = np.where(site > 0, floor / site, 0.0)
        return cls(
            frame["unit_id"].to_numpy(dtype=object),
            site,
            floor,
            far,
            frame["collective_share"].fillna(0.0).to_numpy(dtype="float64"),
            frame["target_far"].to_numpy(dtype="float64"),
            frame["project_type"].eq("renewal_transformation").to_numpy(dtype=bool),
        )


@dataclass
class Result:
    """Per row (unit × mode, unit-major): flows by name (rows × years, 万元, signed as the
    project sees them: costs negative), the project cash flow, its NPV, IRR and payback, and
    each party's balance (NPV)."""

    unit_id: np.ndarray
    mode: np.ndarray
    far: np.ndarray
    flows: dict[str, np.ndarray]
    cash_flow: np.ndarray
    npv: np.ndarray
    irr: np.ndarray
    payback_years: np.ndarray
    balances: dict[str, np.ndarray]
    party_flows: dict[str, np.ndarray]
    pv_revenue: np.ndarray
    pv_cost: np.ndarray

    def frame(self) -> pd.DataFrame:
        """One row per unit × mode with the headline figures (float 万元)."""
        out = pd.DataFrame(
            {
                "unit_id": self.unit_id,
                "mode": self.mode,
                "far": self.far,
                "npv_wan": self.npv,
                "irr": self.irr,
                "payback_years": self.payback_years,
            }
        )
        for p in PARTIES:
            out[f"balance_{p}_wan"] = self.balances[p]
        with np.errstate(invalid="ignore", divide="ignore"):
            out["funding_ratio"] = np.where(
                self.pv_cost > 0, self.pv_revenue / self.pv_cost, np.nan
            )
        for name in (*COST_FLOWS, *REVENUE_FLOWS):
            out[f"{name}_wan"] = self.flows[name].sum(axis=1)
        return out


def _party_index(name: str) -> int:
    return PARTIES.index(name) if name in PARTIES else -1


def appraise(
    units: Units,
    params: ProformaParams,
    modes: tuple[str, ...] = MODES,
    far: np.ndarray | None = None,
    *,
    metrics: bool = True,
) -> Result:
    """Yearly cash flows, NPV, IRR, payback and party balances of every unit under every
    mode in ``modes`` at ``far`` (per unit; default the unit's target FAR). With
    ``metrics=False`` IRR and payback are left NaN (sensitivity and the FAR search need only
    the NPV)."""
    p = params
    n_units, n_modes = len(units.unit_id), len(modes)
    rows = n_units * n_modes
    years = int(p.horizon_years)
    c_years = int(p.construction_years)
    t = np.arange(years, dtype="float64")

    def per_row(a: np.ndarray) -> np.ndarray:
        return np.repeat(np.asarray(a, dtype="float64"), n_modes)

    f = per_row(units.target_far if far is None else far)
    site = per_row(units.site_m2)
    old_floor = per_row(units.old_floor_m2)
    coll = per_row(units.collective_share)
    conv = np.repeat(units.conversion, n_modes)
    floor = f * site  # new floor area, m²
    mu = site * 3.0 / 2000.0
    role = [p.roles[m] for m in modes]

    def mode_flag(attr: str) -> np.ndarray:
        return np.tile(np.array([bool(getattr(r, attr)) for r in role]), n_units)

    def mode_party(attr: str) -> np.ndarray:
        names = [getattr(r, attr) for r in role]
        names = [r.builder if n == "builder" else n for n, r in zip(names, role, strict=True)]
        return np.tile(np.array([_party_index(n) for n in names]), n_units)

    wan = 1e-4  # 元 → 万元
    first = (t == 0).astype("float64")[None, :]
    build = ((t < c_years).astype("float64") / max(c_years, 1))[None, :]
    op_year = t - c_years
    operating = (op_year >= 0)[None, :]
    occ_table = np.asarray(p.occupancy, dtype="float64")
    occ = np.where(
        operating, occ_table[np.clip(op_year, 0, occ_table.size - 1).astype(int)][None, :], 0.0
    )
    growth = np.where(operating, (1.0 + p.rent_growth) ** np.maximum(op_year, 0)[None, :], 0.0)

    # --- costs (positive amounts, 万元)
    compensate = mode_flag("compensation")
    contributes = mode_flag("collective_contributes_land")
    land_comp_state = site * (1 - coll) * p.land_compensation_yuan_m2 * wan
    land_comp_coll = np.where(
        contributes, 0.0, site * coll * p.collective_land_compensation_yuan_m2 * wan
    )
    bldg_comp = old_floor * p.building_compensation_yuan_m2 * wan
    scale_c = p.compensation_scale
    comp_owners = np.where(compensate, (land_comp_state + bldg_comp) * scale_c, 0.0)
    comp_coll = np.where(compensate, land_comp_coll * scale_c, 0.0)
    demolition = old_floor * p.demolition_yuan_m2 * wan

    heavy = np.minimum(floor, p.heavy_load_far * site)
    rnd = (floor - heavy) * p.rnd_floor_share
    standard = floor - heavy - rnd
    storeys = f / p.building_coefficient
    tall = 1.0 + p.storey_cost_step * np.maximum(storeys - p.base_storeys, 0.0)
    cy = p.construction_yuan_m2
    construction = (
        (heavy * cy["heavy_load"] + standard * cy["standard"] + rnd * cy["rnd"])
        * tall
        * p.construction_scale
        * wan
    )
    infrastructure = site * p.infrastructure_yuan_m2 * wan
    fees = construction * p.fees_share
    added_floor = np.maximum(floor - old_floor, 0.0)
    premium = np.where(conv, site * p.conversion_premium_yuan_m2 * wan, 0.0)
    premium = premium + (
        0.0 if p.far_increase_waived else added_floor * p.far_increase_premium_yuan_m2 * wan
    )
    transfer = np.where(mode_flag("land_transfer"), site * p.land_transfer_yuan_m2 * wan, 0.0)

    # --- revenues
    sold_share = min(p.strata_sale_share, p.strata_sale_max_share)
    sales_total = floor * sold_share * p.sale_price_yuan_m2 * wan
    sales = sales_total[:, None] * (t == c_years)[None, :]
    let_floor = floor * (1 - sold_share) * p.lettable_share
    rent = let_floor[:, None] * p.rent_yuan_m2_month * 12 * wan * occ * growth
    operating_cost = rent * p.operating_cost_share
    rent_share = np.where(mode_flag("rent_share")[:, None], rent * p.collective_rent_share, 0.0)
    sale_tax = sales * p.sale_tax_share
    # occupied new floor (let and sold) pays tax once in use; the old tax stops at year 0
    occupied = (floor * p.lettable_share)[:, None] * occ
    new_tax = occupied * p.tax_yuan_per_floor_m2 * wan * p.local_tax_share
    old_tax = (mu * p.old_tax_wan_per_mu * p.local_tax_share)[:, None] * np.ones((1, years))
    added_tax = new_tax - old_tax

    # --- financing: loan on the builder's construction, infrastructure and fees
    infra_party = mode_party("infrastructure")
    builder = mode_party("builder")
    builder_infra = infra_party == builder
    spend = construction + fees + np.where(builder_infra, infrastructure, 0.0)
    debt = spend * p.loan_share
    drawn = debt[:, None] * np.cumsum(build, axis=1)
    # interest on the balance outstanding during the year: all that is drawn so far while
    # building, then the debt less the instalments repaid before that year
    repaid = np.clip(op_year / max(int(p.repayment_years), 1), 0.0, 1.0)[None, :]
    opening = np.where(operating, debt[:, None] * (1.0 - repaid), drawn)
    interest = opening * p.loan_rate
    subsidy = np.where(
        mode_flag("special_loan")[:, None],
        opening * p.special_loan_share * min(p.interest_subsidy_rate, p.loan_rate),
        0.0,
    )

    # --- who pays whom: (payer, payee, amount), amounts positive from payer to payee; an
    # amount is a (rows × years) array or, when it is one figure spread by a yearly profile,
    # the pair (figure per row, profile per year) — discounting that pair is cheap.
    gov, coll_i, own = (PARTIES.index(x) for x in ("government", "collective", "owners"))
    acq = mode_party("acquirer")
    ext = -1
    first_ = first[0]
    build_ = build[0]
    legs: list[tuple[Any, Any, Any]] = [
        (acq, own, (comp_owners, first_)),
        (acq, coll_i, (comp_coll, first_)),
        (acq, ext, (demolition, first_)),
        (builder, ext, (construction, build_)),
        (infra_party, ext, (infrastructure, build_)),
        (builder, gov, (fees, build_)),
        (builder, gov, (premium, first_)),
        (builder, acq, (transfer, first_)),
        (builder, ext, interest),
        (gov, builder, subsidy),
        (builder, gov, sale_tax),
        (ext, builder, sales),
        (ext, builder, rent),
        (builder, ext, operating_cost),
        (builder, coll_i, rent_share),
        (ext, gov, new_tax),
        (ext, gov, -old_tax),  # the old tax is lost: a negative receipt
    ]
    disc = (1.0 + p.discount_rate) ** -t

    def pv(a: Any) -> np.ndarray:
        return a[0] * float(a[1] @ disc) if isinstance(a, tuple) else a @ disc

    def full(a: Any) -> np.ndarray:
        return a[0][:, None] * a[1][None, :] if isinstance(a, tuple) else a

    # A party's balance: what it receives less what it pays. The project is every party
    # together: only legs with the outside world count (fees, premium, land transfer,
    # compensation, rent shares and the interest subsidy move money between parties).
    weights = []
    for payer_, payee_, _ in legs:
        payer = np.broadcast_to(np.asarray(payer_), (rows,))
        payee = np.broadcast_to(np.asarray(payee_), (rows,))
        w = [
            (payee == k).astype("float64") - (payer == k).astype("float64")
            for k in range(len(PARTIES))
        ]
        sign = (payee >= 0).astype("float64") - (payer >= 0).astype("float64")
        weights.append((w, sign))
    pvs = [pv(a) for _, _, a in legs]
    balances = {
        name: sum(pv_ * w[k] for pv_, (w, _) in zip(pvs, weights, strict=True))
        for k, name in enumerate(PARTIES)
    }
    npv = sum(pv_ * sign for pv_, (_, sign) in zip(pvs, weights, strict=True))
    nan = np.full(rows, np.nan)
    unit_col = np.repeat(units.unit_id, n_modes)
    mode_col = np.tile(np.array(modes, dtype=object), n_units)
    if not metrics:
        return Result(
            unit_col, mode_col, f, {}, np.empty((rows, 0)), npv, nan, nan, balances, {}, nan, nan
        )
    party_cf = np.zeros((len(PARTIES), rows, years))
    external = np.zeros((rows, years))
    for (_, _, a), (w, sign) in zip(legs, weights, strict=True):
        amount = full(a)
        for k in range(len(PARTIES)):
            if np.any(w[k]):
                party_cf[k] += amount * w[k][:, None]
        external += amount * sign[:, None]
    flows = {
        "compensation": -full((comp_owners + comp_coll, first_)),
        "demolition": -full((demolition, first_)),
        "construction": -full((construction, build_)),
        "infrastructure": -full((infrastructure, build_)),
        "fees": -full((fees, build_)),
        "land_premium": -full((premium, first_)),
        "land_transfer": -full((transfer, first_)),
        "interest": -interest,
        "sale_tax": -sale_tax,
        "operating_cost": -operating_cost,
        "rent_share": -rent_share,
        "sales": sales,
        "rent": rent,
        "added_tax": added_tax,
        "interest_subsidy": subsidy,
    }
    inflow = np.where(external > 0, external, 0.0) @ disc
    outflow = -(np.where(external < 0, external, 0.0) @ disc)
    return Result(
        unit_col,
        mode_col,
        f,
        flows,
        external,
        npv,
        irr(external),
        payback(external),
        balances,
        {name: party_cf[k] for k, name in enumerate(PARTIES)},
        inflow,
        outflow,
    )


def irr(
    cash_flow: np.ndarray, lo: float = -0.99, hi: float = 10.0, iterations: int = 64
) -> np.ndarray:
    """Internal rate of return per row by bisection (vectorised, Horner's rule for the NPV);
    NaN where the NPV does not change sign between ``lo`` and ``hi`` (e.g. never pays back).
    """
    flows = cash_flow.T  # years × rows

    def npv_at(r: np.ndarray) -> np.ndarray:
        x = 1.0 / (1.0 + r)
        acc = np.zeros_like(r)
        for row in flows[::-1]:
            acc = acc * x + row
        return acc

    a = np.full(cash_flow.shape[0], lo)
    b = np.full(cash_flow.shape[0], hi)
    fa, fb = npv_at(a), npv_at(b)
    ok = np.sign(fa) * np.sign(fb) < 0
    for _ in range(iterations):
        m = (a + b) / 2
        fm = npv_at(m)
        left = np.sign(fm) == np.sign(fa)
        a = np.where(left, m, a)
        fa = np.where(left, fm, fa)
        b = np.where(left, b, m)
    return np.where(ok, (a + b) / 2, np.nan)


def payback(cash_flow: np.ndarray) -> np.ndarray:
    """Years until the cumulative cash flow turns non-negative, interpolated within the year
    (flows at year starts: the k-th flow sits at time k); NaN if it never does, 0 if it never
    goes negative."""
    cum = np.cumsum(cash_flow, axis=1)
    neg = cum < 0
    ever_neg = neg.any(axis=1)
    # last year the cumulative is negative; payback follows it
    last_neg = cash_flow.shape[1] - 1 - np.argmax(neg[:, ::-1], axis=1)
    recovers = ever_neg & (last_neg < cash_flow.shape[1] - 1)
    k = np.minimum(last_neg + 1, cash_flow.shape[1] - 1)
    rows = np.arange(cash_flow.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = -cum[rows, last_neg] / cash_flow[rows, k]
    return np.where(~ever_neg, 0.0, np.where(recovers, last_neg + frac, np.nan))


def tornado(
    units: Units,
    params: ProformaParams,
    modes: tuple[str, ...] = MODES,
    fields_: tuple[str, ...] = SENSITIVITY_FIELDS,
) -> pd.DataFrame:
    """Project NPV with each parameter in ``fields_`` moved by ± the profile's
    ``sensitivity_step`` (others fixed): one row per unit × mode × parameter with
    ``npv_low_wan``, ``npv_high_wan`` and ``swing_wan`` (|high − low|)."""
    step = params.sensitivity_step
    base = appraise(units, params, modes, metrics=False)
    parts = []
    for name in fields_:
        value = getattr(params, name)
        low = appraise(
            units, replace(params, **{name: value * (1 - step)}), modes, metrics=False
        ).npv
        high = appraise(
            units, replace(params, **{name: value * (1 + step)}), modes, metrics=False
        ).npv
        parts.append(
            pd.DataFrame(
                {
                    "unit_id": base.unit_id,
                    "mode": base.mode,
                    "parameter": name,
                    "npv_base_wan": base.npv,
                    "npv_low_wan": low,
                    "npv_high_wan": high,
                    "swing_wan": np.abs(high - low),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def best_far(units: Units, params: ProformaParams, modes: tuple[str, ...] = MODES) -> pd.DataFrame:
    """Per unit × mode, the FAR of the profile's grid (not below the unit's target FAR,
    the policy floor) that maximises the project balance (NPV), with that NPV. The first
    (lowest) FAR wins a tie."""
    grid = np.asarray(params.far_grid, dtype="float64")
    npvs = np.stack(
        [
            appraise(units, params, modes, far=np.full(len(units.unit_id), g), metrics=False).npv
            for g in grid
        ],
        axis=1,
    )
    floor = np.repeat(units.target_far, len(modes))
    npvs = np.where(grid[None, :] >= floor[:, None] - 1e-9, npvs, -np.inf)
    pick = np.argmax(npvs, axis=1)
    rows = np.arange(npvs.shape[0])
    found = np.isfinite(npvs[rows, pick])
    return pd.DataFrame(
        {
            "unit_id": np.repeat(units.unit_id, len(modes)),
            "mode": np.tile(np.array(modes, dtype=object), len(units.unit_id)),
            "best_far": np.where(found, grid[pick], np.nan),
            "best_far_npv_wan": np.where(found, npvs[rows, pick], np.nan),
        }
    )


CENT = Decimal("0.01")


def to_wan(x: float) -> Decimal | None:
    """A float 万元 amount as Decimal rounded half-even to 0.01 万元 (None for NaN). The float's
    exact binary value is rounded, so the same float always gives the same Decimal."""
    if x is None or not np.isfinite(x):
        return None
    d = Decimal(float(x)).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return d if d else CENT * 0  # no "-0.00"


def wan_text(values: np.ndarray) -> list[str | None]:
    """Many amounts as the text of :func:`to_wan` (the same rounding: Python's ``.2f``
    rounds the exact binary value half-even, as ``Decimal.quantize`` does), fast."""
    arr = np.asarray(values, dtype="float64").ravel()
    out: list[str | None] = [format(x, ".2f") for x in arr.tolist()]
    for i in np.flatnonzero(~np.isfinite(arr)).tolist():
        out[i] = None
    for i in np.flatnonzero((arr <= 0) & (arr > -0.01)).tolist():  # no "-0.00"
        if out[i] == "-0.00":
            out[i] = "0.00"
    return out


def wan_decimals(values: np.ndarray) -> list[Decimal | None]:
    """Many amounts as :func:`to_wan` gives them (Decimal from the same text), fast."""
    return [None if x is None else Decimal(x) for x in wan_text(values)]
