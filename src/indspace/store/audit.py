"""The append-only audit log: hash-chained entries, a page at a time, and verification.

Each entry stores ``prev_hash`` (the previous entry's ``entry_hash``; 64 zeros for the first)
and ``entry_hash`` = SHA-256 of its canonical content (:func:`canonical`: the fields as JSON
with sorted keys, times as UTC ISO text to the millisecond, the previous hash included). An
edited entry no longer matches its hash; a removed one breaks the next entry's link.
Appending takes the writer's lock first (SQLite: the ``BEGIN IMMEDIATE`` of every store write;
PostgreSQL: a transaction-scoped advisory lock), so two writers never chain onto the same
entry."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from indspace.store.store import Store

GENESIS = "0" * 64
FIELDS = ("at", "effective_at", "actor", "action", "table_name", "record_key", "before_json",
          "after_json", "reason")


def utc_ms(value: datetime | None) -> datetime | None:
    """A timestamp in UTC, truncated to the millisecond (what both backends keep)."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        v = value.astimezone(UTC)
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"
    return value


def canonical(row: dict[str, Any], prev_hash: str) -> str:
    """The text an entry's hash covers."""
    body = {k: _text(row.get(k)) for k in FIELDS}
    body["prev_hash"] = prev_hash
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(row: dict[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(row, prev_hash).encode()).hexdigest()


def append(conn: Connection, t: sa.Table, lock: Callable[[Connection, str], None],
           row: dict[str, Any]) -> None:
    """Insert one entry chained onto the last one, under the audit lock (``lock``: the
    store's :meth:`~indspace.store.store.Store.xact_lock`)."""
    lock(conn, "indspace:audit_log")
    prev = conn.execute(sa.select(t.c.entry_hash).order_by(t.c.fid.desc()).limit(1)
                        ).scalar()
    prev = prev or GENESIS
    row = {**row, "at": utc_ms(row["at"]), "effective_at": utc_ms(row.get("effective_at"))}
    conn.execute(sa.insert(t).values(**row, prev_hash=prev, entry_hash=entry_hash(row, prev)))


def append_legacy(conn: Connection, t: sa.Table, *, at: datetime, actor: str, action: str,
                  table: str, key: str, before: str | None, after: str | None,
                  reason: str) -> None:
    """An entry in a store older than revision 0009 (no chain columns yet; the migration
    chains it later)."""
    conn.execute(sa.insert(t).values(at=at, actor=actor, action=action, table_name=table,
                                     record_key=key, before_json=before, after_json=after,
                                     reason=reason))


def verify_rows(rows: list[dict[str, Any]]) -> tuple[int, dict[str, Any] | None, str]:
    """(entries checked, the first bad entry or None, what is wrong with it)."""
    prev = GENESIS
    for n, row in enumerate(rows):
        if row["prev_hash"] != prev:
            return n, row, "link"
        if row["entry_hash"] != entry_hash(row, prev):
            return n, row, "hash"
        prev = row["entry_hash"]
    return len(rows), None, ""


def verify(store: Store) -> tuple[int, dict[str, Any] | None, str]:
    """Check the whole chain in sequence order; see :func:`verify_rows`."""
    t = store.table("audit_log")
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(t).order_by(t.c.fid)).mappings()]
    return verify_rows(rows)


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
