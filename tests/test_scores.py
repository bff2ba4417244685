"""Softmax hardness measures: direction, reference values, invariants, stability."""

from __future__ import annotations

import doctest
import importlib
import sys

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import seedselect.scores as scores
from seedselect.scores import (
    METHODS,
    entropy,
    find_invalid_rows,
    hardness,
    least_confidence,
    margin,
    ratio,
    softmax,
)

FUNCTIONS = {
    "entropy": entropy,
    "margin": margin,
    "least_confidence": least_confidence,
    "ratio": ratio,
}

# Moderate logits: hypothesis draws rows of 2 to 12 classes with values in
# [-30, 30], where a naive numpy reference is still exact.
logit_arrays = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(2, 12)),
    elements=st.floats(-30, 30, allow_nan=False, allow_infinity=False),
)


def naive_top_two(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ordered = np.sort(probs, axis=1)
    return ordered[:, -1], ordered[:, -2]


# ---------------------------------------------------------------------------
# Package surface
# ---------------------------------------------------------------------------


def test_all_lists_every_public_name() -> None:
    assert len(scores.__all__) == len(set(scores.__all__))
    for name in scores.__all__:
        assert getattr(scores, name) is not None, name
    public = {
        name
        for name, value in vars(scores).items()
        if not name.startswith("_") and not isinstance(value, type(sys))
    }
    assert public <= set(scores.__all__)


@pytest.mark.parametrize(
    "module", ["_measures", "_multilabel", "_ensemble", "_aggregate"]
)
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(f"seedselect.scores.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_scores_module_does_not_import_fiftyone() -> None:
    import subprocess

    code = "import sys, seedselect.scores; print('fiftyone' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------
# Direction: a confident prediction is easier than a uniform one
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("normalize", [False, True])
def test_confident_logits_score_lower_than_uniform(
    method: str, normalize: bool
) -> None:
    X = np.array([[6.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [2.0, 1.0, 0.0, 0.0]])
    s = hardness(X, method=method, normalize=normalize)
    assert s[0] < s[2] < s[1]


@pytest.mark.parametrize("method", METHODS)
def test_confident_probs_score_lower_than_uniform(method: str) -> None:
    X = np.array(
        [[0.97, 0.01, 0.01, 0.01], [0.25, 0.25, 0.25, 0.25], [0.5, 0.3, 0.1, 0.1]]
    )
    s = hardness(X, method=method, kind="probs")
    assert s[0] < s[2] < s[1]


@pytest.mark.parametrize("method", METHODS)
def test_dispatcher_matches_named_function(
    method: str, rng: np.random.Generator
) -> None:
    X = rng.normal(scale=3, size=(20, 5))
    for kwargs in ({}, {"temperature": 2.5, "normalize": True}):
        np.testing.assert_array_equal(
            hardness(X, method=method, **kwargs), FUNCTIONS[method](X, **kwargs)
        )


# ---------------------------------------------------------------------------
# Reference values
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3, 10, 1000])
@pytest.mark.parametrize("scale", [0.1, 3.0, 50.0])
def test_entropy_matches_scipy_softmax_entropy(
    n_classes: int, scale: float, rng: np.random.Generator
) -> None:
    X = rng.normal(scale=scale, size=(40, n_classes))
    reference = scipy.stats.entropy(scipy.special.softmax(X, axis=1), axis=1)
    np.testing.assert_allclose(entropy(X), reference, rtol=0, atol=1e-9)


def test_entropy_matches_fiftyone_brain_definition_row_by_row(
    rng: np.random.Generator,
) -> None:
    # FiftyOne Brain scores one 1-D logits vector at a time.
    X = rng.normal(scale=4, size=(25, 7))
    reference = [scipy.stats.entropy(scipy.special.softmax(row)) for row in X]
    np.testing.assert_allclose(entropy(X), reference, rtol=0, atol=1e-9)


def test_entropy_of_probs_matches_scipy_including_unnormalized_rows(
    rng: np.random.Generator,
) -> None:
    P = rng.random(size=(30, 6))
    P[:5, 2] = 0.0  # zero probabilities count as 0 * log 0 = 0
    P[5] = [3.0, 0, 0, 0, 0, 0]
    reference = scipy.stats.entropy(P, axis=1)
    np.testing.assert_allclose(entropy(P, kind="probs"), reference, atol=1e-12)


def test_margin_least_confidence_ratio_match_naive_reference(
    rng: np.random.Generator,
) -> None:
    X = rng.normal(scale=3, size=(50, 8))
    probs = np.exp(X) / np.exp(X).sum(axis=1, keepdims=True)
    p1, p2 = naive_top_two(probs)
    np.testing.assert_allclose(margin(X), 1 - (p1 - p2), atol=1e-12)
    np.testing.assert_allclose(least_confidence(X), 1 - p1, atol=1e-12)
    np.testing.assert_allclose(ratio(X), p2 / p1, atol=1e-12)
    for kind, data in (("logits", X), ("probs", probs)):
        np.testing.assert_allclose(margin(data, kind=kind), 1 - (p1 - p2), atol=1e-12)


def test_normalize_maps_to_unit_interval_by_class_count(
    rng: np.random.Generator,
) -> None:
    n_classes = 7
    X = rng.normal(size=(30, n_classes))
    np.testing.assert_allclose(
        entropy(X, normalize=True), entropy(X) / np.log(n_classes), atol=1e-14
    )
    np.testing.assert_allclose(
        least_confidence(X, normalize=True),
        least_confidence(X) * n_classes / (n_classes - 1),
        atol=1e-14,
    )
    # Margin and ratio already lie in [0, 1]: normalize leaves them unchanged.
    np.testing.assert_array_equal(margin(X, normalize=True), margin(X))
    np.testing.assert_array_equal(ratio(X, normalize=True), ratio(X))
    uniform = np.zeros((1, n_classes))
    for method in ("entropy", "least_confidence"):
        assert hardness(uniform, method=method, normalize=True)[0] == pytest.approx(1)


def test_softmax_matches_scipy_and_rows_sum_to_one(rng: np.random.Generator) -> None:
    X = rng.normal(scale=5, size=(10, 6)).astype(np.float32)
    probs = softmax(X, temperature=2.0)
    assert probs.dtype == np.float64
    np.testing.assert_allclose(
        probs, scipy.special.softmax(X.astype(np.float64) / 2.0, axis=1), atol=1e-14
    )
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-14)


