"""Generate: a model, how many, decoding options, conditions, a scoring profile; the run lands in the store."""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from molgen.models.base import CheckpointError, Conditions
from molgen.models.graph_diffusion.model import FLOW_DEFAULTS, FLOW_MIN_STEPS, SAMPLERS, STEP_SPACING, sampler_options
from molgen.models.graph_vae.sample import DECODINGS, DEFAULT_DECODING, MOST_LIKELY_CANDIDATES, MOST_LIKELY_TEMPERATURE
from molgen.runs import RunNotFound, RunStore, counted_of, filter_alone_note, validity_note
from molgen.runs import generate as generate_run, resume as resume_run
from molgen.runs.conditions import (ConditionError, ConditionFilter, check_new_conditions, conditions_to_dict,
                                    training_share)
from molgen.progress import reporting_progress
from molgen.runs.store import AmbiguousRun, ranked_count
from molgen.runs.generate import refuse_a_scaffold_out_of_reach, to_steer, without_shortfall_warning

from molgen.scoring.properties import tolerance
from workbench.common import (CONTINUABLE, checked_number, keep_while_hidden, load_model, model_choices,
                              molecule_editor, on_this_page, plain, profile_editor, record_page_inputs, run_labels,
                              run_notes_of, say_load_warnings, smiles_field, status_shown, store)
from workbench.run_form import (BUDGET, N_RANGE, OPTION_BOUNDS, SEED_RANGE, SLIDERS, STEP_CHOICES, form_from_run, open_ends,
                                target_label)

#: The Decoding fields of one family (or one decoding) only, by widget key.
FAMILY_FIELDS = ("gen_decoding", "gen_candidates", "gen_temperature", "gen_temperature_most_likely", "gen_strategy",
                 "gen_beam_width", "gen_top_k", "gen_top_p", "gen_bf16", "gen_steps", "gen_guidance", "gen_sampler",
                 "gen_target_guidance", "gen_stochasticity", "gen_step_spacing", "gen_projection")

# a shortfall is said on the page with what continues the run, not as a Python warning in the server's log
generate, resume = without_shortfall_warning(generate_run), without_shortfall_warning(resume_run)


def _fill_from_run() -> None:
    """The form takes the picked run's settings (a button's callback: it runs before the widgets are drawn,
    the only moment Streamlit lets their values be set)."""
    record = store().run(st.session_state["gen_like_pick"])
    values, notes = form_from_run(record, model_choices(), st.session_state.get("gen_profile"))
    st.session_state.update(values)
    st.session_state["gen_like_said"] = (record["id"], record["name"], notes, values)


def _own_checkpoint(say: bool = True) -> list[Path]:
    """A checkpoint path typed on the page, when it names a checkpoint molgen loads (else, with ``say``, why not:
    the text box's callback leaves it to the page's run, which would say it a second time)."""
    typed = st.session_state.get("gen_own_checkpoint", "").strip()
    if not typed:
        return []
    path = Path(typed).expanduser()
    try:
        if not path.is_file():
            raise CheckpointError(f"no checkpoint file at {typed}")
        load_model(str(path))   # a model card, a SMILES file, a resume state: said here, not as a traceback
    except Exception as error:  # noqa: BLE001 -- a family's own load may fail otherwise (weights of another shape)
        if say:   # a CheckpointError names the file itself
            st.error(plain(str(error) if isinstance(error, CheckpointError) else f"cannot use {typed}: {error}"))
        return []
    return [path]


def _pick_own_checkpoint() -> None:
    """A checkpoint typed is the model picked (a text box's callback: before the select box is drawn)."""
    own = _own_checkpoint(say=False)
    if own:
        label = next((label for label, path in model_choices(own).items() if path == own[0].resolve()), None)
        if label is not None:
            st.session_state["gen_model"] = label


def _run_in_address() -> None:
    """A reload or a shared link of Generate (``?run=<id>``, written when a run starts): the page shows that run's
    summary again, with Continue where it stopped, and the form holds its settings (as "Start from a stored run"
    fills it). Read once per browser session, and only where the session opened on Generate: a run picked on
    Browse is not a form to fill."""
    if st.session_state.get("gen_address_read") or st.session_state.get("_opened_at", "generate") != "generate":
        return
    st.session_state["gen_address_read"] = True
    asked = st.query_params.get("run")
    if not asked or st.session_state.get("gen_last_run"):
        return
    try:
        run_id = store().resolve(asked)
    except (RunNotFound, AmbiguousRun) as error:
        # the store's words name the command line; here the page's own
        said = str(error).replace(" (see `molgen runs list`)", " (deleted since, or a mistyped link)")
        st.session_state["gen_address_said"] = f"The address names a run to show: {said}. The form starts empty."
        return
    st.session_state["gen_last_run"] = st.session_state["run_id"] = st.session_state["gen_like_pick"] = run_id
    _fill_from_run()


