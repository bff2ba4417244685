"""Every notebook in notebooks/ runs top to bottom, and is committed clean.

Each notebook runs in a fresh ``python3`` kernel in a temporary working
directory. The kernel inherits this process's environment, so it uses the test
database (``FIFTYONE_DATABASE_DIR``, set by conftest.py) and sends no usage data.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
# Seconds a single cell may take; the slowest cells build a small dataset.
CELL_TIMEOUT = 300


def test_the_four_notebooks_are_numbered():
    names = [path.name for path in NOTEBOOKS]
    assert [name[:3] for name in names] == ["01_", "02_", "03_", "04_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source
    text = path.read_text()
    # The App is shown, never launched: launch_app appears only in markdown.
    assert "launch_app" in text
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert "launch_app" not in cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_cleans_up(path, tmp_path):
    import fiftyone as fo
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    names = set(re.findall(r'"(seedselect-nb0\d-[a-z-]+)"', code))
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()

    # Every code cell ran, and none raised.
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None
            assert not [o for o in cell.outputs if o.output_type == "error"]
    # The datasets the notebook made are gone again (04 works on arrays only).
    assert bool(names) != path.name.startswith("04_")
    assert not names & set(fo.list_datasets())
