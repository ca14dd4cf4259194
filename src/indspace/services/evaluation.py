"""Use cases of the annual 亩均 evaluation: run, explain, publish, object, resolve (issue #5).

Loads the year's frames from the store, calls the pure engines (land attribution, 亩均
scoring and grading, 地企双评, differentiated policies), and keeps every result as an
immutable, versioned run. The same inputs and the same profile text give the same run (it is
found again, not recomputed into a copy) and byte-identical output files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import threading
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from indspace.core.access import Principal
from indspace.core.clock import local_day
from indspace.core.engines.dual import PARCEL_COLUMNS, DualResult, evaluate_parcels
from indspace.core.engines.explain import NextGrade, next_grade
from indspace.core.engines.land import Attribution, active_in_year, attribute_land, isin
from indspace.core.engines.mujun import (
    FIGURES,
    REASON_LABELS,
    SCORE_COLUMNS,
    STATUS_LABELS,
    designation_items,
    evaluate,
)
from indspace.core.engines.policies import apply_policies
from indspace.core.engines.zones import EVALUATED
from indspace.core.errors import NotFoundError, PolicyError, StoreError, ValidationError
from indspace.core.policy import PolicyProfile, load_profile, parse_profile
from indspace.core.policy.evaluation import EvaluationMethod
from indspace.services.etags import check_etag, etag_of
from indspace.services.kept import Kept
from indspace.services.land import kept_building_stats, storey_limit
from indspace.services.output import atomic, csv_safe, json_value, unsupported_format
from indspace.services.profiles import resolve_profile
from indspace.services.scope import require_firm
from indspace.settings import DEFAULT_PROFILE
from indspace.store import Store, runs
from indspace.store.stamps import content_version

OBJECTION_FIELDS = tuple(f for f in FIGURES if f != "water_t")
OUTPUT_FORMATS = (".csv", ".json", ".xlsx")
SYSTEM = Principal.system()


def run_profile(run: Mapping[str, Any]) -> PolicyProfile:
    """The profile a stored run used: the text it stored, whatever has happened since to the
    file or the bundled profile of that id. Runs stored before the text was kept (revision
    0008) fall back to the bundled profile of their id, which must still hash the same."""
    text = run.get("profile_text")
    if text:
        return parse_profile(text, f"{run['run_id']}: profile_text")
    profile = load_profile(run["profile_id"])
    if profile.content_hash != run["profile_hash"]:
        raise PolicyError(
            f"批次 {run['run_id']} 未保存策略配置全文，且内置配置 {run['profile_id']} 已修改"
            f"（批次 {run['profile_hash']}，现为 {profile.content_hash}）",
            f"run {run['run_id']} has no stored profile text and the bundled profile "
            f"{run['profile_id']} has changed (run {run['profile_hash']}, now "
            f"{profile.content_hash})", where=run["run_id"],
            hint_zh="重新评价以生成保存配置全文的新批次",
            hint_en="re-run the evaluation to get a run that stores its profile")
    return profile


def method_date(year: int) -> date:
    """The end of year Y: the method date of the years *before* a run's year when their
    grades are re-derived for the grade history (a run's own method date is its own)."""
    return date(year, 12, 31)


def run_day(store: Store, at: datetime) -> date:
    """The calendar day of the instant ``at`` in the deployment's time zone (the store's):
    the default method date of a run made at ``at`` (a year's evaluation is made in the
    following year under the method then in force)."""
    return local_day(at, store.tz)


@dataclass
class Inputs:
    """The store's data for one evaluated year (current records)."""

    year: int
    firms: pd.DataFrame
    indicators: pd.DataFrame
    parcels: pd.DataFrame
    occupancy: pd.DataFrame
    building_stats: pd.DataFrame
    designations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["credit_code", "designation", "start", "end"]))

    def digest(self, memo: dict[tuple[str, int], bytes] | None = None) -> str:
        """A deterministic fingerprint of every frame (a run's ``inputs_hash``): names,
        columns, dtypes and row counts, and every value as :func:`column_bytes` gives it —
        no per-cell conversion to text (city: ≈ 0.1 s instead of ≈ 1.3 s). ``memo`` keeps
        each frame's part for the next year sharing it (:func:`digest_years`)."""
        h = hashlib.sha256(f"inputs-v2:{self.year}".encode())
        names = ["firms", "indicators", "parcels", "occupancy", "building_stats"]
        if len(self.designations):
            names.append("designations")
        for name in names:
            frame: pd.DataFrame = getattr(self, name)
            key = (name, id(frame))
            part = memo.get(key) if memo is not None else None
            if part is None:
                part = frame_digest(name, frame)
                if memo is not None:
                    memo[key] = part
            h.update(part)
        return h.hexdigest()[:16]


def digest_years(loaded: Mapping[int, Inputs]) -> dict[int, str]:
    """:meth:`Inputs.digest` of each year, the static frames the years share (one object
    each, :func:`load_years`) hashed once."""
    memo: dict[tuple[str, int], bytes] = {}
    return {y: inputs.digest(memo) for y, inputs in loaded.items()}


def frame_digest(name: str, frame: pd.DataFrame) -> bytes:
    """SHA-256 of one named frame: its columns with their dtypes, its length and every
    column's :func:`column_bytes`."""
    h = hashlib.sha256(name.encode())
    h.update(",".join(f"{c}:{t}" for c, t in frame.dtypes.items()).encode())
    h.update(len(frame).to_bytes(8, "little"))
    for col in frame.columns:
        for part in column_bytes(frame[col]):
            h.update(part)
    return h.digest()


def column_bytes(col: pd.Series) -> list[bytes]:
    """The values of one column as bytes that tell any two different columns of the same
    dtype apart, without a Python call per cell: numbers and booleans by their bits (with
    a missing-value mask for the nullable types), dates by their day number, text by its
    UTF-8 bytes with each value's length and a missing-value mask; anything else by its
    text."""
    if isinstance(col.dtype, pd.api.extensions.ExtensionDtype) and col.dtype.kind in "iufb":
        mask = np.asarray(col.isna(), dtype=bool)
        data = col.to_numpy(dtype=col.dtype.numpy_dtype, na_value=0)
        return [mask.tobytes(), np.ascontiguousarray(data).tobytes()]
    if col.dtype.kind in "iufbmM":
        return [np.ascontiguousarray(col.to_numpy()).tobytes()]
    obj = col.to_numpy(dtype=object, na_value=None)
    kind = pd.api.types.infer_dtype(obj, skipna=True)
    if kind == "date":      # datetime.date (or None): the proleptic day number, −1 if none
        days = np.fromiter((-1 if d is None else d.toordinal() for d in obj),
                           dtype=np.int64, count=len(obj))
        return [b"date", days.tobytes()]
    missing = np.asarray(pd.isna(obj), dtype=bool)
    if kind not in ("string", "empty"):
        obj = np.array([str(v) for v in obj], dtype=object)
    text = np.where(missing, "", obj)
    lengths = np.fromiter(map(len, text), dtype=np.int64, count=len(text))
    return [missing.tobytes(), lengths.tobytes(),
            "".join(text.tolist()).encode("utf-8", "surrogatepass")]


def load_inputs(store: Store, year: int, profile: PolicyProfile | str = DEFAULT_PROFILE,
                on: date | None = None) -> Inputs:
    """The inputs of one year (:func:`load_years` for several: the static tables once)."""
    return load_years(store, (year,), required=(year,), profile=profile, on=on)[year]


INPUT_TABLES = ("enterprises", "indicators", "parcels", "occupancy", "designations",
                "buildings")
"""The entity tables a year's :class:`Inputs` come from (:func:`load_years`); their
content version (:func:`~indspace.store.stamps.content_version`) is stored with a run."""


