"""Graph diffusion on the committed sample: the noise process, training, sampling, guidance, inpainting."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rdkit import Chem

from molgen.data.registry import load_smiles
from molgen.models import CheckpointError, Conditions, load
from molgen.models.graph_diffusion.config import TrainConfig
from molgen.models.graph_diffusion.model import GraphDiffusion, dense_batch
from molgen.models.graph_diffusion.noise import MarginalNoise, cosine_alpha_bar
from molgen.models.graph_diffusion.train import build_model, train, validate


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    smiles = load_smiles("moses-sample", "train")
    torch.manual_seed(0)
    model, dataset = build_model(smiles[:1500], hidden_dim=32, edge_dim=8, heads=2, layers=2, timesteps=100,
                                 conditions=["qed"])
    from molgen.models.smiles_lm.labels import property_labels

    labels = property_labels(smiles[:1500], ["qed"], n_jobs=1, progress=False)
    model.config.condition_mean, model.config.condition_std = [float(labels.mean())], [float(labels.std())]
    from molgen.data.graphs import featurize

    valid = featurize(smiles[1500:1700], model.vocabulary, progress=False)
    before = validate(model, valid)
    out = tmp_path_factory.mktemp("diffusion") / "d.pt"
    card = train(model, smiles[:1500], smiles[1500:1700], TrainConfig(batch_size=32, max_steps=80, eval_every=40, warmup_steps=5,
                                                                     lr=2e-3), out, progress=False, train_labels=labels)
    return model, out, before, card


def test_schedule_and_marginals():
    abar = cosine_alpha_bar(500)
    assert abar[0] == 1 and abar[-1] < 1e-3 and (abar[1:] <= abar[:-1]).all()
    noise = MarginalNoise([0.7, 0.3], [0.9, 0.1], 500)
    x0 = torch.nn.functional.one_hot(torch.zeros(2000, 2, dtype=torch.long), 2).float()
    e0 = torch.nn.functional.one_hot(torch.zeros(2000, 2, 2, dtype=torch.long), 2).float()
    t = torch.full((2000,), 500)
    xt, et = noise.add_noise(x0, e0, t, torch.ones(2000, 2, dtype=torch.bool), torch.Generator().manual_seed(0))
    assert abs(xt[..., 1].mean().item() - 0.3) < 0.03  # at T the atoms follow the marginals, whatever x0 was
    assert abs(et[:, 0, 1, 1].mean().item() - 0.1) < 0.03 and torch.equal(et, et.transpose(1, 2))
    x1, _ = noise.add_noise(x0, e0, torch.full((2000,), 1), torch.ones(2000, 2, dtype=torch.bool))
    assert x1[..., 0].mean() > 0.99  # at t = 1 almost nothing has moved


def test_transition_matrices_are_stochastic_compose_and_keep_the_marginals():
    noise = MarginalNoise([0.5, 0.3, 0.2], [0.9, 0.05, 0.04, 0.01], 100)
    for m in (noise.m_x, noise.m_e):
        for t, s in ((1, 0), (50, 0), (100, 0), (70, 30), (100, 99)):
            q = noise.transition_matrix(t, s, m)
            assert torch.allclose(q.sum(1), torch.ones(len(m))) and (q >= 0).all()
            assert torch.allclose(m @ q, m, atol=1e-6)  # the marginals are the limit distribution
        # q(x_t | x_0) = q(x_s | x_0) q(x_t | x_s), and marginal_probs is its row for a one-hot x0
        composed = noise.transition_matrix(30, 0, m) @ noise.transition_matrix(70, 30, m)
        assert torch.allclose(composed, noise.transition_matrix(70, 0, m), atol=1e-6)
        eye = torch.eye(len(m))
        assert torch.allclose(noise.marginal_probs(eye, torch.full((len(m),), 70), m), noise.transition_matrix(70, 0, m),
                              atol=1e-6)


def test_posterior_equals_bayes_with_explicit_matrices():
    """p(z_s | z_t) = sum_x0 p(x0) q(z_t | z_s) q(z_s | x0) / q(z_t | x0), normalised."""
    noise = MarginalNoise([0.5, 0.3, 0.2], [0.9, 0.1], 100)
    m, t, s = noise.m_x, 60, 45
    probs = torch.softmax(torch.randn(3, 3, generator=torch.Generator().manual_seed(0)), -1)
    zt = torch.eye(3)
    q_ts, q_s0, q_t0 = noise.transition_matrix(t, s, m), noise.transition_matrix(s, 0, m), noise.transition_matrix(t, 0, m)
    for row in range(3):
        c = int(zt[row].argmax())
        expected = sum(probs[row, x0] * q_ts[:, c] * q_s0[x0] / q_t0[x0, c] for x0 in range(3))
        expected = expected / expected.sum()
        assert torch.allclose(noise.posterior(probs[row:row + 1], zt[row:row + 1], t, s, m)[0], expected, atol=1e-5)


def test_posterior_is_a_distribution_and_exact_at_full_confidence():
    noise = MarginalNoise([0.5, 0.3, 0.2], [0.9, 0.1], 100)
    zt = torch.nn.functional.one_hot(torch.tensor([0, 1, 2]), 3).float()
    p = noise.posterior(torch.softmax(torch.randn(3, 3), -1), zt, 50, 40, noise.m_x)
    assert torch.allclose(p.sum(-1), torch.ones(3))
    sure = noise.posterior(torch.eye(3), zt, 50, 0, noise.m_x)  # s = 0: abar_s = 1, so z_0 = x0
    assert torch.allclose(sure, torch.eye(3), atol=1e-6)


@pytest.mark.parametrize("omega,eta", [(0.0, 0.0), (0.7, 0.0), (0.0, 3.0)])
def test_flow_step_is_a_distribution_that_carries_the_interpolant_forward(omega, eta):
    """Started from p_tau(. | c) = tau * onehot(c) + (1 - tau) * m, one step of the flow chain towards a
    sure c lands exactly on p_(tau + dtau)(. | c) (the interpolant is linear in tau, so Euler is exact);
    stochasticity moves mass both ways in balance, so the landing is still exact; target guidance only
    adds mass on c, and without stochasticity a node already at c stays."""
    noise = MarginalNoise([0.5, 0.3, 0.15, 0.05], [0.9, 0.1], 100)
    m, eye = noise.m_x, torch.eye(4)
    tau, dtau = 0.3, 0.1
    for c in range(4):
        step = noise.flow_step(eye[c].expand(4, 4), eye, tau, dtau, m, target_guidance=omega, stochasticity=eta)
        assert torch.allclose(step.sum(-1), torch.ones(4)) and (step >= 0).all()  # row z: p(next | z)
        if eta == 0:
            assert torch.allclose(step[c], eye[c])
        else:
            assert step[c, c] < 1 - 1e-3  # a node at c may still leave it
        start = tau * eye[c] + (1 - tau) * m
        moved = start @ step
        if omega == 0:
            assert torch.allclose(moved, (tau + dtau) * eye[c] + (1 - tau - dtau) * m, atol=1e-6)
        else:
            assert moved[c] > tau + dtau + (1 - tau - dtau) * m[c] + 1e-3
    # an uncertain prediction moves by the expected rate; a last step of any size is still a distribution
    probs = torch.softmax(torch.randn(6, 4, generator=torch.Generator().manual_seed(0)), -1)
    zt = torch.nn.functional.one_hot(torch.tensor([0, 1, 2, 3, 0, 1]), 4).float()
    for tau, dtau in ((0.0, 0.02), (0.95, 0.05)):
        step = noise.flow_step(probs, zt, tau, dtau, m, target_guidance=omega, stochasticity=eta)
        assert torch.allclose(step.sum(-1), torch.ones(6)) and (step >= 0).all()


def test_dense_batch_is_symmetric_and_masked():
    from molgen.data.graphs import featurize

    dataset = featurize(load_smiles("moses-sample", "test")[:10], progress=False)
    x, e, mask = dense_batch([dataset.graph(i) for i in range(10)], len(dataset.vocabulary))
    assert torch.equal(e, e.transpose(1, 2)) and (x.sum(-1) == mask).all()
    assert int(e[..., 1:].sum()) == 2 * sum(len(dataset.graph(i).bonds) for i in range(10))


def test_training_lowers_the_denoising_loss(trained):
    _, _, before, card = trained
    assert card["training"]["valid_loss"] < before - 0.5


def test_sampling_any_step_count_is_seeded_and_honest(trained):
    model = trained[0]
    for steps in (100, 10):
        samples = model.sample(16, seed=1, steps=steps)
        assert len(samples) == 16
        assert all((not s.smiles) or Chem.MolFromSmiles(s.smiles) is not None for s in samples)
        assert all(s.smiles or "error" in s.meta for s in samples)  # an invalid graph says why, nothing repaired
    assert [s.smiles for s in model.sample(8, seed=2, steps=10)] == [s.smiles for s in model.sample(8, seed=2, steps=10)]


def test_the_flow_sampler_is_the_default_seeded_honest_and_inpaints(trained):
    from molgen.models.graph_diffusion.model import (DEFAULT_SAMPLER, FLOW_DEFAULTS, FLOW_MIN_STEPS, STEP_SPACING,
                                                     sampler_options)

    model = trained[0]
    spacing = {"step_spacing": STEP_SPACING}
    ancestral = {"sampler": "ancestral", "target_guidance": 0.0, "stochasticity": 0.0, **spacing}
    assert DEFAULT_SAMPLER == "flow" and sampler_options() == {"sampler": "flow", **FLOW_DEFAULTS, **spacing}
    assert sampler_options("ancestral") == ancestral
    # below FLOW_MIN_STEPS the default is the ancestral sampler, unless a flow option asks for the chain
    assert sampler_options(steps=FLOW_MIN_STEPS) == {"sampler": "flow", **FLOW_DEFAULTS, **spacing}
    assert sampler_options(steps=FLOW_MIN_STEPS - 1) == ancestral
    assert sampler_options(steps=10, stochasticity=5.0) == {"sampler": "flow", **FLOW_DEFAULTS, "stochasticity": 5.0, **spacing}
    # with a scaffold the default is the chain at any step count, whole or with attachment points
    # (benchmarks/RESULTS.md, "which sampler inpaints" and "a group at each attachment point")
    for steps in (10, FLOW_MIN_STEPS):
        for scaffold in ("c1ccncc1", "*c1ccncc1", "[*:1]c1ccc([*:2])cc1", "C1CC*CC1"):
            assert sampler_options(steps=steps, scaffold=scaffold)["sampler"] == "flow"
    assert sampler_options(steps=10, scaffold="*c1ccncc1", sampler="ancestral")["sampler"] == "ancestral"
    assert model.check_sample_options(steps=10, scaffold="c1ccncc1")["sampler"] == "flow"
    assert "scaffold" not in model.check_sample_options(steps=10, scaffold="c1ccncc1")   # a condition, not an option
    grown = model.sample(6, seed=2, steps=10, conditions=Conditions(scaffold="*c1ccncc1"))
    assert [s.smiles for s in grown] == [s.smiles for s in model.sample(6, seed=2, steps=10, sampler="flow",
                                                                         conditions=Conditions(scaffold="*c1ccncc1"))]
    steps = FLOW_MIN_STEPS
    first = model.sample(12, seed=1, steps=steps)
    explicit = model.sample(12, seed=1, steps=steps, sampler="flow", **FLOW_DEFAULTS)
    assert [s.smiles for s in first] == [s.smiles for s in explicit]  # the default is the flow chain with its defaults
    assert [s.smiles for s in first] == [s.smiles for s in model.sample(12, seed=1, steps=steps)]
    assert [s.smiles for s in first] != [s.smiles for s in model.sample(12, seed=1, steps=steps, sampler="ancestral")]
    few = [s.smiles for s in model.sample(12, seed=1, steps=10)]
    assert few == [s.smiles for s in model.sample(12, seed=1, steps=10, sampler="ancestral")]
    assert few != [s.smiles for s in model.sample(12, seed=1, steps=10, sampler="flow")]
    still = model.sample(12, seed=1, steps=steps, sampler="flow", stochasticity=0.0)
    assert [s.smiles for s in still] != [s.smiles for s in first]  # stochasticity changes the chain
    assert all(s.smiles or "error" in s.meta for s in first + still)
    fixed_x, fixed_e = model._scaffold("c1ccncc1")
    for sampler in ("flow", "ancestral"):
        x, e, _, _ = model.sample_graphs(4, steps=10, scaffold="c1ccncc1", generator=torch.Generator().manual_seed(4),
                                      sampler=sampler)
        assert torch.equal(x[:, :6], fixed_x.expand(4, -1, -1)) and torch.equal(e[:, :6, :6], fixed_e.expand(4, -1, -1, -1))
    with pytest.raises(ValueError, match="sampler must be one of"):
        model.sample(2, steps=5, sampler="ddim")
    with pytest.raises(ValueError, match="target_guidance applies only to sampler='flow'"):
        model.sample(2, steps=5, sampler="ancestral", target_guidance=1.0)
    with pytest.raises(ValueError, match="stochasticity applies only to sampler='flow'"):
        model.sample(2, steps=5, sampler="ancestral", stochasticity=1.0)
    with pytest.raises(ValueError, match=">= 0"):
        model.sample(2, steps=5, target_guidance=-1.0)
    # a run pins the sampler it started with, so a later change of default cannot change a resumed run
    pinned = {"sampler": "flow", **FLOW_DEFAULTS, **spacing, "projection": False, "target_sizes": True}
    assert model.check_sample_options(steps=steps) == {"steps": steps, **pinned}
    assert model.check_sample_options(steps=10) == {"steps": 10, **ancestral, "projection": False, "target_sizes": True}


def test_step_spacing_crowds_the_steps_towards_the_clean_end(trained):
    from molgen.models.graph_diffusion.model import STEP_SPACING

    model = trained[0]
    timesteps = model.config.timesteps
    for steps in (5, 10, 50, timesteps):
        even = [t for t, *_ in model._schedule(steps, 1.0)]
        assert even == torch.linspace(timesteps, 0, steps + 1).round().long().tolist()[:-1]  # DiGress's levels
        for spacing in (1.5, 2.0, 3.0):
            schedule = model._schedule(steps, spacing)
            levels = [t for t, *_ in schedule] + [schedule[-1][1]]
            assert len(schedule) == steps and levels[0] == timesteps and levels[-1] == 0  # every step moves
            assert all(a > b for a, b in zip(levels, levels[1:]))
            if steps < timesteps:  # more of the steps end in the cleaner half than when spaced evenly
                cleaner = lambda ts: sum(t <= timesteps // 2 for t in ts)
                assert cleaner(levels) > cleaner(even + [0])
    assert STEP_SPACING > 1
    spaced = [s.smiles for s in model.sample(12, seed=1, steps=10)]
    assert spaced == [s.smiles for s in model.sample(12, seed=1, steps=10, step_spacing=STEP_SPACING)]
    assert spaced != [s.smiles for s in model.sample(12, seed=1, steps=10, step_spacing=1.0)]
    with pytest.raises(ValueError, match="step_spacing must be > 0"):
        model.sample(2, steps=5, step_spacing=0.0)


@pytest.mark.parametrize("unpinned, expected", [
    (("step_spacing",), {"step_spacing": 1.0}),
    (("projection",), {"projection": False}),
    (("target_sizes",), {"target_sizes": False}),
    # stored before the flow chain became the default: nothing about the sampler was pinned
    (("sampler", "target_guidance", "stochasticity", "step_spacing"),
     {"sampler": "ancestral", "target_guidance": 0.0, "stochasticity": 0.0, "step_spacing": 1.0}),
])
def test_a_run_stored_before_an_option_was_pinned_resumes_as_it_began(trained, tmp_path, monkeypatch, unpinned, expected):
    from molgen.models.graph_diffusion.model import FLOW_DEFAULTS, STEP_SPACING, GraphDiffusion
    from molgen.runs import RunStore, generate, resume

    store = RunStore(tmp_path / "runs.sqlite")
    run = generate(str(trained[1]), 30, seed=2, max_samples=8, chunk_size=8, store=store, progress=False,
                   sample_options={"steps": 5, "sampler": "flow"})
    pinned = run.record["params"]["sample_options"]
    assert pinned == {"steps": 5, "sampler": "flow", **FLOW_DEFAULTS, "step_spacing": STEP_SPACING,  # new runs pin all
                      "projection": False, "target_sizes": True}
    old = {k: v for k, v in pinned.items() if k not in unpinned}
    store.update_run(run.id, params={**run.record["params"], "sample_options": old})  # as a run stored before
    asked = []
    sample = GraphDiffusion.sample
    monkeypatch.setattr(GraphDiffusion, "sample", lambda self, n, **options: asked.append(options) or sample(self, n, **options))
    resume(run.id, store=store, max_samples=16, progress=False)
    assert asked and all({k: options[k] for k in expected} == expected for options in asked)


def test_step_counts_outside_the_noise_levels_are_refused_and_the_count_run_is_pinned(trained):
    """0 quietly ran the default and 1000 quietly ran 500, while the run recorded 0 or 1000."""
    model = trained[0]
    levels = model.config.timesteps
    for steps in (0, -5, levels + 1, 2.5, True):   # 2.5 failed in torch, a run stored (a review)
        with pytest.raises(ValueError, match=rf"steps must lie in 1\.\.{levels}"):
            model.sample(2, seed=0, steps=steps)
    with pytest.warns(UserWarning, match="guidance 2 pushes towards property targets"):   # ignored, unsaid (a review)
        model.sample(1, seed=0, steps=2, guidance=2.0)
    assert model.check_sample_options()["steps"] == model.resolved_steps() == (model.config.default_steps or levels)
    assert model.check_sample_options(steps=7)["steps"] == 7
    with pytest.raises(ValueError, match="guidance must be 0 or more"):
        model.check_sample_options(guidance=-1.0)


def test_a_property_range_restricts_the_label_prior_to_training_rows_inside_it(trained):
    """Each graph is conditioned on a whole training row (atoms and every label) from inside the range: in
    benchmarks/RESULTS.md that put more samples in range than a target at its middle."""
    model = trained[0]
    kept = model.config.label_prior
    try:
        model.config.label_prior = [[13, 0.55], [21, 0.9], [17, 0.95]]
        steer, how = model.native_conditions(Conditions(ranges={"qed": (0.8, None), "tpsa": (None, 90.0)}))
        assert steer.ranges == {"qed": (0.8, None)} and "2 of 3 training molecules" in how["range qed"]
        assert "range tpsa" not in how   # not a property the model is conditioned on: the filter's
        drawn = model.sample(12, seed=2, steps=5, conditions=steer)
        assert {s.meta["atoms"] for s in drawn} == {21, 17}   # sizes of the rows inside, never the 13
        assert [s.smiles for s in drawn] == [s.smiles for s in model.sample(12, seed=2, steps=5, conditions=steer)]
        # with a target, or no training row inside, the range is left to the run's filter
        steer, how = model.native_conditions(Conditions(targets={"qed": 0.9}, ranges={"qed": (0.6, 1.0)}))
        assert steer.targets == {"qed": 0.9} and not steer.ranges and "range qed" not in how
        steer, how = model.native_conditions(Conditions(ranges={"qed": (0.97, None)}))
        assert not steer.ranges and not how
        with pytest.raises(ValueError, match="no training molecule of the label prior"):
            model.sample(2, seed=0, steps=5, conditions=Conditions(ranges={"qed": (0.97, None)}))
    finally:
        model.config.label_prior = kept


@pytest.mark.parametrize("scaffold, why", [
    ("[#6]1:[#6]:[#6]:[#6]:[#6]:[#6]:1", "is written as SMARTS; graph diffusion grows"),   # not "a radical"
    ("[CH2]C1CCCCC1", "is a radical"),   # SMILES whose bracket atom lacks an H it needs: said as such
    ("c1cccc1", "is not a SMILES molecule"),                 # SMARTS, but no Kekulé structure as SMILES
    ("C" * 80, "heavy atoms; this model's graphs hold at most"),
    ("c1ccccc1.C1CCNCC1", "is written in 2 pieces"),   # a third of the molecules lost the piperidine
    # a deuterium folds away in the graph: it crashed a run after minutes (a code review)
    ("[2H]c1ccc(*)cc1", "holds isotope labels"), ("[13CH3]c1ccccc1", "holds isotope labels"),
])
def test_a_scaffold_inpainting_cannot_hold_is_refused_before_a_run(trained, scaffold, why):
    """Before, these sampled from a broken scaffold (a traceback mid-run) or went filter-only without a word."""
    with pytest.raises(ValueError, match=why):
        trained[0].native_conditions(Conditions(scaffold=scaffold))
    with pytest.raises(ValueError, match=why):   # and by the model's own sample, called directly
        trained[0].sample(1, seed=0, steps=2, conditions=Conditions(scaffold=scaffold))
    steer, how = trained[0].native_conditions(Conditions(scaffold="c1ccncc1"))
    assert steer.scaffold == "c1ccncc1" and "inpainting" in how["scaffold"]


def test_guidance_and_inpainting(trained):
    model = trained[0]
    guided = model.sample(8, seed=3, steps=10, guidance=2.0, conditions=Conditions(targets={"qed": 0.9}))
    assert len(guided) == 8
    with pytest.raises(ValueError, match="not on mw"):
        model.sample(2, conditions=Conditions(targets={"mw": 300}))
    query = Chem.MolFromSmiles("c1ccncc1")
    kept = model.sample(8, seed=4, steps=10, conditions=Conditions(scaffold="c1ccncc1"))
    assert all(Chem.MolFromSmiles(s.smiles).HasSubstructMatch(query) for s in kept if s.smiles)
    assert sum(bool(s.smiles) for s in kept) > 0
    # exactly: the scaffold's atoms and bonds sit unchanged on the first nodes of every sampled graph
    fixed_x, fixed_e = model._scaffold("c1ccncc1")
    x, e, _, _ = model.sample_graphs(8, steps=10, scaffold="c1ccncc1", generator=torch.Generator().manual_seed(4))
    assert torch.equal(x[:, :6], fixed_x.expand(8, -1, -1)) and torch.equal(e[:, :6, :6], fixed_e.expand(8, -1, -1, -1))


def test_a_scaffold_graph_always_has_atoms_beyond_the_scaffold_where_training_sizes_allow(trained, monkeypatch):
    model = trained[0]
    sizes = torch.tensor(model.config.size_counts)
    largest = int(sizes.nonzero().max())
    held = int(sizes.nonzero().min()) + 2   # a scaffold larger than some training molecules
    weights = model.size_weights(held)
    assert weights[:held + 1].sum() == 0 and torch.equal(weights[held + 1:], sizes[held + 1:].float())
    assert torch.equal(model.size_weights(0), sizes.float())
    assert torch.equal(model.size_weights(largest), sizes.float())   # no larger size: the scaffold's own
    # most training molecules as small as a 10-atom scaffold: each of those graphs was the bare scaffold before
    counts = [0] * len(model.config.size_counts)
    counts[6], counts[10], counts[largest] = 50, 50, 1
    monkeypatch.setattr(model.config, "size_counts", counts)
    _, _, mask, _ = model.sample_graphs(32, steps=5, scaffold="c1ccc2ccccc2c1", generator=torch.Generator().manual_seed(1))
    assert set(mask.sum(1).tolist()) == {largest}
    drawn = []   # and through sample(), which draws the sizes of every chunk of a run
    monkeypatch.setattr(model, "sample_sizes", lambda sizes, **kw: drawn.append(sizes) or [None] * len(sizes))
    model.sample(32, seed=1, steps=5, conditions=Conditions(scaffold="c1ccc2ccccc2c1"))
    assert set(torch.cat(drawn).tolist()) == {largest}


def test_sampling_with_training_labels_keeps_each_size_and_is_seeded(trained):
    import numpy as np

    from molgen.models.graph_diffusion.sample import sample_with_labels

    model = trained[0]
    sizes, labels = np.array([9, 14, 9, 20, 12]), np.array([[0.5], [0.8], [0.9], [0.6], [0.7]])
    samples = sample_with_labels(model, sizes, labels, steps=10, seed=3)
    assert [s.meta["atoms"] for s in samples] == sizes.tolist()  # each graph has its own molecule's size
    assert [s.smiles for s in samples] == [s.smiles for s in sample_with_labels(model, sizes, labels, steps=10, seed=3)]
    assert all((not s.smiles) or Chem.MolFromSmiles(s.smiles) is not None for s in samples)
    with pytest.raises(ValueError, match="one row of qed per size"):
        sample_with_labels(model, sizes, labels[:4], steps=10)
    # a row of NaN asks for nothing: the same graphs as untargeted sampling under the same generator
    size = torch.tensor([10, 10, 11])
    absent = model.sample_graphs(3, steps=10, sizes=size, targets=torch.full((3, 1), float("nan")),
                                 generator=torch.Generator().manual_seed(5))
    plain = model.sample_graphs(3, steps=10, sizes=size, generator=torch.Generator().manual_seed(5))
    assert all(torch.equal(a, b) for a, b in zip(absent, plain))
    targeted = model.sample_graphs(3, steps=10, sizes=size, targets=torch.full((3, 1), 25.0),
                                   generator=torch.Generator().manual_seed(5))
    assert not all(torch.equal(a, b) for a, b in zip(targeted, plain))  # a per-graph target reaches the denoiser


def test_untargeted_sampling_follows_the_label_prior_the_checkpoint_carries(trained, tmp_path):
    import json

    import numpy as np

    from molgen.cli import app
    from molgen.data.graphs import featurize
    from molgen.models.graph_diffusion.sample import label_prior
    from molgen.models.smiles_lm.labels import property_labels
    from typer.testing import CliRunner

    model, out = trained[0], trained[1]
    smiles = load_smiles("moses-sample", "train")[:1500]
    graphs = featurize(smiles, model.vocabulary, progress=False)
    labels = property_labels(smiles, ["qed"], n_jobs=1, progress=False)[graphs.source_rows(len(smiles))]
    # fewer training molecules than prior rows: every one, each with its own atom count and label
    assert [row[0] for row in model.config.label_prior] == graphs.num_atoms().tolist()
    assert [row[1] for row in model.config.label_prior] == pytest.approx(labels[:, 0].tolist(), abs=1e-4)
    assert load(str(out)).config.label_prior == model.config.label_prior
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["config"]["label_prior"] == f"{len(graphs)} training molecules' (atoms, qed)"

    kept = model.config.label_prior
    try:
        model.config.label_prior = [[13, 0.7], [21, 0.9]]
        drawn = model.sample(12, seed=2, steps=5)
        assert {s.meta["atoms"] for s in drawn} == {13, 21}  # each graph takes a prior row's size
        assert [s.smiles for s in drawn] == [s.smiles for s in model.sample(12, seed=2, steps=5)]
        assert len({s.meta["atoms"] for s in model.sample(12, seed=2, steps=5, label_prior=False)}) > 2
        assert len({s.meta["atoms"] for s in model.sample(12, seed=2, steps=5, target_sizes=False,
                                                          conditions=Conditions(targets={"qed": 0.8}))}) > 2
        # a target takes the sizes of the prior rows nearest it
        assert {s.meta["atoms"] for s in model.sample(12, seed=2, steps=5,
                                                      conditions=Conditions(targets={"qed": 0.8}))} <= {13, 21}
        assert {s.meta["atoms"] for s in model.sample(6, seed=2, steps=5, num_atoms=16)} == {16}
    finally:
        model.config.label_prior = kept

    rows = label_prior(np.array([5, 6, 7, 8]), np.array([[0.1, 1.0], [np.nan, 2.0], [0.3, 3.0], [0.4, 4.0]]), rows=2, seed=0)
    assert len(rows) == 2 and all(row[0] != 6 for row in rows)  # a molecule with a missing label is left out
    with pytest.raises(ValueError, match="one row per size"):
        label_prior(np.array([5, 6]), np.array([[0.1]]))

    # a conditional checkpoint shipped before priors existed gets one from its training set
    bare = tmp_path / "bare.pt"
    model.config.label_prior = []
    try:
        model.save(bare)
    finally:
        model.config.label_prior = kept
    shipped = tmp_path / "shipped.pt"
    result = CliRunner().invoke(app, ["train", "ship", str(bare), str(shipped), "--label-prior", "moses-sample"])
    assert result.exit_code == 0, result.output
    prior = load(str(shipped)).config.label_prior
    assert len(prior) == 4096 and all(len(row) == 2 and 0 < row[1] < 1 for row in prior)
    refused = CliRunner().invoke(app, ["train", "ship", str(bare), str(tmp_path / "x.pt"), "--label-prior", "no-such-data"])
    assert refused.exit_code == 2


DENOISER_CHOICES = [{}, {"extra_features": True}, {"spectral_features": True, "valence_features": True},
                    {"edge_products": True},
                    {"extra_features": True, "spectral_features": True, "valence_features": True, "edge_products": True,
                     "path_features": True},
                    {"aromatic_bonds": True, "extra_features": True, "spectral_features": True, "valence_features": True,
                     "edge_products": True}]


@pytest.mark.parametrize("features", DENOISER_CHOICES)
def test_padding_does_not_change_the_denoiser(trained, features):
    """Sampling groups graphs by size, which is only sound if padding nodes change nothing."""
    from molgen.chem.graph import mol_to_graph

    model = trained[0]
    if features:
        torch.manual_seed(1)
        model, _ = build_model(load_smiles("moses-sample", "train")[:300], hidden_dim=32, edge_dim=8, heads=2, layers=2,
                               timesteps=50, **features)
    graphs = [mol_to_graph(Chem.MolFromSmiles(s), model.vocabulary, aromatic=model.config.aromatic_bonds)
              for s in ("CCOc1ccccc1", "CC(=O)Nc1ccc(O)cc1")]
    x, e, mask = dense_batch(graphs, model.config.num_atom_types, num_bond_classes=model.config.num_bond_classes)
    xp, ep, maskp = dense_batch(graphs, model.config.num_atom_types, n=30, num_bond_classes=model.config.num_bond_classes)
    y = model.y_vector(torch.full((2,), 40), None)
    with torch.no_grad():
        (ax, ae), (bx, be) = model.denoiser(x, e, y, mask), model.denoiser(xp, ep, y, maskp)
    n, pairs = x.shape[1], mask[:, :, None] & mask[:, None, :]
    assert torch.allclose(ax[mask], bx[:, :n][mask], atol=1e-5)
    assert torch.allclose(ae[pairs], be[:, :n, :n][pairs], atol=1e-5)


def _simple_cycles_through_each_atom(mol, k: int) -> list[int]:
    """Brute force: every simple k-cycle, as a set of bonds, then how many pass through each atom."""
    neighbours = {a.GetIdx(): {n.GetIdx() for n in a.GetNeighbors()} for a in mol.GetAtoms()}
    cycles = set()

    def extend(path):
        if len(path) == k:
            if path[0] in neighbours[path[-1]]:
                cycles.add(frozenset(frozenset(pair) for pair in zip(path, path[1:] + path[:1])))
            return
        for j in neighbours[path[-1]] - set(path):
            extend(path + [j])

    for atom in neighbours:
        extend([atom])
    return [sum(any(atom in bond for bond in cycle) for cycle in cycles) for atom in neighbours]


@pytest.mark.parametrize("smiles", ["c1ccc2ccccc2c1", "C1CC2CC1C2", "C12C3C4C1C5C2C3C45", "C1CC1C1CCC1", "C1C2CC12",
                                    "c1ccc2[nH]ccc2c1", "CCO"])
def test_cycle_features_count_three_and_four_rings_exactly(smiles):
    from molgen.models.graph_diffusion.features import cycle_features

    mol = Chem.MolFromSmiles(smiles)
    n = mol.GetNumAtoms()
    e = torch.zeros(1, n + 2, n + 2, 4)  # two padding atoms, which must change nothing
    e[..., 0] = 1
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        e[0, i, j] = e[0, j, i] = torch.tensor([0.0, 1.0, 0.0, 0.0])
    mask = torch.arange(n + 2)[None] < n
    nodes, graphs = cycle_features(e, mask)
    for k, column in ((3, 0), (4, 1)):
        expected = _simple_cycles_through_each_atom(mol, k)
        assert nodes[0, :n, column].tolist() == [float(x) for x in expected]
        assert graphs[0, column].item() == pytest.approx(sum(expected) / k)
    assert (nodes[0, n:] == 0).all() and graphs[0, 2].item() == pytest.approx(n / 40)


@pytest.mark.parametrize("features", DENOISER_CHOICES[1:])
def test_a_denoiser_with_features_or_edge_products_trains_samples_and_round_trips(tmp_path, features):
    smiles = load_smiles("moses-sample", "train")[:300]
    torch.manual_seed(0)
    model, _ = build_model(smiles, hidden_dim=32, edge_dim=8, heads=2, layers=2, timesteps=50, **features)
    card = train(model, smiles[:250], smiles[250:], TrainConfig(batch_size=32, max_steps=20, eval_every=20, warmup_steps=2,
                                                               lr=2e-3), tmp_path / "x.pt", progress=False)
    assert card["training"]["valid_loss"] > 0
    again = load(tmp_path / "x.pt")
    assert all(getattr(again.config, name) == value for name, value in features.items())
    assert [s.smiles for s in again.sample(4, seed=1, steps=5)] == [s.smiles for s in model.sample(4, seed=1, steps=5)]


def test_the_number_of_atoms_can_be_fixed_or_ranged(trained):
    model = trained[0]
    # graphs are denoised grouped by size, and come back in the order their sizes were drawn
    drawn = torch.randint(5, 20, (40,), generator=torch.Generator().manual_seed(9)).tolist()
    assert [s.meta["atoms"] for s in model.sample(40, seed=9, steps=2, num_atoms=(5, 19))] == drawn
    assert {s.meta["atoms"] for s in model.sample(6, seed=6, steps=5, num_atoms=12)} == {12}
    assert all(9 <= s.meta["atoms"] <= 11 for s in model.sample(10, seed=6, steps=5, num_atoms=(9, 11)))
    with pytest.raises(ValueError, match="num_atoms"):
        model.sample(2, num_atoms=(8, 5))
    # a fraction sampled graphs of its whole part, unsaid (a review); a string or three numbers are no count either
    for bad in (12.7, "12", (8, 10, 12), (8.5, 10)):
        with pytest.raises(ValueError, match="num_atoms is a whole number of atoms or a \\(low, high\\) pair"):
            model.sample(2, num_atoms=bad)
    # refused before a run is stored, and pinned as JSON holds it
    with pytest.raises(ValueError, match="num_atoms"):
        model.check_sample_options(num_atoms=12.7)
    assert model.check_sample_options(num_atoms=(9, np.int64(11)))["num_atoms"] == [9, 11]
    assert model.check_sample_options(num_atoms=np.int64(12))["num_atoms"] == 12
    # a whole float is its count: a run stored with 12.0 resumed as failed (a review of the fix)
    assert model.check_sample_options(num_atoms=12.0)["num_atoms"] == 12
    assert {s.meta["atoms"] for s in model.sample(3, seed=6, steps=5, num_atoms=(12.0, 12))} == {12}
    with pytest.raises(ValueError, match="the scaffold holds 9 atoms"):
        model.check_sample_options(num_atoms=8, scaffold="c1ccc2[nH]ccc2c1")


def test_inpaint_analogues_keep_the_seed_scaffold_with_provenance(trained):
    from molgen.augment import analogues

    seeds = ["Cc1ccc(C(=O)Nc2ccccn2)cc1", "CCO"]  # the second has no ring scaffold
    kept, removed = analogues(seeds, methods=["inpaint"], min_similarity=0.0, max_similarity=0.99, per_seed=10,
                              samples_per_seed=24, diffusion_steps=10, diffusion_checkpoint=str(trained[1]), seed=1)
    assert kept["method"].eq("analogue:inpaint").all() and kept["checkpoint"].str.startswith("d.pt sha256:").all()
    core = Chem.MolFromSmiles("c1ccc(C(=O)Nc2ccccn2)cc1")
    assert len(kept) > 0 and all(Chem.MolFromSmiles(s).HasSubstructMatch(core) for s in kept["smiles"])
    assert kept["params"].str.contains('"scaffold"').all()
    assert removed["removed_because"].str.contains("no ring scaffold").any()
    from molgen.models.base import shipped_checkpoint

    with pytest.raises(ValueError, match="not 'graph-diffusion'"):
        analogues(seeds[:1], methods=["inpaint"], diffusion_checkpoint=str(shipped_checkpoint("smiles-lm")))


def test_checkpoint_round_trip_and_errors(trained, tmp_path):
    model, out, _, _ = trained
    again = load(out)
    assert isinstance(again, GraphDiffusion)
    assert [s.smiles for s in again.sample(4, seed=5, steps=5)] == [s.smiles for s in model.sample(4, seed=5, steps=5)]
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError):
        GraphDiffusion.load(broken)
    # a checkpoint from before the aromatic scheme (no such config field) is a Kekulé model
    payload = torch.load(out, weights_only=True)
    del payload["config"]["aromatic_bonds"]
    torch.save(payload, tmp_path / "old.pt")
    old = GraphDiffusion.load(tmp_path / "old.pt")
    assert not old.config.aromatic_bonds and old.config.num_bond_classes == 4
    assert [s.smiles for s in old.sample(4, seed=5, steps=5)] == [s.smiles for s in model.sample(4, seed=5, steps=5)]


def _bonds_tensor(mol, padding: int = 0, aromatic: bool = False):
    """One-hot bond classes of ``mol`` (Kekulé, or with the aromatic class) with ``padding`` empty atoms after its own."""
    mol = Chem.Mol(mol)
    if not aromatic:
        Chem.Kekulize(mol, clearAromaticFlags=True)
    n, c = mol.GetNumAtoms(), 5 if aromatic else 4
    e = torch.zeros(1, n + padding, n + padding, c)
    e[..., 0] = 1
    classes = {Chem.BondType.SINGLE: 1, Chem.BondType.DOUBLE: 2, Chem.BondType.TRIPLE: 3, Chem.BondType.AROMATIC: 4}
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        e[0, i, j] = e[0, j, i] = torch.nn.functional.one_hot(torch.tensor(classes[bond.GetBondType()]), c).float()
    return e, torch.arange(n + padding)[None] < n


@pytest.mark.parametrize("smiles", ["CCOc1ccccc1", "CC.OCC", "C1CC1C(=O)O.N.Cl", "CC(=O)Nc1ccc(O)cc1", "C"])
def test_spectral_features_match_the_laplacian_and_the_components(smiles):
    import numpy as np

    from molgen.models.graph_diffusion.features import spectral_features

    mol = Chem.MolFromSmiles(smiles)
    n = mol.GetNumAtoms()
    e, mask = _bonds_tensor(mol, padding=3)
    nodes, graphs = spectral_features(e, mask)
    fragments = Chem.GetMolFrags(mol)
    assert graphs[0, 0].item() * 5 == pytest.approx(len(fragments))
    largest = max(len(f) for f in fragments)
    for fragment in fragments:
        for atom in fragment:
            assert nodes[0, atom, 2].item() == pytest.approx(len(fragment) / n)
            assert nodes[0, atom, 3].item() == float(len(fragment) == largest)
    # the lowest non-zero eigenvalues, against numpy on RDKit's adjacency matrix
    adjacency = Chem.GetAdjacencyMatrix(mol).astype(float)
    spectrum = np.linalg.eigvalsh(np.diag(adjacency.sum(1)) - adjacency)[len(fragments):][:5]
    expected = np.zeros(5)
    expected[:len(spectrum)] = spectrum
    assert graphs[0, 1:].numpy() * 4 == pytest.approx(expected, abs=1e-4)
    assert (nodes[0, n:] == 0).all()
    # eigenvector signs are fixed: the largest entry of each is positive
    vectors = nodes[0, :n, :2]
    assert (vectors.gather(0, vectors.abs().argmax(0, keepdim=True)) >= 0).all()
    # padding changes nothing, eigenvector signs included
    unpadded_nodes, unpadded_graphs = spectral_features(*_bonds_tensor(mol))
    assert torch.allclose(unpadded_nodes[0], nodes[0, :n], atol=1e-4)
    assert torch.allclose(unpadded_graphs, graphs, atol=1e-4)


@pytest.mark.parametrize("aromatic", [False, True])
@pytest.mark.parametrize("smiles", ["c1ccccc1C(=O)O", "C#CC=CN", "OS(=O)(=O)c1ccccc1.Cl", "c1ccc2[nH]ccc2c1"])
def test_valence_features_are_the_bond_order_sums(smiles, aromatic):
    """Kekulé orders, or with aromatic bonds RDKit's 1.5 each."""
    from molgen.models.graph_diffusion.features import valence_features

    mol = Chem.MolFromSmiles(smiles)
    form = Chem.Mol(mol)
    if not aromatic:
        Chem.Kekulize(form, clearAromaticFlags=True)
    e, mask = _bonds_tensor(mol, padding=2, aromatic=aromatic)
    nodes, graphs = valence_features(e, mask)
    expected = [sum(b.GetBondTypeAsDouble() for b in atom.GetBonds()) for atom in form.GetAtoms()]
    assert (nodes[0, :mol.GetNumAtoms(), 0] * 4).tolist() == pytest.approx(expected)
    assert (nodes[0, mol.GetNumAtoms():] == 0).all()
    assert graphs[0, 0].item() * 4 == pytest.approx(sum(expected) / len(expected))


