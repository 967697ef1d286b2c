"""Graph VAE on the committed sample: masks admit every real molecule, samples are valid by
construction, training lowers the loss, checkpoints round-trip, latent operations work."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from rdkit import Chem

from molgen.data.registry import load_smiles
from molgen.models import CheckpointError, Conditions, load
from molgen.models.graph_vae import latent
from molgen.models.graph_vae.config import TrainConfig
from molgen.models.graph_vae.model import GraphVAE, bfs_order, to_sequences
from molgen.models.graph_vae.sample import MOST_LIKELY_CANDIDATES, fraction_invalid_without_masks, prior_latents
from molgen.models.graph_vae.train import _batch, build_model, elbo_terms, train, validate


@pytest.fixture(scope="module")
def smiles():
    return [s for split in ("train", "test", "test_scaffolds") for s in load_smiles("moses-sample", split)]


@pytest.fixture(scope="module")
def trained(smiles, tmp_path_factory):
    torch.manual_seed(0)
    model, dataset = build_model(smiles[:3000], latent_dim=16, hidden_dim=48, encoder_layers=2)
    out = tmp_path_factory.mktemp("vae") / "vae.pt"
    before = validate(model, _valid(model, smiles))
    card = train(model, smiles[:3000], smiles[3000:3300], TrainConfig(batch_size=64, max_steps=150, eval_every=75,
                                                                     warmup_steps=10, kl_warmup_steps=50), out, progress=False)
    return model, out, before, card


def _valid(model, smiles):
    from molgen.data.graphs import featurize

    return featurize(smiles[3000:3300], model.vocabulary, progress=False)


def test_bfs_order_and_sequences_keep_every_atom_and_bond(smiles):
    from molgen.data.graphs import featurize

    dataset = featurize(smiles[:50], progress=False)
    graphs = [dataset.graph(i) for i in range(50)]
    atoms, bonds, lengths = to_sequences(graphs, 60)
    for b, graph in enumerate(graphs):
        assert sorted(bfs_order(graph).tolist()) == list(range(graph.num_atoms))
        assert int(lengths[b]) == graph.num_atoms and (atoms[b, :graph.num_atoms] >= 0).all()
        assert torch.equal(bonds[b], bonds[b].T) and int((bonds[b] > 0).sum()) == 2 * len(graph.bonds)


def test_masks_admit_every_molecule_of_the_sample(smiles):
    """Teacher forcing through the masks: a finite loss means no true atom or bond was ruled out."""
    model, dataset = build_model(smiles, latent_dim=8, hidden_dim=32, encoder_layers=1)
    for start in range(0, len(dataset), 1000):
        atom_nll, bond_nll, _, _ = elbo_terms(model, *_batch(model, dataset, np.arange(start, min(start + 1000, len(dataset)))))
        assert torch.isfinite(atom_nll).all() and torch.isfinite(bond_nll).all()


def test_training_lowers_the_loss(trained):
    model, out, before, card = trained
    assert card["training"]["valid_recon_nll"] < before["recon"] - 5


def test_prior_samples_are_valid_connected_and_seeded(trained):
    model = trained[0]
    samples = model.sample(64, seed=3)
    assert len(samples) == 64
    assert all(s.smiles and "." not in s.smiles for s in samples)  # valid by construction, one fragment
    assert [s.smiles for s in model.sample(64, seed=3)] == [s.smiles for s in samples]
    assert 0.0 <= fraction_invalid_without_masks(model, 64) <= 1.0


def test_greedy_decoding_is_the_latent_alone_and_sampled_decoding_draws_more(trained):
    model = trained[0]
    greedy = [s.smiles for s in model.sample(64, seed=3, decoding="greedy")]
    assert [s.smiles for s in model.sample(8, seed=3)] == [s.smiles for s in model.sample(8, seed=3, decoding="most-likely")]
    # greedy decoding of the same latents, by hand: the prior draw is the only randomness
    z = torch.randn(64, model.config.latent_dim, generator=torch.Generator().manual_seed(3))
    assert greedy == latent.decode(model, z, greedy=True)
    sampled = [s.smiles for s in model.sample(64, seed=3, decoding="sampled", temperature=1.0)]
    assert all(s and "." not in s for s in sampled) and sampled != greedy
    with pytest.raises(ValueError, match="temperature applies only"):
        model.sample(4, seed=3, decoding="greedy", temperature=0.7)
    with pytest.raises(ValueError, match="decoding must be one of"):
        model.sample(4, seed=3, decoding="beam")


def test_checkpoint_round_trip_and_corrupt_file(trained, tmp_path):
    model, out, _, _ = trained
    again = load(out)
    assert isinstance(again, GraphVAE)
    assert [s.smiles for s in again.sample(16, seed=1)] == [s.smiles for s in model.sample(16, seed=1)]
    broken = tmp_path / "broken.pt"
    broken.write_bytes(out.read_bytes()[:1000])
    with pytest.raises(CheckpointError):
        GraphVAE.load(broken)


def test_latent_operations(trained, smiles):
    model = trained[0]
    z = latent.encode(model, smiles[:4])
    assert z.shape == (4, model.config.latent_dim)
    path = latent.interpolate(model, smiles[0], smiles[1], steps=5)
    assert path and path[0][0] == 0.0 and len({s for _, s in path}) == len(path)
    for smiles_out, similarity in latent.analogues(model, smiles[0], n=8, radius=1.0):
        assert smiles_out and 0.0 <= similarity <= 1.0
    assert 0.0 <= latent.reconstruction_accuracy(model, smiles[:20]) <= 1.0
    assert 0.0 <= latent.reconstruction_similarity(model, smiles[:20], refine_steps=0) < 1.0  # an untrained decoder misses
    with pytest.raises(ValueError, match="not a valid molecule"):
        latent.encode(model, ["c1cccc1"])
    # an atom type the model never saw: the error names the molecule among several
    with pytest.raises(ValueError, match=r"'OB\(O\)c1ccccc1' cannot be encoded: atom type B"):
        latent.encode(model, [smiles[0], "OB(O)c1ccccc1", smiles[1]])
    # larger than the decoder can build: refused, not encoded to some smaller molecule
    too_large = "C" * (model.config.max_atoms + 1)
    for call in (lambda: latent.encode(model, [too_large], refine_steps=0), lambda: latent.analogues(model, too_large, n=2),
                 lambda: latent.interpolate(model, smiles[0], too_large, steps=3)):
        with pytest.raises(ValueError, match=f"has {model.config.max_atoms + 1} heavy atoms; this model decodes at most"):
            call()
    # a salt: its counter-ion would be read into the molecule's point; refused, naming the parent to give
    with pytest.raises(ValueError, match=r"is 2 fragments \(a salt or a mixture\).*give its parent, CN1CCC\(c2ccccc2\)CC1"):
        latent.encode(model, ["Cl.CN1CCC(CC1)c1ccccc1"])
    # a charged atom and a labelled hydrogen are named as what a chemist wrote
    with pytest.raises(ValueError, match="a charged N .charge \\+1. .nitro groups"):
        latent.encode(model, ["CC[N+](=O)[O-]"])
    with pytest.raises(ValueError, match=r"a charged N \(charge \+1\) .*; the model knows N only uncharged$"):
        latent.encode(model, ["C[N+](C)(C)CC(=O)[O-]"])   # a betaine: no neutral form
    with pytest.raises(ValueError, match=r"is a charged form; .* give its neutral form, CC\(=O\)O"):
        latent.encode(model, ["CC(=O)[O-]"])   # a carboxylate alone: its acid
    # an isotope label is not encoded: a deuterium is read as hydrogen, as a 13C is read as carbon (D was refused as
    # an atom type, a review)
    assert torch.equal(latent.encode(model, ["[2H]C(Cl)Cl"]), latent.encode(model, ["C(Cl)Cl"]))   # atoms in one order
    assert torch.equal(latent.encode(model, ["[13CH3]CO"]), latent.encode(model, ["CCO"]))
    # analogues around an encoding found once are the analogues of the seed
    z = latent.encode(model, [smiles[0]])
    assert latent.analogues_around(model, z[0], smiles[0], n=8, radius=1.0, seed=3) == \
        latent.analogues(model, smiles[0], n=8, radius=1.0, seed=3)


@pytest.fixture(scope="module")
def overfitted(smiles, tmp_path_factory):
    """Eight molecules learned by heart."""
    series = smiles[:8]
    torch.manual_seed(0)
    model, _ = build_model(series, latent_dim=16, hidden_dim=64, encoder_layers=2)
    train(model, series, series, TrainConfig(batch_size=8, max_steps=300, eval_every=300, warmup_steps=10, lr=3e-3,
                                             kl_weight=0.01, kl_warmup_steps=100, free_bits=0.0),
          tmp_path_factory.mktemp("overfit") / "v.pt", progress=False)
    return model, series


def test_an_overfitted_tiny_set_encodes_and_decodes_to_itself(overfitted):
    """Greedy decoding of each latent mean gives the molecule back, and an interpolation starts at
    the first molecule and ends at the second."""
    from rdkit import Chem

    model, series = overfitted
    assert latent.reconstruction_accuracy(model, series, refine_steps=0) == 1.0
    assert latent.reconstruction_similarity(model, series, refine_steps=0) == pytest.approx(1.0)
    path = latent.interpolate(model, series[0], series[1], steps=6)
    canonical = [Chem.MolToSmiles(Chem.MolFromSmiles(s), isomericSmiles=False) for s in series[:2]]
    assert path[0] == (0.0, canonical[0]) and path[-1][1] == canonical[1]


def test_refining_a_latent_brings_its_molecule_back(overfitted):
    """Gradient steps on z, the decoder fixed, lead from another molecule's point to one that decodes
    to the wanted molecule; what ``refine`` reports as returned is what decoding its latents gives,
    and a latent that already decodes to its molecule is not moved."""
    from rdkit import Chem

    model, series = overfitted
    canonical = [Chem.MolToSmiles(Chem.MolFromSmiles(s), isomericSmiles=False) for s in series]
    mu, _ = latent.posterior(model, series)
    elsewhere = mu.roll(1, 0)  # each molecule starts at the next one's mean, which decodes to that one
    assert not any(c == d for c, d in zip(canonical, latent.decode(model, elsewhere)))
    z, returned = latent.refine(model, series, elsewhere, steps=20)
    assert bool(returned.all()) and latent.decode(model, z) == canonical
    z, returned = latent.refine(model, series, mu, steps=20)
    assert torch.equal(z, mu) and bool(returned.all())
    assert torch.equal(latent.encode(model, series, refine_steps=0), mu)
    with pytest.raises(ValueError, match="steps >= 0"):
        latent.refine(model, series, mu, steps=-1)
    with pytest.raises(ValueError, match="one latent per molecule"):
        latent.refine(model, series, mu[:3])
    with pytest.raises(ValueError, match="not a valid molecule"):
        latent.refine(model, ["c1cccc1"], mu[:1])


def test_no_shipped_graph_vae_is_a_clear_error():
    from molgen.models.base import shipped_checkpoint

    if shipped_checkpoint("graph-vae") is None:
        with pytest.raises(CheckpointError, match="ships no graph-vae checkpoint"):
            load("graph-vae")


def test_property_directed_steps_move_the_prediction(smiles, tmp_path):
    import numpy as np

    from molgen.models.smiles_lm.labels import property_labels

    torch.manual_seed(0)
    train_smiles = smiles[:1500]
    model, _ = build_model(train_smiles, latent_dim=16, hidden_dim=48, encoder_layers=2, properties=["qed", "logp"])
    labels = property_labels(train_smiles, ["qed", "logp"], n_jobs=1, progress=False)
    model.config.property_mean = np.nanmean(labels, 0).tolist()
    model.config.property_std = np.nanstd(labels, 0).tolist()
    from molgen.data.graphs import featurize

    usable = featurize(train_smiles, model.vocabulary, progress=False)
    assert len(usable) == len(train_smiles)
    train(model, train_smiles, smiles[3000:3100], TrainConfig(batch_size=64, max_steps=60, eval_every=60, warmup_steps=5,
                                                              kl_warmup_steps=30), tmp_path / "p.pt", progress=False,
          train_labels=labels)
    # from the encoder's mean: refining the start of a 60-step model moves it where 30 steps decode one molecule
    path = latent.optimise(model, smiles[0], {"logp": 6.0}, steps=30, lr=0.2, refine_steps=0)
    assert path and path[0]["step"] == 0 and path[0]["distance"] == 0.0
    assert path[-1]["distance"] > 0  # the walk left its start in z
    assert path[-1]["predicted_logp"] > path[0]["predicted_logp"]  # the head's prediction climbs towards the target
    assert all(_parses(p["smiles"]) for p in path)
    with pytest.raises(ValueError, match="not mw"):
        latent.optimise(model, smiles[0], {"mw": 300})


def test_target_gap_is_measured_in_the_start_distance_or_the_target_tolerance():
    """1 is as far as the start; a start that already meets a target (QED 0.915 against 0.9) is measured in
    the target's tolerance (0.05 for QED), so a molecule at 0.85 has gap 1, not 3.3."""
    from rdkit import Chem

    start = Chem.MolFromSmiles("CCOc1ccccc1NC(=O)c1ccc(N(C)C)cc1")  # QED 0.915
    from molgen.scoring.properties import PROPERTIES

    start_values = {"qed": PROPERTIES["qed"].function(start)}
    assert latent.target_gap(start, {"qed": 0.5}, start_values) == pytest.approx(1.0)
    assert latent._gap({"qed": 0.85}, {"qed": 0.9}, start_values) == pytest.approx(1.0)
    assert latent._gap({"qed": 0.7}, {"qed": 0.5}, {"qed": 0.3}) == pytest.approx(1.0)  # the start's distance
    # two targets averaged, each in its own scale
    assert latent._gap({"qed": 0.4, "mw": 300}, {"qed": 0.5, "mw": 350}, {"qed": 0.3, "mw": 250}) == pytest.approx(0.5)
    assert latent.meets_targets({"qed": 0.85}, {"qed": 0.9})          # exactly on the tolerance, as a run's filter
    assert not latent.meets_targets({"qed": 0.84}, {"qed": 0.9})
    assert not latent.meets_targets({"qed": 0.9, "mw": 400}, {"qed": 0.9, "mw": 350})


