import dataclasses
import re

import pytest

from molgen.scoring.desirability import Gaussian, Identity, ReverseSigmoid, make_transform
from molgen.scoring.profiles import Component, ProfileError, ScoringProfile, load_profile, shipped_profiles

VALID = """
name = "mine"
aggregation = "arithmetic"
alerts = ["pains"]
rules = ["lipinski"]

[[components]]
property = "qed"
transform = "identity"
weight = 2

[[components]]
property = "sa"
transform = "reverse_sigmoid"
low = 2.5
high = 5.0
"""


def write(tmp_path, text):
    path = tmp_path / "profile.toml"
    path.write_text(text)
    return path


def test_shipped_profiles_load():
    assert shipped_profiles() == ["drug-like", "lead-like"]
    drug = load_profile("drug-like")
    assert drug.properties == ["qed", "sa", "logp", "mw", "tpsa", "alerts"]
    assert drug.rules == {"lipinski": 1, "veber": 0}
    assert load_profile("lead-like").rules == {"lead_likeness": 0, "veber": 0}


def test_toml_and_python_object_are_the_same_profile(tmp_path):
    from_file = load_profile(write(tmp_path, VALID))
    in_python = ScoringProfile(
        name="mine", aggregation="arithmetic", alerts=["pains"], rules={"lipinski": 1},
        components=[Component("qed", Identity(), 2.0), Component("sa", ReverseSigmoid(2.5, 5.0))],
    )
    assert from_file == in_python
    assert load_profile(write(tmp_path, in_python.to_toml())) == in_python


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("aggregation", "aggreagtion"), "unknown key 'aggreagtion' (did you mean 'aggregation'?)"),
        (('property = "sa"', 'property = "sas"'), "components[2].property: unknown 'sas' (did you mean 'sa'?)"),
        (("high = 5.0", "hihg = 5.0"), "components[2] (sa): transform 'reverse_sigmoid' has no parameter 'hihg'"),
        (("high = 5.0", "high = 1.0"), "components[2] (sa): low (2.5) must be below high (1.0)"),
        (("weight = 2", "weight = -2"), "components[1].weight: must be a finite number >= 0"),
        (('rules = ["lipinski"]', 'rules = ["lipinksi"]'), "rules: unknown 'lipinksi' (did you mean 'lipinski'?)"),
        (('alerts = ["pains"]', 'alerts = ["panis"]'), "alerts: unknown alert set 'panis'"),
        (('"arithmetic"', '"harmonic"'), "aggregation: unknown 'harmonic'"),
        (('alerts = ["pains"]', 'alerts = ["pains"]\nhard_filters = ["brenk"]'),
         "hard_filters: 'brenk' is an alert set the profile does not report; add it to alerts (pains)"),
        (('alerts = ["pains"]', 'alerts = ["pains"]\nhard_filters = ["ring"]'),
         "hard_filters: unknown 'ring' (did you mean 'rings'?)"),
        # a filter on patterns the profile does not give would pass every molecule
        (('alerts = ["pains"]', 'alerts = ["pains"]\nhard_filters = ["require"]'),
         "hard_filters: 'require' filters on the profile's `require`, and it has none, so it would pass every molecule"),
        (('transform = "identity"', 'transform = "identiy"'), "unknown transform 'identiy'"),
        # one text where a list belongs was read as its characters: avoid = "CN" avoided every C and every N
        (('alerts = ["pains"]', 'alerts = ["pains"]\navoid = "CN"'),
         'avoid: expected a list, got the text \'CN\' (write avoid = ["CN"])'),
        (('alerts = ["pains"]', 'alerts = "pains"'), "alerts: expected a list, got the text 'pains'"),
        # a NaN target or an infinite weight made every score NaN: nothing ranked, and no word said
        (("high = 5.0", "high = nan"), "components[2] (sa): transform 'reverse_sigmoid': high = nan is not a finite number"),
        (("weight = 2", "weight = inf"), "components[1].weight: must be a finite number >= 0, got inf"),
        # a salt's counter-ion in a pattern asked for it anywhere in the molecule (a review: nitrobenzene passed,
        # 4-chloronitrobenzene was struck out)
        (('alerts = ["pains"]', 'alerts = ["pains"]\navoid = ["c1ccccc1[N+](=O)[O-].Cl"]'),
         "avoid: 'c1ccccc1[N+](=O)[O-].Cl' is written as a salt, hydrate or solvate (Cl beside the molecule)"),
        # a window no value of the property reaches gave every molecule one desirability (a review: logP's window
        # written as MW's 200 to 500 scored everything about 1e-35)
        (("low = 2.5\nhigh = 5.0", "low = 200.0\nhigh = 500.0"),
         "components[2]: sa's reverse_sigmoid (low = 200, high = 500, steepness = 1) changes by less than 0.01 over "
         "the values sa (synthetic accessibility score, 1 easy to 10 hard) can take, 1 to 10: every molecule would "
         "get one desirability"),
        (('alerts = ["pains"]', 'alerts = ["pains"]\nreferences = ["CCN(CC)CC.Cl"]'),
         "references: 'CCN(CC)CC.Cl' is a salt or mixture: give the one molecule to compare with, e.g. its parent "
         "CCN(CC)CC"),
    ],
)
def test_typos_and_bad_values_say_which_and_where(tmp_path, edit, message):
    path = write(tmp_path, VALID.replace(*edit, 1))
    with pytest.raises(ProfileError) as error:
        load_profile(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_a_profile_recorded_in_a_run_or_an_export_manifest_is_reused_as_it_ranked(tmp_path):
    import json

    edited = ScoringProfile.from_dict({**load_profile("lead-like").to_dict(), "name": "lead-like (edited)"})
    record = {"id": "r1", "profile": edited.to_dict()}
    for name, data in (("bare.json", edited.to_dict()), ("record.json", record),
                       ("best.csv.manifest.json", {"export": {"rows": 3}, "run": record})):
        (tmp_path / name).write_text(json.dumps(data))
        assert load_profile(tmp_path / name) == edited
    (tmp_path / "other.json").write_text('{"export": {}}')
    with pytest.raises(ProfileError, match="holds no scoring profile"):
        load_profile(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text('{"name": ')
    with pytest.raises(ProfileError, match="not valid JSON"):
        load_profile(tmp_path / "broken.json")


def test_broken_toml_and_missing_files(tmp_path):
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(write(tmp_path, "name = \n"))
    with pytest.raises(ProfileError, match=r"no shipped profile 'drug_like' \(did you mean 'drug-like'\?\)"):
        load_profile("drug_like")
    with pytest.raises(ProfileError, match="does not exist"):
        load_profile(tmp_path / "nope.toml")


def test_python_object_is_validated_too():
    with pytest.raises(ProfileError, match="needs `references`"):
        ScoringProfile(name="x", components=[Component("similarity_max", Identity())])
    with pytest.raises(ProfileError, match="references: reference molecule 'C1CC' is not valid"):
        ScoringProfile(name="x", components=[Component("similarity_max", Identity())], references=["C1CC"])
    with pytest.raises(ProfileError, match="avoid: 'C1CC\\(' is neither valid SMARTS nor valid SMILES"):
        ScoringProfile(name="x", components=[Component("qed", Identity())], avoid=["C1CC("])
    with pytest.raises(ProfileError, match="at least one component"):
        ScoringProfile(name="x", components=[])
    with pytest.raises(ProfileError, match="references: expected a list, got the text 'CCO'"):
        ScoringProfile(name="x", components=[Component("similarity_max", Identity())], references="CCO")
    with pytest.raises(ProfileError, match="weight: must be a finite number >= 0, got inf"):
        ScoringProfile(name="x", components=[Component("qed", Identity(), float("inf"))])
    with pytest.raises(ValueError, match="target = nan is not a finite number"):
        Gaussian(target=float("nan"), width=1.0)
    edited = load_profile("drug-like")
    edited.avoid = "CN"   # set after construction: checked before it is written (or sent to a worker)
    with pytest.raises(ProfileError, match="avoid: expected a list"):
        edited.to_dict()


def test_a_file_keeping_a_shipped_name_with_other_content_is_not_passed_off_as_it(tmp_path):
    """A copy of drug-like.toml with one weight changed keeps its name in the file, but a run ranked by it
    must not record "drug-like": it is read as "drug-like (edited DIGEST)", the digest telling edits apart."""
    from molgen.scoring.profiles import PROFILE_DIR, content_digest

    text = (PROFILE_DIR / "drug-like.toml").read_text()
    (tmp_path / "copy.toml").write_text(text)
    assert load_profile(tmp_path / "copy.toml").name == "drug-like"   # the same content is the shipped profile
    edited = text.replace("weight = 2.0", "weight = 3.0", 1)
    assert edited != text
    (tmp_path / "mine.toml").write_text(edited)
    (tmp_path / "mine-again.toml").write_text(edited)
    (tmp_path / "other.toml").write_text(text.replace("weight = 2.0", "weight = 4.0", 1))
    mine = load_profile(tmp_path / "mine.toml")
    assert mine.name == f"drug-like (edited {content_digest(mine)})"
    assert load_profile(tmp_path / "mine-again.toml").name == mine.name
    assert load_profile(tmp_path / "other.toml").name not in (mine.name, "drug-like")
    renamed = tmp_path / "renamed.toml"   # under a name of its own it keeps it
    renamed.write_text(edited.replace('name = "drug-like"', 'name = "my series"'))
    assert load_profile(renamed).name == "my series"


def test_an_alert_count_component_needs_alerts_reported():
    from molgen.scoring.desirability import Gaussian

    with pytest.raises(ProfileError, match="counts the alerts of the sets the profile reports, and it reports none"):
        ScoringProfile(name="x", components=[Component("qed", Identity()), Component("alerts", Gaussian(0.0, 1.0))])
    ScoringProfile(name="x", alerts=["pains"], components=[Component("alerts", Gaussian(0.0, 1.0))])


def test_identity_on_a_property_past_one_is_refused_and_a_multi_line_description_writes_back():
    """From a review: a component without a transform (identity) on mw clipped every molecule to 1, silently, so all
    tied at rank 1; a description with a line break wrote TOML that did not read back."""
    import tomllib

    from molgen.scoring.profiles import ScoringProfile, load_profile

    with pytest.raises(ProfileError, match=r"components\[1\]: mw runs past 0 to 1, which identity .* clips to; name a "
                                           r"transform .*sigmoid"):
        ScoringProfile.from_dict({"name": "x", "components": [{"property": "mw"}]})
    kept = ScoringProfile.from_dict({"name": "x", "components": [{"property": "qed"}, {"property": "fsp3"}]})
    assert [c.property for c in kept.components] == ["qed", "fsp3"]
    profile = load_profile("drug-like")
    profile.description = 'line one\nline two\twith a "quote" and a bell \x07'
    assert ScoringProfile.from_dict(tomllib.loads(profile.to_toml())).description == profile.description


def test_a_marked_profile_edited_again_is_marked_by_its_new_content():
    """A review: a box filled with "drug-like (not as shipped now, D)" and edited again kept D, so two profiles
    showed under one digest; the same content back to the shipped one's is the shipped profile."""
    from molgen.scoring.profiles import content_digest, marked_if_edited

    shipped = load_profile("drug-like")
    older = load_profile("drug-like")
    older.hard_filters = ["rings"]
    stale = f"drug-like (not as shipped now, {content_digest(older)})"
    again = ScoringProfile.from_dict({**older.to_dict(), "name": stale, "hard_filters": ["rings", "radicals"]})
    assert marked_if_edited(again).name == f"drug-like (edited {content_digest(again)})" != stale
    unchanged = ScoringProfile.from_dict({**older.to_dict(), "name": stale})
    assert marked_if_edited(unchanged).name == stale   # its mark is its content's
    back = ScoringProfile.from_dict({**shipped.to_dict(), "name": stale})
    assert marked_if_edited(back).name == "drug-like"


def test_a_shipped_profile_with_whole_numbers_written_without_a_point_is_the_shipped_one():
    """A review: compared as JSON text, `target = 0` against the shipped 0.0 read as an edit."""
    from molgen.scoring.profiles import PROFILE_DIR, differs_from_shipped, marked_if_edited

    text = (PROFILE_DIR / "drug-like.toml").read_text().replace("target = 0.0", "target = 0").replace("width = 1.0", "width = 1")
    assert "target = 0\n" in text
    import tomllib

    written = ScoringProfile.from_dict(tomllib.loads(text))
    assert marked_if_edited(written).name == "drug-like" and not differs_from_shipped(written.to_dict())


def test_a_chemists_own_profile_is_labelled_with_its_contents_digest():
    """A review: two runs under "my-cns", its MW window changed between them, were both shown as my-cns."""
    from molgen.scoring.profiles import content_digest, stored_profile_label

    first = load_profile("drug-like").to_dict() | {"name": "my-cns"}
    second = {**first, "components": [{**first["components"][0], "weight": 3}, *first["components"][1:]]}
    one, other = stored_profile_label(first), stored_profile_label(second)
    assert one.startswith("my-cns (") and other.startswith("my-cns (") and one != other
    assert one == f"my-cns ({content_digest(ScoringProfile.from_dict(first))})"
    assert stored_profile_label(load_profile("drug-like").to_dict()) == "drug-like"   # a shipped one by its name
    assert stored_profile_label({**first, "name": "drug-like (edited 0a1b2c)"}) == "drug-like (edited 0a1b2c)"


def test_require_and_avoid_are_hard_filters_whether_named_or_not():
    """A review: a profile listing avoid = ["[N+](=O)[O-]"] without naming it in hard_filters ranked flutamide, a nitro
    compound, first: the patterns were only columns. "Must be absent" now fails the hard filters (score 0)."""
    profile = ScoringProfile.from_dict({"name": "mine", "avoid": ["[N+](=O)[O-]"], "require": ["c1ccccc1"],
                                        "components": [{"property": "qed"}]})
    assert profile.filters_applied == ["require", "avoid"]
    # the profile is kept as written: its digest, its TOML, and an edit leaving out its avoid patterns (a review)
    assert profile.hard_filters == [] and "hard_filters = []" in profile.to_toml()
    import dataclasses

    assert dataclasses.replace(profile, avoid=[]).filters_applied == ["require"]
    from molgen.scoring.pipeline import score

    scored = score(["CC(C)C(=O)Nc1ccc([N+](=O)[O-])c(C(F)(F)F)c1", "CN1CCC[C@H]1c1cccnc1", "CC(=O)Nc1ccc(O)cc1"],
                   profile, n_jobs=1)
    assert scored["failed_filters"].tolist() == ["avoid", "require", ""]
    assert scored["score"].tolist()[:2] == [0.0, 0.0] and scored["rank"].tolist()[2] == 1


def test_a_window_out_of_reach_is_refused_in_a_new_profile_and_read_in_a_stored_one():
    """A review: the check, in validate(), would have locked a chemist out of a run ranked before it; and a
    peptide profile (MW 2,200 to 3,500) was refused against a 'sensible' MW range of 0 to 2,000."""
    from molgen.scoring.profiles import check_new_profile, stored_profile

    data = {"name": "old", "components": [{"property": "qed", "transform": "sigmoid", "low": 200, "high": 500}],
            "references": ["CCN(CC)CC.Cl"]}
    assert stored_profile(data, "run 1").components[0].property == "qed"   # read as it ranked
    with pytest.raises(ProfileError, match=r"changes by less than 0.01 over the values qed .* can take, 0 to 1.*"
                                           r"a run's stored profile, read as it ranked that run"):
        check_new_profile(stored_profile(data, "run 1"), "run 1")
    peptides = {"name": "peptides", "components": [
        {"property": "mw", "transform": "double_sigmoid", "low": 2200, "high": 3500, "width": 200},
        {"property": "tpsa", "transform": "step", "low": 600},
        {"property": "logp", "transform": "sigmoid", "low": 16, "high": 18, "steepness": 0.1}]}
    assert load_profile(peptides).name.startswith("peptides")   # beyond a drug's range, not beyond a molecule's
    narrow = {"name": "narrow", "components": [{"property": "sa", "transform": "step", "low": 3.005, "high": 3.02},
                                               {"property": "qed", "transform": "gaussian", "target": 0.7,
                                                "width": 0.0005}]}
    assert load_profile(narrow).name.startswith("narrow")   # between two sampled points, still inside the range
    with pytest.raises(ProfileError, match=r"mw's step \(high = -5\) changes only below -5, and mw .* lies above 0"):
        load_profile({"name": "x", "components": [{"property": "mw", "transform": "step", "high": -5}]})


def test_a_malformed_name_or_rules_is_a_profile_error_naming_the_key():
    """A review: rules = "lipinski" was dict()'s "dictionary update sequence" error, name = 3 a TypeError from a regular
    expression; description = 5 passed and was written back as a number."""
    for data, said in (({"rules": "lipinski"}, 'rules: expected a list of rule names or a table of allowed '
                                               'violations, got \'lipinski\' (write rules = ["lipinski"])'),
                       ({"name": 3}, "name: expected a text, got 3"),
                       ({"description": 5}, "description: expected a text, got 5")):
        with pytest.raises(ProfileError, match=re.escape(said)):
            load_profile({"name": "x", "components": [{"property": "qed"}], **data})


def test_a_profile_built_in_python_is_checked_and_marked_as_a_toml_files_is():
    """A review: an object with a salt as its reference scored paracetamol 0.952 against itself, unsaid (a dict was
    refused), and one named drug-like with other content was recorded as the shipped profile."""
    from molgen.scoring import score

    salted = ScoringProfile(name="py", components=[Component("similarity_max", make_transform("identity"))],
                            references=["CC(=O)Nc1ccc(O)cc1.Cl"])
    with pytest.raises(ProfileError, match="'CC\\(=O\\)Nc1ccc\\(O\\)cc1.Cl' is a salt or mixture"):
        score(["CC(=O)Nc1ccc(O)cc1"], salted, progress=False)
    posing = ScoringProfile(name="drug-like", components=[Component("qed", make_transform("identity"))])
    assert re.fullmatch(r"drug-like \(edited [0-9a-f]{6}\)", load_profile(posing).name)
    assert posing.name == "drug-like"   # the caller's object is left as it was
    shipped = load_profile("drug-like")
    assert load_profile(shipped).name == "drug-like" and load_profile(dataclasses.replace(shipped, source="")).name \
        == "drug-like"
    # a shipped profile edited by dataclasses.replace or in place is marked too (a review of the fix: it kept its
    # file as its source, and passed unmarked)
    replaced = dataclasses.replace(shipped, components=[Component("qed", make_transform("identity"))])
    assert re.fullmatch(r"drug-like \(edited [0-9a-f]{6}\)", load_profile(replaced).name)
    in_place = load_profile("drug-like")
    in_place.components = in_place.components[:1]
    assert load_profile(in_place).name.startswith("drug-like (edited ")
    in_place.references, in_place.components = ["CC(=O)Nc1ccc(O)cc1.Cl"], [
        Component("similarity_max", make_transform("identity"))]
    with pytest.raises(ProfileError, match="is a salt or mixture"):
        score(["CC(=O)Nc1ccc(O)cc1"], in_place, progress=False)


def test_a_stored_profile_is_read_as_it_ranked_whatever_was_checked_since():
    """A review of the name and description checks: a run stored with description = 5 (accepted then) could not be
    resumed, and was marked failed."""
    from molgen.scoring.profiles import marked_as_stored, stored_profile

    data = {"name": "mine", "description": 5, "components": [{"property": "qed"}],
            "references": ["CC(=O)Nc1ccc(O)cc1.Cl"]}   # a salt reference too, refused in a new profile
    stored = stored_profile(data, "run 20261207-000000-abcdef")
    assert stored.stored and load_profile(stored) is stored
    assert marked_as_stored(ScoringProfile.from_dict({"name": "drug-like", "components": [{"property": "qed"}]},
                                                     "x.json")).stored
    with pytest.raises(ProfileError, match="description: expected a text, got 5"):
        load_profile(data)
    # ... and edited since, in place or by dataclasses.replace, it is a profile written now (a review of the flag)
    edited = dataclasses.replace(stored, description="mine", references=["CC(=O)Nc1ccc(O)cc1"], components=[
        Component("similarity_max", make_transform("identity"))])
    assert not edited.stored
    in_place = marked_as_stored(stored_profile(load_profile("drug-like").to_dict(), "run X"))
    assert in_place.stored and load_profile(in_place).name == "drug-like"
    in_place.components = in_place.components[:1]
    assert not in_place.stored and load_profile(in_place).name.startswith("drug-like (edited ")
    # renamed to a shipped name, it is one written now too (a review: it was recorded as the shipped profile)
    older = marked_as_stored(stored_profile({**load_profile("drug-like").to_dict(), "alerts": ["pains"],
                                             "hard_filters": []}, "run Y"))
    assert older.name.startswith("drug-like (not as shipped now") and older.stored
    renamed = dataclasses.replace(older, name="drug-like")
    assert not renamed.stored and load_profile(renamed).name.startswith("drug-like (edited ")
    # the copy shares nothing with the caller's object, and an edit in place is validated as a file's is
    mine = ScoringProfile(name="mine", components=[Component("qed", Identity())], alerts=["pains"])
    copied = load_profile(mine)
    mine.alerts.append("brenk")
    assert copied.alerts == ["pains"]
    mine.alerts = "pains"
    with pytest.raises(ProfileError, match="alerts: expected a list, got the text 'pains'"):
        load_profile(mine)
    with pytest.raises(ProfileError, match=r"rules: expected a list of rule names, got \[\['lipinski'\]\]"):
        load_profile({"name": "x", "rules": [["lipinski"]], "components": [{"property": "qed"}]})