# ---------------------------------------------------------------------------
# Temperature
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0.25, 1.0, 3.0])
def test_temperature_divides_logits(
    temperature: float, rng: np.random.Generator
) -> None:
    X = rng.normal(scale=3, size=(20, 5))
    reference = scipy.stats.entropy(
        scipy.special.softmax(X / temperature, axis=1), axis=1
    )
    np.testing.assert_allclose(
        entropy(X, temperature=temperature), reference, atol=1e-12
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_temperature_on_probs_matches_temperature_on_logits(
    method: str, temperature: float, rng: np.random.Generator
) -> None:
    X = rng.normal(scale=2, size=(20, 5))
    P = scipy.special.softmax(X, axis=1)
    from_logits = hardness(X, method=method, temperature=temperature)
    from_probs = hardness(P, method=method, kind="probs", temperature=temperature)
    np.testing.assert_allclose(from_probs, from_logits, atol=1e-12)
    # ... which is p ** (1 / T), renormalized.
    sharpened = P ** (1 / temperature)
    sharpened /= sharpened.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(
        from_probs, hardness(sharpened, method=method, kind="probs"), atol=1e-12
    )


def test_temperature_limits(rng: np.random.Generator) -> None:
    X = rng.normal(scale=5, size=(10, 4))
    np.testing.assert_allclose(entropy(X, temperature=1e12), np.log(4), atol=1e-9)
    np.testing.assert_allclose(entropy(X, temperature=1e-12), 0.0, atol=1e-9)
    # Extreme temperatures stay finite and in range.
    for temperature in (1e-300, 1e300):
        for method in METHODS:
            s = hardness(X * 1e4, method=method, temperature=temperature)
            assert np.all(np.isfinite(s)) and np.all(s >= 0) and np.all(s <= np.log(4))


# ---------------------------------------------------------------------------
# Inputs that are accepted
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_empty_input_gives_empty_scores(method: str) -> None:
    s = hardness(np.zeros((0, 3)), method=method)
    assert s.shape == (0,) and s.dtype == np.float64


def test_lists_ints_and_float32_are_accepted() -> None:
    as_list = [[2, 0, 0], [1, 1, 1]]
    expected = entropy(np.array(as_list, dtype=np.float64))
    np.testing.assert_allclose(entropy(as_list), expected)
    np.testing.assert_allclose(entropy(np.array(as_list, dtype=np.float32)), expected)
    assert entropy(as_list).dtype == np.float64


def test_input_is_not_modified(rng: np.random.Generator) -> None:
    X = rng.normal(size=(5, 4))
    P = rng.random(size=(5, 4))
    X_copy, P_copy = X.copy(), P.copy()
    for method in METHODS:
        hardness(X, method=method, temperature=0.5)
        hardness(P, method=method, kind="probs", temperature=0.5)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(P, P_copy)


def test_find_invalid_rows_flags_each_problem() -> None:
    X = np.array(
        [
            [0.2, 0.8],
            [np.nan, 0.5],
            [-0.1, 1.1],
            [0.0, 0.0],
            [np.inf, 0.0],
            [0.5, 1.5],
        ]
    )
    np.testing.assert_array_equal(
        find_invalid_rows(X), [False, True, False, False, True, False]
    )
    np.testing.assert_array_equal(
        find_invalid_rows(X, kind="probs"), [False, True, True, True, True, False]
    )
    np.testing.assert_array_equal(
        find_invalid_rows(X, kind="probs", multilabel=True),
        [False, True, True, False, True, True],
    )
    stack = np.stack([np.zeros((3, 2)), np.zeros((3, 2))])
    stack[1, 2, 0] = np.nan
    np.testing.assert_array_equal(find_invalid_rows(stack), [False, False, True])
    # The flagged rows are exactly the ones the scorer would refuse.
    good = ~find_invalid_rows(X, kind="probs")
    assert entropy(X[good], kind="probs").shape == (int(good.sum()),)


# ---------------------------------------------------------------------------
# Invariants (hypothesis)
# ---------------------------------------------------------------------------


@settings(deadline=None, max_examples=60)
@given(X=logit_arrays, data=st.data())
def test_permuting_classes_changes_nothing(X: np.ndarray, data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(X.shape[1])))
    for method in METHODS:
        np.testing.assert_allclose(
            hardness(X[:, order], method=method), hardness(X, method=method), atol=1e-12
        )


