"""Bad input to expand_seeds: a clear error, and both datasets left as they were."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_select_seeds_support import assert_unchanged, image_dataset, snapshot

from seedselect import FieldError, InputError, RunError
from seedselect.fo._expand import expand_seeds
from seedselect.fo._select import select_seeds


@pytest.fixture
def pair(make_dataset):
    seeds = image_dataset(make_dataset, 4, seed=1, prefix="seeds")
    pool = image_dataset(make_dataset, 20, seed=2, prefix="pool")
    return seeds, pool


def _check(seeds: Any, pool: Any, error: type, words: list[str], **kwargs: Any) -> None:
    before = (snapshot(seeds), snapshot(pool))
    call = {"n_select": 3, "embeddings_field": "emb", "progress": False, **kwargs}
    with pytest.raises(error) as info:
        expand_seeds(seeds, pool, **call)
    for word in words:
        assert word in str(info.value), str(info.value)
    assert_unchanged(seeds, before[0])
    assert_unchanged(pool, before[1])


def test_pool_that_shares_samples_with_the_seeds(pair):
    seeds, pool = pair
    view = pool.limit(2)
    example = view.first().id
    before = snapshot(pool)
    with pytest.raises(InputError) as info:
        expand_seeds(view, pool, 3, embeddings_field="emb", progress=False)
    assert "shares 2 samples" in str(info.value)
    assert example in str(info.value)
    assert_unchanged(pool, before)


def test_embeddings_of_another_dimension_than_the_seeds(pair):
    seeds, pool = pair
    seeds.set_values("emb", [np.zeros(6)] * len(seeds))
    _check(seeds, pool, InputError, ["length 4", "6 are expected"])


def test_embeddings_of_mixed_dimensions_in_the_pool(pair):
    seeds, pool = pair
    odd = pool.values("id")[5]
    pool.set_values("emb", {odd: np.zeros(9)}, key_field="id")
    _check(seeds, pool, InputError, ["embeddings_field='emb'", "1 samples", odd])


def test_embeddings_missing_in_the_pool(pair):
    seeds, pool = pair
    ids = pool.values("id")
    pool.set_values("emb", {ids[3]: None, ids[8]: None}, key_field="id")
    _check(seeds, pool, FieldError, ["2 samples", ids[3]])


def test_n_select_larger_than_the_pool(pair):
    seeds, pool = pair
    pool.limit(15).tag_samples("labeled")
    _check(
        seeds,
        pool,
        InputError,
        ["n_select=8", "5 samples", "15 excluded"],
        n_select=8,
        exclude_tags="labeled",
    )


def test_run_key_of_another_kind_of_run(pair):
    seeds, pool = pair
    select_seeds(pool, 2, run_key="expansion", tag="picked", progress=False)
    _check(seeds, pool, RunError, ["run_key='expansion'", "another kind of run"])


def test_tag_of_a_selection_run(pair):
    seeds, pool = pair
    select_seeds(pool, 2, progress=False)
    _check(seeds, pool, RunError, ["tag='seeds'", "'seeds'"], tag="seeds")


def test_empty_seeds(pair):
    seeds, pool = pair
    _check(seeds.limit(0), pool, InputError, ["seeds is empty"])


def test_neither_or_both_embedding_sources(pair):
    seeds, pool = pair
    _check(seeds, pool, InputError, ["exactly one"], embeddings_field=None)
    _check(seeds, pool, InputError, ["exactly one"], similarity_index="sim")


def test_seeds_outside_the_similarity_index(pair):
    import fiftyone.brain as fob

    seeds, pool = pair
    fob.compute_similarity(
        pool, embeddings="emb", brain_key="sim", backend="sklearn", progress=False
    )
    _check(
        seeds,
        pool,
        InputError,
        ["seeds_embeddings_field"],
        embeddings_field=None,
        similarity_index="sim",
    )


def test_shortfall_when_neighbour_lists_run_dry(pair):
    seeds, pool = pair
    _check(
        seeds,
        pool,
        InputError,
        ["n_neighbors_per_seed=1", "allow_shortfall"],
        n_select=6,
        n_neighbors_per_seed=1,
    )


def test_bad_radius_and_metric(pair):
    seeds, pool = pair
    _check(seeds, pool, InputError, ["radius=-1"], radius=-1)
    _check(seeds, pool, InputError, ["metric='manhattan'"], metric="manhattan")