def load_years(store: Store, years: Iterable[int], *, required: Iterable[int] = (),
               profile: PolicyProfile | str = DEFAULT_PROFILE, on: date | None = None,
               occupancy: bool = True) -> dict[int, Inputs]:
    """The inputs of several years (e.g. the evaluated year and the years before it).

    The static tables (enterprises, parcels, occupancy, buildings → per-parcel stats) are read
    once and shared by every year's :class:`Inputs` (the engines only read them); the
    indicators are read per year with the store's year filter, which is cheaper than one full
    read split by year (city store, 5 of 5 years: 5 × 0.09 s against 0.58 s). Each year's
    Inputs equals what ``load_inputs(store, y)`` gives: same frames, same :meth:`digest`.

    Years without indicators are left out of the result; a year in ``required`` without
    them raises :class:`NotFoundError` (before the static tables are read).

    The per-parcel building figures come from geometry (:mod:`indspace.services.land`); the
    storey height counted twice in FAR is ``profile``'s value in force on the method date
    ``on`` (a run's), else at each year's end.

    ``occupancy=False`` leaves the occupancy records unread (an empty frame): for a step that
    reads a stored run's land attribution instead (:func:`stored_computation`).
    """
    need = sorted(set(required))
    wanted = need + sorted(set(years) - set(need))
    indicators: dict[int, pd.DataFrame] = {}
    for y in wanted:
        frame = store.read_frame("indicators", where={"year": y})
        if frame.empty:
            if y in need:
                raise _no_indicators(store, y)
            continue
        indicators[y] = frame
    if not indicators:
        return {}
    prof = resolve_profile(profile) if isinstance(profile, str) else profile
    limits = {y: storey_limit(prof, on or method_date(y)) for y in indicators}
    firms, parcels, occ, stats = _static_inputs(store, set(limits.values()), occupancy)
    designations = store.read_frame("designations", columns=[
        "credit_code", "designation", "start", "end"])
    return {y: Inputs(y, firms, indicators[y], parcels, occ, stats[limits[y]], designations)
            for y in sorted(indicators)}


_KEPT_LAND: Kept[tuple[Inputs, Attribution]] = Kept(1)   # one version of the land at a time
KEPT_LAND_TABLES = tuple(t for t in INPUT_TABLES if t != "indicators")


def kept_year_inputs(store: Store, year: int, profile: PolicyProfile, on: date,
                     method: EvaluationMethod, run: Mapping[str, Any] | None = None
                     ) -> tuple[Inputs, Attribution]:
    """The year's inputs (:func:`load_inputs`) and land attribution, the tables other than
    the indicators and the attribution kept in this process per content version of
    :data:`KEPT_LAND_TABLES` (:func:`~indspace.store.stamps.content_version`: any
    write to them reads them again); the indicators are always read. For repeated
    in-memory re-evaluations of one year (the objection preview). With the ``run`` of that
    year (its profile and method date), the attribution it kept is used while its input
    tables are unchanged (:func:`kept_attribution`), and the occupancy is not read (the
    inputs then carry none: re-evaluate them with ``compute(..., dual=False, att=...)``)."""
    key = (str(store.engine.url), content_version(store, KEPT_LAND_TABLES), year,
           storey_limit(profile, on), method.attribution_mode)
    kept = _KEPT_LAND.get(key)
    if kept is None:             # read now: the year's indicators come with the land
        att, unchanged = kept_attribution(store, run) if run is not None else (None, False)
        if att is not None and unchanged:
            inputs = load_years(store, (year,), required=(year,), profile=profile, on=on,
                                occupancy=False)[year]
        else:
            inputs = load_inputs(store, year, profile, on)
            att = attribution(inputs, method)
        return _KEPT_LAND.put(key, (inputs, att))
    indicators = store.read_frame("indicators", where={"year": year})
    if indicators.empty:
        raise _no_indicators(store, year)
    return dataclasses.replace(kept[0], indicators=indicators), kept[1]


def _no_indicators(store: Store, year: int) -> NotFoundError:
    years = store.read_frame("indicators", columns=["year"])["year"]
    have = ", ".join(str(int(y)) for y in sorted(years.dropna().unique())) or "无 / none"
    return NotFoundError(f"库中没有 {year} 年度的企业指标（现有年度：{have}）",
                         f"no indicators for {year} in the store (years present: {have})",
                         where="indicators", hint_zh="先导入该年度 indicators",
                         hint_en="import that year's indicators first")


OCCUPANCY_COLUMNS = ["credit_code", "parcel_id", "building_id", "role", "land_area_m2",
                     "floor_area_m2", "start", "end"]


StaticInputs = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[float, pd.DataFrame]]
_KEPT_STATIC: weakref.WeakKeyDictionary[Store, tuple[Hashable, StaticInputs]] = (
    weakref.WeakKeyDictionary())
_KEPT_STATIC_LOCK = threading.Lock()


def _static_inputs(store: Store, limits: Iterable[float], occupancy: bool = True
                   ) -> StaticInputs:
    """enterprises, parcels, occupancy (empty unless ``occupancy``) and, per storey-height
    limit, the per-parcel building stats from the overlay of buildings on parcels (not per
    year). Kept with the store object (one entry, gone with the store) per content version
    of :data:`KEPT_LAND_TABLES` — any write to them reads them again — so that consecutive
    evaluations on one store (the demo's five years, a run then its low-efficiency plan)
    read them once; like the frames one :func:`load_years` shares between its years, they
    are only read, never changed. Not keyed by the store's address: a store recreated at the
    same path restarts its write counters, so only the object tells two stores apart."""
    key = (content_version(store, KEPT_LAND_TABLES),
           tuple(sorted({float(x) for x in limits})))
    with _KEPT_STATIC_LOCK:
        kept = _KEPT_STATIC.get(store)
    if kept is not None and kept[0] == key:
        full = kept[1]
        if occupancy:
            return full
        # the tables kept with the occupancy serve, less the occupancy
        none = store.read_frame("occupancy", columns=OCCUPANCY_COLUMNS, limit=0)
        return full[0], full[1], none, full[3]
    found = _read_static_inputs(store, key[1], occupancy)
    if occupancy:
        with _KEPT_STATIC_LOCK:
            _KEPT_STATIC[store] = (key, found)
    return found


def _read_static_inputs(store: Store, limits: Iterable[float], occupancy: bool
                        ) -> StaticInputs:
    firms = store.read_frame("enterprises", columns=[
        "credit_code", "name", "district", "industry_code", "chain", "scale", "founded"])
    parcels = store.read_frame("parcels", columns=["parcel_id", "area_m2", "right_start",
                                                   "district", "owner_credit_code"])
    occ = (store.read_frame("occupancy", columns=OCCUPANCY_COLUMNS) if occupancy else
           store.read_frame("occupancy", columns=OCCUPANCY_COLUMNS, limit=0))
    return firms, parcels, occ, kept_building_stats(store, limits)


@dataclass
class Computation:
    year: int
    method: EvaluationMethod
    attribution: Attribution
    results: pd.DataFrame
    scores: pd.DataFrame
    dual: DualResult
    policies: pd.DataFrame = field(default_factory=pd.DataFrame)
    adjustments: pd.DataFrame | None = None
    # the grade history the policies read (credit_code, year, policy_grade), None without one
    history: pd.DataFrame | None = None
    # per year of the history: (year, method date, inputs hash, run holding its grades)
    history_keys: list[runs.HistoryKey] = field(default_factory=list)
    # Inputs.digest of the year's inputs as loaded (set by evaluate_year)
    inputs_hash: str | None = None


def attribution(inputs: Inputs, method: EvaluationMethod) -> Attribution:
    """The year's land attribution (who uses which parcel, land per firm) under ``method``."""
    parcels = inputs.parcels.merge(
        inputs.building_stats[["parcel_id", "floor_area_m2"]], on="parcel_id", how="left")
    return attribute_land(parcels, inputs.occupancy, inputs.year,
                          merge_landless_tenants=method.attribution_mode == "owner_merged")


def compute(inputs: Inputs, method: EvaluationMethod,
            history: pd.DataFrame | None = None, *, dual: bool = True,
            att: Attribution | None = None,
            policies_for: Iterable[str] | None = None, scores: bool = True) -> Computation:
    """All engines for one year, in memory (no store writes); ``dual=False`` skips 地企双评.
    ``att``: the year's land attribution when the caller has it for these inputs' land
    (:func:`kept_year_inputs`); ``policies_for``: the policy measures of these firms only
    (a firm's measures read its own rows alone); ``scores=False``: no per-indicator score
    rows (``scores`` is then an empty frame of :data:`~indspace.core.engines.mujun.
    SCORE_COLUMNS`) for a caller that reads none (the pipeline)."""
    year = inputs.year
    att = attribution(inputs, method) if att is None else att
    # bonus items: the designations valid on the evaluation date (the end of the year)
    adjustments = designation_items(inputs.designations, date(year, 12, 31))
    ev = evaluate(inputs.firms, inputs.indicators, att, method, year, adjustments,
                  scores=scores)
    occ = inputs.occupancy[active_in_year(inputs.occupancy, year)]
    occupied = occ.groupby("parcel_id", as_index=False)["floor_area_m2"].sum().rename(
        columns={"floor_area_m2": "occupied_floor_m2"})
    figures = inputs.firms[["credit_code", "scale"]].merge(
        inputs.indicators, on="credit_code", how="inner")
    parcels_ev = (evaluate_parcels(inputs.parcels, inputs.building_stats, occupied, att,
                                   figures, ev.results, method, year) if dual else
                  DualResult(pd.DataFrame(columns=list(PARCEL_COLUMNS)), pd.DataFrame()))
    hist = history if history is not None else pd.DataFrame(
        columns=["credit_code", "year", "policy_grade"])
    results = ev.results
    if policies_for is not None:
        only = list(policies_for)
        results = results[results["credit_code"].isin(only)]
        hist = hist[hist["credit_code"].isin(only)]
    policies = apply_policies(results, inputs.indicators, hist, method.policies, year)
    return Computation(year, method, att, ev.results,
                       ev.scores if scores else pd.DataFrame(columns=list(SCORE_COLUMNS)),
                       parcels_ev, policies, adjustments, history)


