"""select_seeds: choose the next labeling batch from a FiftyOne dataset or view.

The call reads the hardness (and, when asked, classes and embeddings) of every
sample of the view in chunks, checks all of it, runs
:func:`seedselect.selection.select_batch`, and only then writes: the run record,
each chosen sample's rank and reason, the tag and the saved view (see
:mod:`seedselect.fo._selection_runs` for the order). A bad input raises before
anything in the dataset changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import fiftyone.core.fields as fof
import fiftyone.core.labels as fol
import numpy as np

from .._exceptions import FieldError, InputError
from .._validation import RandomState, check_count, check_random_state
from ..selection import AUTO_DIVERSITY, select_batch
from ._io import (
    DEFAULT_CHUNK_SIZE,
    IdArray,
    VectorDecoder,
    check_chunk_size,
    iter_chunks,
    make_progress,
    round_trip,
)
from ._runs import database_errors
from ._selection_runs import (
    SeedSelectionRunConfig,
    Target,
    check_ownership,
    commit_selection,
    make_target,
    output_name,
    run_lock,
)

__all__ = ["select_seeds"]

logger = logging.getLogger(__name__)

# Single-label types whose ``label`` attribute names a class.
_SINGLE_LABEL_TYPES = (fol.Classification, fol.Detection, fol.Polyline, fol.Keypoint)
_CLASS_FIELD_TYPES = (fof.StringField, fof.IntField, fof.BooleanField)
_NUMERIC_FIELD_TYPES = (fof.FloatField, fof.IntField)


# ---------------------------------------------------------------------------
# Argument checks shared with expand_seeds


def check_name(value: Any, name: str) -> str:
    """A non-empty string argument (tag, view name)."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name}={value!r} must be a non-empty string")
    return value


def check_tags(value: Any, name: str) -> list[str]:
    """None, a tag, or an iterable of tags, as a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        tags = list(value)
    except TypeError:
        raise InputError(f"{name}={value!r} must be a tag or a list of tags") from None
    if not all(isinstance(t, str) for t in tags):
        raise InputError(f"{name}={value!r} must hold strings only")
    return tags


def check_collection(value: Any, name: str) -> Any:
    """A FiftyOne dataset or view (or None)."""
    if value is not None and not hasattr(value, "_root_dataset"):
        raise InputError(
            f"{name} is a {type(value).__name__}; pass a FiftyOne dataset or view"
        )
    return value


@dataclass
class RunPlan:
    """Validated count, chunk size and output names of one selection call."""

    n_select: int
    chunk_size: int
    tag: str
    saved_view_name: str
    exclude_tags: list[str]
    lock_names: list[str]


def check_run_plan(
    n_select: Any,
    *,
    run_key: str,
    tag: Any,
    saved_view_name: Any,
    exclude_tags: Any,
    exclude_view: Any,
    chunk_size: Any,
) -> RunPlan:
    """Check what select_seeds and expand_seeds share: count, tag, view, locks.

    The tag and the saved view default to the run key. A run may not exclude
    its own tag, or a rerun would skip what it chose before.
    """
    n_select = check_count(n_select, "n_select", minimum=1)
    chunk_size = check_chunk_size(chunk_size)
    tag = check_name(run_key if tag is None else tag, "tag")
    view_name = check_name(
        run_key if saved_view_name is None else saved_view_name, "saved_view_name"
    )
    excluded_tags = check_tags(exclude_tags, "exclude_tags")
    if tag in excluded_tags:
        raise InputError(
            f"exclude_tags={excluded_tags} holds tag={tag!r}, the tag this run "
            "writes, so a rerun would exclude what it chose before; pass another tag"
        )
    check_collection(exclude_view, "exclude_view")
    locks = [f"run:{run_key}", f"tag:{tag}", f"view:{view_name}"]
    return RunPlan(n_select, chunk_size, tag, view_name, excluded_tags, locks)


def collection_ids(samples: Any) -> set[str]:
    """Ids of a collection's samples (patch ids for a patches view)."""
    with round_trip():
        ids = samples.values("_id")
    return {str(i) for i in ids}


# ---------------------------------------------------------------------------
# Field resolution


def resolve_path(target: Target, field_name: Any, arg: str) -> tuple[str, Any]:
    """Find ``field_name`` on the target; return its path and declared field.

    On a patches view a bare name is first looked up on the patch label, e.g.
    ``"hardness"`` as ``"ground_truth.hardness"``, then as a field of the patch.
    """
    if not isinstance(field_name, str) or not field_name:
        raise InputError(f"{arg}={field_name!r} must be a field name")
    samples = target.samples
    candidates = [field_name]
    if target.is_patches and not field_name.startswith(f"{target.patches_field}."):
        # The patch's own label comes first: it is the object being selected.
        candidates.insert(0, f"{target.patches_field}.{field_name}")
    for path in candidates:
        declared = samples.get_field(path)
        if declared is not None:
            return path, declared
    for path in candidates:
        # Undeclared attributes of labels are still readable.
        if "." in path and _count_values(samples, path):
            return path, None
    tried = " or ".join(repr(p) for p in candidates)
    raise FieldError(
        f"{arg}={field_name!r}: no field {tried} on this collection of "
        f"{target.noun}; check the name, or compute it first"
    )


