"""Does steering a graph diffusion checkpoint towards a property range put more samples inside it?

    python benchmarks/graph_diffusion_ranges.py --checkpoint molgen/pretrained/graph-diffusion.pt -n 300

For each range, N samples (seed 5, the default sampler and steps), three ways: the untargeted
default (the label prior: each graph gets a training molecule's atom count and property row), the
range's middle given as a target (guidance 0; half a training standard deviation inside a
one-sided bound, as the conditional transformer steers a range), and the label prior restricted to
training rows inside the range (how a run steers a range now). Reports validity (nothing corrected) and the share of all N
samples whose RDKit property lies inside the range. Prints a Markdown table.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from rdkit import Chem

from molgen.chem.rdkit_log import quiet_rdkit
from molgen.models import Conditions, load
from molgen.models.base import range_targets
from molgen.scoring.properties import PROPERTIES

RANGES = (("qed", 0.8, None), ("logp", 3.0, None), ("sa", None, 2.2))


def inside_share(model, n: int, seed: int, conditions: Conditions, name: str, low, high) -> tuple[float, float]:
    samples = model.sample(n, seed=seed, conditions=conditions)
    with quiet_rdkit():
        mols = [m for m in (Chem.MolFromSmiles(s.smiles) for s in samples if s.smiles) if m is not None]
    values = np.array([PROPERTIES[name].function(m) for m in mols])
    inside = ((values >= (-np.inf if low is None else low)) & (values <= (np.inf if high is None else high))).sum()
    return len(mols) / n, inside / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="graph-diffusion")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load(args.checkpoint)
    names = model.config.conditions
    print("| range | how | valid | share of samples inside the range |")
    print("|---|---|---|---|")
    for name, low, high in RANGES:
        label = f"{'' if low is None else f'{low:g} <= '}{name}{'' if high is None else f' <= {high:g}'}"
        asked = Conditions(ranges={name: (low, high)})
        middle = range_targets(asked, names, model.config.condition_std)
        steered, how = model.native_conditions(asked)   # what a run steers: the prior restricted to the range
        arms = [("label prior (the untargeted default; a run's filter does the rest)", Conditions()),
                (f"steered to target {middle[name]:.3g} (guidance 0)", Conditions(targets=middle)),
                (f"as a run steers it now: {how.get(f'range {name}', 'the filter only')}", steered)]
        for arm, conditions in arms:
            valid, inside = inside_share(model, args.n, args.seed, conditions, name, low, high)
            print(f"| {label} | {arm} | {valid:.3f} | {inside:.3f} |", flush=True)


if __name__ == "__main__":
    main()
