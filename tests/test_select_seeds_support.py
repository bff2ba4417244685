"""Builders and snapshots shared by the selection, expansion and manifest tests.

Importing this module from another test file works because pytest puts ``tests/``
on ``sys.path`` (the directory has no ``__init__.py``). It holds no tests.
"""

from __future__ import annotations

from typing import Any

import bson
import fiftyone as fo
import numpy as np

CLASSES = ("cat", "dog", "bird")


def image_dataset(
    make_dataset: Any,
    n: int,
    *,
    seed: int = 0,
    dim: int = 4,
    classes: tuple[str, ...] = CLASSES,
    prefix: str = "img",
) -> Any:
    """Images with ``hardness``, ``predictions``, ``ground_truth`` and ``emb``."""
    rng = np.random.default_rng(seed)
    dataset = make_dataset()
    hardness = rng.random(n)
    emb = rng.normal(size=(n, dim))
    samples = [
        fo.Sample(
            filepath=f"/data/{prefix}/{i:05d}.png",
            hardness=float(hardness[i]),
            predictions=fo.Classification(label=classes[i % len(classes)]),
            ground_truth=fo.Classification(label=classes[(i + 1) % len(classes)]),
            emb=emb[i],
        )
        for i in range(n)
    ]
    dataset.add_samples(samples, progress=False)
    return dataset


def detection_dataset(make_dataset: Any, n: int, *, per_sample: int = 3, seed: int = 0):
    """Images with ``ground_truth`` detections carrying a per-object hardness."""
    rng = np.random.default_rng(seed)
    dataset = make_dataset()
    samples = []
    for i in range(n):
        detections = [
            fo.Detection(
                label=CLASSES[(i + j) % 2],
                bounding_box=[0.1 * j, 0.1, 0.2, 0.2],
                hardness=float(rng.random()),
            )
            for j in range(per_sample)
        ]
        samples.append(
            fo.Sample(
                filepath=f"/data/det/{i:05d}.png",
                ground_truth=fo.Detections(detections=detections),
                hardness=float(rng.random()),
            )
        )
    dataset.add_samples(samples, progress=False)
    dataset.add_sample_field("ground_truth.detections.hardness", fo.FloatField)
    return dataset


def snapshot(dataset: Any) -> dict[str, Any]:
    """Everything a failed call must leave as it was: the raw sample documents,
    the run records, the saved views, the brain runs and the schema."""
    dataset = dataset._root_dataset
    dataset.reload()
    # BSON bytes compare NaN equal to itself and see every stored byte.
    docs = [
        bson.encode(d) for d in dataset._sample_collection.find({}, sort=[("_id", 1)])
    ]
    runs = {k: dataset.get_run_info(k).config.serialize() for k in dataset.list_runs()}
    return {
        "samples": docs,
        "runs": runs,
        "saved_views": dataset.list_saved_views(),
        "brain_runs": dataset.list_brain_runs(),
        "schema": sorted(dataset.get_field_schema(flat=True)),
    }


def assert_unchanged(dataset: Any, before: dict[str, Any]) -> None:
    after = snapshot(dataset)
    for key in before:
        assert after[key] == before[key], key