def policy_grades(inputs: Inputs, method: EvaluationMethod) -> pd.DataFrame:
    """The year's policy grades alone (credit_code, policy_grade; one row per firm, sorted
    by credit_code): what the grade history of a later year reads. The frame
    ``compute(inputs, method, dual=False).results[["credit_code", "policy_grade"]]`` gives
    — the same land attribution, bonus items and evaluation — without building the
    per-indicator score rows, the 地企双评 or the policy measures that nothing reads there
    (a firm's grade does not depend on its grade history: only its policy measures do)."""
    att = attribution(inputs, method)
    adjustments = designation_items(inputs.designations, date(inputs.year, 12, 31))
    ev = evaluate(inputs.firms, inputs.indicators, att, method, inputs.year, adjustments,
                  scores=False)
    return ev.results[["credit_code", "policy_grade"]]


def grade_history(store: Store, profile: PolicyProfile, year: int, years: int, *,
                  inputs: Mapping[int, Inputs] | None = None) -> pd.DataFrame:
    """Policy grades of the ``years`` years before ``year``; ``inputs`` holds those years'
    inputs when already loaded (:func:`load_years`), a year absent from it has no
    indicators. See :func:`grade_history_keyed`."""
    return grade_history_keyed(store, profile, year, years, inputs=inputs)[0]


def grade_history_keyed(store: Store, profile: PolicyProfile, year: int, years: int, *,
                        inputs: Mapping[int, Inputs] | None = None,
                        digests: Mapping[int, str] | None = None
                        ) -> tuple[pd.DataFrame, list[runs.HistoryKey]]:
    """:func:`grade_history` and, per year in it, the (year, method date, inputs hash) its
    grades come from with the stored run holding them (None: evaluated here).

    Each year is evaluated under the method in force at its end. Its grades are a function
    of the profile text, that method date and the year's inputs: when a stored run kept the
    grades of the same year from the same three (:func:`~indspace.store.runs.find_history`)
    they are read back, else the year is evaluated in memory — the same frame either way."""
    span = range(year - years, year)
    loaded = load_years(store, span, profile=profile) if inputs is None else inputs
    if digests is None:
        digests = digest_years({y: loaded[y] for y in span if y in loaded})
    rows, keys = [], []
    for y in span:
        if y not in loaded:
            continue
        on = method_date(y)
        try:
            method = profile.evaluation_method(on)
        except PolicyError:
            continue
        digest = digests[y]
        kept = runs.find_history(store, profile.content_hash, y, on, digest)
        if kept is not None:
            grades = runs.read_history(store, kept, y)[["credit_code", "policy_grade"]]
        else:
            own = _own_grades(store, profile, y, method, digest)
            grades = own if own is not None else policy_grades(loaded[y], method)
        rows.append(grades.assign(year=y))
        keys.append((y, on, digest, kept))
    return (pd.concat(rows, ignore_index=True) if rows else
            pd.DataFrame(columns=["credit_code", "year", "policy_grade"])), keys


def _own_grades(store: Store, profile: PolicyProfile, year: int, method: EvaluationMethod,
                digest: str) -> pd.DataFrame | None:
    """The policy grades a stored run of ``year`` gave from the same profile text and inputs
    under the same evaluation method — e.g. the year's own run, made in the following
    spring, while its history year is looked up at the year's end — or None. A run's grades
    do not depend on its grade history (that only feeds the policy measures), so they are
    the frame :func:`compute` would give: the same rows, in the same order (by
    credit_code, as the results are computed and stored)."""
    for run_id, on in runs.runs_of_inputs(store, year, profile.content_hash, digest):
        try:
            same = profile.evaluation_method(on) == method
        except PolicyError:
            continue
        if same:
            grades = runs.read_results(store, run_id, columns=["credit_code", "policy_grade"])
            # as the engine types it (missing grade: pd.NA, not the reader's NaN)
            return grades.astype({"policy_grade": "string"}).reset_index(drop=True)
    return None


@dataclass
class RunOutcome:
    run: dict[str, Any]
    computation: Computation | None
    reused: bool
    out: Path | None = None

    def summary(self) -> dict[str, Any]:
        s: dict[str, Any] = json.loads(self.run["summary_json"])
        return {"run_id": self.run["run_id"], "year": self.run["year"],
                "profile": self.run["profile_id"], "profile_version":
                self.run["profile_version"], "profile_hash": self.run["profile_hash"],
                "inputs_hash": self.run["inputs_hash"], "version": self.run["version"],
                "state": self.run["state"], "reused": self.reused,
                "out": str(self.out) if self.out else None, **s}


def _summary(c: Computation) -> dict[str, Any]:
    """The run's counts. ``grades`` counts every firm with a grade, tenants that share their
    landlord's included; ``grades_evaluated`` only the firms graded in their own right
    (graded or vetoed): the distribution the quota rule makes, which the overview and the
    zone roll-ups show; ``evaluated`` the firms evaluated in their own right (参评企业) — both
    as :mod:`indspace.core.engines.zones` counts them."""
    r = c.results
    codes = list(c.method.grading.scale.codes)
    grades = r["grade"].value_counts().reindex(codes, fill_value=0)
    status = r["status"]
    evaluated = isin(status, EVALUATED)
    own = r.loc[evaluated, "grade"].value_counts().reindex(codes, fill_value=0)
    return {"enterprises": len(r),
            "evaluated": int(evaluated.sum()),
            "status": {k: int(v) for k, v in sorted(status.value_counts().items())},
            "grades": {k: int(v) for k, v in grades.items()},
            "grades_evaluated": {k: int(v) for k, v in own.items()},
            "land_grades": {k: int(v) for k, v in sorted(
                c.dual.parcels["land_grade"].value_counts().items())},
            "review_groups": sorted(r.loc[r["review"].astype(bool), "group"].dropna().unique()
                                    .tolist())}


def history_depth(method: EvaluationMethod) -> int:
    """How many years before the evaluated one the method's policies look back."""
    return max((m.consecutive_years_min for m in method.policies), default=1) - 1


def evaluate_year(store: Store, profile: PolicyProfile, year: int, on: date, *,
                  loaded: Mapping[int, Inputs] | None = None, dual: bool = True
                  ) -> tuple[Computation, dict[int, Inputs]]:
    """The one way a year is evaluated (runs, explanations, zones, the low-efficiency
    plan): the method in force on ``on`` with the grade history its policies need (so a
    firm graded D three years running is charged the same by every caller). Returns the
    computation and the inputs loaded (the year and those before it)."""
    method = profile.evaluation_method(on)
    depth = history_depth(method)
    span = range(year - depth, year + 1)
    have = dict(loaded or {})
    missing = [y for y in span if y not in have]
    if missing:
        have.update(load_years(store, missing, required=(year,) if year in missing else (),
                               profile=profile, on=on))
    digests = digest_years({y: have[y] for y in span if y in have})
    history, keys = (grade_history_keyed(store, profile, year, depth, inputs=have,
                                         digests=digests) if depth > 0 else (None, []))
    comp = compute(have[year], method, history, dual=dual)
    comp.history_keys = keys
    comp.inputs_hash = digests[year]
    return comp, have


