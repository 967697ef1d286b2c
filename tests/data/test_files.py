import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from molgen.data.files import FileFormatError, read_molecules, write_molecules
from molgen.data.registry import load_smiles


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_csv_keeps_invalid_rows_and_other_columns(tmp_path):
    path = write(tmp_path / "series.csv", "id,SMILES,pIC50\na,CCO,6.1\nb,C1CC,5.0\n\nc,c1ccccc1,7.2\n")
    frame = read_molecules(path)
    assert frame["smiles"].tolist() == ["CCO", "C1CC", "c1ccccc1"]
    assert frame["line"].tolist() == [2, 3, 5]
    assert frame["id"].tolist() == ["a", "b", "c"] and frame["pIC50"].tolist() == [6.1, 5.0, 7.2]
    assert frame["pIC50"].dtype == "float64"  # a number in CSV stays a number in Parquet
    assert frame["read_error"].isna().all()


def test_csv_columns_of_numbers_become_numbers_and_identifiers_stay_text(tmp_path):
    path = write(tmp_path / "series.csv", "smiles,count,activity,code,note,blank\n"
                                          "CCO,3,6.5,007,x,\nCCN,,1e2,12,4,\nCCC,-2,7,30,y,\n")
    frame = read_molecules(path)
    assert frame["count"].dtype == "Int64" and frame["count"].tolist()[::2] == [3, -2] and pd.isna(frame["count"][1])
    assert frame["activity"].dtype == "float64" and frame["activity"].tolist() == [6.5, 100.0, 7.0]
    assert frame["code"].tolist() == ["007", "12", "30"]  # leading zero: an identifier, kept as written
    assert frame["note"].tolist() == ["x", "4", "y"] and frame["blank"].tolist() == ["", "", ""]
    # numbers that would not come back exactly stay text; missing-value markers are missing
    odd = read_molecules(write(tmp_path / "odd.csv", "smiles,ic50,big,registry,pki,,\nCCO,inf,9223372036854775808,"
                                                      "123456789012345678,NA,,\nCCN,5,1,,6.5,,\n"))
    assert odd["ic50"].tolist() == ["inf", "5"] and odd["big"].tolist() == ["9223372036854775808", "1"]
    assert odd["registry"].dtype == "Int64" and odd["registry"][0] == 123456789012345678  # exactly, not via float
    assert odd["pki"].dtype == "float64" and pd.isna(odd["pki"][0]) and odd["pki"][1] == 6.5
    assert list(odd.columns).count("") == 2  # two blank header names (Excel's trailing columns) read, not a crash
    out = tmp_path / "series.parquet"
    frame.drop(columns=["line"]).to_parquet(out)
    assert pd.read_parquet(out)["activity"].dtype == "float64"


@pytest.mark.parametrize("header", ["smiles", "Canonical_SMILES", "SMI", "smiles_string"])
def test_smiles_column_found_by_name(tmp_path, header):
    path = write(tmp_path / "x.csv", f"name,{header}\nethanol,CCO\n")
    assert read_molecules(path)["smiles"].tolist() == ["CCO"]


def test_csv_without_a_smiles_header_names_file_line_and_columns(tmp_path):
    path = write(tmp_path / "nohdr.csv", "CCO,1\nCCN,2\n")
    with pytest.raises(FileFormatError) as error:
        read_molecules(path)
    message = str(error.value)
    # its first line is a molecule above molecules: no header (naming the column CCO would lose ethanol)
    assert "nohdr.csv, line 1" in message and "no header but a molecule ('CCO')" in message
    path = write(tmp_path / "codes.csv", "code,value\nA1,1\n")
    with pytest.raises(FileFormatError, match="no SMILES column in the header"):
        read_molecules(path)
    # Naming the column explicitly works.
    path = write(tmp_path / "named.csv", "structure_code,value\nCCO,1\n")
    assert read_molecules(path, smiles_column="structure_code")["smiles"].tolist() == ["CCO"]
    with pytest.raises(FileFormatError, match="no column 'nope'"):
        read_molecules(path, smiles_column="nope")
    # a name given in another case is the one column it can mean (a review: --smiles-column mol for a header's Mol);
    # two such columns are no one column: refused
    path = write(tmp_path / "cased.csv", "ID,Mol\nA,CCO\n")
    assert read_molecules(path, smiles_column="mol")["smiles"].tolist() == ["CCO"]
    path = write(tmp_path / "twice.csv", "MOL,Mol\nCCO,CCN\n")
    with pytest.raises(FileFormatError, match="no column 'mol'"):
        read_molecules(path, smiles_column="mol")


def test_row_with_wrong_field_count_names_its_line(tmp_path):
    path = write(tmp_path / "ragged.csv", "smiles,value\nCCO,1\nCCN,2\nCCC,3,extra\n")
    with pytest.raises(FileFormatError, match=r"ragged.csv, line 4: 3 fields where the header has 2"):
        read_molecules(path)


def test_an_unclosed_quote_names_its_line_instead_of_swallowing_the_rows_after_it(tmp_path):
    path = write(tmp_path / "quote.csv", 'id,smiles\nm1,CCO\nm2,"CCN\nm3,CCC\nm4,CCCC\n')
    with pytest.raises(FileFormatError, match=r"quote.csv, line 3: a quoted field opened here is never closed"):
        read_molecules(path)
    # a quoted field that does close may span lines (a comment column); a SMILES holding a line break
    # is then an invalid row with its reason, not the part before the break
    path = write(tmp_path / "closed.csv", 'smiles,comment\nCCO,"two\nlines"\n"CC\nN",x\n')
    frame = read_molecules(path)
    assert frame["comment"].tolist() == ["two\nlines", "x"] and frame["smiles"].tolist() == ["CCO", "CC\nN"]


def test_non_utf8_file_names_its_line(tmp_path):
    path = write(tmp_path / "latin.csv", "smiles,name\nCCO,ethanol\nCCN,\xe9thylamine\n".encode("latin-1"))
    with pytest.raises(FileFormatError, match=r"latin.csv, line 3: not UTF-8 text \(byte 0xe9"):
        read_molecules(path)


