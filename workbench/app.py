"""The molgen workbench (Streamlit). Run it with `make app` (http://localhost:8501).

UI code only: every page calls the molgen library; the run store is shared, each browser
session keeps its own state.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="molgen workbench", page_icon="⚗️", layout="wide")
navigation = st.navigation([
    st.Page("pages/home.py", title="Home", default=True),
    st.Page("pages/generate.py", title="Generate"),
    st.Page("pages/browse.py", title="Browse"),
    st.Page("pages/latent.py", title="Latent space"),
    st.Page("pages/compare.py", title="Compare"),
    st.Page("pages/augment.py", title="Augment"),
    st.Page("pages/export.py", title="Export"),
])
navigation.run()
