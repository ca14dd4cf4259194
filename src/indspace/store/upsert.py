"""Apply an import to the store: insert new records, version changed ones, leave unchanged
ones alone, optionally retire absent ones — and record the run and its quarantine — in ONE
transaction. Re-importing the same file therefore changes no record.

Only the store speaks SQL; services hand in validated frames (entity contract + geometry in
the store CRS) and receive counts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from indspace.core.errors import ValidationError
from indspace.core.model.entities import ENTITIES, Entity, check_frame
from indspace.store.frames import frame_columns
from indspace.store.tables import GEOM, history_name

if TYPE_CHECKING:
    from indspace.store.store import Store

Mode = Literal["upsert", "replace"]
_CHUNK = 500
AUDIT_CHANGES_MAX = 100
"""Keys an import's audit entry lists per kind of change (inserted, updated, retired), the
first in key order; the entry always carries the full counts, and ``omitted`` says how
many keys of each kind are not listed. Bounds the entry (≈ 30 kB for 100 updated records
with a few fields each) however large the import."""


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0


def _changed(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise "differs", treating two missing values as equal."""
    na_a, na_b = a.isna().to_numpy(), b.isna().to_numpy()
    # NA sentinels (pd.NA, NaN, NaT) would make ``==`` ambiguous: compare with None instead
    va = np.where(na_a, None, a.to_numpy(dtype=object))
    vb = np.where(na_b, None, b.to_numpy(dtype=object))
    eq = np.asarray(va == vb, dtype=bool)
    return ~((na_a & na_b) | (~na_a & ~na_b & eq))


GEOMETRY_TOLERANCE_M = 0.001
"""Vertices closer than 1 mm count as unchanged: a round trip through another CRS (e.g. an
export to EPSG:4490 GeoJSON and back) moves coordinates by ~1e-6 m, which must not create a
new version of every parcel."""


def _geom_changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    none_a, none_b = shapely.is_missing(a), shapely.is_missing(b)
    same = np.zeros(len(a), dtype=bool)
    both = ~none_a & ~none_b
    same[both] = shapely.equals_exact(a[both], b[both], GEOMETRY_TOLERANCE_M)
    return ~((none_a & none_b) | same)


