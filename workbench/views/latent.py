"""Latent space (graph VAE): interpolate between two molecules, explore analogues, push towards targets."""

from __future__ import annotations

import hashlib
import json
import os
import time

import pandas as pd
import streamlit as st

from molgen.chem.parse import canonical_smiles
from molgen.data.files import csv_text, stem_of
from molgen.models.base import shipped_checkpoint
from molgen.scoring.properties import tolerance
from molgen.scoring.similarity import MORGAN_BITS, MORGAN_RADIUS
from workbench.common import (KEY_SCORES, address_number, depict, keep_while_hidden, kept_upload, load_model, plain,
                              read_address, read_upload, run_labels, say_load_warnings, show_svg, smiles_field, store,
                              write_address)

st.title("Latent space")
own = st.text_input("Graph VAE checkpoint (a path; empty: the shipped one)", key="latent_checkpoint",
                    help="e.g. runs/graph-vae.pt from `molgen train graph-vae`").strip()
# ~/models/vae.pt as a shell reads it (a review: the page looked for a folder named ~)
path = (own and os.path.expanduser(own)) or st.session_state.get("graph_vae_path") or shipped_checkpoint("graph-vae")
if path is None:
    st.info("molgen does not ship a trained graph VAE yet, so there is no latent space to navigate here unless you "
            "give a checkpoint of your own (`molgen train graph-vae`). For analogues of a seed molecule today, use the "
            "Augment page (prefix completion or a fine-tuned SMILES model) or a similarity condition on the Generate page.")
    st.stop()

from molgen.models.base import CheckpointError  # noqa: E402
from molgen.models.graph_vae import latent, latent_tables  # noqa: E402 -- only when a model exists
from molgen.models.graph_vae.latent_manifest import latent_manifest, model_provenance  # noqa: E402
from molgen.models.graph_vae.latent_map import (MAP_MOLECULES, MAP_PROPERTIES, MapSource, gather,  # noqa: E402
                                                latent_map, point_name)

try:
    model = load_model(str(path))
except (CheckpointError, FileNotFoundError, OSError) as error:
    # the error names the path already where it is the file's own (a review read it twice)
    st.error(plain(str(error) if str(path) in str(error) else f"cannot use {path}: {error}"))
    st.stop()
say_load_warnings(str(path))
if getattr(model, "family", None) != "graph-vae":
    st.error(f"{path} is a {getattr(model, 'family', 'unknown')} checkpoint, not a graph VAE")
    st.stop()
st.caption(f"graph VAE {path.name if hasattr(path, 'name') else path}: every decoded graph sanitizes in RDKit by "
           "construction (the decoder masks choices that would break valence). That is validity, not stability: an "
           "odd group (a three-membered N-S ring, an allene) can still appear. Similarities are Tanimoto on Morgan "
           f"fingerprints (radius {MORGAN_RADIUS}, {MORGAN_BITS:,} bits).")
FROM, TO = "CCOc1ccccc1NC(=O)c1ccc(N(C)C)cc1", "Cc1ccccc1N1CCN(C(=O)c2ccccc2O)CC1"
PUSH_START = "COC(=O)c1ccccc1NC(=O)CSc1nc(C)cc(C)n1"
# the molecules typed and the main settings, in the address: a reload or a shared link brings them back (a review)
ADDRESS = {"from": ("latent_from", FROM, str), "to": ("latent_to", TO, str),
           "points": ("latent_steps", 12, address_number(3, 50)), "slerp": ("latent_slerp", False, lambda t: t == "1"),
           "around": ("latent_seed", FROM, str), "count": ("latent_count", 30, address_number(5, 200)),
           "radius": ("latent_radius", 2.0, address_number(0.05, 5.0, whole=False, step=0.05)),
           "start": ("latent_push_from", PUSH_START, str),
           "refine": ("latent_refine_steps", latent.REFINE_STEPS, address_number(0, 100, step=5))}
