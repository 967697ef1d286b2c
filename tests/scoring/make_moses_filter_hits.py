"""How `data/moses_filter_hits.smi` was made: generated molecules that hit MOSES filter patterns.

    MOLGEN_CACHE=... python tests/scoring/make_moses_filter_hits.py

The pre-screen in `molgen.scoring.pattern_screen` must never hide a match, and MOSES
molecules almost never match (its sets were filtered). So the test needs molecules that do:
samples of the shipped LSTM at temperature 1.4 and of the shipped graph diffusion model (whose
samples fail the filters often), kept when RDKit's own FilterCatalog finds a pattern, at most
four per pattern; and, for every pattern, a molecule built from the pattern itself (each query
atom as the element it names, carbon otherwise; each query bond with the order it names),
kept when it sanitizes and the pattern matches it. The file holds the SMILES and the names of
every pattern each one matches.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rdkit import Chem
from rdkit.Chem import FilterCatalog

from molgen.chem.rdkit_log import quiet_rdkit
from molgen.models import load
from molgen.scoring.alerts import moses_filter_patterns
from molgen.scoring.pattern_screen import _atom_need, _bond_order, _tree

OUT = Path(__file__).parent / "data" / "moses_filter_hits.smi"
PER_PATTERN = 4


BOND_TYPES = {1: Chem.BondType.SINGLE, 2: Chem.BondType.DOUBLE, 3: Chem.BondType.TRIPLE, 12: Chem.BondType.AROMATIC}


def molecule_from_pattern(pattern: Chem.Mol) -> Chem.Mol | None:
    """A molecule shaped like the query, or None when that is not a molecule RDKit accepts."""
    mol = Chem.RWMol()
    for query in pattern.GetAtoms():
        need = _atom_need(_tree(query.DescribeQuery()))
        atom = Chem.Atom(need[0] if need else 6)
        atom.SetIsAromatic(bool(need and need[1]))
        mol.AddAtom(atom)
    for query in pattern.GetBonds():
        begin, end = query.GetBeginAtomIdx(), query.GetEndAtomIdx()
        both_aromatic = mol.GetAtomWithIdx(begin).GetIsAromatic() and mol.GetAtomWithIdx(end).GetIsAromatic()
        kind = BOND_TYPES.get(_bond_order(query), Chem.BondType.AROMATIC if both_aromatic else Chem.BondType.SINGLE)
        mol.AddBond(begin, end, kind)
        mol.GetBondBetweenAtoms(begin, end).SetIsAromatic(kind == Chem.BondType.AROMATIC)
    try:
        built = Chem.RemoveHs(mol.GetMol(), sanitize=False)
        Chem.SanitizeMol(built)
        return Chem.MolFromSmiles(Chem.MolToSmiles(built))
    except Exception:  # noqa: BLE001 - RDKit raises several kinds for a shape that is no molecule
        return None


def main() -> None:
    names, screened = moses_filter_patterns()
    catalog = FilterCatalog.FilterCatalog()
    for index, pattern in enumerate(screened.patterns):  # the unscreened reference: RDKit's catalog
        catalog.AddEntry(FilterCatalog.FilterCatalogEntry(str(index), FilterCatalog.SmartsMatcher(str(index), pattern, 1)))
    smiles = [s.smiles for s in load("smiles-lm").sample(20_000, seed=11, temperature=1.4)]
    smiles += [s.smiles for s in load("graph-diffusion").sample(1_500, seed=11)]
    seen: Counter = Counter()
    rows = []
    with quiet_rdkit():
        built = [molecule_from_pattern(pattern) for pattern in screened.patterns]
        smiles += [Chem.MolToSmiles(mol) for mol in built if mol is not None]
        for text in dict.fromkeys(smiles):
            mol = Chem.MolFromSmiles(text)
            if mol is None:
                continue
            hits = sorted(int(entry.GetDescription()) for entry in catalog.GetMatches(Chem.AddHs(mol)))
            if hits and any(seen[h] < PER_PATTERN for h in hits):
                seen.update(hits)
                rows.append(f"{Chem.MolToSmiles(mol)}\t{';'.join(names[h] for h in hits)}")
    OUT.write_text("\n".join(rows) + "\n")
    print(f"{len(rows)} molecules, {len(seen)} of {len(names)} patterns matched at least once -> {OUT}")


if __name__ == "__main__":
    main()