_run_in_address()   # before the form is drawn: Streamlit lets a widget's value be set only then
record_page_inputs("generate")   # a form filled from the address is kept for the way back from another page
# each family's own fields: kept while another family's model is chosen (Streamlit forgot them: a guidance set for
# graph diffusion was back at 0 after a look at the LSTM); before "changed since" compares the form with a run's
keep_while_hidden(list(FAMILY_FIELDS))
st.title("Generate")
if said := st.session_state.pop("gen_address_said", None):
    st.warning(plain(said))
own_checkpoint = _own_checkpoint()
# a path typed that no checkpoint answers to holds Generate back: a run would use the model picked below instead
own_ok = bool(own_checkpoint) or not st.session_state.get("gen_own_checkpoint", "").strip()
checkpoints = model_choices(own_checkpoint)
if stored := run_labels():
    with st.expander("Start from a stored run"):
        if st.session_state.get("gen_like_pick") not in stored:   # deleted since
            st.session_state.pop("gen_like_pick", None)
        st.selectbox("Run", list(stored), format_func=stored.get, key="gen_like_pick",
                     help="its model, n, seed, budget, decoding options, conditions and profile fill the form; change "
                          "what you like (a new seed, more molecules) and press Generate")
        st.button("Fill the form", key="gen_like_go", on_click=_fill_from_run)
        if (said := st.session_state.get("gen_like_said")) and said[0] == st.session_state.get("gen_like_pick"):
            run_id, run_name, notes, filled = said
            # fields changed since the fill (by hand, or reset by a model switched away and back)
            changed = [key.removeprefix("gen_").replace("_", " ") for key, value in filled.items()
                       if key != "gen_name" and st.session_state.get(key) != value]
            if changed:
                st.info(plain(f"The form was filled from run {run_name}; changed since: {', '.join(changed)}."))
            else:   # a model gone from this machine is left as it was: Generate would run another (said below)
                held = f"The form holds run {run_name}'s settings, except " + (
                    "a run name (names are unique)." if "gen_model" in filled else
                    f"its model (the Model box still holds {st.session_state.get('gen_model')}) and a run name.")
                (st.success if "gen_model" in filled else st.warning)(plain(held))
            for note in notes:
                st.warning(plain(note))
