"""COPY's text format as grids/copy.py writes it, read back by PostgreSQL: any text (tabs, newlines,
backslashes, quotes, Chinese), numbers, booleans, times, JSON and nulls arrive as they were sent."""

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from grids.copy import copy_rows

TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40)
ROWS = st.lists(
    st.tuples(
        st.one_of(st.none(), TEXT),
        st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1)),
        st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
        st.one_of(st.none(), st.booleans()),
        st.one_of(st.none(), st.datetimes(timezones=st.just(UTC), min_value=datetime(1900, 1, 1))),
        st.one_of(
            st.none(), st.dictionaries(TEXT, st.one_of(st.none(), st.integers(-1000, 1000), TEXT), max_size=4)
        ),
    ),
    max_size=20,
)


def test_what_is_copied_is_what_is_read_back(database_url: str) -> None:
    engine = create_engine(database_url)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(ROWS)
    def round_trip(rows: list[tuple[Any, ...]]) -> None:
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(
                "CREATE TEMP TABLE t (n serial, s text, i bigint, f float8, b boolean, at timestamptz, j jsonb)"
            )
            assert copy_rows(cur, "t", ("s", "i", "f", "b", "at", "j"), rows) == len(rows)
            cur.execute("SELECT s, i, f, b, at, j FROM t ORDER BY n")
            assert cur.fetchall() == rows
        finally:
            raw.rollback()
            raw.close()

    round_trip()
    engine.dispose()
