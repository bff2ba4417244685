"""Locks in FiftyOne's database that keep concurrent seedselect calls apart.

Two kinds share one collection. :func:`~seedselect.fo._runs.run_lock` holds what
a call writes (run key, tag, saved view, field) for the whole call and refuses a
second call at once. :func:`dataset_doc_lock` holds a dataset's own document for
the few milliseconds of one change to it, and waits when another call holds it.

The second exists because FiftyOne keeps a dataset's field declarations, run
records and saved views in one document, which it writes back whole from the
copy in memory: two processes that add a field each at the same moment would
each write a list without the other's field, leaving values in the samples that
no field declares. :func:`ensure_fields` and :func:`delete_fields` make their
changes to the declarations under it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

import fiftyone.core.fields as fof
import fiftyone.core.odm as foo
import pymongo
from pymongo.errors import DuplicateKeyError, PyMongoError

from .._exceptions import RunError
from ._io import db_timeout, round_trip, split_frames_path

__all__ = [
    "ABANDONED_TOKENS",
    "LOCK_COLLECTION",
    "dataset_doc_lock",
    "delete_fields",
    "ensure_fields",
    "is_stale",
    "lock_document",
    "release_locks",
]

logger = logging.getLogger(__name__)

#: Database collection of the locks that keep concurrent calls apart.
LOCK_COLLECTION = "seedselect_locks"

#: Tokens of locks this process could not release (the database failed); the
#: next call of this process may take them over.
ABANDONED_TOKENS: set[str] = set()

# Longest wait, in seconds, for releasing a lock after the database failed; a
# lock left behind is taken over by the next call once its process is gone.
_RELEASE_TIMEOUT = 5.0

# Longest wait, in seconds, for another call's change to a dataset document. A
# change is one field declaration, run record or saved view: milliseconds on a
# local database, well under a second on a busy remote one.
_DOC_LOCK_WAIT = 60.0

# Seconds between two attempts to take a held dataset document lock.
_DOC_LOCK_POLL = 0.02

# Whether this context already holds the document lock of a dataset (by id), so
# that a change made inside another one does not wait for itself.
_HELD_DOCS: ContextVar[frozenset[str]] = ContextVar("_HELD_DOCS", default=frozenset())


def lock_document(lock_id: str, token: str) -> dict[str, Any]:
    """The document that holds lock ``lock_id`` for the call with ``token``."""
    return {
        "_id": lock_id,
        "token": token,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started_at": datetime.now(timezone.utc),
    }


def is_stale(holder: dict[str, Any]) -> bool:
    """Whether a lock's call is gone (only checkable on the same host)."""
    if holder.get("host") != socket.gethostname():
        return False
    pid = holder.get("pid")
    if not isinstance(pid, int):
        return False
    if pid == os.getpid():
        return holder.get("token") in ABANDONED_TOKENS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@contextmanager
def dataset_doc_lock(dataset: Any) -> Iterator[None]:
    """Change the document of ``dataset`` alone, on a fresh copy of it.

    Waits for another call's change (at most ``_DOC_LOCK_WAIT`` seconds, then
    raises :class:`~seedselect.RunError`), takes a lock over any left by a
    process that no longer runs, reloads the dataset so that the change starts
    from what the database holds, and releases the lock afterwards. Nested uses
    on one dataset hold it once.
    """
    dataset_id = str(dataset._doc.id)
    held = _HELD_DOCS.get()
    if dataset_id in held:
        yield
        return

    coll = foo.get_db_conn()[LOCK_COLLECTION]
    lock_id = f"{dataset_id}:dataset-document"
    token = uuid.uuid4().hex
    _take(coll, lock_id, token, dataset.name)
    reset = _HELD_DOCS.set(held | {dataset_id})
    try:
        with round_trip():
            dataset.reload()
        yield
    finally:
        _HELD_DOCS.reset(reset)
        release_locks(coll, [lock_id], token)


def release_locks(coll: Any, held: list[str], token: str) -> None:
    """Delete the locks ``held`` by ``token``, or leave them to be taken over.

    Runs on the way out of a call, also of one whose database failed, so it
    waits at most ``_RELEASE_TIMEOUT`` seconds and only logs a failure: the
    token is then marked abandoned, and the next call takes the locks over.
    """
    timeout = db_timeout()
    limit = _RELEASE_TIMEOUT if timeout is None else min(timeout, _RELEASE_TIMEOUT)
    try:
        with pymongo.timeout(limit):
            for lock_id in held:
                coll.delete_one({"_id": lock_id, "token": token})
    except PyMongoError as exc:
        ABANDONED_TOKENS.add(token)
        logger.warning(
            "Could not release seedselect locks %s (%s); the next call takes them over",
            held,
            type(exc).__name__,
        )


def _take(coll: Any, lock_id: str, token: str, dataset_name: str) -> None:
    """Insert the lock document, waiting while a live call holds it."""
    doc = lock_document(lock_id, token)
    deadline = time.monotonic() + _DOC_LOCK_WAIT
    while True:
        try:
            with round_trip():
                coll.insert_one(doc)
            return
        except DuplicateKeyError:
            with round_trip():
                holder = coll.find_one({"_id": lock_id})
        if holder is not None and is_stale(holder):
            with round_trip():
                coll.delete_one({"_id": lock_id, "token": holder.get("token")})
            logger.warning(
                "Took over the document lock of dataset '%s' left by process %s, "
                "whose call no longer runs",
                dataset_name,
                holder.get("pid"),
            )
            continue
        if time.monotonic() > deadline:
            raise RunError(
                f"another seedselect call (process {holder and holder.get('pid')}) "
                f"has held the document of dataset '{dataset_name}' for over "
                f"{_DOC_LOCK_WAIT:.0f} s; try again once it has finished"
            )
        time.sleep(_DOC_LOCK_POLL)


def ensure_fields(dataset: Any, fields: Mapping[str, type[fof.Field]]) -> None:
    """Declare each new path of ``fields`` (``"frames."`` allowed) with its type.

    Paths the dataset already has are left as they are. New ones are declared
    under the dataset's document lock, so that fields another process declares
    at the same moment are not lost.
    """
    if all(dataset.has_field(path) for path in fields):
        return
    with dataset_doc_lock(dataset):
        for path, ftype in fields.items():
            if dataset.has_field(path):
                continue
            name, is_frame = split_frames_path(path)
            with round_trip():
                if is_frame:
                    dataset.add_frame_field(name, ftype)
                else:
                    dataset.add_sample_field(name, ftype)


def delete_fields(dataset: Any, paths: Sequence[str]) -> list[str]:
    """Delete sample or frame fields (``"frames."`` prefix) and their values.

    Fields that do not exist are skipped; the others are deleted under the
    dataset's document lock, each bounded by :func:`round_trip` on its own.
    Returns the paths deleted.
    """
    if not any(dataset.has_field(path) for path in paths):
        return []
    deleted = []
    with dataset_doc_lock(dataset):
        # Deepest paths first, so that an embedded attribute goes before its
        # parent.
        for path in sorted(paths, key=lambda p: p.count("."), reverse=True):
            if not dataset.has_field(path):
                continue
            name, is_frame = split_frames_path(path)
            with round_trip():
                if is_frame:
                    dataset.delete_frame_field(name)
                else:
                    dataset.delete_sample_field(name)
            deleted.append(path)
    if deleted:
        logger.debug("deleted fields %s of dataset '%s'", deleted, dataset.name)
    return deleted
