"""Replicate measurements merged into one row per compound, with what was merged and how."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from molgen.augment.replicates import compound_key, merge_replicates
from molgen.cli import app

PROCAINAMIDE = "CCN(CC)CCNC(=O)c1ccc(N)cc1"
PIPERAZINE = "Cc1ccccc1N1CCN(C(=O)c2ccccc2O)CC1"


def _assay() -> tuple[list[str], pd.DataFrame]:
    smiles = [PROCAINAMIDE, PROCAINAMIDE, PROCAINAMIDE + ".Cl", PIPERAZINE, PIPERAZINE,
              "C[C@H](N)c1ccccc1", "C[C@H](N)c1ccccc1", "C[C@@H](N)c1ccccc1", "C1CC", "Oc1ccccc1"]
    columns = pd.DataFrame({"id": ["P-1", "P-1", "P-1a", "Z-2", "Z-2", "R-3", "R-3", "S-4", "X-5", "Y-6"],
                            "pIC50": ["6.1", "6.3", "6.2", "5.0", "7.2", ">8", "8.4", "4.0", "5", "n.d."],
                            "IC50_nM": [794, 501, 631, 10000, 63, None, 4, 100000, 5, None]})
    return smiles, columns


def test_replicates_merge_into_one_row_per_compound_keeping_values_spread_and_disagreement():
    smiles, columns = _assay()
    result = merge_replicates(smiles, columns, ["pIC50"], how="median", max_spread=1.0)
    merged = result.merged.set_index("smiles")
    # the hydrochloride is procainamide's row too (by parent), said in forms; its three values' median
    procainamide = merged.loc[PROCAINAMIDE]
    assert procainamide["n_rows"] == 3 and procainamide["input_rows"] == "1; 2; 3"
    assert procainamide["pIC50"] == pytest.approx(6.2) and procainamide["pIC50_spread"] == pytest.approx(0.2)
    assert procainamide["forms"] == f"{PROCAINAMIDE}; {PROCAINAMIDE}.Cl" and procainamide["id"] == "P-1; P-1a"
    assert not procainamide["pIC50_disagree"]
    # 5.0 and 7.2 for one compound: marked, not averaged away unseen
    assert merged.loc[PIPERAZINE, "pIC50_disagree"] and merged.loc[PIPERAZINE, "pIC50_values"] == "5; 7.2"
    # written as measured: 6.3 - 6.1 is 0.20000000000000018 in binary floating point, 0.2 in the table
    assert float(procainamide["pIC50_spread"]) == 0.2 and float(procainamide["pIC50"]) == 6.2
    # enantiomers stay apart; a qualified value is listed, not averaged
    r = merged.loc["C[C@H](N)c1ccccc1"]
    assert r["pIC50"] == pytest.approx(8.4) and r["pIC50_n"] == 1 and r["pIC50_qualified"] == ">8"
    assert merged.loc["C[C@@H](N)c1ccccc1", "pIC50"] == pytest.approx(4.0)
    # a compound with no number left has no value, and the unreadable row is reported
    assert pd.isna(merged.loc["Oc1ccccc1", "pIC50"]) and merged.loc["Oc1ccccc1", "pIC50_n"] == 0
    assert result.removed["input_row"].tolist() == [9]
    assert result.removed["removed_because"].iloc[0].startswith("invalid: not valid SMILES syntax")
    said = " ".join(result.notes)
    assert "9 readable rows merged into 5 compounds; 3 measured in more than one row, 1 of them written in more " \
           "than one form" in said
    assert "'n.d.'" in said and "1 value written with a qualifier" in said
    assert "pIC50: 1 compound has replicates disagreeing by more than 1, or a qualified value contradicting the rest " \
           "(rows 4, 5)" in said


def test_tautomers_of_one_compound_are_said_by_parent_and_merged_by_tautomer():
    # one pyridone registered twice, once as 2-hydroxypyridine; a salt of it too; enantiomers of a ketone stay apart
    smiles = ["Oc1ccc(Cl)cn1", "O=c1ccc(Cl)c[nH]1", "O=c1ccc(Cl)c[nH]1.Cl", "C[C@H](N)C(=O)c1ccccc1",
              "C[C@@H](N)C(=O)c1ccccc1", "CCO"]
    columns = pd.DataFrame({"pIC50": [6.0, 6.4, 6.2, 7.0, 5.0, 4.0]})
    apart = merge_replicates(smiles, columns, ["pIC50"])
    assert len(apart.merged) == 5
    said = " ".join(apart.notes)
    assert "1 compound is written here as two or more tautomers, kept apart (Oc1ccc(Cl)cn1 and O=c1ccc(Cl)c[nH]1)" \
        in said and "--by tautomer merges them" in said
    merged = merge_replicates(smiles, columns, ["pIC50"], by="tautomer")
    rows = merged.merged.set_index("smiles")
    assert len(rows) == 4 and compound_key("Oc1ccc(Cl)cn1", "tautomer") == compound_key("O=c1ccc(Cl)c[nH]1", "tautomer")
    pyridone = rows.loc[compound_key("Oc1ccc(Cl)cn1", "tautomer")]
    assert pyridone["n_rows"] == 3 and pyridone["pIC50"] == pytest.approx(6.2)
    assert pyridone["forms"] == "Oc1ccc(Cl)cn1; O=c1ccc(Cl)c[nH]1; Cl.O=c1ccc(Cl)c[nH]1"
    assert "written in more than one form (a salt, a charge state, a tautomer: see forms)" in " ".join(merged.notes)
    assert "kept apart" not in " ".join(merged.notes)
    # the enantiomers keep their own rows and values
    assert sorted(rows["pIC50"].dropna().tolist()) == [4.0, 5.0, 6.2, 7.0]
    # the row is a form submitted (the pyridone, twice), not RDKit's canonical tautomer, which may be none of them
    assert "O=c1ccc(Cl)c[nH]1" in rows.index
    oxindole = merge_replicates(["O=C1Cc2ccccc2N1", "O=C1Cc2ccccc2N1", "Oc1cc2ccccc2[nH]1"],
                                pd.DataFrame({"pIC50": [5.0, 5.2, 5.4]}), ["pIC50"], by="tautomer").merged
    assert oxindole["smiles"].tolist() == ["O=C1Cc2ccccc2N1"] and oxindole["n_rows"].tolist() == [3]


def test_e_and_z_isomers_are_no_tautomers_of_one_another():
    """From a review: Z-sunitinib (pIC50 8) and E-sunitinib (5) were merged by tautomer to 6.5, under a quinoid
    structure RDKit's canonical tautomer gave, and named as tautomers by parent."""
    z = "CCN(CC)CCNC(=O)c1c(C)[nH]c(/C=C2\\C(=O)Nc3ccc(F)cc32)c1C"
    e = "CCN(CC)CCNC(=O)c1c(C)[nH]c(/C=C2/C(=O)Nc3ccc(F)cc32)c1C"
    columns = pd.DataFrame({"pIC50": [8.0, 5.0]})
    merged = merge_replicates([z, e], columns, ["pIC50"], by="tautomer")
    assert sorted(merged.merged["pIC50"].tolist()) == [5.0, 8.0]
    assert set(merged.merged["smiles"]) == {compound_key(z), compound_key(e)}
    assert not any("tautomers" in note for note in merge_replicates([z, e], columns, ["pIC50"]).notes)
    # each geometry's own tautomers still merge with it: the Z lactim is Z-sunitinib, the E lactim E-sunitinib
    from molgen.chem.standardize import tautomer_key

    z_lactim = "CCN(CC)CCNC(=O)c1c(C)[nH]c(/C=C2\\C(O)=Nc3ccc(F)cc32)c1C"
    e_lactim = "CCN(CC)CCNC(=O)c1c(C)[nH]c(/C=C2/C(O)=Nc3ccc(F)cc32)c1C"
    assert tautomer_key(z_lactim) == tautomer_key(z) != tautomer_key(e) == tautomer_key(e_lactim)
    four = merge_replicates([z, e, z_lactim, e_lactim], pd.DataFrame({"pIC50": [8.0, 5.0, 8.2, 5.2]}), ["pIC50"],
                            by="tautomer").merged
    assert sorted(four["pIC50"].tolist()) == [5.1, 8.1] and set(four["smiles"]) == {compound_key(z), compound_key(e)}


