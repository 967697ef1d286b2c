"""Augmentation: enumeration, leak guards, analogues, balanced sets, provenance on every row."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from typer.testing import CliRunner

from molgen.augment import Guard, ReferenceSet, analogues, apply_guard, balance, enumerate_smiles
from molgen.augment.provenance import PROVENANCE_COLUMNS
from molgen.cli import app
from molgen.data.registry import load_smiles


@pytest.fixture(scope="module")
def series():
    return load_smiles("moses-sample", "test")[:20]


def test_enumerated_smiles_are_valid_distinct_and_canonicalize_to_their_source(series):
    rows, failed = enumerate_smiles(series + ["C1CC", "c1ccccc1", "CCO"], k=8, seed=3)
    assert failed["input_row"].tolist() == [21, 22] and failed["removed_because"][0].startswith("invalid input: syntax")
    # benzene is written c1ccccc1 whatever the atom order: its one spelling is the canonical one, not an augmentation
    assert failed["removed_because"][1].startswith("no spelling other than its canonical SMILES")
    assert "CCO" not in set(rows["smiles"]) and len(rows[rows["input_row"] == 23]) == 3   # OCC, C(C)O, C(O)C
    for source, group in rows.groupby("seed_smiles"):
        assert group["smiles"].is_unique
        assert all(Chem.MolToSmiles(Chem.MolFromSmiles(s)) == source for s in group["smiles"])
    counts = rows.groupby("input_row").size()
    assert (counts.drop(23) == 8).all()
    assert counts[23] < 8  # ethanol has fewer than 8 distinct spellings; none is repeated to make up the number
    again, _ = enumerate_smiles(series, k=8, seed=3)
    assert again["smiles"].tolist() == rows["smiles"][: len(again)].tolist()


def test_an_input_row_repeating_an_earlier_molecule_is_enumerated_and_marked():
    """Two rows of one molecule (another spelling, perhaps another label) are both kept, and the repeat
    names the first, so a chemist can check that their labels agree before training."""
    from molgen.augment.enumerate import repeated_inputs

    rows, _ = enumerate_smiles(["CCO", "c1ccccc1O", "OCC", "Oc1ccccc1", "CCN"], k=3, seed=0)
    marks = rows.drop_duplicates("input_row").set_index("input_row")["same_molecule_as_row"]
    assert marks.isna().tolist() == [True, True, False, False, True]
    assert marks[3] == 1 and marks[4] == 2
    note = repeated_inputs(rows)
    assert note.startswith("2 input rows") and "row 3 = row 1" in note and "row 4 = row 2" in note
    assert repeated_inputs(enumerate_smiles(["CCO", "CCN"], k=2)[0]) is None
    # another form of an earlier row's compound (its sodium salt, its tautomer, its enantiomer) is marked apart:
    # the leak guard reads these as one compound, and their labels deserve a look
    forms, _ = enumerate_smiles(["CC(C)Cc1ccc(C(C)C(=O)O)cc1", "[Na+].CC(C)Cc1ccc(C(C)C(=O)[O-])cc1", "Oc1ccccn1",
                                 "O=c1cccc[nH]1", "C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O", "CCN",
                                 "CC(=O)CC(=O)c1ccccc1", "CC(O)=CC(=O)c1ccccc1"], k=2)   # and a keto/enol pair
    parents = forms.drop_duplicates("input_row").set_index("input_row")["same_parent_as_row"]
    assert [None if pd.isna(v) else int(v) for v in parents] == [None, 1, None, 3, None, 5, None, None, 8]
    assert "row 2 ~ row 1, row 4 ~ row 3, row 6 ~ row 5, row 9 ~ row 8" in repeated_inputs(forms)
    # rows the guard removed (a leak) leave their pairs out of the note: no two labels are left to compare
    leak = Guard(held_out=[ReferenceSet("test", ["CC(=O)CC(=O)c1ccccc1"])], near_duplicate=None)
    kept, _ = apply_guard(forms, leak, allow_seed_copy=True)
    assert "row 9 ~ row 8" not in repeated_inputs(kept) and "row 2 ~ row 1" in repeated_inputs(kept)


def test_enumerated_inputs_are_matched_to_held_out_molecules_exactly_not_by_similarity():
    # a cycloheptyl amide is the chemist's own compound, not the held-out cyclohexyl one, though Morgan r2 reads
    # both alike (Tanimoto 1.0): enumerate removed it as a leak where balance and analogues keep such an input
    held, own = "O=C(NC1CCCCC1)c1ccccc1", "O=C(NC1CCCCCC1)c1ccccc1"
    guard = Guard(held_out=[ReferenceSet("test", [held])], near_duplicate=0.95)
    rows, _ = enumerate_smiles([own, held], k=2, seed=0)
    kept, removed = apply_guard(rows, guard)   # spellings by their method, without allow_seed_copy
    assert set(kept["input_row"]) == {1} and len(kept) == 2
    assert set(removed["input_row"]) == {2} and removed["removed_because"].str.startswith("leak: is held-out").all()
    # a generated molecule that close to a held-out one is still a near-duplicate
    generated = pd.DataFrame({"smiles": [own], "method": ["analogue:prefix"], "seed_smiles": ["CCO"], "input_row": [1]})
    assert apply_guard(generated, guard)[1]["removed_because"].str.startswith("leak: near-duplicate").all()


def test_leakage_guard_removes_a_held_out_molecule_in_another_spelling(series):
    planted = series[5]
    other_spelling = Chem.MolToSmiles(Chem.MolFromSmiles(planted), canonical=False, doRandom=True)
    assert other_spelling != planted
    guard = Guard(held_out=[ReferenceSet("test split", [other_spelling])], near_duplicate=None)
    rows, _ = enumerate_smiles(series, k=4, seed=0)
    kept, removed = apply_guard(rows, guard, allow_seed_copy=True)
    source = Chem.MolToSmiles(Chem.MolFromSmiles(planted))
    assert source not in set(kept["seed_smiles"])
    assert len(removed) == 4 and removed["removed_because"].str.startswith("leak: is held-out molecule").all()
    # stereo-free spelling of a stereo molecule is caught too
    stereo = ReferenceSet("held", ["C[C@H](N)c1ccccc1"])
    assert stereo.exact(Chem.MolFromSmiles("NC(C)c1ccccc1")) == "C[C@H](N)c1ccccc1"
    assert Guard(held_out=[stereo]).leak(Chem.MolFromSmiles("NC(C)c1ccccc1")) == (
        "leak: is held-out molecule C[C@H](N)c1ccccc1, stereo aside (held, entry 1)")


def test_a_new_molecule_reached_by_two_methods_or_seeds_is_kept_once_within_each_seeds_cap():
    """From reviews: one analogue from the prefix and the latent method of one seed was written twice (double weight,
    and a split could put it on both sides); and, once kept once, a molecule credited to a seed at its cap was lost
    although another seed had room."""
    from molgen.augment.analogues import _once_within_the_cap
    from molgen.augment.provenance import reason_counts

    rows = pd.DataFrame({"smiles": ["Nc1nccc(-c2ccc(Br)cc2)n1", "c1cc(-c2ccnc(N)n2)ccc1Br", "Cc1ccc(-c2ccnc(N)n2)cc1",
                                    "Nc1nccc(-c2ccc(Br)cc2)n1"],
                         "method": ["analogue:prefix", "analogue:latent", "analogue:prefix", "analogue:prefix"],
                         "seed_smiles": ["A", "A", "A", "B"], "similarity": [0.7, 0.7, 0.8, 0.6]})
    kept, removed = _once_within_the_cap(rows, per_seed=1)
    # seed A keeps its most similar (the tolyl), seed B the bromophenyl A had no room for; A's two rows of it say
    # where it is kept
    assert list(zip(kept["seed_smiles"], kept["smiles"])) == [("A", "Cc1ccc(-c2ccnc(N)n2)cc1"),
                                                             ("B", "Nc1nccc(-c2ccc(Br)cc2)n1")]
    assert removed["removed_because"].tolist() == [
        "duplicate within the synthetic set: kept from method analogue:prefix, seed_smiles B"] * 2
    kept, removed = _once_within_the_cap(rows, per_seed=5)
    assert sorted(kept["smiles"]) == ["Cc1ccc(-c2ccnc(N)n2)cc1", "Nc1nccc(-c2ccc(Br)cc2)n1"]
    # A has room for the bromophenyl too, but gives it to B, which has nothing else
    assert list(zip(kept["seed_smiles"], kept["smiles"])) == [("A", "Cc1ccc(-c2ccnc(N)n2)cc1"),
                                                             ("B", "Nc1nccc(-c2ccc(Br)cc2)n1")]
    assert removed["removed_because"].tolist() == [
        "duplicate within the synthetic set: kept from method analogue:prefix, seed_smiles B"] * 2
    # most similar first: a molecule two seeds reached goes to the one it is nearer, unless that leaves the other
    # seed none while the nearer one has another (B keeps its second, A the shared one: each seed one analogue)
    shared = pd.DataFrame({"smiles": ["CCOc1ccccc1", "CCNc1ccccc1", "CCOc1ccccc1"], "method": ["analogue:prefix"] * 3,
                           "seed_smiles": ["B", "B", "A"], "similarity": [0.9, 0.85, 0.8]})
    kept, removed = _once_within_the_cap(shared, per_seed=1)
    assert list(zip(kept["seed_smiles"], kept["smiles"])) == [("A", "CCOc1ccccc1"), ("B", "CCNc1ccccc1")]
    assert removed.set_index("seed_smiles")["removed_because"].to_dict() == {
        "B": "duplicate within the synthetic set: kept from method analogue:prefix, seed_smiles A"}
    # with room for two, B holds both and gives A the shared one; a seed whose only molecule is another seed's only
    # one keeps none, and its row says where its molecule went
    kept, _ = _once_within_the_cap(shared, per_seed=2)
    assert list(zip(kept["seed_smiles"], kept["smiles"])) == [("A", "CCOc1ccccc1"), ("B", "CCNc1ccccc1")]
    kept, removed = _once_within_the_cap(shared.iloc[[0, 2]], per_seed=1)
    assert list(zip(kept["seed_smiles"], kept["smiles"])) == [("B", "CCOc1ccccc1")]
    assert removed["removed_because"].tolist() == [
        "duplicate within the synthetic set: kept from method analogue:prefix, seed_smiles B"]
    # an exact repeat whose first copy the cap or the profile removed takes that reason, not "duplicate"
    from molgen.augment.analogues import _fates_of_repeats

    guarded = pd.DataFrame({"smiles": ["C12C3C4C1C5C2C3C45", "CCOc1ccccc1"], "removed_because": [
        "duplicate within the synthetic set"] * 2})
    later = pd.DataFrame({"smiles": ["C12C3C4C1C5C2C3C45"], "removed_because": ["profile hard filters: rings"]})
    fates = _fates_of_repeats(guarded, kept, later)["removed_because"].tolist()
    assert fates == ["profile hard filters: rings",
                     "duplicate within the synthetic set: kept from method analogue:prefix, seed_smiles B"]
    # a repeat of a row the guard removed (a held-out molecule) is removed for the same reason, not called kept
    held = Guard(held_out=[ReferenceSet("test", ["Nc1nccc(-c2ccc(Br)cc2)n1"])], near_duplicate=None)
    twice = pd.DataFrame({"smiles": ["Nc1nccc(-c2ccc(Br)cc2)n1"] * 2, "method": ["analogue:prefix"] * 2,
                          "seed_smiles": ["A"] * 2})
    assert [r.startswith("leak: is held-out molecule") for r in apply_guard(twice, held)[1]["removed_because"]] == \
        [True, True]


@pytest.mark.parametrize("held, synthetic", [
    ("OC(=O)c1ccccc1", "[Na+].[O-]C(=O)c1ccccc1"),                 # a salt of the held-out acid
    ("CN1CCC[C@H]1c1cccnc1", "Cl.CN1CCCC1c1cccnc1"),               # a hydrochloride, stereo dropped
    ("CCN", "CC[NH3+]"),                                            # a charge state
    ("O=c1cccc[nH]1", "Oc1ccccn1"),                                 # a tautomer (2-pyridone, 2-hydroxypyridine)
    ("COc1ccccc1", "[2H]C([2H])([2H])Oc1ccccc1"),                   # an isotopologue
    ("CCO", "CC[18OH]"),                                            # a label is no stereo (was "stereo aside")
    # a salt written with its metal bonded, as vendors' and PubChem's files often do, either way round
    ("CC(C)Cc1ccc(cc1)C(C)C(=O)O", "CC(C)Cc1ccc(cc1)C(C)C(=O)O[Na]"),
    ("COC(=O)c1ccc(O[K])cc1", "COC(=O)c1ccc(O)cc1"),
])
def test_leakage_guard_sees_salts_charges_tautomers_and_isotopes(held, synthetic):
    guard = Guard(held_out=[ReferenceSet("test split", [held])], near_duplicate=None)
    _, removed = apply_guard(pd.DataFrame({"smiles": [synthetic], "method": "x", "seed_smiles": None}), guard)
    canonical = Chem.MolToSmiles(Chem.MolFromSmiles(held))
    assert removed["removed_because"].tolist() == [
        f"leak: is another form (salt, charge state, tautomer or isotope label) of held-out molecule {canonical} "
        "(test split, entry 1)"]


def test_a_leak_names_where_the_held_out_molecule_stands(tmp_path):
    """A review: a leak named the held-out molecule's SMILES and set only, so a chemist searched the file for it; its
    line and name are said (a .smi line's name, a table's id column), and a list's entry number."""
    from molgen.data.files import names_of, places_of, read_molecules

    held = tmp_path / "held.csv"
    held.write_text("compound_id,smiles,pIC50\nA-1,CCOc1ccccc1NC(C)=O,5\nA-2,Cl.CC(=O)Nc1ccc(O)cc1,6\n")
    frame = read_molecules(held)
    assert names_of(frame) == ["A-1", "A-2"] and places_of(frame) == ["line 2", "line 3"]
    guard = Guard(held_out=[ReferenceSet("held.csv", frame["smiles"].tolist(), places_of(frame), names_of(frame))],
                  near_duplicate=0.5)
    assert guard.leak(Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1")) == (
        "leak: is another form (salt, charge state, tautomer or isotope label) of held-out molecule "
        "CC(=O)Nc1ccc(O)cc1.Cl (held.csv, line 3, A-2)")
    assert guard.leak(Chem.MolFromSmiles("CCOc1ccccc1NC(=O)CC")).startswith(
        "leak: near-duplicate of held-out CCOc1ccccc1NC(C)=O (held.csv, line 2, A-1, Tanimoto ")
    assert names_of(pd.DataFrame({"smiles": ["C"], "pIC50": [5.0]})) is None   # no column names a molecule
    # a header holding an identity's word that names something else (a code review: compound_class as a name)
    assert names_of(pd.DataFrame({"smiles": ["C"], "compound_class": ["alcohol"], "Assay ID": [7], "CID": [3]})) == ["3"]
    # a part of a held-out mixture is found where its mixture stands (its SMILES is on no line of the file)
    combination = ReferenceSet("held.csv", ["CCO", "CC(=O)Nc1ccc(O)cc1.CC(=O)Oc1ccccc1C(=O)O"], ["line 2", "line 3"],
                               ["A-1", "combo-7"])
    assert Guard(held_out=[combination]).leak(Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1")) == (
        "leak: is held-out molecule CC(=O)Nc1ccc(O)cc1 (held.csv, line 3, combo-7)")


