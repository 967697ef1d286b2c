"""How much closer to a property target does the conditional SMILES transformer land?

    python benchmarks/conditioning.py --checkpoint molgen/pretrained/smiles-lm-transformer.pt -n 2000

For each target, samples N strings with the target given and N with no target (the same
model, every condition absent), and reports over the valid molecules: the mean absolute error
to the target, the fraction inside a window around it (the tolerance `molgen generate` uses
for a bare target), and validity (raw parse rate, nothing corrected). A last row asks for three
properties at once and counts molecules inside all three windows.
"""

from __future__ import annotations

import argparse

import numpy as np
from rdkit import Chem

from molgen.chem.rdkit_log import quiet_rdkit
from molgen.models.base import Conditions
from molgen.models.smiles_lm.model import SmilesLM
from molgen.scoring.properties import PROPERTIES, tolerance

TARGETS = {"qed": (0.5, 0.7, 0.9), "logp": (1.0, 3.0, 5.0), "mw": (250.0, 350.0, 450.0), "sa": (2.0, 3.0, 4.0),
           "tpsa": (40.0, 80.0, 120.0)}
JOINT = {"qed": 0.85, "logp": 2.5, "mw": 320.0}


def measure(model: SmilesLM, n: int, targets: dict[str, float] | None, seed: int) -> tuple[dict[str, np.ndarray], float]:
    samples = model.sample(n, seed=seed, conditions=Conditions(targets=targets or {}))
    with quiet_rdkit():
        mols = [m for m in (Chem.MolFromSmiles(s.smiles) for s in samples) if m is not None]
    names = targets.keys() if targets else PROPERTIES
    return {name: np.array([PROPERTIES[name].function(m) for m in mols]) for name in names}, len(mols) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    model = SmilesLM.load(args.checkpoint)
    conditioned_on = model.config.conditions
    free, free_valid = measure(model, args.n, None, args.seed)
    print(f"{args.checkpoint}: conditioned on {', '.join(conditioned_on)}; n = {args.n:,} per row, seed {args.seed}\n")
    print("| target | window | valid (cond.) | valid (none) | MAE (cond.) | MAE (none) | in window (cond.) | in window (none) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, values in TARGETS.items():
        if name not in conditioned_on:
            continue
        for target in values:
            got, valid = measure(model, args.n, {name: target}, args.seed + 1)
            half = tolerance(name)
            row = [f"{name} = {target:g}", f"±{half:g}", f"{valid:.3f}", f"{free_valid:.3f}",
                   f"{np.abs(got[name] - target).mean():.3f}", f"{np.abs(free[name] - target).mean():.3f}",
                   f"{(np.abs(got[name] - target) <= half).mean():.3f}", f"{(np.abs(free[name] - target) <= half).mean():.3f}"]
            print("| " + " | ".join(row) + " |")
    joint = {k: v for k, v in JOINT.items() if k in conditioned_on}
    if len(joint) > 1:
        got, valid = measure(model, args.n, joint, args.seed + 2)
        inside = np.logical_and.reduce([np.abs(got[k] - v) <= tolerance(k) for k, v in joint.items()])
        free_inside = np.logical_and.reduce([np.abs(free[k] - v) <= tolerance(k) for k, v in joint.items()])
        label = " & ".join(f"{k} = {v:g}" for k, v in joint.items())
        print(f"| {label} | all three | {valid:.3f} | {free_valid:.3f} | | | {inside.mean():.3f} | {free_inside.mean():.3f} |")


if __name__ == "__main__":
    main()