def test_non_utf8_file_names_the_byte_as_windows_would_read_it(tmp_path):
    """Excel on Windows writes CSV in Windows-1252: the error shows the character the byte stands for there, and
    how to save as UTF-8; a byte Windows-1252 leaves undefined is named by its value only."""
    path = write(tmp_path / "excel.csv", "smiles,name\nCn1cnc2c1c(=O)n(C)c(=O)n2C,caf\xe9ine\n".encode("cp1252"))
    with pytest.raises(FileFormatError, match=r"line 2: not UTF-8 text \(byte 0xe9 at column 31, 'é' in Windows-1252.*CSV UTF-8"):
        read_molecules(path)
    path = write(tmp_path / "odd.csv", b"smiles,name\nCCO,a\x81b\n")
    with pytest.raises(FileFormatError, match=r"line 2: not UTF-8 text \(byte 0x81 at column 6\); save"):
        read_molecules(path)


def test_random_bytes_file_is_a_clear_error(tmp_path):
    path = write(tmp_path / "junk.csv", bytes(range(256)) * 4)
    with pytest.raises(FileFormatError, match="junk.csv"):
        read_molecules(path)


def test_empty_and_unknown_files(tmp_path):
    with pytest.raises(FileFormatError, match="empty"):
        read_molecules(write(tmp_path / "empty.csv", ""))
    for name, text in (("header.csv", "smiles,id\n"), ("blank.smi", "\n# nothing yet\n\n"), ("header.smi", "SMILES\n")):
        with pytest.raises(FileFormatError, match=f"{name}: holds no molecules"):   # not an empty success
            read_molecules(write(tmp_path / name, text))
    with pytest.raises(FileFormatError, match="unknown file type"):
        read_molecules(write(tmp_path / "data.xlsx", "x"))
    with pytest.raises(FileNotFoundError):
        read_molecules(tmp_path / "missing.csv")


def test_tsv_and_gzip(tmp_path):
    path = tmp_path / "x.tsv.gz"
    path.write_bytes(gzip.compress(b"SMILES\tname\nCCO\tethanol\n"))
    frame = read_molecules(path)
    assert frame["smiles"].tolist() == ["CCO"] and frame["name"].tolist() == ["ethanol"]



def test_a_gzipped_table_names_itself_in_its_header_and_is_the_same_bytes_each_time(tmp_path):
    """Written through a temporary name, its gzip header named that (out.csv.gz.1f2e3d4c.partial, what gunzip -N
    restores), and a timestamp made each write differ."""
    from molgen.data.files import write_molecules

    frame = pd.DataFrame({"smiles": ["CCO", "c1ccccc1"], "pIC50": [5.5, 7.25]})
    path = write_molecules(frame, tmp_path / "out.csv.gz")
    first = path.read_bytes()
    assert first[3] & 0x08 and first[10:].split(b"\0")[0] == b"out.csv"   # FNAME flag, then the name
    assert read_molecules(path)["smiles"].tolist() == ["CCO", "c1ccccc1"]
    assert write_molecules(frame, path).read_bytes() == first
    shouted = write_molecules(frame, tmp_path / "OUT.TSV.GZ").read_bytes()   # gzip itself strips only ".gz"
    assert shouted[10:].split(b"\0")[0] == b"OUT.TSV"


def test_smi_with_header_comments_and_names(tmp_path):
    path = write(tmp_path / "x.smi", "smiles name\n# a comment\nCCO ethanol\nc1ccccc1\tbenzene ring\nC1CC\n")
    frame = read_molecules(path)
    assert frame["smiles"].tolist() == ["CCO", "c1ccccc1", "C1CC"]
    assert frame["name"].tolist() == ["ethanol", "benzene ring", None]
    assert frame["line"].tolist() == [3, 4, 5]


def test_a_column_of_numbers_kept_as_text_by_a_few_words_is_noticed(tmp_path):
    path = write(tmp_path / "labels.csv", "id,smiles,pIC50,note\na,CCO,5.1,x\nb,CCN,notmeasured,y\nc,CCC,6.2,z\n"
                                          "d,CCCC,,w\ne,CCCCC,7,ok\n")
    frame = read_molecules(path)
    assert frame["pIC50"].tolist() == ["5.1", "notmeasured", "6.2", "", "7"]   # text, as before: nothing is guessed
    assert frame.attrs["text_among_numbers"] == {"pIC50": [(3, "notmeasured")]}   # the file line of the cell
    numbers = read_molecules(write(tmp_path / "ok.csv", "smiles,pIC50,id\nCCO,5.1,007\nCCN,NA,008\n"))
    assert numbers.attrs["text_among_numbers"] == {}   # numbers with a missing marker, and zero-padded ids
    ids = read_molecules(write(tmp_path / "ids.csv", "smiles,id\nCCO,1001\nCCN,1002\nCCC,CMP-3\n"))
    assert ids.attrs["text_among_numbers"] == {}   # whole numbers among identifiers
    nanomolar = read_molecules(write(tmp_path / "nm.csv", "smiles,IC50_nM\nCCO,120\nCCN,4500\nCCC,inactive\nCCCC,35\n"))
    assert nanomolar.attrs["text_among_numbers"] == {"IC50_nM": [(4, "inactive")]}   # whole numbers, and a word


