"""Workbench fixtures: a run in the session's store, made with the tiny test model."""

from __future__ import annotations

from pathlib import Path

import pytest

from molgen.runs import RunStore, generate

PAGES = Path(__file__).resolve().parents[2] / "workbench" / "views"


@pytest.fixture(scope="session")
def stored_run(tiny_checkpoint):
    """A finished run of 60 molecules in the session's run store ($MOLGEN_HOME)."""
    with RunStore() as store:
        return generate(str(tiny_checkpoint), 60, seed=11, store=store, progress=False, name="fixture-run").id
