"""Read the files users bring into a :class:`RawTable`, without interpreting any field.

Supported inputs (format chosen by the file extension):

============  ==========================  ==============================================
extension     format                      text encoding
============  ==========================  ==============================================
.shp, .zip    ``shapefile`` (a .zip holds  ``encoding=`` if given; else the ``.cpg``;
              one or more shapefiles)      else strict UTF-8, else GB18030 (assumed)
.gpkg         ``geopackage``               UTF-8 by specification (``encoding`` None)
.geojson,     ``geojson``                  UTF-8 (RFC 7946); GB18030 files are
.json                                      transcoded (assumed)
.csv, .txt    ``csv``                      BOM → UTF-8-SIG / UTF-16; else strict UTF-8,
                                           else GB18030 (assumed)
.xlsx         ``xlsx``                     binary (``encoding`` None)
============  ==========================  ==============================================

Shapefile text is read byte-exact (GDAL is told the DBF is ISO-8859-1, which maps each
byte to one code point) and decoded here, so that the field *names* and values are judged
together, a multi-byte character cut by the DBF field width (10 bytes for names) is
tolerated, and a wrong user encoding is reported with its row and field.

CSV and Excel cells are kept as strings exactly as a user sees them (an empty string means
missing); typed formats keep numbers and dates as numbers and dates. Spatial inputs carry a
``geometry`` column in the *source* CRS; :func:`indspace.core.geo.detect_crs` decides the
CRS from ``declared_epsg`` and the coordinates.

Every failure (missing, empty, corrupt or unknown file, unknown layer or sheet, empty or
duplicate header, no data rows, undecodable text) raises
:class:`indspace.core.errors.ValidationError` with a bilingual message naming the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely

from indspace.core.errors import IndspaceError, TooLargeError, ValidationError
from indspace.core.geo.crs_detect import identify_epsg
from indspace.ingest.files import (
    _FORMAT_LABELS,
    _UNSUPPORTED_HINTS,
    FORMATS,
    _check_file,
    _collect_warnings,
    _fail,
    _format_of,
    _gdal_layers,
    _short,
    _unreadable,
)
from indspace.ingest.rules import ISSUE_COLUMNS, RULES, render

__all__ = ["FORMATS", "MAX_COLUMNS", "MAX_FEATURE_VERTICES", "MAX_FILE_VERTICES", "RawTable",
           "check_vertices", "list_layers", "read_table"]

_MAX_ZIP_BYTES = 4 * 1024**3
"""Largest total uncompressed size (bytes) of the shapefile parts extracted from a .zip."""
_DBF_NAME_BYTES = 10
"""A DBF field name holds at most 10 bytes (plus a terminating NUL)."""
MAX_COLUMNS = 2_000
"""Most columns a table may have (every format). A wider file is refused from its header
alone, before any row is parsed: the exchange formats have at most 30 columns, and SQLite
(GeoPackage) itself caps a table at 2 000."""
MAX_FEATURE_VERTICES = 100_000
"""Most vertices (coordinate pairs, all rings and parts together) one feature may have. A
surveyed industrial parcel has tens to a few hundred; a control-line block traced along
roads and rivers a few thousand. More is a digitising or conversion fault (a densified
curve, a merged layer) and would slow every overlay that touches the feature: refused
(422) naming the feature."""
MAX_FILE_VERTICES = 10_000_000
"""Most vertices one file may hold (all features together): ≈ 250 times the demo city's
40 000 parcels. More is refused (413); split the file by district."""
_MAX_SPAN_LINES = 20
"""Most physical lines one CSV record may be found to span (it is rejected either way; the
span only decides which following lines belong to it and are not read as rows)."""
_CSV_FIELD_LIMIT = csv.field_size_limit()
"""The csv module refuses longer cells (131 072 characters)."""

@dataclass(frozen=True, eq=False)
class RawTable:
    """One table read from a user file, before any field is recognised or validated.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns exactly as in the file (header text kept, Chinese included). CSV/XLSX
        values are all strings (``""`` = missing); typed formats keep numbers and dates.
        Spatial inputs are a GeoDataFrame with a ``geometry`` column in the source CRS.
        The index is a RangeIndex; use ``row_numbers`` to talk to users.
    source : str
        ``"path"``, or ``"path:layer"`` for containers (GeoPackage, .zip, Excel sheet).
    format : str
        ``"shapefile"``, ``"geopackage"``, ``"geojson"``, ``"csv"`` or ``"xlsx"``.
    encoding : str or None
        Encoding used for text (``"UTF-8"``, ``"UTF-8-SIG"``, ``"GB18030"`` …); None for
        binary formats whose text is UTF-8 by specification (GeoPackage, Excel).
    encoding_assumed : bool
        True when the encoding was guessed (no ``.cpg``, no BOM, content detection).
    declared_epsg : int or None
        EPSG code declared by the file (``.prj``, embedded CRS, GeoJSON ``crs`` member);
        None when absent or not identifiable.
    row_numbers : numpy.ndarray of int64
        For each row of ``frame``, the 1-based row number users see: CSV/XLSX = the
        spreadsheet row (header = 1, first data row = 2, blank rows counted); features =
        1-based feature index in the file.
    notes : tuple of str
        Bilingual notes ("中文 / English") on what was assumed or skipped.
    rejected : pandas.DataFrame
        Lines refused while reading (CSV: unclosed quote, cell spanning lines, wrong field
        count or delimiter, NUL bytes, a line in another encoding), one issue per record in
        the columns of :data:`indspace.ingest.rules.ISSUE_COLUMNS`; ``source_row`` is the
        first physical line of the record. Empty for the other formats.
    physical_lines : int or None
        CSV: physical lines in the file (a final line break does not start a line); None
        for the other formats. Every line is the header, blank, a row of ``frame`` or part of
        a rejected record: ``physical_lines == 1 + blank_lines + len(frame) + rejected_lines``.
    blank_lines : int
        Blank rows skipped (CSV lines, Excel rows).
    rejected_lines : int
        Physical lines covered by the records in ``rejected``.
    """

    frame: pd.DataFrame
    source: str
    format: str
    encoding: str | None
    encoding_assumed: bool
    declared_epsg: int | None
    row_numbers: np.ndarray
    notes: tuple[str, ...]
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=list(ISSUE_COLUMNS)))
    physical_lines: int | None = None
    blank_lines: int = 0
    rejected_lines: int = 0


# --------------------------------------------------------------------------- helpers


def _display_encoding(codec: str) -> str:
    names = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8-SIG", "gb18030": "GB18030",
             "utf-16": "UTF-16", "iso8859-1": "ISO-8859-1", "big5": "BIG5"}
    return names.get(codec, codec.upper())


_GBK_FAMILY = {"gbk", "gb2312", "cp936", "hz"}


def _codec(name: str) -> tuple[str, str | None]:
    """Python codec for an encoding name; GBK/GB2312 are read as their superset GB18030.

    Returns the codec name and, when upgraded, a bilingual note.
    """
    py = codecs.lookup(name).name
    if py in _GBK_FAMILY - {"hz"}:
        return "gb18030", (f"{name} 按其超集 GB18030 解码 / {name} decoded as its "
                           "superset GB18030")
    return py, None


def _user_codec(encoding: str, source: str) -> tuple[str, str | None]:
    try:
        return _codec(encoding)
    except (LookupError, ValueError):
        raise _fail(f"不认识的编码名称“{encoding}”", f"unknown encoding name {encoding!r}",
                    source, "常用编码：UTF-8、GBK、GB18030", "common encodings: UTF-8, GBK, "
                    "GB18030") from None


def _sibling(path: Path, suffix: str) -> Path | None:
    """The file next to ``path`` with the same stem and ``suffix`` (any letter case)."""
    for cand in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if cand.is_file():
            return cand
    try:
        for other in path.parent.iterdir():
            if other.stem == path.stem and other.suffix.lower() == suffix and other.is_file():
                return other
    except OSError:
        return None
    return None


def _column_label(i: int, fmt: str) -> str:
    """Spreadsheet column letter (A, B, …, AA) for xlsx, 1-based number otherwise."""
    if fmt != "xlsx":
        return str(i + 1)
    label = ""
    n = i + 1
    while n:
        n, r = divmod(n - 1, 26)
        label = chr(65 + r) + label
    return label


def _check_duplicates(names: Sequence[str], source: str, fmt: str) -> None:
    positions: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        positions.setdefault(n, []).append(i)
    dups = {n: p for n, p in positions.items() if len(p) > 1}
    if not dups:
        return
    kind_zh = " 列" if fmt in ("csv", "xlsx") else " 个字段"
    zh = "；".join(f"“{n}”（第 {'、'.join(_column_label(i, fmt) for i in p)}{kind_zh}）"
                  for n, p in dups.items())
    en = "; ".join(f"{n!r} (columns {', '.join(_column_label(i, fmt) for i in p)})"
                   for n, p in dups.items())
    raise _fail(f"表头有重复的字段名：{zh}", f"duplicate header names: {en}", source,
                "请把重复的列改名或删除后再导入",
                "rename or delete the duplicate columns and retry")


def _no_rows(source: str) -> ValidationError:
    return _fail("文件中没有数据行", "the file has no data rows", source,
                 "请确认选择了正确的文件、图层或工作表",
                 "check that the right file, layer or sheet was chosen")


# --------------------------------------------------------------------------- public API


def read_table(path: str | Path, *, layer: str | None = None, encoding: str | None = None,
               sheet: str | None = None) -> RawTable:
    """Read one table (layer, sheet) of a user file as raw values.

    Parameters
    ----------
    path : str or pathlib.Path
        File to read; its extension selects the format (see :data:`FORMATS`).
    layer : str, optional
        Layer of a GeoPackage or of a .zip with several shapefiles; for Excel, the same as
        ``sheet``. Single-layer formats accept their only layer name (:func:`list_layers`).
    encoding : str, optional
        Text encoding to use instead of detection (Shapefile DBF, CSV, GeoJSON); GBK and
        GB2312 are read as their superset GB18030. Ignored (with a note) for GeoPackage
        and Excel.
    sheet : str, optional
        Excel sheet name; the first sheet by default.

    Returns
    -------
    RawTable

    Raises
    ------
    ValidationError
        Missing, empty, corrupt or unsupported file; unknown layer or sheet; empty or
        duplicate header; no data rows; text that cannot be decoded.
    IndspaceError
        Reading .xlsx without openpyxl installed.
    """
    p = Path(path)
    source = str(p)
    fmt = _format_of(p)
    _check_file(p)
    if sheet is not None and fmt != "xlsx":
        raise _fail("只有 Excel (.xlsx) 文件有工作表（sheet）参数",
                    "only Excel (.xlsx) files take a sheet", source,
                    "图层请用 layer 参数", "use layer for layers")
    try:
        if fmt == "shapefile":
            if p.suffix.lower() == ".zip":
                return _read_zip(p, layer, encoding)
            _check_single_layer(p, layer, [p.stem], source)
            return _read_shapefile(p, source, encoding)
        if fmt == "geopackage":
            return _read_gpkg(p, layer, encoding)
        if fmt == "geojson":
            return _read_geojson(p, layer, encoding)
        if fmt == "csv":
            _check_single_layer(p, layer, [p.stem], source)
            return _read_csv(p, encoding)
        if layer is not None and sheet is not None and layer != sheet:
            raise _fail(f"layer（{layer}）与 sheet（{sheet}）不一致",
                        f"layer ({layer!r}) and sheet ({sheet!r}) disagree", source)
        return _read_xlsx(p, sheet if sheet is not None else layer, encoding)
    except IndspaceError:
        raise
    except MemoryError:
        raise
    except Exception as e:  # a library failed in a way not handled above: wrap it
        raise _unreadable(source, _FORMAT_LABELS[fmt], _FORMAT_LABELS[fmt], e) from e


def list_layers(path: str | Path) -> list[str]:
    """Names of the tables in a file: GeoPackage layers, .zip shapefiles, Excel sheets.

    Single-table formats (Shapefile, GeoJSON, CSV) return their one layer name (the file
    stem, or the GeoJSON ``name``), which :func:`read_table` accepts as ``layer``.

    Raises
    ------
    ValidationError
        Missing, empty, corrupt or unsupported file.
    """
    p = Path(path)
    source = str(p)
    fmt = _format_of(p)
    _check_file(p)
    try:
        if fmt == "shapefile":
            if p.suffix.lower() == ".zip":
                return list(_zip_shapefiles(p))
            return [p.stem]
        if fmt in ("geopackage", "geojson"):
            if fmt == "geojson":
                data, _, _, _ = _geojson_bytes(p, None)
                return _gdal_layers(data, source, "GeoJSON", "GeoJSON")
            return _gdal_layers(p, source, "GPKG", "GeoPackage")
        if fmt == "csv":
            return [p.stem]
        openpyxl = _import_openpyxl()
        notes: list[str] = []
        with _collect_warnings(notes):
            wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
        try:
            return list(wb.sheetnames)
        finally:
            wb.close()
    except IndspaceError:
        raise
    except MemoryError:
        raise
    except Exception as e:
        raise _unreadable(source, _FORMAT_LABELS[fmt], _FORMAT_LABELS[fmt], e) from e


def _check_single_layer(p: Path, layer: str | None, names: list[str], source: str) -> None:
    if layer is not None and layer not in names:
        raise _fail(f"图层“{layer}”不存在；此文件只有图层：{'、'.join(names)}",
                    f"layer {layer!r} does not exist; this file has: {', '.join(names)}", source)


# --------------------------------------------------------------------------- GDAL layers


def _geo_frame(src: Any, source: str, layer: str | int | None, fmt_en: str,
               notes: list[str], encoding: str | None = None) -> pd.DataFrame:
    try:
        with _collect_warnings(notes):
            # Arrow is ~2× faster for GeoPackage; Shapefiles keep the classic path because
            # their DBF bytes are passed through as ISO-8859-1 and decoded by us.
            frame = pyogrio.read_dataframe(src, layer=layer, encoding=encoding,
                                           use_arrow=fmt_en == "GeoPackage")
    except Exception as e:
        raise _unreadable(source, fmt_en, fmt_en, e) from e
    return frame


def _declared(frame: pd.DataFrame, notes: list[str]) -> int | None:
    crs = getattr(frame, "crs", None) if "geometry" in frame.columns else None
    if crs is None:
        return None
    epsg = identify_epsg(crs)
    if epsg is None:
        name = getattr(crs, "name", "?")
        notes.append(f"文件声明的坐标系“{name}”无法对应到 EPSG 代码，将按坐标判断 / the declared "
                     f"CRS {name!r} matches no EPSG code; it will be detected from coordinates")
    return epsg


def check_vertices(geoms: Any, source: str, row_numbers: np.ndarray | None = None, *,
                   unit: tuple[str, str] = ("个要素", "feature")) -> None:
    """Refuse geometries over the shape limits, counted as soon as they are read (before
    any reprojection, validation or overlay touches them): a feature with more than
    :data:`MAX_FEATURE_VERTICES` vertices (422, naming the first such feature by its
    1-based ``row_numbers`` entry, default its position) or a file with more than
    :data:`MAX_FILE_VERTICES` in all (413). Missing geometries count 0.

    >>> from shapely import LineString
    >>> check_vertices([LineString([(0, 0), (1, 1)]), None], "a.geojson")
    >>> big = LineString([(i, 0) for i in range(MAX_FEATURE_VERTICES + 1)])
    >>> check_vertices([None, big], "a.geojson")
    Traceback (most recent call last):
    ...
    indspace.core.errors.ValidationError: [a.geojson 第 2 个要素 / feature 2] ...
    """
    counts = shapely.get_num_coordinates(np.asarray(geoms, dtype=object))
    over = np.flatnonzero(counts > MAX_FEATURE_VERTICES)
    if len(over):
        i = int(over[0])
        n = int(row_numbers[i]) if row_numbers is not None else i + 1
        more_zh = f"（共 {len(over)} 个超限）" if len(over) > 1 else ""
        more_en = f" ({len(over)} over the limit in all)" if len(over) > 1 else ""
        raise _fail(f"第 {n} {unit[0]}的几何有 {int(counts[i]):,} 个顶点，超过上限 "
                    f"{MAX_FEATURE_VERTICES:,}{more_zh}",
                    f"{unit[1]} {n} has {int(counts[i]):,} vertices, more than "
                    f"{MAX_FEATURE_VERTICES:,}{more_en}",
                    f"{source} 第 {n} {unit[0]} / {unit[1]} {n}",
                    "请简化该几何（如 QGIS“简化”工具，容差 0.1 米）或检查是否误合并了图层",
                    "simplify the geometry (e.g. QGIS Simplify, tolerance 0.1 m) or check "
                    "for wrongly merged features")
    total = int(counts.sum())
    if total > MAX_FILE_VERTICES:
        raise TooLargeError(f"文件的几何共有 {total:,} 个顶点，超过上限 {MAX_FILE_VERTICES:,}",
                            f"the file's geometries have {total:,} vertices, more than "
                            f"{MAX_FILE_VERTICES:,}", where=source,
                            hint_zh="请按区县拆分文件后分批导入",
                            hint_en="split the file by district and import the parts")


def _feature_table(frame: pd.DataFrame, source: str, fmt: str, encoding: str | None,
                   assumed: bool, declared: int | None, notes: list[str]) -> RawTable:
    if len(frame) == 0:
        raise _no_rows(source)
    if "geometry" in frame.columns:
        check_vertices(frame["geometry"].to_numpy(), source)
    if len(frame.columns) - ("geometry" in frame.columns) > MAX_COLUMNS:
        raise _too_many_columns(len(frame.columns) - ("geometry" in frame.columns), source)
    _check_duplicates([str(c) for c in frame.columns], source, fmt)
    frame = frame.reset_index(drop=True)
    return RawTable(frame=frame, source=source, format=fmt, encoding=encoding,
                    encoding_assumed=assumed, declared_epsg=declared,
                    row_numbers=np.arange(1, len(frame) + 1, dtype=np.int64),
                    notes=tuple(notes))


# --------------------------------------------------------------------------- GeoPackage


def _read_gpkg(p: Path, layer: str | None, encoding: str | None) -> RawTable:
    source = str(p)
    notes: list[str] = []
    if encoding is not None:
        notes.append("GeoPackage 文本固定为 UTF-8，已忽略 encoding 参数 / GeoPackage text is "
                     "always UTF-8; the encoding option was ignored")
    layers = _gdal_layers(p, source, "GPKG", "GeoPackage")
    if not layers:
        raise _fail("GeoPackage 中没有图层", "the GeoPackage has no layers", source)
    if layer is None:
        if len(layers) > 1:
            raise _fail(f"GeoPackage 有多个图层：{'、'.join(layers)}，请指定要导入的图层",
                        f"the GeoPackage has several layers ({', '.join(layers)}); choose one",
                        source, "用 --layer 指定图层名", "pass --layer with the layer name")
        layer = layers[0]
    elif layer not in layers:
        raise _fail(f"图层“{layer}”不存在；可用图层：{'、'.join(layers)}",
                    f"layer {layer!r} does not exist; available: {', '.join(layers)}", source)
    source = f"{p}:{layer}"
    frame = _geo_frame(p, source, layer, "GeoPackage", notes)
    return _feature_table(frame, source, "geopackage", None, False, _declared(frame, notes),
                          notes)


# --------------------------------------------------------------------------- GeoJSON


def _strict_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _geojson_bytes(p: Path, encoding: str | None) -> tuple[bytes, str, bool, list[str]]:
    """UTF-8 bytes of a GeoJSON file, the encoding it was in and whether that was assumed."""
    source = str(p)
    data = p.read_bytes()
    notes: list[str] = []
    if encoding is not None:
        codec, note = _user_codec(encoding, source)
        if note:
            notes.append(note)
        try:
            text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
        except UnicodeDecodeError as e:
            raise _decode_error(data, e, encoding, f"{source} line {_line_of(data, e.start)}"
                                ) from None
        return text.encode("utf-8"), _display_encoding(codec), False, notes
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if _strict_decode(data, "utf-8") is not None:
        return data, "UTF-8", False, notes
    gb_text = _strict_decode(data, "gb18030")
    if gb_text is None:
        raise _undetectable(data, source)
    notes.append("GeoJSON 不是 UTF-8，按 GB18030 解码 / the GeoJSON is not UTF-8; decoded as "
                 "GB18030")
    return gb_text.encode("utf-8"), "GB18030", True, notes


def _read_geojson(p: Path, layer: str | None, encoding: str | None) -> RawTable:
    source = str(p)
    data, enc, assumed, notes = _geojson_bytes(p, encoding)
    layers = _gdal_layers(data, source, "GeoJSON", "GeoJSON")
    if not layers:
        raise _fail("GeoJSON 中没有图层", "the GeoJSON has no layer", source)
    _check_single_layer(p, layer, layers, source)
    frame = _geo_frame(io.BytesIO(data), source, None, "GeoJSON", notes)
    declared = _declared(frame, notes)
    if b'"crs"' not in data:
        # RFC 7946 GeoJSON is WGS 84 by definition; the file itself declares nothing
        declared = None
        notes.append("GeoJSON 未声明 crs，将按坐标判断（RFC 7946 规定为 WGS 84 经纬度）"
                     " / the GeoJSON declares no crs; it will be detected from the coordinates "
                     "(RFC 7946 means WGS 84 longitude/latitude)")
    return _feature_table(frame, source, "geojson", enc, assumed, declared, notes)


# --------------------------------------------------------------------------- Shapefile


class _Undecodable(Exception):
    def __init__(self, row: int | None, field: bytes) -> None:
        super().__init__(row, field)
        self.row = row
        self.field = field


def _cpg_codec(text: str) -> str | None:
    """Python codec named by a .cpg file (ESRI code page names included), None if unknown."""
    t = text.strip().strip("\x00").upper()
    if not t:
        return None
    if t.startswith("ANSI ") or t.startswith("OEM "):
        t = t.split()[-1]
    if t.isdigit():
        t = {"65001": "UTF-8", "936": "GBK", "54936": "GB18030", "950": "BIG5",
             "88591": "ISO-8859-1"}.get(t, t if t.startswith("8859") else "CP" + t)
        if t.startswith("8859") and len(t) > 4:
            t = "ISO-8859-" + t[4:]
    try:
        return codecs.lookup(t).name
    except (LookupError, ValueError):  # ValueError: NUL inside the name
        return None


def _dbf_widths(dbf: Path | None) -> list[int] | None:
    """Byte widths of the DBF fields, in order; None if the header cannot be parsed."""
    if dbf is None:
        return None
    try:
        with dbf.open("rb") as f:
            head = f.read(32)
            if len(head) < 32:
                return None
            header_len = int.from_bytes(head[8:10], "little")
            rest = f.read(max(header_len - 32, 0))
    except OSError:
        return None
    widths = []
    for off in range(0, len(rest) - 31, 32):
        desc = rest[off:off + 32]
        if desc[0] == 0x0D:
            break
        widths.append(desc[16])
    return widths


def _decode_cut(b: bytes, codec: str, width: int | None) -> str | None:
    """Decode a value that fills its DBF field and ends in half a multi-byte character."""
    if width is None or len(b) < width:
        return None
    try:
        b.decode(codec)
    except UnicodeDecodeError as e:
        if e.start < len(b) - 3 or e.end != len(b):
            return None
        try:
            return b[:e.start].decode(codec)
        except UnicodeDecodeError:
            return None
    return None


def _decode_or_cut(b: bytes, codec: str, width: int | None, row: int | None, field: bytes
                   ) -> tuple[str, bool]:
    """Decode ``b``; a field cut mid-character at the DBF width keeps its whole characters.
    Returns (text, whether it was cut); raises :class:`_Undecodable` when neither works."""
    try:
        return b.decode(codec), False
    except UnicodeDecodeError:
        text = _decode_cut(b, codec, width)
        if text is None:
            raise _Undecodable(row, field) from None
        return text, True


def _decode_column(raw: pd.Series, codec: str, width: int | None,
                   field: bytes) -> tuple[pd.Series, int]:
    """Decode a column of bytes strictly (cut last characters tolerated); count the cuts."""
    try:
        return raw.str.decode(codec), 0
    except UnicodeDecodeError:
        pass
    values: list[Any] = []
    cut = 0
    for i, b in enumerate(raw.to_numpy()):
        if not isinstance(b, bytes):
            values.append(b)
            continue
        text, was_cut = _decode_or_cut(b, codec, width, i, field)
        values.append(text)
        cut += was_cut
    return pd.Series(values, index=raw.index, dtype="str"), cut


def _decode_dbf(names: list[bytes], raw: dict[int, pd.Series], widths: list[int] | None,
                codec: str) -> tuple[list[str], dict[int, pd.Series], int]:
    out_names = []
    cut = 0
    for b in names:
        text, was_cut = _decode_or_cut(b, codec, _DBF_NAME_BYTES, None, b)
        out_names.append(text)
        cut += was_cut
    cols = {}
    for i, series in raw.items():
        width = widths[i] if widths is not None and i < len(widths) else None
        cols[i], n = _decode_column(series, codec, width, names[i])
        cut += n
    return out_names, cols, cut


def _read_shapefile(shp: Path, source: str, encoding: str | None) -> RawTable:
    """Read a .shp (maybe a copy extracted from a .zip; ``source`` names the user's file)."""
    notes: list[str] = []
    shx, dbf, cpg = (_sibling(shp, s) for s in (".shx", ".dbf", ".cpg"))
    for part, found in ((".shx", shx), (".dbf", dbf)):
        if found is None:
            raise _fail(f"缺少 Shapefile 的 {part} 文件", f"the shapefile's {part} file is missing",
                        source, f"请把同名的 {part} 放在 .shp 旁边（Shapefile 由 .shp、.shx、.dbf、"
                        ".prj、.cpg 多个文件组成）", f"put the {part} with the same name next to "
                        "the .shp (a shapefile is several files: .shp, .shx, .dbf, .prj, .cpg)")
    if _sibling(shp, ".prj") is None:
        notes.append("缺少 .prj，坐标系将按坐标判断 / no .prj; the CRS will be detected from the "
                     "coordinates")

    frame = _geo_frame(shp, source, None, "Shapefile", notes, encoding="ISO-8859-1")
    attrs = [c for c in frame.columns if c != "geometry"]  # GDAL keeps them first, in order
    try:
        names = [str(c).encode("latin-1") for c in attrs]
        raw = {i: frame.iloc[:, i].str.encode("latin-1") for i in range(len(attrs))
               if pd.api.types.infer_dtype(frame.iloc[:, i], skipna=True) == "string"}
    except (UnicodeEncodeError, AttributeError, TypeError) as e:  # pragma: no cover
        raise _unreadable(source, "Shapefile", "Shapefile", e) from e
    widths = _dbf_widths(dbf)
    if widths is not None and len(widths) != len(attrs):
        widths = None

    # candidate encodings, in order
    assumed = True
    candidates: list[str]
    if encoding is not None:
        codec, note = _user_codec(encoding, source)
        candidates, assumed = [codec], False
        if note:
            notes.append(note)
    else:
        cpg_text = ""
        if cpg is not None:
            try:
                cpg_text = cpg.read_bytes()[:100].decode("ascii", "replace")
            except OSError:
                cpg_text = ""
        declared = _cpg_codec(cpg_text) if cpg is not None else None
        if cpg is not None and declared is None:
            notes.append(f".cpg 内容“{cpg_text.strip()}”无法识别，按内容判断编码 / the .cpg "
                         f"content {cpg_text.strip()!r} is not an encoding name; detecting")
        if declared is not None:
            codec = "gb18030" if declared in _GBK_FAMILY else declared
            candidates, assumed = [codec], False
        else:
            candidates = ["utf-8", "gb18030"]

    chosen: str | None = None
    failures: list[_Undecodable] = []
    new_names: list[str] = []
    cols: dict[int, pd.Series] = {}
    cut = 0
    for codec in candidates:
        try:
            new_names, cols, cut = _decode_dbf(names, raw, widths, codec)
            chosen = codec
            break
        except _Undecodable as exc:
            failures.append(exc)
    if chosen is None and encoding is None and not assumed:
        # the .cpg is wrong: fall back to detection
        bad = candidates[0]
        for codec in ("utf-8", "gb18030"):
            if codec == bad:
                continue
            try:
                new_names, cols, cut = _decode_dbf(names, raw, widths, codec)
                chosen = codec
                assumed = True
                bad_name, new_name = _display_encoding(bad), _display_encoding(codec)
                notes.append(f".cpg 声明 {bad_name}，但内容不是合法的 {bad_name}，改按 "
                             f"{new_name} 解码 / the .cpg declares {bad_name} but the content "
                             f"is not valid {bad_name}; decoded as {new_name}")
                break
            except _Undecodable as exc:
                failures.append(exc)
    if chosen is None:
        first = failures[0]
        field = first.field.decode(candidates[0], "replace")
        where = (f"{source} row {first.row + 1}, field {field}" if first.row is not None
                 else f"{source} field {field}")
        tried = "、".join(_display_encoding(c)
                         for c in dict.fromkeys([*candidates, "utf-8", "gb18030"]))
        if encoding is not None:
            raise _fail(f"无法按指定的编码 {encoding} 解码属性表（.dbf）",
                        f"the attribute table (.dbf) cannot be decoded as {encoding}", where,
                        "请确认编码，或不指定编码让系统自动判断",
                        "check the encoding, or omit it to let it be detected")
        raise _fail(f"无法识别属性表（.dbf）的文字编码（已尝试 {tried}）",
                    f"cannot tell the text encoding of the attribute table (.dbf) (tried "
                    f"{tried.replace('、', ', ')})", where,
                    "请用 --encoding 指定编码（如 GBK、UTF-8、BIG5）",
                    "pass --encoding (e.g. GBK, UTF-8, BIG5)")

    enc_name = _display_encoding(chosen)
    if encoding is None and cpg is None and (raw or any(max(n, default=0) >= 0x80
                                                         for n in names)):
        notes.append(f"未找到 .cpg，按 {enc_name} 解码 / no .cpg found, decoded as {enc_name}")
    if cut:
        notes.append(f"{cut} 个字段名或值在 DBF 宽度处截断了半个汉字，已去掉残缺字节 / {cut} field "
                     "names or values were cut inside a character at the DBF width; the partial "
                     "bytes were dropped")
    for i, series in cols.items():
        frame.isetitem(i, series)
    frame.columns = [*new_names, *(["geometry"] if "geometry" in frame.columns else [])]
    return _feature_table(frame, source, "shapefile", enc_name, assumed,
                          _declared(frame, notes), notes)


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Member name of a zip; names without the UTF-8 flag are tried as UTF-8, then GB18030."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def _zip_shapefiles(p: Path) -> dict[str, dict[str, zipfile.ZipInfo]]:
    """Shapefiles in a zip: layer name → {".shp": info, ".dbf": info, …}."""
    source = str(p)
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as e:
        raise _unreadable(source, "ZIP", "zip", e) from e
    parts: dict[str, dict[str, zipfile.ZipInfo]] = {}
    for info in infos:
        name = _zip_name(info)
        if info.is_dir() or name.startswith("__MACOSX/") or "/." in f"/{name}":
            continue
        stem, dot, ext = name.rpartition(".")
        if not dot:
            continue
        parts.setdefault(stem, {})["." + ext.lower()] = info
    layers = {stem: p_ for stem, p_ in parts.items() if ".shp" in p_}
    if not layers:
        raise _fail("压缩包中没有 Shapefile（.shp）", "the zip holds no shapefile (.shp)", source,
                    "请把 .shp、.shx、.dbf、.prj、.cpg 一起压缩", "zip the .shp with its .shx, "
                    ".dbf, .prj and .cpg")
    return layers


def _renamed(e: ValidationError, old: str, new: str) -> ValidationError:
    def fix(text: str | None) -> str | None:
        return None if text is None else text.replace(old + ".shp", new).replace(old, new)
    return type(e)(fix(e.message_zh) or "", fix(e.message_en) or "", where=fix(e.where),
                   hint_zh=e.hint_zh, hint_en=e.hint_en)


def _read_zip(p: Path, layer: str | None, encoding: str | None) -> RawTable:
    layers = _zip_shapefiles(p)
    names = list(layers)
    if layer is None:
        if len(names) > 1:
            raise _fail(f"压缩包中有多个 Shapefile：{'、'.join(names)}，请指定要导入的图层",
                        f"the zip holds several shapefiles ({', '.join(names)}); choose one",
                        str(p), "用 --layer 指定图层名", "pass --layer with the layer name")
        layer = names[0]
    elif layer not in layers:
        raise _fail(f"图层“{layer}”不存在；压缩包中的图层：{'、'.join(names)}",
                    f"layer {layer!r} does not exist; the zip holds: {', '.join(names)}", str(p))
    members = layers[layer]
    source = f"{p}:{layer}"
    total = sum(info.file_size for info in members.values())
    if total > _MAX_ZIP_BYTES:
        raise _fail("压缩包内的 Shapefile 过大", "the shapefile inside the zip is too large",
                    source, "请解压后直接导入 .shp", "unzip it and import the .shp")
    with tempfile.TemporaryDirectory(prefix="indspace-zip-") as tmp:
        try:
            with zipfile.ZipFile(p) as zf:
                for ext, info in members.items():
                    if ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                        (Path(tmp) / f"layer{ext}").write_bytes(zf.read(info))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
                RuntimeError) as e:  # RuntimeError: encrypted member
            raise _unreadable(source, "ZIP", "zip", e) from e
        try:
            return _read_shapefile(Path(tmp) / "layer.shp", source, encoding)
        except ValidationError as e:  # GDAL messages name the temporary copy
            raise _renamed(e, str(Path(tmp) / "layer"), f"{p}:{layer}") from None


