"""One table of bad inputs across the Python API, the command line and files.

Each row prepares a small dataset (possibly spoiling some of its data), takes a
full dump of the raw sample documents, the dataset document, the run records
and the saved views, makes one bad call, and checks: the exception type (or the
command's exit status), that the message names the argument or field, for data
problems that it gives the number of bad samples and one example sample id, and
that the dump afterwards equals the dump before.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bson
import numpy as np
import pytest

pytest.importorskip("fiftyone")

import fiftyone as fo  # noqa: E402
import fiftyone.core.odm as foo  # noqa: E402
from fiftyone import ViewField as F  # noqa: E402

from seedselect import FieldError, InputError, RunError  # noqa: E402
from seedselect.cli import main as cli_main  # noqa: E402
from seedselect.fo import (  # noqa: E402
    compute_hardness,
    expand_seeds,
    read_manifest,
    select_seeds,
)

CLASSES = ("cat", "dog", "bird")
N_SAMPLES = 12
N_CLASSES = 4


def _build(make_dataset: Any) -> Any:
    rng = np.random.default_rng(3)
    dataset = make_dataset()
    samples = [
        fo.Sample(
            filepath=f"/data/bad/{i:03d}.png",
            i=i,
            predictions=fo.Classification(
                label=CLASSES[i % 3], logits=rng.normal(size=N_CLASSES)
            ),
            gt=fo.Classification(label=CLASSES[i % 3]),
            caption=f"caption {i}",
            score=float(rng.random()),
            emb=rng.normal(size=3),
        )
        for i in range(N_SAMPLES)
    ]
    dataset.add_samples(samples, progress=False)
    # Earlier runs, whose records must survive every bad call unchanged.
    compute_hardness(dataset, "predictions", progress=False)
    select_seeds(dataset, 3, random_state=0, progress=False)
    return dataset


def dump(dataset: Any) -> dict[str, Any]:
    """Everything a call could change: raw documents and records."""
    db = foo.get_db_conn()
    samples = list(dataset._sample_collection.find({}, sort=[("_id", 1)]))
    doc = db["datasets"].find_one({"_id": dataset._doc.id})
    for volatile in ("last_loaded_at",):
        doc.pop(volatile, None)
    runs = list(db["runs"].find({"_dataset_id": dataset._doc.id}, sort=[("_id", 1)]))
    views = list(db["views"].find({"_dataset_id": dataset._doc.id}, sort=[("_id", 1)]))
    # Compared as BSON bytes, so that a stored NaN equals itself.
    return {
        "samples": [bson.encode(d) for d in samples],
        "dataset": bson.encode(doc),
        "runs": [bson.encode(d) for d in runs],
        "views": [bson.encode(d) for d in views],
    }


# ---------------------------------------------------------------------------
# Spoilers: change the dataset before the dump; return facts for the message


def _spoil_logits(value: Callable[[np.ndarray], Any], n_bad: int = 2) -> Callable:
    def spoil(dataset: Any, tmp: Path) -> dict[str, Any]:
        ids = dataset.values("id")[-n_bad:]
        for sample in dataset.select(ids):
            sample.predictions.logits = value(sample.predictions.logits)
            sample.save()
        return {"count": n_bad, "example": ids[0]}

    return spoil


def _nan(x: np.ndarray) -> np.ndarray:
    return np.r_[math.nan, x[1:]]


def _inf(x: np.ndarray) -> np.ndarray:
    return np.r_[math.inf, x[1:]]


def _spoil_scores(dataset: Any, tmp: Path) -> dict[str, Any]:
    ids = dataset.values("id")[:2]
    dataset.select(ids).set_values("score", [math.nan, math.nan])
    return {"count": 2, "example": ids[0]}


def _spoil_embeddings(dataset: Any, tmp: Path) -> dict[str, Any]:
    ids = dataset.values("id")[-1:]
    dataset.select(ids).set_values("emb", [np.zeros(5)])
    return {"count": 1, "example": ids[0]}


def _user_tag(dataset: Any, tmp: Path) -> dict[str, Any]:
    view = dataset.limit(2)
    view.tag_samples("mine")
    return {"count": 2, "example": view.first().id}


def _user_view(dataset: Any, tmp: Path) -> dict[str, Any]:
    dataset.save_view("batch", dataset.limit(3))
    return {}


def _no_spoil(dataset: Any, tmp: Path) -> dict[str, Any]:
    return {}


def _file(name: str, content: bytes) -> Callable:
    def write(dataset: Any, tmp: Path) -> dict[str, Any]:
        path = tmp / name
        path.write_bytes(content)
        return {"path": str(path)}

    return write


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _manifest(dataset: Any, tmp: Path) -> dict[str, Any]:
    from seedselect.fo import export_manifest

    path = tmp / "batch.parquet"
    export_manifest(dataset, path, run_key="seeds")
    path.write_bytes(path.read_bytes()[:-40])
    return {"path": str(path)}


# ---------------------------------------------------------------------------
# The table


@dataclass
class Case:
    name: str
    surface: str  # "api" or "cli"
    call: Any  # api: f(dataset, facts); cli: f(dataset, facts) -> argv
    expected: Any  # exception type, or exit status
    words: list[str]
    spoil: Callable = _no_spoil
    data: bool = False  # message must give the count and an example id
    extra: dict[str, Any] = field(default_factory=dict)


def _ch(**kwargs: Any) -> Callable:
    return lambda ds, facts: compute_hardness(
        ds, kwargs.pop("label_field", "predictions"), progress=False, **kwargs
    )


def _sel(n_select: int = 4, **kwargs: Any) -> Callable:
    return lambda ds, facts: select_seeds(ds, n_select, progress=False, **kwargs)


def _exp(n_select: int = 4, **kwargs: Any) -> Callable:
    def call(ds: Any, facts: dict[str, Any]) -> Any:
        seeds = ds.match(F("i") < 3)
        pool = kwargs.pop("pool", None) or ds.match(F("i") >= 3)
        pool = pool(ds) if callable(pool) else pool
        return expand_seeds(seeds, pool, n_select, progress=False, **kwargs)

    return call


CASES = [
    # compute_hardness: data problems
    Case(
        "NaN logits",
        "api",
        _ch(),
        FieldError,
        ["'predictions'", "NaN"],
        _spoil_logits(_nan),
        data=True,
    ),
    Case(
        "infinite logits",
        "api",
        _ch(),
        FieldError,
        ["'predictions'"],
        _spoil_logits(_inf),
        data=True,
    ),
    Case(
        "ragged logits",
        "api",
        _ch(),
        FieldError,
        ["'predictions'"],
        _spoil_logits(lambda x: x[:3], n_bad=1),
        data=True,
    ),
    Case(
        "empty logits",
        "api",
        _ch(),
        FieldError,
        ["'predictions'"],
        _spoil_logits(lambda x: x[:0]),
        data=True,
    ),
    Case(
        "labels without logits",
        "api",
        _ch(),
        FieldError,
        ["'predictions'"],
        _spoil_logits(lambda x: None),
        data=True,
    ),
    Case(
        "one-column logits",
        "api",
        _ch(),
        FieldError,
        ["'predictions'"],
        _spoil_logits(lambda x: x[:1], n_bad=N_SAMPLES),
    ),
    # compute_hardness: arguments and fields
    Case(
        "label field of the wrong type",
        "api",
        _ch(label_field="caption"),
        FieldError,
        ["'caption'", "StringField"],
        data=True,
        extra={"count": N_SAMPLES},
    ),
    Case(
        "missing label field",
        "api",
        _ch(label_field="nope"),
        FieldError,
        ["'nope'", "does not exist"],
    ),
    Case("unknown method", "api", _ch(method="bogus"), InputError, ["method='bogus'"]),
    Case(
        "zero temperature", "api", _ch(temperature=0.0), InputError, ["temperature=0.0"]
    ),
    Case("top_k without topk_mean", "api", _ch(top_k=2), InputError, ["top_k=2"]),
    Case(
        "invalid run key",
        "api",
        _ch(run_key="my key"),
        InputError,
        ["run_key='my key'"],
    ),
    Case(
        "run key of a selection",
        "api",
        _ch(run_key="seeds"),
        RunError,
        ["run_key='seeds'", "another kind of run"],
    ),
    Case(
        "output field of the user",
        "api",
        _ch(hardness_field="score"),
        FieldError,
        ["'score'", "overwrite=True"],
    ),
    Case("zero chunk size", "api", _ch(chunk_size=0), InputError, ["chunk_size"]),
    Case(
        "empty view",
        "api",
        lambda ds, f: compute_hardness(ds.limit(0), "predictions", progress=False),
        InputError,
        ["samples is empty"],
    ),
    # select_seeds
    Case("zero n_select", "api", _sel(0), InputError, ["n_select=0"]),
    Case(
        "impossible count",
        "api",
        _sel(100),
        InputError,
        ["n_select=100", f"{N_SAMPLES}"],
    ),
    Case(
        "missing hardness field",
        "api",
        _sel(hardness_field="nope"),
        FieldError,
        ["'nope'"],
    ),
    Case(
        "hardness field of the wrong type",
        "api",
        _sel(hardness_field="caption"),
        FieldError,
        ["hardness_field='caption'"],
    ),
    Case(
        "NaN scores",
        "api",
        _sel(hardness_field="score"),
        FieldError,
        ["'score'"],
        _spoil_scores,
        data=True,
    ),
    Case(
        "unknown class in quotas",
        "api",
        _sel(label_field="gt", balance={"zebra": 2, "cat": 1}),
        InputError,
        ["zebra"],
    ),
    Case(
        "mismatched embeddings",
        "api",
        _sel(embeddings_field="emb", diversity="kcenter"),
        InputError,
        ["'emb'"],
        _spoil_embeddings,
        data=True,
    ),
    Case(
        "diversity without embeddings",
        "api",
        _sel(diversity="kcenter"),
        InputError,
        ["diversity='kcenter'", "embeddings"],
    ),
    Case(
        "tag already on the user's samples",
        "api",
        _sel(tag="mine", run_key="other"),
        RunError,
        ["tag='mine'"],
        _user_tag,
        data=True,
    ),
    Case(
        "tag of another selection run",
        "api",
        _sel(tag="seeds", run_key="b2"),
        RunError,
        ["tag='seeds'", "'seeds'"],
    ),
    Case(
        "run key of a hardness run",
        "api",
        _sel(run_key="hardness"),
        RunError,
        ["run_key='hardness'"],
    ),
    Case(
        "saved view of the user",
        "api",
        _sel(run_key="batch"),
        RunError,
        ["saved_view_name='batch'", "the user"],
        _user_view,
    ),
    Case(
        "own tag excluded",
        "api",
        _sel(exclude_tags="seeds"),
        InputError,
        ["exclude_tags", "tag='seeds'"],
    ),
    Case(
        "bad random_state", "api", _sel(random_state="x"), InputError, ["random_state"]
    ),
    # expand_seeds
    Case(
        "expansion without embeddings", "api", _exp(), InputError, ["embeddings_field"]
    ),
    Case(
        "expansion from a missing embeddings field",
        "api",
        _exp(embeddings_field="nope"),
        FieldError,
        ["'nope'"],
    ),
    Case(
        "seeds inside the pool",
        "api",
        _exp(embeddings_field="emb", pool=lambda ds: ds),
        InputError,
        ["pool"],
    ),
    # files
    Case(
        "truncated manifest",
        "api",
        lambda ds, f: read_manifest(f["path"]),
        Exception,
        ["batch.parquet"],
        _manifest,
    ),
    Case(
        "missing manifest",
        "api",
        lambda ds, f: read_manifest("/nonexistent.csv"),
        Exception,
        ["nonexistent.csv"],
    ),
    # command line, dataset mode
    Case(
        "cli: zero n_select",
        "cli",
        lambda ds, f: ["select", ds.name, "-n", "0"],
        1,
        ["n_select"],
    ),
    Case(
        "cli: missing label field",
        "cli",
        lambda ds, f: ["score", ds.name, "nope"],
        1,
        ["'nope'"],
    ),
    Case(
        "cli: unknown dataset",
        "cli",
        lambda ds, f: ["select", "no-such-dataset-xyz", "-n", "3"],
        1,
        ["no-such-dataset-xyz"],
    ),
    Case(
        "cli: unknown run key",
        "cli",
        lambda ds, f: ["export", ds.name, "/tmp/x.csv", "--run-key", "nope"],
        1,
        ["'nope'"],
    ),
    Case(
        "cli: impossible count",
        "cli",
        lambda ds, f: ["select", ds.name, "-n", "500"],
        1,
        ["n_select=500"],
    ),
    # command line, file mode
    Case(
        "cli: truncated .npy logits",
        "cli",
        lambda ds, f: ["score", "--logits", f["path"], "--output", "/tmp/o.csv"],
        1,
        ["logits.npy"],
        _file("logits.npy", _npy_bytes(np.ones((5, 3)))[:-9]),
    ),
    Case(
        "cli: NaN in a logits table",
        "cli",
        lambda ds, f: ["score", "--logits", f["path"], "--output", "/tmp/o.csv"],
        1,
        ["logits"],
        _file("logits.csv", b"a,b,c\n1,2,3\nnan,1,2\n4,5,6\n"),
    ),
    Case(
        "cli: unreadable scores file",
        "cli",
        lambda ds, f: [
            "select",
            "--scores",
            f["path"],
            "-n",
            "2",
            "--output",
            "/tmp/o.csv",
        ],
        1,
        ["scores.csv"],
        _file("scores.csv", b"\x00\xff\xfe garbage"),
    ),
    Case(
        "cli: empty logits file",
        "cli",
        lambda ds, f: ["score", "--logits", f["path"], "--output", "/tmp/o.csv"],
        1,
        ["logits"],
        _file("empty.csv", b""),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(
    case, make_dataset, tmp_path, capsys
):
    dataset = _build(make_dataset)
    facts = case.spoil(dataset, tmp_path)
    facts.update(case.extra)
    before = dump(dataset)

    if case.surface == "api":
        with pytest.raises(case.expected) as info:
            case.call(dataset, facts)
        message = str(info.value)
    else:
        capsys.readouterr()
        code = cli_main(case.call(dataset, facts))
        assert code == case.expected
        message = capsys.readouterr().err
        assert message.startswith("seedselect")

    for word in case.words:
        assert word in message, (word, message)
    if case.data:
        assert f"{facts['count']} sample" in message, message
        if "example" in facts:
            assert facts["example"] in message, message
    assert dump(dataset) == before


def test_table_is_large_and_distinct():
    assert len({c.name for c in CASES}) == len(CASES) >= 30
    assert {c.surface for c in CASES} == {"api", "cli"}
