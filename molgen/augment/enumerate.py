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

    Every row's ``seed_smiles`` is the canonical SMILES of its source molecule. An input row holding the
    same molecule as an earlier one (another spelling, perhaps another label) is still enumerated, as
    given, and its rows name that earlier row in ``same_molecule_as_row``, so conflicting labels can be
    found before training.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    rows, failed = [], []
    first_row: dict[str, int] = {}   # canonical SMILES -> the first input row holding it
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
            earlier = first_row.setdefault(source, line)
            for spelling in randomized_smiles(parsed.mol, k, seed + line, include_canonical=include_canonical):
                rows.append({"smiles": spelling, "method": "enumerate", "seed_smiles": source, "params": params,
                             "checkpoint": None, "input_row": line,
                             "same_molecule_as_row": earlier if earlier != line else None})
    columns = ["smiles", "method", "seed_smiles", "params", "checkpoint", "input_row"]
    return (pd.DataFrame(rows, columns=columns + ["same_molecule_as_row"]).astype({"same_molecule_as_row": "Int64"}),
            pd.DataFrame(failed, columns=columns + ["removed_because"]))


def repeated_inputs(rows: pd.DataFrame) -> str | None:
    """A note naming the input rows that repeat an earlier row's molecule, or None when none does."""
    if "same_molecule_as_row" not in rows.columns:
        return None
    pairs = rows.dropna(subset=["same_molecule_as_row"]).drop_duplicates("input_row")
    if pairs.empty:
        return None
    shown = ", ".join(f"row {r} = row {e}" for r, e in zip(pairs["input_row"].head(5), pairs["same_molecule_as_row"].head(5)))
    more = f" and {len(pairs) - 5:,} more" if len(pairs) > 5 else ""
    return (f"{len(pairs):,} input rows hold a molecule an earlier row holds ({shown}{more}); both are enumerated "
            "with their own columns, and column same_molecule_as_row marks the repeats: check their labels agree")
