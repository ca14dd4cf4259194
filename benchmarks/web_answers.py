"""Web answers on the city demo: explanations, zone roll-ups and the enterprise page (issue #16).

Targets (issue #16 "Done when", server warm): ``GET /api/evaluation/explain/{code}`` p95
≤ 100 ms and ``GET /api/evaluation/zones`` p95 ≤ 200 ms over 50 requests each; the
enterprise page shows its grade within 1 s in Chromium.

Server: ``indspace serve --db <store>`` in its own process (uvicorn, one worker), as a user
runs it; the client is httpx in this process, one request at a time, logged in as the demo's
city administrator. "Warm": before the timed requests the server answers one explain per
population (of firms outside the sample) and one zones request: the first explain of a run
reads the run's rows once and arranges each population's arrays on first use (≈ 1 s in
all on the city, reported); they are kept in memory for that run.

* explain: 50 firms of the newest 2025 run, drawn with a fixed seed from its graded firms
  (every class; a firm of a class other than the best is searched for its next grade), each
  asked once.
* zones: 50 requests cycling district / park / chain.
* enterprise page: Chromium (``/usr/bin/chromium``, Debian's, through Playwright) opens
  ``/#/enterprise/{code}`` in a fresh browser context already logged in (token in
  sessionStorage) for 10 of the firms; the time from ``goto`` to the grade tag of the
  summary being visible (the page loads its script bundle, the runs, the explanation),
  on the client's clock and on the page's own (navigation start → the frame painting the
  grade). Then the same firms reached by a link inside the running app (the enterprise
  list open): the page's own clock from the hash change to the frame painting the grade.

Latencies are client wall times (the machine is shared: the medians are the steadier
figures). Nothing here asserts a duration; the figures go to docs/performance.md.

Run: ``.venv/bin/python benchmarks/web_answers.py [--db city.gpkg] [--requests 50]
[--pages 10]`` (without ``--db`` the city demo is built first into a temporary folder).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM_ARGS, PASSWORDS, chromium_path, free_port  # noqa: E402

YEAR = 2025


def start_server(
    db: Path, log: Path, port: int | None = None, src: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """``indspace serve`` in its own process; ``src``: another source tree (a ``src/``
    folder of an older commit, e.g. from ``git archive``) imported first, to measure a
    baseline side by side with the same data and interpreter."""
    port = port or free_port()
    out = log.open("w")
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "indspace", "serve", "--db", str(db.resolve()), "--port", str(port)],
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=ROOT if src is None else src.parent,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.terminate()
            raise SystemExit(f"indspace serve did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


@contextmanager
def admin_client(
    db: Path, log: Path, port: int | None, src: Path | None, *, timeout: float
) -> Iterator[tuple[subprocess.Popen[bytes], str, httpx.Client, dict[str, Any]]]:
    """:func:`start_server`, then an HTTP client logged in as the demo admin: (server
    process, base URL, client, login answer); the server is stopped at the end."""
    proc, base = start_server(db, log, port, src)
    try:
        with httpx.Client(base_url=base, timeout=timeout) as client:
            login = client.post(
                "/api/auth/login", json={"username": "admin", "password": PASSWORDS["admin"]}
            ).json()
            client.headers["Authorization"] = f"Bearer {login['token']}"
            yield proc, base, client, login
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def report(results: dict[str, Any]) -> None:
    """Print the load average at the end and the results as one JSON line."""
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(f"  load average at the end: {results['load_average']}")
    print(json.dumps(results))


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of the values."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * len(s) + 0.5) - 1))]


def summary(name: str, ms: list[float], target: float | None) -> dict[str, Any]:
    p50, p95 = statistics.median(ms), pct(ms, 0.95)
    met = (
        ""
        if target is None
        else (f"  (target p95 ≤ {target:.0f} ms: {'met' if p95 <= target else 'NOT met'})")
    )
    print(
        f"  {name:<28} n={len(ms):<3} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
        f"max {max(ms):7.1f} ms{met}"
    )
    return {
        "n": len(ms),
        "p50_ms": round(p50, 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(max(ms), 1),
    }


def timed(client: httpx.Client, url: str, params: dict[str, Any]) -> float:
    t0 = time.perf_counter()
    r = client.get(url, params=params)
    ms = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise SystemExit(f"{url} {params}: {r.status_code} {r.text[:500]}")
    return ms


def firms_of_run(client: httpx.Client, n: int, seed: int) -> tuple[list[str], list[str]]:
    """``n`` graded firms of the newest 2025 run (seeded sample) and, for the warm-up, one
    other graded firm below the best class per population."""
    runs = [r for r in client.get("/api/evaluation/runs").json() if r["year"] == YEAR]
    run = max(runs, key=lambda r: r["version"])
    items: list[dict[str, Any]] = []
    while True:
        page = client.get(
            f"/api/evaluation/runs/{run['run_id']}/results",
            params={"status": "graded", "limit": 1000, "offset": len(items)},
        ).json()
        items += page["items"]
        if not page["items"] or len(items) >= page["total"]:
            break
    codes = random.Random(seed).sample(sorted(i["credit_code"] for i in items), n)
    warm: dict[str, str] = {}
    for i in sorted(items, key=lambda i: i["credit_code"]):
        if i["credit_code"] not in codes and i["grade"] != "A":
            warm.setdefault(i["population"], i["credit_code"])
    return codes, list(warm.values())


def browser_times(
    base: str,
    codes: list[str],
    token: str,
    user: dict[str, Any],
    *,
    timeline: bool = False,
) -> tuple[list[float], list[float]]:
    """Milliseconds from ``goto`` to the grade tag, one fresh context per firm (the first
    load, of ``codes[0]``, warms the server and is left out). ``timeline``: print each
    resource of the last load as the browser's Resource Timing saw it (start and end after
    navigation start), to see what stands before the grade.

    Two clocks: the client's (``goto`` → Playwright sees the tag visible: includes the
    round trips between this process, Playwright's driver and the browser) and the page's
    own (navigation start → the animation frame that paints the tag)."""
    exe = chromium_path()
    if not exe:
        print("  enterprise page: Chromium not found, skipped")
        return [], []
    from playwright.sync_api import sync_playwright

    init = (
        f"sessionStorage.setItem('indspace.token', {json.dumps(token)});"
        f"sessionStorage.setItem('indspace.user', {json.dumps(json.dumps(user))});" + GRADE_WATCH
    )
    out: list[float] = []
    in_page: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        for i, code in enumerate([codes[0], *codes]):  # the first load warms the cache
            ctx = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
            ctx.add_init_script(init)
            page = ctx.new_page()
            t0 = time.perf_counter()
            page.goto(f"{base}/#/enterprise/{code}")
            page.locator("[data-testid=enterprise-summary] .grade-tag").first.wait_for(
                state="visible", timeout=60_000
            )
            ms = (time.perf_counter() - t0) * 1000
            page.wait_for_function("window.__gradeFrame !== undefined", timeout=10_000)
            frame_ms = page.evaluate("window.__gradeFrame")
            if i:
                out.append(ms)
                in_page.append(frame_ms)
            if timeline and i == len(codes):
                print_timeline(page, ms)
            ctx.close()
        browser.close()
    return out, in_page


IN_APP = """async (code) => {
  const t0 = performance.now();
  location.hash = '#/enterprise/' + code;
  await new Promise((resolve) => {
    const seen = () => {
      const page = document.querySelector('[data-testid=enterprise-page]');
      return page && page.innerText.includes(code)
        && document.querySelector('[data-testid=enterprise-summary] .grade-tag');
    };
    if (seen()) return resolve();
    const mo = new MutationObserver(() => { if (seen()) { mo.disconnect(); resolve(); } });
    mo.observe(document, {childList: true, subtree: true, characterData: true});
  });
  await new Promise((resolve) => requestAnimationFrame(resolve));
  return performance.now() - t0;
}"""
"""In the page: go to a firm's page by its link (hash change, the app already loaded) and
return the ms until the frame that paints that firm's grade."""


