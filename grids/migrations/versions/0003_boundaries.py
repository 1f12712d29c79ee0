"""Boundaries: database logins for planners editing drafts in QGIS, row-level security by jurisdiction
(drafts editable, active grids read-only, no personal-data tables), and who last edited each grid.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-28 07:30:00.000000
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

SQL = Path(__file__).resolve().parents[2] / "sql"

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "db_logins",
        sa.Column("login", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_db_logins_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("login", name=op.f("pk_db_logins")),
        sa.UniqueConstraint("user_id", name=op.f("uq_db_logins_user_id")),
    )
    op.add_column("grids", sa.Column("updated_by", sa.Text(), nullable=True))
    op.execute((SQL / "boundaries_qgis.sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute((SQL / "boundaries_qgis_drop.sql").read_text(encoding="utf-8"))
    op.drop_column("grids", "updated_by")
    op.drop_table("db_logins")
