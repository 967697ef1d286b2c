"""A scaffold with an attachment point (*): where the shipped LSTM puts its new group, and what it keeps.

    python benchmarks/scaffold_attachment.py --n 400
    python benchmarks/scaffold_attachment.py --n 400 --first-spelling   # as before: no choice among spellings

``--first-spelling`` completes, for each position, the first spelling found (the canonical one, else the first
random one ending there) and lets a string end with the bare scaffold, as molgen did before it took the spelling
the model finds most likely and ruled out ending at an attachment point.

The fluoxetine core (CF3 removed) written plain and with ``*`` para on the phenoxy ring. ``--n`` samples
from the shipped smiles-lm-lstm, steered as a run steers them (``native_conditions``), one seed. Prints
the spellings (positions) it completes, the positions where a molecule holds a new group, the share of samples that parse, the distinct molecules holding the
scaffold as the run's filter reads it, and how many of those keep the secondary N-methyl amine.
"""

from __future__ import annotations

import argparse

from rdkit import Chem, RDLogger

from molgen.models import Conditions, load
from molgen.models.base import checkpoint_path
from molgen.models.smiles_lm.scaffold import attachment_point, decoration_prefixes
from molgen.runs.conditions import ConditionFilter

SCAFFOLDS = ("CNCCC(Oc1ccccc1)c1ccccc1", "CNCCC(Oc1ccc(*)cc1)c1ccccc1",
             "CN1CCN(CC1)c1ccc(Nc2ncccn2)cc1", "CN1CCN(CC1)c1ccc(Nc2nccc(*)n2)cc1",   # the review's kinase series
             "NS(=O)(=O)c1ccc(cc1)-n1nccc1", "c1ccc2[nH]ccc2c1",   # celecoxib's core, indole
             "c1ccc2[nH]cnc2c1")   # benzimidazole: a review found its C2 never substituted
SECONDARY_N_METHYL = Chem.MolFromSmarts("[CH3][NX3;H1][CH2]")


def substituted_positions(written: str, molecules) -> int:
    """How many of the scaffold's distinct positions (symmetry classes) carry a new group in some molecule."""
    marked = attachment_point(Chem.MolFromSmiles(written))
    core = marked[0] if marked else Chem.MolFromSmiles(written)
    symmetry = list(Chem.CanonicalRankAtoms(core, breakTies=False))
    reached = set()
    for mol in molecules:
        match = mol.GetSubstructMatch(core)
        for scaffold_atom, atom in enumerate(match):
            if any(n.GetIdx() not in match for n in mol.GetAtomWithIdx(atom).GetNeighbors()):
                reached.add(symmetry[scaffold_atom])
    return len(reached)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--first-spelling", action="store_true", help="as before: the first spelling per position")
    args = parser.parse_args()
    RDLogger.DisableLog("rdApp.*")
    model = load(checkpoint_path("smiles-lm-lstm"))
    print("| scaffold | positions completed | positions holding a group | valid | distinct holding it | "
          "keeping the N-methyl NH |")
    print("|---|---:|---:|---:|---:|---:|")
    for written in SCAFFOLDS:
        steer, _ = model.native_conditions(Conditions(scaffold=written))
        if args.first_spelling:   # each position's first readable spelling, and the bare scaffold allowed
            marked = attachment_point(Chem.MolFromSmiles(written))
            core, positions = (marked[0], {marked[1]}) if marked else (Chem.MolFromSmiles(written), None)
            steer.prefixes = decoration_prefixes(core, positions)   # every token of these scaffolds is readable
            steer.extend_prefix = False
        check = ConditionFilter(Conditions(scaffold=written))
        mols = [m for m in (Chem.MolFromSmiles(s.smiles) for s in model.sample(args.n, seed=args.seed, conditions=steer)
                            if s.smiles) if m is not None]
        holding = {Chem.MolToSmiles(m): m for m in mols if not check.failures(m)}
        kept = sum(m.HasSubstructMatch(SECONDARY_N_METHYL) for m in holding.values())
        has_it = Chem.MolFromSmiles(written).HasSubstructMatch(SECONDARY_N_METHYL)
        print(f"| `{written}` | {len(steer.prefixes)} | {substituted_positions(written, holding.values())} | "
              f"{len(mols) / args.n:.3f} | {len(holding)} | "
              + (f"{kept} ({kept / max(1, len(holding)):.2f}) |" if has_it else "- |"), flush=True)


if __name__ == "__main__":
    main()
