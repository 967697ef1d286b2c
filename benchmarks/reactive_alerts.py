"""Reactive-group alerts (``reactive`` in ``molgen.scoring.alerts``): how often each fires on MOSES's molecules
and on each shipped generator's raw samples, beside how often the RDKit catalogs fire.

    python benchmarks/reactive_alerts.py --n 2000 --reference 50000

One table. Rows: the first ``--reference`` MOSES train and test molecules (the false-alarm rate on real
molecules), then ``--n`` samples of each shipped generator drawn with ``model.sample`` under one seed: no
condition, no filter, no correction, the largest fragment of every sample that parses. Columns: the share of
molecules raising each ``reactive`` alert, and the share of those that no catalog (PAINS, Brenk, NIH) flags,
which is what the set adds. A few examples of each alert follow the table.
"""

from __future__ import annotations

import time

from rdkit import Chem, RDLogger
from ring_alerts import GENERATORS, generator_arguments, largest_fragments

from molgen.data.moses import load_moses_split
from molgen.models import load
from molgen.models.base import checkpoint_path, shipped_checkpoints
from molgen.scoring.alerts import REACTIVE, find_alerts


def row(label: str, mols: list[Chem.Mol], examples: dict[str, list[str]]) -> str:
    cells = []
    for alert in REACTIVE:
        hits = [m for m in mols if f"reactive:{alert}" in find_alerts(m, ["reactive"])]
        unflagged = [m for m in hits if not find_alerts(m, ["pains", "brenk", "nih"])]
        examples.setdefault(alert, []).extend(Chem.MolToSmiles(m) for m in hits[:3])
        cells.append(f"{len(hits) / len(mols):.4f} ({len(hits)}) | {len(unflagged)} of {len(hits)}")
    return f"| {label} | {len(mols):,} | {' | '.join(cells)} |"


def main() -> None:
    args = generator_arguments(__doc__, 2000, 50_000, "MOSES train and test molecules each").parse_args()
    RDLogger.DisableLog("rdApp.*")
    heads = " | ".join(f"{alert} | of those, no catalog's" for alert in REACTIVE)
    print(f"| molecules | n | {heads} |")
    print("|---|---|" + "---|---|" * len(REACTIVE))
    examples: dict[str, list[str]] = {}
    for split in ("train", "test"):
        mols = largest_fragments(load_moses_split(split)[:args.reference])
        print(row(f"MOSES {split} (first {args.reference:,})", mols, examples))
    for family in [f for f in GENERATORS if f in args.models.split(",")]:
        if family not in shipped_checkpoints():
            continue
        model = load(checkpoint_path(family))
        start = time.perf_counter()
        samples = model.sample(args.n, seed=args.seed)
        seconds = time.perf_counter() - start
        mols = largest_fragments([s.smiles for s in samples])
        print(row(f"{family}, {args.n} raw samples ({len(mols)} parse; {seconds:.0f} s)", mols, examples))
    for alert, shown in examples.items():
        print(f"\n{alert}: {', '.join(shown[:12]) or 'none'}")


if __name__ == "__main__":
    main()
