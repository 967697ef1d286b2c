"""SMILES enumeration: k randomized (non-canonical) spellings of each molecule.

The same molecule written k ways is the simplest augmentation for SMILES models (Bjerrum 2017;
Arús-Pous et al. 2019). RDKit draws the random atom orders; the seed fixes them.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd
from rdkit import Chem

from molgen.chem.parse import parse_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.augment.provenance import params_text


def randomized_smiles(mol: Chem.Mol, k: int, seed: int = 0, *, include_canonical: bool = False) -> list[str]:
    """Up to ``k`` distinct random spellings of ``mol`` (fewer when the molecule has fewer)."""
    canonical = Chem.MolToSmiles(mol)
    out: list[str] = [canonical] if include_canonical else []
    seen = set(out)
    attempts = 0
    while len(out) < k and attempts < 4:
        for text in Chem.MolToRandomSmilesVect(mol, max(4 * k, 8), randomSeed=seed + 7919 * attempts):
            if text not in seen:
                seen.add(text)
                out.append(text)
                if len(out) == k:
                    break
        attempts += 1
    return out


def enumerate_smiles(smiles: Sequence[str], k: int = 10, *, seed: int = 0, include_canonical: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enumerated rows (with provenance) and the inputs that could not be enumerated (with why).

    Every row's ``seed_smiles`` is the canonical SMILES of its source molecule.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    rows, failed = [], []
    params = params_text({"k": k, "seed": seed, "include_canonical": include_canonical})
    with quiet_rdkit():
        for line, text in enumerate(smiles, start=1):
            parsed = parse_smiles(text)
            if not parsed.ok:
                failed.append({"smiles": text, "method": "enumerate", "seed_smiles": None, "params": params,
                               "checkpoint": None, "input_row": line,
                               "removed_because": f"invalid input: {parsed.failure.value}: {parsed.message}"})
                continue
            source = Chem.MolToSmiles(parsed.mol)
            for spelling in randomized_smiles(parsed.mol, k, seed + line, include_canonical=include_canonical):
                rows.append({"smiles": spelling, "method": "enumerate", "seed_smiles": source, "params": params,
                             "checkpoint": None, "input_row": line})
    columns = ["smiles", "method", "seed_smiles", "params", "checkpoint", "input_row"]
    return pd.DataFrame(rows, columns=columns), pd.DataFrame(failed, columns=columns + ["removed_because"])
