"""Grid figures: open and unassigned cases per grid code, kept by triggers on cases (back-filled here)
so that the grid layer's tiles and features read them instead of counting cases per request.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 09:45:00.000000
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

SQL = Path(__file__).resolve().parents[2] / "sql"

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grid_case_figures",
        sa.Column("grid_code", sa.CHAR(length=15), nullable=False),
        sa.Column("open_cases", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("unassigned_cases", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("grid_code", name=op.f("pk_grid_case_figures")),
    )
    op.execute((SQL / "grid_figures.sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute((SQL / "grid_figures_drop.sql").read_text(encoding="utf-8"))
    op.drop_table("grid_case_figures")
