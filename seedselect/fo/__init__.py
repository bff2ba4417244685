"""The FiftyOne layer: scores and selections computed on FiftyOne datasets.

Every computation here reads fields in bulk, calls the array core
(:mod:`seedselect.scores`, :mod:`seedselect.selection`), writes its results back
in bulk and records itself as a FiftyOne run, which ``list_runs``,
``get_run_info``, ``load_run_view``, ``rename_run`` and ``delete_run`` manage.
"""

from ._demo import DemoReport, load_digits_dataset, run_demo
from ._expand import expand_seeds
from ._hardness import HardnessRunResults, compute_hardness
from ._manifest import (
    export_manifest,
    read_manifest,
    selection_manifest,
    selection_summary,
)
from ._runs import list_seedselect_runs
from ._select import select_seeds
from ._selection_runs import undo_selection

__all__ = [
    "DemoReport",
    "HardnessRunResults",
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
]
