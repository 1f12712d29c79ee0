"""Statistical division codes (统计用区划代码): 2 province, 2 city, 2 county, 3 township, 3 village."""

from grids.errors import InvalidInput

SHORT_LENGTHS = {2: "province", 4: "city", 6: "county", 9: "township", 12: "village"}


def level_of(code: str) -> str:
    """The level a 12-digit code names, read from its trailing zeros."""
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "city"
    if code[6:] == "0" * 6:
        return "county"
    if code[9:] == "000":
        return "township"
    return "village"


def prefix(code: str) -> str:
    """The significant digits of a 12-digit code; every code in its subtree starts with them."""
    return code[: {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}[level_of(code)]]


def division_code(raw: str, *, field: str = "code") -> str:
    """Pad a short code (`3311`, `331102`, `331102001`) to 12 digits, or name what is wrong with it."""
    value = raw.strip()
    if not value.isdigit() or not value.isascii() or len(value) not in SHORT_LENGTHS:
        raise InvalidInput(
            f"{field} {raw!r} is not a division code: give 2, 4, 6, 9 or 12 digits "
            f"(区划代码应为2/4/6/9/12位数字), e.g. 3311 or 331102001000",
            field=field,
        )
    return value.ljust(12, "0")


def scope_code(raw: str) -> str | None:
    """A jurisdiction as given on the command line: `*` for the whole installation, else a code."""
    return None if raw.strip() == "*" else division_code(raw, field="scope")


def subtree_span(head: str) -> tuple[str, str]:
    """The first and last 12-digit codes starting with the digits `head` (`prefix` of a code, or a
    short code as given). A range rather than a LIKE on the prefix, so a b-tree index serves it."""
    return head.ljust(12, "0"), head.ljust(12, "9")


def in_scope(code: str, scope: str | None) -> bool:
    """Whether division or grid `code` lies in the subtree of `scope` (None: everything)."""
    return scope is None or code.startswith(prefix(scope))
