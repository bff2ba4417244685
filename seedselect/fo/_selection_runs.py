"""Run records, ownership and ordered writes shared by select_seeds and expand_seeds.

A selection owns four things on the dataset, all named by the user or derived from
the run key: a tag, fields (``<run_key>_rank``, ``<run_key>_reason``, ...), a saved
view, and the FiftyOne run record itself. This module checks that a new selection
takes nothing that belongs to someone else, writes those things in an order that a
rerun can always repair, and removes them again on undo.

Order of the writes (see :func:`commit_selection`):

1. the run record, with ``status="running"`` and the names of everything an earlier
   run under the same key owned (so that a crash here loses nothing);
2. the new field values on the chosen samples;
3. the fields cleared on samples that the earlier run chose and this one did not;
4. the tag taken off those samples, then put on the chosen ones (one bulk update);
5. the saved view;
6. the results, then the run record marked ``status="complete"``.

Every field therefore holds, on every sample, either its value from before the call
or its value from the new call, and rerunning the same call after a crash at any
point gives the result of an uninterrupted run.

Two calls that would write the same run key, tag or saved view at the same time
are kept apart by a lock document in FiftyOne's database; the second call fails
with :class:`~seedselect.RunError` instead of interleaving its writes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import fiftyone.core.fields as fof
import fiftyone.core.odm as foo
import fiftyone.core.patches as fop
import fiftyone.core.runs as fors
from bson import ObjectId
from pymongo import UpdateMany, UpdateOne

from .._exceptions import InputError, RunError
from ._io import DEFAULT_CHUNK_SIZE, chunk_slices, round_trip
from ._locks import dataset_doc_lock, delete_fields, ensure_fields
from ._runs import (
    LOCK_COLLECTION,
    STATUS_COMPLETE,
    STATUS_RUNNING,
    SeedselectRun,
    SeedselectRunConfig,
    SeedselectRunResults,
    check_run_key,
    database_errors,
    list_runs_of,
    record_run,
    run_lock,
)

__all__ = [
    "LOCK_COLLECTION",
    "SelectionRunConfig",
    "SelectionRun",
    "SeedSelectionRunConfig",
    "SeedSelectionRun",
    "SeedExpansionRunConfig",
    "SeedExpansionRun",
    "SelectionResults",
    "Target",
    "make_target",
    "run_lock",
    "check_ownership",
    "commit_selection",
    "undo_selection",
    "get_selection_config",
    "output_name",
]

logger = logging.getLogger(__name__)


#: FiftyOne field type of each per-sample output, by suffix.
OUTPUT_TYPES: dict[str, type[fof.Field]] = {
    "rank": fof.IntField,
    "reason": fof.StringField,
    "seed_id": fof.StringField,
    "distance": fof.FloatField,
}


def output_name(run_key: str, suffix: str) -> str:
    """Name of the field (or label attribute) ``suffix`` of the run ``run_key``."""
    return f"{run_key}_{suffix}"


# ---------------------------------------------------------------------------
# Run classes


class SelectionRunConfig(SeedselectRunConfig):
    """Parameters of a selection run, with the names of what it owns.

    Parameters
    ----------
    tag : str
        The tag put on the chosen samples (or, on patch views, on the chosen
        labels of ``patches_field``).
    saved_view_name : str
        Name under which the chosen samples are saved as a view.
    patches_field : str or None
        The label field of the patches view the run selected from, or None when
        whole samples were selected.
    stale_tags : list of dict
        Tags an interrupted or replaced run under the same key left behind, as
        ``{"tag": ..., "patches_field": ...}``; removed by the run's cleanup.
    stale_saved_views : list of str
        Saved views an earlier run under the same key left behind.
    **kwargs
        The remaining configuration, passed to :class:`SeedselectRunConfig`.
    """

    def __init__(
        self,
        *,
        tag: str = "",
        saved_view_name: str = "",
        patches_field: str | None = None,
        stale_tags: Sequence[dict[str, Any]] = (),
        stale_saved_views: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        self.tag = tag
        self.saved_view_name = saved_view_name
        self.patches_field = patches_field
        self.stale_tags = [dict(t) for t in stale_tags]
        self.stale_saved_views = list(stale_saved_views)
        super().__init__(**kwargs)

    def owned_tags(self) -> list[dict[str, Any]]:
        """Every tag the run may have written, current and stale."""
        current = {"tag": self.tag, "patches_field": self.patches_field}
        return [current] + [t for t in self.stale_tags if t != current]

    def owned_saved_views(self) -> list[str]:
        """Every saved view the run may have written, current and stale."""
        names = [self.saved_view_name] + list(self.stale_saved_views)
        return list(dict.fromkeys(n for n in names if n))


class SelectionRun(SeedselectRun):
    """A selection run; its cleanup removes tags, fields and saved views."""

    config: SelectionRunConfig

    def delete_outputs(self, samples: Any, key: str) -> None:
        """Undo the selection: untag, delete its fields and its saved views."""
        dataset = samples._root_dataset
        for owned in self.config.owned_tags():
            with round_trip():
                _remove_tag(dataset, owned["tag"], owned["patches_field"])
        with round_trip():
            saved = set(dataset.list_saved_views())
        views = [n for n in self.config.owned_saved_views() if n in saved]
        if views:
            with dataset_doc_lock(dataset):
                for name in views:
                    with round_trip():
                        dataset.delete_saved_view(name)
        super().delete_outputs(samples, key)


class SeedSelectionRunConfig(SelectionRunConfig):
    """Configuration of a :func:`~seedselect.fo.select_seeds` run."""


class SeedSelectionRun(SelectionRun):
    """A :func:`~seedselect.fo.select_seeds` run."""


class SeedExpansionRunConfig(SelectionRunConfig):
    """Configuration of an :func:`~seedselect.fo.expand_seeds` run."""


class SeedExpansionRun(SelectionRun):
    """An :func:`~seedselect.fo.expand_seeds` run."""


class SelectionResults(SeedselectRunResults):
    """What a selection chose, kept with its run.

    Attributes include ``ids`` (chosen sample or patch ids in selection order),
    ``reasons``, ``scores``, ``classes`` and, depending on the run, the class table,
    pool statistics, seed links and timings.
    """


# ---------------------------------------------------------------------------
# What a selection writes to


@dataclass
class Target:
    """The collection a selection writes to, and how.

    Attributes
    ----------
    samples : SampleCollection
        The dataset or view the user passed.
    dataset : fiftyone.core.dataset.Dataset
        Its root dataset, where the tags, fields, view and run live.
    patches_field : str or None
        For a patches view, its label field: the selection then picks objects,
        whose ids are the patch ids, and writes label tags and label attributes.
    list_root : str or None
        Path of the label list in the root dataset, e.g.
        ``"ground_truth.detections"``.
    """

    samples: Any
    dataset: Any
    patches_field: str | None = None
    list_root: str | None = None

    @property
    def is_patches(self) -> bool:
        return self.patches_field is not None

    @property
    def noun(self) -> str:
        return "patches" if self.is_patches else "samples"

    def view_path(self, name: str) -> str:
        """Path of output ``name`` on :attr:`samples`."""
        return f"{self.patches_field}.{name}" if self.is_patches else name

    def root_path(self, name: str) -> str:
        """Path of output ``name`` on :attr:`dataset`."""
        return f"{self.list_root}.{name}" if self.is_patches else name


def make_target(samples: Any, name: str = "samples") -> Target:
    """Describe ``samples`` as a :class:`Target`, or explain why it cannot be one.

    Parameters
    ----------
    samples : SampleCollection
        A dataset or view (image, video or other media), or a patches view made
        with ``to_patches``.
    name : str, default="samples"
        The argument's name, for error messages.
    """
    if not hasattr(samples, "_root_dataset") or not hasattr(samples, "values"):
        raise InputError(
            f"{name} is a {type(samples).__name__}; pass a FiftyOne dataset or view"
        )
    if isinstance(samples, fop.EvaluationPatchesView):
        raise InputError(
            f"{name} is an evaluation patches view (to_evaluation_patches), whose "
            "patches mix two label fields; select from "
            "dataset.to_patches(<label field>) instead"
        )
    if isinstance(samples, fop.PatchesView):
        if samples._is_frames:
            raise InputError(
                f"{name} holds patches of video frames; select whole videos from "
                "their per-sample hardness, or patches of an image dataset"
            )
        field = samples.patches_field
        dataset = samples._root_dataset
        root, _ = dataset._get_label_field_root(field)
        return Target(samples, dataset, patches_field=field, list_root=root)
    if samples._is_frames or samples._is_clips:
        raise InputError(
            f"{name} is a frames or clips view; select whole videos from the video "
            "dataset (per-sample hardness), or objects from a patches view"
        )
    return Target(samples, samples._root_dataset)


# ---------------------------------------------------------------------------
# Ownership


def _all_selection_configs(dataset: Any) -> dict[str, SelectionRunConfig]:
    out: dict[str, SelectionRunConfig] = {}
    for key in list_runs_of(dataset, SelectionRunConfig):
        with round_trip():
            out[key] = dataset.get_run_info(key).config
    return out


def check_ownership(
    target: Target,
    run_key: str,
    config_cls: type[SelectionRunConfig],
    *,
    tag: str,
    saved_view_name: str,
    outputs: Sequence[str],
) -> SelectionRunConfig | None:
    """Check that the run key, tag, saved view and fields are free or ours.

    Returns the config of the earlier run of the same kind under ``run_key``,
    which the new run replaces, or None.

    Raises
    ------
    RunError
        If another kind of run uses ``run_key``, or another run or the user owns
        the tag, the saved view or an output field.
    """
    dataset = target.dataset
    previous = check_run_key(target.samples, run_key, config_cls)
    others = {k: c for k, c in _all_selection_configs(dataset).items() if k != run_key}

    # The tag: not another run's, and not already on samples unless ours.
    for key, config in others.items():
        if any(t["tag"] == tag for t in config.owned_tags()):
            raise RunError(
                f"tag={tag!r} belongs to the seedselect run {key!r}; pass another "
                f"tag, or undo that run with undo_selection(dataset, {key!r})"
            )
    ours = previous.owned_tags() if previous is not None else []
    if not any(t["tag"] == tag for t in ours):
        count, example = _tag_holders(target, tag)
        if count:
            where = f"labels of {target.patches_field!r}" if target.is_patches else ""
            raise RunError(
                f"tag={tag!r} is already on {count} {where or 'samples'} (e.g. "
                f"{example}) that no seedselect run under run_key={run_key!r} "
                "tagged; undoing this selection would remove it from them too. "
                "Pass another tag, or remove it first with untag_samples / "
                "untag_labels"
            )

    # The saved view.
    mine_views = previous.owned_saved_views() if previous is not None else []
    with round_trip():
        saved_views = dataset.list_saved_views()
    if saved_view_name in saved_views and saved_view_name not in mine_views:
        owner = [
            k for k, c in others.items() if saved_view_name in c.owned_saved_views()
        ]
        whose = f"the seedselect run {owner[0]!r}" if owner else "the user"
        raise RunError(
            f"saved_view_name={saved_view_name!r} is a saved view of {whose}; pass "
            "another saved_view_name or delete that view first"
        )

    # The output fields.
    mine_fields = set(previous.output_fields) if previous is not None else set()
    for name in outputs:
        path = target.root_path(name)
        if path in mine_fields or not _field_exists(dataset, path):
            continue
        raise RunError(
            f"run_key={run_key!r} would write field {path!r}, which already exists "
            "and belongs to no earlier run under this key; pass another run_key "
            "or delete the field first"
        )
    return previous


def _field_exists(dataset: Any, path: str) -> bool:
    if dataset.has_field(path):
        return True
    if "." not in path:
        return False
    # An undeclared attribute of a label can still hold values.
    try:
        with round_trip():
            return bool(dataset.count(path))
    except ValueError:
        return False


def _tag_holders(target: Target, tag: str) -> tuple[int, str | None]:
    dataset = target.dataset
    with round_trip():
        if target.is_patches:
            view = dataset.select_labels(tags=tag, fields=target.patches_field)
            count = int(view.count_label_tags(target.patches_field).get(tag, 0))
        else:
            view = dataset.match_tags(tag)
            count = int(view.count())
    if not count:
        return 0, None
    with round_trip():
        return count, str(view.first().id)


def _remove_tag(dataset: Any, tag: str, patches_field: str | None) -> None:
    if not tag:
        return
    if patches_field is None:
        dataset.untag_samples(tag)
    elif dataset.has_field(patches_field):
        dataset.untag_labels(tag, label_fields=patches_field)


# ---------------------------------------------------------------------------
# Ordered writes


def commit_selection(
    target: Target,
    run_key: str,
    config: SelectionRunConfig,
    previous: SelectionRunConfig | None,
    ids: Sequence[str],
    columns: dict[str, Sequence[Any]],
    results: dict[str, Any],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> dict[str, float]:
    """Write a validated selection to the dataset, in crash-safe order.

    Parameters
    ----------
    target : Target
    run_key : str
    config : SelectionRunConfig
        The new run's configuration; its ``output_fields`` are set here.
    previous : SelectionRunConfig or None
        The run this one replaces (from :func:`check_ownership`).
    ids : sequence of str
        Chosen sample (or patch) ids, in selection order.
    columns : dict of str to sequence
        Output suffix (``"rank"``, ``"reason"``, ...) to one value per id.
    results : dict
        JSON-serializable results stored with the finished run.
    chunk_size : int
        Samples per bulk update.

    Returns
    -------
    dict of str to float
        Seconds spent in each write phase.
    """
    timings: dict[str, float] = {}
    dataset = target.dataset
    names = [output_name(run_key, suffix) for suffix in columns]
    paths = [target.root_path(n) for n in names]

    # 1. The run record, owning everything the earlier run owned.
    start = time.perf_counter()
    stale_paths: list[str] = []
    if previous is not None:
        stale_paths = [p for p in previous.output_fields if p not in paths]
        config.stale_tags = [
            t
            for t in previous.owned_tags()
            if t != {"tag": config.tag, "patches_field": config.patches_field}
        ]
        config.stale_saved_views = [
            v for v in previous.owned_saved_views() if v != config.saved_view_name
        ]
    config.output_fields = paths + stale_paths
    config.status = STATUS_RUNNING
    with round_trip():
        record_run(target.samples, run_key, config)
    timings["register"] = time.perf_counter() - start

    # 2-3. New values on the chosen samples, then old values cleared elsewhere.
    start = time.perf_counter()
    ensure_fields(
        dataset,
        {
            path: OUTPUT_TYPES.get(suffix, fof.StringField)
            for suffix, path in zip(columns, paths, strict=True)
        },
    )
    _write_columns(
        target, dict(zip(names, columns.values(), strict=True)), ids, chunk_size
    )
    _clear_others(target, names, set(ids), chunk_size)
    delete_fields(dataset, stale_paths)
    timings["write_fields"] = time.perf_counter() - start

    # 4. The tag: off the samples no longer chosen, then on the chosen ones.
    start = time.perf_counter()
    for owned in config.stale_tags:
        with round_trip():
            _remove_tag(dataset, owned["tag"], owned["patches_field"])
    with round_trip():
        _retag(target, config.tag, ids)
    timings["tag"] = time.perf_counter() - start

    # 5. The saved view.
    start = time.perf_counter()
    with dataset_doc_lock(dataset), round_trip():
        # A process killed inside FiftyOne's save_view leaves the dataset's list
        # of views and the views themselves out of step; put them back first.
        if _saved_views_out_of_step(dataset):
            foo.patch_saved_views(dataset.name)
            dataset.reload()
        saved = set(dataset.list_saved_views())
        for name in config.stale_saved_views:
            if name in saved:
                dataset.delete_saved_view(name)
        view = target.samples.select(list(ids), ordered=True)
        dataset.save_view(config.saved_view_name, view, overwrite=True)
    timings["save_view"] = time.perf_counter() - start

    # 6. The results, and only then the status that says all is written.
    start = time.perf_counter()
    stored = SelectionResults(target.samples, config, run_key, **results)
    with round_trip():
        fors.Run.save_run_results(target.samples, run_key, stored, overwrite=True)
    config.stale_tags = []
    config.stale_saved_views = []
    config.output_fields = paths
    config.status = STATUS_COMPLETE
    config.finished_at = datetime.now(timezone.utc).isoformat()
    with round_trip():
        fors.Run.update_run_config(target.samples, run_key, config)
    timings["finish"] = time.perf_counter() - start
    return timings


def _saved_views_out_of_step(dataset: Any) -> bool:
    """Whether the dataset's view references and its view documents differ."""
    conn = foo.get_db_conn()
    doc = conn.datasets.find_one({"_id": dataset._doc.id}, {"saved_views": 1})
    listed = set((doc or {}).get("saved_views") or [])
    views = conn.views.find({"_dataset_id": dataset._doc.id}, {"_id": 1})
    stored = {view["_id"] for view in views}
    return listed != stored