def in_app_times(base: str, codes: list[str], token: str, user: dict[str, Any]) -> list[float]:
    """Milliseconds (the page's own clock) from following a link to a firm's page inside
    the running app (the enterprise list open, its bundle loaded: how a user reaches the
    page day to day) to the frame that paints its grade; one context, ``codes[0]`` first
    as a warm-up (the page's chunk is then cached)."""
    exe = chromium_path()
    if not exe:
        return []
    from playwright.sync_api import sync_playwright

    init = (
        f"sessionStorage.setItem('indspace.token', {json.dumps(token)});"
        f"sessionStorage.setItem('indspace.user', {json.dumps(json.dumps(user))});"
    )
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
        ctx.add_init_script(init)
        page = ctx.new_page()
        page.goto(f"{base}/#/enterprise")
        page.wait_for_load_state("networkidle")
        for i, code in enumerate([codes[0], *codes]):
            ms = page.evaluate(IN_APP, code)
            if i:
                out.append(ms)
            page.evaluate("location.hash = '#/enterprise'")
            page.wait_for_load_state("networkidle")
        ctx.close()
        browser.close()
    return out


GRADE_WATCH = """
window.__longTasks = [];
try {
  new PerformanceObserver((l) => { for (const e of l.getEntries())
    window.__longTasks.push([e.startTime, e.duration]); }).observe({type: 'longtask'});
} catch (e) {}
new MutationObserver((_, mo) => {
  if (document.querySelector('[data-testid=enterprise-summary] .grade-tag')) {
    mo.disconnect();
    window.__gradeInDom = performance.now();
    requestAnimationFrame(() => { window.__gradeFrame = performance.now(); });
  }
}).observe(document, {childList: true, subtree: true});
"""
"""Kept in the page: when the grade tag enters the DOM and the frame that paints it starts
(ms after navigation start, the page's own clock), and the long tasks (> 50 ms)."""


