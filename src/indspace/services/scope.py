"""Scopes the services apply for a caller (issue #8): which district's or enterprise's rows a
:class:`~indspace.core.access.Principal` may read or change, and which spatial layers are
public. The rules themselves are pure (``core/access.py``); this module looks up what they
need in the store (an enterprise's district, a parcel's owner)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from indspace import settings as _settings
from indspace.core.access import Principal
from indspace.core.errors import AuthError, ForbiddenError, NotFoundError
from indspace.store import Store

DEFAULT_PUBLIC_LAYERS = tuple(_settings.DEFAULT_PUBLIC_LAYERS.split(","))
"""Layers anonymous readers may see unless the ``INDSPACE_PUBLIC_LAYERS`` setting says
otherwise; enterprise figures and grades always need a login."""

SCOPED_TABLES = {"enterprises": ("district", "credit_code"),
                 "indicators": (None, "credit_code"),
                 "occupancy": (None, "credit_code")}
"""Attribute tables holding enterprise figures: (district column, credit-code column)."""


def firm_district(store: Store, credit_code: str) -> str | None:
    """The district of an enterprise (its current record); 404 when unknown."""
    frame = store.read_frame("enterprises", columns=["credit_code", "district"],
                             where={"credit_code": credit_code})
    if frame.empty:
        raise NotFoundError(f"企业 {credit_code} 不存在", f"enterprise {credit_code} not found",
                            where="enterprises")
    value = frame["district"].iloc[0]
    return None if value is None else str(value)


def require_firm(who: Principal, store: Store, credit_code: str, *, edit: bool = False
                 ) -> str | None:
    """Refuse unless ``who`` may read (or edit) enterprise ``credit_code``; return its
    district. Anonymous → 401, outside the scope → 403 (before any 404, so an outsider
    cannot probe which codes exist)."""
    who.require_login()
    if who.role == "enterprise" and credit_code != who.credit_code:
        raise ForbiddenError("企业用户只能查看本企业数据",
                             "an enterprise user sees only its own enterprise",
                             where=credit_code)
    try:
        district = firm_district(store, credit_code)
    except NotFoundError:
        if who.city_wide:
            raise
        # the same answer as for another district's firm: an outsider cannot probe which
        # codes the register holds
        raise ForbiddenError(f"企业 {credit_code[:40]} 不存在或超出本账户范围",
                             f"enterprise {credit_code[:40]} does not exist or is outside "
                             "this account's scope", where="credit_code") from None
    if edit:
        who.require_edit(district, credit_code, what=f"企业 {credit_code}")
    else:
        who.require_see(district, credit_code, what=f"企业 {credit_code}")
    return district


def scoped_filters(who: Principal, store: Store, table: str, filters: dict[str, Any]
                   ) -> dict[str, Any]:
    """Filters for a list of ``table`` narrowed to the caller's scope; a filter asking for
    another district or enterprise is refused (403), not silently emptied."""
    if table not in SCOPED_TABLES:
        return filters
    who.require_login()
    district_col, code_col = SCOPED_TABLES[table]
    out = dict(filters)
    if who.role == "district_officer":
        if district_col is None and out.get(code_col) is not None:
            require_firm(who, store, str(out[code_col]))      # one firm: its district
            return out
        if district_col is None:
            raise ForbiddenError("区县工作人员请按企业查询", "district officers query one "
                                 "enterprise at a time here", where=table)
        asked = out.get(district_col)
        if asked is not None and asked != who.district:
            raise ForbiddenError(f"无权查看区县 {asked}", f"district {asked} is outside this "
                                 "account's scope", where=district_col)
        out[district_col] = who.district
    elif who.role == "enterprise":
        asked = out.get(code_col)
        if asked is not None and asked != who.credit_code:
            raise ForbiddenError("企业用户只能查看本企业数据",
                                 "an enterprise user sees only its own enterprise",
                                 where=code_col)
        out[code_col] = who.credit_code
    return out


ENTERPRISE_ATTRIBUTES = {"parcels": ("owner_credit_code",)}
"""Attributes of public layers that identify an enterprise: shown only to callers whose
scope holds that enterprise (its district's officer, the enterprise itself, city-wide
roles); ``null`` for everyone else, and refused as filters (a public reverse look-up of a
firm's land otherwise)."""


def require_filter_login(who: Principal, table: str, filters: Mapping[str, Any]) -> None:
    """Refuse an anonymous caller a filter on an enterprise-identifying attribute of
    ``table`` (401: it needs a login). Asks nothing of the store, so the web API asks it
    before it judges the request's values; which enterprise a logged-in caller may name is
    decided on the record (:func:`check_enterprise_filters`)."""
    if who.role != "anonymous":
        return
    for column in ENTERPRISE_ATTRIBUTES.get(table, ()):
        if filters.get(column) is not None:
            raise AuthError(f"匿名用户不能按 {column} 查询",
                            f"anonymous callers cannot filter on {column}",
                            where=column, hint_zh="该字段识别企业，请登录后在权限范围内查询",
                            hint_en="it identifies an enterprise: log in and query "
                                    "within your scope")


def check_enterprise_filters(who: Principal, store: Store, table: str,
                             filters: dict[str, Any]) -> None:
    """Refuse a filter on an enterprise-identifying attribute the caller may not see:
    anonymous callers always (401, :func:`require_filter_login`), others outside their
    scope (403; 404 for an unknown code only inside the scope)."""
    require_filter_login(who, table, filters)
    for column in ENTERPRISE_ATTRIBUTES.get(table, ()):
        code = filters.get(column)
        if code is None or who.city_wide:
            continue
        require_firm(who, store, str(code))


def redact_features(who: Principal, table: str, collection: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (or one Feature) with enterprise-identifying properties
    set to ``null`` where the caller's scope does not hold the enterprise (in place)."""
    columns = ENTERPRISE_ATTRIBUTES.get(table, ())
    if not columns or who.city_wide:
        return collection
    features = collection.get("features", [collection] if "properties" in collection else [])
    for feature in features:
        props = feature.get("properties") or {}
        for column in columns:
            if props.get(column) is not None and not who.can_see(props.get("district"),
                                                                 props[column]):
                props[column] = None
    return collection


def redact_rows(who: Principal, table: str, rows: list[dict[str, Any]]
                ) -> list[dict[str, Any]]:
    """Plain records (a record's history) redacted as :func:`redact_features`."""
    redact_features(who, table, {"features": [{"properties": r} for r in rows]})
    return rows


def require_layer(who: Principal, layer: str, public_layers: Iterable[str]) -> None:
    """Anonymous readers see only the public layers; any logged-in role sees every layer
    (rows inside a layer are narrowed by the service that serves them)."""
    if layer not in set(public_layers):
        who.require_login()


def tile_scope(who: Principal, layer: str) -> tuple[str, str] | None:
    """What a caller sees of a scoped map layer: everything (city-wide roles), its district
    (district officers), its own parcels' grades (enterprise users; units are refused, as
    in the units list)."""
    if layer not in ("parcel_grades", "lowuse_units") or who.city_wide:
        return None
    if who.role == "district_officer" and who.district:
        return ("district", who.district)
    if who.role == "enterprise" and who.credit_code and layer == "parcel_grades":
        return ("owner", who.credit_code)
    raise ForbiddenError("无权查看该图层", f"layer {layer} is outside this account's scope",
                         where=layer)
