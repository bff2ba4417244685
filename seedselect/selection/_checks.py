"""Validation of :func:`~seedselect.selection.select_batch` arguments.

Everything is checked here, once, before any work starts; the selectors behind it
assume clean input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._exceptions import InputError
from .._validation import check_count
from ._balance import encode_labels
from ._distances import (
    as_index_array,
    check_embeddings,
    check_metric,
)
from ._diversity import DIVERSITY_MODES
from ._gates import check_gates, check_sampling, check_scores

__all__ = ["Request", "check_request"]


@dataclass
class Request:
    """Validated arguments of one selection."""

    n_select: int
    n_samples: int
    scores: np.ndarray | None
    X: np.ndarray | None
    codes: np.ndarray | None
    names: list[Any]
    excluded: np.ndarray
    threshold: float | None
    quantile_range: tuple[float, float] | None
    top_fraction: float | None
    sampling: str
    sampling_power: float
    sampling_temperature: float
    balance: str | dict[Any, int] | None
    min_per_class: int | dict[Any, int] | None
    max_per_class: int | dict[Any, int] | None
    diversity: str | None
    cold_start: bool
    radius: float | None
    n_clusters: int | None
    diversity_weight: float
    metric: str
    n_neighbors: int
    allow_shortfall: bool
    chunk_size: int


def _pool_size(
    scores: np.ndarray | None, X: np.ndarray | None, labels: ArrayLike | None
) -> int:
    sizes: dict[str, int] = {}
    if scores is not None:
        sizes["scores"] = len(scores)
    if X is not None:
        sizes["embeddings"] = X.shape[0]
    if not sizes:
        raise InputError(
            "scores and embeddings are both None; pass scores (hardness, higher = "
            "harder), embeddings (a cold start picks typical, diverse samples) or "
            "both"
        )
    if labels is not None:
        sizes["labels"] = len(np.asarray(labels).reshape(-1))
    first, n = next(iter(sizes.items()))
    for name, size in sizes.items():
        if size != n:
            raise InputError(
                f"{name} has {size} entries but {first} has {n}; pass one entry "
                "per pool sample"
            )
    if n == 0:
        raise InputError(
            f"the pool is empty ({first} has 0 entries); pass at least one sample"
        )
    return n


def _counts(value: Any, name: str) -> int | dict[Any, int] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {key: check_count(v, f"{name}[{key!r}]") for key, v in value.items()}
    return check_count(value, name)


def _check_diversity(
    diversity: str | None,
    *,
    have_embeddings: bool,
    radius: float | None,
    n_clusters: int | None,
    diversity_weight: float,
) -> tuple[float | None, int | None, float]:
    if diversity is not None and diversity not in DIVERSITY_MODES:
        raise InputError(
            f"diversity={diversity!r} is not one of None, "
            f"{', '.join(repr(d) for d in DIVERSITY_MODES)}"
        )
    if diversity is not None and not have_embeddings:
        raise InputError(
            f"diversity={diversity!r} measures distances, but embeddings=None; "
            "pass embeddings or set diversity=None"
        )
    if radius is not None and diversity != "dedup":
        raise InputError(
            f"radius={radius!r} is used only with diversity='dedup' (got "
            f"diversity={diversity!r}); drop radius or set diversity='dedup'"
        )
    if diversity == "dedup":
        if radius is None:
            raise InputError(
                "diversity='dedup' needs radius: samples closer than radius to a "
                "chosen or excluded one are skipped; pass e.g. radius=0.5"
            )
        radius = float(radius)
        if not math.isfinite(radius) or radius < 0:
            raise InputError(f"radius={radius!r} must be a finite number >= 0")
    if n_clusters is not None:
        if diversity != "cluster":
            raise InputError(
                f"n_clusters={n_clusters!r} is used only with diversity='cluster' "
                f"(got diversity={diversity!r}); drop n_clusters or set "
                "diversity='cluster'"
            )
        n_clusters = check_count(n_clusters, "n_clusters", minimum=1)
    try:
        weight = float(diversity_weight)
    except (TypeError, ValueError):
        weight = np.nan
    if not 0.0 <= weight <= 1.0:
        raise InputError(
            f"diversity_weight={diversity_weight!r} must be in [0, 1]: 0 ranks by "
            "score only, 1 by distance only"
        )
    return radius, n_clusters, weight


def check_request(
    n_select: Any,
    *,
    scores: ArrayLike | None,
    embeddings: ArrayLike | None,
    labels: ArrayLike | None,
    exclude: ArrayLike | None,
    threshold: float | None,
    quantile_range: tuple[float, float] | None,
    top_fraction: float | None,
    sampling: str,
    sampling_power: float,
    sampling_temperature: float,
    balance: str | Mapping[Any, int] | None,
    min_per_class: int | Mapping[Any, int] | None,
    max_per_class: int | Mapping[Any, int] | None,
    diversity: str | None,
    radius: float | None,
    n_clusters: int | None,
    diversity_weight: float,
    metric: str,
    n_neighbors: int,
    allow_shortfall: bool,
    chunk_size: int,
) -> Request:
    """Validate every argument of ``select_batch``; raise InputError on the first
    problem."""
    n_select = check_count(n_select, "n_select")
    chunk_size = check_count(chunk_size, "chunk_size", minimum=1)
    n_neighbors = check_count(n_neighbors, "n_neighbors", minimum=1)
    metric = check_metric(metric)
    score_arr = None if scores is None else check_scores(scores)
    X = (
        None
        if embeddings is None
        else check_embeddings(embeddings, chunk_size=chunk_size)
    )
    n = _pool_size(score_arr, X, labels)

    excluded = (
        np.empty(0, dtype=np.int64)
        if exclude is None
        else as_index_array(exclude, n, "exclude")
    )
    threshold, quantile_range, top_fraction = check_gates(
        threshold=threshold,
        quantile_range=quantile_range,
        top_fraction=top_fraction,
        have_scores=score_arr is not None,
    )
    sampling, sampling_power, sampling_temperature = check_sampling(
        sampling, sampling_power, sampling_temperature
    )
    if sampling == "power" and score_arr is not None and (score_arr < 0).any():
        negative = score_arr < 0
        raise InputError(
            f"sampling='power' draws in proportion to scores**power, but scores has "
            f"{int(negative.sum())} negative values, first at index "
            f"{int(np.flatnonzero(negative)[0])}; use sampling='softmax' or shift "
            "the scores to be >= 0"
        )

    codes: np.ndarray | None = None
    names: list[Any] = []
    if labels is not None:
        codes, names = encode_labels(labels, n)
    if balance is not None and codes is None:
        raise InputError(
            f"balance={balance!r} needs labels; pass labels (one class per sample) "
            "or set balance=None"
        )
    balance_value: str | dict[Any, int] | None
    if isinstance(balance, Mapping):
        balance_value = {
            key: check_count(v, f"balance[{key!r}]") for key, v in balance.items()
        }
    else:
        balance_value = balance

    cold_start = score_arr is None
    if cold_start and diversity is None:
        # TypiClust: the most typical sample of each cluster.
        diversity = "cluster"
    radius, n_clusters, weight = _check_diversity(
        diversity,
        have_embeddings=X is not None,
        radius=radius,
        n_clusters=n_clusters,
        diversity_weight=diversity_weight,
    )
    return Request(
        n_select=n_select,
        n_samples=n,
        scores=score_arr,
        X=X,
        codes=codes,
        names=names,
        excluded=excluded,
        threshold=threshold,
        quantile_range=quantile_range,
        top_fraction=top_fraction,
        sampling=sampling,
        sampling_power=sampling_power,
        sampling_temperature=sampling_temperature,
        balance=balance_value,
        min_per_class=_counts(min_per_class, "min_per_class"),
        max_per_class=_counts(max_per_class, "max_per_class"),
        diversity=diversity,
        cold_start=cold_start,
        radius=radius,
        n_clusters=n_clusters,
        diversity_weight=weight,
        metric=metric,
        n_neighbors=n_neighbors,
        allow_shortfall=bool(allow_shortfall),
        chunk_size=chunk_size,
    )
