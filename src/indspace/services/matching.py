"""Supply–demand matching (供需匹配, issue #19): the supply inventory, the demands, the context
of the weighted objective, and one matching run.

* :func:`inventory` derives the supply from the store (land-rules K2): vacant floor space of
  workshops (standard factories and 小微园 included; one space per building), vacant in-line
  industrial land (inside the control line in force, no building, no occupant) and the
  future space of the redevelopment units of the latest low-efficiency plan run (腾挪流转
  units free their land, the others add floors let floor by floor; available when built:
  1 January after the run's evaluated year + the pro forma's ``construction_years``). The
  figures not in the store (floor load, clear height, power, rents) come from the profile
  parameter ``matching_supply``.
* :func:`read_spaces` reads an inventory file with exactly :data:`SPACE_COLUMNS`;
  :func:`read_demands` reads a demand file through the import validation of kind
  ``demands`` (nothing is written), or the store's demands.
* :func:`run` calls the engine (:mod:`indspace.core.engines.matching`) and times it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from indspace.core.access import Principal
from indspace.core.engines.matching import (
    DEMAND_COLUMNS,
    MATCH_COLUMNS,
    OBJECTIVES,
    SPACE_COLUMNS,
    MatchContext,
    MatchResult,
    MatchWeights,
    match,
)
from indspace.core.errors import ForbiddenError, ValidationError
from indspace.core.model.money import to_decimal
from indspace.core.policy import PolicyProfile
from indspace.services.output import atomic, csv_safe, unsupported_format, write_sheets
from indspace.services.profiles import resolve_profile
from indspace.settings import deployment
from indspace.store import Store

POLLUTION_BY_USE = {"100101": 1, "100102": 2, "100103": 3}
"""一/二/三类工业用地 → the highest pollution class the space allows (reference-data §1);
other uses (仓储 1101xx, unknown) allow class 1."""
SPACE_SOURCES = ("vacant_floor", "vacant_land", "redevelopment")
HEADERS_ZH = {
    "demand_id": "需求编号",
    "credit_code": "统一社会信用代码",
    "kind": "需求类型",
    "space_id": "空间编号",
    "space_kind": "空间类型",
    "district": "区县",
    "park_id": "园区",
    "area_m2": "面积(平方米)",
    "rent_yuan_m2_month": "租金(元/平方米/月)",
    "rent_yuan_month": "月租金(元)",
    "score": "得分",
    "n_candidates": "候选空间数",
    "cost_rank": "候选中排名",
    "binding": "紧约束",
    "reason_zh": "说明",
    "reason_en": "reason",
}


def _profile(profile: PolicyProfile | str | None) -> PolicyProfile:
    if isinstance(profile, PolicyProfile):
        return profile
    return resolve_profile(profile or deployment().default_profile)


def _source(p: PolicyProfile, name: str, on: date) -> str:
    prov = p.provision(name, on)
    return prov.source if prov is not None else ""


def weights(on: date, profile: PolicyProfile | str | None = None) -> MatchWeights:
    """The profile's ``matching_weights`` in force on ``on``."""
    p = _profile(profile)
    return MatchWeights.from_value(
        p.value("matching_weights", on), _source(p, "matching_weights", on)
    )


# ------------------------------------------------------------------------------ supply


def _active(occ: pd.DataFrame, on: date) -> pd.DataFrame:
    start = pd.to_datetime(occ["start"], errors="coerce")
    end = pd.to_datetime(occ["end"], errors="coerce")
    day = pd.Timestamp(on)
    return occ[(start.isna() | (start <= day)) & (end.isna() | (end >= day))]


def _rents(base: Decimal, age: np.ndarray, per_year: float, floor_share: float) -> list[Decimal]:
    """Base rent × max(floor_share, 1 − per_year × age), to the 分 (exact)."""
    factor = np.clip(1.0 - per_year * np.nan_to_num(age, nan=0.0), floor_share, 1.0)
    return [(base * Decimal(str(round(float(f), 4)))).quantize(Decimal("0.01")) for f in factor]


