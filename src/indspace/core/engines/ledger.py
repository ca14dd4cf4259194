"""占补平衡 (规模总量平衡 / 改一补一) ledger: pure arithmetic and replacement-land checks.

Rule G1 (shared/domain/land-rules.md): land inside the industrial control line may leave it
only if the same area (× ``replacement_ratio``, 1.0 in Ningbo) is designated back. A
district's balance is

    balance = Σ area in − Σ area out × ratio (+ transfers in − transfers out)

booked per approved adjustment; it may never go negative. Everything here is pure (shapely,
pandas; no I/O, no clock): the store serialises the approvals and calls :func:`plan_bookings`
with the balances it read inside its transaction.

>>> [(b.kind, b.area_m2, b.effect_m2) for b in plan_bookings(
...     "330212", area_out_m2=1000.0, area_in_m2=1200.0, ratio=1.0, balances={})]
[('out', 1000.0, -1000.0), ('in', 1200.0, 1200.0)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from indspace.core.errors import BalanceError, ReplacementLandError, ValidationError
from indspace.core.model.ids import check_chosen_id
from indspace.core.model.units import m2_to_mu

EPS_M2 = 1e-6
"""Balances within a millionth of a square metre of zero count as zero (float sums)."""
OVERLAP_TOLERANCE_M2 = 1.0
"""Overlaps smaller than this (digitising slivers along shared edges) are ignored."""
CONSTRAINT_KINDS = ("ecological_red_line", "permanent_basic_farmland", "other")
"""生态保护红线 / 永久基本农田 / 其他管控区."""
CONSTRAINT_LABELS = {"ecological_red_line": "生态保护红线",
                     "permanent_basic_farmland": "永久基本农田", "other": "其他管控区"}
STATES = ("draft", "reviewed", "approved", "in_force", "rejected", "withdrawn")
STATE_LABELS = {"draft": "草稿", "reviewed": "已审查", "approved": "已批准", "in_force": "已生效",
                "rejected": "已驳回", "withdrawn": "已撤回"}
KIND_LABELS = {"out": "调出", "in": "补划", "transfer_in": "调剂转入",
               "transfer_out": "调剂转出"}


def mu(area_m2: float) -> float:
    """Square metres → 亩 (1 亩 = 2000/3 m²)."""
    return m2_to_mu(area_m2)


def _fmt(area_m2: float) -> str:
    return f"{area_m2:,.2f} m²（{mu(area_m2):,.2f} 亩）"


def _fmt_en(area_m2: float) -> str:
    return f"{area_m2:,.2f} m² ({mu(area_m2):,.2f} mu)"


# ---------------------------------------------------------------- proposals
@dataclass
class ProposalSpec:
    """One adjustment of the control line as proposed: areas out, areas in, and why."""

    district: str
    reason: str
    areas_out: MultiPolygon
    areas_in: MultiPolygon
    documents: list[str] = field(default_factory=list)
    name: str = ""
    line_type: str = "level1"
    transfer_from: str | None = None
    proposal_id: str | None = None
    small_firm_reserve_m2: float = 0.0    # of the land in, kept for 小微企业园 / 调产安置 (G4)

    @property
    def area_out_m2(self) -> float:
        return float(self.areas_out.area)

    @property
    def area_in_m2(self) -> float:
        return float(self.areas_in.area)


def as_multipolygon(geoms: Sequence[BaseGeometry | None], where: str) -> MultiPolygon:
    """Polygons (and multipolygons) → one valid MultiPolygon of their parts (not dissolved
    across parts that merely touch; overlapping parts are merged so no area counts twice)."""
    polys: list[Polygon] = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValidationError(f"几何类型须为面，得到 {g.geom_type}",
                                  f"geometry must be polygonal, got {g.geom_type}", where=where)
        if not g.is_valid:
            g = shapely.make_valid(g)
        polys.extend(shapely.get_parts(g).tolist())
    polys = [p for p in polys if p.geom_type == "Polygon" and p.area > 0]
    if not polys:
        return MultiPolygon()
    merged = shapely.union_all(polys)
    parts = [p for p in shapely.get_parts(merged).tolist() if p.geom_type == "Polygon"]
    return MultiPolygon(parts)


def _geoms(value: Any, direction: str) -> list[BaseGeometry]:
    """GeoJSON geometry / Feature / FeatureCollection / list of those or of WKT strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [shapely.from_wkt(value)]
    if isinstance(value, list):
        return [g for v in value for g in _geoms(v, direction)]
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind == "FeatureCollection":
            return _geoms(list(value.get("features") or []), direction)
        if kind == "Feature":
            return _geoms(value.get("geometry"), direction)
        try:
            return [shape(value)]
        except Exception as e:  # shapely raises several types for bad GeoJSON
            raise ValidationError(f"{direction} 几何无法解析：{e}",
                                  f"cannot read the {direction} geometry: {e}",
                                  where=f"proposal.{direction}") from e
    raise ValidationError(f"{direction} 几何格式不支持", f"unsupported {direction} geometry",
                          where=f"proposal.{direction}",
                          hint_zh="使用 GeoJSON 几何、要素、要素集合或 WKT",
                          hint_en="use a GeoJSON geometry, Feature, FeatureCollection or WKT")


