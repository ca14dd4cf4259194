"""Scopes the services apply for a caller (issue #8): which district's or enterprise's rows a
:class:`~indspace.core.access.Principal` may read or change, and which spatial layers are
public. The rules themselves are pure (``core/access.py``); this module looks up what they
need in the store (an enterprise's district, a parcel's owner)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from indspace import settings as _settings
from indspace.core.access import Principal
from indspace.core.errors import ForbiddenError, NotFoundError
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
    district = firm_district(store, credit_code)
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
