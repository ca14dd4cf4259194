"""审计日志 route: the append-only log of every write."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from indspace.api.deps import Limit, Offset, StoreDep, Who, allowed, scrub_paths
from indspace.services import audit


def router() -> APIRouter:
    r = APIRouter(prefix="/api/audit", tags=["audit 审计"],
                  dependencies=[allowed(audit.require_reader)])

    @r.get("")
    def log(store: StoreDep, who: Who, limit: Limit = 100, offset: Offset = 0,
            table: str | None = None, actor: str | None = None) -> dict[str, Any]:
        """审计日志（市级管理员、审计）/ the audit log, newest first (city admin, auditor).
        A file path an operator gave the command line (``import parcels /srv/…/p.gpkg``)
        is shown as the file name, as everywhere on the web; ``indspace audit`` and the
        stored, hash-chained entry keep it whole."""
        body = audit.page(store, who=who, limit=limit, offset=offset, table=table,
                          actor=actor)
        for item in body["items"]:
            item["reason"] = scrub_paths(item["reason"])
        return body

    return r
