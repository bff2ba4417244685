"""select_seeds on small FiftyOne datasets: selection, tags, fields, saved view,
run record, rerun, undo, exclusions, diversity sources, video and patches."""

from __future__ import annotations

import bson
import fiftyone as fo
import fiftyone.brain as fob
import numpy as np
import pytest
from fiftyone import ViewField as F
from test_select_seeds_support import detection_dataset, image_dataset, snapshot

from seedselect.fo._select import EmbeddingSource, select_seeds
from seedselect.fo._selection_runs import (
    STATUS_COMPLETE,
    SeedSelectionRunConfig,
    undo_selection,
)


def _without_times(docs: list[bytes]) -> list[dict]:
    decoded = [bson.decode(d) for d in docs]
    return [{k: v for k, v in d.items() if k != "last_modified_at"} for d in decoded]


def test_chosen_view_tags_fields_saved_view_and_run(make_dataset, random_seed):
    dataset = image_dataset(make_dataset, 30, seed=random_seed)
    view = select_seeds(
        dataset,
        6,
        label_field="predictions",
        balance="equal",
        random_state=random_seed,
        progress=False,
    )

    ids = view.values("id")
    assert len(ids) == len(set(ids)) == 6
    assert view.values("seeds_rank") == [1, 2, 3, 4, 5, 6]
    assert view.count_values("predictions.label") == {"cat": 2, "dog": 2, "bird": 2}
    reasons = view.values("seeds_reason")
    assert all("rank" in r and "quota 2" in r for r in reasons)

    # Only the chosen samples carry the tag and the fields.
    assert sorted(dataset.match_tags("seeds").values("id")) == sorted(ids)
    assert dataset.count("seeds_rank") == 6
    assert dataset.count("seeds_reason") == 6

    # The saved view holds the same samples in the same order.
    assert dataset.list_saved_views() == ["seeds"]
    assert dataset.load_saved_view("seeds").values("id") == ids

    # The run records the whole configuration and the chosen ids.
    info = dataset.get_run_info("seeds")
    config = info.config
    assert isinstance(config, SeedSelectionRunConfig)
    assert config.status == STATUS_COMPLETE
    assert config.n_select == 6
    assert config.tag == "seeds"
    assert config.saved_view_name == "seeds"
    assert config.label_field == "predictions"
    assert config.selection["balance"] == "equal"
    assert config.selection["random_state"] == random_seed
    assert sorted(config.output_fields) == ["seeds_rank", "seeds_reason"]
    results = dataset.load_run_results("seeds")
    assert results.ids == ids
    assert results.reasons == reasons


def test_greedy_selection_takes_the_hardest_in_order(make_dataset):
    dataset = image_dataset(make_dataset, 25, seed=3)
    view = select_seeds(dataset, 5, random_state=0, progress=False)
    hardness = np.array(dataset.values("hardness"))
    expected = np.array(dataset.values("id"))[np.argsort(-hardness)[:5]]
    assert view.values("id") == expected.tolist()


def test_works_on_a_filtered_view(make_dataset):
    dataset = image_dataset(make_dataset, 30, seed=1)
    cats = dataset.match(F("predictions.label") == "cat")
    view = select_seeds(cats, 4, run_key="cats", tag="cats", progress=False)
    assert view.count_values("predictions.label") == {"cat": 4}
    assert dataset.load_run_view("cats").count() == cats.count()
    assert dataset.list_saved_views() == ["cats"]


def test_rerun_replaces_its_own_results_and_nothing_else(make_dataset):
    dataset = image_dataset(make_dataset, 40, seed=2)
    other = select_seeds(
        dataset, 5, run_key="other", tag="other", random_state=1, progress=False
    )
    other_state = (
        sorted(dataset.match_tags("other").values("id")),
        dataset.values("other_rank"),
        dataset.values("other_reason"),
        dataset.load_saved_view("other").values("id"),
    )

    first = select_seeds(
        dataset, 8, exclude_tags="other", random_state=0, progress=False
    ).values("id")
    second = select_seeds(
        dataset,
        3,
        exclude_tags="other",
        embeddings_field="emb",
        diversity="kcenter",
        random_state=5,
        progress=False,
    ).values("id")

    assert set(first) != set(second)
    assert sorted(dataset.match_tags("seeds").values("id")) == sorted(second)
    assert dataset.count("seeds_rank") == 3
    assert dataset.load_saved_view("seeds").values("id") == second
    assert dataset.get_run_info("seeds").config.n_select == 3
    assert dataset.load_run_results("seeds").ids == second
    assert other_state == (
        sorted(dataset.match_tags("other").values("id")),
        dataset.values("other_rank"),
        dataset.values("other_reason"),
        dataset.load_saved_view("other").values("id"),
    )
    assert set(other.values("id")).isdisjoint(first + second)


