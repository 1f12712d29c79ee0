"""Response and request bodies of the HTTP API (`XPublic` out, `XCreate` in)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from grids.models.base import LEVELS, PLATFORMS, USER_ROLES

Level = Literal[LEVELS]  # type: ignore[valid-type]
Role = Literal[USER_ROLES]  # type: ignore[valid-type]
PlatformCode = Literal[PLATFORMS]  # type: ignore[valid-type]


class Orm(BaseModel):
    """Read from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class HealthPublic(BaseModel):
    """Database reachability and versions."""

    status: Literal["ok"]
    postgresql: str
    postgis: str


class MePublic(BaseModel):
    """The caller as the service sees them."""

    name: str
    role: Role
    scope: str = Field(description="division code whose subtree the caller may see, or * for everything")
    platform: PlatformCode | None


class DivisionPublic(Orm):
    """An administrative division, without its geometry (the map layers serve shapes)."""

    code: str
    level: Level
    name: str
    parent_code: str | None
    placeholder: bool
    households: int | None
    population: int | None


class DivisionPage(BaseModel):
    """A page of divisions with the total matched."""

    items: list[DivisionPublic]
    number_matched: int
    limit: int
    offset: int


class PlatformPublic(Orm):
    """One of the four platforms."""

    code: PlatformCode
    name_zh: str
    name_en: str
    lead_office: str


class CategoryPublic(Orm):
    """A case category of a platform's responsibility list (权责清单)."""

    code: str
    name_zh: str
    name_en: str
    platform_code: PlatformCode
    family: str
    receive_hours: float
    dispatch_hours: float
    handle_hours: float
    reply_hours: float
    duplicate_radius_m: float
    duplicate_window_hours: float
    escalation_level: Literal["township", "county", "city"]
    working_hours: bool = Field(description="limits count working hours on the holiday calendar")


class UserCreate(BaseModel):
    """A new user; `scope` is a division code (short forms padded) or `*`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    role: Role
    scope: str = Field(min_length=1, max_length=12, examples=["331102", "*"])
    platform: PlatformCode | None = None


class UserPublic(BaseModel):
    """A user, never with a token."""

    name: str
    role: Role
    scope: str
    platform: PlatformCode | None


class UserCreated(UserPublic):
    """A created user and its first token, shown this once."""

    token: str
