"""Supply planning for one parcel (issue #17, land-rules E1–E10), pure.

Given the parcel (area, district, national land grade, its neighbours' owners), the project
(``P.json``: the firm, flags, commitments) and the profile's values in force, it answers:
the allowed supply modes and terms, the reserve-price floor from the national minimum-price
table by land grade (国土资发〔2006〕307号) and the priority floor (≥ 70 % of the minimum for a
listed priority project that is both in a provincial priority industry and land-intensive,
never below the land cost; 国土资发〔2009〕56号), eligibility for a negotiated grant of a
零星地块 to a neighbour (MLR Order 21) and for joint bidding, and the conditions to write into
the contract — each item with its clause. Money is exact ``Decimal`` (万元 or 元/m²).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from indspace.core.model.money import to_decimal
from indspace.core.policy.clauses import SupplyClauses

MU_M2 = Decimal(2000) / Decimal(3)
_FEN = Decimal("0.000001")  # 1 分 in 万元


@dataclass(frozen=True)
class PlanParams:
    """Profile values in force on the planning day, each ``(value, source)``."""

    terms: tuple[dict[str, Any], str]
    min_price_by_grade: tuple[list[float], str]
    priority: tuple[dict[str, Any], str]
    agreement: tuple[dict[str, Any], str]
    far_floor: tuple[float | None, str]
    clauses: SupplyClauses
    """The conditions' labels and clauses, and the notes (``policy/clauses/supply.yaml``)."""


def _wan(yuan_m2: Decimal, area_m2: Decimal) -> Decimal:
    return (yuan_m2 * area_m2 / Decimal(10_000)).quantize(_FEN, rounding=ROUND_HALF_EVEN)


def _text(d: Decimal) -> str:
    return format(d.normalize(), "f")


