"""`molgen latent`: the graph VAE's latent space from the command line, on the shipped checkpoint (what a chemist
scripting it uses). Few refine steps keep each command to seconds."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from rdkit import Chem, DataStructs
from rdkit.Chem import QED
from typer.testing import CliRunner

from molgen.cli import app
from molgen.data.moses import sha256_of
from molgen.models import load
from molgen.models.base import shipped_checkpoint
from molgen.models.graph_vae import latent
from molgen.models.graph_vae.latent_tables import encoded_form
from molgen.scoring.similarity import morgan_fingerprint

runner = CliRunner()
START = "CCOc1ccccc1NC(=O)c1ccc(N(C)C)cc1"
END = "Cc1ccccc1N1CCN(C(=O)c2ccccc2O)CC1"
FAST = ["--refine-steps", "10"]


@pytest.fixture(scope="module")
def vae():
    return load("graph-vae")


def invoke(*args):
    return runner.invoke(app, ["latent", *map(str, args)])


def test_encoded_form_reads_salts_charged_forms_and_labels_as_the_model_encodes_them(vae):
    assert encoded_form(START) == (START, [])
    parent, notes = encoded_form("CC(C)Cc1ccc(C(C)C(=O)[O-])cc1.[Na+]")
    assert parent == "CC(C)Cc1ccc(C(C)C(=O)O)cc1" and "A salt or mixture" in notes[0]
    parent, notes = encoded_form("C[NH3+]")
    assert parent == "CN" and "A charged form" in notes[0]
    assert "Isotope labels are not encoded" in encoded_form("[13CH3]c1ccccc1")[1][0]
    for text, said in (("[Na+].[Cl-]", "none of its fragments is organic"), ("C1CC(", "not a valid molecule")):
        with pytest.raises(ValueError, match=said):
            encoded_form(text)
    with pytest.raises(ValueError, match="cannot be encoded"):   # with the model: its vocabulary
        encoded_form("C[Si](C)(C)c1ccccc1", vae)
    # a salt whose parent the model cannot hold: the parent named is one the chemist did not type, so how it was read
    with pytest.raises(ValueError, match=r"A salt or mixture: the model encodes its parent, .*cannot be encoded"):
        encoded_form("C[Si](C)(C)c1ccccc1.Cl", vae)


def test_interpolate_writes_the_path_with_rdkit_properties_and_a_manifest(tmp_path):
    out = tmp_path / "path.csv"
    result = invoke("interpolate", START, END + ".Cl", "--points", 8, *FAST, "-o", out)
    assert result.exit_code == 0, result.output
    assert "A salt or mixture: the model encodes its parent" in result.output   # the HCl set aside, said
    table = pd.read_csv(out)
    assert list(table.columns[:3]) == ["fraction", "smiles", "where"] and len(table) >= 2
    assert table["fraction"].is_monotonic_increasing and table["smiles"].is_unique
    for row in table.itertuples():   # each named as the page names it: an end, or how far along the path
        fraction_said = f"{row.fraction:.2f} of the way"
        assert row.where in ("start", "end") or row.where == fraction_said or row.where.startswith("end (reached at")
        assert (row.where == "start") == (row.fraction == 0 and latent.graph_key(row.smiles) == latent.graph_key(START))
    for row in table.itertuples():   # every molecule valid, its QED computed by RDKit on it
        mol = Chem.MolFromSmiles(row.smiles)
        assert mol is not None and row.qed == pytest.approx(QED.qed(mol), abs=1e-6)
    manifest = json.loads((tmp_path / "path.csv.manifest.json").read_text())
    assert manifest["latent"]["given"]["end"] == {"given": END + ".Cl", "encoded": END}
    assert manifest["model"]["sha256"] == sha256_of(shipped_checkpoint("graph-vae"))
    assert manifest["output"]["sha256"] == sha256_of(out) and manifest["output"]["rows"] == len(table)


def test_interpolate_refuses_one_molecule_twice_and_a_model_that_is_no_graph_vae(tmp_path):
    out = tmp_path / "path.csv"
    result = invoke("interpolate", "C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O", "-o", out)
    assert result.exit_code == 2 and "differ only in stereochemistry" in result.output
    result = invoke("interpolate", START, START + ".Cl", "-o", out)
    assert result.exit_code == 2 and "are one molecule (as the model reads them)" in result.output
    result = invoke("interpolate", START, END, "--model", "smiles-lm", "-o", out)
    assert result.exit_code == 2 and "need a graph VAE" in result.output
    result = invoke("interpolate", START, END, "--model", tmp_path / "missing.pt", "-o", out)
    assert result.exit_code == 2 and "missing.pt" in result.output
    result = invoke("interpolate", "C1CC(", END, "-o", out)
    assert result.exit_code == 2 and "start:" in result.output and "not a valid molecule" in result.output
    assert not out.exists() and not (tmp_path / "path.csv.manifest.json").exists()


def test_analogues_are_other_molecules_most_similar_first_and_seeded(tmp_path):
    first, again, other = (tmp_path / f"{name}.csv" for name in ("first", "again", "other"))
    for out, seed in ((first, 0), (again, 0), (other, 1)):
        result = invoke("analogues", START, "--points", 12, "--seed", seed, *FAST, "-o", out)
        assert result.exit_code == 0, result.output
    table = pd.read_csv(first)
    # most similar first, those failing a hard filter after those that pass (as a run ranks them)
    passing = table["passes_filters"].astype(bool)
    assert len(table) >= 1 and passing.is_monotonic_decreasing
    assert all(part["tanimoto_to_seed"].is_monotonic_decreasing for part in (table[passing], table[~passing]))
    reference = morgan_fingerprint(Chem.MolFromSmiles(START))
    for row in table.itertuples():   # the similarity is the seed's, recomputed; the seed itself is no analogue
        mol = Chem.MolFromSmiles(row.smiles)
        assert latent.graph_key(mol) != latent.graph_key(START)
        assert row.tanimoto_to_seed == pytest.approx(
            DataStructs.TanimotoSimilarity(reference, morgan_fingerprint(mol)), abs=1e-9)
    assert first.read_bytes() == again.read_bytes()
    assert set(pd.read_csv(other)["smiles"]) != set(table["smiles"])
    # alerts counted and named as molgen score writes them, so that "alerts == 0" selects the clean ones
    from molgen.scoring.pipeline import score

    scored = score(table["smiles"].tolist(), "drug-like", n_jobs=1, progress=False)
    assert table["alerts"].dtype.kind == "i" and table["alerts"].tolist() == scored["alerts"].tolist()
    assert (table["alert_names"].isna() == (table["alerts"] == 0)).all()
    # farther out around diazepam some analogues fail a hard filter (strained rings): listed after those that pass
    wide = tmp_path / "wide.csv"
    assert invoke("analogues", "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21", "--points", 12, "--seed", 0, "--radius", 3,
                  *FAST, "-o", wide).exit_code == 0
    wide_table = pd.read_csv(wide)
    passing = wide_table["passes_filters"].astype(bool)
    assert passing.any() and not passing.all() and passing.is_monotonic_decreasing
    assert all(part["tanimoto_to_seed"].is_monotonic_decreasing for part in (wide_table[passing], wide_table[~passing]))


def test_push_marks_the_start_and_counts_met_targets_as_rdkit_measures_them(tmp_path):
    out = tmp_path / "push.csv"
    start = "COC(=O)c1ccccc1NC(=O)CSc1nc(C)cc(C)n1"
    result = invoke("push", start, "--target", "QED=0.9", "--decodings", 32, *FAST, "-o", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert table["is_start"].sum() == 1 and bool(table["is_start"].iloc[-1])   # the reference, listed last
    for row in table.itertuples():
        assert row.qed == pytest.approx(QED.qed(Chem.MolFromSmiles(row.smiles)), abs=1e-4)
        assert row.met == (abs(row.qed - 0.9) <= 0.05)   # the tolerance a generate condition qed=0.9 uses
    finds = table[~table["is_start"]]
    said = f"{int(finds['met'].sum())} meet every target"
    assert said in result.output and f"{len(finds)} distinct molecules besides the start's own decoding" in result.output
    settings = json.loads((tmp_path / "push.csv.manifest.json").read_text())["latent"]["settings"]
    assert json.loads((tmp_path / "push.csv.manifest.json").read_text())["latent"]["similarity"].startswith(
        "Tanimoto on RDKit Morgan fingerprints, radius 2")   # what tanimoto_to_start was computed on
    assert settings["targets"] == {"qed": 0.9} and settings["decodings"] == 32 and "steps" not in settings
    assert settings["tolerances"] == {"qed": 0.05}   # what the file's met and gap columns were read against
    assert "top" not in settings
    gradient = invoke("push", start, "--target", "logp=2", "--method", "gradient", "--steps", 10, *FAST)
    assert gradient.exit_code == 0 and "(start)" in gradient.output, gradient.output
    quiet = invoke("push", start, "--target", "qed=0.9", "--decodings", 16, "--top", 0, *FAST)
    assert quiet.exit_code == 0 and "meet every target" in quiet.output and "┃" not in quiet.output


@pytest.mark.parametrize("args, said", [
    (["--target", "qed"], "write PROPERTY=VALUE"),
    (["--target", "qed>=0.7"], "a target, not a range"),
    (["--target", "potenxy=7"], "unknown property"),
    (["--target", "qed=nan"], "cannot read condition"),
    (["--target", "qed=5"], "no molecule can meet it"),
    (["--target", "qed=0.9", "--target", "qed=0.8"], "already has the target"),
    (["--target", "qed=0.9", "--steps", "5"], "--steps does not apply to --method random"),
    (["--target", "qed=0.9", "--method", "gradient", "--decodings", "5"], "--decodings does not apply"),
    (["--target", "qed=0.9", "--method", "gradient", "--seed", "7"], "--seed does not apply"),
    (["--target", "qed=0.9", "--radius", "0"], "--radius must be above 0"),
    (["--target", "qed=0.9", "--method", "annealing"], "one of random, bayesian, gradient"),
])
def test_push_refuses_what_it_cannot_do(args, said):
    result = invoke("push", START, *args)
    assert result.exit_code == 2 and said in result.output, result.output


def test_encode_keeps_every_record_with_its_point_or_its_reason(tmp_path, vae):
    source = tmp_path / "library.csv"
    source.write_text("name,SMILES,pIC50\n"
                      "aspirin,CC(=O)Oc1ccccc1C(=O)O,5.1\n"
                      "broken,C1CC(,4.0\n"
                      "ibuprofen sodium,CC(C)Cc1ccc(C(C)C(=O)[O-])cc1.[Na+],6.0\n"
                      "silane,C[Si](C)(C)c1ccccc1,3.0\n"
                      "\n"
                      f"start,{START},7.0\n")
    out = tmp_path / "points.parquet"
    result = invoke("encode", source, "-o", out)
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert list(table["name"]) == ["aspirin", "broken", "ibuprofen sodium", "silane", "start"]
    assert list(table["line"]) == [2, 3, 4, 5, 7] and list(table["pIC50"]) == [5.1, 4.0, 6.0, 3.0, 7.0]
    assert list(table["encodable"]) == [True, False, True, False, True]
    assert "not a valid molecule" in table["reason"].iloc[1] and "cannot be encoded" in table["reason"].iloc[3]
    assert table["encoded"].iloc[2] == "CC(C)Cc1ccc(C(C)C(=O)O)cc1"   # the salt as its parent
    z_columns = [f"z_{d + 1}" for d in range(vae.config.latent_dim)]
    assert set(z_columns) <= set(table.columns) and table.loc[[1, 3], z_columns].isna().all().all()
    # each point is the encoder's mean of the molecule (refine steps 0), whatever else the file holds
    expected = latent.encode(vae, ["CC(=O)Oc1ccccc1C(=O)O", START], refine_steps=0).numpy()
    assert np.allclose(table.loc[[0, 4], z_columns].to_numpy(), expected, atol=1e-5)
    assert list(table["decodes_back"].iloc[[0, 2, 4]]) == [
        latent.graph_key(d) == latent.graph_key(s) for d, s in zip(table["decodes_to"].iloc[[0, 2, 4]],
                                                                    table["encoded"].iloc[[0, 2, 4]])]
    assert "encoded 3 of 5 rows" in result.output and "2 rows not encoded" in result.output
    assert "line 3:" in result.output and "1 salt, mixture or charged form was encoded" in result.output
    manifest = json.loads((tmp_path / "points.parquet.manifest.json").read_text())
    assert manifest["latent"]["given"]["encoded"] == 3 and manifest["output"]["rows"] == 5
    assert manifest["latent"]["given"]["input"] == {"file": str(source), "sha256": sha256_of(source),
                                                    "blank_lines_skipped": [6]}
    # an encode output encoded again (with more refine steps): the new points are z_*, the old ones input_z_*
    again = tmp_path / "again.parquet"
    result = invoke("encode", out, "-o", again, "--refine-steps", 2, "--smiles-column", "smiles")
    assert result.exit_code == 0, result.output
    assert "replaced" not in result.output
    replaced = invoke("encode", out, "-o", again, "--refine-steps", 2, "--smiles-column", "smiles")
    assert f"{again}, {again}.manifest.json existed and are replaced" in " ".join(replaced.output.split())
    second = pd.read_parquet(again)
    assert second.columns.is_unique and {"input_z_1", "input_reason", "input_encoded"} <= set(second.columns)
    assert np.allclose(second["input_z_1"].iloc[[0, 4]], table["z_1"].iloc[[0, 4]])
    refined = latent.encode(vae, [START], refine_steps=2).numpy()[0]
    assert np.allclose(second.loc[4, z_columns].to_numpy(dtype=float), refined, atol=1e-4)


def test_encode_reads_standard_input(tmp_path):
    out = tmp_path / "points.csv"
    result = runner.invoke(app, ["latent", "encode", "-", "-o", str(out)], input=f"{START} start\nC1CC( broken\n")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert table["name"].tolist() == ["start", "broken"] and table["encodable"].tolist() == [True, False]
    manifest = json.loads((tmp_path / "points.csv.manifest.json").read_text())
    assert manifest["latent"]["given"]["input"]["file"] == "(standard input)"


def test_encode_says_what_it_does_not_encode_and_a_ring_no_point_decodes_back_to(tmp_path):
    """A review: L- and D-alanine got one point, and a CD3 group and a 12-membered ring went without a word."""
    out = tmp_path / "points.csv"
    given = "C[C@H](N)C(=O)O L\nC[C@@H](N)C(=O)O D\n[2H]C([2H])([2H])Oc1ccccc1 d3\nC1CCCCCCCCCCC1 ring\nCCO plain\n"
    result = runner.invoke(app, ["latent", "encode", "-", "-o", str(out), "--refine-steps", "5"], input=given)
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "2 encoded rows carry stereocentres or double-bond geometry, which the model does not encode: " \
        "stereoisomers share one point" in said
    assert "1 encoded row carries isotope labels" in said
    assert "1 encoded row holds a ring larger than the decoder closes (7 atoms at most)" in said
    table = pd.read_csv(out)
    points = table[[c for c in table.columns if c.startswith("z")]].to_numpy()
    assert np.array_equal(points[0], points[1]) and not bool(table["decodes_back"].iloc[3])
    given_counts = json.loads((tmp_path / "points.csv.manifest.json").read_text())["latent"]["given"]
    assert (given_counts["stereo_not_encoded"], given_counts["isotope_labels_not_encoded"],
            given_counts["rings_the_decoder_never_closes"]) == (2, 1, 1)
    # and where a walk starts from it, the warning says why no refinement brings it back
    pushed = " ".join(invoke("analogues", "C1CCCCCCCCCCC1", "--points", 2, *FAST).output.split())
    assert "holds a ring of 12 atoms as the decoder builds it, and this model closes no ring larger than 7 atoms" in pushed
    assert "more --refine-steps may help" not in pushed


@pytest.mark.parametrize("written", [False, True])
def test_ctrl_c_says_nothing_was_written_with_or_without_an_output(tmp_path, monkeypatch, written):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(latent, "search", interrupted)
    out = tmp_path / "push.csv"
    if written:   # an earlier push's table under the name: left as it was
        out.write_text("smiles\nCCO\n")
    result = invoke("push", START, "--target", "qed=0.9", *FAST, *(["-o", out] if written else []))
    assert result.exit_code == 130 and "stopped: nothing was written" in result.output, result.output
    assert (f"{out} is as it was" in " ".join(result.output.split())) == written
    assert (out.read_text() == "smiles\nCCO\n") if written else not out.exists()


def test_encode_refuses_a_molecule_file_as_output_and_the_input_as_output(tmp_path):
    source = tmp_path / "in.smi"
    source.write_text(f"{START} one\n")
    table = tmp_path / "in.csv"
    table.write_text(f"smiles\n{START}\n")
    for given, out, said in ((source, tmp_path / "z.sdf", "write the latent points to a table"),
                             (source, source, "write the latent points to a table"), (table, table, "is the input"),
                             (source, tmp_path / "z.txt", "write the latent points to a table")):
        result = invoke("encode", given, "-o", out)
        assert result.exit_code == 2 and said in result.output, result.output
    assert source.read_text() == f"{START} one\n" and table.read_text() == f"smiles\n{START}\n"


def test_decode_gives_back_what_encode_measured_row_for_row(tmp_path, vae):
    source = tmp_path / "library.csv"
    source.write_text(f"name,SMILES\nstart,{START}\nbroken,C1CC(\nend,{END}\n")
    points = tmp_path / "points.parquet"
    assert invoke("encode", source, "-o", points, *FAST).exit_code == 0
    out = tmp_path / "decoded.csv"
    result = invoke("decode", points, "-o", out)
    assert result.exit_code == 0, result.output
    encoded, decoded = pd.read_parquet(points), pd.read_csv(out, keep_default_na=False)
    assert decoded["name"].tolist() == ["start", "broken", "end"]
    assert decoded["input_smiles"].tolist() == encoded["smiles"].tolist()   # encode's own column set aside
    # greedy decoding of the same points: encode's decodes_to, each row where it was
    assert decoded["smiles"].iloc[[0, 2]].tolist() == encoded["decodes_to"].iloc[[0, 2]].tolist()
    assert decoded["smiles"].iloc[1] == "" and decoded["reason"].iloc[1].startswith("no latent point: not encoded, ")
    assert "not a valid molecule" in decoded["reason"].iloc[1] and decoded["alerts"].iloc[1] == ""
    for smiles, qed in zip(decoded["smiles"].iloc[[0, 2]], decoded["qed"].iloc[[0, 2]]):
        assert float(qed) == pytest.approx(QED.qed(Chem.MolFromSmiles(smiles)), abs=1e-6)
    assert "decoded 2 of 3 points (greedy)" in result.output and "row 2: no latent point" in result.output
    manifest = json.loads((tmp_path / "decoded.csv.manifest.json").read_text())["latent"]
    assert manifest["given"]["input"] == {"file": str(points), "sha256": sha256_of(points)}
    assert manifest["given"]["encoded_by"] == sha256_of(shipped_checkpoint("graph-vae"))
    assert (manifest["given"]["decoded"], manifest["settings"]["decoding"]) == (2, "greedy")
    # whether each decoded molecule is the row's own: its name (and any measured value) describes the input's
    same = [decoded["smiles"].iloc[i] == encoded["encoded"].iloc[i] for i in (0, 2)]   # both canonical here
    assert decoded["same_as_input"].iloc[[0, 2]].tolist() == [str(flag) for flag in same]
    assert decoded["same_as_input"].iloc[1] == ""   # no molecule decoded: neither
    differ = same.count(False)
    assert manifest["given"]["not_the_input_molecule"] == differ
    assert (f"{differ} of 2 decoded molecules are not their row's input molecule" in result.output) == (differ > 0)
    # ethanol's encoder point alone does not bring it back on the shipped model (encode's decodes_back says so)
    assayed = tmp_path / "assayed.csv"
    assayed.write_text("name,smiles,pIC50\nethanol,CCO,4.0\n")
    assert invoke("encode", assayed, "-o", points, "--refine-steps", 0).exit_code == 0
    back = bool(pd.read_parquet(points)["decodes_back"].iloc[0])
    result = invoke("decode", points, "-o", out)
    decoded = pd.read_csv(out)
    assert bool(decoded["same_as_input"].iloc[0]) == back and decoded["input_smiles"].iloc[0] == "CCO"
    said = "1 of 1 decoded molecules are not their row's input molecule"
    assert (said in result.output and "the row's name, pIC50 describe encoded, not smiles" in result.output) != back
    # decoded again: the first decode's columns are molgen's, not the row's (a code review saw them listed)
    again = invoke("decode", out, "-o", tmp_path / "again.csv")
    assert again.exit_code == 0 and "input_input_smiles" not in again.output
    assert ("the row's name, pIC50 describe encoded, not smiles" in again.output) != back


def test_decode_reads_points_made_by_hand_and_names_each_cell_it_cannot_use(tmp_path, vae):
    dims = vae.config.latent_dim
    ends = latent.encode(vae, [START, END], refine_steps=0).numpy()
    centre = ends.mean(axis=0)
    header = ",".join(["label"] + [f"z_{d + 1}" for d in range(dims)])

    def row(label, cells):
        return ",".join([label] + [str(c) for c in cells])
    worded, blank, infinite = list(centre), list(centre), list(centre)
    worded[2], blank[4], infinite[0] = "abc", "", "inf"
    lines = [header, row("centre", centre), "", row("worded", worded), row("blank", blank),
             row("infinite", infinite), row("none", [""] * dims)]
    source = tmp_path / "made.csv"
    source.write_text("\n".join(lines) + "\n")
    out = tmp_path / "decoded.parquet"
    result = invoke("decode", source, "-o", out)
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert table["label"].tolist() == ["centre", "worded", "blank", "infinite", "none"]
    assert table["smiles"].iloc[0] == latent.decode(vae, torch.from_numpy(centre[None]))[0]
    assert table["reason"].tolist()[1:] == ["z_3 is 'abc', not a number", "z_5 blank", "z_1 is inf",
                                            "no latent point (every z cell blank)"]
    assert (table["smiles"].iloc[1:] == "").all() and table["qed"].iloc[1:].isna().all()
    assert table["z_1"].dtype == float   # the input's numbers stay numbers where a column holds only numbers
    said = " ".join(result.output.split())
    assert "4 rows not decoded (column reason), e.g. line 4: z_3 is 'abc', not a number; line 5: z_5 blank" in said
    assert "from the origin" not in said   # the centre of two encodings is no far point
    # a point far outside where encodings lie (a slip in a cell, 1e6): decoded, and said (a review)
    far = list(centre)
    far[0] = 1e6
    source.write_text("\n".join([header, row("centre", centre), row("far", far)]) + "\n")
    said = " ".join(invoke("decode", source).output.split())
    assert f"1 point lies more than {10 * dims ** 0.5:.0f} from the origin (line 3: |z| = 1e+06)" in said
    assert "decoded 2 of 2 points" in said


def test_decode_draws_are_seeded(tmp_path, vae):
    z = latent.encode(vae, [START, END], refine_steps=0).numpy()
    source = tmp_path / "points.csv"
    pd.DataFrame(np.repeat(z, 4, axis=0), columns=[f"z_{d + 1}" for d in range(z.shape[1])]).to_csv(source, index=False)
    runs = []
    for seed in (3, 3, 4):
        out = tmp_path / f"sampled{len(runs)}.csv"
        result = invoke("decode", source, "-o", out, "--decoding", "sampled", "--seed", seed)
        assert result.exit_code == 0, result.output
        runs.append(pd.read_csv(out)["smiles"].tolist())
    assert runs[0] == runs[1] and runs[0] != runs[2]
    assert json.loads((tmp_path / "sampled0.csv.manifest.json").read_text())["latent"]["settings"]["seed"] == 3


def test_decode_refuses_points_of_another_model_and_what_is_no_points_table(tmp_path, vae):
    dims = vae.config.latent_dim
    small = tmp_path / "small.csv"
    small.write_text("z_1,z_2,z_3\n0,0,0\n")
    result = invoke("decode", small)
    assert result.exit_code == 2 and f"holds points of 3 dimensions (z_1 ... z_3), and this model's latent space has " \
        f"{dims}" in " ".join(result.output.split())
    molecules = tmp_path / "mols.csv"
    molecules.write_text(f"smiles\n{START}\n")
    assert "has no latent point columns" in invoke("decode", molecules).output
    smi = tmp_path / "mols.smi"
    smi.write_text(f"{START}\n")
    assert "latent points are read from a table" in invoke("decode", smi).output
    # a manifest naming another checkpoint: refused, unless asked for
    points = tmp_path / "points.csv"
    pd.DataFrame(np.zeros((1, dims)), columns=[f"z_{d + 1}" for d in range(dims)]).to_csv(points, index=False)
    (tmp_path / "points.csv.manifest.json").write_text(json.dumps({"model": {"checkpoint": "other.pt",
                                                                             "sha256": "ab" * 32}}))
    result = invoke("decode", points)
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "its points were encoded by other.pt" in said and "--from-another-model" in said
    result = invoke("decode", points, "--from-another-model")
    assert result.exit_code == 0 and "decoded 1 of 1 points" in result.output, result.output
    for args, said in ((["-o", tmp_path / "out.sdf"], "write the decoded points to a table"),
                       (["-o", points], "is the input"),
                       (["--temperature", "0.5"], "a temperature applies only to")):
        result = invoke("decode", points, *args)
        assert result.exit_code == 2 and said in " ".join(result.output.split()), result.output


def test_decode_keeps_the_files_own_cells_and_places_as_written(tmp_path, vae):
    """A review: ids lost their zeros (00123 -> 123), a row of empty cells vanished, a trailing delimiter shifted every
    column, a quoted name over two lines misnumbered the rows after it, 1e39 decoded as a point, pd.NA read as a
    word, a column named twice went unsaid."""
    dims = vae.config.latent_dim
    point = latent.encode(vae, [START], refine_steps=0).numpy()[0]
    header = ",".join(["id", "name"] + [f"z_{d + 1}" for d in range(dims)])
    cells = ",".join(str(v) for v in point)
    huge = ",".join(["1e39"] + [str(v) for v in point[1:]])
    source = tmp_path / "points.csv"
    source.write_text("\n".join([header, f"00123,plain,{cells},", f'00456,"two\nlines",{cells},', "," * (dims + 1),
                                 f"00789,huge,{huge},", ""]))
    out = tmp_path / "decoded.csv"
    result = invoke("decode", source, "-o", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, dtype={"id": str}, keep_default_na=False)
    assert table["id"].tolist() == ["00123", "00456", "", "00789"] and table["name"].tolist()[1] == "two\nlines"
    assert table["smiles"].iloc[0] == table["smiles"].iloc[1] != ""
    assert table["reason"].iloc[2] == "no latent point (every z cell blank)"
    assert table["reason"].iloc[3] == "z_1 is 1e+39, beyond what a latent point holds"
    said = " ".join(result.output.split())
    assert "line 5: no latent point" in said and "line 6: z_1 is 1e+39" in said   # the quoted name's second line counted
    # a Parquet file's nullable floats: a missing cell is blank, not the word '<NA>'
    frame = pd.DataFrame([point, point], columns=[f"z_{d + 1}" for d in range(dims)]).astype("Float64")
    frame.iloc[1, 4] = pd.NA
    frame.to_parquet(tmp_path / "nullable.parquet")
    frame.insert(0, "reg_id", ["123", "1E5"])   # a Parquet file's text ids stay text
    frame.to_parquet(tmp_path / "nullable.parquet")
    result = invoke("decode", tmp_path / "nullable.parquet", "-o", tmp_path / "n.parquet")
    decoded = pd.read_parquet(tmp_path / "n.parquet")
    assert result.exit_code == 0 and decoded["reason"].iloc[1] == "z_5 blank", result.output
    assert decoded["reg_id"].tolist() == ["123", "1E5"]
    # what cannot be read as one table of points is said, with its line
    twice = tmp_path / "twice.csv"
    twice.write_text(f"z_1,{header}\n0,1,a,{cells}\n")
    assert "names a column more than once (z_1)" in " ".join(invoke("decode", twice).output.split())
    # a spreadsheet's empty trailing columns, and a note column twice, read as the molecule reader reads them; a
    # column of numbers stays numbers (pIC50), one of zero-padded ids text
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"note,note,pIC50,{header},,\nx,y,6.5,007,a,{cells},,\n")
    result = invoke("decode", sheet, "-o", tmp_path / "sheet.parquet")
    assert result.exit_code == 0, result.output
    read = pd.read_parquet(tmp_path / "sheet.parquet")
    assert list(read.columns[:5]) == ["note", "note (2)", "pIC50", "id", "name"] and read["pIC50"].tolist() == [6.5]
    assert read["id"].tolist() == ["007"] and not any(c.startswith("Unnamed") for c in read.columns)
    longer = tmp_path / "longer.csv"
    longer.write_text(f"{header}\n1,a,{cells},extra\n")
    assert "line 2: this row has" in " ".join(invoke("decode", longer).output.split())
    result = invoke("decode", source, "-o", tmp_path / "out.txt")
    assert result.exit_code == 2 and "write the decoded points to a table" in result.output


def test_map_places_files_and_runs_together_and_draws_them(tmp_path, vae):
    from molgen.runs import generate

    series = tmp_path / "series.csv"
    series.write_text(f"name,smiles,pIC50\nstart,{START},6.5\nend,{END},7.0\nbroken,C1CC(,5\npara,CC(=O)Nc1ccc(O)cc1,5.5\n")
    run = generate("graph-vae", 4, seed=3, max_samples=40, progress=False, name="map-run")
    out, plot = tmp_path / "map.parquet", tmp_path / "map.png"
    result = invoke("map", series, "map-run", "-o", out, "--plot", plot, "--colour", "pIC50", "--each", 3)
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    ranked = run.candidates()
    assert table["source"].tolist() == ["series"] * 3 + ["map-run"] * min(3, len(ranked))
    assert table["name"].iloc[:3].tolist() == ["start", "end", "broken"] and pd.isna(table["pc_1"].iloc[2])
    assert table["smiles"].iloc[3:].tolist() == ranked["smiles"].head(3).tolist()
    said = " ".join(result.output.split())
    assert "series: its first 3 of 4 rows" in said and "map-run: its best 3 of" in said and "not on the map" in said
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    manifest = json.loads((tmp_path / "map.parquet.manifest.json").read_text())["latent"]["given"]
    assert manifest["sources"][1] == {"run": run.id, "name": "map-run", "ranked": len(ranked)}
    assert manifest["mapped"] == int(table["pc_1"].notna().sum())
    for args, said in ((["nowhere"], "neither a file nor a stored run"), ([series, "--colour", "name"], "--colour name"),
                       ([series, "--plot", tmp_path / "map.svg"], "drawn as a PNG"),
                       ([series, "--plot", tmp_path / "none" / "m.png"], "no folder"),
                       ([series, series], "a source is given twice")):
        result = invoke("map", *args, "-o", tmp_path / "x.csv")
        assert result.exit_code == 2 and said in " ".join(result.output.split()), result.output
    # a source is never written over (a review: -o series.csv replaced the series with the map)
    before = series.read_text()
    result = invoke("map", series, "map-run", "-o", series)
    assert result.exit_code == 2 and "is the input" in result.output and series.read_text() == before
    # a file's own qed colours the plot as input_qed; a vendor's SMILES column named for the file that has it
    vendor = tmp_path / "vendor.csv"
    vendor.write_text(f"Structure_2D,qed\n{START},0.1\n{END},0.9\nCC(=O)Nc1ccc(O)cc1,0.5\n")
    result = invoke("map", vendor, series, "--smiles-column", "Structure_2D", "--colour", "input_qed", "-o",
                    tmp_path / "v.csv", "--plot", tmp_path / "v.png")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "v.csv")["input_qed"].tolist()[:3] == [0.1, 0.9, 0.5]
    result = invoke("map", series, "--smiles-column", "SMILES", "-o", tmp_path / "s.csv")   # the reader's any case
    assert result.exit_code == 0, result.output
    smi = tmp_path / "typed.smi"
    smi.write_text(f"{START} a\n{END} b\nCC(=O)Nc1ccc(O)cc1 c\n")   # a .smi file has no column to match a typo
    result = invoke("map", smi, "--smiles-column", "Structure_3D", "-o", tmp_path / "w.csv")
    assert result.exit_code == 2 and "no table given has that column" in result.output
    result = invoke("map", series, "--smiles-column", "Structure_3D", "-o", tmp_path / "w.csv")
    assert result.exit_code == 2 and "--smiles-column Structure_3D: no table given has that column" in result.output
    result = invoke("map", vendor, "--smiles-column", "Structure_3D", "-o", tmp_path / "w.csv")
    assert result.exit_code == 2 and "has no column Structure_3D (--smiles-column), and" in " ".join(
        result.output.split())


def test_a_decoded_molecule_failing_a_hard_filter_is_named_as_failing_it():
    """A review: an analogue with an N(F)F group, which the drug-like profile's hard filters score 0, read only
    "4 alerts" beside the flags to look at."""
    from molgen.models.graph_vae.latent_tables import described, failures_last, with_properties

    # a found set lists those failing a hard filter after those that pass, each part in its order, the start last
    found = with_properties(pd.DataFrame({"smiles": ["CCO", "Cc1ccc(N(F)F)cc1", "CC(=O)Nc1ccc(O)cc1", "CCN(F)F", "CCC"],
                                          "is_start": [False, False, False, False, True]}))
    assert failures_last(found)["smiles"].tolist() == ["CCO", "CC(=O)Nc1ccc(O)cc1", "Cc1ccc(N(F)F)cc1", "CCN(F)F", "CCC"]
    assert failures_last(found.drop(columns="is_start"))["smiles"].tolist()[-2:] == ["Cc1ccc(N(F)F)cc1", "CCN(F)F"]
    table = described(("Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(N(F)F)cc2)cc1", "CC(=O)Nc1ccc(O)cc1", "xyz"))
    assert table["failed_filters"].tolist()[:2] == ["halogen_donors", ""]
    assert table["passes_filters"].tolist()[:2] == [False, True] and pd.isna(table["passes_filters"][2])   # no molecule
    assert {"failed_filters", "passes_filters"} <= set(with_properties(pd.DataFrame({"smiles": []})))
    # ... in the terminal table too, beside the alerts counted
    from molgen import cli

    rows = pd.DataFrame({"smiles": table.index.map(str), "alerts": table["alerts"],
                         "failed_filters": table["failed_filters"]}).head(2)
    with cli.console.capture() as captured:
        cli._latent_table(rows, ["smiles", "alerts"], 5, "two rows", None)
    said = captured.get()
    assert "fails halogen_donors" in said and said.count("fails") == 1


def test_a_gradient_walk_says_where_its_property_head_and_rdkit_part_ways():
    """A review: the head's logP rose from 2.9 to 4.9 along a walk while RDKit's moved from 2.90 to 2.98, and only
    the file's columns said so."""
    from molgen.models.graph_vae.latent_tables import head_drift

    walk = pd.DataFrame({"step": [0, 5, 30], "smiles": ["CCO", "CCCO", "CCCCO"], "predicted_logp": [2.9, 3.6, 4.9],
                         "logp": [2.9, 2.95, 2.98], "predicted_qed": [0.5, 0.55, 0.6], "qed": [0.5, 0.52, 0.58]})
    said = head_drift(walk, {"logp": 5.0, "qed": 0.6})
    assert said.startswith("at the last molecule (step 30) the property head and RDKit disagree (logp 4.90 "
                           "predicted, 2.98 measured)") and "qed" not in said.split("):")[0]
    assert head_drift(walk, {"qed": 0.6}) is None   # within QED's tolerance (0.05)
    assert head_drift(walk.iloc[:0], {"logp": 5.0}) is None
    assert head_drift(walk.iloc[:1], {"logp": 5.0}) is None   # nothing met but the start
    assert head_drift(walk.drop(columns="logp"), {"logp": 5.0}) is None   # a column missing: nothing to compare
    assert head_drift(walk.assign(logp=[2.9, 2.95, float("nan")]), {"logp": 5.0}) is None   # not measured
