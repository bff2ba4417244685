"""Score gates, ranking with tie-breaks, and stochastic sampling orders."""

from __future__ import annotations

import logging
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._exceptions import InputError

__all__ = [
    "SAMPLING_MODES",
    "check_scores",
    "gate_mask",
    "hardest_per_group",
    "priority_order",
    "score_order",
]

logger = logging.getLogger(__name__)

#: Ways to turn scores into a selection order.
SAMPLING_MODES: tuple[str, ...] = ("greedy", "power", "softmax")

# top_fraction * n_pool is rounded up, but a product such as 0.1 * 30 comes out as
# 3.0000000000000004 in floating point; a fractional part below this is taken as
# rounding noise, not as a request for one more sample.
_FRACTION_TOLERANCE = 1e-9


def score_order(scores: np.ndarray, tiebreak: np.ndarray) -> NDArray[np.int64]:
    """Positions sorted by descending score, ties broken by ascending ``tiebreak``."""
    return np.lexsort((tiebreak, -scores)).astype(np.int64, copy=False)


def ranks_from_order(order: np.ndarray) -> NDArray[np.int64]:
    """Inverse of an ordering: ``rank[order[k]] == k``."""
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank


def top_count(fraction: float, n: int) -> int:
    """``ceil(fraction * n)`` with floating-point noise in the product ignored."""
    product = fraction * n
    count = math.floor(product)
    if product - count > _FRACTION_TOLERANCE:
        count += 1
    return min(count, n)


def gate_mask(
    scores: np.ndarray,
    pool: np.ndarray,
    tiebreak: np.ndarray,
    *,
    threshold: float | None,
    quantile_range: tuple[float, float] | None,
    top_fraction: float | None,
) -> NDArray[np.bool_]:
    """Which pool samples pass every gate.

    Each gate is computed on the pool (the samples not excluded) on its own, and a
    sample must pass all of them, so the order the gates are given in does not
    matter.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
    pool : ndarray of shape (n_samples,), dtype bool
        Samples that may be chosen (not excluded).
    tiebreak : ndarray of shape (n_samples,)
        Secondary key for ranking equal scores (lower first).
    threshold, quantile_range, top_fraction
        See :func:`seedselect.selection.select_batch`.
    """
    keep = pool.copy()
    pool_index = np.flatnonzero(pool)
    pool_scores = scores[pool_index]
    if threshold is not None:
        keep &= scores >= threshold
    if quantile_range is not None and len(pool_index):
        low, high = np.quantile(pool_scores, list(quantile_range))
        keep &= (scores >= low) & (scores <= high)
    if top_fraction is not None:
        count = top_count(top_fraction, len(pool_index))
        order = score_order(pool_scores, tiebreak[pool_index])
        top = np.zeros_like(pool)
        top[pool_index[order[:count]]] = True
        keep &= top
    logger.debug("gates keep %d of %d pool samples", int(keep.sum()), len(pool_index))
    return keep


def hardest_per_group(
    scores: np.ndarray,
    tiebreak: np.ndarray,
    groups: np.ndarray,
    counts: np.ndarray,
) -> NDArray[np.bool_]:
    """Which entries are among the ``counts[g]`` highest-scoring of their group.

    Within a group, entries are ranked as by :func:`score_order` (descending
    score, ties by ascending ``tiebreak``), so with one group this keeps the same
    entries as the ``top_fraction`` gate for the same count.

    Parameters
    ----------
    scores, tiebreak : ndarray of shape (n,)
    groups : ndarray of shape (n,), dtype int64
        Group code of each entry, in ``[0, len(counts))``.
    counts : ndarray of shape (n_groups,), dtype int64
        How many entries to keep from each group.
    """
    order = np.lexsort((tiebreak, -scores, groups))
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    within = np.arange(len(order)) - np.repeat(starts, sizes)
    keep = np.zeros(len(scores), dtype=bool)
    keep[order[within < counts[sorted_groups]]] = True
    return keep


