"""Reading the append-only audit log a page at a time (newest first)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from indspace.store.store import Store


def audit_page(store: Store, *, limit: int, offset: int, table: str | None = None,
               actor: str | None = None) -> tuple[int, list[dict[str, Any]]]:
    """(total matching rows, one page of rows ordered by sequence number, newest first)."""
    t = store.table("audit_log")
    cond = [c for c in (t.c.table_name == table if table else None,
                        t.c.actor == actor if actor else None) if c is not None]
    with store.engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(t).where(*cond)).scalar_one()
        rows = conn.execute(sa.select(t).where(*cond).order_by(t.c.fid.desc())
                            .limit(limit).offset(offset)).mappings().all()
    return int(total), [dict(r) for r in rows]
