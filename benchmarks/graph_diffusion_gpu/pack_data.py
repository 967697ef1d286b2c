"""Pack the shipped graph diffusion model's training molecules as compact arrays for a GPU machine.

    python benchmarks/graph_diffusion_gpu/pack_data.py            # writes .gpu/data.npz (about 21 MB)

The GPU machine lent to some sessions has no RDKit and no network, and takes at most 64 MiB of files
with the repository. This featurizes, here, the very subset the shipped checkpoint trained on (MOSES
train, 600,000 molecules drawn with seed 0, 2,000 of them held out, as `molgen train graph-diffusion
--max-molecules 600000` draws them) in the shipped model's atom vocabulary, with the four conditioning
labels (qed, sa, logp, mw). About 17 minutes on 2 cores, most of it the labels (cached afterwards).
Ignore `.gpu/` in `.git/info/exclude` and carry it to the machine (`train.py` there reads it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from molgen.cli import _dataset_smiles, _labels, _training_split
from molgen.models.graph_diffusion.model import GraphDiffusion
from molgen.models.graph_diffusion.train import model_graphs

CONDITIONS = ["qed", "sa", "logp", "mw"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".gpu/data.npz")
    parser.add_argument("--max-molecules", type=int, default=600_000)
    args = parser.parse_args()
    started = time.time()
    smiles, order, n_valid = _training_split(_dataset_smiles("moses"), args.max_molecules, 0, 2000, "moses")
    valid, training = [smiles[i] for i in order[:n_valid]], [smiles[i] for i in order[n_valid:]]
    train_labels, valid_labels = _labels(smiles, order, n_valid, CONDITIONS)
    model = GraphDiffusion.load("molgen/pretrained/graph-diffusion.pt")
    arrays = {}
    for name, part, labels in (("train", training, train_labels), ("valid", valid, valid_labels)):
        graphs = model_graphs(model, part)
        kept = graphs.source_rows(len(part))
        arrays.update({f"{name}_atoms": graphs.atoms.numpy().astype(np.uint8),
                       f"{name}_atom_ptr": graphs.atom_ptr.numpy().astype(np.int64),
                       f"{name}_bonds": graphs.bonds.numpy().astype(np.uint8),
                       f"{name}_bond_types": graphs.bond_types.numpy().astype(np.uint8),
                       f"{name}_bond_ptr": graphs.bond_ptr.numpy().astype(np.int64),
                       f"{name}_labels": np.asarray(labels)[kept].astype(np.float32)})
        print(f"{name}: {len(graphs):,} graphs, {len(graphs.failures)} failed")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.1f} MB) in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
