"""Reference statistics a generated set is compared with, precomputed once and cached.

For MOSES the statistics shipped in the molsets wheel are used as they are (FCD mean and
covariance, fingerprints, fragment and scaffold counts, property values), exactly what
``moses.get_all_metrics`` reads. Any other reference (a dataset name, a file, a list of
SMILES) is described with the same code as generated molecules and cached by content hash.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from molgen.chem.parse import canonical_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.data.files import replacing
from molgen.metrics.describe import PROPERTY_NAMES, describe
from molgen.metrics.fcd import fcd_statistics
from molgen.paths import cache_dir


@dataclass
class ReferenceStats:
    """Everything the metrics need from one reference set."""

    name: str
    size: int
    fcd: dict[str, np.ndarray] | None
    fps: np.ndarray
    fragments: Counter
    scaffolds: Counter
    properties: dict[str, np.ndarray]
    #: the SMILES given (``size`` of them are molecules); None for MOSES's shipped statistics and older caches
    given: int | None = None


@lru_cache(maxsize=2)
def moses_reference(split: str = "test") -> ReferenceStats:
    """MOSES test (``test``) or scaffold-test (``test_scaffolds``) statistics from the molsets wheel."""
    from molgen.data.moses import SPLIT_SIZES, load_moses_stats

    stats = load_moses_stats(split)
    return ReferenceStats(
        name=f"moses/{split}",
        size=SPLIT_SIZES[split],
        fcd={"mu": np.asarray(stats["FCD"]["mu"]), "sigma": np.asarray(stats["FCD"]["sigma"])},
        fps=np.asarray(stats["SNN"]["fps"], dtype=np.uint8),
        fragments=Counter(stats["Frag"]["frag"]),
        scaffolds=Counter(stats["Scaf"]["scaf"]),
        properties={name: np.asarray(stats[name]["values"], dtype=float) for name in PROPERTY_NAMES},
    )


def compute_reference(smiles: Sequence[str], name: str = "custom", *, n_jobs: int | None = None,
                      cache: bool = True, pool=None) -> ReferenceStats:
    """Statistics of an arbitrary reference set: its valid molecules (``size``) of the SMILES ``given``, an invalid
    one skipped and counted (MOSES's own reference is all valid; its FCD raises on an invalid SMILES)."""
    smiles = list(smiles)
    key = hashlib.sha256(("\n".join(smiles)).encode()).hexdigest()[:24]
    path = cache_dir("metrics") / f"reference-{key}.pkl"
    if cache and path.is_file():
        with open(path, "rb") as handle:
            return pickle.load(handle)  # our own cache file, written below
    with quiet_rdkit():
        canonical = [c for c in (canonical_smiles(s) for s in smiles) if c is not None]
    described = describe(canonical, pool=pool, n_jobs=n_jobs)
    stats = ReferenceStats(name, len(canonical), fcd_statistics(canonical, pool=pool, n_jobs=n_jobs), described.fps,
                           described.fragments, described.scaffolds, described.properties, given=len(smiles))
    if cache:
        # a name of its own: two evaluations filling one cache share no file
        with replacing(path) as partial, open(partial, "wb") as handle:
            pickle.dump(stats, handle)
    return stats
