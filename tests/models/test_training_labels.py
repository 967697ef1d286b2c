"""Property labels in the graph families' training: each label stays with its molecule when
featurizing drops one, a label RDKit could not compute is absent (never 0), and the diffusion
model is trained on every subset of its targets, as it is asked for them when sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from molgen.data.graphs import featurize
from molgen.data.registry import load_smiles
from molgen.models.training import labels_of_featurized, normalised_conditions


def _with_failures(smiles: list[str]) -> list[str]:
    """The molecules with two unusable inputs among them (an unparsable string, an open ring)."""
    return smiles[:5] + ["not a molecule"] + smiles[5:40] + ["C1CC"] + smiles[40:]


def test_labels_follow_the_molecules_that_featurizing_keeps():
    smiles = _with_failures(load_smiles("moses-sample", "train")[:60])
    dataset = featurize(smiles, progress=False)
    assert len(dataset.failures) == 2
    labels = np.arange(len(smiles), dtype=np.float32)[:, None]  # label = position of the input
    kept = labels_of_featurized(labels, dataset, len(smiles))
    assert len(kept) == len(dataset)
    assert [smiles[int(row)] for row in kept[:, 0]] == dataset.smiles  # every label beside its own molecule
    assert labels_of_featurized(None, dataset, len(smiles)) is None
    with pytest.raises(ValueError, match="label rows"):
        labels_of_featurized(labels[:-1], dataset, len(smiles))


def test_a_label_that_could_not_be_computed_stays_absent():
    class Model:
        class config:
            conditions = ["qed", "mw"]
            condition_mean = [0.5, 300.0]
            condition_std = [0.1, 50.0]

    labels = np.array([[0.6, np.nan], [np.nan, 350.0]], dtype=np.float32)
    values = normalised_conditions(Model, labels, np.arange(2))
    assert torch.isnan(values[0, 1]) and torch.isnan(values[1, 0])
    assert values[0, 0].item() == pytest.approx(1.0) and values[1, 1].item() == pytest.approx(1.0)


def test_diffusion_trains_on_partial_targets_each_beside_its_molecule(tmp_path, monkeypatch):
    from molgen.models.graph_diffusion.config import TrainConfig
    from molgen.models.graph_diffusion.model import GraphDiffusion
    from molgen.models.graph_diffusion.train import build_model, train

    smiles = _with_failures(load_smiles("moses-sample", "train")[:300])
    model, _ = build_model(smiles, hidden_dim=16, edge_dim=4, heads=2, layers=1, timesteps=50, conditions=["qed", "mw"])
    # Both "properties" are the heavy-atom count, so a target can be checked against its graph; a
    # third of the first column could not be computed.
    atoms = np.array([float("nan") if i in (5, 41) else 0.0 for i in range(len(smiles))], dtype=np.float32)
    dataset = featurize(smiles, progress=False)
    atoms[dataset.source_rows(len(smiles))] = dataset.num_atoms().numpy()
    labels = np.stack([atoms, atoms], axis=1)
    labels[::3, 0] = np.nan
    model.config.condition_mean, model.config.condition_std = [20.0, 20.0], [4.0, 4.0]
    seen = []
    original = GraphDiffusion.loss

    def spy(self, x0, e0, mask, targets=None, generator=None):
        if targets is not None:  # (validation runs without targets)
            seen.append((mask.sum(1).float(), targets.clone()))
        return original(self, x0, e0, mask, targets=targets, generator=generator)

    monkeypatch.setattr(GraphDiffusion, "loss", spy)
    train(model, smiles, smiles[:20], TrainConfig(batch_size=32, max_steps=30, eval_every=30, warmup_steps=2,
                                                  condition_dropout=0.3, condition_drop_all=0.1),
          tmp_path / "d.pt", progress=False, train_labels=labels)
    sizes = torch.cat([s for s, _ in seen])
    targets = torch.cat([t for _, t in seen])
    present = ~torch.isnan(targets)
    for column in range(2):
        shown = present[:, column]
        assert torch.allclose(targets[shown, column] * 4.0 + 20.0, sizes[shown])  # each target is its own graph's
    partial = present.any(1) & ~present.all(1)
    assert partial.float().mean() > 0.3   # one target given, the other not: as sampling asks for them
    assert (~present.any(1)).any() and present.all(1).any()


def test_graph_vae_property_head_skips_labels_that_could_not_be_computed(tmp_path):
    from molgen.models.graph_vae.config import TrainConfig
    from molgen.models.graph_vae.train import build_model, train

    smiles = _with_failures(load_smiles("moses-sample", "train")[:200])
    torch.manual_seed(0)
    model, _ = build_model(smiles, latent_dim=8, hidden_dim=16, encoder_layers=1, properties=["qed", "logp"])
    labels = np.tile(np.array([[0.7, 2.0]], dtype=np.float32), (len(smiles), 1))
    labels[::4, 1] = np.nan
    model.config.property_mean, model.config.property_std = [0.7, 2.0], [0.1, 1.0]
    card = train(model, smiles, smiles[:20], TrainConfig(batch_size=32, max_steps=12, eval_every=12, warmup_steps=2,
                                                         kl_warmup_steps=5), tmp_path / "v.pt", progress=False,
                 train_labels=labels)
    assert all(torch.isfinite(p).all() for p in model.parameters())  # a NaN label would have poisoned every weight
    assert np.isfinite(card["training"]["valid_recon_nll"])
