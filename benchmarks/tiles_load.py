"""Vector-tile load test: indspace `/tiles` vs TiPg over the same PostGIS tables.

Workload: the demo city built into a PostGIS database; a fixed list of parcel tiles at
z12–z16 (up to ``--per-zoom`` distinct tiles per zoom, those holding parcel centroids, in a
seeded random order). Each server runs in its own uvicorn subprocess (one worker, no access
log) on 127.0.0.1; the same asyncio/httpx client code loads the list with 10 and with 100
concurrent clients and records each request's latency and status.

* indspace: ``GET /tiles/parcels/{z}/{x}/{y}.mvt`` (attributes incl. ``line_status``, read
  from the kept ``parcel_line_status`` since issue #16; before, PostGIS computed it per tile
  against the control line). Pass 1 on a fresh server is all cache misses (every tile built
  by PostGIS); pass 2 repeats the list (all cache hits).
* TiPg: ``GET /collections/public.parcels/tiles/WebMercatorQuad/{z}/{x}/{y}?properties=…``
  (the parcel columns, no line status), buffer set to 64 like ours and the per-tile feature
  cap raised to 100 000 so that z12 tiles are complete. TiPg has no tile cache: its two
  passes do the same work.

TiPg's dependencies (asyncpg, buildpg, starlette-cramjam, its FastAPI/pydantic pins) are
not indspace's: the script installs it once into a throw-away venv ``.tools/tipg-venv``
(``uv venv`` with the system Python, ``UV_PYTHON_DOWNLOADS=never``), never into ``.venv``.

Run: ``.venv/bin/python benchmarks/tiles_load.py [--scale city] [--pg URL] [--reuse]
[--rounds N] [--port P]`` (``--reuse`` keeps an existing benchmark database instead of
rebuilding the demo; ``--rounds`` repeats every measurement on fresh servers, alternating
which server goes first, and the table gives each round; ``--port`` uses P and P+1 instead
of free ports). Each row also gives CPU time per request (user + system, ``psutil``) of
the server process and of the PostgreSQL backends connected to the server's database (the
tile SQL runs there; on a shared machine these are steadier than latencies), and the load
average is printed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
import sqlalchemy as sa

from indspace.core.geo.tiles import lonlat_to_tile

ROOT = Path(__file__).resolve().parents[1]
TIPG_VENV = ROOT / ".tools" / "tipg-venv"
TIPG_VERSION = "1.6.1"
ZOOMS = range(12, 17)
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/indspace_bench_tiles"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_tipg() -> Path:
    exe = TIPG_VENV / "bin" / "uvicorn"
    if exe.exists():
        return exe
    uv = subprocess.run([str(ROOT / "scripts" / "bootstrap-uv.sh")], capture_output=True,
                        text=True, check=True, cwd=ROOT).stdout.strip()
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": str(TIPG_VENV)}
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(TIPG_VENV)], check=True,
                   env=env, cwd=ROOT)
    subprocess.run([uv, "pip", "install", "-q", f"tipg=={TIPG_VERSION}", "uvicorn"],
                   check=True, env=env, cwd=ROOT)
    return exe


def build_db(url: str, scale: str, reuse: bool) -> None:
    if reuse:
        try:
            eng = sa.create_engine(url)
            with eng.connect() as conn:
                n = conn.execute(sa.text("SELECT count(*) FROM parcels")).scalar()
            eng.dispose()
            if n:
                print(f"reusing {url}: {n:,} parcels")
                return
        except sa.exc.SQLAlchemyError:
            pass
    from indspace.services.demo import build_demo_store

    t0 = time.perf_counter()
    res = build_demo_store(url, scale=scale)
    print(f"built the {scale} demo into PostGIS in {time.perf_counter() - t0:.0f} s: "
          f"{res.counts['parcels']:,} parcels")


def tile_list(url: str, per_zoom: int, seed: int = 8) -> list[tuple[int, int, int]]:
    from indspace.store import Store

    with Store.open(url) as store:
        parcels = store.read_frame("parcels", columns=["parcel_id", "geometry"])
    pts = parcels.geometry.representative_point().to_crs(4326)
    lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    rng = np.random.default_rng(seed)
    out: list[tuple[int, int, int]] = []
    for z in ZOOMS:
        tiles = sorted({lonlat_to_tile(a, b, z) for a, b in zip(lon, lat, strict=True)})
        pick = rng.choice(len(tiles), size=min(per_zoom, len(tiles)), replace=False)
        out += [(z, *tiles[i]) for i in sorted(pick.tolist())]
    order = rng.permutation(len(out))
    return [out[i] for i in order.tolist()]


def start(cmd: list[str], env: dict[str, str], port: int, probe: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}"
                               if proc.stderr else "server exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"server on port {port} did not come up")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def indspace_server(pg: str, port: int = 0, src: str | None = None
                    ) -> tuple[subprocess.Popen[bytes], str]:
    """The indspace app in its own uvicorn process; ``src``: another checkout's ``src``
    directory put first on the path (``--base-src``: the code before a change)."""
    port = port or free_port()
    code = ("import uvicorn, sys; from indspace.api.app import create_app; "
            "uvicorn.run(create_app(sys.argv[1]), host='127.0.0.1', port=int(sys.argv[2]), "
            "log_level='warning', access_log=False)")
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    proc = start([sys.executable, "-c", code, pg, str(port)], env, port, "/tiles")
    return proc, f"http://127.0.0.1:{port}/tiles/parcels/{{z}}/{{x}}/{{y}}.mvt"


def tipg_server(pg: str, port: int = 0) -> tuple[subprocess.Popen[bytes], str]:
    exe = ensure_tipg()
    port = port or free_port()
    env = {**os.environ, "DATABASE_URL": pg.replace("postgresql+psycopg://", "postgresql://"),
           "TIPG_DB_SCHEMAS": '["public"]', "TIPG_DB_TABLES": '["public.parcels"]',
           "TIPG_TILE_BUFFER": "64", "TIPG_MAX_FEATURES_PER_TILE": "100000"}
    proc = start([str(exe), "tipg.main:app", "--host", "127.0.0.1", "--port", str(port),
                  "--log-level", "warning", "--no-access-log"], env, port, "/healthz")
    return proc, (f"http://127.0.0.1:{port}/collections/public.parcels/tiles/WebMercatorQuad/"
                  "{z}/{x}/{y}?properties=parcel_id,district,land_use_code,area_m2")


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str,
               path: str) -> tuple[int, int]:
    """One HTTP/1.1 keep-alive GET on an open connection → (status, body bytes)."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {k.strip().lower(): v.strip() for k, _, v in
              (ln.partition(":") for ln in lines[1:] if ln)}
    if fields.get("transfer-encoding") == "chunked":
        n = 0
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            n += size
            if size == 0:
                return status, n
    size = int(fields.get("content-length", "0"))
    await reader.readexactly(size)
    return status, size


