"""Plain-file input and output for the ``seedselect`` command line.

The file-mode subcommands (``seedselect score --logits FILE``, ``seedselect
select --scores FILE``) read arrays from NumPy files (``.npy``, ``.npz``) or
tables (``.csv``, ``.parquet``) and write tables back. Everything here checks
what it reads and raises :class:`~seedselect.InputError` with the option, the
file, the rule broken, a count and an example row, so that the command can print
one line and stop before writing anything.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ._exceptions import InputError
from .scores import METHODS, hardness, multilabel_hardness
from .selection import select_batch

__all__ = [
    "ID_COLUMNS",
    "SCORE_CHUNK_ROWS",
    "UsageError",
    "READ_SUFFIXES",
    "WRITE_SUFFIXES",
    "Loaded",
    "check_output_path",
    "read_labels",
    "read_matrix",
    "read_table",
    "read_vector",
    "score_file",
    "select_file",
    "write_table",
]

#: Suffixes the readers accept, and the kind of file each one is.
READ_SUFFIXES: dict[str, str] = {
    ".npy": "npy",
    ".npz": "npz",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
#: Suffixes :func:`write_table` accepts.
WRITE_SUFFIXES: dict[str, str] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
#: Column names taken as row identifiers when a table has one, in this order.
ID_COLUMNS: tuple[str, ...] = ("id", "sample_id", "filepath", "row")


#: Rows scored per step in file mode; a progress bar appears when a file holds
#: more than one step's worth (about a second of work each).
SCORE_CHUNK_ROWS = 200_000


class UsageError(Exception):
    """Bad command-line usage, reported in one line with exit code 2."""


@dataclass
class Loaded:
    """Values read from a file, with the row identifiers when it had any.

    Attributes
    ----------
    values : ndarray
        The array read: (n_rows, n_columns) from :func:`read_matrix`, (n_rows,)
        from :func:`read_vector` and :func:`read_labels`.
    ids : list of str or None
        One identifier per row (from an id column), or None.
    id_column : str or None
        The name of the id column.
    source : str
        How to name the values in messages, e.g. ``"--logits 'preds.csv'"``.
    """

    values: np.ndarray
    ids: list[str] | None
    id_column: str | None
    source: str

    def example(self, mask: np.ndarray) -> str:
        """``"N rows, e.g. row 4 (id 'a')"`` for the rows where ``mask`` holds."""
        return _rows(mask, self.ids)


def _rows(mask: np.ndarray, ids: Sequence[str] | None = None) -> str:
    """``"N rows, e.g. row 4"`` (with the id when there are ids)."""
    where = np.flatnonzero(mask)
    first = int(where[0])
    name = f"row {first}" if ids is None else f"row {first} (id {ids[first]!r})"
    return f"{len(where)} row{'s' if len(where) != 1 else ''}, e.g. {name}"


def _kind(path: Path, option: str, suffixes: dict[str, str]) -> str:
    kind = suffixes.get(path.suffix.lower())
    if kind is None:
        allowed = ", ".join(sorted(suffixes))
        got = f"suffix {path.suffix!r}" if path.suffix else "no suffix"
        raise InputError(
            f"{option} '{path}' has {got}; use a file ending in one of {allowed}"
        )
    return kind


def _existing(path: str | os.PathLike[str], option: str) -> Path:
    found = Path(path)
    if not found.is_file():
        raise InputError(f"{option} '{found}': no such file; check the path")
    return found


def read_table(path: str | os.PathLike[str], option: str) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame, with a clear error if it fails.

    Parameters
    ----------
    path : str or path
    option : str
        The command-line option that named the file, for messages.
    """
    found = _existing(path, option)
    kind = _kind(found, option, WRITE_SUFFIXES)
    try:
        if kind == "csv":
            frame = pd.read_csv(found)
        else:
            frame = pd.read_parquet(found)
    except Exception as exc:
        raise InputError(
            f"{option} '{found}' cannot be read as {kind.upper()} "
            f"({type(exc).__name__}: {exc}); check the file"
        ) from None
    if frame.empty:
        raise InputError(f"{option} '{found}' holds no rows; pass a non-empty file")
    return frame


