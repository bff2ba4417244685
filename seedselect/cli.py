"""The ``seedselect`` command line.

Each subcommand is a thin shell over the public API: it parses its options,
calls one function and prints the outcome. A failure prints one line,
``seedselect: error: <reason>``, to stderr and exits non-zero: 2 for bad usage
(an unknown option, a missing argument, options that do not go together), 1 for
anything else (a missing dataset or field, an unreadable file, bad values).
``--verbose`` shows the traceback instead. Every check runs before the first
write, so a failed command changes nothing.

Two modes share the ``score`` and ``select`` verbs:

- on a FiftyOne dataset, named by the first positional argument:
  ``seedselect score DATASET FIELD``, ``seedselect select DATASET -n 50``;
- on plain files, for users without a FiftyOne dataset, when the input is named
  by an option instead: ``seedselect score --logits FILE --output FILE``,
  ``seedselect select --scores FILE -n 50 --output FILE``.

FiftyOne is imported only by the subcommands that open a dataset, so ``--help``
and the file mode start quickly.

A subcommand is added by writing a ``_add_<name>`` function that creates its
parser on the subparsers object and sets ``handler`` to a function taking the
parsed arguments and returning an exit code, then listing it in
:data:`_SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import _cli_files
from ._cli_files import UsageError
from ._exceptions import InputError
from .scores import AGGREGATIONS, ENSEMBLE_METHODS, KINDS, METHODS

__all__ = ["main"]

logger = logging.getLogger(__name__)

_PROG = "seedselect"

# Choices that select_seeds and select_batch accept, offered to argparse so that
# a typo is a usage error with the list of valid values.
_SAMPLING = ("greedy", "power", "softmax")
_BALANCE = ("equal", "proportional", "inverse")
# "auto" is select_batch's default; "none" ranks by hardness alone.
_DIVERSITY = ("auto", "none", "kcenter", "dedup", "cluster", "weighted")
_METRICS = ("euclidean", "cosine")
_MANIFEST_FORMATS = ("csv", "json", "parquet")
_FIGURE_SUFFIXES = (".png", ".html", ".htm")
# Plots the ``report`` subcommand can write, and the SelectionReport figure of
# each plot of a selection run.
_PLOTS = ("auto", "hardness", "classes", "projection", "runs")
_RUN_FIGURES = {
    "classes": "class_counts",
    "hardness": "hardness",
    "projection": "projection",
}


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises on bad usage instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _new_parser(
    subparsers: Any, name: str, help: str, description: str, examples: str
) -> _Parser:
    parser: _Parser = subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def _add_output_options(parser: argparse.ArgumentParser, *, json_help: str) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="hide progress bars")
    parser.add_argument(
        "--json", action="store_true", help=json_help + " (hides progress bars)"
    )


def _progress(args: argparse.Namespace) -> bool | None:
    """False hides FiftyOne's progress bars; None follows its configuration.

    FiftyOne draws its bars on standard output, so ``--json`` hides them too:
    a script reads nothing there but the JSON document.
    """
    return False if args.quiet or getattr(args, "json", False) else None


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------
# FiftyOne, loaded on demand


def _fiftyone() -> Any:
    """Import FiftyOne (slow), quieting its notice about the bundled MongoDB."""
    # The notice that the embedded MongoDB is the oldest supported version is
    # harmless (see the README) and would break the one-line error contract.
    os.environ.setdefault("FIFTYONE_DATABASE_VALIDATION", "false")
    import fiftyone as fo

    return fo


def _load_dataset(name: str) -> Any:
    fo = _fiftyone()
    if not fo.dataset_exists(name):
        names = fo.list_datasets()
        shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        raise InputError(
            f"dataset {name!r} not found (datasets: {shown or 'none'}); check the "
            "name, or create it first (e.g. 'seedselect demo')"
        )
    dataset = fo.load_dataset(name)
    # In a long-lived process the dataset object may predate changes made by
    # other processes (runs, fields); read its current state.
    dataset.reload()
    return dataset


def _view(dataset: Any, match_tags: Sequence[str] | None) -> Any:
    """The dataset, or its samples that carry any of ``match_tags``."""
    if not match_tags:
        return dataset
    view = dataset.match_tags(list(match_tags))
    if view.count() == 0:
        counts = dataset.count_sample_tags()
        raise InputError(
            f"--match-tags {' '.join(match_tags)}: no sample of dataset "
            f"'{dataset.name}' has these tags (its tags: {counts}); check the tags"
        )
    return view


def _saved_view(dataset: Any, name: str | None, option: str) -> Any:
    """The saved view ``name`` of ``dataset`` (None stays None)."""
    if name is None:
        return None
    saved = dataset.list_saved_views()
    if name not in saved:
        raise InputError(
            f"{option} {name!r} is not a saved view of dataset '{dataset.name}' "
            f"(saved views: {saved}); pass one of those"
        )
    return dataset.load_saved_view(name)


def _add_match_tags(parser: Any) -> None:
    parser.add_argument(
        "--match-tags",
        nargs="+",
        metavar="TAG",
        help="work only on the samples that carry any of these tags",
    )


# ---------------------------------------------------------------------------
# demo


def _add_demo(subparsers: Any) -> None:
    parser = _new_parser(
        subparsers,
        "demo",
        "build the digits demo dataset and show its hardest samples",
        "Build (or reuse) a FiftyOne dataset of scikit-learn's handwritten digits "
        "with a logistic regression's predictions, score how hard each sample is, "
        "and print the hardest ones. Works offline.",
        "  seedselect demo --top 5\n"
        "  seedselect demo --method margin --images-dir /tmp/digits --overwrite",
    )
    parser.add_argument(
        "--name",
        default=None,
        help="FiftyOne dataset name (default: seedselect-digits)",
    )
    parser.add_argument(
        "--images-dir",
        default=None,
        help="where to write the digit images (default: ~/.seedselect/demo/digits)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="rebuild the dataset even if it exists"
    )
    parser.add_argument(
        "--n-samples",
        type=int,
        default=None,
        help="use only this many digits (default: all 1,797)",
    )
    parser.add_argument(
        "--top", type=int, default=10, help="hardest samples to show (default: 10)"
    )
    parser.add_argument(
        "--method",
        default="entropy",
        choices=METHODS,
        help="hardness measure (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed (default: %(default)s)"
    )
    parser.add_argument(
        "-q",
        "--quiet",
        "--no-progress",
        dest="quiet",
        action="store_true",
        help="hide progress bars",
    )
    parser.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    _fiftyone()
    from .fo import run_demo

    name = {} if args.name is None else {"name": args.name}
    report = run_demo(
        **name,
        images_dir=args.images_dir,
        overwrite=args.overwrite,
        n_samples=args.n_samples,
        n_show=args.top,
        method=args.method,
        random_state=args.seed,
        progress=_progress(args),
    )
    print(report.format())
    return 0


# ---------------------------------------------------------------------------
# score


def _add_score(subparsers: Any) -> None:
    parser = _new_parser(
        subparsers,
        "score",
        "score how hard each sample is, on a dataset or on a file of logits",
        "Score how hard each sample is for a model, from its logits or "
        "probabilities (higher = harder).\n\n"
        "Dataset mode, 'score DATASET FIELD': FIELD holds the predictions "
        "(Classification, Classifications or Detections with logits); the scores "
        "go to --hardness-field and the run is recorded under --run-key.\n"
        "File mode, 'score --logits FILE' or 'score --probs FILE': one row per "
        "sample in .npy, .npz, .csv or .parquet (a table's columns are the "
        "classes, plus an optional id column); the scores are written to --output "
        "(.csv or .parquet).",
        "  seedselect score seedselect-digits predictions --method margin\n"
        "  seedselect score my-video frames.predictions --aggregate topk_mean "
        "--top-k 5\n"
        "  seedselect score --logits logits.npy --output scores.csv\n"
        "  seedselect score --probs probs.parquet --method margin --output "
        "scores.parquet --json",
    )
    parser.add_argument("dataset", nargs="?", help="FiftyOne dataset name")
    parser.add_argument(
        "label_field", nargs="?", help="prediction field holding logits"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--logits", metavar="FILE", help="file mode: logits file")
    source.add_argument("--probs", metavar="FILE", help="file mode: probabilities file")
    methods = METHODS + ENSEMBLE_METHODS
    parser.add_argument(
        "--method",
        default="entropy",
        choices=methods,
        help="hardness measure; the last three need --ensemble-field "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--kind",
        choices=KINDS,
        default=None,
        help="dataset mode: whether the stored vectors are logits or "
        "probabilities (default: logits)",
    )
    parser.add_argument(
        "--temperature", type=float, default=1.0, help="softmax temperature"
    )
    parser.add_argument(
        "--normalize", action="store_true", help="scale scores to [0, 1]"
    )
    parser.add_argument(
        "--multilabel",
        action="store_true",
        help="independent sigmoid outputs per class (binary entropy per label)",
    )
    parser.add_argument(
        "--label-aggregate",
        choices=AGGREGATIONS,
        default="mean",
        help="with --multilabel: how per-label entropies combine",
    )
    parser.add_argument(
        "--hardness-field",
        default="hardness",
        help="output field (dataset mode) or column (file mode) (default: %(default)s)",
    )
    group = parser.add_argument_group("dataset mode")
    group.add_argument(
        "--aggregate",
        choices=AGGREGATIONS,
        default=None,
        help="how object or frame scores combine per sample (default: max)",
    )
    group.add_argument("--top-k", type=int, default=None, help="k of topk_mean")
    group.add_argument(
        "--ensemble-field",
        action="append",
        default=None,
        metavar="FIELD",
        help="another prediction field of the ensemble (repeatable)",
    )
    group.add_argument("--run-key", default=None, help="run key (default: field)")
    group.add_argument(
        "--overwrite",
        action="store_true",
        default=None,
        help="write into an existing float field this run did not write",
    )
    group.add_argument(
        "--chunk-size", type=int, default=None, help="samples per database trip"
    )
    _add_match_tags(group)
    files = parser.add_argument_group("file mode")
    files.add_argument("--output", "-o", metavar="FILE", help="scores .csv/.parquet")
    files.add_argument("--key", help="array name inside a .npz archive")
    files.add_argument("--id-column", help="table column of sample ids")
    files.add_argument(
        "--columns", nargs="+", metavar="COLUMN", help="table columns of the vectors"
    )
    _add_output_options(
        parser, json_help="print a JSON summary (counts, min, mean, max)"
    )
    parser.set_defaults(handler=_run_score)


_SCORE_DATASET_ONLY = (
    "kind",
    "aggregate",
    "top_k",
    "ensemble_field",
    "run_key",
    "overwrite",
    "chunk_size",
    "match_tags",
)
_SCORE_FILE_ONLY = ("output", "key", "id_column", "columns")


def _check_mode(
    args: argparse.Namespace,
    file_mode: bool,
    dataset_only: Sequence[str],
    file_only: Sequence[str],
) -> None:
    """Refuse options of the other mode, naming the first one found."""
    wrong = file_only if not file_mode else dataset_only
    for name in wrong:
        if getattr(args, name, None) not in (None, False, []):
            mode = "file" if file_mode else "dataset"
            raise UsageError(
                f"--{name.replace('_', '-')} does not apply in {mode} mode; see "
                f"'seedselect {args.command} --help'"
            )


def _run_score(args: argparse.Namespace) -> int:
    file_mode = args.logits is not None or args.probs is not None
    if file_mode and args.dataset is not None:
        raise UsageError(
            "pass either DATASET FIELD (dataset mode) or --logits/--probs FILE "
            "(file mode), not both"
        )
    if not file_mode and (args.dataset is None or args.label_field is None):
        raise UsageError(
            "score needs DATASET FIELD, or --logits FILE / --probs FILE with "
            "--output FILE (see 'seedselect score --help')"
        )
    _check_mode(args, file_mode, _SCORE_DATASET_ONLY, _SCORE_FILE_ONLY)
    if file_mode:
        summary = _cli_files.score_file(args)
    else:
        summary = _score_dataset(args)
    if args.json:
        _print_json(summary)
    else:
        print(_describe_scores(summary))
    return 0


def _score_dataset(args: argparse.Namespace) -> dict[str, Any]:
    dataset = _load_dataset(args.dataset)
    from .fo import compute_hardness

    options: dict[str, Any] = {
        "method": args.method,
        "temperature": args.temperature,
        "normalize": args.normalize,
        "multilabel": args.multilabel,
        "label_aggregate": args.label_aggregate,
        "ensemble_fields": args.ensemble_field,
        "run_key": args.run_key,
        "overwrite": bool(args.overwrite),
        "top_k": args.top_k,
    }
    for name in ("kind", "aggregate", "chunk_size"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    results = compute_hardness(
        _view(dataset, args.match_tags),
        args.label_field,
        args.hardness_field,
        progress=_progress(args),
        **options,
    )
    summary = {"mode": "dataset", "dataset": dataset.name, "run_key": results.key}
    summary["hardness_field"] = args.hardness_field
    summary["method"] = args.method
    for name in ("n_samples", "n_scored", "score_min", "score_mean", "score_max"):
        summary[name] = getattr(results, name, None)
    return summary


def _describe_scores(summary: dict[str, Any]) -> str:
    where = (
        f"dataset '{summary['dataset']}' field '{summary['hardness_field']}' "
        f"(run '{summary['run_key']}')"
        if summary["mode"] == "dataset"
        else f"{summary['output']}"
    )
    stats = ""
    if summary.get("score_mean") is not None:
        stats = (
            f"; min {summary['score_min']:.4g}, mean {summary['score_mean']:.4g}, "
            f"max {summary['score_max']:.4g}"
        )
    return (
        f"Scored {summary['n_scored']} of {summary['n_samples']} samples by "
        f"{summary['method']} into {where}{stats}"
    )


# ---------------------------------------------------------------------------
# select


def _add_selection_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by both modes of ``select`` (as in select_batch)."""
    parser.add_argument(
        "-n", "--n-select", type=int, required=True, help="how many to choose"
    )
    gates = parser.add_argument_group("gates, sampling and quotas")
    gates.add_argument("--threshold", type=float, help="keep scores >= this")
    gates.add_argument(
        "--quantile-range",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="keep scores between these quantiles, e.g. 0.9 1.0",
    )
    gates.add_argument(
        "--top-fraction", type=float, help="keep this top fraction, e.g. 0.05"
    )
    gates.add_argument("--sampling", choices=_SAMPLING, default="greedy")
    gates.add_argument("--sampling-power", type=float, default=1.0)
    gates.add_argument("--sampling-temperature", type=float, default=1.0)
    gates.add_argument("--balance", choices=_BALANCE, help="per-class quotas")
    gates.add_argument("--min-per-class", type=int)
    gates.add_argument("--max-per-class", type=int)
    diversity = parser.add_argument_group("diversity (needs embeddings)")
    diversity.add_argument(
        "--diversity",
        choices=_DIVERSITY,
        default="auto",
        help="auto: cluster the hardest tenth when embeddings are given, else "
        "rank; none: rank by hardness alone (default: %(default)s)",
    )
    diversity.add_argument("--radius", type=float, help="near-duplicate radius")
    diversity.add_argument("--n-clusters", type=int)
    diversity.add_argument("--diversity-weight", type=float, default=0.5)
    diversity.add_argument("--metric", choices=_METRICS, default="euclidean")
    parser.add_argument(
        "--allow-shortfall",
        action="store_true",
        help="choose fewer instead of failing when the pool is too small",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed")


def _selection_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "threshold": args.threshold,
        "quantile_range": (
            None if args.quantile_range is None else tuple(args.quantile_range)
        ),
        "top_fraction": args.top_fraction,
        "sampling": args.sampling,
        "sampling_power": args.sampling_power,
        "sampling_temperature": args.sampling_temperature,
        "balance": args.balance,
        "min_per_class": args.min_per_class,
        "max_per_class": args.max_per_class,
        "diversity": None if args.diversity == "none" else args.diversity,
        "radius": args.radius,
        "n_clusters": args.n_clusters,
        "diversity_weight": args.diversity_weight,
        "metric": args.metric,
        "allow_shortfall": args.allow_shortfall,
        "random_state": args.seed,
    }


