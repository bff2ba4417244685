"""Exact nearest neighbours over embeddings that arrive in chunks.

The FiftyOne layer reads a pool of embeddings from the database one chunk at a
time; the functions here keep a running answer so that memory is bounded by the
chunk, never by the pool. Everything is plain NumPy and imports nothing from
FiftyOne.

Ties are broken deterministically: among equal distances, the lower pool index
wins, so the answer does not depend on how the pool was chunked.

Euclidean distances come from the expansion ``|a|^2 + |b|^2 - 2 a.b``, one matrix
product per block. Where two rows are close compared with their norms the expansion
cancels and would lose most of its digits, so those entries (below
:func:`cancellation_limit`) are recomputed by :func:`refine_near`: on re-centred
rows when a block has many of them, and otherwise, or if still too close, as sums
of squared differences of the two rows in float64. Cosine distances are treated
alike. Every distance thus keeps at least half the significant digits of its dtype
whatever the norms of the rows (in practice far more), and duplicated rows are at
distance exactly 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._exceptions import InputError
from ._validation import check_count

__all__ = [
    "METRICS",
    "DEFAULT_CHUNK_SIZE",
    "cancellation_limit",
    "check_embeddings",
    "distance_block",
    "exact_sq_distances",
    "refine_near",
    "TopK",
    "kneighbors",
    "min_distances",
    "greedy_dedup",
    "iter_row_chunks",
    "RoundRobinPicks",
    "round_robin",
]

METRICS: tuple[str, ...] = ("euclidean", "cosine")

# Rows per block of a distance computation. A block of 4,096 queries against
# 4,096 pool rows is 128 MiB of float64 distances, small enough for a laptop
# and large enough that BLAS, not Python, dominates the time.
DEFAULT_CHUNK_SIZE = 4096

# Bound on the rounding error of |a|^2 + |b|^2 - 2 a.b, in machine epsilons times
# |a|^2 + |b|^2 (for cosine distances, of 1 - cos in epsilons). A blocked dot product
# errs by about sqrt(n_features) epsilons at most, so 64 covers 4096 features; on
# random data with offsets we measured at most 8 for 16 to 2048 features.
_EXPANSION_ERROR_EPS = 64

# Squared distance between two unit rows of one direction that is left by rounding
# of the scaling to unit norm in float64: each coordinate is off by a few epsilons
# of itself, so the square of the same bound as above covers it.
_UNIT_ROUNDING = (_EXPANSION_ERROR_EPS * float(np.finfo(np.float64).eps)) ** 2

# Share of a block's entries to redo above which the block is first recomputed on
# re-centred rows, which settles blocks whose rows share a large offset. Redoing one
# entry on its own costs 40 to 300 entries of a matrix product (we measured this for
# 64 to 1024 features), so redoing 1/16 of a block one by one costs 2.5 to 19 whole
# products: one more product pays off even when it settles only half of them.
_RECENTRE_FRACTION = 1 / 16


def check_embeddings(
    X: object, name: str = "embeddings", *, n_features: int | None = None
) -> np.ndarray:
    """Return ``X`` as a finite float64 array of shape (n, n_features).

    Parameters
    ----------
    X : array-like of shape (n, n_features)
        The embeddings.
    name : str, default="embeddings"
        The argument's name, used in error messages.
    n_features : int or None, default=None
        The dimension ``X`` must have, when known (e.g. from another set).

    Returns
    -------
    ndarray of shape (n, n_features), dtype float64
    """
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{name} cannot be read as a 2-D float array ({exc}); pass one vector "
            "of the same length per row"
        ) from exc
    if arr.ndim != 2:
        raise InputError(
            f"{name} has {arr.ndim} dimension(s) (shape {arr.shape}); pass an "
            "array of shape (n, n_features)"
        )
    if n_features is not None and arr.shape[0] and arr.shape[1] != n_features:
        raise InputError(
            f"{name} has {arr.shape[1]} features per row but {n_features} are "
            "expected; compute every embedding with the same model"
        )
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise InputError(
            f"{name} holds NaN or infinite values in {int(bad.sum())} row(s), "
            f"e.g. row {int(np.flatnonzero(bad)[0])}; recompute or drop them"
        )
    return arr


def cancellation_limit(dtype: type[np.floating[Any]] | np.dtype[Any]) -> float:
    """Fraction of the squared norms below which expanded distances are redone.

    An expanded squared distance ``sq`` of rows ``a`` and ``b`` is off by up to
    ``_EXPANSION_ERROR_EPS * eps * (|a|^2 + |b|^2)``. Entries with ``sq`` above
    ``limit * (|a|^2 + |b|^2)``, where ``limit = _EXPANSION_ERROR_EPS * sqrt(eps)``,
    thus have a relative error below ``sqrt(eps)``, half the digits of the dtype;
    the others are recomputed. For cosine distances the same limit applies to
    ``1 - cos`` itself.

    Parameters
    ----------
    dtype : float32 or float64
        The dtype the expansion is computed in.

    Returns
    -------
    float
        About 0.022 for float32 and 9.5e-7 for float64.
    """
    eps = float(np.finfo(dtype).eps)
    return _EXPANSION_ERROR_EPS * math.sqrt(eps)


def exact_sq_distances(
    A: np.ndarray,
    B: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    *,
    batch: int,
    unit: bool = False,
) -> np.ndarray:
    """Squared distance between ``A[rows[k]]`` and ``B[cols[k]]`` for each ``k``.

    Each is a sum of squared differences of the two rows in float64, so it is exact
    to float64 rounding for float32 or float64 rows, and exactly 0 for equal rows.

    Parameters
    ----------
    A : ndarray of shape (n_a, n_features)
    B : ndarray of shape (n_b, n_features)
    rows : ndarray of shape (n_pairs,), dtype int
        Rows of ``A``.
    cols : ndarray of shape (n_pairs,), dtype int
        Rows of ``B``, one per entry of ``rows``.
    batch : int
        Pairs handled at a time; the extra memory is ``2 * batch`` float64 rows.
    unit : bool, default=False
        Scale each row to unit norm first (an all-zero row stays zero), so that
        half the result is the cosine distance. Rows of one direction then give
        exactly 0: results within the rounding of the scaling are set to 0.

    Returns
    -------
    ndarray of shape (n_pairs,), dtype float64
    """
    out = np.empty(len(rows), dtype=np.float64)
    step = max(1, batch)
    for start in range(0, len(rows), step):
        stop = start + step
        left = np.array(A[rows[start:stop]], dtype=np.float64)
        right = np.array(B[cols[start:stop]], dtype=np.float64)
        if unit:
            _scale_to_unit(left)
            _scale_to_unit(right)
        left -= right
        out[start:stop] = np.einsum("ij,ij->i", left, left)
    if unit:
        out[out <= _UNIT_ROUNDING] = 0.0
    return out


def _scale_to_unit(X: np.ndarray) -> None:
    """Scale the rows of ``X`` to unit norm in place; all-zero rows stay zero."""
    norms = np.sqrt(np.einsum("ij,ij->i", X, X))
    X /= np.where(norms > 0, norms, 1.0)[:, None]


def refine_near(
    values: np.ndarray,
    near: np.ndarray,
    A: np.ndarray,
    B: np.ndarray,
    *,
    cosine: bool,
    limit: float,
    batch: int,
    a_rows: np.ndarray | None = None,
) -> None:
    """Recompute, in place, the expanded distances flagged as cancelled.

    When many entries of a block are flagged, the block is first recomputed with the
    same expansion on rows moved by the mean row of ``B`` (distances do not change,
    but a shared offset no longer inflates the norms); what that still leaves below
    ``limit`` is recomputed pair by pair with :func:`exact_sq_distances`.

    Parameters
    ----------
    values : ndarray of shape (n_a, n_b) or (n_a,)
        Expanded squared Euclidean distances, or cosine distances, between the rows
        of ``A`` and those of ``B`` (or the single row ``B``).
    near : ndarray of the shape of ``values``, dtype bool
        Entries to recompute. It is used as scratch space and changed.
    A : ndarray of shape (n_rows, n_features)
        The rows behind ``values``.
    B : ndarray of shape (n_b, n_features) or (n_features,)
    cosine : bool
        Whether ``values`` are cosine distances.
    limit : float
        :func:`cancellation_limit` of the dtype of ``values``.
    batch : int
        Pairs recomputed at a time (see :func:`exact_sq_distances`).
    a_rows : ndarray of shape (n_a,), dtype int, optional
        Row of ``A`` behind each row of ``values``; by default, row ``i``.
    """
    half = 0.5 if cosine else 1.0
    if (
        values.ndim == 2
        and a_rows is None
        and near.sum() > _RECENTRE_FRACTION * near.size
    ):
        left = np.array(A, dtype=values.dtype)
        right = np.array(B, dtype=values.dtype)
        if cosine:
            _scale_to_unit(left)
            _scale_to_unit(right)
        centre = right.mean(axis=0)
        left -= centre
        right -= centre
        left_sq = np.einsum("ij,ij->i", left, left)
        right_sq = np.einsum("ij,ij->i", right, right)
        scale = left_sq[:, None] + right_sq[None, :]
        sq = left @ right.T
        sq *= -2.0
        sq += scale
        settled = near & (sq > limit * scale)
        values[settled] = half * sq[settled]
        near &= ~settled
    if values.ndim == 2:
        rows, cols = np.nonzero(near)
    else:
        (rows,) = np.nonzero(near)
        cols = np.zeros_like(rows)
        B = B[None, :]
    if len(rows) == 0:
        return
    source = rows if a_rows is None else a_rows[rows]
    exact = exact_sq_distances(A, B, source, cols, batch=batch, unit=cosine)
    values[near] = half * exact


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise InputError(f"metric={metric!r} is not one of {METRICS}")


def _prepare(X: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the rows to multiply and their squared norms for ``metric``."""
    if metric == "cosine":
        norms = np.linalg.norm(X, axis=1)
        safe = np.where(norms > 0, norms, 1.0)
        X = X / safe[:, None]
        return X, np.einsum("ij,ij->i", X, X)
    return X, np.einsum("ij,ij->i", X, X)


