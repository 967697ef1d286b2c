import numpy as np
import pytest
from rdkit import Chem

from molgen.chem import (
    AtomType,
    AtomVocabulary,
    UnknownAtomError,
    graph_round_trip_smiles,
    graph_to_mol,
    mol_to_graph,
    to_mol,
)


@pytest.fixture(scope="module")
def sample_mols(sample_smiles):
    return [to_mol(s) for s in sample_smiles]


def round_trip(mol, vocabulary, aromatic=False):
    graph = mol_to_graph(mol, vocabulary, aromatic=aromatic)
    return graph_to_mol(graph.atoms, graph.bonds, graph.bond_types, vocabulary)


@pytest.mark.parametrize("aromatic", [False, True])
def test_every_sample_molecule_round_trips_exactly(sample_mols, aromatic):
    assert all(m is not None for m in sample_mols)
    vocabulary = AtomVocabulary.from_mols(sample_mols, aromatic=aromatic)
    mismatches = []
    for mol in sample_mols:
        result = round_trip(mol, vocabulary, aromatic)
        if not result.valid or result.smiles != graph_round_trip_smiles(mol):
            mismatches.append((Chem.MolToSmiles(mol), result.smiles, result.error))
    assert mismatches == []


def test_sample_vocabulary_is_the_moses_atom_set(sample_mols):
    vocabulary = AtomVocabulary.from_mols(sample_mols)
    assert {t.label for t in vocabulary.types} <= {"C", "N", "O", "S", "F", "Cl", "Br", "H"}
    assert vocabulary.types[0] == AtomType("C")  # most frequent first
    assert vocabulary.counts == sorted(vocabulary.counts, reverse=True)


@pytest.mark.parametrize(
    "smiles",
    ["O=[N+]([O-])c1ccccc1", "[NH4+]", "C[n+]1ccccc1", "c1cc[nH]c1", "CC[SH](C)C", "O=[PH](O)O",
     "[H]N=C1CC1", "C=[N+]=[N-]", "CS(N)(=O)=O", "c1ccc2c(c1)[nH]c1ccccc12"],
)
@pytest.mark.parametrize("aromatic", [False, True])
def test_charges_and_pinned_hydrogens_round_trip(smiles, aromatic):
    mol = to_mol(smiles)
    vocabulary = AtomVocabulary.from_mols([mol], aromatic=aromatic)
    assert round_trip(mol, vocabulary, aromatic).smiles == graph_round_trip_smiles(mol)


def test_the_aromatic_scheme_keeps_aromatic_bonds_and_pins_the_pyrrole_hydrogen():
    indole = to_mol("c1ccc2[nH]ccc2c1")
    vocabulary = AtomVocabulary.from_mols([indole], aromatic=True)
    graph = mol_to_graph(indole, vocabulary, aromatic=True)
    assert sorted(graph.bond_types.tolist()) == [3] * 10  # every ring bond aromatic, index 3
    assert {t.label for t in vocabulary.types} == {"C", "N[H1]"}  # [nH]: an aromatic N takes no H by default
    kekule = mol_to_graph(indole, AtomVocabulary.from_mols([indole]))
    assert sorted(kekule.bond_types.tolist()) == [0] * 6 + [1] * 4  # Kekulé: alternating, and the N is plain
    assert {t.label for t in AtomVocabulary.from_mols([indole]).types} == {"C", "N"}


def test_an_aromatic_ring_that_cannot_be_kekulized_is_invalid_not_repaired():
    vocabulary = AtomVocabulary([AtomType("C"), AtomType("N")])
    ring = [(i, (i + 1) % 5) for i in range(5)]
    result = graph_to_mol([0] * 5, ring, [3] * 5, vocabulary)  # five aromatic carbons: no Kekulé form
    assert not result.valid and result.smiles is None and "kekulize" in result.error.lower()
    benzene = graph_to_mol([0] * 6, [(i, (i + 1) % 6) for i in range(6)], [3] * 6, vocabulary)
    assert benzene.valid and benzene.smiles == "c1ccccc1"
    pyridine = graph_to_mol([1] + [0] * 5, [(i, (i + 1) % 6) for i in range(6)], [3] * 6, vocabulary)
    assert pyridine.valid and pyridine.smiles == "c1ccncc1"


def test_hypervalent_sulfur_hydride_gets_a_pinned_hydrogen_type():
    vocabulary = AtomVocabulary.from_smiles(["CC[SH](C)C"])
    assert AtomType("S", 0, None) in vocabulary  # [SH] with 3 bonds takes its H from the valence model
    pinned = AtomVocabulary.from_smiles(["C[SH3]"])  # hypervalent: three H the model would not give
    assert AtomType("S", 0, 3) in pinned


