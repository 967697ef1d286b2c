import pytest
import torch

from molgen.data.tokenizer import SmilesVocabulary
from molgen.models import CheckpointError, Conditions, load
from molgen.models.base import load_checkpoint
from molgen.models.smiles_lm.config import SmilesLMConfig, TrainConfig
from molgen.models.smiles_lm.model import SmilesLM
from molgen.models.smiles_lm.train import learning_rate, train, validation_nll, tokenize_set

TINY = dict(embed_dim=32, hidden_dim=64, lstm_layers=1, d_model=32, n_heads=2, n_layers=2, ff_dim=64, max_len=100)


def tiny(arch, vocabulary, **extra):
    torch.manual_seed(0)
    return SmilesLM(SmilesLMConfig(arch=arch, vocab_size=len(vocabulary), **TINY, **extra), vocabulary)


@pytest.fixture(scope="module")
def vocabulary(sample_smiles):
    return SmilesVocabulary.from_smiles(sample_smiles)


@pytest.fixture(scope="module", params=["lstm", "transformer"])
def trained(request, sample_smiles, vocabulary, tmp_path_factory):
    model = tiny(request.param, vocabulary)
    out = tmp_path_factory.mktemp(request.param) / "model.pt"
    before = validation_nll(model, tokenize_set(sample_smiles[1000:1200], vocabulary, 100))
    card = train(model, sample_smiles[:1000], sample_smiles[1000:1200],
                 TrainConfig(batch_size=64, max_steps=80, eval_every=40, warmup_steps=10, lr=3e-3), out, progress=False)
    return model, out, before, card


def test_loss_falls(trained):
    model, out, before, card = trained
    assert card["training"]["valid_nll_per_token"] < before - 0.5
    log = out.with_suffix(".csv").read_text().splitlines()
    assert log[0].startswith("step,") and len(log) == 3


def test_sampling_is_deterministic_under_a_seed(trained):
    model = trained[0]
    a = [s.smiles for s in model.sample(20, seed=7)]
    b = [s.smiles for s in model.sample(20, seed=7)]
    c = [s.smiles for s in model.sample(20, seed=8)]
    assert a == b and a != c


@pytest.mark.parametrize("options", [{"strategy": "greedy"}, {"temperature": 0.7}, {"top_k": 5}, {"top_p": 0.9},
                                     {"strategy": "beam", "beam_width": 4}, {"batch_size": 7}])
def test_every_strategy_returns_n_strings_with_log_likelihoods(trained, options):
    samples = trained[0].sample(10, seed=1, **options)
    assert len(samples) == 10
    assert all(isinstance(s.smiles, str) and s.log_likelihood <= 0 for s in samples)
    assert all("<" not in s.smiles for s in samples)  # no special token leaks into a string


def test_beam_search_is_ordered_by_normalised_score(trained):
    samples = trained[0].sample(5, strategy="beam", beam_width=5)
    scores = [s.meta["beam_score"] for s in samples]
    assert scores == sorted(scores, reverse=True)


def test_prefix_completion_keeps_the_prefix(trained):
    samples = trained[0].sample(6, seed=3, conditions=Conditions(prefix="c1ccccc1"))
    assert all(s.smiles.startswith("c1ccccc1") for s in samples)


@pytest.mark.parametrize("batch_size", [12, 4])
def test_log_likelihood_matches_a_forward_pass(trained, batch_size):
    """Every row of a batch, though rows leave the batch as they finish at different lengths
    (and, with 4 rows for 12 strings, an LSTM row takes the next string when its own ends)."""
    model = trained[0]
    samples = [s for s in model.sample(12, seed=5, batch_size=batch_size) if not s.meta.get("truncated")]
    assert len({len(s.smiles) for s in samples}) > 3
    for sample in samples:
        ids = torch.tensor([model.vocabulary.encode(sample.smiles)])
        with torch.no_grad():
            logits, _ = model.network.eval()(ids[:, :-1])
        logits[..., [0, 1, 3]] = float("-inf")
        expected = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None]).sum()
        assert sample.log_likelihood == pytest.approx(float(expected), abs=1e-3)


def test_a_draw_follows_the_distribution_and_never_picks_a_masked_token():
    from molgen.models.smiles_lm.sample import _draw

    probs = torch.tensor([0.0, 0.5, 0.0, 0.2, 0.3, 0.0])
    logits = probs.log().expand(40_000, -1)
    generator = torch.Generator().manual_seed(0)
    tokens, logp = _draw(logits, generator, greedy=False, temperature=1.0, top_k=0, top_p=1.0)
    counts = torch.bincount(tokens, minlength=6) / len(tokens)
    assert counts[[0, 2, 5]].sum() == 0
    assert torch.allclose(counts, probs, atol=0.01)
    assert torch.allclose(logp, probs.log()[tokens])
    top1, _ = _draw(logits[:100], generator, greedy=False, temperature=1.0, top_k=1, top_p=1.0)
    assert (top1 == 1).all()


def test_truncated_samples_are_flagged_and_no_molecule(trained):
    """A string cut off at max_len is no molecule the model wrote, though its start may parse (a review: a run at
    max_len 30 ranked 11 of them): its SMILES is empty, the cut-off text kept in meta."""
    samples = trained[0].sample(8, seed=2, max_len=12)
    assert all(len(trained[0].vocabulary.encode(s.smiles, add_bos_eos=False)) <= 11 for s in samples)
    cut = [s for s in samples if s.meta.get("truncated")]
    assert cut and all(s.smiles == "" and s.meta["unfinished"] and s.meta["max_len"] == 12 for s in cut)


