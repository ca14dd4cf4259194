"""Vector tiles at ``/tiles`` (docs/web-api.md): the layer list, TileJSON 3.0 per layer and
MVT tiles (WebMercatorQuad). An empty tile is ``204 No Content``; z/x/y outside the layer's
zooms or the tile matrix is ``400`` with the bilingual error body.

``guard(request, layer)`` is called before anything of a layer is served — before the layer
is even looked up, so it must refuse an unknown name as it refuses a layer that needs a login
— and raises (an ``IndspaceError`` with its HTTP status) to refuse; the main application
plugs its roles in there (``INDSPACE_PUBLIC_LAYERS``). On the tile route it runs on the
event loop (so that cache hits need no thread hop): it must not block — a token lookup
should be in memory or cached."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from indspace.services import tiles as service
from indspace.store import Store

Guard = Callable[[Request, str], "service.Scope | None"]
"""``guard(request, layer)`` refuses by raising, or returns the scope to narrow the layer
to (``("district", code)`` / ``("owner", credit_code)``), or None for the whole layer."""


Listing = Callable[[Request], "tuple[Iterable[str], bool]"]
"""``listing(request)`` → (the deployment's public layers, whether the caller is
anonymous): the tile list marks the public ones and shows an anonymous caller only those."""


def router(store: Store, guard: Guard | None = None,
           tiles: service.TileService | None = None,
           listing: Listing | None = None) -> APIRouter:
    """The ``/tiles`` routes over ``store`` (one tile service: its cache). ``tiles`` may
    pass a service built by the caller (tests: a cache without poll delay). Without
    ``listing`` the list shows every layer, public as the code's defaults say."""
    svc = tiles or service.TileService(store, refresh=True, warm=True)
    r = APIRouter(prefix="/tiles", tags=["Vector tiles / 矢量瓦片"])

    def allow(request: Request, layer_id: str) -> service.Scope | None:
        # the guard first: an unknown layer is refused like a login layer (401 for an
        # anonymous caller, whatever the name), so the answer never tells which layers
        # exist; the 404 is for callers the guard lets through
        scope = guard(request, layer_id) if guard is not None else None
        service.layer(layer_id)
        return scope

    async def layer_scope(request: Request, layer_id: str) -> service.Scope | None:
        """:func:`allow` as the routes' dependency: the layer and the caller are settled
        before ``z/x/y`` are judged (anonymous on a login layer → 401, not 422). Async, so
        it runs on the event loop like the tile route itself."""
        return allow(request, layer_id)

    # (a default, not an Annotated alias: a local alias is not resolvable from the string
    # annotations of this module)
    layer = Depends(layer_scope)

    def base(request: Request) -> str:
        return str(request.url_for("tiles_list")).rstrip("/")

    @r.get("", name="tiles_list")
    def tiles_list(request: Request) -> dict[str, Any]:
        """瓦片图层列表（匿名用户只见公开图层）/ tile layers with their TileJSON and tile URL
        templates (anonymous readers see the public layers only)."""
        public, anonymous = (
            listing(request) if listing is not None
            else ([k for k, lay in service.LAYERS.items() if lay.public], False))
        layers = svc.layers(base(request), public, public_only=anonymous)
        return {"layers": layers, "tile_matrix_set": "WebMercatorQuad",
                "extent": service.EXTENT, "buffer": service.BUFFER}

    @r.get("/{layer_id}.json")
    def tilejson(request: Request, layer_id: str,
                 scope: service.Scope | None = layer) -> JSONResponse:
        """TileJSON 3.0（范围、级别、图层字段）/ TileJSON 3.0 of one layer."""
        url = f"{base(request)}/{layer_id}/{{z}}/{{x}}/{{y}}.mvt"
        return JSONResponse(svc.tilejson(layer_id, url))

    @r.get("/{layer_id}/{z}/{x}/{y}.mvt")
    async def tile(request: Request, layer_id: str, z: int, x: int, y: int,
                   scope: service.Scope | None = layer) -> Response:
        """矢量瓦片（MVT，EPSG:3857）；无要素时 204 / a vector tile; 204 when empty."""
        # Cache hits are answered on the event loop (a worker-thread hop costs ~5 ms, the
        # GIL switch interval); misses and audit polls run in the thread pool.
        data = svc.cached(layer_id, z, x, y, scope)
        if data is None:
            data = await run_in_threadpool(svc.tile, layer_id, z, x, y, scope)
        if not data:
            return Response(status_code=204)
        return Response(data, media_type=service.MVT)

    return r