def apply_import(store: Store, name: str, frame: pd.DataFrame, *, columns: list[str],
                 at: datetime, actor: str, reason: str, mode: Mode = "upsert",
                 run: dict[str, Any] | None = None,
                 quarantine: pd.DataFrame | None = None) -> UpsertCounts:
    """Merge ``frame`` into entity ``name``.

    Parameters
    ----------
    frame
        Validated records (entity contract; ``geometry`` in the store CRS for spatial
        entities). Keys must be unique.
    columns
        The contract columns the source file actually carried (plus ``geometry``): only these
        are compared and updated, so a file without an optional column never erases it.
    at
        Version time (UTC) of new and changed records; must be later than the current
        version of every changed record.
    mode
        ``upsert`` keeps records absent from the file; ``replace`` retires them (their
        current version moves to history).
    run, quarantine
        The ``import_runs`` row (without counts; they are filled in here) and the rejected
        rows, written in the same transaction.
    """
    entity = ENTITIES[name]
    check_frame(entity, frame, source=name)
    keys = list(entity.key)
    if frame.duplicated(keys).any():
        raise ValidationError("导入数据主键重复", "duplicate keys in the records to import",
                              where=name)
    cols = [c for c in columns if c in entity.columns and c not in keys]
    spatial = entity.geometry is not None and "geometry" in columns
    with store._write() as conn:
        cur = _current(store, conn, entity)
        fresh = frame.reset_index(drop=True)
        diff = np.zeros(len(fresh), dtype=bool)
        if len(cur):
            merged = fresh.merge(cur, on=keys, how="left", suffixes=("", "__cur"),
                                 indicator=True)
            is_new = (merged["_merge"] == "left_only").to_numpy()
            if not is_new.all():
                for c in cols:
                    diff |= _changed(merged[c], merged[f"{c}__cur"])
                if spatial:
                    diff |= _geom_changed(np.asarray(merged["geometry"], dtype=object),
                                          np.asarray(merged["geometry__cur"], dtype=object))
            diff &= ~is_new
            changed = merged[diff]
        else:  # nothing stored yet: every record is new, nothing to compare
            is_new = np.ones(len(fresh), dtype=bool)
            changed = fresh.iloc[:0]
        if len(changed) and (changed["valid_from__cur"] >= at).any():
            bad = changed.loc[changed["valid_from__cur"] >= at, keys].iloc[0].tolist()
            raise ValidationError(
                f"记录 {bad} 的当前版本晚于本次导入时间，不能追加历史",
                f"record {bad} has a current version at or after this import's time",
                where=name, hint_zh="请检查系统时间", hint_en="check the system clock")
        new_rows = fresh if is_new.all() else fresh[is_new]
        if len(new_rows):
            store._insert(conn, entity, new_rows, at)
        if len(changed):
            _version(store, conn, entity, changed, cols, spatial, at)
        retired, fids = 0, []
        if mode == "replace":
            gone = cur.merge(frame[keys], on=keys, how="left", indicator=True)
            fids = gone.loc[gone["_merge"] == "left_only", "fid__cur"].astype(int).tolist()
            retired = _retire(store, conn, entity, fids, at)
        counts = UpsertCounts(int(is_new.sum()), int(diff.sum()),
                              int(len(fresh) - is_new.sum() - diff.sum()), retired)
        if run is not None:
            conn.execute(sa.insert(store.table("import_runs")).values(**run, **asdict(counts)))
        if quarantine is not None and len(quarantine):
            conn.execute(sa.insert(store.table("import_quarantine")),
                         quarantine.to_dict("records"))
        changes = _changes(keys, cols, spatial, new_rows,
                           changed if len(changed) else None,
                           cur.loc[cur["fid__cur"].isin(fids)] if retired else None)
        store._audit(conn, at, actor, "import", name, str((run or {}).get("import_id", "-")),
                     None, json.dumps({**asdict(counts), **changes}, sort_keys=True,
                                      ensure_ascii=False), reason)
    return counts


