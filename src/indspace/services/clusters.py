"""Clusters and chains (issue #19): ``indspace clusters --year Y``.

Reads the firms, their indicators of year ``Y``, their land on 31 December of ``Y``
(occupancy, valid time), the parks holding their parcels, the 链主 designations valid that
day and the chain template named by the profile's ``cluster_rules``; hands them to the pure
engine :mod:`indspace.core.engines.clusters`. Same inputs and profile → identical files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from indspace.core.engines.clusters import ClusterParams, cluster_tables
from indspace.core.errors import ValidationError
from indspace.core.policy import PolicyProfile
from indspace.core.policy.chains import load_templates
from indspace.services.output import atomic, csv_safe, unsupported_format, write_sheets
from indspace.services.profiles import resolve_profile
from indspace.services.supply import _days
from indspace.settings import deployment
from indspace.store import Store

M2_PER_MU = 2000 / 3
TABLES = ("zones", "lq", "links", "leaders", "targets")


def _profile(profile: PolicyProfile | str | None) -> PolicyProfile:
    if isinstance(profile, PolicyProfile):
        return profile
    return resolve_profile(profile or deployment().default_profile)


def cluster_params(
    on: date, profile: PolicyProfile | str | None = None
) -> tuple[ClusterParams, str, str]:
    """The parameters in force on ``on``, the chain template id and the rule's source."""
    p = _profile(profile)
    r = p.value("cluster_rules", on)
    prov = p.provision("cluster_rules", on)
    return (
        ClusterParams(
            leader_min_output_wan=float(r["leader_min_output_wan"]),
            leader_top_n=int(r["leader_top_n"]),
            supplier_radius_m=float(r["supplier_radius_m"]),
            target_parks_per_chain=int(r["target_parks_per_chain"]),
        ),
        str(r["chain_template"]),
        prov.source if prov else "",
    )


def cluster_inputs(store: Store, year: int) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """Firms with the year's figures, land and a location; firm → park; designated 链主."""
    from indspace.services.evaluation import firm_parks

    day = date(year, 12, 31)
    firms = pd.DataFrame(
        store.read_frame(
            "enterprises", columns=["credit_code", "district", "industry_code", "chain"]
        )
    )
    ind = store.read_frame(
        "indicators", columns=["credit_code", "year", "revenue", "tax", "value_added"]
    )
    ind = ind[pd.to_numeric(ind["year"]) == year].set_index("credit_code")
    if ind.empty:
        raise ValidationError(
            f"{year} 年没有企业指标",
            f"no indicators for {year}",
            where="--year",
            hint_zh="先导入该年度指标（indicators）或换一个年度",
            hint_en="import that year's indicators or choose another year",
        )
    occ = store.read_frame(
        "occupancy", as_of=day, columns=["credit_code", "parcel_id", "land_area_m2"]
    )
    land = pd.to_numeric(occ["land_area_m2"]).fillna(0.0).groupby(occ["credit_code"]).sum()
    parcels = store.read_frame("parcels", columns=["parcel_id", "owner_credit_code", "geometry"])
    pts = parcels.geometry.representative_point()
    xy = (
        pd.DataFrame(
            {
                "credit_code": parcels["owner_credit_code"].to_numpy(object),
                "parcel_id": parcels["parcel_id"].to_numpy(object),
                "x": pts.x.to_numpy(),
                "y": pts.y.to_numpy(),
            }
        )
        .dropna(subset=["credit_code"])
        .sort_values(["credit_code", "parcel_id"])
        .drop_duplicates("credit_code")
        .set_index("credit_code")
    )
    code = firms["credit_code"].to_numpy(object)
    f = firms.assign(
        output_wan=pd.to_numeric(ind["revenue"]).reindex(code).to_numpy(np.float64),
        tax_wan=pd.to_numeric(ind["tax"]).reindex(code).to_numpy(np.float64),
        value_added_wan=pd.to_numeric(ind["value_added"]).reindex(code).to_numpy(np.float64),
        land_mu=land.reindex(code).fillna(0.0).to_numpy(np.float64) / M2_PER_MU,
        x=xy["x"].reindex(code).to_numpy(np.float64),
        y=xy["y"].reindex(code).to_numpy(np.float64),
    )
    f = f[f["credit_code"].isin(ind.index)].reset_index(drop=True)
    f["chain"] = f["chain"].where(pd.notna(f["chain"]), None)
    d = store.read_frame("designations", columns=["credit_code", "designation", "start", "end"])
    d = d[d["designation"] == "chain_leader"]
    start, end = _days(d["start"]), _days(d["end"])
    on = np.datetime64(day, "D")
    valid = (start <= on) & (np.isnat(end) | (end >= on))
    return f, firm_parks(store), set(d.loc[valid, "credit_code"])


