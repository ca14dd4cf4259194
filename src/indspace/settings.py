"""Settings read at the edge (CLI, API) and passed down; the core never reads the environment."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreSettings(BaseSettings):
    """Where the store lives: a GeoPackage path or a postgresql+psycopg:// URL."""

    model_config = SettingsConfigDict(env_prefix="INDSPACE_", env_file=".env", extra="ignore")
    db: str = "indspace.gpkg"
    write_wait_s: float = Field(
        600.0, ge=0,
        description="导入等待同一数据库上另一个导入完成的最长秒数 / seconds an import waits "
                    "for another import into the same store before it gives up")


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INDSPACE_", env_file=".env", extra="ignore")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_layers: str = Field(
        "parcels,buildings,control_lines,parks",
        description="匿名用户可见的图层（逗号分隔）/ layers anonymous readers may see "
                    "(comma-separated; OGC collections, tiles, /api/parcels)")

    @property
    def public_layer_list(self) -> list[str]:
        return [x.strip() for x in self.public_layers.split(",") if x.strip()]
