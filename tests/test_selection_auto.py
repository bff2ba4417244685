"""The default diversity="auto": what it resolves to, and how it composes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedselect.selection import (
    AUTO_CANDIDATE_FRACTION,
    AUTO_MIN_CANDIDATES_PER_PICK,
    select_batch,
)
from seedselect.selection._diversity import AUTO_DIVERSITY


def blob_pool(
    rng: np.random.Generator, n: int = 1000, n_features: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Scores and embeddings of a pool of a few Gaussian blobs."""
    centres = rng.normal(scale=5.0, size=(6, n_features))
    X = centres[rng.integers(6, size=n)] + rng.normal(size=(n, n_features))
    return rng.random(n), X


def hardest(scores: np.ndarray, among: np.ndarray, count: int) -> set[int]:
    """The ``count`` highest-scoring indices of ``among`` (scores are distinct)."""
    return set(among[np.argsort(-scores[among], kind="stable")[:count]].tolist())


def test_auto_is_the_default() -> None:
    import inspect

    default = inspect.signature(select_batch).parameters["diversity"].default
    assert default == AUTO_DIVERSITY == "auto"
    assert AUTO_CANDIDATE_FRACTION == 0.1
    assert AUTO_MIN_CANDIDATES_PER_PICK == 5


def test_auto_equals_cluster_on_the_hardest_tenth(
    rng: np.random.Generator, random_seed: int
) -> None:
    scores, X = blob_pool(rng)
    exclude = rng.choice(1000, size=60, replace=False)
    n_select = 15  # the tenth (94 candidates) holds at least 5 * 15
    auto = select_batch(
        n_select, scores=scores, embeddings=X, exclude=exclude, random_state=random_seed
    )
    explicit = select_batch(
        n_select,
        scores=scores,
        embeddings=X,
        exclude=exclude,
        diversity="cluster",
        top_fraction=0.1,
        random_state=random_seed,
    )
    assert auto.indices.tolist() == explicit.indices.tolist()
    assert auto.clusters.tolist() == explicit.clusters.tolist()

    config = auto.config
    assert config["diversity_requested"] == "auto"
    assert config["diversity"] == "cluster"
    assert config["top_fraction"] is None  # the narrowing is not a user gate
    assert config["n_candidates"] == math.ceil(0.1 * 940)
    assert config["auto_candidate_fraction"] == AUTO_CANDIDATE_FRACTION
    assert config["auto_min_candidates_per_pick"] == AUTO_MIN_CANDIDATES_PER_PICK
    assert explicit.config["diversity_requested"] == "cluster"
    assert all(
        r.startswith("auto: cluster on the hardest 94 of 940 candidates; ")
        for r in auto.reasons
    )
    assert not any("auto" in r for r in explicit.reasons)


def test_auto_widens_to_five_candidates_per_pick(
    rng: np.random.Generator, random_seed: int
) -> None:
    scores, X = blob_pool(rng)
    n_select = 30  # the tenth (100) is less than 5 * 30 = 150
    auto = select_batch(n_select, scores=scores, embeddings=X, random_state=random_seed)
    explicit = select_batch(
        n_select,
        scores=scores,
        embeddings=X,
        diversity="cluster",
        top_fraction=0.15,
        random_state=random_seed,
    )
    assert auto.config["n_candidates"] == 150
    assert auto.indices.tolist() == explicit.indices.tolist()


def test_auto_with_scores_only_is_plain_ranking(
    rng: np.random.Generator, random_seed: int
) -> None:
    scores, X = blob_pool(rng, n=200)
    auto = select_batch(10, scores=scores, random_state=random_seed)
    plain = select_batch(10, scores=scores, diversity=None, random_state=random_seed)
    assert auto.indices.tolist() == plain.indices.tolist()
    assert auto.indices.tolist() == np.argsort(-scores)[:10].tolist()
    assert auto.config["diversity"] is None
    assert auto.config["diversity_requested"] == "auto"
    assert auto.reasons[0] == "auto: plain ranking (no embeddings); rank 1 of 200"

    # An explicit None ranks by score even when embeddings are given.
    with_x = select_batch(
        10, scores=scores, embeddings=X, diversity=None, random_state=random_seed
    )
    assert with_x.indices.tolist() == plain.indices.tolist()
    assert with_x.config["diversity_requested"] is None


def test_auto_with_embeddings_only_is_the_cold_start(
    rng: np.random.Generator, random_seed: int
) -> None:
    _, X = blob_pool(rng, n=300)
    auto = select_batch(8, embeddings=X, random_state=random_seed)
    cold = select_batch(8, embeddings=X, diversity=None, random_state=random_seed)
    assert auto.indices.tolist() == cold.indices.tolist()
    assert auto.config["diversity"] == "cluster"
    assert auto.config["cold_start"] is True
    assert auto.config["n_candidates"] == 300
    assert auto.reasons[0].startswith("auto: cold start (no scores)")