def test_a_prefix_longer_than_max_len_comes_back_truncated(trained):
    samples = trained[0].sample(2, max_len=5, conditions=Conditions(prefix="CCCCCCCC"))
    assert [s.smiles for s in samples] == [""] * 2 and all(s.meta["unfinished"] == "CCCCCCCC" for s in samples)


def test_bf16_lstm_on_a_cpu_without_it_is_a_clear_error(trained, monkeypatch):
    from molgen.models.smiles_lm import sample as sampling
    monkeypatch.setattr(sampling, "bf16_supported", lambda: False)
    model = trained[0]
    if model.config.arch == "lstm":
        with pytest.raises(ValueError, match="bf16 for an LSTM needs a CPU with bfloat16 support"):
            model.sample(4, seed=0, bf16=True)
    else:  # a transformer runs in bfloat16 anywhere
        assert len(model.sample(4, seed=0, bf16=True)) == 4


def test_bf16_training_of_an_lstm_without_support_exits_with_the_reason(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from molgen.cli import app
    from molgen.models.smiles_lm import sample as sampling

    monkeypatch.setattr(sampling, "bf16_supported", lambda: False)
    result = CliRunner().invoke(app, ["train", "smiles-lm", "--data", "moses-sample", "--size", "tiny", "--bf16",
                                      "--max-steps", "5", "--out", str(tmp_path / "x.pt")])
    assert result.exit_code == 2 and "bf16 for an LSTM needs a CPU with bfloat16 support" in result.output
    assert not (tmp_path / "x.pt").exists()


@pytest.mark.skipif(not torch.ops.mkldnn._is_mkldnn_bf16_supported(),
                    reason="this CPU has no bfloat16 support in oneDNN (its LSTM primitive fails)")
def test_bf16_sampling_scores_strings_close_to_float32(trained):
    """Each bfloat16 sample's log-likelihood is near what the float32 model gives the same string."""
    model = trained[0]
    samples = [s for s in model.sample(12, seed=4, batch_size=12, bf16=True) if not s.meta.get("truncated")]
    assert samples and all(s.log_likelihood <= 0 and "<" not in s.smiles for s in samples)
    for sample in samples:
        ids = torch.tensor([model.vocabulary.encode(sample.smiles)])
        with torch.no_grad():
            logits, _ = model.network.eval()(ids[:, :-1])
        logits[..., [0, 1, 3]] = float("-inf")
        exact = float(torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None]).sum())
        assert abs(sample.log_likelihood - exact) <= 0.02 * ids.shape[1] + 0.05, (sample.smiles, sample.log_likelihood, exact)


def test_kv_cache_gives_identical_tokens(sample_smiles, vocabulary, tmp_path):
    model = tiny("transformer", vocabulary)
    train(model, sample_smiles[:500], sample_smiles[500:600], TrainConfig(batch_size=64, max_steps=30, eval_every=30,
          warmup_steps=5, lr=3e-3), tmp_path / "m.pt", progress=False)
    cached = model.sample(16, seed=11, use_cache=True)
    uncached = model.sample(16, seed=11, use_cache=False)
    assert [s.smiles for s in cached] == [s.smiles for s in uncached]
    assert [s.log_likelihood for s in cached] == pytest.approx([s.log_likelihood for s in uncached], abs=1e-4)


def test_checkpoint_round_trip(trained):
    model, out = trained[0], trained[1]
    loaded = load(out)
    assert isinstance(loaded, SmilesLM) and loaded.config == model.config
    assert [s.smiles for s in loaded.sample(5, seed=2)] == [s.smiles for s in model.sample(5, seed=2)]
    card = out.with_suffix(".json").read_text()
    assert '"data_fingerprint"' in card and '"command"' in card


def test_half_precision_checkpoint_is_smaller_and_samples(trained, tmp_path):
    model = trained[0]
    full, half = model.save(tmp_path / "full.pt"), model.save(tmp_path / "half.pt", half=True)
    assert half.stat().st_size < 0.7 * full.stat().st_size
    assert len(SmilesLM.load(half).sample(4, seed=0)) == 4