def test_dense_batches_turn_back_into_the_same_molecules(trained):
    """dense_batch writes all atoms and bonds in one indexed step; padding it to 30 atoms and
    reading it back must give each input molecule, triple bonds, hexavalent sulfur and a lone atom included."""
    from molgen.chem.graph import mol_to_graph

    model = trained[0]
    smiles = ["C#Cc1ccc(C(=O)O)cc1", "C", "CC(C)N1CCOCC1", "c1ccc2[nH]ccc2c1", "FC(F)(F)S(=O)(=O)Cl"]
    graphs = [mol_to_graph(Chem.MolFromSmiles(s), model.vocabulary) for s in smiles]
    x, e, mask = dense_batch(graphs, model.config.num_atom_types, n=30)
    assert x.shape[:2] == (len(smiles), 30) and mask.sum(1).tolist() == [g.num_atoms for g in graphs]
    pairs = mask[:, :, None] & mask[:, None, :] & ~torch.eye(30, dtype=torch.bool)
    assert (e[pairs].sum(-1) == 1).all() and (e[~pairs] == 0).all() and torch.equal(e, e.transpose(1, 2))
    back = [s.smiles for s in model._to_samples(x, e, mask)]
    assert back == [Chem.CanonSmiles(s) for s in smiles]


def test_a_scaffold_keeps_its_own_fragment_even_when_smaller(trained):
    """Inpainting puts the scaffold on the first nodes; a graph in two pieces keeps that piece
    (here a benzene beside a larger decane), where an untargeted sample keeps the largest."""
    from molgen.chem.graph import mol_to_graph

    model = trained[0]
    graph = mol_to_graph(Chem.MolFromSmiles("c1ccccc1.CCCCCCCCCC"), model.vocabulary)
    assert list(graph.atoms[:6]) == [graph.atoms[0]] * 6   # the benzene's carbons come first
    x, e, mask = dense_batch([graph], model.config.num_atom_types)
    assert model._to_samples(x, e, mask)[0].smiles == "CCCCCCCCCC"
    kept = model._to_samples(x, e, mask, scaffold_atoms=6)[0]
    assert kept.smiles == "c1ccccc1" and kept.meta["fragments"] == 2
    assert kept.meta["added_atoms"] == 0   # the bare scaffold: a run counts it apart from the molecules grown


