"""Contracts and their events as the monitor reads them (issue #17), fast and exact.

:meth:`Store.read_frame` gives each money cell as a ``decimal.Decimal`` and each day as a
``datetime.date`` — right for a page of rows, slow for 100 000 contracts and 450 000 events
(one Python object built and parsed per cell). Here the same current rows come back with
money as exact ``int64`` units of 10⁻⁶ 万元 (1 分; :data:`~indspace.core.model.money.MISSING`
for empty) and days as ``datetime64[D]``: the database hands each amount and day as text
(GeoPackage keeps them as text; PostGIS casts ``NUMERIC`` and ``DATE`` to text) and Arrow
parses whole columns in C (:func:`~indspace.core.model.money.micro_wan_text`); nothing is
rounded and no float is involved. Both backends give identical frames.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from indspace.core.model.entities import ENTITIES
from indspace.core.model.money import micro_wan_text
from indspace.store.store import Store

CONTRACT_COLUMNS = (
    "contract_id",
    "parcel_id",
    "credit_code",
    "mode",
    "signed",
    "term_years",
    "price_wan",
    "area_m2",
    "start_deadline",
    "completion_deadline",
    "investment_commitment_wan",
    "tax_per_mu_commitment_wan",
    "idle_cause",
    "installment_special",
)
EVENT_COLUMNS = (
    "contract_id",
    "event",
    "date",
    "amount_wan",
    "developed_area_m2",
    "invested_wan",
)


def _scope(store: Store, credit_code: str | None, district: str | None) -> list[Any]:
    """WHERE conditions on ``contracts`` for one firm and/or the parcels of one district."""
    t = store.table("contracts")
    conds: list[Any] = []
    if credit_code is not None:
        conds.append(t.c.credit_code == credit_code)
    if district is not None:
        parcels = store.table("parcels")
        conds.append(
            t.c.parcel_id.in_(sa.select(parcels.c.parcel_id).where(parcels.c.district == district))
        )
    return conds


def _fetch(
    store: Store, name: str, columns: tuple[str, ...], where: list[Any]
) -> dict[str, list[Any]]:
    """Columns of the current rows of ``name`` from the DBAPI cursor, in natural-key order
    (code-point order of the text, as :meth:`Store.read_frame` sorts: PostgreSQL compares
    with the ``C`` collation): money, days and text as text (no type processing per cell),
    numbers and booleans as the driver gives them."""
    t = store.table(name)
    entity = ENTITIES[name]
    fields = {f.name: f for f in entity.fields}
    sel = [
        sa.cast(t.c[c], sa.Text).label(c)
        if fields[c].dtype in ("decimal", "date")
        else sa.type_coerce(t.c[c], sa.Text).label(c)
        if fields[c].dtype == "text"
        else t.c[c]
        for c in columns
    ]
    order = [
        store.key_order(t.c[k], fields[k].dtype == "text") for k in entity.key
    ]
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(*sel).where(*where).order_by(*order)).cursor.fetchall()
    return {c: [r[i] for r in rows] for i, c in enumerate(columns)}  # faster than zip(*rows)


def _convert(name: str, data: dict[str, list[Any]]) -> pd.DataFrame:
    """Text and driver values → typed columns: money int64 units, days datetime64[D],
    floats float64 (NaN for empty), ints int64, booleans bool (empty = False), text object."""
    fields = {f.name: f for f in ENTITIES[name].fields}
    out: dict[str, Any] = {}
    for c, vals in data.items():
        kind = fields[c].dtype
        if kind == "decimal":
            out[c] = micro_wan_text(vals)
        elif kind == "date":
            days = pc.cast(pa.array(vals, type=pa.string()), pa.date32())
            out[c] = np.asarray(days.to_numpy(zero_copy_only=False), dtype="datetime64[D]")
        elif kind == "float":
            out[c] = np.array(vals, dtype="float64")
        elif kind == "int":
            out[c] = np.array(vals, dtype="int64")
        elif kind == "bool":
            out[c] = np.array([bool(v) for v in vals], dtype=bool)
        else:
            out[c] = pd.Series(vals, dtype=object)
    return pd.DataFrame(out)


def read_contracts_exact(
    store: Store, *, credit_code: str | None = None, district: str | None = None
) -> pd.DataFrame:
    """Current contracts (:data:`CONTRACT_COLUMNS`), optionally one firm's and/or those on one
    district's parcels, sorted by ``contract_id``; money in int64 units of 10⁻⁶ 万元, days
    ``datetime64[D]``. ``term_years`` is required by the contract (int64)."""
    return _convert(
        "contracts",
        _fetch(store, "contracts", CONTRACT_COLUMNS, _scope(store, credit_code, district)),
    )


def read_events_exact(
    store: Store, *, credit_code: str | None = None, district: str | None = None
) -> pd.DataFrame:
    """Current events (:data:`EVENT_COLUMNS`) of the contracts
    :func:`read_contracts_exact` reads with the same filters, sorted by contract, event and
    day; money in int64 units of 10⁻⁶ 万元, days ``datetime64[D]``."""
    where: list[Any] = []
    scope = _scope(store, credit_code, district)
    if scope:
        c = store.table("contracts")
        e = store.table("contract_events")
        where.append(e.c.contract_id.in_(sa.select(c.c.contract_id).where(*scope)))
    return _convert("contract_events", _fetch(store, "contract_events", EVENT_COLUMNS, where))