def test_concentrations_merge_geometrically_and_spread_in_log_units():
    smiles, columns = _assay()
    median = merge_replicates(smiles, columns, ["IC50_nM"], how="median")
    assert any("span 4.4 orders of magnitude" in note for note in median.notes)   # the advice to use geometric
    geometric = merge_replicates(smiles, columns, ["IC50_nM"], how="geometric", by="molecule").merged.set_index("smiles")
    assert geometric.loc[PIPERAZINE, "IC50_nM"] == pytest.approx((10000 * 63) ** 0.5)
    assert geometric.loc[PIPERAZINE, "IC50_nM_spread"] == pytest.approx(2.2006, abs=1e-3)
    assert geometric.loc[PIPERAZINE, "IC50_nM_disagree"]
    # by molecule, the salt is a row of its own
    assert geometric.loc[PROCAINAMIDE, "n_rows"] == 2 and geometric.loc[PROCAINAMIDE + ".Cl", "n_rows"] == 1
    with pytest.raises(ValueError, match="a geometric mean needs positive values"):
        merge_replicates(["CCO", "CCO"], pd.DataFrame({"shift": [-1.0, 2.0]}), ["shift"], how="geometric")
    # a pIC50 is a logarithm already: a geometric mean of it would read 8.35 and 6.55 as agreeing
    with pytest.raises(ValueError, match="pIC50: a p-value .* is already a logarithm"):
        merge_replicates(["CCO", "CCO"], pd.DataFrame({"pIC50": [8.35, 6.55]}), ["pIC50"], how="geometric")


