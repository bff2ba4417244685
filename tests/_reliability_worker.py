"""Child processes for the reliability tests (faults and concurrency).

Run as ``python tests/_reliability_worker.py``: the process imports FiftyOne and
seedselect once, then reads one JSON request per line on stdin and answers each
with one line ``@@{json}`` on stdout. Each request forks fresh children that run
one seedselect call on a dataset of the shared test database, so every call runs
in a real process of its own without paying for the imports again.

A pymongo command listener counts the database writes of a child once its call
starts. With ``kill_after=N`` the child sends itself SIGKILL right after its N-th
write succeeded; with ``delay`` it sleeps that long after each write, which makes
two concurrent calls overlap.

Run as ``python tests/_reliability_worker.py outage REQUEST``, the process instead
runs calls while the test stops the database under them (see :func:`outage`).

The scenarios (dataset builders, the earlier runs, the call under test and the
fields each writes) live here so that the tests and the children agree on them.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import traceback
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pymongo import monitoring

# Each child is forked after the parent connected; pymongo resets its pools in
# the child and says so once per client.
warnings.filterwarnings("ignore", message="MongoClient opened before fork")

WRITE_COMMANDS = frozenset(
    {"insert", "update", "delete", "findAndModify", "create", "drop", "createIndexes"}
)


class WriteHook(monitoring.CommandListener):
    """Counts successful write commands; can kill or slow the process."""

    def __init__(self) -> None:
        self.active = False
        self.count = 0
        self.kill_after: int | None = None
        self.delay = 0.0
        self.pause_after: int | None = None
        self.pause_file = ""
        self.resume_file = ""

    def started(self, event: Any) -> None:
        pass

    def succeeded(self, event: Any) -> None:
        if not self.active or event.command_name not in WRITE_COMMANDS:
            return
        self.count += 1
        if self.kill_after is not None and self.count >= self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.delay:
            time.sleep(self.delay)
        if self.pause_after is not None and self.count == self.pause_after:
            self.pause()

    def failed(self, event: Any) -> None:
        pass

    def pause(self) -> None:
        """Tell the test where we are, and wait until it broke the database."""
        Path(self.pause_file).touch()
        while not os.path.exists(self.resume_file):
            time.sleep(0.05)


HOOK = WriteHook()
# Registered before FiftyOne creates its clients, so that they report to it.
monitoring.register(HOOK)

import fiftyone as fo  # noqa: E402
import numpy as np  # noqa: E402
from fiftyone import ViewField as F  # noqa: E402

import seedselect.fo as ssfo  # noqa: E402

N_SAMPLES = 30
CLASSES = ("cat", "dog", "bird")


def build(name: str) -> Any:
    """A small deterministic image dataset with logits, labels, scores, embeddings."""
    rng = np.random.default_rng(7)
    dataset = fo.Dataset(name)
    samples = []
    for i in range(N_SAMPLES):
        logits = rng.normal(size=4) * 2
        label = CLASSES[i % 3]
        samples.append(
            fo.Sample(
                filepath=f"/data/reliability/{i:03d}.png",
                i=i,
                predictions=fo.Classification(label=label, logits=logits),
                gt=fo.Classification(label=label),
                score=float(rng.random()),
                emb=rng.normal(size=3),
            )
        )
    dataset.add_samples(samples, progress=False)
    return dataset


def _seeds_and_pool(dataset: Any) -> tuple[Any, Any]:
    return dataset.match(F("i") < 4), dataset.match(F("i") >= 4)


# Per scenario: the earlier runs (the state before the call), the call, and the
# fields seedselect writes in that scenario.
def before_hardness(dataset: Any) -> None:
    ssfo.compute_hardness(
        dataset, "predictions", "hardness", method="margin", run_key="h", progress=False
    )
    ssfo.compute_hardness(
        dataset, "predictions", "other_hardness", method="ratio", progress=False
    )


def call_hardness(dataset: Any) -> Any:
    return ssfo.compute_hardness(
        dataset.match(F("i") >= 6),
        "predictions",
        "hardness",
        method="entropy",
        run_key="h",
        chunk_size=4,
        progress=False,
    )


def before_select(dataset: Any) -> None:
    ssfo.select_seeds(
        dataset, 5, hardness_field="score", run_key="s", random_state=0, progress=False
    )
    ssfo.select_seeds(
        dataset, 3, hardness_field="score", run_key="u", random_state=0, progress=False
    )


def call_select(dataset: Any) -> Any:
    return ssfo.select_seeds(
        dataset,
        9,
        hardness_field="score",
        label_field="gt",
        balance="equal",
        exclude_tags="u",
        run_key="s",
        random_state=1,
        chunk_size=3,
        progress=False,
    )


def before_expand(dataset: Any) -> None:
    seeds, pool = _seeds_and_pool(dataset)
    ssfo.expand_seeds(seeds, pool, 5, embeddings_field="emb", progress=False)
    ssfo.select_seeds(
        dataset, 3, hardness_field="score", run_key="u", random_state=0, progress=False
    )


def call_expand(dataset: Any) -> Any:
    seeds, pool = _seeds_and_pool(dataset)
    return ssfo.expand_seeds(
        seeds, pool, 10, embeddings_field="emb", chunk_size=3, progress=False
    )


SCENARIOS: dict[str, dict[str, Any]] = {
    "hardness": {
        "before": before_hardness,
        "call": call_hardness,
        "key": "h",
        "fields": ["hardness", "other_hardness"],
    },
    "select": {
        "before": before_select,
        "call": call_select,
        "key": "s",
        "fields": ["s_rank", "s_reason", "u_rank", "u_reason"],
    },
    "expand": {
        "before": before_expand,
        "call": call_expand,
        "key": "expansion",
        "fields": [
            "expansion_rank",
            "expansion_reason",
            "expansion_seed_id",
            "expansion_distance",
            "u_rank",
            "u_reason",
        ],
    },
}


def call_by_name(dataset: Any, call: str, kwargs: dict[str, Any]) -> Any:
    """Run a named call; ``kwargs`` extend or replace its options."""
    if call in SCENARIOS and not kwargs:
        return SCENARIOS[call]["call"](dataset)
    if call == "compute_hardness":
        return ssfo.compute_hardness(dataset, "predictions", progress=False, **kwargs)
    if call == "select_seeds":
        options = {"hardness_field": "score", "progress": False, **kwargs}
        return ssfo.select_seeds(dataset, options.pop("n_select", 6), **options)
    raise ValueError(f"unknown call {call!r}")


# ---------------------------------------------------------------------------
# Test side: start a worker, send requests, read datasets back

OBJECT_ID = re.compile(r"[0-9a-f]{24}")
WORKER = Path(__file__)


class Worker:
    """A running ``_reliability_worker`` process and its request channel."""

    def __init__(self) -> None:
        fo.list_datasets()  # connect first, so the worker shares the database
        env = {**os.environ, "PYTHONPATH": str(WORKER.parent)}
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self._answer()["ready"]

    def _answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("@@"):
                return dict(json.loads(line[2:]))
        raise RuntimeError(f"worker exited with {self.proc.wait()}")

    def run(self, children: list[dict[str, Any]], tmp_path: Path) -> list[dict]:
        """Fork one child per request, wait for all; statuses and outcomes."""
        for k, child in enumerate(children):
            child["out"] = str(tmp_path / f"outcome-{uuid.uuid4().hex}-{k}.json")
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"children": children}) + "\n")
        self.proc.stdin.flush()
        statuses = self._answer()["statuses"]
        results = []
        for child, status in zip(children, statuses, strict=True):
            out = Path(child["out"])
            outcome = json.loads(out.read_text()) if out.exists() else None
            results.append({**status, "outcome": outcome})
        return results

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def sample_state(dataset: Any, fields: list[str]) -> dict[str, dict[str, Any]]:
    """Per filepath: each field's value (seed ids as filepaths) and the tags."""
    dataset.reload()
    ids = dataset.values("id")
    paths = dataset.values("filepath")
    by_id = dict(zip(ids, paths, strict=True))
    state: dict[str, dict[str, Any]] = {p: {} for p in paths}
    for name in fields:
        values = dataset.values(name) if dataset.has_field(name) else [None] * len(ids)
        for path, value in zip(paths, values, strict=True):
            if isinstance(value, str):
                # Sample ids differ between twins; compare their filepaths.
                value = OBJECT_ID.sub(lambda m: by_id.get(m[0], m[0]), value)
            state[path][name] = value
    for path, tags in zip(paths, dataset.values("tags"), strict=True):
        for tag in ("s", "u", "expansion"):
            state[path]["tag:" + tag] = tag in tags
    return state


