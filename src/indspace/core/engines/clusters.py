"""Clusters and chains (产业集群与产业链, issue #19): per "2070" park and per "361" chain —
firms, land, output, 亩均 figures, location quotients by district, concentration (HHI),
completeness against a chain template, the 链主 with their supplier footprint, and
investment-promotion targets (补链招商). Pure and vectorised: no store, no files.

Inputs
------
``firms``       credit_code, district, industry_code (GB/T 4754), chain (``<system>:<id>`` or
                None), output_wan (营业收入 of the year, 万元), tax_wan, value_added_wan,
                land_mu (the firm's land, 亩), x, y (a point of the firm's land, metres in the
                projected CRS; NaN when it has none)
``firm_parks``  credit_code, park (a firm with land in several parks counts in each)
``designated``  credit codes holding a valid 链主 designation on the day
``links``       the template (:meth:`indspace.core.policy.chains.ChainTemplates.links_frame`):
                chain, link_id, stage, name_zh, name_en, code (class prefix)

Definitions (each worked by hand in tests/core/test_clusters_golden.py)
-----------------------------------------------------------------------
* a firm's **link** is the link of its chain whose code is the longest prefix of its
  industry code (none: the firm is in the chain but in no link);
* **location quotient** LQ(d, c) = (O_dc ÷ O_d) ÷ (O_c ÷ O), O = output (万元): district d's
  share of output in chain c over the city's share;
* **HHI** = Σ sᵢ² (0–1): of a chain, over the districts' shares of its output; of a park,
  over the chains' shares of its chain-tagged output;
* **completeness** = links with at least one firm ÷ links of the template: of a chain, over
  the city; of a park, over its lead chain (the chain with the largest output in the park);
* **链主**: the designated firms of each chain; a chain without one takes its ``leader_top_n``
  firms by output of at least ``leader_min_output_wan`` (basis ``rule``);
* a leader's **suppliers**: firms of its chain in an earlier stage than the leader's link
  (upstream < midstream < downstream; a leader outside every link counts as downstream);
  footprint = count, land, output, districts, parks and the share within
  ``supplier_radius_m`` of the leader;
* **targets**: for each chain, its ``target_parks_per_chain`` parks with the most chain
  output; each link of the chain without a firm of the chain in that park is a target,
  ``city_missing`` when no firm of the city fills it, else ``park_missing`` (recruit or
  relocate into the park).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STAGE_ORDER = {"upstream": 0, "midstream": 1, "downstream": 2}


@dataclass(frozen=True)
class ClusterParams:
    leader_min_output_wan: float
    leader_top_n: int
    supplier_radius_m: float
    target_parks_per_chain: int


def assign_links(firms: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """credit_code → link_id, stage of each chain firm (longest code prefix wins).

    >>> links = pd.DataFrame({"chain": ["c", "c"], "link_id": ["a", "b"],
    ...                       "stage": ["upstream", "midstream"], "code": ["34", "3484"]})
    >>> f = pd.DataFrame({"credit_code": ["x", "y", "z"], "chain": ["c", "c", "c"],
    ...                   "industry_code": ["3481", "3484", "3612"]})
    >>> assign_links(f, links)[["credit_code", "link_id"]].values.tolist()
    [['x', 'a'], ['y', 'b']]
    """
    m = (
        firms[["credit_code", "chain", "industry_code"]]
        .dropna(subset=["chain"])
        .merge(links[["chain", "link_id", "stage", "code"]], on="chain", how="inner")
    )
    ind = m["industry_code"].fillna("").astype(str)
    code = m["code"].astype(str)
    length = code.str.len().to_numpy(np.int64)
    hit = np.zeros(len(m), bool)
    for n in np.unique(length):
        on = length == n
        hit[on] = (ind[on].str.slice(0, int(n)) == code[on]).to_numpy(bool)
    m = m[hit].assign(_len=length[hit])
    m = m.sort_values(["credit_code", "_len", "link_id"], ascending=[True, False, True])
    return m.drop_duplicates("credit_code")[["credit_code", "link_id", "stage"]].reset_index(
        drop=True
    )


def location_quotients(firms: pd.DataFrame) -> pd.DataFrame:
    """district, chain, output_wan, lq — one row per district and chain with output.

    >>> f = pd.DataFrame({"district": ["A", "A", "B", "B"], "chain": ["c", None, "c", "d"],
    ...                   "output_wan": [30.0, 70.0, 10.0, 90.0]})
    >>> location_quotients(f).values.tolist()   # c: A (30/100)/(40/200) = 1.5, B 0.5
    [['A', 'c', 30.0, 1.5], ['B', 'c', 10.0, 0.5], ['B', 'd', 90.0, 2.0]]
    """
    out = firms["output_wan"].fillna(0.0)
    total = float(out.sum())
    by_d = out.groupby(firms["district"]).sum()
    tagged = firms.assign(_o=out).dropna(subset=["chain"])
    dc = tagged.groupby(["district", "chain"], as_index=False)["_o"].sum()
    dc = dc[dc["_o"] > 0]
    by_c = tagged.groupby("chain")["_o"].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = (dc["_o"].to_numpy() / by_d.reindex(dc["district"]).to_numpy()) / (
            by_c.reindex(dc["chain"]).to_numpy() / total
        )
    res = pd.DataFrame(
        {
            "district": dc["district"].to_numpy(object),
            "chain": dc["chain"].to_numpy(object),
            "output_wan": dc["_o"].round(2).to_numpy(),
            "lq": np.round(lq, 4),
        }
    )
    return res.sort_values(["chain", "district"], ignore_index=True)


def _hhi(groups: pd.Series, parts: pd.Series, values: pd.Series) -> pd.Series:
    """Σ share² of ``values`` over ``parts`` within each group."""
    f = pd.DataFrame(
        {
            "g": groups.to_numpy(object),
            "p": parts.to_numpy(object),
            "v": values.to_numpy(np.float64),
        }
    )
    s = f.groupby(["g", "p"])["v"].sum()
    tot = s.groupby(level=0).transform("sum")
    share = (s / tot).fillna(0.0)
    return (share**2).groupby(level=0).sum()


def cluster_tables(
    firms: pd.DataFrame,
    firm_parks: pd.DataFrame,
    designated: set[str],
    links: pd.DataFrame,
    params: ClusterParams,
) -> dict[str, pd.DataFrame]:
    """The tables ``zones``, ``lq``, ``links``, ``leaders``, ``targets`` (see the module)."""
    f = firms.copy()
    for col in ("output_wan", "tax_wan", "value_added_wan", "land_mu"):
        f[col] = pd.to_numeric(f[col]).fillna(0.0).astype(np.float64)
    lk = assign_links(f, links)
    f = f.merge(lk, on="credit_code", how="left")
    fp = firm_parks[["credit_code", "park"]].drop_duplicates().merge(f, on="credit_code")
    n_links = links.groupby("chain")["link_id"].nunique()
    link_names = links.drop_duplicates(["chain", "link_id"]).set_index(["chain", "link_id"])

    def sums(frame: pd.DataFrame, key: str) -> pd.DataFrame:
        g = frame.groupby(key)
        s = g.agg(
            firms=("credit_code", "nunique"),
            land_mu=("land_mu", "sum"),
            output_wan=("output_wan", "sum"),
            tax_wan=("tax_wan", "sum"),
            value_added_wan=("value_added_wan", "sum"),
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            land = s["land_mu"].to_numpy()
            for a, b in (
                ("output_per_mu", "output_wan"),
                ("tax_per_mu", "tax_wan"),
                ("value_added_per_mu", "value_added_wan"),
            ):
                s[a] = np.where(land > 0, s[b].to_numpy() / land, np.nan)
        return s

    def present(frame: pd.DataFrame, key: str) -> pd.DataFrame:
        """key, chain → set of present link ids."""
        p = frame.dropna(subset=["link_id"])
        return p.groupby([key, "chain"])["link_id"].agg(lambda s: sorted(set(s)))

    # chains ---------------------------------------------------------------------------------
    tagged = f.dropna(subset=["chain"])
    cs = sums(tagged, "chain")
    cs["hhi"] = _hhi(tagged["chain"], tagged["district"], tagged["output_wan"])
    city_links = (
        tagged.dropna(subset=["link_id"]).groupby("chain")["link_id"].agg(lambda s: sorted(set(s)))
    )
    all_links = links.groupby("chain")["link_id"].agg(lambda s: sorted(set(s)))

    def missing(chain: str, have: list[str] | float) -> list[str]:
        have_set = set(have) if isinstance(have, list) else set()
        return [k for k in all_links.get(chain, []) if k not in have_set]

    chains = sorted(set(cs.index) | set(all_links.index))
    cs = cs.reindex(chains)
    cs["lead_chain"] = chains
    cs["links_total"] = n_links.reindex(chains).fillna(0).astype(int).to_numpy()
    miss = [missing(c, city_links.get(c, [])) for c in chains]
    cs["links_present"] = cs["links_total"] - [len(m) for m in miss]
    cs["missing_links"] = [";".join(m) for m in miss]

    # leaders --------------------------------------------------------------------------------
    lead = tagged[tagged["credit_code"].isin(designated)].assign(basis="designation")
    without = sorted(set(tagged["chain"]) - set(lead["chain"]))
    ranked = tagged[
        tagged["chain"].isin(without) & (tagged["output_wan"] >= params.leader_min_output_wan)
    ]
    ranked = ranked.sort_values(
        ["chain", "output_wan", "credit_code"], ascending=[True, False, True]
    )
    by_rule = ranked.groupby("chain").head(params.leader_top_n).assign(basis="rule")
    leaders = pd.concat([lead, by_rule], ignore_index=True).sort_values(
        ["chain", "credit_code"], ignore_index=True
    )
    parks_of = firm_parks.groupby("credit_code")["park"].agg(lambda s: sorted(set(s)))
    rows = []
    for ld in leaders.itertuples(index=False):  # a few dozen leaders: one row each
        stage = STAGE_ORDER.get(ld.stage if isinstance(ld.stage, str) else "downstream", 2)
        sup = tagged[
            (tagged["chain"] == ld.chain)
            & (tagged["credit_code"] != ld.credit_code)
            & tagged["stage"].map(STAGE_ORDER).lt(stage).to_numpy(bool)
        ]
        d = np.hypot(
            sup["x"].to_numpy(np.float64) - float(ld.x), sup["y"].to_numpy(np.float64) - float(ld.y)
        )
        near = int((d <= params.supplier_radius_m).sum())
        sparks = {p for c in sup["credit_code"] for p in parks_of.get(c, [])}
        rows.append(
            {
                "chain": ld.chain,
                "credit_code": ld.credit_code,
                "basis": ld.basis,
                "district": ld.district,
                "link_id": ld.link_id if isinstance(ld.link_id, str) else None,
                "stage": ld.stage if isinstance(ld.stage, str) else None,
                "parks": ";".join(parks_of.get(ld.credit_code, [])),
                "output_wan": round(float(ld.output_wan), 2),
                "suppliers": len(sup),
                "supplier_land_mu": round(float(sup["land_mu"].sum()), 2),
                "supplier_output_wan": round(float(sup["output_wan"].sum()), 2),
                "supplier_districts": int(sup["district"].nunique()),
                "supplier_parks": len(sparks),
                "suppliers_within_radius": near,
                "within_radius_share": round(near / len(sup), 4) if len(sup) else np.nan,
            }
        )
    leader_cols = [
        "chain",
        "credit_code",
        "basis",
        "district",
        "link_id",
        "stage",
        "parks",
        "output_wan",
        "suppliers",
        "supplier_land_mu",
        "supplier_output_wan",
        "supplier_districts",
        "supplier_parks",
        "suppliers_within_radius",
        "within_radius_share",
    ]
    leader_frame = pd.DataFrame(rows, columns=leader_cols)
    cs["leaders"] = [
        ";".join(leader_frame.loc[leader_frame["chain"] == c, "credit_code"]) for c in chains
    ]

    # parks ----------------------------------------------------------------------------------
    ps = sums(fp, "park")
    ptag = fp.dropna(subset=["chain"])
    ps["hhi"] = _hhi(ptag["park"], ptag["chain"], ptag["output_wan"])
    pc_out = ptag.groupby(["park", "chain"])["output_wan"].sum()
    lead_chain = (
        pc_out.reset_index()
        .sort_values(["park", "output_wan", "chain"], ascending=[True, False, True])
        .drop_duplicates("park")
        .set_index("park")["chain"]
    )
    park_links = present(fp, "park")
    ps["lead_chain"] = lead_chain.reindex(ps.index)
    pm = [
        missing(c, park_links.get((p, c), [])) if isinstance(c, str) else []
        for p, c in zip(ps.index, ps["lead_chain"], strict=True)
    ]
    ps["links_total"] = n_links.reindex(ps["lead_chain"]).fillna(0).astype(int).to_numpy()
    ps["links_present"] = ps["links_total"] - [len(m) for m in pm]
    ps["missing_links"] = [";".join(m) for m in pm]
    ps["leaders"] = ""

    zones = pd.concat([ps.assign(zone_kind="park"), cs.assign(zone_kind="chain")])
    zones = zones.rename_axis("zone").reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        zones["completeness"] = np.where(
            zones["links_total"] > 0, zones["links_present"] / zones["links_total"], np.nan
        )
    zones["firms"] = zones["firms"].fillna(0).astype(int)
    for c in ("land_mu", "output_wan", "tax_wan", "value_added_wan"):
        zones[c] = zones[c].fillna(0.0).round(2)
    for c in ("output_per_mu", "tax_per_mu", "value_added_per_mu", "hhi", "completeness"):
        zones[c] = zones[c].astype(np.float64).round(4)
    zone_cols = [
        "zone_kind",
        "zone",
        "firms",
        "land_mu",
        "output_wan",
        "tax_wan",
        "value_added_wan",
        "output_per_mu",
        "tax_per_mu",
        "value_added_per_mu",
        "hhi",
        "lead_chain",
        "links_total",
        "links_present",
        "completeness",
        "missing_links",
        "leaders",
    ]
    zones = zones[zone_cols].sort_values(["zone_kind", "zone"], ignore_index=True)

    # links table: each chain link, city firms and the parks holding it ------------------------
    lf = links.drop_duplicates(["chain", "link_id"])[
        ["chain", "link_id", "stage", "name_zh", "name_en"]
    ]
    cnt = (
        tagged.dropna(subset=["link_id"])
        .groupby(["chain", "link_id"])
        .agg(firms=("credit_code", "nunique"), output_wan=("output_wan", "sum"))
    )
    pk = fp.dropna(subset=["link_id"]).groupby(["chain", "link_id"])["park"].nunique()
    lf = lf.set_index(["chain", "link_id"])
    lf["firms"] = cnt["firms"].reindex(lf.index).fillna(0).astype(int)
    lf["output_wan"] = cnt["output_wan"].reindex(lf.index).fillna(0.0).round(2)
    lf["parks"] = pk.reindex(lf.index).fillna(0).astype(int)
    lf = lf.reset_index()
    lf["_s"] = lf["stage"].map(STAGE_ORDER)
    lf = lf.sort_values(["chain", "_s", "link_id"], ignore_index=True).drop(columns="_s")

    # targets ----------------------------------------------------------------------------------
    top = (
        pc_out.reset_index()
        .query("output_wan > 0")
        .sort_values(["chain", "output_wan", "park"], ascending=[True, False, True])
        .groupby("chain")
        .head(params.target_parks_per_chain)
    )
    trows = []
    for t in top.itertuples(index=False):
        have = park_links.get((t.park, t.chain), [])
        city = set(city_links.get(t.chain, []))
        for k in missing(t.chain, have):
            name = link_names.loc[(t.chain, k)]
            trows.append(
                {
                    "chain": t.chain,
                    "park": t.park,
                    "link_id": k,
                    "stage": name["stage"],
                    "name_zh": name["name_zh"],
                    "name_en": name["name_en"],
                    "reason": "park_missing" if k in city else "city_missing",
                    "park_chain_output_wan": round(float(t.output_wan), 2),
                }
            )
    targets = pd.DataFrame(
        trows,
        columns=[
            "chain",
            "park",
            "link_id",
            "stage",
            "name_zh",
            "name_en",
            "reason",
            "park_chain_output_wan",
        ],
    )
    return {
        "zones": zones,
        "lq": location_quotients(f),
        "links": lf,
        "leaders": leader_frame,
        "targets": targets,
    }