def test_auto_composes_with_balance(rng: np.random.Generator, random_seed: int) -> None:
    scores, X = blob_pool(rng, n=1200)
    labels = np.array(["head"] * 1000 + ["mid"] * 150 + ["tail"] * 50)
    exclude = np.arange(0, 1200, 40)
    kwargs = {"labels": labels, "balance": "equal", "exclude": exclude}
    auto = select_batch(
        30, scores=scores, embeddings=X, random_state=random_seed, **kwargs
    )
    plain = select_batch(
        30, scores=scores, embeddings=X, diversity=None, random_state=random_seed
    )
    ranked = select_batch(
        30, scores=scores, diversity=None, random_state=random_seed, **kwargs
    )

    # The quotas are those of plain balancing: narrowing is not a gate.
    table = auto.class_table
    assert table.to_dict("list") == ranked.class_table.to_dict("list")
    assert table["chosen"].tolist() == table["quota"].tolist() == [10, 10, 10]
    assert plain.n_selected == auto.n_selected == 30

    # Each class draws from its own hardest tenth, widened to 5 per quota sample.
    pool = np.setdiff1d(np.arange(1200), exclude)
    for name in ("head", "mid", "tail"):
        mine = pool[labels[pool] == name]
        count = min(len(mine), max(math.ceil(0.1 * len(mine)), 5 * 10))
        allowed = hardest(scores, mine, count)
        chosen = auto.indices[labels[auto.indices] == name]
        assert set(chosen.tolist()) <= allowed, name
    assert all("in class" in r and r.startswith("auto: cluster") for r in auto.reasons)


def test_auto_composes_with_user_gates(
    rng: np.random.Generator, random_seed: int
) -> None:
    scores, X = blob_pool(rng, n=1000)
    auto = select_batch(
        5, scores=scores, embeddings=X, threshold=0.5, random_state=random_seed
    )
    passed = np.flatnonzero(scores >= 0.5)
    count = max(math.ceil(0.1 * len(passed)), 25)
    assert auto.config["n_candidates"] == count
    assert set(auto.indices.tolist()) <= hardest(scores, passed, count)
    assert auto.config["threshold"] == 0.5


@pytest.mark.parametrize("n_select", [40, 44, 45])
def test_auto_near_the_pool_size_returns_exactly_n_select(
    n_select: int, rng: np.random.Generator, random_seed: int
) -> None:
    scores, X = blob_pool(rng, n=50)
    exclude = [0, 1, 2, 3, 4]
    result = select_batch(
        n_select, scores=scores, embeddings=X, exclude=exclude, random_state=random_seed
    )
    assert result.n_selected == n_select
    assert len(set(result.indices.tolist())) == n_select
    assert not set(result.indices.tolist()) & set(exclude)
    assert result.config["n_candidates"] == 45  # widened to the whole pool


def test_auto_keeps_hard_samples_where_ungated_cluster_does_not(
    rng: np.random.Generator, random_seed: int
) -> None:
    # A dense easy blob and a small hard one: ungated clusters follow the density
    # and spend most picks on easy samples; auto stays among the hard ones.
    easy = rng.normal(size=(900, 2))
    hard = rng.normal(size=(100, 2)) + 8.0
    X = np.vstack([easy, hard])
    scores = np.r_[rng.random(900) * 0.5, 0.5 + rng.random(100) * 0.5]
    auto = select_batch(10, scores=scores, embeddings=X, random_state=random_seed)
    ungated = select_batch(
        10, scores=scores, embeddings=X, diversity="cluster", random_state=random_seed
    )
    assert (auto.indices >= 900).all()
    assert (ungated.indices < 900).sum() > 5


@settings(max_examples=50, deadline=None)
@given(
    n_pool=st.integers(1, 80),
    fraction=st.floats(0.0, 1.0),
    n_excluded=st.integers(0, 10),
    balance=st.sampled_from([None, "equal", "proportional"]),
    seed=st.integers(0, 2**16),
)
def test_auto_fills_exactly_and_reproducibly(
    n_pool: int, fraction: float, n_excluded: int, balance: str | None, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.random(n_pool).round(1)  # many ties
    X = rng.normal(size=(n_pool, 3))
    labels = rng.choice(["a", "b", "c"], size=n_pool, p=[0.7, 0.2, 0.1])
    exclude = rng.choice(n_pool, size=min(n_excluded, n_pool - 1), replace=False)
    n_select = int(fraction * (n_pool - len(exclude)))
    kwargs = {
        "scores": scores,
        "embeddings": X,
        "labels": labels,
        "balance": balance,
        "exclude": exclude,
        "random_state": seed,
    }
    result = select_batch(n_select, **kwargs)
    assert result.n_selected == n_select
    assert len(set(result.indices.tolist())) == n_select
    assert not set(result.indices.tolist()) & set(exclude.tolist())
    if balance is None:
        m = n_pool - len(exclude)
        tenth = math.ceil(round(AUTO_CANDIDATE_FRACTION * m, 9))
        wanted = max(tenth, AUTO_MIN_CANDIDATES_PER_PICK * n_select)
        assert result.config["n_candidates"] == min(m, wanted)
    assert select_batch(n_select, **kwargs).indices.tolist() == result.indices.tolist()
