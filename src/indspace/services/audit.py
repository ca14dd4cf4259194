"""The append-only audit log as the auditor reads it (who, when, what, before/after)."""

from __future__ import annotations

import json
from typing import Any

from indspace.core.access import Principal
from indspace.services.output import json_value
from indspace.store import Store
from indspace.store.audit import audit_page, verify


def _decode(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def require_reader(who: Principal) -> Principal:
    """The audit log is read by city administrators and auditors only; returns ``who``
    (the API asks it before judging the query string)."""
    who.require_role("city_admin", "auditor")
    return who


def page(store: Store, *, who: Principal, limit: int = 100, offset: int = 0,
         table: str | None = None, actor: str | None = None) -> dict[str, Any]:
    """Newest first; city administrators and auditors only."""
    require_reader(who)
    total, rows = audit_page(store, limit=limit, offset=offset, table=table, actor=actor)
    items = [{"seq": r["fid"], "at": json_value(r["at"]),
              "effective_at": json_value(r.get("effective_at")), "actor": r["actor"],
              "action": r["action"],
              "table": r["table_name"], "key": r["record_key"],
              "before": _decode(r["before_json"]), "after": _decode(r["after_json"]),
              "reason": r["reason"]} for r in rows]
    return {"total": total, "limit": limit, "offset": offset, "items": items}


def verify_chain(store: Store) -> dict[str, Any]:
    """The audit log's hash chain checked end to end: ``ok``, entries checked, and the first
    bad entry (its sequence number, action, table, key) with a bilingual message."""
    checked, bad, what = verify(store)
    if bad is None:
        return {"ok": True, "checked": checked, "first_bad": None,
                "message_zh": f"审计日志完整：{checked} 条记录的哈希链全部吻合",
                "message_en": f"audit log intact: the hash chain of {checked} entries matches"}
    seq = bad["fid"]
    desc = f"{bad['action']} {bad['table_name']} {bad['record_key']}"
    zh, en = ((f"第 {seq} 条（{desc}）之前的记录被删除或顺序被改动",
               f"an entry before #{seq} ({desc}) was removed or reordered") if what == "link"
              else (f"第 {seq} 条（{desc}）的内容被修改", f"entry #{seq} ({desc}) was edited"))
    return {"ok": False, "checked": checked, "first_bad": {"seq": seq, "problem": what,
                                                          "action": bad["action"],
                                                          "table": bad["table_name"],
                                                          "key": bad["record_key"]},
            "message_zh": f"审计日志校验失败：{zh}", "message_en": f"audit log broken: {en}"}