def _parks_of(points: np.ndarray, parks: pd.DataFrame) -> np.ndarray:
    """The park holding each point ('' when none)."""
    out = np.full(len(points), "", dtype=object)
    if not len(parks) or not len(points):
        return out
    tree = shapely.STRtree(np.asarray(parks.geometry.values, dtype=object))
    src, dst = tree.query(points, predicate="within")
    ids = parks["park_id"].astype(str).to_numpy(dtype=object)
    out[src] = ids[dst]
    return out


def inventory(store: Store, on: date, profile: PolicyProfile | str | None = None) -> pd.DataFrame:
    """The supply on the day ``on``: :data:`SPACE_COLUMNS` plus ``source`` (one of
    :data:`SPACE_SOURCES`) and ``x, y`` (the space's centroid, store CRS metres), sorted by
    ``space_id``."""
    from indspace.services.controlline import parcel_overlay
    from indspace.services.land import store_overlay

    p = _profile(profile)
    cfg = p.value("matching_supply", on)
    min_m2 = float(cfg["min_space_m2"])
    kva = float(cfg["power_kva_per_m2"])
    parks = store.read_frame("parks", columns=["park_id", "geometry"])
    parcels = store.read_frame(
        "parcels", columns=["parcel_id", "land_use_code", "area_m2", "district", "geometry"]
    )
    p_ids = parcels["parcel_id"].astype(str).to_numpy(dtype=object)
    p_class = parcels["land_use_code"].map(POLLUTION_BY_USE).fillna(1).to_numpy(np.int64)
    p_cent = shapely.centroid(np.asarray(parcels.geometry.values, dtype=object))
    occ = _active(
        store.read_frame(
            "occupancy", columns=["parcel_id", "building_id", "floor_area_m2", "start", "end"]
        ),
        on,
    )
    frames: list[pd.DataFrame] = []

    # vacant floors: a building's floor area less its occupants' (direct, plus the
    # occupants of its parcel without a building spread by floor area)
    so = store_overlay(store)
    b, ov = so.buildings, so.overlay
    if len(b):
        nb = len(b)
        best = np.full(nb, -1, np.int64)
        order = np.lexsort((-ov.share, ov.building))
        first = np.unique(ov.building[order], return_index=True)
        best[first[0]] = ov.parcel[order][first[1]]
        gfa = pd.to_numeric(b["gfa_m2"], errors="coerce").to_numpy(float, na_value=np.nan)
        floors = pd.to_numeric(b["floors"], errors="coerce").to_numpy(float, na_value=np.nan)
        height = pd.to_numeric(b["height_m"], errors="coerce").to_numpy(float, na_value=np.nan)
        year = pd.to_numeric(b["year_built"], errors="coerce").to_numpy(float, na_value=np.nan)
        bid = b["building_id"].astype(str).to_numpy(dtype=object)
        direct = occ[occ["building_id"].notna()].groupby("building_id")["floor_area_m2"].sum()
        used = pd.Series(bid).map(direct).fillna(0.0).to_numpy(float)
        whole = occ[occ["building_id"].isna()].groupby("parcel_id")["floor_area_m2"].sum()
        bp = np.where(best >= 0, p_ids[np.maximum(best, 0)], None)
        gfa0 = np.nan_to_num(gfa)
        per_parcel = pd.Series(gfa0).groupby(pd.Series(bp)).sum()
        parcel_gfa = pd.Series(bp).map(per_parcel).to_numpy(float, na_value=np.nan)
        spread = pd.Series(bp).map(whole).fillna(0.0).to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            used = used + np.where(parcel_gfa > 0, spread * gfa0 / parcel_gfa, 0.0)
        vacant = np.round(gfa0 - used, 2)
        uses = store.read_frame("buildings", columns=["building_id", "use"])
        use = pd.Series(bid).map(
            pd.Series(uses["use"].to_numpy(dtype=object), index=uses["building_id"].astype(str))
        )
        keep = (use.to_numpy(dtype=object) == "workshop") & (vacant >= min_m2) & (best >= 0)
        k = np.flatnonzero(keep)
        # standard factories let floor by floor (分层出租): the vacant area as whole vacant
        # storeys (the top ones) plus the rest of a storey when it reaches the minimum
        nfl = np.maximum(np.nan_to_num(floors[k], nan=1.0), 1.0)
        plate = gfa0[k] / nfl
        whole_n = np.minimum(np.floor(vacant[k] / plate + 1e-9), nfl).astype(np.int64)
        rest = np.round(vacant[k] - whole_n * plate, 2)
        part = (rest >= min_m2) & (whole_n < nfl)
        n_sp = whole_n + part
        rep = np.repeat(np.arange(len(k)), n_sp)
        j = np.arange(len(rep)) - np.repeat(np.cumsum(n_sp) - n_sp, n_sp)  # 0 = top storey
        storey_no = (nfl[rep] - j).astype(np.int64)
        area_sp = np.where(j < whole_n[rep], np.round(plate[rep], 2), rest[rep])
        kk = k[rep]
        storey = height[kk] / floors[kk]
        load = np.where(
            storey_no <= 1,
            float(cfg["ground_floor_load_kn_m2"]),
            float(cfg["standard_factory_load_kn_m2"]),
        )
        cent = shapely.centroid(np.asarray(b.geometry.values, dtype=object)[kk])
        district = parcels["district"].astype(str).to_numpy(dtype=object)[best[kk]]
        frames.append(
            pd.DataFrame(
                {
                    "space_id": "F-"
                    + pd.Series(bid[kk]).astype(str)
                    + "-"
                    + pd.Series(storey_no).astype(str).str.zfill(2)
                    + "F",
                    "kind": "floor",
                    "area_m2": area_sp,
                    "load_kn_m2": load,
                    "clear_height_m": np.round(storey - float(cfg["structure_allowance_m"]), 2),
                    "power_kva": np.round(area_sp * kva, 1),
                    "max_pollution_class": p_class[best[kk]],
                    "district": district,
                    "park_id": _parks_of(cent, parks),
                    "rent_yuan_m2_month": _rents(
                        Decimal(str(cfg["floor_rent_yuan_m2_month"])),
                        on.year - year[kk],
                        float(cfg["rent_discount_per_year"]),
                        float(cfg["min_rent_share"]),
                    ),
                    "available_from": None,
                    "source": "vacant_floor",
                    "x": shapely.get_x(cent),
                    "y": shapely.get_y(cent),
                }
            )
        )
        has_building = np.zeros(len(parcels), bool)
        has_building[ov.parcel] = True
    else:
        has_building = np.zeros(len(parcels), bool)

    # vacant in-line industrial land: inside the line in force, no building, no occupant
    line = parcel_overlay(store, as_of=on, profile=p).set_index("parcel_id")["status"]
    inside = pd.Series(p_ids).map(line).eq("inside").to_numpy(bool)
    occupied = pd.Series(p_ids).isin(set(occ["parcel_id"].astype(str))).to_numpy(bool)
    industrial = parcels["land_use_code"].astype(str).str.startswith("1001").to_numpy(bool)
    area = pd.to_numeric(parcels["area_m2"], errors="coerce").to_numpy(float)
    k = np.flatnonzero(inside & ~occupied & ~has_building & industrial & (area >= min_m2))
    land_rent = Decimal(str(cfg["land_rent_yuan_m2_month"])).quantize(Decimal("0.01"))
    frames.append(
        pd.DataFrame(
            {
                "space_id": "L-" + pd.Series(p_ids[k]).astype(str),
                "kind": "land",
                "area_m2": area[k],
                "load_kn_m2": np.nan,
                "clear_height_m": np.nan,
                "power_kva": np.nan,
                "max_pollution_class": p_class[k],
                "district": parcels["district"].astype(str).to_numpy(dtype=object)[k],
                "park_id": _parks_of(p_cent[k], parks),
                "rent_yuan_m2_month": [land_rent] * len(k),
                "available_from": None,
                "source": "vacant_land",
                "x": shapely.get_x(p_cent[k]),
                "y": shapely.get_y(p_cent[k]),
            }
        )
    )
    frames.append(_redevelopment(store, p, cfg, p_ids, p_cent, parks))
    out = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else pd.DataFrame(columns=[*SPACE_COLUMNS, "source", "x", "y"])
    )
    return out.sort_values("space_id", ignore_index=True)


