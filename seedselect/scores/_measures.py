"""Hardness of softmax predictions: entropy, margin, least confidence and ratio.

Every measure reads an array ``X`` of shape (n_samples, n_classes) that holds
either logits (``kind="logits"``, turned into probabilities by a softmax) or
probabilities (``kind="probs"``, each row rescaled to sum to 1), and returns one
float64 score per sample. Higher always means harder.

The work is done in float64 on log-probabilities computed in the log-sum-exp
form, so logits as large as +/-1e4, float32 or float64, and anything from 2 to
10,000 classes give finite and correct values.

This module also holds the input checks that the multi-label, ensemble and
aggregation modules share: public functions check their inputs once, then call a
private twin that assumes clean input.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._exceptions import InputError

__all__ = [
    "KINDS",
    "METHODS",
    "softmax",
    "entropy",
    "margin",
    "least_confidence",
    "ratio",
    "hardness",
    "find_invalid_rows",
]

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
_F = TypeVar("_F", bound=Callable[..., Any])

#: What the numbers in a predictions array are.
KINDS: tuple[str, ...] = ("logits", "probs")

#: Names accepted by :func:`hardness`, in the order the docs list them.
METHODS: tuple[str, ...] = ("entropy", "margin", "least_confidence", "ratio")


# ---------------------------------------------------------------------------
# Input checks shared by every scores module
# ---------------------------------------------------------------------------


def _check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise InputError."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(choice) for choice in choices)
        raise InputError(f"{name}={value!r} is not one of {options}; pick one of those")
    return value


def _check_temperature(temperature: Any) -> float:
    """Return ``temperature`` as a float after checking that it is positive."""
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise InputError(
            f"temperature={temperature!r} is a {type(temperature).__name__}; pass a "
            "positive number (1.0 leaves the predictions as they are)"
        )
    value = float(temperature)
    if not (np.isfinite(value) and value > 0):
        raise InputError(
            f"temperature={temperature!r} must be a positive finite number; values "
            "above 1 soften the probabilities, values below 1 sharpen them, 1.0 "
            "leaves them as they are"
        )
    return value


def _as_real_array(X: ArrayLike, name: str) -> NDArray[Any]:
    """Read ``X`` as a NumPy array of real numbers, without copying if possible."""
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"{name} could not be read as a numeric array ({exc}); pass a "
            "rectangular array, with the same number of columns in every row"
        ) from exc
    real = np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    if not real:
        raise InputError(
            f"{name} has dtype {arr.dtype}; pass real numbers (floats or ints)"
        )
    return arr


def _check_ndim(arr: NDArray[Any], name: str, ndim: int, shape: str) -> None:
    """Raise InputError unless ``arr`` has ``ndim`` dimensions."""
    if arr.ndim == ndim:
        return
    hint = ""
    if ndim == 2 and arr.ndim == 1:
        hint = f"; for a single sample pass {name}[np.newaxis, :]"
    elif ndim == 3 and arr.ndim == 2:
        hint = "; stack the members' predictions along a new first axis"
    raise InputError(
        f"{name} must be {ndim}-D of shape {shape}; got shape {arr.shape}{hint}"
    )


def _row_problems(
    arr: NDArray[Any], *, kind: str, multilabel: bool
) -> Iterator[tuple[BoolArray, str, str]]:
    """Yield ``(mask, what, fix)`` for each rule a sample of ``arr`` can break.

    ``arr`` has shape (n_samples, n_columns) or (n_members, n_samples,
    n_columns); each mask has shape (n_samples,) and is True where some value of
    that sample (in any member) breaks the rule.
    """
    axes = (0, 2) if arr.ndim == 3 else (1,)

    def per_sample(bad: NDArray[np.bool_]) -> BoolArray:
        return np.asarray(bad.any(axis=axes), dtype=bool)

    yield (
        per_sample(~np.isfinite(arr)),
        "NaN or infinite values",
        "drop or fix those predictions before scoring",
    )
    if kind != "probs":
        return
    yield (
        per_sample(arr < 0),
        "negative probabilities",
        "probabilities must be >= 0; pass kind='logits' if these are raw model outputs",
    )
    if multilabel:
        yield (
            per_sample(arr > 1),
            "probabilities above 1",
            "each label's probability must lie in [0, 1]; pass kind='logits' if "
            "these are raw model outputs",
        )
        return
    no_positive = ~(arr > 0).any(axis=-1)
    if arr.ndim == 3:
        no_positive = no_positive.any(axis=0)
    yield (
        np.asarray(no_positive, dtype=bool),
        "no positive probability (the row sums to 0)",
        "each row needs at least one positive probability",
    )


def _check_rows(
    arr: NDArray[Any], name: str, *, kind: str, multilabel: bool = False
) -> None:
    """Raise InputError naming the count and first index of bad samples."""
    noun = "sample" if arr.ndim == 3 else "row"
    where = " in some member" if arr.ndim == 3 else ""
    for mask, what, fix in _row_problems(arr, kind=kind, multilabel=multilabel):
        count = int(np.count_nonzero(mask))
        if count:
            first = int(np.flatnonzero(mask)[0])
            plural = noun if count == 1 else f"{noun}s"
            raise InputError(
                f"{name} ({kind}) has {count} {plural} with {what}{where}, e.g. "
                f"{noun} {first}; {fix}"
            )


def _check_predictions(
    X: ArrayLike,
    name: str,
    *,
    kind: str,
    ndim: int = 2,
    min_columns: int = 2,
    multilabel: bool = False,
) -> FloatArray:
    """Check a predictions array and return it as float64.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_columns) or (n_members, n_samples, \
n_columns)
        The predictions.
    name : str
        The argument's name, used in error messages.
    kind : {"logits", "probs"}
        Already checked with :func:`_check_choice`.
    ndim : {2, 3}, default=2
        The number of dimensions ``X`` must have.
    min_columns : int, default=2
        The fewest classes (or labels) allowed.
    multilabel : bool, default=False
        Whether columns are independent labels (probabilities in [0, 1]) rather
        than classes of one distribution (rows with a positive sum).
    """
    arr = _as_real_array(X, name)
    column = "n_labels" if multilabel else "n_classes"
    shape = (
        f"(n_members, n_samples, {column})" if ndim == 3 else f"(n_samples, {column})"
    )
    _check_ndim(arr, name, ndim, shape)
    if ndim == 3 and arr.shape[0] < 1:
        raise InputError(f"{name} has no members (shape {arr.shape}); pass at least 1")
    if arr.shape[-1] < min_columns:
        what = "labels" if multilabel else "classes"
        raise InputError(
            f"{name} has {arr.shape[-1]} {what} (shape {arr.shape}); at least "
            f"{min_columns} are needed to measure how spread out a prediction is"
        )
    _check_rows(arr, name, kind=kind, multilabel=multilabel)
    return arr.astype(np.float64, copy=False)


def find_invalid_rows(
    X: ArrayLike, *, kind: str = "logits", multilabel: bool = False
) -> BoolArray:
    """Flag the samples whose predictions cannot be scored.

    The scoring functions reject a whole array when any sample is bad. Call this
    first to find those samples (for example to report their ids, or to score
    the others and leave the bad ones empty).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_columns) or (n_members, n_samples, \
n_columns)
        Predictions of one model, or a stack of ensemble members.
    kind : {"logits", "probs"}, default="logits"
        What the values are.
    multilabel : bool, default=False
        True if the columns are independent labels (sigmoid outputs), whose
        probabilities must each lie in [0, 1].

    Returns
    -------
    invalid : ndarray of shape (n_samples,), dtype bool
        True for a sample with a NaN or infinite value; with ``kind="probs"``
        also for a negative probability, and either a row with no positive
        probability (``multilabel=False``) or a probability above 1
        (``multilabel=True``). For a 3-D stack a sample is invalid if it is
        invalid in any member.

    Raises
    ------
    InputError
        If ``kind`` is unknown, or ``X`` is not a 2-D or 3-D array of real numbers.
    """
    kind = _check_choice(kind, "kind", KINDS)
    arr = _as_real_array(X, "X")
    if arr.ndim not in (2, 3):
        raise InputError(
            f"X must be 2-D (n_samples, n_columns) or 3-D (n_members, n_samples, "
            f"n_columns); got shape {arr.shape}"
        )
    invalid = np.zeros(arr.shape[-2], dtype=bool)
    for mask, _, _ in _row_problems(arr, kind=kind, multilabel=multilabel):
        invalid |= mask
    return invalid


def _doc_filler(**pieces: str) -> Callable[[_F], _F]:
    """Return a decorator that fills the ``%(name)s`` markers of a docstring.

    Measures that share parameters share their description this way, so the
    texts cannot drift apart.
    """

    def fill(func: _F) -> _F:
        if func.__doc__:
            func.__doc__ = func.__doc__ % pieces
        return func

    return fill


# ---------------------------------------------------------------------------
# Private twins: assume float64 input that passed the checks above
# ---------------------------------------------------------------------------


def _log_probs(arr: FloatArray, kind: str, temperature: float) -> FloatArray:
    """Log-probabilities along the last axis, after temperature scaling.

    For probabilities the temperature acts on their logarithms, which is the same
    as acting on the logits that produced them: ``p ** (1 / T)`` renormalized.
    Zero probabilities stay zero (log-probability ``-inf``).
    """
    if kind == "probs":
        logs = np.full(arr.shape, -np.inf)
        np.log(arr, out=logs, where=arr > 0)
    else:
        logs = arr

    # Shift so each row's largest value is 0: exp() cannot overflow, one term
    # of each sum below is exactly 1, and the sum lies in [1, n_classes]. A row
    # whose values span more than the float range overflows to -inf below its
    # maximum, which is the correct limit there (probability 0).
    with np.errstate(over="ignore"):
        shifted = logs - logs.max(axis=-1, keepdims=True)
    if temperature != 1.0:
        # A tiny temperature may push very negative values to -inf, which is
        # their correct limit (probability 0).
        with np.errstate(over="ignore"):
            shifted = shifted / temperature
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _clip(scores: FloatArray, upper: float) -> FloatArray:
    """Clip rounding error into [0, upper]; adding 0.0 turns -0.0 into 0.0."""
    return np.clip(scores, 0.0, upper) + 0.0


def _entropy_of_log_probs(log_probs: FloatArray) -> FloatArray:
    """Shannon entropy (nats) along the last axis, with 0 * log 0 taken as 0."""
    probs = np.exp(log_probs)
    finite_logs = np.where(probs > 0, log_probs, 0.0)
    return -(probs * finite_logs).sum(axis=-1)


def _top_two(log_probs: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Largest and second-largest log-probability of each row."""
    n_classes = log_probs.shape[-1]
    top = np.partition(log_probs, n_classes - 2, axis=-1)[..., -2:]
    return top[..., 1], top[..., 0]