def _count_values(samples: Any, path: str) -> int:
    try:
        with round_trip():
            return int(samples.count(path))
    except ValueError:
        return 0


def resolve_label_path(target: Target, label_field: Any) -> str:
    """Path that holds one class per sample (or patch) for ``label_field``."""
    path, declared = resolve_path(target, label_field, "label_field")
    if declared is None or isinstance(declared, _CLASS_FIELD_TYPES):
        return path
    doc_type = getattr(declared, "document_type", None)
    if doc_type is not None and issubclass(doc_type, _SINGLE_LABEL_TYPES):
        return f"{path}.label"
    raise FieldError(
        f"label_field={label_field!r} is a {type(declared).__name__}"
        f"{f' of {doc_type.__name__}' if doc_type else ''}, which does not give one "
        "class per sample; pass a Classification or string field, or select "
        "objects from a patches view (dataset.to_patches(field))"
    )


# ---------------------------------------------------------------------------
# Embeddings: from a field, or from a FiftyOne Brain similarity index


class EmbeddingSource:
    """Reads embeddings of a target from a field or a similarity index."""

    def __init__(
        self,
        target: Target,
        embeddings_field: str | None,
        similarity_index: Any,
        arg_prefix: str = "",
    ) -> None:
        self.target = target
        self.path: str | None = None
        self.index: Any = None
        self.label = ""
        # Id -> row map and embeddings of an in-memory index, or False.
        self._rows: tuple[dict[str, int], Any] | Literal[False] | None = None
        if embeddings_field is not None:
            self.path, _ = resolve_path(
                target, embeddings_field, f"{arg_prefix}embeddings_field"
            )
            self.label = f"embeddings_field={embeddings_field!r}"
        else:
            self.index = load_similarity_index(target, similarity_index)
            self.label = f"similarity_index={index_name(similarity_index)!r}"

    def decode(self, ids: list[str], raw: list[Any] | None) -> list[Any]:
        """One vector (or None) per id; ``raw`` holds the field's stored values."""
        if self.index is None:
            assert raw is not None
            decoder = VectorDecoder()
            out: list[Any] = []
            for value in raw:
                try:
                    out.append(decoder(value))
                except ValueError:
                    out.append("bad")
            return out
        in_memory = self._in_memory_rows()
        if in_memory is not None:
            rows, emb = in_memory
        else:
            kwargs = (
                {"label_ids": ids} if self.target.is_patches else {"sample_ids": ids}
            )
            with round_trip():
                emb, sample_ids, label_ids = self.index.get_embeddings(**kwargs)
            found = label_ids if self.target.is_patches else sample_ids
            rows = {str(i): k for k, i in enumerate(found if found is not None else [])}
        return [None if i not in rows else np.asarray(emb[rows[i]]) for i in ids]

    def _in_memory_rows(self) -> tuple[dict[str, int], Any] | None:
        """Row of each id in an index that keeps its embeddings in memory.

        FiftyOne Brain's sklearn backend looks every requested id up in a map it
        rebuilds from all its ids on each ``get_embeddings`` call, so asking for
        one chunk at a time costs the whole index per chunk. For such an index
        the map is built here once and the chunks are sliced from its array;
        other backends are asked chunk by chunk.
        """
        if self._rows is None:
            attr = "label_ids" if self.target.is_patches else "sample_ids"
            emb = getattr(self.index, "embeddings", None)
            found = getattr(self.index, attr, None)
            if (
                isinstance(emb, np.ndarray)
                and isinstance(found, np.ndarray)
                and emb.ndim == 2
                and len(emb) == len(found)
            ):
                self._rows = ({str(i): k for k, i in enumerate(found)}, emb)
            else:
                self._rows = False
        return self._rows or None


def index_name(similarity_index: Any) -> str:
    if isinstance(similarity_index, str):
        return similarity_index
    return str(getattr(similarity_index, "key", None) or "<index>")


