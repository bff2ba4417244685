"""Ensemble and MC-dropout hardness: vote entropy, predictive entropy, BALD."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from seedselect.scores import (
    ENSEMBLE_METHODS,
    ensemble_hardness,
    entropy,
    mutual_information,
    predictive_entropy,
    vote_entropy,
)

FUNCTIONS = {
    "mutual_information": mutual_information,
    "predictive_entropy": predictive_entropy,
    "vote_entropy": vote_entropy,
}

stacks = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(2, 6)),
    elements=st.floats(-30, 30, allow_nan=False, allow_infinity=False),
)


def confident(n_classes: int, winners: list[int], strength: float = 10.0) -> np.ndarray:
    """Logits of shape (n_members, 1, n_classes), member m sure of winners[m]."""
    return strength * np.eye(n_classes)[winners][:, None, :]


def reference_parts(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs = scipy.special.softmax(P, axis=2)
    predictive = scipy.stats.entropy(probs.mean(axis=0), axis=1)
    expected = scipy.stats.entropy(probs, axis=2).mean(axis=0)
    return predictive, expected


# ---------------------------------------------------------------------------
# Direction
# ---------------------------------------------------------------------------


def test_disagreeing_members_score_higher_than_agreeing_ones() -> None:
    agree = confident(4, [2, 2, 2, 2], strength=40.0)
    disagree = confident(4, [0, 1, 2, 3], strength=40.0)
    P = np.concatenate([agree, disagree], axis=1)
    for method in ENSEMBLE_METHODS:
        s = ensemble_hardness(P, method=method)
        assert s[0] < s[1], method
        assert s[0] == pytest.approx(0, abs=1e-6), method


def test_agreeing_but_uncertain_members_have_high_entropy_and_no_bald() -> None:
    uncertain = np.zeros((6, 1, 3))  # every member uniform
    disagree = confident(3, [0, 1, 2, 0, 1, 2])
    P = np.concatenate([uncertain, disagree], axis=1)
    predictive = predictive_entropy(P)
    bald = mutual_information(P)
    np.testing.assert_allclose(predictive, np.log(3), atol=1e-3)
    assert bald[0] == pytest.approx(0, abs=1e-12)
    assert bald[1] > 1.0
    # The same holds for probabilities.
    probs = scipy.special.softmax(P, axis=2)
    assert mutual_information(probs, kind="probs")[0] == pytest.approx(0, abs=1e-12)
    np.testing.assert_allclose(predictive_entropy(probs, kind="probs"), predictive)


def test_dispatcher_matches_named_functions(rng: np.random.Generator) -> None:
    P = rng.normal(scale=3, size=(4, 10, 5))
    for method, function in FUNCTIONS.items():
        for kwargs in ({}, {"temperature": 2.0, "normalize": True}):
            np.testing.assert_array_equal(
                ensemble_hardness(P, method=method, **kwargs), function(P, **kwargs)
            )


# ---------------------------------------------------------------------------
# Reference values
# ---------------------------------------------------------------------------


def test_predictive_entropy_and_bald_match_scipy(rng: np.random.Generator) -> None:
    P = rng.normal(scale=3, size=(5, 20, 6))
    predictive, expected = reference_parts(P)
    np.testing.assert_allclose(predictive_entropy(P), predictive, atol=1e-12)
    np.testing.assert_allclose(
        mutual_information(P), np.maximum(predictive - expected, 0), atol=1e-12
    )
    np.testing.assert_allclose(
        predictive_entropy(P, normalize=True), predictive / np.log(6), atol=1e-12
    )
    # 5 members, 6 classes: the disagreement scale is log(5).
    np.testing.assert_allclose(
        mutual_information(P, normalize=True),
        np.maximum(predictive - expected, 0) / np.log(5),
        atol=1e-12,
    )


def test_vote_entropy_counts_argmax_votes(rng: np.random.Generator) -> None:
    P = rng.normal(size=(7, 25, 4))
    votes = np.stack([np.bincount(row, minlength=4) for row in P.argmax(axis=2).T])
    reference = scipy.stats.entropy(votes / 7, axis=1)
    np.testing.assert_allclose(vote_entropy(P), reference, atol=1e-12)
    np.testing.assert_allclose(
        vote_entropy(P, normalize=True), reference / np.log(4), atol=1e-12
    )
    # Votes ignore the softmax and the temperature.
    probs = scipy.special.softmax(P, axis=2)
    np.testing.assert_array_equal(vote_entropy(probs, kind="probs"), vote_entropy(P))
    np.testing.assert_array_equal(vote_entropy(P, temperature=0.1), vote_entropy(P))


def test_vote_entropy_normalization_by_members_or_classes() -> None:
    # 2 members, 5 classes: a split vote is the most they can disagree.
    assert vote_entropy(confident(5, [0, 3]), normalize=True)[0] == pytest.approx(1)
    # 3 members, 2 classes: a 2-1 split cannot reach log 2.
    split = vote_entropy(confident(2, [0, 1, 1]), normalize=True)[0]
    assert 0 < split < 1
    # 4 members, 2 classes: a 2-2 split does.
    assert vote_entropy(confident(2, [0, 1, 1, 0]), normalize=True)[0] == 1.0


def test_single_member_gives_zero_disagreement(rng: np.random.Generator) -> None:
    P = rng.normal(scale=2, size=(1, 8, 3))
    np.testing.assert_allclose(predictive_entropy(P), entropy(P[0]), atol=1e-12)
    for method in ("mutual_information", "vote_entropy"):
        for normalize in (False, True):
            s = ensemble_hardness(P, method=method, normalize=normalize)
            np.testing.assert_array_equal(s, 0.0)


def test_list_of_member_arrays_and_empty_samples(rng: np.random.Generator) -> None:
    members = [rng.normal(size=(6, 3)) for _ in range(3)]
    np.testing.assert_array_equal(
        mutual_information(members), mutual_information(np.stack(members))
    )
    for method in ENSEMBLE_METHODS:
        assert ensemble_hardness(np.zeros((3, 0, 4)), method=method).shape == (0,)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_classes", [2, 10_000])
def test_extreme_logits_are_stable(
    dtype: type, n_classes: int, rng: np.random.Generator
) -> None:
    P = rng.choice([-1e4, 1e4], size=(3, 4, n_classes)).astype(dtype)
    for method in ENSEMBLE_METHODS:
        for normalize in (False, True):
            s = ensemble_hardness(P, method=method, normalize=normalize)
            assert s.dtype == np.float64 and np.all(np.isfinite(s))
            assert np.all(s >= 0)
    # Identical one-hot members: nothing to disagree on, nothing uncertain.
    one_hot = np.full((3, 2, n_classes), -1e4, dtype=dtype)
    one_hot[:, :, 0] = 1e4
    for method in ENSEMBLE_METHODS:
        np.testing.assert_allclose(ensemble_hardness(one_hot, method=method), 0.0)
    equal = np.full((3, 2, n_classes), 1e4, dtype=dtype)
    np.testing.assert_allclose(predictive_entropy(equal), np.log(n_classes))
    np.testing.assert_allclose(mutual_information(equal), 0.0, atol=1e-12)


# ---------------------------------------------------------------------------
# Invariants (hypothesis)
# ---------------------------------------------------------------------------


@settings(deadline=None, max_examples=80)
@given(P=stacks, temperature=st.floats(0.1, 10))
def test_bald_is_between_zero_and_predictive_entropy(
    P: np.ndarray, temperature: float
) -> None:
    n_members, _, n_classes = P.shape
    predictive = predictive_entropy(P, temperature=temperature)
    bald = mutual_information(P, temperature=temperature)
    assert np.all(bald >= 0)
    assert np.all(bald <= predictive)
    assert np.all(predictive <= np.log(n_classes))
    assert np.all(bald <= np.log(min(n_members, n_classes)) + 1e-12)
    for method in ENSEMBLE_METHODS:
        s = ensemble_hardness(P, method=method, temperature=temperature, normalize=True)
        assert np.all((s >= 0) & (s <= 1)), method


@settings(deadline=None, max_examples=50)
@given(P=stacks, data=st.data())
def test_permuting_classes_or_members_changes_nothing(
    P: np.ndarray, data: st.DataObject
) -> None:
    classes = data.draw(st.permutations(range(P.shape[2])))
    members = data.draw(st.permutations(range(P.shape[0])))
    for method in ("mutual_information", "predictive_entropy"):
        base = ensemble_hardness(P, method=method)
        np.testing.assert_allclose(
            ensemble_hardness(P[:, :, classes], method=method), base, atol=1e-12
        )
        np.testing.assert_allclose(
            ensemble_hardness(P[members], method=method), base, atol=1e-12
        )
    # Votes break ties by class order, so only the member order is free.
    np.testing.assert_array_equal(vote_entropy(P[members]), vote_entropy(P))
