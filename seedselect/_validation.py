"""Small checks shared by every layer; imports nothing from FiftyOne."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ._exceptions import InputError

__all__ = ["check_random_state", "check_count", "describe_example"]

RandomState = int | np.random.Generator | None


def check_random_state(random_state: RandomState) -> np.random.Generator:
    """Turn ``random_state`` into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    random_state : int, numpy.random.Generator or None
        An int seeds a new generator; a generator is returned as it is; None
        draws fresh entropy from the operating system. The global NumPy random
        state is never used.

    Returns
    -------
    numpy.random.Generator
    """
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(
        random_state, bool
    ):
        if int(random_state) < 0:
            raise InputError(
                f"random_state={random_state} is negative; pass a non-negative "
                "int, a numpy.random.Generator or None"
            )
        return np.random.default_rng(int(random_state))
    raise InputError(
        f"random_state={random_state!r} is a {type(random_state).__name__}; pass "
        "an int, a numpy.random.Generator or None"
    )


def check_count(value: Any, name: str, *, minimum: int = 0) -> int:
    """Check that ``value`` is an integer no smaller than ``minimum``.

    Parameters
    ----------
    value : object
        The value received.
    name : str
        The argument's name, used in the error message.
    minimum : int, default=0
        The smallest allowed value.

    Returns
    -------
    int
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            hint = f"; pass {int(value)} as an int"
        else:
            hint = "; pass a whole number"
        raise InputError(
            f"{name}={value!r} is not an integer (got {type(value).__name__}){hint}"
        )
    if int(value) < minimum:
        raise InputError(f"{name}={value} must be at least {minimum}")
    return int(value)


def describe_example(ids: Any, mask: np.ndarray) -> str:
    """Return ``"N samples, e.g. <id>"`` for the entries of ``ids`` where mask holds.

    Parameters
    ----------
    ids : sequence
        Identifiers of every entry (sample ids, or positions).
    mask : ndarray of shape (n,), dtype bool
        Which entries are affected.
    """
    where = np.flatnonzero(mask)
    count = len(where)
    noun = "sample" if count == 1 else "samples"
    if count == 0:
        return "0 samples"
    return f"{count} {noun}, e.g. {ids[int(where[0])]}"
