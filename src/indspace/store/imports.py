"""Reading past imports and their quarantined rows (the validation report) from the store."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from indspace.core.errors import NotFoundError
from indspace.store.store import Store


def list_imports(store: Store, limit: int = 200) -> list[dict[str, Any]]:
    t = store.table("import_runs")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.fid.desc()).limit(limit)).mappings().all()
    return [{k: v for k, v in r.items() if k != "fid"} for r in rows]


def import_issues(store: Store, import_id: str, limit: int = 1000) -> list[dict[str, Any]]:
    """The quarantined rows of one import (first ``limit``), in file order; 404 when the
    import does not exist."""
    runs, q = store.table("import_runs"), store.table("import_quarantine")
    with store.engine.connect() as conn:
        if conn.execute(sa.select(runs.c.fid).where(runs.c.import_id == import_id)).first() \
                is None:
            raise NotFoundError(f"导入批次 {import_id} 不存在", f"import {import_id} not found",
                                where="import_runs")
        rows = conn.execute(
            sa.select(q.c.source_row, q.c.field, q.c.code, q.c.severity, q.c.message_zh,
                      q.c.message_en, q.c.value)
            .where(q.c.import_id == import_id).order_by(q.c.source_row, q.c.fid).limit(limit)
        ).mappings().all()
    return [dict(r) for r in rows]
