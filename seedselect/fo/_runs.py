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

1. :func:`check_run_key` while validating, before anything is written;
2. :func:`start_run`, which replaces an earlier run of the same type under the
   same key (deleting the fields it wrote) and records the new one with
   ``status="running"``;
3. its own writes, declaring each written field in the config's
   ``output_fields``;
4. :func:`finish_run`, which sets ``status="complete"`` and saves a summary.

A run whose process died halfway therefore stays visible with
``status="running"``; :func:`get_run_config` refuses it when a later step needs
finished results, and ``delete_run`` still removes its partial fields.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeVar

import fiftyone.core.runs as fors

from .. import __version__
from .._exceptions import InputError, RunError
from ._io import delete_fields

__all__ = [
    "STATUS_COMPLETE",
    "STATUS_RUNNING",
    "SeedselectRun",
    "SeedselectRunConfig",
    "SeedselectRunResults",
    "check_run_key",
    "finish_run",
    "get_run_config",
    "list_runs_of",
    "start_run",
]

logger = logging.getLogger(__name__)

#: Status of a run whose writes have started but not all finished.
STATUS_RUNNING = "running"
#: Status of a run whose writes all finished.
STATUS_COMPLETE = "complete"

_C = TypeVar("_C", bound="SeedselectRunConfig")


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
        seedselect_version: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.input_fields = list(input_fields)
        self.output_fields = list(output_fields)
        self.status = status
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
    if not samples.has_run(run_key):
        return None
    try:
        existing = samples.get_run_info(run_key).config
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


def start_run(samples: Any, run_key: str, config: SeedselectRunConfig) -> None:
    """Record ``config`` as a running run under ``run_key``.

    An existing run of the same type under ``run_key`` is deleted first,
    fields included. Call :func:`check_run_key` before.
    """
    config.status = STATUS_RUNNING
    run = config.build()
    run.register_run(samples, run_key, overwrite=True, cleanup=True)
    logger.debug("registered run '%s' (%s)", run_key, _describe_run(config))


def finish_run(
    samples: Any,
    run_key: str,
    config: SeedselectRunConfig,
    results_cls: type[SeedselectRunResults] = SeedselectRunResults,
    **summary: Any,
) -> SeedselectRunResults:
    """Mark the run complete and store its summary; call after the last write.

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
    config.status = STATUS_COMPLETE
    fors.Run.update_run_config(samples, run_key, config)
    results = results_cls(samples, config, run_key, **summary)
    fors.Run.save_run_results(samples, run_key, results, overwrite=True, cache=True)
    return results


def list_runs_of(samples: Any, config_cls: type[SeedselectRunConfig]) -> list[str]:
    """Keys of the runs on ``samples`` whose config is a ``config_cls``."""
    keys = []
    for key in samples.list_runs():
        try:
            config = samples.get_run_info(key).config
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
    if not samples.has_run(run_key):
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