def _parses(text: str) -> bool:
    from rdkit import Chem

    return Chem.MolFromSmiles(text) is not None


def test_latent_analogues_from_a_checkpoint_path(trained, smiles):
    """`analogues(methods=["latent"])` with a graph VAE given by path (none need be shipped)."""
    from molgen.augment import analogues

    kept, removed = analogues(smiles[:2], methods=["latent"], min_similarity=0.0, max_similarity=0.99, per_seed=5,
                              samples_per_seed=20, vae_checkpoint=str(trained[1]), seed=1)
    assert len(kept) > 0 and kept["method"].eq("analogue:latent").all()
    assert kept["checkpoint"].str.startswith("vae.pt sha256:").all() and kept.groupby("seed_smiles").size().max() <= 5
    from molgen.models.base import shipped_checkpoint

    with pytest.raises(ValueError, match="not 'graph-vae'"):
        analogues(smiles[:1], methods=["latent"], vae_checkpoint=str(shipped_checkpoint("smiles-lm")))


def test_greedy_decoding_is_what_the_teacher_forced_network_prefers(trained):
    """Training and sampling compute the same logits: each choice of a greedy decode is the
    argmax of the teacher-forced logits on the decoded graph (atoms, STOP, and every bond)."""
    _decoding_matches_teacher_forcing(trained[0].eval())


