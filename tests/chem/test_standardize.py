from rdkit import Chem

from molgen.chem import ParseFailure, StandardizeOptions, standardize_smiles


def smiles_of(result):
    return Chem.MolToSmiles(result.mol)


def test_salt_is_stripped_and_acid_neutralized():
    assert smiles_of(standardize_smiles("CC(=O)[O-].[Na+]")) == "CC(=O)O"
    assert standardize_smiles("CC(=O)[O-].[Na+]").canonical == "CC(=O)O"   # .smiles keeps the input
    assert smiles_of(standardize_smiles("OC(=O)c1ccccc1.Cl")) == "O=C(O)c1ccccc1"


def test_protonated_amine_is_neutralized():
    assert smiles_of(standardize_smiles("C[NH3+]")) == "CN"


def test_quaternary_ammonium_keeps_its_charge():
    # No neutral form exists: neutralize "where possible" leaves it.
    assert smiles_of(standardize_smiles("C[N+](C)(C)C.[Cl-]")) == "C[N+](C)(C)C"


def test_stereo_and_isotopes_removed_only_when_asked():
    kept = smiles_of(standardize_smiles("[13CH3]C[C@H](N)O"))
    assert "@" in kept and "13" in kept
    options = StandardizeOptions(remove_stereo=True, remove_isotopes=True)
    assert smiles_of(standardize_smiles("[13CH3]C[C@H](N)O", options)) == "CCC(N)O"


def test_invalid_input_keeps_its_parse_failure():
    result = standardize_smiles("C1CC")
    assert not result.ok and result.failure is ParseFailure.SYNTAX
