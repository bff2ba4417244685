"""Distances between rows of an embeddings matrix, computed in bounded blocks.

Nothing here forms an all-pairs matrix. Every function walks its inputs in blocks of
at most ``chunk_size`` rows on each side, so the extra memory it needs is of order
``chunk_size**2`` numbers on top of its inputs and outputs.

Euclidean distances use the expansion ``|a|^2 + |b|^2 - 2 a.b`` so that each block is
one matrix product; cosine distances are ``1 - a.b / (|a| |b|)``. Both are computed
in the precision of the embeddings (float32 stays float32, anything else becomes
float64). Where two rows are close compared with their norms, the expansion cancels
and loses most of its digits (float32 rows of norm 230 at distance 0.3 would come out
at 0), so the entries of a block below :func:`seedselect._knn.cancellation_limit`
are recomputed by :func:`seedselect._knn.refine_near`, from re-centred rows or as
sums of squared differences of the two rows in float64. Every distance thus keeps at
least half the significant digits of the working dtype whatever the norms of the
rows (in practice far more), and duplicated rows are at distance exactly 0.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._exceptions import InputError
from .._knn import cancellation_limit, refine_near
from .._validation import check_count

__all__ = ["coverage_radius", "DEFAULT_CHUNK_SIZE", "METRICS"]

logger = logging.getLogger(__name__)

#: Metrics every selector accepts.
METRICS: tuple[str, ...] = ("euclidean", "cosine")

#: Rows per block on each side of a distance block. A 2048 x 2048 block of float64
#: takes 32 MiB, small next to the embeddings of any pool large enough to need
#: chunking, and large enough for the matrix products to run at full speed.
DEFAULT_CHUNK_SIZE = 2048


def working_dtype(X: np.ndarray) -> np.dtype[Any]:
    """Return the dtype distances on ``X`` are computed in."""
    if X.dtype == np.float32:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


class Geometry:
    """Distance computations on the rows of one embeddings matrix.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite embeddings, already validated. Rows are fetched block by block, so a
        memory-mapped array stays on disk.
    metric : {"euclidean", "cosine"}
    chunk_size : int
        Rows per block on each side.
    """

    def __init__(self, X: np.ndarray, metric: str, chunk_size: int) -> None:
        self.X = X
        self.metric = metric
        self.chunk_size = chunk_size
        self.dtype = working_dtype(X)
        self._limit = cancellation_limit(self.dtype)

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    def rows(self, index: np.ndarray | slice) -> np.ndarray:
        """Return the rows at ``index`` as a new array in the working dtype."""
        return np.asarray(self.X[index], dtype=self.dtype)

    def aux(self, A: np.ndarray) -> np.ndarray:
        """Per-row quantity the metric needs: squared norms or inverse norms."""
        sq = np.einsum("ij,ij->i", A, A)
        if self.metric == "euclidean":
            return sq
        return 1.0 / np.sqrt(sq)

    def finish(
        self,
        dots: np.ndarray,
        aux_a: np.ndarray,
        aux_b: np.ndarray | float,
        A: np.ndarray,
        B: np.ndarray,
        a_rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """Turn dot products into distances, in place.

        Parameters
        ----------
        dots : ndarray of shape (n_a,) or (n_a, n_b)
            Products of the rows of ``A`` with the vector ``B``, or with every row
            of the block ``B``.
        aux_a : ndarray of shape (n_a,)
        aux_b : ndarray of shape (n_b,) or float
            :meth:`aux` of the rows of ``A`` and of ``B``.
        A : ndarray of shape (n_rows, n_features)
            The rows behind ``dots``, used only for the entries recomputed.
        B : ndarray of shape (n_features,) or (n_b, n_features)
        a_rows : ndarray of shape (n_a,), dtype int, optional
            Row of ``A`` behind each entry of ``dots``; by default row ``i`` is
            behind entry ``i``.

        Returns
        -------
        ndarray of the shape of ``dots``
            ``dots`` itself, holding the distances.
        """
        a = aux_a[:, None] if dots.ndim == 2 else aux_a
        b = aux_b[None, :] if isinstance(aux_b, np.ndarray) else aux_b
        if self.metric == "euclidean":
            dots *= -2.0
            dots += a
            dots += b
            near = dots <= self._limit * (a + b)
        else:
            dots *= a
            dots *= b
            np.subtract(1.0, dots, out=dots)
            near = dots <= self._limit
        if near.any():
            refine_near(
                dots,
                near,
                A,
                B,
                cosine=self.metric == "cosine",
                limit=self._limit,
                batch=self.chunk_size,
                a_rows=a_rows,
            )
        if self.metric == "euclidean":
            np.sqrt(dots, out=dots)
        return dots

    def block(
        self, A: np.ndarray, aux_a: np.ndarray, B: np.ndarray, aux_b: np.ndarray
    ) -> np.ndarray:
        """Distances between every row of ``A`` and every row of ``B``."""
        return self.finish(A @ B.T, aux_a, aux_b, A, B)

    def mean(self, index: np.ndarray) -> np.ndarray:
        """Mean of the rows in ``index`` (zeros when empty), summed block by block."""
        total = np.zeros(self.X.shape[1], dtype=np.float64)
        for start in range(0, len(index), self.chunk_size):
            total += self.rows(index[start : start + self.chunk_size]).sum(axis=0)
        return (total / max(len(index), 1)).astype(self.dtype)

    def to_vector(self, index: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Distance from each row in ``index`` to the vector ``v``."""
        v = np.asarray(v, dtype=self.dtype)
        aux_v = float(self.aux(v[None, :])[0])
        out = np.empty(len(index), dtype=self.dtype)
        step = self.chunk_size
        for start in range(0, len(index), step):
            A = self.rows(index[start : start + step])
            out[start : start + step] = self.finish(A @ v, self.aux(A), aux_v, A, v)
        return out

    def min_distance(self, index_a: np.ndarray, index_b: np.ndarray) -> np.ndarray:
        """Distance from each row in ``index_a`` to its nearest row in ``index_b``.

        Returns ``inf`` everywhere when ``index_b`` is empty.
        """
        out = np.full(len(index_a), np.inf, dtype=self.dtype)
        if len(index_b) == 0:
            return out
        step = self.chunk_size
        for start in range(0, len(index_a), step):
            A = self.rows(index_a[start : start + step])
            aux_a = self.aux(A)
            best = out[start : start + step]
            for col in range(0, len(index_b), step):
                B = self.rows(index_b[col : col + step])
                D = self.block(A, aux_a, B, self.aux(B))
                np.minimum(best, D.min(axis=1), out=best)
        return out

    def sequential_nearest(
        self, order: np.ndarray, covered: np.ndarray
    ) -> NDArray[np.float64]:
        """Distance from each row of ``order`` to ``covered`` and the rows before it.

        Entry ``k`` is the distance from ``X[order[k]]`` to its nearest neighbour
        among ``X[covered]`` and ``X[order[:k]]``; ``inf`` when there is none.
        """
        out = self.min_distance(order, covered)
        step = self.chunk_size
        for start in range(0, len(order), step):
            stop = min(start + step, len(order))
            A = self.rows(order[start:stop])
            aux_a = self.aux(A)
            for col in range(0, stop, step):
                col_stop = min(col + step, stop)
                B = self.rows(order[col:col_stop])
                D = self.block(A, aux_a, B, self.aux(B))
                # Only rows chosen earlier count: mask the diagonal and above.
                cols = np.arange(col, col_stop)[None, :]
                D[cols >= np.arange(start, stop)[:, None]] = np.inf
                np.minimum(out[start:stop], D.min(axis=1), out=out[start:stop])
        return out.astype(np.float64)

    def knn_mean_distance(self, index: np.ndarray, n_neighbors: int) -> np.ndarray:
        """Mean distance from each row in ``index`` to its nearest others in ``index``.

        A row's own entry is left out; duplicates of it count as neighbours at
        distance 0. ``n_neighbors`` must be smaller than ``len(index)``.
        """
        m = len(index)
        step = self.chunk_size
        out = np.empty(m, dtype=np.float64)
        for start in range(0, m, step):
            stop = min(start + step, m)
            A = self.rows(index[start:stop])
            aux_a = self.aux(A)
            best = np.full((stop - start, n_neighbors), np.inf, dtype=self.dtype)
            for col in range(0, m, step):
                col_stop = min(col + step, m)
                B = self.rows(index[col:col_stop])
                D = self.block(A, aux_a, B, self.aux(B))
                # Leave each row's own entry out.
                own = np.arange(start, stop)
                inside = (own >= col) & (own < col_stop)
                D[np.flatnonzero(inside), own[inside] - col] = np.inf
                both = np.concatenate([best, D], axis=1)
                best = np.partition(both, n_neighbors - 1, axis=1)[:, :n_neighbors]
            out[start:stop] = best.mean(axis=1, dtype=np.float64)
        return out


