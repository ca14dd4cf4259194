"""Use cases of control-line adjustments and the 占补平衡 ledger (issue #7, items 2, 3, 6).

An adjustment is proposed (areas out, areas in, district, reason, documents), reviewed
(the replacement land is checked: contiguous, large enough, clear of the ecological red line
and permanent basic farmland, not already industrial), approved (the district's balance
Σ in − Σ out × ``replacement_ratio`` is re-read under a lock and may not go negative; the
ledger rows are booked in the same transaction) and put in force at a date (the control
line gets a new dated version through the store's history). Profile parameters are read at
the date of each step: ``replacement_ratio``, ``min_replacement_area_m2``,
``allow_inter_district_transfer``, ``replacement_max_gap_m``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from indspace.core.clock import end_of_day, local_day
from indspace.core.engines import ledger as L
from indspace.core.errors import OutOfDistrictError, ValidationError
from indspace.core.policy import PolicyProfile
from indspace.services.evaluation import resolve_profile
from indspace.services.output import csv_safe, excel_writer
from indspace.settings import DEFAULT_PROFILE
from indspace.store import Store
from indspace.store import controlline as S

OUT_TOLERANCE_M2 = 1.0
"""Areas out may stick out of the line by digitising slivers up to this area."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Params:
    ratio: float
    min_area_m2: float
    allow_transfer: bool
    max_gap_m: float
    industrial_prefixes: tuple[str, ...]

    @classmethod
    def of(cls, profile: PolicyProfile, on: date) -> Params:
        return cls(ratio=float(profile.value("replacement_ratio", on)),
                   min_area_m2=float(profile.value("min_replacement_area_m2", on)),
                   allow_transfer=bool(profile.value("allow_inter_district_transfer", on)),
                   max_gap_m=float(profile.value("replacement_max_gap_m", on)),
                   industrial_prefixes=tuple(
                       str(x) for x in profile.value("industrial_land_use_prefixes", on)))


# ---------------------------------------------------------------- proposing
def read_proposal_file(path: str | Path) -> dict[str, Any]:
    """A proposal JSON or GeoJSON file as a dict (UTF-8, BOM tolerated)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig"))
    except (OSError, json.JSONDecodeError) as e:
        raise ValidationError(f"无法读取调整方案文件：{e}", f"cannot read the proposal: {e}",
                              where=str(p), hint_zh="须为 JSON 或 GeoJSON",
                              hint_en="the file must be JSON or GeoJSON") from e
    if not isinstance(data, dict):
        raise ValidationError("调整方案须为 JSON 对象", "a proposal must be a JSON object",
                              where=str(p))
    return data


def _to_store_crs(store: Store, data: Mapping[str, Any], spec: L.ProposalSpec) -> None:
    """Reproject the areas when the file names a CRS other than the store's."""
    crs = data.get("crs")
    if isinstance(crs, Mapping):   # GeoJSON 2008 style {"type": "name", "properties": {...}}
        crs = (crs.get("properties") or {}).get("name")
    if not crs:
        return
    for attr in ("areas_out", "areas_in"):
        g: MultiPolygon = getattr(spec, attr)
        if g.is_empty:
            continue
        s = gpd.GeoSeries([g], crs=str(crs)).to_crs(store.srid)
        setattr(spec, attr, L.as_multipolygon([s.iloc[0]], f"proposal.{attr}"))


def propose(store: Store, data: Mapping[str, Any], *, actor: str = "cli",
            at: datetime | None = None, profile: str = DEFAULT_PROFILE) -> dict[str, Any]:
    """Store a draft adjustment; its replacement-land checks are recorded (not yet binding)."""
    at = at or _now()
    spec = L.parse_proposal(data)
    _to_store_crs(store, data, spec)
    require_own_district(store, spec)
    problems = _problems(store, spec, resolve_profile(profile), at, exclude=spec.proposal_id)
    row = {"proposal_id": spec.proposal_id, "district": spec.district, "name": spec.name,
           "reason": spec.reason,
           "documents_json": json.dumps(spec.documents, ensure_ascii=False),
           "line_type": spec.line_type, "transfer_from": spec.transfer_from,
           "area_out_m2": spec.area_out_m2, "area_in_m2": spec.area_in_m2,
           "small_firm_reserve_m2": spec.small_firm_reserve_m2,
           "checks_json": json.dumps([p.as_dict() for p in problems], ensure_ascii=False),
           "created_at": at, "created_by": actor}
    areas: list[tuple[str, BaseGeometry]] = [
        *[("out", g) for g in spec.areas_out.geoms], *[("in", g) for g in spec.areas_in.geoms]]
    out = S.insert_proposal(store, row, areas)
    return {**out, "problems": [p.as_dict() for p in problems]}


