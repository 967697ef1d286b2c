import pytest

from molgen.data.registry import REGISTRY, get_dataset, load_smiles


def test_moses_sample_ships_with_its_sizes():
    assert [len(load_smiles("moses-sample", s)) for s in ("train", "test", "test_scaffolds")] == [5000, 1000, 1000]


def test_moses_sample_is_a_subset_of_moses_spelling():
    # The sample keeps MOSES's strings unchanged (no re-canonicalization).
    first = load_smiles("moses-sample", "train")[0]
    assert first == "COc1ccc(NS(=O)(=O)Cc2ccccc2)cc1"


def test_unknown_names_are_clear():
    with pytest.raises(KeyError, match="known: moses, moses-sample"):
        get_dataset("zinc")
    with pytest.raises(KeyError, match="neither a registered dataset"):
        load_smiles("no-such-thing.csv")
    with pytest.raises(KeyError, match="unknown moses-sample split"):
        load_smiles("moses-sample", "valid")


def test_registry_lists_moses_and_the_sample():
    assert {"moses", "moses-sample"} <= set(REGISTRY)
    assert REGISTRY["moses"].expected_sizes == {"train": 1_584_663, "test": 176_074, "test_scaffolds": 176_225}
