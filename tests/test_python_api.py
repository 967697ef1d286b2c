"""The Python API as a script author meets it (a review of it): tables from any source, seeds, a string given for a
list, options misspelt, an SDF read back."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import molgen
from molgen.models import Conditions, load


def test_diverse_selection_and_clusters_take_a_runs_candidates_and_an_export(tmp_path):
    """select_diverse_top on run.candidates() (no 'duplicate' column: each molecule is once already) was a
    KeyError; an export read back writes an unranked row's rank empty."""
    from molgen.scoring.select import add_clusters, select_diverse_top

    table = pd.DataFrame({"smiles": ["c1ccccc1O", "c1ccccc1N", "CCCCCCO", "c1ccccc1Cl"], "rank": [1, 2, 3, None]})
    chosen = select_diverse_top(table, 3, max_similarity=0.3)
    assert chosen["smiles"].tolist() == ["c1ccccc1O", "CCCCCCO"] and chosen["rank"].tolist() == [1, 3]
    assert add_clusters(table)["cluster"].tolist()[3] == -1   # the unranked row is in no cluster
    with pytest.raises(ValueError, match="no rank column"):
        select_diverse_top(table.drop(columns="rank"), 2)
    # a scored table read back with molgen's reader keeps its true/false as text: 'False' is no repeat
    read_back = table.assign(duplicate=["False", "True", "False", ""], passes_filters=["True", "True", "False", "True"])
    assert select_diverse_top(read_back, 3, max_similarity=0.3)["smiles"].tolist() == ["c1ccccc1O", "CCCCCCO"]
    assert select_diverse_top(read_back, 3, max_similarity=0.3, passing_only=True)["smiles"].tolist() == ["c1ccccc1O"]
    with pytest.raises(TypeError, match=r"takes a scored table \(molgen.score\(smiles, profile\)\), not a list"):
        select_diverse_top(["CCO"], 3)


@pytest.mark.parametrize("seed", [None, -1, 1.5, True])
def test_a_runs_seed_is_a_whole_number_refused_before_anything_is_stored(seed, tmp_path):
    from molgen.runs.store import RunStore

    store = RunStore(tmp_path / "runs.db")
    with pytest.raises(ValueError, match="seed must be a whole number of 0 or more"):
        molgen.generate(n=5, seed=seed, store=store, progress=False)
    assert store.runs().empty   # no failed run left behind


@pytest.mark.parametrize(("argument", "value"), [("n", 2.5), ("n", "5"), ("max_samples", 0), ("chunk_size", 1.5)])
def test_a_runs_counts_are_whole_numbers_refused_before_anything_is_stored(argument, value, tmp_path):
    """A review: n=2.5 was stored as a run asking for "ranks 1 to 2.5"; n="5" was a TypeError from a comparison."""
    from molgen.runs.store import RunStore

    store = RunStore(tmp_path / "runs.db")
    with pytest.raises(ValueError, match=f"{argument} .*must be a whole number"):
        molgen.generate(**{"n": 5, argument: value}, store=store, progress=False)
    assert store.runs().empty


@pytest.mark.parametrize("model", ["smiles-lm", "graph-vae", "graph-diffusion"])
def test_a_batch_size_below_one_is_refused_before_a_run_is_stored(model, tmp_path):
    """A review: the graph families refused batch_size=0 only in sample(), once a failed run was stored."""
    from molgen.runs.store import RunStore

    store = RunStore(tmp_path / "runs.db")
    with pytest.raises(ValueError, match="batch_size must be a whole number of 1 or more"):
        molgen.generate(model=model, n=3, sample_options={"batch_size": 0}, store=store, progress=False)
    assert store.runs().empty


def test_unseeded_sampling_draws_afresh_and_a_seed_repeats(tiny_checkpoint):
    model = load(str(tiny_checkpoint))
    assert [s.smiles for s in model.sample(40, seed=3)] == [s.smiles for s in model.sample(40, seed=3)]
    assert [s.smiles for s in model.sample(40)] != [s.smiles for s in model.sample(40)]


def test_a_stored_run_is_opened_by_its_name_in_the_default_store(tmp_path, monkeypatch, tiny_checkpoint):
    """A Python review: Run("name") needed a store, and with one its id read back the name, not the stored id that
    the candidates' run_id column holds."""
    monkeypatch.setenv("MOLGEN_HOME", str(tmp_path))
    made = molgen.generate(model=str(tiny_checkpoint), n=3, seed=1, name="opened-by-name", max_samples=30)
    opened = molgen.runs.Run("opened-by-name")
    assert opened.id == made.id and set(opened.candidates(ranked_only=False)["run_id"]) == {made.id}
    with pytest.raises(molgen.runs.RunNotFound):
        molgen.runs.Run("no-such-run")


