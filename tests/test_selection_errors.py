"""Bad input to the selection layer: an InputError that says what to do."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from seedselect import InputError
from seedselect.selection import (
    coverage_radius,
    kcenter_greedy,
    select_batch,
    typicality,
)


@pytest.fixture
def pool(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "scores": rng.random(20),
        "embeddings": rng.normal(size=(20, 3)),
        "labels": np.array(["a"] * 15 + ["b"] * 5),
    }


# (keyword arguments on top of the pool, n_select, words the message must hold)
CASES: dict[str, tuple[dict[str, Any], Any, tuple[str, ...]]] = {
    "too_many": ({}, 21, ("n_select=21", "20 candidates", "allow_shortfall")),
    "too_many_after_exclusions": (
        {"exclude": list(range(10))},
        11,
        ("n_select=11", "10 excluded", "allow_shortfall"),
    ),
    "too_many_after_gates": (
        {"threshold": 2.0},
        1,
        ("n_select=1", "removed by gates", "widen the gates"),
    ),
    "negative_count": ({}, -1, ("n_select=-1", "at least 0")),
    "float_count": ({}, 2.5, ("n_select=2.5", "not an integer")),
    "bool_count": ({}, True, ("n_select=True",)),
    "scores_length": ({"scores": np.ones(19)}, 2, ("embeddings has 20", "19")),
    "labels_length": ({"labels": ["a"] * 21}, 2, ("labels has 21", "20")),
    "exclude_mask_length": (
        {"exclude": np.zeros(19, dtype=bool)},
        2,
        ("exclude", "length 19", "20 samples"),
    ),
    "exclude_out_of_range": ({"exclude": [3, 25]}, 2, ("exclude", "25")),
    "exclude_negative": ({"exclude": [-1]}, 2, ("exclude", "negative")),
    "exclude_float": ({"exclude": [1.5]}, 2, ("exclude", "dtype float64")),
    "nan_scores": (
        {"scores": np.r_[np.ones(3), np.nan, np.ones(15), np.inf]},
        2,
        ("scores holds 2 NaN or infinite", "index 3"),
    ),
    "scores_2d": ({"scores": np.ones((20, 2))}, 2, ("scores has shape (20, 2)",)),
    "scores_text": ({"scores": np.array(["x"] * 20)}, 2, ("scores has dtype",)),
    "inf_embeddings": (
        {"embeddings": np.where(np.arange(60).reshape(20, 3) == 7, np.inf, 1.0)},
        2,
        ("embeddings has 1 row", "index 2"),
    ),
    "embeddings_1d": ({"embeddings": np.ones(20)}, 2, ("embeddings has shape",)),
    "no_scores_no_embeddings": (
        {"scores": None, "embeddings": None},
        2,
        ("scores and embeddings are both None",),
    ),
    "empty_pool": (
        {"scores": np.empty(0), "embeddings": None, "labels": None},
        0,
        ("pool is empty",),
    ),
    "unknown_quota_class": (
        {"balance": {"a": 1, "zebra": 1}},
        2,
        ("balance", "'zebra'", "not in labels"),
    ),
    "unknown_min_class": (
        {"balance": "equal", "min_per_class": {"zebra": 1}},
        2,
        ("min_per_class", "'zebra'"),
    ),
    "quota_sum": ({"balance": {"a": 1, "b": 1}}, 3, ("add up to 2", "n_select=3")),
    "negative_quota": ({"balance": {"a": -1, "b": 3}}, 2, ("balance['a']=-1",)),
    "float_quota": ({"balance": {"a": 1.5, "b": 1}}, 2, ("balance['a']=1.5",)),
    "bad_balance": ({"balance": "fair"}, 2, ("balance='fair'", "equal")),
    "balance_without_labels": (
        {"labels": None, "balance": "equal"},
        2,
        ("balance='equal' needs labels",),
    ),
    "missing_labels": (
        {"labels": np.array(["a", None] * 10, dtype=object)},
        2,
        ("labels has 10 missing", "index 1"),
    ),
    "min_above_max": (
        {"balance": "equal", "min_per_class": 3, "max_per_class": 2},
        4,
        ("min_per_class (3) exceeds max_per_class (2)",),
    ),
    "min_sum": (
        {"balance": "equal", "min_per_class": 3},
        4,
        ("min_per_class asks for 6", "n_select=4"),
    ),
    "max_caps_total": (
        {"balance": "equal", "max_per_class": 2},
        5,
        ("fill only 4", "max_per_class", "allow_shortfall"),
    ),
    "min_without_balance": ({"min_per_class": 1}, 2, ("min_per_class=1", "balance")),
    "mapping_over_max": (
        {"balance": {"a": 3, "b": 1}, "max_per_class": 2},
        4,
        ("max_per_class allows 2",),
    ),
    "mapping_with_min": (
        {"balance": {"a": 2}, "min_per_class": 1},
        2,
        ("min_per_class=1 cannot be combined",),
    ),
    "threshold_without_scores": (
        {"scores": None, "threshold": 0.5},
        2,
        ("threshold=0.5", "scores=None"),
    ),
    "bad_quantiles": ({"quantile_range": (0.9, 0.1)}, 2, ("quantile_range",)),
    "quantiles_not_pair": ({"quantile_range": 0.5}, 2, ("not a pair",)),
    "zero_top_fraction": ({"top_fraction": 0.0}, 2, ("top_fraction=0.0",)),
    "nan_threshold": ({"threshold": float("nan")}, 2, ("threshold=nan", "finite")),
    "bad_sampling": ({"sampling": "random"}, 2, ("sampling='random'",)),
    "bad_temperature": ({"sampling_temperature": 0}, 2, ("sampling_temperature",)),
    "bad_power": ({"sampling_power": -1}, 2, ("sampling_power",)),
    "power_negative_scores": (
        {"scores": np.r_[-1.0, np.ones(19)], "sampling": "power"},
        2,
        ("sampling='power'", "1 negative", "index 0"),
    ),
    "bad_diversity": (
        {"diversity": "random"},
        2,
        ("diversity='random'", "'auto' (the default)", "'kcenter'"),
    ),
    "diversity_without_embeddings": (
        {"embeddings": None, "diversity": "kcenter"},
        2,
        ("embeddings=None",),
    ),
    "dedup_without_radius": ({"diversity": "dedup"}, 2, ("needs radius",)),
    "negative_radius": ({"diversity": "dedup", "radius": -1.0}, 2, ("radius=-1.0",)),
    "radius_elsewhere": (
        {"diversity": "kcenter", "radius": 1.0},
        2,
        ("radius=1.0 is used only",),
    ),
    "n_clusters_elsewhere": (
        {"n_clusters": 3, "diversity": None},
        2,
        ("n_clusters=3 is used only",),
    ),
    "n_clusters_auto_without_embeddings": (
        {"embeddings": None, "n_clusters": 3},
        2,
        ("n_clusters=3", "diversity='auto'", "pass embeddings"),
    ),
    "radius_with_auto": (
        {"radius": 1.0},
        2,
        ("radius=1.0", "diversity='auto'", "diversity='dedup'"),
    ),
    "too_many_clusters": (
        {"diversity": "cluster", "n_clusters": 30},
        2,
        ("n_clusters=30 exceeds the 20 candidates",),
    ),
    "bad_weight": (
        {"diversity": "weighted", "diversity_weight": 1.5},
        2,
        ("diversity_weight=1.5",),
    ),
    "bad_metric": ({"metric": "manhattan"}, 2, ("metric='manhattan'",)),
    "zero_row_cosine": (
        {"embeddings": np.r_[np.zeros((1, 3)), np.ones((19, 3))], "metric": "cosine"},
        2,
        ("all-zero rows", "index 0", "metric='cosine'"),
    ),
    "bad_chunk_size": ({"chunk_size": 0}, 2, ("chunk_size=0",)),
    "bad_random_state": ({"random_state": "seed"}, 2, ("random_state='seed'",)),
    "dedup_runs_out": (
        {"embeddings": np.zeros((20, 3)), "diversity": "dedup", "radius": 0.5},
        2,
        ("only 1 of n_select=2", "radius", "allow_shortfall"),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_raises(name: str, pool: dict[str, Any]) -> None:
    kwargs, n_select, words = CASES[name]
    with pytest.raises(InputError) as info:
        select_batch(n_select, **{**pool, **kwargs})
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    assert isinstance(info.value, ValueError)


def test_zero_samples_is_an_empty_result(pool: dict[str, Any]) -> None:
    result = select_batch(0, **pool, diversity="cluster")
    assert result.n_selected == 0
    assert result.shortfall == 0
    assert len(result.to_frame()) == 0


def test_building_blocks_check_input(rng: np.random.Generator) -> None:
    X = rng.normal(size=(10, 2))
    with pytest.raises(InputError, match="n_select=11 exceeds the 10"):
        kcenter_greedy(X, 11)
    with pytest.raises(InputError, match="exceeds the 8 candidates"):
        kcenter_greedy(X, 9, covered=[0, 1])
    with pytest.raises(InputError, match="priority"):
        kcenter_greedy(X, 2, priority=np.ones(3))
    with pytest.raises(InputError, match="n_neighbors=0"):
        typicality(X, n_neighbors=0)
    with pytest.raises(InputError, match="groups"):
        typicality(X, groups=[0, 1])
    with pytest.raises(InputError, match="chosen is empty"):
        coverage_radius(X, [])
    with pytest.raises(InputError, match="chosen holds 1 indices"):
        coverage_radius(X, [10])
