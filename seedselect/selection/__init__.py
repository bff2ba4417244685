"""Selection: turn per-sample hardness into a labeling batch.

Array code only (NumPy, SciPy, scikit-learn): rank with deterministic tie-breaks,
gate, balance classes, filter for diversity, and say why each sample was chosen.
The entry point is :func:`select_batch`; :func:`kcenter_greedy`,
:func:`typicality` and :func:`coverage_radius` are its building blocks. Its default
``diversity="auto"`` clusters the hardest ``AUTO_CANDIDATE_FRACTION`` of the
candidates when scores and embeddings are both given (see
``benchmarks/README_active_learning.md`` for the evidence).
"""

from __future__ import annotations

from ._balance import BALANCE_MODES, apportion
from ._distances import DEFAULT_CHUNK_SIZE, METRICS, coverage_radius
from ._diversity import (
    AUTO_CANDIDATE_FRACTION,
    AUTO_DIVERSITY,
    AUTO_MIN_CANDIDATES_PER_PICK,
    DIVERSITY_MODES,
)
from ._gates import SAMPLING_MODES
from ._kcenter import kcenter_greedy
from ._result import SelectionResult
from ._select import select_batch
from ._typicality import DEFAULT_N_NEIGHBORS, typicality

__all__ = [
    "AUTO_CANDIDATE_FRACTION",
    "AUTO_DIVERSITY",
    "AUTO_MIN_CANDIDATES_PER_PICK",
    "BALANCE_MODES",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_N_NEIGHBORS",
    "DIVERSITY_MODES",
    "METRICS",
    "SAMPLING_MODES",
    "SelectionResult",
    "apportion",
    "coverage_radius",
    "kcenter_greedy",
    "select_batch",
    "typicality",
]