@settings(deadline=None, max_examples=60)
@given(X=logit_arrays, shift=st.floats(-1000, 1000))
def test_adding_a_constant_to_the_logits_changes_nothing(
    X: np.ndarray, shift: float
) -> None:
    for method in METHODS:
        np.testing.assert_allclose(
            hardness(X + shift, method=method), hardness(X, method=method), atol=1e-9
        )


@settings(deadline=None, max_examples=60)
@given(X=logit_arrays, temperature=st.floats(0.05, 20))
def test_bounds_hold(X: np.ndarray, temperature: float) -> None:
    n_classes = X.shape[1]
    h = entropy(X, temperature=temperature)
    assert np.all((h >= 0) & (h <= np.log(n_classes)))
    lc = least_confidence(X, temperature=temperature)
    assert np.all((lc >= 0) & (lc <= 1 - 1 / n_classes + 1e-15))
    for method in METHODS:
        s = hardness(X, method=method, temperature=temperature, normalize=True)
        assert np.all((s >= 0) & (s <= 1)), method
    for method in ("margin", "ratio"):
        s = hardness(X, method=method, temperature=temperature)
        assert np.all((s >= 0) & (s <= 1)), method


@settings(deadline=None, max_examples=40)
@given(
    P=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 6), st.integers(2, 8)),
        elements=st.floats(0.001, 1.0),
    ),
    scale=st.floats(0.01, 100),
)
def test_probs_rows_need_not_sum_to_one(P: np.ndarray, scale: float) -> None:
    for method in METHODS:
        np.testing.assert_allclose(
            hardness(P * scale, method=method, kind="probs"),
            hardness(P, method=method, kind="probs"),
            atol=1e-12,
        )


# ---------------------------------------------------------------------------
# Numerical stability
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [2, 10_000])
@pytest.mark.parametrize("value", [1e4, -1e4])
def test_extreme_logits_reach_the_right_limits(
    dtype: type, n_classes: int, value: float
) -> None:
    # One class at 1e4, the others at 0 or at -1e4: a one-hot prediction.
    one_hot = np.full((3, n_classes), min(value, 0.0), dtype=dtype)
    one_hot[:, 1] = 1e4
    # Every class at +1e4 or at -1e4: a uniform prediction.
    equal = np.full((3, n_classes), value, dtype=dtype)

    for method in METHODS:
        s = hardness(one_hot, method=method)
        assert np.all(np.isfinite(s))
        np.testing.assert_allclose(s, 0.0, atol=1e-12)
    np.testing.assert_allclose(entropy(equal), np.log(n_classes), rtol=1e-12)
    np.testing.assert_allclose(entropy(equal, normalize=True), 1.0, rtol=1e-12)
    np.testing.assert_allclose(margin(equal), 1.0, rtol=1e-12)
    np.testing.assert_allclose(ratio(equal), 1.0, rtol=1e-12)
    np.testing.assert_allclose(least_confidence(equal), 1 - 1 / n_classes, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [2, 10_000])
def test_random_extreme_logits_stay_finite_and_bounded(
    dtype: type, n_classes: int, rng: np.random.Generator
) -> None:
    X = rng.uniform(-1e4, 1e4, size=(8, n_classes)).astype(dtype)
    for method in METHODS:
        for kwargs in ({}, {"normalize": True}, {"temperature": 1e3}):
            s = hardness(X, method=method, **kwargs)
            assert s.dtype == np.float64
            assert np.all(np.isfinite(s)) and np.all(s >= 0)
            assert np.all(s <= max(1.0, np.log(n_classes)))
    # Two tied top logits far above the rest: margin 1 and ratio 1 exactly.
    tied = np.full((1, n_classes), -1e4, dtype=dtype)
    tied[0, :2] = 1e4
    assert margin(tied)[0] == 1.0 and ratio(tied)[0] == 1.0
    np.testing.assert_allclose(entropy(tied), np.log(2), rtol=1e-12)


def test_ratio_stays_exact_when_both_probabilities_underflow() -> None:
    # Two leaders 1 apart at 1e4, the rest at -1e4: p2 / p1 is exactly e^-1.
    X = np.full((1, 50), -1e4)
    X[0, 0], X[0, 1] = 1e4, 1e4 - 1.0
    np.testing.assert_allclose(ratio(X), np.exp(-1.0), rtol=1e-12)
    np.testing.assert_allclose(
        margin(X), 1 - (1 - np.exp(-1)) / (1 + np.exp(-1)), rtol=1e-12
    )