def test_aromatic_bonds_read_back_and_inpaint_exactly():
    """With the aromatic class a dense batch still reads back into its molecules ([nH] and a
    non-aromatic ring included), and an aromatic scaffold is held with its aromatic bonds."""
    from molgen.chem.graph import mol_to_graph

    torch.manual_seed(0)
    model, dataset = build_model(load_smiles("moses-sample", "train")[:300], hidden_dim=32, edge_dim=8, heads=2, layers=2,
                                 timesteps=50, aromatic_bonds=True)
    assert model.config.num_bond_classes == 5 and len(model.config.edge_marginals) == 5
    assert model.config.edge_marginals[4] > model.config.edge_marginals[2]  # MOSES has more aromatic than double bonds
    smiles = ["C#Cc1ccc(C(=O)O)cc1", "C", "O=C1CCCN1", "c1ccc2[nH]ccc2c1", "Cc1ncc(Cl)s1"]
    graphs = [mol_to_graph(Chem.MolFromSmiles(s), model.vocabulary, aromatic=True) for s in smiles]
    x, e, mask = dense_batch(graphs, model.config.num_atom_types, n=24, num_bond_classes=5)
    assert [s.smiles for s in model._to_samples(x, e, mask)] == [Chem.CanonSmiles(s) for s in smiles]
    fixed_x, fixed_e = model._scaffold("c1ccncc1")
    assert (fixed_e.argmax(-1).triu(1) == 4).sum() == 6  # six aromatic ring bonds
    from molgen.models.graph_diffusion.train import model_graphs

    assert (model_graphs(model, smiles).bond_types == 3).any()  # what training reads is in the aromatic scheme
    # an aromatic N marked for a group is held as a bare n, not the [nH] the * read as a hydrogen gives (whose
    # pinned H left no valence for the group); unmarked, the indole's [nH] keeps its H
    types = [t.label for t in model.vocabulary.types]
    assert types[int(model._scaffold("*n1ccc2ccccc21")[0][0].argmax())] == "N"
    assert types[int(model._scaffold("[*:1]n1ccc2ccccc21")[0][0].argmax())] == "N"   # bracketed: no implicit H
    assert types[int(model._scaffold("c1ccc2[nH]ccc2c1")[0][4].argmax())] == "N[H1]"


