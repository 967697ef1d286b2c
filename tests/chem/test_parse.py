import random

import pytest

from molgen.chem import ParseFailure, canonical_smiles, parse_many, parse_smiles, to_mol


@pytest.mark.parametrize(
    ("smiles", "failure"),
    [
        ("", ParseFailure.EMPTY),
        ("   ", ParseFailure.EMPTY),
        ("C1CC", ParseFailure.SYNTAX),           # unclosed ring
        ("CC(C", ParseFailure.SYNTAX),           # unclosed branch
        ("c1cccc1", ParseFailure.KEKULIZATION),  # five aromatic carbons: no Kekulé structure
        ("Cc", ParseFailure.AROMATICITY),        # aromatic atom outside a ring
        ("C(C)(C)(C)(C)C", ParseFailure.VALENCE),
        ("CN(C)(C)C", ParseFailure.VALENCE),
        (b"CCO", ParseFailure.NOT_TEXT),
        (None, ParseFailure.NOT_TEXT),
        (float("nan"), ParseFailure.EMPTY),        # a blank cell as pandas reads it: empty, as the CLI says
        (__import__("pandas").NA, ParseFailure.EMPTY),   # and as a string or Arrow column reads it
    ],
)
def test_bad_smiles_fail_with_their_reason(smiles, failure):
    result = parse_smiles(smiles)
    assert not result.ok
    assert result.mol is None
    assert result.failure is failure
    assert result.message
    assert to_mol(smiles) is None


def test_xenon_is_a_valid_molecule_for_rdkit():
    # Documented: [Xe]C parses (RDKit allows it); it is the atom vocabulary of a model
    # that rejects it later, with its own error.
    result = parse_smiles("[Xe]C")
    assert result.ok and result.mol.GetNumAtoms() == 2


def test_random_bytes_never_crash():
    rng = random.Random(0)
    for _ in range(300):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        assert parse_smiles(junk).failure is ParseFailure.NOT_TEXT
        result = parse_smiles(junk.decode("latin-1"))
        assert result.ok or result.failure is not None


def test_large_molecule_parses():
    chain = "C" * 500
    mol = to_mol(chain)
    assert mol is not None and mol.GetNumAtoms() == 500


def test_canonical_smiles_is_spelling_independent():
    assert canonical_smiles("OCC") == canonical_smiles("C(O)C") == "CCO"
    assert canonical_smiles("not smiles") is None
    assert canonical_smiles("C[C@H](N)O") != canonical_smiles("C[C@H](N)O", isomeric=False)


def test_parse_many_keeps_every_row_in_order():
    results = parse_many(["CCO", "", "C1CC", "c1ccccc1"])
    assert [r.ok for r in results] == [True, False, False, True]
    assert [r.smiles for r in results] == ["CCO", "", "C1CC", "c1ccccc1"]


def test_a_syntax_error_says_what_rdkit_found_and_where():
    assert parse_smiles("C1CC").message == "not valid SMILES syntax (unclosed ring): 'C1CC'"
    assert parse_smiles("CC(C").message == "not valid SMILES syntax (extra open parentheses, around position 3): 'CC(C'"
    assert parse_smiles("C[Xx]C").message == "not valid SMILES syntax (around position 3): 'C[Xx]C'"


def test_a_space_inside_a_smiles_is_an_error_not_a_shorter_molecule():
    """RDKit reads "CC O" as ethane named O; a cell or a typed line holding it would quietly lose the O."""
    for text, first in (("CC O", "CC"), ("C\nC", "C"), ("c1ccccc1 benzene", "c1ccccc1")):
        result = parse_smiles(text)
        assert not result.ok and result.failure == ParseFailure.SYNTAX
        assert f"RDKit would read only {first!r}" in result.message
    assert parse_smiles("  CCO \n").ok   # the ends are trimmed, as every reader trims them
    # words, not a molecule cut short: RDKit reads no "not" either (a review)
    assert parse_smiles("not a molecule").message == ("a SMILES has no spaces or line breaks inside it (this is no "
                                                      "SMILES): 'not a molecule'")
    # a line wrapped inside one says what it reads joined up (a review of that wording)
    assert "(joined up it reads 'CC(=O)Nc1ccc(O)cc1')" in parse_smiles("CC(=O)Nc1ccc(O)\ncc1").message


