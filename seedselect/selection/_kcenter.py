"""Greedy k-center (farthest-first traversal) with lazily refreshed distances.

Each step of farthest-first traversal takes the candidate farthest from every
covered and chosen sample. The textbook version updates every candidate's distance
to its nearest centre after each pick, one pass over all candidate embeddings per
pick. Here each candidate keeps an upper bound on that distance (its distance to
the centres it has been compared with so far): bounds only shrink as centres are
added, so a candidate whose refreshed distance is at least every other candidate's
bound is the farthest one. Each step refreshes the candidates with the largest
bounds, a batch at a time, until that holds. The picks are exactly those of the
textbook version, ties included; in practice only a small share of the candidates
is compared with each new centre.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike, NDArray
from threadpoolctl import threadpool_limits

from .._exceptions import InputError
from .._validation import check_count
from ._distances import (
    DEFAULT_CHUNK_SIZE,
    Geometry,
    as_index_array,
    check_embeddings,
    check_metric,
    check_nonzero_rows,
)
from ._diversity import Picks, Task
from ._gates import check_scores

__all__ = ["kcenter_greedy"]

logger = logging.getLogger(__name__)

# BLAS threads for the products inside the pick loop. They are small (a batch of
# candidates against the newest centres), so splitting them across threads costs
# more in synchronisation than it saves, and much more when cores are shared.
_LOOP_BLAS_THREADS = 1

# Candidates refreshed first in each step; the batch doubles until the farthest
# candidate is certain. After a pick, usually only a few of the candidates with the
# largest bounds lie near the new centre, so a small first batch settles most steps.
_FIRST_BATCH = 64


class _Bounds:
    """Upper bounds on each candidate's distance to its nearest centre."""

    def __init__(self, geometry: Geometry, task: Task) -> None:
        self.geometry = geometry
        self.task = task
        m = len(task.candidates)
        if len(task.covered):
            self.upper = geometry.min_distance(task.candidates, task.covered)
        else:
            self.upper = np.full(m, np.inf, dtype=geometry.dtype)
        # Number of chosen centres each bound already accounts for.
        self.seen = np.zeros(m, dtype=np.int64)
        total = int(task.quota.sum())
        self.centres = np.empty((total, geometry.X.shape[1]), dtype=geometry.dtype)
        self.centre_aux = np.empty(total, dtype=geometry.dtype)
        self.n_centres = 0
        self.n_refreshed = 0

    def add_centre(self, j: int) -> None:
        row = self.geometry.rows(self.task.candidates[j : j + 1])
        self.centres[self.n_centres] = row[0]
        self.centre_aux[self.n_centres] = self.geometry.aux(row)[0]
        self.n_centres += 1

    def refresh(self, positions: np.ndarray) -> None:
        """Make the bounds at ``positions`` exact, comparing with new centres only."""
        t = self.n_centres
        stale = positions[self.seen[positions] < t]
        if len(stale) == 0:
            return
        # Oldest bounds first, so each block compares with as few centres as it can.
        stale = stale[np.argsort(self.seen[stale], kind="stable")]
        step = self.geometry.chunk_size
        for start in range(0, len(stale), step):
            block = stale[start : start + step]
            A = self.geometry.rows(self.task.candidates[block])
            aux = self.geometry.aux(A)
            best = self.upper[block]
            for c in range(int(self.seen[block].min()), t, step):
                stop = min(c + step, t)
                D = self.geometry.block(
                    A, aux, self.centres[c:stop], self.centre_aux[c:stop]
                )
                np.minimum(best, D.min(axis=1), out=best)
            self.upper[block] = best
        self.seen[stale] = t
        self.n_refreshed += len(stale)

    def farthest(self, eligible: np.ndarray, n_open: int) -> int:
        """Position of the eligible candidate farthest from every centre.

        Ties go to the better priority, as in the textbook version.
        """
        batch = _FIRST_BATCH
        while True:
            key = np.where(eligible, self.upper, -np.inf)
            if batch >= n_open:
                top = np.flatnonzero(eligible)
                outside = -np.inf
            else:
                part = np.argpartition(-key, batch)
                top = part[:batch]
                outside = key[part[batch]]  # largest bound left out of the batch
            self.refresh(top)
            values = self.upper[top]
            best = values.max()
            if best > outside or batch >= n_open:
                ties = top[values == best]
                return int(ties[np.argmin(self.task.prank[ties])])
            batch *= 2