def distance_block(A: np.ndarray, B: np.ndarray, *, metric: str) -> np.ndarray:
    """Distances between every row of ``A`` and every row of ``B``.

    Parameters
    ----------
    A : ndarray of shape (n_a, n_features)
    B : ndarray of shape (n_b, n_features)
    metric : {"euclidean", "cosine"}
        Euclidean distance, or cosine distance ``1 - cos`` (a zero vector is at
        distance 1 from everything except another zero vector).

    Returns
    -------
    ndarray of shape (n_a, n_b), dtype float64
        Accurate to at least half the float64 digits whatever the norms of the
        rows, and 0 between equal rows (see the module docstring).
    """
    _check_metric(metric)
    A2, a_sq = _prepare(np.asarray(A, dtype=np.float64), metric)
    B2, b_sq = _prepare(np.asarray(B, dtype=np.float64), metric)
    return _distances(A2, a_sq, B2, b_sq, metric)


def _distances(
    A: np.ndarray, a_sq: np.ndarray, B: np.ndarray, b_sq: np.ndarray, metric: str
) -> np.ndarray:
    """Distances between rows prepared by :func:`_prepare`, in float64."""
    dot = A @ B.T
    limit = cancellation_limit(np.float64)
    batch = max(len(A), len(B))
    if metric == "cosine":
        # Rows were normalised; a zero row has a_sq == 0 and dot == 0, so it is
        # never near another row and is only at 0 from another zero row.
        out = np.subtract(1.0, dot, out=dot)
        near = out <= limit
        if near.any():
            refine_near(out, near, A, B, cosine=True, limit=limit, batch=batch)
        out[(a_sq[:, None] == 0) & (b_sq[None, :] == 0)] = 0.0
        return np.clip(out, 0.0, 2.0, out=out)
    scale = a_sq[:, None] + b_sq[None, :]
    dot *= -2.0
    sq = np.add(scale, dot, out=dot)
    near = sq <= limit * scale
    del scale
    if near.any():
        refine_near(sq, near, A, B, cosine=False, limit=limit, batch=batch)
    return np.sqrt(sq, out=sq)


