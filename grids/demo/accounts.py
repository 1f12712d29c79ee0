"""Demo users: an admin for the city, a planner per county, a dispatcher per township, a leader."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from grids.users import add_user, issue_token


@dataclass(frozen=True)
class DemoAccount:
    """A demo user and its freshly issued token."""

    name: str
    role: str
    scope_code: str
    token: str


def create_demo_accounts(
    session: Session, *, city_code: str, county_codes: list[str], township_codes: list[str]
) -> list[DemoAccount]:
    """Create the demo users (the demo loader removed earlier ones) and issue each a token."""
    wanted = [("demo-admin", "admin", city_code), ("demo-leader", "leader", city_code)]
    wanted += [(f"demo-planner-{c[:6]}", "planner", c) for c in county_codes]
    wanted += [(f"demo-dispatcher-{t[:9]}", "dispatcher", t) for t in township_codes]
    accounts = []
    for name, role, scope in wanted:
        add_user(session, name=name, role=role, scope_code=scope)
        accounts.append(DemoAccount(name, role, scope, issue_token(session, name=name)))
    return accounts
