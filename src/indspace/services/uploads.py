"""Imports from the web (issues #8, #15): an uploaded file is written to a private temporary
folder under its own (sanitised, shortened) name, its shape checked, and imported exactly as
``indspace import`` would — as a background job (``services/jobs.py``) whose result is the
import summary with the validation report (quarantined rows with file row, field and
bilingual message). City administrators import every kind; district officers import
enterprises, parcels and buildings of their own district, every row checked by field,
stored record and geometry (``services/import_scope.py``).

Limits, all checked before the import starts and none needing the whole file in memory:
``MAX_UPLOAD_BYTES`` (counted while the body streams in, ``api/imports.py``), for a zip the
uncompressed size ``MAX_UNZIPPED_BYTES`` (decompressed in chunks and counted, so a zip bomb
stops at the limit) and for delimited text the header's columns ``MAX_COLUMNS`` (the first
line only, read in chunks). Import records and the audit log name the upload, never the
server's temporary path.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from indspace.core.access import Principal
from indspace.core.errors import ForbiddenError, IndspaceError, TooLargeError, ValidationError
from indspace.ingest.aliases import KINDS
from indspace.ingest.readers import MAX_COLUMNS
from indspace.services.import_scope import check_officer_import
from indspace.services.importing import import_file
from indspace.services.output import json_value
from indspace.store import Store
from indspace.store.imports import import_issues, list_imports

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
MAX_NAME = 100
"""Characters kept of an uploaded file's name (the extension is always kept)."""
_SAFE = re.compile(r"[^A-Za-z0-9._\-\u4e00-\u9fff]+")
_CHUNK = 1 << 20
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
_DELIMITERS = (b",", b";", b"\t", b"|")
"""A header's columns are counted by its most frequent delimiter: an upper bound on what a
reader sees (quoted delimiters count too)."""


class UploadTooLarge(TooLargeError):
    """An upload over a size limit (413)."""


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    return {k: json_value(v) for k, v in row.items()}


def safe_name(filename: str | None) -> str:
    """The uploaded file's name as stored on disk and in the import record: no folders,
    only plain characters, at most ``MAX_NAME`` characters with its extension kept.

    >>> safe_name("../../etc/passwd")
    'passwd'
    >>> len(safe_name("a" * 300 + ".csv"))
    100
    """
    name = _SAFE.sub("_", Path(filename or "upload").name).lstrip(".") or "upload"
    if len(name) > MAX_NAME:
        suffix = "".join(Path(name).suffixes)[-20:]
        name = name[: MAX_NAME - len(suffix)] + suffix
    return name


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValidationError(f"未知数据类型 {kind[:40]}", f"unknown kind {kind[:40]}",
                              where="kind", hint_zh="可选：" + "、".join(KINDS),
                              hint_en="one of " + ", ".join(KINDS))


def too_large(what_zh: str, what_en: str, limit: int, where: str) -> UploadTooLarge:
    mb = limit // 2**20
    return UploadTooLarge(f"{what_zh}超过 {mb} MB", f"{what_en} larger than {mb} MB",
                          where=where, hint_zh="请拆分文件后分批导入",
                          hint_en="split the file and import the parts")


def check_shape(path: Path, name: str) -> None:
    """Refuse a zip whose content unpacks beyond ``MAX_UNZIPPED_BYTES`` and delimited text
    whose header has more than ``MAX_COLUMNS`` columns, reading in bounded chunks."""
    if zipfile.is_zipfile(path):
        total = 0
        try:
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    with zf.open(info) as member:
                        while chunk := member.read(_CHUNK):
                            total += len(chunk)
                            if total > MAX_UNZIPPED_BYTES:
                                raise too_large("压缩包解压后", "the unzipped content",
                                                MAX_UNZIPPED_BYTES, name)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as e:
            raise ValidationError(f"压缩包无法读取：{e}", f"cannot read the zip: {e}",
                                  where=name) from e
        return
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return
    counts = dict.fromkeys(_DELIMITERS, 0)       # running counts: linear in the line
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            line, newline, _ = chunk.partition(b"\n")
            for d in _DELIMITERS:
                counts[d] += line.count(d)
            if newline or 1 + max(counts.values()) > MAX_COLUMNS:
                break
    n = 1 + max(counts.values())
    if n > MAX_COLUMNS:
        raise ValidationError(f"表头至少有 {n:,} 列，超过上限 {MAX_COLUMNS:,} 列",
                              f"the header has at least {n:,} columns, more than "
                              f"{MAX_COLUMNS:,}",
                              where=f"{name} 第 1 行 / line 1",
                              hint_zh="请检查分隔符，或只保留导入格式中的列",
                              hint_en="check the delimiter, or keep only the columns of the "
                                      "import format")


def require_importer(who: Principal) -> Principal:
    """Uploads are for city administrators and district officers (the kind and the rows'
    district are checked later); returns ``who``."""
    who.require_role("city_admin", "district_officer")
    return who


