"""Latent space (graph VAE): interpolate between two molecules, explore analogues, push towards targets."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from molgen.chem.parse import canonical_smiles
from molgen.models.base import shipped_checkpoint
from molgen.scoring.properties import tolerance
from workbench.common import depict, load_model, plain, show_svg, smiles_field

st.title("Latent space")
own = st.text_input("Graph VAE checkpoint (a path; empty: the shipped one)", key="latent_checkpoint",
                    help="e.g. runs/graph-vae.pt from `molgen train graph-vae`").strip()
path = own or st.session_state.get("graph_vae_path") or shipped_checkpoint("graph-vae")
if path is None:
    st.info("molgen does not ship a trained graph VAE yet, so there is no latent space to navigate here unless you "
            "give a checkpoint of your own (`molgen train graph-vae`). For analogues of a seed molecule today, use the "
            "Augment page (prefix completion or a fine-tuned SMILES model) or a similarity condition on the Generate page.")
    st.stop()

from molgen.models.base import CheckpointError  # noqa: E402
from molgen.models.graph_vae import latent  # noqa: E402 -- only when a model exists

try:
    model = load_model(str(path))
except (CheckpointError, FileNotFoundError, OSError) as error:
    st.error(plain(f"cannot use {path}: {error}"))
    st.stop()
if getattr(model, "family", None) != "graph-vae":
    st.error(f"{path} is a {getattr(model, 'family', 'unknown')} checkpoint, not a graph VAE")
    st.stop()
st.caption(f"graph VAE {path.name if hasattr(path, 'name') else path}: every decoded graph is valid by construction "
           "(the decoder masks choices that would break valence).")
refine_steps = st.slider(
    "Encoding: gradient steps that bring a molecule back", 0, 100, latent.REFINE_STEPS, 5, key="latent_refine_steps",
    help="Each molecule you give is placed at the encoder's point, then moved by gradient steps on z until greedy "
         "decoding returns it (at most this many). On the shipped model the encoder's point alone decodes back to "
         "0.087 of MOSES test molecules; after 40 steps (about 0.2 s a molecule) 0.80. 0: the encoder's point.")


def grid(rows: list[tuple[str, str]], columns: int = 5) -> None:
    for start in range(0, len(rows), columns):
        for column, (smiles, caption) in zip(st.columns(columns), rows[start:start + columns]):
            with column:
                show_svg(depict(smiles, (220, 170)), caption)


interpolate_tab, analogues_tab, push_tab = st.tabs(["Interpolate", "Analogues", "Push towards targets"])
with interpolate_tab:
    start, start_ok = smiles_field("From", "CCOc1ccccc1NC(=O)c1ccc(N(C)C)cc1", key="latent_from")
    end, end_ok = smiles_field("To", "Cc1ccccc1N1CCN(C(=O)c2ccccc2O)CC1", key="latent_to")
    steps = st.slider("Points on the path", 3, 50, 12, key="latent_steps")
    spherical = st.toggle("Spherical interpolation", key="latent_slerp")
    if st.button("Interpolate", disabled=not (start and end and start_ok and end_ok), key="latent_go_interp"):
        try:
            met = latent.interpolate(model, start, end, steps, spherical=spherical, refine_steps=refine_steps)
        except ValueError as error:
            st.error(plain(error))
        else:
            st.write(f"{len(met)} distinct molecules on the way")
            # met lists each molecule once, so the end's decoding may stand earlier on the path
            given = {name: canonical_smiles(text, isomeric=False) for name, text in (("start", start), ("end", end))}
            back = {"start": bool(met) and met[0][1] == given["start"], "end": given["end"] in {s for _, s in met}}
            missed = [name for name, came_back in back.items() if not came_back]
            if missed:
                st.caption(f"The {' and '.join(missed)} did not decode back to the molecule given; the path runs "
                           "from the nearest molecules the encoding reached (more encoding steps may help).")
            grid([(s, f"{f:.2f} of the way") for f, s in met])

with analogues_tab:
    seed, seed_ok = smiles_field("Seed molecule", "CCOc1ccccc1NC(=O)c1ccc(N(C)C)cc1", key="latent_seed")
    count = st.slider("Points sampled", 5, 200, 30, key="latent_count")
    radius = st.slider("Latent radius", 0.05, 5.0, 2.0, 0.05, key="latent_radius",
                       help="On the shipped model 20 points at radius 2 around a refined encoding decoded to about 16 "
                            "distinct molecules (the seed itself among them for 70% of seeds; it is not listed), the "
                            "others at a Tanimoto of about 0.38 to it. A larger radius finds more, and less similar, "
                            "molecules.")
    if st.button("Explore", disabled=not (seed and seed_ok), key="latent_go_analogues"):
        try:
            found = latent.analogues(model, seed, count, radius, refine_steps=refine_steps)
        except ValueError as error:
            st.error(plain(error))
        else:
            st.write(f"{len(found)} distinct molecules other than the seed, most similar to it first")
            grid([(s, f"Tanimoto {sim:.2f}") for s, sim in found])

# Targets the Bayesian search can take (RDKit scores them), with their slider ranges and defaults.
SEARCH_TARGETS = {"qed": (0.0, 1.0, 0.9), "sa": (1.0, 10.0, 2.0), "logp": (-3.0, 8.0, 3.0), "mw": (150.0, 600.0, 350.0),
                  "tpsa": (0.0, 200.0, 80.0)}
RANDOM = "Random search around the start (RDKit scores every molecule)"
BAYESIAN = "Bayesian optimisation (a Gaussian process picks each round of 16)"
GRADIENT = "Gradient steps on the property head"
SEARCHES = {RANDOM: "random", BAYESIAN: "bayesian"}
PUSH_START = "COC(=O)c1ccccc1NC(=O)CSc1nc(C)cc(C)n1"
GAP_CAPTION = ("gap: each target's distance as a share of the start's distance to it (or of the target's tolerance, "
               "where the start already meets it), averaged; 0 hits every target exactly, 1 is as far as the start "
               "(a start already within a tolerance scores below 1).")

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
        start_push, push_ok = smiles_field("Start from", PUSH_START, key="latent_push_from")
        targets = {}
        names = list(SEARCH_TARGETS) if method in SEARCHES else model.config.properties
        for name in names:
            low, high, default = SEARCH_TARGETS.get(name, (-10.0, 10.0, 0.0))
            if st.checkbox(f"target {name} (met within +/- {tolerance(name):g})", value=name == "qed",
                           key=f"latent_use_{name}"):
                targets[name] = st.slider(name, low, high, default, key=f"latent_target_{name}")
        if method in SEARCHES:
            decodings = st.slider("Latent points decoded", 16, 1024, 256, 16, key="latent_search_decodings")
            reach = st.slider("Latent radius of the search", 0.5, 8.0, 4.0, 0.25, key="latent_search_radius",
                              help="Smaller stays nearer the start molecule.")
        else:
            n_steps = st.slider("Gradient steps", 10, 300, 60, key="latent_push_steps")
        if st.button("Push", disabled=not (start_push and push_ok and targets), key="latent_go_push"):
            try:
                if method in SEARCHES:
                    found = latent.search(model, start_push, targets, decodings=decodings, method=SEARCHES[method],
                                          radius=reach, refine_steps=refine_steps)
                else:
                    walk = latent.optimise(model, start_push, targets, steps=n_steps, refine_steps=refine_steps)
            except ValueError as error:
                st.error(plain(error))
            else:
                if method in SEARCHES:
                    table = pd.DataFrame(latent.chemist_order(found))
                    if method == RANDOM:   # one round: the column would read 0 throughout (the start is -1)
                        table = table.drop(columns="round")
                    met = int(table["met"].sum())
                    st.write(f"{len(table)} distinct molecules decoded; **{met}** meet every target within its "
                             "tolerance (RDKit on the decoded molecules). They come first, the most similar to the "
                             "start first; then the rest, closest to the targets first.")
                    st.caption(GAP_CAPTION)
                    st.dataframe(table, hide_index=True, width="stretch")
                    grid([(r.smiles, f"gap {r.gap:.2f}, Tanimoto {r.similarity:.2f}") for r in table.head(10).itertuples()])
                else:
                    table = pd.DataFrame(walk)
                    st.dataframe(table, hide_index=True, width="stretch")
                    first, best, last = table.iloc[0], table.loc[table["gap"].idxmin()], table.iloc[-1]
                    for name in targets:
                        moved = (last[name] - first[name]) / max(1, last["step"])
                        st.write(f"{name}: {first[name]:.3f} at the start, closest {best[name]:.3f} (step {best['step']}), "
                                 f"{last[name]:.3f} at the last new molecule (step {last['step']}; {moved:+.4f} per step; "
                                 "RDKit on the decoded molecules)")
                    if last["step"] < n_steps:
                        st.caption(f"The walk ran {n_steps} steps; from step {last['step']} on it met no new "
                                   "molecule (the table lists each molecule once, where first met; the point is "
                                   "decoded every 5 steps and at the last).")
                    st.caption(f"{int(table['met'].sum())} of the {len(table)} molecules met on the way meet every "
                               f"target within its tolerance. {GAP_CAPTION}")
                    grid([(r.smiles, f"step {r.step}, gap {r.gap:.2f}") for r in table.itertuples()])
