"""Hypothesis checks of the scorers' and the selector's invariants.

Inputs include ties, duplicate points, one class, two samples and values near
the limits of float64.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seedselect.scores import (
    ensemble_hardness,
    entropy,
    hardness,
    least_confidence,
    margin,
    multilabel_hardness,
    ratio,
    softmax,
)
from seedselect.selection import kcenter_greedy, select_batch

SETTINGS = settings(max_examples=60, deadline=None)
# Tolerance for comparisons of probabilities and entropies in float64.
TOL = 1e-9

# Finite float64 values, with a share of huge and tiny ones and exact repeats.
# Logits of one row may differ by up to 2 * LIMIT, which must stay below the
# largest float64 (about 1.8e308) for the differences to be finite.
LIMIT = 8e307
huge = st.sampled_from([LIMIT, -LIMIT, 1e300, -1e300, 0.0, 1e-308, -5e-324])
finite = st.one_of(
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
    st.floats(-LIMIT, LIMIT, allow_nan=False, allow_infinity=False),
    huge,
)


@st.composite
def logits(draw, *, elements=finite, min_rows=1, min_cols=2):
    n = draw(st.integers(min_rows, 12))
    k = draw(st.integers(min_cols, 6))
    return draw(arrays(np.float64, (n, k), elements=elements))


@st.composite
def probs(draw):
    n = draw(st.integers(1, 12))
    k = draw(st.integers(2, 6))
    raw = draw(arrays(np.float64, (n, k), elements=st.floats(0, 1e300)))
    assume(bool(np.all(raw.sum(axis=1) > 0)) and bool(np.all(np.isfinite(raw.sum(1)))))
    return raw


@SETTINGS
@given(logits())
def test_softmax_rows_are_distributions_even_near_float_limits(X):
    P = softmax(X)
    assert P.shape == X.shape
    assert np.all(np.isfinite(P)) and np.all(P >= 0)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=TOL)


@SETTINGS
@given(logits())
def test_every_measure_stays_in_its_range(X):
    k = X.shape[1]
    h = entropy(X)
    assert np.all(np.isfinite(h))
    assert np.all(h >= -TOL) and np.all(h <= math.log(k) + TOL)
    for measure in (margin, ratio):
        values = measure(X)
        assert np.all((values >= -TOL) & (values <= 1 + TOL))
    lc = least_confidence(X)
    assert np.all((lc >= -TOL) & (lc <= 1 - 1 / k + TOL))
    for method in ("entropy", "margin", "least_confidence", "ratio"):
        normalized = hardness(X, method=method, normalize=True)
        assert np.all((normalized >= -TOL) & (normalized <= 1 + TOL))


@SETTINGS
@given(logits(elements=st.floats(-50, 50)), st.data())
def test_measures_ignore_class_order_and_a_shift_of_the_logits(X, data):
    order = data.draw(st.permutations(range(X.shape[1])))
    shift = data.draw(st.floats(-100, 100))
    for method in ("entropy", "margin", "least_confidence", "ratio"):
        base = hardness(X, method=method)
        np.testing.assert_allclose(hardness(X[:, order], method=method), base, atol=TOL)
        np.testing.assert_allclose(hardness(X + shift, method=method), base, atol=1e-7)


@SETTINGS
@given(st.integers(1, 8), st.integers(2, 8), st.floats(-1e300, 1e300))
def test_tied_logits_are_the_hardest_case(n, k, value):
    X = np.full((n, k), value)
    np.testing.assert_allclose(entropy(X), math.log(k), atol=TOL)
    np.testing.assert_allclose(margin(X), 1.0, atol=TOL)
    np.testing.assert_allclose(ratio(X), 1.0, atol=TOL)
    np.testing.assert_allclose(entropy(X, normalize=True), 1.0, atol=TOL)


@SETTINGS
@given(probs(), st.floats(1e-3, 1e3))
def test_probabilities_are_read_up_to_scale(P, scale):
    assume(np.all(np.isfinite(P * scale)) and np.all((P * scale).sum(axis=1) > 0))
    for method in ("entropy", "margin", "least_confidence", "ratio"):
        a = hardness(P, method=method, kind="probs")
        b = hardness(P * scale, method=method, kind="probs")
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(a, b, atol=1e-7)


@SETTINGS
@given(st.integers(1, 4), logits(elements=st.floats(-30, 30)))
def test_ensemble_information_is_between_zero_and_predictive_entropy(m, X):
    rng = np.random.default_rng(0)
    P = np.stack([X + rng.normal(size=X.shape) * i for i in range(m)])
    mi = ensemble_hardness(P, method="mutual_information")
    pe = ensemble_hardness(P, method="predictive_entropy")
    assert np.all(mi >= -TOL) and np.all(mi <= pe + TOL)
    if m == 1:
        np.testing.assert_allclose(mi, 0.0, atol=TOL)


def test_softmax_of_logits_spanning_more_than_the_float_range():
    X = np.array([[1e308, -1e308], [-1e308, 0.0]])
    np.testing.assert_allclose(softmax(X), [[1.0, 0.0], [0.0, 1.0]])
    # The wider row is as confident as it gets, for every measure.
    for method in ("entropy", "margin", "least_confidence", "ratio"):
        np.testing.assert_allclose(hardness(X, method=method), [0.0, 0.0])


@SETTINGS
@given(logits(elements=st.floats(-LIMIT, LIMIT), min_cols=1))
def test_multilabel_entropy_is_bounded_by_log_two(X):
    h = multilabel_hardness(X)
    assert np.all(np.isfinite(h)) and np.all((h >= -TOL) & (h <= math.log(2) + TOL))


# ---------------------------------------------------------------------------
# Selector


@st.composite
def pools(draw):
    n = draw(st.integers(2, 25))
    # Few distinct values make ties and duplicate points likely.
    scores = draw(
        arrays(np.float64, n, elements=st.sampled_from([0.0, 0.5, 1.0, 1e-300, 1e300]))
    )
    n_classes = draw(st.integers(1, 3))
    labels = draw(arrays(np.int64, n, elements=st.integers(0, n_classes - 1)))
    # Points on a small grid, scaled as a whole to tiny or huge magnitudes.
    grid = draw(arrays(np.float64, (n, 2), elements=st.sampled_from([0.0, 1.0, 2.0])))
    points = grid * draw(st.sampled_from([1.0, 1e-150, 1e150]))
    n_select = draw(st.integers(1, n))
    return scores, labels, points, n_select


def _check_contract(result, n_select, n, excluded=()):
    idx = np.asarray(result.indices)
    assert idx.dtype == np.int64
    assert len(np.unique(idx)) == len(idx)
    assert np.all((idx >= 0) & (idx < n))
    assert not set(idx.tolist()) & set(excluded)
    assert len(idx) + result.shortfall == n_select


@SETTINGS
@given(pools(), st.sampled_from([None, "kcenter", "dedup"]), st.integers(0, 2**16))
def test_selection_contract_with_ties_duplicates_and_one_class(pool, diversity, seed):
    scores, labels, points, n_select = pool
    kwargs = {
        "scores": scores,
        "labels": labels,
        "embeddings": points,
        "diversity": diversity,
        "allow_shortfall": True,
        "random_state": seed,
    }
    if diversity == "dedup":
        kwargs["radius"] = 0.5
    first = select_batch(n_select, **kwargs)
    again = select_batch(n_select, **kwargs)
    _check_contract(first, n_select, len(scores))
    np.testing.assert_array_equal(first.indices, again.indices)
    if diversity is None:
        # Greedy without diversity takes the hardest: no skipped score beats a
        # chosen one, and a full batch has no shortfall.
        assert first.shortfall == 0
        chosen = scores[first.indices]
        rest = np.delete(scores, first.indices)
        assert rest.size == 0 or rest.max() <= chosen.min()


@SETTINGS
@given(pools(), st.data())
def test_excluded_samples_are_never_chosen(pool, data):
    scores, labels, points, _ = pool
    n = len(scores)
    exclude = data.draw(arrays(np.bool_, n))
    assume(not exclude.all())
    n_select = data.draw(st.integers(1, int((~exclude).sum())))
    result = select_batch(
        n_select, scores=scores, labels=labels, exclude=exclude, random_state=0
    )
    _check_contract(result, n_select, n, np.flatnonzero(exclude).tolist())
    assert result.shortfall == 0


@SETTINGS
@given(pools())
def test_kcenter_picks_distinct_points_first(pool):
    _, _, points, n_select = pool
    chosen = kcenter_greedy(points, n_select)
    assert len(np.unique(chosen)) == len(chosen) <= n_select
    n_distinct = len(np.unique(points, axis=0))
    distinct_chosen = len(np.unique(points[chosen], axis=0))
    assert distinct_chosen == min(len(chosen), n_distinct)


@pytest.mark.parametrize("n_select", [1, 2])
def test_two_samples_one_class(n_select):
    result = select_batch(
        n_select, scores=[0.3, 0.3], labels=["a", "a"], balance="equal", random_state=0
    )
    _check_contract(result, n_select, 2)
    assert result.shortfall == 0
