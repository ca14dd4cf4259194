"""File checks and layer listing shared by the readers, without pandas (issue #13).

:mod:`indspace.ingest.readers` reads whole tables into pandas; the ``indspace land far``
file tool reads GeoPackages through Arrow and must not pay for importing pandas. What both
need — the format by extension, the file checks and the GDAL layer listing, each with its
bilingual error — lives here, and :mod:`indspace.ingest.readers` uses it unchanged.

:func:`pyogrio_without_pandas` imports pyogrio for Arrow reading only (see its caveat).
"""

from __future__ import annotations

import io
import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from indspace.core.errors import IndspaceError, ValidationError

_FORMAT_LABELS = {
    "shapefile": "Shapefile",
    "geopackage": "GeoPackage",
    "geojson": "GeoJSON",
    "csv": "CSV",
    "xlsx": "Excel",
}

FORMATS: dict[str, str] = {
    ".shp": "shapefile",
    ".zip": "shapefile",
    ".gpkg": "geopackage",
    ".geojson": "geojson",
    ".json": "geojson",
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
}
"""File extension (lower case) → format name."""

_MAX_NOTES = 20
"""Reading warnings beyond this many are summarised in one note."""
_UNSUPPORTED_HINTS: dict[str, tuple[str, str]] = {
    ".xls": ("请在 Excel/WPS 中另存为 .xlsx 或 CSV (UTF-8)", "save it as .xlsx or CSV (UTF-8)"),
    ".et": ("请在 WPS 中另存为 .xlsx 或 CSV (UTF-8)", "save it from WPS as .xlsx or CSV (UTF-8)"),
    ".dbf": (
        "请提供同名的 .shp（连同 .shx、.dbf、.prj、.cpg）",
        "give the .shp next to it (with its .shx, .dbf, .prj and .cpg)",
    ),
    ".shx": ("请提供同名的 .shp", "give the .shp next to it"),
    ".gdb": (
        "请先导出为 GeoPackage (.gpkg) 或 Shapefile",
        "export it to GeoPackage (.gpkg) or Shapefile first",
    ),
}


def _fail(
    zh: str, en: str, where: str, hint_zh: str | None = None, hint_en: str | None = None
) -> ValidationError:
    return ValidationError(zh, en, where=where, hint_zh=hint_zh, hint_en=hint_en)


def _short(e: BaseException) -> str:
    """One-line detail of a library exception, without temporary /vsimem/ paths."""
    text = " ".join(str(e).split()) or type(e).__name__
    text = re.sub(r"/vsimem/\S+", "<memory>", text)
    return text[:200] + ("…" if len(text) > 200 else "")


def _unreadable(source: str, fmt_zh: str, fmt_en: str, e: BaseException) -> ValidationError:
    kind_zh = f" {fmt_zh} " if fmt_zh else ""
    kind_en = f"{fmt_en} " if fmt_en else ""
    return _fail(
        f"无法读取{kind_zh}文件，文件可能已损坏或格式不符（{_short(e)}）",
        f"cannot read the {kind_en}file; it may be corrupt or not of this format ({_short(e)})",
        source,
        "请在 GIS 或表格软件中打开检查，重新导出后再导入",
        "open it in a GIS or spreadsheet program to check it, export it again and retry",
    )


