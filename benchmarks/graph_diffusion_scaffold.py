"""Scaffold inpainting with the graph diffusion model, as sampled and projected onto valence and ring size.

    python benchmarks/graph_diffusion_scaffold.py --checkpoint molgen/pretrained/graph-diffusion.pt -n 300

For each scaffold, N molecules at the default sampler with the scaffold held by inpainting, once as
sampled (validity exactly as DiGress counts it, nothing corrected) and once with ``projection=True``
(a correction), on the same seed: validity, the share of all samples whose molecule (the largest
fragment) still contains the scaffold as a run's filter reads it (``ConditionFilter``: SMARTS first,
so an ``[nH]`` must keep its H; with attachment points an R-group core, a group at each ``*`` and
nowhere else on it), the share of valid molecules with a ring of more than seven
atoms, distinct valid molecules, distinct molecules that keep the scaffold and add to it (what a run
can rank), and seconds. ``--scaffolds`` picks some by name, ``--as-sampled`` skips the projected rows,
``--samplers`` and ``--steps`` compare the two samplers at a step count (default: the model's own choice).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rdkit import Chem

from molgen.chem.rdkit_log import quiet_rdkit
from molgen.models.base import Conditions
from molgen.models.graph_diffusion.model import GraphDiffusion
from molgen.runs.conditions import ConditionFilter

SCAFFOLDS = {"indole": "c1ccc2[nH]ccc2c1", "pyridine": "c1ccncc1", "piperazine": "C1CNCCN1",
             # 22 atoms, near the largest MOSES molecules (27): little room is left to denoise
             "fluoxetine": "CNCCC(Oc1ccc(C(F)(F)F)cc1)c1ccccc1",
             # attachment points (*): new atoms bonded there only, and the filter asks for a group at each
             "fluoxetine-core": "CNCCC(Oc1ccccc1)c1ccccc1", "fluoxetine-core-para*": "CNCCC(Oc1ccc(*)cc1)c1ccccc1",
             "quinazoline": "c1ccc2ncncc2c1", "quinazoline-6*": "*c1ccc2ncncc2c1",
             "quinazoline-6*,7*": "*c1cc2ncncc2cc1*"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--scaffolds", nargs="+", choices=SCAFFOLDS, default=list(SCAFFOLDS))
    parser.add_argument("--as-sampled", action="store_true", help="no projected rows")
    parser.add_argument("--samplers", nargs="+", choices=("flow", "ancestral"), default=[None],
                        help="one row per sampler (default: the one the model picks for the step count)")
    parser.add_argument("--steps", type=int, default=None, help="reverse steps (default: the model's)")
    args = parser.parse_args()
    model = GraphDiffusion.load(args.checkpoint)
    print("| scaffold | sampling | valid | scaffold kept (of all) | ring > 7 atoms (of valid) | distinct valid "
          "| distinct, keeping and adding to it | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.scaffolds:
        scaffold = SCAFFOLDS[name]
        check = ConditionFilter(Conditions(scaffold=scaffold))   # exactly as a run's filter reads it
        bare = Chem.MolToSmiles(Chem.MolFromSmiles(scaffold))
        for sampler, projection in [(sampler, projection) for sampler in args.samplers
                                    for projection in ((False,) if args.as_sampled else (False, True))]:
            started = time.perf_counter()
            samples = model.sample(args.n, seed=args.seed, conditions=Conditions(scaffold=scaffold), projection=projection,
                                   steps=args.steps, sampler=sampler)
            seconds = time.perf_counter() - started
            with quiet_rdkit():
                mols = [m for m in (Chem.MolFromSmiles(s.smiles) for s in samples if s.smiles) if m is not None]
            kept = sum(not check.failures(m) for m in mols) / args.n
            large = np.mean([any(len(r) > 7 for r in m.GetRingInfo().AtomRings()) for m in mols]) if mols else 0.0
            distinct = len({Chem.MolToSmiles(m) for m in mols})
            decorated = len({Chem.MolToSmiles(m) for m in mols if not check.failures(m)} - {bare})
            label = "projected (a correction)" if projection else "as sampled"
            chain = model.check_sample_options(steps=args.steps, sampler=sampler, scaffold=scaffold)   # as sample() picks
            label += f", {chain['sampler']}, {chain['steps']} steps"
            print(f"| {name} `{scaffold}` | {label} | {len(mols) / args.n:.3f} | {kept:.3f} | {large:.3f} | {distinct} "
                  f"| {decorated} | {seconds:.0f} |")


if __name__ == "__main__":
    main()
