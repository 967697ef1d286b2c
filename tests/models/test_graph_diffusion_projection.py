"""The graph diffusion projection: valence capacities from RDKit, the ring limit with deferred bonds,
lowered bond orders, and a held scaffold kept first."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rdkit import Chem

from molgen.chem.graph import AtomType, AtomVocabulary, graph_to_mol, mol_to_graph
from molgen.data.registry import load_smiles
from molgen.models.graph_diffusion.projection import atom_capacities, project_batch, project_graph
from molgen.models.graph_diffusion.train import build_model, largest_ring

CARBON_ONLY = [4] * 12


def bonds_of(k: int, bonds: dict[tuple[int, int], tuple[int, float]]):
    """(classes, probability) matrices for ``k`` atoms from {(i, j): (order, probability)}."""
    classes, probability = np.zeros((k, k), dtype=np.int64), np.zeros((k, k))
    for (i, j), (order, p) in bonds.items():
        classes[i, j] = classes[j, i] = order
        probability[i, j] = probability[j, i] = p
    return classes, probability


def test_capacities_are_what_rdkit_accepts_per_element_charge_and_pinned_hydrogens():
    vocabulary = AtomVocabulary([AtomType("C"), AtomType("N"), AtomType("O"), AtomType("S"), AtomType("F"),
                                 AtomType("Br"), AtomType("N", 1), AtomType("O", -1), AtomType("N", 0, 1)])
    assert atom_capacities(vocabulary) == [4, 3, 2, 6, 1, 1, 4, 1, 2]


def test_a_ring_over_the_limit_loses_its_least_likely_bond():
    ring = {(i, (i + 1) % 8): (1, 0.9 - 0.01 * i) for i in range(8)}  # cyclooctane, the bond 7-0 least sure
    classes, probability = bonds_of(8, ring)
    out, changed = project_graph(np.zeros(8, dtype=np.int64), classes, probability, CARBON_ONLY, 7)
    assert changed == 1 and out[7, 0] == out[0, 7] == 0 and (out > 0).sum() == 14  # a chain of 8
    same, unchanged = project_graph(np.zeros(8, dtype=np.int64), classes, probability, CARBON_ONLY, 8)
    assert unchanged == 0 and np.array_equal(same, classes)
    kept, none = project_graph(np.zeros(8, dtype=np.int64), classes, probability, CARBON_ONLY, None)
    assert none == 0 and np.array_equal(kept, classes)


def test_a_bond_deferred_for_its_ring_is_kept_once_a_later_bond_shortens_the_path():
    # naphthalene's ten-atom perimeter closes before the fusion bond 0-5 is placed: the closing bond 9-0
    # would make a ring of ten and waits; after the fusion bond it closes a ring of six
    perimeter = {(i, i + 1): (2 if i % 2 == 0 else 1, 0.99 - 0.01 * i) for i in range(9)}
    perimeter[(0, 9)] = (1, 0.8)
    perimeter[(0, 5)] = (1, 0.5)  # the fusion bond: the least sure of all
    classes, probability = bonds_of(10, perimeter)
    out, changed = project_graph(np.zeros(10, dtype=np.int64), classes, probability, CARBON_ONLY, 7)
    assert changed == 0 and np.array_equal(out, classes)
    molecule = graph_to_mol(np.zeros(10), np.argwhere(np.triu(out) > 0), out[np.triu(out) > 0] - 1,
                            AtomVocabulary([AtomType("C")]))
    assert molecule.valid and Chem.CanonSmiles(molecule.smiles) == Chem.CanonSmiles("c1ccc2ccccc2c1")


def test_valence_lowers_a_bond_order_or_drops_the_least_likely_bond():
    # O (capacity 2) asked for a double bond to C0 and a single bond to C2: the surer double bond is kept,
    # the single bond is dropped; a carbon asked for five bonds loses its least likely one
    vocabulary_atoms = np.array([0, 2, 0])  # types 0, 2, 0: C, O, C
    capacities = [4, 1, 2]  # type 0 (C) takes 4, type 2 (O) 2
    classes, probability = bonds_of(3, {(0, 1): (2, 0.9), (1, 2): (1, 0.4)})
    out, changed = project_graph(vocabulary_atoms, classes, probability, capacities, 7)
    assert changed == 1 and out[0, 1] == 2 and out[1, 2] == 0
    # the single bond surer than the double one: the double bond is lowered to the one valence left
    classes, probability = bonds_of(3, {(0, 1): (2, 0.4), (1, 2): (1, 0.9)})
    out, changed = project_graph(vocabulary_atoms, classes, probability, capacities, 7)
    assert changed == 1 and out[1, 2] == 1 and out[0, 1] == 1
    star = {(0, j): (1, 1 - 0.1 * j) for j in range(1, 6)}
    classes, probability = bonds_of(6, star)
    out, changed = project_graph(np.zeros(6, dtype=np.int64), classes, probability, CARBON_ONLY, 7)
    assert changed == 1 and out[0, 5] == 0 and out[0, 1:5].tolist() == [1, 1, 1, 1]
    _, unchecked = project_graph(np.zeros(6, dtype=np.int64), classes, probability, CARBON_ONLY, 7, valence=False)
    assert unchecked == 0


def test_a_held_scaffold_keeps_its_bonds_however_unlikely():
    ring = {(i, (i + 1) % 8): (1, 0.01) for i in range(8)}  # an eight-ring scaffold on the first eight atoms
    ring[(0, 8)] = (1, 0.99)  # and a likely substituent
    classes, probability = bonds_of(9, ring)
    out, changed = project_graph(np.zeros(9, dtype=np.int64), classes, probability, CARBON_ONLY, 7, fixed=8)
    assert changed == 0 and np.array_equal(out, classes)
    _, dropped = project_graph(np.zeros(9, dtype=np.int64), classes, probability, CARBON_ONLY, 7)
    assert dropped == 1


def test_a_batch_is_projected_graph_by_graph_within_its_mask():
    ring = {(i, (i + 1) % 8): (1, 0.9 - 0.01 * i) for i in range(8)}
    classes, probability = bonds_of(8, ring)
    e = torch.nn.functional.one_hot(torch.from_numpy(np.stack([classes, np.zeros_like(classes)])), 4).float()
    x = torch.nn.functional.one_hot(torch.zeros(2, 8, dtype=torch.long), 1).float()
    mask = torch.tensor([[True] * 8, [True] * 3 + [False] * 5])
    out, changed = project_batch(x, e, torch.from_numpy(np.stack([probability, probability])).float(), mask, [4], 7)
    assert changed.tolist() == [1, 0] and out.shape == e.shape
    # the diagonal and the padded pairs stay all-zero rows, the encoding the denoiser was trained on
    assert out[:, torch.arange(8), torch.arange(8)].abs().sum() == 0 and out[1, 3:].abs().sum() == out[1, :, 3:].abs().sum() == 0
    assert (out[0].sum(-1) + torch.eye(8) == 1).all()  # every real pair one-hot
    assert out[0].argmax(-1)[7, 0] == 0 and out[0].argmax(-1)[0, 1] == 1


def test_training_molecules_come_through_the_projection_unchanged():
    """Whatever order the probabilities give their bonds, real molecules break no rule the projection
    enforces: nothing is dropped or lowered (the limit is their own largest ring)."""
    smiles = load_smiles("moses-sample", "train")[:400]
    vocabulary = AtomVocabulary.from_smiles(smiles)
    capacities, limit = atom_capacities(vocabulary), largest_ring(smiles)
    rng = np.random.default_rng(0)
    for text in smiles:
        graph = mol_to_graph(Chem.MolFromSmiles(text), vocabulary)
        k = graph.num_atoms
        classes = np.zeros((k, k), dtype=np.int64)
        ends = np.asarray(graph.bonds, dtype=np.int64).reshape(-1, 2)
        classes[ends[:, 0], ends[:, 1]] = classes[ends[:, 1], ends[:, 0]] = np.asarray(graph.bond_types) + 1
        for _ in range(2):
            probability = rng.random((k, k))
            out, changed = project_graph(np.asarray(graph.atoms), classes, (probability + probability.T) / 2,
                                         capacities, limit)
            assert changed == 0 and np.array_equal(out, classes), text


def test_projection_refuses_an_aromatic_model_and_a_non_boolean():
    model, _ = build_model(load_smiles("moses-sample", "train")[:50], hidden_dim=16, edge_dim=4, heads=1, layers=1,
                           timesteps=20, aromatic_bonds=True)
    for call in (lambda: model.sample(2, steps=2, projection=True), lambda: model.check_sample_options(projection=True)):
        with pytest.raises(ValueError, match="Kekulé"):
            call()
    with pytest.raises(ValueError, match="projection must be True or False"):
        model.check_sample_options(projection="false")
    assert model.check_sample_options(projection=False)["projection"] is False  # unprojected sampling still works
