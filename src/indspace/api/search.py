"""Search and the enterprise table (issue #16): one search box over enterprises and parcels,
the enterprise table with its grade and filters, its XLSX export, and the vocabulary that
turns codes into words (one language at a time)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from indspace.api.deps import (
    LOGIN,
    Filters,
    Limit,
    Offset,
    PublicLayers,
    StoreDep,
    Who,
    layer_reader,
)
from indspace.core import vocabulary
from indspace.services import search, tables

Lang = Annotated[Literal["zh", "en"], Query(description="语言 / language")]
Q = Annotated[
    str,
    Query(
        min_length=1,
        max_length=64,
        description="企业名称（任意部分）、统一社会信用代码前缀或宗地代码前缀 / "
        "part of a name, a credit-code or parcel-id prefix",
    ),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def router() -> APIRouter:
    # public (vocabulary), readers of the parcels layer (search: enterprises only when
    # logged in) and logged in (the table): each rule checked before the query values.
    r = APIRouter(prefix="/api", tags=["search 查询与表格"])
    private = APIRouter(dependencies=[LOGIN])

    @r.get("/search", dependencies=[layer_reader("parcels")])
    def search_all(
        q: Q,
        store: StoreDep,
        who: Who,
        layers: PublicLayers,
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
        lang: Lang = "zh",
    ) -> dict[str, Any]:
        """统一查询：企业（名称、信用代码）与宗地（代码）/ one search over enterprises and
        parcels, within the caller's scope."""
        return search.search_all(store, q, who=who, limit=limit, public_layers=layers, lang=lang)

    @private.get("/enterprises/table")
    def table(
        store: StoreDep,
        who: Who,
        filters: Filters,
        limit: Limit = 20,
        offset: Offset = 0,
        sort: str = "credit_code",
        desc: bool = False,
        run_id: str | None = None,
        lang: Lang = "zh",
    ) -> dict[str, Any]:
        """企业表（等级、筛选、排序）/ the enterprise table: grade in the newest run, filtered
        by grade, district, industry (code prefix) and chain, sorted."""
        return tables.enterprise_table(
            store,
            who=who,
            **asdict(filters),
            sort=sort,
            desc=desc,
            limit=limit,
            offset=offset,
            run_id=run_id,
            lang=lang,
        )

    @private.get(
        "/enterprises/table.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}}
    )
    def table_xlsx(
        store: StoreDep,
        who: Who,
        filters: Filters,
        sort: str = "credit_code",
        desc: bool = False,
        run_id: str | None = None,
        lang: Lang = "zh",
    ) -> Response:
        """导出 Excel：筛选后的企业表（全部页）/ the filtered table (every page) as XLSX."""
        body = tables.enterprise_table_xlsx(
            store,
            who=who,
            **asdict(filters),
            sort=sort,
            desc=desc,
            run_id=run_id,
            lang=lang,
        )
        name = "enterprises.xlsx"
        return Response(
            body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    @r.get("/vocabulary")
    def words(lang: Lang = "zh") -> dict[str, dict[str, str]]:
        """代码的中文（或英文）名称 / the label of every code, in one language."""
        return vocabulary.labels(lang)

    r.include_router(private)
    return r
