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

A refresh after parcel edits alone (the lines and the tolerance those of the kept rows)
recomputes only the parcels without a valid row (:func:`stale`) and replaces just their rows
(:func:`update`); a change of the lines or of the tolerance rewrites every row (:func:`write`).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from indspace.store.stamps import content_version, content_version_in, kept_write, replace_kept
from indspace.store.store import Store

TABLE = "parcel_line_status"
SOURCES = ("control_lines",)
COLUMNS = ("parcel_fid", "parcel_version", "parcel_id", "line_status")
"""The columns of a kept frame (besides the version and tolerance the rows are keyed by)."""

WHAT_ZH, WHAT_EN = "宗地控制线状态", "parcels' control-line status"
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


def _rows(frame: pd.DataFrame, source_version: str, tolerance_m: float) -> pd.DataFrame:
    return pd.DataFrame({c: frame[c].to_numpy(dtype=object) for c in COLUMNS}).assign(
        source_version=source_version, tolerance_m=float(tolerance_m))


def write(store: Store, source_version: str, tolerance_m: float, frame: pd.DataFrame) -> bool:
    """Keep ``frame`` (:data:`COLUMNS`) for ``source_version`` and ``tolerance_m`` in one
    transaction, replacing any other kept rows, unless the lines changed meanwhile (checked
    inside the write transaction); returns whether the rows were kept. Rows of parcels
    edited meanwhile are kept too: their version no longer matches, so they are not read."""
    rows = _rows(frame, source_version, tolerance_m)
    return replace_kept(store, TABLE, rows, SOURCES, source_version,
                        what_zh=WHAT_ZH, what_en=WHAT_EN)


def stale(store: Store, source_version: str, tolerance_m: float) -> pd.DataFrame:
    """``fid``, ``version`` and ``parcel_id`` of the current parcels without a valid kept row
    for ``source_version`` and ``tolerance_m`` (the same join the tile query reads by)."""
    sql = ("SELECT p.fid, p.version, p.parcel_id FROM parcels p "
           "LEFT JOIN parcel_line_status k ON k.parcel_fid = p.fid "
           "AND k.parcel_version = p.version AND k.source_version = :v "
           "AND k.tolerance_m = :tol WHERE k.parcel_fid IS NULL ORDER BY p.fid")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text(sql), {"v": source_version,
                                           "tol": float(tolerance_m)}).all()
    return pd.DataFrame(rows, columns=["fid", "version", "parcel_id"])


_CHUNK = 500
"""Parcel ids per ``IN (…)`` list (well under SQLite's bound-parameter limit)."""


def update(store: Store, source_version: str, tolerance_m: float, frame: pd.DataFrame) -> bool:
    """Replace the kept rows of ``frame``'s parcels (:data:`COLUMNS`; by parcel_id) by
    ``frame`` and drop the rows of parcels no longer current, in one transaction, unless the
    lines changed meanwhile or the kept rows are no longer those of ``source_version`` and
    ``tolerance_m`` (a full refresh ran meanwhile); returns whether the rows were kept."""
    t = store.table(TABLE)
    rows = _rows(frame, source_version, tolerance_m)
    ids = [str(x) for x in rows["parcel_id"]]
    from indspace.store.runs import _append

    with kept_write(store, TABLE, what_zh=WHAT_ZH, what_en=WHAT_EN) as conn:
        if content_version_in(conn, SOURCES) != source_version:
            return False
        other = conn.execute(sa.select(t.c.fid).where(
            (t.c.source_version != source_version)
            | (t.c.tolerance_m != float(tolerance_m))).limit(1)).first()
        if other is not None:
            return False
        for i in range(0, len(ids), _CHUNK):
            conn.execute(sa.delete(t).where(t.c.parcel_id.in_(ids[i:i + _CHUNK])))
        current = sa.select(store.table("parcels").c.fid)
        conn.execute(sa.delete(t).where(t.c.parcel_fid.not_in(current)))
        _append(store, conn, TABLE, rows)
    return True
