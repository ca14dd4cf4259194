"""Clause references of land supply (供地条款引用): which document and article each contract
condition of a supply plan cites, and the basis of the contract monitor's acceptance rule —
reference data shipped in ``policy/clauses/supply.yaml``, read once."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict

from indspace.core.policy.bundled import read_bundled


class Condition(BaseModel):
    """A contract condition: the project's key, its bilingual label and the clause cited."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    label: str
    clause: str


class SupplyClauses(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    plan_conditions: tuple[Condition, ...]
    far_window_label: str
    investment_intensity: Condition
    priority_note: str
    acceptance_basis: str


@cache
def supply_clauses() -> SupplyClauses:
    """The bundled clause references (read and checked once per process)."""
    return read_bundled(SupplyClauses, "clauses", "supply", "条款引用文件", "the clause file")
