"""The append-only audit log as the auditor reads it (who, when, what, before/after)."""

from __future__ import annotations

import json
from typing import Any

from indspace.core.access import Principal
from indspace.services.output import json_value
from indspace.store import Store
from indspace.store.audit import audit_page


def _decode(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def page(store: Store, *, who: Principal, limit: int = 100, offset: int = 0,
         table: str | None = None, actor: str | None = None) -> dict[str, Any]:
    """Newest first; city administrators and auditors only."""
    who.require_role("city_admin", "auditor")
    total, rows = audit_page(store, limit=limit, offset=offset, table=table, actor=actor)
    items = [{"seq": r["fid"], "at": json_value(r["at"]), "actor": r["actor"],
              "action": r["action"],
              "table": r["table_name"], "key": r["record_key"],
              "before": _decode(r["before_json"]), "after": _decode(r["after_json"]),
              "reason": r["reason"]} for r in rows]
    return {"total": total, "limit": limit, "offset": offset, "items": items}
