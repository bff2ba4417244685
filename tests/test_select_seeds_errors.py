"""Bad input to select_seeds: a clear error, and the dataset left exactly as it was.

Each case builds its problem on a fresh dataset, snapshots the raw sample documents,
the run records, the saved views and the schema, makes the call, and checks the
exception type, the words of the message and the unchanged snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fiftyone as fo
import numpy as np
import pytest
from test_select_seeds_support import assert_unchanged, image_dataset, snapshot

from seedselect import FieldError, InputError, RunError
from seedselect.fo._select import select_seeds
from seedselect.fo._selection_runs import run_lock


def _unset_hardness(ds: Any) -> dict:
    ids = ds.values("id")[3:7]
    ds.select(ids).set_field("hardness", None).save()
    return {"example": ids[0]}


def _nan_hardness(ds: Any) -> dict:
    ids = ds.values("id")
    ds.set_values("hardness", {ids[5]: float("nan")}, key_field="id")
    return {"example": ids[5]}


def _mixed_dims(ds: Any) -> dict:
    ids = ds.values("id")
    ds.set_values("emb", {ids[2]: np.zeros(7), ids[9]: np.zeros(7)}, key_field="id")
    return {"example": ids[2]}


def _missing_emb(ds: Any) -> dict:
    ids = ds.values("id")
    ds.set_values("emb", {ids[4]: None}, key_field="id")
    return {"example": ids[4]}


def _missing_label(ds: Any) -> dict:
    ids = ds.values("id")
    ds.set_values("predictions", {ids[6]: None}, key_field="id")
    return {"example": ids[6]}


def _detections_field(ds: Any) -> dict:
    ds.set_values("boxes", [fo.Detections()] * len(ds))
    return {}


def _plain_run(ds: Any) -> dict:
    ds.register_run("seeds", ds.init_run(note="someone else's run"))
    return {}


def _other_selection_tag(ds: Any) -> dict:
    select_seeds(ds, 3, run_key="earlier", tag="seeds", progress=False)
    return {}


def _tag_on_samples(ds: Any) -> dict:
    ds.limit(2).tag_samples("seeds")
    return {"example": ds.first().id}


def _user_saved_view(ds: Any) -> dict:
    ds.save_view("seeds", ds.limit(4))
    return {}


def _user_field(ds: Any) -> dict:
    ds.set_values("seeds_rank", list(range(len(ds))))
    return {}


def _labeled(ds: Any) -> dict:
    ds.limit(15).tag_samples("labeled")
    return {}


def _nothing(ds: Any) -> dict:
    return {}


def _lock_held(ds: Any) -> dict:
    # A live process (this one) holds the lock on the run key.
    import fiftyone.core.odm as foo

    foo.get_db_conn()["seedselect_locks"].insert_one(
        {"_id": f"{ds._doc.id}:run:seeds", "token": "x", "host": _host(), "pid": _pid()}
    )
    return {}


def _host() -> str:
    import socket

    return socket.gethostname()


def _pid() -> int:
    import os

    return os.getpid()


Case = tuple[str, Callable[[Any], dict], dict, type, list[str]]

CASES: list[Case] = [
    (
        "hardness field missing",
        _nothing,
        {"hardness_field": "difficulty"},
        FieldError,
        ["hardness_field='difficulty'", "compute it"],
    ),
    (
        "hardness not computed on part of the view",
        _unset_hardness,
        {},
        FieldError,
        ["hardness_field='hardness'", "4 samples", "{example}"],
    ),
    (
        "NaN hardness",
        _nan_hardness,
        {},
        FieldError,
        ["NaN", "1 samples", "{example}"],
    ),
    (
        "embeddings of mixed dimensions",
        _mixed_dims,
        {"embeddings_field": "emb", "diversity": "kcenter"},
        InputError,
        ["embeddings_field='emb'", "2 samples", "length 7", "{example}"],
    ),
    (
        "embeddings missing on a sample",
        _missing_emb,
        {"embeddings_field": "emb", "diversity": "kcenter"},
        FieldError,
        ["embeddings_field='emb'", "1 samples", "{example}"],
    ),
    (
        "label missing on a sample",
        _missing_label,
        {"label_field": "predictions", "balance": "equal"},
        FieldError,
        ["predictions.label", "1 samples", "{example}"],
    ),
    (
        "label field without one class per sample",
        _detections_field,
        {"label_field": "boxes", "balance": "equal"},
        FieldError,
        ["label_field='boxes'", "Detections"],
    ),
    (
        "run key used by another kind of run",
        _plain_run,
        {},
        RunError,
        ["run_key='seeds'", "another kind of run"],
    ),
    (
        "tag of another selection run",
        _other_selection_tag,
        {},
        RunError,
        ["tag='seeds'", "'earlier'"],
    ),
    (
        "tag already on samples",
        _tag_on_samples,
        {},
        RunError,
        ["tag='seeds'", "2 samples", "{example}"],
    ),
    (
        "saved view of the user",
        _user_saved_view,
        {},
        RunError,
        ["saved_view_name='seeds'", "the user"],
    ),
    (
        "output field that belongs to the user",
        _user_field,
        {},
        RunError,
        ["'seeds_rank'", "already exists"],
    ),
    (
        "n_select larger than the view allows",
        _labeled,
        {"n_select": 10, "exclude_tags": "labeled"},
        InputError,
        ["n_select=10", "5 samples", "15 excluded"],
    ),
    (
        "invalid run key",
        _nothing,
        {"run_key": "my seeds"},
        InputError,
        ["run_key='my seeds'", "identifier"],
    ),
    (
        "exclude_tags holds the run's own tag",
        _nothing,
        {"exclude_tags": ["seeds"]},
        InputError,
        ["exclude_tags", "tag='seeds'"],
    ),
    (
        "both embeddings sources",
        _nothing,
        {"embeddings_field": "emb", "similarity_index": "sim"},
        InputError,
        ["embeddings_field or similarity_index"],
    ),
    (
        "unknown similarity index",
        _nothing,
        {"similarity_index": "sim", "diversity": "kcenter"},
        InputError,
        ["similarity_index='sim'", "compute_similarity"],
    ),
    (
        "diversity without embeddings",
        _nothing,
        {"diversity": "kcenter"},
        InputError,
        ["diversity='kcenter'", "embeddings"],
    ),
    (
        "negative n_select",
        _nothing,
        {"n_select": -2},
        InputError,
        ["n_select=-2"],
    ),
    (
        "quota for an unknown class",
        _nothing,
        {"label_field": "predictions", "balance": {"cat": 2, "zebra": 1}},
        InputError,
        ["zebra"],
    ),
    (
        "another call writes the same run",
        _lock_held,
        {},
        RunError,
        ["another seedselect call", "'run:seeds'"],
    ),
]


@pytest.mark.parametrize(
    "prepare, kwargs, error, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises_and_changes_nothing(
    make_dataset, prepare, kwargs, error, words
):
    dataset = image_dataset(make_dataset, 20)
    facts = prepare(dataset)
    before = snapshot(dataset)
    call = {"n_select": 3, "progress": False, **kwargs}
    with pytest.raises(error) as info:
        select_seeds(dataset, **call)
    message = str(info.value)
    for word in words:
        assert word.format(**facts) in message, message
    assert_unchanged(dataset, before)


def test_exclude_view_of_another_dataset_is_refused(make_dataset):
    dataset = image_dataset(make_dataset, 10)
    other = image_dataset(make_dataset, 5, prefix="other")
    before = snapshot(dataset)
    with pytest.raises(InputError, match="exclude_view"):
        select_seeds(dataset, 2, exclude_view=other, progress=False)
    assert_unchanged(dataset, before)


def test_similarity_index_of_patches_is_refused_for_samples(make_dataset):
    import fiftyone.brain as fob

    dataset = image_dataset(make_dataset, 10)
    dataset.set_values(
        "boxes",
        [fo.Detections(detections=[fo.Detection(label="a")]) for _ in range(10)],
    )
    emb = {i: np.ones((1, 3)) for i in dataset.values("id")}
    fob.compute_similarity(
        dataset,
        patches_field="boxes",
        embeddings=emb,
        brain_key="psim",
        backend="sklearn",
        progress=False,
    )
    before = snapshot(dataset)
    with pytest.raises(InputError, match="boxes"):
        select_seeds(
            dataset, 2, similarity_index="psim", diversity="kcenter", progress=False
        )
    assert_unchanged(dataset, before)


def test_lock_is_released_after_a_failed_call(make_dataset):
    dataset = image_dataset(make_dataset, 10)
    with pytest.raises(FieldError):
        select_seeds(dataset, 2, hardness_field="nope", progress=False)
    with run_lock(dataset, ["run:seeds"]):
        pass


def _video_with_frame_files(make_dataset: Any) -> Any:
    """One video whose two frames have image paths, detections and a class."""
    dataset = make_dataset()
    sample = fo.Sample(filepath="/nowhere/v.mp4", hardness=0.5)
    for f in (1, 2):
        box = fo.Detection(label="a", bounding_box=[0.1, 0.1, 0.2, 0.2])
        sample.frames[f] = fo.Frame(
            filepath=f"/nowhere/v-{f}.png", dets=fo.Detections(detections=[box])
        )
    dataset.add_sample(sample)
    return dataset


def _evaluated_images(make_dataset: Any) -> Any:
    dataset = make_dataset()
    box = [0.1, 0.1, 0.2, 0.2]
    dataset.add_sample(
        fo.Sample(
            filepath="/nowhere/i.png",
            hardness=0.5,
            gt=fo.Detections(detections=[fo.Detection(label="a", bounding_box=box)]),
            pr=fo.Detections(
                detections=[fo.Detection(label="a", bounding_box=box, confidence=0.9)]
            ),
        )
    )
    dataset.evaluate_detections("pr", gt_field="gt", eval_key="ev", progress=False)
    return dataset


@pytest.mark.parametrize(
    ("build", "view", "words"),
    [
        (_video_with_frame_files, lambda d: d.to_clips("frames.dets"), "clips"),
        (
            _video_with_frame_files,
            lambda d: d.to_frames(sample_frames=False),
            "frames or clips",
        ),
        (
            _video_with_frame_files,
            lambda d: d.to_frames(sample_frames=False).to_patches("dets"),
            "patches of video frames",
        ),
        (_evaluated_images, lambda d: d.to_evaluation_patches("ev"), "evaluation"),
    ],
    ids=["clips", "frames", "frame patches", "evaluation patches"],
)
def test_collections_that_cannot_be_selected_from(make_dataset, build, view, words):
    dataset = build(make_dataset)
    samples = view(dataset)
    before = snapshot(dataset)
    with pytest.raises(InputError, match=words) as info:
        select_seeds(samples, 1, random_state=0, progress=False)
    assert "instead" in str(info.value) or "select whole videos" in str(info.value)
    assert_unchanged(dataset, before)