_DIRECTIONS = {"out": "out", "调出": "out", "in": "in", "补划": "in", "调入": "in"}


def parse_proposal(data: Mapping[str, Any]) -> ProposalSpec:
    """A proposal from JSON: ``{"district", "reason", "documents", "out", "in", …}``, or a
    GeoJSON FeatureCollection whose features carry ``direction`` = out/in (调出/补划) and whose
    own ``properties`` (or the first feature's) carry the proposal's attributes.

    >>> p = parse_proposal({"district": "330212", "reason": "道路", "out": None,
    ...     "in": {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 0]]]}})
    >>> (p.district, p.area_out_m2, p.area_in_m2)
    ('330212', 0.0, 50.0)
    """
    props: dict[str, Any] = dict(data)
    out_geoms: list[BaseGeometry] = []
    in_geoms: list[BaseGeometry] = []
    if data.get("type") == "FeatureCollection":
        feats = data.get("features") or []
        if not isinstance(feats, list) or not all(isinstance(f, Mapping) for f in feats):
            raise ValidationError("features 须为 GeoJSON 要素数组",
                                  "features must be an array of GeoJSON features",
                                  where="proposal.features")
        for i, f in enumerate(feats):
            if not isinstance(f.get("properties") or {}, Mapping):
                raise ValidationError(f"第 {i + 1} 个要素的 properties 须为对象",
                                      f"feature {i + 1}: properties must be an object",
                                      where=f"features[{i}].properties")
        if not isinstance(data.get("properties") or {}, Mapping):
            raise ValidationError("properties 须为对象", "properties must be an object",
                                  where="proposal.properties")
        props = {**(feats[0].get("properties") or {} if feats else {}),
                 **(data.get("properties") or {})}
        for i, f in enumerate(feats):
            d = _DIRECTIONS.get(str((f.get("properties") or {}).get("direction", "")).strip())
            if d is None:
                raise ValidationError(
                    f"第 {i + 1} 个要素缺少 direction（out/in 或 调出/补划）",
                    f"feature {i + 1} has no direction (out/in)", where=f"features[{i}]")
            (out_geoms if d == "out" else in_geoms).extend(_geoms(f, d))
    else:
        out_geoms = _geoms(data.get("out"), "out")
        in_geoms = _geoms(data.get("in"), "in")
    district = str(props.get("district") or "").strip()
    reason = str(props.get("reason") or "").strip()
    missing = [k for k, v in (("district", district), ("reason", reason)) if not v]
    if missing:
        raise ValidationError(f"调整方案缺少字段：{', '.join(missing)}",
                              f"the proposal lacks: {', '.join(missing)}", where="proposal",
                              hint_zh="须写明所在区县与调整理由",
                              hint_en="give the district and the reason")
    docs = props.get("documents") or []
    if isinstance(docs, str):
        docs = [docs]
    if not isinstance(docs, list):
        raise ValidationError("documents 须为文件名数组", "documents must be a list of names",
                              where="proposal.documents")
    areas_out = as_multipolygon(out_geoms, "proposal.out")
    areas_in = as_multipolygon(in_geoms, "proposal.in")
    if areas_out.is_empty and areas_in.is_empty:
        raise ValidationError("调整方案既无调出也无补划用地", "the proposal has no area out or in",
                              where="proposal")
    line_type = str(props.get("line_type") or "level1")
    if line_type not in ("level1", "level2"):
        raise ValidationError(f"控制线类型 {line_type} 无效（level1/level2）",
                              f"invalid line_type {line_type} (level1/level2)",
                              where="proposal.line_type")
    transfer = props.get("transfer_from")
    reserve = _reserve(props.get("small_firm_reserve_m2"), areas_in.area)
    return ProposalSpec(district=district, reason=reason, areas_out=areas_out,
                        areas_in=areas_in, documents=[str(d) for d in docs],
                        name=str(props.get("name") or ""), line_type=line_type,
                        transfer_from=str(transfer).strip() if transfer else None,
                        proposal_id=check_chosen_id(props["proposal_id"],
                                                    where="proposal.proposal_id")
                        if props.get("proposal_id") else None, small_firm_reserve_m2=reserve)