def _entropy(log_probs: FloatArray, normalize: bool) -> FloatArray:
    max_entropy = np.log(log_probs.shape[-1])
    scores = _clip(_entropy_of_log_probs(log_probs), max_entropy)
    return scores / max_entropy if normalize else scores


def _margin(log_probs: FloatArray, normalize: bool) -> FloatArray:
    # 1 - (p1 - p2) written as (1 - p1) + p2, with 1 - p1 = -expm1(log p1),
    # which keeps its precision when p1 is close to 1.
    first, second = _top_two(log_probs)
    return _clip(-np.expm1(first) + np.exp(second), 1.0)


def _least_confidence(log_probs: FloatArray, normalize: bool) -> FloatArray:
    n_classes = log_probs.shape[-1]
    first, _ = _top_two(log_probs)
    scores = _clip(-np.expm1(first), (n_classes - 1) / n_classes)
    if normalize:
        scores = _clip(scores * (n_classes / (n_classes - 1)), 1.0)
    return scores


def _ratio(log_probs: FloatArray, normalize: bool) -> FloatArray:
    # p2 / p1 = exp(log p2 - log p1); log p1 is always finite.
    first, second = _top_two(log_probs)
    return _clip(np.exp(second - first), 1.0)


_MEASURES: dict[str, Callable[[FloatArray, bool], FloatArray]] = {
    "entropy": _entropy,
    "margin": _margin,
    "least_confidence": _least_confidence,
    "ratio": _ratio,
}


