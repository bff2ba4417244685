"""Figures of hardness, class balance, diversity and run comparisons.

Figures are drawn with matplotlib rather than plotly, although FiftyOne installs
both, because plotly writes PNG files only through kaleido and a headless browser,
which offline machines lack.

Every plot function returns a :class:`matplotlib.figure.Figure` built without
pyplot: no backend is selected, nothing is shown, and nothing stays registered
with pyplot, so the functions run the same on a headless server (rendering with
Agg) as in a notebook, where the returned figure displays as a PNG.
:func:`save_figure` writes a figure to a PNG file or to a self-contained HTML
page.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import math
import os
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D

from .._exceptions import InputError
from .._validation import check_count, check_random_state
from ._tables import (
    RUN_METRICS,
    SelectionLike,
    _as_embeddings,
    _as_indices,
    _as_labels,
    _as_scores,
    _check_lengths,
    _class_order,
    _split_by_class,
    class_counts,
)

__all__ = [
    "HISTOGRAM_BINS",
    "MAX_PROJECTION_POINTS",
    "plot_hardness_distribution",
    "plot_class_counts",
    "plot_selection_projection",
    "plot_run_comparison",
    "save_figure",
]

logger = logging.getLogger(__name__)

# Default number of histogram bins: enough to show the shape of a few hundred to
# a few thousand scores without the comb pattern that more bins give.
HISTOGRAM_BINS = 30

# Largest number of points drawn by plot_selection_projection (and projected).
# Beyond a few thousand, a scatter of this size is a solid blob, and t-SNE's run
# time grows faster than linearly; 5000 points project in seconds with PCA and in
# well under a minute with t-SNE on a laptop.
MAX_PROJECTION_POINTS = 5000

# Stacked histograms get one colour per class; tab10 has 10 distinct colours.
MAX_STACKED_CLASSES = 10

# Box and bar plots show at most this many classes (the largest ones); beyond it
# the tick labels no longer fit a page-wide figure.
MAX_CLASSES_SHOWN = 40

# Resolution of saved PNG files and of figures shown in notebooks. 150 dpi keeps
# text sharp on high-density screens while a 10-inch figure stays under 0.5 MB.
SAVE_DPI = 150
NOTEBOOK_DPI = 100

# Size of one panel in inches, and how many run-comparison panels share a row.
# Bar plots widen (or heighten) by a fixed step per bar group so labels fit.
_PANEL_SIZE = (5.0, 3.6)
_PROJECTION_SIZE = (7.0, 5.0)
_INCHES_PER_CLASS = 0.45
_INCHES_PER_RUN = 0.35
_PANELS_PER_ROW = 3

# Tick labels are tilted beyond this many labels, or when one is longer than this
# many characters.
_TILT_COUNT, _TILT_LENGTH = 6, 8

# Perplexity of t-SNE (scikit-learn's default), lowered for tiny pools since it
# must stay below the number of points.
_TSNE_PERPLEXITY = 30.0

# Marker areas (points^2) of the projection: pool, chosen, chosen scaled by score.
_POOL_MARKER = 6.0
_CHOSEN_MARKER = 28.0
_CHOSEN_MARKER_RANGE = (12.0, 80.0)

_POOL_COLOR = "0.72"
_CHOSEN_COLOR = "tab:orange"
_BAR_WIDTH = 0.4

_METRIC_TITLES = {
    "n_selected": "samples selected",
    "mean_hardness": "mean hardness",
    "median_hardness": "median hardness",
    "n_classes": "classes covered",
    "class_entropy": "class entropy (nats)",
    "imbalance_ratio": "largest / smallest class",
    "coverage_radius": "coverage radius (lower = better spread)",
}

_FORMATS = {".png": "png", ".html": "html", ".htm": "html"}

Bins = int | str | Sequence[float]


class _ReportFigure(Figure):
    """A Figure that IPython and Jupyter display as a PNG, with or without pyplot."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=NOTEBOOK_DPI)
        return buffer.getvalue()