def test_inpainting_keeps_a_written_nh_and_puts_back_another_element():
    """A scaffold's [nH] (type N[H1]) keeps its hydrogen, as the run's filter reads the scaffold
    (SMARTS: exactly one H), so it ends as N[H1] and takes no bond to the rest of the graph; an atom
    of another element or charge is put back to the scaffold's."""
    torch.manual_seed(0)
    model, _ = build_model(load_smiles("moses-sample", "train")[:300] + ["Cn1ccc2ccccc21"], hidden_dim=32, edge_dim=8,
                           heads=2, layers=2, timesteps=50, aromatic_bonds=True)
    types = [t.label for t in model.vocabulary.types]
    scaffold = "c1ccc2[nH]ccc2c1"
    fixed = model._held(scaffold)
    nh = fixed[0].argmax(-1).tolist().index(types.index("N[H1]"))
    assert fixed[2].tolist() == [i == nh for i in range(9)]  # only the atom written with its H is closed
    x = torch.nn.functional.one_hot(torch.full((3, 12), types.index("C")), len(types)).float()
    x[0, nh, types.index("N")], x[0, nh, types.index("C")] = 1, 0     # the H lost: put back
    x[1, 0, types.index("O")], x[1, 0, types.index("C")] = 1, 0       # another element: put back
    e = torch.zeros(3, 12, 12, 5)
    e[:, nh, 9, 1] = e[:, 9, nh, 1] = 1                               # a substituent on the NH: removed
    mask = torch.ones(3, 12, dtype=torch.bool)
    mask[2, 11] = False
    x, e = model._inpaint(x, e, fixed, 0, mask, None)
    assert [types[i] for i in x[:, nh].argmax(-1).tolist()] == ["N[H1]"] * 3
    assert torch.equal(x[:, :9], fixed[0].expand(3, -1, -1)) and torch.equal(e[:, :9, :9], fixed[1].expand(3, -1, -1, -1))
    outside = e[:, nh, 9:]
    assert (outside.argmax(-1) == 0).all() and torch.equal(outside.sum(-1), mask[:, 9:].float())  # padding stays empty
    assert torch.equal(e, e.transpose(1, 2))
    with pytest.raises(ValueError, match="edge classes"):
        dense_batch([model_graphs_of(model, "c1ccccc1")], model.config.num_atom_types)  # 5 classes needed, 4 given


