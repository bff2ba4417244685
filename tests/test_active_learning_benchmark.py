"""The smoke configuration of the active-learning benchmark.

One small dataset (scikit-learn's digits), two rounds, two strategies (random and
one seedselect strategy). The full benchmark is run by hand; see
``benchmarks/README_active_learning.md``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PEER_MODULES = ("modAL", "skactiveml")


@pytest.fixture(scope="module")
def bench():
    return importlib.import_module("benchmarks.active_learning")


@pytest.fixture(scope="module")
def smoke(bench):
    """Curves of the smoke configuration, and the peer modules loaded before."""
    loaded_before = {name for name in PEER_MODULES if name in sys.modules}
    config = bench.SMOKE
    curves = bench.run_benchmark(
        config["datasets"],
        config["strategies"],
        config["seeds"],
        rounds=config["rounds"],
        batch_size=config["batch_size"],
        initial=config["initial"],
    )
    return curves, loaded_before


def test_table_has_every_strategy(bench, smoke):
    curves, _ = smoke
    rows = bench.summarize(curves)
    table = bench.markdown_table(rows)
    assert {r.strategy for r in rows} == set(bench.SMOKE["strategies"])
    for name in bench.SMOKE["strategies"]:
        assert f"| {name} |" in table
    for row in rows:
        assert row.n_seeds == len(bench.SMOKE["seeds"])
        assert 0.0 <= row.aulc_accuracy[0] <= 1.0
        assert 0.0 <= row.aulc_macro_f1[0] <= 1.0


def test_curves_have_one_point_per_round(bench, smoke):
    curves, _ = smoke
    config = bench.SMOKE
    n_points = config["rounds"] + 1
    expected = [config["initial"] + i * config["batch_size"] for i in range(n_points)]
    n_strategies, n_seeds = len(config["strategies"]), len(config["seeds"])
    assert len(curves) == n_strategies * n_seeds
    for curve in curves:
        assert curve.n_labeled == expected
        assert len(curve.accuracy) == len(curve.macro_f1) == n_points
        assert len(curve.select_seconds) == config["rounds"]
        picked = [i for batch in curve.picks for i in batch]
        assert len(picked) == len(set(picked)) == expected[-1]


def test_peer_libraries_not_imported_when_unused(smoke):
    _, loaded_before = smoke
    for name in PEER_MODULES:
        assert name in loaded_before or name not in sys.modules, name


def _random_curve(bench, split, seed):
    strategy = bench.build_strategy("random")
    return bench.run_strategy(
        strategy,
        split,
        dataset="digits",
        seed=seed,
        n_initial=bench.SMOKE["initial"],
        batch_size=bench.SMOKE["batch_size"],
        rounds=bench.SMOKE["rounds"],
    )


def test_random_baseline_is_seeded(bench):
    datasets = importlib.import_module("benchmarks._al_datasets")
    split = datasets.make_split(datasets.load_dataset("digits"), 0)
    first = _random_curve(bench, split, seed=0)
    again = _random_curve(bench, split, seed=0)
    other = _random_curve(bench, split, seed=1)
    assert first.picks == again.picks
    assert first.accuracy == again.accuracy
    assert first.macro_f1 == again.macro_f1
    assert first.picks[0] != other.picks[0]
    assert first.picks[1:] != other.picks[1:]


def test_aulc_is_the_mean_height_of_the_curve(bench):
    assert bench.aulc([10, 20, 30], [0.5, 0.5, 0.5]) == pytest.approx(0.5)
    assert bench.aulc([0, 10, 30], [0.0, 1.0, 1.0]) == pytest.approx(25 / 30)


def test_long_tail_counts_follow_the_imbalance_ratio():
    datasets = importlib.import_module("benchmarks._al_datasets")
    counts = datasets.long_tail_counts(350, 10, 50.0)
    assert counts[0] == 350 and counts[-1] == 7
    assert np.all(np.diff(counts) < 0)


def test_command_line_smoke_writes_table_and_plot(bench, tmp_path):
    assert bench.main(["--smoke", "--out", str(tmp_path)]) == 0
    table = (tmp_path / "active_learning.md").read_text(encoding="utf-8")
    assert "| random |" in table
    assert (tmp_path / "al_digits.png").stat().st_size > 0
