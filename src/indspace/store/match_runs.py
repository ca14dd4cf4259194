"""Supply–demand matching runs in the store (issue #19): written once with one row per
demand; pages and exports read them back, never re-solving."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from indspace.core.errors import NotFoundError
from indspace.store.runs import _append, next_version
from indspace.store.store import Store
from indspace.store.tables import MATCH_RESULT_COLUMNS

RESULT_COLUMNS = [c[0] for c in MATCH_RESULT_COLUMNS]


def save_match_run(store: Store, run: dict[str, Any], rows: pd.DataFrame) -> dict[str, Any]:
    """Insert the run and its rows in one transaction; ``run_id`` = match-AS_OF-vN."""
    t = store.table("match_runs")
    day = run["as_of"].isoformat()
    with store._write() as conn:
        n = next_version(
            store,
            conn,
            sa.select(sa.func.count()).select_from(t).where(t.c.as_of == run["as_of"]),
            f"match_runs:{day}",
        )
        run_id = f"match-{day}-v{n}"
        row = {**run, "run_id": run_id}
        conn.execute(sa.insert(t).values(**row))
        _append(store, conn, "match_results", rows[RESULT_COLUMNS].assign(run_id=run_id))
        store._audit(
            conn,
            run["created_at"],
            run["actor"],
            "match",
            "match_runs",
            run_id,
            None,
            run["summary_json"],
            "",
        )
    return row


def list_match_runs(store: Store) -> pd.DataFrame:
    t = store.table("match_runs")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.fid)).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in t.columns])


def get_match_run(store: Store, run_id: str) -> dict[str, Any]:
    t = store.table("match_runs")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.run_id == run_id)).mappings().first()
    if row is None:
        raise NotFoundError(
            f"没有匹配批次 {run_id}", f"no matching run {run_id}", where="match_runs"
        )
    return dict(row)


def read_match_results(store: Store, run_id: str) -> pd.DataFrame:
    """The rows of a run, by demand id."""
    t = store.table("match_results")
    cols = [t.c[c] for c in RESULT_COLUMNS]
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(*cols).where(t.c.run_id == run_id).order_by(t.c.demand_id)
        ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=RESULT_COLUMNS)