def _reserve(value: Any, area_in_m2: float) -> float:
    """The part of the land in reserved for small-firm / relocation parks (m², 0 – area in)."""
    if value in (None, ""):
        return 0.0
    try:
        reserve = float(value)
    except (TypeError, ValueError) as e:
        raise ValidationError(f"small_firm_reserve_m2 不是数值：{value!r}",
                              f"small_firm_reserve_m2 is not a number: {value!r}",
                              where="proposal.small_firm_reserve_m2") from e
    if not 0 <= reserve <= area_in_m2 + 1e-6:
        raise ValidationError(
            f"小微企业园预留面积 {reserve:,.2f} m² 须在 0 与补划面积 {area_in_m2:,.2f} m² 之间",
            f"the small-firm reserve {reserve:,.2f} m² must lie between 0 and the land in "
            f"({area_in_m2:,.2f} m²)", where="proposal.small_firm_reserve_m2")
    return reserve


def reserve_report(proposals: pd.DataFrame, share: float) -> pd.DataFrame:
    """G4: per district, land newly brought into the line by adjustments in force, the part
    reserved for 小微企业园 / 调产安置, its share, and whether it meets ``share`` (0.10).

    ``proposals``: district, area_in_m2, small_firm_reserve_m2 of the enforced adjustments.
    """
    if proposals.empty:
        return pd.DataFrame(columns=["district", "area_in_m2", "reserved_m2", "reserved_share",
                                     "required_share", "shortfall_m2", "meets"])
    g = proposals.groupby("district", as_index=False).agg(
        area_in_m2=("area_in_m2", "sum"), reserved_m2=("small_firm_reserve_m2", "sum"))
    g["reserved_share"] = (g["reserved_m2"] / g["area_in_m2"]).where(g["area_in_m2"] > 0)
    g["required_share"] = share
    g["shortfall_m2"] = (share * g["area_in_m2"] - g["reserved_m2"]).clip(lower=0.0)
    g["meets"] = g["shortfall_m2"] <= 1e-6
    return g.sort_values("district", ignore_index=True)


# ---------------------------------------------------------------- replacement-land checks
@dataclass(frozen=True)
class Problem:
    """One failed check of the replacement land."""

    code: str
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}


