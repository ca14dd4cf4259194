"""Control-line adjustments and the 占补平衡 ledger in the store (issue #7).

A proposal moves draft → reviewed → approved → in_force, forwards only. Approval books the
district's ledger rows in the same transaction that re-reads the balance, after taking a
per-district lock (PostGIS: ``pg_advisory_xact_lock``, districts in sorted order so that a
transfer never deadlocks; SQLite: ``BEGIN IMMEDIATE`` already serialises writers), so two
concurrent approvals cannot spend the same balance. Putting a proposal in force edits the
``control_lines`` layer through the store's history (``Store.update`` / ``Store.retire`` and
new blocks) in one transaction with the state change, so ``read_frame("control_lines",
as_of=…)`` shows the line before and after.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from indspace.core.clock import start_of_day
from indspace.core.engines.ledger import EPS_M2, STATE_LABELS, Booking, LineEdits, mu
from indspace.core.errors import (
    BalanceError,
    ConflictError,
    NotFoundError,
    ProposalStateError,
    StoreError,
)
from indspace.core.model.entities import ENTITIES, check_frame
from indspace.store.store import Store
from indspace.store.tables import GEOM

PROPOSALS = "controlline_proposals"
AREAS = "controlline_proposal_areas"
LEDGER = "controlline_ledger"
CONSTRAINTS = "constraint_areas"
STATE_ZH = STATE_LABELS
OPEN_STATES = ("draft", "reviewed")
"""States a proposal may be rejected or withdrawn from: before approval books the ledger."""


def _decode(store: Store, raw: Sequence[Any]) -> list[Any]:
    return list(store.decode_geoms(list(raw)))


def _spatial_frame(store: Store, conn: Connection, table: str, cols: list[str],
                   *where: sa.ColumnElement[bool]) -> gpd.GeoDataFrame:
    t = store.table(table)
    rows = conn.execute(sa.select(*[t.c[c] for c in cols], store._raw_geom(t)).where(*where)
                        .order_by(t.c.fid)).all()
    frame = pd.DataFrame([r[:-1] for r in rows], columns=cols)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(_decode(store, [r[-1] for r in rows]),
                                                          crs=store.srid))


# ---------------------------------------------------------------- constraint areas
def write_constraint_areas(store: Store, frame: gpd.GeoDataFrame, *, at: datetime,
                           actor: str, replace: bool = False) -> int:
    """Add (or, with ``replace``, replace all) constraint areas: ``area_id``, ``kind``,
    ``name``, polygon geometry in the store CRS."""
    t = store.table(CONSTRAINTS)
    rows = []
    for r in frame.itertuples(index=False):
        g = r.geometry
        rows.append({"area_id": str(r.area_id), "kind": str(r.kind),
                     "name": None if pd.isna(getattr(r, "name", None)) else str(r.name),
                     GEOM: g if g.geom_type == "MultiPolygon" else MultiPolygon([g])})
    try:
        with store._write() as conn:
            if replace:
                conn.execute(sa.delete(t))
            if rows:
                conn.execute(sa.insert(t), rows)
            store._audit(conn, at, actor, "replace" if replace else "insert", CONSTRAINTS,
                         "*", None, json.dumps({"rows": len(rows)}), "constraint areas")
            store.refresh_extents(conn, [CONSTRAINTS])
    except sa.exc.IntegrityError as e:
        raise StoreError("管控区编号重复，本次写入已撤销", "duplicate constraint area id; nothing "
                         "was written", where=CONSTRAINTS, hint_zh=str(e.orig)[:200],
                         hint_en="area_id must be unique (or pass replace)") from e
    return len(rows)


def read_constraint_areas(store: Store) -> gpd.GeoDataFrame:
    with store.engine.connect() as conn:
        return _spatial_frame(store, conn, CONSTRAINTS, ["area_id", "kind", "name"])


# ---------------------------------------------------------------- proposals
def insert_proposal(store: Store, row: dict[str, Any],
                    areas: Sequence[tuple[str, BaseGeometry]]) -> dict[str, Any]:
    """Store a new draft proposal and its areas (direction ``out``/``in``, one polygon per
    part); the id is ``CL-<year>-<n>`` unless ``row`` names one."""
    p, a = store.table(PROPOSALS), store.table(AREAS)
    at = row["created_at"]
    with store._write() as conn:
        store.xact_lock(conn, "controlline:ids")
        pid = row.get("proposal_id")
        if not pid:
            pid = _next_id(conn, p, f"CL-{at.year}-")
        elif conn.execute(sa.select(p.c.fid).where(p.c.proposal_id == pid)).first():
            raise ConflictError(f"调整方案 {pid} 已存在", f"proposal {pid} already exists",
                                where="proposal_id", hint_zh="换一个编号或不填编号（由系统生成）",
                                hint_en="use another id or leave it empty to get one")
        full = {**row, "proposal_id": pid, "state": "draft"}
        conn.execute(sa.insert(p).values(**full))
        parts: dict[str, int] = {}
        for direction, g in areas:
            parts[direction] = parts.get(direction, 0) + 1
            conn.execute(sa.insert(a).values(
                proposal_id=pid, direction=direction, part=parts[direction],
                area_m2=float(g.area), **{GEOM: g if g.geom_type == "MultiPolygon"
                                          else MultiPolygon([g])}))
        if areas:
            store.refresh_extents(conn, [AREAS])
        store._audit(conn, at, row["created_by"], "propose", PROPOSALS, pid, None,
                     json.dumps({k: v for k, v in full.items() if k != "created_at"},
                                ensure_ascii=False, sort_keys=True, default=str), row["reason"])
    return full


def _next_id(conn: Connection, p: sa.Table, prefix: str) -> str:
    """``<prefix>NNNN``: one past the highest number under ``prefix`` (a chosen id such as
    ``CL-2026-0001`` is skipped over, never collided with), read under the writer's lock."""
    taken = conn.execute(sa.select(p.c.proposal_id).where(
        p.c.proposal_id.like(prefix + "%"))).scalars().all()
    numbers = [int(t[len(prefix):]) for t in taken if t[len(prefix):].isdigit()
               and len(t) - len(prefix) <= 9]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def get_proposal(store: Store, pid: str) -> dict[str, Any]:
    p = store.table(PROPOSALS)
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(p).where(p.c.proposal_id == pid)).mappings().first()
    if row is None:
        raise _not_found(pid)
    return dict(row)


