"""Time select_seeds and expand_seeds on a large dataset, and their database share.

Builds a dataset of ``--n-samples`` images with a hardness, a 10-class prediction and
a float32 embedding each, then times, in the same run and on the same data:

- ``select_seeds``: a class-balanced batch (greedy by hardness);
- ``select_seeds kcenter``: a diverse batch, k-center on the embeddings of the
  hardest ``--top-fraction`` of the pool;
- ``expand_seeds``: the neighbours of ``--n-seeds`` seeds across the whole pool
  (chunked exact search), with near-duplicate removal and class balance;
- ``bare select``: the least FiftyOne work for a batch (one ``values()`` read of
  the hardness, an argsort, ``set_values()`` of a rank and a reason, one
  ``tag_samples()``, one ``save_view()``), and ``bare expand``: one ``values()``
  read of all embeddings, one scikit-learn ``NearestNeighbors`` query and one
  ``tag_samples()``, which hold every embedding in memory at once.

Each seedselect call reports the seconds it spent reading from and writing to the
database (a DEBUG log record, collected here); the rest is computation and
checks. The report gives, per call, the wall time, the read, compute and write
phases, the share of database reads and writes, and the ratio to the bare pass.

Usage::

    python benchmarks/bench_workflow.py                      # 100,000 samples
    python benchmarks/bench_workflow.py --n-samples 5000     # a quick look
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any

import fiftyone as fo
import numpy as np
from sklearn.neighbors import NearestNeighbors

from seedselect.fo._expand import expand_seeds
from seedselect.fo._select import select_seeds

N_CLASSES = 10


class TimingCollector(logging.Handler):
    """Keeps the phase timings that seedselect logs at DEBUG level."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[dict[str, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        timings = getattr(record, "seedselect_timings", None)
        if timings is not None:
            self.records.append(dict(timings))


