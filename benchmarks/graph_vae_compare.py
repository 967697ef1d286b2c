"""A quick, matched comparison of graph VAE checkpoints: greedy prior samples and reconstruction.

    python benchmarks/graph_vae_compare.py CHECKPOINT [N]      # N prior samples, default 5000

One JSON line per run: the main MOSES metrics of N greedy prior samples (seed 0; from the aggregate
posterior when the checkpoint carries one, ``latent_prior_rows``) against MOSES test,
and the reconstruction of the 1,000 test molecules `graph_vae_quality.py` picks (greedy, most likely of
10 decodings, mean Tanimoto to the input). One thread, so two checkpoints can run side by side. Use it to
choose between runs; the shipped card's numbers come from `graph_vae_quality.py` at 30,000 samples.
"""

import json
import sys
import time

import torch

from graph_vae_reconstruction import reconstruction_molecules  # the same 1,000 test molecules (run from the repository root)
from molgen.metrics import evaluate
from molgen.models.graph_vae import latent
from molgen.models.graph_vae.model import GraphVAE


def main() -> None:
    torch.set_num_threads(1)
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    model = GraphVAE.load(path)
    model.eval()
    started = time.time()
    samples = model.sample(n, seed=0)
    metrics = evaluate([s.smiles for s in samples], "moses", train="moses")
    usable = reconstruction_molecules(model, seed=0)
    greedy = latent.reconstruction_accuracy(model, usable)
    best_of_10 = latent.reconstruction_accuracy(model, usable, candidates=10)
    similarity = latent.reconstruction_similarity(model, usable)
    keys = ["valid", "unique@1000", "FCD/Test", "SNN/Test", "Frag/Test", "Scaf/Test", "IntDiv", "Filters", "Novelty"]
    print(json.dumps({"checkpoint": path, "n": n, "latent_prior_rows": model.config.latent_prior_rows, **{k: round(metrics[k], 4) for k in keys}, "recon_greedy": greedy,
                      "recon_best_of_10": best_of_10, "recon_similarity": round(similarity, 4), "molecules": len(usable),
                      "seconds": round(time.time() - started)}))


if __name__ == "__main__":
    main()
