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


@pytest.fixture(scope="session")
def fetched_moses(tmp_path_factory):
    """A MOLGEN_CACHE holding MOSES fetched from the real molsets wheel (skipped when no registry answers)."""
    from molgen.data import moses

    cache = tmp_path_factory.mktemp("moses-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOLGEN_CACHE", str(cache))
        patch.delenv("MOLGEN_MOSES_WHEEL", raising=False)
        try:
            moses.fetch_moses()
        except moses.DownloadError as error:
            pytest.skip(f"no package registry reachable to download {moses.WHEEL_REQUIREMENT}: {error}")
    return cache
