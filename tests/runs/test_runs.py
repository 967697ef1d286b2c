"""Generation runs end to end on a tiny model: store, resume after SIGKILL, exports, concurrency."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from molgen.chem.parse import canonical_smiles
from molgen.data.registry import load_smiles
from molgen.runs import RunBusy, RunStore, build_conditions, counted_of, filter_alone_note, generate, resume
from molgen.runs.export import ExportError, export_run, select_candidates
from molgen.runs.generate import FewerThanAsked


@pytest.fixture
def store(tmp_path):
    with RunStore(tmp_path / "runs.sqlite") as store:
        yield store


def test_run_end_to_end(tiny_checkpoint, store):
    run = generate(str(tiny_checkpoint), 40, conditions=["mw<=400", "qed>=0.3"], seed=3, store=store, progress=False)
    record = run.record
    assert record["status"] == "complete" and "meet every condition" in record["message"]
    plain = generate(str(tiny_checkpoint), 5, seed=3, store=store, progress=False).record   # no conditions to meet
    assert plain["message"].startswith(f"{plain['counts']['accepted']:,} molecules are valid and unique (5 asked for)")
    ranked = run.candidates()
    counts = record["counts"]
    assert len(ranked) == counts["accepted"] >= 40
    assert counts["accepted"] > 40   # the last chunk is kept whole, and the message says how to keep 40
    assert f"all {counts['accepted']} are ranked (1 to {counts['accepted']}), the 40 asked for as ranks 1 to 40" \
        in record["message"]
    assert ranked["rank"].tolist() == sorted(ranked["rank"]) and ranked["rank"].iloc[0] == 1
    assert ranked["score"].is_monotonic_decreasing
    assert (ranked["mw"] <= 400).all() and (ranked["qed"] >= 0.3).all()
    assert ranked["smiles"].is_unique
    assert all(canonical_smiles(s) == s for s in ranked["smiles"])
    train = set(load_smiles("moses-sample", "train"))
    assert ranked["novel"].tolist() == [s not in train for s in ranked["smiles"]]
    # Every sample is accounted for: valid ones became candidates or duplicates, the rest are rejects with a reason.
    everything = run.candidates(ranked_only=False)
    rejects = store.rejects(run.id)
    assert counts["valid"] == counts["unique"] + counts["duplicates"] == len(everything) + counts["duplicates"]
    assert counts["sampled"] == counts["valid"] + len(rejects)
    assert rejects["reason"].str.len().gt(0).all()
    failed = everything[~everything["meets_conditions"].astype(bool)]
    assert (failed["rank"] == 0).all() and failed["failed_conditions"].str.len().gt(0).all()
    # slider ends: over every stored molecule, or over the ranked ones only
    assert store.column_bounds(run.id, ["mw"]) == {"mw": (everything["mw"].min(), everything["mw"].max())}
    assert store.column_bounds(run.id, ["mw"], ranked_only=True) == {"mw": (ranked["mw"].min(), ranked["mw"].max())}
    assert record["checkpoint_sha256"] and record["versions"]["rdkit"] and record["timings"]["total"] > 0


def test_same_seed_same_molecules(tiny_checkpoint, store):
    first = generate(str(tiny_checkpoint), 30, seed=5, store=store, progress=False).candidates()
    again = generate(str(tiny_checkpoint), 30, seed=5, store=store, progress=False).candidates()
    other = generate(str(tiny_checkpoint), 30, seed=6, store=store, progress=False).candidates()
    assert first["smiles"].tolist() == again["smiles"].tolist()
    assert set(first["smiles"]) != set(other["smiles"])


def test_a_name_finds_one_run_only(tiny_checkpoint, store):
    """Export, resume and delete find a run by its name, so a second run of that name is refused, and a
    store that already holds two (written before) says which ids, rather than acting on the newest."""
    from molgen.runs import AmbiguousRun, RunNameTaken, RunNotFound

    first = generate(str(tiny_checkpoint), 5, seed=5, store=store, progress=False, name="screen [nH]")
    with pytest.raises(RunNameTaken, match=rf"a run named 'screen \[nH\]' is already in the store \(id {first.id}\)"):
        generate(str(tiny_checkpoint), 5, seed=6, store=store, progress=False, name="screen [nH]")
    assert len(store.runs()) == 1  # the refused run left nothing behind
    assert store.resolve("screen [nH]") == first.id
    store._db.execute("INSERT INTO runs (id, name, created, updated, status, message, model, checkpoint, checkpoint_sha256, "
                      "seed, n_requested, params, conditions, native, profile, versions, timings, counts) "
                      "SELECT 'older', name, created - 60, updated, status, message, model, checkpoint, checkpoint_sha256, "
                      "seed, n_requested, params, conditions, native, profile, versions, timings, counts FROM runs")
    with pytest.raises(AmbiguousRun, match=rf"2 runs are named 'screen \[nH\]' \(ids {first.id}, older, newest first\)"):
        store.resolve("screen [nH]")
    assert store.resolve("older") == "older"  # an id still finds its run
    assert store.resolve("ol") == "older"     # and a prefix only it has
    store._db.execute("INSERT INTO runs (id, name, created, updated, status, model, checkpoint, seed, n_requested) "
                      "SELECT 'oldest', 'another', created, updated, status, model, checkpoint, seed, n_requested FROM runs "
                      "WHERE id = 'older'")
    with pytest.raises(AmbiguousRun, match=r"2 run ids start with 'old' \(older, oldest\): give more of the id"):
        store.resolve("old")
    with pytest.raises(RunNotFound, match="no run 'ol_er'"):   # a prefix, not a LIKE pattern
        store.resolve("ol_er")


def test_a_smiles_runs_record_says_how_it_sampled_and_from_which_source(tiny_checkpoint, store):
    """A review: a SMILES run stored sample_options {} (the graph families pin their defaults), and its versions
    named molgen 0.1.0 alone, across commits whose scoring differs."""
    from molgen.runs.generate import source_commit

    plain = generate(str(tiny_checkpoint), 3, seed=1, store=store, progress=False, max_samples=20)
    assert plain.record["params"]["sample_options"] == {"strategy": "sample", "temperature": 1.0, "top_k": 0,
                                                        "top_p": 1.0}
    beam = generate(str(tiny_checkpoint), 3, seed=1, store=store, progress=False, max_samples=20,
                    sample_options={"strategy": "beam", "temperature": 0.8})
    assert beam.record["params"]["sample_options"]["beam_width"] == 10
    assert beam.record["params"]["sample_options"]["temperature"] == 0.8
    assert plain.record["versions"].get("molgen_commit") == source_commit()
    if source_commit() is not None:   # run from a git checkout, as the tests are
        assert len(source_commit().partition("+")[0]) == 40


def test_a_string_cut_off_at_max_len_is_a_reject_not_a_molecule(tiny_checkpoint, store):
    """A review: at max_len 30, 11 of a run's 22 ranked molecules were strings the model had not finished."""
    run = generate(str(tiny_checkpoint), 5, seed=1, store=store, progress=False, max_samples=40,
                   sample_options={"max_len": 12})
    rejects = store.rejects(run.id)
    unfinished = rejects[rejects["reason"].str.startswith("unfinished: the model had not ended it within max_len 12")]
    assert len(unfinished) and unfinished["text"].str.len().gt(0).all()
    kept = set(run.candidates(ranked_only=False)["smiles"])
    assert not kept & set(unfinished["text"])


def test_a_reference_puts_each_candidates_similarity_to_it_in_the_run_and_its_export(tiny_checkpoint, store, tmp_path):
    from molgen.scoring.similarity import morgan_fingerprint
    from rdkit import DataStructs

    reference = "CC(=O)Nc1ccc(O)cc1"
    run = generate(str(tiny_checkpoint), 20, conditions=build_conditions(similar_to=f"{reference}:0.05"), seed=4,
                   store=store, progress=False, max_samples=400)
    everything = run.candidates(ranked_only=False)
    expected = [DataStructs.TanimotoSimilarity(morgan_fingerprint(Chem.MolFromSmiles(reference)),
                                               morgan_fingerprint(Chem.MolFromSmiles(s))) for s in everything["smiles"]]
    assert np.allclose(everything["similarity_to_reference"], expected, rtol=0, atol=1e-12)   # unrounded
    kept = everything[everything["meets_conditions"].astype(bool)]
    assert len(kept) and (kept["similarity_to_reference"] >= 0.05).all()
    assert ((everything["similarity_to_reference"] < 0.05) == ~everything["meets_conditions"].astype(bool)).all()
    exported = pd.read_csv(export_run(store, run.id, tmp_path / "near.csv"))
    from molgen.scoring.alerts import explained_alert_names   # what its cryptic alert names match, kept with it
    manifest = json.loads((tmp_path / "near.csv.manifest.json").read_text())
    assert manifest["export"]["alert_names_explained"] == explained_alert_names(exported["alert_names"])
    assert exported["similarity_to_reference"].between(0.05, 1).all()
    assert list(exported.columns[:4]) == ["rank", "smiles", "score", "similarity_to_reference"]   # read beside the score
    plain = generate(str(tiny_checkpoint), 5, seed=4, store=store, progress=False).candidates()
    assert "similarity_to_reference" not in plain  # no reference, nothing to be near
    # a reference the model only filters for, met by none: the run says which model steers towards one
    far = generate(str(tiny_checkpoint), 20, conditions=build_conditions(similar_to=f"{reference}:0.99"), seed=4,
                   store=store, progress=False, max_samples=100)
    message = far.record["message"]
    assert far.record["status"] == "budget_exhausted" and "missed most often: similarity < 0.99" in message
    assert "the graph VAE does (--model graph-vae decodes around its encoding)" in message
    # the core to keep is named ("--scaffold keeps its core" left the chemist to work it out), unless it is a lone
    # benzene, which nearly every molecule holds (a review: no advice at all)
    assert "--scaffold" not in message and message.endswith("decodes around its encoding)"), message
    from molgen.runs.generate import core_hint

    assert core_hint("Cc1ccc2ncccc2c1", "smiles-lm") == ", and --scaffold 'c1ccc2ncccc2c1' (the reference's ring core) " \
        "keeps its core"
    assert core_hint("CC(=O)Nc1ccc(O)cc1", "smiles-lm") == ""
    # the graph VAE itself, given a reference it cannot encode (boron), is not sent to itself
    vae = generate("graph-vae", 5, conditions=build_conditions(similar_to="OB(O)c1ccc(Cl)cc1:0.9"), seed=1,
                   store=store, progress=False, max_samples=40)
    said = vae.record["message"]
    assert vae.record["native"] == {} and "the graph VAE could not encode the reference" in said
    assert "cannot be encoded" in said and "--model graph-vae" not in said   # the real reason, not a guess
    # the VAE keeps no scaffold: the advice names the models that do; a core no shipped model writes is not advised
    assert "--scaffold" not in said   # its core a lone benzene
    assert core_hint("OB(O)c1ccc2ccccc2c1", "graph-vae") == ", and --scaffold 'c1ccc2ccccc2c1' (the reference's ring " \
        "core) with a model that keeps a scaffold (--model smiles-lm-lstm or graph-diffusion) keeps its core"
    selenophene = generate("graph-vae", 5, conditions=build_conditions(similar_to="NC(=O)c1ccc(C)[se]1:0.9"), seed=1,
                           store=store, progress=False, max_samples=20)
    assert "could not encode the reference" in selenophene.record["message"]
    assert "--scaffold" not in selenophene.record["message"]
    # gefitinib: 31 heavy atoms, more than the shipped VAE decodes; said as the reason, and another model is not sent
    # to the graph VAE, which could not steer either (a dead end in the web review)
    gefitinib = "COc1cc2ncnc(Nc3ccc(F)c(Cl)c3)c2cc1OCCCN1CCOCC1"
    big = generate("graph-vae", 5, conditions=build_conditions(similar_to=f"{gefitinib}:0.99"), seed=1, store=store,
                   progress=False, max_samples=40)
    assert "has 31 heavy atoms; this model decodes at most" in big.record["message"]
    assert "31 heavy atoms" in big.record["params"]["unsteered"]["similar_to"]
    assert "(the reference: " in filter_alone_note(big.record)
    lstm = generate(str(tiny_checkpoint), 20, conditions=build_conditions(similar_to=f"{gefitinib}:0.99"), seed=4,
                    store=store, progress=False, max_samples=60)
    said = lstm.record["message"]
    assert "nor could the graph VAE (" in said and "31 heavy atoms" in said and "--model graph-vae" not in said