def test_corrupt_and_foreign_checkpoints_are_clear_errors(trained, tmp_path):
    out = trained[1]
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(out.read_bytes()[: len(out.read_bytes()) // 2])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        SmilesLM.load(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(CheckpointError, match="not a molgen checkpoint"):
        load(foreign)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00" * 100)
    with pytest.raises(CheckpointError):
        load_checkpoint(garbage)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load(tmp_path / "missing.pt")
    # a CSV log, an empty file and a folder given as a checkpoint: said plainly, not as torch's traceback
    log = tmp_path / "log.csv"
    log.write_text("step,valid\n1,2.0\n")
    with pytest.raises(CheckpointError, match=r"not a readable checkpoint \(not a torch file"):
        load(log)
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(CheckpointError, match="an empty file"):
        load(tmp_path / "empty.pt")
    with pytest.raises(CheckpointError, match="is a folder"):
        load(tmp_path)
    # the model card beside a checkpoint, given for it: pointed to the checkpoint
    with pytest.raises(CheckpointError, match=rf"a model card, not a checkpoint; the checkpoint it describes is .*{out.name}"):
        load(out.with_suffix(".json"))


def test_weights_only_loading_refuses_pickled_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("this must never run",))

    path = tmp_path / "evil.pt"
    torch.save({"molgen": 1, "family": "smiles-lm", "payload": Evil()}, path)
    with pytest.raises(CheckpointError, match="not a readable checkpoint .it holds Python objects"):
        load_checkpoint(path)


def test_resume_continues_from_the_last_step(sample_smiles, vocabulary, tmp_path):
    config = TrainConfig(batch_size=64, max_steps=40, eval_every=20, warmup_steps=5, lr=3e-3)
    first = tiny("lstm", vocabulary)
    train(first, sample_smiles[:600], sample_smiles[600:700], TrainConfig(**{**config.to_dict(), "max_steps": 20}), tmp_path / "m.pt",
          progress=False, parent={"checkpoint": "parent.pt", "steps": 7})  # as a fine-tune would start
    resumed = tiny("lstm", vocabulary)
    card = train(resumed, sample_smiles[:600], sample_smiles[600:700], config, tmp_path / "m.pt",
                 resume=tmp_path / "m.last.pt", progress=False)
    assert card["training"]["steps"] == 40
    assert len((tmp_path / "m.csv").read_text().splitlines()) == 4  # header + step 0 (the parent's) + 20 + 40
    # the card names the interrupted invocation too, not only the one that finished the run
    earlier = card["training"]["earlier_runs"]
    assert len(earlier) == 1 and earlier[0]["until_step"] == 20 and earlier[0]["command"]
    started = card["training"]["started_from"]   # resuming keeps the parent, scored on the validation molecules
    assert {k: v for k, v in started.items() if k != "valid_score_at_start"} == {"checkpoint": "parent.pt", "steps": 7}
    assert started["valid_score_at_start"] == float((tmp_path / "m.csv").read_text().splitlines()[1].split(",")[-1])


def test_unknown_targets_and_bad_options_are_refused(trained):
    model = trained[0]
    with pytest.raises(ValueError, match="not conditional"):
        model.sample(2, conditions=Conditions(targets={"qed": 0.8}))
    with pytest.raises(ValueError, match="unknown strategy"):
        model.sample(2, strategy="nucleus")
    with pytest.raises(ValueError, match="temperature"):
        model.sample(2, temperature=0)


def test_conditional_transformer_accepts_any_subset_of_targets(sample_smiles, vocabulary):
    model = tiny("transformer", vocabulary, conditions=["qed", "logp"], condition_mean=[0.6, 2.5], condition_std=[0.15, 1.0])
    assert len(model.sample(3, seed=0, conditions=Conditions(targets={"qed": 0.9}))) == 3
    assert len(model.sample(3, seed=0, conditions=Conditions(targets={"qed": 0.9, "logp": 1.0}))) == 3
    assert len(model.sample(3, seed=0)) == 3
    with pytest.raises(ValueError, match="not on mw"):
        model.sample(1, conditions=Conditions(targets={"mw": 300}))


def test_learning_rate_warms_up_then_decays():
    config = TrainConfig(lr=1e-3, min_lr=1e-4, warmup_steps=10, max_steps=110)
    assert learning_rate(0, config) == pytest.approx(1e-4)
    assert learning_rate(9, config) == pytest.approx(1e-3)
    assert learning_rate(110, config) == pytest.approx(1e-4)
    assert learning_rate(60, config) == pytest.approx(5.5e-4)


def test_the_shipped_default_loads_and_samples_with_a_card():
    import json

    from molgen.models.base import DEFAULT_CHECKPOINTS, PRETRAINED_DIR

    model = load("smiles-lm")
    assert isinstance(model, SmilesLM) and model.config.arch == "lstm"
    samples = model.sample(64, seed=0)
    assert len(samples) == 64
    card = json.loads((PRETRAINED_DIR / DEFAULT_CHECKPOINTS["smiles-lm"]).with_suffix(".json").read_text())
    for key in ("data_fingerprint", "steps", "tokens_seen", "cpu_hours", "command"):
        assert key in card["training"], key
    assert card["metrics"]["valid"] > 0.5  # measured on 30,000 samples; the test only checks it was recorded


def test_property_labels_match_the_scoring_layer_and_are_cached(sample_smiles, monkeypatch):
    import numpy as np
    from rdkit import Chem

    from molgen.models.smiles_lm import labels as labels_module
    from molgen.scoring.properties import compute_properties

    smiles = sample_smiles[:50] + ["C1CC"]
    names = ["qed", "sa", "logp", "mw", "tpsa"]
    labels = labels_module.property_labels(smiles, names, n_jobs=1, progress=False)
    expected = [compute_properties(Chem.MolFromSmiles(s), names) for s in smiles[:50]]
    np.testing.assert_allclose(labels[:50], [[e[n] for n in names] for e in expected], rtol=1e-6)
    assert np.isnan(labels[50]).all()  # an unparsable training string: every target absent
    monkeypatch.setattr(labels_module, "_label_chunk", lambda args: (_ for _ in ()).throw(AssertionError("recomputed")))
    np.testing.assert_array_equal(labels_module.property_labels(smiles, names, n_jobs=1, progress=False), labels)


def test_condition_dropout_hides_targets_at_the_asked_rate(vocabulary):
    import numpy as np

    from molgen.models.training import normalised_conditions

    model = tiny("transformer", vocabulary, conditions=["qed", "logp"], condition_mean=[0.6, 2.5], condition_std=[0.2, 1.0])
    labels = np.tile(np.array([[0.8, 3.5]], dtype=np.float32), (20_000, 1))
    values = normalised_conditions(model, labels, np.arange(20_000), 0.3, torch.Generator().manual_seed(0))
    assert abs(torch.isnan(values).float().mean().item() - 0.3) < 0.01
    present = values[~torch.isnan(values[:, 0]), 0]
    assert torch.allclose(present, torch.tensor(1.0))  # (0.8 - 0.6) / 0.2
    together = normalised_conditions(model, labels, np.arange(20_000), 0.0, torch.Generator().manual_seed(0), drop_all=0.5)
    rows_hidden = torch.isnan(together)
    assert torch.equal(rows_hidden[:, 0], rows_hidden[:, 1])  # all of a row's targets hidden at once, or none
    assert abs(rows_hidden[:, 0].float().mean().item() - 0.5) < 0.015


def test_training_from_the_command_line_is_reproducible_under_its_seed(tmp_path):
    """Two runs with one seed give the same weights (torch seeds its own generator at random in every
    process, so the initial weights must be seeded too); another seed gives others."""
    from typer.testing import CliRunner

    from molgen.cli import app

    def trained(name: str, seed: int) -> dict:
        out = tmp_path / f"{name}.pt"
        result = CliRunner().invoke(app, ["train", "smiles-lm", "--data", "moses-sample", "--size", "tiny", "--max-steps", "3",
                                          "--eval-every", "3", "--max-molecules", "500", "--seed", str(seed),
                                          "--out", str(out), "--threads", "1"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return SmilesLM.load(out).network.state_dict()

    first, again, other = trained("a", 0), trained("b", 0), trained("c", 1)
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)


def test_conditional_training_from_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from molgen.cli import app

    out = tmp_path / "cond.pt"
    result = CliRunner().invoke(app, ["train", "smiles-lm", "--data", "moses-sample", "--arch", "transformer", "--size", "tiny",
                                      "--conditions", "qed,logp", "--max-steps", "30", "--eval-every", "30", "--out", str(out),
                                      "--threads", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    model = SmilesLM.load(out)
    assert model.config.conditions == ["qed", "logp"]
    assert 0.5 < model.config.condition_mean[0] < 0.9 and 1.5 < model.config.condition_mean[1] < 3.5
    tokens = torch.tensor([[model.vocabulary.bos_id] + model.vocabulary.encode("CCO", add_bos_eos=False)])
    low, _ = model.network(tokens, None, model.normalise_targets({"qed": 0.3}, 1))
    high, _ = model.network(tokens, None, model.normalise_targets({"qed": 0.9}, 1))
    assert not torch.allclose(low, high)  # the targets reach the logits
    wrong = CliRunner().invoke(app, ["train", "smiles-lm", "--data", "moses-sample", "--arch", "lstm", "--conditions", "qed",
                                     "--out", str(tmp_path / "x.pt")])
    assert wrong.exit_code == 2 and "conditioning takes the transformer" in wrong.output


def test_a_scaffold_is_written_once_for_each_position_a_group_can_take():
    from rdkit import Chem

    from molgen.models.smiles_lm.scaffold import decoration_prefixes

    indole = Chem.MolFromSmiles("c1ccc2[nH]ccc2c1")
    spellings = decoration_prefixes(indole)
    assert spellings[0] == Chem.MolToSmiles(indole)   # the model's familiar spelling first
    symmetry = list(Chem.CanonicalRankAtoms(indole, breakTies=False))
    landed = set()
    for text in spellings:   # a carbon written after each spelling lands on a distinct atom of the scaffold
        extended = Chem.MolFromSmiles(text + "C")
        match = extended.GetSubstructMatch(indole)
        methyl = next(a.GetIdx() for a in extended.GetAtoms() if a.GetIdx() not in match)
        landed.add(symmetry[match.index(extended.GetAtomWithIdx(methyl).GetNeighbors()[0].GetIdx())])
    assert len(landed) == len(spellings)
    # every position carrying a hydrogen, but the [nH] (written in brackets, it cannot take a group)
    carrying = {symmetry[a.GetIdx()] for a in indole.GetAtoms() if a.GetTotalNumHs() > 0 and a.GetSymbol() == "C"}
    assert landed == carrying and len(carrying) == 6
    quinoline = Chem.MolFromSmiles("c1ccc2ncccc2c1")
    assert len(decoration_prefixes(quinoline)) == 7
    assert decoration_prefixes(Chem.MolFromSmiles("c1ccccc1")) == ["c1ccccc1"]   # six equivalent atoms: one spelling
    assert decoration_prefixes(Chem.MolFromSmiles("C(F)(F)(F)F")) == []          # no hydrogen to replace


def test_prefixes_spread_the_samples_evenly(trained):
    prefixes = Conditions(prefixes=["c1ccccc1", "C1CCCCC1"])
    samples = trained[0].sample(7, seed=3, conditions=prefixes)
    # 7 over 2: the seed picks which prefix takes the odd one (seed 3: the second)
    assert [s.smiles.startswith("c1ccccc1") for s in samples] == [True] * 3 + [False] * 4
    assert all(s.smiles.startswith("C1CCCCC1") for s in samples[3:])
    assert sum(s.smiles.startswith("c1ccccc1") for s in trained[0].sample(7, seed=4, conditions=prefixes)) == 4


def test_a_stereo_scaffold_is_completed_without_its_stereo_by_a_model_that_writes_none(trained):
    from molgen.models.base import Conditions

    model = trained[0]   # trained on the MOSES sample: no @ or / token
    steer, how = model.native_conditions(Conditions(scaffold="C[C@H](N)C(=O)O"))
    assert steer.prefixes and not any("@" in p for p in steer.prefixes)
    assert how["scaffold"].startswith("left-to-right completion of CC(N)C(=O)O, its stereo left unassigned")
    plain_steer, plain_how = model.native_conditions(Conditions(scaffold="CC(N)C(=O)O"))
    assert plain_steer.prefixes == steer.prefixes and "unassigned" not in plain_how["scaffold"]


def test_a_one_sided_bound_is_a_ceiling_not_a_target_at_its_edge():
    from molgen.models.base import Conditions, range_targets

    names, std, mean = ["mw", "logp"], [28.0, 0.93], [307.0, 2.44]
    # MOSES's typical molecule (MW 307) is well under 450: the model is steered there, not to 436
    assert range_targets(Conditions(ranges={"mw": (None, 450.0)}), names, std, mean) == {"mw": 307.0}
    # a bound the typical molecule misses: half a standard deviation inside it
    assert range_targets(Conditions(ranges={"mw": (None, 250.0)}), names, std, mean) == {"mw": 236.0}
    assert range_targets(Conditions(ranges={"logp": (4.0, None)}), names, std, mean) == pytest.approx({"logp": 4.465})
    assert range_targets(Conditions(ranges={"logp": (1.0, None)}), names, std, mean) == {"logp": 2.44}
    assert range_targets(Conditions(ranges={"logp": (2.0, 4.0)}), names, std, mean) == {"logp": 3.0}   # the middle
    # no training statistics (an old caller): half a standard deviation inside, as before
    assert range_targets(Conditions(ranges={"mw": (None, 450.0)}), names, std) == {"mw": 436.0}
    # and where each target came from, said beside it ("target 307" alone read as a wish the chemist never made)
    from molgen.models.base import range_target_basis

    assert range_target_basis(None, 450.0, 307.0, 307.0) == "the training molecules' mean, inside the bound"
    assert range_target_basis(None, 250.0, 236.0, 307.0) == "half a training standard deviation inside the bound"
    assert range_target_basis(2.0, 4.0, 3.0, 2.44) == "the range's middle"


def test_an_attachment_point_puts_the_new_group_there_only(trained):
    from rdkit import Chem

    from molgen.models.base import Conditions
    from molgen.models.smiles_lm.scaffold import AttachmentError, attachment_point
    from molgen.runs.conditions import ConditionFilter

    # the fluoxetine core, its aryl ring to be decorated para to the ether, its N-methyl amine kept
    written = "CNCCC(Oc1ccc(*)cc1)c1ccccc1"
    core, anchor = attachment_point(Chem.MolFromSmiles(written))
    assert Chem.MolToSmiles(core) == Chem.MolToSmiles(Chem.MolFromSmiles("CNCCC(Oc1ccccc1)c1ccccc1"))
    assert core.GetAtomWithIdx(anchor).GetSymbol() == "C" and core.GetAtomWithIdx(anchor).GetIsAromatic()
    steer, how = trained[0].native_conditions(Conditions(scaffold=written))
    assert how["scaffold"] == (f"left-to-right completion of {written}, the new group started at the attachment point "
                               "(*); a second group the model writes on that atom is refused by the filter")
    for text in steer.prefixes:   # every spelling ends at the marked carbon: a methyl written next lands para
        extended = Chem.MolFromSmiles(text + "C")
        assert extended.HasSubstructMatch(Chem.MolFromSmiles("CNCCC(Oc1ccc(C)cc1)c1ccccc1"))
    unmarked, _ = trained[0].native_conditions(Conditions(scaffold="CNCCC(Oc1ccccc1)c1ccccc1"))
    assert len(unmarked.prefixes) > len(steer.prefixes) == 1   # unmarked: the N-methyl and the NH are positions too
    # the filter asks for a group there: the bare core misses, a para-chloro analogue meets it
    check = ConditionFilter(Conditions(scaffold=written))
    assert check.failures(Chem.MolFromSmiles("CNCCC(Oc1ccccc1)c1ccccc1"))
    assert not check.failures(Chem.MolFromSmiles("CNCCC(Oc1ccc(Cl)cc1)c1ccccc1"))
    # two attachment points are more than one completion can fill: left to the filter, said
    with pytest.raises(AttachmentError, match="2 attachment points"):
        attachment_point(Chem.MolFromSmiles("*c1ccc(*)cc1"))
    assert trained[0].native_conditions(Conditions(scaffold="*c1ccc(*)cc1")) == (Conditions(), {})
    assert attachment_point(Chem.MolFromSmiles("c1ccccc1")) is None
    # a mark on an aromatic N: no spelling ending in [nH] takes a group, so the filter alone (it raised
    # RDKit's KekulizeException, and the command line printed only RDKit's line)
    with pytest.raises(AttachmentError, match="without its attachment point is no molecule"):
        attachment_point(Chem.MolFromSmiles("*n1ccnc1"))
    assert trained[0].native_conditions(Conditions(scaffold="*n1ccnc1")) == (Conditions(), {})


def test_an_attachment_point_is_completed_from_the_spelling_the_model_reads_best():
    """From a chemist's review: a ring carbon marked * was written `n1c(...)nccc1`, a start the shipped LSTM
    reads as a pyrimidinone's, and 1,982 of 1,986 completions wrote `=O` there (0.2% valid); the bare scaffold,
    ended at once, was the rest."""
    from rdkit import Chem

    from molgen.models import load
    from molgen.models.base import Conditions
    from molgen.models.smiles_lm.scaffold import attachment_point, decoration_spellings
    from molgen.runs.conditions import ConditionFilter

    written = "CN1CCN(CC1)c1ccc(Nc2nccc(*)n2)cc1"
    model = load("smiles-lm")
    steer, _ = model.native_conditions(Conditions(scaffold=written))
    assert steer.extend_prefix and len(steer.prefixes) == 1
    core, anchor = attachment_point(Chem.MolFromSmiles(written))
    [candidates] = decoration_spellings(core, {anchor}, per_position=8)
    held = model._trial_completions(candidates, core, {anchor})   # whose trials most often put one group there
    assert len(candidates) > 1 and steer.prefixes[0] in candidates and held[steer.prefixes[0]] == max(held.values())
    samples = model.sample(100, conditions=steer, seed=0)
    mols = [Chem.MolFromSmiles(s.smiles) for s in samples]
    check = ConditionFilter(Conditions(scaffold=written))
    kept = [m for m in mols if m is not None and not check.failures(m)]
    print(f"valid {sum(m is not None for m in mols)}/100, a group at the *: {len(kept)}")
    assert sum(m is not None for m in mols) >= 80 and len(kept) >= 80   # none is the bare scaffold, ended at once


def test_an_attachment_point_with_a_twin_and_two_scaffolds_of_one_spelling_are_each_completed_where_marked():
    """A code review: a trial counted one substructure match, which for a piperazine or a cyclopropane can put the
    anchor on its unsubstituted twin (4 of 100 kept for *N1CCNCC1); and the choice kept per model was keyed by a
    SMILES two atom orders share, so a group asked on a ring CH2 was put on an N-methyl."""
    from rdkit import Chem

    from molgen.models import load
    from molgen.models.base import Conditions
    from molgen.runs.conditions import ConditionFilter

    model = load("smiles-lm")
    for written in ("*N1CCNCC1", "*C1CC1"):
        steer, _ = model.native_conditions(Conditions(scaffold=written))
        mols = [Chem.MolFromSmiles(s.smiles) if s.smiles else None for s in model.sample(100, conditions=steer, seed=1)]
        check = ConditionFilter(Conditions(scaffold=written))
        kept = sum(m is not None and not check.failures(m) for m in mols)
        print(f"{written}: {steer.prefixes}, kept {kept}/100")
        assert kept >= 80, written
    on_methyl, on_ring = "n1c(Nc2ccc(N3CCN(C*)CC3)cc2)nccc1", "n1c(Nc2ccc(N3CCN(C(C3)*)C)cc2)nccc1"
    for written in (on_methyl, on_ring, on_methyl):   # the same model, one after the other
        steer, _ = model.native_conditions(Conditions(scaffold=written))
        completed = Chem.MolFromSmiles(steer.prefixes[0] + "C")
        assert not ConditionFilter(Conditions(scaffold=written)).failures(completed), (written, steer.prefixes)


def test_a_benzimidazoles_c2_is_completed_from_a_spelling_ending_in_a_branch():
    """From a chemist's review: no run of the shipped LSTM put a group on a benzimidazole's C2 (the commonest place in
    drugs): its one spelling ending there, `n1c2ccccc2[nH]c1` (the likeliest), was completed with `=N` (2 valid of
    60), and the run's validity, 58%, was counted against the model."""
    from rdkit import Chem

    from molgen.models import load
    from molgen.models.base import Conditions
    from molgen.models.smiles_lm.scaffold import decoration_spellings

    benzimidazole = Chem.MolFromSmiles("c1ccc2[nH]cnc2c1")
    spellings = decoration_spellings(benzimidazole, per_position=8)
    assert len(spellings) == 5 and all(any(text.endswith(")") for text in found) for found in spellings)
    model = load("smiles-lm")
    steer, how = model.native_conditions(Conditions(scaffold="c1ccc2[nH]cnc2c1"))
    assert len(steer.prefixes) == 5 and "5 distinct positions" in how["scaffold"]
    mols = [Chem.MolFromSmiles(s.smiles) if s.smiles else None for s in model.sample(100, conditions=steer, seed=1)]
    valid = [m for m in mols if m is not None]
    at_c2 = sum(m.HasSubstructMatch(Chem.MolFromSmarts("*!@c1nc2ccccc2n1")) for m in valid)
    print(f"valid {len(valid)}/100, a group at C2: {at_c2}")
    assert len(valid) >= 90 and all(m.HasSubstructMatch(benzimidazole) for m in valid) and at_c2 >= 8


def test_a_scaffold_longer_than_the_model_writes_is_left_to_the_filter():
    """Its spellings were scored by the network anyway: the transformer raised on a sequence past max_len."""
    from molgen.models import load
    from molgen.models.base import Conditions

    model = load("smiles-lm-transformer")
    steer, how = model.native_conditions(Conditions(scaffold="C" * 140 + "O"))
    assert steer.prefixes == [] and "scaffold" not in how


def test_a_fine_tunes_card_counts_the_files_other_rows_as_known():
    """Rows a --where left out are the chemist's molecules: not new, as a run's novelty counts them."""
    from types import SimpleNamespace

    from molgen.models.fine_tune_report import measure_fine_tune

    class Fixed:
        def sample(self, n, seed=None, temperature=1.0):
            written = ["c1ccccc1O", "c1ccccc1N", "c1ccccc1Cl", "CCO", "C1CC"]
            return [SimpleNamespace(smiles=written[i % len(written)]) for i in range(n)]

    plain = measure_fine_tune(Fixed(), ["c1ccccc1O"], ["Nc1ccccc1"], n=10)
    assert (plain["valid"], plain["distinct_valid"], plain["training_copies"]) == (0.8, 4, 0.25)
    assert (plain["held_out_found"], plain["held_out"], plain["new_molecules"]) == (1, 1, 2)
    assert (plain["held_out_members"], plain["held_out_members_found"]) == (["Nc1ccccc1"], ["Nc1ccccc1"])   # named
    assert plain["new_on_series_scaffold"] == 0.5   # the chlorobenzene shares the benzene; ethanol has no ring
    assert plain["series_core"] == {"smiles": "c1ccccc1", "share_of_series": 1.0} and plain["new_with_series_core"] == 0.5
    known = measure_fine_tune(Fixed(), ["c1ccccc1O"], ["Nc1ccccc1"], n=10, known=frozenset({"Clc1ccccc1"}))
    assert known["new_molecules"] == 1 and known["new_on_series_scaffold"] == 0.0
    # a molecule of the data the model started from (MOSES for a shipped one) is no new one either (it was counted)
    before = measure_fine_tune(Fixed(), ["c1ccccc1O"], ["Nc1ccccc1"], n=10, learned_before=frozenset({"CCO"}))
    assert before["new_molecules"] == 1 and before["new_on_series_scaffold"] == 1.0
    # the parent's molecules written back are counted and said beside the series' copies (ethanol: 2 of 8 valid)
    assert (before["training_copies"], before["parent_copies"], plain["parent_copies"]) == (0.25, 0.25, 0.0)
    from molgen.models.fine_tune_report import report_line

    assert "25% of the valid ones copy a training molecule of the series, 25% one of the data of the model it " \
           "started from" in report_line(before)
    assert before["new_means"] == "in neither the series nor the data of the model it started from"
    unread = measure_fine_tune(Fixed(), ["c1ccccc1O"], ["Nc1ccccc1"], n=10, learned_before=None)
    assert unread["new_molecules"] == 2 and "not found here" in unread["new_means"] and unread["parent_copies"] is None


def test_a_run_continued_on_its_own_data_is_no_fine_tune():
    """The shipped transformer's second session on MOSES started from a checkpoint: runs of it were told to fine-tune
    less, and counted 'copies from moses' as if MOSES were a series (and read MOSES for it, minutes)."""
    import json

    from molgen.models.base import PRETRAINED_DIR
    from molgen.models.training import is_fine_tune
    from molgen.runs.generate import copies_of_own_data, model_lineage, series_scaffold_counts

    card = json.loads((PRETRAINED_DIR / "smiles-lm-transformer.json").read_text())["training"]
    assert card["started_from"]["data"] == card["data"] == "moses"
    assert not is_fine_tune(card) and not is_fine_tune(model_lineage(card))
    record = {"model_training": model_lineage(card)}
    assert copies_of_own_data(record, ["CCO"]) is None and series_scaffold_counts(record, ["CCO"]) is None
    assert is_fine_tune({"data": "/series.csv", "started_from": [{"data": "moses"}]})
    assert is_fine_tune({"data": "/series.csv", "started_from": {"data": "moses"}})
    # a second fine-tune on its series, from the first: one too (its nearest parent learned the same file)
    assert is_fine_tune({"data": "/s.csv", "started_from": [{"data": "/s.csv"}, {"data": "moses"}]})
    assert is_fine_tune({"data": "/s.csv", "started_from": {"data": "/s.csv", "started_from": {"data": "moses"}}})


def test_a_benchmark_writes_its_metrics_over_the_cards_others_and_never_a_smaller_measurement(trained, tmp_path, capsys):
    """A review: `smiles_lm_quality.py -n 200` replaced the card's 30,000-sample metrics, dropped another
    benchmark's keys, and the training fields written into the card by hand (a parent's sha256, an earlier run)."""
    import json
    import shutil

    from molgen.models.training import read_card, write_card, write_measured_card

    model, out, _, _ = trained
    shipped = tmp_path / "shipped.pt"
    shutil.copy(out, shipped)
    write_card(model, shipped, metrics={"n": 30_000, "valid": 0.97, "reconstruction": 0.7})
    card = read_card(shipped)
    card["training"]["earlier_runs_note"] = "written by hand"
    card["training"].setdefault("started_from", {})["sha256"] = "abc"
    card["training"].update(cpu_hours=99.0, hand_corrected=["cpu_hours"])   # a value the checkpoint holds wrongly
    shipped.with_suffix(".json").write_text(json.dumps(card))
    assert not write_measured_card(model, shipped, {"n": 200, "valid": 0.5})   # a quick check: refused, and said
    assert "holds a measurement on 30,000 samples, more than these 200" in " ".join(capsys.readouterr().out.split())
    assert read_card(shipped)["metrics"]["valid"] == 0.97
    assert write_measured_card(model, shipped, {"n": 30_000, "valid": 0.98})
    again = read_card(shipped)
    assert again["metrics"] == {"n": 30_000, "valid": 0.98, "reconstruction": 0.7}   # the other benchmark's key stays
    assert again["training"]["earlier_runs_note"] == "written by hand" and again["training"]["started_from"]["sha256"] == "abc"
    assert again["training"]["cpu_hours"] == 99.0
    from molgen.models.training import export_checkpoint   # shipped to a new place, the hand fields go with it

    moved = export_checkpoint(shipped, tmp_path / "moved.pt")
    assert moved["training"]["cpu_hours"] == 99.0 and moved["training"]["earlier_runs_note"] == "written by hand"
    # the card of other weights (another step) keeps none of it
    training = model.training
    model.training = {**training, "steps": training["steps"] + 1}
    try:
        other = write_card(model, shipped, metrics={})
        write_card(model, shipped, metrics={"n": 30_000, "valid": 0.97, "reconstruction": 0.7})
    finally:
        model.training = training   # the module's fixture, shared
    assert "earlier_runs_note" not in other["training"] and other["metrics"] == {}
    assert other["training"]["cpu_hours"] == training["cpu_hours"]
    # nor are another training's metrics kept beside a measurement, or a bar to it
    assert write_measured_card(model, shipped, {"n": 200, "valid": 0.5})
    assert read_card(shipped)["metrics"] == {"n": 200, "valid": 0.5}


def test_a_fine_tunes_new_molecules_holding_the_series_ring_system_are_told_from_those_on_its_scaffolds():
    """From a chemist's review: "3% of them on a ring system of the series" counted whole Murcko scaffolds, where
    19.5% of the new molecules held the series' quinoline."""
    from molgen.models.fine_tune_report import holds_core, ring_systems, series_core

    # hydrogens, charges and exocyclic bonds aside: indole is N-methylindole's ring system, piperidine piperidinone's
    assert set(ring_systems("Cn1ccc2ccccc21")) == set(ring_systems("c1ccc2[nH]ccc2c1"))
    assert set(ring_systems("O=C1CCCCN1")) == set(ring_systems("C1CCNCC1"))
    assert len(ring_systems("c1ccc(cc1)C1CC2(CCNCC2)C1")) == 2   # a spiro system is one, the phenyl another
    quinolines = ["Clc1ccc2ncccc2c1", "Cc1ccc2ncccc2c1-c1ccccc1", "COc1ccc2ncccc2c1C1CCNCC1", "c1ccc2ncccc2c1"]
    core = series_core(quinolines)
    assert (core.smiles, core.share) == ("c1ccc2ncccc2c1", 1.0)   # not the phenyl of one member
    new = ["Brc1ccc2ncccc2c1CC(=O)N1CCOCC1", "c1ccc2c(c1)ccc1ncccc12", "Clc1ccccc1", "CCO"]
    assert holds_core(new, core) == [True, False, False, False]   # a benzoquinoline is a larger system
    indoles = ["Cn1ccc2ccccc21", "CCn1ccc2cc(F)ccc21"]
    assert series_core(indoles).smiles == "c1ccc2[nH]ccc2c1"   # shown as a molecule, its substituents hydrogens
    assert series_core(["CCO", "CCN", "c1ccccc1"]) is None   # a third holds a ring: no common ring system
    # a reference compound beside the series does not make the phenyl every member carries the core (a review)
    quinazolines = [f"COc1cc2ncnc(Nc3ccc({x})cc3)c2cc1O{r}" for x in ("F", "Cl", "Br", "C", "OC", "C#N", "C(F)(F)F")
                    for r in ("C", "CC", "CCC", "CCOC", "CC(C)C", "CCN1CCOCC1", "CCCN1CCOCC1", "C1CC1", "CCO", "CCCF")]
    with_reference = series_core(quinazolines + ["CC(=O)Nc1ccc(O)cc1"])
    assert (with_reference.key, with_reference.share) == (series_core(quinazolines).key, round(70 / 71, 4))
    assert with_reference.smiles == "c1ccc2ncncc2c1"
    # a rival held by fewer than half the compounds is no core, and leaves the commonest one, held by more, as it was
    # (44 phenyls, 40 quinazolines without one: the quinazoline, at 40 >= 0.9 x 44, made the answer None)
    phenyls = [f"c1ccccc1{'C' * i}O" for i in range(1, 45)]
    alkoxy_quinazolines = [f"{'C' * i}Oc1ncnc2ccccc12" for i in range(1, 41)]
    mixed = series_core(phenyls + alkoxy_quinazolines)
    assert (mixed.smiles, mixed.share) == ("c1ccccc1", round(44 / 84, 4))
    # shown as a molecule, its exocyclic C=O, S=O and C=N kept, an N-oxide as one, a charge its substituent made
    # given up (reviews: 4-quinolone read C1=CNc2ccccc2C1, sulfolane C1CC[SH4]C1, N-methylpyridinium c1cc[nH+]cc1)
    assert ring_systems("CN1C=C(C(=O)O)C(=O)c2ccccc21") == {"c1ccc2ncccc2c1": "O=c1cc[nH]c2ccccc12"}
    shown = {smiles: list(ring_systems(smiles).values()) for smiles in (
        "CC1CCS(=O)(=O)C1", "C[n+]1ccccc1", "[O-][n+]1ccccc1C", "C[N+]1(C)CCCC1", "CN=c1n(C)c2ccccc2n1C", "C[c-]1cccc1")}
    assert shown == {"CC1CCS(=O)(=O)C1": ["O=S1(=O)CCCC1"], "C[n+]1ccccc1": ["c1ccncc1"],
                     "[O-][n+]1ccccc1C": ["[O-][n+]1ccccc1"], "C[N+]1(C)CCCC1": ["C1CCNC1"],
                     "CN=c1n(C)c2ccccc2n1C": ["N=c1[nH]c2ccccc2[nH]1"], "C[c-]1cccc1": ["c1cc[cH-]c1"]}
    # a compound counts once however the series' file and its reading spell it (as written, parent, stereo-free),
    # a counter-ion's ring not at all (a review: two chiral indoles among five compounds read as 57% of the series)
    spellings = ["C[C@H](N)c1ccc2[nH]ccc2c1", "CC(N)c1ccc2[nH]ccc2c1", "C[C@@H](N)c1ccc2[nH]ccc2c1.Cc1ccc(S(=O)(=O)O)cc1",
                 "CCO", "CCN", "CCCO"]
    assert series_core(spellings) is None   # the indole in 1 of 4 compounds (its stereo forms and salt are one)
    assert series_core(spellings[:4]).share == 0.5
