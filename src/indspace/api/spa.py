"""Serve the built web UI (``frontend/`` → ``web/static/app/``): ``/`` and ``/assets/…``.

The UI uses hash routing (``/#/map``, ``/#/enterprise/CODE``), so the server needs no
catch-all: ``/`` answers ``index.html`` (never cached, it names the current bundle) and
``/assets/`` the hashed files (cached for a year: a new build writes new names).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.staticfiles import NotModifiedResponse

APP_DIR = Path(__file__).parent.parent / "web" / "static" / "app"

# Rollup names hashed files name-<8 url-safe base64 characters>.ext
HASHED = re.compile(r"-[A-Za-z0-9_-]{8}\.[a-z0-9]+$")
LONG_CACHE = "public, max-age=31536000, immutable"

MISSING = """<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<title>产业空间治理平台</title><body style="font-family:sans-serif;padding:2em">
<h1>产业空间治理平台</h1>
<p>界面尚未构建：在 <code>frontend/</code> 运行 <code>npm ci &amp;&amp; npm run build</code>。
The web UI has not been built: run <code>npm ci &amp;&amp; npm run build</code> in
<code>frontend/</code>.</p><p><a href="/about">/about</a> · <a href="/docs">/docs</a></p>
</body></html>"""


KEPT_BYTES = 4 * 1024 * 1024
"""An asset up to this size is answered from memory (the whole bundle is ~3 MB)."""


class AssetFiles(StaticFiles):
    """Static files with a year-long cache for content-hashed names, answered from memory.

    Starlette's ``FileResponse`` reads a file in 64 kB pieces, each on a worker thread: the
    enterprise page's first load asks for ~1 MB of script in a dozen files at once, and on a
    busy single-worker server those thread hops held up the page's API answers (issue #16).
    A file's bytes are kept after its first read (keyed by path, size and mtime: a rebuilt
    bundle is read again) and sent in one piece, with the same ETag / Last-Modified headers
    and 304 answers as ``FileResponse``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: dict[str, tuple[tuple[int, int], bytes]] = {}

    def file_response(
        self, full_path: Any, stat_result: Any, scope: Any, status_code: int = 200
    ) -> Response:
        response: Response
        if stat_result.st_size > KEPT_BYTES:
            response = super().file_response(full_path, stat_result, scope, status_code)
        else:
            stat_headers = FileResponse(full_path, stat_result=stat_result)
            if self.is_not_modified(stat_headers.headers, Headers(scope=scope)):
                response = NotModifiedResponse(stat_headers.headers)
            else:
                response = Response(
                    self._bytes(str(full_path), stat_result),
                    status_code=status_code,
                    media_type=stat_headers.media_type,
                )
                for name in ("etag", "last-modified"):
                    response.headers[name] = stat_headers.headers[name]
        if HASHED.search(str(full_path)):
            response.headers["Cache-Control"] = LONG_CACHE
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response

    def _bytes(self, path: str, stat_result: Any) -> bytes:
        key = (stat_result.st_size, stat_result.st_mtime_ns)
        kept = self._kept.get(path)
        if kept is None or kept[0] != key:
            kept = (key, Path(path).read_bytes())
            self._kept[path] = kept
        return kept[1]


def mount_spa(app: FastAPI, app_dir: Path = APP_DIR) -> None:
    """``GET /`` → the UI's index.html; ``/assets`` → its hashed files."""
    index = app_dir / "index.html"

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False, response_model=None)
    def spa_index() -> Response:
        if not index.is_file():
            return HTMLResponse(MISSING, status_code=503)
        return FileResponse(
            index, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"}
        )

    app.mount(
        "/assets", AssetFiles(directory=app_dir / "assets", check_dir=False), name="spa-assets"
    )