def test_a_large_held_out_sets_leaks_name_their_place_when_read_back_from_the_cache(monkeypatch, empty_cache):
    """A code review: a set of 5,000 molecules or more named a leak's line on the run that keyed it, and not on the
    runs that read its keys back."""
    from molgen.augment import reference_cache

    monkeypatch.setattr(reference_cache, "CACHE_FROM", 10)
    held = load_smiles("moses-sample", "test")[:40]
    where, names = [f"line {i + 2}" for i in range(len(held))], [f"cpd-{i}" for i in range(len(held))]
    built = ReferenceSet("held.csv", held, where, names)
    assert reference_cache.load(held) is not None   # stored: the next set is read back
    read = ReferenceSet("held.csv", held, where, names)
    canonical = [Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in held]
    first = canonical.index(canonical[7])
    for reference in (built, read):
        leak = Guard(held_out=[reference], near_duplicate=None).leak(Chem.MolFromSmiles(held[7]))
        assert leak.endswith(f"(held.csv, line {first + 2}, cpd-{first})"), leak


def test_parent_key_keeps_different_molecules_apart():
    # keto and enol differ by a hydrogen on carbon: not one parent key (find catches them, below); nor are
    # homologues or isomers, for either
    reference = ReferenceSet("held", ["CC(C)=O", "CCN", "Oc1ccccc1C"])
    for smiles in ("CC(O)=C", "CCCN", "Oc1ccc(C)cc1", "c1ccncc1"):
        assert reference.exact(Chem.MolFromSmiles(smiles)) is None, smiles
    for smiles in ("CCCN", "Oc1ccc(C)cc1", "c1ccncc1", "CCC(C)=O", "CC(C)O"):
        assert reference.find(Chem.MolFromSmiles(smiles)) is None, smiles


@pytest.mark.parametrize("held, synthetic, how", [
    # warfarin held out as its 4-hydroxycoumarin; the file holds it as the 2,4-dione and as the side chain's enol
    ("CC(=O)CC(c1ccccc1)c1c(O)c2ccccc2oc1=O", "CC(=O)CC(c1ccccc1)C1C(=O)c2ccccc2OC1=O", "is a tautomer of"),
    ("CC(=O)CC(c1ccccc1)c1c(O)c2ccccc2oc1=O", "CC(O)=CC(c1ccccc1)c1c(O)c2ccccc2oc1=O", "is a tautomer of"),
    ("CC(=O)CC(=O)c1ccccc1", "CC(O)=CC(=O)c1ccccc1", "is a tautomer of"),              # a 1,3-diketone's enol
    ("CC(C)N=O", "CC(C)=NO", "is a tautomer of"),                                       # nitroso and oxime
    ("NCC(=O)O", "NCC(=O)O.CCCCCCCCCCCCCCCCO", "holds"),                                # the smaller part of a mixture
    ("CC(=O)CC(=O)c1ccccc1", "[Na+].[Cl-].CC(O)=CC(=O)c1ccccc1.CCCCCCCCCCCCCCCCCCCC", "holds"),
])
def test_leakage_guard_sees_carbon_tautomers_and_mixtures(held, synthetic, how):
    guard = Guard(held_out=[ReferenceSet("test split", [held])], near_duplicate=None)
    _, removed = apply_guard(pd.DataFrame({"smiles": [synthetic], "method": "x", "seed_smiles": None}), guard)
    canonical = Chem.MolToSmiles(Chem.MolFromSmiles(held))
    expected = (f"leak: is a tautomer of held-out molecule {canonical} (test split, entry 1)" if how == "is a tautomer of"
                else f"leak: holds held-out molecule {canonical} in a mixture (test split, entry 1)")
    assert removed["removed_because"].tolist() == [expected]
    # a seed's keto form generated from its enol is no new molecule either: one reason, counted as one
    seeded = Guard(seeds=ReferenceSet("seeds", [held]), near_duplicate=None)
    assert seeded.check(Chem.MolFromSmiles(synthetic)) == f"copy of seed: {canonical}, " + (
        "as a tautomer" if how == "is a tautomer of" else "in a mixture")


def test_a_large_held_out_set_is_stored_once_and_read_back_the_same(monkeypatch, empty_cache):
    from molgen.augment import reference_cache

    monkeypatch.setattr(reference_cache, "CACHE_FROM", 10)
    held = load_smiles("moses-sample", "test")[:40] + ["C[C@H](N)C(=O)O", "CCO.Cl", "C1CC"]
    built = ReferenceSet("test", held)
    assert list((empty_cache / "held-out").glob("*.parquet"))
    save = reference_cache.save
    monkeypatch.setattr(reference_cache, "save", lambda *a: pytest.fail("a stored set is not stored again"))
    read = ReferenceSet("test", held)
    monkeypatch.setattr(reference_cache, "save", save)
    assert read.keys == built.keys and read.canonical == built.canonical and read.unreadable == built.unreadable == ["C1CC"]
    assert [fp.ToBitString() for fp in read.fingerprints] == [fp.ToBitString() for fp in built.fingerprints]
    glycine = Chem.MolFromSmiles("N[C@@H](C)C(O)=O")
    assert read.find(glycine) == built.find(glycine) and read.nearest(glycine) == built.nearest(glycine)
    # other molecules, another RDKit or another keying: another file; a damaged file is rebuilt, not trusted
    assert reference_cache.digest(held) != reference_cache.digest(held[:-1])
    keying = reference_cache._keying
    monkeypatch.setattr(reference_cache, "_keying", lambda: "keys changed, nobody bumped KEYS_VERSION")
    assert reference_cache.load(held) is None
    monkeypatch.setattr(reference_cache, "_keying", keying)
    from molgen.augment.provenance import _molecules_sha256   # a set listed twice over is the same set

    assert _molecules_sha256(ReferenceSet("twice", held[:40] * 2)) == _molecules_sha256(ReferenceSet("once", held[:40]))
    version = reference_cache.KEYS_VERSION
    monkeypatch.setattr(reference_cache, "KEYS_VERSION", version + 1)
    assert reference_cache.load(held) is None
    monkeypatch.setattr(reference_cache, "KEYS_VERSION", version)
    reference_cache._path(held).write_bytes(b"not parquet")
    assert reference_cache.load(held) is None and ReferenceSet("test", held).keys == built.keys
    # a stored file of another length is not this set's; a generator is read once; a cache that cannot be made
    # costs the build, not an error
    reference_cache.save(held, [("C", "C", "parent:C")], [built.fingerprints[0]], [])
    assert reference_cache.load(held) is None
    assert ReferenceSet("test", iter(held)).keys == built.keys
    blocker = empty_cache / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("MOLGEN_CACHE", str(blocker / "cache"))
    assert ReferenceSet("test", held).keys == built.keys


def test_the_input_columns_join_by_position_whatever_the_tables_index():
    from molgen.augment import with_input_columns

    series = pd.DataFrame({"smiles": ["CCO", "CCN", "CCC", "CCCl"], "id": list("ABCD"), "pIC50": [5.0, 6.0, 7.0, 8.0]})
    potent = series[series["pIC50"] > 5.5]   # index 1, 2, 3: labels looked up by index put B's on C and C's on D
    rows, _ = enumerate_smiles(potent["smiles"].tolist(), k=2, seed=0)
    joined = with_input_columns(rows, potent.drop(columns="smiles"))
    truth = {Chem.MolToSmiles(Chem.MolFromSmiles(s)): (i, p) for s, i, p in zip(potent["smiles"], potent["id"], potent["pIC50"])}
    assert [truth[s] for s in joined["seed_smiles"]] == list(zip(joined["id"], joined["pIC50"]))