def run_evaluation(store: Store, year: int, profile_ref: str | PolicyProfile, *,
                   actor: str = "cli", out: Path | None = None, note: str = "",
                   parent_run_id: str | None = None,
                   objection_ids: list[str] | None = None,
                   now: datetime | None = None, method_on: date | None = None) -> RunOutcome:
    """Evaluate ``year`` with the profile; store the run (or find the identical one).

    ``profile_ref`` is a bundled id, a YAML path or an already resolved profile (a re-run
    passes its parent's stored copy). ``method_on`` (default: the day of the run in the
    deployment's time zone) chooses the values in force; it is stored with the run, and the
    same inputs, profile text and method date find the same run again.
    """
    if out is not None:
        check_output_format(out)
    profile = (profile_ref if isinstance(profile_ref, PolicyProfile)
               else resolve_profile(profile_ref))
    at = now or datetime.now(UTC)
    on = method_on or run_day(store, at)
    version = content_version(store, INPUT_TABLES)    # before reading: never newer than them
    if out is None and parent_run_id is None:
        # the same profile text and method date on input tables nobody wrote since a run:
        # that run, found from the data stamps without reading or computing anything
        same = runs.find_run(store, year, profile.id, profile.content_hash, None, on,
                             inputs_version=version)
        if same is not None:
            return RunOutcome(same, None, True)
    comp, loaded = evaluate_year(store, profile, year, on)
    digest = comp.inputs_hash or loaded[year].digest()
    found = runs.find_run(store, year, profile.id, profile.content_hash, digest, on)
    if found is not None and parent_run_id is None:
        run, reused = found, True
    else:
        run = runs.save_run(store, {
            "year": year, "profile_id": profile.id, "profile_version": profile.version,
            "profile_hash": profile.content_hash, "profile_text": profile.text,
            "method_date": on, "inputs_hash": digest, "inputs_version": version,
            "parent_run_id": parent_run_id,
            "created_at": at, "actor": actor, "note": note,
            "history_years": history_depth(comp.method), "derived_version": DERIVED_VERSION,
            "summary_json": json.dumps(_summary(comp), ensure_ascii=False, sort_keys=True)},
            _results_rows(comp.results), comp.scores[list(STORED_SCORE_COLUMNS)],
            comp.dual.parcels, objection_ids=objection_ids, history=comp.history,
            history_keys=comp.history_keys,
            zones=_zone_rows_stored(run_zone_sums(store, comp, loaded[year]), comp.method),
            columns=_kept_columns(comp, loaded[year]),
            frames={ATTRIBUTION_LINKS: comp.attribution.links,
                    ATTRIBUTION_FIRMS: comp.attribution.firms})
        reused = False
    outcome = RunOutcome(run, comp, reused)
    if out is not None:
        write_output(out, comp, run, profile)
        outcome.out = out
    return outcome


DERIVED_VERSION = 1
"""``evaluation_runs.derived_version`` of a run that stored its policies, zone sums and the
scores' numerators, denominators and benchmark groups (revision 0019)."""


def run_zone_sums(store: Store, comp: Computation, inputs: Inputs) -> pd.DataFrame:
    """The zone sums (districts, 2070 parks, 361 chains) of a computed year, as a run stores
    them (:func:`~indspace.core.engines.zones.zone_sums`)."""
    from indspace.core.engines.zones import zone_map, zone_sums

    zones = zone_map(inputs.firms, ("district", "chain"))
    parks = firm_parks(store, inputs.parcels)
    zones = pd.concat([zones, parks.assign(zone_kind="park").rename(
        columns={"park": "zone"})[["credit_code", "zone_kind", "zone"]]], ignore_index=True)
    own_land = comp.attribution.firms[["credit_code", "land_area_mu"]]
    figures = inputs.indicators[["credit_code", "tax", "value_added"]].merge(
        own_land, on="credit_code", how="left")
    return zone_sums(comp.results, figures, zones, comp.method.grading.scale)


def _zone_rows_stored(sums: pd.DataFrame, method: EvaluationMethod) -> pd.DataFrame:
    """Zone sums with the class counts folded into ``grade_counts`` (JSON, class → firms)."""
    from indspace.core.engines.zones import SUM_COLUMNS

    codes = method.grading.scale.codes
    counts = sums[[f"n_{c.lower()}" for c in codes]].to_numpy(dtype=np.int64)
    out = sums[["zone_kind", "zone", *SUM_COLUMNS]].copy()
    out["grade_counts"] = [json.dumps(dict(zip(codes, map(int, row), strict=True)),
                                      ensure_ascii=False) for row in counts]
    return out


def _zone_sums_read(frame: pd.DataFrame, method: EvaluationMethod) -> pd.DataFrame:
    """The stored zone rows as :func:`~indspace.core.engines.zones.zone_sums` gave them."""
    from indspace.core.engines.zones import SUM_COLUMNS

    codes = method.grading.scale.codes
    counts = [json.loads(t) for t in frame["grade_counts"]]
    out = frame[["zone_kind", "zone", *SUM_COLUMNS[:3]]].copy()
    for c in codes:
        out[f"n_{c.lower()}"] = np.array([int(d.get(c, 0)) for d in counts], dtype=np.int64)
    for c in SUM_COLUMNS[3:]:
        out[c] = frame[c].astype("float64")
    return out.sort_values(["zone_kind", "zone"], ignore_index=True)


STORED_RESULT_COLUMNS = ("credit_code", "policy_grade")
STORED_PARCEL_COLUMNS = ("parcel_id", "far", "vacant_share", "n_occupants")


ATTRIBUTION_LINKS, ATTRIBUTION_FIRMS = "attribution_links", "attribution_firms"
"""Names of the land attribution's two frames as a run keeps them (:func:`runs.save_run`)."""


def kept_attribution(store: Store, run: Mapping[str, Any]) -> tuple[Attribution | None, bool]:
    """The land attribution the run kept (None for a run made before revision 0024) and
    whether its input tables (:data:`INPUT_TABLES`) are unchanged since, by their data
    stamps (then the kept attribution is that of the store's current inputs)."""
    links = runs.read_kept_frame(store, run["run_id"], ATTRIBUTION_LINKS)
    firms = runs.read_kept_frame(store, run["run_id"], ATTRIBUTION_FIRMS)
    if links is None or firms is None:
        return None, False
    unchanged = (run.get("inputs_version") is not None
                 and content_version(store, INPUT_TABLES) == run["inputs_version"])
    return Attribution(firms, links), unchanged


def stored_computation(store: Store, run: Mapping[str, Any], profile: PolicyProfile
                       ) -> tuple[Computation, Inputs] | None:
    """What a stored run computed, read back for the steps that follow it (the
    low-efficiency plan on a run): its results, 地企双评 parcels, grade history and land
    attribution as the run stored them, with the year's inputs. Only the result columns
    :data:`STORED_RESULT_COLUMNS` and the parcel columns :data:`STORED_PARCEL_COLUMNS` are
    read; the scores, policies and bonus items are not (empty / None).

    The store's inputs must still be those the run was computed from. When the run kept
    the content version of its input tables (:data:`INPUT_TABLES`, revision 0024) and its
    attribution, and no write touched those tables since, that is known from their data
    stamps alone: the inputs are read without the occupancy records (the kept attribution
    stands for them; ``inputs.occupancy`` is empty) and not hashed again. Otherwise they
    are read in full and hashed, and must give the run's ``inputs_hash``.

    None when the run cannot stand for an evaluation now: it kept no grade history (made
    before revision 0012), or the store's inputs of its year are no longer those it was
    computed from — the caller then evaluates anew."""
    if run.get("history_years") is None:
        return None
    year, on = int(run["year"]), run["method_date"]
    method = profile.evaluation_method(on)
    if history_depth(method) != run["history_years"]:
        return None
    run_id = run["run_id"]
    kept, unchanged = kept_attribution(store, run)
    inputs = load_years(store, (year,), required=(year,), profile=profile, on=on,
                        occupancy=not unchanged)[year]
    if not unchanged and inputs.digest() != run["inputs_hash"]:
        return None
    att = kept if kept is not None else attribution(inputs, method)
    results = runs.read_results(store, run_id, columns=STORED_RESULT_COLUMNS)
    parcels = runs.read_parcel_evaluations(store, run_id, columns=STORED_PARCEL_COLUMNS)
    history = runs.read_history(store, run_id) if run["history_years"] else None
    comp = Computation(year, method, att, results, pd.DataFrame(),
                       DualResult(parcels, pd.DataFrame()), pd.DataFrame(), None, history)
    return comp, inputs


def _results_rows(results: pd.DataFrame) -> pd.DataFrame:
    cols = ["credit_code", "population", "group", "land_area_mu", "score", "rank", "group_size",
            "grade", "policy_grade", "status", "reason", "landlord", "bonus_points",
            "penalty_points", "review"]
    r = results[cols].rename(columns={"group": "group_label"}).copy()
    for c in ("rank", "group_size"):
        r[c] = r[c].astype("Int64")
    r["review"] = r["review"].astype(bool)
    return r


STORED_SCORE_COLUMNS = ("credit_code", "indicator", "value", "benchmark", "weight", "points",
                        "missing")
KEPT_SCORE_COLUMNS = ("numerator", "denominator", "bench_group")
"""Kept as whole columns beside the score rows (``evaluation_columns``, revision 0019)."""


