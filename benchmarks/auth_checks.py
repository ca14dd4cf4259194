"""What checking the caller before the request's values costs per request (branch auth6).

Workload: the small demo city (``indspace demo --scale small --no-serve --db DB``), served
in-process by FastAPI's TestClient (no network, one process); for each route, 5 rounds of
``--requests`` GETs; the median round's time per request. Routes: a cached vector tile
(anonymous; its layer check is now an async dependency), ``/api/evaluation/runs`` and
``/api/controlline/proposals`` (router-level login / role dependencies), ``/api/auth/me``
(a route-level one), ``/api/jobs/{id}`` (404; the lightest logged-in route) and
``/api/health`` (no dependency at all, the floor).

Run: ``.venv/bin/python benchmarks/auth_checks.py --db small.gpkg``; to compare with
another checkout's code, put its ``src`` first: ``PYTHONPATH=/path/to/base/src
.venv/bin/python benchmarks/auth_checks.py --db small.gpkg`` (the first line printed names
the package measured). Alternate the two a few times: on a shared machine a round's noise
is of the order of the differences."""

from __future__ import annotations

import argparse
import math
import statistics
import time

from fastapi.testclient import TestClient

import indspace
from indspace.api.app import create_app
from indspace.services.demo import DEMO_PASSWORDS


def _tile(z: int = 14, lon: float = 121.55, lat: float = 29.87) -> str:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/parcels/{z}/{x}/{y}.mvt"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    print(indspace.__file__)
    with TestClient(create_app(args.db)) as c:
        login = {"username": "admin", "password": DEMO_PASSWORDS["admin"]}
        h = {"Authorization": f"Bearer {c.post('/api/auth/login', json=login).json()['token']}"}
        cases = {
            "tile (anonymous, cached)": (_tile(), None),
            "GET /api/evaluation/runs (admin)": ("/api/evaluation/runs", h),
            "GET /api/controlline/proposals (admin)": ("/api/controlline/proposals", h),
            "GET /api/auth/me (admin)": ("/api/auth/me", h),
            "GET /api/jobs/abc (admin, 404)": ("/api/jobs/abc", h),
            "GET /api/health": ("/api/health", None),
        }
        for name, (url, headers) in cases.items():
            first = c.get(url, headers=headers)
            assert first.status_code in (200, 204, 404), (url, first.status_code)
            rounds = []
            for _ in range(5):
                t = time.perf_counter()
                for _ in range(args.requests):
                    c.get(url, headers=headers)
                rounds.append((time.perf_counter() - t) / args.requests * 1000)
            each = ", ".join(f"{v:.2f}" for v in rounds)
            print(f"{name}: median {statistics.median(rounds):.2f} ms/request ({each})")


if __name__ == "__main__":
    main()