def test_stereo_is_not_part_of_the_graph():
    mol = to_mol("C[C@H](N)O")
    result = round_trip(mol, AtomVocabulary.from_mols([mol]))
    assert result.smiles == "CC(N)O" == graph_round_trip_smiles(mol)


@pytest.mark.parametrize("aromatic", [False, True])
def test_isotope_labels_are_not_part_of_the_graph(aromatic):
    """A review: a deuterated drug in a file gave its graph three H atoms, and the vocabulary built from the file an
    H type; a label is no graph atom (as the latent tools read the molecule too)."""
    labelled, plain = to_mol("[2H]C([2H])([2H])Oc1ccccc1NC(=O)[13CH3]"), to_mol("COc1ccccc1NC(C)=O")
    vocabulary = AtomVocabulary.from_mols([labelled], aromatic=aromatic)
    assert {atom_type.symbol for atom_type in vocabulary.types} == {"C", "N", "O"}
    graph = mol_to_graph(labelled, vocabulary, aromatic=aromatic)
    assert len(graph.atoms) == plain.GetNumAtoms() == 12 and len(graph.bonds) == plain.GetNumBonds()
    rebuilt = graph_to_mol(graph.atoms, graph.bonds, graph.bond_types, vocabulary)
    assert rebuilt.smiles == graph_round_trip_smiles(labelled) == Chem.MolToSmiles(plain)


def test_large_molecule_round_trips():
    smiles = "C1CCCCC1" + "".join(f"C(=O)N{'C' * (i % 5 + 1)}" for i in range(100))
    mol = to_mol(smiles)
    assert mol.GetNumAtoms() > 500
    result = round_trip(mol, AtomVocabulary.from_mols([mol]))
    assert result.valid and result.smiles == graph_round_trip_smiles(mol)


def test_graph_to_mol_reports_a_valence_error_and_does_not_correct_it():
    vocabulary = AtomVocabulary([AtomType("C"), AtomType("O")])
    # A carbon with five single bonds.
    atoms = [0, 0, 0, 0, 0, 0]
    bonds = [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5)]
    result = graph_to_mol(atoms, bonds, [0] * 5, vocabulary)
    assert not result.valid
    assert result.smiles is None
    assert "valence" in result.error.lower()
    assert result.mol.GetNumAtoms() == 6 and result.mol.GetNumBonds() == 5  # nothing removed


def test_graph_to_mol_reports_an_overbonded_oxygen():
    vocabulary = AtomVocabulary([AtomType("C"), AtomType("O")])
    # C=O=C: oxygen with valence 4 is reported as it is, not repaired to C-O-C.
    result = graph_to_mol([0, 1, 0], [(0, 1), (1, 2)], [1, 1], vocabulary)
    assert not result.valid and "valence" in result.error.lower()
    assert [b.GetBondTypeAsDouble() for b in result.mol.GetBonds()] == [2.0, 2.0]


def test_graph_to_mol_rejects_malformed_graphs():
    vocabulary = AtomVocabulary([AtomType("C")])
    with pytest.raises(ValueError):
        graph_to_mol([0, 0], [(0, 1), (1, 0)], [0, 0], vocabulary)  # duplicate bond
    with pytest.raises(ValueError):
        graph_to_mol([0, 0], [(0, 1)], [0, 0], vocabulary)  # more types than bonds


def test_unknown_atom_is_a_clear_error():
    vocabulary = AtomVocabulary.from_smiles(["CCO"])
    with pytest.raises(UnknownAtomError, match="Xe"):
        mol_to_graph(to_mol("[Xe]C"), vocabulary)


def test_radicals_are_refused_not_closed():
    vocabulary = AtomVocabulary.from_smiles(["CC"])
    with pytest.raises(ValueError, match="radical"):
        mol_to_graph(to_mol("[CH2]C"), vocabulary)


def test_vocabulary_saves_and_loads(tmp_path, sample_smiles):
    vocabulary = AtomVocabulary.from_smiles(sample_smiles[:200] + ["O=[N+]([O-])c1ccccc1", "C[SH3]"])
    vocabulary.save(tmp_path / "atoms.json")
    loaded = AtomVocabulary.load(tmp_path / "atoms.json")
    assert loaded.types == vocabulary.types and loaded.counts == vocabulary.counts
    assert loaded.index(AtomType("N", 1)) == vocabulary.index(AtomType("N", 1))


def test_graph_arrays_are_consistent():
    mol = to_mol("c1ccccc1O")
    graph = mol_to_graph(mol, AtomVocabulary.from_mols([mol]))
    assert graph.num_atoms == 7
    assert graph.bonds.shape == (7, 2) and np.all(graph.bonds[:, 0] < graph.bonds[:, 1])
    assert sorted(graph.bond_types.tolist()) == [0, 0, 0, 0, 1, 1, 1]  # kekulized: 3 double bonds
