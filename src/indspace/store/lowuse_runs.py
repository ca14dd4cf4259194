"""Low-efficiency runs in the store: written once with their parcels and units (issue #6)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from indspace.core.errors import NotFoundError
from indspace.store.runs import _append, next_version
from indspace.store.store import Store


def save_lowuse_run(store: Store, run: dict[str, Any], parcels: pd.DataFrame,
                    units: pd.DataFrame) -> dict[str, Any]:
    """Insert the run and its rows in one transaction; ``run_id`` = lowuse-YEAR-vN."""
    t = store.table("lowuse_runs")
    with store._write() as conn:
        n = next_version(store, conn, sa.select(sa.func.count()).select_from(t)
                         .where(t.c.year == run["year"]), f"lowuse_runs:{run['year']}")
        run_id = f"lowuse-{run['year']}-v{n}"
        row = {**run, "run_id": run_id}
        conn.execute(sa.insert(t).values(**row))
        _append(store, conn, "lowuse_parcels", parcels.assign(run_id=run_id))
        _append(store, conn, "lowuse_units", units.assign(run_id=run_id))
        store._audit(conn, run["created_at"], run["actor"], "lowuse", "lowuse_runs", run_id,
                     None, run["summary_json"], "")
    return row


def list_lowuse_runs(store: Store) -> pd.DataFrame:
    t = store.table("lowuse_runs")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.fid)).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in t.columns])


def read_lowuse_units(store: Store, run_id: str) -> pd.DataFrame:
    t = store.table("lowuse_units")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t).where(t.c.run_id == run_id)
                            .order_by(t.c.unit_id)).mappings().all()
    if not rows:
        raise NotFoundError(f"低效用地批次 {run_id} 不存在或无单元",
                            f"low-efficiency run {run_id} not found or empty",
                            where="lowuse_units")
    frame = pd.DataFrame([dict(r) for r in rows])
    frame["detail"] = frame["detail_json"].map(json.loads)
    return frame


def read_lowuse_unit_areas(store: Store, run_id: str) -> pd.DataFrame:
    """unit_id, district and area_mu (亩) of a run's units (no detail: a light read for
    totals); empty for a run without units."""
    t = store.table("lowuse_units")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.unit_id, t.c.district, t.c.area_mu)
                            .where(t.c.run_id == run_id).order_by(t.c.unit_id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["unit_id", "district", "area_mu"])


def lowuse_parcel(store: Store, run_id: str, parcel_id: str) -> dict[str, Any] | None:
    """One parcel's row of a low-efficiency run (criteria, triggers, unit), or None when the
    run did not flag it."""
    t = store.table("lowuse_parcels")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t.c.parcel_id, t.c.criteria, t.c.triggers, t.c.unit_id)
                           .where(t.c.run_id == run_id, t.c.parcel_id == parcel_id)
                           ).mappings().first()
    return dict(row) if row else None


def read_lowuse_parcel_units(store: Store, run_id: str) -> pd.DataFrame:
    """parcel_id → unit_id of every parcel a low-efficiency run flagged (unit_id may be
    missing for a parcel outside every unit)."""
    t = store.table("lowuse_parcels")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.parcel_id, t.c.unit_id).where(t.c.run_id == run_id)
                            .order_by(t.c.parcel_id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["parcel_id", "unit_id"])