def _load_numpy(path: Path, kind: str, option: str, key: str | None) -> np.ndarray:
    try:
        loaded = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise InputError(
            f"{option} '{path}' cannot be read as {kind} ({type(exc).__name__}: "
            f"{exc}); check the file"
        ) from None
    if kind == "npy":
        if key is not None:
            raise InputError(
                f"--key={key!r} applies to .npz archives only, but {option} '{path}' "
                "is a .npy file; drop --key"
            )
        return np.asarray(loaded)
    with loaded:
        names = list(loaded.files)
        if key is None:
            if len(names) != 1:
                raise InputError(
                    f"{option} '{path}' holds {len(names)} arrays ({names}); name "
                    "the one to use with --key"
                )
            key = names[0]
        if key not in names:
            raise InputError(
                f"{option} '{path}' has no array {key!r} (its arrays: {names}); "
                "pass one of those with --key"
            )
        return np.asarray(loaded[key])


def _id_column(frame: pd.DataFrame, id_column: str | None, option: str) -> str | None:
    if id_column is not None:
        if id_column not in frame.columns:
            raise InputError(
                f"{option} has no column {id_column!r} for --id-column (its columns: "
                f"{list(frame.columns)}); pass one of those"
            )
        return id_column
    return next((c for c in ID_COLUMNS if c in frame.columns), None)


def _ids(frame: pd.DataFrame, column: str | None, source: str) -> list[str] | None:
    if column is None:
        return None
    values = frame[column]
    missing = values.isna().to_numpy()
    if missing.any():
        rows = _rows(missing)
        raise InputError(
            f"{source} id column {column!r} is empty in {rows}; give every row an id"
        )
    return [str(v) for v in values]


def _numeric(frame: pd.DataFrame, columns: Sequence[str], source: str) -> np.ndarray:
    bad = [c for c in columns if not pd.api.types.is_numeric_dtype(frame[c])]
    bad = [c for c in bad if not pd.api.types.is_bool_dtype(frame[c])]
    if bad:
        raise InputError(
            f"{source} column {bad[0]!r} is not numeric ({frame[bad[0]].dtype}); "
            "select the numeric columns with --columns, or name the id column with "
            "--id-column"
        )
    return frame[list(columns)].to_numpy(dtype=np.float64, na_value=np.nan)


def _stack_lists(series: pd.Series, source: str) -> np.ndarray:
    """Stack a column whose cells are vectors (Parquet list columns)."""
    rows = [np.asarray(v, dtype=np.float64) for v in series]
    lengths = {r.shape for r in rows}
    if len(lengths) != 1 or len(next(iter(lengths))) != 1:
        raise InputError(
            f"{source} column {series.name!r} holds vectors of different lengths "
            f"{sorted(len(r) for r in rows)[:1]}...; every row needs the same length"
        )
    return np.vstack(rows)


def read_matrix(
    path: str | os.PathLike[str],
    option: str,
    *,
    key: str | None = None,
    id_column: str | None = None,
    columns: Sequence[str] | None = None,
    min_columns: int = 1,
) -> Loaded:
    """Read a 2-D array of numbers (logits, probabilities, embeddings).

    ``.npy`` holds the array; ``.npz`` holds it under ``key`` (or as its only
    array). In a CSV or Parquet table the array is ``columns``, or every column
    except the id column; a single column of vectors (a Parquet list column)
    works too.

    Parameters
    ----------
    path : str or path
    option : str
        The option that named the file, for messages (e.g. ``"--logits"``).
    key : str, optional
        Array name inside a ``.npz`` archive.
    id_column : str, optional
        Column of row identifiers; default the first of :data:`ID_COLUMNS`
        present.
    columns : sequence of str, optional
        The value columns of a table.
    min_columns : int, default=1
        Fewest columns the array may have.

    Returns
    -------
    Loaded

    Raises
    ------
    InputError
        If the file is missing, unreadable or of an unknown type, if a named
        column is missing or not numeric, or if values are NaN or infinite.
    """
    found = _existing(path, option)
    kind = _kind(found, option, READ_SUFFIXES)
    source = f"{option} '{found}'"
    ids: list[str] | None = None
    id_name: str | None = None
    if kind in ("npy", "npz"):
        X = _load_numpy(found, kind, option, key)
    else:
        frame = read_table(found, option)
        id_name = _id_column(frame, id_column, source)
        ids = _ids(frame, id_name, source)
        if columns:
            absent = [c for c in columns if c not in frame.columns]
            if absent:
                raise InputError(
                    f"{source} lacks the column(s) {absent} named by --columns (its "
                    f"columns: {list(frame.columns)}); pass columns it has"
                )
            value_columns = list(columns)
        else:
            value_columns = [c for c in frame.columns if c != id_name]
        if not value_columns:
            raise InputError(
                f"{source} has no value columns besides the id column {id_name!r}; "
                "add the values, one column per class or feature"
            )
        first = frame[value_columns[0]]
        if len(value_columns) == 1 and first.dtype == object:
            X = _stack_lists(first, source)
        else:
            X = _numeric(frame, value_columns, source)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] < min_columns:
        raise InputError(
            f"{source} holds an array of shape {X.shape}; pass one row per sample "
            f"with at least {min_columns} column(s)"
        )
    if not np.issubdtype(X.dtype, np.number) and X.dtype != bool:
        raise InputError(f"{source} holds {X.dtype} values; pass numbers")
    loaded = Loaded(X.astype(np.float64, copy=False), ids, id_name, source)
    _check_finite(loaded)
    return loaded


