"""Report tables: hardness summaries, class counts and run comparisons."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

import seedselect.reports as reports
from seedselect import InputError
from seedselect.reports import (
    ALL_LABEL,
    RUN_METRICS,
    class_counts,
    compare_runs,
    hardness_summary,
)


@dataclass
class FakeResult:
    """Stands in for seedselect.selection.SelectionResult: the attributes we read."""

    indices: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    class_table: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "order": np.arange(len(self.indices)),
                "index": self.indices,
                "score": self.scores,
                "label": pd.Series(self.labels, dtype=object),
                "reason": ["test"] * len(self.indices),
            }
        )


# --- the package ---------------------------------------------------------------


def test_all_lists_the_public_names() -> None:
    assert len(reports.__all__) == len(set(reports.__all__))
    for name in reports.__all__:
        assert getattr(reports, name) is not None, name
    public = {
        name
        for name, value in vars(reports).items()
        if not name.startswith("_") and not isinstance(value, type(sys))
    }
    assert public == set(reports.__all__)


def test_reports_import_neither_fiftyone_nor_pyplot() -> None:
    code = (
        "import sys, seedselect.reports; "
        "print('fiftyone' in sys.modules, 'matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


# --- hardness_summary -------------------------------------------------------------


def test_summary_agrees_with_numpy(rng: np.random.Generator) -> None:
    hardness = rng.random(300)
    hardness[rng.choice(300, 25, replace=False)] = np.nan
    labels = rng.choice(np.array(["cat", "dog", "emu"]), 300)

    table = hardness_summary(hardness, labels)

    assert table["class"].tolist() == [ALL_LABEL, "cat", "dog", "emu"]
    for row in table.itertuples(index=False):
        mask = np.ones(300, bool) if row[0] == ALL_LABEL else labels == row[0]
        values = hardness[mask]
        present = values[~np.isnan(values)]
        assert row.count == present.size
        assert row.missing == np.isnan(values).sum()
        assert row.mean == pytest.approx(np.mean(present))
        assert row.std == pytest.approx(np.std(present))
        assert row.min == np.min(present)
        assert row.max == np.max(present)
        assert row.q25 == pytest.approx(np.quantile(present, 0.25))
        assert row.median == pytest.approx(np.median(present))
        assert row.q75 == pytest.approx(np.quantile(present, 0.75))
    assert table["count"].iloc[1:].sum() == table["count"].iloc[0]
    assert table["missing"].iloc[1:].sum() == table["missing"].iloc[0] == 25


def test_summary_without_labels_is_one_row() -> None:
    table = hardness_summary([0.5, None, 0.1])
    assert table["class"].tolist() == [ALL_LABEL]
    assert table.loc[0, "count"] == 2
    assert table.loc[0, "missing"] == 1
    assert table.loc[0, "mean"] == pytest.approx(0.3)


def test_summary_class_without_scores_has_nan_statistics() -> None:
    table = hardness_summary([0.2, np.nan, np.nan], ["a", "b", "b"], overall=False)
    assert table["class"].tolist() == ["a", "b"]
    row = table.set_index("class").loc["b"]
    assert row["count"] == 0 and row["missing"] == 2
    assert np.isnan(row["mean"]) and np.isnan(row["max"])


def test_summary_reads_nullable_pandas_columns() -> None:
    hardness = pd.Series([0.1, pd.NA, 0.3], dtype="Float64")
    labels = pd.Series([1, 2, 2])
    table = hardness_summary(hardness, labels)
    assert table["class"].tolist() == [ALL_LABEL, 1, 2]
    assert table["missing"].tolist() == [1, 0, 1]


def test_summary_refuses_a_class_named_like_the_overall_row() -> None:
    with pytest.raises(InputError, match="overall=False"):
        hardness_summary([0.1, 0.2], [ALL_LABEL, "b"])
    table = hardness_summary([0.1, 0.2], [ALL_LABEL, "b"], overall=False)
    assert len(table) == 2


@pytest.mark.parametrize(
    ("hardness", "labels", "match"),
    [
        ([], None, "hardness is empty"),
        ([[0.1, 0.2]], None, r"hardness has shape \(1, 2\)"),
        ([0.1, "high"], None, "'high'"),
        ("0.5", None, "is a string"),
        ([0.1, np.inf, -np.inf], None, "infinite for 2 samples, e.g. position 1"),
        ([0.1, 0.2], ["a"], "labels has 1 entries but hardness has 2"),
        (
            [0.1, 0.2, 0.3],
            ["a", None, np.nan],
            "missing for 2 samples, e.g. position 1",
        ),
        ([0.1], "a", "single string"),
        ([0.1, 0.2], [["a"], ["b", "c"]], "cannot name a class"),
    ],
)
def test_summary_rejects_bad_input(hardness, labels, match) -> None:
    with pytest.raises(InputError, match=match):
        hardness_summary(hardness, labels)


# --- class_counts ------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    pool=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=60),
    data=st.data(),
)
def test_counts_add_up(pool: list[str], data: st.DataObject) -> None:
    chosen = data.draw(st.sets(st.integers(0, len(pool) - 1)))
    pool_labels = np.array(pool, dtype=object)
    selected = pool_labels[sorted(chosen)]

    table = class_counts(pool_labels, selected)

    assert table["pool"].sum() == len(pool)
    assert table["selected"].sum() == len(chosen)
    assert (table["selected"] <= table["pool"]).all()
    assert table["pool_share"].sum() == pytest.approx(1.0)
    if chosen:
        assert table["selected_share"].sum() == pytest.approx(1.0)
    else:
        assert table["selected_share"].isna().all()
    rate = table["selected"] / table["pool"]
    np.testing.assert_allclose(table["selected_rate"], rate)


def test_balanced_selection_matches_its_quotas(rng: np.random.Generator) -> None:
    # A pool of 60 / 30 / 10 samples, and a selection filling quotas of 6 / 6 / 4.
    pool = np.repeat(np.array(["cat", "dog", "emu"]), [60, 30, 10])
    rng.shuffle(pool)
    quotas = {"cat": 6, "dog": 6, "emu": 4}
    chosen = np.concatenate(
        [
            rng.choice(np.flatnonzero(pool == c), n, replace=False)
            for c, n in quotas.items()
        ]
    )

    table = class_counts(pool, pool[chosen], targets=quotas).set_index("class")

    assert table["selected"].to_dict() == quotas
    assert table["target"].tolist() == [6, 6, 4]
    assert (table["difference"] == 0).all()
    assert table["pool"].tolist() == [60, 30, 10]
    # Balancing moved the mix away from the pool's: emu was 10% of the pool.
    assert table.loc["emu", "pool_share"] == pytest.approx(0.10)
    assert table.loc["emu", "selected_share"] == pytest.approx(0.25)


def test_counts_take_a_selection_result_and_its_targets() -> None:
    pool = np.array(["a", "a", "a", "b", "b", "c"])
    result = FakeResult(
        indices=np.array([0, 3, 4]),
        scores=np.array([0.9, 0.8, 0.7]),
        labels=pool[[0, 3, 4]],
        class_table=pd.DataFrame(
            {
                "class": ["a", "b", "c"],
                "target": pd.array([1, 1, 1], dtype="Int64"),
                "available": [3, 2, 1],
                "chosen": [1, 2, 0],
            }
        ),
    )

    table = class_counts(pool, result)

    assert table["selected"].tolist() == [1, 2, 0]
    assert table["target"].tolist() == [1, 1, 1]
    assert table["difference"].tolist() == [0, 1, -1]
    # Explicit targets win over the result's.
    table = class_counts(pool, result, targets={"a": 2})
    assert table["target"].isna().tolist() == [False, True, True]


def test_counts_without_quotas_in_the_result_have_no_target_column() -> None:
    pool = np.array(["a", "b"])
    table_without = pd.DataFrame(
        {"class": ["a", "b"], "target": pd.array([None, None], dtype="Int64")}
    )
    result = FakeResult(np.array([1]), np.array([0.5]), pool[[1]], table_without)
    assert "target" not in class_counts(pool, result).columns


def test_total_row_holds_the_column_sums() -> None:
    pool = ["a"] * 5 + ["b"] * 3 + ["c"] * 2
    table = class_counts(pool, ["a", "b", "b"], targets={"a": 2, "b": 1}, total=True)
    body, total = table.iloc[:-1], table.iloc[-1]
    assert total["class"] == ALL_LABEL
    for column in ("pool", "selected", "target", "difference"):
        assert total[column] == body[column].sum(), column
    assert total["pool_share"] == 1.0
    assert total["selected_rate"] == pytest.approx(3 / 10)
    assert str(table["target"].dtype) == "Int64"


def test_counts_cover_classes_seen_only_in_selection_or_targets() -> None:
    table = class_counts([1, 1, 2], [2, 3], targets={4: 1})
    assert table["class"].tolist() == [1, 2, 3, 4]
    assert table["pool"].tolist() == [2, 1, 0, 0]
    assert table["selected"].tolist() == [0, 1, 1, 0]
    assert np.isnan(table["selected_rate"].iloc[2])


def test_counts_targets_from_a_table_with_missing_quotas() -> None:
    targets = pd.DataFrame({"class": ["a", "b"], "target": [3.0, np.nan]})
    table = class_counts(["a", "b"], ["a"], targets=targets)
    assert table["target"].tolist()[0] == 3
    assert table["target"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("selected", "targets", "match"),
    [
        (["a"], {"a": -1}, r"targets\['a'\]=-1 must be at least 0"),
        (["a"], {"a": 1.5}, r"targets\['a'\]=1.5 is not an integer"),
        (["a"], [1, 2], "targets is a list"),
        (
            ["a"],
            pd.DataFrame({"class": ["a"]}),
            r"without the column\(s\) \['target'\]",
        ),
        ([None], None, "selected is missing for 1 sample"),
        (
            FakeResult(np.array([0, 9]), np.zeros(2), np.array(["a", "a"])),
            None,
            "selected.indices holds 1 positions outside the pool, e.g. 9",
        ),
        (
            FakeResult(np.array([1, 1]), np.zeros(2), np.array(["a", "a"])),
            None,
            "repeats 1 positions, e.g. 1",
        ),
    ],
)
def test_counts_reject_bad_input(selected, targets, match) -> None:
    with pytest.raises(InputError, match=match):
        class_counts(["a", "b", "a"], selected, targets=targets)


def test_counts_reject_an_empty_pool() -> None:
    with pytest.raises(InputError, match="pool_labels is empty"):
        class_counts([], [])


def test_counts_agree_with_select_batch() -> None:
    selection = pytest.importorskip("seedselect.selection")
    if not hasattr(selection, "select_batch"):
        pytest.skip("seedselect.selection.select_batch is not available")
    rng = np.random.default_rng(0)
    pool = np.repeat(np.array(["a", "b", "c"]), [50, 30, 20])
    result = selection.select_batch(
        15, scores=rng.random(100), labels=pool, balance="equal", random_state=0
    )
    table = class_counts(pool, result).set_index("class")
    expected = result.class_table.set_index("class")
    assert table["selected"].tolist() == expected["chosen"].tolist()
    assert table["target"].tolist() == expected["target"].tolist()
    assert table["selected"].sum() == result.n_selected == 15


# --- compare_runs ----------------------------------------------------------------


def test_compare_runs_on_hand_made_runs() -> None:
    hardness = np.array([0.9, 0.8, 0.7, 0.1, 0.2, np.nan])
    labels = np.array(["a", "a", "a", "b", "b", "c"])
    runs = {
        "hardest": [0, 1, 2],
        "mixed": np.array([True, False, False, True, False, True]),
        "lopsided": np.array([0, 1, 2, 3]),
        "empty": [],
    }

    table = compare_runs(runs, hardness=hardness, labels=labels).set_index("run")

    assert list(table.columns) == list(RUN_METRICS)
    assert table["n_selected"].tolist() == [3, 3, 4, 0]
    assert table.loc["hardest", "mean_hardness"] == pytest.approx(0.8)
    assert table.loc["mixed", "mean_hardness"] == pytest.approx(0.5)  # NaN left out
    assert table.loc["lopsided", "median_hardness"] == pytest.approx(0.75)
    assert table["n_classes"].tolist() == [1, 3, 2, 0]
    assert table.loc["hardest", "class_entropy"] == 0.0
    assert table.loc["mixed", "class_entropy"] == pytest.approx(np.log(3))
    assert table.loc["lopsided", "imbalance_ratio"] == 3.0
    assert np.isnan(table.loc["empty", "mean_hardness"])
    assert table["coverage_radius"].isna().all()


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_coverage_radius_matches_brute_force(
    rng: np.random.Generator, metric: str
) -> None:
    X = rng.normal(size=(200, 5))
    chosen = rng.choice(200, 12, replace=False)

    table = compare_runs({"run": chosen}, embeddings=X, metric=metric)

    expected = cdist(X, X[chosen], metric=metric).min(axis=1).max()
    assert table.loc[0, "coverage_radius"] == pytest.approx(expected, rel=1e-9)


def test_coverage_radius_is_zero_when_everything_is_chosen() -> None:
    X = np.arange(12.0).reshape(4, 3)
    table = compare_runs({"all": [0, 1, 2, 3], "none": []}, embeddings=X)
    assert table.loc[0, "coverage_radius"] == pytest.approx(0.0, abs=1e-6)
    assert np.isnan(table.loc[1, "coverage_radius"])


def test_compare_runs_reads_results_and_frames(rng: np.random.Generator) -> None:
    hardness = rng.random(10)
    labels = np.array(list("aabbccddee"))
    result = FakeResult(np.array([4, 0]), hardness[[4, 0]], labels[[4, 0]])
    frame = result.to_frame()
    runs = {"result": result, "frame": frame, "positions": [4, 0]}

    with_pool = compare_runs(runs, hardness=hardness, labels=labels)
    own_columns = compare_runs({"result": result, "frame": frame.drop(columns="index")})

    metrics = ["n_selected", "mean_hardness", "n_classes", "class_entropy"]
    first = with_pool.loc[0, metrics].tolist()
    assert with_pool.loc[1, metrics].tolist() == first
    assert with_pool.loc[2, metrics].tolist() == first
    assert own_columns.loc[0, metrics].tolist() == first
    assert own_columns.loc[1, metrics].tolist() == first
    assert with_pool["run"].tolist() == ["result", "frame", "positions"]


def test_compare_runs_without_labels_leaves_class_metrics_missing() -> None:
    table = compare_runs({"a": [0, 1]}, hardness=[0.1, 0.2, 0.3])
    assert table["n_classes"].isna().all()
    assert np.isnan(table.loc[0, "class_entropy"])
    assert table.loc[0, "mean_hardness"] == pytest.approx(0.15)


@pytest.mark.parametrize(
    ("runs", "kwargs", "match"),
    [
        ({}, {}, "non-empty mapping"),
        ([[0, 1]], {}, "non-empty mapping"),
        ({"a": [0, 0]}, {"hardness": [0.1, 0.2]}, "repeats 1 positions, e.g. 0"),
        ({"a": [0, 5]}, {"hardness": [0.1, 0.2]}, "outside the pool, e.g. 5"),
        ({"a": [-1]}, {}, "outside the pool, e.g. -1"),
        ({"a": [0.0, 1.0]}, {}, "holds float64 values"),
        ({"a": [True, False]}, {"hardness": [0.1, 0.2, 0.3]}, "mask of length 2"),
        ({"a": [[0, 1]]}, {}, r"runs\['a'\] has shape \(1, 2\)"),
        (
            {"a": pd.DataFrame({"score": [0.1]})},
            {"hardness": [0.1, 0.2]},
            "without an 'index' column",
        ),
        ({"a": [0]}, {"hardness": [0.1, 0.2], "labels": ["x"]}, "labels has 1 entries"),
        ({"a": [0]}, {"embeddings": [[0.0, np.nan]]}, "NaN or infinite values"),
        ({"a": [0]}, {"embeddings": [0.0, 1.0]}, r"embeddings has shape \(2,\)"),
        ({"a": [0]}, {"embeddings": [[0.0, 0.0]], "metric": "cosine"}, "zero vector"),
        ({"a": [0]}, {"metric": "manhattan"}, "metric='manhattan'"),
    ],
)
def test_compare_runs_rejects_bad_input(runs, kwargs, match) -> None:
    with pytest.raises(InputError, match=match):
        compare_runs(runs, **kwargs)
