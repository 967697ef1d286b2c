"""Scoring throughput: molgen (1 and 2 processes) against a plain single-process RDKit loop.

    python benchmarks/scoring.py --n 100000

Scores the first N MOSES test molecules with the `drug-like` profile. The plain loop
computes the same values (every property, the PAINS, Brenk and NIH catalog hits, Lipinski and
Veber) with RDKit calls in one process; the script checks that both agree before timing is
reported. (The profile's own alert sets, rings and reactive groups, have no RDKit catalog: the
plain loop leaves them out, and the comparison reads the catalog hits by name, not the count
of findings, which counts several patterns on one group once.)
All three runs happen in one invocation, so the ratios are comparable.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from rdkit import Chem, RDConfig, RDLogger
from rdkit.Chem import QED, Crippen, Descriptors, FilterCatalog, Lipinski, rdMolDescriptors

from molgen.data.moses import fetch_moses, load_moses_split
from molgen.scoring.pipeline import score

sys.path.append(str(Path(RDConfig.RDContribDir) / "SA_Score"))
sys.path.append(str(Path(RDConfig.RDContribDir) / "NP_Score"))
import npscorer  # noqa: E402
import sascorer  # noqa: E402


#: The alert sets of the drug-like profile that are RDKit catalogs, as molgen names their hits ("brenk:hydroquinone").
CATALOGS = ("pains_a:", "pains_b:", "pains_c:", "brenk:", "nih:")


def plain_loop(smiles: list[str]) -> list[dict]:
    """What a chemist would write by hand: one molecule at a time, RDKit only."""
    RDLogger.DisableLog("rdApp.*")
    params = FilterCatalog.FilterCatalogParams()
    catalogs = {name: FilterCatalog.FilterCatalog(getattr(FilterCatalog.FilterCatalogParams.FilterCatalogs, name))
                for name in ("PAINS_A", "PAINS_B", "PAINS_C", "BRENK", "NIH")}
    np_model = npscorer.readNPModel()
    rows = []
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            rows.append({"valid": False})
            continue
        row = {
            "valid": True, "smiles": Chem.MolToSmiles(mol), "qed": QED.qed(mol), "sa": sascorer.calculateScore(mol),
            "logp": Crippen.MolLogP(mol), "mw": Descriptors.MolWt(mol), "tpsa": rdMolDescriptors.CalcTPSA(mol),
            "hbd": rdMolDescriptors.CalcNumHBD(mol), "hba": rdMolDescriptors.CalcNumHBA(mol),
            "nhoh_count": Lipinski.NHOHCount(mol), "no_count": Lipinski.NOCount(mol),
            "rotatable_bonds": rdMolDescriptors.CalcNumRotatableBonds(mol), "rings": rdMolDescriptors.CalcNumRings(mol),
            "aromatic_rings": rdMolDescriptors.CalcNumAromaticRings(mol), "fsp3": rdMolDescriptors.CalcFractionCSP3(mol),
            "heavy_atoms": mol.GetNumHeavyAtoms(), "formal_charge": Chem.GetFormalCharge(mol),
            "stereocentres": len(Chem.FindMolChiralCenters(mol, includeUnassigned=True, useLegacyImplementation=False)),
            "molar_refractivity": Crippen.MolMR(mol),
            "atoms": mol.GetNumAtoms() + sum(a.GetTotalNumHs() for a in mol.GetAtoms()),
            "np_likeness": npscorer.scoreMol(mol, np_model),
            "catalog_hits": sorted(f"{name.lower()}:{entry.GetDescription()}" for name, catalog in catalogs.items()
                                   for entry in catalog.GetMatches(mol)),
        }
        row["lipinski_pass"] = sum([row["mw"] > 500, row["logp"] > 5, row["nhoh_count"] > 5, row["no_count"] > 10]) <= 1
        row["veber_pass"] = row["rotatable_bonds"] <= 10 and row["tpsa"] <= 140
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    fetch_moses()
    smiles = load_moses_split("test")[: args.n]

    timings = {}
    started = time.perf_counter()
    plain = plain_loop(smiles)
    timings["plain RDKit loop (1 process)"] = time.perf_counter() - started
    tables = {}
    for jobs in (1, 2):
        started = time.perf_counter()
        tables[jobs] = score(smiles, "drug-like", n_jobs=jobs, progress=False)
        timings[f"molgen score, n_jobs={jobs}"] = time.perf_counter() - started

    # The same values, or the comparison means nothing.
    table = tables[2]
    for column in ("qed", "sa", "logp", "mw", "tpsa", "stereocentres", "np_likeness", "lipinski_pass", "veber_pass"):
        ours = table[column].to_numpy(dtype=float)
        theirs = np.array([row.get(column, np.nan) for row in plain], dtype=float)
        assert np.allclose(ours, theirs, equal_nan=True), f"{column} differs between molgen and the plain loop"
    ours = [sorted(hit for hit in str(names).split("; ") if hit.startswith(CATALOGS)) if valid else None
            for names, valid in zip(table["alert_names"].fillna(""), table["valid"])]
    theirs = [row.get("catalog_hits") for row in plain]
    differ = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    assert not differ, f"catalog alerts differ between molgen and the plain loop, first at row {differ[0]}: " \
                       f"{ours[differ[0]]} against {theirs[differ[0]]}"
    assert tables[1].equals(tables[2]), "n_jobs=1 and n_jobs=2 tables differ"

    base = timings["plain RDKit loop (1 process)"]
    print(f"scoring {len(smiles):,} MOSES test molecules, drug-like profile, {os.cpu_count()} cores")
    print("| method | seconds | mol/s | vs plain loop |")   # as benchmarks/RESULTS.md shows it
    print("|---|---|---|---|")
    for name, seconds in timings.items():
        print(f"| {name} | {seconds:.1f} | {len(smiles) / seconds:,.0f} | {base / seconds:.2f}x |")


if __name__ == "__main__":
    main()
