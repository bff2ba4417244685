"""Report figures: what each draws, that it saves, and what it refuses."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

from seedselect import InputError
from seedselect.reports import (
    HISTOGRAM_BINS,
    MAX_PROJECTION_POINTS,
    compare_runs,
    plot_class_counts,
    plot_hardness_distribution,
    plot_run_comparison,
    plot_selection_projection,
    save_figure,
)
from seedselect.reports._plots import MAX_CLASSES_SHOWN, MAX_STACKED_CLASSES

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class FakeResult:
    """Stands in for seedselect.selection.SelectionResult: the attributes we read."""

    indices: np.ndarray
    class_table: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"index": self.indices})


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture
def pool(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A pool of 240 samples in 3 classes, with embeddings and hardness."""
    labels = np.repeat(np.array(["cat", "dog", "emu"]), [120, 80, 40])
    centres = np.array([[0.0, 0.0, 0.0, 0.0], [5.0, 0.0, 0.0, 0.0], [0.0, 5.0, 0.0, 0]])
    codes = np.repeat(np.arange(3), [120, 80, 40])
    embeddings = centres[codes] + rng.normal(size=(240, 4))
    hardness = rng.random(240)
    hardness[[3, 50]] = np.nan
    chosen = np.concatenate(
        [rng.choice(np.flatnonzero(codes == c), 8, replace=False) for c in range(3)]
    )
    return {
        "labels": labels,
        "embeddings": embeddings,
        "hardness": hardness,
        "chosen": chosen,
    }


def _bars(ax) -> int:
    return len(ax.patches)


def _points(collection: PathCollection) -> int:
    return len(collection.get_offsets())


# --- plot_hardness_distribution ----------------------------------------------------


def test_histogram_alone_without_labels(pool) -> None:
    fig = plot_hardness_distribution(pool["hardness"])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    assert _bars(fig.axes[0]) == HISTOGRAM_BINS
    assert "(2 missing)" in fig.axes[0].get_title()
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    assert sum(heights) == 238
    plt.close(fig)


def test_histogram_stacked_by_class_and_boxes_per_class(pool) -> None:
    fig = plot_hardness_distribution(pool["hardness"], pool["labels"], bins=10)
    hist_ax, box_ax = fig.axes
    assert _bars(hist_ax) == 10 * 3
    assert [t.get_text() for t in hist_ax.get_legend().get_texts()] == [
        "cat",
        "dog",
        "emu",
    ]
    ticks = [t.get_text() for t in box_ax.get_xticklabels()]
    assert len(ticks) == 3 and ticks[0].startswith("cat")
    # The top of the stack counts every present score.
    top = [patch.get_y() + patch.get_height() for patch in hist_ax.patches[-10:]]
    assert sum(top) == 238
    plt.close(fig)


def test_histogram_into_a_given_axes() -> None:
    outer = Figure()
    ax = outer.add_subplot()
    fig = plot_hardness_distribution([0.1, 0.5, 0.9], ["a", "b", "a"], ax=ax, bins=4)
    assert fig is outer
    assert len(fig.axes) == 1
    assert _bars(ax) == 4 * 2


def test_many_classes_give_a_plain_histogram() -> None:
    n_classes = MAX_STACKED_CLASSES + 2
    labels = np.arange(120) % n_classes
    hardness = np.linspace(0.0, 1.0, 120)
    fig = plot_hardness_distribution(hardness, labels, bins=5)
    assert _bars(fig.axes[0]) == 5
    assert len(fig.axes[1].get_xticklabels()) == n_classes


def test_boxes_skip_classes_without_scores_and_cap_the_count() -> None:
    fig = plot_hardness_distribution([0.1, np.nan, 0.3], ["a", "b", "a"])
    assert len(fig.axes[1].get_xticklabels()) == 1
    assert "1 of 2 classes" in fig.axes[1].get_title()

    labels = np.arange(MAX_CLASSES_SHOWN + 5).repeat(2)
    fig = plot_hardness_distribution(np.linspace(0, 1, labels.size), labels)
    assert len(fig.axes[1].get_xticklabels()) == MAX_CLASSES_SHOWN


@pytest.mark.parametrize("bins", ["auto", [0.0, 0.5, 1.0], np.linspace(0, 1, 6)])
def test_histogram_bins_as_rule_or_edges(bins) -> None:
    fig = plot_hardness_distribution([0.1, 0.2, 0.6, 0.9], bins=bins)
    if not isinstance(bins, str):
        assert _bars(fig.axes[0]) == len(bins) - 1