def pieces(areas: BaseGeometry, max_gap_m: float) -> list[BaseGeometry]:
    """Groups of parts closer than ``max_gap_m`` to each other (single linkage)."""
    parts = [p for p in shapely.get_parts(areas).tolist() if not p.is_empty]
    if len(parts) <= 1:
        return parts
    tree = shapely.STRtree(parts)
    left, right = tree.query(parts, predicate="dwithin", distance=max_gap_m)
    label = np.arange(len(parts))
    changed = True
    while changed:  # union-find by label propagation; parts are few
        new = label.copy()
        np.minimum.at(new, left, label[right])
        np.minimum.at(new, right, label[left])
        changed = bool((new != label).any())
        label = new
    return [shapely.union_all([parts[i] for i in np.flatnonzero(label == k)])
            for k in np.unique(label)]


def check_replacement(areas_in: BaseGeometry, *, min_area_m2: float, max_gap_m: float,
                      constraints: gpd.GeoDataFrame | None = None,
                      industrial: gpd.GeoDataFrame | None = None) -> list[Problem]:
    """Checks of the replacement land (补划): contiguous (one polygon, or parts within
    ``max_gap_m``), at least ``min_area_m2``, clear of constraint layers (``constraints``:
    ``kind``, ``name``, geometry) and not already industrial (``industrial``: ``label``,
    geometry — control-line blocks, industrial parcels, replacement land already approved).
    An empty list means the land passes."""
    problems: list[Problem] = []
    if areas_in.is_empty:
        return problems
    groups = pieces(areas_in, max_gap_m)
    if len(groups) > 1:
        problems.append(Problem(
            "fragmented",
            f"补划用地不连片：分为 {len(groups)} 块，块间距离超过 {max_gap_m:g} 米",
            f"replacement land is fragmented: {len(groups)} pieces more than {max_gap_m:g} m "
            "apart"))
    area = float(areas_in.area)
    if area + EPS_M2 < min_area_m2:
        problems.append(Problem(
            "too_small", f"补划用地面积 {_fmt(area)} 小于下限 {_fmt(min_area_m2)}",
            f"replacement land of {_fmt_en(area)} is below the minimum {_fmt_en(min_area_m2)}"))
    for code, layer, what_zh, what_en in (
            ("constraint_overlap", constraints, "管控区", "constraint area"),
            ("already_industrial", industrial, "现状工业用地或控制线", "existing industrial land")):
        if layer is None or layer.empty:
            continue
        geoms = np.asarray(layer.geometry.values, dtype=object)
        hit = shapely.STRtree(geoms).query(areas_in, predicate="intersects")
        for i in sorted(hit.tolist()):
            ov = float(shapely.intersection(geoms[i], areas_in).area)
            if ov < OVERLAP_TOLERANCE_M2:
                continue
            row = layer.iloc[i]
            if code == "constraint_overlap":
                kind = str(row.get("kind", "other"))
                label_zh = f"{CONSTRAINT_LABELS.get(kind, kind)}「{row.get('name', '')}」"
                label_en = f"{kind} '{row.get('name', '')}'"
            else:
                label_zh = label_en = str(row.get("label", i))
            problems.append(Problem(
                code, f"补划用地与{what_zh} {label_zh} 重叠 {_fmt(ov)}",
                f"replacement land overlaps {what_en} {label_en} by {_fmt_en(ov)}"))
    return problems


def raise_if_problems(problems: Sequence[Problem], where: str) -> None:
    """One bilingual error listing every failed check."""
    if problems:
        raise ReplacementLandError(
            "补划用地未通过核查：" + "；".join(p.message_zh for p in problems),
            "replacement land fails its checks: " + "; ".join(p.message_en for p in problems),
            where=where, hint_zh="调整补划范围后重新提交",
            hint_en="redraw the areas in and propose again")


def out_outside_line(areas_out: BaseGeometry, blocks: gpd.GeoDataFrame) -> float:
    """Area (m²) of the areas out that is not inside any current control-line block."""
    if areas_out.is_empty:
        return 0.0
    inside = shapely.union_all(np.asarray(blocks.geometry.values, dtype=object)) \
        if len(blocks) else Polygon()
    return float(areas_out.difference(inside).area)