# --------------------------------------------------------------------------- text decoding


def _decode_error(data: bytes, e: UnicodeDecodeError, encoding: str,
                  where: str) -> ValidationError:
    line = _line_of(data, e.start)
    return _fail(f"无法按指定的编码 {encoding} 解码文件（第 {line} 行有非法字节）",
                 f"the file cannot be decoded as {encoding} (invalid bytes on line {line})", where,
                 "请确认编码，或不指定编码让系统自动判断",
                 "check the encoding, or omit it to let it be detected")


def _undetectable(data: bytes, source: str) -> ValidationError:
    try:
        data.decode("utf-8")
        line = 1
    except UnicodeDecodeError as e:
        line = _line_of(data, e.start)
    return _fail("无法识别文件的文字编码：既不是 UTF-8，也不是 GBK/GB18030",
                 "cannot tell the text encoding: the file is neither UTF-8 nor GBK/GB18030",
                 f"{source} line {line}",
                 "请另存为 UTF-8 编码，或用 --encoding 指定编码",
                 "save it as UTF-8, or pass --encoding")


def _decode_text(data: bytes, encoding: str | None, source: str,
                 notes: list[str]) -> tuple[str, str, bool]:
    """Decode a text file: returns text, encoding name and whether it was assumed."""
    if encoding is not None:
        codec, note = _user_codec(encoding, source)
        if note:
            notes.append(note)
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        try:
            return data.decode(codec), _display_encoding(codec), False
        except UnicodeDecodeError as e:
            raise _decode_error(data, e, encoding,
                                f"{source} line {_line_of(data, e.start)}") from None
    if data.startswith(codecs.BOM_UTF8):
        text = _strict_decode(data, "utf-8-sig")
        if text is None:
            raise _undetectable(data, source)
        return text, "UTF-8-SIG", False
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _strict_decode(data, "utf-16")
        if text is None:
            raise _undetectable(data, source)
        return text, "UTF-16", False
    text = _strict_decode(data, "utf-8")
    if text is not None:
        notes.append("未发现 BOM，按 UTF-8 解码 / no BOM; decoded as UTF-8")
        return text, "UTF-8", True
    text = _strict_decode(data, "gb18030")
    if text is not None:
        notes.append("文件不是 UTF-8，按 GB18030（GBK 的超集）解码 / the file is not UTF-8; "
                     "decoded as GB18030 (superset of GBK)")
        return text, "GB18030", True
    raise _undetectable(data, source)


