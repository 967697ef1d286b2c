"""Seeded train / valid / test splits: random, and by Bemis-Murcko scaffold."""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

import numpy as np
from rdkit.Chem.Scaffolds import MurckoScaffold

from molgen.chem.parse import molecule_list, to_mol
from molgen.chem.rdkit_log import quiet_rdkit

SPLIT_NAMES = ("train", "valid", "test")


def _check(fractions: Sequence[float]) -> tuple[float, float, float]:
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1 (train, valid, test), got {tuple(fractions)}")
    return tuple(fractions)  # type: ignore[return-value]


def random_split(n: int, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> dict[str, list[int]]:
    """Shuffle ``range(n)`` with ``seed`` and cut it into train / valid / test index lists."""
    train_f, valid_f, _ = _check(fractions)
    order = np.random.default_rng(seed).permutation(n)
    n_train, n_valid = int(round(train_f * n)), int(round(valid_f * n))
    return {"train": sorted(order[:n_train].tolist()), "valid": sorted(order[n_train:n_train + n_valid].tolist()),
            "test": sorted(order[n_train + n_valid:].tolist())}


def murcko_scaffold(smiles: str) -> str | None:
    """Bemis-Murcko scaffold SMILES ('' for acyclic molecules), ``None`` when the SMILES does not parse."""
    mol = to_mol(smiles)
    if mol is None:
        return None
    with quiet_rdkit():
        return MurckoScaffold.MurckoScaffoldSmiles(mol=mol)


def scaffold_split(smiles: Sequence[str], fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> dict[str, list[int]]:
    """Split so that no Bemis-Murcko scaffold appears in two splits.

    Scaffold groups too big for half a held-out split go to train first (so one huge group,
    e.g. the acyclic molecules, cannot swallow the test set); the rest are shuffled with
    ``seed`` and dealt to whichever split is furthest below its target. Unparsable SMILES
    form a group of their own, so every index lands in exactly one split.
    """
    molecule_list(smiles, "scaffold_split")
    train_f, valid_f, test_f = _check(fractions)
    groups: dict[str | None, list[int]] = defaultdict(list)
    for index, s in enumerate(smiles):
        groups[murcko_scaffold(s)].append(index)
    n = len(smiles)
    targets = {"train": train_f * n, "valid": valid_f * n, "test": test_f * n}
    big_limit = min(targets["valid"], targets["test"]) / 2
    rng = np.random.default_rng(seed)
    keys = sorted(groups, key=lambda k: (k is None, k or ""))
    big = sorted((k for k in keys if len(groups[k]) > big_limit), key=lambda k: (-len(groups[k]), k is None, k or ""))
    small = [keys[i] for i in rng.permutation(len(keys)) if len(groups[keys[i]]) <= big_limit]
    result: dict[str, list[int]] = {name: [] for name in SPLIT_NAMES}
    for key in big:
        result["train"].extend(groups[key])
    for key in small:
        name = max(SPLIT_NAMES, key=lambda s: (targets[s] - len(result[s])) / (targets[s] or 1) if targets[s] else -1)
        result[name].extend(groups[key])
    return {name: sorted(indices) for name, indices in result.items()}
