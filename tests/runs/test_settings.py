"""Generating again from a stored run's settings: `run_settings` (the API) and `molgen generate --like`."""

from __future__ import annotations

import shutil

import pytest

from molgen.data.moses import sha256_of as file_sha256
from molgen.runs import RunStore, checkpoint_changed, generate, run_settings
from molgen.scoring.profiles import load_profile
from tests.runs.test_cli_runs import run


def _ranked(store: RunStore, run_id: str) -> list[str]:
    return store.candidates(run_id, ranked_only=True, order_by="rank", columns=["smiles"])["smiles"].tolist()


def test_a_run_generated_again_from_its_settings_samples_the_same_molecules(tiny_checkpoint, tmp_path):
    profile = load_profile("drug-like")
    profile.name = "my-profile"   # a profile of the chemist's own travels with the run, not by name
    with RunStore(tmp_path / "runs.sqlite") as store:
        first = generate(str(tiny_checkpoint), 12, conditions=["mw<=400"], profile=profile, seed=5, chunk_size=40,
                         max_samples=200, sample_options={"temperature": 0.9}, store=store, progress=False,
                         name="first")
        settings = run_settings("first", store=store)
        assert settings["seed"] == 5 and settings["chunk_size"] == 40 and settings["max_samples"] == 200
        # the defaults it sampled with are pinned beside the temperature asked for
        assert settings["sample_options"] == {"strategy": "sample", "temperature": 0.9, "top_k": 0, "top_p": 1.0}
        assert settings["profile"].name == "my-profile"
        assert settings["conditions"].ranges == {"mw": (None, 400.0)}
        again = generate(**settings, store=store, progress=False, name="again")
        assert _ranked(store, again.id) == _ranked(store, first.id) and len(_ranked(store, first.id)) >= 12
        assert store.run("again")["profile"] == store.run("first")["profile"]
        other = generate(**{**settings, "seed": 6}, store=store, progress=False, name="other-seed")
        assert _ranked(store, other.id) != _ranked(store, first.id)


def test_a_run_whose_checkpoint_changed_or_went_says_so(tiny_checkpoint, tmp_path):
    copy = tmp_path / "model.pt"
    shutil.copy(tiny_checkpoint, copy)
    with RunStore(tmp_path / "runs.sqlite") as store:
        generate(str(copy), 3, seed=1, store=store, progress=False, name="moved")
        assert not checkpoint_changed("moved", store=store)
        with copy.open("ab") as file:   # retrained in place, say
            file.write(b"\0")
        assert checkpoint_changed("moved", store=store)
        copy.unlink()
        with pytest.raises(FileNotFoundError, match=r"moved\): its checkpoint .*model.pt is gone"):
            run_settings("moved", store=store)
        elsewhere = run_settings("moved", store=store, model=str(tiny_checkpoint))   # another model, the rest kept
        assert elsewhere["model"] == str(tiny_checkpoint) and elsewhere["seed"] == 1 and elsewhere["n"] == 3