molecule_editor("gen_scaffold", "Draw the substructure to keep")  # full width: Ketcher needs the room
left, right = st.columns([1, 1])
with left:
    model_label = st.selectbox("Model", list(checkpoints), key="gen_model",
                               help="the shipped models, then your own: every checkpoint a stored run used, and one "
                                    "typed below (a model fine-tuned on your series)")
    st.text_input("... or a checkpoint of your own (a .pt file)", key="gen_own_checkpoint",
                  on_change=_pick_own_checkpoint, placeholder="runs/series.pt",
                  help="made by `molgen train smiles-lm --from pretrained --data series.csv --out runs/series.pt`")
    try:
        model = load_model(str(checkpoints[model_label]))
    except Exception as error:  # noqa: BLE001 -- a stored run's checkpoint overwritten since by something else
        st.error(plain(str(error) if isinstance(error, CheckpointError) else
                       f"cannot use {checkpoints[model_label]}: {error}"))
        st.stop()
    say_load_warnings(str(checkpoints[model_label]))   # a checkpoint damaged since its card was written
    conditional = list(getattr(model.config, "conditions", []))
    st.caption(f"family {model.family}; " + (f"steers natively towards targets and ranges of {', '.join(conditional)}"
                                              + (" (ranges only when no target or scaffold is given)"
                                                 if model.family == "graph-diffusion" else "")
                                              if conditional
                                              else "no native property conditioning: property conditions are met by filtering"))
    if model.family == "graph-vae":
        st.caption("every molecule is valid by construction (the decoder masks choices that break valence)"
                   + ("" if model.config.latent_prior_rows else "; this checkpoint carries no aggregate posterior, so "
                      "it samples its latents from N(0, I) (the shipped model decoding greedily: FCD/Test 2.93 from "
                      "N(0, I), 1.61 from its posterior; `molgen train ship CHECKPOINT OUT.pt --latent-prior DATA` "
                      "adds one)"))
    # no bounds on the fields themselves: a value typed past one was shown, red, while the run used the last one
    # in range (a review asked for 150,000 and got 200); checked below instead, and Generate waits
    n, n_ok = checked_number("Molecules (valid, unique, meeting every condition)", N_RANGE, 200, step=50,
                             key="gen_n", help=f"{N_RANGE[0]:,} to {N_RANGE[1]:,}, and passing the profile's hard "
                                               "filters: a molecule failing one (a strained ring) is kept and "
                                               "ranked last, but not counted among these")
    seed, seed_ok = checked_number("Seed", SEED_RANGE, 1, step=1, key="gen_seed")
    numbers_ok = n_ok and seed_ok
    name = st.text_input("Run name (optional)", key="gen_name")
    # beside n, not inside Decoding: it decides when a run with strict conditions stops.
    # Empty means 20 x n, recomputed as n changes (a widget's own default would keep its first value).
    max_samples, budget_ok = checked_number(
        "Sampling budget (molecules sampled at most)", BUDGET, None, step=1000, key="gen_budget",
        placeholder=f"20 x n = {20 * int(n):,}", help=f"{BUDGET[0]:,} to {BUDGET[1]:,}; leave empty for 20 x the "
                                                      "molecules asked for; a run with strict conditions stops here "
                                                      "and says which condition cut the most")
    numbers_ok = numbers_ok and budget_ok
    if numbers_ok and max_samples is not None and max_samples < n:   # allowed (a first slice, continued later), but never complete
        st.warning(f"A budget of {int(max_samples):,} is below the {int(n):,} molecules asked for: the run will stop "
                   "short, and can be continued with a larger budget.")
    options: dict = {}
    with st.expander("Decoding"):
        if model.family == "graph-vae":
            options["decoding"] = st.selectbox(
                "Decoding of each latent", list(DECODINGS), DECODINGS.index(DEFAULT_DECODING), key="gen_decoding",
                help="greedy: the decoder's best choice at every step (fast); "
                     "sampled: every atom and bond drawn as well (more varied, more unusual); "
                     "most-likely: greedy plus several draws, the molecule the decoder finds most likely kept "
                     "(closest to the training set, several times slower)")
            if options["decoding"] == "most-likely":
                candidates, ok = checked_number("Candidates per latent", OPTION_BOUNDS["candidates"],
                                                MOST_LIKELY_CANDIDATES, step=1, key="gen_candidates")
                options["candidates"], numbers_ok = int(candidates), numbers_ok and ok
        if model.family == "smiles-lm" or options.get("decoding") in ("sampled", "most-likely"):
            most_likely = options.get("decoding") == "most-likely"  # its own slider: its draws default cooler
            options["temperature"] = st.slider("Temperature", *OPTION_BOUNDS["temperature"], MOST_LIKELY_TEMPERATURE if most_likely else 1.0,
                                               0.05, key="gen_temperature_most_likely" if most_likely else "gen_temperature")
        if model.family == "smiles-lm":
            strategy = st.selectbox("Strategy", ["sample", "greedy", "beam"], key="gen_strategy",
                                    help="greedy and beam search are deterministic: they give few distinct molecules")
            if strategy != "sample":
                options["strategy"] = strategy
            if strategy == "beam":
                beam_width, ok = checked_number("Beam width", OPTION_BOUNDS["beam_width"], 10, step=1,
                                                key="gen_beam_width")
                options["beam_width"], numbers_ok = int(beam_width), numbers_ok and ok
            top_k, ok = checked_number("Top-k (0 = off)", OPTION_BOUNDS["top_k"], 0, step=1, key="gen_top_k")
            numbers_ok = numbers_ok and ok
            top_p = st.slider("Top-p (1 = off)", *OPTION_BOUNDS["top_p"], 1.0, 0.01, key="gen_top_p")
            if top_k:
                options["top_k"] = int(top_k)
            if top_p < 1:
                options["top_p"] = float(top_p)
            from molgen.models.smiles_lm.sample import bf16_runs

            if st.checkbox("bfloat16 network (faster)", key="gen_bf16", disabled=not bf16_runs(model.config.arch),
                           help="about 1.6x faster on CPUs with AVX512-BF16, slower on others (an LSTM needs that "
                                "support: greyed out without it); "
                                "the same quality, but other molecules than float32 under the same seed"):
                options["bf16"] = True
        if model.family == "graph-diffusion":
            choices = [c for c in STEP_CHOICES if c <= model.config.timesteps]
            default = model.config.default_steps or 100
            options["steps"] = st.select_slider("Diffusion steps", choices, value=min(choices, key=lambda c: abs(c - default)),
                                                key="gen_steps")
            if model.config.conditions:
                options["guidance"] = st.slider(
                    "Guidance scale", *OPTION_BOUNDS["guidance"], 0.0, 0.1, key="gen_guidance",
                    help="acts only with a property target (a range steers through the label prior instead): 0 "
                         "steers by the conditional network alone (the command line's default), and was closest for "
                         "logP and QED targets; higher pushes further from the unconditional one: 1 overshot logP 4 "
                         "to 4.7 and pulled an MW target furthest (at MW 400, 166 valid of 200 against 192); 2 cost "
                         "more validity (benchmarks/RESULTS.md)")
            # The default sampler depends on the step count and the scaffold (attachment points or not): the choice
            # goes back to it when they change. The scaffold field is further down: its value from the last rerun.
            default_sampler = sampler_options(steps=options["steps"],
                                              scaffold=st.session_state.get("gen_scaffold") or None)["sampler"]
            if st.session_state.get("gen_sampler_default") != default_sampler or "gen_sampler" not in st.session_state:
                st.session_state["gen_sampler_default"] = st.session_state["gen_sampler"] = default_sampler
            options["sampler"] = st.selectbox(
                "Sampler", list(SAMPLERS), key="gen_sampler",
                help="flow: the discrete flow-matching chain (DeFoG), closer to the training set at the same step "
                     f"count from {FLOW_MIN_STEPS} steps up, and more often valid; ancestral: DiGress's posterior, larger "
                     f"molecules, and the better of the two below {FLOW_MIN_STEPS} steps. With a scaffold flow is the default: it keeps a "
                     "whole scaffold valid three to four times as often, and a group at each attachment point (*) "
                     "0.93 to 0.99 of the time against ancestral's 0.86 to 0.99 (benchmarks/RESULTS.md)")
            if options["sampler"] == "flow":
                options["target_guidance"] = st.slider(
                    "Target guidance", *OPTION_BOUNDS["target_guidance"], FLOW_DEFAULTS["target_guidance"], 0.1, key="gen_target_guidance",
                    help="extra rate towards the graph the denoiser predicts: fewer odd rings and closer to the "
                         "training set, a little less novel and varied (1.5 beat 0.5 and 1 on FCD at n = 5,000)")
                options["stochasticity"] = st.slider(
                    "Stochasticity", *OPTION_BOUNDS["stochasticity"], FLOW_DEFAULTS["stochasticity"], 1.0, key="gen_stochasticity",
                    help="how freely an atom or bond may leave a type the chain chose wrongly")
            options["step_spacing"] = st.slider(
                "Step spacing", *OPTION_BOUNDS["step_spacing"], STEP_SPACING, 0.25, key="gen_step_spacing",
                help="1 spreads the steps evenly over the noise levels (DiGress); higher crowds them towards the "
                     "clean end, where the chain settles which atoms bond: more valid molecules at the same step count")
            projectable = not model.config.aromatic_bonds  # integer bond orders only
            if st.checkbox("Project onto valence and ring size (a correction)", key="gen_projection",
                           disabled=not projectable,
                           help="as the chain ends, bonds that would close a ring larger than any in the training set "
                                "are dropped, and bonds beyond an atom's valence lowered or dropped, the denoiser's "
                                "surest bonds kept first: every molecule is valid, but validity is then not the "
                                "uncorrected number reported for the model (models with aromatic bonds: greyed "
                                "out)") and projectable:  # a box ticked for another checkpoint stays ticked
                options["projection"] = True