def build_dataset(n_samples: int, dim: int, seed: int) -> fo.Dataset:
    """A non-persistent dataset; classes are 10 clusters of the embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(N_CLASSES, dim))
    classes = rng.integers(0, N_CLASSES, size=n_samples)
    emb = (centres[classes] + rng.normal(size=(n_samples, dim))).astype(np.float32)
    hardness = rng.random(n_samples)
    dataset = fo.Dataset()
    batch = 10_000
    for start in range(0, n_samples, batch):
        stop = min(n_samples, start + batch)
        dataset.add_samples(
            [
                fo.Sample(
                    filepath=f"/bench/{i:07d}.png",
                    hardness=float(hardness[i]),
                    predictions=fo.Classification(label=f"c{classes[i]}"),
                    emb=emb[i],
                )
                for i in range(start, stop)
            ],
            progress=False,
        )
    return dataset


def bare_select(dataset: fo.Dataset, n_select: int) -> None:
    """Read hardness, rank, write rank and reason, tag and save a view."""
    ids, hardness = dataset.values(["id", "hardness"])
    order = np.argsort(-np.asarray(hardness), kind="stable")[:n_select]
    chosen = [ids[i] for i in order]
    dataset.set_values(
        "bare_rank",
        dict(zip(chosen, range(1, n_select + 1), strict=True)),
        key_field="id",
    )
    dataset.set_values(
        "bare_reason",
        {i: f"rank {r + 1}" for r, i in enumerate(chosen)},
        key_field="id",
    )
    view = dataset.select(chosen, ordered=True)
    view.tag_samples("bare")
    dataset.save_view("bare", view, overwrite=True)


def bare_expand(dataset: fo.Dataset, seed_ids: list[str], n_select: int) -> None:
    """All embeddings in memory, one scikit-learn query, one tag."""
    ids, emb = dataset.values(["id", "emb"])
    X = np.stack(emb)
    position = {i: k for k, i in enumerate(ids)}
    queries = X[[position[i] for i in seed_ids]]
    k = 4 * -(-n_select // len(seed_ids))
    _, neighbours = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(queries)
    chosen: list[str] = []
    seen = set(seed_ids)
    for column in neighbours.T:
        for j in column:
            if ids[j] not in seen and len(chosen) < n_select:
                seen.add(ids[j])
                chosen.append(ids[j])
    dataset.select(chosen).tag_samples("bare_expansion")


def timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = call()
    return time.perf_counter() - start, out


def row(name: str, wall: float, phases: dict[str, float] | None, bare: float) -> str:
    if phases is None:
        return f"| {name} | {wall:.2f} | | | | | 1.00 |"
    db = phases["read"] + phases["write"]
    return (
        f"| {name} | {wall:.2f} | {phases['read']:.2f} | {phases['compute']:.2f} | "
        f"{phases['write']:.2f} | {100 * db / wall:.0f}% | {wall / bare:.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=64, help="embedding dimension")
    parser.add_argument("--n-select", type=int, default=1000)
    parser.add_argument("--n-seeds", type=int, default=50)
    parser.add_argument("--n-expand", type=int, default=1000)
    parser.add_argument("--top-fraction", type=float, default=0.05)
    parser.add_argument("--radius", type=float, default=0.5)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    fo.config.show_progress_bars = False

    collector = TimingCollector()
    log = logging.getLogger("seedselect")
    log.setLevel(logging.DEBUG)
    log.addHandler(collector)

    print(f"Building {args.n_samples:,} samples x {args.dim}-d embeddings ...")
    start = time.perf_counter()
    dataset = build_dataset(args.n_samples, args.dim, args.seed)
    print(f"  built in {time.perf_counter() - start:.1f} s")
    try:
        results: list[tuple[str, float, dict[str, float] | None, float]] = []

        # The gate keeps at least four candidates per place on small datasets.
        top_fraction = min(
            1.0, max(args.top_fraction, 4 * args.n_select / len(dataset))
        )
        bare_sel, _ = timed(lambda: bare_select(dataset, args.n_select))
        results.append(("bare select", bare_sel, None, bare_sel))

        wall, view = timed(
            lambda: select_seeds(
                dataset,
                args.n_select,
                label_field="predictions",
                balance="equal",
                random_state=args.seed,
                chunk_size=args.chunk_size,
                progress=False,
            )
        )
        results.append(("select_seeds balanced", wall, collector.records[-1], bare_sel))

        wall, _ = timed(
            lambda: select_seeds(
                dataset,
                args.n_select,
                embeddings_field="emb",
                diversity="kcenter",
                top_fraction=top_fraction,
                run_key="diverse",
                tag="diverse",
                random_state=args.seed,
                chunk_size=args.chunk_size,
                progress=False,
            )
        )
        results.append(("select_seeds kcenter", wall, collector.records[-1], bare_sel))

        seeds = view.limit(args.n_seeds)
        seed_ids = seeds.values("id")
        pool = dataset.exclude(seed_ids)
        bare_exp, _ = timed(lambda: bare_expand(dataset, seed_ids, args.n_expand))
        results.append(("bare expand", bare_exp, None, bare_exp))
        wall, _ = timed(
            lambda: expand_seeds(
                seeds,
                pool,
                args.n_expand,
                embeddings_field="emb",
                radius=args.radius,
                label_field="predictions",
                chunk_size=args.chunk_size,
                progress=False,
            )
        )
        results.append(("expand_seeds", wall, collector.records[-1], bare_exp))
    finally:
        dataset.delete()

    print()
    print(
        f"{args.n_samples:,} samples, {args.dim}-d float32 embeddings, "
        f"n_select={args.n_select}, {args.n_seeds} seeds -> {args.n_expand}, "
        f"chunk_size={args.chunk_size}"
    )
    print()
    print("| call | wall s | read s | compute s | write s | DB share | vs bare |")
    print("|---|---|---|---|---|---|---|")
    for name, wall, phases, bare in results:
        print(row(name, wall, phases, bare))
    for name, _, phases, _ in results:
        if phases is not None:
            detail = ", ".join(
                f"{k[6:]} {v:.2f}" for k, v in phases.items() if k.startswith("write_")
            )
            print(f"  {name} writes: {detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
