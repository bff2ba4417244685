"""Hardness measures on arrays of model predictions (NumPy and SciPy only).

Every function takes logits or probabilities and returns float64 scores, one per
sample (or per sample and label), where higher always means harder:

- softmax measures, for one prediction per sample: :func:`entropy`,
  :func:`margin`, :func:`least_confidence`, :func:`ratio`, and the dispatcher
  :func:`hardness`;
- multi-label measures, for independent sigmoid outputs: :func:`binary_entropy`
  and :func:`multilabel_hardness`;
- ensemble and MC-dropout measures, for a stack of member predictions:
  :func:`vote_entropy`, :func:`predictive_entropy`, :func:`mutual_information`
  (BALD), and the dispatcher :func:`ensemble_hardness`;
- :func:`aggregate`, which combines per-object or per-frame scores into one per
  sample.

:func:`find_invalid_rows` flags the samples whose predictions cannot be scored.
"""

from ._aggregate import AGGREGATIONS, aggregate
from ._ensemble import (
    ENSEMBLE_METHODS,
    ensemble_hardness,
    mutual_information,
    predictive_entropy,
    vote_entropy,
)
from ._measures import (
    KINDS,
    METHODS,
    entropy,
    find_invalid_rows,
    hardness,
    least_confidence,
    margin,
    ratio,
    softmax,
)
from ._multilabel import binary_entropy, multilabel_hardness

__all__ = [
    "AGGREGATIONS",
    "ENSEMBLE_METHODS",
    "KINDS",
    "METHODS",
    "aggregate",
    "binary_entropy",
    "ensemble_hardness",
    "entropy",
    "find_invalid_rows",
    "hardness",
    "least_confidence",
    "margin",
    "multilabel_hardness",
    "mutual_information",
    "predictive_entropy",
    "ratio",
    "softmax",
    "vote_entropy",
]
