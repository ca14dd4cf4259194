"""工业区块控制线 routes: adjustment proposals (with ETags) and the 占补平衡 ledger."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Response
from pydantic import BaseModel

from indspace.api import links as ln
from indspace.api.deps import StoreDep, Who, with_etag
from indspace.services import adjustments


class Enforce(BaseModel):
    on: date | None = None


def router() -> APIRouter:
    r = APIRouter(prefix="/api/controlline", tags=["controlline 控制线"])

    @r.get("/proposals")
    def proposals(store: StoreDep, who: Who,
                  state: Literal["draft", "reviewed", "approved", "in_force"] | None = None
                  ) -> list[dict[str, Any]]:
        """控制线调整方案 / adjustment proposals within the caller's district."""
        return adjustments.proposals(store, who=who, state=state)

    @r.post("/proposals", status_code=201, openapi_extra=ln.links(
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

    @r.get("/proposals/{proposal_id}", openapi_extra=ln.links(
        200, ActOnProposal=(ln.PROPOSAL_ACT, {"proposal_id": "$response.body#/proposal_id",
                                              "header.If-Match": "$response.header.ETag"})))
    def proposal(proposal_id: str, store: StoreDep, who: Who,
                 response: Response) -> dict[str, Any]:
        """一个调整方案（ETag）/ one proposal with its ETag."""
        return with_etag(response, adjustments.proposal(store, proposal_id, who=who))

    @r.post("/proposals/{proposal_id}/{action}", openapi_extra=ln.links(
        200, NextAction=(ln.PROPOSAL_ACT, {"proposal_id": "$response.body#/proposal_id",
                                           "header.If-Match": "$response.header.ETag"})))
    def act(proposal_id: str, action: Literal["review", "approve", "enforce"],
            store: StoreDep, who: Who, response: Response,
            if_match: Annotated[str | None, Header()] = None,
            body: Enforce | None = None) -> dict[str, Any]:
        """审核 / 批准（记入占补平衡台账）/ 生效；须带 If-Match / review, approve (books the
        ledger) or put in force; If-Match required."""
        return with_etag(response, adjustments.act(
            store, proposal_id, action, who=who, if_match=if_match or "",
            on=body.on if body else None))

    @r.get("/ledger")
    def ledger(store: StoreDep, who: Who, district: str | None = None) -> dict[str, Any]:
        """占补平衡台账 / the equal-area replacement ledger: balances and bookings."""
        return adjustments.ledger(store, who=who, district=district)

    return r
