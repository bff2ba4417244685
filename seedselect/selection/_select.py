"""The entry point: choose a batch from a pool of scored (or embedded) samples."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .._exceptions import InputError
from .._validation import RandomState, check_random_state
from ._balance import ClassPlan, class_table, plan_classes
from ._checks import Request, check_request
from ._distances import (
    DEFAULT_CHUNK_SIZE,
    CandidateSpace,
    Geometry,
    check_nonzero_rows,
)
from ._diversity import (
    AUTO_CANDIDATE_FRACTION,
    AUTO_DIVERSITY,
    AUTO_MIN_CANDIDATES_PER_PICK,
    DIVERSITY_MODES,
    Picks,
    Task,
    fit_clusters,
    run_clusters,
    run_dedup,
    run_weighted,
)
from ._gates import (
    gate_mask,
    hardest_per_group,
    priority_order,
    ranks_from_order,
    score_order,
    top_count,
)
from ._kcenter import run_kcenter
from ._result import CLASS_TABLE_COLUMNS, SelectionResult
from ._typicality import DEFAULT_N_NEIGHBORS, typicality_of_rows

__all__ = ["select_batch"]

logger = logging.getLogger(__name__)


def select_batch(
    n_select: int,
    *,
    scores: ArrayLike | None = None,
    embeddings: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    exclude: ArrayLike | None = None,
    threshold: float | None = None,
    quantile_range: tuple[float, float] | None = None,
    top_fraction: float | None = None,
    sampling: str = "greedy",
    sampling_power: float = 1.0,
    sampling_temperature: float = 1.0,
    balance: str | Mapping[Any, int] | None = None,
    min_per_class: int | Mapping[Any, int] | None = None,
    max_per_class: int | Mapping[Any, int] | None = None,
    diversity: str | None = AUTO_DIVERSITY,
    radius: float | None = None,
    n_clusters: int | None = None,
    diversity_weight: float = 0.5,
    metric: str = "euclidean",
    n_neighbors: int = DEFAULT_N_NEIGHBORS,
    allow_shortfall: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    random_state: RandomState = None,
) -> SelectionResult:
    """Choose ``n_select`` samples from a pool for labeling.

    The steps, in order:

    1. **Exclusions.** ``exclude`` samples are never chosen; they still count as
       covered for ``diversity="kcenter"``, ``"weighted"`` and ``"dedup"``.
    2. **Gates.** Of the rest, only samples that pass every gate given
       (``threshold``, ``quantile_range``, ``top_fraction``, each computed on the
       non-excluded pool) are candidates.
    3. **Priority.** Candidates are ordered by score (ties broken by a random
       permutation drawn from ``random_state``), or by a random draw that favours
       high scores (``sampling="power"`` or ``"softmax"``). Without scores (a cold
       start) the score is the typicality of each candidate [3]_.
    4. **Quotas.** With ``balance``, ``n_select`` is split over the classes in
       ``labels`` (see Notes); each class's quota is then filled from its own
       candidates.
    5. **Diversity.** Within the quotas, candidates are taken in priority order
       (``diversity=None``) or by one of the diversity rules below. Samples chosen
       for one class count as covered for the others. The default,
       ``diversity="auto"``, picks the rule from the inputs (see below).

    Parameters
    ----------
    n_select : int
        Number of samples to choose.
    scores : array-like of shape (n_samples,), optional
        Hardness of each sample, higher = harder. Without scores, ``embeddings``
        are required and the selection is a cold start: typicality replaces the
        score and ``diversity`` defaults to ``"cluster"`` (TypiClust [3]_).
    embeddings : array-like of shape (n_samples, n_features), optional
        Needed by every diversity rule. float32 is computed in float32.
    labels : array-like of shape (n_samples,), optional
        Class of each sample (predicted or true), for ``balance`` and for the
        result's ``label`` column.
    exclude : array-like of bool or int, optional
        Samples never to choose (already labeled, chosen in an earlier batch), as a
        boolean mask or row indices.
    threshold : float, optional
        Keep only samples with ``score >= threshold``.
    quantile_range : tuple of (float, float), optional
        Keep only samples whose score lies between these quantiles of the pool's
        scores, e.g. ``(0.9, 1.0)`` for the top tenth.
    top_fraction : float, optional
        Keep only the ``ceil(top_fraction * n_pool)`` highest-scoring samples, e.g.
        ``0.05``. This is the hardness-gated candidate set that keeps diversity
        cheap on very large pools.
    sampling : {"greedy", "power", "softmax"}, default="greedy"
        ``"greedy"`` ranks by score. ``"power"`` draws without replacement with
        probability proportional to ``scores**sampling_power`` (scores must be
        >= 0), ``"softmax"`` proportional to ``exp(scores /
        sampling_temperature)``, for some exploration. The whole order is drawn at
        once with the Gumbel top-k trick [2]_.
    sampling_power : float, default=1.0
    sampling_temperature : float, default=1.0
    balance : {"equal", "proportional", "inverse"} or mapping, optional
        Per-class quotas: equal, proportional to the class sizes in the pool,
        inversely proportional to them, or ``{class: count}`` adding up to
        ``n_select``.
    min_per_class, max_per_class : int or mapping, optional
        Bounds on each class's quota (an int for every class, or ``{class: int}``).
    diversity : str or None, default="auto"
        One of ``"auto"``, ``"kcenter"``, ``"dedup"``, ``"cluster"``, ``"weighted"`` or
        None. ``"auto"`` decides from the inputs. With scores and embeddings: cluster
        round-robin (as ``"cluster"``) on the hardest tenth of the candidates
        (``AUTO_CANDIDATE_FRACTION``), taken after exclusions and gates and widened to
        at least ``AUTO_MIN_CANDIDATES_PER_PICK = 5`` candidates per sample to choose
        (all of them if there are fewer); with ``balance``, the hardest tenth of each
        class's candidates, widened to five per sample of that class's quota. This
        narrowing belongs to the diversity step: it is not a gate and does not change
        the quotas or ``class_table``. With scores only: plain ranking, as ``None``.
        With embeddings only: the cold start (see ``scores``).
        ``result.config["diversity"]`` records the rule used (with
        ``"diversity_requested"`` the argument given), and each reason says it.
        ``None`` ranks by priority alone, even when embeddings are given.
        ``"kcenter"``: greedy k-center [1]_, each pick the candidate farthest from
        every excluded and chosen sample (scores then only gate and break ties).
        ``"dedup"``: priority order, skipping candidates within ``radius`` of an
        excluded or chosen sample. ``"cluster"``: k-means on the candidates, then
        each cluster's best-ranked candidate in turn. ``"weighted"``: each pick
        maximises ``(1 - diversity_weight) * p + diversity_weight * d``, where
        ``p`` is the priority as a fraction (1 best, 0 worst) and ``d`` the
        distance to the excluded and chosen samples over the largest such distance.
    radius : float, optional
        Near-duplicate radius for ``diversity="dedup"`` (required there).
    n_clusters : int, optional
        Clusters for ``diversity="cluster"``; default ``min(n_select,
        n_candidates)``.
    diversity_weight : float, default=0.5
        Trade-off for ``diversity="weighted"``, in [0, 1].
    metric : {"euclidean", "cosine"}, default="euclidean"
    n_neighbors : int, default=20
        Neighbours for typicality on a cold start.
    allow_shortfall : bool, default=False
        When fewer than ``n_select`` samples can be chosen, return them with
        ``result.shortfall > 0`` and log a warning instead of raising InputError.
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
        Rows per block of every distance computation; memory for distances is of
        order ``chunk_size**2`` numbers.
    random_state : int, numpy.random.Generator or None
        Drives tie-breaks, sampling and k-means. The same inputs and seed give the
        same result.

    Returns
    -------
    SelectionResult
        ``indices`` in selection order, a reason for each, ``class_table`` and
        ``to_frame()``.

    Raises
    ------
    InputError
        For arrays of mismatched lengths, NaN or infinite values, an empty pool,
        negative or non-integer counts, quotas for unknown classes, options that do
        not fit together, or more samples asked for than the pool can give (unless
        ``allow_shortfall=True``).

    Notes
    -----
    Quotas (``balance``): targets are apportioned by the largest-remainder method
    within ``[min_per_class, max_per_class]`` over the classes present in the pool,
    so they add up to ``n_select`` exactly. A class with fewer candidates than its
    target takes all it has; the rest goes to the classes with spare candidates in
    proportion to how many they have left (capped by ``max_per_class``). With
    ``diversity="dedup"`` the same rule runs again when near-duplicates use up a
    class's candidates. ``class_table`` reports each class's target, available
    count, final quota and chosen count.

    The default ``diversity="auto"`` comes from the active-learning benchmark in
    ``benchmarks/README_active_learning.md``: with margin scores, cluster
    round-robin on the hardest tenth had the best area under the learning curve
    of the seedselect rules on four real datasets, while cluster on the whole pool
    follows its density (on a long-tailed pool, the head classes) and ``kcenter``
    and ``"weighted"`` reach for outliers. Clustering only the hardest tenth also
    keeps k-means cheap on large pools.

    Cost: greedy k-center keeps an upper bound on each candidate's distance to
    the chosen and excluded samples and compares only the candidates whose bound
    could make them the farthest with each new pick, so a pick usually costs far
    less than a pass over the candidates (the picks are those of the textbook
    algorithm). The weighted rule makes one pass over the candidates per pick. Both
    first measure, once, the distances from the candidates to the excluded
    samples. The ``distance`` column of the other rules costs ``n_select *
    (n_excluded + n_select)`` distances. A cold start without clusters computes
    typicality over all candidates, ``O(n_candidates**2 * n_features)`` time; with
    ``diversity="cluster"`` only within each cluster. Nothing forms an all-pairs
    matrix: memory for distances stays of order ``chunk_size**2``.

    References
    ----------
    .. [1] O. Sener and S. Savarese. Active Learning for Convolutional Neural
       Networks: A Core-Set Approach. ICLR 2018.
    .. [2] W. Kool, H. van Hoof and M. Welling. Stochastic Beams and Where to Find
       Them: The Gumbel-Top-k Trick for Sampling Sequences Without Replacement.
       ICML 2019.
    .. [3] G. Hacohen, A. Dekel and D. Weinshall. Active Learning on a Budget:
       Opposite Strategies Suit High and Low Budgets. ICML 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from seedselect.selection import select_batch
    >>> rng = np.random.default_rng(0)
    >>> scores = rng.random(100)
    >>> labels = np.where(np.arange(100) < 90, "common", "rare")
    >>> result = select_batch(10, scores=scores, labels=labels, balance="equal",
    ...                       random_state=0)
    >>> result.class_table[["class", "target", "chosen"]].to_numpy().tolist()
    [['common', 5, 5], ['rare', 5, 5]]
    >>> X = rng.normal(size=(100, 8))
    >>> result = select_batch(5, scores=scores, embeddings=X, diversity="kcenter",
    ...                       exclude=[0, 1], random_state=0)
    >>> result.n_selected, result.shortfall
    (5, 0)
    >>> result = select_batch(5, scores=scores, embeddings=X, random_state=0)
    >>> result.config["diversity"], result.config["n_candidates"]
    ('cluster', 25)
    """
    if isinstance(diversity, str) and diversity not in (
        AUTO_DIVERSITY,
        *DIVERSITY_MODES,
    ):
        raise InputError(
            f"diversity={diversity!r} is not one of {AUTO_DIVERSITY!r} (the "
            f"default), None, {', '.join(repr(d) for d in DIVERSITY_MODES)}"
        )
    auto = diversity == AUTO_DIVERSITY
    if auto:
        diversity = _resolve_auto(
            have_scores=scores is not None,
            have_embeddings=embeddings is not None,
            radius=radius,
            n_clusters=n_clusters,
        )
    request = check_request(
        n_select,
        scores=scores,
        embeddings=embeddings,
        labels=labels,
        exclude=exclude,
        threshold=threshold,
        quantile_range=quantile_range,
        top_fraction=top_fraction,
        sampling=sampling,
        sampling_power=sampling_power,
        sampling_temperature=sampling_temperature,
        balance=balance,
        min_per_class=min_per_class,
        max_per_class=max_per_class,
        diversity=diversity,
        radius=radius,
        n_clusters=n_clusters,
        diversity_weight=diversity_weight,
        metric=metric,
        n_neighbors=n_neighbors,
        allow_shortfall=allow_shortfall,
        chunk_size=chunk_size,
    )
    rng = check_random_state(random_state)
    config = _config(request, random_state)
    config["diversity_requested"] = AUTO_DIVERSITY if auto else diversity
    narrow = auto and request.scores is not None and request.X is not None
    if narrow:
        config.update(
            auto_candidate_fraction=AUTO_CANDIDATE_FRACTION,
            auto_min_candidates_per_pick=AUTO_MIN_CANDIDATES_PER_PICK,
        )
    return _select(request, rng, config, auto=auto, narrow=narrow)


def _resolve_auto(
    *,
    have_scores: bool,
    have_embeddings: bool,
    radius: float | None,
    n_clusters: int | None,
) -> str | None:
    """The diversity rule ``diversity="auto"`` stands for, given the inputs."""
    if radius is not None:
        raise InputError(
            f"radius={radius!r} is used only with diversity='dedup', and "
            "diversity='auto' (the default) never deduplicates; set "
            "diversity='dedup' or drop radius"
        )
    if have_embeddings:
        # Scores and embeddings: cluster on the hardest candidates. Embeddings
        # alone: the cold start, which check_request turns into cluster.
        return "cluster" if have_scores else None
    if n_clusters is not None:
        raise InputError(
            f"n_clusters={n_clusters!r} needs clusters, but diversity='auto' "
            "clusters only when embeddings are given; pass embeddings or drop "
            "n_clusters"
        )
    return None


def _config(request: Request, random_state: RandomState) -> dict[str, Any]:
    """The options of a selection, JSON-friendly, for run records."""
    seed: int | str | None
    if isinstance(random_state, np.random.Generator):
        seed = "numpy.random.Generator"
    else:
        seed = None if random_state is None else int(random_state)
    return {
        "n_select": request.n_select,
        "threshold": request.threshold,
        "quantile_range": request.quantile_range,
        "top_fraction": request.top_fraction,
        "sampling": request.sampling,
        "sampling_power": request.sampling_power,
        "sampling_temperature": request.sampling_temperature,
        "balance": request.balance,
        "min_per_class": request.min_per_class,
        "max_per_class": request.max_per_class,
        "diversity": request.diversity,
        "cold_start": request.cold_start,
        "radius": request.radius,
        "n_clusters": request.n_clusters,
        "diversity_weight": request.diversity_weight,
        "metric": request.metric,
        "n_neighbors": request.n_neighbors,
        "allow_shortfall": request.allow_shortfall,
        "chunk_size": request.chunk_size,
        "random_state": seed,
    }


def _select(
    request: Request,
    rng: np.random.Generator,
    config: dict[str, Any],
    *,
    auto: bool = False,
    narrow: bool = False,
) -> SelectionResult:
    n = request.n_samples
    tiebreak = rng.permutation(n)

    # Exclusions and gates give the candidates.
    pool = np.ones(n, dtype=bool)
    pool[request.excluded] = False
    if request.scores is not None:
        keep = gate_mask(
            request.scores,
            pool,
            tiebreak,
            threshold=request.threshold,
            quantile_range=request.quantile_range,
            top_fraction=request.top_fraction,
        )
    else:
        keep = pool
    candidates = np.flatnonzero(keep).astype(np.int64, copy=False)
    m = len(candidates)
    config.update(n_pool=n, n_excluded=len(request.excluded), n_candidates=m)

    # Quotas per class, and the shortfall they imply.
    codes = request.codes if request.codes is not None else np.zeros(n, np.int64)
    names = request.names if request.codes is not None else [None]
    plan = plan_classes(
        request.n_select,
        request.balance,
        names=names,
        pool_codes=codes[pool],
        candidate_codes=codes[candidates],
        min_per_class=request.min_per_class,
        max_per_class=request.max_per_class,
    )
    planned = int(plan.quota.sum())
    if planned < request.n_select and not request.allow_shortfall:
        raise InputError(_shortfall_message(request, plan, m, int(pool.sum())))

    # diversity="auto": cluster only the hardest of the candidates (of each class).
    n_before = m
    if narrow and m > 0:
        assert request.scores is not None
        groups = codes[candidates] if plan.balanced else np.zeros(m, np.int64)
        candidates = candidates[
            hardest_per_group(
                request.scores[candidates],
                tiebreak[candidates],
                groups,
                _auto_counts(np.bincount(groups, minlength=len(plan.quota)), plan),
            )
        ]
        m = len(candidates)
        config["n_candidates"] = m
        logger.debug("diversity='auto' clusters the hardest %d of %d", m, n_before)

    geometry = None
    if request.X is not None:
        geometry = Geometry(request.X, request.metric, request.chunk_size)
        if request.metric == "cosine":
            check_nonzero_rows(geometry)

    # Clusters (before typicality, which a cold start computes within them).
    clusters = None
    if request.diversity == "cluster" and planned > 0:
        assert geometry is not None
        n_clusters = request.n_clusters or min(request.n_select, m)
        if n_clusters > m:
            raise InputError(
                f"n_clusters={n_clusters} exceeds the {m} candidates; lower "
                "n_clusters or widen the gates"
            )
        config["n_clusters"] = n_clusters
        clusters = fit_clusters(geometry, candidates, n_clusters, rng)

    # Scores and priority of each candidate.
    if request.scores is not None:
        cand_scores = request.scores[candidates]
    else:
        assert geometry is not None
        groups = clusters if clusters is not None else np.zeros(m, np.int64)
        cand_scores = typicality_of_rows(
            geometry, candidates, groups, request.n_neighbors
        )
    sorder = score_order(cand_scores, tiebreak[candidates])
    score_rank = ranks_from_order(sorder) + 1
    if request.sampling == "greedy":
        porder = sorder
    else:
        porder = priority_order(
            cand_scores,
            tiebreak[candidates],
            sampling=request.sampling,
            power=request.sampling_power,
            temperature=request.sampling_temperature,
            rng=rng,
        )
    prank = ranks_from_order(porder)

    task = Task(
        candidates=candidates,
        prank=prank,
        codes=codes[candidates] if plan.balanced else np.zeros(m, np.int64),
        quota=plan.quota,
        upper=plan.upper,
        covered=request.excluded,
    )
    picks = _run(request, task, porder, geometry, clusters, planned)
    if picks.quota is not None and plan.balanced:
        plan.quota = picks.quota
    prefix = _auto_prefix(request, m, n_before) if auto else ""
    return _result(
        request, plan, task, picks, cand_scores, score_rank, codes, config, prefix
    )


def _auto_counts(available: np.ndarray, plan: ClassPlan) -> np.ndarray:
    """Candidates ``diversity="auto"`` keeps per quota group: the hardest tenth,
    widened to AUTO_MIN_CANDIDATES_PER_PICK per sample of the group's quota."""
    counts = np.array(
        [top_count(AUTO_CANDIDATE_FRACTION, int(a)) for a in available],
        dtype=np.int64,
    )
    counts = np.maximum(counts, AUTO_MIN_CANDIDATES_PER_PICK * plan.quota)
    return np.minimum(counts, available)


