"""A chemist's file made ready for a model: what a graph model learns of stereoisomers and salts."""

from molgen.models.series import GRAPH_STEREO_DROPPED, REPEATED, STEREO_DROPPED, prepare_series


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