with right:
    st.markdown("**Conditions**")
    ranges, targets = {}, {}
    window_refused = False
    # a condition unticked and ticked again comes back as it was set (Streamlit forgot the hidden slider: a review's
    # MW 0-150 came back as 200-500)
    keep_while_hidden([f"gen_{part}_{prop}" for prop in SLIDERS for part in ("kind", "range", "target")])
    for prop, (label, low, high, default, step) in SLIDERS.items():
        if not st.checkbox(label, key=f"gen_on_{prop}"):
            continue
        # a target is what a conditional model steers to (a range gives it the range's midpoint); every model's
        # molecules are then kept only within the target's tolerance, as `qed=0.8` on the command line
        kind = st.radio(f"{label} as", ["range", target_label(prop)], horizontal=True,
                        key=f"gen_kind_{prop}", label_visibility="collapsed",
                        help=f"a target: molecules within {tolerance(prop):g} of it are kept; a model conditioned on "
                             f"{label} is steered to it")
        if kind == "range":
            window = st.slider(label, low, high, default, step, key=f"gen_range_{prop}", label_visibility="collapsed",
                               format="%.0f" if step >= 1 else None)   # MW 250, not 250.00
            bounds = open_ends(prop, window)
            if bounds == (None, None):   # both ends at the slider's limits: no bound either side, no condition
                st.caption(f"The whole scale: no condition on {label} (drag an end in to set one)")
                continue
            ranges[prop] = bounds
            try:   # a window that keeps nothing (MW 0..0, both ends dragged together) is refused beside its slider
                ConditionFilter(Conditions(ranges={prop: ranges[prop]}))
            except ConditionError as error:
                st.error(plain(error))
                window_refused = True
        else:
            targets[prop] = st.slider(label, low, high, sum(default) / 2, step, key=f"gen_target_{prop}",
                                      label_visibility="collapsed", format="%.0f" if step >= 1 else None)
            st.caption(f"kept within {tolerance(prop):g} either side: above the window is missed too "
                       f"(for \"at least\", choose range)")
    scaffold, scaffold_ok = smiles_field("Keep this substructure (SMILES or SMARTS)", key="gen_scaffold", smarts=True,
                                         help="A * bonded to one atom is an attachment point, in SMARTS too: an "
                                              "R-group core, a group there and none elsewhere on it ([!#1] asks for "
                                              "any atom instead).")
    avoid_text = st.text_area("Avoid these substructures (one SMARTS per line)", key="gen_avoid", height=80)
    avoid = [line.strip() for line in avoid_text.splitlines() if line.strip()]
    avoid_ok = True
    for line in avoid:
        from molgen.scoring.similarity import refuse_spaces, substructure_query

        try:
            refuse_spaces(line)
            substructure_query(line)
        except ValueError as error:
            st.error(plain(f"avoid: {error}"))
            avoid_ok = False
    reference, reference_ok = smiles_field("Stay near this molecule (SMILES)", key="gen_reference")
    min_similarity = st.slider("Minimum similarity to it (Tanimoto)", 0.0, 1.0, 0.3, 0.05, key="gen_min_sim",
                               disabled=not reference)
    conditions = Conditions(targets=targets, ranges=ranges, scaffold=scaffold or None, avoid=avoid,
                            similar_to=reference or None, min_similarity=min_similarity if reference else 0.0)
    conditions_ok = not window_refused
    if scaffold_ok and avoid_ok and reference_ok and not window_refused:
        try:
            check_new_conditions(conditions)   # first: a type it refuses would be a TypeError in the filter
            check = ConditionFilter(conditions)
            if windows := check.describe():
                st.caption(plain("Kept only where " + "; ".join(windows)))
                try:   # what this model steers for these conditions (a diffusion range only through its prior)
                    native = model.native_conditions(to_steer(conditions))[1] if hasattr(model, "native_conditions") else {}
                except ValueError:   # said below, where the model's conditions are
                    native = {}
                steered = [what.split(" ", 1)[1] for what in native if what.startswith(("target ", "range "))]
                if share := training_share(check.windows(), steered):
                    st.caption(plain(share[1]))
        except ConditionError as error:
            st.error(plain(error))
            conditions_ok = False
    if conditions_ok and scaffold_ok and avoid_ok and reference_ok:
        # said before a run of minutes, not after it: what this model builds towards, and what it leaves to the filter
        try:
            _, native = model.native_conditions(to_steer(conditions)) if hasattr(model, "native_conditions") else (None, {})
            refuse_a_scaffold_out_of_reach(model, conditions)   # an element the model cannot write ([Se], the LSTM)
        except ValueError as error:   # a scaffold graph diffusion cannot inpaint
            st.error(plain(error))
            conditions_ok = False
        else:
            for what, how in native.items():
                st.caption(plain(f"{what}: steered by {how}"))
            unsteered = model.unsteered(to_steer(conditions)) if hasattr(model, "unsteered") else {}
            if alone := filter_alone_note({"model": model.family, "conditions": conditions_to_dict(conditions),
                                           "native": native, "params": {"unsteered": unsteered}}):
                st.caption(plain(alone))