def test_a_semicolon_separated_csv_as_chembl_exports_it_is_read(tmp_path):
    path = write(tmp_path / "chembl.csv", '"Molecule ChEMBL ID";"Molecule Name";"Smiles";"Standard Value";"Comment"\n'
                                          '"CHEMBL25";"ASPIRIN";"CC(=O)Oc1ccccc1C(=O)O";"12.5";"a, b"\n'
                                          '"CHEMBL112";"ACETAMINOPHEN";"CC(=O)Nc1ccc(O)cc1";"";""\n')
    frame = read_molecules(path)
    assert frame["smiles"].tolist() == ["CC(=O)Oc1ccccc1C(=O)O", "CC(=O)Nc1ccc(O)cc1"]
    assert frame["Molecule ChEMBL ID"].tolist() == ["CHEMBL25", "CHEMBL112"] and frame["Comment"][0] == "a, b"
    assert frame["Standard Value"][0] == 12.5 and pd.isna(frame["Standard Value"][1])
    # a semicolon file from a decimal-comma locale: its numbers read as numbers, and said
    path = write(tmp_path / "excel.csv", "smiles;pIC50;id;Ki\nCCO;5,1;1;1,5E-03\nCCN;6;2;2E-04\nCCC;;3;\n")
    frame = read_molecules(path)
    assert frame["Ki"].tolist()[:2] == [0.0015, 0.0002]
    assert frame["pIC50"].tolist()[:2] == [5.1, 6.0] and pd.isna(frame["pIC50"][2]) and frame.attrs["decimal_commas"] == ["pIC50", "Ki"]
    assert frame["id"].tolist() == [1, 2, 3]
    # decimal commas and a word: kept as written, and the word found (it was neither said nor read before)
    mixed = read_molecules(write(tmp_path / "mixed.csv", "smiles;pIC50\nCCO;6,12\nCCN;notmeasured\nCCC;7,35\n"))
    assert mixed["pIC50"].tolist() == ["6,12", "notmeasured", "7,35"] and mixed.attrs["decimal_commas"] == []
    assert mixed.attrs["text_among_numbers"] == {"pIC50": [(3, "notmeasured")]}
    # a comma-separated file whose cells hold semicolons stays comma-separated
    path = write(tmp_path / "plain.csv", "smiles,note\nCCO,a;b\n")
    assert read_molecules(path)["note"].tolist() == ["a;b"]


def test_a_cxsmiles_extension_in_a_smi_file_belongs_to_the_smiles_not_the_name(tmp_path):
    # S-ibuprofen in an AND group (racemic): read as a pure enantiomer named "|&1:10| S-ibuprofen" before
    path = write(tmp_path / "x.smi", "CC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O |&1:10| ibuprofen\nCC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O |&1:10|\n"
                                     "CCO |bad ethanol\n")
    frame = read_molecules(path)
    assert frame["smiles"].tolist()[:2] == ["CC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O |&1:10|"] * 2
    assert frame["name"].tolist() == ["ibuprofen", None, "|bad ethanol"]   # no closing bar: a name, as before
    from molgen.chem.parse import parse_smiles

    parsed = parse_smiles(frame["smiles"][0])
    assert parsed.ok and Chem.MolToSmiles(parsed.mol) == "CC(C)Cc1ccc(C(C)C(=O)O)cc1"   # racemic, as a CSV cell reads


def _sdf_block(smiles, name, value):
    mol = Chem.MolFromSmiles(smiles)
    mol.SetProp("_Name", name)
    mol.SetProp("activity", value)
    return Chem.MolToMolBlock(mol) + f">  <activity>\n{value}\n\n$$$$\n"