read_address(ADDRESS, "latent")
refine_steps = st.slider(
    "Encoding: gradient steps that bring a molecule back", 0, 100, latent.REFINE_STEPS, 5, key="latent_refine_steps",
    help="Each molecule you give is placed at the encoder's point, then moved by gradient steps on z until greedy "
         "decoding returns it (at most this many). On the shipped model the encoder's point alone decodes back to "
         "8.7% of MOSES test molecules; after 40 steps (about 0.2 s a molecule) 80%. 0: the encoder's point.")


def grid(rows: list[tuple[str, str]], columns: int = 5) -> None:
    """Drawings with their captions, each followed by its SMILES (to copy)."""
    for start in range(0, len(rows), columns):
        for column, (smiles, caption) in zip(st.columns(columns), rows[start:start + columns]):
            with column:
                show_svg(depict(smiles, (220, 170)), caption)
                st.code(smiles, language=None, wrap_lines=True)


def molecule_to_encode(text: str, ok: bool, what: str) -> str:
    """The molecule a field's text gives the model (:func:`latent_tables.encoded_form`: a salt or mixture as its
    parent, said under the field, since the model encodes one molecule and a counter-ion would be read into it);
    '' with a hint when empty, or with the reason when the model cannot encode it."""
    if not text:
        st.caption(f"Type a SMILES for {what}.")
        return ""
    if not ok:
        return ""
    try:   # an atom the model cannot take, or too many: said here, before any press
        encoded, notes = latent_tables.encoded_form(text, model)
    except ValueError as error:
        st.error(plain(error))
        return ""
    for note in notes:
        st.caption(plain(note))
    if ring := latent.ring_out_of_reach(model, encoded):   # said before the press, not after it (a review)
        st.caption(plain(f"{ring}; the nearest molecules it reaches stand in for it."))
    return encoded


def stereo_note(*given: str) -> None:
    """Decoded graphs carry no stereo and no isotope labels: said where a given molecule has some."""
    for note in latent_tables.stereo_notes(*given):
        st.caption(note)


def result_heading(result: dict, now: dict) -> None:
    """What a kept result was made from, and whether the form has changed since (a result stays until the
    next press, so a chemist can change a setting and compare)."""
    st.markdown(plain(result["title"]))
    if result["inputs"] != now:
        st.caption("The settings above have changed since: press the button again for their result.")


@st.cache_data(show_spinner=False)
def _described(smiles: tuple[str, ...]) -> pd.DataFrame:
    return latent_tables.described(smiles)


def with_properties(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with QED, SA, logP, MW and the drug-like profile's alerts beside each decoded molecule (named as
    in their catalogue: flags to look at, not verdicts), cached for the page's reruns."""
    return latent_tables.with_properties(table, _described)


def alert_flag(count: int, failed: str = "") -> str:
    """A grid caption's note of a molecule's alerts: ', N alerts' (the table and the download name them), and the
    hard filters it fails, which the drug-like profile scores 0 (Score and Augment remove such a molecule)."""
    return (f", {count} alert{'s' * (count != 1)}" if count else "") + (f"; fails {failed}" if failed else "")


