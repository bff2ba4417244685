"""A small, offline demo dataset: scikit-learn's digits with a model's predictions.

:func:`load_digits_dataset` turns the 1,797 handwritten digits that ship inside
scikit-learn into image files and a FiftyOne dataset with ground truth, a
logistic regression's predictions (labels, confidences and logits) and
embeddings. Nothing is downloaded. :func:`run_demo` is the job that
``seedselect demo`` runs on it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fiftyone as fo
import numpy as np
import pandas as pd
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from .._exceptions import InputError
from .._validation import check_count, check_random_state
from ._hardness import compute_hardness
from ._manifest import selection_summary
from ._select import select_seeds

__all__ = [
    "DEFAULT_DATASET_NAME",
    "DEFAULT_IMAGES_DIR",
    "DemoReport",
    "load_digits_dataset",
    "run_demo",
]

logger = logging.getLogger(__name__)

#: Name of the demo dataset in FiftyOne.
DEFAULT_DATASET_NAME = "seedselect-digits"
#: Where the digit images are written unless ``images_dir`` says otherwise.
DEFAULT_IMAGES_DIR = "~/.seedselect/demo/digits"

# The digits are 8x8 pixels; 64x64 (nearest neighbour, so pixels stay sharp) is
# large enough to see in the FiftyOne App.
_IMAGE_SIZE = 64
# Grey levels of the digits run from 0 to 16.
_MAX_PIXEL = 16.0
# The model is trained on this fraction of the samples, as if only they were
# labeled, so that it makes enough mistakes on the rest to be worth scoring.
_LABELED_FRACTION = 0.1
# Dimensions of the PCA embeddings: enough to keep most of the variance of the
# 64 pixels (about 85% with 16) while staying cheap for diversity filters.
_EMBEDDING_DIM = 16
# Iterations for the logistic regression; it converges in far fewer on pixels
# scaled to [0, 1].
_MAX_ITER = 2000
# Key in dataset.info that marks a dataset made by load_digits_dataset, and the
# version of its layout; a dataset with another version is rebuilt.
_MARKER = "seedselect_demo"
_LAYOUT_VERSION = 1
#: Run key, tag and saved view name of the demo's labeling batch.
DEMO_BATCH_KEY = "demo_batch"
# Size of the demo's labeling batch: five samples per digit class when balanced.
_DEMO_BATCH_SIZE = 50


def _existing_is_reusable(dataset: Any, expected: dict[str, Any]) -> bool:
    marker = dataset.info.get(_MARKER)
    if not isinstance(marker, dict) or not marker.get("complete"):
        return False
    if any(marker.get(key) != value for key, value in expected.items()):
        return False
    if len(dataset) != expected["n_samples"]:
        return False
    return all(os.path.exists(path) for path in dataset.values("filepath"))


def _write_images(
    images: np.ndarray, indices: np.ndarray, images_dir: Path
) -> list[str]:
    """Save each digit as an upscaled greyscale PNG; return the file paths."""
    images_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, pixels in zip(indices, images, strict=True):
        grey = np.round(pixels / _MAX_PIXEL * 255).astype(np.uint8)
        image = Image.fromarray(grey).resize(
            (_IMAGE_SIZE, _IMAGE_SIZE), Image.Resampling.NEAREST
        )
        path = images_dir / f"digit-{int(index):04d}.png"
        image.save(path)
        paths.append(str(path))
    return paths


def _fit_model(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, LogisticRegression]:
    """Train on a small stratified part; return the labeled mask and the model."""
    n_classes = len(np.unique(y))
    n_labeled = max(int(round(_LABELED_FRACTION * len(y))), 2 * n_classes)
    positions = np.arange(len(y))
    seed = int(rng.integers(2**31 - 1))
    labeled_positions, _ = train_test_split(
        positions, train_size=n_labeled, stratify=y, random_state=seed
    )
    labeled = np.zeros(len(y), dtype=bool)
    labeled[labeled_positions] = True
    model = LogisticRegression(max_iter=_MAX_ITER)
    model.fit(X[labeled], y[labeled])
    return labeled, model


def load_digits_dataset(
    name: str = DEFAULT_DATASET_NAME,
    *,
    overwrite: bool = False,
    images_dir: str | os.PathLike[str] | None = None,
    n_samples: int | None = None,
    random_state: int | np.random.Generator | None = 0,
    persistent: bool = True,
    progress: bool | None = None,
) -> fo.Dataset:
    """Build (or reuse) a FiftyOne dataset of scikit-learn's handwritten digits.

    The 8x8 digits bundled with scikit-learn are saved as 64x64 PNG files. A
    logistic regression is trained on a stratified 10% of them (tagged
    ``"train"``; the rest are tagged ``"pool"``) and predicts every sample.
    Each sample gets:

    - ``ground_truth``: :class:`fiftyone.core.labels.Classification`, the digit;
    - ``predictions``: Classification with ``confidence`` (the top probability)
      and ``logits`` (the model's decision function, 10 values);
    - ``embeddings``: 16 PCA components of the pixels;
    - ``digit_index``: the position of the digit in scikit-learn's data.

    Nothing is downloaded. If a complete dataset built with the same
    ``n_samples`` and integer ``random_state`` already exists under ``name``,
    it is returned as it is.

    Parameters
    ----------
    name : str, default="seedselect-digits"
        The FiftyOne dataset name.
    overwrite : bool, default=False
        Rebuild even if a complete dataset exists. A dataset of this name that
        ``load_digits_dataset`` did not make is only replaced with
        ``overwrite=True``.
    images_dir : str or path, optional
        Where to write the images; default ``~/.seedselect/demo/digits``.
    n_samples : int, optional
        Use only this many digits (a random subset, at least 30), e.g. for
        quick tests; default all 1,797.
    random_state : int, numpy.random.Generator or None, default=0
        Seeds the subset, the labeled split and the PCA.
    persistent : bool, default=True
        Whether the dataset survives the Python session.
    progress : bool or None, default=None
        Progress bar while adding samples; None follows FiftyOne's config.

    Returns
    -------
    fiftyone.core.dataset.Dataset

    Examples
    --------
    >>> from seedselect.fo import load_digits_dataset
    >>> dataset = load_digits_dataset(
    ...     "digits-example", n_samples=100, persistent=False, progress=False
    ... )  # doctest: +SKIP
    >>> dataset.count_values("tags")  # doctest: +SKIP
    {'train': 20, 'pool': 80}
    """
    digits = load_digits()
    n_total = len(digits.target)
    if n_samples is not None:
        n_samples = check_count(n_samples, "n_samples", minimum=30)
        if n_samples > n_total:
            raise InputError(
                f"n_samples={n_samples} exceeds the {n_total} digits available; "
                f"pass at most {n_total} or None for all"
            )
    n_used = n_total if n_samples is None else n_samples
    folder = Path(images_dir if images_dir is not None else DEFAULT_IMAGES_DIR)
    folder = folder.expanduser().resolve()
    expected = {
        "version": _LAYOUT_VERSION,
        "n_samples": n_used,
        "random_state": random_state if isinstance(random_state, int) else None,
        "images_dir": str(folder),
    }

    # Reuse, refuse or replace an existing dataset of the same name.
    if fo.dataset_exists(name):
        existing = fo.load_dataset(name)
        if not overwrite and expected["random_state"] is not None:
            if _existing_is_reusable(existing, expected):
                logger.info("Reusing the digits dataset '%s'", name)
                return existing
        if not overwrite and _MARKER not in existing.info:
            raise InputError(
                f"a dataset named {name!r} already exists and was not made by "
                "load_digits_dataset; pass another name, or overwrite=True to "
                "replace it"
            )
        existing.delete()

    logger.info("Building the digits dataset '%s' in %s...", name, folder)
    rng = check_random_state(random_state)
    indices = np.arange(n_total)
    if n_samples is not None:
        indices = np.sort(rng.choice(n_total, size=n_samples, replace=False))
    images = digits.images[indices]
    y = digits.target[indices]
    X = images.reshape(len(indices), -1) / _MAX_PIXEL

    labeled, model = _fit_model(X, y, rng)
    logits = model.decision_function(X)
    probs = model.predict_proba(X)
    predicted = model.classes_[probs.argmax(axis=1)]
    n_components = min(_EMBEDDING_DIM, X.shape[0], X.shape[1])
    seed = int(rng.integers(2**31 - 1))
    embeddings = PCA(n_components=n_components, random_state=seed).fit_transform(X)
    paths = _write_images(images, indices, folder)

    dataset = fo.Dataset(name, persistent=persistent)
    samples = [
        fo.Sample(
            filepath=paths[i],
            tags=["train" if labeled[i] else "pool"],
            digit_index=int(indices[i]),
            ground_truth=fo.Classification(label=str(y[i])),
            predictions=fo.Classification(
                label=str(predicted[i]),
                confidence=float(probs[i].max()),
                logits=logits[i],
            ),
            embeddings=embeddings[i],
        )
        for i in range(len(indices))
    ]
    dataset.add_samples(samples, progress=progress)
    dataset.info[_MARKER] = {
        **expected,
        "n_labeled": int(labeled.sum()),
        "complete": True,
    }
    dataset.save()
    logger.info("Built '%s': %d samples, %d labeled", name, len(dataset), labeled.sum())
    return dataset


@dataclass
class DemoReport:
    """What :func:`run_demo` did, ready to print with :meth:`format`.

    Attributes
    ----------
    dataset_name : str
    run_key : str
        The key of the hardness run on the dataset.
    method : str
    n_samples, n_scored : int
    error_rate : float
        Fraction of all samples the model gets wrong.
    hardest_error_rate : float
        Fraction of the hardest samples shown that it gets wrong.
    hardest : list of dict
        One dict per hardest sample: ``id``, ``filepath``, ``true``,
        ``predicted``, ``hardness``.
    batch_key : str or None
        Run key, tag and saved view name of the labeling batch; None when no
        batch was selected.
    batch_size : int
        Number of samples in the labeling batch.
    batch_error_rate : float
        Fraction of the batch that the model gets wrong.
    batch_summary : pandas.DataFrame or None
        Per class: pool count, quota, chosen count and hardness of the batch
        (see :func:`~seedselect.selection_summary`).
    """

    dataset_name: str
    run_key: str
    method: str
    n_samples: int
    n_scored: int
    error_rate: float
    hardest_error_rate: float
    hardest: list[dict[str, Any]] = field(default_factory=list)
    batch_key: str | None = None
    batch_size: int = 0
    batch_error_rate: float = float("nan")
    batch_summary: pd.DataFrame | None = None

    @property
    def summary(self) -> str:
        """One line: what was scored and how the hardest samples compare."""
        return (
            f"Scored {self.n_scored} of {self.n_samples} samples of "
            f"'{self.dataset_name}' by {self.method} (run '{self.run_key}'); the "
            f"model is wrong on {self.hardest_error_rate:.0%} of the "
            f"{len(self.hardest)} hardest samples versus {self.error_rate:.0%} "
            "overall."
        )

    def format(self) -> str:
        """The hardest samples as a table, followed by the summary line."""
        header = f"{'id':<24}  {'true':>4}  {'pred':>4}  {'hardness':>8}  filepath"
        lines = [f"Hardest {len(self.hardest)} samples:", header]
        for row in self.hardest:
            lines.append(
                f"{row['id']:<24}  {row['true']:>4}  {row['predicted']:>4}  "
                f"{row['hardness']:>8.4f}  {row['filepath']}"
            )
        lines.append(self.summary)
        if self.batch_key is not None and self.batch_summary is not None:
            lines.append("")
            lines.append(
                f"Next labeling batch: {self.batch_size} pool samples, balanced "
                "by predicted class and spread over the embeddings, tagged "
                f"'{self.batch_key}' and saved as the view '{self.batch_key}'; the "
                f"model is wrong on {self.batch_error_rate:.0%} of them."
            )
            lines.append(self.batch_summary.to_string(index=False))
            lines.append(
                "Look at them in the App: "
                f"fo.launch_app(fo.load_dataset('{self.dataset_name}')"
                f".load_saved_view('{self.batch_key}'))"
            )
        return "\n".join(lines)


def run_demo(
    name: str = DEFAULT_DATASET_NAME,
    *,
    images_dir: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    n_samples: int | None = None,
    n_show: int = 10,
    method: str = "entropy",
    n_select: int = _DEMO_BATCH_SIZE,
    random_state: int | np.random.Generator | None = 0,
    persistent: bool = True,
    progress: bool | None = None,
) -> DemoReport:
    """Build the digits dataset, score it, and choose the next labeling batch.

    This is what ``seedselect demo`` runs: :func:`load_digits_dataset`, then
    :func:`~seedselect.compute_hardness` on ``predictions`` into ``hardness``
    (a rerun replaces the previous scores), a look at the hardest samples, and
    :func:`~seedselect.select_seeds` choosing ``n_select`` samples of the
    unlabeled pool (samples not tagged ``train``), balanced by predicted class
    and spread over the ``embeddings``, tagged, saved as a view and recorded
    under the run key ``"demo_batch"`` (a rerun replaces that batch).

    Parameters
    ----------
    name, images_dir, overwrite, n_samples, random_state, persistent
        Passed to :func:`load_digits_dataset`.
    n_show : int, default=10
        How many of the hardest samples to report.
    method : str, default="entropy"
        The hardness measure, as in :func:`~seedselect.compute_hardness`.
    n_select : int, default=50
        Size of the labeling batch; 0 skips the selection.
    progress : bool or None, default=None
        Progress bars; None follows FiftyOne's config.

    Returns
    -------
    DemoReport
    """
    n_show = check_count(n_show, "n_show", minimum=1)
    n_select = check_count(n_select, "n_select", minimum=0)
    dataset = load_digits_dataset(
        name,
        overwrite=overwrite,
        images_dir=images_dir,
        n_samples=n_samples,
        random_state=random_state,
        persistent=persistent,
        progress=progress,
    )
    results = compute_hardness(
        dataset, "predictions", "hardness", method=method, progress=progress
    )

    truth, predicted = dataset.values(["ground_truth.label", "predictions.label"])
    wrong = np.asarray(truth) != np.asarray(predicted)
    hardest_view = dataset.sort_by("hardness", reverse=True).limit(n_show)
    ids, paths, h_truth, h_pred, scores = hardest_view.values(
        ["id", "filepath", "ground_truth.label", "predictions.label", "hardness"]
    )
    hardest = [
        {"id": i, "filepath": p, "true": t, "predicted": q, "hardness": s}
        for i, p, t, q, s in zip(ids, paths, h_truth, h_pred, scores, strict=True)
    ]
    n_hard_wrong = sum(row["true"] != row["predicted"] for row in hardest)

    # The next labeling batch, from the samples the model was not trained on.
    batch_kwargs: dict[str, Any] = {}
    n_pool = len(dataset.match_tags("train", bool=False))
    if n_select > n_pool // 2:
        # A small demo dataset (n_samples) keeps half of its pool unchosen.
        logger.info("Demo batch lowered from %d to %d samples", n_select, n_pool // 2)
        n_select = n_pool // 2
    if n_select > 0:
        batch = select_seeds(
            dataset,
            n_select,
            hardness_field="hardness",
            label_field="predictions",
            embeddings_field="embeddings",
            balance="equal",
            exclude_tags="train",
            tag=DEMO_BATCH_KEY,
            run_key=DEMO_BATCH_KEY,
            random_state=random_state,
            progress=progress,
        )
        b_truth, b_pred = batch.values(["ground_truth.label", "predictions.label"])
        batch_kwargs = {
            "batch_key": DEMO_BATCH_KEY,
            "batch_size": len(b_truth),
            "batch_error_rate": float(
                np.mean(np.asarray(b_truth) != np.asarray(b_pred))
            ),
            "batch_summary": selection_summary(dataset, run_key=DEMO_BATCH_KEY),
        }

    return DemoReport(
        dataset_name=name,
        run_key=str(results.key),
        method=method,
        n_samples=int(results.n_samples),
        n_scored=int(results.n_scored),
        error_rate=float(wrong.mean()),
        hardest_error_rate=n_hard_wrong / max(len(hardest), 1),
        hardest=hardest,
        **batch_kwargs,
    )
