"""The array core of seed expansion: chunked exact neighbours and seed turns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seedselect import InputError
from seedselect._knn import (
    TopK,
    check_embeddings,
    distance_block,
    greedy_dedup,
    kneighbors,
    min_distances,
    round_robin,
)


def _brute(Q, X, k, metric="euclidean"):
    D = distance_block(Q, X, metric=metric)
    order = np.lexsort((np.broadcast_to(np.arange(len(X)), D.shape), D), axis=1)[:, :k]
    return np.take_along_axis(D, order, axis=1), order


# Small integer grids make ties and duplicate points common.
grids = arrays(
    np.float64, st.tuples(st.integers(1, 40), st.just(3)), elements=st.integers(-2, 2)
)


@settings(max_examples=60, deadline=None)
@given(X=grids, Q=grids, k=st.integers(1, 6), chunk=st.integers(1, 50))
def test_chunked_neighbours_match_brute_force_with_ties(X, Q, k, chunk):
    dist, ind = kneighbors(Q, X, k, chunk_size=chunk)
    k_eff = min(k, len(X))
    want_d, want_i = _brute(Q, X, k_eff)
    assert np.array_equal(ind[:, :k_eff], want_i)
    np.testing.assert_allclose(dist[:, :k_eff], want_d, atol=1e-12)
    assert (ind[:, k_eff:] == -1).all()
    assert np.isinf(dist[:, k_eff:]).all()


def test_chunks_from_an_iterator_give_the_same_answer(rng):
    X = rng.normal(size=(500, 8))
    Q = rng.normal(size=(20, 8))
    whole = kneighbors(Q, X, 5, chunk_size=10_000)
    streamed = kneighbors(Q, (X[i : i + 64] for i in range(0, 500, 64)), 5)
    assert np.array_equal(whole[1], streamed[1])
    np.testing.assert_allclose(whole[0], streamed[0])


def test_cosine_neighbours_and_zero_vectors(rng):
    X = rng.normal(size=(50, 4))
    X[0] = 0.0
    Q = np.vstack([X[3] * 10, np.zeros(4)])
    dist, ind = kneighbors(Q, X, 2, metric="cosine")
    assert ind[0, 0] == 3
    assert dist[0, 0] == pytest.approx(0.0, abs=1e-12)
    assert ind[1, 0] == 0 and dist[1, 0] == 0.0
    assert dist[1, 1] == pytest.approx(1.0)


def test_topk_with_explicit_indices_skips_rows(rng):
    X = rng.normal(size=(30, 2))
    top = TopK(X[:3], 2)
    keep = np.arange(30) % 2 == 1
    top.update(X[keep], np.flatnonzero(keep))
    _, ind = top.result()
    assert (ind % 2 == 1).all()


def test_duplicates_are_at_distance_zero(rng):
    X = rng.normal(size=(10, 16)) * 1000
    assert min_distances(X, X).max() == 0.0


def test_check_embeddings_reports_rows():
    with pytest.raises(InputError, match="row 1"):
        check_embeddings([[0.0, 1.0], [np.nan, 1.0]])
    with pytest.raises(InputError, match="3 features per row but 5"):
        check_embeddings(np.zeros((2, 3)), n_features=5)


def test_greedy_dedup_keeps_points_farther_than_radius(rng):
    X = np.repeat(rng.normal(size=(10, 2)), 3, axis=0)
    keep = greedy_dedup(X, 1e-9, chunk_size=4)
    assert keep.sum() == 10
    assert keep[::3].all()


@settings(max_examples=60, deadline=None)
@given(
    n_seeds=st.integers(1, 5),
    n_cand=st.integers(1, 25),
    k=st.integers(1, 8),
    n_select=st.integers(0, 30),
    seed=st.integers(0, 2**16),
)
def test_round_robin_contract(n_seeds, n_cand, k, n_select, seed):
    rng = np.random.default_rng(seed)
    neighbors = np.stack(
        [rng.permutation(n_cand)[: min(k, n_cand)] for _ in range(n_seeds)]
    )
    distances = np.sort(rng.random(neighbors.shape), axis=1)
    X = rng.integers(0, 3, size=(n_cand, 2)).astype(float)
    blocked = rng.random(n_cand) < 0.2
    classes = rng.integers(0, 2, size=n_cand)
    quota = np.array([n_select // 2, n_select - n_select // 2])
    picks = round_robin(
        neighbors,
        distances,
        n_select,
        classes=classes,
        quota=quota,
        blocked=blocked,
        embeddings=X,
        radius=0.5,
    )
    pos = picks.positions
    assert len(pos) <= n_select
    assert len(set(pos.tolist())) == len(pos)
    assert not blocked[pos].any()
    # Taken candidates are farther than the radius from each other.
    if len(pos) > 1:
        D = distance_block(X[pos], X[pos], metric="euclidean")
        assert (D[~np.eye(len(pos), dtype=bool)] > 0.5).all()
    # Each pick is a neighbour of the seed credited with it, at that rank.
    for p, s, r in zip(pos, picks.seeds, picks.neighbor_ranks, strict=True):
        assert neighbors[s, r - 1] == p
    # Quotas are never exceeded before the fill pass.
    quota_picks = classes[pos[~picks.filled]]
    assert (np.bincount(quota_picks, minlength=2) <= quota).all()


def test_round_robin_gives_each_seed_a_turn():
    neighbors = np.array([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
    distances = np.tile(np.arange(4.0), (3, 1))
    picks = round_robin(neighbors, distances, 7)
    assert picks.seeds.tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert picks.turns.tolist() == [1, 1, 1, 2, 2, 2, 3]
    order = round_robin(neighbors, distances, 3, seed_order=np.array([2, 0, 1]))
    assert order.seeds.tolist() == [2, 0, 1]
