"""Per-molecule ingredients of the MOSES metrics, computed once per molecule in a process pool.

Each generated (or reference) molecule contributes a fingerprint (SNN, IntDiv), its BRICS
fragments (Frag), its Bemis-Murcko scaffold (Scaf), four properties (the Wasserstein
distances) and whether it passes the MOSES filters (Filters). Definitions follow MOSES
0.3.1 (`moses/metrics/utils.py`): fragments from ``FragmentOnBRICSBonds``, scaffolds with
at least two rings, properties from RDKit (SA from RDKit Contrib, identical to MOSES's copy).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors
from rdkit.Chem.Scaffolds import MurckoScaffold

from molgen.chem.rdkit_log import quiet_rdkit
from molgen.metrics.fingerprints import MOSES_FP_BITS, moses_fingerprint
from molgen.parallel import map_chunks
from molgen.scoring.alerts import passes_moses_filters
from molgen.scoring.properties import sa_score

PROPERTY_NAMES = ("logP", "SA", "QED", "weight")  # MOSES's names for the Wasserstein metrics
MIN_SCAFFOLD_RINGS = 2


def brics_fragments(mol: Chem.Mol) -> list[str]:
    """SMILES of the BRICS fragments of ``mol`` (with their dummy-atom attachment labels)."""
    return Chem.MolToSmiles(Chem.FragmentOnBRICSBonds(mol)).split(".")


def scaffold(mol: Chem.Mol, min_rings: int = MIN_SCAFFOLD_RINGS) -> str | None:
    """Bemis-Murcko scaffold SMILES, or ``None`` when it has fewer than ``min_rings`` rings."""
    try:
        core = MurckoScaffold.GetScaffoldForMol(mol)
    except (ValueError, RuntimeError):
        return None
    smiles = Chem.MolToSmiles(core)
    if smiles == "" or core.GetRingInfo().NumRings() < min_rings:
        return None
    return smiles


@dataclass
class Described:
    """The metric ingredients of a list of molecules, row-aligned."""

    fps: np.ndarray                              # (n, 1024) uint8
    properties: dict[str, np.ndarray]            # logP, SA, QED, weight
    passes_filters: np.ndarray                   # (n,) bool
    fragments: Counter = field(default_factory=Counter)
    scaffolds: Counter = field(default_factory=Counter)


def _properties(mol: Chem.Mol) -> tuple[float, float, float, float]:
    """logP, SA, QED and molecular weight. QED computes logP and weight on its way (on the
    molecule without explicit hydrogens), so those are reused rather than computed twice,
    unless the molecule has explicit hydrogen atoms, where the two could differ."""
    if any(atom.GetAtomicNum() == 1 for atom in mol.GetAtoms()):
        return Crippen.MolLogP(mol), sa_score(mol), QED.qed(mol), Descriptors.MolWt(mol)
    ingredients = QED.properties(mol)
    return ingredients.ALOGP, sa_score(mol), QED.qed(mol, qedProperties=ingredients), ingredients.MW


def _describe_chunk(smiles: list[str]) -> tuple:
    fps = np.zeros((len(smiles), MOSES_FP_BITS), dtype=np.uint8)
    props = np.zeros((len(smiles), len(PROPERTY_NAMES)))
    passes = np.zeros(len(smiles), dtype=bool)
    fragments: Counter = Counter()
    scaffolds: Counter = Counter()
    with quiet_rdkit():
        for i, s in enumerate(smiles):
            mol = Chem.MolFromSmiles(s)
            fps[i] = moses_fingerprint(mol)
            props[i] = _properties(mol)
            passes[i] = passes_moses_filters(mol)
            fragments.update(brics_fragments(mol))
            core = scaffold(mol)
            if core is not None:
                scaffolds[core] += 1
    return fps, props, passes, fragments, scaffolds


def describe(canonical_smiles: Sequence[str], *, n_jobs: int | None = None, progress: bool = False,
             chunk: int = 2000, pool=None) -> Described:
    """Describe valid canonical SMILES (duplicates count as many times as they appear), in
    ``pool`` when given (see :mod:`molgen.parallel`), else on ``n_jobs`` processes."""
    results = map_chunks(_describe_chunk, canonical_smiles, pool=pool, n_jobs=n_jobs, chunk=chunk, progress=progress)
    fragments: Counter = Counter()
    scaffolds: Counter = Counter()
    for part in results:
        fragments.update(part[3])
        scaffolds.update(part[4])
    fps = np.concatenate([p[0] for p in results]) if results else np.zeros((0, MOSES_FP_BITS), dtype=np.uint8)
    props = np.concatenate([p[1] for p in results]) if results else np.zeros((0, len(PROPERTY_NAMES)))
    passes = np.concatenate([p[2] for p in results]) if results else np.zeros(0, dtype=bool)
    return Described(fps, {name: props[:, j] for j, name in enumerate(PROPERTY_NAMES)}, passes, fragments, scaffolds)
