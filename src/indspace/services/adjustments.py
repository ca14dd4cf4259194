"""Control-line adjustments (调整方案) and the 占补平衡 ledger for the web (issue #8): lists
narrowed to the caller's district, each proposal with an ETag, and the state transitions
guarded by ``If-Match`` so two officers acting on one proposal cannot overwrite each other.

Who acts: a district officer reviews its own district's proposals; approval (which books the
ledger) and putting the new line in force are the city administrator's.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Literal

from pyproj.exceptions import CRSError
from shapely.errors import ShapelyError
from sqlalchemy.exc import IntegrityError

from indspace.core.access import Principal
from indspace.core.clock import today
from indspace.core.engines.ledger import mu, parse_proposal
from indspace.core.errors import ConflictError, ForbiddenError, IndspaceError, ValidationError
from indspace.services import controlline_ledger as ledger_service
from indspace.services.etags import check_etag, etag_of
from indspace.services.output import json_value
from indspace.store import Store
from indspace.store import controlline as rows

ETAG_FIELDS = ("proposal_id", "state", "reviewed_at", "approved_at", "enforced_at",
               "closed_at")
Action = Literal["review", "approve", "enforce", "reject", "withdraw"]
WHO_ACTS: dict[str, tuple[str, ...]] = {"review": ("city_admin", "district_officer"),
                                        "approve": ("city_admin",),
                                        "enforce": ("city_admin",),
                                        "reject": ("city_admin", "district_officer"),
                                        "withdraw": ("city_admin", "district_officer")}


def require_line_reader(who: Principal) -> Principal:
    """Proposals and the ledger are for city administrators, district officers (their
    district) and auditors, not enterprise users; returns ``who`` (the API asks it before
    judging the request's values)."""
    who.require_role("city_admin", "district_officer", "auditor")
    return who


def require_actor(who: Principal, action: str) -> Principal:
    """The roles that may take ``action`` on a proposal (:data:`WHO_ACTS`; an unknown
    action: any of them, so the caller is judged before the action's name); returns
    ``who``."""
    roles = WHO_ACTS.get(action) or tuple(sorted({r for v in WHO_ACTS.values() for r in v}))
    who.require_role(*roles)
    return who


def _out(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: json_value(v) for k, v in row.items() if k != "fid"}
    for k in ("documents_json", "checks_json"):
        if k in out:
            raw = out.pop(k)
            out[k.removesuffix("_json")] = json.loads(raw) if raw else None
    out["etag"] = etag_of(out, ETAG_FIELDS)
    return out


def proposals(store: Store, *, who: Principal, state: str | None = None
              ) -> list[dict[str, Any]]:
    require_line_reader(who)
    frame = rows.list_proposals(store, state)
    frame = frame[who.mask(frame, credit_code=None)]
    return [_out(r) for r in frame.to_dict("records")]


def proposal(store: Store, pid: str, *, who: Principal) -> dict[str, Any]:
    row = rows.get_proposal(store, pid)
    who.require_see(row["district"], what=f"调整方案 {pid}")
    if who.role == "enterprise":
        who.require_role("city_admin", "district_officer", "auditor")
    return _out(row)


def require_proposer(who: Principal) -> Principal:
    """Filing a proposal is for city administrators and district officers (their own
    district, checked on the proposal); returns ``who``."""
    who.require_role("city_admin", "district_officer")
    return who


def propose(store: Store, data: dict[str, Any], *, who: Principal) -> dict[str, Any]:
    """File a draft adjustment (the same JSON / GeoJSON as ``indspace controlline propose``):
    a district officer for its own district, or a city administrator. Its replacement-land
    checks are recorded, not yet binding (they bind at review)."""
    require_proposer(who)
    try:
        spec = parse_proposal(data)
        who.require_edit(spec.district, what=f"区县 {spec.district}")
        row = ledger_service.propose(store, data, actor=who.username)
    except IntegrityError as e:   # two filings racing for one chosen id
        raise ConflictError("调整方案编号已存在", "a proposal with this id exists",
                            where="proposal_id") from e
    except (ShapelyError, CRSError, TypeError, ValueError) as e:   # malformed web input
        if isinstance(e, IndspaceError):
            raise
        raise ValidationError(f"调整方案无法解析：{e}", f"cannot read the proposal: {e}",
                              where="proposal", hint_zh="见 docs/controlline.md 的格式",
                              hint_en="see the format in docs/controlline.md") from e
    problems = row.pop("problems", [])
    return {**_out(row), "problems": problems}


def act(store: Store, pid: str, action: Action, *, who: Principal, if_match: str,
        on: date | None = None, note: str = "") -> dict[str, Any]:
    """Move a proposal one state on (review / approve / enforce), or close it (reject: a
    reviewer; withdraw: its proposer or a city administrator) if ``if_match`` is its
    current ETag."""
    require_actor(who, action)
    current = rows.get_proposal(store, pid)
    who.require_edit(current["district"], what=f"调整方案 {pid}")
    check_etag(if_match, _out(current)["etag"], what=f"调整方案 {pid}")
    if action == "withdraw" and who.role != "city_admin" \
            and current["created_by"] != who.username:
        raise ForbiddenError(f"只有提交人 {current['created_by']} 或市级管理员可以撤回"
                             f"调整方案 {pid}",
                             f"only its proposer {current['created_by']} or a city "
                             f"administrator may withdraw proposal {pid}", where=pid)
    if action in ("reject", "withdraw"):
        close = ledger_service.reject if action == "reject" else ledger_service.withdraw
        close(store, pid, actor=who.username, note=note)
    elif action == "review":
        ledger_service.review(store, pid, actor=who.username)
    elif action == "approve":
        ledger_service.approve(store, pid, actor=who.username)
    else:
        ledger_service.enforce(store, pid, on=on or today(store.tz),
                               actor=who.username)
    return _out(rows.get_proposal(store, pid))


def ledger(store: Store, *, who: Principal, district: str | None = None,
           as_of: date | None = None) -> dict[str, Any]:
    """Balances and bookings (those made on or before the day ``as_of``, if given), a
    district officer's own district only."""
    require_line_reader(who)
    if who.role == "district_officer":
        who.require_see(district or who.district, what=f"区县 {district}")
        district = who.district
    report = ledger_service.ledger(store, district, as_of)
    return report.to_dict()


def proposal_map(store: Store, pid: str, *, who: Principal) -> dict[str, Any]:
    """A proposal's areas out (调出) and in (补划) as GeoJSON in EPSG:4326 for the map, with
    its 占补平衡 effect (m² and 亩; 1 亩 = 2000/3 m²): ``area_out``, ``area_in``,
    ``obligation`` = out × ``replacement_ratio`` (甬政办发〔2025〕1号, the profile's value on
    the day), ``effect`` = in − obligation, the district's ``balance`` now and
    ``balance_after`` approval (for a proposal already approved or in force its bookings
    are in the balance: ``balance_after`` = ``balance``; a rejected or withdrawn one books
    nothing)."""
    row = proposal(store, pid, who=who)
    areas = rows.proposal_areas(store, pid)
    if len(areas):
        areas = areas.to_crs(4326)
    features = json.loads(areas.to_json(drop_id=True)) if len(areas) else {
        "type": "FeatureCollection", "features": []}
    day = today(store.tz)
    prm = ledger_service.Params.of(ledger_service.resolve_profile(
        ledger_service.DEFAULT_PROFILE), day)
    out_m2, in_m2 = float(row["area_out_m2"]), float(row["area_in_m2"])
    obligation = out_m2 * prm.ratio
    balance = float(ledger_service.ledger(store, row["district"]).balances["balance_m2"].sum())
    pending = row["state"] in rows.OPEN_STATES
    after = balance + in_m2 - obligation if pending else balance
    effect = {"ratio": prm.ratio, "booked": row["state"] in ("approved", "in_force")}
    for k, v in (("area_out", out_m2), ("area_in", in_m2), ("obligation", obligation),
                 ("effect", in_m2 - obligation), ("balance", balance),
                 ("balance_after", after)):
        effect[f"{k}_m2"] = round(v, 2)
        effect[f"{k}_mu"] = round(mu(v), 4)
    if areas is not None and len(areas):
        minx, miny, maxx, maxy = areas.total_bounds
        features["bbox"] = [float(minx), float(miny), float(maxx), float(maxy)]
    return {"proposal": row, "areas": features, "effect": effect}