# ---------------------------------------------------------------- checks
def district_problems(store: Store, spec: L.ProposalSpec) -> list[L.Problem]:
    """Where the proposal's geometry reaches outside its own district: another district's
    control-line blocks hit by the areas out, areas outside the district boundary (the
    ``districts`` layer; skipped when the store has no boundary for the district)."""
    blocks = store.read_frame("control_lines", columns=["block_id", "district", "geometry"])
    own = store.read_frame("districts", columns=["admin_code", "geometry"],
                           where={"admin_code": spec.district})
    boundary = shapely.union_all(np.asarray(own.geometry.values, dtype=object)) \
        if len(own) else None
    return L.foreign_areas(spec.areas_out, spec.areas_in, district=spec.district,
                           boundary=boundary, blocks=blocks)


def require_own_district(store: Store, spec: L.ProposalSpec, where: str | None = None
                         ) -> None:
    """Refuse (403, bilingual, naming each block and district) an adjustment that touches
    another district: each district edits and books only its own land."""
    problems = district_problems(store, spec)
    if problems:
        raise OutOfDistrictError(
            "调整方案超出本区县：" + "；".join(p.message_zh for p in problems),
            "the adjustment reaches outside its district: "
            + "; ".join(p.message_en for p in problems),
            where=where or spec.proposal_id or f"district {spec.district}",
            hint_zh=f"只能调整区县 {spec.district} 范围内、属于该区县的控制线区块",
            hint_en=f"draw the areas inside district {spec.district} and its own blocks")


def _spec_of(store: Store, pid: str) -> L.ProposalSpec:
    row = S.get_proposal(store, pid)
    areas = S.proposal_areas(store, pid)
    geoms = {d: L.as_multipolygon(list(areas.geometry[areas["direction"] == d]), pid)
             for d in ("out", "in")}
    return L.ProposalSpec(district=row["district"], reason=row["reason"],
                          areas_out=geoms["out"], areas_in=geoms["in"],
                          documents=json.loads(row["documents_json"]), name=row["name"] or "",
                          line_type=row["line_type"], transfer_from=row["transfer_from"],
                          proposal_id=pid)


