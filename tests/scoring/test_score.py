import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from molgen.scoring import pipeline as score_module
from molgen.scoring.desirability import Gaussian, Identity
from molgen.scoring.profiles import Component, ScoringProfile, load_profile
from molgen.scoring.pipeline import MixturesScoredWhole, score

INPUTS = ["CC(=O)Oc1ccccc1C(=O)O", "C1CC", "OC(=O)c1ccccc1OC(C)=O", "", "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
          "c1cccc1", "c1ccc(N=Nc2ccccc2)cc1", "C(C)(C)(C)(C)C"]


def test_one_row_per_input_in_order_invalid_rows_kept_with_reason():
    table = score(INPUTS, progress=False)
    assert table["input"].tolist() == INPUTS
    assert table["valid"].tolist() == [True, False, True, False, True, False, True, False]
    reasons = table["reason"].tolist()
    assert reasons[1].startswith("syntax") and reasons[3].startswith("empty")
    assert reasons[5].startswith("kekulization") and reasons[7].startswith("valence")
    invalid = table[~table["valid"]]
    assert invalid["score"].isna().all() and (invalid["rank"] == 0).all() and invalid["qed"].isna().all()


def test_a_fragment_with_an_attachment_point_is_a_row_with_its_reason_not_a_scored_molecule():
    # *c1ccccc1 was scored as a molecule of MW 77 and QED 0.43: the * counted as no atom at all
    table = score(["*c1ccccc1", "[*:1]C(=O)O", "c1ccccc1"], progress=False)
    assert table["valid"].tolist() == [False, False, True]
    assert all(reason.startswith("fragment: holds an attachment point") for reason in table["reason"][:2])
    assert table["qed"][:2].isna().all() and table["rank"].tolist()[2] == 1
    # its parent is whole once the * goes with the other fragments
    parent = score(["c1ccccc1.*"], progress=False, largest_fragment=True)
    assert parent["valid"].tolist() == [True] and parent["smiles"].tolist() == ["c1ccccc1"]


def test_a_salt_or_mixture_is_marked_by_its_fragment_count():
    with pytest.warns(MixturesScoredWhole, match="3 rows are salts or mixtures"):   # as the CLI says it
        table = score(["CC(C)Cc1ccc(C(C)C(=O)O)cc1.[Na+]", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "[Na+].[Cl-]", "C1CC",
                       "CCO.O.O"], progress=False)
    assert table["fragments"].tolist()[:3] == [2, 1, 2] and pd.isna(table["fragments"][3]) and table["fragments"][4] == 3
    assert table["logp"][0] != table["logp"][1]  # scored whole, as the column warns
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixturesScoredWhole)   # scored by their parents: nothing to warn of
        parent = score(["CC(C)Cc1ccc(C(C)C(=O)O)cc1.[Na+]", "[Na+].[Cl-]", "C1CC",
                        Chem.MolFromSmiles("OC(=O)c1ccccc1O.Cl")], progress=False, largest_fragment=True)
    assert parent["smiles"].tolist()[0] == table["smiles"][1] and parent["logp"][0] == table["logp"][1]
    assert parent["smiles"][1] in ("[Cl-]", "[Na+]")   # no organic fragment: not neutralized into HCl
    assert parent["smiles"][3] == "O=C(O)c1ccccc1O"  # a Mol input too
    assert parent["fragments"].tolist()[:2] == [2, 2] and pd.isna(parent["fragments"][2])  # the input's count
    # a real salt: the carboxylate is neutralized, so ibuprofen sodium scores as ibuprofen
    sodium = score(["CC(C)Cc1ccc(C(C)C(=O)[O-])cc1.[Na+]", "C[NH+](C)CCc1ccccc1.[Cl-]", "C[N+](C)(C)C"],
                   progress=False, largest_fragment=True)
    assert sodium["smiles"].tolist() == [table["smiles"][1], "CN(C)CCc1ccccc1", "C[N+](C)(C)C"]
    assert sodium["logp"][0] == table["logp"][1]
    # an ion given alone is its parent too: the carboxylate and the protonated amine are the compounds above
    alone = score(["CC(C)Cc1ccc(C(C)C(=O)[O-])cc1", "C[NH+](C)CCc1ccccc1"], progress=False, largest_fragment=True)
    assert alone["smiles"].tolist() == sodium["smiles"].tolist()[:2] and alone["logp"][0] == table["logp"][1]


def test_duplicates_by_canonical_smiles_are_scored_once_and_share_rank(monkeypatch):
    calls = []
    original = score_module._describe_chunk
    monkeypatch.setattr(score_module, "_describe_chunk", lambda args: calls.append(len(args[0])) or original(args))
    table = score(INPUTS, progress=False)
    assert sum(calls) == 3  # aspirin (spelled twice), caffeine, azobenzene
    assert table.loc[0, "smiles"] == table.loc[2, "smiles"]
    assert table["duplicate"].tolist()[:3] == [False, False, True]
    assert table.loc[0, "score"] == table.loc[2, "score"] and table.loc[0, "rank"] == table.loc[2, "rank"]


def test_a_salt_written_with_its_metal_bonded_is_scored_as_a_salt():
    ibuprofen = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"
    with pytest.warns(MixturesScoredWhole):
        whole = score([ibuprofen, "CC(C)Cc1ccc(cc1)C(C)C(=O)O[Na]"], progress=False)
    assert whole["fragments"].tolist() == [1, 2]
    parents = score(["CC(C)Cc1ccc(cc1)C(C)C(=O)O[Na]", ibuprofen], progress=False, largest_fragment=True)
    assert parents["smiles"][0] == parents["smiles"][1] and parents["duplicate"].tolist() == [False, True]


def test_a_repeated_molecule_names_the_row_that_first_held_it():
    table = score(["CC(=O)Nc1ccc(O)cc1", "not smiles", "Oc1ccc(NC(C)=O)cc1", "CCO", "CC(=O)Nc1ccc(O)cc1"], progress=False)
    assert table["duplicate"].tolist() == [False, False, True, False, True]
    assert table["duplicate_of"].tolist()[2::2] == [0, 0] and table["duplicate_of"].isna().tolist()[:2] == [True, True]


def test_columns_a_chemist_expects():
    table = score(["CC(=O)Oc1ccccc1C(=O)O", "c1ccc(N=Nc2ccccc2)cc1"], "drug-like", progress=False)
    for column in ["qed", "sa", "logp", "mw", "tpsa", "hbd", "hba", "rotatable_bonds", "rings", "aromatic_rings", "fsp3",
                   "heavy_atoms", "formal_charge", "stereocentres", "nhoh_count", "no_count", "alerts", "alert_names", "lipinski_pass",
                   "lipinski_violations", "veber_pass", "d_qed", "d_sa", "score", "rank", "passes_filters"]:
        assert column in table.columns, column
    assert "pains_a:azo_A(324)" in table.loc[1, "alert_names"] and table.loc[1, "alerts"] >= 1
    assert table["rank"].tolist() in ([1, 2], [2, 1])
    assert table.loc[0, "d_qed"] == table.loc[0, "qed"]


