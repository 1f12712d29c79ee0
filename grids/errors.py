"""Domain errors. They carry no HTTP: the API maps each class to a status at its edge."""


class GridsError(Exception):
    """Base of every error a user can cause or meet; `str()` is the one-line message."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(GridsError):
    """A value given by the caller is malformed or out of range."""


class NotFound(GridsError):
    """The object does not exist, or lies outside the caller's jurisdiction."""


class Conflict(GridsError):
    """The request clashes with the current state (a duplicate key, a concurrent edit)."""


class Forbidden(GridsError):
    """The caller's role may not do this."""


class Unauthenticated(GridsError):
    """No valid credentials were presented."""


class IntegrityViolation(GridsError):
    """The database refused a write that would break a data rule (overlap, invalid geometry)."""


class EnvironmentProblem(GridsError):
    """Something outside the project is missing or broken (a package, a server, a port)."""