def require_import_reader(who: Principal) -> Principal:
    """Past imports are read by city administrators, auditors and district officers (their
    own imports); returns ``who``."""
    who.require_role("city_admin", "auditor", "district_officer")
    return who


def prepare(kind: str, filename: str | None, who: Principal) -> tuple[Path, str]:
    """Before any byte is read: the caller may import, the kind exists. Returns a fresh
    private folder and the name the file gets in it. City administrators import every
    kind; district officers the kinds of ``OFFICER_KINDS``, for their own district."""
    require_importer(who)
    check_kind(kind)
    if who.role == "district_officer":
        check_officer_import(kind, "upsert")
    folder = Path(tempfile.mkdtemp(prefix="indspace-upload-"))
    return folder, safe_name(filename)


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


WEB_ADVICE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"请用 --encoding 指定编码（[^）]*）"), "请将文件另存为 UTF-8 编码后重新上传"),
    (re.compile(r"[；，;,]?\s*或用 --encoding 指定编码"), ""),
    (re.compile(r"pass --encoding \([^)]*\)"), "save the file as UTF-8 and upload it again"),
    (re.compile(r",?\s*or pass --encoding"), ""),
)
"""Command-line advice (``--encoding`` of ``indspace import``) rewritten for a web user, who
has no flags to pass: the web upload detects the encoding, so the advice is to save the
file as UTF-8 (issue #16: no CLI flags in web messages)."""


def web_text(text: str | None) -> str | None:
    """``text`` with command-line advice replaced by what a web user can do."""
    if not text:
        return text
    for pattern, repl in WEB_ADVICE:
        text = pattern.sub(repl, text)
    return text


def _web_error(err: IndspaceError) -> IndspaceError:
    for attr in ("message_zh", "message_en", "hint_zh", "hint_en"):
        setattr(err, attr, web_text(getattr(err, attr)))
    err.args = (str(err),)
    return err


def import_job(store: Store, kind: str, path: Path, filename: str, *, who: Principal,
               year: int | None = None
               ) -> Callable[[Callable[[float, str, str], None]], dict[str, Any]]:
    """The job's work: import the checked file, return the summary and first issues."""

    def work(progress: Callable[[float, str, str], None]) -> dict[str, Any]:
        progress(0.1, "读取与校验", "reading and validating")
        try:
            result = import_file(store, kind, path, year=year, actor=who.username,
                                 report_dir=path.parent / "reports", source_name=filename,
                                 district=_officer_district(who))
        except IndspaceError as e:
            raise _web_error(e) from None
        progress(0.9, "生成校验报告", "collecting the report")
        body = result.to_json()
        body.pop("report", None)
        body.pop("report_xlsx", None)
        body["source"] = filename
        body["issues"] = [_iso({**r, "message_zh": web_text(r["message_zh"]),
                                "message_en": web_text(r["message_en"])})
                          for r in import_issues(store, result.import_id)[:1000]]
        return body

    return work


def _officer_district(who: Principal) -> str | None:
    if who.role != "district_officer":
        return None
    if not who.district:
        raise ForbiddenError("该区县账户未设置区县", "this district account has no district",
                             where=who.username, hint_zh="请联系市级管理员",
                             hint_en="ask the city administrator")
    return who.district


def upload(store: Store, kind: str, filename: str, data: bytes, *, who: Principal,
           year: int | None = None) -> dict[str, Any]:
    """Import one uploaded file in the calling thread (tests, scripts); the web route
    runs the same steps as a job."""
    folder, name = prepare(kind, filename, who)
    try:
        if len(data) > MAX_UPLOAD_BYTES:
            raise too_large("文件", "file", MAX_UPLOAD_BYTES, name)
        path = folder / name
        path.write_bytes(data)
        check_shape(path, name)
        return import_job(store, kind, path, filename, who=who, year=year)(
            lambda *_: None)
    finally:
        discard(folder)


def imports(store: Store, *, who: Principal) -> list[dict[str, Any]]:
    """Past imports, newest first (a district officer: its own); server paths are reduced
    to file names."""
    require_import_reader(who)
    return [_iso({**r, "source": Path(str(r["source"])).name,
                  "report": Path(str(r["report"])).name if r.get("report") else None})
            for r in list_imports(store)
            if who.role != "district_officer" or r.get("actor") == who.username]


def report(store: Store, import_id: str, *, who: Principal) -> list[dict[str, Any]]:
    """The quarantined rows of an import (a district officer: of its own imports)."""
    require_import_reader(who)
    if who.role == "district_officer" and not any(
            r["import_id"] == import_id for r in imports(store, who=who)):
        raise ForbiddenError(f"无权查看导入 {import_id[:64]}",
                             f"import {import_id[:64]} is not this account's",
                             where="import_id")
    return [_iso({**r, "message_zh": web_text(r["message_zh"]),
                  "message_en": web_text(r["message_en"])})
            for r in import_issues(store, import_id)]