def test_chembl_relations_qualify_their_values_and_a_qualified_value_can_disagree():
    """ChEMBL writes '>' in a column of its own (Standard Relation, quoted), the value beside it."""
    columns = pd.DataFrame({"Standard Relation": ["'='", "'>'", "'='", "'<'", "'='"],
                            "Standard Value": ["11", "10000", "4.9", "5", "8.1"]})
    smiles = ["CCO", "CCO", "CCO", "CCN", "CCN"]
    result = merge_replicates(smiles, columns, ["Standard Value"], relation="Standard Relation", how="geometric")
    merged = result.merged.set_index("smiles")
    assert merged.loc["CCO", "Standard Value_values"] == "11; 4.9"   # the >10000 is not averaged in as 10000
    assert merged.loc["CCO", "Standard Value_qualified"] == ">10000" and merged.loc["CCO", "Standard Value_disagree"]
    assert not merged.loc["CCN", "Standard Value_disagree"]   # <5 nM beside 8.1 nM: 0.2 log units apart
    # a pIC50 "<5" beside a measured 8.1: the replicates contradict one another, though one number has no spread
    pic50 = merge_replicates(["CCN", "CCN"], pd.DataFrame({"pIC50": ["<5", "8.1"]}), ["pIC50"]).merged.iloc[0]
    assert pic50["pIC50_disagree"] and pic50["pIC50_n"] == 1 and pic50["pIC50"] == 8.1
    # the relation qualifies the concentration; beside it, a pIC50 reads it flipped (>10000 nM is a pIC50 below 5:
    # it was averaged in as an exact 5, while the CLI said the relation was read)
    table = pd.DataFrame({"Standard Relation": ["'>'", "'='", "'>'"], "Standard Value": ["10000", "70", "50000"],
                          "pIC50": ["5", "7.15", ""], "pChEMBL Value": [None, 7.15, None]})
    merged = merge_replicates(["CCN", "CCN", "CCO"], table, ["Standard Value", "pIC50", "pChEMBL Value"],
                              relation="Standard Relation")
    both = merged.merged.iloc[0]
    assert both["Standard Value_qualified"] == ">10000" and both["pIC50_values"] == "7.15"
    assert both["pIC50_qualified"] == "<5" and both["pIC50_disagree"]   # below 5 beside 7.15, as >10000 nM beside 70
    said = " ".join(merged.notes)
    assert "pIC50: Standard Relation's qualifiers are read flipped" in said
    # ChEMBL writes no pChEMBL Value for a qualified measurement: its bounds are said to be missing, not dropped quietly
    assert "pChEMBL Value: 2 rows with a qualified Standard Relation ('>', '<') have no pChEMBL Value" in said
    assert "pIC50: 1 row has no value (empty)" in said
    # a concentration left empty beside its '>' is not told that ChEMBL writes no pChEMBL Value for it
    concentration = merge_replicates(["CCO", "CCO"], pd.DataFrame({"Standard Relation": ["'>'", "'='"],
                                                                   "Standard Value": [None, "70"]}),
                                     ["Standard Value"], relation="Standard Relation", how="geometric")
    assert "pChEMBL" not in " ".join(concentration.notes)
    from molgen.augment.replicates import is_p_value

    assert is_p_value("pChEMBL Value") and is_p_value("pKi") and not is_p_value("price")
    with pytest.raises(ValueError, match="not a measured column"):
        merge_replicates(smiles, pd.DataFrame({"id": list("abcde")}), ["id"])
    with pytest.raises(ValueError, match=r"no column 'pic50' \(did you mean 'pIC50'\?\); columns are 'pIC50'$"):
        merge_replicates(["CCO"], pd.DataFrame({"line": [2], "pIC50": [5.0]}), ["pic50"])


