"""Record seedselect computations as FiftyOne runs.

A seedselect computation that writes to a dataset (hardness scores, seed tags)
registers itself with FiftyOne's run framework, so users manage it with
FiftyOne's own methods::

    samples.list_runs()              # keys of all runs, seedselect's included
    samples.get_run_info(key)        # when, which FiftyOne, the full config
    samples.load_run_view(key)       # the view the run was computed on
    samples.rename_run(key, new_key)
    samples.delete_run(key)          # also deletes the fields the run wrote
    samples.load_run_results(key)    # summary of what the run did

A run type is a pair of classes in one module: ``<Name>Config``, a subclass of
:class:`SeedselectRunConfig` holding the parameters, and ``<Name>``, a subclass
of :class:`SeedselectRun`. FiftyOne stores the config's class path with the run
and finds the run class by dropping ``"Config"`` from it, which is how
``delete_run`` reaches :meth:`SeedselectRun.cleanup` later.

A computation uses the module functions in this order:

1. :func:`run_lock` around everything below, so that two calls writing the same
   run key or field at the same time never mix their writes: the second fails
   with :class:`~seedselect.RunError`;
2. :func:`check_run_key` while validating, before anything is written;
3. :func:`start_run`, which records the run with ``status="running"``, owning
   the fields of the earlier run under the same key as well as its own (an
   earlier run's fields are not deleted here, so a process killed at any later
   point leaves every sample with its old or its new value);
4. its own writes, in place, each sample document updated atomically;
5. its clearing of values the earlier run left on samples the new run does not
   cover;
6. :func:`finish_run`, which deletes fields only the earlier run wrote, saves
   the results and then, last, sets ``status="complete"``.

A run whose process died halfway therefore stays visible with
``status="running"``, and :func:`list_seedselect_runs` reports it as
incomplete; :func:`get_run_config` refuses it when a later step needs finished
results, ``delete_run`` still removes its fields, and rerunning the same call
completes it with exactly the result of an uninterrupted run.

Every database round trip is bounded by ``SEEDSELECT_DB_TIMEOUT`` seconds (see
:func:`~seedselect.fo._io.db_timeout`); a database that stops answering turns
into a :class:`DatabaseUnavailableError` instead of a hang.
"""

from __future__ import annotations

import copy
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, TypeVar

import fiftyone.core.odm as foo
import fiftyone.core.runs as fors
from bson import json_util
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from .. import __version__
from .._exceptions import (
    DatabaseUnavailableError,
    InputError,
    RunError,
)
from ._io import DB_TIMEOUT_ENV, db_timeout, round_trip
from ._locks import (
    LOCK_COLLECTION,
    dataset_doc_lock,
    delete_fields,
    is_stale,
    lock_document,
    release_locks,
)

__all__ = [
    "LOCK_COLLECTION",
    "STATUS_COMPLETE",
    "STATUS_RUNNING",
    "DatabaseUnavailableError",
    "SeedselectRun",
    "SeedselectRunConfig",
    "SeedselectRunResults",
    "check_run_key",
    "database_errors",
    "finish_run",
    "get_run_config",
    "list_runs_of",
    "list_seedselect_runs",
    "record_run",
    "run_lock",
    "start_run",
]

logger = logging.getLogger(__name__)

#: Status of a run whose writes have started but not all finished.
STATUS_RUNNING = "running"
#: Status of a run whose writes all finished.
STATUS_COMPLETE = "complete"

_C = TypeVar("_C", bound="SeedselectRunConfig")

# Whether the call running in this context has recorded its run (set by
# record_run, cleared by run_lock): only then does a database failure leave the
# run recorded as incomplete.
_RUN_RECORDED: ContextVar[bool] = ContextVar("seedselect_run_recorded", default=False)


