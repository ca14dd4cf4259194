"""The slow workflows of issue #16 on the city demo: an objection's preview and the version
comparison, as the web pages ask for them (target ≤ 2 s each).

Setup (once, on a copy of the city store): the 2025 run is published, two objections on
the tax of two C firms are filed, the first is accepted (→ 2025 v2). Then
``indspace serve`` runs in its own process (one uvicorn worker, port ``--port``) and this
process asks, one request at a time, logged in as the city administrator:

* ``GET /api/evaluation/objections/{id}/preview`` for the open objection (on v1, the run it
  was filed against): the first request after the server start ("cold") and ``--rounds``
  more ("warm");
* ``GET /api/evaluation/compare?run_a=v1&run_b=v2`` as the compare page asks since this
  branch (one page of 100 rows, ``limit=100``), cold then warm; and the whole comparison
  (all 30 000 rows, as the page asked before) once.

``--src DIR`` serves another source tree (a ``git archive`` of an older commit's ``src``)
with the same interpreter and data: the baseline. Client wall times, min and median; the
server's CPU time per request from /proc (user + system of the server process, read before
and after each request). Nothing is asserted; the figures go to docs/performance.md.

Run: ``.venv/bin/python benchmarks/web_workflows.py --db city.gpkg [--port 8106]
[--rounds 3] [--src /tmp/base/src]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.web_answers import admin_client, report  # noqa: E402

YEAR = 2025


def prepare(db: Path) -> tuple[str, str, str]:
    """Publish the 2025 run, file two objections, accept the first: (open objection, v1,
    v2)."""
    from indspace.services import evaluation as ev
    from indspace.store import Store, runs

    store = Store(db)
    try:
        v1 = max(
            (r for r in runs.list_runs(store, YEAR).to_dict("records")),
            key=lambda r: r["version"],
        )["run_id"]
        ev.publish(store, v1, actor="bench")
        res = runs.read_results(store, v1, columns=("credit_code", "grade"))
        codes = sorted(res.loc[res["grade"] == "C", "credit_code"])[:2]
        tax = store.read_frame("indicators", where={"credit_code": codes[0], "year": YEAR})
        first = ev.file_objection(
            store, v1, codes[0], "tax", float(tax.iloc[0]["tax"]) * 3 + 50, "bench", actor="b"
        )
        second = ev.file_objection(store, v1, codes[1], "tax", 1.0, "bench", actor="b")
        out = ev.resolve_objection(store, first["objection_id"], accept=True, note="bench")
        return second["objection_id"], v1, out["run"]["run_id"]
    finally:
        store.close()


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(client: httpx.Client, pid: int, url: str, params: dict[str, Any]) -> tuple[float, float]:
    c0, t0 = cpu_of(pid), time.perf_counter()
    r = client.get(url, params=params)
    ms = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise SystemExit(f"{url} {params}: {r.status_code} {r.text[:500]}")
    return ms, (cpu_of(pid) - c0) * 1000


def line(name: str, samples: list[tuple[float, float]]) -> dict[str, Any]:
    wall = [s[0] for s in samples]
    cpu = [s[1] for s in samples]
    print(
        f"  {name:<34} n={len(samples):<2} wall min {min(wall):7.0f} median "
        f"{statistics.median(wall):7.0f} ms   server CPU min {min(cpu):6.0f} median "
        f"{statistics.median(cpu):6.0f} ms"
    )
    return {
        "n": len(samples),
        "wall_min_ms": round(min(wall)),
        "wall_median_ms": round(statistics.median(wall)),
        "cpu_min_ms": round(min(cpu)),
        "cpu_median_ms": round(statistics.median(cpu)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, required=True, help="the city demo store (copied)")
    ap.add_argument("--port", type=int)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--src", type=Path, help="serve this source tree instead (a baseline)")
    ap.add_argument("--prepared", type=Path, help="a store already prepared by this script")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="web-workflows-"))
    if args.prepared:
        db = args.prepared
        ids = json.loads((db.parent / (db.name + ".bench.json")).read_text())
    else:
        db = work / "city-workflows.gpkg"
        shutil.copy(args.db, db)
        ids = dict(zip(("objection", "v1", "v2"), prepare(db), strict=True))
        (db.parent / (db.name + ".bench.json")).write_text(json.dumps(ids))
    print(f"store {db} {ids}; load average {os.getloadavg()}")
    with admin_client(db, work / "serve.log", args.port, args.src, timeout=600) as (
        proc,
        _base,
        client,
        _login,
    ):
        preview = f"/api/evaluation/objections/{ids['objection']}/preview"
        page = {"run_a": ids["v1"], "run_b": ids["v2"], "limit": 100}
        whole = {"run_a": ids["v1"], "run_b": ids["v2"]}
        results = {
            "preview_cold": line(
                "preview, first after start", [timed(client, proc.pid, preview, {})]
            ),
            "preview_warm": line(
                "preview, again",
                [timed(client, proc.pid, preview, {}) for _ in range(args.rounds)],
            ),
            "compare_page_cold": line(
                "compare (page of 100), first",
                [timed(client, proc.pid, "/api/evaluation/compare", page)],
            ),
            "compare_page_warm": line(
                "compare (page of 100), again",
                [
                    timed(client, proc.pid, "/api/evaluation/compare", page)
                    for _ in range(args.rounds)
                ],
            ),
            "compare_all": line(
                "compare (all rows)",
                [timed(client, proc.pid, "/api/evaluation/compare", whole)],
            ),
        }
        report(results)


if __name__ == "__main__":
    main()