def test_truncated_sdf_keeps_the_good_records_and_names_the_broken_one(tmp_path):
    good = _sdf_block("CCO", "ethanol", "1.5") + _sdf_block("c1ccncc1", "pyridine", "2.5")
    third = _sdf_block("CCN", "ethylamine", "3.5")
    start_line = good.count("\n") + 1
    path = write(tmp_path / "cut.sdf", good + third[: len(third) // 2])
    frame = read_molecules(path)
    assert len(frame) == 3
    assert frame["smiles"].tolist()[:2] == ["CCO", "c1ccncc1"]
    assert frame["name"].tolist()[:2] == ["ethanol", "pyridine"]
    assert frame["activity"].tolist()[:2] == [1.5, 2.5]   # numbers, as a CSV column of numbers is
    assert frame["smiles"].iloc[2] is None and frame["name"].iloc[2] == "ethylamine"   # named, though unread
    assert f"line {start_line}" in frame["read_error"].iloc[2] and "truncated" in frame["read_error"].iloc[2]
    assert frame["line"].tolist() == [1, _line_of(good, "pyridine"), start_line]


def test_sdf_data_items_never_replace_the_structure_read_from_the_molblock(tmp_path):
    """A vendor's <SMILES> item (a salt form, another registration) must not be scored in place of the molblock."""
    from molgen.scoring import score

    block = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO"))
    path = write(tmp_path / "vendor.sdf", "ethanol" + block[block.index("\n"):] + ">  <SMILES>\nCC(=O)[O-].[Na+]\n\n"
                 ">  <smiles>\nc1ccccc1\n\n>  <read_error>\nnone\n\n>  <Name>\nEtOH\n\n$$$$\n")
    frame = read_molecules(path)
    assert frame.loc[0, "smiles"] == "CCO" and frame.loc[0, "read_error"] is None and frame.loc[0, "name"] == "ethanol"
    assert frame.loc[0, "sdf_SMILES"] == "CC(=O)[O-].[Na+]" and frame.loc[0, "sdf_smiles"] == "c1ccccc1"
    assert frame.loc[0, "sdf_read_error"] == "none" and frame.loc[0, "sdf_Name"] == "EtOH"
    assert score(frame, progress=False).loc[0, "smiles"] == "CCO"


def test_the_first_of_two_smiles_columns_is_read():
    from molgen.data.files import find_smiles_column

    assert find_smiles_column(["smiles", "SMILES"]) == "smiles" and find_smiles_column(["SMILES", "smiles"]) == "SMILES"


def test_smiles_columns_are_found_as_pubchem_and_bindingdb_name_them():
    """PubChem's IsomericSMILES and BindingDB's "Ligand SMILES" were refused as naming no SMILES column."""
    from molgen.data.files import NoSmilesColumn, find_smiles_column

    assert find_smiles_column(["CID", "CanonicalSMILES", "IsomericSMILES"]) == "IsomericSMILES"   # the stereo kept
    assert find_smiles_column(["BindingDB Reactant_set_id", "Ligand SMILES", "Ki (nM)"]) == "Ligand SMILES"
    assert find_smiles_column(["ID", "Canonical SMILES"]) == "Canonical SMILES"
    with pytest.raises(NoSmilesColumn, match=r"2 columns are named as SMILES \('parent smiles', 'salt smiles'\)") as error:
        find_smiles_column(["id", "parent smiles", "salt smiles"])
    assert error.value.columns == ["id", "parent smiles", "salt smiles"]
    with pytest.raises(NoSmilesColumn, match="no SMILES column in the header"):
        find_smiles_column(["id", "mol"])
    for named_otherwise in (["id", "smiles_id", "mol"], ["name", "smiles source"], ["Ligand InChI", "id"]):
        with pytest.raises(NoSmilesColumn, match="no SMILES column in the header"):   # a column about SMILES
            find_smiles_column(named_otherwise)
    for named in ("SMILES (canonical)", "SMILES_2D", "smiles_std", "Molecule SMILES (RDKit)", "smiles1"):
        assert find_smiles_column(["id", named, "pIC50"]) == named   # a review: refused once the fallback was exact


def _line_of(text, needle):
    return text[: text.index(needle)].count("\n") + 1


def test_sdf_record_with_bad_valence_is_a_row_with_a_reason(tmp_path):
    block = Chem.MolToMolBlock(Chem.MolFromSmiles("CC"))
    # A carbon with five bonds, written without sanitizing.
    bad = Chem.RWMol()
    for _ in range(6):
        bad.AddAtom(Chem.Atom(6))
    for j in range(1, 6):
        bad.AddBond(0, j, Chem.BondType.SINGLE)
    bad_block = Chem.MolToMolBlock(bad.GetMol(), kekulize=False) + "$$$$\n"
    path = write(tmp_path / "bad.sdf", block + "$$$$\n" + bad_block)
    frame = read_molecules(path)
    assert frame["smiles"].iloc[0] == "CC"
    assert frame["smiles"].iloc[1] is None
    assert frame["read_error"].iloc[1].endswith(": atom 1 (C) has a valence of 5, more than C allows")   # as SMILES say it


def test_parquet_and_a_corrupt_parquet(tmp_path):
    path = tmp_path / "x.parquet"
    pd.DataFrame({"smiles": ["CCO", "bad"], "y": [1.0, 2.0]}).to_parquet(path)
    frame = read_molecules(path)
    assert frame["smiles"].tolist() == ["CCO", "bad"] and frame["line"].tolist() == [1, 2]
    broken = write(tmp_path / "broken.parquet", b"PAR1" + b"\x00" * 64)
    with pytest.raises(FileFormatError, match="broken.parquet: not a readable Parquet file"):
        read_molecules(broken)


def test_load_smiles_from_a_file_keeps_positions(tmp_path):
    path = write(tmp_path / "s.csv", "smiles,id\nCCO,1\nC1CC,2\n,3\n")  # an empty SMILES is kept as a row
    assert load_smiles(path) == ["CCO", "C1CC", ""]
    # one column, as pandas writes a missing SMILES: a quoted empty field is a row; a blank line is not
    single = write(tmp_path / "one.csv", 'smiles\nCCO\n""\n\nCCN\n')
    assert read_molecules(single)["smiles"].tolist() == ["CCO", "", "CCN"]
    assert read_molecules(single)["line"].tolist() == [2, 3, 5]


def test_sdf_records_are_titled_by_a_name_column_else_their_smiles(tmp_path):
    from molgen.data.files import write_molecules

    named = write_molecules(pd.DataFrame({"smiles": ["CCO", "c1ccncc1"], "Name": ["ethanol", None], "pIC50": [5.0, 6.0]}),
                            tmp_path / "named.sdf")
    assert read_molecules(named)["name"].tolist() == ["ethanol", ""]  # a missing name leaves the title empty
    multiline = write_molecules(pd.DataFrame({"smiles": ["CCO"], "name": ["ethanol\nbatch 2"]}), tmp_path / "m.sdf")
    assert multiline.read_text().splitlines()[0] == "ethanol batch 2"  # the title is one line; the property keeps both
    assert read_molecules(multiline)["read_error"].isna().all()
    # a value with a blank line (a note from a spreadsheet cell) was dropped from the record without a word
    noted = write_molecules(pd.DataFrame({"smiles": ["CCO"], "note": ["made twice\n\n  \r\nsee batch 2"]}), tmp_path / "n.sdf")
    assert Chem.SDMolSupplier(str(noted))[0].GetProp("note") == "made twice\nsee batch 2"
    plain = write_molecules(pd.DataFrame({"smiles": ["CCO", "CCN"], "qed": [0.4, 0.5]}), tmp_path / "plain.sdf")
    assert read_molecules(plain)["name"].tolist() == ["CCO", "CCN"]


def test_sdf_records_of_absolute_stereocentres_carry_the_chiral_flag(tmp_path):
    """A molfile without the chiral flag reads as relative stereo (MDL's convention; RDKit's own
    TranslateChiralFlagToStereoGroups makes its centres a racemic group): an (S) series registered as racemic."""
    from molgen.data.files import write_molecules

    written = write_molecules(pd.DataFrame({"smiles": ["CC(=O)NC[C@H]1CN(c2ccccc2)C(=O)O1", "CCO", "C/C=C/C",
                                                       "C[C@H](N)C(=O)O |&1:1|", "C[C@H](N)[C@@H](C)O |&1:3|"]}),
                              tmp_path / "stereo.sdf")
    flags = [mol.GetIntProp("_MolFileChiralFlag") if mol.HasProp("_MolFileChiralFlag") else 0
             for mol in Chem.SDMolSupplier(str(written))]
    assert flags == [1, 0, 0, 0, 1]   # an absolute centre; none; a double bond only; a racemate (&1); one of each
    mixed = list(Chem.SDMolSupplier(str(written)))[4]
    Chem.TranslateChiralFlagToStereoGroups(mixed)   # the ungrouped centre stays absolute, the &1 one relative
    assert sorted((g.GetGroupType(), [a.GetIdx() for a in g.GetAtoms()]) for g in mixed.GetStereoGroups()) == [
        (Chem.StereoGroupType.STEREO_ABSOLUTE, [1]), (Chem.StereoGroupType.STEREO_AND, [3])]
    back = next(iter(Chem.SDMolSupplier(str(written))))
    Chem.TranslateChiralFlagToStereoGroups(back)
    assert [g.GetGroupType() for g in back.GetStereoGroups()] == [Chem.StereoGroupType.STEREO_ABSOLUTE]


def test_a_smi_header_after_comments_or_blank_lines_is_a_header(tmp_path):
    frame = read_molecules(write(tmp_path / "commented.smi", "# exported 2026-12-04\n\nsmiles name\nCCO ethanol\n"))
    assert frame["smiles"].tolist() == ["CCO"] and frame["line"].tolist() == [4]
    # only the first such line: a later "smiles" is a row (an invalid one), not skipped unseen
    assert read_molecules(write(tmp_path / "twice.smi", "smiles\nCCO\nsmiles\n"))["smiles"].tolist() == ["CCO", "smiles"]


def test_identifiers_that_look_like_decimals_stay_text(tmp_path):
    frame = read_molecules(write(tmp_path / "ids.csv", "smiles,well,batch,activity\nCCO,1.10,0003.1,1.50\nCCN,1.1,12.5,2.5\n"))
    assert frame["well"].tolist() == ["1.10", "1.1"] and frame["batch"].tolist() == ["0003.1", "12.5"]
    assert frame["activity"].tolist() == [1.5, 2.5]   # a measurement still reads as a number


def test_blank_lines_between_records_are_counted_for_the_caller_to_say(tmp_path):
    """A blank line holds no molecule and makes no row, but the reader says where one was skipped (a chemist
    counting rows against lines would otherwise find one missing); blank lines after the last record are none."""
    smi = tmp_path / "mine.smi"
    smi.write_text("CCO ethanol\n\nc1ccccc1 benzene\n   \nCCN\n\n\n")
    frame = read_molecules(smi)
    assert frame["line"].tolist() == [1, 3, 5] and frame.attrs["blank_lines"] == [2, 4]
    csv = tmp_path / "mine.csv"
    csv.write_text('smiles,id\nCCO,a\n\n"",b\nCCN,c\n\n')
    frame = read_molecules(csv)
    assert frame["id"].tolist() == ["a", "b", "c"] and frame.attrs["blank_lines"] == [3]   # "" is a row: an empty SMILES
    assert read_molecules(tmp_path / "mine.smi").attrs["blank_lines"] == [2, 4]
    # blank lines before the first record are no gap either; before a CSV's header they are skipped (the first,
    # blank, line was taken for a header of no columns: "no SMILES column in the header (columns are )")
    smi.write_text("\n\nCCO\n\nCCN\n")
    assert read_molecules(smi).attrs["blank_lines"] == [4]
    csv.write_text("\n \nsmiles,id\nCCO,a\n\nCCN,b\n")
    frame = read_molecules(csv)
    assert frame["id"].tolist() == ["a", "b"] and frame["line"].tolist() == [4, 6] and frame.attrs["blank_lines"] == [5]
    csv.write_text("\n\nname,id\nCCO,a\n")
    with pytest.raises(FileFormatError, match="line 3: no SMILES column"):
        read_molecules(csv)


def test_cells_holding_several_numbers_are_said_to_be_a_merged_compounds(tmp_path):
    """A table written by `augment replicates` joins a compound's other values with '; ': `molgen score` told the
    chemist to make those cells numbers."""
    from molgen.data.files import read_molecules, reading_notes

    path = tmp_path / "merged.csv"
    path.write_text("smiles,pChEMBL Value\n" + "".join(f"{s},{v}\n" for s, v in [
        ("CCO", "6.46; 6.3"), ("CCN", "7.1"), ("CCC", "8.0"), ("CCCl", "5.5"), ("CCBr", "6.0")]))
    said = " ".join(reading_notes(read_molecules(path)))
    assert "some cells hold several, joined by '; ' (line 2: '6.46; 6.3')" in said and "make those cells" not in said


def test_progress_off_a_terminal_is_written_every_half_minute(tmp_path):
    import io

    from molgen.progress import LOG_INTERVAL, progress_bar

    with progress_bar(total=3, file=io.StringIO()) as bar:
        assert bar.mininterval == LOG_INTERVAL


def test_rows_chosen_by_a_measured_column_read_qualifiers_relations_and_commas_as_a_chemist_does():
    import pandas as pd

    from molgen.data.row_selection import RowCondition, RowConditionError, select_rows

    at_least_7 = RowCondition.parse("pIC50 >= 7")
    verdicts = {cell: at_least_7.verdict(cell)[0] for cell in (7, 6.9, ">8", ">7", ">5", "<5", "<7", "<=7", "", None,
                                                              "n.d.", "~7", "≥7")}
    assert verdicts == {7: True, 6.9: False, ">8": True, ">7": True, ">5": None, "<5": False, "<7": False,
                        "<=7": None, "": None, None: None, "n.d.": None, "~7": True, "≥7": True}
    # a comma left as text is ambiguous (1,000 nM read as 1.0 kept it as potent), and said so
    below_100 = RowCondition.parse("IC50_nM<100")
    assert below_100.verdict("1,000") == (None, "IC50_nM '1,000' has a comma: a thousands separator or a decimal one? "
                                                "(not read; write the number plainly)")
    assert str(RowCondition.parse("IC50_nM<1234567")) == "IC50_nM<1234567"   # read back the same on resume
    # ChEMBL's relation qualifies Standard Value, flipped for a p-value of it, and not Molecular Weight beside them
    table = pd.DataFrame({"Standard Relation": ["'>'", "'='"], "Standard Value": [10000.0, 50.0],
                          "pIC50": [5.0, 7.3], "Molecular Weight": [450.3, 380.2]})
    assert select_rows(table, [RowCondition.parse("Standard Value<=100")])[0] == [False, True]
    assert select_rows(table, [RowCondition.parse("pIC50>=7")])[0] == [False, True]   # >10 µM is a pIC50 below 5
    kept, why = select_rows(table, [RowCondition.parse("Molecular Weight<500")])
    assert kept == [True, True], why
    with pytest.raises(RowConditionError, match="no column 'pKi'"):
        select_rows(table, [RowCondition.parse("pKi>7")])
    with pytest.raises(RowConditionError, match="cannot read"):
        RowCondition.parse("pIC50 is high")
    # from a review: a doubled comparison or two conditions in one were read as a column 'pIC50>' that is missing
    for text in ("pIC50>>7", "pIC50>=7 and pIC50<8"):
        with pytest.raises(RowConditionError, match=r"cannot read .* one condition each \(repeat --where"):
            RowCondition.parse(text)
    # an id or a typo in a value column is no number, said as such; an assay's "n.d." is not measured
    assert at_least_7.verdict("L0") == (None, "pIC50 'L0' is not a number (not read)")
    assert at_least_7.verdict("n.d.") == (None, "pIC50 not measured")
    with pytest.raises(RowConditionError) as refused:
        select_rows(table.assign(read_error=None), [RowCondition.parse("pKi>7")])
    assert "read_error" not in str(refused.value)   # the reader's own column is not the chemist's


def test_the_blank_lines_a_file_of_samples_holds_as_empty_ones(tmp_path):
    """molgen evaluate reads each line below a header as one sample: a blank one first, last or between records
    is an empty sample (a generator that wrote ''), but not one a comment sets apart (a review: the blank line
    under a '# model X' header was counted, and validity fell)."""
    from molgen.data.files import read_molecules

    cases = {"a.smi": ("\nCCO\n\nCCN\n\n", [1, 3, 5]),
             "b.smi": ("# samples of model X\n# seed 0\n\nCCO\nc1ccccc1\n", []),
             "c.smi": ("CCO\nCC\n\n# end\n\n", []),
             "d.smi": ("CCO\n\n# part two\nCCN\n# part three\n\nCCC\n\n", [8]),
             "e.smi": ("\n\nsmiles\n\nCCO\n", [4]),   # above the header: before the file's rows
             "g.smi": ("# model X\nsmiles\n\nCCO\nCCN\n", [3]),   # a comment above the header sets nothing apart
             "f.csv": ("\nsmiles,name\n\nCCO,a\n\nCCN,b\n\n", [])}   # a table writes "" for an empty sample
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text(text)
        assert read_molecules(tmp_path / name).attrs["empty_sample_lines"] == expected, name
    assert read_molecules(tmp_path / "d.smi").attrs["blank_lines"] == [2, 6]   # the gaps other commands say


def test_a_paused_writer_keeps_its_temporary_file_and_a_killed_ones_is_removed(tmp_path):
    """What a killed save left was told from a save still at work by age alone (ten minutes): a writer paused longer
    (Ctrl-Z, a suspended laptop) lost its save to the next training under that name. It holds a lock now."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from molgen.data.files import remove_stale_partials, replacing

    target = tmp_path / "m.pt"
    an_hour_ago = time.time() - 3600
    with replacing(target) as partial:
        partial.write_bytes(b"half a checkpoint")
        os.utime(partial, (an_hour_ago, an_hour_ago))
        assert remove_stale_partials(target) == [] and partial.exists()
        partial.write_bytes(b"a whole checkpoint")
    assert target.read_bytes() == b"a whole checkpoint" and not partial.exists()

    # a writer killed mid-write holds no lock: what it left is removed
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from molgen.data.files import replacing\n"
        f"with replacing(Path({str(target)!r})) as partial:\n"
        "    partial.write_bytes(b'half'); print(partial, flush=True); time.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        left = Path(writer.stdout.readline().strip())
        os.utime(left, (an_hour_ago, an_hour_ago))
        assert remove_stale_partials(target) == [] and left.exists()   # still alive: its lock is held
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
    assert remove_stale_partials(target) == [left] and not left.exists()
    assert target.read_bytes() == b"a whole checkpoint"
    # the next process writing that name removes what a killed write left, as it starts
    from molgen.data import files

    files._CLEANED.discard(target)
    killed = target.with_name(target.name + ".0a1b2c3d.partial")
    killed.write_bytes(b"half")
    os.utime(killed, (an_hour_ago, an_hour_ago))
    with replacing(target) as partial:
        partial.write_bytes(b"again")
    assert not killed.exists() and target.read_bytes() == b"again"


def test_a_failed_write_leaves_neither_its_temporary_file_nor_a_changed_target(tmp_path):
    from molgen.data.files import replacing

    target = tmp_path / "labels.npy"
    target.write_bytes(b"before")
    with pytest.raises(ValueError), replacing(target) as partial:
        partial.write_bytes(b"half")
        raise ValueError("a checksum that did not match")
    assert target.read_bytes() == b"before" and list(tmp_path.iterdir()) == [target]


def test_a_header_naming_descriptors_that_rdkit_reads_is_still_a_header(tmp_path):
    # C=O and C#N count fragments; CNS above a flag N: names, not a file without a header
    for text in ("ID,Structure_2D,C=O,C#N\nA,CC(=O)Nc1ccc(O)cc1,1,0\n", "molecule,CNS,logBB\nCCO,N,0.1\n"):
        path = write(tmp_path / "descriptors.csv", text)
        with pytest.raises(FileFormatError, match="no SMILES column in the header"):
            read_molecules(path)
    path = write(tmp_path / "trailing.csv", "smiles\t\nCCO\nCCN\n")   # a stray tab after the header: one column
    assert read_molecules(path)["smiles"].tolist() == ["CCO", "CCN"]


def test_bare_carriage_returns_and_flag_columns(tmp_path):
    path = tmp_path / "mac.smi"   # old Mac Excel line endings
    path.write_bytes(b"CCO ethanol\rc1ccccc1O phenol\rCC(=O)O acetic, glacial\r")
    assert read_molecules(path)["smiles"].tolist() == ["CCO", "c1ccccc1O", "CC(=O)O"]
    flags = write(tmp_path / "flags.csv", "ID,C=O,mol\nA,N,CCO\nB,N,CC=O\nC,Y,CCN\n")   # a column named C=O over flags
    with pytest.raises(FileFormatError, match="no SMILES column in the header"):
        read_molecules(flags)
    named = write(tmp_path / "named.smi", "CCO\tsmiles_1\nc1ccccc1O\tsmiles_2\n")   # names with SMILES in them
    assert read_molecules(named)["smiles"].tolist() == ["CCO", "c1ccccc1O"]
    spaced = write(tmp_path / "spaced.txt", "Canonical SMILES\tID\nCCO\tA\nc1ccccc1O\tB\n")
    assert read_molecules(spaced)["smiles"].tolist() == ["CCO", "c1ccccc1O"]


@pytest.mark.parametrize("header", ["S.NO,SMILES,pIC50", "NO;SMILES;pIC50", "SN\tSMILES\tpIC50", "CN,SMILES,pIC50"])
def test_a_row_number_header_rdkit_reads_as_a_molecule_is_still_a_header(tmp_path, header):
    delimiter = next(d for d in (",", ";", "\t") if d in header)
    path = write(tmp_path / "rows.txt", header + "\n" + "".join(
        delimiter.join([str(i), s, "5"]) + "\n" for i, s in enumerate(["CCO", "c1ccccc1O", "CC(=O)O"], start=1)))
    assert read_molecules(path)["smiles"].tolist() == ["CCO", "c1ccccc1O", "CC(=O)O"]


@pytest.mark.parametrize("name", ["smiles", "SMILES", "structure"])
def test_a_first_record_named_like_a_smiles_column_is_a_record(tmp_path, name):
    path = write(tmp_path / "named.smi", f"CCO\t{name}\nc1ccccc1O\tphenol\n")
    assert read_molecules(path)["smiles"].tolist() == ["CCO", "c1ccccc1O"]


def test_a_second_column_naming_smiles_is_said(tmp_path):
    """A review: a registration export with SMILES and Canonical_Smiles holding different structures was read from
    SMILES without a word."""
    from molgen.data.files import reading_notes

    path = write(tmp_path / "reg.csv", "ID,SMILES,Canonical_Smiles\nA,CCO,OCC\n")
    notes = reading_notes(read_molecules(path))
    assert any(note.startswith("column 'SMILES' read as the molecules; 'Canonical_Smiles' also names SMILES")
               for note in notes)
    twice = reading_notes(read_molecules(write(tmp_path / "twice.csv", "SMILES,id,SMILES\nCCO,A,CCN\n")))
    # a repeated name cannot be named to read the other: renaming it is the way (a review)
    assert any("(the first of that name) read as the molecules; a second 'SMILES' also names SMILES" in note
               and note.endswith("rename a repeated column to read another") for note in twice)
    # molgen's own augment output names its seed's SMILES: no second structure column to say
    assert not reading_notes(read_molecules(write(tmp_path / "aug.csv", "smiles,seed_smiles\nCCO,CCO\n")))
    assert not reading_notes(read_molecules(path, smiles_column="Canonical_Smiles"))   # named: nothing to say
    assert not reading_notes(read_molecules(write(tmp_path / "one.csv", "ID,SMILES\nA,CCO\n")))


def test_a_column_mixing_text_and_numbers_writes_to_parquet_as_text(tmp_path):
    """A review: two files' pIC50 columns, one holding "high", made the Parquet write fail after the work."""
    frame = pd.DataFrame({"smiles": ["CCO", "CCN", "CCC"], "pIC50": [6.5, "high", None], "n": [1, 2, 3]})
    path = write_molecules(frame, tmp_path / "mixed.parquet")
    read = pd.read_parquet(path)
    assert read["pIC50"].tolist()[:2] == ["6.5", "high"] and read["pIC50"].isna().tolist()[2]
    assert read["n"].tolist() == [1, 2, 3] and frame["pIC50"].tolist()[0] == 6.5   # the caller's frame as it was
    # a missing value stays missing (not the text "<NA>"); numbers and bools alone keep their types
    other = pd.DataFrame({"smiles": ["CCO", "CCN", "CCC"], "id": ["a", pd.NA, "b"], "x": [1, 2.5, None],
                          "ok": pd.array([True, None, False], dtype=object)})
    back = pd.read_parquet(write_molecules(other, tmp_path / "other.parquet"))
    assert back["id"].isna().tolist() == [False, True, False] and back["x"].tolist()[:2] == [1.0, 2.5]
    assert back["ok"].tolist()[0] is True or back["ok"].tolist()[0] == True   # noqa: E712 -- numpy's bool
    # text beside a bool or a date (one file's "tested" read as dates, another's "unknown"): text too
    dated = pd.DataFrame({"smiles": ["CCO", "CCN"], "tested": [pd.Timestamp("2026-01-02"), "unknown"],
                          "active": [True, "n/a"]})
    back = pd.read_parquet(write_molecules(dated, tmp_path / "dated.parquet"))
    assert back["active"].tolist() == ["True", "n/a"] and back["tested"].tolist()[1] == "unknown"
    years = pd.DataFrame({"smiles": ["CCO", "CCN"], "tested": [pd.Timestamp("2026-01-02"), 2019],
                          "active": [True, 0.5]})   # a year beside a date was written as a date of 1970
    back = pd.read_parquet(write_molecules(years, tmp_path / "years.parquet"))
    assert back["tested"].tolist()[1] == "2019" and back["active"].tolist() == ["True", "0.5"]
    import datetime

    timed = pd.DataFrame({"smiles": ["CCO", "CCN"],
                          "tested": [datetime.date(2026, 1, 2), pd.Timestamp("2026-01-03 13:45")]})
    back = pd.read_parquet(write_molecules(timed, tmp_path / "timed.parquet"))   # a date beside a time: both kept
    assert back["tested"].tolist() == ["2026-01-02", "2026-01-03 13:45:00"]
    # times of two units (seconds beside nanoseconds) failed the write; a zoned time beside a naive one lost its zone
    units = pd.DataFrame({"smiles": ["CCO", "CCN"], "tested": pd.Series(
        [np.datetime64("2026-01-02T10:00:00", "s"), np.datetime64("2026-01-03T11:00:00.000000001", "ns")], dtype=object)})
    back = pd.read_parquet(write_molecules(units, tmp_path / "units.parquet"))
    assert back["tested"].tolist() == ["2026-01-02T10:00:00", "2026-01-03T11:00:00.000000001"]
    zoned = pd.DataFrame({"smiles": ["CCO", "CCN", "CCC"], "tested": pd.Series(
        [pd.Timestamp("2026-01-02 10:00"), pd.Timestamp("2026-01-02 10:00", tz="Europe/Berlin"), None], dtype=object)})
    back = pd.read_parquet(write_molecules(zoned, tmp_path / "zoned.parquet"))
    assert back["tested"].tolist()[:2] == ["2026-01-02 10:00:00", "2026-01-02 10:00:00+01:00"]
    assert back["tested"].isna().tolist()[2]
    # a missing time in another unit, and two zones, alike (a review: the write failed; Berlin read back as UTC's)
    missing = pd.DataFrame({"smiles": ["CCO", "CCN"], "tested": pd.Series(
        [np.datetime64("2026-01-02T10:00:00", "s"), np.datetime64("NaT", "ns")], dtype=object)})
    back = pd.read_parquet(write_molecules(missing, tmp_path / "missing.parquet"))
    assert back["tested"].tolist()[0] == "2026-01-02T10:00:00" and back["tested"].isna().tolist()[1]
    zones = pd.DataFrame({"smiles": ["CCO", "CCN"], "tested": pd.Series(
        [pd.Timestamp("2026-01-02 10:00", tz="UTC"), pd.Timestamp("2026-01-02 10:00", tz="Europe/Berlin")], dtype=object)})
    back = pd.read_parquet(write_molecules(zones, tmp_path / "zones.parquet"))
    assert back["tested"].tolist() == ["2026-01-02 10:00:00+00:00", "2026-01-02 10:00:00+01:00"]
    # days alone, and durations, which Arrow writes from no object column (a review: the write failed)
    days = pd.DataFrame({"smiles": ["CCO", "CCN"], "tested": pd.Series(
        [np.datetime64("2026-01-02", "D"), np.datetime64("2026-01-03", "D")], dtype=object),
        "took": pd.Series([np.timedelta64(3, "h"), np.timedelta64("NaT", "h")], dtype=object)})
    back = pd.read_parquet(write_molecules(days, tmp_path / "days.parquet"))
    assert back["tested"].tolist() == ["2026-01-02", "2026-01-03"] and back["took"].tolist()[0] == "3 hours"
    assert back["took"].isna().tolist()[1]


def test_an_sdf_record_rdkit_cannot_read_says_why_where_molgen_can_tell(tmp_path):
    """A review: a record with an unknown element read only "unreadable molblock"; the element and its line in
    the file are said now, as is an atom count its atom block does not hold."""
    block = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO"))
    v3000 = Chem.MolToV3KMolBlock(Chem.MolFromSmiles("CCN"))
    records = [block, block.replace("O   0", "Xx  0"), block.replace("  3  2  0", "  9  2  0"),
               v3000.replace(" N ", " Qq "), block.replace("O   0", "D   0")]
    text = "".join(record + "$$$$\n" for record in records)
    frame = read_molecules(write(tmp_path / "odd.sdf", text))
    lines = text.splitlines()
    xx_line = next(i for i, line in enumerate(lines, start=1) if " Xx " in line)
    qq_line = next(i for i, line in enumerate(lines, start=1) if " Qq " in line)
    assert frame["read_error"].iloc[1] == f"record starting at line 12: unknown element 'Xx' on line {xx_line}"
    assert frame["read_error"].iloc[2] == ("record starting at line 23: line 30 is no atom line, but the counts line "
                                           "(line 26) gives 9 atoms")
    assert frame["read_error"].iloc[3].endswith(f": unknown element 'Qq' on line {qq_line}")
    assert frame["smiles"].iloc[4] == "[2H]CC" and frame["read_error"].iloc[4] is None   # D is deuterium, read
    # a V3000 atom line carried on by "-" (a code review: its second half's MASS=13 was read as an element)
    lines = Chem.MolToV3KMolBlock(Chem.MolFromSmiles("[13CH3]CN")).splitlines()
    head, tail = next(line for line in lines if "MASS=" in line).split(" MASS=")
    carried = "\n".join(part for line in lines for part in (
        [head + " -", "M  V30 MASS=" + tail + " CHG=0"] if "MASS=" in line else [line])).replace(" N ", " Qq ")
    frame = read_molecules(write(tmp_path / "carried.sdf", carried + "\n$$$$\n"))
    qq = next(i for i, line in enumerate(carried.splitlines(), start=1) if " Qq " in line)
    assert frame["read_error"].iloc[0] == f"record starting at line 1: unknown element 'Qq' on line {qq}"


def test_a_write_protected_file_is_not_replaced_and_a_replaced_one_keeps_its_permissions(tmp_path):
    """A rename replaces a file whatever its mode: a chemist's `chmod a-w` on an earlier export was gone without a
    word, and a replaced file took the default mode (a review)."""
    import os

    from molgen.data.files import check_writable
    from molgen.data.with_manifest import WriteError, write_with_manifest

    frame = pd.DataFrame({"smiles": ["CCO", "c1ccccc1"]})
    kept = write_molecules(frame, tmp_path / "kept.csv")
    os.chmod(kept, 0o444)
    before = kept.read_bytes()
    for attempt in (lambda: check_writable(kept), lambda: write_molecules(frame.head(1), kept)):
        with pytest.raises((FileFormatError, PermissionError), match="write-protected"):
            attempt()
    assert kept.read_bytes() == before and list(tmp_path.iterdir()) == [kept]   # no temporary file left either
    os.chmod(kept, 0o640)
    write_molecules(frame.head(1), kept)
    assert kept.read_text().count("\n") == 2 and os.stat(kept).st_mode & 0o777 == 0o640
    # molgen's own files (a checkpoint, a cache, a card) are replaced whatever their mode: a umask of 0222 made every
    # file 0444, and training failed at its second checkpoint (a code review); the mode stays
    from molgen.data.files import write_text

    own = write_text("first", tmp_path / "own.txt")
    os.chmod(own, 0o444)
    assert write_text("second", own).read_text() == "second" and os.stat(own).st_mode & 0o777 == 0o444
    own.unlink()
    # the pair an export writes: a protected manifest keeps the file as it was too
    pair = tmp_path / "pair.csv"
    write_with_manifest(frame, pair, lambda sha256: {"sha256": sha256})
    manifest = tmp_path / "pair.csv.manifest.json"
    os.chmod(manifest, 0o444)
    before = pair.read_bytes(), manifest.read_bytes()
    with pytest.raises(WriteError, match="pair.csv.manifest.json is write-protected .*nothing was written"):
        write_with_manifest(frame.head(1), pair, lambda sha256: {"sha256": sha256})
    assert (pair.read_bytes(), manifest.read_bytes()) == before
