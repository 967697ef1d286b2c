"""Steering the graph VAE towards property targets: Bayesian optimisation against random search with
the same number of decodings, and the property head's gradient.

    python benchmarks/graph_vae_search.py --checkpoint molgen/pretrained/graph-vae.pt --starts 24 --rounds 8,16

From each of ``--starts`` MOSES test molecules (the quality benchmark's reconstruction pick, seed 0;
for a QED target, only those with QED below 0.75), for each target set and round count:
- ``latent.search(method="bayesian")``: a Gaussian process over z, 16 decodings a round after 16 at random;
- ``latent.search(method="random")``: the same number of decodings, all drawn around the start at the
  same radius, no model;
- for targets the property head predicts, ``latent.optimise``: 40 gradient steps on the head, decoding
  every 5th (9 decodings; a far smaller budget, shown for what the head alone does).
Every molecule is decoded greedily (valid by construction) and scored by RDKit. The table gives the
mean over starts of the best gap found (``latent.target_gap``: 1 is as far as the start, 0 every
target met), how often the search beat random search on the same start, the Tanimoto of the best
molecule to its start, and the seconds per start (one thread). Each start is placed at its encoding
(the encoder's mean refined by ``--refine-steps`` gradient steps, ``latent.refine``; 0: the mean);
``--methods`` runs only some of the searches.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from rdkit import Chem, DataStructs
from rdkit.Chem import QED

from molgen.models.graph_vae import latent
from molgen.models.graph_vae.latent import SEARCH_BATCH
from molgen.models.graph_vae.model import GraphVAE
from molgen.scoring.properties import PROPERTIES
from molgen.scoring.similarity import morgan_fingerprint

sys.path.insert(0, str(Path(__file__).parent))
from graph_vae_reconstruction import reconstruction_molecules  # noqa: E402 -- the same test molecules

TARGET_SETS = {"QED 0.9": {"qed": 0.9}, "QED 0.9, TPSA 90": {"qed": 0.9, "tpsa": 90.0}}


def best(found: list[dict]) -> dict:
    """The row nearest the targets among those the search decoded (the start's own row only if it found nothing)."""
    decoded = [row for row in found if row["round"] >= 0] or found
    return min(decoded, key=lambda row: row["gap"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="molgen/pretrained/graph-vae.pt")
    parser.add_argument("--starts", type=int, default=24)
    parser.add_argument("--rounds", default="8,16")
    parser.add_argument("--radius", type=float, default=4.0, help="latent.search's radius (its default: 4)")
    parser.add_argument("--methods", default="bayesian,random",
                        help="comma-separated: bayesian, random; or gradient alone (the head's walk, run with either too)")
    parser.add_argument("--refine-steps", type=int, default=latent.REFINE_STEPS,
                        help="the start's encoding: its encoder mean refined this many steps (latent.refine; 0: the mean)")
    args = parser.parse_args()
    methods = {"bayesian": "Bayesian optimisation", "random": "random search"}
    asked = [m for m in args.methods.split(",") if m]
    if asked == ["gradient"]:   # the head's walk alone: no search rows
        asked = []
    elif not asked or set(asked) - set(methods):
        parser.error(f"--methods takes {', '.join(methods)}; got {args.methods}")
    encoding = {"refine_steps": args.refine_steps}
    torch.set_num_threads(1)
    model = GraphVAE.load(args.checkpoint)
    pool = reconstruction_molecules(model, 0, 1000)
    lines = ["| targets | method | decodings | best gap, mean | beats random search | Tanimoto of the best to the start | s per start |",
             "|---|---|---|---|---|---|---|"]
    for label, targets in TARGET_SETS.items():
        starts = [s for s in pool if "qed" not in targets or QED.qed(Chem.MolFromSmiles(s)) < 0.75][:args.starts]
        for rounds in (int(r) for r in args.rounds.split(",") if asked):
            budget = SEARCH_BATCH * (rounds + 1)
            rows = {methods[m]: [] for m in methods if m in asked}
            seconds = {name: 0.0 for name in rows}
            for start in starts:
                for method in (m for m in methods if m in asked):
                    began = time.perf_counter()
                    found = latent.search(model, start, targets, decodings=budget, method=method, radius=args.radius,
                                          **encoding)
                    rows[methods[method]].append(best(found))
                    seconds[methods[method]] += time.perf_counter() - began
            for name in rows:
                gaps = np.array([r["gap"] for r in rows[name]])
                beats = ""
                if name == "Bayesian optimisation" and "random search" in rows:
                    bo, rs = gaps, np.array([r["gap"] for r in rows["random search"]])
                    beats = f"{np.mean(bo < rs):.2f} (worse {np.mean(bo > rs):.2f})"
                method = name if name == "random search" else f"{name}, {rounds} rounds"
                lines.append(f"| {label} | {method} | {budget} | {gaps.mean():.3f} | {beats} | "
                             f"{np.mean([r['similarity'] for r in rows[name]]):.2f} | {seconds[name] / len(starts):.1f} |")
            print(*lines[-len(rows):], sep="\n", flush=True)
        if set(targets) <= set(model.config.properties):
            gaps, similarity, began = [], [], time.perf_counter()
            for start in starts:
                mol = Chem.MolFromSmiles(start)
                start_values = {name: PROPERTIES[name].function(mol) for name in targets}
                walk = latent.optimise(model, start, targets, steps=40, **encoding)
                scored = [(latent.target_gap(Chem.MolFromSmiles(w["smiles"]), targets, start_values), w["smiles"])
                          for w in (walk[1:] or walk)]
                gap, smiles = min(scored)
                gaps.append(gap)
                similarity.append(DataStructs.TanimotoSimilarity(morgan_fingerprint(mol),
                                                                 morgan_fingerprint(Chem.MolFromSmiles(smiles))))
            lines.append(f"| {label} | property head gradient, 40 steps | 9 | {np.mean(gaps):.3f} | | "
                         f"{np.mean(similarity):.2f} | {(time.perf_counter() - began) / len(starts):.1f} |")
            print(lines[-1], flush=True)
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
