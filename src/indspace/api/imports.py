"""数据导入 routes: upload a file, past imports, an import's validation report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile

from indspace.api.deps import StoreDep, Who
from indspace.ingest.aliases import KINDS
from indspace.services import uploads


def router() -> APIRouter:
    r = APIRouter(prefix="/api/imports", tags=["imports 数据导入"])

    @r.post("", status_code=201)
    async def upload(store: StoreDep, who: Who, file: Annotated[UploadFile, File()],
                     kind: Annotated[str, Query(description=f"数据类型 / {', '.join(KINDS)}")],
                     year: Annotated[int | None, Query(ge=1990, le=2100)] = None
                     ) -> dict[str, Any]:
        """上传并导入（市级管理员）/ import an uploaded file (city admin); returns the
        validation report."""
        data = await file.read()
        return uploads.upload(store, kind, file.filename or "upload", data, who=who, year=year)

    @r.get("")
    def imports(store: StoreDep, who: Who) -> list[dict[str, Any]]:
        """导入记录 / past imports, newest first."""
        return uploads.imports(store, who=who)

    @r.get("/{import_id}/issues")
    def issues(import_id: str, store: StoreDep, who: Who) -> list[dict[str, Any]]:
        """校验报告 / the rows an import quarantined, with the reasons."""
        return uploads.report(store, import_id, who=who)

    return r
