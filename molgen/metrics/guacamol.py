"""GuacaMol's distribution-learning scores: the KL-divergence score and the FCD score.

KL score (Brown et al. 2019, ``KLDivBenchmark``): for nine RDKit descriptors and the
nearest-neighbour similarity within a set, the KL divergence between the reference and the
generated distribution (Gaussian KDE for continuous descriptors, a 10-bin histogram for the
counts), each mapped through exp(-KL) and averaged. The reference is a random subset of the
same size as the generated set drawn with NumPy's legacy generator seeded 42, and the
generated set is its distinct stereo-free canonical SMILES, both as GuacaMol does.
FCD score: exp(-0.2 * FCD).
"""

from __future__ import annotations

import hashlib
import math
from typing import Sequence

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator
from rdkit.ML.Descriptors import MoleculeDescriptors
from scipy.stats import entropy, gaussian_kde

from molgen.chem.rdkit_log import quiet_rdkit
from molgen.metrics.fingerprints import nearest_neighbour_similarity
from molgen.paths import cache_dir

DESCRIPTORS = ("BertzCT", "MolLogP", "MolWt", "TPSA", "NumHAcceptors", "NumHDonors", "NumRotatableBonds",
               "NumAliphaticRings", "NumAromaticRings")
CONTINUOUS = 4  # the first four are continuous, the rest counts
GUACAMOL_SAMPLES = 10_000
SUBSET_SEED = 42


def stereo_free_unique(smiles: Sequence[str]) -> list[str]:
    """Distinct valid canonical SMILES without stereo, in order of first appearance."""
    seen: dict[str, None] = {}
    with quiet_rdkit():
        for s in smiles:
            mol = Chem.MolFromSmiles(s)
            if mol is not None and mol.GetNumAtoms() > 0:  # GuacaMol's is_valid: "" is no molecule
                seen.setdefault(Chem.MolToSmiles(mol, isomericSmiles=False), None)
    return list(seen)


def random_subset(items: Sequence[str], size: int, seed: int = SUBSET_SEED) -> list[str]:
    """``size`` items without replacement, drawn as GuacaMol's ``get_random_subset`` draws them."""
    if len(items) < size:
        raise ValueError(f"the reference has {len(items)} molecules, fewer than the {size} needed")
    rng = np.random.RandomState(seed)  # the legacy generator: same draws on every NumPy version
    return list(rng.choice(np.asarray(items, dtype=object), size, replace=False))


def _descriptors(smiles: Sequence[str]) -> np.ndarray:
    calculator = MoleculeDescriptors.MolecularDescriptorCalculator(list(DESCRIPTORS))
    rows = []
    with quiet_rdkit():
        for s in smiles:
            mol = Chem.MolFromSmiles(s)
            if mol is not None:
                values = np.array(calculator.CalcDescriptors(mol), dtype=float)
                values[~np.isfinite(values)] = 0.0
                rows.append(values)
    return np.array(rows).reshape(-1, len(DESCRIPTORS))


def _nearest_neighbour_similarity(smiles: Sequence[str]) -> np.ndarray:
    """Each molecule's highest ECFP4 (4096-bit) Tanimoto similarity to another one of the set."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=4096)
    with quiet_rdkit():
        fps = [generator.GetFingerprintAsNumPy(m) for m in (Chem.MolFromSmiles(s) for s in smiles) if m is not None]
    return nearest_neighbour_similarity(np.array(fps, dtype=np.uint8).reshape(-1, 4096))


def _baseline(reference: Sequence[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Descriptors and nearest-neighbour similarities of the reference subset, cached on disk:
    for a fixed reference and size they never change."""
    subset = stereo_free_unique(random_subset(list(reference), size))
    key = hashlib.sha256("\n".join(subset).encode()).hexdigest()[:24]
    path = cache_dir("metrics") / f"guacamol-baseline-{key}.npz"
    if path.is_file():
        with np.load(path) as cached:
            return cached["descriptors"], cached["similarity"]
    descriptors, similarity = _descriptors(subset), _nearest_neighbour_similarity(subset)
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, descriptors=descriptors, similarity=similarity)
    partial.replace(path)
    return descriptors, similarity


def continuous_kl(reference: np.ndarray, sampled: np.ndarray) -> float:
    grid = np.linspace(min(reference.min(), sampled.min()), max(reference.max(), sampled.max()), num=1000)
    p = gaussian_kde(reference)(grid) + 1e-10
    q = gaussian_kde(sampled)(grid) + 1e-10
    return float(entropy(p, q))


def discrete_kl(reference: np.ndarray, sampled: np.ndarray) -> float:
    p, bins = np.histogram(reference, bins=10, density=True)
    q, _ = np.histogram(sampled, bins=bins, density=True)
    return float(entropy(p + 1e-10, q + 1e-10))


def kl_divergence_score(generated: Sequence[str], reference: Sequence[str],
                        n: int = GUACAMOL_SAMPLES) -> tuple[float | None, dict[str, float], int]:
    """GuacaMol's KL score of up to ``n`` distinct generated molecules against ``reference``.

    Returns (score, KL divergence per descriptor, number of molecules used); the score is
    ``None`` (not defined) with fewer than two distinct valid molecules, or when a
    continuous descriptor takes a single value (its kernel density does not exist).
    """
    unique = stereo_free_unique(generated)[:n]
    if len(unique) < 2:
        return None, {}, len(unique)
    d_ref, sim_ref = _baseline(reference, len(unique))
    d_gen = _descriptors(unique)
    kls: dict[str, float] = {}
    try:
        for j, name in enumerate(DESCRIPTORS):
            kl = continuous_kl if j < CONTINUOUS else discrete_kl
            kls[name] = kl(d_ref[:, j], d_gen[:, j])
        kls["internal_similarity"] = continuous_kl(sim_ref, _nearest_neighbour_similarity(unique))
    except (np.linalg.LinAlgError, ValueError):
        return None, kls, len(unique)
    score = float(np.mean([math.exp(-value) for value in kls.values()]))
    return score, kls, len(unique)


def fcd_score(fcd: float | None) -> float | None:
    """GuacaMol's FCD score, exp(-0.2 * FCD)."""
    return None if fcd is None or not math.isfinite(fcd) else math.exp(-0.2 * fcd)