# --------------------------------------------------------------------------- grids (CSV, XLSX)


def _too_many_columns(n: int, where: str) -> ValidationError:
    return _fail(f"列数过多：表头有 {n:,} 列，最多允许 {MAX_COLUMNS:,} 列",
                 f"too many columns: the header has {n:,}, at most {MAX_COLUMNS:,} are allowed",
                 where, "请只保留需要导入的列（各数据类型的交换格式不超过 30 列）",
                 "keep only the columns to import (each kind's exchange format has at most 30)")


def _grid_table(header: list[str], body: list[list[str]], rownums: list[int], source: str,
                fmt: str, encoding: str | None, assumed: bool, notes: list[str], *,
                rejected: pd.DataFrame | None = None, physical_lines: int | None = None,
                rejected_lines: int = 0) -> RawTable:
    """Build a RawTable of strings from a header row and data rows (row 1 = header)."""
    if not any(h.strip() for h in header):
        raise _fail("表头行（第 1 行）为空", "the header row (row 1) is empty", f"{source} row 1",
                    "第 1 行应为字段名，请删除表头上方的标题或空行",
                    "row 1 must hold the field names; delete any title or blank rows above it")
    width = max([len(header), *(len(r) for r in body)]) if body else len(header)
    header = header + [""] * (width - len(header))
    keep: list[int] = []
    for j, name in enumerate(header):
        if name.strip():
            keep.append(j)
            continue
        for r, row in zip(rownums, body, strict=True):
            if j < len(row) and row[j].strip():
                col = _column_label(j, fmt)
                raise _fail(f"第 {col} 列有数据但没有表头（字段名）",
                            f"column {col} has data but no header", f"{source} row {r}",
                            "请在第 1 行补上字段名，或删除该列；如表头上方有标题行，请删除标题行",
                            "add a field name in row 1 or delete the column; if a title row "
                            "sits above the header, delete it")
    names = [header[j] for j in keep]
    kept = set(keep)
    _check_duplicates([header[j] if j in kept else f"\x00{j}" for j in range(width)],
                      source, fmt)
    kept_rows: list[list[str]] = []
    kept_nums: list[int] = []
    blank = 0
    for r, row in zip(rownums, body, strict=True):
        if not any(c.strip() for c in row):
            blank += 1
            continue
        cells = [row[j] if j < len(row) else "" for j in keep]
        kept_rows.append(cells)
        kept_nums.append(r)
    if blank:
        notes.append(f"跳过 {blank} 个空行 / skipped {blank} blank rows")
    if rejected is None:
        rejected = pd.DataFrame(columns=list(ISSUE_COLUMNS))
    if not kept_rows:
        if len(rejected):
            first = rejected.iloc[0]
            raise _fail(f"没有可导入的数据行：{first['message_zh']}",
                        f"no data row could be read: {first['message_en']}",
                        f"{source} line {int(first['source_row'])}",
                        str(first["hint_zh"]), str(first["hint_en"]))
        raise _no_rows(source)
    columns = list(zip(*kept_rows, strict=True))
    frame = pd.DataFrame({i: pd.Series(col, dtype="str") for i, col in enumerate(columns)})
    frame.columns = pd.Index(names, dtype=object)
    return RawTable(frame=frame, source=source, format=fmt, encoding=encoding,
                    encoding_assumed=assumed, declared_epsg=None,
                    row_numbers=np.asarray(kept_nums, dtype=np.int64), notes=tuple(notes),
                    rejected=rejected, physical_lines=physical_lines, blank_lines=blank,
                    rejected_lines=rejected_lines)


