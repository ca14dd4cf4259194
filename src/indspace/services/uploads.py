"""Imports from the web (issue #8): an uploaded file is written to a private temporary
folder under its own name (the extension tells the reader the format), imported exactly as
``indspace import`` would, and the validation report (quarantined rows with file row, field
and bilingual message) is returned. City administrators only: a district officer's upload
would need every row checked against its district first, which the importer does not do."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from indspace.core.access import Principal
from indspace.core.errors import ValidationError
from indspace.services.importing import import_file
from indspace.services.output import json_value
from indspace.store import Store
from indspace.store.imports import import_issues, list_imports

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
_SAFE = re.compile(r"[^A-Za-z0-9._\-\u4e00-\u9fff]+")


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    return {k: json_value(v) for k, v in row.items()}


def upload(store: Store, kind: str, filename: str, data: bytes, *, who: Principal,
           year: int | None = None) -> dict[str, Any]:
    """Import one uploaded file; returns the import result and its first 1 000 issues."""
    who.require_role("city_admin")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(f"文件超过 {MAX_UPLOAD_BYTES // 2**20} MB",
                              f"file larger than {MAX_UPLOAD_BYTES // 2**20} MB",
                              where=filename)
    name = _SAFE.sub("_", Path(filename or "upload").name).lstrip(".") or "upload"
    with tempfile.TemporaryDirectory(prefix="indspace-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        result = import_file(store, kind, path, year=year, actor=who.username)
    body = result.to_json()
    body.pop("report", None)
    body.pop("report_xlsx", None)
    body["source"] = filename
    body["issues"] = [_iso(r) for r in import_issues(store, result.import_id)]
    return body


def imports(store: Store, *, who: Principal) -> list[dict[str, Any]]:
    """Past imports, newest first; server paths are reduced to file names."""
    who.require_role("city_admin", "auditor")
    return [_iso({**r, "source": Path(str(r["source"])).name,
                  "report": Path(str(r["report"])).name if r.get("report") else None})
            for r in list_imports(store)]


def report(store: Store, import_id: str, *, who: Principal) -> list[dict[str, Any]]:
    who.require_role("city_admin", "auditor")
    return [_iso(r) for r in import_issues(store, import_id)]
