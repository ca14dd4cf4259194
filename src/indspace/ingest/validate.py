"""Row validation of `indspace import`: raw table in, typed contract frame and issues out.

:func:`validate` takes the table as read (original headers; CSV/XLSX cells are strings with
``''`` for empty, shapefile/GeoPackage cells are typed; spatial kinds carry a ``geometry``
column already in the store CRS) and the :class:`~indspace.ingest.aliases.HeaderResolution` of
its headers. It parses every mapped column at once (no per-row loop), converts units to the
contract units, checks each rule of :mod:`indspace.ingest.rules` and returns

- ``valid``: the accepted rows, typed per contract (:mod:`indspace.core.model.entities`),
  with ``source_row`` and — for spatial kinds — a MultiPolygon ``geometry`` in the store CRS;
- ``issues``: one row per finding (every error of a row, not only the first).

A row with any error is rejected; warnings and information keep it; a header-level error
(``source_row`` 0) rejects the whole file. Valid rows are never dropped.

Interpretations (documented in docs/import-format.md):

- **Duplicates** by natural key reject every row of the group (E103): the bureau decides
  which one is right.
- **Derived floor area** (``gfa_m2`` empty): footprint × floors, each storey counted twice
  when the mean storey height ``height_m / floors`` exceeds 8 m (land-rules A2: a storey
  higher than 8 m counts double in the plot ratio). With no height, storeys count once.
  The footprint is ZZDMJ when given, else the area of the building's geometry.
- **occupancy_id** (empty or absent): ``"OCC-"`` + the first 16 hex digits of
  SHA-1(``credit_code|parcel_id|building_id|role|start``) — deterministic, so re-importing
  the same file yields the same ids.
- **ZRZH** shorter than 19 characters is a building number within its parcel and is
  prefixed with the row's ZDDM, as in 不动产单元 numbering.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS
from shapely.errors import GEOSException

from indspace.core.model.credit_code import check_char, credit_code_problems
from indspace.core.model.entities import ENTITIES, Field, check_frame
from indspace.core.model.installments import InstallmentRules, schedule_breaches
from indspace.core.model.money import format_wan, micro_wan
from indspace.core.periods import WorkCalendar
from indspace.ingest.aliases import (
    CHOICE_VALUES,
    FALSE_VALUES,
    MISSING_VALUES,
    MJDW_CODES,
    RIGHT_TYPE_KEYWORDS,
    TRUE_VALUES,
    UNITS,
    HeaderResolution,
    normalise_header,
    table_for,
)
from indspace.ingest.rules import ISSUE_COLUMNS, RULES, render
from indspace.settings import DEFAULT_HOLIDAY_CALENDAR, DEFAULT_SRID

STORE_EPSG = DEFAULT_SRID
"""Default projected CRS of the store (the deployment default, ``indspace.settings``)."""
MIN_AREA_M2 = 0.01
"""Polygons with less area than this (m²) are degenerate (E110)."""
SERIAL_RANGE = (10_000, 109_574)
"""Excel day serials accepted as dates: 1927-05-18 … 2199-12-31 (4-digit numbers are years,
not serials, and are rejected as dates)."""
DATE_YEARS = (1800, 2200)
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("indicators", "year"): (1900, 2100),
    ("buildings", "year_built"): (1800, 2100),
    ("buildings", "floors"): (1, 200),
    ("buildings", "height_m"): (0, 1000),
    ("contracts", "term_years"): (1, 70),
    ("contracts", "far_min"): (0, 20),
    ("contracts", "far_max"): (0, 20),
    ("demands", "pollution_class"): (1, 3),
    ("demands", "min_clear_height_m"): (0, 100),
    ("demands", "min_load_kn_m2"): (0, 1000),
}
"""Plausible inclusive ranges (E123) of some numeric fields."""
POSITIVE: frozenset[tuple[str, str]] = frozenset({("parcels", "area_m2"),
                                                   ("contracts", "area_m2"),
                                                   ("contracts", "price_wan"),
                                                   ("demands", "min_area_m2"),
                                                   ("demands", "max_area_m2"),
                                                   ("transactions", "area_m2")})
"""Fields that must be > 0 (E123 for 0)."""
ID_FIELDS = frozenset({"parcel_id", "building_id", "block_id", "park_id", "occupancy_id",
                       "land_use_code", "industry_code", "district", "zone_id",
                       "planned_use", "contract_id", "demand_id", "chain",
                       "transaction_id"})
"""Text fields normalised to half-width (NFKC) and trimmed; other text is only trimmed."""
ONE_LINE_FIELDS = ID_FIELDS | {"credit_code", "owner_credit_code", "name"}
"""Codes, ids and names: one line of text, without line breaks or control characters (E130)."""
KEEP_ON_UPDATE: dict[str, tuple[str, ...]] = {
    "enterprises": ("district", "industry_code", "scale"),
    "parcels": ("district", "land_use_code"),
    "buildings": ("parcel_id", "district"),
    "control_lines": ("district",),
}
"""Optional fields an import may not blank on a stored record (E131), besides the required
ones (E101): district scoping, the per-mu evaluation (industry, scale) and the land
attribution read them. Clearing one on purpose is an edit, not an import."""
_CONTROL = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"
FORMULA_START = ("=", "+", "-", "@")
"""First characters that make a spreadsheet run a text cell as a formula (OWASP CSV
injection); a text cell starting with one is flagged on import (W132) and every export
writes it as text."""


@dataclass(frozen=True)
class ValidationContext:
    """What validation needs to know beyond the file.

    Attributes
    ----------
    known_enterprises
        Credit codes in the store plus those of this import batch (E114, W124); None skips.
    known_parcels, known_buildings
        Parcel ids (E115) and building ids (E126) that exist; None skips.
    districts
        Deployment boundaries in the store CRS; a geometry touching none is rejected (E113).
    existing_parcels
        Stored parcels (``parcel_id``, ``geometry`` in the store CRS) for overlap warnings (W112)
        and, importing buildings, for buildings off every parcel (W133) or on another parcel
        than their code says (W134).
    year
        The import's ``--year`` (indicators): other years are rejected (E117); a file without
        a year column takes this year.
    area_tolerance_share
        Allowed relative difference of ``area_m2`` and the geometry's area (E109), 0–1.
    max_far
        Largest plausible floor area ratio (E108), dimensionless.
    overlap_min_share
        Overlaps smaller than this share of the smaller parcel are not reported (W112), 0–1.
    """

    known_enterprises: frozenset[str] | None = None
    known_parcels: frozenset[str] | None = None
    districts: gpd.GeoSeries | None = None
    existing_parcels: gpd.GeoDataFrame | None = None
    year: int | None = None
    area_tolerance_share: float = 0.05
    max_far: float = 20.0
    known_buildings: frozenset[str] | None = None
    overlap_min_share: float = 0.01
    district_codes: dict[str, str] | None = None
    """District names as users write them (鄞州区, 鄞州) → GB/T 2260 code; None keeps text."""
    stored: pd.DataFrame | None = None
    """Current stored records of the table: key columns and the fields an update may not
    blank (required ones and :data:`KEEP_ON_UPDATE`); None skips E131."""
    known_contracts: frozenset[str] | None = None
    """Contract ids in the store (E138, contract-events); None skips."""
    contract_terms: pd.DataFrame | None = None
    """Stored contracts for the installment rules: ``contract_id``, ``mode``, ``signed``
    (datetime64[D]), ``price`` (int64, 10⁻⁶ 万元), ``special`` (bool); None skips."""
    stored_payments: pd.DataFrame | None = None
    """Stored payment events: ``contract_id``, ``date`` (datetime64[D]), ``amount`` (int64)."""
    installment_rules: InstallmentRules | None = None
    """The profile's installment rules in force today (E139–E142); None skips."""
    holiday_calendar: str = DEFAULT_HOLIDAY_CALENDAR
    """Country code of the statutory holiday calendar (periods end on a working day)."""


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of :func:`validate`.

    Attributes
    ----------
    valid
        Accepted rows only: the entity's contract columns typed per contract (text: object
        with None, float: float64 in contract units, int: Int64, bool: boolean, date:
        ``datetime.date`` objects), ``geometry`` (spatial kinds: GeoDataFrame, the store CRS,
        MultiPolygon) and ``source_row``.
    issues
        :data:`ISSUE_COLUMNS`; ``source_row`` 0 = header / whole file.
    extras
        For the accepted rows: ``source_row`` and the recognised extra columns (BDCDYH,
        ZL …, by extra name) and unknown columns (by header), values as read.
    columns
        Contract columns the file carried or that were derived, plus ``geometry`` for spatial
        kinds — the columns an upsert may change.
    rows
        Source row numbers of all rows read.
    """

    valid: pd.DataFrame
    issues: pd.DataFrame
    extras: pd.DataFrame = field(default_factory=pd.DataFrame)
    columns: tuple[str, ...] = ()
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def rejected_rows(self) -> np.ndarray:
        """Source rows not accepted (sorted)."""
        return np.setdiff1d(self.rows, self.valid["source_row"].to_numpy(dtype=np.int64))

    def counts(self) -> dict[str, int]:
        """rows, accepted, rejected, errors, warnings, infos."""
        sev = self.issues["severity"]
        return {"rows": len(self.rows), "accepted": len(self.valid),
                "rejected": len(self.rows) - len(self.valid),
                "errors": int((sev == "error").sum()),
                "warnings": int((sev == "warning").sum()),
                "infos": int((sev == "info").sum())}


def _filled(n: int, value: Any) -> np.ndarray:
    """``np.full(n, value, dtype=object)`` without converting ``value`` once per element
    (numpy casts a str fill value cell by cell: ~10 ms per 150 000 cells)."""
    out = np.empty(n, dtype=object)
    out[:] = value
    return out


# --- issue collection ------------------------------------------------------------------------
class _Issues:
    def __init__(self, rows: np.ndarray, table: str) -> None:
        self.rows = rows
        self.entity = ENTITIES[table]
        self.error = np.zeros(len(rows), dtype=bool)
        self.file_error = False
        self._out: list[tuple[int, str | None, str, str]] = []
        self._msgs: list[tuple[str, str, str, str]] = []

    def _label(self, name: str | None) -> str:
        if name is None:
            return ""
        if name == "geometry":
            return self.entity.geometry_label_zh
        return self.entity.field(name).label_zh if name in self.entity.columns else name

    def add(self, code: str, name: str | None, mask: np.ndarray, value: Any,
            **params: Any) -> None:
        """Record ``code`` for every row where ``mask``; ``value`` and each param is a
        scalar or an array over all rows."""
        pos = np.flatnonzero(mask)
        if not len(pos):
            return
        if code.startswith("E"):
            self.error[pos] = True
        base = {"field": name, "label": self._label(name), "header": name}
        per_row = {k: np.asarray(v, dtype=object)[pos] for k, v in params.items()
                   if isinstance(v, np.ndarray)}
        fixed = {k: v for k, v in params.items() if not isinstance(v, np.ndarray)}
        vals = (np.asarray(value, dtype=object)[pos] if isinstance(value, np.ndarray)
                else _filled(len(pos), value))
        for i, p in enumerate(pos):
            ps = {**base, **fixed, **{k: _fmt(v[i]) if isinstance(v[i], float) else v[i]
                                      for k, v in per_row.items()}}
            val = _fmt(vals[i]) if isinstance(vals[i], float) else (
                "" if vals[i] is None else str(vals[i]))
            ps.setdefault("value", val)
            self._out.append((int(self.rows[p]), name, code, val))
            self._msgs.append(render(code, **ps))

    def file(self, code: str, name: str | None, value: str, **params: Any) -> None:
        if code.startswith("E"):
            self.file_error = True
        ps = {"field": name, "label": self._label(name), "header": name, "value": value,
              **params}
        self._out.append((0, name, code, value))
        self._msgs.append(render(code, **ps))

    def frame(self) -> pd.DataFrame:
        order = {"error": 0, "warning": 1, "info": 2}
        recs = [(r, f or "", c, RULES[c].severity, *m, v)
                for (r, f, c, v), m in zip(self._out, self._msgs, strict=True)]
        recs.sort(key=lambda t: (t[0], order[t[3]], t[2], t[1]))
        df = pd.DataFrame(recs, columns=list(ISSUE_COLUMNS))
        df["source_row"] = df["source_row"].astype(np.int64)
        for c in ISSUE_COLUMNS[1:]:
            df[c] = df[c].astype(object)
        return df


# --- cell parsing ----------------------------------------------------------------------------
@dataclass
class _Col:
    """One parsed field: values (float64, object or datetime64[D]), masks, raw text."""

    values: np.ndarray
    missing: np.ndarray
    bad: np.ndarray
    raw: np.ndarray
    header: np.ndarray
    detail: np.ndarray | None = None


def _cell_text(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float | np.floating):
        f = float(v)
        return str(int(f)) if f.is_integer() and abs(f) < 1e16 else repr(f)
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, datetime | pd.Timestamp):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    return str(v).strip()


def _cells(s: pd.Series, *, numbers_as_text: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Trimmed cell text ('' when empty) and the empty mask.

    With ``numbers_as_text=False`` a typed numeric column (GeoPackage, Shapefile) keeps its
    numbers as the "raw" values (``Issues.add`` formats the few that get reported), which
    saves converting every number to text."""
    na = s.isna().to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        arr = s.to_numpy(dtype="float64", na_value=np.nan)
        if not numbers_as_text:
            raw = arr.astype(object)
            raw[na] = ""
            return raw, na.copy()
        # text only for the report and for date parsing, made vectorised
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(arr) & (arr == np.floor(arr)) & (np.abs(arr) < 1e16)
        num_txt = np.empty(len(arr), dtype=object)
        num_txt[whole] = arr[whole].astype(np.int64).astype(str)
        num_txt[~whole] = arr[~whole].astype(str)       # (few) non-integers, NaN, inf
        num_txt[na] = ""
        return num_txt, na.copy()
    if pd.api.types.is_bool_dtype(s.dtype):       # typed true/false (GeoPackage, Shapefile)
        flags = s.to_numpy(dtype=bool, na_value=False)
        txt_b = np.where(flags, "true", "false").astype(object)
        txt_b[na] = ""
        return txt_b, na.copy()
    arrow = _arrow_text(s)
    if arrow is not None:
        return _arrow_cells(s, arrow, na)
    if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        txt = pd.Series(np.where(na, "", s.to_numpy(dtype=object)), dtype=object).str.strip()
    else:
        vals = s.to_numpy(dtype=object)
        txt = pd.Series(["" if m else _cell_text(v) for v, m in zip(vals, na, strict=True)],
                        dtype=object)
    low = txt.str.lower()
    missing = na | low.isin(MISSING_VALUES).to_numpy(dtype=bool)
    return np.where(missing, "", txt.to_numpy(dtype=object)), missing