def test_generate_like_a_run_changes_only_what_is_given(tiny_checkpoint, tmp_path):
    first = run("generate", "--model", tiny_checkpoint, "-n", 10, "--condition", "mw<=450", "--avoid", "[N+](=O)[O-]",
                "--seed", 3, "--temperature", 0.9, "--profile", "lead-like", "--name", "base", home=tmp_path)
    assert first.exit_code == 0, first.output
    same = run("generate", "--like", "base", "--name", "same", home=tmp_path)
    assert same.exit_code == 0, same.output
    line = " ".join(same.output.split())
    assert "settings of run" in line and "(base), unchanged:" in line
    assert "n 10, seed 3, conditions mw <= 450; contains no [N+](=O)[O-], profile lead-like" in line
    varied = run("generate", "--like", "base", "--seed", 4, "-n", 5, "--top-k", 20, "--name", "varied", home=tmp_path)
    assert varied.exit_code == 0, varied.output
    assert "changed: -n 5, --seed 4, --top-k 20" in " ".join(varied.output.split())
    assert "the budget is 20 x the new n (100 samples), not the run's 200" in " ".join(varied.output.split())
    same_n = run("generate", "--like", "base", "-n", 10, "--seed", 5, "--name", "same-n", home=tmp_path)
    assert same_n.exit_code == 0 and "budget" not in same_n.output.split("\n")[0]
    replaced = run("generate", "--like", "base", "--condition", "qed>=0.3", "--name", "replaced", home=tmp_path)
    assert replaced.exit_code == 0, replaced.output
    with RunStore(tmp_path / "runs.sqlite") as store:
        base, same_record = store.run("base"), store.run("same")
        for key in ("conditions", "profile", "seed", "n_requested", "checkpoint"):
            assert same_record[key] == base[key], key
        assert same_record["params"]["sample_options"] == base["params"]["sample_options"] == \
            {"strategy": "sample", "temperature": 0.9, "top_k": 0, "top_p": 1.0}   # its defaults pinned with it
        assert _ranked(store, "same") == _ranked(store, "base")
        varied_record = store.run("varied")
        assert varied_record["seed"] == 4 and varied_record["n_requested"] == 5
        assert varied_record["params"]["max_samples"] == 100   # 20 x the new n, not the run's budget for 10
        assert store.run("same-n")["params"]["max_samples"] == base["params"]["max_samples"]   # n as it was
        assert varied_record["params"]["chunk_size"] == base["params"]["chunk_size"]
        assert varied_record["params"]["sample_options"] == {"strategy": "sample", "temperature": 0.9, "top_k": 20,
                                                             "top_p": 1.0}
        assert varied_record["profile"]["name"] == "lead-like" and varied_record["conditions"] == base["conditions"]
        # a condition flag replaces the run's conditions as a whole: the avoided group goes with mw
        conditions = store.run("replaced")["conditions"]
        assert conditions["ranges"] == {"qed": [0.3, None]} and conditions["avoid"] == []


def test_generate_like_an_export_manifest_repeats_the_run_in_another_store(tiny_checkpoint, tmp_path):
    import json

    from molgen.models.base import shipped_checkpoints
    from molgen.runs.settings import run_record

    first = run("generate", "--model", tiny_checkpoint, "-n", 8, "--condition", "mw<=450", "--seed", 3,
                "--temperature", 0.9, "--name", "base", home=tmp_path / "a")
    assert first.exit_code == 0, first.output
    exported = tmp_path / "base.csv"
    assert run("export", "base", "-o", exported, home=tmp_path / "a").exit_code == 0
    manifest = tmp_path / "base.csv.manifest.json"
    again = run("generate", "--like", manifest, "--name", "again", home=tmp_path / "b")   # a fresh store
    assert again.exit_code == 0, again.output
    assert "(base), unchanged:" in " ".join(again.output.split())
    with RunStore(tmp_path / "a" / "runs.sqlite") as a, RunStore(tmp_path / "b" / "runs.sqlite") as b:
        assert _ranked(b, "again") == _ranked(a, "base") and len(_ranked(a, "base")) >= 8
        assert b.run("again")["params"] == a.run("base")["params"]
    # the exported table itself, or a manifest that holds no run, says what to give
    table = run("generate", "--like", exported, home=tmp_path / "b")
    assert table.exit_code != 0 and "give a run's id or name, or its export's manifest (base.csv.manifest.json)" in \
        " ".join(table.output.split())
    scored = tmp_path / "scored.csv.manifest.json"
    scored.write_text(json.dumps({"score": {}}))
    refused = run("generate", "--like", scored, home=tmp_path / "b")
    assert refused.exit_code != 0 and "not the manifest of a run's export" in " ".join(refused.output.split())
    # a run from another machine that sampled a shipped checkpoint finds this install's copy by name and sha256
    shipped = shipped_checkpoints()["smiles-lm-lstm"]
    record = json.loads(manifest.read_text())
    record["run"].update(checkpoint="/elsewhere/molgen/pretrained/smiles-lm-lstm.pt",
                         checkpoint_sha256=file_sha256(shipped))
    moved = tmp_path / "moved.csv.manifest.json"
    moved.write_text(json.dumps(record))
    assert run_record(str(moved))["checkpoint"] == str(shipped)
    record["run"]["checkpoint"] = "C:\\Users\\me\\molgen\\pretrained\\smiles-lm-lstm.pt"   # written on Windows
    moved.write_text(json.dumps(record))
    assert run_record(str(moved))["checkpoint"] == str(shipped)
    record["run"].update(checkpoint="/elsewhere/molgen/pretrained/smiles-lm-lstm.pt", checkpoint_sha256="0" * 64)
    moved.write_text(json.dumps(record))   # another version's weights: not taken for these
    assert run_record(str(moved))["checkpoint"] == "/elsewhere/molgen/pretrained/smiles-lm-lstm.pt"