def _score(
    X: ArrayLike, method: str, kind: str, temperature: float, normalize: bool
) -> FloatArray:
    """Check the inputs once, then compute ``method``."""
    method = _check_choice(method, "method", METHODS)
    kind = _check_choice(kind, "kind", KINDS)
    temperature = _check_temperature(temperature)
    arr = _check_predictions(X, "X", kind=kind)
    logger.debug("scoring %d x %d %s by %s", *arr.shape, kind, method)
    log_probs = _log_probs(arr, kind, temperature)
    return _MEASURES[method](log_probs, bool(normalize))


# ---------------------------------------------------------------------------
# Public measures
# ---------------------------------------------------------------------------


def softmax(logits: ArrayLike, *, temperature: float = 1.0) -> FloatArray:
    """Turn logits into probabilities, row by row.

    Parameters
    ----------
    logits : array-like of shape (n_samples, n_classes)
        Raw scores of a model, any real dtype.
    temperature : float, default=1.0
        The logits are divided by this positive number first: above 1 softens
        the probabilities, below 1 sharpens them [1]_.

    Returns
    -------
    probs : ndarray of shape (n_samples, n_classes), dtype float64
        Each row sums to 1.

    Raises
    ------
    InputError
        If ``logits`` is not 2-D, has fewer than 2 classes or holds NaN or
        infinite values, or if ``temperature`` is not positive.

    References
    ----------
    .. [1] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On Calibration of
       Modern Neural Networks", Proceedings of the 34th International
       Conference on Machine Learning (ICML), 2017.
    """
    temperature = _check_temperature(temperature)
    arr = _check_predictions(logits, "logits", kind="logits")
    return np.exp(_log_probs(arr, "logits", temperature))


