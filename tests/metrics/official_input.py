"""The input on which molgen's metrics are checked against the official MOSES and GuacaMol code.

The committed moses-sample train split (5,000 SMILES), then strings that are not molecules
(they must lower `valid` and be ignored elsewhere), then exact and re-spelled duplicates
(they must lower unique@k). Plain Python, so that the script run under the official
packages (`compute_official_values.py`) builds exactly the same list.
"""

import csv
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "molgen" / "data" / "samples" / "moses-sample" / "train.csv"
INVALID = ["", "C1CC", "c1cccc1", "not a molecule", "C(C)(C)(C)(C)C", "Cc", "[Xe](C)(C)(C)(C)(C)(C)(C)C"]
RESPELLED = ["OCC", "c1ccccc1O", "C(=O)(O)c1ccccc1"]


def official_input() -> list[str]:
    with open(SAMPLE, newline="") as handle:
        sample = [row["SMILES"] for row in csv.DictReader(handle)]
    return sample + INVALID + sample[:40] + RESPELLED + ["CCO", "Oc1ccccc1", "OC(=O)c1ccccc1"]