def test_a_neutral_parent_keeps_an_inorganic_ion_and_a_quaternary_ammonium():
    from molgen.chem.standardize import neutral_parent

    for given, parent in (("[Na+].[Cl-]", "[Cl-]"), ("C[N+](C)(C)C.[Cl-]", "C[N+](C)(C)C"), ("CC[NH3+]", "CCN"),
                          ("[O-]C(=O)c1ccccc1.[Na+]", "O=C(O)c1ccccc1")):
        assert Chem.MolToSmiles(neutral_parent(Chem.MolFromSmiles(given))) == parent, given   # not HCl from NaCl


def test_analogues_screen_new_molecules_with_any_guard_and_leave_the_callers_guard_as_it_was():
    from molgen.augment.guards import GENERATED_ROW_ALERTS, screened

    mine = Guard(held_out=[ReferenceSet("test", ["CCO"])], alerts=["pains"])
    assert screened(mine).alerts == ["pains", *GENERATED_ROW_ALERTS] and screened(mine, screen=False).alerts == ["pains"]
    assert mine.alerts == ["pains"] and screened(None).alerts == list(GENERATED_ROW_ALERTS)
    kept, _ = analogues(["CC(=O)Nc1ccc(O)cc1"], per_seed=2, min_similarity=0.2, samples_per_seed=20, seed=1, guard=mine)
    assert mine.seeds is None   # the seeds of this call were set on its copy: a later balance is not checked against them


def test_a_guard_refuses_a_held_out_set_with_an_entry_that_is_no_molecule():
    # a typo in a test compound left it unguarded, silently, through the Python API (the CLI refused it)
    typo = ReferenceSet("mine", ["CC(C)NCC(O)COc1cccc2ccccc12", "Cn1c(=O)c2c(ncn2C)n(C)c1=OX"])
    with pytest.raises(ValueError, match=r"held-out mine: 1 of 2 entries is not a valid molecule \(entry 2: not valid SMILES syntax"):
        Guard(held_out=[typo])
    assert Guard(seeds=typo).seeds is typo   # seeds are the inputs: an unreadable one is a removed row, not an error


def test_a_counter_ion_or_solvent_held_out_does_not_flag_every_salt():
    # a toxicity set lists water, HCl and acetic acid as compounds: a hydrate or a salt does not hold them
    guard = Guard(held_out=[ReferenceSet("tox", ["O", "Cl", "CC(=O)O"])], near_duplicate=None)
    for salt in ("CCN.Cl", "CC(=O)Nc1ccc(O)cc1.O", "CN1CCC[C@H]1c1cccnc1.CC(=O)O"):
        assert guard.leak(Chem.MolFromSmiles(salt)) == "", salt
    assert guard.leak(Chem.MolFromSmiles("CC(=O)O")).startswith("leak: is held-out molecule")   # itself, still


def test_near_duplicates_alerts_and_rules_are_removed_with_reasons():
    guard = Guard(held_out=[ReferenceSet("held", ["CCCCCCCCCCCCCCO"])], near_duplicate=0.8, alerts=["pains"], rules=["lipinski"])
    rows = pd.DataFrame({"smiles": ["CCCCCCCCCCCCCCCO", "c1ccc(N=Nc2ccccc2)cc1", "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
                                    "CC(=O)Nc1ccc(O)cc1", "nonsense"], "method": "x", "seed_smiles": None})
    kept, removed = apply_guard(rows, guard)
    assert kept["smiles"].tolist() == ["CC(=O)Nc1ccc(O)cc1"]
    reasons = removed.set_index("smiles")["removed_because"]
    assert reasons["CCCCCCCCCCCCCCCO"].startswith("leak: near-duplicate")
    assert reasons["nonsense"].startswith("invalid")
    assert reasons["c1ccc(N=Nc2ccccc2)cc1"].startswith("alerts: pains")
    assert reasons["CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"].startswith("fails rules: lipinski")
    seeded = Guard(seeds=ReferenceSet("seeds", ["CC(=O)Nc1ccc(O)cc1"]), near_duplicate=0.55)  # the methyl ether: 0.59
    copies = pd.DataFrame({"smiles": ["OC1=CC=C(NC(C)=O)C=C1", "CC(=O)Nc1ccc(OC)cc1", "CCN(CC)CC"], "method": "x",
                           "seed_smiles": None})
    kept, removed = apply_guard(copies, seeded)
    assert kept["smiles"].tolist() == ["CCN(CC)CC"]
    assert removed["removed_because"].str.startswith("copy of seed").tolist() == [True, False]
    assert removed["removed_because"][1].startswith("near-copy of seed")
    # balance's references are its inputs: its reasons say so (a review was told "near-copy of seed" there)
    inputs = Guard(seeds=ReferenceSet("inputs", ["CC(=O)Nc1ccc(O)cc1"]), near_duplicate=0.55)
    _, removed = apply_guard(copies, inputs)
    assert removed["removed_because"].str.split(":").str[0].tolist() == ["copy of input", "near-copy of input"]


def test_analogues_stay_inside_the_window_and_carry_provenance(series):
    kept, removed = analogues(series[:3], per_seed=5, min_similarity=0.35, max_similarity=0.9, samples_per_seed=60, seed=1)
    assert len(kept) > 0 and set(PROVENANCE_COLUMNS) <= set(kept.columns)
    assert kept.groupby("seed_smiles").size().max() <= 5
    assert kept["method"].eq("analogue:prefix").all() and kept["checkpoint"].str.contains("sha256:").all()
    seeds = {Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in series[:3]}
    assert not set(kept["smiles"]) & seeds  # no copies
    from molgen.scoring.similarity import morgan_fingerprint
    from rdkit import DataStructs

    for row in kept.itertuples():
        similarity = DataStructs.TanimotoSimilarity(morgan_fingerprint(Chem.MolFromSmiles(row.smiles)),
                                                    morgan_fingerprint(Chem.MolFromSmiles(row.seed_smiles)))
        assert 0.35 <= similarity <= 0.9 and similarity == pytest.approx(row.similarity)
        assert {"min_similarity", "max_similarity", "prefix_fraction"} <= set(json.loads(row.params))
    assert removed["removed_because"].str.len().gt(0).all()
    assert len(kept) + len(removed) == 3 * 60   # the budget shared out whole over the three prefix lengths
    # outside the window: the reason's Tanimoto cannot read as inside it (0.397 printed as 0.40), and is a column
    far = removed[removed["removed_because"].str.startswith("too far from its seed")]
    assert len(far) and far["similarity"].lt(0.35).all() and far["removed_because"].str.contains(r"Tanimoto 0\.\d{3},").all()
    # which analogues hold their seed's ring system whole (linezolid's oxazolidinone became an oxazinane)
    from molgen.augment.analogues import keeps_seed_scaffold

    assert keeps_seed_scaffold(["CC(=O)NCC1CN(c2ccc(N3CCOCC3)c(F)c2)CCO1", "CC(=O)NCC1CN(c2ccc(N3CCCC3)c(F)c2)C(=O)O1",
                                "CCO"], ["CC(=O)NCC1CN(c2ccc(N3CCOCC3)c(F)c2)C(=O)O1"] * 2 + ["CCN"]).astype(object).fillna(-1).tolist() == \
        [False, False, -1]   # the morpholine is part of the ring system; an acyclic seed has none
    assert keeps_seed_scaffold(["CC(=O)NCC1CN(c2ccc(N3CCOCC3)c(F)c2)C(=O)O1"],
                               ["NCC1CN(c2ccc(N3CCOCC3)cc2)C(=O)O1"]).tolist() == [True]
    assert kept["keeps_seed_scaffold"].notna().all()
    # the note explains the methods that made the analogues, not others (a review: a latent-only result was told of
    # prefix completion and inpainting)
    from molgen.augment.analogues import scaffold_note

    latent_only = pd.DataFrame({"method": ["analogue:latent"] * 2, "keeps_seed_scaffold": [True, False]})
    said = scaffold_note(latent_only)
    assert said.startswith("analogues holding their seed's ring system (Murcko scaffold) whole, by method: latent: 1 of 2")
    assert "latent point" in said and "prefix" not in said and "inpaint" not in said
    both = pd.DataFrame({"method": ["analogue:prefix", "analogue:inpaint"], "keeps_seed_scaffold": [False, True]})
    assert "prefix completion rewrites" in scaffold_note(both) and "inpaint holds the scaffold" in scaffold_note(both)
    # the seeds' order (a review saw a series' second seed first, its SMILES sorting first), the most similar first
    assert kept["seed_row"].is_monotonic_increasing and kept["seed_row"].nunique() > 1
    assert all(group["similarity"].is_monotonic_decreasing for _, group in kept.groupby("seed_row"))
    # what the per-seed cap leaves out is listed, the least similar, with why: no sampled molecule goes unaccounted
    capped, capped_out = analogues(series[:3], per_seed=1, min_similarity=0.35, max_similarity=0.9, samples_per_seed=60,
                                   seed=1)
    beyond = capped_out[capped_out["removed_because"].str.startswith("beyond the 1 analogues kept per seed")]

    def placed(out: pd.DataFrame) -> int:   # rows the cap decided on: beyond it, or a repeat of a kept molecule
        return int(out["removed_because"].str.match(r"beyond|duplicate within the synthetic set: kept from").sum())
    assert len(beyond) and len(capped) + placed(capped_out) == len(kept) + placed(removed)
    for seed_smiles, group in beyond.groupby("seed_smiles"):
        assert group["similarity"].max() <= capped.loc[capped["seed_smiles"] == seed_smiles, "similarity"].min()
    from molgen.models.base import shipped_checkpoint

    if shipped_checkpoint("graph-vae") is None:
        with pytest.raises(ValueError, match="does not ship yet"):
            analogues(series[:1], methods=["latent"])
    else:
        near, away = analogues(series[:2], methods=["latent"], per_seed=5, min_similarity=0.2, samples_per_seed=40, seed=1)
        assert near["method"].eq("analogue:latent").all() and near["checkpoint"].str.startswith("graph-vae.pt").all()
        # every decoding is accounted for, its repeats listed as the other methods' are (47 of 200 went unlisted)
        assert len(near) + len(away) == 2 * 40
        assert away["removed_because"].str.startswith("duplicate within the synthetic set").any()
        # a salt seed is explored around its parent (the model encodes one molecule), and the row says so
        salted, salt_removed = analogues(["[Na+].[O-]C(=O)c1ccc(Cl)cc1"], methods=["latent"], per_seed=3,
                                         min_similarity=0.0, samples_per_seed=20, seed=1)
        assert not salt_removed["removed_because"].str.startswith("seed not encodable").any()
        assert len(salted) and all(json.loads(p)["encoded_parent"] == "O=C(O)c1ccc(Cl)cc1" for p in salted["params"])
        # the graphs hold no stereo: a seed's stereocentre is said to be lost on each of its rows
        chiral, _ = analogues(["C[C@H](N)c1ccc(Cl)cc1"], methods=["latent"], per_seed=3, min_similarity=0.0,
                              samples_per_seed=20, seed=1)
        assert len(chiral) and all(json.loads(p)["seed_stereo_not_encoded"] for p in chiral["params"])


