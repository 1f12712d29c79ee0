"""The whole schema: divisions, generations and grids, household blocks, platforms and categories,
workers, cases and their events, users and tokens; plus the integrity triggers of grids/sql.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 05:14:26.837421
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

SQL = Path(__file__).resolve().parents[2] / "sql"

PLATFORMS = [
    ("governance", "综治工作", "Comprehensive governance", "乡镇综治办"),
    ("market", "市场监管", "Market supervision", "市场监管所"),
    ("enforcement", "综合执法", "Comprehensive enforcement", "综合执法中队"),
    ("services", "便民服务", "Convenience services", "便民服务中心"),
]

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_geospatial_table(
        "divisions",
        sa.Column("code", sa.CHAR(length=12), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.CHAR(length=12), nullable=True),
        sa.Column("placeholder", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.CheckConstraint("code ~ '^[0-9]{12}$'", name=op.f("ck_divisions_code_format")),
        sa.CheckConstraint(
            "level IN ('province', 'city', 'county', 'township', 'village')",
            name=op.f("ck_divisions_level_allowed"),
        ),
        sa.CheckConstraint(
            "households IS NULL OR households >= 0", name=op.f("ck_divisions_households_nonnegative")
        ),
        sa.CheckConstraint(
            "parent_code IS NULL OR parent_code <> code", name=op.f("ck_divisions_not_own_parent")
        ),
        sa.CheckConstraint(
            "population IS NULL OR population >= 0", name=op.f("ck_divisions_population_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["divisions.code"],
            name=op.f("fk_divisions_parent_code_divisions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_divisions")),
    )
    op.create_index(
        "ix_divisions_code_prefix",
        "divisions",
        ["code"],
        unique=False,
        postgresql_ops={"code": "bpchar_pattern_ops"},
    )
    op.create_geospatial_index(
        "ix_divisions_geom", "divisions", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_divisions_parent_code"), "divisions", ["parent_code"], unique=False)
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_table(
        "platforms",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("lead_office", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "code IN ('governance', 'market', 'enforcement', 'services')",
            name=op.f("ck_platforms_code_allowed"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_platforms")),
    )
    op.create_table(
        "case_categories",
        sa.Column("code", sa.Text(), nullable=False),
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
        sa.CheckConstraint("code ~ '^[a-z][a-z0-9_]{1,40}$'", name=op.f("ck_case_categories_code_format")),
        sa.CheckConstraint(
            "escalation_level IN ('township', 'county', 'city')",
            name=op.f("ck_case_categories_escalation_level_allowed"),
        ),
        sa.CheckConstraint(
            "duplicate_radius_m >= 0 AND duplicate_window_hours >= 0",
            name=op.f("ck_case_categories_duplicate_rule"),
        ),
        sa.CheckConstraint(
            "receive_hours > 0 AND dispatch_hours > 0 AND handle_hours > 0 AND reply_hours > 0",
            name=op.f("ck_case_categories_limits_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["platform_code"], ["platforms.code"], name=op.f("fk_case_categories_platform_code_platforms")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_case_categories")),
    )
    op.create_index(
        op.f("ix_case_categories_platform_code"), "case_categories", ["platform_code"], unique=False
    )
    op.create_geospatial_table(
        "division_parts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("division_code", sa.CHAR(length=12), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["division_code"],
            ["divisions.code"],
            name=op.f("fk_division_parts_division_code_divisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_division_parts")),
    )
    op.create_index(
        op.f("ix_division_parts_division_code"), "division_parts", ["division_code"], unique=False
    )
    op.create_geospatial_index(
        "ix_division_parts_geom",
        "division_parts",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "generations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("scope_code", sa.CHAR(length=12), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'draft'"), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("activated_by", sa.Text(), nullable=True),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("scope_code ~ '^[0-9]{12}$'", name=op.f("ck_generations_scope_code_format")),
        sa.CheckConstraint(
            "status <> 'active' OR activated_at IS NOT NULL", name=op.f("ck_generations_active_has_time")
        ),
        sa.CheckConstraint(
            "status <> 'retired' OR retired_at IS NOT NULL", name=op.f("ck_generations_retired_has_time")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'retired')", name=op.f("ck_generations_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["scope_code"], ["divisions.code"], name=op.f("fk_generations_scope_code_divisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generations")),
        sa.UniqueConstraint("name", name=op.f("uq_generations_name")),
    )
    op.create_index(op.f("ix_generations_scope_code"), "generations", ["scope_code"], unique=False)
    op.create_index(
        "uq_generations_active_scope",
        "generations",
        ["scope_code"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_geospatial_table(
        "household_blocks",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("village_code", sa.CHAR(length=12), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("households > 0", name=op.f("ck_household_blocks_households_positive")),
        sa.CheckConstraint("population >= 0", name=op.f("ck_household_blocks_population_nonnegative")),
        sa.ForeignKeyConstraint(
            ["village_code"], ["divisions.code"], name=op.f("fk_household_blocks_village_code_divisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_blocks")),
    )
    op.create_geospatial_index(
        "ix_household_blocks_geom",
        "household_blocks",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_household_blocks_village_code"), "household_blocks", ["village_code"], unique=False
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("scope_code", sa.CHAR(length=12), nullable=True),
        sa.Column("platform_code", sa.Text(), nullable=True),
        sa.Column("disabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "platform_code IN ('governance', 'market', 'enforcement', 'services')",
            name=op.f("ck_users_platform_allowed"),
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'planner', 'dispatcher', 'leader', 'worker', 'integration')",
            name=op.f("ck_users_role_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["scope_code"], ["divisions.code"], name=op.f("fk_users_scope_code_divisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_geospatial_table(
        "workers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_no", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("platform_code", sa.Text(), nullable=True),
        sa.Column("township_code", sa.CHAR(length=12), nullable=False),
        sa.Column(
            "base",
            Geometry(
                geometry_type="POINT",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint(
            "(role = 'platform_staff') = (platform_code IS NOT NULL)",
            name=op.f("ck_workers_platform_iff_staff"),
        ),
        sa.CheckConstraint(
            "role IN ('grid_head', 'full_time', 'part_time', 'platform_staff')",
            name=op.f("ck_workers_role_allowed"),
        ),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_workers_person_id_people")),
        sa.ForeignKeyConstraint(
            ["platform_code"], ["platforms.code"], name=op.f("fk_workers_platform_code_platforms")
        ),
        sa.ForeignKeyConstraint(
            ["township_code"], ["divisions.code"], name=op.f("fk_workers_township_code_divisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
        sa.UniqueConstraint("person_id", name=op.f("uq_workers_person_id")),
        sa.UniqueConstraint("staff_no", name=op.f("uq_workers_staff_no")),
    )
    op.create_geospatial_index(
        "ix_workers_base", "workers", ["base"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_workers_township_code"), "workers", ["township_code"], unique=False)
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.CHAR(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_tokens_digest")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"], unique=False)
    op.create_geospatial_table(
        "cases",
        sa.Column("county_code", sa.CHAR(length=12), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("category_code", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("raw_lon", sa.Float(), nullable=True),
        sa.Column("raw_lat", sa.Float(), nullable=True),
        sa.Column("raw_crs", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("township_code", sa.CHAR(length=12), nullable=True),
        sa.Column("village_code", sa.CHAR(length=12), nullable=True),
        sa.Column("grid_code", sa.CHAR(length=15), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("platform_code", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("assigned_by", sa.Text(), nullable=True),
        sa.Column("assign_distance_m", sa.Float(), nullable=True),
        sa.Column("receive_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatch_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handle_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duplicate_of_id", sa.BigInteger(), nullable=True),
        sa.Column("satisfaction", sa.SmallInteger(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "assigned_by IS NULL OR assigned_by IN ('inside', 'edge', 'near', 'outside', 'pinned', 'manual', 'republished')",
            name=op.f("ck_cases_assigned_by_allowed"),
        ),
        sa.CheckConstraint(
            "channel IN ('zwfw', 'pingan', 'hotline12345', 'minqing', 'village_centre', 'patrol', 'open311')",
            name=op.f("ck_cases_channel_allowed"),
        ),
        sa.CheckConstraint("county_code ~ '^[0-9]{12}$'", name=op.f("ck_cases_county_code_format")),
        sa.CheckConstraint(
            "raw_crs IS NULL OR raw_crs IN ('wgs84', 'cgcs2000', 'gcj02', 'bd09')",
            name=op.f("ck_cases_raw_crs_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('to_locate', 'received', 'accepted', 'rejected', 'dispatched', 'escalated', 'signed', 'handled', 'replied', 'verified', 'closed', 'evaluated', 'merged', 'transferred')",
            name=op.f("ck_cases_status_allowed"),
        ),
        sa.CheckConstraint("(raw_lon IS NULL) = (raw_lat IS NULL)", name=op.f("ck_cases_raw_pair")),
        sa.CheckConstraint(
            "satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name=op.f("ck_cases_satisfaction_range")
        ),
        sa.ForeignKeyConstraint(
            ["category_code"], ["case_categories.code"], name=op.f("fk_cases_category_code_case_categories")
        ),
        sa.ForeignKeyConstraint(
            ["county_code", "duplicate_of_id"],
            ["cases.county_code", "cases.id"],
            name="fk_cases_duplicate_of",
        ),
        sa.ForeignKeyConstraint(
            ["county_code"], ["divisions.code"], name=op.f("fk_cases_county_code_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["platform_code"], ["platforms.code"], name=op.f("fk_cases_platform_code_platforms")
        ),
        sa.ForeignKeyConstraint(["reporter_id"], ["people.id"], name=op.f("fk_cases_reporter_id_people")),
        sa.ForeignKeyConstraint(
            ["township_code"], ["divisions.code"], name=op.f("fk_cases_township_code_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["village_code"], ["divisions.code"], name=op.f("fk_cases_village_code_divisions")
        ),
        sa.ForeignKeyConstraint(["worker_id"], ["workers.id"], name=op.f("fk_cases_worker_id_workers")),
        sa.PrimaryKeyConstraint("county_code", "id", name=op.f("pk_cases")),
    )
    op.create_index(op.f("ix_cases_category_code"), "cases", ["category_code"], unique=False)
    op.create_geospatial_index(
        "ix_cases_geom", "cases", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index("ix_cases_grid_code", "cases", ["grid_code"], unique=False)
    op.create_index("ix_cases_reported_at", "cases", ["reported_at"], unique=False)
    op.create_index("ix_cases_status", "cases", ["county_code", "status"], unique=False)
    op.create_index("ix_cases_township_code", "cases", ["township_code"], unique=False)
    op.create_table(
        "duty_windows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.CheckConstraint("ends > starts", name=op.f("ck_duty_windows_window_forward")),
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name=op.f("ck_duty_windows_weekday_iso")),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_duty_windows_worker_id_workers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_windows")),
    )
    op.create_index(op.f("ix_duty_windows_worker_id"), "duty_windows", ["worker_id"], unique=False)
    op.create_geospatial_table(
        "grids",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("generation_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), server_default=sa.text("'ordinary'"), nullable=False),
        sa.Column("village_code", sa.CHAR(length=12), nullable=True),
        sa.Column("households", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("population", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('ordinary', 'enterprise', 'school', 'market', 'hospital', 'scenic', 'other_dedicated')",
            name=op.f("ck_grids_kind_allowed"),
        ),
        sa.CheckConstraint("households >= 0 AND population >= 0", name=op.f("ck_grids_figures_nonnegative")),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_grids_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["village_code"], ["divisions.code"], name=op.f("fk_grids_village_code_divisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grids")),
    )
    op.create_index("ix_grids_code", "grids", ["code"], unique=False)
    op.create_index("ix_grids_generation_code", "grids", ["generation_id", "code"], unique=False)
    op.create_geospatial_index(
        "ix_grids_geom", "grids", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_grids_village_code"), "grids", ["village_code"], unique=False)
    op.create_table(
        "worker_assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("grid_code", sa.CHAR(length=15), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("grid_code ~ '^[0-9]{15}$'", name=op.f("ck_worker_assignments_grid_code_format")),
        sa.CheckConstraint(
            "kind IN ('primary', 'backup', 'head', 'platform')",
            name=op.f("ck_worker_assignments_kind_allowed"),
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_worker_assignments_period_forward")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
            name=op.f("fk_worker_assignments_worker_id_workers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_assignments")),
    )
    op.create_index("ix_worker_assignments_grid_code", "worker_assignments", ["grid_code"], unique=False)
    op.create_index(
        op.f("ix_worker_assignments_worker_id"), "worker_assignments", ["worker_id"], unique=False
    )
    op.create_table(
        "case_events",
        sa.Column("county_code", sa.CHAR(length=12), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["county_code", "case_id"],
            ["cases.county_code", "cases.id"],
            name="fk_case_events_case",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("county_code", "id", name=op.f("pk_case_events")),
    )
    op.create_index("ix_case_events_case", "case_events", ["county_code", "case_id"], unique=False)
    op.create_table(
        "case_intake_keys",
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("county_code", sa.CHAR(length=12), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('zwfw', 'pingan', 'hotline12345', 'minqing', 'village_centre', 'patrol', 'open311')",
            name=op.f("ck_case_intake_keys_channel_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["county_code", "case_id"],
            ["cases.county_code", "cases.id"],
            name="fk_case_intake_keys_case",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel", "external_id", name=op.f("pk_case_intake_keys")),
    )
    op.create_geospatial_table(
        "grid_parts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("grid_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grids.id"], name=op.f("fk_grid_parts_grid_id_grids"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_parts")),
    )
    op.create_geospatial_index(
        "ix_grid_parts_geom", "grid_parts", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_grid_parts_grid_id"), "grid_parts", ["grid_id"], unique=False)
    # Indexes on referencing columns, so deleting a case, worker or person never scans these tables.
    op.create_index("ix_cases_duplicate_of", "cases", ["county_code", "duplicate_of_id"], unique=False)
    op.create_index(op.f("ix_cases_village_code"), "cases", ["village_code"], unique=False)
    op.create_index(op.f("ix_cases_worker_id"), "cases", ["worker_id"], unique=False)
    op.create_index(op.f("ix_cases_reporter_id"), "cases", ["reporter_id"], unique=False)
    op.create_index("ix_case_intake_keys_case", "case_intake_keys", ["county_code", "case_id"], unique=False)
    platforms = sa.table(
        "platforms", sa.column("code"), sa.column("name_zh"), sa.column("name_en"), sa.column("lead_office")
    )
    op.bulk_insert(
        platforms,
        [dict(zip(("code", "name_zh", "name_en", "lead_office"), p, strict=True)) for p in PLATFORMS],
    )
    op.execute((SQL / "integrity.sql").read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute((SQL / "integrity_drop.sql").read_text(encoding="utf-8"))
    op.drop_index("ix_case_intake_keys_case", table_name="case_intake_keys")
    op.drop_index(op.f("ix_cases_reporter_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_worker_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_village_code"), table_name="cases")
    op.drop_index("ix_cases_duplicate_of", table_name="cases")
    op.drop_index(op.f("ix_grid_parts_grid_id"), table_name="grid_parts")
    op.drop_geospatial_index(
        "ix_grid_parts_geom", table_name="grid_parts", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("grid_parts")
    op.drop_table("case_intake_keys")
    op.drop_index("ix_case_events_case", table_name="case_events")
    op.drop_table("case_events")
    op.drop_index(op.f("ix_worker_assignments_worker_id"), table_name="worker_assignments")
    op.drop_index("ix_worker_assignments_grid_code", table_name="worker_assignments")
    op.drop_table("worker_assignments")
    op.drop_index(op.f("ix_grids_village_code"), table_name="grids")
    op.drop_geospatial_index("ix_grids_geom", table_name="grids", postgresql_using="gist", column_name="geom")
    op.drop_index("ix_grids_generation_code", table_name="grids")
    op.drop_index("ix_grids_code", table_name="grids")
    op.drop_geospatial_table("grids")
    op.drop_index(op.f("ix_duty_windows_worker_id"), table_name="duty_windows")
    op.drop_table("duty_windows")
    op.drop_index("ix_cases_township_code", table_name="cases")
    op.drop_index("ix_cases_status", table_name="cases")
    op.drop_index("ix_cases_reported_at", table_name="cases")
    op.drop_index("ix_cases_grid_code", table_name="cases")
    op.drop_geospatial_index("ix_cases_geom", table_name="cases", postgresql_using="gist", column_name="geom")
    op.drop_index(op.f("ix_cases_category_code"), table_name="cases")
    op.drop_geospatial_table("cases")
    op.drop_index(op.f("ix_api_tokens_user_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index(op.f("ix_workers_township_code"), table_name="workers")
    op.drop_geospatial_index(
        "ix_workers_base", table_name="workers", postgresql_using="gist", column_name="base"
    )
    op.drop_geospatial_table("workers")
    op.drop_table("users")
    op.drop_index(op.f("ix_household_blocks_village_code"), table_name="household_blocks")
    op.drop_geospatial_index(
        "ix_household_blocks_geom", table_name="household_blocks", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("household_blocks")
    op.drop_index(
        "uq_generations_active_scope", table_name="generations", postgresql_where=sa.text("status = 'active'")
    )
    op.drop_index(op.f("ix_generations_scope_code"), table_name="generations")
    op.drop_table("generations")
    op.drop_geospatial_index(
        "ix_division_parts_geom", table_name="division_parts", postgresql_using="gist", column_name="geom"
    )
    op.drop_index(op.f("ix_division_parts_division_code"), table_name="division_parts")
    op.drop_geospatial_table("division_parts")
    op.drop_index(op.f("ix_case_categories_platform_code"), table_name="case_categories")
    op.drop_table("case_categories")
    op.drop_table("platforms")
    op.drop_table("people")
    op.drop_index(op.f("ix_divisions_parent_code"), table_name="divisions")
    op.drop_geospatial_index(
        "ix_divisions_geom", table_name="divisions", postgresql_using="gist", column_name="geom"
    )
    op.drop_index(
        "ix_divisions_code_prefix", table_name="divisions", postgresql_ops={"code": "bpchar_pattern_ops"}
    )
    op.drop_geospatial_table("divisions")
