"""Every notebook under notebooks/ runs top to bottom on the shipped checkpoints (and its asserts hold)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path):
    from molgen.models.base import shipped_checkpoint

    notebook = nbformat.read(path, as_version=4)
    missing = [f for f in notebook.metadata.get("molgen", {}).get("requires", []) if shipped_checkpoint(f) is None]
    if missing:
        pytest.skip(f"needs a shipped {', '.join(missing)} checkpoint, which this molgen does not have yet")
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]
    assert not errors
