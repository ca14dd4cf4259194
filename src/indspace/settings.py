"""Settings read at the edge (CLI, API) and passed down; the core never reads the environment."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreSettings(BaseSettings):
    """Where the store lives: a GeoPackage path or a postgresql+psycopg:// URL."""

    model_config = SettingsConfigDict(env_prefix="INDSPACE_", env_file=".env", extra="ignore")
    db: str = "indspace.gpkg"


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INDSPACE_", env_file=".env", extra="ignore")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