def _kept_columns(comp: Computation, inputs: Inputs) -> dict[tuple[str, str], np.ndarray]:
    """The per-firm columns a run keeps beside its rows: the scores' numerators,
    denominators and benchmark groups, and each result firm's own policy-basis figures
    (aligned with the result rows, sorted by credit_code)."""
    from indspace.core.engines.policies import FIGURE_BASES

    out = {("evaluation_scores", c): comp.scores[c].to_numpy() for c in KEPT_SCORE_COLUMNS}
    own = inputs.indicators.drop_duplicates("credit_code").set_index("credit_code")
    codes = comp.results["credit_code"]
    for name in FIGURE_BASES:
        out[("evaluation_results", name)] = (
            codes.map(pd.to_numeric(own[name], errors="coerce")).to_numpy(
                dtype="float64", na_value=np.nan)
            if name in own.columns else np.full(len(codes), np.nan))
    return out


def output_frame(c: Computation) -> pd.DataFrame:
    """The result table of a run as users receive it (CSV/JSON): one row per enterprise."""
    r = c.results
    lead = ["credit_code", "score", "rank", "grade"]
    rest = [col for col in r.columns if col not in lead]
    out = r[lead + rest].copy()
    for col in ("rank", "group_size"):
        out[col] = out[col].astype("Int64")
    money = c.policies.groupby("credit_code")["money_yuan"].sum(min_count=1)
    out["policy_money_yuan"] = out["credit_code"].map(money)
    return out


def write_output(path: Path, c: Computation, run: dict[str, Any], profile: PolicyProfile
                 ) -> None:
    """CSV, JSON or XLSX by suffix; byte-identical for the same run."""
    check_output_format(path)
    frame = output_frame(c)
    meta = {"run_id": run["run_id"], "year": run["year"], "profile_id": profile.id,
            "profile_version": profile.version, "profile_hash": profile.content_hash,
            "inputs_hash": run["inputs_hash"]}
    with atomic(path) as tmp:
        suffix = path.suffix.lower()
        if suffix == ".csv":
            csv_safe(frame).to_csv(tmp, index=False, lineterminator="\n")
        elif suffix == ".json":
            records = json.loads(frame.to_json(orient="records", force_ascii=False,
                                               double_precision=15))
            tmp.write_text(json.dumps({"run": meta, "results": records}, ensure_ascii=False,
                                      indent=1) + "\n", encoding="utf-8")
        else:
            from indspace.reports.mujun_xlsx import write_evaluation_xlsx

            write_evaluation_xlsx(tmp, frame, c.method, meta)


def check_output_format(path: Path) -> None:
    """Refuse an unsupported result format before anything is computed or stored."""
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise unsupported_format(path, OUTPUT_FORMATS)


# ------------------------------------------------------------------ explanation
def explain(store: Store, credit_code: str, year: int | None = None,
            profile_ref: str | None = None, *, run_id: str | None = None,
            method_on: date | None = None, who: Principal = SYSTEM) -> dict[str, Any]:
    """Everything a firm (or an officer) needs to understand its grade.

    With ``run_id`` the run's own year, stored profile and method date are used (the file
    may have changed since); else ``year`` with ``profile_ref`` on ``method_on`` (default
    today). Grades and policy money come from :func:`evaluate_year`, as in a run.
    """
    require_firm(who, store, credit_code)
    profile, year, on = _run_or_ref(store, run_id, year, profile_ref, method_on)
    method = profile.evaluation_method(on)
    comp, loaded = evaluate_year(store, profile, year, on, dual=False,
                                 loaded=load_years(store, (year - 1, year),
                                                   required=(year,), profile=profile, on=on))
    inputs = loaded[year]
    if not inputs.firms["credit_code"].eq(credit_code).any():
        raise NotFoundError(f"企业 {credit_code} 不存在", f"enterprise {credit_code} not found",
                            where="enterprises")
    me = comp.results.set_index("credit_code").loc[credit_code]
    scores = comp.scores[comp.scores["credit_code"].eq(credit_code)]
    labels = {i.name: (i.label, i.unit) for s in method.indicator_sets.values()
              for i in s.indicators}
    prev = _previous(loaded.get(year - 1), profile, credit_code)
    breakdown = []
    for s in scores.itertuples(index=False):
        label, unit = labels[s.indicator]
        breakdown.append({
            "indicator": s.indicator, "label": label, "unit": unit, "value": _num(s.value),
            "benchmark": _num(s.benchmark), "weight": s.weight, "points": _num(s.points),
            "missing": bool(s.missing),
            "previous_value": _num(prev["values"].get(s.indicator)) if prev else None})
    nxt: NextGrade = next_grade(inputs.firms, inputs.indicators, comp.attribution, method, year,
                                credit_code, results=comp.results,
                                adjustments=comp.adjustments)
    pol = comp.policies[comp.policies["credit_code"].eq(credit_code)]
    name = inputs.firms.set_index("credit_code").at[credit_code, "name"]
    return _explanation(
        credit_code, name, year, profile, on, run_id, me, me["group"], breakdown, prev, nxt,
        [{k: _num(v) if isinstance(v, float) else v for k, v in row.items()}
         for row in pol.drop(columns="credit_code").to_dict("records")])


def _explanation(credit_code: str, name: Any, year: int, profile: PolicyProfile, on: date,
                 run_id: str | None, me: pd.Series, group: Any, breakdown: list[Any],
                 prev: dict[str, Any] | None, nxt: NextGrade, policies: list[Any]
                 ) -> dict[str, Any]:
    """The answer of :func:`explain` and :func:`explain_stored` (one shape for both): the
    firm's result row ``me``, its score breakdown, last year's figures, the distance to the
    next grade and the policy amounts."""
    return {
        "credit_code": credit_code, "name": name, "year": year, "profile": profile.id,
        "profile_version": profile.version, "profile_hash": profile.content_hash,
        "method_date": on.isoformat(), "run_id": run_id,
        "status": me["status"], "status_label": STATUS_LABELS.get(me["status"], ""),
        "reason": me["reason"] or None, "reason_label": REASON_LABELS.get(me["reason"]),
        "population": me["population"], "group": group,
        "land_area_mu": _num(me["land_area_mu"]), "score": _num(me["score"]),
        "rank": _num(me["rank"]), "group_size": _num(me["group_size"]),
        "grade": None if pd.isna(me["grade"]) else me["grade"],
        "policy_grade": None if pd.isna(me["policy_grade"]) else me["policy_grade"],
        "landlord": None if pd.isna(me["landlord"]) else me["landlord"],
        "breakdown": breakdown,
        "previous": prev and {k: v for k, v in prev.items() if k != "values"},
        "next_grade": {"target": nxt.target, "extra_tax_wan": nxt.extra_tax_wan,
                       "extra_tax_per_mu": nxt.extra_tax_per_mu,
                       "land_reduction_mu": nxt.land_reduction_mu, "note": nxt.note or None},
        "policies": policies,
    }


# ------------------------------------------------------- answers read from a stored run
def answer_run(store: Store, year: int | None, profile_ref: str) -> dict[str, Any]:
    """The run the web answers read for ``year`` and a bundled profile: the newest version
    that stored its explanations and roll-ups (revision 0019), else the newest run made
    before that revision (:func:`explain_answer` and :func:`zones_answer` then compute it
    as before). ``year`` None: the newest year evaluated with that profile (the year the
    runs list and the pages show first). No run: evaluate first."""
    profile_id = resolve_profile(profile_ref).id
    if year is None:
        year = runs.latest_year(store, profile_id)
        if year is None:
            raise NotFoundError(
                f"尚无策略配置 {profile_id} 的评价批次",
                f"no evaluation run with profile {profile_id} yet", where="evaluation_runs",
                hint_zh="请市级管理员先计算亩均评价",
                hint_en="a city administrator computes an evaluation first")
    run = runs.latest_derived_run(store, year, profile_id)
    if run is None:                  # only runs made before revision 0019, if any
        older = runs.latest_run_id(store, year, profile_id)
        run = None if older is None else runs.get_run(store, older)
    if run is None:
        raise NotFoundError(
            f"{year} 年度尚无策略配置 {profile_id} 的评价批次",
            f"no evaluation run of {year} with profile {profile_id}", where="evaluation_runs",
            hint_zh="请市级管理员先计算该年度的亩均评价",
            hint_en="a city administrator computes that year's evaluation first")
    return run


def explain_answer(store: Store, credit_code: str, run: Mapping[str, Any], *,
                   who: Principal = SYSTEM) -> dict[str, Any]:
    """The web explanation of a run: read (:func:`explain_stored`) for a run of revision
    0019 or later, computed (:func:`explain`) for an older run that stored nothing more."""
    if run.get("derived_version"):
        return explain_stored(store, credit_code, run, who=who)
    return explain(store, credit_code, run_id=str(run["run_id"]), who=who)


