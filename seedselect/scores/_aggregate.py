"""Reduce many scores to one: per object or per frame to per sample.

A detection sample has one score per object and a video sample one per frame;
selection needs one per sample. :func:`aggregate` does this for a flat array of
item scores and the sample (group) each item belongs to, without a Python loop
over groups. The same reductions, applied along the rows of a 2-D array, combine
the per-label scores of a multi-label prediction.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._exceptions import InputError
from .._validation import check_count
from ._measures import FloatArray, _as_real_array, _check_choice

__all__ = ["AGGREGATIONS", "aggregate"]

logger = logging.getLogger(__name__)

#: Ways to reduce the scores of one group (or one row) to a single score.
AGGREGATIONS: tuple[str, ...] = ("max", "mean", "sum", "topk_mean")


def _check_k(k: Any, how: str, name: str = "how") -> int | None:
    """``k`` is required by ``how="topk_mean"`` and refused by the others.

    ``name`` is the argument that holds ``how``, for the error message.
    """
    if how == "topk_mean":
        if k is None:
            raise InputError(
                f"k=None: {name}='topk_mean' averages the k largest scores; pass "
                "k, a whole number >= 1"
            )
        return check_count(k, "k", minimum=1)
    if k is not None:
        raise InputError(
            f"k={k!r} is only used with {name}='topk_mean' (got {name}={how!r}); "
            f"leave k as None or pick {name}='topk_mean'"
        )
    return None


def _reduce_rows(values: FloatArray, how: str, k: int | None) -> FloatArray:
    """Reduce each row of ``values`` (n_rows, n_columns >= 1) to one number."""
    n_columns = values.shape[1]
    if how == "max":
        return values.max(axis=1)
    if how == "sum":
        return values.sum(axis=1)
    if how == "topk_mean" and k is not None and k < n_columns:
        values = np.partition(values, n_columns - k, axis=1)[:, n_columns - k :]
    return values.mean(axis=1)


def _check_groups(groups: ArrayLike, n_items: int, n_groups: int) -> NDArray[Any]:
    """Check that ``groups`` holds one integer in [0, n_groups) per item."""
    arr = _as_real_array(groups, "groups")
    if arr.ndim != 1 or arr.shape[0] != n_items:
        raise InputError(
            f"groups has shape {arr.shape} but scores has {n_items} items; pass one "
            "group index per score, as a 1-D array"
        )
    if arr.size == 0:
        return arr.astype(np.intp)
    if not np.issubdtype(arr.dtype, np.integer):
        raise InputError(
            f"groups has dtype {arr.dtype}; pass integer group indices "
            "(e.g. groups.astype(int) if the values are whole numbers)"
        )
    outside = (arr < 0) | (arr >= n_groups)
    count = int(np.count_nonzero(outside))
    if count:
        first = int(np.flatnonzero(outside)[0])
        noun = "item" if count == 1 else "items"
        raise InputError(
            f"groups has {count} {noun} outside [0, n_groups={n_groups}), e.g. item "
            f"{first} with group {arr[first]}; raise n_groups or fix the indices"
        )
    return arr.astype(np.intp, copy=False)


def _aggregate(
    scores: FloatArray, groups: NDArray[np.intp], n_groups: int, how: str, k: int | None
) -> FloatArray:
    """Private twin of :func:`aggregate`: inputs already checked."""
    counts = np.bincount(groups, minlength=n_groups)
    filled = counts > 0
    out = np.full(n_groups, np.nan)
    if scores.size == 0:
        return out

    if how in ("sum", "mean"):
        sums = np.bincount(groups, weights=scores, minlength=n_groups)
        out[filled] = sums[filled] / counts[filled] if how == "mean" else sums[filled]
        return out

    if how == "max":
        # Sort items by group; each group is then a contiguous run whose start
        # positions feed np.maximum.reduceat.
        order = np.argsort(groups, kind="stable")
        sorted_groups = groups[order]
        starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
        out[sorted_groups[starts]] = np.maximum.reduceat(scores[order], starts)
        return out

    # topk_mean: sort by group, then by score from high to low; an item's rank
    # within its group is its position minus the position where the group starts.
    order = np.lexsort((-scores, groups))
    sorted_groups = groups[order]
    group_start = np.cumsum(counts) - counts
    rank = np.arange(scores.size) - group_start[sorted_groups]
    kept = rank < (k if k is not None else scores.size)
    kept_groups = sorted_groups[kept]
    sums = np.bincount(kept_groups, weights=scores[order][kept], minlength=n_groups)
    kept_counts = np.bincount(kept_groups, minlength=n_groups)
    out[filled] = sums[filled] / kept_counts[filled]
    return out


def aggregate(
    scores: ArrayLike,
    groups: ArrayLike,
    *,
    n_groups: int,
    how: str = "max",
    k: int | None = None,
) -> FloatArray:
    """Combine item scores (objects, frames) into one score per group (sample).

    Parameters
    ----------
    scores : array-like of shape (n_items,)
        One finite score per item, e.g. the hardness of each detected object.
    groups : array-like of shape (n_items,), integer dtype
        The group of each item, in ``[0, n_groups)``; items of a group need not
        be contiguous.
    n_groups : int
        The number of groups, including groups with no items.
    how : {"max", "mean", "sum", "topk_mean"}, default="max"
        ``"max"``: the hardest item decides. ``"mean"`` and ``"sum"``: the mean
        or the sum of the group's scores. ``"topk_mean"``: the mean of the ``k``
        largest scores of the group, or of all of them if the group has fewer
        than ``k`` items. All names are in :data:`AGGREGATIONS`.
    k : int, optional
        Required with ``how="topk_mean"`` (at least 1) and refused otherwise.

    Returns
    -------
    group_scores : ndarray of shape (n_groups,), dtype float64
        One score per group; NaN for a group with no items, whatever ``how``
        (so that "no objects" stays distinguishable from "easy objects").

    Raises
    ------
    InputError
        If ``scores`` is not 1-D or holds NaN or infinite values; if ``groups``
        does not match ``scores``, is not of integer dtype or has an index
        outside ``[0, n_groups)``; if ``n_groups`` is negative; if ``how`` is
        unknown, or ``k`` is missing, below 1 or given with another ``how``.

    Examples
    --------
    >>> from seedselect.scores import aggregate
    >>> scores = [0.2, 0.9, 0.4, 0.7]
    >>> groups = [0, 0, 2, 0]
    >>> aggregate(scores, groups, n_groups=3, how="max")
    array([0.9, nan, 0.4])
    >>> aggregate(scores, groups, n_groups=3, how="topk_mean", k=2)
    array([0.8, nan, 0.4])
    """
    how = _check_choice(how, "how", AGGREGATIONS)
    k = _check_k(k, how)
    n_groups = check_count(n_groups, "n_groups", minimum=0)

    arr = _as_real_array(scores, "scores")
    if arr.ndim != 1:
        raise InputError(
            f"scores must be 1-D of shape (n_items,); got shape {arr.shape}"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        count = int(np.count_nonzero(bad))
        noun = "item" if count == 1 else "items"
        raise InputError(
            f"scores has {count} {noun} with NaN or infinite values, e.g. item "
            f"{int(np.flatnonzero(bad)[0])}; drop or fix those scores first"
        )
    group_index = _check_groups(groups, arr.shape[0], n_groups)

    logger.debug("aggregating %d scores into %d groups by %s", arr.size, n_groups, how)
    return _aggregate(arr.astype(np.float64, copy=False), group_index, n_groups, how, k)
