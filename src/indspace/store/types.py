"""SQLAlchemy column types that render the same logical column on both backends.

* :class:`Geometry` — ``MULTIPOLYGON`` (a GeoPackage geometry column: GeoPackage binary in a
  BLOB) on SQLite, ``geometry(MULTIPOLYGON, srid)`` on PostGIS (bound and read as hex EWKB,
  so no SQL function wrapping and no SpatiaLite is needed).
* :class:`UtcDateTime` — GeoPackage ``DATETIME`` text ``YYYY-MM-DDTHH:MM:SS.sssZ`` on SQLite,
  ``timestamptz`` on PostgreSQL; always timezone-aware UTC in Python.
* :class:`ExactDecimal` — money: ``NUMERIC`` on PostgreSQL, the exact decimal as ``TEXT`` on
  SQLite (a GeoPackage NUMERIC column would be stored as a binary float); always
  ``decimal.Decimal`` in Python (issue #17).

Why not GeoAlchemy2: its GeoPackage dialect needs the SpatiaLite extension (mod_spatialite),
which the embedded store must do without (docs/architecture.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, UserDefinedType

from indspace.core.model.money import to_decimal
from indspace.settings import DEFAULT_SRID
from indspace.store.geometry import from_ewkb, from_gpkg, to_ewkb_hex, to_gpkg


class _GeometryDDL(UserDefinedType[Any]):
    cache_ok = True

    def __init__(self, geom_type: str, srid: int, postgis: bool) -> None:
        self.geom_type = geom_type
        self.srid = srid
        self.postgis = postgis

    def get_col_spec(self, **kw: Any) -> str:
        if self.postgis:
            return f"geometry({self.geom_type},{self.srid})"
        return self.geom_type


class Geometry(TypeDecorator[Any]):
    """A geometry column of one type and SRID; Python values are shapely geometries."""

    impl = Text
    cache_ok = True

    def __init__(self, geom_type: str = "MULTIPOLYGON", srid: int = DEFAULT_SRID) -> None:
        super().__init__()
        self.geom_type = geom_type
        self.srid = srid

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(
            _GeometryDDL(self.geom_type, self.srid, dialect.name == "postgresql"))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return to_ewkb_hex([value], self.srid)[0]
        return to_gpkg([value], self.srid)[0]

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return from_ewkb([value])[0]
        return from_gpkg([value])[0]

    def __repr__(self) -> str:
        return f"Geometry({self.geom_type!r}, srid={self.srid})"


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamp, stored in GeoPackage DATETIME text form on SQLite."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import TIMESTAMP

            return dialect.type_descriptor(TIMESTAMP(timezone=True))
        return dialect.type_descriptor(_SqliteDateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a timezone")
        value = value.astimezone(UTC)
        if dialect.name == "postgresql":
            return value
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact decimal (money in 万元): NUMERIC on PostgreSQL, decimal text on SQLite."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy import Numeric

            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        d = to_decimal(value)
        return d if dialect.name == "postgresql" else str(d)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else to_decimal(value)


class _SqliteDateTime(UserDefinedType[Any]):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "DATETIME"


def _register_reflection() -> None:
    """Let SQLAlchemy reflect PostGIS ``geometry`` columns (Alembic's schema comparison)."""
    from sqlalchemy.dialects.postgresql.base import ischema_names

    class _ReflectedGeometry(UserDefinedType[Any]):
        cache_ok = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def get_col_spec(self, **kw: Any) -> str:
            return "geometry"

    ischema_names.setdefault("geometry", _ReflectedGeometry)


_register_reflection()
