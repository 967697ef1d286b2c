"""Latent space (graph VAE): interpolate, explore analogues, push towards targets."""

from __future__ import annotations

import streamlit as st

from molgen.models.base import FAMILIES

st.title("Latent space")
if "graph-vae" not in FAMILIES:
    st.info("The graph VAE is not shipped in this version of molgen, so there is no latent space to navigate yet. "
            "For analogues of a seed molecule today, use the Augment page (prefix completion or a fine-tuned SMILES "
            "model) or a similarity condition on the Generate page.")
