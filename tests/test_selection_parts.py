"""Building blocks of the selection layer, against brute force, and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

import seedselect.selection as selection
from seedselect.selection import (
    apportion,
    coverage_radius,
    kcenter_greedy,
    select_batch,
    typicality,
)
from seedselect.selection._balance import redistribute


def test_all_lists_the_public_names() -> None:
    assert sorted(selection.__all__) == sorted(
        [
            "AUTO_CANDIDATE_FRACTION",
            "AUTO_DIVERSITY",
            "AUTO_MIN_CANDIDATES_PER_PICK",
            "BALANCE_MODES",
            "DEFAULT_CHUNK_SIZE",
            "DEFAULT_N_NEIGHBORS",
            "DIVERSITY_MODES",
            "METRICS",
            "SAMPLING_MODES",
            "SelectionResult",
            "apportion",
            "coverage_radius",
            "kcenter_greedy",
            "select_batch",
            "typicality",
        ]
    )
    for name in selection.__all__:
        assert getattr(selection, name) is not None
    public = {n for n in vars(selection) if not n.startswith("_")} - {"annotations"}
    assert public <= set(selection.__all__)


# Apportionment and redistribution.


def test_apportion_examples() -> None:
    assert apportion(10, [1, 1, 1], [0, 0, 0], [10, 10, 10]).tolist() == [4, 3, 3]
    assert apportion(20, [950, 50], [0, 0], [20, 20]).tolist() == [19, 1]
    assert apportion(10, [1, 1, 1], [0, 0, 5], [10, 2, 10]).tolist() == [3, 2, 5]
    assert apportion(7, [0, 1], [2, 0], [9, 9]).tolist() == [2, 5]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 50), min_size=1, max_size=8),
    st.integers(0, 100),
    st.data(),
)
def test_apportion_invariants(weights: list[int], total: int, data) -> None:
    k = len(weights)
    upper = np.array(data.draw(st.lists(st.integers(0, 40), min_size=k, max_size=k)))
    lower = np.minimum(
        np.array(data.draw(st.lists(st.integers(0, 5), min_size=k, max_size=k))),
        upper,
    )
    w = np.array(weights, dtype=float)
    movable = np.where(w > 0, upper, lower)
    counts = apportion(total, w, lower, upper)
    assert (counts >= lower).all()
    assert (counts <= movable).all()
    reachable = min(max(total, lower.sum()), movable.sum())
    assert counts.sum() == reachable
    # Without binding bounds, each count is its exact share rounded up or down.
    if lower.sum() == 0 and (upper >= total).all() and w.sum() > 0:
        exact = total * w / w.sum()
        assert (counts >= np.floor(exact) - 1e-9).all()
        assert (counts <= np.ceil(exact) + 1e-9).all()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)),
        min_size=1,
        max_size=6,
    )
)
def test_redistribute_invariants(rows: list[tuple[int, int, int]]) -> None:
    target, available, upper = (
        np.array(c, dtype=np.int64) for c in zip(*rows, strict=True)
    )
    target = np.minimum(target, upper)
    quota = redistribute(target, available, upper)
    cap = np.minimum(available, upper)
    assert (quota <= cap).all()
    assert (quota >= np.minimum(target, cap)).all()
    assert quota.sum() == min(target.sum(), cap.sum())


# Distances, typicality and k-center against brute force.


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("chunk_size", [1, 3, 2048])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_coverage_radius_matches_brute_force(
    metric: str, chunk_size: int, dtype: type, rng: np.random.Generator
) -> None:
    X = rng.normal(size=(37, 5)).astype(dtype)
    chosen = [2, 9, 30]
    expected = cdist(X, X[chosen], metric=metric).min(axis=1).max()
    got = coverage_radius(X, chosen, metric=metric, chunk_size=chunk_size)
    assert got == pytest.approx(expected, rel=1e-4 if dtype is np.float32 else 1e-9)
    covered = coverage_radius(X, chosen, covered=np.arange(37) < 20, metric=metric)
    assert covered <= got
    assert coverage_radius(X, np.arange(37)) == 0.0


def test_duplicates_are_at_distance_zero(rng: np.random.Generator) -> None:
    base = rng.normal(size=(10, 64)) * 100
    X = np.vstack([base, base]).astype(np.float32)
    assert coverage_radius(X, np.arange(10)) == 0.0
    assert coverage_radius(X, np.arange(10), metric="cosine") == 0.0


@pytest.mark.parametrize("chunk_size", [2, 2048])
def test_typicality_matches_brute_force(
    chunk_size: int, rng: np.random.Generator
) -> None:
    X = rng.normal(size=(30, 3))
    D = cdist(X, X)
    np.fill_diagonal(D, np.inf)
    expected = 1.0 / np.sort(D, axis=1)[:, :5].mean(axis=1)
    got = typicality(X, n_neighbors=5, chunk_size=chunk_size)
    np.testing.assert_allclose(got, expected, rtol=1e-9)

    groups = np.arange(30) % 2
    within = typicality(X, n_neighbors=5, groups=groups, chunk_size=chunk_size)
    for g in (0, 1):
        members = np.flatnonzero(groups == g)
        np.testing.assert_allclose(
            within[members], typicality(X[members], n_neighbors=5), rtol=1e-9
        )


def test_typicality_edge_cases() -> None:
    assert typicality(np.ones((1, 2))).tolist() == [0.0]
    assert np.isinf(typicality(np.ones((3, 2)))).all()
    assert typicality(np.array([[0.0], [2.0]])).tolist() == [0.5, 0.5]


def naive_kcenter(
    X: np.ndarray, n_select: int, covered: list[int], priority: np.ndarray
) -> list[int]:
    """Textbook farthest-first traversal on the full distance matrix."""
    D = cdist(X, X)
    chosen: list[int] = []
    for _ in range(n_select):
        centres = covered + chosen
        nearest = D[:, centres].min(axis=1) if centres else np.full(len(X), np.inf)
        nearest[centres] = -np.inf
        best = nearest.max()
        ties = np.flatnonzero(nearest == best)
        chosen.append(int(ties[np.lexsort((ties, -priority[ties]))[0]]))
    return chosen


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 30),
    st.integers(1, 4),
    st.integers(0, 3),
    st.integers(0, 2**32 - 1),
    st.sampled_from([1, 4, 2048]),
)
def test_kcenter_matches_textbook(
    n: int, d: int, n_covered: int, seed: int, chunk_size: int
) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    covered = list(range(min(n_covered, n - 1)))
    priority = rng.random(n)
    n_select = int(rng.integers(1, n - len(covered) + 1))
    got = kcenter_greedy(
        X, n_select, covered=covered, priority=priority, chunk_size=chunk_size
    ).tolist()
    assert got == naive_kcenter(X, n_select, covered, priority)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(70, 300),
    st.integers(1, 6),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_kcenter_matches_textbook_on_larger_pools(
    n: int, d: int, seed: int, grid: bool
) -> None:
    # Pools larger than the first refresh batch, with many ties on a grid.
    rng = np.random.default_rng(seed)
    if grid:
        X = rng.integers(0, 5, size=(n, d)).astype(float)
    else:
        X = rng.normal(size=(n, d))
    covered = list(range(int(rng.integers(0, 4))))
    priority = rng.random(n)
    n_select = int(rng.integers(1, min(60, n - len(covered)) + 1))
    got = kcenter_greedy(X, n_select, covered=covered, priority=priority).tolist()
    assert got == naive_kcenter(X, n_select, covered, priority)


def naive_balanced_kcenter(
    X: np.ndarray, quota: dict[str, int], labels: np.ndarray, scores: np.ndarray
) -> list[int]:
    """Farthest-first restricted to classes whose quota is not yet full."""
    D = cdist(X, X)
    chosen: list[int] = []
    count = dict.fromkeys(quota, 0)
    for _ in range(sum(quota.values())):
        nearest = D[:, chosen].min(axis=1) if chosen else np.full(len(X), np.inf)
        open_ = np.array([count[c] < quota[c] for c in labels])
        open_[chosen] = False
        nearest[~open_] = -np.inf
        ties = np.flatnonzero(nearest == nearest.max())
        j = int(ties[np.argmax(scores[ties])])
        chosen.append(j)
        count[labels[j]] += 1
    return chosen


@pytest.mark.parametrize("seed", range(5))
def test_balanced_kcenter_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(250, 3))
    labels = rng.choice(["a", "b", "c"], size=250, p=[0.7, 0.2, 0.1])
    scores = rng.random(250)
    result = select_batch(
        30,
        scores=scores,
        embeddings=X,
        labels=labels,
        balance="equal",
        diversity="kcenter",
        random_state=seed,
    )
    quota = dict(
        zip(result.class_table["class"], result.class_table["quota"], strict=True)
    )
    assert result.indices.tolist() == naive_balanced_kcenter(X, quota, labels, scores)


def test_kcenter_without_priority_starts_central(rng: np.random.Generator) -> None:
    X = rng.normal(size=(100, 2))
    first = kcenter_greedy(X, 1)[0]
    distance = np.linalg.norm(X - X.mean(axis=0), axis=1)
    assert first == np.argmin(distance)
    chosen = kcenter_greedy(X, 5, candidates=np.arange(50))
    assert (chosen < 50).all()


# Invariants of select_batch on random pools with duplicates.

pools = st.tuples(
    st.integers(1, 40),  # pool size
    st.integers(0, 2**32 - 1),  # seed
    st.integers(1, 3),  # features
)


def random_pool(n: int, seed: int, d: int):
    rng = np.random.default_rng(seed)
    # Small integers make duplicated points and tied scores common.
    X = rng.integers(0, 4, size=(n, d)).astype(float)
    scores = rng.integers(0, 5, size=n).astype(float)
    labels = rng.choice(["x", "y", "z"], size=n)
    exclude = rng.random(n) < 0.2
    return rng, X, scores, labels, exclude


@settings(max_examples=80, deadline=None)
@given(
    pools,
    st.sampled_from([None, "kcenter", "dedup", "cluster", "weighted"]),
    st.sampled_from([None, "equal", "proportional", "inverse"]),
    st.sampled_from(["greedy", "power", "softmax"]),
)
def test_select_batch_invariants(
    pool: tuple[int, int, int],
    diversity: str | None,
    balance: str | None,
    sampling: str,
) -> None:
    rng, X, scores, labels, exclude = random_pool(*pool)
    n_free = int((~exclude).sum())
    n_select = int(rng.integers(0, n_free + 1))
    kwargs = {"radius": 0.5} if diversity == "dedup" else {}
    result = select_batch(
        n_select,
        scores=scores,
        embeddings=X,
        labels=labels,
        exclude=exclude,
        balance=balance,
        diversity=diversity,
        sampling=sampling,
        allow_shortfall=True,
        random_state=0,
        **kwargs,
    )
    idx = result.indices
    assert len(set(idx.tolist())) == len(idx)
    assert not exclude[idx].any()
    assert result.n_selected + result.shortfall == n_select
    if diversity != "dedup":
        assert result.shortfall == 0  # every sample not excluded is a candidate
    else:
        gaps = cdist(X[idx], np.vstack([X[idx], X[exclude]]))
        gaps[np.arange(len(idx)), np.arange(len(idx))] = np.inf
        assert (gaps > 0.5).all()
    if balance is not None:
        table = result.class_table
        assert (table["chosen"] <= table["available"]).all()
        if diversity != "dedup":
            assert (table["chosen"] == table["quota"]).all()
    if diversity is None and balance is None and sampling == "greedy" and len(idx):
        rest = np.setdiff1d(np.flatnonzero(~exclude), idx)
        if len(rest):
            assert scores[idx].min() >= scores[rest].max()
    again = select_batch(
        n_select,
        scores=scores,
        embeddings=X,
        labels=labels,
        exclude=exclude,
        balance=balance,
        diversity=diversity,
        sampling=sampling,
        allow_shortfall=True,
        random_state=0,
        **kwargs,
    )
    assert again.indices.tolist() == idx.tolist()


@settings(max_examples=50, deadline=None)
@given(pools, st.floats(0.01, 1.0))
def test_gates_invariants(pool: tuple[int, int, int], fraction: float) -> None:
    rng, X, scores, labels, exclude = random_pool(*pool)
    result = select_batch(
        len(scores),
        scores=scores,
        exclude=exclude,
        top_fraction=fraction,
        allow_shortfall=True,
        random_state=1,
    )
    n_free = int((~exclude).sum())
    assert result.n_selected == min(math.ceil(fraction * n_free - 1e-9), n_free)
    if result.n_selected:
        rest = np.setdiff1d(np.flatnonzero(~exclude), result.indices)
        if len(rest):
            assert scores[result.indices].min() >= scores[rest].max()


@settings(max_examples=50, deadline=None)
@given(pools, st.sampled_from(["kcenter", "weighted", "dedup"]))
def test_chunk_size_does_not_change_the_result(
    pool: tuple[int, int, int], diversity: str
) -> None:
    rng, X, scores, labels, exclude = random_pool(*pool)
    X = X + rng.normal(scale=0.01, size=X.shape)  # no exact distance ties
    n_select = int(min(3, (~exclude).sum()))
    kwargs = {"radius": 0.3} if diversity == "dedup" else {}
    runs = [
        select_batch(
            n_select,
            scores=scores,
            embeddings=X,
            exclude=exclude,
            diversity=diversity,
            chunk_size=chunk_size,
            allow_shortfall=True,
            random_state=2,
            **kwargs,
        ).indices.tolist()
        for chunk_size in (1, 5, 2048)
    ]
    assert runs[0] == runs[1] == runs[2]
