"""Import one file (or a folder of files) into the store — the use case of issue #4.

read (``ingest.readers``) → CRS decision and transform (``core.geo.crs_detect``) → header
aliases and validation (``ingest.aliases``, ``ingest.validate``) → report (``ingest.report``)
→ one store transaction (``store.upsert.apply_import``): valid rows land, rejected rows go to
the quarantine with their reasons, and the run is recorded. ``strict`` refuses the whole file
on any error. A file is identified by its SHA-256 (with its Shapefile side files).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from indspace.core.clock import local_day
from indspace.core.errors import ValidationError
from indspace.core.geo.crs_detect import detect_crs, to_crs
from indspace.core.model.entities import ENTITIES
from indspace.ingest.aliases import resolve_headers, table_for
from indspace.ingest.readers import RawTable, check_vertices, read_table
from indspace.ingest.report import write_report
from indspace.ingest.validate import KEEP_ON_UPDATE, ValidationContext, validate
from indspace.services._collector import collector_paused as _collector_paused
from indspace.services.import_scope import check_officer_import, within_district
from indspace.settings import deployment
from indspace.store import Store
from indspace.store.upsert import apply_import, record_rejected_run

Mode = Literal["upsert", "replace"]
BUNDLE_ORDER = (
    "enterprises",
    "parks",
    "control-lines",
    "parcels",
    "buildings",
    "occupancy",
    "indicators",
    "designations",
    "plans",
    "contracts",
    "contract-events",
    "demands",
    "transactions",
)
"""Kinds in dependency order: referenced records first."""
_SIDE_FILES = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass
class ImportResult:
    """What one import did; ``to_json`` is the CLI's ``--json`` object."""

    import_id: str
    kind: str
    source: str
    status: Literal["committed", "rejected"]
    rows_read: int
    accepted: int
    rejected: int
    warnings: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    crs: str | None = None
    crs_source: str | None = None
    encoding: str | None = None
    encoding_assumed: bool = False
    report: str | None = None
    report_xlsx: str | None = None
    notes: list[str] = field(default_factory=list)
    lines: int | None = None
    """CSV: physical lines of the file (header, blank lines and lines of rejected records
    included); None for the other formats."""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def file_sha256(path: Path) -> str:
    """SHA-256 over the file (and, for a Shapefile, its side files in a fixed order)."""
    h = hashlib.sha256()
    paths = (
        [path.with_suffix(s) for s in _SIDE_FILES if path.with_suffix(s).exists()]
        if path.suffix.lower() == ".shp"
        else [path]
    )
    for p in paths:
        h.update(p.suffix.encode())
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _geometry(raw: RawTable, kind: str) -> tuple[np.ndarray, str | None]:
    """Geometries of a spatial kind: the file's own, or WKT from a ``wkt`` column (CSV/XLSX
    exports). Returns (geometries, name of the WKT column used)."""
    frame = raw.frame
    if "geometry" in frame.columns:
        return np.asarray(frame["geometry"], dtype=object), None
    for name in frame.columns:
        if str(name).strip().lower() in ("wkt", "geometry_wkt", "几何"):
            text = frame[name].replace("", None)
            try:
                geoms = shapely.from_wkt(text.to_numpy(dtype=object), on_invalid="ignore")
            except shapely.errors.ShapelyError:  # pragma: no cover - on_invalid ignores
                break
            check_vertices(geoms, raw.source, raw.row_numbers, unit=("行", "row"))
            return geoms, name
    raise ValidationError(
        f"{kind} 文件没有几何",
        f"the {kind} file has no geometry",
        where=raw.source,
        hint_zh="请提供 GeoPackage/Shapefile/GeoJSON，或在 CSV 中提供 wkt 列",
        hint_en="give a GeoPackage, Shapefile or GeoJSON, or a wkt column in CSV",
    )


