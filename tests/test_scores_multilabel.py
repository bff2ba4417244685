"""Multi-label (independent sigmoid) hardness."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from seedselect.scores import AGGREGATIONS, binary_entropy, multilabel_hardness

LOG2 = np.log(2.0)

label_logits = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(1, 10)),
    elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
)


def reference_binary_entropy(probs: np.ndarray) -> np.ndarray:
    stacked = np.stack([probs, 1 - probs])
    return scipy.stats.entropy(stacked, axis=0)


def test_confident_labels_score_lower_than_unsure_ones() -> None:
    X = np.array([[8.0, -8.0, 9.0], [0.0, 0.0, 0.0], [1.0, -1.5, 0.5]])
    for how in ("mean", "max", "sum"):
        s = multilabel_hardness(X, aggregate=how)
        assert s[0] < s[2] < s[1], how
    P = scipy.special.expit(X)
    s = multilabel_hardness(P, kind="probs")
    assert s[0] < s[2] < s[1]


def test_binary_entropy_matches_scipy(rng: np.random.Generator) -> None:
    X = rng.normal(scale=4, size=(30, 5))
    P = scipy.special.expit(X)
    reference = reference_binary_entropy(P)
    np.testing.assert_allclose(binary_entropy(X), reference, atol=1e-12)
    np.testing.assert_allclose(binary_entropy(P, kind="probs"), reference, atol=1e-12)
    np.testing.assert_allclose(
        binary_entropy(X, normalize=True), reference / LOG2, atol=1e-12
    )


def test_labels_are_independent_no_softmax_across_labels() -> None:
    # A softmax across labels would make each label depend on the others.
    X = np.array([[0.0, 0.0, 0.0], [0.0, 50.0, -50.0]])
    h = binary_entropy(X)
    assert h.shape == (2, 3)
    np.testing.assert_allclose(h[:, 0], LOG2, rtol=1e-12)
    # Probabilities that sum to more than 1 across labels are fine.
    P = np.array([[0.9, 0.9, 0.9]])
    np.testing.assert_allclose(
        binary_entropy(P, kind="probs"), reference_binary_entropy(P), atol=1e-12
    )


def test_temperature_divides_each_logit(rng: np.random.Generator) -> None:
    X = rng.normal(scale=3, size=(10, 4))
    reference = reference_binary_entropy(scipy.special.expit(X / 2.5))
    np.testing.assert_allclose(
        binary_entropy(X, temperature=2.5), reference, atol=1e-12
    )
    P = scipy.special.expit(X)
    np.testing.assert_allclose(
        binary_entropy(P, kind="probs", temperature=2.5), reference, atol=1e-12
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_are_stable(dtype: type) -> None:
    X = np.array([[1e4, -1e4, 0.0, 40.0, -40.0]], dtype=dtype)
    h = binary_entropy(X)
    assert h.dtype == np.float64 and np.all(np.isfinite(h))
    np.testing.assert_allclose(h[0, :2], 0.0, atol=1e-300)
    np.testing.assert_allclose(h[0, 2], LOG2, rtol=1e-12)
    # At |z| = 40 the entropy is tiny but positive: (1 + 40) e^-40.
    np.testing.assert_allclose(h[0, 3:], 41 * np.exp(-40.0), rtol=1e-6)
    for temperature in (1e-300, 1e300):
        s = binary_entropy(X, temperature=temperature)
        assert np.all(np.isfinite(s)) and np.all((s >= 0) & (s <= LOG2))
    P = np.array([[0.0, 1.0, 0.5]], dtype=dtype)
    np.testing.assert_allclose(binary_entropy(P, kind="probs"), [[0, 0, LOG2]])


@pytest.mark.parametrize("how", AGGREGATIONS)
def test_aggregations_match_numpy(how: str, rng: np.random.Generator) -> None:
    X = rng.normal(scale=2, size=(12, 6))
    per_label = binary_entropy(X)
    k = 3 if how == "topk_mean" else None
    expected = {
        "mean": per_label.mean(axis=1),
        "max": per_label.max(axis=1),
        "sum": per_label.sum(axis=1),
        "topk_mean": np.sort(per_label, axis=1)[:, -3:].mean(axis=1),
    }[how]
    np.testing.assert_allclose(
        multilabel_hardness(X, aggregate=how, k=k), expected, atol=1e-14
    )


def test_topk_mean_with_k_above_label_count_is_the_mean(
    rng: np.random.Generator,
) -> None:
    X = rng.normal(size=(5, 4))
    np.testing.assert_allclose(
        multilabel_hardness(X, aggregate="topk_mean", k=10),
        multilabel_hardness(X, aggregate="mean"),
    )
    np.testing.assert_allclose(
        multilabel_hardness(X, aggregate="topk_mean", k=1),
        multilabel_hardness(X, aggregate="max"),
    )


def test_empty_and_single_label_inputs() -> None:
    assert multilabel_hardness(np.zeros((0, 3))).shape == (0,)
    np.testing.assert_allclose(multilabel_hardness(np.zeros((2, 1))), LOG2)


@settings(deadline=None, max_examples=60)
@given(X=label_logits)
def test_bounds_and_symmetry(X: np.ndarray) -> None:
    h = binary_entropy(X)
    assert np.all((h >= 0) & (h <= LOG2))
    np.testing.assert_array_equal(binary_entropy(-X), h)
    n_labels = X.shape[1]
    for how in ("mean", "max"):
        s = multilabel_hardness(X, aggregate=how, normalize=True)
        assert np.all((s >= 0) & (s <= 1))
    s = multilabel_hardness(X, aggregate="sum", normalize=True)
    assert np.all((s >= 0) & (s <= n_labels + 1e-12))


@settings(deadline=None, max_examples=60)
@given(X=label_logits, data=st.data())
def test_permuting_labels_permutes_label_scores(
    X: np.ndarray, data: st.DataObject
) -> None:
    order = data.draw(st.permutations(range(X.shape[1])))
    np.testing.assert_array_equal(
        binary_entropy(X[:, order]), binary_entropy(X)[:, order]
    )
    for how in ("max", "sum"):
        np.testing.assert_allclose(
            multilabel_hardness(X[:, order], aggregate=how),
            multilabel_hardness(X, aggregate=how),
            atol=1e-12,
        )