def _plain(value: Any) -> Any:
    """A value as JSON shows it (missing → null, money as its exact text)."""
    if value is None or (not isinstance(value, str | bytes) and pd.api.types.is_scalar(value)
                         and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _shape(geom: Any) -> dict[str, Any] | None:
    """What the audit keeps of a geometry: its area and a fingerprint (not the coordinates,
    which the record's history holds)."""
    if geom is None or shapely.is_missing(geom):
        return None
    return {"area_m2": round(float(shapely.area(geom)), 1),
            "wkb_sha256": hashlib.sha256(shapely.to_wkb(geom)).hexdigest()[:16]}


def _key_of(row: pd.Series, keys: list[str]) -> str:
    return "|".join(str(_plain(row[k])) for k in keys)


def _changes(keys: list[str], cols: list[str], spatial: bool, inserted: pd.DataFrame,
             updated: pd.DataFrame | None, retired: pd.DataFrame | None) -> dict[str, Any]:
    """What an import changed, per key, for its audit entry: keys inserted, fields updated
    (before and after, only the fields that differ) and keys retired — the first
    :data:`AUDIT_CHANGES_MAX` of each in key order, with how many more were not listed."""
    n = AUDIT_CHANGES_MAX

    def first(frame: pd.DataFrame | None, only_keys: bool = False) -> pd.DataFrame:
        if frame is None or not len(frame):
            return pd.DataFrame(columns=keys)
        return pd.DataFrame(frame[keys] if only_keys else frame).sort_values(
            keys, kind="stable").head(n)

    # at most AUDIT_CHANGES_MAX rows each: the loops below are bounded
    listed_inserted = [_key_of(r, keys) for _, r in first(inserted, True).iterrows()]
    listed_retired = [_key_of(r, keys) for _, r in first(retired, True).iterrows()]
    listed_updated: list[dict[str, Any]] = []
    for _, row in first(updated).iterrows():
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for c in cols:
            if _changed(pd.Series([row[c]]), pd.Series([row[f"{c}__cur"]]))[0]:
                before[c], after[c] = _plain(row[f"{c}__cur"]), _plain(row[c])
        if spatial and _geom_changed(np.asarray([row["geometry"]], dtype=object),
                                     np.asarray([row["geometry__cur"]], dtype=object))[0]:
            before["geometry"], after["geometry"] = (_shape(row["geometry__cur"]),
                                                     _shape(row["geometry"]))
        listed_updated.append({"key": _key_of(row, keys), "before": before, "after": after})
    total = {"inserted": len(inserted), "updated": 0 if updated is None else len(updated),
             "retired": 0 if retired is None else len(retired)}
    listed: dict[str, list[Any]] = {"inserted": listed_inserted, "updated": listed_updated,
                                    "retired": listed_retired}
    return {"changes": listed,
            "omitted": {k: total[k] - len(v) for k, v in listed.items()}}


def record_rejected_run(store: Store, run: dict[str, Any], quarantine: pd.DataFrame,
                        at: datetime, actor: str, reason: str) -> None:
    """Record an import that wrote no records (``--strict`` refusal) with its quarantine."""
    with store._write() as conn:
        conn.execute(sa.insert(store.table("import_runs")).values(
            **run, **asdict(UpsertCounts())))
        if len(quarantine):
            conn.execute(sa.insert(store.table("import_quarantine")),
                         quarantine.to_dict("records"))
        store._audit(conn, at, actor, "import_rejected", run["kind"], run["import_id"],
                     None, None, reason)


def _current(store: Store, conn: Connection, entity: Entity) -> pd.DataFrame:
    """Current records with ``fid__cur`` and ``valid_from__cur`` (non-key columns suffixed
    ``__cur`` once merged)."""
    t = store.table(entity.table)
    attr = [*entity.columns, "fid", "valid_from"]
    spatial = entity.geometry is not None
    q = sa.select(*[t.c[c] for c in attr], *([store._raw_geom(t)] if spatial else []))
    frame = store._fetch_frame(conn, entity, q, attr, spatial)
    frame = frame.rename(columns={"fid": "fid__cur", "valid_from": "valid_from__cur"})
    frame["valid_from__cur"] = pd.to_datetime(frame["valid_from__cur"], utc=True)
    return pd.DataFrame(frame)


def _copy_to_history(store: Store, conn: Connection, entity: Entity, fids: list[int],
                     at: datetime) -> None:
    cur, hist = store.table(entity.table), store.table(history_name(entity.table))
    names = [c.name for c in cur.columns if c.name != "fid"]
    for i in range(0, len(fids), _CHUNK):
        sel = sa.select(*[cur.c[n] for n in names], sa.literal(at, hist.c.valid_to.type)
                        ).where(cur.c.fid.in_(fids[i:i + _CHUNK]))
        conn.execute(sa.insert(hist).from_select([*names, "valid_to"], sel))


def _version(store: Store, conn: Connection, entity: Entity, changed: pd.DataFrame,
             cols: list[str], spatial: bool, at: datetime) -> None:
    cur = store.table(entity.table)
    fids = changed["fid__cur"].astype(int).tolist()
    _copy_to_history(store, conn, entity, fids, at)
    values = frame_columns(entity, changed)
    params = [{"_fid": f, **{c: values[c][i] for c in cols}}
              for i, f in enumerate(fids)]
    if spatial:
        for p, g in zip(params, changed["geometry"].tolist(), strict=True):
            p[GEOM] = g
    stmt = (sa.update(cur).where(cur.c.fid == sa.bindparam("_fid"))
            .values(version=cur.c.version + 1, valid_from=sa.literal(at, cur.c.valid_from.type),
                    **{c: sa.bindparam(c) for c in cols},
                    **({GEOM: sa.bindparam(GEOM, type_=cur.c[GEOM].type)} if spatial else {})))
    conn.execute(stmt, params)


def _retire(store: Store, conn: Connection, entity: Entity, fids: list[int], at: datetime
            ) -> int:
    if not fids:
        return 0
    cur = store.table(entity.table)
    _copy_to_history(store, conn, entity, fids, at)
    for i in range(0, len(fids), _CHUNK):
        conn.execute(sa.delete(cur).where(cur.c.fid.in_(fids[i:i + _CHUNK])))
    return len(fids)