def _redevelopment(
    store: Store,
    p: PolicyProfile,
    cfg: dict[str, Any],
    p_ids: np.ndarray,
    p_cent: np.ndarray,
    parks: pd.DataFrame,
) -> pd.DataFrame:
    """Floor space the units of the latest low-efficiency plan run will add, available the
    run's day + ``construction_years`` (the pro forma's timeline)."""
    from indspace.store.lowuse_runs import (
        list_lowuse_runs,
        read_lowuse_parcel_units,
        read_lowuse_units,
    )

    runs = list_lowuse_runs(store)
    if not len(runs):
        return pd.DataFrame()
    run = runs.iloc[-1]
    # the plan follows the evaluated year: building starts on 1 January of the next year
    begin = date(int(run["year"]) + 1, 1, 1)
    years = int(p.value("proforma_timeline", begin)["construction_years"])
    ready = date(begin.year + years, 1, 1)
    units = read_lowuse_units(store, str(run["run_id"]))
    units = units[
        (
            pd.to_numeric(units["potential_gfa_m2"], errors="coerce").fillna(0)
            >= float(cfg["min_space_m2"])
        )
        | (units["project_type"].astype(str) == "relocation_transfer")
    ]
    if not len(units):
        return pd.DataFrame()
    members = read_lowuse_parcel_units(store, str(run["run_id"])).dropna()
    pos = pd.Series(np.arange(len(p_ids)), index=p_ids)
    members = members[members["parcel_id"].isin(pos.index)]
    xs = pd.Series(shapely.get_x(p_cent)[pos[members["parcel_id"]].to_numpy()])
    ys = pd.Series(shapely.get_y(p_cent)[pos[members["parcel_id"]].to_numpy()])
    cx = xs.groupby(members["unit_id"].to_numpy()).mean()
    cy = ys.groupby(members["unit_id"].to_numpy()).mean()
    uid = units["unit_id"].astype(str)
    x = uid.map(cx).to_numpy(float, na_value=np.nan)
    y = uid.map(cy).to_numpy(float, na_value=np.nan)
    # 腾挪流转 units free their land; the others add floors (工业上楼), let floor by floor
    # in plates of new_floor_plate_m2 (the last floor the rest)
    land0 = units["project_type"].astype(str).to_numpy() == "relocation_transfer"
    land_m2 = np.round(pd.to_numeric(units["area_mu"]).to_numpy(float) * 2000 / 3, 2)
    gfa = np.round(pd.to_numeric(units["potential_gfa_m2"]).to_numpy(float), 2)
    plate = float(cfg["new_floor_plate_m2"])
    n = np.where(land0, 1, np.maximum(np.ceil(gfa / plate - 1e-9), 1)).astype(np.int64)
    rep = np.repeat(np.arange(len(units)), n)
    j = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    land = land0[rep]
    area = np.where(land, land_m2[rep], np.round(np.minimum(plate, gfa[rep] - j * plate), 2))
    keep = land | (area >= float(cfg["min_space_m2"]))
    rep, j, land, area = rep[keep], j[keep], land[keep], area[keep]
    units = units.iloc[rep].reset_index(drop=True)
    uid = units["unit_id"].astype(str) + np.where(
        land, "", "-" + pd.Series(j + 1).astype(str).str.zfill(2).to_numpy(dtype=object) + "F"
    )
    x, y = x[rep], y[rep]
    floor_rent = Decimal(str(cfg["floor_rent_yuan_m2_month"])).quantize(Decimal("0.01"))
    land_rent = Decimal(str(cfg["land_rent_yuan_m2_month"])).quantize(Decimal("0.01"))
    return pd.DataFrame(
        {
            "space_id": "R-" + uid.to_numpy(dtype=object),
            "kind": np.where(land, "land", "floor"),
            "area_m2": area,
            "load_kn_m2": np.where(land, np.nan, float(cfg["new_floor_load_kn_m2"])),
            "clear_height_m": np.where(land, np.nan, float(cfg["new_clear_height_m"])),
            "power_kva": np.where(land, np.nan, np.round(area * float(cfg["power_kva_per_m2"]), 1)),
            "max_pollution_class": int(cfg["new_max_pollution_class"]),
            "district": units["district"].astype(str).to_numpy(dtype=object),
            "park_id": _parks_of(shapely.points(np.nan_to_num(x), np.nan_to_num(y)), parks),
            "rent_yuan_m2_month": [land_rent if v else floor_rent for v in land.tolist()],
            "available_from": ready,
            "source": "redevelopment",
            "x": x,
            "y": y,
        }
    )