def test_a_run_whose_budget_was_raised_on_a_resume_is_repeated_from_its_manifest(tiny_checkpoint, tmp_path):
    """The first budget cut a chunk short (30 of 40 ask for chunks of 20 and 10); a run started with the raised one
    would have sampled 20 and 20. The record keeps the sizes so far, and --like (or run_settings) samples them again
    (a review: a resumed run's manifest repeated 32 of its 81 molecules)."""
    home = tmp_path / "a"
    with RunStore(home / "runs.sqlite") as store:
        first = generate(str(tiny_checkpoint), 40, seed=2, chunk_size=20, max_samples=30, store=store, progress=False,
                         name="raised")
        assert store.chunks(first.id)["size"].tolist() == [20, 10]
    assert run("generate", "--resume", "raised", "--max-samples", 90, home=home).exit_code in (0, 1)
    with RunStore(home / "runs.sqlite") as store:
        sizes = store.chunks(store.run("raised")["id"])["size"].tolist()
        assert sizes[:2] == [20, 10] and sum(sizes) > 30
        assert store.run("raised")["params"]["chunk_plan"] == [20, 10]
        assert run_settings("raised", store=store)["chunk_plan"] == [20, 10]
    assert run("export", "raised", "--include-unranked", "-o", tmp_path / "raised.csv", home=home).exit_code == 0
    again = run("generate", "--like", tmp_path / "raised.csv.manifest.json", "--name", "again", home=tmp_path / "b")
    assert again.exit_code in (0, 1), again.output
    with RunStore(home / "runs.sqlite") as a, RunStore(tmp_path / "b" / "runs.sqlite") as b:
        assert b.chunks(b.run("again")["id"])["size"].tolist() == sizes
        assert sorted(b.candidates("again")["smiles"]) == sorted(a.candidates("raised")["smiles"])
        assert _ranked(b, "again") == _ranked(a, "raised")
    # another n is another run: the plan made for the first n is left out, and said; the run's own n keeps it
    other = run("generate", "--like", "raised", "-n", 5, "--name", "fewer", home=home)
    assert other.exit_code == 0 and "chunks are sized afresh for the new n" in " ".join(other.output.split()), other.output
    same = run("generate", "--like", "raised", "-n", 40, "--name", "same-n", home=home)
    assert same.exit_code in (0, 1) and "sized afresh" not in same.output, same.output
    with RunStore(home / "runs.sqlite") as store:
        assert "chunk_plan" not in store.run("fewer")["params"]
        assert store.run("same-n")["params"]["chunk_plan"] == [20, 10]
        # exit status 1 above is a budget used up, never a failed run
        assert {store.run(name)["status"] for name in ("raised", "same-n")} <= {"complete", "budget_exhausted"}
    with RunStore(tmp_path / "b" / "runs.sqlite") as store:
        assert store.run("again")["status"] in ("complete", "budget_exhausted")
    # kept only where the old budget was reached (it may have cut a chunk short); a plan's rest is kept on a resume
    from molgen.runs.generate import chunk_plan_kept

    assert chunk_plan_kept({"max_samples": 30}, [20, 10]) == {"chunk_plan": [20, 10]}
    assert chunk_plan_kept({"max_samples": 90}, [20]) == {}   # interrupted before its budget: nothing was cut
    assert chunk_plan_kept({"max_samples": 90, "chunk_plan": [20, 10, 7]}, [20]) == {"chunk_plan": [20, 10, 7]}
    assert chunk_plan_kept({"max_samples": 30, "chunk_plan": [20, 5]}, [20, 5, 5]) == {"chunk_plan": [20, 5, 5]}
    with pytest.raises(ValueError, match="chunk_plan must be a whole number of 1 or more|each size of chunk_plan"):
        generate(str(tiny_checkpoint), 5, chunk_plan=[10, 0], store=RunStore(tmp_path / "c.sqlite"), progress=False)