def run_kcenter(geometry: Geometry, task: Task) -> Picks:
    """Greedy k-center within the quotas of ``task`` (see the module docstring)."""
    bounds = _Bounds(geometry, task)
    eligible = task.open_at_start()
    n_open = int(eligible.sum())
    taken = np.zeros_like(task.quota)
    picks = Picks()
    with threadpool_limits(limits=_LOOP_BLAS_THREADS, user_api="blas"):
        for _ in range(int(task.quota.sum())):
            if n_open == 0:
                break
            j = bounds.farthest(eligible, n_open)
            distance = float(bounds.upper[j])
            picks.notes.append(
                f"k-center: farthest point, distance {distance:.3g}"
                if np.isfinite(distance)
                else "k-center: first centre (nothing covered yet), best-ranked"
            )
            picks.positions.append(j)
            picks.distances.append(distance)
            task.take(j, eligible, taken)
            n_open = int(eligible.sum())
            bounds.add_centre(j)
    logger.debug(
        "k-center: %d picks compared %d candidate bounds with new centres "
        "(a full update would compare %d)",
        len(picks.positions),
        bounds.n_refreshed,
        len(task.candidates) * max(len(picks.positions) - 1, 0),
    )
    return picks


def kcenter_greedy(
    embeddings: ArrayLike,
    n_select: int,
    *,
    candidates: ArrayLike | None = None,
    covered: ArrayLike | None = None,
    priority: ArrayLike | None = None,
    metric: str = "euclidean",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> NDArray[np.int64]:
    """Choose samples by greedy k-center (farthest-first traversal).

    Each step takes the candidate farthest from every covered and already chosen
    sample, which keeps the coverage radius within twice the optimum [1]_. Each
    candidate keeps an upper bound on its distance to the nearest centre, and only
    the candidates whose bounds could make them the farthest are compared with new
    centres; the picks equal those of the textbook algorithm, and no matrix of all
    pairs is formed.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
        The pool. float32 is computed in float32, other dtypes in float64; pairs
        that are close compared with their norms are recomputed from their
        differences, so distinct points never come out at distance 0.
    n_select : int
        Number of samples to choose.
    candidates : array-like of int or bool, optional
        Rows that may be chosen (indices or a boolean mask); all rows by default.
    covered : array-like of int or bool, optional
        Rows that count as centres already (for instance the labeled set). They are
        never chosen.
    priority : array-like of shape (n_samples,), optional
        Higher first. Decides the first pick when nothing is covered and breaks
        ties in distance. By default, samples nearer the candidates' mean come
        first.
    metric : {"euclidean", "cosine"}, default="euclidean"
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
        Rows per block of every distance computation.

    Returns
    -------
    ndarray of shape (n_select,), dtype int64
        Row indices in selection order.

    References
    ----------
    .. [1] O. Sener and S. Savarese. Active Learning for Convolutional Neural
       Networks: A Core-Set Approach. ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from seedselect.selection import kcenter_greedy
    >>> X = np.array([[0.0], [0.1], [0.2], [10.0]])
    >>> kcenter_greedy(X, 2, covered=[0]).tolist()
    [3, 2]
    """
    chunk_size = check_count(chunk_size, "chunk_size", minimum=1)
    X = check_embeddings(embeddings, chunk_size=chunk_size)
    n = X.shape[0]
    n_select = check_count(n_select, "n_select")
    geometry = Geometry(X, check_metric(metric), chunk_size)
    if metric == "cosine":
        check_nonzero_rows(geometry)
    cover = (
        np.empty(0, dtype=np.int64)
        if covered is None
        else as_index_array(covered, n, "covered")
    )
    if candidates is None:
        pool = np.arange(n, dtype=np.int64)
    else:
        pool = as_index_array(candidates, n, "candidates")
    pool = np.setdiff1d(pool, cover).astype(np.int64)
    if n_select > len(pool):
        raise InputError(
            f"n_select={n_select} exceeds the {len(pool)} candidates that are not "
            "covered; lower n_select or pass more candidates"
        )
    if priority is None:
        key = -geometry.to_vector(pool, geometry.mean(pool))
    else:
        values = check_scores(priority, "priority")
        if len(values) != n:
            raise InputError(
                f"priority has {len(values)} entries but embeddings has {n} rows; "
                "pass one value per sample"
            )
        key = values[pool]
    prank = np.empty(len(pool), dtype=np.int64)
    prank[np.lexsort((pool, -key))] = np.arange(len(pool))
    task = Task(
        candidates=pool,
        prank=prank,
        codes=np.zeros(len(pool), dtype=np.int64),
        quota=np.array([n_select], dtype=np.int64),
        upper=np.array([n_select], dtype=np.int64),
        covered=cover,
    )
    picks = run_kcenter(geometry, task)
    return pool[np.asarray(picks.positions, dtype=np.int64)]
