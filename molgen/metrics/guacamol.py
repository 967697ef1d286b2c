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
from molgen.data.files import replacing
from molgen.metrics.fingerprints import nearest_neighbour_similarity
from molgen.parallel import map_chunks
from molgen.paths import cache_dir

DESCRIPTORS = ("BertzCT", "MolLogP", "MolWt", "TPSA", "NumHAcceptors", "NumHDonors", "NumRotatableBonds",
               "NumAliphaticRings", "NumAromaticRings")
CONTINUOUS = 4  # the first four are continuous, the rest counts
GUACAMOL_SAMPLES = 10_000
SUBSET_SEED = 42


def stereo_free_unique(smiles: Sequence[str], limit: int | None = None, *, as_molgen_reads: bool = False) -> list[str]:
    """Distinct valid canonical SMILES without stereo, in order of first appearance (the
    first ``limit`` of them: the rest is not parsed). ``as_molgen_reads``: valid as every other metric counts it
    (:func:`~molgen.chem.parse.parse_smiles`: 'CCO name' is no molecule, where RDKit reads CCO and drops the rest),
    for generated molecules; the reference keeps GuacaMol's own reading."""
    from molgen.chem.parse import parse_smiles

    seen: dict[str, None] = {}
    with quiet_rdkit():
        for s in smiles:
            if limit is not None and len(seen) >= limit:
                break
            if as_molgen_reads:
                parsed = parse_smiles(s)
                mol = parsed.mol if parsed.ok else None
            else:
                mol = Chem.MolFromSmiles(s)
            if mol is not None and mol.GetNumAtoms() > 0:  # GuacaMol's is_valid: "" is no molecule
                seen.setdefault(Chem.MolToSmiles(mol, isomericSmiles=False), None)
    return list(seen)


class ReferenceTooSmall(ValueError):
    """The KL score's reference holds fewer SMILES than the distinct generated molecules it is compared with."""


def random_subset(items: Sequence[str], size: int, seed: int = SUBSET_SEED) -> list[str]:
    """``size`` items without replacement, drawn as GuacaMol's ``get_random_subset`` draws them."""
    if len(items) < size:
        raise ReferenceTooSmall(f"the KL score's reference holds {len(items):,} SMILES, fewer than the {size:,} "
                                "distinct generated molecules it draws as many of (GuacaMol compares sets of one size)")
    rng = np.random.RandomState(seed)  # the legacy generator: same draws on every NumPy version
    return list(rng.choice(np.asarray(items, dtype=object), size, replace=False))


def _describe_chunk(smiles: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The nine descriptors and the ECFP4 (4096-bit) fingerprint of each valid molecule, one parse each."""
    calculator = MoleculeDescriptors.MolecularDescriptorCalculator(list(DESCRIPTORS))
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=4096)
    rows, fps = [], []
    with quiet_rdkit():
        for s in smiles:
            mol = Chem.MolFromSmiles(s)
            if mol is not None:
                values = np.array(calculator.CalcDescriptors(mol), dtype=float)
                values[~np.isfinite(values)] = 0.0
                rows.append(values)
                fps.append(generator.GetFingerprintAsNumPy(mol))
    return np.array(rows).reshape(-1, len(DESCRIPTORS)), np.array(fps, dtype=np.uint8).reshape(-1, 4096)


def _describe(smiles: Sequence[str], pool=None, n_jobs: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Descriptors of every molecule, and each one's highest ECFP4 Tanimoto similarity to
    another one of the set."""
    parts = map_chunks(_describe_chunk, smiles, pool=pool, n_jobs=n_jobs, chunk=2500)
    descriptors = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, len(DESCRIPTORS)))
    fps = np.concatenate([p[1] for p in parts]) if parts else np.zeros((0, 4096), dtype=np.uint8)
    return descriptors, nearest_neighbour_similarity(fps)


def _baseline(reference: Sequence[str], size: int, pool=None, n_jobs: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Descriptors and nearest-neighbour similarities of the reference subset, cached on disk
    under the reference and the size: for those two they never change."""
    reference = list(reference)
    recipe = f"\n#size {size}, subset seed {SUBSET_SEED}, stereo-free unique, {','.join(DESCRIPTORS)}, ECFP4 4096"
    key = hashlib.sha256(("\n".join(reference) + recipe).encode()).hexdigest()[:24]
    path = cache_dir("metrics") / f"guacamol-baseline-{key}.npz"
    if path.is_file():
        with np.load(path) as cached:
            return cached["descriptors"], cached["similarity"]
    descriptors, similarity = _describe(stereo_free_unique(random_subset(reference, size)), pool, n_jobs)
    with replacing(path) as partial, open(partial, "wb") as handle:   # a name of its own: two evaluations may fill it
        np.savez(handle, descriptors=descriptors, similarity=similarity)
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


def kl_divergence_score(generated: Sequence[str], reference: Sequence[str], n: int = GUACAMOL_SAMPLES, *,
                        pool=None, n_jobs: int | None = None) -> tuple[float | None, dict[str, float], int]:
    """GuacaMol's KL score of up to ``n`` distinct generated molecules against ``reference``.

    Returns (score, KL divergence per descriptor, number of molecules used); the score is
    ``None`` (not defined) with fewer than two distinct valid molecules, or when a
    continuous descriptor takes a single value (its kernel density does not exist). Raises
    :class:`ReferenceTooSmall` when ``reference`` has fewer SMILES than the molecules used.
    """
    unique = stereo_free_unique(generated, limit=n, as_molgen_reads=True)   # the valid molecules of every metric
    if len(unique) < 2:
        return None, {}, len(unique)
    d_ref, sim_ref = _baseline(reference, len(unique), pool, n_jobs)
    d_gen, sim_gen = _describe(unique, pool, n_jobs)
    kls: dict[str, float] = {}
    # a handful of molecules makes empty histogram bins (0/0), and one value for all no kernel density: that
    # descriptor's divergence is NaN and the score not defined (None), not a numpy warning on the terminal
    columns = [(name, continuous_kl if j < CONTINUOUS else discrete_kl, d_ref[:, j], d_gen[:, j])
               for j, name in enumerate(DESCRIPTORS)] + [("internal_similarity", continuous_kl, sim_ref, sim_gen)]
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, kl, ref, gen in columns:
            try:
                kls[name] = kl(ref, gen)
            except (np.linalg.LinAlgError, ValueError):
                kls[name] = math.nan
    if not all(math.isfinite(value) for value in kls.values()):
        return None, kls, len(unique)
    score = float(np.mean([math.exp(-value) for value in kls.values()]))
    return score, kls, len(unique)


def fcd_score(fcd: float | None) -> float | None:
    """GuacaMol's FCD score, exp(-0.2 * FCD)."""
    return None if fcd is None or not math.isfinite(fcd) else math.exp(-0.2 * fcd)
