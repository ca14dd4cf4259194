"""Alembic environment: always run programmatically by ``indspace.store`` with a live
connection in ``config.attributes["connection"]`` and the deployment SRID in
``config.attributes["srid"]``."""

from __future__ import annotations

from alembic import context

from indspace.settings import DEFAULT_SRID
from indspace.store.tables import build_metadata

config = context.config
connection = config.attributes["connection"]
target_metadata = build_metadata(int(config.attributes.get("srid", DEFAULT_SRID)))


def _include(name: str | None, type_: str, *_: object) -> bool:
    # GeoPackage/PostGIS system tables and R-tree shadow tables are not ours to diff.
    if type_ == "table" and name is not None:
        return not (name.startswith(("gpkg_", "rtree_", "sqlite_")) or name == "spatial_ref_sys")
    return True


context.configure(
    connection=connection,
    target_metadata=target_metadata,
    include_name=_include,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=False,
)
with context.begin_transaction():
    context.run_migrations()
