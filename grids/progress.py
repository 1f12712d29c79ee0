"""How long-running services report their steps: a callback given the step's label (Chinese, then
English), how much of it is done and its total. The command line draws it as a progress bar."""

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def silent(step: str, done: int, total: int) -> None:
    """A callback that reports nowhere."""