# ---------------------------------------------------------------------------
# The request loop


def _child(request: dict[str, Any], gate: int | None) -> None:
    """Body of a forked child; never returns."""
    code = 0
    outcome: dict[str, Any] = {}
    try:
        if gate is not None:
            os.read(gate, 1)
        dataset = fo.load_dataset(request["dataset"])
        HOOK.count = 0
        HOOK.kill_after = request.get("kill_after")
        HOOK.delay = float(request.get("delay", 0.0))
        HOOK.active = True
        call_by_name(dataset, request["call"], request.get("kwargs", {}))
        HOOK.active = False
        outcome = {"ok": True, "writes": HOOK.count}
    except BaseException as exc:  # reported to the test, which judges it
        HOOK.active = False
        outcome = {
            "ok": False,
            "error": type(exc).__name__,
            "message": str(exc),
            "traceback": traceback.format_exc(),
        }
        code = 3
    with open(request["out"], "w") as f:
        json.dump(outcome, f)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _serve(request: dict[str, Any]) -> dict[str, Any]:
    """Fork one child per entry of ``request["children"]``; wait for all."""
    children = request["children"]
    read_end, write_end = os.pipe() if len(children) > 1 else (None, None)
    pids = []
    for child in children:
        pid = os.fork()
        if pid == 0:
            if write_end is not None:
                os.close(write_end)
            _child(child, read_end)
        pids.append(pid)
    if write_end is not None:
        # Release all children at once.
        os.write(write_end, b"x" * len(children))
        os.close(write_end)
        os.close(read_end)  # type: ignore[arg-type]
    statuses = []
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        statuses.append(
            {
                "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            }
        )
    return {"statuses": statuses}


def pause_before(target: str) -> Callable[[], None]:
    """Make the first call of ``target`` wait for the test; return the undo.

    ``target`` is ``"module:name"`` or ``"module:Class.method"``, looked up where
    the code under test finds it (e.g. ``"seedselect.fo._select:check_ownership"``
    for the name that ``_select`` imported). The pause comes before the call
    starts, outside any database round trip, so its deadline is not spent
    waiting.
    """
    module_name, _, qualname = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, name = qualname.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    original = vars(owner)[name]
    paused = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if HOOK.active and not paused:
            paused.append(True)
            HOOK.pause()
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)
    return lambda: setattr(owner, name, original)


