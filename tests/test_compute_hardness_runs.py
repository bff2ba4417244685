"""compute_hardness as a FiftyOne run, and its refusals of bad input."""

from __future__ import annotations

import bson
import fiftyone as fo
import fiftyone.brain as fob
import numpy as np
import pytest

from seedselect import FieldError, InputError, RunError
from seedselect.fo import compute_hardness
from seedselect.fo._hardness import HardnessRunConfig
from seedselect.fo._runs import (
    STATUS_COMPLETE,
    check_run_key,
    get_run_config,
    list_runs_of,
)


def _dataset(make_dataset, rng, n=6, k=4, **fields_by_index):
    """Image samples with a ``pred`` Classification with logits."""
    dataset = make_dataset()
    logits = rng.normal(size=(n, k))
    dataset.add_samples(
        [
            fo.Sample(
                filepath=f"/nowhere/{i}.png",
                pred=fo.Classification(label="a", logits=logits[i]),
            )
            for i in range(n)
        ],
        progress=False,
    )
    return dataset


def _detections_dataset(make_dataset, rng):
    dataset = make_dataset()
    samples = []
    for i in range(3):
        objects = [fo.Detection(label="a", logits=rng.normal(size=3)) for _ in range(2)]
        samples.append(
            fo.Sample(
                filepath=f"/nowhere/{i}.png", det=fo.Detections(detections=objects)
            )
        )
    dataset.add_samples(samples, progress=False)
    return dataset


def _video_dataset(make_dataset, rng):
    dataset = make_dataset()
    sample = fo.Sample(filepath="/nowhere/v.mp4")
    for f in (1, 2, 3):
        sample.frames[f] = fo.Frame(pred=fo.Classification(logits=rng.normal(size=3)))
    dataset.add_sample(sample)
    return dataset


def _snapshot(dataset):
    """Everything a failed call must leave unchanged, as comparable bytes."""
    docs = [
        bson.encode(d) for d in dataset._sample_collection.find({}, sort=[("_id", 1)])
    ]
    frames = []
    if dataset.media_type == "video":
        cursor = dataset._frame_collection.find({}, sort=[("_id", 1)])
        frames = [bson.encode(d) for d in cursor]
    schema = sorted(dataset.get_field_schema(flat=True))
    frame_schema = sorted(dataset.get_frame_field_schema(flat=True) or {})
    return docs, frames, schema, frame_schema, dataset.list_runs()


def _set_logits(dataset, index, value):
    """Store ``value`` as the logits of sample ``index``, bypassing validation."""
    sample_id = dataset.values("_id")[index]
    dataset._sample_collection.update_one(
        {"_id": sample_id}, {"$set": {"pred.logits": value}}
    )
    return str(sample_id)


# ---------------------------------------------------------------------------
# The run API
# ---------------------------------------------------------------------------