def test_structural_conditions_go_to_generate_as_keywords_and_a_wrong_type_says_what_to_give(tiny_checkpoint, store):
    run = generate(str(tiny_checkpoint), 5, conditions=["mw<=400"], scaffold="c1ccccc1", avoid="[N+](=O)[O-]",
                   similar_to="CC(=O)Nc1ccc(O)cc1:0.05", seed=4, store=store, progress=False, max_samples=40)
    stored = run.record["conditions"]
    assert (stored["scaffold"], stored["avoid"], stored["similar_to"]) == ("c1ccccc1", ["[N+](=O)[O-]"],
                                                                          "CC(=O)Nc1ccc(O)cc1")
    assert stored["ranges"] == {"mw": [None, 400.0]} or stored["ranges"] == {"mw": (None, 400.0)}
    before = len(store.runs())
    with pytest.raises(TypeError, match=r"expressions as on the command line \(conditions=\['qed>=0.6'"):
        generate(str(tiny_checkpoint), 5, conditions={"qed": (0.6, None)}, store=store, progress=False)
    with pytest.raises(ValueError, match="not both"):
        generate(str(tiny_checkpoint), 5, conditions=build_conditions(["qed>=0.6"]), scaffold="c1ccccc1", store=store,
                 progress=False)
    assert len(store.runs()) == before   # refused before anything was stored
    one = generate(str(tiny_checkpoint), 2, conditions="mw<=400", avoid=[], seed=4, store=store, progress=False,
                   max_samples=20)   # one expression as a string; an empty avoid list asks for nothing
    assert one.record["conditions"]["ranges"] in ({"mw": [None, 400.0]}, {"mw": (None, 400.0)})


def test_impossible_condition_gives_an_empty_ranked_set_with_a_message(tiny_checkpoint, store):
    run = generate(str(tiny_checkpoint), 20, conditions=["mw<=20"], seed=1, max_samples=200, store=store, progress=False)
    assert run.status == "budget_exhausted"
    assert "no molecule met every condition, so the ranked set is empty" in run.message
    unique = len(run.candidates(ranked_only=False))
    assert f"missed most often: mw <= 20 ({unique:,} molecules)" in run.message   # which condition to loosen
    assert run.candidates().empty
    assert len(run.candidates(ranked_only=False)) > 0  # what was sampled is kept, marked as not meeting mw<=20
    # from Python, its advice is a call (a review: `molgen generate --resume ...`); the stored message, which the
    # command line prints, keeps the command
    assert f"(more: molgen.runs.resume('{run.id}', max_samples=N))" in run.message and "--" not in run.message
    assert f"(more: molgen generate --resume {run.id} --max-samples N)" in run.record["message"]


def test_every_saturation_advice_reads_as_python():
    """A review: the test above fed lower-case advice that saturation_note never writes ("A higher --temperature")."""
    from molgen.runs.generate import FEW_STEPS, in_python, saturation_note

    chunks = pd.DataFrame({"size": [500, 500], "n_valid": [100, 100], "n_duplicate": [70, 100], "n_accepted": [30, 0]})
    notes = [saturation_note(chunks, 50, family=family, fine_tuned=tuned, conditions={"scaffold": "*c1ccncc1"})
             for family in ("smiles-lm", "graph-vae", "graph-diffusion", None) for tuned in (False, True)]
    notes.append(saturation_note(chunks, 50, family="graph-diffusion", options={"steps": 1}, dropped=190))
    assert any("A higher --temperature" in note for note in notes) and f"({FEW_STEPS} or more)" in notes[-1]
    for note in notes:
        assert note and "--" not in in_python(note), (note, in_python(note))


@pytest.mark.parametrize("said, in_python", [
    ("; continue with `molgen generate --resume 2026-a`", "; continue with `molgen.runs.resume('2026-a')`"),
    ("`molgen export hits --where 'novel == True' -o new.csv` leaves them out",
     "`run.export('new.csv', where='novel == True')` leaves them out"),
    ("(--model graph-vae decodes around its encoding)", "(model='graph-vae' decodes around its encoding)"),
    (", and --scaffold 'c1ccncc1' (the reference's ring core) with a model that keeps a scaffold (--model "
     "smiles-lm-lstm or graph-diffusion) keeps its core",
     ", and scaffold='c1ccncc1' (the reference's ring core) with a model that keeps a scaffold (model="
     "'smiles-lm-lstm' or 'graph-diffusion') keeps its core"),
    ("a higher --temperature (sampling), another --model or a model fine-tuned on your series",
     "a higher sample_options={'temperature': ...} (sampling), another model= or a model fine-tuned on your series"),
    ("--decoding sampled with a higher --temperature, another --model",
     "sample_options={'decoding': 'sampled', 'temperature': ...} with a higher temperature, another model="),
    ("More --steps (10 or more) give whole molecules", "More sample_options={'steps': ...} (10 or more) give whole "
     "molecules"),
    ("(--scaffold keeps a core; --similar-to stays near a molecule)",
     "(scaffold= keeps a core; similar_to= stays near a molecule)"),
    ("ignore_alerts = [\"x\"] (a copy of --profile's TOML; see README, scoring)",
     "ignore_alerts = [\"x\"] (a copy of the profile's TOML, its path given as profile=; see README, scoring)"),
])
def test_run_advice_reads_as_python(said, in_python):
    from molgen.runs.generate import in_python as translated

    assert translated(said) == in_python


def test_a_runs_chunks_say_nothing_of_a_window_out_of_reach(tiny_checkpoint, store):
    """WindowOutOfReach is said of a whole table scored (molgen score), not of each chunk a run scores."""
    from molgen.scoring.desirability import DoubleSigmoid
    from molgen.scoring.pipeline import WindowOutOfReach
    from molgen.scoring.profiles import Component, ScoringProfile

    far = ScoringProfile(name="far", components=[Component("mw", DoubleSigmoid(low=1500, high=1800, width=10))])
    with warnings.catch_warnings():
        warnings.simplefilter("error", WindowOutOfReach)
        run = generate(str(tiny_checkpoint), 5, seed=1, max_samples=40, store=store, progress=False, profile=far)
    assert len(run.candidates(ranked_only=False)) > 1


def test_a_run_that_keeps_repeating_itself_says_so_and_what_more_would_cost(tiny_checkpoint, store):
    from molgen.runs.generate import saturation_note

    # greedy decoding writes one molecule over and over: no budget adds any, and no rate is extrapolated (a review
    # was told 3,800 more samples would give the 19 missing, and to raise a temperature greedy does not use)
    run = generate(str(tiny_checkpoint), 20, seed=1, max_samples=100, sample_options={"strategy": "greedy"}, store=store,
                   progress=False)
    latest = store.chunks(run.id).tail(3)
    valid, repeated = int(latest["n_valid"].sum()), int(latest["n_duplicate"].sum())
    assert run.status == "budget_exhausted" and repeated >= 0.8 * valid > 0
    missing = 20 - len(run.candidates())
    assert f"; {repeated:,} of the latest {valid:,} valid samples" in run.message
    assert f"greedy decoding writes the same molecules whatever the seed, so no budget gives the {missing:,} still " \
           "missing. Sampling (strategy 'sample', the default) gives more" in run.message
    assert "would take about" not in run.message and "temperature" not in run.message
    chunks = pd.DataFrame({"size": [500, 500], "n_valid": [100, 100], "n_duplicate": [70, 80], "n_accepted": [30, 20]})
    assert saturation_note(chunks, 50) == ""   # 75% repeated: nothing said
    chunks.loc[1, "n_duplicate"] = 100
    said = saturation_note(chunks, 50, conditioned=False)
    assert said.startswith("; 170 of the latest 200 valid samples (85%) repeated an earlier one, and at that rate the 50 "
                           "still missing would take about 1,000 more samples: this model knows few distinct molecules. Another "
                           "--model or a model fine-tuned on your series gives more")
    assert saturation_note(chunks, 0) == "" and saturation_note(chunks.assign(n_valid=0), 5) == ""
    # a fine-tuned model is not told to fine-tune: it writes mostly its series
    tuned = saturation_note(chunks, 50, fine_tuned=True)
    assert "a fine-tune narrows what a model writes" in tuned and "a model fine-tuned on" not in tuned
    # a model made from scratch on a user's file is not told to fine-tune on the series it learned (a CLI review)
    from molgen.runs.generate import trained_on_a_file

    own = saturation_note(chunks, 50, own_data=True)
    assert own.endswith("Training on more molecules or a shipped model fine-tuned on them gives more")
    assert trained_on_a_file({"model_training": {"data": "/tmp/series.csv"}})
    assert not trained_on_a_file({"model_training": {"data": "moses"}}) and not trained_on_a_file({})
    # the advice fits the run (a web review: a graph VAE's similarity run was told of scaffolds and SMILES models)
    vae = saturation_note(chunks, 50, conditions={"similar_to": "CC(=O)Nc1ccc(O)cc1", "min_similarity": 0.4},
                          family="graph-vae")
    assert "few molecules lie within Tanimoto 0.4 of the reference: a lower threshold gives more" in vae
    assert "scaffold" not in vae and "attachment" not in vae and "SMILES" not in vae
    assert vae.endswith(". --decoding sampled with a higher --temperature, another --model or a model fine-tuned on "
                        "your series gives more")
    marked = saturation_note(chunks, 50, conditions={"scaffold": "*c1ccncc1"}, family="smiles-lm")
    assert "(an attachment point leaves little to add)" in marked and ". A higher --temperature (sampling)" in marked
    assert "(a scaffold near the size" in saturation_note(chunks, 50, conditions={"scaffold": "c1ccncc1"})