def test_a_scaffold_held_by_inpainting_passes_the_runs_filter(trained):
    """Sampled with an indole scaffold, a molecule that holds it also passes the filter a run applies
    (the scaffold read as SMARTS, where [nH] must keep its H): the NH takes no substituent."""
    from molgen.scoring.similarity import has_substructure, substructure_query

    model = trained[0]
    scaffold = "c1ccc2[nH]ccc2c1"
    assert model._closed_atoms(scaffold).tolist() == [i == 4 for i in range(9)]
    assert not model._closed_atoms("c1ccncc1").any()
    x, e, mask, _ = model.sample_graphs(16, steps=10, scaffold=scaffold, generator=torch.Generator().manual_seed(2))
    assert (e[:, 4, 9:].argmax(-1) == 0).all() and torch.equal(e[:, 4, 9:].sum(-1), mask[:, 9:].float())
    loose, strict = Chem.MolFromSmiles(scaffold), substructure_query(scaffold)
    held = [m for m in (Chem.MolFromSmiles(s.smiles) for s in model.sample(24, seed=2, steps=10,
                                                                         conditions=Conditions(scaffold=scaffold)) if s.smiles)
            if m is not None and m.HasSubstructMatch(loose)]
    assert held and all(has_substructure(m, strict) for m in held)


