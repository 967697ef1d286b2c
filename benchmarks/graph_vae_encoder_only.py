"""Can the graph VAE's amortized encoder learn what refinement finds? The encoder trained alone, the
decoder fixed, against the decoder's NLL at the encoder's mean.

    python benchmarks/graph_vae_encoder_only.py --checkpoint molgen/pretrained/graph-vae.pt --lr 3e-4 --steps 3000

The shipped encoder's mean decodes back to a MOSES test molecule 0.087 of the time, while 40
gradient steps on z (``latent.refine``) reach 0.797: the decoder can give the molecule, the encoder
does not point at it. This trains the encoder (the decoder and prior fixed, so prior samples do not
change) to minimise the decoder's teacher-forced NLL at the mean (no noise, no KL), with a penalty
that keeps its log-variance where it was. Every ``--eval-every`` steps it prints greedy reconstruction
from the mean on the first ``--eval-n`` of the reconstruction benchmark's molecules, and the mean's norm.
Nothing is saved: it is a probe, written up in RESULTS.md.
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch

from graph_vae_reconstruction import reconstruction_molecules
from molgen.data.registry import load_smiles
from molgen.models.graph_vae import latent
from molgen.models.graph_vae.model import GraphVAE
from molgen.models.graph_vae.train import _batch, _featurized


def main() -> None:
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = GraphVAE.load(args.checkpoint).float()
    before = copy.deepcopy(model.encoder).eval()
    molecules = reconstruction_molecules(model)[:args.eval_n]

    def evaluate() -> tuple[float, float]:
        model.eval()
        mu, _ = latent.posterior(model, molecules)
        accuracy = latent.reconstruction_accuracy(model, molecules, decoded=latent.decode(model, mu))
        model.train()
        return accuracy, float(mu.norm(dim=1).mean())

    print("| step | train NLL (last 100 steps) | reconstruction from the mean | norm of the mean | s per step |")
    print("|---|---|---|---|---|")
    accuracy, norm = evaluate()
    print(f"| 0 | | {accuracy:.3f} | {norm:.2f} | |", flush=True)
    train = load_smiles("moses", "train")[:args.train_n]
    dataset = _featurized(list(train), model.vocabulary, False)
    usable = np.flatnonzero(dataset.num_atoms().numpy() <= model.config.max_atoms)
    for parameter in model.decoder.parameters():
        parameter.requires_grad_(False)
    optimizer = torch.optim.Adam(model.encoder.parameters(), lr=args.lr)
    rng = np.random.default_rng(args.seed)
    model.train()
    started, running = time.perf_counter(), []
    for step in range(1, args.steps + 1):
        data, atoms, bonds, lengths = _batch(model, dataset, rng.choice(usable, args.batch_size, replace=False))
        mu, logvar = model.encoder(data)
        with torch.no_grad():
            _, logvar_before = before(data)
        atom_nll, bond_nll = model.decoder(mu, atoms, bonds, lengths)
        nll = (atom_nll + bond_nll).mean()
        loss = nll + ((logvar - logvar_before) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.encoder.parameters(), 1.0)
        optimizer.step()
        running.append(nll.item())
        if step % args.eval_every == 0:
            accuracy, norm = evaluate()
            print(f"| {step} | {np.mean(running[-100:]):.3f} | {accuracy:.3f} | {norm:.2f} | "
                  f"{(time.perf_counter() - started) / step:.3f} |", flush=True)


parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--checkpoint", default="molgen/pretrained/graph-vae.pt")
parser.add_argument("--lr", type=float, default=3e-4)
parser.add_argument("--steps", type=int, default=3000)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--train-n", type=int, default=200_000, help="MOSES training molecules drawn from")
parser.add_argument("--eval-n", type=int, default=300)
parser.add_argument("--eval-every", type=int, default=500)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seed", type=int, default=0)

if __name__ == "__main__":
    main()
