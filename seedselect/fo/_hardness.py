"""compute_hardness: score how hard each sample is for a model, on a FiftyOne dataset.

The work happens in two passes over the collection, each in chunks:

1. read the predictions, check them and score them with :mod:`seedselect.scores`,
   keeping only the output (one float per sample, frame or object, plus ids);
2. only if every sample passed the checks: record the run, write the scores
   with one bulk update per chunk, and mark the run complete.

A bad input therefore raises before anything in the dataset changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import fiftyone.core.fields as fof
import fiftyone.core.labels as fol
import numpy as np

from .._exceptions import FieldError, InputError
from ..scores import (
    AGGREGATIONS,
    ENSEMBLE_METHODS,
    KINDS,
    METHODS,
    aggregate,
    ensemble_hardness,
    find_invalid_rows,
    hardness,
    multilabel_hardness,
    softmax,
)
from ._io import (
    DEFAULT_CHUNK_SIZE,
    FRAMES_PREFIX,
    IdBuffer,
    VectorDecoder,
    check_chunk_size,
    chunk_slices,
    find_holders,
    iter_chunks,
    make_progress,
    nullable_floats,
    round_trip,
    split_frames_path,
    write_list_attribute,
    write_values,
)
from ._locks import ensure_fields
from ._runs import (
    SeedselectRun,
    SeedselectRunConfig,
    SeedselectRunResults,
    check_run_key,
    database_errors,
    finish_run,
    run_lock,
    start_run,
)

__all__ = [
    "HardnessRun",
    "HardnessRunConfig",
    "HardnessRunResults",
    "compute_hardness",
]

logger = logging.getLogger(__name__)

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

# Label types read by each mode. Classification and Classifications carry one
# logits vector per label document; Detections carry one per object.
_CLASSIFICATION_TYPES = (fol.Classification, fol.Classifications)
_DETECTION_TYPES = (fol.Detections,)


class HardnessRunConfig(SeedselectRunConfig):
    """Parameters of a :func:`compute_hardness` run, as stored with the run.

    Parameters
    ----------
    label_field : str
        The (first) prediction field, as passed.
    hardness_field : str
        The output field name, without ``"frames."``.
    ensemble_fields : list of str, default=()
        Further prediction fields scored with ``label_field`` as one ensemble.
    label_type : str, optional
        ``"classification"`` or ``"detections"``.
    **kwargs
        The scoring options of :func:`compute_hardness` and the parameters of
        :class:`~seedselect.fo._runs.SeedselectRunConfig`.
    """

    def __init__(
        self,
        label_field: str,
        hardness_field: str,
        *,
        ensemble_fields: Sequence[str] = (),
        label_type: str | None = None,
        multilabel: bool = False,
        kind: str = "logits",
        temperature: float = 1.0,
        normalize: bool = False,
        aggregate: str = "max",
        top_k: int | None = None,
        label_aggregate: str = "mean",
        **kwargs: Any,
    ) -> None:
        self.label_field = label_field
        self.ensemble_fields = list(ensemble_fields)
        self.hardness_field = hardness_field
        self.label_type = label_type
        self.multilabel = multilabel
        self.kind = kind
        self.temperature = temperature
        self.normalize = normalize
        self.aggregate = aggregate
        self.top_k = top_k
        self.label_aggregate = label_aggregate
        super().__init__(**kwargs)


class HardnessRun(SeedselectRun):
    """The run class FiftyOne builds from a :class:`HardnessRunConfig`."""


class HardnessRunResults(SeedselectRunResults):
    """Summary of a :func:`compute_hardness` run.

    Attributes include ``n_samples``, ``n_scored`` (samples that got a score),
    ``n_frames``, ``n_objects``, ``score_min``, ``score_mean``, ``score_max``
    and ``elapsed_seconds``.
    """


# ---------------------------------------------------------------------------
# Validation of the arguments and of the dataset schema
# ---------------------------------------------------------------------------


@dataclass
class _Plan:
    """What to read, how to score it and where to write it; all checked."""

    members: list[str]  # prediction fields, without "frames."
    frames: bool
    detections: bool
    hardness_field: str  # without "frames."
    method: str
    kind: str
    temperature: float
    normalize: bool
    aggregate: str
    top_k: int | None
    multilabel: bool
    label_aggregate: str
    output_fields: list[str] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return FRAMES_PREFIX if self.frames else ""

    @property
    def min_columns(self) -> int:
        return 1 if self.multilabel else 2

    def k_for(self, how: str) -> int | None:
        return self.top_k if how == "topk_mean" else None

    def read_paths(self) -> list[str]:
        paths = ["_id"] + (["frames._id"] if self.frames else [])
        for member in self.members:
            path = self.prefix + member
            if self.detections:
                paths += [f"{path}._cls", f"{path}.detections._id"]
                paths += [f"{path}.detections.logits"]
            else:
                paths += [f"{path}._cls", f"{path}.logits"]
        return paths


def _check_choice(value: Any, name: str, choices: Sequence[str], hint: str = "") -> str:
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(choice) for choice in choices)
        raise InputError(f"{name}={value!r} is not one of {options}{hint}")
    return value


def _check_options(
    method: Any,
    kind: Any,
    temperature: Any,
    aggregate_how: Any,
    label_aggregate: Any,
    top_k: Any,
    *,
    n_members: int,
    multilabel: bool,
    detections: bool,
) -> None:
    """Check the scoring options against each other and the kind of input."""
    _check_choice(kind, "kind", KINDS)
    _check_choice(aggregate_how, "aggregate", AGGREGATIONS)
    _check_choice(label_aggregate, "label_aggregate", AGGREGATIONS)
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        raise InputError(f"temperature={temperature!r} must be a positive number")
    if not (np.isfinite(temperature) and temperature > 0):
        raise InputError(
            f"temperature={temperature!r} must be positive and finite; 1.0 leaves "
            "the predictions as they are"
        )
    needs_k = "topk_mean" in (aggregate_how, label_aggregate if multilabel else None)
    if needs_k and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise InputError(f"top_k={top_k!r}: 'topk_mean' needs top_k, an int >= 1")
    if not needs_k and top_k is not None:
        raise InputError(
            f"top_k={top_k!r} is only used with aggregate='topk_mean' (or "
            "label_aggregate='topk_mean' with multilabel=True); leave it as None"
        )

    if multilabel:
        if n_members > 1 or detections:
            what = "an ensemble" if n_members > 1 else "Detections"
            raise InputError(
                f"multilabel=True is not supported for {what}; score each "
                "multi-label Classification(s) field on its own"
            )
        _check_choice(
            method,
            "method",
            ("entropy",),
            "; multi-label predictions are scored by the binary entropy of each "
            "label (method='entropy')",
        )
    elif n_members > 1:
        if detections:
            raise InputError(
                "ensembles of Detections fields are not supported; pass one "
                "Detections field, or Classification(s) fields for an ensemble"
            )
        _check_choice(method, "method", METHODS + ENSEMBLE_METHODS)
    elif method in ENSEMBLE_METHODS:
        raise InputError(
            f"method={method!r} measures disagreement between several models; "
            "pass their prediction fields with ensemble_fields=[...] (or a list "
            "as label_field), or use one of " + ", ".join(map(repr, METHODS))
        )
    else:
        _check_choice(method, "method", METHODS)


def _members(label_field: Any, ensemble_fields: Any) -> list[str]:
    """The prediction fields to read, in order, without duplicates."""
    members = [label_field] if isinstance(label_field, str) else list(label_field)
    if ensemble_fields is not None:
        if isinstance(ensemble_fields, str):
            ensemble_fields = [ensemble_fields]
        members += list(ensemble_fields)
    if not members or not all(isinstance(m, str) and m for m in members):
        raise InputError(
            f"label_field={label_field!r}, ensemble_fields={ensemble_fields!r}: "
            "pass field names as non-empty strings"
        )
    if len(set(members)) != len(members):
        raise InputError(f"prediction fields {members} repeat a field; list each once")
    return members


def _n_and_first(samples: Any) -> tuple[int, str | None]:
    with round_trip():
        n_samples = samples.count()
    if not n_samples:
        return 0, None
    with round_trip():
        return n_samples, samples.first().id


def _check_label_field(samples: Any, path: str) -> bool:
    """Check the type of one prediction field; True if it holds Detections."""
    field_ = samples.get_field(path)
    if field_ is None:
        n_samples, first = _n_and_first(samples)
        raise FieldError(
            f"label_field {path!r} does not exist on this collection ({n_samples} "
            f"samples lack it, e.g. {first}); pass the name of a Classification, "
            "Classifications or Detections field with logits (video frame fields "
            "start with 'frames.')"
        )
    doc_type = getattr(field_, "document_type", None)
    if isinstance(field_, fof.EmbeddedDocumentField) and doc_type is not None:
        if issubclass(doc_type, _CLASSIFICATION_TYPES):
            return False
        if issubclass(doc_type, _DETECTION_TYPES):
            return True
    held_by, example = find_holders(samples, path)
    type_name = doc_type.__name__ if doc_type is not None else type(field_).__name__
    raise FieldError(
        f"label_field {path!r} holds {type_name} values ({held_by} samples, e.g. "
        f"{example}); compute_hardness reads logits from Classification or "
        "Classifications labels, or from each object of Detections labels"
    )


def _plan(
    samples: Any,
    label_field: Any,
    hardness_field: Any,
    ensemble_fields: Any,
    options: dict[str, Any],
) -> _Plan:
    """Check fields and options; return the plan of the computation."""
    if samples._dataset is not samples._root_dataset:
        raise InputError(
            "samples is a generated view (patches, frames or clips); pass the "
            "dataset or a view of it, whose fields compute_hardness can write"
        )
    members = _members(label_field, ensemble_fields)
    is_frame = [samples._is_frame_field(m) for m in members]
    if any(is_frame) and not all(is_frame):
        raise InputError(
            f"prediction fields {members} mix frame fields and sample fields; pass "
            "only frame fields ('frames.<name>') or only sample fields"
        )
    frames = all(is_frame)
    detections = [_check_label_field(samples, m) for m in members]
    _check_options(
        options["method"],
        options["kind"],
        options["temperature"],
        options["aggregate"],
        options["label_aggregate"],
        options["top_k"],
        n_members=len(members),
        multilabel=bool(options["multilabel"]),
        detections=any(detections),
    )

    if not isinstance(hardness_field, str):
        raise InputError(f"hardness_field={hardness_field!r} must be a field name")
    name, frames_output = split_frames_path(hardness_field)
    if not name or "." in name or name.startswith("_"):
        raise InputError(
            f"hardness_field={hardness_field!r} must be a plain field name (no '.', "
            "not starting with '_'), optionally prefixed by 'frames.' for video"
        )
    if frames_output and not frames:
        raise InputError(
            f"hardness_field={hardness_field!r} names a frame field but the "
            f"predictions {members} are sample fields; pass hardness_field={name!r}"
        )

    plan = _Plan(
        members=[split_frames_path(m)[0] for m in members],
        frames=frames,
        detections=any(detections),
        hardness_field=name,
        **options,
    )
    if plan.detections:
        list_path = plan.prefix + plan.members[0] + ".detections"
        plan.output_fields.append(f"{list_path}.{name}")
    if frames:
        plan.output_fields.append(FRAMES_PREFIX + name)
    plan.output_fields.append(name)
    return plan


def _check_outputs(
    samples: Any, plan: _Plan, previous: HardnessRunConfig | None, overwrite: bool
) -> None:
    """Refuse to write over fields this run key did not write before."""
    dataset = samples._dataset
    ours = set(previous.output_fields) if previous is not None else set()
    for path in plan.output_fields:
        existing = dataset.get_field(path)
        floats = existing is None or isinstance(existing, fof.FloatField)
        if path in ours:
            continue
        if existing is not None and overwrite and floats:
            logger.info("Writing over the values of field '%s' (overwrite=True)", path)
            continue
        # An undeclared label attribute may still hold values on some objects.
        is_attribute = path.count(".") > (1 if path.startswith(FRAMES_PREFIX) else 0)
        if existing is None and not is_attribute:
            continue
        held_by, example = find_holders(dataset, path)
        if existing is None and (held_by == 0 or overwrite):
            continue

        type_name = type(existing).__name__ if existing is not None else "undeclared"
        where = f"{held_by} samples hold values"
        where += f", e.g. {example}" if example else ""
        if floats:
            fix = "pass overwrite=True to replace its values, or "
        else:
            fix = "overwrite=True cannot turn it into a float field; "
        raise FieldError(
            f"hardness_field={plan.hardness_field!r}: field {path!r} already exists "
            f"({type_name}; {where}) and was not written by this run key; {fix}pick "
            "another hardness_field, or delete the field first"
        )


# ---------------------------------------------------------------------------
# Pass one: read, check and score, chunk by chunk
# ---------------------------------------------------------------------------


# Problems a chunk can reveal, and how the error message describes them.
_PROBLEMS = {
    "partial": "a label in some of the prediction fields {fields} but not in all",
    "no_logits": "a label without logits",
    "unreadable": "logits that are not a vector of numbers",
    "short": "logits of length {n_columns}, too few to score (at least "
    "{min_columns} needed)",
    "length": "logits whose length differs from {n_columns} (the length of the "
    "first logits read)",
    "nonfinite": "NaN or infinite logits",
    "probs": "values that are not valid probabilities for kind='probs' "
    "(negative, above 1 for multilabel, or summing to 0)",
}


class _Scorer:
    """Consumes chunks of raw rows; keeps scores and ids; tallies problems."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.decode = VectorDecoder()
        self.n_columns: int | None = None
        # (problem, field) -> [count of samples, example sample id]
        self.problems: dict[tuple[str, str], list[Any]] = {}
        self.sample_ids = IdBuffer()
        self.frame_ids = IdBuffer()
        self.object_ids = IdBuffer()
        self.sample_scores: list[FloatArray] = []
        self.frame_scores: list[FloatArray] = []
        self.object_scores: list[FloatArray] = []
        self.object_owner: list[np.ndarray[Any, Any]] = []  # container index
        self.n_containers = 0

    # -- bookkeeping --------------------------------------------------------

    def _flag(
        self, problem: str, field_: str, rows: Any, row_sample: Any, ids: list[Any]
    ) -> None:
        """Record ``problem`` for the samples that own the flagged rows."""
        rows = np.asarray(rows, dtype=bool)
        if not rows.any():
            return
        samples = np.unique(np.asarray(row_sample)[rows])
        tally = self.problems.setdefault((problem, field_), [0, str(ids[samples[0]])])
        tally[0] += len(samples)

    # -- one chunk ----------------------------------------------------------

    def add_chunk(self, columns: list[list[Any]]) -> None:
        plan = self.plan
        ids = columns[0]
        n_samples = len(ids)
        self.sample_ids.extend(ids)
        rest = columns[1:]

        # Flatten frames: each frame becomes a "container" of one label.
        if plan.frames:
            frame_lists = [frame_ids or [] for frame_ids in rest[0]]
            counts = [len(frame_ids) for frame_ids in frame_lists]
            owner = np.repeat(np.arange(n_samples), counts)
            container_ids = [_id for frame_ids in frame_lists for _id in frame_ids]
            rest = [
                [v for per_sample in column for v in (per_sample or [])]
                for column in rest[1:]
            ]
        else:
            owner = np.arange(n_samples)
            container_ids = ids

        if plan.detections:
            scores = self._score_detections(rest, owner, ids)
        else:
            scores = self._score_labels(rest, owner, ids)
        self.n_containers += len(container_ids)

        if plan.frames:
            self.frame_ids.extend(container_ids)
            self.frame_scores.append(scores)
            scores = self._group(scores, owner, n_samples)
        self.sample_scores.append(scores)

    def _group(self, scores: FloatArray, owner: Any, n_groups: int) -> FloatArray:
        """Aggregate item scores per owner; NaN items are left out."""
        scored = np.isfinite(scores)
        how = self.plan.aggregate
        return aggregate(
            scores[scored],
            np.asarray(owner)[scored],
            n_groups=n_groups,
            how=how,
            k=self.plan.k_for(how),
        )

    def _stack(
        self, values: list[Any], row_sample: Any, ids: list[Any], field_: str
    ) -> tuple[FloatArray, np.ndarray[Any, Any]]:
        """Decode vectors into an (n_rows, n_columns) array; flag bad rows.

        Returns the array and a mask of the rows that passed every check.
        """
        n_rows = len(values)
        vectors: list[Any] = [None] * n_rows
        missing = np.zeros(n_rows, dtype=bool)
        unreadable = np.zeros(n_rows, dtype=bool)
        lengths = np.full(n_rows, -1)
        for i, value in enumerate(values):
            if value is None:
                missing[i] = True
                continue
            try:
                vectors[i] = self.decode(value)
            except ValueError:
                unreadable[i] = True
                continue
            lengths[i] = vectors[i].size
        self._flag("no_logits", field_, missing, row_sample, ids)
        self._flag("unreadable", field_, unreadable, row_sample, ids)

        decoded = lengths >= 0
        if self.n_columns is None and decoded.any():
            self.n_columns = int(lengths[np.flatnonzero(decoded)[0]])
        n_columns = self.n_columns or 0
        self._flag("length", field_, decoded & (lengths != n_columns), row_sample, ids)
        fits = decoded & (lengths == n_columns)
        if n_columns < self.plan.min_columns:
            self._flag("short", field_, fits, row_sample, ids)
            return np.zeros((n_rows, n_columns)), np.zeros(n_rows, dtype=bool)

        X = np.zeros((n_rows, n_columns))
        if fits.any():
            X[fits] = np.stack([vectors[row] for row in np.flatnonzero(fits)])
        nonfinite = fits & ~np.isfinite(X).all(axis=1)
        invalid = fits & find_invalid_rows(
            X, kind=self.plan.kind, multilabel=self.plan.multilabel
        )
        self._flag("nonfinite", field_, nonfinite, row_sample, ids)
        self._flag("probs", field_, invalid & ~nonfinite, row_sample, ids)
        return X, fits & ~invalid

    def _score_labels(
        self, columns: list[list[Any]], owner: Any, ids: list[Any]
    ) -> FloatArray:
        """One score per label document (sample or frame); NaN where none."""
        plan = self.plan
        n_rows = len(owner)
        present = np.array(
            [
                [cls is not None for cls in columns[2 * j]]
                for j in range(len(plan.members))
            ]
        ).reshape(len(plan.members), n_rows)
        everywhere = present.all(axis=0)
        fields = [plan.prefix + m for m in plan.members]
        self._flag(
            "partial", ", ".join(fields), present.any(axis=0) & ~everywhere, owner, ids
        )

        rows = np.flatnonzero(everywhere)
        ok = np.ones(rows.size, dtype=bool)
        stacks = []
        for j, field_ in enumerate(fields):
            logits = [columns[2 * j + 1][i] for i in rows]
            X, fits = self._stack(logits, owner[rows], ids, field_)
            stacks.append(X)
            ok &= fits

        scores = np.full(n_rows, np.nan)
        if self.problems or not ok.any():
            return scores
        scores[rows[ok]] = self._measure([X[ok] for X in stacks])
        return scores

    def _score_detections(
        self, columns: list[list[Any]], owner: Any, ids: list[Any]
    ) -> FloatArray:
        """Score each object; return one aggregate per label document."""
        plan = self.plan
        classes, object_ids, logits = columns
        n_rows = len(owner)
        object_owner = []
        flat_ids: list[Any] = []
        flat_logits: list[Any] = []
        for i in range(n_rows):
            if classes[i] is None or not object_ids[i]:
                continue
            n_objects = len(object_ids[i])
            values = logits[i] if logits[i] is not None else [None] * n_objects
            object_owner += [i] * n_objects
            flat_ids += object_ids[i]
            flat_logits += list(values) + [None] * (n_objects - len(values))
        object_rows = np.asarray(object_owner, dtype=np.intp)

        field_ = plan.prefix + plan.members[0]
        X, ok = self._stack(flat_logits, owner[object_rows], ids, field_)
        if self.problems:
            return np.full(n_rows, np.nan)

        object_scores = self._measure([X])
        self.object_ids.extend(flat_ids)
        self.object_scores.append(object_scores)
        self.object_owner.append(self.n_containers + object_rows)
        return self._group(object_scores, object_rows, n_rows)

    def _measure(self, stacks: list[FloatArray]) -> FloatArray:
        """Call the array core on clean predictions of one or more members."""
        plan = self.plan
        kind, temperature, normalize = plan.kind, plan.temperature, plan.normalize
        if plan.multilabel:
            how = plan.label_aggregate
            return multilabel_hardness(
                stacks[0],
                kind=kind,
                temperature=temperature,
                aggregate=how,
                k=plan.k_for(how),
                normalize=normalize,
            )
        if len(stacks) == 1:
            return hardness(
                stacks[0],
                method=plan.method,
                kind=kind,
                temperature=temperature,
                normalize=normalize,
            )
        if plan.method in ENSEMBLE_METHODS:
            return ensemble_hardness(
                np.stack(stacks),
                method=plan.method,
                kind=kind,
                temperature=temperature,
                normalize=normalize,
            )
        # A softmax measure of an ensemble scores its mean prediction.
        mean = np.mean([_member_probs(X, kind, temperature) for X in stacks], axis=0)
        return hardness(mean, method=plan.method, kind="probs", normalize=normalize)

    # -- after the pass -----------------------------------------------------

    def raise_problems(self) -> None:
        if not self.problems:
            return
        parts = []
        for (problem, field_), (count, example) in self.problems.items():
            noun = "sample has" if count == 1 else "samples have"
            template = _PROBLEMS[problem]
            if problem == "no_logits" and self.plan.detections:
                template = "objects without a 'logits' attribute"
            what = template.format(
                fields=field_,
                n_columns=self.n_columns,
                min_columns=self.plan.min_columns,
            )
            where = "" if problem == "partial" else f"field {field_!r}: "
            parts.append(f"{where}{count} {noun} {what}, e.g. {example}")
        raise FieldError(
            "cannot compute hardness; "
            + "; ".join(parts)
            + ". Nothing was written: fix these predictions, or pass a view that "
            "excludes those samples"
        )

    def concatenated(self, parts: list[Any], dtype: Any = np.float64) -> Any:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _member_probs(X: FloatArray, kind: str, temperature: float) -> FloatArray:
    """Probabilities of one ensemble member, temperature applied."""
    if kind == "logits":
        return softmax(X, temperature=temperature)
    probs = X / X.sum(axis=1, keepdims=True)
    if temperature != 1.0:
        probs = probs ** (1.0 / temperature)
        probs /= probs.sum(axis=1, keepdims=True)
    return probs


