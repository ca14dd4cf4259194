"""Which 2070 park each parcel lies in, kept in the store (issue #16; owner of the rule:
:func:`indspace.services.evaluation.firm_parks`).

A parcel is in the park that holds a point inside it (its representative point). Finding it
reads every parcel geometry (≈ 0.3 s on the city demo), too slow for every evaluation run;
the result is kept in ``parcel_parks`` keyed by the
:func:`~indspace.store.stamps.content_version` of ``parks`` and ``parcels`` and found
again while neither table has changed (any import or edit changes the version).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from indspace.store.stamps import content_version, replace_kept
from indspace.store.store import Store

TABLE = "parcel_parks"
SOURCES = ("parks", "parcels")


def version(store: Store) -> str:
    """The content version of the tables the mapping comes from."""
    return content_version(store, SOURCES)


def read(store: Store, source_version: str) -> pd.DataFrame | None:
    """parcel_id → park_id kept for ``source_version`` (sorted by parcel_id, park_id), or
    None when none is kept. A kept mapping with no parcel in any park is one marker row
    whose parcel_id is empty."""
    t = store.table(TABLE)
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.parcel_id, t.c.park_id)
            .where(t.c.source_version == source_version)
            .order_by(t.c.fid)
        ).cursor.fetchall()
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["parcel_id", "park_id"])
    return frame[frame["parcel_id"].ne("")].reset_index(drop=True)


def write(store: Store, source_version: str, mapping: pd.DataFrame) -> bool:
    """Keep ``mapping`` (parcel_id, park_id) for ``source_version``, dropping any other
    version, unless the source tables changed meanwhile; returns whether it was kept."""
    rows = mapping[["parcel_id", "park_id"]].astype(object)
    if rows.empty:
        rows = pd.DataFrame({"parcel_id": [""], "park_id": [""]})
    return replace_kept(store, TABLE, rows.assign(source_version=source_version), SOURCES,
                        source_version, what_zh="宗地所在园区", what_en="parcels' parks")
