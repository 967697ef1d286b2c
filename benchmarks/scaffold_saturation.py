"""How many distinct molecules a SMILES model writes around a scaffold, by temperature and spellings per position.

    python benchmarks/scaffold_saturation.py --n 4000
    python benchmarks/scaffold_saturation.py --n 4000 --per-position 1   # a run's own spellings only

A drug-sized scaffold leaves a MOSES-trained model (molecules of at most 27 heavy atoms) little to add, so most
completions repeat (a run's "saturation" note). For each scaffold: the shipped LSTM completes it ``--n`` times
at each temperature, from one spelling per substitutable position (what a run uses) and from several random
spellings per position; counted: valid completions, and distinct molecules that keep the scaffold.
"""

from __future__ import annotations

import argparse
import collections

from rdkit import Chem

from molgen.chem.rdkit_log import quiet_rdkit
from molgen.models.base import Conditions
from molgen.models.smiles_lm.model import SmilesLM
from molgen.models.smiles_lm.sample import generate
from molgen.models.smiles_lm.scaffold import _landing_atom

SCAFFOLDS = {"fluoxetine core": "CNCCC(Oc1ccc(C(F)(F)F)cc1)c1ccccc1", "indole": "c1ccc2[nH]ccc2c1"}


def spellings(model, mol: Chem.Mol, per_position: int) -> list[str]:
    """Up to ``per_position`` readable spellings ending at each substitutable position (1: a run's own, the one
    the model finds most likely of each position's)."""
    if per_position == 1:
        return model.native_conditions(Conditions(scaffold=Chem.MolToSmiles(mol)))[0].prefixes
    symmetry = list(Chem.CanonicalRankAtoms(mol, breakTies=False))
    ends: dict[int, list[str]] = collections.defaultdict(list)
    with quiet_rdkit():
        for text in [Chem.MolToSmiles(mol)] + list(Chem.MolToRandomSmilesVect(mol, 2000, randomSeed=7)):
            atom = _landing_atom(mol, text)
            if atom is None or text in ends[symmetry[atom]] or len(ends[symmetry[atom]]) >= per_position:
                continue
            try:
                model.vocabulary.encode(text, add_bos_eos=False)
            except ValueError:
                continue
            ends[symmetry[atom]].append(text)
    return [text for texts in ends.values() for text in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="molgen/pretrained/smiles-lm-lstm.pt")
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-position", default="1,4,16", help="spellings per position, comma-separated")
    args = parser.parse_args()
    model = SmilesLM.load(args.checkpoint)
    print("| scaffold | spellings per position | prefixes | temperature | valid | distinct keeping the scaffold |")
    print("|---|---|---|---|---|---|")
    for name, smiles in SCAFFOLDS.items():
        scaffold = Chem.MolFromSmiles(smiles)
        for per_position in (int(k) for k in args.per_position.split(",")):
            prefixes = spellings(model, scaffold, per_position)
            for temperature in (1.0, 1.2):
                # as a run completes a scaffold: never ended bare
                samples = generate(model, args.n, conditions=Conditions(prefixes=prefixes, extend_prefix=True),
                                   seed=args.seed, temperature=temperature)
                kept, valid = set(), 0
                with quiet_rdkit():
                    for sample in samples:
                        mol = Chem.MolFromSmiles(sample.smiles)
                        if mol is not None:
                            valid += 1
                            if mol.HasSubstructMatch(scaffold):
                                kept.add(Chem.MolToSmiles(mol))
                print(f"| {name} | {per_position} | {len(prefixes)} | {temperature} | {valid / args.n:.3f} | "
                      f"{len(kept):,} |", flush=True)


if __name__ == "__main__":
    main()
