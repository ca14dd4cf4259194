"""数据导入 routes: upload a file (a background job), past imports, an import's report.

The upload is read only after the caller is known to be a city administrator (every kind)
or a district officer (enterprises, parcels, buildings of its own district, each row checked
against the district) and the declared size fits (an anonymous 1 GiB upload gets its 401
before a byte of the body is read); the body is counted while it streams in and spooled to
disk, never held in memory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request as StarletteRequest
from starlette.types import Message

from indspace.api import links as ln
from indspace.api.deps import LOGIN, StoreDep, Who, allowed
from indspace.core.errors import ValidationError
from indspace.ingest.aliases import KINDS
from indspace.services import uploads
from indspace.services.jobs import Jobs

UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "CSV / XLSX / GeoJSON / GeoPackage / zip（Shapefile）"}}}}}}}


def _copy(src: UploadFile, dest: Path) -> None:
    src.file.seek(0)
    with dest.open("wb") as out:
        while chunk := src.file.read(1 << 20):
            out.write(chunk)


def router() -> APIRouter:
    r = APIRouter(prefix="/api/imports", tags=["imports 数据导入"], dependencies=[LOGIN])

    @r.post("", status_code=202, openapi_extra={**UPLOAD_BODY, **ln.to_job()},
            dependencies=[allowed(uploads.require_importer)])
    async def upload(request: Request, store: StoreDep, who: Who,
                     kind: Annotated[str, Query(description=f"数据类型 / {', '.join(KINDS)}")],
                     year: Annotated[int | None, Query(ge=1990, le=2100)] = None
                     ) -> dict[str, Any]:
        """上传并导入（后台任务，返回 202 与任务，轮询 GET /api/jobs/{id}）。市级管理员可导入
        所有类型；区县工作人员可导入本区县的企业、宗地、建筑，逐行核对所在区县与图形，区外
        的行进入隔离区（E135–E137）/ import an uploaded file as a background job: 202 with
        the job; poll GET /api/jobs/{id} for progress and the validation report. City
        administrators import every kind; district officers enterprises, parcels and
        buildings of their own district, every row checked by field and geometry (rows
        outside go to the quarantine, E135–E137)."""
        folder, _ = uploads.prepare(kind, None, who)      # 401/403/422 before the body
        try:
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > uploads.MAX_UPLOAD_BYTES:
                raise uploads.too_large("文件", "file", uploads.MAX_UPLOAD_BYTES, "file")
            seen = [0]

            async def counted() -> Message:
                message = await request.receive()
                seen[0] += len(message.get("body", b""))
                if seen[0] > uploads.MAX_UPLOAD_BYTES:
                    raise uploads.too_large("文件", "file", uploads.MAX_UPLOAD_BYTES, "file")
                return message

            if not request.headers.get("content-type", "").startswith("multipart/form-data"):
                raise ValidationError("请以 multipart/form-data 上传文件（字段名 file）",
                                      "upload the file as multipart/form-data (field file)",
                                      where="file")
            streamed = StarletteRequest(request.scope, counted)
            async with streamed.form(max_files=1, max_fields=4) as form:
                part = form.get("file")
                if not isinstance(part, UploadFile):
                    raise ValidationError("缺少文件（字段名 file）", "no file (field file)",
                                          where="file")
                name = uploads.safe_name(part.filename)
                path = folder / name
                await run_in_threadpool(_copy, part, path)
            await run_in_threadpool(uploads.check_shape, path, name)
        except BaseException:
            uploads.discard(folder)
            raise
        jobs: Jobs = request.app.state.jobs
        return jobs.submit("import", who, uploads.import_job(
            store, kind, path, part.filename or name, who=who, year=year),
            cleanup=lambda: uploads.discard(folder))

    @r.get("", openapi_extra=ln.links(
        200, ImportIssues=(ln.IMPORT_ISSUES, {"import_id": "$response.body#/0/import_id"})),
        dependencies=[allowed(uploads.require_import_reader)])
    def imports(store: StoreDep, who: Who) -> list[dict[str, Any]]:
        """导入记录（区县工作人员：本账户的导入）/ past imports, newest first (a district
        officer: its own)."""
        return uploads.imports(store, who=who)

    @r.get("/{import_id}/issues", dependencies=[allowed(uploads.require_import_reader)])
    def issues(import_id: str, store: StoreDep, who: Who) -> list[dict[str, Any]]:
        """校验报告 / the rows an import quarantined, with the reasons."""
        return uploads.report(store, import_id, who=who)

    return r
