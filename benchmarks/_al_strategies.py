"""Query strategies for the active-learning benchmark, behind one interface.

A strategy receives a :class:`RoundContext` (the current model's class
probabilities on the pool, the pool's features, the labeled mask and the batch
size) and returns the positions of the pool samples to label next. Three
families share that interface:

* ``random``: uniform picks among the unlabeled samples (the baseline);
* seedselect: a hardness measure from :mod:`seedselect.scores` fed to
  :func:`seedselect.selection.select_batch`, optionally with per-class balancing
  on the predicted class, with diversity on the pool features, and with a cold
  start that picks the initial labeled set from the features alone; and
  ``seedselect_default``, the library's defaults as a user would call them;
* peer libraries: modAL's ranked uncertainty batch sampling and scikit-activeml's
  uncertainty sampling, CoreSet, BADGE and TypiClust.

seedselect strategies are named by a measure followed by ``+``-joined options,
for example ``margin``, ``margin+balance``, ``entropy+balance+cluster`` or
``margin+typicality_start``; see :data:`SEEDSELECT_OPTIONS`. Peer libraries and
seedselect are imported only when one of their strategies is built.

``seedselect_default`` is what the README recommends: a typicality cold start
(``select_batch(n, embeddings=X)``), then every round
``select_batch(B, scores=hardness(proba, method="margin", kind="probs"),
embeddings=X, exclude=labeled)`` with no other option, so it follows whatever
``select_batch`` does by default. ``seedselect_default+balance`` adds
``balance="equal"`` on the predicted class.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

__all__ = [
    "DEFAULT_MEASURE",
    "DEFAULT_NAME",
    "RoundContext",
    "Strategy",
    "PEER_STRATEGIES",
    "SEEDSELECT_MEASURES",
    "SEEDSELECT_OPTIONS",
    "build_strategy",
    "fit_model",
    "predict_proba_full",
    "strategy_seed",
]

# Inverse regularization strength of the benchmark model; scikit-learn's default,
# which suits standardized or unit-variance PCA features.
MODEL_C = 1.0

# Iteration cap of the L-BFGS solver: enough for a few hundred labeled samples
# on 50 features; a rare non-converged fit is still a usable model.
MODEL_MAX_ITER = 500

#: Hardness measures of seedselect.scores that the benchmark runs.
SEEDSELECT_MEASURES = ("entropy", "margin", "least_confidence", "ratio")

# Hardness gate for the "*_top" diversity options: the diversity rule runs among
# the hardest tenth of the unlabeled pool (the gated candidate set select_batch's
# docs suggest); with the benchmark's pools (900-3,500 samples) that leaves 5-17
# candidates per pick, as in cluster-margin sampling (Citovsky et al., 2021).
TOP_FRACTION = 0.1

#: Options that may follow a measure in a seedselect strategy name, and what
#: each passes to select_batch: balancing on the model's predicted class, or a
#: diversity rule on the pool features. ``*_start`` options pick the initial
#: labeled set from the features alone (no model yet) instead of at random. An
#: option ``top=F`` sets ``top_fraction=F`` (e.g. ``margin+cluster+top=0.2``).
SEEDSELECT_OPTIONS: dict[str, dict[str, Any]] = {
    "balance": {"balance": "equal"},
    "balance_proportional": {"balance": "proportional"},
    "balance_inverse": {"balance": "inverse"},
    "cluster": {"diversity": "cluster"},
    "kcenter": {"diversity": "kcenter"},
    "cluster_top": {"diversity": "cluster", "top_fraction": TOP_FRACTION},
    "kcenter_top": {"diversity": "kcenter", "top_fraction": TOP_FRACTION},
    "weighted": {"diversity": "weighted"},
    "typicality_start": {},
    "kcenter_start": {},
}

#: The library defaults as a strategy (see the module docstring).
DEFAULT_NAME = "seedselect_default"

#: Measure of ``seedselect_default``: the README's recommendation for selection
#: (compute_hardness keeps entropy, the fiftyone.brain default).
DEFAULT_MEASURE = "margin"

#: Peer-library strategies: name -> (library, description).
PEER_STRATEGIES = {
    "modal_uncertainty_batch": (
        "modAL",
        "modAL.batch.uncertainty_batch_sampling (ranked batch, Cardoso et al.)",
    ),
    "skactiveml_uncertainty_lc": (
        "scikit-activeml",
        "skactiveml.pool.UncertaintySampling(method='least_confident')",
    ),
    "skactiveml_uncertainty_margin": (
        "scikit-activeml",
        "skactiveml.pool.UncertaintySampling(method='margin_sampling')",
    ),
    "skactiveml_coreset": ("scikit-activeml", "skactiveml.pool.CoreSet"),
    "skactiveml_badge": ("scikit-activeml", "skactiveml.pool.Badge"),
    "skactiveml_typiclust": ("scikit-activeml", "skactiveml.pool.TypiClust"),
    "skactiveml_typiclust_start": (
        "scikit-activeml",
        "skactiveml.pool.TypiClust, also picking the initial labeled set",
    ),
}


@dataclass(frozen=True)
class RoundContext:
    """What a strategy sees in one round.

    Attributes
    ----------
    X : ndarray of shape (n_pool, n_features)
        Pool features; the model is trained on them and distance-based
        strategies use them as embeddings.
    labeled : ndarray of shape (n_pool,), dtype bool
        Which pool samples are labeled.
    y : ndarray of shape (n_pool,), dtype int64
        Labels of the labeled samples, -1 elsewhere.
    n_select : int
        How many samples to return.
    n_classes : int
    proba : ndarray of shape (n_pool, n_classes) or None
        The current model's class probabilities (0 for classes not yet
        labeled); None when choosing the initial labeled set.
    model : estimator or None
        The current fitted model (for libraries that call it themselves).
    rng : numpy.random.Generator
        The strategy's own generator for this seed.
    """

    X: np.ndarray
    labeled: np.ndarray
    y: np.ndarray
    n_select: int
    n_classes: int
    proba: np.ndarray | None
    model: Any
    rng: np.random.Generator


Query = Callable[[RoundContext], np.ndarray]


@dataclass(frozen=True)
class Strategy:
    """A named query strategy.

    Attributes
    ----------
    name : str
    family : {"baseline", "seedselect", "peer"}
    query : callable
        ``query(context) -> positions`` for every round after the first.
    initial : callable or None
        ``initial(context) -> positions`` picking the initial labeled set from
        the features alone; None means the shared random initial set.
    initial_key : str
        Seeds the generator of ``initial``: strategies with the same cold start
        share it, so they start from the same labeled set on each seed.
    description : str
    """

    name: str
    family: str
    query: Query
    initial: Query | None = None
    initial_key: str = ""
    description: str = ""


def strategy_seed(name: str, seed: int) -> np.random.Generator:
    """A generator for one strategy and one seed, stable across runs."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def fit_model(X: np.ndarray, y: np.ndarray) -> Any:
    """Fit the benchmark model on the labeled samples.

    Logistic regression (multinomial, L-BFGS); with a single labeled class a
    prior classifier stands in, since logistic regression needs two classes.
    """
    if np.unique(y).size < 2:
        return DummyClassifier(strategy="prior").fit(X, y)
    model = LogisticRegression(C=MODEL_C, max_iter=MODEL_MAX_ITER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def predict_proba_full(model: Any, X: np.ndarray, n_classes: int) -> np.ndarray:
    """Class probabilities over all ``n_classes``, 0 for classes the model lacks."""
    proba = np.zeros((len(X), n_classes), dtype=np.float64)
    proba[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(X)
    return proba


def _candidates(context: RoundContext) -> np.ndarray:
    return np.flatnonzero(~context.labeled)


def _int_seed(rng: np.random.Generator) -> int:
    """An int seed for libraries that take a legacy ``random_state``."""
    return int(rng.integers(0, 2**31 - 1))


# --- random ---------------------------------------------------------------------


def _random_query(context: RoundContext) -> np.ndarray:
    return context.rng.choice(
        _candidates(context), size=context.n_select, replace=False
    )


# --- seedselect -----------------------------------------------------------------


def _seedselect_query(measure: str, options: dict[str, Any]) -> Query:
    from seedselect.scores import hardness
    from seedselect.selection import select_batch

    def query(context: RoundContext) -> np.ndarray:
        if context.proba is None:
            raise RuntimeError("seedselect measures need the model's probabilities")
        kwargs = dict(options)
        if "balance" in kwargs:
            kwargs["labels"] = context.proba.argmax(axis=1)
        if "diversity" in kwargs:
            kwargs["embeddings"] = context.X
        scores = hardness(context.proba, method=measure, kind="probs")
        result = select_batch(
            context.n_select,
            scores=scores,
            exclude=context.labeled,
            random_state=context.rng,
            **kwargs,
        )
        return np.asarray(result.indices)

    return query


def _typicality_start(context: RoundContext) -> np.ndarray:
    """Cold start: select_batch without scores (typicality within k-means clusters)."""
    from seedselect.selection import select_batch

    result = select_batch(
        context.n_select,
        embeddings=context.X,
        exclude=context.labeled,
        random_state=context.rng,
    )
    return np.asarray(result.indices)


def _kcenter_start(context: RoundContext) -> np.ndarray:
    """Cold start: greedy k-center coverage of the pool features."""
    from seedselect.selection import kcenter_greedy

    return np.asarray(
        kcenter_greedy(context.X, context.n_select, candidates=_candidates(context))
    )


def _default_query(balance: bool) -> Query:
    from seedselect.scores import hardness
    from seedselect.selection import select_batch

    def query(context: RoundContext) -> np.ndarray:
        if context.proba is None:
            raise RuntimeError("seedselect measures need the model's probabilities")
        scores = hardness(context.proba, method=DEFAULT_MEASURE, kind="probs")
        extra: dict[str, Any] = {}
        if balance:
            extra = {"labels": context.proba.argmax(axis=1), "balance": "equal"}
        result = select_batch(
            context.n_select,
            scores=scores,
            embeddings=context.X,
            exclude=context.labeled,
            random_state=context.rng,
            **extra,
        )
        return np.asarray(result.indices)

    return query


def _build_default(name: str) -> Strategy:
    flags = name.split("+")[1:]
    if flags not in ([], ["balance"]):
        raise ValueError(
            f"strategy={name!r}: {DEFAULT_NAME} takes only the option 'balance'"
        )
    balance = bool(flags)
    return Strategy(
        name=name,
        family="seedselect",
        query=_default_query(balance),
        initial=_typicality_start,
        initial_key="typicality_start",
        description=(
            f"seedselect defaults: typicality cold start, then {DEFAULT_MEASURE} via "
            "select_batch(scores, embeddings"
            + (', labels, balance="equal")' if balance else ")")
        ),
    )


def _option(flag: str) -> dict[str, Any]:
    """select_batch keywords of one name option; ``top=F`` sets top_fraction."""
    if flag.startswith("top="):
        return {"top_fraction": float(flag[4:])}
    return SEEDSELECT_OPTIONS[flag]


def _build_seedselect(name: str) -> Strategy:
    measure, *flags = name.split("+")
    unknown = [
        f for f in flags if f not in SEEDSELECT_OPTIONS and not f.startswith("top=")
    ]
    if measure not in SEEDSELECT_MEASURES or unknown or len(set(flags)) < len(flags):
        raise ValueError(
            f"strategy={name!r} is not a seedselect strategy: start with one of "
            f"{SEEDSELECT_MEASURES} and add options from {sorted(SEEDSELECT_OPTIONS)}"
        )
    options: dict[str, Any] = {}
    for flag in flags:
        options.update(_option(flag))
    starts = [f for f in flags if f.endswith("_start")]
    for key, kind in (("_start", "cold starts"), ("diversity", "diversity rules")):
        if sum(key in f or key in _option(f) for f in flags) > 1:
            raise ValueError(f"strategy={name!r} names two {kind}; keep one")
    initial = {"typicality_start": _typicality_start, "kcenter_start": _kcenter_start}
    return Strategy(
        name=name,
        family="seedselect",
        query=_seedselect_query(measure, options),
        initial=initial[starts[0]] if starts else None,
        initial_key=starts[0] if starts else "",
        description=f"seedselect {measure} via select_batch({options})",
    )


# --- peer libraries -------------------------------------------------------------


def _partial_labels(context: RoundContext) -> np.ndarray:
    """Labels with NaN for unlabeled samples, as scikit-activeml expects."""
    y = np.full(len(context.labeled), np.nan)
    y[context.labeled] = context.y[context.labeled]
    return y


def _skactiveml_classifier(context: RoundContext) -> Any:
    """The round's fitted model behind scikit-activeml's classifier interface."""
    from skactiveml.base import SkactivemlClassifier

    class FittedModel(SkactivemlClassifier):
        def __init__(self, model: Any = None, n_classes: int = 2) -> None:
            super().__init__(classes=np.arange(n_classes))
            self.model = model
            self.n_classes = n_classes

        def fit(self, X: Any, y: Any, sample_weight: Any = None) -> FittedModel:
            raise NotImplementedError("the benchmark passes fit_clf=False")

        def predict_proba(self, X: Any, **kwargs: Any) -> np.ndarray:
            return predict_proba_full(self.model, np.asarray(X), self.n_classes)

    return FittedModel(context.model, context.n_classes)


def _skactiveml_query(name: str) -> Query:
    from skactiveml import pool

    def query(context: RoundContext) -> np.ndarray:
        seed = _int_seed(context.rng)
        y = _partial_labels(context)
        batch = {"batch_size": context.n_select}
        if name == "skactiveml_coreset":
            picks = pool.CoreSet(random_state=seed).query(context.X, y, **batch)
        elif name.startswith("skactiveml_typiclust"):
            picks = pool.TypiClust(random_state=seed).query(context.X, y, **batch)
        else:
            clf = _skactiveml_classifier(context)
            if name == "skactiveml_badge":
                strategy = pool.Badge(random_state=seed)
            else:
                method = {"lc": "least_confident", "margin": "margin_sampling"}
                strategy = pool.UncertaintySampling(
                    method=method[name.rsplit("_", 1)[1]], random_state=seed
                )
            picks = strategy.query(context.X, y, clf, fit_clf=False, **batch)
        return np.asarray(picks, dtype=np.int64)

    return query


def _modal_query(context: RoundContext) -> np.ndarray:
    from modAL.batch import uncertainty_batch_sampling
    from modAL.models import ActiveLearner

    # Reuse the round's fitted model: an ActiveLearner made without training
    # data does not refit, and its training set is what ranked batch sampling
    # measures distances to.
    learner = ActiveLearner(estimator=context.model)
    learner.X_training = context.X[context.labeled]
    learner.y_training = context.y[context.labeled]
    candidates = _candidates(context)
    picks, _ = uncertainty_batch_sampling(
        learner, context.X[candidates], n_instances=context.n_select
    )
    return candidates[np.asarray(picks, dtype=np.int64)]


def _build_peer(name: str) -> Strategy:
    library, description = PEER_STRATEGIES[name]
    query = _modal_query if library == "modAL" else _skactiveml_query(name)
    # TypiClust is a cold-start method: with nothing labeled it picks the initial
    # set too, the peer counterpart of seedselect's "typicality_start".
    initial = query if name.endswith("_start") else None
    return Strategy(
        name=name,
        family="peer",
        query=query,
        initial=initial,
        initial_key=name if initial else "",
        description=description,
    )


def build_strategy(name: str) -> Strategy:
    """Build a strategy from its benchmark name.

    Parameters
    ----------
    name : str
        ``"random"``, a key of :data:`PEER_STRATEGIES`, ``"seedselect_default"``
        (optionally ``+balance``), or a seedselect name (measure plus
        ``+``-joined options, e.g. ``"margin+balance"``).
    """
    if name == "random":
        return Strategy(
            name="random",
            family="baseline",
            query=_random_query,
            description="uniform picks among the unlabeled samples",
        )
    if name in PEER_STRATEGIES:
        return _build_peer(name)
    if name.split("+")[0] == DEFAULT_NAME:
        return _build_default(name)
    return _build_seedselect(name)