def _new_figure(
    n_rows: int, n_cols: int, *, width: float | None = None, height: float | None = None
) -> tuple[Figure, np.ndarray]:
    figure = _ReportFigure(
        figsize=(width or _PANEL_SIZE[0] * n_cols, height or _PANEL_SIZE[1] * n_rows),
        layout="constrained",
    )
    axes = figure.subplots(n_rows, n_cols, squeeze=False)
    return figure, axes


def _figure_of(ax: Any) -> Figure:
    if not isinstance(ax, Axes):
        raise InputError(
            f"ax is a {type(ax).__name__}; pass a matplotlib Axes or leave ax=None "
            "to get a new figure"
        )
    figure: Figure | SubFigure | None = ax.figure
    while isinstance(figure, SubFigure):
        figure = figure.figure
    if figure is None:
        raise InputError("ax belongs to no figure; pass an Axes made by a Figure")
    return figure


def _class_colors(n_classes: int) -> list[tuple[float, float, float, float]]:
    """Distinct colours for ``n_classes`` classes (qualitative when they suffice)."""
    if n_classes <= 10:
        cmap = colormaps["tab10"]
        return [cmap(i) for i in range(n_classes)]
    if n_classes <= 20:
        cmap = colormaps["tab20"]
        return [cmap(i) for i in range(n_classes)]
    cmap = colormaps["turbo"]
    return [cmap(x) for x in np.linspace(0.0, 1.0, n_classes)]


def _tilt_labels(ax: Axes, labels: Sequence[str]) -> None:
    """Tilt x tick labels when they would collide."""
    if len(labels) > _TILT_COUNT or any(len(label) > _TILT_LENGTH for label in labels):
        for text in ax.get_xticklabels():
            text.set_rotation(40)
            text.set_horizontalalignment("right")


# --- hardness distribution --------------------------------------------------------


def plot_hardness_distribution(
    hardness: npt.ArrayLike,
    labels: npt.ArrayLike | None = None,
    *,
    bins: Bins = HISTOGRAM_BINS,
    ax: Axes | None = None,
) -> Figure:
    """Plot the distribution of hardness scores, overall and per class.

    Parameters
    ----------
    hardness : array-like of shape (n_samples,)
        One score per sample, higher = harder; NaN or None where missing.
        Missing scores are left out and counted in the title.
    labels : array-like of shape (n_samples,), default=None
        Class of each sample. With up to ``MAX_STACKED_CLASSES`` (10) classes
        the histogram is stacked by class; and on a new figure a second panel
        shows one box per class (the ``MAX_CLASSES_SHOWN`` (40) classes with
        the most scores).
    bins : int, str or sequence of float, default=HISTOGRAM_BINS
        Number of bins, a rule known to :func:`numpy.histogram_bin_edges`
        (e.g. ``"auto"``), or bin edges; scores outside given edges are not
        drawn.
    ax : matplotlib.axes.Axes, default=None
        Draw only the histogram into this Axes and return its figure. By
        default a new figure is made.

    Returns
    -------
    matplotlib.figure.Figure
        One panel (histogram), or two when ``labels`` is given and ``ax`` is
        None (histogram, then box plot).

    Raises
    ------
    InputError
        If ``hardness`` is empty, holds non-numbers or infinite values, or
        has no score at all; if ``labels`` has another length or misses
        values; if ``bins`` is not usable.

    Examples
    --------
    >>> import numpy as np
    >>> from seedselect.reports import plot_hardness_distribution, save_figure
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_hardness_distribution(rng.random(200), rng.integers(0, 3, 200))
    >>> len(fig.axes)
    2
    """
    scores = _as_scores(hardness, "hardness")
    groups = None
    if labels is not None:
        classes_of = _as_labels(labels, "labels")
        _check_lengths({"hardness": scores, "labels": classes_of})
        groups = _split_by_class(scores, classes_of)
    present = ~np.isnan(scores)
    if not present.any():
        raise InputError(
            f"hardness has no score to plot: all {scores.size} are missing (NaN or "
            "None); compute the scores first"
        )
    edges = _bin_edges(scores[present], bins)

    box_ax = None
    if ax is None:
        figure, axes = _new_figure(1, 1 if groups is None else 2)
        hist_ax = axes[0, 0]
        box_ax = None if groups is None else axes[0, 1]
    else:
        figure, hist_ax = _figure_of(ax), ax
    _draw_histogram(hist_ax, scores, groups, edges)
    if box_ax is not None and groups is not None:
        _draw_boxes(box_ax, groups)
    return figure