def _check_finite(loaded: Loaded) -> None:
    values = loaded.values
    bad = ~np.isfinite(values)
    if values.ndim == 2:
        bad = bad.any(axis=1)
    if bad.any():
        raise InputError(
            f"{loaded.source} holds NaN or infinite values in {loaded.example(bad)}; "
            "fill or drop those rows"
        )


def read_vector(
    path: str | os.PathLike[str],
    option: str,
    *,
    column: str | None = None,
    default_columns: Sequence[str] = (),
    id_column: str | None = None,
) -> tuple[Loaded, pd.DataFrame | None]:
    """Read one number per row (hardness scores); return it and the table, if any.

    ``.npy`` holds a 1-D array (or an (n, 1) one); ``.npz`` its only array. A
    table gives ``column``, or the first of ``default_columns`` it has, or its
    only column besides the id column.

    Raises
    ------
    InputError
        If the file cannot be read, the column is missing or not numeric, or a
        value is NaN or infinite.
    """
    found = _existing(path, option)
    kind = _kind(found, option, READ_SUFFIXES)
    source = f"{option} '{found}'"
    if kind in ("npy", "npz"):
        values = _load_numpy(found, kind, option, None)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1 or values.size == 0:
            raise InputError(
                f"{source} holds an array of shape {values.shape}; pass one score "
                "per sample, an array of shape (n_samples,)"
            )
        if not np.issubdtype(values.dtype, np.number):
            raise InputError(f"{source} holds {values.dtype} values; pass numbers")
        loaded = Loaded(values.astype(np.float64), None, None, source)
        _check_finite(loaded)
        return loaded, None

    frame = read_table(found, option)
    id_name = _id_column(frame, id_column, source)
    name = _pick_column(frame, column, default_columns, id_name, source)
    loaded = Loaded(
        _numeric(frame, [name], f"{source}")[:, 0],
        _ids(frame, id_name, source),
        id_name,
        f"{source} column {name!r}",
    )
    _check_finite(loaded)
    return loaded, frame


def _pick_column(
    frame: pd.DataFrame,
    column: str | None,
    defaults: Sequence[str],
    id_name: str | None,
    source: str,
) -> str:
    if column is not None:
        if column not in frame.columns:
            raise InputError(
                f"{source} has no column {column!r} (its columns: "
                f"{list(frame.columns)}); pass one of those"
            )
        return column
    for name in defaults:
        if name in frame.columns:
            return name
    others = [c for c in frame.columns if c != id_name]
    if len(others) == 1:
        return str(others[0])
    wanted = " or ".join(repr(d) for d in defaults) or "a value column"
    raise InputError(
        f"{source} has no column {wanted} (its columns: {list(frame.columns)}); "
        "name the column to use with --score-column"
    )


