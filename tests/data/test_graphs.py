import pytest
import torch

from molgen.chem import AtomType, AtomVocabulary, graph_to_mol, to_mol
from molgen.data.graphs import GraphDataset, featurize


def test_featurize_keeps_a_reason_for_every_failure(sample_smiles):
    smiles = sample_smiles[:300] + ["C1CC", "", "[Xe]C", "[CH2]C"]
    dataset = featurize(smiles, cache=False, progress=False)
    assert len(dataset) == 300
    assert [f.index for f in dataset.failures] == [300, 301, 302, 303]
    reasons = [f.reason for f in dataset.failures]
    assert reasons[0].startswith("syntax") and reasons[1].startswith("empty")
    assert "radical" in reasons[3]
    # Xenon bonded to carbon is a radical here too; with a vocabulary it is an unknown atom.
    fixed = featurize(["CCO", "[Xe]C", "C[N+](C)(C)C"], AtomVocabulary.from_smiles(["CCO"]), cache=False, progress=False)
    assert len(fixed) == 1 and "N+" in fixed.failures[1].reason


def test_data_objects_match_the_molecule(sample_smiles):
    dataset = featurize(sample_smiles[:50], cache=False, progress=False)
    for i in (0, 17, 49):
        data, mol = dataset[i], to_mol(dataset.smiles[i])
        assert data.x.shape == (mol.GetNumAtoms(),)
        assert data.edge_index.shape == (2, 2 * mol.GetNumBonds())
        assert data.edge_attr.shape == (2 * mol.GetNumBonds(),)
        undirected = data.edge_index[:, : mol.GetNumBonds()].T
        rebuilt = graph_to_mol(data.x, undirected, data.edge_attr[: mol.GetNumBonds()], dataset.vocabulary)
        assert rebuilt.valid
    assert dataset.num_atoms().tolist()[:3] == [to_mol(s).GetNumAtoms() for s in dataset.smiles[:3]]


def test_derived_vocabulary_matches_the_direct_one(sample_smiles):
    dataset = featurize(sample_smiles[:2000], cache=False, progress=False, chunk_size=300)
    direct = AtomVocabulary.from_smiles(sample_smiles[:2000])
    assert dataset.vocabulary.types == direct.types and dataset.vocabulary.counts == direct.counts


def test_second_featurize_comes_from_the_cache(sample_smiles, monkeypatch):
    first = featurize(sample_smiles[:400], progress=False)

    def fail(*args, **kwargs):
        raise AssertionError("featurized again instead of loading the cache")

    monkeypatch.setattr("molgen.data.graphs._featurize_chunk", fail)
    second = featurize(sample_smiles[:400], progress=False)
    assert second.smiles == first.smiles
    assert torch.equal(second.atoms, first.atoms) and torch.equal(second.bond_ptr, first.bond_ptr)
    assert second.vocabulary.types == first.vocabulary.types


def test_save_and_load_round_trip(tmp_path, sample_smiles):
    dataset = featurize(sample_smiles[:100] + ["C1CC"], cache=False, progress=False)
    dataset.save(tmp_path / "graphs.pt")
    loaded = GraphDataset.load(tmp_path / "graphs.pt")
    assert loaded.smiles == dataset.smiles and loaded.failures == dataset.failures
    assert torch.equal(loaded[5].edge_index, dataset[5].edge_index)


def test_parallel_workers_give_the_same_dataset(sample_smiles):
    one = featurize(sample_smiles[:600], cache=False, progress=False, workers=1, chunk_size=200)
    two = featurize(sample_smiles[:600], cache=False, progress=False, workers=2, chunk_size=200)
    assert one.smiles == two.smiles and torch.equal(one.atoms, two.atoms) and torch.equal(one.bonds, two.bonds)
    assert AtomType("C") == one.vocabulary.types[0]


def test_the_aromatic_scheme_is_cached_apart_and_parallel_safe(sample_smiles):
    kekule = featurize(sample_smiles[:400], progress=False)
    aromatic = featurize(sample_smiles[:400], progress=False, aromatic=True)  # not the Kekulé cache
    assert int((kekule.bond_types == 3).sum()) == 0 and int((aromatic.bond_types == 3).sum()) > 0
    assert len(aromatic.bonds) == len(kekule.bonds)
    assert aromatic.aromatic and not kekule.aromatic
    two = featurize(sample_smiles[:400], cache=False, progress=False, workers=2, chunk_size=150, aromatic=True)
    assert torch.equal(two.bond_types, aromatic.bond_types) and two.vocabulary.types == aromatic.vocabulary.types


def test_a_saved_dataset_records_its_bond_scheme(tmp_path, sample_smiles):
    aromatic = featurize(sample_smiles[:50], cache=False, progress=False, aromatic=True)
    aromatic.save(tmp_path / "graphs.pt")
    assert GraphDataset.load(tmp_path / "graphs.pt").aromatic is True
    assert GraphDataset.load(tmp_path / "graphs.pt", aromatic=True).aromatic is True
    with pytest.raises(ValueError, match="aromatic bond scheme, expected Kekulé"):
        GraphDataset.load(tmp_path / "graphs.pt", aromatic=False)


def test_a_cache_from_before_the_scheme_was_recorded_takes_the_scheme_asked_for(tmp_path, sample_smiles):
    featurize(sample_smiles[:50], cache=False, progress=False).save(tmp_path / "graphs.pt")
    payload = torch.load(tmp_path / "graphs.pt", weights_only=True)
    del payload["aromatic"]
    torch.save(payload, tmp_path / "graphs.pt")
    assert GraphDataset.load(tmp_path / "graphs.pt").aromatic is False
    assert GraphDataset.load(tmp_path / "graphs.pt", aromatic=True).aromatic is True