@contextmanager
def database_errors(what: str, run_key: str | None = None) -> Iterator[None]:
    """Turn a database that times out or drops the connection into a clear error.

    Parameters
    ----------
    what : str
        What the call was doing, for the message, e.g. ``"compute_hardness"``.
    run_key : str, optional
        The run being written; the message says it stays recorded as incomplete
        once the call has recorded it.

    Raises
    ------
    DatabaseUnavailableError
        For a pymongo connection failure or timeout raised inside the block.
    """
    try:
        yield
    except PyMongoError as exc:
        if not (isinstance(exc, ConnectionFailure) or getattr(exc, "timeout", False)):
            raise
        timeout = db_timeout()
        limit = "no limit" if timeout is None else f"{timeout:g} s"
        detail = str(exc).split(", Timeout:")[0].split(" (configured timeouts")[0]
        detail = detail[:200]
        recorded = run_key and _RUN_RECORDED.get()
        run = f"run {run_key!r} stays recorded as incomplete; " if recorded else ""
        raise DatabaseUnavailableError(
            f"{what}: the database did not answer (limit per round trip "
            f"{DB_TIMEOUT_ENV}={limit}; {type(exc).__name__}: {detail}). Every "
            f"sample holds its value from before the call or from this call; {run}"
            "check that the database server runs, then rerun the same call to "
            "complete it"
        ) from exc