def _delimiter(text: str, p: Path, notes: list[str]) -> str:
    first = text.split("\n", 1)[0]
    if "\t" in first and ("," not in first or p.suffix.lower() == ".txt"):
        notes.append("按制表符分隔读取 / read as tab-separated")
        return "\t"
    if ";" in first and "," not in first:
        notes.append("按分号分隔读取 / read as semicolon-separated")
        return ";"
    return ","


class _LineIssues:
    """Issues of lines refused while reading, as rows of :data:`ISSUE_COLUMNS`."""

    def __init__(self) -> None:
        self.records: list[tuple[Any, ...]] = []
        self.lines = 0

    def add(self, line: int, code: str, value: str, span: int = 1, **params: Any) -> None:
        zh, en, hint_zh, hint_en = render(code, **params)
        self.records.append((line, "", code, RULES[code].severity, zh, en, hint_zh, hint_en,
                             value[:200] + ("…" if len(value) > 200 else "")))
        self.lines += span

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.records, columns=list(ISSUE_COLUMNS))
        df["source_row"] = df["source_row"].astype(np.int64)
        for c in ISSUE_COLUMNS[1:]:
            df[c] = df[c].astype(object)
        return df


def _split_lines(data: bytes) -> list[bytes]:
    """Physical lines of ``data`` without their terminators (LF, CRLF, or CR alone)."""
    sep = b"\n" if b"\n" in data or b"\r" not in data else b"\r"
    lines = data.split(sep)
    if lines and lines[-1] == b"":
        lines.pop()            # a final line break does not start a line
    if sep == b"\n":
        lines = [b[:-1] if b.endswith(b"\r") else b for b in lines]
    return lines