def _add_select(subparsers: Any) -> None:
    parser = _new_parser(
        subparsers,
        "select",
        "choose the next labeling batch, on a dataset or on files of scores",
        "Choose the next labeling batch: rank by hardness, gate, balance classes "
        "and filter for diversity.\n\n"
        "Dataset mode, 'select DATASET -n N': tags the chosen samples, writes "
        "their rank and reason, saves a view and records the run under "
        "--run-key.\n"
        "File mode, 'select --scores FILE -n N --output FILE': reads scores (and "
        "optionally labels and embeddings) from files and writes the chosen rows "
        "with the reason for each to .csv or .parquet. --embeddings alone makes a "
        "cold start.",
        "  seedselect select seedselect-digits -n 50 --label-field predictions "
        "--balance equal --exclude-tags train\n"
        "  seedselect select seedselect-digits -n 50 --embeddings-field embeddings "
        "--diversity kcenter --run-key diverse --tag diverse\n"
        "  seedselect select --scores scores.csv --labels label -n 20 --balance "
        "equal --output batch.csv\n"
        "  seedselect select --scores scores.parquet --embeddings emb.npy -n 20 "
        "--diversity kcenter --output batch.parquet --json",
    )
    parser.add_argument("dataset", nargs="?", help="FiftyOne dataset name")
    _add_selection_options(parser)
    group = parser.add_argument_group("dataset mode")
    group.add_argument(
        "--hardness-field", default=None, help="hardness field (default: hardness)"
    )
    group.add_argument(
        "--cold-start",
        action="store_true",
        help="ignore hardness; choose typical samples from the embeddings",
    )
    group.add_argument("--label-field", help="class field for --balance")
    group.add_argument("--embeddings-field", help="embeddings field for diversity")
    group.add_argument("--similarity-index", help="brain key of a similarity index")
    group.add_argument(
        "--exclude-tags", nargs="+", metavar="TAG", help="never choose these"
    )
    group.add_argument(
        "--exclude-view", metavar="NAME", help="saved view whose samples never count"
    )
    group.add_argument("--tag", default=None, help="tag of the chosen samples")
    group.add_argument("--run-key", default=None, help="run key (default: seeds)")
    group.add_argument("--saved-view-name", default=None)
    group.add_argument("--chunk-size", type=int, default=None)
    _add_match_tags(group)
    files = parser.add_argument_group("file mode")
    files.add_argument("--scores", metavar="FILE", help="hardness scores file")
    files.add_argument(
        "--score-column", help="column of the scores (default: hardness or score)"
    )
    files.add_argument(
        "--labels",
        metavar="FILE|COLUMN",
        help="classes: a column of the scores file or a labels file",
    )
    files.add_argument("--embeddings", metavar="FILE", help="embeddings file")
    files.add_argument(
        "--exclude",
        metavar="COLUMN",
        help="true/false column of the scores file: rows never chosen (labeled)",
    )
    files.add_argument("--id-column", help="table column of sample ids")
    files.add_argument("--output", "-o", metavar="FILE", help="batch .csv/.parquet")
    _add_output_options(parser, json_help="print the chosen ids as JSON")
    parser.set_defaults(handler=_run_select)