def plan(
    parcel: dict[str, Any],
    project: dict[str, Any],
    params: PlanParams,
    *,
    designations: list[str] | None = None,
    chain_361: bool = False,
) -> dict[str, Any]:
    """The supply plan of ``parcel`` for ``project`` (see the module docstring).

    ``parcel``: ``parcel_id``, ``area_m2``, ``district``, ``land_grade`` (1–15),
    ``neighbour_owners`` (credit codes of the owners of adjacent parcels). ``project``: the
    keys of docs/supply.md (``credit_code``, ``industry_code``, ``mode``, ``term_years``,
    ``land_intensive``, ``provincial_priority_industry``, ``land_cost_yuan_m2``,
    ``scattered_parcel``, ``co_bidders``, commitments …). ``designations``: the firm's
    designations valid on the day; ``chain_361``: the firm is in a "361" chain.
    """
    area = to_decimal(parcel["area_m2"])
    terms, terms_src = params.terms
    max_years: dict[str, int] = terms["max_years"]
    ltg_lease = int(terms["lease_then_grant_lease_years"])
    modes = []
    for mode, years in max_years.items():
        item: dict[str, Any] = {"mode": mode, "max_years": int(years), "clause": terms_src}
        if mode == "flexible_term":
            item["default_years"] = int(terms["flexible_term_default_years"])
        if mode == "lease_then_grant":
            # 先租后让: lease first, then a negotiated grant; lease + grant ≤ the maximum
            item["lease_years"] = ltg_lease
            item["grant_years_max"] = int(years) - ltg_lease
        modes.append(item)
    wanted = project.get("mode")
    term = project.get("term_years")
    term_ok = None
    if wanted is not None and term is not None and wanted in max_years:
        term_ok = int(term) <= int(max_years[wanted])

    # reserve price: national minimum by grade, the priority floor, the land cost
    table, table_src = params.min_price_by_grade
    grade = parcel.get("land_grade")
    minimum = None if grade is None else to_decimal(table[int(grade) - 1])
    prio, prio_src = params.priority
    desig = sorted(
        set(designations or []) | {k for k in ("little_giant", "single_champion") if project.get(k)}
    )
    listed = [d for d in desig if d in prio["designations"]]
    reasons = [
        *listed,
        *(
            ["chain_361"]
            if (chain_361 or project.get("chain_361")) and prio.get("chain_361")
            else []
        ),
    ]
    qualifies = (
        bool(reasons)
        and bool(project.get("land_intensive"))
        and bool(project.get("provincial_priority_industry"))
    )
    ratio = to_decimal(prio["price_floor_ratio"])
    cost = project.get("land_cost_yuan_m2")
    floor = minimum
    if minimum is not None and qualifies:
        floor = minimum * ratio
        if cost is not None:
            floor = max(floor, to_decimal(cost))
    price: dict[str, Any] = {
        "land_grade": grade,
        "clause": table_src,
        "min_price_yuan_m2": None if minimum is None else _text(minimum),
        "min_total_wan": None if minimum is None else _text(_wan(minimum, area)),
        "priority": qualifies,
        "priority_reasons": reasons,
        "priority_clause": prio_src,
        "priority_floor_ratio": _text(ratio),
        "reserve_floor_yuan_m2": None if floor is None else _text(floor),
        "reserve_floor_total_wan": None if floor is None else _text(_wan(floor, area)),
    }
    if reasons and not qualifies:
        price["priority_note"] = params.clauses.priority_note

    agreement, agreement_src = params.agreement
    code = project.get("credit_code")
    neighbour = code is not None and code in set(parcel.get("neighbour_owners") or [])
    cap = agreement.get("scattered_parcel_max_area_mu")
    small_enough = cap is None or area / MU_M2 <= to_decimal(cap)
    scattered = bool(project.get("scattered_parcel"))
    negotiated = {
        "eligible": bool(neighbour and scattered and small_enough),
        "adjacent_to_applicant": bool(neighbour),
        "not_usable_alone": scattered,
        "within_area_cap": bool(small_enough),
        "price_floor_yuan_m2": None
        if minimum is None
        else _text(max([minimum, *([to_decimal(cost)] if cost is not None else [])])),
        "clause": agreement_src,
    }
    bidders = project.get("co_bidders") or []
    shares = [to_decimal(b.get("share", 0)) for b in bidders]
    joint = {
        "eligible": bool(agreement.get("joint_bidding"))
        and len(bidders) >= 2
        and sum(shares, Decimal(0)) == 1,
        "bidders": len(bidders),
        "public_sale": True,
        "clause": agreement_src,
    }

    far_floor, far_src = params.far_floor
    conditions = []
    for c in params.clauses.plan_conditions:
        if project.get(c.key) is not None:
            value = str(project[c.key])
            conditions.append(
                {"condition": c.key, "label": c.label, "value": value, "clause": c.clause}
            )
    if far_floor is not None:
        far_max = project.get("far_max")
        conditions.append(
            {
                "condition": "far_window",
                "label": params.clauses.far_window_label,
                "value": f"{far_floor:g}–{far_max if far_max is not None else '—'}",
                "clause": far_src,
            }
        )
    if project.get("investment_commitment_wan") is not None:
        per_mu = to_decimal(project["investment_commitment_wan"]) / (area / MU_M2)
        intensity = params.clauses.investment_intensity
        conditions.append(
            {
                "condition": intensity.key,
                "label": intensity.label,
                "value": _text(per_mu.quantize(Decimal("0.01"))),
                "clause": intensity.clause,
            }
        )
    return {
        "parcel_id": parcel["parcel_id"],
        "area_m2": float(area),
        "area_mu": _text((area / MU_M2).quantize(Decimal("0.0001"))),
        "district": parcel.get("district"),
        "modes": modes,
        "requested": {"mode": wanted, "term_years": term, "term_allowed": term_ok},
        "reserve_price": price,
        "negotiated_grant": negotiated,
        "joint_bidding": joint,
        "conditions": conditions,
    }
