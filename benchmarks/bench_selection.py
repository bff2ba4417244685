"""Benchmark of seedselect's selection layer.

Two modes:

``compare``
    On one pool (Gaussian blobs, float32), with the same labeled seed set, time
    seedselect's greedy k-center against scikit-activeml's ``CoreSet``, modAL's
    ``uncertainty_batch_sampling`` and small-text's ``greedy_coreset``, and report
    seconds, the ratio of each peer's time to seedselect's, and the coverage radius
    (the largest distance from any pool point to its nearest chosen or labeled
    point, measured with scikit-learn's ``pairwise_distances_argmin_min``).

``memory``
    In a fresh subprocess, build a large float32 pool (1,000,000 x 512 by
    default), then run ``select_batch`` with a hardness gate, class balancing and
    k-center diversity, and report the time, the peak memory allocated during the
    selection (tracemalloc) and the peak resident set size of the process
    (``resource.getrusage``), next to the size of the pool itself and the time of
    one plain pass over it.

Run from the repository root::

    python benchmarks/bench_selection.py compare
    python benchmarks/bench_selection.py memory
    python benchmarks/bench_selection.py compare --quick   # small sizes, seconds
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.datasets import make_blobs
from sklearn.metrics import pairwise_distances_argmin_min
from threadpoolctl import threadpool_limits

from seedselect.selection import kcenter_greedy, select_batch

logger = logging.getLogger("bench_selection")

# Sizes the issue sets as targets, and small ones for --quick.
FULL_COMPARE = {"n": 20_000, "dim": 256, "n_select": 200}
QUICK_COMPARE = {"n": 3_000, "dim": 64, "n_select": 50}
FULL_MEMORY = {"n": 1_000_000, "dim": 512, "n_select": 1_000}
QUICK_MEMORY = {"n": 100_000, "dim": 128, "n_select": 200}

# Pool structure: blobs stand in for class structure in real embeddings.
N_BLOBS = 20
N_LABELED = 10
N_CLASSES = 10
# Rows generated at a time when building the large pool, so that no float64 copy
# of the whole matrix is ever made.
BUILD_ROWS = 50_000


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[Any, float]:
    """Result of ``fn`` and its best wall-clock time over ``repeat`` runs."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def radius_of(X: np.ndarray, chosen: np.ndarray, labeled: np.ndarray) -> float:
    """Coverage radius, measured independently of seedselect's own code."""
    centres = X[np.concatenate([labeled, chosen])]
    _, nearest = pairwise_distances_argmin_min(X, centres)
    return float(nearest.max())


