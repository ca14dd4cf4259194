"""The store's tables, built from the entity contracts in ``indspace.core.model.entities``.

For each entity ``E`` there are two tables:

* ``E`` — the current version of every record: ``fid`` (integer primary key, the GeoPackage
  feature id), the contract's columns, ``geom`` if spatial, ``version`` (1, 2, …) and
  ``valid_from`` (UTC). Its natural key is unique. This is the layer GIS clients see.
* ``E_history`` — every closed version: the same columns plus ``valid_to``. An edit moves the
  old row here; nothing is overwritten or deleted (``Store.update`` / ``Store.retire``).

Plus ``audit_log`` (append-only), ``store_meta`` (key/value facts: CRS, demo seed, …),
``demo_anomalies`` (what the demo city planted, so later features can be checked against it),
``import_runs`` (one row per import attempt) and ``import_quarantine`` (rejected rows and the
reasons, kept with the import that saw them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from indspace.core.model.entities import ENTITIES, Entity
from indspace.store.types import Geometry, UtcDateTime

_SQL_TYPES: dict[str, type[TypeEngine[Any]]] = {
    "text": Text, "int": Integer, "float": Float, "bool": Boolean, "date": Date,
}

GEOM = "geom"
"""Name of the geometry column in every spatial table (GDAL's GeoPackage default)."""


def history_name(table: str) -> str:
    return f"{table}_history"


def _entity_columns(entity: Entity, srid: int) -> list[Column[object]]:
    cols: list[Column[object]] = [
        Column(f.name, _SQL_TYPES[f.dtype](), nullable=not f.required,
               comment=f.label_zh + (f" ({f.unit})" if f.unit else ""))
        for f in entity.fields
    ]
    if entity.geometry:
        cols.append(Column(GEOM, Geometry(entity.geometry, srid), comment=entity.geometry_label_zh))
    cols.append(Column("version", Integer, nullable=False, comment="版本号"))
    cols.append(Column("valid_from", UtcDateTime(), nullable=False, comment="版本生效时间"))
    return cols


def build_metadata(srid: int = 4549) -> MetaData:
    """All tables of the store for a deployment whose projected CRS is ``EPSG:srid``."""
    md = MetaData()
    for entity in ENTITIES.values():
        Table(
            entity.table, md,
            Column("fid", Integer, primary_key=True, autoincrement=True),
            *_entity_columns(entity, srid),
            UniqueConstraint(*entity.key, name=f"uq_{entity.table}_key"),
            *[Index(f"ix_{entity.table}_{'_'.join(cols)}", *cols)
              for cols in entity.extra_indexes],
            sqlite_autoincrement=True, comment=entity.label_zh,
        )
        Table(
            history_name(entity.table), md,
            Column("fid", Integer, primary_key=True, autoincrement=True),
            *_entity_columns(entity, srid),
            Column("valid_to", UtcDateTime(), nullable=False, comment="版本失效时间"),
            Index(f"ix_{entity.table}_history_key", *entity.key),
            sqlite_autoincrement=True, comment=f"{entity.label_zh}（历史版本）",
        )
    Table(
        "audit_log", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("at", UtcDateTime(), nullable=False),
        Column("actor", Text, nullable=False),
        Column("action", Text, nullable=False),
        Column("table_name", Text, nullable=False),
        Column("record_key", Text, nullable=False),
        Column("before_json", Text),
        Column("after_json", Text),
        Column("reason", Text),
        sqlite_autoincrement=True, comment="审计日志（只增不改）",
    )
    Table(
        "store_meta", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("key", Text, nullable=False, unique=True),
        Column("value", Text, nullable=False),
        sqlite_autoincrement=True, comment="库元数据",
    )
    Table(
        "demo_anomalies", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("kind", Text, nullable=False),
        Column("table_name", Text, nullable=False),
        Column("record_key", Text, nullable=False),
        Column("detail", Text),
        sqlite_autoincrement=True, comment="演示数据中预置的异常",
    )
    Table(
        "import_runs", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("import_id", Text, nullable=False, unique=True),
        Column("kind", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("file_sha256", Text, nullable=False),
        Column("format", Text),
        Column("encoding", Text),
        Column("encoding_assumed", Boolean),
        Column("crs", Text),
        Column("crs_source", Text),
        Column("mode", Text, nullable=False),
        Column("strict", Boolean, nullable=False),
        Column("status", Text, nullable=False),
        Column("rows_read", Integer, nullable=False),
        Column("accepted", Integer, nullable=False),
        Column("rejected", Integer, nullable=False),
        Column("warnings", Integer, nullable=False),
        Column("inserted", Integer, nullable=False),
        Column("updated", Integer, nullable=False),
        Column("unchanged", Integer, nullable=False),
        Column("retired", Integer, nullable=False),
        Column("report", Text),
        Column("actor", Text, nullable=False),
        Column("started_at", UtcDateTime(), nullable=False),
        Column("finished_at", UtcDateTime(), nullable=False),
        sqlite_autoincrement=True, comment="导入记录",
    )
    Table(
        "import_quarantine", md,
        Column("fid", Integer, primary_key=True, autoincrement=True),
        Column("import_id", Text, nullable=False),
        Column("source_row", Integer, nullable=False),
        Column("field", Text),
        Column("code", Text, nullable=False),
        Column("severity", Text, nullable=False),
        Column("message_zh", Text, nullable=False),
        Column("message_en", Text, nullable=False),
        Column("value", Text),
        Column("raw_json", Text),
        Index("ix_import_quarantine_import_id", "import_id"),
        sqlite_autoincrement=True, comment="导入隔离区（被拒绝的行及原因）",
    )
    return md


def spatial_tables(md: MetaData) -> list[tuple[str, str, str, bool]]:
    """(table, geometry column, geometry type, indexed) for every table with a geometry."""
    out = []
    for t in md.sorted_tables:
        for c in t.columns:
            if isinstance(c.type, Geometry):
                out.append((t.name, c.name, c.type.geom_type, not t.name.endswith("_history")))
    return out
