"""Land figures from geometry (issue #13): ``indspace land far`` against a hand-written
GeoPandas script and one DuckDB spatial query, on a synthetic city whose answer is known.

Workload: ``_landfar_city.py`` builds one GeoPackage (layers ``parcels`` and ``buildings``,
EPSG:4549) — ``--scale 40k``: 40 000 parcels × 150 143 buildings; ``--scale 200k``:
200 000 × 1 000 407 (``tiny`` for a smoke run) — and the exact figures of every parcel.
The file and its truth are kept in ``--data-dir`` and rebuilt only with ``--rebuild``.

Contenders, each a fresh process per run, interleaved over ``--rounds`` rounds (the order
rotates every round):

* ``indspace``: ``indspace land far --parcels F --buildings F --out stats.csv --json``;
* ``geopandas``: ``landfar_geopandas.py`` (baseline A);
* ``duckdb``: ``landfar_duckdb.py`` (baseline B).

Measured: whole-process wall time (spawn to exit, interpreter start-up and imports
included), CPU time (user + system) and peak memory (the child's maximum RSS), from
``wait4`` in a small launcher. On the shared machine the wall time depends on the load of
others; CPU time much less so (but a multi-threaded tool spends more CPU than wall time).
Every run's CSV is checked against the truth (1e-6 relative, ``n_buildings`` exact); a
tool that differs is reported as WRONG and gets no ratio. The table shows the median and
minimum of the rounds, the largest peak, and the ratios of ``indspace`` to the faster
baseline (time) and to GeoPandas (memory). The issue's target: both ratios ≤ 1.

``--notched 0.5`` draws half of the buildings as L-shapes (still exact): real footprints are
rarely axis-aligned rectangles, and a tool with a rectangle shortcut should be measured
without it too.

Run: ``.venv/bin/python benchmarks/land_far.py [--scale 40k|200k] [--rounds 3] [--notched 0.5]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import _landfar_city as city
import pandas as pd

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
BASELINES = ("geopandas", "duckdb")


@dataclass
class Runs:
    seconds: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)  # user + system time of the child
    problems: list[str] = field(default_factory=list)  # first wrong result, if any
    failed: str = ""  # non-zero exit: the tail of stderr
    stdout: str = ""  # of the first run

    @property
    def ok(self) -> bool:
        return bool(self.seconds) and not self.problems and not self.failed


def prepare(
    scale: str, data_dir: Path, rebuild: bool, notched: float = 0.0
) -> tuple[Path, pd.DataFrame, dict]:
    """The city's GeoPackage, its truth and construction facts, built once per variant."""
    name = f"landfar-{scale}" + (f"-notched{round(notched * 100)}" if notched else "")
    gpkg = data_dir / f"{name}.gpkg"
    truth_path = data_dir / f"{name}.truth.parquet"
    facts_path = data_dir / f"{name}.json"
    if rebuild or not (gpkg.exists() and truth_path.exists() and facts_path.exists()):
        data_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        c = city.build(scale, notched=notched)
        city.write(c, gpkg)
        c.truth.to_parquet(truth_path, index=False)
        facts = {
            "parcels": len(c.parcels),
            "buildings": len(c.buildings),
            "multi_part_parcels": int((c.parcels.geometry.count_geometries() > 1).sum()),
            "notched_buildings": int((c.buildings.geometry.count_coordinates() > 5).sum()),
            "buildings_partly_outside": c.outside_buildings,
            "outside_m2": c.outside_m2,
            "buildings_without_parcel_id": int(c.buildings["parcel_id"].isna().sum()),
            "buildings_with_wrong_parcel_id": c.wrong_parcel_id,
        }
        facts_path.write_text(json.dumps(facts, indent=1))
        print(f"built {gpkg} in {time.perf_counter() - t0:.1f} s")
    return gpkg, pd.read_parquet(truth_path), json.loads(facts_path.read_text())


def commands(gpkg: Path, out: Path) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "indspace": [str(BIN / "indspace"), "land", "far", "--parcels", str(gpkg),
                     "--buildings", str(gpkg), "--out", str(out / "indspace.csv"), "--json"],
        "geopandas": [py, str(HERE / "landfar_geopandas.py"), str(gpkg),
                      str(out / "geopandas.csv")],
        "duckdb": [py, str(HERE / "landfar_duckdb.py"), str(gpkg), str(out / "duckdb.csv")],
    }  # fmt: skip


# Each tool is forked by this small launcher, not by the harness: Linux carries a process's
# peak RSS across exec, and a child spawned from the harness (vfork shares its memory) would
# report at least the harness's own RSS — hundreds of MiB once the city is loaded.
LAUNCHER = """
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - t0
with open(sys.argv[1], "w") as f:
    cpu = usage.ru_utime + usage.ru_stime
    f.write(f"{seconds!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)} {cpu!r}")
"""


