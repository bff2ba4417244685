"""A selection that stops halfway: what it leaves, and how a rerun or undo repairs it.

The write phases are broken on purpose (an exception raised inside one of them);
after each break every sample's fields hold either the earlier run's values or the
new run's, the run is recorded as running, and the same call again gives exactly
what a twin dataset gets from an uninterrupted run.
"""

from __future__ import annotations

import logging
import subprocess
import sys

import fiftyone as fo
import fiftyone.core.odm as foo
import pytest
from test_select_seeds_support import image_dataset

from seedselect import RunError
from seedselect.fo import _selection_runs
from seedselect.fo._manifest import selection_manifest
from seedselect.fo._select import select_seeds
from seedselect.fo._selection_runs import (
    LOCK_COLLECTION,
    STATUS_RUNNING,
    get_selection_config,
    undo_selection,
)

FIRST = {"n_select": 5, "random_state": 0, "progress": False}
SECOND = {
    "n_select": 8,
    "embeddings_field": "emb",
    "diversity": "kcenter",
    "random_state": 1,
    "tag": "batch",
    "saved_view_name": "batch view",
    "progress": False,
}


class Interrupted(Exception):
    pass


def _state(dataset) -> dict:
    """Tags, fields, saved views and run results, keyed by filepath."""
    paths, tags, ranks, reasons = dataset.values(
        ["filepath", "tags", "seeds_rank", "seeds_reason"]
    )
    by_path = dict(zip(dataset.values("id"), paths, strict=True))
    results = dataset.load_run_results("seeds", cache=False)
    return {
        "samples": sorted(zip(paths, tags, ranks, reasons, strict=True)),
        "views": {
            name: dataset.load_saved_view(name).values("filepath")
            for name in dataset.list_saved_views()
        },
        "chosen": [by_path[i] for i in results.ids],
        "reasons": results.reasons,
        "status": dataset.get_run_info("seeds").config.status,
    }


def _break(monkeypatch, phase: str) -> None:
    def boom(*args, **kwargs):
        raise Interrupted(phase)

    if phase == "save_view":
        monkeypatch.setattr(fo.Dataset, "save_view", boom)
    elif phase == "finish":
        monkeypatch.setattr(_selection_runs.fors.Run, "update_run_config", boom)
    else:
        monkeypatch.setattr(_selection_runs, phase, boom)


@pytest.mark.parametrize(
    "phase", ["_write_columns", "_clear_others", "_retag", "save_view", "finish"]
)
def test_rerun_after_an_interruption_equals_an_uninterrupted_run(
    make_dataset, monkeypatch, phase
):
    broken = image_dataset(make_dataset, 30, seed=7)
    twin = image_dataset(make_dataset, 30, seed=7)
    for dataset in (broken, twin):
        select_seeds(dataset, **FIRST)
    earlier = dict(
        zip(broken.values("filepath"), broken.values("seeds_rank"), strict=True)
    )
    select_seeds(twin, **SECOND)
    final = dict(zip(twin.values("filepath"), twin.values("seeds_rank"), strict=True))

    _break(monkeypatch, phase)
    with pytest.raises(Interrupted):
        select_seeds(broken, **SECOND)
    monkeypatch.undo()

    # Each sample holds the earlier value or the new one, and the run says so.
    for path, rank in zip(
        broken.values("filepath"), broken.values("seeds_rank"), strict=True
    ):
        assert rank in (earlier[path], final[path])
    assert broken.get_run_info("seeds").config.status == STATUS_RUNNING
    with pytest.raises(RunError, match="running"):
        selection_manifest(broken, "seeds")

    select_seeds(broken, **SECOND)
    assert _state(broken) == _state(twin)


def test_undo_of_an_interrupted_run_removes_both_runs_traces(make_dataset, monkeypatch):
    dataset = image_dataset(make_dataset, 20)
    select_seeds(dataset, **FIRST)
    _break(monkeypatch, "save_view")
    with pytest.raises(Interrupted):
        select_seeds(dataset, **SECOND)
    monkeypatch.undo()
    config = get_selection_config(dataset, "seeds", require_complete=False)
    assert {t["tag"] for t in config.owned_tags()} == {"batch", "seeds"}

    undo_selection(dataset, "seeds")
    assert dataset.count_sample_tags() == {}
    assert dataset.list_saved_views() == []
    assert dataset.list_runs() == []
    assert not dataset.has_field("seeds_rank")
    assert not dataset.has_field("seeds_reason")


def test_a_lock_left_by_a_dead_process_is_taken_over(make_dataset, caplog):
    dataset = image_dataset(make_dataset, 10)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    locks = foo.get_db_conn()[LOCK_COLLECTION]
    lock_id = f"{dataset._doc.id}:run:seeds"
    locks.insert_one({"_id": lock_id, "token": "t", "host": _host(), "pid": dead.pid})

    with caplog.at_level(logging.WARNING, logger="seedselect"):
        view = select_seeds(dataset, 3, progress=False)
    assert view.count() == 3
    assert "no longer runs" in caplog.text
    assert locks.count_documents({"_id": lock_id}) == 0


def _host() -> str:
    import socket

    return socket.gethostname()