def _auto_prefix(request: Request, m: int, n_before: int) -> str:
    """What ``diversity="auto"`` resolved to, for the reasons."""
    if request.cold_start:
        return "auto: cold start (no scores), typical sample per cluster; "
    if request.diversity is None:
        return "auto: plain ranking (no embeddings); "
    return f"auto: cluster on the hardest {m} of {n_before} candidates; "


def _run(
    request: Request,
    task: Task,
    porder: np.ndarray,
    geometry: Geometry | None,
    clusters: np.ndarray | None,
    planned: int,
) -> Picks:
    """Fill the quotas with the selector ``request.diversity`` names."""
    if planned == 0:
        return Picks()
    if request.diversity is None and len(task.quota) == 1:
        # One class: the quota is a prefix of the priority order.
        picks = Picks(positions=porder[: int(task.quota[0])].tolist())
    elif request.diversity is None:
        group = task.codes[porder]
        picks = Picks(
            positions=porder[_running_count(group) < task.quota[group]].tolist()
        )
    elif request.diversity == "kcenter":
        assert geometry is not None
        return run_kcenter(geometry, task)
    elif request.diversity == "weighted":
        assert geometry is not None
        space = CandidateSpace(geometry, task.candidates)
        return run_weighted(space, task, weight=request.diversity_weight)
    elif request.diversity == "dedup":
        assert geometry is not None and request.radius is not None
        return run_dedup(geometry, task, radius=request.radius)
    else:
        assert clusters is not None
        picks = run_clusters(task, clusters)

    # Distances for the selectors that do not track them as they go.
    if geometry is not None:
        chosen = task.candidates[np.asarray(picks.positions, dtype=np.int64)]
        picks.distances = geometry.sequential_nearest(chosen, task.covered).tolist()
    else:
        picks.distances = [np.nan] * len(picks.positions)
    return picks


