"""One repository API over two backends: a GeoPackage file (default) or PostGIS.

:class:`Store` is the interface and the logic both backends share (entity contracts,
history, audit chain, two times); :class:`~indspace.store.gpkg_store.GpkgStore` and
:class:`~indspace.store.postgis_store.PostgisStore` implement the backend primitives it
calls (bulk writes, raw geometry, locks, index boxes), as pygeoapi's providers implement
one base class. ``Store(url_or_path)``, :meth:`Store.open` and :meth:`Store.create` return
the right one; code outside ``store/`` never asks which it has (``store.backend`` is a name
for display only).

>>> store = Store.create("indspace.gpkg")            # doctest: +SKIP
>>> store.write_frame("parcels", parcels, valid_from=as_of)   # doctest: +SKIP
>>> store.update("parcels", "330212001001GB00001", {"area_m2": 5012.0},
...              at=now, actor="officer-1", reason="survey")   # doctest: +SKIP

This module (with ``gpkg``, ``postgis`` and the migrations) is the only place in indspace
that speaks SQL. Reads return (Geo)DataFrames typed per the entity contracts; writes are
one transaction each; edits keep history (the old version moves to ``<table>_history``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from indspace.core.clock import end_of_day
from indspace.core.errors import NotFoundError, StoreError, ValidationError
from indspace.core.model.entities import ENTITIES, Entity, check_frame
from indspace.settings import DEFAULT_SRID, DEFAULT_TIME_ZONE
from indspace.store.frames import typed_frame
from indspace.store.tables import GEOM, build_metadata, history_name

Backend = Literal["gpkg", "postgis"]
MIGRATIONS = Path(__file__).with_name("migrations")
RECORDED_OPEN = datetime(9999, 12, 31, tzinfo=UTC)
"""``valid_to`` of a history row the store still holds true: a version split in *valid*
time (an edit that takes effect on a date, :meth:`Store.update` with ``effective_on``)
keeps its earlier part as a history row whose recorded time has not ended."""


def _pg_integrity_errors() -> tuple[type[Exception], ...]:
    """``psycopg.IntegrityError`` once psycopg is loaded (a PostGIS store loads it; a
    GeoPackage store never does, ≈ 0.1 s of start-up saved), else nothing to catch."""
    pg = sys.modules.get("psycopg")
    return (pg.IntegrityError,) if pg is not None else ()


def head_revision() -> str | None:
    """The newest Alembic revision shipped with this version of indspace."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


@functools.cache
def shipped_head() -> str:
    """:func:`head_revision` without loading Alembic (≈ 0.2 s of every command's start):
    the revisions are numbered in one line (0001, 0002, …), so the head is the highest
    ``revision = "NNNN"`` among the migration files (a test checks both agree)."""
    found = (re.search(r'^revision = "(\d+)"', p.read_text(encoding="utf-8"), re.M)
             for p in (MIGRATIONS / "versions").glob("*.py"))
    return max(m.group(1) for m in found if m)


def resolve_url(db: str | Path) -> str:
    """A GeoPackage path or a SQLAlchemy PostgreSQL URL → SQLAlchemy URL.

    >>> resolve_url("postgresql+psycopg://u@h/db")
    'postgresql+psycopg://u@h/db'
    >>> resolve_url("/tmp/x.gpkg")
    'sqlite:////tmp/x.gpkg'
    """
    s = str(db)
    if s.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        if s.startswith(("postgresql://", "postgres://")):
            s = "postgresql+psycopg://" + s.split("://", 1)[1]
        return s
    if s.startswith("sqlite:///"):
        return s
    if "://" in s:
        raise StoreError(f"不支持的数据库地址：{s}", f"unsupported database URL: {s}",
                         hint_zh="请使用 .gpkg 文件路径或 postgresql+psycopg:// 地址",
                         hint_en="use a .gpkg path or a postgresql+psycopg:// URL")
    return "sqlite:///" + str(Path(s).expanduser().resolve())


WRITE_WAIT_S = 600.0
"""Default seconds an import waits for another writer of the same store (settings:
``INDSPACE_WRITE_WAIT_S``)."""
POOL_SIZE = 10
"""PostgreSQL connections a store keeps open at most (opened lazily, kept)."""


