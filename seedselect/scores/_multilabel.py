"""Hardness of multi-label predictions: one independent sigmoid per label.

Each label is a yes/no question of its own, so its uncertainty is the entropy of
a Bernoulli distribution. No softmax is ever taken across labels.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

from ._aggregate import AGGREGATIONS, _check_k, _reduce_rows
from ._measures import (
    KINDS,
    FloatArray,
    _check_choice,
    _check_predictions,
    _check_temperature,
    _clip,
)

__all__ = ["binary_entropy", "multilabel_hardness"]

logger = logging.getLogger(__name__)

# Beyond this absolute logit, exp(-|z|) underflows to 0 in float64 (it does so
# from about 745), so the binary entropy is exactly 0. Capping |z| here keeps
# |z| * sigmoid(-|z|) finite when |z| is infinite after a tiny temperature.
_LOGIT_CAP = 1000.0


def _binary_entropy(
    arr: FloatArray, kind: str, temperature: float, normalize: bool
) -> FloatArray:
    """Private twin of :func:`binary_entropy`: inputs already checked."""
    if kind == "probs":
        # The logit of p; p = 0 and p = 1 give -inf and +inf, their true limits.
        with np.errstate(divide="ignore"):
            logits = np.log(arr) - np.log1p(-arr)
    else:
        logits = arr

    # With a = |z|, the entropy of sigmoid(z) is a * sigmoid(-a) + log(1 + e^-a):
    # both terms are >= 0 and neither can overflow.
    with np.errstate(over="ignore"):
        size = np.abs(logits) / temperature
    size = np.minimum(size, _LOGIT_CAP)
    scores = size * expit(-size) + np.log1p(np.exp(-size))

    scores = _clip(scores, np.log(2.0))
    return scores / np.log(2.0) if normalize else scores


def binary_entropy(
    X: ArrayLike,
    *,
    kind: str = "logits",
    temperature: float = 1.0,
    normalize: bool = False,
) -> FloatArray:
    """Entropy of each label's yes/no prediction, in nats.

    For a label predicted with probability ``p`` this is
    ``-p log(p) - (1 - p) log(1 - p)`` [1]_: 0 when the model is sure either
    way, ``log(2)`` when ``p = 0.5``. It is computed from ``|logit|`` in a form
    that stays exact for logits as large as +/-1e4.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_labels)
        One independent logit (``kind="logits"``) or probability
        (``kind="probs"``, each in [0, 1]) per label; rows need not sum to 1.
    kind : {"logits", "probs"}, default="logits"
        What the values are. Logits go through a sigmoid, never a softmax.
    temperature : float, default=1.0
        Positive; each logit is divided by it before the sigmoid. With
        probabilities it divides their logit ``log(p / (1 - p))`` the same way.
    normalize : bool, default=False
        Divide by ``log(2)`` (entropy in bits) so that scores lie in [0, 1].

    Returns
    -------
    scores : ndarray of shape (n_samples, n_labels), dtype float64
        In [0, log(2)], or [0, 1] when normalized. Higher is harder.

    Raises
    ------
    InputError
        If ``X`` is not 2-D, has no labels, or has rows with NaN or infinite
        values (or, for probabilities, values outside [0, 1]); if ``kind`` is
        unknown or ``temperature`` is not positive.

    References
    ----------
    .. [1] C. E. Shannon, "A Mathematical Theory of Communication", Bell System
       Technical Journal, 27(3), 379-423, 1948.
    """
    kind = _check_choice(kind, "kind", KINDS)
    temperature = _check_temperature(temperature)
    arr = _check_predictions(X, "X", kind=kind, min_columns=1, multilabel=True)
    return _binary_entropy(arr, kind, temperature, bool(normalize))


def multilabel_hardness(
    X: ArrayLike,
    *,
    kind: str = "logits",
    temperature: float = 1.0,
    aggregate: str = "mean",
    k: int | None = None,
    normalize: bool = False,
) -> FloatArray:
    """Score each multi-label prediction by combining its per-label entropies.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_labels)
        One independent logit or probability per label, as in
        :func:`binary_entropy`.
    kind : {"logits", "probs"}, default="logits"
        What the values are.
    temperature : float, default=1.0
        Positive; see :func:`binary_entropy`.
    aggregate : {"mean", "max", "sum", "topk_mean"}, default="mean"
        How the labels' entropies combine: their mean, the largest, their sum,
        or the mean of the ``k`` largest (all of them if there are fewer than
        ``k`` labels). All names are in :data:`AGGREGATIONS`.
    k : int, optional
        Required with ``aggregate="topk_mean"`` (at least 1) and refused
        otherwise.
    normalize : bool, default=False
        Measure each label's entropy in bits (divide by ``log(2)``) before
        combining: ``"mean"``, ``"max"`` and ``"topk_mean"`` then lie in [0, 1],
        and ``"sum"`` in [0, n_labels].

    Returns
    -------
    scores : ndarray of shape (n_samples,), dtype float64
        One score per sample. Higher is harder.

    Raises
    ------
    InputError
        For the reasons listed in :func:`binary_entropy`; also if ``aggregate``
        is unknown, or ``k`` is missing, below 1 or given with another
        ``aggregate``.

    References
    ----------
    .. [1] C. E. Shannon, "A Mathematical Theory of Communication", Bell System
       Technical Journal, 27(3), 379-423, 1948.
    """
    how = _check_choice(aggregate, "aggregate", AGGREGATIONS)
    k = _check_k(k, how, "aggregate")
    kind = _check_choice(kind, "kind", KINDS)
    temperature = _check_temperature(temperature)
    arr = _check_predictions(X, "X", kind=kind, min_columns=1, multilabel=True)

    logger.debug("scoring %d multi-label predictions by %s", arr.shape[0], how)
    per_label = _binary_entropy(arr, kind, temperature, bool(normalize))
    return _reduce_rows(per_label, how, k)