def test_a_resumed_runs_timings_add_each_session_and_count_an_older_runs_first(tiny_checkpoint, store):
    """A run its budget stopped, continued twice: its timings hold every chunk's time over three sessions; a run stored
    before sessions were counted (timings without the count) had one session at least, not none (a review)."""
    warnings.simplefilter("ignore", FewerThanAsked)   # each session ends on its budget, as asked
    run = generate(str(tiny_checkpoint), 30, seed=4, max_samples=20, chunk_size=20, store=store, progress=False)
    assert run.status == "budget_exhausted"
    first = store.run(run.id)["timings"]
    _assert_timings_count_every_chunk(first, store.chunks(run.id), sessions=1)
    run = resume(run.id, store=store, max_samples=40, progress=False)
    _assert_timings_count_every_chunk(store.run(run.id)["timings"], store.chunks(run.id), sessions=2)
    assert store.run(run.id)["timings"]["total"] > first["total"]
    older = {k: v for k, v in store.run(run.id)["timings"].items() if k != "sessions"}
    store.update_run(run.id, timings=older)
    run = resume(run.id, store=store, max_samples=60, progress=False)
    _assert_timings_count_every_chunk(store.run(run.id)["timings"], store.chunks(run.id), sessions=2)


def test_molecules_failing_a_hard_filter_are_ranked_last_and_not_counted_towards_n(tiny_checkpoint, store, tmp_path):
    from molgen.scoring.desirability import Identity
    from molgen.scoring.profiles import Component, ScoringProfile

    profile = ScoringProfile(name="benzene", components=[Component("qed", Identity())], require=["c1ccccc1"],
                             hard_filters=["require"])
    run = generate(str(tiny_checkpoint), 30, profile=profile, seed=4, max_samples=40, chunk_size=20, store=store,
                   progress=False)
    assert run.status == "budget_exhausted"
    passing = int(run.candidates()["passes_filters"].astype(bool).sum())
    assert f"{passing:,} of the 30 molecules asked for are valid, unique and pass the profile's hard filters" \
        in run.message
    run = resume(run.id, store=store, max_samples=2000, progress=False)
    counts, ranked = run.counts, run.candidates()
    passes = ranked["passes_filters"].astype(bool)
    assert run.status == "complete" and counts["failing_hard_filters"] == int((~passes).sum()) > 0
    assert counts["accepted"] == len(ranked) and passes.sum() >= 30
    assert passes.iloc[:int(passes.sum())].all()   # every passing molecule is ranked before any failing one
    assert f"{int(passes.sum())} molecules are valid, unique and pass the profile's hard filters (30 asked for)" \
        in run.message
    failing = counts["failing_hard_filters"]   # named by the filters they failed, with how many each
    assert f"{failing} more fail the profile's hard filters (require: {failing}): score 0" in run.message
    assert counted_of(run.record) == int(passes.sum())
    # Browse's slider ends: over the passing molecules, the zeroed scores are not among them
    assert store.column_bounds(run.id, ["score"], ranked_only=True)["score"][0] == 0
    assert store.column_bounds(run.id, ["score"], ranked_only=True, passing_only=True)["score"][0] > 0
    # an export's best N reaches them once past the passing ones: its manifest counts them, or it leaves them out
    cut = export_run(store, run.id, tmp_path / "cut.csv", top=int(passes.sum()) + 2)
    assert json.loads((tmp_path / "cut.csv.manifest.json").read_text())["export"]["failing_hard_filters"] == 2
    kept = pd.read_csv(export_run(store, run.id, tmp_path / "kept.csv", top=int(passes.sum()) + 2, passing_only=True))
    assert len(kept) == int(passes.sum()) and kept["passes_filters"].all() and len(pd.read_csv(cut)) == len(kept) + 2
    # with the molecules that missed a condition too, the count stays the run's: of the ranked ones only
    export_run(store, run.id, tmp_path / "whole.csv", include_unranked=True)
    whole = json.loads((tmp_path / "whole.csv.manifest.json").read_text())["export"]["failing_hard_filters"]
    assert whole == counts["failing_hard_filters"]


def test_a_run_stored_before_hard_filter_failures_were_left_out_of_n_counts_them_still():
    from molgen.runs.generate import counted_towards_n

    frame = pd.DataFrame({"meets_conditions": [True, True, False, True], "passes_filters": [True, False, True, None]})
    assert counted_towards_n(frame, {"count_hard_filter_failures": False}) == 2   # an unscored row is not held against it
    assert counted_towards_n(frame, {}) == 3
    assert counted_towards_n(frame.iloc[:0], {}) == 0
    record = {"params": {}, "counts": {"accepted": 5, "failing_hard_filters": 2}}
    assert counted_of(record) == 5
    assert counted_of({**record, "params": {"count_hard_filter_failures": False}}) == 3


def test_a_run_stopped_by_its_budget_continues_with_a_larger_one(tiny_checkpoint, store):
    from molgen.runs import resume

    run = generate(str(tiny_checkpoint), 40, seed=8, max_samples=60, store=store, progress=False)
    assert run.status == "budget_exhausted" and run.counts["sampled"] == 60
    again = resume(run.id, store=store, max_samples=2000, progress=False)
    assert again.status == "complete" and again.counts["accepted"] >= 40
    assert again.candidates()["smiles"].is_unique


def test_scaffold_is_completed_natively_and_enforced(store):
    run = generate("smiles-lm", 15, conditions=build_conditions(scaffold="c1ccc2ncccc2c1"), seed=2, store=store,
                   progress=False)
    assert "scaffold" in run.record["native"]
    query = Chem.MolFromSmiles("c1ccc2ncccc2c1")
    ranked = run.candidates()
    assert len(ranked) >= 15 and all(Chem.MolFromSmiles(s).HasSubstructMatch(query) for s in ranked["smiles"])
    # the new group lands on more than one of quinoline's positions (the canonical prefix alone gave one)
    positions = set()
    for smiles in ranked["smiles"]:
        mol = Chem.MolFromSmiles(smiles)
        match = mol.GetSubstructMatch(query)
        positions.update(i for i, atom in enumerate(match)
                         if any(n.GetIdx() not in match for n in mol.GetAtomWithIdx(atom).GetNeighbors()))
    assert len(positions) >= 3, positions


def test_exports_read_back_with_the_same_rows_and_values(tiny_checkpoint, store, tmp_path):
    run = generate(str(tiny_checkpoint), 30, seed=4, store=store, progress=False)
    expected = run.candidates()
    paths = {fmt: export_run(store, run.id, tmp_path / f"top.{fmt}") for fmt in ("csv", "parquet", "sdf")}
    csv = pd.read_csv(paths["csv"])
    parquet = pd.read_parquet(paths["parquet"])
    sdf = [m for m in Chem.SDMolSupplier(str(paths["sdf"]))]
    assert len(csv) == len(parquet) == len(sdf) == len(expected)
    # read left to right as a chemist does: rank, SMILES, score, the properties, the judgements, provenance last
    columns = list(csv.columns)
    assert columns[:5] == ["rank", "smiles", "score", "molecule_id", "qed"] and list(parquet.columns) == columns
    # a stable identifier (the run's id and the candidate's number in the store), the SDF's title line too
    assert csv["molecule_id"].str.fullmatch(rf"{run.id}-\d{{6}}").all() and csv["molecule_id"].is_unique
    assert [m.GetProp("_Name") for m in sdf] == csv["molecule_id"].tolist()
    top = pd.read_csv(export_run(store, run.id, tmp_path / "best3.csv", top=3, where="qed > 0"))
    assert top["molecule_id"].tolist() == csv.set_index("smiles").loc[top["smiles"], "molecule_id"].tolist()
    assert columns.index("mw") < columns.index("alerts") < columns.index("d_qed") < columns.index("chunk")
    assert columns.index("log_likelihood") > columns.index("np_likeness") and columns[-1] == "selected"
    for frame in (csv, parquet):
        assert frame["smiles"].tolist() == expected["smiles"].tolist()
        assert frame["rank"].tolist() == expected["rank"].tolist()
        np.testing.assert_allclose(frame["score"], expected["score"], rtol=1e-12)
        np.testing.assert_allclose(frame["qed"], expected["qed"], rtol=1e-12)
    assert [m.GetProp("smiles") for m in sdf] == expected["smiles"].tolist()
    assert [Chem.MolToSmiles(m) for m in sdf] == expected["smiles"].tolist()
    np.testing.assert_allclose([float(m.GetProp("score")) for m in sdf], expected["score"], rtol=1e-12)
    assert all(m.GetNumConformers() == 1 and abs(m.GetConformer().GetPositions()).sum() > 0 for m in sdf)  # 2D coordinates
    manifest = json.loads((tmp_path / "top.csv.manifest.json").read_text())
    assert manifest["run"]["id"] == run.id and manifest["export"]["rows"] == len(expected)
    assert manifest["run"]["checkpoint_sha256"] == run.record["checkpoint_sha256"]
    # the file's own checksum (a review: only the checkpoint's was there), so a copy passed on can be checked
    import hashlib

    assert manifest["export"]["sha256"] == hashlib.sha256((tmp_path / "top.csv").read_bytes()).hexdigest()
    assert "failed_conditions" not in csv.columns   # a run without conditions: nothing to say