class Store:
    """The indspace store: tables of the entity contracts, with history, on one backend.

    ``Store(db)`` gives a :class:`~indspace.store.gpkg_store.GpkgStore` for a GeoPackage
    path and a :class:`~indspace.store.postgis_store.PostgisStore` for a PostgreSQL URL.
    The methods below marked *backend primitive* are what each backend implements; the
    rest is shared."""

    backend: ClassVar[Backend]
    """The backend's name, for display (``indspace info``); never to branch on."""
    encodes_tiles: ClassVar[bool] = False
    """Whether the database encodes vector tiles itself (PostGIS ``ST_AsMVT``); else the
    caller encodes the features it reads (:mod:`indspace.store.tiles`)."""

    def __new__(cls, db: str | Path | None = None, **_kw: Any) -> Store:
        # ``db`` may be left out by copy/pickle, which call ``cls.__new__(cls)`` on the
        # concrete class; ``Store(db)`` itself picks the class from the address
        if cls is Store:
            if db is None:
                raise TypeError("Store() needs a GeoPackage path or a PostgreSQL URL")
            cls = backend_class(resolve_url(db))
        return super().__new__(cls)

    def __init__(self, db: str | Path, *, write_wait_s: float = WRITE_WAIT_S) -> None:
        self.url = resolve_url(db)
        self.write_wait_s = write_wait_s
        self.path: Path | None = None
        self.engine = self._make_engine(self.url)
        self._srid: int | None = None
        self._tz: tzinfo | None = None
        self._md: sa.MetaData | None = None
        self._chained: bool | None = None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` on SQLite, a plain one on PostgreSQL.

        SQLite waits up to its busy timeout for the write lock; a store still locked after
        that is a bilingual :class:`StoreError`, never a raw ``database is locked``."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(sqlite_begin="IMMEDIATE")
                with conn.begin():
                    yield conn
        except sa.exc.OperationalError as e:
            clear = self._write_failure(e)
            if clear is not None:
                raise clear from e
            raise

    @contextmanager
    def writer(self, *, wait_s: float | None = None,
               on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the store's writer lock (one importer at a time) for the ``with`` block.

        Waits at most ``wait_s`` seconds (default :attr:`write_wait_s`) for another writer
        to finish, telling ``on_wait`` once that it waits; then raises a bilingual
        :class:`StoreError`. See :mod:`indspace.store.writer_lock`."""
        wait = self.write_wait_s if wait_s is None else wait_s
        with self._writer_lock(wait, on_wait):
            yield

    # ---------------------------------------------------------------- lifecycle
    @classmethod
    def open(cls, db: str | Path, *, write_wait_s: float = WRITE_WAIT_S) -> Store:
        """Open an existing, initialised store; raise a clear error otherwise."""
        store = cls(db, write_wait_s=write_wait_s)
        store._check_exists()
        try:
            store.srid  # noqa: B018 — reads store_meta, proving the schema exists
        except sa.exc.SQLAlchemyError as e:
            raise StoreError("数据库未初始化或无法连接", "store is not initialised or unreachable",
                             where=store.display_name,
                             hint_zh="运行 indspace init --db …",
                             hint_en="run `indspace init --db …`") from e
        if store.revision() != shipped_head():
            store.migrate()  # older schema: bring it up to date (migrations are additive)
        return store

    @classmethod
    def create(cls, db: str | Path, *, srid: int = DEFAULT_SRID,
               time_zone: str = DEFAULT_TIME_ZONE, overwrite: bool = False) -> Store:
        """Create (or, with ``overwrite``, recreate empty) a store and migrate it to head.

        ``srid`` and ``time_zone`` come from the deployment context (``indspace.settings``)
        and are recorded in ``store_meta``: a store holds one deployment's data."""
        zone = ZoneInfo(time_zone).key   # an unknown zone fails here, before any file exists
        store = cls(db)
        store._prepare_create(overwrite)
        store.migrate(srid)
        store.set_meta({"time_zone": zone})
        return store

    def migrate(self, srid: int = DEFAULT_SRID, target: str = "head") -> None:
        """Bring the schema to the newest (or the ``target``) Alembic revision (idempotent)."""
        try:
            existing = self.srid
        except sa.exc.SQLAlchemyError:
            existing = None
        srid = existing or srid
        with self._write() as conn:
            self._prepare_migrate(conn)
            from alembic import command
            from alembic.config import Config

            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            cfg.attributes["srid"] = srid
            command.upgrade(cfg, target)
            self._set_meta(conn, {"crs": f"EPSG:{srid}", "srid": str(srid)})
        self._srid = srid

    def drop_all(self) -> None:
        """Remove every indspace table (PostGIS only; a GeoPackage is simply deleted)."""
        md = build_metadata()
        with self._write() as conn:
            md.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        self._srid = None

    def close(self) -> None:
        """Release pooled connections (a store object can be reopened by using it again)."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def revision(self) -> str | None:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    @property
    def display_name(self) -> str:
        """Where the store is, for messages (a file path, or the URL without password)."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def srid(self) -> int:
        if self._srid is None:
            self._srid = int(self.meta()["srid"])
        return self._srid

    @property
    def tz(self) -> tzinfo:
        """The deployment time zone recorded with the store (a day D means D there)."""
        if self._tz is None:
            self._tz = ZoneInfo(self.meta().get("time_zone", DEFAULT_TIME_ZONE))
        return self._tz

    @property
    def md(self) -> sa.MetaData:
        if self._md is None:
            self._md = build_metadata(self.srid)
        return self._md

    def table(self, name: str) -> sa.Table:
        return self.md.tables[name]

    # ---------------------------------------------------------------- meta
    def meta(self) -> dict[str, str]:
        t = build_metadata(DEFAULT_SRID).tables["store_meta"]  # the cache entry of
        # the store's own metadata on a store in the default CRS (one build per process)
        with self.engine.connect() as conn:
            return {k: v for k, v in conn.execute(sa.select(t.c.key, t.c.value).order_by(t.c.key))}

    def set_meta(self, values: dict[str, str]) -> None:
        with self._write() as conn:
            self._set_meta(conn, values)

    def _set_meta(self, conn: Connection, values: dict[str, str]) -> None:
        t = build_metadata(DEFAULT_SRID).tables["store_meta"]
        for k, v in values.items():
            conn.execute(sa.delete(t).where(t.c.key == k))
            conn.execute(sa.insert(t).values(key=k, value=str(v)))

    # ---------------------------------------------------------------- bulk writes
    def write_frames(self, frames: dict[str, pd.DataFrame], *, valid_from: datetime,
                     actor: str = "system", reason: str = "bulk load",
                     progress: Any = None) -> dict[str, int]:
        """Insert new records of several entities in ONE transaction; return rows per table.

        Each frame must satisfy its entity contract; geometries must already be in the
        store's CRS (``EPSG:{srid}``). A duplicate natural key fails the whole write.
        """
        import geopandas as gpd  # here, not at the top: an attribute-only step never loads it

        for name, frame in frames.items():
            check_frame(ENTITIES[name], frame, source=name)
            if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None \
                    and frame.crs.to_epsg() != self.srid:
                raise ValidationError(
                    f"{name} 的坐标系为 {frame.crs.to_string()}，应为 EPSG:{self.srid}",
                    f"{name} is in {frame.crs.to_string()}, the store uses EPSG:{self.srid}",
                    where=name, hint_zh="先转换坐标系", hint_en="reproject with to_crs first")
        written: dict[str, int] = {}
        try:
            with self._write() as conn:
                for name, frame in frames.items():
                    written[name] = self._insert(conn, ENTITIES[name], frame, valid_from)
                    if progress is not None:
                        progress(name, written[name])
                self._audit(conn, valid_from, actor, "bulk_insert", ",".join(frames),
                            "*", None, json.dumps(written, sort_keys=True), reason)
                self.refresh_extents(conn, [n for n in frames if ENTITIES[n].geometry])
        except Exception as e:
            if not isinstance(e, (sa.exc.IntegrityError, sqlite3.IntegrityError,
                                  *_pg_integrity_errors())):
                raise
            raise StoreError("写入失败：主键重复或违反约束，本次写入已整体撤销",
                             "write failed: duplicate key or constraint violation; "
                             "nothing was written", hint_zh=str(getattr(e, "orig", e))[:200],
                             hint_en="check the key columns for duplicates") from e
        return written

    def write_frame(self, name: str, frame: pd.DataFrame, *, valid_from: datetime,
                    actor: str = "system", reason: str = "bulk load") -> int:
        return self.write_frames({name: frame}, valid_from=valid_from, actor=actor,
                                 reason=reason)[name]

    def write_anomalies(self, frame: pd.DataFrame) -> int:
        t = self.table("demo_anomalies")
        rows = frame[["kind", "table_name", "record_key", "detail"]].to_dict("records")
        with self._write() as conn:
            conn.execute(sa.delete(t))
            if rows:
                conn.execute(sa.insert(t), rows)
        return len(rows)

    # ---------------------------------------------------------------- reads
    def read_frame(self, name: str, *, as_of: date | None = None,
                   recorded_at: datetime | None = None,
                   columns: Sequence[str] | None = None,
                   where: dict[str, Any] | None = None, limit: int | None = None,
                   offset: int = 0) -> pd.DataFrame:
        """Records of ``name`` current now; or valid on day ``as_of`` and/or as the store
        knew them at the instant ``recorded_at`` (history included).

        Two times (issue #14): ``as_of`` is a day in the store's time zone and selects
        *valid* time — for entities with valid-time columns (``Entity.valid_time``, e.g. a
        block's ``effective_from``/``effective_to``, ends inclusive, empty = open) the
        records whose valid time covers that day, as recorded now (or at ``recorded_at``);
        for the others (valid from when they were recorded) the records as they stood at the
        end of that day. ``recorded_at`` selects *recorded* time: what the store held then.

        Spatial entities come back as a GeoDataFrame in the store CRS with a ``geometry``
        column; attribute dtypes follow the entity contract; rows are sorted by natural key.
        """
        if isinstance(as_of, datetime):
            raise TypeError("as_of is a day (valid time); pass an instant as recorded_at")
        entity = ENTITIES[name]
        wanted = list(columns) if columns is not None else entity.columns
        spatial = entity.geometry is not None and (columns is None or "geometry" in wanted)
        attr = [c for c in wanted if c != "geometry"]
        cur = self.table(name)
        vt = entity.valid_time
        sel = [*attr, *[c for c in (vt or ()) if as_of is not None and c not in attr]]
        base = sa.select(*[cur.c[c] for c in sel], *([self._raw_geom(cur)] if spatial else []))
        q: sa.Select[Any] | sa.CompoundSelect[Any] = base
        if as_of is not None or recorded_at is not None:
            q = self._bitemporal(name, base, sel, spatial, as_of, recorded_at)
        src = q.subquery()
        conds = [src.c[k] == v for k, v in (where or {}).items()]
        if as_of is not None and vt is not None:
            start, end = src.c[vt[0]], src.c[vt[1]]
            conds += [sa.or_(start.is_(None), start <= as_of),
                      sa.or_(end.is_(None), end >= as_of)]
        query = sa.select(*[src.c[c] for c in attr],
                          *([src.c.geom_raw] if spatial else [])).where(*conds)
        keys = [k for k in entity.key if k in attr]
        paged = limit is not None or bool(offset)
        if paged:  # a page needs SQL order (served by the unique key index)
            query = query.order_by(*[src.c[k] for k in keys]).limit(limit).offset(offset or None)
        with self.engine.connect() as conn:
            frame = self._fetch_frame(conn, entity, query, attr, spatial)
        if keys and not paged and len(frame) > 1:
            frame = frame.sort_values(keys, kind="stable", ignore_index=True)
        return frame

    def _bitemporal(self, name: str, base: sa.Select[Any], sel: list[str], spatial: bool,
                    as_of: date | None, recorded_at: datetime | None
                    ) -> sa.CompoundSelect[Any]:
        """Current and history versions recorded at ``recorded_at`` (None: now); for an
        entity without valid-time columns, the snapshot at the end of ``as_of`` (or at
        ``recorded_at`` if earlier)."""
        if recorded_at is not None and recorded_at.tzinfo is None:
            raise ValidationError("记录时间须带时区", "recorded_at must be timezone-aware",
                                  where=name)
        cur, hist = self.table(name), self.table(history_name(name))
        hq = sa.select(*[hist.c[c] for c in sel], *([self._raw_geom(hist)] if spatial else []))
        moment = recorded_at
        if ENTITIES[name].valid_time is None and as_of is not None:
            end = end_of_day(as_of, self.tz) - timedelta(microseconds=1)
            moment = end if moment is None else min(moment, end)
        if moment is None:   # recorded now: the current rows and the history still held true
            return sa.union_all(base, hq.where(hist.c.valid_to >= RECORDED_OPEN))
        return sa.union_all(base.where(cur.c.valid_from <= moment),
                            hq.where(hist.c.valid_from <= moment, hist.c.valid_to > moment))

    def _fetch_frame(self, conn: Connection, entity: Entity, query: sa.Select[Any],
                     attr: list[str], spatial: bool) -> pd.DataFrame:
        """Run ``query`` (selecting ``attr`` then, if spatial, the raw geometry) into a frame.

        Bind parameters go through SQLAlchemy; rows come straight from the DBAPI cursor (no
        per-row Row objects) and are typed column-wise in ``typed_frame``. SQLite hands plain
        scalars (int, float, str, bytes, None), so its rows are turned into columns by one
        numpy copy into an object matrix (≈ 2× faster than ``zip(*rows)`` and lists).
        """
        rows = conn.execute(query).cursor.fetchall()
        width = len(attr) + spatial
        by_col = (self._row_columns(rows, width) if rows
                  else [[] for _ in range(width)])
        columns: dict[str, Any] = {c: by_col[i] for i, c in enumerate(attr)}
        frame = typed_frame(entity, columns)
        if spatial:
            import geopandas as gpd  # see write_frames

            geoms = self.decode_geoms(list(by_col[len(attr)]))
            frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=self.srid))
        return frame

    def get(self, name: str, key: Any) -> dict[str, Any]:
        """The current record for a natural key (a scalar or a tuple for compound keys)."""
        entity = ENTITIES[name]
        t = self.table(name)
        with self.engine.connect() as conn:
            q = sa.select(t).where(*self._key_cond(t, entity, key))
            row = conn.execute(q).mappings().first()
        if row is None:
            raise NotFoundError(f"{entity.label_zh} {key} 不存在", f"{name} {key} not found",
                                where=name)
        return dict(row)

    def history(self, name: str, key: Any) -> pd.DataFrame:
        """Every version of one record, oldest first (columns: contract + version, valid_from,
        valid_to; the current version has valid_to = NaT/None; a version the store still
        holds true for an earlier stretch of valid time has valid_to = :data:`RECORDED_OPEN`)."""
        entity = ENTITIES[name]
        cur, hist = self.table(name), self.table(history_name(name))
        cols = [*entity.columns, "version", "valid_from"]
        with self.engine.connect() as conn:
            old = conn.execute(sa.select(*[hist.c[c] for c in cols], hist.c.valid_to)
                               .where(*self._key_cond(hist, entity, key))).mappings().all()
            now = conn.execute(sa.select(*[cur.c[c] for c in cols])
                               .where(*self._key_cond(cur, entity, key))).mappings().all()
        rows = [dict(r) for r in old] + [{**dict(r), "valid_to": None} for r in now]
        return pd.DataFrame(rows).sort_values("version").reset_index(drop=True)

    def counts(self, where: dict[str, dict[str, Any]] | None = None) -> dict[str, int]:
        """Current records per entity table (optionally filtered per table by equality)."""
        return {name: self.count(name, (where or {}).get(name)) for name in ENTITIES}

    def count(self, name: str, where: dict[str, Any] | None = None) -> int:
        """Current records of one entity table, filtered by equality."""
        t = self.table(name)
        conds = [t.c[k] == v for k, v in (where or {}).items()]
        with self.engine.connect() as conn:
            return int(conn.execute(
                sa.select(sa.func.count()).select_from(t).where(*conds)).scalar_one())

    def estimated_count(self, name: str) -> int:
        """Rows of a table as the backend estimates them cheaply (PostGIS:
        ``pg_class.reltuples``, no scan); exact where there is no estimate (a GeoPackage,
        a PostgreSQL table never analysed)."""
        return self.count(name)

    def anomalies(self) -> pd.DataFrame:
        t = self.table("demo_anomalies")
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.kind, t.c.table_name, t.c.record_key, t.c.detail)
                                .order_by(t.c.fid)).mappings().all()
        return pd.DataFrame(rows, columns=["kind", "table_name", "record_key", "detail"])

    def audit_log(self) -> pd.DataFrame:
        t = self.table("audit_log")
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t).order_by(t.c.fid)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows])

    # ---------------------------------------------------------------- history-keeping edits
    def update(self, name: str, key: Any, changes: dict[str, Any], *, at: datetime,
               actor: str, reason: str = "", conn: Connection | None = None,
               effective_on: date | None = None) -> int:
        """Edit one record: close the current version into history, write the new one.

        Returns the new version number (unchanged when ``changes`` change nothing).
        ``at`` (the recorded time) must be later than the current version's ``valid_from``.
        Without ``effective_on`` the edit is a correction: the new values hold for all valid
        time. With ``effective_on`` (entities with valid-time columns only) the change takes
        effect on that day: the old values stay held true up to the day before (a history
        row whose recorded time is open, :data:`RECORDED_OPEN`) and the new version starts
        on it. With ``conn`` (a write transaction of a store module) the edit joins that
        transaction.
        """
        entity = ENTITIES[name]
        unknown = set(changes) - set(entity.columns) - ({"geometry"} if entity.geometry else set())
        if unknown or set(changes) & set(entity.key):
            raise ValidationError(
                f"不可修改的字段：{sorted(unknown | (set(changes) & set(entity.key)))}",
                f"fields cannot be edited: {sorted(unknown | (set(changes) & set(entity.key)))}",
                where=name, hint_zh="主键不可修改，请新增记录并注销旧记录",
                hint_en="keys are immutable: retire the record and add a new one")
        vt = self._valid_time(entity, effective_on)
        changes = {(GEOM if k == "geometry" else k): v for k, v in changes.items()}
        cur, hist = self.table(name), self.table(history_name(name))
        with self._locked_row(name, key, conn) as (conn, row):
            diff = {k: v for k, v in changes.items() if not _same(row[k], v)}
            if not diff:
                return int(row["version"])
            self._check_time(name, key, row, at)
            old = {c.name: row[c.name] for c in cur.columns if c.name != "fid"}
            conn.execute(sa.insert(hist).values(**old, valid_to=at))
            version = int(row["version"]) + 1
            if vt is not None and effective_on is not None:
                if self._keep_until(conn, hist, old, vt, effective_on, version, at):
                    version += 1
                diff.setdefault(vt[0], effective_on)
                end = old[vt[1]]
                if vt[1] not in changes and end is not None and end < effective_on:
                    diff[vt[1]] = None
            conn.execute(sa.update(cur).where(cur.c.fid == row["fid"]).values(
                **diff, version=version, valid_from=at))
            self._audit(conn, at, actor, "update", name, _key_text(key),
                        _json({k: row[k] for k in diff}), _json(diff), reason)
            return version

    @staticmethod
    def _valid_time(entity: Entity, effective_on: date | None) -> tuple[str, str] | None:
        if effective_on is None:
            return None
        if isinstance(effective_on, datetime):
            raise TypeError("effective_on is a day (valid time), not an instant")
        if entity.valid_time is None:
            raise ValidationError(
                f"{entity.label_zh}没有有效时间字段，不能按生效日期修改",
                f"{entity.table} has no valid-time columns; an edit cannot take effect on a "
                "date", where=entity.table, hint_zh="去掉生效日期（按更正处理）",
                hint_en="leave out effective_on (the edit is then a correction)")
        return entity.valid_time

    @staticmethod
    def _keep_until(conn: Connection, hist: sa.Table, old: dict[str, Any],
                    vt: tuple[str, str], effective_on: date, version: int,
                    at: datetime) -> bool:
        """Keep the old version held true up to the day before ``effective_on`` (if any of
        its valid time lies before that day)."""
        start, end = old[vt[0]], old[vt[1]]
        if start is not None and start >= effective_on:
            return False
        last = effective_on - timedelta(days=1)
        keep = {**old, vt[1]: last if end is None or end > last else end,
                "version": version, "valid_from": at}
        conn.execute(sa.insert(hist).values(**keep, valid_to=RECORDED_OPEN))
        return True

    def retire(self, name: str, key: Any, *, at: datetime, actor: str, reason: str = "",
               conn: Connection | None = None, effective_on: date | None = None) -> None:
        """End a record: its current version moves to history with ``valid_to = at``.

        With ``effective_on`` (valid-time entities) the record ends in the world on that
        day: it stays held true up to the day before (see :meth:`update`)."""
        vt = self._valid_time(ENTITIES[name], effective_on)
        cur, hist = self.table(name), self.table(history_name(name))
        with self._locked_row(name, key, conn) as (conn, row):
            self._check_time(name, key, row, at)
            old = {c.name: row[c.name] for c in cur.columns if c.name != "fid"}
            conn.execute(sa.insert(hist).values(**old, valid_to=at))
            if vt is not None and effective_on is not None:
                self._keep_until(conn, hist, old, vt, effective_on, int(row["version"]) + 1,
                                 at)
            conn.execute(sa.delete(cur).where(cur.c.fid == row["fid"]))
            self._audit(conn, at, actor, "retire", name, _key_text(key),
                        _json({k: v for k, v in old.items() if k != GEOM}), None, reason)

    @contextmanager
    def _locked_row(self, name: str, key: Any, outer: Connection | None = None
                    ) -> Iterator[tuple[Connection, dict[str, Any]]]:
        entity = ENTITIES[name]
        t = self.table(name)
        with self._write() if outer is None else nullcontext(outer) as conn:
            q = self.for_update(sa.select(t).where(*self._key_cond(t, entity, key)))
            row = conn.execute(q).mappings().first()
            if row is None:
                raise NotFoundError(f"{entity.label_zh} {key} 不存在", f"{name} {key} not found",
                                    where=name)
            yield conn, dict(row)

    @staticmethod
    def _check_time(name: str, key: Any, row: dict[str, Any], at: datetime) -> None:
        if at.tzinfo is None:
            raise ValidationError("时间须带时区", "timestamp must be timezone-aware", where=name)
        if at <= row["valid_from"]:
            raise ValidationError(
                f"修改时间 {at.isoformat()} 早于当前版本生效时间 {row['valid_from'].isoformat()}",
                f"edit time {at.isoformat()} is not after the current version's valid_from "
                f"{row['valid_from'].isoformat()}", where=f"{name} {key}",
                hint_zh="历史只能向后追加", hint_en="history can only be appended")

    @staticmethod
    def _key_cond(t: sa.Table, entity: Entity, key: Any) -> list[sa.ColumnElement[bool]]:
        values = key if isinstance(key, tuple) else (key,)
        if len(values) != len(entity.key):
            raise ValidationError(f"主键应为 {entity.key}", f"key must be {entity.key}",
                                  where=entity.table)
        return [t.c[k] == v for k, v in zip(entity.key, values, strict=True)]

    def _audit(self, conn: Connection, at: datetime, actor: str, action: str, table: str,
               key: str, before: str | None, after: str | None, reason: str) -> None:
        """Append one hash-chained entry. ``at`` is the time the change takes effect (a
        version's valid time, an enforcement date); the entry's own ``at`` is when it is
        written (the clock, UTC), so the log reads in the order things happened."""
        from indspace.store.audit import append, append_legacy

        if not self._audit_chained(conn):     # a store not yet migrated to 0009
            append_legacy(conn, self.table("audit_log"), at=at, actor=actor, action=action,
                          table=table, key=key, before=before, after=after, reason=reason)
            return
        append(conn, self.table("audit_log"), self.xact_lock, {
            "at": datetime.now(UTC), "effective_at": at, "actor": actor, "action": action,
            "table_name": table, "record_key": key, "before_json": before,
            "after_json": after, "reason": reason})


    def _audit_chained(self, conn: Connection) -> bool:
        """Whether the store's audit_log has the hash-chain columns (revision 0009)."""
        if self._chained is None or not self._chained:
            cols = {c["name"] for c in sa.inspect(conn).get_columns("audit_log")}
            self._chained = "entry_hash" in cols
        return self._chained


    # ---------------------------------------------------------------- backend primitives
    # What a backend implements (GpkgStore, PostgisStore). Store modules (runs, tiles,
    # controlline, …) call these instead of asking which backend they have.
    @classmethod
    def _make_engine(cls, url: str) -> Engine:
        raise NotImplementedError

    def _check_exists(self) -> None:
        """Raise a clear error when the store to open is plainly missing (a file)."""

    def _prepare_create(self, overwrite: bool) -> None:
        """Make room for a new store (a file, a database), emptied with ``overwrite``."""
        raise NotImplementedError

    def _prepare_migrate(self, conn: Connection) -> None:
        """Before the migrations run in ``conn`` (e.g. an extension they need)."""

    def _write_failure(self, e: sa.exc.OperationalError) -> StoreError | None:
        """The bilingual error for a failed write transaction, None to re-raise ``e``."""
        return None

    def _writer_lock(self, wait_s: float, on_wait: Callable[[str], None] | None
                     ) -> contextlib.AbstractContextManager[None]:
        """The one-importer-at-a-time lock (see :meth:`writer`)."""
        raise NotImplementedError

    def _insert(self, conn: Connection, entity: Entity, frame: pd.DataFrame,
                valid_from: datetime) -> int:
        """Bulk-insert new records (version 1, ``valid_from``) of a checked frame."""
        raise NotImplementedError

    def append_rows(self, conn: Connection, table: str, columns: list[str],
                    rows: Iterable[tuple[Any, ...]]) -> None:
        """Bulk-append plain rows (values in ``columns`` order) inside ``conn``'s write."""
        raise NotImplementedError

    def refresh_extents(self, conn: Connection, tables: Sequence[str]) -> None:
        """After a write to the spatial ``tables``: keep their recorded extents true."""

    def _row_columns(self, rows: Sequence[Any], width: int) -> list[Any]:
        """Rows of a DBAPI cursor (non-empty) → ``width`` columns."""
        return [list(c) for c in zip(*rows, strict=True)]

    def _raw_geom(self, t: sa.Table) -> sa.ColumnElement[Any]:
        """The geometry column of ``t`` as raw bytes labelled ``geom_raw`` (decoded
        vectorised afterwards by :meth:`decode_geoms`; no per-row type processing)."""
        raise NotImplementedError

    def geom_sql(self, expr: str) -> str:
        """SQL text of the raw bytes of geometry ``expr`` (the :meth:`decode_geoms` input)."""
        raise NotImplementedError

    def decode_geoms(self, raw: list[Any]) -> np.ndarray:
        """Raw geometry values read through :meth:`_raw_geom` / :meth:`geom_sql` → Shapely."""
        raise NotImplementedError

    def box_sql(self, table: str) -> tuple[str, str]:
        """(join, condition) picking rows of alias ``p`` of ``table`` whose index box meets
        :minx, :miny, :maxx, :maxy (store CRS), served by the spatial index."""
        raise NotImplementedError

    def extent_sql(self, table: str) -> str:
        """SQL of one row (minx, miny, maxx, maxy) of ``table``'s current geometries."""
        raise NotImplementedError

    def round_sql(self, expr: str, digits: int) -> str:
        """SQL rounding the float ``expr`` to ``digits`` decimals, as a float."""
        raise NotImplementedError

    def key_order(self, column: sa.ColumnElement[Any], text: bool) -> sa.ColumnElement[Any]:
        """``column`` as an ORDER BY term sorting text by code point (as Python does)."""
        return column

    def for_update(self, q: sa.Select[Any]) -> sa.Select[Any]:
        """``q`` locking the rows it reads until the write commits (where rows lock)."""
        return q

    def xact_lock(self, conn: Connection, key: str) -> None:
        """Serialise writers of ``key`` until ``conn``'s transaction ends (a GeoPackage's
        write transaction already serialises every writer)."""


    def overlay_figures(self, limit_m: float) -> pd.DataFrame | None:
        """Per-parcel building figures computed in the database (the server path), or None
        where the backend does not compute them (the engine does, in the caller)."""
        return None


def backend_class(url: str) -> type[Store]:
    """The store class for a resolved SQLAlchemy URL (:func:`resolve_url`)."""
    if url.startswith("sqlite"):
        from indspace.store.gpkg_store import GpkgStore

        return GpkgStore
    from indspace.store.postgis_store import PostgisStore

    return PostgisStore


def _same(a: Any, b: Any) -> bool:
    if hasattr(a, "equals") and hasattr(b, "equals") and hasattr(a, "geom_type"):
        return bool(a.equals_exact(b, 0.0) if a.geom_type == b.geom_type else False)
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return bool(a == b)


def _key_text(key: Any) -> str:
    return "|".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _json(d: dict[str, Any]) -> str:
    def enc(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat()
        if hasattr(v, "wkt"):
            return v.wkt
        if isinstance(v, Decimal):   # money as its exact text
            return str(v)
        return v
    return json.dumps({k: enc(v) for k, v in d.items()}, ensure_ascii=False, sort_keys=True)
