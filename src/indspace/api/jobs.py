"""后台任务 route: the state, progress and result of a job the caller started."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request

from indspace.api.deps import LOGIN, Who
from indspace.services.jobs import Jobs


def router() -> APIRouter:
    r = APIRouter(prefix="/api/jobs", tags=["jobs 后台任务"], dependencies=[LOGIN])

    @r.get("/{job_id}")
    def job(
        request: Request, who: Who, job_id: str = Path(max_length=64, pattern=r"^[0-9a-f]{1,64}$")
    ) -> dict[str, Any]:
        """后台任务状态（仅发起账户可见）/ a job's state (queued, running, done, failed),
        progress, result or error — visible to the account that started it."""
        jobs: Jobs = request.app.state.jobs
        return jobs.get(job_id, who)

    return r