def make_pool(n: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_blobs(
        n_samples=n, n_features=dim, centers=N_BLOBS, cluster_std=4.0, random_state=seed
    )
    return X.astype(np.float32), y


def compare(args: argparse.Namespace) -> None:
    sizes = QUICK_COMPARE if args.quick else FULL_COMPARE
    n = args.n or sizes["n"]
    dim = args.dim or sizes["dim"]
    n_select = args.n_select or sizes["n_select"]
    X, y = make_pool(n, dim, args.seed)
    # The labeled seed set is the last rows (make_blobs shuffles), which also keeps
    # small-text's greedy_coreset indices aligned with the pool's.
    labeled = np.arange(n - N_LABELED, n)
    unlabeled = np.arange(n - N_LABELED)
    print(
        f"pool {n} x {dim} float32, {N_BLOBS} blobs, {N_LABELED} labeled, "
        f"choosing {n_select}; BLAS threads: {args.threads or 'default'}; "
        f"seedselect and CoreSet best of {args.repeat}, others one run"
    )

    rows: list[tuple[str, float, float, int | None]] = []

    chosen, seconds = timed(
        lambda: kcenter_greedy(X, n_select, covered=labeled), args.repeat
    )
    rows.append(
        ("seedselect kcenter_greedy", seconds, radius_of(X, chosen, labeled), None)
    )
    ours = seconds
    ours_set = set(chosen.tolist())

    # The full entry point: hardness scores from a classifier, k-center diversity.
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression(max_iter=200).fit(X[labeled], y[labeled])
    hardness = 1.0 - classifier.predict_proba(X).max(axis=1)
    result, seconds = timed(
        lambda: select_batch(
            n_select,
            scores=hardness,
            embeddings=X,
            exclude=labeled,
            diversity="kcenter",
            random_state=args.seed,
        ),
        args.repeat,
    )
    rows.append(
        (
            "seedselect select_batch",
            seconds,
            radius_of(X, result.indices, labeled),
            None,
        )
    )

    if "skactiveml" not in args.skip:
        from skactiveml.pool import CoreSet

        y_partial = np.full(n, np.nan)
        y_partial[labeled] = y[labeled]
        chosen, seconds = timed(
            lambda: CoreSet(random_state=args.seed).query(
                X, y_partial, batch_size=n_select
            ),
            args.repeat,
        )
        same = len(ours_set & set(chosen.tolist()))
        rows.append(
            ("scikit-activeml CoreSet", seconds, radius_of(X, chosen, labeled), same)
        )

    if "modal" not in args.skip:
        from modAL.batch import uncertainty_batch_sampling
        from modAL.models import ActiveLearner

        def run_modal() -> np.ndarray:
            learner = ActiveLearner(
                estimator=LogisticRegression(max_iter=200),
                X_training=X[labeled],
                y_training=y[labeled],
            )
            picked, _ = uncertainty_batch_sampling(
                learner, X[unlabeled], n_instances=n_select
            )
            return unlabeled[np.asarray(picked)]

        chosen, seconds = timed(run_modal)
        same = len(ours_set & set(chosen.tolist()))
        rows.append(
            (
                "modAL uncertainty_batch_sampling",
                seconds,
                radius_of(X, chosen, labeled),
                same,
            )
        )

    if "small-text" not in args.skip:
        from small_text.query_strategies.coresets import greedy_coreset

        chosen, seconds = timed(
            lambda: greedy_coreset(
                X, unlabeled, labeled, n_select, distance_metric="euclidean"
            )
        )
        chosen = unlabeled[np.asarray(chosen, dtype=np.int64)]
        same = len(ours_set & set(chosen.tolist()))
        rows.append(
            ("small-text greedy_coreset", seconds, radius_of(X, chosen, labeled), same)
        )

    print(
        f"{'method':<34}{'seconds':>10}{'time / ours':>13}{'radius':>10}"
        f"{'same picks':>12}"
    )
    for name, seconds, radius, same in rows:
        ratio = seconds / ours
        print(
            f"{name:<34}{seconds:>10.3f}{ratio:>12.1f}x{radius:>10.3f}"
            f"{'' if same is None else same:>12}"
        )


def memory(args: argparse.Namespace) -> None:
    sizes = QUICK_MEMORY if args.quick else FULL_MEMORY
    child = {
        "n": args.n or sizes["n"],
        "dim": args.dim or sizes["dim"],
        "n_select": args.n_select or sizes["n_select"],
        "top_fraction": args.top_fraction,
        "diversity": args.diversity,
        "seed": args.seed,
        "threads": args.threads,
    }
    out = subprocess.run(
        [sys.executable, __file__, "_memory_child", json.dumps(child)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    gib = 1024.0**3
    pool_gib = report["pool_bytes"] / gib
    print(
        f"pool {report['n']} x {report['dim']} float32 ({pool_gib:.2f} GiB), "
        f"top_fraction={report['top_fraction']} -> {report['n_candidates']} "
        f"candidates, {report['n_excluded']} excluded, balance='equal' over "
        f"{N_CLASSES} classes, diversity={report['diversity']!r}, choosing "
        f"{report['n_select']}; BLAS threads: {report['threads'] or 'default'}"
    )
    print(f"selection time                     {report['seconds']:>9.2f} s")
    print(
        f"one plain pass over the pool       {report['plain_pass_seconds']:>9.2f} s"
        f"   (selection = {report['seconds'] / report['plain_pass_seconds']:.1f} "
        "passes)"
    )
    print(
        f"peak allocated during selection    {report['traced_peak'] / gib:>9.3f} GiB"
        f"   ({report['traced_peak'] / report['pool_bytes']:.3f} x the pool)"
    )
    print(
        f"process peak RSS (pool included)   {report['peak_rss'] / gib:>9.3f} GiB"
        f"   (RSS with the pool built: {report['rss_before'] / gib:.3f} GiB)"
    )
    candidate_pairs = float(report["n_candidates"]) ** 2 * 4 / gib
    pool_pairs = float(report["n"]) ** 2 * 4 / gib
    print(
        f"an all-pairs float32 matrix would take {candidate_pairs:.2f} GiB for the "
        f"candidates, {pool_pairs:.0f} GiB for the pool"
    )
    print(f"chosen per class: {report['chosen_per_class']}")


def _memory_child(spec: dict[str, Any]) -> None:
    n, dim, seed = spec["n"], spec["dim"], spec["seed"]
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(N_BLOBS, dim)).astype(np.float32)
    blob = rng.integers(0, N_BLOBS, size=n)
    X = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, BUILD_ROWS):
        stop = min(start + BUILD_ROWS, n)
        X[start:stop] = centres[blob[start:stop]]
        X[start:stop] += rng.standard_normal((stop - start, dim), dtype=np.float32)
    # Imbalanced classes (a geometric profile) and hardness scores.
    weights = 0.6 ** np.arange(N_CLASSES)
    labels = rng.choice(N_CLASSES, size=n, p=weights / weights.sum())
    scores = rng.beta(2.0, 5.0, size=n)
    exclude = rng.choice(n, size=max(1, n // 200), replace=False)

    limits = threadpool_limits(spec["threads"]) if spec["threads"] else None
    _, plain = timed(lambda: np.einsum("ij,ij->i", X, X))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    result, seconds = timed(
        lambda: select_batch(
            spec["n_select"],
            scores=scores,
            embeddings=X,
            labels=labels,
            exclude=exclude,
            top_fraction=spec["top_fraction"],
            balance="equal",
            diversity=spec["diversity"],
            random_state=seed,
        )
    )
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if limits is not None:
        limits.restore_original_limits()
    table = result.class_table
    report = {
        "n": n,
        "dim": dim,
        "n_select": spec["n_select"],
        "top_fraction": spec["top_fraction"],
        "diversity": spec["diversity"],
        "threads": spec["threads"],
        "n_candidates": result.config["n_candidates"],
        "n_excluded": result.config["n_excluded"],
        "pool_bytes": X.nbytes,
        "seconds": seconds,
        "plain_pass_seconds": plain,
        "traced_peak": traced_peak,
        "rss_before": rss_before,
        "peak_rss": peak_rss,
        "chosen_per_class": dict(
            zip(map(str, table["class"]), map(int, table["chosen"]), strict=True)
        ),
    }
    print(json.dumps(report))


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_memory_child":
        _memory_child(json.loads(argv[1]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="example: python benchmarks/bench_selection.py compare --quick",
    )
    parser.add_argument("mode", choices=["compare", "memory"])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--n", type=int, help="pool size")
    parser.add_argument("--dim", type=int, help="embedding dimension")
    parser.add_argument("--n-select", type=int, help="samples to choose")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        help="limit BLAS threads for every method (default: the library default)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of seedselect and CoreSet; the best time counts (default 3)",
    )
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["skactiveml", "modal", "small-text"],
        help="peers to leave out (compare mode)",
    )
    parser.add_argument(
        "--top-fraction",
        type=float,
        default=0.02,
        help="hardness gate of the memory run (default 0.02 of the pool)",
    )
    parser.add_argument(
        "--diversity",
        default="kcenter",
        choices=["kcenter", "dedup", "cluster", "weighted"],
        help="diversity rule of the memory run",
    )
    args = parser.parse_args(argv)
    if args.diversity == "dedup":
        parser.error(
            "--diversity dedup needs a radius; use kcenter, cluster or weighted"
        )
    # Peers warn about their own defaults (e.g. small-text's metric change).
    warnings.simplefilter("ignore", FutureWarning)
    if args.mode == "memory":
        memory(args)
    elif args.threads:
        with threadpool_limits(args.threads):
            compare(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
