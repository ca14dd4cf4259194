"""Settings read at the edge (CLI, API) and passed down; the core never reads the environment.

:class:`DeploymentSettings` is the one deployment context (issue #14): the time zone in which
a "day" is read, the store's projected CRS (SRID), the default policy profile and the layers
anonymous readers may see. It is the only place in ``src/`` that names them
(``tests/test_deployment_context.py`` keeps it so); the edge builds it once
(:func:`deployment`) and hands the values down.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TIME_ZONE = "Asia/Shanghai"
"""宁波（中国标准时间）/ Ningbo: China Standard Time."""
DEFAULT_SRID = 4549
"""CGCS2000 3° Gauss–Krüger, CM 120°E (宁波) — the store's projected CRS."""
DEFAULT_PROFILE = "ningbo-demo"
"""The bundled policy profile used when a command names none."""
DEFAULT_PUBLIC_LAYERS = "parcels,buildings,control_lines,parks"
DEFAULT_HOLIDAY_CALENDAR = "CN"
"""法定休假日历 / statutory holiday calendar: the ``holidays`` package's country code (CN:
State Council holidays with their 调休 working weekends) — ends periods per 民法典 第二百零三条."""

_CONFIG = SettingsConfigDict(env_prefix="INDSPACE_", env_file=".env", extra="ignore")


class StoreSettings(BaseSettings):
    """Where the store lives: a GeoPackage path or a postgresql+psycopg:// URL."""

    model_config = _CONFIG
    db: str = "indspace.gpkg"
    write_wait_s: float = Field(
        600.0, ge=0,
        description="导入等待同一数据库上另一个导入完成的最长秒数 / seconds an import waits "
                    "for another import into the same store before it gives up")


class DeploymentSettings(BaseSettings):
    """The deployment context: ``INDSPACE_TIME_ZONE``, ``INDSPACE_SRID``,
    ``INDSPACE_DEFAULT_PROFILE``, ``INDSPACE_PUBLIC_LAYERS``."""

    model_config = _CONFIG
    time_zone: str = Field(default=DEFAULT_TIME_ZONE,
                           description="部署时区（IANA 名称）/ deployment time zone (IANA "
                                       "name): a day D means D in this zone")
    srid: int = Field(default=DEFAULT_SRID, ge=1024, le=999_999,
                      description="库坐标系 EPSG 代码（投影坐标）/ the store's projected CRS")
    default_profile: str = Field(default=DEFAULT_PROFILE, min_length=1,
                                 description="默认政策配置 / default policy profile id")
    holiday_calendar: str = Field(
        default=DEFAULT_HOLIDAY_CALENDAR, min_length=2,
        description="法定休假日历（holidays 包国家代码）/ statutory holiday calendar (a country "
                    "code of the holidays package)")
    public_layers: str = Field(
        default=DEFAULT_PUBLIC_LAYERS,
        description="匿名用户可见的图层（逗号分隔）/ layers anonymous readers may see "
                    "(comma-separated; OGC collections, tiles, /api/parcels)")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"未知时区 / unknown time zone {v!r}: use an IANA name such as "
                             f"{DEFAULT_TIME_ZONE!r}") from e
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def public_layer_list(self) -> list[str]:
        return [x.strip() for x in self.public_layers.split(",") if x.strip()]


class BasemapSettings(BaseSettings):
    """The map's basemap (issue #16): none (the offline demo), 天地图 or any XYZ source.

    ``INDSPACE_BASEMAP`` = ``none`` | ``tianditu`` | ``xyz``; ``INDSPACE_BASEMAP_KEY`` the
    deployment's 天地图 key (tk); ``INDSPACE_BASEMAP_URL`` an XYZ template
    (``https://…/{z}/{x}/{y}.png``); ``INDSPACE_BASEMAP_GCJ02`` true when the XYZ source draws
    in GCJ-02 (国测局) coordinates, so the UI shifts its tiles onto CGCS2000/WGS 84 data;
    ``INDSPACE_BASEMAP_ATTRIBUTION`` the credit line. 天地图 is served from its Web-Mercator
    tile matrix set (``w``), which is on the CGCS2000 datum: no offset is applied."""

    model_config = _CONFIG
    basemap: Literal["none", "tianditu", "xyz"] = Field(
        "none", description="底图 / basemap: none | tianditu | xyz")
    basemap_key: str = Field("", description="天地图密钥 (tk) / the deployment's 天地图 key")
    basemap_url: str = Field("", description="XYZ 瓦片地址模板 / XYZ tile URL template")
    basemap_gcj02: bool = Field(False, description="XYZ 底图为 GCJ-02 坐标 / the XYZ source "
                                                   "uses GCJ-02 coordinates")
    basemap_attribution: str = Field("", description="底图署名 / attribution")


class ApiSettings(BaseSettings):
    model_config = _CONFIG
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)


@lru_cache(maxsize=1)
def deployment() -> DeploymentSettings:
    """The deployment context, read from the environment once per process (at the edge)."""
    return DeploymentSettings()


@lru_cache(maxsize=1)
def basemap_settings() -> BasemapSettings:
    """The basemap settings, read from the environment once per process (at the edge)."""
    return BasemapSettings()  # type: ignore[call-arg]  # defaults come from the fields