def _score(
    samples: Any, plan: _Plan, n_samples: int, chunk_size: int, progress: Any
) -> _Scorer:
    """Pass one over the whole collection; raises FieldError on bad input."""
    logger.info(
        "Computing hardness (%s) of %s on %d samples...",
        plan.method,
        [plan.prefix + m for m in plan.members],
        n_samples,
    )
    scorer = _Scorer(plan)
    with make_progress(n_samples, progress, "samples scored") as bar:
        for columns in iter_chunks(samples, plan.read_paths(), chunk_size=chunk_size):
            scorer.add_chunk(columns)
            bar.update(len(columns[0]))
    scorer.raise_problems()
    return scorer


# ---------------------------------------------------------------------------
# Pass two: write
# ---------------------------------------------------------------------------


def _run_config(plan: _Plan) -> HardnessRunConfig:
    """The config recorded with the run."""
    label_fields = [plan.prefix + m for m in plan.members]
    return HardnessRunConfig(
        label_fields[0],
        plan.hardness_field,
        ensemble_fields=label_fields[1:],
        label_type="detections" if plan.detections else "classification",
        multilabel=plan.multilabel,
        kind=plan.kind,
        temperature=plan.temperature,
        normalize=plan.normalize,
        aggregate=plan.aggregate,
        top_k=plan.top_k,
        label_aggregate=plan.label_aggregate,
        method=plan.method,
        input_fields=label_fields,
        output_fields=plan.output_fields,
    )


