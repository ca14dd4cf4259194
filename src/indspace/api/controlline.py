"""工业区块控制线 routes: adjustment proposals (with ETags) and the 占补平衡 ledger."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Request, Response
from pydantic import BaseModel, Field

from indspace.api import links as ln
from indspace.api.deps import (
    LOGIN,
    PublicLayers,
    StoreDep,
    Who,
    allowed,
    gate,
    layer_reader,
    with_etag,
)
from indspace.core.access import Principal
from indspace.services import adjustments
from indspace.services.controlline import overlay_summary, parcel_overlay
from indspace.services.ogc import parse_instant
from indspace.services.scope import require_layer

AsOf = Annotated[date | None, Query(description="有效日期（部署时区）：取该日生效的控制线 / "
                                                "valid day (deployment time zone): the line "
                                                "in force on that day; default today")]
RecordedAt = Annotated[str | None, Query(
    description="记录时间（日期或 RFC 3339 时刻）：库在该时刻所知 / recorded time (a day: its "
                "end; or an RFC 3339 instant): what the store knew then; default now")]


class Enforce(BaseModel):
    on: date | None = Field(None, description="生效日（enforce）/ the day it takes effect")
    note: str = Field("", max_length=2000,
                      description="驳回或撤回理由（reject / withdraw）/ why it is rejected or "
                                  "withdrawn")


def _may_act(request: Request, who: Principal) -> None:
    """The roles that may take the path's action (before the action's name and the body
    are judged)."""
    adjustments.require_actor(who, str(request.path_params.get("action", "")))


ACTOR = gate(_may_act)


def router() -> APIRouter:
    # The overlay is for whoever may read the parcels and control_lines layers (public by
    # default); proposals and the ledger for the roles of adjustments.require_line_reader
    # (filing and acting: the narrower roles of each). All checked before the request's
    # values are judged.
    r = APIRouter(prefix="/api/controlline", tags=["controlline 控制线"])
    private = APIRouter(dependencies=[LOGIN, allowed(adjustments.require_line_reader)])

    @private.get("/proposals")
    def proposals(store: StoreDep, who: Who,
                  state: Literal["draft", "reviewed", "approved", "in_force", "rejected",
                                 "withdrawn"] | None = None
                  ) -> list[dict[str, Any]]:
        """控制线调整方案 / adjustment proposals within the caller's district."""
        return adjustments.proposals(store, who=who, state=state)

    @private.post("/proposals", status_code=201, dependencies=[
        allowed(adjustments.require_proposer)], openapi_extra=ln.links(
        201,
        GetProposal=(ln.PROPOSAL, {"proposal_id": "$response.body#/proposal_id"}),
        ReviewProposal=(ln.PROPOSAL_ACT, {"proposal_id": "$response.body#/proposal_id",
                                          "action": "review",
                                          "header.If-Match": "$response.header.ETag"})))
    def propose(body: Annotated[dict[str, Any], Body(
            description="调整方案（JSON：district、reason、documents、out、in 为 WKT 或 GeoJSON；"
                        "或带 direction 的 GeoJSON 要素集合）/ the proposal, as for "
                        "`indspace controlline propose`")],
            store: StoreDep, who: Who, response: Response) -> dict[str, Any]:
        """提交控制线调整方案（区县工作人员限本区县）/ file a draft adjustment (district
        officers for their own district)."""
        return with_etag(response, adjustments.propose(store, body, who=who))

    @private.get("/proposals/{proposal_id}", openapi_extra=ln.links(
        200, ActOnProposal=(ln.PROPOSAL_ACT, {"proposal_id": "$response.body#/proposal_id",
                                              "header.If-Match": "$response.header.ETag"})))
    def proposal(proposal_id: str, store: StoreDep, who: Who,
                 response: Response) -> dict[str, Any]:
        """一个调整方案（ETag）/ one proposal with its ETag."""
        return with_etag(response, adjustments.proposal(store, proposal_id, who=who))

    @private.post("/proposals/{proposal_id}/{action}", dependencies=[ACTOR],
                  openapi_extra=ln.links(
        200, NextAction=(ln.PROPOSAL_ACT, {"proposal_id": "$response.body#/proposal_id",
                                           "header.If-Match": "$response.header.ETag"})))
    def act(proposal_id: str,
            action: Literal["review", "approve", "enforce", "reject", "withdraw"],
            store: StoreDep, who: Who, response: Response,
            if_match: Annotated[str | None, Header()] = None,
            body: Enforce | None = None) -> dict[str, Any]:
        """审核 / 批准（记入占补平衡台账）/ 生效 / 驳回 / 撤回（草稿或已审查的方案）；须带
        If-Match / review, approve (books the ledger), put in force, reject or withdraw (a
        draft or reviewed proposal); If-Match required."""
        return with_etag(response, adjustments.act(
            store, proposal_id, action, who=who, if_match=if_match or "",
            on=body.on if body else None, note=body.note if body else ""))

    @private.get("/proposals/{proposal_id}/map")
    def proposal_map(proposal_id: str, store: StoreDep, who: Who) -> dict[str, Any]:
        """调整方案的调出 / 补划范围（GeoJSON，EPSG:4326）与占补平衡影响 / a proposal's areas
        out and in (GeoJSON, EPSG:4326) and its effect on the district's ledger balance."""
        return adjustments.proposal_map(store, proposal_id, who=who)

    @private.get("/ledger")
    def ledger(store: StoreDep, who: Who, district: str | None = None,
               as_of: AsOf = None) -> dict[str, Any]:
        """占补平衡台账（截至某日）/ the equal-area replacement ledger: balances and
        bookings (made on or before ``as_of``)."""
        return adjustments.ledger(store, who=who, district=district, as_of=as_of)

    @r.get("/overlay", dependencies=[layer_reader("parcels", "control_lines")])
    def overlay(store: StoreDep, who: Who, layers: PublicLayers, as_of: AsOf = None,
                recorded_at: RecordedAt = None) -> dict[str, Any]:
        """宗地与控制线叠加汇总（按区县）/ parcels inside, partly inside or outside the line
        in force on ``as_of`` as recorded at ``recorded_at``, counted by district."""
        for layer in ("parcels", "control_lines"):
            require_layer(who, layer, layers)
        known = parse_instant(recorded_at, store.tz)
        result = parcel_overlay(store, as_of=as_of, recorded_at=known)
        counts = result["status"].value_counts().reindex(["inside", "partial", "outside"],
                                                         fill_value=0)
        return {"parcels": len(result), "as_of": as_of.isoformat() if as_of else None,
                "recorded_at": known.isoformat() if known else None,
                "status": {k: int(v) for k, v in counts.items()},
                "blocks": sorted(result["block_id"].dropna().unique().tolist()),
                "districts": json.loads(overlay_summary(result).to_json(orient="records"))}

    r.include_router(private)
    return r