_SELECT_DATASET_ONLY = (
    "hardness_field",
    "cold_start",
    "label_field",
    "embeddings_field",
    "similarity_index",
    "exclude_tags",
    "exclude_view",
    "tag",
    "run_key",
    "saved_view_name",
    "chunk_size",
    "match_tags",
)
_SELECT_FILE_ONLY = ("score_column", "labels", "exclude", "id_column", "output")


def _run_select(args: argparse.Namespace) -> int:
    file_mode = args.scores is not None or args.embeddings is not None
    if file_mode and args.dataset is not None:
        raise UsageError(
            "pass either DATASET (dataset mode) or --scores/--embeddings FILE "
            "(file mode), not both"
        )
    if not file_mode and args.dataset is None:
        raise UsageError(
            "select needs DATASET, or --scores FILE with --output FILE (see "
            "'seedselect select --help')"
        )
    _check_mode(args, file_mode, _SELECT_DATASET_ONLY, _SELECT_FILE_ONLY)
    if file_mode:
        outcome = _cli_files.select_file(args, _selection_options(args))
    else:
        outcome = _select_dataset(args)
    if args.json:
        _print_json(outcome)
    else:
        print(_describe_selection(outcome))
    return 0


def _select_dataset(args: argparse.Namespace) -> dict[str, Any]:
    dataset = _load_dataset(args.dataset)
    from .fo import select_seeds

    options = _selection_options(args)
    named = {
        "tag": args.tag,
        "run_key": args.run_key,
        "saved_view_name": args.saved_view_name,
        "chunk_size": args.chunk_size,
        "hardness_field": args.hardness_field,
    }
    options.update({k: v for k, v in named.items() if v is not None})
    if args.cold_start:
        options["hardness_field"] = None
    batch = select_seeds(
        _view(dataset, args.match_tags),
        args.n_select,
        label_field=args.label_field,
        embeddings_field=args.embeddings_field,
        similarity_index=args.similarity_index,
        exclude_tags=args.exclude_tags,
        exclude_view=_saved_view(dataset, args.exclude_view, "--exclude-view"),
        progress=_progress(args),
        **options,
    )
    run_key = options.get("run_key", "seeds")
    config = dataset.get_run_info(run_key).config
    return {
        "mode": "dataset",
        "dataset": dataset.name,
        "run_key": run_key,
        "tag": config.tag,
        "saved_view": config.saved_view_name,
        "n_selected": batch.count(),
        "ids": batch.values("id"),
        "reasons": batch.values(f"{run_key}_reason"),
    }


