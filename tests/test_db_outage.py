"""The database server stops in the middle of a call.

The test runs a MongoDB server of its own (the ``mongod`` that FiftyOne ships),
so stopping it disturbs no other test, and a child process that uses it through
``FIFTYONE_DATABASE_URI`` with ``SEEDSELECT_DB_TIMEOUT`` set to a few seconds.
The child pauses after a chosen write, or before a chosen step of a call that
has not written yet; the test then freezes the server (SIGSTOP: connections
stay open but nothing answers) or kills it (SIGKILL: connections drop) and lets
the child go on. The call must fail with a clear DatabaseUnavailableError soon
after, not hang; once the server is back (SIGCONT, or a restart on the same
port and data directory) the same call, in the same process, completes with the
result of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fiftyone")

from fiftyone.core.service import DatabaseService  # noqa: E402

WORKER = Path(__file__).with_name("_reliability_worker.py")

# Seconds one database round trip may take in the child.
DB_TIMEOUT = 3.0
# Seconds to let the server's journal catch up before it is stopped: a few
# times MongoDB's default commit interval of 100 ms.
JOURNAL_WAIT = 0.5
# Longest wait for any step of the child; only reached if something hangs.
STEP_LIMIT = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A mongod on a fixed port and data directory, restartable."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.dbpath = folder / "db"
        self.dbpath.mkdir()
        self.log = folder / "mongod.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                DatabaseService.find_mongod(),
                "--dbpath",
                str(self.dbpath),
                "--port",
                str(self.port),
                "--bind_ip",
                "127.0.0.1",
                "--nounixsocket",
                "--logpath",
                str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + STEP_LIMIT
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("mongod did not start")

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)
        if sig == signal.SIGKILL:
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(timeout=60)


def _wait_for(path: Path, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STEP_LIMIT
    while not path.exists():
        if child.poll() is not None:
            raise AssertionError(f"child exited with {child.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"child did not reach {path.name}")
        time.sleep(0.05)


def _run_outages(
    tmp_path: Path, cases: list[dict[str, Any]], how: str
) -> list[dict[str, Any]]:
    """Run the cases in one child against one server; return their outcomes.

    For each case the child pauses, the server is frozen (``how="freeze"``) or
    killed (``"kill"``), the child's call fails, and the server comes back
    before the child reruns the call.
    """
    server = Server(tmp_path)
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "FIFTYONE_PRIVATE_DATABASE_PORT"
    }
    env.update(
        {
            "FIFTYONE_DATABASE_URI": f"mongodb://127.0.0.1:{server.port}/",
            "FIFTYONE_DATABASE_VALIDATION": "false",
            "FIFTYONE_DATABASE_ADMIN": "true",
            "SEEDSELECT_DB_TIMEOUT": str(DB_TIMEOUT),
            "PYTHONPATH": str(WORKER.parent),
        }
    )
    out = tmp_path / "outcome.json"
    request = {"folder": str(tmp_path), "cases": cases, "out": str(out)}
    child = subprocess.Popen(
        [sys.executable, str(WORKER), "outage", json.dumps(request)], env=env
    )
    try:
        for k in range(len(cases)):
            folder = tmp_path / str(k)
            _wait_for(folder / "paused", child)
            # MongoDB acknowledges a write before its journal reaches the disk
            # (every 100 ms by default), so a killed server forgets the last
            # moment's writes; wait until the writes so far are on disk.
            time.sleep(JOURNAL_WAIT)
            server.signal(signal.SIGSTOP if how == "freeze" else signal.SIGKILL)
            (folder / "broken").touch()
            _wait_for(folder / "failed", child)
            if how == "freeze":
                server.signal(signal.SIGCONT)
            else:
                server.start()
            (folder / "restarted").touch()
        assert child.wait(timeout=STEP_LIMIT) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        server.stop()
    return list(json.loads(out.read_text()))


def _check_failure(first: dict[str, Any]) -> None:
    """The first attempt failed soon, with the clear error."""
    assert not first["ok"]
    assert first["error"] == "DatabaseUnavailableError", first.get("traceback")
    assert "ConnectionError" in first["bases"]
    assert "SEEDSELECT_DB_TIMEOUT=3 s" in first["message"]
    assert "rerun the same call" in first["message"]
    # Not a hang: a round trip's limit, plus one for releasing the locks and
    # some slack for a loaded machine.
    assert first["seconds"] < 2 * DB_TIMEOUT + 10


@pytest.mark.parametrize(
    ("scenario", "pause_after", "how"),
    [("hardness", 4, "freeze"), ("select", 6, "kill")],
)
def test_call_fails_clearly_while_the_database_is_down_then_completes(
    tmp_path, scenario, pause_after, how
):
    cases = [{"scenario": scenario, "pause_after": pause_after}]
    (outcome,) = _run_outages(tmp_path, cases, how)
    _check_failure(outcome["first"])
    assert "stays recorded as incomplete" in outcome["first"]["message"]
    listed = {run["key"]: run for run in outcome["listed"]}
    key = {"hardness": "h", "select": "s"}[scenario]
    assert listed[key]["status"] == "running"
    assert not listed[key]["complete"]

    assert outcome["status"] == "complete"
    assert outcome["same_as_uninterrupted"]


# Steps of a call before its first write, as the module under test names them.
# compute_hardness checks the run key once before taking its locks, then reads
# every sample in pass one; select_seeds holds its locks while it checks that the
# run key, tag, view and fields are free, then reads the pool.
VALIDATION_STEPS = [
    ("hardness", "seedselect.fo._hardness:check_run_key"),
    ("hardness", "seedselect.fo._hardness:_score"),
    ("select", "seedselect.fo._select:check_ownership"),
    ("select", "seedselect.fo._select:PoolReader.iter_chunks"),
]


def test_call_fails_clearly_when_the_database_freezes_before_any_write(tmp_path):
    cases = [
        {"scenario": scenario, "pause_before": step}
        for scenario, step in VALIDATION_STEPS
    ]
    outcomes = _run_outages(tmp_path, cases, "freeze")

    for (scenario, step), outcome in zip(VALIDATION_STEPS, outcomes, strict=True):
        first = outcome["first"]
        _check_failure(first)
        # Nothing was written: the earlier run stays complete and every sample
        # keeps its value; the message does not claim an incomplete run.
        assert "stays recorded as incomplete" not in first["message"], step
        key = {"hardness": "h", "select": "s"}[scenario]
        listed = {run["key"]: run for run in outcome["listed"]}
        assert listed[key]["complete"], step
        assert outcome["unchanged"], step

        assert outcome["status"] == "complete", step
        assert outcome["same_as_uninterrupted"], step