def test_a_scaffold_with_an_element_the_model_cannot_write_is_refused_before_a_run_is_stored(tiny_checkpoint, store):
    """From a generation review: the LSTM, which writes no Se, sampled its whole budget for c1ccc(cc1)[Se]C and said
    "lacks scaffold"; graph diffusion refused a Si scaffold at once."""
    from molgen.runs.conditions import ConditionError

    with pytest.raises(ConditionError, match=r"no molecule this model writes can keep the scaffold c1ccc\(cc1\)\[Se\]C: "
                                             r"it holds Se, which the model cannot write \(it writes .*C.*\)"):
        generate(str(tiny_checkpoint), 5, scaffold="c1ccc(cc1)[Se]C", store=store, progress=False)
    assert store.runs().empty
    # and a charged atom a model of uncharged molecules never writes (a review: a nitrobenzene scaffold, 400 samples,
    # 386 "lacks scaffold"); a graph model's vocabulary is read the same way
    from molgen.data.tokenizer import SmilesVocabulary
    from molgen.models.base import load

    nitro = r"it holds N\+, O-, which the model never writes \(it writes no charged atom"
    for model in (str(tiny_checkpoint), "graph-vae"):
        with pytest.raises(ConditionError, match=nitro):
            generate(model, 5, scaffold="[O-][N+](=O)c1ccccc1", store=store, progress=False)
    assert store.runs().empty
    assert SmilesVocabulary(["<pad>", "<bos>", "<eos>", "<unk>", "[N+]", "[o+]", "[O-]", "[nH]", "C"]).charged_forms() \
        == {("N", 1), ("O", 1), ("O", -1)}
    assert load("graph-vae").vocabulary.charged_forms() == set()
    # a SMARTS pattern with another way to match is left to the filter
    generate(str(tiny_checkpoint), 2, scaffold="[Se,S]", max_samples=4, store=store, progress=False)


def whole_columns(store: RunStore, run_id: str) -> list[str]:
    return list(select_candidates(store, run_id).columns)


def test_export_filters_and_errors(tiny_checkpoint, store, tmp_path):
    run = generate(str(tiny_checkpoint), 40, conditions=["qed>=0.5"], seed=4, store=store, progress=False)
    path = export_run(store, run.id, tmp_path / "f.csv", top=5, where="qed > 0.3 and alerts == 0", diverse=0.6)
    frame = pd.read_csv(path)
    assert 0 < len(frame) <= 5 and (frame["qed"] > 0.3).all() and (frame["alerts"] == 0).all()
    manifest = json.loads((tmp_path / "f.csv.manifest.json").read_text())
    assert manifest["export"]["where"] == "qed > 0.3 and alerts == 0" and manifest["export"]["top"] == 5
    # what --diverse (and any similarity condition) measured with, so a chemist can recompute it
    assert "Morgan" in manifest["export"]["similarity"] and "radius 2" in manifest["export"]["similarity"]
    assert "2048 bits" in manifest["export"]["similarity"]
    # a hand-picked molecule that missed a condition (rank 0) is still exported with the selection; a strict
    # condition makes sure some miss it (whether qed>=0.5 leaves any depends on the tiny model's training)
    strict = generate(str(tiny_checkpoint), 3, conditions=["qed>=0.8"], seed=4, store=store, progress=False)
    everything = store.candidates(strict.id)
    unranked = everything[everything["rank"] == 0]["smiles"].head(1).tolist()
    ranked = everything[everything["rank"] > 0]["smiles"].head(2).tolist()
    assert len(unranked) == 1
    store.set_selected(strict.id, ranked + unranked)
    picked = pd.read_csv(export_run(store, strict.id, tmp_path / "picked.csv", selected_only=True))
    assert picked["smiles"].tolist() == ranked + unranked and pd.isna(picked["rank"].tolist()[-1])   # no rank: empty
    # and it says which condition it missed; the ranked ones say they met them all
    assert picked["meets_conditions"].astype(bool).tolist() == [True, True, False]
    assert picked["failed_conditions"].tolist()[-1].startswith("0.8 <= qed (qed ")
    # a run with conditions writes both columns whatever the rows (exports of one run share their columns)
    ranked_only = pd.read_csv(export_run(store, strict.id, tmp_path / "ranked.csv"))
    assert ranked_only["meets_conditions"].astype(bool).all() and ranked_only["failed_conditions"].isna().all()
    assert "failed_conditions" in pd.read_csv(path).columns
    assert "log_likelihood" in whole_columns(store, run.id)
    store._db.execute("UPDATE candidates SET log_likelihood = NULL WHERE run_id = ?", (run.id,))   # as graph diffusion's
    assert "log_likelihood" not in whole_columns(store, run.id)   # an empty column is not written
    with pytest.raises(ExportError, match="log_likelihood has no value in this run"):   # nor filtered on in silence
        select_candidates(store, run.id, where="log_likelihood < 0")
    with pytest.raises(ExportError, match="Columns: ") as caught:   # the columns listed are those the file holds
        select_candidates(store, run.id, where="molwt < 300")
    listed = str(caught.value).split("Columns: ")[1].split(", ")
    assert "mw" in listed and "log_likelihood" not in listed
    assert set(listed) <= set(whole_columns(store, run.id))
    # the model's whole output: the ranked molecules, then those that missed a condition, each saying which
    whole = pd.read_csv(export_run(store, strict.id, tmp_path / "whole.csv", include_unranked=True))
    ranked_count = int((everything["rank"] > 0).sum())
    assert len(whole) == len(everything) and whole["rank"].tolist()[:ranked_count] == list(range(1, ranked_count + 1))
    assert whole["rank"].iloc[ranked_count:].isna().all() and whole["failed_conditions"].iloc[ranked_count:].str.len().gt(0).all()
    assert whole["score"].iloc[ranked_count:].is_monotonic_decreasing   # the unranked best first, not as stored
    # sorted by rank, as a sheet sorts it, the unranked rows come last (a 0 came above rank 1)
    assert whole.sort_values("rank")["rank"].head(1).tolist() == [1]
    # a filter on rank keeps ranked molecules only: an unranked one has no rank (the store's 0 passed "rank <= 5")
    best = select_candidates(store, strict.id, where="rank <= 2", include_unranked=True)
    assert best["rank"].tolist() == list(range(1, min(2, ranked_count) + 1))
    assert len(select_candidates(store, strict.id, where="rank < 1", include_unranked=True)) == 0
    for comma in ("qed > 0,5", "(qed > 0,5) and (mw < 900)"):
        with pytest.raises(ExportError, match=r"decimal point, not a comma \(0.5\)"):
            select_candidates(store, strict.id, where=comma)
    assert len(select_candidates(store, strict.id, where="rank in [1,2]")) == min(2, ranked_count)   # a list, no comma
    # a filter compares and tests columns, nothing else: the web app reads one from its address, and pandas' Python
    # engine would evaluate @variables (the store) and any method (a review's link deleted a run)
    for reaching in ("@store.delete_run(@run) == ''", "smiles.str.__class__.__name__ == 'x'",
                     "smiles.to_csv('/tmp/molgen-filter-test.csv') == 1", "len(smiles) > 3", "(lambda: 1)() == 1",
                     # backticks inside strings, which pandas reads as text (a code review's way round the check)
                     "qed > 0 and '`' != smiles.to_csv('/tmp/molgen-filter-test.csv') and '`' != smiles",
                     "9 ** 9 ** 9 > qed"):   # computed for ever
        with pytest.raises(ExportError, match="cannot apply the filter"):
            select_candidates(store, strict.id, where=reaching)
    # quotes and comments pandas read otherwise than Python (a second code review ran a shell command so): the text
    # Python parses is the text evaluated, so these are strings and a comment, and nothing runs
    for odd in (r"""smiles == '\\' + 'a`b' # `' + smiles.to_csv('/tmp/molgen-filter-test.csv')""",
                "smiles == '''a'b''' + 'x`y' # `' + smiles.to_csv('/tmp/molgen-filter-test.csv')"):
        with pytest.raises(ExportError, match="arithmetic in a filter is on numbers"):   # refused, nothing run
            select_candidates(store, strict.id, where=odd)
    assert store.run(strict.id) and not os.path.exists("/tmp/molgen-filter-test.csv")
    assert len(select_candidates(store, strict.id, where="smiles.str.len() > 3 and qed.between(0, 1)")) == ranked_count
    # what a chemist writes still reads: an @ or a backtick inside a string (a stereo SMILES), pandas' maths
    kept = select_candidates(store, strict.id, where="smiles != 'C[C@@H](O)c1ccccc1' and abs(logp - 2) < 100 and "
                             "log10(mw) > 0 and `QED` >= 0 and tags != '`'")
    assert kept.equals(select_candidates(store, strict.id)) and len(kept) == ranked_count
    # signs as typeset (the Export page's own message showed "<=" as "≤", which the filter refused: a review)
    assert select_candidates(store, strict.id, where="rank ≤ 2 and qed ≥ 0 and rank ≠ 99").equals(
        select_candidates(store, strict.id, where="rank <= 2 and qed >= 0 and rank != 99"))
    with pytest.raises(ExportError, match=r"rank.isna\(\) selects them"):
        select_candidates(store, strict.id, where="rank == 0", include_unranked=True)
    # every column the file holds can be filtered on, in any case, and reads as the file gives it (a review: the
    # condition columns and molecule_id were "not defined", and a met row's failed_conditions was '' not empty)
    missed = select_candidates(store, strict.id, where="Meets_Conditions == False", include_unranked=True)
    assert len(missed) == len(everything) - ranked_count
    assert select_candidates(store, strict.id, where="failed_conditions.notna()", include_unranked=True).equals(missed)
    first_id = whole["molecule_id"].iloc[0]
    assert select_candidates(store, strict.id, where=f"Molecule_ID == '{first_id}'")["molecule_id"].tolist() == [first_id]
    assert select_candidates(store, strict.id, where="   ").equals(select_candidates(store, strict.id))   # no filter
    # the ranked ones alone missed no condition: the filter says so, not that the column has no value in this run
    assert len(select_candidates(store, strict.id, where="failed_conditions.isna()")) == ranked_count
    # every text column's empty cell is isna() as the file reads it (alert_names and failed_filters kept "")
    for column in ("alert_names", "failed_filters", "tags"):
        empty_in_file = int(whole[column].isna().sum())
        assert len(select_candidates(store, strict.id, where=f"{column}.isna()", include_unranked=True)) == empty_in_file
        assert len(select_candidates(store, strict.id, where=f"{column}.notna()", include_unranked=True)) == \
            len(whole) - empty_in_file
    assert whole["alert_names"].isna().any() and whole["tags"].isna().all()
    for written, test in (("alert_names == ''", "alert_names.isna()"), ('tags != ""', "tags.notna()"),
                          ("'' == failed_filters", "failed_filters.isna()")):
        with pytest.raises(ExportError, match=rf"an empty cell reads as missing, as in the file; write {re.escape(test)}"):
            select_candidates(store, strict.id, where=written)
    # written as before: a met row's failed_conditions stays an empty text in the file
    assert select_candidates(store, strict.id, where="rank >= 1")["failed_conditions"].eq("").all()
    # the run's times read as the export's: ISO, not seconds since 1970
    assert manifest["run"]["created"].startswith(time.strftime("%Y-")) and manifest["run"]["created"][10] == "T"
    with pytest.raises(ExportError, match="cannot apply the filter"):
        export_run(store, run.id, tmp_path / "g.csv", where="qed >>> 1")
    # said as what is wrong with the expression, not as pandas' parser puts it ("numexpr", "visit_RShift")
    for unfinished in ("logp < 3 and qed >", "qed >> 2", "(qed > 1"):
        with pytest.raises(ExportError, match="not a complete expression") as caught:
            select_candidates(store, run.id, where=unfinished)
        assert "numexpr" not in str(caught.value) and "visit_" not in str(caught.value)
    with pytest.raises(ExportError, match="compare with '=='"):
        select_candidates(store, run.id, where="alerts = 0")
    # column names in any case, as a chemist writes them; a string literal is left as written
    assert select_candidates(store, run.id, where="QED > 0.6 and logP < 4 and MW < 400").equals(
        select_candidates(store, run.id, where="qed > 0.6 and logp < 4 and mw < 400"))
    assert select_candidates(store, run.id, where="`QED` > 0.6 and LOGP < 4").equals(
        select_candidates(store, run.id, where="qed > 0.6 and logp < 4"))
    assert len(select_candidates(store, run.id, where="smiles.str.contains('N') and Alerts >= 0")) == \
        int(select_candidates(store, run.id)["smiles"].str.contains("N").sum())   # the method name is left alone
    best = select_candidates(store, run.id)["smiles"].iloc[0]
    assert select_candidates(store, run.id, where=f"SMILES == '{best}'")["smiles"].tolist() == [best]
    with pytest.raises(ExportError, match=r"did you mean 'tpsa'\? Columns"):
        select_candidates(store, run.id, where="tpas < 90")
    with pytest.raises(ExportError, match="did you mean 'mw'"):
        select_candidates(store, run.id, where="MolWt < 400")
    with pytest.raises(ExportError, match="cannot tell the format"):
        export_run(store, run.id, tmp_path / "g.xyz")
    with pytest.raises(ExportError, match="the folder .*missing does not exist"):
        export_run(store, run.id, tmp_path / "missing" / "g.csv")
    # a budget or chunk that cannot sample is refused before a run is stored, not read as the default
    for bad in ({"max_samples": 0}, {"max_samples": -1}, {"chunk_size": 0}):
        with pytest.raises(ValueError, match="must be a whole number of 1 or more"):
            generate(str(tiny_checkpoint), 5, store=store, progress=False, **bad)
    assert len(store.runs()) == 2   # the two above; none of the refused ones


