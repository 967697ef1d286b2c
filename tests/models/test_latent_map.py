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
    for k in range(2):
        got = mapped[f"pc_{k + 1}"].to_numpy()
        assert np.allclose(np.abs(got), np.abs(expected[:, k]), atol=1e-3)
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
