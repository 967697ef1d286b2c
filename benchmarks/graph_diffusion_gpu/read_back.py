"""Read back what ``train.py`` wrote on the GPU machine: a molgen checkpoint, and the MOSES metrics of its samples.

    python benchmarks/graph_diffusion_gpu/read_back.py /work/.device/2 B ema --save runs/gpu/B_ema.pt

With TAG_KIND_samples.npz beside the weights (graphs sampled there), the graphs become molecules here
exactly as ``GraphDiffusion.sample`` makes them (RDKit sanitizes each graph as sampled, the largest
fragment kept, nothing corrected) and are scored with the MOSES metrics. ``--save`` writes the weights
as a molgen checkpoint with a training record (then ``molgen train ship`` and the quality benchmark,
as for any checkpoint). ``--cpu-samples N`` also samples N molecules here (seed 0), for a comparison
with the shipped checkpoint at the same n.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from molgen.chem.graph import AtomVocabulary
from molgen.models.graph_diffusion.config import GraphDiffusionConfig
from molgen.models.graph_diffusion.model import GraphDiffusion
from molgen.models.training import write_card

REPORTED = ["valid", "unique@10000", "FCD/Test", "SNN/Test", "Frag/Test", "Scaf/Test", "Filters", "Novelty", "IntDiv"]


def load(path: str | Path) -> tuple[GraphDiffusion, dict]:
    payload = torch.load(path, map_location="cpu", weights_only=True)
    model = GraphDiffusion(GraphDiffusionConfig.from_dict(payload["config"]), AtomVocabulary.from_dict(payload["vocabulary"]))
    model.load_state_dict({k: v.float() for k, v in payload["state"].items()})
    return model.eval(), payload["record"]


def sampled_smiles(model: GraphDiffusion, samples) -> list[str]:
    """The finished graphs of a TAG_KIND_samples.npz as SMILES ("" for a graph RDKit refuses)."""
    done = samples["done"]
    atoms, bonds, sizes = samples["atoms"][done], samples["bonds"][done], samples["sizes"][done]
    n_max = atoms.shape[1]
    upper = torch.triu_indices(n_max, n_max, 1)
    smiles: list[str] = []
    for start in range(0, len(atoms), 1000):
        part = slice(start, start + 1000)
        classes = torch.zeros(len(atoms[part]), n_max, n_max, dtype=torch.long)
        classes[:, upper[0], upper[1]] = torch.from_numpy(bonds[part].astype(np.int64))
        classes = classes + classes.transpose(1, 2)
        mask = torch.arange(n_max)[None] < torch.from_numpy(sizes[part].astype(np.int64))[:, None]
        pair = mask[:, :, None] & mask[:, None, :] & ~torch.eye(n_max, dtype=torch.bool)
        x = F.one_hot(torch.from_numpy(atoms[part].astype(np.int64)), model.config.num_atom_types).float() * mask[..., None]
        e = F.one_hot(classes, model.config.num_bond_classes).float() * pair[..., None]
        smiles.extend(s.smiles for s in model._to_samples(x, e, mask))
    return smiles


def main() -> None:
    from molgen.metrics import evaluate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("tag")
    parser.add_argument("kind", choices=["ema", "raw"])
    parser.add_argument("--save", default=None)
    parser.add_argument("--cpu-samples", type=int, default=0)
    args = parser.parse_args()
    folder = Path(args.folder)
    model, record = load(folder / f"{args.tag}_{args.kind}.pt")
    print(json.dumps(record))
    if args.save:
        shipped = GraphDiffusion.load("molgen/pretrained/graph-diffusion.pt").training_record
        model.training_record = {"data": "moses", "data_fingerprint": shipped["data_fingerprint"],  # the same subset (pack_data.py)
                                 "device": record["device"],
                                 "weights": f"{args.kind} (EMA decay {record['ema_decay']})" if args.kind == "ema" else "raw",
                                 **{k: v for k, v in record.items() if k != "device"}}
        model.save(args.save)
        write_card(model, args.save, metrics={})   # a card of earlier weights beside it would fail its checksum
        print(f"saved {args.save} (+ its card; metrics come from benchmarks/graph_diffusion_quality.py)")
    sample_file = folder / f"{args.tag}_{args.kind}_samples.npz"
    runs = []
    if sample_file.is_file():
        runs.append(("sampled where it trained", sampled_smiles(model, np.load(sample_file)), None))
    if args.cpu_samples:
        started = time.time()
        smiles = [s.smiles for s in model.sample(args.cpu_samples, seed=0)]
        runs.append(("sampled here", smiles, time.time() - started))
    for where, smiles, seconds in runs:
        metrics = evaluate(smiles, "moses", train="moses")
        print(json.dumps({"tag": args.tag, "weights": args.kind, "where": where, "n": len(smiles), "sampling_seconds": seconds,
                          **{k: metrics.get(k) for k in REPORTED}}))


if __name__ == "__main__":
    main()
