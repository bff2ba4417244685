"""Diversity selectors that fill per-class quotas from a priority order.

Each selector receives a :class:`Task`: the candidate rows, their priority rank
(0 = most wanted), a quota group per candidate and the quota of each group, and the
rows that count as covered (excluded samples). Quotas are filled exactly when the
candidates allow it; picks of one group count as covered for every other group.

- :func:`run_weighted` -- a weighted trade-off between priority and distance to
  the covered samples (greedy k-center itself lives in ``_kcenter``).
- :func:`run_dedup` -- priority order, skipping any candidate within a radius of an
  excluded or already chosen sample.
- :func:`run_clusters` -- round-robin over clusters, best-ranked first.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import ConvergenceWarning

from ._balance import redistribute
from ._distances import CandidateSpace, Geometry

__all__ = [
    "AUTO_CANDIDATE_FRACTION",
    "AUTO_DIVERSITY",
    "AUTO_MIN_CANDIDATES_PER_PICK",
    "DIVERSITY_MODES",
    "Picks",
    "Task",
]

logger = logging.getLogger(__name__)

#: Diversity selectors :func:`~seedselect.selection.select_batch` offers.
DIVERSITY_MODES: tuple[str, ...] = ("kcenter", "dedup", "cluster", "weighted")

#: The default of ``select_batch(diversity=...)``: chooses a rule from the inputs
#: (see :func:`~seedselect.selection.select_batch`). Not a selector of its own, so
#: not in :data:`DIVERSITY_MODES`.
AUTO_DIVERSITY = "auto"

# With scores and embeddings, diversity="auto" runs cluster round-robin on the
# hardest tenth of the candidates. In benchmarks/README_active_learning.md (4 real
# datasets, 10 seeds) margin + cluster on the hardest tenth beat plain margin on
# every dataset, while ungated cluster, kcenter and weighted lost to it on the
# long-tailed and the 5,000-sample pools.
AUTO_CANDIDATE_FRACTION = 0.1

# ...but never fewer than this many candidates per sample to choose (or all of
# them), so small pools and large batches still leave k-means a choice within each
# cluster. The benchmark's tenth gave 5 to 17 candidates per pick.
AUTO_MIN_CANDIDATES_PER_PICK = 5

# Candidates examined per distance block in the near-duplicate scan. Each block costs
# one product against the chosen set; a small block wastes little work when the
# quotas fill part-way through it.
_SCAN_BLOCK = 256

# Above this many candidates, clusters come from MiniBatchKMeans instead of KMeans:
# full Lloyd iterations over tens of thousands of rows and a thousand centres take
# minutes, mini-batches take seconds.
_FULL_KMEANS_LIMIT = 10_000


@dataclass
class Task:
    """What a diversity selector fills (see the module docstring)."""

    candidates: NDArray[np.int64]
    prank: NDArray[np.int64]
    codes: NDArray[np.int64]
    quota: NDArray[np.int64]
    upper: NDArray[np.int64]
    covered: NDArray[np.int64]

    def open_at_start(self) -> NDArray[np.bool_]:
        """Which candidates may be chosen before any pick."""
        return np.asarray(self.quota[self.codes] > 0)

    def take(self, j: int, eligible: np.ndarray, taken: np.ndarray) -> None:
        """Record the pick of candidate ``j``; close its group once it is full."""
        eligible[j] = False
        code = self.codes[j]
        taken[code] += 1
        if taken[code] >= self.quota[code]:
            eligible[self.codes == code] = False


@dataclass
class Picks:
    """Chosen candidates (positions into ``Task.candidates``) in selection order."""

    positions: list[int] = field(default_factory=list)
    distances: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    clusters: list[int] | None = None
    quota: NDArray[np.int64] | None = None


def run_weighted(space: CandidateSpace, task: Task, *, weight: float) -> Picks:
    """Greedy trade-off between priority and distance to the covered samples.

    Each step takes the eligible candidate with the largest ``(1 - weight) * p +
    weight * d``, where ``p`` is the candidate's priority as a fraction (1 for the
    first, 0 for the last) and ``d`` its distance to the covered and chosen samples
    divided by the largest such distance among the eligible candidates (ties:
    better priority). The distance vector is updated in place after each pick: one
    pass over the candidates, never a matrix of all pairs.
    """
    m = len(task.candidates)
    if len(task.covered):
        nearest = space.to_rows(task.covered)
    else:
        nearest = np.full(m, np.inf, dtype=space.geometry.dtype)
    eligible = task.open_at_start()
    taken = np.zeros_like(task.quota)
    fraction = 1.0 - task.prank / max(m - 1, 1)
    picks = Picks()
    for _ in range(int(task.quota.sum())):
        if not eligible.any():
            break
        key, scaled = _weighted_value(nearest, fraction, eligible, weight)
        best = key.max()
        ties = np.flatnonzero(key == best)
        j = int(ties[np.argmin(task.prank[ties])])
        distance = float(nearest[j])
        picks.notes.append(
            f"weighted: value {float(best):.3g} from priority "
            f"{float(fraction[j]):.3g} and distance {distance:.3g} "
            f"({float(scaled[j]):.2f} of the farthest)"
        )
        picks.positions.append(j)
        picks.distances.append(distance)
        task.take(j, eligible, taken)
        np.minimum(nearest, space.to_row(int(task.candidates[j])), out=nearest)
    return picks


def _weighted_value(
    nearest: np.ndarray, fraction: np.ndarray, eligible: np.ndarray, weight: float
) -> tuple[np.ndarray, np.ndarray]:
    """Trade-off value of each candidate (-inf where not eligible), scaled distance."""
    top = float(nearest[eligible].max())
    if np.isinf(top):
        scaled = np.where(np.isinf(nearest), 1.0, 0.0)
    elif top > 0:
        scaled = nearest / top
    else:
        scaled = np.zeros(len(nearest))
    value = (1.0 - weight) * fraction + weight * scaled
    return np.where(eligible, value, -np.inf), scaled


def run_dedup(geometry: Geometry, task: Task, *, radius: float) -> Picks:
    """Priority order, skipping candidates within ``radius`` of covered or chosen.

    A skipped candidate stays skipped: later picks only add neighbours. When a group
    runs out of candidates that way, its unfilled quota moves to groups with
    candidates left (the rule of :func:`redistribute`) and the scan resumes.
    """
    m = len(task.candidates)
    order = np.argsort(task.prank, kind="stable")
    state = np.zeros(m, dtype=np.int8)  # 0 unvisited, 1 chosen, 2 suppressed
    quota = task.quota.copy()
    taken = np.zeros_like(quota)
    n_features = geometry.X.shape[1]
    chosen_rows = np.empty((int(quota.sum()), n_features), dtype=geometry.dtype)
    chosen_aux = np.empty(int(quota.sum()), dtype=geometry.dtype)
    picks = Picks()
    while True:
        _dedup_pass(
            geometry,
            task,
            radius,
            order,
            state,
            quota,
            taken,
            chosen_rows,
            chosen_aux,
            picks,
        )
        unvisited = np.bincount(task.codes[state == 0], minlength=len(quota))
        if (taken == quota).all() or not unvisited.any():
            break
        new_quota = redistribute(quota, taken + unvisited, task.upper)
        if (new_quota == quota).all():
            break
        logger.debug("dedup moved quota %s -> %s", quota.tolist(), new_quota.tolist())
        quota = new_quota
    picks.quota = quota
    n_suppressed = int((state == 2).sum())
    if n_suppressed:
        logger.debug(
            "dedup skipped %d candidates within radius %g", n_suppressed, radius
        )
    return picks


def _dedup_pass(
    geometry: Geometry,
    task: Task,
    radius: float,
    order: np.ndarray,
    state: np.ndarray,
    quota: np.ndarray,
    taken: np.ndarray,
    chosen_rows: np.ndarray,
    chosen_aux: np.ndarray,
    picks: Picks,
) -> None:
    """One scan over the unvisited candidates of groups with quota left."""
    pos = 0
    while pos < len(order) and (quota > taken).any():
        window = order[pos : pos + 4 * _SCAN_BLOCK]
        room = quota - taken
        ready = np.flatnonzero((state[window] == 0) & (room[task.codes[window]] > 0))
        if len(ready) == 0:
            pos += len(window)
            continue
        ready = ready[:_SCAN_BLOCK]
        batch = window[ready]
        pos += int(ready[-1]) + 1

        # Distances from the batch to covered samples, earlier picks, and itself.
        rows = geometry.rows(task.candidates[batch])
        aux = geometry.aux(rows)
        near = geometry.min_distance(task.candidates[batch], task.covered)
        n_chosen = len(picks.positions)
        if n_chosen:
            to_chosen = geometry.block(
                rows, aux, chosen_rows[:n_chosen], chosen_aux[:n_chosen]
            )
            np.minimum(near, to_chosen.min(axis=1), out=near)
        inner = geometry.block(rows, aux, rows, aux)

        accepted: list[int] = []
        for t, j in enumerate(batch.tolist()):
            code = task.codes[j]
            if taken[code] >= quota[code]:
                continue
            distance = float(near[t])
            if accepted:
                distance = min(distance, float(inner[t, accepted].min()))
            if distance <= radius:
                state[j] = 2
                continue
            state[j] = 1
            taken[code] += 1
            accepted.append(t)
            chosen_rows[len(picks.positions)] = rows[t]
            chosen_aux[len(picks.positions)] = aux[t]
            picks.positions.append(j)
            picks.distances.append(distance)
            picks.notes.append(
                f"no chosen or excluded sample within radius {radius:.3g} "
                + (
                    f"(nearest at {distance:.3g})"
                    if np.isfinite(distance)
                    else "(nothing chosen or excluded yet)"
                )
            )


def fit_clusters(
    geometry: Geometry,
    candidates: np.ndarray,
    n_clusters: int,
    rng: np.random.Generator,
) -> NDArray[np.int64]:
    """Cluster id of each candidate, from k-means seeded by ``rng``.

    Under the cosine metric the rows are scaled to unit length first.
    """
    A = geometry.rows(candidates)
    if geometry.metric == "cosine":
        A /= np.sqrt(np.einsum("ij,ij->i", A, A))[:, None]
    seed = int(rng.integers(np.iinfo(np.int32).max))
    model: KMeans | MiniBatchKMeans
    if len(candidates) > _FULL_KMEANS_LIMIT:
        model = MiniBatchKMeans(n_clusters=n_clusters, n_init=1, random_state=seed)
    else:
        model = KMeans(n_clusters=n_clusters, n_init=1, random_state=seed)
    with warnings.catch_warnings(record=True) as caught:
        # Duplicated rows can leave fewer distinct points than clusters; k-means
        # then warns and leaves some clusters empty, which round-robin handles.
        warnings.simplefilter("always", ConvergenceWarning)
        labels = model.fit_predict(A)
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            logger.debug("k-means: %s", warning.message)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return np.asarray(labels, dtype=np.int64)


def run_clusters(task: Task, clusters: np.ndarray) -> Picks:
    """Round-robin over clusters, taking each cluster's best-ranked candidate.

    Each step looks at every (group, cluster) pair whose group has quota left and
    takes, from the clusters with the fewest picks so far, the candidate with the
    best priority; so every cluster gets its first pick before any gets a second.
    """
    order = np.lexsort((task.prank, clusters, task.codes))
    pair = task.codes[order] * (int(clusters.max()) + 1) + clusters[order]
    start = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    end = np.r_[start[1:], len(order)]
    pair_code = task.codes[order[start]]
    pair_cluster = clusters[order[start]]
    cluster_size = np.bincount(clusters)

    head = start.copy()
    head_rank = task.prank[order[head]].astype(np.float64)
    picks_in = np.zeros(len(cluster_size), dtype=np.int64)
    taken = np.zeros_like(task.quota)
    chosen_clusters: list[int] = []
    picks = Picks(clusters=chosen_clusters)
    for _ in range(int(task.quota.sum())):
        open_ = (head < end) & (taken[pair_code] < task.quota[pair_code])
        if not open_.any():
            break
        load = np.where(open_, picks_in[pair_cluster], np.iinfo(np.int64).max)
        tied = np.flatnonzero(load == load.min())
        g = int(tied[np.argmin(head_rank[tied])])
        j = int(order[head[g]])
        cluster = int(pair_cluster[g])
        picks.notes.append(
            f"cluster {cluster} ({int(cluster_size[cluster])} candidates), turn "
            f"{int(picks_in[cluster]) + 1}: best-ranked left"
        )
        picks.positions.append(j)
        picks.distances.append(np.nan)
        chosen_clusters.append(cluster)

        picks_in[cluster] += 1
        taken[pair_code[g]] += 1
        head[g] += 1
        head_rank[g] = task.prank[order[head[g]]] if head[g] < end[g] else np.inf
    return picks
