"""Map layers: a stored EPSG:3857 copy of every division, grid and case geometry (kept in step by
triggers) with its spatial index, and an index of open cases by grid for the grid layer's load.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-28 09:30:00.000000
"""

from pathlib import Path

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

SQL = Path(__file__).resolve().parents[2] / "sql"
TABLES = {"divisions": "MULTIPOLYGON", "grids": "GEOMETRY", "cases": "POINT"}
CLOSED = "status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred')"

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table, kind in TABLES.items():
        op.add_column(
            table,
            sa.Column(
                "geom_3857",
                Geometry(
                    geometry_type=kind,
                    srid=3857,
                    spatial_index=False,
                    from_text="ST_GeomFromEWKT",
                    name="geometry",
                ),
                nullable=True,
            ),
        )
    op.execute((SQL / "layers_3857.sql").read_text(encoding="utf-8"))
    for table in TABLES:
        op.create_geospatial_index(
            f"ix_{table}_geom_3857",
            table,
            ["geom_3857"],
            unique=False,
            postgresql_using="gist",
            postgresql_ops={},
        )
    op.create_index(
        "ix_cases_open_grid_code", "cases", ["grid_code"], unique=False, postgresql_where=sa.text(CLOSED)
    )
    # Jurisdictions are code prefixes: `code LIKE '331102%'` needs pattern ops under a non-C collation.
    op.create_index("ix_grids_code_prefix", "grids", ["code"], postgresql_ops={"code": "text_pattern_ops"})


def downgrade() -> None:
    op.drop_index("ix_grids_code_prefix", table_name="grids")
    op.drop_index("ix_cases_open_grid_code", table_name="cases", postgresql_where=sa.text(CLOSED))
    for table in TABLES:
        op.drop_geospatial_index(
            f"ix_{table}_geom_3857", table_name=table, postgresql_using="gist", column_name="geom_3857"
        )
    op.execute((SQL / "layers_3857_drop.sql").read_text(encoding="utf-8"))
    for table in TABLES:
        op.drop_geospatial_column(table, "geom_3857")