def test_inpainting_opens_every_atom_when_asked_as_analogues_of_a_seed_do(trained, monkeypatch):
    """A seed's Murcko core writes a de-substituted aromatic N as [nH]: analogues open it, so the
    seed's own N-substituent can come back."""
    model = trained[0]
    seen = []
    inpaint = type(model)._inpaint
    monkeypatch.setattr(type(model), "_inpaint", lambda self, xt, et, fixed, *rest, **options:
                        seen.append(fixed[2].tolist()) or inpaint(self, xt, et, fixed, *rest, **options))
    model.sample(4, seed=1, steps=5, conditions=Conditions(scaffold="c1ccc2[nH]ccc2c1"), keep_scaffold_hydrogens=False)
    assert seen and all(not any(closed) for closed in seen)
    seen.clear()
    model.sample(4, seed=1, steps=5, conditions=Conditions(scaffold="c1ccc2[nH]ccc2c1"))
    assert seen and all(closed == [i == 4 for i in range(9)] for closed in seen)


def test_attachment_points_are_where_inpainting_bonds_new_atoms(trained):
    """An R-group table's scaffold (``*`` at each position to vary) was refused; now the new atoms bond at the marked
    atoms only, each ``*`` standing for the hydrogen it replaces, and a run's filter asks for a group at each."""
    from molgen.models.graph_diffusion.model import scaffold_core

    core, anchors = scaffold_core("[*:1]c1ccc2ncncc2c1*")
    assert Chem.MolToSmiles(core) == "c1ccc2ncncc2c1" and sum(anchors) == 2
    assert Chem.MolToSmiles(scaffold_core("*n1ccnc1")[0]) == "c1c[nH]cn1"   # the * was the NH's substituent
    assert Chem.MolToSmiles(scaffold_core("*/C=C/c1ccccc1")[0]) == "C=Cc1ccccc1"   # a * fixing E/Z goes too
    assert scaffold_core("c1ccncc1")[1] is None
    for bad in ("*=C1CCCC1", "C1CC*CC1", "*"):
        with pytest.raises(ValueError, match="must hang off one scaffold atom by a single bond"):
            trained[0].native_conditions(Conditions(scaffold=bad))
    # the shipped model (the tiny one here bonds nothing to any scaffold): new atoms bond at the mark, nowhere else
    from molgen.models.base import checkpoint_path

    model, written = load(checkpoint_path("graph-diffusion")), "CNCCC(Oc1ccc(*)cc1)c1ccccc1"
    steer, how = model.native_conditions(Conditions(scaffold=written))
    assert steer.scaffold == written and how["scaffold"].endswith("new atoms bonded at the attachment points (*) only")
    anchor, k = scaffold_core(written)[1].index(True), 18
    assert model._closed_atoms(written).tolist() == [i != anchor for i in range(k)]
    x, e, mask, _ = model.sample_graphs(16, scaffold=written, generator=torch.Generator().manual_seed(2),
                                        keep_scaffold_hydrogens=False)   # the * wins over opening every atom
    bonded = (e[:, :k, k:].argmax(-1) > 0).any(-1)      # (graph, scaffold atom): bonded to a new atom
    assert not bonded[:, [i for i in range(k) if i != anchor]].any()
    # the mark takes one new atom, by a single bond, in every graph that has new atoms (it was 4 in 16 at least)
    grew = mask[:, k:].any(-1)
    assert grew.sum() >= 8 and torch.equal(e[grew, anchor, k:].argmax(-1).gt(0).sum(-1), torch.ones(int(grew.sum()), dtype=torch.long))
    assert set(e[grew, anchor, k:].argmax(-1).unique().tolist()) == {0, 1}
    fixed_x, fixed_e = model._scaffold(written)
    assert torch.equal(x[:, :k], fixed_x.expand(16, -1, -1)) and torch.equal(e[:, :k, :k], fixed_e.expand(16, -1, -1, -1))
    # a molecule larger than the scaffold carries its new group at the mark, as the run's filter reads it
    from molgen.scoring.similarity import has_substructure, substructure_query

    # an attachment point numbered as an R-group table numbers it ([1*]) is any atom to the filter, not mass 1
    assert has_substructure(Chem.MolFromSmiles("Cc1ccncc1"), substructure_query("[1*]c1ccncc1"))
    assert not has_substructure(Chem.MolFromSmiles("c1ccncc1"), substructure_query("[1*]c1ccncc1"))
    # a scaffold drawn in Kekulé form is read as SMILES: its * matched nothing, now any atom
    assert has_substructure(Chem.MolFromSmiles("Cc1ccncc1"), substructure_query("[*:1]C1=CC=NC=C1"))
    # and its bond to the ring single or aromatic, as the aromatic spelling's (naphthalene holds both)
    naphthalene = Chem.MolFromSmiles("c1ccc2ccccc2c1")
    assert has_substructure(naphthalene, substructure_query("*C1=CC=CC=C1"))
    assert has_substructure(naphthalene, substructure_query("*c1ccccc1"))
    query = substructure_query(written)
    grown = [m for m in (Chem.MolFromSmiles(s.smiles) for s in model.sample(16, seed=2, conditions=Conditions(
        scaffold=written))) if m is not None and m.GetNumAtoms() > k]
    assert len(grown) >= 4 and all(has_substructure(m, query) for m in grown)