def _context(store: Store, table: str, year: int | None,
             now: datetime | None = None) -> ValidationContext:
    """What validation needs to know about the store: keys that references may point at,
    the deployment boundary, and existing parcels (for overlap warnings)."""
    needs_firms = table in ("indicators", "occupancy", "parcels", "designations", "contracts")
    firms = (
        frozenset(store.read_frame("enterprises", columns=["credit_code"]).credit_code)
        if needs_firms
        else None
    )
    parcels = (
        frozenset(store.read_frame("parcels", columns=["parcel_id"]).parcel_id)
        if table in ("occupancy", "buildings", "contracts", "transactions")
        else None
    )
    buildings = (
        frozenset(store.read_frame("buildings", columns=["building_id"]).building_id)
        if table == "transactions"
        else None
    )
    districts = store.read_frame("districts", columns=["admin_code", "name", "geometry"])
    names = {n: c for n, c in zip(districts["name"], districts["admin_code"], strict=True)}
    # also the short form without the suffix (鄞州区 → 鄞州, 慈溪市 → 慈溪, 象山县 → 象山)
    names |= {n[:-1]: c for n, c in list(names.items()) if len(n) > 2 and n[-1] in "区县市"}
    existing = (
        store.read_frame("parcels", columns=["parcel_id", "geometry"])
        if table in ("parcels", "buildings")
        else None
    )
    keep = KEEP_ON_UPDATE.get(table, ())
    stored = (
        pd.DataFrame(store.read_frame(table, columns=[*ENTITIES[table].key, *keep]))
        .drop(columns="geometry", errors="ignore")
        if keep
        else None
    )
    supply = (_supply_context(store, now or datetime.now(UTC)) if table == "contract_events"
              else {})
    return ValidationContext(
        **supply,
        known_enterprises=firms,
        known_parcels=parcels,
        known_buildings=buildings,
        districts=districts.geometry if len(districts) else None,
        existing_parcels=existing,
        year=year,
        district_codes=names or None,
        stored=stored,
    )


def _supply_context(store: Store, now: datetime) -> dict[str, Any]:
    """Stored contracts and payments, and the installment rules in force today, for the
    schedule checks of ``contract-events`` (E138–E142)."""
    from indspace.services.supply import installment_rules, payment_frame, terms_frame

    contracts = store.read_frame("contracts", columns=[
        "contract_id", "mode", "signed", "price_wan", "installment_special"])
    events = store.read_frame("contract_events", columns=["contract_id", "event", "date",
                                                          "amount_wan"])
    return {"known_contracts": frozenset(contracts["contract_id"]),
            "contract_terms": terms_frame(contracts),
            "stored_payments": payment_frame(events),
            "installment_rules": installment_rules(local_day(now, store.tz)),
            "holiday_calendar": deployment().holiday_calendar}


def import_file(
    store: Store,
    kind: str,
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs: int | None = None,
    year: int | None = None,
    mode: Mode = "upsert",
    strict: bool = False,
    actor: str = "cli",
    report_dir: str | Path | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_wait: Callable[[str], None] | None = None,
    source_name: str | None = None,
    district: str | None = None,
) -> ImportResult:
    """Import ``path`` as ``kind``; see the module docstring. Raises ``IndspaceError`` only
    when nothing could be read (the store is then untouched). ``source_name``: what the
    import record and the audit log call the file (an upload's own name, not the server's
    temporary path); default the path. ``district``: a district officer's import — only
    the kinds of ``import_scope.OFFICER_KINDS`` in upsert mode, and every row outside that
    district (field, stored record or geometry) is rejected into the quarantine
    (``services/import_scope.py``).

    The whole import (reading what it validates against, validating, writing) holds the
    store's writer lock (:meth:`Store.writer`): a second import into the same store waits
    for the first (``on_wait`` hears it once) up to ``store.write_wait_s`` seconds."""
    if district is not None:
        check_officer_import(kind, mode)
    with store.writer(on_wait=on_wait), _collector_paused():
        return _import_file(store, kind, path, layer=layer, encoding=encoding, crs=crs,
                            year=year, mode=mode, strict=strict, actor=actor,
                            report_dir=report_dir, clock=clock, source_name=source_name,
                            district=district)