def test_run_is_listed_with_its_config(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    compute_hardness(dataset, "pred", method="margin", normalize=True, progress=False)

    assert dataset.list_runs() == ["hardness"]
    config = dataset.get_run_info("hardness").config
    assert isinstance(config, HardnessRunConfig)
    assert config.method == "margin"
    assert config.label_field == "pred"
    assert config.hardness_field == "hardness"
    assert config.normalize is True
    assert config.status == STATUS_COMPLETE
    assert config.output_fields == ["hardness"]
    assert list_runs_of(dataset, HardnessRunConfig) == ["hardness"]
    assert get_run_config(dataset, "hardness", HardnessRunConfig).complete


def test_run_key_option_and_load_run_view(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    view = dataset.skip(2)
    compute_hardness(view, "pred", "h", run_key="first_try", progress=False)

    assert dataset.list_runs() == ["first_try"]
    loaded = dataset.load_run_view("first_try")
    assert loaded.values("id") == view.values("id")


def test_rename_then_delete_removes_fields(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    compute_hardness(dataset, "pred", "h", progress=False)
    dataset.rename_run("h", "renamed")
    assert dataset.list_runs() == ["renamed"]
    assert dataset.get_run_info("renamed").config.hardness_field == "h"

    dataset.delete_run("renamed")
    assert dataset.list_runs() == []
    assert not dataset.has_field("h")


def test_delete_run_removes_frame_fields(make_dataset, rng):
    dataset = _video_dataset(make_dataset, rng)
    compute_hardness(dataset, "frames.pred", "h", progress=False)
    assert dataset.has_field("frames.h") and dataset.has_field("h")

    dataset.delete_run("h")
    assert not dataset.has_field("frames.h")
    assert not dataset.has_field("h")
    assert dataset.values("frames.pred.logits")[0][0] is not None


def test_delete_run_removes_object_attributes(make_dataset, rng):
    dataset = _detections_dataset(make_dataset, rng)
    compute_hardness(dataset, "det", "h", progress=False)
    assert dataset.count("det.detections.h") == 6

    dataset.delete_run("h")
    assert not dataset.has_field("det.detections.h")
    assert not dataset.has_field("h")
    assert dataset.count("det.detections.h") == 0
    assert all("h" not in obj for obj in dataset.first().det.detections)


def test_rerun_under_same_key_replaces_results(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    compute_hardness(dataset, "pred", "h", run_key="score", progress=False)
    entropy_values = dataset.values("h")
    compute_hardness(
        dataset, "pred", "h", run_key="score", method="ratio", progress=False
    )

    assert dataset.list_runs() == ["score"]
    assert dataset.get_run_info("score").config.method == "ratio"
    assert dataset.values("h") != entropy_values

    # Same key, another output field: the old field goes with the old run.
    compute_hardness(dataset, "pred", "h2", run_key="score", progress=False)
    assert not dataset.has_field("h")
    assert dataset.values("h2") == entropy_values


def test_two_keys_leave_each_other_alone(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    compute_hardness(dataset, "pred", "a", progress=False)
    compute_hardness(dataset, "pred", "b", method="margin", progress=False)
    only_a = dataset.load_run_view("a", select_fields=True).get_field_schema()
    assert "a" in only_a and "b" not in only_a
    dataset.delete_run("b")
    assert dataset.has_field("a") and not dataset.has_field("b")
    assert dataset.list_runs() == ["a"]


def test_run_key_of_another_kind_is_refused(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    dataset.register_run("hardness", dataset.init_run(note="not seedselect"))
    before = _snapshot(dataset)
    with pytest.raises(RunError, match="another kind of run"):
        compute_hardness(dataset, "pred", progress=False)
    assert _snapshot(dataset) == before


@pytest.mark.parametrize("run_key", ["2fast", "has space", ""])
def test_invalid_run_key(make_dataset, rng, run_key):
    dataset = _dataset(make_dataset, rng)
    with pytest.raises(InputError, match="run_key"):
        compute_hardness(dataset, "pred", run_key=run_key, progress=False)
    assert dataset.list_runs() == []


def test_incomplete_run_is_reported(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    compute_hardness(dataset, "pred", progress=False)
    config = dataset.get_run_info("hardness").config
    config.status = "running"
    dataset.update_run_config("hardness", config)
    with pytest.raises(RunError, match="status 'running'"):
        get_run_config(dataset, "hardness", HardnessRunConfig)
    with pytest.raises(RunError, match="names no run"):
        get_run_config(dataset, "nothing", HardnessRunConfig)
    assert check_run_key(dataset, "free_key", HardnessRunConfig) is None


# ---------------------------------------------------------------------------
# Fields that are not this run's
# ---------------------------------------------------------------------------


def test_refuses_to_overwrite_a_foreign_field(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    dataset.set_values("hardness", [0.5] * len(dataset))
    first_id = dataset.first().id
    before = _snapshot(dataset)

    with pytest.raises(FieldError) as info:
        compute_hardness(dataset, "pred", progress=False)
    message = str(info.value)
    assert "'hardness'" in message and "6 samples" in message and first_id in message
    assert "overwrite=True" in message
    assert _snapshot(dataset) == before

    compute_hardness(dataset, "pred", overwrite=True, progress=False)
    assert dataset.values("hardness") != [0.5] * len(dataset)


def test_refuses_to_overwrite_brain_output_without_overwrite(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    fob.compute_hardness(dataset, "pred", "hardness", progress=False)
    with pytest.raises(FieldError, match="hardness"):
        compute_hardness(dataset, "pred", progress=False)
    compute_hardness(dataset, "pred", overwrite=True, progress=False)
    assert dataset.list_runs() == ["hardness"]


def test_overwrite_cannot_change_a_field_type(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    dataset.set_values("note", ["text"] * len(dataset))
    before = _snapshot(dataset)
    with pytest.raises(FieldError, match="cannot turn it into a float field"):
        compute_hardness(dataset, "pred", "note", overwrite=True, progress=False)
    assert _snapshot(dataset) == before


def test_refuses_existing_object_attribute(make_dataset, rng):
    dataset = _detections_dataset(make_dataset, rng)
    dataset.set_values("det.detections.h", [[1.0, 2.0]] * 3)
    before = _snapshot(dataset)
    with pytest.raises(FieldError, match="det.detections.h"):
        compute_hardness(dataset, "det", "h", progress=False)
    assert _snapshot(dataset) == before


# ---------------------------------------------------------------------------
# Bad input: a clear error, and nothing changes
# ---------------------------------------------------------------------------


def _expect_unchanged(dataset, call, error, *needles):
    before = _snapshot(dataset)
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for needle in needles:
        assert needle in message, (needle, message)
    assert _snapshot(dataset) == before
    return message


def test_missing_field(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    _expect_unchanged(
        dataset,
        lambda: compute_hardness(dataset, "nope", progress=False),
        FieldError,
        "'nope'",
        "does not exist",
        "6 samples",
        dataset.first().id,
    )


def test_unsupported_label_type(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    dataset.set_values("reg", [fo.Regression(value=1.0)] * 5 + [None])
    _expect_unchanged(
        dataset,
        lambda: compute_hardness(dataset, "reg", progress=False),
        FieldError,
        "'reg'",
        "Regression",
        "5 samples",
        dataset.first().id,
    )


def test_labels_without_logits(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    example = _set_logits(dataset, 3, None)
    _set_logits(dataset, 4, None)
    _expect_unchanged(
        dataset,
        lambda: compute_hardness(dataset, "pred", progress=False),
        FieldError,
        "'pred'",
        "without logits",
        "2 samples",
        example,
    )


def test_objects_without_logits(make_dataset, rng):
    dataset = _detections_dataset(make_dataset, rng)
    sample = dataset.last()
    sample.det.detections[1]["logits"] = None
    sample.save()
    _expect_unchanged(
        dataset,
        lambda: compute_hardness(dataset, "det", progress=False),
        FieldError,
        "'det'",
        "objects without",
        "1 sample has",
        sample.id,
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_logits(make_dataset, rng, bad):
    dataset = _dataset(make_dataset, rng)
    example = _set_logits(dataset, 1, [0.0, bad, 1.0, 2.0])
    _expect_unchanged(
        dataset,
        lambda: compute_hardness(dataset, "pred", chunk_size=2, progress=False),
        FieldError,
        "'pred'",
        "NaN or infinite",
        "1 sample has",
        example,
    )


def test_logits_of_different_lengths(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    example = _set_logits(dataset, 2, [0.0, 1.0])
    _set_logits(dataset, 5, [0.0, 1.0, 2.0, 3.0, 4.0])
    _expect_unchanged(
        dataset,
        lambda: compute_hardness(dataset, "pred", chunk_size=4, progress=False),
        FieldError,
        "'pred'",
        "length differs from 4",
        "2 samples",
        example,
    )


def test_logits_too_short(make_dataset, rng):
    dataset = _dataset(make_dataset, rng, k=1)
    _expect_unchanged(
        dataset,
        lambda: compute_hardness(dataset, "pred", progress=False),
        FieldError,
        "length 1",
        "6 samples",
    )


def test_unreadable_logits(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    example = _set_logits(dataset, 0, "not numbers")
    _expect_unchanged(
        dataset,
        lambda: compute_hardness(dataset, "pred", progress=False),
        FieldError,
        "not a vector",
        "1 sample has",
        example,
    )


def test_empty_collection(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    empty = dataset.limit(0)
    _expect_unchanged(
        dataset,
        lambda: compute_hardness(empty, "pred", progress=False),
        InputError,
        "empty",
        "0 samples",
    )


def test_ensemble_with_partial_labels(make_dataset, rng):
    dataset = _dataset(make_dataset, rng)
    dataset.clone_sample_field("pred", "other")
    sample = dataset.last()
    sample["other"] = None
    sample.save()
    _expect_unchanged(
        dataset,
        lambda: compute_hardness(
            dataset,
            "pred",
            ensemble_fields=["other"],
            method="vote_entropy",
            progress=False,
        ),
        FieldError,
        "some of the prediction fields",
        "1 sample has",
        sample.id,
    )


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"method": "bogus"}, "method='bogus'"),
        ({"method": "mutual_information"}, "ensemble_fields"),
        ({"kind": "scores"}, "kind='scores'"),
        ({"temperature": 0.0}, "temperature"),
        ({"aggregate": "median"}, "aggregate='median'"),
        ({"aggregate": "topk_mean"}, "top_k"),
        ({"top_k": 3}, "top_k=3"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"multilabel": True, "method": "margin"}, "binary entropy"),
        ({"hardness_field": "a.b"}, "plain field name"),
        ({"hardness_field": "frames.h"}, "frame field"),
    ],
)
def test_bad_options(make_dataset, rng, options, needle):
    dataset = _dataset(make_dataset, rng)
    hardness_field = options.pop("hardness_field", "hardness")
    _expect_unchanged(
        dataset,
        lambda: compute_hardness(
            dataset, "pred", hardness_field, progress=False, **options
        ),
        InputError,
        needle,
    )


def test_bad_frame_logits_leave_video_unchanged(make_dataset, rng):
    dataset = _video_dataset(make_dataset, rng)
    frame_id = dataset.values("frames._id")[0][2]
    dataset._frame_collection.update_one(
        {"_id": frame_id}, {"$set": {"pred.logits": [1.0, np.nan, 0.0]}}
    )
    _expect_unchanged(
        dataset,
        lambda: compute_hardness(dataset, "frames.pred", progress=False),
        FieldError,
        "'frames.pred'",
        "NaN or infinite",
        "1 sample has",
        dataset.first().id,
    )
