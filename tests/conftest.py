"""Shared fixtures.

FiftyOne runs on its embedded MongoDB in a temporary database directory, so the
tests neither see nor change what a user keeps under ``~/.fiftyone``.
"""

from __future__ import annotations

import os
import tempfile
import uuid

os.environ["FIFTYONE_DO_NOT_TRACK"] = "true"
os.environ.setdefault(
    "FIFTYONE_DATABASE_DIR", tempfile.mkdtemp(prefix="seedselect-tests-db-")
)

import numpy as np  # noqa: E402
import pytest  # noqa: E402


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--seed",
        action="store",
        default=None,
        type=int,
        help="seed for the random_seed fixture (default: a fixed seed, 0)",
    )


@pytest.fixture
def random_seed(request: pytest.FixtureRequest) -> int:
    """A seed that CI can sweep with ``--seed``."""
    seed = request.config.getoption("--seed")
    return 0 if seed is None else int(seed)


@pytest.fixture
def rng(random_seed: int) -> np.random.Generator:
    return np.random.default_rng(random_seed)


@pytest.fixture
def dataset_name() -> str:
    """A unique dataset name; datasets made under it are deleted afterwards."""
    return f"seedselect-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_dataset():
    """Factory of empty non-persistent datasets, deleted when the test ends."""
    import fiftyone as fo

    made = []

    def _make(name: str | None = None):
        ds = fo.Dataset(name or f"seedselect-test-{uuid.uuid4().hex[:12]}")
        made.append(ds)
        return ds

    yield _make
    for ds in made:
        if not ds.deleted:
            ds.delete()
