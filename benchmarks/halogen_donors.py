"""Halogen donors (``halogen_donors`` in ``molgen.scoring.alerts``): a halogen on nitrogen, oxygen or divalent
sulfur, on MOSES's molecules and on each shipped generator's raw samples, and where such molecules ranked under
the drug-like profile before the set became one of its hard filters.

    python benchmarks/halogen_donors.py --n 2000 --reference 200000

The first table: the first ``--reference`` MOSES train and test molecules (how often real molecules carry one),
then ``--n`` samples of each shipped generator (``model.sample`` under one seed; no condition, no filter, no
correction; the largest fragment of every sample that parses). Columns: the share carrying a halogen donor, and of
those, how many Brenk flags (its N-halo), NIH flags (its halogen_heteroatom) and no catalog flags.

The second table scores each generator's samples under drug-like twice, as shipped and with ``halogen_donors``
left out of its alerts and hard filters (as before this set), and gives the halogen donors' best rank and how many
fall in the top 100 ranked molecules.
"""

from __future__ import annotations

import copy

from rdkit import Chem, RDLogger
from ring_alerts import GENERATORS, generator_arguments, largest_fragments

from molgen.data.moses import load_moses_split
from molgen.models import load
from molgen.models.base import checkpoint_path, shipped_checkpoints
from molgen.scoring.alerts import find_alerts, halogen_donor_atoms
from molgen.scoring.pipeline import score
from molgen.scoring.profiles import load_profile


def share_row(label: str, mols: list[Chem.Mol], examples: list[str]) -> str:
    donors = [m for m in mols if halogen_donor_atoms(m)]
    examples.extend(Chem.MolToSmiles(m) for m in donors[:4])
    brenk = sum(any(hit.startswith("brenk:N-halo") for hit in find_alerts(m, ["brenk"])) for m in donors)
    nih = sum("nih:halogen_heteroatom" in find_alerts(m, ["nih"]) for m in donors)
    none = sum(not find_alerts(m, ["pains", "brenk", "nih"]) for m in donors)
    share = len(donors) / max(len(mols), 1)
    return f"| {label} | {len(mols):,} | {share:.5f} ({len(donors)}) | {brenk} | {nih} | {none} |"


def rank_row(label: str, smiles: list[str]) -> str:
    shipped = load_profile("drug-like")
    before = copy.deepcopy(shipped)
    before.hard_filters = [name for name in shipped.hard_filters if name != "halogen_donors"]
    before.alerts = [name for name in shipped.alerts if name != "halogen_donors"]   # not even reported, as before
    cells = []
    for profile in (before, shipped):
        table = score(smiles, profile, progress=False)
        ranked = table[table["rank"] > 0]
        donors = ranked[[bool(halogen_donor_atoms(Chem.MolFromSmiles(s))) for s in ranked["smiles"]]]
        best = int(donors["rank"].min()) if len(donors) else None
        cells.append(f"{best if best is not None else '-'} of {len(ranked):,} | {int((donors['rank'] <= 100).sum())}")
    return f"| {label} | {' | '.join(cells)} |"


def main() -> None:
    args = generator_arguments(__doc__, 2000, 200_000, "MOSES train and test molecules each").parse_args()
    RDLogger.DisableLog("rdApp.*")
    print("| molecules | n | a halogen donor | Brenk's N-halo | NIH's halogen_heteroatom | no catalog's |")
    print("|---|---|---|---|---|---|")
    examples: list[str] = []
    for split in ("train", "test"):
        molecules = load_moses_split(split)
        label = f"first {args.reference:,}" if len(molecules) > args.reference else f"all {len(molecules):,}"
        print(share_row(f"MOSES {split} ({label})", largest_fragments(molecules[:args.reference]), examples))
    sampled: dict[str, list[str]] = {}
    for family in [f for f in GENERATORS if f in args.models.split(",")]:
        if family not in shipped_checkpoints():
            continue
        samples = load(checkpoint_path(family)).sample(args.n, seed=args.seed)
        mols = largest_fragments([s.smiles for s in samples])
        sampled[family] = [Chem.MolToSmiles(m) for m in mols]
        print(share_row(f"{family} ({len(mols):,} of {args.n:,} parse)", mols, examples))
    print(f"\nexamples: {', '.join(examples[:16]) or 'none'}\n")
    print("| samples scored under drug-like | best donor rank, donors not a hard filter | donors in top 100 | "
          "best donor rank, shipped | donors in top 100 |")
    print("|---|---|---|---|---|")
    for family, smiles in sampled.items():
        print(rank_row(family, smiles))


if __name__ == "__main__":
    main()
