import pytest

from molgen.data.splits import murcko_scaffold, random_split, scaffold_split


def test_random_split_is_seeded_and_a_partition():
    a, b, c = random_split(1000, seed=1), random_split(1000, seed=1), random_split(1000, seed=2)
    assert a == b and a != c
    assert [len(a[k]) for k in ("train", "valid", "test")] == [800, 100, 100]
    assert sorted(a["train"] + a["valid"] + a["test"]) == list(range(1000))


def test_scaffold_split_never_shares_a_scaffold(sample_smiles):
    smiles = sample_smiles[:2000] + ["C1CC", "CCCC", "CCO"]
    split = scaffold_split(smiles, seed=3)
    assert sorted(sum(split.values(), [])) == list(range(len(smiles)))
    scaffolds = {name: {murcko_scaffold(smiles[i]) for i in indices} for name, indices in split.items()}
    assert not scaffolds["train"] & scaffolds["valid"]
    assert not scaffolds["train"] & scaffolds["test"]
    assert not scaffolds["valid"] & scaffolds["test"]
    # Sizes land near the targets.
    assert abs(len(split["test"]) - 200) < 40 and abs(len(split["valid"]) - 200) < 40


def test_scaffold_split_is_seeded(sample_smiles):
    smiles = sample_smiles[:800]
    assert scaffold_split(smiles, seed=5) == scaffold_split(smiles, seed=5)
    assert scaffold_split(smiles, seed=5) != scaffold_split(smiles, seed=6)


def test_bad_fractions_are_refused():
    with pytest.raises(ValueError, match="summing to 1"):
        random_split(10, (0.5, 0.2, 0.2))