def test_the_log_likelihood_decoding_adds_up_is_the_teacher_forced_one(trained):
    """The log-probability ``decode`` sums over its choices equals the teacher-forced -NLL of the graph
    it made, greedy or drawn, with the ring limit on or lifted: the limit decides what may be chosen,
    not how likely the network finds it."""
    model = trained[0].eval()
    z = torch.randn(40, model.config.latent_dim, generator=torch.Generator().manual_seed(5))
    limit, model.config.max_ring_size = model.config.max_ring_size, 5  # tight: rules bonds out in this tiny model
    try:
        for greedy, ring_limit in [(True, False), (False, False), (True, True), (False, True)]:
            with torch.no_grad():
                atoms, bonds, lengths, log_likelihood = model.decoder.decode(
                    z, greedy=greedy, temperature=0.8, generator=torch.Generator().manual_seed(1), ring_limit=ring_limit,
                    with_log_likelihood=True)
                m = int(lengths.max())
                atom_nll, bond_nll = model.decoder(z, atoms[:, :m], bonds[:, :m, :m], lengths)
            assert torch.isfinite(log_likelihood).all() and (log_likelihood < 0).all()
            assert torch.allclose(log_likelihood, -(atom_nll + bond_nll), atol=1e-4), (greedy, ring_limit)
        with torch.no_grad():  # the limit did rule something out in these decodings
            limited, unlimited = (model.decoder.decode(z, greedy=False, generator=torch.Generator().manual_seed(1),
                                                       temperature=0.8, ring_limit=r)[1] for r in (True, False))
        assert not torch.equal(limited, unlimited)
    finally:
        model.config.max_ring_size = limit


def test_weights_of_another_network_layout_are_a_clear_error(trained, tmp_path):
    from molgen.models.base import load_checkpoint, save_checkpoint

    payload = load_checkpoint(trained[1], "graph-vae")
    payload["state_dict"] = {k: v for k, v in payload["state_dict"].items() if not k.startswith("decoder.edge_partners")}
    save_checkpoint(tmp_path / "old.pt", payload)
    with pytest.raises(CheckpointError, match="do not fit this version's network"):
        GraphVAE.load(tmp_path / "old.pt")


def test_a_resumed_run_names_every_earlier_invocation_in_its_card(smiles, tmp_path):
    """Two interruptions, three invocations: the card keeps the first two commands, oldest first."""
    config = TrainConfig(batch_size=32, max_steps=6, eval_every=2, warmup_steps=1, kl_warmup_steps=2)
    out = tmp_path / "r.pt"
    for stop, command in ((2, "first"), (4, "second"), (6, "third")):
        model, _ = build_model(smiles[:200], latent_dim=8, hidden_dim=16, encoder_layers=1)
        card = train(model, smiles[:200], smiles[200:240], TrainConfig(**{**config.to_dict(), "max_steps": stop}), out,
                     progress=False, command=command, resume=tmp_path / "r.last.pt" if stop > 2 else None)
    assert card["training"]["steps"] == 6 and card["training"]["command"] == "third"
    assert [(r["until_step"], r["command"]) for r in card["training"]["earlier_runs"]] == [(2, "first"), (4, "second")]


