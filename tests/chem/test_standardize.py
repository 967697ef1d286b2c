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


def test_an_aromatic_carbanion_neutralizes_to_a_readable_molecule_and_a_metal_complex_is_its_own_parent():
    """From a review: --largest-fragment wrote cyclopentadienide's parent as c1cccc1 (no reader takes it back: the
    Uncharger left the ring aromatic) and scored cisplatin as ammonia."""
    from rdkit import Chem

    from molgen.chem.standardize import neutralize, salt_parent

    for ion, neutral in [("[cH-]1cccc1", "C1=CCC=C1"), ("c1ccc2[cH-]ccc2c1", "C1=Cc2ccccc2C1"),
                         ("[n-]1cccc1", "c1cc[nH]c1"), ("CC(=O)[O-]", "CC(=O)O"), ("C[n+]1ccccc1", "C[n+]1ccccc1")]:
        written = Chem.MolToSmiles(neutralize(Chem.MolFromSmiles(ion)))
        assert written == neutral and Chem.MolFromSmiles(written) is not None, ion
    for compound in ("N.N.Cl[Pt]Cl", "NC1(N)CCC1.O=C([O-])C1(C(=O)[O-])CCC1.[Pt+2]",   # cisplatin; carboplatin as ions
                     "[CH-]1C=CC=C1.[CH-]1C=CC=C1.[Fe+2]", "[Zn+2].[O-]C(=O)c1ccccc1.[O-]C(=O)c1ccccc1"):
        mol = Chem.MolFromSmiles(compound)
        assert Chem.MolToSmiles(salt_parent(mol)) == Chem.MolToSmiles(mol), compound
    # a metal's compound beside a solvent or water is that compound (a review: cisplatin beside DMSO read as DMSO)
    assert Chem.MolToSmiles(salt_parent(Chem.MolFromSmiles("Cl[Pt](Cl)(N)N.CS(C)=O.O"))) == \
        Chem.MolToSmiles(Chem.MolFromSmiles("Cl[Pt](Cl)(N)N"))
    assert Chem.MolToSmiles(salt_parent(Chem.MolFromSmiles("CC(C)Cc1ccc(cc1)C(C)C(=O)O[Na]"))) == \
        "CC(C)Cc1ccc(C(C)C(=O)O)cc1"   # a sodium salt is still a salt


def test_an_inorganic_carbon_salt_keeps_its_ion_as_sodium_chloride_does():
    """Lithium carbonate's parent was carbonic acid and potassium cyanide's HCN (another compound, a gas): carbonate
    and cyanide are inorganic, so their salts keep the ion, as sodium chloride keeps chloride. A drug beside a
    carbonate is still the drug."""
    from molgen.chem.counterions import is_organic
    from molgen.chem.standardize import neutral_parent, salt_parent

    for salt, ion in [("[Li+].[Li+].[O-]C([O-])=O", "O=C([O-])[O-]"), ("[K+].[C-]#N", "[C-]#N"),
                      ("[Na+].[S-]C#N", "N#C[S-]"), ("[Na+].[Cl-]", "[Cl-]")]:
        mol = Chem.MolFromSmiles(salt)
        assert Chem.MolToSmiles(salt_parent(mol)) == ion == Chem.MolToSmiles(neutral_parent(mol)), salt
    assert Chem.MolToSmiles(salt_parent(Chem.MolFromSmiles("NCCO.OC(=O)O"))) == "NCCO"   # was carbonic acid
    assert is_organic(Chem.MolFromSmiles("NC(N)=O")) and is_organic(Chem.MolFromSmiles("OC=O"))   # urea, formic acid
    assert not is_organic(Chem.MolFromSmiles("O=C=O"))


def test_standardize_keeps_a_metal_compound_whole_with_its_metal_bonds():
    """From a review: the metal disconnector ran first, so cisplatin came out as [Pt+2] beside its ligands as ions
    (and an ionic spelling as [Pt+4]); its parent is the compound, as salt_parent keeps it."""
    from rdkit import Chem

    from molgen.chem.standardize import salt_parent, standardize

    cisplatin = Chem.MolFromSmiles("N.N.Cl[Pt]Cl")
    assert Chem.MolToSmiles(standardize(cisplatin)) == Chem.MolToSmiles(salt_parent(cisplatin))
    assert "Pt+4" not in Chem.MolToSmiles(standardize(Chem.MolFromSmiles("[NH3][Pt+2]([NH3])(Cl)Cl.[Cl-].[Cl-]")))
    # a pyridine or acetonitrile ligand written apart stays on its metal (a solvent with no nitrogen goes), and
    # hydrogens written as atoms are folded in
    assert Chem.MolToSmiles(standardize(Chem.MolFromSmiles("c1ccncc1.c1ccncc1.Cl[Pt]Cl"))).count("n") == 2
    assert Chem.MolToSmiles(salt_parent(Chem.MolFromSmiles("CC#N.CC#N.Cl[Pt]Cl"))).count("C#N") == 2
    assert "S" not in Chem.MolToSmiles(salt_parent(Chem.MolFromSmiles("CS(C)=O.N.N.Cl[Pt]Cl")))
    assert "[H]" not in Chem.MolToSmiles(standardize(Chem.AddHs(cisplatin)))