def load_similarity_index(target: Target, similarity_index: Any) -> Any:
    """Load a FiftyOne Brain similarity index by brain key (or accept one)."""
    dataset = target.dataset
    if isinstance(similarity_index, str):
        with round_trip():
            keys = dataset.list_brain_runs(type="similarity")
        if similarity_index not in keys:
            raise InputError(
                f"similarity_index={similarity_index!r} is not a similarity index of "
                f"dataset '{dataset.name}' (its similarity indexes: {keys}); build "
                "one with fiftyone.brain.compute_similarity(..., brain_key=...)"
            )
        with round_trip():
            index = dataset.load_brain_results(similarity_index)
    else:
        index = similarity_index
    if not hasattr(index, "get_embeddings"):
        raise InputError(
            f"similarity_index is a {type(index).__name__}; pass the brain key of a "
            "similarity index or the index itself"
        )
    patches_field = getattr(index.config, "patches_field", None)
    if patches_field != target.patches_field:
        want = target.patches_field or "whole samples"
        raise InputError(
            f"similarity_index={index_name(similarity_index)!r} indexes "
            f"{patches_field or 'whole samples'} but the collection holds {want}; "
            "use an index built with the matching patches_field"
        )
    return index


# ---------------------------------------------------------------------------
# Reading


@dataclass
class _Problem:
    count: int = 0
    example: str | None = None

    def add(self, sample_id: str) -> None:
        self.count += 1
        if self.example is None:
            self.example = sample_id


@dataclass
class PoolArrays:
    """Everything read from a target, one entry per sample (or patch)."""

    ids: IdArray
    sample_ids: IdArray
    scores: np.ndarray | None
    labels: np.ndarray | None
    embeddings: np.ndarray | None
    excluded: np.ndarray
    seconds: float = 0.0
    dims: dict[int, _Problem] = field(default_factory=dict)


