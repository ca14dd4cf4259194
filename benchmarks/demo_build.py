"""End-to-end demo build (generate + load into a fresh store), the `make demo` workload.

Issue #3 targets: small < 1 min; city < 10 min on 2 cores (GeoPackage). Also times the same
load into PostGIS when ``--pg URL`` is given.

Run: ``.venv/bin/python benchmarks/demo_build.py [--scale small|city] [--pg URL]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from indspace.services.demo import build_demo_store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="city")
    ap.add_argument("--pg", default=None)
    args = ap.parse_args()
    targets = [str(Path(tempfile.mkdtemp()) / "demo.gpkg")] + ([args.pg] if args.pg else [])
    for db in targets:
        t0 = time.perf_counter()
        result = build_demo_store(db, scale=args.scale)
        dt = time.perf_counter() - t0
        total = sum(result.counts.values())
        print(f"{args.scale} → {db.split('@')[-1]}: {dt:.1f} s, {total:,} rows "
              f"({', '.join(f'{k} {v:,}' for k, v in result.counts.items())})")


if __name__ == "__main__":
    main()