def test_generate_like_a_missing_run_or_with_resume_is_refused(tiny_checkpoint, tmp_path):
    missing = run("generate", "--like", "nothing-here", home=tmp_path)
    assert missing.exit_code == 2 and "no run 'nothing-here' in the store" in missing.output
    gone = run("generate", "--like", "best.csv.manifest.json", "-n", 2, home=tmp_path)   # a manifest meant: the file
    assert gone.exit_code == 2 and "best.csv.manifest.json: no such manifest file" in " ".join(gone.output.split())
    run("generate", "--model", tiny_checkpoint, "-n", 2, "--name", "base", home=tmp_path)
    both = run("generate", "--like", "base", "--resume", "base", home=tmp_path)
    assert both.exit_code == 2 and "--like cannot change it" in " ".join(both.output.split())


def test_generate_like_a_run_whose_checkpoint_is_gone_takes_another_model(tiny_checkpoint, tmp_path):
    copy = tmp_path / "model.pt"
    shutil.copy(tiny_checkpoint, copy)
    assert run("generate", "--model", copy, "-n", 3, "--seed", 7, "--name", "gone", home=tmp_path).exit_code == 0
    copy.unlink()
    refused = run("generate", "--like", "gone", home=tmp_path)
    assert refused.exit_code == 2 and "is gone; give --model to repeat its other settings" in " ".join(refused.output.split())
    elsewhere = run("generate", "--like", "gone", "--model", tiny_checkpoint, "--name", "elsewhere", home=tmp_path)
    assert elsewhere.exit_code == 0, elsewhere.output
    assert f"changed: model {tiny_checkpoint}" in " ".join(elsewhere.output.split())
    with RunStore(tmp_path / "runs.sqlite") as store:
        record = store.run("elsewhere")
        assert record["seed"] == 7 and record["n_requested"] == 3 and record["checkpoint"] == str(tiny_checkpoint)


def _lstm_bf16_runs() -> bool:
    from molgen.models.smiles_lm.sample import bf16_runs

    return bf16_runs("lstm")


@pytest.mark.skipif(not _lstm_bf16_runs(), reason="this CPU has no bfloat16 support in oneDNN: an LSTM's --bf16 is "
                                                   "refused (tests/models/test_smiles_lm.py checks that refusal)")
def test_generate_like_a_run_can_turn_a_switch_off(tiny_checkpoint, tmp_path):
    """A switch the run was sampled with (--bf16, --projection) has its --no- form for --like to turn it off."""
    assert run("generate", "--model", tiny_checkpoint, "-n", 3, "--bf16", "--name", "half", home=tmp_path).exit_code == 0
    full = run("generate", "--like", "half", "--no-bf16", "--name", "full", home=tmp_path)
    assert full.exit_code == 0, full.output
    assert "changed: --no-bf16:" in " ".join(full.output.split())
    with RunStore(tmp_path / "runs.sqlite") as store:
        assert store.run("half")["params"]["sample_options"]["bf16"] is True
        assert store.run("full")["params"]["sample_options"]["bf16"] is False


