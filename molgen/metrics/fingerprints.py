"""Tanimoto statistics over bit fingerprints, done as matrix products.

MOSES's SNN and IntDiv need, for every generated molecule, the maximum (or the mean of a
power of) its Tanimoto similarity to tens of thousands of molecules. The intersection
counts of two sets of 0/1 vectors are one matrix product, which BLAS does fast on any CPU;
bfloat16 holds 0/1 exactly and products are accumulated in float32, so the counts are exact
integers. Fingerprints are 1024-bit Morgan radius 2, as MOSES uses.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

MOSES_FP_RADIUS, MOSES_FP_BITS = 2, 1024


@lru_cache(maxsize=1)
def _generator():
    return rdFingerprintGenerator.GetMorganGenerator(radius=MOSES_FP_RADIUS, fpSize=MOSES_FP_BITS)


def moses_fingerprint(mol: Chem.Mol) -> np.ndarray:
    """1024-bit Morgan radius-2 fingerprint as a 0/1 uint8 vector (MOSES's ``fingerprint(mol, 'morgan')``)."""
    return _generator().GetFingerprintAsNumPy(mol).astype(np.uint8)


def _as_matrix(fps: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(fps)).to(dtype)


def _tanimoto_block(ref: torch.Tensor, ref_counts: torch.Tensor, gen: torch.Tensor, gen_counts: torch.Tensor) -> torch.Tensor:
    both = (gen @ ref.T).float()  # intersections, exact in float32 accumulation
    union = gen_counts[:, None] + ref_counts[None, :] - both
    # Two empty fingerprints: MOSES counts them as identical (0/0 -> 1).
    return torch.where(union > 0, both / union.clamp(min=1), torch.ones_like(both))


def max_tanimoto(gen_fps: np.ndarray, ref_fps: np.ndarray, block: int = 4096, dtype: torch.dtype = torch.bfloat16) -> np.ndarray:
    """For each row of ``gen_fps``, the highest Tanimoto similarity to any row of ``ref_fps``."""
    if len(gen_fps) == 0 or len(ref_fps) == 0:
        return np.zeros(len(gen_fps))
    gen = _as_matrix(gen_fps, dtype)
    gen_counts = gen.float().sum(1)
    best = torch.zeros(len(gen_fps))
    for start in range(0, len(ref_fps), block):
        ref = _as_matrix(ref_fps[start:start + block], dtype)
        sims = _tanimoto_block(ref, ref.float().sum(1), gen, gen_counts)
        best = torch.maximum(best, sims.max(dim=1).values)
    return best.numpy().astype(np.float64)


def mean_tanimoto_powers(fps: np.ndarray, powers: tuple[int, ...] = (1, 2), block: int = 4096,
                         dtype: torch.dtype = torch.bfloat16) -> dict[int, np.ndarray]:
    """For each row, mean over all rows (itself included) of Tanimoto**p, for each ``p``."""
    n = len(fps)
    sums = {p: torch.zeros(n, dtype=torch.float64) for p in powers}
    if n == 0:
        return {p: np.zeros(0) for p in powers}
    matrix = _as_matrix(fps, dtype)
    counts = matrix.float().sum(1)
    for start in range(0, n, block):
        ref = matrix[start:start + block]
        sims = _tanimoto_block(ref, counts[start:start + block], matrix, counts).double()
        for p in powers:
            sums[p] += (sims if p == 1 else sims ** p).sum(dim=1)
    return {p: (total / n).numpy() for p, total in sums.items()}
