"""Sampling helpers for the graph diffusion model: validity, sampling through training labels, and
the label prior a conditional checkpoint carries for its untargeted samples."""

from __future__ import annotations

import numpy as np
import torch


def validity(model, n: int, *, steps: int | None = None, seed: int = 0) -> tuple[float, list[str]]:
    """Fraction of n sampled graphs RDKit sanitizes as sampled (largest fragment kept, nothing corrected), and the SMILES."""
    samples = model.sample(n, seed=seed, steps=steps)
    smiles = [s.smiles for s in samples]
    return float(np.mean([bool(s) for s in smiles])), smiles


def label_prior(sizes, labels, rows: int = 4096, seed: int = 0) -> list[list[float]]:
    """``rows`` training molecules drawn at random (seeded), each as ``[atoms, *raw labels]``, for
    ``config.label_prior``: :meth:`GraphDiffusion.sample` then gives each untargeted graph one such
    row. Molecules with a label RDKit could not compute are left out; labels keep 4 decimals."""
    sizes, labels = np.asarray(sizes), np.asarray(labels, dtype=np.float64)
    if labels.ndim != 2 or len(labels) != len(sizes):
        raise ValueError(f"labels must have one row per size: got {labels.shape} for {len(sizes)} sizes")
    complete = np.flatnonzero(~np.isnan(labels).any(axis=1))
    picked = np.sort(np.random.default_rng(seed).choice(complete, min(rows, len(complete)), replace=False))
    return [[int(sizes[i]), *(round(float(v), 4) for v in labels[i])] for i in picked]


def sample_with_labels(model, sizes, labels, *, steps: int | None = None, seed: int = 0) -> list:
    """One molecule per row: a graph of ``sizes[i]`` atoms denoised towards the raw property values
    ``labels[i]`` (the model's conditions, in order; NaN = not asked for), through the conditional
    branch; valid exactly as :meth:`GraphDiffusion.sample` reports it.

    Given the atom counts and labels of training molecules drawn at random, this samples the data
    distribution through the branch trained on most examples, not the unconditional one (trained on
    the ~10% whose targets were dropped). Each size is drawn with its own molecule's properties: a
    molecular weight and an atom count that disagree make invalid graphs.
    """
    from molgen.models.training import normalised_conditions

    conditions = model.config.conditions
    if not conditions:
        raise ValueError("this model is not conditional; sample it with model.sample")
    sizes = torch.as_tensor(np.asarray(sizes), dtype=torch.long)
    labels = np.asarray(labels, dtype=np.float32)
    if labels.shape != (len(sizes), len(conditions)):
        raise ValueError(f"labels must be one row of {', '.join(conditions)} per size: got {labels.shape} "
                         f"for {len(sizes)} sizes")
    values = normalised_conditions(model, labels, np.arange(len(labels)))
    return model.sample_sizes(sizes, steps=steps, targets=values, generator=torch.Generator().manual_seed(seed))