class PoolReader:
    """Streams ids, scores, classes, embeddings and exclusions of a target.

    Parameters
    ----------
    target : Target
    score_path, label_path : str or None
        Resolved paths of the hardness and the class.
    embeddings : EmbeddingSource or None
    exclude_tags : list of str
        Sample tags (and, on patches, label tags) that exclude a row.
    exclude_ids : set of str
        Sample (or patch) ids that exclude a row.
    score_arg : str
        Argument name for score errors.
    excluded_embeddings : bool
        Whether excluded rows need embeddings too (diversity counts them as
        covered); otherwise a missing one leaves a zero row.
    """

    def __init__(
        self,
        target: Target,
        *,
        score_path: str | None = None,
        label_path: str | None = None,
        embeddings: EmbeddingSource | None = None,
        exclude_tags: Iterable[str] = (),
        exclude_ids: Iterable[str] = (),
        score_arg: str = "hardness_field",
        excluded_embeddings: bool = True,
    ) -> None:
        self.target = target
        self.score_path = score_path
        self.label_path = label_path
        self.embeddings = embeddings
        self.exclude_tags = set(exclude_tags)
        self.exclude_ids = set(exclude_ids)
        self.score_arg = score_arg
        self.excluded_embeddings = excluded_embeddings
        self.fill_label: Any = None
        self.missing_scores = _Problem()
        self.bad_scores = _Problem()
        self.missing_labels = _Problem()
        self.missing_emb = _Problem()
        self.dims: dict[int, _Problem] = {}

    def input_fields(self) -> list[str]:
        """The field paths read, for the run record."""
        emb = self.embeddings.path if self.embeddings is not None else None
        return [p for p in (self.score_path, self.label_path, emb) if p]

    def _paths(self) -> list[str]:
        paths = ["_id"]
        if self.target.is_patches:
            paths.append("_sample_id")
        if self.exclude_tags:
            paths.append("tags")
            if self.target.is_patches:
                paths.append(f"{self.target.patches_field}.tags")
        for extra in (self.score_path, self.label_path):
            if extra is not None and extra not in paths:
                paths.append(extra)
        emb_path = self.embeddings.path if self.embeddings is not None else None
        if emb_path is not None and emb_path not in paths:
            paths.append(emb_path)
        return paths

    def iter_chunks(
        self, chunk_size: int, progress: Any = None
    ) -> Iterable[PoolArrays]:
        """Yield one :class:`PoolArrays` per chunk; problems are only counted."""
        paths = self._paths()
        with round_trip():
            total = self.target.samples.count()
        with make_progress(total, progress) as bar:
            for columns in iter_chunks(
                self.target.samples, paths, chunk_size=chunk_size
            ):
                chunk = self._decode(dict(zip(paths, columns, strict=True)))
                bar.update(len(chunk.ids))
                yield chunk

    def _decode(self, by_path: dict[str, list[Any]]) -> PoolArrays:
        ids = [str(i) for i in by_path["_id"]]
        sample_ids = ids
        if self.target.is_patches:
            sample_ids = [str(i) for i in by_path["_sample_id"]]
        excluded = np.zeros(len(ids), dtype=bool)
        if self.exclude_ids:
            excluded |= [
                i in self.exclude_ids or j in self.exclude_ids
                for i, j in zip(ids, sample_ids, strict=True)
            ]
        if self.exclude_tags:
            tag_columns = [by_path["tags"]]
            if self.target.is_patches:
                tag_columns.append(by_path[f"{self.target.patches_field}.tags"])
            for column in tag_columns:
                excluded |= [
                    not self.exclude_tags.isdisjoint(tags or ()) for tags in column
                ]
        # Excluded rows need no score or class (labeled samples may have none);
        # they keep their embeddings when diversity counts them as covered.
        scores = None
        if self.score_path is not None:
            scores = self._scores(ids, by_path[self.score_path], excluded)
        labels = None
        if self.label_path is not None:
            labels = self._labels(ids, by_path[self.label_path], excluded)
        emb = None
        if self.embeddings is not None:
            raw = by_path.get(self.embeddings.path) if self.embeddings.path else None
            vectors = self.embeddings.decode(ids, raw)
            optional = excluded if not self.excluded_embeddings else None
            emb = self._stack(ids, vectors, optional)
        id_array = IdArray.from_ids(ids)
        return PoolArrays(
            id_array,
            IdArray.from_ids(sample_ids) if self.target.is_patches else id_array,
            scores,
            labels,
            emb,
            excluded,
        )

    def _labels(
        self, ids: list[str], values: list[Any], excluded: np.ndarray
    ) -> np.ndarray:
        labels = np.empty(len(ids), dtype=object)
        for k, value in enumerate(values):
            if value is None and not excluded[k]:
                self.missing_labels.add(ids[k])
            if value is not None and self.fill_label is None:
                self.fill_label = value
            labels[k] = value
        return labels

    def _scores(
        self, ids: list[str], values: list[Any], excluded: np.ndarray
    ) -> np.ndarray:
        try:
            # None becomes NaN; anything that is not a number raises.
            out = np.array(values, dtype=np.float64)
        except (TypeError, ValueError):
            out = np.array(
                [v if isinstance(v, int | float) else np.nan for v in values],
                dtype=np.float64,
            )
        bad = ~np.isfinite(out)
        for k in np.flatnonzero(bad & ~excluded):
            value = values[k]
            if value is None:
                self.missing_scores.add(ids[k])
            else:
                self.bad_scores.add(ids[k])
        out[bad] = 0.0
        return out

    def _stack(
        self, ids: list[str], vectors: list[Any], optional: np.ndarray | None
    ) -> np.ndarray | None:
        first = next((v for v in self.dims), None)
        sizes = np.array(
            [-1 if v is None or isinstance(v, str) else v.size for v in vectors]
        )
        for k in np.flatnonzero(sizes < 0):
            if optional is None or not optional[k]:
                self.missing_emb.add(ids[k])
        for d in np.unique(sizes[sizes >= 0]):
            where = np.flatnonzero(sizes == d)
            problem = self.dims.setdefault(int(d), _Problem())
            problem.count += len(where)
            if problem.example is None:
                problem.example = ids[int(where[0])]
            first = int(d) if first is None else first
        if first is None:
            return None
        good = sizes == first
        if good.all():
            return np.stack(vectors)
        dtype = np.result_type(*(vectors[k].dtype for k in np.flatnonzero(good)))
        out = np.zeros((len(ids), first), dtype=dtype)
        for k in np.flatnonzero(good):
            out[k] = vectors[k]
        return out

    def check(self, *, n_features: int | None = None) -> None:
        """Raise for the first kind of problem seen, with a count and an example."""
        noun = self.target.noun
        if self.missing_scores.count:
            raise FieldError(
                f"{self.score_arg}={self.score_path!r} is missing (None) on "
                f"{self.missing_scores.count} {noun} of the collection, e.g. "
                f"{self.missing_scores.example}; compute it on the whole view "
                "(seedselect.compute_hardness) or filter those out with a view"
            )
        if self.bad_scores.count:
            raise FieldError(
                f"{self.score_arg}={self.score_path!r} holds non-numeric, NaN or "
                f"infinite values on {self.bad_scores.count} {noun}, e.g. "
                f"{self.bad_scores.example}; recompute them"
            )
        if self.missing_labels.count:
            raise FieldError(
                f"label_field path {self.label_path!r} is empty on "
                f"{self.missing_labels.count} {noun}, e.g. "
                f"{self.missing_labels.example}; fill it or leave those out with a "
                "view"
            )
        if self.embeddings is None:
            return
        if self.missing_emb.count:
            raise FieldError(
                f"{self.embeddings.label} has no readable embedding for "
                f"{self.missing_emb.count} {noun}, e.g. {self.missing_emb.example}; "
                "compute embeddings for the whole view or filter those out"
            )
        dims = sorted(self.dims, key=lambda d: -self.dims[d].count)
        if len(dims) > 1:
            minority = self.dims[dims[1]]
            raise InputError(
                f"{self.embeddings.label} holds vectors of {len(dims)} different "
                f"lengths {dims}: {minority.count} {noun} have length {dims[1]} "
                f"(e.g. {minority.example}) against {dims[0]} for most; compute "
                "every embedding with the same model"
            )
        if n_features is not None and dims and dims[0] != n_features:
            example = self.dims[dims[0]].example
            raise InputError(
                f"{self.embeddings.label} holds vectors of length {dims[0]} (e.g. "
                f"{example}) but {n_features} are expected; use embeddings from the "
                "same model on both sides"
            )

    def read(self, chunk_size: int, progress: Any = None) -> PoolArrays:
        """Read the whole target into arrays and check them."""
        start = time.perf_counter()
        parts = list(self.iter_chunks(chunk_size, progress))
        self.check()
        ids = IdArray.concat([p.ids for p in parts])
        sample_ids = (
            IdArray.concat([p.sample_ids for p in parts])
            if self.target.is_patches
            else ids
        )
        excluded = (
            np.concatenate([p.excluded for p in parts]) if parts else np.zeros(0, bool)
        )
        scores = labels = emb = None
        if self.score_path is not None:
            scores = np.concatenate([p.scores for p in parts]) if parts else np.zeros(0)
        if self.label_path is not None:
            labels = (
                np.concatenate([p.labels for p in parts])
                if parts
                else np.zeros(0, object)
            )
            # Excluded rows without a class borrow one that exists, so that no
            # class appears that only the excluded rows would have.
            missing = np.array([v is None for v in labels], dtype=bool)
            labels[missing] = self.fill_label
        if self.embeddings is not None and parts:
            emb = np.vstack([p.embeddings for p in parts if p.embeddings is not None])
        return PoolArrays(
            ids,
            sample_ids,
            scores,
            labels,
            emb,
            excluded,
            seconds=time.perf_counter() - start,
        )


