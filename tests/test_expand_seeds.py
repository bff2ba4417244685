"""expand_seeds on small FiftyOne datasets: neighbours, turns, near-duplicates,
class balance, links to the seeds, two datasets or one, and undo."""

from __future__ import annotations

import fiftyone as fo
import fiftyone.brain as fob
import numpy as np
import pytest
from test_select_seeds_support import assert_unchanged, image_dataset, snapshot

from seedselect.fo._expand import expand_seeds
from seedselect.fo._select import select_seeds
from seedselect.fo._selection_runs import SeedExpansionRunConfig, undo_selection

CENTRES = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 100.0]])


def _points_dataset(make_dataset, points, *, labels=None, prefix="pool"):
    dataset = make_dataset()
    samples = [
        fo.Sample(
            filepath=f"/data/{prefix}/{i:04d}.png",
            emb=np.asarray(p, dtype=float),
            predictions=fo.Classification(label=labels[i] if labels else "x"),
        )
        for i, p in enumerate(points)
    ]
    dataset.add_samples(samples, progress=False)
    return dataset


def _clusters(rng, n_per, spread=1.0):
    return np.vstack([c + spread * rng.normal(size=(n_per, 2)) for c in CENTRES])


def test_expansion_across_two_datasets_links_each_sample_to_its_seed(
    make_dataset, random_seed
):
    rng = np.random.default_rng(random_seed)
    seeds = _points_dataset(make_dataset, CENTRES, prefix="seeds")
    pool = _points_dataset(make_dataset, _clusters(rng, 10))
    seeds_before = snapshot(seeds)

    view = expand_seeds(seeds, pool, 9, embeddings_field="emb", progress=False)

    # Three per seed, each from its own cluster, nearest first within a seed.
    seed_ids = seeds.values("id")
    linked = view.values("expansion_seed_id")
    assert sorted(linked) == sorted(seed_ids * 3)
    emb = {i: e for i, e in zip(pool.values("id"), pool.values("emb"), strict=True)}
    seed_emb = dict(zip(seed_ids, seeds.values("emb"), strict=True))
    for sid, seed, dist in zip(
        view.values("id"), linked, view.values("expansion_distance"), strict=True
    ):
        assert dist == pytest.approx(np.linalg.norm(emb[sid] - seed_emb[seed]))
        assert np.argmin(np.linalg.norm(CENTRES - emb[sid], axis=1)) == seed_ids.index(
            seed
        )
    for seed in seed_ids:
        own = [
            d
            for d, s in zip(view.values("expansion_distance"), linked, strict=True)
            if s == seed
        ]
        assert own == sorted(own)
    # The exact nearest pool sample of each seed is taken in the first round.
    pool_emb = np.array(pool.values("emb"))
    first_round = view.values("id")[:3]
    for k, centre in enumerate(CENTRES):
        nearest = pool.values("id")[
            int(np.argmin(np.linalg.norm(pool_emb - centre, axis=1)))
        ]
        assert first_round[k] == nearest

    assert view.values("expansion_rank") == list(range(1, 10))
    assert pool.count_sample_tags() == {"expansion": 9}
    assert pool.load_saved_view("expansion").values("id") == view.values("id")
    config = pool.get_run_info("expansion").config
    assert isinstance(config, SeedExpansionRunConfig)
    assert config.seeds_dataset == seeds.name
    assert pool.load_run_results("expansion").seeds == seed_ids
    assert_unchanged(seeds, seeds_before)


def test_near_duplicates_of_each_other_of_labeled_and_of_seeds_are_dropped(
    make_dataset,
):
    points = np.array(
        [
            [0.0, 0.0],  # duplicate of the seed
            [1.0, 0.0],
            [1.0, 0.0],  # duplicate of the row above
            [2.0, 0.0],  # duplicate of a labeled sample
            [3.0, 0.0],
            [4.0, 0.0],
        ]
    )
    seeds = _points_dataset(make_dataset, [[0.0, 0.0]], prefix="seeds")
    pool = _points_dataset(make_dataset, points)
    ids = pool.values("id")
    labeled = _points_dataset(make_dataset, [[2.0, 0.0]], prefix="labeled")

    view = expand_seeds(
        seeds,
        pool,
        3,
        embeddings_field="emb",
        radius=0.01,
        exclude_view=labeled,
        n_neighbors_per_seed=6,
        progress=False,
    )
    assert view.values("id") == [ids[1], ids[4], ids[5]]
    assert pool.load_run_results("expansion").n_near_duplicates == 3


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_exact_copies_are_dropped_by_default_and_kept_with_radius_none(
    make_dataset, metric
):
    points = np.array(
        [
            [1.0, 0.5],  # copy of the seed
            [1.0, 1.0],
            [1.0, 1.0],  # copy of the row above
            [1.0, 2.0],  # copy of a labeled sample
            [1.0, 3.0],
            [1.0, 4.0],
        ]
    )
    seeds = _points_dataset(make_dataset, [[1.0, 0.5]], prefix="seeds")
    pool = _points_dataset(make_dataset, points)
    ids = pool.values("id")
    labeled = _points_dataset(make_dataset, [[1.0, 2.0]], prefix="labeled")
    options = dict(
        embeddings_field="emb",
        exclude_view=labeled,
        n_neighbors_per_seed=6,
        metric=metric,
        progress=False,
    )

    view = expand_seeds(seeds, pool, 3, **options)
    assert view.values("id") == [ids[1], ids[4], ids[5]]
    assert pool.get_run_info("expansion").config.radius == 0.0

    kept = expand_seeds(seeds, pool, 6, radius=None, run_key="all", **options)
    assert sorted(kept.values("id")) == sorted(ids)


