"""Shared fixtures: every test runs with its own molgen cache and home, never the user's."""

from __future__ import annotations

import pytest

from molgen.data.registry import load_smiles


@pytest.fixture(autouse=True)
def _isolated_molgen_dirs(tmp_path_factory, monkeypatch):
    root = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("MOLGEN_CACHE", str(root / "molgen-cache"))
    monkeypatch.setenv("MOLGEN_HOME", str(root / "molgen-home"))


@pytest.fixture(scope="session")
def sample_smiles() -> list[str]:
    """Every SMILES of the committed moses-sample (train, test, scaffold-test)."""
    return [s for split in ("train", "test", "test_scaffolds") for s in load_smiles("moses-sample", split)]
