"""Labeling manifests and summaries of a recorded selection.

Both read what :func:`~seedselect.fo.select_seeds` or
:func:`~seedselect.fo.expand_seeds` stored with its run (ids in selection order,
reasons, hardness, classes, class quotas, pool statistics) plus the filepaths from
the dataset, so they describe the selection as it was made even if the dataset's
tags or fields have changed since.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._exceptions import InputError
from ._io import DEFAULT_CHUNK_SIZE, chunk_slices, round_trip
from ._runs import database_errors
from ._selection_runs import SeedExpansionRunConfig, get_selection_config

__all__ = [
    "MANIFEST_COLUMNS",
    "SUMMARY_COLUMNS",
    "export_manifest",
    "read_manifest",
    "selection_manifest",
    "selection_summary",
]

logger = logging.getLogger(__name__)

#: Columns of every manifest, in order. Patch selections add ``label_id`` (the
#: chosen object) after ``sample_id``; expansions add ``seed_id`` and
#: ``distance`` (to that seed) at the end.
MANIFEST_COLUMNS: tuple[str, ...] = (
    "sample_id",
    "filepath",
    "hardness",
    "class",
    "rank",
    "reason",
)

#: Columns of :func:`selection_summary`, in order.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "class",
    "pool",
    "available",
    "quota",
    "chosen",
    "hardness_mean",
    "hardness_median",
    "hardness_min",
    "hardness_max",
    "pool_hardness_mean",
    "pool_hardness_median",
)

_STRING_COLUMNS = ("sample_id", "label_id", "filepath", "class", "reason", "seed_id")
_FLOAT_COLUMNS = ("hardness", "distance")
_INT_COLUMNS = ("rank",)

#: File formats by suffix.
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def _canonical(df: pd.DataFrame) -> pd.DataFrame:
    """Give every known column its manifest dtype (strings: pandas "string")."""
    out = df.copy()
    for column in out.columns:
        if column in _STRING_COLUMNS:
            values = out[column].astype(object)
            values = values.where(values.notna(), None)
            out[column] = pd.array(
                [None if v is None else str(v) for v in values], dtype="string"
            )
        elif column in _FLOAT_COLUMNS:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
        elif column in _INT_COLUMNS:
            out[column] = out[column].astype("int64")
    return out


def _load_results(samples: Any, run_key: str) -> tuple[Any, Any]:
    dataset = samples._root_dataset
    config = get_selection_config(dataset, run_key)
    with round_trip():
        results = dataset.load_run_results(run_key, cache=False)
    if results is None:
        raise InputError(
            f"run {run_key!r} has no stored results; rerun the selection to record them"
        )
    return config, results


@database_errors("selection_manifest")
def selection_manifest(samples: Any, run_key: str = "seeds") -> pd.DataFrame:
    """The chosen samples of a selection, one row each, in selection order.

    Parameters
    ----------
    samples : SampleCollection
        The dataset the selection was made on, or any view of it.
    run_key : str, default="seeds"
        The run key of a :func:`select_seeds` or :func:`expand_seeds` run.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MANIFEST_COLUMNS` (plus ``label_id`` for patch selections,
        ``seed_id`` and ``distance`` for expansions). ``hardness`` is NaN where
        the run had no hardness; ``class`` is missing without a label field.

    Raises
    ------
    RunError
        If ``run_key`` names no finished selection run.
    """
    config, results = _load_results(samples, run_key)
    ids = list(results.ids)
    sample_ids = list(getattr(results, "sample_ids", ids))
    paths = _filepaths(samples._root_dataset, sample_ids)
    columns: dict[str, Any] = {"sample_id": sample_ids}
    if config.patches_field is not None:
        columns["label_id"] = ids
    columns["filepath"] = [paths.get(i) for i in sample_ids]
    scores = getattr(results, "scores", None) or [None] * len(ids)
    columns["hardness"] = [np.nan if s is None else float(s) for s in scores]
    columns["class"] = list(getattr(results, "classes", None) or [None] * len(ids))
    columns["rank"] = list(range(1, len(ids) + 1))
    columns["reason"] = list(results.reasons)
    if isinstance(config, SeedExpansionRunConfig):
        columns["seed_id"] = list(results.seed_ids)
        columns["distance"] = [float(d) for d in results.distances]
    return _canonical(pd.DataFrame(columns))


def _filepaths(dataset: Any, sample_ids: Sequence[str]) -> dict[str, str]:
    unique = list(dict.fromkeys(sample_ids))
    out: dict[str, str] = {}
    for where in chunk_slices(len(unique), DEFAULT_CHUNK_SIZE):
        with round_trip():
            ids, paths = dataset.select(unique[where]).values(["id", "filepath"])
        out.update(zip(ids, paths, strict=True))
    return out


def _format_of(path: Path, format: str | None) -> str:
    if format is not None:
        if format not in set(FORMATS.values()):
            raise InputError(
                f"format={format!r} is not one of {sorted(set(FORMATS.values()))}"
            )
        return format
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise InputError(
            f"path={str(path)!r} has suffix {path.suffix!r}; use .csv, .json or "
            ".parquet, or pass format="
        )
    return found


def export_manifest(
    samples: Any,
    path: str | Path,
    *,
    run_key: str = "seeds",
    format: str | None = None,
) -> pd.DataFrame:
    """Write a selection's labeling manifest to CSV, JSON or Parquet.

    Parameters
    ----------
    samples : SampleCollection
        The dataset the selection was made on, or any view of it.
    path : str or pathlib.Path
        Output file; its suffix (``.csv``, ``.json``, ``.parquet``) picks the
        format unless ``format`` is given. Parent directories are created.
    run_key : str, default="seeds"
        The selection's run key.
    format : {"csv", "json", "parquet"}, optional

    Returns
    -------
    pandas.DataFrame
        The manifest written (see :func:`selection_manifest`); read it back with
        :func:`read_manifest`.

    Examples
    --------
    >>> import fiftyone as fo
    >>> from seedselect.fo._manifest import export_manifest, read_manifest
    >>> from seedselect.fo._select import select_seeds
    >>> dataset = fo.Dataset()
    >>> _ = dataset.add_samples(
    ...     [fo.Sample(filepath=f"/data/{i}.png", hardness=i / 10) for i in range(10)],
    ...     progress=False)
    >>> _ = select_seeds(dataset, 3, random_state=0, progress=False)
    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "batch.csv")
    >>> manifest = export_manifest(dataset, out)
    >>> read_manifest(out)["filepath"].tolist()
    ['/data/9.png', '/data/8.png', '/data/7.png']
    """
    path = Path(path)
    kind = _format_of(path, format)
    manifest = selection_manifest(samples, run_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        manifest.to_csv(path, index=False)
    elif kind == "json":
        manifest.to_json(path, orient="records", indent=2)
    else:
        manifest.to_parquet(path, index=False)
    logger.info("Wrote a manifest of %d rows to %s", len(manifest), path)
    return manifest


def read_manifest(path: str | Path, *, format: str | None = None) -> pd.DataFrame:
    """Read a manifest written by :func:`export_manifest`, with its dtypes.

    Ids stay strings (a hexadecimal id such as ``"1234e5..."`` is not turned into
    a number) and a class named ``"NA"`` stays a class.

    Parameters
    ----------
    path : str or pathlib.Path
    format : {"csv", "json", "parquet"}, optional
        Default: from the suffix.

    Returns
    -------
    pandas.DataFrame
    """
    path = Path(path)
    kind = _format_of(path, format)
    as_text = {c: "string" for c in _STRING_COLUMNS}
    if kind == "csv":
        df = pd.read_csv(path, dtype=as_text, keep_default_na=False, na_values=[""])
    elif kind == "json":
        df = pd.read_json(path, orient="records", dtype=as_text)
    else:
        df = pd.read_parquet(path)
    return _canonical(df)


@database_errors("selection_summary")
def selection_summary(samples: Any, run_key: str = "seeds") -> pd.DataFrame:
    """Per class: pool size, quota, chosen count and hardness of a selection.

    Parameters
    ----------
    samples : SampleCollection
        The dataset the selection was made on, or any view of it.
    run_key : str, default="seeds"
        The selection's run key.

    Returns
    -------
    pandas.DataFrame
        One row per class (one row with a missing class when the selection was
        not by class), columns :data:`SUMMARY_COLUMNS`: ``pool`` (samples of the
        view not excluded), ``available`` (candidates after gates), ``quota``
        (missing when classes were not balanced), ``chosen``, the mean, median,
        minimum and maximum hardness of the chosen samples and the mean and
        median hardness of the pool.
    """
    _, results = _load_results(samples, run_key)
    table = {
        str(row["class"]): row for row in (getattr(results, "class_table", None) or [])
    }
    pool_stats = getattr(results, "pool_stats", None) or {}
    classes = [("" if c is None else str(c)) for c in results.classes]
    scores = np.array(
        [np.nan if s is None else float(s) for s in results.scores], dtype=float
    )
    names = list(dict.fromkeys(list(table) + list(pool_stats) + classes))
    if not names:
        names = [""]
    rows = []
    for name in names:
        mine = scores[[c == name for c in classes]] if classes else np.zeros(0)
        mine = mine[~np.isnan(mine)]
        row = table.get(name, {})
        stats = pool_stats.get(name, {})
        rows.append(
            {
                "class": name or None,
                "pool": stats.get("count"),
                "available": row.get("available", stats.get("count")),
                "quota": row.get("quota"),
                "chosen": int(sum(c == name for c in classes)),
                "hardness_mean": float(mine.mean()) if mine.size else np.nan,
                "hardness_median": float(np.median(mine)) if mine.size else np.nan,
                "hardness_min": float(mine.min()) if mine.size else np.nan,
                "hardness_max": float(mine.max()) if mine.size else np.nan,
                "pool_hardness_mean": stats.get("mean"),
                "pool_hardness_median": stats.get("median"),
            }
        )
    df = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    df["class"] = pd.array(df["class"].tolist(), dtype="string")
    for column in ("pool", "available", "quota", "chosen"):
        df[column] = pd.array(
            [None if pd.isna(v) else int(v) for v in df[column]], dtype="Int64"
        )
    for column in SUMMARY_COLUMNS[5:]:
        df[column] = pd.to_numeric(df[column], errors="coerce").astype("float64")
    return df