def _ascii_compatible(codec: str) -> bool:
    try:
        return "a,\n".encode(codec) == b"a,\n"
    except (LookupError, UnicodeError):
        return False


def _csv_lines(data: bytes, encoding: str | None, source: str, notes: list[str]
               ) -> tuple[list[str], dict[int, tuple[str, str]], str, bool]:
    """Decode a CSV line by line.

    Returns the text of each physical line, the lines that cannot be read (index →
    bilingual reason: bytes invalid in the file's encoding, a line in another encoding than
    the rest, NUL bytes), the encoding name and whether it was assumed. A line that cannot
    be decoded is refused alone; the header line failing refuses the file.
    """
    bad: dict[int, tuple[str, str]] = {}
    if encoding is None and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, enc, assumed = _decode_text(data, None, source, notes)
        lines = text.replace("\r\n", "\n").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
    else:
        if encoding is not None:
            codec, note = _user_codec(encoding, source)
            if note:
                notes.append(note)
            if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
                codec, data = "utf-8-sig", data[len(codecs.BOM_UTF8):]
            if not _ascii_compatible(codec):      # UTF-16 without BOM and the like
                text, enc, assumed = _decode_text(data, encoding, source, notes)
                lines = text.replace("\r\n", "\n").split("\n")
                if lines and lines[-1] == "":
                    lines.pop()
                return lines, _nul_lines(lines, bad), enc, assumed
            enc, assumed = _display_encoding(codec), False
            codec = "utf-8" if codec == "utf-8-sig" else codec
        elif data.startswith(codecs.BOM_UTF8):
            data, codec, enc, assumed = data[len(codecs.BOM_UTF8):], "utf-8", "UTF-8-SIG", False
        else:
            codec, enc, assumed = "", "", True
        raw = _split_lines(data)
        if not codec:
            codec = _detect_codec(raw, notes)
            enc = _display_encoding(codec)
        lines = []
        other = "gb18030" if codec == "utf-8" else "utf-8"
        for i, b in enumerate(raw):
            try:
                lines.append(b.decode(codec))
            except UnicodeDecodeError:
                lines.append(b.decode(codec, "replace"))
                in_other = _strict_decode(b, other) is not None
                if i == 0:
                    if encoding is not None:
                        e = UnicodeDecodeError(codec, b, 0, 1, "invalid")
                        raise _decode_error(data, e, encoding, f"{source} line 1") from None
                    raise _undetectable(b, source) from None
                bad[i] = ((f"不是 {enc} 编码" + ("，像是 " + _display_encoding(other) + " 编码"
                                                  if in_other else "")),
                          (f"not valid {enc}" + (f"; it looks like {_display_encoding(other)}"
                                                  if in_other else "")))
            else:
                if (encoding is None and codec == "gb18030" and not b.isascii()
                        and _strict_decode(b, "utf-8") is not None and _mixed(notes)):
                    bad[i] = ("这一行是 UTF-8 编码，而文件其余部分是 GB18030/GBK",
                              "this line is UTF-8 while the rest of the file is GB18030/GBK")
    return lines, _nul_lines(lines, bad), enc, assumed


