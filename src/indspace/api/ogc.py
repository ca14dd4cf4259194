"""OGC API – Features (Part 1 core, Part 2 CRS) at ``/ogc``: landing page, conformance,
collections, items (GeoJSON) and single features — readable by GDAL/QGIS (``OAPIF:``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from indspace.api.deps import PublicLayers, Who, enterprise_filter_reader
from indspace.core.access import Principal
from indspace.core.errors import IndspaceError
from indspace.services import ogc as service
from indspace.services.ogc_derived import DERIVED
from indspace.services.scope import (
    check_enterprise_filters,
    redact_features,
    require_layer,
    tile_scope,
)
from indspace.store import Store

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"

OgcLimit = Annotated[int, Query(ge=1, json_schema_extra={"maximum": service.MAX_LIMIT},
                                description="每页要素数（最多 10000）/ page size (max 10000)")]
OgcOffset = Annotated[int, Query(ge=0, le=10_000_000, description="偏移 / offset")]
Bbox = Annotated[str | None, Query(description="minx,miny,maxx,maxy（默认 CRS84）/ in CRS84 "
                                               "unless bbox-crs is given")]
BboxCrs = Annotated[str | None, Query(alias="bbox-crs", description="bbox 的坐标系 / CRS of bbox")]
Crs = Annotated[str | None, Query(description="输出坐标系 / output CRS (CRS84, EPSG:4326, "
                                              "EPSG:4490, store CRS)")]
Fmt = Annotated[str | None, Query(description="输出格式：json / output format: json")]
ResultType = Annotated[Literal["results", "hits"], Query(
    alias="resultType", description="hits：只返回 numberMatched / hits: count only (GDAL uses "
                                    "it for feature counts under a filter)")]


def _base(request: Request) -> str:
    return str(request.url_for("ogc_landing")).rstrip("/")


def _check_format(f: str | None, *allowed: str) -> None:
    if f is not None and f.lower() not in {"json", *allowed}:
        raise service.OgcParameterError(f"不支持的格式 f={f}", f"unsupported format f={f}",
                                        where="f", hint_en="use f=json")


def _json(body: Any, media: str = JSON, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, media_type=media, headers=headers)


def _guard(who: Principal, collection_id: str, layers: tuple[str, ...]
           ) -> tuple[str, str] | None:
    """Anonymous readers get the public layers; any other name — an unknown collection too
    — needs a login first (401), so an anonymous caller is not told which collections exist
    (the 404 comes after, from the service). Derived collections (latest grades, units) are
    narrowed to the caller's scope, which is returned."""
    require_layer(who, collection_id, layers)
    if collection_id in DERIVED:
        return tile_scope(who, collection_id)
    return None


async def _collection_scope(collection_id: str, who: Who, layers: PublicLayers
                            ) -> tuple[str, str] | None:
    """:func:`_guard` as the routes' dependency: the caller may read the collection before
    any query value (``limit``, ``bbox``, ``f``…) is judged (anonymous → 401, not 422)."""
    return _guard(who, collection_id, layers)


CollectionScope = Annotated[tuple[str, str] | None, Depends(_collection_scope)]


def _derived_for(who: Principal) -> dict[str, tuple[str, str] | None]:
    """The derived collections a logged-in caller may list, with its scope in each."""
    if who.role == "anonymous":
        return {}
    out: dict[str, tuple[str, str] | None] = {}
    for cid in DERIVED:
        try:
            out[cid] = tile_scope(who, cid)
        except IndspaceError:
            continue
    return out