def test_generate_like_leaves_out_a_carried_option_that_no_longer_applies(tmp_path):
    """A run sampled at temperature 0.8, repeated with --decoding greedy: the temperature it carried would be
    refused (greedy decoding draws nothing), so it is left out and said; typed together, both are refused."""
    first = run("generate", "--model", "graph-vae", "-n", 2, "--temperature", 0.8, "--decoding", "sampled",
                "--name", "vae", home=tmp_path)
    assert first.exit_code == 0, first.output
    greedy = run("generate", "--like", "vae", "--decoding", "greedy", "--name", "greedy", home=tmp_path)
    assert greedy.exit_code == 0, greedy.output
    assert "left out the run's --temperature 0.8: a temperature applies only to decoding='sampled'" in \
        " ".join(greedy.output.split())
    with RunStore(tmp_path / "runs.sqlite") as store:
        options = store.run("greedy")["params"]["sample_options"]
        assert options["decoding"] == "greedy" and "temperature" not in options
    typed = run("generate", "--like", "vae", "--decoding", "greedy", "--temperature", 0.5, "--name", "typed", home=tmp_path)
    assert typed.exit_code == 2 and "a temperature applies only" in typed.output and "left out" not in typed.output
    # two carried options greedy cannot take: each left out in turn (the second was refused)
    both = run("generate", "--model", "graph-vae", "-n", 2, "--temperature", 0.8, "--decoding", "most-likely",
               "--candidates", 4, "--name", "vae2", home=tmp_path)
    assert both.exit_code == 0, both.output
    again = run("generate", "--like", "vae2", "--decoding", "greedy", "--name", "greedy2", home=tmp_path)
    said = " ".join(again.output.split())
    assert again.exit_code == 0, again.output
    assert "left out the run's --temperature 0.8" in said and "left out the run's --candidates 4" in said
    # a run given no temperature pinned its decoding's defaults: another decoding takes its own, not those (a
    # review: --decoding sampled decoded at most-likely's 0.7, and was told of a --candidates 5 never given)
    plain = run("generate", "--model", "graph-vae", "-n", 2, "--name", "vae3", home=tmp_path)
    sampled = run("generate", "--like", "vae3", "--decoding", "sampled", "--name", "sampled3", home=tmp_path)
    assert plain.exit_code == sampled.exit_code == 0, sampled.output
    assert "left out" not in sampled.output
    # said, since a value typed in the run equal to the default cannot be told from it
    assert "its temperature 0.7 and candidates 5, most-likely's defaults, left for sampled's own" in \
        " ".join(sampled.output.split())
    # a run stored when a reference alone was steered towards is repeated sampling the prior: said (a review)
    bare = run("generate", "--model", "graph-vae", "-n", 2, "--similar-to", "CC(=O)Nc1ccc(O)cc1", "--name", "bare",
               home=tmp_path)
    assert bare.exit_code == 0, bare.output
    with RunStore(tmp_path / "runs.sqlite") as store:
        assert store.run("bare")["native"] == {}   # not steered now
        store.update_run(store.run("bare")["id"], native={"similar_to": "decoding latents around the reference's encoding"})
    again = run("generate", "--like", "bare", "--name", "bare-again", home=tmp_path)
    assert again.exit_code == 0 and "it decoded around its reference, given without a threshold" in \
        " ".join(again.output.split())
    steered = run("generate", "--like", "bare", "--similar-to", "CC(=O)Nc1ccc(O)cc1:0.4", "--name", "steered",
                  home=tmp_path)   # a threshold typed now: steered, and nothing to say
    assert steered.exit_code == 0 and "given without a threshold" not in steered.output
    with RunStore(tmp_path / "runs.sqlite") as store:
        assert store.run("vae3")["params"]["sample_options"] == {"decoding": "most-likely", "temperature": 0.7,
                                                                 "candidates": 5}
        assert store.run("sampled3")["params"]["sample_options"] == {"decoding": "sampled", "temperature": 1.0}


def test_a_stored_profile_a_later_check_refuses_can_be_replaced(tmp_path):
    """From a review: the refusal advised --profile, but --like read the stored profile before the typed one."""
    import pytest

    from molgen.models.base import shipped_checkpoints
    from molgen.runs import RunStore, run_settings
    from molgen.scoring.profiles import ProfileError, load_profile

    with RunStore(tmp_path / "runs.sqlite") as store:
        store.create_run(name="older", model="smiles-lm", checkpoint=str(shipped_checkpoints()["smiles-lm-lstm"]),
                         checkpoint_sha256="0", seed=0, n_requested=5, params={"max_samples": 100, "chunk_size": 50,
                                                                               "sample_options": {}},
                         conditions={}, native={}, versions={},
                         profile={"name": "mine", "components": [{"property": "qed"}, {"property": "qed"}]})
        with pytest.raises(ProfileError, match="molgen generate --like RUN --profile FILE"):
            run_settings("older", store=store)
        assert run_settings("older", store=store, profile=load_profile("drug-like"))["profile"].name == "drug-like"