def zones_answer(store: Store, run: Mapping[str, Any], *, who: Principal = SYSTEM
                 ) -> pd.DataFrame:
    """The web roll-up of a run: read (:func:`zones_stored`) or, for a run older than
    revision 0019, computed (:func:`zone_rollup`)."""
    if run.get("derived_version"):
        return zones_stored(store, run, who=who)
    return zone_rollup(store, None, None, run_id=str(run["run_id"]), who=who)


def explain_stored(store: Store, credit_code: str, run: Mapping[str, Any], *,
                   who: Principal = SYSTEM) -> dict[str, Any]:
    """:func:`explain` of a stored run, read, not computed: the firm's stored result,
    scores and policy measures, its result in the newest run of the year before with the
    same profile, and the distance to the next grade from the run's own rows of the firm's
    groups (:func:`~indspace.core.engines.explain.next_grade_stored`). Same keys and, for a
    run of revision 0019, the same numbers as :func:`explain` with ``run_id``."""
    from indspace.core.engines.explain import next_grade_stored

    require_firm(who, store, credit_code)
    run_id = str(run["run_id"])
    year, on = int(run["year"]), run["method_date"]
    profile = run_profile(run)
    method = profile.evaluation_method(on)
    res = runs.read_results(store, run_id, credit_code)
    firm = store.read_frame("enterprises", columns=["credit_code", "name"],
                            where={"credit_code": credit_code})
    if firm.empty:
        raise NotFoundError(f"企业 {credit_code} 不存在", f"enterprise {credit_code} not found",
                            where="enterprises")
    if res.empty:
        raise NotFoundError(f"评价批次 {run_id} 中没有企业 {credit_code}",
                            f"enterprise {credit_code} is not in run {run_id}", where=run_id)
    me = res.iloc[0]
    scores = runs.read_scores(store, run_id, credit_code)
    labels = {i.name: (i.label, i.unit) for s in method.indicator_sets.values()
              for i in s.indicators}
    prev = _previous_stored(store, run, credit_code)
    breakdown = []
    for sc in scores.itertuples(index=False):
        label, unit = labels[sc.indicator]
        breakdown.append({
            "indicator": sc.indicator, "label": label, "unit": unit, "value": _num(sc.value),
            "benchmark": _num(sc.benchmark), "weight": sc.weight, "points": _num(sc.points),
            "missing": bool(sc.missing),
            "previous_value": _num(prev["values"].get(sc.indicator)) if prev else None})
    if me["status"] == "graded" and grade_searchable(me, method):
        prepared = _population_rows(store, run, method, str(me["population"]))
        nxt = next_grade_stored(prepared, None, method, credit_code, me)
    else:
        nxt = next_grade_stored(res, scores.iloc[0:0], method, credit_code)
    pol = policies_stored(store, run, me, method)
    return _explanation(credit_code, firm.iloc[0]["name"], year, profile, on, run_id, me,
                        me["group_label"], breakdown, prev, nxt, pol)


def policies_stored(store: Store, run: Mapping[str, Any], me: pd.Series,
                     method: EvaluationMethod) -> list[dict[str, Any]]:
    """The firm's differentiated-policy measures and money, arithmetic on its stored row
    (policy grade, land), its kept basis figures and its stored grade history
    (:func:`~indspace.core.engines.policies.firm_policies`: the rows
    :func:`~indspace.core.engines.policies.apply_policies` gave in the run)."""
    from indspace.core.engines.policies import FIGURE_BASES, firm_policies

    code = str(me["credit_code"])
    kept = _run_rows(store, run)
    history = kept["history"].get(code, {})
    row = kept["results"].iloc[kept["at"][code]]
    figures = {b: (None if b not in row.index or pd.isna(row[b]) else float(row[b]))
               for b in FIGURE_BASES}
    grade = None if pd.isna(me["policy_grade"]) else str(me["policy_grade"])
    land = me["land_area_mu"]
    return firm_policies(grade, float("nan") if land is None else float(land), figures,
                         history, method.policies, int(run["year"]))


def _previous_stored(store: Store, run: Mapping[str, Any], code: str
                     ) -> dict[str, Any] | None:
    """The firm's result in the newest stored run of the year before (same profile id)."""
    prev_id = runs.latest_run_id(store, int(run["year"]) - 1, str(run["profile_id"]))
    if prev_id is None:
        return None
    res = runs.read_results(store, prev_id, code, columns=("score", "grade", "rank"))
    if res.empty:
        return None
    me = res.iloc[0]
    s = runs.read_scores(store, prev_id, code, columns=("indicator", "value"))
    return {"year": int(run["year"]) - 1, "score": _num(me["score"]),
            "grade": None if pd.isna(me["grade"]) else me["grade"],
            "rank": _num(me["rank"]), "values": dict(zip(s["indicator"], s["value"],
                                                         strict=True))}


_POPULATION_ROWS: Kept[dict[str, Any]] = Kept(4)
NEXT_GRADE_RESULT_COLUMNS = ("credit_code", "population", "group_label", "status", "grade",
                             "bonus_points", "penalty_points", "land_area_mu")


def grade_searchable(me: Mapping[str, Any], method: EvaluationMethod) -> bool:
    """A graded firm below the best class (one whose next grade is searched)."""
    return bool(pd.notna(me["grade"]) and me["grade"] != method.grading.scale.best)


def run_key(store: Store, run: Mapping[str, Any]) -> tuple[Any, ...]:
    """A run's identity in this process's memory: the store and the run's own fields (a
    store rebuilt under the same path gives another key)."""
    return (str(store.engine.url), run["run_id"], run["inputs_hash"], run["profile_hash"],
            str(run["created_at"]))


def _run_rows(store: Store, run: Mapping[str, Any]) -> dict[str, Any]:
    """A run's stored result and score rows with the columns kept beside them and its
    grade history by firm, read once per run and kept in memory (a run's rows never
    change); at most a few runs are kept."""
    key = run_key(store, run)
    kept = _POPULATION_ROWS.get(key)
    if kept is None:
        run_id = str(run["run_id"])
        res = runs.read_in_order(store, "evaluation_results", run_id,
                                 NEXT_GRADE_RESULT_COLUMNS)
        for name, values in runs.read_columns(store, run_id, "evaluation_results").items():
            res[name] = values
        sc = runs.read_in_order(store, "evaluation_scores", run_id, ("credit_code",
                                                                      "indicator", "points"))
        for name, values in runs.read_columns(store, run_id, "evaluation_scores").items():
            sc[name] = values
        history: dict[str, dict[int, str | None]] = {}
        if run.get("history_years"):
            h = runs.read_history(store, run_id)
            for c, y, g in zip(h["credit_code"], h["year"].tolist(),
                               h["policy_grade"].to_numpy(dtype=object, na_value=None),
                               strict=True):
                history.setdefault(c, {})[y] = g
        kept = {"results": res, "scores": sc, "populations": {}, "history": history,
                "at": {c: i for i, c in enumerate(res["credit_code"])}}
        _POPULATION_ROWS.put(key, kept)
    return kept


def _population_rows(store: Store, run: Mapping[str, Any], method: EvaluationMethod,
                     population: str) -> Any:
    """One population of a run's kept rows as arrays
    (:func:`~indspace.core.engines.explain.stored_population`), built once per run."""
    from indspace.core.engines.explain import stored_population

    kept = _run_rows(store, run)
    pops = kept["populations"]
    if population not in pops:
        pops[population] = stored_population(kept["results"], kept["scores"], method,
                                             population)
    return pops[population]


_ROLLUPS: Kept[pd.DataFrame] = Kept(16)


def zones_stored(store: Store, run: Mapping[str, Any], *, who: Principal = SYSTEM
                 ) -> pd.DataFrame:
    """:func:`zone_rollup` of a stored run, read, not computed: the run's zone sums turned
    into the roll-up, year-on-year against the zone sums of the newest run of the year
    before with the same profile (none: the year-on-year columns are empty)."""
    from indspace.core.engines.zones import zone_kpis

    who.require_login()
    year = int(run["year"])
    before = runs.latest_derived_run(store, year - 1, str(run["profile_id"]))
    key = (*run_key(store, run), None if before is None else run_key(store, before))
    hit = _ROLLUPS.get(key)          # the same two stored runs: the same roll-up
    if hit is not None:
        return hit
    method = run_profile(run).evaluation_method(run["method_date"])
    sums = _zone_sums_read(runs.read_zones(store, str(run["run_id"])), method)
    previous = None
    if before is not None:
        prev_method = run_profile(before).evaluation_method(before["method_date"])
        prev_sums = _zone_sums_read(runs.read_zones(store, str(before["run_id"])), prev_method)
        previous = zone_kpis(prev_sums, prev_method.grading.scale, None, year - 1)
    return _ROLLUPS.put(key, zone_kpis(sums, method.grading.scale, previous, year))