def test_a_bare_import_reaches_the_subpackages_and_generate_shows_its_arguments():
    """A fresh interpreter (a notebook's first cell): molgen.runs after ``import molgen`` alone, and help(molgen.generate)
    listing generate's arguments (it showed ``**options``)."""
    import inspect
    import subprocess
    import sys

    script = ("import inspect, molgen; print(molgen.runs.Run.__name__, 'runs' in dir(molgen), 'generate' in dir(molgen),"
              " *inspect.signature(molgen.generate).parameters)")
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert shown[:3] == ["Run", "True", "True"]
    assert {"model", "n", "conditions", "scaffold", "avoid", "similar_to", "profile", "seed"} <= set(shown[3:])
    assert "options" not in shown and inspect.getdoc(molgen.generate).startswith("Generate ``n`` valid, unique")


def test_loading_a_model_leaves_torchs_global_random_stream_as_it_was():
    """A Python review: a load drew the network's initial weights from the global stream, so a script's own seeded
    torch draws after it changed."""
    import torch

    torch.manual_seed(0)
    before = torch.random.get_rng_state()
    load("smiles-lm")
    load("graph-vae")
    assert torch.equal(before, torch.random.get_rng_state())


def test_one_smiles_string_for_a_list_is_refused_and_an_avoided_pattern_is_one_pattern():
    from molgen.data.splits import scaffold_split
    from molgen.metrics import evaluate

    with pytest.raises(TypeError, match=r"evaluate takes a list of SMILES, not one string: give \['CCO'\]"):
        evaluate("CCO", reference="moses-sample", train=None)
    with pytest.raises(TypeError, match="scaffold_split takes a list"):
        scaffold_split("CCO")
    from molgen.models.graph_vae import latent

    with pytest.raises(TypeError, match="encode takes a list"):
        latent.encode(load("graph-vae"), "CCO")
    assert Conditions(avoid="c1ccccc1").avoid == ["c1ccccc1"]   # '1' was "neither valid SMARTS nor SMILES"


def test_a_similarity_threshold_outside_0_to_1_is_said_to_be_one(tmp_path):
    from molgen.runs.conditions import ConditionError, check_new_reference

    with pytest.raises(ConditionError, match="a Tanimoto similarity lies between 0 and 1; 1.5 is no threshold"):
        check_new_reference(Conditions(similar_to="CCO", min_similarity=1.5))


def test_graph_samplers_refuse_options_they_do_not_take():
    """d.sample(2, step=10) ran the default steps without a word (the SMILES model raised for its typos)."""
    with pytest.raises(TypeError, match="graph-diffusion sampling takes no option 'step'; it takes .*keep_scaffold_hydrogens.*steps"):
        load("graph-diffusion").sample(2, seed=1, step=10)
    with pytest.raises(TypeError, match="graph-vae sampling takes no option 'tempreature'"):
        load("graph-vae").sample(2, tempreature=0.5)
    with pytest.raises(ValueError, match="n must be a whole number of 0 or more, not -1"):
        load("graph-vae").sample(-1)
    # the same refusals in every family (a review: n=2.5 and batch_size=0 failed deep in torch, or the LSTM wrote
    # empty strings a run counted as invalid; a dict for conditions had "no attribute 'targets'")
    for name in ("smiles-lm", "graph-vae", "graph-diffusion"):
        model = load(name)
        for call, message in ((lambda: model.sample(2.5), "n must be a whole number of 0 or more, not 2.5"),
                              (lambda: model.sample(True), "n must be a whole number"),
                              (lambda: model.sample(2, batch_size=0), "batch_size must be a whole number of 1 or more"),
                              (lambda: model.sample(2, conditions={"qed": 0.8}), "conditions must be a molgen Conditions")):
            with pytest.raises((ValueError, TypeError), match=message):
                call()
    with pytest.raises(ValueError, match="max_len must be a whole number of 1 or more, not 0"):
        load("smiles-lm").sample(2, max_len=0)   # read as the default before
    # the SMILES model names its own options, not its sampler's ("generate() got an unexpected keyword argument")
    with pytest.raises(TypeError, match="smiles-lm sampling takes no option 'decoding'; it takes .*strategy"):
        load("smiles-lm").sample(2, decoding="greedy")


