"""Does SMILES enumeration help a SMILES model trained on little data? (Arús-Pous et al., 2019)

    python benchmarks/augmentation.py --molecules 1000 --steps 2000 -n 5000 --threads 1

Trains the small SMILES LSTM twice on the same 1,000 MOSES training molecules and the same
budget (steps x batch): once on their canonical SMILES, once on 10 randomized SMILES of each
(`molgen.augment.enumerate_smiles`). Both keep their best checkpoint by validation NLL on the
same 100 held-out molecules (canonical spellings). Each samples N strings (seed 0, no
correction) and is evaluated against MOSES test; novelty is against the MOSES training set.
Prints one MOSES table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from molgen.augment import enumerate_smiles
from molgen.cli import SMILES_LM_SIZES
from molgen.data.registry import load_smiles
from molgen.data.tokenizer import SmilesVocabulary
from molgen.metrics import evaluate, markdown_table
from molgen.models.smiles_lm.config import SmilesLMConfig, TrainConfig
from molgen.models.smiles_lm.model import SmilesLM
from molgen.models.smiles_lm.train import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--molecules", type=int, default=1000)
    parser.add_argument("--copies", type=int, default=10, help="randomized SMILES per molecule in the enumerated arm")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("-n", type=int, default=5000, help="samples evaluated per arm")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    everything = load_smiles("moses", "train")
    rng = np.random.default_rng(args.seed)
    picked = [everything[i] for i in rng.choice(len(everything), args.molecules + 100, replace=False)]
    valid, molecules = picked[:100], picked[100:]
    enumerated, _ = enumerate_smiles(molecules, args.copies, seed=args.seed)
    arms = {"canonical": molecules, f"{args.copies}x enumerated": enumerated["smiles"].tolist()}
    vocabulary = SmilesVocabulary.from_smiles(everything[:200_000] + arms[f"{args.copies}x enumerated"])
    rows, notes = {}, []
    for name, data in arms.items():
        torch.manual_seed(args.seed)
        config = SmilesLMConfig(arch="lstm", vocab_size=len(vocabulary), **SMILES_LM_SIZES["small"])
        model = SmilesLM(config, vocabulary)
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "model.pt"
            started = time.perf_counter()
            card = train(model, data, valid, TrainConfig(batch_size=args.batch_size, max_steps=args.steps, eval_every=100,
                                                         warmup_steps=100, lr=2e-3, seed=args.seed), out, progress=False)
            minutes = (time.perf_counter() - started) / 60
            best = SmilesLM.load(out)
        samples = [s.smiles for s in best.sample(args.n, seed=0)]
        metrics = evaluate(samples, "moses", train="moses")
        label = f"{name} ({len(data):,} strings)"
        rows[label] = metrics
        notes.append(f"{label}: best validation NLL {card['training']['valid_nll_per_token']:.3f} at step "
                     f"{card['training']['steps']:,} of {args.steps:,} ({card['training']['epochs']:.1f} epochs), "
                     f"trained {minutes:.1f} min")
    print(markdown_table(rows))
    print("\n".join(notes))


if __name__ == "__main__":
    main()
