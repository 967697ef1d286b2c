"""Resuming a training run, in every family: an interrupted run resumed ends where an uninterrupted one does; a
best checkpoint is not paired with a later step's state; a model continued on other data records what it started
from."""

from __future__ import annotations

import copy
import os
import signal
from pathlib import Path

import pytest
import torch

from molgen.data.registry import load_smiles
from molgen.models.base import CheckpointError


#: A fine-tune's card measures this many samples here (1,000 for a chemist): a tiny graph diffusion model samples
#: 1,000 molecules in about 40 s, and these tests fine-tune a dozen times; what is measured is the same at any count.
CARD_SAMPLES = 100


@pytest.fixture(autouse=True)
def _fewer_card_samples(monkeypatch):
    from molgen import cli

    monkeypatch.setattr(cli, "FINE_TUNE_SAMPLES", CARD_SAMPLES)


def _smiles_lm(smiles):
    from molgen.data.tokenizer import SmilesVocabulary
    from molgen.models.smiles_lm.config import SmilesLMConfig, TrainConfig
    from molgen.models.smiles_lm.model import SmilesLM
    from molgen.models.smiles_lm.train import train

    vocabulary = SmilesVocabulary.from_smiles(smiles)
    # two layers: dropout acts between them (a review: with one it drew nothing, and the test passed without the fix)
    model = SmilesLM(SmilesLMConfig(arch="lstm", vocab_size=len(vocabulary), embed_dim=16, hidden_dim=32, lstm_layers=2,
                                    dropout=0.2, max_len=100), vocabulary)
    # randomized spellings: RDKit draws them, from the run's seed and step
    return model, TrainConfig(batch_size=16, max_steps=6, eval_every=3, warmup_steps=1, randomize_smiles=True), train


def _graph_vae(smiles):
    from molgen.models.graph_vae.config import TrainConfig
    from molgen.models.graph_vae.train import build_model, train

    model, _ = build_model(smiles, latent_dim=8, hidden_dim=16, encoder_layers=1)
    return model, TrainConfig(batch_size=16, max_steps=6, eval_every=3, warmup_steps=1, kl_warmup_steps=2), train


def _graph_diffusion(smiles):
    from molgen.models.graph_diffusion.config import TrainConfig
    from molgen.models.graph_diffusion.train import build_model, train

    model, _ = build_model(smiles, hidden_dim=16, edge_dim=4, heads=2, layers=1, timesteps=20)
    return model, TrainConfig(batch_size=16, max_steps=6, eval_every=3, warmup_steps=1), train