async def load(template: str, tiles: list[tuple[int, int, int]], clients: int
               ) -> dict[str, float]:
    """Request every tile once with ``clients`` concurrent keep-alive connections (a minimal
    asyncio HTTP/1.1 client: httpx's own CPU cost capped this 2-core machine at ~130 req/s,
    which measured the client, not the servers); latency and status of every request."""
    url = httpx.URL(template)
    host, port = url.host, url.port or 80
    queue: asyncio.Queue[tuple[int, int, int]] = asyncio.Queue()
    for t in tiles:
        queue.put_nowait(t)
    lat: list[float] = []
    errors = 0
    nbytes = 0

    async def worker() -> None:
        nonlocal errors, nbytes
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                try:
                    z, x, y = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                full = httpx.URL(template.format(z=z, x=x, y=y))
                path = full.raw_path.decode()
                t0 = time.perf_counter()
                try:
                    status, size = await _get(reader, writer, host, path)
                    ok = status in (200, 204)
                    nbytes += size
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                lat.append(time.perf_counter() - t0)
                errors += not ok
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - t0
    ms = np.array(lat) * 1000
    return {"n": len(lat), "errors": errors, "p50": float(np.percentile(ms, 50)),
            "p95": float(np.percentile(ms, 95)), "max": float(ms.max()),
            "rps": len(lat) / wall, "mib": nbytes / 2**20}


def same_features(ours: str, theirs: str, tiles: list[tuple[int, int, int]]) -> str:
    import mapbox_vector_tile

    def ids(template: str, layer: str, t: tuple[int, int, int]) -> set[str]:
        r = httpx.get(template.format(z=t[0], x=t[1], y=t[2]), timeout=60)
        if r.status_code == 204 or not r.content:
            return set()
        dec = mapbox_vector_tile.decode(r.content)
        return {f["properties"]["parcel_id"] for f in dec.get(layer, {}).get("features", [])}

    diffs = [len(ids(ours, "parcels", t) ^ ids(theirs, "default", t)) for t in tiles]
    return f"{sum(d == 0 for d in diffs)}/{len(diffs)} sample tiles carry the same parcels"


