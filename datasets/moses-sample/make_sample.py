"""Recreate the committed `moses-sample` dataset from the fetched MOSES splits.

    molgen data fetch moses && python datasets/moses-sample/make_sample.py

Draws, with a fixed seed, 5,000 train, 1,000 test and 1,000 scaffold-test SMILES, keeping
MOSES's own strings unchanged, and writes them to molgen/data/samples/moses-sample/.
"""

from pathlib import Path

import numpy as np

from molgen.data.moses import load_moses_split

SIZES = {"train": 5000, "test": 1000, "test_scaffolds": 1000}
SEED = 20260101
OUT = Path(__file__).resolve().parents[2] / "molgen" / "data" / "samples" / "moses-sample"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for split, size in SIZES.items():
        smiles = load_moses_split(split)
        chosen = np.sort(rng.choice(len(smiles), size=size, replace=False))
        lines = ["SMILES"] + [smiles[i] for i in chosen]
        (OUT / f"{split}.csv").write_text("\n".join(lines) + "\n")
        print(f"{split}: {size} of {len(smiles)}")


if __name__ == "__main__":
    main()