def _describe_selection(outcome: dict[str, Any]) -> str:
    lines = []
    if outcome["mode"] == "dataset":
        verb = "Expanded into" if outcome.get("seeds") else "Selected"
        lines.append(
            f"{verb} {outcome['n_selected']} samples of dataset "
            f"'{outcome['dataset']}' under run '{outcome['run_key']}' (tag "
            f"'{outcome['tag']}', saved view '{outcome['saved_view']}')"
        )
        shown = list(zip(outcome["ids"], outcome["reasons"], strict=True))
        for sample_id, reason in shown[:_SHOWN_ROWS]:
            lines.append(f"  {sample_id}  {reason}")
        if len(shown) > _SHOWN_ROWS:
            lines.append(f"  ... {len(shown) - _SHOWN_ROWS} more")
    else:
        lines.append(
            f"Selected {outcome['n_selected']} of {outcome['n_pool']} rows into "
            f"{outcome['output']}"
            + (f" ({outcome['shortfall']} short)" if outcome["shortfall"] else "")
        )
    return "\n".join(lines)


# Rows of a selection printed without --json.
_SHOWN_ROWS = 10


# ---------------------------------------------------------------------------
# expand


def _add_expand(subparsers: Any) -> None:
    parser = _new_parser(
        subparsers,
        "expand",
        "find more samples like the seeds in an unlabeled pool",
        "Find the pool samples nearest to the seeds by embedding, taking turns "
        "between the seeds; tag them, save a view and record the run on the "
        "pool's dataset. The seeds are a saved view or a tag of DATASET; the pool "
        "is --pool-dataset, or the rest of DATASET.",
        "  seedselect expand seedselect-digits -n 100 --seeds-view seeds "
        "--embeddings-field embeddings\n"
        "  seedselect expand labeled -n 200 --seeds-tag hard --pool-dataset "
        "unlabeled --embeddings-field emb --radius 0.5 --json",
    )
    parser.add_argument("dataset", help="dataset holding the seeds")
    parser.add_argument(
        "-n", "--n-select", type=int, required=True, help="how many to choose"
    )
    seeds = parser.add_mutually_exclusive_group(required=True)
    seeds.add_argument("--seeds-view", help="saved view of the seeds, e.g. seeds")
    seeds.add_argument("--seeds-tag", help="tag of the seed samples")
    parser.add_argument(
        "--pool-dataset", help="dataset to search (default: the rest of DATASET)"
    )
    _add_match_tags(parser)
    parser.add_argument("--embeddings-field", help="embeddings field of the pool")
    parser.add_argument("--similarity-index", help="brain key of a similarity index")
    parser.add_argument("--seeds-embeddings-field", help="when the seeds' differs")
    parser.add_argument("--n-neighbors-per-seed", type=int)
    parser.add_argument(
        "--radius",
        type=float,
        default=0.0,
        help="near-duplicate radius (default: %(default)s, exact copies only)",
    )
    parser.add_argument(
        "--keep-duplicates",
        action="store_true",
        help="keep near-duplicates and exact copies (no radius)",
    )
    parser.add_argument("--metric", choices=_METRICS, default="euclidean")
    parser.add_argument(
        "--exclude-tags", nargs="+", metavar="TAG", help="pool samples never chosen"
    )
    parser.add_argument(
        "--exclude-view",
        metavar="NAME",
        help="saved view of the pool's dataset whose samples are never chosen",
    )
    parser.add_argument("--label-field", help="class field of the pool")
    parser.add_argument(
        "--no-balance-classes",
        action="store_true",
        help="with --label-field: do not split the batch equally over classes",
    )
    parser.add_argument("--seed-order", choices=("given", "random"), default="given")
    parser.add_argument("--allow-shortfall", action="store_true")
    parser.add_argument("--tag", default=None, help="tag of the chosen samples")
    parser.add_argument("--run-key", default=None, help="(default: expansion)")
    parser.add_argument("--saved-view-name", default=None)
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument("--chunk-size", type=int, default=None)
    _add_output_options(parser, json_help="print the chosen ids as JSON")
    parser.set_defaults(handler=_run_expand)


