"""连片改造单元 (redevelopment units): contiguous low-efficiency parcels grouped into units.

Rule (shared/domain/land-rules.md §J3): a redevelopment unit is a set of low-efficiency parcels
that touch or lie within ``gap_m`` of each other (``redevelopment_unit_adjacency_m``, default
5 m [I]; 10–20 m bridges a road). Contiguity is transitive: A–B within the gap and B–C within
the gap put A, B and C in one unit even when A and C are far apart. A parcel with no neighbour
is a unit of one parcel. Only the parcels given are grouped: a parcel that is not
low-efficiency is never added, even when the unit rings it (J3's "plus the parcels they
enclose" is the caller's choice, made before calling :func:`delineate`).

Method (vectorised, no O(n²) loop):

1. Candidate pairs from the envelopes alone, in numpy: each envelope grown by half the gap on
   every side, and the pairs of grown envelopes that meet from the overlay's grid join
   (:mod:`indspace.core.engines.envelopes`), kept once (i < j, 32-bit indices). No GEOS
   geometry or tree is created (slow in a fragmented heap). Each candidate is then tested
   exactly with ``shapely.dwithin(a, b, gap_m)`` (a multipolygon is within the gap when any
   of its parts is): the pairs of a ``predicate="dwithin"`` self-query with half its distance tests.
2. Connected components of that graph by hook-and-shortcut label propagation in numpy (each
   component's label becomes its smallest row index; a few iterations in practice).
   It gives the same partition as ``scipy.sparse.csgraph.connected_components`` (checked in
   ``benchmarks/lowuse_units.py``) without making scipy a dependency.
3. Stable ids. ``unit_id = "U-" + district + "-" + sha1(member ids)[:16]`` where *member ids*
   are the unit's parcel ids sorted and joined by ``";"`` (UTF-8) and *district* is the
   ``district`` of the unit's smallest parcel id (``"U-" + sha1[:16]`` when ``parcels`` has no
   ``district`` column). The id depends only on which parcels the unit holds: the same input
   gives the same ids whatever the row order, and a unit keeps its id when another unit
   changes. A unit that gains or loses a parcel is a different unit and gets a new id (trace
   it through its parcel ids). 16 hex digits = 64 bits: ids are checked to be unique.

Inputs: ``parcels`` GeoDataFrame (parcel_id, geometry, optional district) in a projected CRS
in metres; ``gap_m`` ≥ 0 in metres (0 = touching or overlapping only).
Output of :func:`delineate` (:data:`MEMBER_COLUMNS`): one row per parcel, parcel_id and
unit_id, sorted by parcel_id (ids compared by code point, as Python's ``sorted``).

:func:`unit_table` summarises the units (:func:`unit_columns`), one row per unit sorted by
unit_id; areas in m² and 亩 (1 亩 = 2000/3 m²), floor areas in m², FAR as a ratio, shares 0–1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from indspace.core.engines.envelopes import envelope_pairs
from indspace.core.model.units import m2_to_mu

MEMBER_COLUMNS = ("parcel_id", "unit_id")


def unit_columns(grade_classes: Sequence[str]) -> tuple[str, ...]:
    """The columns of :func:`unit_table`: one ``grade_<class>`` count per class of the
    profile's grade scale (best first; Zhejiang: grade_A … grade_D).

    >>> unit_columns(["I", "II"])[13:15]
    ('grade_I', 'grade_II')
    """
    return ("unit_id", "parcel_count", "area_m2", "area_mu", "n_owners", "n_enterprises",
            "floor_area_m2", "far_floor_m2", "far", "n_collective", "collective_share",
            "inside_m2", "inside_share", *(f"grade_{g}" for g in grade_classes),
            "target_far", "potential_gfa_m2", "parcel_ids")


COLLECTIVE = "collective"
"""``right_type`` of 集体 land (entities.RIGHT_TYPES)."""
HASH_DIGITS = 16
"""Hex digits of the SHA-1 kept in a unit id (64 bits)."""
_HASH_BYTES = HASH_DIGITS // 2
_CHUNK = 32_768
"""Unit ids hashed at a time."""


def delineate(parcels: gpd.GeoDataFrame, gap_m: float) -> pd.DataFrame:
    """Group parcels that touch or lie within ``gap_m`` metres of each other into units.

    Parameters
    ----------
    parcels : GeoDataFrame
        The low-efficiency parcels: ``parcel_id`` (unique, not null) and ``geometry``
        (Polygon/MultiPolygon, metres); optional ``district`` (prefix of the unit ids). A
        missing or empty geometry makes a unit of one parcel.
    gap_m : float
        Largest distance between two parcels of one unit, in metres (≥ 0).

    Returns
    -------
    DataFrame
        parcel_id, unit_id — one row per input parcel, sorted by parcel_id.
    """
    if not np.isfinite(gap_m) or gap_m < 0:
        raise ValueError(f"gap_m must be a finite distance ≥ 0 in metres, got {gap_m!r}")
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    return label_units(parcels, components(len(geoms), *contiguity_pairs(geoms, gap_m)))


def label_units(parcels: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """parcel_id, unit_id of ``parcels`` grouped by ``labels`` (one label per row, e.g. from
    :func:`components`): the unit ids depend only on which parcels are grouped together (the
    sorted member ids and the first member's district), not on the label values — so a
    grouping stitched from partitions (``indspace pipeline --engine dask``) gets the ids
    :func:`delineate` gives."""
    ids, by_id = _sorted_ids(parcels)
    labels = np.asarray(labels)
    # members of a unit together, in parcel-id order; unit k = rows starts[k] … starts[k+1]−1
    order = by_id[np.argsort(labels[by_id], kind="stable")]
    lab = labels[order]
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]]) if len(lab) else by_id[:0]
    member_ids = ids.take(order)
    texts = pc.binary_join(pa.ListArray.from_arrays(
        pa.array(np.r_[starts, len(order)], type=pa.int32()), member_ids), _text(";"))
    raw = _sha1_prefixes(texts)
    hashed = np.sort(raw.view(np.uint64).ravel())
    if (hashed[1:] == hashed[:-1]).any():                 # 64-bit hash: checked anyway
        raise ValueError("unit id collision; report the input")
    digest = _hex(raw)
    if "district" in parcels.columns:
        district = pc.fill_null(_arrow(parcels["district"]).take(order[starts]), _text(""))
        unit_ids = pc.binary_join_element_wise(_text("U"), district, digest, _text("-"))
    else:
        unit_ids = pc.binary_join_element_wise(_text("U"), digest, _text("-"))
    unit_of = np.empty(len(order), dtype=np.int64)
    unit_of[order] = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))
    return pd.DataFrame({"parcel_id": _series(ids.take(by_id)),
                         "unit_id": _series(unit_ids.take(unit_of[by_id]))})


def contiguity_pairs(geoms: np.ndarray, gap_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs (i < j, int32) of ``geoms`` whose distance is at most ``gap_m``.

    Candidates from the envelopes alone, in numpy (:func:`_envelope_pairs`: no GEOS geometry
    is created), then the exact ``shapely.dwithin`` test once per pair (i < j). Missing and
    empty geometries have no pairs."""
    bounds = shapely.bounds(geoms).reshape(-1, 4)
    located = np.flatnonzero(~np.isnan(bounds[:, 0])).astype(np.int32)
    if len(located) < len(bounds):
        bounds = bounds[located]
    i, j = _envelope_pairs(bounds, gap_m)
    del bounds
    i, j = located[i], located[j]                      # located ascends: still i < j
    hit = shapely.dwithin(geoms[i], geoms[j], gap_m)
    return i[hit], j[hit]


def _envelope_pairs(b: np.ndarray, gap_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs (i < j, int32) of the envelopes ``b`` (n × 4 bounds, none NaN; grown in
    place) that lie within ``gap_m`` of each other along x and along y — every pair within
    ``gap_m``, and some more.

    Each envelope is grown by half the gap on every side (plus a rounding margin), so two
    grown envelopes meet exactly when the envelopes are that close; the pairs of grown
    envelopes that meet come from the overlay's envelope join
    (:func:`indspace.core.engines.envelopes.envelope_pairs`, the grown envelopes joined with
    themselves: a NumPy grid join, no GEOS geometry), each kept once (i < j)."""
    n = len(b)
    if n < 2:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int32)
    h = gap_m / 2 + 1e-9 * (gap_m + float(np.abs(b).max()))
    b += np.array([-h, -h, h, h])
    i, j = envelope_pairs(b, b)
    keep = i < j
    return i[keep].astype(np.int32), j[keep].astype(np.int32)


def components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Connected components of the undirected graph on ``n`` nodes with edges (i, j).

    Returns each node's label: the smallest node index of its component (int32). Hook each
    root onto the smallest root it has an edge to, then jump pointers to the roots; edges
    inside one component are dropped as they appear."""
    dtype = np.int32 if n < 2**31 else np.int64
    lab = np.arange(n, dtype=dtype)
    i = np.asarray(i, dtype=dtype)
    j = np.asarray(j, dtype=dtype)
    while len(i):
        li, lj = lab[i], lab[j]
        cross = li != lj
        if not cross.all():
            i, j, li, lj = i[cross], j[cross], li[cross], lj[cross]
            if not len(i):
                break
        np.minimum.at(lab, np.maximum(li, lj), np.minimum(li, lj))
        while True:                                           # shortcut to the roots
            nxt = lab[lab]
            if np.array_equal(nxt, lab):
                break
            lab = nxt
    return lab


def target_far_by_parcel(parcels: pd.DataFrame, *, urban_districts: Sequence[str],
                         urban_far: float, m0_far: float,
                         district_far: Mapping[str, float],
                         industry_far: Mapping[str, float]) -> pd.Series:
    """The FAR each parcel should reach (land-rules §B1), by parcel_id.

    ``parcels`` has ``parcel_id``, ``district`` (GB/T 2260 code), ``land_use_code`` and
    ``division`` (the occupant's GB/T 4754 division, 2 digits; may be null). In order:
    a local M0 parcel (land-use code ending in ``M0``) takes ``m0_far`` (M0 2.5); a parcel in
    a 市区 district (``urban_districts``) takes ``urban_far`` (2.0); a county with its own
    value in ``district_far`` takes it (慈溪 2.0); any other parcel takes the industry floor
    of its division (``industry_far``, A6), and the lowest floor of that table when its
    division is unknown or unlisted (the least it may be asked to reach).

    >>> p = pd.DataFrame({"parcel_id": ["a", "b", "c", "d"],
    ...                   "district": ["330212", "330282", "330225", "330212"],
    ...                   "land_use_code": ["100101", "100101", "100101", "1001M0"],
    ...                   "division": ["34", "34", "34", None]})
    >>> target_far_by_parcel(p, urban_districts=["330212"], urban_far=2.0, m0_far=2.5,
    ...                      district_far={"330282": 2.0},
    ...                      industry_far={"34": 0.7, "25": 0.5}).tolist()
    [2.0, 2.0, 0.7, 2.5]
    """
    district = parcels["district"].astype("string").fillna("")
    use = parcels["land_use_code"].astype("string").fillna("")
    division = parcels["division"].astype("string").str[:2]
    floor_min = min(industry_far.values()) if industry_far else 0.0
    by_industry = division.map(dict(industry_far)).astype("float64").fillna(floor_min)
    by_district = district.map({str(k): float(v) for k, v in district_far.items()}) \
        .astype("float64")
    target = np.select(
        [use.str.upper().str.endswith("M0").to_numpy(dtype=bool),
         district.isin([str(d) for d in urban_districts]).to_numpy(dtype=bool),
         by_district.notna().to_numpy(dtype=bool)],
        [np.full(len(parcels), m0_far), np.full(len(parcels), urban_far),
         by_district.to_numpy(dtype="float64", na_value=np.nan)],
        default=by_industry.to_numpy(dtype="float64"))
    return pd.Series(target, index=parcels["parcel_id"].to_numpy(), dtype="float64")


def unit_table(members: pd.DataFrame, parcels: pd.DataFrame, *,
               stats: pd.DataFrame | None = None,
               occupants: pd.DataFrame | None = None,
               grades: Mapping[str, str] | pd.Series | None = None,
               grade_classes: Sequence[str],
               target_far: float | np.ndarray | pd.Series) -> pd.DataFrame:
    """One row per unit (:func:`unit_columns`), sorted by unit_id.

    Parameters
    ----------
    members : DataFrame
        parcel_id, unit_id (from :func:`delineate`).
    parcels : DataFrame
        One row per parcel (at least every member): ``parcel_id`` and ``area_m2`` (else the
        area of ``geometry``); optional ``owner_credit_code`` (→ n_owners, distinct non-null
        owners), ``right_type`` (→ n_collective and collective_share, land share of
        ``"collective"`` parcels), ``inside_m2`` (land inside the control line, e.g. from
        :func:`indspace.core.engines.controlline.overlay`; → inside_share), and
        ``floor_area_m2`` / ``far_floor_m2`` when ``stats`` is not given.
    stats : DataFrame, optional
        parcel_id, floor_area_m2, far_floor_m2 (m²) from
        :func:`indspace.core.engines.land_figures.parcel_sums` (storeys higher than the
        profile's limit counted twice in far_floor_m2). A parcel without a row has no floor area.
    occupants : DataFrame, optional
        parcel_id, credit_code of the enterprises using each parcel (owners and tenants,
        filtered to the date wanted by the caller) → n_enterprises (distinct per unit).
    grades : mapping or Series, optional
        credit_code → grade (a class of ``grade_classes``) → grade_<class>: distinct
        occupants of the unit with each grade (needs ``occupants``; ungraded occupants are
        not counted).
    grade_classes : sequence of str
        The classes of the profile's grade scale, best first (``grading.scale``; Zhejiang:
        A, B, C, D): one ``grade_<class>`` column each.
    target_far : float, array or Series
        FAR the unit should reach (工业上楼 2.0 in 市区, M0 2.5; land-rules §B1, see
        :func:`target_far_by_parcel`; no default: the value is the profile's): a scalar, an
        array aligned with the rows of ``parcels``, or a Series indexed by parcel_id.

    Columns absent from the inputs give NA (counts) or NaN (areas, shares) in the output.
    ``far`` = Σ far_floor_m2 ÷ Σ area_m2; ``target_far`` is the land-weighted mean target;
    ``potential_gfa_m2`` = max(0, Σ target_far × area_m2 − Σ far_floor_m2) over the unit's
    parcels — the unit is redeveloped as a whole, so a parcel above its target offsets one
    below (NaN when no floor areas are given).
    """
    if members["parcel_id"].duplicated().any():
        raise ValueError("members: a parcel is in more than one unit")
    par = _attrs(parcels, target_far)
    pos = pd.Index(par["parcel_id"]).get_indexer(members["parcel_id"])
    if (pos < 0).any():
        missing = members["parcel_id"][pos < 0].head(5).tolist()
        raise ValueError(f"members not in parcels: {missing}")
    unit_codes, unit_ids = pd.factorize(members["unit_id"], sort=True)
    unit_codes = unit_codes.astype(np.int64)
    k = len(unit_ids)
    rows = par.iloc[pos].reset_index(drop=True)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(unit_codes, weights=values, minlength=k)

    area = total(rows["area_m2"].to_numpy(dtype=float))
    count = np.bincount(unit_codes, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        def share(part: np.ndarray) -> np.ndarray:
            return np.where(area > 0, part / area, np.nan)

        out = pd.DataFrame({"unit_id": np.asarray(unit_ids, dtype=object),
                            "parcel_count": count, "area_m2": area, "area_mu": m2_to_mu(area)})
        out["n_owners"] = (_distinct(unit_codes, rows["owner_credit_code"], k)
                           if "owner_credit_code" in rows else _na_counts(k))
        ent = _occupant_rows(occupants, members, unit_codes)
        if ent is None:
            out["n_enterprises"] = _na_counts(k)
        else:
            out["n_enterprises"] = _distinct(ent[0], ent[1], k)
        far_given = "far_floor_m2" in rows or stats is not None
        if stats is not None:
            st = stats.drop_duplicates("parcel_id").set_index("parcel_id")
            st = st.reindex(members["parcel_id"].to_numpy())
            floor = st["floor_area_m2"].to_numpy(dtype=float)
            far_floor = st["far_floor_m2"].to_numpy(dtype=float)
        else:
            floor = (rows["floor_area_m2"].to_numpy(dtype=float) if "floor_area_m2" in rows
                     else np.full(len(rows), np.nan))
            far_floor = (rows["far_floor_m2"].to_numpy(dtype=float) if far_given
                         else np.full(len(rows), np.nan))
        nan = np.full(k, np.nan)
        out["floor_area_m2"] = (total(np.nan_to_num(floor))
                                if stats is not None or "floor_area_m2" in rows else nan)
        existing = total(np.nan_to_num(far_floor)) if far_given else nan
        out["far_floor_m2"] = existing
        out["far"] = share(existing)
        if "right_type" in rows:
            coll = rows["right_type"].eq(COLLECTIVE).fillna(False).to_numpy(dtype=bool)
            out["n_collective"] = pd.array(np.bincount(unit_codes, weights=coll,
                                                       minlength=k).astype(np.int64),
                                           dtype="Int64")
            out["collective_share"] = share(total(np.where(
                coll, rows["area_m2"].to_numpy(dtype=float), 0.0)))
        else:
            out["n_collective"] = _na_counts(k)
            out["collective_share"] = nan
        if "inside_m2" in rows:
            inside = total(rows["inside_m2"].to_numpy(dtype=float, na_value=0.0))
            out["inside_m2"] = inside
            out["inside_share"] = share(inside)
        else:
            out["inside_m2"] = nan
            out["inside_share"] = nan
        for g in grade_classes:
            out[f"grade_{g}"] = _na_counts(k)
        if ent is not None and grades is not None:
            grade_of = pd.Series(grades, dtype=object)
            g_of = ent[1].map(grade_of).to_numpy(dtype=object)
            for g in grade_classes:
                sel = g_of == g
                out[f"grade_{g}"] = _distinct(ent[0][sel], ent[1][sel], k)
        allowed = total(rows["target_far"].to_numpy(dtype=float)
                        * rows["area_m2"].to_numpy(dtype=float))
        out["target_far"] = share(allowed)
        out["potential_gfa_m2"] = np.maximum(allowed - existing, 0.0)
    out["parcel_ids"] = _joined_ids(unit_codes, members["parcel_id"], k)
    return out[list(unit_columns(grade_classes))]


# -- helpers -----------------------------------------------------------------------------------

def _arrow(values: pd.Series) -> pa.Array:
    """Values as one Arrow large_string array (no copy for pyarrow-backed pandas strings)."""
    arr = pa.array(values.astype("str") if values.dtype != "str" else values)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def _series(arr: pa.Array) -> pd.Series:
    return pd.Series(arr.to_pandas(types_mapper=lambda _: pd.StringDtype("pyarrow", np.nan)))


def _sorted_ids(parcels: pd.DataFrame) -> tuple[pa.Array, np.ndarray]:
    """parcel ids (Arrow strings) and their ascending order; refuses nulls and duplicates."""
    ids = parcels["parcel_id"]
    if ids.isna().any():
        raise ValueError("parcels: parcel_id is missing on some rows")
    arr = _arrow(ids)
    by_id = np.asarray(pc.sort_indices(arr)).astype(np.int32 if len(arr) < 2**31 else np.int64)
    ordered = arr.take(by_id)
    if len(arr) > 1:
        same = pc.equal(ordered[1:], ordered[:-1])
        if pc.any(same).as_py():
            dup = ordered[1:].filter(same).unique()[:5].to_pylist()
            raise ValueError(f"parcels: duplicate parcel_id {dup}")
    return arr, by_id


def _sha1_prefixes(texts: pa.Array) -> np.ndarray:
    """First bytes of the SHA-1 of each (UTF-8) string, as a (n, HASH_DIGITS // 2) uint8 array.

    One ``hashlib.sha1`` call per string (no vectorised SHA-1 to call): the strings come out
    of Arrow as ``bytes`` in one ``to_pylist`` and the 20-byte digests are cut with numpy."""
    n = len(texts)
    sha1 = hashlib.sha1
    out = b"".join([                      # in chunks: a short list of digests at a time
        b"".join([sha1(text).digest()
                  for text in texts.slice(c, _CHUNK).cast(pa.large_binary()).to_pylist()])
        for c in range(0, n, _CHUNK)])
    return np.ascontiguousarray(np.frombuffer(out, dtype=np.uint8).reshape(n, 20)[:, :_HASH_BYTES])


def _hex(raw: np.ndarray) -> pa.Array:
    """Rows of bytes as lowercase hex strings (Arrow), without a Python loop."""
    nibbles = np.empty((raw.shape[0], raw.shape[1] * 2), dtype=np.uint8)
    nibbles[:, 0::2] = raw >> 4
    nibbles[:, 1::2] = raw & 0x0F
    chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[nibbles]
    n, w = chars.shape
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets),
                                            pa.py_buffer(chars.tobytes()))


def _group_order(labels: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row order grouping equal labels, parcel ids ascending inside each group; group starts."""
    by_id = np.argsort(ids.astype(str), kind="stable")     # fixed-width unicode: a C sort
    order = by_id[np.argsort(labels[by_id], kind="stable")]
    lab = labels[order]
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]]) if len(lab) else np.empty(0, int)
    return order, starts


def _attrs(parcels: pd.DataFrame, target_far: float | np.ndarray | pd.Series) -> pd.DataFrame:
    if parcels["parcel_id"].duplicated().any():
        raise ValueError("parcels: duplicate parcel_id")
    par = pd.DataFrame(parcels.drop(columns="geometry", errors="ignore"))
    if "area_m2" not in par:
        if not isinstance(parcels, gpd.GeoDataFrame):
            raise ValueError("parcels need area_m2 or a geometry")
        par["area_m2"] = shapely.area(np.asarray(parcels.geometry.values, dtype=object))
    if isinstance(target_far, pd.Series):
        target = target_far.reindex(par["parcel_id"]).to_numpy(dtype=float)
    else:
        target = np.broadcast_to(np.asarray(target_far, dtype=float), (len(par),)).copy()
    if np.isnan(target).any() or (target < 0).any():
        raise ValueError("target_far must be given (≥ 0) for every parcel")
    par["target_far"] = target
    return par.reset_index(drop=True)


def _na_counts(k: int) -> pd.api.extensions.ExtensionArray:
    return pd.array([pd.NA] * k, dtype="Int64")


def _distinct(codes: np.ndarray, values: pd.Series, k: int) -> pd.api.extensions.ExtensionArray:
    """Number of distinct non-null ``values`` per group code (0 … k−1)."""
    v = np.asarray(values, dtype=object)
    ok = pd.notna(v)
    vc, uniques = pd.factorize(v[ok])
    width = max(len(uniques), 1)
    keys = np.unique(np.asarray(codes, dtype=np.int64)[ok] * width + vc)
    return pd.array(np.bincount(keys // width, minlength=k).astype(np.int64), dtype="Int64")


def _occupant_rows(occupants: pd.DataFrame | None, members: pd.DataFrame,
                   unit_codes: np.ndarray) -> tuple[np.ndarray, pd.Series] | None:
    """(unit code, credit_code) of every occupant row on a member parcel."""
    if occupants is None:
        return None
    pos = pd.Index(members["parcel_id"]).get_indexer(occupants["parcel_id"])
    hit = pos >= 0
    code = pd.Series(np.asarray(occupants["credit_code"], dtype=object)[hit])
    return unit_codes[pos[hit]], code


def _joined_ids(codes: np.ndarray, ids: pd.Series, k: int) -> np.ndarray:
    ids_arr = np.asarray(ids.astype(str), dtype=object)
    order, starts = _group_order(codes, ids_arr)
    sorted_ids = ids_arr[order].tolist()
    ends = [*starts[1:].tolist(), len(order)]
    out = np.empty(k, dtype=object)
    out[codes[order[starts]]] = [";".join(sorted_ids[s:e])
                                 for s, e in zip(starts.tolist(), ends, strict=True)]
    return out


SPACE_LEDGER_COLUMNS = ("district", "low_efficiency_parcels", "low_efficiency_mu", "units",
                        "multi_parcel_units", "unit_mu", "existing_floor_m2",
                        "potential_gfa_m2", "target_mu", "identified_share_of_target")


def space_ledger(units: pd.DataFrame, unit_district: pd.Series,
                 target_mu: float | None = None) -> pd.DataFrame:
    """盘活空间台账: per district and for the whole city (district ``"全市"``), the
    low-efficiency land in units (parcels, 亩), units (all, and of several parcels), existing
    floor area, the floor area the units can gain at the target FAR, and — for the city row —
    the identified land against ``target_mu`` (e.g. Ningbo's 3万亩 by 2027, 甬政办发〔2025〕1号).

    ``unit_district``: unit_id → district (e.g. the district of the unit's smallest parcel).
    Progress of redevelopment itself needs completion records, which the platform does not
    hold yet: the share reported is identified land ÷ target, not land redeveloped.
    """
    u = units.assign(district=units["unit_id"].map(unit_district).fillna("—"))
    per = u.groupby("district", sort=True).agg(
        low_efficiency_parcels=("parcel_count", "sum"), low_efficiency_mu=("area_mu", "sum"),
        units=("unit_id", "size"),
        multi_parcel_units=("parcel_count", lambda s: int((s > 1).sum())),
        existing_floor_m2=("floor_area_m2", "sum"),
        potential_gfa_m2=("potential_gfa_m2", "sum")).reset_index()
    per["unit_mu"] = per["low_efficiency_mu"]
    total = per.drop(columns="district").sum(numeric_only=True).to_frame().T
    total.insert(0, "district", "全市")
    out = pd.concat([per, total], ignore_index=True)
    out["target_mu"] = np.nan
    out["identified_share_of_target"] = np.nan
    if target_mu:
        city = out["district"] == "全市"
        out.loc[city, "target_mu"] = target_mu
        out.loc[city, "identified_share_of_target"] = out.loc[city, "low_efficiency_mu"] \
            / target_mu
    for col in ("low_efficiency_parcels", "units", "multi_parcel_units"):
        out[col] = out[col].astype("int64")
    return out[list(SPACE_LEDGER_COLUMNS)]
