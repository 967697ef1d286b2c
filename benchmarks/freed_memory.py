"""Sampling speed with glibc keeping freed memory (``molgen.models.memory``) and without, interleaved.

    python benchmarks/freed_memory.py --rounds 3

The allocator setting is process-wide and cannot be undone inside a process, so each measurement is
a fresh child process with ``MOLGEN_KEEP_FREED_MEMORY`` set to 1 or 0, the two alternating, so that a
slow spell of a shared machine falls on both. Each child loads the shipped checkpoint, warms up,
then times one task twice and reports the faster and its peak memory:
- graph diffusion: 100 molecules at the default 50 steps (one sampling batch);
- graph VAE: 1,024 prior samples, greedy decoding at batch 256;
- SMILES LSTM: 2,048 samples at batch 512, temperature 1.
The table gives, per task, the median (and range) over rounds of each setting and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

TASKS = {
    "graph diffusion, 100 molecules, 50 steps": ("graph-diffusion", 100, {"batch_size": 100}),
    "graph VAE, 1,024 greedy, batch 256": ("graph-vae", 1024, {"batch_size": 256, "decoding": "greedy"}),
    "SMILES LSTM, 2,048 at batch 512": ("smiles-lm", 2048, {"batch_size": 512}),
}


def child(task: str) -> None:
    """Time one task in this process (the allocator already set, or not, by the environment)."""
    import torch

    from molgen.models import load
    from molgen.models.memory import keep_freed_memory

    torch.set_num_threads(2)
    family, n, options = TASKS[task]
    model = load(family)           # loading applies the setting
    model.sample(min(n, 16), seed=1, **options)
    seconds = []
    for _ in range(2):
        started = time.perf_counter()
        model.sample(n, seed=0, **options)
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"seconds": min(seconds), "kept": keep_freed_memory(),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def measure(task: str, keep: bool) -> dict:
    environment = {**os.environ, "MOLGEN_KEEP_FREED_MEMORY": "1" if keep else "0"}
    done = subprocess.run([sys.executable, __file__, "--child", task], env=environment, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the child timing {task!r} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tasks", default=",".join(str(i) for i in range(len(TASKS))),
                        help="indices into the task list, comma-separated")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    tasks = [list(TASKS)[int(i)] for i in args.tasks.split(",")]
    print("| task | rounds | kept: median s (range) | not kept: median s (range) | speed-up | peak MB kept / not |")
    print("|---|---|---|---|---|---|")
    for task in tasks:
        runs = {True: [], False: []}
        for round_ in range(args.rounds):
            for keep in ((True, False) if round_ % 2 == 0 else (False, True)):
                result = measure(task, keep)
                if result["kept"] != keep:
                    raise SystemExit(f"the allocator setting did not take (asked {keep}, got {result['kept']}): not glibc?")
                runs[keep].append(result)
        seconds = {k: [r["seconds"] for r in runs[k]] for k in (True, False)}
        kept, plain = (statistics.median(seconds[k]) for k in (True, False))
        spread = {k: f"{min(seconds[k]):.2f}-{max(seconds[k]):.2f}" for k in (True, False)}
        peaks = [max(r["peak_mb"] for r in runs[k]) for k in (True, False)]
        print(f"| {task} | {args.rounds} | {kept:.2f} ({spread[True]}) | {plain:.2f} ({spread[False]}) | {plain / kept:.2f}x "
              f"| {peaks[0]:.0f} / {peaks[1]:.0f} |", flush=True)


if __name__ == "__main__":
    main()
