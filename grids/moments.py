"""The span of times the service accepts from its users: wide enough for any record it keeps, and
far enough inside Python's calendar (years 1–9999) that a day, a 90-day window or a time-zone shift
either side of an accepted time is still a time (at the edges, that arithmetic overflows)."""

from datetime import date

from grids.errors import InvalidInput

EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
SPAN = f"between the years {EARLIEST_YEAR} and {LATEST_YEAR} (时间须在{EARLIEST_YEAR}—{LATEST_YEAR}年之间)"


def check_moment(value: date | None, *, field: str) -> None:
    """Refuse a date or date-time outside the span, naming the field."""
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InvalidInput(f"{field} {value.isoformat()} must lie {SPAN}", field=field)
