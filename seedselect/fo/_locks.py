"""Locks in FiftyOne's database that keep concurrent seedselect calls apart.

Two kinds share one collection. :func:`~seedselect.fo._runs.run_lock` holds what
a call writes (run key, tag, saved view, field) for the whole call and refuses a
second call at once. :func:`dataset_doc_lock` holds a dataset's own document for
the few milliseconds of one change to it, and waits when another call holds it.

The second exists because FiftyOne keeps a dataset's field declarations, run
records and saved views in one document, which it writes back whole from the
copy in memory: two processes that add a field each at the same moment would
each write a list without the other's field, leaving values in the samples that
no field declares.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

import fiftyone.core.odm as foo
from pymongo.errors import DuplicateKeyError

from .._exceptions import RunError
from ._io import round_trip

__all__ = [
    "ABANDONED_TOKENS",
    "LOCK_COLLECTION",
    "dataset_doc_lock",
    "is_stale",
    "lock_document",
]

logger = logging.getLogger(__name__)

#: Database collection of the locks that keep concurrent calls apart.
LOCK_COLLECTION = "seedselect_locks"

#: Tokens of locks this process could not release (the database failed); the
#: next call of this process may take them over.
ABANDONED_TOKENS: set[str] = set()

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
        try:
            with round_trip():
                coll.delete_one({"_id": lock_id, "token": token})
        except Exception:
            ABANDONED_TOKENS.add(token)
            raise


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