def test_two_exports_under_one_name_at_once_each_leave_a_file_beside_its_own_manifest(tiny_checkpoint, store, tmp_path,
                                                                                      monkeypatch):
    import hashlib
    import threading

    import os

    run = generate(str(tiny_checkpoint), 30, conditions=["qed>=0.5"], seed=4, store=store, progress=False)
    target, errors = tmp_path / "race.tsv", []   # .tsv: written as the shared reader reads it
    written = threading.Event()
    rename = os.replace

    def slow_manifest(source, destination):
        """The first export's manifest takes its name late, its file already renamed: the second export writes its
        file and manifest meanwhile, unless it waits for the first to finish (the file then the second's, the
        manifest the first's)."""
        if threading.current_thread().name == "first" and str(destination).endswith(".manifest.json"):
            written.set()
            time.sleep(1.0)
        return rename(source, destination)

    monkeypatch.setattr(os, "replace", slow_manifest)

    def export(**options):
        try:
            export_run(store, run.id, target, **options)
        except Exception as error:   # noqa: BLE001 -- a crash of either is the failure looked for
            errors.append(error)

    first = threading.Thread(target=export, kwargs={"include_unranked": True}, name="first")
    second = threading.Thread(target=export, name="second")
    first.start()
    assert written.wait(60)
    second.start()
    for thread in (first, second):
        thread.join()
    manifest = json.loads((tmp_path / "race.tsv.manifest.json").read_text())
    assert not errors and manifest["export"]["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert len(pd.read_csv(target, sep="\t")) == manifest["export"]["rows"]
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_export_is_atomic(tiny_checkpoint, store, tmp_path, monkeypatch):
    run = generate(str(tiny_checkpoint), 20, seed=4, store=store, progress=False)
    target = tmp_path / "set.parquet"
    target.write_bytes(b"the previous export")

    def crash(self, path, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"half a parquet file")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", crash)
    with pytest.raises(ExportError, match=r"failed \(disk full\); the earlier set.parquet is as it was$"):   # no manifest
        export_run(store, run.id, target)
    assert target.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_an_sdf_export_cut_short_by_a_full_disk_leaves_the_earlier_export_and_its_manifest(tiny_checkpoint, store,
                                                                                             tmp_path, monkeypatch):
    """RDKit's SD writer stopped silently on a full disk, and the cut-short file took the export's name beside the
    earlier export's manifest (a review, on a 200 kB tmpfs)."""
    from molgen.data import files

    run = generate(str(tiny_checkpoint), 20, seed=4, store=store, progress=False)
    target = tmp_path / "set.sdf"
    export_run(store, run.id, target, top=5)
    before = target.read_bytes(), (tmp_path / "set.sdf.manifest.json").read_bytes()

    class FullDisk(io.TextIOBase):   # a text file that takes 2 kB, then fails as a full disk does
        def __init__(self, path, *args, **kwargs):
            self.handle, self.room = open(path, *args, **kwargs), 2000

        def write(self, text):
            self.room -= len(text)
            if self.room < 0:
                raise OSError(28, "No space left on device")
            return self.handle.write(text)

        def close(self):
            self.handle.close()
            super().close()

    monkeypatch.setattr(files, "open", FullDisk, raising=False)
    with pytest.raises(ExportError, match=r"No space left on device\); the earlier set.sdf and its manifest are as "):
        export_run(store, run.id, target)
    assert (target.read_bytes(), (tmp_path / "set.sdf.manifest.json").read_bytes()) == before
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []
    monkeypatch.undo()
    # the manifest's own rename failing: the new file stands without one, never beside the earlier manifest
    import os as os_module
    renamed = os_module.replace

    def no_manifest(source, destination):
        if str(destination).endswith(".manifest.json"):
            raise OSError(28, "No space left on device")
        return renamed(source, destination)

    monkeypatch.setattr(os_module, "replace", no_manifest)
    with pytest.raises(ExportError, match=r"set.sdf is written, without its manifest"):
        export_run(store, run.id, target)
    assert not (tmp_path / "set.sdf.manifest.json").exists() and target.read_bytes() != before[0]
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def _cli(*args: str, home, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "MOLGEN_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "molgen.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


def _chunks(db, name: str) -> int:
    """Chunks the run ``name`` has stored so far; 0 while the writer has created the file but not yet its tables."""
    with sqlite3.connect(db, timeout=30) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"chunks", "runs"} <= tables:
            return 0
        row = connection.execute("SELECT count(*) FROM chunks JOIN runs ON runs.id = chunks.run_id WHERE runs.name = ?",
                                 (name,)).fetchone()
    return row[0]


def test_resume_after_sigkill_has_no_duplicate_and_no_missing_chunk(tiny_checkpoint, tmp_path):
    args = ["generate", "--model", str(tiny_checkpoint), "-n", "200", "--chunk-size", "20", "--seed", "9"]
    killed_home, clean_home = tmp_path / "killed", tmp_path / "clean"
    process = _cli(*args, "--name", "victim", home=killed_home)
    db = killed_home / "runs.sqlite"
    deadline = time.time() + 120
    while time.time() < deadline and not (db.exists() and _chunks(db, "victim") >= 2):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with RunStore(db) as store:
        record = store.run("victim")
        # killed mid-run, it could say nothing; its process is gone, so the store says it for it
        assert record["status"] == "interrupted" and record["message"].startswith("its process ended without a word")
        assert f"--resume {record['id']}" in record["message"]
        chunks_at_kill = len(store.chunks(record["id"]))
        # counted from what it stored (it had no counts: a run writes them as it ends)
        assert record["counts"]["sampled"] == store.chunks(record["id"])["size"].sum() > 0
        # ranked as it is settled, so it can be browsed and exported before it is continued, as after a Ctrl-C
        assert record["counts"]["accepted"] > 0 and record["counts"]["ranked"] == record["counts"]["accepted"]
        assert store.runs().set_index("name").loc["victim", "ranked"] == record["counts"]["accepted"]
        ranked = store.candidates("victim", ranked_only=True)
        assert ranked["rank"].tolist() == list(range(1, record["counts"]["accepted"] + 1))
        assert "can be browsed and exported as it stands" in record["message"]
        # the time of every chunk the killed process stored is kept (it wrote its timings only as it ended)
        _assert_timings_count_every_chunk(record["timings"], store.chunks(record["id"]), sessions=1)
    resumed = _cli("generate", "--resume", "victim", home=killed_home)
    out = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, out
    clean = _cli(*args, "--name", "clean", home=clean_home)
    out = clean.communicate(timeout=300)[0]
    assert clean.returncode == 0, out
    with RunStore(db) as store, RunStore(clean_home / "runs.sqlite") as reference:
        run_id = store.resolve("victim")
        chunks = store.chunks(run_id)
        assert store.run(run_id)["status"] == "complete"
        assert chunks_at_kill < len(chunks)
        assert chunks["idx"].tolist() == list(range(len(chunks)))
        everything = store.candidates(run_id)
        assert everything["smiles"].is_unique
        expected = reference.candidates("clean")
        assert everything["smiles"].tolist() == expected["smiles"].tolist()
        assert store.run(run_id)["counts"] == reference.run("clean")["counts"]
        _assert_timings_count_every_chunk(store.run(run_id)["timings"], chunks, sessions=2)
        _assert_timings_count_every_chunk(reference.run("clean")["timings"], reference.chunks(reference.resolve("clean")), sessions=1)


def test_a_run_live_in_another_process_is_neither_resumed_nor_deleted(tiny_checkpoint, tmp_path):
    """Resuming a run another process is sampling would write its chunks twice (and failed with an
    IntegrityError that marked the live run failed); deleting it left that process writing orphan rows."""
    home = tmp_path / "home"
    process = _cli("generate", "--model", str(tiny_checkpoint), "-n", "5000", "--chunk-size", "20", "--seed", "4",
                   "--name", "live", home=home)
    db = home / "runs.sqlite"
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not (db.exists() and _chunks(db, "live") >= 2):
            time.sleep(0.05)
        with RunStore(db) as store:
            with pytest.raises(RunBusy, match=rf"run \S+ \(live\) is being sampled by another process \(pid {process.pid} "):
                resume("live", store=store, progress=False)
            with pytest.raises(RunBusy, match=f"kill {process.pid}"):
                store.delete_run("live")
            assert store.run("live")["status"] == "running"   # the refused resume wrote nothing to it
        refused = _cli("runs", "delete", "live", "--yes", home=home)
        out = refused.communicate(timeout=120)[0]
        assert refused.returncode == 1 and "being sampled by another process" in " ".join(out.split()), out
        resumed = _cli("generate", "--resume", "live", home=home)
        out = resumed.communicate(timeout=120)[0]
        assert resumed.returncode == 1 and "wait for it to end" in " ".join(out.split()), out
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=120)
    with RunStore(db) as store:
        record = store.run("live")
        assert record["status"] == "interrupted" and record["counts"]["sampled"] > 0
        store.delete_run("live")   # stopped, it can go
        assert store.runs().empty


