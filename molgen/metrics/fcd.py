"""Fréchet ChemNet Distance with the ChemNet weights that ship in the ``fcd_torch`` wheel.

fcd_torch is the implementation MOSES itself calls, so using it (rather than re-deriving
the network) is what makes our FCD agree with the official numbers.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Sequence

import numpy as np

from molgen.parallel import map_chunks


@lru_cache(maxsize=1)
def _chemnet():
    from fcd_torch import FCD

    return FCD(device="cpu", n_jobs=1, batch_size=512)


def _chemnet_spelling(smiles: list[str]) -> list[str]:
    """Each SMILES as fcd_torch's ``SmilesDataset(canonize=True)`` re-spells it before encoding."""
    from rdkit import Chem

    spelled = []
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            raise ValueError(f"Got invalid SMILES '{s}'")
        spelled.append(Chem.MolToSmiles(mol))
    return spelled


def chemnet_activations(smiles: Sequence[str], batch_size: int = 512, pool=None, n_jobs: int | None = 1) -> np.ndarray:
    """ChemNet's penultimate activations (n, 512) of canonicalized SMILES, as fcd_torch encodes them.

    The canonicalization fcd_torch does per molecule (the same RDKit calls) runs first, in a
    process ``pool`` or on ``n_jobs`` processes (:mod:`molgen.parallel`); the network here.
    """
    import torch
    from fcd_torch.utils import SmilesDataset
    from torch.utils.data import DataLoader

    model = _chemnet().model
    spelled = [s for part in map_chunks(_chemnet_spelling, smiles, pool=pool, n_jobs=n_jobs, chunk=5000) for s in part]
    dataset = SmilesDataset(spelled, canonize=False)
    with torch.no_grad():
        return np.vstack([model(batch.transpose(1, 2).float()).numpy() for batch in DataLoader(dataset, batch_size=batch_size)])


def fcd_statistics(smiles: Sequence[str], pool=None, n_jobs: int | None = 1) -> dict[str, np.ndarray] | None:
    """Mean and covariance of ChemNet activations (``mu``, ``sigma``); ``None`` below 2 molecules."""
    smiles = list(smiles)
    if len(smiles) < 2:
        return None
    activations = chemnet_activations(smiles, pool=pool, n_jobs=n_jobs)
    return {"mu": activations.mean(0), "sigma": np.cov(activations.T)}


def frechet_distance(reference: dict[str, np.ndarray], generated: dict[str, np.ndarray], eps: float = 1e-6) -> float:
    """Fréchet distance between two Gaussians ``{"mu", "sigma"}``:
    ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 sqrt(S1 S2)), with the usual guards (a small ridge when
    the product's square root is not finite, the imaginary round-off dropped)."""
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(reference["mu"]), np.atleast_1d(generated["mu"])
    s1, s2 = np.atleast_2d(reference["sigma"]), np.atleast_2d(generated["sigma"])
    # a singular product (few or identical molecules) has a square root SciPy computes but warns of: its result is
    # used, as MOSES and fcd_torch use it, without the warning on a chemist's terminal
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(s1 @ s2)
        if not np.isfinite(covmean).all():
            ridge = np.eye(len(s1)) * eps
            covmean = linalg.sqrtm((s1 + ridge) @ (s2 + ridge))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"the covariance product has an imaginary square root ({np.abs(covmean.imag).max():.3g})")
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