def test_the_relation_qualifies_only_concentrations_and_p_values_however_named():
    """From an augment review: a logD of 3.5 became '>3.5' by ChEMBL's relation; PIC50 was read unflipped beside
    pIC50's flipped; 3 nM and 1 uM, or a Ki and an IC50, merged as replicates without a word; '<7.3' beside 8.3
    was marked by float noise where '<6.3' beside 7.3 was not; a cell written '<5' beside '>' read '<<5'."""
    table = pd.DataFrame({"Standard Relation": ["=", ">", "="], "pIC50": ["6.0", "4.0", "6.2"],
                          "PIC50": ["6.0", "4.0", "6.2"], "pIC50_mean": ["6.0", "4.0", "6.2"],
                          "logD": ["2.0", "3.5", "2.2"]})
    result = merge_replicates(["CCO"] * 3, table, ["pIC50", "PIC50", "pIC50_mean", "logD"], relation="Standard Relation")
    row = result.merged.iloc[0]
    assert row["pIC50_qualified"] == row["PIC50_qualified"] == row["pIC50_mean_qualified"] == "<4.0"
    assert row["logD"] == 2.2 and row["logD_n"] == 3 and row["logD_qualified"] == ""
    assert "Standard Relation qualifies the concentration (Standard Value) and its p-values: logD is read without " \
        "it" in result.notes
    chembl = pd.DataFrame({"Standard Type": ["IC50", "IC50", "Ki", "IC50", "IC50", "IC50"],
                           "Standard Value": ["3", "1", "50", "80", "10", "12"],
                           "Standard Units": ["nM", "uM", "nM", "nM", "nM", "nM"]})
    mixed = merge_replicates(["CCO", "CCO", "CCN", "CCN", "CCC", "CCC"], chembl, ["Standard Value"], how="geometric")
    assert mixed.merged.set_index("smiles")["Standard Value_disagree"].to_dict() == {"CCO": True, "CCN": True,
                                                                                     "CCC": False}
    said = " ".join(mixed.notes)
    assert "1 compound merges values of more than one Standard Units" in said and "more than one Standard Type" in said
    edge = merge_replicates(["CCC", "CCC", "CC", "CC", "CCCC", "CCCC"],
                            pd.DataFrame({"pIC50": ["<6.3", "7.3", ">5.1", "4.1", "<7.3", "8.3"]}), ["pIC50"])
    assert edge.merged["pIC50_disagree"].tolist() == [False, False, False]   # exactly 1 apart: not more than 1
    own = merge_replicates(["CCO", "CCO"], pd.DataFrame({"Standard Relation": [">", "="], "pIC50": ["<5", "6"],
                                                        "note": ["NaN", "x"]}), ["pIC50"], relation="Standard Relation")
    assert own.merged.iloc[0]["pIC50_qualified"] == "<5" and "<<5" not in " ".join(own.notes)
    blank = merge_replicates(["CCO"] * 5, pd.DataFrame({"Standard Relation": [">", "=", "=", "=", "="],
                                                       "pIC50": ["NaN", "6", "NAN", "nan", "7"]}), ["pIC50"],
                             relation="Standard Relation")
    said = " ".join(blank.notes)   # counted once, as empty; not "<NaN", nor a word; the column still a measured one
    assert "3 rows have no value (empty)" in said and "neither a number" not in said
    assert blank.merged.iloc[0]["pIC50_values"] == "6; 7"


