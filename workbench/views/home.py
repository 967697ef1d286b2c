"""Home: what the workbench does, the datasets, and a quick SMILES check."""

from __future__ import annotations

import streamlit as st

from molgen import __version__
from molgen.chem import canonical_smiles, parse_smiles
from molgen.data.registry import REGISTRY
from workbench.common import plain

st.title("molgen workbench")
st.caption(f"molgen {__version__}: generative design of small molecules")
st.markdown("**Generate** molecules under conditions, **Browse** and select them, explore a molecule's neighbourhood "
            "in the graph VAE's **Latent space**, **Compare** models and runs on the MOSES metrics, **Augment** a data "
            "set, and **Export** the result with its provenance.")

st.subheader("Datasets")
st.table([
    {"dataset": entry.name, "available": "yes" if entry.is_available() else "no: molgen data fetch " + entry.name,
     "splits": ", ".join(entry.splits), "description": entry.description}
    for entry in REGISTRY.values()
])

st.subheader("Check a SMILES")
smiles = st.text_input("SMILES", value="CC(=O)Oc1ccccc1C(=O)O", help="Parsed and sanitized by RDKit; nothing is corrected.")
if smiles:
    result = parse_smiles(smiles)
    if result.ok:
        st.success(plain(f"valid: canonical SMILES {canonical_smiles(result.mol)}"))
    else:
        st.error(plain(f"not a valid molecule: {result.reason}"))