def test_an_sdf_export_read_back_has_its_numbers_as_numbers(tmp_path):
    """A review: molgen's own SDF export read back gave qed as text (d[d.qed > 0.5] failed); a CSV gave numbers."""
    from molgen.data.files import read_molecules, write_molecules

    frame = pd.DataFrame({"smiles": ["CCO", "CCN", "C"], "qed": [0.4, 0.5, None], "id": ["007", "8", "9"],
                          "n": [1, 2, 3], "note": ["a", "1", None]})
    back = read_molecules(write_molecules(frame, tmp_path / "t.sdf"))
    assert back["qed"].dtype == "float64" and back["qed"].isna().tolist() == [False, False, True]
    assert back["n"].tolist() == [1, 2, 3] and back["id"].tolist() == ["007", "8", "9"]   # an identifier stays text
    assert back["note"].tolist()[:2] == ["a", "1"]
    assert back[back["qed"] > 0.45]["smiles"].tolist() == ["CCN"]
    # the title, and a data item named as one of the reader's own columns, stay as written
    titled = read_molecules(write_molecules(pd.DataFrame({"smiles": ["CCO", "CCN"], "name": ["1e5", "12"]}),
                                            tmp_path / "titled.sdf"))
    assert titled["name"].tolist() == ["1e5", "12"] and titled["sdf_name"].tolist() == ["1e5", "12"]
    scored = read_molecules(write_molecules(pd.DataFrame({"smiles": ["CCO"], "sdf_score": [0.5]}), tmp_path / "s.sdf"))
    assert scored["sdf_score"].tolist() == [0.5]   # a vendor's own sdf_ item is a number like any other


def test_a_run_says_from_python_what_the_command_line_says_beside_its_message(tmp_path):
    """A review: from Python nothing said that the graph VAE keeps no scaffold (the filter alone met it), and a
    scaffold larger than the VAE ever builds was sampled for to the end of the budget."""
    from molgen.runs import ConditionError
    from molgen.runs.store import RunStore

    store = RunStore(tmp_path / "runs.db")
    run = molgen.generate(model="graph-vae", n=3, scaffold="c1ccc2[nH]ccc2c1", max_samples=20, seed=1, store=store,
                          progress=False)
    notes = run.notes()
    assert notes[0] == "how validity is counted: valid by construction: valence-masked decoder"
    assert "scaffold: not steered by this model here; met by the filter alone" in notes
    # a property window's share of MOSES names the window: read apart from the conditions, "inside it" named none
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the budget may end it short: said as a warning, not the point here
        narrow = molgen.generate(model="graph-vae", n=2, conditions=["qed>=0.93"], max_samples=10, seed=1,
                                 store=store, progress=False)
    assert any(note.startswith("4% of MOSES's training molecules lie inside 0.93 <= qed") for note in narrow.notes()), \
        narrow.notes()
    # the ranked set is empty: it keeps the run's columns all the same (a KeyError in a script before)
    assert run.candidates().empty and list(run.candidates().columns) == list(run.candidates(ranked_only=False).columns)
    assert {"lipinski_pass", "veber_violations", "d_qed"} <= set(run.candidates().columns)
    sexiphenyl = "c1ccc(-c2ccc(-c3ccc(-c4ccc(-c5ccc(-c6ccccc6)cc5)cc4)cc3)cc2)cc1"
    with pytest.raises(ConditionError, match="it has 36 heavy atoms, and the model builds molecules of at most"):
        molgen.generate(model="graph-vae", n=3, scaffold=sexiphenyl, max_samples=20, store=store, progress=False)


