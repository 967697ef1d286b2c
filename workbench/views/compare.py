"""Compare: the shipped models side by side on the MOSES metrics, with published baselines, and property distributions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

from molgen.metrics.report import PUBLISHED, metrics_frame, published_rows
from molgen.models.base import PRETRAINED_DIR
from workbench.common import plain, run_picker, store

st.title("Compare")
st.subheader("MOSES metrics")
rows = {}
for card_path in sorted(PRETRAINED_DIR.glob("*.json")):
    card = json.loads(card_path.read_text())
    if card.get("metrics"):
        rows[f"molgen {card_path.stem} (ours)"] = card["metrics"]
known = pd.read_csv(PUBLISHED)["model"].tolist()
baselines = st.multiselect("Published baselines", known, default=[m for m in ("CharRNN", "VAE", "DiGress") if m in known],
                           key="compare_baselines")
published = published_rows(tuple(baselines)) if baselines else {}
if rows:
    # a dataframe, not a markdown table: twenty metric columns scroll inside it rather than run off the page
    st.dataframe(metrics_frame({**rows, **published}), width="stretch",
                 column_config={"n": st.column_config.NumberColumn(format="%d")})
    sizes = sorted({int(m["n"]) for m in rows.values() if m.get("n")})
    st.caption(f"Ours: {' or '.join(f'{n:,}' for n in sizes) or 'the card'} samples (column n), seed 0, no valence "
               "correction, against MOSES test and scaffold-test; the measurement is in each checkpoint's model card. "
               "FCD depends on n: read it beside n. logP, SA, QED and weight are Wasserstein distances between the "
               "samples' and MOSES test's distributions of that property (0 is identical), not property values.")
else:
    st.info("No shipped checkpoint has measured metrics in its model card yet.")

st.subheader("Property distributions: a run against MOSES")
run_id = run_picker(key="compare_run")
if run_id:
    from molgen.data.registry import load_smiles
    from molgen.scoring.properties import PROPERTIES

    # 2,000 molecules draw the reference histograms as well as 5,000 did; RDKit's QED takes about
    # 3 ms a molecule on a slow CPU, so the first visit waits 6 s instead of 15.
    @st.cache_data(show_spinner="computing training-set properties")
    def training_properties(n: int = 2000) -> pd.DataFrame:
        from rdkit import Chem

        smiles = load_smiles("moses-sample", "train")[:n]
        mols = [Chem.MolFromSmiles(s) for s in smiles]
        return pd.DataFrame({p: [PROPERTIES[p].function(m) for m in mols] for p in ("qed", "sa", "logp", "mw")})

    # the ranked set: molecules that missed a condition stay in the store but are not the run's output
    generated = store().candidates(run_id, ranked_only=True, columns=["qed", "sa", "logp", "mw"])
    if generated.empty:
        st.info("This run has no ranked candidates to draw: " + plain(store().run(run_id)["message"]))
        st.stop()
    reference = training_properties()
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 4, figsize=(16, 3.2))
    for axis, prop in zip(axes, ("qed", "sa", "logp", "mw")):
        values = np.concatenate([reference[prop].to_numpy(), generated[prop].dropna().to_numpy()])
        bins = np.linspace(np.nanmin(values), np.nanmax(values), 40)
        axis.hist(reference[prop], bins=bins, density=True, alpha=0.5, label="MOSES train (sample)")
        axis.hist(generated[prop].dropna(), bins=bins, density=True, alpha=0.5, label="this run")
        axis.set_title(PROPERTIES[prop].description.split(",")[0].split("(")[0])
    figure.legend(*axes[0].get_legend_handles_labels(), loc="upper center", ncol=2, fontsize=9, frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 0.9))   # the legend above the plots, clear of the bars
    st.pyplot(figure)
    st.caption(f"{len(generated):,} ranked candidates of the run (conditions and deduplication applied) against 2,000 "
               "molecules of the committed MOSES training sample. The reference is MOSES whatever the run's model was "
               "trained on: for a fine-tuned model, read the shift as a shift from MOSES, not from its own training set.")
