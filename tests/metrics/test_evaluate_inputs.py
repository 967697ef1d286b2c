"""`molgen evaluate` on files as a chemist has them (from a workflow review): a table under the wrong suffix, a .smi
written name first, standard input, blank lines in a CSV, and the KL score counting the valid molecules every
other metric counts."""

import json

import pytest
from typer.testing import CliRunner

from molgen.cli import app
from molgen.data.files import FileFormatError, read_molecules

MOLECULES = ["O=C(CNC(=O)c1cnc2ccccc2n1)OCc1ccccc1", "Cc1ccc(C)c2sc(N3CCN(S(C)(=O)=O)CC3)nc12", "CCOc1ccccc1",
             "CC(=O)Nc1ccc(O)cc1", "c1ccc2[nH]ccc2c1"]


def test_the_kl_score_counts_the_valid_molecules_every_other_metric_counts():
    from molgen.metrics.guacamol import stereo_free_unique

    named = [f"{s} name{i}" for i, s in enumerate(MOLECULES)]   # RDKit reads 'CCO name' as CCO; molgen: no molecule
    assert len(stereo_free_unique(named)) == 5   # GuacaMol's own reading, which the reference keeps
    assert stereo_free_unique(named, as_molgen_reads=True) == []
    assert len(stereo_free_unique(MOLECULES, as_molgen_reads=True)) == 5


@pytest.mark.parametrize("name, text", [
    ("tabs.csv", "smiles\tname\n" + "".join(f"{s}\tm{i}\n" for i, s in enumerate(MOLECULES))),
    ("commas.txt", "smiles,name\n" + "".join(f"{s},m{i}\n" for i, s in enumerate(MOLECULES))),
    ("commas.smi", "SMILES,name\n" + "".join(f"{s},m{i}\n" for i, s in enumerate(MOLECULES))),
])
def test_a_table_under_another_suffix_is_read_as_its_delimiter_says(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    frame = read_molecules(path)   # each row whole as one SMILES (validity 0), the header one sample more
    assert frame["smiles"].tolist() == MOLECULES and frame["name"].tolist() == [f"m{i}" for i in range(5)]


def test_a_smi_file_written_name_first_is_refused_with_its_line(tmp_path):
    path = tmp_path / "idfirst.smi"
    path.write_text("".join(f"ZINC{i} {s}\n" for i, s in enumerate(MOLECULES)))
    with pytest.raises(FileFormatError, match="line 1: its records are written name first"):
        read_molecules(path)
    fine = tmp_path / "named.smi"   # SMILES first, names that happen to be SMILES too: as written
    fine.write_text("".join(f"{s} CCO\n" for s in MOLECULES))
    assert read_molecules(fine)["smiles"].tolist() == MOLECULES


def test_evaluate_reads_standard_input_and_skips_blank_lines_in_a_csv(tmp_path, fetched_moses):
    out = tmp_path / "metrics.json"
    result = CliRunner().invoke(app, ["evaluate", "-", "--train", "none", "-o", str(out)],
                                input="\n".join(MOLECULES) + "\n")
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())["stdin"]
    assert report["input"]["file"] == "(standard input)" and report["n"] == 5 and report["valid"] == 1.0
    table = tmp_path / "samples.csv"   # pandas writes an empty sample as "": a blank line in a table is no sample
    table.write_text("SMILES\n" + "\n".join(MOLECULES) + "\n\n")
    result = CliRunner().invoke(app, ["evaluate", str(table), "--train", "none", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["samples"]["valid"] == 1.0