def test_a_salt_seed_is_its_parent_compound_to_the_prefix_model_and_the_similarity_window():
    """Celecoxib HCl: the SMILES model has no token for the counter-ion, and Tanimoto to the salt understated
    every analogue's similarity (celecoxib itself read 0.98 to its salt)."""
    from rdkit import DataStructs

    from molgen.scoring.similarity import morgan_fingerprint

    salt, parent = "Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(S(N)(=O)=O)cc2)cc1.Cl", "Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(S(N)(=O)=O)cc2)cc1"
    kept, removed = analogues([salt], per_seed=5, min_similarity=0.3, max_similarity=0.95, samples_per_seed=60, seed=1)
    assert not removed["removed_because"].str.startswith("seed not readable").any() and len(kept)
    assert (kept["seed_smiles"] == Chem.MolToSmiles(Chem.MolFromSmiles(salt))).all()   # joins back to the input row
    reference = morgan_fingerprint(Chem.MolFromSmiles(parent))
    for row in kept.itertuples():
        assert json.loads(row.params)["seed_parent"] == Chem.MolToSmiles(Chem.MolFromSmiles(parent))
        assert row.similarity == pytest.approx(DataStructs.TanimotoSimilarity(
            morgan_fingerprint(Chem.MolFromSmiles(row.smiles)), reference))


def test_a_charge_state_seed_is_explored_around_its_neutral_form():
    # a protonated amine written alone was refused for its [NH+], while its HCl salt was explored around the base
    kept, removed = analogues(["C[NH+](C)CCC=C1c2ccccc2CCc2ccccc12"], per_seed=3, min_similarity=0.3, samples_per_seed=60,
                              seed=1)
    assert len(kept) and not removed["removed_because"].str.startswith("seed not readable").any()
    assert {json.loads(p)["seed_parent"] for p in kept["params"]} == {"CN(C)CCC=C1c2ccccc2CCc2ccccc21"}


def test_when_no_seed_is_left_each_reason_is_counted():
    """Three held-out seeds were said as "no valid seed molecule (held-out seed: ...)", the first alone."""
    guard = Guard(held_out=[ReferenceSet("test split", ["CCO", "CCN", "CCC"])], near_duplicate=None)
    with pytest.raises(ValueError) as said:
        analogues(["CCO", "CCN", "C1CC", "CCC"], per_seed=2, guard=guard)
    assert str(said.value).startswith("no seed molecule left to make analogues of: 3 held-out seeds (row 1: is "
                                      "held-out molecule CCO (test split, entry 1)); 1 invalid seed (row 3: syntax:")


def test_analogue_seeds_that_cannot_be_used_are_reported_and_the_rest_go_on():
    held = "CC(=O)Nc1ccc(O)cc1"
    seeds = ["C[C@H](N)c1ccc(Cl)cc1",        # stereo: the MOSES model reads it without
             "O=[N+]([O-])c1ccc(Cl)cc1",     # a nitro group: charges the MOSES model never saw
             "OC1=CC=C(NC(C)=O)C=C1",        # paracetamol, held out below
             "Cc1ccc(S(N)(=O)=O)cc1", "c1cc(S(N)(=O)=O)ccc1C",   # one seed twice
             "O=C(O)c1ccccc1", "[Na+].[O-]C(=O)c1ccccc1"]   # an acid and its salt: one compound
    guard = Guard(held_out=[ReferenceSet("test split", [held])], near_duplicate=None)
    kept, removed = analogues(seeds, per_seed=5, min_similarity=0.2, max_similarity=0.95, samples_per_seed=30, seed=2,
                              guard=guard)
    reasons = removed.set_index("smiles")["removed_because"]
    assert reasons["OC1=CC=C(NC(C)=O)C=C1"] == f"held-out seed: is held-out molecule {held} (test split, entry 1)"
    assert reasons["c1cc(S(N)(=O)=O)ccc1C"] == "repeated seed: Cc1ccc(S(N)(=O)=O)cc1"
    assert reasons["O=[N+]([O-])c1ccc(Cl)cc1"] == ("seed not readable by the SMILES model smiles-lm-lstm.pt: the tokens "
                                                   "[N+], [O-] outside its vocabulary")
    assert reasons["[Na+].[O-]C(=O)c1ccccc1"].startswith("repeated seed: another form of the compound of seed "
                                                         "O=C(O)c1ccccc1 (row 6)")
    rows = removed.set_index("smiles")["input_row"]   # each unusable seed points back at its input row
    assert (rows["O=[N+]([O-])c1ccc(Cl)cc1"], rows["OC1=CC=C(NC(C)=O)C=C1"], rows["c1cc(S(N)(=O)=O)ccc1C"]) == (2, 3, 5)
    assert held not in set(kept["seed_smiles"]) and "O=[N+]([O-])c1ccc(Cl)cc1" not in set(kept["seed_smiles"])
    stereo = kept[kept["seed_smiles"] == "C[C@H](N)c1ccc(Cl)cc1"]
    assert len(stereo) > 0 and all(json.loads(p)["stereo_dropped_in_prefix"] for p in stereo["params"])


def test_balance_removes_held_out_inputs_and_bins_salts_by_their_parent():
    smiles = load_smiles("moses-sample", "train")[:60] + ["[Na+].[O-]C(=O)c1ccccc1", "CC(=O)Nc1ccc(O)cc1"]
    guard = Guard(held_out=[ReferenceSet("test split", ["CC(=O)Nc1ccc(O)cc1"])], near_duplicate=None)
    rows, removed, _ = balance(smiles, "mw", bins=4, value_range=(100, 400), per_bin=1, seed=0, max_samples=10, guard=guard)
    assert removed.set_index("input_row")["removed_because"][62].startswith("leak: is held-out molecule")
    salt = rows[rows["input_row"] == 61].iloc[0]
    assert salt["mw"] == pytest.approx(122.123, abs=1e-3)   # benzoic acid, not its sodium salt (144.1)
    assert rows.loc[rows["method"] == "original", "input_row"].tolist() == list(range(1, 62))
    # a histogram no input falls in has nothing to balance: refused, not reported as every bin reached
    with pytest.raises(ValueError, match="none of the 61 input molecules has a mw value inside 900 to 990"):
        balance(smiles, "mw", bins=4, value_range=(900, 990), seed=0, max_samples=10, guard=guard)
    with pytest.raises(ValueError, match="the range 400,100 of mw is empty: LOW comes first"):   # reversed, not missing
        balance(smiles, "mw", bins=4, value_range=(400, 100), seed=0, max_samples=10, guard=guard)
    with pytest.raises(ValueError, match="no usable input molecule to balance: 2 invalid, 1 held out"):
        balance(["C1CC", "CC(=O)Nc1ccc(O)cc1", "*c1ccccc1"], "mw", guard=guard)   # an R-group has no MW of its own
    # a compound given as its salt and as itself is one compound of the set: counted once, both rows kept
    forms = ["CCOc1ccccc1C(=O)O", "CCOc1ccccc1C(=O)[O-].[Na+]", "CCCCCCCCCCCCc1ccccc1"]   # MW 166, 166, 246
    rows, removed, histogram = balance(forms, "mw", bins=2, value_range=(150, 250), per_bin=1, seed=0, max_samples=10)
    assert histogram["before"].tolist() == [1, 1] and histogram.attrs["repeated_compounds"] == 1
    originals = rows[rows["method"] == "original"]
    assert [None if pd.isna(v) else int(v) for v in originals["same_parent_as_row"]] == [None, 1, None]
    from molgen.augment.balance import balance_notes

    assert any(n.startswith("1 input row is another form (a salt") for n in balance_notes(histogram, removed))
    # the same molecule written again is a repeat, not "another form" of it (a review; enumerate tells them apart)
    again = ["CCOc1ccccc1C(=O)O", "O=C(O)c1ccccc1OCC", "CCCCCCCCCCCCc1ccccc1"]
    rows, removed, histogram = balance(again, "mw", bins=2, value_range=(150, 250), per_bin=1, seed=0, max_samples=10)
    originals = rows[rows["method"] == "original"]
    assert histogram["before"].tolist() == [1, 1] and histogram.attrs["repeated_compounds"] == 0
    assert [None if pd.isna(v) else int(v) for v in originals["same_molecule_as_row"]] == [None, 1, None]
    assert originals["same_parent_as_row"].isna().all()
    notes = balance_notes(histogram, removed)
    assert any(n.startswith("1 input row repeats an earlier row's molecule") for n in notes)
    assert not any("another form" in n for n in notes)
    # a charge state written alone is binned by its neutral form, as its HCl salt is: one compound, one value
    amitriptyline = ["CN(C)CCC=C1c2ccccc2CCc2ccccc12.Cl", "C[NH+](C)CCC=C1c2ccccc2CCc2ccccc12", "CCCCCC"]
    rows, _, _ = balance(amitriptyline, "logp", bins=2, per_bin=1, seed=0, max_samples=10)
    salt, charged = rows.loc[rows["method"] == "original", "logp"].iloc[:2]
    assert charged == salt == pytest.approx(4.17, abs=0.01)   # the lone cation read 2.75 before


def test_balanced_set_reaches_its_target_histogram():
    smiles = load_smiles("moses-sample", "train")[:300]
    rows, removed, histogram = balance(smiles, "mw", bins=5, value_range=(250, 400), per_bin=80, seed=0, max_samples=20_000)
    assert histogram["reached"].all()
    inside = rows[rows["bin"] >= 0]
    counts = np.bincount(inside["bin"], minlength=5)
    assert (counts >= 80).all()
    assert (counts[histogram["before"].to_numpy() < 80] == 80).all()  # short bins filled exactly, nothing beyond
    synthetic = rows[rows["method"] == "balance"]
    assert len(synthetic) == histogram["added"].sum() > 0
    assert synthetic["params"].notna().all() and synthetic["checkpoint"].notna().all()
    for row in synthetic.itertuples():
        low, high = histogram.loc[row.bin, ["low", "high"]]
        assert low <= row.mw <= high
    assert not set(synthetic["smiles"]) & set(rows.loc[rows["method"] == "original", "smiles"])
    # every sampled molecule is accounted for: added, removed by the guard, or not used (and why)
    guarded = int((removed["method"] == "balance").sum())
    assert histogram.attrs["sampled"] == len(synthetic) + guarded + sum(histogram.attrs["unused"].values())
    assert histogram.attrs["unused"]["in a bin already full"] > 0


def test_an_sdf_record_the_reader_could_not_read_is_removed_with_the_readers_reason(tmp_path, series):
    blocks = [Chem.MolToMolBlock(Chem.MolFromSmiles(s)) + "$$$$\n" for s in series[:3]]
    blocks[2] = blocks[2].split("M  END")[0]   # the last record cut off before its end
    source = tmp_path / "series.sdf"
    source.write_text("".join(blocks))
    out = tmp_path / "enumerated.csv"
    result = CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(out), "-k", "2"], catch_exceptions=False)
    # no --held-out: said, as a forgotten flag leaves the rows unchecked against any test set (a review)
    assert "no --held-out: the rows written are checked against no test set" in " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    report = pd.read_csv(tmp_path / "enumerated.csv.removed.csv")
    (reason,) = report.loc[report["input_row"] == 3, "removed_because"]
    assert reason.startswith("invalid input: record starting at line ") and "truncated (no 'M  END')" in reason   # was "empty SMILES"
    assert set(pd.read_csv(out)["input_row"]) == {1, 2}