def _bad(path: Path, row: int, field: str, value: Any, zh: str, en: str) -> ValidationError:
    return ValidationError(
        f"{zh}：{value!r}",
        f"{en}: {value!r}",
        where=f"{path.name}: 第 {row} 行 / row {row}, {field}",
        hint_zh="按 docs/matching.md 的供给清单格式填写",
        hint_en="follow the inventory format of docs/matching.md",
    )


def read_spaces(path: Path) -> pd.DataFrame:
    """An inventory file (CSV, UTF-8) with exactly :data:`SPACE_COLUMNS`; every bad cell is
    a bilingual error naming the file, row (the CSV line) and field."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise ValidationError(
            f"无法读取供给清单 {path.name}",
            f"cannot read the inventory {path.name}: {e}",
            where=str(path.name),
        ) from e
    cols = [c.strip() for c in raw.columns]
    missing = [c for c in SPACE_COLUMNS if c not in cols]
    extra = [c for c in cols if c not in SPACE_COLUMNS]
    if missing or extra:
        raise ValidationError(
            f"供给清单表头不符：缺少 {missing}，多出 {extra}",
            f"the inventory header is wrong: missing {missing}, unexpected {extra}",
            where=f"{path.name}: 第 1 行 / row 1",
            hint_zh="表头须恰为 " + ", ".join(SPACE_COLUMNS),
            hint_en="the header must be exactly " + ", ".join(SPACE_COLUMNS),
        )
    raw.columns = cols
    out: dict[str, list[Any]] = {c: [] for c in SPACE_COLUMNS}
    for i, rec in enumerate(raw.to_dict("records")):
        row = i + 2
        for c in SPACE_COLUMNS:
            v = str(rec[c]).strip()
            if c in ("space_id", "kind", "district", "area_m2", "rent_yuan_m2_month") and not v:
                raise _bad(path, row, c, v, "必填项为空", "a required cell is empty")
            if c == "kind" and v not in ("land", "floor"):
                raise _bad(path, row, c, v, "类型须为 land 或 floor", "kind must be land or floor")
            if c in ("area_m2", "load_kn_m2", "clear_height_m", "power_kva", "max_pollution_class"):
                if not v:
                    out[c].append(np.nan)
                    continue
                try:
                    num = float(v)
                except ValueError:
                    raise _bad(path, row, c, v, "不是数字", "not a number") from None
                if not np.isfinite(num) or num < 0 or (c == "area_m2" and num == 0):
                    raise _bad(path, row, c, v, "须为正数", "must be a positive number")
                if c == "max_pollution_class" and num not in (1, 2, 3):
                    raise _bad(
                        path,
                        row,
                        c,
                        v,
                        "污染类别须为 1、2 或 3",
                        "the pollution class must be 1, 2 or 3",
                    )
                out[c].append(num)
            elif c == "rent_yuan_m2_month":
                try:
                    d = to_decimal(v)
                except InvalidOperation:
                    raise _bad(
                        path, row, c, v, "租金不是数字", "the rent is not a number"
                    ) from None
                if not d.is_finite() or d < 0:
                    raise _bad(path, row, c, v, "租金须为非负数", "the rent must not be negative")
                out[c].append(d)
            elif c == "available_from":
                if not v:
                    out[c].append(None)
                    continue
                try:
                    out[c].append(date.fromisoformat(v))
                except ValueError:
                    raise _bad(
                        path, row, c, v, "日期须写成 YYYY-MM-DD", "the date must be YYYY-MM-DD"
                    ) from None
            else:
                out[c].append(v or None)
    frame = pd.DataFrame(out)
    dup = frame["space_id"].duplicated(keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise _bad(
            path,
            i + 2,
            "space_id",
            frame["space_id"][i],
            "空间编号重复",
            "the space id occurs more than once",
        )
    return frame


# ------------------------------------------------------------------------------ demands


def read_demands(store: Store, path: Path | None) -> pd.DataFrame:
    """Demands from a file (validated as the import kind ``demands``, written nowhere; any
    error is raised with its file, row and field) or, without a file, the store's."""
    if path is None:
        return pd.DataFrame(store.read_frame("demands", columns=list(DEMAND_COLUMNS)))
    from indspace.services.importing import validate_file

    valid, issues = validate_file(store, "demands", path)
    errors = issues[issues["severity"] == "error"] if len(issues) else issues
    if len(errors):
        first = errors.iloc[:5]
        zh = "；".join(
            f"第 {r.source_row} 行 {r.field}：{r.message_zh}" for r in first.itertuples()
        )
        en = "; ".join(f"row {r.source_row} {r.field}: {r.message_en}" for r in first.itertuples())
        raise ValidationError(
            f"需求文件有 {len(errors)} 处错误：{zh}",
            f"the demand file has {len(errors)} error(s): {en}",
            where=path.name,
            hint_zh="改正后重试，或先 indspace import demands 查看完整报告",
            hint_en="fix them and retry, or run indspace import demands for the full report",
        )
    return valid[list(DEMAND_COLUMNS)]


