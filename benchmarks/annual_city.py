"""The city's annual run: ``indspace evaluate`` then ``indspace lowuse plan`` (issue #14).

Target: both steps together in under 8 s on the 2-core machine.

Workload: the city demo store (30 000 firms, 40 000 parcels, 150 000 buildings), profile
``ningbo-demo``, the latest year (2025). Each round copies the store afresh (so the
evaluation is computed and stored, not found again), then runs the two commands as a user
does, each its own process: ``indspace evaluate --year 2025`` and ``indspace lowuse plan
--run <that run>``. Reported per step: wall time (process start and imports included) and
the child's CPU time (user + system; steadier than wall time on the shared machine), min and
median of the rounds, and their sum beside the 8 s target.

``--services`` also times the same two steps called in one process through the services
(``run_evaluation`` then ``lowuse.plan(evaluation_run_id=…)``), as the web server runs them.

What the store keeps (migration 0012) makes the annual run read instead of recompute: the
per-parcel building figures (valid while buildings and parcels are unchanged) and the grades
of the history years (the demo's own run kept them). ``--cold`` drops both from each copy
first (``parcel_building_figures``, ``evaluation_history_years``: a store whose buildings
were just imported and whose earlier years were never evaluated by a run), so that
``evaluate`` overlays every building and evaluates the two years before again.

Byte code: the indspace package is byte-compiled once before the rounds (``compileall``,
into its ``__pycache__`` folders, which git ignores), as an installed package is (pip and
uv compile on install). Without it, in a shell with ``PYTHONDONTWRITEBYTECODE=1`` (this
machine's) every command compiles ≈ 70 indspace modules from source again (≈ 0.1–0.15 s CPU
per process); ``--no-compile`` measures that way.

Run: ``.venv/bin/python benchmarks/annual_city.py [--db city.gpkg] [--rounds 3]
[--services] [--cold] [--no-compile]`` (without ``--db`` the city demo store is built first
into a temporary folder, ~20 s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

YEAR = 2025
TARGET_S = 8.0
CLI = [sys.executable, "-m", "indspace"]


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _cli(args: list[str]) -> tuple[float, float, dict]:
    """Run one command; wall seconds, CPU seconds, its JSON output."""
    cpu0, t0 = _child_cpu(), time.perf_counter()
    done = subprocess.run(CLI + args, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return wall, cpu, json.loads(done.stdout)


def _copy(source: str, db: str, cold: bool) -> None:
    shutil.copyfile(source, db)
    if cold:  # what a store kept to be read instead of recomputed (revision 0012)
        import sqlite3

        with sqlite3.connect(db) as conn:
            for table in ("parcel_building_figures", "evaluation_history_years"):
                if conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
                ).fetchone():
                    conn.execute(f'DELETE FROM "{table}"')


def cli_round(source: str, work: Path, cold: bool = False) -> dict[str, float]:
    db = str(work / "round.gpkg")
    _copy(source, db, cold)
    ev_wall, ev_cpu, ev = _cli(["evaluate", "--year", str(YEAR), "--db", db, "--json"])
    assert not ev["reused"], "the evaluation must be computed, not found again"
    plan_wall, plan_cpu, plan = _cli(
        ["lowuse", "plan", "--run", ev["run_id"], "--db", db, "--json"]
    )
    assert plan["units"] > 0
    return {
        "evaluate wall": ev_wall,
        "lowuse plan wall": plan_wall,
        "total wall": ev_wall + plan_wall,
        "evaluate cpu": ev_cpu,
        "lowuse plan cpu": plan_cpu,
        "total cpu": ev_cpu + plan_cpu,
    }


def services_round(source: str, work: Path, cold: bool = False) -> dict[str, float]:
    from indspace.services import lowuse
    from indspace.services.evaluation import run_evaluation
    from indspace.store import Store

    db = str(work / "round.gpkg")
    _copy(source, db, cold)
    store = Store.open(db)
    t0 = time.perf_counter()
    outcome = run_evaluation(store, YEAR, "ningbo-demo")
    t1 = time.perf_counter()
    assert not outcome.reused
    lowuse.plan(store, evaluation_run_id=outcome.run["run_id"])
    t2 = time.perf_counter()
    store.engine.dispose()
    return {
        "evaluate (services)": t1 - t0,
        "lowuse plan (services)": t2 - t1,
        "total (services)": t2 - t0,
    }


def compile_package() -> None:
    """Byte-compile the indspace package in place (see the module docstring)."""
    import compileall

    import indspace

    compileall.compile_dir(Path(indspace.__file__).parent, quiet=1)


def show(title: str, rounds: list[dict[str, float]]) -> None:
    print(title)
    for key in rounds[0]:
        v = [r[key] for r in rounds]
        mark = ""
        if key.startswith("total"):
            mark = "  met" if min(v) < TARGET_S else "  NOT met"
            mark = f"  (target < {TARGET_S:.0f} s by the min:{mark})"
        print(f"  {key:24s} min {min(v):6.2f} s  median {statistics.median(v):6.2f} s{mark}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None, help="an existing city demo store (else built)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--services",
        action="store_true",
        help="also time the two steps through the services in one process",
    )
    ap.add_argument(
        "--cold",
        action="store_true",
        help="drop the kept building figures and history-year grades from each copy first",
    )
    ap.add_argument(
        "--no-compile",
        action="store_true",
        help="do not byte-compile the indspace package first",
    )
    args = ap.parse_args()
    if not args.no_compile:
        compile_package()
        print("indspace byte-compiled (compileall) before the rounds")
    work = Path(tempfile.mkdtemp(prefix="annual-city-"))
    try:
        db = args.db
        if db is None:
            from indspace.services.demo import build_demo_store

            db = str(work / "city.gpkg")
            t0 = time.perf_counter()
            build_demo_store(db, scale="city")
            print(f"built the city demo store in {time.perf_counter() - t0:.1f} s: {db}")
        print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        rounds = [cli_round(db, work, args.cold) for _ in range(args.rounds)]
        show(
            f"city annual run {YEAR}: evaluate, then lowuse plan on that run "
            f"(CLI, {args.rounds} rounds{', cold' if args.cold else ''})",
            rounds,
        )
        if args.services:
            srounds = [services_round(db, work, args.cold) for _ in range(args.rounds)]
            show(f"the same through the services in one process ({args.rounds} rounds)", srounds)
        print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
