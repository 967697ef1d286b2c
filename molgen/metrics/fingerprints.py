"""Tanimoto statistics over bit fingerprints, done as matrix products.

MOSES's SNN and IntDiv need, for every generated molecule, the maximum (or the mean of a
power of) its Tanimoto similarity to tens of thousands of molecules. The intersection
counts of two sets of 0/1 vectors are one matrix product, in int8 (``torch._int_mm``, int32
counts) or in float32; both are exact (counts are at most 1024), so only the speed differs, and
by two orders of magnitude between CPUs: int8 was about twice as fast as bfloat16 on an AVX-512
VNNI machine, and about 100 times slower than float32 on an AVX2-only one. :func:`fastest_dtype`
times one small product in each, once per process. (bfloat16 is not offered: its output holds
integers exactly only up to 256.)
Fingerprints are 1024-bit Morgan radius 2, as MOSES uses.
"""

from __future__ import annotations

import time
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


def _int8_matmul_works() -> bool:
    try:
        probe = torch.ones(17, 8, dtype=torch.int8)
        return int(torch._int_mm(probe, probe.T.contiguous())[0, 0]) == 8
    except (AttributeError, RuntimeError):
        return False


def product_seconds(dtype: torch.dtype, rows: int = 64, cols: int = 1024, repeats: int = 2) -> float:
    """Best time of ``repeats`` intersection products of ``rows`` x ``cols`` random fingerprints in ``dtype``."""
    generator = torch.Generator().manual_seed(0)
    gen = (torch.rand(rows, MOSES_FP_BITS, generator=generator) < 0.05).to(dtype)
    ref = (torch.rand(cols, MOSES_FP_BITS, generator=generator) < 0.05).to(dtype)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        _intersections(gen, ref, as_float=False)
        best = min(best, time.perf_counter() - started)
    return best


@lru_cache(maxsize=1)
def fastest_dtype() -> torch.dtype:
    """The dtype whose intersection product runs fastest on this CPU (timed once; every dtype is exact).

    A small product suffices: on a CPU without fast int8 kernels the slow path is slow at
    every size (39 s against 0.42 s for float32 at 1,024 x 8,192 on an AVX2-only EPYC;
    ``benchmarks/metrics.py --products``).
    """
    candidates = [torch.float32] + ([torch.int8] if _int8_matmul_works() else [])
    return min(candidates, key=product_seconds)


def _as_matrix(fps: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(fps)).to(dtype)


def _intersections(gen: torch.Tensor, ref: torch.Tensor, as_float: bool = True) -> torch.Tensor:
    """(len(gen), len(ref)) counts of shared on-bits (exact integers), as float32 or as computed."""
    if gen.dtype != torch.int8:
        return (gen @ ref.T).float()
    # torch._int_mm wants more than 16 rows and a multiple of 8 columns: pad with empty rows, then cut them off.
    rows, cols = len(gen), len(ref)
    pad_rows, pad_cols = max(0, 17 - rows), (-cols) % 8
    if pad_rows:
        gen = torch.cat([gen, gen.new_zeros(pad_rows, gen.shape[1])])
    if pad_cols:
        ref = torch.cat([ref, ref.new_zeros(pad_cols, ref.shape[1])])
    counts = torch._int_mm(gen, ref.T.contiguous())[:rows, :cols]
    return counts.float() if as_float else counts


def _tanimoto_block(ref: torch.Tensor, ref_counts: torch.Tensor, gen: torch.Tensor, gen_counts: torch.Tensor) -> torch.Tensor:
    """(len(gen), len(ref)) Tanimoto similarities; two empty fingerprints count as identical (MOSES: 0/0 -> 1)."""
    both = _intersections(gen, ref)
    union = (ref_counts[None, :] - both).add_(gen_counts[:, None])
    sims = both.div_(union.clamp_(min=1.0))  # in place: these blocks are large
    if (gen_counts == 0).any() and (ref_counts == 0).any():
        sims[(gen_counts == 0)[:, None] & (ref_counts == 0)[None, :]] = 1.0
    return sims


