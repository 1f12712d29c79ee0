"""Staff allocation plans: proposals, and the assignments an applied plan started and ended.

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-28 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "allocation_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope_code", sa.CHAR(length=12), nullable=False),
        sa.Column("platform_code", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("request", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_by", sa.Text(), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_assignments",
            postgresql.ARRAY(sa.Integer()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "ended_assignments",
            postgresql.ARRAY(sa.Integer()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('proposed', 'applied', 'undone')", name=op.f("ck_allocation_plans_status_allowed")
        ),
        sa.CheckConstraint(
            "(status = 'proposed') = (applied_at IS NULL)",
            name=op.f("ck_allocation_plans_applied_iff_not_proposed"),
        ),
        sa.CheckConstraint(
            "(status = 'undone') = (undone_at IS NOT NULL)",
            name=op.f("ck_allocation_plans_undone_iff_undone_at"),
        ),
        sa.ForeignKeyConstraint(
            ["scope_code"], ["divisions.code"], name=op.f("fk_allocation_plans_scope_code_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["platform_code"], ["platforms.code"], name=op.f("fk_allocation_plans_platform_code_platforms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_plans")),
    )
    op.create_index("ix_allocation_plans_scope", "allocation_plans", ["scope_code", "platform_code"])


def downgrade() -> None:
    op.drop_index("ix_allocation_plans_scope", table_name="allocation_plans")
    op.drop_table("allocation_plans")
