"""Entity tags for optimistic locking (issue #8): an edit names the version it was based on
with ``If-Match``; a stale one is refused with 409 rather than overwriting a newer decision.

A tag is the SHA-256 (first 16 hex digits, quoted as HTTP wants) of the record's fields that
an edit changes — so it moves exactly when the record moves."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from indspace.core.errors import ConflictError, PreconditionRequired


def etag_of(record: dict[str, Any], fields: Iterable[str]) -> str:
    text = json.dumps({f: record.get(f) for f in fields}, sort_keys=True, default=str)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:16] + '"'


def check_etag(if_match: str | None, current: str, *, what: str) -> None:
    """Accept ``If-Match`` equal to ``current`` (or ``*``); 428 when absent, 409 when stale."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(f"修改{what}须带 If-Match（先读取最新版本）",
                                   f"editing {what} needs If-Match (read it first)",
                                   where="If-Match")
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" not in tags and current not in tags:
        raise ConflictError(f"{what}已被他人修改，请刷新后重试",
                            f"{what} was changed by someone else; reload and try again",
                            where="If-Match", hint_zh=f"当前版本 {current}",
                            hint_en=f"current version {current}")