# ---------------------------------------------------------------------------
# select_seeds


@database_errors("select_seeds")
def select_seeds(
    samples: Any,
    n_select: int,
    *,
    hardness_field: str | None = "hardness",
    label_field: str | None = None,
    embeddings_field: str | None = None,
    similarity_index: Any = None,
    threshold: float | None = None,
    quantile_range: tuple[float, float] | None = None,
    top_fraction: float | None = None,
    sampling: str = "greedy",
    sampling_power: float = 1.0,
    sampling_temperature: float = 1.0,
    balance: str | Mapping[Any, int] | None = None,
    min_per_class: int | Mapping[Any, int] | None = None,
    max_per_class: int | Mapping[Any, int] | None = None,
    diversity: str | None = AUTO_DIVERSITY,
    radius: float | None = None,
    n_clusters: int | None = None,
    diversity_weight: float = 0.5,
    metric: str = "euclidean",
    exclude_tags: str | Iterable[str] | None = None,
    exclude_view: Any = None,
    allow_shortfall: bool = False,
    tag: str | None = None,
    run_key: str = "seeds",
    saved_view_name: str | None = None,
    random_state: RandomState = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Any = None,
) -> Any:
    """Choose, tag and record the next labeling batch of a dataset or view.

    Reads the hardness of every sample of ``samples`` (and the class and
    embeddings when balancing or diversity need them), chooses ``n_select`` with
    :func:`seedselect.selection.select_batch`, then writes the choice to the
    dataset: the ``tag`` on the chosen samples, their rank and reason in the fields
    ``<run_key>_rank`` and ``<run_key>_reason``, a saved view, and a FiftyOne run
    under ``run_key`` holding the whole configuration and the chosen ids.

    On a patches view (``dataset.to_patches("ground_truth")``) each patch is one
    object: objects are chosen, the tag goes on the chosen labels and the rank and
    reason become attributes of those labels, in the source dataset too. A video
    dataset selects whole videos from a per-sample hardness.

    Parameters
    ----------
    samples : fiftyone.core.collections.SampleCollection
        A dataset or any view of it (pre-filter with FiftyOne view stages), or a
        patches view.
    n_select : int
        Number of samples to choose.
    hardness_field : str or None, default="hardness"
        Field holding each sample's hardness, higher = harder, as written by
        :func:`seedselect.compute_hardness`. On a patches view a bare name is
        looked up on the patch's label first (``"<patches field>.<name>"``). None
        makes a cold start on embeddings (typicality replaces hardness).
    label_field : str, optional
        Field whose class balances the batch, e.g. ``"predictions"`` or
        ``"ground_truth"`` (a Classification, or a string field). On a patches view
        use the patches field to balance objects by their label.
    embeddings_field : str, optional
        Field holding each sample's embedding vector, for ``diversity``.
    similarity_index : str or SimilarityIndex, optional
        Instead of ``embeddings_field``: the brain key of a FiftyOne Brain
        similarity index (or the index) whose embeddings to use.
    threshold, quantile_range, top_fraction : optional
        Hardness gates, as in :func:`~seedselect.selection.select_batch`.
    sampling : {"greedy", "power", "softmax"}, default="greedy"
    sampling_power, sampling_temperature : float, default=1.0
    balance : {"equal", "proportional", "inverse"} or mapping, optional
        Per-class quotas over ``label_field``.
    min_per_class, max_per_class : int or mapping, optional
    diversity : str or None, default="auto"
        Diversity rule on the embeddings: ``"auto"``, ``"kcenter"``,
        ``"dedup"``, ``"cluster"``, ``"weighted"`` or None, as in
        :func:`seedselect.selection.select_batch`. ``"auto"`` clusters the
        hardest tenth of the candidates and takes each cluster's hardest in
        turn when embeddings are given, and ranks by hardness alone when they
        are not (the default chosen by ``benchmarks/active_learning.py``).
        None ranks by hardness alone even with embeddings.
    radius : float, optional
        Near-duplicate radius for ``diversity="dedup"``.
    n_clusters : int, optional
    diversity_weight : float, default=0.5
    metric : {"euclidean", "cosine"}, default="euclidean"
    exclude_tags : str or list of str, optional
        Samples with any of these tags (on patches, also label tags) are never
        chosen: already labeled, or chosen in an earlier batch. They count as
        covered for diversity.
    exclude_view : SampleCollection, optional
        A view of the same dataset whose samples are never chosen. On a patches
        view, a patch is excluded when its own id or its sample's id is in it.
    allow_shortfall : bool, default=False
        Choose fewer than ``n_select`` instead of raising when the pool cannot
        give that many.
    tag : str, optional
        Tag put on the chosen samples; defaults to ``run_key``, so selections
        under different run keys never share a tag. It belongs to this run: it
        may not already be on samples from elsewhere, and undo removes it.
    run_key : str, default="seeds"
        Key of the FiftyOne run; also the prefix of the fields written. Rerunning
        with the same key replaces that run's tag, fields and saved view.
    saved_view_name : str, optional
        Name of the saved view of the chosen samples; defaults to ``run_key``.
    random_state : int, numpy.random.Generator or None
        Drives tie-breaks, sampling and clustering.
    chunk_size : int, default=1000
        Samples per database read or write.
    progress : bool, callable or None
        Progress bar while reading (None follows FiftyOne's setting).

    Returns
    -------
    fiftyone.core.view.DatasetView
        The chosen samples in selection order (``samples.select(ids,
        ordered=True)``).

    Raises
    ------
    FieldError
        If a field is missing, or missing or invalid on some samples (with a count
        and an example id).
    InputError
        For bad arguments, mixed embedding dimensions, or ``n_select`` larger than
        the view allows.
    RunError
        If the run key, tag, saved view or fields belong to another run or to the
        user, or another call is writing the same run.
    DatabaseUnavailableError
        If the database stops answering for ``SEEDSELECT_DB_TIMEOUT`` seconds;
        rerun the same call once it is back.

    See Also
    --------
    undo_selection : remove a selection completely.
    selection_summary, export_manifest : report and hand off a selection.

    Examples
    --------
    >>> import fiftyone as fo
    >>> import numpy as np
    >>> from seedselect.fo._select import select_seeds
    >>> rng = np.random.default_rng(0)
    >>> dataset = fo.Dataset()
    >>> _ = dataset.add_samples(
    ...     [
    ...         fo.Sample(
    ...             filepath=f"/data/{i}.png",
    ...             hardness=float(h),
    ...             predictions=fo.Classification(label="cat" if i % 3 else "dog"),
    ...         )
    ...         for i, h in enumerate(rng.random(30))
    ...     ],
    ...     progress=False,
    ... )
    >>> batch = select_seeds(dataset, 6, label_field="predictions",
    ...                      balance="equal", random_state=0, progress=False)
    >>> batch.count(), batch.count_values("predictions.label")
    (6, {'cat': 3, 'dog': 3})
    >>> dataset.count_sample_tags()
    {'seeds': 6}
    >>> batch.values("seeds_rank")
    [1, 2, 3, 4, 5, 6]
    """
    # Arguments, before anything is read.
    target = make_target(samples)
    plan = _check_arguments(
        target,
        n_select,
        run_key=run_key,
        tag=tag,
        saved_view_name=saved_view_name,
        exclude_tags=exclude_tags,
        exclude_view=exclude_view,
        hardness_field=hardness_field,
        embeddings_field=embeddings_field,
        similarity_index=similarity_index,
        diversity=diversity,
        chunk_size=chunk_size,
    )
    check_random_state(random_state)
    options: dict[str, Any] = {
        "threshold": threshold,
        "quantile_range": quantile_range,
        "top_fraction": top_fraction,
        "sampling": sampling,
        "sampling_power": sampling_power,
        "sampling_temperature": sampling_temperature,
        "balance": balance,
        "min_per_class": min_per_class,
        "max_per_class": max_per_class,
        "diversity": diversity,
        "radius": radius,
        "n_clusters": n_clusters,
        "diversity_weight": diversity_weight,
        "metric": metric,
        "allow_shortfall": allow_shortfall,
    }

    dataset = target.dataset
    logger.info(
        "Selecting %d %s from '%s' under run '%s'",
        plan.n_select,
        target.noun,
        dataset.name,
        run_key,
    )
    with run_lock(dataset, plan.lock_names, "select_seeds"):
        previous = check_ownership(
            target,
            run_key,
            SeedSelectionRunConfig,
            tag=plan.tag,
            saved_view_name=plan.saved_view_name,
            outputs=[output_name(run_key, s) for s in ("rank", "reason")],
        )

        # Read and check everything.
        reader = PoolReader(
            target,
            score_path=_hardness_path(target, hardness_field),
            label_path=(
                None if label_field is None else resolve_label_path(target, label_field)
            ),
            embeddings=(
                None
                if embeddings_field is None and similarity_index is None
                else EmbeddingSource(target, embeddings_field, similarity_index)
            ),
            exclude_tags=plan.exclude_tags,
            exclude_ids=(
                collection_ids(exclude_view) if exclude_view is not None else ()
            ),
        )
        pool = reader.read(plan.chunk_size, progress)
        _check_room(target, pool, plan.n_select, allow_shortfall)

        # Choose.
        start = time.perf_counter()
        result = select_batch(
            plan.n_select,
            scores=pool.scores,
            embeddings=pool.embeddings,
            labels=pool.labels,
            exclude=pool.excluded,
            random_state=random_state,
            **options,
        )
        select_seconds = time.perf_counter() - start

        # Write, in the order that a rerun can repair.
        config = SeedSelectionRunConfig(
            method="select_seeds",
            tag=plan.tag,
            saved_view_name=plan.saved_view_name,
            patches_field=target.patches_field,
            input_fields=reader.input_fields(),
            n_select=plan.n_select,
            hardness_field=hardness_field,
            label_field=label_field,
            embeddings_field=embeddings_field,
            similarity_index=(
                None if similarity_index is None else index_name(similarity_index)
            ),
            exclude_tags=plan.exclude_tags,
            exclude_view=(
                None if exclude_view is None else _describe_view(exclude_view)
            ),
            selection=_jsonable(result.config),
        )
        ids = pool.ids.take(np.asarray(result.indices, dtype=np.int64))
        frame = result.to_frame()
        timings = commit_selection(
            target,
            run_key,
            config,
            previous,
            ids,
            {"rank": list(range(1, len(ids) + 1)), "reason": list(frame["reason"])},
            _results(pool, result, frame, ids),
            chunk_size=plan.chunk_size,
        )
    log_timings(
        logger,
        "select_seeds",
        run_key,
        read=pool.seconds,
        compute=select_seconds,
        writes=timings,
    )
    logger.info("Selected %d %s under run '%s'", len(ids), target.noun, run_key)
    return target.samples.select(ids, ordered=True)