def max_tanimoto(gen_fps: np.ndarray, ref_fps: np.ndarray, block: int = 8192, dtype: torch.dtype | None = None) -> np.ndarray:
    """For each row of ``gen_fps``, the highest Tanimoto similarity to any row of ``ref_fps``.

    Against references with the same on-bit count b, Tanimoto I / (a + b - I) only grows with
    the intersection I, so the best of them is the one with the largest I. References are
    sorted by count, and each equal-count run of columns is reduced to its largest intersection
    before any division: every pair is still read once (a max over integers), but the divisions
    shrink from one per pair to one per (molecule, count), with the same float32 result as
    dividing every pair.
    """
    if len(gen_fps) == 0 or len(ref_fps) == 0:
        return np.zeros(len(gen_fps))
    dtype = dtype or fastest_dtype()
    gen_all = _as_matrix(gen_fps, dtype)
    gen_counts_all = torch.from_numpy(np.asarray(gen_fps, dtype=np.float32).sum(1))
    ref_counts = np.asarray(ref_fps, dtype=np.float32).sum(1)
    order = np.argsort(ref_counts, kind="stable")
    ref_fps, ref_counts = np.asarray(ref_fps)[order], ref_counts[order]
    best = torch.zeros(len(gen_fps))
    for r0 in range(0, len(ref_fps), block):
        ref = _as_matrix(ref_fps[r0:r0 + block], dtype)
        counts, starts = np.unique(ref_counts[r0:r0 + block], return_index=True)
        ends = np.append(starts[1:], len(ref))
        for g0 in range(0, len(gen_fps), block):  # gen in blocks too: keeps each product ~256 MB
            both = _intersections(gen_all[g0:g0 + block], ref, as_float=False)
            gen_counts = gen_counts_all[g0:g0 + block]
            top = best[g0:g0 + block]
            for count, first, last in zip(counts.tolist(), starts.tolist(), ends.tolist()):
                most = both[:, first:last].amax(dim=1).float()
                union = (gen_counts + count - most).clamp_(min=1.0)   # both empty: 0 / 1 -> set to 1 below
                sims = most / union
                if count == 0:
                    sims[gen_counts == 0] = 1.0
                torch.maximum(top, sims, out=top)
    return best.numpy().astype(np.float64)


def mean_tanimoto_powers(fps: np.ndarray, powers: tuple[int, ...] = (1, 2), block: int = 4096,
                         dtype: torch.dtype | None = None) -> dict[int, np.ndarray]:
    """For each row, mean over all rows (itself included) of Tanimoto**p, for each ``p``.

    The similarity matrix is symmetric, so only the blocks on and above the diagonal are
    computed: a block off the diagonal adds its row sums to its rows and its column sums to
    its columns (half the products of computing every block).
    """
    n = len(fps)
    if n == 0:
        return {p: np.zeros(0) for p in powers}
    sums = {p: torch.zeros(n, dtype=torch.float64) for p in powers}
    matrix = _as_matrix(fps, dtype or fastest_dtype())
    counts = torch.from_numpy(np.asarray(fps, dtype=np.float32).sum(1))
    for i in range(0, n, block):
        for j in range(i, n, block):
            sims = _tanimoto_block(matrix[j:j + block], counts[j:j + block], matrix[i:i + block], counts[i:i + block])
            for p in powers:
                powered = sims if p == 1 else sims ** p
                sums[p][i:i + block] += powered.sum(dim=1)  # float32 within a block, as MOSES sums
                if j != i:
                    sums[p][j:j + block] += powered.sum(dim=0)
    return {p: (total / n).numpy() for p, total in sums.items()}


def nearest_neighbour_similarity(fps: np.ndarray, block: int = 4096, dtype: torch.dtype | None = None) -> np.ndarray:
    """For each row, the highest Tanimoto similarity to any *other* row (0 for a single row)."""
    n = len(fps)
    best = torch.zeros(n)
    if n < 2:
        return best.numpy().astype(np.float64)
    matrix = _as_matrix(fps, dtype or fastest_dtype())
    counts = torch.from_numpy(np.asarray(fps, dtype=np.float32).sum(1))
    for start in range(0, n, block):
        sims = _tanimoto_block(matrix, counts, matrix[start:start + block], counts[start:start + block])
        rows = torch.arange(start, min(start + block, n))
        sims[rows - start, rows] = -1.0  # not itself
        best[start:start + block] = sims.max(dim=1).values
    return best.numpy().astype(np.float64)
