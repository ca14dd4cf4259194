"""Each parcel's control-line status kept for the vector tiles (issue #16 item 1; the rule's
owner is :func:`indspace.core.engines.controlline.overlay`, the refresh is
:meth:`indspace.services.tiles.TileService.refresh_line_status`).

A parcel tile shows ``line_status`` (inside | partial | outside). Computing it at tile time
intersects every straddling parcel with the line (the densest z12 tile of the city demo
≈ 370 ms); kept in ``parcel_line_status`` a cold tile joins it by the parcel's ``fid``.

A kept row counts only while it still describes what the store holds, checked in the tile
query itself, row by row:

* the parcel: the row's ``parcel_fid`` and ``parcel_version`` are the parcel's current ones
  (an edit of the parcel adds one to its version, a retired and re-added parcel has a new
  fid), so an edited parcel's old status is never read;
* the lines: the row's ``source_version`` is the :func:`content_version` of
  ``control_lines`` the caller passes (the same mechanism as the other kept per-parcel
  figures: any write to the lines changes it), and its ``tolerance_m`` is the boundary
  tolerance the caller uses.

A parcel without a valid row gets its status computed at tile time (the older, slower
path), so a tile is never stale, only slower until the table is refreshed.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from indspace.store.stamps import content_version, replace_kept
from indspace.store.store import Store

TABLE = "parcel_line_status"
SOURCES = ("control_lines",)
COLUMNS = ("parcel_fid", "parcel_version", "parcel_id", "line_status")
"""The columns of a kept frame (besides the version and tolerance the rows are keyed by)."""

Kept = tuple[str, float]
"""(content version of the lines, boundary tolerance in m) of the kept rows."""


def version(store: Store) -> str:
    """The content version of ``control_lines`` (the source the statuses depend on besides
    each parcel's own version)."""
    return content_version(store, SOURCES)


def kept(store: Store) -> Kept | None:
    """The (lines version, tolerance) the kept rows were computed with; None when none are
    kept."""
    t = store.table(TABLE)
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t.c.source_version, t.c.tolerance_m).limit(1)).first()
    return None if row is None else (str(row[0]), float(row[1]))


def write(store: Store, source_version: str, tolerance_m: float, frame: pd.DataFrame) -> bool:
    """Keep ``frame`` (:data:`COLUMNS`) for ``source_version`` and ``tolerance_m`` in one
    transaction, replacing any other kept rows, unless the lines changed meanwhile (checked
    inside the write transaction); returns whether the rows were kept. Rows of parcels
    edited meanwhile are kept too: their version no longer matches, so they are not read."""
    rows = pd.DataFrame({c: frame[c].to_numpy(dtype=object) for c in COLUMNS}).assign(
        source_version=source_version, tolerance_m=float(tolerance_m)
    )
    return replace_kept(store, TABLE, rows, SOURCES, source_version,
                        what_zh="宗地控制线状态", what_en="parcels' control-line status")
