"""Per-parcel building figures kept in the store (issue #14; the owner of the figures is
:mod:`indspace.services.land`).

The overlay of every building on every parcel is the costliest read of the annual run
(150 000 building geometries on the city demo). Its per-parcel result is kept in
``parcel_building_figures``, keyed by the content version of the tables it came from
(:func:`~indspace.store.stamps.content_version`) and by the storey-height limit; a step
finds it again while neither table has changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from indspace.store.frames import row_columns
from indspace.store.runs import _append
from indspace.store.stamps import content_version_in, kept_write
from indspace.store.store import Store

TABLE = "parcel_building_figures"
FIGURE_COLUMNS = ("parcel_id", "footprint_m2", "floor_area_m2", "far_floor_m2", "mean_year_built")


def read_building_figures(store: Store, source_version: str, limit_m: float) -> pd.DataFrame | None:
    """The figures kept for ``source_version`` and the storey-height limit ``limit_m``
    (sorted by parcel_id, the frame they were written from), or None when none are kept."""
    t = store.table(TABLE)
    cols = [t.c[c] for c in FIGURE_COLUMNS]
    cond = (t.c.source_version == source_version, t.c.storey_limit_m == float(limit_m))
    with store.engine.connect() as conn:
        if conn.execute(sa.select(t.c.fid).where(*cond).limit(1)).first() is None:
            return None
        rows = conn.execute(sa.select(*cols).where(*cond).order_by(t.c.fid)).cursor.fetchall()
    by_col = row_columns(rows, len(FIGURE_COLUMNS))
    frame = pd.DataFrame(
        {
            "parcel_id": pd.array(by_col[0], dtype="string"),
            **{
                c: np.array(by_col[i], dtype="float64")
                for i, c in enumerate(FIGURE_COLUMNS)
                if i > 0
            },
        }
    )
    return frame


def write_building_figures(
    store: Store,
    source_version: str,
    figures: dict[float, pd.DataFrame],
    *,
    tables: tuple[str, ...] = (),
    content: str | None = None,
) -> bool:
    """Keep ``figures`` (per storey-height limit, :data:`FIGURE_COLUMNS`) for
    ``source_version`` in one transaction; figures of any other version are dropped (they
    describe tables that no longer exist). With ``content`` (the content version of the
    ``tables`` the figures were computed from, :func:`~indspace.store.stamps.content_version`)
    nothing is written if the tables changed meanwhile (checked inside the write
    transaction); returns whether they were kept. A store that cannot be written (read-only
    file or database role) raises :class:`StoreError`."""
    t = store.table(TABLE)
    with kept_write(store, TABLE, what_zh="宗地建筑指标",
                    what_en="parcel building figures") as conn:
        if content is not None and content_version_in(conn, tables) != content:
            return False  # buildings or parcels changed while the figures were computed
        conn.execute(sa.delete(t).where(t.c.source_version != source_version))
        for limit_m, frame in sorted(figures.items()):
            cond = (t.c.source_version == source_version, t.c.storey_limit_m == float(limit_m))
            if conn.execute(sa.select(t.c.fid).where(*cond).limit(1)).first() is not None:
                continue  # another process kept them meanwhile
            rows = pd.DataFrame(frame[list(FIGURE_COLUMNS)]).assign(
                source_version=source_version, storey_limit_m=float(limit_m)
            )
            rows["parcel_id"] = rows["parcel_id"].astype("string")
            _append(store, conn, TABLE, rows)
    return True
