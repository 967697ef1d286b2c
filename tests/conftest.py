"""Shared fixtures: every test runs with its own molgen cache and home, never the user's."""

from __future__ import annotations

import pytest

from molgen.data.registry import load_smiles


@pytest.fixture(scope="session", autouse=True)
def _isolated_molgen_dirs(tmp_path_factory):
    """One molgen cache and home for the whole session, never the user's."""
    root = tmp_path_factory.getbasetemp()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOLGEN_CACHE", str(root / "molgen-cache"))
        patch.setenv("MOLGEN_HOME", str(root / "molgen-home"))
        patch.delenv("MOLGEN_MOSES_WHEEL", raising=False)
        yield


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """A fresh, empty molgen cache for this test only (nothing fetched)."""
    monkeypatch.setenv("MOLGEN_CACHE", str(tmp_path / "empty-cache"))
    return tmp_path / "empty-cache"


@pytest.fixture(scope="session")
def sample_smiles() -> list[str]:
    """Every SMILES of the committed moses-sample (train, test, scaffold-test)."""
    return [s for split in ("train", "test", "test_scaffolds") for s in load_smiles("moses-sample", split)]


@pytest.fixture(scope="session")
def fetched_moses(_isolated_molgen_dirs):
    """MOSES fetched from the real molsets wheel into the session cache (skipped when no registry answers)."""
    from molgen.data import moses

    try:
        return moses.fetch_moses()
    except moses.DownloadError as error:
        pytest.skip(f"no package registry reachable to download {moses.WHEEL_REQUIREMENT}: {error}")