def iter_row_chunks(X: np.ndarray, chunk_size: int) -> Iterator[np.ndarray]:
    """Yield consecutive row blocks of ``X`` with at most ``chunk_size`` rows."""
    for start in range(0, len(X), chunk_size):
        yield X[start : start + chunk_size]


class TopK:
    """Running k smallest distances per query over a pool seen in chunks.

    Parameters
    ----------
    queries : ndarray of shape (n_queries, n_features)
        The query vectors (validated by the caller).
    k : int
        Neighbours to keep per query.
    metric : {"euclidean", "cosine"}, default="euclidean"
    query_chunk_size : int, default=DEFAULT_CHUNK_SIZE
        Queries per distance block, which bounds the memory of one update to
        ``query_chunk_size * len(chunk)`` floats.

    Notes
    -----
    Call :meth:`update` with consecutive pool chunks; :meth:`result` returns the
    neighbours with pool indices counted across all chunks seen.
    """

    def __init__(
        self,
        queries: np.ndarray,
        k: int,
        *,
        metric: str = "euclidean",
        query_chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        _check_metric(metric)
        self.k = check_count(k, "k", minimum=1)
        self.metric = metric
        self._query_chunk_size = check_count(
            query_chunk_size, "query_chunk_size", minimum=1
        )
        self._queries, self._q_sq = _prepare(
            np.asarray(queries, dtype=np.float64), metric
        )
        n = len(self._queries)
        self._dist = np.full((n, 0), np.inf)
        self._index = np.full((n, 0), -1, dtype=np.int64)
        self.n_seen = 0

    def update(self, chunk: np.ndarray, indices: np.ndarray | None = None) -> None:
        """Fold one pool chunk into the running neighbours.

        Parameters
        ----------
        chunk : ndarray of shape (m, n_features)
            The next pool rows.
        indices : ndarray of shape (m,), dtype int, optional
            Pool index of each row. Defaults to consecutive indices after the
            rows seen so far. Indices must grow across updates for ties to be
            broken by index.
        """
        chunk = np.asarray(chunk, dtype=np.float64)
        m = len(chunk)
        if indices is None:
            indices = np.arange(self.n_seen, self.n_seen + m, dtype=np.int64)
        else:
            indices = np.asarray(indices, dtype=np.int64)
        self.n_seen += m
        if m == 0 or len(self._queries) == 0:
            return
        X, x_sq = _prepare(chunk, self.metric)
        step = self._query_chunk_size
        new_dist = []
        new_index = []
        for start in range(0, len(self._queries), step):
            stop = start + step
            d = _distances(
                self._queries[start:stop], self._q_sq[start:stop], X, x_sq, self.metric
            )
            best_d, best_i = _merge_topk(
                self._dist[start:stop], self._index[start:stop], d, indices, self.k
            )
            new_dist.append(best_d)
            new_index.append(best_i)
        self._dist = np.vstack(new_dist)
        self._index = np.vstack(new_index)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(distances, indices)``, each of shape (n_queries, k).

        Rows are sorted by distance, then by index. When fewer than ``k`` pool
        rows were seen, the missing entries hold ``inf`` and ``-1``.
        """
        n = len(self._queries)
        dist = np.full((n, self.k), np.inf)
        index = np.full((n, self.k), -1, dtype=np.int64)
        width = self._dist.shape[1]
        dist[:, :width] = self._dist
        index[:, :width] = self._index
        return dist, index


def _merge_topk(
    best_d: np.ndarray,
    best_i: np.ndarray,
    d: np.ndarray,
    idx: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Merge the running best of each row with a new block of candidates."""
    all_d = np.hstack([best_d, d])
    all_i = np.hstack([best_i, np.broadcast_to(idx, d.shape)])
    n_rows, width = all_d.shape
    keep = min(k, width)
    if keep < width:
        # Take the keep smallest per row; among entries equal to the keep-th
        # value, prefer the lower index so chunking never changes the answer.
        kth = np.partition(all_d, keep - 1, axis=1)[:, keep - 1 : keep]
        less = all_d < kth
        equal = all_d == kth
        need = keep - less.sum(axis=1, keepdims=True)
        tie_key = np.where(equal, all_i, np.iinfo(np.int64).max)
        tie_order = np.argsort(tie_key, axis=1, kind="stable")
        tie_rank = np.empty_like(tie_order)
        np.put_along_axis(
            tie_rank, tie_order, np.arange(width)[None, :].repeat(n_rows, 0), axis=1
        )
        chosen = less | (equal & (tie_rank < need))
        cols = np.nonzero(chosen)[1].reshape(n_rows, keep)
        all_d = np.take_along_axis(all_d, cols, axis=1)
        all_i = np.take_along_axis(all_i, cols, axis=1)
    order = np.lexsort((all_i, all_d), axis=1) if keep else np.zeros((n_rows, 0), int)
    return (
        np.take_along_axis(all_d, order, axis=1),
        np.take_along_axis(all_i, order, axis=1),
    )


def kneighbors(
    queries: np.ndarray,
    pool: np.ndarray | Iterable[np.ndarray],
    k: int,
    *,
    metric: str = "euclidean",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest pool rows of each query, computed chunk by chunk.

    Parameters
    ----------
    queries : array-like of shape (n_queries, n_features)
    pool : array-like of shape (n_pool, n_features) or iterable of such chunks
        The pool, whole or as consecutive chunks (e.g. read from a database).
    k : int
        Neighbours per query.
    metric : {"euclidean", "cosine"}, default="euclidean"
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
        Rows per block when ``pool`` is an array; also bounds the queries per
        block.

    Returns
    -------
    distances : ndarray of shape (n_queries, k)
    indices : ndarray of shape (n_queries, k), dtype int64
        Pool row of each neighbour, ``-1`` where the pool has fewer than ``k``
        rows.

    Examples
    --------
    >>> import numpy as np
    >>> from seedselect._knn import kneighbors
    >>> pool = np.array([[0.0], [1.0], [5.0], [2.0]])
    >>> dist, ind = kneighbors(np.array([[1.9]]), pool, 2, chunk_size=2)
    >>> ind.tolist()
    [[3, 1]]
    """
    chunk_size = check_count(chunk_size, "chunk_size", minimum=1)
    Q = check_embeddings(queries, "queries")
    top = TopK(Q, k, metric=metric, query_chunk_size=chunk_size)
    chunks: Iterable[np.ndarray]
    if isinstance(pool, np.ndarray):
        chunks = iter_row_chunks(pool, chunk_size)
    else:
        chunks = pool
    for chunk in chunks:
        top.update(check_embeddings(chunk, "pool", n_features=Q.shape[1]))
    return top.result()


def min_distances(
    queries: np.ndarray,
    pool: np.ndarray | Iterable[np.ndarray],
    *,
    metric: str = "euclidean",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> np.ndarray:
    """Distance from each query to its nearest pool row (``inf`` if no pool).

    Parameters
    ----------
    queries : array-like of shape (n_queries, n_features)
    pool : array-like of shape (n_pool, n_features) or iterable of such chunks
    metric : {"euclidean", "cosine"}, default="euclidean"
    chunk_size : int, default=DEFAULT_CHUNK_SIZE

    Returns
    -------
    ndarray of shape (n_queries,)
    """
    dist, _ = kneighbors(queries, pool, 1, metric=metric, chunk_size=chunk_size)
    return dist[:, 0]


def greedy_dedup(
    X: np.ndarray,
    radius: float,
    *,
    metric: str = "euclidean",
    blocked: np.ndarray | None = None,
    limit: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> np.ndarray:
    """Walk the rows in order and keep each one farther than ``radius`` from all
    rows kept before it.

    Parameters
    ----------
    X : ndarray of shape (n, n_features)
        Candidates in priority order.
    radius : float
        Rows at distance ``<= radius`` of a kept row are near-duplicates.
    metric : {"euclidean", "cosine"}, default="euclidean"
    blocked : ndarray of shape (n,), dtype bool, optional
        Rows that may not be kept (e.g. too close to already-labeled samples).
    limit : int, optional
        Stop once this many rows are kept.
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
        Candidates compared per block.

    Returns
    -------
    ndarray of shape (n,), dtype bool
        Which rows are kept.
    """
    _check_metric(metric)
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    keep = np.zeros(n, dtype=bool)
    allowed = np.ones(n, dtype=bool) if blocked is None else ~np.asarray(blocked)
    if limit is None:
        limit = n
    Xp, x_sq = _prepare(X, metric)
    kept_rows: list[int] = []
    for start in range(0, n, chunk_size):
        if len(kept_rows) >= limit:
            break
        stop = min(n, start + chunk_size)
        block = np.arange(start, stop)
        ok = allowed[start:stop].copy()
        if kept_rows and ok.any():
            kept = np.asarray(kept_rows)
            d = _distances(Xp[block], x_sq[block], Xp[kept], x_sq[kept], metric)
            ok &= ~(d <= radius).any(axis=1)
        inner = _distances(Xp[block], x_sq[block], Xp[block], x_sq[block], metric)
        close = inner <= radius
        for j in range(len(block)):
            if not ok[j]:
                continue
            keep[block[j]] = True
            kept_rows.append(int(block[j]))
            if len(kept_rows) >= limit:
                break
            # Later rows of the block within radius of this one are dropped.
            ok[j + 1 :] &= ~close[j, j + 1 :]
    return keep


@dataclass
class RoundRobinPicks:
    """Candidates chosen by :func:`round_robin`, in the order they were taken.

    Attributes
    ----------
    positions : ndarray of shape (n_chosen,), dtype int64
        Candidate positions.
    seeds : ndarray of shape (n_chosen,), dtype int64
        The seed (row of ``neighbors``) that took each candidate.
    neighbor_ranks : ndarray of shape (n_chosen,), dtype int64
        Rank of the candidate among that seed's neighbours, 1 for the nearest.
    distances : ndarray of shape (n_chosen,)
        Distance from the candidate to that seed.
    turns : ndarray of shape (n_chosen,), dtype int64
        How many candidates that seed had taken before, plus one.
    filled : ndarray of shape (n_chosen,), dtype bool
        Whether the candidate was taken after the class quotas ran dry.
    n_near_duplicates : int
        Candidates skipped for lying within ``radius`` of one taken before.
    quota_left : ndarray of shape (n_classes,), dtype int64, or None
        Quota that each class did not fill before the fill pass.
    """

    positions: np.ndarray
    seeds: np.ndarray
    neighbor_ranks: np.ndarray
    distances: np.ndarray
    turns: np.ndarray
    filled: np.ndarray
    n_near_duplicates: int = 0
    quota_left: np.ndarray | None = None


def round_robin(
    neighbors: np.ndarray,
    distances: np.ndarray,
    n_select: int,
    *,
    classes: np.ndarray | None = None,
    quota: np.ndarray | None = None,
    blocked: np.ndarray | None = None,
    embeddings: np.ndarray | None = None,
    radius: float | None = None,
    metric: str = "euclidean",
    seed_order: np.ndarray | None = None,
) -> RoundRobinPicks:
    """Let the seeds take turns, each taking its nearest remaining neighbour.

    In each round every seed, in ``seed_order``, takes its nearest candidate that
    is not yet taken, not ``blocked``, not within ``radius`` of a candidate taken
    before, and whose class still has quota. When a round takes nothing and
    quotas are in force, a last pass fills the remaining places ignoring them.

    Parameters
    ----------
    neighbors : ndarray of shape (n_seeds, k), dtype int
        Candidate positions of each seed's neighbours, nearest first; -1 pads.
    distances : ndarray of shape (n_seeds, k)
        The matching distances.
    n_select : int
        Candidates to take.
    classes : ndarray of shape (n_candidates,), dtype int, optional
        Class code of each candidate; with ``quota``, balances the classes.
    quota : ndarray of shape (n_classes,), dtype int, optional
        Candidates to take per class before the fill pass.
    blocked : ndarray of shape (n_candidates,), dtype bool, optional
        Candidates never to take (near-duplicates of labeled samples).
    embeddings : ndarray of shape (n_candidates, n_features), optional
        Needed with ``radius``.
    radius : float, optional
        Candidates within this distance of one taken before are skipped.
    metric : {"euclidean", "cosine"}, default="euclidean"
    seed_order : ndarray of shape (n_seeds,), dtype int, optional
        The order in which seeds take their turns; default 0, 1, 2, ...

    Returns
    -------
    RoundRobinPicks

    Examples
    --------
    >>> import numpy as np
    >>> from seedselect._knn import round_robin
    >>> neighbors = np.array([[0, 1, 2], [0, 3, 4]])
    >>> dists = np.array([[0.1, 0.2, 0.3], [0.1, 0.4, 0.5]])
    >>> picks = round_robin(neighbors, dists, 4)
    >>> picks.positions.tolist(), picks.seeds.tolist()
    ([0, 3, 1, 4], [0, 1, 0, 1])
    """
    n_select = check_count(n_select, "n_select")
    n_seeds, k = neighbors.shape
    valid = neighbors[neighbors >= 0]
    n_cand = int(valid.max()) + 1 if valid.size else 0
    if classes is not None and len(classes) < n_cand:
        raise InputError("classes must give one class per candidate")
    if radius is not None and embeddings is None:
        raise InputError("radius needs the candidates' embeddings")
    order = np.arange(n_seeds) if seed_order is None else np.asarray(seed_order)
    state = _RoundRobinState(
        n_cand, blocked, embeddings, radius, metric, quota, classes
    )
    use_quota = quota is not None and classes is not None
    state.run(neighbors, distances, order, n_select, use_quota=use_quota)
    if use_quota and len(state.positions) < n_select:
        state.run(neighbors, distances, order, n_select, use_quota=False)
    return RoundRobinPicks(
        positions=np.asarray(state.positions, dtype=np.int64),
        seeds=np.asarray(state.seeds, dtype=np.int64),
        neighbor_ranks=np.asarray(state.ranks, dtype=np.int64),
        distances=np.asarray(state.dists, dtype=np.float64),
        turns=np.asarray(state.turns, dtype=np.int64),
        filled=np.asarray(state.filled, dtype=bool),
        n_near_duplicates=state.n_near_duplicates,
        quota_left=None if state.quota_left is None else state.quota_left.copy(),
    )


class _RoundRobinState:
    """Book-keeping of :func:`round_robin` across its passes."""

    def __init__(
        self,
        n_cand: int,
        blocked: np.ndarray | None,
        embeddings: np.ndarray | None,
        radius: float | None,
        metric: str,
        quota: np.ndarray | None,
        classes: np.ndarray | None,
    ) -> None:
        self.unavailable = np.zeros(n_cand, dtype=bool)
        if blocked is not None:
            self.unavailable |= np.asarray(blocked, dtype=bool)[:n_cand]
        self.radius = radius
        self.metric = metric
        self.classes = classes
        self.quota_left = None if quota is None else np.array(quota, dtype=np.int64)
        self.n_kept = 0
        if embeddings is not None and radius is not None:
            self.X, self.x_sq = _prepare(np.asarray(embeddings, np.float64), metric)
            # Rows taken so far, in a buffer that doubles when full.
            self.kept_X = np.empty((16, self.X.shape[1]))
            self.kept_sq = np.empty(16)
        self.positions: list[int] = []
        self.seeds: list[int] = []
        self.ranks: list[int] = []
        self.dists: list[float] = []
        self.turns: list[int] = []
        self.filled: list[bool] = []
        self.taken_by: dict[int, int] = {}
        self.n_near_duplicates = 0

    def _near_taken(self, c: int) -> bool:
        if self.radius is None or not self.n_kept:
            return False
        n = self.n_kept
        d = _distances(
            self.X[c : c + 1],
            self.x_sq[c : c + 1],
            self.kept_X[:n],
            self.kept_sq[:n],
            self.metric,
        )
        return bool((d <= self.radius).any())

    def _keep(self, c: int) -> None:
        if self.radius is None:
            return
        if self.n_kept == len(self.kept_X):
            self.kept_X = np.vstack([self.kept_X, np.empty_like(self.kept_X)])
            self.kept_sq = np.concatenate([self.kept_sq, np.empty_like(self.kept_sq)])
        self.kept_X[self.n_kept] = self.X[c]
        self.kept_sq[self.n_kept] = self.x_sq[c]
        self.n_kept += 1

    def run(
        self,
        neighbors: np.ndarray,
        distances: np.ndarray,
        order: np.ndarray,
        n_select: int,
        *,
        use_quota: bool,
    ) -> None:
        k = neighbors.shape[1]
        pointer = np.zeros(len(neighbors), dtype=np.int64)
        while len(self.positions) < n_select:
            took = False
            for s in order:
                if len(self.positions) >= n_select:
                    break
                took |= self._turn(int(s), neighbors, distances, pointer, k, use_quota)
            if not took:
                return

    def _turn(
        self,
        s: int,
        neighbors: np.ndarray,
        distances: np.ndarray,
        pointer: np.ndarray,
        k: int,
        use_quota: bool,
    ) -> bool:
        while pointer[s] < k:
            j = int(pointer[s])
            c = int(neighbors[s, j])
            if c < 0:
                pointer[s] = k
                return False
            if self.unavailable[c]:
                pointer[s] += 1
                continue
            if use_quota:
                assert self.classes is not None and self.quota_left is not None
                if self.quota_left[self.classes[c]] <= 0:
                    # Left for the fill pass, which restarts every pointer.
                    pointer[s] += 1
                    continue
            pointer[s] += 1
            if self._near_taken(c):
                self.unavailable[c] = True
                self.n_near_duplicates += 1
                continue
            self.unavailable[c] = True
            self._keep(c)
            if use_quota:
                assert self.classes is not None and self.quota_left is not None
                self.quota_left[self.classes[c]] -= 1
            self.taken_by[s] = self.taken_by.get(s, 0) + 1
            self.positions.append(c)
            self.seeds.append(s)
            self.ranks.append(j + 1)
            self.dists.append(float(distances[s, j]))
            self.turns.append(self.taken_by[s])
            self.filled.append(not use_quota and self.quota_left is not None)
            return True
        return False
