"""Time seedselect's compute_hardness against FiftyOne Brain and a bare pass.

Builds a dataset of random logits (10 classes by default) in FiftyOne's
database, then times, in the same run and on the same data:

- ``seedselect``: :func:`seedselect.compute_hardness` (checks, reads, scores,
  writes and records the run), after deleting the previous run (untimed);
- ``seedselect rerun``: the same call again under the same key, which first
  deletes the previous run's field;
- ``bare pass``: one ``values()`` read of the logits, a vectorized entropy and
  one ``set_values()`` write, the least any implementation has to do;
- ``fiftyone.brain``: :func:`fiftyone.brain.compute_hardness`.

It checks that the three write the same values and prints the ratios against
the targets (at least 15x faster than Brain, within 1.5x of the bare pass).

Usage::

    python benchmarks/bench_hardness.py                 # 20,000 x 10, 3 repeats
    python benchmarks/bench_hardness.py --n-samples 2000 --repeats 1
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import fiftyone as fo
import fiftyone.brain as fob
import numpy as np
from scipy.special import softmax
from scipy.stats import entropy

from seedselect.fo import compute_hardness

# Targets from the issue that introduced compute_hardness.
TARGET_VS_BRAIN = 15.0
TARGET_VS_BARE = 1.5


def build_dataset(n_samples: int, n_classes: int, seed: int) -> fo.Dataset:
    """A non-persistent dataset with one Classification with logits per sample."""
    rng = np.random.default_rng(seed)
    dataset = fo.Dataset()
    dataset.add_samples(
        [fo.Sample(filepath=f"/bench/{i:06d}.png") for i in range(n_samples)],
        progress=False,
    )
    # Scale logits so that confidences spread from near-uniform to near-certain.
    scale = rng.uniform(0.1, 5.0, size=(n_samples, 1))
    logits = rng.normal(size=(n_samples, n_classes)) * scale
    labels = [str(k) for k in range(n_classes)]
    dataset.set_values(
        "predictions",
        [
            fo.Classification(label=labels[int(row.argmax())], logits=row)
            for row in logits
        ],
    )
    return dataset


def bare_pass(dataset: fo.Dataset) -> None:
    """One values() read, a vectorized entropy, one set_values() write."""
    logits = np.stack(dataset.values("predictions.logits"))
    scores = entropy(softmax(logits, axis=1), axis=1)
    dataset.set_values("bare_hardness", scores.tolist())


def timed(call: Callable[[], object]) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--n-classes", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method")
    parser.add_argument(
        "--brain-repeats",
        type=int,
        default=None,
        help="timed runs of fiftyone.brain (slow); default: --repeats",
    )
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    brain_repeats = args.repeats if args.brain_repeats is None else args.brain_repeats
    fo.config.show_progress_bars = False

    print(f"Building {args.n_samples:,} samples x {args.n_classes} classes ...")
    start = time.perf_counter()
    dataset = build_dataset(args.n_samples, args.n_classes, args.seed)
    print(f"  built in {time.perf_counter() - start:.1f} s")

    def seedselect() -> None:
        compute_hardness(
            dataset,
            "predictions",
            "ss_hardness",
            chunk_size=args.chunk_size,
            progress=False,
        )

    def brain() -> None:
        fob.compute_hardness(dataset, "predictions", "brain_hardness", progress=False)

    # Rounds interleave the methods, so that background work of the database
    # (such as checkpoints after the build) does not land on one method only.
    timings: dict[str, list[float]] = {
        "seedselect": [],
        "seedselect rerun": [],
        "bare pass": [],
        "fiftyone.brain": [],
    }
    try:
        for round_ in range(max(args.repeats, brain_repeats)):
            print(f"  round {round_ + 1} ...")
            if round_ < args.repeats:
                if dataset.has_run("ss_hardness"):
                    dataset.delete_run("ss_hardness")  # untimed: a fresh run
                timings["seedselect"].append(timed(seedselect))
                timings["seedselect rerun"].append(timed(seedselect))
                timings["bare pass"].append(timed(lambda: bare_pass(dataset)))
            if round_ < brain_repeats:
                timings["fiftyone.brain"].append(timed(brain))

        ours = np.array(dataset.values("ss_hardness"), dtype=float)
        diff_brain = np.abs(ours - np.array(dataset.values("brain_hardness"))).max()
        diff_bare = np.abs(ours - np.array(dataset.values("bare_hardness"))).max()
    finally:
        dataset.delete()

    medians = {name: statistics.median(t) for name, t in timings.items()}
    reference = medians["seedselect"]
    print(f"\n{'method':<18} {'median s':>9} {'best s':>8} {'x seedselect':>13}")
    for name, seconds in timings.items():
        print(
            f"{name:<18} {medians[name]:>9.3f} {min(seconds):>8.3f} "
            f"{medians[name] / reference:>13.2f}"
        )

    vs_brain = medians["fiftyone.brain"] / reference
    vs_bare = reference / medians["bare pass"]
    print(f"\nmax |seedselect - brain| = {diff_brain:.2e}")
    print(f"max |seedselect - bare|  = {diff_bare:.2e}")
    met_brain = "met" if vs_brain >= TARGET_VS_BRAIN else "MISSED"
    met_bare = "met" if vs_bare <= TARGET_VS_BARE else "MISSED"
    print(
        f"speed-up over fiftyone.brain: {vs_brain:.1f}x "
        f"(target >= {TARGET_VS_BRAIN:g}x: {met_brain})"
    )
    print(
        f"time relative to bare pass:   {vs_bare:.2f}x "
        f"(target <= {TARGET_VS_BARE:g}x: {met_bare})"
    )
    agree = diff_brain <= 1e-9 and diff_bare <= 1e-9
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