class CandidateSpace:
    """Distances from a fixed set of candidate rows to one row at a time.

    This is the inner step of greedy k-center: after each pick, the distance from
    every candidate to the new centre. When candidates are most of the pool the
    matrix is used as it is (no copy) and the surplus rows are dropped after the
    product; otherwise the candidate rows are copied once into a contiguous block.

    Parameters
    ----------
    geometry : Geometry
    candidates : ndarray of shape (n_candidates,), dtype int64
        Row indices into ``geometry.X``.
    """

    def __init__(self, geometry: Geometry, candidates: np.ndarray) -> None:
        self.geometry = geometry
        self.candidates = candidates
        n, m = geometry.n_samples, len(candidates)
        self._select: np.ndarray | None
        X = geometry.X
        if 2 * m > n and X.dtype == geometry.dtype:
            self._W = X
            self._select = None if m == n else candidates
        else:
            self._W = geometry.rows(candidates)
            self._select = None
        aux = np.empty(self._W.shape[0], dtype=geometry.dtype)
        step = geometry.chunk_size
        for start in range(0, len(aux), step):
            aux[start : start + step] = geometry.aux(
                np.asarray(self._W[start : start + step])
            )
        self._aux = aux if self._select is None else aux[self._select]

    def to_row(self, row: int) -> np.ndarray:
        """Distance from every candidate to ``X[row]``."""
        v = self.geometry.rows(slice(row, row + 1))
        dots = self._W @ v[0]
        if self._select is not None:
            dots = dots[self._select]
        aux_v = float(self.geometry.aux(v)[0])
        return self.geometry.finish(
            dots, self._aux, aux_v, self._W, v[0], a_rows=self._select
        )

    def to_rows(self, rows: np.ndarray) -> np.ndarray:
        """Distance from every candidate to its nearest row among ``rows``."""
        return self.geometry.min_distance(self.candidates, rows)


