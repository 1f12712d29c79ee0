"""Cases: an index of the cases waiting in a county's or the city's queue (no township yet). With
the village and township indexes it finds the cases of a jurisdiction, which every read of cases
now asks for as ranges of codes instead of scanning them all (grids/cases/queries.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 19:10:00.000000
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_queue", "cases", ["county_code"], postgresql_where="township_code IS NULL")


def downgrade() -> None:
    op.drop_index("ix_cases_queue", table_name="cases")