def validate_file(store: Store, kind: str, path: str | Path, *,
                  encoding: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and validate a file of a non-spatial ``kind`` against the store, writing
    nothing: the accepted rows typed per contract and every issue (rows refused while
    reading included), as ``indspace import`` would report them. Used where a file is an
    input of a computation rather than data to keep (``indspace match --demands``)."""
    table = table_for(kind)
    if ENTITIES[table].geometry is not None:
        raise ValueError(f"{kind} is spatial: import it")
    raw = read_table(Path(path), encoding=encoding)
    resolution = resolve_headers(kind, list(raw.frame.columns))
    result = validate(kind, raw.frame.copy(), resolution, raw.row_numbers,
                      _context(store, table, None, datetime.now(UTC)), source=raw.source)
    issues = (pd.concat([raw.rejected, result.issues], ignore_index=True)
              .sort_values("source_row", kind="stable", ignore_index=True)
              if len(raw.rejected) else result.issues)
    return result.valid, issues


def _import_file(
    store: Store,
    kind: str,
    path: str | Path,
    *,
    layer: str | None,
    encoding: str | None,
    crs: int | None,
    year: int | None,
    mode: Mode,
    strict: bool,
    actor: str,
    report_dir: str | Path | None,
    clock: Callable[[], datetime],
    source_name: str | None = None,
    district: str | None = None,
) -> ImportResult:
    started = clock()
    table = table_for(kind)
    entity = ENTITIES[table]
    path = Path(path)
    with ThreadPoolExecutor(1) as pool:  # hash while GDAL reads (both release the GIL)
        hashing = pool.submit(file_sha256, path)
        raw = read_table(path, layer=layer, encoding=encoding)
        sha = hashing.result()
    source = source_name or raw.source
    import_id = f"IMP-{started:%Y%m%dT%H%M%S%f}-{sha[:8]}"
    frame = raw.frame.copy()
    notes = list(raw.notes)
    crs_text = crs_source = None
    if entity.geometry:
        geoms, wkt_col = _geometry(raw, kind)
        decision = detect_crs(geoms, declared_epsg=raw.declared_epsg, given_epsg=crs)
        crs_text, crs_source = f"EPSG:{decision.epsg}", decision.source
        notes.append(f"{decision.reason_zh} / {decision.reason_en}")
        if wkt_col is not None:
            frame = frame.drop(columns=[wkt_col])
        frame = gpd.GeoDataFrame(
            frame.drop(columns="geometry", errors="ignore"),
            geometry=to_crs(geoms, decision, store.srid),
            crs=store.srid,
        )
    headers = [c for c in frame.columns if c != "geometry"]
    resolution = resolve_headers(kind, headers)
    result = validate(
        kind, frame, resolution, raw.row_numbers, _context(store, table, year, clock()),
        source=raw.source
    )
    if district is not None:
        result = within_district(store, table, result, district)
    placed = _placement_note(result.issues) if table == "buildings" else None
    if placed:
        notes.append(placed)
    # lines refused while reading (CSV) count as rows read and rejected, beside the rows
    # that validation rejected
    issues = (pd.concat([raw.rejected, result.issues], ignore_index=True)
              .sort_values("source_row", kind="stable", ignore_index=True)
              if len(raw.rejected) else result.issues)
    counts = result.counts()
    rows_read = len(raw.frame) + len(raw.rejected)
    rejected = counts["rejected"] + len(raw.rejected)
    accepted, warnings = counts["accepted"], counts["warnings"]
    status: Literal["committed", "rejected"] = "rejected" if strict and rejected else "committed"
    summary = {
        "import_id": import_id,
        "kind": kind,
        "source": source,
        "sha256": sha,
        "status": status,
        "rows_read": rows_read,
        "accepted": accepted,
        "rejected": rejected,
        "warnings": warnings,
        **({"lines": raw.physical_lines, "blank_lines": raw.blank_lines,
            "rejected_lines": raw.rejected_lines} if raw.physical_lines is not None else {}),
        "encoding": raw.encoding,
        "encoding_assumed": raw.encoding_assumed,
        "crs": crs_text,
        "crs_source": crs_source,
    }
    base = Path(report_dir or Path.cwd() / "import-reports") / import_id
    base.parent.mkdir(parents=True, exist_ok=True)
    report_csv, report_xlsx = write_report(issues, summary, base)
    finished = clock()
    run = {
        "import_id": import_id,
        "kind": kind,
        "source": source,
        "file_sha256": sha,
        "format": raw.format,
        "encoding": raw.encoding,
        "encoding_assumed": raw.encoding_assumed,
        "crs": crs_text,
        "crs_source": crs_source,
        "mode": mode,
        "strict": strict,
        "status": status,
        "rows_read": rows_read,
        "accepted": 0 if status == "rejected" else accepted,
        "rejected": rejected,
        "warnings": warnings,
        "report": str(report_csv),
        "actor": actor,
        "started_at": started,
        "finished_at": finished,
    }
    quarantine = _quarantine(import_id, issues, raw)
    out = ImportResult(
        import_id,
        kind,
        source,
        status,
        rows_read,
        accepted,
        rejected,
        warnings,
        lines=raw.physical_lines,
        crs=crs_text,
        crs_source=crs_source,
        encoding=raw.encoding,
        encoding_assumed=raw.encoding_assumed,
        report=str(report_csv),
        report_xlsx=str(report_xlsx),
        notes=notes,
    )
    reason = f"import {kind} {source}"
    if status == "rejected":
        out.accepted = 0
        record_rejected_run(store, run, quarantine, started, actor, reason)
        return out
    present = sorted(set(result.columns) | ({"geometry"} if entity.geometry else set()))
    done = apply_import(
        store,
        table,
        result.valid.drop(columns="source_row"),
        columns=present,
        at=started,
        actor=actor,
        reason=reason,
        mode=mode,
        run=run,
        quarantine=quarantine,
    )
    out.inserted, out.updated = done.inserted, done.updated
    out.unchanged, out.retired = done.unchanged, done.retired
    return out


def _placement_note(issues: pd.DataFrame) -> str | None:
    """The counts of W133 and W134 (buildings off their parcels) as one bilingual note."""
    outside = int((issues["code"] == "W133").sum())
    wrong = int((issues["code"] == "W134").sum())
    if not outside and not wrong:
        return None
    return (f"{outside} 栋建筑全部或部分位于所有宗地之外，"
            f"{wrong} 栋建筑的宗地代码与图形不符（以图形为准）/ "
            f"{outside} buildings lie wholly or partly outside every parcel, "
            f"{wrong} disagree with their parcel code (the geometry decides)")


def _quarantine(import_id: str, issues: pd.DataFrame, raw: RawTable) -> pd.DataFrame:
    """Quarantine rows: every issue with the raw row it came from (as JSON text)."""
    if issues.empty:
        return pd.DataFrame()
    # position of each issue's row in the file (the last one, should a number repeat)
    numbers = np.asarray(raw.row_numbers, dtype=np.int64)
    order = np.argsort(numbers, kind="stable")
    wanted = issues["source_row"].to_numpy(dtype=np.int64)
    at = np.searchsorted(numbers[order], wanted, side="right") - 1
    found = (at >= 0) & (numbers[order][np.maximum(at, 0)] == wanted)
    pos = {int(r): int(order[a]) for r, a, f in zip(wanted, at, found, strict=True) if f}
    attrs = raw.frame.drop(columns="geometry", errors="ignore")

    read_refused = set(raw.rejected["code"]) if len(raw.rejected) else set()

    def raw_json(row: int, code: str, value: str) -> str:
        if code in read_refused:  # a line refused while reading: its text as read
            return json.dumps({"line": value}, ensure_ascii=False)
        i = pos.get(int(row))
        if i is None:
            return "{}"
        rec = {str(k): (None if pd.isna(v) else str(v)) for k, v in attrs.iloc[i].items()}
        return json.dumps(rec, ensure_ascii=False, sort_keys=True)

    q = issues[
        ["source_row", "field", "code", "severity", "message_zh", "message_en", "value"]
    ].copy()
    q["source_row"] = q["source_row"].astype(int)
    q.insert(0, "import_id", import_id)
    q["raw_json"] = [raw_json(r, c, v) for r, c, v in
                     zip(q["source_row"], q["code"], q["value"], strict=True)]
    return q.astype(object).where(q.notna(), None)


def import_bundle(store: Store, folder: str | Path, **kwargs: Any) -> list[ImportResult]:
    """Import every ``<kind>.<ext>`` file of ``folder`` in dependency order
    (:data:`BUNDLE_ORDER`); a file of an unknown kind is an error before anything runs."""
    folder = Path(folder)
    files: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in (".shx", ".dbf", ".prj", ".cpg") or p.name.startswith("."):
            continue
        kind = p.stem.replace("_", "-")
        if kind not in BUNDLE_ORDER:
            raise ValidationError(
                f"无法从文件名判断数据类型：{p.name}",
                f"cannot tell the kind from the file name: {p.name}",
                where=str(folder),
                hint_zh=f"文件名应为 {'/'.join(BUNDLE_ORDER)}",
                hint_en=f"name files after the kind: {', '.join(BUNDLE_ORDER)}",
            )
        if kind in files:
            raise ValidationError(
                f"同一类型有两个文件：{files[kind].name}、{p.name}",
                f"two files for {kind}: {files[kind].name}, {p.name}",
                where=str(folder),
            )
        files[kind] = p
    return [
        import_file(store, kind, files[kind], **kwargs) for kind in BUNDLE_ORDER if kind in files
    ]