def _industrial(store: Store, exclude: str | None,
                prefixes: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Land that is already industrial: control-line blocks, industrial parcels (land-use
    code under one of ``prefixes``, the profile's ``industrial_land_use_prefixes``), and the
    replacement land of other approved adjustments not yet in force."""
    blocks = store.read_frame("control_lines", columns=["block_id", "geometry"])
    parcels = store.read_frame("parcels", columns=["parcel_id", "land_use_code", "geometry"])
    ind = parcels[parcels["land_use_code"].fillna("").astype(str)
                  .str.startswith(prefixes)]
    pending = S.proposal_areas(store, states=["approved"])
    pending = pending[(pending["direction"] == "in") & (pending["proposal_id"] != exclude)]
    labels = (["控制线区块 / control-line block " + b for b in blocks["block_id"]]
              + ["工业宗地 / industrial parcel " + p for p in ind["parcel_id"]]
              + ["已批准补划 / approved replacement of " + p for p in pending["proposal_id"]])
    geoms = [*blocks.geometry, *ind.geometry, *pending.geometry]
    return gpd.GeoDataFrame({"label": labels}, geometry=gpd.GeoSeries(geoms, crs=store.srid))


def _problems(store: Store, spec: L.ProposalSpec, profile: PolicyProfile, at: datetime,
              exclude: str | None) -> list[L.Problem]:
    prm = Params.of(profile, local_day(at, store.tz))
    problems = L.check_replacement(spec.areas_in, min_area_m2=prm.min_area_m2,
                                   max_gap_m=prm.max_gap_m,
                                   constraints=S.read_constraint_areas(store),
                                   industrial=_industrial(store, exclude,
                                                          prm.industrial_prefixes))
    blocks = store.read_frame("control_lines", columns=["block_id", "geometry"])
    outside = L.out_outside_line(spec.areas_out, blocks)
    if outside > OUT_TOLERANCE_M2:
        problems.append(L.Problem(
            "out_not_in_line", f"调出范围有 {outside:,.2f} m² 不在现行控制线内",
            f"{outside:,.2f} m² of the areas out lie outside the current control line"))
    return problems


def check(store: Store, pid: str, *, at: datetime | None = None,
          profile: str = DEFAULT_PROFILE) -> list[dict[str, str]]:
    """The checks of a stored proposal as they stand now (empty = passes)."""
    spec = _spec_of(store, pid)
    return [p.as_dict() for p in _problems(store, spec, resolve_profile(profile),
                                           at or _now(), exclude=pid)]


# ---------------------------------------------------------------- state machine
def review(store: Store, pid: str, *, actor: str = "cli", at: datetime | None = None,
           profile: str = DEFAULT_PROFILE) -> dict[str, Any]:
    """draft → reviewed; refused (ReplacementLandError) while the checks fail."""
    at = at or _now()
    spec = _spec_of(store, pid)
    require_own_district(store, spec, pid)
    problems = _problems(store, spec, resolve_profile(profile), at, exclude=pid)
    L.raise_if_problems(problems, where=pid)
    return S.review(store, pid, at=at, actor=actor, checks_json="[]")


def approve(store: Store, pid: str, *, actor: str = "cli", at: datetime | None = None,
            profile: str = DEFAULT_PROFILE) -> dict[str, Any]:
    """reviewed → approved, booking the ledger; refused (BalanceError) when the district's
    balance would go negative, or (ReplacementLandError) when the land no longer passes."""
    at = at or _now()
    prof = resolve_profile(profile)
    prm = Params.of(prof, local_day(at, store.tz))
    spec = _spec_of(store, pid)
    require_own_district(store, spec, pid)
    L.raise_if_problems(_problems(store, spec, prof, at, exclude=pid), where=pid)

    def plan(row: dict[str, Any], balances: Mapping[str, float]) -> list[L.Booking]:
        return L.plan_bookings(row["district"], area_out_m2=float(row["area_out_m2"]),
                               area_in_m2=float(row["area_in_m2"]), ratio=prm.ratio,
                               balances=balances, transfer_from=row["transfer_from"],
                               allow_transfer=prm.allow_transfer,
                               where=f"{pid} / district {row['district']}")

    return S.approve(store, pid, at=at, actor=actor, ratio=prm.ratio, profile_id=prof.id,
                     profile_hash=prof.content_hash, plan=plan)


def enforce(store: Store, pid: str, *, on: date | datetime, actor: str = "cli",
            profile: str = DEFAULT_PROFILE, at: datetime | None = None) -> dict[str, Any]:
    """approved → in_force on the day ``on`` (valid time; an instant stands for its day in
    the deployment's time zone), recorded at ``at`` (default now): areas out are cut from
    the blocks they overlap, areas in are merged into an adjacent block of the district or
    become new blocks — each edit a new version of the control line that takes effect on
    ``on`` (the line as of the day before stays as it was)."""
    day = local_day(on, store.tz) if isinstance(on, datetime) else on
    at = at or _now()
    prm = Params.of(resolve_profile(profile), day)
    spec = _spec_of(store, pid)
    require_own_district(store, spec, pid)

    def plan(row: dict[str, Any], blocks: gpd.GeoDataFrame) -> L.LineEdits:
        return L.plan_line_edits(blocks, spec.areas_out, spec.areas_in,
                                 district=row["district"], max_gap_m=prm.max_gap_m)

    def new_blocks(row: dict[str, Any], geoms: list[MultiPolygon]) -> gpd.GeoDataFrame:
        n = len(geoms)
        base = row["name"] or pid
        return gpd.GeoDataFrame({
            "block_id": [f"{pid}-B{i + 1}" for i in range(n)],
            "name": [f"{base} 补划区块 {i + 1}" for i in range(n)],
            "district": [row["district"]] * n, "line_type": [row["line_type"]] * n,
            "park_id": [None] * n,
            "effective_from": [day] * n,
            "is_synthetic": [False] * n,
        }, geometry=gpd.GeoSeries(geoms, crs=store.srid))

    return S.enforce(store, pid, at=at, on=day, actor=actor, plan=plan,
                     new_blocks=new_blocks)


def reject(store: Store, pid: str, *, actor: str = "cli", note: str = "",
           at: datetime | None = None) -> dict[str, Any]:
    """draft | reviewed → rejected (final; nothing is booked)."""
    return S.close(store, pid, "rejected", at=at or _now(), actor=actor, note=note)


def withdraw(store: Store, pid: str, *, actor: str = "cli", note: str = "",
             at: datetime | None = None) -> dict[str, Any]:
    """draft | reviewed → withdrawn by its proposer (final; nothing is booked)."""
    return S.close(store, pid, "withdrawn", at=at or _now(), actor=actor, note=note)


def line_as_of(store: Store, day: date, *,
               recorded_at: datetime | None = None) -> gpd.GeoDataFrame:
    """The control line in force on ``day`` (deployment time zone), as recorded now or as
    the store knew it at ``recorded_at``."""
    return store.read_frame("control_lines", as_of=day, recorded_at=recorded_at)


def proposals(store: Store, state: str | None = None) -> pd.DataFrame:
    return S.list_proposals(store, state)


def load_constraint_areas(store: Store, path: str | Path, *, replace: bool = False,
                          actor: str = "cli", at: datetime | None = None) -> int:
    """Read a constraint layer (``area_id``, ``kind``, ``name``; polygons) from any format
    GDAL reads, reproject it to the store CRS and write it."""
    try:
        frame = gpd.read_file(path)
    except Exception as e:  # pyogrio raises its own types for unreadable files
        raise ValidationError(f"无法读取管控区图层：{e}", f"cannot read the constraint layer: {e}",
                              where=str(path)) from e
    missing = [c for c in ("area_id", "kind") if c not in frame.columns]
    if missing:
        raise ValidationError(f"管控区图层缺少字段：{', '.join(missing)}",
                              f"the constraint layer lacks: {', '.join(missing)}",
                              where=str(path), hint_zh="须有 area_id、kind（、name）",
                              hint_en="it needs area_id, kind (and name)")
    bad = sorted(set(frame["kind"].astype(str)) - set(L.CONSTRAINT_KINDS))
    if bad:
        raise ValidationError(f"管控区类型无效：{bad}", f"invalid constraint kinds: {bad}",
                              where=str(path), hint_zh="可选：" + "、".join(L.CONSTRAINT_KINDS),
                              hint_en="use one of " + ", ".join(L.CONSTRAINT_KINDS))
    if frame.crs is not None:
        frame = frame.to_crs(store.srid)
    if "name" not in frame.columns:
        frame["name"] = None
    return S.write_constraint_areas(store, frame, at=at or _now(), actor=actor,
                                    replace=replace)


# ---------------------------------------------------------------- ledger reports
@dataclass
class LedgerReport:
    balances: pd.DataFrame
    """By district: out, obligation (out × ratio), in, transfers, balance (m² and 亩)."""
    entries: pd.DataFrame
    """Every booking in time order with the district's running balance."""
    tz: tzinfo = UTC
    """The deployment time zone (booking times are shown in it)."""

    def to_dict(self) -> dict[str, Any]:
        return {"balances": json.loads(self.balances.to_json(orient="records",
                                                             force_ascii=False)),
                "entries": json.loads(self.entries.to_json(orient="records", date_format="iso",
                                                           force_ascii=False))}


def ledger(store: Store, district: str | None = None,
           as_of: date | datetime | None = None) -> LedgerReport:
    """Balances by district and the booking timeline (optionally up to ``as_of``)."""
    before = None
    if as_of is not None:   # a day: every booking made on or before it, local time
        before = as_of if isinstance(as_of, datetime) else end_of_day(as_of, store.tz)
    rows = S.read_ledger(store, None, before)
    entries = L.timeline(rows)
    bal = L.balances(rows)
    if district is not None:
        entries = entries[(entries["district"] == district)].reset_index(drop=True)
        bal = bal[bal["district"] == district].reset_index(drop=True)
        if bal.empty:
            bal = L.balances(rows.iloc[0:0], [district])
    cols = ["booked_at", "proposal_id", "district", "kind", "area_m2", "area_mu", "ratio",
            "effect_m2", "counterparty", "balance_m2", "balance_mu", "actor"]
    return LedgerReport(bal, entries.reindex(columns=cols), store.tz)


BALANCE_HEADERS = {
    "district": "区县", "out_m2": "调出面积(m²)", "obligation_m2": "应补面积(m²)",
    "in_m2": "补划面积(m²)", "transfer_in_m2": "调剂转入(m²)", "transfer_out_m2": "调剂转出(m²)",
    "balance_m2": "结余(m²)", "out_mu": "调出面积(亩)", "obligation_mu": "应补面积(亩)",
    "in_mu": "补划面积(亩)", "transfer_in_mu": "调剂转入(亩)", "transfer_out_mu": "调剂转出(亩)",
    "balance_mu": "结余(亩)"}
ENTRY_HEADERS = {
    "booked_at": "记账时间", "proposal_id": "调整方案", "district": "区县", "kind": "类别",
    "area_m2": "面积(m²)", "area_mu": "面积(亩)", "ratio": "补划比例", "effect_m2": "结余变动(m²)",
    "counterparty": "调剂对方区县", "balance_m2": "结余(m²)", "balance_mu": "结余(亩)",
    "actor": "经办人"}


def export_ledger(report: LedgerReport, out: str | Path) -> Path:
    """Write the ledger as XLSX (sheets 按区县 / 台账明细, Chinese headers) or CSV (the
    district balances; UTF-8 with BOM so Excel reads the Chinese)."""
    path = Path(out)
    bal = report.balances.rename(columns=BALANCE_HEADERS)
    ent = report.entries.assign(
        kind=report.entries["kind"].map(lambda k: L.KIND_LABELS.get(k, k)),
        booked_at=pd.to_datetime(report.entries["booked_at"], utc=True)
        .dt.tz_convert(report.tz).dt.strftime("%Y-%m-%d %H:%M")).rename(columns=ENTRY_HEADERS)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        csv_safe(bal).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    elif suffix == ".xlsx":
        with excel_writer(path) as xw:
            bal.to_excel(xw, sheet_name="按区县", index=False)
            ent.to_excel(xw, sheet_name="台账明细", index=False)
            for name, frame in (("按区县", bal), ("台账明细", ent)):
                ws = xw.sheets[name]
                ws.freeze_panes(1, 0)
                ws.set_column(0, max(len(frame.columns) - 1, 0), 16)
    else:
        raise ValidationError(f"不支持的导出格式：{path.suffix}",
                              f"unsupported export format: {path.suffix}", where=str(path),
                              hint_zh="请用 .xlsx 或 .csv", hint_en="use .xlsx or .csv")
    return path


# ---------------------------------------------------------------- small-firm reserve (G4)
def small_firm_reserve(store: Store, *, on: date | None = None,
                       profile: str = DEFAULT_PROFILE) -> pd.DataFrame:
    """Per district: land brought into the line by adjustments in force, the part reserved
    for 小微企业园 / 调产安置, and whether it reaches the profile's share (G4: ≥ 10 %)."""
    day = on or local_day(_now(), store.tz)
    share = float(resolve_profile(profile).value("small_firm_park_reserve_share", day))
    enforced = S.list_proposals(store, "in_force")
    if not enforced.empty:
        enforced["small_firm_reserve_m2"] = enforced["small_firm_reserve_m2"].fillna(0.0)
    return L.reserve_report(enforced, share)
