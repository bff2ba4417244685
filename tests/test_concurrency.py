"""Two seedselect calls at the same time on one dataset, in two processes.

Both processes are forked by one worker and released together; each sleeps
briefly after every database write so that their calls overlap. Different run
keys both complete with their own tags and fields; the same run key (or the
same hardness field) lets one call complete and fails the other with a clear
RunError, and the dataset then holds exactly the winner's result.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytest.importorskip("fiftyone")

import _reliability_worker as worker  # noqa: E402

from seedselect.fo._runs import list_seedselect_runs  # noqa: E402

# Seconds each child sleeps after each of its writes: long enough that the
# other call starts while this one still writes (about 15 writes per call).
DELAY = 0.15

SELECT_FIELDS = ["a_rank", "a_reason", "b_rank", "b_reason", "s_rank", "s_reason"]
HARDNESS_FIELDS = ["hardness"]


@pytest.fixture(scope="module")
def pair_worker():
    w = worker.Worker()
    yield w
    w.close()


def _name() -> str:
    return f"seedselect-concurrency-{uuid.uuid4().hex[:10]}"


def _reference(call: str, kwargs: dict[str, Any], fields: list[str]) -> Any:
    """The state one call leaves when it runs alone, on a twin dataset."""
    twin = worker.build(_name())
    try:
        worker.call_by_name(twin, call, dict(kwargs))
        return worker.sample_state(twin, fields)
    finally:
        twin.delete()


def _run_pair(pair_worker, call, kwargs_pair, tmp_path):
    dataset = worker.build(_name())
    children = [
        {"dataset": dataset.name, "call": call, "kwargs": kwargs, "delay": DELAY}
        for kwargs in kwargs_pair
    ]
    results = pair_worker.run(children, tmp_path)
    return dataset, [r["outcome"] for r in results]


def test_selections_under_different_run_keys_both_complete(pair_worker, tmp_path):
    pair = [
        {"n_select": 6, "run_key": "a", "random_state": 1},
        {"n_select": 7, "run_key": "b", "random_state": 2, "label_field": "gt"},
    ]
    dataset, outcomes = _run_pair(pair_worker, "select_seeds", pair, tmp_path)
    try:
        assert all(o["ok"] for o in outcomes), outcomes
        state = worker.sample_state(dataset, SELECT_FIELDS)
        dataset.reload()
        counts = dataset.count_sample_tags()
        assert counts == {"a": 6, "b": 7}
        for kwargs in pair:
            key = kwargs["run_key"]
            fields = [f"{key}_rank", f"{key}_reason"]
            alone = _reference("select_seeds", kwargs, fields)
            mine = {
                path: {f: v for f, v in values.items() if f in alone[path]}
                for path, values in state.items()
            }
            assert mine == alone
            tagged = dataset.match_tags(key).values("filepath")
            ranked = [p for p, v in state.items() if v[f"{key}_rank"] is not None]
            assert sorted(tagged) == sorted(ranked)
        runs = {r["key"]: r["status"] for r in list_seedselect_runs(dataset)}
        assert runs == {"a": "complete", "b": "complete"}
        assert sorted(dataset.list_saved_views()) == ["a", "b"]
    finally:
        dataset.delete()


@pytest.mark.parametrize(
    ("call", "pair", "fields"),
    [
        (
            "select_seeds",
            [
                {"n_select": 6, "run_key": "s", "random_state": 1},
                {"n_select": 9, "run_key": "s", "random_state": 2, "label_field": "gt"},
            ],
            SELECT_FIELDS,
        ),
        (
            "compute_hardness",
            [{"method": "entropy"}, {"method": "margin", "chunk_size": 7}],
            HARDNESS_FIELDS,
        ),
        (
            "compute_hardness",
            [
                {"method": "entropy", "run_key": "h1"},
                {"method": "margin", "run_key": "h2", "overwrite": True},
            ],
            HARDNESS_FIELDS,
        ),
    ],
    ids=["select-same-key", "hardness-same-key", "hardness-same-field"],
)
def test_same_target_one_completes_the_other_fails_clearly(
    pair_worker, call, pair, fields, tmp_path
):
    dataset, outcomes = _run_pair(pair_worker, call, pair, tmp_path)
    try:
        ok = [o["ok"] for o in outcomes]
        assert sorted(ok) == [False, True], outcomes
        loser = outcomes[ok.index(False)]
        assert loser["error"] == "RunError", loser
        assert "another seedselect call" in loser["message"]
        assert "wait for it to finish" in loser["message"]

        # The dataset holds exactly the winner's result, never a mix.
        winner = pair[ok.index(True)]
        state = worker.sample_state(dataset, fields)
        assert state == _reference(call, winner, fields)
        runs = list_seedselect_runs(dataset)
        assert [r["status"] for r in runs] == ["complete"]
    finally:
        dataset.delete()
