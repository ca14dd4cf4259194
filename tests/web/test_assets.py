"""The committed UI build matches frontend/ (rebuilt from a clean copy), and the server serves
it: ``/`` the app, ``/about`` the landing page, ``/assets/…`` with the right types and caching.

The rebuild needs node and npm (and the npm registry or its cache); it skips without them,
except under ``CI=true`` / ``INDSPACE_FULL_TESTS=1`` where that is a failure.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indspace.api.app import create_app
from indspace.api.spa import APP_DIR
from tests.conftest import need

ROOT = Path(__file__).parents[2]
FRONTEND = ROOT / "frontend"


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.xdist_group("npm_build")
def test_committed_build_matches_the_sources(tmp_path: Path) -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        need("node/npm", "not on PATH; they rebuild frontend/ to compare with the committed build")
    # A clean copy: no node_modules, another absolute path — the output must not depend on it.
    src = tmp_path / "frontend"
    shutil.copytree(FRONTEND, src, ignore=shutil.ignore_patterns("node_modules", "dist"))
    out = tmp_path / "out"

    def sh(*cmd: str) -> None:
        r = subprocess.run(cmd, cwd=src, capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"

    sh(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
    sh(npm, "run", "build", "--", "--outDir", str(out), "--emptyOutDir")
    built, committed = digests(out), digests(APP_DIR)
    assert sorted(built) == sorted(committed), (
        "file names differ: run `npm run build` in frontend/ and commit "
        f"src/indspace/web/static/app/ (only built: {sorted(set(built) - set(committed))}, "
        f"only committed: {sorted(set(committed) - set(built))})"
    )
    changed = [name for name in built if built[name] != committed[name]]
    assert not changed, f"contents differ (rebuild and commit): {changed}"


def test_committed_build_is_complete() -> None:
    index = (APP_DIR / "index.html").read_text(encoding="utf-8")
    assert "产业空间治理平台" in index
    for ref in ("/assets/index-",):
        assert ref in index
    names = [p.name for p in (APP_DIR / "assets").iterdir()]
    for chunk in ("maplibre-", "echarts-", "element-plus-", "MapPage-"):
        assert any(n.startswith(chunk) for n in names), chunk


@pytest.fixture(scope="module")
def client(small_demo: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_demo)) as c:
        yield c


@pytest.mark.xdist_group("small_demo")
def test_root_serves_the_app_and_about_the_landing_page(client: TestClient) -> None:
    root = client.get("/")
    assert root.status_code == 200 and root.headers["content-type"].startswith("text/html")
    assert '<div id="app">' in root.text and "/assets/" in root.text
    assert root.headers["cache-control"] == "no-cache"
    assert client.head("/").status_code == 200
    about = client.get("/about")
    assert about.status_code == 200 and "<svg" in about.text and "海曙区" in about.text
    assert 'href="/"' in about.text  # the landing page links the app


@pytest.mark.xdist_group("small_demo")
def test_assets_have_types_and_long_cache(client: TestClient) -> None:
    kinds = {".js": "text/javascript", ".css": "text/css"}
    seen = set()
    for p in sorted((APP_DIR / "assets").iterdir()):
        r = client.get(f"/assets/{p.name}")
        assert r.status_code == 200, p.name
        if p.suffix in kinds:
            assert r.headers["content-type"].split(";")[0] == kinds[p.suffix], p.name
            seen.add(p.suffix)
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable", p.name
        assert r.content == p.read_bytes()
    assert seen == {".js", ".css"}
    assert client.get("/assets/nope-12345678.js").status_code == 404
    # Every asset index.html names exists.
    for ref in client.get("/").text.split('"'):
        if ref.startswith("/assets/"):
            assert client.get(ref).status_code == 200, ref
