"""Speed of the full MOSES metric set, and the honest ceiling of a 30,000-molecule sample.

    python benchmarks/metrics.py --n 30000
    python benchmarks/metrics.py --products      # only the intersection product, in each dtype

Evaluates N molecules drawn (seed 0) from the MOSES *training* set against MOSES test and
scaffold-test, as a generated set would be: every metric, GuacaMol's KL and FCD scores, on
all cores. This is both the speed benchmark (target: under 3 minutes for 30,000 on 2 cores)
and what a perfect model scores at this sample size (FCD depends strongly on n; novelty is
near 0: MOSES's training strings are compared as stored, as MOSES does, and a few in 10,000
of them canonicalize differently under today's RDKit, so such a molecule reads as novel).
Prints the time of each stage and the metric row.

``--products`` times the product behind SNN and IntDiv (1,024 generated against 8,192 reference
fingerprints) in each dtype this CPU runs, and says which one ``fastest_dtype`` picks.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from molgen.data.moses import fetch_moses, load_moses_split
from molgen.metrics import evaluate, markdown_table, published_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the metrics here")
    parser.add_argument("--products", action="store_true", help="only time the intersection product per dtype")
    args = parser.parse_args()
    if args.products:
        time_products()
        return
    fetch_moses()
    train = load_moses_split("train")
    picked = np.random.default_rng(args.seed).choice(len(train), args.n, replace=False)
    sample = [train[i] for i in picked]

    started = time.perf_counter()
    metrics = evaluate(sample, "moses", train="moses")
    total = time.perf_counter() - started
    print(f"full metric set for {args.n:,} molecules on {os.cpu_count()} cores: {total:.1f} s")
    print(f"{'stage':<28} {'seconds':>8}")
    for stage, seconds in metrics["timings"].items():
        print(f"{stage:<28} {seconds:>8.1f}")
    print()
    print(markdown_table({f"MOSES train sample (n={args.n:,}, seed {args.seed})": metrics, **published_rows(("Train",))}))
    print(f"KL score {metrics['KL_score']:.4f} (n={metrics['KL_n']:,}), GuacaMol FCD score {metrics['FCD_score']:.4f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({k: v for k, v in metrics.items() if k != "properties"}, handle, indent=1)


def time_products(rows: int = 1024, cols: int = 8192) -> None:
    import torch

    from molgen.metrics import fingerprints

    print(f"intersection product, {rows:,} x {cols:,} fingerprints of 1,024 bits, {torch.get_num_threads()} threads, "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
    print("| dtype | seconds | x float32 |")
    print("|---|---:|---:|")
    dtypes = [torch.float32, torch.bfloat16] + ([torch.int8] if fingerprints._int8_matmul_works() else [])
    times = {dtype: fingerprints.product_seconds(dtype, rows, cols) for dtype in dtypes}
    for dtype, seconds in times.items():
        print(f"| {dtype} | {seconds:.3f} | {seconds / times[torch.float32]:.2f} |")
    print(f"fastest_dtype() picks {fingerprints.fastest_dtype()}")


if __name__ == "__main__":
    main()