def _seed_view(dataset: Any, args: argparse.Namespace) -> Any:
    if args.seeds_view is not None:
        seeds = _saved_view(dataset, args.seeds_view, "--seeds-view")
    else:
        seeds = dataset.match_tags(args.seeds_tag)
    if seeds.count() == 0:
        what = f"view {args.seeds_view!r}" if args.seeds_view else "tag"
        raise InputError(
            f"the seeds ({what} {args.seeds_tag or ''}) hold no sample of dataset "
            f"'{dataset.name}'; select seeds first"
        )
    return seeds


def _run_expand(args: argparse.Namespace) -> int:
    dataset = _load_dataset(args.dataset)
    seeds = _seed_view(dataset, args)
    if args.pool_dataset is not None:
        pool = _view(_load_dataset(args.pool_dataset), args.match_tags)
    else:
        pool = _view(dataset, args.match_tags).exclude(seeds.values("id"))
    from .fo import expand_seeds

    named = {
        "tag": args.tag,
        "run_key": args.run_key,
        "saved_view_name": args.saved_view_name,
        "chunk_size": args.chunk_size,
    }
    found = expand_seeds(
        seeds,
        pool,
        args.n_select,
        embeddings_field=args.embeddings_field,
        similarity_index=args.similarity_index,
        seeds_embeddings_field=args.seeds_embeddings_field,
        n_neighbors_per_seed=args.n_neighbors_per_seed,
        radius=None if args.keep_duplicates else args.radius,
        metric=args.metric,
        exclude_tags=args.exclude_tags,
        exclude_view=_saved_view(
            pool._root_dataset, args.exclude_view, "--exclude-view"
        ),
        label_field=args.label_field,
        balance_classes=not args.no_balance_classes,
        seed_order=args.seed_order,
        allow_shortfall=args.allow_shortfall,
        random_state=args.seed,
        progress=_progress(args),
        **{k: v for k, v in named.items() if v is not None},
    )
    run_key = args.run_key or "expansion"
    pool_dataset = pool._root_dataset
    config = pool_dataset.get_run_info(run_key).config
    outcome = {
        "mode": "dataset",
        "dataset": pool_dataset.name,
        "seeds": seeds.count(),
        "run_key": run_key,
        "tag": config.tag,
        "saved_view": config.saved_view_name,
        "n_selected": found.count(),
        "ids": found.values("id"),
        "reasons": found.values(f"{run_key}_reason"),
    }
    if args.json:
        _print_json(outcome)
    else:
        print(_describe_selection(outcome))
    return 0