@dataclass
class ClusterResult:
    year: int
    profile: str
    template: str
    source: str
    tables: dict[str, pd.DataFrame]

    def summary(self) -> dict[str, Any]:
        z = self.tables["zones"]
        return {
            "year": self.year,
            "profile": self.profile,
            "template": self.template,
            "parks": int((z["zone_kind"] == "park").sum()),
            "chains": int((z["zone_kind"] == "chain").sum()),
            "leader_count": len(self.tables["leaders"]),
            "target_count": len(self.tables["targets"]),
            "missing_links_city": int(
                z.loc[z["zone_kind"] == "chain", "missing_links"].str.len().gt(0).sum()
            ),
        }


def run_clusters(
    store: Store, year: int, *, profile: PolicyProfile | str | None = None
) -> ClusterResult:
    p = _profile(profile)
    firms, parks, designated = cluster_inputs(store, year)
    params, template, source = cluster_params(date(year, 12, 31), p)
    links = load_templates(template).links_frame()
    return ClusterResult(
        year, p.id, template, source, cluster_tables(firms, parks, designated, links, params)
    )


def write_clusters(path: Path, result: ClusterResult) -> list[Path]:
    """``.xlsx``: one sheet per table; ``.csv``: the zones in ``path`` and each other table
    beside it as ``<stem>_<table>.csv``; ``.json``: everything. Returns the files written."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".json"):
        raise unsupported_format(path, [".csv", ".xlsx", ".json"])
    if suffix == ".xlsx":
        with atomic(path) as tmp:
            write_sheets(tmp, result.tables)
        return [path]
    if suffix == ".json":
        with atomic(path) as tmp:
            tmp.write_text(clusters_json(result), encoding="utf-8")
        return [path]
    out = []
    for name in TABLES:
        target = path if name == "zones" else path.with_name(f"{path.stem}_{name}.csv")
        with atomic(target) as tmp:
            csv_safe(result.tables[name]).to_csv(
                tmp, index=False, encoding="utf-8-sig", lineterminator="\n"
            )
        out.append(target)
    return out


def clusters_json(result: ClusterResult) -> str:
    return json.dumps(
        {
            **result.summary(),
            "source": result.source,
            **{
                k: json.loads(v.to_json(orient="records", force_ascii=False))
                for k, v in result.tables.items()
            },
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def clusters_payload(
    store: Store, year: int | None, *, who: Any, profile: PolicyProfile | str | None = None
) -> dict[str, Any]:
    """Every table of the cluster analysis for any logged-in role (aggregates of parks and
    chains; the 链主 are published designations), with each park's name and a point for the
    map (EPSG:4326). ``year`` defaults to the latest year with indicators."""
    who.require_login()
    if year is None:
        years = pd.to_numeric(store.read_frame("indicators", columns=["year"])["year"])
        if years.empty:
            raise ValidationError(
                "没有企业指标",
                "no indicators",
                where="year",
                hint_zh="先导入企业年度指标",
                hint_en="import indicators first",
            )
        year = int(years.max())
    result = run_clusters(store, year, profile=profile)
    out = json.loads(clusters_json(result))
    parks = store.read_frame("parks", columns=["park_id", "name", "geometry"])
    pts = parks.geometry.representative_point().to_crs(4326) if len(parks) else []
    out["park_points"] = [
        {"park_id": pid, "name": name, "lon": round(p.x, 6), "lat": round(p.y, 6)}
        for pid, name, p in zip(parks["park_id"], parks["name"], pts, strict=True)
    ]
    return out
