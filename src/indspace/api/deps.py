"""What every route needs: the store, the caller (a :class:`Principal` from a bearer token or
HTTP basic credentials), settings; and the one error shape, security headers and ETags."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from indspace.core.access import Principal
from indspace.core.errors import IndspaceError, RateLimitedError
from indspace.services.accounts import Authenticator
from indspace.services.scope import require_filter_login, require_layer, tile_scope
from indspace.store import Store

log = logging.getLogger("indspace.api")

_bearer = HTTPBearer(auto_error=False, description="登录后获得的访问令牌 / token from "
                     "POST /api/auth/login")
_basic = HTTPBasic(auto_error=False, description="HTTP 基本认证（ogrinfo、QGIS）/ HTTP basic "
                   "auth for GIS clients")


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def current_principal(
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)]) -> Principal:
    """Bearer token or basic credentials → the caller; neither → anonymous. (The two
    security dependencies document both schemes in the OpenAPI spec.)"""
    return _caller(request)


def _caller(request: Request) -> Principal:
    auth: Authenticator = request.app.state.auth
    return auth.from_header(request.headers.get("authorization"),
                            request.client.host if request.client else "")


def layer_guard(request: Request, layer: str) -> tuple[str, str] | None:
    """Tiles: anonymous readers get the public layers (no look-up at all); any other name,
    an unknown one too, needs a login (so anonymous callers are not told which layers
    exist). A header is resolved to its account first. Returns the scope a scoped layer is
    narrowed to: a district officer sees grades and units of its district, an enterprise
    user the grades of its own parcels (and no units)."""
    layers = request.app.state.public_layers
    if layer in layers:
        return None
    who = _caller(request)
    require_layer(who, layer, layers)
    return tile_scope(who, layer)


def layer_listing(request: Request) -> tuple[tuple[str, ...], bool]:
    """Tiles list: the deployment's public layers and whether the caller is anonymous (a
    header is resolved to its account: a bad token is refused, 401)."""
    return request.app.state.public_layers, _caller(request).role == "anonymous"


def public_layers(request: Request) -> tuple[str, ...]:
    layers: tuple[str, ...] = request.app.state.public_layers
    return layers


StoreDep = Annotated[Store, Depends(get_store)]
Who = Annotated[Principal, Depends(current_principal)]
PublicLayers = Annotated[tuple[str, ...], Depends(public_layers)]


Check = Callable[[Request, Principal], object]
"""``check(request, who)``: refuses the caller by raising (401 or 403); asked only about the
caller and the route's path (never a query or body value)."""

_CHECKS: WeakKeyDictionary[Callable[..., Any], Check] = WeakKeyDictionary()
"""The dependency functions made by :func:`gate`, each with its check."""

_CHECKED = "indspace.checked"
"""``request.scope`` key: the checks of :func:`gate` that have passed for this request."""


def gate(check: Check) -> Any:
    """A dependency that asks ``check(request, who)`` about the caller and gives the caller
    back. Declared on a router (``APIRouter(dependencies=[...])``) or a route, it runs before
    FastAPI judges the route's own path, query, header and body values, so a caller who may
    not call the route learns nothing of them: anonymous → 401, a role not allowed → 403,
    and only then a 422 for a bad value. The few refusals made before any dependency is
    solved (a body that is not JSON, an unreadable form, a method the path does not take)
    ask the route's gates first too (:func:`install`'s handlers, :func:`_refusal_of_caller`)."""

    async def caller(request: Request, who: Who) -> Principal:   # pure: no thread hop
        check(request, who)
        request.scope.setdefault(_CHECKED, set()).add(check)
        return who

    _CHECKS[caller] = check
    return Depends(caller)


def allowed(rule: Callable[[Principal], object]) -> Any:
    """:func:`gate` for a service's rule about the caller alone (``rule(who)`` raises 401 or
    403). The rules stay in the services and ``core/access`` (one owner); this only decides
    when they are asked."""
    return gate(lambda request, who: rule(who))