def read_labels(
    value: str,
    option: str,
    *,
    table: pd.DataFrame | None = None,
    column: str | None = None,
) -> np.ndarray:
    """Class labels: a column of ``table``, or a file (``.npy``, CSV, Parquet).

    ``value`` names a column of ``table`` when it has one; otherwise a file,
    whose ``column`` (default ``"label"``, or its only column) is read.

    Returns
    -------
    ndarray of shape (n_rows,), dtype object
        The labels as strings.
    """
    if table is not None and value in table.columns:
        series = table[value]
        source = f"{option}={value!r} (a column of the scores file)"
    else:
        found = Path(value)
        if not found.is_file():
            hint = ""
            if table is not None:
                hint = f", nor a column of the scores file ({list(table.columns)})"
            raise InputError(
                f"{option}={value!r} is neither an existing file{hint}; pass a "
                "labels file or a column name"
            )
        kind = _kind(found, option, READ_SUFFIXES)
        source = f"{option} '{found}'"
        if kind in ("npy", "npz"):
            array = _load_numpy(found, kind, option, None)
            if array.ndim != 1:
                raise InputError(
                    f"{source} holds an array of shape {array.shape}; pass one "
                    "label per sample"
                )
            series = pd.Series(array)
        else:
            frame = read_table(found, option)
            name = _pick_column(frame, column, ("label",), None, source)
            series = frame[name]
    missing = series.isna().to_numpy()
    if missing.any():
        rows = _rows(missing)
        raise InputError(f"{source} has no label in {rows}; give every row a class")
    return np.asarray([str(v) for v in series], dtype=object)


