import pytest
from rdkit import DataStructs

from molgen.chem import to_mol
from molgen.scoring.diversity import butina_clusters, maxmin_pick
from molgen.scoring.pipeline import score
from molgen.scoring.select import add_clusters, select_diverse_top
from molgen.scoring.similarity import morgan_fingerprint


@pytest.fixture(scope="module")
def scored(sample_smiles):
    return score(sample_smiles[:300] + ["C1CC"], "drug-like", n_jobs=1, progress=False)


def test_best_n_no_two_more_similar_than_threshold(scored):
    chosen = select_diverse_top(scored, 20, max_similarity=0.3)
    assert len(chosen) == 20
    assert chosen["rank"].iloc[0] == 1 and chosen["rank"].is_monotonic_increasing
    fps = [morgan_fingerprint(to_mol(s)) for s in chosen["smiles"]]
    for i in range(len(fps)):
        assert max(DataStructs.BulkTanimotoSimilarity(fps[i], fps[:i] + fps[i + 1:])) <= 0.3


def test_strict_threshold_returns_fewer_and_bad_threshold_fails(scored):
    assert len(select_diverse_top(scored, 300, max_similarity=0.0)) < 300
    with pytest.raises(ValueError):
        select_diverse_top(scored, 5, max_similarity=1.5)
    with pytest.raises(ValueError, match="n must be at least 1"):   # 0 returned every molecule
        select_diverse_top(scored, 0)


def test_butina_puts_near_duplicates_together():
    smiles = ["CCCCCCCCO", "CCCCCCCCCO", "c1ccc2ccccc2c1", "c1ccc2cc(C)ccc2c1", "CC(=O)Oc1ccccc1C(=O)O"]
    labels = butina_clusters([morgan_fingerprint(to_mol(s)) for s in smiles], threshold=0.6)
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2]


def test_clusters_column_and_maxmin(scored):
    clustered = add_clusters(scored, 0.6)
    assert (clustered.loc[~clustered["valid"], "cluster"] == -1).all()
    assert clustered.loc[clustered["valid"], "cluster"].min() == 0
    fps = [morgan_fingerprint(to_mol(s)) for s in scored["smiles"].dropna()[:100]]
    picks = maxmin_pick(fps, 10, seed=1)
    assert len(set(picks)) == 10 and picks == maxmin_pick(fps, 10, seed=1)


def test_the_diverse_pick_can_leave_out_the_hard_filter_failures(sample_smiles):
    """From a scoring review: a large pick ended with water and cubane (score 0, failing the hard filters)."""
    table = score(sample_smiles[:40] + ["O", "C12C3C4C1C5C2C3C45"], "drug-like", n_jobs=1, progress=False)
    assert not table["passes_filters"].fillna(False).astype(bool).all()   # something fails, so the test can fail
    everything = select_diverse_top(table, 100, max_similarity=0.99)
    assert not everything["passes_filters"].astype(bool).all()
    passing = select_diverse_top(table, 100, max_similarity=0.99, passing_only=True)
    assert passing["passes_filters"].astype(bool).all() and len(passing) < len(everything)


def test_a_labelled_molecule_is_its_parent_to_a_diversity_cut():
    from molgen.scoring.pipeline import score

    table = score(["CC(=O)Nc1ccc(O)cc1", "[2H]C([2H])([2H])C(=O)Nc1ccc(O)cc1", "c1ccncc1"], progress=False)
    picked = select_diverse_top(table, 3, max_similarity=0.8)
    assert len(picked) == 2 and "c1ccncc1" in picked["smiles"].tolist()