def _bin_edges(values: np.ndarray, bins: Any) -> np.ndarray:
    if isinstance(bins, str):
        try:
            return np.histogram_bin_edges(values, bins=bins)
        except ValueError:
            raise InputError(
                f"bins={bins!r} is not a binning rule of numpy.histogram_bin_edges; "
                "pass an int such as 30, or a rule such as 'auto'"
            ) from None
    if isinstance(bins, Sequence) or isinstance(bins, np.ndarray):
        edges = np.asarray(bins, dtype=np.float64)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise InputError(
                f"bins has {edges.size} edges; pass at least 2 increasing bin edges, "
                "or a number of bins"
            )
        return edges
    return np.histogram_bin_edges(values, bins=check_count(bins, "bins", minimum=1))


def _draw_histogram(
    ax: Axes,
    scores: np.ndarray,
    groups: list[tuple[Hashable, np.ndarray]] | None,
    edges: np.ndarray,
) -> None:
    n_missing = int(np.isnan(scores).sum())
    if groups is not None and len(groups) <= MAX_STACKED_CLASSES:
        ax.hist(
            [values[~np.isnan(values)] for _, values in groups],
            bins=edges.tolist(),
            stacked=True,
            color=_class_colors(len(groups)),
            label=[str(name) for name, _ in groups],
        )
        ax.legend(title="class", fontsize="small")
    else:
        ax.hist(scores[~np.isnan(scores)], bins=edges.tolist(), color=_CHOSEN_COLOR)
    title = f"Hardness of {scores.size - n_missing} samples"
    if n_missing:
        title += f" ({n_missing} missing)"
    ax.set_title(title)
    ax.set_xlabel("hardness (higher = harder)")
    ax.set_ylabel("samples")


def _draw_boxes(ax: Axes, groups: list[tuple[Hashable, np.ndarray]]) -> None:
    # Classes with scores, the largest MAX_CLASSES_SHOWN of them in class order.
    boxes = [(name, values[~np.isnan(values)]) for name, values in groups]
    boxes = [(name, values) for name, values in boxes if values.size]
    n_with_scores = len(boxes)
    if n_with_scores > MAX_CLASSES_SHOWN:
        sizes = np.array([values.size for _, values in boxes])
        keep = np.sort(np.argsort(-sizes, kind="stable")[:MAX_CLASSES_SHOWN])
        boxes = [boxes[i] for i in keep]

    positions = np.arange(1, len(boxes) + 1)
    ax.boxplot([values for _, values in boxes], positions=positions, widths=0.6)
    names = [f"{name}\n(n={values.size})" for name, values in boxes]
    ax.set_xticks(positions, names)
    _tilt_labels(ax, [str(name) for name, _ in boxes])
    title = "Hardness per class"
    if len(boxes) < len(groups):
        title += f" ({len(boxes)} of {len(groups)} classes)"
    ax.set_title(title)
    ax.set_ylabel("hardness")


# --- class counts -----------------------------------------------------------------