st.markdown("**Scoring profile**")
profile, profile_ok = profile_editor("gen")
ready = numbers_ok and scaffold_ok and avoid_ok and reference_ok and conditions_ok and profile_ok and own_ok

def _progress_bar(stop_key: str = "gen_stop"):
    """A progress bar, a Stop button under it, and the per-chunk callback that moves the bar.

    Stop is a click like any other: Streamlit starts the page again at once and stops this run of it at its next
    element, the bar's next move (after the chunk being sampled; graph diffusion's, within a quarter second); the
    run is kept as interrupted. The new run of the
    page waits for that (:func:`_wait_for_the_stop`), then shows the summary, which offers to continue it."""
    bar = st.progress(0.0, text="sampling")
    stop = st.empty()   # emptied once the run ends: a Stop under a finished run does nothing (a review)
    stop.button("Stop this run", key=stop_key, on_click=_note_stop_asked,
              help="stops after the chunk being sampled (graph diffusion: within a moment, at its next denoising "
                   "step); the run is kept, with every molecule stored so far ranked, and can be continued")
    shown = {"value": 0.0, "text": "sampling", "at": 0.0}

    def on_chunk(accepted: int, wanted: int, sampled: int) -> None:
        shown.update(value=min(accepted / wanted, 1.0), text=f"{accepted:,} of {wanted:,} molecules ({sampled:,} sampled)")
        bar.progress(shown["value"], text=shown["text"])

    def within_chunk(fraction: float) -> None:   # graph diffusion's denoising steps, between chunks
        # a message every quarter second at most, not one a step (8,000 for a long chunk); each is also where a
        # Stop takes effect, so a quarter second is also how long a Stop waits for the step after it
        if time.monotonic() - shown["at"] >= PROGRESS_SECONDS:
            shown["at"] = time.monotonic()
            bar.progress(shown["value"], text=f"{shown['text']}; the next chunk {fraction:.0%} denoised")

    return bar, stop, on_chunk, within_chunk


