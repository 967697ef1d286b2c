"""Quality of a graph diffusion checkpoint on MOSES, and how it changes with the number of sampling steps.

    python benchmarks/graph_diffusion_quality.py --checkpoint molgen/pretrained/graph-diffusion.pt -n 25000 --steps 500,100,50,25

For each step count: N samples (seed 0; ``--sweep-n`` for every step count after the first, as
sampling at hundreds of steps on a CPU is slow and FCD must be read beside its n), validity exactly as DiGress reports it (RDKit sanitizes
the sampled graph as it is, largest fragment kept; nothing corrected), the fraction of samples
that were one connected fragment, sampling time, the MOSES metrics against test and
scaffold-test, and the rings of the valid molecules beside MOSES test's (MOSES molecules have
about two aromatic rings and almost never a ring of more than seven atoms; a denoiser that has
not learned rings shows it here first). The row for the first step count is written into the
model card. A conditional checkpoint that carries a label prior samples through it (each graph
takes a training molecule's atom count and properties; ``GraphDiffusion.sample``);
``--no-label-prior`` samples its unconditional branch instead. ``--sampler`` chooses the reverse
process (default: the model's, the discrete flow-matching chain of DeFoG with ``--target-guidance``
and ``--stochasticity`` at their defaults, or the ancestral sampler below ``FLOW_MIN_STEPS`` steps;
``ancestral``: the DiGress posterior); ``--step-spacing`` how its steps spread over the noise levels
(``STEP_SPACING`` by default). ``--projection`` projects the end of the chain onto valence and the
ring limit (``projection.py``): a correction, so its validity is not DiGress's number and it never
writes the card. Only the default sampling writes the card, and the card names the sampler and its options.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdMolDescriptors

from molgen.chem.rdkit_log import quiet_rdkit
from molgen.data.registry import load_smiles
from molgen.metrics import evaluate, markdown_table, published_rows
from molgen.models.graph_diffusion.model import SAMPLERS, GraphDiffusion, sampler_options
from molgen.models.training import write_measured_card


def ring_profile(smiles: list[str]) -> dict:
    """Rings of the parsable molecules: mean rings and aromatic rings, and the share with a ring
    of more than seven atoms or of fewer than five."""
    with quiet_rdkit():
        mols = [m for m in (Chem.MolFromSmiles(s) for s in smiles if s) if m is not None]
    if not mols:
        return {"molecules": 0}
    ring_sizes = [[len(r) for r in m.GetRingInfo().AtomRings()] for m in mols]
    return {"molecules": len(mols),
            "rings": float(np.mean([len(r) for r in ring_sizes])),
            "aromatic_rings": float(np.mean([rdMolDescriptors.CalcNumAromaticRings(m) for m in mols])),
            "ring_over_7": float(np.mean([any(k > 7 for k in r) for r in ring_sizes])),
            "ring_under_5": float(np.mean([any(k < 5 for k in r) for r in ring_sizes]))}


def ring_table(profiles: dict[str, dict]) -> str:
    lines = ["| molecules from | n valid | rings | aromatic rings | with a ring > 7 atoms | with a ring < 5 atoms |",
             "|---|---|---|---|---|---|"]
    for name, p in profiles.items():
        lines.append(f"| {name} | {p['molecules']:,} | {p.get('rings', 0):.2f} | {p.get('aromatic_rings', 0):.2f} | "
                     f"{p.get('ring_over_7', 0):.3f} | {p.get('ring_under_5', 0):.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("-n", type=int, default=25_000)
    parser.add_argument("--steps", default="500,100,50,25")
    parser.add_argument("--sweep-n", type=int, default=None, help="samples for the step counts after the first (default: -n)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-card", action="store_true")
    parser.add_argument("--no-label-prior", action="store_true", help="sample the unconditional branch")
    parser.add_argument("--sampler", choices=SAMPLERS, default=None, help="default: the model's default sampler")
    parser.add_argument("--target-guidance", type=float, default=None, help="the flow sampler's omega (DeFoG)")
    parser.add_argument("--stochasticity", type=float, default=None, help="the flow sampler's eta (DeFoG)")
    parser.add_argument("--step-spacing", type=float, default=None, help="step k of n ends at T (1 - k/n)^spacing (default: the model's)")
    parser.add_argument("--projection", action="store_true", help="project onto valence and the ring limit (a correction)")
    args = parser.parse_args()
    default_chain = (args.sampler is None and args.target_guidance is None and args.stochasticity is None
                     and args.step_spacing is None and not args.projection)
    model = GraphDiffusion.load(args.checkpoint)
    rows, extra = {}, []
    profiles = {"MOSES test (first 5,000)": ring_profile(load_smiles("moses", "test")[:5000])}
    for i, steps in enumerate(int(s) for s in args.steps.split(",")):
        # the default sampler depends on the step count (ancestral below FLOW_MIN_STEPS)
        chain = sampler_options(args.sampler, args.target_guidance, args.stochasticity, model.resolved_steps(steps),
                                args.step_spacing)
        chain_name = ("ancestral sampler" if chain["sampler"] == "ancestral" else
                      f"flow sampler, target guidance {chain['target_guidance']:g}, stochasticity {chain['stochasticity']:g}")
        chain_name += f", step spacing {chain['step_spacing']:g}" + (", projected (a correction)" if args.projection else "")
        n = args.n if i == 0 else (args.sweep_n or args.n)
        started = time.perf_counter()
        samples = model.sample(n, seed=args.seed, steps=steps, label_prior=not args.no_label_prior,
                               projection=args.projection, **chain)
        seconds = time.perf_counter() - started
        smiles = [s.smiles for s in samples]
        connected = float(np.mean([s.meta.get("fragments") == 1 for s in samples]))
        metrics = evaluate(smiles, "moses", train="moses")
        name = f"molgen diffusion, {steps} steps, {chain_name}"
        rows[name] = metrics
        profiles[name] = rings = ring_profile(smiles)
        extra.append(f"{steps} steps, n={n}: valid {metrics['valid']:.4f}, one fragment {connected:.4f}, {seconds:.0f} s sampling "
                     f"({n / seconds:.1f} molecules/s)" + (f", {np.mean([s.meta['projected_bonds'] for s in samples]):.2f} bonds "
                                                                  "dropped or lowered per molecule in the final graph"
                                                                  if args.projection else ""))
        if i == 0 and not args.no_card and default_chain:
            record = {k: v for k, v in metrics.items() if k not in ("properties", "timings", "notes", "invalid_samples")}
            record.update({"command": f"python benchmarks/graph_diffusion_quality.py --checkpoint {args.checkpoint} "
                                      f"-n {args.n} --steps {steps}",
                           "steps": steps, **chain, "one_fragment": connected, "sampling_seconds": round(seconds, 1),
                           "rings": {k: round(v, 4) for k, v in rings.items()},
                           "validity_note": "as DiGress: sanitized as sampled, largest fragment kept, no correction",
                           "untargeted_sampling": ("label prior: each graph a training molecule's atom count and properties"
                                                   if model.config.label_prior and not args.no_label_prior
                                                   else "unconditional branch, sizes from the training histogram")})
            write_measured_card(model, Path(args.checkpoint), record)
    print(markdown_table({**rows, **published_rows(("DiGress",))}))
    print("\n".join(extra))
    print()
    print(ring_table(profiles))


if __name__ == "__main__":
    main()
