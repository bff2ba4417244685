"""select_batch: one contract for every selector, then direction tests."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from seedselect.selection import (
    SelectionResult,
    coverage_radius,
    kcenter_greedy,
    select_batch,
    typicality,
)

N_POOL = 60
N_SELECT = 12
EXCLUDED = np.array([0, 5, 17, 33, 41])

# Every selector configuration the contract runs. Values are keyword arguments of
# select_batch on top of scores, embeddings, labels and exclude.
CONFIGS: dict[str, dict[str, Any]] = {
    "greedy": {"diversity": None},
    "power": {"sampling": "power", "sampling_power": 2.0, "diversity": None},
    "softmax": {"sampling": "softmax", "sampling_temperature": 0.5, "diversity": None},
    "threshold": {"threshold": 0.3, "diversity": None},
    "quantile": {"quantile_range": (0.2, 0.95), "diversity": None},
    "top_fraction": {"top_fraction": 0.5, "diversity": None},
    "equal": {"balance": "equal", "diversity": None},
    "proportional": {"balance": "proportional", "diversity": None},
    "inverse": {"balance": "inverse", "diversity": None},
    "mapping": {"balance": {"a": 6, "b": 4, "c": 2}, "diversity": None},
    "min_max": {
        "balance": "proportional",
        "min_per_class": 2,
        "max_per_class": 7,
        "diversity": None,
    },
    "kcenter": {"diversity": "kcenter"},
    "dedup": {"diversity": "dedup", "radius": 0.3},
    "cluster": {"diversity": "cluster"},
    "cluster_k": {"diversity": "cluster", "n_clusters": 4},
    "weighted": {"diversity": "weighted", "diversity_weight": 0.7},
    "cosine_kcenter": {"diversity": "kcenter", "metric": "cosine"},
    "cold_start": {"scores": None, "diversity": None},
    "cold_kcenter": {"scores": None, "diversity": "kcenter"},
    "cold_weighted": {"scores": None, "diversity": "weighted"},
    "equal_kcenter": {"balance": "equal", "diversity": "kcenter"},
    "inverse_dedup": {"balance": "inverse", "diversity": "dedup", "radius": 0.2},
    "mapping_cluster": {"balance": {"a": 6, "b": 4, "c": 2}, "diversity": "cluster"},
    "gated_softmax_weighted": {
        "top_fraction": 0.6,
        "sampling": "softmax",
        "diversity": "weighted",
    },
    "quantile_power_equal_kcenter": {
        "quantile_range": (0.1, 1.0),
        "sampling": "power",
        "balance": "equal",
        "diversity": "kcenter",
    },
    "small_chunks_dedup": {"diversity": "dedup", "radius": 0.25, "chunk_size": 7},
    # The default, diversity="auto", alone and with the other options.
    "auto": {},
    "auto_scores_only": {"embeddings": None},
    "auto_cold_start": {"scores": None},
    "auto_threshold": {"threshold": 0.3},
    "auto_top_fraction": {"top_fraction": 0.5},
    "auto_softmax": {"sampling": "softmax", "sampling_temperature": 0.5},
    "auto_equal": {"balance": "equal"},
    "auto_mapping": {"balance": {"a": 6, "b": 4, "c": 2}},
    "auto_min_max": {"balance": "proportional", "min_per_class": 2, "max_per_class": 7},
    "auto_cosine_k": {"metric": "cosine", "n_clusters": 4},
}


def make_pool(rng: np.random.Generator, n: int = N_POOL) -> dict[str, Any]:
    X = rng.normal(size=(n, 4))
    scores = rng.random(n)
    labels = np.array(["a", "b", "c"])[rng.choice(3, size=n, p=[0.6, 0.25, 0.15])]
    # Every class needs enough candidates for the fixed quotas above.
    labels[[1, 2, 3, 4, 6, 7]] = ["b", "b", "b", "c", "c", "c"]
    return {"scores": scores, "embeddings": X, "labels": labels}


def allowed_candidates(
    pool: dict[str, Any], kwargs: dict[str, Any], exclude: np.ndarray
) -> np.ndarray:
    """The candidates select_batch may draw from, computed independently."""
    n = len(pool["labels"])
    keep = np.ones(n, dtype=bool)
    keep[exclude] = False
    scores = kwargs.get("scores", pool["scores"])
    if scores is None:
        return keep
    in_pool = scores[keep]
    if "threshold" in kwargs:
        keep &= scores >= kwargs["threshold"]
    if "quantile_range" in kwargs:
        low, high = np.quantile(in_pool, kwargs["quantile_range"])
        keep &= (scores >= low) & (scores <= high)
    if "top_fraction" in kwargs:
        count = math.ceil(kwargs["top_fraction"] * len(in_pool) - 1e-9)
        cutoff = np.sort(in_pool)[::-1][count - 1]
        keep &= scores >= cutoff
    return keep


def run(pool: dict[str, Any], n_select: int, kwargs: dict[str, Any], **extra: Any):
    args = {**pool, **kwargs, **extra}
    return select_batch(n_select, **args)


def check_contract(
    result: SelectionResult,
    n_select: int,
    allowed: np.ndarray,
    *,
    shortfall_ok: bool = False,
) -> None:
    idx = result.indices
    assert idx.dtype == np.int64
    assert len(np.unique(idx)) == len(idx), "indices repeat"
    assert allowed[idx].all(), "an index outside the allowed candidates"
    if shortfall_ok:
        assert result.n_selected + result.shortfall == n_select
    else:
        assert result.n_selected == n_select
        assert result.shortfall == 0
    frame = result.to_frame()
    assert list(frame.columns) == [
        "order",
        "index",
        "score",
        "rank",
        "label",
        "quota_class",
        "cluster",
        "distance",
        "reason",
    ]
    assert frame["index"].tolist() == idx.tolist()
    assert frame["order"].tolist() == list(range(len(idx)))
    assert all(isinstance(r, str) and r for r in frame["reason"])
    assert (frame["rank"] >= 1).all()
    if len(result.class_table):
        assert result.class_table["chosen"].sum() == result.n_selected


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_contract(name: str, rng: np.random.Generator, random_seed: int) -> None:
    kwargs = CONFIGS[name]
    pool = make_pool(rng)
    allowed = allowed_candidates(pool, kwargs, EXCLUDED)

    result = run(pool, N_SELECT, kwargs, exclude=EXCLUDED, random_state=random_seed)
    check_contract(result, N_SELECT, allowed)
    if "balance" in kwargs:
        table = result.class_table
        assert (table["chosen"] == table["quota"]).all()
        assert table["target"].sum() == N_SELECT
    if isinstance(kwargs.get("balance"), dict):
        chosen = dict(zip(table["class"], table["chosen"], strict=True))
        assert chosen == kwargs["balance"]

    # Reproducible for a fixed random_state, whether int or Generator.
    again = run(pool, N_SELECT, kwargs, exclude=EXCLUDED, random_state=random_seed)
    assert again.indices.tolist() == result.indices.tolist()
    assert again.reasons == result.reasons
    gen_a = run(
        pool, N_SELECT, kwargs, exclude=EXCLUDED, random_state=np.random.default_rng(3)
    )
    gen_b = run(
        pool, N_SELECT, kwargs, exclude=EXCLUDED, random_state=np.random.default_rng(3)
    )
    assert gen_a.indices.tolist() == gen_b.indices.tolist()

    # The exclusion mask as booleans means the same as indices.
    mask = np.zeros(N_POOL, dtype=bool)
    mask[EXCLUDED] = True
    as_mask = run(pool, N_SELECT, kwargs, exclude=mask, random_state=random_seed)
    assert as_mask.indices.tolist() == result.indices.tolist()


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_contract_duplicated_points(
    name: str, rng: np.random.Generator, random_seed: int
) -> None:
    kwargs = CONFIGS[name]
    half = make_pool(rng, N_POOL // 2)
    pool = {key: np.concatenate([value, value]) for key, value in half.items()}
    allowed = allowed_candidates(pool, kwargs, EXCLUDED)
    result = run(
        pool,
        N_SELECT,
        kwargs,
        exclude=EXCLUDED,
        random_state=random_seed,
        allow_shortfall=True,
    )
    # Only near-duplicate suppression may fall short; everything else fills up.
    check_contract(result, N_SELECT, allowed, shortfall_ok="radius" in kwargs)
    if "radius" in kwargs:
        X = pool["embeddings"][result.indices]
        gaps = np.linalg.norm(X[:, None] - X[None], axis=-1)
        assert (gaps[np.triu_indices(len(X), 1)] > kwargs["radius"]).all()


@pytest.mark.parametrize("n_pool", [1, 2])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_contract_tiny_pools(name: str, n_pool: int, random_seed: int) -> None:
    kwargs = dict(CONFIGS[name])
    for gate in ("threshold", "quantile_range", "top_fraction"):
        kwargs.pop(gate, None)
    if isinstance(kwargs.get("balance"), dict):
        kwargs["balance"] = {"a": n_pool}
    kwargs.pop("min_per_class", None)
    if "n_clusters" in kwargs:
        kwargs["n_clusters"] = 1
    pool = {
        "scores": np.linspace(1.0, 0.5, n_pool),
        "embeddings": np.arange(2 * n_pool, dtype=float).reshape(n_pool, 2) + 1,
        "labels": np.array(["a"] * n_pool),
    }
    allowed = np.ones(n_pool, dtype=bool)
    for n_select in range(n_pool + 1):
        if isinstance(kwargs.get("balance"), dict):
            kwargs["balance"] = {"a": n_select}
        result = run(pool, n_select, kwargs, random_state=random_seed)
        check_contract(result, n_select, allowed)


def test_result_is_read_only_and_described(rng: np.random.Generator) -> None:
    pool = make_pool(rng)
    result = run(pool, 5, {"balance": "equal", "diversity": "kcenter"}, random_state=0)
    with pytest.raises(ValueError):
        result.indices[0] = 1
    assert len(result) == 5
    assert "n_selected=5" in repr(result)
    assert result.config["diversity"] == "kcenter"
    assert result.config["n_pool"] == N_POOL
    assert list(result.class_table.columns) == [
        "class",
        "target",
        "available",
        "chosen",
        "quota",
    ]
    frame = result.to_frame()
    assert frame["quota_class"].tolist() == frame["label"].tolist()
    assert frame["cluster"].isna().all()


# Direction tests on hand-made data.


def test_kcenter_takes_far_cluster_before_second_near_point() -> None:
    near = np.array([[0.0, 0.0], [0.2, 0.0], [0.0, 0.2], [0.2, 0.2]])
    far = np.array([[10.0, 10.0], [10.2, 10.0]])
    X = np.vstack([near, far])
    scores = np.array([1.0, 0.9, 0.8, 0.7, 0.1, 0.0])
    result = select_batch(
        2, scores=scores, embeddings=X, diversity="kcenter", random_state=0
    )
    assert result.indices[0] == 0  # nothing covered: the best-ranked first
    assert result.indices[1] in (4, 5)
    assert "k-center: farthest point" in result.reasons[1]
    # The same through kcenter_greedy, with the near cluster already covered.
    assert kcenter_greedy(X, 1, covered=[0])[0] in (4, 5)


def test_kcenter_distances_shrink_and_bound_the_coverage(
    rng: np.random.Generator,
) -> None:
    X = rng.normal(size=(300, 3))
    result = select_batch(
        25,
        scores=rng.random(300),
        embeddings=X,
        diversity="kcenter",
        exclude=[0, 1],
        random_state=0,
    )
    d = result.distances
    assert np.all(np.diff(d) <= 1e-12)
    radius = coverage_radius(X, result.indices, covered=[0, 1])
    assert radius <= d[-1] + 1e-12


def test_balance_gives_minority_its_quota(rng: np.random.Generator) -> None:
    labels = np.array(["major"] * 950 + ["minor"] * 50)
    scores = np.r_[rng.uniform(0.5, 1.0, 950), rng.uniform(0.0, 0.5, 50)]
    plain = select_batch(20, scores=scores, labels=labels, random_state=0)
    assert "minor" not in set(plain.labels)

    for balance, expected in (("equal", 10), ("proportional", 1), ("inverse", 19)):
        result = select_batch(
            20, scores=scores, labels=labels, balance=balance, random_state=0
        )
        assert (result.labels == "minor").sum() == expected, balance
        row = result.class_table.set_index("class").loc["minor"]
        assert row["target"] == row["chosen"] == expected
        assert row["available"] == 50
        # Within its quota, the minority's hardest samples are taken.
        minor = np.flatnonzero(labels == "minor")
        top = minor[np.argsort(-scores[minor])[:expected]]
        assert set(result.indices[result.labels == "minor"]) == set(top)

    mapped = select_batch(
        20, scores=scores, labels=labels, balance={"major": 15, "minor": 5}
    )
    assert (mapped.labels == "minor").sum() == 5


def test_short_class_quota_moves_to_others(rng: np.random.Generator) -> None:
    labels = np.array(["a"] * 40 + ["b"] * 40 + ["c"] * 2)
    scores = rng.random(len(labels))
    result = select_batch(
        15,
        scores=scores,
        labels=labels,
        balance="equal",
        max_per_class=7,
        random_state=0,
    )
    table = result.class_table.set_index("class")
    assert table["target"].tolist() == [5, 5, 5]
    assert table.loc["c", "chosen"] == 2
    assert table["chosen"].tolist() == [7, 6, 2] or table["chosen"].tolist() == [
        6,
        7,
        2,
    ]
    assert table["chosen"].max() <= 7
    assert "quota 2" in result.reasons[list(result.labels).index("c")]


def test_dedup_skips_near_copies_of_excluded(rng: np.random.Generator) -> None:
    X = rng.normal(size=(40, 3)) * 5
    X[1:4] = X[0] + rng.normal(scale=1e-3, size=(3, 3))
    scores = np.full(40, 0.1)
    scores[1:4] = 1.0  # the copies are the hardest
    result = select_batch(
        5,
        scores=scores,
        embeddings=X,
        exclude=[0],
        diversity="dedup",
        radius=0.1,
        random_state=0,
    )
    assert not set(result.indices) & {1, 2, 3}
    # Without the exclusion the first copy is taken, but only one of them.
    free = select_batch(
        5, scores=scores, embeddings=X, diversity="dedup", radius=0.1, random_state=0
    )
    assert len(set(free.indices) & {0, 1, 2, 3}) == 1
    assert free.indices[0] in (1, 2, 3)


def test_exact_duplicates_of_excluded_come_last_in_kcenter() -> None:
    X = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 0.0], [0.0, 3.0], [3.0, 3.0]])
    result = select_batch(
        3,
        scores=np.array([0.0, 1.0, 0.5, 0.5, 0.5]),
        embeddings=X,
        exclude=[0],
        diversity="kcenter",
    )
    assert 1 not in result.indices


def test_cluster_round_robin_covers_every_cluster(rng: np.random.Generator) -> None:
    centres = np.array([[0, 0], [20, 0], [0, 20], [20, 20], [40, 40]], dtype=float)
    blob = np.repeat(np.arange(5), [60, 10, 10, 10, 10])
    X = centres[blob] + rng.normal(size=(len(blob), 2))
    scores = np.where(blob == 0, 1.0, 0.0) + rng.random(len(blob)) * 0.1
    ranked = select_batch(5, scores=scores, embeddings=X, random_state=0)
    assert set(blob[ranked.indices]) == {0}
    result = select_batch(
        5,
        scores=scores,
        embeddings=X,
        diversity="cluster",
        n_clusters=5,
        random_state=0,
    )
    assert set(blob[result.indices]) == {0, 1, 2, 3, 4}
    assert sorted(result.clusters.tolist()) == [0, 1, 2, 3, 4]
    # Each cluster's pick is its hardest sample.
    for i, c in zip(result.indices, result.clusters, strict=True):
        members = np.flatnonzero(blob == blob[i])
        assert scores[i] == scores[members].max(), c
    assert result.to_frame()["cluster"].notna().all()


def test_cold_start_takes_typical_samples_of_each_cluster(
    rng: np.random.Generator,
) -> None:
    centres = np.array([[0.0, 0.0], [30.0, 0.0], [0.0, 30.0]])
    blob = np.repeat(np.arange(3), 50)
    X = centres[blob] + rng.normal(size=(150, 2))
    result = select_batch(3, embeddings=X, random_state=0)
    assert result.config["diversity"] == "cluster"
    assert result.config["cold_start"]
    assert set(blob[result.indices]) == {0, 1, 2}
    # Typical means near the blob's centre, not at its edge.
    offsets = np.linalg.norm(X - centres[blob], axis=1)
    for i in result.indices:
        members = blob == blob[i]
        assert offsets[i] < np.median(offsets[members])
    assert "typicality rank" in result.reasons[0]


def test_typicality_centre_beats_edge(rng: np.random.Generator) -> None:
    X = rng.normal(size=(400, 2))
    t = typicality(X)
    r = np.linalg.norm(X, axis=1)
    assert t[np.argmin(r)] > t[np.argmax(r)]
    inner, outer = t[r < 0.5].mean(), t[r > 2.0].mean()
    assert inner > 1.5 * outer


def test_weighted_moves_from_ranking_to_coverage(rng: np.random.Generator) -> None:
    X = np.vstack([rng.normal(size=(30, 2)) * 0.1, [[10.0, 10.0]]])
    scores = np.r_[np.linspace(1.0, 0.5, 30), 0.0]
    by_score = select_batch(
        2,
        scores=scores,
        embeddings=X,
        diversity="weighted",
        diversity_weight=0.0,
        random_state=0,
    )
    assert by_score.indices.tolist() == [0, 1]
    by_distance = select_batch(
        2,
        scores=scores,
        embeddings=X,
        diversity="weighted",
        diversity_weight=0.9,
        random_state=0,
    )
    assert by_distance.indices.tolist() == [0, 30]


def test_greedy_ties_are_broken_by_random_state() -> None:
    scores = np.zeros(50)
    orders = {
        tuple(select_batch(5, scores=scores, random_state=s).indices) for s in range(5)
    }
    assert len(orders) > 1
    assert select_batch(5, scores=scores, random_state=1).indices.tolist() == (
        select_batch(5, scores=scores, random_state=1).indices.tolist()
    )


def test_sampling_prefers_high_scores(rng: np.random.Generator) -> None:
    scores = np.r_[np.zeros(50), np.ones(5)]
    power = select_batch(5, scores=scores, sampling="power", random_state=0)
    assert set(power.indices) == set(range(50, 55))  # zero weight: never drawn first
    cold = select_batch(
        5,
        scores=np.r_[np.zeros(50), np.full(5, 3.0)],
        sampling="softmax",
        sampling_temperature=0.05,
        random_state=0,
    )
    assert set(cold.indices) == set(range(50, 55))
    # A high temperature explores: seeds disagree.
    flat = {
        tuple(
            select_batch(
                5,
                scores=rng.random(55),
                sampling="softmax",
                sampling_temperature=100.0,
                random_state=s,
            ).indices
        )
        for s in range(4)
    }
    assert len(flat) > 1
    assert "softmax draw 1 of 55" in cold.reasons[0]


def test_gates_keep_only_hard_samples() -> None:
    scores = np.linspace(0.0, 1.0, 101)
    result = select_batch(10, scores=scores, threshold=0.9)
    assert (scores[result.indices] >= 0.9).all()
    result = select_batch(5, scores=scores, quantile_range=(0.4, 0.6))
    assert ((scores[result.indices] >= 0.4) & (scores[result.indices] <= 0.6)).all()
    result = select_batch(3, scores=scores, top_fraction=0.03, sampling="softmax")
    assert set(result.indices.tolist()) <= {97, 98, 99, 100}
    assert result.config["n_candidates"] == 4  # ceil(0.03 * 101)


def test_shortfall_allowed_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="seedselect.selection"):
        result = select_batch(
            10, scores=np.arange(6.0), exclude=[0, 1], allow_shortfall=True
        )
    assert result.n_selected == 4
    assert result.shortfall == 6
    assert any("shortfall 6" in r.getMessage() for r in caplog.records)


def test_dedup_shortfall_allowed(caplog: pytest.LogCaptureFixture) -> None:
    X = np.zeros((5, 2))
    with caplog.at_level("WARNING", logger="seedselect.selection"):
        result = select_batch(
            3,
            scores=np.arange(5.0),
            embeddings=X,
            diversity="dedup",
            radius=0.0,
            allow_shortfall=True,
        )
    assert result.indices.tolist() == [4]
    assert result.shortfall == 2
    assert caplog.records


def test_labels_without_balance_are_reported(rng: np.random.Generator) -> None:
    labels = np.array([3, 3, 7, 7, 7])
    result = select_batch(3, scores=np.arange(5.0), labels=labels)
    table = result.class_table
    assert table["class"].tolist() == [3, 7]
    assert table["target"].isna().all()
    assert table["chosen"].tolist() == [0, 3]
    assert result.to_frame()["label"].tolist() == [7, 7, 7]
    assert result.quota_classes.tolist() == [None, None, None]


def test_without_labels_class_table_is_empty() -> None:
    result = select_batch(2, scores=np.arange(5.0), diversity=None)
    assert isinstance(result.class_table, pd.DataFrame)
    assert len(result.class_table) == 0
    assert result.reasons[0] == "rank 1 of 5"
    assert np.isnan(result.distances).all()


def test_float32_and_cosine_pools(rng: np.random.Generator) -> None:
    X = rng.normal(size=(200, 8)).astype(np.float32)
    scores = rng.random(200)
    a = select_batch(10, scores=scores, embeddings=X, diversity="kcenter")
    b = select_batch(
        10, scores=scores, embeddings=X.astype(np.float64), diversity="kcenter"
    )
    assert a.indices.tolist() == b.indices.tolist()
    cos = select_batch(
        10, scores=scores, embeddings=X, diversity="kcenter", metric="cosine"
    )
    assert (cos.distances[1:] <= 2.0).all()
    scaled = select_batch(
        10, scores=scores, embeddings=X * 7, diversity="kcenter", metric="cosine"
    )
    assert scaled.indices.tolist() == cos.indices.tolist()