# ------------------------------------------------------------------------------ context


def context(store: Store, on: date, demands: pd.DataFrame) -> tuple[MatchContext, pd.DataFrame]:
    """The weighted objective's context: 链主 (``designations`` valid on ``on``) and the
    other firms of each chain (suppliers) at their sites, each park's share of firms by
    chain, and each demand's firm site (``x, y``) for the commute term."""
    firms = store.read_frame("enterprises", columns=["credit_code", "chain"])
    occ = _active(
        store.read_frame("occupancy", columns=["credit_code", "parcel_id", "start", "end"]), on
    )
    parcels = store.read_frame("parcels", columns=["parcel_id", "geometry"])
    cent = shapely.centroid(np.asarray(parcels.geometry.values, dtype=object))
    px = pd.Series(shapely.get_x(cent), index=parcels["parcel_id"].astype(str))
    py = pd.Series(shapely.get_y(cent), index=parcels["parcel_id"].astype(str))
    site = occ.drop_duplicates("credit_code").set_index("credit_code")["parcel_id"].astype(str)
    sx, sy = site.map(px), site.map(py)
    f = firms.assign(x=firms["credit_code"].map(sx), y=firms["credit_code"].map(sy))
    f = f[f["chain"].notna() & f["x"].notna()]
    des = store.read_frame("designations", columns=["credit_code", "designation", "start", "end"])
    lead = _active(des[des["designation"] == "chain_leader"], on)["credit_code"]
    role = np.where(f["credit_code"].isin(set(lead)), "chain_leader", "supplier")
    anchors = pd.DataFrame(
        {
            "chain": f["chain"].astype(str),
            "role": role,
            "x": f["x"].astype(float),
            "y": f["y"].astype(float),
        }
    )
    parks = store.read_frame("parks", columns=["park_id", "geometry"])
    pk = _parks_of(shapely.points(f["x"].to_numpy(float), f["y"].to_numpy(float)), parks)
    tab = pd.DataFrame({"park_id": pk, "chain": f["chain"].astype(str).to_numpy()})
    tab = tab[tab["park_id"] != ""]
    total = tab.groupby("park_id").size()
    park_chains = tab.groupby(["park_id", "chain"]).size().rename("n").reset_index()
    park_chains["share"] = park_chains["n"] / park_chains["park_id"].map(total)
    d = demands.assign(
        x=demands["credit_code"].map(sx).astype(float),
        y=demands["credit_code"].map(sy).astype(float),
    )
    return MatchContext(anchors=anchors, park_chains=park_chains), d