def check_output_path(path: str | os.PathLike[str], option: str = "--output") -> Path:
    """Check, before any work, that ``path`` names a CSV or Parquet file to write."""
    target = Path(path)
    _kind(target, option, WRITE_SUFFIXES)
    if target.is_dir():
        raise InputError(f"{option} '{target}' is a directory; pass a file name")
    return target


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` to CSV or Parquet (by suffix), replacing the file at once.

    The table is written to a temporary file next to ``path`` and then moved
    over it, so an interrupted write never leaves a half-written file.
    """
    target = check_output_path(path)
    kind = WRITE_SUFFIXES[target.suffix.lower()]
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent
    )
    os.close(handle)
    try:
        if kind == "csv":
            frame.to_csv(temp, index=False)
        else:
            frame.to_parquet(temp, index=False)
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.remove(temp)
    return target


# ---------------------------------------------------------------------------
# The file modes of ``score`` and ``select``


def score_file(args: Any) -> dict[str, Any]:
    """``seedselect score --logits FILE`` (or ``--probs``): score rows, write them.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``score`` options.

    Returns
    -------
    dict
        What was done: input, output, method, counts and score statistics.
    """
    if args.method not in METHODS:
        raise UsageError(
            f"--method {args.method} scores an ensemble, which file mode does not "
            f"read; pick one of {', '.join(METHODS)}"
        )
    if args.output is None:
        raise UsageError("file mode needs --output FILE (.csv or .parquet)")
    if args.multilabel and args.method != "entropy":
        raise UsageError("--multilabel scores by entropy; drop --method")
    output = check_output_path(args.output)
    kind = "logits" if args.logits is not None else "probs"
    path = args.logits if kind == "logits" else args.probs
    loaded = read_matrix(
        path,
        f"--{kind}",
        key=args.key,
        id_column=args.id_column,
        columns=args.columns,
        min_columns=1 if args.multilabel else 2,
    )

    # Score in steps so that a large file shows its progress.
    X = loaded.values
    steps = range(0, len(X), SCORE_CHUNK_ROWS)
    parts = []
    show = not args.quiet and len(steps) > 1
    for start in tqdm(steps, desc="scoring", unit="chunk", disable=not show):
        rows = X[start : start + SCORE_CHUNK_ROWS]
        if args.multilabel:
            parts.append(
                multilabel_hardness(
                    rows,
                    kind=kind,
                    temperature=args.temperature,
                    aggregate=args.label_aggregate,
                    normalize=args.normalize,
                )
            )
        else:
            parts.append(
                hardness(
                    rows,
                    method=args.method,
                    kind=kind,
                    temperature=args.temperature,
                    normalize=args.normalize,
                )
            )
    scores = np.concatenate(parts)

    id_name = loaded.id_column or "row"
    ids: Any = loaded.ids if loaded.ids is not None else np.arange(len(X))
    if id_name == args.hardness_field:
        raise UsageError(
            f"--hardness-field {args.hardness_field} is also the id column; pick "
            "another output column name"
        )
    write_table(pd.DataFrame({id_name: ids, args.hardness_field: scores}), output)
    return {
        "mode": "file",
        "input": str(path),
        "output": str(output),
        "method": "entropy (multi-label)" if args.multilabel else args.method,
        "kind": kind,
        "n_samples": int(len(X)),
        "n_scored": int(len(X)),
        "score_min": float(scores.min()),
        "score_mean": float(scores.mean()),
        "score_max": float(scores.max()),
    }


def select_file(args: Any, options: dict[str, Any]) -> dict[str, Any]:
    """``seedselect select --scores FILE``: choose rows, write them with reasons.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``select`` options.
    options : dict
        Keyword arguments for :func:`seedselect.select_batch`.

    Returns
    -------
    dict
        Output path, pool size, counts and the chosen ids (or row numbers).
    """
    if args.output is None:
        raise UsageError("file mode needs --output FILE (.csv or .parquet)")
    output = check_output_path(args.output)

    # Read every input, then check that they describe the same rows.
    scores = ids = table = embeddings = labels = None
    id_name: str | None = None
    sizes: dict[str, int] = {}
    if args.scores is not None:
        loaded, table = read_vector(
            args.scores,
            "--scores",
            column=args.score_column,
            default_columns=("hardness", "score"),
            id_column=args.id_column,
        )
        scores, ids, id_name = loaded.values, loaded.ids, loaded.id_column
        sizes["--scores"] = len(scores)
    elif args.score_column is not None:
        raise UsageError("--score-column needs --scores FILE")
    if args.labels is not None:
        labels = read_labels(args.labels, "--labels", table=table)
        sizes["--labels"] = len(labels)
    if args.embeddings is not None:
        emb = read_matrix(args.embeddings, "--embeddings", id_column=args.id_column)
        embeddings = emb.values
        sizes["--embeddings"] = len(embeddings)
        _check_same_ids(ids, emb.ids)
        if ids is None:
            ids, id_name = emb.ids, emb.id_column
    _check_sizes(sizes)
    exclude = None
    if args.exclude is not None:
        exclude = _exclusion_mask(table, args.exclude)

    result = select_batch(
        args.n_select,
        scores=scores,
        embeddings=embeddings,
        labels=labels,
        exclude=exclude,
        **options,
    )
    frame = result.to_frame()
    chosen = [int(i) for i in frame["index"]]
    if ids is not None:
        frame.insert(0, id_name or "id", [ids[i] for i in chosen])
    write_table(frame, output)
    outcome: dict[str, Any] = {
        "mode": "file",
        "output": str(output),
        "n_pool": next(iter(sizes.values())),
        "n_selected": result.n_selected,
        "shortfall": result.shortfall,
    }
    if ids is not None:
        outcome["ids"] = [ids[i] for i in chosen]
    else:
        outcome["rows"] = chosen
    return outcome


def _exclusion_mask(table: pd.DataFrame | None, column: str) -> np.ndarray:
    """Rows to exclude, from a true/false (or 1/0) column of the scores table."""
    if table is None:
        raise UsageError("--exclude names a column of the --scores table; pass one")
    if column not in table.columns:
        raise InputError(
            f"--exclude {column!r} is not a column of the scores file (its columns: "
            f"{list(table.columns)}); pass one of those"
        )
    values = table[column]
    if values.isna().any() or not values.isin([True, False, 0, 1]).all():
        raise InputError(
            f"--exclude column {column!r} must hold only true/false (or 1/0) with "
            "no gaps; mark every row"
        )
    return values.astype(bool).to_numpy()


def _check_sizes(sizes: dict[str, int]) -> None:
    (first, n_first), *rest = sizes.items()
    for option, n in rest:
        if n != n_first:
            raise InputError(
                f"{option} has {n} rows but {first} has {n_first}; pass one row per "
                "sample of the same pool, in the same order"
            )


def _check_same_ids(ids: list[str] | None, other: list[str] | None) -> None:
    if ids is None or other is None or len(ids) != len(other):
        return
    differ = np.array([a != b for a, b in zip(ids, other, strict=True)])
    if differ.any():
        k = int(np.flatnonzero(differ)[0])
        raise InputError(
            "--embeddings lists the ids in another order than --scores "
            f"({_rows(differ)}: {other[k]!r} against {ids[k]!r}); sort both files "
            "the same way"
        )