@pytest.mark.parametrize("family", [_smiles_lm, _graph_vae, _graph_diffusion])
def test_an_interrupted_run_resumed_ends_with_the_weights_of_an_uninterrupted_one(family, tmp_path, monkeypatch):
    """A resumed run reseeded its random generators (the diffusion noise, the VAE's latent draws, dropout, RDKit's
    random spellings) from the run's seed: its steps after the resume drew other numbers than the run would have.
    The resume state now carries them."""
    smiles = load_smiles("moses-sample", "train")[:120]
    torch.manual_seed(0)
    fresh, config, train = family(smiles)
    whole, interrupted = copy.deepcopy(fresh), copy.deepcopy(fresh)
    torch.manual_seed(1)   # what the run draws from torch's own generator is the run's, whatever came before
    train(whole, smiles[:100], smiles[100:], config, tmp_path / "whole.pt", progress=False)

    clip, calls = torch.nn.utils.clip_grad_norm_, {"n": 0}

    def ctrl_c_at_the_third_step(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            os.kill(os.getpid(), signal.SIGINT)   # the loop finishes this step, validates and checkpoints it
        return clip(*args, **kwargs)

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", ctrl_c_at_the_third_step)
    torch.manual_seed(1)
    with pytest.raises(KeyboardInterrupt):
        train(interrupted, smiles[:100], smiles[100:], config, tmp_path / "cut.pt", progress=False)
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", clip)
    # the best checkpoint's card says the run did not end its schedule, and what resumes it (a review: it read as
    # a finished run's)
    from molgen.models.training import read_card

    end = read_card(tmp_path / "cut.pt")["training"]["run_end"]
    assert (end["state"], end["at_step"], end["max_steps"]) == ("interrupted", 3, 6)
    assert end["resume_with"] == str(tmp_path / "cut.last.pt")
    torch.manual_seed(123)   # another process, another state: the resume state puts the run's back
    resumed = copy.deepcopy(fresh)
    train(resumed, smiles[:100], smiles[100:], config, tmp_path / "cut.pt", progress=False,
          resume=tmp_path / "cut.last.pt")
    for name in ("cut.pt", "whole.pt"):
        end = read_card(tmp_path / name)["training"]["run_end"]
        assert (end["state"], end["at_step"]) == ("finished", 6) and "resume_with" not in end
    from molgen.models.base import load

    ends = [load(str(tmp_path / name)) for name in ("whole.last.pt", "cut.last.pt")]
    weights = [dict(getattr(end, "network", end).state_dict()) for end in ends]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert sum(1 for _ in (tmp_path / "cut.csv").open()) == sum(1 for _ in (tmp_path / "whole.csv").open())


def test_a_run_stopped_in_its_last_step_is_recorded_as_finished(tmp_path, monkeypatch):
    """A Ctrl-C in the last step lets it finish, validated and checkpointed: the run ended its schedule, and its card
    says so (a review: it said "interrupted", and `train ship` then offered a --resume that is refused)."""
    from molgen.models.training import read_card

    smiles = load_smiles("moses-sample", "train")[:120]
    torch.manual_seed(0)
    model, config, train = _graph_vae(smiles)
    clip, calls = torch.nn.utils.clip_grad_norm_, {"n": 0}

    def ctrl_c_in_the_last_step(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == config.max_steps:
            os.kill(os.getpid(), signal.SIGINT)
        return clip(*args, **kwargs)

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", ctrl_c_in_the_last_step)
    with pytest.raises(KeyboardInterrupt):
        train(model, smiles[:100], smiles[100:], config, tmp_path / "v.pt", progress=False)
    end = read_card(tmp_path / "v.pt")["training"]["run_end"]
    assert (end["state"], end["at_step"]) == ("finished", config.max_steps) and "resume_with" not in end


def test_the_best_checkpoint_is_not_resumed_with_a_later_steps_state(tmp_path):
    """RUN.pt (the best, step 3) and RUN.last.pt (step 6) share RUN.state.pt, written at step 6: --resume RUN.pt
    took step 6's optimizer and counters with step 3's weights, training on from a step its weights never saw."""
    from molgen.models.training import load_resume_state, read_resume_state, save_progress

    model = torch.nn.Linear(2, 2)
    model.save = lambda path: torch.save(model.state_dict(), path)
    optimizer = torch.optim.Adam(model.parameters())
    out = tmp_path / "r.pt"
    save_progress(model, out, optimizer, is_best=False, step=3)
    out.write_bytes(out.with_suffix(".last.pt").read_bytes())   # the best checkpoint, at step 3
    assert load_resume_state(out, optimizer, steps=3)["step"] == 3   # the best is the latest: its state is its own
    save_progress(model, out, optimizer, is_best=False, step=6)
    with pytest.raises(CheckpointError, match=r"r\.pt holds the weights of step 3, but the resume state beside it .* "
                                              r"is of step 6: continue the run from its latest step with --resume "
                                              r".*r\.last\.pt"):
        load_resume_state(out, optimizer, steps=3)
    assert read_resume_state(out.with_suffix(".last.pt"), 6)["step"] == 6
    # RUN.last.pt itself of another step than its state (a kill between the two writes): no circular advice
    with pytest.raises(CheckpointError, match=r"r\.last\.pt holds the weights of step 7, but its resume state .* is of "
                                              r"step 6 \(the two were not written together.*\): move .*r\.state\.pt away"):
        read_resume_state(out.with_suffix(".last.pt"), 7)
    assert read_resume_state(tmp_path / "shipped.pt", 9) == {}   # no state: a fresh optimizer and schedule


@pytest.mark.parametrize("family", ["graph-vae", "graph-diffusion"])
def test_a_graph_model_continued_on_other_data_records_the_checkpoint_it_started_from(family, tmp_path):
    """A graph family fine-tunes by --resume CHECKPOINT --data SERIES; its card named the series alone, so a run of
    the result counted the molecules of the data the checkpoint learned (MOSES) as novel, and no note read it as a
    fine-tune. The checkpoint is its started_from now, as smiles-lm's --from records it."""
    import json

    from molgen.models.training import is_fine_tune
    from molgen.runs.generate import training_molecules
    from tests.test_cli import run

    first = tmp_path / "first.pt"
    made = run("train", family, "--size", "tiny", "--data", "moses-sample", "--max-molecules", "120", "--max-steps", "2",
               "--eval-every", "2", "--out", str(first), "--threads", "1")
    assert made.exit_code == 0, made.output
    series = tmp_path / "series.csv"
    series.write_text("smiles\n" + "\n".join(f"c1ccc(cc1){tail}" for tail in
                                              ("C", "CC", "CCC", "O", "OC", "N", "NC", "Cl", "F", "CO", "CN", "C(C)C")))
    # without --out it would be written over the model it starts from (its card records that model's sha256)
    before = first.read_bytes()
    kept = run("train", family, "--resume", str(first.with_suffix(".last.pt")), "--data", str(series), "--max-steps", "4",
               "--threads", "1")
    assert kept.exit_code == 2 and "give it a name of its own (--out" in \
        " ".join(kept.output.split())
    assert first.read_bytes() == before
    tuned = tmp_path / "tuned.pt"
    again = run("train", family, "--resume", str(first), "--data", str(series), "--max-steps", "3", "--eval-every", "3",
                "--out", str(tuned), "--threads", "1")
    assert again.exit_code == 0, again.output
    record = json.loads(tuned.with_suffix(".json").read_text())["training"]
    parent = record["started_from"]
    assert parent["data"] == "moses-sample" and parent["checkpoint"] == str(first.resolve())
    assert parent["steps"] == 2 and len(parent["sha256"]) == 64
    assert record["valid_molecules"] >= 1 and is_fine_tune(record)
    # its own schedule: steps, epochs and clock count the fine-tune alone (the parent's ran on, counted twice)
    logged = [line.split(",")[0] for line in tuned.with_suffix(".csv").read_text().split()[1:]]
    assert record["steps"] == 3 and logged == ["0", "3"]   # step 0: the parent scored on the series
    learned = training_molecules(record)
    assert learned is not None and set(load_smiles("moses-sample", "train")) <= learned
    # resumed on its own series, the fine-tune keeps its parent
    resumed = run("train", family, "--resume", str(tuned.with_suffix(".last.pt")), "--max-steps", "6", "--threads", "1")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(tuned.with_suffix(".json").read_text())["training"]["started_from"]["sha256"] == parent["sha256"]
    # a file moved is other data, by its name: a fine-tune, refused under the run's own name (a guess that a file of
    # the same name was the run's continued an unrelated series over the run, two reviews found)
    moved = tmp_path / "moved"
    moved.mkdir()
    series.rename(moved / series.name)
    onwards = run("train", family, "--resume", str(tuned.with_suffix(".last.pt")), "--data", str(moved / series.name),
                  "--max-steps", "9", "--threads", "1")
    assert onwards.exit_code == 2 and "a fine-tune of it" in onwards.output
    gone = run("train", family, "--resume", str(tuned.with_suffix(".last.pt")), "--max-steps", "9", "--threads", "1")
    assert gone.exit_code == 2 and "put it back there to continue the run" in " ".join(gone.output.split())
    # a copy under another name is other data: a fine-tune under a name of its own, whose parent learned the very
    # same molecules (novelty counts them once, and known though the parent's path is gone)
    copy = tmp_path / "copy.csv"
    copy.write_text((moved / series.name).read_text())
    again = run("train", family, "--resume", str(tuned.with_suffix(".last.pt")), "--data", str(copy), "--max-steps", "3",
                "--eval-every", "3", "--out", str(tmp_path / "copied.pt"), "--threads", "1")
    assert again.exit_code == 0, again.output
    copied = json.loads((tmp_path / "copied.json").read_text())["training"]
    assert copied["started_from"]["checkpoint"] == str(tuned.with_suffix(".last.pt").resolve())
    assert copied["started_from"]["data_fingerprint"] == copied["data_fingerprint"]
    (moved / series.name).unlink()
    assert training_molecules(copied) is not None


def test_a_checkpoint_without_resume_state_continued_records_it_as_its_start(tmp_path):
    """A checkpoint without its resume state (a shipped one; one whose state was moved away) restarts its schedule
    at step 0: the run started from it (its sha256 and steps), not from the checkpoint's own parent, and it is a
    model of its own, refused under the checkpoint's name (a review: it replaced the model it started from, and
    appended its log to the old one)."""
    import json

    from molgen.data.moses import sha256_of
    from molgen.models.training import state_path
    from tests.test_cli import run

    common = ("--data", "moses-sample", "--max-molecules", "100", "--eval-every", "2", "--threads", "1")
    first = tmp_path / "a.pt"
    made = run("train", "smiles-lm", "--size", "tiny", "--max-steps", "4", "--out", str(first), *common)
    assert made.exit_code == 0, made.output
    last = first.with_suffix(".last.pt")
    state_path(last).unlink()
    before = first.read_bytes()
    refused = run("train", "smiles-lm", "--resume", str(last), "--max-steps", "2", *common)
    assert refused.exit_code == 2 and "give it a name of its own (--out" in " ".join(refused.output.split())
    assert first.read_bytes() == before
    again = run("train", "smiles-lm", "--resume", str(last), "--max-steps", "2", "--out", str(tmp_path / "b.pt"), *common)
    assert again.exit_code == 0, again.output
    record = json.loads((tmp_path / "b.json").read_text())["training"]
    assert record["steps"] == 2 and record["started_from"]["sha256"] == sha256_of(last)
    assert record["started_from"]["steps"] == 4 and "started_from" not in record["started_from"]
    assert [line.split(",")[0] for line in (tmp_path / "b.csv").read_text().split()[1:]] == ["0", "2"]   # its own log


def test_a_smiles_model_resumed_on_other_data_is_refused_under_the_runs_own_name(tmp_path, monkeypatch):
    """A --resume on other data is --from's fine-tune; without --out it took the default runs/smiles-lm.pt and
    replaced an unrelated run there (a review): it keeps the resume's own name, refused as the model it starts from."""
    from tests.test_cli import run

    monkeypatch.chdir(tmp_path)
    common = ("--max-steps", "2", "--eval-every", "2", "--threads", "1")
    made = run("train", "smiles-lm", "--size", "tiny", "--data", "moses-sample", "--max-molecules", "60",
               "--out", "runs/a.pt", *common)
    assert made.exit_code == 0, made.output
    other = run("train", "smiles-lm", "--size", "tiny", "--data", "moses-sample", "--max-molecules", "60", *common)
    assert other.exit_code == 0 and (tmp_path / "runs" / "smiles-lm.pt").is_file()
    before = (tmp_path / "runs" / "smiles-lm.pt").read_bytes()
    series = tmp_path / "series.smi"
    series.write_text("".join(f"c1ccc(cc1){tail}\n" for tail in ("C", "CC", "CCC", "O", "OC", "N", "NC", "Cl", "F")))
    sized = run("train", "smiles-lm", "--resume", "runs/a.last.pt", "--data", str(series), "--size", "tiny", *common)
    assert sized.exit_code == 2 and "--size shapes a new model; --resume runs/a.last.pt on other data fine-tunes" in \
        " ".join(sized.output.split())
    for checkpoint in ("runs/a.last.pt", "runs/a.pt"):   # from the best too (a review: it replaced smiles-lm.pt)
        refused = run("train", "smiles-lm", "--resume", checkpoint, "--data", str(series), *common)
        said = " ".join(refused.output.split())
        assert refused.exit_code == 2 and "a fine-tune of it" in said and "give it a name of its own" in said
        assert (tmp_path / "runs" / "smiles-lm.pt").read_bytes() == before


def test_a_fine_tune_stopped_before_its_first_evaluation_does_not_point_to_its_parent(tmp_path, monkeypatch):
    """Ctrl-C advice pointed a graph fine-tune to its parent's resume file, which continues the parent, not it."""
    from molgen.models.graph_vae import train as vae_train
    from tests.test_cli import run

    first = tmp_path / "first.pt"
    made = run("train", "graph-vae", "--size", "tiny", "--data", "moses-sample", "--max-molecules", "120",
               "--max-steps", "2", "--eval-every", "2", "--out", str(first), "--threads", "1")
    assert made.exit_code == 0, made.output
    series = tmp_path / "series.smi"
    series.write_text("".join(f"c1ccc(cc1){tail}\n" for tail in ("C", "CC", "CCC", "O", "OC", "N", "NC", "Cl", "F")))

    def pressed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(vae_train, "train", pressed)
    stopped = run("train", "graph-vae", "--resume", str(first.with_suffix(".last.pt")), "--data", str(series),
                  "--out", str(tmp_path / "tuned.pt"), "--threads", "1")
    said = " ".join(stopped.output.split())
    assert stopped.exit_code == 130 and "nothing to resume: start again" in said and "first.last.pt" not in \
        said.split("a fine-tune of it")[-1]


def test_a_run_on_salts_whose_molecules_changed_names_the_counter_ion_rule_among_the_causes(tmp_path):
    """A run prepared before salts were read by their drug reads other parents now; the refusal named only the
    subset, split and seed."""
    from tests.test_cli import run

    series = tmp_path / "series.smi"
    series.write_text("".join(f"c1ccc(cc1){tail}\n" for tail in ("C", "CC", "CCC", "O", "OC", "N", "NC", "Cl", "F"))
                      + "CCCCN.Cl\n")
    out = tmp_path / "s.pt"
    made = run("train", "smiles-lm", "--size", "tiny", "--data", str(series), "--max-steps", "2", "--eval-every", "2",
               "--out", str(out), "--threads", "1")
    assert made.exit_code == 0, made.output
    with series.open("a") as handle:   # the file read otherwise now (as a new parent rule would read it)
        handle.write("c1ccc(cc1)CO\n")
    refused = run("train", "smiles-lm", "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "4")
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "the training molecules differ" in said and "sets a known counter-ion aside" in said


@pytest.mark.parametrize("family", ["graph-vae", "graph-diffusion"])
def test_a_graph_fine_tune_resumed_by_the_command_it_printed_reads_its_series_as_it_did(family, tmp_path):
    """Without --data, a resumed fine-tune read its series without its model's vocabulary: the rows it had left out
    (an element the model never saw) came back, and the printed resume command was refused for other molecules.
    A fine-tune also took a from-scratch schedule: 100,000 steps and, for the VAE, a KL weight of 1 warmed up from 0."""
    import json

    from tests.test_cli import run

    first = tmp_path / "first.pt"
    made = run("train", family, "--size", "tiny", "--data", "moses-sample", "--max-molecules", "120",
               "--max-steps", "2", "--eval-every", "2", "--out", str(first), "--threads", "1",
               *(["--kl-weight", "0.2"] if family == "graph-vae" else []))
    assert made.exit_code == 0, made.output
    series = tmp_path / "series.smi"
    series.write_text("".join(f"c1ccc(cc1){tail}\n" for tail in ("C", "CC", "CCC", "O", "OC", "N", "NC", "Cl", "F",
                                                                 "CO", "CN", "CCl"))
                      + "C[Si](C)(C)c1ccccc1\n")   # an element no MOSES model writes: left out
    tuned = tmp_path / "tuned.pt"
    tuning = run("train", family, "--resume", str(first.with_suffix(".last.pt")), "--data", str(series),
                 "--out", str(tuned), "--threads", "1", "--max-steps", "2")
    said = " ".join(tuning.output.split())
    assert tuning.exit_code == 0, tuning.output
    assert "atom type Si is not in the vocabulary" in said and "fine-tune settings" in said
    config = json.loads(tuned.with_suffix(".json").read_text())["training"]["train_config"]
    assert config["max_steps"] == 2 and config["eval_every"] == 1   # --max-steps given; validation at a tenth
    # what its samples show, in its card and said, as a SMILES model's fine-tune reports it (none was written)
    metrics = json.loads(tuned.with_suffix(".json").read_text())["metrics"]
    assert metrics["samples"] == CARD_SAMPLES and metrics["held_out"] >= 1 and metrics["new_molecules"] >= 0
    assert metrics["validity_note"] == ("valid by construction: valence-masked decoder" if family == "graph-vae" else
                                        "atoms and bonds not corrected; disconnected pieces dropped (the largest kept, "
                                        "as DiGress counts)")
    assert f"{CARD_SAMPLES:,} samples (seed 0" + {"graph-diffusion": ", steps ",   # the VAE's drawn as its card says
                                                  "graph-vae": ", decoding most-likely, latents from N(0, I))"}[family] in said
    assert f"{metrics['valid']:.0%} valid, {metrics['distinct_valid']:,} distinct" in said
    if family == "graph-vae":
        assert config["kl_weight"] == 0.2 and config["kl_warmup_steps"] == 0 and config["lr"] == 3e-4
        assert "carries no aggregate posterior" in said
    resumed = run("train", family, "--resume", str(tuned.with_suffix(".last.pt")), "--max-steps", "3")
    assert resumed.exit_code == 0, resumed.output
    card = json.loads(tuned.with_suffix(".json").read_text())
    # the fine-tune resumed is measured again (its card, rewritten at its best step, had lost the measurement)
    assert card["training"]["steps"] == 3 and card["metrics"]["samples"] == CARD_SAMPLES


def test_a_cut_short_card_and_an_emptied_log_do_not_stop_a_resume(tmp_path):
    from tests.test_cli import run

    out = tmp_path / "run.pt"
    made = run("train", "graph-vae", "--size", "tiny", "--data", "moses-sample", "--max-molecules", "120",
               "--max-steps", "2", "--eval-every", "1", "--out", str(out), "--threads", "1")
    assert made.exit_code == 0, made.output
    out.with_suffix(".json").write_text('{"family": "gra')   # a kill while an older molgen wrote it
    out.with_suffix(".csv").write_text("")                   # a new run under the name, killed before its first row
    resumed = run("train", "graph-vae", "--resume", str(out.with_suffix(".last.pt")), "--max-steps", "3")
    assert resumed.exit_code == 0, resumed.output
    assert out.with_suffix(".csv").read_text().startswith("step,")
    import json

    assert json.loads(out.with_suffix(".json").read_text())["training"]["steps"] == 3


def test_an_out_folder_that_cannot_be_written_is_refused_before_the_data_is_read(tmp_path):
    from tests.test_cli import run

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):   # root writes anywhere: /proc then stands in for it
            target = Path("/proc/molgen-test/run.pt")
        else:
            target = locked / "run.pt"
        refused = run("train", "smiles-lm", "--size", "tiny", "--data", "moses-sample", "--max-molecules", "50",
                      "--max-steps", "1", "--out", str(target))
    finally:
        locked.chmod(0o700)
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "cannot be written in" in said and "Traceback" not in said


def test_a_session_that_beat_no_best_reads_past_a_cut_short_card(tmp_path):
    from molgen.cli import _run_training

    out = tmp_path / "run.pt"
    out.write_bytes(b"weights")
    out.with_suffix(".json").write_text('{"family": "gra')
    best = _run_training(lambda: {}, out, lambda training: "")   # no evaluation of the session beat the best
    assert best == out
    out.unlink()
    assert _run_training(lambda: {}, out, lambda training: "") is None


@pytest.mark.parametrize("family", [_smiles_lm, _graph_vae, _graph_diffusion])
def test_a_resumed_run_counts_each_invocations_cpu_time_at_its_own_thread_count(family, tmp_path, monkeypatch):
    """A review: the LSTM's card said 1.87 CPU-hours for 57 minutes on 2 threads and 55 on 1 (2.8): the cumulative
    clock was multiplied by the last invocation's threads. Each invocation now adds its own clock at its threads."""
    import sys

    from molgen.models.training import read_card

    smiles = load_smiles("moses-sample", "train")[:120]
    torch.manual_seed(0)
    model, config, train = family(smiles)
    first = copy.deepcopy(model)
    short = type(config)(**{**config.to_dict(), "max_steps": 3})
    train(first, smiles[:100], smiles[100:], short, tmp_path / "m.pt", progress=False)
    before = read_card(tmp_path / "m.pt")["training"]
    elapsed = torch.load(tmp_path / "m.state.pt", weights_only=False)["elapsed"]
    module = sys.modules[train.__module__]
    given, real = [], module.run_record
    monkeypatch.setattr(module, "run_record", lambda **kw: given.append(kw["clock_start"]) or real(**kw))
    card = train(copy.deepcopy(model), smiles[:100], smiles[100:], config, tmp_path / "m.pt", progress=False,
                 resume=tmp_path / "m.last.pt")
    assert given and set(given) == {(elapsed, before["cpu_hours"])}   # where the first invocation's clock stood
    earlier = (card or read_card(tmp_path / "m.pt"))["training"]["earlier_runs"][-1]
    assert (earlier["until_step"], earlier["threads"], earlier["cpu_hours"]) == (3, before["threads"], before["cpu_hours"])


def test_cpu_hours_add_each_invocation_at_its_threads(monkeypatch):
    from molgen.models.smiles_lm.config import TrainConfig
    from molgen.models.training import resumed_clock, run_record

    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    # 57 minutes on 2 threads (1.9 CPU-hours), then resumed for 55 more on 1
    start = resumed_clock({"elapsed": 57 * 60.0}, {"cpu_hours": 1.9, "threads": 2})
    record = run_record(data="moses", train_smiles=["CCO"], step=10, epochs=1.0, elapsed=112 * 60.0,
                        config=TrainConfig(), command="x", clock_start=start)
    assert record["cpu_hours"] == 2.8167 and record["wall_minutes"] == 112.0   # 1.9 + 55/60, to 4 decimals
    assert resumed_clock({}, {"cpu_hours": 1.9}) == (0.0, 0.0)   # a fine-tune or a fresh run: its own clock
    # a fine-tune of a minute or so is not "0.0 minutes" on its card (a review: the log said 0.02)
    short = run_record(data="moses", train_smiles=["CCO"], step=10, epochs=1.0, elapsed=1.2, config=TrainConfig(),
                       command="x")
    assert short["wall_minutes"] == 0.02
    # a record from before cpu_hours existed: its clock at its threads
    assert resumed_clock({"elapsed": 3600.0}, {"threads": 2}) == (3600.0, 2.0)


def test_a_fine_tunes_parent_carries_its_cards_hand_corrections(tmp_path):
    """A fine-tune of the shipped LSTM named its parent's CPU-hours from the checkpoint's record (1.87, its clock at
    one thread) where the card says 2.82 (each invocation at its own thread count)."""
    import json

    from molgen.models.base import load, shipped_checkpoints
    from molgen.models.training import parent_record, training_of

    shipped = shipped_checkpoints()["smiles-lm-lstm"]
    record = training_of(load(str(shipped)))
    card = json.loads(shipped.with_suffix(".json").read_text())
    assert "cpu_hours" in card["training"]["hand_corrected"] and record["cpu_hours"] != card["training"]["cpu_hours"]
    assert parent_record(shipped, record)["cpu_hours"] == card["training"]["cpu_hours"]
    # a card of another training (the weights trained on since) corrects nothing
    copy = tmp_path / "mine.pt"
    copy.write_bytes(shipped.read_bytes())
    copy.with_suffix(".json").write_text(json.dumps({"training": {**card["training"], "steps": -1}}))
    assert parent_record(copy, record)["cpu_hours"] == record["cpu_hours"]
    # a fine-tune's lineage: the parent whole under started_from, corrected, and no earlier sessions of its own
    # (the parent's sessions were listed as the fine-tune's, at the checkpoint's uncorrected CPU-hours)
    from molgen.models.training import resume_run

    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])
    state, lineage = resume_run(shipped, record, optimizer, data="series.csv", train_smiles=["CCO", "CCN"], fine_tune=True)
    assert state == {} and "earlier_runs" not in lineage
    assert lineage["started_from"]["cpu_hours"] == card["training"]["cpu_hours"]
    assert lineage["started_from"]["earlier_runs"] == card["training"]["earlier_runs"]   # its sessions, kept
    # RUN.last.pt has no card: RUN.pt's corrects it when the latest step was the best one
    from molgen.models.training import card_corrected

    (tmp_path / "run.pt").write_bytes(b"")
    (tmp_path / "run.json").write_text(json.dumps(card))
    assert card_corrected(tmp_path / "run.last.pt", record)["cpu_hours"] == card["training"]["cpu_hours"]


