"""Settings of the HTTP service."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from grids.settings import DatabaseSettings


class ApiSettings(BaseSettings):
    """`GRIDS_API_*`: pool size and the public base URL used in links."""

    model_config = SettingsConfigDict(env_prefix="GRIDS_API_", extra="ignore")

    pool_size: int = Field(default=5, ge=1, le=100)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
