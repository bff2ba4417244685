"""Tables of hardness scores, class counts and run comparisons.

Everything here works on NumPy arrays and pandas DataFrames; nothing imports
FiftyOne. The input checks at the top of the module are shared with the plots.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._exceptions import InputError
from .._validation import check_count, describe_example
from ..selection import coverage_radius

__all__ = [
    "ALL_LABEL",
    "RUN_METRICS",
    "hardness_summary",
    "class_counts",
    "compare_runs",
]

logger = logging.getLogger(__name__)

# Class name of the row that covers every class at once (the overall row of
# hardness_summary, the total row of class_counts). The parentheses keep it apart
# from class names read from a dataset's label field.
ALL_LABEL = "(all)"

# Metric columns of compare_runs, in the order plot_run_comparison draws them.
RUN_METRICS = (
    "n_selected",
    "mean_hardness",
    "median_hardness",
    "n_classes",
    "class_entropy",
    "imbalance_ratio",
    "coverage_radius",
)

# Quartiles reported by hardness_summary, with their column names.
_QUANTILES = (0.25, 0.5, 0.75)
_QUANTILE_COLUMNS = ("q25", "median", "q75")
_SUMMARY_COLUMNS: tuple[str, ...] = ("class", "count", "missing", "mean", "std")
_SUMMARY_COLUMNS += ("min", *_QUANTILE_COLUMNS, "max")

Metric: TypeAlias = Literal["euclidean", "cosine"]
_METRICS = ("euclidean", "cosine")


@runtime_checkable
class SelectionLike(Protocol):
    """What the reports read from a ``seedselect.selection.SelectionResult``."""

    @property
    def indices(self) -> Any: ...

    def to_frame(self) -> pd.DataFrame: ...


RunLike: TypeAlias = SelectionLike | pd.DataFrame | npt.ArrayLike


class _Positions:
    """Names positions for :func:`describe_example` ("e.g. position 7")."""

    def __getitem__(self, position: int) -> str:
        return f"position {position}"


_POSITIONS = _Positions()


# --- input checks shared by the tables and the plots ---------------------------


def _as_scores(values: Any, name: str, *, allow_empty: bool = False) -> np.ndarray:
    """Return ``values`` as a 1-D float64 array; None and NaN mean missing."""
    if isinstance(values, (str, bytes)):
        raise InputError(
            f"{name}={values!r} is a string; pass one float per sample, e.g. a list "
            "or an array of scores"
        )
    if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        values = pd.Series(values).to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        scores = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        bad = _first_non_number(values)
        raise InputError(
            f"{name} holds a value that is not a number ({bad!r}); pass one float "
            "per sample, with NaN or None where a score is missing"
        ) from None
    if scores.ndim != 1:
        raise InputError(
            f"{name} has shape {scores.shape}; pass one score per sample, an array "
            "of shape (n_samples,)"
        )
    if scores.size == 0 and not allow_empty:
        raise InputError(f"{name} is empty; pass at least one score")
    infinite = np.isinf(scores)
    if infinite.any():
        raise InputError(
            f"{name} is infinite for {describe_example(_POSITIONS, infinite)}; "
            "replace infinite scores with finite ones, or with NaN to count them as "
            "missing"
        )
    return scores


def _first_non_number(values: Any) -> Any:
    try:
        items = np.asarray(values, dtype=object).ravel().tolist()
    except (TypeError, ValueError):
        return values
    for item in items:
        try:
            float(item)
        except (TypeError, ValueError):
            return item
    return values


def _as_labels(values: Any, name: str, *, allow_empty: bool = False) -> np.ndarray:
    """Return ``values`` as a 1-D object array of hashable, present class labels."""
    if isinstance(values, (str, bytes)):
        raise InputError(
            f"{name}={values!r} is a single string; pass one label per sample, e.g. "
            "a list or an array of class names"
        )
    if isinstance(values, (pd.Series, pd.Index)):
        labels = values.to_numpy(dtype=object)
    else:
        labels = np.asarray(values, dtype=object)
    if labels.ndim != 1:
        raise InputError(
            f"{name} has shape {labels.shape}; pass one label per sample, an array "
            "of shape (n_samples,)"
        )
    if labels.size == 0 and not allow_empty:
        raise InputError(f"{name} is empty; pass at least one label")
    missing = pd.Series(labels, dtype=object).isna().to_numpy(dtype=bool)
    if missing.any():
        raise InputError(
            f"{name} is missing for {describe_example(_POSITIONS, missing)}; give "
            "every sample a class (e.g. 'unlabeled') or leave those samples out"
        )
    try:
        pd.unique(labels)
    except TypeError:
        bad = next(item for item in labels.tolist() if not _hashable(item))
        raise InputError(
            f"{name} holds a {type(bad).__name__} ({bad!r}), which cannot name a "
            "class; pass one str or int label per sample"
        ) from None
    return labels


def _hashable(item: Any) -> bool:
    try:
        hash(item)
    except TypeError:
        return False
    return True


def _as_embeddings(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a finite 2-D float64 array with at least one row."""
    try:
        X = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"{name} holds values that are not numbers; pass a float array of shape "
            "(n_samples, n_features)"
        ) from None
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise InputError(
            f"{name} has shape {X.shape}; pass a non-empty float array of shape "
            "(n_samples, n_features)"
        )
    bad_rows = np.asarray(~np.isfinite(X).all(axis=1), dtype=bool)
    if bad_rows.any():
        raise InputError(
            f"{name} holds NaN or infinite values in "
            f"{describe_example(_POSITIONS, bad_rows)}; fill or drop those rows"
        )
    return X