def test_generate_like_with_another_scaffold_takes_its_default_sampler(tmp_path, monkeypatch):
    """From a review: graph diffusion's default sampler follows the scaffold, but --like carried the run's pinned
    default (ancestral, below 50 steps) to a whole scaffold, which it inpaints valid a quarter of the time."""
    def options(name):
        with RunStore(tmp_path / "runs.sqlite") as store:
            return store.run(name)["params"]["sample_options"]

    common = ("-n", 1, "--max-samples", 4, "--chunk-size", 4)
    assert run("generate", "--model", "graph-diffusion", "--steps", 10, *common, "--name", "plain",
               home=tmp_path).exit_code == 0
    assert options("plain")["sampler"] == "ancestral"   # the default below 50 steps, with no scaffold
    whole = run("generate", "--like", "plain", "--scaffold", "c1ccncc1", "--name", "whole", home=tmp_path)
    assert whole.exit_code == 0, whole.output
    assert "sampler flow, the default for the new scaffold (the run's" in " ".join(whole.output.split())
    assert options("whole")["sampler"] == "flow" and options("whole")["steps"] == 10
    typed = run("generate", "--like", "plain", "--scaffold", "c1ccncc1", "--sampler", "ancestral", "--name", "typed",
                home=tmp_path)
    assert typed.exit_code == 0 and options("typed")["sampler"] == "ancestral" and "default for the new" not in typed.output
    # a sampler the run was given by name stays its own
    assert run("generate", "--model", "graph-diffusion", "--steps", 10, "--sampler", "flow", *common, "--name", "named",
               home=tmp_path).exit_code == 0
    marked = run("generate", "--like", "named", "--scaffold", "*c1ccncc1", "--name", "marked", home=tmp_path)
    assert marked.exit_code == 0 and options("marked")["sampler"] == "flow" and "default for the new" not in marked.output
    # a run with attachment points and the ancestral sampler named keeps it; one stored when that was the default
    # there takes the new scaffold's (a code review: it stayed ancestral, read as chosen by name)
    assert run("generate", "--model", "graph-diffusion", "--steps", 10, "--sampler", "ancestral", "--scaffold",
               "*c1ccncc1", *common, "--name", "older", home=tmp_path).exit_code == 0
    import molgen.cli

    monkeypatch.setattr(molgen.cli, "ANCESTRAL_AT_MARKS_UNTIL", float("-inf"))   # stored after the change
    kept = run("generate", "--like", "older", "--scaffold", "c1ccncc1", "--name", "kept", home=tmp_path)
    assert kept.exit_code == 0 and options("kept")["sampler"] == "ancestral"
    monkeypatch.setattr(molgen.cli, "ANCESTRAL_AT_MARKS_UNTIL", float("inf"))   # as if stored before the change
    whole_again = run("generate", "--like", "older", "--scaffold", "c1ccncc1", "--name", "whole-again", home=tmp_path)
    assert whole_again.exit_code == 0 and options("whole-again")["sampler"] == "flow"
    assert "sampler flow, the default for the new scaffold" in " ".join(whole_again.output.split())
    # and from its export's manifest, whose time is written as text (a review: a TypeError)
    assert run("export", "older", "-o", str(tmp_path / "older.csv"), home=tmp_path).exit_code == 0
    manifest = run("generate", "--like", str(tmp_path / "older.csv.manifest.json"), "--scaffold", "c1ccncc1",
                   "--name", "from-manifest", home=tmp_path)
    assert manifest.exit_code == 0 and options("from-manifest")["sampler"] == "flow", manifest.output
    # and so does a step count across the line: 60 steps take the chain, the default there
    longer = run("generate", "--like", "plain", "--steps", 60, "--name", "longer", home=tmp_path)
    assert longer.exit_code == 0 and "sampler flow, the default for the new steps" in " ".join(longer.output.split())
    assert options("longer")["sampler"] == "flow" and options("longer")["steps"] == 60


