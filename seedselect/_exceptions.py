"""Exception types raised by seedselect.

Every error seedselect raises for bad input is a subclass of both
:class:`SeedselectError` and the built-in type a caller would expect
(``ValueError`` or ``TypeError``), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "SeedselectError",
    "InputError",
    "FieldError",
    "RunError",
    "DatabaseUnavailableError",
]


class SeedselectError(Exception):
    """Base class of the errors that seedselect raises on purpose."""


class InputError(SeedselectError, ValueError):
    """An argument or an array does not satisfy a documented rule."""


class FieldError(SeedselectError, ValueError):
    """A dataset field is missing, of the wrong type, or holds bad values."""


class RunError(SeedselectError, ValueError):
    """A run key or tag conflicts with an existing run, or a run is incomplete."""


class DatabaseUnavailableError(SeedselectError, ConnectionError):
    """The database stopped answering in the middle of a seedselect call.

    What was written before stays consistent (every sample holds its old or
    its new value) and the run stays recorded as incomplete; once the database
    is back, rerunning the same call completes it. How long one round trip may
    take before this is raised is set by ``SEEDSELECT_DB_TIMEOUT`` (seconds).
    """