def test_each_attachment_point_takes_one_new_atom_by_a_single_bond():
    """The chain draws each pair's bond apart from the others: a marked ring carbon took two or three new atoms
    (valence 5 or 6) or none (the new atoms a fragment apart, the bare scaffold). Each * is now one group by a single
    bond: the drawn bond the last prediction held likeliest is kept, or, with none drawn, the likeliest added; two
    marks take two different new atoms; before any prediction drawn bonds are only thinned, at random."""
    from molgen.models.graph_diffusion.model import GraphDiffusion

    k, n, classes = 3, 7, 4
    marks = torch.tensor([1, 0, 1])                  # atoms 0 and 2 bear a *
    mask = torch.ones(2, n, dtype=torch.bool)
    mask[1, 6] = False                              # graph 1 is one atom smaller
    et = torch.zeros(2, n, n, classes)
    et[..., 0] = 1
    def bond(graph, a, b, order):
        et[graph, a, b] = et[graph, b, a] = torch.nn.functional.one_hot(torch.tensor(order), classes).float()
    for new, order in ((3, 2), (4, 1), (5, 3)):     # graph 0: atom 0 drawn to three new atoms, one double, one triple
        bond(0, 0, new, order)
    bond(0, 2, 4, 1)                               # and atom 2 to atom 0's likeliest
    belief = torch.zeros(2, n, n)
    belief[0, 0, 4], belief[0, 0, 5], belief[0, 0, 3] = 0.9, 0.5, 0.1
    belief[0, 2, 4], belief[0, 2, 6] = 0.8, 0.7
    belief[1, 0, 6] = 0.99                          # padding: never chosen
    belief[1, 0, 5], belief[1, 2, 5], belief[1, 2, 3] = 0.3, 0.6, 0.2   # graph 1: nothing drawn at the marks
    original = et.clone()
    GraphDiffusion._bonds_at_the_marks(et, marks, k, mask, None, belief)
    def partners(graph, atom):
        return {j: int(et[graph, atom, j].argmax()) for j in range(k, n) if et[graph, atom, j].argmax() > 0}
    assert partners(0, 0) == {4: 1} and partners(0, 2) == {6: 1}      # atom 4 is atom 0's; atom 2 takes the next
    assert partners(1, 0) == {5: 1} and partners(1, 2) == {3: 1}
    assert torch.equal(et, et.transpose(1, 2)) and (et[1, [0, 2], 6] == 0).all()   # nothing drawn to padding
    assert torch.equal(et[:, 1], original[:, 1])   # an unmarked atom untouched
    # before the first prediction: drawn bonds thinned to one, at random under the generator, none added
    et = original.clone()
    GraphDiffusion._bonds_at_the_marks(et, marks, k, mask, torch.Generator().manual_seed(0), None)
    assert len(partners(0, 0)) == 1 and set(partners(0, 0)) <= {3, 4, 5} and partners(1, 0) == {} and partners(1, 2) == {}


def test_a_marked_atom_keeps_its_held_type_and_the_projection_keeps_its_valence():
    """From a code review: with aromatic types, a marked N sampled as [nH] kept that type with its forced group (N of
    valence 5); and after the projection dropped a mark's bond to a full atom, the last inpainting added it back."""
    torch.manual_seed(0)
    model, _ = build_model(load_smiles("moses-sample", "train")[:300] + ["Cn1ccnc1"], hidden_dim=32, edge_dim=8,
                           heads=2, layers=2, timesteps=50, aromatic_bonds=True)
    types = [t.label for t in model.vocabulary.types]
    fixed = model._held("*n1ccnc1")
    anchor = fixed[3].tolist().index(1)
    assert types[int(fixed[0][anchor].argmax())] == "N"   # held substituted, not [nH]
    x = fixed[0].expand(2, -1, -1).clone()
    x = torch.cat([x, torch.nn.functional.one_hot(torch.full((2, 2), types.index("C")), len(types)).float()], 1)
    x[:, anchor] = torch.nn.functional.one_hot(torch.tensor(types.index("N[H1]")), len(types)).float()
    e = torch.zeros(2, 7, 7, model.config.num_bond_classes)
    e[..., 0] = 1
    x, e = model._inpaint(x, e, fixed, 0, torch.ones(2, 7, dtype=torch.bool), None, torch.rand(2, 7, 7))
    assert [types[i] for i in x[:, anchor].argmax(-1).tolist()] == ["N", "N"]
    assert (e[:, anchor, 5:].argmax(-1) > 0).sum(-1).tolist() == [1, 1]
    # the shipped model, projected: every graph valid (3 of 48 had a carbon of valence 5 again)
    from molgen.models.base import checkpoint_path

    shipped = load(checkpoint_path("graph-diffusion"))
    samples = shipped.sample(48, seed=1, steps=20, projection=True, conditions=Conditions(scaffold="*c1ccc2ncncc2c1*"))
    assert all(s.smiles for s in samples), [s.meta.get("reason") for s in samples if not s.smiles]