def _check_lengths(arrays: Mapping[str, np.ndarray | None]) -> int | None:
    """Check that the given arrays share a length and return it (None if none)."""
    present = {name: len(array) for name, array in arrays.items() if array is not None}
    if not present:
        return None
    (first, n_first), *rest = present.items()
    for name, n in rest:
        if n != n_first:
            raise InputError(
                f"{name} has {n} entries but {first} has {n_first}; pass one entry "
                "per sample of the same pool, in the same order"
            )
    return n_first


def _as_indices(values: Any, name: str, n_pool: int | None) -> np.ndarray:
    """Return positions into the pool from integer positions or a boolean mask."""
    positions = np.asarray(values)
    if positions.ndim != 1:
        raise InputError(
            f"{name} has shape {positions.shape}; pass a 1-D array of pool positions "
            "or a boolean mask over the pool"
        )
    if positions.dtype == bool:
        if n_pool is not None and positions.size != n_pool:
            raise InputError(
                f"{name} is a boolean mask of length {positions.size} but the pool "
                f"has {n_pool} samples; pass one flag per pool sample"
            )
        return np.flatnonzero(positions)
    if positions.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.issubdtype(positions.dtype, np.integer):
        raise InputError(
            f"{name} holds {positions.dtype} values (e.g. {positions[0]!r}); pass "
            "integer pool positions or a boolean mask over the pool"
        )
    positions = positions.astype(np.int64)
    upper = np.iinfo(np.int64).max if n_pool is None else n_pool
    outside = (positions < 0) | (positions >= upper)
    if outside.any():
        pool = "" if n_pool is None else f" of a pool of {n_pool} samples"
        raise InputError(
            f"{name} holds {int(outside.sum())} positions outside the pool, e.g. "
            f"{int(positions[outside][0])}; pass positions from 0 to n_samples - 1"
            f"{pool}"
        )
    unique, counts = np.unique(positions, return_counts=True)
    if unique.size != positions.size:
        raise InputError(
            f"{name} repeats {int((counts > 1).sum())} positions, e.g. "
            f"{int(unique[counts > 1][0])}; each sample can be chosen only once"
        )
    return positions