def test_a_lease_beats_while_held_and_is_given_up_after(tmp_path, monkeypatch):
    from molgen.runs import store as store_module

    monkeypatch.setattr(store_module, "HEARTBEAT_SECONDS", 0.05)
    with RunStore(tmp_path / "runs.sqlite") as store:
        run_id = _bare_run(store, "held")

        def lease_row():
            return store._db.execute("SELECT owner, heartbeat FROM runs WHERE id = ?", (run_id,)).fetchone()

        with store.lease(run_id) as owner:
            first = lease_row()["heartbeat"]
            time.sleep(0.5)
            assert lease_row()["owner"] == owner and lease_row()["heartbeat"] > first
            with pytest.raises(RunBusy):   # a second lease in this very process is another holder
                with store.lease(run_id):
                    pass
        assert lease_row()["owner"] is None


def test_a_lease_from_another_host_holds_until_its_heartbeat_is_stale(tmp_path):
    from molgen.runs.store import LEASE_SECONDS, LeaseLost

    with RunStore(tmp_path / "runs.sqlite") as store:
        run_id = _bare_run(store, "remote")
        away = "another-host.example:4242:abcd1234"   # a pid not checked: it is another machine's
        store._db.execute("UPDATE runs SET owner = ?, heartbeat = ? WHERE id = ?", (away, time.time(), run_id))
        with pytest.raises(RunBusy, match="pid 4242 on another-host.example"):
            with store.lease(run_id):
                pass
        assert store.run(run_id)["status"] == "running"
        store._db.execute("UPDATE runs SET heartbeat = ? WHERE id = ?", (time.time() - LEASE_SECONDS - 1, run_id))
        record = store.run(run_id)   # silent past the lease: gone
        assert record["status"] == "interrupted" and record["message"].startswith("its process ended without a word")
        with store.lease(run_id) as owner:
            # the remote process wakes after its lease was taken: it may not write to the run any more
            with pytest.raises(LeaseLost, match="taken over by another process"):
                store.add_chunk(run_id, 0, 1, pd.DataFrame(columns=["smiles", "meets_conditions"]), [], 0, 0, 0.1, away)
            store.add_chunk(run_id, 0, 1, pd.DataFrame(columns=["smiles", "meets_conditions"]), [], 0, 0, 0.1, owner)
        assert len(store.chunks(run_id)) == 1


def test_a_process_that_lost_its_run_writes_neither_ranks_nor_record(tmp_path):
    from molgen.runs.store import LeaseLost

    with RunStore(tmp_path / "runs.sqlite") as store:
        run_id = _bare_run(store, "lost")
        with store.lease(run_id) as first:
            store._db.execute("UPDATE runs SET owner = 'another-host.example:7:x' WHERE id = ?", (run_id,))  # taken over
            with pytest.raises(LeaseLost, match="taken over"):
                store.update_run(run_id, owner=first, status="interrupted")
            with pytest.raises(LeaseLost, match="taken over"):
                store.set_ranks(run_id, np.zeros(0, np.int64), np.zeros(0, np.int64), first)
            assert store.run(run_id)["status"] == "running"
            store._db.execute("UPDATE runs SET owner = ? WHERE id = ?", (first, run_id))
            store._db.execute("DELETE FROM runs WHERE id = ?", (run_id,))   # deleted under it
            with pytest.raises(LeaseLost, match="was deleted"):   # not a TypeError on the missing row
                store.add_chunk(run_id, 0, 1, pd.DataFrame(columns=["smiles", "meets_conditions"]), [], 0, 0, 0.1, first)


def test_on_this_host_a_stalled_process_keeps_its_run_and_a_dead_one_loses_it_at_once(tmp_path):
    from molgen.runs.store import LEASE_SECONDS, new_owner

    with RunStore(tmp_path / "runs.sqlite") as store:
        run_id = _bare_run(store, "stalled")
        old = time.time() - 10 * LEASE_SECONDS   # suspended, or a laptop asleep: no heartbeat for ten minutes
        host, pid, start, _ = new_owner().split(":")
        assert start, "this system tells a process's start time (Linux /proc)"
        store._db.execute("UPDATE runs SET owner = ?, heartbeat = ? WHERE id = ?", (new_owner(), old, run_id))
        assert store.run(run_id)["status"] == "running" and "in this process" in store.busy(run_id)
        # the same process id with another start time is a later process that was given the id: the first is gone
        store._db.execute("UPDATE runs SET owner = ?, heartbeat = ? WHERE id = ?",
                          (f"{host}:{pid}:{int(start) - 1}:abc", time.time(), run_id))
        assert store.busy(run_id) is None and store.run(run_id)["status"] == "interrupted"


def test_a_stop_while_the_run_ranks_at_its_end_is_recorded_as_an_interruption(tiny_checkpoint, store, monkeypatch):
    import importlib

    pipeline = importlib.import_module("molgen.runs.generate")
    rank, calls = pipeline._rank, []

    def stopped_once(*args):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt   # Ctrl-C or SIGTERM as the last chunk is ranked
        return rank(*args)

    monkeypatch.setattr(pipeline, "_rank", stopped_once)
    with pytest.raises(KeyboardInterrupt) as stopped:
        generate(str(tiny_checkpoint), 10, seed=2, store=store, progress=False, name="ranking")
    record = store.run("ranking")
    # a script's traceback says what is kept and how to go on (a review: a bare KeyboardInterrupt)
    assert stopped.value.__notes__ == [f"molgen: run ranking is kept as interrupted, its molecules so far ranked; "
                                       f"molgen.runs.resume({record['id']!r}) continues it"]
    # it was left "running", and read as a process killed without a word, with nothing ranked
    assert record["status"] == "interrupted" and record["message"].startswith("interrupted; the molecules stored")
    assert record["counts"]["accepted"] == len(store.candidates("ranking", ranked_only=True)) > 0


def test_a_run_with_no_valid_sample_is_told_what_may_help_for_its_model_and_conditions():
    """A code review: "a larger budget is unlikely to change that" was said after 20 samples, "targets nearer" of a run
    with an avoided group alone, and "a lower temperature" to graph diffusion, which has none."""
    from types import SimpleNamespace

    from molgen.runs.generate import nothing_valid_said

    store = SimpleNamespace(reject_kinds=lambda run: {"syntax": 180, "valence": 20})
    diffusion = nothing_valid_said(store, "r1", {"model": "graph-diffusion", "conditions": {"avoid": ["C(=O)Cl"]}}, 200)
    assert diffusion == ("none of its 200 samples was a valid molecule (syntax: 180, valence: 20); a larger budget is "
                         "unlikely to change that: more --steps or another --model may")
    targeted = nothing_valid_said(store, "r1", {"model": "smiles-lm", "conditions": {"ranges": {"mw": [575, 625]}}}, 20)
    assert targeted.endswith("; more samples (molgen generate --resume r1 --max-samples N), targets nearer the model's "
                             "training molecules, a lower --temperature or another --model may give some")


def test_a_run_stopped_in_its_first_chunk_says_it_holds_no_molecule(tiny_checkpoint, store, monkeypatch):
    """A browser review: a page left 8 s into a run read "interrupted; the molecules stored so far are ranked", of a
    run that had stored none."""
    from molgen.models.smiles_lm.model import SmilesLM

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(SmilesLM, "sample", stopped)
    with pytest.raises(KeyboardInterrupt) as stopped:
        generate(str(tiny_checkpoint), 10, seed=2, store=store, progress=False, name="first-chunk")
    record = store.run("first-chunk")
    assert record["status"] == "interrupted" and record["message"].startswith(
        "interrupted; before its first chunk was stored, so it holds no molecule yet; continue with")
    assert stopped.value.__notes__ == [f"molgen: run first-chunk is kept as interrupted, before its first chunk was "
                                       f"stored, so it holds no molecule yet; molgen.runs.resume({record['id']!r}) "
                                       "continues it"]


def test_a_settled_run_is_not_ranked_from_a_snapshot_another_writer_has_outdated(tiny_checkpoint, store, monkeypatch):
    import molgen.runs.store as store_module
    from molgen.runs.store import LEASE_SECONDS

    run_id = generate(str(tiny_checkpoint), 5, seed=3, store=store, progress=False, name="remote").id
    store._db.execute("UPDATE candidates SET rank = 0 WHERE run_id = ?", (run_id,))
    store._db.execute("UPDATE runs SET status = 'running', owner = ?, heartbeat = ? WHERE id = ?",
                      ("another-host.example:4242:abcd1234", time.time() - LEASE_SECONDS - 1, run_id))
    ranks = store_module.run_ranks

    def while_ranking(frame, profile):   # the remote process, alive after all, stores one more chunk meanwhile
        store._db.execute("INSERT INTO chunks VALUES (?, 99, 1, 0, 0, 0, 0, 0.1)", (run_id,))
        return ranks(frame, profile)

    monkeypatch.setattr(store_module, "run_ranks", while_ranking)
    record = store.run(run_id)
    assert record["status"] == "interrupted" and "ranked when the run is continued" in record["message"]
    assert store.count(run_id, ranges={"rank": (1, None)}) == 0   # no ranks that would leave its chunk out


