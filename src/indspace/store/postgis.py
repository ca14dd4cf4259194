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
