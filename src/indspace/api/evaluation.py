"""亩均评价 routes: runs, results, explanations, zones, publication and objections."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field

from indspace.api import links as ln
from indspace.api.deps import LOGIN, Limit, Offset, StoreDep, Who, Year, allowed, with_etag
from indspace.core.access import Principal
from indspace.core.errors import ValidationError
from indspace.services import evaluation as ev
from indspace.services import objection_preview, run_compare
from indspace.services.jobs import Jobs
from indspace.settings import deployment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PROFILE = deployment().default_profile   # the deployment context, read at the edge


class ObjectionIn(BaseModel):
    credit_code: str = Field(min_length=1, max_length=64, description="统一社会信用代码")
    field: str = Field(min_length=1, max_length=64,
                       description=f"异议字段 / figure: {', '.join(ev.OBJECTION_FIELDS)}")
    claimed_value: float = Field(allow_inf_nan=False, description="企业主张的数值")
    reason: str = Field(min_length=1, max_length=2000, description="理由 / reason")


class EvaluationIn(BaseModel):
    year: int = Field(ge=1990, le=2100, description="评价年度 / year")
    profile: str = Field(_PROFILE, min_length=1, max_length=64,
                         description="内置策略配置 / bundled policy profile id")
    method_date: date | None = Field(
        None, description="评价办法适用日期（默认今日）/ the day whose method and values "
                          "apply (default: today in the deployment's time zone)")


class Resolution(BaseModel):
    accept: bool = Field(description="true 采纳并重算 / accept and recompute")
    note: str = Field("", max_length=2000)


def router() -> APIRouter:
    r = APIRouter(prefix="/api", tags=["evaluation 亩均评价"], dependencies=[LOGIN])

    @r.get("/evaluation/runs", openapi_extra=ln.links(
        200, GetRun=(ln.RUN, {"run_id": "$response.body#/0/run_id"}),
        RunResults=(ln.RUN_RESULTS, {"run_id": "$response.body#/0/run_id"}),
        FileObjection=(ln.FILE_OBJECTION, {"run_id": "$response.body#/0/run_id"})))
    def runs(store: StoreDep, who: Who,
             year: Annotated[int | None, Query(ge=1990, le=2100)] = None) -> list[dict[str, Any]]:
        """亩均评价批次 / evaluation runs (immutable, versioned), with class counts."""
        return ev.runs_list(store, year, who=who)

    @r.post("/evaluation/runs", status_code=202, openapi_extra=ln.to_job(),
            dependencies=[allowed(ev.require_evaluator)])
    def evaluate(body: EvaluationIn, store: StoreDep, who: Who, request: Request
                 ) -> dict[str, Any]:
        """计算亩均评价（市级管理员；后台任务，202，轮询 GET /api/jobs/{id}）/ compute a run
        (city admin) as a background job: 202 with the job; its result is the run summary."""
        work = ev.start_evaluation(store, body.year, _bundled(body.profile), who=who,
                                   method_on=body.method_date)
        jobs: Jobs = request.app.state.jobs
        return jobs.submit("evaluation", who, lambda progress: work())

    @r.get("/evaluation/runs/{run_id}")
    def run(run_id: str, store: StoreDep, who: Who) -> dict[str, Any]:
        """一个评价批次 / one run: profile and inputs hashes, state, objection window."""
        return ev.run_detail(store, run_id, who=who)

    @r.get("/evaluation/runs/{run_id}/results")
    def results(run_id: str, store: StoreDep, who: Who, limit: Limit = 100,
                offset: Offset = 0, grade: str | None = None, group: str | None = None,
                status: str | None = None, district: str | None = None,
                order: Literal["credit_code", "rank"] = "credit_code") -> dict[str, Any]:
        """评价结果分页 / a page of a run's results, narrowed to the caller's scope."""
        return ev.run_results_page(store, run_id, limit=limit, offset=offset, grade=grade,
                                   group=group, status=status, order=order,
                                   district=district, who=who)

    @r.post("/evaluation/runs/{run_id}/publish", dependencies=[allowed(ev.require_evaluator)])
    def publish(run_id: str, store: StoreDep, who: Who) -> dict[str, Any]:
        """公示（开启异议期）/ publish a run: opens the objection window (city admin)."""
        ev.publish(store, run_id, actor=who.username, who=who)
        return ev.run_detail(store, run_id, who=who)

    @r.get("/evaluation/explain/{credit_code}")
    def explain(credit_code: str, store: StoreDep, who: Who,
                year: Annotated[int | None, Query(
                    ge=1990, le=2100, description="年度（省略：最新评价年度）/ year "
                    "(omitted: the newest evaluated year)")] = None,
                profile: str = _PROFILE) -> dict[str, Any]:
        """企业等级解释（读取该年度最新评价批次保存的结果；不给年度则为最新评价年度）/ why
        a firm has its grade and what lifts it one class, read from the year's newest
        stored run (no ``year``: the newest year evaluated with the profile; the answer's
        ``year`` says which)."""
        run = ev.answer_run(store, year, _bundled(profile))
        return ev.explain_answer(store, credit_code, run, who=who)

    @r.get("/enterprises/{credit_code}/grades")
    def grades(credit_code: str, store: StoreDep, who: Who) -> list[dict[str, Any]]:
        """企业历年等级 / a firm's grade and score per evaluated year."""
        return ev.firm_grades(store, credit_code, who=who)

    @r.get("/evaluation/zones")
    def zones(store: StoreDep, who: Who, year: Year,
              kind: Literal["district", "park", "chain"] = "district",
              profile: str = _PROFILE) -> list[dict[str, Any]]:
        """区县 / 园区 / 产业链汇总排名（读取该年度最新评价批次保存的汇总）/ roll-up per
        district, park or chain, read from the year's newest stored run."""
        who.require_login()
        run = ev.answer_run(store, year, _bundled(profile))
        return ev.zone_rows(ev.zones_answer(store, run, who=who), kind)

    @r.get("/evaluation/objections")
    def objections(store: StoreDep, who: Who, run_id: str | None = None,
                   state: Literal["filed", "accepted", "rejected"] | None = None,
                   with_resolved: bool = False) -> list[dict[str, Any]]:
        """异议列表（本账户范围内；with_resolved：同时列出采纳后产生该批次的异议）/
        objections within the caller's scope, each with etag; ``with_resolved`` adds those
        whose acceptance made ``run_id``."""
        return ev.objections_list(store, run_id=run_id, state=state,
                                  with_resolved=with_resolved, who=who)

    @r.get("/evaluation/objections/{objection_id}/preview",
           dependencies=[allowed(ev.require_objection_decider)])
    def preview(objection_id: str, store: StoreDep, who: Who) -> dict[str, Any]:
        """采纳预览（不保存）：更正前后数值、本企业重算等级、等级将变化的其他企业 / what
        accepting would do, computed in memory and not stored: the figure before and after,
        this firm's recomputed class and the other firms whose class would change."""
        return objection_preview.preview_objection(store, objection_id, who=who)

    @r.get("/evaluation/runs/{run_id}/objection-fields/{credit_code}")
    def objection_fields(run_id: str, credit_code: str, store: StoreDep, who: Who
                         ) -> dict[str, Any]:
        """异议表单：可更正指标、单位与当前值，批次是否受理异议 / the objection form's
        figures with unit and current value, and whether the run takes objections."""
        return objection_preview.objection_fields(store, run_id, credit_code, who=who)

    @r.get("/evaluation/compare", dependencies=[allowed(run_compare.require_compare_reader)])
    def compare(run_a: str, run_b: str, store: StoreDep, who: Who,
                moved_only: bool = False,
                limit: Annotated[int | None, Query(ge=1, le=10000, description=(
                    "每页行数（省略：全部）/ rows per page (omitted: all)"))] = None,
                offset: Offset = 0) -> dict[str, Any]:
        """两个版本比较：等级变化、得分、亩均数值与差别化政策金额（元）；可分页 / two runs of a
        year: who moved class, by how much, and the policy money effect (yuan, decimal
        text); ``limit``/``offset`` give one page (``total`` counts all rows)."""
        return run_compare.compare_runs(store, run_a, run_b, moved_only=moved_only,
                                        limit=limit, offset=offset, who=who)

    @r.get("/evaluation/compare.xlsx", response_class=Response,
           responses={200: {"content": {XLSX: {}}}},
           dependencies=[allowed(run_compare.require_compare_reader)])
    def compare_xlsx(run_a: str, run_b: str, store: StoreDep, who: Who,
                     moved_only: bool = False,
                     lang: Literal["zh", "en"] = "zh") -> Response:
        """导出 Excel：版本比较 / the comparison as XLSX (headers with units)."""
        body = run_compare.compare_xlsx(store, run_a, run_b, moved_only=moved_only,
                                        lang=lang, who=who)
        return Response(body, media_type=XLSX, headers={
            "Content-Disposition": 'attachment; filename="compare.xlsx"'})

    @r.get("/evaluation/objections/{objection_id}", openapi_extra=ln.links(
        200, Resolve=(ln.RESOLVE, {"objection_id": "$response.body#/objection_id",
                                   "header.If-Match": "$response.header.ETag"})))
    def objection(objection_id: str, store: StoreDep, who: Who,
                  response: Response) -> dict[str, Any]:
        """一条异议（ETag 用于处理时的 If-Match）/ one objection; its ETag is the If-Match for
        resolving it."""
        return with_etag(response, ev.objection_detail(store, objection_id, who=who))

    @r.post("/evaluation/runs/{run_id}/objections", status_code=201,
            dependencies=[allowed(Principal.require_writer)], openapi_extra=ln.links(
        201, GetObjection=(ln.OBJECTION, {"objection_id": "$response.body#/objection_id"})))
    def file_objection(run_id: str, body: ObjectionIn, store: StoreDep, who: Who
                       ) -> dict[str, Any]:
        """提出异议 / file an objection against one figure during publication."""
        return ev.file_objection(store, run_id, body.credit_code, body.field,
                                 body.claimed_value, body.reason, actor=who.username, who=who)

    @r.post("/evaluation/objections/{objection_id}/resolve", status_code=202,
            openapi_extra=ln.to_job(), dependencies=[allowed(ev.require_objection_decider)])
    def resolve(objection_id: str, body: Resolution, store: StoreDep, who: Who,
                request: Request, if_match: Annotated[str | None, Header()] = None
                ) -> dict[str, Any]:
        """处理异议（须带 If-Match；采纳则在后台任务中重算为新版本批次，202，轮询
        GET /api/jobs/{id}）/ resolve an objection (If-Match required). The decision is
        taken at once; accepting recomputes the run as a new version in a background job
        (202 with the job; its result is ``{objection, run}``)."""
        work = ev.decide_objection(store, objection_id, accept=body.accept,
                                   actor=who.username, note=body.note, who=who,
                                   if_match=if_match or "")
        jobs: Jobs = request.app.state.jobs
        return jobs.submit("objection", who, lambda progress: work())

    return r


def _bundled(profile: str) -> str:
    """The web API evaluates with bundled profiles only (no server-side file paths)."""
    if profile.endswith((".yaml", ".yml")) or "/" in profile or "\\" in profile:
        raise ValidationError("网页接口只接受内置策略配置名", "the web API takes bundled "
                              "profile ids only", where="profile")
    return profile
