"""The PostGIS backend of :class:`~indspace.store.store.Store` (the server deployment).

Writers serialise where they must with row locks (``SELECT … FOR UPDATE``) and transaction
advisory locks; bulk writes stream binary COPY (:func:`indspace.store.postgis.copy_rows`),
into an empty table with its indexes built after the load
(:func:`indspace.store.postgis.indexes_after_load`); the spatial index is GiST and the
building–parcel overlay can run in the database (:meth:`PostgisStore.overlay_figures`,
:mod:`indspace.store.postgis_overlay`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from indspace.core.model.entities import Entity
from indspace.store import postgis
from indspace.store.frames import frame_columns
from indspace.store.geometry import from_ewkb
from indspace.store.store import POOL_SIZE, Backend, Store
from indspace.store.tables import GEOM
from indspace.store.writer_lock import advisory_lock


class PostgisStore(Store):
    """A store in a PostgreSQL database with the PostGIS extension."""

    backend: ClassVar[Backend] = "postgis"
    encodes_tiles: ClassVar[bool] = True

    # ---------------------------------------------------------------- lifecycle
    @classmethod
    def _make_engine(cls, url: str) -> Engine:
        # Connections are kept, never churned: a PostgreSQL backend's first ST_Transform
        # between two CRS costs 100–500 ms (PROJ set-up), so an overflow connection opened
        # and closed per request made cold vector tiles slow. A pool of POOL_SIZE kept
        # connections pays that set-up a few times only (the tile service builds at most
        # that many tiles at once); overflow stays allowed so that nested reads can never
        # wait on each other.
        return sa.create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=20)

    def _prepare_create(self, overwrite: bool) -> None:
        postgis.ensure_database(self.engine.url)
        if overwrite:
            self.drop_all()

    def _prepare_migrate(self, conn: Connection) -> None:
        postgis.ensure_extension(conn)

    def _writer_lock(
        self, wait_s: float, on_wait: Callable[[str], None] | None
    ) -> contextlib.AbstractContextManager[None]:
        return advisory_lock(self.engine, self.display_name, wait_s, on_wait)

    # ---------------------------------------------------------------- writes
    def _insert(
        self, conn: Connection, entity: Entity, frame: pd.DataFrame, valid_from: datetime
    ) -> int:
        n = len(frame)
        if n == 0:
            return 0
        cols: dict[str, Any] = frame_columns(entity, frame)
        if entity.geometry:
            geoms = shapely.set_srid(np.asarray(frame.geometry.values, dtype=object), self.srid)
            cols[GEOM] = shapely.to_wkb(geoms, include_srid=True, flavor="extended").tolist()
        cols["version"] = [1] * n
        cols["valid_from"] = [valid_from.astimezone(UTC)] * n
        with postgis.indexes_after_load(conn, entity.table, n):
            postgis.copy_rows(
                conn, entity.table, list(cols), zip(*cols.values(), strict=True), binary=True
            )
        return n

    def append_rows(
        self, conn: Connection, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]
    ) -> None:
        postgis.copy_rows(conn, table, columns, rows)

    # ---------------------------------------------------------------- reads
    def _raw_geom(self, t: sa.Table) -> sa.ColumnElement[Any]:
        # binary WKB parses ~2× faster than the hex text form
        return sa.func.ST_AsBinary(
            sa.type_coerce(t.c[GEOM], sa.Text()), type_=sa.LargeBinary()
        ).label("geom_raw")

    def geom_sql(self, expr: str) -> str:
        return f"ST_AsBinary({expr})"

    def decode_geoms(self, raw: list[Any]) -> np.ndarray:
        return from_ewkb(raw)

    def box_sql(self, table: str) -> tuple[str, str]:
        return ("", f"p.geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, {self.srid})")

    def extent_sql(self, table: str) -> str:
        return (
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            f"FROM (SELECT ST_Extent(geom) AS e FROM {table}) s"
        )

    def round_sql(self, expr: str, digits: int) -> str:
        return f"round(({expr})::numeric, {int(digits)})::float8"

    def key_order(self, column: sa.ColumnElement[Any], text: bool) -> sa.ColumnElement[Any]:
        return column.collate("C") if text else column

    def for_update(self, q: sa.Select[Any]) -> sa.Select[Any]:
        return q.with_for_update()

    def xact_lock(self, conn: Connection, key: str) -> None:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})

    def estimated_count(self, name: str) -> int:
        with self.engine.connect() as conn:
            est = conn.execute(
                sa.text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"),
                {"t": name},
            ).scalar()
        if est is not None and int(est) >= 0:
            return int(est)
        return self.count(name)

    def overlay_figures(self, limit_m: float) -> pd.DataFrame:
        from indspace.store.postgis_overlay import overlay_figures

        return overlay_figures(self, limit_m)