def test_a_new_run_refuses_what_a_stored_one_is_still_read_with(tiny_checkpoint, tmp_path):
    """From a review: a non-number bound was a TypeError from the filter (checked before the new-run check), a
    profile object with a salt-written pattern passed, and a run stored with no row under a profile a later check
    refuses broke candidates() (runs show, Compare, export)."""
    from molgen.models.base import Conditions
    from molgen.runs import ConditionError
    from molgen.runs.store import RunStore
    from molgen.scoring.profiles import ProfileError, ScoringProfile, load_profile

    store = RunStore(tmp_path / "runs.db")
    for conditions in (Conditions(ranges={"mw": (None, "500")}), Conditions(targets={"qed": None})):
        with pytest.raises(ConditionError, match="must be a finite number"):
            molgen.generate(n=3, conditions=conditions, store=store, progress=False)
    salted = ScoringProfile.from_dict({**load_profile("drug-like").to_dict(), "name": "mine",
                                       "avoid": ["c1ccccc1[N+](=O)[O-].Cl"], "hard_filters": ["avoid"]})
    with pytest.raises(ProfileError, match="avoid: .* written as a salt"):
        molgen.generate(n=3, profile=salted, store=store, progress=False)
    assert store.runs().empty
    refused = {**load_profile("drug-like").to_dict(), "name": "older"}
    refused["components"] = refused["components"] + [refused["components"][0]]   # two on one property: refused now
    run_id = store.create_run(name="empty", model="smiles-lm", checkpoint="x.pt", checkpoint_sha256="0", seed=0,
                              n_requested=5, params={"max_samples": 10, "chunk_size": 10, "sample_options": {}},
                              conditions={}, native={}, versions={}, profile=refused)
    assert store.candidates(run_id, ranked_only=True).empty   # read, not a ProfileError
    # a run stored with a salt-written pattern is read; repeating it says the profile is the run's, and the way on
    from molgen.runs import run_settings

    salted_run = store.create_run(name="salted", model="smiles-lm", checkpoint=str(tiny_checkpoint),
                                  checkpoint_sha256="0", seed=0, n_requested=3,
                                  params={"max_samples": 10, "chunk_size": 10, "sample_options": {}},
                                  conditions={}, native={}, versions={}, profile=salted.to_dict())
    with pytest.raises(ProfileError, match=r"a run's stored profile, read as it ranked that run.*--profile FILE"):
        molgen.generate(**run_settings(salted_run, store=store), store=store, progress=False)


def test_a_short_run_warns_a_script_and_profiles_and_seeds_are_checked_as_the_api_says(tmp_path, monkeypatch):
    """A Python API review: a run stopped by its budget returned as if complete; a profile given as a dict (or None)
    failed inside pathlib; a model's sample took seed=-1 and failed in torch on seed=1.0; a dict given to score had
    its keys scored."""
    import pytest

    from molgen.models import load
    from molgen.runs import RunStore, generate
    from molgen.runs.generate import FewerThanAsked, without_shortfall_warning
    from molgen.scoring import score
    from molgen.scoring.profiles import ProfileError

    monkeypatch.setenv("MOLGEN_HOME", str(tmp_path / "home"))
    with RunStore() as store, pytest.warns(FewerThanAsked, match=r"budget .*molgen\.runs\.resume\(") as said:
        run = generate("smiles-lm", 50, conditions=["mw>=480"], max_samples=40, store=store, progress=False)
        assert run.status == "budget_exhausted"
    assert said[0].filename == __file__   # at the script's own line, not molgen's
    with RunStore() as store, warnings.catch_warnings():
        warnings.simplefilter("error", FewerThanAsked)   # a caller saying it itself (the CLI, the web app): quiet
        without_shortfall_warning(generate)("smiles-lm", 50, conditions=["mw>=480"], max_samples=40, store=store,
                                            progress=False)
    with RunStore() as store, warnings.catch_warnings():
        warnings.simplefilter("error", FewerThanAsked)   # a complete run says nothing
        generate("smiles-lm", 5, store=store, progress=False)
    mine = {"name": "mine", "components": [{"property": "qed"}]}
    assert score(["CCO"], mine, progress=False)["score"].iloc[0] == pytest.approx(0.4068, abs=1e-4)
    with pytest.raises(ProfileError, match="not NoneType"):
        score(["CCO"], None, progress=False)
    with pytest.raises(TypeError, match="not a dict"):
        score({"a": "CCO"}, progress=False)
    # a file's path: "'PosixPath' object is not iterable", or as text one invalid SMILES (a review)
    molecules = tmp_path / "m.smi"
    molecules.write_text("CCO ethanol\n")
    for given in (molecules, str(molecules)):
        with pytest.raises(TypeError, match=r"score takes molecules, not a file: read it first, "
                                            r"score\(read_molecules\("):
            score(given, progress=False)
    model = load("smiles-lm")
    for seed in (-1, 1.0, True):
        with pytest.raises(ValueError, match="seed must be a whole number"):
            model.sample(2, seed=seed)
