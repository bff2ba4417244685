"""expand_seeds: find more samples like the seeds in an unlabeled pool.

The pool's embeddings are streamed from the database in chunks and every seed keeps
its exact nearest neighbours as they go by (:class:`seedselect._knn.TopK`), so
memory is bounded by a chunk and the pool may be far larger than what an
in-memory index holds. The seeds then take turns, each taking its nearest
neighbour that is not taken, not a near-duplicate of a sample taken before or of
an already-labeled sample, and whose class still has quota
(:func:`seedselect._knn.round_robin`). The choice is written like a selection
(tag, fields, saved view, run), with each chosen sample linked to the seed that
found it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import numpy as np

from .._exceptions import InputError
from .._knn import METRICS, TopK, min_distances, round_robin
from .._validation import RandomState, check_count, check_random_state
from ..selection import apportion
from ._io import (
    DEFAULT_CHUNK_SIZE,
    IdArray,
    chunk_slices,
    iter_chunks,
    round_trip,
)
from ._runs import database_errors
from ._select import (
    EmbeddingSource,
    PoolReader,
    RunPlan,
    check_run_plan,
    collection_ids,
    index_name,
    log_timings,
    resolve_label_path,
)
from ._selection_runs import (
    SeedExpansionRunConfig,
    Target,
    check_ownership,
    commit_selection,
    make_target,
    output_name,
    run_lock,
)

__all__ = ["expand_seeds"]

logger = logging.getLogger(__name__)

# Each seed keeps this many times its fair share (n_select / n_seeds) of
# neighbours by default, so that overlaps between seeds, near-duplicates and
# class quotas rarely exhaust a seed's list before the batch is full.
NEIGHBOR_FACTOR = 4

# Outputs written on each chosen sample, as ``<run_key>_<suffix>``.
_OUTPUTS = ("rank", "reason", "seed_id", "distance")


@database_errors("expand_seeds")
def expand_seeds(
    seeds: Any,
    pool: Any,
    n_select: int,
    *,
    embeddings_field: str | None = None,
    similarity_index: Any = None,
    seeds_embeddings_field: str | None = None,
    n_neighbors_per_seed: int | None = None,
    radius: float | None = 0.0,
    metric: str = "euclidean",
    exclude_tags: str | Iterable[str] | None = None,
    exclude_view: Any = None,
    label_field: str | None = None,
    balance_classes: bool = True,
    seed_order: Literal["given", "random"] = "given",
    allow_shortfall: bool = False,
    tag: str | None = None,
    run_key: str = "expansion",
    saved_view_name: str | None = None,
    random_state: RandomState = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Any = None,
) -> Any:
    """Find the pool samples nearest to the seeds, tag them and record the run.

    For every seed, the ``n_neighbors_per_seed`` nearest samples of ``pool`` are
    found by exact search over the pool's embeddings, read chunk by chunk. The
    seeds then take turns (round-robin, in ``seed_order``), each taking its nearest
    neighbour that is not yet taken, not within ``radius`` of a sample taken before
    or of an excluded (already labeled) sample or a seed, and whose class (when
    ``label_field`` is given) still has quota. The chosen samples are tagged,
    get ``<run_key>_rank``, ``<run_key>_reason``, ``<run_key>_seed_id`` (the seed
    that found them) and ``<run_key>_distance`` (to that seed), are saved as a view
    and recorded as a FiftyOne run on the pool's dataset.

    Parameters
    ----------
    seeds : fiftyone.core.collections.SampleCollection
        The seeds, e.g. the view :func:`select_seeds` returned. Read only.
    pool : fiftyone.core.collections.SampleCollection
        Where to look: a view of the same dataset (not containing the seeds) or
        of another dataset. Patches views work on both sides.
    n_select : int
        Number of pool samples to choose.
    embeddings_field : str, optional
        Field holding the embeddings, on the pool and (unless
        ``seeds_embeddings_field`` is given) on the seeds.
    similarity_index : str or SimilarityIndex, optional
        Instead of ``embeddings_field``: the brain key of a FiftyOne Brain
        similarity index on the pool's dataset, or the index. Seeds of the same
        dataset are read from it too; seeds elsewhere need
        ``seeds_embeddings_field``. Neighbours are computed exactly on the
        index's embeddings chunk by chunk, so pools larger than the index's
        in-memory limits work.
    seeds_embeddings_field : str, optional
        Field holding the seeds' embeddings, when it differs.
    n_neighbors_per_seed : int, optional
        Neighbours each seed considers; default ``NEIGHBOR_FACTOR`` (4) times
        ``ceil(n_select / n_seeds)``, at most the pool size.
    radius : float or None, default=0.0
        Near-duplicate radius: a candidate within ``radius`` of a sample taken
        before, of an excluded sample or of a seed is skipped. The default
        skips exact copies only; ``None`` keeps copies too (and skips reading
        the candidates' embeddings a second time).
    metric : {"euclidean", "cosine"}, default="euclidean"
    exclude_tags : str or list of str, optional
        Pool samples with these tags (already labeled) are never chosen.
    exclude_view : SampleCollection, optional
        Samples never to choose (already labeled); may be a view of another
        dataset, whose embeddings then also block near-duplicates when
        ``embeddings_field`` is given.
    label_field : str, optional
        Class of each pool sample (e.g. ``"predictions"``), to balance classes.
    balance_classes : bool, default=True
        With ``label_field``, split ``n_select`` equally over the classes among the
        candidates (a class with fewer candidates gives its share to the others);
        places the quotas cannot fill are filled in turn order regardless of
        class.
    seed_order : {"given", "random"}, default="given"
        Turn order of the seeds: as in ``seeds`` (e.g. hardest first), or shuffled
        with ``random_state``.
    allow_shortfall : bool, default=False
        Choose fewer than ``n_select`` instead of raising when the neighbour lists
        run out.
    tag : str, optional
        Tag put on the chosen pool samples; defaults to ``run_key``. It belongs
        to this run.
    run_key : str, default="expansion"
        Key of the FiftyOne run on the pool's dataset, and prefix of its fields.
    saved_view_name : str, optional
        Name of the saved view of the chosen samples; defaults to ``run_key``.
    random_state : int, numpy.random.Generator or None
        Used for ``seed_order="random"``; the search itself is exact and
        deterministic (ties go to the sample read first).
    chunk_size : int, default=1000
        Pool samples per database read, and per block of the neighbour search.
    progress : bool, callable or None
        Progress bar while reading the pool.

    Returns
    -------
    fiftyone.core.view.DatasetView
        The chosen pool samples in the order they were taken.

    Raises
    ------
    FieldError
        If embeddings or classes are missing on some samples (count and example).
    InputError
        For bad arguments, embeddings of different dimensions, a pool that shares
        samples with the seeds, or ``n_select`` larger than the pool allows.
    RunError
        If the run key, tag, saved view or fields belong to another run or to the
        user, or another call is writing the same run.

    Examples
    --------
    >>> import fiftyone as fo
    >>> import numpy as np
    >>> from seedselect.fo._expand import expand_seeds
    >>> rng = np.random.default_rng(0)
    >>> labeled = fo.Dataset()
    >>> _ = labeled.add_samples(
    ...     [fo.Sample(filepath=f"/seed/{i}.png", emb=rng.normal(size=8))
    ...      for i in range(3)], progress=False)
    >>> pool = fo.Dataset()
    >>> _ = pool.add_samples(
    ...     [fo.Sample(filepath=f"/pool/{i}.png", emb=rng.normal(size=8))
    ...      for i in range(50)], progress=False)
    >>> found = expand_seeds(labeled, pool, 6, embeddings_field="emb",
    ...                      random_state=0, progress=False)
    >>> found.count(), len(set(found.values("expansion_seed_id")))
    (6, 3)
    """
    seeds_target = make_target(seeds, "seeds")
    target = make_target(pool, "pool")
    plan, n_neighbors = _check_arguments(
        n_select,
        run_key=run_key,
        tag=tag,
        saved_view_name=saved_view_name,
        exclude_tags=exclude_tags,
        exclude_view=exclude_view,
        n_neighbors_per_seed=n_neighbors_per_seed,
        radius=radius,
        metric=metric,
        seed_order=seed_order,
        embeddings_field=embeddings_field,
        similarity_index=similarity_index,
        chunk_size=chunk_size,
    )
    n_select, chunk_size = plan.n_select, plan.chunk_size
    rng = check_random_state(random_state)
    pool_source = EmbeddingSource(target, embeddings_field, similarity_index)
    seed_source = _seed_source(
        seeds_target, target, pool_source, embeddings_field, seeds_embeddings_field
    )
    _check_disjoint(seeds_target, target)

    dataset = target.dataset
    with round_trip():
        n_seeds = seeds_target.samples.count()
    logger.info(
        "Expanding %d seeds into %d %s of '%s' under run '%s'",
        n_seeds,
        n_select,
        target.noun,
        dataset.name,
        run_key,
    )
    with run_lock(dataset, plan.lock_names):
        previous = check_ownership(
            target,
            run_key,
            SeedExpansionRunConfig,
            tag=plan.tag,
            saved_view_name=plan.saved_view_name,
            outputs=[output_name(run_key, s) for s in _OUTPUTS],
        )

        # Seeds, then one pass over the pool that keeps each seed's neighbours.
        start = time.perf_counter()
        seed_data = PoolReader(seeds_target, embeddings=seed_source).read(
            chunk_size, progress=False
        )
        if not seed_data.ids:
            raise InputError("seeds is empty; pass at least one seed")
        assert seed_data.embeddings is not None
        Q = seed_data.embeddings
        search = _search_pool(
            target,
            pool_source,
            Q,
            n_select,
            n_neighbors,
            label_field=label_field,
            exclude_tags=plan.exclude_tags,
            exclude_ids=(
                collection_ids(exclude_view) if exclude_view is not None else ()
            ),
            metric=metric,
            allow_shortfall=allow_shortfall,
            chunk_size=chunk_size,
            progress=progress,
        )
        cand_emb, blocked = None, None
        if radius is not None:
            cand_emb, blocked = _near_labeled(
                target,
                pool_source,
                search,
                exclude_view,
                embeddings_field,
                Q,
                radius=radius,
                metric=metric,
                chunk_size=chunk_size,
            )
        read_seconds = time.perf_counter() - start - search["compute"]

        # Turns.
        start = time.perf_counter()
        order = rng.permutation(len(Q)) if seed_order == "random" else None
        classes, quota, names = _quotas(
            search, n_select, blocked, label_field is not None and balance_classes
        )
        picks = round_robin(
            search["neighbors"],
            search["distances"],
            n_select,
            classes=classes,
            quota=quota,
            blocked=blocked,
            embeddings=cand_emb,
            radius=radius,
            metric=metric,
            seed_order=order,
        )
        _check_filled(picks, n_select, len(Q), search["k"], radius, allow_shortfall)
        compute_seconds = time.perf_counter() - start + search["compute"]

        # Write.
        ids = [search["cand_ids"][p] for p in picks.positions]
        seed_ids = [seed_data.ids[s] for s in picks.seeds]
        reasons = _reasons(picks, seed_ids, quota, names, classes)
        config = SeedExpansionRunConfig(
            method="expand_seeds",
            tag=plan.tag,
            saved_view_name=plan.saved_view_name,
            patches_field=target.patches_field,
            input_fields=[p for p in (pool_source.path, search["label_path"]) if p],
            n_select=n_select,
            seeds_dataset=seeds_target.dataset.name,
            n_seeds=len(seed_data.ids),
            embeddings_field=embeddings_field,
            seeds_embeddings_field=seeds_embeddings_field,
            similarity_index=(
                None if similarity_index is None else index_name(similarity_index)
            ),
            n_neighbors_per_seed=search["k"],
            radius=radius,
            metric=metric,
            exclude_tags=plan.exclude_tags,
            label_field=label_field,
            balance_classes=balance_classes,
            seed_order=seed_order,
            allow_shortfall=allow_shortfall,
            random_state=random_state if isinstance(random_state, int) else None,
        )
        results = _results(
            search, picks, list(seed_data.ids), seed_ids, reasons, blocked
        )
        results["class_table"] = _class_table(picks, classes, quota, names)
        timings = commit_selection(
            target,
            run_key,
            config,
            previous,
            ids,
            {
                "rank": list(range(1, len(ids) + 1)),
                "reason": reasons,
                "seed_id": seed_ids,
                "distance": [float(d) for d in picks.distances],
            },
            results,
            chunk_size=chunk_size,
        )
    log_timings(
        logger,
        "expand_seeds",
        run_key,
        read=read_seconds,
        compute=compute_seconds,
        writes=timings,
    )
    logger.info("Expansion '%s' chose %d %s", run_key, len(ids), target.noun)
    return target.samples.select(ids, ordered=True)


def _check_arguments(
    n_select: Any,
    *,
    run_key: str,
    tag: Any,
    saved_view_name: Any,
    exclude_tags: Any,
    exclude_view: Any,
    n_neighbors_per_seed: Any,
    radius: Any,
    metric: Any,
    seed_order: Any,
    embeddings_field: str | None,
    similarity_index: Any,
    chunk_size: Any,
) -> tuple[RunPlan, int | None]:
    plan = check_run_plan(
        n_select,
        run_key=run_key,
        tag=tag,
        saved_view_name=saved_view_name,
        exclude_tags=exclude_tags,
        exclude_view=exclude_view,
        chunk_size=chunk_size,
    )
    n_neighbors = None
    if n_neighbors_per_seed is not None:
        n_neighbors = check_count(
            n_neighbors_per_seed, "n_neighbors_per_seed", minimum=1
        )
    if radius is not None and (
        isinstance(radius, bool) or not isinstance(radius, int | float) or radius < 0
    ):
        raise InputError(f"radius={radius!r} must be a number >= 0, or None")
    if metric not in METRICS:
        raise InputError(f"metric={metric!r} is not one of {METRICS}")
    if seed_order not in ("given", "random"):
        raise InputError(f"seed_order={seed_order!r} is not 'given' or 'random'")
    if (embeddings_field is None) == (similarity_index is None):
        raise InputError(
            "pass exactly one of embeddings_field and similarity_index (got "
            f"{embeddings_field!r} and {similarity_index!r})"
        )
    return plan, n_neighbors


def _near_labeled(
    target: Target,
    source: EmbeddingSource,
    search: dict[str, Any],
    exclude_view: Any,
    embeddings_field: str | None,
    Q: np.ndarray,
    *,
    radius: float,
    metric: str,
    chunk_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidates' embeddings, and which lie within ``radius`` of a seed or of a
    labeled sample."""
    cand_emb = _fetch(target, source, search["cand_ids"], chunk_size, Q.shape[1])
    blocked_chunks = _blocked_chunks(
        target,
        source,
        search["excluded_ids"],
        exclude_view,
        embeddings_field,
        Q,
        chunk_size,
    )
    nearest = min_distances(
        cand_emb, blocked_chunks, metric=metric, chunk_size=chunk_size
    )
    return cand_emb, nearest <= radius


def _results(
    search: dict[str, Any],
    picks: Any,
    seeds: list[str],
    seed_ids: list[str],
    reasons: list[str],
    blocked: np.ndarray | None,
) -> dict[str, Any]:
    """What the run stores besides its configuration."""
    labels = search["cand_labels"]
    n = len(picks.positions)
    return {
        "ids": [search["cand_ids"][p] for p in picks.positions],
        "sample_ids": [search["cand_sample_ids"][p] for p in picks.positions],
        "seed_ids": seed_ids,
        "seeds": list(seeds),
        "distances": [float(d) for d in picks.distances],
        "neighbor_ranks": [int(r) for r in picks.neighbor_ranks],
        "classes": [
            None if labels is None else _label(labels[p]) for p in picks.positions
        ],
        "scores": [None] * n,
        "reasons": reasons,
        "pool_stats": search["pool_stats"],
        "n_pool": search["n_pool"],
        "n_excluded": len(search["excluded_ids"]),
        "n_candidates": len(search["cand_ids"]),
        "n_near_duplicates": int(picks.n_near_duplicates)
        + (0 if blocked is None else int(blocked.sum())),
        "n_selected": n,
        "shortfall": search["n_select"] - n,
    }


def _seed_source(
    seeds_target: Target,
    target: Target,
    pool_source: EmbeddingSource,
    embeddings_field: str | None,
    seeds_embeddings_field: str | None,
) -> EmbeddingSource:
    field = seeds_embeddings_field or embeddings_field
    if field is not None:
        return EmbeddingSource(seeds_target, field, None, arg_prefix="seeds_")
    if seeds_target.dataset.name != target.dataset.name:
        raise InputError(
            f"the seeds are in dataset '{seeds_target.dataset.name}', outside the "
            f"similarity index of '{target.dataset.name}'; pass "
            "seeds_embeddings_field to read their embeddings"
        )
    return EmbeddingSource(seeds_target, None, pool_source.index)


def _check_disjoint(seeds_target: Target, target: Target) -> None:
    if seeds_target.dataset.name != target.dataset.name:
        return
    seed_ids = list(collection_ids(seeds_target.samples))
    shared = target.samples.select(seed_ids)
    with round_trip():
        count = shared.count()
    if count:
        with round_trip():
            example = shared.first().id
        raise InputError(
            f"pool shares {count} samples with seeds (e.g. {example}); pass a pool "
            "without them, e.g. pool=dataset.exclude(seeds.values('id'))"
        )


def _search_pool(
    target: Target,
    source: EmbeddingSource,
    Q: np.ndarray,
    n_select: int,
    n_neighbors: int | None,
    *,
    label_field: str | None,
    exclude_tags: list[str],
    exclude_ids: Any,
    metric: str,
    allow_shortfall: bool,
    chunk_size: int,
    progress: Any,
) -> dict[str, Any]:
    """One pass over the pool: each seed's nearest non-excluded neighbours."""
    with round_trip():
        n_pool = target.samples.count()
    k = n_neighbors or NEIGHBOR_FACTOR * math.ceil(n_select / len(Q))
    k = max(1, min(k, n_pool))
    label_path = (
        None if label_field is None else resolve_label_path(target, label_field)
    )
    reader = PoolReader(
        target,
        label_path=label_path,
        embeddings=source,
        exclude_tags=exclude_tags,
        exclude_ids=exclude_ids,
        excluded_embeddings=False,
    )
    top = TopK(Q, k, metric=metric, query_chunk_size=chunk_size)
    id_parts: list[IdArray] = []
    sample_id_parts: list[IdArray] = []
    labels: list[Any] = []
    excluded_ids: list[str] = []
    pool_counts: dict[str, int] = {}
    compute = 0.0
    offset = 0
    for chunk in reader.iter_chunks(chunk_size, progress):
        reader.check(n_features=Q.shape[1])
        keep = ~chunk.excluded
        positions = np.arange(offset, offset + len(chunk.ids))
        offset += len(chunk.ids)
        id_parts.append(chunk.ids)
        sample_id_parts.append(chunk.sample_ids)
        if chunk.labels is not None:
            labels.extend(chunk.labels)
            for value in chunk.labels[keep]:
                name = str(value)
                pool_counts[name] = pool_counts.get(name, 0) + 1
        excluded_ids.extend(chunk.ids.take(chunk.excluded))
        if chunk.embeddings is not None and keep.any():
            start = time.perf_counter()
            top.update(chunk.embeddings[keep], positions[keep])
            compute += time.perf_counter() - start
    reader.check(n_features=Q.shape[1])
    n_open = n_pool - len(excluded_ids)
    if n_select > n_open and not allow_shortfall:
        raise InputError(
            f"n_select={n_select} exceeds the {n_open} {target.noun} of the pool that "
            f"are not excluded ({n_pool} in the pool, {len(excluded_ids)} excluded); "
            "lower n_select, widen the pool or pass allow_shortfall=True"
        )
    dist, index = top.result()
    valid = index >= 0
    cand = np.unique(index[valid])
    neighbors = np.full(index.shape, -1, dtype=np.int64)
    neighbors[valid] = np.searchsorted(cand, index[valid])
    return {
        "k": k,
        "n_select": n_select,
        "n_pool": n_pool,
        "neighbors": neighbors,
        "distances": dist,
        "cand_ids": IdArray.concat(id_parts).take(cand),
        "cand_sample_ids": IdArray.concat(sample_id_parts).take(cand),
        "cand_labels": None if label_path is None else [labels[i] for i in cand],
        "excluded_ids": excluded_ids,
        "label_path": label_path,
        "pool_stats": {name: {"count": n} for name, n in sorted(pool_counts.items())},
        "compute": compute,
    }


def _fetch(
    target: Target,
    source: EmbeddingSource,
    ids: list[str],
    chunk_size: int,
    n_features: int,
) -> np.ndarray:
    """Embeddings of the given ids of ``target``, in that order."""
    out = np.zeros((len(ids), n_features))
    for where, block in _iter_embeddings(target, source, ids, chunk_size):
        out[where] = block
    return out


def _iter_embeddings(
    target: Target, source: EmbeddingSource, ids: list[str], chunk_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (positions in ``ids``, embeddings) of the ids that have one."""
    for where in chunk_slices(len(ids), chunk_size):
        chunk_ids = ids[where]
        if source.path is None:
            vectors = source.decode(chunk_ids, None)
        else:
            view = target.samples.select(chunk_ids, ordered=True)
            raw: dict[str, Any] = {}
            for got_ids, values in iter_chunks(
                view, ["_id", source.path], chunk_size=chunk_size
            ):
                raw.update(zip((str(i) for i in got_ids), values, strict=True))
            vectors = source.decode(chunk_ids, [raw.get(i) for i in chunk_ids])
        found = [
            k for k, v in enumerate(vectors) if v is not None and not isinstance(v, str)
        ]
        if found:
            positions = np.arange(where.start, where.stop)[found]
            yield positions, np.vstack([vectors[k] for k in found]).astype(np.float64)


def _blocked_chunks(
    target: Target,
    source: EmbeddingSource,
    excluded_ids: list[str],
    exclude_view: Any,
    embeddings_field: str | None,
    Q: np.ndarray,
    chunk_size: int,
) -> Iterator[np.ndarray]:
    """Embeddings that candidates may not duplicate: seeds and labeled samples."""
    yield Q
    for _, block in _iter_embeddings(target, source, excluded_ids, chunk_size):
        yield block
    if exclude_view is None:
        return
    other = make_target(exclude_view, "exclude_view")
    if other.dataset.name == target.dataset.name:
        # Samples of the pool's dataset outside the pool view.
        outside = exclude_view.exclude(excluded_ids) if excluded_ids else exclude_view
        with round_trip():
            outside_ids = [str(i) for i in outside.values("_id")]
        whole = Target(target.dataset, target.dataset)
        if target.is_patches:
            whole = target
        for _, block in _iter_embeddings(whole, source, outside_ids, chunk_size):
            yield block
    elif embeddings_field is not None:
        other_source = EmbeddingSource(other, embeddings_field, None, "exclude_view ")
        reader = PoolReader(other, embeddings=other_source)
        for chunk in reader.iter_chunks(chunk_size, progress=False):
            reader.check(n_features=Q.shape[1])
            if chunk.embeddings is not None:
                yield chunk.embeddings
    else:
        logger.warning(
            "exclude_view is a view of dataset '%s', whose embeddings the similarity "
            "index of '%s' does not hold; its samples cannot block near-duplicates "
            "(pass embeddings_field to use them)",
            other.dataset.name,
            target.dataset.name,
        )


def _label(value: Any) -> str | None:
    return None if value is None else str(value)


def _quotas(
    search: dict[str, Any], n_select: int, blocked: np.ndarray | None, balance: bool
) -> tuple[np.ndarray | None, np.ndarray | None, list[str]]:
    """Class codes of the candidates and equal quotas capped by availability."""
    labels = search["cand_labels"]
    if labels is None:
        return None, None, []
    names, codes = np.unique(np.array([str(v) for v in labels]), return_inverse=True)
    if not balance:
        return codes.astype(np.int64), None, [str(n) for n in names]
    open_ = np.ones(len(codes), dtype=bool) if blocked is None else ~blocked
    available = np.bincount(codes[open_], minlength=len(names))
    quota = apportion(
        min(n_select, int(available.sum())),
        np.ones(len(names)),
        np.zeros(len(names), dtype=np.int64),
        available,
    )
    return codes.astype(np.int64), quota, [str(n) for n in names]


def _check_filled(
    picks: Any,
    n_select: int,
    n_seeds: int,
    k: int,
    radius: float | None,
    allow_shortfall: bool,
) -> None:
    n = len(picks.positions)
    if n >= n_select:
        return
    message = (
        f"only {n} of n_select={n_select} pool samples are among the "
        f"n_neighbors_per_seed={k} nearest neighbours of the {n_seeds} seeds"
        + (f" and farther than radius={radius} from each other" if radius else "")
        + " and the labeled samples; raise n_neighbors_per_seed, lower radius or "
        "n_select, or pass allow_shortfall=True"
    )
    if not allow_shortfall:
        raise InputError(message)
    logger.warning("%s", message)


def _reasons(
    picks: Any,
    seed_ids: list[str],
    quota: np.ndarray | None,
    names: list[str],
    classes: np.ndarray | None,
) -> list[str]:
    out = []
    for k, c in enumerate(picks.positions):
        text = (
            f"neighbour {picks.neighbor_ranks[k]} of seed {seed_ids[k]} at distance "
            f"{picks.distances[k]:.4g} (turn {picks.turns[k]} of that seed)"
        )
        if classes is not None and quota is not None:
            code = int(classes[c])
            if picks.filled[k]:
                text += f"; class '{names[code]}', filling after the class quotas"
            else:
                text += f"; class '{names[code]}' (quota {int(quota[code])})"
        out.append(text)
    return out


def _class_table(
    picks: Any, classes: np.ndarray | None, quota: np.ndarray | None, names: list[str]
) -> list[dict[str, Any]]:
    if classes is None:
        return []
    k = len(names)
    available = np.bincount(classes, minlength=k)
    chosen = np.bincount(classes[picks.positions], minlength=k)
    return [
        {
            "class": names[c],
            "target": None if quota is None else int(quota[c]),
            "available": int(available[c]),
            "chosen": int(chosen[c]),
            "quota": None if quota is None else int(quota[c]),
        }
        for c in range(k)
    ]
