"""`molgen generate`, `molgen runs ...` and `molgen export` through the command line."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from rdkit import Chem
from typer.testing import CliRunner

from molgen import cli
from molgen.cli import app
from molgen.runs import RunStore

runner = CliRunner()


def run(*args, home, input=None):
    """Tables 200 columns wide, so that no name wraps. The width is set on the console itself: the
    console fixes its width at import when $COLUMNS is set then (pytest-xdist sets it to 80)."""
    width, cli.console.width = cli.console._width, 200
    try:
        return runner.invoke(app, [str(a) for a in args], env={"MOLGEN_HOME": str(home)}, catch_exceptions=False,
                             input=input)
    finally:
        cli.console._width = width


def test_runs_list_names_a_shipped_checkpoint_as_model_takes_it(tmp_path, monkeypatch):
    """The shipped LSTM and transformer are both smiles-lm: listed by the name --model takes."""
    from molgen.models.base import shipped_checkpoints

    monkeypatch.setenv("MOLGEN_HOME", str(tmp_path))
    with RunStore() as store:
        for name in ("smiles-lm-lstm", "smiles-lm-transformer"):
            store.create_run(name=f"run-{len(name)}", model="smiles-lm", checkpoint=str(shipped_checkpoints()[name].resolve()),
                             checkpoint_sha256="0", seed=0, n_requested=1, params={}, conditions={}, native={},
                             profile={"name": "drug-like"}, versions={})
    listed = " ".join(run("runs", "list", home=tmp_path).output.split())
    assert "smiles-lm-lstm" in listed and "smiles-lm-transformer" in listed
    # a record with none of a run's settings or counts (an interrupted start, an older molgen) is shown as it is
    bare = run("runs", "show", "run-14", home=tmp_path)
    assert bare.exit_code == 0 and "seed 0; 1 asked for\n" in bare.output and "profile: drug-like" in bare.output


def test_generate_list_show_tag_export_delete(tiny_checkpoint, tmp_path):
    empty = run("runs", "list", home=tmp_path)
    assert empty.exit_code == 0 and "no runs yet in" in empty.output   # it printed nothing at all
    result = run("generate", "--model", tiny_checkpoint, "-n", 25, "--condition", "mw<=450", "--seed", 3, "--name", "cli-run",
                 home=tmp_path)
    assert result.exit_code == 0, result.output
    assert "complete" in result.output and "no correction" in result.output and "#1 " in result.output
    assert "keeps only molecules meeting every condition: mw <= 450" in result.output
    listed = run("runs", "list", home=tmp_path)
    assert "cli-run" in listed.output
    # read by a person: what the run said as it ended, then its settings in words and its best, a line each (it was
    # 80 lines of JSON, then a table folding each SMILES in a narrow terminal)
    shown = run("runs", "show", "cli-run", "--top", 3, home=tmp_path)
    assert shown.exit_code == 0 and "checkpoint_sha256" not in shown.output
    said = shown.output.splitlines()
    assert "keeps only molecules meeting every condition: mw <= 450" in shown.output and "no correction" in shown.output
    assert any(line.startswith("seed 3; 25 asked for; chunks of ") for line in said)
    best = [line.split()[1] for line in said if line.startswith("  #")]
    assert [line.split()[0] for line in said if line.startswith("  #")] == ["#1", "#2", "#3"]
    assert all(Chem.MolFromSmiles(smiles) is not None for smiles in best) and "--json" in said[-1]
    # for scripts: JSON, whole (a narrow terminal cut every column to "na…")
    listed_json = json.loads(run("runs", "list", "--json", home=tmp_path).output)
    assert [(r["name"], r["profile"]) for r in listed_json] == [("cli-run", "drug-like")]
    record = json.loads(run("runs", "show", "cli-run", "--top", 3, "--json", home=tmp_path).output)
    assert record["name"] == "cli-run" and [c["rank"] for c in record["best"]] == [1, 2, 3]
    # one time in both (the list gave a minute as text, show seconds since the epoch)
    assert listed_json[0]["created"] == record["created"] and isinstance(record["created"], float)
    # a narrow terminal (or a pipe, read at 80 columns) gets a block per run, every field whole
    width, cli.console.width = cli.console._width, 80
    try:
        narrow = runner.invoke(app, ["runs", "list"], env={"MOLGEN_HOME": str(tmp_path)}, catch_exceptions=False).output
    finally:
        cli.console._width = width
    # its own checkpoint, named
    assert "cli-run  complete  smiles-lm: tiny.pt  seed 3" in narrow and "asked 25 · sampled" in narrow
    tagged = run("runs", "tag", "cli-run", "series-a", "keep", home=tmp_path)
    assert "series-a, keep" in tagged.output
    for bad in ("", "a,b"):   # an empty tag listed as ", "; a comma reads as two tags
        refused = run("runs", "tag", "cli-run", bad, home=tmp_path)
        assert refused.exit_code == 2 and "without commas" in refused.output
    absent = run("runs", "tag", "cli-run", "nope", "--remove", home=tmp_path)
    assert absent.exit_code == 0 and "not tagged nope: nothing to remove" in absent.output
    out = tmp_path / "best.csv"
    exported = run("export", "cli-run", "--top", 10, "--where", "mw <= 450", "-o", out, home=tmp_path)
    assert exported.exit_code == 0, exported.output
    frame = pd.read_csv(out)
    assert len(frame) == 10 and (frame["mw"] <= 450).all() and frame["rank"].is_monotonic_increasing
    raw = pd.read_csv(out, dtype=str)   # counts written as counts: "2", not "2.0"
    assert all(raw[c].str.fullmatch(r"-?\d+").all() for c in ("hbd", "hba", "heavy_atoms", "rings"))
    manifest = json.loads((tmp_path / "best.csv.manifest.json").read_text())
    assert manifest["run"]["name"] == "cli-run" and manifest["run"]["tags"] == ["series-a", "keep"]
    # what the filter alone met, beside what the model steered (a review found native {} alone for a VAE scaffold)
    from molgen.runs.export import _manifest

    record = {"model": "graph-vae", "native": {}, "conditions": {"scaffold": "C1CNCCN1", "ranges": {"qed": [0.7, None]}}}
    assert _manifest(frame, "x.csv", "0", record, "csv")["run"]["met_by_the_filter_alone"] == ["range qed", "scaffold"]
    assert manifest["run"]["met_by_the_filter_alone"] == ["range mw"]   # the LSTM steers no property
    assert "existed and is replaced" not in exported.output
    again = run("export", "cli-run", "--top", 5, "-o", out, home=tmp_path)   # over the last export: said
    assert again.exit_code == 0 and "best.csv, " in again.output and len(pd.read_csv(out)) == 5
    # the manifest is named too (a review: only the file was)
    assert "best.csv.manifest.json existed and are replaced" in " ".join(again.output.split())
    assert "more than the" not in again.output   # --top given: no word on it
    # every ranked molecule, more than the 25 asked for (a run keeps its last chunk whole): said, with what writes 25
    ranked = json.loads(run("runs", "show", "cli-run", "--json", home=tmp_path).output)["counts"]["ranked"]
    whole = run("export", "cli-run", "-o", tmp_path / "all.csv", home=tmp_path)
    assert ranked > 25 and len(pd.read_csv(tmp_path / "all.csv")) == ranked
    assert "(more than the 25 the run asked for: a run ranks every molecule of its last chunk; --top 25 writes ranks " \
        "1 to 25 only)" in " ".join(whole.output.split())
    bare = tmp_path / "best"   # the format's ending added: the file replaced is best.csv, and said
    suffixed = run("export", "cli-run", "--top", 3, "--format", "csv", "-o", bare, home=tmp_path)
    assert suffixed.exit_code == 0 and "best.csv.manifest.json existed and are replaced" in " ".join(suffixed.output.split())
    named = run("export", "cli-run", "--top", 3, "--format", "csv", "-o", out, home=tmp_path)   # best.csv, format named
    assert named.exit_code == 0 and "best.csv.manifest.json existed and are replaced" in " ".join(named.output.split())
    with RunStore(tmp_path / "runs.sqlite") as store:
        store.set_selected("cli-run", frame["smiles"].head(3))
    none = run("export", "cli-run", "--selected", "--where", "mw > 5000", "-o", tmp_path / "none.csv", home=tmp_path)
    # an empty export is written (its header and manifest) and exits 1, so that a script's next step is told
    assert none.exit_code == 1 and "the file is empty: none of the 3 selected passes the filters" in none.output
    assert (tmp_path / "none.csv").is_file() and (tmp_path / "none.csv.manifest.json").is_file()
    # the molecules given a tag in the app: the whole tag, not a tag that contains it
    with RunStore(tmp_path / "runs.sqlite") as store:
        store.tag_candidates("cli-run", frame["smiles"].head(2), "hinge")
        store.tag_candidates("cli-run", frame["smiles"].iloc[2:4], "hinge-binders")
        for two in ("hinge,hinge-binders", ""):   # one tag at a time: "a,b" would cut two out of "a,b,c"
            with pytest.raises(ValueError):
                store.untag_candidates("cli-run", frame["smiles"], two)
            with pytest.raises(ValueError):
                store.count("cli-run", tagged=two)
    hinge = run("export", "cli-run", "--tagged", "hinge", "-o", tmp_path / "hinge.csv", home=tmp_path)
    assert hinge.exit_code == 0 and pd.read_csv(tmp_path / "hinge.csv")["smiles"].tolist() == frame["smiles"].head(2).tolist()
    assert json.loads((tmp_path / "hinge.csv.manifest.json").read_text())["export"]["tagged"] == "hinge"
    untagged = run("export", "cli-run", "--tagged", "lead", "-o", tmp_path / "lead.csv", home=tmp_path)
    assert untagged.exit_code == 1 and "no candidate is tagged 'lead' (the run's molecules carry: hinge, hinge-binders)" \
        in " ".join(untagged.output.split())
    for bad in ("a,b", "[/S]"):   # two tags, or Rich markup: refused, or said as written
        odd = run("export", "cli-run", "--tagged", bad, "-o", tmp_path / "odd.csv", home=tmp_path)
        assert odd.exit_code in (1, 2) and "Traceback" not in odd.output and bad in odd.output
    both = run("export", "cli-run", "--selected", "--tagged", "hinge-binders", "-o", tmp_path / "both.csv", home=tmp_path)
    assert both.exit_code == 0 and pd.read_csv(tmp_path / "both.csv")["smiles"].tolist() == [frame["smiles"].iloc[2]]
    declined = run("runs", "delete", "cli-run", home=tmp_path, input="n\n")
    assert declined.exit_code == 1 and "candidates)?" in declined.output
    assert run("runs", "show", "cli-run", home=tmp_path).exit_code == 0   # still there
    assert run("runs", "delete", "cli-run", home=tmp_path, input="y\n").exit_code == 0
    missing = run("runs", "show", "cli-run", home=tmp_path)
    assert missing.exit_code == 2 and "no run 'cli-run'" in missing.output


def test_a_scaffold_given_as_smarts_is_said_to_be_met_by_the_filter_alone(tiny_checkpoint, tmp_path):
    result = run("generate", "--model", tiny_checkpoint, "-n", 3, "--max-samples", 40, "--scaffold", "[#6]1:[#6]:[#6]:[#6]:[#6]:[#6]:1",
                 home=tmp_path)
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "scaffold: not steered by this model here; met by the filter alone" in said
    assert "steered natively" not in said
    # said before sampling starts (as the Generate page says it), not only once the budget is spent
    assert said.index("met by the filter alone") < said.index("complete.")
    assert said.count("met by the filter alone") == 1   # said before, not again after


def test_a_window_few_training_molecules_reach_is_said_before_sampling(tiny_checkpoint, tmp_path):
    far = run("generate", "--model", tiny_checkpoint, "-n", 2, "--condition", "mw>=480", "--max-samples", 20,
              home=tmp_path)
    said = " ".join(far.output.split())
    # said first, the window named (a review: "inside it" came before any condition was)
    assert far.exit_code == 1 and "none of MOSES's training molecules lie inside 480 <= mw: a model that does not " \
        "steer mw will seldom reach it" in said
    assert said.index("seldom reach it") < said.index("budget_exhausted")   # before the budget is spent
    # a run that ranks no molecule exits 1, so that `generate && export` stops (a review: exit 0, then an empty file)
    assert "the run ranked no molecule (exit status 1)" in said
    assert re.search(r"`molgen export \S+ --include-unranked -o FILE` writes the [\d,]+ it kept", said)   # as it runs
    with RunStore(tmp_path / "runs.sqlite") as store:
        spent = store.runs()["name"].iloc[0]
    again = " ".join(run("generate", "--resume", spent, home=tmp_path).output.split())   # a review: a summary, reprinted
    assert f"run {spent} has sampled its whole budget (20 molecules): it ranks what it stored and samples nothing " \
        "more" in again
    smaller = run("generate", "--resume", spent, "--max-samples", 10, home=tmp_path)   # refused, and nothing else said
    assert smaller.exit_code == 2 and "has sampled its whole budget" not in smaller.output
    assert "--max-samples 10 is below the 20 molecules run" in " ".join(smaller.output.split())
    near = run("generate", "--model", tiny_checkpoint, "-n", 2, "--condition", "mw<=480", "--max-samples", 20,
               home=tmp_path)
    assert near.exit_code == 0 and "training molecules lie inside" not in near.output   # said only when it matters
    # a model that steers the property is told so (graph diffusion was told it "will seldom reach" a target it
    # then steered natively)
    steered = run("generate", "--model", "graph-diffusion", "-n", 1, "--condition", "mw>=480", "--condition", "mw=490",
                  "--steps", 4, "--max-samples", 2, home=tmp_path)
    said = " ".join(steered.output.split())
    assert "lie inside 480 <= mw <= 515: this model steers mw towards it" in said and "seldom" not in said


def test_bad_conditions_are_clear_errors(tiny_checkpoint, tmp_path):
    bad = run("generate", "--model", tiny_checkpoint, "-n", 5, "--condition", "qde>=0.5", home=tmp_path)
    assert bad.exit_code == 2 and "did you mean 'qed'" in bad.output
    bad = run("generate", "--model", tiny_checkpoint, "-n", 5, "--avoid", "C1((", home=tmp_path)
    assert bad.exit_code == 2 and "neither valid SMARTS nor valid SMILES" in bad.output
    bracketed = run("generate", "--model", tiny_checkpoint, "-n", 5, "--avoid", "c1cc[nH]c1((", home=tmp_path)
    assert bracketed.exit_code == 2 and "c1cc[nH]c1((" in bracketed.output  # printed as typed, not read as markup
    assert run("export", "nope", "-o", tmp_path / "x.csv", home=tmp_path).exit_code == 2
    foreign = run("generate", "--model", tiny_checkpoint, "-n", 5, "--steps", 50, home=tmp_path)
    said = " ".join(foreign.output.split())
    assert foreign.exit_code == 2 and "a smiles-lm model takes no --steps" in said
    # named as the flags this command has: --top-k, not top_k; nothing the command line cannot take (beam_width)
    assert "its sampling flags are --bf16, --temperature, --top-k, --top-p" in said and "beam" not in said
    foreign = run("generate", "--model", tiny_checkpoint, "-n", 5, "--decoding", "sampled", home=tmp_path)
    assert foreign.exit_code == 2 and "a smiles-lm model takes no --decoding" in foreign.output
    unused = run("generate", "--model", "graph-vae", "-n", 5, "--decoding", "greedy", "--candidates", 3, home=tmp_path)
    assert unused.exit_code == 2 and "candidates applies only to decoding='most-likely'" in unused.output
    unknown = run("generate", "--model", "graph-diffusion", "-n", 5, "--sampler", "ddim", home=tmp_path)
    assert unknown.exit_code == 2 and "sampler must be one of ancestral, flow" in unknown.output
    unused = run("generate", "--model", "graph-diffusion", "-n", 5, "--sampler", "ancestral", "--target-guidance", 0.5,
                 home=tmp_path)
    assert unused.exit_code == 2 and "only to sampler='flow'" in unused.output
    unused = run("generate", "--model", "graph-diffusion", "-n", 5, "--sampler", "ancestral", "--stochasticity", 5,
                 home=tmp_path)
    assert unused.exit_code == 2 and "stochasticity applies only to sampler='flow'" in unused.output
    # guidance without a target was recorded in the run and changed nothing
    aimless = run("generate", "--model", "graph-diffusion", "-n", 5, "--guidance", 1.0, "--condition", "qed>=0.5",
                   home=tmp_path)
    said = " ".join(aimless.output.split())
    assert aimless.exit_code == 2 and "guidance 1.0 acts on a property target" in said and "none was given" in said
    # above 1 it overshoots and costs validity (benchmarks/RESULTS.md): said before sampling; at 1 and below, nothing
    pushed = run("generate", "--model", "graph-diffusion", "-n", 2, "--steps", 10, "--guidance", 1.5, "--condition",
                 "logp=4", home=tmp_path)
    said = " ".join(pushed.output.split())
    assert pushed.exit_code == 0 and "--guidance 1.5 is above 1: at 1 the shipped model already overshot logP" in said
    usual = run("generate", "--model", "graph-diffusion", "-n", 2, "--steps", 10, "--guidance", 1.0, "--condition",
                "logp=4", home=tmp_path)
    assert usual.exit_code == 0 and "is above 1" not in usual.output


def test_options_no_run_could_use_are_refused_before_anything_is_stored_or_scored(tiny_checkpoint, tmp_path):
    hot = run("generate", "--model", tiny_checkpoint, "-n", 5, "--temperature", -1, home=tmp_path)
    assert hot.exit_code == 2 and "temperature must be positive" in hot.output
    if (tmp_path / "runs.sqlite").exists():   # no run left behind, as there used to be (an "interrupted" one)
        with RunStore(tmp_path / "runs.sqlite") as store:
            assert store.runs().empty
    done = run("generate", "--model", tiny_checkpoint, "-n", 5, "--seed", 2, "--name", "short", home=tmp_path)
    assert done.exit_code == 0, done.output
    changed = run("generate", "--resume", "short", "-n", 50, "--seed", 9, home=tmp_path)
    assert changed.exit_code == 2 and "-n, --seed cannot change it" in changed.output
    assert run("generate", "--resume", "short", "--jobs", 1, home=tmp_path).exit_code == 0   # scoring processes may change
    for jobs in (["--jobs", 0], ["--n-jobs", -1]):   # 0 quietly meant every core
        refused = run("generate", "--model", tiny_checkpoint, "-n", 5, *jobs, home=tmp_path)
        assert refused.exit_code == 2 and "Invalid value for '--jobs'" in refused.output, refused.output
    (tmp_path / "one.smi").write_text("CCO\n")
    assert run("score", tmp_path / "one.smi", "-o", tmp_path / "s.csv", "--jobs", 0, home=tmp_path).exit_code == 2
    with RunStore(tmp_path / "runs.sqlite") as store:
        sampled = store.run("short")["counts"]["sampled"]
    below = run("generate", "--resume", "short", "--max-samples", sampled - 1, home=tmp_path)
    said = " ".join(below.output.split())
    assert below.exit_code == 2 and f"--max-samples {sampled - 1} is below the {sampled} molecules" in said, said
    # a name that says one format, asked for another: refused, not written as out.csv.sdf
    clash = run("export", "short", "--format", "sdf", "-o", tmp_path / "out.csv", home=tmp_path)
    said = " ".join(clash.output.split())
    assert clash.exit_code == 2 and "out.csv is named as csv, but the format asked for is sdf" in said, said
    assert not list(tmp_path.glob("out.csv*"))
    bare = run("export", "short", "--format", "sdf", "-o", tmp_path / "picked", home=tmp_path)
    assert bare.exit_code == 0 and (tmp_path / "picked.sdf").is_file()
    (tmp_path / "out").mkdir()   # a folder: said so, not "cannot tell the format", nor out.csv written beside it
    for given in ([], ["--format", "csv"]):
        folder = run("export", "short", "-o", tmp_path / "out", *given, home=tmp_path)
        said = " ".join(folder.output.split())
        assert folder.exit_code == 2 and f"{tmp_path / 'out'} is a folder: name the file to write" in said, said
    assert not (tmp_path / "out.csv").exists()
    gzipped = run("export", "short", "-o", tmp_path / "best.sdf.gz", home=tmp_path)   # readable, not writable
    assert gzipped.exit_code == 2 and "cannot write this file type" in gzipped.output
    for top in (0, -5):
        refused = run("export", "short", "--top", top, "-o", tmp_path / "x.csv", home=tmp_path)
        assert refused.exit_code == 2 and "top (--top) must be at least 1" in refused.output
    empty = run("export", "short", "--selected", "-o", tmp_path / "none.csv", home=tmp_path)
    assert empty.exit_code == 1 and "no candidate is selected" in empty.output
    source = tmp_path / "in.smi"
    source.write_text("CCO\n")
    for name in ("out.xlsx", "out.smi", "out.sdf.gz"):
        wrong = run("score", source, "-o", tmp_path / name, home=tmp_path)
        assert wrong.exit_code == 2 and "cannot write this file type" in wrong.output, wrong.output


def test_the_api_and_the_command_line_share_a_default_seed_and_chunk_size(tiny_checkpoint, tmp_path):
    """A script's ``molgen.generate()`` and ``molgen generate`` with no seed give the same molecules (the web app
    takes the same defaults: tests/workbench)."""
    import molgen

    assert run("generate", "--model", tiny_checkpoint, "-n", 8, "--name", "cli", home=tmp_path).exit_code == 0
    store = RunStore(tmp_path / "runs.sqlite")
    api = molgen.generate(tiny_checkpoint, 8, name="api", store=store, progress=False)
    from molgen.runs.generate import Run

    cli_run = Run(store.resolve("cli"), store)
    assert cli_run.record["seed"] == api.record["seed"] == 1
    assert cli_run.record["params"]["chunk_size"] == api.record["params"]["chunk_size"] == 100   # n, at least 100
    assert list(cli_run.candidates()["smiles"]) == list(api.candidates()["smiles"])


def test_a_run_that_fails_mid_way_exits_1_and_names_the_failed_run(tiny_checkpoint, tmp_path, monkeypatch):
    import importlib

    pipeline = importlib.import_module("molgen.runs.generate")
    load = pipeline._load_generator

    def broken(family, checkpoint):
        generator = load(family, checkpoint)
        generator.sample = lambda *args, **kwargs: (_ for _ in ()).throw(RuntimeError("sampler broke"))
        return generator

    monkeypatch.setattr(pipeline, "_load_generator", broken)
    result = run("generate", "--model", tiny_checkpoint, "-n", 5, "--name", "breaks", home=tmp_path)
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "(breaks) failed: RuntimeError: sampler broke" in said and "runs show" in said
    assert RunStore(tmp_path / "runs.sqlite").run("breaks")["status"] == "failed"


def test_generate_names_refused_values_by_their_flags(tiny_checkpoint, tmp_path):
    for flag, value, said in (("--top-p", 2, "--top-p must lie in (0, 1]"), ("--chunk-size", 0, "--chunk-size must be a whole number of 1 or more"),
                              ("--max-samples", 0, "--max-samples must be a whole number of 1 or more")):
        result = run("generate", "--model", tiny_checkpoint, "-n", 5, flag, value, home=tmp_path)
        assert result.exit_code == 2 and said in result.output, result.output


def test_what_a_run_sampled_that_is_no_molecule_is_listed_with_its_reason(tiny_checkpoint, tmp_path):
    assert run("generate", "--model", tiny_checkpoint, "-n", 5, "--seed", 2, "--name", "messy", home=tmp_path).exit_code == 0
    with RunStore(tmp_path / "runs.sqlite") as store:
        stored = store.rejects("messy")
    assert len(stored) > 0   # the tiny model writes about 70% invalid strings
    shown = " ".join(run("runs", "show", "messy", home=tmp_path).output.split())
    assert f"{len(stored):,} sampled strings or graphs not a molecule (" in shown and "molgen runs rejects" in shown
    out = tmp_path / "rejects.csv"
    first = run("runs", "rejects", "messy", "-o", out, home=tmp_path)
    assert first.exit_code == 0 and "replaced" not in first.output
    again = run("runs", "rejects", "messy", "-o", out, home=tmp_path)
    assert again.exit_code == 0 and f"{out} existed and is replaced" in " ".join(again.output.split())
    written = pd.read_csv(out)
    run_id = RunStore(tmp_path / "runs.sqlite").run("messy")["id"]   # the run named in each row, for a file passed on
    assert len(written) == len(stored) and list(written.columns) == ["run_id", "chunk", "sampled", "reason"]
    assert (written["run_id"] == run_id).all()
    # an export says what no row of it holds: the samples that were no molecule, where to find them
    exported = run("export", "messy", "-o", tmp_path / "messy.csv", home=tmp_path)
    assert exported.exit_code == 0 and (f"not written: {len(stored):,} samples the run did not keep as molecules "
                                        f"(molgen runs rejects {run_id} says why)") in " ".join(exported.output.split())
    left_out = json.loads((tmp_path / "messy.csv.manifest.json").read_text())["export"]["left_out"]
    assert left_out == {"samples_not_molecules": len(stored), "missed_a_condition": 0}
    for device in ("-", "/dev/null"):   # an export is a file and its manifest: --format csv wrote /dev/stdout.csv
        refused = run("export", "messy", "-o", device, "--format", "csv", home=tmp_path)
        assert refused.exit_code == 2 and "an export is written to a file" in " ".join(refused.output.split())
    assert written["reason"].str.match(r"(syntax|valence|kekulization|aromaticity|empty|other): ").all()
    listed = " ".join(run("runs", "rejects", "messy", "--top", 2, home=tmp_path).output.split())
    assert f"the first 2 of {len(stored):,}" in listed


def test_a_damaged_store_is_one_line_naming_its_file_and_a_reader_needs_no_write_lock(tmp_path, monkeypatch, capsys):
    """A review: a store that is no database gave a traceback from every command and page; a store another process
    held (BEGIN EXCLUSIVE) made even `runs list` wait without a word."""
    import sqlite3
    import sys

    import pytest

    from molgen.runs import StoreUnreadable

    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "runs.sqlite").write_text("not a database, some text\n")
    with pytest.raises(StoreUnreadable, match="cannot be read .file is not a database.: it is damaged or no molgen"):
        RunStore(damaged / "runs.sqlite")
    monkeypatch.setenv("MOLGEN_HOME", str(damaged))
    monkeypatch.setattr(sys, "argv", ["molgen", "runs", "list"])
    monkeypatch.setattr("molgen.interrupts.watch_ctrl_c", lambda: False)   # not this test process's Ctrl-C
    with pytest.raises(SystemExit) as stopped:
        cli.run()
    said = " ".join(capsys.readouterr().err.split())
    assert stopped.value.code == 2 and f"the run store {damaged / 'runs.sqlite'} cannot be read" in said
    # a file SQLite cannot open (here a folder in its place) is no damage: not offered to be moved aside
    (tmp_path / "folder" / "runs.sqlite").mkdir(parents=True)
    with pytest.raises(StoreUnreadable, match="cannot be opened .unable to open database file.: check that its folder"):
        RunStore(tmp_path / "folder" / "runs.sqlite")
    # another program's database under the name is no molgen store; a MOLGEN_HOME that is a file, no folder to make
    other = sqlite3.connect(tmp_path / "other.sqlite")
    other.execute("CREATE TABLE meta (a, b, c)")
    other.commit()
    other.close()
    with pytest.raises(StoreUnreadable, match="it is damaged or no molgen store"):
        RunStore(tmp_path / "other.sqlite")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(StoreUnreadable, match="folder .*a-file cannot be made"):
        RunStore(tmp_path / "a-file" / "runs.sqlite")
    RunStore(tmp_path / "held" / "runs.sqlite").close()   # a store of this version, then held by another writer
    holder = sqlite3.connect(tmp_path / "held" / "runs.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        listed = run("runs", "list", home=tmp_path / "held")
        assert listed.exit_code == 0 and "no runs yet" in listed.output
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_rejects_write_to_sdf_and_refuse_a_name_they_cannot_write(tiny_checkpoint, tmp_path):
    import time

    import pytest

    """A review: `runs rejects -o rej.sdf` crashed (KeyError 'smiles'), and .xlsx was a traceback."""
    made = run("generate", "--model", tiny_checkpoint, "-n", 3, "--max-samples", 60, "--name", "rj", home=tmp_path)
    assert made.exit_code == 0, made.output
    rejects = RunStore(tmp_path / "runs.sqlite").rejects("rj")
    assert len(rejects) > 0   # the tiny model writes strings that are no molecule
    written = run("runs", "rejects", "rj", "-o", tmp_path / "rej.sdf", home=tmp_path)
    assert written.exit_code == 0 and (tmp_path / "rej.sdf").read_text().count("$$$$") == len(rejects)
    refused = run("runs", "rejects", "rj", "-o", tmp_path / "rej.xlsx", home=tmp_path)
    assert refused.exit_code == 2 and "cannot write this file type" in refused.output
    # a run still sampling has no counts of its own yet: `runs show` counts what it has stored (it printed {})
    store = RunStore(tmp_path / "runs.sqlite")
    settled = store.run("rj")["counts"]
    store.update_run(store.resolve("rj"), counts={}, status="running")
    from molgen.runs.store import new_owner   # held by a live process (this one), so not settled as abandoned
    with store.transaction() as db:
        db.execute("UPDATE runs SET owner = ?, heartbeat = ? WHERE id = ?", (new_owner(), time.time(), store.resolve("rj")))
    shown = json.loads(run("runs", "show", "rj", "--json", home=tmp_path).output)
    assert shown["counts"]["sampled"] == settled["sampled"] and shown["counts"]["unique"] == settled["unique"]
    assert shown["counts"]["note"].startswith("counted from what the run has stored so far")
    said = " ".join(run("runs", "show", "rj", home=tmp_path).output.split())   # read by a person too (a code review)
    assert f"sampled {settled['sampled']:,}" in said and "(counted from what the run has stored so far" in said
    # its molecules have no rank until it ends: an export says so, not "those written now" beside an empty file
    with store.transaction() as db:
        db.execute("UPDATE candidates SET rank = NULL WHERE run_id = ?", (store.resolve("rj"),))
        db.execute("DELETE FROM rejects WHERE run_id = ?", (store.resolve("rj"),))
    exported = " ".join(run("export", "rj", "-o", tmp_path / "live.csv", home=tmp_path).output.split())
    stored = store.count("rj")
    assert f"--include-unranked writes the {stored:,} stored so far, unranked" in exported
    assert "the file is empty: the run is still sampling, and ranks its molecules when it ends" in exported
    assert "those written now" not in exported
    assert "no sample stored so far failed to be a molecule: the run is still sampling" in \
        " ".join(run("runs", "rejects", "rj", home=tmp_path).output.split())
    tagged = run("runs", "tag", "rj", "line one\nline two", home=tmp_path)
    assert tagged.exit_code != 0 and "on one line, without commas, tabs or line breaks" in " ".join(tagged.output.split())
    store = RunStore(tmp_path / "runs.sqlite")   # one an older molgen stored can still be taken off
    store.update_run(store.resolve("rj"), tags=["line one\nline two", "IC50\xa0<10"])
    assert store.tag_run("rj", ["line one\nline two"], remove=True) == ["IC50\xa0<10"]
    for broken in ("a\u2028b", "a\x1b[31mb"):   # a Unicode line separator, a terminal escape
        with pytest.raises(ValueError, match="on one line"):
            store.tag_run("rj", [broken])


def test_the_diffusion_models_atom_count_is_set_from_the_command_line(tiny_checkpoint, tmp_path):
    """The issue's "the number of atoms ... set by the user" was Python's alone (a review found no flag)."""
    from rdkit import Chem

    fixed = run("generate", "--model", "graph-diffusion", "-n", 4, "--steps", 10, "--num-atoms", 12, "--seed", 3,
                "--name", "twelve", home=tmp_path)
    assert fixed.exit_code == 0, fixed.output
    ranged = run("generate", "--model", "graph-diffusion", "-n", 4, "--steps", 10, "--num-atoms", "9-11", "--seed", 3,
                 "--name", "nine-to-eleven", home=tmp_path)
    assert ranged.exit_code == 0, ranged.output
    store = RunStore(tmp_path / "runs.sqlite")
    for name, options, most in (("twelve", 12, 12), ("nine-to-eleven", [9, 11], 11)):
        record = store.run(name)
        assert record["params"]["sample_options"]["num_atoms"] == options
        # the molecule kept is the graph's largest fragment: at most the count asked for
        atoms = [Chem.MolFromSmiles(smiles).GetNumHeavyAtoms() for smiles in store.candidates(record["id"])["smiles"]]
        assert atoms and max(atoms) <= most, atoms
    for text, said in (("12.5", "--num-atoms 12.5: give a number of heavy atoms (12) or a range (10-14)"),
                       ("14-10", "--num-atoms must lie in 1..27 (low <= high)"),   # named as the flag (a review)
                       ("0", "--num-atoms must lie in 1..27"),
                       ("40", "--num-atoms must lie in 1..27")):
        refused = run("generate", "--model", "graph-diffusion", "-n", 2, "--num-atoms", text, home=tmp_path)
        assert refused.exit_code == 2 and said in " ".join(refused.output.split()), refused.output
    around = run("generate", "--model", "graph-diffusion", "-n", 2, "--num-atoms", 8, "--scaffold", "c1ccc2[nH]ccc2c1",
                 home=tmp_path)
    assert around.exit_code == 2 and "the scaffold holds 9 atoms" in " ".join(around.output.split())
    foreign = run("generate", "--model", tiny_checkpoint, "-n", 2, "--num-atoms", 12, home=tmp_path)
    assert foreign.exit_code == 2 and "a smiles-lm model takes no --num-atoms" in " ".join(foreign.output.split())
    assert sorted(store.runs()["name"]) == ["nine-to-eleven", "twelve"]   # nothing refused was stored
