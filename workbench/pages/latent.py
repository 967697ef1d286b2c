"""Latent space (graph VAE): interpolate, explore analogues, push towards targets."""

from __future__ import annotations

import streamlit as st

from molgen.models.base import shipped_checkpoint

st.title("Latent space")
if shipped_checkpoint("graph-vae") is None:
    st.info("molgen does not ship a trained graph VAE yet, so there is no latent space to navigate here. "
            "For analogues of a seed molecule today, use the Augment page (prefix completion or a fine-tuned SMILES "
            "model) or a similarity condition on the Generate page.")