def test_score_is_the_weighted_geometric_mean_of_desirabilities():
    table = score(["CCOc1ccc(CC(=O)N)cc1"], "drug-like", progress=False)
    profile = load_profile("drug-like")
    d = np.array([table.loc[0, f"d_{c.property}"] for c in profile.components])
    w = np.array([c.weight for c in profile.components])
    assert table.loc[0, "score"] == pytest.approx(np.exp((w * np.log(d)).sum() / w.sum()))


def test_mols_series_and_dataframes_are_accepted():
    mols = [Chem.MolFromSmiles("CCO"), Chem.MolFromSmiles("c1ccccc1O")]
    from_mols = score(mols, progress=False)
    assert from_mols["valid"].all() and from_mols["input"].tolist() == ["CCO", "Oc1ccccc1"]
    frame = pd.DataFrame({"compound": ["a", "b", "c"], "SMILES": ["CCO", "bad(", "CCN"], "pIC50": [5.0, 6.0, 7.0]})
    table = score(frame, progress=False)
    assert table["compound"].tolist() == ["a", "b", "c"] and table["pIC50"].tolist() == [5.0, 6.0, 7.0]
    assert table["valid"].tolist() == [True, False, True]
    assert score(pd.Series(["CCO"]), progress=False)["valid"].tolist() == [True]


def test_a_callers_column_renamed_never_meets_another_of_its_columns():
    table = score(pd.DataFrame({"smiles": ["CCO"], "rank": [7], "input_rank": [8]}), progress=False)
    assert table.columns.is_unique
    assert table["input_rank"].tolist() == [8] and table["input_input_rank"].tolist() == [7]


def test_callers_columns_named_like_outputs_are_kept_renamed():
    frame = pd.DataFrame({"smiles": ["CCO", "c1ccccc1O"], "qed": [0.1, 0.2], "rank": [7, 8]})
    table = score(frame, progress=False)
    assert table["input_qed"].tolist() == [0.1, 0.2] and table["input_rank"].tolist() == [7, 8]
    assert table["qed"].tolist() != [0.1, 0.2] and table["smiles"].tolist() == ["CCO", "Oc1ccccc1"]
    assert "input_smiles" not in table   # the SMILES column itself is the "input" column


def test_counts_are_integer_columns():
    table = score(["CC(=O)Oc1ccccc1C(=O)O", "bad("], progress=False)
    for column in ("hbd", "hba", "heavy_atoms", "rings", "rotatable_bonds", "formal_charge"):
        assert str(table[column].dtype) == "Int64", column
    assert table["hbd"].tolist()[0] == 1 and table["hbd"].isna().tolist() == [False, True]
    assert table["qed"].dtype.kind == "f"


def test_hard_filters_require_avoid_and_similarity():
    profile = ScoringProfile(
        name="focused", components=[Component("similarity_max", Identity()), Component("qed", Identity())],
        references=["CC(=O)Oc1ccccc1C(=O)O"], require=["c1ccccc1"], avoid=["N=N"], alerts=["pains"],
        hard_filters=["require", "avoid"],
    )
    table = score(["OC(=O)c1ccccc1OC(C)=O", "CCCCO", "c1ccc(N=Nc2ccccc2)cc1"], profile, progress=False)
    assert table["similarity_max"].tolist()[0] == pytest.approx(1.0)
    assert table["failed_filters"].tolist() == ["", "require", "avoid"]
    assert table["score"].tolist()[1:] == [0.0, 0.0] and table["score"][0] > 0
    assert table["rank"].tolist()[0] == 1 and sorted(table["rank"].tolist()[1:]) == [2, 3]  # no tie at score 0
    assert table["missing_required"].tolist()[1] == "c1ccccc1" and table["avoided_present"].tolist()[2] == "N=N"
    # stereo written in a profile's pattern is honoured: the (E)-azobenzene avoided, the Z one passes
    trans = ScoringProfile(name="no-trans", components=[Component("qed", Identity())], avoid=["c/N=N/c"])
    table = score(["c1ccc(/N=N/c2ccccc2)cc1", "c1ccc(/N=N\\c2ccccc2)cc1"], trans, progress=False)
    assert table["avoided_present"].tolist() == ["c/N=N/c", ""]


def test_a_hard_filter_on_an_alert_set_zeroes_only_that_sets_hits_and_a_shared_finding_counts_once(fetched_moses):
    profile = ScoringProfile(name="rings", components=[Component("qed", Identity())],
                             alerts=["pains", "rings", "moses"], hard_filters=["rings"])
    cyclooctyl, quinone, anisole = "c1ccc(C2CCCCCCC2)cc1", "O=C1C=CC(=O)C=C1", "COc1ccccc1"
    table = score([cyclooctyl, quinone, anisole], profile, progress=False)
    # the eight-membered ring is a ring alert (zeroed) and a MOSES one; MOSES's rule (8 or more, macrocycles too)
    # and the medium-ring alert (8 to 11) are different statements, two findings
    assert table["failed_filters"].tolist() == ["rings", "", ""]
    assert table["score"][0] == 0.0 and (table["score"][1:] > 0).all() and table["rank"][0] == 3
    assert "rings:ring of 8 to 11 atoms" in table["alert_names"][0] and "moses:ring of 8 or more atoms" in table["alert_names"][0]
    assert table["alerts"].tolist()[0] == 2
    assert table["alerts"].tolist()[1] == 1  # quinone_A(370) from PAINS and from MOSES's PAINS copy
    pains = score([cyclooctyl, quinone], ScoringProfile(name="p", components=[Component("qed", Identity())],
                                                        alerts=["pains", "rings"], hard_filters=["pains"]), progress=False)
    assert pains["failed_filters"].tolist() == ["", "pains"]


def test_shipped_profiles_rank_a_strained_ring_system_last_but_keep_it():
    table = score(["C1=C2CCC1C2c1ccccc1", "CC(=O)Nc1ccc(O)cc1"], "drug-like", progress=False)
    assert table["failed_filters"].tolist() == ["rings", ""]
    assert table["rank"].tolist() == [2, 1] and table["valid"].all()
    assert "Bredt" in table["alert_names"][0]


