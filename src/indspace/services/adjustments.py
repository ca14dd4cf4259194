"""Control-line adjustments (调整方案) and the 占补平衡 ledger for the web (issue #8): lists
narrowed to the caller's district, each proposal with an ETag, and the state transitions
guarded by ``If-Match`` so two officers acting on one proposal cannot overwrite each other.

Who acts: a district officer reviews its own district's proposals; approval (which books the
ledger) and putting the new line in force are the city administrator's.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, Literal

from pyproj.exceptions import CRSError
from shapely.errors import ShapelyError
from sqlalchemy.exc import IntegrityError

from indspace.core.access import Principal
from indspace.core.clock import local_day
from indspace.core.engines.ledger import parse_proposal
from indspace.core.errors import ConflictError, IndspaceError, ValidationError
from indspace.services import controlline_ledger as ledger_service
from indspace.services.etags import check_etag, etag_of
from indspace.services.output import json_value
from indspace.store import Store
from indspace.store import controlline as rows

ETAG_FIELDS = ("proposal_id", "state", "reviewed_at", "approved_at", "enforced_at")
Action = Literal["review", "approve", "enforce"]
WHO_ACTS: dict[str, tuple[str, ...]] = {"review": ("city_admin", "district_officer"),
                                        "approve": ("city_admin",),
                                        "enforce": ("city_admin",)}


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
    who.require_login()
    if who.role == "enterprise":
        who.require_role("city_admin", "district_officer", "auditor")
    frame = rows.list_proposals(store, state)
    frame = frame[who.mask(frame, credit_code=None)]
    return [_out(r) for r in frame.to_dict("records")]


def proposal(store: Store, pid: str, *, who: Principal) -> dict[str, Any]:
    row = rows.get_proposal(store, pid)
    who.require_see(row["district"], what=f"调整方案 {pid}")
    if who.role == "enterprise":
        who.require_role("city_admin", "district_officer", "auditor")
    return _out(row)


def propose(store: Store, data: dict[str, Any], *, who: Principal) -> dict[str, Any]:
    """File a draft adjustment (the same JSON / GeoJSON as ``indspace controlline propose``):
    a district officer for its own district, or a city administrator. Its replacement-land
    checks are recorded, not yet binding (they bind at review)."""
    who.require_role("city_admin", "district_officer")
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
        on: date | None = None) -> dict[str, Any]:
    """Move a proposal one state on (review / approve / enforce) if ``if_match`` is its
    current ETag."""
    who.require_role(*WHO_ACTS[action])
    current = rows.get_proposal(store, pid)
    who.require_edit(current["district"], what=f"调整方案 {pid}")
    check_etag(if_match, _out(current)["etag"], what=f"调整方案 {pid}")
    if action == "review":
        ledger_service.review(store, pid, actor=who.username)
    elif action == "approve":
        ledger_service.approve(store, pid, actor=who.username)
    else:
        ledger_service.enforce(store, pid, on=on or local_day(datetime.now(UTC), store.tz),
                               actor=who.username)
    return _out(rows.get_proposal(store, pid))


def ledger(store: Store, *, who: Principal, district: str | None = None,
           as_of: date | None = None) -> dict[str, Any]:
    """Balances and bookings (those made on or before the day ``as_of``, if given), a
    district officer's own district only."""
    who.require_login()
    if who.role == "enterprise":
        who.require_role("city_admin", "district_officer", "auditor")
    if who.role == "district_officer":
        who.require_see(district or who.district, what=f"区县 {district}")
        district = who.district
    report = ledger_service.ledger(store, district, as_of)
    return report.to_dict()