def run(cmd: list[str], log: Path) -> tuple[float, float, int, str, float]:
    """Wall seconds, peak RSS (MiB), exit status, stdout and CPU seconds (user + system)
    of one fresh child process."""
    stats = log.with_suffix(".stats")
    with open(log.with_suffix(".out"), "wb") as out, open(log.with_suffix(".err"), "wb") as err:
        subprocess.run([sys.executable, "-I", "-S", "-c", LAUNCHER, str(stats), *cmd],
                       stdout=out, stderr=err, stdin=subprocess.DEVNULL, check=True)  # fmt: skip
    seconds, maxrss_kib, rc, cpu = stats.read_text().split()
    stdout = log.with_suffix(".out").read_text()
    return float(seconds), int(maxrss_kib) / 1024, int(rc), stdout, float(cpu)


def available(name: str) -> str:
    """Why ``name`` cannot run here, or '' when it can."""
    if name != "indspace":
        return ""
    r = subprocess.run([str(BIN / "indspace"), "land", "far", "--help"], capture_output=True)
    return "" if r.returncode == 0 else "`indspace land far` is not in this build"


def bench(gpkg: Path, truth: pd.DataFrame, rounds: int, names: list[str]) -> dict[str, Runs]:
    results = {n: Runs() for n in names}
    skip = {n: why for n in names if (why := available(n))}
    for n, why in skip.items():
        results[n].failed = why
    live = [n for n in names if n not in skip]
    with tempfile.TemporaryDirectory(prefix="landfar-") as tmp:
        out = Path(tmp)
        cmds = commands(gpkg, out)
        for r in range(rounds):
            order = live[r % len(live) :] + live[: r % len(live)] if live else []
            for n in order:
                res = results[n]
                if res.failed:
                    continue
                seconds, peak, rc, stdout, cpu = run(cmds[n], out / n)
                if rc != 0:
                    res.failed = f"exit {rc}: " + (out / f"{n}.err").read_text()[-2000:]
                    continue
                problems = city.compare(pd.read_csv(out / f"{n}.csv"), truth)
                if problems and not res.problems:
                    res.problems = problems
                res.seconds.append(seconds)
                res.peak_mib.append(peak)
                res.cpu_s.append(cpu)
                res.stdout = res.stdout or stdout
                flag = "  WRONG" if problems else ""
                print(f"  round {r + 1} {n:9s} {seconds:7.2f} s {peak:7.0f} MiB "
                      f"{cpu:7.2f} s CPU{flag}", flush=True)  # fmt: skip
    return results


def table(results: dict[str, Runs]) -> str:
    good = {n: r for n, r in results.items() if r.ok}
    fastest = min((n for n in BASELINES if n in good), default=None,
                  key=lambda n: statistics.median(good[n].seconds))  # fmt: skip
    lines = ["| tool | median s | min s | CPU s (median) | peak MiB | time ÷ faster baseline "
             "| peak ÷ GeoPandas | result |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for n, r in results.items():
        if not r.seconds:
            why = r.failed.splitlines()[0] if r.failed else "no run"
            lines.append(f"| {n} | — | — | — | — | — | — | not run: {why} |")
            continue
        med, peak = statistics.median(r.seconds), max(r.peak_mib)
        t_ratio = m_ratio = "—"
        if r.ok and fastest:
            t_ratio = f"{med / statistics.median(good[fastest].seconds):.2f}× ({fastest})"
        if r.ok and "geopandas" in good:
            m_ratio = f"{peak / max(good['geopandas'].peak_mib):.2f}×"
        verdict = "= truth" if r.ok else "WRONG: " + "; ".join(r.problems)[:300]
        lines.append(f"| {n} | {med:.2f} | {min(r.seconds):.2f} | "
                     f"{statistics.median(r.cpu_s):.2f} | {peak:.0f} | {t_ratio} "
                     f"| {m_ratio} | {verdict} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Runs]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="40k", choices=sorted(city.SCALES))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data-dir", type=Path, default=HERE / "results" / "landfar")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the city file and truth")
    ap.add_argument("--tools", default="indspace,geopandas,duckdb")
    ap.add_argument(
        "--notched",
        type=float,
        default=0.0,
        help="share of buildings drawn as L-shapes instead of rectangles",
    )
    args = ap.parse_args(argv)
    gpkg, truth, facts = prepare(args.scale, args.data_dir, args.rebuild, args.notched)
    print(f"scale={args.scale}: {gpkg} ({gpkg.stat().st_size / 2**20:.0f} MiB); "
          f"construction: {json.dumps(facts)}")  # fmt: skip
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    results = bench(gpkg, truth, args.rounds, args.tools.split(","))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(table(results))
    ours = results.get("indspace")
    if ours and ours.stdout:
        print("indspace --json (first round):", ours.stdout.strip()[-1500:])
    return results


if __name__ == "__main__":
    main()