def foreign_areas(areas_out: BaseGeometry, areas_in: BaseGeometry, *, district: str,
                  boundary: BaseGeometry | None, blocks: gpd.GeoDataFrame,
                  tolerance_m2: float = OVERLAP_TOLERANCE_M2) -> list[Problem]:
    """Where an adjustment of ``district`` reaches into another district (decided by
    geometry, not by the ``district`` field): areas out overlapping a control-line block of
    another district (each block named), and areas out or in lying outside the district's
    own ``boundary`` (``None``: the store has no boundary for it; that part is skipped).
    Overlaps under ``tolerance_m2`` (digitising slivers) are ignored. ``blocks``:
    ``block_id``, ``district``, geometry in the same projected CRS.

    >>> from shapely.geometry import box
    >>> blocks = gpd.GeoDataFrame({"block_id": ["A", "B"], "district": ["330203", "330205"]},
    ...                           geometry=[box(0, 0, 100, 100), box(200, 0, 300, 100)])
    >>> [p.code for p in foreign_areas(box(200, 0, 240, 40), Polygon(), district="330203",
    ...                                boundary=box(-50, -50, 150, 150), blocks=blocks)]
    ['foreign_block', 'outside_district']
    >>> foreign_areas(box(0, 0, 40, 40), Polygon(), district="330203",
    ...               boundary=box(-50, -50, 150, 150), blocks=blocks)
    []
    """
    problems: list[Problem] = []
    if not areas_out.is_empty and len(blocks):
        other = blocks[blocks["district"].astype("string").fillna("") != district]
        hits = other[other.geometry.intersects(areas_out)]
        for bid, bdist, g in zip(hits["block_id"], hits["district"], hits.geometry,
                                 strict=True):
            area = float(g.intersection(areas_out).area)
            if area >= tolerance_m2:
                problems.append(Problem(
                    "foreign_block",
                    f"调出范围有 {_fmt(area)} 位于区县 {bdist} 的控制线区块 {bid}，"
                    f"区县 {district} 的调整方案不能调整它",
                    f"{_fmt_en(area)} of the areas out lie in control-line block {bid} of "
                    f"district {bdist}; an adjustment of district {district} cannot change it"))
    if boundary is not None and not boundary.is_empty:
        for direction, zh, g in (("out", "调出", areas_out), ("in", "补划", areas_in)):
            if g.is_empty:
                continue
            outside = float(g.difference(boundary).area)
            if outside >= tolerance_m2:
                problems.append(Problem(
                    "outside_district",
                    f"{zh}范围有 {_fmt(outside)} 不在区县 {district} 的行政区范围内",
                    f"{_fmt_en(outside)} of the areas {direction} lie outside district "
                    f"{district}"))
    return problems


# ---------------------------------------------------------------- balance arithmetic
@dataclass(frozen=True)
class Booking:
    """One ledger row: a district's area out, in, or a transfer (signed effect on balance)."""

    district: str
    kind: str  # out | in | transfer_in | transfer_out
    area_m2: float
    effect_m2: float
    counterparty: str | None = None