def provenance(tab: str, settings: dict, given: dict) -> dict:
    """What a result's download records in its manifest, as `molgen latent TAB -o` does: read as the button is
    pressed (the model's checksum once, not at every rerun)."""
    return {"command": f"molgen workbench, Latent page, {tab}", "settings": {**settings, "model": str(path)},
            "given": given, "model": model_provenance(path), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def download(table: pd.DataFrame, name: str, key: str, result: dict, now: dict) -> None:
    """The table as a CSV written as every molgen CSV is (floats to 15 digits, not pandas' 0.30000000000000004),
    and its manifest (the seed, targets, settings and model: a review read a file of analogues as those of the seed
    typed since). Both are greyed out once the form no longer holds the result's settings."""
    data = csv_text(table).encode()
    made = result["provenance"]
    manifest = latent_manifest(command=made["command"], settings=made["settings"], given=made["given"],
                               model=made["model"], file=f"{name}.csv", sha256=hashlib.sha256(data).hexdigest(),
                               rows=len(table), created=made["created"])
    stale = result["inputs"] != now
    left, right = st.columns(2)
    left.download_button("Download as CSV", data, f"{name}.csv", "text/csv", key=key, disabled=stale,
                         help="greyed out: the settings above have changed since this result" if stale else None)
    right.download_button("Download the manifest (JSON)", json.dumps(manifest, indent=2), f"{name}.csv.manifest.json",
                          "application/json", key=f"{key}_manifest", disabled=stale,
                          help="the molecules given, the settings, the model's checksum and the versions")


interpolate_tab, analogues_tab, push_tab, map_tab = st.tabs(["Interpolate", "Analogues", "Push towards targets", "Map"])
with interpolate_tab:
    typed_start, start_ok = smiles_field("From", FROM, key="latent_from")
    start = molecule_to_encode(typed_start, start_ok, "the start of the path")
    typed_end, end_ok = smiles_field("To", TO, key="latent_to")
    end = molecule_to_encode(typed_end, end_ok, "the end of the path")
    steps = st.slider("Points on the path", 3, 50, 12, key="latent_steps")
    spherical = st.toggle("Spherical interpolation", key="latent_slerp")
    same = bool(start and end) and latent.graph_key(start) == latent.graph_key(end)
    if same:
        stereo = canonical_smiles(start) != canonical_smiles(end)
        st.info("From and To " + ("differ only in stereochemistry or isotopes, which this model does not encode: to "
                                  "it they are one molecule" if stereo else "are the same molecule")
                + ", so there is no path between them. Use Analogues to explore around it.")
    inputs = {"model": str(path), "start": start, "end": end, "steps": steps, "spherical": spherical,
              "refine": refine_steps, "typed": (typed_start, typed_end)}
    if st.button("Interpolate", disabled=not (start and end) or same, key="latent_go_interp"):
        try:
            met = latent.interpolate(model, start, end, steps, spherical=spherical, refine_steps=refine_steps)
        except ValueError as error:
            st.session_state.pop("latent_result_interpolate", None)
            st.error(plain(error))
        else:
            st.session_state["latent_result_interpolate"] = {
                "inputs": inputs, "met": met,
                "provenance": provenance("Interpolate", {"points": steps, "spherical": spherical,
                                                         "refine_steps": refine_steps},
                                         {"start": {"given": typed_start, "encoded": start},
                                          "end": {"given": typed_end, "encoded": end}}),
                "title": f"From {start} to {end}, {steps} points, {'spherical' if spherical else 'linear'}: "
                         f"{len(met)} distinct molecule{'s' * (len(met) != 1)} on the way, the ends included"}
    result = st.session_state.get("latent_result_interpolate")
    if result:
        result_heading(result, inputs)
        met, start_met, end_met = result["met"], result["inputs"]["start"], result["inputs"]["end"]
        path_table, missed = latent_tables.interpolation_table(met, start_met, end_met)
        if missed:
            ends = [start_met] * ("start" in missed) + [end_met] * ("end" in missed)
            st.caption(plain(f"The {' and '.join(missed)} did not decode back to the molecule given; the path runs "
                             "from the nearest molecules the encoding reached "
                             f"({latent_tables.why_not_back(model, ends, 'more encoding steps')})."))
        stereo_note(start_met, end_met)
        path_table = with_properties(path_table)
        grid([(r.smiles, f"{r.where}; QED {r.qed:.2f}{alert_flag(r.alerts, r.failed_filters)}")
              for r in path_table.itertuples()])
        linear = "spherical" if result["inputs"]["spherical"] else "linear"
        download(path_table, f"interpolation-{linear}", "latent_download_interpolate", result, inputs)

with analogues_tab:
    typed_seed, seed_ok = smiles_field("Seed molecule", FROM, key="latent_seed")
    seed = molecule_to_encode(typed_seed, seed_ok, "the seed")
    count = st.slider("Points sampled", 5, 200, 30, key="latent_count")
    radius = st.slider("Latent radius", 0.05, 5.0, 2.0, 0.05, key="latent_radius",
                       help="In a benchmark on the shipped model, 20 points at radius 2 around each of 50 MOSES test "
                            "molecules' refined encodings decoded to about 16 distinct molecules (the seed itself "
                            "among them for 70% of seeds; it is not listed), the others at a Tanimoto of about 0.38 "
                            "to it. A larger radius finds more, and less similar, molecules.")
    random_seed = st.number_input("Random seed", 0, 2**31 - 1, 0, key="latent_analogues_seed",
                                  help="Seeds the random directions around the seed molecule's point (the command "
                                       "line's --seed): another seed, other analogues.")
    inputs = {"model": str(path), "seed": seed, "count": count, "radius": radius, "refine": refine_steps,
              "random_seed": random_seed, "typed": typed_seed}
    if st.button("Explore", disabled=not seed, key="latent_go_analogues"):
        try:
            z = latent.encode(model, [seed], refine_steps=refine_steps)
            centre = latent.decode(model, z)[0]
            found = latent.analogues_around(model, z[0], seed, count, radius, seed=int(random_seed))
        except ValueError as error:
            st.session_state.pop("latent_result_analogues", None)
            st.error(plain(error))
        else:
            st.session_state["latent_result_analogues"] = {
                "inputs": inputs, "found": found, "centre": centre,
                "provenance": provenance("Analogues", {"points": count, "radius": radius, "seed": int(random_seed),
                                                       "refine_steps": refine_steps},
                                         {"seed": {"given": typed_seed, "encoded": seed}, "decodes_to": centre}),
                "title": f"Around {seed}, {count} points at radius {radius:g}: {len(found)} distinct "
                         f"molecule{'s' * (len(found) != 1)} other than the seed, most similar to it first"}
    result = st.session_state.get("latent_result_analogues")
    if result:
        result_heading(result, inputs)
        seed_met = result["inputs"]["seed"]
        if result["centre"] != latent.graph_key(seed_met):
            st.warning(plain(f"The seed's encoding decodes to {result['centre'] or 'nothing'}, not to the seed: the "
                             "analogues lie around that molecule, and their similarity is still to the seed "
                             f"({latent_tables.why_not_back(model, [seed_met], 'more encoding steps')})."))
        stereo_note(seed_met)
        if not result["found"]:   # every point decoded back to the seed: nothing to show or download
            st.info(f"Every point at radius {result['inputs']['radius']:g} decoded back to the seed: raise the latent "
                    "radius to reach other molecules.")
        else:
            # those failing a hard filter after those that pass, as a run ranks them
            found_table = latent_tables.failures_last(with_properties(latent_tables.analogue_table(result["found"])))
            grid([(r.smiles, f"Tanimoto {r.tanimoto_to_seed:.2f}; QED {r.qed:.2f}"
                             f"{alert_flag(r.alerts, r.failed_filters)}") for r in found_table.itertuples()])
            download(found_table, "analogues", "latent_download_analogues", result, inputs)

# Targets the Bayesian search can take (RDKit scores them), with their slider ranges and defaults.
SEARCH_TARGETS = {"qed": (0.0, 1.0, 0.9), "sa": (1.0, 10.0, 2.0), "logp": (-3.0, 8.0, 3.0), "mw": (150.0, 600.0, 350.0),
                  "tpsa": (0.0, 200.0, 80.0)}
RANDOM = "Random search around the start (RDKit scores every molecule)"
BAYESIAN = "Bayesian optimisation (a Gaussian process picks each round of 16)"
GRADIENT = "Gradient steps on the property head"
SEARCHES = {RANDOM: "random", BAYESIAN: "bayesian"}
GAP_CAPTION = latent_tables.GAP_CAPTION

with push_tab:
    method = st.radio("Method", [RANDOM, BAYESIAN, GRADIENT], key="latent_push_method",
                      help="The searches decode latent points near the start and score each molecule with RDKit, so "
                           "any of these properties can be a target; on the shipped model random search did as well "
                           "as Bayesian optimisation with the same decodings, in a fraction of the time. The gradient "
                           "follows the VAE's own guess of the property.")
    if method == GRADIENT and model.property_head is None:
        st.info("This graph VAE has no property head, so it cannot be steered by gradient steps; "
                "Bayesian optimisation needs none.")
    else:
        # a start far from the default target (QED 0.52 against 0.9), so the push has somewhere to go
        typed_push, push_ok = smiles_field("Start from", PUSH_START, key="latent_push_from")
        start_push = molecule_to_encode(typed_push, push_ok, "the start")
        targets = {}
        names = list(SEARCH_TARGETS) if method in SEARCHES else model.config.properties
        keep_while_hidden([f"latent_{kind}_{name}" for name in dict.fromkeys([*SEARCH_TARGETS, *model.config.properties])
                           for kind in ("use", "target")]
                          + ["latent_search_decodings", "latent_search_radius", "latent_push_steps"])
        for name in names:
            low, high, default = SEARCH_TARGETS.get(name, (-10.0, 10.0, 0.0))
            label = KEY_SCORES.get(name, name)
            if st.checkbox(f"target {label} (met within +/- {tolerance(name):g})", value=name == "qed",
                           key=f"latent_use_{name}"):
                targets[name] = st.slider(label, low, high, default, key=f"latent_target_{name}")
        if method in SEARCHES:
            decodings = st.slider("Latent points decoded", 16, 1024, 256, 16, key="latent_search_decodings")
            reach = st.slider("Latent radius of the search", 0.5, 8.0, 4.0, 0.25, key="latent_search_radius",
                              help="A scale, not a bound: each point lies about a quarter to the whole of it "
                                   "from the start (the Bayesian search moves on from its best point, and reaches "
                                   "further). Smaller stays nearer the start molecule.")
            search_seed = st.number_input("Random seed", 0, 2**31 - 1, 0, key="latent_search_seed",
                                          help="Seeds the points the search decodes (the command line's --seed).")
        else:
            n_steps = st.slider("Gradient steps", 10, 300, 60, key="latent_push_steps")
        settings = ({"decodings": decodings, "radius": reach, "seed": int(search_seed)} if method in SEARCHES
                    else {"steps": n_steps})
        inputs = {"model": str(path), "method": method, "start": start_push, "typed": typed_push, "targets": targets, **settings,
                  "refine": refine_steps}
        if not targets:   # the button is greyed out: said why (a review)
            st.caption("Tick at least one target to push towards.")
        if st.button("Push", disabled=not (start_push and targets), key="latent_go_push"):
            try:
                if method in SEARCHES:
                    table = latent_tables.search_table(latent.search(
                        model, start_push, targets, decodings=decodings, method=SEARCHES[method], radius=reach,
                        seed=int(search_seed), refine_steps=refine_steps), SEARCHES[method])
                else:   # the start's own decoding is the reference, not a find: marked, in the download too
                    table = latent_tables.gradient_table(latent.optimise(model, start_push, targets, steps=n_steps,
                                                                         refine_steps=refine_steps))
            except ValueError as error:
                st.session_state.pop("latent_result_push", None)
                st.error(plain(error))
            else:
                aims = ", ".join(f"{KEY_SCORES.get(n, n)} {v:g}" for n, v in targets.items())
                st.session_state["latent_result_push"] = {
                    "inputs": inputs, "table": table,
                    # the tolerances too: the download's met and gap columns are read against them
                    "provenance": provenance("Push towards targets", {
                        "method": SEARCHES.get(method, "gradient"), "targets": targets,
                        "tolerances": {name: tolerance(name) for name in targets}, **settings,
                        "refine_steps": refine_steps}, {"start": {"given": typed_push, "encoded": start_push}}),
                    "title": f"From {start_push} towards {aims} ({method.split(' (')[0].lower()})"}
        result = st.session_state.get("latent_result_push")
        if result:
            result_heading(result, inputs)
            table, used = with_properties(result["table"]), result["inputs"]
            if used["method"] in SEARCHES:   # a gradient walk keeps its steps' order
                table = latent_tables.failures_last(table)
            stereo_note(used["start"])
            if used["method"] in SEARCHES:
                met = int(table.loc[~table["is_start"], "met"].sum())
                st.write(f"{int((~table['is_start']).sum())} distinct molecules decoded besides the start's own "
                         f"decoding (the last row, marked is_start); **{met}** meet every target within its "
                         "tolerance (RDKit on the decoded molecules). Among the molecules passing the drug-like "
                         "profile's hard filters, those meeting every target come first, the most similar to the start "
                         "first, then the rest, closest to the targets first; those failing a hard filter "
                         "(failed_filters) follow in the same order.")
                st.caption(GAP_CAPTION)
                st.dataframe(table, hide_index=True, width="stretch")
                grid([(r.smiles, f"gap {r.gap:.2f}, Tanimoto {r.tanimoto_to_start:.2f}"
                                 f"{alert_flag(r.alerts, r.failed_filters)}") for r in table.head(10).itertuples()])
            else:
                st.dataframe(table, hide_index=True, width="stretch")
                first, last = table.iloc[0], table.iloc[-1]
                for name, target in used["targets"].items():
                    # this property's closest molecule: the one nearest all targets at once may be far on one of two
                    best = table.loc[(table[name] - target).abs().idxmin()]
                    moved = (last[name] - first[name]) / max(1, last["step"])
                    st.write(f"{KEY_SCORES.get(name, name)}: {first[name]:.3f} at the start, closest "
                             f"{best[name]:.3f} (step {best['step']}), {last[name]:.3f} at the last new molecule "
                             f"(step {last['step']}; {moved:+.4f} per step; RDKit on the decoded molecules)")
                if drift := latent_tables.head_drift(table, used["targets"]):
                    st.warning(drift[0].upper() + drift[1:].replace(", --method random or bayesian,", "") + ".")
                if last["step"] < used["steps"]:
                    st.caption(f"The walk ran {used['steps']} steps; from step {last['step']} on it met no new "
                               "molecule (the table lists each molecule once, where first met; the point is "
                               "decoded every 5 steps and at the last).")
                found = table[~table["is_start"]]
                st.caption(f"{int(found['met'].sum())} of the {len(found)} molecules met on the way (the start's "
                           f"own decoding, step 0, apart) meet every target within its tolerance. {GAP_CAPTION}")
                grid([(r.smiles, f"step {r.step}, gap {r.gap:.2f}{alert_flag(r.alerts, r.failed_filters)}")
                      for r in table.itertuples()])
            # a random, Bayesian and gradient result hold other columns: named apart
            download(table, f"push-{SEARCHES.get(used['method'], 'gradient')}", "latent_download_push", result, inputs)


MAP_COLOURS = {"source": "Set", **{name: KEY_SCORES.get(name, name) for name in MAP_PROPERTIES}}


def map_sources(run_ids: list[str], upload_frame: pd.DataFrame | None, upload_name: str | None,
                pasted: str) -> list[MapSource]:
    """The sets the map is asked for: each run's ranked molecules, best first; a file's rows; the pasted lines
    (SMILES, a name after it)."""
    from molgen.data.files import read_smi_text

    sources = []
    for run_id in run_ids:
        sources.append(MapSource.of_run(store().run(run_id), store().candidates(run_id, ranked_only=True)))
    if upload_frame is not None:
        sources.append(MapSource(stem_of(upload_name), upload_name, upload_frame))
    if pasted.strip():
        sources.append(MapSource("pasted", "pasted", read_smi_text(pasted), "lines"))
    return sources


def draw_map(shown_map, colour: str, drawing: int) -> list[int]:
    """The map as a scatter chart coloured by ``colour`` (a point without a value grey, not hidden), a molecule's
    structure named on hover; the rows of the points clicked (shift-click for several). ``drawing`` numbers the map,
    so that a click on an earlier one is not read as one on this (its rows are others)."""
    import altair as alt

    table = shown_map.table
    # the chart's own columns, apart from the file's: a column named "row", or "IC50 [nM]" (read by Vega-Lite as
    # a nested field), would break it
    points = pd.DataFrame({"map_row": range(len(table)), "molecule": [point_name(row) for _, row in table.iterrows()],
                           "smiles": table["encoded"],
                           "pc_1": table["pc_1"], "pc_2": table["pc_2"], "colour_value": table[colour],
                           **{name: table[name] for name in MAP_PROPERTIES}})[table["pc_1"].notna().to_numpy()]
    first, second = shown_map.explained
    quantitative = colour != "source"
    title = MAP_COLOURS.get(colour, colour)
    # sets in tableau10's distinct hues: Streamlit's own palette starts with two blues, which a review could not tell
    # apart ("pasted" and "series")
    coloured = alt.Color(f"colour_value:{'Q' if quantitative else 'N'}", title=title,
                         scale=alt.Scale(scheme="viridis" if quantitative else "tableau10"))
    picked = alt.selection_point(name="picked", fields=["map_row"])
    # invalid="show": Vega-Lite leaves out a point whose colour value is missing; the scale's invalid colour greys it
    chart = alt.Chart(points).mark_circle(size=45, opacity=0.75, invalid="show").encode(
        x=alt.X("pc_1:Q", title=f"principal component 1 ({first:.0%} of the variance)"),
        y=alt.Y("pc_2:Q", title=f"principal component 2 ({second:.0%} of the variance)"),
        color=coloured,
        tooltip=["molecule", "smiles", *([alt.Tooltip("colour_value:Q", title=title, format=".3g")] if quantitative
                                       and colour not in MAP_PROPERTIES else []),
                 *[alt.Tooltip(f"{name}:Q", format=".2f") for name in MAP_PROPERTIES]],
    ).add_params(picked).configure_scale(invalid={"color": {"value": "lightgray"}})
    event = st.altair_chart(chart, on_select="rerun", key=f"latent_map_chart_{drawing}", width="stretch")
    rows = [point.get("map_row") for point in (event.selection.get("picked") or [])]
    return [int(row) for row in rows if isinstance(row, (int, float)) and 0 <= row < len(table)]


with map_tab:
    st.caption("Sets of molecules placed in the model's latent space, to see where a run's molecules lie against "
               "your series or another run: each molecule at the encoder's point (a descriptor of the molecule alone; "
               "no refinement), all points projected together on their first two principal components. The axes "
               "show only part of the spread of the latent space's "
               f"{model.config.latent_dim} dimensions (their share is on each axis): points far apart on the map are "
               "far apart in the latent space; points close on it may not be.")
    run_ids = list(run_labels())
    chosen_runs = st.multiselect("Ranked molecules of runs", run_ids, key="latent_map_runs",
                                 format_func=lambda run_id: run_labels().get(run_id, run_id))
    map_upload = kept_upload(st.file_uploader("A file of molecules (CSV, TSV, SMI, SDF, Parquet)", key="latent_map_file"),
                             "latent_map", "Leave this file off the map")
    pasted = st.text_area("Molecules to paste (SMILES, a name after it; one a line)", key="latent_map_pasted")
    each = int(st.number_input("Molecules from each (a run's best-ranked, a file's first rows)", 10, MAP_MOLECULES,
                               500, 50, key="latent_map_each"))
    # read here, not under the button: a file whose SMILES column is not named asks which, and keeps the answer
    map_frame, map_column = read_upload(map_upload, "latent_map") if map_upload is not None else (None, None)
    # the file by its checksum: another file of the same name is another map (a code review)
    map_inputs = {"model": str(path), "runs": chosen_runs,
                  "file": (map_upload[0], hashlib.sha256(map_upload[1]).hexdigest()) if map_upload else None,
                  "smiles_column": map_column, "pasted": pasted, "each": each}
    asked = chosen_runs or map_frame is not None or pasted.strip()
    if st.button("Draw the map", key="latent_go_map", disabled=not asked or (map_upload is not None and map_frame is None)):
        molecules, cut = gather(map_sources(chosen_runs, map_frame, map_upload[0] if map_upload else None, pasted), each)
        st.session_state.pop("latent_result_map", None)
        if len(molecules) > MAP_MOLECULES:
            st.error(f"{len(molecules):,} molecules asked for, and a map holds {MAP_MOLECULES:,}: take fewer from "
                     "each, or fewer sets.")
        elif len(molecules):
            bar = st.progress(0.0, text="encoding")
            try:
                drawn = latent_map(model, molecules, progress=lambda done, total: bar.progress(
                    done / total, text=f"encoding: {done:,} of {total:,} molecules"))
            except ValueError as error:
                st.error(plain(error))
            else:
                drawing = st.session_state.get("_latent_map_drawings", 0) + 1
                st.session_state["_latent_map_drawings"] = drawing
                # the sources as `molgen latent map -o` records them: each run by id, the file by checksum
                given = [{"run": run_id, "name": store().run(run_id)["name"],
                          "ranked": store().count(run_id, ranked_only=True)} for run_id in chosen_runs]
                if map_upload is not None:
                    given.append({"file": map_upload[0], "sha256": hashlib.sha256(map_upload[1]).hexdigest(),
                                  "rows": len(map_frame), "smiles_column": map_column})
                if pasted.strip():
                    given.append({"pasted": pasted})
                first, second = drawn.explained
                st.session_state["latent_result_map"] = {
                    "inputs": map_inputs, "map": drawn, "cut": cut, "drawing": drawing,
                    "provenance": provenance("Map", {"each": each}, {
                        "sources": given, "explained_variance": [first, second],
                        "mapped": int(drawn.table["pc_1"].notna().sum())})}
            bar.empty()
    result = st.session_state.get("latent_result_map")
    if result:
        drawn = result["map"]
        mapped = int(drawn.table["pc_1"].notna().sum())
        result_heading({"title": f"{mapped:,} molecules on the map, from "
                                 f"{drawn.table['source'].nunique():,} set{'s' * (drawn.table['source'].nunique() != 1)}",
                        "inputs": result["inputs"]}, map_inputs)
        for note in result["cut"] + drawn.notes:
            st.caption(plain(note))
        numeric = [c for c in drawn.table.columns if c not in MAP_COLOURS and c not in ("pc_1", "pc_2", "line")
                   and pd.api.types.is_numeric_dtype(drawn.table[c]) and drawn.table[c].notna().any()]
        colour = st.selectbox("Colour by", [*MAP_COLOURS, *numeric], key="latent_map_colour",
                              format_func=lambda name: MAP_COLOURS.get(name, name))
        picked = draw_map(drawn, colour, result["drawing"])
        if colour != "source" and (missing := int(drawn.table.loc[drawn.table["pc_1"].notna(), colour].isna().sum())):
            st.caption(f"Grey: the {missing:,} molecule{'s' * (missing != 1)} without a value of "
                       f"{MAP_COLOURS.get(colour, colour)}.")
        st.caption("Click a point to see its structure below (shift-click for several).")
        if picked:
            grid([(drawn.table.at[row, "encoded"], f"{point_name(drawn.table.loc[row])}; QED "
                   f"{drawn.table.at[row, 'qed']:.2f}, SA {drawn.table.at[row, 'sa']:.2f}") for row in picked[:20]])
        download(drawn.table, "latent-map", "latent_download_map", result, map_inputs)

write_address(ADDRESS)
