"""PostGIS-specific operations: the extension and COPY-based bulk loading."""

from __future__ import annotations

from collections.abc import Iterable
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


def copy_rows(conn: Connection, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]
              ) -> None:
    """Stream rows into ``table`` with COPY (psycopg 3), inside the caller's transaction."""
    raw = conn.connection.driver_connection
    assert raw is not None
    cols = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as cp:
        for row in rows:
            cp.write_row(row)