# ---------------------------------------------------------------------------
# export


def _add_export(subparsers: Any) -> None:
    parser = _new_parser(
        subparsers,
        "export",
        "write a selection's labeling manifest to CSV, JSON or Parquet",
        "Write the samples a selection or expansion run chose, in order, with "
        "filepath, hardness, class, rank and reason, for a labeling tool.",
        "  seedselect export seedselect-digits batch.csv\n"
        "  seedselect export seedselect-digits batch.parquet --run-key diverse",
    )
    parser.add_argument("dataset", help="FiftyOne dataset name")
    parser.add_argument("output", help="manifest file (.csv, .json or .parquet)")
    parser.add_argument("--run-key", default="seeds", help="(default: %(default)s)")
    parser.add_argument(
        "--format", choices=_MANIFEST_FORMATS, help="default: from the suffix"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.set_defaults(handler=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    suffix = Path(args.output).suffix.lower()
    if args.format is None and suffix not in (".csv", ".json", ".parquet", ".pq"):
        raise UsageError(
            f"output '{args.output}' has suffix {suffix!r}; use .csv, .json or "
            ".parquet, or pass --format"
        )
    dataset = _load_dataset(args.dataset)
    from .fo import export_manifest

    manifest = export_manifest(
        dataset, args.output, run_key=args.run_key, format=args.format
    )
    summary = {"output": args.output, "run_key": args.run_key, "rows": len(manifest)}
    if args.json:
        _print_json(summary)
    else:
        print(f"Wrote {len(manifest)} rows of run '{args.run_key}' to {args.output}")
    return 0


# ---------------------------------------------------------------------------
# report


def _add_report(subparsers: Any) -> None:
    parser = _new_parser(
        subparsers,
        "report",
        "print a summary table and save plots to .png or .html",
        "Print a summary table and, with --output, save a plot.\n\n"
        "  no run key:      hardness per class of the dataset (--plot hardness)\n"
        "  --run-key KEY:   a selection run: classes against quotas and hardness "
        "(--plot classes, hardness or projection)\n"
        "  --compare K1 K2: several selection runs side by side (--plot runs)",
        "  seedselect report seedselect-digits --label-field ground_truth "
        "--output hardness.png\n"
        "  seedselect report seedselect-digits --run-key seeds --plot classes "
        "--output classes.html\n"
        "  seedselect report seedselect-digits --compare seeds diverse "
        "--embeddings-field embeddings --output runs.png",
    )
    parser.add_argument("dataset", help="FiftyOne dataset name")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--run-key", help="report on this selection run")
    which.add_argument(
        "--compare", nargs="+", metavar="KEY", help="compare these selection runs"
    )
    parser.add_argument(
        "--hardness-field", default="hardness", help="(default: %(default)s)"
    )
    parser.add_argument("--label-field", help="class field to group by")
    parser.add_argument("--embeddings-field", help="embeddings for projections")
    _add_match_tags(parser)
    parser.add_argument(
        "--plot", choices=_PLOTS, default="auto", help="which plot to save"
    )
    parser.add_argument("--output", "-o", help="figure file (.png or .html)")
    parser.add_argument(
        "--json", action="store_true", help="print the table as JSON records"
    )
    parser.set_defaults(handler=_run_report)


def _run_report(args: argparse.Namespace) -> int:
    if args.output is not None and not args.output.lower().endswith(_FIGURE_SUFFIXES):
        raise UsageError(f"--output '{args.output}' must end in .png, .html or .htm")
    allowed = {"auto", "hardness"}
    if args.run_key:
        allowed = {"auto", "classes", "hardness", "projection"}
    elif args.compare:
        allowed = {"auto", "runs"}
    if args.plot not in allowed:
        raise UsageError(
            f"--plot {args.plot} does not apply here; pick one of {sorted(allowed)}"
        )
    dataset = _load_dataset(args.dataset)
    view = _view(dataset, args.match_tags)
    from . import reports

    figure = None
    if args.run_key:
        report = reports.selection_report(
            view, args.run_key, embeddings_field=args.embeddings_field
        )
        table = report.summary
        available = {p: f for p, f in _RUN_FIGURES.items() if f in report.figures}
        name = args.plot
        if name == "auto":
            name = next(iter(available), "none")
        if args.output is not None:
            if name not in available:
                raise InputError(
                    f"run {args.run_key!r} gives no {name} plot (it has: "
                    f"{sorted(available)}); pick one of those, or pass "
                    "--embeddings-field for a projection"
                )
            figure = report.figures[available[name]]
    elif args.compare:
        table = reports.compare_selection_runs(
            view,
            args.compare,
            hardness_field=args.hardness_field,
            label_field=args.label_field,
            embeddings_field=args.embeddings_field,
        )
        if args.output is not None:
            figure = reports.plot_run_comparison(table)
    else:
        table = reports.dataset_hardness_summary(
            view, args.hardness_field, args.label_field
        )
        if args.output is not None:
            figure = reports.plot_dataset_hardness(
                view, args.hardness_field, args.label_field
            )
    if figure is not None:
        reports.save_figure(figure, args.output)
    if args.json:
        print(table.to_json(orient="records", indent=2))
    else:
        print(table.to_string(index=False))
        if figure is not None:
            print(f"Saved the plot to {args.output}")
    return 0


# ---------------------------------------------------------------------------
# runs


def _add_runs(subparsers: Any) -> None:
    parser = _new_parser(
        subparsers,
        "runs",
        "list, show and delete seedselect runs of a dataset",
        "Manage the runs seedselect recorded on a dataset (hardness scores, "
        "selections, expansions). Deleting a run removes what it wrote: fields, "
        "tags and saved views.",
        "  seedselect runs list seedselect-digits\n"
        "  seedselect runs show seedselect-digits seeds\n"
        "  seedselect runs delete seedselect-digits seeds",
    )
    actions = parser.add_subparsers(
        title="actions", dest="action", metavar="<action>", parser_class=_Parser
    )
    actions.required = True
    listing = actions.add_parser(
        "list",
        help="list the runs",
        epilog="example:\n  seedselect runs list seedselect-digits --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.add_argument("dataset", help="FiftyOne dataset name")
    listing.add_argument("--json", action="store_true", help="print JSON records")
    listing.set_defaults(handler=_run_runs_list)
    for action, text, handler in (
        ("show", "show one run's configuration and results", _run_runs_show),
        ("delete", "delete one run and everything it wrote", _run_runs_delete),
    ):
        sub = actions.add_parser(
            action,
            help=text,
            epilog=f"example:\n  seedselect runs {action} seedselect-digits seeds",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("dataset", help="FiftyOne dataset name")
        sub.add_argument("key", help="run key")
        sub.add_argument("--json", action="store_true", help="print JSON")
        sub.set_defaults(handler=handler)


# Kinds of seedselect runs, by the class name of their configuration.
_RUN_KINDS = {
    "HardnessRunConfig": "hardness",
    "SeedSelectionRunConfig": "selection",
    "SeedExpansionRunConfig": "expansion",
}


def _seedselect_runs(dataset: Any) -> dict[str, Any]:
    """Run infos of the seedselect runs of ``dataset``, by key."""
    found = {}
    for key in dataset.list_runs():
        try:
            info = dataset.get_run_info(key)
        except Exception:  # a run of a package that is not installed
            continue
        if type(info.config).__module__.startswith("seedselect."):
            found[key] = info
    return found


def _run_info(dataset: Any, key: str) -> Any:
    runs = _seedselect_runs(dataset)
    if key not in runs:
        raise InputError(
            f"run {key!r} is not a seedselect run of dataset '{dataset.name}' "
            f"(its seedselect runs: {sorted(runs)}); pass one of those"
        )
    return runs[key]


def _run_row(key: str, info: Any) -> dict[str, Any]:
    config = info.config
    return {
        "key": key,
        "kind": _RUN_KINDS.get(type(config).__name__, type(config).__name__),
        "method": getattr(config, "method", None),
        "status": getattr(config, "status", None),
        "timestamp": info.timestamp,
        "output_fields": list(getattr(config, "output_fields", [])),
    }


def _run_runs_list(args: argparse.Namespace) -> int:
    dataset = _load_dataset(args.dataset)
    rows = [_run_row(k, info) for k, info in _seedselect_runs(dataset).items()]
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print(f"Dataset '{dataset.name}' has no seedselect runs")
        return 0
    print(f"{'key':<20} {'kind':<10} {'method':<16} {'status':<9} timestamp")
    for row in rows:
        print(
            f"{row['key']:<20} {row['kind']:<10} {str(row['method']):<16} "
            f"{str(row['status']):<9} {row['timestamp']:%Y-%m-%d %H:%M:%S}"
        )
    return 0


def _run_runs_show(args: argparse.Namespace) -> int:
    dataset = _load_dataset(args.dataset)
    info = _run_info(dataset, args.key)
    shown = _run_row(args.key, info)
    shown["config"] = info.config.serialize()
    results = dataset.load_run_results(args.key, cache=False)
    if results is not None:
        facts = results.serialize()
        # Per-sample lists belong to 'export'; keep the summary.
        shown["results"] = {
            k: v
            for k, v in facts.items()
            if not isinstance(v, list) and k not in ("cls", "config")
        }
    if args.json:
        _print_json(shown)
    else:
        for name, value in shown.items():
            if isinstance(value, dict):
                print(f"{name}:")
                for inner, item in value.items():
                    print(f"  {inner}: {json.dumps(item, default=_json_default)}")
            else:
                print(f"{name}: {value}")
    return 0


def _run_runs_delete(args: argparse.Namespace) -> int:
    dataset = _load_dataset(args.dataset)
    info = _run_info(dataset, args.key)
    kind = _RUN_KINDS.get(type(info.config).__name__)
    if kind in ("selection", "expansion"):
        from .fo import undo_selection

        undo_selection(dataset, args.key)
    else:
        dataset.delete_run(args.key)
    outcome = {"deleted": args.key, "kind": kind, "dataset": dataset.name}
    if args.json:
        _print_json(outcome)
    else:
        print(
            f"Deleted {kind} run '{args.key}' of dataset '{dataset.name}' and what "
            "it wrote"
        )
    return 0


# ---------------------------------------------------------------------------
# main


#: Functions that add one subcommand each, in the order --help lists them.
_SUBCOMMANDS: list[Callable[[Any], None]] = [
    _add_score,
    _add_select,
    _add_expand,
    _add_export,
    _add_report,
    _add_runs,
    _add_demo,
]


def _build_parser() -> _Parser:
    from . import __version__

    parser = _Parser(
        prog=_PROG,
        description=(
            "Hardness scoring and seed selection on FiftyOne datasets, or on "
            "plain files of logits, scores and embeddings."
        ),
        epilog=(
            "examples:\n"
            "  seedselect demo\n"
            "  seedselect score seedselect-digits predictions\n"
            "  seedselect select seedselect-digits -n 50 --label-field predictions "
            "--balance equal\n"
            "  seedselect score --logits logits.npy --output scores.csv\n"
            "run 'seedselect <command> --help' for the options of a command"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log progress messages and show full tracebacks on errors",
    )
    subparsers = parser.add_subparsers(
        title="commands", dest="command", metavar="<command>", parser_class=_Parser
    )
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``seedselect`` command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 if the command failed, 2 for bad usage.
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(f"{_PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0

    if args.command is None:
        parser.print_help()
        return 2
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    try:
        code = args.handler(args)
    except KeyboardInterrupt:
        print(f"{_PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout (e.g. 'head') left; the work itself is done.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except UsageError as exc:
        print(f"{_PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.verbose:
            raise
        print(f"{_PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
