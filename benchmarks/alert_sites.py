"""Alert counts before and after one catalog's two names for one group of atoms count once
(``molgen.scoring.alerts.group_findings`` with atoms): how many molecules' ``alerts`` change, and which names
were merged most often.

    python benchmarks/alert_sites.py --n 20000

One table. Rows: the first ``--n`` MOSES test molecules, and a series of covalent and reactive drugs and leads a
chemist's review raised (acrylamides, a quinone). Columns, with the drug-like profile's alert sets: molecules with
any alert, the mean count by name (how it was counted) and by site (now), and how many molecules count fewer.
The merged names follow, most frequent first.
"""

from __future__ import annotations

import argparse
from collections import Counter

from rdkit import Chem, RDLogger

from molgen.data.moses import load_moses_split
from molgen.scoring.alerts import alert_atoms, count_findings, find_alerts, group_findings
from molgen.scoring.profiles import load_profile

#: Molecules the chemist's review scored (EGFR covalent inhibitors) and textbook multi-flagged motifs.
REVIEWED = {"canertinib": "C=CC(=O)Nc1cc2c(Nc3ccc(F)c(Cl)c3)ncnc2cc1OCCCN1CCOCC1",
            "afatinib": "CN(C)C/C=C/C(=O)Nc1cc2c(Nc3ccc(F)c(Cl)c3)ncnc2cc1O[C@H]1CCOC1",
            "osimertinib": "C=CC(=O)Nc1cc(Nc2nccc(-c3cn(C)c4ccccc34)n2)c(OC)cc1N(C)CCN(C)C",
            "ibrutinib": "C=CC(=O)N1CCC[C@@H](n2nc(-c3ccc(Oc4ccccc4)cc3)c3c(N)ncnc32)C1",
            "p-benzoquinone": "O=C1C=CC(=O)C=C1", "menadione": "CC1=CC(=O)c2ccccc2C1=O",
            "rhodanine": "O=C1NC(=S)SC1=Cc1ccccc1", "gefitinib": "COc1cc2ncnc(Nc3ccc(F)c(Cl)c3)c2cc1OCCCN1CCOCC1"}


def counts(mols: list[Chem.Mol], sets: list[str], merged: Counter) -> tuple[int, float, float, int]:
    flagged, by_name, by_site, fewer = 0, 0, 0, 0
    for mol in mols:
        hits = find_alerts(mol, sets)
        if not hits:
            continue
        atoms = alert_atoms(mol, sets) if len(hits) > 1 else None
        named, sited = count_findings(hits), count_findings(hits, atoms)
        flagged, by_name, by_site, fewer = flagged + 1, by_name + named, by_site + sited, fewer + (sited < named)
        merged.update(label for label, _ in group_findings(hits, atoms) if " / " in label)
    return flagged, by_name / max(flagged, 1), by_site / max(flagged, 1), fewer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000, help="MOSES test molecules")
    args = parser.parse_args()
    RDLogger.DisableLog("rdApp.*")
    sets = load_profile("drug-like").alerts
    merged: Counter = Counter()
    print("| molecules | n | with an alert | mean alerts by name (before) | by site (now) | counting fewer |")
    print("|---|---|---|---|---|---|")
    rows = [(f"MOSES test, first {args.n:,}", [Chem.MolFromSmiles(s) for s in load_moses_split("test")[:args.n]]),
            ("reviewed drugs and motifs", [Chem.MolFromSmiles(s) for s in REVIEWED.values()])]
    for label, mols in rows:
        flagged, by_name, by_site, fewer = counts(mols, sets, merged)
        print(f"| {label} | {len(mols):,} | {flagged:,} | {by_name:.3f} | {by_site:.3f} | {fewer:,} |")
    print("\nOne catalog's names merged at one site, most frequent first:")
    for label, count in merged.most_common(12):
        print(f"- {label}: {count:,}")
    print("\nEach reviewed molecule, by name -> by site:")
    for name, smiles in REVIEWED.items():
        mol = Chem.MolFromSmiles(smiles)
        hits = find_alerts(mol, sets)
        print(f"- {name}: {count_findings(hits)} -> {count_findings(hits, alert_atoms(mol, sets))}")


if __name__ == "__main__":
    main()
