import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from typer.testing import CliRunner

from molgen import __version__
from molgen.cli import app
from molgen.models import load

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_version_from_the_installed_console_script():
    script = Path(sys.executable).parent / "molgen"
    command = [str(script)] if script.exists() else [shutil.which("molgen")]
    out = subprocess.run(command + ["--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"molgen {__version__}"


def test_data_list_shows_both_datasets():
    result = run("data", "list")
    assert result.exit_code == 0
    assert "moses-sample" in result.output and "moses" in result.output


def test_data_info_prints_split_sizes():
    result = run("data", "info", "moses-sample")
    assert result.exit_code == 0, result.output
    assert "5,000" in result.output and "1,000" in result.output


def test_data_info_of_unfetched_moses_says_how_to_fetch(empty_cache):
    result = run("data", "info", "moses")
    assert result.exit_code == 1
    assert "molgen data fetch moses" in result.output


def test_unknown_dataset_exits_2_with_the_known_names():
    result = run("data", "info", "zinc")
    assert result.exit_code == 2 and "moses-sample" in result.output


def test_fetch_with_a_corrupted_wheel_fails_cleanly(tmp_path, empty_cache):
    wheel = tmp_path / "molsets-0.3.1-py3-none-any.whl"
    wheel.write_bytes(b"corrupted")
    result = run("data", "fetch", "moses", "--wheel", str(wheel))
    assert result.exit_code == 1
    assert "fetch failed" in result.output and "sha256" in result.output


def test_featurize_reports_graphs_and_atom_types():
    result = run("data", "featurize", "moses-sample", "--split", "test")
    assert result.exit_code == 0, result.output
    assert "1,000 graphs (Kekulé bonds), 0 failures" in result.output and "atom types: C, N, O" in result.output


def test_featurize_takes_the_aromatic_scheme():
    result = run("data", "featurize", "moses-sample", "--split", "test", "--aromatic-bonds")
    assert result.exit_code == 0, result.output
    assert "1,000 graphs (aromatic bonds), 0 failures" in result.output and "N[H1]" in result.output


def test_score_asks_whether_a_column_given_holds_smiles_when_none_of_its_rows_is_a_molecule(tmp_path, monkeypatch):
    """From a review: --smiles-column pointed at a column of names scored every row invalid without a word on the
    column."""
    from molgen import cli

    monkeypatch.setattr(cli.console, "_width", 400)
    source = tmp_path / "series.csv"
    source.write_text("smiles,id\nCC(=O)Oc1ccccc1C(=O)O,aspirin\nCCN(CC)CC,triethylamine\n")
    wrong = run("score", str(source), "--smiles-column", "id", "-o", str(tmp_path / "wrong.csv"))
    said = " ".join(wrong.output.split())
    assert wrong.exit_code == 0 and "no row of column 'id' is a molecule: does it hold the SMILES? The table's other " \
                                    "columns: input_smiles" in said   # as the scored table names it
    right = run("score", str(source), "--smiles-column", "smiles", "-o", str(tmp_path / "right.csv"))
    assert right.exit_code == 0 and "does it hold the SMILES" not in right.output


def test_score_writes_every_row_with_reasons(tmp_path):
    import pandas as pd
    from rdkit import Chem

    source = tmp_path / "series.csv"
    source.write_text("smiles,id\nCC(=O)Oc1ccccc1C(=O)O,a\nC1CC,b\nCCN(CC)CC,c\n")
    out = tmp_path / "scored.parquet"
    result = run("score", str(source), "--profile", "lead-like", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "3 rows (2 valid, 1 invalid" in result.output and "replaced" not in result.output
    # scored again over its output: said (a review: written over without a word, as export and augment say it)
    again = run("score", str(source), "--profile", "lead-like", "-o", str(out))
    assert again.exit_code == 0 and f"{out}, {out}.manifest.json existed and are replaced" in " ".join(again.output.split())
    table = pd.read_parquet(out)
    assert table["id"].tolist() == ["a", "b", "c"] and table["line"].tolist() == [2, 3, 4]
    assert table["reason"][1].startswith("syntax") and pd.isna(table["rank"].tolist()[1])   # no rank: sorted last
    # its manifest: what scored it (the profile whole, readable back by --profile) and what came of it
    import hashlib
    import json

    from molgen.scoring.profiles import load_profile

    manifest_path = tmp_path / "scored.parquet.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["input"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert manifest["output"]["rows"] == 3 and manifest["output"]["valid"] == 2
    assert manifest["output"]["invalid_by_reason"] == {"syntax": 1} and manifest["score"]["settings"]["largest_fragment"] is False
    assert load_profile(manifest_path).to_dict() == load_profile("lead-like").to_dict()
    sdf = tmp_path / "scored.sdf"
    assert run("score", str(source), "-o", str(sdf)).exit_code == 0
    records = list(Chem.SDMolSupplier(str(sdf)))
    assert len(records) == 3 and records[1].GetNumAtoms() == 0 and records[1].GetProp("valid") == "False"
    # a file with a column of the reader's name, and names no Python identifier could hold: nothing lost or renamed
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("smiles,line,IC50 (nM)\nCCO,HeLa,12.5\n")
    assert run("score", str(labelled), "-o", str(tmp_path / "labelled.sdf")).exit_code == 0
    record = next(iter(Chem.SDMolSupplier(str(tmp_path / "labelled.sdf"))))
    assert record.GetProp("IC50 (nM)") == "12.5" and record.GetProp("input_line") == "HeLa" and record.GetProp("line") == "2"
    # the output is never the input
    refused = run("score", str(labelled), "-o", str(labelled))
    assert refused.exit_code == 2 and "is the input" in " ".join(refused.output.split())
    assert labelled.read_text().startswith("smiles,line")


def test_score_names_the_line_a_repeated_molecule_first_appeared_on(tmp_path):
    import pandas as pd

    source = tmp_path / "series.csv"   # paracetamol three times, with three activities, one line blank
    source.write_text("smiles,pIC50\nCC(=O)Nc1ccc(O)cc1,5.2\nCCO,4\n\nOc1ccc(NC(C)=O)cc1,5.3\nCC(=O)Nc1ccc(O)cc1,5.4\n")
    result = run("score", str(source), "-o", str(tmp_path / "scored.csv"))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "scored.csv")
    assert table["duplicate"].tolist() == [False, False, True, True]
    assert table["duplicate_of_line"].tolist()[2:] == [2, 2] and table["duplicate_of_line"].isna().tolist()[:2] == [True, True]
    assert table["line"].tolist() == [2, 3, 5, 6] and "duplicate_of" not in table
    # the file's own columns sit beside the molecule, then the verdict, then the properties
    assert list(table.columns[:8]) == ["input", "valid", "reason", "smiles", "line", "pIC50", "rank", "score"]
    # a scored file scored again: its columns are the input's now, the new ones molgen's
    again = run("score", str(tmp_path / "scored.csv"), "-o", str(tmp_path / "again.csv"))
    assert again.exit_code == 0, again.output
    rescored = pd.read_csv(tmp_path / "again.csv")
    assert rescored["input_duplicate_of_line"].tolist()[2:] == [2, 2] == rescored["duplicate_of_line"].tolist()[2:]
    assert rescored["input_line"].tolist() == [2, 3, 5, 6] and rescored["line"].tolist() == [2, 3, 4, 5]


def test_score_warns_of_salts_and_scores_their_parent_when_asked(tmp_path):
    import pandas as pd

    source = tmp_path / "salts.csv"
    source.write_text("smiles,id,activity\nCC(C)Cc1ccc(C(C)C(=O)[O-])cc1.[Na+],1,6.5\nCCO,2,5\n"
                      "[Fe+2].[O-]C(=O)C.[O-]C(=O)C,3,4\n[Na+].[Cl-],4,3\n")
    whole, parent = tmp_path / "whole.parquet", tmp_path / "parent.parquet"
    result = run("score", str(source), "-o", str(whole))
    said = " ".join(result.output.split())  # Rich wraps at the terminal's width
    assert result.exit_code == 0 and "3 rows are salts or mixtures" in said and "--largest-fragment" in said
    result = run("score", str(source), "-o", str(parent), "--largest-fragment")
    # what each became, counted (a review was told every salt got a neutral organic parent)
    assert result.exit_code == 0 and ("1 salt or mixture (column fragments > 1) was scored by the parent (the largest "
                                      "organic fragment by heavy atoms that is no known counter-ion, neutralized); 1 "
                                      "holds no organic fragment and was scored as the largest inorganic one (line "
                                      "5); 1 was scored whole, no fragment being a parent apart from known "
                                      "counter-ions (line 4)"
                                      ) in " ".join(result.output.split())
    a, b = pd.read_parquet(whole), pd.read_parquet(parent)
    assert a["fragments"].tolist() == b["fragments"].tolist() == [2, 1, 3, 2]
    assert b["smiles"].tolist()[2:] == ["CC(=O)[O-].CC(=O)[O-].[Fe+2]", "[Cl-]"]
    assert b["smiles"][0] == "CC(C)Cc1ccc(C(C)C(=O)O)cc1" and b["logp"][0] > a["logp"][0] + 2
    assert b["activity"].dtype == "float64" and b["id"].tolist() == [1, 2, 3, 4]  # numbers from CSV stay numbers
    # a sodium salt written with its metal uncharged ([Na]) was struck out as a radical without a word (a review)
    uncharged = tmp_path / "uncharged.csv"
    uncharged.write_text("smiles\nCC(C)Cc1ccc(C(C)C(=O)O)cc1.[Na]\nC[CH2]\n")
    result = run("score", str(uncharged), "-o", str(tmp_path / "uncharged.parquet"))
    said = " ".join(result.output.split())
    # a pick that fails the hard filters is said (a review: --top 50 picked two, unsaid)
    picked = run("score", str(uncharged), "-o", str(tmp_path / "picked.csv"), "--top", "2")
    assert "picked 2 (column pick); 2 of them fail the profile's hard filters (score 0): --passing-only leaves " \
        "them out" in " ".join(picked.output.split())
    assert result.exit_code == 0 and ("1 row writes a salt's metal without its charge ([Na] for [Na+]; line 2): "
                                      "RDKit reads the lone metal as a radical (the radicals alert is on it, and it "
                                      "fails the profile's hard filters (score 0))") in said
    assert "--largest-fragment scores the parent" in said
    assert run("score", str(uncharged), "-o", str(tmp_path / "parents.parquet"), "--largest-fragment").exit_code == 0
    assert pd.read_parquet(tmp_path / "parents.parquet")["passes_filters"].tolist() == [True, False]


def test_scoring_a_file_with_no_molecules_exits_2_and_writes_nothing(tmp_path):
    for name, text in (("empty.smi", ""), ("header.csv", "smiles,id\n")):
        source, out = tmp_path / name, tmp_path / f"{name}.scored.csv"
        source.write_text(text)
        result = run("score", str(source), "-o", str(out))
        assert result.exit_code == 2 and f"{name}: holds no molecules" in " ".join(result.output.split())
        assert not out.exists()


def test_score_with_a_misspelt_profile_exits_2(tmp_path):
    source = tmp_path / "s.csv"
    source.write_text("smiles\nCCO\n")
    profile = tmp_path / "p.toml"
    profile.write_text('name = "p"\n[[components]]\nproperty = "qde"\n')
    result = run("score", str(source), "--profile", str(profile), "-o", str(tmp_path / "o.csv"))
    assert result.exit_code == 2 and "did you mean 'qed'" in result.output
    assert not (tmp_path / "o.csv").exists()


def test_score_picks_the_diverse_best_and_keeps_every_row(tmp_path):
    import pandas as pd
    from rdkit import Chem, DataStructs

    from molgen.scoring.similarity import morgan_fingerprint

    source = tmp_path / "s.csv"
    # repeated column names are kept by position, not doubled
    source.write_text("smiles,id,id\nc1ccccc1O,1,2\nCc1ccccc1O,3,4\nCCc1ccccc1O,5,6\nCC(=O)Nc1ccc(O)cc1,7,8\n"
                      "C1CC,9,10\nOCCN1CCOCC1,11,12\nc1ccccc1O,13,14\n")
    out = tmp_path / "o.csv"
    result = run("score", str(source), "-o", str(out), "--top", "3", "--diverse", "0.3")
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[0].split(",").count("id") == 2
    table = pd.read_csv(out)
    assert len(table) == 7   # every row written, the invalid one and the repeat too
    picked = table[table["pick"].notna()].sort_values("pick")
    assert picked["pick"].tolist() == [1, 2, 3] and picked["rank"].is_monotonic_increasing
    assert not picked["duplicate"].any() and picked["valid"].all()
    fps = [morgan_fingerprint(Chem.MolFromSmiles(s)) for s in picked["smiles"]]
    assert max(DataStructs.BulkTanimotoSimilarity(fps[i], fps[:i]) for i in range(1, 3))[0] <= 0.3
    assert json.loads((tmp_path / "o.csv.manifest.json").read_text())["output"]["picked"] == 3
    # asked for more than there are: said, not padded
    short = run("score", str(source), "-o", str(tmp_path / "p.csv"), "--top", "50")
    assert "picked 5 of the 50 asked for" in " ".join(short.output.split())
    # a file picked before, picked again: its pick kept as the input's; Parquet and SDF give repeated names a number
    for suffix in ("parquet", "sdf"):
        again = run("score", str(out), "-o", str(tmp_path / f"again.{suffix}"), "--top", "2")
        assert again.exit_code == 0, again.output
    again = pd.read_parquet(tmp_path / "again.parquet")
    assert again["input_pick"].notna().sum() == 3 and again["pick"].notna().sum() == 2
    assert {"id", "id (2)"} <= set(again.columns)


def test_score_reads_a_second_smiles_column_as_the_files_own(tmp_path):
    import pandas as pd

    for header in ("smiles,smiles", "SMILES,smiles"):
        source = tmp_path / "twice.csv"
        source.write_text(f"{header}\nCCO,CCN\n")
        result = run("score", str(source), "-o", str(tmp_path / "twice.csv.out.csv"))
        assert result.exit_code == 0, result.output
        table = pd.read_csv(tmp_path / "twice.csv.out.csv")
        assert table["smiles"].tolist() == ["CCO"] and table["input_smiles"].tolist() == ["CCN"]
    # and under a name no other column of the file has
    source.write_text("SMILES,smiles,input_smiles\nCCO,CCN,CCC\n")
    assert run("score", str(source), "-o", str(tmp_path / "three.csv")).exit_code == 0
    table = pd.read_csv(tmp_path / "three.csv")
    assert table["input_smiles"].tolist() == ["CCC"] and table["input_input_smiles"].tolist() == ["CCN"]
    # a Parquet file the same (the read column renamed smiles had taken its place: the file's smiles was lost)
    pd.DataFrame({"SMILES": ["CCO"], "smiles": ["CCN"], "input_smiles": ["CCC"]}).to_parquet(tmp_path / "three.parquet")
    said = run("score", str(tmp_path / "three.parquet"), "-o", str(tmp_path / "three-pq.csv"))
    assert said.exit_code == 0 and "'smiles' also names SMILES and is kept as a column" in " ".join(said.output.split())
    table = pd.read_csv(tmp_path / "three-pq.csv")
    assert table["smiles"].tolist() == ["CCO"]
    assert table["input_smiles"].tolist() == ["CCC"] and table["input_input_smiles"].tolist() == ["CCN"]


def test_score_with_the_moses_alert_set_says_to_fetch_it_before_reading(tmp_path, monkeypatch):
    monkeypatch.setenv("MOLGEN_CACHE", str(tmp_path / "empty"))
    from molgen.scoring.alerts import moses_filter_patterns

    moses_filter_patterns.cache_clear()
    source = tmp_path / "s.csv"
    source.write_text("smiles\nCCO\n")
    profile = tmp_path / "p.toml"
    profile.write_text('name = "p"\nalerts = ["moses"]\n[[components]]\nproperty = "qed"\n')
    result = run("score", str(source), "--profile", str(profile), "-o", str(tmp_path / "o.csv"))
    moses_filter_patterns.cache_clear()
    assert result.exit_code == 2 and "molgen data fetch moses" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o.csv").exists()


def test_evaluate_writes_table_json_markdown_and_plots(tmp_path, sample_smiles, fetched_moses):
    import json

    generated = tmp_path / "model_a.csv"
    generated.write_text("smiles\n" + "\n".join(sample_smiles[:150] + ["C1CC"]) + "\n")
    reference = tmp_path / "ref.csv"
    reference.write_text("smiles\n" + "\n".join(sample_smiles[5000:5300]) + "\n")
    out, md, plots = tmp_path / "report.json", tmp_path / "report.md", tmp_path / "plots"
    result = run("evaluate", str(generated), "--reference", str(reference), "--train", "none",
                 "-o", str(out), "--markdown", str(md), "--plots", str(plots))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())["model_a"]
    assert report["n"] == 151 and report["valid"] == pytest.approx(150 / 151)
    assert "FCD/TestSF" in report and report["FCD/TestSF"] is None   # n/d in the table, null in the JSON
    assert report["Novelty"] is None and report["FCD/Test"] > 0
    assert "| model_a | 151 | 0.9934 |" in md.read_text()
    # the columns named after properties are distances, not values: said beside the table, with its notes
    assert "weight are Wasserstein distances" in md.read_text() and "weight are Wasserstein distances" in " ".join(result.output.split())
    assert "- model_a: " in md.read_text() and report["notes"][0] in md.read_text()
    assert "replaced" not in result.output
    again = run("evaluate", str(generated), "--reference", str(reference), "--train", "none",
                "-o", str(out), "--markdown", str(md), "--plots", str(plots))
    said = " ".join(again.output.split())
    assert f"{out}, {md} existed and are replaced" in said and f"{plots / 'weight.png'} existed and are replaced" in said
    assert sorted(p.name for p in plots.iterdir()) == ["QED.png", "SA.png", "logP.png", "weight.png"]
    # two files with one stem keep a row each, named by path; an empty file is an error
    (tmp_path / "b").mkdir()
    twin = tmp_path / "b" / "model_a.csv"
    twin.write_text("smiles\n" + "\n".join(sample_smiles[:50]) + "\n")
    result = run("evaluate", str(generated), str(twin), "--reference", str(reference), "--train", "none", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"{out} existed and is replaced" in " ".join(result.output.split())
    assert {m["n"] for m in json.loads(out.read_text()).values()} == {151, 50}
    # --jobs keeps it to the processes given (a review on a shared machine could not), the numbers the same
    one = tmp_path / "one.json"
    result = run("evaluate", str(twin), "--reference", str(reference), "--train", "none", "--jobs", 1, "-o", str(one))
    assert result.exit_code == 0, result.output
    by_path = json.loads(out.read_text())
    twin_row = next(m for m in by_path.values() if m["n"] == 50)
    assert json.loads(one.read_text())["model_a"]["FCD/Test"] == twin_row["FCD/Test"]
    from rdkit import Chem

    respelled = tmp_path / "train.smi"   # the first 50 samples, written another way: not novel
    respelled.write_text("\n".join(Chem.MolToSmiles(Chem.MolFromSmiles(s), doRandom=True, canonical=False)
                                   for s in sample_smiles[:50]) + "\n")
    result = run("evaluate", str(twin), "--reference", str(reference), "--train", str(respelled), "-o", str(out))
    assert result.exit_code == 0 and json.loads(out.read_text())["model_a"]["Novelty"] == 0.0
    import hashlib   # the files the numbers were measured against, checksummed too

    taken = json.loads(out.read_text())["model_a"]["input"]
    assert taken["train_sha256"] == hashlib.sha256(respelled.read_bytes()).hexdigest()
    assert taken["reference_sha256"] == hashlib.sha256(reference.read_bytes()).hexdigest()
    ranked = tmp_path / "export.csv"   # a ranked table (a run's export): its validity is the selection's, said
    ranked.write_text("rank,smiles,score,molecule_id\n" + "\n".join(f"{i + 1},{s},0.5,m{i}"
                                                                  for i, s in enumerate(sample_smiles[:40])) + "\n")
    result = run("evaluate", str(ranked), "--reference", str(reference), "--train", "none", "-n", 30, "-o", str(out))
    assert result.exit_code == 0, result.output
    note = json.loads(out.read_text())["export"]["notes"][-1]
    assert note.startswith("a run's export") and note.endswith("-n took its first 30 rows, its best ranked")
    assert "`molgen evaluate --run RUN` measures all of a run's molecules" in note
    assert not any("run's export" in n for n in report["notes"])   # plain samples carry no such note
    own = tmp_path / "own.csv"   # a chemist's own ranked file (rank, score; no molgen molecule_id) is no run's export
    own.write_text("rank,smiles,score\n" + "\n".join(f"{i + 1},{s},0.5" for i, s in enumerate(sample_smiles[:40])) + "\n")
    result = run("evaluate", str(own), "--reference", str(reference), "--train", "none", "-o", str(out))
    assert result.exit_code == 0 and not any("run's export" in n for n in json.loads(out.read_text())["own"]["notes"])
    assert json.loads(out.read_text())["own"]["input"]["smiles_column"] == "smiles"   # the column measured, recorded
    assert run("score", str(generated), "-o", str(tmp_path / "scored.csv")).exit_code == 0   # input order, invalid kept
    result = run("evaluate", str(tmp_path / "scored.csv"), "--reference", str(reference), "--train", "none", "-o", str(out))
    assert result.exit_code == 0 and not any("run's export" in n for n in json.loads(out.read_text())["scored"]["notes"])
    empty = tmp_path / "empty.csv"
    empty.write_text("smiles\n")
    result = run("evaluate", str(empty), "--reference", str(reference), "--train", "none")
    assert result.exit_code == 2 and "empty.csv: holds no molecules (a header, then nothing)" in " ".join(result.output.split())


def test_fine_tune_the_shipped_model_on_a_series(tmp_path, monkeypatch):
    """`molgen train smiles-lm --from pretrained --data my.csv`: the prior learns the series' chemistry."""
    import torch

    from molgen import cli

    monkeypatch.setattr(cli, "FINE_TUNE_SAMPLES", 100)   # the card's measurement, not what this test reads
    from molgen.data.registry import load_smiles
    from molgen.models.smiles_lm.model import SmilesLM
    from molgen.models.smiles_lm.train import tokenize_set, validation_nll

    series = [s for split in ("train", "test", "test_scaffolds") for s in load_smiles("moses-sample", split)
              if "S(=O)(=O)N" in s or "NS(=O)(=O)" in s][:400]
    held_out, used = series[:60], series[60:]
    source = tmp_path / "sulfonamides.csv"
    source.write_text("smiles\n" + "\n".join(used) + "\nnot-a-molecule\n")
    out = tmp_path / "focused.pt"
    torch.manual_seed(0)
    result = run("train", "smiles-lm", "--from", "pretrained", "--data", str(source), "--max-steps", "40",
                 "--batch-size", "32", "--eval-every", "20", "--out", str(out), "--threads", "1", "--min-lr", "2e-5")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert (f"1 of {len(used) + 1} rows (under 1%) is left out: line {len(used) + 2} (not-a-molecule): not a valid "
            "molecule") in said
    prior, focused = load("smiles-lm"), SmilesLM.load(out)
    assert focused.vocabulary.to_dict() == prior.vocabulary.to_dict()
    assert focused.training["data"] == str(source.resolve()) and focused.training["steps"] == 40
    assert focused.training["train_config"]["min_lr"] == 2e-5
    # the card keeps the lineage: which checkpoint it started from and that one's own budget
    started_from = focused.training["started_from"]
    assert started_from["checkpoint"].endswith(".pt") and started_from["steps"] == prior.training["steps"]
    assert started_from["sha256"] == hashlib.sha256(Path(started_from["checkpoint"]).read_bytes()).hexdigest()
    assert started_from["data_fingerprint"] == prior.training["data_fingerprint"] != focused.training["data_fingerprint"]
    # the shipped model's own score on the series' validation molecules is step 0 of the log and on the card: the
    # bar the fine-tune is judged by (four reviewed fine-tunes kept their first steps, and nothing said whether they
    # beat their start)
    logged = out.with_suffix(".csv").read_text().splitlines()
    assert logged[1].startswith("0,0,0,") and float(logged[1].split(",")[-1]) == started_from["valid_score_at_start"]
    assert started_from["valid_score_at_start"] > focused.training["valid_nll_per_token"]
    wrong = run("train", "smiles-lm", "--from", "pretrained", "--data", str(source), "--max-steps", "2",
                "--out", str(tmp_path / "x.pt"), "--lr", "1e-4", "--min-lr", "1e-3")
    assert wrong.exit_code == 2 and "--min-lr 0.001 must lie between 0 and the peak learning rate 0.0001" in wrong.output
    data = tokenize_set(held_out, prior.vocabulary, prior.config.max_len)
    before, after = validation_nll(prior, data), validation_nll(focused, data)
    print(f"held-out sulfonamide NLL per token: prior {before:.4f}, fine-tuned {after:.4f}")
    assert after < before - 0.02


def test_a_fine_tune_lists_what_it_cannot_learn_resumes_on_its_own_series_and_checkpoints_on_ctrl_c(tmp_path, monkeypatch):
    """From a chemist's review: a resumed fine-tune trained on MOSES at the from-scratch learning rate; one unknown
    token stopped training, one molecule per attempt; Ctrl-C before the first evaluation lost the work; --arch was
    ignored beside --from."""
    from molgen import cli
    from molgen.models.smiles_lm import train as train_module
    from molgen.models.smiles_lm.model import SmilesLM
    from molgen.models.training import state_path

    monkeypatch.setattr(cli.console, "_width", 400)   # a long temporary path is not folded mid-word

    series = ["COc1cc(Nc2nccc(-c3ccc(F)cc3)n2)cc(OC)c1OC", "CNC(=O)c1ccc(Nc2nccc(-c3ccncc3)n2)cc1",
              "NS(=O)(=O)c1ccc(Nc2nccc(-c3ccsc3)n2)cc1", "c1cc(-c2ccsc2)nc(Nc2ccc(OCCN3CCCC3)cc2)n1",
              "Fc1ccc(-c2ccnc(Nc3cccc(Cl)c3)n2)cc1", "CN1CCN(Cc2ccc(Nc3nccc(-c4cccnc4)n3)cc2)CC1"] * 2
    source = tmp_path / "series.csv"
    source.write_text("id,mol\n" + "".join(f"K{i},{s}\n" for i, s in enumerate(series)) +
                      "X1,CN1CCN(Cc2ccc(Nc3nccc(-c4cccnc4)n3)cc2)CC1.Cl\nX2,C[C@H](N)c1ccc(Nc2nccc(-c3cccnc3)n2)cc1\n"
                      "X3,C[Si](C)(C)c1ccc(Nc2nccc(-c3cccnc3)n2)cc1\nX4,OB(O)c1ccccc1\nX5,c1ccccc1N(\n")
    out = tmp_path / "ft" / "series.pt"
    first = run("train", "smiles-lm", "--from", "pretrained", "--data", str(source), "--smiles-column", "mol",
                "--max-steps", "3", "--out", str(out), "--threads", "1")
    assert first.exit_code == 0, first.output
    said = " ".join(first.output.split())
    assert "1 row: salt or charge state read as its neutral parent (line 14)" in said and "1 row: stereo dropped" in said
    # every row the model cannot learn, at once, by its file line, with why
    # how many of the file's rows, and for which kinds of reason (a review: a fifth of a series left out, said only
    # in a list cut short)
    assert ("3 of 17 rows (18%) are left out (2: a token not in the model's vocabulary; 1: not a valid molecule): line 16"
            in said and "token [Si] not in the model's vocabulary" in said)
    assert "line 17 (OB(O)c1ccccc1): token B not in" in said and "line 18 (c1ccccc1N(): not a valid molecule" in said
    assert "6 train / 1 valid molecules; 3 steps, validated every 1" in said   # six distinct, one held out
    assert "7 rows: the same molecule as an earlier row once read so" in said   # six repeats and the salt
    record = SmilesLM.load(out).training
    assert record["data"] == str(source.resolve())   # the card finds the file from any folder
    assert record["data_preparation"]["smiles_column"] == "mol" and record["data_preparation"]["rows"] == 17
    assert [row["where"] for row in record["data_preparation"]["left_out"]] == ["line 16", "line 17", "line 18"]

    # resumed with nothing but --max-steps, from another folder: the series, its column and the fine-tune's settings
    monkeypatch.chdir(tmp_path / "ft")
    resumed = run("train", "smiles-lm", "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "5")
    assert resumed.exit_code == 0, resumed.output
    said = " ".join(resumed.output.split())
    assert f"continuing on {source.resolve()} with the run's settings" in said and "lr 0.0003" in said
    assert "threads 1" in said   # the thread count the run was given
    log = out.with_suffix(".csv").read_text().splitlines()
    assert [line.split(",")[0] for line in log[1:]] == ["0", "1", "2", "3", "4", "5"]   # 0: the shipped model's score
    assert max(float(line.split(",")[4]) for line in log[2:]) <= 3e-4   # no jump to the from-scratch 1e-3
    other = tmp_path / "other.smi"
    other.write_text("CCO\nCCN\nCCC\n")
    moved = run("train", "smiles-lm", "--resume", str(out.with_suffix(".last.pt")), "--data", str(other),
                "--max-steps", "6", "--threads", "1", "--out", str(tmp_path / "other.pt"))
    assert moved.exit_code == 0 and "not the data it learned" in moved.output and "a fine-tune of it" in moved.output
    # continued on other molecules: a fine-tune of the series model, as --from does it (its own schedule, its best
    # validated on its own molecules: it was judged against the series' validation score, and none was written)
    onwards = SmilesLM.load(tmp_path / "other.pt").training
    assert onwards["data"] == str(other.resolve()) and onwards["started_from"]["data"] == str(source.resolve())
    assert onwards["started_from"]["started_from"]["data"] == "moses"
    # a flag shaping a new model did nothing on a resume (--arch transformer trained the LSTM on): refused
    reshaped = run("train", "smiles-lm", "--resume", str(out.with_suffix(".last.pt")), "--arch", "transformer",
                   "--size", "tiny", "--max-steps", "7")
    assert reshaped.exit_code == 2 and "--arch, --size shape a new model; --resume takes the model of" in \
        " ".join(reshaped.output.split())
    for family, flag in (("graph-vae", "--properties"), ("graph-diffusion", "--aromatic-bonds")):
        said = run("train", family, "--resume", str(tmp_path / "any.last.pt"), flag, *(["qed"] if flag == "--properties" else []))
        assert said.exit_code == 2 and f"{flag} shapes a new model" in " ".join(said.output.split())

    # Ctrl-C during a step lets it finish, then checkpoints, so a short fine-tune is resumable
    import os
    import signal

    calls = {"n": 0}
    real_loss = train_module._loss

    def interrupted_at_the_third(*args, **kwargs):
        if not torch.is_grad_enabled():   # a validation's loss (step 0 validates a fine-tune's start), not a step's
            return real_loss(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 3:
            os.kill(os.getpid(), signal.SIGINT)   # as a terminal's Ctrl-C, in the middle of the third step
        return real_loss(*args, **kwargs)

    monkeypatch.setattr(train_module, "_loss", interrupted_at_the_third)
    short = tmp_path / "short.pt"
    before = signal.getsignal(signal.SIGINT)   # the default, or SIG_IGN in a job a shell started in the background
    stopped = run("train", "smiles-lm", "--from", "pretrained", "--data", str(source), "--smiles-column", "mol",
                  "--max-steps", "50", "--eval-every", "1000", "--out", str(short), "--threads", "1")
    assert stopped.exit_code == 130 and "continue with --resume" in stopped.output
    assert torch.load(state_path(short.with_suffix(".last.pt")), weights_only=True)["step"] == 3
    assert signal.getsignal(signal.SIGINT) is before   # Ctrl-C does as it did before training
    monkeypatch.undo()

    # a run of the fine-tuned model keeps what it learned from, and the run list names the checkpoint
    monkeypatch.setenv("MOLGEN_HOME", str(tmp_path / "home"))
    generated = run("generate", "--model", str(out), "-n", "5", "--name", "from-series", "--max-samples", "200")
    assert generated.exit_code == 0, generated.output
    # how many keep a scaffold of the series, and how many its most common ring system (the phenyl: the rows left
    # out carry one too), said by the run and by runs show alike (from chemists' reviews: "a ring system of the
    # series" meant a whole Murcko scaffold, 3% where 20% kept the core)
    kept = re.search(r"(\d+) of the (\d+) ranked molecules keep a whole Murcko scaffold of series.csv, "
                     r"(\d+) of the best (\d+); (\d+) hold its ring system c1ccccc1 \(that of 100% of the series\), "
                     r"(\d+) of the best \4", " ".join(generated.output.split()))
    assert kept, generated.output
    assert int(kept[1]) <= int(kept[2]) and int(kept[3]) <= min(int(kept[1]), int(kept[4]))
    assert int(kept[1]) <= int(kept[5]) <= int(kept[2]) and int(kept[6]) <= min(int(kept[5]), int(kept[4]))
    assert kept[0] in " ".join(run("runs", "show", "from-series").output.split())
    shown = json.loads(run("runs", "show", "from-series", "--json").output)
    assert shown["model_training"]["data"] == str(source.resolve()) and shown["model_training"]["rows_left_out"] == 3
    assert shown["model_training"]["started_from"][0]["data"] == "moses"
    assert "smiles-lm: series.pt" in " ".join(run("runs", "list").output.split())

    # --arch beside --from: the shipped model of that arch, or refused when the checkpoint is another
    mismatch = run("train", "smiles-lm", "--from", str(out), "--arch", "transformer", "--data", str(source),
                   "--smiles-column", "mol", "--out", str(tmp_path / "t.pt"))
    assert mismatch.exit_code == 2 and "is a lstm" in " ".join(mismatch.output.split())


def test_a_run_says_how_many_of_its_molecules_its_model_was_trained_on(tiny_checkpoint, tmp_path, monkeypatch):
    """A fine-tuned model writes its series back, and those ranked beside new molecules unnoticed."""
    import importlib

    generate_module = importlib.import_module("molgen.runs.generate")   # the module, not the function it exports

    class Everything:   # every molecule sampled is a training molecule
        def __contains__(self, smiles):
            return True

    monkeypatch.setenv("MOLGEN_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(generate_module, "training_molecules", lambda record: Everything())
    result = run("generate", "--model", str(tiny_checkpoint), "-n", "5", "--name", "copies", "--max-samples", "400",
                 "--threads", "1")
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "are in the model's training data (moses-sample): column novel is False for them" in said
    assert "molgen export copies --where 'novel == True'" in said
    monkeypatch.setattr(generate_module, "training_molecules", lambda record: None)
    unknown = run("generate", "--model", str(tiny_checkpoint), "-n", "5", "--name", "unknown", "--max-samples", "400")
    assert "novelty unknown: the model's training data (moses-sample) cannot be read from here" in \
        " ".join(unknown.output.split())


def test_a_graph_model_resumed_without_data_continues_on_its_own_file(tmp_path, monkeypatch):
    from molgen import cli
    from molgen.data.registry import load_smiles

    monkeypatch.setattr(cli.console, "_width", 400)   # a long temporary path is not folded mid-word
    monkeypatch.setattr(cli.error_console, "_width", 400)
    series = tmp_path / "series.smi"
    # one line no model can learn: featurizing drops it, and the resume must not guess a subset from the count
    series.write_text("\n".join(load_smiles("moses-sample", "train")[:60]) + "\nC1CC\n")
    out = tmp_path / "d.pt"
    first = run("train", "graph-diffusion", "--size", "tiny", "--data", str(series), "--max-steps", "2",
                "--eval-every", "1", "--out", str(out), "--threads", "1")
    assert first.exit_code == 0, first.output
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["training"]["data"] == str(series.resolve())
    # the line it cannot learn is listed, as a SMILES model lists it, and the count said is the card's
    said = " ".join(first.output.split())
    assert "1 of 61 rows (2%) is left out: line 61 (C1CC): not a valid molecule" in said
    # which file, by its checksum; and that the run trained to the end of its schedule
    assert card["training"]["data_preparation"]["sha256"] == hashlib.sha256(series.read_bytes()).hexdigest()
    assert card["training"]["run_end"]["state"] == "finished" and card["training"]["run_end"]["at_step"] == 2
    assert card["training"]["data_preparation"]["left_out"][0]["where"] == "line 61"
    assert f"{card['training']['molecules']} train / " in said
    # a new model samples with the shipped model's step count, not all 500 of its timesteps
    assert card["config"]["default_steps"] == 50 and "sampling takes 50 steps of its 500" in said
    monkeypatch.chdir(tmp_path.parent)   # another folder: the card's absolute path still finds the file
    again = run("train", "graph-diffusion", "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "3",
                "--eval-every", "1", "--threads", "1")
    assert again.exit_code == 0, again.output
    assert f"continuing on {series.resolve()} with the run's settings (" in " ".join(again.output.split())
    # the only bromide and the largest molecule fall among the validation molecules: a resume on the file read
    # them against the model's vocabulary and size, left them out, and refused its own molecules as others
    small = tmp_path / "small.csv"
    small.write_text("smiles,pIC50\n" + "".join(f"{s},5\n" for s in (
        "CCO CCN CCC c1ccccc1 Brc1ccccc1 CC(=O)O CCCC CCCN CCOC c1ccncc1 CC(C)O OCCO NCCN CC(=O)N c1ccoc1 CCS CC#N "
        "C1CCCCC1 C1CCNCC1 Cc1ccccc1").split()))
    tiny = tmp_path / "tiny.pt"
    assert run("train", "graph-diffusion", "--data", str(small), "--out", str(tiny), "--max-steps", "2", "--eval-every",
               "2", "--batch-size", "8", "--timesteps", "10", "--threads", "1").exit_code == 0
    resumed = run("train", "graph-diffusion", "--resume", str(tiny.with_suffix(".last.pt")), "--max-steps", "3",
                  "--threads", "1")
    assert resumed.exit_code == 0 and "left out" not in resumed.output, resumed.output
    series.rename(tmp_path / "moved.smi")
    gone = run("train", "graph-diffusion", "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "4")
    assert gone.exit_code == 2 and "not found from here: put it back there to continue the run" in \
        " ".join(gone.output.split())


def test_a_killed_training_checkpoints_the_step_it_reached_and_dies_of_the_signal(tmp_path):
    """``kill`` ended a training where it stood, losing every step since the last evaluation: now the step under
    way finishes and is checkpointed, the command to continue is said, and the process dies of SIGTERM, as a
    killed ``molgen generate`` does."""
    import os
    import signal
    import time

    from molgen.models.training import state_path

    script = Path(sys.executable).parent / "molgen"
    out = tmp_path / "d.pt"
    process = subprocess.Popen([str(script), "train", "graph-diffusion", "--data", "moses-sample", "--size", "tiny",
                                "--max-molecules", "400", "--max-steps", "100000", "--eval-every", "100000",
                                "--out", str(out), "--threads", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env={**os.environ, "COLUMNS": "300"})
    seen = []
    for line in process.stdout:   # the model is built and training starts after this line
        seen.append(line)
        if "parameters;" in line:
            break
    time.sleep(3)
    process.send_signal(signal.SIGTERM)
    said = "".join(seen) + process.stdout.read()
    assert process.wait(timeout=120) == -signal.SIGTERM, said
    assert f"interrupted; continue with --resume {out.with_suffix('.last.pt')}" in " ".join(said.split())
    assert torch.load(state_path(out.with_suffix(".last.pt")), weights_only=True)["step"] >= 1


def test_a_fine_tune_learns_the_rows_a_measured_column_selects_and_its_card_says_what_it_writes(tmp_path, monkeypatch):
    """A chemist fine-tuning on the potent compounds of an assay export: --where reads a qualified value as what
    it stands for and ChEMBL's separate relation column; a resume keeps the selection; the card measures samples."""
    from molgen import cli
    from molgen.models.smiles_lm.model import SmilesLM

    monkeypatch.setattr(cli.console, "_width", 400)
    monkeypatch.setattr(cli, "FINE_TUNE_SAMPLES", 200)
    rows = [("K1", "c1ccc(Nc2nccc(-c3cccnc3)n2)cc1", "7.5", "'='"), ("K2", "Cc1ccc(Nc2nccc(-c3cccnc3)n2)cc1", "6.1", "'='"),
            ("K3", "COc1ccc(Nc2nccc(-c3cccnc3)n2)cc1", "8", "'>'"), ("K4", "Clc1ccc(Nc2nccc(-c3cccnc3)n2)cc1", "7.2", "'<'"),
            ("K5", "Fc1ccc(Nc2nccc(-c3cccnc3)n2)cc1", "", ""), ("K6", "CCc1ccc(Nc2nccc(-c3cccnc3)n2)cc1", "8.2", "'='"),
            ("K7", "CN(C)c1ccc(Nc2nccc(-c3cccnc3)n2)cc1", "7.1", "'='"), ("K8", "Oc1ccc(Nc2nccc(-c3cccnc3)n2)cc1", "9", "'='")]
    source = tmp_path / "assay.csv"
    source.write_text("Molecule ChEMBL ID;Smiles;Standard Relation;pIC50\n" +
                      "".join(f"{i};{smi};{rel};{value}\n" for i, smi, value, rel in rows))
    out = tmp_path / "ft" / "potent.pt"
    bad = run("train", "smiles-lm", "--from", "pretrained", "--data", str(source), "--where", "pKi>=7", "--out", str(out))
    assert bad.exit_code == 2 and "no column 'pKi' in the file" in " ".join(bad.output.split())
    first = run("train", "smiles-lm", "--from", "pretrained", "--data", str(source), "--where", "pic50 >= 7",
                "--max-steps", "3", "--out", str(out), "--threads", "1")
    assert first.exit_code == 0, first.output
    said = " ".join(first.output.split())
    # ChEMBL's relation qualifies the concentration: beside a pIC50 it reads flipped ('>' 8 is a pIC50 below 8)
    assert "--where pIC50>=7 keeps 5 of 8 rows" in said and "line 3 (pIC50 6.1 is not >= 7)" in said
    assert "line 4 (pIC50 <8 may or may not be >= 7)" in said and "1 left out, not measured: line 6" in said
    preparation = SmilesLM.load(out).training["data_preparation"]
    assert preparation["where"] == ["pIC50>=7"] and preparation["rows_selected"] == 5
    card = json.loads(out.with_suffix(".json").read_text())["metrics"]
    assert card["samples"] == 200 and 0 < card["valid"] <= 1 and card["held_out"] == 1
    assert card["distinct_valid"] >= card["new_molecules"] + card["held_out_found"]
    assert "200 samples (seed 0, temperature 1):" in said and "held-out series members found" in said
    resumed = run("train", "smiles-lm", "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "4")
    assert resumed.exit_code == 0, resumed.output   # the same five rows: the run's selection, not the whole file
    assert "where pIC50>=7" in " ".join(resumed.output.split())
    concentration = tmp_path / "nm.csv"
    concentration.write_text("Smiles;Standard Relation;Standard Value\n" + "".join(
        f"{smi};{rel};{value}\n" for smi, rel, value in [(rows[0][1], "'='", "50"), (rows[1][1], "'<'", "80"),
                                                         (rows[2][1], "'>'", "10"), (rows[5][1], "'='", "20"),
                                                         (rows[0][1], "'='", "500")]))   # K1 measured again, weaker
    by_value = run("train", "smiles-lm", "--from", "pretrained", "--data", str(concentration), "--where",
                   "Standard Value<=100", "--max-steps", "1", "--out", str(tmp_path / "nm-model.pt"), "--threads", "1")
    said = " ".join(by_value.output.split())
    assert by_value.exit_code == 0 and "keeps 3 of 5 rows" in said and "(Standard Value >10 may or may not be <= 100)" in said
    # a compound measured either side of the condition is said, not learned as potent in silence (a review)
    assert "1 compound is kept by one row and left out by another (measurements either side of --where): line 2 " \
        "kept, line 6 not." in said
    assert SmilesLM.load(tmp_path / "nm-model.pt").training["data_preparation"]["compounds_split"] == [
        {"kept": ["line 2"], "left_out": ["line 6"]}]
    # a replicate left out unmeasured or undecided is no measurement on the other side: not said
    from molgen.cli import _compounds_split

    assert _compounds_split(["CCO", "CCO", "CCN", "CCN"], [True, False, True, False], ["line 2", "line 3", "line 4", "line 5"],
                            ["", "pIC50 not measured", "", "pIC50 >6 may or may not be >= 7"]) == []
    dataset = run("train", "smiles-lm", "--from", "pretrained", "--data", "moses-sample", "--where", "pIC50>=7",
                  "--out", str(tmp_path / "w.pt"))
    assert dataset.exit_code == 2 and "--where selects rows of a file" in dataset.output


@contextlib.contextmanager
def _measurement_interrupted(tmp_path, monkeypatch, samples: int):
    """A series of six quinolines to fine-tune on (yielded), while the card's measurement of the samples stops as at
    Ctrl-C; measured again after the block, ``samples`` of them."""
    from molgen import cli
    from molgen.models import fine_tune_report

    monkeypatch.setattr(cli.console, "_width", 400)
    monkeypatch.setattr(cli, "FINE_TUNE_SAMPLES", samples)
    source = tmp_path / "series.smi"
    source.write_text("".join(f"{s}\n" for s in ("Clc1ccc2ncccc2c1", "Cc1ccc2ncccc2c1", "COc1ccc2ncccc2c1",
                                                  "Nc1ccc2ncccc2c1", "Oc1ccc2ncccc2c1", "CCc1ccc2ncccc2c1")))
    measure = fine_tune_report.measure_fine_tune

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fine_tune_report, "measure_fine_tune", interrupted)
    try:
        yield source
    finally:
        monkeypatch.setattr(fine_tune_report, "measure_fine_tune", measure)


@pytest.mark.parametrize("family", ["graph-vae", "graph-diffusion"])
def test_a_graph_fine_tunes_measurement_interrupted_is_made_by_its_resume_command(family, tmp_path, monkeypatch):
    """As for smiles-lm: the graph families' --resume of a finished fine-tune whose card lacks its measurement."""
    out = tmp_path / "q.pt"
    with _measurement_interrupted(tmp_path, monkeypatch, samples=20) as source:
        stopped = run("train", family, "--resume", f"molgen/pretrained/{family}.pt", "--data", str(source),
                      "--max-steps", "1", "--out", str(out), "--threads", "1", "--batch-size", "4")
    assert stopped.exit_code == 130, stopped.output
    measured = run("train", family, "--resume", str(out.with_suffix(".last.pt")))
    said = " ".join(measured.output.split())
    assert measured.exit_code == 0 and "measuring it now, training nothing" in said, measured.output
    assert json.loads(out.with_suffix(".json").read_text())["metrics"]["samples"] == 20


def test_a_resume_with_a_longer_schedule_keeps_a_typed_validation_interval(tmp_path, monkeypatch):
    """From a review: --max-steps on a resume replaced the run's own --eval-every 50 by a tenth of the new schedule,
    unsaid; only an interval that was the default follows the new schedule."""
    from molgen import cli

    monkeypatch.setattr(cli.console, "_width", 400)
    series = tmp_path / "series.smi"
    series.write_text("".join(f"c1ccc(cc1){tail}\n" for tail in ("C", "CC", "CCC", "O", "OC", "N", "NC", "Cl", "F", "CO")))
    common = ("--batch-size", "4", "--threads", "1", "--size", "tiny", "--data", str(series))
    typed = run("train", "smiles-lm", *common, "--out", str(tmp_path / "typed.pt"), "--max-steps", "4", "--eval-every", "3")
    assert typed.exit_code == 0, typed.output
    longer = run("train", "smiles-lm", "--resume", str(tmp_path / "typed.last.pt"), "--max-steps", "60")
    assert longer.exit_code == 0 and "60 steps, validated every 3" in " ".join(longer.output.split())
    default = run("train", "smiles-lm", *common, "--out", str(tmp_path / "default.pt"), "--max-steps", "20")
    assert default.exit_code == 0 and "20 steps, validated every 2" in " ".join(default.output.split())
    longer = run("train", "smiles-lm", "--resume", str(tmp_path / "default.last.pt"), "--max-steps", "30")
    assert longer.exit_code == 0 and "30 steps, validated every 3" in " ".join(longer.output.split())


def test_a_fine_tunes_measurement_interrupted_is_made_by_its_resume_command_training_nothing(tmp_path, monkeypatch):
    """From a review: Ctrl-C while a finished fine-tune was sampled for its card left it unmeasured for good, as
    its --resume answered "at the end of --max-steps" and nothing else measured it."""
    out = tmp_path / "q.pt"
    with _measurement_interrupted(tmp_path, monkeypatch, samples=100) as source:
        stopped = run("train", "smiles-lm", "--from", "pretrained", "--data", str(source), "--max-steps", "2",
                      "--out", str(out), "--threads", "1")
    said = " ".join(stopped.output.split())
    assert stopped.exit_code == 130 and f"molgen train smiles-lm --resume {out.with_suffix('.last.pt')} measures it" in said
    assert "samples" not in json.loads(out.with_suffix(".json").read_text())["metrics"]
    log = out.with_suffix(".csv").read_text()
    measured = run("train", "smiles-lm", "--resume", str(out.with_suffix(".last.pt")))
    said = " ".join(measured.output.split())
    assert measured.exit_code == 0, measured.output
    assert "holds no measurement of its samples: measuring it now, training nothing" in said
    assert "100 samples (seed 0, temperature 1):" in said and "holding the series' ring system c1ccc2ncccc2c1" in said
    assert json.loads(out.with_suffix(".json").read_text())["metrics"]["samples"] == 100
    assert out.with_suffix(".csv").read_text() == log   # not one step trained
    again = run("train", "smiles-lm", "--resume", str(out.with_suffix(".last.pt")))
    assert again.exit_code == 2 and "the end of --max-steps 2" in " ".join(again.output.split())


@pytest.mark.parametrize("family", ["graph-vae", "graph-diffusion"])
def test_a_graph_model_resumed_takes_its_runs_subset_and_settings(family, tmp_path, monkeypatch):
    """A graph run resumed with --resume and a longer --max-steps went back to the flags' defaults: all of the data
    instead of its --max-molecules subset, another seed, learning rate and batch (as smiles-lm did before)."""
    from molgen import cli

    monkeypatch.setattr(cli.console, "_width", 400)
    monkeypatch.setattr(cli.error_console, "_width", 400)
    out = tmp_path / "g.pt"
    settings = ("--max-molecules", "120", "--seed", "3", "--lr", "0.003", "--batch-size", "8", "--eval-every", "1",
                "--threads", "1")
    first = run("train", family, "--size", "tiny", "--data", "moses-sample", "--max-steps", "2", "--out", str(out),
                *settings)
    assert first.exit_code == 0, first.output
    again = run("train", family, "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "3")
    assert again.exit_code == 0, again.output
    said = " ".join(again.output.split())
    assert "with the run's settings (" in said and "max_molecules 120" in said and "seed 3" in said
    card = json.loads(out.with_suffix(".json").read_text())["training"]
    assert card["steps"] == 3 and card["molecules"] == 108   # 120 less the tenth held out: the run's own subset
    config = card["train_config"]
    assert (config["max_molecules"], config["seed"], config["lr"], config["batch_size"], config["threads"]) == \
        (120, 3, 0.003, 8, 1)
    assert config.get("valid_size", 12) == 12   # the 12 validated on (the VAE's card said its default, 5,000)
    # another subset asked for without --data is refused: the card would describe molecules the model never saw
    other = run("train", family, "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "4",
                "--max-molecules", "100")
    assert other.exit_code == 2 and "the training molecules differ from those of the run resumed" in other.output


@pytest.mark.parametrize("family", ["graph-vae", "smiles-lm"])
def test_a_run_resumed_with_a_longer_schedule_keeps_its_warm_up(family, tmp_path):
    """A review: a finished run resumed with a larger --max-steps went back into a warm-up as long as the new
    schedule's tenth (the learning rate from 1e-4 up to 6.7e-4 and on), a restart it was never told of."""
    from molgen.models.base import load_checkpoint

    out = tmp_path / "w.pt"
    size = ("--size", "tiny") if family == "graph-vae" else ("--arch", "lstm", "--size", "tiny")
    first = run("train", family, *size, "--data", "moses-sample", "--max-steps", "20", "--max-molecules", "120",
                "--eval-every", "10", "--out", str(out), "--threads", "1")
    assert first.exit_code == 0, first.output
    last = out.with_suffix(".last.pt")
    assert load_checkpoint(last)["training"]["train_config"]["warmup_steps"] == 2   # a tenth of 20
    longer = run("train", family, "--resume", str(last), "--max-steps", "60")
    assert longer.exit_code == 0, longer.output
    config = load_checkpoint(last)["training"]["train_config"]
    assert (config["max_steps"], config["warmup_steps"]) == (60, 2)   # not 6: the run's warm-up is behind it
    # the decay laid out again over 60 steps is said (the rate rose without a word), and the card keeps both lengths
    said = " ".join(longer.output.split())
    assert "--max-steps 60 stretches the run's schedule of 20 steps" in said and "at step 20 the learning rate" in said
    from types import SimpleNamespace

    from molgen import cli

    record = {"steps": 5, "train_config": {"max_steps": 100, "lr": 1e-3, "min_lr": 1e-4, "warmup_steps": 10}}
    with cli.console.capture() as captured:   # in its warm-up, or with a lower --lr, the rate does not rise
        cli._say_schedule_stretched(record, SimpleNamespace(lr=1e-3, min_lr=1e-4, warmup_steps=10, max_steps=200), True)
        cli._say_schedule_stretched({**record, "steps": 60},
                                    SimpleNamespace(lr=1e-4, min_lr=1e-5, warmup_steps=10, max_steps=200), True)
    assert not captured.get().strip()
    assert [r["max_steps"] for r in load_checkpoint(last)["training"]["earlier_runs"]] == [20]
    # a new run of 60 steps has its own tenth
    fresh = run("train", family, *size, "--data", "moses-sample", "--max-steps", "60", "--max-molecules", "120",
                "--eval-every", "30", "--max-minutes", "0.0001", "--out", str(tmp_path / "f.pt"), "--threads", "1")
    assert fresh.exit_code == 0, fresh.output
    assert load_checkpoint(tmp_path / "f.last.pt")["training"]["train_config"]["warmup_steps"] == 6
    from molgen.cli import _warmup_steps

    # resumed with a schedule shorter than the run's warm-up, a warm-up of its own (else it never peaks nor decays)
    assert _warmup_steps(300, {"train_config": {"warmup_steps": 500}}, True) == 30
    assert _warmup_steps(60, {"train_config": {}}, True) == 6   # a card without one


def test_a_subset_recorded_before_cards_named_it_is_found_from_the_molecules_trained_on():
    from molgen.cli import _recorded_max_molecules

    assert _recorded_max_molecules({"molecules": 598_000}, 1_584_663, 2000) == 600_000   # the shipped diffusion's run
    assert _recorded_max_molecules({"molecules": 108}, 1000, 5000) == 120   # a tenth held out of a small subset
    assert _recorded_max_molecules({"molecules": 900}, 1000, 2000) is None   # all of the data
    assert _recorded_max_molecules({}, 1000, 2000) is None


def test_novelty_of_a_fine_tuned_model_counts_its_series_however_written_and_what_it_started_from(tmp_path):
    from molgen.data.registry import load_smiles
    from molgen.runs.generate import training_molecules

    series = tmp_path / "series.csv"
    # acetanilide and aspirin, not as RDKit writes them; a salt of an amine with its stereo, which a model without
    # stereo tokens learned as the flat free base; the SMILES in a column the card names
    series.write_text("id,mol\na,c1ccccc1NC(C)=O\nb,OC(=O)c1ccccc1OC(C)=O\nc,C[C@H](N)c1ccccc1.Cl\n")
    moses = load_smiles("moses-sample", "train")
    known = training_molecules({"data": str(series), "data_preparation": {"smiles_column": "mol"},
                                "started_from": {"data": "moses-sample"}})
    assert {"CC(=O)Nc1ccccc1", "CC(=O)Oc1ccccc1C(=O)O", "CC(N)c1ccccc1", "C[C@H](N)c1ccccc1"} <= known
    assert set(moses) <= known
    assert training_molecules({"data": str(tmp_path / "moved.smi"), "started_from": {"data": "moses-sample"}}) is None
    # of a run's training copies, how many are the series' own (apart from what the model started from)
    from molgen.runs.generate import copies_of_own_data

    record = {"model_training": {"data": str(series), "smiles_column": "mol", "started_from": [{"data": "moses"}]}}
    assert copies_of_own_data(record, ["CC(=O)Nc1ccccc1", "CC(N)c1ccccc1", moses[0]]) == 2
    assert copies_of_own_data({"model_training": {"data": "moses"}}, ["CCO"]) is None   # not fine-tuned


def test_a_series_file_changed_since_the_model_learned_it_is_not_read_as_its_series(tmp_path):
    """A review: a fine-tuned model's run counted novelty, copies and scaffolds against whatever file now lay at its
    path (49 new, then 70 new, the same molecules, after the file was cut to 3 rows), unsaid."""
    from molgen.data.moses import sha256_of
    from molgen.runs.generate import (changed_training_files, copies_of_own_data, model_lineage,
                                      series_scaffold_counts, training_molecules)
    from molgen.runs.notes import training_data_notes

    series = tmp_path / "series.csv"
    series.write_text("smiles\nCC(=O)Nc1ccccc1\nCC(=O)Oc1ccccc1C(=O)O\n")
    card = {"data": str(series), "data_preparation": {"smiles_column": "smiles", "sha256": sha256_of(series)},
            "started_from": {"data": "moses-sample", "data_preparation": {"sha256": "of the dataset, not checked"}}}
    record = {"model_training": model_lineage(card), "counts": {"unique": 2, "novel": None}, "name": "r"}
    assert "CC(=O)Nc1ccccc1" in training_molecules(card) and changed_training_files(record["model_training"]) == []
    assert copies_of_own_data(record, ["CC(=O)Nc1ccccc1"]) == 1
    series.write_text("smiles\nCC(=O)Nc1ccccc1\n")   # a row deleted since the fine-tune
    assert training_molecules(card) is None   # novelty unknown, not counted against another set
    assert copies_of_own_data(record, ["CC(=O)Nc1ccccc1"]) is None
    assert series_scaffold_counts(record, ["CC(=O)Nc1ccccc1"]) is None
    assert changed_training_files(record["model_training"]) == [str(series)]
    import pandas as pd

    stored = pd.DataFrame({"smiles": ["CC(=O)Nc1ccccc1", "CCOc1ccccc1"], "novel": [None, None], "rank": [1, 2]})
    notes = training_data_notes(record, lambda: stored)   # and no scaffold counts of the file as it is now
    assert notes == ["novelty unknown: series.csv has changed since the model learned it (the sha256 differs from "
                     "the card's), so the molecules it saw cannot be read from it (a run made with the file as it "
                     "was counts them)"]
    # the command a note suggests is one a shell reads as written (a review's run "indole «qed» 50%/test")
    named = {"model_training": {"data": "moses"}, "counts": {"unique": 2, "novel": 1}, "name": "indole «qed» 50%'s"}
    said = training_data_notes(named, lambda: stored)
    assert """`molgen export 'indole «qed» 50%'"'"'s' --where 'novel == True' -o new.csv`""" in said[0]
    # fine-tuned again on the file as it is now, from that model: the newer model learned every row there, and the
    # version its parent learned must not make novelty unknown for good (a review)
    again = {"data": str(series), "data_preparation": {"smiles_column": "smiles", "sha256": sha256_of(series)},
             "started_from": card}
    assert "CC(=O)Nc1ccccc1" in training_molecules(again)
    assert changed_training_files(model_lineage(again)) == []
    from molgen.runs.notes import training_sources

    assert training_sources({"model_training": model_lineage(again)}) == (
        (str(series), "smiles", sha256_of(series)), ("moses-sample", None, "of the dataset, not checked"))
    # the same, the parent having read another column of the file: its sha256 is the nearest reading's too
    other_column = {**again, "started_from": {**card, "data_preparation": {"smiles_column": "canonical",
                                                                           "sha256": "the file before the edit"}}}
    series.write_text("smiles,canonical\nCC(=O)Nc1ccccc1,CC(=O)Nc1ccccc1\n")
    other_column["data_preparation"] = {"smiles_column": "smiles", "sha256": sha256_of(series)}
    assert "CC(=O)Nc1ccccc1" in training_molecules(other_column)
    # a path that cannot be read as a file is not "changed": it cannot be read, as a moved file
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert changed_training_files({"data": str(folder), "data_sha256": "ab"}) == []
    # a lineage stored before the file's sha256 was kept reads the file as before
    older = {"model_training": {k: v for k, v in record["model_training"].items() if k != "data_sha256"}}
    assert copies_of_own_data(older, ["CC(=O)Nc1ccccc1"]) == 1


def test_ship_a_checkpoint_in_half_precision_with_its_card(tiny_checkpoint, tmp_path):
    shipped = tmp_path / "shipped.pt"
    result = run("train", "ship", str(tiny_checkpoint), str(shipped))
    assert result.exit_code == 0, result.output
    card = json.loads(shipped.with_suffix(".json").read_text())
    assert card["training"]["weights"] == "float16" and card["training"]["exported_from"] == tiny_checkpoint.name
    assert shipped.stat().st_size < 0.6 * tiny_checkpoint.stat().st_size
    original, copy = load(str(tiny_checkpoint)), load(str(shipped))
    for name, weights in original.network.state_dict().items():
        assert torch.allclose(copy.network.state_dict()[name], weights, rtol=1e-3, atol=1e-3), name
    assert len(copy.sample(8, seed=1)) == 8
    wrong = run("train", "ship", str(tiny_checkpoint), str(tmp_path / "x.pt"), "--default-steps", "50")
    assert wrong.exit_code == 2 and "no field 'default_steps'" in wrong.output
    missing = run("train", "ship", str(tmp_path / "nope.pt"), str(tmp_path / "y.pt"))
    assert missing.exit_code == 2


def test_a_graph_vae_shipped_with_the_dataset_it_trained_on_leaves_its_validation_molecules_out_of_the_prior(tmp_path):
    """A review: `--latent-prior FILE` left out the run's validation molecules, and `--latent-prior moses` (a
    dataset) drew them in."""
    out = tmp_path / "v.pt"
    trained = run("train", "graph-vae", "--size", "tiny", "--data", "moses-sample", "--max-molecules", "200",
                  "--max-steps", "2", "--eval-every", "2", "--out", str(out), "--threads", "1")
    assert trained.exit_code == 0, trained.output
    shipped = run("train", "ship", str(out), str(tmp_path / "s.pt"), "--latent-prior", "moses-sample")
    assert shipped.exit_code == 0, shipped.output
    said = " ".join(shipped.output.split())
    assert "the prior is drawn from the 180 molecules the model trained on; its 20 validation molecules are left " \
        "out" in said
    prior = json.loads((tmp_path / "s.json").read_text())["training"]["latent_prior"]
    assert (prior["posteriors"], prior["validation_left_out"], prior["data"]) == (180, 20, "moses-sample")
    # a card from before cards named --max-molecules (the shipped graph VAE's): the subset is found again as a
    # resume finds it, not said to have changed
    import torch

    held = torch.load(out, weights_only=False)
    del held["training"]["train_config"]["max_molecules"]
    older = tmp_path / "older.pt"
    torch.save(held, older)
    shipped = run("train", "ship", str(older), str(tmp_path / "o.pt"), "--latent-prior", "moses-sample")
    said = " ".join(shipped.output.split())
    assert shipped.exit_code == 0 and "its 20 validation molecules are left out" in said, said


def test_a_graph_vae_of_selected_rows_ships_a_prior_of_those_rows_and_says_how_its_run_ended(tmp_path, monkeypatch):
    """From a training review: `train ship --latent-prior FILE` drew the prior from every row of a file the model
    had learned only the --where rows of; a card named its file by path alone and did not say a run was cut short;
    a shipped card did not say which file it was shipped from; a resume refused for other molecules named only
    the flags that could have changed them."""
    from molgen import cli
    from molgen.data.registry import load_smiles

    monkeypatch.setattr(cli.console, "_width", 400)   # a long temporary path is not folded mid-word
    monkeypatch.setattr(cli.error_console, "_width", 400)
    molecules = load_smiles("moses-sample", "train")[:60]
    series = tmp_path / "series.csv"
    series.write_text("id,smiles,pIC50\n" + "".join(f"C{i},{s},{5 + i % 4}\n" for i, s in enumerate(molecules)))
    selected = sum(1 for i in range(60) if 5 + i % 4 >= 7)
    validation = max(1, selected // 10)   # the run's validation molecules: left out of the prior, as of training
    out = tmp_path / "r" / "v.pt"
    trained = run("train", "graph-vae", "--size", "tiny", "--data", str(series), "--where", "pIC50>=7", "--max-steps", "4",
                  "--eval-every", "2", "--out", str(out), "--threads", "1")
    assert trained.exit_code == 0, trained.output
    card = json.loads(out.with_suffix(".json").read_text())["training"]
    assert card["data_preparation"]["sha256"] == hashlib.sha256(series.read_bytes()).hexdigest()
    assert card["run_end"]["state"] == "finished" and "ended_by" not in card["run_end"]   # its best is this session's
    assert f"--latent-prior {series}`" in " ".join(trained.output.split())   # the file itself, no more "FILE"

    shipped = tmp_path / "v-prior.pt"
    ship = run("train", "ship", str(out), str(shipped), "--latent-prior", str(series))
    assert ship.exit_code == 0, ship.output
    said = " ".join(ship.output.split())
    assert "is read as" in said and "trained on it: the rows where pIC50>=7" in said
    assert f"posteriors of {selected - validation} molecules" in said and "records no end" not in said
    assert f"the prior is drawn from the {selected - validation} molecules the model trained on; its {validation} " \
        "validation molecules are left out" in said
    shipped_card = json.loads(shipped.with_suffix(".json").read_text())["training"]
    assert shipped_card["latent_prior"]["where"] == ["pIC50>=7"]
    assert (shipped_card["latent_prior"]["posteriors"], shipped_card["latent_prior"]["validation_left_out"]) == (
        selected - validation, validation)
    assert shipped_card["exported_from_path"] == str(out.resolve())
    assert shipped_card["exported_from_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    # a copy of the file is the file (its checksum); another file is said to give every row
    copy = tmp_path / "copy.csv"
    copy.write_bytes(series.read_bytes())
    copied = run("train", "ship", str(out), str(tmp_path / "c.pt"), "--latent-prior", str(copy))
    assert copied.exit_code == 0 and f"posteriors of {selected - validation} molecules" in " ".join(copied.output.split())
    other = tmp_path / "other.csv"
    other.write_text("smiles\n" + "\n".join(molecules[:40]) + "\n")
    whole = run("train", "ship", str(out), str(tmp_path / "o.pt"), "--latent-prior", str(other))
    assert whole.exit_code == 0 and "the prior is drawn from every row it holds" in " ".join(whole.output.split())

    # a resume whose molecules differ names what differs, and only that ("pIC50>=7.0" is the run's condition)
    refused = run("train", "graph-vae", "--resume", str(out.with_suffix(".last.pt")), "--seed", "3", "--where",
                  "pIC50 >= 7.0", "--max-molecules", "10000", "--max-steps", "6")   # (10,000: all 30 rows, as the run)
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "(--seed 3 (the run's: 0)): leave out the flag" in said
    # a resume that beats no best (a learning rate that wrecks the weights) says so, and its end is recorded
    on = run("train", "graph-vae", "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "8", "--lr", "50")
    assert on.exit_code == 0 and "no evaluation of this session beat the best so far" in " ".join(on.output.split())
    end = json.loads(out.with_suffix(".json").read_text())["training"]["run_end"]
    assert (end["state"], end["at_step"]) == ("finished", 8)
    # the session that ended the run is named, though the card's command is the best's (a review: named nowhere)
    assert isinstance(end["ended_by"], str) and end["ended_by"]
    # continued under another name, its best is written there, not looked for beside the run resumed
    elsewhere = tmp_path / "r" / "x.pt"
    moved = run("train", "graph-vae", "--resume", str(out.with_suffix(".last.pt")), "--out", str(elsewhere),
                "--max-steps", "10", "--lr", "50")
    assert moved.exit_code == 0 and "no evaluation of this session beat" not in moved.output, moved.output
    assert json.loads(elsewhere.with_suffix(".json").read_text())["training"]["run_end"]["at_step"] == 10
    assert json.loads(out.with_suffix(".json").read_text())["training"]["run_end"]["at_step"] == 8   # untouched
    # its last step, shipped, is of a finished run too
    last = run("train", "ship", str(out.with_suffix(".last.pt")), str(tmp_path / "l.pt"))
    assert last.exit_code == 0 and "records no end" not in last.output and "continue the run" not in last.output
    # and a file changed since the run read it
    with series.open("a") as handle:
        handle.write("C60,c1ccccc1CCN,9\n")
    changed = run("train", "graph-vae", "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "10")
    assert changed.exit_code == 2 and "has changed since the run read it" in " ".join(changed.output.split())

    # a run --max-minutes ended: its card says so, and shipping it says so
    cut = tmp_path / "r" / "w.pt"
    stopped = run("train", "graph-vae", "--size", "tiny", "--data", str(series), "--max-steps", "50", "--eval-every", "10",
                  "--max-minutes", "0.0001", "--out", str(cut), "--threads", "1")
    assert stopped.exit_code == 0, stopped.output
    end = json.loads(cut.with_suffix(".json").read_text())["training"]["run_end"]
    assert end["state"] == "time limit" and end["at_step"] < 50
    assert end["resume_with"] == str(cut.resolve().with_suffix(".last.pt"))
    warned = run("train", "ship", str(cut), str(tmp_path / "w-shipped.pt"))
    assert warned.exit_code == 0 and "stopped by --max-minutes before the end of its schedule" in \
        " ".join(warned.output.split())


def test_a_graph_vae_fine_tune_says_how_much_of_its_series_is_too_large_to_learn(tmp_path, monkeypatch):
    """From a training review: a fine-tune of the shipped graph VAE left out a fifth of a kinase series for size (more
    than its 29 heavy atoms), said only in a list cut short at ten rows."""
    import pandas as pd

    from molgen import cli
    from molgen.data.registry import load_smiles

    monkeypatch.setattr(cli.console, "_width", 400)
    monkeypatch.setattr(cli, "FINE_TUNE_SAMPLES", 100)   # the card's measurement, not what this test reads
    series = tmp_path / "series.smi"
    large = ["C" * (30 + i) for i in range(12)]   # 30 to 41 heavy atoms
    series.write_text("\n".join(load_smiles("moses-sample", "train")[:40] + large) + "\n")
    result = run("train", "graph-vae", "--from", "pretrained", "--data", str(series), "--max-steps", "1",
                 "--eval-every", "1", "--out", str(tmp_path / "ft.pt"), "--threads", "1", "--lr", "3e-5")
    assert result.exit_code == 0, result.output
    # a peak under 3e-4 ends at a third of it (it rose to the fixed 1e-4 end: a review's --lr 3e-5, as a failed
    # fine-tune advises), and the parent's KL weight holds from the first step (it was 0 there)
    card = json.loads((tmp_path / "ft.json").read_text())["training"]
    assert card["train_config"]["min_lr"] == pytest.approx(1e-5) and card["train_config"]["lr"] == 3e-5
    logged = pd.read_csv(tmp_path / "ft.csv")
    first = logged[logged["step"] == 1].iloc[0]
    assert first["beta"] == pytest.approx(card["train_config"]["kl_weight"]) and first["beta"] > 0
    said = " ".join(result.output.split())
    # one kind of reason, counted: more rows than are listed
    assert "12 of 52 rows (23%) are left out (12: more heavy atoms than the 29 this model builds)" in said
    assert "; and 2 more" in said
    assert "12 of the 52 rows read (23%) are larger than the 29 heavy atoms this model builds" in said
    assert "molgen train smiles-lm --from pretrained" in said


def test_ship_refuses_to_overwrite_what_it_ships(tiny_checkpoint, tmp_path):
    own = tmp_path / "own.pt"
    shutil.copy(tiny_checkpoint, own)
    before = own.read_bytes()
    result = run("train", "ship", str(own), str(tmp_path / "." / "own.pt"))
    assert result.exit_code == 2 and "is the checkpoint being shipped" in " ".join(result.output.split())
    assert own.read_bytes() == before
    assert run("train", "ship", str(own), str(tmp_path / "x.txt")).exit_code == 2
    assert "--default-steps must be 1 or more" in run("train", "ship", str(own), str(tmp_path / "y.pt"),
                                                      "--default-steps", "0").output


def test_a_second_training_of_the_same_out_is_refused_while_the_first_runs(tmp_path, monkeypatch):
    """A review: two trainings of one --out, started a second apart, both said they wrote it; the last one's model,
    card and log were all that was left (and the first measured the other's checkpoint for its card)."""
    import fcntl
    import os

    from molgen import cli

    monkeypatch.setattr(cli.error_console, "_width", 400)
    out = tmp_path / "m.pt"
    holder = os.open(tmp_path / "m.pt.lock", os.O_RDWR | os.O_CREAT)   # as a training under way holds it
    fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(holder, b"4242")
    args = ("train", "graph-vae", "--size", "tiny", "--data", "moses-sample", "--max-steps", "1",
            "--max-molecules", "60", "--eval-every", "1", "--out", str(out), "--threads", "1")
    refused = run(*args)
    assert refused.exit_code == 2 and not out.exists()
    assert (f"--out {out} is being trained by another process (pid 4242) right now: wait for it to end, or name "
            f"this run otherwise (--out {tmp_path / 'm-2.pt'})") in refused.output
    os.close(holder)   # that run ended (a killed one leaves its lock file unlocked)
    trained = run(*args)
    assert trained.exit_code == 0, trained.output
    assert out.is_file() and not (tmp_path / "m.pt.lock").exists()   # the name is free again, nothing left beside
    # a file of the chemist's named like RUN.lock is no lock of molgen's: untouched (a review: Pipfile.lock emptied)
    pipfile = tmp_path / "Pipfile.lock"
    pipfile.write_text('{"default": {}}')
    assert run(*args[:-4], "--out", str(tmp_path / "Pipfile.pt"), "--threads", "1").exit_code == 0
    assert pipfile.read_text() == '{"default": {}}'


def test_the_training_lock_is_taken_on_the_file_its_name_holds(tmp_path, monkeypatch):
    """A code review: a lock taken on a file its holder removed as it ended (opened just before) is no lock, and a
    third run would take the new file's: two trainings of one --out. The lock is taken again on the file there."""
    import fcntl
    import os

    from molgen.cli import _hold_run_name

    out = tmp_path / "m.pt"
    lock = tmp_path / "m.pt.lock"
    real_flock, calls = fcntl.flock, []

    def flock_then_replaced(handle, operation):   # the holder ends between our open and our lock
        real_flock(handle, operation)
        if not calls:
            lock.unlink()
            lock.write_text("")
        calls.append(operation)

    monkeypatch.setattr(fcntl, "flock", flock_then_replaced)
    closed = []

    class Context:
        def call_on_close(self, release):
            closed.append(release)

    assert _hold_run_name(Context(), out) is None and len(calls) == 2   # taken again, on the file there now
    monkeypatch.setattr(fcntl, "flock", real_flock)
    other = os.open(lock, os.O_RDWR)
    try:
        with pytest.raises(BlockingIOError):   # held: another run is refused
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(other)
    closed[0]()
    assert not lock.exists()


def test_ship_replaces_no_model_unasked_and_never_a_training_runs(tiny_checkpoint, tmp_path, monkeypatch):
    """A review: `train ship lm.pt sv/vae.pt` replaced another run's fine-tuned VAE and its card without a word;
    resuming that run then crashed on the smiles-lm card (a KeyError, then a traceback)."""
    from molgen import cli

    monkeypatch.setattr(cli.console, "_width", 400)
    monkeypatch.setattr(cli.error_console, "_width", 400)
    shipped = tmp_path / "s.pt"
    assert run("train", "ship", str(tiny_checkpoint), str(shipped)).exit_code == 0
    card = shipped.with_suffix(".json").read_bytes()
    again = run("train", "ship", str(tiny_checkpoint), str(shipped), "--float32")
    assert again.exit_code == 2 and shipped.with_suffix(".json").read_bytes() == card
    assert f"{shipped} exists (a checkpoint): ship to another path ({tmp_path / 's-2.pt'}), or replace it" in again.output
    failed = run("train", "ship", str(tmp_path / "missing.pt"), str(shipped), "--replace")
    assert failed.exit_code == 2 and "replaced" not in failed.output   # a ship that failed replaced nothing
    replaced = run("train", "ship", str(tiny_checkpoint), str(shipped), "--float32", "--replace")
    assert replaced.exit_code == 0 and "existed and are replaced (--replace)" in replaced.output
    assert json.loads(shipped.with_suffix(".json").read_text())["training"]["weights"] == "float32"
    # a training run's best, its resume files beside it: never shipped over, --replace or not
    out = tmp_path / "g.pt"
    trained = run("train", "graph-vae", "--size", "tiny", "--data", "moses-sample", "--max-steps", "1",
                  "--max-molecules", "60", "--eval-every", "1", "--out", str(out), "--threads", "1")
    assert trained.exit_code == 0, trained.output
    model = out.read_bytes()
    over = run("train", "ship", str(tiny_checkpoint), str(out), "--replace")
    assert over.exit_code == 2 and "is a training run's model (g.last.pt" in over.output and out.read_bytes() == model
    # put there by hand: resuming says so, not a traceback
    shutil.copy(tiny_checkpoint, out)
    resumed = run("train", "graph-vae", "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "2")
    assert resumed.exit_code == 2, resumed.output
    assert f"{out}, this run's best checkpoint, is a smiles-lm checkpoint now, not this graph-vae run's" in resumed.output


def test_training_flags_and_data_are_checked_before_any_work(tmp_path):
    """Each of these gave a traceback, a made-up number or a run that never ended."""
    def refused(*args: str) -> str:
        result = run("train", *args, "--out", str(tmp_path / "m.pt"), "--threads", "1")
        assert result.exit_code == 2, result.output
        return " ".join(result.output.split())

    assert "--arch takes lstm or transformer, not gru" in refused("smiles-lm", "--data", "moses-sample", "--arch", "gru")
    text = refused("smiles-lm", "--data", "moses-sample", "--batch-size", "0", "--eval-every", "0")
    assert "--batch-size must be 1 or more" in text and "--eval-every must be 1 or more" in text
    assert "--valid-size must be 1 or more" in refused("smiles-lm", "--data", "moses-sample", "--valid-size", "0")
    assert "--condition-dropout is a chance" in refused("graph-diffusion", "--data", "moses-sample", "--condition-dropout", "2")
    assert "--lr must be positive" in refused("graph-vae", "--data", "moses-sample", "--lr", "-1")
    assert "neither a registered dataset" in refused("graph-vae", "--data", str(tmp_path / "nope.smi"))
    assert "no such checkpoint file" in refused("smiles-lm", "--data", "moses-sample", "--from", str(tmp_path / "nope.pt"))
    one = tmp_path / "one.smi"
    one.write_text("CCO\n")
    # one molecule, held out for validation, left none to train on: the loop waited for a batch forever
    assert "too few to train" in refused("smiles-lm", "--data", str(one), "--size", "tiny", "--max-steps", "5")
    assert "--max-molecules must be 2 or more" in refused("graph-diffusion", "--data", "moses-sample", "--max-molecules", "1")
    # a new model's longest string: a longer molecule is left out by its line, not a traceback inside training
    long = tmp_path / "long.smi"
    long.write_text("C" * 130 + "\n" + "\n".join(["CCO", "CCN", "CCC", "CCCl", "c1ccccc1", "CC(=O)O"] * 2) + "\n")
    made = run("train", "smiles-lm", "--data", str(long), "--size", "tiny", "--max-steps", "1", "--out",
               str(tmp_path / "long.pt"), "--threads", "1")
    assert made.exit_code == 0 and "line 1 (" in made.output and "130 tokens, longer than the model's 126" in \
        " ".join(made.output.split())


def test_a_resumed_run_takes_its_model_from_the_checkpoint_and_reports_when_it_did_not_improve(tmp_path):
    """--resume alone continues a run: no architecture flags to repeat (an LSTM resumed with the default
    --size base was a size-mismatch traceback), the same --out, its conditions; and a session whose
    evaluations do not beat the earlier best says so (it was a KeyError)."""
    out = tmp_path / "runs" / "d.pt"
    common = ("--data", "moses-sample", "--max-molecules", "200", "--eval-every", "5", "--threads", "1")
    first = run("train", "graph-diffusion", "--size", "tiny", "--conditions", "qed,logp", "--max-steps", "10",
                "--out", str(out), *common)
    assert first.exit_code == 0, first.output
    last = out.with_suffix(".last.pt")
    again = run("train", "graph-diffusion", "--resume", str(last), "--max-steps", "10", *common)
    assert again.exit_code == 2 and "is at step 10, the end of --max-steps 10" in " ".join(again.output.split())
    # a learning rate too small to change anything: nothing beats the best, and the card beside it is reported
    flat = run("train", "graph-diffusion", "--resume", str(last), "--max-steps", "15", "--lr", "1e-12", *common)
    assert flat.exit_code == 0, flat.output
    said = " ".join(flat.output.split())   # the path may wrap at the console's width: not asserted
    assert "no evaluation of this session beat the best so far," in said and said.endswith("at step 10")
    assert load(str(out)).config.conditions == ["qed", "logp"]
    assert json.loads(out.with_suffix(".json").read_text())["training"]["steps"] == 10
    assert sum(1 for _ in out.with_suffix(".csv").open()) == 1 + 3   # one log for the run: steps 5, 10 and 15
    lm = tmp_path / "runs" / "lm.pt"
    made = run("train", "smiles-lm", "--size", "tiny", "--max-steps", "10", "--out", str(lm), *common)
    assert made.exit_code == 0, made.output
    resumed = run("train", "smiles-lm", "--resume", str(lm.with_suffix(".last.pt")), "--max-steps", "20", *common)
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(lm.with_suffix(".json").read_text())["training"]["steps"] in (10, 15, 20)
    assert sum(1 for _ in lm.with_suffix(".csv").open()) == 1 + 4
    # a shipped checkpoint continued without --out trains into runs/ as before, never over the shipped file
    from molgen.models.base import PRETRAINED_DIR

    shipped = PRETRAINED_DIR / "graph-vae.pt"
    into = run("train", "graph-vae", "--resume", str(shipped), "--max-steps", "1", "--out", str(PRETRAINED_DIR / "x.pt"),
               *common)
    assert into.exit_code == 2 and "is among the shipped checkpoints" in " ".join(into.output.split())
    from molgen.cli import _resumed_out

    assert _resumed_out(Path("runs/graph-vae.pt"), Path("runs/graph-vae.pt"), shipped) == Path("runs/graph-vae.pt")
    assert _resumed_out(Path("runs/smiles-lm.pt"), Path("runs/smiles-lm.pt"), Path("a/b.last.pt")) == Path("a/b.pt")
    # the run's best (RUN.pt) resumed writes on into its own run too, not over another model's runs/smiles-lm.pt (a
    # review: the default was replaced without a word, its log appended to)
    assert _resumed_out(Path("runs/smiles-lm.pt"), Path("runs/smiles-lm.pt"), Path("a/b.pt")) == Path("a/b.pt")


def test_evaluate_samples_rows_at_random_and_reads_them_beside_the_ceiling_at_their_n(tmp_path, sample_smiles,
                                                                                        fetched_moses, monkeypatch):
    import json

    from molgen import cli

    monkeypatch.setattr(cli.error_console, "_width", 200)
    # a file sorted by size (as a score-sorted export would be): its first rows are not a sample of it
    ordered = sorted(sample_smiles[:400], key=len)
    generated = tmp_path / "sorted.smi"
    # a blank line is an empty sample, between records as before the first or after the last (a generator that
    # wrote '' first or last: skipped, they raised validity, a review)
    generated.write_text("\n" + "\n".join(ordered[:200]) + "\n\n" + "\n".join(ordered[200:]) + "\n\n")
    out, md = tmp_path / "r.json", tmp_path / "r.md"
    result = run("evaluate", str(generated), "--sample", "150", "--seed", "3", "--train", "none", "-o", str(out),
                 "--markdown", str(md))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())["sorted"]
    taken = report["input"]
    assert (taken["rows"], taken["used"], taken["rows_used"]) == (403, 150, "150 drawn at random, seed 3")
    # the blank lines are empty samples, invalid, as MOSES counts '' (skipped, they raised validity: a review)
    assert taken["blank_lines_counted_invalid"] == [1, 202, 403]
    assert "3 blank lines (lines 1, 202, 403) counted as empty samples, invalid" in " ".join(result.output.split())
    assert taken["sha256"] == __import__("hashlib").sha256(generated.read_bytes()).hexdigest()
    assert report["versions"]["rdkit"] and report["versions"]["fcd-torch"] and report["n"] == 150   # FCD's weights
    first = run("evaluate", str(generated), "-n", "150", "--train", "none", "-o", str(tmp_path / "f.json"))
    head = json.loads((tmp_path / "f.json").read_text())["sorted"]
    assert head["input"]["rows_used"] == "the first 150" and head["weight"] > 2 * report["weight"]   # the small ones
    whole = run("evaluate", str(generated), "--train", "none", "-o", str(tmp_path / "w.json"))
    assert whole.exit_code == 0 and json.loads((tmp_path / "w.json").read_text())["sorted"]["valid"] == 400 / 403
    again = run("evaluate", str(generated), "--sample", "150", "--seed", "3", "--train", "none", "-o", str(tmp_path / "a.json"))
    assert again.exit_code == first.exit_code == 0
    assert json.loads((tmp_path / "a.json").read_text())["sorted"]["FCD/Test"] == report["FCD/Test"]   # the seed repeats
    # a row of MOSES's own training molecules at the valid molecules' n, between the rows measured at 100 and 300
    # (linear in 1/n: at 150 half of each, FCD 8.739), and the published Train row said
    from molgen.metrics.ceiling import ceiling_at

    table = md.read_text()
    valid = report["n_valid"]
    assert 140 < valid <= 150 and ceiling_at(150)[1]["FCD/Test"] == pytest.approx(8.739)
    assert f"| MOSES train itself, n = {valid} (the ceiling, interpolated between n = 100 and 300) | {valid} | n/d | n/d | " \
           f"n/d | {ceiling_at(valid)[1]['FCD/Test']:.4f} |" in table
    assert "its Novelty 1.0 included, though training molecules are not novel" in table
    assert "- sorted: 150 of the 403 rows of" in table and "(150 drawn at random, seed 3)" in table
    # the Markdown names the FCD's weights' version (the JSON's did alone) and the reference's size
    assert "fcd-torch 1." in table and "- reference moses (Test 176,074 molecules, TestSF 176,225 molecules)" in table
    import gzip   # a gzipped file's row is named without its .smi too

    packed = tmp_path / "packed.smi.gz"
    packed.write_bytes(gzip.compress(generated.read_bytes()))
    assert run("evaluate", str(packed), "-n", "20", "--train", "none", "-o", str(out)).exit_code == 0
    assert list(json.loads(out.read_text())) == ["packed"]


def test_evaluate_says_the_records_it_could_not_read_and_a_small_reference_costs_only_the_kl_score(
        tmp_path, sample_smiles, fetched_moses, monkeypatch):
    """From an evaluation review: an SDF record that is no molecule was counted invalid without a word on which or
    why; a reference file smaller than the samples (a chemist's actives) ended the command in a traceback with no
    table; the reference's lines that are not molecules went unsaid."""
    from rdkit import Chem

    from molgen import cli

    monkeypatch.setattr(cli.error_console, "_width", 300)
    pentavalent = Chem.MolFromSmiles("C(C)(C)(C)(C)C", sanitize=False)
    pentavalent.UpdatePropertyCache(strict=False)
    blocks = [Chem.MolToMolBlock(Chem.MolFromSmiles(s)) for s in ("CCO", "Oc1ccccc1", "CC(=O)Nc1ccc(O)cc1")]
    blocks.append(Chem.MolToMolBlock(pentavalent, kekulize=False))
    samples = tmp_path / "mix.sdf"
    samples.write_text("$$$$\n".join(blocks) + "$$$$\ntruncated\n  RDKit\n\n  2  1  0  0  0  0  0  0  0  0999 V2000\n")
    reference = tmp_path / "actives.smi"
    reference.write_text("\n".join(["xyz", "", sample_smiles[0]]) + "\n")   # a blank line: skipped, and said
    out = tmp_path / "r.json"
    result = run("evaluate", str(samples), "--reference", str(reference), "--train", "none", "-o", str(out))
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "2 records not read as a molecule, counted invalid (record starting at line 60: atom 1 (C) has a valence " \
           "of 5" in said and "record starting at line 77 is truncated" in said
    report = json.loads(out.read_text())["mix"]
    assert report["valid"] == 0.6 and [r["line"] for r in report["input"]["unreadable_records"]] == [60, 77]
    # each listed with the reader's reason, not "empty SMILES" (a review)
    reasons = {entry["line"]: entry["reason"] for entry in report["invalid_samples"]}
    assert "has a valence of 5" in reasons[60] and "is truncated" in reasons[77]
    # every metric the one reference molecule allows (FCD needs two), and the KL score said not defined
    assert report["KL_score"] is None and report["SNN/Test"] > 0 and report["reference_n"] == {"Test": 1}
    # the KL score draws from the reference's molecules, not its non-molecules
    assert "KL_score not defined: the KL score's reference holds 1 SMILES, fewer than the 3 distinct generated" in said
    assert f"--reference {reference}: 1 blank line between records skipped (line 2)" in said
    assert "1 of the reference's 2 SMILES is not a molecule: the Test statistics are of its 1 valid one" in said
    assert "the Test reference holds 1 molecule: its FCD statistics and the SNN, Frag and Scaf against it are noisy" \
        in said   # a review: FCD 29 against 49 reference molecules, said of nothing
    # a blank line a comment sets apart formats the file: no empty sample, and said as skipped (a review)
    batches = tmp_path / "batches.smi"
    batches.write_text("# model X\n\nCCO\n\n# batch 2\nCCN\n\nCCC\n")
    result = run("evaluate", str(batches), "--train", "none", "--no-published", "-o", str(out))
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and json.loads(out.read_text())["batches"]["valid"] == 0.75   # line 7 is a sample
    assert "1 blank line (line 7) counted as an empty sample" in said and "blank line between records skipped " \
        "(line 4)" in said
    # a SMILES that is no molecule is named by its line and why, once (the blank lines are said above, not again)
    # (a sample in brackets is printed as written: read as markup, it ended the command before its report)
    batches.write_text("CCO\n\nC1CC\nCCN\nc1ccccc1(\nCC[/N]\n" + "\n" * 1200 + "xx\n")
    result = run("evaluate", str(batches), "--train", "none", "--no-published", "-o", str(out))
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "4 samples not a molecule, counted invalid (line 3: not valid SMILES syntax " \
        "(unclosed ring): 'C1CC'; line 5: not valid SMILES syntax" in said and "'CC[/N]'" in said
    assert "line 1207: " in said   # past a thousand blank lines, counted and said apart, not listed
    listed = json.loads(out.read_text())["batches"]["invalid_samples"]
    assert [(e["line"], e["smiles"]) for e in listed if e["smiles"]] == \
        [(3, "C1CC"), (5, "c1ccccc1("), (6, "CC[/N]"), (1207, "xx")]
    assert {e["reason"] for e in listed if not e["smiles"]} == {"blank line: an empty sample"}
    assert "Novelty over" not in said   # --train none: no novelty to compute over
    # an empty cell of a table is no blank line said apart: named by its line
    table = tmp_path / "cells.csv"
    table.write_text('smiles,name\nCCO,a\n,b\nc1ccccc1,c\n"   ",d\n')
    result = run("evaluate", str(table), "--train", "none", "--no-published", "-o", str(out))
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "2 samples not a molecule, counted invalid (line 3: empty SMILES; line 5: " in said


def test_evaluate_a_stored_run_reads_its_molecules_and_takes_validity_and_novelty_from_its_counts(
        tmp_path, tiny_checkpoint, sample_smiles, fetched_moses, monkeypatch):
    from molgen.runs import RunStore

    monkeypatch.setenv("MOLGEN_HOME", str(tmp_path / "home"))
    made = run("generate", "--model", str(tiny_checkpoint), "-n", "40", "--name", "tiny-run", "--max-samples", "300",
               "--threads", "1", "--condition", "qed>=0.5")
    assert made.exit_code == 0, made.output
    record = RunStore().run("tiny-run")
    stored = RunStore().candidates(record["id"], columns=["smiles"])
    counts = record["counts"]
    assert counts["valid"] < counts["sampled"]   # the tiny model samples invalid strings: validity below 1 to check
    other = tmp_path / "other.smi"
    other.write_text("\n".join(sample_smiles[:60]) + "\n")
    out, md = tmp_path / "r.json", tmp_path / "r.md"
    result = run("evaluate", "--run", "tiny-run", str(other), "--reference", "moses-sample", "--train", "moses-sample",
                 "-o", str(out), "--markdown", str(md))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert list(report) == ["other", "tiny-run"]
    measured = report["tiny-run"]
    # every distinct valid molecule stored, conditions met or not; validity as the run counted every sample
    assert measured["n"] == len(stored) and measured["input"]["run"] == record["id"]
    assert measured["valid"] == counts["valid"] / counts["sampled"] and measured["unique@1000"] is None
    assert measured["n_sampled"] == counts["sampled"]   # valid's denominator, in the JSON as a number
    assert measured["valid"] == measured["n_valid_sampled"] / measured["n_sampled"]   # a script's own division agrees
    assert measured["n_unique_sampled"] == counts["unique"] == measured["n_unique"]   # every distinct one measured
    assert measured["Novelty"] is not None and 0 <= measured["Novelty"] <= 1   # --train named a set: measured on it
    said = " ".join(result.output.split())
    assert f"valid: {counts['valid']:,} of the run's {counts['sampled']:,} samples (no correction)" in said
    assert "sampled under conditions (0.5 <= qed)" in said
    assert not any(note.startswith("unique@") for note in measured["notes"])   # not measured, so not explained
    assert f"of the {len(stored):,} distinct valid molecules of run {record['id']}" in md.read_text()
    # without --train, the run's own novelty, against its model's training data
    own = run("evaluate", "--run", record["id"][:15], "--reference", "moses-sample", "-o", str(out))
    assert own.exit_code == 0, own.output
    assert json.loads(out.read_text())["tiny-run"]["Novelty"] == pytest.approx(counts["novelty"], abs=1e-4)
    assert "novelty: the run's own, of the molecules measured, against its model's training data (moses-sample)" in \
        " ".join(own.output.split())
    # -n takes the first molecules sampled, and novelty is theirs (validity can only be the whole run's)
    marks = RunStore().candidates(record["id"], order_by="id", columns=["novel"])["novel"].head(10).astype(bool)
    first = run("evaluate", "--run", "tiny-run", "-n", "10", "--reference", str(other), "-o", str(out))
    assert first.exit_code == 0, first.output
    head = json.loads(out.read_text())["tiny-run"]
    assert head["n"] == 10 and head["Novelty"] == pytest.approx(marks.mean()) and head["valid"] == counts["valid"] / counts["sampled"]
    assert (head["input"]["rows"], head["input"]["used"]) == (len(stored), 10)   # the run's whole count, not 10
    assert head["input"]["reference_sha256"] == hashlib.sha256(other.read_bytes()).hexdigest()   # a file's, checksummed
    # --train none measures no novelty (the run's own is for no --train)
    none = run("evaluate", "--run", "tiny-run", "-n", "10", "--reference", "moses-sample", "--train", "none", "-o", str(out))
    assert none.exit_code == 0 and json.loads(out.read_text())["tiny-run"]["Novelty"] is None
    # a part of the reference measured: said, and how to draw at random only where the first rows were taken
    part = "most are the reference's own molecules: this measures a part of the reference"
    taken = run("evaluate", str(other), "-n", "30", "--reference", str(other), "--train", "none", "-o", str(out))
    note = next(n for n in json.loads(out.read_text())["other"]["notes"] if n.startswith(part))
    assert taken.exit_code == 0 and note.endswith("draw rows at random (--sample N)")
    for rows in (["--sample", "30"], []):   # drawn at random, or every row: --sample would not help
        drawn = run("evaluate", str(other), *rows, "--reference", str(other), "--train", "none", "-o", str(out))
        note = next(n for n in json.loads(out.read_text())["other"]["notes"] if n.startswith(part))
        assert drawn.exit_code == 0 and "--sample" not in note and "first rows" not in note, rows
    # a run not in the store, or named twice, is refused before anything is computed
    missing = run("evaluate", "--run", "nope", "--reference", "moses-sample")
    assert missing.exit_code == 2 and "no run 'nope' in the store" in missing.output
    twice = run("evaluate", "--run", "tiny-run", "--run", record["id"], "--reference", "moses-sample")
    assert twice.exit_code == 2 and f"names run {record['id']} a second time" in " ".join(twice.output.split())
    nothing = run("evaluate")
    assert nothing.exit_code == 2 and "nothing to evaluate" in nothing.output


def test_evaluate_refuses_what_it_cannot_use_before_computing_anything(tmp_path):
    samples = tmp_path / "s.smi"
    samples.write_text("CCO\nCCN\n")

    def refused(*args: str) -> str:
        result = run("evaluate", str(samples), *args)
        assert result.exit_code == 2, result.output
        return " ".join(result.output.split())

    assert "-n must be 1 or more, not -5" in refused("-n", "-5")   # a negative slice dropped the last 5 rows
    assert "--sample must be 1 or more, not 0" in refused("--sample", "0")
    assert "-n (the first rows) or --sample (rows at random), not both" in refused("-n", "1", "--sample", "1")
    assert "--seed 4 draws --sample's rows: give --sample N too" in refused("--seed", "4")
    assert "--reference nope: neither a dataset" in refused("--reference", "nope")
    assert "--train nope.smi: neither a dataset" in refused("--train", "nope.smi")
    assert "the folder" in refused("--train", "none", "-o", str(tmp_path / "no" / "x.json"))
    assert "its name ends in .json" in refused("--train", "none", "-o", str(tmp_path / "x.csv"))
    assert "its name ends in .md" in refused("--train", "none", "--markdown", str(tmp_path / "x.txt"))
    kept = tmp_path / "kept.json"   # a results file its owner protected is not replaced (a code review)
    kept.write_text("{}")
    kept.chmod(0o444)
    assert f"-o {kept}: the file is write-protected" in refused("--train", "none", "-o", str(kept))
    assert kept.read_text() == "{}"
    # --plots naming a file (or a folder under one) crashed after the metrics were computed (a review)
    assert f"--plots {samples}: {samples} is a file" in refused("--train", "none", "--plots", str(samples))
    assert f"{samples} is a file" in refused("--train", "none", "--plots", str(samples / "plots"))
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")   # a link to nothing: mkdir fails on it too
    assert f"{tmp_path / 'dangling'} is a file" in refused("--train", "none", "--plots", str(tmp_path / "dangling"))


def test_featurize_names_what_it_cannot_read_and_lists_failures(tmp_path):
    def said(*args: str) -> tuple[int, str]:
        result = run("data", "featurize", *args, "--workers", "1")
        return result.exit_code, " ".join(result.output.split())

    unclosed = tmp_path / "bad.csv"
    unclosed.write_text('smiles\n"CCO\nCCN\n')
    assert said(str(unclosed)) == (2, f"{unclosed}, line 2: a quoted field opened here is never closed (an unclosed quote?)")
    assert said(str(tmp_path)) == (2, f"{tmp_path} is a folder, not a file of molecules")
    assert said("moses-sample", "--split", "foo")[1] == "moses-sample has no split 'foo'; it has train, test, test_scaffolds"
    empty = tmp_path / "e.smi"
    empty.write_text("")
    assert said(str(empty)) == (2, f"{empty}: holds no molecules")
    named = tmp_path / "named.csv"
    named.write_text("compound\nCCO\nC1CC\n")
    code, text = said(str(named))
    assert code == 2 and "--smiles-column NAME" in text
    code, text = said(str(named), "--smiles-column", "compound")
    assert code == 0 and "1 graph (Kekulé bonds), 1 failure," in text and "line 3: 'C1CC': syntax" in text   # the file's line, not the molecule's place
    gapped = tmp_path / "gapped.smi"
    gapped.write_text("CCO\n\nCCN\n")   # a line that held nothing: no graph, no failure, but said
    assert "2 graphs" in said(str(gapped))[1] and "1 blank line between records skipped (line 2)" in said(str(gapped))[1]
    # where the graphs went, and --split refused for a file (a review: the whole file, without a word)
    from molgen.data.graphs import cache_key
    from molgen.paths import cache_dir

    cached = cache_dir("graphs") / f"{cache_key(['CCO', 'CCN'], None)}.pt"
    assert f"cached in {cached}" in said(str(gapped))[1] and cached.is_file()
    assert said(str(gapped), "--split", "test") == (2, "--split test: a file is featurized whole (--split picks a "
                                                       "dataset's split, e.g. molgen data featurize moses --split test)")


def test_score_reads_smiles_from_standard_input(tmp_path, monkeypatch):
    import json
    import tempfile

    copies = tmp_path / "tmp"   # where the piped input's copy is saved, to see it removed as the command ends
    copies.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(copies))
    out = tmp_path / "piped.csv"
    result = runner.invoke(app, ["score", "-", "-o", str(out)], input="CCO ethanol\nC1CC\nc1ccccc1\n")
    assert result.exit_code == 0, result.output
    import pandas as pd

    table = pd.read_csv(out)
    assert table["valid"].tolist() == [True, False, True] and table["name"].tolist()[0] == "ethanol"
    assert table["line"].tolist() == [1, 2, 3]   # the lines as piped in
    manifest = json.loads((tmp_path / "piped.csv.manifest.json").read_text())
    assert manifest["input"]["file"] == "(standard input)"
    empty = runner.invoke(app, ["score", "-", "-o", str(out)], input="")
    assert empty.exit_code == 2 and "standard input: holds no molecules" in empty.output   # not a temporary file's name
    for lines in ("smiles,id\nCCO,1\n", "Compound ID,SMILES\nA1,CCO\n", "SMILES\tid\nCCO\t1\n",
                  "SMILES\tCompound Name\nCCO\tethyl alcohol\n"):
        # a piped table naming its SMILES column (SMILES<tab>id: a .smi file's header, read right; a review was told
        # it was read as broken SMILES)
        table = runner.invoke(app, ["score", "-", "-o", str(out)], input=lines)
        assert table.exit_code == 0 and "table is read from its file" not in " ".join(table.output.split())
        assert pd.read_csv(out)["valid"].tolist() == [True]   # read as a table: CCO, not "CCO,1" or the header
    table = runner.invoke(app, ["score", "-", "-o", str(out)], input="code,value\nCCO,1\n")   # no SMILES column named
    assert "a CSV or TSV table is read from its file" in " ".join(table.output.split())
    # a piped TSV of three columns would lose the third into the name: said (a review)
    table = runner.invoke(app, ["score", "-", "-o", str(out)], input="SMILES\tid\tpIC50\nCCO\t1\t6.5\n")
    assert "a CSV or TSV table is read from its file" in " ".join(table.output.split())
    for lines in ("CCO\tethanol\nCCN\tethylamine\n", "O=[N+]([O-])c1ccc(O)c([N+](=O)[O-])c1 2,4-dinitrophenol\n",
                  "CC=CC |c:1,2|\n"):   # a SMILES and its name, or CXSMILES: .smi lines, no table
        named = runner.invoke(app, ["score", "-", "-o", str(out)], input=lines)
        assert named.exit_code == 0 and "table" not in named.output
    # no copy is left behind, the refused inputs' included (a pytest worker or a notebook runs many commands in one
    # process; removing them at interpreter exit left one per command)
    assert not list(copies.iterdir())


def test_score_says_a_window_no_molecule_comes_near(tmp_path):
    profile = tmp_path / "far.toml"
    profile.write_text('name = "far"\n[[components]]\nproperty = "qed"\n\n[[components]]\nproperty = "mw"\n'
                       'transform = "double_sigmoid"\nlow = 1500\nhigh = 1800\nwidth = 10\n')
    source = tmp_path / "m.smi"
    source.write_text("CCO\nc1ccccc1O\n")
    result = run("score", str(source), "-o", str(tmp_path / "s.csv"), "--profile", str(profile))
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "no molecule comes near mw's double_sigmoid window (low = 1500, high = 1800, " \
        "width = 10): d_mw is below 0.01 for all 2 molecules (their mw from 46.069 to 94.113), so every score is " \
        "at most" in said and "(d_mw to the power of its 50% share of the weights)" in said, said
    import pandas as pd

    scored = pd.read_csv(tmp_path / "s.csv")   # the bound said holds for each score
    bound = float(re.search(r"every score is at most ([\d.e+-]+) \(", said).group(1))
    assert (scored["score"] <= bound).all() and (scored["score"] > 0).all()


def test_score_says_a_failed_write_in_a_line(tmp_path, monkeypatch):
    from molgen.data import files

    def full(frame, path, **options):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "write_molecules", full)
    source = tmp_path / "in.smi"
    source.write_text("CCO\n")
    result = run("score", str(source), "-o", str(tmp_path / "out.sdf"))
    assert result.exit_code == 1 and "out.sdf failed (No space left on device); nothing was written" in \
        " ".join(result.output.split())
    monkeypatch.undo()
    # the manifest cannot be staged: the table does not take its name either, the earlier pair stays whole
    (tmp_path / "out.csv").write_text("smiles\nCCO\n")
    (tmp_path / "out.csv.manifest.json").write_text("{}")   # an earlier score's
    monkeypatch.setattr(files, "write_json", full)
    result = run("score", str(source), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 1 and "the earlier out.csv and its manifest are as they were" in \
        " ".join(result.output.split())
    assert (tmp_path / "out.csv.manifest.json").read_text() == "{}" and (tmp_path / "out.csv").read_text() == "smiles\nCCO\n"
    monkeypatch.undo()

    def fails_at_the_rename(frame, path, before_replace=None, **options):   # the table whole, its rename refused
        before_replace(path)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "write_molecules", fails_at_the_rename)
    result = run("score", str(source), "-o", str(tmp_path / "out.csv"))
    assert "the earlier out.csv is as it was, its manifest removed" in " ".join(result.output.split())
    assert not (tmp_path / "out.csv.manifest.json").exists()   # never beside a table it does not describe
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_score_manifest_carries_the_checksum_of_its_table(tmp_path):
    """The manifest named no checksum of the table it describes (an export's did): a copy passed on could not be
    checked against it. Score now writes its pair as an export does (molgen.data.with_manifest)."""
    import hashlib
    import json

    source = tmp_path / "in.smi"
    for lines in ("CCO\n", "c1ccccc1O phenol\nCCN\n"):   # scored again: the manifest follows the new table
        source.write_text(lines)
        out = tmp_path / "scored.csv"
        assert run("score", str(source), "-o", str(out)).exit_code == 0
        manifest = json.loads((tmp_path / "scored.csv.manifest.json").read_text())
        assert manifest["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
        assert manifest["output"]["rows"] == len(lines.splitlines())
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_score_says_which_blank_lines_it_skipped(tmp_path):
    import json

    source = tmp_path / "mine.smi"
    source.write_text("CCO ethanol\n\nc1ccccc1 benzene\nCCN\n")
    out = tmp_path / "scored.csv"
    result = run("score", str(source), "-o", str(out))
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "scored 3 rows" in said and "1 blank line between records skipped (line 2): no molecule there, no row" in said
    manifest = json.loads((tmp_path / "scored.csv.manifest.json").read_text())
    assert manifest["input"]["blank_lines_skipped"] == [2]


def test_score_says_a_column_of_numbers_is_kept_as_text_and_why(tmp_path, monkeypatch):
    from molgen import cli

    monkeypatch.setattr(cli.console, "_width", 200)
    source = tmp_path / "series.csv"
    source.write_text("smiles,pIC50\nCCO,5.1\nCCN,notmeasured\nCCC,6.2\n")
    result = run("score", str(source), "-o", str(tmp_path / "scored.parquet"))
    assert result.exit_code == 0, result.output
    assert ("column 'pIC50' is mostly numbers but is kept as text because of cells that are not (line 3: "
            "'notmeasured')") in " ".join(result.output.split())


def test_models_lists_the_names_model_takes_with_their_measured_quality(monkeypatch):
    from molgen import cli
    from molgen.models.base import shipped_checkpoints

    for width in (80, 200):   # a block per model in a narrow terminal (and a pipe), a table in a wide one
        monkeypatch.setattr(cli.console, "_width", width)
        result = runner.invoke(app, ["models"])
        assert result.exit_code == 0, result.output
        text = " ".join(result.output.replace("│", " ").split())
        for name, path in shipped_checkpoints().items():
            card = json.loads(path.with_suffix(".json").read_text())
            assert name in text and f"{card['metrics']['FCD/Test']:.3f} (n {card['metrics']['n']:,})" in text, width
        assert "smiles-lm-lstm smiles-lm (default)" in text and "smiles-lm-transformer smiles-lm 2.7 M" in text, width
        assert "no valence correction" in text
    monkeypatch.setattr(cli.console, "_width", 80)
    text = " ".join(runner.invoke(app, ["models"]).output.split())
    # the transformer continued an earlier model: its steps and the earlier ones; a schedule cut short is said
    transformer = json.loads(shipped_checkpoints()["smiles-lm-transformer"].with_suffix(".json").read_text())["training"]
    assert f"{transformer['steps']:,} steps, after {transformer['started_from']['steps']:,} of the model it started " \
           "from" in text
    lstm = json.loads(shipped_checkpoints()["smiles-lm-lstm"].with_suffix(".json").read_text())["training"]
    assert f"{lstm['steps']:,} steps of a {lstm['train_config']['max_steps']:,}-step schedule" in text
    cards = json.loads(runner.invoke(app, ["models", "--json"]).output)
    assert set(cards) == set(shipped_checkpoints()) and all("training" in card for card in cards.values())
    # each card's numbers say the command that measured them (the diffusion card's did not)
    assert all(card["metrics"]["command"].startswith("python benchmarks/") for card in cards.values())
    # a model learned from part of MOSES says how much (three were listed as "moses", ~600,000 of 1,584,663)
    vae = json.loads(shipped_checkpoints()["graph-vae"].with_suffix(".json").read_text())["training"]
    assert f"moses ({vae['molecules']:,} of its 1,584,663 training molecules)" in text


def test_models_shows_the_card_of_a_checkpoint_given(tmp_path, monkeypatch):
    """A review: `molgen models runs/ft.pt` was "unexpected extra argument"; a chemist's own checkpoint had no view."""
    from molgen import cli

    monkeypatch.setattr(cli.console, "_width", 80)
    out = tmp_path / "own.pt"
    made = run("train", "smiles-lm", "--size", "tiny", "--data", "moses-sample", "--max-molecules", "60",
               "--max-steps", "2", "--eval-every", "2", "--out", str(out), "--threads", "1")
    assert made.exit_code == 0, made.output
    shown = runner.invoke(app, ["models", str(out), str(out.with_suffix(".last.pt")), "graph-vae"])
    text = " ".join(shown.output.split())
    assert shown.exit_code == 0 and "own.pt smiles-lm 27,513 parameters trained on moses-sample (54 of its 5,000" in text
    assert "own.last.pt smiles-lm 27,513 parameters" in text and "graph-vae graph-vae (default)" in text
    cards = json.loads(runner.invoke(app, ["models", str(out.with_suffix(".last.pt")), "--json"]).output)
    assert "read from the checkpoint" in cards[str(out.with_suffix(".last.pt"))]["note"]
    (tmp_path / "cut.pt").write_bytes(out.read_bytes()[:100])
    for missing, said in (("nowhere.pt", "no such checkpoint file"), (str(tmp_path / "cut.pt"), "not a readable"),
                          (str(tmp_path), "is a folder, not a checkpoint file"),
                          (str(out.with_suffix(".json")), "is a model card: give its checkpoint")):
        refused = runner.invoke(app, ["models", missing])
        assert refused.exit_code == 2 and said in " ".join(refused.output.split())
    # a code review: a family was refused in words that named it, ./graph-vae showed the shipped card, a card of other
    # weights was dropped without a word, and a VAE's parameters counted its buffers (3.2 M for 1.1 M)
    family = " ".join(runner.invoke(app, ["models", "smiles-lm"]).output.split())
    assert family.startswith("smiles-lm smiles-lm 2.0 M parameters")
    (tmp_path / "graph-vae").write_bytes(out.read_bytes())
    monkeypatch.chdir(tmp_path)
    assert " ".join(runner.invoke(app, ["models", "./graph-vae"]).output.split()).startswith("./graph-vae smiles-lm 27,513")
    (tmp_path / "other.pt").write_bytes(out.with_suffix(".last.pt").read_bytes())
    (tmp_path / "other.json").write_text(out.with_suffix(".json").read_text())
    other = " ".join(runner.invoke(app, ["models", "other.pt"]).output.split())
    assert "other.pt: its card, other.json, is of other weights (another sha256): read from the checkpoint" in other
    from molgen.models.base import shipped_checkpoints

    (tmp_path / "vae.pt").write_bytes(shipped_checkpoints()["graph-vae"].read_bytes())
    assert "vae.pt graph-vae 1.1 M parameters" in " ".join(runner.invoke(app, ["models", "vae.pt"]).output.split())
    # a checkpoint no network of this version reads is shown all the same, with why (a review: a KeyError)
    import torch

    payload = torch.load(out, weights_only=True)
    torch.save({**payload, "family": "foo"}, tmp_path / "alien.pt")
    alien = runner.invoke(app, ["models", "alien.pt"])
    assert alien.exit_code == 0 and "alien.pt foo ? parameters" in " ".join(alien.output.split())
    assert "unknown generator family" in " ".join(alien.output.split())
    # sampling the last step's weights says which checkpoint training kept (a review sampled step 40, not step 4)
    last = run("generate", "--model", str(out.with_suffix(".last.pt")), "-n", "2", "--max-samples", "4")
    assert "own.last.pt holds the last step's weights, kept to resume the training; the checkpoint it kept (step 2) " \
           "is" in " ".join(last.output.split())


def test_training_refuses_an_out_that_would_overwrite_its_data_or_is_no_checkpoint_name(tmp_path):
    """From a training review: `--data series.csv --out series.pt` wrote the training log over the series; a folder or
    a name without .pt crashed at the first evaluation; a negative KL weight trained; an earlier run's resume files
    under the same --out were what a Ctrl-C pointed to."""
    series = tmp_path / "series.csv"
    series.write_text("smiles\n" + "\n".join(["CCO", "CCN", "CCC", "c1ccccc1O", "c1ccccc1N"] * 4) + "\n")
    before = series.read_text()
    common = ("--max-steps", "2", "--batch-size", "4", "--threads", "1", "--size", "tiny")
    for family in ("smiles-lm", "graph-vae", "graph-diffusion"):
        over = run("train", family, "--data", str(series), "--out", str(tmp_path / "series.pt"), *common)
        assert over.exit_code == 2 and "would write its .csv over the --data file" in " ".join(over.output.split()), family
    assert series.read_text() == before
    (tmp_path / "folder").mkdir()
    for bad in (tmp_path / "folder", tmp_path / "model.v2"):
        refused = run("train", "smiles-lm", "--data", str(series), "--out", str(bad), *common)
        assert refused.exit_code == 2 and "ending .pt" in refused.output
    negative = run("train", "graph-vae", "--data", str(series), "--out", str(tmp_path / "v.pt"), "--kl-weight", "-1",
                   *common)
    assert negative.exit_code == 2 and "--kl-weight and --free-bits must be 0 or more" in negative.output
    out = tmp_path / "m.pt"
    out.write_bytes(b"an earlier run")
    tiny = ("--data", str(series), "--out", str(out), "--max-steps", "1", "--batch-size", "4", "--threads", "1",
            "--size", "tiny", "--eval-every", "1")
    # an earlier model under --out is refused (a review lost a 200-step fine-tune to a reused --out), naming a free name
    (tmp_path / "m-2.pt").write_bytes(b"taken")
    kept = run("train", "smiles-lm", *tiny)
    said = " ".join(kept.output.split())
    assert kept.exit_code == 2 and f"{out} is an earlier run's model" in said and "(--replace)" in said, said
    assert f"--out {tmp_path / 'm-3.pt'}" in said and "--resume" not in said   # m-2.pt is taken; nothing to resume
    assert out.read_bytes() == b"an earlier run"
    again = run("train", "smiles-lm", *tiny, "--replace")
    assert again.exit_code == 0, again.output
    assert "exists (an earlier run): this run replaces it" in " ".join(again.output.split())
    # its resume file alone (a run interrupted before its first checkpoint) is an earlier run's too
    out.unlink()
    resumable = run("train", "smiles-lm", *tiny)
    said = " ".join(resumable.output.split())
    assert resumable.exit_code == 2 and f"{out.with_suffix('.last.pt')} is an earlier run's resume file" in said
    assert f"continue that run (--resume {out.with_suffix('.last.pt')})" in said
    # its card and log, once written, are a training run's: a run told to replace them does, naming what is there
    rerun = run("train", "smiles-lm", *tiny, "--replace")
    assert rerun.exit_code == 0, rerun.output
    assert f"{out.with_suffix('.last.pt')} exists (an earlier run): this run replaces it" in " ".join(rerun.output.split())


def test_training_refuses_to_write_its_card_and_log_over_a_chemists_files(tmp_path):
    """From a workflow review: `--out hits.pt` wrote the training log over an export of 229 candidates, hits.csv, and
    the card over the notes hits.json, without a word."""
    series = tmp_path / "series.csv"
    series.write_text("smiles\n" + "\n".join(["CCO", "CCN", "CCC", "c1ccccc1O", "c1ccccc1N"] * 4) + "\n")
    exported, notes = tmp_path / "hits.csv", tmp_path / "hits.json"
    exported.write_text("smiles,score\nCCO,0.5\n")
    notes.write_text('{"my": "notes"}')
    common = ("--max-steps", "1", "--batch-size", "4", "--threads", "1", "--size", "tiny", "--eval-every", "1")
    refused = run("train", "smiles-lm", "--data", str(series), "--out", str(tmp_path / "hits.pt"), *common)
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2 and f"over {notes} and {exported}, which are not a training run's" in said
    assert "--out " + str(tmp_path / "hits-model.pt") in said
    assert exported.read_text() == "smiles,score\nCCO,0.5\n" and notes.read_text() == '{"my": "notes"}'
    assert not (tmp_path / "hits.pt").exists()
    notes.unlink()
    alone = run("train", "graph-vae", "--data", str(series), "--out", str(tmp_path / "hits.pt"), *common)
    assert alone.exit_code == 2 and f"over {exported}, which is not a training run's" in " ".join(alone.output.split())
    exported.write_text("")   # an empty file loses nothing
    written = run("train", "smiles-lm", "--data", str(series), "--out", str(tmp_path / "hits.pt"), *common)
    assert written.exit_code == 0, written.output
    assert exported.read_text().startswith("step,")
    # an earlier run's card cut short by a kill, beside its checkpoint, is that run's: replaced by a new run (a review)
    card = tmp_path / "hits.json"
    card.write_text(card.read_text()[:40])
    assert run("train", "smiles-lm", "--data", str(series), "--out", str(tmp_path / "hits.pt"), *common,
               "--replace").exit_code == 0
    # ... but an export written beside a trained model, under its name, is the chemist's (a review of the fix)
    kept = exported.read_text()
    exported.write_text("\nsmiles,score\nCCO,0.5\n")   # a blank line first: the export's first line written is read
    beside = run("train", "smiles-lm", "--data", str(series), "--out", str(tmp_path / "hits.pt"), *common)
    assert beside.exit_code == 2 and f"over {exported}, which is not a training run's" in " ".join(beside.output.split())
    exported.write_text(kept)
    # its log and card saved again by a spreadsheet (a byte-order mark, CRLF), its checkpoints moved away: still its own
    for suffix in (".pt", ".last.pt", ".state.pt"):
        (tmp_path / "hits.pt").with_suffix(suffix).unlink(missing_ok=True)
    exported.write_bytes(b"\xef\xbb\xbf" + exported.read_text().replace("\n", "\r\n").encode())
    card.write_bytes(b"\xef\xbb\xbf" + card.read_bytes())
    again = run("train", "smiles-lm", "--data", str(series), "--out", str(tmp_path / "hits.pt"), *common)
    assert again.exit_code == 0, again.output


def test_a_ctrl_c_while_a_fine_tune_is_measured_says_the_model_is_whole_and_its_card_unmeasured(tmp_path, monkeypatch):
    """Ctrl-C while the fine-tuned model was sampled for its card ended the command with the card's metrics empty
    and no word of it."""
    from molgen.models import fine_tune_report

    def pressed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fine_tune_report, "measure_fine_tune", pressed)
    series = tmp_path / "series.smi"
    series.write_text("".join(f"c1ccc(cc1){tail}\n" for tail in ("C", "CC", "CCC", "O", "OC", "N", "NC", "Cl", "F", "CO")))
    out = tmp_path / "ft.pt"
    stopped = run("train", "smiles-lm", "--from", "pretrained", "--data", str(series), "--max-steps", "1",
                  "--out", str(out), "--threads", "1")
    said = " ".join(stopped.output.split())
    assert stopped.exit_code == 130 and "interrupted while sampling the fine-tuned model for its card" in said
    assert "is trained and whole; its card holds no measurement of its samples" in said
    assert out.is_file() and json.loads(out.with_suffix(".json").read_text())["metrics"] == {}
    # a kill (SIGTERM) there says the same, then dies of the signal (it died without a word: a review)
    import signal

    from molgen import cli

    def killed(*args, **kwargs):
        signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)   # the handler the command put up, as a kill calls it

    def die():
        raise SystemExit(143)

    monkeypatch.setattr(fine_tune_report, "measure_fine_tune", killed)
    monkeypatch.setattr(cli._Termination, "die", staticmethod(die))
    stopped = run("train", "smiles-lm", "--from", "pretrained", "--data", str(series), "--max-steps", "1",
                  "--out", str(tmp_path / "killed.pt"), "--threads", "1")
    said = " ".join(stopped.output.split())
    cli._KILLED.received = False   # as the next command's start sets it
    assert stopped.exit_code == 143 and "interrupted while sampling the fine-tuned model for its card" in said


@pytest.mark.filterwarnings("ignore:.*its sha256 differs:UserWarning")   # d.pt is copied over, its card left as it was
def test_a_best_checkpoint_resumed_beside_a_later_state_is_refused_before_data_is_read(tmp_path):
    """--resume RUN.pt (the best, an earlier step) took the state of RUN.last.pt's step: refused, with the way on."""
    import shutil

    out = tmp_path / "d.pt"
    common = ("--data", "moses-sample", "--max-molecules", "120", "--threads", "1")
    made = run("train", "graph-diffusion", "--size", "tiny", "--max-steps", "4", "--eval-every", "2", "--out", str(out),
               *common)
    assert made.exit_code == 0, made.output
    shutil.copy(out.with_suffix(".last.pt"), tmp_path / "at4.pt")
    run_again = run("train", "graph-diffusion", "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "6",
                    "--eval-every", "2", *common)
    assert run_again.exit_code == 0, run_again.output
    shutil.copy(tmp_path / "at4.pt", out)   # the best at an earlier step than the last, as it often is
    refused = run("train", "graph-diffusion", "--resume", str(out), "--max-steps", "8", *common)
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "holds the weights of step 4, but the resume state beside it" in said
    assert "is of step 6: continue the run from its latest step with --resume" in said


def test_what_a_save_killed_mid_write_left_is_removed_when_training_starts_again(tmp_path):
    """Each save writes through a temporary name of its own; a SIGKILL runs no cleanup and left a checkpoint-sized
    NAME.state.pt.<hex>.partial for good (the fixed name before was overwritten by the next save)."""
    from molgen.models.training import remove_orphaned_partials

    out = tmp_path / "r.pt"
    left = [tmp_path / name for name in ("r.state.pt.0a1b2c3d.partial", "r.pt.deadbeef.partial",
                                         "r.last.pt.12345678.partial")]
    others = [tmp_path / name for name in ("rx.pt.deadbeef.partial", "r.csv", "r.pt.notahex.partial",
                                           "series.smi.0a1b2c3d.partial")]
    young = tmp_path / "r.state.pt.feedf00d.partial"   # a save still being written (another process's)
    for path in left + others + [young]:
        path.write_bytes(b"x")
        if path != young:
            os.utime(path, (time.time() - 3600, time.time() - 3600))
    assert sorted(remove_orphaned_partials(out)) == sorted(left)
    assert not any(path.exists() for path in left) and all(path.exists() for path in others + [young])
    # and a training started under that name does so, and says it
    series = tmp_path / "series.smi"
    series.write_text("".join(f"c1ccc(cc1){tail}\n" for tail in ("C", "CC", "CCC", "O", "OC", "N", "NC", "Cl", "F", "CO")))
    orphan = tmp_path / "m.state.pt.0a1b2c3d.partial"
    orphan.write_bytes(b"x")
    os.utime(orphan, (time.time() - 3600, time.time() - 3600))
    made = run("train", "smiles-lm", "--data", str(series), "--out", str(tmp_path / "m.pt"), "--max-steps", "1",
               "--batch-size", "4", "--threads", "1", "--size", "tiny", "--eval-every", "1")
    assert made.exit_code == 0 and not orphan.exists()
    assert "removed 1 temporary file an earlier training under m.pt left" in " ".join(made.output.split())


def test_a_truncated_resume_state_is_said_to_be_one(tmp_path):
    """It was a traceback (OSError from torch.load); it is written through a partial file now, as checkpoints are."""
    import torch

    from molgen.models.base import CheckpointError
    from molgen.models.training import load_resume_state, save_progress

    model = torch.nn.Linear(2, 2)
    model.save = lambda path: torch.save(model.state_dict(), path)
    optimizer = torch.optim.Adam(model.parameters())
    out = tmp_path / "r.pt"
    save_progress(model, out, optimizer, is_best=False, step=3)
    assert load_resume_state(out.with_suffix(".last.pt"), optimizer)["step"] == 3
    assert not list(tmp_path.glob("*.partial"))
    # a byte of the latest weights flipped (a bad disk, a copy cut short and padded): refused, not trained on
    last = out.with_suffix(".last.pt")
    written = bytearray(last.read_bytes())
    written[len(written) // 2] ^= 0xFF
    last.write_bytes(bytes(written))
    with pytest.raises(CheckpointError, match=r"r\.last\.pt is not the file its run saved .*/r\.pt, the best checkpoint"):
        load_resume_state(last, optimizer)
    state = out.with_suffix(".state.pt")
    state.write_bytes(state.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=r"r\.state\.pt \(the resume state beside .*\) is not readable"):
        load_resume_state(out.with_suffix(".last.pt"), optimizer)


def test_fine_tuning_from_a_checkpoint_refuses_flags_that_shape_a_new_model(tmp_path):
    """--from took the checkpoint's size and conditions and ignored the typed ones without a word."""
    for flags in (("--size", "tiny"), ("--conditions", "qed,logp")):
        refused = run("train", "smiles-lm", "--from", "pretrained", "--data", "moses-sample", *flags,
                      "--out", str(tmp_path / "f.pt"), "--max-steps", "1")
        assert refused.exit_code == 2 and f"{flags[0]} shapes a new model; --from pretrained fine-tunes" in \
            " ".join(refused.output.split())


def test_a_ctrl_c_before_the_first_evaluation_does_not_offer_an_earlier_runs_resume_file(tmp_path, capsys):
    """An earlier run's RUN.last.pt under the same --out was offered as this run's ('continue with --resume'), and
    resuming it continued the other run."""
    import typer

    from molgen.cli import _run_training

    out = tmp_path / "m.pt"
    out.with_suffix(".last.pt").write_bytes(b"an earlier run")

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(typer.Exit):
        _run_training(interrupted, out, str)
    said = " ".join(capsys.readouterr().out.split())
    assert "nothing to resume" in said and "--resume" not in said

    def wrote_then_interrupted():
        out.with_suffix(".last.pt").write_bytes(b"this run's")
        raise KeyboardInterrupt

    with pytest.raises(typer.Exit):
        _run_training(wrote_then_interrupted, out, str)
    assert f"continue with --resume {out.with_suffix('.last.pt')}" in " ".join(capsys.readouterr().out.split())


def test_a_large_run_is_said_before_it_starts(tiny_checkpoint, tmp_path, monkeypatch):
    """A review: -n 1000000000 started without a word (a budget of 2e10, an ETA of 3,529 hours)."""
    monkeypatch.setenv("MOLGEN_HOME", str(tmp_path / "home"))
    result = run("generate", "--model", str(tiny_checkpoint), "-n", "100001", "--max-samples", "64", "--threads", "1")
    said = " ".join(result.output.split())
    assert "n 100,001 is a large run (the workbench's form stops at 100,000)" in said
    small = run("generate", "--model", str(tiny_checkpoint), "-n", "5", "--max-samples", "64", "--threads", "1")
    assert "is a large run" not in small.output


def test_a_graph_model_fine_tunes_from_the_shipped_one_with_from_as_smiles_lm_does(tmp_path, monkeypatch):
    """A review: `molgen train graph-vae --from pretrained` was "No such option: --from", and `--resume pretrained`
    no such file; the shipped checkpoint's path was the only way. A resume that beat no best sampled the unchanged
    checkpoint again for its card (minutes for graph diffusion)."""
    from molgen import cli
    from molgen.models import fine_tune_report
    from molgen.models.graph_vae.model import GraphVAE

    monkeypatch.setattr(cli.console, "_width", 400)
    monkeypatch.setattr(cli.error_console, "_width", 400)
    monkeypatch.setattr(cli, "FINE_TUNE_SAMPLES", 20)
    series = tmp_path / "series.smi"
    series.write_text("".join(f"{s}\n" for s in ("Clc1ccc2ncccc2c1", "Cc1ccc2ncccc2c1", "COc1ccc2ncccc2c1",
                                                  "Nc1ccc2ncccc2c1", "Oc1ccc2ncccc2c1", "CCc1ccc2ncccc2c1")))
    out = tmp_path / "vae-series.pt"
    tuned = run("train", "graph-vae", "--from", "pretrained", "--data", str(series), "--max-steps", "1",
                "--out", str(out), "--threads", "1", "--batch-size", "4")
    said = " ".join(tuned.output.split())
    assert tuned.exit_code == 0, tuned.output
    assert "--from " in said and "a fine-tune of it" in said
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["training"]["started_from"]["data"] == "moses" and card["metrics"]["samples"] == 20
    # how its samples were drawn is on the card and in the line said (a review could not tell)
    assert (card["metrics"]["decoding"], card["metrics"]["latent_prior"]) == ("most-likely", False)
    assert "decoding most-likely, latents from N(0, I))" in said
    start = card["training"]["started_from"]["valid_score_at_start"]   # reconstruction + kl_weight * KL, at step 0
    recon, kl = map(float, out.with_suffix(".csv").read_text().splitlines()[1].split(",")[-2:])
    assert start == pytest.approx(recon + card["training"]["train_config"]["kl_weight"] * kl, abs=1e-3)
    # resumed at another KL weight, the start is weighed again at it (a code review: compared at two weights)
    again = run("train", "graph-vae", "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "2",
                "--kl-weight", "0.5", "--threads", "1")
    assert again.exit_code == 0, again.output
    resumed = json.loads(out.with_suffix(".json").read_text())["training"]   # scored at 0.5 anew: step 2 is the best
    assert resumed["steps"] == 2 and resumed["train_config"]["kl_weight"] == 0.5
    assert resumed["started_from"]["valid_score_at_start"] == pytest.approx(recon + 0.5 * kl, abs=1e-3)
    for args, expected in ((["--from", "pretrained"], "fine-tunes a model on a series: give it with --data FILE"),
                           (["--from", "pretrained", "--data", "moses"], "learned moses already"),
                           (["--from", "pretrained", "--data", str(series), "--resume", str(out)], "give one of them"),
                           (["--from", "pretrained", "--data", str(series), "--size", "tiny"],
                            "--size shapes a new model; --from takes the model of")):
        refused = run("train", "graph-vae", *args, "--out", str(tmp_path / "other.pt"))
        assert refused.exit_code == 2 and expected in " ".join(refused.output.split()), (args, refused.output)
    unnamed = run("train", "graph-diffusion", "--from", "pretrained", "--data", str(series))   # runs/graph-diffusion.pt
    assert unnamed.exit_code == 2 and "makes a new model: name it with --out" in " ".join(unnamed.output.split())
    # smiles-lm's --from wrote a series model over runs/smiles-lm.pt, a MOSES run's name, with a warning only
    unnamed = run("train", "smiles-lm", "--from", "pretrained", "--data", str(series))
    assert unnamed.exit_code == 2 and f"name it with --out, e.g. --out runs/smiles-lm-{series.stem}.pt" in \
        " ".join(unnamed.output.split())

    def sampled_again(*args, **kwargs):
        raise AssertionError("the unchanged checkpoint was sampled again")

    monkeypatch.setattr(fine_tune_report, "measure_fine_tune", sampled_again)
    cli._measure_fine_tune(GraphVAE.load, out, str(series), {"rows": 6}, [], [])   # its card measured these weights


def test_a_training_ended_by_max_minutes_says_at_which_step_and_how_to_go_on(tmp_path, monkeypatch):
    """A review: --max-minutes ending a run at step 15 of 100 printed only its best line, read as a finished run."""
    from molgen import cli

    monkeypatch.setattr(cli.console, "_width", 400)
    series = tmp_path / "series.smi"
    series.write_text("".join(f"c1ccc(cc1){tail}\n" for tail in ("C", "CC", "CCC", "O", "OC", "N", "NC", "Cl", "F", "CO")))
    out = tmp_path / "short.pt"
    common = ("--batch-size", "4", "--threads", "1", "--size", "tiny", "--data", str(series), "--out", str(out))
    ended = run("train", "smiles-lm", *common, "--max-steps", "500", "--max-minutes", "0.0001")
    said = " ".join(ended.output.split())
    assert ended.exit_code == 0, ended.output
    assert re.search(r"--max-minutes ended the training at step \d+ of 500; continue with --resume", said), said
    whole = run("train", "smiles-lm", *common, "--max-steps", "2", "--replace")
    assert whole.exit_code == 0 and "--max-minutes ended" not in whole.output


@pytest.mark.parametrize("family", ["smiles-lm", "graph-vae", "graph-diffusion"])
def test_training_refuses_threads_below_one(family, tmp_path):
    """A review: --threads -1 was torch's traceback, and --threads 0 used every core while the card said 0."""
    for threads in ("0", "-1"):
        refused = run("train", family, "--data", "moses-sample", "--threads", threads, "--out", str(tmp_path / "t.pt"),
                      "--size", "tiny", "--max-steps", "1", "--max-molecules", "50")   # refused, else trained briefly
        assert refused.exit_code == 2 and "--threads" in refused.output and "Traceback" not in refused.output


def test_a_valid_size_above_a_tenth_is_said(tmp_path):
    """A review asked for 100 validation molecules of 300 and got 30, without a word."""
    series = tmp_path / "series.smi"
    series.write_text("".join(f"c1ccc(cc1){tail}\n" for tail in ("C", "CC", "CCC", "O", "OC", "N", "NC", "Cl", "F", "CO",
                                                                  "CN", "Br", "CCl", "CF", "OCC", "NCC", "CCN", "CCO")))
    trained = run("train", "smiles-lm", "--size", "tiny", "--data", str(series), "--valid-size", "5", "--max-steps", "1",
                  "--batch-size", "4", "--threads", "1", "--out", str(tmp_path / "v.pt"))
    assert trained.exit_code == 0, trained.output
    said = " ".join(trained.output.split())
    assert "--valid-size 5 is more than a tenth of the 18 molecules: 1 is held out" in said and "17 train / 1 valid" in said
    # a checkpoint chosen on one validation molecule is said to be chosen by chance (a review's 10-molecule series)
    assert "1 validation molecule (a tenth of the 18): the checkpoint kept is the best on it alone" in said
    from molgen import cli   # and a --valid-size that asked for so few is named as the cause (a code review)

    with cli.console.capture() as captured:
        cli._training_split([f"C{'C' * i}O" for i in range(1000)], None, 0, 3, "many.smi")
    said = " ".join(captured.get().split())
    assert "3 validation molecules (--valid-size 3)" in said and "a larger --valid-size makes it a measure" in said


def test_a_fine_tune_whose_best_is_of_its_first_half_says_so(tmp_path):
    """A review: a graph-VAE fine-tune kept step 10 of 54 (validation on the series rose after it), said only as
    "best ... at step 10", read as a model trained to its end."""
    from molgen import cli

    out = tmp_path / "series.pt"
    out.with_suffix(".json").write_text(json.dumps({"training": {"steps": 10}}))
    out.with_suffix(".csv").write_text("step,valid\n" + "".join(f"{step},{step / 10}\n" for step in (10, 20, 40, 54)))
    with cli.console.capture() as captured:
        cli._say_best_early(out, series=True)
        cli._say_best_early(out, series=False)   # a MOSES run is no series
    said = " ".join(captured.get().split())
    assert said.count("the best checkpoint is of step 10: no evaluation up to step 54 beat it") == 1
    parent = tmp_path / "parent.json"   # a resume beating no best: the card beside the run it continued
    parent.write_text(json.dumps({"training": {"steps": 12}}))
    with cli.console.capture() as captured:
        cli._say_best_early(out, True, parent)
    assert "the best checkpoint is of step 12: no evaluation up to step 54" in " ".join(captured.get().split())
    out.with_suffix(".csv").write_text("step,valid\n10,1\n15,2\n")   # kept in the second half: nothing to say
    with cli.console.capture() as captured:
        cli._say_best_early(out, series=True)
    assert not captured.get().strip()
    # the model it started from scored on the same molecules (step 0): a fine-tune that never beat it says so,
    # whichever half its best is of; one that did gives both numbers
    record = {"steps": 10, "valid_nll_per_token": 0.5187, "started_from": {"valid_score_at_start": 0.5102}}
    out.with_suffix(".json").write_text(json.dumps({"training": record}))
    with cli.console.capture() as captured:
        cli._say_best_early(out, series=True)
    said = " ".join(captured.get().split())
    assert "no evaluation up to step 15 beat the model it started from" in said and "0.5102 at step 0" in said
    record["started_from"]["valid_score_at_start"] = 0.61
    out.with_suffix(".json").write_text(json.dumps({"training": record}))
    out.with_suffix(".csv").write_text("step,valid\n0,0.61\n10,1\n54,2\n")
    with cli.console.capture() as captured:
        cli._say_best_early(out, series=True)
    assert "the best checkpoint is of step 10 (0.5187; 0.6100 at step 0): no evaluation up to step 54" in \
        " ".join(captured.get().split())
    # molgen models says it beside the checkpoint, and a fine-tune's novelty is its new molecules' share
    assert "no step of its fine-tune beat the model it started from" in cli._worse_than_start(
        {"steps": 10, "valid_nll_per_token": 0.5187, "started_from": {"valid_score_at_start": 0.5102}})
    assert cli._worse_than_start(record) is None and cli._worse_than_start({"steps": 3}) is None
    assert cli._fine_tune_novelty({"new_molecules": 851, "distinct_valid": 1000}) == "0.851"
    assert cli._fine_tune_novelty({}) == "—"
    # the graph VAE ranks by reconstruction + kl_weight * KL
    assert cli._ranked_score({"valid_recon_nll": 20.0, "valid_kl": 10.0, "train_config": {"kl_weight": 0.5}}) == 25.0


def test_a_new_graph_model_says_the_elements_its_file_holds_in_few_molecules(tmp_path, monkeypatch):
    """A review: a graph VAE trained from a series holding one selenium and one boron row wrote Se and B into most
    of its samples; the training listed the unreadable rows and said nothing of those two."""
    from molgen import cli

    monkeypatch.setattr(cli.console, "_width", 400)
    series = tmp_path / "series.smi"
    ordinary = [f"c1ccc(cc1){tail}{'C' * n}" for tail in ("C", "O", "N", "OC", "NC") for n in range(6)]
    series.write_text("\n".join(ordinary + ["CC[Se]c1ccccc1", "OB(O)c1ccccc1"]) + "\n")
    trained = run("train", "graph-vae", "--data", str(series), "--size", "tiny", "--max-steps", "1", "--batch-size", "4",
                  "--threads", "1", "--out", str(tmp_path / "vae.pt"), "--kl-warmup", "0")
    said = " ".join(trained.output.split())
    assert trained.exit_code == 0, trained.output
    assert "elements in few of the file's molecules" in said
    assert "B in 1 (OB(O)c1ccccc1); Se in 1 (CC[Se]c1ccccc1)" in said and "C in " not in said
    # a new SMILES model says them too (each a token of its own), and leaves a radical out with its line, as the
    # graph families do (a review: B, I, Si and a [CH2] radical learned without a word)
    series.write_text("\n".join(ordinary + ["CC[Se]c1ccccc1", "OB(O)c1ccccc1", "[CH2]c1ccccc1"]) + "\n")
    trained = run("train", "smiles-lm", "--data", str(series), "--size", "tiny", "--max-steps", "1", "--batch-size", "4",
                  "--threads", "1", "--out", str(tmp_path / "lm.pt"))
    said = " ".join(trained.output.split())
    assert trained.exit_code == 0, trained.output
    assert "each learned as a token of its own" in said and "B in 1 (OB(O)c1ccccc1); Se in 1 (CC[Se]c1ccccc1)" in said
    assert "line 33" in said and "a radical" in said
    from molgen.models import load

    assert "[CH2]" not in load(str(tmp_path / "lm.pt")).vocabulary.tokens


def test_models_says_a_fine_tune_worse_than_its_start_and_what_its_novelty_counts_against(tiny_checkpoint, tmp_path,
                                                                                          monkeypatch):
    """A training review: a graph-VAE fine-tune worse than the model it started from was listed as any model, and a
    fine-tune's measured novelty (851 new of 1,000) was shown as "—"."""
    from molgen import cli

    monkeypatch.setattr(cli.console, "_width", 400)
    checkpoint = tmp_path / "ft.pt"
    shutil.copy(tiny_checkpoint, checkpoint)
    card = {"family": "smiles-lm", "parameters": 1000,
            "training": {"data": str(tmp_path / "series.smi"), "steps": 20, "valid_nll_per_token": 0.62,
                         "started_from": {"steps": 100, "valid_score_at_start": 0.55}},
            "metrics": {"valid": 0.97, "new_molecules": 851, "distinct_valid": 1000,
                        "new_means": "not in the series (the data of the model it started from is not found here)"}}
    checkpoint.with_suffix(".json").write_text(json.dumps(card))
    said = " ".join(runner.invoke(app, ["models", str(checkpoint)]).output.split())
    assert "0.851" in said and "no step of its fine-tune beat the model it started from" in said
    assert "(the kept step 20: 0.6200; 0.5500 at step 0)" in said and "its novelty counts against its series alone" in said
    card["training"]["started_from"]["valid_score_at_start"] = 0.7   # it did beat it: nothing said
    card["metrics"]["new_means"] = "in neither the series nor the data of the model it started from"
    checkpoint.with_suffix(".json").write_text(json.dumps(card))
    said = " ".join(runner.invoke(app, ["models", str(checkpoint)]).output.split())
    assert "beat the model it started from" not in said and "series alone" not in said and "0.851" in said
