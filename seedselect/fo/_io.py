"""Bulk, chunked reads and writes of FiftyOne collections.

Everything seedselect computes on a dataset follows the same pattern: stream the
ids and a few field paths out of the database in chunks, turn each chunk into
NumPy arrays, and write the results back with one bulk operation per chunk.
Memory is bounded by ``chunk_size`` (plus whatever output arrays the caller
keeps), never by the size of the collection, and no sample is ever loaded or
saved as a :class:`fiftyone.core.sample.Sample` object.

The helpers here know nothing about hardness; selection and seed expansion use
them too.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any

import fiftyone.core.frame as fofr
import fiftyone.core.sample as fos
import fiftyone.core.utils as fou
import numpy as np
import pymongo
from bson import ObjectId
from pymongo import UpdateOne

from .._validation import check_count

__all__ = [
    "DB_TIMEOUT_ENV",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_DB_TIMEOUT",
    "IdArray",
    "IdBuffer",
    "VectorDecoder",
    "check_chunk_size",
    "chunk_slices",
    "db_timeout",
    "find_holders",
    "iter_chunks",
    "make_progress",
    "nullable_floats",
    "round_trip",
    "split_frames_path",
    "write_list_attribute",
    "write_values",
]

logger = logging.getLogger(__name__)

#: Samples read or written per database round trip. A chunk of 1,000 samples
#: with 10-class logits takes well under a megabyte of memory, and at this size
#: the cost per request is already small next to the database's own work per
#: document (5,000 per chunk wrote no faster on the benchmark dataset).
DEFAULT_CHUNK_SIZE = 1000

FRAMES_PREFIX = "frames."

#: Environment variable holding the longest time, in seconds, that one database
#: round trip of seedselect (a chunk read, a bulk write, a run record update) may
#: take before the call fails; ``0`` or ``none`` waits without limit.
DB_TIMEOUT_ENV = "SEEDSELECT_DB_TIMEOUT"
#: Default of ``SEEDSELECT_DB_TIMEOUT``. A chunk of ``DEFAULT_CHUNK_SIZE``
#: samples takes well under a second on a local database; a minute leaves room
#: for a busy remote server while still turning a stopped one into an error.
DEFAULT_DB_TIMEOUT = 60.0


def db_timeout() -> float | None:
    """Seconds one database round trip may take (``SEEDSELECT_DB_TIMEOUT``).

    Raises
    ------
    ValueError
        If the variable is set to something other than a non-negative number
        or ``none``.
    """
    raw = os.environ.get(DB_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_DB_TIMEOUT
    if raw.lower() == "none":
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(
            f"{DB_TIMEOUT_ENV}={raw!r} is not a number of seconds; set it to a "
            "positive number such as 30, or to 0 or 'none' for no limit"
        )
    return seconds or None


def round_trip() -> AbstractContextManager[Any]:
    """Bound the database operations of the block by :func:`db_timeout`.

    Every operation started inside the block must finish before the deadline
    or raises a ``pymongo`` timeout error; callers turn those into a
    :class:`~seedselect.DatabaseUnavailableError`.
    """
    return pymongo.timeout(db_timeout())


# Streaming all rows from one aggregation cursor is the fast path; it relies on
# a private FiftyOne method, so the chunk-view path below stands in when a
# FiftyOne version lacks it. Tests flip this flag to exercise both paths.
_STREAM = True


def check_chunk_size(chunk_size: Any) -> int:
    """Return ``chunk_size`` as an int after checking that it is at least 1."""
    return check_count(chunk_size, "chunk_size", minimum=1)


def chunk_slices(n_items: int, chunk_size: int) -> Iterator[slice]:
    """Yield consecutive slices of ``chunk_size`` items covering ``range(n_items)``."""
    for start in range(0, n_items, chunk_size):
        yield slice(start, min(start + chunk_size, n_items))


def split_frames_path(path: str) -> tuple[str, bool]:
    """Return ``(path without "frames.", whether it had the prefix)``."""
    if path.startswith(FRAMES_PREFIX):
        return path[len(FRAMES_PREFIX) :], True
    return path, False


def make_progress(
    total: int | None, progress: Any, iters_str: str = "samples"
) -> fou.ProgressBar:
    """Return a FiftyOne progress bar; use it as a context manager.

    Parameters
    ----------
    total : int or None
        The number of items the bar counts up to.
    progress : bool, callable or None
        True or False shows or hides the bar; None follows
        ``fiftyone.config.show_progress_bars``; a callable is invoked with the
        bar on each update instead of drawing it.
    iters_str : str, default="samples"
        What the bar counts.
    """
    return fou.ProgressBar(total=total, progress=progress, iters_str=iters_str)


def _iter_rows(
    samples: Any, paths: list[str], raw: bool, chunk_size: int
) -> Iterator[tuple[Any, ...]]:
    """Yield one tuple of values per sample, in the collection's order."""
    if _STREAM and hasattr(samples, "_iter_values"):
        rows = samples._iter_values(paths, _raw=raw)
        if len(paths) == 1:
            return ((value,) for value in rows)
        return iter(rows)
    return _iter_rows_by_chunk_views(samples, paths, chunk_size)