def plan_bookings(district: str, *, area_out_m2: float, area_in_m2: float, ratio: float,
                  balances: Mapping[str, float], transfer_from: str | None = None,
                  allow_transfer: bool = False, where: str | None = None) -> list[Booking]:
    """The ledger rows of one approval, or :class:`BalanceError` when the district's balance
    would go negative (and no allowed transfer covers the shortfall).

    >>> plan_bookings("330212", area_out_m2=1500.0, area_in_m2=0.0, ratio=1.0,
    ...               balances={"330212": 1000.0})
    Traceback (most recent call last):
    ...
    indspace.core.errors.BalanceError: [district 330212] 区县 330212 占补平衡不足...
    """
    rows: list[Booking] = []
    if area_out_m2 > 0:
        rows.append(Booking(district, "out", area_out_m2, -area_out_m2 * ratio))
    if area_in_m2 > 0:
        rows.append(Booking(district, "in", area_in_m2, area_in_m2))
    have = float(balances.get(district, 0.0))
    after = have + sum(r.effect_m2 for r in rows)
    if after >= -EPS_M2 or area_out_m2 * ratio <= area_in_m2 + EPS_M2:
        return rows
    shortfall = -after
    where = where or f"district {district}"
    head_zh = (f"区县 {district} 占补平衡不足：当前结余 {_fmt(have)}，本次调出 "
               f"{_fmt(area_out_m2)} × 比例 {ratio:g}、补划 {_fmt(area_in_m2)}，批准后结余将为 "
               f"{_fmt(after)}，缺口 {_fmt(shortfall)}")
    head_en = (f"district {district} lacks replacement balance: balance {_fmt_en(have)}, this "
               f"adjustment takes out {_fmt_en(area_out_m2)} × ratio {ratio:g} and adds "
               f"{_fmt_en(area_in_m2)}, leaving {_fmt_en(after)}; shortfall "
               f"{_fmt_en(shortfall)}")
    if transfer_from and not allow_transfer:
        raise BalanceError(head_zh + "；策略配置不允许跨区县调剂",
                           head_en + "; the policy profile does not allow inter-district "
                           "transfers", where=where,
                           hint_zh="补划更多用地", hint_en="designate more replacement land")
    if not transfer_from:
        raise BalanceError(head_zh, head_en, where=where,
                           hint_zh="补划更多用地" + ("，或指定 transfer_from 从其他区县调剂"
                                                     if allow_transfer else ""),
                           hint_en="designate more replacement land" + (
                               ", or name transfer_from to transfer balance from another "
                               "district" if allow_transfer else ""))
    if transfer_from == district:
        raise ValidationError("调剂来源不能是本区县", "a transfer cannot come from the same "
                              "district", where=where)
    donor = float(balances.get(transfer_from, 0.0))
    if donor + EPS_M2 < shortfall:
        raise BalanceError(
            head_zh + f"；调剂来源区县 {transfer_from} 结余仅 {_fmt(donor)}，仍缺 "
            f"{_fmt(shortfall - donor)}",
            head_en + f"; the donor district {transfer_from} has only {_fmt_en(donor)}, "
            f"still short by {_fmt_en(shortfall - donor)}", where=where,
            hint_zh="补划更多用地或更换调剂来源", hint_en="add replacement land or another donor")
    rows.append(Booking(transfer_from, "transfer_out", shortfall, -shortfall, district))
    rows.append(Booking(district, "transfer_in", shortfall, shortfall, transfer_from))
    return rows


LEDGER_COLUMNS = ["proposal_id", "district", "kind", "area_m2", "effect_m2", "counterparty",
                  "booked_at"]


def balances(ledger: pd.DataFrame, districts: Sequence[str] = ()) -> pd.DataFrame:
    """Balance by district from ledger rows (``district``, ``kind``, ``area_m2``,
    ``effect_m2``): areas out, obligation (out × ratio), in, transfers, balance (m², 亩).

    >>> led = pd.DataFrame({"district": ["A", "A", "B"], "kind": ["in", "out", "in"],
    ...                     "area_m2": [3000.0, 2000.0, 10.0],
    ...                     "effect_m2": [3000.0, -2000.0, 10.0]})
    >>> balances(led)[["district", "balance_m2", "balance_mu"]].to_dict("records")
    [{'district': 'A', 'balance_m2': 1000.0, 'balance_mu': 1.5}, {'district': 'B', \
'balance_m2': 10.0, 'balance_mu': 0.015}]
    """
    cols = ["district", "out_m2", "obligation_m2", "in_m2", "transfer_in_m2",
            "transfer_out_m2", "balance_m2"]
    names = sorted(set(ledger["district"]).union(districts)) if len(ledger) else \
        sorted(set(districts))
    out = pd.DataFrame({"district": names})
    for col, kind, value in (("out_m2", "out", "area_m2"), ("obligation_m2", "out", "effect_m2"),
                             ("in_m2", "in", "area_m2"),
                             ("transfer_in_m2", "transfer_in", "area_m2"),
                             ("transfer_out_m2", "transfer_out", "area_m2")):
        sel = ledger[ledger["kind"] == kind] if len(ledger) else ledger
        s = sel.groupby("district")[value].sum() if len(sel) else pd.Series(dtype=float)
        out[col] = out["district"].map(s).fillna(0.0).astype(float)
    out["obligation_m2"] = -out["obligation_m2"]
    s = ledger.groupby("district")["effect_m2"].sum() if len(ledger) else pd.Series(dtype=float)
    out["balance_m2"] = out["district"].map(s).fillna(0.0).astype(float)
    out = out[cols]
    for c in cols[1:]:
        out[c.replace("_m2", "_mu")] = m2_to_mu(out[c])
    return out


