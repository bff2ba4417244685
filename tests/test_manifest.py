"""Labeling manifests (CSV, JSON, Parquet through pandas) and selection summaries."""

from __future__ import annotations

import fiftyone as fo
import numpy as np
import pandas as pd
import pytest
from test_select_seeds_support import detection_dataset, image_dataset

from seedselect import InputError, RunError
from seedselect.fo._expand import expand_seeds
from seedselect.fo._manifest import (
    MANIFEST_COLUMNS,
    SUMMARY_COLUMNS,
    export_manifest,
    read_manifest,
    selection_manifest,
    selection_summary,
)
from seedselect.fo._select import select_seeds


@pytest.fixture
def selected(make_dataset):
    dataset = image_dataset(make_dataset, 40, seed=11)
    view = select_seeds(
        dataset,
        9,
        label_field="predictions",
        balance="equal",
        random_state=0,
        progress=False,
    )
    return dataset, view


def test_manifest_rows_follow_the_selection(selected):
    dataset, view = selected
    manifest = selection_manifest(dataset, "seeds")
    assert tuple(manifest.columns) == MANIFEST_COLUMNS
    assert manifest["sample_id"].tolist() == view.values("id")
    assert manifest["filepath"].tolist() == view.values("filepath")
    np.testing.assert_allclose(manifest["hardness"], view.values("hardness"))
    assert manifest["class"].tolist() == view.values("predictions.label")
    assert manifest["rank"].tolist() == list(range(1, 10))
    assert manifest["reason"].tolist() == view.values("seeds_reason")


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_export_round_trip_through_pandas(selected, tmp_path, suffix):
    dataset, _ = selected
    path = tmp_path / "batches" / f"batch{suffix}"
    written = export_manifest(dataset, path)
    assert path.exists()
    pd.testing.assert_frame_equal(read_manifest(path), written)


def test_read_manifest_keeps_ids_and_odd_classes_as_text(tmp_path):
    frame = pd.DataFrame(
        {
            "sample_id": ["1234e5", "000012"],
            "filepath": ["/a.png", "/b.png"],
            "hardness": [0.5, np.nan],
            "class": ["NA", None],
            "rank": [1, 2],
            "reason": ["r1", "r2"],
        }
    )
    for suffix in (".csv", ".json", ".parquet"):
        path = tmp_path / f"m{suffix}"
        if suffix == ".csv":
            frame.to_csv(path, index=False)
        elif suffix == ".json":
            frame.to_json(path, orient="records")
        else:
            frame.to_parquet(path, index=False)
        back = read_manifest(path)
        assert back["sample_id"].tolist() == ["1234e5", "000012"], suffix
        assert back.loc[0, "class"] == "NA", suffix
        assert pd.isna(back.loc[1, "class"]), suffix


def test_export_refuses_an_unknown_format(selected, tmp_path):
    dataset, _ = selected
    with pytest.raises(InputError, match=".xlsx"):
        export_manifest(dataset, tmp_path / "batch.xlsx")
    with pytest.raises(InputError, match="format='xml'"):
        export_manifest(dataset, tmp_path / "batch.csv", format="xml")


def test_summary_per_class(selected):
    dataset, view = selected
    summary = selection_summary(dataset, "seeds")
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    assert summary["class"].tolist() == ["bird", "cat", "dog"]
    assert summary["quota"].tolist() == [3, 3, 3]
    assert summary["chosen"].tolist() == [3, 3, 3]
    labels = np.array(dataset.values("predictions.label"))
    hardness = np.array(dataset.values("hardness"))
    chosen_labels = np.array(view.values("predictions.label"))
    chosen_hardness = np.array(view.values("hardness"))
    for _, row in summary.iterrows():
        mine = chosen_hardness[chosen_labels == row["class"]]
        pool = hardness[labels == row["class"]]
        assert row["pool"] == len(pool)
        assert row["hardness_mean"] == pytest.approx(mine.mean())
        assert row["hardness_median"] == pytest.approx(np.median(mine))
        assert row["hardness_min"] == pytest.approx(mine.min())
        assert row["hardness_max"] == pytest.approx(mine.max())
        assert row["pool_hardness_mean"] == pytest.approx(pool.mean())


def test_summary_without_classes_has_one_row(make_dataset):
    dataset = image_dataset(make_dataset, 15)
    dataset.limit(5).tag_samples("labeled")
    select_seeds(dataset, 4, exclude_tags="labeled", progress=False)
    summary = selection_summary(dataset)
    assert len(summary) == 1
    assert pd.isna(summary.loc[0, "class"])
    assert summary.loc[0, "pool"] == 10
    assert summary.loc[0, "chosen"] == 4
    assert pd.isna(summary.loc[0, "quota"])


def test_patch_manifest_names_the_objects(make_dataset):
    dataset = detection_dataset(make_dataset, 4)
    view = select_seeds(dataset.to_patches("ground_truth"), 3, progress=False)
    manifest = selection_manifest(dataset)
    assert manifest.columns[:3].tolist() == ["sample_id", "label_id", "filepath"]
    assert manifest["label_id"].tolist() == view.values("id")
    assert manifest["sample_id"].tolist() == view.values("sample_id")
    assert manifest["filepath"].tolist() == view.values("filepath")


def test_expansion_manifest_links_seeds(make_dataset, tmp_path):
    dataset = image_dataset(make_dataset, 30)
    view = expand_seeds(
        dataset.limit(3), dataset.skip(3), 6, embeddings_field="emb", progress=False
    )
    manifest = export_manifest(dataset, tmp_path / "exp.parquet", run_key="expansion")
    assert manifest.columns[-2:].tolist() == ["seed_id", "distance"]
    assert manifest["seed_id"].tolist() == view.values("expansion_seed_id")
    assert manifest["hardness"].isna().all()
    assert manifest["class"].isna().all()
    pd.testing.assert_frame_equal(read_manifest(tmp_path / "exp.parquet"), manifest)
    summary = selection_summary(dataset, "expansion")
    assert summary["chosen"].sum() == 6


def test_manifest_of_an_unknown_or_foreign_run(make_dataset):
    dataset = image_dataset(make_dataset, 5)
    with pytest.raises(RunError, match="no selection run"):
        selection_manifest(dataset, "seeds")
    dataset.register_run("plain", fo.Dataset.init_run(dataset))
    with pytest.raises(RunError, match="not a selection"):
        selection_summary(dataset, "plain")
