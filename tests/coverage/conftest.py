"""Fixtures of the coverage tests: the API over a copy of the demo city, a constructed township."""

from tests.conftest import Demo
from tests.layers.conftest import base, engine

__all__ = ["base", "engine"]  # the layer tests' fixtures: the API over a copy of the demo, a connection

WEDNESDAY_10 = "2026-10-28T10:00:00+08:00"
"""A working hour inside the demo's months: every grid worker of the demo is on duty."""
SUNDAY_10 = "2026-10-25T10:00:00+08:00"


def auth(demo: Demo, name: str) -> dict[str, str]:
    """The bearer header of demo account `name`."""
    return {"Authorization": f"Bearer {demo.token(name)}"}