def _check_arguments(
    target: Target,
    n_select: Any,
    *,
    run_key: str,
    tag: Any,
    saved_view_name: Any,
    exclude_tags: Any,
    exclude_view: Any,
    hardness_field: str | None,
    embeddings_field: str | None,
    similarity_index: Any,
    diversity: str | None,
    chunk_size: Any,
) -> RunPlan:
    plan = check_run_plan(
        n_select,
        run_key=run_key,
        tag=tag,
        saved_view_name=saved_view_name,
        exclude_tags=exclude_tags,
        exclude_view=exclude_view,
        chunk_size=chunk_size,
    )
    name = target.dataset.name
    if exclude_view is not None and exclude_view._root_dataset.name != name:
        raise InputError(
            f"exclude_view is a view of dataset '{exclude_view._root_dataset.name}', "
            f"not of '{name}'; pass a view of the same dataset"
        )
    has_embeddings = embeddings_field is not None or similarity_index is not None
    if embeddings_field is not None and similarity_index is not None:
        raise InputError(
            "pass embeddings_field or similarity_index, not both "
            f"(got {embeddings_field!r} and {index_name(similarity_index)!r})"
        )
    if hardness_field is None and not has_embeddings:
        raise InputError(
            "hardness_field=None asks for a cold start, which needs embeddings; "
            "pass embeddings_field or similarity_index"
        )
    if diversity not in (None, AUTO_DIVERSITY) and not has_embeddings:
        raise InputError(
            f"diversity={diversity!r} needs embeddings; pass embeddings_field or "
            "similarity_index"
        )
    return plan


