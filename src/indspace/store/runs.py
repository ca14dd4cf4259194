"""Evaluation runs in the store: write once, read many, never edit results (issue #5).

A run row is immutable except for its publication fields (``state``, ``published_at``,
``objection_deadline``), which only move forward: computed → published → closed. A correction
is a new run with ``parent_run_id`` set, never an update of old results.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from indspace.core.errors import ConflictError, NotFoundError, ValidationError
from indspace.store.frames import row_columns
from indspace.store.store import Store

RUN_STATES = ("computed", "published", "closed")


def _clean(v: Any) -> Any:
    """A DB-ready Python scalar: numpy → Python, NaN/NA → None."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _column_values(col: pd.Series) -> list[Any]:
    """A column as DB-ready Python scalars, the values :func:`_clean` gives cell by cell,
    converted column-wise: numeric and boolean columns (numpy or nullable) by one numpy
    cast to Python objects with missing cells set to None, text columns by one conversion,
    other columns cell by cell."""
    kind = col.dtype.kind
    if kind in "iubf":
        missing = col.isna().to_numpy(dtype=bool)
        numpy_type = {"i": "int64", "u": "uint64", "b": "bool", "f": "float64"}[kind]
        values = col.to_numpy(dtype=numpy_type, na_value=False if kind == "b" else 0)
        out = values.astype(object)      # numpy → Python int / float / bool
        out[missing] = None
        return out.tolist()             # type: ignore[no-any-return]
    if isinstance(col.dtype, pd.StringDtype):   # text: str, missing → None
        return col.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[no-any-return]
    values = col.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        out = values.copy()                     # text in an object column: missing → None
        out[pd.isna(values)] = None
        return out.tolist()                     # type: ignore[no-any-return]
    return [_clean(v) for v in values]


def next_version(store: Store, conn: sa.Connection, count: sa.Select[Any], lock_key: str
                 ) -> int:
    """The next version number of a series of runs: ``count`` (a COUNT or MAX of the series'
    versions) + 1, read after taking the series' lock on PostGIS so that two writers of the
    same series never get the same number (GeoPackage: the write lock already serialises)."""
    store.xact_lock(conn, lock_key)
    return int(conn.execute(count).scalar_one() or 0) + 1


def _append(store: Store, conn: Connection, table: str, frame: pd.DataFrame) -> None:
    """Bulk-append ``frame`` (columns = table columns) inside the caller's transaction."""
    if frame.empty:
        return
    t = store.table(table)
    frame = frame.copy()
    for c in frame.columns:   # integer columns: 5.0 → 5 (COPY rejects "5.0" for integer)
        if isinstance(t.c[c].type, sa.Integer) and frame[c].dtype.kind == "f":
            frame[c] = frame[c].round().astype("Int64")
        elif isinstance(t.c[c].type, sa.Boolean):
            frame[c] = frame[c].astype("boolean")
    cols = list(frame.columns)
    rows: Iterable[tuple[Any, ...]] = zip(*(_column_values(frame[c]) for c in cols),
                                          strict=True)
    store.append_rows(conn, table, cols, rows)


def find_run(store: Store, year: int, profile_id: str, profile_hash: str,
             inputs_hash: str | None, method_date: date, *,
             inputs_version: str | None = None) -> dict[str, Any] | None:
    """The latest run computed from exactly these inputs (``inputs_hash``, or the content
    version ``inputs_version`` of its input tables), this profile text and this method
    date, if any."""
    if inputs_hash is None and inputs_version is None:
        raise ValueError("find_run needs inputs_hash or inputs_version")
    t = store.table("evaluation_runs")
    same = (t.c.inputs_hash == inputs_hash if inputs_hash is not None else
            t.c.inputs_version == inputs_version)
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(
            t.c.year == year, t.c.profile_id == profile_id, t.c.profile_hash == profile_hash,
            same, t.c.method_date == method_date)
            .order_by(t.c.version.desc())).mappings().first()
    return dict(row) if row else None


def runs_of_inputs(store: Store, year: int, profile_hash: str, inputs_hash: str
                   ) -> list[tuple[str, date]]:
    """(run_id, method_date) of the runs of ``year`` computed from this profile text and
    these inputs, whatever their method date, newest version first."""
    t = store.table("evaluation_runs")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.run_id, t.c.method_date).where(
            t.c.year == year, t.c.profile_hash == profile_hash,
            t.c.inputs_hash == inputs_hash).order_by(t.c.version.desc())).all()
    return [(str(r[0]), r[1]) for r in rows]