def print_timeline(page: Any, grade_ms: float) -> None:
    """The last load's resources (Resource Timing: start → end after navigation start)."""
    nav = page.evaluate(
        "(() => { const n = performance.getEntriesByType('navigation')[0];"
        " return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd,"
        " resp: n.responseEnd}; })()"
    )
    rows = page.evaluate(
        "performance.getEntriesByType('resource').map(e => ({name: e.name,"
        " start: e.startTime, end: e.responseEnd, size: e.encodedBodySize}))"
    )
    print(
        f"  timeline of the last load (grade seen by the client at {grade_ms:.0f} ms; "
        f"index.html {nav['resp']:.0f} ms, DOMContentLoaded {nav['dcl']:.0f} ms, "
        f"load {nav['load']:.0f} ms):"
    )
    for r in sorted(rows, key=lambda r: r["start"]):
        name = r["name"].split("//", 1)[-1].split("/", 1)[-1]
        print(f"    {r['start']:7.0f} → {r['end']:7.0f} ms  {r['size'] / 1024:7.1f} kB  /{name}")
    marks = page.evaluate("[window.__gradeInDom, window.__gradeFrame, window.__longTasks]")
    print(f"    grade tag in the DOM {marks[0]:.0f} ms, its frame {marks[1]:.0f} ms")
    for start, dur in marks[2]:
        print(f"    long task {start:7.0f} → {start + dur:7.0f} ms ({dur:.0f} ms)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--pages", type=int, default=10)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--port", type=int, help="server port (default: a free one)")
    ap.add_argument("--src", type=Path, help="serve this source tree instead (a baseline)")
    ap.add_argument("--timeline", action="store_true", help="print the last page load's resources")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="web-answers-"))
    db = args.db
    if db is None:
        db = work / "city.gpkg"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "indspace",
                "demo",
                "--scale",
                "city",
                "--db",
                str(db),
                "--no-serve",
            ],
            check=True,
            capture_output=True,
        )
    with admin_client(db, work / "serve.log", args.port, args.src, timeout=120) as (
        _proc,
        base,
        client,
        login,
    ):
        codes, warm = firms_of_run(client, args.requests, args.seed)
        t0 = time.perf_counter()
        for code in warm:  # one firm per population, not in the sample
            client.get(f"/api/evaluation/explain/{code}", params={"year": YEAR})
        first_explain = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        client.get("/api/evaluation/zones", params={"year": YEAR, "kind": "district"})
        first_zones = (time.perf_counter() - t0) * 1000
        print(
            f"city demo {db.name}: server warm-up (first requests after start) "
            f"explain ×{len(warm)} {first_explain:.0f} ms, zones {first_zones:.0f} ms"
        )
        explain = [timed(client, f"/api/evaluation/explain/{c}", {"year": YEAR}) for c in codes]
        kinds = ("district", "park", "chain")
        zones = [
            timed(client, "/api/evaluation/zones", {"year": YEAR, "kind": kinds[i % 3]})
            for i in range(args.requests)
        ]
        results = {
            "explain": summary("GET /api/evaluation/explain", explain, 100),
            "zones": summary("GET /api/evaluation/zones", zones, 200),
        }
        pages, in_page = browser_times(
            base, codes[: args.pages], login["token"], login["user"], timeline=args.timeline
        )
        if pages:
            results["page"] = summary("enterprise page → grade", pages, 1000)
            results["page_own_clock"] = summary("  (page's own clock)", in_page, 1000)
            in_app = in_app_times(base, codes[: args.pages], login["token"], login["user"])
            results["page_in_app"] = summary("  (link inside the app)", in_app, 1000)
        report(results)


if __name__ == "__main__":
    main()
