"""Who may see and change what: roles and scopes of the web platform (issue #8).

Pure rules, no I/O. A :class:`Principal` is the caller as the services see it: its role and,
for district officers, its district (区县); for enterprise users, its enterprise's unified
social credit code. Services call these checks before reading or writing; the API and CLI
only pass the principal along, so a rule holds whatever the client.

Roles (角色):

- ``city_admin`` 市级管理员 — everything, city-wide.
- ``district_officer`` 区县工作人员 — reads and edits only its own district.
- ``enterprise`` 企业用户 — only its own enterprise's figures; files objections.
- ``auditor`` 审计 — reads everything, writes nothing.
- ``system`` — the CLI and the demo builder, which act on the store directly.
- ``anonymous`` — public layers only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from indspace.core.errors import AuthError, ForbiddenError

Role = Literal["city_admin", "district_officer", "enterprise", "auditor", "system", "anonymous"]
ROLES: tuple[str, ...] = ("city_admin", "district_officer", "enterprise", "auditor")
ROLE_LABELS = {
    "city_admin": ("市级管理员", "city administrator"),
    "district_officer": ("区县工作人员", "district officer"),
    "enterprise": ("企业用户", "enterprise user"),
    "auditor": ("审计", "auditor"),
}


@dataclass(frozen=True)
class Principal:
    """The caller: ``username`` is what the audit log records as the actor."""

    username: str
    role: Role
    district: str | None = None
    credit_code: str | None = None
    display_name: str = ""

    @classmethod
    def system(cls, name: str = "cli") -> Principal:
        return cls(name, "system", display_name=name)

    @classmethod
    def anonymous(cls) -> Principal:
        return cls("anonymous", "anonymous", display_name="anonymous")

    @property
    def city_wide(self) -> bool:
        """Reads the whole city (admin, auditor, system)."""
        return self.role in ("city_admin", "auditor", "system")

    def public(self) -> dict[str, str | None]:
        return {"username": self.username, "role": self.role, "district": self.district,
                "credit_code": self.credit_code, "display_name": self.display_name}

    # -------------------------------------------------------------- checks (raise)
    def require_login(self) -> None:
        if self.role == "anonymous":
            raise AuthError("需要登录", "login required", hint_zh="请先登录或提供访问令牌",
                            hint_en="log in, or send a bearer token or HTTP basic credentials")

    def require_role(self, *roles: str) -> None:
        """Allow only ``roles`` (``system`` is always allowed)."""
        self.require_login()
        if self.role != "system" and self.role not in roles:
            zh = "、".join(ROLE_LABELS[r][0] for r in roles if r in ROLE_LABELS)
            en = ", ".join(ROLE_LABELS[r][1] for r in roles if r in ROLE_LABELS)
            raise ForbiddenError(f"此操作仅限{zh}", f"only {en} may do this",
                                 where=self.username)

    def require_writer(self) -> None:
        """Any role that writes: not the auditor, not anonymous."""
        self.require_role("city_admin", "district_officer", "enterprise")

    def can_see(self, district: str | None, credit_code: str | None = None) -> bool:
        """May this caller see a record of ``district`` / enterprise ``credit_code``?"""
        if self.city_wide:
            return True
        if self.role == "district_officer":
            return district is not None and district == self.district
        if self.role == "enterprise":
            return credit_code is not None and credit_code == self.credit_code
        return False

    def require_see(self, district: str | None, credit_code: str | None = None, *,
                    what: str = "") -> None:
        self.require_login()
        if not self.can_see(district, credit_code):
            raise ForbiddenError(f"无权查看或操作{what or '该记录'}（超出本账户范围）",
                                 f"{what or 'this record'} is outside this account's scope",
                                 where=what or None)

    def require_edit(self, district: str | None, credit_code: str | None = None, *,
                     what: str = "") -> None:
        """Write inside the caller's scope: auditors never write."""
        self.require_writer()
        self.require_see(district, credit_code, what=what)

    def mask(self, frame: pd.DataFrame, *, district: str = "district",
             credit_code: str | None = "credit_code") -> np.ndarray:
        """Boolean mask of the rows of ``frame`` this caller may see (vectorised)."""
        n = len(frame)
        if self.city_wide:
            return np.ones(n, dtype=bool)
        if self.role == "district_officer" and district in frame:
            return (frame[district] == self.district).to_numpy(dtype=bool, na_value=False)
        if self.role == "enterprise" and credit_code and credit_code in frame:
            return (frame[credit_code] == self.credit_code).to_numpy(dtype=bool,
                                                                      na_value=False)
        return np.zeros(n, dtype=bool)


