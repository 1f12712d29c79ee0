"""Grid worker figures: grid workers and the primary's staff number per grid code, kept by triggers on
assignments and workers with the window they hold for (back-filled here), so that the grid layer's
tiles and features read one row instead of counting assignments per grid and request.

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-28 11:00:00.000000
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

SQL = Path(__file__).resolve().parents[2] / "sql"

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grid_worker_figures",
        sa.Column("grid_code", sa.CHAR(length=15), nullable=False),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("primary_staff_no", sa.Text(), nullable=True),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holds_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("grid_code", name=op.f("pk_grid_worker_figures")),
    )
    op.execute((SQL / "grid_worker_figures.sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute((SQL / "grid_worker_figures_drop.sql").read_text(encoding="utf-8"))
    op.drop_table("grid_worker_figures")
