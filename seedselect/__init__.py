"""seedselect: hardness scoring and seed selection for active learning.

The array core (:mod:`seedselect.scores`, :mod:`seedselect.selection`) needs only
NumPy, SciPy and scikit-learn and is imported with the package. The FiftyOne layer
and the reports import FiftyOne, so their names load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._exceptions import (
    DatabaseUnavailableError,
    FieldError,
    InputError,
    RunError,
    SeedselectError,
)
from .scores import (
    aggregate,
    binary_entropy,
    ensemble_hardness,
    entropy,
    hardness,
    least_confidence,
    margin,
    multilabel_hardness,
    mutual_information,
    predictive_entropy,
    ratio,
    softmax,
    vote_entropy,
)

__version__ = "0.1.0"

from .selection import (
    SelectionResult,
    coverage_radius,
    kcenter_greedy,
    select_batch,
    typicality,
)

# Public names of the outer layers, and the module that defines each one.
_LAZY: dict[str, str] = {
    name: "seedselect.fo"
    for name in (
        "compute_hardness",
        "expand_seeds",
        "export_manifest",
        "list_seedselect_runs",
        "load_digits_dataset",
        "read_manifest",
        "run_demo",
        "select_seeds",
        "selection_manifest",
        "selection_summary",
        "undo_selection",
    )
}
_LAZY.update(
    (name, "seedselect.reports")
    for name in (
        "class_counts",
        "compare_runs",
        "hardness_summary",
        "plot_class_counts",
        "plot_hardness_distribution",
        "plot_run_comparison",
        "plot_selection_projection",
        "save_figure",
    )
)

__all__ = [
    "__version__",
    "DatabaseUnavailableError",
    "FieldError",
    "InputError",
    "RunError",
    "SeedselectError",
    # scores
    "aggregate",
    "binary_entropy",
    "ensemble_hardness",
    "entropy",
    "hardness",
    "least_confidence",
    "margin",
    "multilabel_hardness",
    "mutual_information",
    "predictive_entropy",
    "ratio",
    "softmax",
    "vote_entropy",
    # selection
    "SelectionResult",
    "coverage_radius",
    "kcenter_greedy",
    "select_batch",
    "typicality",
    # FiftyOne layer and reports, loaded on first use
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seedselect' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