def _say_running(record: dict, shown_here: bool = True) -> None:
    """A run whose record reads running: sampled by another process (named), or this app's own run still
    sampling or being stopped; ``shown_here``: the page shows its summary when it ends (else Browse does, and
    Continue below once stopped)."""
    busy = store().busy(record["id"])
    after = ("its summary shows here when it ends (reload the page then)" if shown_here else
             "once it ends, Browse shows it, or, stopped, Continue below offers it (reload the page then)")
    if busy and "in this process" not in busy:
        st.info(plain(f"{busy}; {after}"))
    elif shown_here:
        st.info(plain(f"run {record['name']} is still sampling, or being stopped; {after}"))
    else:   # this app's: another open tab's, or a page reloaded or left (that one stops at its next chunk)
        st.info(plain(f"run {record['name']} is being sampled by this app (for another open tab, or for a page "
                      f"reloaded or left, which stops it at its next chunk); {after}"))


#: Seconds between two progress messages within a chunk (graph diffusion's steps).
PROGRESS_SECONDS = 0.25


def _note_stop_asked() -> None:
    st.session_state["gen_stop_asked"] = True


#: How long the page waits for a run it was asked to stop (a chunk of 1,000 molecules takes seconds; graph
#: diffusion stops within a step), before it says the run is still being stopped.
STOP_WAIT_SECONDS = 300