# ------------------------------------------------------------------------------ run


@dataclass
class MatchRun:
    result: MatchResult
    spaces: pd.DataFrame
    seconds: float

    def summary(self) -> dict[str, Any]:
        return {**self.result.summary, "seconds": round(self.seconds, 3)}


def run(
    store: Store,
    *,
    demands: pd.DataFrame,
    spaces: pd.DataFrame | None,
    on: date,
    objective: str = "count-then-rent",
    profile: PolicyProfile | str | None = None,
) -> MatchRun:
    """Match ``demands`` to ``spaces`` (default: :func:`inventory` of the store on ``on``).
    ``seconds`` is the engine's time (pairs, solver, greedy baseline, explanations)."""
    if objective not in OBJECTIVES:
        raise ValidationError(
            f"目标函数无效：{objective!r}",
            f"unknown objective {objective!r}",
            where="--objective",
            hint_zh="可选 " + "、".join(OBJECTIVES),
            hint_en="one of " + ", ".join(OBJECTIVES),
        )
    p = _profile(profile)
    w = weights(on, p)
    supply = inventory(store, on, p) if spaces is None else spaces
    ctx, dem = context(store, on, demands)
    if "x" not in supply or supply["x"].isna().all():
        supply = _park_xy(store, supply)
    t0 = time.perf_counter()
    result = match(dem, supply, as_of=on, objective=objective, weights=w, context=ctx)
    return MatchRun(result, supply, time.perf_counter() - t0)


