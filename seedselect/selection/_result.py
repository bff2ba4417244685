"""The result of a selection: chosen indices in order, and why each was chosen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["SelectionResult"]

#: Columns of :meth:`SelectionResult.to_frame`, in order.
FRAME_COLUMNS: tuple[str, ...] = (
    "order",
    "index",
    "score",
    "rank",
    "label",
    "quota_class",
    "cluster",
    "distance",
    "reason",
)

#: Columns of :attr:`SelectionResult.class_table`, in order.
CLASS_TABLE_COLUMNS: tuple[str, ...] = (
    "class",
    "target",
    "available",
    "chosen",
    "quota",
)


def _frozen(values: Any, dtype: Any) -> np.ndarray:
    arr = np.array(values, dtype=dtype)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class SelectionResult:
    """Chosen pool indices in selection order, with the reason for each.

    Attributes
    ----------
    indices : ndarray of shape (n_selected,), dtype int64
        Row indices into the pool, in the order they were chosen. Read-only.
    n_requested : int
        The ``n_select`` asked for.
    scores : ndarray of shape (n_selected,), dtype float64
        Score of each chosen sample (hardness, or typicality on a cold start).
    ranks : ndarray of shape (n_selected,), dtype int64
        Rank of that score among the candidates, 1 for the highest.
    labels : ndarray of shape (n_selected,), dtype object
        Class of each chosen sample (None without labels).
    quota_classes : ndarray of shape (n_selected,), dtype object
        The class whose quota each sample filled (None without balancing).
    clusters : ndarray of shape (n_selected,), dtype int64
        Cluster of each sample under ``diversity="cluster"``, otherwise -1.
    distances : ndarray of shape (n_selected,), dtype float64
        Distance from each sample to the nearest excluded or earlier chosen sample
        (``inf`` when there was none; NaN without embeddings).
    reasons : tuple of str
        Why each sample was chosen, e.g. ``"rank 3 of 812 in class 'cat' (quota
        10)"`` or ``"k-center: farthest point, distance 4.21; rank 17 of 812"``.
    class_table : pandas.DataFrame
        One row per class with columns ``class``, ``target`` (quota before
        redistribution), ``available`` (candidates after exclusions and gates),
        ``chosen`` and ``quota`` (after redistribution). ``target`` and ``quota``
        are missing when classes were not balanced; the table is empty without
        labels.
    config : dict
        The options the selection ran with, after defaults were resolved, plus pool
        counts (``n_pool``, ``n_excluded``, ``n_candidates``).
    """

    indices: NDArray[np.int64]
    n_requested: int
    scores: NDArray[np.float64]
    ranks: NDArray[np.int64]
    labels: NDArray[np.object_]
    quota_classes: NDArray[np.object_]
    clusters: NDArray[np.int64]
    distances: NDArray[np.float64]
    reasons: tuple[str, ...]
    class_table: pd.DataFrame
    config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, dtype in (
            ("indices", np.int64),
            ("scores", np.float64),
            ("ranks", np.int64),
            ("labels", object),
            ("quota_classes", object),
            ("clusters", np.int64),
            ("distances", np.float64),
        ):
            object.__setattr__(self, name, _frozen(getattr(self, name), dtype))
        object.__setattr__(self, "reasons", tuple(self.reasons))

    @property
    def n_selected(self) -> int:
        """Number of samples chosen."""
        return int(len(self.indices))

    @property
    def shortfall(self) -> int:
        """How many fewer samples were chosen than requested (0 normally)."""
        return self.n_requested - self.n_selected

    def __len__(self) -> int:
        return self.n_selected

    def __repr__(self) -> str:
        return (
            f"SelectionResult(n_selected={self.n_selected}, "
            f"n_requested={self.n_requested}, shortfall={self.shortfall}, "
            f"diversity={self.config.get('diversity')!r}, "
            f"balance={self.config.get('balance')!r})"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per chosen sample, in selection order.

        Returns
        -------
        pandas.DataFrame
            Columns ``order`` (0-based position in :attr:`indices`), ``index``
            (row in the pool), ``score``, ``rank`` (1 = highest score among the
            candidates), ``label``, ``quota_class``, ``cluster`` (nullable int),
            ``distance`` and ``reason``.
        """
        clusters = pd.array(
            [None if c < 0 else int(c) for c in self.clusters], dtype="Int64"
        )
        return pd.DataFrame(
            {
                "order": np.arange(self.n_selected, dtype=np.int64),
                "index": self.indices,
                "score": self.scores,
                "rank": self.ranks,
                "label": pd.Series(self.labels, dtype=object),
                "quota_class": pd.Series(self.quota_classes, dtype=object),
                "cluster": clusters,
                "distance": self.distances,
                "reason": list(self.reasons),
            },
            columns=list(FRAME_COLUMNS),
        )