def _running_count(group: np.ndarray) -> np.ndarray:
    """For each entry, how many earlier entries have the same value."""
    order = np.argsort(group, kind="stable")
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    sizes = np.diff(np.r_[starts, len(group)])
    within = np.arange(len(group)) - np.repeat(starts, sizes)
    out = np.empty(len(group), dtype=np.int64)
    out[order] = within
    return out


def _shortfall_message(request: Request, plan: ClassPlan, m: int, n_pool: int) -> str:
    n_select = request.n_select
    n_gated = n_pool - m
    where = (
        f"{m} candidates left of {request.n_samples} samples "
        f"({len(request.excluded)} excluded, {n_gated} removed by gates)"
    )
    if m < n_select:
        return (
            f"n_select={n_select} exceeds the {where}; lower n_select, widen the "
            "gates or pass allow_shortfall=True"
        )
    return (
        f"the class quotas can fill only {int(plan.quota.sum())} of "
        f"n_select={n_select} from the {where}, given max_per_class and the "
        "candidates of each class; raise max_per_class, lower n_select or pass "
        "allow_shortfall=True"
    )


def _result(
    request: Request,
    plan: ClassPlan,
    task: Task,
    picks: Picks,
    cand_scores: np.ndarray,
    score_rank: np.ndarray,
    codes: np.ndarray,
    config: dict[str, Any],
    prefix: str = "",
) -> SelectionResult:
    positions = np.asarray(picks.positions, dtype=np.int64)
    indices = task.candidates[positions]
    m = len(task.candidates)
    n_selected = len(indices)

    labels: list[Any] = [None] * n_selected
    quota_classes: list[Any] = [None] * n_selected
    if request.codes is not None:
        labels = [plan.names[c] for c in codes[indices]]
        if plan.balanced:
            quota_classes = list(labels)

    word = "typicality rank" if request.cold_start else "rank"
    reasons = []
    for k, p in enumerate(positions.tolist()):
        if request.sampling == "greedy":
            phrase = f"{word} {score_rank[p]} of {m}"
        else:
            phrase = (
                f"{request.sampling} draw {task.prank[p] + 1} of {m}, {word} "
                f"{score_rank[p]}"
            )
        if plan.balanced:
            code = int(task.codes[p])
            phrase += f" in {plan.label(code)} (quota {int(plan.quota[code])})"
        note = picks.notes[k] if picks.notes else ""
        reasons.append(prefix + (f"{note}; {phrase}" if note else phrase))

    if request.codes is None:
        table = pd.DataFrame({c: [] for c in CLASS_TABLE_COLUMNS})
    else:
        table = class_table(plan, codes[indices])

    shortfall = request.n_select - n_selected
    if shortfall > 0:
        if not request.allow_shortfall:
            raise InputError(
                f"only {n_selected} of n_select={request.n_select} samples lie "
                f"farther than radius={request.radius} from each other and from "
                "the excluded samples; lower radius or n_select, or pass "
                "allow_shortfall=True"
            )
        logger.warning(
            "selected %d of the %d samples asked for (shortfall %d) from %d candidates",
            n_selected,
            request.n_select,
            shortfall,
            m,
        )
    logger.debug("selected %d of %d candidates", n_selected, m)
    return SelectionResult(
        indices=indices,
        n_requested=request.n_select,
        scores=cand_scores[positions],
        ranks=score_rank[positions],
        labels=np.array(labels + [None], dtype=object)[:-1],
        quota_classes=np.array(quota_classes + [None], dtype=object)[:-1],
        clusters=(
            np.asarray(picks.clusters, dtype=np.int64)
            if picks.clusters is not None
            else np.full(n_selected, -1, dtype=np.int64)
        ),
        distances=np.asarray(picks.distances, dtype=np.float64),
        reasons=tuple(reasons),
        class_table=table,
        config=config,
    )
