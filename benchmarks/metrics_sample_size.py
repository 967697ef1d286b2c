"""What a perfect model scores at each sample size: MOSES training molecules measured as a generated set.

    python benchmarks/metrics_sample_size.py --sizes 100 300 1000 3000 10000 --seeds 0 1

FCD, and Scaf less so, depend strongly on how many molecules are measured: a sample of the training set
itself reads FCD/Test ~13 at n = 100 and ~0.05 at n = 30,000. A run of a few hundred molecules measured in
Compare must be read against this ceiling, not against the published numbers (computed on 30,000). Prints the
mean (and the spread over seeds) of each metric per n; ``molgen.metrics.ceiling`` holds the numbers the
workbench shows beside a run's.
"""

from __future__ import annotations

import argparse

import numpy as np

from molgen.data.moses import fetch_moses, load_moses_split
from molgen.metrics import evaluate
from molgen.metrics.ceiling import METRICS as SHOWN   # the table molgen.metrics.ceiling holds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000, 3000, 10000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    fetch_moses()
    train = load_moses_split("train")
    print("| n | " + " | ".join(SHOWN) + " |")
    print("|---:|" + "---:|" * len(SHOWN))
    for n in args.sizes:
        rows = []
        for seed in args.seeds:
            picked = np.random.default_rng(seed).choice(len(train), n, replace=False)
            rows.append(evaluate([train[i] for i in picked], "moses", train=None, n_jobs=1))
        cells = []
        for metric in SHOWN:
            values = np.array([row[metric] for row in rows])
            cells.append(f"{values.mean():.3f}" + (f" ± {values.std():.3f}" if len(values) > 1 else ""))
        print(f"| {n:,} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