def test_shipped_profiles_rank_alerts_lower_and_report_macrocycles_without_striking_them_out():
    rhodanine, imatinib = "O=C1NC(=S)SC1=Cc1ccccc1", "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1"
    lorlatinib, radical = "C[C@@H]1Oc2cc(cnc2N)-c2c(C#N)n(C)nc2CN(C)C(=O)c2ccc(F)cc12", "CC[CH2]"
    table = score([rhodanine, imatinib, lorlatinib, radical], "drug-like", progress=False).set_index("smiles")
    rhodanine, imatinib, lorlatinib, radical = table.index   # canonical
    # a PAINS rhodanine scored above imatinib on QED and its windows alone; not any more: PAINS, Brenk (its ene and
    # its thiocarbonyl, two groups of atoms) and NIH each flag it
    assert table.loc[rhodanine, "alerts"] == 4 and table.loc[imatinib, "alerts"] == 0
    assert "pains_a:ene_rhod_A" in table.loc[rhodanine, "alert_names"]
    found = table.loc[rhodanine, "alerts"]
    assert table.loc[rhodanine, "d_alerts"] == pytest.approx(np.exp(-0.5 * found ** 2)) and table.loc[imatinib, "d_alerts"] == 1
    assert table.loc[rhodanine, "score"] < table.loc[imatinib, "score"]
    # an approved macrocycle is reported, not zeroed as a strained ring; a radical is
    assert "macrocycle" in table.loc[lorlatinib, "alert_names"] and table.loc[lorlatinib, "failed_filters"] == ""
    assert table.loc[lorlatinib, "score"] > 0
    assert table.loc[radical, "failed_filters"] == "radicals" and table.loc[radical, "score"] == 0


def test_pareto_ranking_profile():
    profile = ScoringProfile(name="p", ranking="pareto",
                             components=[Component("qed", Identity()), Component("logp", Gaussian(2.0, 1.0))])
    table = score(["CCO", "CC(=O)Oc1ccccc1C(=O)O", "CCCCCCCCCCCC", "C1CC"], profile, progress=False)
    assert "pareto_front" in table.columns
    assert table["pareto_front"].tolist()[3] == 0 and (table["pareto_front"][:3] >= 1).all()
    assert sorted(table["rank"].tolist()[:3]) == [1, 2, 3]


