"""Typicality: how dense a sample's neighbourhood is, for cold-start batches."""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._exceptions import InputError
from .._validation import check_count
from ._distances import (
    DEFAULT_CHUNK_SIZE,
    Geometry,
    check_embeddings,
    check_metric,
    check_nonzero_rows,
)

__all__ = ["typicality", "DEFAULT_N_NEIGHBORS"]

logger = logging.getLogger(__name__)

#: Neighbours averaged over; Hacohen et al. (2022) use 20 for TypiClust.
DEFAULT_N_NEIGHBORS = 20


def typicality(
    embeddings: ArrayLike,
    *,
    n_neighbors: int = DEFAULT_N_NEIGHBORS,
    groups: ArrayLike | None = None,
    metric: str = "euclidean",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> NDArray[np.float64]:
    """Typicality of each sample: the inverse mean distance to its nearest neighbours.

    A sample in a dense region of the embedding space is typical, an outlier is not.
    Labeling typical samples first is what works best when there is no model yet
    (the cold start) [1]_.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
        The pool.
    n_neighbors : int, default=20
        Neighbours averaged over. Within a group smaller than ``n_neighbors + 1``,
        all other members of the group are used.
    groups : array-like of shape (n_samples,), optional
        Group of each sample (for instance a cluster id). Neighbours are then looked
        for only inside a sample's own group, as TypiClust does inside each cluster;
        this also cuts the cost from ``n_samples**2`` to the sum of the squared
        group sizes.
    metric : {"euclidean", "cosine"}, default="euclidean"
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
        Rows per block; memory is of order ``chunk_size * (chunk_size +
        n_neighbors)`` numbers.

    Returns
    -------
    ndarray of shape (n_samples,), dtype float64
        Higher means more typical. A sample whose nearest neighbours all coincide
        with it gets ``inf``; a sample alone in its group (no neighbours) gets 0.

    Notes
    -----
    The cost is ``O(n**2 * n_features)`` per group of ``n`` samples, computed in
    blocks; pass ``groups`` (clusters) for large pools.

    References
    ----------
    .. [1] G. Hacohen, A. Dekel and D. Weinshall. Active Learning on a Budget:
       Opposite Strategies Suit High and Low Budgets. ICML 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from seedselect.selection import typicality
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> t = typicality(X, n_neighbors=10)
    >>> radius = np.linalg.norm(X, axis=1)
    >>> bool(t[np.argmin(radius)] > t[np.argmax(radius)])
    True
    """
    n_neighbors = check_count(n_neighbors, "n_neighbors", minimum=1)
    chunk_size = check_count(chunk_size, "chunk_size", minimum=1)
    X = check_embeddings(embeddings, chunk_size=chunk_size)
    geometry = Geometry(X, check_metric(metric), chunk_size)
    if metric == "cosine":
        check_nonzero_rows(geometry)
    n = X.shape[0]
    if groups is None:
        group_codes = np.zeros(n, dtype=np.int64)
    else:
        raw = np.asarray(groups)
        if raw.ndim != 1 or len(raw) != n:
            raise InputError(
                f"groups has shape {raw.shape} but embeddings has {n} rows; pass "
                "one group per sample"
            )
        group_codes = np.unique(raw, return_inverse=True)[1].astype(np.int64)
    return typicality_of_rows(
        geometry, np.arange(n, dtype=np.int64), group_codes, n_neighbors
    )


def typicality_of_rows(
    geometry: Geometry, rows: np.ndarray, group_codes: np.ndarray, n_neighbors: int
) -> NDArray[np.float64]:
    """Typicality of ``X[rows]``, neighbours searched within equal group codes."""
    out = np.zeros(len(rows), dtype=np.float64)
    order = np.argsort(group_codes, kind="stable")
    bounds = np.flatnonzero(np.diff(group_codes[order])) + 1
    for members in np.split(order, bounds):
        k = min(n_neighbors, len(members) - 1)
        if k < 1:
            continue
        mean = geometry.knn_mean_distance(rows[members], k)
        with np.errstate(divide="ignore"):
            out[members] = np.where(mean > 0, 1.0 / mean, np.inf)
    logger.debug("typicality of %d samples in %d groups", len(rows), len(bounds) + 1)
    return out
