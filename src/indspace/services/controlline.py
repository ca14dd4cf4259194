"""Use cases of the industrial control line: the parcel overlay, as of any date (issue #7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pandas as pd

from indspace.core.engines.controlline import COLUMNS, STATUS_LABELS, overlay, summarise
from indspace.core.errors import ValidationError
from indspace.services.evaluation import resolve_profile
from indspace.store import Store

HEADERS_ZH = {"parcel_id": "宗地代码", "district": "区县", "area_m2": "宗地面积(平方米)",
              "inside_m2": "线内面积(平方米)", "inside_share": "线内比例", "status": "状态",
              "block_id": "所在区块", "park_id": "所属园区", "status_label": "状态（中文）"}


def as_of_moment(day: date | None) -> datetime | None:
    """The end of ``day`` (UTC): the line as it stood once that day's edits were in."""
    return None if day is None else datetime.combine(day, time.max, tzinfo=UTC)


def parcel_overlay(store: Store, *, as_of: date | None = None,
                   profile: str = "ningbo-demo") -> pd.DataFrame:
    """Every current parcel against the control line in force at ``as_of`` (default: now)."""
    moment = as_of_moment(as_of)
    on = as_of or datetime.now(UTC).date()
    tolerance = float(resolve_profile(profile).value("control_line_boundary_tolerance_m", on))
    parcels = store.read_frame("parcels", columns=["parcel_id", "district", "geometry"])
    lines = store.read_frame("control_lines", as_of=moment,
                             columns=["block_id", "park_id", "geometry"])
    return overlay(parcels, lines, tolerance_m=tolerance)


def overlay_summary(result: pd.DataFrame, by: str = "district") -> pd.DataFrame:
    return summarise(result, by)


def write_overlay(path: Path, result: pd.DataFrame) -> Path:
    """CSV (English column names, the contract) or XLSX (Chinese headers, a summary sheet per
    district and per park); written to a temporary name first, then moved into place."""
    suffix = path.suffix.lower()
    tmp = path.with_name(path.name + ".part")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        result[list(COLUMNS)].to_csv(tmp, index=False, lineterminator="\n")
    elif suffix == ".xlsx":
        frame = result.assign(status_label=result["status"].map(STATUS_LABELS))
        with pd.ExcelWriter(tmp, engine="xlsxwriter") as xl:
            xl.book.set_properties({"created": datetime(2000, 1, 1)})
            frame.rename(columns=HEADERS_ZH).to_excel(xl, sheet_name="宗地", index=False)
            for by, name in (("district", "按区县"), ("park_id", "按园区")):
                summarise(result, by).to_excel(xl, sheet_name=name, index=False)
            for sheet in xl.sheets.values():
                sheet.freeze_panes(1, 0)
    else:
        raise ValidationError(f"不支持的输出格式：{path.suffix}",
                              f"unsupported output format: {path.suffix}", where=str(path),
                              hint_zh="使用 .csv 或 .xlsx", hint_en="use .csv or .xlsx")
    tmp.replace(path)
    return path
