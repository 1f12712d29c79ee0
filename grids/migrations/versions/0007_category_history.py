"""Category history: every version of a case category (platform, time limits, duplicate rule) with
the period it held and who made it, kept by triggers on case_categories.

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-29 12:00:00.000000
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op

SQL = Path(__file__).resolve().parents[2] / "sql"

revision = "0007"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_category_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("category_code", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("platform_code", sa.Text(), nullable=False),
        sa.Column("family", sa.Text(), nullable=False),
        sa.Column("receive_hours", sa.Float(), nullable=False),
        sa.Column("dispatch_hours", sa.Float(), nullable=False),
        sa.Column("handle_hours", sa.Float(), nullable=False),
        sa.Column("reply_hours", sa.Float(), nullable=False),
        sa.Column("duplicate_radius_m", sa.Float(), nullable=False),
        sa.Column("duplicate_window_hours", sa.Float(), nullable=False),
        sa.Column("escalation_level", sa.Text(), nullable=False),
        sa.Column("working_hours", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_case_category_versions_period_forward")
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["case_categories.code"],
            name=op.f("fk_case_category_versions_category_code_case_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["platform_code"],
            ["platforms.code"],
            name=op.f("fk_case_category_versions_platform_code_platforms"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_category_versions")),
    )
    op.create_index(
        op.f("ix_case_category_versions_category_code"),
        "case_category_versions",
        ["category_code"],
        unique=False,
    )
    op.execute((SQL / "category_history.sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute((SQL / "category_history_drop.sql").read_text(encoding="utf-8"))
    op.drop_index(op.f("ix_case_category_versions_category_code"), table_name="case_category_versions")
    op.drop_table("case_category_versions")
