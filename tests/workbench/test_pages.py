"""Each workbench page's logic in Streamlit's test harness (no browser)."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from molgen.models.graph_vae.sample import DEFAULT_DECODING, MOST_LIKELY_TEMPERATURE
from molgen.runs import RunStore, generate
from tests.workbench.conftest import PAGES


def shown(element) -> str:
    """An element's text as the page shows it: Markdown escapes (workbench.common.plain) removed."""
    return re.sub(r"\\(.)", r"\1", element.value)


def page(name: str, run_id: str | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=180)
    if run_id:
        at.session_state["run_id"] = run_id
    return at.run()


@pytest.mark.parametrize("name", ["home", "generate", "browse", "score", "latent", "compare", "augment", "export"])
def test_every_page_renders_without_a_traceback(name, stored_run):
    at = page(name)
    assert not at.exception


def test_generate_refuses_bad_input_beside_the_field_and_generates(stored_run):
    at = page("generate")
    at.text_input(key="gen_scaffold").set_value("c1cc((").run()
    assert not at.exception
    assert "neither valid SMARTS nor valid SMILES" in shown(at.error[0])
    assert at.button(key="gen_go").disabled
    # two patterns in one field: RDKit reads the first alone, and the page showed both as the condition (a review)
    at.text_input(key="gen_scaffold").set_value("c1ccc2nc[nH]c2c1 c1ccccc1").run()
    assert "a pattern has no spaces inside it (RDKit would read only 'c1ccc2nc[nH]c2c1')" in shown(at.error[0])
    assert at.button(key="gen_go").disabled
    at.text_input(key="gen_scaffold").set_value("").run()
    at.text_area(key="gen_avoid").set_value("C(=O)Cl c1ccccc1").run()
    assert any("avoid: 'C(=O)Cl c1ccccc1': a pattern has no spaces inside it" in shown(e) for e in at.error)
    assert at.button(key="gen_go").disabled
    at.text_area(key="gen_avoid").set_value("").run()
    # said before the run: what the model builds on, and what it leaves to the filter (a pattern is never built on)
    at.text_input(key="gen_scaffold").set_value("c1ccncc1").run()
    assert any(shown(c).startswith("scaffold: steered by left-to-right completion of c1ccncc1") for c in at.caption)
    at.text_input(key="gen_scaffold").set_value("[NX3;H1,H2]c1ncccn1").run()
    assert any(shown(c).startswith("scaffold: not steered by this model here; met by the filter alone") for c in at.caption)
    labels = at.selectbox(key="gen_model").options
    at.selectbox(key="gen_model").set_value(next(label for label in labels if label.startswith("graph-diffusion"))).run()
    assert any("is not a SMILES molecule; graph diffusion grows a scaffold by inpainting" in shown(e) for e in at.error)
    assert at.button(key="gen_go").disabled
    at.selectbox(key="gen_model").set_value(next(label for label in labels if label.startswith("graph-vae"))).run()
    at.text_input(key="gen_scaffold").set_value("c1ccncc1").run()   # the VAE decodes from z: it builds on no scaffold
    assert any(shown(c).startswith("scaffold: not steered by this model here") for c in at.caption)
    at.selectbox(key="gen_model").set_value(labels[0]).run()
    at.text_input(key="gen_scaffold").set_value("").run()
    at.text_input(key="gen_reference").set_value("c1cccc1").run()
    assert "kekulization" in shown(at.error[0]) and at.button(key="gen_go").disabled
    at.text_input(key="gen_reference").set_value("").run()
    at.checkbox(key="gen_on_mw").check().run()
    at.slider(key="gen_range_mw").set_value((400.0, 450.0)).run()   # past most of MOSES: said before the run
    note = next(shown(c) for c in at.caption if "of MOSES's training molecules lie inside it" in shown(c))
    assert "will seldom reach it" in note and note.endswith("(a sample of 2,000; mw: the property windows only)")
    at.slider(key="gen_range_mw").set_value((150.0, 450.0)).run()
    note = next(shown(c) for c in at.caption if "of MOSES's training molecules lie inside it" in shown(c))
    assert int(note.split("%")[0]) > 90 and "seldom" not in note
    at.number_input(key="gen_n").set_value(20).run()
    at.text_input(key="gen_name").set_value("from-the-page").run()
    at.button(key="gen_go").click().run()
    assert not at.exception
    assert "meet every condition" in at.success[0].value
    assert "Stop this run" not in [button.label for button in at.button]   # under a finished run it did nothing
    with RunStore() as store:
        record = store.run("from-the-page")
        assert record["conditions"]["ranges"] == {"mw": [150.0, 450.0]}
        assert record["profile"]["name"] == "drug-like"   # shown in the editor, not edited: the shipped one
        # the command line's defaults: `molgen generate` with these settings repeats the run
        assert record["seed"] == 1 and record["params"]["chunk_size"] == 100
        assert (store.candidates(record["id"], ranked_only=True)["mw"] <= 450).all()
    # the summary names the run's model and seed: the form may show another model by the time it is read
    assert shown(at.success[0]).startswith(f"run from-the-page ({Path(record['checkpoint']).stem}, seed 1, "
                                           "profile drug-like): ")


def test_a_property_target_from_the_generate_page(stored_run):
    """A target, not a range: stored as a target (what a conditional model steers to), shown with its
    tolerance before the run, and every ranked molecule lands within that tolerance."""
    at = page("generate")
    at.checkbox(key="gen_on_qed").check().run()
    at.radio(key="gen_kind_qed").set_value(at.radio(key="gen_kind_qed").options[1]).run()
    at.slider(key="gen_target_qed").set_value(0.8).run()
    assert any("qed = 0.8 +/- 0.05, so 0.75 <= qed <= 0.85" in shown(c) for c in at.caption)
    _generate(at, "qed-target", 10)
    assert "export --top" not in shown(at.success[0])   # the app names its own Best N, not the CLI flag
    summary = next(shown(m) for m in at.markdown if "sampled " in shown(m))
    assert re.search(r"novel (\d+\.\d%|unknown)$", summary), summary   # a share, as validity is
    with RunStore() as store:
        record = store.run("qed-target")
        assert record["conditions"]["targets"] == {"qed": 0.8} and record["conditions"]["ranges"] == {}
        ranked = store.candidates(record["id"], ranked_only=True)
        assert len(ranked) and ranked["qed"].between(0.75, 0.85).all()


def _generate(at, name: str, n: int) -> tuple[dict, int]:
    """Click Generate on a prepared page; the stored run's sampling options and its candidate count."""
    at.number_input(key="gen_n").set_value(n).run()
    at.text_input(key="gen_name").set_value(name).run()
    at.button(key="gen_go").click().run()
    assert not at.exception
    with RunStore() as store:
        record = store.run(name)
        return record["params"]["sample_options"], len(store.candidates(record["id"], ranked_only=False))


def test_beam_search_from_the_generate_page(stored_run):
    at = page("generate")
    at.selectbox(key="gen_strategy").set_value("beam").run()
    at.number_input(key="gen_beam_width").set_value(6).run()
    at.number_input(key="gen_budget").set_value(100).run()
    options, candidates = _generate(at, "beam-run", 4)
    assert {"strategy": "beam", "beam_width": 6}.items() <= options.items() and candidates > 0


def test_the_default_budget_follows_n(stored_run):
    at = page("generate")
    assert at.number_input(key="gen_budget").value is None    # empty: 20 x n, whatever n becomes
    _generate(at, "budget-run", 7)
    with RunStore() as store:
        assert store.run("budget-run")["params"]["max_samples"] == 140
    # the run's summary stays when another widget is touched afterwards
    summary = [m.value for m in at.markdown if "missed a condition" in m.value]
    assert len(summary) == 1 and "valid" in summary[0]
    at.number_input(key="gen_n").set_value(9).run()
    assert [m.value for m in at.markdown if "missed a condition" in m.value] == summary


def test_a_number_typed_past_its_field_bounds_is_said_and_holds_generate_back(stored_run):
    """From a review: 150,000 molecules typed stayed shown (red) while the run asked for the last n in range, 200."""
    at = page("generate")
    for key, value, said in (("gen_n", 150_000, "Molecules (valid, unique, meeting every condition): 150,000 is "
                                                "not a whole number from 1 to 100,000"),
                             ("gen_budget", 20, "Sampling budget (molecules sampled at most): 20 is not a whole "
                                                "number from 100 to 2,000,000"),
                             ("gen_seed", -1, "Seed: -1 is not a whole number from 0 to 2,147,483,647"),
                             ("gen_top_k", 101, "Top-k (0 = off): 101 is not a whole number from 0 to 100")):
        at.number_input(key=key).set_value(value).run()
        assert [shown(e) for e in at.error] == [said] and at.button(key="gen_go").disabled, key
        at.number_input(key=key).set_value(None if key == "gen_budget" else 5).run()
        assert not at.error and not at.button(key="gen_go").disabled
    at = page("augment")   # the same on the other pages' fields
    assert not at.button(key="aug_go").disabled   # its example molecules typed in
    at.number_input(key="aug_seed").set_value(-3).run()
    assert [shown(e) for e in at.error] == ["Seed: -3 is not a whole number from 0 to 2,147,483,647"]
    assert at.button(key="aug_go").disabled


def test_a_mistake_in_the_edited_profile_is_named_once(stored_run):
    at = page("generate")
    editor = at.text_area(key=f"gen_toml_{at.selectbox(key='gen_profile').value}")
    editor.set_value(editor.value.replace("aggregation", "agregation", 1)).run()
    said = [shown(e) for e in at.error]
    assert any(e.startswith("profile (edited here): unknown key 'agregation'") for e in said), said
    editor.set_value("aggregation = [").run()
    assert any(shown(e).startswith("profile (edited here): not valid TOML") for e in at.error)
    assert at.button(key="gen_go").disabled


def test_the_generate_form_keeps_what_a_look_elsewhere_would_drop(tmp_path):
    """A review: a profile's edit was back as shipped after a look at another profile; a condition unticked and
    ticked again came back at its default window; a checkpoint path that loads nothing left Generate enabled, with
    the shipped model picked; a reference holding a * was accepted."""
    at = page("generate")
    editor = at.text_area(key="gen_toml_drug-like")
    edited = editor.value.replace("weight = 1.0", "weight = 5.0", 1)
    editor.set_value(edited).run()
    at.selectbox(key="gen_profile").set_value("lead-like").run()
    at.selectbox(key="gen_profile").set_value("drug-like").run()
    assert not at.exception and at.text_area(key="gen_toml_drug-like").value == edited
    at.checkbox(key="gen_on_mw").check().run()
    at.slider(key="gen_range_mw").set_value((0.0, 150.0)).run()
    at.checkbox(key="gen_on_mw").uncheck().run()
    at.checkbox(key="gen_on_mw").check().run()
    assert at.slider(key="gen_range_mw").value == (0.0, 150.0)
    at.checkbox(key="gen_on_mw").uncheck().run()
    assert not at.button(key="gen_go").disabled
    at.text_input(key="gen_own_checkpoint").set_value(str(tmp_path / "series.pt")).run()   # no such file
    assert any("no checkpoint file at" in shown(e) for e in at.error) and at.button(key="gen_go").disabled
    at.text_input(key="gen_own_checkpoint").set_value("").run()
    assert not at.button(key="gen_go").disabled
    at.text_input(key="gen_reference").set_value("*c1ccccc1").run()
    assert any("holds an attachment point or dummy atom" in shown(e) for e in at.error)
    assert at.button(key="gen_go").disabled
    at.text_input(key="gen_reference").set_value("[#6]-[#7]").run()   # a pattern, not "atom 0 (C) is a radical"
    assert any(shown(e).startswith("[#6]-[#7] is written as SMARTS") for e in at.error), [shown(e) for e in at.error]
    assert at.button(key="gen_go").disabled
    # CXSMILES extensions and a quadruple bond are SMILES, though their characters are SMARTS's too (a code review)
    for smiles in ("C[C@H](N)C(=O)Oc1ccccc1 |&1:1|", "CC=CC(=O)c1ccccc1 |c:1|", "C[C@H](N)C(=O)Oc1ccccc1 |o1:1,3|",
                   "[Mo]$[Mo]"):
        at.text_input(key="gen_reference").set_value(smiles).run()
        assert not any("SMARTS" in shown(e) for e in at.error), (smiles, [shown(e) for e in at.error])
    at.text_input(key="gen_reference").set_value("[$(C=O)]N").run()   # SMARTS's recursion is SMARTS
    assert any("is written as SMARTS" in shown(e) for e in at.error)


def test_an_edited_profile_is_not_recorded_under_the_shipped_name_and_an_empty_mw_window_is_refused(stored_run):
    at = page("generate")
    at.checkbox(key="gen_on_mw").check().run()
    at.slider(key="gen_range_mw").set_value((0.0, 0.0)).run()
    assert any("mw is more than 0" in shown(e) for e in at.error) and at.button(key="gen_go").disabled
    at.checkbox(key="gen_on_mw").uncheck().run()
    at.checkbox(key="gen_on_qed").check().run()
    at.slider(key="gen_range_qed").set_value((0.5, 0.5)).run()   # both ends dragged together
    assert [shown(e) for e in at.error] == ["0.5 <= qed <= 0.5 asks for one exact value of a continuous property, which "
                                            "almost no molecule has: widen the window, or give a target (qed=0.5 keeps "
                                            "0.45 <= qed <= 0.55)"]   # once, beside its slider
    assert at.button(key="gen_go").disabled
    # both ends at the slider's limits bound nothing: no condition, said (it crashed the page with a conditional
    # model: a range open at both ends reached the model's targets)
    at.slider(key="gen_range_qed").set_value((0.0, 1.0)).run()
    assert not at.exception and not at.error
    assert any("The whole scale: no condition on" in c.value for c in at.caption)
    assert not any("Kept only where" in c.value for c in at.caption)
    at.checkbox(key="gen_on_qed").uncheck().run()
    editor = at.text_area(key="gen_toml_drug-like")
    assert not [d for d in at.get("download_button") if "profile" in d.proto.label]   # the shipped one: its name says it
    editor.set_value(editor.value.replace("weight = 1.0", "weight = 3.0", 1)).run()
    assert [d.proto.label for d in at.get("download_button")] == ["Download this profile (TOML)"]
    at.number_input(key="gen_n").set_value(5).run()
    at.text_input(key="gen_name").set_value("edited-profile").run()
    at.button(key="gen_go").click().run()
    assert not at.exception
    with RunStore() as store:
        # the manifest of its export says which profile ranked it: not "drug-like", which it no longer was
        edited = store.run("edited-profile")["profile"]["name"]
    assert re.fullmatch(r"drug-like \(edited [0-9a-f]{6}\)", edited)   # its content's digest tells two edits apart
    editor.set_value(editor.value.replace('name = "drug-like"', 'name = "lead-like"', 1)).run()   # another's name
    at.text_input(key="gen_name").set_value("renamed-profile").run()
    at.button(key="gen_go").click().run()
    with RunStore() as store:   # the same edit under another shipped name: that name, the same digest
        assert store.run("renamed-profile")["profile"]["name"] == edited.replace("drug-like", "lead-like")
    editor.set_value(editor.value.replace('name = "lead-like"', 'name = "kinase-oral"', 1)).run()   # a name of its own
    assert [d.proto.label for d in at.get("download_button")] == ["Download this profile (TOML)"]


def test_a_scaffold_the_diffusion_model_cannot_inpaint_is_a_message_not_a_traceback(stored_run):
    at = page("generate")
    diffusion = next(label for label in at.selectbox(key="gen_model").options if label.startswith("graph-diffusion"))
    at.selectbox(key="gen_model").set_value(diffusion).run()
    at.text_input(key="gen_scaffold").set_value("[#6]1:[#6]:[#6]:[#6]:[#6]:[#6]:1").run()
    at.number_input(key="gen_n").set_value(5).run()
    # refused as it is typed, before Generate can be pressed (and so before a run is stored)
    assert not at.exception
    assert any("needs it written as SMILES" in shown(e) for e in at.error)
    assert at.button(key="gen_go").disabled


def test_a_run_its_budget_stopped_continues_from_the_generate_page(stored_run):
    """As `molgen generate --resume RUN --max-samples N`: the same run samples on, nothing is lost or redone."""
    at = page("generate")
    at.number_input(key="gen_budget").set_value(100).run()
    _generate(at, "short-budget", 150)
    with RunStore() as store:
        record = store.run("short-budget")
    assert record["status"] == "budget_exhausted" and record["counts"]["sampled"] == 100
    said = [shown(w) for w in at.warning]
    assert "A budget of 100 is below the 150 molecules asked for" in said[0]   # said before the run, beside the field
    warning = next(w for w in said if "used up" in w)
    assert "molgen generate --resume" not in warning   # the page's own button continues it
    more = at.number_input(key=f"gen_more_{record['id']}")
    assert more.value == 200   # twice the budget it stopped at
    more.set_value(250).run()
    at.button(key=f"gen_continue_{record['id']}").click().run()
    assert not at.exception
    with RunStore() as store:
        after = store.run("short-budget")
        first_chunk = store.candidates(record["id"], ranked_only=False)
    assert after["params"]["max_samples"] == 250 and after["counts"]["sampled"] > 100
    assert after["counts"]["unique"] >= record["counts"]["unique"] and len(first_chunk) == after["counts"]["unique"]
    summary = next(shown(m) for m in at.markdown if "sampled " in shown(m))
    assert f"sampled {after['counts']['sampled']:,}" in summary   # the summary reads the continued run


