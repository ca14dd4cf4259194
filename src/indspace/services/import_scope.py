"""Imports by district officers (issue #15): every row is checked against the officer's
district — by its ``district`` field, by the district of the record it would update, and by
its geometry (any part beyond a sliver outside the district's boundary) — and a row that
fails is rejected into the quarantine with a bilingual reason (E135–E137), while the rest
imports. The rules are pure (:func:`indspace.core.access.rows_outside_district`); this
module looks up what they need in the store and turns the verdicts into import issues.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import shapely

from indspace.core.access import rows_outside_district
from indspace.core.errors import ForbiddenError, ValidationError
from indspace.core.model.entities import ENTITIES
from indspace.ingest.rules import ISSUE_COLUMNS, RULES, render
from indspace.ingest.validate import ValidationResult
from indspace.store import Store

OFFICER_KINDS = ("enterprises", "parcels", "buildings")
"""Kinds a district officer may import (for its own district); every other kind (figures,
occupancy, control lines, parks, designations) stays with the city administrator."""


def check_officer_import(kind: str, mode: str) -> None:
    """Refuse what a district officer may not import at all (before any byte is read)."""
    if kind not in OFFICER_KINDS:
        raise ForbiddenError(
            f"区县工作人员不能导入 {kind[:40]}",
            f"district officers cannot import {kind[:40]}",
            where="kind",
            hint_zh="可导入：" + "、".join(OFFICER_KINDS) + "；其他数据由市级管理员导入",
            hint_en="they may import "
            + ", ".join(OFFICER_KINDS)
            + "; the city administrator imports the rest",
        )
    if mode != "upsert":
        raise ForbiddenError(
            "区县工作人员只能追加或更新记录（不能替换全表）",
            "district officers only add or update records (no replace)",
            where="mode",
        )


def _boundary(store: Store, district: str) -> shapely.Geometry:
    frame = store.read_frame(
        "districts", columns=["admin_code", "geometry"], where={"admin_code": district}
    )
    geoms = [g for g in frame.geometry if g is not None and not g.is_empty]
    if not geoms:
        raise ValidationError(
            f"数据库中没有区县 {district} 的行政区范围，无法核对导入数据的位置",
            f"the store holds no boundary of district {district}, so the "
            "rows' locations cannot be checked",
            where="districts",
            hint_zh="请联系市级管理员导入区县边界或代为导入",
            hint_en="ask the city administrator to load the district "
            "boundaries or to import the file",
        )
    return shapely.make_valid(shapely.union_all(geoms))


def _issues(
    rows: np.ndarray, code: str, field: str, values: list[str], params: list[dict[str, str]]
) -> pd.DataFrame:
    out = []
    for row, value, ps in zip(rows, values, params, strict=True):
        zh, en, hzh, hen = render(code, value=value, **ps)
        out.append(
            {
                "source_row": int(row),
                "field": field,
                "code": code,
                "severity": RULES[code].severity,
                "message_zh": zh,
                "message_en": en,
                "hint_zh": hzh,
                "hint_en": hen,
                "value": value,
            }
        )
    return pd.DataFrame(out, columns=list(ISSUE_COLUMNS))


def within_district(
    store: Store, table: str, result: ValidationResult, district: str
) -> ValidationResult:
    """``result`` with the rows outside ``district`` moved from ``valid`` to ``issues``."""
    valid = result.valid
    if not len(valid):
        return result
    entity = ENTITIES[table]
    keys = list(entity.key)
    stored = (
        pd.DataFrame(store.read_frame(table, columns=[*keys, "district"]))
        .drop(columns="geometry", errors="ignore")
        .rename(columns={"district": "__stored"})
    )
    merged = valid[keys].reset_index(drop=True).merge(stored, on=keys, how="left")
    field = (
        valid["district"]
        if "district" in valid.columns
        else pd.Series([None] * len(valid), dtype=object)
    )
    spatial = entity.geometry is not None and "geometry" in valid.columns
    verdict = rows_outside_district(
        district,
        field,
        merged["__stored"],
        np.asarray(valid.geometry, dtype=object) if spatial else None,
        _boundary(store, district) if spatial else None,
    )
    if not verdict.refused.any():
        return result
    rows = valid["source_row"].to_numpy(dtype=np.int64)
    field_text = ["" if pd.isna(v) else str(v) for v in field]
    key_text = ["|".join(str(v) for v in r) for r in valid[keys].itertuples(index=False)]
    parts = []
    m = verdict.field_other
    parts.append(
        _issues(
            rows[m],
            "E135",
            "district",
            [field_text[i] for i in np.flatnonzero(m)],
            [{"district": district}] * int(m.sum()),
        )
    )
    m = verdict.stored_other
    parts.append(
        _issues(
            rows[m],
            "E136",
            "district",
            [field_text[i] for i in np.flatnonzero(m)],
            [
                {
                    "district": district,
                    "key": key_text[i],
                    "stored": str(merged["__stored"].iloc[i]),
                }
                for i in np.flatnonzero(m)
            ],
        )
    )
    m = verdict.outside
    parts.append(
        _issues(
            rows[m],
            "E137",
            "geometry",
            [""] * int(m.sum()),
            [
                {"district": district, "outside": f"{verdict.outside_m2[i]:,.1f}"}
                for i in np.flatnonzero(m)
            ],
        )
    )
    issues = pd.concat(
        [result.issues, *[p for p in parts if len(p)]], ignore_index=True
    ).sort_values("source_row", kind="stable", ignore_index=True)
    keep = ~verdict.refused
    extras = result.extras
    if len(extras) and "source_row" in extras.columns:
        extras = extras[extras["source_row"].isin(rows[keep])].reset_index(drop=True)
    return dataclasses.replace(
        result, valid=valid[keep].reset_index(drop=True), issues=issues, extras=extras
    )