def check_embeddings(
    embeddings: ArrayLike, *, name: str = "embeddings", chunk_size: int
) -> np.ndarray:
    """Validate an embeddings matrix and return it as a float array.

    float32 and float64 arrays are returned without a copy; other numeric dtypes
    become float64. Finiteness is checked block by block, so no mask the size of the
    matrix is made.
    """
    X = np.asarray(embeddings)
    if X.ndim != 2:
        raise InputError(
            f"{name} has shape {X.shape}; pass a 2-D array of shape "
            "(n_samples, n_features)"
        )
    if X.shape[1] == 0:
        raise InputError(f"{name} has shape {X.shape}; it needs at least one feature")
    if X.dtype.kind not in "fiu":
        raise InputError(
            f"{name} has dtype {X.dtype}; pass a numeric (float) array of shape "
            "(n_samples, n_features)"
        )
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float32 if X.dtype == np.float16 else np.float64)
    n_bad, first = 0, -1
    step = max(1, chunk_size)
    for start in range(0, X.shape[0], step):
        bad = ~np.isfinite(X[start : start + step]).all(axis=1)
        if bad.any():
            if first < 0:
                first = start + int(np.flatnonzero(bad)[0])
            n_bad += int(bad.sum())
    if n_bad:
        noun = "row" if n_bad == 1 else "rows"
        raise InputError(
            f"{name} has {n_bad} {noun} with NaN or infinite values, first at index "
            f"{first}; drop those samples or recompute their embeddings"
        )
    return X