def plot_class_counts(
    pool_labels: npt.ArrayLike,
    selected: SelectionLike | npt.ArrayLike,
    *,
    targets: Mapping[Any, int | None] | pd.DataFrame | None = None,
    scale: Literal["share", "count"] = "share",
) -> Figure:
    """Plot each class in the pool next to the same class in the selection.

    Grouped bars, pool in grey and selection in colour, show what balancing did
    to the class mix; each bar is labelled with its count, and quotas are
    marked with a black dash over the selection's bar.

    Parameters
    ----------
    pool_labels : array-like of shape (n_samples,)
        Class of every pool sample.
    selected : array-like of shape (n_selected,) or SelectionResult
        Classes of the chosen samples, or a ``SelectionResult`` whose indices
        point into ``pool_labels`` (its ``class_table`` gives the targets when
        ``targets`` is None). See :func:`class_counts`.
    targets : mapping or pandas.DataFrame, default=None
        Quota per class, as in :func:`class_counts`.
    scale : {"share", "count"}, default="share"
        Bar heights: each count over its total (so a small selection compares
        with a large pool, and a quota over the sum of quotas), or raw counts.

    Returns
    -------
    matplotlib.figure.Figure
        One panel with two bars per class, for the ``MAX_CLASSES_SHOWN`` (40)
        classes largest in the pool.

    Raises
    ------
    InputError
        As :func:`class_counts`, or if ``scale`` is not one of the choices.

    Examples
    --------
    >>> from seedselect.reports import plot_class_counts
    >>> pool = ["a"] * 8 + ["b"] * 2
    >>> fig = plot_class_counts(pool, ["a", "b"], targets={"a": 1, "b": 1})
    >>> len(fig.axes[0].patches)
    4
    """
    if scale not in ("share", "count"):
        raise InputError(f"scale={scale!r} is not 'share' or 'count'; pick one")
    table = class_counts(pool_labels, selected, targets=targets)
    n_pool, n_chosen = int(table["pool"].sum()), int(table["selected"].sum())
    shown = table
    if len(table) > MAX_CLASSES_SHOWN:
        largest = np.argsort(-table["pool"].to_numpy(), kind="stable")
        shown = table.iloc[np.sort(largest[:MAX_CLASSES_SHOWN])]

    width = max(_PANEL_SIZE[0], _INCHES_PER_CLASS * len(shown) + 2.0)
    figure, axes = _new_figure(1, 1, width=width)
    ax: Axes = axes[0, 0]
    x = np.arange(len(shown), dtype=np.float64)
    if scale == "share":
        heights = (shown["pool_share"], shown["selected_share"].fillna(0.0))
    else:
        heights = (shown["pool"], shown["selected"])
    pool_bars = ax.bar(
        x - _BAR_WIDTH / 2,
        heights[0].to_numpy(dtype=np.float64),
        _BAR_WIDTH,
        color=_POOL_COLOR,
        label=f"pool ({n_pool})",
    )
    chosen_bars = ax.bar(
        x + _BAR_WIDTH / 2,
        heights[1].to_numpy(dtype=np.float64),
        _BAR_WIDTH,
        color=_CHOSEN_COLOR,
        label=f"selection ({n_chosen})",
    )
    ax.bar_label(pool_bars, labels=[str(n) for n in shown["pool"]], fontsize=7)
    ax.bar_label(chosen_bars, labels=[str(n) for n in shown["selected"]], fontsize=7)
    if "target" in shown.columns:
        _mark_targets(ax, x + _BAR_WIDTH / 2, shown["target"], table["target"], scale)

    names = [str(name) for name in shown["class"]]
    ax.set_xticks(x, names)
    _tilt_labels(ax, names)
    ax.set_ylabel("share of samples" if scale == "share" else "samples")
    title = "Classes in the pool and in the selection"
    if len(shown) < len(table):
        title += f" ({len(shown)} largest of {len(table)} classes)"
    ax.set_title(title)
    ax.legend(fontsize="small")
    return figure


def _mark_targets(
    ax: Axes, x: np.ndarray, shown: pd.Series, every: pd.Series, scale: str
) -> None:
    has_target = shown.notna().to_numpy()
    if not has_target.any():
        return
    values = shown[has_target].to_numpy(dtype=np.float64)
    if scale == "share":
        total = float(every.sum())
        values = values / total if total else np.full(values.shape, np.nan)
    ax.scatter(
        x[has_target],
        values,
        marker="_",
        s=400 * _BAR_WIDTH,
        linewidths=2.0,
        color="black",
        zorder=3,
        label="target",
    )


