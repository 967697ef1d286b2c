"""A file's first rows are no random sample of it: MOSES test's first n against n drawn at random.

    python benchmarks/reference_order.py --n 1000 --seeds 0 1

MOSES's test split is not shuffled. A chemist checking the metrics with `molgen evaluate test.smi -n 1000`
(the first 1,000 rows, as MOSES's scripts take samples) read FCD/Test 6.0, five times the ceiling at that n,
and could take it for a broken metric. Prints, for the first n rows and for n rows drawn at random under each
seed, the mean molecular weight and the metrics `molgen evaluate` reports, all against MOSES test and
scaffold-test as a generated set.
"""

from __future__ import annotations

import argparse

import numpy as np
from rdkit import Chem
from rdkit.Chem import Descriptors

from molgen.data.moses import fetch_moses, load_moses_split
from molgen.metrics import evaluate

SHOWN = ("FCD/Test", "SNN/Test", "Frag/Test", "Scaf/Test", "weight")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    fetch_moses()
    test = load_moses_split("test")
    picks = {f"the first {args.n:,}": list(range(args.n))}
    picks.update({f"{args.n:,} at random, seed {seed}": sorted(np.random.default_rng(seed).choice(len(test), args.n,
                                                                                                  replace=False))
                  for seed in args.seeds})
    print("| rows of MOSES test | mean MW | " + " | ".join(SHOWN) + " |")
    print("|---|---:|" + "---:|" * len(SHOWN))
    for name, rows in picks.items():
        smiles = [test[i] for i in rows]
        weight = np.mean([Descriptors.MolWt(Chem.MolFromSmiles(s)) for s in smiles])
        metrics = evaluate(smiles, "moses", train=None, n_jobs=1)
        print(f"| {name} | {weight:.1f} | " + " | ".join(f"{metrics[m]:.3f}" for m in SHOWN) + " |")


if __name__ == "__main__":
    main()
