"""The digits demo dataset, run_demo, and the ``seedselect demo`` command."""

from __future__ import annotations

import uuid

import fiftyone as fo
import numpy as np
import pytest
from PIL import Image

from seedselect import InputError
from seedselect.cli import main
from seedselect.fo import load_digits_dataset, run_demo

N_SAMPLES = 60


@pytest.fixture
def demo_name():
    """A unique dataset name; the dataset is deleted after the test."""
    name = f"seedselect-demo-test-{uuid.uuid4().hex[:10]}"
    yield name
    if fo.dataset_exists(name):
        fo.delete_dataset(name)


def test_builds_a_complete_dataset(demo_name, tmp_path):
    dataset = load_digits_dataset(
        demo_name, images_dir=tmp_path, n_samples=N_SAMPLES, progress=False
    )

    assert len(dataset) == N_SAMPLES
    schema = dataset.get_field_schema()
    for name in ("ground_truth", "predictions", "embeddings", "digit_index"):
        assert name in schema
    logits = np.stack(dataset.values("predictions.logits"))
    assert logits.shape == (N_SAMPLES, 10)
    confidence = np.array(dataset.values("predictions.confidence"))
    assert np.all((confidence > 0) & (confidence <= 1))
    assert set(dataset.distinct("ground_truth.label")) <= {str(d) for d in range(10)}
    assert np.stack(dataset.values("embeddings")).shape[0] == N_SAMPLES
    counts = dataset.count_sample_tags()
    assert set(counts) == {"train", "pool"} and counts["train"] >= 20

    path = dataset.first().filepath
    assert path.startswith(str(tmp_path))
    with Image.open(path) as image:
        assert image.size == (64, 64)


def test_reuses_a_complete_dataset(demo_name, tmp_path):
    first = load_digits_dataset(
        demo_name, images_dir=tmp_path, n_samples=N_SAMPLES, progress=False
    )
    ids = first.values("id")
    again = load_digits_dataset(
        demo_name, images_dir=tmp_path, n_samples=N_SAMPLES, progress=False
    )
    assert again.values("id") == ids

    rebuilt = load_digits_dataset(
        demo_name,
        images_dir=tmp_path,
        n_samples=N_SAMPLES,
        overwrite=True,
        progress=False,
    )
    assert rebuilt.values("id") != ids


def test_refuses_to_replace_a_foreign_dataset(make_dataset, tmp_path):
    other = make_dataset()
    with pytest.raises(InputError, match="was not made by load_digits_dataset"):
        load_digits_dataset(other.name, images_dir=tmp_path, n_samples=N_SAMPLES)
    assert fo.dataset_exists(other.name)


def test_n_samples_must_be_reasonable(tmp_path):
    with pytest.raises(InputError, match="n_samples"):
        load_digits_dataset("never-made", images_dir=tmp_path, n_samples=5)
    assert not fo.dataset_exists("never-made")


def test_run_demo_reports_the_hardest(demo_name, tmp_path):
    report = run_demo(
        demo_name, images_dir=tmp_path, n_samples=N_SAMPLES, n_show=5, progress=False
    )

    assert report.n_samples == report.n_scored == N_SAMPLES
    scores = [row["hardness"] for row in report.hardest]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True)
    dataset = fo.load_dataset(demo_name)
    assert max(dataset.values("hardness")) == scores[0]

    # The labeling batch: tagged, saved, drawn from the pool, summarized.
    assert report.batch_key == "demo_batch"
    batch = dataset.load_saved_view("demo_batch")
    assert len(batch) == report.batch_size > 0
    assert len(dataset.match_tags("demo_batch")) == report.batch_size
    assert len(batch.match_tags("train")) == 0
    assert report.batch_summary is not None
    assert report.batch_summary["chosen"].sum() == report.batch_size
    assert "Next labeling batch" in report.format()
    assert dataset.list_runs() == ["demo_batch", "hardness"]
    text = report.format()
    assert report.hardest[0]["id"] in text
    assert report.summary in text.splitlines()
    assert "\n" not in report.summary


def test_cli_demo(demo_name, tmp_path, capsys):
    code = main(
        [
            "demo",
            "--name",
            demo_name,
            "--images-dir",
            str(tmp_path),
            "--n-samples",
            str(N_SAMPLES),
            "--top",
            "3",
            "--no-progress",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Hardest 3 samples" in out
    assert f"Scored {N_SAMPLES} of {N_SAMPLES}" in out
    assert "Next labeling batch" in out


def test_cli_failure_is_one_line(tmp_path, capsys):
    code = main(["demo", "--images-dir", str(tmp_path), "--n-samples", "5"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("seedselect: error: n_samples=5")


def test_cli_usage_errors_and_help(capsys):
    assert main(["no-such-command"]) == 2
    assert capsys.readouterr().err.startswith("seedselect: error:")
    assert main(["demo", "--top", "many"]) == 2
    assert main([]) == 2
    assert main(["--help"]) == 0
    assert main(["demo", "--help"]) == 0
    assert "seedselect demo --top 5" in capsys.readouterr().out
