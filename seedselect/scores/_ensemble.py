"""Hardness from several predictions of each sample: ensembles and MC dropout.

The input is a stack ``P`` of shape (n_members, n_samples, n_classes): the
logits or probabilities that each member of an ensemble (or each stochastic
forward pass with dropout left on) gives each sample. Members are processed one
at a time, so memory stays at a few arrays of shape (n_samples, n_classes).
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import entr

from ._measures import (
    KINDS,
    FloatArray,
    _check_choice,
    _check_predictions,
    _check_temperature,
    _clip,
    _doc_filler,
    _entropy_of_log_probs,
    _log_probs,
)

__all__ = [
    "ENSEMBLE_METHODS",
    "vote_entropy",
    "predictive_entropy",
    "mutual_information",
    "ensemble_hardness",
]

logger = logging.getLogger(__name__)

#: Names accepted by :func:`ensemble_hardness`.
ENSEMBLE_METHODS: tuple[str, ...] = (
    "mutual_information",
    "predictive_entropy",
    "vote_entropy",
)


# ---------------------------------------------------------------------------
# Private twins: assume a float64 stack that passed the checks
# ---------------------------------------------------------------------------


def _disagreement_scale(n_members: int, n_classes: int) -> float:
    """Largest possible vote entropy or mutual information: log(min(K, M))."""
    return float(np.log(min(n_members, n_classes)))


def _vote_entropy(arr: FloatArray, normalize: bool) -> FloatArray:
    n_members, n_samples, n_classes = arr.shape
    votes = np.zeros((n_samples, n_classes))
    rows = np.arange(n_samples)
    for member in arr:
        # The winning class does not depend on the softmax or the temperature.
        votes[rows, member.argmax(axis=1)] += 1

    scale = _disagreement_scale(n_members, n_classes)
    scores = _clip(entr(votes / n_members).sum(axis=1), scale)
    if not normalize:
        return scores
    return scores / scale if scale > 0 else np.zeros(n_samples)


def _entropy_parts(
    arr: FloatArray, kind: str, temperature: float
) -> tuple[FloatArray, FloatArray]:
    """Entropy of the mean prediction, and the mean of the members' entropies."""
    n_members, n_samples, n_classes = arr.shape
    mean_probs = np.zeros((n_samples, n_classes))
    mean_entropy = np.zeros(n_samples)
    for member in arr:
        log_probs = _log_probs(member, kind, temperature)
        mean_probs += np.exp(log_probs)
        mean_entropy += _entropy_of_log_probs(log_probs)
    mean_probs /= n_members
    mean_entropy /= n_members

    max_entropy = np.log(n_classes)
    predictive = _clip(entr(mean_probs).sum(axis=1), max_entropy)
    return predictive, _clip(mean_entropy, max_entropy)


def _predictive_entropy(
    arr: FloatArray, kind: str, temperature: float, normalize: bool
) -> FloatArray:
    predictive, _ = _entropy_parts(arr, kind, temperature)
    return predictive / np.log(arr.shape[2]) if normalize else predictive


def _mutual_information(
    arr: FloatArray, kind: str, temperature: float, normalize: bool
) -> FloatArray:
    n_members, n_samples, n_classes = arr.shape
    predictive, mean_entropy = _entropy_parts(arr, kind, temperature)

    # Mathematically 0 <= I <= log(min(K, M)); rounding can step just below 0
    # when the members agree, hence the clip. I <= H(mean) holds as well, since
    # the mean member entropy is itself clipped at 0.
    scale = _disagreement_scale(n_members, n_classes)
    scores = _clip(predictive - mean_entropy, scale)
    if not normalize:
        return scores
    return scores / scale if scale > 0 else np.zeros(n_samples)


def _check_stack(
    P: ArrayLike, kind: str, temperature: float
) -> tuple[FloatArray, str, float]:
    kind = _check_choice(kind, "kind", KINDS)
    temperature = _check_temperature(temperature)
    arr = _check_predictions(P, "P", kind=kind, ndim=3)
    return arr, kind, temperature


# ---------------------------------------------------------------------------
# Public measures
# ---------------------------------------------------------------------------

_SHARED_PARAMETERS = """\
    P : array-like of shape (n_members, n_samples, n_classes)
        Each member's logits or probabilities for each sample, any real dtype.
        A list of (n_samples, n_classes) arrays, one per member, works too.
    kind : {"logits", "probs"}, default="logits"
        ``"logits"`` applies a softmax to each member's rows; ``"probs"``
        rescales each member's rows to sum to 1.
    temperature : float, default=1.0
        Positive; divides each member's logits before the softmax (with
        probabilities: ``p ** (1 / temperature)``, renormalized)."""

_SHARED_RAISES = """\
    Raises
    ------
    InputError
        If ``P`` is not 3-D, has no members or fewer than 2 classes, or has
        samples with NaN or infinite values in some member (or, for
        probabilities, negative values or a row with no positive value); if
        ``kind`` is unknown or ``temperature`` is not positive."""

_REFERENCES = """\
    .. [1] N. Houlsby, F. Huszar, Z. Ghahramani and M. Lengyel, "Bayesian
       Active Learning for Classification and Preference Learning",
       arXiv:1112.5745, 2011.
    .. [2] Y. Gal, R. Islam and Z. Ghahramani, "Deep Bayesian Active Learning
       with Image Data", Proceedings of the 34th International Conference on
       Machine Learning (ICML), 2017."""

_fill_doc = _doc_filler(
    parameters=_SHARED_PARAMETERS, raises=_SHARED_RAISES, references=_REFERENCES
)