_SHARED_PARAMETERS = """\
    X : array-like of shape (n_samples, n_classes)
        Logits or probabilities of one prediction per row, any real dtype.
    kind : {"logits", "probs"}, default="logits"
        ``"logits"`` applies a softmax to each row; ``"probs"`` rescales each row
        to sum to 1 (rows need not sum to 1 exactly, as in
        :func:`scipy.stats.entropy`).
    temperature : float, default=1.0
        Positive; the logits are divided by it before the softmax. With
        ``kind="probs"`` it acts on the log-probabilities the same way, so each
        probability becomes ``p ** (1 / temperature)``, renormalized; this is
        what the same temperature on the logits behind ``p`` would give."""

_SHARED_RAISES = """\
    Raises
    ------
    InputError
        If ``X`` is not 2-D, has fewer than 2 classes, or has rows with NaN or
        infinite values (or, for probabilities, negative values or no positive
        value); if ``kind`` is unknown or ``temperature`` is not positive."""

_fill_doc = _doc_filler(parameters=_SHARED_PARAMETERS, raises=_SHARED_RAISES)


@_fill_doc
def entropy(
    X: ArrayLike,
    *,
    kind: str = "logits",
    temperature: float = 1.0,
    normalize: bool = False,
) -> FloatArray:
    """Shannon entropy of each predicted distribution, in nats.

        ``-sum(p * log(p))`` with the natural logarithm [1]_. With logits this is
        exactly ``scipy.stats.entropy(scipy.special.softmax(x))`` per row, the
        hardness that FiftyOne Brain computes. It is 0 for a one-hot prediction and
        ``log(n_classes)`` for a uniform one.

        Parameters
        ----------
    %(parameters)s
        normalize : bool, default=False
            Divide by ``log(n_classes)`` so that scores lie in [0, 1] and compare
            across class counts.

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float64
            In [0, log(n_classes)], or [0, 1] when normalized. Higher is harder.

    %(raises)s

        References
        ----------
        .. [1] C. E. Shannon, "A Mathematical Theory of Communication", Bell System
           Technical Journal, 27(3), 379-423, 1948.
    """
    return _score(X, "entropy", kind, temperature, normalize)


@_fill_doc
def margin(
    X: ArrayLike,
    *,
    kind: str = "logits",
    temperature: float = 1.0,
    normalize: bool = False,
) -> FloatArray:
    """One minus the gap between the two most probable classes.

        ``1 - (p1 - p2)`` where ``p1`` and ``p2`` are the largest and second-largest
        probabilities of a row (margin sampling, see [1]_). It is 0 for a one-hot
        prediction and 1 when the top two classes tie.

        Parameters
        ----------
    %(parameters)s
        normalize : bool, default=False
            Accepted for a uniform interface; it changes nothing because the margin
            already lies in [0, 1] whatever the number of classes.

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float64
            In [0, 1]. Higher is harder.

    %(raises)s

        References
        ----------
        .. [1] B. Settles, "Active Learning Literature Survey", Computer Sciences
           Technical Report 1648, University of Wisconsin-Madison, 2009.
    """
    return _score(X, "margin", kind, temperature, normalize)