def test_a_kill_mid_training_finishes_the_step_and_checkpoints_it(tmp_path, monkeypatch):
    """``kill`` (SIGTERM) ended a training run where it stood, losing every step since the last evaluation, as
    Ctrl-C did for the graph families: now either finishes the step under way, validates, checkpoints, and stops."""
    import os
    import signal

    from molgen.models.training import Terminated, state_path

    smiles = load_smiles("moses-sample", "train")[:200]
    torch.manual_seed(0)
    model, _ = build_model(smiles, hidden_dim=16, edge_dim=4, heads=2, layers=1, timesteps=20)
    calls = {"n": 0}
    real_loss = type(model).loss

    def killed_at_the_third(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return real_loss(self, *args, **kwargs)

    monkeypatch.setattr(type(model), "loss", killed_at_the_third)
    before = signal.getsignal(signal.SIGTERM)
    out = tmp_path / "d.pt"
    with pytest.raises(Terminated):   # the command then exits 143, as a killed process does
        train(model, smiles[:150], smiles[150:], TrainConfig(batch_size=16, max_steps=50, eval_every=1000,
                                                             warmup_steps=1), out, progress=False)
    assert torch.load(state_path(out.with_suffix(".last.pt")), weights_only=True)["step"] == 3
    assert out.is_file() and signal.getsignal(signal.SIGTERM) == before   # the best so far, and the handler back


def model_graphs_of(model, smiles):
    from molgen.chem.graph import mol_to_graph

    return mol_to_graph(Chem.MolFromSmiles(smiles), model.vocabulary, aromatic=model.config.aromatic_bonds)


def test_edge_products_are_the_bilinear_forms_of_each_atom_pair():
    from molgen.models.graph_diffusion.denoiser import PAIR_RANK, GraphTransformerLayer

    torch.manual_seed(0)
    layer = GraphTransformerLayer(16, 6, 4, edge_products=True)
    h = torch.randn(2, 5, 16)
    left, right = layer.pair(h).view(2, 5, 2, 6, PAIR_RANK).unbind(2)
    got = layer.pair_products(h)
    for b, i, j, c in ((0, 0, 1, 0), (1, 4, 2, 5), (1, 3, 3, 2)):
        expected = (left[b, i, c] * right[b, j, c]).sum() / PAIR_RANK ** 0.5
        assert got[b, i, j, c].item() == pytest.approx(expected.item(), abs=1e-5)


@pytest.mark.parametrize("smiles", ["CCOc1ccccc1", "C1CCCCCCCCC1C", "CC.OCC", "C1CC1C(=O)O.N.Cl", "C"])
def test_path_features_are_rdkit_bond_distances(smiles):
    """Distance 1 to 7 one-hot, then "farther", then "another fragment"; nothing on the diagonal or padding."""
    import numpy as np

    from molgen.models.graph_diffusion.features import PATH_MAX_DISTANCE, path_features

    mol = Chem.MolFromSmiles(smiles)
    n = mol.GetNumAtoms()
    e, mask = _bonds_tensor(mol, padding=2)
    features = path_features(e, mask)[0]
    distance = Chem.GetDistanceMatrix(mol)   # 1e8 between fragments
    expected = np.zeros((n, n, PATH_MAX_DISTANCE + 2))
    for i in range(n):
        for j in range(n):
            if i != j:
                d = distance[i, j]
                expected[i, j, int(d) - 1 if d <= PATH_MAX_DISTANCE else PATH_MAX_DISTANCE + (d > 1000)] = 1
    assert features[:n, :n].numpy().tolist() == expected.tolist()
    assert (features[n:] == 0).all() and (features[:, n:] == 0).all()


def test_projection_keeps_every_atom_in_valence_and_every_ring_in_the_limit_and_says_so(trained):
    model = trained[0]
    smiles = load_smiles("moses-sample", "train")[:1500]
    mols = [Chem.MolFromSmiles(s) for s in smiles]  # held: ring info lives only as long as its molecule
    largest = max(len(ring) for mol in mols for ring in mol.GetRingInfo().AtomRings())
    assert model.config.max_ring_size == largest  # recorded from the training molecules
    plain = model.sample(32, seed=6, steps=10)
    projected = model.sample(32, seed=6, steps=10, projection=True)
    assert all(s.smiles for s in projected)  # within every atom's capacity: nothing fails to sanitize
    sampled = [Chem.MolFromSmiles(s.smiles) for s in projected]
    rings = [len(r) for mol in sampled for r in mol.GetRingInfo().AtomRings()]
    assert max(rings, default=0) <= model.config.max_ring_size
    assert all(s.meta["projected_bonds"] >= 0 for s in projected) and not any("projected_bonds" in s.meta for s in plain)
    assert [s.smiles for s in projected] == [s.smiles for s in model.sample(32, seed=6, steps=10, projection=True)]
    assert all(s.smiles for s in model.sample(16, seed=6, steps=10, sampler="flow", projection=True))  # either sampler
    # a held scaffold stays exact under the projection
    fixed_x, fixed_e = model._scaffold("c1ccncc1")
    x, e, _, changed = model.sample_graphs(8, steps=10, scaffold="c1ccncc1", generator=torch.Generator().manual_seed(4),
                                           projection=True)
    assert torch.equal(x[:, :6], fixed_x.expand(8, -1, -1)) and torch.equal(e[:, :6, :6], fixed_e.expand(8, -1, -1, -1))
    assert changed.shape == (8,)
    assert model.check_sample_options(steps=10, projection=True)["projection"] is True


def test_projection_repairs_a_denoiser_that_bonds_every_pair_of_carbons(trained, monkeypatch):
    """A denoiser sure that every atom is carbon and every pair bonded: as sampled nothing is valid;
    projected, every molecule is valid, within the ring limit, and counts the bonds it lost."""
    model = trained[0]
    cfg = model.config

    def everything_bonded(xt, et, y, mask):
        logits_x = torch.zeros(*mask.shape, cfg.num_atom_types)
        logits_x[..., 0] = 10.0  # type 0, the commonest atom: carbon
        logits_e = torch.zeros(*mask.shape, mask.shape[1], cfg.num_bond_classes)
        logits_e[..., 1] = 10.0  # a single bond between every pair
        return logits_x, logits_e

    assert model.vocabulary.types[0].symbol == "C"
    monkeypatch.setattr(model.denoiser, "forward", everything_bonded)
    plain = model.sample(8, seed=1, steps=10, num_atoms=(8, 12))
    assert not any(s.smiles for s in plain)  # carbons with seven or more bonds
    projected = model.sample(8, seed=1, steps=10, num_atoms=(8, 12), projection=True)
    mols = [Chem.MolFromSmiles(s.smiles) for s in projected]
    assert all(mols) and all(s.meta["projected_bonds"] > 0 for s in projected)
    assert all(len(ring) <= cfg.max_ring_size for mol in mols for ring in mol.GetRingInfo().AtomRings())
    assert all(atom.GetDegree() <= 4 for mol in mols for atom in mol.GetAtoms())


def test_a_projected_run_says_its_validity_was_corrected(trained, tmp_path):
    from molgen.runs import RunStore, generate, validity_note

    store = RunStore(tmp_path / "runs.sqlite")
    run = generate(str(trained[1]), 10, seed=3, sample_options={"steps": 10, "projection": True}, store=store,
                   progress=False, max_samples=40)
    assert run.record["params"]["sample_options"]["projection"] is True
    assert run.record["counts"]["validity"] == 1.0 and "correction" in validity_note(run.record)
    assert run.record["counts"]["validity_note"] == validity_note(run.record)  # the manifest carries it in words
    plain = generate(str(trained[1]), 10, seed=3, sample_options={"steps": 10}, store=store, progress=False, max_samples=40)
    # (and, where the tiny model's graphs came apart, how many kept under half their atoms)
    assert validity_note(plain.record).startswith("atoms and bonds not corrected; disconnected pieces dropped (the "
                                                  "largest kept, as DiGress counts)")
    # what the sampler did to each molecule reaches its row: the fragments of the sampled graph, the bonds projected
    corrected = run.candidates(ranked_only=False)
    assert (corrected["sampled_fragments"] >= 1).all() and (corrected["projected_bonds"] >= 0).all()
    assert "fragments" not in corrected  # score's count of the kept molecule's pieces: 1, beside the sampled graph's
    as_sampled = plain.candidates(ranked_only=False)
    assert (as_sampled["sampled_fragments"] >= 1).all() and "projected_bonds" not in as_sampled
    assert plain.record["counts"]["bare_scaffold"] is None   # no scaffold: nothing to count


def test_a_run_whose_graphs_fall_apart_says_so_and_blames_the_step_count_not_the_model(trained, tmp_path):
    """From a review: at one step every graph came out without a bond, its largest piece a lone carbon, and the
    run read "valid 100%" and "this model knows few distinct molecules" with another model or a fine-tune as the
    way out. One step argmaxes every edge of pure noise: "no bond" wins each."""
    from molgen.runs import RunStore, generate, validity_note

    run = generate(str(trained[1]), 5, seed=3, sample_options={"steps": 1}, store=RunStore(tmp_path / "runs.sqlite"),
                   progress=False, max_samples=64)
    counts = run.record["counts"]
    assert counts["mostly_dropped"] == counts["valid"] > 0 and counts["unique"] <= 3
    assert (f"; {counts['valid']} of the valid samples kept under half the atoms of their graph, the rest in pieces "
            "apart") in validity_note(run.record)
    message = run.record["message"]
    assert "fell apart into pieces at 1 step. More --steps (10 or more) give whole molecules" in message
    assert "this model knows few" not in message and "fine-tuned" not in message


def test_graphs_falling_apart_at_many_steps_are_a_cause_not_the_step_count():
    """From a code review: at 500 steps the note still said more steps would help; there the model is the cause."""
    import pandas as pd

    from molgen.runs.generate import saturation_note

    chunks = pd.DataFrame({"n_valid": [60] * 3, "n_duplicate": [50, 55, 58], "n_accepted": [3, 1, 0], "size": [64] * 3})
    said = saturation_note(chunks, 50, family="graph-diffusion", options={"steps": 500}, dropped=170)
    assert "--steps" not in said and "this model knows few distinct molecules" in said
    assert "170 of the run's 180 valid samples kept under half the atoms of their graph" in said
    assert "More --steps" in saturation_note(chunks, 50, family="graph-diffusion", options={"steps": 9}, dropped=170)
    assert "More --steps" not in saturation_note(chunks, 50, family="graph-diffusion", options={"steps": 10},
                                                 dropped=170)


def test_a_scaffold_run_counts_the_samples_that_grew_nothing_on_it(trained, tmp_path):
    """From a review: at a quinazoline's two marks most samples came back as the bare scaffold (their new atoms a
    piece apart, dropped), counted valid and then duplicate without a word. The tiny model grows nothing on any
    scaffold: every valid sample is the bare pyridine, and the run says so beside its validity. (Written with a
    mark, the mark now takes a new atom at every step, so the scaffold is written without one here.)"""
    from molgen.runs import RunStore, generate, validity_note

    run = generate(str(trained[1]), 2, seed=3, conditions=Conditions(scaffold="c1ccncc1"),
                   sample_options={"steps": 10}, store=RunStore(tmp_path / "runs.sqlite"), progress=False,
                   max_samples=32)
    counts = run.record["counts"]
    assert counts["bare_scaffold"] == counts["valid"] > 0
    assert f"{counts['valid']} of the valid samples are the bare scaffold, its new atoms all in pieces apart" in \
        validity_note(run.record)
    assert counts["validity_note"] == validity_note(run.record)



def test_a_held_scaffold_made_aromatic_by_a_fused_ring_is_counted_on_its_sample():
    """Inpainting holds the bonds as drawn, but a benzene fused onto pyrrolidin-2-one's C-C bond makes those
    atoms aromatic (an oxindole): the scaffold as written no longer matches, and the sample says so."""
    model = load("graph-diffusion")
    scaffold = Chem.MolFromSmiles("O=C1CCCN1")
    samples = [s for s in model.sample(30, seed=1, conditions=Conditions(scaffold="O=C1CCCN1")) if s.smiles]
    changed = [s.meta["scaffold_aromaticity_changed"] for s in samples]
    held = [Chem.MolFromSmiles(s.smiles).HasSubstructMatch(scaffold) for s in samples]
    assert any(changed) and all(h for h, c in zip(held, changed) if c == 0)
    assert not any(h for h, c in zip(held, changed) if c)


def test_an_atom_count_the_scaffold_fills_is_refused(trained):
    """num_atoms=6 around indole (9 atoms) came back as bare indole, unsaid."""
    with pytest.raises(ValueError, match=r"num_atoms \(5, 20\): the scaffold holds 9 atoms.*give at least 10"):
        trained[0].sample(2, seed=0, steps=2, num_atoms=(5, 20), conditions=Conditions(scaffold="c1ccc2[nH]ccc2c1"))
    assert len(trained[0].sample(2, seed=0, steps=2, num_atoms=12, conditions=Conditions(scaffold="c1ccc2[nH]ccc2c1"))) == 2
    # a scaffold as large as the largest graph leaves no atom to grow: refused (it came back bare, unsaid)
    with pytest.raises(ValueError, match="nothing could grow around it"):
        trained[0].sample(1, seed=0, steps=2, conditions=Conditions(scaffold="C" * trained[0].config.max_atoms))


def test_a_property_target_draws_atom_counts_from_training_molecules_near_it():
    """An MW target sampled at atom counts of the whole training set: at MW 260, 156 valid of 200 (194 from the
    rows nearest the target, benchmarks/RESULTS.md)."""
    model = load("graph-diffusion")
    counts = torch.arange(len(model.config.size_counts), dtype=torch.float)
    mean_atoms = {mw: float((model.sizes_near({"mw": mw}) * counts).sum() / model.sizes_near({"mw": mw}).sum())
                  for mw in (220, 400)}
    assert mean_atoms[220] + 5 < mean_atoms[400]
    def atoms(mw: float, **options) -> float:
        return np.mean([s.meta["atoms"] for s in model.sample(16, seed=3, steps=1, conditions=Conditions(
            targets={"mw": mw}), **options)])

    assert atoms(220) + 5 < atoms(400)   # the graphs are drawn at those sizes
    # a run stored before drew them from the training set, and is resumed so
    assert model.OPTIONS_BEFORE_PINNED["target_sizes"] is False and model.check_sample_options()["target_sizes"]
    assert abs(atoms(220, target_sizes=False) - atoms(400, target_sizes=False)) < 3


def test_sampling_reports_its_denoising_steps_to_a_listener_and_draws_the_same(trained):
    """The web app's bar hears each step of a chunk (it moved only between chunks, a minute apart at many steps), and
    listening changes nothing drawn."""
    from molgen.progress import reporting_progress

    model = trained[0]
    heard: list[float] = []
    with reporting_progress(heard.append):
        listened = [s.smiles for s in model.sample(10, seed=3, steps=5, batch_size=4)]
    assert listened == [s.smiles for s in model.sample(10, seed=3, steps=5, batch_size=4)]
    assert heard[0] == 0 and heard == sorted(heard) and 0.8 <= heard[-1] < 1   # in order, across the three batches
    assert len(heard) >= 3 * 5 and len(set(heard)) == len(heard)
