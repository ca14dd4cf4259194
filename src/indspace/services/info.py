"""Describe a store: what it holds, its CRS, schema revision and the policy profiles."""

from __future__ import annotations

from typing import Any

from indspace.core.policy import bundled_profiles
from indspace.store import Store

COUNT_KEYS = ("enterprises", "parcels", "buildings", "control_lines", "parks", "indicators",
              "occupancy", "districts")


def store_name(store: Store, *, public: bool) -> str:
    """The store as ``indspace info`` shows it (the file path, or the URL without its
    password) or, ``public``, as the web shows it: the file name, or the database name —
    never a server folder, host or user."""
    if not public:
        return store.display_name
    if store.path is not None:
        return store.path.name
    return str(store.engine.url.database or store.backend)


def store_info(store: Store, *, public: bool = False) -> dict[str, Any]:
    """One JSON-able dict: counts per entity, CRS as an EPSG code, the store (its path for
    the CLI, only its name when ``public``: the web API and landing page), revisions."""
    counts = store.counts()
    meta = store.meta()
    return {
        "store": store_name(store, public=public),
        "backend": store.backend,
        "crs": f"EPSG:{store.srid}",
        "srid": store.srid,
        "schema_revision": store.revision(),
        "counts": {k: counts[k] for k in COUNT_KEYS},
        "profiles": {p.id: {"version": p.version, "hash": p.content_hash}
                     for p in bundled_profiles().values()},
        "demo": {k.removeprefix("demo_"): v for k, v in meta.items() if k.startswith("demo_")},
    }