def test_augment_reads_a_smiles_column_named_on_the_command_line(tmp_path, series):
    source = tmp_path / "series.csv"
    source.write_text("id;mol\n" + "\n".join(f"m{i};{s}" for i, s in enumerate(series[:2])) + "\n")   # semicolons too
    out = tmp_path / "out.csv"
    unnamed = CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(out)])
    assert unnamed.exit_code == 2 and "no SMILES column in the header (columns are 'id', 'mol')" in " ".join(unnamed.output.split())
    named = CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(out), "-k", "2", "--smiles-column", "mol"])
    assert named.exit_code == 0, named.output
    assert set(pd.read_csv(out)["id"]) == {"m0", "m1"}


def test_augment_cli_writes_rows_and_a_removal_report(tmp_path, series):
    source = tmp_path / "series.csv"
    lines = [f"m{i},{s},{i + 0.5}" for i, s in enumerate(series[:5] + ["C1CC"])]
    source.write_text("id,smiles,activity\n" + "\n".join(lines[:3] + [""] + lines[3:]) + "\n")   # a blank line 5
    held = tmp_path / "held.smi"
    held.write_text(Chem.MolToSmiles(Chem.MolFromSmiles(series[0]), canonical=False, doRandom=True) + "\n")
    out = tmp_path / "enumerated.csv"
    result = CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(out), "-k", "3", "--held-out", str(held)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "1 blank line between records skipped (line 5)" in said
    # a protected removal report is found before the work, and the earlier set stays whole (a traceback had left it
    # without its manifest: a code review)
    report, manifest = tmp_path / "enumerated.csv.removed.csv", tmp_path / "enumerated.csv.manifest.json"
    report.chmod(0o444)
    before = out.read_bytes(), manifest.read_bytes()
    again = CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(out), "-k", "3"])
    assert again.exit_code == 2 and "enumerated.csv.removed.csv (written beside enumerated.csv) is write-protected" in \
        " ".join(again.output.split())
    assert (out.read_bytes(), manifest.read_bytes()) == before
    report.chmod(0o644)
    assert "2 of the 6 input records have no row in the output (the reasons in enumerated.csv.removed.csv" in said
    rows = pd.read_csv(out)
    report = pd.read_csv(tmp_path / "enumerated.csv.removed.csv")
    assert len(rows) == 12 and set(PROVENANCE_COLUMNS) <= set(rows.columns)
    assert report["removed_because"].str.startswith("leak").sum() == 3 and report["removed_because"].str.startswith("invalid").sum() == 1
    assert list(report.columns[:2]) == ["smiles", "removed_because"]   # the reason beside the molecule
    assert "3 leak (spellings of 1 input record)" in said   # three spellings, one compound
    # the input's own columns follow every spelling (a label-preserving augmentation keeps its labels)
    assert (rows["id"] == "m" + (rows["input_row"] - 1).astype(str)).all()
    assert (rows["activity"] == rows["input_row"] - 0.5).all()
    assert set(report["id"]) == {"m0", "m5"}
    # the input's own columns (its file line, id, activity) where a chemist looks, before the provenance
    assert list(rows.columns[:4]) == ["smiles", "input_line", "id", "activity"]
    manifest = json.loads((tmp_path / "enumerated.csv.manifest.json").read_text())
    assert manifest["augment"]["command"] == "augment enumerate" and manifest["augment"]["settings"]["k"] == 3
    assert manifest["augment"]["similarity"].startswith("Tanimoto on RDKit Morgan fingerprints, radius 2")
    import hashlib

    canonical = Chem.MolToSmiles(Chem.MolFromSmiles(series[0]))   # the held file holds a random spelling of it
    assert manifest["guard"]["held_out"] == [{"name": str(held), "molecules": 1,
                                              "canonical_sha256": hashlib.sha256(canonical.encode()).hexdigest()}]
    assert manifest["guard"]["near_duplicate"] is None   # spellings are matched exactly: no threshold applied
    assert manifest["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["output"]["report_sha256"] == hashlib.sha256((tmp_path / "enumerated.csv.removed.csv").read_bytes()).hexdigest()
    assert manifest["output"]["rows"] == 12 and manifest["output"]["removed_by_reason"] == {"leak": 3, "invalid input": 1}
    assert manifest["input"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    # a molecule given twice with two labels: both kept, the repeat marked and named on the terminal
    twice = tmp_path / "twice.csv"
    twice.write_text("smiles,activity\nCCO,1.0\nCCN,2.0\nOCC,7.0\n")
    result = CliRunner().invoke(app, ["augment", "enumerate", str(twice), "-o", str(tmp_path / "twice-out.csv"), "-k", "2"])
    assert result.exit_code == 0 and "row 3 = row 1" in " ".join(result.output.split())
    marked = pd.read_csv(tmp_path / "twice-out.csv")
    assert set(marked.loc[marked["same_molecule_as_row"] == 1, "activity"]) == {7.0}
    # each of the two rows keeps its own k spellings (the guard removed the second row's as duplicates of the first's)
    assert marked.groupby("activity").size().to_dict() == {1.0: 2, 2.0: 2, 7.0: 2}
    # the input is never the output: it would be lost, and the manifest would checksum the output as the input
    same = CliRunner().invoke(app, ["augment", "enumerate", str(twice), "-o", str(twice)])
    assert same.exit_code == 2 and "is the input" in " ".join(same.output.split()) and twice.read_text().startswith("smiles,activity\nCCO,1.0")
    # nor a held-out file (FILE or FILE:COLUMN), nor a file written beside the output: the report over the input
    held = tmp_path / "held.csv"
    held.write_text("smiles\nCCCC\n")
    for command in (["enumerate", str(twice), "-o", str(held), "--held-out", str(held)],
                    ["analogues", str(twice), "-o", str(held), "--held-out", f"{held}:smiles"],
                    ["balance", str(twice), "--property", "logp", "-o", str(held), "--held-out", str(held)]):
        refused = CliRunner().invoke(app, ["augment", *command])
        assert refused.exit_code == 2 and "is a --held-out file" in " ".join(refused.output.split()), command
        assert held.read_text() == "smiles\nCCCC\n"
    # a held-out path written with ./ or // is read as the file it names (its text was taken for FILE:COLUMN)
    dotted = CliRunner().invoke(app, ["augment", "enumerate", str(twice), "-o", str(tmp_path / "dotted.csv"),
                                      "--held-out", f"{tmp_path}/./held.csv"])
    assert dotted.exit_code == 0, dotted.output
    beside = tmp_path / "r.csv.removed.csv"
    beside.write_text(twice.read_text())
    refused = CliRunner().invoke(app, ["augment", "enumerate", str(beside), "-o", str(tmp_path / "r.csv")])
    assert refused.exit_code == 2 and "(written beside r.csv) is the input" in " ".join(refused.output.split())
    assert beside.read_text() == twice.read_text() and not (tmp_path / "r.csv").exists()
    histogram = tmp_path / "h.csv.histogram.csv"
    histogram.write_text(twice.read_text())
    refused = CliRunner().invoke(app, ["augment", "balance", str(histogram), "--property", "logp", "-o", str(tmp_path / "h.csv")])
    assert refused.exit_code == 2 and "is the input" in refused.output
    for flag, value in (("-k", "0"), ("--seed", "-5"), ("--near-duplicate", "0")):
        refused = CliRunner().invoke(app, ["augment", "enumerate", str(twice), "-o", str(tmp_path / "x.csv"), flag, value])
        assert refused.exit_code == 2, (flag, refused.output)
    # an analogue carries its seed's id and activity as the seed's (its own activity is unknown)
    result = CliRunner().invoke(app, ["augment", "analogues", str(source), "-o", str(tmp_path / "near.csv"), "--per-seed",
                                      "2", "--samples-per-seed", "20", "--min-similarity", "0.2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    near = pd.read_csv(tmp_path / "near.csv")
    assert len(near) and "activity" not in near.columns and "id" not in near.columns
    # new molecules are screened for strained rings, radicals, no carbon and halogen donors unless told otherwise
    screened = json.loads((tmp_path / "near.csv.manifest.json").read_text())["guard"]["alerts"]
    assert screened == ["rings", "radicals", "inorganic", "halogen_donors"]
    for given, expected in ((["--alerts", "none"], []),
                            (["--alerts", "pains"], ["rings", "radicals", "inorganic", "halogen_donors", "pains"]),
                            (["--alerts", "none", "--alerts", "pains"], ["pains"])):
        again = CliRunner().invoke(app, ["augment", "analogues", str(source), "-o", str(tmp_path / "n2.csv"), "--per-seed", "1",
                                         "--samples-per-seed", "10", *given], catch_exceptions=False)
        assert again.exit_code == 0 and json.loads((tmp_path / "n2.csv.manifest.json").read_text())["guard"]["alerts"] == expected
    # Ctrl-C during the work: said, and the last output left as it was (the rows are written at the end)
    before = (tmp_path / "near.csv").read_bytes()
    for command, function in ((["analogues"], "analogues"), (["balance", "--property", "logp"], "balance"),
                              (["enumerate"], "apply_guard")):   # enumerate's stop was silent
        def stopped(*args, **kwargs):
            raise KeyboardInterrupt
        import molgen.augment
        original = getattr(molgen.augment, function)
        setattr(molgen.augment, function, stopped)
        try:
            interrupted = CliRunner().invoke(app, ["augment", *command, str(source), "-o", str(tmp_path / "near.csv")])
        finally:
            setattr(molgen.augment, function, original)
        assert interrupted.exit_code == 130, interrupted.output
        assert "stopped: nothing was written" in " ".join(interrupted.output.split()) and "is as it was" in interrupted.output
        assert (tmp_path / "near.csv").read_bytes() == before
    unknown = CliRunner().invoke(app, ["augment", "analogues", str(source), "-o", str(tmp_path / "n3.csv"), "--alerts", "panis"])
    assert unknown.exit_code == 2 and "unknown alert set 'panis'" in unknown.output and not (tmp_path / "n3.csv").exists()
    assert (near["seed_id"] == "m" + (near["seed_row"] - 1).astype(str)).all()
    assert (near["seed_activity"] == near["seed_row"] - 0.5).all()
    canonical = [Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in series[:5]]
    assert all(canonical[row - 1] == seed for row, seed in zip(near["seed_row"], near["seed_smiles"]))
    bad = CliRunner().invoke(app, ["augment", "balance", str(source), "-o", str(tmp_path / "b.csv"), "--property", "qde"])
    assert bad.exit_code == 2 and "not a property" in bad.output
    # the input's own label is refused as what it is: a generated molecule has no measured activity
    label = CliRunner().invoke(app, ["augment", "balance", str(source), "-o", str(tmp_path / "b.csv"), "--property", "Activity"])
    said = " ".join(label.output.split())
    assert label.exit_code == 2 and "'activity' is a column of series.csv, a value you measured" in said
    # the rows it adds are said to lack the input's columns (they are not the series, and have no activity)
    filled = CliRunner().invoke(app, ["augment", "balance", str(source), "-o", str(tmp_path / "b.csv"), "--property", "mw",
                                      "--bins", "2", "--per-bin", "4", "--max-samples", "400"], catch_exceptions=False)
    said = " ".join(filled.output.split())
    assert filled.exit_code == 0, filled.output
    written = pd.read_csv(tmp_path / "b.csv")
    added = written.query("method == 'balance'")
    assert len(added) and added["activity"].isna().all()
    assert (tmp_path / "b.csv").read_text().splitlines()[1].split(",")[1] == "2"   # input_line 2, not 2.0
    assert f"the {len(added)} added rows are new molecules sampled from the model (method balance), not analogues of " \
           "the inputs, with no value in the input's own columns (id, activity): fit a model of any label among them " \
           "on the original rows only (method original)" in said
    # the manifest is written last, and checksums every file beside the rows, the histogram included
    manifest = json.loads((tmp_path / "b.csv.manifest.json").read_text())
    from molgen.data.moses import sha256_of

    assert manifest["output"]["beside"] == [{"file": "b.csv.histogram.csv",
                                             "sha256": sha256_of(tmp_path / "b.csv.histogram.csv")}]
    # its bins named by the property, as the Augment page's download names them
    assert (tmp_path / "b.csv.histogram.csv").read_text().splitlines()[0].startswith("mw from,mw to,before")
    from molgen.augment.balance import filled_columns   # a .smi file's empty name column is no label

    assert filled_columns(pd.DataFrame({"line": [1, 2], "name": [None, None], "id": ["a", ""], "note": ["", " "]})) == ["id"]
    repeated = pd.DataFrame([["a", "b", None], ["c", None, None]], columns=["id", "id", ""])   # a header as written
    assert filled_columns(repeated) == ["id"]


def _enumerate_three(tmp_path, series, *options: str):
    """`molgen augment enumerate` of the series' first three molecules (a .smi file) into out.csv, with ``options``."""
    source, out = tmp_path / "series.smi", tmp_path / "out.csv"
    source.write_text("\n".join(series[:3]) + "\n")
    return CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(out), *options]), out


def test_a_held_out_entry_that_is_no_molecule_is_refused_not_left_unguarded(tmp_path, series):
    """A typo in a test compound would leave it unguarded while the chemist thinks it held out."""
    held = tmp_path / "held.csv"
    held.write_text("smiles\n" + series[0] + "\nCc1ccc(-c2cc(C(F)(F)XYZ)nn2)cc1\n")
    result, out = _enumerate_three(tmp_path, series, "--held-out", str(held))
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "1 of 2 entries is not a valid molecule (line 3: not valid SMILES syntax" in said
    assert "'Cc1ccc(-c2cc(C(F)(F)XYZ)nn2)cc1')" in said
    assert "correct or remove it" in said and not out.exists()
    reference = ReferenceSet("typed", ["CCO", "C1CC", ""])
    assert reference.unreadable == ["C1CC", ""]
    with pytest.raises(ValueError, match="2 of 3 entries are not valid molecules"):
        reference.require_readable()


def test_augmenting_an_empty_file_is_an_error(tmp_path):
    empty = tmp_path / "empty.smi"
    empty.write_text("")
    result = CliRunner().invoke(app, ["augment", "enumerate", str(empty), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 2 and "empty.smi: holds no molecules" in " ".join(result.output.split())


def test_seeds_that_kept_no_analogue_are_named(tmp_path, series):
    from molgen.augment.analogues import seeds_without_analogues

    seeds = [series[0], "C1CC", series[1]]   # the invalid one is reported as such, not as a seed without analogues
    kept, removed = analogues(seeds, per_seed=3, min_similarity=0.98, max_similarity=0.99, samples_per_seed=20, seed=1)
    said = seeds_without_analogues(seeds, kept, removed)
    expected = [row for row in (1, 3) if row not in set(kept["seed_row"].dropna().astype(int))]
    assert expected, "a window of 0.98 to 0.99 should leave a seed empty"
    assert said.startswith(f"{len(expected)} seed") and all(f"row {row} ({seeds[row - 1]})" in said for row in expected)
    assert "row 2" not in said
    source = tmp_path / "seeds.smi"
    source.write_text("\n".join(seeds) + "\n")
    result = CliRunner().invoke(app, ["augment", "analogues", str(source), "-o", str(tmp_path / "a.csv"), "--per-seed", "3",
                                      "--samples-per-seed", "20", "--min-similarity", "0.98", "--max-similarity", "0.99",
                                      "--seed", "1"])
    assert result.exit_code == 0 and "kept no analogue: row 1" in " ".join(result.output.split())


def test_rows_with_fewer_spellings_than_asked_are_named():
    from molgen.augment.enumerate import short_enumerations

    rows, _ = enumerate_smiles(["CCO", "CC(=O)Nc1ccc(O)cc1"], k=20, seed=0)
    counts = rows.groupby("input_row").size()
    assert counts[1] < 20 == counts[2]   # ethanol has few spellings, paracetamol many
    assert short_enumerations(rows, 20) == (f"1 input row has fewer than 20 distinct spellings (row 1: {counts[1]}): a "
                                            "small or symmetric molecule has few, so the set weighs it less than the others")
    assert short_enumerations(rows, counts[1]) is None


def test_a_held_out_file_names_its_smiles_column_after_a_colon(tmp_path, series, monkeypatch):
    """A held-out file's header seldom matches the input's: FILE:COLUMN names its column, and an unnamed one's
    error says how (not --smiles-column, which is the input's)."""
    from molgen import cli

    monkeypatch.setattr(cli.error_console, "_width", 400)   # a long temporary path is not folded mid-word
    held = tmp_path / "assay.csv"
    held.write_text("compound,molecule_structure\nT1," + series[0] + "\n")
    unnamed, out = _enumerate_three(tmp_path, series, "--held-out", str(held))
    said = " ".join(unnamed.output.split())
    assert unnamed.exit_code == 2 and f"(--held-out {held}:COLUMN)" in said and "--smiles-column" not in said
    named, _ = _enumerate_three(tmp_path, series, "-k", "2", "--held-out", f"{held}:molecule_structure")
    assert named.exit_code == 0, named.output
    report = pd.read_csv(tmp_path / "out.csv.removed.csv")
    assert report["removed_because"].str.startswith("leak").sum() >= 1
    assert set(pd.read_csv(out)["input_row"]) == {2, 3}
    wrong, _ = _enumerate_three(tmp_path, series, "--held-out", f"{held}:nope")
    assert wrong.exit_code == 2 and "no column 'nope'" in " ".join(wrong.output.split())


def test_analogues_of_a_chiral_seed_written_without_stereo_are_said():
    from molgen.augment.analogues import stereo_note

    kept = pd.DataFrame({"smiles": ["CC(N)c1ccccc1F", "C[C@H](N)c1ccccc1Cl", "CCOc1ccccc1"],
                         "seed_smiles": ["C[C@H](N)c1ccccc1", "C[C@H](N)c1ccccc1", "COc1ccccc1"]})
    assert stereo_note(kept).startswith("1 of the 2 analogues of 1 seed with stereocentres or E/Z double bonds carry "
                                        "no stereo")
    assert stereo_note(kept.iloc[1:]) == ""   # every analogue of the chiral seed carries stereo


OLANZAPINE = "CN1CCN(CC1)C1=Nc2ccccc2Nc2sc(C)cc12"
PAMOIC_ACID = "OC(=O)c1cc2ccccc2c(Cc2c(O)c(cc3ccccc23)C(O)=O)c1O"


@pytest.mark.parametrize("written, parent", [
    ("CC(C)Cc1ccc(cc1)C(C)C(=O)O[Na]", "CC(C)Cc1ccc(cc1)C(C)C(=O)O"),      # a salt written with its metal bonded
    ("[Na]OC(=O)CCS[Na]", "OC(=O)CCS"),                                   # every salt-metal bond, S-Na too
    ("O=C1N([Na])S(=O)(=O)c2ccccc12", "O=C1NS(=O)(=O)c2ccccc12"),         # saccharin sodium's N-Na
    ("CC(=O)O[22Na]", "CC(=O)O"),
    # the anion keeps its hydrogens (a code review: [Na]NC(C)=O read as a radical, no longer acetamide's salt)
    ("CC(=O)N[Na]", "CC(N)=O"), ("[Na]NS(=O)(=O)c1ccccc1", "NS(=O)(=O)c1ccccc1"), ("[Li]NC", "CN"),
    # a code review: the metal's own bonds stay where they are the compound's (gold, zinc, a Grignard's C-Mg)
    ("O=C(O[Na])CC(S[Au])C(=O)O[Na]", "O=C(O)CC(S[Au])C(=O)O"),
    ("CC(=O)O[Zn]OC(C)=O", "CC(=O)O[Zn]OC(C)=O"), ("C[Mg]Br", "C[Mg]Br"), ("CC[Zn]CC", "CC[Zn]CC"),
    ("C[Mg]OC", "C[Mg]OC"),   # an organometallic's metal keeps every bond
])
def test_a_salt_metal_bonded_to_its_anion_is_a_salt_and_other_metal_bonds_stay(written, parent):
    from molgen.augment.guards import parent_molecule
    from molgen.chem.standardize import salt_parent

    expected = Chem.MolToSmiles(Chem.MolFromSmiles(parent))
    assert Chem.MolToSmiles(salt_parent(Chem.MolFromSmiles(written))) == expected
    assert Chem.MolToSmiles(parent_molecule(Chem.MolFromSmiles(written))) == Chem.MolToSmiles(
        parent_molecule(Chem.MolFromSmiles(parent)))   # the leak guard reads it as salt_parent does


def test_bonded_salt_metals_become_ions_without_radicals_and_odd_forms_stay_as_written():
    from molgen.chem.standardize import without_metal_bonds

    for written, ions in (("[Na]O", "[Na+].[OH-]"), ("O[Mg]O", "[Mg+2].[OH-].[OH-]"), ("[Na]S", "[Na+].[SH-]")):
        mol = without_metal_bonds(Chem.MolFromSmiles(written))
        assert Chem.MolToSmiles(mol) == Chem.MolToSmiles(Chem.MolFromSmiles(ions))
        assert not any(atom.GetNumRadicalElectrons() for atom in mol.GetAtoms())
    for odd in ("O[Na+]", "[O-][Na]", "C[O][NaH]"):
        mol = Chem.MolFromSmiles(odd)
        if mol is not None:
            assert without_metal_bonds(mol) is mol


def test_a_resumed_run_on_a_file_of_bonded_salts_is_told_why_its_molecules_changed(tmp_path):
    from molgen.cli import _holds_bonded_salt_metal

    bonded, ionic = tmp_path / "bonded.csv", tmp_path / "ionic.csv"
    bonded.write_text("smiles\nCCO\nCC(=O)O[Na]\n")
    ionic.write_text("smiles\nCC(=O)[O-].[Na+]\n[Kr]\n")
    assert _holds_bonded_salt_metal(str(bonded)) and not _holds_bonded_salt_metal(str(ionic))
    assert not _holds_bonded_salt_metal("moses")


@pytest.mark.parametrize("salt, parent", [
    (f"{OLANZAPINE}.{PAMOIC_ACID}", OLANZAPINE),   # pamoate: 29 heavy atoms to olanzapine's 22
    ("CC(=O)Nc1c(I)c(NC(C)=O)c(I)c(C(=O)[O-])c1I.C[NH2+]CC(O)C(O)C(O)C(O)CO",   # diatrizoate meglumine
     "CC(=O)Nc1c(I)c(NC(C)=O)c(I)c(C(=O)O)c1I"),
    ("CN1C=C(C)C(=N1)/C=C/c1cccs1.[O-]C(=O)c1cc2ccccc2c(Cc2c(O)c(cc3ccccc23)C([O-])=O)c1O",
     "CN1C=C(C)C(=N1)/C=C/c1cccs1"),
    ("CNCC(O)C(O)C(O)C(O)CO.OC(=O)C(O)C(O)C(O)=O", "CNCC(O)C(O)C(O)C(O)CO"),   # two listed ions: the largest
    # a salt former that is a drug too is never set aside (a code review: morpholine salicylate read as morpholine)
    ("C1COCCN1.OC(=O)c1ccccc1O", "OC(=O)c1ccccc1O"), ("NC(CCCNC(N)=N)C(O)=O.O=C1CCC(C(=O)O)N1", "NC(CCCNC(N)=N)C(O)=O"),
    ("C[C@@H]1O[C@@H]1P(=O)(O)O.NC(CO)(CO)CO", "C[C@@H]1O[C@@H]1P(=O)(O)O"),   # fosfomycin trometamol
    # a salt former that is a drug too, beside a drug that is none, is its counter-ion, however the two weigh
    # (reviews: by all atoms lysine outweighed aspirin; by heavy atoms aspartate ornithine, salicylate metformin)
    ("CC(=O)Oc1ccccc1C(=O)O.NCCCCC(N)C(=O)O", "CC(=O)Oc1ccccc1C(=O)O"),   # aspirin lysine
    ("NCCCC(N)C(=O)O.NC(CC(=O)O)C(=O)O", "NCCCC(N)C(=O)O"),               # L-ornithine L-aspartate
    ("CN(C)C(=N)N=C(N)N.OC(=O)c1ccccc1O", "CN(C)C(=N)N=C(N)N"),           # metformin salicylate
    ("OC(=O)c1ccccc1O.C[N+](C)(C)CCO", "OC(=O)c1ccccc1O"),                # choline salicylate: both, the heavier
    ("CCCCN.O=S(=O)(O)C(F)(F)F", "CCCCN"),                                # a triflate, heavier than its amine
    # ... however small (arginine butyrate), while listed formers and solvents stay counter-ions (imidazole, propanol)
    ("N=C(N)NCCCC(N)C(=O)O.CCCC(=O)O", "CCCC(=O)O"),
    ("c1c[nH]cn1.OC(=O)c1ccccc1O", "OC(=O)c1ccccc1O"), ("CCCO.OC(=O)c1ccccc1O", "OC(=O)c1ccccc1O"),
])
def test_a_salts_parent_is_the_drug_not_a_larger_counter_ion(salt, parent):
    """A review: the largest fragment of olanzapine pamoate is the pamoate, so a held-out olanzapine pamoate guarded
    pamoic acid (and every pamoate salt) instead of olanzapine, and replicates merged two pamoate salts as one."""
    from molgen.chem.standardize import salt_parent

    assert Chem.MolToSmiles(salt_parent(Chem.MolFromSmiles(salt))) == Chem.MolToSmiles(Chem.MolFromSmiles(parent))


@pytest.mark.parametrize("written", ["", ".Cl", ".OC(=O)C(O)C(O)C(=O)O", "[2H]"])
def test_a_near_duplicate_is_measured_against_the_held_out_parent_however_it_is_written(written):
    """A review: the C17 homologue of a held-out C16 anilide (Tanimoto 1.00 between parents) passed when the held-out
    file listed its tartrate salt (0.81 as written) or its O-D form (0.79)."""
    held = "CCCCCCCCCCCCCCCC(=O)Nc1ccc(O)cc1" + (written if written.startswith(".") else "")
    if written == "[2H]":
        held = "CCCCCCCCCCCCCCCC(=O)Nc1ccc(O[2H])cc1"
    guard = Guard(held_out=[ReferenceSet("test", [held])], near_duplicate=0.95)
    assert guard.check(Chem.MolFromSmiles("CCCCCCCCCCCCCCCCC(=O)Nc1ccc(O)cc1")).startswith("leak: near-duplicate")


def test_a_held_out_pamoate_guards_its_drug_and_not_other_pamoates():
    guard = Guard(held_out=[ReferenceSet("test", [f"{OLANZAPINE}.{PAMOIC_ACID}"])])
    assert guard.leak(Chem.MolFromSmiles(OLANZAPINE), near=False)
    assert guard.leak(Chem.MolFromSmiles(f"{OLANZAPINE}.Cl"), near=False)
    hydroxyzine_pamoate = f"OCCOCCN1CCN(CC1)C(c1ccccc1)c1ccc(Cl)cc1.{PAMOIC_ACID}"
    for other in (PAMOIC_ACID, hydroxyzine_pamoate):
        assert guard.leak(Chem.MolFromSmiles(other), near=False) == ""


def test_replicates_keep_two_drugs_salted_with_one_counter_ion_apart():
    from molgen.augment.replicates import merge_replicates

    pyrantel, morantel = "CN1CCCN=C1/C=C/c1cccs1", "CN1CCCN=C1/C=C/c1sccc1C"
    columns = pd.DataFrame({"pIC50": [5.0, 7.0]})
    merged = merge_replicates([f"{pyrantel}.{PAMOIC_ACID}", f"{morantel}.{PAMOIC_ACID}"], columns, ["pIC50"])
    assert len(merged.merged) == 2 and sorted(merged.merged["pIC50"]) == [5.0, 7.0]


def test_an_analogue_of_a_salt_seed_keeps_the_drugs_core_not_the_salts():
    """A besylate (amlodipine's, in a review): the Murcko scaffold of the whole salt held besylate's benzene apart,
    so no analogue held it: every keeps_seed_scaffold was False. 5-Methoxy-DMT's indole is written first, so the
    prefix method keeps it in every analogue."""
    besylate = "COc1ccc2[nH]cc(CCN(C)C)c2c1.OS(=O)(=O)c1ccccc1"
    kept, _ = analogues([besylate], per_seed=10, min_similarity=0.3, max_similarity=0.95, samples_per_seed=60, seed=1)
    indole = Chem.MolFromSmiles("c1ccc2[nH]ccc2c1")
    held = [Chem.MolFromSmiles(s).HasSubstructMatch(indole) for s in kept["smiles"]]
    assert any(held) and kept["keeps_seed_scaffold"].tolist() == held


def test_a_count_property_is_binned_by_whole_numbers():
    from molgen.augment.balance import balance_notes, bin_edges

    edges, bins = bin_edges("hbd", 0, 3, 8)   # eight equal-width bins left four between whole numbers, never filled
    assert bins == 4 and edges.tolist() == [-0.5, 0.5, 1.5, 2.5, 3.5]
    edges, bins = bin_edges("heavy_atoms", 10, 30, 8)   # 21 values: five bins of three, three of two
    assert bins == 8 and np.diff(edges).tolist() == [3.0] * 5 + [2.0] * 3 and (edges[0], edges[-1]) == (9.5, 30.5)
    edges, bins = bin_edges("hbd", 0, 4, 2)   # a --range is kept: hbd 5 lies outside it (a code review)
    assert bins == 2 and edges.tolist() == [-0.5, 2.5, 4.5]
    from molgen.augment.balance import bin_label

    assert (bin_label("hbd", -0.5, 2.5), bin_label("hbd", 2.5, 3.5), bin_label("qed", 0.1, 0.3)) == \
        ("0 to 2", "3", "0.1 to 0.3")
    assert bin_edges("qed", 0.1, 0.9, 4)[1] == 4
    with pytest.raises(ValueError, match="counts whole numbers, and none lies between 0.2 and 0.8"):
        bin_edges("rings", 0.2, 0.8, 3)
    smiles = ["CCO", "OCCO", "OCC(O)CO", "CC", "CCN"]   # hbd 1, 2, 3, 0, 1
    rows, removed, histogram = balance(smiles, "hbd", bins=8, seed=0, max_samples=10)
    assert histogram["before"].tolist() == [1, 2, 1, 1] and rows.loc[rows["method"] == "original", "bin"].tolist() == \
        [1, 2, 3, 0, 1]
    assert any(note.startswith("the property counts whole numbers: 4 bins, one a value, not the 8 asked")
               for note in balance_notes(histogram, removed))


def test_include_canonical_adds_the_canonical_spelling_to_the_k_random_ones():
    from molgen.augment.enumerate import randomized_smiles

    spellings = randomized_smiles(Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O"), 1, include_canonical=True)
    assert len(spellings) == 2 and spellings[0] == "CC(=O)Oc1ccccc1C(=O)O"
    from molgen.augment.enumerate import short_enumerations

    rows, _ = enumerate_smiles(["CCO", "CCN"], k=4, include_canonical=True)   # three random spellings each, and their own
    assert short_enumerations(rows, 4).startswith("2 input rows have fewer than 4 distinct spellings (row 1: 3, row 2: 3)")


def test_one_smiles_string_given_for_a_list_is_refused():
    """A str is a sequence of its characters: ReferenceSet("test", "CCO") guarded 'C', 'C' and 'O', silently."""
    with pytest.raises(TypeError, match=r"takes a list of SMILES, not one string: give \['CCO'\]"):
        ReferenceSet("test", "CCO")
    with pytest.raises(TypeError, match="enumerate_smiles takes a list of SMILES"):
        enumerate_smiles("CCN", k=3)
    with pytest.raises(TypeError, match="balance takes a list"):
        balance("CCN", "qed")
    with pytest.raises(TypeError, match="analogues takes a list"):
        analogues("CCN")


def test_an_output_that_cannot_be_written_is_refused_before_the_work(tmp_path, series):
    """A review: a folder named as the output was a traceback after the work (minutes, for analogues); a folder
    under the removal report's name stopped the writes midway and left the earlier run's manifest beside new rows."""
    result, out = _enumerate_three(tmp_path, series, "-k", "2")
    assert result.exit_code == 0, result.output
    earlier = json.loads(out.with_name("out.csv.manifest.json").read_text())
    (tmp_path / "adir.csv").mkdir()
    folder = CliRunner().invoke(app, ["augment", "enumerate", str(tmp_path / "series.smi"), "-o", str(tmp_path / "adir.csv")])
    assert folder.exit_code == 2 and "is a folder: give the name of the file to write" in " ".join(folder.output.split())
    report = out.with_name("out.csv.removed.csv")
    report.unlink()
    report.mkdir()
    blocked, _ = _enumerate_three(tmp_path, series, "-k", "7")
    said = " ".join(blocked.output.split())
    assert blocked.exit_code == 2 and "out.csv.removed.csv (written beside out.csv) is a folder" in said
    assert json.loads(out.with_name("out.csv.manifest.json").read_text()) == earlier   # nothing was written
    from molgen.data.files import FileFormatError, check_writable

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK) and os.geteuid() == 0:   # root writes anywhere: a folder of /proc cannot be
            locked = Path("/proc")
        with pytest.raises(FileFormatError, match="cannot be written in"):
            check_writable(locked / "out.csv")
    finally:
        (tmp_path / "locked").chmod(0o700)


def test_files_an_earlier_run_left_beside_the_output_are_replaced_or_removed_and_said(tmp_path):
    """An earlier balance's histogram stayed beside an enumerate output, and a report written over another run's
    output (named x.csv.removed.csv) went without a word."""
    source = tmp_path / "in.smi"
    source.write_text("CCO\nc1ccccc1O\n")
    out = tmp_path / "x.csv"
    histogram = tmp_path / "x.csv.histogram.csv"
    histogram.write_text("qed from,qed to,before\n0,1,2\n")   # as balance leaves it, and names it in its manifest
    import hashlib

    listed = {"output": {"beside": [{"file": "x.csv.histogram.csv",
                                     "sha256": hashlib.sha256(histogram.read_bytes()).hexdigest()}]}}
    (tmp_path / "x.csv.manifest.json").write_text(json.dumps(listed))
    (tmp_path / "x.csv.removed.csv").write_text("smiles\nCCN\n")   # another run's output, so named
    said = CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(out), "-k", "2"], catch_exceptions=False)
    text = " ".join(said.output.split())
    assert said.exit_code == 0 and not histogram.exists()
    assert f"removed {histogram}: an earlier run's, which this one does not write" in text
    assert f"{tmp_path / 'x.csv.removed.csv'}, {tmp_path / 'x.csv.manifest.json'} existed and are replaced" in text
    manifest = json.loads((tmp_path / "x.csv.manifest.json").read_text())
    assert "histogram" not in json.dumps(manifest["output"])
    # a file so named that no earlier manifest lists as written beside, or changed since, is the chemist's: kept,
    # and so is an input
    for given in (tmp_path / "y.csv.histogram.csv", histogram):
        given.write_text("smiles\nCCO\n")
        (tmp_path / f"{given.name.split('.')[0]}.csv.manifest.json").write_text(
            json.dumps(listed) if given == histogram else "{}")
        kept = CliRunner().invoke(app, ["augment", "enumerate", str(given), "-o", str(given.with_name(
            given.name.removesuffix(".histogram.csv"))), "-k", "2"], catch_exceptions=False)
        assert kept.exit_code == 0 and given.exists() and "an earlier run's" not in kept.output


def test_an_output_named_as_another_outputs_report_is_refused(tmp_path):
    """A review: `-o enum.csv.removed.csv` replaced enum.csv's removed rows with another table, and enum.csv's
    manifest went on naming them as its own."""
    source = tmp_path / "in.smi"
    source.write_text("CCOc1ccccc1NC(C)=O\nc1ccc2ncccc2c1\n")
    first = CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(tmp_path / "enum.csv"), "-k", "3"],
                               catch_exceptions=False)
    assert first.exit_code == 0, first.output
    removed = tmp_path / "enum.csv.removed.csv"
    before = removed.read_bytes()
    for command in (["augment", "enumerate", str(source), "-o", str(removed), "-k", "2"],
                    ["score", str(source), "-o", str(removed)]):
        refused = CliRunner().invoke(app, command)
        said = " ".join(refused.output.split())
        assert refused.exit_code == 2 and f"{removed} is written beside {tmp_path / 'enum.csv'} (named in " \
            "enum.csv.manifest.json): give the output another name" in said, said
    assert removed.read_bytes() == before
    # the output itself run again replaces its own reports, as before
    again = CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(tmp_path / "enum.csv"), "-k", "2"],
                               catch_exceptions=False)
    assert again.exit_code == 0 and "existed and" in again.output
    # a name the manifest writes escaped in JSON (é as \u00e9) is found too (a review of the fix)
    accented = tmp_path / "é.csv"
    assert CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(accented), "-k", "2"]).exit_code == 0
    refused = CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", f"{accented}.removed.csv", "-k", "2"])
    assert refused.exit_code == 2 and "give the output another name" in refused.output
    # the other way round: an output whose report would be written over another output of that name, with its
    # manifest (a review of the fix)
    own = tmp_path / "q.csv.removed.csv"
    assert CliRunner().invoke(app, ["score", str(source), "-o", str(own)]).exit_code == 0
    kept = own.read_bytes()
    over = CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(tmp_path / "q.csv"), "-k", "2"])
    said = " ".join(over.output.split())
    assert over.exit_code == 2 and f"{own} (written beside q.csv) is an output of its own, with " \
        "q.csv.removed.csv.manifest.json: give the output another name" in said, said
    assert own.read_bytes() == kept
    # an export's manifest names its file under "export" (a review of the fix)
    from molgen.runs import RunStore, generate

    exported = tmp_path / "e.csv.removed.csv"
    with RunStore(tmp_path / "runs.sqlite") as store:
        generate("smiles-lm", 5, seed=0, store=store, progress=False, max_samples=20).export(exported)
    taken = CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(tmp_path / "e.csv"), "-k", "2"])
    assert taken.exit_code == 2 and "is an output of its own" in taken.output
    # a manifest left by an output since deleted names no output there now, either way round
    for gone in (tmp_path / "enum.csv", removed, own, exported):
        gone.unlink()
    assert CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(removed), "-k", "2"]).exit_code == 0
    assert CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(tmp_path / "q.csv"), "-k", "2"]
                              ).exit_code == 0
    # a manifest too deeply nested for json to read is none of molgen's: no traceback
    (tmp_path / "d.csv.removed.csv").write_text("smiles\nCCO\n")
    (tmp_path / "d.csv.removed.csv.manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    assert CliRunner().invoke(app, ["augment", "enumerate", str(source), "-o", str(tmp_path / "d.csv"), "-k", "2"],
                              catch_exceptions=False).exit_code == 0