def _hardness_path(target: Target, hardness_field: str | None) -> str | None:
    if hardness_field is None:
        return None
    path, declared = resolve_path(target, hardness_field, "hardness_field")
    if declared is not None and not isinstance(declared, _NUMERIC_FIELD_TYPES):
        raise FieldError(
            f"hardness_field={hardness_field!r} is a {type(declared).__name__}, not "
            "a float field; pass the field that seedselect.compute_hardness wrote"
        )
    return path


def _check_room(
    target: Target, pool: PoolArrays, n_select: int, allow_shortfall: bool
) -> None:
    n_pool = len(pool.ids)
    n_excluded = int(pool.excluded.sum())
    if n_select > n_pool - n_excluded and not allow_shortfall:
        raise InputError(
            f"n_select={n_select} exceeds the {n_pool - n_excluded} {target.noun} of "
            f"the view that are not excluded ({n_pool} in the view, {n_excluded} "
            "excluded by exclude_tags or exclude_view); lower n_select, widen the "
            "view or pass allow_shortfall=True"
        )


def _describe_view(view: Any) -> str:
    stages = getattr(view, "_stages", None) or []
    with round_trip():
        n_samples = view.count()
    return f"{view._root_dataset.name}: {len(stages)} stage(s) {n_samples} samples"


