import math
import sys
from pathlib import Path

import pytest
from rdkit import Chem, RDConfig
from rdkit.Chem import QED

from molgen.scoring.properties import PROPERTIES, compute_properties

sys.path.append(str(Path(RDConfig.RDContribDir) / "SA_Score"))
import sascorer  # noqa: E402

REFERENCES = {
    "aspirin": "CC(=O)Oc1ccccc1C(=O)O",
    "caffeine": "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "ibuprofen": "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "paracetamol": "CC(=O)Nc1ccc(O)cc1",
    "imatinib": "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1",
}


@pytest.mark.parametrize("name", REFERENCES)
def test_qed_and_sa_equal_rdkit_own(name):
    mol = Chem.MolFromSmiles(REFERENCES[name])
    props = compute_properties(mol)
    assert props["qed"] == QED.qed(mol)
    assert props["sa"] == sascorer.calculateScore(mol)
    assert all(math.isfinite(v) for v in props.values())


def test_known_values():
    aspirin = compute_properties(Chem.MolFromSmiles(REFERENCES["aspirin"]))
    assert aspirin["qed"] == pytest.approx(0.550, abs=1e-3)
    assert aspirin["mw"] == pytest.approx(180.159, abs=1e-3)
    assert (aspirin["hbd"], aspirin["hba"], aspirin["heavy_atoms"], aspirin["aromatic_rings"]) == (1, 3, 13, 1)
    assert (aspirin["nhoh_count"], aspirin["no_count"]) == (1, 4)   # Lipinski's counts: the ester's O too
    assert aspirin["sa"] < 2.5  # easy to make
    imatinib = compute_properties(Chem.MolFromSmiles(REFERENCES["imatinib"]))
    assert imatinib["sa"] > aspirin["sa"]


def test_stereocentres_count_assigned_and_unassigned():
    assert compute_properties(Chem.MolFromSmiles("C[C@H](N)O"), ["stereocentres"]) == {"stereocentres": 1.0}
    assert compute_properties(Chem.MolFromSmiles("CC(N)O"), ["stereocentres"]) == {"stereocentres": 1.0}
    assert compute_properties(Chem.MolFromSmiles("CCO"), ["stereocentres"]) == {"stereocentres": 0.0}


def test_charge_and_fsp3():
    props = compute_properties(Chem.MolFromSmiles("C[N+](C)(C)C.[O-]C(=O)C"), ["formal_charge", "fsp3"])
    assert props["formal_charge"] == 0
    assert compute_properties(Chem.MolFromSmiles("C[NH3+]"), ["formal_charge"])["formal_charge"] == 1
    assert props["fsp3"] == pytest.approx(5 / 6)


def test_np_likeness_when_the_model_ships():
    if "np_likeness" not in PROPERTIES:
        pytest.skip("this rdkit wheel ships no NP_Score model")
    natural = compute_properties(Chem.MolFromSmiles("OC1C(O)C(O)C(CO)OC1O"), ["np_likeness"])["np_likeness"]
    synthetic = compute_properties(Chem.MolFromSmiles("c1ccc(-c2ccccc2S(=O)(=O)N)cc1"), ["np_likeness"])["np_likeness"]
    assert natural > synthetic