LOGIN = allowed(Principal.require_login)
"""``APIRouter(dependencies=[LOGIN])``: every route of the router needs a logged-in caller
(anonymous → 401), checked before the request's values. Public routes (login, health, the
store's facts, vocabulary, basemap, districts) and the public-layer ones
(:func:`layer_reader`) live on routers without it."""


def layer_reader(*layer_names: str) -> Any:
    """A dependency: the caller may read the spatial layers ``layer_names`` (anonymous
    callers only the public ones, ``INDSPACE_PUBLIC_LAYERS``), asked before the request's
    values are judged."""

    def check(request: Request, who: Principal) -> None:
        layers = request.app.state.public_layers
        for name in layer_names:
            require_layer(who, name, layers)

    return gate(check)


def enterprise_filter_reader(table: str | None = None) -> Any:
    """A dependency: a filter on an attribute that identifies an enterprise
    (``?owner_credit_code=``, ``services/scope.ENTERPRISE_ATTRIBUTES``) needs a login, asked
    before the request's values (anonymous → 401, not the 422 of a bad ``limit``); which
    enterprise a logged-in caller may name is decided by the service once it has read the
    record (403 after the values). ``table``: the filtered table; default the path's
    ``collection_id``."""

    def check(request: Request, who: Principal) -> None:
        name = table or str(request.path_params.get("collection_id", ""))
        require_filter_login(who, name, request.query_params)

    return gate(check)


def _check_of(dependency: object) -> Check | None:
    """The check of a :func:`gate` dependency; None for any other dependency."""
    if not callable(dependency):
        return None
    try:
        return _CHECKS.get(dependency)
    except TypeError:       # not weakly referable (a builtin): not a gate
        return None


async def _refusal_of_caller(request: Request) -> JSONResponse | None:
    """The answer for the caller when a request is refused before the route's dependencies
    are solved — FastAPI parses a JSON body (or a form) first, so ``{not json`` was a 422
    (an unreadable form a 400) whoever called, and a method the path does not take a 405:
    the route's gates that have not passed are asked now (anonymous → 401, a role not
    allowed → 403). None when they pass, when they did pass already (a 422 of a value,
    judged after them) or when the route has none (public routes, unknown paths)."""
    route = request.scope.get("route")
    done = request.scope.get(_CHECKED, ())
    checks = [c for d in getattr(route, "dependencies", ())
              if (c := _check_of(getattr(d, "dependency", None))) is not None and c not in done]
    if not checks:
        return None
    try:
        who = await run_in_threadpool(_caller, request)   # a token look-up reads the store
        for check in checks:
            check(request, who)
    except IndspaceError as exc:
        return _error_response(exc)
    return None


