"""Diversity: MaxMin picking, Butina clustering, and "the best N, no two more similar than t"."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rdkit import DataStructs
from rdkit.ML.Cluster import Butina
from rdkit.SimDivFilters.rdSimDivPickers import MaxMinPicker


def maxmin_pick(fingerprints: Sequence, n: int, seed: int = 0) -> list[int]:
    """Indices of ``n`` mutually dissimilar molecules (RDKit's lazy MaxMin picker), seeded."""
    if n >= len(fingerprints):
        return list(range(len(fingerprints)))
    picker = MaxMinPicker()
    return list(picker.LazyBitVectorPick(list(fingerprints), len(fingerprints), n, seed=seed))


def butina_clusters(fingerprints: Sequence, threshold: float = 0.4) -> list[int]:
    """Butina cluster id of every molecule (0 is the largest cluster) at Tanimoto distance ``threshold``."""
    fps = list(fingerprints)
    distances: list[float] = []
    for i in range(1, len(fps)):
        distances.extend(1.0 - np.array(DataStructs.BulkTanimotoSimilarity(fps[i], fps[:i])))
    clusters = Butina.ClusterData(distances, len(fps), threshold, isDistData=True, reordering=True)
    labels = [0] * len(fps)
    for cluster_id, members in enumerate(sorted(clusters, key=len, reverse=True)):
        for member in members:
            labels[member] = cluster_id
    return labels


def diverse_top(fingerprints: Sequence, order: Sequence[int], n: int, max_similarity: float) -> list[int]:
    """Walk ``order`` (best first) and keep a molecule only if its Tanimoto similarity to every
    one kept so far is at most ``max_similarity``; stop at ``n``. Returns the kept indices."""
    kept: list[int] = []
    kept_fps: list = []
    if n < 1:
        return kept
    for i in order:
        if kept_fps and max(DataStructs.BulkTanimotoSimilarity(fingerprints[i], kept_fps)) > max_similarity:
            continue
        kept.append(int(i))
        kept_fps.append(fingerprints[i])
        if len(kept) == n:
            break
    return kept
