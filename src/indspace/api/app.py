"""The FastAPI application: landing page, JSON API (OpenAPI at /docs), OGC API, one error
shape, security headers. Routes live in one module per capability (``api/<capability>.py``,
each a ``router()``); adding a capability is one module and one line here."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from indspace import __version__
from indspace.api import (
    audit,
    auth,
    catalog,
    controlline,
    deps,
    evaluation,
    imports,
    jobs,
    lowuse,
    market,
    matching,
    plan_check,
    reports,
    search,
    supply,
)
from indspace.api.ogc import router as ogc_router
from indspace.api.spa import mount_spa
from indspace.api.tiles import router as tiles_router
from indspace.services import evaluation as evaluation_service
from indspace.services.accounts import Authenticator
from indspace.services.info import store_info
from indspace.services.jobs import Jobs
from indspace.services.overview import district_overview
from indspace.services.reports import ReportFiles
from indspace.settings import deployment
from indspace.store import Store

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "web" / "templates"))

TEXT = {
    "zh": {"title": "产业空间治理平台", "subtitle": "工业用地 · 亩均效益 · 低效用地 · 控制线",
           "counts": "数据概况", "districts": "区县（市）", "api": "接口", "table": "数据表",
           "rows": "记录数", "crs": "坐标系", "store": "数据库", "switch": "English",
           "parcels": "宗地", "enterprises": "企业", "area": "工业用地（亩）",
           "blocks": "工业区块控制线", "parks": "\"2070\"工业集聚区",
           "eval_runs": "亩均评价批次", "eval_zones": "区县亩均排名"},
    "en": {"title": "indspace — industrial-space governance",
           "subtitle": "industrial land · per-mu benefit · low-efficiency land · control lines",
           "counts": "What the store holds", "districts": "Districts", "api": "API",
           "table": "table", "rows": "rows", "crs": "CRS", "store": "store", "switch": "中文",
           "parcels": "parcels", "enterprises": "enterprises", "area": "industrial land (mu)",
           "blocks": "industrial control-line blocks", "parks": "\"2070\" cluster zones",
           "eval_runs": "per-mu evaluation runs", "eval_zones": "district per-mu ranking"},
}

def create_app(db: str | Path, *, public_layers: Iterable[str] | None = None) -> FastAPI:
    """Build the app over the store at ``db`` (opened once; raises if it is not initialised).

    ``public_layers``: the spatial layers anonymous readers may see (OGC collections, tiles,
    /api/parcels); default the ``INDSPACE_PUBLIC_LAYERS`` setting."""
    store = Store.open(db)
    app = FastAPI(title="indspace API", version=__version__,
                  description="产业空间治理平台 JSON API / industrial-space governance API. "
                              "认证：Bearer 令牌（POST /api/auth/login）或 HTTP 基本认证 / "
                              "auth: bearer token or HTTP basic.")
    app.state.store = store
    app.state.auth = Authenticator(store)
    app.state.jobs = Jobs(scrub=deps.scrub_paths)
    app.state.report_files = ReportFiles()
    app.state.public_layers = tuple(public_layers if public_layers is not None
                                    else deployment().public_layer_list)
    deps.install(app)

    @app.get("/about", response_class=HTMLResponse, include_in_schema=False)
    def landing(request: Request, lang: str = "zh") -> HTMLResponse:
        lang = "en" if lang == "en" else "zh"
        info = store_info(store, public=True)
        overview = district_overview(store)
        runs = evaluation_service.runs_list(store)
        return TEMPLATES.TemplateResponse(request, "index.html", {
            "t": TEXT[lang], "lang": lang, "info": info, "overview": overview,
            "eval_year": runs[-1]["year"] if runs else None})

    # search first: /api/enterprises/table before catalog's /api/enterprises/{credit_code}
    for module in (search, auth, catalog, evaluation, lowuse, controlline, imports, jobs, audit,
                   plan_check, reports, supply, matching, market):
        app.include_router(module.router())
    app.include_router(auth.users_router())
    app.include_router(ogc_router(store))
    app.include_router(tiles_router(store, deps.layer_guard, listing=deps.layer_listing))
    mount_spa(app)
    return app