def test_constant_scores_still_plot() -> None:
    fig = plot_hardness_distribution(np.full(20, 0.5), np.arange(20) % 2)
    assert _bars(fig.axes[0]) == HISTOGRAM_BINS * 2


@pytest.mark.parametrize(
    ("hardness", "kwargs", "match"),
    [
        ([np.nan, None], {}, "all 2 are missing"),
        ([], {}, "hardness is empty"),
        ([0.1, 0.2], {"labels": ["a"]}, "labels has 1 entries but hardness has 2"),
        ([0.1, 0.2], {"bins": 0}, "bins=0 must be at least 1"),
        ([0.1, 0.2], {"bins": "best"}, "bins='best' is not a binning rule"),
        ([0.1, 0.2], {"bins": [1.0, 0.0]}, "increasing bin edges"),
        ([0.1, 0.2], {"ax": "left"}, "ax is a str"),
    ],
)
def test_histogram_rejects_bad_input(hardness, kwargs, match) -> None:
    with pytest.raises(InputError, match=match):
        plot_hardness_distribution(hardness, **kwargs)


# --- plot_class_counts -------------------------------------------------------------


def test_class_bars_pool_against_selection(pool) -> None:
    labels = pool["labels"]
    fig = plot_class_counts(labels, labels[pool["chosen"]])
    (ax,) = fig.axes
    assert _bars(ax) == 2 * 3
    assert not ax.collections  # no targets, no markers
    pool_heights = [patch.get_height() for patch in ax.patches[:3]]
    chosen_heights = [patch.get_height() for patch in ax.patches[3:]]
    np.testing.assert_allclose(pool_heights, [0.5, 1 / 3, 1 / 6])
    np.testing.assert_allclose(chosen_heights, [1 / 3] * 3)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "emu"]


def test_class_bars_mark_targets_in_counts(pool) -> None:
    labels = pool["labels"]
    targets = {"cat": 8, "dog": 8, "emu": 10}
    fig = plot_class_counts(
        labels, labels[pool["chosen"]], targets=targets, scale="count"
    )
    (ax,) = fig.axes
    assert [patch.get_height() for patch in ax.patches] == [120, 80, 40, 8, 8, 8]
    (markers,) = ax.collections
    np.testing.assert_allclose(markers.get_offsets()[:, 1], [8, 8, 10])


def test_class_bars_read_a_selection_result(pool) -> None:
    labels = pool["labels"]
    table = pd.DataFrame(
        {"class": ["cat", "dog", "emu"], "target": pd.array([8, 8, 8], dtype="Int64")}
    )
    fig = plot_class_counts(labels, FakeResult(pool["chosen"], table))
    (markers,) = fig.axes[0].collections
    np.testing.assert_allclose(markers.get_offsets()[:, 1], [1 / 3] * 3)


def test_class_bars_show_the_largest_classes_only() -> None:
    labels = np.arange(MAX_CLASSES_SHOWN + 10).repeat(2)
    fig = plot_class_counts(labels, labels[:5])
    assert _bars(fig.axes[0]) == 2 * MAX_CLASSES_SHOWN
    assert f"of {MAX_CLASSES_SHOWN + 10} classes" in fig.axes[0].get_title()


def test_class_bars_for_an_empty_selection() -> None:
    fig = plot_class_counts(["a", "b"], [])
    assert [patch.get_height() for patch in fig.axes[0].patches[2:]] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("selected", "kwargs", "match"),
    [
        (["a"], {"scale": "log"}, "scale='log'"),
        (["a"], {"targets": {"a": -2}}, "must be at least 0"),
        ([None], {}, "selected is missing"),
    ],
)
def test_class_bars_reject_bad_input(selected, kwargs, match) -> None:
    with pytest.raises(InputError, match=match):
        plot_class_counts(["a", "b"], selected, **kwargs)


# --- plot_selection_projection -----------------------------------------------------


def test_projection_draws_pool_and_selection(pool) -> None:
    fig = plot_selection_projection(pool["embeddings"], pool["chosen"], random_state=0)
    (ax,) = fig.axes
    rest, chosen = ax.collections
    assert _points(rest) == 240 - 24
    assert _points(chosen) == 24
    assert ax.get_xlabel().startswith("PC 1")
    assert "24 selected of 240 samples" in ax.get_title()