def test_a_run_under_an_older_shipped_profile_is_repeated_with_it_and_not_passed_off_as_the_shipped_one(
        tiny_checkpoint, tmp_path):
    """A review: drug-like gained a hard filter (halogen donors); a run scored by the drug-like before it, repeated
    with --like or filled into the Generate form, recorded its profile as "drug-like" and Compare showed both runs'
    profiles as one."""
    from molgen.scoring.profiles import mark_stored, stored_profile_label

    older = load_profile("drug-like")   # as an older molgen shipped it
    older.alerts = [name for name in older.alerts if name != "halogen_donors"]
    older.hard_filters = [name for name in older.hard_filters if name != "halogen_donors"]
    mark_stored(older)   # recorded as an older molgen recorded it, "drug-like" (an edit made now is marked edited)
    with RunStore(tmp_path / "runs.sqlite") as store:
        generate(str(tiny_checkpoint), 3, profile=older, seed=1, store=store, progress=False, name="older")
        generate(str(tiny_checkpoint), 3, profile="drug-like", seed=1, store=store, progress=False, name="now")
        stored = store.run("older")["profile"]
        assert stored["name"] == "drug-like"
        assert stored_profile_label(stored).startswith("drug-like (not as shipped now, ")
        assert stored_profile_label(store.run("now")["profile"]) == "drug-like"
        reworded = {**store.run("now")["profile"], "description": "the shipped drug-like, its wording changed"}
        assert stored_profile_label(reworded) == "drug-like"   # a description is no other profile
        settings = run_settings("older", store=store)
        assert settings["profile"].hard_filters == older.hard_filters   # the run's own profile, repeated
        assert settings["profile"].name == stored_profile_label(stored)   # recorded as Compare shows it
        assert run_settings("now", store=store)["profile"].name == "drug-like"
    again = run("generate", "--like", "older", "--name", "again", home=tmp_path)
    assert again.exit_code == 0, again.output
    said = " ".join(again.output.split())
    assert "its profile, named drug-like, is not the drug-like this molgen ships" in said and "--profile drug-like" in said
    assert "not the drug-like this molgen ships" not in " ".join(
        run("generate", "--like", "now", "--name", "again-now", home=tmp_path).output.split())
    with RunStore(tmp_path / "runs.sqlite") as store:
        assert store.run("again")["profile"]["name"] == stored_profile_label(store.run("older")["profile"])
        listed = store.runs().set_index("name")["profile"]
        assert listed["older"] == listed["again"] == stored_profile_label(stored) and listed["now"] == "drug-like"
        # a record edited by hand into a profile no check reads lists under its name, not as a crash of the list
        import json

        store._db.execute("UPDATE runs SET profile = ? WHERE name = 'now'", (json.dumps({"name": "drug-like",
                                                                                           "rules": "abc"}),))
        assert store.runs().set_index("name")["profile"]["now"] == "drug-like (not as shipped now)"


def test_generate_like_with_another_family_says_only_options_the_run_chose(tiny_checkpoint, tmp_path):
    """A review: a SMILES run pins its defaults, so --like RUN --model graph-vae said its options were left out
    though none was chosen."""
    plain = run("generate", "--model", tiny_checkpoint, "-n", 2, "--max-samples", 20, "--name", "plain", home=tmp_path)
    warm = run("generate", "--model", tiny_checkpoint, "-n", 2, "--max-samples", 20, "--temperature", 1.2,
               "--name", "warm", home=tmp_path)
    # (a run that ranks no molecule, as the warm one may in 20 samples of a tiny model, exits 1; both are stored)
    assert plain.exit_code in (0, 1) and warm.exit_code in (0, 1), plain.output + warm.output
    for like, said in (("plain", False), ("warm", True)):
        switched = run("generate", "--like", like, "--model", "graph-vae", "--max-samples", 10, "--name", f"{like}-vae",
                       home=tmp_path)
        assert switched.exit_code == 0, switched.output
        assert ("its smiles-lm sampling options are left out" in " ".join(switched.output.split())) is said
    # a graph VAE run pins its decoding's defaults: no choice either
    vae = run("generate", "--model", "graph-vae", "-n", 2, "--max-samples", 10, "--name", "vae", home=tmp_path)
    assert vae.exit_code == 0, vae.output
    back = run("generate", "--like", "vae", "--model", tiny_checkpoint, "--max-samples", 10, "--name", "vae-lm",
               home=tmp_path)
    assert back.exit_code == 0 and "sampling options are left out" not in " ".join(back.output.split()), back.output
