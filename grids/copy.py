"""Bulk writes through PostgreSQL COPY (text format), for the demo loader and case imports."""

import io
import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, time
from typing import Any

from psycopg2.extensions import cursor as Cursor

_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = re.compile(r"[\\\t\n\r]")
_CHUNK = 50_000


def _text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value.translate(_ESCAPE) if _SPECIAL.search(value) else value
    if value is None:
        return r"\N"
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, datetime | time):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPE)
    return str(value)


def copy_line(row: Sequence[Any]) -> str:
    """One row in COPY's text format, with its newline."""
    return "\t".join(map(_text, row)) + "\n"


def copy_text(cur: Cursor, table: str, columns: Sequence[str], lines: str) -> None:
    """COPY lines already in COPY's text format (see `copy_line`) into a table."""
    if lines:
        cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO(lines))


def copy_rows(cur: Cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows into a table in chunks (text format); returns how many."""
    count, buffer = 0, io.StringIO()
    for row in rows:
        buffer.write(copy_line(row))
        count += 1
        if count % _CHUNK == 0:
            copy_text(cur, table, columns, buffer.getvalue())
            buffer = io.StringIO()
    copy_text(cur, table, columns, buffer.getvalue())
    return count
