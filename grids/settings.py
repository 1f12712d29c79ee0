"""Settings for storage: where the embedded cluster lives, or which PostGIS to use instead."""

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseSettings):
    """`GRIDS_HOME` holds the embedded cluster; `GRIDS_DATABASE_URL` replaces it with any PostGIS."""

    model_config = SettingsConfigDict(env_prefix="GRIDS_", extra="ignore")

    home: Path = Field(default=Path(".grids"), description="data folder of the embedded cluster")
    database_url: str | None = Field(default=None, description="any PostGIS; bypasses the embedded one")
    database_name: str = Field(default="grids", description="database created in the embedded cluster")

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("postgresql://", "postgresql+psycopg2://", "postgres://")):
            raise ValueError(
                f"GRIDS_DATABASE_URL must be a postgresql:// URL, got {value.split(':', 1)[0]}://…"
            )
        return value
