"""A model's own ``sample`` says which conditions it draws without, where ``molgen.generate`` meets them all."""

import warnings

import pytest

from molgen.models.base import Conditions, load
from molgen.runs.generate import FewerThanAsked


@pytest.mark.parametrize("name, read, unread", [
    ("smiles-lm-lstm", Conditions(prefix="c1ccccc1"), Conditions(scaffold="c1ccncc1", avoid=["C(=O)O"])),
    ("graph-vae", Conditions(similar_to="CCOc1ccccc1"), Conditions(targets={"qed": 0.9}, avoid=["C(=O)O"])),
    ("graph-diffusion", Conditions(scaffold="c1ccncc1"), Conditions(similar_to="CCO", avoid=["C(=O)O"])),
])
def test_a_models_sample_names_the_conditions_it_draws_without(name, read, unread):
    model = load(name)
    options = {"steps": 5} if name == "graph-diffusion" else {}
    with pytest.warns(UserWarning, match="does not read") as said:
        model.sample(2, conditions=unread, seed=0, **options)
    text = str(said[0].message)
    assert "conditions.avoid" in text and all(f"conditions.{field}" in text for field in
                                              ("scaffold", "targets", "similar_to") if getattr(unread, field))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)   # what it steers: no warning
        model.sample(2, conditions=read, seed=0, **options)


@pytest.mark.parametrize("name", ["smiles-lm-lstm", "smiles-lm-transformer", "graph-vae", "graph-diffusion"])
def test_a_models_sample_refuses_a_property_molgen_does_not_compute(name):
    """A misspelt target drew unconditioned samples, and only "does not read conditions.targets" was said."""
    from molgen.runs.conditions import ConditionError

    model = load(name)
    for conditions in (Conditions(targets={"qedd": 0.8}), Conditions(ranges={"mww": (200, 300)})):
        with pytest.raises(ConditionError, match="unknown property .*did you mean"):
            model.sample(2, conditions=conditions, seed=0)


def test_graph_diffusion_reads_ranges_only_where_its_label_prior_draws_them(tmp_path):
    """A range picks label-prior rows: of a property the model is conditioned on, with no target, scaffold or atom
    count given; otherwise it is drawn without, and said (it went unsaid with num_atoms, or a tpsa range)."""
    from molgen import generate
    from molgen.runs import RunStore

    model = load("graph-diffusion")
    for quiet in ({}, {"label_prior": True}):
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            model.sample(2, conditions=Conditions(ranges={"qed": (0.7, None)}), seed=0, steps=5, **quiet)
    for drawn_without in (dict(num_atoms=12), dict(label_prior=False)):
        with pytest.warns(UserWarning, match="does not read conditions.ranges: its samples are drawn without it"):
            model.sample(2, **{"conditions": Conditions(ranges={"qed": (0.7, None)}), **drawn_without}, seed=0, steps=5)
    # a range on a property it is not conditioned on, named; the others are read
    with pytest.warns(UserWarning, match=r"does not read conditions.ranges \(tpsa\): its samples are drawn"):
        model.sample(2, conditions=Conditions(ranges={"qed": (0.7, None), "tpsa": (None, 60)}), seed=0, steps=5)
    # the run records what the model steers under its options: no label prior asked for, none recorded
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", FewerThanAsked)   # a tiny budget may fall short: not what this test reads
        run = generate("graph-diffusion", 2, conditions=["qed>=0.7"], seed=0, max_samples=8, progress=False,
                       sample_options={"steps": 5, "label_prior": False}, store=RunStore(tmp_path / "runs.sqlite"))
    assert "range qed" not in run.record["native"]


def test_the_pipeline_passes_a_model_only_what_it_steers(tmp_path):
    from molgen import generate
    from molgen.runs import RunStore

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", FewerThanAsked)
        run = generate("smiles-lm", 5, scaffold="c1ccncc1", avoid=["C(=O)O"], conditions=["mw<=400"], seed=0,
                       max_samples=200, progress=False, store=RunStore(tmp_path / "runs.sqlite"))
    assert run is not None
