"""The FastAPI application: landing page, JSON API (OpenAPI at /docs), one error shape."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from indspace import __version__
from indspace.api.ogc import router as ogc_router
from indspace.api.spa import mount_spa
from indspace.core.errors import IndspaceError
from indspace.services import catalog
from indspace.services import evaluation as evaluation_service
from indspace.services.info import store_info
from indspace.services.overview import district_overview
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

Limit = Annotated[int, Query(ge=1, le=1000, description="每页条数 / page size")]
Offset = Annotated[int, Query(ge=0, description="偏移 / offset")]


def create_app(db: str | Path) -> FastAPI:
    """Build the app over the store at ``db`` (opened once; raises if it is not initialised)."""
    store = Store.open(db)
    app = FastAPI(title="indspace API", version=__version__,
                  description="产业空间治理平台 JSON API / industrial-space governance API")

    @app.exception_handler(IndspaceError)
    async def _error(_: Request, exc: IndspaceError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)

    @app.get("/about", response_class=HTMLResponse, include_in_schema=False)
    def landing(request: Request, lang: str = "zh") -> HTMLResponse:
        lang = "en" if lang == "en" else "zh"
        info = store_info(store)
        overview = district_overview(store)
        runs = evaluation_service.runs_list(store)
        return TEMPLATES.TemplateResponse(request, "index.html", {
            "t": TEXT[lang], "lang": lang, "info": info, "overview": overview,
            "eval_year": runs[-1]["year"] if runs else None})

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/info")
    def info() -> dict[str, Any]:
        """库概况 / counts, CRS, schema revision and policy profiles."""
        return store_info(store)

    @app.get("/api/enterprises")
    def enterprises(limit: Limit = 100, offset: Offset = 0, district: str | None = None,
                    scale: str | None = None, chain: str | None = None) -> dict[str, Any]:
        """企业列表 / enterprises, filtered by district, scale (above|below) or chain."""
        return catalog.page(store, "enterprises", limit=limit, offset=offset,
                            filters={"district": district, "scale": scale, "chain": chain})

    @app.get("/api/enterprises/{credit_code}")
    def enterprise(credit_code: str) -> dict[str, Any]:
        """单个企业及其历史版本 / one enterprise with its version history."""
        return catalog.record(store, "enterprises", credit_code)

    @app.get("/api/indicators/{credit_code}")
    def indicators(credit_code: str) -> dict[str, Any]:
        """企业历年指标 / an enterprise's yearly indicators."""
        return catalog.page(store, "indicators", limit=100, offset=0,
                            filters={"credit_code": credit_code})

    @app.get("/api/parcels")
    def parcels(limit: Limit = 100, offset: Offset = 0, district: str | None = None,
                owner_credit_code: str | None = None) -> dict[str, Any]:
        """宗地（GeoJSON，EPSG:4326）/ parcels as GeoJSON in EPSG:4326."""
        return catalog.page(store, "parcels", limit=limit, offset=offset,
                            filters={"district": district, "owner_credit_code": owner_credit_code})

    @app.get("/api/parcels/{parcel_id}")
    def parcel(parcel_id: str) -> dict[str, Any]:
        """单宗地及其历史版本 / one parcel with its version history."""
        return catalog.record(store, "parcels", parcel_id)

    @app.get("/api/districts")
    def districts() -> list[dict[str, Any]]:
        """各区县汇总 / per-district totals."""
        return district_overview(store)["rows"]

    @app.get("/api/evaluation/runs")
    def evaluation_runs(year: int | None = None) -> list[dict[str, Any]]:
        """亩均评价批次 / evaluation runs (immutable, versioned), with class counts."""
        return evaluation_service.runs_list(store, year)

    @app.get("/api/evaluation/runs/{run_id}")
    def evaluation_run(run_id: str) -> dict[str, Any]:
        """一个评价批次 / one run: profile and inputs hashes, state, objection window."""
        return evaluation_service.run_detail(store, run_id)

    @app.get("/api/evaluation/runs/{run_id}/results")
    def evaluation_results(run_id: str, limit: Limit = 100, offset: Offset = 0,
                           grade: str | None = None, group: str | None = None,
                           status: str | None = None,
                           order: str = "credit_code") -> dict[str, Any]:
        """评价结果分页 / a page of a run's results (filter by grade, group, status; order
        by credit_code or rank)."""
        return evaluation_service.run_results_page(store, run_id, limit=limit, offset=offset,
                                                   grade=grade, group=group, status=status,
                                                   order=order)

    @app.get("/api/evaluation/explain/{credit_code}")
    def evaluation_explain(credit_code: str, year: int,
                           profile: str = "ningbo-demo") -> dict[str, Any]:
        """企业等级解释 / why a firm has its grade and what lifts it one class."""
        return evaluation_service.explain(store, credit_code, year, profile)

    @app.get("/api/evaluation/zones")
    def evaluation_zones(year: int, kind: str = "district",
                         profile: str = "ningbo-demo") -> list[dict[str, Any]]:
        """区县 / 园区 / 产业链汇总排名 / roll-up per district, park or chain."""
        return evaluation_service.zone_rows(
            evaluation_service.zone_rollup(store, year, profile), kind)

    app.include_router(ogc_router(store))
    mount_spa(app)
    return app