def _run_or_ref(store: Store, run_id: str | None, year: int | None,
                profile_ref: str | None, method_on: date | None
                ) -> tuple[PolicyProfile, int, date]:
    """(profile, year, method date) of a stored run, or of a year and a profile reference."""
    if run_id is not None:
        run = runs.get_run(store, run_id)
        return run_profile(run), int(run["year"]), run["method_date"]
    if year is None or profile_ref is None:
        raise ValidationError("需要评价批次，或年度与策略配置",
                              "give a run id, or a year and a profile", where="run_id")
    return (resolve_profile(profile_ref), year,
            method_on or run_day(store, datetime.now(UTC)))


def _previous(inputs: Inputs | None, profile: PolicyProfile, code: str
              ) -> dict[str, Any] | None:
    """The firm's result in the year before (``inputs``: that year's, None without data)."""
    if inputs is None:
        return None
    try:
        method = profile.evaluation_method(method_date(inputs.year))
    except PolicyError:
        return None
    comp = compute(inputs, method, dual=False)
    r = comp.results.set_index("credit_code")
    if code not in r.index:
        return None
    s = comp.scores[comp.scores["credit_code"].eq(code)]
    me = r.loc[code]
    return {"year": inputs.year, "score": _num(me["score"]),
            "grade": None if pd.isna(me["grade"]) else me["grade"],
            "rank": _num(me["rank"]), "values": dict(zip(s["indicator"], s["value"],
                                                         strict=True))}


def _num(v: Any) -> Any:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


# ------------------------------------------------------------------ publication, objections
def publish(store: Store, run_id: str, *, actor: str = "cli",
            now: datetime | None = None, who: Principal = SYSTEM) -> dict[str, Any]:
    """computed → published: opens the objection window (city administrators only)."""
    require_evaluator(who)
    run = runs.get_run(store, run_id)
    method = run_profile(run).evaluation_method(run["method_date"])
    at = now or datetime.now(UTC)
    return runs.publish_run(store, run_id, at, at + timedelta(days=method.objection_window_days),
                            actor)


def file_objection(store: Store, run_id: str, credit_code: str, field_name: str,
                   claimed_value: float, reason: str, *, actor: str = "enterprise",
                   now: datetime | None = None, who: Principal = SYSTEM) -> dict[str, Any]:
    """File an objection (异议) to one figure of a firm in a published run: the firm's own
    user, an officer of its district or a city administrator."""
    require_firm(who, store, credit_code, edit=True)
    if field_name not in OBJECTION_FIELDS:
        choices = ", ".join(OBJECTION_FIELDS)
        raise ValidationError(f"异议字段 {field_name} 不可更正（可选：{choices}）",
                              f"field {field_name} cannot be corrected "
                              f"(choose from {', '.join(OBJECTION_FIELDS)})", where=field_name)
    if runs.read_results(store, run_id, credit_code).empty:
        raise NotFoundError(f"批次 {run_id} 中没有企业 {credit_code}",
                            f"enterprise {credit_code} is not in run {run_id}", where=run_id)
    return runs.add_objection(store, {
        "run_id": run_id, "credit_code": credit_code, "field": field_name,
        "claimed_value": float(claimed_value), "reason": reason,
        "filed_at": now or datetime.now(UTC), "filed_by": actor})


def resolve_objection(store: Store, objection_id: str, *, accept: bool, actor: str = "cli",
                      note: str = "", now: datetime | None = None, who: Principal = SYSTEM,
                      if_match: str | None = None) -> dict[str, Any]:
    """Reject, or accept: correct the figure (versioned, audited) and recompute the whole
    run as a new version whose parent is the objected run. Officers of the firm's district
    and city administrators decide; ``if_match`` (the objection's ETag) guards against a
    decision taken on a stale view (409)."""
    recompute = decide_objection(store, objection_id, accept=accept, actor=actor, note=note,
                                 now=now, who=who, if_match=if_match)
    return recompute()


def decide_objection(store: Store, objection_id: str, *, accept: bool, actor: str = "cli",
                     note: str = "", now: datetime | None = None, who: Principal = SYSTEM,
                     if_match: str | None = None) -> Callable[[], dict[str, Any]]:
    """The quick part of :func:`resolve_objection` (checks, the decision, the corrected
    figure), done now; returns the slow part (the recomputation) for a background job.
    A second decision on the same objection is refused here (409), so a run is never
    recomputed twice."""
    require_objection_decider(who)
    obj = runs.get_objection(store, objection_id)
    require_firm(who, store, obj["credit_code"], edit=True)
    if if_match is not None:
        check_etag(if_match, objection_etag(obj), what=f"异议 {objection_id}")
    run = runs.get_run(store, obj["run_id"])
    at = now or datetime.now(UTC)
    closed = runs.close_objection(store, objection_id, accepted=accept, at=at, actor=actor,
                                  note=note)
    if not accept:
        return lambda: {"objection": _objection_out(closed), "run": None}
    store.update("indicators", (obj["credit_code"], run["year"]),
                 {obj["field"]: obj["claimed_value"]}, at=at, actor=actor,
                 reason=f"异议 {objection_id} 核实更正 / objection accepted: {note}")

    def recompute() -> dict[str, Any]:
        outcome = run_evaluation(store, run["year"], run_profile(run), actor=actor,
                                 note=f"objection {objection_id}",
                                 parent_run_id=run["run_id"], objection_ids=[objection_id],
                                 now=at, method_on=run["method_date"])
        return {"objection": _objection_out(runs.get_objection(store, objection_id)),
                "run": outcome.summary()}

    return recompute


def require_evaluator(who: Principal) -> Principal:
    """Evaluating and publishing runs is for city administrators; returns ``who`` (the API
    asks it before judging the request body)."""
    who.require_role("city_admin")
    return who


def require_objection_decider(who: Principal) -> Principal:
    """Deciding (and previewing) objections is for city administrators and district
    officers (the firm's district is checked on the objection); returns ``who``."""
    who.require_role("city_admin", "district_officer")
    return who


def start_evaluation(store: Store, year: int, profile_ref: str, *, who: Principal,
                     method_on: date | None = None) -> Callable[[], dict[str, Any]]:
    """Check that ``who`` may evaluate (city administrators) and the profile resolves; the
    returned work computes and stores the run (or finds the identical one)."""
    require_evaluator(who)
    resolve_profile(profile_ref)

    def work() -> dict[str, Any]:
        return run_evaluation(store, year, profile_ref, actor=who.username,
                              method_on=method_on).summary()

    return work


OBJECTION_ETAG_FIELDS = ("objection_id", "state", "resolved_at", "resolved_by")


def objection_etag(obj: dict[str, Any]) -> str:
    return etag_of({k: json_value(obj.get(k)) for k in OBJECTION_ETAG_FIELDS},
                   OBJECTION_ETAG_FIELDS)


def objections_list(store: Store, *, run_id: str | None = None, state: str | None = None,
                    with_resolved: bool = False, who: Principal = SYSTEM
                    ) -> list[dict[str, Any]]:
    """Objections the caller may see (its district's or its own firm's), each with its
    ``etag`` for a later resolve. With ``run_id`` and ``with_resolved``, also those whose
    acceptance made ``run_id`` (filed against its parent): a corrected version lists the
    cases it settles."""
    who.require_login()
    frame = runs.list_objections(store, None if with_resolved else run_id)
    if frame.empty:
        return []
    if with_resolved and run_id is not None:
        frame = frame[(frame["run_id"] == run_id)
                      | (frame["resolved_run_id"] == run_id).fillna(False).astype(bool)]
        if frame.empty:
            return []
    firms = store.read_frame("enterprises", columns=["credit_code", "name", "district"])
    frame = frame.merge(firms, on="credit_code", how="left", validate="m:1")
    frame = frame[who.mask(frame)]
    if state is not None:
        frame = frame[frame["state"] == state]
    return [_objection_out(row) for row in frame.to_dict("records")]


def objection_detail(store: Store, objection_id: str, *, who: Principal = SYSTEM
                     ) -> dict[str, Any]:
    obj = runs.get_objection(store, objection_id)
    require_firm(who, store, obj["credit_code"])
    return _objection_out(obj)


def _objection_out(obj: dict[str, Any]) -> dict[str, Any]:
    """An objection as JSON (no row id; dates ISO; missing → null) with its ETag."""
    row = {k: json_value(v) for k, v in obj.items() if k != "fid"}
    row["etag"] = objection_etag(row)
    return row



