"""Describe a store: what it holds, its CRS, schema revision and the policy profiles."""

from __future__ import annotations

from typing import Any

from indspace.core.policy import bundled_profiles
from indspace.store import Store

COUNT_KEYS = ("enterprises", "parcels", "buildings", "control_lines", "parks", "indicators",
              "occupancy", "districts")


def store_info(store: Store) -> dict[str, Any]:
    """One JSON-able dict: counts per entity, CRS as an EPSG code, store path, revisions."""
    counts = store.counts()
    meta = store.meta()
    return {
        "store": store.display_name,
        "backend": store.backend,
        "crs": f"EPSG:{store.srid}",
        "srid": store.srid,
        "schema_revision": store.revision(),
        "counts": {k: counts[k] for k in COUNT_KEYS},
        "profiles": {p.id: {"version": p.version, "hash": p.content_hash}
                     for p in bundled_profiles().values()},
        "demo": {k.removeprefix("demo_"): v for k, v in meta.items() if k.startswith("demo_")},
    }
