"""审计日志 route: the append-only log of every write."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from indspace.api.deps import Limit, Offset, StoreDep, Who
from indspace.services import audit


def router() -> APIRouter:
    r = APIRouter(prefix="/api/audit", tags=["audit 审计"])

    @r.get("")
    def log(store: StoreDep, who: Who, limit: Limit = 100, offset: Offset = 0,
            table: str | None = None, actor: str | None = None) -> dict[str, Any]:
        """审计日志（市级管理员、审计）/ the audit log, newest first (city admin, auditor)."""
        return audit.page(store, who=who, limit=limit, offset=offset, table=table, actor=actor)

    return r
