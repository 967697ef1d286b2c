"""The latent map: molecules at their encoder means, projected together onto two principal components."""

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import QED, Crippen

from molgen.data.registry import load_smiles
from molgen.models import load
from molgen.models.graph_vae import latent
from molgen.models.graph_vae.latent_map import MAP_MOLECULES, latent_map


@pytest.fixture(scope="module")
def vae():
    return load("graph-vae")


def test_each_molecule_lies_where_the_encoder_puts_it_and_every_row_keeps_its_place(vae):
    series = load_smiles("moses-sample", "test")[:40]
    given = pd.DataFrame({"smiles": [*series[:20], "C1CC(", "C[Si](C)(C)c1ccccc1", *series[20:],
                                     "CC(C)Cc1ccc(C(C)C(=O)[O-])cc1.[Na+]"],
                          "source": ["series"] * 22 + ["run"] * 21, "qed": 0.5, "pIC50": np.arange(43.0)})
    drawn = latent_map(vae, given)
    table = drawn.table
    assert len(table) == 43 and table["pIC50"].tolist() == list(np.arange(43.0))   # every row, in order
    assert table["input_qed"].eq(0.5).all()   # the caller's own qed set aside, not overwritten nor dropped
    assert table.loc[[20, 21], "pc_1"].isna().all() and "not a valid molecule" in table.at[20, "reason"]
    assert "cannot be encoded" in table.at[21, "reason"] and table.at[42, "encoded"] == "CC(C)Cc1ccc(C(C)C(=O)O)cc1"
    # the coordinates are the encoder means' first two principal components (an axis' sign is free)
    mapped = table[table["pc_1"].notna()]
    points = latent.encode(vae, mapped["encoded"].tolist(), refine_steps=0).numpy().astype(float)
    centred = points - points.mean(axis=0)
    _, values, axes = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ axes[:2].T
    for k in range(2):   # one sign an axis (a review: |x| against |x| passed a map folded into one quadrant)
        got = mapped[f"pc_{k + 1}"].to_numpy()
        assert np.allclose(got, expected[:, k] * np.sign(expected[0, k]), atol=1e-3)
        assert got[0] > 0   # the first molecule's side is positive: a map drawn again does not flip
    share = values[:2] ** 2 / (values ** 2).sum()
    assert np.allclose(drawn.explained, share, atol=1e-4)
    for row in mapped.head(5).itertuples():
        mol = Chem.MolFromSmiles(row.encoded)
        assert row.qed == pytest.approx(QED.qed(mol)) and row.logp == pytest.approx(Crippen.MolLogP(mol))
    said = " ".join(drawn.notes)
    assert "2 of the 43 molecules are not on the map" in said and "1 salt, mixture or charged form is placed as " \
        "the parent" in said


def test_a_map_refuses_too_few_molecules_and_too_many(vae):
    with pytest.raises(ValueError, match="at least 3 molecules the model encodes; 2 of the 3 given are"):
        latent_map(vae, pd.DataFrame({"smiles": ["CCO", "CCN", "C1CC("]}))
    with pytest.raises(ValueError, match="at least 3 molecules the model encodes; 1 was given, 1 encoded$"):
        latent_map(vae, pd.DataFrame({"smiles": ["CCO"]}))   # "1 of the 1 given are" (a review)
    with pytest.raises(ValueError, match="at least 3 molecules the model encodes; 1 of the 4 given is"):
        latent_map(vae, pd.DataFrame({"smiles": ["CCO", "C1CC(", "C1CC(", "[Si]"]}))
    with pytest.raises(ValueError, match=f"at most {MAP_MOLECULES:,} molecules"):
        latent_map(vae, pd.DataFrame({"smiles": ["CCO"] * (MAP_MOLECULES + 1)}))


def test_a_files_own_source_column_is_kept_and_one_point_is_no_map(vae):
    from molgen.models.graph_vae.latent_map import map_set

    own = map_set(pd.DataFrame({"smiles": ["CCO", "CCN", "CCC"], "source": ["vendor A", "vendor B", "vendor A"]}),
                  "series")
    drawn = latent_map(vae, own)
    assert drawn.table["source"].eq("series").all() and drawn.table["input_source"].tolist() == ["vendor A",
                                                                                                 "vendor B", "vendor A"]
    with pytest.raises(ValueError, match="all lie at one point"):
        latent_map(vae, pd.DataFrame({"smiles": ["C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O", "CC(N)C(=O)O"]}))


def test_sets_are_named_apart_cut_to_each_and_an_empty_one_said():
    """A review: two files named series.csv and a run named series were drawn as one set; a run that ranked
    nothing went unsaid; a file naming a column twice broke the table."""
    from molgen.models.graph_vae.latent_map import MapSource, gather

    twice = pd.DataFrame([["CCO", 1, 2], ["CCN", 3, 4]], columns=["smiles", "id", "id"])
    molecules, said = gather([MapSource("series", "a/series.csv", twice),
                              MapSource("series", "b/series.csv", pd.DataFrame({"smiles": ["CCC", "CCCl", "CCBr"]})),
                              MapSource("series", "series (run-1)", pd.DataFrame({"smiles": [], "rank": []}),
                                        "ranked molecules"),
                              MapSource("pasted", "pasted", pd.DataFrame({"smiles": ["c1ccccc1"]}), "lines")], each=2)
    assert molecules["source"].tolist() == ["a/series.csv"] * 2 + ["b/series.csv"] * 2 + ["pasted"]
    assert list(molecules.columns[:3]) == ["smiles", "id", "id (2)"] and molecules["id (2)"].tolist()[:2] == [2, 4]
    assert said == ["b/series.csv: its first 2 of 3 rows", "series (run-1): no ranked molecules to place"]
    same, _ = gather([MapSource("x", "x", pd.DataFrame({"smiles": ["C"]})),
                      MapSource("x", "x", pd.DataFrame({"smiles": ["N"]}))], each=5)
    assert same["source"].tolist() == ["x (1)", "x (2)"]


def test_a_point_is_named_by_its_compounds_id_name_or_rank():
    """A review: a file's compounds keyed by id (Q1..Q9) were each named only "quin" under the map."""
    from molgen.models.graph_vae.latent_map import point_name

    def named(**row) -> str:
        return point_name(pd.Series({"source": "quin", **row}))

    assert named(id="Q5", pIC50=7.1) == "quin Q5"
    assert named(**{"Compound ID": "CHEMBL25"}) == "quin CHEMBL25"   # a column named in any case, spaced
    assert named(name=101, id="Q5") == "quin 101"                     # a name first, a compound number too
    assert named(name=float("nan"), id="Q5") == "quin Q5"             # an empty name gives way to the id
    assert named(rank=np.int64(3), score=0.8) == "quin rank 3"
    assert named(rank="B") == "quin rank B"
    assert named(pIC50=7.1) == "quin"
    # a file's Int64 id column holds pd.NA where blank, and a run's rows on the same map NA too (a review saw "<NA>")
    assert named(id=pd.NA, rank=3) == "quin rank 3" and named(name=None, id=pd.NA) == "quin"
    ids = pd.DataFrame({"source": ["quin", "quin", "run"], "id": pd.array([101, None, None], dtype="Int64"),
                        "rank": [None, None, 2]})
    assert [point_name(row) for _, row in ids.iterrows()] == ["quin 101", "quin", "run rank 2"]