def _write(
    samples: Any, plan: _Plan, scorer: _Scorer, chunk_size: int, progress: Any
) -> dict[str, Any]:
    """Write every score in chunks; return counts for the run summary."""
    dataset = samples._dataset
    ensure_fields(dataset, dict.fromkeys(plan.output_fields, fof.FloatField))

    sample_scores = scorer.concatenated(scorer.sample_scores)
    frame_scores = scorer.concatenated(scorer.frame_scores)
    object_scores = scorer.concatenated(scorer.object_scores)
    object_owner = scorer.concatenated(scorer.object_owner, dtype=np.intp)
    containers = scorer.frame_ids if plan.frames else scorer.sample_ids
    n_docs = len(sample_scores) + len(frame_scores) + len(containers) * plan.detections

    with make_progress(n_docs, progress, "documents written") as bar:
        # Object attributes, one update per label document.
        if plan.detections:
            list_path = plan.members[0] + ".detections"
            for where in chunk_slices(len(containers), chunk_size):
                lo, hi = np.searchsorted(object_owner, [where.start, where.stop])
                owners = object_owner[lo:hi]
                starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
                bounds = list(zip(starts, np.r_[starts[1:], owners.size], strict=True))
                doc_ids = containers[where]
                object_ids = scorer.object_ids[slice(int(lo), int(hi))]
                values = object_scores[lo:hi].tolist()
                write_list_attribute(
                    dataset,
                    list_path,
                    plan.hardness_field,
                    [doc_ids[owners[a] - where.start] for a, _ in bounds],
                    [object_ids[a:b] for a, b in bounds],
                    [values[a:b] for a, b in bounds],
                    frames=plan.frames,
                )
                bar.update(where.stop - where.start)

        for ids, scores, frames in (
            (scorer.frame_ids, frame_scores, True),
            (scorer.sample_ids, sample_scores, False),
        ):
            if frames and not plan.frames:
                continue
            for where in chunk_slices(len(scores), chunk_size):
                write_values(
                    dataset,
                    plan.hardness_field,
                    ids[where],
                    nullable_floats(scores[where]),
                    frames=frames,
                )
                bar.update(where.stop - where.start)

    scored = sample_scores[np.isfinite(sample_scores)]
    return {
        "n_samples": int(sample_scores.size),
        "n_scored": int(scored.size),
        "n_frames": int(frame_scores.size),
        "n_objects": int(object_scores.size),
        "score_min": float(scored.min()) if scored.size else None,
        "score_mean": float(scored.mean()) if scored.size else None,
        "score_max": float(scored.max()) if scored.size else None,
    }


