"""PostGIS-specific operations: the extension and binary-COPY bulk loading (called by
:class:`~indspace.store.postgis_store.PostgisStore`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from indspace.core.errors import StoreError


def ensure_extension(conn: Connection) -> None:
    """Create the postgis extension if missing, with a clear error when it is not installed."""
    have = conn.execute(sa.text(
        "SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).scalar()
    if have:
        return
    try:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except sa.exc.DBAPIError as e:
        raise StoreError(
            "PostgreSQL 未安装 PostGIS 扩展", "the PostGIS extension is not available",
            hint_zh="apt-get install postgresql-15-postgis-3"
                    "（或由管理员 CREATE EXTENSION postgis）",
            hint_en="apt-get install postgresql-15-postgis-3 (or have an admin CREATE EXTENSION "
                    "postgis)") from e


def copy_rows(conn: Connection, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]],
              *, binary: bool = False) -> None:
    """Stream rows into ``table`` with COPY (psycopg 3), inside the caller's transaction.

    Text COPY (the default) lets the server parse each value into the column's type, so
    loosely typed rows (a day as ISO text, a float in a numeric column) load as they are.
    With ``binary`` (the entity bulk writes, whose values are typed per the contract)
    binary COPY sends each value in PostgreSQL's own binary form: no text to format on
    this side nor to parse on the server (a geometry goes as EWKB bytes, read by PostGIS's
    ``geometry_recv``). The server applies no cast in binary COPY, so each column is sent
    as the type the table declares (read from the catalogue). Values: ``str``, ``int``,
    ``float``, ``bool``, ``Decimal``, ``date``, aware ``datetime``, ``bytes`` (EWKB for a
    geometry column) or None. A column whose type has no binary dumper in psycopg falls
    back to text COPY for the whole call."""
    raw = conn.connection.driver_connection
    assert raw is not None
    cols = ", ".join(f'"{c}"' for c in columns)
    oids = _binary_oids(raw, table, columns) if binary else None
    fmt = " (FORMAT BINARY)" if oids is not None else ""
    with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN{fmt}') as cp:
        if oids is not None:
            cp.set_types(oids)
        for row in rows:
            cp.write_row(row)


class _Ewkb:
    """Marker type of the geometry dumper (never instantiated: COPY picks the dumper by the
    column's oid, and the value is EWKB bytes)."""


def _binary_oids(raw: Any, table: str, columns: list[str]) -> list[int] | None:
    """The type oid of each of ``columns`` of ``table``, with a binary dumper for each
    registered on ``raw`` (the geometry one included), or None if one has no dumper."""
    from psycopg import errors, pq
    from psycopg.adapt import Dumper

    with raw.cursor() as cur:
        found = {name: (oid, typname) for name, oid, typname in cur.execute(
            "SELECT a.attname, a.atttypid::int, t.typname FROM pg_attribute a "
            "JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = %s::regclass "
            "AND a.attnum > 0 AND NOT a.attisdropped", (f'"{table}"',)).fetchall()}
    oids = []
    for c in columns:
        oid, name = found[c]
        if name == "geometry":
            geometry_oid = oid

            class EwkbDumper(Dumper):
                format = pq.Format.BINARY
                oid = geometry_oid

                def dump(self, obj: Any) -> bytes:
                    return bytes(obj)

            raw.adapters.register_dumper(_Ewkb, EwkbDumper)
        try:
            raw.adapters.get_dumper_by_oid(oid, pq.Format.BINARY)
        except errors.ProgrammingError:
            return None
        oids.append(oid)
    return oids


BULK_MIN_ROWS = 10_000
"""Rows into an empty table from which its indexes are built after the load instead of
kept up row by row (one sorted build per index: the GiST of the geometry, the unique key's
B-tree)."""


@contextmanager
def indexes_after_load(conn: Connection, table: str, rows: int) -> Iterator[None]:
    """Inside the caller's transaction: when ``table`` is empty and ``rows`` ≥
    :data:`BULK_MIN_ROWS`, drop its indexes and unique constraints for the ``with`` block
    and build them again after it (from their own catalogue definitions), then ANALYZE it.
    A duplicate key then fails at the rebuild (a unique violation, the whole write undone,
    as before). Otherwise nothing changes: indexes are kept up as rows arrive.

    Readers of the table wait for the write to commit (DROP INDEX locks the table), which
    for a table that was empty loses them nothing."""
    if rows < BULK_MIN_ROWS or conn.execute(
            sa.text(f'SELECT EXISTS (SELECT 1 FROM "{table}")')).scalar():
        yield
        return
    regclass = f'"{table}"'
    constraints = conn.execute(sa.text(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = CAST(:t AS regclass) AND contype = 'u' ORDER BY conname"),
        {"t": regclass}).all()
    indexes = conn.execute(sa.text(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = CAST(:t AS regclass) AND NOT x.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
        "ORDER BY i.relname"), {"t": regclass}).all()
    for name, _ in constraints:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, ddl in indexes:
        conn.exec_driver_sql(ddl)
    for name, ddl in constraints:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {ddl}')
    conn.exec_driver_sql(f'ANALYZE "{table}"')


def ensure_database(url: sa.URL) -> bool:
    """Create the database named in ``url`` when it does not exist yet (needs CREATEDB).

    Returns True when it was created. Connects to the server's ``postgres`` database to do so.
    """
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                  {"d": url.database}).scalar()
            if not exists:
                name = str(url.database).replace('"', '""')
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            return not exists
    except sa.exc.OperationalError as e:
        raise StoreError(
            f"无法连接 PostgreSQL：{url.render_as_string(hide_password=True)}",
            f"cannot connect to PostgreSQL at {url.render_as_string(hide_password=True)}",
            hint_zh="检查服务是否启动、地址与权限", hint_en="check that the server runs, the "
            "address and the credentials") from e
    finally:
        admin.dispose()
