"""Build the synthetic demo city into a store (or, at province scale, into GeoParquet)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from indspace.core.model.entities import ENTITIES
from indspace.demo.city import build_city
from indspace.store import Store

DEMO_AS_OF = date(2025, 12, 31)
"""The demo's data date: every demo record's first version is valid from this day."""

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class DemoResult:
    target: str
    scale: str
    seed: int
    counts: dict[str, int]
    anomalies: int


def build_demo_store(db: str | Path, *, scale: str = "city", seed: int = 20250429,
                     progress: Progress | None = None) -> DemoResult:
    """Generate the demo city and load it into a fresh store at ``db`` (recreated if present).

    All tables land in one transaction; the store's first versions are valid from
    :data:`DEMO_AS_OF` (00:00 UTC), so the same seed gives the same records.
    """
    city = build_city(scale, seed=seed, as_of=DEMO_AS_OF)  # type: ignore[arg-type]
    if progress:
        progress("generate", sum(len(getattr(city, t)) for t in ENTITIES))
    store = Store.create(db, overwrite=True)
    valid_from = datetime(DEMO_AS_OF.year, DEMO_AS_OF.month, DEMO_AS_OF.day, tzinfo=UTC)
    counts = store.write_frames({t: getattr(city, t) for t in ENTITIES}, valid_from=valid_from,
                                actor="indspace demo", reason=f"demo city {scale} seed {seed}",
                                progress=progress)
    n_anom = store.write_anomalies(city.anomalies)
    store.set_meta({"demo_scale": scale, "demo_seed": str(seed),
                    "demo_as_of": DEMO_AS_OF.isoformat()})
    return DemoResult(store.display_name, scale, seed, counts, n_anom)


def build_demo_parquet(out_dir: str | Path, *, scale: str = "province", seed: int = 20250429,
                       progress: Progress | None = None) -> DemoResult:
    """Generate the demo city as partitioned GeoParquet (the scale-out input)."""
    from indspace.demo.parquet import write_partitioned_geoparquet

    city = build_city(scale, seed=seed, as_of=DEMO_AS_OF)  # type: ignore[arg-type]
    out = Path(out_dir)
    write_partitioned_geoparquet(city, out)
    counts = {t: len(getattr(city, t)) for t in ENTITIES}
    if progress:
        progress("parquet", sum(counts.values()))
    return DemoResult(str(out), scale, seed, counts, len(city.anomalies))