def _wait_for_the_stop(run_id: str, name: str, family: str) -> dict | None:
    """The run's record once its sampling has stopped (after the chunk, or graph diffusion's denoising step, it was
    at), or after :data:`STOP_WAIT_SECONDS`; at once when it is not this app's run sampling (it ended meanwhile,
    or another process holds it). Read on a connection of its own: the stopping run writes through the session's,
    on the thread of the page run it stops. The line under the spinner is rewritten every second: an element,
    where a further click stops this wait too."""
    waited = st.empty()
    at = "its next denoising step" if family == "graph-diffusion" else "the chunk it is sampling"
    with st.spinner(plain(f"Stopping run {name} after {at} ...")), RunStore(store().path) as watch:
        for second in range(STOP_WAIT_SECONDS):
            try:   # the lease first: a run stopped writes its status, then lets the lease go
                ours = "in this process" in (watch.busy(run_id) or "")
                record = watch.run(run_id)
            except RunNotFound:   # deleted meanwhile (another tab, the command line)
                return None
            if record["status"] != "running" or not ours:
                break
            waited.caption(f"{second} s")
            time.sleep(1)
    waited.empty()
    return record


def _note_started(run_id: str) -> None:
    """The run's summary, with Continue, is what the page shows after it, however it ends: noted as it starts,
    since a page stopped mid-run (a widget touched) does not reliably keep what its handlers write."""
    st.session_state["run_id"] = st.session_state["gen_last_run"] = run_id
    st.query_params["run"] = run_id   # a reload or a link shows its summary again (:func:`_run_in_address`)


