"""A model's own ``sample`` says which conditions it draws without, where ``molgen.generate`` meets them all."""

import warnings

import pytest

from molgen.models.base import Conditions, load


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


def test_the_pipeline_passes_a_model_only_what_it_steers(tmp_path):
    from molgen import generate
    from molgen.runs import RunStore

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        run = generate("smiles-lm", 5, scaffold="c1ccncc1", avoid=["C(=O)O"], conditions=["mw<=400"], seed=0,
                       max_samples=200, progress=False, store=RunStore(tmp_path / "runs.sqlite"))
    assert run is not None