def get_run(store: Store, run_id: str) -> dict[str, Any]:
    t = store.table("evaluation_runs")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.run_id == run_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"评价批次 {run_id} 不存在", f"evaluation run {run_id} not found",
                            where="evaluation_runs",
                            hint_zh="用 indspace runs 查看已有批次",
                            hint_en="list runs with `indspace runs`")
    return dict(row)


def list_runs(store: Store, year: int | None = None) -> pd.DataFrame:
    t = store.table("evaluation_runs")
    q = sa.select(t).order_by(t.c.year, t.c.profile_id, t.c.version)
    if year is not None:
        q = q.where(t.c.year == year)
    with store.engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame([dict(r) for r in rows])


def latest_run(store: Store, year: int, profile_id: str | None = None) -> dict[str, Any] | None:
    t = store.table("evaluation_runs")
    q = sa.select(t).where(t.c.year == year)
    if profile_id is not None:
        q = q.where(t.c.profile_id == profile_id)
    with store.engine.connect() as conn:
        row = conn.execute(q.order_by(t.c.created_at.desc(), t.c.fid.desc())).mappings().first()
    return dict(row) if row else None


def save_run(store: Store, run: dict[str, Any], results: pd.DataFrame, scores: pd.DataFrame,
             parcels: pd.DataFrame, *, objection_ids: list[str] | None = None,
             history: pd.DataFrame | None = None,
             history_keys: Sequence[HistoryKey] = (),
             zones: pd.DataFrame | None = None,
             columns: Mapping[tuple[str, str], np.ndarray] | None = None,
             frames: Mapping[str, pd.DataFrame] | None = None) -> dict[str, Any]:
    """Write a new run with all its rows in ONE transaction; assign its version number.

    ``run`` holds the ``evaluation_runs`` columns except ``run_id``, ``version`` and
    ``state``. The version is 1 + the highest version of the same year and profile, read
    inside the write transaction so that two writers cannot take the same number.
    ``history`` (credit_code, year, policy_grade) is the grade history the run's policies
    read (``run["history_years"]`` years before its year), kept for later steps;
    ``history_keys`` says, per year of it, the method date and inputs hash its grades came
    from and the run already holding them (None: none; their rows are written with this
    run), see :func:`find_history`. ``zones`` (the zone sums, class counts in
    ``grade_counts`` as JSON) is what the roll-up pages show about the run; ``columns``
    ((table, name) → array aligned with the rows given for that table) the per-firm
    figures kept beside them, each as one value (revision 0019); ``frames`` (name → frame)
    whole frames a later step on the run reads back (:func:`read_kept_frame`).
    """
    t = store.table("evaluation_runs")
    with store._write() as conn:
        q = sa.select(sa.func.max(t.c.version)).where(t.c.year == run["year"],
                                                     t.c.profile_id == run["profile_id"])
        version = next_version(store, conn, q,
                               f"evaluation_runs:{run['year']}:{run['profile_id']}")
        run_id = f"{run['year']}-{run['profile_id']}-v{version}"
        row = {**run, "run_id": run_id, "version": version, "state": "computed"}
        conn.execute(sa.insert(t).values(**row))
        _append(store, conn, "evaluation_results", results.assign(run_id=run_id))
        _append(store, conn, "evaluation_scores", scores.assign(run_id=run_id))
        _append(store, conn, "parcel_evaluations", parcels.assign(run_id=run_id))
        if zones is not None:
            _append(store, conn, "evaluation_zones", zones.assign(run_id=run_id))
        if columns:
            conn.execute(sa.insert(store.table("evaluation_columns")), [
                {"run_id": run_id, "rows_of": table, "name": name,
                 **_column_blob(values)} for (table, name), values in columns.items()])
        if frames:
            conn.execute(sa.insert(store.table("evaluation_columns")), [
                {"run_id": run_id, "rows_of": KEPT_FRAME, "name": name, "dtype": FRAME_DTYPE,
                 "data": frame_blob(frame)} for name, frame in sorted(frames.items())])
        if history is not None:       # the years another run holds: a pointer, no copy
            held = {y for y, _, _, holder in history_keys if holder is not None}
            own = history[~history["year"].isin(held)]
            _append(store, conn, "evaluation_history",
                    own[["credit_code", "year", "policy_grade"]].assign(run_id=run_id))
        if history_keys:
            conn.execute(sa.insert(store.table("evaluation_history_years")), [
                {"run_id": run_id, "year": y, "method_date": on, "inputs_hash": digest,
                 "grades_run_id": holder} for y, on, digest, holder in history_keys])
        if objection_ids:
            o = store.table("evaluation_objections")
            conn.execute(sa.update(o).where(o.c.objection_id.in_(objection_ids))
                         .values(resolved_run_id=run_id))
        store._audit(conn, run["created_at"], run["actor"], "evaluate", "evaluation_runs",
                     run_id, None, json.dumps({"inputs_hash": run["inputs_hash"],
                                               "profile_hash": run["profile_hash"],
                                               "parent_run_id": run.get("parent_run_id")},
                                              sort_keys=True), run.get("note") or "")
    return {**row}