def test_a_generator_that_kept_no_analogue_is_named_with_its_commonest_reason():
    """From a review: --method prefix --method fine-tune kept 15 prefix rows; that the fine-tune kept 0 of 300 was
    said only in the removal report."""
    import pandas as pd

    from molgen.augment.analogues import methods_without_analogues

    kept = pd.DataFrame({"smiles": ["CCO", "CCN"], "method": ["analogue:prefix"] * 2})
    removed = pd.DataFrame({"smiles": ["C", "CC", "CCC", "CCCC"], "method": ["analogue:fine-tune"] * 3 + ["analogue:latent"],
                            "removed_because": ["too close to its seed: Tanimoto 1.000",
                                                "too close to its seed: Tanimoto 0.990", "invalid: syntax",
                                                "duplicate within the synthetic set: kept from method analogue:prefix"]})
    said = methods_without_analogues(["prefix", "fine-tune", "latent", "inpaint"], kept, removed)
    assert said == ("kept no analogue from fine-tune (3 removed, most often too close to its seed: 2; a higher "
                    "similarity ceiling keeps closer ones), latent (1 removed, most often "
                    "duplicate within the synthetic set: 1; kept under another method first), inpaint (it sampled "
                    "nothing); the removal report says why each sample went")
    assert methods_without_analogues(["prefix"], kept, removed) is None
    # a latent radius of 0 decodes the seed itself: the radius is what to change, not the window (a review)
    close = pd.DataFrame({"smiles": ["CCO"], "method": ["analogue:latent"],
                          "removed_because": ["too close to its seed: Tanimoto 1.000"]})
    assert "a larger latent radius reaches further from the seed" in methods_without_analogues(["latent"], kept, close)
    far = close.assign(removed_because="too far from its seed: Tanimoto 0.050")
    assert "a smaller latent radius stays nearer the seed" in methods_without_analogues(["latent"], kept, far)
    assert "a lower similarity floor or more samples per seed may give some" in methods_without_analogues(
        ["prefix"], kept.iloc[:0], far.assign(method="analogue:prefix"))
    for reason, advice in (("seed not encodable: Se", "the model cannot take the seed"),
                           ("leak: held-out molecule 3", "removed by the guard's screen"),
                           ("invalid: syntax", "more samples per seed may give some")):
        assert advice in methods_without_analogues(["latent"], kept, close.assign(removed_because=reason))
    # a seed the SMILES model cannot read is one row for prefix and fine-tune both
    unread = pd.DataFrame({"smiles": ["[Se]"], "method": ["analogue:prefix/fine-tune"],
                           "removed_because": ["seed not readable by the SMILES model x.pt: [Se]"]})
    assert "prefix (1 removed, most often seed not readable by the SMILES model x.pt: 1" in \
        methods_without_analogues(["prefix"], kept.iloc[:0], unread)