def _not_found(pid: str) -> NotFoundError:
    return NotFoundError(f"控制线调整方案 {pid} 不存在", f"control-line proposal {pid} not found",
                         where=PROPOSALS, hint_zh="用 indspace controlline proposals 查看",
                         hint_en="list them with `indspace controlline proposals`")


def list_proposals(store: Store, state: str | None = None) -> pd.DataFrame:
    p = store.table(PROPOSALS)
    q = sa.select(p).order_by(p.c.fid)
    if state is not None:
        q = q.where(p.c.state == state)
    with store.engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in p.columns])


def proposal_areas(store: Store, pid: str | None = None, *,
                   states: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """Areas of one proposal (or of all proposals in ``states``): ``proposal_id``,
    ``direction``, ``part``, ``area_m2``, geometry."""
    a, p = store.table(AREAS), store.table(PROPOSALS)
    conds: list[sa.ColumnElement[bool]] = []
    if pid is not None:
        conds.append(a.c.proposal_id == pid)
    if states is not None:
        conds.append(a.c.proposal_id.in_(sa.select(p.c.proposal_id)
                                         .where(p.c.state.in_(list(states)))))
    with store.engine.connect() as conn:
        return _spatial_frame(store, conn, AREAS, ["proposal_id", "direction", "part",
                                                   "area_m2"], *conds)


def _locked(store: Store, conn: Connection, pid: str) -> dict[str, Any]:
    p = store.table(PROPOSALS)
    q = store.for_update(sa.select(p).where(p.c.proposal_id == pid))
    row = conn.execute(q).mappings().first()
    if row is None:
        raise _not_found(pid)
    return dict(row)


def _expect(row: dict[str, Any], state: str, action_zh: str, action_en: str) -> None:
    if row["state"] == state:
        return
    pid, now = row["proposal_id"], row["state"]
    need = {"reviewed": ("须先审查（review）", "it must be reviewed first"),
            "approved": ("须先批准（approve）", "it must be approved first"),
            "draft": ("只有草稿可以审查", "only a draft can be reviewed")}[state]
    raise ProposalStateError(
        f"调整方案 {pid} 当前状态为{STATE_ZH.get(now, now)}（{now}），不能{action_zh}：{need[0]}"
        if now != "in_force" or state != "approved" else
        f"调整方案 {pid} 已生效，不能重复{action_zh}",
        f"proposal {pid} is {now}; cannot {action_en}: {need[1]}"
        if now != "in_force" or state != "approved" else
        f"proposal {pid} is already in force; cannot {action_en} it again",
        where=pid, hint_zh="状态顺序：草稿 → 已审查 → 已批准 → 已生效",
        hint_en="states: draft → reviewed → approved → in_force")


def review(store: Store, pid: str, *, at: datetime, actor: str,
           checks_json: str | None = None) -> dict[str, Any]:
    """draft → reviewed."""
    p = store.table(PROPOSALS)
    with store._write() as conn:
        row = _locked(store, conn, pid)
        _expect(row, "draft", "审查", "review it")
        conn.execute(sa.update(p).where(p.c.proposal_id == pid).values(
            state="reviewed", reviewed_at=at, reviewed_by=actor, checks_json=checks_json))
        store._audit(conn, at, actor, "review", PROPOSALS, pid, json.dumps({"state": "draft"}),
                     json.dumps({"state": "reviewed"}), "")
    return get_proposal(store, pid)


def close(store: Store, pid: str, state: str, *, at: datetime, actor: str,
          note: str) -> dict[str, Any]:
    """draft | reviewed → ``rejected`` (a reviewer says no) or ``withdrawn`` (the proposer
    takes it back): final states; the proposal and its areas stay, with who closed it, when
    and why, and the transition in the audit log. Nothing was booked before approval, so
    the ledger is untouched."""
    if state not in ("rejected", "withdrawn"):
        raise ValueError(state)
    p = store.table(PROPOSALS)
    zh, en = ("驳回", "reject it") if state == "rejected" else ("撤回", "withdraw it")
    with store._write() as conn:
        row = _locked(store, conn, pid)
        if row["state"] not in OPEN_STATES:
            now = row["state"]
            raise ProposalStateError(
                f"调整方案 {pid} 当前状态为{STATE_ZH.get(now, now)}（{now}），不能{zh}："
                "只有草稿或已审查的方案可以驳回或撤回",
                f"proposal {pid} is {now}; cannot {en}: only a draft or reviewed proposal "
                "can be rejected or withdrawn", where=pid,
                hint_zh="已批准的方案已记入占补平衡台账，须另提调整方案",
                hint_en="an approved proposal has booked the ledger; file another adjustment")
        conn.execute(sa.update(p).where(p.c.proposal_id == pid).values(
            state=state, closed_at=at, closed_by=actor, close_note=note))
        store._audit(conn, at, actor, "reject" if state == "rejected" else "withdraw",
                     PROPOSALS, pid, json.dumps({"state": row["state"]}),
                     json.dumps({"state": state}), note)
    return get_proposal(store, pid)


def _balances(store: Store, conn: Connection, districts: Sequence[str]) -> dict[str, float]:
    t = store.table(LEDGER)
    rows = conn.execute(sa.select(t.c.district, sa.func.sum(t.c.effect_m2))
                        .where(t.c.district.in_(list(districts))).group_by(t.c.district)).all()
    return {d: float(v or 0.0) for d, v in rows}


def approve(store: Store, pid: str, *, at: datetime, actor: str, ratio: float,
            profile_id: str, profile_hash: str,
            plan: Callable[[dict[str, Any], Mapping[str, float]], list[Booking]]
            ) -> dict[str, Any]:
    """reviewed → approved, booking the ledger rows that ``plan`` (pure: the proposal row and
    the balances read under the district locks → bookings, or an error) returns."""
    p, led = store.table(PROPOSALS), store.table(LEDGER)
    with store._write() as conn:
        row = _locked(store, conn, pid)
        _expect(row, "reviewed", "批准", "approve it")
        districts = sorted({row["district"], *([row["transfer_from"]]
                                               if row["transfer_from"] else [])})
        for d in districts:  # sorted: two transfers in opposite directions cannot deadlock
            store.xact_lock(conn, f"controlline:balance:{d}")
        before = _balances(store, conn, districts)
        bookings = plan(row, before)
        after = dict(before)
        for b in bookings:
            after[b.district] = after.get(b.district, 0.0) + b.effect_m2
        negative = {d: v for d, v in after.items() if v < -EPS_M2 and v < before.get(d, 0.0)}
        if negative:  # defensive: the plan must never leave a district below zero
            d, v = next(iter(negative.items()))
            raise BalanceError(f"区县 {d} 占补平衡结余将为负（{v:,.2f} m²）",
                               f"district {d} balance would become negative ({v:,.2f} m²)",
                               where=pid)
        if bookings:
            conn.execute(sa.insert(led), [
                {"proposal_id": pid, "district": b.district, "kind": b.kind,
                 "area_m2": b.area_m2, "area_mu": mu(b.area_m2), "ratio": ratio,
                 "effect_m2": b.effect_m2, "counterparty": b.counterparty, "booked_at": at,
                 "actor": actor} for b in bookings])
        conn.execute(sa.update(p).where(p.c.proposal_id == pid).values(
            state="approved", approved_at=at, approved_by=actor, profile_id=profile_id,
            profile_hash=profile_hash))
        store._audit(conn, at, actor, "approve", PROPOSALS, pid,
                     json.dumps({"state": "reviewed", "balances": before}, sort_keys=True),
                     json.dumps({"state": "approved", "balances": after}, sort_keys=True), "")
    return get_proposal(store, pid)


def enforce(store: Store, pid: str, *, at: datetime, on: date, actor: str,
            plan: Callable[[dict[str, Any], gpd.GeoDataFrame], LineEdits],
            new_blocks: Callable[[dict[str, Any], list[MultiPolygon]], gpd.GeoDataFrame]
            ) -> dict[str, Any]:
    """approved → in_force: edit ``control_lines`` (history kept) in the same transaction,
    recorded at ``at``, taking effect on the day ``on`` (``enforced_at``: the start of that
    day in the store's time zone).

    ``plan`` gets the proposal row and the current blocks (read inside the transaction) and
    returns the edits; ``new_blocks`` turns the new pieces into control_lines records."""
    p = store.table(PROPOSALS)
    entity = ENTITIES["control_lines"]
    with store._write() as conn:
        store.xact_lock(conn, "controlline:lines")  # one line edit at a time: read, then write
        row = _locked(store, conn, pid)
        _expect(row, "approved", "生效", "put it in force")
        cur = store.table("control_lines")
        blocks = store._fetch_frame(conn, entity, sa.select(
            cur.c.block_id, cur.c.district, store._raw_geom(cur)), ["block_id", "district"],
            True)
        edits = plan(row, blocks)
        reason = f"控制线调整 {pid}：{row['reason']}"
        for bid, g in edits.changed.items():
            store.update("control_lines", bid, {"geometry": g}, at=at, actor=actor,
                         reason=reason, conn=conn, effective_on=on)
        for bid in edits.retired:
            store.retire("control_lines", bid, at=at, actor=actor, reason=reason, conn=conn,
                         effective_on=on)
        added = new_blocks(row, edits.new)
        if len(added):
            check_frame(entity, added, source=pid)
            store._insert(conn, entity, added, at)
            store._audit(conn, at, actor, "insert", "control_lines",
                         ",".join(added["block_id"]), None, None, reason)
        store.refresh_extents(conn, ["control_lines"])
        summary = {"changed": sorted(edits.changed), "retired": edits.retired,
                   "added": list(added["block_id"]) if len(added) else []}
        conn.execute(sa.update(p).where(p.c.proposal_id == pid).values(
            state="in_force", enforced_at=start_of_day(on, store.tz), enforced_by=actor,
            edits_json=json.dumps(summary, ensure_ascii=False, sort_keys=True)))
        # the entry is written now; its effective time is the first instant of the day ``on``
        store._audit(conn, start_of_day(on, store.tz), actor, "enforce", PROPOSALS, pid,
                     json.dumps({"state": "approved"}),
                     json.dumps({"state": "in_force", **summary}, sort_keys=True), row["reason"])
    return get_proposal(store, pid)


# ---------------------------------------------------------------- ledger
def read_ledger(store: Store, district: str | None = None,
                before: datetime | None = None) -> pd.DataFrame:
    """Ledger rows in booking order (optionally one district, booked before ``before``)."""
    t = store.table(LEDGER)
    q = sa.select(t).order_by(t.c.booked_at, t.c.fid)
    if district is not None:
        q = q.where(t.c.district == district)
    if before is not None:
        q = q.where(t.c.booked_at < before)
    with store.engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in t.columns])