def test_a_relation_the_chemist_names_qualifies_every_label_and_is_p_value_knows_names_from_statistics():
    """A review of the fix above: an explicit --relation Qualifier beside IC50_nM was dropped (its >10000 averaged
    in); PKA (a kinase), pIC50_sd and pKa were read as negative logs; a Ki beside an IC50 marked a logD."""
    from molgen.augment.replicates import is_p_value

    named = merge_replicates(["CCO", "CCO"], pd.DataFrame({"Qualifier": [">", "="], "IC50_nM": ["10000", "50"]}),
                             ["IC50_nM"], relation="Qualifier", how="geometric").merged.iloc[0]
    assert named["IC50_nM"] == 50 and named["IC50_nM_qualified"] == ">10000"
    # the chemist's own qualifier beside a pIC50 is read as written ("<5"), not flipped as ChEMBL's would be
    own = merge_replicates(["CCO"] * 3, pd.DataFrame({"pIC50_prefix": ["<", "=", "="], "pIC50": ["5", "6.8", "7.0"]}),
                           ["pIC50"], relation="pIC50_prefix").merged.iloc[0]
    assert own["pIC50_qualified"] == "<5" and own["pIC50_disagree"]
    # one column qualifying a concentration and its p-value is a concentration's: flipped beside the pIC50
    both = merge_replicates(["CCO"] * 3, pd.DataFrame({"Relation": [">", "=", "="], "IC50_nM": ["10000", "50", "40"],
                                                      "pIC50": ["5", "7.3", "7.4"]}), ["IC50_nM", "pIC50"],
                            relation="Relation").merged.iloc[0]
    assert both["IC50_nM_qualified"] == ">10000" and both["pIC50_qualified"] == "<5" and both["pIC50_disagree"]
    # beside p-values and a logD, no concentration: the chemist's column reads as written, for each (a review: a
    # logD among the labels had flipped the pIC50's own "<5")
    plain = merge_replicates(["CCO"] * 3, pd.DataFrame({"Qualifier": ["<", "=", "="], "pIC50": ["5", "6.8", "7.0"],
                                                       "logD": ["2.1", "2.0", "2.2"]}), ["pIC50", "logD"],
                             relation="Qualifier")
    assert plain.merged.iloc[0]["pIC50_qualified"] == "<5" and plain.merged.iloc[0]["pIC50_disagree"]
    assert "Qualifier qualifies pIC50, logD, as written (no concentration among the labels)" in plain.notes
    client = merge_replicates(["CCO", "CCO", "CCN", "CCN"],
                              pd.DataFrame({"standard_relation": [">", "=", "=", "="],
                                            "standard_value": ["10000", "50", "1", "5"],
                                            "standard_units": ["nM", "nM", "nM", "uM"]}),
                              ["standard_value"], relation="standard_relation", how="geometric")
    rows = client.merged.set_index("smiles")   # ChEMBL's client writes its names so: read as the web export's
    assert rows.loc["CCO", "standard_value_qualified"] == ">10000" and rows.loc["CCN", "standard_value_disagree"]
    assert "more than one Standard Units (column standard_units)" in " ".join(client.notes)
    lower = merge_replicates(["CCO"] * 3, pd.DataFrame({"Standard Relation": ["'='", "'>'", "'='"],
                                                      "pki": ["7", "5", "6.7"]}), ["pki"], relation="Standard Relation")
    assert lower.merged.iloc[0]["pki_qualified"] == "<5" and lower.merged.iloc[0]["pki"] == 6.85
    unmarked = merge_replicates(["CCO"] * 2, pd.DataFrame({"Standard Value": ["10", "0.01"],
                                                          "Standard Units": ["nM", "uM"]}), ["Standard Value"],
                                how="geometric", max_spread=None)
    assert not unmarked.merged.iloc[0]["Standard Value_disagree"] and "not marked (max_spread None)" in \
        " ".join(unmarked.notes)
    for name in ("pIC50", "PIC50", "pic50", "pKi", "pki", "pkd", "ped50", "pEC50", "pA2", "pIC50_mean", "pIC50 (M)",
                 "pIC50 (n=3)", "pIC50 (n = 3)", "pchembl_value", "pIC50 Cav2.2 (N-type)", "pEC50 (CV-1 cells)"):
        assert is_p_value(name), name
    for name in ("PKA", "PKA IC50 (nM)", "PKB_IC50", "PLD2", "pH", "pKa", "pKa1", "pI", "pI_calc", "pIC50_sd",
                 "pIC50 SEM", "pIC50_n", "pIC50_n_obs", "pIC50 CI95", "pIC50_mean_sd", "pIC50 %CV", "pIC50 s.d.",
                 "pchembl_value_StdDev", "pIC50_EGFR_SD", "pIC50.SD", "pIC50-sem", "pIC50 95% CI", "pIC50 CV%",
                 "pIC50 Std. Dev.", "pIC50 s.e.m.", "Plate", "p-value", "Potency", "price"):
        assert not is_p_value(name), name
    chembl = pd.DataFrame({"Standard Type": ["IC50", "Ki"], "Standard Value": ["10", "10"],
                           "pChEMBL Value": ["8", "8"], "logD": ["2.1", "2.1"]})
    merged = merge_replicates(["CCO", "CCO"], chembl, ["Standard Value", "pChEMBL Value", "logD"])
    row, said = merged.merged.iloc[0], " ".join(merged.notes)
    assert row["Standard Value_disagree"] and not row["pChEMBL Value_disagree"] and not row["logD_disagree"]
    assert "pChEMBL Value: 1 compound merges values of more than one Standard Type (column Standard Type): comparable" \
        in said and "logD: 1 compound" not in said and "disagreeing by more than" not in said