_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
               "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
"""Every character ``str.strip()`` removes (``str.isspace``; a test keeps the two equal)."""
_MISSING_MAX_LEN = max(map(len, MISSING_VALUES))
"""No cell longer than this (after trimming) can be a missing-value marker: ``str.lower``
never shortens a string."""


def _arrow_text(s: pd.Series) -> pa.Array | None:
    """The Arrow array behind an Arrow-backed string column (pyogrio's Arrow reads of
    GeoPackage, pandas' default ``str`` dtype), else None."""
    dt = s.dtype
    if isinstance(dt, pd.StringDtype) and dt.storage == "pyarrow":
        a = pa.array(s.array)
        return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    return None


def _bools(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def _arrow_cells(s: pd.Series, a: pa.Array | pa.ChunkedArray, na: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_cells` of an Arrow-backed string column, with Python string methods only
    where they can change something: ``strip`` where the first or last character is
    white space, ``lower`` + the missing-value test where the cell is short enough to be a
    marker (``null``, ``n/a``, ``-`` …)."""
    txt = s.to_numpy(dtype=object)
    txt[na] = ""
    space = pa.array(list(_WHITESPACE))
    edge = _bools(pc.or_(pc.is_in(pc.utf8_slice_codeunits(a, 0, 1), value_set=space),
                         pc.is_in(pc.utf8_slice_codeunits(a, -1), value_set=space)))
    length = np.array(pc.fill_null(pc.utf8_length(a), 0).to_numpy(zero_copy_only=False),
                      dtype=np.int64)
    if edge.any():
        idx = np.flatnonzero(edge)
        trimmed = [t.strip() for t in txt[idx]]
        txt[idx] = trimmed
        length[idx] = [len(t) for t in trimmed]
    missing = na.copy()
    short = np.flatnonzero(~na & (length <= _MISSING_MAX_LEN))
    if len(short):
        missing[short] = [t.lower() in MISSING_VALUES for t in txt[short]]
    txt[missing] = ""
    return txt, missing


def _nfkc(txt: np.ndarray, *, strip: bool = False) -> pd.Series:
    """NFKC (full-width → half-width) of the non-ASCII cells only (ASCII is unchanged).

    ``strip=True`` also trims the normalised cells; the ASCII cells must come trimmed
    already (as :func:`_cells` returns them)."""
    out = np.asarray(txt, dtype=object).copy()
    wide = ~np.fromiter(map(str.isascii, out), dtype=bool, count=len(out))
    if wide.any():
        norm = (unicodedata.normalize("NFKC", t) for t in out[wide])
        out[wide] = [t.strip() for t in norm] if strip else list(norm)
    return pd.Series(out, dtype=object)


def _to_float(s: pd.Series, txt: np.ndarray, missing: np.ndarray) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    else:
        num = np.array(pd.to_numeric(pd.Series(txt, dtype=object), errors="coerce"),
                       dtype="float64")
        retry = ~missing & np.isnan(num)           # "1,234", "１２", "¥ 5": clean, try again
        if retry.any():
            clean = _nfkc(txt[retry]).str.replace(r"[,\s¥]", "", regex=True)
            num[retry] = pd.to_numeric(clean, errors="coerce").to_numpy(dtype="float64",
                                                                         na_value=np.nan)
    num = num.copy()
    num[missing] = np.nan
    return num


def _to_decimals(txt: np.ndarray, missing: np.ndarray, factor: Fraction
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact decimals (money) from cell text: ``1,234.50``, ``１２``, ``¥ 5`` are read; a
    unit factor is applied exactly. Returns values (Decimal or None), missing, bad."""
    n = len(txt)
    vals = np.full(n, None, dtype=object)
    bad = np.zeros(n, dtype=bool)
    present = np.flatnonzero(~missing)
    if len(present):
        clean = _nfkc(txt[present]).str.replace(r"[,\s¥]", "", regex=True).to_numpy(
            dtype=object)
        num, den = Decimal(factor.numerator), Decimal(factor.denominator)
        for i, t in zip(present, clean, strict=True):
            try:
                d = Decimal(t)
            except InvalidOperation:
                bad[i] = True
                continue
            if not d.is_finite():
                bad[i] = True
                continue
            vals[i] = d if factor == 1 else d * num / den
    return vals, missing, bad


def _scale(num: np.ndarray, factor: Fraction) -> np.ndarray:
    if factor == 1:
        return num
    with np.errstate(all="ignore"):          # 1e308 × 10⁴ → inf, reported as a bad number
        return num * factor.numerator / factor.denominator


_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                  r"(?:[ t]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:z|[+-]\d{2}:?\d{2})?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^(\d{5})(?:\.\d+)?$")
_NAT = np.datetime64("NaT", "D")


def _ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """datetime64[D] from year, month, day floats; NaT where not a calendar date."""
    with np.errstate(invalid="ignore"):
        ok = (np.isfinite(y) & np.isfinite(m) & np.isfinite(d) & (m >= 1) & (m <= 12)
              & (d >= 1) & (d <= 31) & (y >= DATE_YEARS[0]) & (y <= DATE_YEARS[1]))
    months = np.where(ok, (np.where(ok, y, 1970) - 1970) * 12 + np.where(ok, m, 1) - 1, 0)
    mon = months.astype(np.int64).astype("datetime64[M]")
    days = mon.astype("datetime64[D]") + (np.where(ok, d, 1).astype(np.int64) - 1)
    ok &= days.astype("datetime64[M]") == mon       # 2 月 30 日 rolls into March: reject
    return np.where(ok, days, _NAT)


def _to_dates(s: pd.Series, txt: np.ndarray, missing: np.ndarray) -> np.ndarray:
    n = len(s)
    out = np.full(n, _NAT)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        vals = pd.to_datetime(s, errors="coerce")
        if getattr(vals.dt, "tz", None) is not None:
            vals = vals.dt.tz_localize(None)
        out = vals.to_numpy().astype("datetime64[D]")
    else:
        if not pd.api.types.is_numeric_dtype(s.dtype) and pd.api.types.infer_dtype(
                s, skipna=True) not in ("string", "empty"):
            vals = s.to_numpy(dtype=object)
            typed = np.array([isinstance(v, date | np.datetime64) for v in vals], dtype=bool)
            if typed.any():
                conv = pd.to_datetime(pd.Series(vals[typed], dtype=object), errors="coerce")
                out[typed] = conv.to_numpy().astype("datetime64[D]")
        todo = ~missing & np.isnat(out)
        if todo.any():                              # ISO 2024-01-05: fast path
            iso = pd.to_datetime(pd.Series(txt[todo], dtype=object), format="%Y-%m-%d",
                                 errors="coerce").to_numpy().astype("datetime64[D]")
            out[todo] = iso
            todo &= np.isnat(out)
        if todo.any():
            idx = np.flatnonzero(todo)
            low = _nfkc(txt[idx]).str.lower()
            got = np.full(len(idx), _NAT)
            for rx in (_YMD, _COMPACT):
                part = low.str.extract(rx).to_numpy(dtype=object)
                y, m, d = (pd.to_numeric(pd.Series(part[:, i]), errors="coerce")
                           .to_numpy(dtype="float64", na_value=np.nan) for i in range(3))
                got = np.where(np.isnat(got), _ymd(y, m, d), got)
            serial = pd.to_numeric(low.where(low.str.match(_SERIAL), None), errors="coerce"
                                   ).to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                ok = np.isnat(got) & (serial >= SERIAL_RANGE[0]) & (serial <= SERIAL_RANGE[1])
            base = np.datetime64("1899-12-30", "D")  # Excel's day 0 (1900 leap-year bug kept)
            got[ok] = base + np.floor(serial[ok]).astype(np.int64)
            out[idx] = got
    years = out.astype("datetime64[Y]").astype(np.int64) + 1970
    out[~np.isnat(out) & ((years < DATE_YEARS[0]) | (years > DATE_YEARS[1]))] = _NAT
    out[missing] = _NAT
    return out


_SAMPLE = 4096
"""Rows of an Arrow text column looked at to guess whether its values repeat."""


def _parse(f: Field, s: pd.Series, factor: Fraction, header: str) -> _Col:
    """Parse one source column for contract field ``f`` (values in contract units).

    Text columns (CSV, Excel) repeat few distinct values — 出让, 330212, 2006-06-01 — so they
    are parsed once per distinct value and broadcast back."""
    s = s.reset_index(drop=True)
    arrow = _arrow_text(s) if len(s) > 64 else None
    if arrow is not None:  # Arrow strings (GeoPackage): count and encode in Arrow
        head = arrow.slice(0, _SAMPLE)
        if pc.count_distinct(head, mode="all").as_py() >= len(head) // 2:
            # mostly distinct (ids): sharing would not pay (the result is the same either way)
            return _parse_values(f, s, factor, header)
        enc = pc.dictionary_encode(arrow, null_encoding="encode")
        codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        uniq = enc.dictionary.to_numpy(zero_copy_only=False)
    elif len(s) > 64 and pd.api.types.infer_dtype(s, skipna=True) == "string":
        codes, uniq = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=False)
    else:
        return _parse_values(f, s, factor, header)
    if len(uniq) < len(s) // 2:
        u = _parse_values(f, pd.Series(uniq, dtype=object), factor, header)
        return _Col(u.values[codes], u.missing[codes], u.bad[codes], u.raw[codes],
                    _filled(len(s), header),
                    None if u.detail is None else u.detail[codes])
    return _parse_values(f, s, factor, header)


def _parse_values(f: Field, s: pd.Series, factor: Fraction, header: str) -> _Col:
    txt, missing = _cells(s, numbers_as_text=not (f.dtype in ("float", "int")
                                                  and f.name != "year_built"))
    n = len(s)
    hdr = _filled(n, header)
    if f.dtype in ("float", "int"):
        num = _scale(_to_float(s, txt, missing), factor)
        bad = ~missing & ~np.isfinite(num)
        if f.name == "year_built":                    # a year, or a completion date (JGRQ)
            with np.errstate(invalid="ignore"):
                is_year = np.isfinite(num) & (num == np.floor(num)) & (num >= 1000) & (
                    num <= 9999)
            d = _to_dates(s, txt, missing | is_year)
            dy = np.where(np.isnat(d), np.nan,
                          d.astype("datetime64[Y]").astype(np.int64) + 1970.0)
            num = np.where(is_year, num, dy)
            bad = ~missing & ~np.isfinite(num)
        elif f.dtype == "int":
            with np.errstate(invalid="ignore"):
                bad |= np.isfinite(num) & (num != np.floor(num))
        num = np.where(bad, np.nan, num)
        return _Col(num, missing, bad, txt, hdr)
    if f.dtype == "decimal":
        return _Col(*_to_decimals(txt, missing, factor), txt, hdr)
    if f.dtype == "date":
        d = _to_dates(s, txt, missing)
        return _Col(d, missing, ~missing & np.isnat(d), txt, hdr)
    if f.dtype == "bool":
        if pd.api.types.is_bool_dtype(s.dtype):
            v = np.array(s.to_numpy(dtype="float64", na_value=np.nan), dtype="float64")
            return _Col(v, missing, np.zeros(n, dtype=bool), txt, hdr)
        norm = _nfkc(txt).str.replace(r"\s+", "", regex=True).str.lower()
        num = pd.to_numeric(norm, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        yes = norm.isin(TRUE_VALUES).to_numpy(dtype=bool) | (num == 1)
        no = norm.isin(FALSE_VALUES).to_numpy(dtype=bool) | (num == 0)
        v = np.where(yes, 1.0, np.where(no, 0.0, np.nan))
        v[missing] = np.nan
        return _Col(v, missing, ~missing & np.isnan(v), txt, hdr)
    # text
    if f.credit_code:
        norm = _nfkc(txt).str.replace(r"\s+", "", regex=True).str.upper().to_numpy(dtype=object)
        prob = _filled(n, None)
        prob[~missing] = credit_code_problems(norm[~missing])
        bad = ~missing & pd.notna(prob)
        return _Col(_blank(norm, missing | bad), missing, bad, txt, hdr, prob)
    if f.choices is not None:
        norm = _nfkc(txt).str.replace(r"\s+", "", regex=True).str.lower()
        if f.name == "right_type":
            got = _filled(n, None)
            for kw, val in RIGHT_TYPE_KEYWORDS:
                hit = pd.isna(got) & norm.str.contains(kw, regex=False).to_numpy(dtype=bool)
                got[hit] = val
        else:
            vocab = CHOICE_VALUES.get(f.vocabulary or f.name, {c: c for c in f.choices})
            got = norm.map(vocab).to_numpy(
                dtype=object)
        got = _blank(got, pd.isna(got) | missing)
        return _Col(got, missing, ~missing & pd.isna(got), txt, hdr)
    txt = _unquote_formula(txt)
    vals_s = _nfkc(txt, strip=True) if f.name in ID_FIELDS else pd.Series(txt, dtype=object)
    return _Col(_blank(vals_s.to_numpy(dtype=object), missing), missing,
                np.zeros(n, dtype=bool), txt, hdr)


def _unquote_formula(txt: np.ndarray) -> np.ndarray:
    """Remove the one apostrophe that CSV exports put before text starting like a formula
    (``'=HYPERLINK(…)`` → ``=HYPERLINK(…)``; services.output.csv_safe), so an export
    re-imports to the same values."""
    quoted = np.fromiter((isinstance(t, str) and len(t) > 1 and t[0] == "'"
                          and t[1] in "=+-@\t\r" for t in txt), dtype=bool, count=len(txt))
    if not quoted.any():
        return txt
    out = np.array(txt, dtype=object)
    out[quoted] = [t[1:] for t in out[quoted]]
    return out


def _blank(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Object copy of ``values`` with None where ``mask``."""
    out = np.array(values, dtype=object)
    out[mask] = None
    return out


def _coalesce(cols: list[_Col], prefer_ok: bool) -> _Col:
    """Per row the first source with a value (with ``prefer_ok``: the first parseable one)."""
    if len(cols) == 1:
        return cols[0]
    first = cols[0]
    out = _Col(first.values.copy(), first.missing.copy(), first.bad.copy(), first.raw.copy(),
               first.header.copy(),
               None if first.detail is None else first.detail.copy())
    passes = [lambda c: ~c.missing & ~c.bad, lambda c: ~c.missing] if prefer_ok else [
        lambda c: ~c.missing]
    chosen = np.zeros(len(first.missing), dtype=bool)
    for want in passes:
        for c in cols:
            take = ~chosen & want(c)
            for name in ("values", "missing", "bad", "raw", "header"):
                getattr(out, name)[take] = getattr(c, name)[take]
            if out.detail is not None and c.detail is not None:
                out.detail[take] = c.detail[take]
            chosen |= take
    return out


# --- geometry --------------------------------------------------------------------------------
@dataclass
class _Geom:
    geoms: np.ndarray        # MultiPolygon or None
    area: np.ndarray         # m²
    bad: np.ndarray          # E110
    detail_zh: np.ndarray    # reason for E110
    detail_en: np.ndarray
    repaired: np.ndarray     # W111
    reason: np.ndarray       # reason for W111
    kind: np.ndarray         # source geometry type, for the report


def _polygon_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygons with area inside ``geoms`` and the index of the geometry each came from."""
    idx = np.arange(len(geoms))
    parts = geoms
    for _ in range(4):                 # collection → multi → single
        multi = shapely.get_type_id(parts) >= 4
        if not multi.any():
            break
        sub, sidx = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        idx = np.concatenate([idx[~multi], idx[multi][sidx]])
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    parts, idx = parts[keep], idx[keep]
    order = np.argsort(idx, kind="stable")
    return parts[order], idx[order]


def _make_valid(geoms: np.ndarray) -> np.ndarray:
    """``shapely.make_valid`` of the invalid geometries only (valid ones pass unchanged)."""
    out = np.array(geoms, dtype=object)
    fix = ~np.asarray(shapely.is_valid(out), dtype=bool) & ~shapely.is_missing(out)
    if not fix.any():
        return out
    try:
        out[fix] = shapely.make_valid(out[fix])
    except GEOSException:             # one bad apple: repair one by one
        for i in np.flatnonzero(fix):
            try:
                out[i] = shapely.make_valid(out[i])
            except GEOSException:
                out[i] = None
    return out


_TYPE_NAMES = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                        "MultiLineString", "MultiPolygon", "GeometryCollection"], dtype=object)


def _geometry(values: Any) -> _Geom:
    arr = np.asarray(values, dtype=object)
    n = len(arr)
    is_geom = np.asarray(shapely.is_geometry(arr), dtype=bool)
    g = _filled(n, None)
    g[is_geom] = arr[is_geom]
    # drop Z/M where there is any (force_2d copies every geometry it is given)
    zm = np.zeros(n, dtype=bool)
    zm[is_geom] = shapely.get_coordinate_dimension(g[is_geom]) > 2
    if zm.any():
        g[zm] = shapely.force_2d(g[zm])
    kind = _filled(n, "")
    kind[is_geom] = _TYPE_NAMES[shapely.get_type_id(g[is_geom]).astype(np.int64)]
    empty = np.zeros(n, dtype=bool)
    empty[is_geom] = shapely.is_empty(g[is_geom])
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(shapely.bounds(g)).all(axis=1)
    work = is_geom & ~empty & finite
    valid = np.zeros(n, dtype=bool)
    valid[work] = shapely.is_valid(g[work])
    fix = work & ~valid
    reason = _filled(n, "")
    if fix.any():
        reason[fix] = shapely.is_valid_reason(g[fix])
        g[fix] = _make_valid(g[fix])
    src = _filled(n, None)
    src[work] = g[work]
    # A one-part MultiPolygon with area is its own polygonal part: it is kept as it is.
    # Everything else is taken apart and its polygons with area re-assembled.
    area = np.zeros(n)
    whole = np.zeros(n, dtype=bool)
    sw = src[work]
    area_w = shapely.area(sw)
    whole[work] = ((shapely.get_type_id(sw) == 6) & (shapely.get_num_geometries(sw) == 1)
                   & (area_w > 0))
    area[work] = area_w
    rest = work & ~whole
    out = _filled(n, None)
    if rest.any():
        parts, idx = _polygon_parts(src[rest])
        ridx = np.flatnonzero(rest)
        if len(parts):
            out = np.asarray(shapely.multipolygons(parts, indices=ridx[idx], out=out),
                             dtype=object)
    out[whole] = src[whole]
    has = ~shapely.is_missing(out)
    rebuilt = has & ~whole
    area[rebuilt] = shapely.area(out[rebuilt])
    area[~has] = 0.0
    # a valid geometry that lost non-polygonal parts (GeometryCollection) was repaired too
    gc = work & valid & has & (kind == "GeometryCollection")
    dropped = np.zeros(n, dtype=bool)
    if gc.any():
        dropped[gc] = (shapely.get_num_geometries(out[gc])
                       < shapely.get_num_geometries(src[gc]))
    reason[dropped] = "non-polygonal parts dropped"
    poly_src = np.isin(kind, ["Polygon", "MultiPolygon"])
    zh = _filled(n, "")
    en = _filled(n, "")
    zero = has & (area < MIN_AREA_M2)
    lost = work & ~has
    for mask, z, e in ((~is_geom, "无图形", "no geometry"),
                       (is_geom & empty, "空图形", "empty geometry"),
                       (is_geom & ~empty & ~finite, "坐标不是有限数值", "non-finite coordinates"),
                       (lost & poly_src, "面积为零（退化）", "zero area (degenerate)"),
                       (zero, "面积为零或过小", "zero or negligible area")):
        zh[mask], en[mask] = z, e
    other = lost & ~poly_src
    zh[other] = "不是面状图形：" + kind[other]
    en[other] = "not a polygon: " + kind[other]
    bad = zh != ""
    out[bad] = None
    area[bad] = np.nan
    return _Geom(out, area, bad, zh, en, (fix | dropped) & ~bad, reason, kind)


def _touching_any(geoms: np.ndarray, ok: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Rows (where ``ok``) whose geometry intersects at least one of ``others``."""
    hit = np.zeros(len(geoms), dtype=bool)
    others = np.asarray(others, dtype=object)
    others = others[~shapely.is_missing(others)]
    if not len(others) or not ok.any():
        return hit
    pos = np.flatnonzero(ok)
    # A geometry with a vertex inside or on one of ``others`` intersects it: one
    # point-in-polygon test per row against the prepared boundaries settles most rows.
    coords, owner = shapely.get_coordinates(geoms[pos], return_index=True)
    has_xy = np.zeros(len(pos), dtype=bool)
    has_xy[owner] = True
    first = np.minimum(np.searchsorted(owner, np.arange(len(pos))), max(len(coords) - 1, 0))
    x, y = (coords[first, 0], coords[first, 1]) if len(coords) else (np.zeros(len(pos)),) * 2
    settled = np.zeros(len(pos), dtype=bool)
    box = shapely.bounds(others)
    shapely.prepare(others)
    for k, other in enumerate(others):
        with np.errstate(invalid="ignore"):
            near = np.flatnonzero(has_xy & ~settled & (x >= box[k, 0]) & (x <= box[k, 2])
                                  & (y >= box[k, 1]) & (y <= box[k, 3]))
        if len(near):
            settled[near] = shapely.intersects_xy(other, x[near], y[near])
    hit[pos[settled]] = True
    pos = pos[~settled]
    if not len(pos):
        return hit
    # The rest, whole: index the many small rows and query with the few large boundaries:
    # shapely prepares the *query* geometries, so each boundary is prepared once (≈ 20×
    # faster than querying every row against an index of a few unprepared outlines).
    tree = shapely.STRtree(geoms[pos])
    pairs = tree.query(others, predicate="intersects")
    hit[pos[pairs[1]]] = True
    return hit


def _overlaps(geoms: np.ndarray, ok: np.ndarray, ids: np.ndarray, rows: np.ndarray,
              existing: gpd.GeoDataFrame | None, min_share: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: other parcel ids overlapped, overlap area (m²) and share of the row's area.

    Candidate pairs come from the indexes by envelope only; the overlap of two envelopes
    bounds the overlap of the shapes, so pairs that merely touch (shared edges of a cadastral
    tessellation — most pairs) are dropped before any exact predicate or overlay is run."""
    n = len(geoms)
    pos = np.flatnonzero(ok)
    label = np.array(ids, dtype=object)
    unnamed = np.asarray(pd.isna(label), dtype=bool)
    label[unnamed] = [f"第{r}行" for r in np.asarray(rows)[unnamed]]
    bounds = np.full((n, 4), np.nan)
    areas = np.zeros(n)
    bounds[pos] = shapely.bounds(geoms[pos])
    areas[pos] = shapely.area(geoms[pos])
    # pairs: row i, the other shape j (its geometry, label, envelope and area)
    pi: list[np.ndarray] = []
    pj: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    if len(pos) > 1:
        tree = shapely.STRtree(geoms[pos])
        a, b = tree.query(geoms[pos])
        keep = a < b
        a, b = pos[a[keep]], pos[b[keep]]
        pi += [a, b]
        pj += [(geoms[b], label[b], bounds[b], areas[b]), (geoms[a], label[a], bounds[a], areas[a])]
    if existing is not None and len(existing) and len(pos):
        ex_g = np.asarray(existing.geometry, dtype=object)
        ex_id = existing["parcel_id"].to_numpy(dtype=object)
        usable = ~shapely.is_missing(ex_g)
        ex_g, ex_id = _make_valid(ex_g[usable]), ex_id[usable]
        if len(ex_g):
            tree = shapely.STRtree(ex_g)
            a, b = tree.query(geoms[pos])
            other = ~(ex_id[b] == ids[pos[a]])       # not the stored version of the same parcel
            a, b = pos[a[other]], b[other]
            pi.append(a)
            pj.append((ex_g[b], ex_id[b], shapely.bounds(ex_g[b]), shapely.area(ex_g[b])))
    out_ids = _filled(n, "")
    out_area = np.zeros(n)
    out_share = np.zeros(n)
    if not pi:
        return out_ids, out_area, out_share
    i = np.concatenate(pi)
    gj = np.concatenate([p[0] for p in pj])
    other_j = np.concatenate([p[1] for p in pj])
    bi, bj = bounds[i], np.concatenate([p[2] for p in pj]).reshape(-1, 4)
    # the overlap is at most the overlap of the bounding boxes: pairs that merely touch
    # (shared edges of a cadastral tessellation) are dropped without an overlay
    box = (np.clip(np.minimum(bi[:, 2], bj[:, 2]) - np.maximum(bi[:, 0], bj[:, 0]), 0, None)
           * np.clip(np.minimum(bi[:, 3], bj[:, 3]) - np.maximum(bi[:, 1], bj[:, 1]), 0, None))
    smaller = np.minimum(areas[i], np.concatenate([p[3] for p in pj]))
    with np.errstate(invalid="ignore"):
        cand = box > np.maximum(min_share * smaller, MIN_AREA_M2)
    cand[cand] = shapely.intersects(geoms[i[cand]], gj[cand])
    if not cand.any():
        return out_ids, out_area, out_share
    pairs = pd.DataFrame({"i": i[cand], "other": other_j[cand]})
    gi, gj, smaller = geoms[i[cand]], gj[cand], smaller[cand]
    try:
        inter = shapely.area(shapely.intersection(gi, gj))
    except GEOSException:
        inter = np.array([_safe_overlap(x, y) for x, y in zip(gi, gj, strict=True)])
    with np.errstate(invalid="ignore", divide="ignore"):
        sig = inter > np.maximum(min_share * smaller, MIN_AREA_M2)
    pairs = pairs.assign(inter=inter)[sig]
    if not len(pairs):
        return out_ids, out_area, out_share
    grouped = pairs.groupby("i", sort=True).agg(
        other=("other", lambda s: "、".join(sorted(map(str, s))[:5]) + (
            f" 等{len(s)}宗" if len(s) > 5 else "")),
        inter=("inter", "sum"))
    ii = grouped.index.to_numpy(dtype=np.int64)
    out_ids[ii] = grouped["other"].to_numpy(dtype=object)
    out_area[ii] = grouped["inter"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out_share[ii] = out_area[ii] / shapely.area(geoms[ii])
    return out_ids, out_area, out_share


def _safe_overlap(a: Any, b: Any) -> float:
    try:
        return float(shapely.area(shapely.intersection(a, b)))
    except GEOSException:
        return 0.0


# --- helpers ---------------------------------------------------------------------------------
def _fmt(x: Any) -> str:
    """Number for a message: up to 4 decimals, no trailing zeros."""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not np.isfinite(f) or abs(f) >= 1e15:
        return repr(f)
    return f"{f:.4f}".rstrip("0").rstrip(".")


def _fmts(a: np.ndarray) -> np.ndarray:
    return np.array([_fmt(x) for x in a], dtype=object)


def _occupancy_ids(cols: dict[str, _Col]) -> np.ndarray:
    def part(name: str) -> list[str]:
        v = cols[name].values
        return ["" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x)
                for x in v]
    start = cols["start"].values
    starts = ["" if np.isnat(d) else str(d) for d in start]
    keys = zip(part("credit_code"), part("parcel_id"), part("building_id"), part("role"),
               starts, strict=True)
    return np.array(["OCC-" + hashlib.sha1("|".join(k).encode("utf-8"),
                                           usedforsecurity=False).hexdigest()[:16]
                     for k in keys], dtype=object)


def _empty_col(f: Field, n: int) -> _Col:
    if f.dtype == "decimal":
        vals: np.ndarray = _filled(n, None)
    elif f.dtype in ("float", "int", "bool"):
        vals = np.full(n, np.nan)
    elif f.dtype == "date":
        vals = np.full(n, _NAT)
    else:
        vals = _filled(n, None)
    return _Col(vals, np.ones(n, dtype=bool), np.zeros(n, dtype=bool),
                _filled(n, ""), _filled(n, f.name))


def _typed(f: Field, c: _Col, keep: np.ndarray) -> Any:
    v = c.values[keep]
    if f.dtype == "float":
        return v.astype("float64")
    if f.dtype in ("int", "bool"):
        num = v.astype("float64")
        na = np.isnan(num)
        filled = np.where(na, 0.0, num)
        if f.dtype == "int":
            return pd.arrays.IntegerArray(filled.astype("int64"), na)
        return pd.arrays.BooleanArray(filled.astype(bool), na)
    if f.dtype == "date":
        return pd.Series(v.astype("datetime64[D]").astype(object), dtype=object)
    return pd.Series(v, dtype=object)


# --- validation ------------------------------------------------------------------------------
def validate(kind: str, frame: pd.DataFrame, resolution: HeaderResolution,
             row_numbers: np.ndarray, ctx: ValidationContext, *, source: str
             ) -> ValidationResult:
    """Validate a table read from a file against the contract of ``kind``.

    Parameters
    ----------
    kind
        CLI kind (``control-lines``) or table name.
    frame
        The table as read: original headers; strings ('' = empty) or typed cells; for spatial
        kinds a ``geometry`` column of shapely geometries in the store CRS (projected, metres).
    resolution
        :func:`~indspace.ingest.aliases.resolve_headers` of ``frame``'s headers.
    row_numbers
        Source row number of each frame row (e.g. the spreadsheet row), used in the report.
    ctx
        Store knowledge and tolerances (:class:`ValidationContext`).
    source
        File name, for messages.

    Returns
    -------
    ValidationResult
        Accepted rows typed per contract (areas m², money 万元, electricity kWh), every
        issue, extras and the carried columns.
    """
    table = table_for(kind)
    entity = ENTITIES[table]
    if resolution.table != table:
        raise ValueError(f"resolution is for {resolution.table}, not {table}")
    n = len(frame)
    rows = np.asarray(row_numbers, dtype=np.int64).reshape(-1)
    if len(rows) != n:
        raise ValueError(f"row_numbers has {len(rows)} entries for {n} rows")
    iss = _Issues(rows, table)
    for hi in resolution.issues:
        iss.file(hi.code, hi.field, hi.header or "", **hi.params)

    position: dict[str, int] = {}
    for j, c in enumerate(frame.columns):
        position.setdefault(str(c), j)

    def column(h: str) -> pd.Series:
        return frame.iloc[:, position[h]].reset_index(drop=True)

    cols: dict[str, _Col] = {}
    carried = set(resolution.fields)
    absent: set[str] = set()          # no column: reported once at row 0, not on every row
    for f in entity.fields:
        srcs = [h for h in resolution.sources(f.name) if h in position]
        if not srcs:
            cols[f.name] = _empty_col(f, n)
            absent.add(f.name)
            continue
        parsed = [_parse(f, column(h), resolution.mapping[h].factor, h) for h in srcs]
        cols[f.name] = _coalesce(parsed, prefer_ok=f.choices is not None)
    if ctx.district_codes and "district" in cols and "district" not in absent:
        # "鄞州区" / "鄞州" → "330212": the store keys districts by GB/T 2260 code
        d = cols["district"]
        named = pd.Series(d.values, dtype=object).isin(list(ctx.district_codes)).to_numpy(
            dtype=bool)
        if named.any():
            d.values = np.array(d.values, dtype=object)
            d.values[named] = [ctx.district_codes[v] for v in d.values[named]]

    # extras that take part in validation -------------------------------------------------
    extra_src = {resolution.mapping[h].field: h for h in resolution.extras if h in position}
    if table == "parcels" and "area_unit" in extra_src and "area_m2" in resolution.fields:
        _apply_mjdw(cols, column(extra_src["area_unit"]), extra_src["area_unit"], resolution,
                    iss)
    if table in ("buildings", "occupancy") and "parcel_id" in cols:
        _prefix_zrzh(cols, resolution)

    # derived columns ------------------------------------------------------------------------
    if table == "indicators" and not resolution.sources("year") and "year" not in (
            resolution.conflicts):
        if ctx.year is not None:
            absent.discard("year")
            cols["year"] = _Col(np.full(n, float(ctx.year)), np.zeros(n, dtype=bool),
                                np.zeros(n, dtype=bool), _filled(n, str(ctx.year)),
                                _filled(n, "--year"))
            carried.add("year")
        else:
            iss.file("E101", "year", "", label=entity.field("year").label_zh, field="year")
    if table == "occupancy":
        c = cols["occupancy_id"]
        derive = c.missing.copy()
        if derive.any():
            ids = _occupancy_ids(cols)
            c.values[derive] = ids[derive]
            c.missing[derive] = False
            carried.add("occupancy_id")
            absent.discard("occupancy_id")

    synth = cols["is_synthetic"]          # records brought by a file are real unless flagged
    synth.values[synth.missing] = 0.0
    synth.missing[:] = False
    carried.add("is_synthetic")

    # per-field checks -----------------------------------------------------------------------
    for f in entity.fields:
        c = cols[f.name]
        hdr = c.header
        if f.required and f.name not in absent:
            iss.add("E101", f.name, c.missing, "")
        if f.dtype in ("float", "int"):
            expected = ("整数", "integer") if f.dtype == "int" else ("数字", "number")
            iss.add("E104", f.name, c.bad, c.raw, header=hdr, expected_zh=expected[0],
                    expected_en=expected[1])
            with np.errstate(invalid="ignore"):
                neg = np.isfinite(c.values) & (c.values < 0)
            iss.add("E106", f.name, neg, c.raw, header=hdr)
            rng = RANGES.get((table, f.name))
            with np.errstate(invalid="ignore"):
                if rng is not None:
                    out = np.isfinite(c.values) & ~neg & (
                        (c.values < rng[0]) | (c.values > rng[1]))
                    iss.add("E123", f.name, out, c.raw, header=hdr,
                            range=f"{_fmt(rng[0])}–{_fmt(rng[1])}")
                if (table, f.name) in POSITIVE:
                    iss.add("E123", f.name, np.isfinite(c.values) & (c.values == 0), c.raw,
                            header=hdr, range="> 0")
        elif f.dtype == "decimal":
            iss.add("E104", f.name, c.bad, c.raw, header=hdr, expected_zh="数字",
                    expected_en="number")
            neg = np.array([v is not None and v < 0 for v in c.values], dtype=bool)
            iss.add("E106", f.name, neg, c.raw, header=hdr)
            if (table, f.name) in POSITIVE:
                zero = np.array([v is not None and v == 0 for v in c.values], dtype=bool)
                iss.add("E123", f.name, zero, c.raw, header=hdr, range="> 0")
        elif f.dtype == "date":
            iss.add("E105", f.name, c.bad, c.raw, header=hdr)
        elif f.dtype == "bool":
            iss.add("E116", f.name, c.bad, c.raw, header=hdr, choices_zh="是/否",
                    choices_en="是/否, true/false, 1/0, Y/N")
        elif f.credit_code and c.bad.any():
            prob = c.detail if c.detail is not None else _filled(n, None)
            norm = _nfkc(c.raw).str.replace(r"\s+", "", regex=True).str.upper().to_numpy(
                dtype=object)
            pz, pe = _credit_problem_text(prob, norm)
            iss.add("E102", f.name, c.bad, c.raw, header=hdr, problem_zh=pz, problem_en=pe)
        elif f.choices is not None:
            vocab = CHOICE_VALUES.get(f.vocabulary or f.name)
            zh = "、".join(dict.fromkeys(k for k in (vocab or {}) if not k.isascii())) or (
                "、".join(dict.fromkeys(k for k, _ in RIGHT_TYPE_KEYWORDS if not k.isascii())))
            iss.add("E116", f.name, c.bad, c.raw, header=hdr, choices_zh=zh,
                    choices_en=", ".join(f.choices))

    # geometry -------------------------------------------------------------------------------
    geo: _Geom | None = None
    crs: Any = STORE_EPSG
    if entity.geometry is not None:
        if "geometry" not in frame.columns:
            iss.file("E110", "geometry", "", detail_zh="缺少几何列",
                     detail_en="no geometry column")
            geo = _geometry(_filled(n, None))
        else:
            gcol = frame["geometry"]
            given = getattr(gcol, "crs", None) or getattr(frame, "crs", None)
            if given is not None:
                if not given.is_projected:     # areas in degrees would be meaningless
                    raise ValueError(f"geometry must be in a projected CRS "
                                     f"(EPSG:{STORE_EPSG}), got {given}")
                crs = given
            geo = _geometry(gcol.to_numpy(dtype=object) if isinstance(gcol, pd.Series)
                            else gcol)
        if "geometry" in frame.columns:
            iss.add("E110", "geometry", geo.bad, geo.kind, detail_zh=geo.detail_zh,
                    detail_en=geo.detail_en)
        iss.add("W111", "geometry", geo.repaired, geo.kind, reason=geo.reason,
                area=geo.area)
        if ctx.districts is not None and len(ctx.districts):
            dist = _same_crs(ctx.districts, crs)
            ok = ~geo.bad
            inside = _touching_any(geo.geoms, ok, _make_valid(np.asarray(dist, dtype=object)))
            iss.add("E113", "geometry", ok & ~inside, geo.kind)

    # kind-specific checks -------------------------------------------------------------------
    if table == "indicators":
        _check_indicators(cols, ctx, iss)
    elif table == "parcels":
        assert geo is not None
        _check_parcels(cols, geo, ctx, iss, column, extra_src, rows, crs)
    elif table == "buildings":
        assert geo is not None
        if _derive_gfa(cols, geo, column, extra_src, resolution, iss):
            carried.add("gfa_m2")
        _known(iss, cols, "parcel_id", ctx.known_parcels, "E115")
        if ctx.existing_parcels is not None:
            _check_placement(cols, geo, _same_crs(ctx.existing_parcels, crs), iss)
    elif table == "occupancy":
        _check_occupancy(cols, ctx, iss)
    elif table == "designations":
        _check_dates(cols, "start", "end", iss)
        _known(iss, cols, "credit_code", ctx.known_enterprises, "E114")
    elif table == "contracts":
        _check_dates(cols, "start_deadline", "completion_deadline", iss)
        _known(iss, cols, "credit_code", ctx.known_enterprises, "E114")
        _known(iss, cols, "parcel_id", ctx.known_parcels, "E115")
    elif table == "contract_events":
        _check_contract_events(cols, ctx, iss)
    elif table == "demands":
        _check_demands(cols, ctx, iss)
    elif table == "transactions":
        _known(iss, cols, "parcel_id", ctx.known_parcels, "E115")
        _known(iss, cols, "building_id", ctx.known_buildings, "E126")

    _check_duplicates(entity.key, cols, iss, rows)
    _check_text(entity, cols, absent, iss)
    if ctx.stored is not None:
        _check_blanking(table, cols, absent, ctx.stored, iss)

    # assemble -------------------------------------------------------------------------------
    keep = ~iss.error & (not iss.file_error)
    data: dict[str, Any] = {}
    for f in entity.fields:
        data[f.name] = _typed(f, cols[f.name], keep)
    data["source_row"] = rows[keep]
    valid: pd.DataFrame = pd.DataFrame(data)
    if geo is not None:
        valid = gpd.GeoDataFrame(valid, geometry=gpd.GeoSeries(geo.geoms[keep], crs=crs),
                                 crs=crs)
        valid = valid[[*entity.columns, "geometry", "source_row"]]
        carried.add("geometry")
    check_frame(entity, valid, source=source)

    # one frame built at once: adding columns one by one copies the frame each time, which
    # made a file of 10 000 columns take minutes (issue #15)
    extra_cols: dict[str, np.ndarray] = {"source_row": rows[keep]}
    for h in (*resolution.extras, *resolution.unknown):
        if h in position:
            name = resolution.mapping[h].field if h in resolution.mapping else h
            if name in extra_cols:
                name = h
            extra_cols[name] = column(h).to_numpy(dtype=object)[keep]
    extras = pd.DataFrame(extra_cols)
    columns = tuple(c for c in [*entity.columns, "geometry"] if c in carried)
    return ValidationResult(valid, iss.frame(), extras, columns, rows)


def _check_text(entity: Any, cols: dict[str, _Col], absent: set[str], iss: _Issues) -> None:
    """E130 (line breaks and control characters in codes, ids and names) and W132 (text
    that a spreadsheet would run as a formula)."""
    for f in entity.fields:
        if f.dtype != "text" or f.name in absent:
            continue
        c = cols[f.name]
        present = ~c.missing
        if not present.any():
            continue
        raw = pd.Series(c.raw, dtype=object)
        if f.name in ONE_LINE_FIELDS or f.credit_code:
            ctrl = present & raw.str.contains(_CONTROL, regex=True, na=False).to_numpy(
                dtype=bool)
            if ctrl.any():
                brk = raw.str.contains(r"[\r\n\u2028\u2029]", regex=True, na=False).to_numpy(
                    dtype=bool)
                iss.add("E130", f.name, ctrl, raw.str.replace(r"[\r\n]", "⏎", regex=True)
                        .to_numpy(dtype=object), header=c.header,
                        detail_zh=np.where(brk, "换行", "控制字符").astype(object),
                        detail_en=np.where(brk, "line break", "control character")
                        .astype(object))
        formula = present & raw.str.startswith(FORMULA_START, na=False).to_numpy(dtype=bool)
        if formula.any():
            iss.add("W132", f.name, formula, c.raw, header=c.header,
                    first=np.array([str(v)[:1] for v in c.raw], dtype=object))


def _check_blanking(table: str, cols: dict[str, _Col], absent: set[str], stored: pd.DataFrame,
                    iss: _Issues) -> None:
    """E131: a row that updates a stored record but leaves empty a field the record has
    (required fields already fail E101; here the fields of :data:`KEEP_ON_UPDATE`)."""
    entity = ENTITIES[table]
    guarded = [f for f in KEEP_ON_UPDATE.get(table, ()) if f not in absent and f in stored]
    keys = list(entity.key)
    if not guarded or not len(stored) or any(k not in stored for k in keys):
        return
    blank = np.zeros(len(iss.rows), dtype=bool)
    for f in guarded:
        blank |= cols[f].missing
    if not blank.any():
        return
    fresh = pd.DataFrame({k: pd.Series(cols[k].values, dtype=object).astype(str) for k in keys})
    fresh["_pos"] = np.arange(len(fresh))
    old = stored[[*keys, *guarded]].copy()
    for k in keys:
        old[k] = old[k].astype(object).astype(str)
    hit = fresh[blank].merge(old, on=keys, how="inner")
    if not len(hit):
        return
    pos = hit["_pos"].to_numpy(dtype=np.int64)
    key_text = hit[keys].astype(str).agg("|".join, axis=1).to_numpy(dtype=object)
    for f in guarded:
        had = hit[f].notna().to_numpy(dtype=bool) & cols[f].missing[pos]
        if not had.any():
            continue
        mask = np.zeros(len(iss.rows), dtype=bool)
        mask[pos[had]] = True
        key_all = _filled(len(iss.rows), "")
        key_all[pos] = key_text
        stored_all = _filled(len(iss.rows), "")
        stored_all[pos] = hit[f].astype(object).where(hit[f].notna(), "").astype(str).to_numpy(
            dtype=object)
        iss.add("E131", f, mask, "", key=key_all, stored=stored_all)


def _credit_problem_text(prob: np.ndarray, norm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    zh = _filled(len(prob), "")
    en = _filled(len(prob), "")
    for i in np.flatnonzero(pd.notna(prob)):
        p = prob[i]
        if p == "length":
            zh[i] = f"应为18位，实为{len(norm[i])}位"
            en[i] = f"18 characters expected, {len(norm[i])} found"
        elif p == "format":
            zh[i], en[i] = "含非法字符", "characters outside the GB 32100 set"
        else:
            cc = check_char(norm[i][:17])
            zh[i], en[i] = f"校验位应为 {cc}", f"check character should be {cc}"
    return zh, en


def _apply_mjdw(cols: dict[str, _Col], s: pd.Series, header: str,
                resolution: HeaderResolution, iss: _Issues) -> None:
    """MJDW gives the unit of ZDMJ row by row (1 m², 2 亩, 3 公顷, or the unit's name).

    Only an area read from a header without a unit of its own (ZDMJ, TBMJ, 宗地面积) follows
    MJDW; a bad MJDW code is E116 and leaves the area unknown."""
    area = cols["area_m2"]
    txt, missing = _cells(s)
    norm = _nfkc(txt).str.replace(r"\s+", "", regex=True).str.lower()
    factor = norm.map(lambda v: UNITS["m²"].get(MJDW_CODES.get(str(v), str(v)))).to_numpy(
        dtype=object)
    bad = ~missing & pd.isna(factor)
    iss.add("E116", "area_m2", bad, txt, header=header,
            choices_zh="1（平方米）、2（亩）、3（公顷）", choices_en="1 (m²), 2 (亩), 3 (公顷)")
    plain = np.array(["(" not in normalise_header(h) for h in area.header], dtype=bool)
    use = ~missing & ~bad & plain & np.isfinite(area.values)
    if use.any():
        num = np.array([float(x.numerator) for x in factor[use]])
        den = np.array([float(x.denominator) for x in factor[use]])
        with np.errstate(all="ignore"):
            area.values[use] = area.values[use] * num / den
        area.bad[use] = ~np.isfinite(area.values[use])
    area.values[bad & plain] = np.nan


def _prefix_zrzh(cols: dict[str, _Col], resolution: HeaderResolution) -> None:
    b, p = cols["building_id"], cols["parcel_id"]
    zrzh = [h for h in set(b.header.tolist()) if resolution.matched.get(h) in ("ZRZH", "自然幢号")]
    if not zrzh:
        return
    from_zrzh = pd.Series(b.header, dtype=object).isin(zrzh).to_numpy(dtype=bool)
    bid = b.values
    pid = p.values
    for i in np.flatnonzero(from_zrzh & ~b.missing & ~p.missing):
        if len(bid[i]) < 19 and not str(bid[i]).startswith(str(pid[i])):
            bid[i] = f"{pid[i]}{bid[i]}"


def _check_indicators(cols: dict[str, _Col], ctx: ValidationContext, iss: _Issues) -> None:
    tax, rev = cols["tax"].values, cols["revenue"].values
    with np.errstate(invalid="ignore"):
        over = np.isfinite(tax) & np.isfinite(rev) & (tax > rev) & (rev >= 0)
    iss.add("E107", "tax", over, cols["tax"].raw, tax=tax, revenue=rev)
    year = cols["year"]
    if ctx.year is not None:
        with np.errstate(invalid="ignore"):
            diff = np.isfinite(year.values) & (year.values != ctx.year)
        iss.add("E117", "year", diff, year.values, year=str(ctx.year))
    _known(iss, cols, "credit_code", ctx.known_enterprises, "E114")


def _known(iss: _Issues, cols: dict[str, _Col], name: str, known: frozenset[str] | None,
           code: str) -> None:
    if known is None:
        return
    c = cols[name]
    present = ~c.missing & ~c.bad
    vals = c.values
    unknown = present & ~pd.Series(vals, dtype=object).isin(known).to_numpy(dtype=bool)
    iss.add(code, name, unknown, vals)


def _check_dates(cols: dict[str, _Col], start: str, end: str, iss: _Issues) -> None:
    s, e = cols[start], cols[end]
    both = ~np.isnat(s.values) & ~np.isnat(e.values)
    wrong = both & (e.values < s.values)
    iss.add("E122", end, wrong, e.raw, start_header=s.header, end_header=e.header,
            start=s.values.astype(str).astype(object), end=e.values.astype(str).astype(object))


def _check_demands(cols: dict[str, _Col], ctx: ValidationContext, iss: _Issues) -> None:
    """E150 (maximum area below the minimum) and E151 (a district of the ;-joined list the
    store does not know); names in the list are stored as their GB/T 2260 codes, joined by
    ``;`` in the order given, without repeats."""
    lo, hi = cols["min_area_m2"].values, cols["max_area_m2"].values
    with np.errstate(invalid="ignore"):
        wrong = np.isfinite(lo) & np.isfinite(hi) & (hi < lo)
    iss.add("E150", "max_area_m2", wrong, cols["max_area_m2"].raw,
            header=cols["max_area_m2"].header, min_area=_fmts(lo))
    if not ctx.district_codes:
        return
    codes = set(ctx.district_codes.values())
    lookup = {**{c: c for c in codes}, **ctx.district_codes}
    d = cols["districts"]
    vals = np.array(d.values, dtype=object)
    bad_name = _filled(len(vals), None)
    for i, v in enumerate(vals):
        if not isinstance(v, str) or not v:
            continue
        parts = [p.strip() for p in re.split(r"[;；,，、]", v) if p.strip()]
        unknown = [p for p in parts if p not in lookup]
        if unknown:
            bad_name[i] = unknown[0]
            continue
        vals[i] = ";".join(dict.fromkeys(lookup[p] for p in parts))
    d.values = vals
    iss.add("E151", "districts", pd.notna(bad_name), d.raw, district=bad_name)


def _same_crs(data: Any, crs: Any) -> Any:
    """``data`` (GeoSeries/GeoDataFrame) in ``crs``; data without a CRS is taken as is."""
    if data.crs is not None and not data.crs.equals(CRS.from_user_input(crs)):
        return data.to_crs(crs)
    return data


def _check_parcels(cols: dict[str, _Col], geo: _Geom, ctx: ValidationContext, iss: _Issues,
                   column: Any, extra_src: dict[str, str], rows: np.ndarray, crs: Any
                   ) -> None:
    _check_dates(cols, "right_start", "right_end", iss)
    area = cols["area_m2"]
    ok = ~geo.bad & np.isfinite(area.values) & (area.values > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.abs(area.values - geo.area) / geo.area
        mismatch = ok & (rel > ctx.area_tolerance_share)
    iss.add("E109", "area_m2", mismatch, area.raw, area=area.values,
            geom_area=geo.area, diff_pct=np.round(rel * 100, 1),
            tol_pct=_fmt(ctx.area_tolerance_share * 100))
    if "plot_ratio_limit" in extra_src:
        h = extra_src["plot_ratio_limit"]
        txt, _ = _cells(column(h))
        nums = _nfkc(txt).str.findall(r"\d+(?:\.\d+)?")
        top = np.array([max((float(x) for x in v), default=np.nan) if isinstance(v, list)
                        else np.nan for v in nums], dtype="float64")
        with np.errstate(invalid="ignore"):
            far = np.isfinite(top) & (top > ctx.max_far)
        iss.add("E108", "plot_ratio_limit", far, txt, far=top, max_far=_fmt(ctx.max_far))
    owner = cols["owner_credit_code"]
    if ctx.known_enterprises is not None:
        present = ~owner.missing & ~owner.bad
        unknown = present & ~pd.Series(owner.values, dtype=object).isin(
            ctx.known_enterprises).to_numpy(dtype=bool)
        iss.add("W124", "owner_credit_code", unknown, owner.values)
    ids = cols["parcel_id"].values
    existing = (None if ctx.existing_parcels is None
                else _same_crs(ctx.existing_parcels, crs))
    others, overlap, share = _overlaps(geo.geoms, ~geo.bad, ids, rows, existing,
                                       ctx.overlap_min_share)
    iss.add("W112", "geometry", others != "", ids, others=others, overlap=overlap,
            share_pct=np.round(share * 100, 1))


def _check_placement(cols: dict[str, _Col], geo: _Geom, parcels: Any, iss: _Issues) -> None:
    """Buildings against the stored parcels (issue #13; the overlay engine decides): W133
    for a building wholly or partly outside every parcel, W134 for a parcel code that the
    geometry contradicts (most of the footprint lies in another parcel)."""
    from indspace.core.engines.land_figures import overlay_buildings

    ok = np.flatnonzero(~geo.bad)
    if not len(ok) or not len(parcels):
        return
    pid = cols["parcel_id"]
    named = np.array(pid.values, dtype=object)
    named[pid.missing | pid.bad] = None
    found = overlay_buildings(
        pd.DataFrame({"parcel_id": np.asarray(parcels["parcel_id"], dtype=object),
                      "geometry": np.asarray(parcels.geometry.values, dtype=object)}),
        pd.DataFrame({"building_id": ok, "parcel_id": named[ok], "geometry": geo.geoms[ok]}),
    ).issues
    n = len(geo.geoms)
    out = found[found["issue"].isin(("outside_parcels", "partly_outside"))]
    at = out["building_id"].to_numpy(dtype=np.int64)
    lost, share = np.zeros(n), np.zeros(n)
    lost[at] = out["area_m2"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        share[at] = np.where(geo.area[at] > 0, lost[at] / geo.area[at], 1.0)
    mask = np.zeros(n, dtype=bool)
    mask[at] = True
    iss.add("W133", "geometry", mask, geo.kind, area=np.round(lost, 2),
            share_pct=np.round(share * 100, 1))
    wrong = found[found["issue"] == "parcel_id_disagrees"]
    at = wrong["building_id"].to_numpy(dtype=np.int64)
    other = _filled(n, "")
    other[at] = wrong["geometry_parcel_id"].to_numpy(dtype=object)
    mask = np.zeros(n, dtype=bool)
    mask[at] = True
    iss.add("W134", "parcel_id", mask, pid.values, geometry_parcel=other)


def _derive_gfa(cols: dict[str, _Col], geo: _Geom, column: Any, extra_src: dict[str, str],
                resolution: HeaderResolution, iss: _Issues) -> bool:
    """Fill an empty ``gfa_m2`` with footprint × storeys (the real floor area)."""
    gfa, floors = cols["gfa_m2"], cols["floors"]
    footprint = geo.area.copy()
    if "footprint_m2" in extra_src:
        h = extra_src["footprint_m2"]
        s = column(h)
        txt, missing = _cells(s)
        fp = _scale(_to_float(s, txt, missing), resolution.mapping[h].factor)
        given = np.isfinite(fp) & (fp > 0)
        footprint[given] = fp[given]
    with np.errstate(invalid="ignore", divide="ignore"):
        need = (gfa.missing & np.isfinite(floors.values) & (floors.values >= 1)
                & np.isfinite(footprint) & (footprint > 0))
        # the real floor area; storeys over the profile's limit count twice only in FAR,
        # which the land figures compute (services/land.py, issue #13) — counting them here
        # too would double them twice
        derived = np.round(footprint * floors.values, 2)
    if not need.any():
        return False
    gfa.values[need] = derived[need]
    gfa.missing[need] = False
    gfa.raw[need] = ""
    iss.add("I125", "gfa_m2", need, "", footprint=footprint, gfa=derived,
            floors=floors.values)
    return True


def _check_occupancy(cols: dict[str, _Col], ctx: ValidationContext, iss: _Issues) -> None:
    _check_dates(cols, "start", "end", iss)
    land, floor = cols["land_area_m2"].values, cols["floor_area_m2"].values
    with np.errstate(invalid="ignore", divide="ignore"):
        far = floor / land
        bad = np.isfinite(far) & (land > 0) & (far > ctx.max_far)
    iss.add("E108", "floor_area_m2", bad, cols["floor_area_m2"].raw, far=np.round(far, 2),
            max_far=_fmt(ctx.max_far))
    _known(iss, cols, "credit_code", ctx.known_enterprises, "E114")
    _known(iss, cols, "parcel_id", ctx.known_parcels, "E115")
    _known(iss, cols, "building_id", ctx.known_buildings, "E126")


_INSTALLMENT_CODES = {"installment_first_share": "E139", "installment_first_deadline": "E140",
                      "installment_balance_deadline": "E141",
                      "installment_special_deadline": "E142"}


def _check_contract_events(cols: dict[str, _Col], ctx: ValidationContext, iss: _Issues
                           ) -> None:
    """Known contract (E138); a payment has an amount (E101); the payment schedule of each
    contract — stored payments with this file's rows over them — keeps the installment
    rules (E139–E142, each naming its rule and clause)."""
    _known(iss, cols, "contract_id", ctx.known_contracts, "E138")
    ev, amt, day, cid = cols["event"], cols["amount_wan"], cols["date"], cols["contract_id"]
    is_pay = ~ev.missing & ~ev.bad & (ev.values == "payment")
    iss.add("E101", "amount_wan", is_pay & amt.missing, "")
    rules, terms = ctx.installment_rules, ctx.contract_terms
    if rules is None or terms is None or not len(terms):
        return
    ok = is_pay & ~amt.missing & ~amt.bad & ~day.missing & ~day.bad & ~cid.missing
    pos = np.flatnonzero(ok)
    if not len(pos):
        return
    batch = pd.DataFrame({"contract_id": cid.values[pos],
                          "date": day.values[pos].astype("datetime64[D]"),
                          "amount": micro_wan(amt.values[pos]), "pos": pos})
    stored = ctx.stored_payments
    if stored is not None and len(stored):
        old = stored[stored["contract_id"].isin(set(batch["contract_id"]))]
        key = pd.MultiIndex.from_frame(batch[["contract_id", "date"]])
        old = old[~pd.MultiIndex.from_frame(old[["contract_id", "date"]]).isin(key)]
        batch = pd.concat([batch, old.assign(pos=-1)[batch.columns]], ignore_index=True)
    days = np.concatenate([batch["date"].to_numpy("datetime64[D]"),
                           terms["signed"].to_numpy("datetime64[D]")])
    cal = WorkCalendar.for_days(ctx.holiday_calendar, days)
    found = schedule_breaches(terms, batch, rules, cal)
    found = found[found["pos"] >= 0]
    n = len(cid.values)
    for name, code in _INSTALLMENT_CODES.items():
        hit = found[found["rule"] == name]
        if hit.empty:
            continue
        mask = np.zeros(n, dtype=bool)
        at = hit["pos"].to_numpy(np.int64)
        mask[at] = True
        due, required, price = (_filled(n, ""), _filled(n, ""), _filled(n, ""))
        due[at] = hit["due"].to_numpy("datetime64[D]").astype(str)
        required[at] = [format_wan(v) for v in hit["required"]]
        price[at] = [format_wan(v) for v in hit["price"]]
        field_name = "amount_wan" if name == "installment_first_share" else "date"
        value = amt.raw if field_name == "amount_wan" else day.values.astype(str).astype(object)
        iss.add(code, field_name, mask, value, due=due, required=required, price=price,
                share_pct=_fmt(float(rules.first_share) * 100),
                first_months=rules.first_due_months, months=rules.balance_due_months,
                special_months=rules.special_balance_due_months, source=rules.source)


def _check_duplicates(key: tuple[str, ...], cols: dict[str, _Col], iss: _Issues,
                      rows: np.ndarray) -> None:
    n = len(rows)
    usable = np.ones(n, dtype=bool)
    parts = {}
    for k in key:
        c = cols[k]
        usable &= ~c.missing & ~c.bad
        parts[k] = _fmts(c.values) if c.values.dtype.kind == "f" else c.values
    if usable.sum() < 2:
        return
    kf = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in parts.items()})
    dup = usable & kf.duplicated(keep=False).to_numpy(dtype=bool)
    if not dup.any():
        return
    idx = np.flatnonzero(dup)
    sub = kf.iloc[idx].astype(str)
    label = sub.apply("|".join, axis=1) if len(key) > 1 else sub[key[0]]
    groups = pd.Series(rows[idx]).groupby(label.to_numpy()).agg(
        lambda r: ", ".join(map(str, sorted(r))))
    listed = _filled(n, "")
    text = _filled(n, "")
    listed[idx] = groups.reindex(label.to_numpy()).to_numpy(dtype=object)
    text[idx] = label.to_numpy(dtype=object)
    listed_zh = np.array([r.replace(", ", "、") for r in listed], dtype=object)
    iss.add("E103", key[0], dup, text, key="+".join(key), rows_zh=listed_zh, rows_en=listed)


__all__ = ["ISSUE_COLUMNS", "STORE_EPSG", "ValidationContext",
           "ValidationResult", "validate"]
