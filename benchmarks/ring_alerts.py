"""Ring alerts (``molgen.scoring.ring_alerts``): how often each fires on real molecules and on each
shipped generator's raw samples.

    python benchmarks/ring_alerts.py --n 600 --reference 20000

One table. Rows: the first ``--reference`` MOSES test molecules (how often a real lead-like molecule
is flagged: the false-alarm rate; MOSES's filters already removed rings of 8 or more atoms from it,
so that column reads 0 there by construction), then ``--n`` samples of each shipped generator,
drawn with ``model.sample`` under one seed: no condition, no filter, no correction, the largest
fragment of every sample that parses. Columns: the share of molecules raising any ring alert, then
each alert's share. The sampling time is printed beside each generator (2 cores).

    python benchmarks/ring_alerts.py --n 2000 --models graph-vae --ablate-small-ring-rules

``--models`` picks the generators. ``--ablate-small-ring-rules`` adds a graph VAE row sampled with
the decoder's small-ring rule switched off (``model.small_ring_doubles`` reporting no ring; the
ring-size limit stays), the same latents and seed: what the rule prevents.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from contextlib import contextmanager

import torch
from rdkit import Chem, RDLogger

import molgen.models.graph_vae.model as vae_model
from molgen.data.moses import load_moses_split
from molgen.models import load
from molgen.models.base import checkpoint_path, shipped_checkpoints
from molgen.scoring.ring_alerts import MACROCYCLE, RING_ALERTS, macrocycle_atoms, ring_alerts

GENERATORS = ("smiles-lm-lstm", "smiles-lm-transformer", "graph-vae", "graph-diffusion")
SHORT = {name: name.split(" (")[0] for name in RING_ALERTS}   # the column headings
SHORT[MACROCYCLE] = "macrocycle (reported, not a ring alert)"


def generator_arguments(description: str, n: int, reference: int, reference_help: str) -> argparse.ArgumentParser:
    """The options the alert benchmarks share: samples per generator, reference molecules, seed, which generators."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=n, help="samples per generator")
    parser.add_argument("--reference", type=int, default=reference, help=reference_help)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--models", default=",".join(GENERATORS), help="comma-separated generators")
    return parser


def largest_fragments(smiles: list[str]) -> list[Chem.Mol]:
    mols = []
    for text in smiles:
        mol = Chem.MolFromSmiles(text) if text else None
        if mol is not None:
            mols.append(max(Chem.GetMolFrags(mol, asMols=True), key=lambda m: m.GetNumAtoms()))
    return mols


def row(label: str, mols: list[Chem.Mol]) -> str:
    counts, flagged = Counter(), 0
    for mol in mols:
        raised = ring_alerts(mol)
        counts.update(raised.keys())
        counts.update([MACROCYCLE] if macrocycle_atoms(mol) else [])
        flagged += bool(raised)
    shares = " | ".join(f"{counts[name] / len(mols):.4f}" for name in (*RING_ALERTS, MACROCYCLE))
    return f"| {label} | {len(mols):,} | {flagged / len(mols):.4f} | {shares} |"


def main() -> None:
    parser = generator_arguments(__doc__, 600, 20_000, "MOSES test molecules")
    parser.add_argument("--ablate-small-ring-rules", action="store_true",
                        help="add a graph VAE row without the cyclopropene and cyclobutadiene rule")
    args = parser.parse_args()
    unknown = set(args.models.split(",")) - set(GENERATORS)
    if unknown:
        parser.error(f"--models: unknown {', '.join(sorted(unknown))}; known: {', '.join(GENERATORS)}")
    RDLogger.DisableLog("rdApp.*")
    print(f"| molecules | n | any ring alert | {' | '.join(SHORT[name] for name in (*RING_ALERTS, MACROCYCLE))} |")
    print("|---|---|---|" + "---|" * (len(RING_ALERTS) + 1))
    print(row(f"MOSES test (first {args.reference:,})", largest_fragments(load_moses_split("test")[:args.reference])))
    for family in [f for f in GENERATORS if f in args.models.split(",")]:
        if family not in shipped_checkpoints():
            continue
        model = load(checkpoint_path(family))
        arms = [("", None)]
        if family == "graph-vae" and args.ablate_small_ring_rules:
            arms.append((" without the small-ring rule", lambda bonds, t, j: (torch.full((len(bonds),), -1),) * 2))
        for label, replacement in arms:
            with patched(vae_model, "small_ring_doubles", replacement):
                start = time.perf_counter()
                samples = model.sample(args.n, seed=args.seed)
                seconds = time.perf_counter() - start
            mols = largest_fragments([s.smiles for s in samples])
            print(row(f"{family}{label}, {args.n} raw samples ({len(mols)} parse; {seconds:.0f} s)", mols))


@contextmanager
def patched(module, name: str, replacement):
    """``module.name`` replaced inside the block (``None``: left alone)."""
    original = getattr(module, name)
    if replacement is not None:
        setattr(module, name, replacement)
    try:
        yield
    finally:
        setattr(module, name, original)


if __name__ == "__main__":
    main()