def test_a_checkpoint_damaged_since_its_card_was_written_is_said_at_load(tmp_path):
    """Four bytes of weights zeroed: the checkpoint loaded and sampled without a word (a review)."""
    import shutil
    import warnings

    from molgen.models.base import load, shipped_checkpoints

    shipped = shipped_checkpoints()["smiles-lm-lstm"]
    copy = tmp_path / "lstm.pt"
    shutil.copy(shipped, copy)
    shutil.copy(shipped.with_suffix(".json"), copy.with_suffix(".json"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        load(str(copy))   # as shipped: its card's checksum
    data = bytearray(copy.read_bytes())
    middle = len(data) // 2   # inside a weight tensor, far from the archive's headers
    data[middle:middle + 4] = bytes(4)
    copy.write_bytes(bytes(data))
    from molgen.runs.generate import resolve_checkpoint

    with warnings.catch_warnings(record=True) as caught:   # once a load, not at each peek at its family
        warnings.simplefilter("always")
        resolve_checkpoint(str(copy))
        load(str(copy))
    said = [str(w.message) for w in caught if "its sha256 differs from the one its model card" in str(w.message)]
    assert len(said) == 1 and "saved again without its card" in said[0]


def test_a_cards_command_reads_as_typed_with_the_folder_it_was_typed_in(monkeypatch, tmp_path):
    """A review read `/tmp/x/molgen/cli.py train ...` on a card (the CLI started as python -m molgen.cli), its
    relative paths with no folder to read them from."""
    import sys

    from molgen.models import training

    monkeypatch.setattr(sys, "argv", ["/tmp/x/molgen/cli.py", "train", "smiles-lm", "--data", "my series.smi"])
    assert training.invoked_command() == "molgen train smiles-lm --data 'my series.smi'"
    monkeypatch.setattr(sys, "argv", ["benchmarks/graph_vae_train.py", "--steps", "3"])   # a script: as it was run
    assert training.invoked_command() == "benchmarks/graph_vae_train.py --steps 3"
    monkeypatch.chdir(tmp_path)
    from molgen.models.smiles_lm.config import TrainConfig

    record = training.run_record(data="data.smi", train_smiles=["CCO"], step=3, epochs=1.0, elapsed=60.0,
                                 config=TrainConfig(), command=None)
    assert record["working_directory"] == str(tmp_path) and record["command"].startswith("benchmarks/")