def _jsonable(value: Any) -> Any:
    """Turn NumPy scalars, tuples and mappings into JSON-friendly values."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _results(
    pool: PoolArrays, result: Any, frame: Any, ids: list[str]
) -> dict[str, Any]:
    """What the run stores: the choice, the class table and pool statistics."""
    classes = [None if c is None else str(c) for c in frame["label"]]
    chosen = np.asarray(result.indices, dtype=np.int64)
    table = result.class_table.astype(object).where(result.class_table.notna(), None)
    table_records = [_jsonable(r) for r in table.to_dict("records")]
    in_pool = ~pool.excluded
    groups = (
        pool.labels[in_pool].astype(str)
        if pool.labels is not None
        else np.full(int(in_pool.sum()), "")
    )
    stats: dict[str, dict[str, Any]] = {}
    for name in np.unique(groups):
        members = groups == name
        if pool.scores is None:
            stats[str(name)] = {**_stats(np.zeros(0)), "count": int(members.sum())}
        else:
            stats[str(name)] = _stats(pool.scores[in_pool][members])
    return {
        "ids": ids,
        "sample_ids": pool.sample_ids.take(chosen),
        "scores": _jsonable(
            [None if pool.scores is None else float(pool.scores[i]) for i in chosen]
        ),
        "classes": classes,
        "score_ranks": [int(r) for r in frame["rank"]],
        "distances": _jsonable([float(d) for d in frame["distance"]]),
        "reasons": list(frame["reason"]),
        "class_table": table_records,
        "pool_stats": stats,
        "n_pool": len(pool.ids),
        "n_excluded": int(pool.excluded.sum()),
        "n_selected": len(ids),
        "shortfall": int(result.shortfall),
        "has_scores": pool.scores is not None,
        "has_labels": pool.labels is not None,
    }


def _stats(values: np.ndarray) -> dict[str, Any]:
    if len(values) == 0:
        return {"count": 0, "mean": None, "min": None, "max": None, "median": None}
    return {
        "count": int(len(values)),
        "mean": float(np.mean(values)),
        "min": float(np.min(values)),
        "max": float(np.max(values)),
        "median": float(np.median(values)),
    }


def log_timings(
    log: logging.Logger,
    what: str,
    run_key: str,
    *,
    read: float,
    compute: float,
    writes: dict[str, float],
) -> None:
    """Log the seconds spent per phase at DEBUG level.

    The record carries the figures as ``record.seedselect_timings`` (a dict with
    ``read``, ``compute``, ``write`` and ``write_<phase>``), which
    benchmarks/bench_workflow.py collects with a logging handler.
    """
    timings = {
        "read": read,
        "compute": compute,
        "write": sum(writes.values()),
        **{f"write_{k}": v for k, v in writes.items()},
    }
    log.debug(
        "%s '%s': read %.3fs, compute %.3fs, write %.3fs",
        what,
        run_key,
        timings["read"],
        timings["compute"],
        timings["write"],
        extra={"seedselect_timings": timings},
    )
