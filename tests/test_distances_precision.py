"""Distances between points that are close compared with their norms.

The blocked distance code expands ``|a - b|^2`` as ``|a|^2 + |b|^2 - 2 a.b``, which
cancels when the rows are far from the origin and close to each other. These tests
hold the results to a float64 computation on the same (float32) values.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seedselect._knn import distance_block, greedy_dedup, min_distances
from seedselect.selection import coverage_radius, kcenter_greedy, select_batch
from seedselect.selection._distances import CandidateSpace, Geometry

EPS32 = float(np.finfo(np.float32).eps)

# Pairs that cancel are recomputed from their differences, so their distances are
# float32 roundings of the float64 answer: a few units in the last place at most.
CLOSE_RTOL = 8 * EPS32

# Everything else is held to the documented bound: at least half the digits of
# float32 (a relative error below sqrt(eps) in the squared distance).
ANY_RTOL = float(np.sqrt(EPS32))

N_FEATURES = 512
TRUE_DISTANCE = 0.3


def reference(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Euclidean distances of the given values, computed directly in float64."""
    diff = A.astype(np.float64)[:, None, :] - B.astype(np.float64)[None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))


def close_pair(norm: float, seed: int = 0) -> np.ndarray:
    """Two float32 rows of about ``norm`` at a distance of about 0.3."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=N_FEATURES)
    base *= norm / np.linalg.norm(base)
    step = rng.normal(size=N_FEATURES)
    step *= TRUE_DISTANCE / np.linalg.norm(step)
    return np.stack([base, base + step]).astype(np.float32)


@pytest.mark.parametrize("norm", [230.0, 2000.0])
def test_close_float32_rows_keep_their_distance(norm: float) -> None:
    X = close_pair(norm)
    expected = reference(X[:1], X[1:])[0, 0]
    assert expected == pytest.approx(TRUE_DISTANCE, rel=0.01)

    assert coverage_radius(X, [0]) == pytest.approx(expected, rel=CLOSE_RTOL)
    geometry = Geometry(X, "euclidean", chunk_size=1)
    assert geometry.min_distance(np.array([1]), np.array([0]))[0] == pytest.approx(
        expected, rel=CLOSE_RTOL
    )
    assert geometry.to_vector(np.array([1]), X[0])[0] == pytest.approx(
        expected, rel=CLOSE_RTOL
    )
    space = CandidateSpace(geometry, np.array([1]))
    assert space.to_row(0)[0] == pytest.approx(expected, rel=CLOSE_RTOL)
    np.testing.assert_allclose(
        distance_block(X, X, metric="euclidean"),
        reference(X, X),
        rtol=CLOSE_RTOL,
    )


def test_close_float64_rows_of_huge_norm_keep_their_distance() -> None:
    # float64 cancels the same way, only at larger norms.
    X = close_pair(1e6).astype(np.float64)
    X[1] = X[0] + (X[1] - X[0]).astype(np.float64)
    expected = float(np.linalg.norm(X[0] - X[1]))
    assert min_distances(X[1:], X[:1])[0] == pytest.approx(expected, rel=1e-12)
    assert coverage_radius(X, [0]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("norm", [230.0, 2000.0])
def test_dedup_keeps_close_but_distinct_rows(norm: float) -> None:
    X = close_pair(norm)
    result = select_batch(
        2,
        scores=np.array([1.0, 0.5]),
        embeddings=X,
        diversity="dedup",
        radius=0.1,
        random_state=0,
    )
    assert sorted(result.indices.tolist()) == [0, 1]
    assert greedy_dedup(X, 0.1).tolist() == [True, True]
    assert greedy_dedup(X, 0.5).tolist() == [True, False]


def test_kcenter_coverage_radius_matches_float64_reference() -> None:
    # Small clusters far from the origin: every distance inside the pool is about
    # 1e-3 of the norms, where float32 cancellation used to flatten them to 0.
    rng = np.random.default_rng(3)
    offset = rng.normal(size=64) * 300.0
    X = (offset + 0.05 * rng.normal(size=(400, 64))).astype(np.float32)
    X[::7] += rng.normal(scale=0.5, size=(len(X[::7]), 64)).astype(np.float32)

    chosen = kcenter_greedy(X, 25, covered=[0])
    expected = reference(X, X[np.r_[0, chosen]]).min(axis=1).max()
    assert expected > 0.1
    assert coverage_radius(X, chosen, covered=[0]) == pytest.approx(
        expected, rel=CLOSE_RTOL
    )

    # The picks are those of farthest-first traversal in float64.
    nearest = reference(X, X[[0]])[:, 0]
    picks = []
    for _ in range(25):
        j = int(np.argmax(nearest))
        picks.append(j)
        nearest = np.minimum(nearest, reference(X, X[[j]])[:, 0])
    assert chosen.tolist() == picks


@pytest.mark.parametrize("norm", [1.0, 230.0, 2000.0])
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_exact_duplicates_are_at_zero(norm: float, metric: str) -> None:
    X = np.repeat(close_pair(norm), 3, axis=0)  # rows 0-2 equal, rows 3-5 equal
    geometry = Geometry(X, metric, chunk_size=2)
    D = geometry.block(X, geometry.aux(X), X, geometry.aux(X))
    same = np.arange(6)[:, None] // 3 == np.arange(6)[None, :] // 3
    assert (D[same] == 0).all()
    assert (D[~same] > 0).all()
    assert (distance_block(X, X, metric=metric)[same] == 0).all()
    assert coverage_radius(X, [0, 3], metric=metric) == 0.0


def test_cosine_rows_of_one_direction_are_at_zero() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 16))
    D = distance_block(X, np.vstack([X * 3.7, X * 0.01]), metric="cosine")
    assert (D[[0, 1, 2, 0, 1, 2], [0, 1, 2, 3, 4, 5]] == 0).all()


def test_cosine_keeps_small_angles() -> None:
    # 1 - cos of an angle of 1e-3 is 5e-7, below float32 rounding of cos itself.
    angle = 1e-3
    X = np.array([[1000.0, 0.0], [1000.0 * np.cos(angle), 1000.0 * np.sin(angle)]])
    expected = 1.0 - np.cos(angle)
    X32 = X.astype(np.float32)
    geometry = Geometry(X32, "cosine", chunk_size=1)
    got = geometry.block(X32[:1], geometry.aux(X32[:1]), X32[1:], geometry.aux(X32[1:]))
    assert got[0, 0] == pytest.approx(expected, rel=1e-4)
    assert distance_block(X, X, metric="cosine")[0, 1] == pytest.approx(
        expected, rel=1e-9
    )


@st.composite
def offset_pools(draw: st.DrawFn) -> np.ndarray:
    """Small float32 pools around a random offset, some rows duplicated."""
    n = draw(st.integers(2, 24))
    d = draw(st.integers(1, 40))
    offset_scale = draw(st.sampled_from([0.0, 1.0, 1e2, 1e3, 1e4]))
    spread = draw(st.sampled_from([1e-3, 1e-1, 1.0, 10.0]))
    # Coordinates of at least 2**-20 in size (or 0): float32 squared distances
    # underflow below 1e-38, which no embedding comes near.
    unit = st.floats(-1.0, 1.0, width=32).filter(lambda v: v == 0 or abs(v) >= 2**-20)
    offset = draw(arrays(np.float64, d, elements=unit))
    noise = draw(arrays(np.float64, (n, d), elements=unit))
    X = (offset_scale * offset + spread * noise).astype(np.float32)
    copies = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))))
    for src, dst in copies[:3]:
        X[dst] = X[src]
    return X


@settings(max_examples=200, deadline=None)
@given(X=offset_pools(), chunk_size=st.integers(1, 9))
def test_blocked_distances_match_direct_float64(X: np.ndarray, chunk_size: int) -> None:
    expected = reference(X, X)
    geometry = Geometry(X, "euclidean", chunk_size)
    got = geometry.block(X, geometry.aux(X), X, geometry.aux(X))
    assert (got[expected == 0] == 0).all()
    np.testing.assert_allclose(got, expected, rtol=ANY_RTOL, atol=0)

    # The chunked paths: nearest chosen row, and the k-center inner step.
    index = np.arange(len(X))
    centres = index[::3]
    np.testing.assert_allclose(
        geometry.min_distance(index, centres),
        expected[:, centres].min(axis=1),
        rtol=ANY_RTOL,
        atol=0,
    )
    space = CandidateSpace(geometry, index[1:])
    np.testing.assert_allclose(space.to_row(0), expected[1:, 0], rtol=ANY_RTOL, atol=0)
    np.testing.assert_allclose(
        distance_block(X, X, metric="euclidean"), expected, rtol=1e-7, atol=0
    )