def router(store: Store) -> APIRouter:
    """The ``/ogc`` routes over ``store`` (one service object: its spatial index cache)."""
    ogc = service.OgcService(store)
    r = APIRouter(prefix="/ogc", tags=["OGC API – Features"])

    @r.get("", name="ogc_landing")
    def landing(request: Request, f: Fmt = None) -> JSONResponse:
        """OGC API 首页 / landing page."""
        _check_format(f)
        base = _base(request)
        return _json({
            "title": "indspace OGC API – Features",
            "description": "产业空间治理平台空间数据（宗地、建筑、控制线、园区）/ "
                           "parcels, buildings, control lines and parks",
            "links": [
                {"href": base, "rel": "self", "type": JSON, "title": "this document"},
                {"href": str(request.url_for("openapi")), "rel": "service-desc",
                 "type": OPENAPI, "title": "API definition (OpenAPI 3)"},
                {"href": str(request.url_for("swagger_ui_html")), "rel": "service-doc",
                 "type": "text/html", "title": "API documentation"},
                {"href": f"{base}/conformance", "rel": "conformance", "type": JSON,
                 "title": "conformance classes"},
                {"href": f"{base}/collections", "rel": "data", "type": JSON,
                 "title": "collections"},
            ],
        })

    @r.get("/conformance")
    def conformance(f: Fmt = None) -> JSONResponse:
        """符合性声明 / conformance classes."""
        _check_format(f)
        return _json({"conformsTo": service.CONFORMANCE})

    @r.get("/collections")
    def collections(request: Request, who: Who, layers: PublicLayers,
                    f: Fmt = None) -> JSONResponse:
        """数据集列表（匿名用户只见公开图层）/ collections with CRS84 extents and supported
        CRS (anonymous readers see the public layers only)."""
        _check_format(f)
        body = ogc.collections(_base(request), _derived_for(who))
        if who.role == "anonymous":
            body["collections"] = [c for c in body["collections"] if c["id"] in layers]
        return _json(body)

    @r.get("/collections/{collection_id}")
    def collection(request: Request, collection_id: str, scope: CollectionScope,
                   f: Fmt = None) -> JSONResponse:
        """单个数据集 / one collection."""
        _check_format(f)
        return _json(ogc.collection(collection_id, _base(request), scope))

    @r.get("/collections/{collection_id}/items", dependencies=[enterprise_filter_reader()])
    def items(request: Request, collection_id: str, who: Who, scope: CollectionScope,
              limit: OgcLimit = service.DEFAULT_LIMIT,
              offset: OgcOffset = 0, bbox: Bbox = None, bbox_crs: BboxCrs = None,
              crs: Crs = None, result_type: ResultType = "results",
              f: Fmt = None) -> JSONResponse:
        """要素分页（GeoJSON）/ a page of features; other query parameters filter on
        properties by equality, e.g. ``?district=330212``."""
        _check_format(f, "geojson")
        params = dict(request.query_params)
        if collection_id in DERIVED:
            body, out_crs = ogc.derived_items(
                collection_id, limit=limit, offset=offset, bbox=bbox, bbox_crs=bbox_crs,
                crs=crs, params=params, hits=result_type == "hits", scope=scope)
        else:
            check_enterprise_filters(who, ogc.store, collection_id, params)
            body, out_crs = ogc.items(collection_id, limit=limit, offset=offset, bbox=bbox,
                                      bbox_crs=bbox_crs, crs=crs, params=params,
                                      hits=result_type == "hits")
            redact_features(who, collection_id, body)
        url = f"{_base(request)}/collections/{collection_id}/items"

        def page(at: int) -> str:
            return url + "?" + urlencode({**params, "offset": str(at),
                                          "limit": str(min(limit, service.MAX_LIMIT))})

        links = [{"href": str(request.url), "rel": "self", "type": GEOJSON,
                  "title": "this page"},
                 {"href": f"{_base(request)}/collections/{collection_id}", "rel": "collection",
                  "type": JSON, "title": "the collection"}]
        step = min(limit, service.MAX_LIMIT)
        more = (offset + body["numberReturned"] < body["numberMatched"]
                if "numberMatched" in body else body["numberReturned"] == step)
        if more:
            links.append({"href": page(offset + step), "rel": "next", "type": GEOJSON,
                          "title": "next page"})
        if offset > 0:
            links.append({"href": page(max(0, offset - step)), "rel": "prev",
                          "type": GEOJSON, "title": "previous page"})
        body["links"] = links
        return _json(body, GEOJSON, {"Content-Crs": f"<{out_crs}>"})

    @r.get("/collections/{collection_id}/items/{feature_id}")
    def feature(request: Request, collection_id: str, feature_id: str, who: Who,
                scope: CollectionScope, crs: Crs = None, f: Fmt = None) -> JSONResponse:
        """单个要素 / one feature by its natural key."""
        _check_format(f, "geojson")
        if collection_id in DERIVED:
            body, out_crs = ogc.derived_items(
                collection_id, limit=1, offset=0, bbox=None, bbox_crs=None, crs=crs,
                params={}, hits=False, scope=scope, feature_id=feature_id)
        else:
            body, out_crs = ogc.feature(collection_id, feature_id, crs)
            redact_features(who, collection_id, body)
        base = _base(request)
        body["links"] = [
            {"href": str(request.url), "rel": "self", "type": GEOJSON, "title": "this feature"},
            {"href": f"{base}/collections/{collection_id}", "rel": "collection", "type": JSON,
             "title": "the collection"}]
        return _json(body, GEOJSON, {"Content-Crs": f"<{out_crs}>"})

    return r