def _decoding_matches_teacher_forcing(model, n: int = 12, seed: int = 3) -> list[int]:
    """Greedy decode, then check every choice is the argmax of the teacher-forced logits; the lengths.
    The ring limit is a decoding-only mask (the teacher-forced logits do not apply it), so it is lifted here."""
    z = torch.randn(n, model.config.latent_dim, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        atoms, bonds, lengths = model.decoder.decode(z, greedy=True, ring_limit=False)
        m = int(lengths.max())
        atoms, bonds = atoms[:, :m], bonds[:, :m, :m]
        atom_logits, edge_logits = model.decoder.logits(z, atoms, bonds, lengths)
    for b in range(n):
        length = int(lengths[b])
        chosen = atom_logits[b, :length + 1].argmax(-1)
        assert chosen[:length].tolist() == atoms[b, :length].tolist(), b
        assert int(chosen[length]) == model.decoder.stop or length == model.config.max_atoms
        for t in range(1, length):
            assert edge_logits[b, t, :t].argmax(-1).tolist() == bonds[b, t, :t].tolist(), (b, t)
    return lengths.tolist()


def test_focus_attention_starts_silent_then_decoding_and_training_agree(smiles, tmp_path):
    """A decoder that gains the focus attention predicts exactly as before (its outputs start at zero);
    once those outputs are not zero they change the loss, and greedy decoding still takes the
    teacher-forced argmax at every step; the grown model round-trips and older weights refuse to load into it."""
    from molgen.models.graph_vae.train import load_weights, with_focus_attention

    torch.manual_seed(0)
    model, dataset = build_model(smiles[:300], latent_dim=8, hidden_dim=32, encoder_layers=1)
    grown = with_focus_attention(model)
    assert grown.config.focus_attention and model.decoder.focus is None
    model.eval(), grown.eval()
    batch = _batch(model, dataset, np.arange(64))
    with torch.no_grad():
        before = elbo_terms(model, *batch, sample=False)
        after = elbo_terms(grown, *batch, sample=False)
        assert torch.equal(before[0], after[0]) and torch.equal(before[1], after[1])
        for layer in (grown.decoder.focus.to_atom, grown.decoder.focus.to_bond):
            torch.nn.init.normal_(layer.weight, std=0.5)
        grown.decoder.atom_head[-1].bias[grown.decoder.stop] = -6.0  # an untrained decoder otherwise stops at once
        moved = elbo_terms(grown, *batch, sample=False)
    assert not torch.allclose(moved[0], after[0]) and torch.isfinite(moved[0]).all() and torch.isfinite(moved[1]).all()
    assert max(_decoding_matches_teacher_forcing(grown)) > 5
    grown.save(tmp_path / "focus.pt")
    again = GraphVAE.load(tmp_path / "focus.pt")
    assert again.config.focus_attention and torch.equal(again.decoder.focus.to_atom.weight, grown.decoder.focus.to_atom.weight)
    with pytest.raises(ValueError, match="do not fit this network"):
        load_weights(model, again)  # a decoder without the module cannot take its weights


def test_decoding_can_keep_the_most_likely_of_several_candidates(trained, smiles):
    """candidates=k: greedy plus k-1 draws per latent, the one the decoder finds most likely kept. It is
    never less likely than the greedy decoding alone, and it is seeded."""
    from molgen.models.graph_vae.sample import decode_latents

    model = trained[0].eval()
    z = latent.encode(model, smiles[:24])
    greedy = decode_latents(model, z, candidates=1)
    best = decode_latents(model, z, candidates=5, seed=1)
    assert [s.smiles for s in best] == [s.smiles for s in decode_latents(model, z, candidates=5, seed=1)]
    assert all(s.smiles and s.log_likelihood is not None and 0 <= s.meta["candidate"] < 5 for s in best)
    with torch.no_grad():
        atoms, bonds, lengths = model.decoder.decode(z, greedy=True)
        m = int(lengths.max())
        atom_nll, bond_nll = model.decoder(z, atoms[:, :m], bonds[:, :m, :m], lengths)
    greedy_ll = (-(atom_nll + bond_nll)).tolist()
    for sample, plain, ll in zip(best, greedy, greedy_ll):
        assert sample.log_likelihood >= ll - 1e-4
        if sample.meta["candidate"] == 0:
            assert sample.smiles == plain.smiles
    assert any(s.meta["candidate"] > 0 for s in best)  # a tiny model's greedy path is often not its most likely
    assert 0.0 <= latent.reconstruction_accuracy(model, smiles[:24], candidates=3) <= 1.0
    with pytest.raises(ValueError, match="at least 1"):
        decode_latents(model, z, candidates=0)

    # as a prior decoding: the same latents as greedy, each molecule at least as likely as greedy's
    plain = model.sample(48, seed=2, decoding="greedy")
    chosen = model.sample(48, seed=2, decoding="most-likely", candidates=4, temperature=0.7)
    assert [s.smiles for s in chosen] == [s.smiles for s in model.sample(48, seed=2, decoding="most-likely",
                                                                           candidates=4, temperature=0.7)]
    z = prior_latents(model, 48, torch.Generator().manual_seed(2))
    with torch.no_grad():
        greedy_ll = model.decoder.decode(z, greedy=True, with_log_likelihood=True)[3]
    assert all(s.smiles for s in chosen)
    assert all(s.log_likelihood >= float(ll) - 1e-4 for s, ll in zip(chosen, greedy_ll))
    assert [s.smiles for s, p in zip(chosen, plain) if s.meta["candidate"] == 0] == \
        [p.smiles for s, p in zip(chosen, plain) if s.meta["candidate"] == 0]
    assert any(s.meta["candidate"] > 0 for s in chosen)
    defaults = model.sample(8, seed=2, decoding="most-likely")  # MOST_LIKELY_CANDIDATES, MOST_LIKELY_TEMPERATURE
    assert all(0 <= s.meta["candidate"] < MOST_LIKELY_CANDIDATES for s in defaults)
    for bad, message in [({"decoding": "greedy", "candidates": 3}, "only to decoding='most-likely'"),
                         ({"decoding": "most-likely", "candidates": 1}, "at least 2 candidates"),
                         ({"decoding": "most-likely", "temperature": 0.0}, "above 0")]:
        with pytest.raises(ValueError, match=message):
            model.sample(4, seed=2, **bad)


def test_the_cli_adds_focus_attention_to_a_checkpoint_it_resumes(trained, tmp_path):
    from typer.testing import CliRunner

    from molgen.cli import app

    out = tmp_path / "f.pt"
    result = CliRunner().invoke(app, ["train", "graph-vae", "--data", "moses-sample", "--resume", str(trained[1]),
                                      "--focus-attention", "--max-steps", "2", "--eval-every", "2", "--out", str(out),
                                      "--max-molecules", "600", "--threads", "1"])
    assert result.exit_code == 0, result.output
    model = GraphVAE.load(out)
    assert model.config.focus_attention and model.training_record["steps"] == 2
    # the run it grew from is named as its start, its steps and clock apart from this run's own
    assert model.training_record["started_from"]["command"] and not model.training_record.get("earlier_runs")


def test_an_aggregate_posterior_prior_is_carried_sampled_and_dropped_by_training(trained, smiles, tmp_path):
    from typer.testing import CliRunner

    from molgen.cli import app
    from molgen.models.graph_vae.sample import prior_latents
    from molgen.models.graph_vae.train import with_focus_attention

    model = GraphVAE.load(trained[1])
    mu, logvar = latent.aggregate_posterior(model, smiles[:600], rows=64, seed=0)
    assert mu.shape == logvar.shape == (64, model.config.latent_dim)
    assert torch.equal(mu, latent.aggregate_posterior(model, smiles[:600], rows=64, seed=0)[0])
    assert not torch.equal(mu, latent.aggregate_posterior(model, smiles[:600], rows=64, seed=1)[0])
    with pytest.raises(ValueError, match="none of these molecules fits"):
        latent.aggregate_posterior(model, ["not a smiles", "[Xe]"])
    with pytest.raises(ValueError, match="means and log-variances"):
        model.set_latent_prior(mu, logvar[:, :3])
    standard = [s.smiles for s in model.sample(16, seed=0)]

    # near-zero variances: every prior latent is one of the carried means
    model.set_latent_prior(mu, torch.full_like(logvar, -30.0))
    z = prior_latents(model, 200, torch.Generator().manual_seed(0))
    distances = (z[:, None] - mu[None]).norm(dim=-1)
    assert distances.min(dim=1).values.max() < 1e-4
    assert len({int(i) for i in distances.argmin(dim=1)}) > 40  # the rows drawn are spread over the mixture
    assert torch.equal(prior_latents(model, 5, torch.Generator().manual_seed(0), latent_prior=False),
                       torch.randn(5, model.config.latent_dim, generator=torch.Generator().manual_seed(0)))
    model.set_latent_prior(mu, logvar)
    carried = [s.smiles for s in model.sample(16, seed=0)]
    assert carried == [s.smiles for s in model.sample(16, seed=0)] and carried != standard
    assert [s.smiles for s in model.sample(16, seed=0, latent_prior=False)] == standard
    assert all(carried)  # valid by construction, whichever prior

    path = model.save(tmp_path / "with-prior.pt", half=True)
    again = GraphVAE.load(path)
    assert again.config.latent_prior_rows == 64
    assert torch.allclose(again.latent_prior[:, 0], mu, atol=2e-2) and torch.allclose(again.latent_prior[:, 1], logvar, atol=2e-2)
    assert with_focus_attention(again).config.latent_prior_rows == 0  # a grown model will be trained: the prior is stale

    # training changes the encoder the prior describes, so a resumed run drops it
    out = tmp_path / "resumed.pt"
    train(again, smiles[:300], smiles[300:400], TrainConfig(batch_size=16, max_steps=2, eval_every=2, warmup_steps=1), out,
          resume=path, progress=False)
    assert GraphVAE.load(out).config.latent_prior_rows == 0 and again.config.latent_prior_rows == 0

    shipped = tmp_path / "shipped.pt"
    result = CliRunner().invoke(app, ["train", "ship", str(trained[1]), str(shipped), "--latent-prior", "moses-sample"])
    assert result.exit_code == 0, result.output
    # generating says which prior the latents come from: N(0, I) without one (a review), nothing more with one
    for checkpoint, said in ((trained[1], True), (shipped, False)):
        run = CliRunner().invoke(app, ["generate", "--model", str(checkpoint), "-n", "3", "--max-samples", "32"],
                                 env={"MOLGEN_HOME": str(tmp_path / "home")})
        assert ("samples its latents from N(0, I)" in " ".join(run.output.split())) == said, run.output
    rows = GraphVAE.load(shipped).config.latent_prior_rows
    assert rows == min(16384, len(load_smiles("moses-sample", "train")))
    said = " ".join(result.output.split())
    assert f"latent prior: the encoder's posteriors of {rows:,} molecules of moses-sample" in said
    card = json.loads(shipped.with_suffix(".json").read_text())
    assert card["training"]["latent_prior"]["data"] == "moses-sample" and \
        card["training"]["latent_prior"]["posteriors"] == rows

    # a series file is read as training reads one: a salt as its parent, a row the model cannot hold named by line;
    # the card names the file and what was read, and a small prior is said to sample near its molecules
    series = tmp_path / "series.smi"
    series.write_text("c1ccc2ncccc2c1\nCc1ccc2ncccc2c1.Cl\nnot a smiles\nCOc1ccc2ncccc2c1\n")
    from_file = CliRunner().invoke(app, ["train", "ship", str(trained[1]), str(tmp_path / "series-prior.pt"),
                                         "--latent-prior", str(series)])
    said = " ".join(from_file.output.split())
    assert from_file.exit_code == 0, from_file.output
    assert "posteriors of 3 molecules of" in said and "line 3" in said and "samples near them" in said
    prior = json.loads((tmp_path / "series-prior.json").read_text())["training"]["latent_prior"]
    assert prior["data"] == str(series.resolve()) and prior["posteriors"] == 3 and len(prior["sha256"]) == 64
    assert prior["file_rows"] == 4 and prior["molecules_read"] == 3   # the invalid row left out by line
    assert GraphVAE.load(tmp_path / "series-prior.pt").config.latent_prior_rows == 3

    # the shipped model's measured card: its numbers kept as the source's (its prior was another), and a re-ship
    # with a dataset's prior keeps nothing of the file's
    from molgen.models.base import checkpoint_path

    reshipped = CliRunner().invoke(app, ["train", "ship", str(checkpoint_path("graph-vae")), str(tmp_path / "p.pt"),
                                         "--latent-prior", str(series)])
    assert reshipped.exit_code == 0, reshipped.output
    assert "(sampled from its earlier prior, not this one)" in " ".join(reshipped.output.split())
    card = json.loads((tmp_path / "p.json").read_text())
    assert card["metrics"] == {} and card["training"]["metrics_before_export"]["of"] == "graph-vae.pt"
    assert card["training"]["metrics_before_export"]["FCD/Test"] > 0
    # shipped again to the same path, its new prior keeps nothing of the card it replaces (a stale key set by hand)
    card["training"]["latent_prior"]["legacy_note"] = "by hand"
    (tmp_path / "p.json").write_text(json.dumps(card))
    over = CliRunner().invoke(app, ["train", "ship", str(checkpoint_path("graph-vae")), str(tmp_path / "p.pt"),
                                    "--latent-prior", "moses-sample", "--replace"])
    assert over.exit_code == 0, over.output
    prior = json.loads((tmp_path / "p.json").read_text())["training"]["latent_prior"]
    assert prior["data"] == "moses-sample" and "legacy_note" not in prior and prior["sha256"] is None
    # and shipped there again without one, the card names none (the checkpoint carries the source's own)
    plain = CliRunner().invoke(app, ["train", "ship", str(checkpoint_path("graph-vae")), str(tmp_path / "p.pt"),
                                     "--replace"])
    assert plain.exit_code == 0, plain.output
    assert "latent_prior" not in json.loads((tmp_path / "p.json").read_text())["training"]
    again = CliRunner().invoke(app, ["train", "ship", str(tmp_path / "p.pt"), str(tmp_path / "p2.pt"),
                                     "--latent-prior", "moses-sample"])
    assert again.exit_code == 0, again.output
    prior = json.loads((tmp_path / "p2.json").read_text())["training"]["latent_prior"]
    assert prior["data"] == "moses-sample" and prior["sha256"] is None and prior["file_rows"] is None
    refused = CliRunner().invoke(app, ["train", "ship", "molgen/pretrained/smiles-lm-lstm.pt", str(tmp_path / "x.pt"),
                                       "--latent-prior", "moses-sample"])
    assert refused.exit_code == 2 and "for graph VAE checkpoints" in refused.output


def test_decoding_closes_no_ring_larger_than_the_training_molecules_do(trained, smiles, tmp_path):
    from rdkit import Chem
    from typer.testing import CliRunner

    from molgen.chem.graph import mol_to_graph
    from molgen.cli import app
    from molgen.models.graph_vae.model import largest_closed_rings

    def largest_ring(smi: str) -> int:
        mol = Chem.MolFromSmiles(smi)  # held: the ring info lives in the molecule
        return max((len(r) for r in mol.GetRingInfo().AtomRings()), default=0)

    # the ring each closing bond makes in the decoder's partial graph: on these molecules, the largest ring RDKit finds
    model = trained[0]
    probes = ["CCO", "c1ccccc1", "C1CCCCCCC1", "c1ccc2ccccc2c1", "C1CC2CCC1C2", "O=C1CCCCCC(=O)N1", "C1CC12CC2"]
    molecules = probes + smiles[:500]
    _, bonds, _ = to_sequences([mol_to_graph(Chem.MolFromSmiles(s), model.vocabulary) for s in molecules], 60)
    assert largest_closed_rings(bonds).tolist() == [largest_ring(s) for s in molecules]
    assert model.config.max_ring_size == max(largest_ring(s) for s in smiles[:3000])  # build_model measured it

    # a tight limit holds in every decoding; lifting it gives the larger rings back
    measured, model.config.max_ring_size = model.config.max_ring_size, 5
    try:
        limited = [s.smiles for s in model.sample(300, seed=0)]
        free = [s.smiles for s in model.sample(300, seed=0, ring_limit=False)]
    finally:
        model.config.max_ring_size = measured
    assert all(limited) and max(largest_ring(s) for s in limited) <= 5
    assert max(largest_ring(s) for s in free) > 5

    shipped = tmp_path / "ringed.pt"
    result = CliRunner().invoke(app, ["train", "ship", str(trained[1]), str(shipped), "--max-ring-size", "6"])
    assert result.exit_code == 0, result.output
    assert GraphVAE.load(shipped).config.max_ring_size == 6
    refused = CliRunner().invoke(app, ["train", "ship", str(trained[1]), str(tmp_path / "x.pt"), "--max-ring-size", "-1"])
    assert refused.exit_code == 2 and "0 or more" in refused.output


@pytest.mark.parametrize("method", ["random", "bayesian"])
def test_latent_search_scores_every_molecule_with_rdkit_and_moves_towards_the_target(method):
    """On the shipped weights (any property RDKit computes, not only the head's): the start's decoding comes
    first, every molecule parses and its gap is RDKit's, a seed repeats the search, and the best molecule
    found is nearer the targets than the start."""
    from rdkit import Chem

    from molgen.models.base import shipped_checkpoint

    if shipped_checkpoint("graph-vae") is None:
        pytest.skip("no shipped graph VAE")
    model = load("graph-vae")
    start = "CCOc1ccccc1NC(=O)c1ccccc1"  # TPSA 38, MW 241
    targets = {"tpsa": 90.0, "mw": 320.0}
    found = latent.search(model, start, targets, decodings=48, method=method, seed=1)
    assert found[0]["round"] == -1 and found[0]["distance"] == 0.0
    rounds = {row["round"] for row in found[1:]}
    assert rounds == {0} if method == "random" else rounds <= {0, 1, 2} and max(rounds) >= 1  # 16 + 2 rounds of 16
    assert len({row["smiles"] for row in found}) == len(found)
    start_values = {"tpsa": 38.33, "mw": 241.29}
    for row in found:
        mol = Chem.MolFromSmiles(row["smiles"])
        assert mol is not None
        assert row["gap"] == pytest.approx(latent.target_gap(mol, targets, start_values), abs=1e-3)
        assert row["met"] == (abs(row["tpsa"] - 90) <= 10 and abs(row["mw"] - 320) <= 25)  # the run tolerances
    assert min(row["gap"] for row in found[1:]) < latent.target_gap(Chem.MolFromSmiles(start), targets, start_values)
    assert latent.search(model, start, targets, decodings=48, method=method, seed=1) == found
    with pytest.raises(ValueError, match="unknown properties colour"):
        latent.search(model, start, {"colour": 1.0}, method=method)
    with pytest.raises(ValueError, match="not a valid molecule"):
        latent.search(model, "C1CC((", targets, method=method)
    with pytest.raises(ValueError, match="method must be one of"):
        latent.search(model, start, targets, method="annealing")


def test_search_results_in_a_chemists_order_molecules_meeting_the_targets_nearest_first():
    rows = [{"smiles": "far-and-met", "met": True, "similarity": 0.2, "gap": 0.05, "round": 0},
            {"smiles": "close-miss", "met": False, "similarity": 0.6, "gap": 0.4, "round": 0},
            {"smiles": "near-and-met", "met": True, "similarity": 0.5, "gap": 0.3, "round": 1},
            {"smiles": "start", "met": True, "similarity": 1.0, "gap": 0.0, "round": -1},
            {"smiles": "nearer-miss", "met": False, "similarity": 0.3, "gap": 0.2, "round": 0}]
    assert [row["smiles"] for row in latent.chemist_order(rows)] == [
        "near-and-met", "far-and-met", "nearer-miss", "close-miss", "start"]


def _small_rings_with_doubles(bonds: torch.Tensor, length: int) -> int:
    """Three-membered rings with a double bond plus four-membered rings with two, in one decoded graph (Kekulé
    bond classes, every such ring: all paths, not a ring basis)."""
    adjacent = bonds[:length, :length].tolist()
    found = 0
    for a in range(length):
        for b in range(a + 1, length):
            if not adjacent[a][b]:
                continue
            for c in range(b + 1, length):
                if adjacent[b][c] and adjacent[a][c]:
                    found += int(2 in (adjacent[a][b], adjacent[b][c], adjacent[a][c]))
    for b in range(length):   # four-rings b-a-d-c-b, from the two atoms a, c both b and d bond to
        for d in range(b + 1, length):
            common = [x for x in range(length) if adjacent[b][x] and adjacent[d][x]]
            for i, a in enumerate(common):
                for c in common[i + 1:]:
                    orders = (adjacent[b][a], adjacent[a][d], adjacent[d][c], adjacent[c][b])
                    found += int(sum(order == 2 for order in orders) >= 2)
    return found


def test_small_ring_doubles_reads_the_ring_a_bond_would_close(trained):
    from rdkit import Chem

    from molgen.chem.graph import mol_to_graph
    from molgen.models.graph_vae.model import small_ring_doubles

    model = trained[0]
    # the BFS decoding of each molecule, replayed: at its ring-closing bond t - j, what the partial graph holds
    # (C1=CC=C1 closes with its second double bond, after one on the path: a double there is ruled out)
    expected = {"C1=CC1": ((1, -1),), "C1CC1": ((0, -1),), "C1=CCC1": ((-1, 1),), "C1=CC=C1": ((-1, 1),),
                "C1CCC1": ((-1, 0),), "CC": ()}
    for smi, closures in expected.items():
        _, bonds, lengths = to_sequences([mol_to_graph(Chem.MolFromSmiles(smi), model.vocabulary)], 10)
        seen = []
        for t in range(int(lengths[0])):
            partial = bonds.clone()
            partial[:, t:, :] = partial[:, :, t:] = 0          # atoms from t on are not placed yet...
            for j in range(t):
                if bonds[0, t, j] and partial[0, t, :t].any():   # ...a bond to a second partner closes a ring
                    three, four = small_ring_doubles(partial, t, j)
                    seen.append((int(three[0]), int(four[0])))
                partial[0, t, j] = partial[0, j, t] = bonds[0, t, j]
        # the closing bond's own order is not counted: C1=CC1 closes with a single bond after one double
        assert tuple(seen) == closures, smi


def test_decoding_makes_no_cyclopropene_or_cyclobutadiene_unless_the_ring_rules_are_lifted(trained):
    model = trained[0]
    z = torch.randn(300, model.config.latent_dim, generator=torch.Generator().manual_seed(4))
    counts = {}
    for ring_limit in (True, False):
        _, bonds, lengths = model.decoder.decode(z, temperature=1.0, generator=torch.Generator().manual_seed(2),
                                                 ring_limit=ring_limit)
        counts[ring_limit] = sum(_small_rings_with_doubles(bonds[i], int(lengths[i])) for i in range(len(z)))
    assert counts[True] == 0 and counts[False] > 0, counts


def test_analogues_leave_out_the_seed_itself_unless_asked():
    """Points very near a seed's encoding decode back to it; an analogue is another molecule."""
    model = load("graph-vae")
    seed = load_smiles("moses-sample", "test")[0]
    with_seed = latent.analogues(model, seed, n=6, radius=0.01, include_seed=True)
    assert (Chem.MolToSmiles(Chem.MolFromSmiles(seed)), 1.0) in with_seed
    others = latent.analogues(model, seed, n=6, radius=0.01)
    assert [found for found in with_seed if found[1] < 1.0] == others
    with pytest.warns(UserWarning, match="no point at radius 0 decoded to a molecule other than the seed"):   # not an empty list alone
        assert latent.analogues(model, seed, n=3, radius=0) == []
    # the seed in another spelling, or written with stereocentres the decoder does not draw, is still the seed
    respelled = latent.analogues(model, Chem.MolToSmiles(Chem.MolFromSmiles(seed), doRandom=True), n=6, radius=0.01)
    assert Chem.MolToSmiles(Chem.MolFromSmiles(seed)) not in {smiles for smiles, _ in respelled}
    chiral = "C[C@H](NC(=O)c1ccccc1)c1ccccc1"
    flat = Chem.MolToSmiles(Chem.MolFromSmiles(chiral), isomericSmiles=False)
    assert (flat, 1.0) in latent.analogues(model, chiral, n=6, radius=0.01, include_seed=True)   # decoded flat
    assert flat not in {Chem.MolToSmiles(Chem.MolFromSmiles(s), isomericSmiles=False)
                        for s, _ in latent.analogues(model, chiral, n=6, radius=0.01)}
    # a labelled seed is compared as the model reads it, without its labels (a review: CD3-anisole's analogues
    # were all put lower), and decoded back it is the seed
    plain, labelled = "COc1ccc(C(=O)NC2CC2)cc1", "[2H]C([2H])([2H])Oc1ccc(C(=O)NC2CC2)cc1"
    assert latent.analogues(model, labelled, n=12, radius=2.0) == latent.analogues(model, plain, n=12, radius=2.0)
    assert (Chem.MolToSmiles(Chem.MolFromSmiles(plain)), 1.0) in latent.analogues(model, labelled, n=6, radius=0.01,
                                                                                    include_seed=True)


def test_the_shipped_vae_steers_similar_to_by_decoding_around_the_reference():
    """A run asking for molecules near a reference decodes latents around its encoding: from the prior, almost
    none of them would be near paracetamol; the pipeline's filter still checks every one."""
    from molgen.models.base import checkpoint_path
    from molgen.scoring.similarity import morgan_fingerprint
    from rdkit import DataStructs

    model = load(checkpoint_path("graph-vae"))
    reference = "CC(=O)Nc1ccc(O)cc1"
    steer, how = model.native_conditions(Conditions(similar_to=reference, min_similarity=0.4, ranges={"qed": (0.5, None)}))
    assert steer.similar_to == reference and steer.min_similarity == 0.4 and not steer.ranges   # ranges: the filter
    assert "around the reference's encoding" in how["similar_to"] and set(how) == {"similar_to"}
    assert how["similar_to"].endswith("its encoding decodes back to it")
    labelled = model.native_conditions(Conditions(similar_to="[13CH3]C(=O)Nc1ccc(O)cc1", min_similarity=0.3))[1]["similar_to"]
    assert labelled.endswith("its encoding decodes back to it")   # a graph carries no isotope: held all the same
    # a reference the model comes back from far (a review's 29-atom quinazoline: no molecule reached 0.5) says so
    far = model.native_conditions(Conditions(similar_to="COCCOc1cc2ncnc(Nc3ccc(F)c(Cl)c3)c2cc1OCCOC", min_similarity=0.5))[1]
    assert "its own encoding decodes back (greedily) to " in far["similar_to"] and "does not hold the reference" in \
        far["similar_to"]
    fingerprint = morgan_fingerprint(Chem.MolFromSmiles(reference))

    def share_near(samples) -> float:
        return np.mean([DataStructs.TanimotoSimilarity(fingerprint, morgan_fingerprint(Chem.MolFromSmiles(s.smiles))) >= 0.4
                        for s in samples])
    around = model.sample(32, conditions=steer, seed=5, decoding="greedy")
    assert share_near(around) >= 0.5 and share_near(model.sample(32, seed=5, decoding="greedy")) <= 0.1
    assert [s.smiles for s in model.sample(32, conditions=steer, seed=5, decoding="greedy")] == [s.smiles for s in around]
    # a reference the model cannot encode (an element it never saw) is left to the filter, not an error
    assert model.native_conditions(Conditions(similar_to="C[Se]c1ccccc1", min_similarity=0.4)) == (Conditions(), {})
    # a reference without a threshold asks only for the similarity column: the prior is sampled (a review: it narrowed
    # a run to acetanilides, 20 of 32 samples repeats)
    from molgen.runs.generate import _native, recorded_native, to_steer

    bare = Conditions(similar_to=reference)
    assert _native(model, to_steer(bare)) == (Conditions(), {}) and model.unsteered(to_steer(bare)) == {}
    # a run that steered towards one before (its record says so) resumes steering, not from the prior (a review)
    resumed, _ = _native(model, recorded_native(bare, {"similar_to": "decoding latents around ..."}))
    assert resumed.similar_to == reference
    # a run pins the decoding's defaults, as graph diffusion's do: a resumed or repeated run decodes as it began
    assert model.check_sample_options() == {"decoding": "most-likely", "temperature": 0.7, "candidates": 5}
    assert model.check_sample_options(decoding="sampled") == {"decoding": "sampled", "temperature": 1.0}
    assert model.check_sample_options(decoding="greedy") == {"decoding": "greedy"}
    assert model.check_sample_options(candidates=3)["candidates"] == 3


def test_the_latent_tools_leave_out_the_start_read_charged_forms_neutral_and_refuse_bad_arguments():
    """From a latent-space review: a search whose start did not decode back listed the start itself as its best find
    (Tanimoto 1, meeting the target); a protonated amine written alone was refused, though augment's README said it
    is explored around its amine; empty or ill-sized arguments were IndexErrors and RuntimeErrors; a hydrogen kept
    for a double bond's geometry was refused as if isotope-labelled (folding it in for the graph alone made the
    molecule two molecules: a code review); a 13C start's MW read 1.003 high."""
    from molgen.models.base import checkpoint_path
    from molgen.scoring.properties import PROPERTIES

    model = load(checkpoint_path("graph-vae"))
    start = "Cc1ccccc1N1CCN(C(=O)c2ccccc2O)CC1"   # its unrefined encoding decodes to another molecule
    found = latent.search(model, start, {"qed": 0.9}, decodings=128, refine_steps=0)
    key = Chem.MolToSmiles(Chem.MolFromSmiles(start), isomericSmiles=False)
    assert found[0]["round"] == -1 and found[0]["smiles"] != key   # the premise: the start's decoding is another
    assert not [row for row in found if row["smiles"] == key]      # ... and the start is no find
    walk = latent.optimise(model, start, {"qed": 0.9}, steps=30, refine_steps=0)
    assert not [row for row in walk[1:] if row["smiles"] == key]
    # from a refined start the walk still starts at the molecule, and the head reads it where it learned (the mean):
    # read at the refined point, many units away, it predicted SA -1.97 and logP -4.89 for SA 1.88, logP 3.53
    quinazoline = "COc1cc2ncnc(Nc3ccc(F)cc3)c2cc1OC"
    walk = latent.optimise(model, quinazoline, {"qed": 0.9}, steps=10)
    assert walk[0]["smiles"] == Chem.MolToSmiles(Chem.MolFromSmiles(quinazoline)) and walk[0]["distance"] == 0
    assert abs(walk[0]["predicted_sa"] - walk[0]["sa"]) < 0.5 and abs(walk[0]["predicted_logp"] - walk[0]["logp"]) < 1
    # a charged form alone is encoded as its neutral form where one exists, as a salt is as its parent
    assert latent.parent_of(Chem.MolFromSmiles("C[NH+](C)Cc1ccccc1")) == "CN(C)Cc1ccccc1"
    assert latent.parent_of(Chem.MolFromSmiles("C[N+](C)(C)Cc1ccccc1")) is None   # no neutral form: as written
    assert latent.parent_of(Chem.MolFromSmiles("CCO")) is None
    with pytest.raises(ValueError, match="is a charged form; the model encodes neutral molecules: give its neutral "
                                         r"form, CN\(C\)Cc1ccccc1"):
        latent.encode(model, ["C[NH+](C)Cc1ccccc1"])
    for bad, said in ((lambda: latent.encode(model, []), "give at least one SMILES"),
                      (lambda: latent.encode(model, [None]), "item 0 to encode is None"),
                      (lambda: latent.interpolate(model, start, "CCO", 1), "steps must be a whole number, 2 or more"),
                      (lambda: latent.analogues(model, start, n=0), "n must be 1 or more"),
                      (lambda: latent.analogues(model, start, radius=-1.0), "radius 0 or more"),
                      (lambda: latent.search(model, start, {"qed": float("nan")}), "the target of qed must be a number, not nan"),
                      (lambda: latent.optimise(model, start, {"qed": 0.9}, steps=-1), "steps must be 0 or more"),
                      (lambda: latent.interpolate(model, start, "CCO", 2.5), "steps must be a whole number"),
                      (lambda: latent.search(model, start, {"qed": "0.9"}), "the target of qed must be a number"),
                      (lambda: latent.analogues(model, start, radius=float("inf")), "finite"),
                      (lambda: latent.decode(model, torch.zeros(3, 5)), r"shape \(n, 64\) here, not \(3, 5\)"),
                      # encode's (1, d) given as one point spread analogues at radius x 8 (a review)
                      (lambda: latent.analogues_around(model, torch.zeros(1, 64), start, 5), r"shape \(64,\)")):
        with pytest.raises(ValueError, match=said):
            bad()
    # a point that is no number is refused, a far one decoded with a warning, numpy's float64 taken (a review:
    # NaN, inf and 1e6 decoded to plausible chains without a word; float64 raised torch's dtype error)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="latent point 0 is not finite"):
            latent.decode(model, torch.full((1, 64), bad))
    with pytest.warns(UserWarning, match=r"1 latent point \(the first: row 1\) lie more than 10 x sqrt\(64\)"):
        latent.decode(model, torch.cat([torch.zeros(1, 64), torch.full((1, 64), 1e6)]))
    assert latent.decode(model, torch.zeros(1, 64, dtype=torch.float64)) == latent.decode(model, torch.zeros(1, 64))
    with pytest.raises(ValueError, match="beyond what the model's float32 holds"):
        latent.decode(model, torch.full((1, 64), 1e300, dtype=torch.float64))
    assert latent.decode(model, torch.zeros(1, 64, requires_grad=True)) == latent.decode(model, torch.zeros(1, 64))
    # a [H] kept for a double bond's geometry is said as what it is (it read as isotope-labelled or charged)
    with pytest.raises(ValueError, match="a \\[H\\] written to fix a double bond's geometry"):
        latent.encode(model, ["[H]/N=C(\\N)c1ccccc1"])
    labelled = latent.search(model, "[13CH3]c1ccccc1N1CCN(C(=O)c2ccccc2O)CC1", {"mw": 300.0}, decodings=4,
                             refine_steps=0)
    assert latent._start_molecule("[13CH3]c1ccccc1N1CCN(C(=O)c2ccccc2O)CC1").GetNumAtoms() == 22
    assert PROPERTIES["mw"].function(latent._start_molecule("[13CH3]c1ccccc1N")) == \
        pytest.approx(PROPERTIES["mw"].function(Chem.MolFromSmiles("Cc1ccccc1N")))
    assert labelled   # runs on the unlabelled start


def test_a_latent_walk_from_a_molecule_the_model_does_not_hold_says_where_it_starts():
    """A review: diazepam's interpolation, analogues and optimisation started from another molecule (its encoding
    decodes to an indolizine), listed as the start, without a word."""
    import warnings

    from molgen.models.base import checkpoint_path

    model = load(checkpoint_path("graph-vae"))
    diazepam, paracetamol = "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21", "CC(=O)Nc1ccc(O)cc1"
    with pytest.warns(UserWarning, match=r"does not hold 'CN1C\(=O\)CN=C.*decodes back \(greedily\) to .*Tanimoto "
                                         r"[0-9.]+ to it, where the path starts"):
        latent.interpolate(model, diazepam, paracetamol, steps=3, refine_steps=0)
    with pytest.warns(UserWarning, match="where the analogues are decoded around"):
        latent.analogues(model, diazepam, n=3, refine_steps=0)
    with pytest.warns(UserWarning, match=r"where the walk starts \(its step 0\)"):
        latent.optimise(model, diazepam, {"qed": 0.9}, steps=0, refine_steps=0)
    with pytest.warns(UserWarning, match=r"where the search starts \(its round -1\)"):
        latent.search(model, diazepam, {"qed": 0.9}, decodings=4, refine_steps=0)
    with warnings.catch_warnings():   # a molecule it holds: nothing said
        warnings.simplefilter("error")
        latent.analogues(model, paracetamol, n=3)
    for walk in (latent.optimise, latent.search):
        with pytest.raises(TypeError, match=r"targets are a dict .* not a Conditions; a Conditions' are its .targets"):
            walk(model, paracetamol, Conditions(targets={"qed": 0.9}))