def firm_grades(store: Store, credit_code: str, *, who: Principal = SYSTEM
                ) -> list[dict[str, Any]]:
    """A firm's grade and score per evaluated year, from the newest run version of each
    year (for the 5-year chart)."""
    require_firm(who, store, credit_code)
    frame = runs.list_runs(store)
    out: list[dict[str, Any]] = []
    if frame.empty:
        return out
    latest = frame.sort_values(["year", "version"]).groupby("year").tail(1)
    for run in latest.itertuples(index=False):
        res = runs.read_results(store, run.run_id, credit_code)
        if res.empty:
            continue
        r = res.iloc[0]
        out.append({"year": int(run.year), "run_id": run.run_id, "version": int(run.version),
                    "grade": None if pd.isna(r["grade"]) else r["grade"],
                    "score": _num(r["score"]), "status": r["status"]})
    return out


# ------------------------------------------------------ zones (districts, parks, chains)
def firm_parks(store: Store, firms: pd.DataFrame | None = None) -> pd.DataFrame:
    """credit_code → park_id: the park ("2070" zone) holding a point inside each parcel the
    firm owns; a firm owning parcels in several parks is counted in each. The parcel → park
    mapping is kept in the store for the current parks and parcels
    (:mod:`indspace.store.parcel_parks`) and computed from the geometries only when they
    changed. ``firms``: the parcels' owners (parcel_id, owner_credit_code) if already read."""
    from indspace.store import parcel_parks

    version = parcel_parks.version(store)
    mapping = parcel_parks.read(store, version)
    if mapping is None:
        mapping = _parcel_parks(store)
        with contextlib.suppress(StoreError):   # a read-only store still gets the answer
            parcel_parks.write(store, version, mapping)
    owners = (firms if firms is not None else
              store.read_frame("parcels", columns=["parcel_id", "owner_credit_code"]))
    hit = mapping.merge(owners[["parcel_id", "owner_credit_code"]], on="parcel_id")
    out = hit[["owner_credit_code", "park_id"]].dropna().drop_duplicates()
    return out.rename(columns={"owner_credit_code": "credit_code", "park_id": "park"}) \
        .sort_values(["credit_code", "park"], ignore_index=True)


def _parcel_parks(store: Store) -> pd.DataFrame:
    """parcel_id → park_id from the geometries: the park holding each parcel's
    representative point."""
    import geopandas as gpd

    parks = store.read_frame("parks", columns=["park_id", "geometry"])
    parcels = store.read_frame("parcels", columns=["parcel_id", "geometry"])
    if parks.empty or parcels.empty:
        return pd.DataFrame({"parcel_id": pd.Series(dtype=object),
                             "park_id": pd.Series(dtype=object)})
    points = gpd.GeoDataFrame(parcels.drop(columns="geometry"),
                              geometry=parcels.geometry.representative_point(),
                              crs=parcels.crs)
    hit = gpd.sjoin(points, parks, predicate="within", how="inner")
    return (hit[["parcel_id", "park_id"]].dropna().drop_duplicates()
            .sort_values(["parcel_id", "park_id"], ignore_index=True))


def zone_rollup(store: Store, year: int | None, profile_ref: str | None,
                kinds: tuple[str, ...] = ("district", "park", "chain"), *,
                run_id: str | None = None, who: Principal = SYSTEM) -> pd.DataFrame:
    """Per district, 2070 park and 361 chain: grades, Σtax ÷ Σland, ranks, year-on-year.
    Aggregates of every zone, for any logged-in role (the published rankings). With
    ``run_id``, the run's year and stored profile."""
    who.require_login()
    from indspace.core.engines.zones import rollup_zones, zone_map

    profile, year, on = _run_or_ref(store, run_id, year, profile_ref, None)
    parks = firm_parks(store) if "park" in kinds else None
    loaded = load_years(store, (year - 1, year), required=(year,), profile=profile, on=on)
    frames = []
    previous = None
    for y in (year - 1, year):
        if y not in loaded:
            continue
        inputs = loaded[y]
        try:
            method = profile.evaluation_method(on if y == year else method_date(y))
        except PolicyError:
            if y == year:
                raise
            continue
        comp = compute(inputs, method, dual=False)
        firms = inputs.firms
        base = [k for k in kinds if k != "park"]
        zones = zone_map(firms, base)
        if parks is not None:
            zones = pd.concat([zones, parks.assign(zone_kind="park").rename(
                columns={"park": "zone"})[["credit_code", "zone_kind", "zone"]]],
                ignore_index=True)
        own_land = comp.attribution.firms[["credit_code", "land_area_mu"]]
        figures = inputs.indicators[["credit_code", "tax", "value_added"]].merge(
            own_land, on="credit_code", how="left")
        rolled = rollup_zones(comp.results, figures, zones, method.grading.scale, previous)
        previous = rolled
        frames.append(rolled)
    return frames[-1]


# ------------------------------------------------------------------ reading runs (API)
def runs_list(store: Store, year: int | None = None, *, who: Principal = SYSTEM
              ) -> list[dict[str, Any]]:
    """Evaluation runs, oldest first, with their summaries decoded (city-wide class
    counts: any logged-in role)."""
    who.require_login()
    frame = runs.list_runs(store, year)
    out = []
    children: dict[str, str] = {}
    if not frame.empty:
        kids = runs.list_runs(store)
        kids = kids[kids["parent_run_id"].notna()].sort_values("version")
        for parent, child in zip(kids["parent_run_id"], kids["run_id"], strict=True):
            children.setdefault(parent, child)
    for row in ([] if frame.empty else frame.drop(columns=["fid", "profile_text"])
                .to_dict("records")):
        row["summary"] = json.loads(row.pop("summary_json"))
        row["superseded_by"] = children.get(row["run_id"])
        out.append({k: json_value(v) for k, v in row.items()})
    return out


def run_detail(store: Store, run_id: str, *, who: Principal = SYSTEM) -> dict[str, Any]:
    who.require_login()
    row = runs.get_run(store, run_id)
    row.pop("fid", None)
    row.pop("profile_text", None)
    row["summary"] = json.loads(row.pop("summary_json"))
    row["superseded_by"] = runs.superseded_by(store, run_id)
    return {k: json_value(v) for k, v in row.items()}


PAGE_RESULT_COLUMNS = ("credit_code", "population", "group_label", "land_area_mu", "score",
                       "rank", "group_size", "grade", "policy_grade", "status", "reason",
                       "landlord", "bonus_points", "penalty_points", "review")


def run_results_page(store: Store, run_id: str, *, limit: int = 100, offset: int = 0,
                     grade: str | None = None, group: str | None = None,
                     status: str | None = None, order: str = "credit_code",
                     district: str | None = None, who: Principal = SYSTEM) -> dict[str, Any]:
    """One page of a run's results with each firm's name and district, filtered by grade,
    group, status or district; ``order`` is ``credit_code`` or ``rank`` (within group).
    A district officer sees its district's firms, an enterprise user its own row."""
    who.require_login()
    runs.get_run(store, run_id)                      # a clear 404 for an unknown run
    if who.role == "district_officer" and district not in (None, who.district):
        who.require_see(district, what=f"区县 {district}")
    frame = runs.read_results(store, run_id, columns=PAGE_RESULT_COLUMNS)
    firms = store.read_frame("enterprises", columns=["credit_code", "name", "district"])
    frame = frame.merge(firms, on="credit_code", how="left", validate="m:1")
    frame = frame[who.mask(frame)]
    for col, value in (("grade", grade), ("group_label", group), ("status", status),
                       ("district", district)):
        if value is not None:
            frame = frame[frame[col] == value]
    if order == "rank":
        frame = frame.sort_values(["group_label", "rank", "credit_code"], kind="stable")
    elif order != "credit_code":
        raise ValidationError(f"不支持的排序：{order}", f"unsupported order: {order}",
                              where="order", hint_zh="credit_code 或 rank",
                              hint_en="credit_code or rank")
    page = frame.iloc[offset:offset + limit]
    items = json.loads(page.to_json(orient="records", force_ascii=False))
    return {"run_id": run_id, "total": len(frame), "limit": limit, "offset": offset,
            "items": items}



def zone_rows(frame: pd.DataFrame, kind: str) -> list[dict[str, Any]]:
    """The roll-up rows of one zone kind as JSON-ready records (CLI and API)."""
    rows: list[dict[str, Any]] = json.loads(
        frame[frame["zone_kind"] == kind].to_json(orient="records", force_ascii=False))
    return rows


def write_zones(path: Path, frame: pd.DataFrame) -> Path:
    """All zones of a roll-up as CSV, written atomically."""
    if path.suffix.lower() != ".csv":
        raise unsupported_format(path, (".csv",))
    with atomic(path) as tmp:
        csv_safe(frame).to_csv(tmp, index=False, lineterminator="\n")
    return path
