"""Aggregation of per-object or per-frame scores into one score per sample."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedselect.scores import AGGREGATIONS, aggregate


def reference(
    scores: np.ndarray, groups: np.ndarray, n_groups: int, how: str, k: int | None
) -> np.ndarray:
    """One group at a time, the obvious way."""
    out = np.full(n_groups, np.nan)
    for g in range(n_groups):
        members = np.sort(scores[groups == g])[::-1]
        if members.size == 0:
            continue
        if how == "max":
            out[g] = members[0]
        elif how == "mean":
            out[g] = members.mean()
        elif how == "sum":
            out[g] = members.sum()
        else:
            assert k is not None
            out[g] = members[:k].mean()
    return out


def k_for(how: str) -> int | None:
    return 2 if how == "topk_mean" else None


@pytest.mark.parametrize("how", AGGREGATIONS)
def test_matches_group_by_group_reference(how: str, rng: np.random.Generator) -> None:
    n_groups = 12
    groups = rng.integers(0, n_groups - 3, size=60)  # the last 3 groups stay empty
    scores = rng.random(60)
    k = k_for(how)
    result = aggregate(scores, groups, n_groups=n_groups, how=how, k=k)
    assert result.shape == (n_groups,) and result.dtype == np.float64
    np.testing.assert_allclose(result, reference(scores, groups, n_groups, how, k))
    assert np.all(np.isnan(result[-3:]))


def test_worked_example() -> None:
    scores = np.array([0.2, 0.9, 0.4, 0.7, 0.1])
    groups = np.array([0, 0, 2, 0, 3])
    kwargs = {"n_groups": 5}
    np.testing.assert_allclose(
        aggregate(scores, groups, how="max", **kwargs), [0.9, np.nan, 0.4, 0.1, np.nan]
    )
    np.testing.assert_allclose(
        aggregate(scores, groups, how="mean", **kwargs),
        [0.6, np.nan, 0.4, 0.1, np.nan],
    )
    np.testing.assert_allclose(
        aggregate(scores, groups, how="sum", **kwargs), [1.8, np.nan, 0.4, 0.1, np.nan]
    )
    np.testing.assert_allclose(
        aggregate(scores, groups, how="topk_mean", k=2, **kwargs),
        [0.8, np.nan, 0.4, 0.1, np.nan],
    )


def test_topk_mean_with_k_above_group_size_averages_the_whole_group(
    rng: np.random.Generator,
) -> None:
    groups = rng.integers(0, 5, size=30)
    scores = rng.random(30)
    np.testing.assert_allclose(
        aggregate(scores, groups, n_groups=5, how="topk_mean", k=100),
        aggregate(scores, groups, n_groups=5, how="mean"),
    )
    np.testing.assert_allclose(
        aggregate(scores, groups, n_groups=5, how="topk_mean", k=1),
        aggregate(scores, groups, n_groups=5, how="max"),
    )


@pytest.mark.parametrize("how", AGGREGATIONS)
def test_no_items_gives_all_nan(how: str) -> None:
    result = aggregate([], [], n_groups=3, how=how, k=k_for(how))
    assert result.shape == (3,) and np.all(np.isnan(result))
    assert aggregate(np.array([]), np.array([], dtype=int), n_groups=0).shape == (0,)


@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.int32, np.int64])
def test_any_integer_dtype_for_groups(dtype: type) -> None:
    groups = np.array([1, 0, 1], dtype=dtype)
    np.testing.assert_allclose(
        aggregate([0.5, 0.2, 0.3], groups, n_groups=2, how="sum"), [0.2, 0.8]
    )


def test_negative_scores_and_ties() -> None:
    scores = np.array([-3.0, -1.0, -1.0, -2.0])
    groups = np.array([0, 0, 0, 1])
    np.testing.assert_allclose(aggregate(scores, groups, n_groups=2), [-1.0, -2.0])
    np.testing.assert_allclose(
        aggregate(scores, groups, n_groups=2, how="topk_mean", k=2), [-1.0, -2.0]
    )


@settings(deadline=None, max_examples=60)
@given(
    data=st.data(),
    n_items=st.integers(0, 40),
    n_groups=st.integers(1, 8),
    how=st.sampled_from(AGGREGATIONS),
    k=st.integers(1, 6),
)
def test_item_order_does_not_matter_and_matches_reference(
    data: st.DataObject, n_items: int, n_groups: int, how: str, k: int
) -> None:
    scores = np.array(
        data.draw(st.lists(st.floats(-100, 100), min_size=n_items, max_size=n_items))
    )
    groups = np.array(
        data.draw(
            st.lists(st.integers(0, n_groups - 1), min_size=n_items, max_size=n_items)
        ),
        dtype=np.int64,
    )
    order = np.array(data.draw(st.permutations(range(n_items))), dtype=np.int64)
    k_used = k if how == "topk_mean" else None
    result = aggregate(scores, groups, n_groups=n_groups, how=how, k=k_used)
    shuffled = aggregate(
        scores[order], groups[order], n_groups=n_groups, how=how, k=k_used
    )
    expected = reference(scores, groups, n_groups, how, k_used)
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(shuffled, expected, rtol=1e-12, atol=1e-10)
