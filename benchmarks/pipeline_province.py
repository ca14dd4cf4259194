"""The whole annual pipeline (``indspace pipeline``) on a large partitioned input, with the
memory of every process of the run sampled per step (issue #20: under 10 minutes and 8 GB on
2 cores, all processes of the cluster together).

The run is :func:`indspace.services.pipeline_dask.run_dask` (or ``run_local``) in this
process. A sampler in a separate process sums the RSS of this process and all its
descendants (the LocalCluster's workers, the nanny processes) every ``--every`` seconds and
keeps, per pipeline step, the wall time and the peak summed RSS (with the share of the
client). Printed as a Markdown table at the end, with the load average; ``--timeline CSV``
keeps every sample.

Run: ``.venv/bin/python benchmarks/pipeline_province.py --input DIR --year 2025 --out DIR
[--engine dask|local] [--threads] [--workers 2] [--memory-limit 3GiB]
[--districts 3302 3303 …]`` (``--districts``: a subset of the input by code prefix, linked
into a temporary folder — for iterating on a part of the province).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

SAMPLER = r"""
import sys, time, psutil
pid, step_file, out, every = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
root = psutil.Process(pid)
me = psutil.Process().pid
t0 = time.time()
with open(out, "w") as f:
    f.write("t,step,total_mib,client_mib,n\n")
    while root.is_running():
        try:
            procs = [root, *(c for c in root.children(recursive=True) if c.pid != me)]
            rss = []
            for p in procs:
                try:
                    rss.append(p.memory_info().rss)
                except psutil.Error:
                    pass
            with open(step_file) as s:
                step = s.read().strip() or "start"
        except (psutil.Error, OSError):
            break
        f.write(f"{time.time() - t0:.2f},{step},{sum(rss) / 2**20:.0f},"
                f"{rss[0] / 2**20:.0f},{len(rss)}\n")
        f.flush()
        time.sleep(every)
"""


def subset(src: Path, prefixes: list[str], dst: Path) -> Path:
    """``src`` with only the partitions whose code starts with one of ``prefixes``
    (symbolic links)."""
    for table in sorted(p for p in src.iterdir() if p.is_dir()):
        for part in sorted(table.glob("district=*")):
            code = part.name.split("=", 1)[1]
            if any(code.startswith(p) for p in prefixes):
                (dst / table.name).mkdir(parents=True, exist_ok=True)
                (dst / table.name / part.name).symlink_to(part.resolve())
    return dst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--method-date", type=date.fromisoformat, default=None)
    ap.add_argument("--engine", choices=["dask", "local"], default="dask")
    ap.add_argument("--threads", action="store_true")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--memory-limit", default="3GiB")
    ap.add_argument("--districts", nargs="*", default=None)
    ap.add_argument("--every", type=float, default=0.5)
    ap.add_argument("--timeline", type=Path, default=None)
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pipeline-province-"))
    input_dir = subset(a.input, a.districts, tmp / "in") if a.districts else a.input
    step_file = tmp / "step"
    step_file.write_text("start")
    timeline = a.timeline or tmp / "timeline.csv"
    sampler = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SAMPLER,
            str(os.getpid()),
            str(step_file),
            str(timeline),
            str(a.every),
        ]
    )
    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()

    def step(name: str) -> None:
        marks.append((name, time.perf_counter() - t0))
        step_file.write_text(name)
        print(
            f"{time.perf_counter() - t0:7.1f} s  {name}  (load {os.getloadavg()[0]:.1f})",
            flush=True,
        )

    from indspace.core.clock import local_day
    from indspace.services.profiles import resolve_profile
    from indspace.settings import deployment

    ctx = deployment()
    prof = resolve_profile(ctx.default_profile)
    on = a.method_date or local_day(
        __import__("datetime").datetime.now(__import__("datetime").UTC), ctx.tz
    )
    load0 = os.getloadavg()
    if a.engine == "local":
        from indspace.services.pipeline import run_local

        result = run_local(input_dir, a.year, prof, on, a.out, progress=step)
    else:
        from indspace.services.pipeline_dask import run_dask

        result = run_dask(
            input_dir,
            a.year,
            prof,
            on,
            a.out,
            n_workers=a.workers,
            memory_limit=a.memory_limit,
            threads=a.threads,
            progress=step,
        )
    wall = time.perf_counter() - t0
    step("done")
    cpu = os.times()
    time.sleep(2 * a.every)
    sampler.terminate()
    sampler.wait()
    load1 = os.getloadavg()

    rows = list(csv.DictReader(timeline.open()))
    print(
        f"\nwall {wall:.1f} s; CPU this process {cpu.user + cpu.system:.1f} s, children "
        f"{cpu.children_user + cpu.children_system:.1f} s; load {load0[0]:.1f} → "
        f"{load1[0]:.1f}"
    )
    print("\n| step | from | to | wall | peak all processes | client at that peak |")
    print("|---|---|---|---|---|---|")
    ends = [*(t for _, t in marks[1:]), wall]
    for (name, start), end in zip(marks, ends, strict=False):
        if name == "done":
            continue
        mine = [r for r in rows if r["step"] == name]
        top = max(mine, key=lambda r: int(r["total_mib"]), default=None)
        peak = f"{int(top['total_mib']):,} MiB" if top else "—"
        client = f"{int(top['client_mib']):,} MiB" if top else "—"
        print(f"| {name} | {start:.1f} s | {end:.1f} s | {end - start:.1f} s | {peak} | {client} |")
    top = max(rows, key=lambda r: int(r["total_mib"]))
    print(
        f"\npeak {int(top['total_mib']):,} MiB at {float(top['t']):.1f} s in '{top['step']}' "
        f"({top['n']} processes)"
    )
    print(
        "summary:",
        {k: result.summary[k] for k in ("enterprises", "low_efficiency_parcels", "units")},
    )
    shutil.rmtree(tmp, ignore_errors=True)  # the step file, the subset's links, the timeline


if __name__ == "__main__":
    main()