def test_budget_and_method_arguments_from_python_are_refused_before_any_sampling():
    """A review: balance(chunk=0) sampled nothing for ever; per_bin=0 and max_samples=-5 returned quietly; bins=0
    blamed the inputs' range; analogues([]) was a KeyError from pandas, methods="latent" read letter by letter and a
    negative latent_radius removed every seed as "not encodable"."""
    series = ["CCO", "CCCCCCCC", "c1ccccc1O", "OCC(O)CO"]
    for argument, value in (("chunk", 0), ("per_bin", 0), ("max_samples", -5), ("bins", 0), ("bins", -2)):
        with pytest.raises(ValueError, match=f"{argument} must be a whole number of 1 or more"):
            balance(series, "logp", **{argument: value})
    with pytest.raises(ValueError, match="give at least one seed molecule"):
        analogues([])
    with pytest.raises(TypeError, match=r"methods takes a list: give \['latent'\]"):
        analogues(series, methods="latent")
    with pytest.raises(ValueError, match="latent_radius must be 0 or more, not -1"):
        analogues(series, methods=["latent"], latent_radius=-1)
    with pytest.raises(TypeError, match=r"held_out takes a list of reference sets: give \[ReferenceSet\('test'"):
        Guard(held_out=ReferenceSet("test", ["CCO"]))