def _park_xy(store: Store, spaces: pd.DataFrame) -> pd.DataFrame:
    """Coordinates of a file's spaces: their park's centroid (none without a park)."""
    parks = store.read_frame("parks", columns=["park_id", "geometry"])
    cent = shapely.centroid(np.asarray(parks.geometry.values, dtype=object))
    ids = parks["park_id"].astype(str)
    px = pd.Series(shapely.get_x(cent), index=ids)
    py = pd.Series(shapely.get_y(cent), index=ids)
    pid = spaces["park_id"].fillna("").astype(str)
    return spaces.assign(x=pid.map(px).astype(float), y=pid.map(py).astype(float))


def write_matches(path: Path, matches: pd.DataFrame) -> Path:
    """``.csv`` (UTF-8 with BOM, :data:`MATCH_COLUMNS`) or ``.xlsx`` (Chinese headers)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise unsupported_format(path, [".csv", ".xlsx"])
    frame = matches[list(MATCH_COLUMNS)]
    with atomic(path) as tmp:
        if suffix == ".csv":
            csv_safe(frame).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
        else:
            write_sheets(tmp, {"matches": frame.rename(columns=HEADERS_ZH)})
    return path


def write_spaces(path: Path, spaces: pd.DataFrame) -> Path:
    """An inventory as ``.csv`` with exactly :data:`SPACE_COLUMNS` (re-readable by
    :func:`read_spaces`)."""
    if path.suffix.lower() != ".csv":
        raise unsupported_format(path, [".csv"])
    frame = spaces[list(SPACE_COLUMNS)].copy()
    frame["available_from"] = [
        v.isoformat() if isinstance(v, date) else "" for v in frame["available_from"]
    ]
    with atomic(path) as tmp:
        csv_safe(frame).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    return path


def matches_xlsx(matches: pd.DataFrame) -> bytes:
    """The matches as an Excel workbook (Chinese headers), for the web export."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "matches.xlsx"
        write_matches(p, matches)
        return p.read_bytes()


