"""A chemist's file made ready for a model: what a graph model learns of stereoisomers and salts."""

from molgen.models.series import GRAPH_STEREO_DROPPED, NOT_A_MOLECULE, REPEATED, STEREO_DROPPED, prepare_series


def test_a_graph_model_learns_stereoisomers_once_as_the_one_graph_they_are():
    """From a review: with no SMILES vocabulary, stereo was kept, so (R)- and (S)-alaninol, one graph, could be
    trained on and validated on; a graph model's file now drops stereo and keeps the molecule once."""
    given = ["C[C@H](N)CO", "C[C@@H](N)CO", "F/C=C/F", "F/C=C\\F", "CC(N)CO.Cl"]
    graph = prepare_series(given, unlearnable=lambda smiles: None, stereo=False)
    assert graph.smiles == ["CC(N)CO", "FC=CF"]
    assert graph.changed[GRAPH_STEREO_DROPPED] == 4 and graph.changed[REPEATED] == 3
    assert any(note.startswith("4 rows: stereo dropped (a molecular graph carries none)") for note in graph.notes())
    # which rows, so a chemist finds them (a review: counts alone)
    assert "4 rows: stereo dropped (a molecular graph carries none) (row 1, row 2, row 3, row 4)" in graph.notes()
    assert "1 row: salt or charge state read as its neutral parent (row 5)" in graph.notes()
    # a SMILES model built from the file writes stereo: the four stay apart, the salt is its parent
    written = prepare_series(given)
    assert written.smiles == ["C[C@H](N)CO", "C[C@@H](N)CO", "F/C=C/F", "F/C=C\\F", "CC(N)CO"]
    assert written.changed[STEREO_DROPPED] == 0


def test_the_rows_left_out_are_counted_by_kind_of_reason_and_as_a_share_of_the_file():
    """From a training review: a graph VAE fine-tune left out a fifth of a kinase series for size, and said so only
    in a list cut short at ten rows; now how many of the file's rows, and how many for each reason."""
    too_big = ("more heavy atoms than the 29 this model builds", "40 heavy atoms, more than the 29 this model builds")
    given = ["CCO", "c1ccccc1N(", "CCN"] + ["C" * 40] * 12 + ["CCCO"] * 5
    prepared = prepare_series(given, unlearnable=lambda smiles: too_big if len(smiles) > 29 else None, stereo=False)
    assert prepared.left_out_by_kind() == {too_big[0]: 12, NOT_A_MOLECULE: 1}
    note = prepared.notes()[-1]
    assert note.startswith(f"13 of 20 rows (65%) are left out (12: {too_big[0]}; 1: {NOT_A_MOLECULE}): row 2 (c1ccccc1N(): ")
    assert note.endswith("; and 3 more")
    assert prepared.record()["left_out_by_reason"] == {too_big[0]: 12, NOT_A_MOLECULE: 1}
    # one left out of many: a share under 1% is not written as 0%
    assert prepare_series(["CCO"] * 150 + ["C1CC"]).notes()[-1].startswith("1 of 151 rows (under 1%) is left out: row 151")
    assert prepare_series(["C1CC"] * 199 + ["CCO"]).notes()[-1].startswith("199 of 200 rows (over 99%) are left out")
