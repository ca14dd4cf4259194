"""A configured basemap (issue #16): an XYZ source set by ``INDSPACE_BASEMAP*`` is drawn
under the data, and a GCJ-02 source goes through the UI's shifting protocol. The XYZ source is
a local tile server that answers every tile with one magenta PNG (no network needed); the
offline default (no basemap) is covered by test_overview.py and the other map tests."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import serving, shot

pytestmark = pytest.mark.xdist_group("small_demo")

MAGENTA = (255, 0, 255)


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), MAGENTA).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def tiles() -> Iterator[tuple[str, list[str]]]:
    """A local XYZ tile server: its URL template and the paths it was asked for."""
    body = _png()
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/{{z}}/{{x}}/{{y}}.png", asked
    srv.shutdown()
    srv.server_close()


def magenta_share(png: Path) -> float:
    px = np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)
    return float((px == np.array(MAGENTA)).all(axis=1).mean())


@pytest.mark.parametrize("gcj02", [False, True])
def test_an_xyz_basemap_is_drawn_under_the_data(
    page: Any,
    small_demo: Path,
    tmp_path: Path,
    tiles: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    gcj02: bool,
) -> None:
    url, asked = tiles
    asked.clear()
    monkeypatch.setenv("INDSPACE_BASEMAP", "xyz")
    monkeypatch.setenv("INDSPACE_BASEMAP_URL", url)
    monkeypatch.setenv("INDSPACE_BASEMAP_GCJ02", "true" if gcj02 else "false")
    monkeypatch.setenv("INDSPACE_BASEMAP_ATTRIBUTION", "测试底图")
    with serving(small_demo, tmp_path / "serve.log") as base:
        conf = page.request.get(base + "/api/basemap").json()
        assert conf["kind"] == "xyz" and conf["gcj02"] is gcj02
        page.goto(base + "/#/map")
        page.wait_for_function(
            "() => window.__indspaceMap && window.__indspaceMap.getLayer('basemap-xyz')"
        )
        source = page.evaluate(
            "() => window.__indspaceMap.getStyle().sources['basemap-xyz'].tiles[0]"
        )
        assert source == ("gcj02://{z}/{x}/{y}" if gcj02 else url)
        page.wait_for_function("() => window.__indspaceMap.loaded()")
        page.wait_for_timeout(800)
        assert asked, "the basemap's tiles were never asked for"
        assert "测试底图" in page.get_by_test_id("basemap-note").inner_text()
        # under the data: the first layer after the background
        order = page.evaluate("() => window.__indspaceMap.getStyle().layers.map(l => l.id)")
        assert order[1] == "basemap-xyz", order
        png = shot(page, f"map-basemap-{'gcj02' if gcj02 else 'xyz'}")
        assert magenta_share(png) > 0.2, "the basemap is not drawn"
    assert not page.errors
