"""SMILES enumeration: k randomized (non-canonical) spellings of each molecule.

The same molecule written k ways is the simplest augmentation for SMILES models (Bjerrum 2017;
Arús-Pous et al. 2019). RDKit draws the random atom orders; the seed fixes them.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd
from rdkit import Chem

from molgen.chem.parse import molecule_list, parse_smiles, relative_configuration_key
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.augment.guards import CompoundIndex
from molgen.augment.provenance import params_text


#: Random spellings drawn per round, at most: a huge k draws in rounds rather than all at once.
DRAW_LIMIT = 20_000


def randomized_smiles(mol: Chem.Mol, k: int, seed: int = 0, *, include_canonical: bool = False) -> list[str]:
    """Up to ``k`` distinct random spellings of ``mol`` (fewer when the molecule has fewer), none of them the
    canonical SMILES; ``include_canonical`` adds it, first (it took one of the k places). Rounds of draws stop when
    a round finds nothing new: ethanol has four spellings, and asking it for a million must not draw forever.
    RDKit's seed is 32 bits: a larger ``seed`` is taken modulo 2**32 (it overflowed, a traceback)."""
    canonical = Chem.MolToSmiles(mol)
    out: list[str] = [canonical] if include_canonical else []
    seen = {canonical}
    attempt = 0
    k += len(out)
    while len(out) < k:
        before = len(out)
        for text in Chem.MolToRandomSmilesVect(mol, min(max(4 * k, 8), DRAW_LIMIT), randomSeed=(seed + 7919 * attempt) % 2**32):
            if text not in seen:
                seen.add(text)
                out.append(text)
                if len(out) == k:
                    break
        attempt += 1
        if len(out) == before and attempt >= 4:   # rounds that find nothing new: the spellings are exhausted
            break
    return out


#: How a molecule with one spelling (benzene) is kept after all, as the command line and Python say it (the
#: Augment page puts its checkbox's name in its place).
KEEP_CANONICAL = "(--include-canonical, include_canonical=True in Python, keeps that one)"


def enumerate_smiles(smiles: Sequence[str], k: int = 10, *, seed: int = 0, include_canonical: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enumerated rows (with provenance) and the inputs that could not be enumerated (with why).

    Every row's ``seed_smiles`` is the canonical SMILES of its source molecule. An input row holding the
    same molecule as an earlier one (another spelling, perhaps another label) is still enumerated, as
    given, and its rows name that earlier row in ``same_molecule_as_row``, so conflicting labels can be
    found before training. A row holding another form of an earlier row's compound (a salt, a charge
    state, a tautomer, a stereoisomer or an isotopologue: one parent, as the leak guard reads it) names
    that row in ``same_parent_as_row``: such labels may differ for a reason, but should be looked at.
    """
    molecule_list(smiles, "enumerate_smiles")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    rows, failed = [], []
    first_row: dict[str, int] = {}   # canonical SMILES -> the first input row holding it
    compounds = CompoundIndex()   # the first input row holding a form of each compound (a salt, a tautomer, ...)
    params = params_text({"k": k, "seed": seed, "include_canonical": include_canonical})
    with quiet_rdkit():
        for line, text in enumerate(smiles, start=1):
            parsed = parse_smiles(text)
            if not parsed.ok:
                failed.append({"smiles": text, "method": "enumerate", "seed_smiles": None, "params": params,
                               "checkpoint": None, "input_row": line,
                               "removed_because": f"invalid input: {parsed.failure.value}: {parsed.message}"})
                continue
            # a relative configuration (rac-cis |&1:1,3|) names its source as canonical CXSMILES: rac-trans is
            # another molecule, not a repeat (its spellings, plain SMILES, cannot hold it: the reader says so)
            source = relative_configuration_key(text) or Chem.MolToSmiles(parsed.mol)
            earlier = first_row.setdefault(source, line)
            parent = compounds.first(parsed.mol, line, source)
            other_form = parent if parent != line and earlier == line else None   # not an exact repeat
            spellings = randomized_smiles(parsed.mol, k, seed + line, include_canonical=include_canonical)
            if not spellings:   # benzene: every atom order writes c1ccccc1, the canonical SMILES
                failed.append({"smiles": text, "method": "enumerate", "seed_smiles": source, "params": params,
                               "checkpoint": None, "input_row": line,
                               "removed_because": f"no spelling other than its canonical SMILES {KEEP_CANONICAL}"})
            for spelling in spellings:
                rows.append({"smiles": spelling, "method": "enumerate", "seed_smiles": source, "params": params,
                             "checkpoint": None, "input_row": line,
                             "same_molecule_as_row": earlier if earlier != line else None,
                             "same_parent_as_row": other_form})
    columns = ["smiles", "method", "seed_smiles", "params", "checkpoint", "input_row"]
    marks = ["same_molecule_as_row", "same_parent_as_row"]
    return (pd.DataFrame(rows, columns=columns + marks).astype({mark: "Int64" for mark in marks}),
            pd.DataFrame(failed, columns=columns + ["removed_because"]))


def repeated_inputs(rows: pd.DataFrame) -> str | None:
    """A note naming the input rows that repeat an earlier row's molecule, or hold another form of its compound;
    None when none does. Give it the rows the guard kept: a pair one of whose rows was removed (a leak) has no
    two labels left to compare."""
    notes = []
    present = set(rows["input_row"]) if "input_row" in rows.columns else set()
    for column, relation, advice in (
            ("same_molecule_as_row", "a molecule an earlier row holds", "marks the repeats: check their labels agree"),
            ("same_parent_as_row", "another form (salt, charge state, tautomer, stereoisomer or isotopologue) of an "
                                   "earlier row's compound", "marks them: check their labels")):
        if column not in rows.columns:
            continue
        pairs = rows.dropna(subset=[column]).drop_duplicates("input_row")
        pairs = pairs[pairs[column].isin(present)]
        if pairs.empty:
            continue
        sign = "=" if column == "same_molecule_as_row" else "~"
        shown = ", ".join(f"row {r} {sign} row {e}" for r, e in zip(pairs["input_row"].head(5), pairs[column].head(5)))
        more = f" and {len(pairs) - 5:,} more" if len(pairs) > 5 else ""
        notes.append(f"{len(pairs):,} input row{'s hold' if len(pairs) != 1 else ' holds'} {relation} ({shown}{more}); "
                     f"both are enumerated with their own columns, and column {column} {advice}")
    return "; ".join(notes) or None


def short_enumerations(rows: pd.DataFrame, k: int) -> str | None:
    """A note naming the input rows RDKit could write fewer than ``k`` distinct ways (a small or symmetric
    molecule has few spellings; choline has 11), before the guard; None when every row got ``k``."""
    random = rows[rows["smiles"] != rows["seed_smiles"]]   # the canonical one --include-canonical adds is no one of k
    counts = random.groupby("input_row").size().reindex(rows["input_row"].unique(), fill_value=0)
    short = counts[counts < k]
    if short.empty:
        return None
    shown = ", ".join(f"row {row}: {count:,}" for row, count in short.head(5).items())
    more = f" and {len(short) - 5:,} more" if len(short) > 5 else ""
    return (f"{len(short):,} input row{'s have' if len(short) != 1 else ' has'} fewer than {k:,} distinct spellings "
            f"({shown}{more}): a small or symmetric molecule has few, so the set weighs it less than the others")
