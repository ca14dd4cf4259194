"""The overlay step's input read (``read_overlay_input``) or the whole in-process step
(``overlay_stats(…, workers=1)``), each run a fresh process: wall time, CPU time (user +
system), system time, peak resident memory (``ru_maxrss``) and minor page faults.

Several source trees (``--src``, e.g. the main checkout's and a branch's ``src``) run in
turn, round by round, so that they share the machine's minutes; each child prints one line
of JSON. Usage (from the repository root, with the project venv)::

    python benchmarks/overlay_read.py --input /work/prov-data --rounds 3 \\
        --src /work/main/src --src src [--step read|overlay] [--heap]

``--heap`` wraps the read in ``core.memory.large_blocks_in_heap`` as ``overlay_stats`` does
(the overlay step always runs so).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys


def child(input_dir: str, step: str, heap: bool) -> None:
    import contextlib
    import resource
    import time
    from pathlib import Path

    from indspace.core.memory import large_blocks_in_heap
    from indspace.services import pipeline_overlay as po

    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    if step == "read":
        with large_blocks_in_heap() if heap else contextlib.nullcontext():
            parcels, buildings, _ = po.read_overlay_input(Path(input_dir), threads=2)
        rows = [len(parcels["parcel_id"]), len(buildings["building_id"])]
    else:
        stats, _ = po.overlay_stats(Path(input_dir), 8.0, workers=1)
        rows = [len(stats)]
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    print(
        json.dumps(
            {
                "wall_s": round(wall, 2),
                "cpu_s": round(user + system, 2),
                "sys_s": round(system, 2),
                "peak_rss_mb": round(after.ru_maxrss / 1024),  # kB on Linux
                "minflt": after.ru_minflt - before.ru_minflt,
                "rows": rows,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True, help="partitioned GeoParquet (demo --parquet)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--src", action="append", help="a source tree to import indspace from")
    ap.add_argument("--step", choices=["read", "overlay"], default="read")
    ap.add_argument("--heap", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.input, args.step, args.heap)
        return
    trees = args.src or ["src"]
    runs: dict[str, list[dict[str, float]]] = {t: [] for t in trees}
    for r in range(args.rounds):
        for tree in trees:
            cmd = [sys.executable, __file__, "--child", "--input", args.input]
            cmd += ["--step", args.step] + (["--heap"] if args.heap else [])
            env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
            run = json.loads(out.stdout.strip().splitlines()[-1])
            runs[tree].append(run)
            print(f"round {r + 1} {tree}: {run}", flush=True)
    for tree, rs in runs.items():
        cols = ("wall_s", "cpu_s", "sys_s", "peak_rss_mb")
        text = "  ".join(f"{c} {min(x[c] for x in rs)}–{max(x[c] for x in rs)}" for c in cols)
        print(f"{tree}: {text}")


if __name__ == "__main__":
    main()
