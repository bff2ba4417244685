"""The command line on FiftyOne datasets, through the installed ``seedselect`` script.

The datasets are persistent so that the subprocesses, which share the test
database (``FIFTYONE_DATABASE_DIR``), can open them; the fixture deletes them.
Starting FiftyOne in a new process takes seconds, so the script runs once per
subcommand in one workflow (read-only commands side by side), and the many error
cases call ``seedselect.cli.main`` in the test process, where FiftyOne is loaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seedselect.cli import main

N_SAMPLES = 60
CLASSES = ("cat", "dog", "owl")
N_TRAIN = 6
TIMEOUT = 180


def cli_command() -> list[str]:
    """The installed console script, or ``python -m seedselect`` without one."""
    script = shutil.which("seedselect")
    return [script] if script else [sys.executable, "-m", "seedselect"]


def run_many(commands: list[list[str]], cwd: Path) -> list[tuple[int, str, str]]:
    """Run several commands at once; return (exit code, stdout, stderr) of each."""
    processes = [
        subprocess.Popen(
            [*cli_command(), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=dict(os.environ),
        )
        for args in commands
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=TIMEOUT)
        results.append((process.returncode, out, err))
    return results


def run_one(*args: str, cwd: Path) -> tuple[int, str, str]:
    return run_many([list(args)], cwd)[0]


@pytest.fixture
def datasets() -> Iterator[tuple[Any, Any]]:
    """A scored-to-be pool with predictions, classes and embeddings, and a dataset
    whose logits hold a NaN."""
    import fiftyone as fo

    rng = np.random.default_rng(0)
    made = []

    def _make(n: int, nan_at: int | None = None) -> Any:
        dataset = fo.Dataset(f"seedselect-cli-{uuid.uuid4().hex[:10]}", persistent=True)
        made.append(dataset)
        samples = []
        for k in range(n):
            logits = rng.normal(size=len(CLASSES)) * 2
            if k == nan_at:
                logits[1] = np.nan
            name = CLASSES[k % len(CLASSES)]
            samples.append(
                fo.Sample(
                    filepath=f"/data/img-{k:03d}.png",
                    tags=["train"] if k < N_TRAIN else [],
                    ground_truth=fo.Classification(label=name),
                    predictions=fo.Classification(label=name, logits=logits),
                    embeddings=rng.normal(size=4),
                )
            )
        dataset.add_samples(samples, progress=False)
        return dataset

    yield _make(N_SAMPLES), _make(5, nan_at=2)
    for dataset in made:
        if not dataset.deleted:
            dataset.delete()


def _state(dataset: Any) -> dict[str, Any]:
    """What a command could change: runs, fields, tags and saved views."""
    dataset.reload()
    return {
        "runs": sorted(dataset.list_runs()),
        "fields": sorted(dataset.get_field_schema()),
        "tags": dataset.count_sample_tags(),
        "views": sorted(dataset.list_saved_views()),
    }


def test_dataset_workflow(datasets, tmp_path, capsys):
    pool, _ = datasets
    name = pool.name

    # score: compute_hardness, with a JSON summary. --json alone keeps standard
    # output to the JSON document (no progress bars), as a script needs it.
    code, out, err = run_one("score", name, "predictions", "--json", cwd=tmp_path)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["n_scored"] == N_SAMPLES and summary["run_key"] == "hardness"
    pool.reload()
    assert pool.count("hardness") == N_SAMPLES

    # select: a balanced batch outside the training samples.
    code, out, err = run_one(
        "select", name, "-n", "9", "--label-field", "predictions", "--balance",
        "equal", "--exclude-tags", "train", "--seed", "0", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    chosen = json.loads(out)
    assert chosen["n_selected"] == 9 and chosen["run_key"] == "seeds"
    batch = pool.select(chosen["ids"])
    assert batch.count_values("predictions.label") == dict.fromkeys(CLASSES, 3)
    assert len(batch.match_tags("train")) == 0

    # expand: neighbours of the seeds in the rest of the dataset.
    code, out, err = run_one(
        "expand", name, "-n", "6", "--seeds-view", "seeds", "--embeddings-field",
        "embeddings", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, err
    found = json.loads(out)
    assert found["n_selected"] == 6 and not set(found["ids"]) & set(chosen["ids"])

    # export, report and runs list read only; they run side by side.
    manifest = tmp_path / "out" / "batch.csv"
    classes_png = tmp_path / "classes.png"
    runs_html = tmp_path / "runs.html"
    results = run_many(
        [
            ["export", name, str(manifest)],
            ["report", name, "--run-key", "seeds", "--output", str(classes_png)],
            [
                "report",
                name,
                "--compare",
                "seeds",
                "expansion",
                "--label-field",
                "predictions",
                "--embeddings-field",
                "embeddings",
                "--output",
                str(runs_html),
                "--json",
            ],  # fmt: skip
            ["runs", "list", name, "--json"],
        ],
        tmp_path,
    )
    for code, _, err in results:
        assert code == 0, err
    export_out, seeds_out, compare_out, list_out = (r[1] for r in results)

    assert "Wrote 9 rows" in export_out
    lines = manifest.read_text().splitlines()
    assert lines[0].startswith("sample_id,filepath,hardness,class,rank,reason")
    assert [line.split(",")[0] for line in lines[1:]] == chosen["ids"]

    assert classes_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "quota" in seeds_out and "Saved the plot" in seeds_out

    compared = json.loads(compare_out)
    assert [row["run"] for row in compared] == ["seeds", "expansion"]
    assert compared[0]["n_selected"] == 9 and compared[0]["n_classes"] == 3
    assert runs_html.read_text().startswith("<!DOCTYPE html>")

    listed = {row["key"]: row for row in json.loads(list_out)}
    assert listed.keys() == {"hardness", "seeds", "expansion"}
    assert listed["seeds"]["kind"] == "selection"
    assert listed["hardness"]["status"] == "complete"

    # The same entry point in this process (FiftyOne is loaded already).
    assert main(["runs", "show", name, "seeds", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["config"]["label_field"] == "predictions"
    assert shown["results"]["n_selected"] == 9
    assert main(["report", name, "--label-field", "ground_truth", "--json"]) == 0
    per_class = json.loads(capsys.readouterr().out)
    assert [row["class"] for row in per_class] == ["(all)", *CLASSES]
    assert per_class[0]["count"] == N_SAMPLES
    assert main(["runs", "list", name]) == 0
    assert "expansion  " in capsys.readouterr().out

    # runs delete: the expansion's tag, fields and saved view go with it.
    assert main(["runs", "delete", name, "expansion"]) == 0
    assert "Deleted expansion run 'expansion'" in capsys.readouterr().out
    state = _state(pool)
    assert state["runs"] == ["hardness", "seeds"]
    assert found["tag"] not in state["tags"] and "expansion" not in state["views"]
    assert not [f for f in state["fields"] if f.startswith("expansion_")]


def test_script_errors_exit_with_one_line(datasets, tmp_path):
    pool, with_nan = datasets
    before = _state(with_nan)
    cases = [
        (["score", "no-such-dataset", "predictions"], 1, "not found"),
        (["score", with_nan.name, "predictions", "-q"], 1, "NaN"),
        (["select", pool.name, "-n", "5", "--balance", "odd"], 2, "invalid choice"),
    ]
    results = run_many([args for args, _, _ in cases], tmp_path)
    for (args, code, words), (got, out, err) in zip(cases, results, strict=True):
        assert got == code, (args, err)
        assert err.count("\n") == 1 and err.startswith("seedselect: error: "), err
        assert words in err, (args, err)
        assert out == "", (args, out)
    assert _state(with_nan) == before


def test_dataset_errors_are_one_line_and_change_nothing(datasets, tmp_path, capsys):
    pool, with_nan = datasets
    name = pool.name
    assert main(["score", name, "predictions", "-q"]) == 0
    assert main(["select", name, "-n", "4", "-q"]) == 0
    capsys.readouterr()
    before, before_nan = _state(pool), _state(with_nan)
    cases = [
        (["score", name, "no_such_field", "-q"], 1, "no_such_field"),
        (["score", name, "predictions", "--method", "vote_entropy", "-q"], 1, "ens"),
        (["score", name, "predictions", "--run-key", "seeds", "-q"], 1, "seeds"),
        (["score", name, "predictions", "--output", "s.csv"], 2, "--output"),
        (["select", name, "-n", "5", "--label-field", "nope", "-q"], 1, "nope"),
        (["select", name, "-n", "500", "-q"], 1, "n_select=500"),
        (["select", name, "-n", "5", "--diversity", "kcenter", "-q"], 1, "embedd"),
        (["select", name, "-n", "5", "--match-tags", "nope", "-q"], 1, "nope"),
        (["select", name, "-n", "5", "--exclude-view", "nope"], 1, "saved view"),
        (["select", name, "-n", "5", "--labels", "x"], 2, "--labels"),
        (
            [
                "expand",
                name,
                "-n",
                "3",
                "--seeds-view",
                "nope",
                "--embeddings-field",
                "embeddings",
            ],
            1,
            "not a saved view",
        ),  # fmt: skip
        (
            [
                "expand",
                name,
                "-n",
                "3",
                "--seeds-tag",
                "nope",
                "--embeddings-field",
                "embeddings",
            ],
            1,
            "no sample",
        ),  # fmt: skip
        (
            [
                "expand",
                name,
                "-n",
                "3",
                "--seeds-view",
                "seeds",
                "--embeddings-field",
                "nope",
            ],
            1,
            "nope",
        ),  # fmt: skip
        (["expand", name, "-n", "3", "--embeddings-field", "embeddings"], 2, "seeds"),
        (["export", name, str(tmp_path / "m.csv"), "--run-key", "nope"], 1, "nope"),
        (["export", name, str(tmp_path / "m.txt")], 2, ".txt"),
        (["export", name, str(tmp_path / "m.csv"), "--run-key", "hardness"], 1, "sel"),
        (["report", name, "--hardness-field", "nope"], 1, "nope"),
        (["report", name, "--label-field", "nope"], 1, "nope"),
        (["report", name, "--run-key", "nope"], 1, "nope"),
        (["report", name, "--compare", "seeds", "nope"], 1, "nope"),
        (["report", name, "--run-key", "seeds", "--plot", "runs"], 2, "--plot"),
        (["report", name, "--output", str(tmp_path / "r.txt")], 2, ".png"),
        (["runs", "show", name, "nope"], 1, "not a seedselect run"),
        (["runs", "delete", name, "nope"], 1, "not a seedselect run"),
        (["runs", "list", "no-such-dataset"], 1, "not found"),
        (["runs", "remove", name, "hardness"], 2, "invalid choice"),
    ]
    for args, code, words in cases:
        got = main(args)
        captured = capsys.readouterr()
        err = captured.err
        assert got == code, (args, err)
        assert err.count("\n") == 1 and err.startswith("seedselect: error: "), err
        assert words in err, (args, err)
        assert captured.out == "", (args, captured.out)
    assert _state(pool) == before and _state(with_nan) == before_nan
    assert sorted(p.name for p in tmp_path.iterdir()) == []