@_fill_doc
def least_confidence(
    X: ArrayLike,
    *,
    kind: str = "logits",
    temperature: float = 1.0,
    normalize: bool = False,
) -> FloatArray:
    """One minus the probability of the most probable class.

        ``1 - p1`` (least-confidence sampling, see [1]_). It is 0 for a one-hot
        prediction and ``1 - 1 / n_classes`` for a uniform one.

        Parameters
        ----------
    %(parameters)s
        normalize : bool, default=False
            Multiply by ``n_classes / (n_classes - 1)`` so that a uniform prediction
            scores 1 and scores lie in [0, 1].

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float64
            In [0, 1 - 1 / n_classes], or [0, 1] when normalized. Higher is harder.

    %(raises)s

        References
        ----------
        .. [1] B. Settles, "Active Learning Literature Survey", Computer Sciences
           Technical Report 1648, University of Wisconsin-Madison, 2009.
    """
    return _score(X, "least_confidence", kind, temperature, normalize)


@_fill_doc
def ratio(
    X: ArrayLike,
    *,
    kind: str = "logits",
    temperature: float = 1.0,
    normalize: bool = False,
) -> FloatArray:
    """Ratio of the second-largest to the largest probability.

        ``p2 / p1`` (ratio of confidence, see [1]_), computed as ``exp(z2 - z1)``
        from the two largest logits so that it stays exact when both probabilities
        underflow. It is 0 for a one-hot prediction and 1 when the top two classes
        tie.

        Parameters
        ----------
    %(parameters)s
        normalize : bool, default=False
            Accepted for a uniform interface; it changes nothing because the ratio
            already lies in [0, 1] whatever the number of classes.

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float64
            In [0, 1]. Higher is harder.

    %(raises)s

        References
        ----------
        .. [1] R. Monarch, "Human-in-the-Loop Machine Learning", Manning, 2021,
           chapter 3.
    """
    return _score(X, "ratio", kind, temperature, normalize)


@_fill_doc
def hardness(
    X: ArrayLike,
    *,
    method: str = "entropy",
    kind: str = "logits",
    temperature: float = 1.0,
    normalize: bool = False,
) -> FloatArray:
    """Score how hard each prediction is, by a measure picked by name.

    Parameters
    ----------
%(parameters)s
    method : {"entropy", "margin", "least_confidence", "ratio"}, \
default="entropy"
        The measure: see :func:`entropy`, :func:`margin`,
        :func:`least_confidence` and :func:`ratio`. All names are in
        :data:`METHODS`.
    normalize : bool, default=False
        Map scores to [0, 1] whatever the number of classes: entropy is divided
        by ``log(n_classes)``, least confidence is multiplied by
        ``n_classes / (n_classes - 1)``; margin and ratio already lie in [0, 1]
        and are left as they are.

    Returns
    -------
    scores : ndarray of shape (n_samples,), dtype float64
        One score per row. Higher is harder.

%(raises)s
        Also if ``method`` is unknown.

    References
    ----------
    .. [1] C. E. Shannon, "A Mathematical Theory of Communication", Bell System
       Technical Journal, 27(3), 379-423, 1948.
    .. [2] B. Settles, "Active Learning Literature Survey", Computer Sciences
       Technical Report 1648, University of Wisconsin-Madison, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from seedselect.scores import hardness
    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(size=(3, 4))
    >>> logits[0] = [8.0, 0.0, 0.0, 0.0]  # confident
    >>> logits[1] = 0.0  # uniform
    >>> hardness(logits, method="entropy", normalize=True).round(3)
    array([0.007, 1.   , 0.923])
    >>> hardness(logits, method="margin").round(3)
    array([0.001, 1.   , 0.785])
    """
    return _score(X, method, kind, temperature, normalize)
