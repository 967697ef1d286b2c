"""Shared fixtures: every test runs with its own molgen cache and home, never the user's."""

from __future__ import annotations

import os

# `make test` runs the suite in pytest-xdist workers that share the machine's cores: give each
# worker its share of OpenMP threads (before torch is imported), or the workers' thread pools
# oversubscribe the cores and every tensor operation waits on the others.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    _share = (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, _share)))

import pytest

from molgen.data.registry import load_smiles
from molgen.data.tokenizer import SmilesVocabulary
from molgen.models.smiles_lm.config import SmilesLMConfig, TrainConfig
from molgen.models.smiles_lm.model import SmilesLM
from molgen.models.smiles_lm.train import train


#: The files that take longest, run first: pytest-xdist hands files to its workers in collection
#: order (`make test` passes --no-loadscope-reorder, or xdist orders them by their number of tests), and a long
#: file handed out last runs alone while the other worker idles. Longest first, from `pytest --durations`
#: (a clean-clone CI took 812 s with xdist's order, which left the browser and official-agreement files to the end).
SLOWEST_FILES_FIRST = ("tests/workbench/test_browser.py", "tests/test_cli.py", "tests/workbench/test_pages.py",
                       "tests/models/test_graph_vae.py", "tests/metrics/test_official_agreement.py",
                       "tests/notebooks/test_notebooks.py", "tests/runs/test_runs.py")


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(SLOWEST_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order


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


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A tiny SMILES LSTM trained on the committed sample (about 30% valid): fast enough to generate runs in tests.

    Trained once per test run: pytest-xdist workers share it through their common temporary folder,
    the first to need it training it under a lock (50 s of one thread)."""
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the folder the workers' own folders lie in
    out = shared / "tiny-lm" / "tiny.pt"
    with FileLock(str(shared / "tiny-lm.lock")):
        if not out.exists():
            smiles = load_smiles("moses-sample", "train")
            vocabulary = SmilesVocabulary.from_smiles(smiles + load_smiles("moses-sample", "test"))
            config = SmilesLMConfig(arch="lstm", vocab_size=len(vocabulary), embed_dim=32, hidden_dim=256, lstm_layers=1,
                                    dropout=0.0)
            out.parent.mkdir(exist_ok=True)
            import torch

            torch.manual_seed(0)  # the initial weights (torch seeds its generator at random in each process)
            train(SmilesLM(config, vocabulary), smiles[:4000], smiles[4000:],
                  TrainConfig(batch_size=64, max_steps=500, eval_every=500, warmup_steps=20, lr=5e-3),
                  out, data_name="moses-sample", progress=False)
    return out
