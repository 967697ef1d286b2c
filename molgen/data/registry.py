"""The dataset registry: named datasets (``moses``, ``moses-sample``) and user files.

``load_smiles("moses", "train")`` and ``load_smiles("my_series.csv")`` are the one way the
rest of molgen reads molecules, so a model trains on a registered dataset or a user's file
the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from molgen.data import moses
from molgen.data.files import read_molecules

SAMPLE_DIR = Path(__file__).parent / "samples" / "moses-sample"


@dataclass(frozen=True)
class DatasetEntry:
    """A named dataset: where it comes from, its splits, and how to fetch and read it."""

    name: str
    description: str
    source: str
    splits: tuple[str, ...]
    load: Callable[[str], list[str]]
    is_available: Callable[[], bool]
    location: Callable[[], Path]
    fetch: Callable[[], Path] | None = None
    expected_sizes: dict[str, int] | None = None


def _load_sample(split: str) -> list[str]:
    if split not in ("train", "test", "test_scaffolds"):
        raise KeyError(f"unknown moses-sample split {split!r}; known: train, test, test_scaffolds")
    return pd.read_csv(SAMPLE_DIR / f"{split}.csv")["SMILES"].astype(str).tolist()


REGISTRY: dict[str, DatasetEntry] = {
    "moses": DatasetEntry(
        name="moses",
        description="MOSES benchmark (ZINC clean leads): train, test, scaffold-test SMILES and FCD statistics",
        source=f"PyPI wheel {moses.WHEEL_REQUIREMENT} (sha256 {moses.WHEEL_SHA256[:12]}...), data files only",
        splits=moses.SPLITS,
        load=moses.load_moses_split,
        is_available=moses.is_fetched,
        location=moses.moses_dir,
        fetch=moses.fetch_moses,
        expected_sizes=dict(moses.SPLIT_SIZES),
    ),
    "moses-sample": DatasetEntry(
        name="moses-sample",
        description="A seeded sample of MOSES (5,000 train, 1,000 test, 1,000 scaffold-test) shipped with molgen",
        source="committed in the package; recipe in datasets/moses-sample/make_sample.py",
        splits=("train", "test", "test_scaffolds"),
        load=_load_sample,
        is_available=lambda: SAMPLE_DIR.is_dir(),
        location=lambda: SAMPLE_DIR,
        expected_sizes={"train": 5000, "test": 1000, "test_scaffolds": 1000},   # what make_sample.py draws
    ),
}


def get_dataset(name: str) -> DatasetEntry:
    """The registry entry called ``name``; ``KeyError`` lists the known names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(REGISTRY)}") from None


def load_smiles(name_or_path: str | Path, split: str = "train", *, smiles_column: str | None = None) -> list[str]:
    """SMILES of a registered dataset's split, or of a user file (``split`` ignored), in order.

    For a file, every record is returned, invalid SMILES included; an SDF record that could
    not be read comes back as an empty string so its position is kept.
    """
    if str(name_or_path) in REGISTRY:
        entry = REGISTRY[str(name_or_path)]
        if not entry.is_available():
            raise FileNotFoundError(f"dataset {entry.name} is not fetched: run `molgen data fetch {entry.name}`")
        return entry.load(split)
    path = Path(name_or_path)
    if not path.exists():
        raise KeyError(f"{name_or_path!r} is neither a registered dataset ({', '.join(REGISTRY)}) nor a file")
    frame = read_molecules(path, smiles_column=smiles_column)
    return ["" if s is None else str(s) for s in frame["smiles"]]
