"""The exact pre-screen in front of the MOSES filter patterns: it may skip only what cannot match."""

from pathlib import Path

import pytest
from rdkit import Chem
from rdkit.Chem import FilterCatalog

from molgen.scoring.pattern_screen import ScreenedPatterns, _atom_need, _tree

HITS = Path(__file__).parent / "data" / "moses_filter_hits.smi"


@pytest.mark.parametrize("smarts, need", [
    ("[#6]", (6, None)), ("c", (6, True)), ("Cl", (17, False)), ("[#7;H1]", (7, None)), ("[N;!$(N=O)]", (7, False)),
    ("[#1]", (1, None)), ("[!#6]", None), ("[N,O]", None), ("[$([OH])]", None), ("*", None), ("[R2]", None),
])
def test_an_atom_needs_an_element_only_when_its_query_states_one(smarts, need):
    atom = Chem.MolFromSmarts(smarts).GetAtomWithIdx(0)
    assert _atom_need(_tree(atom.DescribeQuery())) == need


def test_a_pattern_is_tried_only_where_the_molecule_holds_its_atoms_and_bonds():
    screened = ScreenedPatterns([Chem.MolFromSmarts(s) for s in ("S-S", "N=N", "c-[#7]", "C-,=O", "[!#6]~[!#6]")])
    ethanol, azo = Chem.MolFromSmiles("CCO"), Chem.MolFromSmiles("c1ccccc1N=Nc1ccccc1")
    assert screened.candidates(ethanol).tolist() == [3, 4]
    assert screened.candidates(azo).tolist() == [1, 2, 4]
    assert screened.matching(azo) == [1, 2, 4] and screened.matching(ethanol) == [3]
    assert screened.matching(Chem.MolFromSmiles("CN(C)N=C")) == [4]  # N=N absent though two N and a double bond


@pytest.mark.network
def test_screened_moses_filters_find_exactly_what_rdkit_finds(fetched_moses, sample_smiles):
    """A quarter of the committed sample, and 378 that hit 286 of the 502 patterns
    (tests/scoring/make_moses_filter_hits.py), matched against every pattern without the screen."""
    from molgen.scoring.alerts import moses_filter_alerts, moses_filter_patterns

    names, screened = moses_filter_patterns()
    catalog = FilterCatalog.FilterCatalog()
    for index, pattern in enumerate(screened.patterns):
        catalog.AddEntry(FilterCatalog.FilterCatalogEntry(str(index), FilterCatalog.SmartsMatcher(str(index), pattern, 1)))
    rows = [line.split("\t") for line in HITS.read_text().splitlines()]
    molecules = [(smiles, None) for smiles in sample_smiles[::4]] + [(smiles, hits.split(";")) for smiles, hits in rows]
    skipped_work, hits_seen = 0, set()
    for smiles, recorded in molecules:
        mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
        expected = sorted(int(entry.GetDescription()) for entry in catalog.GetMatches(mol))
        assert screened.matching(mol) == expected, smiles
        assert screened.any_match(mol) == bool(expected)
        skipped_work += len(screened.patterns) - len(screened.candidates(mol))
        hits_seen.update(expected)
        if recorded is not None:
            assert [names[i] for i in expected] == recorded, smiles
            pattern_alerts = [a for a in moses_filter_alerts(Chem.MolFromSmiles(smiles)) if a.removeprefix("moses:") in names]
            assert pattern_alerts == [f"moses:{name}" for name in recorded]
    assert len(hits_seen) >= 280
    assert skipped_work > 0.5 * len(molecules) * len(screened.patterns)  # the screen does skip most patterns