_MIXED_NOTE = "文件混有 UTF-8 与 GBK/GB18030 编码的行"


def _mixed(notes: list[str]) -> bool:
    return any(n.startswith(_MIXED_NOTE) for n in notes)


def _detect_codec(raw: list[bytes], notes: list[str]) -> str:
    """UTF-8 when every line is UTF-8; else the encoding of most non-ASCII lines (UTF-8 or
    GB18030), noting a file that mixes the two."""
    utf8 = gbk = 0
    for b in raw:
        if b.isascii():
            continue
        if _strict_decode(b, "utf-8") is not None:
            utf8 += 1
        else:
            gbk += 1
    if not gbk:
        notes.append("未发现 BOM，按 UTF-8 解码 / no BOM; decoded as UTF-8")
        return "utf-8"
    if not utf8:
        notes.append("文件不是 UTF-8，按 GB18030（GBK 的超集）解码 / the file is not UTF-8; "
                     "decoded as GB18030 (superset of GBK)")
        return "gb18030"
    codec = "utf-8" if utf8 >= gbk else "gb18030"
    name = _display_encoding(codec)
    notes.append(f"{_MIXED_NOTE}（UTF-8 {utf8} 行，GBK {gbk} 行），按多数的 {name} 读取，"
                 f"其余行不导入 / the file mixes UTF-8 ({utf8} lines) and GBK ({gbk} lines) "
                 f"lines: read as {name}, the others are not imported")
    return codec


