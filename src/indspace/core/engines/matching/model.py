"""The values the matching passes around: the profile's weights, the optional context of the
weighted objective, the candidate pairs, an assignment and the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MatchWeights:
    """Profile parameter ``matching_weights`` (dimensionless weights; scales in m; the slack
    under which a constraint is reported binding as a share of the requirement, and in days
    for timing)."""

    serve: float
    rent: float
    chain_leader: float
    chain_suppliers: float
    park_specialisation: float
    commute: float
    affinity_scale_m: float
    commute_scale_m: float
    binding_slack_share: float
    binding_slack_days: int
    source: str = ""

    @classmethod
    def from_value(cls, value: dict[str, Any], source: str = "") -> MatchWeights:
        """From the profile's dated value (a mapping of the field names).

        >>> MatchWeights.from_value({"serve": 1, "rent": 1, "chain_leader": 0.5,
        ...     "chain_suppliers": 0.25, "park_specialisation": 0.5, "commute": 0.25,
        ...     "affinity_scale_m": 5000, "commute_scale_m": 10000,
        ...     "binding_slack_share": 0.05, "binding_slack_days": 30}).serve
        1.0
        """
        floats = (
            "serve",
            "rent",
            "chain_leader",
            "chain_suppliers",
            "park_specialisation",
            "commute",
            "affinity_scale_m",
            "commute_scale_m",
            "binding_slack_share",
        )
        kw: dict[str, Any] = {k: float(value[k]) for k in floats}
        kw["binding_slack_days"] = int(value["binding_slack_days"])
        return cls(**kw, source=source)


@dataclass
class MatchContext:
    """What the weighted objective reads beyond the two tables (all optional)."""

    anchors: pd.DataFrame | None = None
    park_chains: pd.DataFrame | None = None


@dataclass
class Pairs:
    """Candidate pairs meeting every hard constraint (positions into the inputs)."""

    d: np.ndarray
    s: np.ndarray
    passing: dict[str, np.ndarray] = field(default_factory=dict)
    """Per constraint, per demand: how many spaces of its kind pass that constraint alone
    (kind: spaces of the kind; area: within the window; others — counted only for demands
    without any pair — within the window and passing that constraint): the reasons of a
    demand no space fits."""


@dataclass
class Solution:
    """An assignment: matched pair indices into :class:`Pairs` and its objective."""

    chosen: np.ndarray
    served: int
    rent_units: int
    """Σ rent × area in 10⁻⁴ 元 per month."""
    score_units: int
    """Σ score in 10⁻⁶."""
    optimal: bool


@dataclass
class MatchResult:
    matches: pd.DataFrame
    summary: dict[str, Any]
