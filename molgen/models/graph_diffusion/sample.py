"""Sampling helpers for the graph diffusion model: validity and step-count sweeps."""

from __future__ import annotations

import numpy as np


def validity(model, n: int, *, steps: int | None = None, seed: int = 0) -> tuple[float, list[str]]:
    """Fraction of n sampled graphs RDKit sanitizes as sampled (largest fragment kept, nothing corrected), and the SMILES."""
    samples = model.sample(n, seed=seed, steps=steps)
    smiles = [s.smiles for s in samples]
    return float(np.mean([bool(s) for s in smiles])), smiles