def _offer_to_continue(record: dict) -> None:
    """A run its budget stopped, or one interrupted, continues where it stopped with the settings it started
    with (as ``molgen generate --resume``); only the sampling budget can change."""
    budget = int(record["params"]["max_samples"])
    sampled = int(record["counts"].get("sampled", 0))
    more, more_ok = checked_number(
        "Sampling budget to continue with (molecules sampled in all)", (max(1, sampled), None),
        budget if record["status"] == "interrupted" else max(2 * budget, sampled + 1), step=max(100, budget // 10),
        key=f"gen_more_{record['id']}", help="The run keeps its model, seed, conditions and profile; it samples "
                                             "until this many molecules have been sampled in all, or enough meet "
                                             "every condition.")
    if st.button("Continue this run", key=f"gen_continue_{record['id']}", disabled=not more_ok):
        bar, stop, on_chunk, within_chunk = _progress_bar(f"gen_stop_{record['id']}")
        _note_started(record["id"])   # its summary is the page's from now on, however it ends
        try:
            with reporting_progress(within_chunk):
                resume(record["id"], store=store(), max_samples=int(more), progress=False, on_chunk=on_chunk)
        except Exception as error:  # noqa: BLE001 -- the record keeps a failure; the page says it, no traceback
            bar.empty()
            stop.empty()
            st.error(plain(error))
            return
        st.rerun()   # the summary above is the record's: read it again


if not ready:
    st.caption("Generate waits for the fields marked in red above.")
st.caption("While a run samples, \"Stop this run\" (or changing the form, or leaving the page) stops it after the chunk it is "
           "sampling (graph diffusion: within a moment); it is kept, and its summary here offers to continue it.")
if st.button("Generate", type="primary", disabled=not ready, key="gen_go"):
    bar, stop, on_chunk, within_chunk = _progress_bar()
    try:
        with reporting_progress(within_chunk):
            run = generate(str(checkpoints[model_label]), int(n), conditions=conditions, profile=profile, seed=int(seed),
                           name=name or None, max_samples=None if max_samples is None else int(max_samples),
                           sample_options=options, store=store(), progress=False, on_chunk=on_chunk,
                           on_start=_note_started)
    except Exception as error:  # noqa: BLE001 -- a message on the page, never a traceback
        bar.empty()
        stop.empty()
        failed_run = getattr(error, "molgen_run_id", None)   # the run it stopped; none if refused before sampling
        if failed_run is None:   # refused before a run was stored (a taken name, a scaffold the model cannot hold)
            st.error(plain(error))
            st.stop()
        st.session_state["run_id"] = st.session_state["gen_last_run"] = failed_run   # its summary says what went wrong
    else:
        stop.empty()
        st.session_state["run_id"] = st.session_state["gen_last_run"] = run.id
        record = run.record
        if record["status"] == "complete":
            bar.progress(1.0, text="done")
        else:   # left where it stopped: a full bar would read as success
            bar.progress(min(counted_of(record) / int(n), 1.0),
                         text=f"stopped: the sampling budget is used up ({counted_of(record):,} of {int(n):,})")

# The last run's summary stays until the next run: a widget touched afterwards must not erase it.
if (last := st.session_state.get("gen_last_run")) is not None:
    try:
        record = store().run(last)
    except RunNotFound:  # deleted since
        record = None
    if record is None:
        st.query_params.pop("run", None)
    else:   # back from another page: the address names the run shown again
        st.query_params["run"] = last
    stop_asked = st.session_state.pop("gen_stop_asked", False)   # read once: a stale one would wait for nothing
    if record is not None and record["status"] == "running" and stop_asked:
        record = _wait_for_the_stop(record["id"], record["name"], record["model"])   # while this app's run samples
    if record is not None and record["status"] == "running":   # continued elsewhere, or still sampling
        _say_running(record)
    elif record is not None and not record["counts"]:   # failed before anything was stored and counted
        st.error(plain(f"run {record['name']}: {record['message']}"))
    elif record is not None:
        counts = record["counts"]
        failed = counts["unique"] - counts["accepted"]
        novelty = "unknown" if counts["novelty"] is None else f"{counts['novelty']:.1%}"
        say = {"complete": st.success, "failed": st.error}.get(record["status"], st.warning)
        message = on_this_page(record["message"])
        # named with its model: the form above may already show another one
        say(plain(f"run {record['name']} ({Path(record['checkpoint']).stem}, seed {record['seed']}, profile "
                  f"{record['profile']['name']}): {message}"))
        # stopped before its first chunk was stored: nothing sampled, no validity (a review: a traceback, and no
        # Continue button for the run)
        valid = "none sampled" if counts.get("validity") is None else f"{counts['validity']:.1%}"
        st.write(plain(f"sampled {counts['sampled']:,} · valid {valid} ({validity_note(record)}) · "
                       f"duplicates removed {counts['duplicates']:,} · unique {counts['unique']:,} · "
                       f"missed a condition {failed:,} · ranked {ranked_count(counts):,}"
                       + (f" of {counts['accepted']:,} (the rest when continued)"
                          if ranked_count(counts) < counts["accepted"] else "")
                       + (f" (last {failing:,}: failing the profile's hard filters)"
                          if (failing := counts.get("failing_hard_filters")) else "")
                       + f" · novel {novelty}"))
        for what, how in record["native"].items():
            st.caption(plain(f"{what}: steered natively by {how}; the filter then keeps only the molecules meeting "
                             "every condition"))
        if alone := filter_alone_note(record):
            st.caption(plain(alone))
        for note in run_notes_of(record["id"], record["updated"]):   # as the command line says them
            st.warning(plain(note))
        if record["status"] in ("budget_exhausted", "interrupted"):
            _offer_to_continue(record)
        if failed:
            st.caption(f"The {failed:,} that missed a condition stay in the run, unranked: **Browse** shows them with "
                       "the reason when its first toggle is off.")
        st.caption("Open **Browse** to filter, select and inspect this run, or **Export** to download it.")

# Any stopped run in the store continues from here, not only this page's last one: a run the command
# line started, one stopped by a kill, one from before a reload.
stopped = store().runs()
picked_before = st.session_state.get("gen_continue_pick")
# a run still sampling for a page reloaded or left (it stops at its next chunk) or for another process: said, or it
# would read as lost until it stops (a review reloaded mid-run and the page said nothing of it)
for running in stopped[(stopped["status"] == "running") & (stopped["id"] != st.session_state.get("gen_last_run"))
                       & (stopped["id"] != picked_before)].itertuples():
    _say_running(store().run(running.id), shown_here=False)
# the run picked stays listed when it is running again (continued elsewhere meanwhile): the page says so,
# rather than the pick falling silently to another run
stopped = stopped[(stopped["status"].isin(CONTINUABLE)
                   | ((stopped["id"] == picked_before) & (stopped["status"] == "running")))
                  & (stopped["id"] != st.session_state.get("gen_last_run"))]
if len(stopped):
    with st.expander(f"Continue a stopped run ({len(stopped):,} in the store)"):
        labels = {row.id: f"{row.name} · {status_shown(row.status)} · {row.model} · sampled {row.sampled:,}"
                  for row in stopped.itertuples()}
        picked = st.selectbox("Run", list(labels), format_func=labels.get, key="gen_continue_pick")
        chosen = store().run(picked)
        if chosen["status"] == "running":
            _say_running(chosen)
        else:
            st.caption(plain(on_this_page(chosen["message"])))
            _offer_to_continue(chosen)
