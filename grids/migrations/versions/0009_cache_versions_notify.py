"""Locator counters announced: a statement trigger on cache_versions notifies channel
`grids_cache_versions`, which every server process listens on, so a locate need not ask for the
counters while nothing was announced.

Revision ID: 0009
Revises: 0002
Create Date: 2026-11-28 11:30:00.000000
"""

from pathlib import Path

from alembic import op

SQL = Path(__file__).resolve().parents[2] / "sql"

revision = "0009"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute((SQL / "cache_versions_notify.sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute((SQL / "cache_versions_notify_drop.sql").read_text(encoding="utf-8"))