def _written_ids(ids: IdBuffer) -> set[bytes]:
    data = bytes(ids._data)
    return {data[i : i + 12] for i in range(0, len(data), 12)}


def _clear_stale(
    samples: Any,
    plan: _Plan,
    scorer: _Scorer,
    previous: HardnessRunConfig,
    chunk_size: int,
) -> None:
    """Set to None the values the earlier run left outside the new run's documents.

    Needed only when ``samples`` is a view: on the whole dataset every
    document the earlier run wrote has just been written again.
    """
    dataset = samples._root_dataset
    if samples is dataset and previous.hardness_field == plan.hardness_field:
        return
    name = plan.hardness_field
    if not dataset.has_field(name):
        return
    levels = [(False, name, scorer.sample_ids)]
    if plan.frames:
        levels.append((True, name, scorer.frame_ids))
    for frames, path, written in levels:
        keep = _written_ids(written)
        id_path = "frames._id" if frames else "_id"
        value_path = (FRAMES_PREFIX if frames else "") + path
        for ids, values in iter_chunks(
            dataset, [id_path, value_path], chunk_size=chunk_size
        ):
            if frames:
                pairs = [
                    (i, v)
                    for doc_ids, doc_values in zip(ids, values, strict=True)
                    for i, v in zip(doc_ids or [], doc_values or [], strict=True)
                ]
            else:
                pairs = list(zip(ids, values, strict=True))
            stale = [i for i, v in pairs if v is not None and i.binary not in keep]
            if stale:
                write_values(dataset, path, stale, [None] * len(stale), frames=frames)
    if not plan.detections:
        return

    # Object attributes: every object outside the written ones loses its value.
    keep_objects = _written_ids(scorer.object_ids)
    list_path = plan.members[0] + ".detections"
    id_path = "frames._id" if plan.frames else "_id"
    full = (FRAMES_PREFIX if plan.frames else "") + list_path
    for ids, object_ids, values in iter_chunks(
        dataset, [id_path, f"{full}._id", f"{full}.{name}"], chunk_size=chunk_size
    ):
        docs, elements, nones = [], [], []
        rows: Iterator[tuple[Any, Any, Any]] = zip(ids, object_ids, values, strict=True)
        if plan.frames:
            rows = (
                row
                for doc in rows
                for row in zip(doc[0] or [], doc[1] or [], doc[2] or [], strict=True)
            )
        for doc_id, doc_objects, doc_values in rows:
            stale = [
                o
                for o, v in zip(doc_objects or [], doc_values or [], strict=True)
                if v is not None and o.binary not in keep_objects
            ]
            if stale:
                docs.append(doc_id)
                elements.append(stale)
                nones.append([None] * len(stale))
        if docs:
            write_list_attribute(
                dataset, list_path, name, docs, elements, nones, frames=plan.frames
            )