def _write_columns(
    target: Target,
    columns: dict[str, Sequence[Any]],
    ids: Sequence[str],
    chunk: int,
) -> None:
    """Set every output on the chosen samples: one update per sample, so that a
    sample's fields always come from the same run."""
    if not target.is_patches:
        dataset = target.samples._dataset
        now = datetime.now(timezone.utc)
        for where in chunk_slices(len(ids), chunk):
            object_ids = [ObjectId(i) for i in ids[where]]
            ops = [
                UpdateOne(
                    {"_id": object_ids[k - where.start]},
                    {
                        "$set": {
                            **{name: values[k] for name, values in columns.items()},
                            "last_modified_at": now,
                        }
                    },
                )
                for k in range(where.start, where.stop)
            ]
            with round_trip():
                dataset._bulk_write(ops, ids=object_ids)
        return
    # Patches: write through the view, which mirrors the values onto the labels of
    # the source dataset, so the returned view and the dataset agree.
    patches_dataset = target.samples._dataset
    for name, values in columns.items():
        path = target.view_path(name)
        if not patches_dataset.has_field(path):
            kind = target.dataset.get_field(target.root_path(name))
            with round_trip():
                patches_dataset.add_sample_field(path, type(kind))
        for where in chunk_slices(len(ids), chunk):
            with round_trip():
                target.samples.set_label_values(
                    path,
                    dict(zip(ids[where], values[where], strict=True)),
                    validate=False,
                )


