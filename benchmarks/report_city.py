"""The city's annual report (issue #21): ``indspace report annual --year 2025`` as PDF,
XLSX and HTML on the city demo store.

Target: the PDF renders in under 60 s.

Workload: the city demo store (30 000 firms, 40 000 parcels, 150 000 buildings) and its
stored 2025 run (``ningbo-demo``). Each round runs the command as a user does, one fresh
process per format (imports, reading the run, evaluating the two years before it in memory
for the trend, the year-on-year figures and the policy history, rolling up, charts and
maps, typesetting). Reported per format: wall time and the child's CPU time (user +
system; steadier than wall time on the shared machine), min and median of the rounds,
and the ratio of the PDF's time to the 60 s budget. A second line times the same report
built in one process through the service without writing a file (``annual_report``), so
the typesetting share shows.

Run: ``.venv/bin/python benchmarks/report_city.py [--db city.gpkg] [--rounds 3]`` (without
``--db`` the city demo store is built first into a temporary folder, ~60 s).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

YEAR = 2025
TARGET_S = 60.0
CLI = [sys.executable, "-m", "indspace"]


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(args: list[str]) -> tuple[float, float]:
    cpu0, t0 = _child_cpu(), time.perf_counter()
    done = subprocess.run(CLI + args, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return wall, cpu


def _build_only(db: str) -> tuple[float, float]:
    code = (
        "import time; from indspace.store import Store; "
        "from indspace.services.reports import annual_report; "
        f"t = time.perf_counter(); annual_report(Store.open({db!r}), {YEAR}); "
        "print(time.perf_counter() - t)"
    )
    cpu0 = _child_cpu()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return float(out.strip().splitlines()[-1]), _child_cpu() - cpu0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="the city demo store (built when omitted)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--formats", default="pdf,xlsx,html")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="indspace-bench-report-") as tmp:
        work = Path(tmp)
        db = args.db
        if db is None:
            db = str(work / "city.gpkg")
            subprocess.run(
                [*CLI, "demo", "--scale", "city", "--no-serve", "--db", db],
                check=True,
                capture_output=True,
            )
        times: dict[str, list[tuple[float, float]]] = {}
        for _ in range(args.rounds):  # formats interleaved per round
            for fmt in args.formats.split(","):
                out = work / f"annual.{fmt}"
                times.setdefault(fmt, []).append(
                    _run(
                        [
                            "report",
                            "annual",
                            "--year",
                            str(YEAR),
                            "--db",
                            db,
                            "--format",
                            fmt,
                            "--out",
                            str(out),
                            "--json",
                        ]
                    )
                )
            times.setdefault("build (service, no file)", []).append(_build_only(db))
        print(
            f"indspace report annual --year {YEAR} on {db} ({args.rounds} rounds, "
            f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        for name, rows in times.items():
            walls = [w for w, _ in rows]
            cpus = [c for _, c in rows]
            line = (
                f"  {name:26s} wall min {min(walls):6.1f} s  median "
                f"{statistics.median(walls):6.1f} s   cpu min {min(cpus):6.1f} s  "
                f"median {statistics.median(cpus):6.1f} s"
            )
            if name == "pdf":
                line += (
                    f"   ratio to the {TARGET_S:.0f} s budget: wall "
                    f"{min(walls) / TARGET_S:.2f}, cpu {min(cpus) / TARGET_S:.2f}"
                )
            print(line)


if __name__ == "__main__":
    main()
