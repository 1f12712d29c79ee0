"""Settings of the HTTP service."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from grids.settings import DatabaseSettings


class ApiSettings(BaseSettings):
    """`GRIDS_API_*`: pool size and how long a checked token is trusted without a new lookup."""

    model_config = SettingsConfigDict(env_prefix="GRIDS_API_", extra="ignore")

    pool_size: int = Field(default=5, ge=1, le=100)
    # At 100 requests/s a caller's token is looked up once per 1,000 requests; a revoked token still
    # works up to this long (grids.users.PrincipalCache). 0 looks every request's token up.
    principal_ttl_seconds: float = Field(default=10.0, ge=0, le=300)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
