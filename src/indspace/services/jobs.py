"""Background jobs: long work (imports, evaluations, objection re-runs) off the request path.

A route checks who asks and what (so refusals stay immediate 4xx answers), then hands the
work to :class:`Jobs` and answers ``202`` with the job. ``GET /api/jobs/{id}`` reports
``state`` (queued → running → done | failed), ``progress`` (0–1 with a bilingual stage),
``result`` or ``error`` (the one bilingual error shape). A job belongs to the account that
started it: another caller gets 404, as for an id that does not exist.

Jobs run in a small thread pool of the serving process (``workers`` at a time, the rest
queue), so the event loop only answers; they are kept in memory for ``KEEP_SECONDS`` after
they finish and do not survive a restart — what they produced (an import record, a run)
is in the store.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from indspace.core.access import Principal
from indspace.core.errors import IndspaceError, NotFoundError

log = logging.getLogger("indspace.jobs")

State = Literal["queued", "running", "done", "failed"]
KEEP_SECONDS = 3600.0
"""Finished jobs are forgotten an hour after they end."""


class Progress:
    """What a job reports while it works: a share (0–1) and a stage in both languages."""

    def __init__(self, job: Job) -> None:
        self._job = job

    def __call__(self, share: float, stage_zh: str, stage_en: str) -> None:
        with self._job.lock:
            self._job.progress = max(0.0, min(1.0, float(share)))
            self._job.stage = (stage_zh, stage_en)


Work = Callable[[Progress], Any]
Cleanup = Callable[[], None]


@dataclass
class Job:
    job_id: str
    kind: str
    owner: str
    created_at: datetime
    state: State = "queued"
    progress: float = 0.0
    stage: tuple[str, str] = ("排队中", "queued")
    result: Any = None
    error: dict[str, Any] | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    ended: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def public(self) -> dict[str, Any]:
        with self.lock:
            return {
                "job_id": self.job_id,
                "kind": self.kind,
                "state": self.state,
                "progress": round(self.progress, 4),
                "stage_zh": self.stage[0],
                "stage_en": self.stage[1],
                "owner": self.owner,
                "created_at": self.created_at.isoformat(),
                "started_at": self.started_at and self.started_at.isoformat(),
                "finished_at": self.finished_at and self.finished_at.isoformat(),
                "result": self.result,
                "error": self.error,
                "href": f"/api/jobs/{self.job_id}",
            }


def _error_of(exc: BaseException, scrub: Callable[[str | None], str | None]) -> dict[str, Any]:
    if isinstance(exc, IndspaceError):
        body: dict[str, Any] = {
            k: (scrub(v) if k != "error" else v) for k, v in exc.to_dict().items()
        }
        body["status"] = exc.http_status
        return body
    return {
        "error": "InternalError",
        "where": None,
        "status": 500,
        "message_zh": "后台任务出错，请联系管理员（详情见服务器日志）",
        "message_en": "the background job failed; the server log has the details",
        "hint_zh": None,
        "hint_en": None,
    }


def _scrubbed(value: Any, scrub: Callable[[str | None], str | None]) -> Any:
    """A JSON-ready result with every text passed through ``scrub`` (server paths out of
    notes, reader warnings and issue messages: a result is as public as an error)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v, scrub) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v, scrub) for v in value]
    return value


class Jobs:
    """The job registry and its worker pool (one per app)."""

    def __init__(
        self, workers: int = 2, scrub: Callable[[str | None], str | None] = lambda s: s
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="indspace-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._scrub = scrub

    def submit(
        self, kind: str, who: Principal, work: Work, cleanup: Cleanup | None = None
    ) -> dict[str, Any]:
        """Queue ``work(progress)``; its return value (JSON-ready) becomes the result."""
        job = Job(uuid.uuid4().hex, kind, who.username, datetime.now(UTC))
        with self._lock:
            self._forget_old()
            self._jobs[job.job_id] = job
        self._pool.submit(self._run, job, work, cleanup)
        return job.public()

    def _run(self, job: Job, work: Work, cleanup: Cleanup | None) -> None:
        with job.lock:
            job.state, job.started_at = "running", datetime.now(UTC)
            job.stage = ("进行中", "running")
        try:
            result = _scrubbed(work(Progress(job)), self._scrub)
        except BaseException as exc:  # a job's failure is its result, never a dead worker
            if not isinstance(exc, IndspaceError):
                log.exception("job %s (%s) failed", job.job_id, job.kind)
            with job.lock:
                job.state, job.error = "failed", _error_of(exc, self._scrub)
                job.stage = ("失败", "failed")
        else:
            with job.lock:
                job.state, job.result, job.progress = "done", result, 1.0
                job.stage = ("完成", "done")
        finally:
            if cleanup is not None:
                cleanup()
            with job.lock:
                job.finished_at, job.ended = datetime.now(UTC), time.monotonic()

    def get(self, job_id: str, who: Principal) -> dict[str, Any]:
        """The job if ``who`` started it (the CLI's system principal sees all); 404 else."""
        who.require_login()
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or (job.owner != who.username and who.role != "system"):
            raise NotFoundError(
                f"后台任务 {job_id[:64]} 不存在",
                f"job {job_id[:64]} not found",
                where="job_id",
                hint_zh="任务只对发起它的账户可见，完成一小时后清除",
                hint_en="a job is visible to the account that started it and "
                "kept for an hour after it ends",
            )
        return job.public()

    def wait(self, job_id: str, timeout: float = 600.0) -> dict[str, Any]:
        """Block until the job ends (tests and the CLI; never called on the event loop)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                job = self._jobs[job_id]
            if job.state in ("done", "failed"):
                return job.public()
            time.sleep(0.05)
        return job.public()

    def _forget_old(self) -> None:
        now = time.monotonic()
        for jid in [
            j
            for j, job in self._jobs.items()
            if job.ended is not None and now - job.ended > KEEP_SECONDS
        ]:
            del self._jobs[jid]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