def _clear_others(
    target: Target, names: Sequence[str], keep: set[str], chunk: int
) -> None:
    """Set the outputs ``names`` to None wherever they hold a value outside
    ``keep``, all of a sample's outputs in one update."""
    dataset = target.dataset
    if not target.is_patches:
        holders: set[str] = set()
        for name in names:
            with round_trip():
                found = dataset.exists(name).values("_id")
            holders.update(str(i) for i in found)
        stale = sorted(i for i in holders if i not in keep)
        now = datetime.now(timezone.utc)
        update = {"$set": {**dict.fromkeys(names), "last_modified_at": now}}
        for where in chunk_slices(len(stale), chunk):
            object_ids = [ObjectId(i) for i in stale[where]]
            op = UpdateMany({"_id": {"$in": object_ids}}, update)
            with round_trip():
                dataset._bulk_write([op], ids=object_ids)
        return
    for name in names:
        path = target.root_path(name)
        with round_trip():
            label_ids, values = dataset.values(
                [f"{target.list_root}.id", path], unwind=True
            )
        stale_labels = [
            i
            for i, v in zip(label_ids, values, strict=True)
            if v is not None and i not in keep
        ]
        for where in chunk_slices(len(stale_labels), chunk):
            with round_trip():
                dataset.set_label_values(path, dict.fromkeys(stale_labels[where]))


