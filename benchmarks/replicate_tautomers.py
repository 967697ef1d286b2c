"""How many compounds of a set are written as two tautomers, and what finding them costs (`merge_replicates`).

    python benchmarks/replicate_tautomers.py --n 20000

`molgen augment replicates` merges rows by parent (a salt, a charge state) and says which compounds are
written as two tautomers, kept apart unless `--by tautomer`. RDKit's canonical tautomer costs about a
millisecond a molecule, so only compounds sharing a formula and a heavy-atom skeleton are canonicalized. Prints,
for the first n molecules of MOSES test: the seconds to key them by parent, the seconds the tautomer note adds,
and the groups it finds; then the same for a set seeded with tautomer pairs (each molecule written twice, the
second time through RDKit's tautomer enumeration, where it has another tautomer).
"""

from __future__ import annotations

import argparse
import time

from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize

from molgen.augment.replicates import _tautomer_pairs, compound_key
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.data.moses import fetch_moses, load_moses_split


def measured(name: str, smiles: list[str]) -> None:
    started = time.perf_counter()
    keys = list(dict.fromkeys(k for k in (compound_key(s) for s in smiles) if k is not None))
    keyed = time.perf_counter() - started
    started = time.perf_counter()
    groups = _tautomer_pairs(keys)
    found = time.perf_counter() - started
    print(f"| {name} | {len(smiles):,} | {len(keys):,} | {keyed:.1f} | {found:.1f} | {len(groups):,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--seeded", type=int, default=1000, help="Molecules written twice in the seeded set.")
    args = parser.parse_args()
    fetch_moses()
    test = load_moses_split("test")[: args.n]
    print("| set | rows | compounds | keying (s) | tautomer note (s) | tautomer groups |")
    print("|---|---:|---:|---:|---:|---:|")
    measured("MOSES test", test)
    enumerator = rdMolStandardize.TautomerEnumerator()
    seeded = []
    for smiles in test[: args.seeded]:
        with quiet_rdkit():   # an enumerated form RDKit cannot kekulize is skipped, not printed
            tautomers = [Chem.MolToSmiles(t) for t in enumerator.Enumerate(Chem.MolFromSmiles(smiles))]
        other = next((t for t in tautomers if t != smiles), None)
        seeded += [smiles] + ([other] if other else [])
    measured(f"its first {args.seeded:,}, each with another tautomer where it has one", seeded)


if __name__ == "__main__":
    main()