def test_a_run_stopped_elsewhere_continues_from_the_generate_page(stored_run, tiny_checkpoint):
    """A run the command line started (or one killed, or one from before a reload) had no Continue on the page."""
    with RunStore() as store:
        run_id = generate(str(tiny_checkpoint), 150, seed=4, max_samples=50, store=store, progress=False,
                          name="from-the-terminal").id
    at = page("generate")
    at.selectbox(key="gen_continue_pick").set_value(run_id).run()
    assert "budget of 50 used up" in " ".join(shown(c) for c in at.caption)
    # the run pickers say a status in words, as the page's messages do (a review: budget_exhausted)
    from workbench.common import run_labels

    assert "from-the-terminal · budget exhausted · " in run_labels()[run_id]
    with RunStore() as store:   # meanwhile continued from another machine: it stays picked, and the page says so
        store._db.execute("UPDATE runs SET status = 'running', owner = 'another-host.example:4242:x', heartbeat = ? "
                          "WHERE id = ?", (time.time(), run_id))
        at.run()
        assert any("being sampled by another process (pid 4242 on another-host.example" in shown(i) for i in at.info)
        assert f"gen_continue_{run_id}" not in [b.key for b in at.button]   # no Continue to click on a live run
        store._db.execute("UPDATE runs SET status = 'budget_exhausted', owner = NULL, heartbeat = NULL WHERE id = ?",
                          (run_id,))
    at.run()
    at.number_input(key=f"gen_more_{run_id}").set_value(400).run()
    at.button(key=f"gen_continue_{run_id}").click().run()
    assert not at.exception
    with RunStore() as store:
        after = store.run(run_id)
    assert after["params"]["max_samples"] == 400 and after["counts"]["sampled"] > 50
    summary = next(shown(m) for m in at.markdown if "sampled " in shown(m))
    assert f"sampled {after['counts']['sampled']:,}" in summary   # the page's summary is now that run's


@pytest.mark.parametrize("text", ["O=[N+]([O-])c1ccccc1", "C[Si](C)(C)C", "__import__", "[x](y)", ":red[x]", "a*b*c"])
def test_plain_text_survives_markdown(text):
    import html

    from markdown_it import MarkdownIt

    from workbench.common import plain

    assert MarkdownIt().renderInline(plain(text)) == html.escape(text, quote=False)


def test_a_run_name_becomes_a_file_name_without_folders():
    from workbench.common import file_name

    assert file_name("round 1/indoles: DMPK?") == "round 1_indoles_ DMPK_"
    assert file_name("..") == "run" and file_name("hits-2026") == "hits-2026"


def test_a_scored_table_is_named_with_its_profile_edited_or_not():
    """A review: a table scored with the shipped profile edited downloaded under the name of one scored with it as
    shipped; the profile's file stem tells the two apart, as the edited profile's own download does."""
    from molgen.scoring.profiles import ScoringProfile, load_profile, marked_if_edited
    from workbench.common import profile_file_stem

    shipped = load_profile("drug-like")
    edited = marked_if_edited(ScoringProfile.from_dict({**shipped.to_dict(), "avoid": ["[N+](=O)[O-]"]}, "(edited here)"))
    assert profile_file_stem(shipped) == "drug-like"
    assert re.fullmatch(r"drug-like-edited-\w+", profile_file_stem(edited)), profile_file_stem(edited)


def test_an_export_is_named_within_a_file_names_length_and_a_failed_download_is_said(tmp_path):
    """A review: a 300-character tag made every download fail ("File name too long" on the worker thread), and a
    run deleted after the page was drawn gave a click that did nothing; neither was said."""
    from workbench.common import _FAILED_DOWNLOADS, ExportPair, export_file_name, file_name

    assert len(file_name("é" * 200).encode()) == 100 and file_name("é" * 200) == "é" * 50   # no character cut in two
    options = {"top": 100000, "diverse": 0.55, "where": "qed > 0.5", "selected_only": True, "passing_only": True,
               "include_unranked": True, "tagged": "kinase β hinge " * 20}
    name = export_file_name("ß" * 300, "parquet", options)
    assert len((name + ".manifest.json").encode()) <= 255 and name.endswith("-with-unranked.parquet")
    (tmp_path / name).write_text("")   # the file system takes it
    (tmp_path / (name + ".manifest.json")).write_text("")
    assert export_file_name("hits", "csv", {"top": None, "diverse": None, "tagged": None}) == "hits.csv"

    def deleted():
        raise LookupError("no run 'x' in the store")

    pair = ExportPair(deleted, "export")
    with pytest.raises(LookupError):
        pair.half(manifest=False)
    assert _FAILED_DOWNLOADS[("", "export")] == "no run 'x' in the store"   # said on the page's next run


def test_the_export_page_says_a_download_that_failed(stored_run, monkeypatch):
    from workbench import common

    monkeypatch.setattr(common, "_browser_session", lambda: "this browser")
    common._FAILED_DOWNLOADS[("this browser", "export")] = "no run 'x' in the store"
    at = page("export", stored_run)
    assert not at.exception
    assert [e.value.replace("\\", "") for e in at.error] == [   # (plain() escapes Markdown)
        "The last download failed, and no file was written: no run 'x' in the store"]
    assert not at.run().error   # said once


def test_bfloat16_sampling_from_the_generate_page(stored_run, monkeypatch):
    from molgen.models.smiles_lm import sample as sampling

    at = page("generate")
    labels = at.selectbox(key="gen_model").options
    lstm = next(label for label in labels if "lstm" in label)
    monkeypatch.setattr(sampling, "bf16_supported", lambda: False)
    at.selectbox(key="gen_model").set_value(lstm).run()
    assert at.checkbox(key="gen_bf16").disabled  # oneDNN's bfloat16 LSTM would fail on such a CPU
    monkeypatch.undo()
    transformer = next(label for label in labels if "transformer" in label)  # runs in bfloat16 on any CPU
    at.selectbox(key="gen_model").set_value(transformer).run()
    at.checkbox(key="gen_bf16").check().run()
    options, candidates = _generate(at, "bf16-run", 5)
    assert options.get("bf16") is True and candidates >= 5


def test_the_generate_form_says_why_the_graph_vae_cannot_steer_towards_a_reference(stored_run):
    """From a web review: gefitinib (31 heavy atoms) was only filtered for, said before the run with no reason."""
    at = page("generate")
    vae = next(label for label in at.selectbox(key="gen_model").options if label.startswith("graph-vae"))
    at.selectbox(key="gen_model").set_value(vae).run()
    at.text_input(key="gen_reference").set_value("COc1cc2ncnc(Nc3ccc(F)c(Cl)c3)c2cc1OCCCN1CCOCC1").run()
    said = " ".join(shown(caption) for caption in at.caption)
    assert "similar_to: not steered by this model here; met by the filter alone (the reference: " in said
    assert "has 31 heavy atoms; this model decodes at most" in said


def test_graph_vae_decoding_from_the_generate_page(stored_run):
    at = page("generate")
    vae = next(label for label in at.selectbox(key="gen_model").options if label.startswith("graph-vae"))
    at.selectbox(key="gen_model").set_value(vae).run()
    assert at.selectbox(key="gen_decoding").value == DEFAULT_DECODING == "most-likely"
    at.selectbox(key="gen_decoding").set_value("greedy").run()
    assert not [s for s in at.slider if s.key.startswith("gen_temperature")]  # greedy decoding draws nothing
    assert not [s for s in at.number_input if s.key == "gen_candidates"]
    at.selectbox(key="gen_decoding").set_value("sampled").run()
    at.slider(key="gen_temperature").set_value(0.8).run()
    options, candidates = _generate(at, "vae-sampled-run", 5)
    assert options == {"decoding": "sampled", "temperature": 0.8} and candidates >= 5
    at.selectbox(key="gen_decoding").set_value("most-likely").run()
    assert at.slider(key="gen_temperature_most_likely").value == MOST_LIKELY_TEMPERATURE  # not the 0.8 set above
    at.number_input(key="gen_candidates").set_value(3).run()
    options, candidates = _generate(at, "vae-most-likely-run", 5)
    assert options == {"decoding": "most-likely", "candidates": 3, "temperature": MOST_LIKELY_TEMPERATURE}
    assert candidates >= 5


def test_graph_diffusion_sampler_from_the_generate_page(stored_run):
    from molgen.models.graph_diffusion.model import DEFAULT_SAMPLER, FLOW_DEFAULTS, STEP_SPACING

    at = page("generate")
    diffusion = next(label for label in at.selectbox(key="gen_model").options if label.startswith("graph-diffusion"))
    at.selectbox(key="gen_model").set_value(diffusion).run()
    assert at.selectbox(key="gen_sampler").value == DEFAULT_SAMPLER == "flow"
    assert at.slider(key="gen_target_guidance").value == FLOW_DEFAULTS["target_guidance"]
    at.select_slider(key="gen_steps").set_value(10).run()
    assert at.selectbox(key="gen_sampler").value == "ancestral"  # the flow chain needs 50 steps or more
    at.selectbox(key="gen_sampler").set_value("flow").run()
    at.number_input(key="gen_budget").set_value(100).run()
    at.slider(key="gen_stochasticity").set_value(5.0).run()
    options, candidates = _generate(at, "diffusion-flow-run", 3)
    assert options["sampler"] == "flow" and options["stochasticity"] == 5.0 and options["steps"] == 10
    assert options["target_guidance"] == FLOW_DEFAULTS["target_guidance"] and candidates >= 3
    assert options["step_spacing"] == STEP_SPACING
    at.selectbox(key="gen_sampler").set_value("ancestral").run()
    at.slider(key="gen_step_spacing").set_value(1.0).run()  # either sampler: DiGress's even spacing
    assert not [s for s in at.slider if s.key in ("gen_target_guidance", "gen_stochasticity")]  # flow options only
    options, candidates = _generate(at, "diffusion-ancestral-run", 3)
    assert options["sampler"] == "ancestral" and options["target_guidance"] == options["stochasticity"] == 0.0
    assert options["step_spacing"] == 1.0 and candidates >= 3 and options["projection"] is False
    at.checkbox(key="gen_projection").check().run()
    options, candidates = _generate(at, "diffusion-projected-run", 3)
    assert options["projection"] is True and candidates >= 3
    assert any("after projection onto valence and ring size, a correction" in m.value for m in at.markdown)
    # a step count across the line brings the sampler back to its default; a choice stays while the default does
    at.select_slider(key="gen_steps").set_value(100).run()
    assert at.selectbox(key="gen_sampler").value == "flow"
    at.selectbox(key="gen_sampler").set_value("ancestral").run()
    at.select_slider(key="gen_steps").set_value(250).run()
    assert at.selectbox(key="gen_sampler").value == "ancestral"
    at.select_slider(key="gen_steps").set_value(10).run()
    at.select_slider(key="gen_steps").set_value(100).run()
    assert at.selectbox(key="gen_sampler").value == "flow"
    # with a scaffold the default is the chain at any steps, whole or with attachment points
    at.select_slider(key="gen_steps").set_value(10).run()
    at.text_input(key="gen_scaffold").set_value("c1ccncc1").run()
    at.run()   # the sampler reads the scaffold field, further down the page, as the last rerun left it
    assert at.selectbox(key="gen_sampler").value == "flow"
    at.text_input(key="gen_scaffold").set_value("*c1ccncc1").run()
    at.run()
    assert at.selectbox(key="gen_sampler").value == "flow"
    at.text_input(key="gen_scaffold").set_value("").run()
    at.run()
    assert at.selectbox(key="gen_sampler").value == "ancestral"   # no scaffold, 10 steps: the unconditional default


def test_a_kept_substructure_read_only_as_smarts_is_said(stored_run):
    """From a web review: a quinazoline typed with a slip (c1ccc2ncnc2c1, no valid SMILES) became a SMARTS filter
    without a word, and the SMILES models stopped building on it."""
    at = page("generate")
    at.text_input(key="gen_scaffold").set_value("c1ccc2ncnc2c1").run()
    assert any(shown(w).startswith("Read as SMARTS: it is not valid SMILES") for w in at.warning)
    at.text_input(key="gen_scaffold").set_value("O=C(N[C@@H](C)c1ccccc1)c1cncc1").run()   # a slip with a [C@@H]
    assert any(shown(w).startswith("Read as SMARTS: it is not valid SMILES") for w in at.warning)
    at.text_input(key="gen_scaffold").set_value("[N;H2]c1ccccc1").run()   # meant as SMARTS
    assert not any("Read as SMARTS" in shown(w) for w in at.warning)
    assert any(shown(c).startswith("Read as SMARTS") for c in at.caption)
    at.text_input(key="gen_scaffold").set_value("c1ccc2ncncc2c1").run()   # quinazoline: SMILES, nothing to say
    assert not any("Read as SMARTS" in shown(e) for e in [*at.warning, *at.caption])


def test_a_typed_smarts_is_not_rewritten_by_the_molecule_editor(stored_run):
    """The Ketcher editor hands back what it was given until Apply: that must not count as a drawing."""
    at = page("generate")
    for query in ("[NH2]c1ccccc1", "[#7]", "OCC"):
        at.text_input(key="gen_scaffold").set_value(query).run()
        at.run()
        assert at.text_input(key="gen_scaffold").value == query


def test_browse_says_which_hard_filter_set_a_score_to_zero(stored_run):
    with RunStore() as store:
        first = store.candidates(stored_run, ranked_only=True, limit=1)["smiles"].iloc[0]
        with store.transaction() as db:
            db.execute("UPDATE candidates SET failed_filters = 'rings' WHERE run_id = ? AND smiles = ?", (stored_run, first))
    try:
        at = page("browse", stored_run)
        assert not at.exception
        # the details of the first candidate (markdown-escaped text)
        assert any("Score set to 0" in w.value and "rings" in w.value for w in at.warning)
    finally:
        with RunStore() as store, store.transaction() as db:
            db.execute("UPDATE candidates SET failed_filters = '' WHERE run_id = ? AND smiles = ?", (stored_run, first))