def _iter_rows_by_chunk_views(
    samples: Any, paths: list[str], chunk_size: int
) -> Iterator[tuple[Any, ...]]:
    """Yield rows by reading one ``select()`` view of ``chunk_size`` ids at a time.

    Values come converted by FiftyOne (vectors as arrays), which
    :class:`VectorDecoder` also reads; the ids of the whole collection are
    held in memory.
    """
    ids = samples.values("_id")
    for where in chunk_slices(len(ids), chunk_size):
        view = samples.select(ids[where], ordered=True)
        columns = view.values(paths)
        yield from zip(*columns, strict=True)


def iter_chunks(
    samples: Any,
    paths: Sequence[str],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    raw: bool = True,
) -> Iterator[list[list[Any]]]:
    """Read field values of a collection chunk by chunk.

    One aggregation streams the values of every path for every sample; they
    are handed out ``chunk_size`` samples at a time, so memory holds one chunk.

    Parameters
    ----------
    samples : fiftyone.core.collections.SampleCollection
        A dataset or a view.
    paths : sequence of str
        Field paths as :meth:`~fiftyone.core.collections.SampleCollection.values`
        takes them, e.g. ``"_id"``, ``"predictions.logits"``,
        ``"frames.predictions.logits"`` or ``"predictions.detections._id"``.
    chunk_size : int, default=DEFAULT_CHUNK_SIZE
        Samples per chunk.
    raw : bool, default=True
        Return the values as stored (ObjectIds, vectors as compressed ``.npy``
        bytes, which :class:`VectorDecoder` reads) rather than converted by
        FiftyOne; reading vectors this way is several times faster.

    Yields
    ------
    columns : list of list
        One list per path, each holding one value per sample of the chunk (a
        list of values per sample for frame and label-list paths).
    """
    paths = list(paths)
    with round_trip():
        rows = _iter_rows(samples, paths, raw, chunk_size)
    while True:
        with round_trip():
            batch = list(itertools.islice(rows, chunk_size))
        if not batch:
            return
        yield [list(column) for column in zip(*batch, strict=True)]


