"""The GeoPackage backend of :class:`~indspace.store.store.Store` (the embedded default).

One SQLite file that ``ogrinfo`` and QGIS read (see :mod:`indspace.store.gpkg`): writes take
SQLite's write lock up front (``BEGIN IMMEDIATE``), so one writer at a time and no row
locks; the spatial index is the GeoPackage R-tree ``rtree_<table>_geom``, which bulk writes
keep themselves (:func:`indspace.store.gpkg.bulk_insert`); geometry is the GeoPackage
binary (a header, then WKB).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from indspace.core.errors import StoreError
from indspace.core.model.entities import Entity
from indspace.store import gpkg
from indspace.store.frames import frame_columns, row_columns
from indspace.store.geometry import from_gpkg, to_gpkg
from indspace.store.sqlite_rows import insert_columns
from indspace.store.store import WRITE_WAIT_S, Backend, Store
from indspace.store.tables import GEOM
from indspace.store.types import UtcDateTime
from indspace.store.writer_lock import file_lock


class GpkgStore(Store):
    """A store in one GeoPackage file."""

    backend: ClassVar[Backend] = "gpkg"

    def __init__(self, db: str | Path, *, write_wait_s: float = WRITE_WAIT_S) -> None:
        super().__init__(db, write_wait_s=write_wait_s)
        self.path = Path(self.url.removeprefix("sqlite:///"))

    @property
    def file(self) -> Path:
        assert self.path is not None
        return self.path

    # ---------------------------------------------------------------- lifecycle
    @classmethod
    def _make_engine(cls, url: str) -> Engine:
        engine = sa.create_engine(url, connect_args={"isolation_level": None})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, record: Any) -> None:
            gpkg.on_connect(dbapi_conn, record)

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # pysqlite's own transaction handling skips DDL; take control so that every
            # write (DDL included) is one atomic transaction (SQLAlchemy's documented recipe).
            # Writers take the write lock up front (IMMEDIATE), readers do not (DEFERRED).
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    @property
    def display_name(self) -> str:
        return str(self.file)

    def _check_exists(self) -> None:
        if not self.file.exists():
            raise StoreError(
                f"数据库文件不存在：{self.file}",
                f"store file not found: {self.file}",
                hint_zh="先运行 indspace init 或 indspace demo",
                hint_en="run `indspace init` or `indspace demo` first",
            )

    def _prepare_create(self, overwrite: bool) -> None:
        path = self.file
        if path.exists():
            if not overwrite:
                raise StoreError(
                    f"文件已存在：{path}",
                    f"file exists: {path}",
                    hint_zh="加 --overwrite 以重建",
                    hint_en="pass --overwrite",
                )
            self.engine.dispose()
            path.unlink()
            for suffix in ("-wal", "-shm", "-journal"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)

    def _write_failure(self, e: sa.exc.OperationalError) -> StoreError | None:
        if "locked" not in str(e.orig).lower():
            return None
        return StoreError(
            "数据库正被其他程序写入，等待后仍无法写入",
            "the store is being written by another program and stayed locked",
            where=self.display_name,
            hint_zh="稍后重试；如有 QGIS 等程序正在编辑该文件，请先保存并关闭",
            hint_en="retry later; if QGIS or another program is editing the file, "
            "save and close it first",
        )

    def _writer_lock(
        self, wait_s: float, on_wait: Callable[[str], None] | None
    ) -> contextlib.AbstractContextManager[None]:
        return file_lock(self.file, wait_s, on_wait)

    # ---------------------------------------------------------------- writes
    def _insert(
        self, conn: Connection, entity: Entity, frame: pd.DataFrame, valid_from: datetime
    ) -> int:
        n = len(frame)
        if n == 0:
            return 0
        cols = frame_columns(entity, frame, sqlite=True)
        t = self.table(entity.table)
        stamp = UtcDateTime().process_bind_param(valid_from, conn.dialect)
        same = {"version": 1, "valid_from": stamp}
        raw = conn.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()
        if entity.geometry:
            geoms = np.asarray(frame.geometry.values, dtype=object)
            bounds = shapely.bounds(geoms)
            cols[GEOM] = to_gpkg(geoms, self.srid, bounds=bounds, mutable=True)
            start = (
                conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.fid), 0))).scalar_one() + 1
            )
            gpkg.bulk_insert(
                cursor,
                entity.table,
                GEOM,
                list(cols),
                list(cols.values()),
                np.arange(start, start + n, dtype=np.int64),
                bounds,
                same,
            )
        else:
            insert_columns(cursor, entity.table, list(cols), list(cols.values()), same)
        cursor.close()
        return n

    def append_rows(
        self, conn: Connection, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]
    ) -> None:
        raw = conn.connection.driver_connection
        assert raw is not None
        cur = raw.cursor()
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        cur.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        cur.close()

    def refresh_extents(self, conn: Connection, tables: Sequence[str]) -> None:
        for name in tables:
            gpkg.update_extent(lambda s: conn.exec_driver_sql(s), name, GEOM)

    # ---------------------------------------------------------------- reads
    def _row_columns(self, rows: Sequence[Any], width: int) -> list[Any]:
        # sqlite3 hands plain scalars: one numpy copy into an object matrix
        return row_columns(rows, width)

    def _raw_geom(self, t: sa.Table) -> sa.ColumnElement[Any]:
        return sa.type_coerce(t.c[GEOM], sa.LargeBinary()).label("geom_raw")

    def geom_sql(self, expr: str) -> str:
        return expr

    def decode_geoms(self, raw: list[Any]) -> np.ndarray:
        return from_gpkg(raw)

    def box_sql(self, table: str) -> tuple[str, str]:
        return (
            f"JOIN rtree_{table}_{GEOM} i ON i.id = p.fid",
            "i.minx <= :maxx AND i.maxx >= :minx AND i.miny <= :maxy AND i.maxy >= :miny",
        )

    def extent_sql(self, table: str) -> str:
        return f"SELECT min(minx), min(miny), max(maxx), max(maxy) FROM rtree_{table}_{GEOM}"

    def round_sql(self, expr: str, digits: int) -> str:
        return f"round({expr}, {int(digits)})"

