"""Peak memory of compute_hardness and select_seeds on large datasets.

For each size in ``--sizes`` the benchmark builds a dataset of that many image
samples (a 10-class prediction with logits and a hardness each; documents are
inserted in bulk, which takes a few seconds per 100,000 samples), then measures
in a fresh Python process per measurement:

- ``baseline``: the process with FiftyOne imported and the dataset loaded, and
  nothing else (what any call pays before it starts);
- ``plain values()``: one ``values("predictions.logits")`` read of the whole
  field, as a script without chunking would hold it;
- ``compute_hardness``: entropy of the logits, written to a new field;
- ``select_seeds``: a batch of 1,000 chosen greedily by hardness.

Each measurement reports the peak of Python allocations during the call
(``tracemalloc``) and the growth of the process's peak resident set over the
baseline (``ru_maxrss``). Both are set against the arrays the call has to keep
for the whole collection: one float64 score and one 12-byte id per sample
(20 bytes per sample). A call whose memory does not grow with the dataset
beyond those arrays shows a constant ratio from one size to the next.

Usage::

    python benchmarks/bench_memory.py                        # 100,000 samples
    python benchmarks/bench_memory.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from typing import Any

# Bytes per sample of the arrays a call over the whole collection keeps: a
# float64 score and a 12-byte ObjectId.
RETURNED_BYTES_PER_SAMPLE = 8 + 12
N_CLASSES = 10
N_SELECT = 1000
INSERT_BATCH = 10_000
TARGETS = ("baseline", "plain values()", "compute_hardness", "select_seeds")


def _build(name: str, n_samples: int) -> None:
    """A dataset of ``n_samples`` images with logits, inserted in bulk."""
    import fiftyone as fo
    import fiftyone.core.utils as fou
    import numpy as np

    if fo.dataset_exists(name):
        fo.delete_dataset(name)
    dataset = fo.Dataset(name, persistent=True)
    rng = np.random.default_rng(0)
    dataset.add_sample(
        fo.Sample(
            filepath="/bench/0.png",
            predictions=fo.Classification(label="c0", logits=rng.normal(size=10)),
            hardness=0.0,
        )
    )
    template = dataset._sample_collection.find_one()
    dataset._sample_collection.delete_many({})
    from bson import ObjectId

    for start in range(0, n_samples, INSERT_BATCH):
        stop = min(start + INSERT_BATCH, n_samples)
        logits = rng.normal(size=(stop - start, N_CLASSES))
        docs = []
        for i in range(start, stop):
            doc = dict(template)
            doc["_id"] = ObjectId()
            doc["filepath"] = f"/bench/{i}.png"
            doc["hardness"] = float(rng.random())
            prediction = dict(template["predictions"])
            prediction["_id"] = ObjectId()
            prediction["label"] = f"c{i % N_CLASSES}"
            prediction["logits"] = fou.serialize_numpy_array(logits[i - start])
            doc["predictions"] = prediction
            docs.append(doc)
        dataset._sample_collection.insert_many(docs, ordered=False)


def _measure(name: str, target: str) -> dict[str, Any]:
    """Run one target in this process; return its memory figures."""
    import fiftyone as fo

    from seedselect.fo import compute_hardness, select_seeds

    dataset = fo.load_dataset(name)
    n_samples = dataset.count()
    before_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    started = time.perf_counter()
    if target == "plain values()":
        values = dataset.values("predictions.logits")
        assert len(values) == n_samples
        del values
    elif target == "compute_hardness":
        compute_hardness(
            dataset, "predictions", "bench_hardness", overwrite=True, progress=False
        )
    elif target == "select_seeds":
        view = select_seeds(
            dataset, N_SELECT, run_key="bench_seeds", random_state=0, progress=False
        )
        assert len(view) == N_SELECT
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    after_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    for key in ("bench_hardness", "bench_seeds"):
        if key in dataset.list_runs():
            dataset.delete_run(key)
    return {
        "n_samples": n_samples,
        "target": target,
        "seconds": round(seconds, 2),
        "tracemalloc_peak": peak,
        "baseline_rss": before_rss,
        "rss_growth": after_rss - before_rss,
    }


def _in_fresh_process(name: str, target: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, target],
        capture_output=True,
        text=True,
        check=True,
    )
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("@@")][-1]
    return dict(json.loads(line[2:]))


def _mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the datasets")
    args = parser.parse_args()
    if args.child:
        print("@@" + json.dumps(_measure(*args.child)), flush=True)
        return

    import fiftyone as fo

    os.environ.setdefault("FIFTYONE_DO_NOT_TRACK", "true")
    rows = []
    for n_samples in args.sizes:
        name = f"seedselect-bench-memory-{n_samples}"
        started = time.perf_counter()
        _build(name, n_samples)
        print(f"built {n_samples:,} samples in {time.perf_counter() - started:.0f} s")
        for target in TARGETS:
            rows.append(_in_fresh_process(name, target))
            print(json.dumps(rows[-1]), flush=True)
        if not args.keep:
            fo.delete_dataset(name)

    print()
    print(
        "n_samples  call                traced peak MiB  RSS growth MiB  "
        "returned arrays MiB  peak/returned  RSS/returned  seconds"
    )
    for row in rows:
        returned = row["n_samples"] * RETURNED_BYTES_PER_SAMPLE
        print(
            f"{row['n_samples']:>9,}  {row['target']:<18}  "
            f"{_mib(row['tracemalloc_peak'])}         {_mib(row['rss_growth'])}"
            f"        {_mib(returned)}         "
            f"{row['tracemalloc_peak'] / returned:8.2f}      "
            f"{row['rss_growth'] / returned:8.2f}  {row['seconds']:7.1f}"
        )
    baseline = {r["n_samples"]: r["baseline_rss"] for r in rows}
    for n_samples, rss in baseline.items():
        print(f"baseline RSS at {n_samples:,} samples: {_mib(rss).strip()} MiB")
    _print_growth(rows)


def _print_growth(rows: list[dict[str, Any]]) -> None:
    """Bytes per added sample between the smallest and the largest size.

    What a call holds whatever the size (imports, one chunk, the run record)
    cancels out; what is left is what grows with the dataset, set against the
    arrays of the collection (``RETURNED_BYTES_PER_SAMPLE``) and against one
    plain ``values()`` read measured in the same run.
    """
    sizes = sorted({r["n_samples"] for r in rows})
    if len(sizes) < 2:
        return
    small, large = sizes[0], sizes[-1]
    by_key = {(r["n_samples"], r["target"]): r for r in rows}
    slopes: dict[str, tuple[float, float]] = {}
    for target in TARGETS[1:]:
        a, b = by_key[(small, target)], by_key[(large, target)]
        added = large - small
        slopes[target] = (
            (b["tracemalloc_peak"] - a["tracemalloc_peak"]) / added,
            (b["rss_growth"] - a["rss_growth"]) / added,
        )
    plain = slopes["plain values()"]
    print()
    print(f"growth per added sample from {small:,} to {large:,} samples")
    print(
        "call                traced B/sample  RSS B/sample  traced / arrays  "
        "traced / plain values()  RSS / plain values()"
    )
    for target, (traced, rss) in slopes.items():
        print(
            f"{target:<18}  {traced:15.1f}  {rss:12.1f}  "
            f"{traced / RETURNED_BYTES_PER_SAMPLE:15.2f}  "
            f"{traced / plain[0]:23.3f}  {rss / plain[1]:20.3f}"
        )


if __name__ == "__main__":
    main()