class VectorDecoder:
    """Turn stored vectors into 1-D NumPy arrays.

    FiftyOne stores a vector field (such as a label's ``logits``) as
    zlib-compressed ``.npy`` bytes; vectors assigned as lists to dynamic
    attributes are stored as lists. Rows of one field usually share a header
    (same dtype and length), so the header is parsed once and each later row
    costs a decompression and a :func:`numpy.frombuffer`.
    """

    def __init__(self) -> None:
        self._layouts: dict[bytes, tuple[np.dtype[Any], int]] = {}

    def __call__(self, value: Any) -> np.ndarray[Any, Any] | None:
        """Decode one stored value; None stays None.

        Raises
        ------
        ValueError
            If the value is not a vector of real numbers.
        """
        if value is None:
            return None
        if isinstance(value, np.ndarray):
            return self._check(value.reshape(-1))
        if isinstance(value, bytes | bytearray):
            return self._from_npy(bytes(value))
        if isinstance(value, list | tuple):
            try:
                return self._check(np.asarray(value, dtype=np.float64).reshape(-1))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"not a list of numbers ({exc})") from exc
        raise ValueError(f"a {type(value).__name__} is not a vector")

    @staticmethod
    def _check(arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        if not (
            np.issubdtype(arr.dtype, np.floating)
            or np.issubdtype(arr.dtype, np.integer)
        ):
            raise ValueError(f"dtype {arr.dtype} is not numeric")
        return arr

    def _from_npy(self, blob: bytes) -> np.ndarray[Any, Any]:
        try:
            buffer = zlib.decompress(blob)
        except zlib.error as exc:
            raise ValueError(f"unreadable vector bytes ({exc})") from exc
        if not buffer.startswith(b"\x93NUMPY") or len(buffer) < 12:
            raise ValueError("vector bytes are not in .npy format")

        # The .npy header length is 2 bytes wide in format 1.0, 4 bytes after.
        if buffer[6] == 1:
            offset = 10 + int.from_bytes(buffer[8:10], "little")
        else:
            offset = 12 + int.from_bytes(buffer[8:12], "little")
        header = buffer[:offset]

        layout = self._layouts.get(header)
        if layout is None:
            try:
                arr = np.load(io.BytesIO(buffer), allow_pickle=False)
            except (OSError, EOFError, ValueError) as exc:
                raise ValueError(f"unreadable .npy vector ({exc})") from exc
            arr = self._check(np.ascontiguousarray(arr).reshape(-1))
            self._layouts[header] = (arr.dtype, arr.size)
            return arr
        dtype, size = layout
        return np.frombuffer(buffer, dtype=dtype, count=size, offset=offset)


class IdBuffer:
    """A growing list of ObjectIds, stored compactly as 12 raw bytes each.

    Keeps the ids of a whole collection for a write pass in about 12 bytes per
    sample instead of a Python object each.
    """

    def __init__(self) -> None:
        self._data = bytearray()

    def extend(self, ids: Sequence[ObjectId]) -> None:
        """Append ids in order."""
        self._data += b"".join(_id.binary for _id in ids)

    def __len__(self) -> int:
        return len(self._data) // 12

    def __getitem__(self, where: slice) -> list[ObjectId]:
        """The ids of a slice (step 1), as ObjectIds."""
        start, stop, _ = where.indices(len(self))
        raw = bytes(self._data[12 * start : 12 * stop])
        return [ObjectId(raw[i : i + 12]) for i in range(0, len(raw), 12)]


class IdArray:
    """Sample ids of a whole collection as one NumPy array of 24-byte hex strings.

    A Python ``str`` per id costs about 80 bytes and, kept for the length of a
    call while each chunk's other objects come and go, scatters long-lived
    objects over the interpreter's memory arenas so that they are never given
    back. One ``S24`` array costs 24 bytes per id and one allocation. Ids come
    back as ``str`` one at a time, for the few samples a call writes or names.
    """

    __slots__ = ("_hex",)

    def __init__(self, hex_ids: np.ndarray[Any, Any]) -> None:
        self._hex = hex_ids

    @classmethod
    def from_ids(cls, ids: Sequence[Any]) -> IdArray:
        """From ``str`` or ``ObjectId`` values, in order."""
        return cls(np.array([str(i) for i in ids], dtype="S24").reshape(-1))

    @classmethod
    def concat(cls, parts: Sequence[IdArray]) -> IdArray:
        """The ids of ``parts``, one after the other."""
        if not parts:
            return cls(np.zeros(0, dtype="S24"))
        return cls(np.concatenate([p._hex for p in parts]))

    def __len__(self) -> int:
        return int(self._hex.shape[0])

    def __getitem__(self, position: int) -> str:
        return bytes(self._hex[position]).decode("ascii")

    def __iter__(self) -> Iterator[str]:
        for value in self._hex.tolist():
            yield value.decode("ascii")

    def take(self, positions: Any) -> list[str]:
        """The ids at ``positions`` (integers or a boolean mask), as ``str``."""
        return [v.decode("ascii") for v in self._hex[positions].tolist()]


def nullable_floats(values: np.ndarray[Any, Any]) -> list[float | None]:
    """Python floats for a database write, with None where ``values`` is NaN."""
    return [None if value != value else value for value in values.tolist()]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _bulk_write(
    dataset: Any, ops: list[UpdateOne], ids: Sequence[ObjectId], frames: bool
) -> None:
    """Send ``ops`` in one bulk request, then refresh in-memory documents.

    FiftyOne's own writer splits a request into adaptive batches; one request
    per chunk measured about 30% faster. Samples and frames that the session
    already holds as Python objects are reloaded so they show the new values,
    as after FiftyOne's own bulk writes.
    """
    with round_trip():
        if frames:
            dataset._frame_collection.bulk_write(ops, ordered=False)
            fofr.Frame._reload_docs(dataset._frame_collection_name, frame_ids=ids)
        else:
            dataset._sample_collection.bulk_write(ops, ordered=False)
            fos.Sample._reload_docs(dataset._sample_collection_name, sample_ids=ids)


def write_values(
    dataset: Any,
    path: str,
    ids: Sequence[ObjectId],
    values: Sequence[Any],
    *,
    frames: bool = False,
) -> None:
    """Set ``path`` on the given sample (or frame) documents, in one bulk write.

    Parameters
    ----------
    dataset : fiftyone.core.dataset.Dataset
        The dataset that owns the documents (``samples._dataset``).
    path : str
        Field or ``embedded.field`` path inside each document, without
        ``"frames."``.
    ids : sequence of bson.ObjectId
        The ``_id`` of each sample, or of each frame when ``frames`` is True.
    values : sequence
        One BSON-serializable value per id (floats, None, ...).
    frames : bool, default=False
        Whether ``ids`` are frame ids.
    """
    now = _now()
    ops = [
        UpdateOne({"_id": _id}, {"$set": {path: value, "last_modified_at": now}})
        for _id, value in zip(ids, values, strict=True)
    ]
    if ops:
        _bulk_write(dataset, ops, ids, frames)


def write_list_attribute(
    dataset: Any,
    list_path: str,
    attribute: str,
    ids: Sequence[ObjectId],
    element_ids: Sequence[Sequence[ObjectId]],
    values: Sequence[Sequence[Any]],
    *,
    frames: bool = False,
) -> None:
    """Set an attribute on elements of a list of labels, matched by element id.

    One update per document sets the attribute on each listed element; the
    elements are found by their ``_id``, so filtered views write to the right
    objects.

    Parameters
    ----------
    dataset : fiftyone.core.dataset.Dataset
        The dataset that owns the documents.
    list_path : str
        Path of the label list inside each document, e.g.
        ``"predictions.detections"`` (without ``"frames."``).
    attribute : str
        Name of the attribute to set on each element.
    ids : sequence of bson.ObjectId
        The sample (or frame) ``_id`` of each document.
    element_ids : sequence of sequence of bson.ObjectId
        For each document, the ``_id`` of each element to update.
    values : sequence of sequence
        For each document, one value per element id.
    frames : bool, default=False
        Whether ``ids`` are frame ids.
    """
    now = _now()
    ops = []
    for _id, doc_element_ids, doc_values in zip(ids, element_ids, values, strict=True):
        if not doc_element_ids:
            continue
        update: dict[str, Any] = {"last_modified_at": now}
        filters: list[Mapping[str, Any]] = []
        for j, (element_id, value) in enumerate(
            zip(doc_element_ids, doc_values, strict=True)
        ):
            update[f"{list_path}.$[e{j}].{attribute}"] = value
            filters.append({f"e{j}._id": element_id})
        ops.append(UpdateOne({"_id": _id}, {"$set": update}, array_filters=filters))
    if ops:
        _bulk_write(dataset, ops, ids, frames)


def _holds_value(value: Any) -> bool:
    if isinstance(value, list):
        return any(_holds_value(item) for item in value)
    return value is not None


def find_holders(
    samples: Any, path: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> tuple[int, str | None]:
    """Count the samples with a non-None value at ``path``.

    For frame and label-list paths a sample counts if any of its frames or
    labels holds a value.

    Returns
    -------
    count : int
        The number of samples holding a value.
    example_id : str or None
        The id of the first such sample, or None if there is none.
    """
    count = 0
    example = None
    for ids, values in iter_chunks(samples, ["_id", path], chunk_size=chunk_size):
        for _id, value in zip(ids, values, strict=True):
            if _holds_value(value):
                count += 1
                if example is None:
                    example = str(_id)
    return count, example