def timeline(ledger: pd.DataFrame) -> pd.DataFrame:
    """Ledger rows in booking order with each district's running balance after the row."""
    if ledger.empty:
        return ledger.assign(balance_m2=pd.Series(dtype=float),
                             balance_mu=pd.Series(dtype=float))
    t = ledger.sort_values(["booked_at", "fid"] if "fid" in ledger else ["booked_at"],
                           kind="stable", ignore_index=True)
    t["balance_m2"] = t.groupby("district")["effect_m2"].cumsum()
    t["area_mu"] = m2_to_mu(t["area_m2"])
    t["balance_mu"] = m2_to_mu(t["balance_m2"])
    return t


# ---------------------------------------------------------------- editing the line
@dataclass
class LineEdits:
    """How putting one adjustment in force edits the control-line layer."""

    changed: dict[str, MultiPolygon] = field(default_factory=dict)
    """block_id → new geometry (areas out subtracted, areas in merged)."""
    retired: list[str] = field(default_factory=list)
    """Blocks wholly taken out."""
    new: list[MultiPolygon] = field(default_factory=list)
    """Pieces of replacement land not adjacent to any block: new blocks."""


def plan_line_edits(blocks: gpd.GeoDataFrame, areas_out: BaseGeometry,
                    areas_in: BaseGeometry, *, district: str | None,
                    max_gap_m: float) -> LineEdits:
    """Subtract the areas out from the blocks they overlap; merge each piece of replacement
    land into the nearest adjacent block of the district (within ``max_gap_m``), else make
    it a new block. ``blocks``: current control_lines (``block_id``, ``district``, geometry)."""
    edits = LineEdits()
    geom: dict[str, BaseGeometry] = dict(zip(blocks["block_id"], blocks.geometry, strict=True))
    dist_of = dict(zip(blocks["block_id"], blocks["district"], strict=True))
    if not areas_out.is_empty:
        for bid, g in list(geom.items()):
            if g.intersects(areas_out) and g.intersection(areas_out).area >= EPS_M2:
                geom[bid] = g.difference(areas_out)
                edits.changed[bid] = geom[bid]
    for piece in pieces(areas_in, max_gap_m) if not areas_in.is_empty else []:
        near = [(g.distance(piece), bid) for bid, g in geom.items()
                if not g.is_empty and (district is None or dist_of[bid] == district)
                and g.distance(piece) <= max_gap_m]
        if near:
            bid = min(near)[1]
            # adjacent: one polygon; within the gap: the block gains a part (no bridging)
            geom[bid] = shapely.union_all([geom[bid], piece])
            edits.changed[bid] = geom[bid]
        else:
            edits.new.append(_multi(piece))
    for bid in list(edits.changed):
        g = edits.changed[bid]
        if g.is_empty or g.area < EPS_M2:
            del edits.changed[bid]
            edits.retired.append(bid)
        else:
            edits.changed[bid] = _multi(g)
    return edits


def _multi(g: BaseGeometry) -> MultiPolygon:
    parts = [p for p in shapely.get_parts(g).tolist() if p.geom_type == "Polygon"
             and p.area >= EPS_M2]
    return MultiPolygon(parts)
