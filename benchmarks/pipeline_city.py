"""``indspace pipeline`` on the city demo's partitioned GeoParquet: the local engine against
the Dask engine on a 2-worker LocalCluster (issue #20, a first measurement).

Each engine runs as its own process (``indspace pipeline … --engine local|dask``); reported:
wall time (process start included) and the peak of the summed resident memory of the whole
process tree (the CLI, the scheduler and every worker), sampled every 0.2 s. The outputs of
the two runs are then compared file by file (same bytes expected).

Run: ``.venv/bin/python benchmarks/pipeline_city.py --input DIR [--year 2025]`` with ``DIR``
from ``indspace demo --scale city --parquet DIR --no-serve``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil


def tree_peak(cmd: list[str]) -> tuple[float, float, int]:
    """(wall s, peak summed RSS MiB of the process tree, return code)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc, peak = psutil.Process(p.pid), 0
    while p.poll() is None:
        try:
            rss = proc.memory_info().rss + sum(
                c.memory_info().rss for c in proc.children(recursive=True)
            )
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.2)
    return time.perf_counter() - t0, peak / 2**20, p.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", type=Path, required=True)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--method-date", default="2026-03-01")
    args = ap.parse_args()
    exe = str(Path(sys.executable).with_name("indspace"))
    with tempfile.TemporaryDirectory() as tmp:
        outs = {}
        print("| engine | wall | peak RSS, all processes |\n|---|---|---|")
        for engine in ("local", "dask"):
            out = Path(tmp) / engine
            wall, peak, rc = tree_peak(
                [
                    exe,
                    "pipeline",
                    "--input",
                    str(args.input),
                    "--year",
                    str(args.year),
                    "--out",
                    str(out),
                    "--engine",
                    engine,
                    "--workers",
                    "2",
                    "--method-date",
                    args.method_date,
                ]
            )
            if rc:
                raise SystemExit(f"{engine} failed ({rc})")
            outs[engine] = out
            print(f"| {engine} | {wall:.1f} s | {peak:.0f} MiB |")
        same = all(
            (outs["local"] / f.name).read_bytes() == f.read_bytes()
            for f in sorted(outs["dask"].iterdir())
        )
        print(f"\noutputs byte-identical: {same}")


if __name__ == "__main__":
    main()