# ---------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------


@database_errors("compute_hardness")
def compute_hardness(
    samples: Any,
    label_field: str | Sequence[str],
    hardness_field: str = "hardness",
    *,
    method: str = "entropy",
    kind: str = "logits",
    temperature: float = 1.0,
    normalize: bool = False,
    aggregate: str = "max",
    top_k: int | None = None,
    ensemble_fields: Sequence[str] | None = None,
    multilabel: bool = False,
    label_aggregate: str = "mean",
    run_key: str | None = None,
    overwrite: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: bool | Callable[..., Any] | None = None,
) -> HardnessRunResults:
    """Score how hard each sample is for a model, from its logits.

    A drop-in for :func:`fiftyone.brain.compute_hardness`: with the default
    options it writes the same values (the entropy of the softmax of the
    logits; for video, per frame and the maximum per sample), much faster, and
    it adds other measures, per-object scores, ensembles and multi-label
    predictions. Higher always means harder. Scores are computed in float64
    whatever the stored dtype: for float32 logits FiftyOne Brain computes in
    float32, so the two then agree to float32 precision (about 1e-7) rather
    than to the last digit.

    The predictions are read and the scores written in chunks of
    ``chunk_size`` samples, with one bulk update per chunk. Every input is
    checked before the first write: a bad input raises and leaves the dataset
    as it was.

    Parameters
    ----------
    samples : fiftyone.core.collections.SampleCollection
        A dataset or a view of one.
    label_field : str or sequence of str
        The predictions: a ``Classification`` or ``Classifications`` field
        whose labels carry ``logits`` (for ``Classifications``, the vector on
        the container, as FiftyOne Brain reads it), or a ``Detections`` field
        whose objects each carry a ``logits`` attribute. Frame fields of video
        datasets start with ``"frames."``. A sequence of several fields is an
        ensemble (see ``ensemble_fields``).
    hardness_field : str, default="hardness"
        Where to write the scores. For frame predictions it may be given with
        or without ``"frames."``; the frames get their scores and each sample
        the aggregate of its frames. For Detections each object also gets an
        attribute of this name (e.g. ``detection["hardness"]``), and each
        sample the aggregate of its objects.
    method : str, default="entropy"
        ``"entropy"``, ``"margin"``, ``"least_confidence"`` or ``"ratio"``
        (see :func:`seedselect.scores.hardness`). For an ensemble also
        ``"mutual_information"``, ``"vote_entropy"`` or
        ``"predictive_entropy"`` (see :func:`seedselect.scores.ensemble_hardness`);
        the four others then score the members' mean probability.
    kind : {"logits", "probs"}, default="logits"
        Whether the stored vectors are logits or probabilities.
    temperature : float, default=1.0
        Positive; logits are divided by it before the softmax (or sigmoid).
    normalize : bool, default=False
        Map scores to [0, 1] whatever the number of classes.
    aggregate : {"max", "mean", "sum", "topk_mean"}, default="max"
        How the scores of a sample's objects or frames combine into the
        sample's score. ``"max"`` matches FiftyOne Brain for video.
    top_k : int, optional
        The k of ``"topk_mean"``; required with it and refused otherwise.
    ensemble_fields : sequence of str, optional
        Further prediction fields, scored together with ``label_field`` as an
        ensemble (members of one model family, or MC-dropout passes). All must
        be Classification(s) fields with logits of one length; a sample is
        scored when every field has a label.
    multilabel : bool, default=False
        Treat each label's ``logits`` vector as independent sigmoid outputs,
        one per class (never a softmax across them): each entry is scored by
        its binary entropy, and the entries are combined by
        ``label_aggregate``. ``method`` must then be ``"entropy"``.
    label_aggregate : {"mean", "max", "sum", "topk_mean"}, default="mean"
        With ``multilabel=True``: how the per-label entropies combine.
    run_key : str, optional
        The key under which the run is recorded; defaults to the name of
        ``hardness_field`` (without ``"frames."``). Rerunning with the same key
        replaces that run and the fields it wrote.
    overwrite : bool, default=False
        Allow writing into an existing float field that this run key did not
        write (for example the output of FiftyOne Brain). Without it such a
        field raises :class:`~seedselect.FieldError`.
    chunk_size : int, default=1000
        Samples per database round trip; bounds the memory used for reading.
    progress : bool, callable or None, default=None
        Show progress bars (True), hide them (False), follow
        ``fiftyone.config.show_progress_bars`` (None), or call a function with
        each progress update.

    Returns
    -------
    results : HardnessRunResults
        The run's summary (``n_samples``, ``n_scored``, ``score_mean``, ...),
        also available later as ``samples.load_run_results(run_key)``.

    Raises
    ------
    InputError
        For an invalid option, an empty collection, or an invalid run key.
    FieldError
        For a missing or unsupported prediction field, labels without logits,
        logits with NaN or infinite values or of different lengths, or an
        output field that already holds something else. The message names the
        field, the problem, the number of samples affected and one sample id.
    RunError
        If ``run_key`` is used by another kind of run, or another call is
        writing the same run key or field at this moment.
    DatabaseUnavailableError
        If the database does not answer a round trip within
        ``SEEDSELECT_DB_TIMEOUT`` seconds (default 60) or drops the connection.

    Notes
    -----
    Samples whose label is None get None, as in FiftyOne Brain; so do
    Detections labels with no objects. The run is recorded as
    ``status="running"`` before the first write and marked ``"complete"``
    after the last. A rerun under the same key writes its values in place
    (each sample holds its old or its new score, never neither), then sets to
    None the values the earlier run left on samples outside ``samples``, and
    deletes fields only the earlier run wrote. A call that stopped halfway
    (killed, or the database went away) is listed as incomplete by
    :func:`~seedselect.fo._runs.list_seedselect_runs`; rerunning it gives the
    result of an uninterrupted run.

    Examples
    --------
    >>> import fiftyone as fo
    >>> import numpy as np
    >>> from seedselect import compute_hardness
    >>> rng = np.random.default_rng(0)
    >>> dataset = fo.Dataset()
    >>> dataset.add_samples(
    ...     [
    ...         fo.Sample(
    ...             filepath=f"/tmp/{i}.png",
    ...             predictions=fo.Classification(label="a", logits=rng.normal(size=5)),
    ...         )
    ...         for i in range(4)
    ...     ]
    ... )  # doctest: +ELLIPSIS
    [...]
    >>> results = compute_hardness(dataset, "predictions", progress=False)
    >>> results.n_scored
    4
    >>> dataset.list_runs()
    ['hardness']
    """
    started = time.perf_counter()
    chunk_size = check_chunk_size(chunk_size)
    options = {
        "method": method,
        "kind": kind,
        "temperature": temperature,
        "normalize": bool(normalize),
        "aggregate": aggregate,
        "top_k": top_k,
        "multilabel": bool(multilabel),
        "label_aggregate": label_aggregate,
    }
    plan = _plan(samples, label_field, hardness_field, ensemble_fields, options)
    run_key = plan.hardness_field if run_key is None else run_key
    check_run_key(samples, run_key, HardnessRunConfig)
    locks = [f"run:{run_key}"] + [f"field:{path}" for path in plan.output_fields]
    with run_lock(samples._root_dataset, locks, "compute_hardness"):
        previous = check_run_key(samples, run_key, HardnessRunConfig)
        _check_outputs(samples, plan, previous, overwrite)
        with round_trip():
            n_samples = samples.count()
        if n_samples == 0:
            raise InputError(
                "samples is empty (0 samples): there is nothing to score; pass a "
                "dataset or view that contains samples"
            )

        # Pass one raises before anything is written; pass two writes in place,
        # then clears what the earlier run under this key left elsewhere.
        scorer = _score(samples, plan, n_samples, chunk_size, progress)
        config = _run_config(plan)
        start_run(samples, run_key, config, previous)
        summary = _write(samples, plan, scorer, chunk_size, progress)
        if previous is not None:
            _clear_stale(samples, plan, scorer, previous, chunk_size)
        summary["elapsed_seconds"] = round(time.perf_counter() - started, 3)
        results = finish_run(samples, run_key, config, HardnessRunResults, **summary)

    if summary["n_scored"] == 0:
        logger.warning(
            "None of the %d samples had a label to score in %s; hardness is None "
            "everywhere",
            n_samples,
            config.input_fields,
        )
    logger.info(
        "Hardness computation complete: %d of %d samples scored (run '%s')",
        summary["n_scored"],
        n_samples,
        run_key,
    )
    return cast(HardnessRunResults, results)
