"""Reports on FiftyOne datasets and recorded selection runs, on hand-made data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from seedselect import FieldError, InputError, RunError
from seedselect.reports import (
    compare_selection_runs,
    dataset_hardness_summary,
    plot_dataset_hardness,
    plot_selection_runs,
    save_figure,
    selection_report,
)

# Pool sizes per class: uneven, so that equal quotas differ from the pool mix.
POOL = {"cat": 30, "dog": 12, "owl": 6}
N_SELECT = 9


@pytest.fixture
def pool(make_dataset, rng):
    """Samples with a known hardness, class and embedding."""
    import fiftyone as fo

    dataset = make_dataset()
    samples = []
    for name, count in POOL.items():
        for _ in range(count):
            samples.append(
                fo.Sample(
                    filepath=f"/data/{name}-{len(samples)}.png",
                    hardness=float(rng.random()),
                    predictions=fo.Classification(label=name),
                    label_text=name,
                    embeddings=rng.normal(size=3).tolist(),
                )
            )
    dataset.add_samples(samples, progress=False)
    return dataset


def _select(dataset, **kwargs):
    from seedselect import select_seeds

    return select_seeds(dataset, N_SELECT, random_state=0, progress=False, **kwargs)


def _unset(dataset, field, ids):
    for sample in dataset.select(ids):
        sample[field] = None
        sample.save()


def test_hardness_summary_of_a_dataset(pool):
    ids = pool.values("id")
    _unset(pool, "hardness", [ids[0], ids[-1]])
    table = dataset_hardness_summary(pool, "hardness", "predictions")
    assert list(table["class"]) == ["(all)", "cat", "dog", "owl"]
    assert list(table["count"] + table["missing"]) == [48, 30, 12, 6]
    assert table.loc[0, "missing"] == 2
    values = np.array(pool.values("hardness"), dtype=float)
    assert table.loc[0, "max"] == pytest.approx(np.nanmax(values))

    # A string field groups the same way as a label field.
    same = dataset_hardness_summary(pool, "hardness", "label_text")
    pd.testing.assert_frame_equal(table, same)
    # Samples without a class form their own group.
    _unset(pool, "predictions", [ids[1]])
    grouped = dataset_hardness_summary(pool, label_field="predictions")
    assert "(none)" in set(grouped["class"])


def test_selection_report_matches_its_quotas(pool, tmp_path):
    _select(pool, label_field="predictions", balance="equal", embeddings_field=None)
    report = selection_report(pool, "seeds", embeddings_field="embeddings")

    # The balanced selection's histogram matches its quotas, and counts add up.
    counts = report.class_counts.set_index("class")
    assert counts["selected"].to_dict() == {"cat": 3, "dog": 3, "owl": 3}
    assert (counts["selected"] == counts["target"]).all()
    assert counts["pool"].to_dict() == POOL
    assert counts["selected"].sum() == N_SELECT == len(report.manifest)
    summary = report.summary.set_index("class")
    assert summary["chosen"].to_dict() == {"cat": 3, "dog": 3, "owl": 3}
    assert list(report.manifest["rank"]) == list(range(1, N_SELECT + 1))

    assert sorted(report.figures) == ["class_counts", "hardness", "projection"]
    for name, figure in report.figures.items():
        assert isinstance(figure, Figure)
        png = save_figure(figure, tmp_path / f"{name}.png")
        assert png.read_bytes()[:4] == b"\x89PNG"
    page = save_figure(report.figures["class_counts"], tmp_path / "classes.html")
    assert "data:image/svg+xml;base64," in page.read_text()
    bars = report.figures["class_counts"].axes[0].patches
    assert len(bars) == 2 * len(POOL)


def test_selection_report_without_classes(pool):
    _select(pool, run_key="plain", tag="plain")
    report = selection_report(pool, "plain")
    assert report.class_counts.empty
    assert sorted(report.figures) == ["hardness"]
    assert int(report.summary["chosen"].sum()) == N_SELECT


def test_compare_selection_runs(pool, tmp_path):
    hard = _select(pool, label_field="predictions", run_key="hard", tag="hard")
    spread = _select(
        pool,
        run_key="spread",
        tag="spread",
        embeddings_field="embeddings",
        diversity="kcenter",
    )
    table = compare_selection_runs(
        pool,
        ["hard", "spread"],
        label_field="predictions",
        embeddings_field="embeddings",
    )
    assert list(table["run"]) == ["hard", "spread"]
    assert list(table["n_selected"]) == [N_SELECT, N_SELECT]
    scores = np.array(pool.values("hardness"), dtype=float)
    ids = pool.values("id")
    chosen = [ids.index(i) for i in hard.values("id")]
    assert table.loc[0, "mean_hardness"] == pytest.approx(np.nanmean(scores[chosen]))
    assert spread.count() == N_SELECT
    assert (table["coverage_radius"] > 0).all()

    figure = plot_selection_runs(pool, ["hard", "spread"], label_field="predictions")
    assert save_figure(figure, tmp_path / "runs.png").stat().st_size > 0


def test_plot_dataset_hardness(pool, tmp_path):
    ids = pool.values("id")
    _unset(pool, "hardness", [ids[0], ids[-1]])
    figure = plot_dataset_hardness(pool, "hardness", "predictions")
    assert len(figure.axes) == 2
    assert "46 samples (2 missing)" in figure.axes[0].get_title()
    assert save_figure(figure, tmp_path / "h.png").exists()
    assert len(plot_dataset_hardness(pool).axes) == 1


def test_report_errors_name_the_problem(pool):
    with pytest.raises(FieldError, match="'nope' is not a field"):
        dataset_hardness_summary(pool, "nope")
    with pytest.raises(FieldError, match="label_field='nope'"):
        plot_dataset_hardness(pool, "hardness", "nope")
    with pytest.raises(FieldError, match="not numbers"):
        dataset_hardness_summary(pool, "label_text")
    with pytest.raises(RunError, match="'nope'"):
        selection_report(pool, "nope")
    with pytest.raises(InputError, match="FiftyOne dataset or view"):
        selection_report(pd.DataFrame(), "seeds")
    with pytest.raises(InputError, match="non-empty list"):
        compare_selection_runs(pool, [])

    # A run whose samples are outside the compared view.
    _select(pool, run_key="some", tag="some")
    chosen = pool.load_saved_view("some").values("id")
    with pytest.raises(InputError, match="samples lacks"):
        compare_selection_runs(pool.exclude(chosen), ["some"])
    _unset(pool, "embeddings", [pool.first().id])
    with pytest.raises(FieldError, match="empty on 1 samples"):
        compare_selection_runs(pool, ["some"], embeddings_field="embeddings")