def test_labeled_pool_samples_are_excluded_by_tag(make_dataset):
    rng = np.random.default_rng(1)
    seeds = _points_dataset(make_dataset, CENTRES, prefix="seeds")
    pool = _points_dataset(make_dataset, _clusters(rng, 8))
    labeled = pool.take(6, seed=0)
    labeled.tag_samples("labeled")
    view = expand_seeds(
        seeds, pool, 9, embeddings_field="emb", exclude_tags="labeled", progress=False
    )
    assert set(view.values("id")).isdisjoint(labeled.values("id"))


def test_classes_are_balanced_where_known(make_dataset):
    rng = np.random.default_rng(2)
    points = CENTRES[0] + rng.normal(size=(20, 2))
    # Class "rare" only on the farthest points: unbalanced picks would skip it.
    order = np.argsort(np.linalg.norm(points, axis=1))
    labels = ["common"] * 20
    for i in order[-4:]:
        labels[i] = "rare"
    seeds = _points_dataset(make_dataset, CENTRES[:1], prefix="seeds")
    pool = _points_dataset(make_dataset, points, labels=labels)
    view = expand_seeds(
        seeds,
        pool,
        6,
        embeddings_field="emb",
        label_field="predictions",
        n_neighbors_per_seed=20,
        progress=False,
    )
    assert view.count_values("predictions.label") == {"common": 3, "rare": 3}
    table = pool.load_run_results("expansion").class_table
    assert {r["class"]: r["quota"] for r in table} == {"common": 3, "rare": 3}


def test_same_dataset_result_does_not_depend_on_the_chunk_size(make_dataset):
    dataset = image_dataset(make_dataset, 60, seed=3)
    seeds = select_seeds(dataset, 4, progress=False)
    pool = dataset.exclude(seeds.values("id"))
    small = expand_seeds(
        seeds, pool, 10, embeddings_field="emb", chunk_size=7, progress=False
    )
    ids_small = small.values("id")
    large = expand_seeds(
        seeds, pool, 10, embeddings_field="emb", chunk_size=1000, progress=False
    )
    assert large.values("id") == ids_small
    assert set(ids_small).isdisjoint(seeds.values("id"))
    assert dataset.count_sample_tags() == {"seeds": 4, "expansion": 10}


def test_similarity_index_gives_the_same_neighbours(make_dataset):
    dataset = image_dataset(make_dataset, 50, seed=4)
    fob.compute_similarity(
        dataset, embeddings="emb", brain_key="sim", backend="sklearn", progress=False
    )
    seeds = dataset.limit(3)
    pool = dataset.skip(3)
    by_field = expand_seeds(
        seeds, pool, 6, embeddings_field="emb", progress=False
    ).values("id")
    by_index = expand_seeds(
        seeds, pool, 6, similarity_index="sim", progress=False
    ).values("id")
    assert by_index == by_field


def test_undo_and_delete_run_remove_the_expansion(make_dataset):
    dataset = image_dataset(make_dataset, 30, seed=5)
    before = snapshot(dataset)
    expand_seeds(
        dataset.limit(2), dataset.skip(2), 5, embeddings_field="emb", progress=False
    )
    undo_selection(dataset, "expansion")
    after = snapshot(dataset)
    assert after["runs"] == before["runs"]
    assert after["schema"] == before["schema"]
    assert dataset.count_sample_tags() == {}
    expand_seeds(
        dataset.limit(2), dataset.skip(2), 5, embeddings_field="emb", progress=False
    )
    dataset.delete_run("expansion")
    assert not dataset.has_field("expansion_seed_id")
    assert dataset.list_saved_views() == []