def _nul_lines(lines: list[str], bad: dict[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    for i, text in enumerate(lines):
        if "\x00" in text and i not in bad:
            bad[i] = ("含空字符 NUL（\\x00）", "NUL characters (\\x00)")
    return bad


def _parse_line(text: str, sep: str) -> tuple[list[str] | None, str, str]:
    """One physical line as a CSV record on its own, or None with the reason (zh, en)."""
    if text.count('"') % 2:
        return (None, "引号未闭合（或值中有未成对的引号）",
                "an unclosed quote (or an unpaired quote)")
    if len(text) > _CSV_FIELD_LIMIT and max(map(len, text.split(sep))) > _CSV_FIELD_LIMIT:
        return (None, f"单元格超过 {_CSV_FIELD_LIMIT:,} 个字符",
                f"a cell longer than {_CSV_FIELD_LIMIT:,} characters")
    try:
        return next(csv.reader((text,), delimiter=sep, strict=True), []), "", ""
    except csv.Error as e:
        return None, f"引号使用不正确（{_short(e)}）", f"misplaced quotes ({_short(e)})"


def _fits(fields: list[str], width: int) -> bool:
    """A record with the header's fields (extra fields are fine while empty)."""
    return len(fields) == width or (len(fields) > width
                                    and not any(f.strip() for f in fields[width:]))


def _span(lines: list[str], i: int, sep: str, width: int,
          bad: dict[int, tuple[str, str]]) -> int | None:
    """Last line of a record that starts at line ``i`` with an open quote and closes on a
    later line into a record of the header's width — unless a line in between is a
    well-formed row on its own (then that line is where reading resynchronises)."""
    parts = [lines[i]]
    quotes = lines[i].count('"')
    for j in range(i + 1, min(len(lines), i + _MAX_SPAN_LINES)):
        if j in bad:
            return None
        alone, _, _ = _parse_line(lines[j], sep)
        if alone is not None and len(alone) > 1 and _fits(alone, width):
            return None
        parts.append(lines[j])
        quotes += lines[j].count('"')
        if quotes % 2 == 0:
            try:
                rec = next(csv.reader(("\n".join(parts),), delimiter=sep, strict=True), [])
            except csv.Error:
                return None
            return j if _fits(rec, width) else None
    return None


_OTHER_DELIMITERS = (",", ";", "\t", "|")


def _wrong_delimiter(text: str, sep: str, width: int) -> str | None:
    for d in _OTHER_DELIMITERS:
        if d != sep and len(text.split(d)) >= width:
            return d
    return None


def _show_delimiter(d: str) -> str:
    return {"\t": "制表符 tab", ",": "逗号 ,", ";": "分号 ;", "|": "竖线 |"}[d]


def _read_csv(p: Path, encoding: str | None) -> RawTable:
    """Read a CSV one physical line at a time.

    A line that is not a well-formed record on its own (unclosed or unpaired quote, a cell
    spanning lines), has more non-empty fields than the header or fewer because it uses
    another delimiter, holds NUL bytes or bytes of another encoding is refused with its line
    number, and reading goes on with the next line; a record spanning lines is refused with
    all its lines. A line never swallows the lines after it.
    """
    source = str(p)
    notes: list[str] = []
    data = p.read_bytes()
    lines, bad, enc, assumed = _csv_lines(data, encoding, source, notes)
    if not lines or not lines[0].strip():
        raise _fail("表头行（第 1 行）为空", "the header row (line 1) is empty", f"{source} row 1",
                    "第 1 行应为字段名", "line 1 must hold the field names")
    if 0 in bad:
        zh, en = bad[0]
        raise _fail(f"表头行（第 1 行）无法读取：{zh}", f"the header line (line 1) cannot be "
                    f"read: {en}", f"{source} line 1", "请另存为 UTF-8 编码的 CSV",
                    "save it as CSV (UTF-8)")
    sep = _delimiter(lines[0], p, notes)
    if lines[0].count(sep) + 1 > MAX_COLUMNS:
        raise _too_many_columns(lines[0].count(sep) + 1, f"{source} line 1")
    header, zh, en = _parse_line(lines[0], sep)
    if header is None:
        raise _fail(f"CSV 表头行格式错误：{zh}", f"malformed CSV header line: {en}",
                    f"{source} line 1", "请检查引号是否成对，或在表格软件中打开后重新另存为 CSV",
                    "check that quotes are paired, or re-save it as CSV from a spreadsheet")
    if len(header) > MAX_COLUMNS:
        raise _too_many_columns(len(header), f"{source} line 1")
    width = len(header)
    issues = _LineIssues()
    body: list[list[str]] = []
    nums: list[int] = []
    i = 1
    while i < len(lines):
        line, text = i + 1, lines[i]
        if i in bad:
            zh, en = bad[i]
            issues.add(line, "E129", text, detail_zh=zh, detail_en=en)
            i += 1
            continue
        fields, zh, en = _parse_line(text, sep)
        if fields is None:
            end = _span(lines, i, sep, width, bad) if text.count('"') % 2 else None
            if end is not None:
                issues.add(line, "E127", "\n".join(lines[i:end + 1]), span=end - i + 1,
                           lines=f"{line}–{end + 1}", detail_zh=f"单元格跨 {end - i + 1} 行",
                           detail_en=f"a cell spans {end - i + 1} lines")
                i = end + 1
                continue
            issues.add(line, "E127", text, lines=str(line), detail_zh=zh, detail_en=en)
            i += 1
            continue
        if len(fields) > width and any(f.strip() for f in fields[width:]):
            issues.add(line, "E128", text, found=len(fields), expected=width,
                       detail_zh="多出的字段有值，可能是值中含未加引号的分隔符",
                       detail_en="the extra fields hold values: an unquoted delimiter "
                                 "inside a value?")
        elif (width > 1 and len(fields) < width and any(f.strip() for f in fields)
              and (d := _wrong_delimiter(text, sep, width)) is not None):
            issues.add(line, "E128", text, found=len(fields), expected=width,
                       detail_zh=f"该行似乎用{_show_delimiter(d)}分隔，表头用"
                                 f"{_show_delimiter(sep)}",
                       detail_en=f"the line seems separated by {_show_delimiter(d)}, the "
                                 f"header by {_show_delimiter(sep)}")
        else:
            body.append(fields[:width])
            nums.append(line)
        i += 1
    return _grid_table(header, body, nums, source, "csv", enc, assumed, notes,
                       rejected=issues.frame(), physical_lines=len(lines),
                       rejected_lines=issues.lines)


# --------------------------------------------------------------------------- Excel


def _import_openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:
        raise IndspaceError("读取 Excel (.xlsx) 需要安装 openpyxl",
                            "reading Excel (.xlsx) needs the openpyxl package",
                            hint_zh="请安装 openpyxl，或把表格另存为 CSV (UTF-8)",
                            hint_en="install openpyxl, or save the sheet as CSV (UTF-8)") from None
    return openpyxl


_PERCENT = re.compile(r"0(?:\.(0+))?%")


def _cell_text(cell: Any) -> str:
    """A cell value as Excel shows it in the General style (dates ISO, no '.0' on integers).

    Percent formats ("0%", "0.00%") are rendered as Excel shows them ("35.00%"), as a
    "save as CSV" would; other number formats (thousands separators, decimals) are not.
    """
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, int | float):
        fmt = getattr(cell, "number_format", None) or ""
        m = _PERCENT.search(fmt) if "%" in fmt else None
        if m is not None:
            decimals = len(m.group(1) or "")
            return f"{float(value) * 100:.{decimals}f}%"
        if isinstance(value, int):
            return str(value)
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return f"{value:.15g}"
    return str(value)


def _read_xlsx(p: Path, sheet: str | None, encoding: str | None) -> RawTable:
    base = str(p)
    notes: list[str] = []
    if encoding is not None:
        notes.append("Excel 文件无需指定编码，已忽略 encoding 参数 / Excel files need no encoding; "
                     "the encoding option was ignored")
    with p.open("rb") as f:
        magic = f.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise _fail("这是旧版 Excel (.xls) 文件，只是扩展名为 .xlsx",
                    "this is an old Excel (.xls) file with an .xlsx extension", base,
                    *_UNSUPPORTED_HINTS[".xls"])
    openpyxl = _import_openpyxl()
    try:
        with _collect_warnings(notes):
            wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as e:
        raise _unreadable(base, "Excel", "Excel", e) from e
    try:
        names = list(wb.sheetnames)
        if not names:
            raise _fail("Excel 文件中没有工作表", "the workbook has no sheets", base)
        if sheet is None:
            sheet = names[0]
        elif sheet not in names:
            raise _fail(f"工作表“{sheet}”不存在；可用工作表：{'、'.join(names)}",
                        f"sheet {sheet!r} does not exist; available: {', '.join(names)}", base)
        source = f"{base}:{sheet}"
        ws = wb[sheet]
        if not hasattr(ws, "iter_rows"):
            raise _fail("该工作表是图表，不是数据表", "this sheet is a chart, not a table", source)
        try:
            with _collect_warnings(notes):
                if hasattr(ws, "reset_dimensions"):
                    ws.reset_dimensions()
                grid: list[list[str]] = []
                rownums: list[int] = []
                for i, row in enumerate(ws.iter_rows(), start=1):
                    number = next((c.row for c in row if getattr(c, "row", None)), i)
                    cells = [_cell_text(c) for c in row]
                    if i == 1:
                        width = max((j + 1 for j, c in enumerate(cells) if c.strip()),
                                    default=0)
                        if width > MAX_COLUMNS:
                            raise _too_many_columns(width, f"{source} row 1")
                    grid.append(cells)
                    rownums.append(number)
        except IndspaceError:
            raise
        except Exception as e:
            raise _unreadable(source, "Excel", "Excel", e) from e
    finally:
        wb.close()
    if not grid or rownums[0] != 1:
        raise _fail("表头行（第 1 行）为空", "the header row (row 1) is empty", f"{source} row 1",
                    "第 1 行应为字段名，请删除表头上方的标题或空行",
                    "row 1 must hold the field names; delete any title or blank rows above it")
    return _grid_table(grid[0], grid[1:], rownums[1:], source, "xlsx", None, False, notes)