class SeedselectRunConfig(fors.RunConfig):
    """Parameters of a seedselect run, stored with the run by FiftyOne.

    Subclasses add their own parameters as keyword arguments, store each as a
    public attribute (public attributes are what FiftyOne serializes, and what
    ``get_run_info(key).config`` shows) and pass the rest on to this class.

    Parameters
    ----------
    method : str, optional
        The method the run used, e.g. ``"entropy"``.
    input_fields : sequence of str, default=()
        Fields the run read (``"frames."`` prefix for frame fields).
    output_fields : sequence of str, default=()
        Fields and label attributes the run wrote; ``delete_run`` deletes them.
    status : {"running", "complete"}, default="running"
        Whether every write of the run has finished.
    finished_at : str, optional
        When the run was marked complete (ISO 8601, UTC).
    stale_fields : sequence of str, default=()
        Fields of an earlier run under the same key that this run does not
        write; they are deleted just before the run is marked complete.
    seedselect_version : str, optional
        The seedselect version that made the run; defaults to the current one.
    **kwargs
        Further JSON-serializable parameters.
    """

    def __init__(
        self,
        *,
        method: str | None = None,
        input_fields: Sequence[str] = (),
        output_fields: Sequence[str] = (),
        status: str = STATUS_RUNNING,
        finished_at: str | None = None,
        stale_fields: Sequence[str] = (),
        seedselect_version: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.input_fields = list(input_fields)
        self.output_fields = list(output_fields)
        self.status = status
        self.finished_at = finished_at
        self.stale_fields = list(stale_fields)
        self.seedselect_version = seedselect_version or __version__
        super().__init__(method=method, **kwargs)

    @property
    def complete(self) -> bool:
        """Whether the run finished all its writes."""
        return bool(self.status == STATUS_COMPLETE)


class SeedselectRun(fors.Run):
    """A seedselect run: knows its fields and how to delete them.

    Parameters
    ----------
    config : SeedselectRunConfig
    """

    config: SeedselectRunConfig

    def get_fields(self, samples: Any, key: str) -> list[str]:
        """Fields the run read and wrote; FiftyOne uses them in ``load_run_view``."""
        return list(self.config.input_fields) + list(self.config.output_fields)

    def cleanup(self, samples: Any, key: str) -> None:
        """Delete what the run wrote; FiftyOne calls it from ``delete_run``.

        FiftyOne logs an error raised here as a warning and goes on to delete
        the run record; :func:`~seedselect.fo.undo_selection` raises it instead.

        Raises
        ------
        DatabaseUnavailableError
            If the database stops answering.
        """
        with database_errors(f"delete_run({key!r})"):
            self.delete_outputs(samples, key)

    def delete_outputs(self, samples: Any, key: str) -> None:
        """Delete every field and label attribute the run wrote."""
        deleted = delete_fields(samples._root_dataset, self.config.output_fields)
        logger.info("Run '%s': deleted fields %s", key, deleted)


class SeedselectRunResults(fors.RunResults):
    """Summary of a finished seedselect run, kept by FiftyOne with the run.

    ``samples.load_run_results(key)`` returns it; each keyword given at
    construction is an attribute (counts, score statistics, timings).
    """


def _describe_run(config: fors.BaseRunConfig) -> str:
    name = type(config).__name__
    method = getattr(config, "method", None)
    return f"{name} (method={method!r})" if method else name


def check_run_key(samples: Any, run_key: Any, config_cls: type[_C]) -> _C | None:
    """Check that ``run_key`` may hold a run of ``config_cls``'s type.

    Parameters
    ----------
    samples : fiftyone.core.collections.SampleCollection
    run_key : str
        Must be a valid Python identifier, as FiftyOne requires.
    config_cls : type
        The config class of the run about to be made.

    Returns
    -------
    config : SeedselectRunConfig or None
        The config of the existing run of the same type under ``run_key`` (which
        the new run will replace), or None if the key is free.

    Raises
    ------
    InputError
        If ``run_key`` is not a valid identifier.
    RunError
        If another kind of run already uses ``run_key``.
    """
    if not isinstance(run_key, str) or not run_key.isidentifier():
        raise InputError(
            f"run_key={run_key!r} is not a valid run key; FiftyOne run keys must "
            "be Python identifiers (letters, digits and '_', not starting with a "
            "digit), e.g. 'hardness_v2'"
        )
    with round_trip():
        if not samples.has_run(run_key):
            return None
    try:
        with round_trip():
            existing = samples.get_run_info(run_key).config
    except PyMongoError:
        raise
    except Exception as exc:
        raise RunError(
            f"run_key={run_key!r} is used by a run whose record cannot be loaded "
            f"({exc}); pass another run_key or remove it with "
            f"samples.delete_run({run_key!r})"
        ) from exc
    if type(existing) is not config_cls:
        raise RunError(
            f"run_key={run_key!r} is already used by another kind of run, "
            f"{_describe_run(existing)}; pass another run_key or delete that run "
            f"with samples.delete_run({run_key!r})"
        )
    return existing


def start_run(
    samples: Any,
    run_key: str,
    config: SeedselectRunConfig,
    previous: SeedselectRunConfig | None = None,
) -> None:
    """Record ``config`` as a running run under ``run_key``, before any write.

    The earlier run of the same type under ``run_key`` (``previous``, from
    :func:`check_run_key`) is replaced in the run record but its fields are
    kept: the new record owns them too, so ``delete_run`` of an interrupted run
    removes everything, and the fields the new run does not write are deleted by
    :func:`finish_run`. Call inside :func:`run_lock`.
    """
    if previous is not None:
        config.stale_fields = [
            path
            for path in list(previous.output_fields) + list(previous.stale_fields)
            if path not in config.output_fields
        ]
        config.output_fields = list(config.output_fields) + config.stale_fields
    config.status = STATUS_RUNNING
    config.finished_at = None
    with round_trip():
        record_run(samples, run_key, config)
    logger.debug("registered run '%s' (%s)", run_key, _describe_run(config))


def record_run(samples: Any, run_key: str, config: SeedselectRunConfig) -> None:
    """Record ``config`` as the run ``run_key`` of ``samples``, crash-safely.

    FiftyOne's ``register_run(overwrite=True)`` deletes the old run record
    before it saves the new one, so a process killed in between loses the run.
    An existing record is therefore updated in place, with one atomic update
    of its document; a new key is registered as usual (a process killed there
    has written nothing else yet).
    """
    _RUN_RECORDED.set(True)
    if run_key not in samples._root_dataset.list_runs():
        # The run's key goes into the dataset's document, with the other runs'.
        with dataset_doc_lock(samples._root_dataset):
            config.build().register_run(samples, run_key, overwrite=False)
        return
    run_doc = fors.Run._get_run_doc(samples, run_key)
    run_doc.config = copy.deepcopy(config.serialize())
    run_doc.timestamp = datetime.now(timezone.utc).replace(tzinfo=None)
    if samples is samples._root_dataset:
        run_doc.view_stages = None
    else:
        run_doc.view_stages = [
            json_util.dumps(stage) for stage in samples._serialize(include_uuids=False)
        ]
    run_doc.save()


def finish_run(
    samples: Any,
    run_key: str,
    config: SeedselectRunConfig,
    results_cls: type[SeedselectRunResults] = SeedselectRunResults,
    **summary: Any,
) -> SeedselectRunResults:
    """Delete stale fields, save the summary, then mark the run complete.

    Call after the last write of the run's values; the status is the last
    thing written, so a run recorded as complete has all its writes.

    Parameters
    ----------
    samples : fiftyone.core.collections.SampleCollection
        The collection passed to :func:`start_run`.
    run_key : str
    config : SeedselectRunConfig
        The config passed to :func:`start_run`.
    results_cls : type, default=SeedselectRunResults
        The results class to store.
    **summary
        JSON-serializable facts about the run, stored as result attributes.

    Returns
    -------
    results : SeedselectRunResults
    """
    stale = list(config.stale_fields)
    delete_fields(samples._root_dataset, stale)
    results = results_cls(samples, config, run_key, **summary)
    with round_trip():
        fors.Run.save_run_results(samples, run_key, results, overwrite=True, cache=True)
    config.output_fields = [p for p in config.output_fields if p not in stale]
    config.stale_fields = []
    config.status = STATUS_COMPLETE
    config.finished_at = datetime.now(timezone.utc).isoformat()
    with round_trip():
        fors.Run.update_run_config(samples, run_key, config)
    return results


def list_runs_of(samples: Any, config_cls: type[SeedselectRunConfig]) -> list[str]:
    """Keys of the runs on ``samples`` whose config is a ``config_cls``."""
    keys = []
    with round_trip():
        all_keys = samples.list_runs()
    for key in all_keys:
        try:
            with round_trip():
                config = samples.get_run_info(key).config
        except PyMongoError:
            raise
        except Exception:  # a run of a package that is not installed
            continue
        if isinstance(config, config_cls):
            keys.append(key)
    return keys


def get_run_config(
    samples: Any,
    run_key: str,
    config_cls: type[_C],
    *,
    require_complete: bool = True,
) -> _C:
    """Return the config of the ``config_cls`` run under ``run_key``.

    Raises
    ------
    RunError
        If there is no such run, it is of another type, or (with
        ``require_complete``) it did not finish.
    """
    with round_trip():
        known = samples.has_run(run_key)
    if not known:
        keys = list_runs_of(samples, config_cls)
        hint = f"; runs of this kind: {keys}" if keys else ""
        raise RunError(
            f"run_key={run_key!r} names no run on this collection{hint}; run the "
            "computation first or pass the key of an existing run"
        )
    config = check_run_key(samples, run_key, config_cls)
    assert config is not None
    if require_complete and not config.complete:
        raise RunError(
            f"run {run_key!r} has status {config.status!r}: it stopped before all "
            f"its writes finished; rerun it, or delete it with "
            f"samples.delete_run({run_key!r})"
        )
    return config


@database_errors("list_seedselect_runs")
def list_seedselect_runs(samples: Any) -> list[dict[str, Any]]:
    """Every seedselect run on ``samples``, with whether it finished.

    A run whose process was killed or whose database stopped halfway has
    ``status="running"`` and ``complete=False``; rerun the same call to
    complete it, or delete it with ``samples.delete_run(key)``.

    Parameters
    ----------
    samples : fiftyone.core.collections.SampleCollection

    Returns
    -------
    runs : list of dict
        One dict per run, in key order, with ``key``, ``type`` (the config
        class, e.g. ``"HardnessRunConfig"``), ``method``, ``status``,
        ``complete``, ``started_at`` (datetime, when the run was recorded),
        ``finished_at`` (ISO 8601 string, or None while incomplete),
        ``output_fields`` and ``seedselect_version``.

    Raises
    ------
    DatabaseUnavailableError
        If the database stops answering.
    """
    runs = []
    with round_trip():
        keys = sorted(samples.list_runs())
    for key in keys:
        try:
            with round_trip():
                info = samples.get_run_info(key)
        except PyMongoError:
            raise
        except Exception:  # a run of a package that is not installed
            continue
        config = info.config
        if not isinstance(config, SeedselectRunConfig):
            continue
        runs.append(
            {
                "key": key,
                "type": type(config).__name__,
                "method": getattr(config, "method", None),
                "status": config.status,
                "complete": config.complete,
                "started_at": info.timestamp,
                "finished_at": getattr(config, "finished_at", None),
                "output_fields": list(config.output_fields),
                "seedselect_version": config.seedselect_version,
            }
        )
    return runs


# ---------------------------------------------------------------------------
# Locks


@contextmanager
def run_lock(dataset: Any, names: Sequence[str], what: str = "") -> Iterator[None]:
    """Hold exclusive locks on ``names`` (run key, tag, view, field) of ``dataset``.

    The locks are documents in FiftyOne's database, so they keep apart calls
    of different processes and machines. A lock held by a process of this host
    that no longer exists (killed while writing), or left in this process by a
    call whose database failed, is taken over; a lock held by a live call raises
    :class:`~seedselect.RunError`. Database failures inside the block become
    :class:`DatabaseUnavailableError`.

    Parameters
    ----------
    dataset : fiftyone.core.dataset.Dataset
    names : sequence of str
        What the call writes, e.g. ``["run:seeds", "tag:seeds"]``.
    what : str, optional
        The name of the call, for error messages.
    """
    token = uuid.uuid4().hex
    held: list[str] = []
    label = what or "seedselect"
    run_key = next((n[4:] for n in names if n.startswith("run:")), None)
    recorded = _RUN_RECORDED.set(False)
    try:
        with database_errors(label, run_key):
            with round_trip():
                coll = foo.get_db_conn()[LOCK_COLLECTION]
            try:
                for name in sorted(set(names)):
                    lock_id = f"{dataset._doc.id}:{name}"
                    with round_trip():
                        _acquire(coll, lock_id, token, dataset.name, name)
                    held.append(lock_id)
                yield
            finally:
                release_locks(coll, held, token)
    finally:
        _RUN_RECORDED.reset(recorded)


def _acquire(coll: Any, lock_id: str, token: str, dataset_name: str, name: str) -> None:
    doc = lock_document(lock_id, token)
    # Two attempts: the second follows the removal or takeover of a stale lock.
    for _ in range(2):
        try:
            coll.insert_one(doc)
            return
        except DuplicateKeyError:
            holder = coll.find_one({"_id": lock_id})
        if holder is None:
            continue
        if not is_stale(holder):
            raise RunError(
                f"another seedselect call (process {holder.get('pid')} on "
                f"{holder.get('host')}, started {holder.get('started_at')}) is "
                f"writing {name!r} on dataset '{dataset_name}'; wait for it to "
                "finish or choose another run_key, tag, field or saved_view_name"
            )
        replaced = coll.find_one_and_replace(
            {"_id": lock_id, "token": holder["token"]}, doc
        )
        if replaced is not None:
            logger.warning(
                "Took over the lock on %r of dataset '%s' left by process %s, "
                "whose call no longer runs",
                name,
                dataset_name,
                holder.get("pid"),
            )
            return
    raise RunError(
        f"could not lock {name!r} on dataset '{dataset_name}'; another call is "
        "starting on it, try again"
    )
