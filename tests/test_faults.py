"""SIGKILL in the middle of compute_hardness, select_seeds and expand_seeds.

Each call runs in a real process of its own on the shared embedded database and
is killed right after its N-th database write, for kill points spread from the
first write to the last. After each kill, every field seedselect writes holds,
on every sample, its value from before the call or from the call, the run is
not recorded as complete unless all its writes happened, the run listing says
it is incomplete, and rerunning the call gives exactly what an uninterrupted run
gives on a twin dataset.
"""

from __future__ import annotations

import signal
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("fiftyone")

import _reliability_worker as worker  # noqa: E402
import fiftyone.core.odm as foo  # noqa: E402

from seedselect.fo._runs import LOCK_COLLECTION, list_seedselect_runs  # noqa: E402

# Kill points per scenario; 3 scenarios give 24 points in all.
N_KILL_POINTS = 8


@pytest.fixture(scope="module")
def fault_worker():
    w = worker.Worker()
    yield w
    w.close()


def _name(tag: str) -> str:
    return f"seedselect-faults-{tag}-{uuid.uuid4().hex[:10]}"


def run_state(dataset: Any) -> dict[str, Any]:
    """Run statuses and saved views (as filepaths), the non-sample state."""
    dataset.reload()
    runs = {r["key"]: (r["type"], r["status"]) for r in list_seedselect_runs(dataset)}
    views = {
        name: dataset.load_saved_view(name).values("filepath")
        for name in dataset.list_saved_views()
    }
    return {"runs": runs, "views": views}


def _reference(name: str) -> dict[str, Any]:
    """Before and after states of an uninterrupted call on a twin dataset."""
    spec = worker.SCENARIOS[name]
    twin = worker.build(_name(name + "-twin"))
    try:
        spec["before"](twin)
        before = worker.sample_state(twin, spec["fields"])
        before_runs = run_state(twin)
        spec["call"](twin)
        after = worker.sample_state(twin, spec["fields"])
        after_runs = run_state(twin)
    finally:
        twin.delete()
    assert before != after, "the call must change something to test"
    return {
        "before": before,
        "after": after,
        "before_runs": before_runs,
        "after_runs": after_runs,
    }


def _count_writes(fault_worker: worker.Worker, name: str, tmp_path: Path) -> int:
    dataset = worker.build(_name(name + "-count"))
    try:
        worker.SCENARIOS[name]["before"](dataset)
        [result] = fault_worker.run([{"dataset": dataset.name, "call": name}], tmp_path)
    finally:
        dataset.delete()
    assert result["outcome"]["ok"], result["outcome"]
    return int(result["outcome"]["writes"])


def _check_after_kill(
    dataset: Any, name: str, ref: dict[str, Any], kill_after: int
) -> None:
    spec = worker.SCENARIOS[name]
    key = spec["key"]
    state = worker.sample_state(dataset, spec["fields"])
    where = f"{name}, killed after write {kill_after}"

    # Every value is the one from before the call or the one from the call.
    for path, values in state.items():
        for field, value in values.items():
            allowed = (ref["before"][path][field], ref["after"][path][field])
            assert value in allowed, f"{where}: {path} {field}={value!r}"

    # No run is complete unless its writes are all there.
    runs = {r["key"]: r for r in list_seedselect_runs(dataset)}
    for other, (_run_type, status) in ref["before_runs"]["runs"].items():
        if other != key:
            assert runs[other]["status"] == status == "complete", where
    record = runs.get(key)
    assert record is not None, where
    if record["complete"]:
        assert state in (ref["before"], ref["after"]), where
        assert record["status"] == "complete", where
    else:
        assert record["status"] == "running", where
        assert record["finished_at"] is None, where
    if state not in (ref["before"], ref["after"]):
        assert not record["complete"], where


@pytest.mark.parametrize("name", ["hardness", "select", "expand"])
def test_killed_call_leaves_old_or_new_values_and_rerun_completes(
    fault_worker, name, tmp_path
):
    ref = _reference(name)
    n_writes = _count_writes(fault_worker, name, tmp_path)
    assert n_writes >= N_KILL_POINTS + 1
    kill_points = np.unique(np.linspace(1, n_writes - 1, N_KILL_POINTS).round())
    assert kill_points.size == N_KILL_POINTS

    for kill_after in kill_points.astype(int).tolist():
        dataset = worker.build(_name(f"{name}-{kill_after}"))
        try:
            worker.SCENARIOS[name]["before"](dataset)
            [result] = fault_worker.run(
                [{"dataset": dataset.name, "call": name, "kill_after": kill_after}],
                tmp_path,
            )
            assert result["signal"] == signal.SIGKILL, result
            _check_after_kill(dataset, name, ref, kill_after)

            # The same call again completes, with an uninterrupted run's result.
            worker.SCENARIOS[name]["call"](dataset)
            assert (
                worker.sample_state(dataset, worker.SCENARIOS[name]["fields"])
                == (ref["after"])
            )
            assert run_state(dataset) == ref["after_runs"]
            locks = foo.get_db_conn()[LOCK_COLLECTION]
            prefix = f"^{dataset._doc.id}:"
            assert locks.count_documents({"_id": {"$regex": prefix}}) == 0
        finally:
            dataset.delete()
