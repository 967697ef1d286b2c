"""Scoring throughput: molgen (1 and 2 processes) against a plain single-process RDKit loop.

    python benchmarks/scoring.py --n 100000

Scores the first N MOSES test molecules with the `drug-like` profile. The plain loop
computes the same values (every property, PAINS + Brenk alerts, Lipinski and Veber) with
RDKit calls in one process; the script checks that both agree before timing is reported.
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


def plain_loop(smiles: list[str]) -> list[dict]:
    """What a chemist would write by hand: one molecule at a time, RDKit only."""
    RDLogger.DisableLog("rdApp.*")
    params = FilterCatalog.FilterCatalogParams()
    for catalog in ("PAINS_A", "PAINS_B", "PAINS_C", "BRENK"):
        params.AddCatalog(getattr(FilterCatalog.FilterCatalogParams.FilterCatalogs, catalog))
    catalog = FilterCatalog.FilterCatalog(params)
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
            "alerts": len(catalog.GetMatches(mol)),
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
    for column in ("qed", "sa", "logp", "mw", "tpsa", "stereocentres", "np_likeness", "alerts", "lipinski_pass", "veber_pass"):
        ours = table[column].to_numpy(dtype=float)
        theirs = np.array([row.get(column, np.nan) for row in plain], dtype=float)
        assert np.allclose(ours, theirs, equal_nan=True), f"{column} differs between molgen and the plain loop"
    assert tables[1].equals(tables[2]), "n_jobs=1 and n_jobs=2 tables differ"

    base = timings["plain RDKit loop (1 process)"]
    print(f"scoring {len(smiles):,} MOSES test molecules, drug-like profile, {os.cpu_count()} cores")
    print(f"{'method':<32} {'seconds':>9} {'mol/s':>9} {'vs plain':>9}")
    for name, seconds in timings.items():
        print(f"{name:<32} {seconds:>9.1f} {len(smiles) / seconds:>9.0f} {base / seconds:>8.2f}x")


if __name__ == "__main__":
    main()
