"""The server stays up (issue #15): ``/api/health`` answers while a 1 000 000-column upload
and a 40 000-parcel upload are in flight against a real ``indspace serve``.

A functional liveness check, not a benchmark: each health request must answer 200 within
its generous client timeout; the slowest answer is printed (``-s``) for the record."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from indspace.services.demo import DEMO_PASSWORDS

pytestmark = pytest.mark.xdist_group("small_demo")

HEALTH_TIMEOUT_S = 5.0


@pytest.fixture(scope="module")
def served(
    small_demo: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("live")
    db = tmp / "demo.gpkg"
    shutil.copy(small_demo, db)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (tmp / "serve.log").open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "indspace", "serve", "--db", str(db), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(base + "/api/health", timeout=2)
                    break
                except httpx.HTTPError:
                    assert proc.poll() is None, (tmp / "serve.log").read_text()[-3000:]
                    time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _parcels_csv(n: int) -> bytes:
    """``n`` 30 m squares in a grid (EPSG:4549, inside 330203), one per row, as WKT."""
    x0, y0 = 630_000.0, 3_300_000.0
    lines = ["parcel_id,land_use_code,area_m2,district,wkt"]
    for i in range(n):
        x, y = x0 + (i % 200) * 40, y0 + (i // 200) * 40
        lines.append(
            f'LIVE{i:06d},100101,900,330203,"POLYGON(({x} {y},{x + 30} {y},'
            f'{x + 30} {y + 30},{x} {y + 30},{x} {y}))"'
        )
    return ("\n".join(lines) + "\n").encode()


def test_health_answers_while_big_uploads_run(served: str) -> None:
    token = httpx.post(
        served + "/api/auth/login", json={"username": "admin", "password": DEMO_PASSWORDS["admin"]}
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    wide = ",".join(f"c{i}" for i in range(1_000_000)).encode() + b"\n" + b"1," * 10 + b"\n"
    parcels = _parcels_csv(40_000)
    answers: dict[str, int] = {}

    def send(name: str, kind: str, data: bytes) -> None:
        r = httpx.post(
            f"{served}/api/imports?kind={kind}",
            headers=auth,
            timeout=600,
            files={"file": (f"{name}.csv", data)},
        )
        answers[name] = r.status_code
        if r.status_code == 202:  # follow the job while health is probed
            for _ in range(1200):
                job = httpx.get(served + r.json()["href"], headers=auth, timeout=30).json()
                if job["state"] in ("done", "failed"):
                    answers[name + "_job"] = job["state"] == "done"
                    return
                time.sleep(0.5)

    uploads = [
        threading.Thread(target=send, args=("wide", "enterprises", wide)),
        threading.Thread(target=send, args=("parcels", "parcels", parcels)),
    ]
    for t in uploads:
        t.start()
    latencies: list[float] = []
    while any(t.is_alive() for t in uploads) or len(latencies) < 5:
        started = time.perf_counter()
        r = httpx.get(served + "/api/health", timeout=HEALTH_TIMEOUT_S)
        latencies.append(time.perf_counter() - started)
        assert r.status_code == 200 and r.json() == {"status": "ok"}
        time.sleep(0.1)
    for t in uploads:
        t.join()
    assert answers["wide"] == 422  # refused by its header, the server unharmed
    assert answers["parcels"] == 202 and answers.get("parcels_job") is True, answers
    print(
        f"\nhealth during uploads: {len(latencies)} requests, slowest "
        f"{max(latencies) * 1000:.0f} ms, median "
        f"{sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms"
    )
