"""Reports: pandas DataFrames and matplotlib figures about hardness and selections.

The tables describe hardness scores overall and per class, count classes in the
pool against a selection and its quotas, and compare several selections. The
figures show the same things; each plot function returns a
:class:`matplotlib.figure.Figure`, which notebooks display and
:func:`save_figure` writes to PNG or to a self-contained HTML page.

Everything here works on arrays, DataFrames and ``SelectionResult`` objects, and
imports nothing from FiftyOne.
"""

from ._plots import (
    HISTOGRAM_BINS,
    MAX_PROJECTION_POINTS,
    plot_class_counts,
    plot_hardness_distribution,
    plot_run_comparison,
    plot_selection_projection,
    save_figure,
)
from ._runs import (
    SelectionReport,
    compare_selection_runs,
    dataset_hardness_summary,
    plot_dataset_hardness,
    plot_selection_runs,
    selection_report,
)
from ._tables import (
    ALL_LABEL,
    RUN_METRICS,
    class_counts,
    compare_runs,
    hardness_summary,
)

__all__ = [
    "ALL_LABEL",
    "HISTOGRAM_BINS",
    "MAX_PROJECTION_POINTS",
    "RUN_METRICS",
    "SelectionReport",
    "class_counts",
    "compare_runs",
    "compare_selection_runs",
    "dataset_hardness_summary",
    "hardness_summary",
    "plot_class_counts",
    "plot_hardness_distribution",
    "plot_dataset_hardness",
    "plot_run_comparison",
    "plot_selection_projection",
    "plot_selection_runs",
    "save_figure",
    "selection_report",
]
