"""Read routes over the stored entities: store facts, districts, enterprises (scoped),
indicators (scoped), parcels (a public layer by default) and the map's parcel summary."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from indspace.api import links as ln
from indspace.api.deps import (
    LOGIN,
    Limit,
    Offset,
    PublicLayers,
    StoreDep,
    Who,
    enterprise_filter_reader,
    layer_reader,
)
from indspace.services import catalog, search
from indspace.services.controlline import today
from indspace.services.info import store_info
from indspace.services.overview import (
    basemap,
    district_geojson,
    district_rows,
    overview,
)
from indspace.services.parcels import parcel_summary
from indspace.settings import basemap_settings


def router() -> APIRouter:
    # Three routers, one rule each, checked before any query value is judged: public
    # (store facts, districts, basemap), logged in (enterprises, overview), and readers of
    # the parcels layer (public unless INDSPACE_PUBLIC_LAYERS says otherwise).
    r = APIRouter(prefix="/api", tags=["catalog 数据"])
    private = APIRouter(dependencies=[LOGIN])
    parcel_layer = APIRouter(dependencies=[layer_reader("parcels")])

    @r.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @r.get("/info")
    def info(store: StoreDep) -> dict[str, Any]:
        """库概况 / counts, CRS, schema revision and policy profiles."""
        return store_info(store, public=True)

    @r.get("/clock")
    def clock(store: StoreDep) -> dict[str, str]:
        """今天（部署时区）：各处“截至日”的缺省值 / today in the deployment's time zone, the
        default "as of" day everywhere (not the browser's day)."""
        return {"today": today(store).isoformat(), "time_zone": str(store.tz)}

    @r.get("/districts")
    def districts(store: StoreDep) -> list[dict[str, Any]]:
        """各区县汇总 / per-district totals."""
        return district_rows(store)

    @r.get("/districts/geojson")
    def districts_geojson(store: StoreDep) -> dict[str, Any]:
        """区县边界与注记点（EPSG:4326）/ district boundaries and label points (GeoJSON)."""
        return district_geojson(store)

    @private.get("/overview")
    def overview_figures(store: StoreDep, who: Who,
                         year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
                         district: Annotated[str | None, Query(max_length=12)] = None,
                         lang: Annotated[Literal["zh", "en"], Query()] = "zh"
                         ) -> dict[str, Any]:
        """首页 / the overview of the caller's scope (city, its district, its firm), read
        from stored runs: 亩均税收, 亩均增加值 and their change, class counts and shares,
        low-efficiency area against the target, ledger balance, per-district figures."""
        return overview(store, who=who, year=year, district=district or None, lang=lang)

    @r.get("/basemap")
    def basemap_config() -> dict[str, Any]:
        """地图底图配置 / the deployment's basemap (none in the offline demo)."""
        b = basemap_settings()
        return basemap(b.basemap, key=b.basemap_key, url=b.basemap_url,
                       gcj02=b.basemap_gcj02, attribution=b.basemap_attribution)

    @private.get("/enterprises", openapi_extra=ln.links(
        200, GetEnterprise=(ln.ENTERPRISE, {"credit_code": "$response.body#/items/0/credit_code"})))
    def enterprises(store: StoreDep, who: Who, limit: Limit = 100, offset: Offset = 0,
                    district: str | None = None, scale: str | None = None,
                    chain: str | None = None,
                    q: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
        """企业列表（本账户范围内）/ enterprises within the caller's scope, filtered by
        district, scale (above|below) or chain; with ``q``: the firms whose name contains
        it or whose credit code starts with it (best first, at most ``limit``)."""
        if q is not None:
            hits = search.search_enterprises(store, q, who=who, limit=limit + offset)
            return {"q": hits["q"], "total": hits["total"], "limit": limit, "offset": offset,
                    "items": hits["items"][offset:offset + limit]}
        return catalog.page(store, "enterprises", limit=limit, offset=offset, who=who,
                            filters={"district": district, "scale": scale, "chain": chain})

    @private.get("/enterprises/{credit_code}")
    def enterprise(credit_code: str, store: StoreDep, who: Who) -> dict[str, Any]:
        """单个企业及其历史版本 / one enterprise with its version history."""
        return catalog.record(store, "enterprises", credit_code, who=who)

    @private.get("/indicators/{credit_code}")
    def indicators(credit_code: str, store: StoreDep, who: Who) -> dict[str, Any]:
        """企业历年指标 / an enterprise's yearly indicators."""
        return catalog.page(store, "indicators", limit=100, offset=0, who=who,
                            filters={"credit_code": credit_code})

    @parcel_layer.get("/parcels", dependencies=[enterprise_filter_reader("parcels")],
                      openapi_extra=ln.links(
        200, GetParcel=(ln.PARCEL, {
            "parcel_id": "$response.body#/items/features/0/properties/parcel_id"}),
        ParcelSummary=(ln.PARCEL_SUMMARY, {
            "parcel_id": "$response.body#/items/features/0/properties/parcel_id"})))
    def parcels(store: StoreDep, who: Who, layers: PublicLayers, limit: Limit = 100,
                offset: Offset = 0, district: str | None = None,
                owner_credit_code: str | None = None) -> dict[str, Any]:
        """宗地（GeoJSON，EPSG:4326）/ parcels as GeoJSON in EPSG:4326."""
        return catalog.page(store, "parcels", limit=limit, offset=offset, who=who,
                            public_layers=layers,
                            filters={"district": district, "owner_credit_code": owner_credit_code})

    @parcel_layer.get("/parcels/{parcel_id}")
    def parcel(parcel_id: str, store: StoreDep, who: Who, layers: PublicLayers
               ) -> dict[str, Any]:
        """单宗地及其历史版本 / one parcel with its version history."""
        return catalog.record(store, "parcels", parcel_id, who=who, public_layers=layers)

    @parcel_layer.get("/parcels/{parcel_id}/summary")
    def summary(parcel_id: str, store: StoreDep, who: Who, layers: PublicLayers
                ) -> dict[str, Any]:
        """地图点选：宗地、控制线、低效认定与（有权限时）权属企业等级 / a parcel as the map
        shows it on click."""
        return parcel_summary(store, parcel_id, who=who, public_layers=layers)

    r.include_router(private)
    r.include_router(parcel_layer)
    return r
