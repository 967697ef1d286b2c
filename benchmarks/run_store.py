"""Run-store query speed: filter and sort 100,000 candidates the way the web app does.

    python benchmarks/run_store.py --n 100000

Builds a store with one run of N candidates (score-like random values in every property
column; the SMILES are placeholders, the queries never parse them), then times each query
several times and prints the median. The target is "well under a second" per query.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from molgen.runs.store import PROPERTY_COLUMNS, RunStore


def build(store: RunStore, n: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    run_id = store.create_run(name="bench", model="smiles-lm", checkpoint="-", checkpoint_sha256="-", seed=seed, n_requested=n,
                              params={}, conditions={}, native={}, profile={}, versions={})
    chunk = 10_000
    for index, start in enumerate(range(0, n, chunk)):
        size = min(chunk, n - start)
        frame = pd.DataFrame({name: rng.random(size) * 500 for name in PROPERTY_COLUMNS})
        frame["qed"] = rng.random(size)
        frame["smiles"] = [f"[{i + 1}CH3]c1ccccc1O" for i in range(start, start + size)]  # valid, distinct
        frame["score"] = rng.random(size)
        frame["alerts"] = rng.integers(0, 3, size)
        frame["meets_conditions"] = True
        frame["novel"] = rng.random(size) < 0.9
        frame["passes_filters"] = True
        frame["d_qed"] = frame["qed"]
        frame["lipinski_pass"] = rng.random(size) < 0.95
        store.add_chunk(run_id, index, size, frame, [], size, 0, 0.0)
    frame = store.candidates(run_id, order_by="id", columns=["score"])
    store.set_ranks(run_id, frame["id"].to_numpy(), np.argsort(np.argsort(-frame["score"].to_numpy())) + 1)
    return run_id


def timed(function, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore(Path(folder) / "runs.sqlite")
        start = time.perf_counter()
        run_id = build(store, args.n)
        print(f"stored {args.n:,} candidates in {time.perf_counter() - start:.1f} s\n")
        queries = {
            "top 200 by rank": lambda: store.candidates(run_id, ranked_only=True, limit=200),
            "top 200 by qed, 200<=mw<=450, no alerts": lambda: store.candidates(
                run_id, ranked_only=True, order_by="qed", descending=True, limit=200,
                ranges={"mw": (200, 450), "alerts": (0, 0)}),
            "all rows sorted by sa, 3 ranges": lambda: store.candidates(
                run_id, order_by="sa", ranges={"qed": (0.5, None), "logp": (None, 250), "tpsa": (None, 140)},
                columns=["smiles", "qed", "sa", "logp", "tpsa", "score", "rank"]),
            "all 100k rows, every column": lambda: store.candidates(run_id),
        }
        print("| query | rows | median of 5 (ms) |\n|---|---|---|")
        for name, query in queries.items():
            rows = len(query())
            print(f"| {name} | {rows:,} | {timed(query) * 1000:.0f} |")
        store.close()


if __name__ == "__main__":
    main()
