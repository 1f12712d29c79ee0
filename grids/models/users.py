"""Users of the service, their jurisdiction, and their API tokens (stored hashed)."""

from datetime import datetime

from sqlalchemy import CHAR, Boolean, DateTime, ForeignKey, Integer, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from grids.models.base import PLATFORMS, USER_ROLES, Base, one_of


class User(Base):
    """A person or system calling the service; `scope_code` NULL means the whole installation (`*`)."""

    __tablename__ = "users"
    __table_args__ = (
        one_of("role", USER_ROLES),
        one_of("platform_code", PLATFORMS, name="platform_allowed"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    role: Mapped[str] = mapped_column(Text)
    scope_code: Mapped[str | None] = mapped_column(CHAR(12), ForeignKey("divisions.code"))
    platform_code: Mapped[str | None] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiToken(Base):
    """A bearer token's SHA-256 digest; the token itself is shown once and never stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(CHAR(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DbLogin(Base):
    """A PostgreSQL login (e.g. for QGIS) acting as a user: row-level security reads its jurisdiction here."""

    __tablename__ = "db_logins"

    login: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