def outage_case(folder: Path, case: dict[str, Any], number: int) -> dict[str, Any]:
    """Run one call while the test stops the database; then run it again.

    The call pauses after its ``case["pause_after"]``-th write or before the
    first call of ``case["pause_before"]`` (see :func:`pause_before`) and waits
    for the file ``broken`` in ``folder``; once it failed it writes ``failed``
    and waits for ``restarted``.

    Returns the error of the first attempt and how long it took to come after
    the database stopped, the runs listed after it, whether it left every
    sample as it was, and whether the second attempt (after the test restarted
    the database) matched an uninterrupted run.
    """
    folder.mkdir()
    name = case["scenario"]
    spec = SCENARIOS[name]
    dataset = build(f"outage-{name}-{number}")
    spec["before"](dataset)
    before = sample_state(dataset, spec["fields"])

    HOOK.count = 0
    HOOK.pause_after = case.get("pause_after")
    HOOK.pause_file = str(folder / "paused")
    HOOK.resume_file = str(folder / "broken")
    undo = pause_before(case["pause_before"]) if "pause_before" in case else None
    HOOK.active = True
    outcome: dict[str, Any] = {}
    try:
        spec["call"](dataset)
        outcome["first"] = {"ok": True}
    except Exception as exc:
        stopped_at = os.path.getmtime(HOOK.resume_file)
        outcome["first"] = {
            "ok": False,
            "error": type(exc).__name__,
            "bases": [c.__name__ for c in type(exc).__mro__],
            "message": str(exc),
            "seconds": time.time() - stopped_at,
            "traceback": traceback.format_exc(),
        }
    finally:
        HOOK.active = False
        HOOK.pause_after = None
        if undo is not None:
            undo()
    (folder / "failed").touch()
    while not (folder / "restarted").exists():
        time.sleep(0.05)

    outcome["unchanged"] = sample_state(dataset, spec["fields"]) == before
    outcome["listed"] = ssfo._runs.list_seedselect_runs(dataset)
    for run in outcome["listed"]:
        run["started_at"] = str(run["started_at"])

    spec["call"](dataset)
    twin = build(f"outage-{name}-{number}-twin")
    spec["before"](twin)
    spec["call"](twin)
    outcome["same_as_uninterrupted"] = sample_state(
        dataset, spec["fields"]
    ) == sample_state(twin, spec["fields"])
    outcome["status"] = dataset.get_run_info(spec["key"]).config.status
    return outcome


def outage(request: dict[str, Any]) -> None:
    """Run ``request["cases"]`` one after the other, each with :func:`outage_case`.

    Case ``k`` uses the folder ``<request["folder"]>/<k>`` for its handshake
    files; the outcomes go to ``request["out"]`` as a JSON list.
    """
    folder = Path(request["folder"])
    outcomes = [
        outage_case(folder / str(k), case, k) for k, case in enumerate(request["cases"])
    ]
    with open(request["out"], "w") as f:
        json.dump(outcomes, f)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "outage":
        outage(json.loads(sys.argv[2]))
        sys.stdout.flush()
        os._exit(0)
    fo.list_datasets()  # connect once, before any fork
    print("@@" + json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        answer = _serve(json.loads(line))
        print("@@" + json.dumps(answer), flush=True)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
