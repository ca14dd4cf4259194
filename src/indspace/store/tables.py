"""The store's tables, built from the entity contracts in ``indspace.core.model.entities``.

For each entity ``E`` there are two tables:

* ``E`` — the current version of every record: ``fid`` (integer primary key, the GeoPackage
  feature id), the contract's columns, ``geom`` if spatial, ``version`` (1, 2, …) and
  ``valid_from`` (UTC). Its natural key is unique. This is the layer GIS clients see.
* ``E_history`` — every closed version: the same columns plus ``valid_to``. An edit moves the
  old row here; nothing is overwritten or deleted (``Store.update`` / ``Store.retire``).

Plus ``audit_log`` (append-only), ``store_meta`` (key/value facts: CRS, demo seed, …) and
``demo_anomalies`` (what the demo city planted, so later features can be checked against it).
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
    return md


def spatial_tables(md: MetaData) -> list[tuple[str, str, str, bool]]:
    """(table, geometry column, geometry type, indexed) for every table with a geometry."""
    out = []
    for t in md.sorted_tables:
        for c in t.columns:
            if isinstance(c.type, Geometry):
                out.append((t.name, c.name, c.type.geom_type, not t.name.endswith("_history")))
    return out