Limit = Annotated[int, Query(ge=1, le=1000, description="每页条数 / page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="偏移 / offset")]
Year = Annotated[int, Query(ge=1990, le=2100, description="年度 / year")]
District = Annotated[
    str | None, Query(max_length=20, description="区县（行政区划代码）/ district admin code")
]


@dataclass(frozen=True)
class EnterpriseFilters:
    """The enterprise filters of a query string, each optional: the grade (in the run),
    district (admin code), industry (GB/T 4754 code prefix) and "361" chain."""

    grade: str | None = None
    district: str | None = None
    industry: str | None = None
    chain: str | None = None


def enterprise_filters(
    grade: Annotated[str | None, Query(description="等级 / grade")] = None,
    district: Annotated[str | None, Query(description="区县 / district admin code")] = None,
    industry: Annotated[str | None, Query(description="行业代码前缀 / industry prefix")] = None,
    chain: Annotated[str | None, Query(description="产业链 / chain")] = None,
) -> EnterpriseFilters:
    return EnterpriseFilters(grade, district, industry, chain)


Filters = Annotated[EnterpriseFilters, Depends(enterprise_filters)]


def with_etag(response: Response, body: dict[str, Any]) -> dict[str, Any]:
    """Copy the body's ``etag`` into the ETag header (for If-Match on the next edit)."""
    if body.get("etag"):
        response.headers["ETag"] = body["etag"]
    return body


def error_body(status: int, zh: str, en: str, where: str | None = None,
               kind: str = "HTTPError") -> JSONResponse:
    return JSONResponse({"error": kind, "where": where, "message_zh": zh, "message_en": en,
                         "hint_zh": None, "hint_en": None}, status_code=status)


_PATH = re.compile(r"(?<![\w:/.])(?:/[^\s/\\'\"，。；：（）()<>]+){2,}/?")
"""An absolute POSIX path of two or more parts (not a URL: no scheme or host before it)."""


def scrub_paths(text: str | None) -> str | None:
    """Server paths in an error text reduced to their last part (a temp folder, the store's
    location or a Python module never reach a client).

    >>> scrub_paths("cannot read /tmp/indspace-upload-x1/firms.csv: bad")
    'cannot read firms.csv: bad'
    >>> scrub_paths("see /api/imports and https://example.org/a/b")
    'see /api/imports and https://example.org/a/b'
    """
    if not text:
        return text
    return _PATH.sub(lambda m: m.group(0) if m.group(0).startswith(("/api/", "/ogc/",
                                                                       "/tiles/"))
                     else m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


def error_dict(exc: IndspaceError) -> dict[str, str | None]:
    """The error's body with any server path scrubbed."""
    return {k: scrub_paths(v) if k != "error" else v for k, v in exc.to_dict().items()}


def _error_response(exc: IndspaceError) -> JSONResponse:
    """The one error body of ``exc`` with its status (and the 401 and 429 headers)."""
    resp = JSONResponse(error_dict(exc), status_code=exc.http_status)
    if exc.http_status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer, Basic realm="indspace"'
    if isinstance(exc, RateLimitedError):
        resp.headers["Retry-After"] = str(exc.retry_after)
    return resp


HTTP_TEXT = {401: ("需要登录", "login required"), 403: ("无权访问", "forbidden"),
             404: ("资源不存在", "not found"), 405: ("不支持该请求方法", "method not allowed"),
             406: ("不支持的响应格式", "not acceptable")}

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; worker-src 'self' blob:; child-src blob:; "
       "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; "
       "base-uri 'self'; form-action 'self'")
"""MapLibre needs blob: workers; Element Plus sets inline styles. /docs keeps FastAPI's own
Swagger page working (it loads its script from a CDN), so it gets no CSP."""


def csp_with(origins: list[str]) -> str:
    """:data:`CSP` that also lets the map fetch and draw tiles from ``origins`` (the
    deployment's basemap, ``INDSPACE_BASEMAP``); :data:`CSP` itself without any."""
    if not origins:
        return CSP
    extra = " ".join(origins)
    return (CSP.replace("connect-src 'self'", f"connect-src 'self' {extra}")
            .replace("img-src 'self' data: blob:", f"img-src 'self' data: blob: {extra}"))


def install(app: FastAPI) -> None:
    """Error handlers (one bilingual body shape) and the security-headers middleware."""
    from indspace.services.overview import basemap, basemap_origins
    from indspace.settings import basemap_settings

    b = basemap_settings()
    csp = csp_with(basemap_origins(basemap(b.basemap, key=b.basemap_key, url=b.basemap_url,
                                           gcj02=b.basemap_gcj02)))

    @app.exception_handler(IndspaceError)
    async def _error(request: Request, exc: IndspaceError) -> JSONResponse:
        return _error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if (refused := await _refusal_of_caller(request)) is not None:
            return refused
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        msg = str(first.get("msg", "invalid request"))
        return error_body(422, f"请求参数不合法：{where}（{msg}）",
                          f"invalid request parameter {where}: {msg}", where,
                          "RequestValidationError")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if (refused := await _refusal_of_caller(request)) is not None:
            return refused
        zh, en = HTTP_TEXT.get(exc.status_code, ("请求错误", str(exc.detail)))
        return error_body(exc.status_code, zh, en, request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The last resort: a bug still answers the one JSON shape, never a traceback or a
        # server path (the log keeps the details).
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_body(500, "服务器内部错误，请联系管理员（详情见服务器日志）",
                          "internal server error; the server log has the details",
                          request.url.path, "InternalError")

    @app.middleware("http")
    async def _headers(request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        path = request.url.path
        if not path.startswith(("/docs", "/redoc")):
            response.headers.setdefault("Content-Security-Policy", csp)
        if path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