def _retag(target: Target, tag: str, ids: Sequence[str]) -> None:
    dataset = target.dataset
    if not target.is_patches:
        holders = dataset.match_tags(tag)
        chosen = set(ids)
        stale = [i for i in holders.values("id") if i not in chosen]
        if stale:
            dataset.select(stale).untag_samples(tag)
        dataset.select(list(ids)).tag_samples(tag)
        return
    field = target.patches_field
    tagged = dataset.select_labels(tags=tag, fields=field)
    chosen = set(ids)
    stale = [i for i in tagged.values(f"{target.list_root}.id", unwind=True)]
    stale = [i for i in stale if i not in chosen]
    if stale:
        dataset.select_labels(ids=stale, fields=field).untag_labels(
            tag, label_fields=field
        )
    target.samples.select(list(ids)).tag_labels(tag, label_fields=field)


# ---------------------------------------------------------------------------
# Lookup and undo


def get_selection_config(
    samples: Any, run_key: str, *, require_complete: bool = True
) -> SelectionRunConfig:
    """Config of the selection or expansion run ``run_key``.

    Raises
    ------
    RunError
        If there is no such run, it is another kind of run, or (with
        ``require_complete``) it stopped before all its writes finished.
    """
    keys = list_runs_of(samples, SelectionRunConfig)
    if run_key not in keys:
        with round_trip():
            known = samples.has_run(run_key)
        if known:
            with round_trip():
                kind = type(samples.get_run_info(run_key).config).__name__
            raise RunError(
                f"run_key={run_key!r} is a {kind} run, not a selection; pass the "
                f"key of a select_seeds or expand_seeds run (these: {keys})"
            )
        raise RunError(
            f"run_key={run_key!r} names no selection run on dataset "
            f"'{samples._root_dataset.name}' (selection runs: {keys}); pass one of "
            "those or run select_seeds first"
        )
    with round_trip():
        config = samples.get_run_info(run_key).config
    if require_complete and config.status != STATUS_COMPLETE:
        raise RunError(
            f"run {run_key!r} has status {config.status!r}: it stopped before all its "
            "writes finished; rerun the same call to complete it, or undo it with "
            f"undo_selection(dataset, {run_key!r})"
        )
    return config


@database_errors("undo_selection")
def undo_selection(samples: Any, run_key: str) -> None:
    """Undo a selection or expansion completely.

    Removes the run's tag, the fields it wrote, its saved view and then the run
    record, also for a run that stopped halfway. ``samples.delete_run(run_key)``
    does the same through FiftyOne.

    Parameters
    ----------
    samples : SampleCollection
        The dataset (or any view of it) the run was made on.
    run_key : str
        The run's key.

    Raises
    ------
    RunError
        If ``run_key`` names no selection run.
    DatabaseUnavailableError
        If the database stops answering; rerun the call to finish the undo.
    """
    dataset = samples._root_dataset
    config = get_selection_config(dataset, run_key, require_complete=False)
    names = [f"run:{run_key}", f"tag:{config.tag}", f"view:{config.saved_view_name}"]
    with run_lock(dataset, names, "undo_selection"):
        run = config.build()
        run.delete_outputs(dataset, run_key)
        with dataset_doc_lock(dataset), round_trip():
            fors.Run.delete_run(dataset, run_key, cleanup=False)
    logger.info("Undid selection run '%s' on dataset '%s'", run_key, dataset.name)
