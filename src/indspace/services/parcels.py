"""One parcel as the map's click shows it (issue #8): the parcel, its place against the
control line, its low-efficiency flag and — for callers allowed to see its owner — the
owner's grade with the indicator breakdown and the parcel's 地企双评 land grade."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import pandas as pd

from indspace.core.access import Principal
from indspace.core.clock import today
from indspace.core.engines.controlline import STATUS_LABELS, overlay
from indspace.core.errors import NotFoundError
from indspace.core.model.units import M2_PER_MU
from indspace.services.evaluation import SYSTEM, _num, resolve_profile
from indspace.services.output import json_value
from indspace.services.scope import DEFAULT_PUBLIC_LAYERS, firm_district, require_layer
from indspace.settings import DEFAULT_PROFILE
from indspace.store import Store, runs
from indspace.store.lowuse_runs import lowuse_parcel
from indspace.store.tiles import latest_runs


def _redacted(out: dict[str, Any]) -> dict[str, Any]:
    """What a caller outside the owner's scope sees: no owner's code, and of the
    low-efficiency finding only the flag and unit (its criteria and triggers come from the
    firm's own figures, such as its tax per mu)."""
    out["parcel"]["owner_credit_code"] = None
    if out["lowuse"] is not None:
        out["lowuse"] = {**out["lowuse"], "criteria": None, "triggers": None}
    out["restricted"] = True
    return out


def _latest_run(store: Store, run_id: str | None) -> dict[str, Any] | None:
    if run_id is None:
        return None
    row = runs.get_run(store, run_id)
    return {"run_id": row["run_id"], "year": int(row["year"]), "version": int(row["version"]),
            "profile_id": row["profile_id"]}


def parcel_summary(store: Store, parcel_id: str, *, who: Principal = SYSTEM,
                   public_layers: Iterable[str] = DEFAULT_PUBLIC_LAYERS) -> dict[str, Any]:
    """``{parcel, line, lowuse, owner, evaluation}``; ``owner`` and ``evaluation`` are
    ``null`` with ``restricted: true`` when the caller may not see the owner's figures."""
    require_layer(who, "parcels", public_layers)
    record = store.get("parcels", parcel_id)          # 404 with the bilingual message
    geom = record.pop("geom", None)
    parcel = {k: json_value(v) for k, v in record.items()
              if k not in ("fid", "valid_from", "valid_to", "actor", "reason")}
    parcel["area_mu"] = _num(float(record["area_m2"]) / M2_PER_MU)
    frame = pd.DataFrame([{"parcel_id": parcel_id, "district": record["district"]}])
    lines = store.read_frame("control_lines", columns=["block_id", "park_id", "geometry"])
    eval_run, lowuse_run = latest_runs(store)      # the runs the map's tiles show
    run = _latest_run(store, eval_run)
    profile = resolve_profile(run["profile_id"] if run else DEFAULT_PROFILE)
    on = today(store.tz)
    tol = float(profile.value("control_line_boundary_tolerance_m", on))
    ov = overlay(gpd.GeoDataFrame(frame, geometry=[geom], crs=lines.crs), lines, tolerance_m=tol)
    row = ov.iloc[0]
    line = {"status": row["status"], "status_label": STATUS_LABELS.get(row["status"]),
            "inside_share": _num(float(row["inside_share"])),
            "block_id": None if pd.isna(row["block_id"]) else row["block_id"]}
    lowuse = None
    if lowuse_run is not None:
        hit = lowuse_parcel(store, lowuse_run, parcel_id)
        lowuse = {"run_id": lowuse_run, "flagged": hit is not None,
                  "criteria": hit and hit["criteria"], "triggers": hit and hit["triggers"],
                  "unit_id": hit and hit["unit_id"]}
    out: dict[str, Any] = {"parcel": parcel, "line": line, "lowuse": lowuse, "owner": None,
                           "evaluation": None, "restricted": True}
    code = record.get("owner_credit_code")
    if not code:                       # no owner: nothing about a firm to hide
        out["restricted"] = who.role == "anonymous"
        return out
    district: str | None = None
    if who.role != "anonymous":
        try:
            district = firm_district(store, code)
        except NotFoundError:  # an owner missing from the enterprises: the parcel alone
            district = None
    if who.role == "anonymous" or not who.can_see(district, code):
        return _redacted(out)
    if district is None:
        return {**out, "restricted": False}
    firm = store.get("enterprises", code)
    out["owner"] = {"credit_code": code, "name": firm.get("name"), "district": district}
    out["restricted"] = False
    if run is None:
        return out
    res = runs.read_results(store, run["run_id"], code)
    scores = runs.read_scores(store, run["run_id"], code)
    land = runs.read_parcel_evaluation(store, run["run_id"], parcel_id)
    grade = None if res.empty else res.iloc[0]
    out["evaluation"] = {
        **run,
        "grade": None if grade is None or pd.isna(grade["grade"]) else grade["grade"],
        "score": None if grade is None else _num(grade["score"]),
        "status": None if grade is None else grade["status"],
        "land_grade": land and land.get("land_grade"),
        "breakdown": json.loads(scores.to_json(orient="records", force_ascii=False)),
    }
    return out