def test_browse_filters_and_selects(stored_run):
    at = page("browse", stored_run)
    assert not at.exception
    total = int(at.markdown[0].value.split("**")[1].replace(",", ""))
    assert total > 0
    slider = at.slider(key=f"browse_qed_{stored_run}")
    low, high = slider.value
    slider.set_value((round((low + high) / 2, 2), high)).run()
    fewer = int(at.markdown[0].value.split("**")[1].replace(",", ""))
    assert 0 < fewer < total
    donors = at.slider(key=f"browse_hbd_{stored_run}")   # a count: whole numbers
    assert all(isinstance(v, int) for v in donors.value) and donors.step == 1
    details = at.table[0].value.reset_index()   # a static table: its meanings wrap
    assert {"qed", "mw", "hbd", "heavy_atoms", "rings"} <= set(details["property"])   # counts too (Int64 columns)
    meaning = dict(zip(details["property"], details["meaning"]))
    assert "g/mol" in meaning["mw"] and "Å²" in meaning["tpsa"] and "0 to 1" in meaning["score"]
    assert "." not in dict(zip(details["property"], details["value"]))["hbd"]   # a count reads as a whole number
    assert details["property"].iloc[0] == "qed" and "rings" in meaning["alerts"]   # properties first; the run's alert sets
    assert dict(zip(details["property"], details["value"]))["lipinski_pass"] in ("yes", "no")
    assert meaning["veber_pass"].startswith("Veber rule (rotatable_bonds <= 10, tpsa <= 140): passes with no violation")
    # which counts the rule reads is said: Lipinski's NH + OH and N + O, not RDKit's hbd and hba (aspirin 3, not 4)
    assert "nhoh_count <= 5, no_count <= 10" in meaning["lipinski_pass"] and "NH + OH and N + O" in meaning["lipinski_pass"]
    assert "no_count, which the Lipinski rule reads" in meaning["hba"]
    first = next(c for c in at.checkbox if c.label.startswith("select #"))
    first.check().run()
    with RunStore() as store:
        assert store.count(stored_run, ranges={"selected": (1, 1)}) == 1
        first.uncheck().run()
        assert store.count(stored_run, ranges={"selected": (1, 1)}) == 0
    # the table's selected column is the one cell a chemist can edit; a tick there reaches the store and the grid
    table = at.data_editor[0]
    assert table.value.columns[0] == "selected"
    second = table.value["smiles"].iloc[1]
    at.session_state[table.key] = {"edited_rows": {1: {"selected": True}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    with RunStore() as store:
        chosen = store.candidates(stored_run, ranges={"selected": (1, 1)})
        assert chosen["smiles"].tolist() == [second]
    assert next(c for c in at.checkbox if c.label == "select #2").value
    at.run()   # the editor keeps its edits across reruns; applying them again changes nothing
    with RunStore() as store:
        assert store.candidates(stored_run, ranges={"selected": (1, 1)})["smiles"].tolist() == [second]
    # back from another page: Streamlit dropped the editor's edits, and the tick must not be read as undone
    del at.session_state[table.key]
    at.run()
    with RunStore() as store:
        assert store.candidates(stored_run, ranges={"selected": (1, 1)})["smiles"].tolist() == [second]
    # unticked in the grid: the table starts afresh from the store (a new editor), and the old tick is not re-applied
    next(c for c in at.checkbox if c.label == "select #2").uncheck().run()
    assert at.data_editor[0].key != table.key and not at.data_editor[0].value["selected"].any()
    with RunStore() as store:
        assert store.count(stored_run, ranges={"selected": (1, 1)}) == 0
        store.set_selected(stored_run, frame_smiles := at.data_editor[0].value["smiles"].head(2).tolist())
    # "Selected only": each untick in the table removes a row, so the next untick lands in another editor;
    # neither may be lost
    at.toggle(key="browse_selected").set_value(True).run()
    for left in (1, 0):
        table = at.data_editor[0]
        assert table.value["selected"].all() and len(table.value) == left + 1
        at.session_state[table.key] = {"edited_rows": {0: {"selected": False}}, "added_rows": [], "deleted_rows": []}
        at.run()
        with RunStore() as store:
            assert store.candidates(stored_run, ranges={"selected": (1, 1)})["smiles"].tolist() == frame_smiles[2 - left:]
        assert at.markdown[0].value.startswith(f"**{left}**")   # the count sees the untick in the same rerun
    # every molecule the filters keep, on every page, selected at once for Export
    at.toggle(key="browse_selected").set_value(False).run()
    at.toggle(key="browse_alerts").set_value(True).run()
    matching = int(re.match(r"\*\*(\d+)\*\*", at.markdown[0].value).group(1))   # with the sliders set above
    at.button(key="browse_select_all").click().run()
    assert not at.exception
    with RunStore() as store:
        assert 0 < matching < store.count(stored_run, ranked_only=True)   # the filters mattered
        chosen = store.candidates(stored_run, ranges={"selected": (1, 1)})
        assert len(chosen) == matching and (chosen["alerts"] == 0).all() and (chosen["rank"] > 0).all()
    assert all(c.value for c in at.checkbox if c.label.startswith("select #"))
    # what is selected in the run is said beside the buttons: a selection made under other filters stays
    assert any(f"{matching:,} selected in this run, all among these" in c.value for c in at.caption)
    with RunStore() as store:   # one more, outside these filters
        outside = store.candidates(stored_run, ranges={"selected": (0, 0)}, ranked_only=True)["smiles"].head(1)
        store.set_selected(stored_run, outside)
    at.run()
    assert any(f"{matching + 1:,} selected in this run, {matching:,} of them among these" in c.value for c in at.caption)
    with RunStore() as store:
        store.set_selected(stored_run, outside, selected=False)
    at.run()
    # the selected molecules tagged at once; the tag reaches the table and every export
    at.text_input(key="browse_tag_text").set_value("hinge").run()
    at.button(key="browse_tag_go").click().run()
    assert not at.exception and any(f"Tagged {matching:,} selected molecules 'hinge'" in shown(s) for s in at.success)
    with RunStore() as store:
        from molgen.runs.export import select_candidates

        tagged = select_candidates(store, stored_run, where="tags.str.contains('hinge')")
        assert sorted(tagged["smiles"]) == sorted(chosen["smiles"])
    assert (at.data_editor[0].value["tags"] == "hinge").all()
    at.button(key="browse_unselect_all").click().run()
    with RunStore() as store:
        assert store.count(stored_run, ranges={"selected": (1, 1)}) == 0
        store._db.execute("UPDATE candidates SET tags = '' WHERE run_id = ?", (stored_run,))
    at.button(key="browse_tag_go").click().run()   # nothing selected now: said, nothing tagged
    assert any("No molecule of this run is selected" in shown(e) for e in at.error)
    with RunStore() as store:   # a comma would read as two tags when listed: refused as the runs' tags are
        with pytest.raises(ValueError, match="without commas") as comma:
            store.tag_candidates(stored_run, chosen["smiles"].head(1), "a,b")
        assert str(comma.value).endswith("not 'a,b' (give several tags one at a time)")
        with pytest.raises(ValueError) as spaces:   # the hint on several tags is for a comma, not an empty tag
            store.tag_candidates(stored_run, chosen["smiles"].head(1), "   ")
        assert str(spaces.value).endswith("line breaks; not ''")
    at.toggle(key="browse_alerts").set_value(False).run()


def test_browse_filters_by_a_whole_tag_takes_a_tag_off_and_export_writes_a_tags_molecules(tiny_checkpoint):
    """A tag given on Browse is a filter there (and in the address), comes off again, and chooses an export's rows."""
    from molgen.runs.export import select_candidates

    with RunStore() as store:
        run_id = generate(str(tiny_checkpoint), 30, seed=21, store=store, progress=False, name="tagged-run",
                          conditions=["mw<=320"]).id   # some miss it: unranked
        ranked = store.candidates(run_id, ranked_only=True)["smiles"].tolist()
        store.tag_candidates(run_id, ranked[:2], "hinge")
        store.tag_candidates(run_id, ranked[2:3], "hinge-binders")   # another tag, not "hinge" (a substring match would say so)
        store.tag_candidates(run_id, ranked[:1], "keep")
        assert store.candidate_tags(run_id) == {"hinge": 2, "hinge-binders": 1, "keep": 1}
    at = page("browse", run_id)
    assert at.selectbox(key="browse_tag_filter").options == ["any molecule", "hinge (2)", "hinge-binders (1)", "keep (1)"]
    at.selectbox(key="browse_tag_filter").set_value("hinge").run()
    assert not at.exception and at.markdown[0].value.startswith("**2** candidates match")
    assert at.query_params["tag"] == "hinge"
    # a shared link opens the same filter
    linked = AppTest.from_file(str(PAGES / "browse.py"), default_timeout=180)
    for name, value in dict(at.query_params).items():
        linked.query_params[name] = value
    linked.run()
    assert linked.selectbox(key="browse_tag_filter").value == "hinge" and linked.markdown[0].value.startswith("**2**")
    # the tag taken off the selected one; its other tag stays
    with RunStore() as store:
        store.set_selected(run_id, ranked[:1])
    at.text_input(key="browse_tag_text").set_value(" hinge ").run()
    at.button(key="browse_untag_go").click().run()
    assert not at.exception and any("Took 'hinge' off 1 of the 1 selected molecule" in shown(s) for s in at.success)
    with RunStore() as store:
        tags = dict(zip(*store.candidates(run_id, columns=["smiles", "tags"])[["smiles", "tags"]].T.values))
        assert tags[ranked[0]] == "keep" and tags[ranked[1]] == "hinge" and tags[ranked[2]] == "hinge-binders"
        assert store.untag_candidates(run_id, ranked[:1], "keep") == 1 and store.candidate_tags(run_id)["hinge"] == 1
    assert at.markdown[0].value.startswith("**1** candidate matches")
    at.button(key="browse_untag_go").click().run()   # nothing left to take off: said
    assert any("None of the 1 selected molecule is tagged 'hinge'" in shown(e) for e in at.error)
    # a tag no molecule carries any more leaves the filter
    with RunStore() as store:
        store.untag_candidates(run_id, ranked, "hinge-binders")
    at.run()
    assert at.selectbox(key="browse_tag_filter").options == ["any molecule", "hinge (1)"]
    # export: the whole tag, ranked or not, as a selection is
    with RunStore() as store:
        unranked = store.candidates(run_id, ranges={"rank": (0, 0)})["smiles"].tolist()
        store.tag_candidates(run_id, unranked[:1], "hinge")
        written = select_candidates(store, run_id, tagged="hinge")
        assert sorted(written["smiles"]) == sorted([ranked[1], unranked[0]])
        assert select_candidates(store, run_id, tagged="hinge-binders").empty
    exported = page("export", run_id)
    exported.selectbox(key="export_tagged").set_value("hinge").run()
    assert not exported.exception and exported.markdown[0].value.startswith("**2** candidates will be exported")


def test_a_run_whose_process_died_is_ranked_as_it_is_read_and_can_be_exported(stored_run, tiny_checkpoint):
    import socket

    with RunStore() as store:
        run_id = generate(str(tiny_checkpoint), 150, seed=4, max_samples=50, store=store, progress=False,
                          name="killed").id
        # as a kill -9 mid-run leaves it: running, held by a process that is gone, nothing ranked yet
        store._db.execute("UPDATE candidates SET rank = 0 WHERE run_id = ?", (run_id,))
        store._db.execute("UPDATE runs SET status = 'running', owner = ?, counts = '{}' WHERE id = ?",
                          (f"{socket.gethostname()}:4194303::dead", run_id))
        counts = store.run(run_id)["counts"]   # settled as it is read, and ranked
    assert counts["accepted"] > 0 and counts["ranked"] == counts["accepted"]
    at = page("export", run_id)
    assert not at.exception
    assert f"**{counts['accepted']:,}** candidate" in at.markdown[0].value and at.dataframe
    at = page("generate")
    at.session_state["gen_last_run"] = run_id
    at.run()
    summary = next(shown(m) for m in at.markdown if "sampled " in shown(m))
    assert f"ranked {counts['accepted']:,} ·" in summary or f"ranked {counts['accepted']:,} (" in summary
    assert "when continued" not in summary


def test_a_run_stopped_before_its_first_chunk_is_summed_up_and_offered_to_continue(tiny_checkpoint):
    """A review: a graph-diffusion run stopped in its first chunk (validity None: nothing sampled) raised a
    TypeError in the summary, at every visit, and its Continue button was never reached."""
    with RunStore() as store:
        def stop(run_id):
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt) as stopped:
            generate(str(tiny_checkpoint), 10, seed=1, store=store, progress=False, name="stopped-in-its-first-chunk",
                     on_start=stop)
        run_id = stopped.value.molgen_run_id
        assert store.run(run_id)["counts"]["validity"] is None
    at = page("generate")
    at.session_state["gen_last_run"] = run_id
    at.run()
    assert not at.exception
    summary = next(shown(m) for m in at.markdown if "sampled " in shown(m))
    assert summary.startswith("sampled 0 · valid none sampled (")
    assert any(b.key and b.key.startswith("gen_continue_") for b in at.button)


def test_export_previews_filters_and_refuses_a_bad_expression(stored_run):
    at = page("export", stored_run)
    assert "candidates will be exported" in at.markdown[0].value
    with RunStore() as store:   # what no row of the file holds is said: the tiny model's samples that were no molecule
        rejected = len(store.rejects(stored_run))
    assert rejected and any(f"Not in the file: {rejected:,} samples the run did not keep as molecules" in c.value
                            for c in at.caption)
    at.text_input(key="export_where").set_value("qed >>> 2").run()
    assert not at.exception and "cannot apply the filter" in shown(at.error[0])
    at.text_input(key="export_where").set_value("qed > 0.5").run()
    at.number_input(key="export_top").set_value(5).run()
    assert not at.exception
    exported = int(at.markdown[0].value.split("**")[1])
    assert 0 < exported <= 5
    # nothing to export says why, and what would give rows
    at.text_input(key="export_where").set_value("qed > 5").run()
    assert "passes the filter: loosen it or clear it" in shown(at.info[0]) and not at.dataframe
    at.text_input(key="export_where").set_value("").run()
    at.toggle(key="export_selected").set_value(True).run()
    assert "No candidate of this run is selected: tick molecules on **Browse**" in shown(at.info[0])


def test_browse_and_export_repeat_the_runs_notes(stored_run, monkeypatch):
    """A note that bears on what to take forward (copies of the training data, an alert most molecules raise) is
    shown where a chemist browses and exports the run, not only where it was generated."""
    import molgen.runs.notes
    from workbench.common import _run_notes_of

    said = "12 of the 60 ranked molecules are in the model's training data"
    monkeypatch.setattr(molgen.runs.notes, "run_notes", lambda record, candidates, on_page=False: [said])
    _run_notes_of.clear()   # cached across pages and tests, per run and state
    try:
        for name in ("browse", "export"):
            at = page(name, stored_run)
            assert not at.exception
            assert said in [shown(warning) for warning in at.warning], name
    finally:
        _run_notes_of.clear()


def test_augment_reads_typed_lines_as_a_smi_file_a_name_after_the_smiles():
    """A chemist pastes a .smi file: "CCO ethanol" is ethanol named ethanol, not an invalid SMILES."""
    at = page("augment")
    at.text_area(key="aug_input").set_value("CCO ethanol\nc1ccccc1O phenol, the one from the shelf\nCCN").run()
    assert not at.warning   # every line is a valid molecule
    at.button(key="aug_go").click().run()
    assert not at.exception
    rows = at.session_state["aug_result"][0]
    assert set(rows.loc[rows["input_row"] == 1, "name"]) == {"ethanol"}
    assert set(rows.loc[rows["input_row"] == 2, "name"]) == {"phenol, the one from the shelf"}
    assert set(rows.loc[rows["input_row"] == 3, "name"]) == {""}


def test_augment_enumerates_and_reports_invalid_input():
    at = page("augment")
    at.text_area(key="aug_input").set_value("CCO\nc1ccccc1O\nC1CC").run()
    assert "1 input row is not a valid molecule" in at.warning[0].value
    assert any("No held-out molecules: the rows made are checked against no test set" in c.value for c in at.caption)
    at.button(key="aug_go").click().run()
    assert not at.exception
    from molgen.augment import enumerate_smiles

    expected, failed = enumerate_smiles(["CCO", "c1ccccc1O", "C1CC"], 10, seed=0)
    assert at.success[0].value == f"{len(expected):,} rows; {len(failed):,} removed (each with its reason)"
    manifest = at.session_state["aug_result"][4]   # what the manifest download holds, as the CLI writes it
    assert manifest["output"]["rows"] == len(expected)
    assert manifest["augment"]["settings"] == {"k": 10, "include_canonical": False, "seed": 0}
    assert manifest["input"]["sha256"] == hashlib.sha256(b"CCO\nc1ccccc1O\nC1CC").hexdigest()
    assert manifest["guard"]["near_duplicate"] is None   # spellings are matched exactly: no threshold was applied
    # the checksums of the very files the downloads give (a review: the page's manifest had none)
    files = at.session_state["aug_result"][6]
    assert manifest["output"]["sha256"] == hashlib.sha256(files["rows"].encode()).hexdigest()
    assert manifest["output"]["report_sha256"] == hashlib.sha256(files["removed"].encode()).hexdigest()
    assert manifest["input"]["file"] == "input molecules typed in the workbench"
    removed = at.session_state["aug_result"][1]
    assert list(removed.columns[:2]) == ["smiles", "removed_because"]   # the reason beside the molecule
    # benzene's one spelling is its canonical SMILES: the option the removal reason names is on the page, by its name
    at.text_area(key="aug_input").set_value("CCO\nc1ccccc1O\nc1ccccc1").run()
    at.button(key="aug_go").click().run()
    removed = at.session_state["aug_result"][1]
    assert removed["removed_because"].tolist() == [
        "no spelling other than its canonical SMILES (\"Also keep each molecule's canonical SMILES\" keeps that one)"]
    # an input of which nothing is left is no success (a review: "0 rows" in green)
    at.text_area(key="aug_input").set_value("c1ccccc1").run()
    at.button(key="aug_go").click().run()
    assert not at.success and at.warning[0].value == "0 rows; 1 removed (each with its reason)"
    at.text_area(key="aug_input").set_value("CCO\nc1ccccc1O\nC1CC").run()
    at.checkbox(key="aug_canonical").check().run()
    at.button(key="aug_go").click().run()
    rows = at.session_state["aug_result"][0]
    assert "Oc1ccccc1" in set(rows[rows["input_row"] == 2]["smiles"])   # phenol's canonical SMILES, now kept


def test_compare_measures_nothing_of_a_run_with_no_valid_molecule(tiny_checkpoint, fetched_moses):
    """A review: such a run was measured anyway, an n = 0 row beside a ceiling row of n = 100."""
    with RunStore() as store:
        run_id = generate(str(tiny_checkpoint), 5, seed=5, store=store, progress=False, name="nothing-valid",
                          sample_options={"temperature": 20.0}, max_samples=10).id
    at = page("compare", run_id)
    at.multiselect(key="compare_runs").set_value([run_id]).run()
    at.button(key="compare_go_metrics").click().run()
    assert not at.exception
    assert any("Nothing to measure for nothing-valid: no valid molecule stored" in shown(i) for i in at.info)
    assert not any("MOSES train itself" in str(getattr(d.value, "data", d.value).index.tolist()) for d in at.dataframe)


def test_compare_puts_runs_side_by_side_and_measures_them(stored_run, tiny_checkpoint, fetched_moses):

    with RunStore() as store:
        other = generate(str(tiny_checkpoint), 20, seed=8, store=store, progress=False, name="other-run").id
        records = {r: store.run(r) for r in (stored_run, other)}
    at = page("compare", stored_run)
    picker = at.multiselect(key="compare_runs")
    assert picker.value == [stored_run]   # the run in view
    picker.set_value([stored_run, other]).run()
    assert not at.exception
    summary = next(d.value for d in at.dataframe if "run" in d.value.columns)
    assert summary["run"].tolist() == ["fixture-run", "other-run"] or summary["run"].tolist() == ["other-run", "fixture-run"]
    row = summary.set_index("run").loc["other-run"]
    assert row["validity"] == records[other]["counts"]["validity"] and row["ranked"] == records[other]["counts"]["accepted"]
    assert row["profile"] == "drug-like" and row["seed"] == 8 and row["conditions"] == "none"
    assert row["validity as"] == "no correction"   # per run: a graph model's validity is reached otherwise
    assert row["failing hard filters"] == records[other]["counts"]["failing_hard_filters"]
    with RunStore() as store:   # the means describe the ranked molecules a chemist takes forward: passing the filters
        ranked = store.candidates(other, ranked_only=True)
    passing = ranked[ranked["passes_filters"].astype(bool)]
    assert row["QED (mean)"] == pytest.approx(passing["qed"].mean())
    at.button(key="compare_go_metrics").click().run()
    assert not at.exception
    measured = at.dataframe[-1].value
    measured = getattr(measured, "data", measured)   # a Styler's frame
    runs = measured.loc[["fixture-run", "other-run"]]
    assert (runs["FCD/Test"] > 0).all()
    # each run is read beside the training set's own score at about its n (60 and 20 molecules: n = 100),
    # and the page says that few molecules were measured
    assert list(measured.index[2:]) == ["MOSES train itself, n = 100 (the ceiling, measured)"]
    assert measured.iloc[2]["FCD/Test"] > 10
    assert any("Measured on few molecules" in shown(w) and "FCD/Test 12.78" in shown(w) for w in at.warning)
    assert measured.loc["other-run", "valid"] == pytest.approx(records[other]["counts"]["validity"], abs=5e-5)   # in full
    with RunStore() as store:
        store.delete_run(other)
    at.run()   # a picked run deleted since: dropped from the picker, not an error
    assert not at.exception and len(at.multiselect(key="compare_runs").value) == 1
    assert any(other in shown(i) and "No longer in the run store" in shown(i) for i in at.info)   # said, not silent


def test_compare_shows_our_models_beside_published_baselines(stored_run):
    at = page("compare", stored_run)
    table = at.dataframe[0].value
    assert {"CharRNN (published)", "molgen smiles-lm-lstm (ours)"} <= set(table.index)
    assert table.loc["molgen smiles-lm-lstm (ours)", "FCD/Test"] > 0 and "Novelty" in table.columns
    assert at.dataframe[0].proto.placeholder == "—"   # a metric a paper did not publish reads as a dash, not None


def test_each_models_decoding_fields_survive_a_look_at_another_model():
    """Streamlit forgets a widget a run does not draw: a guidance set for graph diffusion was back at 0, and the
    LSTM's temperature at 1, after a look at another model."""
    at = page("generate")
    labels = at.selectbox(key="gen_model").options
    lstm, diffusion = (next(label for label in labels if label.startswith(name))
                       for name in ("smiles-lm-lstm", "graph-diffusion"))
    at.selectbox(key="gen_model").set_value(lstm).run()
    at.slider(key="gen_temperature").set_value(0.7).run()
    at.selectbox(key="gen_model").set_value(diffusion).run()
    at.slider(key="gen_guidance").set_value(0.5).run()
    at.selectbox(key="gen_sampler").set_value("ancestral").run()
    at.selectbox(key="gen_model").set_value(lstm).run()
    assert not at.exception and at.slider(key="gen_temperature").value == 0.7
    at.selectbox(key="gen_model").set_value(diffusion).run()
    assert at.slider(key="gen_guidance").value == 0.5 and at.selectbox(key="gen_sampler").value == "ancestral"


def test_the_push_targets_survive_a_switch_of_method():
    """A review: TPSA ticked and set under Random search was unticked, and its slider back at its default, after a
    look at Gradient steps (whose widgets are others: Streamlit forgets a widget a run does not draw)."""
    at = page("latent")
    RANDOM, GRADIENT = (next(o for o in at.radio(key="latent_push_method").options if o.startswith(start))
                        for start in ("Random search", "Gradient steps"))
    at.radio(key="latent_push_method").set_value(RANDOM).run()
    at.checkbox(key="latent_use_tpsa").check().run()
    at.slider(key="latent_target_tpsa").set_value(60.0).run()
    at.slider(key="latent_search_decodings").set_value(64).run()
    at.radio(key="latent_push_method").set_value(GRADIENT).run()
    assert not at.exception
    at.slider(key="latent_push_steps").set_value(30).run()
    at.radio(key="latent_push_method").set_value(RANDOM).run()
    assert not at.exception
    assert at.checkbox(key="latent_use_tpsa").value and at.slider(key="latent_target_tpsa").value == 60.0
    assert at.slider(key="latent_search_decodings").value == 64
    at.radio(key="latent_push_method").set_value(GRADIENT).run()
    assert at.slider(key="latent_push_steps").value == 30


def test_latent_page_with_a_graph_vae(tmp_path):
    """The Latent page driven with a small graph VAE (the page picks up the shipped one the same way)."""
    from molgen.data.registry import load_smiles
    from molgen.models.graph_vae.config import TrainConfig
    from molgen.models.graph_vae.train import build_model, train
    from molgen.models.smiles_lm.labels import property_labels

    smiles = load_smiles("moses-sample", "train")[:800]
    import torch

    torch.manual_seed(0)  # the same small model whichever tests ran before in this worker
    model, _ = build_model(smiles, latent_dim=8, hidden_dim=32, encoder_layers=1, properties=["qed", "logp"])
    labels = property_labels(smiles, ["qed", "logp"], n_jobs=1, progress=False)
    model.config.property_mean, model.config.property_std = labels.mean(axis=0).tolist(), labels.std(axis=0).tolist()
    out = tmp_path / "vae.pt"
    train(model, smiles, smiles[:100], TrainConfig(batch_size=64, max_steps=20, eval_every=20, warmup_steps=2), out,
          progress=False, train_labels=labels)
    at = AppTest.from_file(str(PAGES / "latent.py"), default_timeout=180).run()
    at.text_input(key="latent_checkpoint").set_value(str(tmp_path / "missing.pt")).run()
    assert not at.exception and shown(at.error[0]) == f"{tmp_path / 'missing.pt'}: no such checkpoint file"
    at.text_input(key="latent_checkpoint").set_value(str(out)).run()
    assert not at.exception
    at.button(key="latent_go_interp").click().run()
    assert not at.exception and any("distinct molecules on the way" in m.value for m in at.markdown)
    # a 20-step model brings neither end back, and the page says so rather than implying it did
    assert any("did not decode back" in c.value for c in at.caption)
    # the result stays while a setting changes, marked as made from the old settings
    downloads = at.get("download_button")
    assert [d.proto.label for d in downloads] == ["Download as CSV", "Download the manifest (JSON)"]
    assert not any(d.proto.disabled for d in downloads)
    at.toggle(key="latent_slerp").set_value(True).run()
    assert any("distinct molecules on the way" in shown(m) for m in at.markdown)
    assert any("have changed since" in c.value for c in at.caption)
    # a result the form no longer holds is not downloaded as if it did (a review: analogues of the seed typed before)
    assert all(d.proto.disabled for d in at.get("download_button"))
    made = at.session_state["latent_result_interpolate"]["provenance"]
    assert made["settings"]["spherical"] is False and made["given"]["start"]["encoded"] == at.text_input(key="latent_from").value
    assert made["model"]["checkpoint"] == str(out) and len(made["model"]["sha256"]) == 64
    # a salt is encoded as its parent, and the page says so; one molecule at both ends has no path
    at.text_input(key="latent_to").set_value("Cl.CCOc1ccccc1NC(=O)c1ccc(N(C)C)cc1").run()
    assert any("encodes its parent, CCOc1ccccc1NC(=O)c1ccc(N(C)C)cc1" in shown(c) for c in at.caption)
    assert "same molecule" in at.info[0].value and at.button(key="latent_go_interp").disabled
    # two enantiomers are one molecule to a model without stereo, and the page says that is why (a web review)
    at.text_input(key="latent_from").set_value("C[C@H](N)C(=O)O").run()
    at.text_input(key="latent_to").set_value("C[C@@H](N)C(=O)O").run()
    assert "differ only in stereochemistry or isotopes" in at.info[0].value and at.button(key="latent_go_interp").disabled
    at.text_input(key="latent_from").set_value("CCOc1ccccc1NC(=O)c1ccc(N(C)C)cc1").run()
    # ibuprofen sodium's carboxylate is neutralized, said; table salt has no organic parent; a mixture of two
    # equally large molecules names both (from a review: [Na+].[Cl-] was "encoded as [Cl-]", then refused)
    at.text_input(key="latent_to").set_value("CC(C)Cc1ccc(C(C)C(=O)[O-])cc1.[Na+]").run()
    assert any("encodes its parent, CC(C)Cc1ccc(C(C)C(=O)O)cc1 (the largest organic fragment, neutralized;" in shown(c)
               for c in at.caption)
    at.text_input(key="latent_to").set_value("[Na+].[Cl-]").run()
    assert any("no organic parent compound to encode" in shown(e) for e in at.error)
    at.text_input(key="latent_to").set_value("CCC.CCN").run()   # (ethanol is a solvent: CCO.CCN is ethylamine)
    assert any("CCN, CCC are equally large: give the one you mean alone" in shown(c) or
               "CCC, CCN are equally large: give the one you mean alone" in shown(c) for c in at.caption)
    # an atom the model cannot take is said under the field, before any press
    at.text_input(key="latent_to").set_value("CC[N+](=O)[O-]").run()
    assert any("cannot be encoded" in shown(e) for e in at.error) and at.button(key="latent_go_interp").disabled
    at.text_input(key="latent_to").set_value("Cc1ccccc1N1CCN(C(=O)c2ccccc2O)CC1").run()
    at.slider(key="latent_refine_steps").set_value(0).run()  # the encoder's point alone
    at.text_input(key="latent_seed").set_value("C1CC((").run()
    assert "not valid SMILES syntax" in shown(at.error[0])
    at.text_input(key="latent_seed").set_value("CCOc1ccccc1").run()
    at.button(key="latent_go_analogues").click().run()
    assert not at.exception
    # the encoder's point of an untrained model does not decode back to the seed: said, not implied
    assert any("not to the seed" in shown(w) for w in at.warning)
    at.number_input(key="latent_search_seed").set_value(3).run()
    at.button(key="latent_go_push").click().run()  # random search, the default: RDKit scores every molecule
    assert not at.exception and any("distinct molecules decoded" in m.value for m in at.markdown)
    # the download's manifest says what its met and gap columns were read against, and its seed (the CLI's --seed)
    settings = at.session_state["latent_result_push"]["provenance"]["settings"]
    assert settings["targets"] == {"qed": 0.9} and settings["tolerances"] == {"qed": 0.05} and settings["seed"] == 3
    found = at.dataframe[0].value
    met = int(found["met"].sum())
    # each decoded molecule with what a chemist reads beside it: QED, SA, MW and its alerts, as RDKit gives them
    from molgen.scoring.pipeline import score as score_with

    assert {"qed", "sa", "mw", "alerts"} <= set(found.columns)
    expected = score_with(found["smiles"].tolist(), "drug-like", n_jobs=1, progress=False)
    from molgen.scoring.pipeline import described_alerts

    # worded as Browse words them, one catalog's names for one group of atoms together, as the count reads them
    assert found["alert_names"].tolist() == [described_alerts(s, t, "drug-like")
                                             for s, t in zip(expected["smiles"], expected["alert_names"])]
    assert any(" / " in text for text in found["alert_names"])   # this untrained model writes an O-O that Brenk names twice
    # counted as molgen score and an export count them (a review: "alerts == 0" matched nothing in a latent file)
    assert found["alerts"].tolist() == [len(text.split("; ")) if text else 0 for text in found["alert_names"]]
    # among those passing the hard filters, then among those failing one: those meeting the targets first, nearest
    # the start first; then the rest by gap
    finds = found.iloc[:-1]   # the start's own decoding comes last, marked (in the download too), never a find
    assert found["is_start"].tolist() == [False] * len(finds) + [True]
    met = int(finds["met"].sum())
    passing = finds["passes_filters"].astype(bool)
    assert passing.is_monotonic_decreasing   # those failing a hard filter after those that pass
    for part in (finds[passing], finds[~passing]):
        met_here = int(part["met"].sum())
        assert part["met"].tolist() == [True] * met_here + [False] * (len(part) - met_here)
        assert part["tanimoto_to_start"][:met_here].is_monotonic_decreasing and part["gap"][met_here:].is_monotonic_increasing
    assert any(f"**{met}** meet every target" in m.value for m in at.markdown)
    at.radio(key="latent_push_method").set_value(at.radio(key="latent_push_method").options[1]).run()  # Bayesian
    at.slider(key="latent_search_decodings").set_value(48).run()
    at.checkbox(key="latent_use_tpsa").check().run()  # a property the model's head does not predict
    at.button(key="latent_go_push").click().run()
    assert not at.exception and "tpsa" in at.dataframe[0].value.columns and at.dataframe[0].value["round"].max() >= 1
    at.radio(key="latent_push_method").set_value("Gradient steps on the property head").run()
    assert "latent_use_tpsa" not in [box.key for box in at.checkbox]  # the gradient takes only the head's properties
    at.checkbox(key="latent_use_logp").check().run()
    at.button(key="latent_go_push").click().run()
    assert not at.exception and any("per step" in m.value and "closest" in m.value for m in at.markdown)
    walk = at.dataframe[0].value
    # each property's closest molecule, not the one nearest both targets at once printed on both lines (a review)
    for name, label in (("qed", "QED"), ("logp", "logP")):
        target = at.slider(key=f"latent_target_{name}").value
        nearest = walk.loc[(walk[name] - target).abs().idxmin()]
        assert any(m.value.startswith(f"{label}: ") and f"closest {nearest[name]:.3f} (step {nearest['step']})" in m.value
                   for m in at.markdown), [m.value for m in at.markdown if "closest" in m.value]
    assert walk["is_start"].tolist() == (walk["step"] == 0).tolist() and walk["is_start"].iloc[0]
    assert any(f"{int(walk['met'][1:].sum())} of the {len(walk) - 1} molecules met on the way" in shown(c) for c in at.caption)
    # the map: a run's best-ranked molecules beside pasted ones, each row kept (an unreadable line with its reason)
    run = generate(str(out), 6, seed=2, max_samples=60, progress=False)
    at.run()   # the run now among the picker's
    assert at.button(key="latent_go_map").disabled   # nothing asked for yet
    at.multiselect(key="latent_map_runs").set_value([run.id]).run()
    at.text_area(key="latent_map_pasted").set_value("CCOc1ccccc1NC(=O)c1ccc(N(C)C)cc1 a\nC1CC( broken\n"
                                                    "CC(=O)Nc1ccc(O)cc1 b\n").run()
    at.number_input(key="latent_map_each").set_value(10).run()
    at.button(key="latent_go_map").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    ranked = len(run.candidates())
    assert any(shown(m) == f"{min(ranked, 10) + 2} molecules on the map, from 2 sets" for m in at.markdown), [m.value for m in at.markdown]
    assert any("1 of the " in shown(c) and "not on the map" in shown(c) and "C1CC(" in shown(c) for c in at.caption)
    assert ranked <= 10 or any(f"its best 10 of {ranked} ranked molecules" in shown(c) for c in at.caption)
    assert at.selectbox(key="latent_map_colour").options[:5] == ["Set", "QED", "SA", "logP", "MW"]
    assert {"rank", "score"} <= set(at.selectbox(key="latent_map_colour").options)
    # a ring larger than the decoder closes is said under the field, before any press (a review: only after it)
    from typer.testing import CliRunner

    from molgen.cli import app

    ringed = tmp_path / "ringed.pt"
    shipped = CliRunner().invoke(app, ["train", "ship", str(out), str(ringed), "--max-ring-size", "7"])
    assert shipped.exit_code == 0, shipped.output
    at.text_input(key="latent_checkpoint").set_value(str(ringed)).run()
    at.text_input(key="latent_seed").set_value("O=C1CCCCCCCCCCN1").run()
    assert any("holds a ring of 12 atoms as the decoder builds it, and this model closes no ring larger than 7 atoms"
               in shown(c) for c in at.caption)
    at.text_input(key="latent_seed").set_value("O=C1CCCCCN1").run()   # seven atoms: within it
    assert not any("closes no ring larger than" in shown(c) for c in at.caption)


def test_browse_tells_a_run_that_ranked_nothing_from_filters_that_match_nothing(tiny_checkpoint):
    """A run whose conditions no molecule met: the filters are not to blame, and its sampled molecules are a
    toggle away; unranked molecules are told apart by their boxes and say which condition they missed."""
    from molgen.runs.conditions import build_conditions

    with RunStore() as store:
        run = generate(str(tiny_checkpoint), 12, seed=3, store=store, progress=False, name="nothing-ranked",
                       conditions=build_conditions(["mw>=2000"]), max_samples=60).id
    at = page("browse", run)
    assert not at.exception
    assert "no ranked candidates" in shown(at.info[0]) and "Turn off" in shown(at.info[0])
    at.toggle(key="browse_novel").set_value(True).run()
    assert "no ranked candidates" in shown(at.info[0])   # not "No candidate matches these filters"
    at.toggle(key="browse_novel").set_value(False).run()
    at.toggle(key="browse_ranked").set_value(False).run()
    boxes = [c.label for c in at.checkbox if c.label.startswith("select")]
    assert boxes and len(set(boxes)) == len(boxes) and all("unranked" in b for b in boxes)
    assert any("Missed the run's conditions (unranked): 2000 <= mw (mw " in shown(w) for w in at.warning)


def test_browse_names_the_profile_and_shows_a_run_still_sampling(tiny_checkpoint):
    with RunStore() as store:
        run_id = generate(str(tiny_checkpoint), 20, seed=11, store=store, progress=False, name="still-sampling").id
    at = page("browse", run_id)
    assert any("seed 11 · scored with the profile drug-like · complete" in shown(c) for c in at.caption)
    with RunStore() as store:   # one scored 0 by a hard filter, hidden by a toggle
        ranked = store.candidates(run_id, ranked_only=True)
        store._db.execute("UPDATE candidates SET passes_filters = 0 WHERE run_id = ? AND smiles = ?",
                          (run_id, ranked["smiles"].iloc[-1]))
    at.toggle(key="browse_passing").set_value(True).run()
    assert any(f"**{len(ranked) - 1:,}** candidates match" in m.value for m in at.markdown)
    assert "log-likelihood" in at.selectbox(key="browse_sort").options
    with RunStore() as store:   # as graph diffusion stores it: no log-likelihood, so nothing to sort by
        store._db.execute("UPDATE candidates SET log_likelihood = NULL WHERE run_id = ?", (run_id,))
        store.update_run(run_id, status="complete")   # a new record time: the page's cached slider ends are redone
    at = page("browse", run_id)
    assert "log-likelihood" not in at.selectbox(key="browse_sort").options
    with RunStore() as store:   # as a run another machine is sampling reads: running, not yet counted
        store._db.execute("UPDATE runs SET status = 'running', owner = 'elsewhere.example:7:x', heartbeat = ?, "
                          "counts = '{}' WHERE id = ?", (time.time() + 3600, run_id))
        unique = store.count(run_id)
    try:
        at = page("browse", run_id)
        assert not at.exception
        assert any(f"of {unique:,} in run still-sampling" in shown(m) for m in at.markdown)
        with RunStore() as store:   # nothing ranked yet, as while sampling: the stored ones are a toggle away
            store._db.execute("UPDATE candidates SET rank = 0 WHERE run_id = ?", (run_id,))
        at = page("browse", run_id)
        assert any("still running" in shown(i) and f"to see the {unique:,} stored so far" in shown(i) for i in at.info)
    finally:   # no live run left behind for the other pages' tests
        with RunStore() as store:
            store._db.execute("UPDATE runs SET status = 'interrupted', owner = NULL, heartbeat = NULL WHERE id = ?",
                              (run_id,))


def test_browse_sliders_span_the_molecules_it_lists(tiny_checkpoint):
    """With only ranked molecules listed, a slider's ends are theirs: the unranked ones' values would give
    a range that filters nothing."""
    from molgen.runs.conditions import build_conditions

    with RunStore() as store:
        run = generate(str(tiny_checkpoint), 10, seed=3, store=store, progress=False, name="some-ranked",
                       conditions=build_conditions(["qed>=0.85"]), max_samples=40).id
        ranked, everything = store.candidates(run, ranked_only=True), store.candidates(run, ranked_only=False)
    assert len(ranked) and everything["qed"].min() < 0.85
    at = page("browse", run)
    qed = at.slider(key=f"browse_qed_{run}")
    assert qed.min >= 0.85 and qed.value[0] >= 0.85
    at.toggle(key="browse_ranked").set_value(False).run()
    assert not at.exception
    qed = at.slider(key=f"browse_qed_{run}")
    assert qed.min < 0.85 and qed.value[0] == qed.min   # the kept end sat on the old bound: it follows the new one


def test_the_export_choices_stand_in_the_address_so_a_reload_keeps_them(stored_run):
    """A review: a filter typed on Export, and SDF chosen, were lost on a reload (Browse kept its view there)."""
    at = page("export", stored_run)
    assert set(at.query_params) == {"run"}   # the defaults are not written
    at.text_input(key="export_where").set_value("qed > 0.3").run()
    at.radio(key="export_format").set_value("sdf").run()
    at.toggle(key="export_diverse_on").set_value(True).run()
    at.slider(key="export_diverse").set_value(0.45).run()
    at.number_input(key="export_top").set_value(7).run()
    assert not at.exception
    address = {k: at.query_params[k] for k in at.query_params}
    assert address == {"run": stored_run, "where": "qed > 0.3", "format": "sdf", "diverse": "0.45", "top": "7"}
    reloaded = AppTest.from_file(str(PAGES / "export.py"), default_timeout=180)
    for name, value in address.items():
        reloaded.query_params[name] = value
    reloaded.run()
    assert not reloaded.exception and not reloaded.warning
    assert reloaded.text_input(key="export_where").value == "qed > 0.3" and reloaded.radio(key="export_format").value == "sdf"
    assert reloaded.toggle(key="export_diverse_on").value and reloaded.slider(key="export_diverse").value == 0.45
    assert reloaded.number_input(key="export_top").value == 7
    # a link's filter is a filter: one that would reach the run store is refused, the run untouched (a review)
    crafted = AppTest.from_file(str(PAGES / "export.py"), default_timeout=180)
    for name, value in {"run": stored_run, "where": "@store.delete_run(@run) == ''"}.items():
        crafted.query_params[name] = value
    crafted.run()
    assert not crafted.exception and any("cannot apply the filter" in e.value for e in crafted.error)
    with RunStore() as store:
        assert store.run(stored_run)
    # a hand-edited address is ignored where it cannot be read, not an error
    edited = AppTest.from_file(str(PAGES / "export.py"), default_timeout=180)
    for name, value in {"run": stored_run, "format": "xlsx", "top": "-3", "diverse": "7"}.items():
        edited.query_params[name] = value
    edited.run()
    assert not edited.exception and edited.radio(key="export_format").value == "csv"
    assert edited.number_input(key="export_top").value == 0 and not edited.toggle(key="export_diverse_on").value


def test_the_run_stands_in_the_address_so_a_reload_shows_it(stored_run, tiny_checkpoint):
    """A reload starts a new session: the run comes from ?run=, not from the newest run in the store."""

    with RunStore() as store:
        newer = generate(str(tiny_checkpoint), 5, seed=4, store=store, progress=False, name="newer-run").id
        assert store.runs()["id"].iloc[0] == newer != stored_run
    at = page("browse", stored_run)
    assert at.query_params["run"] == stored_run
    reloaded = AppTest.from_file(str(PAGES / "browse.py"), default_timeout=180)
    reloaded.query_params["run"] = stored_run
    reloaded.run()
    assert not reloaded.exception and reloaded.selectbox(key="run").value == stored_run
    assert not reloaded.warning
    # a link may name the run as the command line does (its name), and one naming no run says so
    for address, shown_run, warned in (("fixture-run", stored_run, None), ("20261204-000000-gone00", newer, "No run"),
                                       ("2", newer, "run ids start with '2'")):
        linked = AppTest.from_file(str(PAGES / "export.py"), default_timeout=180)
        linked.query_params["run"] = address
        linked.run()
        assert not linked.exception and linked.selectbox(key="run").value == shown_run
        notes = [shown(w) for w in linked.warning]
        assert any(warned in note for note in notes) if warned else not any("run" in note.lower() for note in notes), notes
    compare = AppTest.from_file(str(PAGES / "compare.py"), default_timeout=180)
    compare.query_params["run"] = "gone"
    compare.run()
    assert "No run 'gone' in the store" in " ".join(shown(w) for w in compare.warning)


def test_augment_guards_against_a_benchmark_split_and_says_what_made_its_result():
    """A held-out benchmark split is picked, not typed; the result names the method and settings that made it,
    and the form changed since is said."""
    from molgen.data.registry import load_smiles

    test_molecule = load_smiles("moses-sample", "test")[0]
    at = page("augment")
    at.text_area(key="aug_input").set_value(f"{test_molecule}\nCCOc1ccccc1").run()
    assert "moses-sample:test" in at.multiselect(key="aug_held_splits").options
    at.multiselect(key="aug_held_splits").set_value(["moses-sample:test"]).run()
    at.slider(key="aug_k").set_value(3).run()
    assert not any("No held-out molecules" in c.value for c in at.caption)
    at.button(key="aug_go").click().run()
    assert not at.exception
    rows, removed = at.session_state["aug_result"][0], at.session_state["aug_result"][1]
    assert set(rows["input_row"]) == {2}   # every spelling of the test molecule was removed as a leak
    assert any("Made by enumerate" in shown(c) for c in at.caption)
    # the leaked rows are spellings of one compound, and the count says so
    assert any(f"{len(removed)} leak (spellings of 1 input record)" in shown(c) for c in at.caption)
    at.slider(key="aug_k").set_value(4).run()
    assert any("has changed since" in shown(c) for c in at.caption)
    downloads = lambda: {d.proto.label: d.proto.disabled for d in at.get("download_button")}   # noqa: E731
    assert not downloads()["Download rows (CSV)"]
    at.radio(key="aug_method").set_value("replicates").run()   # another method picked: the rows are still these
    assert not downloads()["Download rows (CSV)"]
    at.radio(key="aug_method").set_value("enumerate").run()
    # a molecule typed as held out since may be among the rows: they are not offered until Run makes new ones
    # (the page showed and downloaded them as guarded)
    at.text_area(key="aug_held").set_value("CCOc1ccccc1").run()
    assert any("have changed since these rows were made" in shown(w) for w in at.warning)
    assert all(downloads().values())
    at.text_area(key="aug_held").set_value("").run()   # back as it was: the rows are offered again
    assert not any(downloads().values())
    at.text_area(key="aug_input").set_value("CCOc1ccccc1").run()   # another input
    assert all(downloads().values())


def test_the_augment_pages_example_molecules_are_moses_training_molecules(fetched_moses):
    """Two of its examples were MOSES test molecules: run as they stood, the page made the leak it guards against."""
    from molgen.chem.parse import canonical_smiles
    from molgen.data.registry import load_smiles

    at = page("augment")
    examples = {canonical_smiles(line) for line in at.text_area(key="aug_input").value.splitlines()}
    assert len(examples) == 3 and examples <= set(load_smiles("moses", "train"))
    assert not examples & (set(load_smiles("moses", "test")) | set(load_smiles("moses", "test_scaffolds")))


def test_the_generate_form_fills_from_a_stored_run_and_repeats_it(stored_run):
    """Start from a stored run: the form takes its settings over whatever it held, and Generate then samples
    the run's very molecules; a profile of the chemist's own comes back in the editor, under its own name."""
    from molgen.models.base import shipped_checkpoint
    from molgen.scoring.profiles import load_profile

    profile = load_profile("lead-like")
    profile.name = "my-series"
    profile.components[0] = dataclasses.replace(profile.components[0], weight=2.5)
    with RunStore() as store:
        first = generate(str(shipped_checkpoint("smiles-lm")), 6, seed=7, profile=profile, store=store, progress=False,
                         conditions=["qed=0.8", "mw<=450"], sample_options={"temperature": 0.8, "top_k": 30},
                         name="to-fill-from")
    at = page("generate")
    at.number_input(key="gen_seed").set_value(99).run()
    at.checkbox(key="gen_on_tpsa").check().run()
    at.selectbox(key="gen_like_pick").set_value(first.id).run()
    at.button(key="gen_like_go").click().run()
    assert not at.exception
    assert shown(at.success[0]) == "The form holds run to-fill-from's settings, except a run name (names are unique)."
    assert not at.warning   # nothing it could not hold
    assert at.number_input(key="gen_seed").value == 7 and at.number_input(key="gen_n").value == 6
    assert not at.checkbox(key="gen_on_tpsa").value and at.slider(key="gen_target_qed").value == 0.8
    assert at.slider(key="gen_range_mw").value == (0.0, 450.0)
    assert at.slider(key="gen_temperature").value == 0.8 and at.number_input(key="gen_top_k").value == 30
    at.text_input(key="gen_name").set_value("filled-again").run()
    at.button(key="gen_go").click().run()
    assert not at.exception
    with RunStore() as store:
        again, before = store.run("filled-again"), store.run(first.id)
        assert again["profile"] == before["profile"] and again["profile"]["name"] == "my-series"
        assert again["params"]["sample_options"] == before["params"]["sample_options"]
        assert again["seed"] == 7 and again["conditions"] == before["conditions"]   # mw <= 450: the slider's 0 is no bound
        assert again["native"] == before["native"]   # so the model steered as it did
        ranked = [store.candidates(r, ranked_only=True, columns=["smiles"])["smiles"].tolist() for r in (first.id, again["id"])]
    assert ranked[0] == ranked[1] and len(ranked[0]) >= 6
    at.number_input(key="gen_seed").set_value(8).run()   # the banner no longer claims the run's settings
    assert not any("The form holds" in shown(box) for box in at.success)
    assert "The form was filled from run to-fill-from; changed since: seed." in [shown(box) for box in at.info]


def test_a_reload_of_generate_shows_its_last_run_again_with_the_form_it_ran_with():
    """A run started on Generate stands in the address; a reload (a new browser session) shows its summary again
    and fills the form with its settings; a run the address names that is not in the store is said."""
    at = page("generate")
    at.number_input(key="gen_n").set_value(6).run()
    at.number_input(key="gen_seed").set_value(3).run()
    at.text_input(key="gen_name").set_value("in-the-address").run()
    at.button(key="gen_go").click().run()
    assert not at.exception
    with RunStore() as store:
        run_id = store.resolve("in-the-address")
    assert at.query_params["run"] == run_id
    reloaded = AppTest.from_file(str(PAGES / "generate.py"), default_timeout=180)
    reloaded.query_params["run"] = run_id
    reloaded.run()
    assert not reloaded.exception
    assert any(shown(box).startswith("run in-the-address (") for box in reloaded.success)
    assert reloaded.number_input(key="gen_n").value == 6 and reloaded.number_input(key="gen_seed").value == 3
    assert reloaded.number_input(key="gen_seed").set_value(4).run().number_input(key="gen_seed").value == 4   # read once
    missing = AppTest.from_file(str(PAGES / "generate.py"), default_timeout=180)
    missing.query_params["run"] = "no-such-run"
    missing.run()
    assert not missing.exception and not missing.success
    assert "The address names a run to show: no run 'no-such-run' in the store (deleted since, or a mistyped link). " \
        "The form starts empty." in [shown(box) for box in missing.warning]
    assert missing.number_input(key="gen_n").value == 200


def test_the_generate_form_offers_the_chemists_own_checkpoints(tiny_checkpoint, tmp_path):
    """A model fine-tuned on a series: used by a stored run, or typed, it is a model the form offers (and one used
    after the page first drew its list, too: the list is read afresh)."""
    own_model = tmp_path / "own.pt"
    own_model.write_bytes(tiny_checkpoint.read_bytes())
    before = page("generate").selectbox(key="gen_model").options
    assert not any(str(own_model.resolve()) in label for label in before)
    with RunStore() as store:
        own_run = generate(str(own_model), 5, seed=2, store=store, progress=False, name="own-model",
                           max_samples=200)
    at = page("generate")
    labels = at.selectbox(key="gen_model").options
    own = [label for label in labels if str(own_model.resolve()) in label]
    assert own and "your own smiles-lm" in own[0] and labels[0].startswith("smiles-lm-lstm")
    at.selectbox(key="gen_like_pick").set_value(own_run.id).run()
    at.button(key="gen_like_go").click().run()
    assert at.selectbox(key="gen_model").value == own[0]   # its run fills the form with it
    copy = tmp_path / "copy.pt"
    copy.write_bytes(tiny_checkpoint.read_bytes())
    at.text_input(key="gen_own_checkpoint").set_value(str(copy)).run()
    assert str(copy.resolve()) in at.selectbox(key="gen_model").value   # typed: offered and picked
    at.text_input(key="gen_own_checkpoint").set_value(str(tmp_path / "nope.pt")).run()
    assert [shown(e) for e in at.error if "no checkpoint file at" in shown(e)] == \
        [f"no checkpoint file at {tmp_path / 'nope.pt'}"]   # said once (the box's callback said it a second time)
    # a file that is no checkpoint (a review typed the model card, a SMILES file): said, not a traceback
    series = tmp_path / "series.smi"
    series.write_text("CCO\n")
    for typed in (copy.with_suffix(".json"), series):
        if typed.suffix == ".json":
            typed.write_text('{"family": "smiles-lm"}')
        at.text_input(key="gen_own_checkpoint").set_value(str(typed)).run()
        said = [shown(e) for e in at.error]
        why = (f"a model card, not a checkpoint; the checkpoint it describes is {copy}" if typed.suffix == ".json"
               else "not a readable checkpoint (not a torch file, or a truncated or corrupt one)")
        assert not at.exception and said == [f"{typed}: {why}"], said   # the file named once
        assert not any(str(typed) in label for label in at.selectbox(key="gen_model").options)
    # a run whose model is gone fills the rest, and says the model box is not its model (a review: "holds run's settings")
    own_model.unlink()
    at = page("generate")
    at.selectbox(key="gen_like_pick").set_value(own_run.id).run()
    at.button(key="gen_like_go").click().run()
    assert not at.success and any("except its model (the Model box still holds smiles-lm-lstm" in shown(w)
                                  for w in at.warning)


def test_what_the_generate_form_cannot_hold_of_a_run_is_said():
    from molgen.runs.generate import default_chunk_size
    from molgen.scoring.profiles import load_profile
    from workbench.run_form import form_from_run

    record = {"id": "r1", "n_requested": 50, "seed": 3, "checkpoint": "/elsewhere/my-model.pt", "model": "graph-diffusion",
              "params": {"max_samples": 1000, "chunk_size": 37, "sample_options": {"steps": 30, "sampler": "flow",
                                                                                   "stochasticity": 80.0}},
              "conditions": {"targets": {"qed": 0.8}, "ranges": {"qed": [0.7, None], "mw": [None, 900.0],
                                                                  "hbd": [None, 3]}, "avoid": ["[N+](=O)[O-]"]},
              "profile": {**load_profile("drug-like").to_dict(), "name": "drug-like (edited 0a1b2c)"}}
    values, notes = form_from_run(record, {"graph-diffusion (1.2 M parameters)": Path("/shipped/graph-diffusion.pt")})
    said = "\n".join(notes)
    assert "gen_model" not in values and "its model my-model.pt is among neither the shipped checkpoints" in said
    assert default_chunk_size(50) == 100 and "chunks of 37" in said
    assert "its 30 diffusion steps are not among" in said and "stochasticity 80 lies beyond" in said
    assert "MW (g/mol) window -inf to 900 reaches beyond" in said and not values["gen_on_mw"]
    assert "QED range 0.7 to inf beside the target" in said and values["gen_target_qed"] == 0.8
    assert "condition on hbd has no field" in said
    assert "is not the drug-like this molgen ships" not in said   # an edit named as one says so by its name
    # the shipped name with other content (a run scored by an older molgen's drug-like): said, kept as the run had it
    older = {**load_profile("drug-like").to_dict(), "hard_filters": ["rings", "radicals", "inorganic"]}
    older_values, older_notes = form_from_run({**record, "profile": older}, {})
    assert any("its profile, named drug-like, is not the drug-like this molgen ships" in note for note in older_notes)
    assert 'hard_filters = ["rings", "radicals", "inorganic"]' in older_values["gen_toml_drug-like"]
    # named in the box as Compare and a --like repeat name it, and such a repeat's profile goes back to its box
    assert 'name = "drug-like (not as shipped now, ' in older_values["gen_toml_drug-like"]
    repeated = {**older, "name": re.search(r'name = "([^"]+)"', older_values["gen_toml_drug-like"]).group(1)}
    assert form_from_run({**record, "profile": repeated}, {}, "lead-like")[0]["gen_profile"] == "drug-like"
    same_values, same_notes = form_from_run({**record, "profile": load_profile("drug-like").to_dict()}, {})
    assert not any("this molgen ships" in note for note in same_notes) and same_values["gen_profile"] == "drug-like"
    # stored before targets drew atom counts near them (no target_sizes): said, as this form draws them so
    assert "drew its graphs' atom counts from the whole training set" in said
    pinned = {**record, "params": {**record["params"], "sample_options": {"steps": 30, "target_sizes": True}}}
    assert not any("atom counts" in note for note in form_from_run(pinned, {})[1])
    closed = {**record, "conditions": {"ranges": {"mw": [0.0, 450.0]}}, "native": {"range mw": "property conditioning"}}
    closed_values, closed_notes = form_from_run(closed, {})
    # an ancestral run's pinned zeros are no flow settings; a budget below the field's 100 is said, not dropped
    ancestral = {**record, "params": {"max_samples": 50, "chunk_size": 100, "sample_options": {
        "steps": 10, "sampler": "ancestral", "target_guidance": 0.0, "stochasticity": 0.0}}}
    ancestral_values, ancestral_notes = form_from_run(ancestral, {})
    # ... the flow sliders take their defaults, not values kept from before the fill (a review)
    from molgen.models.graph_diffusion.model import FLOW_DEFAULTS

    assert ancestral_values["gen_sampler"] == "ancestral"
    assert {key: ancestral_values[f"gen_{key}"] for key in FLOW_DEFAULTS} == FLOW_DEFAULTS
    assert "gen_budget" not in ancestral_values
    assert any("sampling budget 50 lies beyond this form's 100" in note for note in ancestral_notes)
    shipped = {**record, "profile": load_profile("lead-like").to_dict()}   # its editor reset, not an earlier fill's edit
    assert form_from_run(shipped, {})[0]["gen_toml_lead-like"] == load_profile("lead-like").to_toml()
    assert closed_values["gen_range_mw"] == (0.0, 450.0)
    assert any("MW (g/mol) window 0 to 450 was closed at the slider's end" in note for note in closed_notes)
    # a run the command line asked more of than the fields hold: said, not put back to the field's default unsaid
    large = {**record, "n_requested": 150_000, "seed": 5_000_000_000,
             "params": {**record["params"], "max_samples": 2_500_000, "chunk_size": default_chunk_size(150_000)}}
    large_values, large_notes = form_from_run(large, {})
    large_said = "\n".join(large_notes)
    assert "gen_n" not in large_values and "gen_seed" not in large_values
    assert "its molecules asked for 150,000 lies beyond this form's 1 to 100,000: left as the form had it " \
           "(`molgen generate --like r1` runs it as it was)" in large_said
    assert "its seed 5,000,000,000 lies beyond this form's 0 to 2,147,483,647" in large_said
    assert "sampling budget 2,500,000 lies beyond this form's 100 to 2,000,000" in large_said
    assert values["gen_avoid"] == "[N+](=O)[O-]" and values["gen_budget"] is None   # 20 x 50: the form's empty budget
    # an edited shipped profile goes back into its own editor, under its recorded name
    assert values["gen_profile"] == "drug-like" and 'name = "drug-like (edited 0a1b2c)"' in values["gen_toml_drug-like"]


def test_augment_refuses_a_typed_held_out_entry_that_is_no_molecule():
    at = page("augment")
    at.text_area(key="aug_input").set_value("CCO\nc1ccccc1O").run()
    at.text_area(key="aug_held").set_value("CCN\nCC(F)(F)XYZ").run()
    assert any("held-out molecules typed in the workbench: 1 of 2 entries is not a valid molecule (line 2: not valid "
               "SMILES syntax" in shown(e) and "'CC(F)(F)XYZ'" in shown(e) for e in at.error)
    assert at.button(key="aug_go").disabled
    at.text_area(key="aug_held").set_value("CCN").run()
    assert not at.error and not at.button(key="aug_go").disabled
    at.text_area(key="aug_input").set_value("").run()
    assert at.button(key="aug_go").disabled and any("Run waits for them" in shown(c) for c in at.caption)


def test_augment_balance_shows_where_its_samples_went_and_offers_the_histogram():
    from molgen.data.registry import load_smiles

    at = page("augment")
    at.text_area(key="aug_input").set_value("\n".join(load_smiles("moses-sample", "train")[:30])).run()
    at.radio(key="aug_method").set_value("balance").run()
    at.slider(key="aug_bins").set_value(3).run()
    at.number_input(key="aug_budget").set_value(1000).run()
    at.button(key="aug_go").click().run()
    assert not at.exception
    histogram = at.dataframe[0].value
    assert list(histogram.columns[:2]) == ["qed from", "qed to"] and histogram["before"].sum() == 30
    assert any(shown(c).startswith("sampled 1,000: added ") for c in at.caption)
    assert "Download the histogram (CSV)" in [d.proto.label for d in at.get("download_button")]


def test_the_home_check_says_what_scoring_would_of_a_salt_or_an_inorganic():
    at = page("home")
    assert not at.exception and not at.warning   # aspirin: valid, scored, passes (its ester is a Brenk alert)
    assert any(shown(c).startswith("score 0.") for c in at.caption) and any("phenol ester (brenk)" in shown(c) for c in at.caption)
    at.text_input(key="home_smiles").set_value("CC(=O)Nc1ccc(O)cc1").run()   # paracetamol: the catalog's name explained
    assert any("hydroquinone [a phenol with OH or NH para to it" in shown(c) for c in at.caption)
    assert any("a flag to look at, not a verdict" in shown(c) for c in at.caption)
    assert len(at.get("image")) == 1   # the structure read, drawn (a review: only its SMILES was shown)
    at.text_input(key="home_smiles").set_value("c1ccc(cc1)" * 12).run()   # a score of ~0 from windows: which ones
    assert any(shown(c).startswith("the score is near 0 because logp ") and "mw " in shown(c) for c in at.caption)
    at.text_input(key="home_smiles").set_value("CC[CH2]").run()   # a radical: a hard filter's verdict, not a flag
    assert "hard filters (radicals)" in shown(at.warning[0])
    assert any("unpaired electron" in shown(c) for c in at.caption)
    assert not any("not a verdict" in shown(c) for c in at.caption)
    at.text_input(key="home_smiles").set_value("CN1CCC[C@H]1c1cccnc1.Cl").run()
    assert "2 fragments (a salt or mixture)" in shown(at.info[0]) and "parent compound is CN1CCC[C@H]1c1cccnc1" in shown(at.info[0])
    # paracetamol's HCl salt scored 0.2 above paracetamol: the parent's score is said beside the whole's
    at.text_input(key="home_smiles").set_value("CC(=O)Nc1ccc(O)cc1.Cl").run()
    from molgen.scoring.pipeline import score

    alone = score(["CC(=O)Nc1ccc(O)cc1"], "drug-like", n_jobs=1)["score"][0]
    assert f"which scores {alone:.3f}" in shown(at.info[0]) and "against the whole's 0.6" in shown(at.info[0])
    at.text_input(key="home_smiles").set_value("[Na+].[Cl-]").run()
    assert "fails the drug-like profile's hard filters (inorganic)" in shown(at.warning[0])
    assert "no organic parent compound" in shown(at.info[0]) and "[Cl-]" not in shown(at.info[0])
    at.text_input(key="home_smiles").set_value("*c1ccccc1").run()   # an R-group: said, not scored (it crashed)
    assert not at.exception and "not a whole molecule to score: holds an attachment point" in shown(at.warning[0])
    assert not at.success   # not "valid" first, then refused
    at.text_input(key="home_smiles").set_value("C[C@H](N)C(=O)O |&1:1|").run()   # a racemate, in CXSMILES
    assert "canonical SMILES CC(N)C(=O)O" in shown(at.success[0])
    assert any("racemic (&) or unknown (or) stereo group is read with its centres unassigned" in shown(c)
               for c in at.caption)
    at.text_input(key="home_smiles").set_value("C1CC").run()
    assert "not a valid molecule" in shown(at.error[0])


def test_browse_filters_and_sorts_by_similarity_to_the_runs_reference(stored_run, tiny_checkpoint):
    """From a web review: a run's tightest condition was its reference, and Browse could not sort or filter by it."""
    with RunStore() as runs:
        near = generate(str(tiny_checkpoint), 10, seed=3, store=runs, progress=False, max_samples=200,
                        similar_to="CC(=O)Nc1ccc(O)cc1:0.05").id
    at = page("browse", near)
    assert not at.exception
    assert [s for s in at.slider if s.key == f"browse_similarity_to_reference_{near}"]
    assert "similarity to the reference" in at.selectbox(key="browse_sort").options
    with RunStore() as store:   # each card says its similarity (a review: the grid did not)
        similar = store.candidates(near, ranked_only=True).set_index("smiles")["similarity_to_reference"]
    captions = [image.proto.imgs[0].caption for image in at.get("image")]
    assert captions and all(" · similarity " in caption for caption in captions[:len(similar)])
    assert f"· similarity {similar.iloc[0]:.2f}" in captions[0]
    # the details panel says what 1 means (a review: a reversed amide of the reference read 1.00, as if the same)
    meanings = at.table[0].value["meaning"]
    assert "1 is the same fingerprint, not always the same molecule" in meanings.loc["similarity_to_reference"]
    plain_run = page("browse", stored_run)   # a run without a reference: nothing to filter by
    assert not [s for s in plain_run.slider if s.key.startswith("browse_similarity_to_reference")]
    assert "similarity to the reference" not in plain_run.selectbox(key="browse_sort").options


def test_browse_cards_name_their_alerts(stored_run):
    """A review: a grid card said "2 alerts" without which; it names them (the details panel says what each matches)."""
    at = page("browse", stored_run)
    at.selectbox(key="browse_sort").set_value("alerts").run()
    at.toggle(key="browse_desc_alerts").set_value(True).run()   # the most alerts first
    assert not at.exception
    caption = at.get("image")[0].proto.imgs[0].caption   # "#59 · score ...": the card of the most alerts
    with RunStore() as store:
        ranked = store.candidates(stored_run, ranked_only=True)
    most = ranked[ranked["rank"] == int(caption.split()[0].lstrip("#"))].iloc[0]
    assert most["alerts"] == ranked["alerts"].max() > 0, "the fixture run has no molecule with an alert to show"
    from molgen.scoring.alerts import describe_findings

    findings = [re.sub(r" \[[^\]]*\]", "", f) for f in describe_findings(most["alert_names"].split("; ")).split("; ")]
    assert f"{most['alerts']} alert" in caption and findings[0] in caption
    assert (f"and {len(findings) - 2} more" in caption) == (len(findings) > 2)


def test_browse_shows_the_value_it_sorts_by(stored_run):
    at = page("browse", stored_run)
    at.selectbox(key="browse_sort").set_value("mw").run()
    assert not at.exception
    with RunStore() as store:
        heaviest = store.candidates(stored_run, ranked_only=True)["mw"].max()
    captions = [image.proto.imgs[0].caption for image in at.get("image")]   # the grid's drawings
    assert captions[0].startswith("#") and f"· MW {heaviest:.4g}" in captions[0]


def test_browse_finds_any_molecule_of_the_run_and_draws_the_kept_scaffold(stored_run, tiny_checkpoint):
    at = page("browse", stored_run)
    at.selectbox(key="browse_page_size").set_value(12).run()
    with RunStore() as store:
        ranked = store.candidates(stored_run, ranked_only=True)
    assert len(ranked) > 12   # the one looked up lies on another page
    far = ranked.iloc[-1]
    # by rank, with or without '#': the details name it and show its values, whatever the page
    for typed in (f"#{int(far['rank'])}", str(int(far["rank"]))):
        at.text_input(key="browse_find").set_value(typed).run()
        assert not at.exception and not at.error
        assert any(shown(m) == f"**#{int(far['rank'])}** {far['smiles']}" for m in at.markdown)
        values = at.table[0].value.reset_index()
        assert dict(zip(values["property"], values["value"]))["mw"] == f"{far['mw']:.2f}"
    # by SMILES written another way (atom order from RDKit's random output)
    from rdkit import Chem

    other_way = Chem.MolToSmiles(Chem.MolFromSmiles(far["smiles"]), doRandom=True, canonical=False)
    at.text_input(key="browse_find").set_value(other_way).run()
    assert any(shown(m) == f"**#{int(far['rank'])}** {far['smiles']}" for m in at.markdown)
    # the same compound as a hydrochloride, or with a stereocentre the run did not write: found, and said how
    # ("not among this run's molecules" before, a review); with a ring carbon made chiral where one can be
    mol = Chem.MolFromSmiles(far["smiles"])
    for typed in (far["smiles"] + ".Cl", far["smiles"] + ".[Na+].[Cl-]"):
        at.text_input(key="browse_find").set_value(typed).run()
        assert not at.exception and not at.error, typed
        assert any(shown(m) == f"**#{int(far['rank'])}** {far['smiles']}" for m in at.markdown), typed
        assert any("is not stored as written: shown is the run's " + far["smiles"] in shown(i) for i in at.info)
    from rdkit.Chem.EnumerateStereoisomers import EnumerateStereoisomers

    # another stereo form, a charged form typed alone, an isotope label: each the run's molecule of that compound
    flat = ranked[~ranked["smiles"].str.contains("@|/|\\\\", regex=True)]
    isomers = [(row, Chem.MolToSmiles(m)) for row in flat.head(30).itertuples()
               for m in list(EnumerateStereoisomers(Chem.MolFromSmiles(row.smiles)))[:1]
               if Chem.MolToSmiles(m) != row.smiles]
    assert isomers   # a molecule of the run with a centre or a double bond left unassigned
    row, isomer = isomers[0]
    at.text_input(key="browse_find").set_value(isomer).run()
    assert any(shown(m) == f"**#{int(row.rank)}** {row.smiles}" for m in at.markdown)
    amine = next((r for r in ranked.itertuples() if Chem.MolFromSmiles(r.smiles).HasSubstructMatch(
        Chem.MolFromSmarts("[NX3;H2,H1;!$(NC=O);!$(N-a);!$(N-S)]"))), None)
    if amine is not None:   # its ammonium, typed alone
        charged = Chem.MolFromSmiles(amine.smiles)
        atom = charged.GetAtomWithIdx(charged.GetSubstructMatch(Chem.MolFromSmarts("[NX3;H2,H1;!$(NC=O);!$(N-a);!$(N-S)]"))[0])
        atom.SetFormalCharge(1)
        atom.SetNumExplicitHs(atom.GetTotalNumHs() + 1)
        Chem.SanitizeMol(charged)
        at.text_input(key="browse_find").set_value(Chem.MolToSmiles(charged)).run()
        assert any(shown(m) == f"**#{int(amine.rank)}** {amine.smiles}" for m in at.markdown)
    labelled = Chem.MolFromSmiles(far["smiles"])
    labelled.GetAtomWithIdx(0).SetIsotope(13)
    at.text_input(key="browse_find").set_value(Chem.MolToSmiles(labelled)).run()
    assert any(shown(m) == f"**#{int(far['rank'])}** {far['smiles']}" for m in at.markdown)
    for typed, said in ((f"#{len(ranked) + 5}", f"this run has no #{len(ranked) + 5} (it ranked {len(ranked)})"),
                        ("C1CC", "neither a rank nor a valid SMILES"), ("#0", "ranks start at #1"),
                        ("ClC(Cl)(Cl)Cl", "is not among this run's molecules, nor any of the same compound")):
        at.text_input(key="browse_find").set_value(typed).run()
        assert not at.exception and any(said in shown(e) for e in at.error), typed
        assert not at.table, typed   # no other molecule's details under the error, to be read as the answer
    for typed in ("²", "#99999999999999999999"):   # a digit that is no number, a rank past SQLite's integers
        at.text_input(key="browse_find").set_value(typed).run()
        assert not at.exception and at.error, typed
    # a card's details button shows that molecule (and clears a lookup, which would hide it)
    third = ranked.iloc[2]
    at.button(key=f"details_{stored_run}_{third['smiles']}").click().run()
    assert at.text_input(key="browse_find").value == ""
    assert any(shown(m) == f"**#3** {third['smiles']}" for m in at.markdown)
    # so does a pick from the page's list, over a lookup typed before
    at.text_input(key="browse_find").set_value(f"#{int(far['rank'])}").run()
    at.selectbox(key="browse_detail").set_value(ranked.iloc[1]["smiles"]).run()
    assert at.text_input(key="browse_find").value == ""
    assert any(shown(m) == f"**#2** {ranked.iloc[1]['smiles']}" for m in at.markdown)

    # a run that kept a substructure says so, and the details say where it is drawn
    with RunStore() as store:
        scaffold_run = generate(str(tiny_checkpoint), 4, scaffold="c1ccccc1", seed=3, store=store, progress=False,
                                max_samples=400).id
        assert store.count(scaffold_run, ranked_only=True) > 0
    at = page("browse", scaffold_run)
    assert not at.exception
    assert any("kept substructure c1ccccc1 is drawn in blue" in shown(c) for c in at.caption)
    assert any("kept substructure in blue" in (image.proto.imgs[0].caption or "") for image in at.get("image"))


def test_browse_finds_a_molecule_stored_as_a_salt_an_ion_or_labelled_by_its_parent(tiny_checkpoint):
    """The lookup read only the run's molecules of the typed parent's weight: one stored as a salt, an ion or
    labelled weighs otherwise, and was said not to be in the run (a review)."""
    from rdkit import Chem
    from rdkit.Chem import Descriptors

    with RunStore() as store:
        run_id = generate(str(tiny_checkpoint), 6, seed=8, store=store, progress=False, name="stored-forms").id
        rows = store.candidates(run_id, ranked_only=True).head(3)
        forms = {}
        def labelled(smiles: str) -> str:   # its first atom 13C-labelled
            mol = Chem.MolFromSmiles(smiles)
            mol.GetAtomWithIdx(0).SetIsotope(13)
            return Chem.MolToSmiles(mol)

        for row, form in zip(rows.itertuples(), ("{}.Cl", "{}.[Na+].[Cl-]", "labelled")):
            written = labelled(row.smiles) if form == "labelled" else form.format(row.smiles)
            stored = Chem.MolToSmiles(Chem.MolFromSmiles(written))   # as a store would hold it
            store._db.execute("UPDATE candidates SET smiles = ?, mw = ? WHERE run_id = ? AND id = ?",
                              (stored, Descriptors.MolWt(Chem.MolFromSmiles(stored)), run_id, row.id))
            forms[row.smiles] = (stored, int(row.rank))
        # a lone ion, stored as such (its weight a hydrogen less than its acid's), found by its acid
        fourth = store.candidates(run_id, ranked_only=True).iloc[3]
        store._db.execute("UPDATE candidates SET smiles = ?, mw = ? WHERE run_id = ? AND id = ?",
                          ("CC(=O)[O-]", Descriptors.MolWt(Chem.MolFromSmiles("CC(=O)[O-]")), run_id, int(fourth["id"])))
        forms["CC(=O)O"] = ("CC(=O)[O-]", int(fourth["rank"]))
    at = page("browse", run_id)
    for parent, (stored, rank) in forms.items():
        at.text_input(key="browse_find").set_value(parent).run()
        assert not at.exception and not at.error, (parent, [shown(e) for e in at.error])
        assert any(shown(m) == f"**#{rank}** {stored}" for m in at.markdown), parent


def test_a_drawing_colours_alerts_and_a_kept_scaffold_apart():
    from workbench.common import ALERT_COLOUR, SCAFFOLD_COLOUR, depict

    def drawn_in(svg: str, rgb) -> bool:
        """Whether the SVG paints in this colour (RDKit writes each channel as a byte, truncated or rounded)."""
        wanted = [v * 255 for v in rgb]
        return any(all(abs(int(code[i:i + 2], 16) - w) <= 1 for i, w in zip((0, 2, 4), wanted))
                   for code in re.findall(r"#([0-9A-Fa-f]{6})", svg))

    acid_chloride = "O=C(Cl)Cc1ccccc1"
    plain_svg = depict(acid_chloride)
    both = depict(acid_chloride, highlight=[0, 1, 2], scaffold=(4, 5, 6, 7, 8, 9))
    assert not drawn_in(plain_svg, SCAFFOLD_COLOUR) and not drawn_in(plain_svg, ALERT_COLOUR)
    assert drawn_in(both, SCAFFOLD_COLOUR) and drawn_in(both, ALERT_COLOUR)
    # an atom in both is the alert's colour: only the scaffold's atoms outside the alert are blue
    overlap = depict(acid_chloride, highlight=[0, 1, 2], scaffold=(1, 2))
    assert drawn_in(overlap, ALERT_COLOUR) and not drawn_in(overlap, SCAFFOLD_COLOUR)


def test_browse_keeps_a_runs_filters_while_another_run_is_looked_at(stored_run, tiny_checkpoint):
    """A review: a QED range set on one run was back at its full span after a look at another run."""
    with RunStore() as store:
        other = generate(str(tiny_checkpoint), 10, seed=9, store=store, progress=False, name="looked-at").id
    at = page("browse", stored_run)
    low, high = at.slider(key=f"browse_qed_{stored_run}").value
    middle = round((low + high) / 2, 2)
    at.slider(key=f"browse_qed_{stored_run}").set_value((middle, high)).run()
    at.query_params.clear()   # as the sidebar's navigation: the run is picked, not linked
    at.selectbox(key="run").set_value(other).run()
    assert not at.exception and at.slider(key=f"browse_qed_{other}")
    at.query_params.clear()
    at.selectbox(key="run").set_value(stored_run).run()
    assert not at.exception
    assert at.slider(key=f"browse_qed_{stored_run}").value == (middle, high)


def test_a_reload_or_a_shared_link_opens_the_same_browse_view(stored_run):
    """Filters, sort and page stand in the address; a new session (a reload, a colleague's browser) reads them."""
    at = page("browse", stored_run)
    qed = at.slider(key=f"browse_qed_{stored_run}")
    low, high = qed.value
    middle = round((low + high) / 2, 2)
    qed.set_value((middle, high)).run()
    at.toggle(key="browse_novel").set_value(True).run()
    at.selectbox(key="browse_sort").set_value("mw").run()
    at.toggle(key="browse_desc_mw").set_value(False).run()   # lightest first: not the default for MW
    assert not at.exception
    address = dict(at.query_params)
    assert address["qed"] == f"{middle:g}~{high:g}" and address["novel"] == "1" and address["sort"] == "mw"
    assert address["desc"] == "0" and "all" not in address and "page" not in address   # defaults left out
    count = at.markdown[0].value
    grid = [image.proto.imgs[0].caption for image in at.get("image")]

    reloaded = AppTest.from_file(str(PAGES / "browse.py"), default_timeout=180)
    for name, value in address.items():
        reloaded.query_params[name] = value
    reloaded.run()
    assert not reloaded.exception
    assert reloaded.slider(key=f"browse_qed_{stored_run}").value == (middle, high)
    assert reloaded.toggle(key="browse_novel").value and reloaded.selectbox(key="browse_sort").value == "mw"
    assert reloaded.toggle(key="browse_desc_mw").value is False
    assert reloaded.markdown[0].value == count and [i.proto.imgs[0].caption for i in reloaded.get("image")] == grid
    # the Table tab too (the Grid is the default, left out)
    assert "view" not in reloaded.query_params
    reloaded.session_state["browse_view"] = "Table"
    reloaded.run()
    assert reloaded.query_params["view"] == "table"
    tabled = AppTest.from_file(str(PAGES / "browse.py"), default_timeout=180)
    tabled.query_params.update({"run": stored_run, "view": "table"})
    tabled.run()
    assert not tabled.exception and tabled.session_state["browse_view"] == "Table"
    # the conditions switch off (every molecule) is written as the address reads it: a reload keeps it off
    reloaded.toggle(key="browse_ranked").set_value(False).run()
    assert reloaded.query_params["all"] == "1"
    every = AppTest.from_file(str(PAGES / "browse.py"), default_timeout=180)
    every.query_params.update(dict(reloaded.query_params))
    every.run()
    assert not every.exception and every.toggle(key="browse_ranked").value is False
    assert every.query_params["all"] == "1"
    reloaded.session_state["browse_view"] = "Grid"
    reloaded.run()
    # a later page of the same view; a page past the end (the run changed since) shows the last one
    reloaded.selectbox(key="browse_page_size").set_value(12).run()
    reloaded.toggle(key="browse_novel").set_value(False).run()
    qed_slider = reloaded.slider(key=f"browse_qed_{stored_run}")
    qed_slider.set_value(tuple(reloaded.session_state[f"browse_bounds_qed_{stored_run}"])).run()
    pages = int(re.search(r"of (\d+)", reloaded.number_input(key="browse_page").label).group(1))
    assert pages > 1 and "qed" not in reloaded.query_params
    linked = AppTest.from_file(str(PAGES / "browse.py"), default_timeout=180)
    linked.query_params.update({"run": stored_run, "page": "99", "qed": "x~y"})   # a hand-edited address: ignored
    linked.run()
    assert not linked.exception and linked.number_input(key="browse_page").value == pages
    assert linked.slider(key=f"browse_qed_{stored_run}").value == tuple(linked.session_state[f"browse_bounds_qed_{stored_run}"])
    # a range wholly outside the run's values is the full range, not an empty page; a '²' is no page number;
    # a desc for a sort this run lacks leaves the rank best-first
    odd = AppTest.from_file(str(PAGES / "browse.py"), default_timeout=180)
    odd.query_params.update({"run": stored_run, "score": "5~9", "page": "²", "sort": "nothing", "desc": "1"})
    odd.run()
    assert not odd.exception and "score" not in odd.query_params and "desc" not in odd.query_params
    assert odd.slider(key=f"browse_score_{stored_run}").value == tuple(odd.session_state[f"browse_bounds_score_{stored_run}"])
    assert int(odd.markdown[0].value.split("**")[1].replace(",", "")) > 0
    assert odd.toggle(key="browse_desc_rank").value is False


def test_the_augment_pages_held_out_controls_are_greyed_for_replicates():
    """Replicates merges rows and adds no molecule: its held-out controls were offered as if they guarded it."""
    at = page("augment")
    assert not at.text_area(key="aug_held").disabled
    at.radio(key="aug_method").set_value("replicates").run()
    assert at.text_area(key="aug_held").disabled and at.multiselect(key="aug_held_splits").disabled
    at.radio(key="aug_method").set_value("enumerate").run()
    assert not at.text_area(key="aug_held").disabled


def test_a_runs_message_on_a_page_names_the_pages_controls_not_flags():
    from workbench.common import on_this_page

    message = ("sampling budget of 200 used up: no molecule met every condition (more: molgen generate --resume r1 "
               "--max-samples N); missed most often: similarity < 0.9 (50 molecules); this model does not steer "
               "towards the reference: the graph VAE does (--model graph-vae decodes around its encoding), and "
               "--scaffold 'c1ccccc1' (the reference's ring core) keeps its core; 90 of the latest 100 valid samples (90%) repeated an earlier one. A higher "
               "--temperature (sampling), another --model or a model fine-tuned on your series gives more")
    shown_here = on_this_page(message)
    assert "--" not in shown_here and "molgen generate" not in shown_here
    for advice in ("--decoding sampled with a higher --temperature, another --model or a model fine-tuned on your "
                   "series gives more", "Another --model or a model fine-tuned on your series gives more"):
        assert "--" not in on_this_page(advice), on_this_page(advice)
    assert "(choose graph-vae under Model: it decodes around its encoding), and keeping c1ccccc1 as the substructure " \
        "to keep (the reference's ring core) keeps its core" in shown_here
    assert on_this_page(", and --scaffold 'c1ccccc1' (the reference's ring core) with a model that keeps a scaffold "
                        "(--model smiles-lm-lstm or graph-diffusion) keeps its core") == \
        (", and keeping c1ccccc1 as the substructure to keep (the reference's ring core) with a model that keeps a "
         "scaffold (smiles-lm-lstm or graph-diffusion under Model) keeps its core")
    # a run stored before the core was named keeps its message
    assert on_this_page("..., and --scaffold keeps its core") == "..., and a kept substructure keeps its core"


def test_browse_offers_lipinski_only_for_a_run_scored_with_it_and_survives_a_deleted_run(tiny_checkpoint):
    """A review: on a lead-like run (no Lipinski rule in its profile) "Passes Lipinski" filtered out every molecule;
    and a tick on a run deleted from another tab was a RunNotFound traceback."""
    with RunStore() as store:
        lead = generate(str(tiny_checkpoint), 8, seed=5, store=store, progress=False, name="lead",
                        profile="lead-like").id
        drug = generate(str(tiny_checkpoint), 8, seed=5, store=store, progress=False, name="drug").id
    at = page("browse", lead)
    assert not at.exception and "Passes Lipinski" not in [t.label for t in at.toggle]
    at = page("browse", drug)
    assert "Passes Lipinski" in [t.label for t in at.toggle]
    box = next(c for c in at.checkbox if c.label.startswith("select"))
    with RunStore() as store:
        store.delete_run(drug)
    box.check().run()
    assert not at.exception


def test_a_run_stopped_before_it_stored_a_molecule_says_so_on_browse_and_export(tiny_checkpoint):
    with RunStore() as store:
        run_id = generate(str(tiny_checkpoint), 8, seed=5, store=store, progress=False, name="stopped-early").id
        store._db.execute("DELETE FROM candidates WHERE run_id = ?", (run_id,))
        store.update_run(run_id, status="interrupted")
    at = page("browse", run_id)
    assert not at.exception
    assert any("This run stopped (interrupted) before it stored a molecule. Continue it on Generate" in shown(i)
               for i in at.info)
    at = page("export", run_id)
    assert any("before it stored a molecule: there is nothing to export" in shown(i) for i in at.info)



def test_a_run_whose_samples_were_all_invalid_says_so_and_lists_them(tiny_checkpoint):
    """Browse said such a run "stopped before it stored a molecule", as if it had crashed, and the web app showed
    none of what the model wrote (only `molgen runs rejects` did). A review, at temperature 20."""
    with RunStore() as store:
        run_id = generate(str(tiny_checkpoint), 5, seed=5, store=store, progress=False, name="all-invalid",
                          sample_options={"temperature": 20.0}, max_samples=10).id
        record, rejects = store.run(run_id), store.rejects(run_id)
    assert record["counts"]["valid"] == 0 and len(rejects) == record["counts"]["sampled"] == 10
    # no condition was missed, and a larger budget is not what helps (a review: "no molecule met every condition",
    # said of a run whose MW target no valid sample came near)
    assert "none of its 10 samples was a valid molecule (" in record["message"]
    assert "met every condition" not in record["message"] and "targets nearer" not in record["message"]
    # ten samples say little: more of them, or a lower temperature, may give some (the page names its own controls)
    assert f"more samples (molgen generate --resume {run_id} --max-samples N), a lower --temperature or another " \
           "--model may give some" in record["message"]
    from workbench.common import on_this_page

    assert on_this_page(record["message"]).endswith("; more samples, a lower Temperature or another Model may give some")
    at = page("browse", run_id)
    assert not at.exception and not any("before it stored a molecule" in shown(i) for i in at.info)
    assert any("None of this run's 10 samples was a valid molecule" in shown(i) and "Invalid samples" in shown(i)
               for i in at.info)
    assert any(e.label.startswith("Invalid samples: 10 (") for e in at.get("expander"))
    assert not at.dataframe   # listed when asked for: a run's thousands are not sent at every rerun
    at.toggle(key=f"browse_rejects_{run_id}").set_value(True).run()
    assert at.dataframe[0].value["sampled"].tolist() == rejects["text"].tolist()
    at = page("export", run_id)
    assert any("None of this run's 10 samples was a valid molecule" in shown(i) and "nothing to export" in shown(i)
               for i in at.info)


def test_the_export_pages_two_buttons_give_the_halves_of_one_export():
    """Each click exported anew: a run still sampling gave a manifest of another file than the one downloaded."""
    import threading

    from workbench.common import ExportPair

    made = []

    def make():
        made.append(len(made))
        number = made[-1]
        time.sleep(0.2)   # an export takes a while: unlocked, two clicks' threads would both make one
        return f"file {number}".encode(), f"manifest {number}".encode()

    pair = ExportPair(make)
    assert (pair.half(manifest=False), pair.half(manifest=True)) == (b"file 0", b"manifest 0")
    assert pair.half(manifest=True) == b"manifest 1" and pair.half(manifest=False) == b"file 1"   # either first
    assert pair.half(manifest=False) == b"file 2" and pair.half(manifest=False) == b"file 3"   # clicked again: anew
    halves = {}   # two quick clicks, each on a worker thread of its own: one export between them
    threads = [threading.Thread(target=lambda m=m: halves.__setitem__(m, pair.half(manifest=m))) for m in (False, True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert halves[False].split()[1] == halves[True].split()[1] and len(made) == 5


def _upload(at: AppTest, key: str, name: str, text: str) -> None:
    """A file as the Augment page's uploader keeps it (AppTest cannot drive a file uploader)."""
    at.session_state[f"_{key}_upload"] = (name, text.encode())


def test_augment_asks_for_the_smiles_column_a_header_does_not_name_and_reads_pubchems():
    """A PubChem export (IsomericSMILES) was refused with advice to pass --smiles-column, which the page has no
    field for; a header naming no SMILES column now asks which column holds them."""
    at = AppTest.from_file(str(PAGES / "augment.py"), default_timeout=180)
    _upload(at, "aug", "pubchem.csv", "CID,IsomericSMILES,XLogP\n2244,CC(=O)OC1=CC=CC=C1C(=O)O,1.2\n3672,CC(C)CC1=CC=C(C=C1)C(C)C(=O)O,3.5\n")
    at.run()
    assert not at.exception and not at.error and not at.button(key="aug_go").disabled
    at.button(key="aug_go").click().run()
    rows = at.session_state["aug_result"][0]
    assert set(rows["seed_smiles"]) == {"CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(C(C)C(=O)O)cc1"}
    assert set(rows["CID"]) == {2244, 3672}

    at = AppTest.from_file(str(PAGES / "augment.py"), default_timeout=180)
    _upload(at, "aug", "assay.csv", "id,mol,pIC50\nA1,c1ccccc1O,6.1\nA2,c1ccncc1N,5.0\n")
    at.run()
    assert at.button(key="aug_go").disabled and "choose it above" in shown(at.warning[0])
    choice = next(box for box in at.selectbox if box.label == "Which column of assay.csv holds the SMILES?")
    assert choice.options == ["id", "mol", "pIC50"]
    choice.set_value("mol").run()
    assert not at.exception and not at.warning and not at.button(key="aug_go").disabled
    at.button(key="aug_go").click().run()
    rows = at.session_state["aug_result"][0]
    assert set(rows["id"]) == {"A1", "A2"} and set(rows["pIC50"]) == {6.1, 5.0}


def test_augment_holds_out_an_uploaded_file_and_removes_rows_hitting_the_alerts_chosen():
    """The page took held-out molecules typed only (a pasted CSV was refused, header and all), and screened no
    alert set or rule the command line's --alerts and --rules screen."""
    at = AppTest.from_file(str(PAGES / "augment.py"), default_timeout=180)
    _upload(at, "aug_held", "assay_test.csv", "name,smiles\nibuprofen sodium,CC(C)Cc1ccc(cc1)C(C)C(=O)[O-].[Na+]\n")
    at.run()
    at.text_area(key="aug_input").set_value("CC(C)Cc1ccc(cc1)C(C)C(=O)O\nBrCc1ccccc1\nOc1ccccc1C(=O)O").run()
    assert any("Holding out the 1 molecules of assay_test.csv" in shown(c) for c in at.caption)
    at.multiselect(key="aug_alerts").set_value(["brenk"]).run()
    at.button(key="aug_go").click().run()
    assert not at.exception
    rows, removed, *_ , manifest, _, files = at.session_state["aug_result"]
    assert set(rows["seed_smiles"]) == {"O=C(O)c1ccccc1O"}
    by_seed = removed.groupby("seed_smiles")["removed_because"].agg(set)
    assert all(r.startswith("leak") and "(assay_test.csv, line 2, ibuprofen sodium)" in r for r in by_seed["CC(C)Cc1ccc(C(C)C(=O)O)cc1"])
    assert all("brenk" in r for r in by_seed["BrCc1ccccc1"])
    assert manifest["guard"]["alerts"] == ["brenk"] and manifest["augment"]["settings"]["alerts"] == ["brenk"]
    assert [held["name"] for held in manifest["guard"]["held_out"]] == ["assay_test.csv"]
    # a held-out file with a line that is no molecule is refused, and not said to be held out (a review saw both)
    _upload(at, "aug_held", "held.csv", "smiles\nCCO\nC1CC(\nc1ccccc1O\n")
    at.run()
    assert any("1 of 3 entries is not a valid molecule" in shown(e) for e in at.error), [e.value for e in at.error]
    assert not any("Holding out" in shown(c) for c in at.caption) and at.button(key="aug_go").disabled


def test_the_augment_pages_files_are_the_command_lines_byte_for_byte(tmp_path):
    """The page wrote floats as pandas does (histogram edges 0.9743999999999997, a label 4.0), the command line to
    15 digits (0.9744, 4): the same result checksummed differently."""
    from typer.testing import CliRunner

    from molgen.cli import app
    from molgen.data.registry import load_smiles

    molecules = load_smiles("moses-sample", "train")[:30]
    (tmp_path / "in.csv").write_text("smiles,label\n" + "".join(f"{s},{i % 3}.0\n" for i, s in enumerate(molecules)))
    at = AppTest.from_file(str(PAGES / "augment.py"), default_timeout=180)
    _upload(at, "aug", "in.csv", (tmp_path / "in.csv").read_text())
    at.run()
    at.radio(key="aug_method").set_value("balance").run()
    at.slider(key="aug_bins").set_value(3).run()
    at.number_input(key="aug_budget").set_value(1000).run()
    at.button(key="aug_go").click().run()
    files = at.session_state["aug_result"][-1]
    made = CliRunner().invoke(app, ["augment", "balance", str(tmp_path / "in.csv"), "--property", "qed", "--bins", "3",
                                    "--max-samples", "1000", "--seed", "0", "-o", str(tmp_path / "out.csv")])
    assert made.exit_code == 0, made.output
    assert files["histogram"] == (tmp_path / "out.csv.histogram.csv").read_text()
    assert files["rows"] == (tmp_path / "out.csv").read_text()
    assert files["removed"] == (tmp_path / "out.csv.removed.csv").read_text()
    # the manifest names each setting as the command line's does, with the same value (a review: "budget", no model)
    import json

    page_settings = at.session_state["aug_result"][4]["augment"]["settings"]
    cli_settings = json.loads((tmp_path / "out.csv.manifest.json").read_text())["augment"]["settings"]
    assert page_settings == {name: cli_settings[name] for name in page_settings}, (page_settings, cli_settings)
    assert {"max_samples", "model", "per_bin"} <= set(page_settings)
    import io

    import pandas as pd

    labels = set(pd.read_csv(io.StringIO(files["rows"]), dtype=str)["label"].dropna())
    assert {"0", "1", "2"} <= labels and not labels & {"0.0", "1.0", "2.0"}


def test_augment_marks_a_result_stale_when_its_columns_or_held_out_file_change_and_keeps_the_screens_chosen():
    """From a review: choosing another SMILES column, or uploading a held-out file still waiting for its column,
    left the earlier result downloadable; switching to replicates with a held-out file marked a result stale; the
    alert sets chosen were dropped by a visit to replicates."""
    at = AppTest.from_file(str(PAGES / "augment.py"), default_timeout=180)
    _upload(at, "aug", "two.csv", "id,mol,alt\nA1,c1ccccc1O,c1ccncc1N\nA2,CCOc1ccccc1,CCc1ccccc1N\n")
    at.run()
    column = next(box for box in at.selectbox if box.label == "Which column of two.csv holds the SMILES?")
    column.set_value("mol").run()
    at.multiselect(key="aug_alerts").set_value(["brenk"]).run()
    at.button(key="aug_go").click().run()
    assert not at.exception and not at.warning
    assert at.session_state["aug_result"][4]["augment"]["settings"]["smiles_column"] == "mol"
    at.radio(key="aug_method").set_value("replicates").run()
    assert at.multiselect(key="aug_alerts").disabled
    at.radio(key="aug_method").set_value("enumerate").run()
    assert at.multiselect(key="aug_alerts").value == ["brenk"] and not at.warning   # kept, and the result still fresh
    next(box for box in at.selectbox if box.label == "Which column of two.csv holds the SMILES?").set_value("alt").run()
    assert any("have changed since these rows were made" in shown(w) for w in at.warning)
    next(box for box in at.selectbox if box.label == "Which column of two.csv holds the SMILES?").set_value("mol").run()
    assert not any("have changed since" in shown(w) for w in at.warning)
    _upload(at, "aug_held", "held.csv", "id,structure_2d\nH1,c1ccccc1O\n")   # waits for its column
    at.run()
    assert at.button(key="aug_go").disabled
    assert any("have changed since these rows were made" in shown(w) for w in at.warning)


def test_browse_neighbours_of_a_fine_tuned_models_run_search_its_series_and_what_it_started_from(tmp_path,
                                                                                                tiny_checkpoint):
    """From a review: a fine-tuned model's run searched its series alone, so a molecule the model copied from MOSES
    had no neighbour at 1.0; and a series row that does not parse would have stopped the page. A molecule in both
    is one neighbour (a code review saw it twice)."""
    from rdkit import Chem

    from molgen.data.registry import load_smiles
    from molgen.runs.notes import training_sources
    from molgen.scoring.similarity import nearest_neighbours
    from workbench.common import training_neighbours

    copied = load_smiles("moses-sample", "train")[17]
    series = tmp_path / "series.smi"
    series.write_text(f"c1ccc2[nH]ccc2c1CCN\nC1CC\nc1ccc2[nH]ccc2c1CCO\n{copied}\n")
    record = {"model_training": {"data": str(series), "started_from": [{"data": "moses-sample", "steps": 1}]},
              "checkpoint": str(tmp_path / "gone.pt")}
    sources = training_sources(record)
    assert sources == ((str(series), None, None), ("moses-sample", None, None))
    fps, smiles, note = training_neighbours(sources)
    assert note == "all 3 molecules of series.smi (1 row not a molecule left out); all 5,000 molecules of moses-sample"
    assert len(fps) == len(smiles) == 3 + 5_000 - 1 and "C1CC" not in smiles
    first, second = nearest_neighbours(Chem.MolFromSmiles(copied), fps, smiles, 2)
    assert first == (copied, 1.0) and second[1] < 1.0
    assert training_sources({"checkpoint": str(tmp_path / "gone.pt")}) == ()   # nothing to say where it learned
    # a run stored before lineages were kept: its checkpoint's card, read as a lineage
    assert training_sources({"checkpoint": str(tiny_checkpoint)}) == (("moses-sample", None, None),)


def test_training_neighbours_leave_out_a_series_changed_since_and_read_it_again_once_put_back(tmp_path):
    """A series edited since the model learned it is no neighbour source; put back as it was, it is one again at
    once (a review: the cached verdict held for as long as the app ran)."""
    import os

    from molgen.data.moses import sha256_of
    from workbench.common import file_states, training_neighbours

    series = tmp_path / "s2.csv"
    series.write_text("smiles\nc1ccc2[nH]ccc2c1CCN\nc1ccc2[nH]ccc2c1CCO\n")
    learned, sources = series.read_bytes(), ((str(series), "smiles", sha256_of(series)),)
    series.write_text("smiles\nCCO\n")
    _, smiles, note = training_neighbours(sources, file_states([series]))
    assert note == "s2.csv left out: it has changed since the model learned it" and smiles == []
    series.write_bytes(learned)
    os.utime(series, ns=(1, 1))   # put back (another modification time, as a copy back gives)
    _, smiles, note = training_neighbours(sources, file_states([series]))
    assert note == "all 2 molecules of s2.csv" and len(smiles) == 2


def test_the_generate_page_names_a_run_still_sampling_that_is_not_its_own(tiny_checkpoint):
    """From a review: reloaded mid-run, the page said nothing of the run still sampling until it stopped. Another
    process's run is named with its process; this app's (another tab's, or a page left) as this app's."""
    from molgen.runs.store import new_owner

    with RunStore() as store:
        run_id = generate(str(tiny_checkpoint), 3, seed=5, store=store, progress=False, name="sampling-elsewhere",
                          max_samples=40).id
        status = store.run(run_id)["status"]   # put back after: a continuable run would lead later tests' lists
    try:
        for owner, said_as in (("elsewhere.example:7:x", "pid 7 on elsewhere.example"),
                               (new_owner(), "is being sampled by this app (for another open tab, or for a page "
                                             "reloaded or left, which stops it at its next chunk)")):
            with RunStore() as store:
                store._db.execute("UPDATE runs SET status = 'running', owner = ?, heartbeat = ? WHERE id = ?",
                                  (owner, time.time() + 3600, run_id))
            at = page("generate")
            assert not at.exception
            said = [shown(i) for i in at.info if "sampling-elsewhere" in shown(i)]
            assert len(said) == 1 and said_as in said[0] and "once it ends, Browse shows it" in said[0], said
    finally:   # no live run left behind for the other pages' tests
        with RunStore() as store:
            store._db.execute("UPDATE runs SET status = ?, owner = NULL, heartbeat = NULL WHERE id = ?",
                              (status, run_id))


SERIES = ("compound_id,structure,pIC50\nA-1,CC(=O)Nc1ccc(O)cc1.Cl,6.1\nA-2,c1ccccc1N(,5.0\nA-3,Oc1ccc(NC(C)=O)cc1,7.0\n"
          "A-4,O=C([O-])c1ccccc1O.[Na+],4.2\nA-5,CC(C)Cc1ccc(cc1)C(C)C(=O)O,5.5\nA-6,c1ccccc1C1=COC1,3.0\n")


def test_score_page_scores_an_uploaded_file_as_molgen_score_does(tmp_path):
    """No page scored a chemist's own file (the command line only): the Score page keeps every row (an invalid one
    with its reason), the file's columns beside the scores, and its numbers are the command line's."""
    import pandas as pd
    from typer.testing import CliRunner

    from molgen.cli import app

    at = AppTest.from_file(str(PAGES / "score.py"), default_timeout=180)
    _upload(at, "score", "series.csv", SERIES)
    at.run()
    assert not at.exception and not at.error
    assert at.button(key="score_go").click().run() and not at.exception
    assert shown(at.success[0]).startswith("Scored 6 rows (5 valid, 1 invalid, 0 duplicates) with drug-like in ")
    salts = next(shown(w) for w in at.warning if "salts or mixtures" in shown(w))
    assert salts.startswith("2 rows are salts or mixtures") and 'turn on "Score salts by their parent"' in salts
    table = at.dataframe[0].value
    assert list(table.columns[:7]) == ["input", "valid", "reason", "smiles", "line", "compound_id", "pIC50"]
    assert pd.isna(table["rank"].iloc[-1]) and table["compound_id"].iloc[-1] == "A-2"   # invalid: last, kept
    assert table["reason"].iloc[-1].startswith("syntax:")
    assert table["rank"].dropna().is_monotonic_increasing
    # a 2H-oxete fails the hard filters (a strained ring): ranked after every molecule that passes, and said
    assert table.loc[table["compound_id"] == "A-6", "rank"].item() == 5
    assert any(shown(w).startswith("1 fails the profile's hard filters") for w in at.warning)

    source = tmp_path / "series.csv"
    source.write_text(SERIES)
    result = CliRunner().invoke(app, ["score", str(source), "-o", str(tmp_path / "cli.csv")], catch_exceptions=False)
    assert result.exit_code == 0
    cli = pd.read_csv(tmp_path / "cli.csv").set_index("compound_id")
    page_rows = table.set_index("compound_id")
    for column in ("rank", "score", "qed", "sa", "logp", "mw", "alerts"):
        assert page_rows[column].astype(float).fillna(-1).to_dict() == \
            pytest.approx(cli[column].astype(float).fillna(-1).to_dict()), column

    # the parents, and the best two picked: the salt and its free base are one molecule, so A-3 is a duplicate
    at.toggle(key="score_parent").set_value(True).run()
    assert any("changed since the last scoring" in shown(i) for i in at.info)   # the old result is not passed off
    assert not at.dataframe
    at.number_input(key="score_top").set_value(2).run()
    at.button(key="score_go").click().run()
    assert shown(at.success[0]).startswith("Scored 6 rows (5 valid, 1 invalid, 1 duplicate)")
    table = at.dataframe[0].value.set_index("compound_id")
    assert table.loc["A-1", "smiles"] == "CC(=O)Nc1ccc(O)cc1" and table.loc["A-3", "duplicate"]
    assert table.loc["A-4", "smiles"] == "O=C(O)c1ccccc1O"
    assert table["pick"].dropna().tolist() == [1, 2] and pd.isna(table.loc["A-3", "pick"])
    assert any(shown(c) == "picked 2 (column pick)" for c in at.caption)
    assert any(m.value.startswith("**The best 2** (picked") for m in at.markdown)


def test_score_page_shows_a_file_with_a_repeated_column_and_labels_drawings_by_its_id():
    """A review: a file with two "id" columns raised in st.dataframe, and a file's own "score" column (a docking
    score) labelled the drawings with molgen's score; the id column names them."""
    at = AppTest.from_file(str(PAGES / "score.py"), default_timeout=180)
    import gzip

    at.session_state["_score_upload"] = ("dock.csv.gz", gzip.compress(
        b"score,smiles,lipid_class,id,id,pick\n9.5,CCOc1ccccc1,PC,P1,X1,y\n8.1,c1ccncc1N,PE,P2,X2,n\n"))
    at.run()
    assert not at.exception
    at.button(key="score_go").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "id (2)" in table.columns and "input_score" in table.columns
    assert sorted(table["input_score"]) == [8.1, 9.5]
    images = [image.proto.imgs[0].caption for image in at.get("image")]
    assert sorted(caption.split(" · ")[0] for caption in images) == ["P1", "P2"]   # the id, not lipid_class
    at.number_input(key="score_top").set_value(1).run()   # the file's own pick column is kept apart from molgen's
    at.button(key="score_go").click().run()
    table = at.dataframe[0].value
    assert not at.exception and table["pick"].tolist()[0] == 1 and set(table["input_pick"]) == {"y", "n"}
    assert [image.proto.imgs[0].caption.split(" · ")[0] for image in at.get("image")] == ["P1"]
    assert at.session_state["score_result"]["input"] == "dock.csv.gz"


def test_score_page_reads_typed_molecules_and_refuses_a_broken_profile():
    at = AppTest.from_file(str(PAGES / "score.py"), default_timeout=180)
    at.run()
    at.text_area(key="score_input").set_value("CCO ethanol\n\nnot_a_smiles x\nc1ccccc1O phenol\n").run()
    assert any("1 blank line between records skipped" in shown(c) for c in at.caption)
    at.button(key="score_go").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["name"].tolist() == ["phenol", "ethanol", "x"] or table["name"].tolist() == ["ethanol", "phenol", "x"]
    assert table["line"].tolist()[-1] == 3 and not table["valid"].iloc[-1]
    at.text_area(key="score_toml_drug-like").set_value("name = 'mine'\n[weights\n").run()
    assert "not valid TOML" in shown(at.error[0]) and at.button(key="score_go").disabled
    at.text_area(key="score_input").set_value("").run()
    assert any("No molecules to score" in shown(i) for i in at.info)


def test_compare_measures_an_uploaded_file_of_samples_as_molgen_evaluate_does(fetched_moses):
    """No page measured another model's samples on the MOSES metrics (the command line only): Compare takes a file,
    every row a sample (a blank line and an unreadable one counted invalid, named by line), and shows it beside the
    shipped models with the ceiling at its n."""
    from molgen.data.registry import load_smiles

    smiles = load_smiles("moses-sample", "train")[:120]
    text = "\n".join(smiles[:60]) + "\n\nC1CC(\n" + "\n".join(smiles[60:]) + "\n"   # one sample a line
    at = AppTest.from_file(str(PAGES / "compare.py"), default_timeout=300)
    _upload(at, "compare", "reinvent.smi", text)
    at.run()
    assert not at.exception and not at.button(key="compare_go_file").disabled
    at.button(key="compare_go_file").click().run()
    assert not at.exception
    metrics = at.session_state["compare_file_metrics"]["metrics"]
    assert metrics["n"] == 122 and metrics["n_valid"] == 120 and metrics["valid"] == pytest.approx(120 / 122)
    assert metrics["Novelty"] == 0.0   # MOSES's own training molecules: none is novel
    assert metrics["input"]["blank_lines_counted_invalid"] == [61]
    assert any("blank line (line 61) counted as an empty sample" in shown(c) for c in at.caption)
    assert any("line 62: not valid SMILES syntax" in shown(w) for w in at.warning)
    table = next(frame.value for frame in at.dataframe if "reinvent (your file)" in frame.value.index)
    assert table.index[0] == "reinvent (your file)" and table.index[1].startswith("MOSES train itself, n = ")
    assert any("(ours)" in label for label in table.index)
    # another file: the first one's numbers are not shown as its
    _upload(at, "compare", "other.smi", "CCO\nc1ccccc1\n")
    at.run()
    assert not any(str(label).endswith("(your file)") for frame in at.dataframe for label in frame.value.index)