def test_an_input_column_named_like_a_merged_one_keeps_its_values_and_inf_is_no_measurement():
    columns = pd.DataFrame({"n_rows": ["a", "b"], "pIC50": ["5.0", "inf"]})
    result = merge_replicates(["CCO", "OCC"], columns, ["pIC50"])
    row = result.merged.iloc[0]
    assert row["n_rows"] == 2 and row["input_n_rows"] == "a; b"
    assert row["pIC50"] == 5.0 and row["pIC50_n"] == 1 and any("'inf'" in note for note in result.notes)


def test_a_labels_decimal_commas_are_said_by_the_replicates_command(tmp_path):
    """The merge's own notes say what it made of a label's cells, but not that 1,200 was read as 1.2."""
    source = tmp_path / "assay.csv"
    source.write_text("smiles;IC50\nCCO;1,2\nCCO;2,5\nCCN;15,0\n")
    result = CliRunner().invoke(app, ["augment", "replicates", str(source), "--label", "IC50", "-o",
                                      str(tmp_path / "m.csv")])
    assert result.exit_code == 0 and "column 'IC50' read as numbers written with a decimal comma" in \
        " ".join(result.output.split())


def test_a_qualified_value_among_decimal_commas_is_read_in_the_same_locale(tmp_path):
    """A review: one cell written >6,0 made the whole column "not a measured column", and --where kept no row."""
    from molgen.data.files import read_molecules

    source = tmp_path / "assay.csv"
    source.write_text("smiles;pIC50\nCCO;5,1\nCCN;7,3\nCCC;>6,0\n")
    frame = read_molecules(source)
    assert frame["pIC50"].tolist() == ["5.1", "7.3", ">6.0"] and frame.attrs["decimal_commas"] == ["pIC50"]
    result = CliRunner().invoke(app, ["augment", "replicates", str(source), "--label", "pIC50", "-o",
                                      str(tmp_path / "m.csv")])
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "1 value written with a qualifier" in said
    # plain numbers the reader keeps as text (wells 1,10 and 1,1) stay as written (a code review)
    wells = tmp_path / "wells.csv"
    wells.write_text("smiles;well\nCCO;1,10\nCCN;1,1\nCCC;2,3\n")
    assert read_molecules(wells)["well"].tolist() == ["1,10", "1,1", "2,3"]