def check_metric(metric: str) -> str:
    """Check that ``metric`` is one of :data:`METRICS`."""
    if metric not in METRICS:
        raise InputError(f"metric={metric!r} is not one of {', '.join(METRICS)}")
    return metric


def check_nonzero_rows(geometry: Geometry, name: str = "embeddings") -> None:
    """Cosine distances need every row to have a non-zero norm."""
    step = geometry.chunk_size
    n_zero, first = 0, -1
    for start in range(0, geometry.n_samples, step):
        A = geometry.rows(slice(start, start + step))
        zero = np.einsum("ij,ij->i", A, A) == 0
        if zero.any():
            if first < 0:
                first = start + int(np.flatnonzero(zero)[0])
            n_zero += int(zero.sum())
    if n_zero:
        raise InputError(
            f"{name} has {n_zero} all-zero rows (first at index {first}) that have "
            "no direction for metric='cosine'; use metric='euclidean' or drop them"
        )


def as_index_array(value: ArrayLike, n_samples: int, name: str) -> NDArray[np.int64]:
    """Turn a boolean mask or a list of row indices into sorted unique indices."""
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise InputError(
            f"{name} has shape {arr.shape}; pass a boolean mask of length "
            f"{n_samples} or a 1-D array of row indices"
        )
    if arr.dtype == bool:
        if len(arr) != n_samples:
            raise InputError(
                f"{name} is a boolean mask of length {len(arr)} but the pool has "
                f"{n_samples} samples; pass one entry per sample"
            )
        return np.flatnonzero(arr).astype(np.int64, copy=False)
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise InputError(
            f"{name} has dtype {arr.dtype}; pass a boolean mask or integer row indices"
        )
    out_of_range = (arr < 0) | (arr >= n_samples)
    if out_of_range.any():
        first = int(np.flatnonzero(out_of_range)[0])
        raise InputError(
            f"{name} holds {int(out_of_range.sum())} indices outside [0, "
            f"{n_samples}), e.g. {int(arr[first])} at position {first}; pass row "
            "indices of the pool (negative indices are not accepted)"
        )
    return np.unique(arr.astype(np.int64))


def coverage_radius(
    embeddings: ArrayLike,
    chosen: ArrayLike,
    *,
    covered: ArrayLike | None = None,
    metric: str = "euclidean",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> float:
    """Largest distance from any pool sample to its nearest centre.

    The centres are the chosen samples plus any ``covered`` ones. This is the
    quantity greedy k-center keeps small [1]_: every sample lies within this radius
    of a centre.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
        The pool.
    chosen : array-like of int or bool
        Row indices (or a boolean mask) of the chosen samples.
    covered : array-like of int or bool, optional
        Samples that also count as centres (for instance the labeled set).
    metric : {"euclidean", "cosine"}, default="euclidean"
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
        Rows per block of the distance computation.

    Returns
    -------
    float
        The coverage radius; 0 when every sample is a centre.

    References
    ----------
    .. [1] O. Sener and S. Savarese. Active Learning for Convolutional Neural
       Networks: A Core-Set Approach. ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from seedselect.selection import coverage_radius
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]])
    >>> coverage_radius(X, [0, 2])
    1.0
    """
    chunk_size = check_count(chunk_size, "chunk_size", minimum=1)
    X = check_embeddings(embeddings, chunk_size=chunk_size)
    n = X.shape[0]
    centres = as_index_array(chosen, n, "chosen")
    if covered is not None:
        centres = np.union1d(centres, as_index_array(covered, n, "covered"))
    if len(centres) == 0:
        raise InputError(
            "chosen is empty and nothing is covered; pass at least one centre"
        )
    geometry = Geometry(X, check_metric(metric), chunk_size)
    if metric == "cosine":
        check_nonzero_rows(geometry)
    nearest = geometry.min_distance(np.arange(n), centres)
    return float(nearest.max()) if n else 0.0