def test_projection_by_class_and_by_score(pool) -> None:
    fig = plot_selection_projection(
        pool["embeddings"], pool["chosen"], labels=pool["labels"], random_state=0
    )
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["pool", "cat", "dog", "emu"]

    fig = plot_selection_projection(
        pool["embeddings"], pool["chosen"], scores=pool["hardness"], random_state=0
    )
    assert len(fig.axes) == 2  # the panel and its colour bar

    fig = plot_selection_projection(
        pool["embeddings"],
        pool["chosen"],
        labels=pool["labels"],
        scores=pool["hardness"],
        random_state=0,
    )
    sizes = fig.axes[0].collections[1].get_sizes()
    assert len(fig.axes) == 1 and sizes.min() < sizes.max()


def test_projection_subsamples_the_pool_reproducibly(pool) -> None:
    kwargs = {"max_points": 100, "random_state": 3}
    first = plot_selection_projection(pool["embeddings"], pool["chosen"], **kwargs)
    again = plot_selection_projection(pool["embeddings"], pool["chosen"], **kwargs)
    rest, chosen = first.axes[0].collections
    assert _points(rest) == 100 - 24 and _points(chosen) == 24
    np.testing.assert_array_equal(
        rest.get_offsets(), again.axes[0].collections[0].get_offsets()
    )
    assert "drawing 76 of 216 unselected" in first.axes[0].get_title()


def test_projection_subsamples_a_large_selection(pool) -> None:
    fig = plot_selection_projection(
        pool["embeddings"], np.arange(200), max_points=50, random_state=0
    )
    rest, chosen = fig.axes[0].collections
    assert _points(rest) == 0 and _points(chosen) == 50


def test_projection_cap_is_a_named_default() -> None:
    assert MAX_PROJECTION_POINTS == 5000


def test_projection_with_tsne(pool) -> None:
    X = pool["embeddings"][:40]
    # One thread: t-SNE's OpenMP loop slows down badly on a busy 2-core machine.
    with threadpool_limits(limits=1):
        fig = plot_selection_projection(X, [0, 1, 39], method="tsne", random_state=0)
    assert fig.axes[0].get_xlabel() == "t-SNE 1"
    assert sum(_points(c) for c in fig.axes[0].collections) == 40


@pytest.mark.parametrize(
    ("X", "selected"),
    [
        (np.zeros((5, 3)), [0]),  # constant embeddings
        (np.arange(6.0).reshape(6, 1), [1, 2]),  # one feature
        (np.ones((1, 4)), [0]),  # one sample
        (np.ones((4, 2)), np.array([True, False, False, True])),  # a mask
        (np.ones((4, 2)), []),  # nothing selected
    ],
)
def test_projection_of_degenerate_pools(X, selected) -> None:
    fig = plot_selection_projection(X, selected, random_state=0)
    assert sum(_points(c) for c in fig.axes[0].collections) == len(X)


def test_projection_reads_a_selection_result(pool) -> None:
    fig = plot_selection_projection(
        pool["embeddings"], FakeResult(pool["chosen"]), random_state=0
    )
    assert _points(fig.axes[0].collections[1]) == 24


@pytest.mark.parametrize(
    ("X", "selected", "kwargs", "match"),
    [
        ([[0.0, np.nan], [1.0, 1.0]], [0], {}, "embeddings holds NaN"),
        ([0.0, 1.0], [0], {}, r"embeddings has shape \(2,\)"),
        (np.ones((3, 2)), [0, 0], {}, "repeats 1 positions"),
        (np.ones((3, 2)), [3], {}, "outside the pool, e.g. 3"),
        (np.ones((3, 2)), [0], {"method": "umap"}, "method='umap'"),
        (np.ones((3, 2)), [0], {"labels": ["a", "b"]}, "labels has 2 entries"),
        (np.ones((3, 2)), [0], {"scores": [0.1, np.inf, 0]}, "scores is infinite"),
        (np.ones((3, 2)), [0], {"max_points": 0}, "max_points=0 must be at least 1"),
        (np.ones((3, 2)), [0], {"random_state": -1}, "random_state=-1"),
    ],
)
def test_projection_rejects_bad_input(X, selected, kwargs, match) -> None:
    with pytest.raises(InputError, match=match):
        plot_selection_projection(X, selected, **kwargs)


# --- plot_run_comparison -----------------------------------------------------------


