"""Backend-specific steps shared by migrations: make new tables visible to GIS clients.

Each migration names the tables it created; their geometry columns are looked up in the
metadata. On SQLite the tables are registered in the GeoPackage catalogue (features or
attributes) and spatial ones get an R-tree; on PostGIS spatial ones get a GiST index.
"""

from __future__ import annotations

from alembic import op

from indspace.store import gpkg
from indspace.store.tables import build_metadata, spatial_tables


def register_tables(names: list[str], srid: int) -> None:
    md = build_metadata(srid)
    spatial = {t: (c, geom_type, indexed) for t, c, geom_type, indexed in spatial_tables(md)}
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        execute = bind.exec_driver_sql
        gpkg.create_core_tables(execute, srid)
        for name in names:
            comment = md.tables[name].comment or ""
            if name in spatial:
                c, geom_type, indexed = spatial[name]
                gpkg.register_features(execute, name, c, geom_type, srid, comment)
                if indexed:
                    gpkg.create_rtree(execute, name, c)
            else:
                gpkg.register_attributes(execute, name, comment)
    else:
        for name in names:
            if name in spatial and spatial[name][2]:
                c = spatial[name][0]
                op.create_index(f"ix_{name}_{c}", name, [c], postgresql_using="gist")