def test_a_runs_time_of_change_moves_with_each_chunk_and_when_a_killed_run_is_settled(tmp_path):
    """From a review: a run killed a minute after it began still read updated one second after its creation (only
    update_run set it), and the workbench caches a run's notes, metrics and bounds by that time."""
    import pandas as pd

    from molgen.runs.store import LEASE_SECONDS

    with RunStore(tmp_path / "runs.sqlite") as store:
        run_id = _bare_run(store, "killed")
        store._db.execute("UPDATE runs SET updated = ? WHERE id = ?", (1000.0, run_id))
        store.add_chunk(run_id, 0, 5, pd.DataFrame({"smiles": ["CCO"], "meets_conditions": [True]}), [("C1CC", "unclosed ring")],
                        n_valid=1, n_duplicate=0, seconds=0.1)
        stored = store._db.execute("SELECT updated FROM runs WHERE id = ?", (run_id,)).fetchone()[0]   # not settled
        assert stored > time.time() - 60
        store._db.execute("UPDATE runs SET owner = ?, heartbeat = ? WHERE id = ?",
                          ("h:1:ab", time.time() - LEASE_SECONDS - 5, run_id))
        time.sleep(0.01)
        settled = store.run(run_id)   # its status, counts and ranks change: read anew
        assert settled["status"] == "interrupted" and settled["updated"] > stored


def _bare_run(store: RunStore, name: str) -> str:
    return store.create_run(name=name, model="smiles-lm", checkpoint="x.pt", checkpoint_sha256="0", seed=1,
                            n_requested=1, params={}, conditions={}, native={}, profile={}, versions={})


def test_two_processes_write_runs_at_once(tiny_checkpoint, tmp_path):
    processes = [_cli("generate", "--model", str(tiny_checkpoint), "-n", "150", "--chunk-size", "30", "--seed", str(seed),
                      "--name", f"writer{seed}", home=tmp_path) for seed in (1, 2)]
    outputs = [p.communicate(timeout=300)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    with RunStore(tmp_path / "runs.sqlite") as store:
        for seed in (1, 2):
            record = store.run(f"writer{seed}")
            assert record["status"] == "complete"
            chunks = store.chunks(record["id"])
            assert int(chunks["n_new"].sum()) == len(store.candidates(record["id"])) == record["counts"]["unique"]


def test_a_graph_vae_checkpoint_joins_runs_through_the_registry(store, tmp_path):
    from molgen.models.graph_vae.config import TrainConfig
    from molgen.models.graph_vae.train import build_model, train

    smiles = load_smiles("moses-sample", "train")[:600]
    model, _ = build_model(smiles, latent_dim=8, hidden_dim=32, encoder_layers=1)
    out = tmp_path / "vae.pt"
    train(model, smiles, smiles[:60], TrainConfig(batch_size=64, max_steps=10, eval_every=10, warmup_steps=2), out,
          data_name="moses-sample", progress=False)
    # a 10-step model barely reads its latent, so greedy decoding repeats itself: draw atoms and bonds too
    run = generate(str(out), 30, conditions=["mw<=350"], seed=2, store=store, progress=False,
                   sample_options={"decoding": "sampled"})
    record = run.record
    assert record["params"]["sample_options"] == {"decoding": "sampled", "temperature": 1.0}   # its default pinned
    with pytest.raises(ValueError, match="decoding must be one of"):  # refused before anything is stored
        generate(str(out), 5, seed=2, store=store, progress=False, name="bad-decoding", sample_options={"decoding": "beam"})
    assert "bad-decoding" not in store.runs()["name"].tolist()
    from molgen.models.graph_vae.sample import DEFAULT_DECODING

    pinned = generate(str(out), 2, seed=3, store=store, progress=False, name="pinned")
    # the default decoding is written into the run, so a resume after a change of default decodes as it began
    assert pinned.record["params"]["sample_options"] == {"decoding": DEFAULT_DECODING, "temperature": 0.7, "candidates": 5}
    assert record["model"] == "graph-vae" and record["native"] == {}
    assert record["counts"]["validity"] == 1.0  # the masked decoder: valid by construction
    ranked = run.candidates()
    assert len(ranked) >= 30 and (ranked["mw"] <= 350).all()
    train_set = set(load_smiles("moses-sample", "train"))  # the data its card names, all of it
    assert ranked["novel"].tolist() == [s not in train_set for s in ranked["smiles"]]


def test_a_shipped_checkpoint_is_found_by_its_name_and_a_wrong_name_lists_the_right_ones():
    from molgen.models import CheckpointError
    from molgen.runs.generate import resolve_checkpoint

    family, path = resolve_checkpoint("smiles-lm-transformer")
    assert family == "smiles-lm" and path.name == "smiles-lm-transformer.pt" and path.is_file()
    assert resolve_checkpoint("graph-vae")[1].name == "graph-vae.pt"  # a family: its shipped default
    with pytest.raises(CheckpointError, match=r"no model 'transformer': give a family \(smiles-lm, graph-vae, "
                                                r"graph-diffusion\), a shipped checkpoint \(.*smiles-lm-transformer"):
        resolve_checkpoint("transformer")
    from molgen.models import load

    assert load("smiles-lm-transformer").config.arch == "transformer"  # the Python API takes the same names
    with pytest.raises(CheckpointError, match="no model 'transformer'"):
        load("transformer")


def test_a_run_stopped_by_sigterm_is_interrupted_ranked_so_far_and_says_how_to_continue(tiny_checkpoint, tmp_path):
    home = tmp_path / "home"
    process = _cli("generate", "--model", str(tiny_checkpoint), "-n", "400", "--chunk-size", "20", "--seed", "9",
                   "--name", "stopped", home=home)
    db = home / "runs.sqlite"
    deadline = time.time() + 120
    while time.time() < deadline and not (db.exists() and _chunks(db, "stopped") >= 2):
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    out = process.communicate(timeout=120)[0]
    # it dies of the SIGTERM once its record is written, as a killed process does (143 in a shell)
    assert process.returncode == -signal.SIGTERM, out
    assert "interrupted" in out and "molgen generate --resume" in out
    with RunStore(db) as store:
        record = store.run("stopped")
        assert record["status"] == "interrupted"
        ranked = store.candidates(record["id"], ranked_only=True)
        # what was stored is ranked and counted: the partial run can be browsed and exported as it stands
        assert len(ranked) == record["counts"]["accepted"] > 0 and (ranked["rank"] > 0).all()
        assert ranked["rank"].min() == 1
        # its time is counted as far as it went (a review: a stopped session's total was left out, and a resumed
        # run's total came out below its sampling time)
        _assert_timings_count_every_chunk(record["timings"], store.chunks(record["id"]), sessions=1)


def _assert_timings_count_every_chunk(timings: dict, chunks, sessions: int) -> None:
    """A run's timings hold the time of every chunk it stored (sampling and scoring; each chunk's own seconds are
    both), its total no less than their sum and its ranking, over ``sessions`` sessions."""
    worked = timings["sampling"] + timings["scoring"]
    assert worked == pytest.approx(chunks["seconds"].sum(), abs=0.002 * len(chunks) + 0.002)
    assert timings["total"] >= worked + timings.get("ranking", 0.0) - 0.002 * len(chunks) - 0.002
    assert timings["sessions"] == sessions


def test_a_run_that_fails_mid_way_is_marked_failed_with_its_error_and_keeps_what_it_stored(tiny_checkpoint, store,
                                                                                           monkeypatch):
    """An error is not an interruption: the record says what went wrong (resuming would meet it again),
    and the chunks stored before it are ranked."""
    import importlib

    pipeline = importlib.import_module("molgen.runs.generate")   # the module: molgen.runs.generate is also a function
    load = pipeline._load_generator

    def flaky(family, checkpoint):
        generator = load(family, checkpoint)
        sample, calls = generator.sample, []

        def sample_then_fail(*args, **kwargs):
            calls.append(1)
            if len(calls) > 1:
                raise RuntimeError("out of memory in the sampler")
            return sample(*args, **kwargs)

        generator.sample = sample_then_fail
        return generator

    monkeypatch.setattr(pipeline, "_load_generator", flaky)
    with pytest.raises(RuntimeError, match="out of memory"):
        generate(str(tiny_checkpoint), 400, chunk_size=50, seed=2, store=store, progress=False, name="fails")
    record = store.run("fails")
    assert record["status"] == "failed"
    assert record["message"].startswith("failed: RuntimeError: out of memory in the sampler")
    assert "--resume" not in record["message"]
    ranked = store.candidates(record["id"], ranked_only=True)
    assert len(ranked) == record["counts"]["accepted"] > 0 and ranked["rank"].min() == 1


def test_a_resumed_run_steers_only_what_its_record_says_it_steered():
    from molgen.models.base import Conditions
    from molgen.runs.generate import recorded_native

    asked = Conditions(targets={"qed": 0.8}, ranges={"logp": (3.0, None), "mw": (None, 400.0)}, scaffold="c1ccncc1",
                       avoid=["[N+](=O)[O-]"])
    # stored before graph diffusion steered ranges, with a SMARTS-era scaffold it would now refuse: neither comes back
    steer = recorded_native(asked, {"target qed": "classifier-free guidance"})
    assert steer.targets == {"qed": 0.8} and not steer.ranges and steer.scaffold is None and not steer.avoid
    steer = recorded_native(asked, {"range logp": "label prior", "scaffold": "inpainting"})
    assert steer.ranges == {"logp": (3.0, None)} and steer.scaffold == "c1ccncc1" and not steer.targets


def test_the_conditions_a_model_left_to_the_filter_are_named():
    from molgen.runs import filter_alone_note, filtered_only

    # graph diffusion with a scaffold: inpainting steers the scaffold, the ranges are the filter's alone
    record = {"conditions": {"targets": {}, "ranges": {"qed": [0.6, None], "mw": [None, 400]}, "scaffold": "c1ccncc1"},
              "native": {"scaffold": "inpainting (scaffold atoms and bonds held fixed)"}}
    assert filtered_only(record) == ["range qed", "range mw"]
    assert filter_alone_note({**record, "model": "graph-diffusion"}).endswith(
        "(graph diffusion steers ranges through its label prior only when no target or scaffold is given)")
    record["native"]["range qed"] = "label prior"
    assert filtered_only(record) == ["range mw"]
    # a scaffold the model did not build on (a SMARTS pattern) is said even with nothing else steered
    lm = {"model": "smiles-lm", "conditions": {"ranges": {}, "scaffold": "[NX3;H1,H2]c1ncccn1"}, "native": {}}
    assert filter_alone_note(lm).startswith("scaffold: not steered by this model here; met by the filter alone (a "
                                            "SMILES language model completes a scaffold written as SMILES")
    assert filter_alone_note({**lm, "conditions": {"ranges": {"qed": [0.5, None]}}}) is None   # nothing steered
    # a slip in a SMILES read as SMARTS only is said as such, on the command line as on the page
    slip = filter_alone_note({**lm, "conditions": {"ranges": {}, "scaffold": "c1ccc2ncnc2c1"}})
    assert "(the scaffold reads as SMARTS only: it is not valid SMILES, " in slip
    assert "reads as SMARTS only" not in filter_alone_note(lm)   # a SMARTS written as such: meant
    # the graph VAE steers a reference it can encode; one it cannot is said to be the filter's alone
    vae = {"model": "graph-vae", "conditions": {"ranges": {}, "similar_to": "C[Se]c1ccccc1", "min_similarity": 0.4},
           "native": {}}
    assert filtered_only(vae) == ["similar_to"]
    assert filter_alone_note(vae).startswith("similar_to: not steered by this model here; met by the filter alone")
    vae["native"] = {"similar_to": "decoding latents around the reference's encoding"}
    assert filtered_only(vae) == [] and filter_alone_note(vae) is None



def test_an_invalid_sampled_graph_is_stored_as_drawn_with_rdkits_reason():
    """A graph model's invalid sample has no SMILES to parse: its reject is the graph as sampled and the reason
    RDKit refused it (before, every one read 'empty: empty SMILES')."""
    from molgen.chem.graph import AtomVocabulary, graph_to_mol, unsanitized_smiles
    from molgen.models.base import Conditions, Sample
    from molgen.runs.conditions import ConditionFilter
    from molgen.runs.generate import _process_chunk
    from molgen.scoring.profiles import load_profile

    vocabulary = AtomVocabulary.from_smiles(["CCO"])
    carbon = next(i for i, t in enumerate(vocabulary.types) if t.label == "C")
    # a carbon bonded to five others: a valence RDKit refuses
    result = graph_to_mol([carbon] * 6, [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5)], [0] * 5, vocabulary)
    assert not result.valid
    sample = Sample("", None, {"atoms": 6, "error": result.error, "reason": result.reason,   # as graph diffusion's
                               "graph": unsanitized_smiles(result.mol)})
    _, rejects, n_valid, _ = _process_chunk([sample, Sample("CCO", None, {})], set(), ConditionFilter(Conditions()),
                                            load_profile("drug-like"), None, "x", 0, 1)
    assert n_valid == 1 and len(rejects) == 1
    text, reason = rejects[0]
    assert Chem.MolFromSmiles(text, sanitize=False).GetNumAtoms() == 6   # the graph as sampled
    assert reason.startswith("valence: atom 1 (C) has a valence of 5, more than C allows")
    # a sample with an unfilled attachment point: a reject with its reason (score() would leave its row unscored)
    _, rejects, n_valid, _ = _process_chunk([Sample("*c1ccccc1", None, {}), Sample("CCO", None, {})], set(),
                                            ConditionFilter(Conditions()), load_profile("drug-like"), None, "x", 0, 1)
    assert n_valid == 1 and rejects == [("*c1ccccc1", rejects[0][1])] and rejects[0][1].startswith("fragment:")