def test_run_comparison_one_panel_per_metric(pool) -> None:
    runs = {"classes": pool["chosen"], "first": np.arange(24), "none": []}
    table = compare_runs(
        runs,
        hardness=pool["hardness"],
        labels=pool["labels"],
        embeddings=pool["embeddings"],
    )
    fig = plot_run_comparison(table)
    assert len(fig.axes) == 7
    for ax in fig.axes:
        assert _bars(ax) == 3
        assert [t.get_text() for t in ax.get_yticklabels()] == list(runs)
    assert "n/a" in [t.get_text() for t in fig.axes[1].texts]  # empty run's mean


def test_run_comparison_skips_metrics_without_values() -> None:
    table = compare_runs({"a": [0, 1], "b": [2]}, hardness=[0.1, 0.2, 0.3])
    fig = plot_run_comparison(table)
    assert [ax.get_title() for ax in fig.axes] == [
        "samples selected",
        "mean hardness",
        "median hardness",
    ]
    fig = plot_run_comparison(table, metrics=["mean_hardness"])
    assert len(fig.axes) == 1


@pytest.mark.parametrize(
    ("table", "kwargs", "match"),
    [
        (pd.DataFrame(), {}, "non-empty DataFrame"),
        ({"run": ["a"]}, {}, "non-empty DataFrame"),
        (pd.DataFrame({"run": ["a"], "x": [1]}), {}, "none of the metric columns"),
        (pd.DataFrame({"run": ["a"], "x": [1]}), {"metrics": ["y"]}, "'y', which"),
        (pd.DataFrame({"run": ["a"], "x": ["s"]}), {"metrics": ["x"]}, "not numbers"),
        (pd.DataFrame({"run": ["a"], "x": [1]}), {"metrics": "x"}, "non-empty list"),
    ],
)
def test_run_comparison_rejects_bad_input(table, kwargs, match) -> None:
    with pytest.raises(InputError, match=match):
        plot_run_comparison(table, **kwargs)


# --- save_figure and display -------------------------------------------------------


def _every_figure(pool) -> dict[str, Callable[[], Figure]]:
    labels, X, chosen = pool["labels"], pool["embeddings"], pool["chosen"]
    table = compare_runs({"a": chosen, "b": np.arange(10)}, hardness=pool["hardness"])
    return {
        "hardness": lambda: plot_hardness_distribution(pool["hardness"], labels),
        "classes": lambda: plot_class_counts(
            labels, labels[chosen], targets={"cat": 8}
        ),
        "projection": lambda: plot_selection_projection(
            X, chosen, scores=pool["hardness"], random_state=0
        ),
        "runs": lambda: plot_run_comparison(table),
    }


@pytest.mark.parametrize("kind", ["hardness", "classes", "projection", "runs"])
def test_every_figure_saves_to_png_and_html(pool, kind: str, tmp_path: Path) -> None:
    fig = _every_figure(pool)[kind]()

    png = save_figure(fig, tmp_path / "out" / f"{kind}.png")
    page = save_figure(fig, str(tmp_path / f"{kind}.HTML"))

    assert png == tmp_path / "out" / f"{kind}.png"
    assert png.read_bytes().startswith(PNG_MAGIC)
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<img" in text
    match = re.search(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', text)
    assert match is not None
    assert b"<svg" in base64.b64decode(match.group(1))
    plt.close(fig)


def test_figures_display_as_png_in_notebooks(pool) -> None:
    fig = plot_hardness_distribution(pool["hardness"])
    assert fig._repr_png_().startswith(PNG_MAGIC)


def test_save_figure_works_on_pyplot_figures(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    assert save_figure(fig, tmp_path / "line.htm").exists()
    plt.close(fig)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("figure.pdf", r"ends in '\.pdf'; save_figure writes PNG \('\.png'\)"),
        ("figure.svg", r"ends in '\.svg'"),
        ("figure", "has no extension"),
    ],
)
def test_save_figure_rejects_other_extensions(tmp_path: Path, name, match) -> None:
    fig = plot_hardness_distribution([0.1, 0.2])
    with pytest.raises(InputError, match=match):
        save_figure(fig, tmp_path / name)
    assert not (tmp_path / name).exists()


def test_save_figure_rejects_what_is_not_a_figure(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="fig is a dict"):
        save_figure({"data": []}, tmp_path / "x.png")  # type: ignore[arg-type]