def summary_json(r: MatchRun) -> str:
    return json.dumps(r.summary(), ensure_ascii=False, sort_keys=True)


# ------------------------------------------------------------------------------ stored runs


def save_run(
    store: Store,
    result: MatchRun,
    *,
    objective: str,
    on: date,
    profile: PolicyProfile | str | None = None,
    actor: str = "cli",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Keep a run and its rows (``match-AS_OF-vN``); the page and the export read them."""
    from indspace.store.match_runs import save_match_run

    p = _profile(profile)
    run = {
        "objective": objective,
        "as_of": on,
        "profile_id": p.id,
        "profile_hash": p.content_hash,
        "created_at": now or datetime.now(UTC),
        "actor": actor,
        # without the solve time: the same inputs keep the same stored run
        "summary_json": json.dumps(result.result.summary, ensure_ascii=False, sort_keys=True),
    }
    return save_match_run(store, run, result.result.matches)


def _scope(store: Store, who: Principal, rows: pd.DataFrame) -> pd.DataFrame:
    """City-wide roles see every demand; a district officer the demands of its district's
    firms and those matched into its district; an enterprise its own demands."""
    who.require_login()
    if who.city_wide:
        return rows
    if who.role == "district_officer":
        firms = store.read_frame("enterprises", columns=["credit_code", "district"])
        home = set(firms.loc[firms["district"] == who.district, "credit_code"])
        return rows[rows["credit_code"].isin(home) | (rows["district"] == who.district)]
    if who.role == "enterprise":
        return rows[rows["credit_code"] == (who.credit_code or "")]
    raise ForbiddenError(
        "无权查看供需匹配", "matching is outside this account's scope", where="matching"
    )


def stored_rows(
    store: Store,
    run_id: str | None,
    *,
    who: Principal,
    served: str | None = None,
    district: str | None = None,
    q: str | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """A stored run (default: the latest) and the rows the caller may see, filtered by
    ``served`` (``yes``/``no``), the matched space's ``district`` and a text ``q`` in the
    demand id or credit code."""
    from indspace.store.match_runs import get_match_run, list_match_runs, read_match_results

    who.require_login()
    if run_id is None:
        runs = list_match_runs(store)
        if not len(runs):
            return {}, pd.DataFrame(columns=list(MATCH_COLUMNS))
        run_id = str(runs.iloc[-1]["run_id"])
    run = get_match_run(store, run_id)
    rows = _scope(store, who, read_match_results(store, run_id))
    if served not in (None, "", "yes", "no"):
        raise ValidationError(
            f"served 只能为 yes 或 no：{served[:20]!r}",
            f"served must be yes or no: {served[:20]!r}",
            where="served",
        )
    if served == "yes":
        rows = rows[rows["space_id"].fillna("") != ""]
    elif served == "no":
        rows = rows[rows["space_id"].fillna("") == ""]
    if district:
        rows = rows[rows["district"] == district]
    if q:
        rows = rows[
            rows["demand_id"].str.contains(q, regex=False)
            | rows["credit_code"].fillna("").str.contains(q, regex=False)
        ]
    run = {
        "run_id": run["run_id"],
        "objective": run["objective"],
        "as_of": run["as_of"].isoformat() if isinstance(run["as_of"], date) else run["as_of"],
        "profile_id": run["profile_id"],
        "summary": json.loads(run["summary_json"]),
    }
    return run, rows.reset_index(drop=True)


def page_payload(
    run: dict[str, Any], rows: pd.DataFrame, offset: int = 0, limit: int = 100
) -> dict[str, Any]:
    """The JSON answer: the run and its summary, the filtered count and one page of rows."""
    part = rows.iloc[offset : offset + limit].astype(object)
    part = part.where(pd.notna(part), None)
    return {**run, "total": len(rows), "offset": offset, "rows": part.to_dict("records")}
