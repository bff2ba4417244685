"""Per-class quotas: apportionment, bounds, and redistribution of shortfalls.

The rules, in the order they apply:

1. **Targets.** ``n_select`` is split over the classes present in the pool (the
   samples not excluded, before gates) by weight: 1 for ``"equal"``, the class's
   pool count for ``"proportional"``, the inverse of that count for ``"inverse"``.
   Each target is kept within ``[min_per_class, max_per_class]``; the real-valued
   split is rounded by the largest-remainder method, so the targets add up to
   ``n_select`` exactly (or to the sum of ``max_per_class`` when that is smaller).
   An explicit mapping gives the targets directly.
2. **Redistribution.** A class with fewer candidates (after gates) than its target
   takes all it has. The missing samples go to the classes that still have spare
   candidates, in proportion to their spare counts (candidates left, capped by
   ``max_per_class``), again by largest remainder. Classes outside the plan (absent
   from the pool, or left out of a mapping) receive nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .._exceptions import InputError
from .._validation import check_count

__all__ = ["BALANCE_MODES", "ClassPlan", "apportion", "redistribute"]

logger = logging.getLogger(__name__)

#: Named ways to set per-class targets.
BALANCE_MODES: tuple[str, ...] = ("equal", "proportional", "inverse")

# Bisection steps when solving for the scale of the weights; each halves the
# bracket, and 200 halvings take any float64 bracket below its resolution.
_BISECTION_STEPS = 200


def apportion(
    total: int,
    weights: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
) -> NDArray[np.int64]:
    """Split ``total`` into integers proportional to ``weights`` within bounds.

    The real-valued shares ``clip(t * weights, lower, upper)`` are found for the
    scale ``t`` that makes them add up to ``total``; each share is then rounded down
    and the units left over go to the largest fractional parts (ties: larger weight,
    then lower position).

    Parameters
    ----------
    total : int
    weights : array-like of shape (k,)
        Non-negative; an entry with weight 0 stays at its lower bound.
    lower, upper : array-like of shape (k,), dtype int
        Bounds with ``lower <= upper``.

    Returns
    -------
    ndarray of shape (k,), dtype int64
        Adds up to ``total`` when ``sum(lower) <= total <= sum(upper)`` over the
        entries that can move; otherwise to the nearest reachable sum.
    """
    w = np.asarray(weights, dtype=np.float64)
    lo = np.asarray(lower, dtype=np.int64)
    hi = np.maximum(np.asarray(upper, dtype=np.int64), lo)
    hi = np.where(w > 0, hi, lo)
    total = int(min(max(total, lo.sum()), hi.sum()))
    if total == lo.sum():
        return lo.copy()

    # Solve sum(clip(t * w, lo, hi)) == total for t by bisection.
    positive = w > 0
    t_low, t_high = 0.0, float((hi[positive] / w[positive]).max())
    for _ in range(_BISECTION_STEPS):
        t_mid = 0.5 * (t_low + t_high)
        if np.clip(t_mid * w, lo, hi).sum() < total:
            t_low = t_mid
        else:
            t_high = t_mid
    share = np.clip(t_high * w, lo, hi)

    # Largest remainder, then a unit at a time for any rounding drift.
    counts = np.clip(np.floor(share).astype(np.int64), lo, hi)
    while counts.sum() != total:
        remainder = share - counts
        if counts.sum() < total:
            room = np.flatnonzero(counts < hi)
            order = np.lexsort((room, -w[room], -remainder[room]))
            take = room[order[: total - int(counts.sum())]]
            counts[take] += 1
        else:
            room = np.flatnonzero(counts > lo)
            order = np.lexsort((room, w[room], remainder[room]))
            take = room[order[: int(counts.sum()) - total]]
            counts[take] -= 1
    return counts


def redistribute(
    target: np.ndarray, available: np.ndarray, upper: np.ndarray
) -> NDArray[np.int64]:
    """Move the targets a class cannot fill to classes with spare candidates.

    Parameters
    ----------
    target : ndarray of shape (k,), dtype int
    available : ndarray of shape (k,), dtype int
        Candidates left per class.
    upper : ndarray of shape (k,), dtype int
        Most a class may receive; 0 keeps a class out of the redistribution.

    Returns
    -------
    ndarray of shape (k,), dtype int64
        Quotas, never above ``min(available, upper)``; they add up to
        ``target.sum()`` unless the spare candidates run out first.
    """
    cap = np.minimum(available, upper).astype(np.int64)
    quota = np.minimum(target, cap).astype(np.int64)
    missing = int(target.sum() - quota.sum())
    room = cap - quota
    if missing > 0 and room.sum() > 0:
        give = apportion(min(missing, int(room.sum())), room, np.zeros_like(room), room)
        quota += give
    return quota


@dataclass
class ClassPlan:
    """Per-class targets and quotas for one selection.

    Attributes
    ----------
    names : list
        Class values, in code order.
    target : ndarray of shape (k,) or None
        Quotas before redistribution; None when classes are not balanced.
    available : ndarray of shape (k,)
        Candidates per class after exclusions and gates.
    quota : ndarray of shape (k,)
        Quotas after redistribution (what the selectors fill).
    upper : ndarray of shape (k,)
        Caps for any later redistribution.
    """

    names: list[Any]
    target: NDArray[np.int64] | None
    available: NDArray[np.int64]
    quota: NDArray[np.int64]
    upper: NDArray[np.int64]

    @property
    def balanced(self) -> bool:
        return self.target is not None

    def label(self, code: int) -> str:
        """Short description of a class for reasons, e.g. ``class 'cat'``."""
        return f"class {self.names[code]!r}"


def encode_labels(labels: ArrayLike, n_samples: int) -> tuple[np.ndarray, list[Any]]:
    """Integer code per sample and the class value of each code."""
    values = np.asarray(labels)
    if values.ndim != 1:
        raise InputError(
            f"labels has shape {values.shape}; pass a 1-D array with one class per "
            "sample"
        )
    if len(values) != n_samples:
        raise InputError(
            f"labels has {len(values)} entries but the pool has {n_samples} samples; "
            "pass one class per sample"
        )
    missing = np.asarray(pd.isna(values), dtype=bool)
    if missing.any():
        raise InputError(
            f"labels has {int(missing.sum())} missing values (None or NaN), first at "
            f"index {int(np.flatnonzero(missing)[0])}; give them a class of their "
            "own, e.g. 'unknown'"
        )
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:
        codes, uniques = pd.factorize(values, sort=False)
    names = [u.item() if isinstance(u, np.generic) else u for u in uniques]
    return np.asarray(codes, dtype=np.int64), names


def _per_class(
    value: int | Mapping[Any, int] | None,
    name: str,
    index: dict[Any, int],
    default: int,
) -> NDArray[np.int64]:
    """An int or a {class: int} mapping as one count per class code."""
    out = np.full(len(index), default, dtype=np.int64)
    if value is None:
        return out
    if isinstance(value, Mapping):
        _check_known(value, name, index)
        for key, count in value.items():
            out[index[key]] = check_count(count, f"{name}[{key!r}]")
        return out
    out[:] = check_count(value, name)
    return out


def _check_known(mapping: Mapping[Any, Any], name: str, index: dict[Any, int]) -> None:
    unknown = [key for key in mapping if key not in index]
    if unknown:
        known = ", ".join(repr(k) for k in list(index)[:10])
        more = ", ..." if len(index) > 10 else ""
        raise InputError(
            f"{name} names {len(unknown)} classes that are not in labels, e.g. "
            f"{unknown[0]!r}; use classes from labels ({known}{more})"
        )


def plan_classes(
    n_select: int,
    balance: str | Mapping[Any, int] | None,
    *,
    names: list[Any],
    pool_codes: np.ndarray,
    candidate_codes: np.ndarray,
    min_per_class: int | Mapping[Any, int] | None,
    max_per_class: int | Mapping[Any, int] | None,
) -> ClassPlan:
    """Targets and quotas per class (see the module docstring for the rules)."""
    k = len(names)
    available = np.bincount(candidate_codes, minlength=k).astype(np.int64)
    if balance is None:
        for value, arg in (
            (min_per_class, "min_per_class"),
            (max_per_class, "max_per_class"),
        ):
            if value is not None:
                raise InputError(
                    f"{arg}={value!r} needs class balancing; pass balance='equal', "
                    "'proportional', 'inverse' or a {class: count} mapping"
                )
        whole = np.array([min(n_select, int(available.sum()))], dtype=np.int64)
        return ClassPlan(names, None, available, whole, whole.copy())

    index = {name: code for code, name in enumerate(names)}
    in_pool = np.bincount(pool_codes, minlength=k) > 0
    upper = _per_class(max_per_class, "max_per_class", index, n_select)
    if isinstance(balance, Mapping):
        _check_known(balance, "balance", index)
        if min_per_class is not None:
            raise InputError(
                f"min_per_class={min_per_class!r} cannot be combined with a quota "
                "mapping; put each class's count in balance"
            )
        target = _per_class(dict(balance), "balance", index, 0)
        if int(target.sum()) != n_select:
            raise InputError(
                f"the quotas in balance add up to {int(target.sum())} but "
                f"n_select={n_select}; make them add up to n_select"
            )
        over = np.flatnonzero(target > upper)
        if len(over):
            code = int(over[0])
            raise InputError(
                f"balance asks for {int(target[code])} of class {names[code]!r} but "
                f"max_per_class allows {int(upper[code])}; lower one or raise the other"
            )
        upper = np.where(target > 0, upper, 0)
        return ClassPlan(
            names, target, available, redistribute(target, available, upper), upper
        )

    if balance not in BALANCE_MODES:
        raise InputError(
            f"balance={balance!r} is not one of {', '.join(BALANCE_MODES)} or a "
            "{class: count} mapping"
        )
    lower = _per_class(min_per_class, "min_per_class", index, 0)
    upper = np.where(in_pool, upper, 0)
    lower = np.where(in_pool, lower, 0)
    bad = np.flatnonzero(lower > upper)
    if len(bad):
        code = int(bad[0])
        raise InputError(
            f"min_per_class ({int(lower[code])}) exceeds max_per_class "
            f"({int(upper[code])}) for class {names[code]!r}; make min <= max"
        )
    if int(lower.sum()) > n_select:
        raise InputError(
            f"min_per_class asks for {int(lower.sum())} samples over "
            f"{int(in_pool.sum())} classes, more than n_select={n_select}; lower "
            "min_per_class or raise n_select"
        )
    counts = np.bincount(pool_codes, minlength=k).astype(np.float64)
    if balance == "equal":
        weights = in_pool.astype(np.float64)
    elif balance == "proportional":
        weights = counts
    else:
        weights = np.divide(1.0, counts, out=np.zeros(k), where=counts > 0)
    target = apportion(n_select, weights, lower, upper)
    logger.debug("class targets %s", dict(zip(names, target.tolist(), strict=True)))
    return ClassPlan(
        names, target, available, redistribute(target, available, upper), upper
    )


def class_table(plan: ClassPlan, chosen_codes: np.ndarray) -> pd.DataFrame:
    """DataFrame with one row per class: class, target, available, quota, chosen."""
    k = len(plan.names)
    chosen = np.bincount(chosen_codes, minlength=k).astype(np.int64)
    if plan.target is None:
        target = pd.array([pd.NA] * k, dtype="Int64")
        quota = pd.array([pd.NA] * k, dtype="Int64")
    else:
        target = pd.array(plan.target, dtype="Int64")
        quota = pd.array(plan.quota, dtype="Int64")
    return pd.DataFrame(
        {
            "class": pd.Series(plan.names, dtype=object),
            "target": target,
            "available": plan.available,
            "chosen": chosen,
            "quota": quota,
        }
    )