def test_a_cxsmiles_extension_after_the_smiles_is_read():
    # ChemAxon's extensions (exported by Marvin, ChemDraw and registration systems): RDKit reads them
    assert parse_smiles("c1ccc2c(c1)[nH]c1ccccc12 |c:1|").ok
    # an enhanced-stereo group: racemic (&1) or one enantiomer, not known which (o1): not the drawn enantiomer
    for group in ("&1", "o1"):
        enhanced = parse_smiles(f"C[C@H](N)C(=O)O |{group}:1|")
        assert enhanced.ok and enhanced.canonical == "CC(N)C(=O)O" and not enhanced.mol.GetStereoGroups()
    assert parse_smiles("C[C@H](N)C(=O)O |a:1|").canonical == "C[C@H](N)C(=O)O"   # absolute: as drawn
    unreadable = parse_smiles("CCO |foo|")
    assert not unreadable.ok and "cannot read the CXSMILES extension '|foo|'" in unreadable.reason
    broken = parse_smiles("C1CC |c:1|")   # the SMILES itself is what is wrong: its own reason
    assert not broken.ok and "unclosed ring" in broken.reason


def test_sanitization_failures_read_as_a_chemist_counts_atoms():
    """RDKit's "Explicit valence for atom # 1 C, 6, is greater than permitted" counts atoms from 0; the message
    counts from 1, in the order the SMILES writes them, and the reason does not repeat its kind."""
    from molgen.chem.parse import parse_smiles

    pentavalent = parse_smiles("CC(C)(C)(C)(C)C")
    assert pentavalent.message == "atom 2 (C) has a valence of 6, more than C allows"
    assert pentavalent.reason == pentavalent.message
    ring = parse_smiles("c1ccnc1")
    assert ring.failure.value == "kekulization" and "aromatic atoms 1, 2, 3, 4, 5" in ring.message and "[nH]" in ring.message
    assert parse_smiles("C1=CC=CC=C1c").reason == "aromaticity: atom 7 is written aromatic (lower case) but is in no ring"
    assert parse_smiles("CC(=O").reason.startswith("not valid SMILES syntax (extra open parentheses")   # no "syntax: " lead
    assert parse_smiles("CCO").reason == ""


def test_a_relative_configuration_has_one_key_however_it_is_drawn():
    """A review: RDKit's canonical enhanced stereo gave a symmetric racemate two keys (drawn as either enantiomer),
    and the key carried coordinates and labels, so one compound read as two."""
    from molgen.chem.parse import relative_configuration_key

    meso = {relative_configuration_key(text) for text in (
        "C[C@@H]1CCC[C@H](C)N1S(=O)(=O)c1ccccc1 |&1:1,5|", "C[C@H]1CCC[C@@H](C)N1S(=O)(=O)c1ccccc1 |&1:1,5|",
        "O=S(=O)(c1ccccc1)N1[C@H](C)CCC[C@@H]1C |&1:10,15|")}
    assert meso == {"C[C@@H]1CCC[C@H](C)N1S(=O)(=O)c1ccccc1 |&1:1,5|"}
    trans = relative_configuration_key("N[C@@H]1C[C@H]1c1ccccc1 |&1:1,3|")
    assert relative_configuration_key("N[C@H]1C[C@@H]1c1ccccc1 |(0,0,;1,1,;2,2,;3,3,;4,4,;5,5,;6,6,;7,7,;8,8,;9,9,),"
                                      "&1:1,3|") == trans == "N[C@@H]1C[C@H]1c1ccccc1 |&1:1,3|"
    assert relative_configuration_key(trans) == trans   # read back, the same key
    assert relative_configuration_key("N[C@@H]1C[C@@H]1c1ccccc1 |&1:1,3|") != trans   # rac-cis: another compound
    assert relative_configuration_key("N[C@@H]1C[C@H]1c1ccccc1 |o1:1,3|") == "N[C@@H]1C[C@H]1c1ccccc1 |o1:1,3|"
    assert relative_configuration_key("N[C@@H]1C[C@H]1c1ccccc1") is None
    assert relative_configuration_key("C[C@H](N)C(=O)O |&1:1|") is None   # one centre: no relative configuration


def test_a_group_whose_partner_is_no_stereocentre_as_written_gives_no_relative_configuration():
    """A review: mirroring one group took a pseudo-asymmetric neighbour's stereo away, and the key named an atom with
    none (read back, another key)."""
    from molgen.chem.parse import relative_configuration_key

    assert relative_configuration_key("C[C@H](F)[C@H](O)[C@H](F)C |&1:1,3|") is None
    for text in ("N[C@@H]1C[C@H]1c1ccccc1 |&1:1,3|", "C[C@@H]1C[C@H](C)C[C@@H](C)C1 |&1:1,3,&2:6|"):
        key = relative_configuration_key(text)
        assert relative_configuration_key(key) == key