@contextmanager
def _collect_warnings(notes: list[str]) -> Iterator[None]:
    """Turn warnings raised by GDAL/pyogrio/openpyxl while reading into notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    seen: set[str] = set()
    for w in caught:
        if issubclass(w.category, DeprecationWarning | PendingDeprecationWarning | ResourceWarning):
            continue
        msg = " ".join(str(w.message).split())[:300]
        if msg in seen:
            continue
        seen.add(msg)
        if len(seen) > _MAX_NOTES:
            continue
        notes.append(f"读取时的警告：{msg} / warning while reading: {msg}")
    if len(seen) > _MAX_NOTES:
        n = len(seen) - _MAX_NOTES
        notes.append(f"另有 {n} 条读取警告未列出 / {n} more reading warnings not listed")


def _format_of(p: Path) -> str:
    ext = p.suffix.lower()
    if ext in FORMATS:
        return FORMATS[ext]
    supported = "、".join(FORMATS)
    hint = _UNSUPPORTED_HINTS.get(
        ext, (f"支持的格式：{supported}", f"supported: {', '.join(FORMATS)}")
    )
    raise _fail(
        f"不支持的文件类型“{ext or '（无扩展名）'}”",
        f"unsupported file type {ext or '(no extension)'!r}",
        str(p),
        *hint,
    )


def _check_file(p: Path) -> None:
    source = str(p)
    if p.is_dir():
        raise _fail(
            "这是一个文件夹，不是文件",
            "this is a folder, not a file",
            source,
            "请选择文件夹中的数据文件",
            "choose the data file inside it",
        )
    if not p.is_file():
        raise _fail(
            "文件不存在",
            "the file does not exist",
            source,
            "请检查路径和文件名",
            "check the path and file name",
        )
    try:
        size = p.stat().st_size
    except OSError as e:
        raise _fail("无法访问文件", f"cannot access the file ({_short(e)})", source) from e
    if size == 0:
        raise _fail(
            "文件是空的（0 字节）",
            "the file is empty (0 bytes)",
            source,
            "请重新导出或复制该文件",
            "export or copy the file again",
        )


def _gdal_layers(src: Path | bytes, source: str, driver: str, label: str) -> list[str]:
    """Layer names of a GDAL source; raise unless GDAL reads it with ``driver``."""
    import pyogrio

    notes: list[str] = []
    buf: Any = io.BytesIO(src) if isinstance(src, bytes) else src
    try:
        with _collect_warnings(notes):
            layers = pyogrio.list_layers(buf)
            info = (
                pyogrio.read_info(io.BytesIO(src) if isinstance(src, bytes) else src, layer=0)
                if len(layers)
                else None
            )
    except Exception as e:
        raise _unreadable(source, label, label, e) from e
    if info is not None and info.get("driver") != driver:
        raise _fail(
            f"文件内容不是 {label} 格式（GDAL 识别为 {info.get('driver')}）",
            f"the content is not {label} (GDAL reads it as {info.get('driver')})",
            source,
            "请检查文件扩展名是否正确",
            "check the file extension",
        )
    return [str(row[0]) for row in layers]


def geopackage_layers(path: Path) -> list[str]:
    """Layer names of a GeoPackage, with the checks and errors of
    :func:`indspace.ingest.readers.list_layers` (which this is, for a ``.gpkg``)."""
    source = str(path)
    _format_of(path)
    _check_file(path)
    try:
        return _gdal_layers(path, source, "GPKG", "GeoPackage")
    except IndspaceError:
        raise
    except MemoryError:
        raise
    except Exception as e:  # a library failed in a way not handled above: wrap it
        raise _unreadable(source, "GeoPackage", "GeoPackage", e) from e


_BLOCKED = ("pandas", "geopandas")


def pyogrio_without_pandas() -> ModuleType:
    """``import pyogrio`` without pyogrio importing pandas and GeoPandas (≈ 0.35 s of
    start-up: pyogrio probes these optional dependencies on import).

    Caveat: pyogrio then believes GeoPandas is absent for the rest of the process, so its
    ``read_dataframe``/``write_dataframe`` refuse to run. Call this only in a process that
    reads and writes through Arrow alone (``indspace land far`` with GeoPackage inputs and a
    CSV output); pandas itself stays importable. When pyogrio is already imported, it is
    returned as it is; when it cannot be imported this way, it is imported normally.
    """
    if "pyogrio" in sys.modules:
        return sys.modules["pyogrio"]
    blocked = [m for m in _BLOCKED if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # type: ignore[assignment]  # import of it raises ImportError
    try:
        import pyogrio
    except ImportError:
        for m in [m for m in sys.modules if m == "pyogrio" or m.startswith("pyogrio.")]:
            del sys.modules[m]
        pyogrio = None  # type: ignore[assignment]
    finally:
        for m in blocked:
            if sys.modules.get(m, ...) is None:
                del sys.modules[m]
    if pyogrio is None:
        import pyogrio
    return pyogrio
