"""Who may do what with boundaries: planners and admins change them, dispatchers and leaders read."""

from grids.codes import in_scope
from grids.errors import Forbidden
from grids.users import Principal, require_role

PLANNERS = ("admin", "planner")
READERS = ("admin", "planner", "dispatcher", "leader")


def require_planner(caller: Principal) -> None:
    """Refuse callers who may not import, validate, diff or publish boundaries."""
    require_role(caller, *PLANNERS)


def require_reader(caller: Principal) -> None:
    """Refuse callers who may not read boundary history."""
    require_role(caller, *READERS)


def require_within(caller: Principal, scope_code: str) -> None:
    """Refuse a scope outside the caller's jurisdiction (for work the caller asks to create)."""
    if not caller.sees(scope_code):
        raise Forbidden(f"scope {scope_code} lies outside your jurisdiction (超出辖区范围)")


def concerns(caller: Principal, scope_code: str) -> bool:
    """Whether a generation of `scope_code` touches the caller's jurisdiction (inside it, or around it)."""
    around = caller.scope_code is not None and in_scope(caller.scope_code, scope_code)
    return caller.sees(scope_code) or around