def test_rerun_with_another_tag_and_view_name_removes_the_old_ones(make_dataset):
    dataset = image_dataset(make_dataset, 20)
    select_seeds(dataset, 4, progress=False)
    view = select_seeds(
        dataset, 4, tag="batch", saved_view_name="batch view", progress=False
    )
    assert dataset.count_sample_tags() == {"batch": 4}
    assert dataset.list_saved_views() == ["batch view"]
    assert dataset.load_saved_view("batch view").values("id") == view.values("id")


@pytest.mark.parametrize("how", ["undo_selection", "delete_run"])
def test_undo_removes_tags_fields_view_and_run(make_dataset, how):
    dataset = image_dataset(make_dataset, 20)
    dataset.save_view("mine", dataset.limit(3))
    before = snapshot(dataset)
    select_seeds(dataset, 5, progress=False)
    select_seeds(dataset, 7, random_state=2, progress=False)  # a rerun
    if how == "undo_selection":
        undo_selection(dataset, "seeds")
    else:
        dataset.delete_run("seeds")
    after = snapshot(dataset)
    assert _without_times(after["samples"]) == _without_times(before["samples"])
    for key in ("runs", "saved_views", "schema"):
        assert after[key] == before[key]


def test_excluded_samples_are_never_chosen(make_dataset):
    dataset = image_dataset(make_dataset, 40, seed=4)
    ids = dataset.values("id")
    hardness = np.array(dataset.values("hardness"))
    hardest = [ids[i] for i in np.argsort(-hardness)[:10]]
    dataset.select(hardest[:5]).tag_samples("labeled")
    earlier = dataset.select(hardest[5:])
    view = select_seeds(
        dataset,
        6,
        exclude_tags=["labeled"],
        exclude_view=earlier,
        embeddings_field="emb",
        diversity="kcenter",
        random_state=0,
        progress=False,
    )
    assert set(view.values("id")).isdisjoint(hardest)
    results = dataset.load_run_results("seeds")
    assert results.n_excluded == 10
    assert dataset.count_sample_tags() == {"labeled": 5, "seeds": 6}


@pytest.mark.parametrize("lookup", ["in_memory", "get_embeddings"])
def test_similarity_index_gives_the_same_choice_as_the_field(
    make_dataset, monkeypatch, lookup
):
    if lookup == "get_embeddings":
        # The path of backends that do not hold their embeddings in memory.
        monkeypatch.setattr(EmbeddingSource, "_in_memory_rows", lambda self: None)
    dataset = image_dataset(make_dataset, 40, seed=5)
    fob.compute_similarity(
        dataset, embeddings="emb", brain_key="sim", backend="sklearn", progress=False
    )
    by_field = select_seeds(
        dataset,
        6,
        embeddings_field="emb",
        diversity="kcenter",
        random_state=3,
        progress=False,
    ).values("id")
    by_index = select_seeds(
        dataset,
        6,
        similarity_index="sim",
        diversity="kcenter",
        random_state=3,
        progress=False,
    ).values("id")
    assert by_index == by_field
    assert dataset.get_run_info("seeds").config.similarity_index == "sim"


def test_cold_start_without_hardness(make_dataset):
    dataset = image_dataset(make_dataset, 30, seed=6)
    view = select_seeds(
        dataset,
        5,
        hardness_field=None,
        embeddings_field="emb",
        random_state=0,
        progress=False,
    )
    assert view.count() == 5
    assert all("typicality" in r for r in view.values("seeds_reason"))


def test_shortfall_is_recorded_when_allowed(make_dataset):
    dataset = image_dataset(make_dataset, 10)
    dataset.limit(6).tag_samples("labeled")
    view = select_seeds(
        dataset, 8, exclude_tags="labeled", allow_shortfall=True, progress=False
    )
    assert view.count() == 4
    assert dataset.load_run_results("seeds").shortfall == 4