@_fill_doc
def vote_entropy(
    P: ArrayLike,
    *,
    kind: str = "logits",
    temperature: float = 1.0,
    normalize: bool = False,
) -> FloatArray:
    """Entropy of the members' votes, in nats.

        Each member votes for its most probable class (the first one on a tie);
        the score is the Shannon entropy of the vote shares (query by committee
        with vote entropy, [1]_, [2]_). It is 0 when all members vote alike.

        Parameters
        ----------
    %(parameters)s
            Votes do not depend on it; it is accepted so that
            :func:`ensemble_hardness` can pass it to every measure.
        normalize : bool, default=False
            Divide by ``log(min(n_classes, n_members))``, the entropy of votes
            spread as evenly as the members allow, so scores lie in [0, 1]. The
            value 1 is reached when ``n_members <= n_classes`` or ``n_members`` is
            a multiple of ``n_classes``. With one member every score is 0.

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float64
            In [0, log(min(n_classes, n_members))], or [0, 1] when normalized.
            Higher is harder.

    %(raises)s

        References
        ----------
        .. [1] I. Dagan and S. P. Engelson, "Committee-Based Sampling for Training
           Probabilistic Classifiers", Proceedings of the 12th International
           Conference on Machine Learning (ICML), 1995.
        .. [2] B. Settles, "Active Learning Literature Survey", Computer Sciences
           Technical Report 1648, University of Wisconsin-Madison, 2009.
    """
    arr, _, _ = _check_stack(P, kind, temperature)
    return _vote_entropy(arr, bool(normalize))


@_fill_doc
def predictive_entropy(
    P: ArrayLike,
    *,
    kind: str = "logits",
    temperature: float = 1.0,
    normalize: bool = False,
) -> FloatArray:
    """Entropy of the members' mean prediction, in nats.

        The members' probabilities are averaged per sample, and the Shannon entropy
        of that mean is the score ([1]_, [2]_). It is high whenever the combined
        prediction is uncertain, whether the members agree on an uncertain answer
        or disagree on confident ones.

        Parameters
        ----------
    %(parameters)s
        normalize : bool, default=False
            Divide by ``log(n_classes)`` so that scores lie in [0, 1].

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float64
            In [0, log(n_classes)], or [0, 1] when normalized. Higher is harder.

    %(raises)s

        References
        ----------
    %(references)s
    """
    arr, kind, temperature = _check_stack(P, kind, temperature)
    return _predictive_entropy(arr, kind, temperature, bool(normalize))


@_fill_doc
def mutual_information(
    P: ArrayLike,
    *,
    kind: str = "logits",
    temperature: float = 1.0,
    normalize: bool = False,
) -> FloatArray:
    """Disagreement between members (BALD), in nats.

        The entropy of the mean prediction minus the mean of the members'
        entropies: the mutual information between the predicted class and the
        choice of member, as in BALD [1]_ and its use with MC dropout [2]_. It is
        near 0 when the members agree, even on an uncertain answer, and high when
        confident members contradict each other. Rounding is clipped so that
        scores are never negative.

        Parameters
        ----------
    %(parameters)s
        normalize : bool, default=False
            Divide by ``log(min(n_classes, n_members))``, the largest value the
            mutual information can take (reached when members are one-hot on
            different classes), so scores lie in [0, 1]. With one member every
            score is 0.

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float64
            In [0, log(min(n_classes, n_members))] and never above
            :func:`predictive_entropy`; in [0, 1] when normalized. Higher is harder.

    %(raises)s

        References
        ----------
    %(references)s

        Examples
        --------
        >>> import numpy as np
        >>> from seedselect.scores import mutual_information, predictive_entropy
        >>> rng = np.random.default_rng(0)
        >>> agree = np.zeros((5, 1, 3))  # five members, all uniform
        >>> disagree = 10.0 * np.eye(3)[rng.integers(0, 3, size=5)][:, None, :]
        >>> P = np.concatenate([agree, disagree], axis=1)  # (5 members, 2 samples, 3)
        >>> predictive_entropy(P).round(3)
        array([1.099, 1.055])
        >>> mutual_information(P).round(3)
        array([0.   , 1.054])
    """
    arr, kind, temperature = _check_stack(P, kind, temperature)
    return _mutual_information(arr, kind, temperature, bool(normalize))


@_fill_doc
def ensemble_hardness(
    P: ArrayLike,
    *,
    method: str = "mutual_information",
    kind: str = "logits",
    temperature: float = 1.0,
    normalize: bool = False,
) -> FloatArray:
    """Score ensemble predictions by a measure picked by name.

    Parameters
    ----------
%(parameters)s
    method : {"mutual_information", "predictive_entropy", "vote_entropy"}, \
default="mutual_information"
        The measure: see :func:`mutual_information`,
        :func:`predictive_entropy` and :func:`vote_entropy`. All names are in
        :data:`ENSEMBLE_METHODS`.
    normalize : bool, default=False
        Map scores to [0, 1]: predictive entropy is divided by
        ``log(n_classes)``; mutual information and vote entropy by
        ``log(min(n_classes, n_members))``.

    Returns
    -------
    scores : ndarray of shape (n_samples,), dtype float64
        One score per sample. Higher is harder.

%(raises)s
        Also if ``method`` is unknown.

    References
    ----------
%(references)s
    """
    method = _check_choice(method, "method", ENSEMBLE_METHODS)
    arr, kind, temperature = _check_stack(P, kind, temperature)
    logger.debug(
        "scoring %d members x %d samples x %d classes with %s", *arr.shape, method
    )
    if method == "vote_entropy":
        return _vote_entropy(arr, bool(normalize))
    if method == "predictive_entropy":
        return _predictive_entropy(arr, kind, temperature, bool(normalize))
    return _mutual_information(arr, kind, temperature, bool(normalize))