def test_merging_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="no column 'pki'; columns are 'id', 'pIC50'"):
        merge_replicates(["CCO"], pd.DataFrame({"id": ["a"], "pIC50": [5.0]}), ["pki"])
    with pytest.raises(ValueError, match="name at least one label column"):
        merge_replicates(["CCO"], None, [])
    with pytest.raises(ValueError, match="unknown aggregate 'mode'"):
        merge_replicates(["CCO"], pd.DataFrame({"pIC50": [5.0]}), ["pIC50"], how="mode")
    assert compound_key("CC[NH3+]") == compound_key("CCN.Cl") == "CCN"
    assert compound_key("CC[NH3+]", by="molecule") == "CC[NH3+]" and compound_key("C1CC") is None


def test_the_replicates_command_writes_the_merged_table_its_removals_and_a_manifest(tmp_path):
    smiles, columns = _assay()
    source = tmp_path / "assay.csv"
    pd.DataFrame({"smiles": smiles, **columns}).to_csv(source, index=False)
    out = tmp_path / "merged.csv"
    result = CliRunner().invoke(app, ["augment", "replicates", str(source), "--label", "pIC50", "-o", str(out)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "wrote 5 rows" in said and "pIC50: 1 compound has replicates disagreeing" in said
    # the merge says what it made of the label's cells: the reader's "kept as text" warning is not said of it
    assert "column 'pIC50' is mostly numbers" not in said and "'n.d.'" in said and "pIC50: 1 value written with" in said
    from molgen.data.files import read_molecules, reading_notes

    qualified = tmp_path / "qualified.csv"
    qualified.write_text("smiles,pIC50\nCCO,5.1\nCCN,6.2\nCCC,>8\n")
    assert reading_notes(read_molecules(qualified)) == [
        "column 'pIC50' is mostly numbers but is kept as text because of values written with a qualifier (line 4: "
        "'>8'): a measurement outside the assay's range, no number a model can use as it stands (`molgen augment "
        "replicates` lists them apart)"]
    merged = pd.read_csv(out)
    assert list(merged.columns[:2]) == ["smiles", "pIC50"] and merged["input_lines"].iloc[0] == "2; 3; 4"
    removed = pd.read_csv(tmp_path / "merged.csv.removed.csv")
    assert removed["id"].tolist() == ["X-5"]   # the input's columns follow the removed row
    manifest = json.loads((tmp_path / "merged.csv.manifest.json").read_text())
    assert manifest["augment"]["command"] == "augment replicates" and manifest["augment"]["settings"]["how"] == "median"
    wrong = CliRunner().invoke(app, ["augment", "replicates", str(source), "--label", "pIC50", "--how", "mode",
                                     "-o", str(out)])
    assert wrong.exit_code == 2 and "--how: mode is not one of median, mean, geometric" in " ".join(wrong.output.split())


def test_chembls_compound_descriptors_are_not_offered_as_measurements():
    """The Augment page offered Molecule Max Phase and Molecular Weight as labels to merge replicates of."""
    from molgen.augment.replicates import measured_columns

    export = pd.DataFrame({"Molecule ChEMBL ID": ["CHEMBL1", "CHEMBL2"], "Molecule Max Phase": [4, None],
                           "Molecular Weight": [446.9, 393.4], "AlogP": [4.3, 3.2], "Standard Relation": ["'='", "'>'"],
                           "Standard Value": [3.0, 10000.0], "pChEMBL Value": [8.52, None], "line": [2, 3]})
    assert measured_columns(export) == ["pChEMBL Value", "Standard Value"]


def test_racemic_cis_and_trans_diastereomers_are_two_compounds():
    """A review: rac-cis and rac-trans (CXSMILES |&1:1,3|, relative configuration known) were read with their centres
    unassigned and merged into one compound, their pIC50s averaged; one racemate drawn as its other enantiomer, and
    as its HCl salt, is still one compound."""
    smiles = ["N[C@@H]1C[C@H]1c1ccc(Nc2ncnc3ccccc23)cc1 |&1:1,3|",      # rac-trans
              "N[C@@H]1C[C@@H]1c1ccc(Nc2ncnc3ccccc23)cc1 |&1:1,3|",     # rac-cis
              "N[C@H]1C[C@@H]1c1ccc(Nc2ncnc3ccccc23)cc1.Cl |&1:1,3|"]   # rac-trans drawn mirrored, as its HCl salt
    result = merge_replicates(smiles, pd.DataFrame({"pIC50": [7.1, 6.4, 7.3]}), ["pIC50"])
    merged = result.merged.set_index("smiles")
    assert len(merged) == 2
    trans = merged.loc["N[C@@H]1C[C@H]1c1ccc(Nc2ncnc3ccccc23)cc1 |&1:1,3|"]
    assert trans["pIC50"] == pytest.approx(7.2) and trans["input_rows"] == "1; 3"
    assert merged.loc["N[C@@H]1C[C@@H]1c1ccc(Nc2ncnc3ccccc23)cc1 |&1:1,3|", "pIC50"] == 6.4
    # a relative configuration of one centre is no configuration: read as before, unassigned
    one = merge_replicates(["C[C@H](N)C(=O)O |&1:1|", "CC(N)C(=O)O"], pd.DataFrame({"x": [1.0, 2.0]}), ["x"])
    assert one.merged["smiles"].tolist() == ["CC(N)C(=O)O"]


def test_a_racemate_and_its_enantiomer_are_not_called_tautomers():
    """A review: rac-cis beside its pure enantiomer was noted as "two tautomers ... --by tautomer merges them"."""
    result = merge_replicates(["N[C@@H]1C[C@@H]1c1ccccc1 |&1:1,3|", "N[C@@H]1C[C@@H]1c1ccccc1"],
                              pd.DataFrame({"x": [1.0, 2.0]}), ["x"])
    assert len(result.merged) == 2 and not any("tautomer" in note for note in result.notes)


def test_chembl_client_column_names_are_found_by_the_command_and_by_where(tmp_path):
    """A review: ChEMBL's Python client writes standard_relation; the command read >10000 as 10000, and --where
    kept a '>100' row for standard_value<1000."""
    from molgen.data.row_selection import RowCondition, select_rows

    source = tmp_path / "client.csv"
    source.write_text("canonical_smiles,standard_relation,standard_value,standard_units\n"
                      "CCO,=,50,nM\nCCO,>,10000,nM\nCCO,=,80,nM\n")
    out = tmp_path / "merged.csv"
    result = CliRunner().invoke(app, ["augment", "replicates", str(source), "--label", "standard_value", "--how",
                                      "geometric", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "reading each value's qualifier from column 'standard_relation'" in result.output
    row = pd.read_csv(out).iloc[0]
    assert row["standard_value_qualified"] == ">10000" and row["standard_value"] == pytest.approx(63.2456, abs=1e-3)
    frame = pd.DataFrame({"standard_relation": ["=", ">"], "standard_value": [50, 100]})
    keep, _ = select_rows(frame, [RowCondition("standard_value", "<", 1000.0)])
    assert list(keep) == [True, False]   # ">100" may or may not be below 1000: not kept


def test_measured_columns_read_chembl_client_names_as_the_web_exports():
    from molgen.augment.replicates import measured_columns

    client = pd.DataFrame({"activity_id": [1, 2], "document_year": [2010, 2011], "molecule_max_phase": [4, 4],
                           "standard_value": ["10", "20"]})
    assert measured_columns(client) == ["standard_value", "activity_id"]
