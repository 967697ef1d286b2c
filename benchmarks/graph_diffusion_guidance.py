"""How far classifier-free guidance moves a diffusion checkpoint's samples towards property targets.

    python benchmarks/graph_diffusion_guidance.py --checkpoint molgen/pretrained/graph-diffusion.pt

For each target (QED 0.85, logP 4, MW 400): N samples (seed 5) unconditioned, conditioned
without guidance, and with guidance scale 2; the RDKit property of the valid ones, its mean and
its mean absolute error to the target. Prints a Markdown table. ``--projection`` samples every row
projected onto valence and ring size (a correction: validity then counts corrected graphs).
"""

from __future__ import annotations

import argparse

import numpy as np
from rdkit import Chem

from molgen.chem.rdkit_log import quiet_rdkit
from molgen.models import Conditions, load
from molgen.scoring.properties import PROPERTIES

TARGETS = (("qed", 0.85), ("logp", 4.0), ("mw", 400.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="graph-diffusion")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--scales", default="2", help="guidance scales besides none and 0")
    parser.add_argument("--projection", action="store_true", help="project onto valence and ring size (a correction)")
    parser.add_argument("--targets", default=None, help="NAME=VALUE,... instead of QED 0.85, logP 4 and MW 400 "
                                                         "(e.g. mw=260)")
    args = parser.parse_args()
    targets = TARGETS if args.targets is None else [(name, float(value)) for name, value in
                                                    (item.split("=") for item in args.targets.split(","))]
    model = load(args.checkpoint)
    print(f"| target | guidance scale | valid of {args.n} | mean | mean absolute error to the target |")
    print("|---|---|---|---|---|")
    for name, target in targets:
        for scale in [None, 0.0] + [float(s) for s in args.scales.split(",")]:
            conditions = None if scale is None else Conditions(targets={name: target})
            samples = model.sample(args.n, seed=5, steps=args.steps, guidance=scale or 0.0, conditions=conditions,
                                   projection=args.projection)
            with quiet_rdkit():
                values = np.array([PROPERTIES[name].function(Chem.MolFromSmiles(s.smiles)) for s in samples if s.smiles])
            label = "unconditional" if scale is None else f"{scale:g}"
            print(f"| {name} {target:g} | {label} | {len(values)} | {values.mean():.3f} | {np.abs(values - target).mean():.3f} |",
                  flush=True)


if __name__ == "__main__":
    main()
