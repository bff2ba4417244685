"""The command line on plain files: ``score --logits`` and ``select --scores``.

A few runs go through the installed ``seedselect`` script in a subprocess (and
check that file mode never imports FiftyOne); the many error cases call
``seedselect.cli.main`` in the test process, which is the same code without the
start-up cost.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seedselect import entropy, margin
from seedselect.cli import main

N_ROWS = 60
N_CLASSES = 4


def cli_command() -> list[str]:
    """The installed console script, or ``python -m seedselect`` without one."""
    script = shutil.which("seedselect")
    return [script] if script else [sys.executable, "-m", "seedselect"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli_command(), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ),
        timeout=120,
    )


@pytest.fixture
def files(tmp_path: Path, rng: np.random.Generator) -> dict[str, Path]:
    """Logits, scores, labels and embeddings of one pool, in several formats."""
    logits = rng.normal(size=(N_ROWS, N_CLASSES)) * 3
    ids = [f"img-{k:03d}" for k in range(N_ROWS)]
    classes = np.array(["cat", "dog", "owl"])[np.arange(N_ROWS) % 3]
    table = pd.DataFrame(logits, columns=[f"c{k}" for k in range(N_CLASSES)])
    table.insert(0, "id", ids)
    paths = {
        "npy": tmp_path / "logits.npy",
        "npz": tmp_path / "logits.npz",
        "csv": tmp_path / "logits.csv",
        "parquet": tmp_path / "logits.parquet",
        "scores": tmp_path / "scores.csv",
        "labels": tmp_path / "labels.csv",
        "emb": tmp_path / "emb.npy",
        "emb_short": tmp_path / "emb_short.npy",
        "nan": tmp_path / "nan.csv",
        "nan_scores": tmp_path / "nan_scores.csv",
        "text": tmp_path / "text.csv",
        "broken": tmp_path / "broken.parquet",
    }
    np.save(paths["npy"], logits)
    np.savez(paths["npz"], logits=logits, other=logits[:, :2])
    table.to_csv(paths["csv"], index=False)
    table.to_parquet(paths["parquet"], index=False)
    scores = pd.DataFrame({"id": ids, "hardness": entropy(logits), "label": classes})
    scores.to_csv(paths["scores"], index=False)
    pd.DataFrame({"label": classes}).to_csv(paths["labels"], index=False)
    np.save(paths["emb"], rng.normal(size=(N_ROWS, 5)))
    np.save(paths["emb_short"], rng.normal(size=(N_ROWS - 1, 5)))
    with_nan = table.copy()
    with_nan.loc[7, "c2"] = np.nan
    with_nan.to_csv(paths["nan"], index=False)
    nan_scores = scores.copy()
    nan_scores.loc[11, "hardness"] = np.nan
    nan_scores.to_csv(paths["nan_scores"], index=False)
    texty = table.copy()
    texty["note"] = "x"
    texty.to_csv(paths["text"], index=False)
    paths["broken"].write_bytes(b"not a parquet file")
    return paths


# --- through the installed script ---------------------------------------------------


def test_script_scores_and_selects_without_fiftyone(files, tmp_path):
    out = tmp_path / "scores.parquet"
    done = run_cli(
        "score", "--logits", str(files["csv"]), "--output", str(out), "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["n_scored"] == N_ROWS and summary["method"] == "entropy"
    written = pd.read_parquet(out)
    assert list(written.columns) == ["id", "hardness"]
    logits = np.load(files["npy"])
    np.testing.assert_allclose(written["hardness"], entropy(logits), rtol=1e-12)
    assert summary["score_max"] == pytest.approx(written["hardness"].max())

    batch = tmp_path / "batch.csv"
    done = run_cli(
        "select", "--scores", str(files["scores"]), "--labels", "label",
        "--embeddings", str(files["emb"]), "-n", "9", "--balance", "equal",
        "--diversity", "kcenter", "--seed", "0", "--output", str(batch), "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    chosen = json.loads(done.stdout)
    frame = pd.read_csv(batch)
    assert chosen["n_selected"] == 9 and chosen["ids"] == list(frame["id"])
    assert frame["label"].value_counts().to_dict() == {"cat": 3, "dog": 3, "owl": 3}
    assert frame["reason"].str.len().min() > 0
    assert list(frame.columns[:3]) == ["id", "order", "index"]


def test_help_and_file_mode_do_not_import_fiftyone(files, tmp_path):
    code = (
        "import sys; from seedselect.cli import main; "
        "main(['--help']); main(['report', '--help']); "
        f"code = main(['score', '--logits', {str(files['npy'])!r}, '--output', "
        f"{str(tmp_path / 's.csv')!r}, '-q']); "
        "print(code, 'fiftyone' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split()[-2:] == ["0", "False"], done.stderr


def test_script_failure_is_one_line_and_writes_nothing(files, tmp_path):
    out = tmp_path / "never.csv"
    done = run_cli(
        "score", "--logits", str(files["nan"]), "--output", str(out), cwd=tmp_path
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("seedselect: error: --logits")
    assert "row 7 (id 'img-007')" in done.stderr
    assert not out.exists()


def test_help_of_every_subcommand_has_an_example(capsys):
    for command in ("score", "select", "expand", "export", "report", "runs"):
        assert main([command, "--help"]) == 0
        text = capsys.readouterr().out
        assert f"seedselect {command} " in text.split("example")[-1], command


# --- in process: formats and options --------------------------------------------------


@pytest.mark.parametrize("kind", ["npy", "npz", "csv", "parquet"])
def test_score_reads_every_format(files, tmp_path, kind, capsys):
    out = tmp_path / f"out-{kind}.csv"
    extra = ["--key", "logits"] if kind == "npz" else []
    args = ["score", "--logits", str(files[kind]), "-o", str(out), "-q", *extra]
    assert main(args) == 0, capsys.readouterr().err
    written = pd.read_csv(out)
    np.testing.assert_allclose(written["hardness"], entropy(np.load(files["npy"])))
    id_column = "id" if kind in ("csv", "parquet") else "row"
    assert written.columns[0] == id_column


def test_score_probabilities_with_margin(files, tmp_path, capsys):
    probs = np.load(files["npy"])
    probs = np.exp(probs) / np.exp(probs).sum(axis=1, keepdims=True)
    path = tmp_path / "probs.npy"
    np.save(path, probs)
    out = tmp_path / "m.csv"
    args = ["score", "--probs", str(path), "--method", "margin", "-o", str(out)]
    assert main([*args, "--hardness-field", "m", "-q"]) == 0
    written = pd.read_csv(out)
    np.testing.assert_allclose(written["m"], margin(probs, kind="probs"))
    assert "Scored 60 of 60 samples by margin" in capsys.readouterr().out


def test_select_cold_start_on_embeddings(files, tmp_path, capsys):
    out = tmp_path / "cold.parquet"
    args = ["select", "--embeddings", str(files["emb"]), "-n", "5", "-o", str(out)]
    assert main([*args, "--seed", "1", "--json"]) == 0
    outcome = json.loads(capsys.readouterr().out)
    assert len(outcome["rows"]) == 5 == len(set(outcome["rows"]))
    assert list(pd.read_parquet(out)["index"]) == outcome["rows"]


def test_select_labels_from_a_file(files, tmp_path, capsys):
    out = tmp_path / "b.csv"
    args = ["select", "--scores", str(files["scores"]), "--labels"]
    args += [str(files["labels"]), "-n", "6", "--balance", "equal", "-o", str(out)]
    assert main(args) == 0
    assert "Selected 6 of 60 rows" in capsys.readouterr().out
    assert pd.read_csv(out)["label"].value_counts().max() == 2


def test_select_excludes_labeled_rows(files, tmp_path, capsys):
    table = pd.read_csv(files["scores"])
    table["labeled"] = np.arange(N_ROWS) < N_ROWS // 2
    path = tmp_path / "with_labeled.parquet"
    table.to_parquet(path, index=False)
    out = tmp_path / "b.csv"
    args = ["select", "--scores", str(path), "--exclude", "labeled", "-n", "5"]
    assert main([*args, "-o", str(out), "--json"]) == 0
    chosen = pd.read_csv(out)["index"]
    assert len(chosen) == 5 and (chosen >= N_ROWS // 2).all()
    table["labeled"] = table["labeled"].astype(int) * 2
    table.to_parquet(path, index=False)
    code, err = _fails([*args, "-o", str(tmp_path / "c.csv")], capsys)
    assert code == 1 and "true/false" in err


# --- in process: errors ------------------------------------------------------------


def _fails(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("seedselect: error: ")
    return code, err


ERRORS = [
    # (arguments with {name} placeholders, exit code, words in the message)
    (["score", "--logits", "{npy}"], 2, "--output"),
    (["score", "--logits", "{npy}", "-o", "{out}", "--run-key", "k"], 2, "file mode"),
    (["score", "--logits", "{npy}", "-o", "{tmp}/x.txt"], 1, "'.txt'"),
    (["score", "--logits", "{tmp}/absent.npy", "-o", "{out}"], 1, "no such file"),
    (["score", "--logits", "{broken}", "-o", "{out}"], 1, "cannot be read"),
    (["score", "--logits", "{npz}", "-o", "{out}"], 1, "--key"),
    (["score", "--logits", "{npz}", "-o", "{out}", "--key", "zz"], 1, "no array"),
    (["score", "--logits", "{text}", "-o", "{out}"], 1, "'note' is not numeric"),
    (["score", "--logits", "{csv}", "-o", "{out}", "--columns", "c9"], 1, "c9"),
    (["score", "--logits", "{nan}", "-o", "{out}"], 1, "NaN"),
    (["score", "--logits", "{npy}", "-o", "{out}", "--method", "magic"], 2, "magic"),
    (["score", "--logits", "{npy}", "-o", "{out}", "--temperature", "0"], 1, "temp"),
    (["score", "--logits", "{npy}", "--probs", "{npy}", "-o", "{out}"], 2, "allowed"),
    (["score", "ds", "predictions", "--logits", "{npy}"], 2, "not both"),
    (["score"], 2, "DATASET FIELD"),
    (["select", "--scores", "{scores}", "-n", "3"], 2, "--output"),
    (["select", "--scores", "{scores}", "-o", "{out}"], 2, "--n-select"),
    (["select", "--scores", "{nan_scores}", "-n", "3", "-o", "{out}"], 1, "row 11"),
    (["select", "--scores", "{csv}", "-n", "3", "-o", "{out}"], 1, "--score-column"),
    (
        [
            "select",
            "--scores",
            "{scores}",
            "--score-column",
            "zz",
            "-n",
            "3",
            "-o",
            "{out}",
        ],
        1,
        "no column 'zz'",
    ),  # fmt: skip
    (
        [
            "select",
            "--scores",
            "{scores}",
            "--embeddings",
            "{emb_short}",
            "-n",
            "3",
            "-o",
            "{out}",
        ],
        1,
        "59 rows but --scores has 60",
    ),  # fmt: skip
    (
        [
            "select",
            "--scores",
            "{scores}",
            "--labels",
            "kind",
            "-n",
            "3",
            "-o",
            "{out}",
        ],
        1,
        "neither an existing file",
    ),  # fmt: skip
    (["select", "--scores", "{scores}", "-n", "999", "-o", "{out}"], 1, "n_select"),
    (
        [
            "select",
            "--scores",
            "{scores}",
            "-n",
            "3",
            "--diversity",
            "kcenter",
            "-o",
            "{out}",
        ],
        1,
        "embeddings",
    ),  # fmt: skip
    (
        [
            "select",
            "--scores",
            "{scores}",
            "-n",
            "3",
            "--balance",
            "odd",
            "-o",
            "{out}",
        ],
        2,
        "invalid choice",
    ),  # fmt: skip
    (
        ["select", "--scores", "{scores}", "-n", "3", "--tag", "t", "-o", "{out}"],
        2,
        "--tag",
    ),  # fmt: skip
    (["select", "-n", "3"], 2, "select needs DATASET"),
    (
        ["select", "--scores", "{scores}", "-n", "3", "--exclude", "zz", "-o", "{out}"],
        1,
        "not a column",
    ),  # fmt: skip
]


@pytest.mark.parametrize(("args", "code", "words"), ERRORS)
def test_file_mode_errors(files, tmp_path, capsys, args, code, words):
    names = {k: str(v) for k, v in files.items()}
    out = tmp_path / "result.csv"
    filled = [a.format(out=out, tmp=tmp_path, **names) for a in args]
    before = sorted(p.name for p in tmp_path.iterdir())
    got, err = _fails(filled, capsys)
    assert got == code, err
    assert words in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