def test_parallel_and_serial_give_the_same_table(sample_smiles, monkeypatch):
    monkeypatch.setattr(score_module, "MIN_PARALLEL", 0)
    monkeypatch.setattr(score_module, "CHUNK", 60)
    smiles = sample_smiles[:200] + ["C1CC", sample_smiles[0]]
    serial = score(smiles, n_jobs=1, progress=False)
    parallel = score(smiles, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(serial, parallel)


def test_empty_input_gives_an_empty_table():
    table = score([], progress=False)
    assert len(table) == 0 and "score" in table.columns


def test_the_columns_do_not_depend_on_the_data():
    """A chunk of invalid molecules has the columns of a valid one (a script reads table["qed"] either way);
    one SMILES is one row, not one per character."""
    columns = list(score(["CCO"], progress=False).columns)
    assert list(score(["C1CC"], progress=False).columns) == columns == list(score([], progress=False).columns)
    assert "qed" in columns and "lipinski_pass" in columns
    single = score("CCO", progress=False)
    assert single["smiles"].tolist() == ["CCO"]


def test_an_aromatic_ring_written_in_kekule_form_matches_as_the_chemist_drew_it():
    from molgen.scoring.similarity import substructure_query

    indole = Chem.MolFromSmiles("Cc1ccc2[nH]ccc2c1")
    for text in ("C1=CC=C2C(=C1)C=CN2", "c1ccc2[nH]ccc2c1", "C1=CC=CC=C1"):
        assert indole.HasSubstructMatch(substructure_query(text)), text
    # SMARTS stays SMARTS: an aliphatic pattern does not match the aromatic ring
    assert not indole.HasSubstructMatch(substructure_query("C1CCCCC1"))
    assert not Chem.MolFromSmiles("O=c1cccc[nH]1").HasSubstructMatch(substructure_query("[#6]=[#7]"))
    # atomic numbers with aromatic bonds are SMARTS, though RDKit's SMILES parser reads them too (as radicals,
    # which matched no benzene)
    assert indole.HasSubstructMatch(substructure_query("[#6]1:[#6]:[#6]:[#6]:[#6]:[#6]:1"))
    assert indole.HasSubstructMatch(substructure_query("[#6]1:[#6]:[#6](-*):[#6]:[#6]:[#6]:1"))
    # a Kekulé ring with an atomic number in it reads as SMILES still: [#7] is pyridine's N either way
    assert Chem.MolFromSmiles("Cc1ccncc1").HasSubstructMatch(substructure_query("C1=CC=C[#7]=C1"))
    assert Chem.MolFromSmiles("Nc1ccccc1").HasSubstructMatch(substructure_query("C1=CC=CC=C1[#7H2]"))
    profile = ScoringProfile(name="avoid", components=[Component("qed", Identity())], avoid=["C1=CC=CC=C1"],
                             hard_filters=["avoid"])
    assert score(["Cc1ccccc1", "CC1CCCCC1"], profile, progress=False)["failed_filters"].tolist() == ["avoid", ""]


def test_a_finding_two_sets_report_is_one_finding_named_with_both_sets():
    from molgen.scoring.alerts import count_findings, describe_findings, group_findings

    hits = ["pains_a:quinone_A(370)", "brenk:chinone_1", "moses:quinone_A(370)", "rings:ring of 8 or more atoms"]
    assert group_findings(hits) == [("quinone_A(370)", ["pains_a", "moses"]), ("chinone_1", ["brenk"]),
                                    ("ring of 8 or more atoms", ["rings"])]
    assert count_findings(hits) == 3
    # Brenk's German name says what it matches (a review: unexplained)
    assert describe_findings(hits) == ("quinone A(370) (pains_a, moses); chinone 1 [a para-quinone, quinone imine or "
                                       "diimine on a ring not fused to an aromatic ring (p-benzoquinone, NAPQI), "
                                       "Brenk's name from the German Chinon] (brenk); ring of 8 or more atoms (rings)")
    assert count_findings([]) == 0 and describe_findings([]) == ""
    # a hydrazide's N-N is Brenk's "Oxygen-nitrogen single bond": the name alone reads as a mislabel
    assert describe_findings(["brenk:Oxygen-nitrogen_single_bond"]) == \
        "Oxygen-nitrogen single bond [N-N, N-O or O-O single bond, neither atom in a ring] (brenk)"


@pytest.mark.parametrize("how", ["a script without a main guard", "a script piped in on stdin"])
def test_a_script_whose_workers_cannot_start_is_scored_in_process_with_a_warning(how, tmp_path):
    """Spawned workers import the script that started them: without `if __name__ == "__main__":` they die as they
    start, and multiprocessing.Pool replaced them for ever (the script hung). Now the work finishes here, and says why.
    A script file's top level is seen before any worker starts (a review: each worker ran it again first, a generate
    above the call once per worker); one piped in has no file to read, and its workers die as before."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text("print('top level')\nimport molgen.scoring.pipeline as p\np.MIN_PARALLEL = 2\n"
                      "from molgen.scoring import score\n"
                      "table = score(['CCO', 'c1ccccc1O', 'xyz'] * 3, n_jobs=2, progress=False)\n"
                      "print('rows', len(table), int(table['valid'].sum()))\n")
    args, stdin = ([sys.executable, str(script)], None) if how.endswith("guard") else ([sys.executable, "-"], script.read_text())
    done = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "rows 9 6"
    if how.endswith("guard"):
        assert "from its top level (its line 5), not under `if __name__ == \"__main__\":`" in done.stderr
        assert done.stdout.count("top level") == 1 and "Traceback" not in done.stderr   # no worker ran it again
    else:
        assert "needs its code under `if __name__ == \"__main__\":`" in done.stderr


def test_a_script_scoring_at_its_top_level_still_runs_its_own_spawned_pool(tmp_path):
    """From a code review: a spawned child importing a script that scores with one worker at its top level (the
    script's own spawn pool below its guard) was ended too, and the pool hung replacing its workers."""
    import subprocess
    import sys

    script = tmp_path / "partly_guarded.py"
    script.write_text("from multiprocessing import get_context\nfrom molgen.scoring import score\n"
                      "table = score(['CCO', 'c1ccccc1O'], n_jobs=1, progress=False)\n"
                      "if __name__ == '__main__':\n    with get_context('spawn').Pool(2) as pool:\n"
                      "        print('pool', pool.map(abs, [-1, -2, -3]))\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "pool [1, 2, 3]", done.stderr


def test_rdkit_molecules_given_directly_are_checked_as_strings_are():
    """One broken molecule is its row's reason, not the batch's end; AddHs hydrogens are not atoms to score."""
    broken = Chem.MolFromSmiles("C(F)(F)(F)(F)F", sanitize=False)
    table = score([broken, Chem.Mol(), "CCO", Chem.AddHs(Chem.MolFromSmiles("CCO"))], progress=False)
    assert table["valid"].tolist() == [False, False, True, True]
    assert table.loc[0, "reason"].startswith("valence: ") and table.loc[1, "reason"].startswith("empty")
    assert table.loc[3, "smiles"] == "CCO" and table.loc[3, "duplicate"]
    assert table.loc[3, "sa"] == table.loc[2, "sa"] and table.loc[3, "qed"] == table.loc[2, "qed"]


def test_an_isotope_labelled_molecule_is_described_unlabelled_but_weighed_as_written():
    from molgen.scoring.properties import compute_properties

    plain = compute_properties(Chem.MolFromSmiles("COc1ccccc1CCN"))
    deuterated = compute_properties(Chem.MolFromSmiles("[2H]C([2H])([2H])Oc1ccccc1CCN"))
    assert deuterated["mw"] == pytest.approx(plain["mw"] + 3 * 1.006, abs=0.01)
    for name in ("sa", "qed", "logp", "tpsa", "heavy_atoms", "atoms", "rotatable_bonds"):
        assert deuterated[name] == plain[name], name


def test_a_labelled_molecules_alerts_similarity_and_substructures_are_its_parents():
    # O-D holds no [OH]: hydroquinone's deuterated form lost an alert and outranked its parent; a CD3 read 0.72 to itself
    table = score(["Oc1ccc(O)cc1", "[2H]Oc1ccc(O[2H])cc1"], progress=False)
    assert table["alert_names"][0] == table["alert_names"][1] and table["alerts"][0] == table["alerts"][1] == 2
    profile = ScoringProfile.from_dict({**load_profile("drug-like").to_dict(), "references": ["CC(=O)Nc1ccc(O)cc1"],
                                        "require": ["[OH]"], "avoid": ["[2H]"]})
    labelled = score(["[2H]C([2H])([2H])C(=O)Nc1ccc(O)cc1", "CC(=O)Nc1ccc(O[2H])cc1", "CC(=O)Nc1ccc(O)cc1"],
                     profile, progress=False)
    assert labelled["similarity_max"].tolist() == [1.0, 1.0, 1.0]
    assert labelled["missing_required"].tolist() == ["", "", ""]
    # a pattern that names an isotope still reads the label, however the SMARTS names it
    assert labelled["avoided_present"].tolist() == ["[2H]", "[2H]", ""]
    named = ScoringProfile.from_dict({**load_profile("drug-like").to_dict(), "avoid": ["[#6;13*]", "[$([2H])]"],
                                      "require": ["[#1;2*]"], "references": ["[2H]C([2H])([2H])Oc1ccccc1"]})
    table = score(["[2H]C([2H])([2H])Oc1ccccc1", "[13CH3]Oc1ccccc1", "COc1ccccc1"], named, progress=False)
    assert table["avoided_present"].tolist() == ["[$([2H])]", "[#6;13*]", ""]
    assert table["missing_required"].tolist() == ["", "[#1;2*]", "[#1;2*]"]
    assert table["similarity_max"].tolist() == [1.0, 1.0, 1.0]   # a labelled reference is its parent too
    # a deuterium that alone set a double bond's geometry leaves none: =CHD's parent is styrene
    styrene = score(["[2H]/C=C/c1ccccc1", "C=Cc1ccccc1"], progress=False)
    assert styrene["sa"][0] == styrene["sa"][1] and styrene["qed"][0] == styrene["qed"][1]


def test_substructure_atoms_say_where_a_kept_scaffold_lies_stereo_honoured():
    from molgen.scoring.similarity import substructure_atoms, substructure_query

    alanine = substructure_query("C[C@H](N)C(=O)O")
    assert substructure_atoms(Chem.MolFromSmiles("C[C@H](N)C(=O)OC"), alanine) == (0, 1, 2, 3, 4, 5)
    assert substructure_atoms(Chem.MolFromSmiles("C[C@@H](N)C(=O)OC"), alanine) == ()   # the other configuration
    assert substructure_atoms(Chem.MolFromSmiles("CC(N)C(=O)OC"), alanine) == (0, 1, 2, 3, 4, 5)   # unassigned
    assert substructure_atoms(Chem.MolFromSmiles("CCOc1ccccc1"), substructure_query("c1ccccc1")) == (3, 4, 5, 6, 7, 8)


def test_two_catalogs_agreeing_count_apart_however_they_spell_the_alert():
    """From a review: benzaldehyde (Brenk's and NIH's "aldehyde") counted one alert, acetyl chloride (Brenk's
    acid_halide, NIH's carbonyl_halide) two: a catalog's spelling decided how much an agreement cost."""
    table = score(["O=Cc1ccccc1", "CC(=O)Cl", "CSSC"], "drug-like", progress=False).set_index("smiles")
    assert table["alerts"].to_dict() == {"O=Cc1ccccc1": 2, "CC(=O)Cl": 2, "CSSC": 2}
    assert table.loc["O=Cc1ccccc1", "d_alerts"] == table.loc["CC(=O)Cl", "d_alerts"]
    from molgen.scoring.alerts import group_findings

    # one pattern reported by two sets holding it (moses carries PAINS) is still one
    assert group_findings(["pains_a:ene_five_het_A(201)", "moses:ene_five_het_A(201)", "brenk:aldehyde",
                           "nih:aldehyde"]) == [("ene_five_het_A(201)", ["pains_a", "moses"]), ("aldehyde", ["brenk"]),
                                                ("aldehyde", ["nih"])]


def test_one_catalog_naming_one_group_of_atoms_twice_counts_it_once():
    """From a chemist's review: canertinib's acrylamide warhead was three alerts (Brenk's Michael acceptor, NIH's
    acrylate and NIH's halo_acrylate, which RDKit's pattern raises without a halogen), a p-quinone four."""
    from rdkit import Chem

    from molgen.scoring.alerts import alert_atoms, count_findings, describe_findings, find_alerts

    sets = ["pains", "brenk", "nih"]
    for smiles, by_name, by_site in [("C=CC(=O)Nc1ccccc1", 3, 2), ("O=C1C=CC(=O)C=C1", 4, 3),
                                     ("O=Cc1ccc(C=O)cc1", 2, 2), ("C=CC(=O)NCCCCN1CCOCC1", 4, 3)]:
        mol = Chem.MolFromSmiles(smiles)
        hits, atoms = find_alerts(mol, sets), alert_atoms(mol, sets)
        assert (count_findings(hits), count_findings(hits, atoms)) == (by_name, by_site), smiles
    mol = Chem.MolFromSmiles("C=CC(=O)Nc1ccccc1")
    said = describe_findings(find_alerts(mol, sets), alert_atoms(mol, sets))
    assert "acrylate / halo acrylate [a terminal C=C beside a carbonyl, halogenated or not" in said
    table = score(["C=CC(=O)Nc1ccccc1", "O=C1C=CC(=O)C=C1"], "drug-like", progress=False)
    assert table.set_index("smiles")["alerts"].to_dict() == {"C=CC(=O)Nc1ccccc1": 2, "O=C1C=CC(=O)C=C1": 3}


def test_a_profile_accepts_the_alerts_a_series_owns_and_score_says_which_are_everywhere(tmp_path, monkeypatch):
    """From a chemist's review: Brenk's Aliphatic_long_chain flags every 3-carbon amine linker of an EGFR series
    (gefitinib ranked 23rd of 34 in its own series) and nothing said a profile could accept it."""
    from typer.testing import CliRunner

    from molgen import cli
    from molgen.scoring.profiles import ProfileError, ScoringProfile, load_profile

    drug_like = load_profile("drug-like").to_dict()
    gefitinib = "COc1cc2ncnc(Nc3ccc(F)c(Cl)c3)c2cc1OCCCN1CCOCC1"
    before = score([gefitinib], "drug-like", progress=False).iloc[0]
    assert "brenk:Aliphatic_long_chain" in before["alert_names"] and before["alerts"] == 1
    accepting = ScoringProfile.from_dict({**drug_like, "ignore_alerts": ["Aliphatic_long_chain"]})
    after = score([gefitinib], accepting, progress=False).iloc[0]
    assert after["alerts"] == 0 and "Aliphatic_long_chain" not in after["alert_names"] and after["score"] > before["score"]
    assert ScoringProfile.from_dict(accepting.to_dict()).ignore_alerts == ["Aliphatic_long_chain"]   # round trip
    with pytest.raises(ProfileError, match="did you mean 'brenk:Aliphatic_long_chain'"):
        ScoringProfile.from_dict({**drug_like, "ignore_alerts": ["brenk:Aliphatic_long_chian"]})
    series = tmp_path / "series.smi"
    series.write_text("\n".join([gefitinib, "COc1cc2ncnc(Nc3cccc(Br)c3)c2cc1OCCCN1CCCC1",
                                 "COc1cc2ncnc(Nc3cccc(C#C)c3)c2cc1OCCCN(C)C", "COc1cc2ncnc(Nc3ccccc3)c2cc1OCCCN1CCOCC1",
                                 "COc1cc2ncnc(Nc3ccc(F)cc3)c2cc1OCCCN1CCN(C)CC1", "c1ccc2ncncc2c1"]) + "\n")
    monkeypatch.setattr(cli.console, "_width", 400)
    result = CliRunner().invoke(cli.app, ["score", str(series), "-o", str(tmp_path / "out.csv"), "--jobs", "1"])
    said = " ".join(result.output.split())
    # the name says less than it matches: the note says what it matches (a review: unexplained outside the app)
    assert result.exit_code == 0 and ("brenk:Aliphatic_long_chain (four or more unbranched non-ring atoms in a row, "
                                      "any element) is raised by 5 of the 6 valid molecules") in said
    assert 'ignore_alerts = ["brenk:Aliphatic_long_chain"]' in said
    assert "what some alert names match: Aliphatic_long_chain: four or more unbranched" in said
    manifest = json.loads((tmp_path / "out.csv.manifest.json").read_text())
    assert manifest["alert_names_explained"] == {"Aliphatic_long_chain": "four or more unbranched non-ring atoms in a "
                                                                          "row, any element"}


def test_a_chain_of_any_atoms_is_never_one_site_with_the_group_it_runs_through():
    """Brenk's long chain runs through a peroxide's O-O: merged, diethyl peroxide counted as one alert, as hexanol."""
    table = score(["CCOOCC", "CCCCCCO", "CCCCOOCCCC"], "drug-like", progress=False).set_index("smiles")["alerts"]
    # the chain; Brenk's peroxide with its O-O "Oxygen-nitrogen single bond" (one site of one catalog); NIH's peroxide
    assert table["CCCCCCO"] == 1 and table["CCOOCC"] == 3 and table["CCCCOOCCCC"] == 3


def test_an_alert_two_sets_raise_is_suggested_by_its_bare_name():
    import pandas as pd

    from molgen.runs.notes import common_alert_notes

    names = pd.Series(["brenk:aldehyde; nih:aldehyde"] * 5 + ["brenk:Aliphatic_long_chain"] * 5)
    said = " ".join(common_alert_notes(names))
    assert 'ignore_alerts = ["aldehyde"]' in said and 'ignore_alerts = ["brenk:Aliphatic_long_chain"]' in said
    assert "--profile's TOML" in said
    # on a workbench page, what to do is named as its controls, not as a command
    on_page = " ".join(common_alert_notes(names, on_page=True))
    assert "edited on Generate" in on_page and "--profile" not in on_page
    # a tiny model's lone atoms: accepting "no carbon atom" would lift a hard filter, and it is no series' own group
    lone = pd.Series(["inorganic:no carbon atom"] * 5 + ["radicals:radical"] * 5 + [""])
    said = " ".join(common_alert_notes(lone, generated=True))
    assert "ignore_alerts" not in said and said.count("no series' own group") == 2
    scored = " ".join(common_alert_notes(lone))   # a scored file: no model wrote it, and the filter still stands
    assert "train it longer" not in scored and "ignore_alerts" not in scored and "no drug candidates" in scored


def test_a_runs_copies_note_names_the_pages_controls_on_a_page():
    import pandas as pd

    from molgen.runs.notes import training_data_notes

    record = {"name": "r", "counts": {"unique": 10, "novel": 7}, "model_training": {"data": "moses-sample"}}
    stored = pd.DataFrame({"smiles": ["CCO"] * 10, "novel": [False] * 3 + [True] * 7, "rank": range(1, 11)})
    said = " ".join(training_data_notes(record, lambda: stored))
    assert "3 of the 10 unique molecules are in the model's training data (moses-sample)" in said
    assert "`molgen export r --where 'novel == True' -o new.csv` leaves them out" in said
    on_page = " ".join(training_data_notes(record, lambda: stored, on_page=True))
    assert "Browse's \"Novel only\" or Export's filter novel == True leaves them out" in on_page
    assert "molgen export" not in on_page


def test_a_profile_refuses_a_quoted_number_a_missing_parameter_and_a_second_component_on_one_property():
    """From a scoring review: low = "200" crashed in scoring with a traceback, weight = "0.5" and lipinski = true were
    taken silently, a missing low named the class's positional argument, and two qed components left one d_qed
    column that did not add up to the score."""
    from molgen.scoring.profiles import ProfileError, ScoringProfile

    def refused(components, **extra) -> str:
        with pytest.raises(ProfileError) as error:
            ScoringProfile.from_dict({"name": "t", "components": components, **extra}, source="t.toml")
        return str(error.value)

    said = refused([{"property": "mw", "transform": "double_sigmoid", "low": "200", "high": 500}])
    assert "components[1] (mw): transform 'double_sigmoid': low = '200' is not a number (write it without quotes)" \
        in said
    assert "transform 'reverse_sigmoid' needs 'low'" in refused([{"property": "mw", "transform": "reverse_sigmoid",
                                                                   "high": 500}])
    assert "components[1].weight: '0.5' is not a number" in refused([{"property": "qed", "weight": "0.5"}])
    assert "rules.lipinski: allowed violations must be a whole number >= 0, got True" in refused(
        [{"property": "qed"}], rules={"lipinski": True})
    assert "components[2]: qed is scored by components[1] already" in refused(
        [{"property": "qed"}, {"property": "qed", "transform": "sigmoid", "low": 0.3, "high": 0.7}])


def test_a_rule_violation_reads_its_value_without_an_exponent():
    from molgen.scoring.properties import missed_value

    assert missed_value(1202.6, None, 500) == "1203" and missed_value(350.399, None, 350) == "350.4"
    assert missed_value(999.7, None, 500) == "1000" and missed_value(3e-05, 0.5, None) == "0.00003"
    assert missed_value(1e15, None, 500) == "1000000000000000" and missed_value(5.5, None, 5) == "5.5"
    assert missed_value(123456789012.5, None, 123456789012.4) == "123456789012.5"   # as many figures as it takes


def test_smarts_only_syntax_is_told_from_a_slip_in_a_smiles():
    from molgen.scoring.similarity import written_as_smarts

    for meant in ("[N;H2]c1ccccc1", "[#6]1:[#6]:[#6]:1", "[R]", "[c;R]", "[D3]", "C@C", "C-,=C", "[!#1]"):
        assert written_as_smarts(meant), meant
    # SMILES, however written: chirality, [nH], bromine, an attachment point
    for smiles in ("c1ccc2ncnc2c1", "C[C@H](N)O", "[nH]1cccc1", "[Br]c1ccccc1", "[Ar]", "c1ccccc1[*:1]", "[NH3+]C"):
        assert not written_as_smarts(smiles), smiles


def test_a_stored_profile_a_new_check_refuses_says_which_run_and_what_to_do():
    from molgen.scoring.profiles import ProfileError, stored_profile

    older = {"name": "mine", "components": [{"property": "qed"}, {"property": "qed", "weight": 2.0}]}
    with pytest.raises(ProfileError, match=r"the profile stored with run r1 is refused by a check added since it ran"):
        stored_profile(older, "run r1")


def test_a_fine_tuned_runs_series_note_counts_ranked_molecules_only(tmp_path):
    """From a review: the note counted molecules missing a condition (rank 0, stored unranked) as ranked, and
    ranked them first among "the best 50"."""
    import pandas as pd

    from molgen.runs.notes import training_data_notes

    series = tmp_path / "series.smi"
    series.write_text("c1ccc2[nH]ccc2c1CCN\nc1ccc2[nH]ccc2c1CCO\nc1ccc2[nH]ccc2c1CCC\n")
    record = {"name": "r", "counts": {"unique": 4, "novel": 4},
              "model_training": {"data": str(series), "started_from": [{"data": "moses"}]}}
    # two unranked molecules on the series' scaffold, two ranked ones off it
    stored = pd.DataFrame({"smiles": ["c1ccc2[nH]ccc2c1CCCl", "c1ccc2[nH]ccc2c1CCBr", "c1ccncc1CC", "c1ccncc1CCC"],
                           "novel": [True] * 4, "rank": [0, 0, 1, 2]})
    said = " ".join(training_data_notes(record, lambda: stored))
    assert "0 of the 2 ranked molecules keep a whole Murcko scaffold of series.smi, 0 of the best 2" in said
    assert "; 0 hold its ring system c1ccc2[nH]ccc2c1" in said
    stored["rank"] = 0   # nothing ranked: no "0 of the 0 ranked molecules"
    assert "ranked molecules" not in " ".join(training_data_notes(record, lambda: stored))


def test_racemic_cis_and_trans_are_two_molecules_not_a_duplicate(tmp_path):
    """A review: rac-cis and rac-trans (|&1:1,3|) were read unassigned, one scored as the other's duplicate. Each is
    named by its canonical CXSMILES, the stereo group kept; the reader says what a SMILES cannot hold."""
    from molgen.data.files import read_molecules, reading_notes

    trans, cis = "N[C@@H]1C[C@H]1c1ccccc1 |&1:1,3|", "N[C@@H]1C[C@@H]1c1ccccc1 |&1:1,3|"
    scored = score([trans, cis, "N[C@H]1C[C@@H]1c1ccccc1 |&1:1,3|"], n_jobs=1)   # the third: trans drawn mirrored
    assert scored["smiles"].tolist()[:2] == ["N[C@@H]1C[C@H]1c1ccccc1 |&1:1,3|", "N[C@@H]1C[C@@H]1c1ccccc1 |&1:1,3|"]
    assert scored["duplicate"].tolist() == [False, False, True] and scored["duplicate_of"].iloc[2] == 0
    parents = score([trans, "Cl." + cis.replace(" |&1:1,3|", " |&1:2,4|")], n_jobs=1, largest_fragment=True)
    assert parents["smiles"].tolist() == ["N[C@@H]1C[C@H]1c1ccccc1 |&1:1,3|", "N[C@@H]1C[C@@H]1c1ccccc1 |&1:1,3|"]
    path = tmp_path / "rac.smi"
    path.write_text(f"{trans} trans\n{cis} cis\nC[C@H](N)C(=O)O |&1:1| alanine\n")
    notes = reading_notes(read_molecules(path))
    assert any(note.startswith("2 rows give a relative configuration between stereocentres") and "lines 1, 2)" in note
               for note in notes)


def test_a_racemate_written_to_sdf_or_given_as_a_molecule_stays_a_racemate(tmp_path):
    """A review: a racemate scored to SDF was read back as one enantiomer (plain SMILES of its molblock), and an RDKit
    molecule carrying rac-cis was scored as its enantiomer."""
    from rdkit import Chem

    from molgen.data.files import read_molecules, write_molecules

    cis = "N[C@@H]1C[C@@H]1c1ccccc1 |&1:1,3|"
    scored = score([cis, "N[C@@H]1C[C@@H]1c1ccccc1"], n_jobs=1)   # the racemate, and one enantiomer
    write_molecules(scored, tmp_path / "s.sdf")
    again = read_molecules(tmp_path / "s.sdf")["smiles"].tolist()
    assert again == [scored["smiles"].iloc[0], "N[C@@H]1C[C@@H]1c1ccccc1"] and again[0].endswith("|&1:1,3|")
    given = score([Chem.MolFromSmiles(cis)], n_jobs=1)
    assert given["smiles"].iloc[0] == scored["smiles"].iloc[0]


def test_alert_atoms_for_a_drawing_of_a_deuterated_molecule_are_its_own():
    """A review: alert atoms found on a deuterated molecule's unlabelled parent were drawn by the parent's numbering
    on the labelled molecule, lighting two ring carbons for an azo group."""
    from rdkit import Chem

    from molgen.scoring.pipeline import drawn_alert_atoms

    mol = Chem.MolFromSmiles("[2H]C([2H])([2H])c1ccc(N=Nc2ccccc2O)cc1")
    hits = drawn_alert_atoms(mol, ["brenk"])
    azo = next(atoms for hit, atoms in hits.items() if "azo" in hit.lower())
    assert sorted(mol.GetAtomWithIdx(i).GetSymbol() for i in azo) == ["N", "N"]
    plain = Chem.MolFromSmiles("Cc1ccc(N=Nc2ccccc2O)cc1")
    assert drawn_alert_atoms(plain, ["brenk"]).keys() == hits.keys()


def test_a_frames_own_index_is_the_tables(tmp_path):
    """A review: score() numbered its rows from 0, so `df["score"] = score(df)["score"]` on a sorted or filtered
    frame put each score on another molecule."""
    import pandas as pd

    frame = pd.DataFrame({"SMILES": ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCO"]}, index=[30, 20, 10, 0])
    table = score(frame, n_jobs=1, progress=False)
    assert table.index.tolist() == [30, 20, 10, 0]
    frame["canonical"] = table["smiles"]
    assert frame["canonical"].tolist() == ["CCO", "Oc1ccccc1", "CC(=O)Nc1ccc(O)cc1", "CCO"]
    assert table["duplicate_of"].tolist()[3] == 0   # a position, as documented: the first row
    series = pd.Series(["CCN", "CCC"], index=["a", "b"])
    assert score(series, n_jobs=1, progress=False).index.tolist() == ["a", "b"]
    assert score(["CCN", "CCC"], n_jobs=1, progress=False).index.tolist() == [0, 1]


def test_a_repeated_index_is_numbered_and_a_repeated_smiles_column_refused():
    """A review of the kept index: a frame whose index repeats (pd.concat without ignore_index) broke the picks and
    clusters drawn from its table; two columns named smiles scored the header's text."""
    import pandas as pd

    from molgen.scoring.select import add_clusters

    frame = pd.DataFrame({"smiles": ["CCO", "c1ccccc1O", "CCN", "CCCC"]}, index=[0, 0, 1, 1])
    with pytest.warns(UserWarning, match="repeats labels"):
        table = score(frame, n_jobs=1, progress=False)
    assert table.index.tolist() == [0, 1, 2, 3]
    assert len(add_clusters(table)) == 4
    with pytest.raises(ValueError, match="2 columns named 'smiles'"):
        score(pd.DataFrame([["CCO", "CCN"]], columns=["smiles", "smiles"]), n_jobs=1, progress=False)


def test_a_guard_inside_a_try_and_a_streamlit_page_are_no_unguarded_script(tmp_path, monkeypatch):
    """A review: a guard nested in a top-level try was judged missing (the work ran on one core, warned); a Streamlit
    page's workers would run the app and the page again."""
    import subprocess
    import sys

    from streamlit.testing.v1 import AppTest

    script = tmp_path / "nested.py"
    script.write_text("from molgen.parallel import unguarded_script_line\ntry:\n    if __name__ == '__main__':\n"
                      "        print('line', unguarded_script_line())\nexcept KeyboardInterrupt:\n    pass\n"
                      "print('top', unguarded_script_line())\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.stdout.split("\n")[:2] == ["line None", "top 7"], done.stderr
    # a Streamlit page: Streamlit's own __main__ is the app, which a spawned worker would run again (the page too):
    # the work is done in the page's process, without a word of advice about guards that a page cannot take
    page = tmp_path / "page.py"
    # set here, not by the page: AppTest runs it in this process, and a page's assignment outlived the test (every
    # later score of this pytest worker started a pool)
    monkeypatch.setattr(score_module, "MIN_PARALLEL", 2)
    page.write_text("import warnings\nimport streamlit as st\nimport molgen.scoring.pipeline as p\n"
                    "from molgen.parallel import in_a_streamlit_script\n"
                    "with warnings.catch_warnings(record=True) as said:\n    warnings.simplefilter('always')\n"
                    "    table = p.score(['CC(=O)Oc1ccccc1C(=O)O', 'CC(=O)Nc1ccc(O)cc1'] * 3, n_jobs=2, progress=False)\n"
                    "st.write(f'{in_a_streamlit_script()} {len(table)} {len(said)}')\n")
    at = AppTest.from_file(str(page), default_timeout=60).run()
    assert not at.exception and at.markdown[0].value == "True 6 0"
    assert "False" in subprocess.run([sys.executable, "-c", "import streamlit\nfrom molgen.parallel import "
                                      "in_a_streamlit_script\nprint(in_a_streamlit_script())"],
                                     capture_output=True, text=True, timeout=120).stdout


def test_a_window_no_molecule_comes_near_is_said():
    """A review swapped the MW and logP windows: every MW desirability was 7e-218 and the scores ranked by tails."""
    from molgen.scoring.desirability import DoubleSigmoid
    from molgen.scoring.pipeline import WindowOutOfReach

    swapped = ScoringProfile(name="swapped", components=[Component("qed", Identity()),
                                                         Component("mw", DoubleSigmoid(low=-0.4, high=5.6, width=1.0))])
    with pytest.warns(WindowOutOfReach, match=r"no molecule comes near mw's double_sigmoid window \(low = -0.4, high = "
                      r"5.6, width = 1\): d_mw is below 0.01 for all 3 molecules \(their mw from 46.069 to 180.159\)"):
        score(["CCO", "CC(=O)Oc1ccccc1C(=O)O", "c1ccccc1"], swapped, n_jobs=1, progress=False)
    # the bound said holds for every score (a review: "near 0" was said of scores of 0.10 to 0.30); a step window
    # none reaches is 0 for all, and no ranking is said to follow its distance
    from molgen.scoring.desirability import Step

    with pytest.warns(WindowOutOfReach) as said:
        scored = score(["CCO", "CC(=O)Oc1ccccc1C(=O)O", "c1ccccc1"], swapped, n_jobs=1, progress=False)
    bound = float(re.search(r"every score is at most ([\d.e+-]+) \(d_mw to the power of its 50% share",
                            str(said[0].message)).group(1))
    assert (scored["score"] <= bound).all() and "more than the other properties" in str(said[0].message)
    stepped = ScoringProfile(name="s", components=[Component("qed", Identity()), Component("mw", Step(low=900))])
    with pytest.warns(WindowOutOfReach) as said:
        score(["CCO", "c1ccccc1"], stepped, n_jobs=1, progress=False)
    assert "so every score is 0: a profile for other molecules" in str(said[0].message)
    # a bound below the smallest normal float (a Gaussian 38 widths away) crashed the rounding, and with it the run
    from molgen.scoring.desirability import Gaussian as Bell
    from molgen.scoring.pipeline import _rounded_up, windows_said_elsewhere

    with windows_said_elsewhere():
        score(["CCO", "CO"], ScoringProfile(name="far", components=[Component("mw", Bell(target=431.556, width=10.0))]),
              n_jobs=1, progress=False)
    assert [_rounded_up(v) for v in (0.0954, 2e-10, 5e-324, 1.0, 0.0999)] == ["0.096", "2e-10", "5e-324", "1", "0.1"]
    # an arithmetic mean is lowered alike, not pulled to 0; a weight of 0 changes no score: nothing said of it
    arithmetic = ScoringProfile(name="a", aggregation="arithmetic", components=swapped.components)
    with pytest.warns(WindowOutOfReach, match="it lowers every score alike, by its share of the weights"):
        score(["CCO", "c1ccccc1"], arithmetic, n_jobs=1, progress=False)
    pareto = ScoringProfile(name="p", aggregation="arithmetic", ranking="pareto", components=swapped.components)
    with pytest.warns(WindowOutOfReach, match="lowers every score alike, by its share of the weights; its near-zero "
                                              "values still reorder the Pareto fronts"):
        score(["CCO", "c1ccccc1"], pareto, n_jobs=1, progress=False)
    # under Pareto ranking a weight of 0 still counts (the fronts read every component); its tails alone are said
    fronts = ScoringProfile(name="f", ranking="pareto", components=[Component("qed", Identity()), Component(
        "mw", DoubleSigmoid(low=-0.4, high=5.6, width=1.0), weight=0.0)])
    with pytest.warns(WindowOutOfReach, match=r"d_mw is below 0.01 for all 2 molecules \(their mw from 46.069 to "
                                              r"78.114\), so its near-zero values still reorder the Pareto fronts:"):
        score(["CCO", "c1ccccc1"], fronts, n_jobs=1, progress=False)
    idle = ScoringProfile(name="w0", components=[Component("qed", Identity()), Component(
        "mw", DoubleSigmoid(low=-0.4, high=5.6, width=1.0), weight=0.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", WindowOutOfReach)
        score(["CCO", "c1ccccc1"], idle, n_jobs=1, progress=False)
    with warnings.catch_warnings():   # a window the molecules reach: nothing said
        warnings.simplefilter("error", WindowOutOfReach)
        score(["CCO", "CC(=O)Oc1ccccc1C(=O)O"], "drug-like", n_jobs=1, progress=False)


def test_a_record_the_reader_could_not_read_says_why_when_scored_from_python(tmp_path):
    """A review: score(read_molecules("bad.sdf")) gave "expected a SMILES string, got NoneType" where the command
    line says the record names an unknown element."""
    from molgen.data import read_molecules

    good = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO"))
    bad = good.replace(" O  ", " Xx ")
    path = tmp_path / "two.sdf"
    path.write_text(good + "$$$$\n" + bad + "$$$$\n")
    table = score(read_molecules(path), progress=False)
    assert table["smiles"].tolist()[0] == "CCO" and "unknown element 'Xx'" in table["reason"].tolist()[1]


def test_a_read_error_column_reaches_only_rows_that_did_not_parse_whatever_the_index():
    """A code review: a frame whose index repeats labels crashed, and a user's own read_error column gave valid rows a
    reason."""
    with pytest.warns(UserWarning, match="repeats labels"):
        table = score(pd.DataFrame({"smiles": ["CCO", None, "c1ccccc1"], "read_error": [None, "bad record", None]},
                                   index=[5, 5, 7]), n_jobs=1, progress=False)
    assert table["reason"].tolist()[1] == "bad record" and table["valid"].tolist() == [True, False, True]
    own = score(pd.DataFrame({"smiles": ["CCO", "c1ccccc1"], "read_error": ["", "timeout on assay"]}), progress=False)
    assert own["valid"].all() and not own["reason"].fillna("").astype(bool).any()
