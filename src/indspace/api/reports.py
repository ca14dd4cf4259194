"""报告 routes: meeting reports (PDF / HTML / XLSX) generated in the background for the
caller's scope, then downloaded by the account that asked for them."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from indspace.api import links as ln
from indspace.api.deps import LOGIN, StoreDep, Who, allowed
from indspace.services import reports
from indspace.services.jobs import Jobs


class ReportIn(BaseModel):
    kind: Literal["annual", "lowuse", "supply"] = Field(
        description="annual 年度亩均评价报告 | lowuse 低效用地改造方案报告 | "
        "supply 土地供应与履约监管报告"
    )
    format: Literal["pdf", "html", "xlsx"] = Field("pdf", description="文件格式 / format")
    year: int | None = Field(None, ge=1990, le=2100, description="年度 / year")
    district: str | None = Field(
        None,
        max_length=64,
        description="区县代码或名称（区县工作人员固定为本区县）/ district "
        "code or name (an officer's is always its own)",
    )
    run_id: str | None = Field(None, max_length=128, description="批次 / run id")
    as_of: date | None = Field(
        None,
        description="供地报告的监管基准日（缺省今日）/ the supply report's day (default today)",
    )


def router() -> APIRouter:
    r = APIRouter(prefix="/api/reports", tags=["reports 报告"], dependencies=[LOGIN])

    @r.post(
        "",
        status_code=202,
        openapi_extra=ln.to_job(),
        dependencies=[allowed(reports.require_report_reader)],
    )
    def create(body: ReportIn, store: StoreDep, who: Who, request: Request) -> dict[str, Any]:
        """生成报告（后台任务，202，轮询 GET /api/jobs/{id}；结果中的 href 为下载地址）/
        build a report for the caller's scope as a background job: 202 with the job; its
        result's ``href`` downloads the file."""
        files: reports.ReportFiles = request.app.state.report_files
        work = reports.start_report(
            store,
            files,
            body.kind,
            body.format,
            year=body.year,
            district=body.district,
            run_id=body.run_id,
            who=who,
            as_of=body.as_of,
        )
        jobs: Jobs = request.app.state.jobs
        return jobs.submit(f"report-{body.kind}", who, work)

    @r.get("/{report_id}/file", response_class=FileResponse)
    def download(
        request: Request,
        who: Who,
        report_id: str = Path(max_length=64, pattern=r"^[0-9a-f]{1,64}$"),
    ) -> FileResponse:
        """下载报告（仅生成它的账户）/ download a generated report (the account that asked)."""
        files: reports.ReportFiles = request.app.state.report_files
        item = files.get(report_id, who)
        return FileResponse(item.path, media_type=item.media_type, filename=item.filename)

    return r
