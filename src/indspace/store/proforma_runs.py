"""Pro forma runs in the store: written once with their unit × mode rows (issue #18)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from indspace.core.errors import NotFoundError
from indspace.store.runs import _append, next_version
from indspace.store.store import Store


def save_proforma_run(store: Store, run: dict[str, Any], results: pd.DataFrame) -> dict[str, Any]:
    """Insert the run and its rows in one transaction;
    ``run_id`` = proforma-<low-efficiency run>-vN."""
    t = store.table("proforma_runs")
    lowuse_run_id = run["lowuse_run_id"]
    with store._write() as conn:
        n = next_version(
            store,
            conn,
            sa.select(sa.func.count()).select_from(t).where(t.c.lowuse_run_id == lowuse_run_id),
            f"proforma_runs:{lowuse_run_id}",
        )
        run_id = f"proforma-{lowuse_run_id}-v{n}"
        row = {**run, "run_id": run_id}
        conn.execute(sa.insert(t).values(**row))
        _append(
            store,
            conn,
            "proforma_results",
            results.assign(run_id=run_id, lowuse_run_id=lowuse_run_id),
        )
        store._audit(
            conn,
            run["created_at"],
            run["actor"],
            "proforma",
            "proforma_runs",
            run_id,
            None,
            run["summary_json"],
            "",
        )
    return row


def list_proforma_runs(store: Store, lowuse_run_id: str | None = None) -> pd.DataFrame:
    t = store.table("proforma_runs")
    q = sa.select(t).order_by(t.c.fid)
    if lowuse_run_id is not None:
        q = q.where(t.c.lowuse_run_id == lowuse_run_id)
    with store.engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in t.columns])


def read_proforma_results(store: Store, run_id: str, unit_id: str | None = None) -> pd.DataFrame:
    """A pro forma run's rows (optionally one unit's), ordered by unit and mode."""
    t = store.table("proforma_results")
    q = sa.select(t).where(t.c.run_id == run_id)
    if unit_id is not None:
        q = q.where(t.c.unit_id == unit_id)
    with store.engine.connect() as conn:
        rows = conn.execute(q.order_by(t.c.unit_id, t.c.fid)).mappings().all()
    if not rows:
        raise NotFoundError(
            f"资金平衡测算批次 {run_id} 不存在或无结果",
            f"pro forma run {run_id} not found or empty",
            where="proforma_results",
        )
    return pd.DataFrame([dict(r) for r in rows]).drop(columns=["fid"])