def cpu_s(proc: subprocess.Popen[bytes]) -> float:
    """User + system CPU seconds of a server process so far."""
    t = psutil.Process(proc.pid).cpu_times()
    return float(t.user + t.system)


def db_cpu(pg: str) -> dict[int, float]:
    """User + system CPU seconds so far of each PostgreSQL backend connected to the
    database of ``pg`` (the server is local: the backends are processes of this machine)."""
    url = sa.make_url(pg)
    eng = sa.create_engine(url.set(database="postgres"))
    try:
        with eng.connect() as conn:
            pids = [int(r[0]) for r in conn.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": url.database})]
    finally:
        eng.dispose()
    out: dict[int, float] = {}
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        out[pid] = float(t.user + t.system)
    return out


def db_cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the backends spent between two :func:`db_cpu` samples (a backend that
    started in between counts from 0; one that ended in between is lost: the servers keep
    their connections, so this is rare)."""
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="city")
    ap.add_argument("--pg", default=PG_DEFAULT)
    ap.add_argument("--per-zoom", type=int, default=120)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds every server is given after it answers, before the passes "
                    "(its start-up work: indspace warms its database connections)")
    ap.add_argument("--base-src", help="also run the indspace code of this src/ directory "
                    "(e.g. an exported older commit) as the server 'indspace base'")
    ap.add_argument("--base-pg", help="the database for --base-src (its schema revision)")
    args = ap.parse_args()
    build_db(args.pg, args.scale, args.reuse)
    tiles = tile_list(args.pg, args.per_zoom)
    print(f"{len(tiles)} tile URLs, z{ZOOMS.start}–z{ZOOMS.stop - 1}")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    ports = (args.port, args.port + 1, args.port + 2) if args.port else (0, 0, 0)
    servers: tuple[tuple[str, str, Any], ...] = (
        ("indspace", args.pg, lambda: indspace_server(args.pg, ports[0])),
        ("TiPg", args.pg, lambda: tipg_server(args.pg, ports[1])))
    if args.base_src:
        base_pg = args.base_pg or args.pg
        servers += (("indspace base", base_pg,
                     lambda: indspace_server(base_pg, ports[2], args.base_src)),)
    rows = []
    for clients in (10, 100):
        for rnd in range(args.rounds):
            for name, pg, factory in (servers if rnd % 2 == 0 else servers[::-1]):
                proc, template = factory()
                time.sleep(args.settle)
                try:
                    for pass_no in (1, 2):
                        kind = "cold: cache misses" if pass_no == 1 else "warm: cache hits"
                        label = name if name == "TiPg" else f"{name} ({kind})"
                        c0, d0 = cpu_s(proc), db_cpu(pg)
                        r = asyncio.run(load(template, tiles, clients))
                        r["cpu_ms"] = (cpu_s(proc) - c0) / r["n"] * 1000
                        r["db_ms"] = db_cpu_spent(d0, db_cpu(pg)) / r["n"] * 1000
                        rows.append((label, clients, rnd + 1, pass_no, r))
                finally:
                    stop(proc)
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    a, b = indspace_server(args.pg, ports[0]), tipg_server(args.pg, ports[1])
    try:
        print(same_features(a[1], b[1], tiles[:30]))
    finally:
        stop(a[0])
        stop(b[0])
    print(f"\n{'server':34s} {'clients':>7s} {'round':>5s} {'pass':>4s} {'n':>5s} {'errors':>6s} "
          f"{'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'req/s':>8s} {'MiB':>6s} "
          f"{'CPU ms/req':>10s} {'DB CPU ms/req':>13s}")
    for label, clients, rnd, pass_no, r in sorted(rows, key=lambda t: (t[1], t[0], t[3], t[2])):
        print(f"{label:34s} {clients:7d} {rnd:5d} {pass_no:4d} {r['n']:5.0f} {r['errors']:6.0f} "
              f"{r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['rps']:8.1f} "
              f"{r['mib']:6.1f} {r['cpu_ms']:10.2f} {r['db_ms']:13.2f}")


if __name__ == "__main__":
    main()