def priority_order(
    scores: np.ndarray,
    tiebreak: np.ndarray,
    *,
    sampling: str,
    power: float,
    temperature: float,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Order in which candidates are preferred.

    ``"greedy"`` sorts by score. ``"power"`` and ``"softmax"`` draw the whole order
    without replacement, each next sample with probability proportional to
    ``scores**power`` or ``exp(scores / temperature)`` among those left. The draw
    uses the Gumbel top-k trick: adding independent Gumbel noise to the log
    weights and sorting gives exactly this sequential sampling distribution [1]_.

    References
    ----------
    .. [1] W. Kool, H. van Hoof and M. Welling. Stochastic Beams and Where to Find
       Them: The Gumbel-Top-k Trick for Sampling Sequences Without Replacement.
       ICML 2019.
    """
    if sampling == "greedy":
        return score_order(scores, tiebreak)
    if sampling == "power":
        with np.errstate(divide="ignore"):
            log_weight = power * np.log(scores)
    else:
        log_weight = scores / temperature
    keys = log_weight + rng.gumbel(size=len(scores))
    # Zero weights give -inf keys; they come last, in tie-break order.
    return score_order(keys, tiebreak)


def check_gates(
    *,
    threshold: float | None,
    quantile_range: tuple[float, float] | None,
    top_fraction: float | None,
    have_scores: bool,
) -> tuple[float | None, tuple[float, float] | None, float | None]:
    """Validate the gate arguments; return them as plain floats."""
    given = {
        "threshold": threshold,
        "quantile_range": quantile_range,
        "top_fraction": top_fraction,
    }
    for name, value in given.items():
        if value is not None and not have_scores:
            raise InputError(
                f"{name}={value!r} gates on scores, but scores=None; pass scores "
                f"or drop {name}"
            )
    if threshold is not None:
        threshold = _finite_float(threshold, "threshold")
    if quantile_range is not None:
        try:
            low, high = (float(q) for q in quantile_range)
        except (TypeError, ValueError):
            raise InputError(
                f"quantile_range={quantile_range!r} is not a pair of numbers; pass "
                "(low, high) with 0 <= low <= high <= 1, e.g. (0.9, 1.0)"
            ) from None
        if not (0.0 <= low <= high <= 1.0):
            raise InputError(
                f"quantile_range={quantile_range!r} must satisfy 0 <= low <= high "
                "<= 1, e.g. (0.9, 1.0) for the top tenth"
            )
        quantile_range = (low, high)
    if top_fraction is not None:
        top_fraction = _finite_float(top_fraction, "top_fraction")
        if not 0.0 < top_fraction <= 1.0:
            raise InputError(
                f"top_fraction={top_fraction} must be in (0, 1], e.g. 0.05 for the "
                "hardest 5% of the pool"
            )
    return threshold, quantile_range, top_fraction


def check_sampling(
    sampling: str, power: float, temperature: float
) -> tuple[str, float, float]:
    """Validate the sampling mode and its parameter."""
    if sampling not in SAMPLING_MODES:
        raise InputError(
            f"sampling={sampling!r} is not one of {', '.join(SAMPLING_MODES)}"
        )
    power = _finite_float(power, "sampling_power")
    temperature = _finite_float(temperature, "sampling_temperature")
    if power <= 0:
        raise InputError(f"sampling_power={power} must be positive, e.g. 1.0")
    if temperature <= 0:
        raise InputError(
            f"sampling_temperature={temperature} must be positive, e.g. 1.0"
        )
    return sampling, power, temperature


def check_scores(scores: ArrayLike, name: str = "scores") -> np.ndarray:
    """A 1-D array of finite numbers, as float64."""
    arr = np.asarray(scores)
    if arr.ndim != 1:
        raise InputError(
            f"{name} has shape {arr.shape}; pass a 1-D array with one value per "
            "pool sample"
        )
    if arr.dtype.kind not in "fiub":
        raise InputError(f"{name} has dtype {arr.dtype}; pass numbers")
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InputError(
            f"{name} holds {int(bad.sum())} NaN or infinite values, first at index "
            f"{int(np.flatnonzero(bad)[0])}; drop those samples or give them a "
            "finite score before selecting"
        )
    return arr


def _finite_float(value: object, name: str) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{name}={value!r} is not a number") from None
    if not math.isfinite(out):
        raise InputError(f"{name}={value!r} must be a finite number")
    return out
