"""Cases: the holiday calendar and working-hour limits, photos of cases, replayable answers for Idempotency-Key, cache versions bumped by triggers for the in-memory
locator, worker logins, the log of unmaskings, and the possible duplicate flagged at intake.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 06:00:00.000000
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

SQL = Path(__file__).resolve().parents[2] / "sql"

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cache_versions",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_versions")),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.CHAR(length=64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("length(key) BETWEEN 1 AND 255", name=op.f("ck_idempotency_records_key_length")),
        sa.CheckConstraint(
            "status_code BETWEEN 200 AND 599", name=op.f("ck_idempotency_records_status_code_http")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_idempotency_records_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_records")),
    )
    op.create_table(
        "worker_accounts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_worker_accounts_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
            name=op.f("fk_worker_accounts_worker_id_workers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_worker_accounts")),
        sa.UniqueConstraint("worker_id", name=op.f("uq_worker_accounts_worker_id")),
    )
    op.create_table(
        "personal_data_access",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.CHAR(length=12), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_access")),
    )
    op.create_index(
        "ix_personal_data_access_case", "personal_data_access", ["county_code", "case_id"], unique=False
    )
    op.create_index(
        op.f("ix_personal_data_access_user_id"), "personal_data_access", ["user_id"], unique=False
    )
    op.create_table(
        "case_attachments",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("county_code", sa.CHAR(length=12), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.CHAR(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'image/webp')",
            name=op.f("ck_case_attachments_content_type_allowed"),
        ),
        sa.CheckConstraint(
            "kind IN ('before', 'after', 'other')", name=op.f("ck_case_attachments_kind_allowed")
        ),
        sa.CheckConstraint("size_bytes BETWEEN 1 AND 5242880", name=op.f("ck_case_attachments_size_limit")),
        sa.ForeignKeyConstraint(
            ["county_code", "case_id"],
            ["cases.county_code", "cases.id"],
            name="fk_case_attachments_case",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_attachments")),
    )
    op.create_index("ix_case_attachments_case", "case_attachments", ["county_code", "case_id"], unique=False)
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    op.add_column(
        "case_categories",
        sa.Column("working_hours", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("cases", sa.Column("duplicate_candidate_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        "fk_cases_duplicate_candidate",
        "cases",
        "cases",
        ["county_code", "duplicate_candidate_id"],
        ["county_code", "id"],
    )
    op.create_index(
        "ix_cases_duplicate_candidate", "cases", ["county_code", "duplicate_candidate_id"], unique=False
    )
    op.create_index("ix_cases_id", "cases", ["id"], unique=False)
    op.execute((SQL / "cases.sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute((SQL / "cases_drop.sql").read_text(encoding="utf-8"))
    op.drop_index("ix_cases_id", table_name="cases")
    op.drop_index("ix_cases_duplicate_candidate", table_name="cases")
    op.drop_constraint("fk_cases_duplicate_candidate", "cases", type_="foreignkey")
    op.drop_column("cases", "duplicate_candidate_id")
    op.drop_column("case_categories", "working_hours")
    op.drop_table("calendar_days")
    op.drop_index(op.f("ix_personal_data_access_user_id"), table_name="personal_data_access")
    op.drop_index("ix_personal_data_access_case", table_name="personal_data_access")
    op.drop_table("personal_data_access")
    op.drop_index("ix_case_attachments_case", table_name="case_attachments")
    op.drop_table("case_attachments")
    op.drop_table("worker_accounts")
    op.drop_table("idempotency_records")
    op.drop_table("cache_versions")