# ------------------------------------------------------------------ rows of a district
DISTRICT_SLIVER_M2 = 1.0
"""Area (m²) a row's geometry may reach outside its district before the row counts as
outside: digitising slivers along a shared boundary, as for control-line adjustments
(``core.engines.ledger.OVERLAP_TOLERANCE_M2`` has the same value and reason)."""


@dataclass(frozen=True)
class DistrictRows:
    """Which rows of an upload lie outside a district officer's district, three ways
    (each a boolean array over the rows; a row may fail several):

    - ``field_other``: the row's ``district`` field is empty or another district;
    - ``stored_other``: the record it updates is stored under another district;
    - ``outside``: more than ``DISTRICT_SLIVER_M2`` of its geometry lies outside the
      district's boundary (``outside_m2`` holds that area, 0 without geometry).
    """

    field_other: np.ndarray
    stored_other: np.ndarray
    outside: np.ndarray
    outside_m2: np.ndarray

    @property
    def refused(self) -> np.ndarray:
        return self.field_other | self.stored_other | self.outside


def rows_outside_district(district: str, field: pd.Series, stored: pd.Series,
                          geometry: np.ndarray | None = None,
                          boundary: BaseGeometry | None = None,
                          sliver_m2: float = DISTRICT_SLIVER_M2) -> DistrictRows:
    """Judge an officer's rows against its ``district`` (vectorised).

    ``field``: each row's district code (None/NA when empty); ``stored``: the district of
    the stored record the row would update (None/NA for a new record); ``geometry`` and
    ``boundary``: the rows' geometries and the district's boundary in one projected CRS
    (areas in m²). Any part beyond the sliver counts (not the majority of the area): an
    officer never writes land of another district; a parcel across a district boundary is
    the city administrator's to import.

    >>> from shapely.geometry import box
    >>> r = rows_outside_district(
    ...     "330203", pd.Series(["330203", "330205", None, "330203"]),
    ...     pd.Series([None, None, None, "330205"]),
    ...     np.array([box(0, 0, 10, 10), box(0, 0, 1, 1), box(95, 0, 105, 10),
    ...               box(5, 5, 6, 6)]), box(0, 0, 100, 100))
    >>> r.field_other.tolist(), r.stored_other.tolist(), r.outside.tolist()
    ([False, True, True, False], [False, False, False, True], [False, False, True, False])
    >>> r.outside_m2.tolist()   # 5 m × 10 m of row 3 lie beyond x = 100
    [0.0, 0.0, 50.0, 0.0]
    """
    n = len(field)
    own = pd.Series(field, dtype="string").reset_index(drop=True)
    field_other = (own != district).fillna(True).to_numpy(dtype=bool)
    before = pd.Series(stored, dtype="string").reset_index(drop=True)
    stored_other = (before.notna() & (before != district)).fillna(False).to_numpy(dtype=bool)
    outside_m2 = np.zeros(n, dtype=float)
    if geometry is not None and boundary is not None:
        geoms = np.asarray(geometry, dtype=object)
        shapely.prepare(boundary)
        present = ~shapely.is_missing(geoms)
        within = np.zeros(n, dtype=bool)
        within[present] = shapely.contains_properly(boundary, geoms[present])
        rest = present & ~within            # only these need the (slower) difference
        if rest.any():
            outside_m2[rest] = shapely.area(shapely.difference(geoms[rest], boundary))
    return DistrictRows(field_other, stored_other, outside_m2 > sliver_m2, outside_m2)