def read_results(store: Store, run_id: str, credit_code: str | None = None, *,
                 columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A run's results (``columns``: only these, else all), by credit_code."""
    return _read(store, "evaluation_results", run_id, credit_code, "credit_code", columns)


def read_run_figures(store: Store, run_id: str, year: int,
                     credit_code: str | None = None) -> pd.DataFrame:
    """A run's stored results (credit_code, status, grade, land_area_mu, score, rank,
    group_size) with each firm's current district and its own tax and value added of
    ``year`` (万元, float; missing when the firm has no figures that year), in one indexed
    read — what a roll-up of a stored run needs (the overview, issue #16)."""
    r, e, i = (store.table("evaluation_results"), store.table("enterprises"),
               store.table("indicators"))
    cols = [r.c.credit_code, r.c.status, r.c.grade, r.c.land_area_mu, r.c.score, r.c.rank,
            r.c.group_size, e.c.district, i.c.tax, i.c.value_added]
    q = (sa.select(*cols)
         .select_from(r.outerjoin(e, e.c.credit_code == r.c.credit_code)
                      .outerjoin(i, sa.and_(i.c.credit_code == r.c.credit_code,
                                            i.c.year == year)))
         .where(r.c.run_id == run_id))
    if credit_code is not None:
        q = q.where(r.c.credit_code == credit_code)
    with store.engine.connect() as conn:
        rows = conn.execute(q.order_by(r.c.credit_code)).cursor.fetchall()
    names = [c.name for c in cols]
    by_col = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    frame = pd.DataFrame({n: list(v) for n, v in zip(names, by_col, strict=True)})
    for c in ("land_area_mu", "score", "tax", "value_added"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
    return frame


def read_scores(store: Store, run_id: str, credit_code: str | None = None, *,
                columns: Sequence[str] | None = None) -> pd.DataFrame:
    return _read(store, "evaluation_scores", run_id, credit_code, "credit_code", columns)


def _column_blob(values: np.ndarray) -> dict[str, Any]:
    """One column as stored in ``evaluation_columns``: little-endian int64 or float64."""
    arr = np.asarray(values)
    dtype = "<i8" if arr.dtype.kind in "iub" else "<f8"
    return {"dtype": dtype, "data": np.ascontiguousarray(arr, dtype=dtype).tobytes()}


KEPT_FRAME = "frame"
"""``evaluation_columns.rows_of`` of a whole frame kept with a run (e.g. its land
attribution); ``name`` names the frame, ``dtype`` is :data:`FRAME_DTYPE`."""
FRAME_DTYPE = "arrow-ipc"


def frame_blob(frame: pd.DataFrame) -> bytes:
    """A frame as one Arrow IPC stream, LZ4-compressed (the same frame gives the same bytes;
    readable by any Arrow reader, e.g. ``pyarrow.ipc.open_stream``; the city's land
    attribution, 63 057 links: 2.3 MB, ≈ 0.03 s to write or read)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def read_kept_frame(store: Store, run_id: str, name: str) -> pd.DataFrame | None:
    """The frame ``name`` kept with the run (:func:`save_run`), None if it kept none."""
    import pyarrow as pa

    t = store.table("evaluation_columns")
    with store.engine.connect() as conn:
        data = conn.execute(sa.select(t.c.data).where(
            t.c.run_id == run_id, t.c.rows_of == KEPT_FRAME, t.c.name == name)).scalar()
    if data is None:
        return None
    table = pa.ipc.open_stream(pa.py_buffer(bytes(data))).read_all()
    frame = table.to_pandas()
    # text kept as Python objects comes back as pandas' string dtype: make it objects again
    meta = table.schema.pandas_metadata or {}
    for col in meta.get("columns", []):
        column = col.get("name")
        if col.get("numpy_type") == "object" and column in frame.columns:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def read_columns(store: Store, run_id: str, rows_of: str) -> dict[str, np.ndarray]:
    """The per-firm columns a run kept beside its ``rows_of`` rows (revision 0019), each
    aligned with those rows in ``fid`` order (:func:`read_in_order`); empty for an older
    run."""
    t = store.table("evaluation_columns")
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.name, t.c.dtype, t.c.data).where(
            t.c.run_id == run_id, t.c.rows_of == rows_of)).all()
    return {name: np.frombuffer(bytes(data), dtype=dtype) for name, dtype, data in rows}


def read_in_order(store: Store, table: str, run_id: str, columns: Sequence[str]
                  ) -> pd.DataFrame:
    """A run's rows of ``table`` in the order written (``fid``): the order of its
    :func:`read_columns`."""
    t = store.table(table)
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(
            sa.select(*(t.c[c] for c in columns)).where(t.c.run_id == run_id)
            .order_by(t.c.fid))]
    return pd.DataFrame(rows, columns=list(columns))


def read_zones(store: Store, run_id: str) -> pd.DataFrame:
    """A run's zone sums (revision 0019), as written (zone_kind, zone order)."""
    t = store.table("evaluation_zones")
    cols = [c for c in t.columns if c.name not in ("fid", "run_id")]
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(
            sa.select(*cols).where(t.c.run_id == run_id).order_by(t.c.fid))]
    return pd.DataFrame(rows, columns=[c.name for c in cols])


def latest_run_id(store: Store, year: int, profile_id: str) -> str | None:
    """The id of the newest version of ``year``'s runs with ``profile_id``, or None."""
    t = store.table("evaluation_runs")
    q = (sa.select(t.c.run_id).where(t.c.year == year, t.c.profile_id == profile_id)
         .order_by(t.c.version.desc()).limit(1))
    with store.engine.connect() as conn:
        found = conn.execute(q).scalar()
    return None if found is None else str(found)


def latest_year(store: Store, profile_id: str) -> int | None:
    """The newest year that has a run with ``profile_id`` (the year the runs list shows
    first), or None without runs."""
    t = store.table("evaluation_runs")
    q = sa.select(sa.func.max(t.c.year)).where(t.c.profile_id == profile_id)
    with store.engine.connect() as conn:
        found = conn.execute(q).scalar()
    return None if found is None else int(found)


def latest_derived_run(store: Store, year: int, profile_id: str) -> dict[str, Any] | None:
    """The newest version of ``year``'s runs with ``profile_id`` that stored what pages show
    (``derived_version`` set, revision 0019), or None."""
    t = store.table("evaluation_runs")
    q = (sa.select(t).where(t.c.year == year, t.c.profile_id == profile_id,
                            t.c.derived_version.is_not(None))
         .order_by(t.c.version.desc()).limit(1))
    with store.engine.connect() as conn:
        row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def read_parcel_evaluations(store: Store, run_id: str, *,
                            columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A run's 地企双评 parcels (``columns``: only these, else all), by parcel_id."""
    return _read(store, "parcel_evaluations", run_id, None, "parcel_id", columns)


def read_history(store: Store, run_id: str, year: int | None = None,
                 credit_code: str | None = None) -> pd.DataFrame:
    """The grade history a run kept (credit_code, year, policy_grade; only ``year``'s
    rows if given), year by year in the order written, policy_grade as pandas ``string``
    (as the evaluation gives it); a year another run holds is read from that run. Empty for
    a run that kept none (``evaluation_runs.history_years``)."""
    t, k = store.table("evaluation_history"), store.table("evaluation_history_years")
    cols = (t.c.credit_code, t.c.year, t.c.policy_grade)
    keys = sa.select(k.c.year, sa.func.coalesce(k.c.grades_run_id, k.c.run_id).label("src")
                     ).where(k.c.run_id == run_id)
    if year is not None:
        keys = keys.where(k.c.year == year)
    parts: list[list[np.ndarray]] = []
    with store.engine.connect() as conn:
        for y, src in conn.execute(keys.order_by(k.c.year)).all():
            q = sa.select(*cols).where(t.c.run_id == src, t.c.year == y)
            if credit_code is not None:
                q = q.where(t.c.credit_code == credit_code)
            parts.append(row_columns(conn.execute(q.order_by(t.c.fid)).cursor.fetchall(), 3))
    by_col = ([np.concatenate([p[i] for p in parts]) for i in range(3)] if parts
              else row_columns([], 3))
    return pd.DataFrame({
        "credit_code": by_col[0],
        "year": by_col[1].astype(np.int64),
        "policy_grade": pd.array(by_col[2], dtype="string")})


HistoryKey = tuple[int, date, str, str | None]
"""(year, method date, inputs hash, run holding the grades or None) of a history year."""


def find_history(store: Store, profile_hash: str, year: int, method_date: date,
                 inputs_hash: str) -> str | None:
    """The run holding the grades of ``year`` evaluated from the profile text
    ``profile_hash`` on ``method_date`` with inputs ``inputs_hash`` for the latest run that
    used them (those grades are then the ones an evaluation would give again), or None."""
    h, r = store.table("evaluation_history_years"), store.table("evaluation_runs")
    q = (sa.select(sa.func.coalesce(h.c.grades_run_id, h.c.run_id))
         .join(r, r.c.run_id == h.c.run_id)
         .where(h.c.year == year, h.c.inputs_hash == inputs_hash,
                h.c.method_date == method_date, r.c.profile_hash == profile_hash)
         .order_by(h.c.fid.desc()).limit(1))
    with store.engine.connect() as conn:
        found = conn.execute(q).scalar()
    return None if found is None else str(found)


def _read(store: Store, table: str, run_id: str, credit_code: str | None,
          order: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    t = store.table(table)
    cols = ([t.c[c] for c in columns] if columns is not None else
            [c for c in t.columns if c.name not in ("fid", "run_id")])
    q = sa.select(*cols).where(t.c.run_id == run_id)
    if credit_code is not None:
        q = q.where(t.c.credit_code == credit_code)
    # text and numbers come from the driver as they are stored: the rows need no
    # SQLAlchemy type processing (≈ 3× faster than Row objects for a city run's results)
    plain = all(type(c.type) in (sa.Text, sa.Integer, sa.Float) for c in cols)
    with store.engine.connect() as conn:
        result = conn.execute(q.order_by(t.c[order], t.c.fid))
        # plain tuples: pandas builds a frame from SQLAlchemy Row objects ≈ 10× slower
        rows = result.cursor.fetchall() if plain else [tuple(r) for r in result]
    return pd.DataFrame(rows, columns=[c.name for c in cols])


def publish_run(store: Store, run_id: str, at: datetime, deadline: datetime,
                actor: str) -> dict[str, Any]:
    """computed → published, with the end of the objection window."""
    t = store.table("evaluation_runs")
    with store._write() as conn:
        row = _locked_run(store, conn, run_id)
        if row["state"] != "computed":
            raise ValidationError(
                f"批次 {run_id} 当前状态为 {row['state']}，只能公示“已计算”的批次",
                f"run {run_id} is {row['state']}; only a computed run can be published",
                where=run_id)
        conn.execute(sa.update(t).where(t.c.run_id == run_id).values(
            state="published", published_at=at, objection_deadline=deadline))
        store._audit(conn, at, actor, "publish", "evaluation_runs", run_id, None,
                     json.dumps({"objection_deadline": deadline.isoformat()}), "")
    return get_run(store, run_id)


def _locked_run(store: Store, conn: Connection, run_id: str) -> dict[str, Any]:
    t = store.table("evaluation_runs")
    q = store.for_update(sa.select(t).where(t.c.run_id == run_id))
    row = conn.execute(q).mappings().first()
    if row is None:
        raise NotFoundError(f"评价批次 {run_id} 不存在", f"evaluation run {run_id} not found",
                            where="evaluation_runs")
    return dict(row)


def _child_run(conn: Connection, store: Store, run_id: str) -> str | None:
    t = store.table("evaluation_runs")
    found = conn.execute(sa.select(t.c.run_id).where(t.c.parent_run_id == run_id)
                         .order_by(t.c.version).limit(1)).scalar()
    return None if found is None else str(found)


def superseded_by(store: Store, run_id: str) -> str | None:
    """The first corrected version made from ``run_id`` (an accepted objection's re-run,
    whose ``parent_run_id`` it is), or None: a superseded run takes no more objections."""
    with store.engine.connect() as conn:
        return _child_run(conn, store, run_id)


def add_objection(store: Store, objection: dict[str, Any]) -> dict[str, Any]:
    """File an objection against a published run while its window is open."""
    o = store.table("evaluation_objections")
    with store._write() as conn:
        run = _locked_run(store, conn, objection["run_id"])
        at = objection["filed_at"]
        if run["state"] != "published":
            raise ValidationError(
                f"批次 {run['run_id']} 未处于公示期（状态 {run['state']}），不能提出异议",
                f"run {run['run_id']} is not published (state {run['state']}); "
                "objections are accepted only during publication", where=run["run_id"])
        child = _child_run(conn, store, run["run_id"])
        if child is not None:
            raise ValidationError(
                f"批次 {run['run_id']} 已被更正版本 {child} 取代，不再受理异议",
                f"run {run['run_id']} has been superseded by the corrected version {child}; "
                "it takes no more objections", where=run["run_id"],
                hint_zh=f"如有异议，请针对 {child}（公示后）提出",
                hint_en=f"object to {child} once it is published")
        if at > run["objection_deadline"]:
            raise ValidationError(
                f"异议期已于 {run['objection_deadline'].isoformat()} 结束",
                f"the objection window closed at {run['objection_deadline'].isoformat()}",
                where=run["run_id"])
        n = conn.execute(sa.select(sa.func.count()).select_from(o)).scalar_one()
        oid = f"OBJ-{run['year']}-{n + 1:05d}"
        row = {**objection, "objection_id": oid, "state": "filed"}
        conn.execute(sa.insert(o).values(**row))
        store._audit(conn, at, objection["filed_by"], "object", "evaluation_objections", oid,
                     None, json.dumps({k: _clean(v) for k, v in objection.items()
                                       if k not in ("filed_at",)}, ensure_ascii=False,
                                      sort_keys=True, default=str), objection["reason"])
    return row


def get_objection(store: Store, objection_id: str) -> dict[str, Any]:
    o = store.table("evaluation_objections")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(o).where(o.c.objection_id == objection_id)
                           ).mappings().first()
    if row is None:
        raise NotFoundError(f"异议 {objection_id} 不存在", f"objection {objection_id} not found",
                            where="evaluation_objections")
    return dict(row)


def list_objections(store: Store, run_id: str | None = None) -> pd.DataFrame:
    o = store.table("evaluation_objections")
    q = sa.select(o).order_by(o.c.fid)
    if run_id is not None:
        q = q.where(o.c.run_id == run_id)
    with store.engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame([dict(r) for r in rows])


def close_objection(store: Store, objection_id: str, *, accepted: bool, at: datetime,
                    actor: str, note: str) -> dict[str, Any]:
    """filed → accepted | rejected (the corrected run is linked by ``save_run``)."""
    o = store.table("evaluation_objections")
    with store._write() as conn:
        row = conn.execute(sa.select(o).where(o.c.objection_id == objection_id)
                           ).mappings().first()
        if row is None:
            raise NotFoundError(f"异议 {objection_id} 不存在",
                                f"objection {objection_id} not found")
        if row["state"] != "filed":
            raise ConflictError(f"异议 {objection_id} 已处理（{row['state']}）",
                                  f"objection {objection_id} is already {row['state']}")
        state = "accepted" if accepted else "rejected"
        conn.execute(sa.update(o).where(o.c.objection_id == objection_id).values(
            state=state, resolved_at=at, resolved_by=actor, resolution_note=note))
        store._audit(conn, at, actor, state, "evaluation_objections", objection_id,
                     None, None, note)
    return get_objection(store, objection_id)


def read_parcel_evaluation(store: Store, run_id: str, parcel_id: str) -> dict[str, Any] | None:
    """One parcel's 地企双评 row of a run, or None."""
    t = store.table("parcel_evaluations")
    cols = [c for c in t.columns if c.name not in ("fid", "run_id")]
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(*cols).where(t.c.run_id == run_id,
                                                  t.c.parcel_id == parcel_id)).mappings().first()
    return dict(row) if row else None
