"""Cases: the indexes of mostly empty columns (reporter, possible duplicate, merged into) hold only
the cases that have one, so a case without one costs no index write.

Revision ID: 0010
Revises: 0002
Create Date: 2026-11-28 17:10:00.000000
"""

from alembic import op

revision = "0010"
down_revision = "0002"
branch_labels = None
depends_on = None

_INDEXES = (
    ("ix_cases_reporter_id", ["reporter_id"]),
    ("ix_cases_duplicate_candidate", ["county_code", "duplicate_candidate_id"]),
    ("ix_cases_duplicate_of", ["county_code", "duplicate_of_id"]),
)


def upgrade() -> None:
    for name, columns in _INDEXES:
        op.drop_index(name, table_name="cases")
        op.create_index(name, "cases", columns, postgresql_where=f"{columns[-1]} IS NOT NULL")


def downgrade() -> None:
    for name, columns in _INDEXES:
        op.drop_index(name, table_name="cases")
        op.create_index(name, "cases", columns)