# --- selection in a 2-D projection -----------------------------------------------


def plot_selection_projection(
    embeddings: npt.ArrayLike,
    selected: SelectionLike | npt.ArrayLike,
    *,
    labels: npt.ArrayLike | None = None,
    scores: npt.ArrayLike | None = None,
    method: Literal["pca", "tsne"] = "pca",
    max_points: int = MAX_PROJECTION_POINTS,
    random_state: int | np.random.Generator | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Plot the selection over the pool in a 2-D projection of the embeddings.

    The pool is drawn in grey and the chosen samples on top, so that the spread
    of the selection (the effect of diversity) shows at a glance.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
        Embeddings of every pool sample (finite values).
    selected : array-like or SelectionResult
        The chosen samples: integer positions into the pool, a boolean mask of
        shape (n_samples,), or a ``SelectionResult``. May be empty.
    labels : array-like of shape (n_samples,), default=None
        Class of every pool sample; chosen samples are coloured by class.
    scores : array-like of shape (n_samples,), default=None
        Hardness of every pool sample (NaN where missing). Without ``labels``
        the chosen samples are coloured by score, with a colour bar; with
        ``labels`` their marker size grows with the score.
    method : {"pca", "tsne"}, default="pca"
        Projection: :class:`sklearn.decomposition.PCA`, or
        :class:`sklearn.manifold.TSNE` (slower; shows local neighbourhoods).
    max_points : int, default=MAX_PROJECTION_POINTS
        Most points drawn. Chosen samples come first; the rest of the budget
        goes to unselected samples drawn at random (if the selection alone
        exceeds it, a random part of the selection is drawn). The projection
        is fit on the drawn points only.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the subsampling and the projection.
    ax : matplotlib.axes.Axes, default=None
        Draw into this Axes and return its figure. By default a new figure is
        made.

    Returns
    -------
    matplotlib.figure.Figure
        One panel, plus a colour bar when coloured by score.

    Raises
    ------
    InputError
        If ``embeddings`` is not a finite 2-D array, if ``selected`` holds
        positions outside the pool or repeats one, if ``labels`` or ``scores``
        have another length or bad values, or if ``method`` or ``max_points``
        are not allowed.

    Examples
    --------
    >>> import numpy as np
    >>> from seedselect.reports import plot_selection_projection
    >>> X = np.random.default_rng(0).normal(size=(300, 8))
    >>> fig = plot_selection_projection(X, [0, 10, 20], random_state=0)
    >>> len(fig.axes)
    1
    """
    X = _as_embeddings(embeddings, "embeddings")
    name = "selected.indices" if isinstance(selected, SelectionLike) else "selected"
    positions = selected.indices if isinstance(selected, SelectionLike) else selected
    chosen = _as_indices(positions, name, len(X))
    classes_of = None if labels is None else _as_labels(labels, "labels")
    hardness = None if scores is None else _as_scores(scores, "scores")
    _check_lengths({"embeddings": X, "labels": classes_of, "scores": hardness})
    if method not in ("pca", "tsne"):
        raise InputError(f"method={method!r} is not 'pca' or 'tsne'; pick one")
    max_points = check_count(max_points, "max_points", minimum=1)
    rng = check_random_state(random_state)

    # Points to draw: the selection first, then unselected samples at random.
    drawn_chosen, drawn_rest = _points_to_draw(len(X), chosen, max_points, rng)
    drawn = np.concatenate([drawn_rest, drawn_chosen])
    seed = int(rng.integers(np.iinfo(np.int32).max))
    coords, axis_names = _project(X[drawn], method, seed)
    rest_xy, chosen_xy = coords[: drawn_rest.size], coords[drawn_rest.size :]

    if ax is None:
        figure, axes = _new_figure(
            1, 1, width=_PROJECTION_SIZE[0], height=_PROJECTION_SIZE[1]
        )
        ax = axes[0, 0]
    else:
        figure = _figure_of(ax)
    n_rest = len(X) - chosen.size
    ax.scatter(
        rest_xy[:, 0],
        rest_xy[:, 1],
        s=_POOL_MARKER,
        c=_POOL_COLOR,
        linewidths=0,
        rasterized=True,
        label=f"pool ({n_rest})",
    )
    _draw_chosen(figure, ax, chosen_xy, drawn_chosen, classes_of, hardness)

    title = f"{chosen.size} selected of {len(X)} samples"
    if drawn.size < len(X):
        title += f"\n(drawing {drawn_rest.size} of {n_rest} unselected"
        title += f", {drawn_chosen.size} of {chosen.size} selected)"
    ax.set_title(title)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    return figure


def _points_to_draw(
    n_samples: int, chosen: np.ndarray, max_points: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split the drawing budget between chosen and unselected samples."""
    rest = np.setdiff1d(np.arange(n_samples), chosen, assume_unique=True)
    if chosen.size >= max_points:
        drawn_chosen = np.sort(rng.choice(chosen, size=max_points, replace=False))
        return drawn_chosen, np.zeros(0, dtype=np.int64)
    budget = max_points - chosen.size
    if rest.size > budget:
        rest = np.sort(rng.choice(rest, size=budget, replace=False))
        logger.debug("drawing %d of the unselected samples", budget)
    return chosen, rest


def _project(X: np.ndarray, method: str, seed: int) -> tuple[np.ndarray, list[str]]:
    """Project the rows of ``X`` to two dimensions (zero-padded when fewer exist)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    n_samples, n_features = X.shape
    n_components = min(2, n_samples, n_features)
    coords = np.zeros((n_samples, 2))
    if method == "tsne" and n_samples > 2:  # t-SNE needs 3 points; fewer use PCA
        perplexity = min(_TSNE_PERPLEXITY, (n_samples - 1) / 3.0)
        tsne = TSNE(
            n_components=2, perplexity=perplexity, init="pca", random_state=seed
        )
        return tsne.fit_transform(X), ["t-SNE 1", "t-SNE 2"]

    # Constant embeddings leave PCA dividing 0 by 0 for its explained variance.
    with np.errstate(divide="ignore", invalid="ignore"):
        pca = PCA(n_components=n_components, random_state=seed)
        coords[:, :n_components] = pca.fit_transform(X)
    ratios = np.nan_to_num(pca.explained_variance_ratio_)
    names = [f"PC {i + 1} ({100 * r:.0f}% of variance)" for i, r in enumerate(ratios)]
    names += ["PC 2"] * (2 - len(names))
    return coords, names


def _draw_chosen(
    figure: Figure,
    ax: Axes,
    xy: np.ndarray,
    drawn: np.ndarray,
    labels: np.ndarray | None,
    scores: np.ndarray | None,
) -> None:
    """Draw the chosen samples coloured by class, by score, or in one colour."""
    chosen_scores = None if scores is None else scores[drawn]
    style: dict[str, Any] = {"edgecolors": "black", "linewidths": 0.6, "zorder": 3}
    if labels is None and chosen_scores is not None:
        cmap = colormaps["viridis"].with_extremes(bad="0.3")
        points = ax.scatter(
            xy[:, 0], xy[:, 1], c=chosen_scores, cmap=cmap, s=_CHOSEN_MARKER, **style
        )
        figure.colorbar(points, ax=ax, label="hardness")
        ax.legend(
            handles=[_legend_dot("selected (colour = hardness)", "0.5")],
            fontsize="small",
        )
        return
    if labels is None:
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=_CHOSEN_MARKER,
            c=_CHOSEN_COLOR,
            label=f"selected ({drawn.size})",
            **style,
        )
        ax.legend(fontsize="small")
        return

    # Coloured by class; the marker size grows with the score when there is one.
    chosen_labels = labels[drawn]
    classes = _class_order(pd.unique(chosen_labels).tolist())
    palette = np.array(_class_colors(len(classes))).reshape(-1, 4)
    codes = np.asarray(pd.Index(classes, dtype=object).get_indexer(chosen_labels))
    sizes: Any = _CHOSEN_MARKER
    if chosen_scores is not None:
        sizes = _marker_sizes(chosen_scores)
    ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=palette[codes], **style)
    handles = [_legend_dot("pool", _POOL_COLOR)]
    handles += [
        _legend_dot(str(name), palette[i])
        for i, name in enumerate(classes[:MAX_STACKED_CLASSES])
    ]
    title = "selected, by class"
    if len(classes) > MAX_STACKED_CLASSES:
        title += f" ({MAX_STACKED_CLASSES} of {len(classes)} shown)"
    if chosen_scores is not None:
        title += "\n(larger = harder)"
    ax.legend(handles=handles, title=title, fontsize="small")


def _legend_dot(label: str, color: Any) -> Line2D:
    return Line2D(
        [],
        [],
        marker="o",
        linestyle="",
        color=color,
        markeredgecolor="black",
        label=label,
    )


def _marker_sizes(values: np.ndarray) -> np.ndarray:
    """Marker areas growing linearly with ``values``; NaN gets the smallest."""
    low, high = _CHOSEN_MARKER_RANGE
    present = ~np.isnan(values)
    if not present.any():
        return np.full(values.shape, low)
    lo, hi = float(values[present].min()), float(values[present].max())
    scaled = np.full(values.shape, 0.5) if hi == lo else (values - lo) / (hi - lo)
    return np.where(present, low + (high - low) * scaled, low)


# --- run comparison ---------------------------------------------------------------


def plot_run_comparison(
    table: pd.DataFrame, *, metrics: Sequence[str] | None = None
) -> Figure:
    """Plot a table from :func:`compare_runs`, one bar panel per metric.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per run, as returned by :func:`compare_runs`: run names in a
        ``run`` column (or, without one, in the index) and numeric metric
        columns.
    metrics : sequence of str, default=None
        Columns to draw, in order. By default, those of ``RUN_METRICS`` that
        the table holds with at least one value.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per metric, up to three per row, with one horizontal bar per
        run labelled with its value ("n/a" where missing).

    Raises
    ------
    InputError
        If ``table`` is not a non-empty DataFrame, or names no metric to draw,
        or if a requested metric is absent or not numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> from seedselect.reports import plot_run_comparison
    >>> table = pd.DataFrame({"run": ["a", "b"], "n_selected": [10, 10],
    ...                       "mean_hardness": [0.8, 0.5]})
    >>> len(plot_run_comparison(table).axes)
    2
    """
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise InputError(
            "table must be a non-empty DataFrame, one row per run; pass the result "
            "of compare_runs"
        )
    names = table["run"] if "run" in table.columns else table.index.to_series()
    run_names = [str(name) for name in names]
    columns = _metric_columns(table, metrics)

    n_cols = min(len(columns), _PANELS_PER_ROW)
    n_rows = math.ceil(len(columns) / n_cols)
    panel_height = max(_PANEL_SIZE[1] * 0.75, _INCHES_PER_RUN * len(run_names) + 1.0)
    figure, axes = _new_figure(n_rows, n_cols, height=panel_height * n_rows)
    y = np.arange(len(run_names))
    colors = _class_colors(len(run_names))
    for ax, column in zip(axes.flat, columns, strict=False):
        values = table[column].to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(values)
        bars = ax.barh(y, np.where(finite, values, 0.0), color=colors)
        texts = [
            f"{v:.3g}" if ok else "n/a" for v, ok in zip(values, finite, strict=True)
        ]
        ax.bar_label(bars, labels=texts, padding=2, fontsize="small")
        ax.set_yticks(y, run_names)
        ax.invert_yaxis()
        ax.margins(x=0.2)
        ax.set_title(_METRIC_TITLES.get(column, column))
    for extra in axes.flat[len(columns) :]:
        extra.remove()
    return figure


def _metric_columns(table: pd.DataFrame, metrics: Sequence[str] | None) -> list[str]:
    if metrics is None:
        columns = [
            m for m in RUN_METRICS if m in table.columns and table[m].notna().any()
        ]
        if not columns:
            raise InputError(
                f"table has none of the metric columns {list(RUN_METRICS)} with a "
                f"value (its columns: {list(table.columns)}); pass the result of "
                "compare_runs, or name columns with metrics="
            )
        return columns
    if isinstance(metrics, str) or len(metrics) == 0:
        raise InputError(
            f"metrics={metrics!r} must be a non-empty list of column names, e.g. "
            "['mean_hardness', 'coverage_radius']"
        )
    for column in metrics:
        if column not in table.columns:
            raise InputError(
                f"metrics names {column!r}, which table lacks (its columns: "
                f"{list(table.columns)}); pick from those"
            )
        if not pd.api.types.is_numeric_dtype(
            table[column]
        ) or pd.api.types.is_bool_dtype(table[column]):
            raise InputError(
                f"metrics names {column!r}, whose values are {table[column].dtype}, "
                "not numbers; pick a numeric column"
            )
    return list(metrics)


# --- saving -------------------------------------------------------------------------


def save_figure(
    fig: Figure, path: str | os.PathLike[str], *, dpi: float = SAVE_DPI
) -> Path:
    """Write a figure to a PNG file or a self-contained HTML page.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, e.g. as returned by a ``plot_*`` function.
    path : str or os.PathLike
        Where to write. The extension picks the format: ``.png`` for a PNG
        image; ``.html`` or ``.htm`` for a page that embeds the figure as a
        base64 SVG image, so it opens offline with nothing beside it. Missing
        parent directories are created; an existing file is replaced.
    dpi : float, default=SAVE_DPI
        Resolution of PNG files (and of raster parts, such as dense scatter
        plots, inside the SVG of an HTML page).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        If ``fig`` is not a matplotlib Figure, or if the extension of ``path``
        is not ``.png``, ``.html`` or ``.htm``.

    Examples
    --------
    >>> from seedselect.reports import plot_class_counts, save_figure
    >>> fig = plot_class_counts(["a", "a", "b"], ["a", "b"])
    >>> save_figure(fig, "classes.html")  # doctest: +SKIP
    PosixPath('classes.html')
    """
    if not isinstance(fig, Figure):
        raise InputError(
            f"fig is a {type(fig).__name__}; pass a matplotlib Figure, such as the "
            "one returned by a seedselect.reports plot function"
        )
    target = Path(path)
    suffix = target.suffix.lower()
    kind = _FORMATS.get(suffix)
    if kind is None:
        got = f"ends in {suffix!r}" if suffix else "has no extension"
        raise InputError(
            f"path={str(path)!r} {got}; save_figure writes PNG ('.png') or a "
            "self-contained HTML page ('.html' or '.htm'); change the extension"
        )

    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "png":
        fig.savefig(target, format="png", dpi=dpi)
    else:
        target.write_text(_html_page(fig, dpi), encoding="utf-8")
    logger.info("saved figure to %s", target)
    return target


def _html_page(fig: Figure, dpi: float) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", dpi=dpi)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    title = html.escape(_figure_title(fig), quote=True)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        '<head><meta charset="utf-8"><title>' + title + "</title></head>\n"
        '<body style="margin:0">\n'
        '<img style="max-width:100%;height:auto" alt="' + title + '" '
        'src="data:image/svg+xml;base64,' + data + '">\n'
        "</body>\n</html>\n"
    )


def _figure_title(fig: Figure) -> str:
    for ax in fig.axes:
        if ax.get_title():
            return ax.get_title().replace("\n", " ")
    return "seedselect figure"