def test_enumerate_names_rac_cis_and_rac_trans_apart():
    """A review: rac-trans was called a repeat of rac-cis ("row 2 = row 1"). Each is named by its canonical
    CXSMILES; the two are stereoisomers of one compound (~), not one molecule."""
    rows, failed = enumerate_smiles(["N[C@@H]1C[C@H]1c1ccccc1 |&1:1,3|", "N[C@@H]1C[C@@H]1c1ccccc1 |&1:1,3|"], k=2)
    assert failed.empty
    assert set(rows["seed_smiles"]) == {"N[C@@H]1C[C@H]1c1ccccc1 |&1:1,3|", "N[C@@H]1C[C@@H]1c1ccccc1 |&1:1,3|"}
    second = rows[rows["input_row"] == 2]
    assert second["same_molecule_as_row"].isna().all() and (second["same_parent_as_row"] == 1).all()


def test_a_killed_augment_command_says_what_it_left(tmp_path):
    """A review: a kill (SIGTERM, a batch scheduler's time limit) ended `augment balance` without a word (Ctrl-C
    is said). It is said as Ctrl-C is, and the command dies of SIGTERM, as a killed job does."""
    import signal
    import subprocess
    import sys
    import time

    source = tmp_path / "in.smi"
    source.write_text("\n".join(load_smiles("moses-sample", "train")[:40]) + "\n")
    process = subprocess.Popen([sys.executable, "-c", "from molgen.cli import run; run()", "augment", "balance",
                                str(source), "--property", "logp", "--per-bin", "400", "--max-samples", "200000",
                                "-o", str(tmp_path / "out.csv")], stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "MOLGEN_HOME": str(tmp_path / "home")})
    # sent once the command has taken SIGTERM as its own (Linux lists the signals a process catches): a kill before
    # that, while Python still imports, ends it as any process ends
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None:
        caught = next(line for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
                      if line.startswith("SigCgt:"))
        if int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)):
            break
        time.sleep(0.2)
    time.sleep(1)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGTERM, stderr
    assert "stopped by a kill (SIGTERM): nothing was written" in " ".join(stderr.split())
    assert not (tmp_path / "out.csv").exists() and not list(tmp_path.glob("*.partial"))
    # in a Python caller (this test process), its own SIGTERM handler is put back as the command ends (a review)
    before = signal.getsignal(signal.SIGTERM)
    result = CliRunner().invoke(app, ["augment", "enumerate", str(source), "-k", "1", "-o", str(tmp_path / "e.csv")])
    assert result.exit_code == 0, result.output
    assert signal.getsignal(signal.SIGTERM) is before