def test_a_graph_vae_runs_validity_says_it_is_by_construction():
    """The VAE's decoder masks valence: its 100% is no measurement of an uncorrected sampler, and is not called one."""
    from molgen.runs import validity_note

    assert validity_note({"model": "graph-vae", "conditions": {}, "params": {"sample_options": {}}}) == \
        "valid by construction: valence-masked decoder"
    assert validity_note({"model": "smiles-lm", "conditions": {}, "params": {"sample_options": {}}}) == "no correction"


def test_a_run_is_measured_as_it_stands_while_it_still_samples(tiny_checkpoint, store, sample_smiles, fetched_moses):
    """`molgen evaluate --run` and Compare on a run whose record has no counts yet (still sampling, or resumed and
    sampling again): validity and novelty from what it stored, not from the record's empty or older counts."""
    from molgen.runs.metrics import measure_run

    run = generate(str(tiny_checkpoint), 15, seed=5, store=store, progress=False, max_samples=150)
    record = {**run.record, "status": "running", "counts": {}}
    measured = measure_run(store, record, reference=sample_smiles[5000:5300], n_jobs=1)
    tally = store.tally(run.id, record["n_requested"])
    assert measured["n"] == tally["unique"] and measured["n_sampled"] == tally["sampled"]
    # in full, not the tally's four decimals (130 of 132 read 0.9848 beside n_valid 130: a review)
    assert measured["valid"] == tally["valid"] / tally["sampled"] == pytest.approx(tally["validity"], abs=5e-5)
    assert measured["Novelty"] == pytest.approx(tally["novelty"], abs=1e-4)
    said = " ".join(measured["notes"])
    assert f"the run is running: measured as it stood, {tally['sampled']:,} samples taken" in said
    assert "novelty: not known" not in said
    assert measure_run(store, record, reference=sample_smiles[5000:5300], own_novelty=False, n_jobs=1)["Novelty"] is None
    # no molecule measured: no novelty, and no false reason for it
    empty = measure_run(store, record, [], reference=sample_smiles[5000:5300], n_jobs=1)
    assert empty["Novelty"] is None and not any("novelty" in note for note in empty["notes"])


def test_a_count_some_chunks_did_not_keep_is_unknown_not_a_part_read_as_the_whole(tmp_path):
    """From a code review: a run whose first chunks a version before the count stored read as N of its valid samples
    from its later chunks alone."""
    empty = pd.DataFrame(columns=["smiles", "meets_conditions"])
    with RunStore(tmp_path / "runs.sqlite") as store:
        run_id = _bare_run(store, "mixed")
        store.add_chunk(run_id, 0, 10, empty, [], 10, 0, 0.1)   # as stored before the count
        store.add_chunk(run_id, 1, 10, empty, [], 10, 0, 0.1, n_mostly_dropped=4, n_bare_scaffold=2)
        assert store.tally(run_id, 5)["mostly_dropped"] is None and store.tally(run_id, 5)["bare_scaffold"] is None
        whole = _bare_run(store, "whole")
        for idx, dropped in enumerate((3, 4)):
            store.add_chunk(whole, idx, 10, empty, [], 10, 0, 0.1, n_mostly_dropped=dropped)
        assert store.tally(whole, 5)["mostly_dropped"] == 7
        # a chunk without a valid sample counts nothing and may keep no row: the run's count still stands
        store.add_chunk(whole, 2, 10, empty, [], 0, 0, 0.1)
        assert store.tally(whole, 5)["mostly_dropped"] == 7
        # one with a row beside an older version's chunk without one: still unknown (its rows, not their number)
        older = _bare_run(store, "older")
        store.add_chunk(older, 0, 10, empty, [], 10, 0, 0.1)
        store.add_chunk(older, 1, 10, empty, [], 0, 0, 0.1, n_mostly_dropped=0)
        assert store.tally(older, 5)["mostly_dropped"] is None


def test_a_pareto_runs_fronts_are_of_the_whole_run_as_its_ranks_are(tiny_checkpoint, store):
    """From a review: each chunk numbered its Pareto fronts among its own molecules, so an export of
    ``pareto_front == 1`` held dominated molecules down to rank 63, and rank 21 was on front 2 above rank 22 on 1."""
    from molgen.scoring import ScoringProfile, load_profile
    from molgen.scoring.ranking import pareto_ranks

    profile = ScoringProfile.from_dict({**load_profile("drug-like").to_dict(), "ranking": "pareto"})
    run = generate(str(tiny_checkpoint), 150, profile=profile, seed=21, chunk_size=100, store=store, progress=False)
    frame = run.candidates()
    assert frame["chunk"].nunique() > 1   # fronts numbered within each chunk would differ from the whole run's
    ranked = frame[frame["rank"] > 0].sort_values("rank")
    passing = ranked["passes_filters"].astype(bool).to_numpy()
    desirability = ranked[[f"d_{c.property}" for c in profile.components]].to_numpy(dtype=float)
    expected = pareto_ranks(np.where(passing[:, None], desirability, np.nan))
    assert ranked["pareto_front"].tolist() == expected.tolist()
    fronts = ranked.loc[passing, "pareto_front"].to_numpy()
    assert (np.diff(fronts) >= 0).all()   # ranked front by front
    assert (frame.loc[frame["rank"] == 0, "pareto_front"] == 0).all()   # no front for a molecule the run did not rank


def test_a_smiles_model_that_crowds_an_amide_nh_is_pointed_to_inpainting(store, monkeypatch):
    """A review's R-group table on a benzamide NH: the shipped LSTM made nearly every amide tertiary (a second group
    at the *), so 0 were kept, and the run offered only a larger budget, which changes nothing. The spelling is now
    the one whose trial completions put one group there (`N(C(=O)c1ccccc1)`): the run is met; from the spelling it
    took before, it is pointed to inpainting."""
    from molgen.models.base import shipped_checkpoint
    from molgen.models.smiles_lm.model import SmilesLM
    from molgen.runs import build_conditions

    conditions = build_conditions(scaffold="*NC(=O)c1ccccc1")
    run = generate(str(shipped_checkpoint("smiles-lm")), 5, conditions=conditions, seed=1, max_samples=150,
                   store=store, progress=False)
    assert run.record["status"] == "complete" and run.record["counts"]["accepted"] >= 5
    monkeypatch.setattr(SmilesLM, "_spellings", lambda self, scaffold, positions=None: ["O=C(c1ccccc1)N"])
    run = generate(str(shipped_checkpoint("smiles-lm")), 5, conditions=conditions, seed=1, max_samples=150,
                   store=store, progress=False)
    message = run.record["message"]
    assert message.split("missed most often: ")[1].startswith("more than one group at an attachment point")
    assert "graph diffusion (--model graph-diffusion) holds the scaffold's hydrogens by inpainting" in message
    # sent there only when its inpainting can hold the scaffold (a selenium it never saw: a dead end)
    from molgen.runs.generate import shipped_diffusion_can_inpaint

    assert shipped_diffusion_can_inpaint("*NC(=O)c1ccccc1") and not shipped_diffusion_can_inpaint("*NC(=O)c1ccc([Se]C)cc1")