def _class_order(*groups: Iterable[Hashable]) -> list[Hashable]:
    """Distinct classes of ``groups``, sorted when they compare, else as first seen."""
    classes = list(dict.fromkeys(itertools.chain(*groups)))
    try:
        return sorted(classes)  # type: ignore[type-var]
    except TypeError:
        return classes


def _class_codes(labels: np.ndarray, classes: list[Hashable]) -> np.ndarray:
    """Position of each label in ``classes`` (every label must be there)."""
    return np.asarray(pd.Index(classes, dtype=object).get_indexer(pd.Index(labels)))


def _split_by_class(
    values: np.ndarray, labels: np.ndarray
) -> list[tuple[Hashable, np.ndarray]]:
    """Group ``values`` by ``labels`` into (class, values) pairs in class order."""
    classes = _class_order(pd.unique(labels).tolist())
    codes = _class_codes(labels, classes)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(classes))
    parts = np.split(values[order], np.cumsum(counts)[:-1])
    return list(zip(classes, parts, strict=True))


def _ratio(numerator: np.ndarray, denominator: np.ndarray | float) -> np.ndarray:
    """``numerator / denominator`` as floats, NaN where the denominator is 0."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.broadcast_to(np.asarray(denominator, dtype=np.float64), num.shape)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


# --- hardness_summary ----------------------------------------------------------


def hardness_summary(
    hardness: npt.ArrayLike,
    labels: npt.ArrayLike | None = None,
    *,
    overall: bool = True,
) -> pd.DataFrame:
    """Describe the hardness scores of a pool, overall and per class.

    Parameters
    ----------
    hardness : array-like of shape (n_samples,)
        One score per sample, higher = harder. NaN or None marks a sample without
        a score: it is counted in the ``missing`` column and left out of every
        statistic. Infinite scores are rejected.
    labels : array-like of shape (n_samples,), default=None
        Class of each sample (str, int or any hashable value; none missing). When
        given, the table has one row per class after the overall row.
    overall : bool, default=True
        Whether to start the table with a row over all samples, whose ``class``
        is :data:`ALL_LABEL`. Without ``labels`` that row is always present.

    Returns
    -------
    pandas.DataFrame
        One row per group, classes sorted (or in order of first appearance when
        they do not compare), with columns ``class``, ``count`` (scores present),
        ``missing`` (scores absent), ``mean``, ``std`` (population standard
        deviation, ``ddof=0``), ``min``, ``q25``, ``median``, ``q75`` (linear
        interpolation, as :func:`numpy.quantile`) and ``max``. The statistics
        are NaN for a group without any score.

    Raises
    ------
    InputError
        If ``hardness`` is empty, not 1-D, holds non-numbers or infinite values,
        or if ``labels`` is missing for some sample, has another length, or
        holds :data:`ALL_LABEL` while ``overall`` is true.

    Examples
    --------
    >>> from seedselect.reports import hardness_summary
    >>> table = hardness_summary([0.2, 0.9, None, 0.4], ["cat", "dog", "dog", "cat"])
    >>> table[["class", "count", "missing", "mean", "max"]]
       class  count  missing  mean  max
    0  (all)      3        1   0.5  0.9
    1    cat      2        0   0.3  0.4
    2    dog      1        1   0.9  0.9
    """
    scores = _as_scores(hardness, "hardness")
    if labels is None:
        return _summary_frame([(ALL_LABEL, scores)])
    classes_of = _as_labels(labels, "labels")
    _check_lengths({"hardness": scores, "labels": classes_of})

    groups = _split_by_class(scores, classes_of)
    if overall:
        if any(_is_all_label(name) for name, _ in groups):
            raise InputError(
                f"labels uses the class name {ALL_LABEL!r}, which names the overall "
                "row; rename that class or pass overall=False"
            )
        groups.insert(0, (ALL_LABEL, scores))
    return _summary_frame(groups)


def _is_all_label(name: Hashable) -> bool:
    return isinstance(name, str) and name == ALL_LABEL


def _summary_frame(groups: list[tuple[Hashable, np.ndarray]]) -> pd.DataFrame:
    rows = [_summary_row(name, values) for name, values in groups]
    frame = pd.DataFrame(rows, columns=list(_SUMMARY_COLUMNS))
    return frame.astype({"count": np.int64, "missing": np.int64})


def _summary_row(name: Hashable, values: np.ndarray) -> dict[str, Any]:
    present = values[~np.isnan(values)]
    row: dict[str, Any] = {
        "class": name,
        "count": present.size,
        "missing": values.size - present.size,
    }
    if present.size == 0:
        row.update(dict.fromkeys(_SUMMARY_COLUMNS[3:], np.nan))
        return row
    quartiles = np.quantile(present, _QUANTILES)
    row.update(
        mean=float(present.mean()),
        std=float(present.std()),
        min=float(present.min()),
        max=float(present.max()),
    )
    row.update(zip(_QUANTILE_COLUMNS, quartiles.tolist(), strict=True))
    return row


# --- class_counts ----------------------------------------------------------------


def class_counts(
    pool_labels: npt.ArrayLike,
    selected: SelectionLike | npt.ArrayLike,
    *,
    targets: Mapping[Any, int | None] | pd.DataFrame | None = None,
    total: bool = False,
) -> pd.DataFrame:
    """Count each class in the pool and in the selection, against the quotas.

    Parameters
    ----------
    pool_labels : array-like of shape (n_samples,)
        Class of every sample of the pool (none missing).
    selected : array-like of shape (n_selected,) or SelectionResult
        The classes of the chosen samples (labels, not positions; from positions
        pass ``pool_labels[indices]``), or a ``SelectionResult`` whose
        ``indices`` point into ``pool_labels``. May be empty.
    targets : mapping or pandas.DataFrame, default=None
        Quota of each class: a mapping from class to a non-negative int (None
        for no quota), or a table with ``class`` and ``target`` columns such as
        ``SelectionResult.class_table`` (NaN for no quota). When ``selected`` is
        a ``SelectionResult`` and ``targets`` is None, its ``class_table`` is
        used if it holds any target.
    total : bool, default=False
        Whether to end the table with a row whose ``class`` is
        :data:`ALL_LABEL` and whose counts are the column sums. Left out by
        default so that column sums stay the totals.

    Returns
    -------
    pandas.DataFrame
        One row per class seen in the pool, the selection or the targets,
        sorted (or in order of first appearance when classes do not compare),
        with columns:

        - ``class``;
        - ``pool`` and ``selected``: counts, summing to ``n_samples`` and
          ``n_selected``;
        - ``pool_share`` and ``selected_share``: each count over its total
          (NaN for an empty selection);
        - ``selected_rate``: ``selected / pool``, the fraction of the class that
          was chosen (NaN for a class absent from the pool);
        - with targets only, ``target`` and ``difference = selected - target``
          (nullable ``Int64``, missing where a class has no quota).

    Raises
    ------
    InputError
        If a label is missing or unhashable, if the indices of a
        ``SelectionResult`` fall outside the pool or repeat, or if a target is
        negative or not a whole number.

    Examples
    --------
    >>> from seedselect.reports import class_counts
    >>> pool = ["cat"] * 6 + ["dog"] * 2
    >>> table = class_counts(pool, ["cat", "dog", "dog"], targets={"cat": 2, "dog": 2})
    >>> table[["class", "pool", "selected", "target", "difference"]]
      class  pool  selected  target  difference
    0   cat     6         1       2          -1
    1   dog     2         2       2           0
    """
    pool = _as_labels(pool_labels, "pool_labels")
    if isinstance(selected, SelectionLike):
        indices = _as_indices(selected.indices, "selected.indices", len(pool))
        chosen = pool[indices]
        if targets is None:
            targets = _result_targets(selected)
    else:
        chosen = _as_labels(selected, "selected", allow_empty=True)
    quotas = None if targets is None else _as_targets(targets)
    return _class_count_frame(pool, chosen, quotas, total=total)


def _result_targets(result: SelectionLike) -> pd.DataFrame | None:
    table = getattr(result, "class_table", None)
    if not isinstance(table, pd.DataFrame) or "target" not in table.columns:
        return None
    return table if table["target"].notna().any() else None


def _as_targets(targets: Any) -> dict[Hashable, int | None]:
    """Return ``{class: quota or None}`` from a mapping or a class table."""
    pairs: Iterable[tuple[Any, Any]]
    if isinstance(targets, pd.DataFrame):
        absent = {"class", "target"} - set(targets.columns)
        if absent:
            raise InputError(
                f"targets is a table without the column(s) {sorted(absent)}; pass a "
                "table with 'class' and 'target' columns, or a mapping from class "
                "to count"
            )
        pairs = zip(targets["class"].tolist(), targets["target"].tolist(), strict=True)
    elif isinstance(targets, Mapping):
        pairs = targets.items()
    else:
        raise InputError(
            f"targets is a {type(targets).__name__}; pass a mapping from class to "
            "count (e.g. {'cat': 10, 'dog': 10}) or a table with 'class' and "
            "'target' columns"
        )
    quotas: dict[Hashable, int | None] = {}
    for name, value in list(pairs):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            quotas[name] = None
            continue
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        quotas[name] = check_count(value, f"targets[{name!r}]")
    return quotas


def _class_count_frame(
    pool: np.ndarray,
    chosen: np.ndarray,
    quotas: dict[Hashable, int | None] | None,
    *,
    total: bool,
) -> pd.DataFrame:
    # Classes of the pool, the selection and the quotas, with their counts.
    classes = _class_order(
        pd.unique(pool).tolist(), pd.unique(chosen).tolist(), quotas or ()
    )
    n_pool = np.bincount(_class_codes(pool, classes), minlength=len(classes))
    n_chosen = np.bincount(_class_codes(chosen, classes), minlength=len(classes))
    frame = pd.DataFrame(
        {
            "class": pd.Series(classes, dtype=object),
            "pool": n_pool.astype(np.int64),
            "selected": n_chosen.astype(np.int64),
            "pool_share": _ratio(n_pool, pool.size),
            "selected_share": _ratio(n_chosen, chosen.size),
            "selected_rate": _ratio(n_chosen, n_pool),
        }
    )
    if quotas is not None:
        frame["target"] = pd.array([quotas.get(c) for c in classes], dtype="Int64")
        frame["difference"] = frame["selected"] - frame["target"]
    if not total:
        return frame

    # The total row holds the column sums; the shares of a whole are 1.
    if any(_is_all_label(name) for name in classes):
        raise InputError(
            f"the labels use the class name {ALL_LABEL!r}, which names the total "
            "row; rename that class or pass total=False"
        )
    row: dict[str, Any] = {
        "class": ALL_LABEL,
        "pool": pool.size,
        "selected": chosen.size,
        "pool_share": 1.0,
        "selected_share": 1.0 if chosen.size else np.nan,
        "selected_rate": chosen.size / pool.size,
    }
    if quotas is not None:
        has_target = frame["target"].notna()
        row["target"] = frame["target"].sum() if has_target.any() else pd.NA
        row["difference"] = frame["difference"].sum() if has_target.any() else pd.NA
    last = pd.DataFrame([row]).astype(frame.dtypes.to_dict())
    return pd.concat([frame, last], ignore_index=True)


# --- compare_runs ----------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """What one run contributes: pool positions and/or its own columns."""

    n_selected: int
    indices: np.ndarray | None
    scores: np.ndarray | None
    labels: np.ndarray | None


def compare_runs(
    runs: Mapping[str, RunLike],
    *,
    hardness: npt.ArrayLike | None = None,
    labels: npt.ArrayLike | None = None,
    embeddings: npt.ArrayLike | None = None,
    metric: Metric = "euclidean",
) -> pd.DataFrame:
    """Compare several selections from the same pool, one row per run.

    Parameters
    ----------
    runs : mapping of str to SelectionResult, DataFrame or array-like
        Each run as a ``SelectionResult``; a DataFrame with an ``index`` column
        of pool positions and/or ``score`` and ``label`` columns (such as
        ``SelectionResult.to_frame()``); integer pool positions; or a boolean
        mask over the pool. Rows keep the mapping's order.
    hardness : array-like of shape (n_samples,), default=None
        Hardness of every pool sample (NaN or None where missing). When given,
        it is read at each run's positions; otherwise a run's ``score`` column
        is used, if it has one.
    labels : array-like of shape (n_samples,), default=None
        Class of every pool sample. When given, it is read at each run's
        positions; otherwise a run's ``label`` column is used, if it has one.
    embeddings : array-like of shape (n_samples, n_features), default=None
        Embeddings of every pool sample; when given, ``coverage_radius`` is
        computed.
    metric : {"euclidean", "cosine"}, default="euclidean"
        Distance used for ``coverage_radius`` (cosine distance is
        ``1 - cosine similarity``).

    Returns
    -------
    pandas.DataFrame
        One row per run with columns ``run`` and :data:`RUN_METRICS`:

        - ``n_selected``: samples chosen;
        - ``mean_hardness``, ``median_hardness``: over the chosen samples whose
          score is present (NaN when none is);
        - ``n_classes``: classes among the chosen samples (``Int64``, missing
          without labels);
        - ``class_entropy``: Shannon entropy, in nats, of the chosen samples'
          class shares (0 for one class, ``log(n_classes)`` when even);
        - ``imbalance_ratio``: largest over smallest class count among the
          classes chosen (1 when even; classes never chosen are not counted,
          see ``n_classes``);
        - ``coverage_radius``: the largest distance from a pool sample to its
          nearest chosen sample, as :func:`seedselect.selection.coverage_radius`
          computes it in bounded memory (lower means the selection covers the
          pool more evenly); NaN without ``embeddings`` or for an empty run.

    Raises
    ------
    InputError
        If ``runs`` is empty, if pool arrays disagree in length or hold bad
        values, if a run's positions fall outside the pool or repeat, or if pool
        arrays are given but a run has no pool positions.

    Examples
    --------
    >>> import numpy as np
    >>> from seedselect.reports import compare_runs
    >>> hardness = np.array([0.9, 0.8, 0.1, 0.2])
    >>> labels = np.array(["a", "a", "b", "b"])
    >>> table = compare_runs({"top": [0, 1], "spread": [0, 2]}, hardness=hardness,
    ...                      labels=labels)
    >>> table[["run", "n_selected", "mean_hardness", "n_classes"]]
          run  n_selected  mean_hardness  n_classes
    0     top           2           0.85          1
    1  spread           2           0.50          2
    """
    if not isinstance(runs, Mapping) or len(runs) == 0:
        raise InputError(
            "runs must be a non-empty mapping from run name to selection, e.g. "
            "{'random': indices_a, 'hard': result_b}"
        )
    if metric not in _METRICS:
        raise InputError(f"metric={metric!r} is not one of {_METRICS}; pick one")
    scores = None if hardness is None else _as_scores(hardness, "hardness")
    pool_labels = None if labels is None else _as_labels(labels, "labels")
    X = None if embeddings is None else _as_embeddings(embeddings, "embeddings")
    n_pool = _check_lengths(
        {"hardness": scores, "labels": pool_labels, "embeddings": X}
    )
    if X is not None and metric == "cosine":
        _check_nonzero_rows(X, "embeddings")

    rows = []
    for name, value in runs.items():
        run = _resolve_run(name, value, n_pool)
        rows.append(_run_row(name, run, scores, pool_labels, X, metric))
    logger.debug("compared %d runs over a pool of %s samples", len(rows), n_pool)
    frame = pd.DataFrame(rows, columns=["run", *RUN_METRICS])
    return frame.astype({"n_selected": np.int64, "n_classes": "Int64"})


def _resolve_run(name: str, value: Any, n_pool: int | None) -> _Run:
    """Read pool positions, scores and labels from one entry of ``runs``."""
    where = f"runs[{name!r}]"
    frame: pd.DataFrame | None = None
    indices: np.ndarray | None = None
    if isinstance(value, SelectionLike):
        indices = _as_indices(value.indices, f"{where}.indices", n_pool)
        frame = value.to_frame()
    elif isinstance(value, pd.DataFrame):
        frame = value
        if "index" in frame.columns:
            indices = _as_indices(
                frame["index"].to_numpy(), f"{where}['index']", n_pool
            )
    else:
        indices = _as_indices(value, where, n_pool)
    if indices is None and n_pool is not None:
        raise InputError(
            f"{where} is a table without an 'index' column, so the pool arrays "
            "(hardness, labels, embeddings) cannot be read at its samples; add the "
            "pool positions as an 'index' column or leave the pool arrays out"
        )

    scores = labels = None
    if frame is not None and "score" in frame.columns:
        scores = _as_scores(frame["score"], f"{where}['score']", allow_empty=True)
    if frame is not None and "label" in frame.columns:
        column = frame["label"]
        if column.notna().any():
            labels = _as_labels(column, f"{where}['label']", allow_empty=True)
    # Without pool positions, the run is a table of its own rows.
    n_selected = len(indices) if indices is not None else len(value)
    return _Run(n_selected=n_selected, indices=indices, scores=scores, labels=labels)


def _run_row(
    name: str,
    run: _Run,
    scores: np.ndarray | None,
    labels: np.ndarray | None,
    X: np.ndarray | None,
    metric: Metric,
) -> dict[str, Any]:
    row: dict[str, Any] = {"run": name, "n_selected": run.n_selected}
    chosen_scores = run.scores
    chosen_labels = run.labels
    if run.indices is not None:
        if scores is not None:
            chosen_scores = scores[run.indices]
        if labels is not None:
            chosen_labels = labels[run.indices]

    # Hardness of the selection, over the scores present.
    present = np.zeros(0)
    if chosen_scores is not None:
        present = chosen_scores[~np.isnan(chosen_scores)]
    row["mean_hardness"] = float(np.mean(present)) if present.size else np.nan
    row["median_hardness"] = float(np.median(present)) if present.size else np.nan

    # Class balance of the selection.
    row.update(_balance(chosen_labels))

    # Coverage of the pool by the selection.
    row["coverage_radius"] = np.nan
    if X is not None and run.indices is not None and run.indices.size:
        row["coverage_radius"] = coverage_radius(X, run.indices, metric=metric)
    return row


def _balance(labels: np.ndarray | None) -> dict[str, Any]:
    if labels is None:
        return {"n_classes": pd.NA, "class_entropy": np.nan, "imbalance_ratio": np.nan}
    if labels.size == 0:
        return {"n_classes": 0, "class_entropy": np.nan, "imbalance_ratio": np.nan}
    counts = pd.Series(labels).value_counts().to_numpy(dtype=np.float64)
    shares = counts / counts.sum()
    return {
        "n_classes": int(counts.size),
        "class_entropy": float(-(shares * np.log(shares)).sum()),
        "imbalance_ratio": float(counts.max() / counts.min()),
    }


def _check_nonzero_rows(X: np.ndarray, name: str) -> None:
    zero = np.asarray(~X.any(axis=1), dtype=bool)
    if zero.any():
        raise InputError(
            f"{name} has {describe_example(_POSITIONS, zero)} with a zero vector, "
            "for which cosine distance is undefined; drop them or use "
            "metric='euclidean'"
        )