def test_video_dataset_selects_whole_videos(make_dataset):
    dataset = make_dataset()
    rng = np.random.default_rng(0)
    samples = []
    for i in range(8):
        sample = fo.Sample(
            filepath=f"/data/video/{i}.mp4", hardness=float(rng.random())
        )
        for f in range(1, 4):
            sample.frames[f] = fo.Frame(score=float(f))
        samples.append(sample)
    dataset.add_samples(samples, progress=False)
    frames_before = dataset.values("frames.score")

    view = select_seeds(dataset, 3, progress=False)

    hardness = np.array(dataset.values("hardness"))
    expected = np.array(dataset.values("id"))[np.argsort(-hardness)[:3]].tolist()
    assert dataset.media_type == "video"
    assert view.values("id") == expected
    assert dataset.count_sample_tags() == {"seeds": 3}
    assert dataset.values("frames.score") == frames_before
    assert dataset.load_saved_view("seeds").values("seeds_rank") == [1, 2, 3]


def test_patches_view_selects_objects(make_dataset):
    dataset = detection_dataset(make_dataset, 6)
    patches = dataset.to_patches("ground_truth")
    tags_before = dataset.count_sample_tags()

    view = select_seeds(patches, 4, progress=False)

    # The chosen objects are the four hardest, with their label ids as ids.
    object_ids = patches.values("id")
    hardness = np.array(patches.values("ground_truth.hardness"))
    expected = [object_ids[i] for i in np.argsort(-hardness)[:4]]
    assert view.values("id") == expected
    assert view.values("ground_truth.seeds_rank") == [1, 2, 3, 4]

    # Tags and attributes land on the labels of the source dataset.
    assert dataset.count_label_tags() == {"seeds": 4}
    assert dataset.count_sample_tags() == tags_before
    tagged = dataset.select_labels(tags="seeds")
    assert sorted(tagged.values("ground_truth.detections.id", unwind=True)) == sorted(
        expected
    )
    assert dataset.count("ground_truth.detections.seeds_rank") == 4
    saved = dataset.load_saved_view("seeds")
    assert saved.values("id") == expected
    assert dataset.get_run_info("seeds").config.patches_field == "ground_truth"

    undo_selection(dataset, "seeds")
    assert dataset.count_label_tags() == {}
    assert dataset.count("ground_truth.detections.seeds_rank") == 0
    assert dataset.list_saved_views() == []
    assert dataset.list_runs() == []


def test_patches_exclude_labeled_objects_and_balance_by_label(make_dataset):
    dataset = detection_dataset(make_dataset, 8, seed=1)
    patches = dataset.to_patches("ground_truth")
    hardness = np.array(patches.values("ground_truth.hardness"))
    object_ids = patches.values("id")
    labeled = [object_ids[i] for i in np.argsort(-hardness)[:3]]
    patches.select(labeled).tag_labels("labeled", label_fields="ground_truth")
    patches = dataset.to_patches("ground_truth")

    view = select_seeds(
        patches,
        6,
        label_field="ground_truth",
        balance="equal",
        exclude_tags="labeled",
        random_state=0,
        progress=False,
    )
    assert set(view.values("id")).isdisjoint(labeled)
    assert view.count_values("ground_truth.label") == {"cat": 3, "dog": 3}


def test_tagging_ten_thousand_samples_is_one_bulk_write(make_dataset, monkeypatch):
    n = 10_000
    dataset = make_dataset()
    hardness = np.random.default_rng(0).random(n)
    dataset.add_samples(
        [
            fo.Sample(filepath=f"/data/{i}.png", hardness=float(h))
            for i, h in enumerate(hardness)
        ],
        progress=False,
    )
    calls: list[list] = []
    original = fo.Dataset._bulk_write

    def counting(self, ops, *args, **kwargs):
        calls.append(list(ops))
        return original(self, ops, *args, **kwargs)

    monkeypatch.setattr(fo.Dataset, "_bulk_write", counting)
    view = select_seeds(dataset, n, progress=False)
    monkeypatch.undo()

    tag_calls = [
        ops for ops in calls if "tags" in str(ops[0]._doc.get("$addToSet", ""))
    ]
    assert len(tag_calls) == 1
    assert dataset.count_sample_tags() == {"seeds": n}
    assert view.count() == n
    # Fields are written in chunks of 1,000 samples, one bulk write per chunk.
    assert len(calls) <= 1 + 2 * n // 1000
