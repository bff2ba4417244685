"""The public API: what each package exports is what it lists in ``__all__``."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = [
    "seedselect",
    "seedselect.scores",
    "seedselect.selection",
    "seedselect.fo",
    "seedselect.reports",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_all_names_resolve(package: str) -> None:
    module = importlib.import_module(package)
    assert len(module.__all__) == len(set(module.__all__))
    for name in module.__all__:
        assert getattr(module, name) is not None, name


@pytest.mark.parametrize("package", PACKAGES)
def test_public_names_are_listed(package: str) -> None:
    module = importlib.import_module(package)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, type(sys))
    }
    public -= {"annotations", "importlib", "Any"}
    assert public <= set(module.__all__)


def test_core_does_not_import_fiftyone() -> None:
    code = "import sys, seedselect, seedselect.scores; print('fiftyone' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
