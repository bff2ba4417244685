"""Reports on FiftyOne datasets and on the selection runs recorded on them.

These wrappers read what the table and plot functions need from a dataset (a
hardness field, a label field, embeddings) or from a selection run that
:func:`~seedselect.select_seeds` or :func:`~seedselect.expand_seeds` recorded,
and return the same DataFrames and figures. They use FiftyOne only through the
collection passed in and import the FiftyOne layer on first call, so
``import seedselect.reports`` stays free of FiftyOne.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .._exceptions import FieldError, InputError
from ._plots import (
    plot_class_counts,
    plot_hardness_distribution,
    plot_run_comparison,
    plot_selection_projection,
)
from ._tables import class_counts, compare_runs, hardness_summary

__all__ = [
    "SelectionReport",
    "compare_selection_runs",
    "dataset_hardness_summary",
    "plot_dataset_hardness",
    "plot_selection_runs",
    "selection_report",
]

logger = logging.getLogger(__name__)

# Class name given to samples without a class when a report groups by class.
_NO_CLASS = "(none)"


# --- reading a collection -----------------------------------------------------------


def _check_collection(samples: Any) -> None:
    if not hasattr(samples, "_root_dataset") or not hasattr(samples, "values"):
        raise InputError(
            f"samples is a {type(samples).__name__}; pass a FiftyOne dataset or view"
        )


def _value_path(samples: Any, field_name: str, arg: str) -> str:
    """Path of the readable value of ``field_name`` (``.label`` for labels)."""
    if not isinstance(field_name, str) or not field_name:
        raise InputError(f"{arg}={field_name!r} must be a field name")
    declared = samples.get_field(field_name)
    if declared is None:
        fields = sorted(samples.get_field_schema())
        raise FieldError(
            f"{arg}={field_name!r} is not a field of dataset "
            f"'{samples._root_dataset.name}' (its fields: {fields}); check the name"
        )
    doc_type = getattr(declared, "document_type", None)
    if doc_type is not None and "label" in getattr(doc_type, "_fields", {}):
        return f"{field_name}.label"
    return field_name


def _read_scores(samples: Any, hardness_field: str) -> np.ndarray:
    path = _value_path(samples, hardness_field, "hardness_field")
    values = samples.values(path)
    try:
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    except (TypeError, ValueError):
        raise FieldError(
            f"hardness_field={hardness_field!r} holds values that are not numbers; "
            "pass the float field that seedselect.compute_hardness wrote"
        ) from None


def _read_labels(samples: Any, label_field: str) -> np.ndarray:
    path = _value_path(samples, label_field, "label_field")
    return np.array(
        [_NO_CLASS if v is None else str(v) for v in samples.values(path)],
        dtype=object,
    )


def _read_embeddings(samples: Any, embeddings_field: str) -> np.ndarray:
    path = _value_path(samples, embeddings_field, "embeddings_field")
    values = samples.values(path)
    ids = samples.values("id")
    missing = [i for i, v in zip(ids, values, strict=True) if v is None]
    if missing:
        raise FieldError(
            f"embeddings_field={embeddings_field!r} is empty on {len(missing)} "
            f"samples, e.g. {missing[0]}; compute embeddings for every sample, or "
            "plot a view without those samples"
        )
    try:
        return np.vstack([np.asarray(v, dtype=float) for v in values])
    except ValueError:
        raise FieldError(
            f"embeddings_field={embeddings_field!r} holds vectors of different "
            "lengths; store one vector length per dataset"
        ) from None


# --- a dataset's hardness ---------------------------------------------------------


def dataset_hardness_summary(
    samples: Any, hardness_field: str = "hardness", label_field: str | None = None
) -> pd.DataFrame:
    """:func:`hardness_summary` of a dataset or view's hardness field.

    Parameters
    ----------
    samples : fiftyone.core.collections.SampleCollection
    hardness_field : str, default="hardness"
        The float field written by :func:`seedselect.compute_hardness`.
    label_field : str, optional
        Classification or string field to group by (``.label`` is read from a
        label field); samples without a class form the class ``"(none)"``.

    Returns
    -------
    pandas.DataFrame
        As :func:`hardness_summary`: an overall row, then one per class.
    """
    _check_collection(samples)
    scores = _read_scores(samples, hardness_field)
    labels = None if label_field is None else _read_labels(samples, label_field)
    return hardness_summary(scores, labels)


def plot_dataset_hardness(
    samples: Any,
    hardness_field: str = "hardness",
    label_field: str | None = None,
    **kwargs: Any,
) -> Figure:
    """:func:`plot_hardness_distribution` of a dataset or view's hardness field.

    Parameters
    ----------
    samples : fiftyone.core.collections.SampleCollection
    hardness_field : str, default="hardness"
    label_field : str, optional
        Field to stack and box the scores by.
    **kwargs
        Passed to :func:`plot_hardness_distribution` (``bins``, ``ax``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_collection(samples)
    scores = _read_scores(samples, hardness_field)
    labels = None if label_field is None else _read_labels(samples, label_field)
    return plot_hardness_distribution(scores, labels, **kwargs)


# --- one selection run --------------------------------------------------------------


@dataclass
class SelectionReport:
    """Tables and figures of one recorded selection run.

    Attributes
    ----------
    run_key : str
    summary : pandas.DataFrame
        Per class: pool, available, quota, chosen and hardness, as
        :func:`seedselect.selection_summary` returns it.
    manifest : pandas.DataFrame
        The chosen samples in order, as :func:`seedselect.selection_manifest`.
    class_counts : pandas.DataFrame
        Pool against selection per class, with quotas when the run balanced
        classes (see :func:`class_counts`); empty when the run had no classes.
    figures : dict of str to Figure
        ``"class_counts"`` (when the run had classes), ``"hardness"`` (when it
        had hardness) and ``"projection"`` (when ``embeddings_field`` is given
        or the run used one).
    """

    run_key: str
    summary: pd.DataFrame
    manifest: pd.DataFrame
    class_counts: pd.DataFrame
    figures: dict[str, Figure] = field(default_factory=dict)


def selection_report(
    samples: Any,
    run_key: str = "seeds",
    *,
    embeddings_field: str | None = None,
    random_state: int | None = 0,
) -> SelectionReport:
    """Tables and figures of a selection run recorded on a dataset.

    The class counts, quotas and hardness come from the run's own record, so
    they describe the selection as it was made. The projection reads the
    embeddings of the view the run was made on.

    Parameters
    ----------
    samples : fiftyone.core.collections.SampleCollection
        The dataset the run was made on, or any view of it.
    run_key : str, default="seeds"
        Key of a :func:`~seedselect.select_seeds` or
        :func:`~seedselect.expand_seeds` run.
    embeddings_field : str, optional
        Embeddings to project; default the run's own ``embeddings_field``. No
        projection is drawn when neither exists.
    random_state : int or None, default=0
        Seeds the projection's subsampling.

    Returns
    -------
    SelectionReport

    Raises
    ------
    RunError
        If ``run_key`` names no finished selection run.

    Examples
    --------
    >>> import seedselect as ss
    >>> ds = ss.load_digits_dataset("report-demo", n_samples=200,
    ...                             persistent=False)  # doctest: +SKIP
    >>> _ = ss.compute_hardness(ds, "predictions")  # doctest: +SKIP
    >>> _ = ss.select_seeds(ds, 20, label_field="predictions",
    ...                     balance="equal")  # doctest: +SKIP
    >>> report = selection_report(ds, "seeds")  # doctest: +SKIP
    >>> sorted(report.figures)  # doctest: +SKIP
    ['class_counts', 'hardness']
    """
    from ..fo import selection_manifest, selection_summary

    _check_collection(samples)
    dataset = samples._root_dataset
    summary = selection_summary(dataset, run_key)
    manifest = selection_manifest(dataset, run_key)
    config = dataset.get_run_info(run_key).config

    figures: dict[str, Figure] = {}
    counts = pd.DataFrame()
    if summary["class"].notna().any():
        pool, chosen, targets = _class_inputs(summary)
        counts = class_counts(pool, chosen, targets=targets)
        figures["class_counts"] = plot_class_counts(pool, chosen, targets=targets)
        figures["class_counts"].axes[0].set_title(
            f"Classes in the pool and in run '{run_key}'"
        )
    hardness_field = getattr(config, "hardness_field", None)
    if hardness_field and manifest["hardness"].notna().any():
        view = dataset.load_run_view(run_key)
        if view.get_field(hardness_field) is not None:
            figures["hardness"] = plot_dataset_hardness(view, hardness_field)
    emb_field = embeddings_field or getattr(config, "embeddings_field", None)
    if emb_field:
        figures["projection"] = _projection(
            dataset, run_key, manifest, emb_field, random_state
        )
    return SelectionReport(run_key, summary, manifest, counts, figures)


def _class_inputs(
    summary: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, dict[str, int | None] | None]:
    """Pool and chosen labels, and quotas, rebuilt from a selection summary."""
    names = [_NO_CLASS if pd.isna(c) else str(c) for c in summary["class"]]
    pool_counts = [0 if pd.isna(n) else int(n) for n in summary["pool"]]
    chosen_counts = [int(n) for n in summary["chosen"]]
    pool = np.repeat(np.array(names, dtype=object), pool_counts)
    chosen = np.repeat(np.array(names, dtype=object), chosen_counts)
    targets = None
    if summary["quota"].notna().any():
        targets = {
            name: None if pd.isna(q) else int(q)
            for name, q in zip(names, summary["quota"], strict=True)
        }
    return pool, chosen, targets


def _projection(
    dataset: Any,
    run_key: str,
    manifest: pd.DataFrame,
    embeddings_field: str,
    random_state: int | None,
) -> Figure:
    view = dataset.load_run_view(run_key)
    X = _read_embeddings(view, embeddings_field)
    ids = view.values("id")
    position = {sample_id: k for k, sample_id in enumerate(ids)}
    chosen = [position[i] for i in manifest["sample_id"] if i in position]
    figure = plot_selection_projection(
        X, np.array(chosen, dtype=np.int64), random_state=random_state
    )
    figure.axes[0].set_title(f"Run '{run_key}' in 2-D ({embeddings_field})")
    return figure


# --- several runs -------------------------------------------------------------------


def compare_selection_runs(
    samples: Any,
    run_keys: Sequence[str],
    *,
    hardness_field: str | None = "hardness",
    label_field: str | None = None,
    embeddings_field: str | None = None,
) -> pd.DataFrame:
    """:func:`compare_runs` of selection runs recorded on one dataset, by key.

    Every run is located in ``samples`` by its chosen sample ids, and the
    hardness, classes and embeddings of ``samples`` are read at those samples.

    Parameters
    ----------
    samples : fiftyone.core.collections.SampleCollection
        The pool the runs chose from (a dataset or view holding every chosen
        sample).
    run_keys : sequence of str
        Keys of selection runs on the dataset of ``samples``.
    hardness_field : str or None, default="hardness"
        Field of the hardness compared; None to leave it out.
    label_field : str, optional
        Field of the classes whose balance is compared.
    embeddings_field : str, optional
        Field of the embeddings; gives the coverage radius of each run.

    Returns
    -------
    pandas.DataFrame
        One row per run, as :func:`compare_runs`.

    Raises
    ------
    InputError
        If ``run_keys`` is empty, or a run chose samples that ``samples`` lacks.
    RunError
        If a key names no finished selection run.
    """
    from ..fo import selection_manifest

    _check_collection(samples)
    if isinstance(run_keys, str) or len(run_keys) == 0:
        raise InputError(
            f"run_keys={run_keys!r} must be a non-empty list of run keys, e.g. "
            "['seeds', 'expansion']"
        )
    ids = samples.values("id")
    position = {sample_id: k for k, sample_id in enumerate(ids)}
    runs: dict[str, np.ndarray] = {}
    for key in run_keys:
        chosen = list(selection_manifest(samples._root_dataset, key)["sample_id"])
        absent = [i for i in chosen if i not in position]
        if absent:
            raise InputError(
                f"run {key!r} chose {len(absent)} samples that samples lacks, e.g. "
                f"{absent[0]}; pass the dataset (or view) the runs chose from"
            )
        runs[key] = np.array([position[i] for i in chosen], dtype=np.int64)
    return compare_runs(
        runs,
        hardness=None
        if hardness_field is None
        else _read_scores(samples, hardness_field),
        labels=None if label_field is None else _read_labels(samples, label_field),
        embeddings=(
            None
            if embeddings_field is None
            else _read_embeddings(samples, embeddings_field)
        ),
    )


def plot_selection_runs(
    samples: Any,
    run_keys: Sequence[str],
    *,
    hardness_field: str | None = "hardness",
    label_field: str | None = None,
    embeddings_field: str | None = None,
) -> Figure:
    """:func:`plot_run_comparison` of :func:`compare_selection_runs`."""
    table = compare_selection_runs(
        samples,
        run_keys,
        hardness_field=hardness_field,
        label_field=label_field,
        embeddings_field=embeddings_field,
    )
    return plot_run_comparison(table)
